// SPDX-License-Identifier: GPL-2.0
/*
 * mt-mmchurn - address-space churn for memtrace's WSS stress test.
 *
 *   mt-mmchurn [-d SECONDS] [-H HOT_MB] [-c CHURN_THREADS] [-T THP_MB] [-s SEED]
 *
 *   -d S | --duration=S   run for S seconds, then exit 0 (default 10)
 *   -H MB | --hot=MB      a stable region of MB MiB whose every page one
 *                         thread keeps writing, round after round (default 8;
 *                         no THP, so it is MB * 256 pages of 4 KiB)
 *   -c N | --churn=N      threads doing random mmap/munmap/mprotect/mremap/
 *                         madvise on regions of their own (default 2)
 *   -T MB | --thp=MB      one more thread keeps a THP region of MB MiB
 *                         (MADV_HUGEPAGE, 2 MiB aligned; default 16, 0 = none)
 *                         and loops: MADV_COLLAPSE it, mprotect one page in
 *                         the middle of each huge page (splits the PMD),
 *                         mprotect it back, MADV_DONTNEED a page (splits),
 *                         write it again
 *   -s N | --seed=N       random seed (default 1); printed
 *   -h   | --help
 *
 * The churn threads pick, per step: mmap an anonymous region (4 KiB..4 MiB,
 * sometimes 2 MiB aligned with MADV_HUGEPAGE) and write it; munmap a random
 * part of one (splitting VMAs and huge pages); mprotect a random part
 * PROT_READ / PROT_NONE / back; mremap one (grow, shrink or move);
 * MADV_DONTNEED or MADV_FREE a part; MADV_COLLAPSE one; fork() a child that
 * writes a little of the memory (COW) and exits.  Every write goes to a page
 * whose protection allows it.
 *
 * Output: "ready pid=PID hot_kb=N" once the hot region is written, then at
 * the end "done ops=N collapse_ok=N collapse_fail=N thp_splits=N forks=N".
 * Exit status 0, 1 on a system error (named on stderr), 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define KB 1024UL
#define MB (1024UL * 1024UL)
#define HPAGE (2 * MB)
#define PG 4096UL
#define NREG 32

static volatile int stop;
static unsigned long ops, collapse_ok, collapse_fail, thp_splits, forks;

static void die(const char *what)
{
	fprintf(stderr, "mt-mmchurn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned int rnd(unsigned int *s)
{
	/* xorshift32: deterministic per seed and thread */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void write_pages(char *p, unsigned long len)
{
	unsigned long off;

	for (off = 0; off < len; off += PG)
		((volatile char *)p)[off]++;
}

/* 2 MiB-aligned anonymous mapping of @len bytes */
static char *map_aligned(unsigned long len)
{
	char *p = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long head;

	if (p == MAP_FAILED)
		return NULL;
	head = (HPAGE - ((unsigned long)p & (HPAGE - 1))) & (HPAGE - 1);
	if (head)
		munmap(p, head);
	munmap(p + head + len, HPAGE - head);
	return p + head;
}

static void *hot_thread(void *arg)
{
	unsigned long len = *(unsigned long *)arg;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap hot");
	madvise(p, len, MADV_NOHUGEPAGE);
	write_pages(p, len);
	printf("ready pid=%d hot_kb=%lu\n", (int)getpid(), len / KB);
	fflush(stdout);
	while (!stop)
		write_pages(p, len);
	return NULL;
}

static void *thp_thread(void *arg)
{
	unsigned long len = *(unsigned long *)arg, off;
	char *p = map_aligned(len);

	if (!p)
		die("mmap thp");
	madvise(p, len, MADV_HUGEPAGE);
	write_pages(p, len);
	while (!stop) {
		if (madvise(p, len, MADV_COLLAPSE) == 0)
			__atomic_add_fetch(&collapse_ok, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&collapse_fail, 1, __ATOMIC_RELAXED);
		write_pages(p, len);
		/* a different protection on one page splits each huge PMD */
		for (off = 0; off < len; off += HPAGE)
			if (mprotect(p + off + HPAGE / 2, PG, PROT_READ) == 0)
				__atomic_add_fetch(&thp_splits, 1, __ATOMIC_RELAXED);
		if (mprotect(p, len, PROT_READ | PROT_WRITE))
			die("mprotect thp");
		if (madvise(p, len, MADV_COLLAPSE) == 0)
			__atomic_add_fetch(&collapse_ok, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&collapse_fail, 1, __ATOMIC_RELAXED);
		/* zapping part of a huge page splits it too */
		madvise(p + PG * 3, PG, MADV_DONTNEED);
		write_pages(p, len);
		__atomic_add_fetch(&ops, 6, __ATOMIC_RELAXED);
	}
	return NULL;
}

struct region {
	char *p;
	unsigned long len;
	int prot;
};

