// SPDX-License-Identifier: GPL-2.0
/*
 * mt-cpuburn - a multi-threaded CPU-bound process that spends time in both
 * user and system mode, for memtrace's CPU-time scenario.
 *
 *   mt-cpuburn THREADS SECONDS
 *	Start THREADS threads that, for SECONDS, alternate a stretch of pure
 *	user-mode arithmetic with a burst of cheap system calls (getppid()
 *	and a 4 KiB read of /dev/zero), the stretch lengths varying, so that
 *	the tick-sampled utime/stime ratio keeps moving against the precise
 *	sum_exec_runtime: what makes a scaled split without the kernel's
 *	monotonic clamp (cputime_adjust()) step back.  Prints "ready pid=PID"
 *	once the threads run, "done" at the end.
 *
 * Exit 0, 1 on a system error, 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double stop_at;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *burn(void *arg)
{
	unsigned long seed = (unsigned long)arg * 2654435761UL + 1;
	volatile unsigned long sink = 0;
	char buf[4096];
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0) {
		perror("mt-cpuburn: /dev/zero");
		exit(1);
	}
	while (now() < stop_at) {
		unsigned long i, n;

		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = (seed >> 33) % 2000000;	/* user-mode stretch */
		for (i = 0; i < n; i++)
			sink += i * i;
		n = (seed >> 13) % 2000;	/* system-call burst */
		for (i = 0; i < n; i++) {
			sink += getppid();
			if (read(fd, buf, sizeof(buf)) < 0) {
				perror("mt-cpuburn: read");
				exit(1);
			}
		}
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t *th;
	long i, n;

	if (argc != 3 || (n = atol(argv[1])) < 1 || n > 256 || atof(argv[2]) <= 0) {
		fprintf(stderr, "usage: mt-cpuburn THREADS(1..256) SECONDS\n");
		return 2;
	}
	stop_at = now() + atof(argv[2]);
	th = calloc(n, sizeof(*th));
	if (!th)
		return 1;
	for (i = 0; i < n; i++) {
		if (pthread_create(&th[i], NULL, burn, (void *)i)) {
			fprintf(stderr, "mt-cpuburn: pthread_create failed\n");
			return 1;
		}
	}
	printf("ready pid=%d\n", getpid());
	fflush(stdout);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("done\n");
	return 0;
}
