// SPDX-License-Identifier: GPL-2.0
/*
 * test_decode.c - host unit tests of memtrace-reader: record decoding and
 * validation, per-CPU stream accounting, CSV text, and the live mode run
 * against a fake module directory (-D) of regular files.
 *
 * Records are built byte by byte at the offsets the ABI documents
 * (include/uapi/memtrace.h), not with the reader's own code or structs.
 *
 * Run: make -C tests/host check (TAP on standard output).  The live tests
 * run the reader binary named by $MEMTRACE_READER.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "csvout.h"
#include "decode.h"
#include "testlib.h"

/* ---- mt_decode ----------------------------------------------------------- */

static void test_decode_valid_sample(void **state)
{
	unsigned char b[SAMPLE_BYTES];
	struct mt_record r;
	uint32_t size = 0;
	struct fig f = {
		.seq = 0x0102030405060708ull, .ts = 0x1112131415161718ull,
		.tick = 0x2122232425262728ull, .cpu = 0x31323334,
		.tgid = 0x41424344, .flags = 0x51525354, .comm = "kworker/u8:2",
		.vsz = 0x6162636465666768ull, .anon = 0x7172737475767778ull,
		.file = 0x8182838485868788ull, .shmem = 0x9192939495969798ull,
		.swap = 0xa1a2a3a4a5a6a7a8ull, .hwm = 0xb1b2b3b4b5b6b7b8ull,
		.minflt = 0xc1c2c3c4c5c6c7c8ull, .majflt = 0xd1d2d3d4d5d6d7d8ull,
		.utime = 0xe1e2e3e4e5e6e7e8ull, .stime = 0xf1f2f3f4f5f6f7f8ull,
		.wss = 0x0a0b0c0d0e0f1011ull, .wss_win = 0x1a1b1c1d1e1f2021ull,
	};

	(void)state;
	make_sample(b, &f);
	/* The layout is little-endian: spot-check bytes written by hand. */
	assert_int_equal(b[O_SEQ], 0x08);
	assert_int_equal(b[O_SEQ + 7], 0x01);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_OK);
	assert_int_equal(size, SAMPLE_BYTES);
	assert_int_equal(r.hdr.magic, MEMTRACE_MAGIC);
	assert_int_equal(r.hdr.version, 1);
	assert_int_equal(r.hdr.type, MEMTRACE_REC_SAMPLE);
	assert_int_equal(r.hdr.size, SAMPLE_BYTES);
	assert_int_equal(r.hdr.cpu, f.cpu);
	assert_true(r.hdr.seq == f.seq);
	assert_true(r.hdr.ts_ns == f.ts);
	assert_true(r.tick == f.tick);
	assert_int_equal(r.tgid, f.tgid);
	/* a 168-byte record has no PSS fields: their flag is dropped */
	assert_int_equal(r.flags, f.flags & ~MEMTRACE_SAMPLE_PSS_VALID);
	assert_int_equal(r.comm_len, strlen("kworker/u8:2"));
	assert_memory_equal(r.comm, "kworker/u8:2\0\0\0\0", 16);
	assert_true(r.vsz_kb == f.vsz);
	assert_true(r.rss_anon_kb == f.anon);
	assert_true(r.rss_file_kb == f.file);
	assert_true(r.rss_shmem_kb == f.shmem);
	assert_true(r.swap_kb == f.swap);
	assert_true(r.hwm_kb == f.hwm);
	assert_true(r.minflt == f.minflt);
	assert_true(r.majflt == f.majflt);
	assert_true(r.utime_ns == f.utime);
	assert_true(r.stime_ns == f.stime);
	assert_true(r.wss_kb == f.wss);
	assert_true(r.wss_window_ns == f.wss_win);
}

static void test_decode_bad_magic(void **state)
{
	unsigned char b[SAMPLE_BYTES];
	struct mt_record r;
	uint32_t size;

	(void)state;
	make_sample(b, &fig1);
	b[3] = 'X';
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_BAD_MAGIC);
	/* Known bad from the first 4 bytes, without waiting for a header. */
	assert_int_equal(mt_decode(b, 4, &r, &size), MT_BAD_MAGIC);
	/* Byte-swapped magic (a big-endian writer) is bad too. */
	make_sample(b, &fig1);
	put_le(b, O_MAGIC, 0x4d545243, 4);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_BAD_MAGIC);
}

static void test_decode_future_version(void **state)
{
	unsigned char b[SAMPLE_BYTES];
	struct mt_bad bad = { .status = MT_BAD_VERSION };
	struct mt_record r;
	char why[128];
	uint32_t size;

	(void)state;
	make_sample(b, &fig1);
	put_le(b, O_VERSION, MEMTRACE_VERSION + 1, 2);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_BAD_VERSION);
	assert_int_equal(r.hdr.version, MEMTRACE_VERSION + 1);
	bad.hdr = r.hdr;
	mt_bad_describe(&bad, why, sizeof(why));
	assert_non_null(strstr(why, "newer than this reader"));
	put_le(b, O_VERSION, 0, 2);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_BAD_VERSION);
}

static void test_decode_impossible_size(void **state)
{
	static const uint32_t bad_sample[] = { 0, 8, 24, 31, 36, 152, 161,
					       4104, 0xfffffff8u };
	static const uint32_t bad_other[] = { 0, 16, 33, 44, 4097, 8192 };
	unsigned char b[SAMPLE_BYTES];
	struct mt_record r;
	uint32_t size;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_sample) / sizeof(bad_sample[0]); i++) {
		make_sample(b, &fig1);
		put_le(b, O_SIZE, bad_sample[i], 4);
		assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_BAD_SIZE);
	}
	for (size_t i = 0; i < sizeof(bad_other) / sizeof(bad_other[0]); i++) {
		make_hdr(b, 32, 9, 0, 0, 0);
		put_le(b, O_SIZE, bad_other[i], 4);
		assert_int_equal(mt_decode(b, 32, &r, &size), MT_BAD_SIZE);
	}
	/* The limits themselves are fine: a 32-byte and a 4096-byte record. */
	make_hdr(b, 32, 9, 0, 0, 0);
	assert_int_equal(mt_decode(b, 32, &r, &size), MT_SKIP);
	assert_int_equal(size, 32);
	put_le(b, O_SIZE, MT_REC_SIZE_MAX, 4);
	assert_int_equal(mt_decode(b, 32, &r, &size), MT_NEED_MORE);
	assert_int_equal(size, MT_REC_SIZE_MAX);
}

/* A system record decodes to its figures; a shorter one is corrupt. */
static void test_decode_system(void **state)
{
	unsigned char b[SYSTEM_BYTES];
	struct mt_record r;
	uint32_t size;

	(void)state;
	make_system(b, 1, 5, 777, 9, 1000, 1ull << SYS_SWAPTOTAL);
	put_le(b, O_SYS_MISSED, 3, 8);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_SYSTEM);
	assert_int_equal(size, SYSTEM_BYTES);
	assert_int_equal(r.hdr.seq, 5);
	assert_int_equal(r.sys.tick, 9);
	assert_int_equal(r.sys.nr_cpus, 2);
	assert_int_equal(r.sys.ticks_missed, 3);
	assert_int_equal(r.sys.v[0], 1000);		/* memtotal_kb */
	assert_true(r.sys.v[SYS_SWAPTOTAL] == UINT64_MAX);
	assert_int_equal(r.sys.v[SYS_ORDER10], 1000 + SYS_ORDER10);
	assert_string_equal(mt_system_names[SYS_ORDER10], "free_order10");
	assert_string_equal(mt_system_names[SYS_PSI_MEM_SOME],
			    "psi_memory_some_us");
	for (size_t len = 32; len < SYSTEM_BYTES; len++)
		assert_int_equal(mt_decode(b, len, &r, &size), MT_NEED_MORE);
	put_le(b, O_SIZE, SYSTEM_BYTES - 8, 4);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_BAD_SIZE);
}

/* A cgroup record (the reader's): encoded, decoded, its CSV row with the
 * path quoted only when it must be; a path_len past the record is corrupt. */
