/* SPDX-License-Identifier: GPL-2.0 */
/*
 * decode.h - validate and decode memtrace records (include/uapi/memtrace.h)
 * from a byte buffer into host-endian structs, and follow one CPU's byte
 * stream: partial records, resynchronisation after a bad record.  (Sequence
 * numbers and loss records are accounted in session.h.)
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
	MT_LOSS,	 /* a loss record was decoded into *rec (rec->loss) */
	MT_SKIP,	 /* a valid record of a type this reader does not know */
	MT_NEED_MORE,	 /* the buffer ends inside the record: read more */
	MT_BAD_MAGIC,	 /* hdr.magic is not MEMTRACE_MAGIC */
	MT_BAD_VERSION,	 /* hdr.version is 0 or newer than MEMTRACE_VERSION */
	MT_BAD_SIZE,	 /* hdr.size impossible for the record's type */
	MT_BAD_CPU,	 /* hdr.cpu is not the CPU whose stream holds it */
	MT_SYSTEM,	 /* a system record was decoded into *rec (rec->sys) */
	MT_CGROUP,	 /* a cgroup record was decoded into *rec (rec->cg) */
};

/* Whether @st is a valid record (consumed and counted by the stream). */
static inline bool mt_status_is_record(int st)
{
	return st == 0 /* MT_OK */ || st == MT_LOSS || st == MT_SKIP ||
	       st == MT_SYSTEM || st == MT_CGROUP;
}

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

/* The body of a decoded MEMTRACE_REC_LOSS, host-endian. */
struct mt_lossinfo {
	uint64_t lost;
	uint64_t lost_total;
	uint64_t first_seq;
	uint64_t first_ts_ns;
	uint64_t last_ts_ns;
	uint32_t flags;		/* MEMTRACE_LOSS_F_* */
};

/*
 * The body of a decoded MEMTRACE_REC_SYSTEM, host-endian: v[] holds the
 * MEMTRACE_SYSTEM_FIGURES figures from memtotal_kb on, in struct order
 * (MEMTRACE_UNKNOWN: not read).  mt_system_names[] names them.
 */
struct mt_sysinfo {
	uint64_t tick;
	uint32_t flags;		/* MEMTRACE_SYSTEM_F_* */
	uint32_t nr_cpus;
	uint64_t ticks_missed;
	uint64_t v[MEMTRACE_SYSTEM_FIGURES];
};

/*
 * The body of a decoded MEMTRACE_REC_CGROUP, host-endian: v[] the
 * MEMTRACE_CGROUP_FIGURES figures from memory_current_kb on
 * (MEMTRACE_UNKNOWN: not read); path points into the record's bytes
 * (valid as long as they are), path_len bytes, not NUL-terminated.
 */
struct mt_cginfo {
	uint64_t tick;
	uint64_t cgroup_id;
	uint32_t flags;		/* MEMTRACE_CGROUP_F_* */
	uint32_t path_len;
	uint64_t v[MEMTRACE_CGROUP_FIGURES];
	const char *path;
};

/* The CSV column names of struct mt_cginfo's v[] (memtrace-reader --cgroups). */
extern const char *const mt_cgroup_names[MEMTRACE_CGROUP_FIGURES];

/* The CSV column names of struct mt_sysinfo's v[] (memtrace-reader --system). */
extern const char *const mt_system_names[MEMTRACE_SYSTEM_FIGURES];
/* Index in v[] of the first figure of struct memtrace_system member @f. */
#define MT_SYS_IDX(f) \
	((offsetof(struct memtrace_system, f) - \
	  offsetof(struct memtrace_system, memtotal_kb)) / 8)

/*
 * One decoded record, host-endian.  For MEMTRACE_REC_SAMPLE (MT_OK) the
 * sample fields are set: comm is copied as is (up to 16 bytes, NUL-padded,
 * not always NUL-terminated) and comm_len is its length up to the first NUL.
 * For MEMTRACE_REC_LOSS (MT_LOSS) only hdr and loss are set, for
 * MEMTRACE_REC_SYSTEM (MT_SYSTEM) only hdr and sys.
 */
/* mt_record.ticks_missed of a 160-byte sample (MEMTRACE_SAMPLE_SIZE_MIN) */
#define MT_TICKS_MISSED_UNKNOWN UINT64_MAX

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
	/* MT_TICKS_MISSED_UNKNOWN in a record of a writer that predates it */
	uint64_t ticks_missed;
	/* delay accounting (flags MEMTRACE_SAMPLE_DELAYS_VALID; else 0, as in
	 * records of 168 bytes or less); compact_delay_ns may be
	 * MEMTRACE_UNKNOWN; cgroup_id 0: unknown */
	uint64_t thrashing_delay_ns;
	uint64_t swapin_delay_ns;
	uint64_t reclaim_delay_ns;
	uint64_t compact_delay_ns;
	uint64_t cgroup_id;
	/* PSS (flags MEMTRACE_SAMPLE_PSS_VALID; else 0, as in records of 208
	 * bytes or less); swap_pss_kb may be MEMTRACE_UNKNOWN */
	uint64_t pss_kb;
	uint64_t pss_anon_kb;
	uint64_t pss_file_kb;
	uint64_t pss_shmem_kb;
	uint64_t uss_kb;
	uint64_t swap_pss_kb;
	uint64_t pss_window_ns;
	/* idle ages (flags MEMTRACE_SAMPLE_IDLE_VALID; else 0, as in records
	 * of 264 bytes or less); idle_kb[i] may be MEMTRACE_UNKNOWN; idle_s[i]
	 * 0: unused slot */
	uint64_t idle_kb[MEMTRACE_IDLE_AGES];
	uint32_t idle_s[MEMTRACE_IDLE_AGES];
	struct mt_lossinfo loss;
	struct mt_sysinfo sys;
	struct mt_cginfo cg;
};

