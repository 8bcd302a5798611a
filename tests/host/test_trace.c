// SPDX-License-Identifier: GPL-2.0
/*
 * test_trace.c - host unit tests of memtrace-reader's trace files (-w / -i),
 * loss accounting (loss records cross-checked with sequence gaps, drops
 * before the first and after the last record), the --realtime column,
 * hostile trace files, CPUs that come online, the status line, and output
 * errors.
 *
 * Records and file headers are built byte by byte at the offsets the ABI
 * and Documentation/memtrace-trace-file.rst document, not with the
 * reader's code.  In-process tests drive session.c / tracefile.c; the rest
 * run the reader binary named by $MEMTRACE_READER.
 *
 * Run: make -C tests/host check (TAP on standard output).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "crc32c.h"
#include "csvout.h"
#include "decode.h"
#include "msg.h"
#include "session.h"
#include "testlib.h"
#include "tracefile.h"

/* ---- trace file headers built by hand ------------------------------------ */

/* Byte offsets of struct memtrace_file_hdr / memtrace_file_cpu. */
enum {
	F_MAGIC = 0, F_BYTE_ORDER = 8, F_VERSION = 12, F_REC_VERSION = 14,
	F_HDR_SIZE = 16, F_FLAGS = 20, F_SAMPLE_SIZE = 24, F_LOSS_SIZE = 28,
	F_PAGE_SIZE = 32, F_CLOCK_ID = 36, F_START_MONO = 40,
	F_START_REAL = 48, F_CPU_OFF = 56, F_CPU_COUNT = 60,
	F_CPU_ENTRY = 64, F_CLOCK = 72, F_RELEASE = 88, F_HOSTNAME = 160,
	F_WRITER = 232, F_FIXED = 264,
	C_CPU = 0, C_FLAGS = 4, C_START_SEQ = 8, C_START_DROPPED = 16,
	C_ENTRY = 24,
};

struct fcpu {
	uint32_t cpu, flags;
	uint64_t seq, dropped;
};

/* A version 1 file header with @n CPU entries at @p; returns its size. */
static size_t make_fhdr(unsigned char *p, uint64_t mono, uint64_t real,
			uint32_t flags, const struct fcpu *cpus, size_t n)
{
	size_t size = F_FIXED + n * C_ENTRY;

	memset(p, 0, size);
	memcpy(p, "MTRCFILE", 8);
	p[F_BYTE_ORDER] = 4;	/* 0x01020304, little-endian */
	p[F_BYTE_ORDER + 1] = 3;
	p[F_BYTE_ORDER + 2] = 2;
	p[F_BYTE_ORDER + 3] = 1;
	put_le(p, F_VERSION, 1, 2);
	put_le(p, F_REC_VERSION, 1, 2);
	put_le(p, F_HDR_SIZE, size, 4);
	put_le(p, F_FLAGS, flags, 4);
	put_le(p, F_SAMPLE_SIZE, SAMPLE_BYTES, 4);
	put_le(p, F_LOSS_SIZE, 80, 4);
	put_le(p, F_PAGE_SIZE, 4096, 4);
	put_le(p, F_CLOCK_ID, 1, 4);
	put_le(p, F_START_MONO, mono, 8);
	put_le(p, F_START_REAL, real, 8);
	put_le(p, F_CPU_OFF, F_FIXED, 4);
	put_le(p, F_CPU_COUNT, n, 4);
	put_le(p, F_CPU_ENTRY, C_ENTRY, 4);
	memcpy(p + F_CLOCK, "mono", 4);
	memcpy(p + F_RELEASE, "6.1.0-test", 10);
	memcpy(p + F_HOSTNAME, "testhost", 8);
	memcpy(p + F_WRITER, "hand", 4);
	for (size_t i = 0; i < n; i++) {
		unsigned char *e = p + F_FIXED + i * C_ENTRY;

		put_le(e, C_CPU, cpus[i].cpu, 4);
		put_le(e, C_FLAGS, cpus[i].flags, 4);
		put_le(e, C_START_SEQ, cpus[i].seq, 8);
		put_le(e, C_START_DROPPED, cpus[i].dropped, 8);
	}
	return size;
}

/* A growable byte buffer to build files in. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 4096;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void buf_sample(struct buf *b, unsigned int cpu, uint64_t seq,
		       uint64_t ts, uint32_t tgid, const char *comm)
{
	unsigned char r[SAMPLE_BYTES];
	struct fig f = fig1;

	f.cpu = cpu;
	f.seq = seq;
	f.ts = ts;
	f.tgid = tgid;
	f.tick = ts / 1000;
	f.comm = comm;
	make_sample(r, &f);
	buf_add(b, r, sizeof(r));
}

/* A sample of tick @tick carrying ticks_missed @missed; @size bytes (a
 * 160-byte one is a writer's that predates the field). */
static void buf_sample_missed(struct buf *b, uint64_t seq, uint64_t ts,
			      uint64_t tick, uint64_t missed, uint32_t size)
{
	unsigned char r[SAMPLE_BYTES];
	struct fig f = fig1;

	f.cpu = 0;
	f.seq = seq;
	f.ts = ts;
	f.tgid = 1;
	f.tick = tick;
	f.comm = "a";
	f.missed = missed;
	make_sample(r, &f);
	put_le(r, O_SIZE, size, 4);
	buf_add(b, r, size);
}

static void buf_loss(struct buf *b, unsigned int cpu, uint64_t seq,
		     uint64_t ts, uint64_t first, uint64_t lost, uint64_t fts,
		     uint64_t lts, uint64_t total, uint32_t flags)
{
	unsigned char r[LOSS_BYTES];

	make_loss(r, cpu, seq, ts, lost, total, first, fts, lts, flags);
	buf_add(b, r, sizeof(r));
}

static uint64_t get_le(const void *p, size_t off, int bytes)
{
	const unsigned char *c = p;
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | c[off + (size_t)i];
	return v;
}

static void write_file(const char *path, const struct buf *b)
{
	spit(path, b->p ? (const void *)b->p : "", b->len, false);
}

/* ---- a session in process, messages captured ------------------------------ */

struct tsess {
	struct mt_sess s;
	FILE *csvf, *rawf, *msgf;
	struct mt_out csv, raw;
	char *msgs;
	size_t msglen;
};

static void ts_open(struct tsess *t, bool realtime, bool raw)
{
	memset(t, 0, sizeof(*t));
	t->csvf = tmpfile();
	assert_non_null(t->csvf);
	assert_int_equal(mt_out_init(&t->csv, fileno(t->csvf), "csv", 0), 0);
	if (raw) {
		t->rawf = tmpfile();
		assert_non_null(t->rawf);
		assert_int_equal(mt_out_init(&t->raw, fileno(t->rawf), "raw", 0), 0);
	}
	mt_sess_init(&t->s, &t->csv, raw ? &t->raw : NULL, realtime);
	t->msgf = open_memstream(&t->msgs, &t->msglen);
	assert_non_null(t->msgf);
	mt_msg_file = t->msgf;
}

static char *file_text(FILE *f, struct mt_out *o, size_t *len)
{
	long n;
	char *s;

	assert_int_equal(mt_out_flush(o), 0);
	n = lseek(fileno(f), 0, SEEK_END);
	assert_true(n >= 0);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(pread(fileno(f), s, (size_t)n, 0), n);
	s[n] = '\0';
	if (len)
		*len = (size_t)n;
	return s;
}

static const char *ts_msgs(struct tsess *t)
{
	fflush(t->msgf);
	return t->msgs;
}

static void ts_close(struct tsess *t)
{
	mt_msg_file = NULL;
	fclose(t->msgf);
	free(t->msgs);
	mt_sess_free(&t->s);
	mt_out_free(&t->csv);
	fclose(t->csvf);
	if (t->rawf) {
		mt_out_free(&t->raw);
		fclose(t->rawf);
	}
}

/* Begin with a start pair and a CPU table. */
/* mt_sess_begin() with a header of these fields: its return value. */
static int ts_start(struct tsess *t, uint64_t mono, uint64_t real,
		     uint32_t flags, const struct mt_tfile_cpu *cpus, size_t n)
{
	struct mt_tfile_info info;

	memset(&info, 0, sizeof(info));
	info.version = 1;
	info.rec_version = 1;
	info.sample_size = SAMPLE_BYTES;
	info.loss_size = 80;
	info.clock_id = 1;
	info.start_mono_ns = mono;
	info.start_real_ns = real;
	info.flags = flags;
	info.cpus = (struct mt_tfile_cpu *)cpus;
	info.ncpus = n;
	return mt_sess_begin(&t->s, &info);
}

static void ts_begin(struct tsess *t, uint64_t mono, uint64_t real,
		     uint32_t flags, const struct mt_tfile_cpu *cpus, size_t n)
{
	assert_int_equal(ts_start(t, mono, real, flags, cpus, n), 0);
}

/* Decode every record of @b and hand it to the session. */
static void ts_feed(struct tsess *t, const struct buf *b, unsigned int flags)
{
	size_t off = 0;

	while (off < b->len) {
		struct mt_record r;
		uint32_t size;
		enum mt_status st = mt_decode(b->p + off, b->len - off, &r, &size);

		assert_true(st == MT_OK || st == MT_LOSS || st == MT_SKIP);
		assert_int_equal(mt_sess_record(&t->s, st, &r, b->p + off, size,
						flags), 0);
		off += size;
	}
}

/*
 * The records of a version 2 file's record area (@n bytes at @p), every
 * block checked on the way: magic, size, record count (walking the
 * records by their sizes) and CRC32C (mt_crc32c(), itself checked against
 * RFC 3720's values in test_crc32c_rfc3720).  Malloc'ed, *@len bytes.
 */
static unsigned char *unblock(const unsigned char *p, size_t n, size_t *len)
{
	unsigned char *out = malloc(n ? n : 1);
	size_t off = 0;

	assert_non_null(out);
	*len = 0;
	while (off < n) {
		uint32_t size = (uint32_t)get_le(p, off + 4, 4);
		uint32_t recs = (uint32_t)get_le(p, off + 8, 4), seen = 0;
		uint32_t crc = mt_crc32c(mt_crc32c(0, p + off, 12), p + off + 16, size);

		assert_int_equal(get_le(p, off, 4), MEMTRACE_FILE_BLOCK_MAGIC);
		assert_true(size && size % 8 == 0 && off + 16 + size <= n);
		assert_int_equal(get_le(p, off + 12, 4), crc);
		for (size_t r = 0; r < size; r += get_le(p, off + 16 + r + O_SIZE, 4))
			seen++;
		assert_int_equal(seen, recs);
		memcpy(out + *len, p + off + 16, size);
		*len += size;
		off += 16 + size;
	}
	return out;
}