static void test_decode_cgroup(void **state)
{
	unsigned char b[sizeof(struct memtrace_cgroup) + MEMTRACE_CGROUP_PATH_MAX + 8];
	struct mt_hdr h = { .cpu = 1, .seq = 7, .ts_ns = 5000 };
	struct mt_cginfo c = { .tick = 3, .cgroup_id = 4242, .path = "/a,b",
			       .path_len = 4 };
	struct mt_out o;
	struct mt_record r;
	uint32_t size;
	size_t n;
	char *csv;

	(void)state;
	for (int i = 0; i < MEMTRACE_CGROUP_FIGURES; i++)
		c.v[i] = 100 + (uint64_t)i;
	c.v[1] = UINT64_MAX;		/* not read: an empty cell */
	n = mt_encode_cgroup(b, &h, &c);
	assert_int_equal(n, 160);	/* 152 + 4, padded to 8 */
	assert_int_equal(mt_decode(b, n, &r, &size), MT_CGROUP);
	assert_int_equal(size, 160);
	assert_int_equal(r.hdr.seq, 7);
	assert_int_equal(r.cg.cgroup_id, 4242);
	assert_int_equal(r.cg.path_len, 4);
	assert_memory_equal(r.cg.path, "/a,b", 4);
	assert_int_equal(mt_out_init(&o, -1, "mem", 1 << 16), 0);
	assert_int_equal(mt_out_cg_row(&o, &r, false, false, 0), 0);
	csv = strndup(o.buf, o.len);
	assert_string_equal(csv, "5000,3,4242,\"/a,b\",100,,102,103,104,105,106,107,108,109,110,111\n");
	free(csv);
	mt_out_free(&o);
	put_le(b, 52, 200, 4);	/* path_len (offset 52): 200 > the 8 bytes there */
	assert_int_equal(mt_decode(b, n, &r, &size), MT_BAD_SIZE);
}

static void test_decode_truncated(void **state)
{
	unsigned char b[SAMPLE_BYTES];
	struct mt_record r;
	uint32_t size;

	(void)state;
	make_sample(b, &fig1);
	for (size_t len = 0; len < 32; len++) {
		assert_int_equal(mt_decode(b, len, &r, &size), MT_NEED_MORE);
		assert_int_equal(size, 32);
	}
	for (size_t len = 32; len < SAMPLE_BYTES; len++) {
		assert_int_equal(mt_decode(b, len, &r, &size), MT_NEED_MORE);
		assert_int_equal(size, SAMPLE_BYTES);
	}
	assert_int_equal(mt_decode(b, SAMPLE_BYTES, &r, &size), MT_OK);
}

static void test_decode_unknown_type_skipped(void **state)
{
	unsigned char b[48 + SAMPLE_BYTES];
	struct mt_record r;
	struct mt_stream s;
	struct mt_bad bad;
	struct fig f = fig1;
	uint32_t size;
	size_t room;

	(void)state;
	f.cpu = 1;
	f.seq = 11;
	make_hdr(b, 48, 7, 1, 10, 5);
	memset(b + 32, 0xee, 16);		/* a body we cannot read */
	make_sample(b + 48, &f);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_SKIP);
	assert_int_equal(size, 48);

	assert_int_equal(mt_stream_init(&s, 1, 0), 0);
	memcpy(mt_stream_space(&s, &room), b, sizeof(b));
	mt_stream_added(&s, sizeof(b));
	/* The unknown record comes back as MT_SKIP with its bytes (a trace
	 * file keeps it), then the sample. */
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_SKIP);
	assert_int_equal(r.hdr.type, 7);
	assert_int_equal(s.raw_len, 48);
	assert_memory_equal(s.raw, b, 48);
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_OK);
	assert_int_equal(r.tgid, fig1.tgid);
	assert_true(r.hdr.seq == 11);
	assert_int_equal(s.raw_len, SAMPLE_BYTES);
	assert_memory_equal(s.raw, b + 48, SAMPLE_BYTES);
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_NEED_MORE);
	assert_int_equal(s.skipped, 1);
	assert_int_equal(s.records, 1);
	mt_stream_free(&s);
}

static void test_decode_longer_sample(void **state)
{
	/* A future writer appends fields: the reader skips them by size. */
	unsigned char b[SAMPLE_BYTES + 16 + SAMPLE_BYTES];
	struct mt_record r;
	uint32_t size;

	(void)state;
	make_sample(b, &fig1);
	put_le(b, O_SIZE, SAMPLE_BYTES + 16, 4);
	memset(b + SAMPLE_BYTES, 0x5a, 16);
	make_sample(b + SAMPLE_BYTES + 16, &fig1);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_OK);
	assert_int_equal(size, SAMPLE_BYTES + 16);
	assert_int_equal(mt_decode(b + size, sizeof(b) - size, &r, &size), MT_OK);
	assert_int_equal(size, SAMPLE_BYTES);
}

/* ---- mt_stream ----------------------------------------------------------- */

static void feed(struct mt_stream *s, const void *p, size_t n)
{
	size_t room;
	unsigned char *dst = mt_stream_space(s, &room);

	assert_true(room >= n);
	memcpy(dst, p, n);
	mt_stream_added(s, n);
}

static void test_stream_split_reads(void **state)
{
	enum { N = 50 };
	unsigned char *all = malloc(N * SAMPLE_BYTES);
	size_t chunks[] = { 1, 7, 13, 31, 32, 33, 159, 160, 161, 500 };
	size_t off = 0, k = 0, got = 0;
	struct mt_record r;
	struct mt_stream s;
	struct mt_bad bad;
	struct fig f = fig1;

	(void)state;
	assert_non_null(all);
	f.cpu = 0;
	for (int i = 0; i < N; i++) {
		f.seq = (uint64_t)i;
		f.tgid = (uint32_t)(1000 + i);
		make_sample(all + i * SAMPLE_BYTES, &f);
	}
	assert_int_equal(mt_stream_init(&s, 0, 0), 0);
	while (off < N * SAMPLE_BYTES) {
		size_t n = chunks[k++ % (sizeof(chunks) / sizeof(chunks[0]))];

		if (n > N * SAMPLE_BYTES - off)
			n = N * SAMPLE_BYTES - off;
		feed(&s, all + off, n);
		off += n;
		while (mt_stream_next(&s, &r, &bad) == MT_OK) {
			assert_int_equal(r.tgid, 1000 + got);
			got++;
		}
	}
	assert_int_equal(got, N);
	assert_int_equal(mt_stream_pending(&s), 0);
	assert_int_equal(s.bad, 0);
	mt_stream_free(&s);
	free(all);
}

static void test_stream_resync(void **state)
{
	unsigned char b[3 * SAMPLE_BYTES + 24];
	struct mt_record r;
	struct mt_stream s;
	struct mt_bad bad;
	struct fig f = fig1;

	(void)state;
	f.cpu = 4;
	f.seq = 1;
	make_sample(b, &f);
	memset(b + SAMPLE_BYTES, 0, 24);		/* 24 bytes of junk */
	f.seq = 2;
	make_sample(b + SAMPLE_BYTES + 24, &f);
	f.seq = 3;
	make_sample(b + 2 * SAMPLE_BYTES + 24, &f);
	assert_int_equal(mt_stream_init(&s, 4, 0), 0);
	feed(&s, b, sizeof(b));
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_OK);
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_BAD_MAGIC);
	assert_int_equal(bad.offset, SAMPLE_BYTES);
	assert_int_equal(bad.skipped, 24);
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_OK);
	assert_true(r.hdr.seq == 2);
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_OK);
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_NEED_MORE);
	assert_int_equal(s.bad, 1);
	assert_int_equal(s.bad_bytes, 24);
	assert_int_equal(s.records, 3);
	assert_int_equal(s.offset, sizeof(b));

	/* Junk at the end of what was read (4 bytes, then 4 more later):
	 * the stream stays 8-byte aligned across the read. */
	memset(b, 0xab, 4);
	feed(&s, b, 4);
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_BAD_MAGIC);
	assert_int_equal(bad.offset, sizeof(b));
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_NEED_MORE);
	feed(&s, b, 4);
	f.seq = 4;
	make_sample(b, &f);
	feed(&s, b, SAMPLE_BYTES);
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_OK);
	assert_true(r.hdr.seq == 4);
	assert_int_equal(s.bad, 2);
	mt_stream_free(&s);
}

