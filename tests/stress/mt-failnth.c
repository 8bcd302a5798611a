// SPDX-License-Identifier: GPL-2.0
/*
 * mt-failnth - load a module with its Nth fault-injection point failing,
 * for N = 1, 2, ... until a load no longer reaches the Nth point, for
 * memtrace's allocation-failure test.  Needs CONFIG_FAULT_INJECTION
 * (/proc/thread-self/fail-nth) and an enabled fault type (failslab,
 * fail_page_alloc) that is not filtered out (ignore-gfp-wait=N, ...).
 *
 *   mt-failnth [-m MAX] [-t SECONDS] [-p PARAMS] [-n NAME] [-q] MODULE.ko
 *
 *   -m N | --max=N       give up after N points (default 5000)
 *   -t S | --time=S      give up after S seconds (default 0: no limit)
 *   -p S | --params=S    module parameters (default "")
 *   -n S | --name=S      module name (default memtrace)
 *   -q   | --quiet       print only failed loads and the summary
 *   -o N | --only=N      fail point N in every attempt (up to MAX attempts,
 *                        or SECONDS) rather than walking the points
 *   -w PATH=TEXT | --race-write=PATH=TEXT
 *                        while each load runs, a second thread writes TEXT
 *                        to PATH (open, write, close) again and again; the
 *                        writes that succeed are the attempt's race_hits,
 *                        the opens refused with EAGAIN (the file existed:
 *                        memtrace refuses while it loads) its race_refused
 *                        (e.g. a control file written while a failing init
 *                        unwinds: what a racing tool or script would do)
 *   -r   | --reverse     walk N = T, T-1, ..., 1, where T is the number of
 *                        points a plain load reaches (one probe load with
 *                        fail-nth far above it: T = what it consumed), so
 *                        that the last points -- the module's own init,
 *                        which runs at the end of the load -- are covered
 *                        first when time runs out (slow kernels)
 *
 * For each N: write N to /proc/thread-self/fail-nth, finit_module(), read
 * fail-nth back (0: the Nth point was reached and failed; else the load
 * made fewer calls) and reset it; if the load succeeded, delete_module().
 * After a failed load it checks that nothing is left: no
 * /sys/kernel/debug/NAME, /sys/kernel/tracing/events/memstat,
 * /sys/module/NAME.  It also reports, from the trace buffer, the return
 * value of the module's init function (the initcall_finish event, when
 * events/initcall/initcall_finish is enabled; the buffer is cleared before
 * each attempt, and nothing else may load modules meanwhile) and the first kernel log line of
 * the attempt that starts with "NAME: " (read from /dev/kmsg).  One line
 * per attempt:
 *
 *   nth=N load=ok|ERRNO injected=0|1 init=RET|- left=none|PATHS msg=TEXT
 *
 * (with -w, " race_hits=K race_refused=K" between left= and msg=)
 * and at the end "failnth: points=N complete=0|1 failed=N ok=N
 * init_failures=N silent_init_failures=N leftovers=N seconds=S" (complete=1:
 * the last load made fewer than N calls, or -r reached N = 1, so every
 * point was covered).  Exit status 0 when no failed load
 * left anything behind, 1 otherwise or on a system error, 2 on bad usage,
 * 4 when fail-nth does not exist (CONFIG_FAULT_INJECTION off).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TRACE "/sys/kernel/tracing/trace"

static const char *name = "memtrace";

/*
 * /proc/thread-self/fail-nth, opened once: opening it allocates (a struct
 * file), which would be a fault point of its own between the load and the
 * read-back.
 */
static int nth_fd = -1;

/* n >= 0: arm the Nth point; n < 0: read what is left into *left, disarm */
static int fail_nth(long n, long *left)
{
	char b[32];
	ssize_t r;

	if (n >= 0) {
		r = snprintf(b, sizeof(b), "%ld", n);
		return pwrite(nth_fd, b, (size_t)r, 0) == r ? 0 : -1;
	}
	r = pread(nth_fd, b, sizeof(b) - 1, 0);
	if (r < 0)
		return -1;
	b[r] = '\0';
	*left = strtol(b, NULL, 10);
	/* reset, so that nothing after the load can fail */
	return pwrite(nth_fd, "0", 1, 0) == 1 ? 0 : -1;
}

