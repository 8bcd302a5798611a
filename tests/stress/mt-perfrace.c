// SPDX-License-Identifier: GPL-2.0
/*
 * mt-perfrace - attach perf to a trace event without CAP_PERFMON, again and
 * again, for memtrace's perf-permission scenario: memtrace's events exist
 * from the moment the module is coming (the tracing core adds them before
 * the module's init runs), and a perf user must never get one without
 * CAP_PERFMON, not even while the module loads.
 *
 *   mt-perfrace SECONDS IDFILE
 *
 * (SIGINT or SIGTERM end it early, with its output.)
 *
 * Drops CAP_PERFMON and CAP_SYS_ADMIN from its effective, permitted and
 * inheritable sets (it stays uid 0, so that it may read tracefs), then for
 * SECONDS: reads the event id from IDFILE (e.g.
 * /sys/kernel/tracing/events/memstat/memstat_tick/id; absent while the
 * module is not loaded) and opens a counting perf event on it for itself
 * (PERF_TYPE_TRACEPOINT, pid 0, cpu -1); an open that succeeds is counted
 * and closed at once.  With kernel.perf_event_paranoid at -1 only the
 * event's own perf_perm stands in the way.
 *
 * Output, one line: "attempts=N noevent=N refused=N attached=N other=N"
 * (noevent: IDFILE absent or unreadable; refused: EPERM or EACCES;
 * other: any other errno, e.g. EAGAIN or ENOENT from an event going away).
 * Exit status 0, 1 on a system error, 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	const int caps[] = { CAP_PERFMON, CAP_SYS_ADMIN };

	if (syscall(SYS_capget, &h, d))
		return -1;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		unsigned int bit = 1U << (caps[i] % 32);
		int w = caps[i] / 32;

		d[w].effective &= ~bit;
		d[w].permitted &= ~bit;
		d[w].inheritable &= ~bit;
	}
	return (int)syscall(SYS_capset, &h, d);
}

int main(int argc, char **argv)
{
	unsigned long attempts = 0, noevent = 0, refused = 0, attached = 0, other = 0;
	double secs, t0;
	char *end;

	if (argc != 3 || (secs = strtod(argv[1], &end)) <= 0 || *end) {
		fprintf(stderr, "Usage: mt-perfrace SECONDS IDFILE\n");
		return 2;
	}
	if (drop_caps()) {
		fprintf(stderr, "mt-perfrace: capset: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now_s();
	while (!stop && now_s() - t0 < secs) {
		struct perf_event_attr attr;
		char buf[32];
		ssize_t n;
		int fd;

		attempts++;
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			noevent++;
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0) {
			noevent++;
			continue;
		}
		buf[n] = '\0';
		memset(&attr, 0, sizeof(attr));
		attr.type = PERF_TYPE_TRACEPOINT;
		attr.size = sizeof(attr);
		attr.config = strtoull(buf, NULL, 10);
		attr.disabled = 1;
		fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd >= 0) {
			attached++;
			close(fd);
		} else if (errno == EPERM || errno == EACCES) {
			refused++;
		} else {
			other++;
		}
	}
	printf("attempts=%lu noevent=%lu refused=%lu attached=%lu other=%lu\n",
	       attempts, noevent, refused, attached, other);
	return 0;
}