static void test_stream_wrong_cpu(void **state)
{
	unsigned char b[SAMPLE_BYTES];
	struct mt_record r;
	struct mt_stream s;
	struct mt_bad bad;
	struct fig f = fig1;

	(void)state;
	f.cpu = 5;
	make_sample(b, &f);
	assert_int_equal(mt_stream_init(&s, 6, 0), 0);
	feed(&s, b, sizeof(b));
	assert_int_equal(mt_stream_next(&s, &r, &bad), MT_BAD_CPU);
	assert_int_equal(bad.hdr.cpu, 5);
	mt_stream_free(&s);
}

/* ---- CSV ----------------------------------------------------------------- */

static void test_csv_header(void **state)
{
	(void)state;
	assert_string_equal(mt_csv_header, header);
}

/* The CSV row of a record decoded from bytes built from @f. */
static void row_of(const struct fig *f, char *out)
{
	unsigned char b[SAMPLE_BYTES];
	char row[MT_CSV_ROW_MAX];
	struct mt_record r;
	uint32_t size;
	size_t n;

	make_sample(b, f);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_OK);
	n = mt_csv_row(row, &r);
	assert_true(n < MT_CSV_ROW_MAX);
	memcpy(out, row, n);
	out[n] = '\0';
}

static void test_csv_row_exact(void **state)
{
	char row[MT_CSV_ROW_MAX + 1];
	struct fig f = fig1;

	(void)state;
	row_of(&f, row);
	assert_string_equal(row,
		"1234567890123,3,72623859790382856,42,4242,bash,10000,330,100,200,"
		"30,4,400,5000,6,7000000,800000,,,9,,,,,,,,,,,,\n");
	/* wss_kb and wss_window_ms filled in only when WSS_VALID; flags'
	 * other bits ignored; the window is printed in whole ms. */
	f.wss = 77;
	f.wss_win = 1099999999;
	f.flags = 0x6;
	row_of(&f, row);
	assert_non_null(strstr(row, ",7000000,800000,,,9,,,,,,,,,,,,\n"));
	f.flags = MEMTRACE_SAMPLE_WSS_VALID;
	row_of(&f, row);
	assert_string_equal(row,
		"1234567890123,3,72623859790382856,42,4242,bash,10000,330,100,200,"
		"30,4,400,5000,6,7000000,800000,77,1099,9,,,,,,,,,,,,\n");
	/* WSS valid and measured as 0 is "0", not empty. */
	f.wss = 0;
	row_of(&f, row);
	assert_non_null(strstr(row, ",800000,0,1099,9,,,,,,,,,,,,\n"));
}

/* Decode the @len-byte record @b into @r (it must decode) and assert that
 * its CSV row contains @want. */
static void assert_row_has(const unsigned char *b, size_t len, struct mt_record *r,
			   const char *want)
{
	char row[MT_CSV_ROW_MAX + 1];
	uint32_t size;
	size_t n;

	assert_int_equal(mt_decode(b, len, r, &size), MT_OK);
	n = mt_csv_row(row, r);
	row[n] = '\0';
	assert_non_null(strstr(row, want));
}

/* A 208-byte sample: the delay figures only with DELAYS_VALID (else empty
 * cells, never 0), compact_delay_ns empty when unknown, cgroup_id always. */
static void test_csv_row_delays(void **state)
{
	unsigned char b[208];
	struct mt_record r;

	(void)state;
	memset(b, 0, sizeof(b));
	make_sample(b, &fig1);
	put_le(b, O_SIZE, sizeof(b), 4);
	put_le(b, O_FLAGS, MEMTRACE_SAMPLE_DELAYS_VALID, 4);
	put_le(b, 168, 11, 8);		/* thrashing_delay_ns */
	put_le(b, 176, 22, 8);		/* swapin_delay_ns */
	put_le(b, 184, 33, 8);		/* reclaim_delay_ns */
	put_le(b, 192, 44, 8);		/* compact_delay_ns */
	put_le(b, 200, 4097, 8);	/* cgroup_id */
	assert_row_has(b, sizeof(b), &r, ",800000,,,9,11,22,33,44,4097,,,,,,,\n");
	put_le(b, 192, UINT64_MAX, 8);
	assert_row_has(b, sizeof(b), &r, ",800000,,,9,11,22,33,,4097,,,,,,,\n");
	put_le(b, O_FLAGS, 0, 4);
	assert_row_has(b, sizeof(b), &r, ",800000,,,9,,,,,4097,,,,,,,\n");
}

/* A 264-byte sample: the PSS figures only with PSS_VALID (else empty cells,
 * never 0), swap_pss_kb empty when unknown, the window in ms; a 208-byte
 * record with the flag set has none (its writer predates them). */
static void test_csv_row_pss(void **state)
{
	unsigned char b[264];
	struct mt_record r;

	(void)state;
	memset(b, 0, sizeof(b));
	make_sample(b, &fig1);
	put_le(b, O_SIZE, sizeof(b), 4);
	put_le(b, O_FLAGS, MEMTRACE_SAMPLE_PSS_VALID, 4);
	put_le(b, 200, 4097, 8);	/* cgroup_id */
	put_le(b, 208, 1000, 8);	/* pss_kb */
	put_le(b, 216, 600, 8);		/* pss_anon_kb */
	put_le(b, 224, 300, 8);		/* pss_file_kb */
	put_le(b, 232, 100, 8);		/* pss_shmem_kb */
	put_le(b, 240, 512, 8);		/* uss_kb */
	put_le(b, 248, UINT64_MAX, 8);	/* swap_pss_kb: unknown */
	put_le(b, 256, 12999999, 8);	/* pss_window_ns */
	assert_row_has(b, sizeof(b), &r, ",9,,,,,4097,1000,600,300,100,512,,12\n");
	put_le(b, 248, 7, 8);
	assert_row_has(b, sizeof(b), &r, ",4097,1000,600,300,100,512,7,12\n");
	put_le(b, O_FLAGS, 0, 4);
	assert_row_has(b, sizeof(b), &r, ",9,,,,,4097,,,,,,,\n");
	put_le(b, O_FLAGS, MEMTRACE_SAMPLE_PSS_VALID, 4);
	put_le(b, O_SIZE, 208, 4);
	assert_row_has(b, 208, &r, ",9,,,,,4097,,,,,,,\n");
	assert_int_equal(r.flags & MEMTRACE_SAMPLE_PSS_VALID, 0);
}

/* A 312-byte sample and --idle-ages 10,60,600: each column takes the
 * record's figure for its threshold (empty when the record has none, or it
 * is unknown, or the flag is off); the header names the columns. */
static void test_csv_row_idle(void **state)
{
	static const uint32_t cols[] = { 10, 60, 600 };
	unsigned char b[312];
	struct mt_record r;
	uint32_t size;

	(void)state;
	memset(b, 0, sizeof(b));
	make_sample(b, &fig1);
	put_le(b, O_SIZE, sizeof(b), 4);
	put_le(b, O_FLAGS, MEMTRACE_SAMPLE_IDLE_VALID, 4);
	put_le(b, 200, 4097, 8);	/* cgroup_id */
	put_le(b, 264, 9000, 8);	/* idle_kb[0] */
	put_le(b, 272, 7000, 8);	/* idle_kb[1] */
	put_le(b, 280, UINT64_MAX, 8);	/* idle_kb[2]: unknown */
	put_le(b, 296, 10, 4);		/* idle_s[0] */
	put_le(b, 300, 60, 4);		/* idle_s[1] */
	put_le(b, 304, 3600, 4);	/* idle_s[2] */
	mt_csv_set_idle(cols, 3);
	assert_non_null(strstr(mt_csv_head(false),
			       ",pss_window_ms,idle_10s_kb,idle_60s_kb,idle_600s_kb\n"));
	assert_non_null(strstr(mt_csv_head(true), ",idle_600s_kb,time\n"));
	/* 600 s is not among the record's thresholds: empty */
	assert_row_has(b, sizeof(b), &r, ",4097,,,,,,,,9000,7000,\n");
	put_le(b, 304, 600, 4);
	/* its figure is unknown: empty, never 0 */
	assert_row_has(b, sizeof(b), &r, ",4097,,,,,,,,9000,7000,\n");
	put_le(b, 280, 5, 8);
	assert_row_has(b, sizeof(b), &r, ",4097,,,,,,,,9000,7000,5\n");
	put_le(b, O_FLAGS, 0, 4);
	assert_row_has(b, sizeof(b), &r, ",4097,,,,,,,,,,\n");
	/* a 264-byte record has no ages, whatever its flags say */
	put_le(b, O_FLAGS, MEMTRACE_SAMPLE_IDLE_VALID, 4);
	put_le(b, O_SIZE, 264, 4);
	assert_int_equal(mt_decode(b, 264, &r, &size), MT_OK);
	assert_int_equal(r.flags & MEMTRACE_SAMPLE_IDLE_VALID, 0);
	mt_csv_set_idle(cols, 0);
	assert_string_equal(mt_csv_head(false), mt_csv_header);
}

