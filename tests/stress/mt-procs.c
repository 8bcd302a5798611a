// SPDX-License-Identifier: GPL-2.0
/*
 * mt-procs - keep N idle processes alive, for memtrace's scale scenarios
 * (a tick over tens of thousands of processes).
 *
 *   mt-procs N
 *
 * Forks N children that wait in pause(), each with an address space of its
 * own (copy-on-write from this small static binary), then prints
 * "ready N" on standard output and waits.  SIGTERM or SIGINT (or a child's
 * death) ends it: every child is killed and reaped before it exits, 256 at
 * a time (then SIGTERM to the process group, which this process ignores
 * then, for any left): 20,000 children made runnable at once starved the
 * RCU grace-period kthread of a TCG guest for over 21 s (an RCU stall
 * warning in the kernel log).  A fork that fails stops the forking early: it
 * then prints "ready M" with M < N and the reason on standard error.
 *
 * Exit status: 0, 1 when fewer than N were started, 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	long n, i, j, k;
	pid_t *kids;
	char *end;

	if (argc != 2 || (n = strtol(argv[1], &end, 10)) < 1 || *end) {
		fprintf(stderr, "Usage: mt-procs N\n");
		return 2;
	}
	kids = calloc(n, sizeof(*kids));
	if (!kids) {
		fprintf(stderr, "mt-procs: %s\n", strerror(errno));
		return 1;
	}
	/* our own process group: the cleanup kills it whole */
	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	for (i = 0; i < n && !stop; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "mt-procs: fork %ld of %ld: %s\n", i + 1, n,
				strerror(errno));
			break;
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			for (;;)
				pause();
		}
		kids[i] = pid;
	}
	printf("ready %ld\n", i);
	fflush(stdout);
	while (!stop)
		pause();
	signal(SIGTERM, SIG_IGN);
	for (j = 0; j < i; j += 256) {
		for (k = j; k < i && k < j + 256; k++)
			kill(kids[k], SIGTERM);
		for (k = j; k < i && k < j + 256; k++)
			while (waitpid(kids[k], NULL, 0) < 0 && errno == EINTR)
				;
	}
	kill(0, SIGTERM);	/* the group: every child, not us */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return i == n ? 0 : 1;
}