/* ---- loss records ------------------------------------------------------- */

static void test_loss_record_decode(void **state)
{
	unsigned char b[LOSS_BYTES + 16], enc[LOSS_BYTES];
	struct mt_record r;
	uint32_t size;

	(void)state;
	make_loss(b, 3, 0x1112131415161718ull, 0x2122232425262728ull,
		  0x3132333435363738ull, 0x4142434445464748ull,
		  0x5152535455565758ull, 0x6162636465666768ull,
		  0x7172737475767778ull, 0x81828384u);
	assert_int_equal(mt_decode(b, LOSS_BYTES, &r, &size), MT_LOSS);
	assert_int_equal(size, LOSS_BYTES);
	assert_int_equal(r.hdr.type, MEMTRACE_REC_LOSS);
	assert_int_equal(r.hdr.cpu, 3);
	assert_true(r.hdr.seq == 0x1112131415161718ull);
	assert_true(r.hdr.ts_ns == 0x2122232425262728ull);
	assert_true(r.loss.lost == 0x3132333435363738ull);
	assert_true(r.loss.lost_total == 0x4142434445464748ull);
	assert_true(r.loss.first_seq == 0x5152535455565758ull);
	assert_true(r.loss.first_ts_ns == 0x6162636465666768ull);
	assert_true(r.loss.last_ts_ns == 0x7172737475767778ull);
	assert_int_equal(r.loss.flags, 0x81828384u);
	/* The reader's encoder writes the same bytes (reserved stays 0). */
	mt_encode_loss(enc, &r.hdr, &r.loss);
	assert_memory_equal(enc, b, LOSS_BYTES);
	/* Too short for a loss record; too short before the whole header
	 * is known; longer (fields appended later) is fine. */
	put_le(b, O_SIZE, 72, 4);
	assert_int_equal(mt_decode(b, LOSS_BYTES, &r, &size), MT_BAD_SIZE);
	put_le(b, O_SIZE, LOSS_BYTES + 16, 4);
	assert_int_equal(mt_decode(b, LOSS_BYTES, &r, &size), MT_NEED_MORE);
	assert_int_equal(size, LOSS_BYTES + 16);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_LOSS);
	assert_int_equal(size, LOSS_BYTES + 16);
}

/* ---- the file header ------------------------------------------------------ */

static void test_file_header_encode(void **state)
{
	struct mt_tfile_cpu cpus[2] = {
		{ .cpu = 0, .flags = 3, .start_seq = 10, .start_dropped = 4 },
		{ .cpu = 7, .flags = 1, .start_seq = 0x0102030405060708ull },
	};
	struct mt_tfile_info info, got;
	unsigned char *p, want[F_FIXED + 2 * C_ENTRY];
	struct fcpu fc[2] = { { 0, 3, 10, 4 }, { 7, 1, 0x0102030405060708ull, 0 } };
	struct mt_terr err;
	size_t len, need;

	(void)state;
	memset(&info, 0, sizeof(info));
	info.version = 1;
	info.rec_version = 1;
	info.flags = MEMTRACE_FILE_F_CPUS_COMPLETE;
	info.sample_size = SAMPLE_BYTES;
	info.loss_size = 80;
	info.page_size = 4096;
	info.clock_id = 1;
	info.start_mono_ns = 123456789;
	info.start_real_ns = 1795000000000000000ull;
	strcpy(info.clock, "mono");
	strcpy(info.release, "6.1.0-test");
	strcpy(info.hostname, "testhost");
	strcpy(info.writer, "hand");
	info.cpus = cpus;
	info.ncpus = 2;
	assert_int_equal(mt_tfile_encode(&info, &p, &len), 0);
	/* Byte for byte what the format page documents. */
	assert_int_equal(len, sizeof(want));
	make_fhdr(want, 123456789, 1795000000000000000ull, 1, fc, 2);
	put_le(want, F_VERSION, MEMTRACE_FILE_VERSION, 2);
	assert_memory_equal(p, want, len);

	/* Any prefix asks for more; the whole decodes to the same. */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(mt_tfile_decode(p, n, &got, &need, &err), 1);
	assert_int_equal(mt_tfile_decode(p, len, &got, &need, &err), 0);
	/* the encoder writes its own version, whatever info.version says */
	assert_int_equal(got.version, MEMTRACE_FILE_VERSION);
	assert_int_equal(got.hdr_size, len);
	assert_int_equal(got.flags, MEMTRACE_FILE_F_CPUS_COMPLETE);
	assert_int_equal(got.page_size, 4096);
	assert_true(got.start_mono_ns == 123456789);
	assert_true(got.start_real_ns == 1795000000000000000ull);
	assert_string_equal(got.clock, "mono");
	assert_string_equal(got.release, "6.1.0-test");
	assert_string_equal(got.hostname, "testhost");
	assert_string_equal(got.writer, "hand");
	assert_int_equal(got.ncpus, 2);
	assert_int_equal(got.cpus[1].cpu, 7);
	assert_true(got.cpus[1].start_seq == 0x0102030405060708ull);
	assert_int_equal(got.cpus[0].flags, 3);
	assert_true(got.cpus[0].start_dropped == 4);
	mt_tfile_info_free(&got);
	free(p);

	/* This machine's: a sane time pair, uname filled in. */
	mt_tfile_info_now(&info);
	assert_true(info.start_mono_ns > 0);
	assert_true(info.start_real_ns > 1500000000ull * 1000000000ull);
	assert_true(info.release[0] != '\0');
	assert_string_equal(info.clock, "mono");
	mt_tfile_info_free(&info);
}

static void test_file_header_bad(void **state)
{
	static const struct {
		size_t off;
		int bytes;
		uint64_t val;
		uint64_t err_off;
		const char *what;
	} cases[] = {
		{ 0, 1, 'X', 0, "bad magic: not a memtrace trace file" },
		{ 7, 1, 'e', 0, "bad magic" },
		{ F_BYTE_ORDER, 4, 0x04030201, F_BYTE_ORDER, "big-endian trace file" },
		{ F_BYTE_ORDER, 4, 0x12345678, F_BYTE_ORDER, "bad byte-order mark 0x12345678" },
		{ F_VERSION, 2, 0, F_VERSION, "trace file format version 0 is invalid" },
		{ F_VERSION, 2, 3, F_VERSION,
		  "trace file format version 3 is newer than this reader's 2: update memtrace-reader" },
		{ F_HDR_SIZE, 4, 100, F_HDR_SIZE, "impossible file header size 100" },
		{ F_HDR_SIZE, 4, 268, F_HDR_SIZE, "impossible file header size 268" },
		{ F_HDR_SIZE, 4, 1u << 21, F_HDR_SIZE, "impossible file header size" },
		{ F_SAMPLE_SIZE, 4, 152, F_SAMPLE_SIZE, "impossible sample record size 152" },
		{ F_LOSS_SIZE, 4, 0, F_LOSS_SIZE, "impossible loss record size 0" },
		{ F_CLOCK_ID, 4, 7, F_CLOCK_ID, "clock 7 is not supported" },
		{ F_CPU_OFF, 4, 8, F_CPU_OFF, "impossible CPU table offset 8" },
		{ F_CPU_ENTRY, 4, 20, F_CPU_ENTRY, "impossible CPU table entry size 20" },
		{ F_CPU_COUNT, 4, 0xffffffffu, F_CPU_COUNT, "does not fit" },
	};
	struct fcpu fc = { 0, 1, 0, 0 };
	unsigned char b[F_FIXED + C_ENTRY];
	struct mt_tfile_info info;
	struct mt_terr err;
	size_t need;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_fhdr(b, 1, 2, 0, &fc, 1);
		put_le(b, cases[i].off, cases[i].val, cases[i].bytes);
		memset(&err, 0, sizeof(err));
		if (mt_tfile_decode(b, sizeof(b), &info, &need, &err) != -1)
			fail_msg("case %zu decoded", i);
		assert_int_equal(err.offset, cases[i].err_off);
		if (!strstr(err.what, cases[i].what))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.what, cases[i].what);
	}
	/* Early: a wrong first byte, a newer version, from the first bytes. */
	make_fhdr(b, 1, 2, 0, NULL, 0);
	b[0] = 'Z';
	assert_int_equal(mt_tfile_decode(b, 1, &info, &need, &err), -1);
	make_fhdr(b, 1, 2, 0, NULL, 0);
	put_le(b, F_VERSION, 9, 2);
	assert_int_equal(mt_tfile_decode(b, 14, &info, &need, &err), -1);
	/* A cpuN relay stream given as a trace file. */
	make_sample(b, &fig1);
	assert_int_equal(mt_tfile_decode(b, SAMPLE_BYTES, &info, &need, &err), -1);
	assert_non_null(strstr(err.what, "raw record stream"));
}

/*
 * Within a version, the header only grows: fields appended after the ones
 * a reader knows and a bigger CPU entry are skipped by hdr_size,
 * cpu_table_off and cpu_entry_size, so this reader decodes such a file.
 */
