// SPDX-License-Identifier: GPL-2.0
/*
 * poller - the /proc-polling peer of memtrace's sampling benchmark.
 *
 * Every interval it does what pidstat, atop and below do to get the same
 * figures as a memtrace record: list /proc, and for every process read
 * /proc/PID/stat (faults, CPU time, VSZ, RSS) and /proc/PID/status (RssAnon,
 * RssFile, RssShmem, VmSwap, VmHWM), parsing both into a struct.  It is the
 * cheapest honest version of a poller: one open + one read + close per file
 * into a stack buffer, no stdio on the read side, /proc kept open, kernel
 * threads (PF_KTHREAD in stat) skipped before their status is read.
 *
 *   -i MS | --interval=MS    period, default 100; an interval that overruns
 *                            starts the next one at once (counted)
 *   -d S  | --duration=S     stop after S seconds (default 10)
 *   -o F  | --output=F       write one CSV row per process-sample to F; the
 *                            CPU spent formatting and writing it is measured
 *                            apart (emit_ns) so both costs can be reported
 *   -h    | --help
 *
 * At exit it prints "key: value" lines on stdout:
 *   intervals, overruns, samples (process-samples read: processes with an
 *   address space, per interval), skipped (kernel threads, vanished PIDs),
 *   cpu_ns / user_ns / sys_ns (getrusage(RUSAGE_SELF): everything, reading
 *   and emitting), emit_ns (thread CPU time spent emitting CSV), wall_ns.
 * Exit status 0, 1 on a system error, 2 on bad usage.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PF_KTHREAD 0x00200000UL

struct sample {
	int pid;
	char comm[16];
	unsigned long long minflt, majflt, utime, stime, vsz_kb, rss_kb;
	unsigned long long anon_kb, file_kb, shmem_kb, swap_kb, hwm_kb;
};

static struct sample *samples;
static size_t nsamples, cap;

static unsigned long long ns_of(const struct timespec *t)
{
	return (unsigned long long)t->tv_sec * 1000000000ULL + t->tv_nsec;
}

static unsigned long long clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return ns_of(&t);
}

/* Read /proc/PID/NAME into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_file(int procfd, const char *pid, const char *name,
			 char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pid, name);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Parse /proc/PID/stat; 0, or -1 (unparsable), or 1 (kernel thread). */
static int parse_stat(char *buf, struct sample *s)
{
	char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	unsigned long long v[24];
	size_t len;
	int i;

	if (!open || !close || close < open)
		return -1;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(s->comm))
		len = sizeof(s->comm) - 1;
	memcpy(s->comm, open + 1, len);
	s->comm[len] = '\0';
	/* field 3 (state) is a letter; fields 4.. are numbers */
	p = close + 2;
	if (!*p)
		return -1;
	p++;
	for (i = 4; i <= 24; i++) {
		char *end;

		v[i - 1] = strtoull(p, &end, 10);
		if (end == p)
			return -1;
		p = end;
	}
	if (v[8] & PF_KTHREAD) /* field 9: flags */
		return 1;
	s->minflt = v[9];
	s->majflt = v[11];
	s->utime = v[13];
	s->stime = v[14];
	s->vsz_kb = v[22] / 1024;
	return 0;
}

static unsigned long long kb_after(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	if (!p)
		return 0;
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	return strtoull(p, NULL, 10);
}

static void parse_status(const char *buf, struct sample *s)
{
	s->hwm_kb = kb_after(buf, "\nVmHWM:");
	s->rss_kb = kb_after(buf, "\nVmRSS:");
	s->anon_kb = kb_after(buf, "\nRssAnon:");
	s->file_kb = kb_after(buf, "\nRssFile:");
	s->shmem_kb = kb_after(buf, "\nRssShmem:");
	s->swap_kb = kb_after(buf, "\nVmSwap:");
}

static struct sample *next_slot(void)
{
	if (nsamples == cap) {
		cap = cap ? cap * 2 : 1024;
		samples = realloc(samples, cap * sizeof(*samples));
		if (!samples) {
			fprintf(stderr, "poller: out of memory\n");
			exit(1);
		}
	}
	return &samples[nsamples];
}