static void test_csv_comm_quoting(void **state)
{
	static const struct {
		const char *comm, *field;
	} cases[] = {
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "\"", "\"\"\"\"" },
		{ "line\nbreak", "\"line\nbreak\"" },
		{ "cr\rhere", "\"cr\rhere\"" },
		{ "plain name", "plain name" },
		{ "semi;colon'", "semi;colon'" },
		{ "", "" },
		{ ",,,,,,,,,,,,,,,,", "\",,,,,,,,,,,,,,,,\"" },
		{ "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"",
		  "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"" },
	};
	char row[MT_CSV_ROW_MAX + 1], want[MT_CSV_ROW_MAX + 1];
	struct fig f = fig1;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f.comm = cases[i].comm;
		row_of(&f, row);
		snprintf(want, sizeof(want),
			 "1234567890123,3,72623859790382856,42,4242,%s,10000,330,100,200,"
			 "30,4,400,5000,6,7000000,800000,,,9,,,,,,,,,,,,\n", cases[i].field);
		assert_string_equal(row, want);
	}
}

static void test_csv_comm_16_bytes(void **state)
{
	unsigned char b[SAMPLE_BYTES];
	char row[MT_CSV_ROW_MAX + 1];
	struct mt_record r;
	uint32_t size;
	size_t n;

	(void)state;
	make_sample(b, &fig1);
	memcpy(b + O_COMM, "0123456789abcdef", 16);	/* no NUL */
	/* The byte after comm (vsz_kb's low byte) must not leak in. */
	assert_int_equal(b[O_VSZ], 10000 & 0xff);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_OK);
	assert_int_equal(r.comm_len, 16);
	n = mt_csv_row(row, &r);
	row[n] = '\0';
	assert_string_equal(row,
		"1234567890123,3,72623859790382856,42,4242,0123456789abcdef,10000,"
		"330,100,200,30,4,400,5000,6,7000000,800000,,,9,,,,,,,,,,,,\n");
	/* NUL in the middle: comm ends there. */
	memcpy(b + O_COMM, "ab\0defghijklmnop", 16);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_OK);
	assert_int_equal(r.comm_len, 2);
}

static void test_csv_u64_max(void **state)
{
	const uint64_t M = UINT64_MAX;
	char row[MT_CSV_ROW_MAX + 1];
	struct fig f = {
		.seq = M, .ts = M, .tick = M, .cpu = UINT32_MAX,
		.tgid = UINT32_MAX, .flags = UINT32_MAX,
		.comm = "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"",
		.vsz = M, .anon = M, .file = M, .shmem = M, .swap = M,
		.hwm = M, .minflt = M, .majflt = M, .utime = M, .stime = M,
		.wss = M, .wss_win = M, .missed = M - 1,
	};

	(void)state;
	row_of(&f, row);
#define U64MAX "18446744073709551615"
#define U32MAX "4294967295"
	/* rss_kb = 3 * (2^64 - 1) exactly, with no wrap-around. */
	assert_string_equal(row,
		U64MAX "," U32MAX "," U64MAX "," U64MAX "," U32MAX ","
		"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"" ","
		U64MAX ",55340232221128654845," U64MAX "," U64MAX "," U64MAX ","
		U64MAX "," U64MAX "," U64MAX "," U64MAX "," U64MAX "," U64MAX ","
		U64MAX ",18446744073709,18446744073709551614,,,,,,,,,,,,\n");
	assert_true(strlen(row) < MT_CSV_ROW_MAX);
	/* One carry only: 2^64 exactly. */
	f.anon = M;
	f.file = 1;
	f.shmem = 0;
	row_of(&f, row);
	assert_non_null(strstr(row, "," U64MAX ",18446744073709551616," U64MAX ",1,0,"));
}