static void test_file_header_grown(void **state)
{
	char path[PATH_MAX], *csv;
	unsigned char h[F_FIXED + 32 + 2 * 32];
	struct buf b = { 0 };
	struct tsess t;

	(void)state;
	memset(h, 0, sizeof(h));
	make_fhdr(h, 1000, 5000000000ull, 0, NULL, 0);
	put_le(h, F_HDR_SIZE, sizeof(h), 4);
	memset(h + F_FIXED, 0xee, 32);			/* unknown fields */
	put_le(h, F_CPU_OFF, F_FIXED + 32, 4);
	put_le(h, F_CPU_COUNT, 2, 4);
	put_le(h, F_CPU_ENTRY, 32, 4);
	for (int i = 0; i < 2; i++) {
		unsigned char *e = h + F_FIXED + 32 + 32 * i;

		put_le(e, C_CPU, (uint64_t)(i * 2), 4);
		put_le(e, C_FLAGS, 1, 4);
		put_le(e, C_START_SEQ, 5, 8);
		memset(e + 24, 0xdd, 8);		/* unknown field */
	}
	buf_add(&b, h, sizeof(h));
	buf_sample(&b, 0, 5, 2000, 1, "x");
	buf_sample(&b, 2, 5, 3000, 2, "y");
	snprintf(path, sizeof(path), "%s/grown.dat", tmpdir);
	write_file(path, &b);

	ts_open(&t, false, false);
	{
		int fd = open(path, O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(mt_sess_read_trace(&t.s, fd, path, 0, 0), 0);
		close(fd);
	}
	csv = file_text(t.csvf, &t.csv, NULL);
	assert_non_null(strstr(csv, "\n2000,0,5,2,1,x,"));
	assert_non_null(strstr(csv, "\n3000,2,5,3,2,y,"));
	assert_int_equal(t.s.lost, 0);		/* start seq 5 was read */
	free(csv);
	ts_close(&t);
	free(b.p);
}

/* ---- sequence and loss accounting (session.c) ---------------------------- */

static void test_sess_loss_records_agree(void **state)
{
	struct mt_tfile_cpu cpus[] = {
		{ .cpu = 0, .flags = 3, .start_seq = 10, .start_dropped = 100 },
	};
	struct buf b = { 0 };
	struct tsess t;
	const char *m;

	(void)state;
	ts_open(&t, false, false);
	ts_begin(&t, 500, 0, MEMTRACE_FILE_F_CPUS_COMPLETE, cpus, 1);
	/* The module's loss record covers seqs 5..11, of which 5..9 were
	 * lost before this session (start seq 10): only 10, 11 count. */
	buf_loss(&b, 0, 12, 900, 5, 7, 150, 850, 107, 0);
	buf_sample(&b, 0, 12, 900, 1, "a");
	buf_sample(&b, 0, 13, 1000, 1, "a");
	/* Two loss records before one sample, the second repeating the
	 * first run (the union counts): seqs 14..18. */
	buf_loss(&b, 0, 16, 1100, 14, 2, 1010, 1020, 109, 0);
	buf_loss(&b, 0, 19, 1200, 14, 5, 1010, 1190, 112, 0);
	buf_sample(&b, 0, 19, 1200, 1, "a");
	/* cpu3 is not in the complete table: it started at seq 0. */
	buf_loss(&b, 3, 2, 1300, 0, 2, 1250, 1260, 2, 0);
	buf_sample(&b, 3, 2, 1300, 2, "b");
	ts_feed(&t, &b, 0);
	/* End: cpu0's stats say seq 22, dropped 109 (100 + 2 + 5 + 2): 20,
	 * 21 lost after the last record. */
	assert_int_equal(mt_sess_end_cpu(&t.s, 0, 22, true, 109, 5000), 0);
	assert_int_equal(mt_sess_end_cpu(&t.s, 3, 3, true, 2, 5000), 0);
	assert_int_equal(t.s.mismatches, 0);
	assert_false(mt_sess_failed(&t.s));
	assert_int_equal(t.s.lost, 2 + 5 + 2 + 2);
	assert_int_equal(t.s.emitted, 4);
	assert_int_equal(t.s.loss_records, 4);
	assert_int_equal(t.s.reader_records, 2);
	mt_sess_summary(&t.s, false);
	m = ts_msgs(&t);
	/* lost (seq gaps) = dropped (stats): 109 - 100 on cpu0, 2 - 0 on cpu3 */
	assert_non_null(strstr(m, "4 records from 2 processes in 2 ticks, 11 lost (seq gaps), 11 dropped (stats)\n"));
	assert_non_null(strstr(m, "cpu0: 9 records lost in 3 gaps between ts_ns 150 and 5000, 9 dropped (stats)\n"));
	assert_non_null(strstr(m, "cpu0:   2 lost (seq 10..11) between ts_ns 150 and 850: loss record\n"));
	assert_non_null(strstr(m, "cpu0:   5 lost (seq 14..18) between ts_ns 1010 and 1190: loss record\n"));
	assert_non_null(strstr(m, "cpu0:   2 lost (seq 20..21) between ts_ns 1200 and 5000: after the last record read, from stats at the end\n"));
	assert_non_null(strstr(m, "cpu3: 2 records lost in 1 gaps between ts_ns 1250 and 1260, 2 dropped (stats)\n"));
	assert_non_null(strstr(m, "11 of 15 records lost (73.33%)\n"));
	assert_non_null(strstr(m, "subbuf_size"));
	assert_null(strstr(m, "says"));
	ts_close(&t);
	free(b.p);
}

/* A sink that counts what it is given, and fails on its @fail_at-th record. */
struct count_sink {
	int begins, samples, losses, ends;
	uint64_t lost, first_ts[8], last_ts[8];
	int fail_at;
};

static int cs_begin(void *ctx, const struct mt_sess *s)
{
	(void)s;
	((struct count_sink *)ctx)->begins++;
	return 0;
}

static int cs_record(void *ctx, const struct mt_sess *s, enum mt_status st,
		     const struct mt_record *rec)
{
	struct count_sink *c = ctx;

	(void)s;
	(void)rec;
	if (st == MT_OK)
		c->samples++;
	else if (st == MT_LOSS)
		c->losses++;
	return c->fail_at && c->samples + c->losses == c->fail_at;
}

static int cs_loss(void *ctx, const struct mt_sess *s, uint32_t cpu,
		   const struct mt_run *run)
{
	struct count_sink *c = ctx;
	int i;

	(void)s;
	(void)cpu;
	for (i = 0; i < 8 && c->last_ts[i]; i++)
		;
	if (i < 8) {
		c->first_ts[i] = run->first_ts;
		c->last_ts[i] = run->last_ts;
	}
	c->lost += run->lost;
	return 0;
}

static int cs_end(void *ctx, const struct mt_sess *s)
{
	(void)s;
	((struct count_sink *)ctx)->ends++;
	return 0;
}

/*
 * Sinks (the HTML, Perfetto, metrics and top outputs) see each record the
 * CSV sees and each loss run the summary reports, in order; one that fails
 * is called no more and fails the session, the others go on.
 */
static void test_sess_sinks(void **state)
{
	struct count_sink a = { 0 }, b = { .fail_at = 2 };
	struct mt_sink ka = { "a", &a, cs_begin, cs_record, cs_loss, cs_end, false };
	struct mt_sink kb = { "b", &b, cs_begin, cs_record, cs_loss, cs_end, false };
	struct mt_tfile_cpu cpus[] = {
		{ .cpu = 0, .flags = 3, .start_seq = 10, .start_dropped = 100 },
	};
	struct buf buf = { 0 };
	struct tsess t;

	(void)state;
	ts_open(&t, false, false);
	assert_int_equal(mt_sess_add_sink(&t.s, &ka), 0);
	assert_int_equal(mt_sess_add_sink(&t.s, &kb), 0);
	ts_begin(&t, 500, 0, MEMTRACE_FILE_F_CPUS_COMPLETE, cpus, 1);
	buf_loss(&buf, 0, 12, 900, 5, 7, 150, 850, 107, 0);
	buf_sample(&buf, 0, 12, 900, 1, "a");
	buf_sample(&buf, 0, 13, 1000, 1, "a");
	/* seqs 14..15 lost without a loss record: a gap the session finds */
	buf_sample(&buf, 0, 16, 1200, 1, "a");
	ts_feed(&t, &buf, 0);
	assert_int_equal(mt_sess_end_cpu(&t.s, 0, 19, true, 106, 5000), 0);
	assert_int_equal(mt_sess_end_sinks(&t.s), -1);
	assert_int_equal(mt_sess_end_sinks(&t.s), -1);	/* once */
	assert_int_equal(a.begins, 1);
	assert_int_equal(a.ends, 1);
	assert_int_equal(a.samples, 3);
	/* the module's loss record and the reader's end record */
	assert_int_equal(a.losses, 2);
	/* 10..11 (loss record), 14..15 (gap), 17..18 (at the end) */
	assert_int_equal(a.lost, 6);
	assert_int_equal(a.lost, t.s.lost);
	assert_int_equal(a.first_ts[0], 150);
	assert_int_equal(a.last_ts[0], 850);
	assert_int_equal(a.first_ts[1], 1000);
	assert_int_equal(a.last_ts[1], 1200);
	assert_int_equal(a.first_ts[2], 1200);
	assert_int_equal(a.last_ts[2], 5000);
	/* b failed on its 2nd record (the 1st sample): nothing after */
	assert_int_equal(b.losses + b.samples, 2);
	assert_int_equal(b.ends, 0);
	assert_true(mt_sess_failed(&t.s));
	ts_close(&t);
	free(buf.p);
}

/*
 * A start that fails (a header of more than MT_CPUS_MAX CPUs) begins no
 * sink, and mt_sess_end_sinks() then ends none; after a good start, a
 * record the session refuses (MT_SESS_ECPUS: the 65537th CPU) goes to no
 * sink.
 */
static void test_sess_sinks_not_begun(void **state)
{
	struct count_sink a = { 0 }, c = { 0 };
	struct mt_sink ka = { "a", &a, cs_begin, cs_record, cs_loss, cs_end, false };
	struct mt_sink kc = { "c", &c, cs_begin, cs_record, cs_loss, cs_end, false };
	struct mt_tfile_cpu *cpus = calloc(MT_CPUS_MAX + 1, sizeof(*cpus));
	struct buf buf = { 0 };
	struct tsess t;
	size_t off = 0;
	int refused = 0;

	(void)state;
	assert_non_null(cpus);
	for (uint32_t i = 0; i <= MT_CPUS_MAX; i++)
		cpus[i].cpu = i;
	ts_open(&t, false, false);
	assert_int_equal(mt_sess_add_sink(&t.s, &ka), 0);
	assert_int_equal(ts_start(&t, 500, 0, 0, cpus, MT_CPUS_MAX + 1),
			 MT_SESS_ECPUS);
	assert_int_equal(mt_sess_end_sinks(&t.s), 0);
	assert_int_equal(a.begins, 0);
	assert_int_equal(a.ends, 0);
	ts_close(&t);
	free(cpus);

	ts_open(&t, false, false);
	assert_int_equal(mt_sess_add_sink(&t.s, &kc), 0);
	ts_begin(&t, 500, 0, 0, NULL, 0);
	for (unsigned int cpu = 0; cpu <= MT_CPUS_MAX; cpu++)
		buf_sample(&buf, cpu, 0, 1000, 1, "a");
	while (off < buf.len) {
		struct mt_record r;
		uint32_t size;
		enum mt_status st = mt_decode(buf.p + off, buf.len - off, &r, &size);

		assert_int_equal(st, MT_OK);
		refused += mt_sess_record(&t.s, st, &r, buf.p + off, size, 0) ==
			   MT_SESS_ECPUS;
		off += size;
	}
	assert_int_equal(refused, 1);
	assert_int_equal(c.samples, MT_CPUS_MAX);
	assert_int_equal(t.s.emitted, MT_CPUS_MAX);
	assert_int_equal(mt_sess_end_sinks(&t.s), 0);
	assert_int_equal(c.begins, 1);
	assert_int_equal(c.ends, 1);
	ts_close(&t);
	free(buf.p);
}

/*
 * Missed ticks are in the data (each sample's ticks_missed, a count since
 * the module loaded) and the summary says how many, where, and what to do:
 * never "0 lost" when the sampler did not keep up.
 */
static void test_sess_ticks_missed(void **state)
{
	struct buf b = { 0 };
	struct tsess t;
	const char *m;
	char *csv;

	(void)state;
	ts_open(&t, false, false);
	ts_begin(&t, 500, 0, 0, NULL, 0);
	/* 100 missed before the session: not its own */
	buf_sample_missed(&b, 0, 1000, 1, 100, SAMPLE_BYTES);
	buf_sample_missed(&b, 1, 2000, 2, 100, SAMPLE_BYTES);
	/* 3 ticks did not run between ts 2000 and 6000, 2 more before 9000 */
	buf_sample_missed(&b, 2, 6000, 6, 103, SAMPLE_BYTES);
	buf_sample_missed(&b, 3, 7000, 7, 103, SAMPLE_BYTES);
	buf_sample_missed(&b, 4, 9000, 10, 105, SAMPLE_BYTES);
	/* a 160-byte record (an older module) says nothing either way */
	buf_sample_missed(&b, 5, 9500, 11, 0, SAMPLE_BYTES_V1);
	ts_feed(&t, &b, 0);
	mt_sess_summary(&t.s, true);
	m = ts_msgs(&t);
	assert_non_null(strstr(m, "5 ticks missed (45.45% of 11 due), in 2 stretches between ts_ns 2000 and 9000: no process was sampled at those ticks"));
	assert_non_null(strstr(m, "sample less often (-I MS)"));
	/* not counted as records lost to full buffers */
	assert_int_equal(t.s.lost, 0);
	assert_null(strstr(m, "subbuf_size"));
	csv = file_text(t.csvf, &t.csv, NULL);
	assert_non_null(strstr(csv, ",800000,,,100,,,,,,,,,,,,\n"));
	assert_non_null(strstr(csv, ",800000,,,105,,,,,,,,,,,,\n"));
	/* the older record: the column is empty, not 0 */
	assert_non_null(strstr(csv, ",800000,,,,,,,,,,,,,,,\n"));
	free(csv);
	ts_close(&t);
	free(b.p);
}

static void test_sess_loss_records_disagree(void **state)
{
	struct mt_tfile_cpu cpus[] = {
		{ .cpu = 0, .flags = 1, .start_seq = 10 },
		{ .cpu = 1, .flags = 1, .start_seq = 3 },
		{ .cpu = 2, .flags = 1, .start_seq = 0 },
	};
	struct buf b = { 0 };
	struct tsess t;
	const char *m;

	(void)state;
	ts_open(&t, false, false);
	ts_begin(&t, 0, 0, 0, cpus, 3);
	/* Loss record: 3 lost (12..14); the gap before seq 14 is 2. */
	buf_sample(&b, 0, 10, 100, 1, "a");
	buf_sample(&b, 0, 11, 200, 1, "a");
	buf_loss(&b, 0, 15, 300, 12, 3, 210, 290, 3, 0);
	buf_sample(&b, 0, 14, 300, 1, "a");
	/* A gap of 2 with no loss record. */
	buf_sample(&b, 1, 5, 400, 2, "b");
	ts_feed(&t, &b, 0);
	free(b.p);
	/* After bytes were skipped in a stream, a missing loss record may
	 * have been among them: no complaint, but the gap counts. */
	memset(&b, 0, sizeof(b));
	buf_sample(&b, 2, 4, 500, 3, "c");
	ts_feed(&t, &b, MT_SESS_AFTER_BAD);
	assert_int_equal(t.s.mismatches, 2);
	assert_true(mt_sess_failed(&t.s));
	assert_int_equal(t.s.lost, 2 + 2 + 4);
	m = ts_msgs(&t);
	assert_non_null(strstr(m, "memtrace-reader: cpu0: loss record says 3 lost, sequence gap says 2\n"));
	assert_non_null(strstr(m, "memtrace-reader: cpu1: sequence gap says 2 lost before seq 5, but no loss record reports them\n"));
	assert_null(strstr(m, "cpu2:"));
	mt_sess_summary(&t.s, true);
	m = ts_msgs(&t);
	assert_non_null(strstr(m, "2 disagreements between loss records and sequence gaps"));
	/* No stats at the end: the delta is unknown. */
	assert_non_null(strstr(m, "cpu1: 2 records lost in 1 gaps between ts_ns 0 and 400, ? dropped (stats)"));
	ts_close(&t);
	free(b.p);
}

static void test_sess_unknown_start_and_backwards(void **state)
{
	struct buf b = { 0 };
	struct tsess t;
	const char *m;

	(void)state;
	ts_open(&t, false, false);
	ts_begin(&t, 0, 0, 0, NULL, 0);
	/* No start figure: the first sample sets the expectation, and the
	 * loss record before it cannot be checked. */
	buf_loss(&b, 4, 100, 50, 90, 10, 10, 40, 10, 0);
	buf_sample(&b, 4, 100, 50, 1, "a");
	buf_sample(&b, 4, 101, 60, 1, "a");
	/* The module was reloaded: seq starts over. */
	buf_sample(&b, 4, 0, 70, 1, "a");
	buf_sample(&b, 4, 1, 80, 1, "a");
	/* An unknown record type is skipped. */
	{
		unsigned char u[48];

		make_hdr(u, 48, 9, 4, 2, 85);
		buf_add(&b, u, sizeof(u));
	}
	ts_feed(&t, &b, 0);
	assert_int_equal(t.s.lost, 0);
	assert_int_equal(t.s.mismatches, 0);
	assert_int_equal(t.s.skipped, 1);
	mt_sess_summary(&t.s, false);
	m = ts_msgs(&t);
	assert_non_null(strstr(m, "cpu4: sequence number went back from 102 to 0 (module reloaded?)"));
	assert_non_null(strstr(m, "4 records from 1 processes in 1 ticks, 0 lost (seq gaps), ? dropped (stats)"));
	assert_non_null(strstr(m, "1 records of unknown types skipped"));
	assert_null(strstr(m, "subbuf_size"));
	ts_close(&t);
	free(b.p);
}

/* The reader's end record: written to the raw output byte-exactly. */
static void test_sess_end_record_bytes(void **state)
{
	struct mt_tfile_cpu cpus[] = {
		{ .cpu = 5, .flags = 3, .start_seq = 7, .start_dropped = 1 },
	};
	unsigned char want[LOSS_BYTES], *recs;
	struct buf b = { 0 };
	struct tsess t;
	char *raw;
	size_t len, rlen;

	(void)state;
	ts_open(&t, false, true);
	ts_begin(&t, 100, 0, MEMTRACE_FILE_F_CPUS_COMPLETE, cpus, 1);
	buf_sample(&b, 5, 7, 300, 1, "a");
	ts_feed(&t, &b, 0);
	assert_int_equal(mt_sess_end_cpu(&t.s, 5, 12, true, 5, 9000), 0);
	/* A CPU without a record: its start (7 dropped) to its end. */
	assert_int_equal(mt_sess_end_cpu(&t.s, 6, 3, false, 0, 9000), 0);
	assert_int_equal(mt_sess_flush(&t.s), 0);
	raw = file_text(t.rawf, &t.raw, &len);
	/* one block: its header, the sample, the two end records */
	assert_int_equal(len, F_FIXED + C_ENTRY + 16 + SAMPLE_BYTES + 2 * LOSS_BYTES);
	recs = unblock((unsigned char *)raw + F_FIXED + C_ENTRY,
		       len - F_FIXED - C_ENTRY, &rlen);
	assert_int_equal(rlen, SAMPLE_BYTES + 2 * LOSS_BYTES);
	assert_memory_equal(recs, b.p, SAMPLE_BYTES);
	/* seqs 8..11 lost after the last record (ts 300) until the end. */
	/* the reader writes its own record format version */
	make_loss(want, 5, 12, 9000, 4, 5, 8, 300, 9000, MEMTRACE_LOSS_F_READER);
	put_le(want, O_VERSION, MEMTRACE_VERSION, 2);
	assert_memory_equal(recs + SAMPLE_BYTES, want, LOSS_BYTES);
	make_loss(want, 6, 3, 9000, 3, 0, 0, 100, 9000, MEMTRACE_LOSS_F_READER);
	put_le(want, O_VERSION, MEMTRACE_VERSION, 2);
	assert_memory_equal(recs + SAMPLE_BYTES + LOSS_BYTES, want, LOSS_BYTES);
	free(recs);
	assert_int_equal(t.s.lost, 4 + 3);
	free(raw);
	ts_close(&t);
	free(b.p);
}

/* ---- the time column ------------------------------------------------------ */

static void test_csv_time_format(void **state)
{
	static const struct {
		int64_t ns;
		const char *s;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000000000Z" },
		{ 1, "1970-01-01T00:00:00.000000001Z" },
		{ -1, "1969-12-31T23:59:59.999999999Z" },
		{ 951782400123456789, "2000-02-29T00:00:00.123456789Z" },
		{ 1795368000123456789, "2026-11-22T17:20:00.123456789Z" },
		{ 4107542399999999999, "2100-02-28T23:59:59.999999999Z" },
		{ INT64_MAX, "2262-04-11T23:47:16.854775807Z" },
		{ INT64_MIN, "1677-09-21T00:12:43.145224192Z" },
	};
	char buf[MT_CSV_TIME_LEN + 1], want[64];
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mt_csv_time(buf, cases[i].ns), MT_CSV_TIME_LEN);
		buf[MT_CSV_TIME_LEN] = '\0';
		assert_string_equal(buf, cases[i].s);
	}
	/* Against gmtime_r over the whole int64 range. */
	for (int i = 0; i < 200000; i++) {
		int64_t ns, sec, frac;
		struct tm tm;
		time_t tt;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ns = (int64_t)x;
		sec = ns / 1000000000;
		frac = ns % 1000000000;
		if (frac < 0) {
			frac += 1000000000;
			sec--;
		}
		tt = (time_t)sec;
		assert_non_null(gmtime_r(&tt, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (long long)frac);
		mt_csv_time(buf, ns);
		buf[MT_CSV_TIME_LEN] = '\0';
		assert_string_equal(buf, want);
	}
}