/*
 * The init function's return value from the trace buffer, or 1 if none.
 * Only this module's init runs an initcall during the attempt; its name
 * cannot be matched: a module whose init failed is gone when the buffer is
 * read, so %pS prints a bare address.
 */
static long init_ret(void)
{
	char line[512];
	long ret = 1;
	FILE *f = fopen(TRACE, "r");

	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f)) {
		char *r = strstr(line, " ret=");

		if (strstr(line, "initcall_finish:") && r)
			ret = strtol(r + 5, NULL, 10);
	}
	fclose(f);
	return ret;
}

static void clear_trace(void)
{
	int fd = open(TRACE, O_WRONLY | O_TRUNC);

	if (fd >= 0)
		close(fd);
}

/* the first new kernel log record that starts with "NAME: " */
static void kmsg_first(int kfd, char *out, size_t cap)
{
	char rec[2048], pre[64];
	ssize_t r;

	out[0] = '\0';
	snprintf(pre, sizeof(pre), "%s: ", name);
	for (;;) {
		char *text;

		r = read(kfd, rec, sizeof(rec) - 1);
		if (r < 0) {
			if (errno == EPIPE)
				continue; /* overwritten records */
			break;
		}
		rec[r] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		text[strcspn(text, "\n")] = '\0';
		if (!out[0] && !strncmp(text, pre, strlen(pre)))
			snprintf(out, cap, "%s", text);
	}
}

static int leftovers(char *out, size_t cap)
{
	char p[3][128];
	struct stat st;
	int i, n = 0;

	snprintf(p[0], sizeof(p[0]), "/sys/kernel/debug/%s", name);
	snprintf(p[1], sizeof(p[1]), "/sys/kernel/tracing/events/memstat");
	snprintf(p[2], sizeof(p[2]), "/sys/module/%s", name);
	out[0] = '\0';
	for (i = 0; i < 3; i++)
		if (stat(p[i], &st) == 0) {
			snprintf(out + strlen(out), cap - strlen(out), "%s%s", n ? "," : "", p[i]);
			n++;
		}
	if (!n)
		snprintf(out, cap, "none");
	return n;
}

static void usage(FILE *f)
{
	fputs("Usage: mt-failnth [-m MAX] [-t SECONDS] [-p PARAMS] [-n NAME] [-q] [-r]\n"
	      "                  [-o N] [-w PATH=TEXT] MODULE.ko\n", f);
}

/* -w: the racing writer; it writes while race_on, counting in race_hits */
static const char *race_path, *race_text;
static atomic_int race_on, race_quit;
static atomic_long race_hits, race_refused;