static void test_u64_dec(void **state)
{
	static const struct {
		uint64_t v;
		const char *s;
	} cases[] = {
		{ 0, "0" }, { 9, "9" }, { 10, "10" }, { 99, "99" },
		{ 100, "100" }, { 101, "101" }, { 999, "999" }, { 1000, "1000" },
		{ 4294967295u, "4294967295" }, { 4294967296u, "4294967296" },
		{ 10000000000000000000u, "10000000000000000000" },
		{ 9999999999999999999u, "9999999999999999999" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	char buf[24];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = mt_u64_dec(buf, cases[i].v);

		buf[n] = '\0';
		assert_string_equal(buf, cases[i].s);
	}
	/* Every value up to 100000 against snprintf. */
	for (uint64_t v = 0; v <= 100000; v++) {
		char want[24];
		size_t n = mt_u64_dec(buf, v);

		buf[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
		assert_string_equal(buf, want);
	}
}

static void test_out_errors(void **state)
{
	struct mt_out o;
	struct mt_record r;
	unsigned char b[SAMPLE_BYTES];
	uint32_t size;
	int fd, p[2];

	(void)state;
	make_sample(b, &fig1);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_OK);

	/* Full disk: the error shows, and sticks. */
	fd = open("/dev/full", O_WRONLY);
	if (fd >= 0) {
		assert_int_equal(mt_out_init(&o, fd, "/dev/full", 0), 0);
		assert_int_equal(mt_out_header(&o), 0);
		assert_int_equal(mt_out_flush(&o), -1);
		assert_int_equal(o.err, ENOSPC);
		assert_int_equal(mt_out_row(&o, &r), -1);
		mt_out_free(&o);
		close(fd);
	}

	/* Closed pipe (SIGPIPE ignored, as the reader does): EPIPE. */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(mt_out_init(&o, p[1], "pipe", 0), 0);
	assert_int_equal(mt_out_header(&o), 0);
	assert_int_equal(mt_out_flush(&o), -1);
	assert_int_equal(o.err, EPIPE);
	mt_out_free(&o);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

static void test_out_buffering(void **state)
{
	char path[] = "/tmp/memtrace-out-XXXXXX";
	unsigned char b[SAMPLE_BYTES];
	char row[MT_CSV_ROW_MAX];
	struct mt_record r;
	struct mt_out o;
	struct stat sb;
	uint32_t size;
	size_t rowlen;
	int fd;

	(void)state;
	make_sample(b, &fig1);
	assert_int_equal(mt_decode(b, sizeof(b), &r, &size), MT_OK);
	rowlen = mt_csv_row(row, &r);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	/* A small buffer, so it flushes many times. */
	assert_int_equal(mt_out_init(&o, fd, path, 1500), 0);
	assert_int_equal(mt_out_header(&o), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(mt_out_row(&o, &r), 0);
	assert_int_equal(mt_out_flush(&o), 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, sizeof(header) - 1 + 1000 * rowlen);
	assert_int_equal(o.bytes, sb.st_size);
	mt_out_free(&o);
	close(fd);
	unlink(path);
}

static void test_live_merge_sparse_cpus(void **state)
{
	char dir[DIR_MAX], pidarg[16], want[8192] = "", row[512];
	const char *args[] = { "-D", dir, "-d", "0.3", "-I", "250",
			       "-p", pidarg, NULL };
	struct run run;
	char *s;

	(void)state;
	fake_dir(dir, sizeof(dir), "merge");
	/* cpu0 and cpu2 only (sparse), timestamps interleaved, a seq gap of
	 * 2 on cpu0 (seq 2 -> 5) reported by a loss record, one comm that
	 * needs quoting.  The stats file has no cpuN_seq (an older module):
	 * the first record of each CPU sets the expectation, and the stats
	 * delta is unknown. */
	add_sample(dir, 0, 1, 1000, 11, "a");
	add_sample(dir, 0, 2, 3000, 12, "b,c");
	add_loss(dir, 0, 5, 4000, 3, 3500, 3600, 7);
	add_sample(dir, 0, 5, 4000, 13, "d");
	add_sample(dir, 2, 7, 2000, 21, "e");
	add_sample(dir, 2, 8, 3000, 22, "f");
	add_sample(dir, 2, 9, 5000, 23, "g");
	snprintf(pidarg, sizeof(pidarg), "%d", (int)getpid());

	run_reader(args, "merge", &run);
	check_status(&run, 0);
	strcat(want, header);
	want_row(row, sizeof(row), 0, 1, 1000, 11, "a");
	strcat(want, row);
	want_row(row, sizeof(row), 2, 7, 2000, 21, "e");
	strcat(want, row);
	/* Equal ts_ns: cpu 0 before cpu 2. */
	want_row(row, sizeof(row), 0, 2, 3000, 12, "\"b,c\"");
	strcat(want, row);
	want_row(row, sizeof(row), 2, 8, 3000, 22, "f");
	strcat(want, row);
	want_row(row, sizeof(row), 0, 5, 4000, 13, "d");
	strcat(want, row);
	want_row(row, sizeof(row), 2, 9, 5000, 23, "g");
	strcat(want, row);
	assert_string_equal(run.out, want);
	assert_non_null(strstr(run.err,
		"6 records from 6 processes in 5 ticks, 2 lost (seq gaps), ? dropped (stats)"));
	/* The timestamps of the loss come from the loss record. */
	assert_non_null(strstr(run.err, "cpu0: 2 records lost in 1 gaps between ts_ns 3500 and 3600, ? dropped (stats)"));
	assert_non_null(strstr(run.err, "cpu0:   2 lost (seq 3..4) between ts_ns 3500 and 3600: loss record"));
	assert_non_null(strstr(run.err, "2 of 8 records lost (25.00%)"));
	assert_non_null(strstr(run.err, "subbuf_size"));
	assert_null(strstr(run.err, "disagree"));

	/* Control files: enabled and disabled again, interval set, the PID
	 * registered (plain files keep the last write; the module itself puts
	 * the filter back when the session file is closed, which the VM
	 * scenario 49-session checks), the session file opened. */
	s = read_in(dir, "enable");
	assert_int_equal(s[0], '0');
	free(s);
	s = read_in(dir, "interval_ms");
	assert_int_equal(strncmp(s, "250", 3), 0);
	free(s);
	/*
	 * The reader writes "clear", then "+PID", without truncating (the
	 * module's files take each write whole): a PID shorter than 4 digits
	 * leaves the end of "clear" behind in this plain file.
	 */
	s = read_in(dir, "pids");
	snprintf(row, sizeof(row), "+%d", (int)getpid());
	assert_int_equal(strncmp(s, row, strlen(row)), 0);
	assert_true(strlen(s) == strlen(row) || !strcmp(s + strlen(row), &"clear"[strlen(row)]));
	free(s);
	run_free(&run);
}

static void test_live_output_file_quiet(void **state)
{
	char dir[DIR_MAX], out[PATH_MAX];
	const char *args[] = { "-D", dir, "--duration=0.2", "--output", out,
			       "-q", NULL };
	struct run run;
	char *s;

	(void)state;
	fake_dir(dir, sizeof(dir), "ofile");
	snprintf(out, sizeof(out), "%s/ofile.csv", tmpdir);
	add_sample(dir, 3, 0, 7000, 1, "x");
	run_reader(args, "ofile", &run);
	check_status(&run, 0);
	assert_int_equal(run.out_len, 0);
	assert_string_equal(run.err, "");	/* -q, and nothing lost */
	s = read_in(tmpdir, "ofile.csv");
	assert_int_equal(strncmp(s, header, sizeof(header) - 1), 0);
	assert_non_null(strstr(s, "\n7000,3,0,7,1,x,"));
	free(s);
	run_free(&run);
}

/* Records that arrive while the reader runs, one split across two writes,
 * then SIGTERM: everything is written, exit 0. */
static void test_live_growing_files_sigterm(void **state)
{
	char dir[DIR_MAX], path[PATH_MAX];
	const char *args[] = { "-D", dir, NULL };
	unsigned char b[SAMPLE_BYTES];
	struct timespec ts = { 0, 250 * 1000 * 1000 };
	struct fig f = fig1;
	struct run run;
	pid_t pid;

	(void)state;
	fake_dir(dir, sizeof(dir), "grow");
	add_sample(dir, 1, 0, 1000, 1, "first");
	snprintf(path, sizeof(path), "%s/cpu1", dir);
	pid = spawn_reader(args, -1, "grow");
	wait_started(dir);
	nanosleep(&ts, NULL);
	f.cpu = 1;
	f.seq = 1;
	f.ts = 2000;
	f.comm = "split";
	make_sample(b, &f);
	spit(path, b, 77, true);
	nanosleep(&ts, NULL);
	spit(path, b + 77, sizeof(b) - 77, true);
	nanosleep(&ts, NULL);
	assert_int_equal(kill(pid, SIGTERM), 0);
	wait_reader(pid, "grow", &run);
	check_status(&run, 0);
	assert_non_null(strstr(run.out, "\n1000,1,0,1,1,first,"));
	assert_non_null(strstr(run.out, "\n2000,1,1,42,4242,split,"));
	assert_non_null(strstr(run.err, "2 records from 2 processes"));
	assert_non_null(strstr(run.err, "0 lost (seq gaps)"));
	run_free(&run);
}


/*
 * The merge watermark: a record whose ts_ns is within the margin (200 ms)
 * of now waits, so a record of another CPU with a smaller ts_ns that shows
 * up later still comes first; one that shows up too late is written out of
 * order and counted.
 */
static void test_live_watermark(void **state)
{
	char dir[DIR_MAX], want[4096] = "", row[512], *a, *b, *c, *d;
	const char *args[] = { "-D", dir, "-d", "2", NULL };
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	uint64_t now = mono_ns();
	struct run run;
	pid_t pid;

	(void)state;
	fake_dir(dir, sizeof(dir), "watermark");
	add_sample(dir, 0, 0, now - 3000000000u, 1, "A");	/* at once */
	add_sample(dir, 0, 1, now + 1000000000u, 2, "B");	/* waits */
	spit_str(dir, "cpu2", "");			/* filled later */
	pid = spawn_reader(args, -1, "watermark");
	wait_started(dir);
	nanosleep(&ts, NULL);
	add_sample(dir, 2, 0, now - 4000000000u, 3, "D");	/* too late */
	add_sample(dir, 2, 1, now + 900000000u, 4, "C");	/* before B */
	wait_reader(pid, "watermark", &run);
	check_status(&run, 0);
	strcat(want, header);
	want_row(row, sizeof(row), 0, 0, now - 3000000000u, 1, "A");
	strcat(want, row);
	want_row(row, sizeof(row), 2, 0, now - 4000000000u, 3, "D");
	strcat(want, row);
	want_row(row, sizeof(row), 2, 1, now + 900000000u, 4, "C");
	strcat(want, row);
	want_row(row, sizeof(row), 0, 1, now + 1000000000u, 2, "B");
	strcat(want, row);
	a = strstr(run.out, ",A,");
	b = strstr(run.out, ",B,");
	c = strstr(run.out, ",C,");
	d = strstr(run.out, ",D,");
	assert_true(a && b && c && d);
	assert_string_equal(run.out, want);
	assert_non_null(strstr(run.err, "1 records became readable more than 200 ms after their ts_ns"));
	run_free(&run);
}

/*
 * Drops after the last record read (no loss record can follow them) come
 * from the stats file at the end: cpuN_seq - the next seq expected.  They
 * count as lost, and the stats delta (cpuN_dropped) agrees.
 */
static void test_live_stats_drops(void **state)
{
	char dir[DIR_MAX];
	const char *args[] = { "-D", dir, "-d", "0.6", NULL };
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	struct run run;
	pid_t pid;

	(void)state;
	fake_dir(dir, sizeof(dir), "drops");
	spit_str(dir, "stats",
		 "records_written: 20\nrecords_dropped: 3\nticks: 9\n"
		 "cpu0_written: 0\ncpu0_dropped: 1\ncpu0_seq: 0\n"
		 "cpu2_written: 0\ncpu2_dropped: 2\ncpu2_seq: 0\n");
	add_sample(dir, 0, 0, 1000, 1, "a");
	add_sample(dir, 2, 0, 2000, 2, "b");
	pid = spawn_reader(args, -1, "drops");
	wait_started(dir);
	nanosleep(&ts, NULL);
	spit_str(dir, "stats",
		 "records_written: 22\nrecords_dropped: 10\nticks: 9\n"
		 "cpu0_written: 1\ncpu0_dropped: 1\ncpu0_seq: 1\n"
		 "cpu2_written: 1\ncpu2_dropped: 9\ncpu2_seq: 8\n");
	wait_reader(pid, "drops", &run);
	check_status(&run, 0);
	assert_non_null(strstr(run.err,
		"2 records from 2 processes in 2 ticks, 7 lost (seq gaps), 7 dropped (stats)"));
	assert_non_null(strstr(run.err, "cpu2: 7 records lost in 1 gaps between ts_ns 2000 and "));
	assert_non_null(strstr(run.err, "cpu2:   7 lost (seq 1..7) between ts_ns 2000 and "));
	assert_non_null(strstr(run.err, "after the last record read, from stats at the end"));
	assert_null(strstr(run.err, "cpu0:"));
	assert_non_null(strstr(run.err, "7 of 9 records lost (77.78%)"));
	assert_non_null(strstr(run.err, "n_subbufs"));
	run_free(&run);
}

static void test_live_bad_record(void **state)
{
	char dir[DIR_MAX], path[PATH_MAX];
	const char *args[] = { "-D", dir, "-d", "0.2", NULL };
	unsigned char junk[40];
	struct run run;

	(void)state;
	fake_dir(dir, sizeof(dir), "bad");
	add_sample(dir, 0, 0, 1000, 1, "a");
	memset(junk, 0x11, sizeof(junk));
	snprintf(path, sizeof(path), "%s/cpu0", dir);
	spit(path, junk, sizeof(junk), true);
	add_sample(dir, 0, 1, 2000, 2, "b");
	run_reader(args, "bad", &run);
	check_status(&run, 0);
	assert_non_null(strstr(run.err, "cpu0: bad record at byte offset 168 of "));
	assert_non_null(strstr(run.err, "bad magic 0x11111111"));
	assert_non_null(strstr(run.err, "skipped 40 bytes"));
	assert_non_null(strstr(run.err, "1 bad records, 40 bytes skipped"));
	assert_non_null(strstr(run.out, "\n1000,0,0,"));
	assert_non_null(strstr(run.out, "\n2000,0,1,"));
	run_free(&run);
}

/* The host's /proc/meminfo figure @key ("SwapTotal:"), kB. */
static unsigned long long host_meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long v = 0;
	char line[256];
	bool found = false;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			v = strtoull(line + strlen(key), NULL, 10);
			found = true;
		}
	fclose(f);
	assert_true(found);
	return v;
}

/*
 * System records (--system): one row a tick with every figure, an unknown
 * one the module could not read filled from /proc (SwapTotal) or left
 * empty (free_order10: /proc has nothing to fill it with); they consume a
 * seq like samples, so a sample after one is no gap, and a version 2
 * record of an unknown type consumes one too.  -w and -i give the same
 * system CSV byte for byte.
 */
static void test_live_system(void **state)
{
	char dir[DIR_MAX], sys[PATH_MAX], sys2[PATH_MAX], trace[PATH_MAX];
	char out[PATH_MAX], out2[PATH_MAX], want[4096], *p;
	const char *args[] = { "-D", dir, "-d", "0.3", "-o", out, "-w", trace,
			       "--system", sys, NULL };
	const char *dec[] = { "-i", trace, "-o", out2, "--system", sys2, NULL };
	unsigned char u[48];
	struct run run;
	char *a, *b;

	(void)state;
	fake_dir(dir, sizeof(dir), "system");
	snprintf(sys, sizeof(sys), "%s/system.csv", tmpdir);
	snprintf(sys2, sizeof(sys2), "%s/system2.csv", tmpdir);
	snprintf(trace, sizeof(trace), "%s/system.trace", tmpdir);
	snprintf(out, sizeof(out), "%s/system-p.csv", tmpdir);
	snprintf(out2, sizeof(out2), "%s/system-p2.csv", tmpdir);
	add_system(dir, 0, 0, 1000, 100,
		   1ull << SYS_SWAPTOTAL | 1ull << SYS_ORDER10);
	add_sample(dir, 0, 1, 1100, 11, "a");
	add_system(dir, 1, 4, 2000, 200, 0);
	/* a type this reader does not know, of format version 2: seq 5 */
	make_hdr(u, sizeof(u), 9, 1, 5, 2050);
	put_le(u, O_VERSION, 2, 2);
	snprintf(want, sizeof(want), "%s/cpu1", dir);
	spit(want, u, sizeof(u), true);
	add_sample(dir, 1, 6, 2100, 12, "b");
	spit_str(dir, "stats", "cpu0_seq: 0\ncpu1_seq: 4\n");

	run_reader(args, "system", &run);
	check_status(&run, 0);
	assert_null(strstr(run.err, "disagree"));
	assert_non_null(strstr(run.err, "2 system records"));
	assert_non_null(strstr(run.err, "0 lost (seq gaps)"));
	assert_non_null(strstr(run.err, "1 records of unknown types skipped"));
	run_free(&run);

	p = want + sprintf(want, "%s1000,1", sys_header);
	for (int i = 0; i < SYS_FIGS; i++) {
		if (i == SYS_SWAPTOTAL)
			p += sprintf(p, ",%llu", host_meminfo("SwapTotal:"));
		else if (i == SYS_ORDER10)
			p += sprintf(p, ",");
		else
			p += sprintf(p, ",%d", 100 + i);
	}
	p += sprintf(p, ",0,0,0\n2000,2");
	for (int i = 0; i < SYS_FIGS; i++)
		p += sprintf(p, ",%d", 200 + i);
	sprintf(p, ",0,1,4\n");
	a = slurp(sys, NULL);
	assert_string_equal(a, want);

	run_reader(dec, "system-i", &run);
	check_status(&run, 0);
	b = slurp(sys2, NULL);
	assert_string_equal(b, a);
	free(b);
	free(a);
	a = slurp(out, NULL);
	b = slurp(out2, NULL);
	assert_string_equal(b, a);
	free(a);
	free(b);
	run_free(&run);
}

/* --cgroup: a path under /sys/fs/cgroup, or from there, goes to DIR/cgroups
 * as the module takes it; a module without the file is named. */
static void test_live_cgroup_arg(void **state)
{
	char dir[DIR_MAX];
	const char *args[] = { "-D", dir, "-d", "0.1", "-o", "/dev/null",
			       "--cgroup", "/sys/fs/cgroup/x/y", NULL };
	const char *rel[] = { "-D", dir, "-d", "0.1", "-o", "/dev/null",
			      "--cgroup", "x", NULL };
	struct run run;
	char *s;

	(void)state;
	fake_dir(dir, sizeof(dir), "cgarg");
	add_sample(dir, 0, 0, 1000, 1, "a");
	run_reader(args, "cgarg-old", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "cgroups: No such file or directory: the loaded memtrace module is older"));
	run_free(&run);
	spit_str(dir, "cgroups", "");
	run_reader(args, "cgarg", &run);
	check_status(&run, 0);
	run_free(&run);
	s = read_in(dir, "cgroups");
	assert_string_equal(s, "+/x/y");
	free(s);
	spit_str(dir, "cgroups", "");	/* a plain file keeps a longer write's tail */
	run_reader(rel, "cgarg-rel", &run);
	check_status(&run, 0);
	run_free(&run);
	s = read_in(dir, "cgroups");
	assert_string_equal(s, "+/x");
	free(s);
}

