/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tracefile.h - the raw trace file that `memtrace-reader -w FILE` writes and
 * `memtrace-reader -i FILE` decodes (Documentation/memtrace-trace-file.rst).
 *
 * A trace file is a file header (struct memtrace_file_hdr, then a table of
 * struct memtrace_file_cpu) followed, from byte hdr_size on, by records of
 * include/uapi/memtrace.h exactly as the module wrote them, in the merged
 * (ts_ns, cpu, seq) order the reader emitted them, then one reader-written
 * struct memtrace_loss (flags MEMTRACE_LOSS_F_READER) per CPU that closes
 * the session.  Same rules as the records: little-endian, naturally
 * aligned, sizes multiples of 8, fields only ever appended (a reader uses
 * hdr_size, cpu_table_off and cpu_entry_size, never sizeof, to find what
 * follows), a version bump only for a change older readers cannot skip.
 *
 * The file's structs and constants are in include/uapi/memtrace.h, beside
 * the records' (one definition of the format); this is the reader's
 * encoder and decoder.
 */
#ifndef MEMTRACE_READER_TRACEFILE_H
#define MEMTRACE_READER_TRACEFILE_H

#include "uapi/memtrace.h"

/* ---- the reader's encoder and decoder ---------------------------------- */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/* The biggest hdr_size accepted: room for a CPU table of 40,000 CPUs. */
#define MT_TFILE_HDR_MAX (1u << 20)

/* One CPU table entry, host-endian. */
struct mt_tfile_cpu {
	uint32_t cpu;
	uint32_t flags;
	uint64_t start_seq;
	uint64_t start_dropped;
};

/* A decoded file header, host-endian, strings NUL-terminated. */
struct mt_tfile_info {
	uint16_t version, rec_version;
	uint32_t hdr_size, flags, sample_size, loss_size, page_size, clock_id;
	uint64_t start_mono_ns, start_real_ns;
	char clock[17], release[73], hostname[73], writer[33];
	size_t ncpus;
	struct mt_tfile_cpu *cpus;	/* malloc'ed, ncpus entries */
};

/* Fill @info for a new trace of this machine: start time pair (taken as
 * close together as the clocks allow), uname, page size, sizes; no CPUs. */
void mt_tfile_info_now(struct mt_tfile_info *info);
/* Append a CPU entry.  0, or -1 (out of memory). */
int mt_tfile_info_add_cpu(struct mt_tfile_info *info,
			  const struct mt_tfile_cpu *c);
void mt_tfile_info_free(struct mt_tfile_info *info);

/* The encoded header of @info (hdr_size bytes, malloc'ed) at *@out, for
 * a file of this reader's MEMTRACE_FILE_VERSION (@info->version unused).
 * 0, or -1 (out of memory, or too many CPUs for MT_TFILE_HDR_MAX). */
int mt_tfile_encode(const struct mt_tfile_info *info, unsigned char **out,
		    size_t *len);

/* What went wrong in a trace file: a one-line text and the byte offset. */
struct mt_terr {
	uint64_t offset;
	char what[200];
};

/*
 * mt_tfile_decode() - validate and decode the file header at the start of
 * @buf (@len bytes available, the file's first bytes).
 * Returns 0 (decoded; *@info set, free it with mt_tfile_info_free()),
 * 1 (more bytes needed: *@need is how many in all), or -1 (a bad header:
 * *@err says where and why).  A wrong first byte is reported at once.
 */
int mt_tfile_decode(const unsigned char *buf, size_t len,
		    struct mt_tfile_info *info, size_t *need,
		    struct mt_terr *err);

/*
 * struct mt_tread - decode a trace file as it is read, in one linear pass.
 * Bytes go in through mt_tread_space() / mt_tread_added(); the header is
 * handed to @on_header, then each record, in file order, to @on_record
 * (with its bytes).  A callback returning non-zero stops decoding (its value
 * comes back from mt_tread_added() / mt_tread_finish()).  The first damage
 * stops decoding too: mt_tread_added() / mt_tread_finish() return -1 and
 * @err says where.  Records of types not known here go to @on_record with
 * status MT_SKIP.  In a version 2 file each block is checked whole (its
 * CRC32C, size and record count) before any of its records goes out, so a
 * damaged block stops decoding at its header's offset with every record
 * before it delivered.
 */
struct mt_tread {
	int (*on_header)(void *ctx, const struct mt_tfile_info *info);
	int (*on_record)(void *ctx, enum mt_status st,
			 const struct mt_record *rec, const void *raw,
			 uint32_t len, uint64_t offset);
	void *ctx;

	struct mt_tfile_info info;
	bool have_header;
	bool failed;
	unsigned char *buf;
	size_t pos, len, cap;
	uint64_t offset;		/* file offset of buf[pos] */
	struct mt_terr err;
	/* version 2: what is left of the block being decoded (its CRC32C
	 * checked), and the file offset of its header */
	uint32_t blk_left, blk_recs;
	uint64_t blk_off;
};

/* Set up @t with a buffer of @cap bytes (grown when a header needs it). */
int mt_tread_init(struct mt_tread *t, size_t cap);
void mt_tread_free(struct mt_tread *t);
unsigned char *mt_tread_space(struct mt_tread *t, size_t *room);
int mt_tread_added(struct mt_tread *t, size_t n);
/* End of the file: bytes left over are a truncated header or record. */
int mt_tread_finish(struct mt_tread *t);

#endif /* MEMTRACE_READER_TRACEFILE_H */