static void test_sess_realtime_rows(void **state)
{
	struct buf b = { 0 };
	struct tsess t;
	char *csv;

	(void)state;
	ts_open(&t, true, false);
	/* CLOCK_MONOTONIC 5 s <-> 2026-11-22T17:20:00.123456789Z */
	ts_begin(&t, 5000000000ull, 1795368000123456789ull, 0, NULL, 0);
	buf_sample(&b, 0, 0, 5000000000ull, 1, "a");	/* the start itself */
	buf_sample(&b, 0, 1, 6500000001ull, 1, "a");	/* 1.5 s later */
	buf_sample(&b, 0, 2, 4000000000ull, 1, "a");	/* 1 s before */
	ts_feed(&t, &b, 0);
	csv = file_text(t.csvf, &t.csv, NULL);
	assert_string_equal(csv,
		"ts_ns,cpu,seq,tick,pid,comm,vsz_kb,rss_kb,rss_anon_kb,rss_file_kb,"
		"rss_shmem_kb,swap_kb,hwm_kb,minflt,majflt,utime_ns,stime_ns,wss_kb,wss_window_ms,ticks_missed,"
		"thrashing_delay_ns,swapin_delay_ns,reclaim_delay_ns,compact_delay_ns,cgroup_id,"
		"pss_kb,pss_anon_kb,pss_file_kb,pss_shmem_kb,uss_kb,swap_pss_kb,pss_window_ms,time\n"
		"5000000000,0,0,5000000,1,a,10000,330,100,200,30,4,400,5000,6,7000000,800000,,,9,,,,,,,,,,,,,2026-11-22T17:20:00.123456789Z\n"
		"6500000001,0,1,6500000,1,a,10000,330,100,200,30,4,400,5000,6,7000000,800000,,,9,,,,,,,,,,,,,2026-11-22T17:20:01.623456790Z\n"
		"4000000000,0,2,4000000,1,a,10000,330,100,200,30,4,400,5000,6,7000000,800000,,,9,,,,,,,,,,,,,2026-11-22T17:19:59.123456789Z\n");
	free(csv);
	ts_close(&t);
	free(b.p);
}