static void test_live_future_version(void **state)
{
	char dir[DIR_MAX], path[PATH_MAX];
	const char *args[] = { "-D", dir, "-d", "5", NULL };
	unsigned char b[SAMPLE_BYTES];
	struct fig f = fig1;
	struct run run;
	char *s;

	(void)state;
	fake_dir(dir, sizeof(dir), "future");
	add_sample(dir, 0, 0, 1000, 1, "a");
	f.cpu = 0;
	f.seq = 1;
	make_sample(b, &f);
	put_le(b, O_VERSION, MEMTRACE_VERSION + 1, 2);
	snprintf(path, sizeof(path), "%s/cpu0", dir);
	spit(path, b, sizeof(b), true);
	run_reader(args, "future", &run);
	check_status(&run, 1);	/* at once, not after -d 5 */
	snprintf(path, sizeof(path), "record format version %d is newer than this reader's %d",
		 MEMTRACE_VERSION + 1, MEMTRACE_VERSION);
	assert_non_null(strstr(run.err, path));
	assert_non_null(strstr(run.err, "update memtrace-reader"));
	/* What came before is written; tracing is disabled again. */
	assert_non_null(strstr(run.out, "\n1000,0,0,"));
	s = read_in(dir, "enable");
	assert_int_equal(s[0], '0');
	free(s);
	run_free(&run);
}