static void *race_fn(void *arg)
{
	size_t len = strlen(race_text);

	(void)arg;
	while (!atomic_load(&race_quit)) {
		int fd;

		if (!atomic_load(&race_on)) {
			usleep(100);
			continue;
		}
		fd = open(race_path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN && atomic_load(&race_on))
				atomic_fetch_add(&race_refused, 1);
			continue;
		}
		if (write(fd, race_text, len) == (ssize_t)len && atomic_load(&race_on))
			atomic_fetch_add(&race_hits, 1);
		close(fd);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max", required_argument, NULL, 'm' },
		{ "time", required_argument, NULL, 't' },
		{ "params", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "only", required_argument, NULL, 'o' },
		{ "race-write", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long max = 5000, n, left, total = 0, i;
	double limit = 0, t0 = now_s();
	int complete = 0;
	unsigned long failed = 0, okloads = 0, initf = 0, silent = 0, left_n = 0;
	const char *params = "";
	int o, mfd, kfd, quiet = 0, reverse = 0;
	long only = 0;
	pthread_t racer;
	char *eq;

	while ((o = getopt_long(argc, argv, "m:t:p:n:qro:w:h", opts, NULL)) != -1) {
		switch (o) {
		case 'm': max = strtol(optarg, NULL, 10); break;
		case 't': limit = strtod(optarg, NULL); break;
		case 'p': params = optarg; break;
		case 'n': name = optarg; break;
		case 'q': quiet = 1; break;
		case 'r': reverse = 1; break;
		case 'o': only = strtol(optarg, NULL, 10); break;
		case 'w':
			eq = strchr(optarg, '=');
			if (!eq) {
				usage(stderr);
				return 2;
			}
			*eq = '\0';
			race_path = optarg;
			race_text = eq + 1;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc || max < 1 || only < 0 || (only && reverse)) {
		usage(stderr);
		return 2;
	}
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth_fd < 0) {
		printf("failnth: no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION off)\n");
		return 4;
	}
	mfd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (mfd < 0) {
		fprintf(stderr, "mt-failnth: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (race_path && pthread_create(&racer, NULL, race_fn, NULL)) {
		fprintf(stderr, "mt-failnth: cannot start the racing writer\n");
		return 1;
	}

	if (reverse) {
		/* the probe: a load that no point can fail */
		const long far = 1000000000L;

		if (fail_nth(far, NULL) ||
		    syscall(SYS_finit_module, mfd, params, 0) ||
		    fail_nth(-1, &left) ||
		    syscall(SYS_delete_module, name, O_NONBLOCK)) {
			fprintf(stderr, "mt-failnth: probe load: %s\n", strerror(errno));
			return 1;
		}
		total = far - left;
		printf("failnth: a plain load reaches %ld points\n", total);
		if (total < 1)
			return 1;
	}
	for (i = 1; i <= max; i++) {
		char msg[512], left_s[512];
		long ret, r;
		int err, injected;

		n = only ? only : reverse ? total + 1 - i : i;
		if (n < 1) {
			complete = 1;
			break;
		}
		if (kfd >= 0)
			lseek(kfd, 0, SEEK_END);
		clear_trace();
		if (fail_nth(n, NULL)) {
			fprintf(stderr, "mt-failnth: fail-nth: %s\n", strerror(errno));
			return 1;
		}
		atomic_store(&race_hits, 0);
		atomic_store(&race_refused, 0);
		atomic_store(&race_on, 1);
		r = syscall(SYS_finit_module, mfd, params, 0);
		err = r ? errno : 0;
		atomic_store(&race_on, 0);
		if (fail_nth(-1, &left)) {
			fprintf(stderr, "mt-failnth: reading fail-nth: %s\n", strerror(errno));
			return 1;
		}
		injected = left == 0;
		ret = init_ret();
		msg[0] = '\0';
		if (kfd >= 0)
			kmsg_first(kfd, msg, sizeof(msg));
		if (r == 0) {
			int tries = 0;

			okloads++;
			/* the racing writer (-w) may hold a control file for an instant */
			while (syscall(SYS_delete_module, name, O_NONBLOCK)) {
				if ((errno != EAGAIN && errno != EBUSY) || ++tries > 200) {
					fprintf(stderr, "mt-failnth: delete_module: %s\n",
						strerror(errno));
					return 1;
				}
				usleep(10000);
			}
			snprintf(left_s, sizeof(left_s), "-");
		} else {
			failed++;
			if (leftovers(left_s, sizeof(left_s)))
				left_n++;
			if (ret < 0 && ret != 1) {
				initf++;
				if (!msg[0])
					silent++;
			}
		}
		if (!quiet || r) {
			char init_s[24];

			if (ret == 1)
				snprintf(init_s, sizeof(init_s), "-");
			else
				snprintf(init_s, sizeof(init_s), "%ld", ret);
			char race_s[64] = "";

			if (race_path)
				snprintf(race_s, sizeof(race_s), " race_hits=%ld race_refused=%ld",
					 atomic_load(&race_hits), atomic_load(&race_refused));
			printf("nth=%ld load=%s injected=%d init=%s left=%s%s msg=%s\n", n,
			       r ? strerrorname_np(err) : "ok", injected, init_s, left_s,
			       race_s, msg[0] ? msg : "-");
		}
		if (r == 0 && !injected && !reverse && !only) {
			complete = 1; /* the load made fewer than n calls */
			break;
		}
		if (reverse && n == 1) {
			complete = 1;
			break;
		}
		if (limit > 0 && now_s() - t0 > limit)
			break;
	}
	printf("failnth: points=%ld complete=%d failed=%lu ok=%lu init_failures=%lu silent_init_failures=%lu leftovers=%lu seconds=%.1f\n",
	       i > max ? max : i, complete, failed, okloads, initf, silent, left_n,
	       now_s() - t0);
	return left_n ? 1 : 0;
}
