// SPDX-License-Identifier: GPL-2.0
/*
 * benchutil - small helpers for bench/guest.sh, which runs under busybox
 * (no date +%N, no CPU accounting of a child).  One static binary, five
 * commands:
 *
 *   benchutil now
 *       CLOCK_MONOTONIC in ns.
 *
 *   benchutil spawn N
 *       fork N sleeping children (comm "sleeper"), print "ready N" on stdout
 *       once all exist, then wait; SIGTERM/SIGINT kills and reaps them all and
 *       exits 0.  Children are forked from this small static process, so each
 *       costs little more than its kernel stack, task and page tables.
 *
 *   benchutil rusage [-o FILE] -- COMMAND [ARG]...
 *       run COMMAND, then print "wall_ns", "user_ns", "sys_ns", "cpu_ns"
 *       and "maxrss_kb" lines (wait4()'s rusage: the command and its
 *       waited-for children; maxrss_kb the largest peak RSS of them) to
 *       FILE (default stderr); exit with COMMAND's status.
 *
 *   benchutil clearrefs PID[,PID]... WINDOW_MS COUNT
 *       the /proc way to a working-set size, as Brendan Gregg's wss tools
 *       do it: COUNT windows (0: until SIGTERM or SIGINT) of: write "1" to
 *       /proc/PID/clear_refs of every PID, sleep WINDOW_MS, read every
 *       /proc/PID/smaps_rollup.  Per window one line on stdout, the sums
 *       over the PIDs:
 *         "window I referenced_kb R rss_kb S clear_ns C rollup_ns U"
 *       C and U are this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) in the
 *       writes and in the reads: the page-table walks run in the caller.
 *       When a PID has exited (ENOENT, ESRCH) the run ends there, with
 *       status 0, and that window is not reported: observe a workload
 *       until it ends.
 *
 *   benchutil rollup PID COUNT
 *       the /proc way to PSS: read /proc/PID/smaps_rollup COUNT times.  Per
 *       read one line on stdout:
 *         "read I pss_kb P rss_kb R rollup_ns U"
 *       U is this thread's CPU time in the read, as for clearrefs.
 *
 * Exit status 0, 1 on a system error, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (unsigned long long)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static unsigned long long tv_ns(const struct timeval *tv)
{
	return (unsigned long long)tv->tv_sec * 1000000000ULL + tv->tv_usec * 1000ULL;
}

static int usage(void)
{
	fprintf(stderr, "Usage: benchutil now\n"
			"       benchutil spawn N\n"
			"       benchutil rusage [-o FILE] -- COMMAND [ARG]...\n"
			"       benchutil clearrefs PID[,PID]... WINDOW_MS COUNT\n"
			"       benchutil rollup PID COUNT\n");
	return 2;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_spawn(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long i, n;
	pid_t *pids;
	sigset_t mask, old;

	if (argc != 3)
		return usage();
	n = strtol(argv[2], NULL, 10);
	if (n < 0)
		return usage();
	pids = calloc(n ? n : 1, sizeof(*pids));
	if (!pids)
		return 1;
	/* block the signals until we wait for them, so none is missed */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "benchutil: fork %ld: %s\n", i, strerror(errno));
			break;
		}
		if (!pids[i]) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			prctl(PR_SET_NAME, "sleeper");
			for (;;)
				pause();
		}
	}
	printf("ready %ld\n", i);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	n = i;
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	return 0;
}