/* ---- a whole trace file, any read sizes ------------------------------------ */

static void make_good_file(struct buf *b)
{
	struct fcpu fc[] = { { 0, 3, 0, 0 }, { 2, 3, 7, 1 } };
	unsigned char h[F_FIXED + 2 * C_ENTRY], u[40];

	make_fhdr(h, 1000, 1795368000000000000ull, 1, fc, 2);
	buf_add(b, h, sizeof(h));
	buf_sample(b, 0, 0, 1000, 11, "a");
	buf_sample(b, 2, 7, 2000, 21, "e,f");
	buf_loss(b, 0, 3, 3000, 1, 2, 1500, 2500, 2, 0);
	buf_sample(b, 0, 3, 3000, 12, "b");
	make_hdr(u, 40, 11, 2, 8, 3500);	/* unknown type */
	buf_add(b, u, sizeof(u));
	buf_sample(b, 2, 8, 4000, 22, "g");
	buf_loss(b, 0, 4, 9000, 4, 0, 3000, 9000, 2, MEMTRACE_LOSS_F_READER);
	buf_loss(b, 2, 10, 9000, 9, 1, 4000, 9000, 2, MEMTRACE_LOSS_F_READER);
}

/* ---- version 2: checksummed blocks --------------------------------------- */

/* RFC 3720, appendix B.4: CRC32C of 32 bytes each; and "123456789". */
static void test_crc32c_rfc3720(void **state)
{
	unsigned char zeros[32] = { 0 }, ones[32], inc[32], dec[32];

	(void)state;
	memset(ones, 0xff, sizeof(ones));
	for (int i = 0; i < 32; i++) {
		inc[i] = (unsigned char)i;
		dec[i] = (unsigned char)(31 - i);
	}
	/* the table, then the crc32 instruction where the CPU has it */
	for (int hw = 0; hw < 2; hw++) {
		mt_crc32c_use_hw(hw);
		assert_int_equal(mt_crc32c(0, zeros, 32), 0x8a9136aa);
		assert_int_equal(mt_crc32c(0, ones, 32), 0x62a8ab43);
		assert_int_equal(mt_crc32c(0, inc, 32), 0x46dd794e);
		assert_int_equal(mt_crc32c(0, dec, 32), 0x113fdb5c);
		assert_int_equal(mt_crc32c(0, "123456789", 9), 0xe3069283);
		/* in two pieces, at an odd split */
		assert_int_equal(mt_crc32c(mt_crc32c(0, inc, 13), inc + 13, 19),
				 0x46dd794e);
	}
	mt_crc32c_use_hw(true);
}

/* The instruction's paths (one chain; three lanes from 3 KiB on) give the
 * table's CRC, which RFC 3720's values check above: every length around the
 * lane threshold and the lane split, at three alignments. */
static void test_crc32c_paths_agree(void **state)
{
	static const size_t lens[] = { 0, 1, 7, 8, 9, 23, 24, 25, 3071, 3072,
				       3073, 3080, 4096, 5000, 65536, 65537,
				       100003 };
	size_t max = 100003 + 3;
	unsigned char *b = malloc(max);
	uint32_t x = 2463534242u;

	(void)state;
	assert_non_null(b);
	for (size_t i = 0; i < max; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = (unsigned char)x;
	}
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		for (size_t off = 0; off < 3; off++) {
			uint32_t t, h;

			mt_crc32c_use_hw(false);
			t = mt_crc32c(0x1234u, b + off, lens[k]);
			mt_crc32c_use_hw(true);
			h = mt_crc32c(0x1234u, b + off, lens[k]);
			if (t != h)
				fail_msg("%zu bytes at offset %zu: table %08x, instruction %08x",
					 lens[k], off, t, h);
		}
	}
	free(b);
}

struct tcount {
	unsigned int records;
};

static int count_record(void *ctx, enum mt_status st, const struct mt_record *rec,
			const void *raw, uint32_t len, uint64_t offset)
{
	(void)st;
	(void)rec;
	(void)raw;
	(void)len;
	(void)offset;
	((struct tcount *)ctx)->records++;
	return 0;
}

/* Decode @n bytes at @p in one go: 0 or -1 (then *@err), records counted. */
static int decode_all(const unsigned char *p, size_t n, unsigned int *records,
		      struct mt_terr *err)
{
	struct tcount c = { 0 };
	struct mt_tread t = { .on_record = count_record, .ctx = &c };
	unsigned char *room;
	size_t avail;
	int ret;

	assert_int_equal(mt_tread_init(&t, n + 4096), 0);
	room = mt_tread_space(&t, &avail);
	assert_true(avail >= n);
	memcpy(room, p, n);
	ret = mt_tread_added(&t, n);
	if (!ret)
		ret = mt_tread_finish(&t);
	*records = c.records;
	*err = t.err;
	mt_tread_free(&t);
	return ret;
}

/*
 * A version 2 file of 4 blocks, written by the session's writer, with any
 * 64 bytes of its record area overwritten by 0xff (every position): the
 * decoder reports the first damaged block at its header's offset and has
 * delivered exactly the records of the blocks before it (issue 14: a
 * version 1 file decoded such damage silently when it missed a header).
 */