/*
 * After rmmod, reads of the relay files fail with EIO.  /proc/self/mem
 * read at offset 0 (unmapped) fails the same way, so cpu1 links there.
 */
static void test_live_module_unloaded(void **state)
{
	char dir[DIR_MAX], path[PATH_MAX];
	const char *args[] = { "-D", dir, "-d", "5", NULL };
	struct run run;

	(void)state;
	fake_dir(dir, sizeof(dir), "rmmod");
	add_sample(dir, 0, 0, 1000, 1, "a");
	snprintf(path, sizeof(path), "%s/cpu1", dir);
	assert_int_equal(symlink("/proc/self/mem", path), 0);
	run_reader(args, "rmmod", &run);
	check_status(&run, 1);	/* at once, not after -d 5 */
	assert_non_null(strstr(run.err, "cpu1: Input/output error: module unloaded"));
	/* What was read is written, and the summary still comes. */
	assert_non_null(strstr(run.out, "\n1000,0,0,"));
	assert_non_null(strstr(run.err, "1 records from 1 processes"));
	run_free(&run);
}

/*
 * A kernel without high-resolution timers (stats' timer_resolution_ns: a
 * jiffy, 4 ms at HZ=250) rounds -I 1 up to it: the reader says so once; at
 * 1 ns (high-resolution mode) or with -I above the resolution it says
 * nothing.
 */
static void test_live_timer_resolution(void **state)
{
	static const struct {
		const char *iv, *res;
		bool warn;
	} cases[] = {
		{ "1", "4000000", true },
		{ "1", "1", false },
		{ "10", "4000000", false },
	};
	char dir[DIR_MAX], tag[32], stats[128];
	const char *args[] = { "-D", dir, "-I", NULL, "-d", "0.1", NULL };
	struct run run;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(tag, sizeof(tag), "timerres%zu", i);
		fake_dir(dir, sizeof(dir), tag);
		snprintf(stats, sizeof(stats), "ticks: 5\ntimer_resolution_ns: %s\n",
			 cases[i].res);
		spit_str(dir, "stats", stats);
		add_sample(dir, 0, 0, 1000, 1, "a");
		/* empty: the reader's write of -I is then what it reads back */
		spit_str(dir, "interval_ms", "");
		args[3] = cases[i].iv;
		run_reader(args, tag, &run);
		check_status(&run, 0);
		if (cases[i].warn) {
			assert_non_null(strstr(run.err,
				"warning: this kernel's timers resolve to 4 ms (timer_resolution_ns 4000000 in "));
			assert_non_null(strstr(run.err,
				"the sampler ticks every 4 ms, not every 1 ms"));
		} else {
			assert_null(strstr(run.err, "timers resolve to"));
		}
		run_free(&run);
	}
}

/*
 * --html on a live session: written when it ends, and the same file, byte
 * for byte, as -i writes from the session's raw trace (the -i report is
 * the one tests/view checks in Chromium against the CSV).  A UTF-8 comm
 * is written as it is, an invalid byte and '<' as \u00XX.
 */
static void test_live_html(void **state)
{
	char dir[DIR_MAX], trace[PATH_MAX], live[PATH_MAX], dec[PATH_MAX];
	char csv[PATH_MAX], sys[PATH_MAX];
	const char *args[] = { "-D", dir, "-d", "0.3", "-w", trace, "-o", csv,
			       "--system", sys, "--html", live, NULL };
	const char *decode[] = { "-i", trace, "-o", "/dev/null", "--html", dec, NULL };
	struct run run;
	size_t alen, blen;
	char *a, *b;

	(void)state;
	fake_dir(dir, sizeof(dir), "html");
	snprintf(trace, sizeof(trace), "%s/html.trace", tmpdir);
	snprintf(live, sizeof(live), "%s/html-live.html", tmpdir);
	snprintf(dec, sizeof(dec), "%s/html-dec.html", tmpdir);
	snprintf(csv, sizeof(csv), "%s/html.csv", tmpdir);
	snprintf(sys, sizeof(sys), "%s/html-sys.csv", tmpdir);
	/* the stats file has no cpuN_seq: the first records set them */
	add_system(dir, 0, 0, 1000, 100, 0);
	add_sample(dir, 0, 1, 1100, 11, "alpha");
	add_sample(dir, 1, 0, 1200, 12, "beta");
	add_sample(dir, 0, 2, 2100, 11, "alpha");
	add_sample(dir, 1, 1, 2200, 12, "beta");
	add_sample(dir, 0, 3, 3100, 13, "caf\xc3\xa9");
	add_sample(dir, 1, 2, 3200, 14, "x\xff<y");
	run_reader(args, "html", &run);
	check_status(&run, 0);
	run_free(&run);
	run_reader(decode, "html-dec", &run);
	check_status(&run, 0);
	run_free(&run);
	a = slurp(live, &alen);
	b = slurp(dec, &blen);
	assert_true(alen > 1000);
	assert_non_null(strstr(a, "uPlot"));
	assert_non_null(strstr(a, "alpha"));
	assert_non_null(strstr(a, "beta"));
	assert_non_null(strstr(a, "\"comm\":\"caf\xc3\xa9\""));
	assert_non_null(strstr(a, "\"comm\":\"x\\u00ff\\u003cy\""));
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
}

/*
 * --html that fails leaves an existing FILE as it was and no temporary
 * file: -i of a file with a bad header (the sinks never end), and a write
 * error part-way (the file size limit: the report is far more than 4 kB).
 */
static void test_html_kept_on_failure(void **state)
{
	char dir[DIR_MAX], trace[PATH_MAX], bad[PATH_MAX], old[PATH_MAX];
	const char *rec[] = { "-D", dir, "-d", "0.3", "-w", trace, "-o", "/dev/null", NULL };
	const char *badhdr[] = { "-i", bad, "-o", "/dev/null", "--html", old, NULL };
	const char *big[] = { "-i", trace, "-o", "/dev/null", "--html", old, NULL };
	struct run run;
	char *s;

	(void)state;
	fake_dir(dir, sizeof(dir), "htmlf");
	snprintf(trace, sizeof(trace), "%s/htmlf.trace", tmpdir);
	snprintf(bad, sizeof(bad), "%s/htmlf-bad.trace", tmpdir);
	snprintf(old, sizeof(old), "%s/htmlf-old.html", tmpdir);
	add_sample(dir, 0, 0, 1100, 11, "alpha");
	run_reader(rec, "htmlf-rec", &run);
	check_status(&run, 0);
	run_free(&run);
	spit(old, "old\n", 4, false);

	spit(bad, "not a memtrace trace, not at all\n", 33, false);
	run_reader(badhdr, "htmlf-bad", &run);
	check_status(&run, 1);
	run_free(&run);
	want_file(old, "old\n");
	assert_int_equal(count_prefixed("htmlf-old.html"), 1);

	run_reader_fsize(big, 4096, "htmlf-big", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "File too large"));
	run_free(&run);
	want_file(old, "old\n");
	assert_int_equal(count_prefixed("htmlf-old.html"), 1);

	/* and without a limit the report replaces it */
	run_reader(big, "htmlf-ok", &run);
	check_status(&run, 0);
	run_free(&run);
	s = slurp(old, NULL);
	assert_non_null(strstr(s, "alpha"));
	free(s);
	assert_int_equal(count_prefixed("htmlf-old.html"), 1);
}

/* Any other read error names the file and exits 1. */
static void test_live_read_error(void **state)
{
	char dir[DIR_MAX], path[PATH_MAX];
	const char *args[] = { "-D", dir, "-d", "5", NULL };
	struct run run;
	char *s;

	(void)state;
	fake_dir(dir, sizeof(dir), "eisdir");
	snprintf(path, sizeof(path), "%s/cpu7", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	run_reader(args, "eisdir", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "reading "));
	assert_non_null(strstr(run.err, "cpu7: Is a directory"));
	assert_string_equal(run.out, header);
	s = read_in(dir, "enable");
	assert_int_equal(s[0], '0');
	free(s);
	run_free(&run);
}

