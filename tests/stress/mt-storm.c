// SPDX-License-Identifier: GPL-2.0
/*
 * mt-storm - a fork/exit and thread storm for memtrace's stress tests.
 *
 *   mt-storm [-d SECONDS] [-w WORKERS] [-k INFLIGHT] [-t THREADS] [-l LOG]
 *
 *   -d S | --duration=S     run for S seconds (default 10, decimals allowed)
 *   -w N | --workers=N      worker processes (default 2)
 *   -k N | --inflight=N     children each worker keeps alive at once (default 4)
 *   -t N | --threads=N      threads a threaded child starts (default 4)
 *   -l F | --log=F          append the PID of every process the storm
 *                           creates (workers, children, grandchildren), one
 *                           per line, to F (default: no log)
 *   -h   | --help
 *
 * Each worker forks children in a loop, keeping INFLIGHT of them alive, and
 * starts and joins one short-lived thread of its own per child.  The children
 * take turns through every way a thread group can come and go:
 *
 *   0 plain       touch 64 KiB, exit
 *   1 threads     start THREADS threads that touch memory and exit, join, exit
 *   2 leader      start 2 threads, the leader pthread_exit()s first, so the
 *                 group lives on with a zombie leader until the threads end
 *   3 exec        execve() this program again (a new mm replaces the old one)
 *   4 killed      start threads that sleep, then SIGKILL the whole group
 *   5 vfork       vfork() a grandchild that exits at once
 *   6 grandchild  fork() a grandchild that touches memory and exits
 *
 * Every process that creates a process writes the new PID to the log itself
 * (O_APPEND, one write per PID, so nothing is lost when a child dies).
 * Children are named "mts-child" (comm), the exec'ed ones "mts-exec",
 * grandchildren "mts-grand", workers "mts-worker"; the parent keeps its name.
 *
 * SIGTERM or SIGINT ends the storm early (workers reap their children first).
 * At the end: "storm: forks=N threads=N seconds=S forks_per_s=R
 * threads_per_s=R" on stdout.  Exit status 0, 1 on a system error (named on
 * stderr), 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static int n_threads = 4;

/* per-worker counters in shared memory: children add their threads too */
struct counts {
	unsigned long forks;
	unsigned long threads;
	int stop; /* set in counts[0] by the parent at SIGTERM/SIGINT */
};
static struct counts *my, *all;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "mt-storm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void log_pid(pid_t pid)
{
	char b[24];
	int n;

	if (log_fd < 0 || pid <= 0)
		return;
	n = snprintf(b, sizeof(b), "%d\n", (int)pid);
	if (write(log_fd, b, n) != n)
		_exit(1);
}

static void touch_kb(unsigned long kb)
{
	unsigned long bytes = kb * 1024, off;
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	for (off = 0; off < bytes; off += 4096)
		p[off] = 1;
	munmap(p, bytes);
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void *thread_touch(void *arg)
{
	(void)arg;
	touch_kb(16);
	return NULL;
}

static void *thread_sleep_touch(void *arg)
{
	sleep_us((long)(unsigned long)arg);
	touch_kb(16);
	return NULL;
}

static void *thread_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void start_threads(int n, void *(*fn)(void *), void *arg, pthread_t *t)
{
	int i;

	for (i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, fn, arg))
			_exit(1);
		__atomic_add_fetch(&my->threads, 1, __ATOMIC_RELAXED);
	}
}

static void child(int kind, const char *self)
{
	pthread_t t[64];
	pid_t g;
	int i, n = n_threads > 64 ? 64 : n_threads;

	prctl(PR_SET_NAME, "mts-child");
	switch (kind) {
	case 0:
		touch_kb(64);
		break;
	case 1:
		start_threads(n, thread_touch, NULL, t);
		for (i = 0; i < n; i++)
			pthread_join(t[i], NULL);
		break;
	case 2:
		start_threads(2, thread_sleep_touch, (void *)2000UL, t);
		/* the group lives on with a zombie leader; exit status 0 */
		pthread_exit(NULL);
		break;
	case 3: {
		char *argv[] = { (char *)self, "--exec-child", NULL };

		execv("/proc/self/exe", argv);
		_exit(1);
	}
	case 4:
		start_threads(n, thread_forever, NULL, t);
		touch_kb(32);
		kill(getpid(), SIGKILL);
		break;
	case 5:
		g = vfork();
		if (g == 0)
			_exit(0);
		log_pid(g);
		if (g > 0)
			waitpid(g, NULL, 0);
		break;
	case 6:
		g = fork();
		if (g == 0) {
			prctl(PR_SET_NAME, "mts-grand");
			touch_kb(32);
			_exit(0);
		}
		log_pid(g);
		if (g > 0)
			waitpid(g, NULL, 0);
		break;
	}
	_exit(0);
}