static void test_trace_damage_any_64_bytes(void **state)
{
	struct mt_tfile_cpu cpus[] = { { .cpu = 0, .flags = 3 } };
	size_t blk_off[4], blk_recs[4], nblk = 0, len, area, hs;
	unsigned char *good, *bad;
	struct tsess t;
	unsigned int got;
	struct mt_terr err;
	uint64_t seq = 0;

	(void)state;
	ts_open(&t, false, true);
	ts_begin(&t, 100, 0, MEMTRACE_FILE_F_CPUS_COMPLETE, cpus, 1);
	for (size_t k = 0; k < 4; k++) {
		struct buf b = { 0 };

		for (size_t i = 0; i <= k; i++, seq++)
			buf_sample(&b, 0, seq, 1000 + seq, 7, "w");
		ts_feed(&t, &b, 0);
		assert_int_equal(mt_sess_flush(&t.s), 0);
		blk_recs[k] = k + 1;
		free(b.p);
	}
	good = (unsigned char *)file_text(t.rawf, &t.raw, &len);
	ts_close(&t);
	hs = get_le(good, F_HDR_SIZE, 4);
	/* the blocks' offsets, from their sizes */
	for (size_t off = hs; off < len; off += 16 + get_le(good, off + 4, 4))
		blk_off[nblk++] = off;
	assert_int_equal(nblk, 4);
	assert_int_equal(decode_all(good, len, &got, &err), 0);
	assert_int_equal(got, 1 + 2 + 3 + 4);

	area = len - hs;
	bad = malloc(len);
	assert_non_null(bad);
	for (size_t w = 0; w + 64 <= area; w++) {
		size_t first = 0, before = 0;

		memcpy(bad, good, len);
		memset(bad + hs + w, 0xff, 64);
		while (first + 1 < nblk && blk_off[first + 1] <= hs + w)
			before += blk_recs[first++];
		if (decode_all(bad, len, &got, &err) != -1)
			fail_msg("64 bytes at record-area offset %zu: decoded", w);
		if (err.offset != blk_off[first] || got != before ||
		    !strstr(err.what, "damaged block"))
			fail_msg("64 bytes at record-area offset %zu: error at %" PRIu64 " (want %zu) '%s', %u records (want %zu)",
				 w, err.offset, blk_off[first], err.what, got, before);
	}
	free(bad);
	free(good);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* -i of a damaged file: one line with the block's offset, exit 1, and
 * the CSV rows of every record before the damaged block. */
static void test_cli_damaged_block(void **state)
{
	struct mt_tfile_cpu cpus[] = { { .cpu = 0, .flags = 3 } };
	char path[PATH_MAX], want[64];
	const char *args[] = { "-i", path, NULL };
	struct tsess t;
	struct run run;
	struct buf b = { 0 };
	unsigned char *p;
	size_t len, second;

	(void)state;
	ts_open(&t, false, true);
	ts_begin(&t, 100, 0, MEMTRACE_FILE_F_CPUS_COMPLETE, cpus, 1);
	buf_sample(&b, 0, 0, 1000, 7, "a");
	buf_sample(&b, 0, 1, 2000, 7, "a");
	ts_feed(&t, &b, 0);
	assert_int_equal(mt_sess_flush(&t.s), 0);
	free(b.p);
	memset(&b, 0, sizeof(b));
	buf_sample(&b, 0, 2, 3000, 7, "a");
	ts_feed(&t, &b, 0);
	assert_int_equal(mt_sess_flush(&t.s), 0);
	free(b.p);
	p = (unsigned char *)file_text(t.rawf, &t.raw, &len);
	ts_close(&t);
	second = get_le(p, F_HDR_SIZE, 4) + 16 + 2 * SAMPLE_BYTES;
	memset(p + second + 40, 0xff, 64);	/* inside the second block */
	snprintf(path, sizeof(path), "%s/damaged.dat", tmpdir);
	spit(path, p, len, false);
	free(p);
	run_reader(args, "damaged", &run);
	check_status(&run, 1);
	snprintf(want, sizeof(want), "byte offset %zu: damaged block: CRC32C", second);
	assert_non_null(strstr(run.err, want));
	/* the header line and the two rows of the first block */
	assert_int_equal(count_lines(run.out), 3);
	run_free(&run);
}

static void test_trace_read_chunks(void **state)
{
	static const size_t chunks[] = { 0, 1, 3, 8, 33, 161, 4096 };
	char path[PATH_MAX], *first = NULL, *csv;
	struct buf b = { 0 };

	(void)state;
	make_good_file(&b);
	snprintf(path, sizeof(path), "%s/chunks.dat", tmpdir);
	write_file(path, &b);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct tsess t;
		int fd = open(path, O_RDONLY);

		assert_true(fd >= 0);
		ts_open(&t, true, false);
		assert_int_equal(mt_sess_read_trace(&t.s, fd, path, 0, chunks[i]), 0);
		close(fd);
		assert_int_equal(t.s.emitted, 4);
		assert_int_equal(t.s.lost, 3);
		assert_int_equal(t.s.skipped, 1);
		assert_int_equal(t.s.mismatches, 0);
		csv = file_text(t.csvf, &t.csv, NULL);
		if (!first) {
			first = csv;
			assert_non_null(strstr(first, "\n2000,2,7,2,21,\"e,f\","));
			assert_non_null(strstr(first, ",2026-11-22T17:20:00.000003000Z\n"));
		} else {
			assert_string_equal(csv, first);
			free(csv);
		}
		mt_sess_summary(&t.s, false);
		assert_non_null(strstr(ts_msgs(&t),
			"4 records from 4 processes in 4 ticks, 3 lost (seq gaps), 3 dropped (stats)"));
		ts_close(&t);
	}
	free(first);
	free(b.p);
}

/* ---- the reader binary: -w, -i ---------------------------------------------- */

/* stderr without the lines that may differ between two runs. */
static char *summary_lines(const char *err)
{
	char *s = strdup(err), *line, *save = NULL, *out;
	size_t len = 0;

	assert_non_null(s);
	out = calloc(1, strlen(err) + 1);
	assert_non_null(out);
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "discarded"))
			continue;
		len += (size_t)sprintf(out + len, "%s\n", line);
	}
	free(s);
	return out;
}

/* A fake directory where cpu0 and cpu2 lose records before, during and
 * after what the reader reads; the stats file changes at @ms. */
static pid_t lossy_session(char *dir, const char *name,
			   const char *const *args)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	pid_t pid;

	fake_dir(dir, DIR_MAX, name);
	spit_str(dir, "stats",
		 "records_written: 20\nrecords_dropped: 8\n"
		 "cpu0_written: 5\ncpu0_dropped: 5\ncpu0_seq: 10\n"
		 "cpu2_written: 4\ncpu2_dropped: 3\ncpu2_seq: 7\n");
	/* cpu0: 10, 11 lost at the start (the module's pending run 8..11
	 * began before the session), 12, 13, then 14..16 lost, 17. */
	add_loss(dir, 0, 12, 1000, 8, 400, 900, 9);
	add_sample(dir, 0, 12, 1000, 11, "a");
	add_sample(dir, 0, 13, 3000, 12, "b");
	add_loss(dir, 0, 17, 4000, 14, 3100, 3900, 12);
	add_sample(dir, 0, 17, 4000, 13, "c");
	/* cpu2: 7, 8, 9, then everything after it is lost (20 at the end). */
	add_sample(dir, 2, 7, 2000, 21, "d");
	add_sample(dir, 2, 8, 3000, 22, "e");
	add_sample(dir, 2, 9, 5000, 23, "f");
	pid = spawn_reader(args, -1, name);
	wait_started(dir);
	nanosleep(&ts, NULL);
	spit_str(dir, "stats",
		 "records_written: 26\nrecords_dropped: 26\n"
		 "cpu0_written: 8\ncpu0_dropped: 10\ncpu0_seq: 18\n"
		 "cpu2_written: 7\ncpu2_dropped: 13\ncpu2_seq: 20\n");
	return pid;
}

/*
 * -w and -o together, then -i: the same CSV byte for byte, the same loss
 * report; the trace file holds the kernel's bytes in merged order and the
 * reader's end records; "-w -" piped into "-i -" gives the same again.
 */
static void test_cli_write_decode_same(void **state)
{
	char dir[DIR_MAX], trace[PATH_MAX], csv1[PATH_MAX], csv2[PATH_MAX];
	const char *live[] = { "-D", dir, "-d", "0.8", "-w", trace, "-o", csv1,
			       "--realtime", NULL };
	const char *dec[] = { "-i", trace, "-o", csv2, "--realtime", NULL };
	const char *live2[] = { "-D", dir, "-d", "0.8", "-w", "-", "-o", csv1,
				"-r", NULL };
	const char *dec2[] = { "-i", "-", "-r", NULL };
	char *a, *b, *sa, *sb, *t, *pipe_trace;
	unsigned char *r;
	size_t alen, blen, tlen, rlen;
	struct run r1, r2;
	unsigned char rec[SAMPLE_BYTES];
	struct fig f = fig1;
	pid_t pid;
	int fd;

	(void)state;
	snprintf(trace, sizeof(trace), "%s/same.dat", tmpdir);
	snprintf(csv1, sizeof(csv1), "%s/same-live.csv", tmpdir);
	snprintf(csv2, sizeof(csv2), "%s/same-dec.csv", tmpdir);
	pid = lossy_session(dir, "same", live);
	wait_reader(pid, "same", &r1);
	check_status(&r1, 0);
	assert_int_equal(r1.out_len, 0);	/* -w: no CSV on stdout */
	run_reader(dec, "same-dec", &r2);
	check_status(&r2, 0);
	a = slurp(csv1, &alen);
	b = slurp(csv2, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_non_null(strstr(a, ",swap_pss_kb,pss_window_ms,time\n"));
	assert_int_equal(strstr(a, "\n") - a + 1, (long)sizeof(header) - 1 + 5);
	/* The same report: records, losses per CPU with their timestamps. */
	sa = summary_lines(r1.err);
	sb = summary_lines(r2.err);
	assert_string_equal(sa, sb);
	assert_non_null(strstr(sa, "6 records from 6 processes in 5 ticks, 15 lost (seq gaps), 15 dropped (stats)\n"));
	assert_non_null(strstr(sa, "cpu0:   2 lost (seq 10..11) between ts_ns 400 and 900: loss record\n"));
	assert_non_null(strstr(sa, "cpu0:   3 lost (seq 14..16) between ts_ns 3100 and 3900: loss record\n"));
	assert_non_null(strstr(sa, "cpu2:   10 lost (seq 10..19) between ts_ns 5000 and "));
	assert_non_null(strstr(sa, "15 of 21 records lost (71.43%)\n"));

	/* The file: a header with the start figures, then the records as
	 * the "kernel" wrote them, in merged order, then the end records. */
	t = slurp(trace, &tlen);
	assert_memory_equal(t, "MTRCFILE\x04\x03\x02\x01\x02\x00", 14);
	assert_int_equal(get_le(t, F_HDR_SIZE, 4), F_FIXED + 2 * C_ENTRY);
	/* version 2: the records in checked blocks */
	r = unblock((unsigned char *)t + F_FIXED + 2 * C_ENTRY,
		    tlen - (F_FIXED + 2 * C_ENTRY), &rlen);
	assert_int_equal(rlen, 6 * SAMPLE_BYTES + 2 * LOSS_BYTES + 2 * LOSS_BYTES);
	assert_int_equal(get_le(t, F_FIXED + C_START_SEQ, 8), 10);
	f.cpu = 0;
	f.seq = 12;
	f.ts = 1000;
	f.tick = 1;
	f.tgid = 11;
	f.comm = "a";
	make_sample(rec, &f);
	/* First the loss record of cpu0 (ts 1000), then its sample. */
	assert_int_equal(r[O_TYPE], 2);
	assert_memory_equal(r + LOSS_BYTES, rec, SAMPLE_BYTES);
	/* The last record: cpu2's end record, seq 20, reader flag. */
	assert_int_equal(get_le(r, rlen - LOSS_BYTES + O_TYPE, 2), 2);
	assert_int_equal(get_le(r, rlen - LOSS_BYTES + O_CPU, 4), 2);
	assert_int_equal(get_le(r, rlen - LOSS_BYTES + O_SEQ, 8), 20);
	assert_int_equal(get_le(r, rlen - LOSS_BYTES + O_LFLAGS, 4), 1);
	assert_int_equal(get_le(r, rlen - LOSS_BYTES + O_LOST, 8), 10);
	assert_int_equal(get_le(r, rlen - LOSS_BYTES + O_LOST_TOTAL, 8), 13);
	free(t);
	free(r);
	free(a);
	free(b);
	free(sa);
	free(sb);
	run_free(&r1);
	run_free(&r2);

	/* The pipe form: -w - on stdout, then -i - from stdin. */
	pid = lossy_session(dir, "same-pipe", live2);
	wait_reader(pid, "same-pipe", &r1);
	check_status(&r1, 0);
	pipe_trace = malloc(strlen(tmpdir) + 32);
	assert_non_null(pipe_trace);
	sprintf(pipe_trace, "%s/same-pipe.out", tmpdir);
	fd = open(pipe_trace, O_RDONLY);
	assert_true(fd >= 0);
	pid = spawn_reader_fds(dec2, fd, -1, -1, "same-pipe-dec");
	close(fd);
	wait_reader(pid, "same-pipe-dec", &r2);
	check_status(&r2, 0);
	a = slurp(csv1, &alen);
	assert_int_equal(r2.out_len, alen);
	assert_memory_equal(r2.out, a, alen);
	sa = summary_lines(r1.err);
	sb = summary_lines(r2.err);
	assert_string_equal(sa, sb);
	free(a);
	free(sa);
	free(sb);
	free(pipe_trace);
	run_free(&r1);
	run_free(&r2);
}

/* The exact disagreement line, and exit status 1, live and from the file. */
static void test_cli_loss_mismatch(void **state)
{
	char dir[DIR_MAX], trace[PATH_MAX];
	const char *live[] = { "-D", dir, "-d", "0.3", "-w", trace, "-q", NULL };
	const char *dec[] = { "-i", trace, "-q", NULL };
	struct run run;

	(void)state;
	snprintf(trace, sizeof(trace), "%s/mismatch.dat", tmpdir);
	fake_dir(dir, sizeof(dir), "mismatch");
	/* No cpuN_seq: the first sample (seq 0) sets the expectation. */
	spit_str(dir, "stats", "records_dropped: 0\n");
	add_sample(dir, 1, 0, 1000, 1, "a");
	add_loss(dir, 1, 4, 2000, 1, 1100, 1900, 3);	/* says 3 */
	add_sample(dir, 1, 3, 2000, 1, "a");		/* gap of 2 */
	run_reader(live, "mismatch", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "memtrace-reader: cpu1: loss record says 3 lost, sequence gap says 2\n"));
	run_free(&run);
	run_reader(dec, "mismatch-dec", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "memtrace-reader: cpu1: loss record says 3 lost, sequence gap says 2\n"));
	run_free(&run);
}