/**
 * mt_decode() - validate and decode the record at the start of @buf.
 * @buf:  bytes of a record stream, positioned at a record boundary.
 * @len:  bytes available at @buf.
 * @rec:  out: the decoded sample (MT_OK) or loss record (MT_LOSS); for
 *        every other result except MT_NEED_MORE before a whole header,
 *        rec->hdr holds the header.
 * @size: out: MT_OK / MT_LOSS / MT_SKIP: bytes to consume (hdr.size);
 *        MT_NEED_MORE: bytes needed in all (a header, or hdr.size).
 *
 * Checks magic, version (1..MEMTRACE_VERSION) and size (>= header, a
 * multiple of 8, <= MT_REC_SIZE_MAX, and >= struct memtrace_sample for
 * type SAMPLE, >= struct memtrace_loss for type LOSS, >= struct
 * memtrace_system for type SYSTEM) before it asks for
 * the rest of the record, so a corrupt header is reported at once instead
 * of stalling the stream.
 */
enum mt_status mt_decode(const void *buf, size_t len, struct mt_record *rec,
			 uint32_t *size);

/* mt_decode() that validates the same but fills only rec->hdr (for MT_OK
 * and MT_LOSS as well): the live reader decodes the body when it emits. */
enum mt_status mt_decode_hdr(const void *buf, size_t len,
			     struct mt_record *rec, uint32_t *size);

/*
 * mt_decode_valid() - decode the record at @buf that mt_decode() or
 * mt_decode_hdr() found valid, with status @st (MT_OK, MT_LOSS or MT_SKIP),
 * without checking it again: rec->hdr, and the sample or loss body.
 */
void mt_decode_valid(const void *buf, enum mt_status st, struct mt_record *rec);

/* A short English text for an mt_status ("bad magic 0x..." is composed by
 * mt_bad_describe()). */
const char *mt_status_str(enum mt_status st);

/**
 * struct mt_stream - one CPU's byte stream (a cpuN relay file).
 * @cpu:       the CPU (the N of cpuN); records must carry it in hdr.cpu.
 * @buf:       bytes read and not yet consumed are buf[pos..len).
 * @discard:   bytes still to throw away, not read yet, to stay 8-byte
 *             aligned after a bad record near the end of the buffer.
 * @offset:    byte offset in the CPU's stream of buf[pos] (+ @discard).
 * @raw:       after MT_OK / MT_LOSS / MT_SKIP: the record's bytes, valid
 *             until the next mt_stream_space(); @raw_len: their count.
 * @hdr_only:  validate records but decode only their headers.
 * @records:   samples decoded.  @losses: loss records decoded.
 * @systems:   system records decoded.
 * @skipped:   records of unknown types.
 * @bad:       bad records (each one a resynchronisation).
 * @bad_bytes: bytes thrown away while resynchronising.
 *
 * Sequence numbers are not followed here but where records leave the merge
 * (session.h), in the same way for live streams and trace files.
 */
struct mt_stream {
	unsigned int cpu;
	unsigned char *buf;
	size_t pos, len, cap;
	size_t discard;
	uint64_t offset;
	const unsigned char *raw;
	uint32_t raw_len;
	bool hdr_only;
	uint64_t records, losses, systems, cgroups, skipped, bad, bad_bytes;
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
 * mt_stream_next() - the next record of the stream.
 *
 * MT_OK / MT_LOSS / MT_SYSTEM: *rec holds the next sample / loss / system
 * record (only its header with s->hdr_only); MT_SKIP: a record of a type this reader does
 * not know (rec->hdr holds its header).
 * All four are consumed and counted, and s->raw / s->raw_len point at the
 * record's bytes.
 * MT_NEED_MORE: nothing more in the buffer; read more.
 * MT_BAD_*: a bad record at bad->offset; the stream has already skipped to
 * the next 8-byte aligned position holding MEMTRACE_MAGIC (or to the end of
 * the buffer) and counted it; call again to go on.
 */
enum mt_status mt_stream_next(struct mt_stream *s, struct mt_record *rec,
			      struct mt_bad *bad);

/*
 * mt_encode_loss() - the bytes of a struct memtrace_loss (little-endian, as
 * the module writes it) with header @h (its type and size are set here) and
 * body @l, at @dst (sizeof(struct memtrace_loss) bytes).  The reader writes
 * such records itself for losses no kernel record can report.
 */
void mt_encode_loss(void *dst, const struct mt_hdr *h,
		    const struct mt_lossinfo *l);

/*
 * mt_encode_cgroup() - the bytes of a struct memtrace_cgroup (header @h's
 * cpu, seq and ts_ns; body @c, its path cut to MEMTRACE_CGROUP_PATH_MAX)
 * at @dst, which has room for sizeof(struct memtrace_cgroup) +
 * MEMTRACE_CGROUP_PATH_MAX + 8 bytes.  Returns the record's size.
 */
size_t mt_encode_cgroup(void *dst, const struct mt_hdr *h,
			const struct mt_cginfo *c);

/* "bad magic 0x12345678", "record format version 2 is newer than ...". */
int mt_bad_describe(const struct mt_bad *bad, char *buf, size_t len);

#endif /* MEMTRACE_READER_DECODE_H */