static void worker(double end, int inflight, const char *self,
		   struct counts *c)
{
	unsigned long k = 0;
	int alive = 0;
	pthread_t t;
	pid_t p;

	prctl(PR_SET_NAME, "mts-worker");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	my = c;
	while (now_s() < end && !__atomic_load_n(&all->stop, __ATOMIC_RELAXED)) {
		while (alive < inflight) {
			int kind = (int)(k++ % 7);

			p = fork();
			if (p < 0) {
				if (errno == EAGAIN || errno == ENOMEM)
					break;
				die("fork");
			}
			if (p == 0)
				child(kind, self);
			log_pid(p);
			c->forks++;
			alive++;
		}
		if (pthread_create(&t, NULL, thread_touch, NULL) == 0) {
			__atomic_add_fetch(&c->threads, 1, __ATOMIC_RELAXED);
			pthread_join(t, NULL);
		}
		if (alive && waitpid(-1, NULL, 0) > 0)
			alive--;
	}
	while (alive > 0 && waitpid(-1, NULL, 0) > 0)
		alive--;
}

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&all->stop, 1, __ATOMIC_RELAXED);
}

static void usage(FILE *f)
{
	fputs("Usage: mt-storm [-d SECONDS] [-w WORKERS] [-k INFLIGHT] [-t THREADS] [-l LOG]\n"
	      "  -d S | --duration=S   run for S seconds (default 10)\n"
	      "  -w N | --workers=N    worker processes (default 2)\n"
	      "  -k N | --inflight=N   children alive at once per worker (default 4)\n"
	      "  -t N | --threads=N    threads per threaded child (default 4)\n"
	      "  -l F | --log=F        append every created PID to F\n"
	      "  -h   | --help         this text\n", f);
}

static long num_arg(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "mt-storm: bad number '%s' (%ld..%ld)\n", s, min, max);
		usage(stderr);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "inflight", required_argument, NULL, 'k' },
		{ "threads", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "exec-child", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	double dur = 10, t0, el, end;
	int workers = 2, inflight = 4, o, i;
	unsigned long forks = 0, threads = 0;
	struct counts *c;
	char *endp;

	while ((o = getopt_long(argc, argv, "d:w:k:t:l:h", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			dur = strtod(optarg, &endp);
			if (*endp || dur <= 0 || dur > 3600) {
				fprintf(stderr, "mt-storm: bad duration '%s'\n", optarg);
				exit(2);
			}
			break;
		case 'w':
			workers = (int)num_arg(optarg, 1, 64);
			break;
		case 'k':
			inflight = (int)num_arg(optarg, 1, 256);
			break;
		case 't':
			n_threads = (int)num_arg(optarg, 0, 64);
			break;
		case 'l':
			log_fd = open(optarg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (log_fd < 0)
				die(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'X':
			/* kind 3 after execve(): a new image, a new mm */
			prctl(PR_SET_NAME, "mts-exec");
			touch_kb(64);
			_exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	c = mmap(NULL, sizeof(*c) * workers, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		die("mmap");
	memset(c, 0, sizeof(*c) * workers);
	all = c;
	log_pid(getpid());
	t0 = now_s();
	end = t0 + dur;
	for (i = 0; i < workers; i++) {
		pid_t p = fork();

		if (p < 0)
			die("fork");
		if (p == 0) {
			worker(end, inflight, argv[0], &c[i]);
			_exit(0);
		}
		log_pid(p);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (i = 0; i < workers; i++) {
		int st;

		while (wait(&st) < 0)
			if (errno != EINTR)
				die("wait");
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "mt-storm: a worker failed (status %#x)\n", st);
			return 1;
		}
	}
	el = now_s() - t0;
	for (i = 0; i < workers; i++) {
		forks += c[i].forks;
		threads += __atomic_load_n(&c[i].threads, __ATOMIC_RELAXED);
	}
	printf("storm: forks=%lu threads=%lu seconds=%.2f forks_per_s=%.0f threads_per_s=%.0f\n",
	       forks, threads, el, forks / el, threads / el);
	return 0;
}
