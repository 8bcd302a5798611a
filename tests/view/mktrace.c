// SPDX-License-Identifier: GPL-2.0
/*
 * mktrace - write a raw trace file (Documentation/memtrace-trace-file.rst)
 * of made-up records with known values to standard output, for the HTML
 * report's test (tests/view/test_report.mjs) and bench (bench/html-report).
 * The records go through the reader's own session code (session.h, the
 * raw output of -w), so the file is what a live session would write; the
 * test then checks the report against the CSV that `memtrace-reader -i`
 * writes from the same file.
 *
 * Usage: mktrace [--procs N] [--ticks N] [--interval-ms MS] [--loss]
 *                [--system] [--cgroups] [--wss] [--big] [--reuse]
 *
 * Process k (0..N-1) is pid 1000 + k, named "proc-k", except k = 3
 * ("needle-a"), k = 7 ("needle-b") and k = 5 ('a<b>"&c', for escaping);
 * its RSS grows with k, so the processes of highest peak RSS are the last.
 * Its samples are on CPU k % 2, one per tick, tick i at
 * i * interval + k us.  --wss: WSS in every 5th tick, PSS in every 10th,
 * idle ages (10 s, 60 s) in every 5th.  --loss: on CPU 0, 5 records lost
 * before tick ticks/3 (a sequence gap and the loss record that reports it),
 * and ticks_missed rising by 3 at tick ticks/2.  --system: a system record
 * per tick (CPU 0); --cgroups: two cgroup records per tick after it.
 * --big: from tick ticks/2 on, the system record's MemAvailable is above
 * 4 TiB (5 TiB + 100 kB a tick), a figure 32 bits of kB cannot hold.
 * --reuse: from tick ticks/2 on, pid 1001 is another process ("reborn"),
 * its cumulative counters (faults, CPU time) starting again from 0.
 * Exit status: 0, or 1 (reported), 2 bad usage.
 */
#include <endian.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csvout.h"
#include "decode.h"
#include "session.h"
#include "tracefile.h"

#define T0_NS 1000000000000ull		/* the session's start, CLOCK_MONOTONIC */

static struct mt_sess sess;
static uint64_t seq[2];

/* One record's bytes, decoded and handed to the session (raw output). */
static void emit(const void *buf, uint32_t len)
{
	struct mt_record rec;
	uint32_t size;
	enum mt_status st = mt_decode(buf, len, &rec, &size);

	if (!mt_status_is_record(st) || size != len) {
		fprintf(stderr, "mktrace: made a bad record (%s)\n", mt_status_str(st));
		exit(1);
	}
	if (mt_sess_record(&sess, st, &rec, buf, len, 0)) {
		fprintf(stderr, "mktrace: writing failed\n");
		exit(1);
	}
}

static void hdr(struct memtrace_rec_hdr *h, uint16_t type, uint32_t size,
		uint32_t cpu, uint64_t s, uint64_t ts)
{
	h->magic = htole32(MEMTRACE_MAGIC);
	h->version = htole16(MEMTRACE_VERSION);
	h->type = htole16(type);
	h->size = htole32(size);
	h->cpu = htole32(cpu);
	h->seq = htole64(s);
	h->ts_ns = htole64(ts);
}

/* --big: MemAvailable above 4 TiB from this tick on (else never) */
static uint64_t big_from = UINT64_MAX;
/* --reuse: pid 1001 another process from this tick on (else never) */
static uint64_t reuse_from = UINT64_MAX;

static const char *comm_of(unsigned int k)
{
	static char buf[16];

	if (k == 3)
		return "needle-a";
	if (k == 7)
		return "needle-b";
	if (k == 5)
		return "a<b>\"&c";
	snprintf(buf, sizeof(buf), "proc-%u", k);
	return buf;
}