static void churn_step(struct region *r, unsigned int *s)
{
	struct region *x = &r[rnd(s) % NREG];
	unsigned long off, len;
	char *q;

	if (!x->p) {
		if (rnd(s) % 4 == 0) {
			x->len = HPAGE * (1 + rnd(s) % 2);
			x->p = map_aligned(x->len);
			if (x->p)
				madvise(x->p, x->len, MADV_HUGEPAGE);
		} else {
			x->len = PG * (1 + rnd(s) % 1024);
			x->p = mmap(NULL, x->len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (x->p == MAP_FAILED)
				x->p = NULL;
		}
		if (x->p) {
			x->prot = PROT_READ | PROT_WRITE;
			write_pages(x->p, x->len);
		}
		return;
	}
	off = PG * (rnd(s) % (x->len / PG));
	len = PG * (1 + rnd(s) % ((x->len - off) / PG));
	switch (rnd(s) % 8) {
	case 0: /* unmap a part: the region keeps its first part only */
		if (off == 0) {
			munmap(x->p, x->len);
			x->p = NULL;
		} else {
			munmap(x->p + off, x->len - off);
			x->len = off;
		}
		break;
	case 1: /* a part read-only or inaccessible, then back */
		mprotect(x->p + off, len, rnd(s) % 2 ? PROT_READ : PROT_NONE);
		if (rnd(s) % 2)
			mprotect(x->p + off, len, PROT_READ | PROT_WRITE);
		else
			x->prot = 0; /* mixed: make it all RW before writing */
		break;
	case 2: /* grow, shrink or move */
		len = rnd(s) % 2 ? x->len * 2 : (x->len > PG ? x->len / 2 : x->len);
		len = (len + PG - 1) & ~(PG - 1);
		q = mremap(x->p, x->len, len, MREMAP_MAYMOVE);
		if (q != MAP_FAILED) {
			x->p = q;
			x->len = len;
		}
		break;
	case 3:
		madvise(x->p + off, len, rnd(s) % 2 ? MADV_DONTNEED : MADV_FREE);
		break;
	case 4:
		if (madvise(x->p, x->len, MADV_COLLAPSE) == 0)
			__atomic_add_fetch(&collapse_ok, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&collapse_fail, 1, __ATOMIC_RELAXED);
		break;
	case 5:
		if (rnd(s) % 16 == 0) {
			pid_t c = fork();

			if (c == 0) {
				if (x->prot)
					write_pages(x->p, x->len < 64 * KB ? x->len : 64 * KB);
				_exit(0);
			}
			if (c > 0) {
				waitpid(c, NULL, 0);
				__atomic_add_fetch(&forks, 1, __ATOMIC_RELAXED);
			}
		}
		break;
	default: /* write it all (after making it writable) */
		if (!x->prot) {
			mprotect(x->p, x->len, PROT_READ | PROT_WRITE);
			x->prot = PROT_READ | PROT_WRITE;
		}
		write_pages(x->p, x->len);
		break;
	}
}

static void *churn_thread(void *arg)
{
	unsigned int s = (unsigned int)(unsigned long)arg;
	struct region r[NREG];
	int i;

	memset(r, 0, sizeof(r));
	while (!stop) {
		churn_step(r, &s);
		__atomic_add_fetch(&ops, 1, __ATOMIC_RELAXED);
	}
	for (i = 0; i < NREG; i++)
		if (r[i].p)
			munmap(r[i].p, r[i].len);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fputs("Usage: mt-mmchurn [-d SECONDS] [-H HOT_MB] [-c CHURN_THREADS] [-T THP_MB] [-s SEED]\n"
	      "  -d S  | --duration=S   run for S seconds (default 10)\n"
	      "  -H MB | --hot=MB       stable hot region written continuously (default 8)\n"
	      "  -c N  | --churn=N      churning threads (default 2)\n"
	      "  -T MB | --thp=MB       THP region collapsed and split in a loop (default 16)\n"
	      "  -s N  | --seed=N       random seed (default 1)\n"
	      "  -h    | --help         this text\n", f);
}

static unsigned long num_arg(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max) {
		fprintf(stderr, "mt-mmchurn: bad number '%s'\n", s);
		usage(stderr);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "hot", required_argument, NULL, 'H' },
		{ "churn", required_argument, NULL, 'c' },
		{ "thp", required_argument, NULL, 'T' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long hot = 8 * MB, thp = 16 * MB, seed = 1;
	unsigned long nchurn = 2, i;
	pthread_t th[66];
	double dur = 10, end;
	int o, n = 0;
	char *e;

	while ((o = getopt_long(argc, argv, "d:H:c:T:s:h", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			dur = strtod(optarg, &e);
			if (*e || dur <= 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'H':
			hot = num_arg(optarg, 4096) * MB;
			break;
		case 'c':
			nchurn = num_arg(optarg, 64);
			break;
		case 'T':
			thp = num_arg(optarg, 4096) * MB;
			break;
		case 's':
			seed = num_arg(optarg, 0xffffffffUL);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !hot) {
		usage(stderr);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("seed=%lu\n", seed);
	fflush(stdout);
	if (pthread_create(&th[n++], NULL, hot_thread, &hot))
		die("pthread_create");
	if (thp && pthread_create(&th[n++], NULL, thp_thread, &thp))
		die("pthread_create");
	for (i = 0; i < nchurn; i++)
		if (pthread_create(&th[n++], NULL, churn_thread,
				   (void *)(unsigned long)(((seed + 1) * 2654435761UL + i * 40503UL) | 1)))
			die("pthread_create");
	end = now_s() + dur;
	while (!stop && now_s() < end)
		usleep(10000);
	stop = 1;
	while (n > 0)
		pthread_join(th[--n], NULL);
	printf("done ops=%lu collapse_ok=%lu collapse_fail=%lu thp_splits=%lu forks=%lu\n",
	       ops, collapse_ok, collapse_fail, thp_splits, forks);
	return 0;
}
