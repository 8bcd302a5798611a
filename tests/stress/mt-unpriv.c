// SPDX-License-Identifier: GPL-2.0
/*
 * mt-unpriv - run as an unprivileged user, for memtrace's privilege test.
 *
 *   mt-unpriv [-u UID] [-g GID] CMD [ARG]...
 *	Drop to UID:GID (default 65534:65534, no supplementary groups, no
 *	capabilities left) and exec CMD.
 *   mt-unpriv [-u UID] [-g GID] --try PATH...
 *	Drop privileges, then for each PATH try open(O_RDONLY) + read() and
 *	open(O_WRONLY) + write("1") and print one line
 *	    PATH read=RESULT write=RESULT
 *	where RESULT is "ok" or the errno name (EACCES, EPERM, ...).
 *   mt-unpriv [-u UID] [-g GID] --perf-tp ID HOLD_MS
 *	Drop privileges, then try to open the tracepoint ID (the "id" file of
 *	a trace event) with perf_event_open() in the ways an unprivileged user
 *	could: counting and sampling (PERF_SAMPLE_RAW), on itself (pid 0, any
 *	CPU) and on CPU 0 (pid -1), with and without exclude_kernel.  Prints
 *	    perf VARIANT RESULT
 *	per attempt, keeps the events that opened enabled for HOLD_MS ms, and
 *	prints "perf opened N".
 *
 * Exit status: what CMD returns; 0 for --try and --perf-tp (the results are
 * in the output); 1 when dropping privileges failed; 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *err_name(int e)
{
	switch (e) {
	case 0: return "ok";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EROFS: return "EROFS";
	case EISDIR: return "EISDIR";
	default: return strerror(e);
	}
}

static void try_path(const char *path)
{
	char b[256];
	int fd, rd = 0, wr = 0;

	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		rd = errno;
	else {
		if (read(fd, b, sizeof(b)) < 0)
			rd = errno;
		close(fd);
	}
	fd = open(path, O_WRONLY | O_NONBLOCK);
	if (fd < 0)
		wr = errno;
	else {
		if (write(fd, "1", 1) < 0)
			wr = errno;
		close(fd);
	}
	printf("%s read=%s write=%s\n", path, err_name(rd), err_name(wr));
}

static void perf_tp(unsigned long id, long hold_ms)
{
	static const struct {
		const char *name;
		int sampling, exclude_kernel, pid, cpu;
	} v[] = {
		{ "count-self", 0, 0, 0, -1 },
		{ "count-self-exclude-kernel", 0, 1, 0, -1 },
		{ "count-cpu0", 0, 0, -1, 0 },
		{ "count-cpu0-exclude-kernel", 0, 1, -1, 0 },
		{ "sample-raw-self", 1, 0, 0, -1 },
		{ "sample-raw-self-exclude-kernel", 1, 1, 0, -1 },
		{ "sample-raw-cpu0", 1, 0, -1, 0 },
	};
	int fds[sizeof(v) / sizeof(v[0])], n = 0;
	struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };
	unsigned int i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct perf_event_attr a;
		int fd;

		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = PERF_TYPE_TRACEPOINT;
		a.config = id;
		a.exclude_kernel = v[i].exclude_kernel;
		if (v[i].sampling) {
			a.sample_period = 1;
			a.sample_type = PERF_SAMPLE_RAW | PERF_SAMPLE_TIME;
		}
		fd = (int)syscall(SYS_perf_event_open, &a, v[i].pid, v[i].cpu, -1,
				  PERF_FLAG_FD_CLOEXEC);
		printf("perf %s %s\n", v[i].name, err_name(fd < 0 ? errno : 0));
		if (fd >= 0) {
			ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
			fds[n++] = fd;
		}
	}
	fflush(stdout);
	if (n)
		nanosleep(&ts, NULL);
	printf("perf opened %d\n", n);
	while (n > 0)
		close(fds[--n]);
}

static void usage(void)
{
	fputs("Usage: mt-unpriv [-u UID] [-g GID] CMD [ARG]...\n"
	      "       mt-unpriv [-u UID] [-g GID] --try PATH...\n"
	      "       mt-unpriv [-u UID] [-g GID] --perf-tp ID HOLD_MS\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long uid = 65534, gid = 65534;
	int i = 1;

	while (i + 1 < argc && (!strcmp(argv[i], "-u") || !strcmp(argv[i], "-g"))) {
		unsigned long v = strtoul(argv[i + 1], NULL, 10);

		if (argv[i][1] == 'u')
			uid = v;
		else
			gid = v;
		i += 2;
	}
	if (i >= argc)
		usage();
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		fprintf(stderr, "mt-unpriv: dropping privileges: %s\n", strerror(errno));
		return 1;
	}
	if (uid && (setuid(0) == 0 || geteuid() == 0)) {
		fprintf(stderr, "mt-unpriv: could regain root\n");
		return 1;
	}
	if (!strcmp(argv[i], "--try")) {
		for (i++; i < argc; i++)
			try_path(argv[i]);
		return 0;
	}
	if (!strcmp(argv[i], "--perf-tp")) {
		if (i + 3 != argc)
			usage();
		perf_tp(strtoul(argv[i + 1], NULL, 10), strtol(argv[i + 2], NULL, 10));
		return 0;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "mt-unpriv: %s: %s\n", argv[i], strerror(errno));
	return 127;
}