/* A cpuN file that appears while the reader runs is read from its start. */
static void test_cli_cpu_comes_online(void **state)
{
	char dir[DIR_MAX];
	const char *args[] = { "-D", dir, "-d", "1.7", NULL };
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	struct run run;
	pid_t pid;

	(void)state;
	fake_dir(dir, sizeof(dir), "hotplug");
	spit_str(dir, "stats", "cpu0_seq: 0\ncpu0_dropped: 0\n");
	add_sample(dir, 0, 0, 1000, 1, "a");
	pid = spawn_reader(args, -1, "hotplug");
	wait_started(dir);
	nanosleep(&ts, NULL);
	/* cpu5 was offline at the start (not in stats: seq 0); it lost its
	 * first 2 samples, which its loss record reports. */
	add_loss(dir, 5, 2, 2000, 0, 1500, 1600, 2);
	add_sample(dir, 5, 2, 2000, 2, "new");
	add_sample(dir, 5, 3, 3000, 2, "new");
	spit_str(dir, "stats", "cpu0_seq: 1\ncpu0_dropped: 0\n"
		 "cpu5_seq: 4\ncpu5_dropped: 2\n");
	wait_reader(pid, "hotplug", &run);
	check_status(&run, 0);
	assert_non_null(strstr(run.out, "\n1000,0,0,1,1,a,"));
	assert_non_null(strstr(run.out, "\n2000,5,2,2,2,new,"));
	assert_non_null(strstr(run.out, "\n3000,5,3,3,2,new,"));
	assert_non_null(strstr(run.err, "3 records from 2 processes in 3 ticks, 2 lost (seq gaps), 2 dropped (stats)"));
	assert_non_null(strstr(run.err, "cpu5: 2 records lost in 1 gaps between ts_ns 1500 and 1600, 2 dropped (stats)"));
	assert_null(strstr(run.err, "says"));
	run_free(&run);
}

/*
 * The sampler already running at the start (a reader killed with SIGKILL
 * left enable at 1): samples were written after the stats were read, so
 * the start seqs are not used, and no false disagreement comes of it.
 */
static void test_cli_already_enabled(void **state)
{
	char dir[DIR_MAX];
	const char *args[] = { "-D", dir, "-d", "0.4", NULL };
	struct timespec ts = { 0, 150 * 1000 * 1000 };
	struct run run;
	pid_t pid;

	(void)state;
	fake_dir(dir, sizeof(dir), "running");
	spit_str(dir, "enable", "1\n");
	spit_str(dir, "stats", "cpu0_seq: 5\ncpu0_dropped: 0\n");
	add_sample(dir, 0, 8, 1000, 1, "a");
	add_sample(dir, 0, 9, 2000, 1, "a");
	pid = spawn_reader(args, -1, "running");
	wait_started(dir);
	nanosleep(&ts, NULL);
	spit_str(dir, "stats", "cpu0_seq: 10\ncpu0_dropped: 0\n");
	wait_reader(pid, "running", &run);
	check_status(&run, 0);
	assert_non_null(strstr(run.err, "enable was set to 1 outside a recording session"));
	assert_non_null(strstr(run.err, "2 records from 1 processes in 2 ticks, 0 lost (seq gaps), 0 dropped (stats)"));
	assert_null(strstr(run.err, "says"));
	assert_null(strstr(run.err, "went back"));
	run_free(&run);
}

/* ---- hostile trace files ---------------------------------------------------- */

struct hostile {
	const char *name;
	size_t rows;		/* valid CSV rows before the damage */
	uint64_t offset;
	const char *what;
};

static void check_hostile(const char *path, const struct hostile *h)
{
	const char *args[] = { "-i", path, "-q", NULL };
	char want[PATH_MAX + 64];
	size_t lines = 0;
	struct run run;

	run_reader(args, "hostile", &run);
	if (run.status != 1)
		fail_msg("%s: exit status %d, want 1; stderr:\n%s", h->name,
			 run.status, run.err);
	snprintf(want, sizeof(want), "memtrace-reader: %s: byte offset %llu: ",
		 path, (unsigned long long)h->offset);
	if (strncmp(run.err, want, strlen(want)) || !strstr(run.err, h->what))
		fail_msg("%s: stderr\n%s\nwant '%s...%s'", h->name, run.err,
			 want, h->what);
	for (const char *p = run.err; *p; p++)
		lines += *p == '\n';
	if (lines != 1)
		fail_msg("%s: %zu lines on stderr:\n%s", h->name, lines, run.err);
	lines = 0;
	for (const char *p = run.out; *p; p++)
		lines += *p == '\n';
	if (lines != (h->rows ? h->rows + 1 : 0) && !(h->rows == 0 && lines == 1))
		fail_msg("%s: %zu CSV lines, want %zu rows:\n%s", h->name, lines,
			 h->rows, run.out);
	run_free(&run);
}

static void test_cli_hostile_files(void **state)
{
	struct fcpu fc = { 0, 1, 0, 0 };
	unsigned char h[F_FIXED + C_ENTRY];
	char path[PATH_MAX];
	struct buf b = { 0 };
	size_t hs = F_FIXED + C_ENTRY;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	snprintf(path, sizeof(path), "%s/hostile.dat", tmpdir);
	make_fhdr(h, 0, 0, 1, &fc, 1);

#define CASE(n, r, off, w)                                                 \
	do {                                                               \
		struct hostile hh = { n, r, off, w };                      \
		write_file(path, &b);                                      \
		check_hostile(path, &hh);                                  \
		b.len = 0;                                                 \
	} while (0)

	CASE("empty", 0, 0, "empty file: not a memtrace trace file");

	for (int i = 0; i < 4096; i++) {
		unsigned char c;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		c = (unsigned char)x;
		buf_add(&b, &c, 1);
	}
	CASE("random bytes", 0, 0, "bad magic: not a memtrace trace file");

	buf_add(&b, "GIF89a", 6);
	CASE("bad magic", 0, 0, "bad magic");

	buf_add(&b, h, 100);
	CASE("truncated header", 0, 100, "truncated file: it ends inside the file header, after 100 bytes");

	buf_add(&b, h, hs);
	put_le(b.p, F_VERSION, 3, 2);
	CASE("newer file version", 0, F_VERSION,
	     "trace file format version 3 is newer than this reader's 2: update memtrace-reader");

	buf_add(&b, h, hs);
	buf_sample(&b, 0, 0, 1000, 1, "a");
	buf_sample(&b, 0, 1, 2000, 1, "a");
	buf_sample(&b, 0, 2, 3000, 1, "a");
	b.len -= 60;
	CASE("truncated record", 2, hs + 2 * SAMPLE_BYTES,
	     "truncated record: the file ends after 108 of its 168 bytes");

	buf_add(&b, h, hs);
	buf_sample(&b, 0, 0, 1000, 1, "a");
	buf_sample(&b, 0, 1, 2000, 1, "a");
	put_le(b.p, hs + SAMPLE_BYTES + O_SIZE, 0x7ffffff8, 4);
	CASE("impossible size", 1, hs + SAMPLE_BYTES,
	     "impossible size 2147483640 for a record of type 1");

	buf_add(&b, h, hs);
	buf_sample(&b, 0, 0, 1000, 1, "a");
	buf_sample(&b, 0, 1, 2000, 1, "a");
	put_le(b.p, hs + SAMPLE_BYTES + O_SIZE, 12, 4);
	CASE("size below a header", 1, hs + SAMPLE_BYTES, "impossible size 12");

	buf_add(&b, h, hs);
	buf_sample(&b, 0, 0, 1000, 1, "a");
	buf_sample(&b, 0, 1, 2000, 1, "a");
	b.p[hs + SAMPLE_BYTES] = 'X';
	CASE("bad record magic", 1, hs + SAMPLE_BYTES, "bad magic 0x4352545");

	buf_add(&b, h, hs);
	buf_sample(&b, 0, 0, 1000, 1, "a");
	buf_sample(&b, 0, 1, 2000, 1, "a");
	put_le(b.p, hs + SAMPLE_BYTES + O_VERSION, MEMTRACE_VERSION + 1, 2);
	CASE("newer record version", 1, hs + SAMPLE_BYTES,
	     "is newer than this reader's");

	buf_add(&b, h, hs);
	buf_sample(&b, 0, 0, 1000, 1, "a");
	buf_add(&b, "MTRC", 4);
	CASE("header cut", 1, hs + SAMPLE_BYTES,
	     "truncated record: the file ends after 4 of its 32 bytes");
#undef CASE
	free(b.p);
}