static int cmd_rusage(int argc, char **argv)
{
	const char *outpath = NULL;
	unsigned long long t0;
	struct rusage ru;
	int i = 2, st;
	FILE *out = stderr;
	pid_t pid;

	if (i + 1 < argc && !strcmp(argv[i], "-o")) {
		outpath = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc)
		return usage();
	i++;
	t0 = clock_ns(CLOCK_MONOTONIC);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "benchutil: fork: %s\n", strerror(errno));
		return 1;
	}
	if (!pid) {
		execvp(argv[i], argv + i);
		fprintf(stderr, "benchutil: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) != pid) {
		fprintf(stderr, "benchutil: wait4: %s\n", strerror(errno));
		return 1;
	}
	if (outpath) {
		out = fopen(outpath, "w");
		if (!out) {
			fprintf(stderr, "benchutil: %s: %s\n", outpath, strerror(errno));
			return 1;
		}
	}
	fprintf(out, "wall_ns: %llu\nuser_ns: %llu\nsys_ns: %llu\ncpu_ns: %llu\nmaxrss_kb: %ld\n",
		clock_ns(CLOCK_MONOTONIC) - t0, tv_ns(&ru.ru_utime), tv_ns(&ru.ru_stime),
		tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime), ru.ru_maxrss);
	if (outpath)
		fclose(out);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static unsigned long long kb_of(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* write "1" to /proc/PID/clear_refs: the CPU time it took, or -1 */
static long long clear_refs(const char *pid)
{
	unsigned long long c0, c1;
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%s/clear_refs", pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	ok = write(fd, "1", 1) == 1;
	c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	close(fd);
	return ok ? (long long)(c1 - c0) : -1;
}

/* smaps_rollup is well under this (about 1 KiB) */
#define ROLLUP_BUF 8192

/*
 * Read /proc/PID/smaps_rollup into @buf (ROLLUP_BUF bytes, NUL-terminated):
 * this thread's CPU time in the read (the walk runs in the caller), or -1
 * with errno set.
 */
static long long read_rollup(const char *pid, char *buf)
{
	unsigned long long c0, c1;
	char path[64];
	ssize_t n, len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/smaps_rollup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	while ((n = read(fd, buf + len, ROLLUP_BUF - 1 - len)) > 0)
		len += n;
	c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	close(fd);
	if (n < 0)
		return -1;
	buf[len] = '\0';
	return c1 - c0;
}

static int cmd_clearrefs(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char *pids[256], *list, buf[ROLLUP_BUF];
	long window_ms, count, w;
	int npids = 0, i;

	if (argc != 5)
		return usage();
	window_ms = strtol(argv[3], NULL, 10);
	count = strtol(argv[4], NULL, 10);
	if (window_ms <= 0 || count < 0)
		return usage();
	list = argv[2];
	for (char *p = strtok(list, ","); p; p = strtok(NULL, ",")) {
		if (npids == (int)(sizeof(pids) / sizeof(pids[0]))) {
			fprintf(stderr, "benchutil: clearrefs: more than %d pids\n", npids);
			return 2;
		}
		pids[npids++] = p;
	}
	if (!npids)
		return usage();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (w = 1; !stop && (!count || w <= count); w++) {
		struct timespec ts = { window_ms / 1000, (window_ms % 1000) * 1000000L };
		unsigned long long clear = 0, rollup = 0, ref = 0, rss = 0;
		long long t;

		for (i = 0; i < npids; i++) {
			t = clear_refs(pids[i]);
			if (t < 0)
				goto fail;
			clear += t;
		}
		/* a signal ends the window early; that window is not reported */
		if (nanosleep(&ts, NULL) && stop)
			break;
		for (i = 0; i < npids; i++) {
			t = read_rollup(pids[i], buf);
			if (t < 0)
				goto fail;
			rollup += t;
			ref += kb_of(buf, "\nReferenced:");
			rss += kb_of(buf, "\nRss:");
		}
		printf("window %ld referenced_kb %llu rss_kb %llu clear_ns %llu rollup_ns %llu\n",
		       w, ref, rss, clear, rollup);
		fflush(stdout);
	}
	return 0;
fail:
	if (errno == ENOENT || errno == ESRCH)
		return 0;
	fprintf(stderr, "benchutil: /proc/%s: %s\n", pids[i], strerror(errno));
	return 1;
}

static int cmd_rollup(int argc, char **argv)
{
	char buf[ROLLUP_BUF];
	long count, i;
	long long t;

	if (argc != 4)
		return usage();
	count = strtol(argv[3], NULL, 10);
	for (i = 1; i <= count; i++) {
		t = read_rollup(argv[2], buf);
		if (t < 0) {
			fprintf(stderr, "benchutil: /proc/%s/smaps_rollup: %s\n", argv[2],
				strerror(errno));
			return 1;
		}
		printf("read %ld pss_kb %llu rss_kb %llu rollup_ns %lld\n", i,
		       kb_of(buf, "\nPss:"), kb_of(buf, "\nRss:"), t);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "now") && argc == 2) {
		printf("%llu\n", clock_ns(CLOCK_MONOTONIC));
		return 0;
	}
	if (!strcmp(argv[1], "spawn"))
		return cmd_spawn(argc, argv);
	if (!strcmp(argv[1], "rusage"))
		return cmd_rusage(argc, argv);
	if (!strcmp(argv[1], "clearrefs"))
		return cmd_clearrefs(argc, argv);
	if (!strcmp(argv[1], "rollup"))
		return cmd_rollup(argc, argv);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage();
		return 0;
	}
	return usage();
}