static void sample(unsigned int k, uint64_t i, uint64_t ts, uint64_t missed,
		   bool wss, uint64_t interval_ns)
{
	struct memtrace_sample r;
	uint32_t cpu = k % 2;
	uint64_t anon = (k + 1) * 2048ull + (i % 50) * 10 * (k + 1);
	uint64_t file = 512 + (i * 3) % 200, shmem = 64ull * (k % 3);
	uint32_t flags = 0;
	/* the counters' tick: from 0 again for the process that reuses 1001 */
	bool reborn = k == 1 && i >= reuse_from;
	uint64_t c = reborn ? i - reuse_from : i;

	memset(&r, 0, sizeof(r));
	hdr(&r.hdr, MEMTRACE_REC_SAMPLE, sizeof(r), cpu, seq[cpu]++, ts);
	r.tick = htole64(i);
	r.tgid = htole32(1000 + k);
	strncpy(r.comm, reborn ? "reborn" : comm_of(k), sizeof(r.comm));
	r.vsz_kb = htole64(anon * 4);
	r.rss_anon_kb = htole64(anon);
	r.rss_file_kb = htole64(file);
	r.rss_shmem_kb = htole64(shmem);
	r.swap_kb = htole64(i % 7 ? 0 : 100 + k);
	r.hwm_kb = htole64(anon + file + shmem);
	r.minflt = htole64(c * (10 + k) + (c * c) % 17);
	r.majflt = htole64(c / 10);
	/* CPU: (k % 4) * 12.5 % user, 5 % system */
	r.utime_ns = htole64(c * interval_ns * (k % 4) / 8);
	r.stime_ns = htole64(c * interval_ns / 20);
	r.ticks_missed = htole64(missed);
	if (wss && i % 5 == 0) {
		flags |= MEMTRACE_SAMPLE_WSS_VALID | MEMTRACE_SAMPLE_IDLE_VALID;
		r.wss_kb = htole64(anon / 2);
		r.wss_window_ns = htole64(500000000);
		r.idle_kb[0] = htole64(anon / 4);
		r.idle_kb[1] = htole64(anon / 8);
		r.idle_s[0] = htole32(10);
		r.idle_s[1] = htole32(60);
	}
	if (wss && i % 10 == 0) {
		flags |= MEMTRACE_SAMPLE_PSS_VALID;
		r.pss_kb = htole64(anon + file / 2);
		r.swap_pss_kb = htole64(MEMTRACE_UNKNOWN);
		r.pss_window_ns = htole64(1000000000);
	}
	r.flags = htole32(flags);
	emit(&r, sizeof(r));
}

static void system_rec(uint64_t i, uint64_t ts, uint64_t missed)
{
	struct memtrace_system r;
	__le64 *v = &r.memtotal_kb;

	memset(&r, 0, sizeof(r));
	hdr(&r.hdr, MEMTRACE_REC_SYSTEM, sizeof(r), 0, seq[0]++, ts);
	r.tick = htole64(i);
	r.nr_cpus = htole32(2);
	r.ticks_missed = htole64(missed);
	for (size_t f = 0; f < MEMTRACE_SYSTEM_FIGURES; f++)
		v[f] = htole64(1000 + f * i);
	r.memtotal_kb = htole64(16000000);
	r.memavailable_kb = htole64(i >= big_from ? (5ull << 30) + i * 100 :
				    8000000 - i * 100);
	r.memfree_kb = htole64(4000000 - i * 50);
	r.swaptotal_kb = htole64(2000000);
	r.swapfree_kb = htole64(2000000 - i * 10);
	r.psi_memory_some_us = htole64(i * 20000);
	r.psi_memory_full_us = htole64(i * 5000);
	emit(&r, sizeof(r));
}

static void cgroup_rec(uint64_t i, uint64_t ts, unsigned int n)
{
	unsigned char buf[sizeof(struct memtrace_cgroup) + MEMTRACE_CGROUP_PATH_MAX + 8];
	struct mt_hdr h = { .cpu = 0, .seq = seq[0], .ts_ns = ts };
	struct mt_cginfo c;
	size_t len;

	memset(&c, 0, sizeof(c));
	c.tick = i;
	c.cgroup_id = 100 + n;
	c.path = n ? "/b/c" : "/a";
	c.path_len = (uint32_t)strlen(c.path);
	for (size_t f = 0; f < MEMTRACE_CGROUP_FIGURES; f++)
		c.v[f] = f * i;
	c.v[0] = (n + 1) * 100000 + i * 10;
	len = mt_encode_cgroup(buf, &h, &c);
	emit(buf, (uint32_t)len);
}

