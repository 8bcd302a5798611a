// SPDX-License-Identifier: GPL-2.0
/*
 * microbench - fork, exec and page-fault costs, for memtrace's idle-cost
 * benchmark (the same figures with the module loaded and not loaded).
 *
 *   -f N  | --forks=N     fork + _exit + waitpid N times (default 2000)
 *   -e N  | --execs=N     fork + execve(self --exit) + waitpid N times
 *                         (default 500); the binary is static, so this is
 *                         the kernel's exec path plus a minimal startup
 *   -p MB | --fault-mb=MB mmap MB of anonymous memory, write one byte per
 *                         page, munmap (default 64); THP is turned off for
 *                         the mapping so every page is one fault
 *   -r N  | --repeat=N    run each test N times and print the median
 *                         (default 3)
 *   --exit                exit at once (the exec target)
 *   -h    | --help
 *
 * Output (stdout): "fork_ns: X", "exec_ns: X", "fault_ns: X": wall-clock ns
 * per operation, the median of the repeats.  Exit status 0, 1 on a system
 * error, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long long)t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "microbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "microbench: child failed (status 0x%x)\n", st);
		exit(1);
	}
}

static double bench_fork(unsigned long n)
{
	unsigned long long t0 = now_ns();
	unsigned long i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid)
			_exit(0);
		reap(pid);
	}
	return (double)(now_ns() - t0) / n;
}

static double bench_exec(unsigned long n, const char *self)
{
	char *const args[] = { (char *)self, (char *)"--exit", NULL };
	char *const env[] = { NULL };
	unsigned long long t0 = now_ns();
	unsigned long i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			execve(self, args, env);
			_exit(127);
		}
		reap(pid);
	}
	return (double)(now_ns() - t0) / n;
}

static double bench_fault(unsigned long mb)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = mb << 20, off;
	unsigned long long t0;
	char *p;

	t0 = now_ns();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, len, MADV_NOHUGEPAGE);
	for (off = 0; off < len; off += page)
		p[off] = 1;
	munmap(p, len);
	return (double)(now_ns() - t0) / (len / page);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: microbench [-f N] [-e N] [-p MB] [-r N]\n\n"
		   "  -f N  | --forks=N     fork+exit+wait N times (default 2000; 0 = skip)\n"
		   "  -e N  | --execs=N     fork+exec+exit+wait N times (default 500; 0 = skip)\n"
		   "  -p MB | --fault-mb=MB fault in MB of anonymous memory (default 64; 0 = skip)\n"
		   "  -r N  | --repeat=N    repeats, the median is printed (default 3)\n"
		   "  -h    | --help        this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "forks", required_argument, NULL, 'f' },
		{ "execs", required_argument, NULL, 'e' },
		{ "fault-mb", required_argument, NULL, 'p' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "exit", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long forks = 2000, execs = 500, fault_mb = 64;
	double v[64];
	char self[4096];
	ssize_t n;
	int c, i, reps = 3;

	while ((c = getopt_long(argc, argv, "f:e:p:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			forks = strtoul(optarg, NULL, 10);
			break;
		case 'e':
			execs = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			fault_mb = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'x':
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || reps < 1 || reps > 64) {
		usage(stderr);
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		die("/proc/self/exe");
	self[n] = '\0';

	if (forks) {
		for (i = 0; i < reps; i++)
			v[i] = bench_fork(forks);
		printf("fork_ns: %.0f\n", median(v, reps));
	}
	if (execs) {
		for (i = 0; i < reps; i++)
			v[i] = bench_exec(execs, self);
		printf("exec_ns: %.0f\n", median(v, reps));
	}
	if (fault_mb) {
		for (i = 0; i < reps; i++)
			v[i] = bench_fault(fault_mb);
		printf("fault_ns: %.0f\n", median(v, reps));
	}
	return 0;
}