/* Too many different CPUs in a file is an error at the record's offset. */
static void test_trace_too_many_cpus(void **state)
{
	unsigned char h[F_FIXED];
	char path[PATH_MAX];
	struct buf b = { 0 };
	struct tsess t;
	int fd;

	(void)state;
	make_fhdr(h, 0, 0, 0, NULL, 0);
	buf_add(&b, h, sizeof(h));
	for (unsigned int cpu = 0; cpu <= MT_CPUS_MAX; cpu++)
		buf_sample(&b, cpu, 0, 1000, 1, "a");
	snprintf(path, sizeof(path), "%s/cpus.dat", tmpdir);
	write_file(path, &b);
	ts_open(&t, false, false);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(mt_sess_read_trace(&t.s, fd, "cpus.dat", 0, 0), 1);
	close(fd);
	assert_int_equal(t.s.emitted, MT_CPUS_MAX);
	assert_non_null(strstr(ts_msgs(&t), "cpus.dat: byte offset 11010312: record of cpu 65536: more than 65536 different CPUs"));
	ts_close(&t);
	free(b.p);
}

/* ---- output errors ------------------------------------------------------- */

/*
 * A start that fails leaves the outputs as they were: -p of a process that
 * does not exist, with -o and -w naming existing files (issue 14: the old
 * reader truncated them to 0 bytes before it found out).
 */
static void test_cli_failed_start_keeps_files(void **state)
{
	char dir[DIR_MAX], csv[PATH_MAX], raw[PATH_MAX];
	const char *args[] = { "-D", dir, "-d", "0.2", "-p", "2147483646",
			       "-o", csv, "-w", raw, NULL };
	struct run run;
	char *s;

	(void)state;
	fake_dir(dir, sizeof(dir), "failstart");
	add_sample(dir, 0, 0, 1000, 1, "a");
	snprintf(csv, sizeof(csv), "%s/keep.csv", tmpdir);
	snprintf(raw, sizeof(raw), "%s/keep.dat", tmpdir);
	spit(csv, "old csv\n", 8, false);
	spit(raw, "old trace\n", 10, false);
	run_reader(args, "failstart", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "no such process: 2147483646"));
	s = slurp(csv, NULL);
	assert_string_equal(s, "old csv\n");
	free(s);
	s = slurp(raw, NULL);
	assert_string_equal(s, "old trace\n");
	free(s);
	s = read_in(dir, "enable");
	assert_int_equal(s[0], '0');
	free(s);
	run_free(&run);
}

/* -c registers each name in DIR/comms; a long name is cut to 15 bytes. */
static void test_cli_comm(void **state)
{
	char dir[DIR_MAX];
	const char *args[] = { "-D", dir, "-d", "0.2", "-q",
			       "-c", "a-very-long-command-name", NULL };
	const char *bad[] = { "-D", dir, "-c", "", NULL };
	struct run run;
	char *s;

	(void)state;
	fake_dir(dir, sizeof(dir), "comm");
	add_sample(dir, 0, 0, 1000, 1, "a");
	run_reader(args, "comm", &run);
	check_status(&run, 0);
	assert_non_null(strstr(run.err, "matching 'a-very-long-com'"));
	s = read_in(dir, "comms");
	assert_string_equal(s, "+a-very-long-com");
	free(s);
	run_free(&run);

	run_reader(bad, "comm-bad", &run);
	check_status(&run, 2);
	assert_non_null(strstr(run.err, "invalid command name ''"));
	run_free(&run);
}

static void test_cli_output_errors(void **state)
{
	char dir[DIR_MAX], trace[PATH_MAX];
	const char *dec_full[] = { "-i", trace, "-o", "/dev/full", "-q", NULL };
	const char *dec_pipe[] = { "-i", trace, "-q", NULL };
	const char *live_full[] = { "-D", dir, "-d", "0.2", "-w", "/dev/full", NULL };
	const char *live_pipe[] = { "-D", dir, "-d", "0.5", "-w", "-", NULL };
	struct buf b = { 0 };
	struct run run;
	int p[2];
	pid_t pid;
	char *s;

	(void)state;
	snprintf(trace, sizeof(trace), "%s/oerr.dat", tmpdir);
	make_good_file(&b);
	write_file(trace, &b);
	free(b.p);

	run_reader(dec_full, "dec-full", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "writing /dev/full: No space left on device"));
	run_free(&run);

	assert_int_equal(pipe(p), 0);
	close(p[0]);
	pid = spawn_reader(dec_pipe, p[1], "dec-epipe");
	close(p[1]);
	wait_reader(pid, "dec-epipe", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "writing standard output: Broken pipe"));
	run_free(&run);

	fake_dir(dir, sizeof(dir), "woerr");
	for (int i = 0; i < 3; i++)
		add_sample(dir, 0, (uint64_t)i, 1000 + (uint64_t)i, 1, "a");
	run_reader(live_full, "w-full", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "writing /dev/full: No space left on device"));
	/* the cause named, every record taken counted, no buffer advice */
	assert_non_null(strstr(run.err,
		"the session ended on an output error (writing /dev/full: No space left on device): 3 of the 3 records drained from the module were not written to /dev/full"));
	assert_null(strstr(run.err, "sub-buffers"));
	assert_null(strstr(run.err, "records lost"));
	s = read_in(dir, "enable");
	assert_int_equal(s[0], '0');
	free(s);
	run_free(&run);

	assert_int_equal(pipe(p), 0);
	close(p[0]);
	pid = spawn_reader(live_pipe, p[1], "w-epipe");
	close(p[1]);
	wait_reader(pid, "w-epipe", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "writing standard output: Broken pipe"));
	assert_non_null(strstr(run.err, "the session ended on an output error (writing standard output: Broken pipe): 3 of the 3 records"));
	assert_null(strstr(run.err, "sub-buffers"));
	s = read_in(dir, "enable");
	assert_int_equal(s[0], '0');
	free(s);
	run_free(&run);
}

/* ---- the status line ------------------------------------------------------ */

/* Not a terminal: no status line at all. */
static void test_cli_status_silent(void **state)
{
	char dir[DIR_MAX];
	const char *args[] = { "-D", dir, "-d", "1.3", NULL };
	struct run run;

	(void)state;
	fake_dir(dir, sizeof(dir), "silent");
	add_sample(dir, 0, 0, 1000, 1, "a");
	run_reader(args, "silent", &run);
	check_status(&run, 0);
	assert_null(strchr(run.err, '\r'));
	assert_null(strstr(run.err, "/s, "));
	assert_null(strchr(run.err, '\033'));
	run_free(&run);
}

/* A terminal (a pty): "records, rate, lost" refreshed in place. */
static void test_cli_status_tty(void **state)
{
	char dir[DIR_MAX], out[PATH_MAX], text[65536];
	const char *args[] = { "-D", dir, "-d", "2.3", "-o", out, NULL };
	const char *quiet[] = { "-D", dir, "-d", "1.3", "-o", out, "-q", NULL };
	size_t len = 0;
	int master, slave, st;
	pid_t pid;

	(void)state;
	fake_dir(dir, sizeof(dir), "tty");
	snprintf(out, sizeof(out), "%s/tty.csv", tmpdir);
	add_sample(dir, 0, 0, 1000, 1, "a");
	add_sample(dir, 0, 1, 2000, 1, "a");
	for (int round = 0; round < 2; round++) {
		if (openpty(&master, &slave, NULL, NULL, NULL))
			skip();
		fcntl(master, F_SETFD, FD_CLOEXEC);
		pid = spawn_reader_fds(round ? quiet : args, -1, -1, slave, "tty");
		close(slave);
		len = 0;
		for (;;) {
			ssize_t n = read(master, text + len, sizeof(text) - 1 - len);

			if (n <= 0)	/* EIO once the reader has exited */
				break;
			len += (size_t)n;
		}
		text[len] = '\0';
		close(master);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		if (round == 0) {
			assert_non_null(strstr(text, "\rmemtrace-reader: 2 records, "));
			assert_non_null(strstr(text, "/s, 0 lost, 0 ticks missed\033[K"));
			/* Cleared before the summary. */
			assert_non_null(strstr(text, "\r\033[Kmemtrace-reader: 2 records from 1 processes"));
		} else {
			assert_null(strchr(text, '\r'));	/* -q: none */
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loss_record_decode),
		cmocka_unit_test(test_file_header_encode),
		cmocka_unit_test(test_file_header_bad),
		cmocka_unit_test(test_file_header_grown),
		cmocka_unit_test(test_sess_loss_records_agree),
		cmocka_unit_test(test_sess_ticks_missed),
		cmocka_unit_test(test_sess_sinks),
		cmocka_unit_test(test_sess_sinks_not_begun),
		cmocka_unit_test(test_sess_loss_records_disagree),
		cmocka_unit_test(test_sess_unknown_start_and_backwards),
		cmocka_unit_test(test_sess_end_record_bytes),
		cmocka_unit_test(test_csv_time_format),
		cmocka_unit_test(test_sess_realtime_rows),
		cmocka_unit_test(test_trace_read_chunks),
		cmocka_unit_test(test_crc32c_rfc3720),
		cmocka_unit_test(test_crc32c_paths_agree),
		cmocka_unit_test(test_trace_damage_any_64_bytes),
		cmocka_unit_test(test_cli_damaged_block),
		cmocka_unit_test(test_trace_too_many_cpus),
		cmocka_unit_test(test_cli_write_decode_same),
		cmocka_unit_test(test_cli_loss_mismatch),
		cmocka_unit_test(test_cli_cpu_comes_online),
		cmocka_unit_test(test_cli_already_enabled),
		cmocka_unit_test(test_cli_hostile_files),
		cmocka_unit_test(test_cli_output_errors),
		cmocka_unit_test(test_cli_failed_start_keeps_files),
		cmocka_unit_test(test_cli_comm),
		cmocka_unit_test(test_cli_status_silent),
		cmocka_unit_test(test_cli_status_tty),
	};
	int failed;

	if (tl_init("test_trace"))
		return 1;
	failed = cmocka_run_group_tests_name("memtrace-reader trace files and loss",
					     tests, NULL, NULL);
	tl_done(failed);
	return failed ? 1 : 0;
}