static void loss_rec(uint64_t ts, uint64_t lost, uint64_t first_ts,
		     uint64_t last_ts)
{
	struct memtrace_loss r;

	memset(&r, 0, sizeof(r));
	hdr(&r.hdr, MEMTRACE_REC_LOSS, sizeof(r), 0, seq[0], ts);
	r.lost = htole64(lost);
	r.lost_total = htole64(lost);
	r.first_seq = htole64(seq[0] - lost);
	r.first_ts_ns = htole64(first_ts);
	r.last_ts_ns = htole64(last_ts);
	emit(&r, sizeof(r));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "procs", required_argument, NULL, 'p' },
		{ "ticks", required_argument, NULL, 't' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "loss", no_argument, NULL, 'l' },
		{ "system", no_argument, NULL, 's' },
		{ "cgroups", no_argument, NULL, 'c' },
		{ "wss", no_argument, NULL, 'w' },
		{ "big", no_argument, NULL, 'b' },
		{ "reuse", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long procs = 12, ticks = 200, interval_ms = 100;
	bool loss = false, sys = false, cgroups = false, wss = false, big = false;
	bool reuse = false;
	struct mt_tfile_info info;
	struct mt_out out;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': procs = strtoul(optarg, NULL, 10); break;
		case 't': ticks = strtoul(optarg, NULL, 10); break;
		case 'i': interval_ms = strtoul(optarg, NULL, 10); break;
		case 'l': loss = true; break;
		case 's': sys = true; break;
		case 'c': cgroups = true; break;
		case 'w': wss = true; break;
		case 'b': big = true; break;
		case 'r': reuse = true; break;
		default:
			fprintf(stderr, "usage: mktrace [--procs N] [--ticks N] [--interval-ms MS] [--loss] [--system] [--cgroups] [--wss] [--big] [--reuse]\n");
			return 2;
		}
	}
	if (!procs || !ticks || !interval_ms || procs > 100000) {
		fprintf(stderr, "mktrace: bad --procs, --ticks or --interval-ms\n");
		return 2;
	}
	if (big)
		big_from = ticks / 2;
	if (reuse)
		reuse_from = ticks / 2;
	mt_tfile_info_now(&info);
	info.start_mono_ns = T0_NS;
	info.start_real_ns = 1700000000000000000ull;
	for (uint32_t c = 0; c < 2; c++) {
		struct mt_tfile_cpu tc = { .cpu = c };

		if (mt_tfile_info_add_cpu(&info, &tc))
			return 1;
	}
	if (mt_out_init(&out, STDOUT_FILENO, "standard output", 1u << 20))
		return 1;
	mt_sess_init(&sess, NULL, &out, false);
	if (mt_sess_begin(&sess, &info))
		return 1;
	mt_tfile_info_free(&info);
	for (uint64_t i = 0; i < ticks; i++) {
		uint64_t ts = T0_NS + i * interval_ms * 1000000;
		uint64_t missed = loss && i >= ticks / 2 ? 3 : 0;

		if (loss && i == ticks / 3) {
			/* 5 records of CPU 0 lost just before this tick */
			seq[0] += 5;
			loss_rec(ts, 5, ts - 2000000, ts - 1000000);
		}
		if (sys)
			system_rec(i, ts, missed);
		for (unsigned int n = 0; cgroups && n < 2; n++)
			cgroup_rec(i, ts + 100 + n, n);
		for (unsigned int k = 0; k < procs; k++)
			sample(k, i, ts + 1000 + k * 1000, missed, wss,
			       interval_ms * 1000000);
	}
	if (mt_sess_flush(&sess) || mt_out_flush(&out)) {
		fprintf(stderr, "mktrace: writing failed\n");
		return 1;
	}
	mt_sess_free(&sess);
	mt_out_free(&out);
	return 0;
}
