// SPDX-License-Identifier: GPL-2.0
/*
 * top_fixture.c - the records of test_top.sh (memtrace-reader --top), built
 * byte by byte with testlib.c: five processes whose figures grow by fixed
 * amounts per tick, and a system record per tick, every 500 ms of trace
 * time (ts_ns = tick * 500 ms), all on CPU 0.
 *
 *   top-fixture new DIR FIRST LAST     a fake module directory DIR with the
 *                                      ticks FIRST..LAST in DIR/cpu0
 *   top-fixture append DIR FIRST LAST  the ticks FIRST..LAST appended
 *
 * Tick T holds, at seqs 6(T-1) .. 6(T-1)+5: the system record (MemTotal
 * 16000000 kB, MemAvailable 8000000, SwapTotal 4000000, SwapFree 3000000,
 * PSI memory some 12500 us and full 5000 us per tick: 2.5 % and 1.0 %),
 * then these processes (KiB; rates per second; WSS measured on even
 * ticks only):
 *
 *   pid comm      anon        file  shmem  swap   WSS    minflt majflt CPU%
 *   101 alpha     50000       20000 0      100    30000  10     0      5
 *   102 beta      10000       5000  1000   90000  12000  500    20     50
 *   103 gamma     200000 + T  10000 0      0      5000   2      0      1
 *   104 delta     30000       30000 30000  4000   80000  50     6      120
 *   105 alphabet  1000        1000  0      200    1500   0      0      0
 *
 * ticks_missed is 3 before tick 10 and 5 from it on.  With TOP_FIXTURE_NOSYS=1
 * in the environment, no system record: tick T's processes at seqs
 * 5(T-1) .. 5(T-1)+4.  Exit status 0, or 1 on bad usage.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testlib.h"

#define TICK_NS 500000000ull

/* Per tick: counters' increments (faults; CPU time in ns). */
static const struct proc {
	uint32_t pid;
	const char *comm;
	uint64_t anon, file, shmem, swap, wss;
	uint64_t minflt, majflt, utime, stime;
} procs[] = {
	{ 101, "alpha", 50000, 20000, 0, 100, 30000, 5, 0, 20000000, 5000000 },
	{ 102, "beta", 10000, 5000, 1000, 90000, 12000, 250, 10, 200000000,
	  50000000 },
	{ 103, "gamma", 200000, 10000, 0, 0, 5000, 1, 0, 5000000, 0 },
	{ 104, "delta", 30000, 30000, 30000, 4000, 80000, 25, 3, 450000000,
	  150000000 },
	{ 105, "alphabet", 1000, 1000, 0, 200, 1500, 0, 0, 0, 0 },
};
#define NPROCS (sizeof(procs) / sizeof(procs[0]))

/* TOP_FIXTURE_NOSYS: no system records */
static bool nosys;

static void add_tick(const char *path, uint64_t t)
{
	unsigned char sys[SYSTEM_BYTES], smp[NPROCS][SAMPLE_BYTES];
	uint64_t seq = (nosys ? NPROCS : NPROCS + 1) * (t - 1), ts = t * TICK_NS;
	uint64_t missed = t >= 10 ? 5 : 3;

	make_system(sys, 0, seq, ts, t, 0, 0);
	put_le(sys, O_SYS_MISSED, missed, 8);
	put_le(sys, O_SYS_FIG + 8 * 0, 16000000, 8);	/* memtotal_kb */
	put_le(sys, O_SYS_FIG + 8 * 2, 8000000, 8);	/* memavailable_kb */
	put_le(sys, O_SYS_FIG + 8 * SYS_SWAPTOTAL, 4000000, 8);
	put_le(sys, O_SYS_FIG + 8 * (SYS_SWAPTOTAL + 1), 3000000, 8);
	put_le(sys, O_SYS_FIG + 8 * SYS_PSI_MEM_SOME, t * 12500, 8);
	put_le(sys, O_SYS_FIG + 8 * (SYS_PSI_MEM_SOME + 1), t * 5000, 8);
	if (!nosys)
		spit(path, sys, sizeof(sys), true);
	/* the processes: after the system record, or from seq without one */
	seq += !nosys;
	for (size_t i = 0; i < NPROCS; i++) {
		const struct proc *p = &procs[i];
		struct fig f = {
			.seq = seq + i, .ts = ts + 1000 * (i + 1), .tick = t,
			.cpu = 0, .tgid = p->pid, .comm = p->comm,
			.vsz = 1000000, .anon = p->anon + (p->pid == 103 ? t : 0),
			.file = p->file, .shmem = p->shmem, .swap = p->swap,
			.hwm = 300000, .minflt = 1000 + p->minflt * t,
			.majflt = 10 + p->majflt * t, .utime = p->utime * t,
			.stime = p->stime * t, .missed = missed,
		};

		if (t % 2 == 0) {
			f.flags = 1;	/* MEMTRACE_SAMPLE_WSS_VALID */
			f.wss = p->wss;
			f.wss_win = TICK_NS;
		}
		make_sample(smp[i], &f);
	}
	spit(path, smp, sizeof(smp), true);
}

int main(int argc, char **argv)
{
	char dir[DIR_MAX], path[PATH_MAX];
	unsigned long first, last;

	nosys = getenv("TOP_FIXTURE_NOSYS") && !strcmp(getenv("TOP_FIXTURE_NOSYS"), "1");
	if (argc != 5 || (strcmp(argv[1], "new") && strcmp(argv[1], "append")) ||
	    !(first = strtoul(argv[3], NULL, 10)) ||
	    (last = strtoul(argv[4], NULL, 10)) < first) {
		fprintf(stderr, "usage: %s new|append DIR FIRST LAST\n", argv[0]);
		return 1;
	}
	if (!strcmp(argv[1], "new")) {
		/* fake_dir() makes tmpdir/NAME: split DIR into the two */
		char *slash = strrchr(argv[2], '/');

		if (!slash || slash == argv[2] ||
		    (size_t)(slash - argv[2]) >= sizeof(tmpdir)) {
			fprintf(stderr, "%s: give DIR as PARENT/NAME\n", argv[0]);
			return 1;
		}
		memcpy(tmpdir, argv[2], (size_t)(slash - argv[2]));
		tmpdir[slash - argv[2]] = '\0';
		fake_dir(dir, sizeof(dir), slash + 1);
		spit_str(dir, "stats", "cpu0_dropped: 0\n");
	} else {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
	}
	snprintf(path, sizeof(path), "%s/cpu0", dir);
	for (unsigned long t = first; t <= last; t++)
		add_tick(path, t);
	return 0;
}
