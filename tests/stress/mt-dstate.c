// SPDX-License-Identifier: GPL-2.0
/*
 * mt-dstate - processes that sleep uninterruptibly ("D" in ps), for
 * memtrace's stress tests.
 *
 *   mt-dstate vfork SECONDS MB
 *	Write MB MiB of anonymous memory, then clone(CLONE_VM | CLONE_VFORK)
 *	a child (a process of its own that shares our mm) that sleeps SECONDS
 *	and exits.  Meanwhile the parent waits in wait_for_vfork_done(), in
 *	TASK_KILLABLE (TASK_UNINTERRUPTIBLE | TASK_WAKEKILL): state D.
 *	Prints "ready pid=PARENT child=CHILD" once the child runs.
 *
 *   mt-dstate mmaplock SECONDS MB
 *	Write MB MiB, then for SECONDS one thread keeps taking mmap_lock for
 *	writing over long stretches (mprotect of the whole region, which
 *	changes every PTE under the write lock, back and forth) while two
 *	threads wait for it in state D (mmap_write_lock_killable() and
 *	mmap_read_lock_killable() sleep TASK_KILLABLE): one maps, faults in
 *	and unmaps 64 MiB of its own in a loop (mmap and munmap wait for the
 *	writer; its faults do not on 6.4+, where a fault takes the VMA's own
 *	lock); the other drops 4 MiB of the writer's region at a time
 *	(MADV_DONTNEED, under mmap_read_lock) and reads it back in: those read
 *	faults are in the VMA mprotect() write-locks, so on 6.4+ too they fall
 *	back to mmap_lock and wait (lock_vma_under_rcu() fails; reads, so a
 *	PROT_READ moment does not fault them).  Prints "ready pid=PID".
 *
 * At the end "done" and exit 0; 1 on a system error, 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MB (1024UL * 1024UL)
#define PG 4096UL

static volatile int stop;
static char *mem;
static unsigned long mem_len;
static unsigned int secs;

static void die(const char *what)
{
	fprintf(stderr, "mt-dstate: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fputs("Usage: mt-dstate vfork SECONDS MB | mt-dstate mmaplock SECONDS MB\n", stderr);
	exit(2);
}

static void write_pages(char *p, unsigned long len)
{
	unsigned long off;

	for (off = 0; off < len; off += PG)
		((volatile char *)p)[off]++;
}

static int vfork_child(void *arg)
{
	struct timespec ts = { secs, 0 };
	char b[64];
	int n;

	(void)arg;
	/* raw syscalls only: we run on our own stack in the parent's mm */
	n = snprintf(b, sizeof(b), "ready pid=%d child=%d\n", (int)getppid(),
		     (int)getpid());
	if (write(1, b, n) != n)
		_exit(1);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	_exit(0);
}

static void *writer(void *arg)
{
	(void)arg;
	while (!stop) {
		mprotect(mem, mem_len, PROT_READ);
		mprotect(mem, mem_len, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

static void *faulter(void *arg)
{
	unsigned long len = 64 * MB, n = 0;
	char *p;

	(void)arg;
	while (!stop) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		madvise(p, len, MADV_NOHUGEPAGE);
		write_pages(p, len);
		munmap(p, len);
		n++;
	}
	return (void *)n;
}

/* Drop 4 MiB of the writer's region at a time and read it back in. */
static void *refaulter(void *arg)
{
	unsigned long len = 4 * MB, off = 0, n = 0, i;
	volatile char sink;

	(void)arg;
	if (len > mem_len)
		len = mem_len;
	while (!stop) {
		madvise(mem + off, len, MADV_DONTNEED);
		for (i = 0; i < len; i += PG)
			sink = ((volatile char *)mem)[off + i];
		(void)sink;
		off = off + 2 * len <= mem_len ? off + len : 0;
		n++;
	}
	return (void *)n;
}

int main(int argc, char **argv)
{
	unsigned long mb;
	char *e;

	if (argc != 4)
		usage();
	secs = (unsigned int)strtoul(argv[2], &e, 10);
	if (*e || !secs)
		usage();
	mb = strtoul(argv[3], &e, 10);
	if (*e || !mb)
		usage();
	mem_len = mb * MB;
	mem = mmap(NULL, mem_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	madvise(mem, mem_len, MADV_NOHUGEPAGE);
	write_pages(mem, mem_len);
	setvbuf(stdout, NULL, _IONBF, 0);

	if (!strcmp(argv[1], "vfork")) {
		size_t stack_len = 256 * 1024;
		char *stack = mmap(NULL, stack_len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		pid_t c;
		int st;

		if (stack == MAP_FAILED)
			die("mmap stack");
		c = clone(vfork_child, stack + stack_len,
			  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
		if (c < 0)
			die("clone");
		if (waitpid(c, &st, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "mt-dstate: child status %#x\n", st);
			return 1;
		}
	} else if (!strcmp(argv[1], "mmaplock")) {
		pthread_t w, f1, f2;
		void *n1, *n2;

		if (pthread_create(&w, NULL, writer, NULL) ||
		    pthread_create(&f1, NULL, faulter, NULL) ||
		    pthread_create(&f2, NULL, refaulter, NULL))
			die("pthread_create");
		printf("ready pid=%d\n", (int)getpid());
		sleep(secs);
		stop = 1;
		pthread_join(w, NULL);
		pthread_join(f1, &n1);
		pthread_join(f2, &n2);
		printf("faulted %lu x 64 MiB, refaulted %lu x 4 MiB\n",
		       (unsigned long)n1, (unsigned long)n2);
	} else {
		usage();
	}
	printf("done\n");
	return 0;
}
