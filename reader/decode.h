/* SPDX-License-Identifier: GPL-2.0 */
/*
 * decode.h - validate and decode memtrace records (include/uapi/memtrace.h)
 * from a byte buffer into host-endian structs, and follow one CPU's byte
 * stream: partial records, sequence gaps (= records lost), resynchronisation
 * after a bad record.
 *
 * Nothing here allocates per record: mt_decode() fills a caller's struct,
 * and a struct mt_stream owns one byte buffer for its whole life.
 */
#ifndef MEMTRACE_READER_DECODE_H
#define MEMTRACE_READER_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "uapi/memtrace.h"

/*
 * MT_REC_SIZE_MAX - the largest hdr.size the reader accepts.  Records are a
 * few hundred bytes; a bigger size means a corrupt header, and accepting it
 * would make the reader wait for (and buffer) bytes that never form a record.
 */
#define MT_REC_SIZE_MAX 4096u

/* Result of mt_decode() and mt_stream_next(). */
enum mt_status {
	MT_OK = 0,	 /* a sample was decoded into *rec */
	MT_SKIP,	 /* a valid record of a type this reader does not know */
	MT_NEED_MORE,	 /* the buffer ends inside the record: read more */
	MT_BAD_MAGIC,	 /* hdr.magic is not MEMTRACE_MAGIC */
	MT_BAD_VERSION,	 /* hdr.version is 0 or newer than MEMTRACE_VERSION */
	MT_BAD_SIZE,	 /* hdr.size impossible for the record's type */
	MT_BAD_CPU,	 /* hdr.cpu is not the CPU whose stream holds it */
};

/* The common header, host-endian. */
struct mt_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t size;
	uint32_t cpu;
	uint64_t seq;
	uint64_t ts_ns;
};

/*
 * One decoded MEMTRACE_REC_SAMPLE, host-endian.  comm is copied as is (up
 * to 16 bytes, NUL-padded, not always NUL-terminated); comm_len is its
 * length up to the first NUL.
 */
struct mt_record {
	struct mt_hdr hdr;
	uint64_t tick;
	uint32_t tgid;
	uint32_t flags;
	char comm[MEMTRACE_COMM_LEN];
	uint32_t comm_len;
	uint64_t vsz_kb;
	uint64_t rss_anon_kb;
	uint64_t rss_file_kb;
	uint64_t rss_shmem_kb;
	uint64_t swap_kb;
	uint64_t hwm_kb;
	uint64_t minflt;
	uint64_t majflt;
	uint64_t utime_ns;
	uint64_t stime_ns;
	uint64_t wss_kb;
	uint64_t wss_window_ns;
};

/**
 * mt_decode() - validate and decode the record at the start of @buf.
 * @buf:  bytes of a record stream, positioned at a record boundary.
 * @len:  bytes available at @buf.
 * @rec:  out: the decoded sample (MT_OK); for every other result except
 *        MT_NEED_MORE before a whole header, rec->hdr holds the header.
 * @size: out: MT_OK / MT_SKIP: bytes to consume (hdr.size);
 *        MT_NEED_MORE: bytes needed in all (a header, or hdr.size).
 *
 * Checks magic, version (1..MEMTRACE_VERSION) and size (>= header, a
 * multiple of 8, <= MT_REC_SIZE_MAX, and >= struct memtrace_sample for
 * type SAMPLE) before it asks for the rest of the record, so a corrupt
 * header is reported at once instead of stalling the stream.
 */
enum mt_status mt_decode(const void *buf, size_t len, struct mt_record *rec,
			 uint32_t *size);

/* A short English text for an mt_status ("bad magic 0x..." is composed by
 * mt_bad_describe()). */
const char *mt_status_str(enum mt_status st);

/* Loss counters of one CPU stream. */
struct mt_loss {
	uint64_t lost;		/* records lost: sum of seq gaps */
	uint64_t gaps;		/* how many gaps */
	uint64_t first_ts;	/* ts_ns of the record before the first gap */
	uint64_t last_ts;	/* ts_ns of the record after the last gap */
	uint64_t backwards;	/* times seq went backwards (module reloaded) */
};

/**
 * struct mt_stream - one CPU's byte stream and its accounting.
 * @cpu:       the CPU (the N of cpuN); records must carry it in hdr.cpu.
 * @buf:       bytes read and not yet consumed are buf[pos..len).
 * @discard:   bytes still to throw away, not read yet, to stay 8-byte
 *             aligned after a bad record near the end of the buffer.
 * @offset:    byte offset in the CPU's stream of buf[pos] (+ @discard).
 * @seq_known: @next_seq is set (by the first record seen).
 * @records:   samples decoded.  @skipped: records of unknown types.
 * @bad:       bad records (each one a resynchronisation).
 * @bad_bytes: bytes thrown away while resynchronising.
 */
struct mt_stream {
	unsigned int cpu;
	unsigned char *buf;
	size_t pos, len, cap;
	size_t discard;
	uint64_t offset;
	bool seq_known;
	uint64_t next_seq;
	uint64_t prev_ts;
	uint64_t records, skipped, bad, bad_bytes;
	struct mt_loss loss;
};

/* What mt_stream_next() tells about a bad record. */
struct mt_bad {
	enum mt_status status;
	uint64_t offset;	/* byte offset of the bad record in the stream */
	uint64_t skipped;	/* bytes thrown away to resynchronise */
	struct mt_hdr hdr;	/* the bad header as read */
};

/* Set up @s for CPU @cpu with a @cap-byte buffer (>= 2 * MT_REC_SIZE_MAX).
 * Returns 0, or -1 with errno set. */
int mt_stream_init(struct mt_stream *s, unsigned int cpu, size_t cap);
void mt_stream_free(struct mt_stream *s);

/* Where to read() into, and how much room there is; moves the unconsumed
 * tail to the front of the buffer first when that makes room. */
unsigned char *mt_stream_space(struct mt_stream *s, size_t *room);
/* @n bytes were read into mt_stream_space(). */
void mt_stream_added(struct mt_stream *s, size_t n);
/* Bytes buffered and not consumed (an incomplete record at the end). */
size_t mt_stream_pending(const struct mt_stream *s);

/**
 * mt_stream_next() - the next sample of the stream.
 *
 * MT_OK: *rec holds the next sample, already counted (records, seq gaps).
 * MT_NEED_MORE: nothing more in the buffer; read more.
 * MT_BAD_*: a bad record at bad->offset; the stream has already skipped to
 * the next 8-byte aligned position holding MEMTRACE_MAGIC (or to the end of
 * the buffer) and counted it; call again to go on.
 * Records of unknown types are skipped and counted, never returned.
 */
enum mt_status mt_stream_next(struct mt_stream *s, struct mt_record *rec,
			      struct mt_bad *bad);

/**
 * mt_stream_seq() - account the sequence number of a record of stream @s.
 * Returns the records lost just before it (0 when it was the expected one).
 * The first record seen sets the expectation.  A seq lower than expected
 * (the module was reloaded) restarts the expectation and counts
 * loss.backwards.
 */
uint64_t mt_stream_seq(struct mt_stream *s, uint64_t seq, uint64_t ts_ns);

/* "bad magic 0x12345678", "record format version 2 is newer than ...". */
int mt_bad_describe(const struct mt_bad *bad, char *buf, size_t len);

#endif /* MEMTRACE_READER_DECODE_H */