static void test_live_output_errors(void **state)
{
	char dir[DIR_MAX];
	const char *full[] = { "-D", dir, "-d", "0.2", "-o", "/dev/full", NULL };
	const char *args[] = { "-D", dir, "-d", "0.5", NULL };
	struct run run;
	int p[2];
	pid_t pid;
	char *s;

	(void)state;
	fake_dir(dir, sizeof(dir), "oerr");
	add_sample(dir, 0, 0, 1000, 1, "a");
	run_reader(full, "full", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "writing /dev/full: No space left on device"));
	s = read_in(dir, "enable");
	assert_int_equal(s[0], '0');
	free(s);
	run_free(&run);

	/* Closed pipe: EPIPE, not death by SIGPIPE. */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	pid = spawn_reader(args, p[1], "epipe");
	close(p[1]);
	wait_reader(pid, "epipe", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "writing standard output: Broken pipe"));
	run_free(&run);
}

static void test_usage(void **state)
{
	const char *help[] = { "--help", NULL };
	const char *version[] = { "-V", NULL };
	const char *const bad[][6] = {
		{ "--bogus", NULL },
		{ "-d", "0", NULL },
		{ "-d", "abc", NULL },
		{ "-d", "-1", NULL },
		{ "-I", "0", NULL },
		{ "-I", "60001", NULL },
		{ "-I", "5ms", NULL },
		{ "-p", "0", NULL },
		{ "-p", "12x", NULL },
		{ "extra", NULL },
		{ "-d", NULL },
		{ "-i", "x.dat", "-d", "1", NULL },
		{ "-i", "x.dat", "-w", "y.dat", NULL },
		{ "-i", "x.dat", "-p", "1", NULL },
		{ "-i", "x.dat", "-D", "/tmp", NULL },
		{ "-w", "-", "-o", "-", NULL },
		{ "-w", "same", "-o", "same", NULL },
		{ "-i", "x.dat", "--cgroup", "/a", NULL },
		{ "--cgroup", "/a\nb", NULL },
		{ "--system", "-", NULL },	/* and the CSV's default stdout */
		{ "--system", "s.csv", "-o", "s.csv", NULL },
	};
	static const char *const opts[] = {
		"-d SECONDS", "--duration=SECONDS", "-o FILE", "--output=FILE",
		"-p PID", "--pid=PID", "-I MS", "--interval=MS", "-D DIR",
		"--debugfs=DIR", "-q", "--quiet", "-V", "--version", "--help",
		"-w FILE", "--write=FILE", "-i FILE", "--input=FILE", "-r",
		"--realtime", "--system=FILE", "--cgroup=PATH",
	};
	struct run run;

	(void)state;
	run_reader(help, "help", &run);
	check_status(&run, 0);
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		assert_non_null(strstr(run.out, opts[i]));
	assert_string_equal(run.err, "");
	run_free(&run);

	run_reader(version, "version", &run);
	check_status(&run, 0);
	assert_non_null(strstr(run.out, "memtrace-reader "));
	run_free(&run);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_reader(bad[i], "bad-usage", &run);
		check_status(&run, 2);
		assert_non_null(strstr(run.err, "Usage: memtrace-reader"));
		assert_int_equal(run.out_len, 0);
		run_free(&run);
	}
}

/*
 * An output naming the -i input (also by another spelling), or
 * --openmetrics and another output naming the same file: bad usage, with a
 * message naming the options, and the input left as it was.
 */
static void test_usage_output_is_input(void **state)
{
	char in[PATH_MAX], in2[PATH_MAX + 8], x[PATH_MAX];
	const char *cases[][9] = {
		{ "-i", in, "-o", "/dev/null", "--html", in, NULL },
		{ "-i", in, "-o", "/dev/null", "--perfetto", in2, NULL },
		{ "-i", in, "-o", in2, NULL },
		{ "-i", in, "-o", "/dev/null", "--openmetrics", in, NULL },
		{ "-i", in, "-o", "/dev/null", "--openmetrics", x, "--html", x, NULL },
	};
	static const char *const want[] = {
		"--html '", "--perfetto '", "-o '", "--openmetrics '",
		"--html and --openmetrics name the same file",
	};
	struct run run;

	(void)state;
	snprintf(in, sizeof(in), "%s/oi.trace", tmpdir);
	snprintf(in2, sizeof(in2), "%s/./oi.trace", tmpdir);
	snprintf(x, sizeof(x), "%s/oi-x.prom", tmpdir);
	spit(in, "keep\n", 5, false);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_reader(cases[i], "oi", &run);
		check_status(&run, 2);
		assert_non_null(strstr(run.err, want[i]));
		if (i < 4)
			assert_non_null(strstr(run.err, "is the -i input"));
		run_free(&run);
		want_file(in, "keep\n");
	}
	assert_int_equal(count_prefixed("oi-x"), 0);
}

static void test_setup_errors(void **state)
{
	char dir[DIR_MAX], nodir[DIR_MAX], empty[DIR_MAX];
	const char *missing[] = { "-D", nodir, "-d", "0.1", NULL };
	const char *nocpu[] = { "-D", empty, "-d", "0.1", NULL };
	const char *nopid[] = { "-D", dir, "-d", "0.1", "-p", "2147483647", NULL };
	struct run run;
	char *s;

	(void)state;
	snprintf(nodir, sizeof(nodir), "%s/no-such-dir", tmpdir);
	run_reader(missing, "missing", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "module is not loaded"));
	assert_non_null(strstr(run.err, "insmod module/memtrace.ko or modprobe memtrace"));
	assert_null(strchr(strchr(run.err, '\n') + 1, '\n'));	/* one line */
	run_free(&run);

	fake_dir(empty, sizeof(empty), "nocpu");
	run_reader(nocpu, "nocpu", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "holds no cpuN files"));
	run_free(&run);

	fake_dir(dir, sizeof(dir), "nopid");
	add_sample(dir, 0, 0, 1000, 1, "a");
	run_reader(nopid, "nopid", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "no such process: 2147483647"));
	s = read_in(dir, "enable");
	assert_int_equal(s[0], '0');		/* never enabled */
	free(s);
	run_free(&run);
}

/* ---- main ---------------------------------------------------------------- */


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_valid_sample),
		cmocka_unit_test(test_decode_bad_magic),
		cmocka_unit_test(test_decode_future_version),
		cmocka_unit_test(test_decode_impossible_size),
		cmocka_unit_test(test_decode_system),
		cmocka_unit_test(test_decode_cgroup),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_decode_unknown_type_skipped),
		cmocka_unit_test(test_decode_longer_sample),
		cmocka_unit_test(test_stream_split_reads),
		cmocka_unit_test(test_stream_resync),
		cmocka_unit_test(test_stream_wrong_cpu),
		cmocka_unit_test(test_csv_header),
		cmocka_unit_test(test_csv_row_exact),
		cmocka_unit_test(test_csv_row_delays),
		cmocka_unit_test(test_csv_row_pss),
		cmocka_unit_test(test_csv_row_idle),
		cmocka_unit_test(test_csv_comm_quoting),
		cmocka_unit_test(test_csv_comm_16_bytes),
		cmocka_unit_test(test_csv_u64_max),
		cmocka_unit_test(test_u64_dec),
		cmocka_unit_test(test_out_errors),
		cmocka_unit_test(test_out_buffering),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_usage_output_is_input),
		cmocka_unit_test(test_setup_errors),
		cmocka_unit_test(test_live_merge_sparse_cpus),
		cmocka_unit_test(test_live_output_file_quiet),
		cmocka_unit_test(test_live_growing_files_sigterm),
		cmocka_unit_test(test_live_watermark),
		cmocka_unit_test(test_live_stats_drops),
		cmocka_unit_test(test_live_bad_record),
		cmocka_unit_test(test_live_system),
		cmocka_unit_test(test_live_cgroup_arg),
		cmocka_unit_test(test_live_future_version),
		cmocka_unit_test(test_live_module_unloaded),
		cmocka_unit_test(test_live_read_error),
		cmocka_unit_test(test_live_timer_resolution),
		cmocka_unit_test(test_live_html),
		cmocka_unit_test(test_html_kept_on_failure),
		cmocka_unit_test(test_live_output_errors),
	};
	int failed;

	if (tl_init("test_decode"))
		return 1;
	failed = cmocka_run_group_tests_name("memtrace-reader", tests, NULL, NULL);
	tl_done(failed);
	return failed ? 1 : 0;
}