/* One interval: read every process; returns the number skipped. */
static unsigned long poll_once(DIR *dir, int procfd)
{
	char buf[4096];
	unsigned long skipped = 0;
	struct dirent *de;

	nsamples = 0;
	rewinddir(dir);
	while ((de = readdir(dir))) {
		struct sample *s;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		s = next_slot();
		s->pid = atoi(de->d_name);
		if (read_file(procfd, de->d_name, "stat", buf, sizeof(buf)) < 0 ||
		    parse_stat(buf, s) != 0) {
			skipped++;
			continue;
		}
		if (read_file(procfd, de->d_name, "status", buf, sizeof(buf)) < 0 ||
		    !strstr(buf, "\nVmRSS:")) {
			skipped++; /* exited, or a zombie with no mm */
			continue;
		}
		parse_status(buf, s);
		nsamples++;
	}
	return skipped;
}

static void emit(FILE *out, unsigned long long ts)
{
	size_t i;

	for (i = 0; i < nsamples; i++) {
		const struct sample *s = &samples[i];

		fprintf(out, "%llu,%d,%s,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu\n",
			ts, s->pid, s->comm, s->vsz_kb, s->rss_kb, s->anon_kb,
			s->file_kb, s->shmem_kb, s->swap_kb, s->hwm_kb,
			s->minflt, s->majflt, s->utime, s->stime);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: poller [-i MS] [-d SECONDS] [-o FILE]\n\n"
		   "  -i MS      | --interval=MS     polling period (default 100)\n"
		   "  -d SECONDS | --duration=SECONDS stop after SECONDS (default 10)\n"
		   "  -o FILE    | --output=FILE     write CSV rows to FILE\n"
		   "  -h         | --help            this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long interval_ns = 100000000ULL, end, next, t0, e0;
	unsigned long long intervals = 0, overruns = 0, total = 0, skipped = 0;
	unsigned long long emit_ns = 0;
	double duration = 10;
	const char *outpath = NULL;
	FILE *out = NULL;
	struct rusage ru;
	DIR *dir;
	int c, procfd;

	while ((c = getopt_long(argc, argv, "i:d:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			interval_ns = strtoull(optarg, NULL, 10) * 1000000ULL;
			break;
		case 'd':
			duration = strtod(optarg, NULL);
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !interval_ns || duration <= 0) {
		usage(stderr);
		return 2;
	}
	if (outpath) {
		out = fopen(outpath, "w");
		if (!out) {
			fprintf(stderr, "poller: %s: %s\n", outpath, strerror(errno));
			return 1;
		}
		fprintf(out, "ts_ns,pid,comm,vsz_kb,rss_kb,rss_anon_kb,rss_file_kb,"
			     "rss_shmem_kb,swap_kb,hwm_kb,minflt,majflt,utime_ticks,stime_ticks\n");
	}
	dir = opendir("/proc");
	if (!dir) {
		fprintf(stderr, "poller: /proc: %s\n", strerror(errno));
		return 1;
	}
	procfd = dirfd(dir);

	t0 = clock_ns(CLOCK_MONOTONIC);
	end = t0 + (unsigned long long)(duration * 1e9);
	next = t0;
	while (next < end) {
		unsigned long long now;

		skipped += poll_once(dir, procfd);
		total += nsamples;
		intervals++;
		if (out) {
			e0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			emit(out, clock_ns(CLOCK_MONOTONIC));
			emit_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - e0;
		}
		next += interval_ns;
		now = clock_ns(CLOCK_MONOTONIC);
		if (now >= next) {
			overruns++;
			next = now;
		} else if (next < end) {
			struct timespec ts = { .tv_sec = next / 1000000000ULL,
					       .tv_nsec = next % 1000000000ULL };

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
	}
	if (out) {
		e0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		if (fclose(out) != 0) {
			fprintf(stderr, "poller: %s: %s\n", outpath, strerror(errno));
			return 1;
		}
		emit_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - e0;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("intervals: %llu\noverruns: %llu\nsamples: %llu\nskipped: %llu\n",
	       intervals, overruns, total, skipped);
	printf("user_ns: %llu\nsys_ns: %llu\ncpu_ns: %llu\nemit_ns: %llu\nwall_ns: %llu\n",
	       (unsigned long long)ru.ru_utime.tv_sec * 1000000000ULL + ru.ru_utime.tv_usec * 1000ULL,
	       (unsigned long long)ru.ru_stime.tv_sec * 1000000000ULL + ru.ru_stime.tv_usec * 1000ULL,
	       (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL,
	       emit_ns, clock_ns(CLOCK_MONOTONIC) - t0);
	return 0;
}
