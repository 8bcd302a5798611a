// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader - record the memtrace kernel module's per-process memory
 * samples live, as CSV.
 *
 * Usage: memtrace-reader [-d SECONDS] [-o FILE] [-p PID]... [-I MS]
 *                        [-D DIR] [-q] [-V] [-h]
 *
 * Options (the usage text below says the same, one line each):
 *   -d SECONDS | --duration=SECONDS
 *	Stop after SECONDS (a decimal number > 0, e.g. 2.5).  Without it the
 *	reader runs until SIGINT, SIGTERM or SIGHUP.
 *   -o FILE | --output=FILE
 *	Write the CSV to FILE (created or truncated) instead of standard
 *	output; "-" is standard output.
 *   -p PID | --pid=PID
 *	Sample only process PID (a thread group id); repeat for more.  The
 *	reader registers each one in DIR/pids ("+PID") and unregisters it at
 *	exit ("-PID").  Without -p every process is sampled.
 *   -I MS | --interval=MS
 *	Set the module's sampling interval (DIR/interval_ms) to MS
 *	milliseconds, 1..60000.  The setting stays after the reader exits.
 *   -D DIR | --debugfs=DIR
 *	The module's debugfs directory (default /sys/kernel/debug/memtrace).
 *	Only for the default path is /sys/kernel/debug checked to be debugfs
 *	(so tests can point -D at a directory of regular files).  When DIR is
 *	not on debugfs the stale-data discard below is skipped, because then
 *	the files' contents are the data under test.
 *   -q | --quiet
 *	No summary at exit (errors, warnings and loss reports still go to
 *	standard error).
 *   -V | --version
 *	Print the reader's version and record format version, exit 0.
 *   -h | --help
 *	Print the usage text, exit 0.
 *
 * What it does, in order:
 *  1. Checks that debugfs is mounted (default DIR only), that DIR exists
 *     (the module is loaded) and is readable (root), and opens every cpuN
 *     file found by scanning DIR (CPUs may be sparse).
 *  2. Reads DIR/stats (records_dropped, cpuN_dropped), reads and discards
 *     stale data an earlier session left in the cpuN files, sets
 *     interval_ms (-I), registers the -p PIDs and writes 1 to DIR/enable.
 *  3. Loops: read every cpuN file (read() does not block; it returns any
 *     byte count, so each CPU keeps the tail of an incomplete record),
 *     validate and decode the records, merge them in time order, write
 *     CSV; then poll() the files with a 100 ms timeout.
 *  4. At the end of -d, or at a signal: writes 0 to enable (it returns
 *     once the tick in flight is done), reads every record left, writes
 *     them all, unregisters its PIDs (and writes "clear" to pids when it
 *     registered some and the set is now empty), prints the summary.
 *
 * Merge.  Each CPU's stream is in ts_ns order, but across CPUs a record
 * with a smaller ts_ns can become readable after one with a bigger ts_ns
 * (the writer takes ts_ns before it commits).  Decoded records wait in
 * per-CPU queues; a binary heap keyed on (ts_ns, cpu, seq) merges them, and
 * only records with ts_ns <= watermark are written, where watermark =
 * CLOCK_MONOTONIC (the kernel's ktime_get_ns() clock) read before the read
 * round, minus MERGE_MARGIN_MS (200 ms): the time a record may take from
 * its timestamp to being readable.  A record later than that is still
 * written, out of order, and counted in the summary.  At the end all
 * records are written.
 *
 * Validation.  Every record's magic, version and size are checked; records
 * of unknown types are skipped by size.  A bad record is reported with its
 * CPU and byte offset in that CPU's stream and counted, and the stream
 * resynchronises at the next 8-byte aligned MEMTRACE_MAGIC.  A record
 * format version newer than the reader's is fatal, and so is a read error
 * (EIO: the module was unloaded); both still write what was read.  A
 * record whose hdr.cpu is not the N of its cpuN file is bad too.  A gap in
 * a CPU's seq is the number of records lost there (the first record seen
 * on a CPU sets the expectation, so losses before it show only in the
 * stats delta).
 *
 * Waiting.  poll() on a relay file only wakes at a sub-buffer switch, so
 * every file is read each round anyway.  A regular file (tests) is always
 * "ready": when poll() says ready and the next round reads nothing, the
 * loop sleeps POLL_MS instead, so -d and signals work on any files.
 *
 * Limits.  cpuN files are found once, at start: a CPU that comes online
 * later is not read.  The final drain after enable=0 stops after
 * FINAL_DRAIN_MS (5 s) should records keep coming.  -I is not undone at
 * exit.
 *
 * CSV columns: ts_ns,cpu,seq,tick,pid,comm,vsz_kb,rss_kb,rss_anon_kb,
 * rss_file_kb,rss_shmem_kb,swap_kb,hwm_kb,minflt,majflt,utime_ns,stime_ns,
 * wss_kb (see csv.c).
 *
 * Exit status: 0 on success (also when records were lost: the summary
 * says how many), 1 on an error (named on standard error with its fix),
 * 2 on bad usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "csvout.h"
#include "decode.h"

#define PROG "memtrace-reader"
#define READER_VERSION "0.1"

#define DEBUGFS_ROOT "/sys/kernel/debug"
#define DEFAULT_DIR DEBUGFS_ROOT "/memtrace"
#ifndef DEBUGFS_MAGIC
#define DEBUGFS_MAGIC 0x64626720
#endif

/* How long a record may take from its ts_ns to being readable. */
#define MERGE_MARGIN_MS 200
/* poll() timeout: the kernel only wakes poll on a sub-buffer switch. */
#define POLL_MS 100
/* Bytes of read buffer per CPU, and of output buffer. */
#define CPU_BUF_SIZE (1u << 20)
#define OUT_BUF_SIZE (1u << 20)
/* read() calls per CPU per round, so one busy CPU cannot starve others. */
#define READS_PER_ROUND 16
/* Bad-record messages per CPU before the rest are only counted. */
#define BAD_REPORTS_MAX 10
/* Longest final drain after enable=0 (records should stop at once). */
#define FINAL_DRAIN_MS 5000

static const char usage_str[] =
	"Usage: " PROG " [-d SECONDS] [-o FILE] [-p PID]... [-I MS] [-D DIR] [-q] [-V] [-h]\n"
	"\n"
	"Record the memtrace module's per-process memory samples as CSV (with a\n"
	"header line); a summary of records and losses goes to standard error.\n"
	"\n"
	"  -d SECONDS | --duration=SECONDS   stop after SECONDS, e.g. 2.5 (default: at SIGINT/SIGTERM/SIGHUP)\n"
	"  -o FILE    | --output=FILE        write the CSV to FILE; '-' is standard output (the default)\n"
	"  -p PID     | --pid=PID            sample only process PID; repeat for more (default: all)\n"
	"  -I MS      | --interval=MS        set the module's sampling interval to MS ms, 1..60000\n"
	"  -D DIR     | --debugfs=DIR        the module's directory (default " DEFAULT_DIR ");\n"
	"                                    any other DIR is not checked to be on debugfs\n"
	"  -q         | --quiet              no summary at exit (losses and errors are still reported)\n"
	"  -V         | --version            print the version and exit\n"
	"  -h         | --help               print this help and exit\n"
	"\n"
	"Needs root, debugfs mounted on " DEBUGFS_ROOT " and the memtrace module loaded.\n"
	"Exit status: 0 success, 1 error, 2 bad usage.\n";

static const struct option long_opts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "pid", required_argument, NULL, 'p' },
	{ "interval", required_argument, NULL, 'I' },
	{ "debugfs", required_argument, NULL, 'D' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
static const char short_opts[] = "d:o:p:I:D:qVh";

/* One CPU's relay file, its byte stream and its queue of decoded records. */
struct cpu_in {
	unsigned int cpu;
	int fd;
	char *path;
	struct mt_stream st;
	struct mt_record *q;		/* q[qhead..qtail) wait to be merged */
	size_t qhead, qtail, qcap;
	unsigned int bad_reported;
	bool has_drop0, has_drop1;	/* stats cpuN_dropped at start/end */
	uint64_t drop0, drop1;
};

struct stats {
	bool ok;			/* the stats file was read */
	bool has_dropped;
	uint64_t dropped;
};

/* A set of u64 (open addressing; grows by doubling, never per insert). */
struct u64set {
	uint64_t *slot;
	size_t cap, n;
	bool has_zero;
};

static struct {
	/* options */
	double duration;		/* seconds, 0 = until a signal */
	const char *out_path;
	pid_t *pids;
	size_t npids;
	unsigned int interval_ms;	/* 0 = leave as is */
	const char *dir;
	bool quiet;

	/* state */
	int dirfd;
	bool is_debugfs;
	struct cpu_in *cpus;
	size_t ncpus;
	struct pollfd *pfds;
	struct cpu_in **heap;		/* merge_out()'s heap, ncpus entries */
	struct mt_out out;
	bool out_open;
	pid_t *registered;
	size_t nregistered;
	struct stats stats0, stats1;
	bool module_gone;		/* a read returned EIO */
	bool fatal;			/* stop reading: bad version, I/O error */

	/* counts */
	uint64_t emitted, late, last_ts;
	struct u64set tgids, ticks;
} g = { .dir = DEFAULT_DIR, .dirfd = -1 };

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

__attribute__((format(printf, 1, 0)))
static void vmsg(const char *fmt, va_list ap)
{
	char line[1024] = PROG ": ";
	size_t pre = strlen(line), len;

	vsnprintf(line + pre, sizeof(line) - pre - 1, fmt, ap);
	/* The whole line in one write, so it does not mix with others. */
	len = strlen(line);
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
}

__attribute__((format(printf, 1, 2)))
static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* The fix to name after an errno from a module file. */
static const char *fix_for(int err)
{
	if (err == EACCES || err == EPERM)
		return ": run as root";
	return "";
}

/* Bad usage: the reason (if any), the usage text, exit 2. */
__attribute__((format(printf, 1, 2), noreturn))
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fputs(usage_str, stderr);
	exit(2);
}

__attribute__((noreturn))
static void usage_bad(void)
{
	fputs(usage_str, stderr);
	exit(2);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- u64 set ---------------------------------------------------------- */

static int u64set_add(struct u64set *s, uint64_t v)
{
	size_t i, mask;

	if (!v) {
		s->has_zero = true;
		return 0;
	}
	if (2 * (s->n + 1) > s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 1024;
		uint64_t *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return -1;
		for (size_t j = 0; j < s->cap; j++) {
			uint64_t k = s->slot[j];

			if (!k)
				continue;
			for (i = (k * 0x9e3779b97f4a7c15ull) >> 20 & (ncap - 1);
			     ns[i]; i = (i + 1) & (ncap - 1))
				;
			ns[i] = k;
		}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	mask = s->cap - 1;
	for (i = (v * 0x9e3779b97f4a7c15ull) >> 20 & mask; s->slot[i];
	     i = (i + 1) & mask)
		if (s->slot[i] == v)
			return 0;
	s->slot[i] = v;
	s->n++;
	return 0;
}

static size_t u64set_count(const struct u64set *s)
{
	return s->n + s->has_zero;
}

static void u64set_free(struct u64set *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* ---- control files ---------------------------------------------------- */

static char *dir_path(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", g.dir, name) < 0)
		return NULL;
	return p;
}

/* Write @val to DIR/@name.  0, or -errno. */
static int ctl_write(const char *name, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err = 0;

	fd = openat(g.dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* Read DIR/@name into @buf (NUL-terminated).  Bytes read, or -errno. */
static ssize_t ctl_read(const char *name, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	fd = openat(g.dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

/* Report a failed control write; names the file, the cause and the fix. */
static void ctl_error(const char *name, const char *val, int err)
{
	msg("writing '%s' to %s/%s: %s%s", val, g.dir, name, strerror(-err),
	    fix_for(-err));
}

/* Parse DIR/stats ("key: value" lines). */
static void read_stats(struct stats *st, bool at_end)
{
	char buf[65536], *line, *save = NULL;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	n = ctl_read("stats", buf, sizeof(buf));
	if (n < 0) {
		if (!g.module_gone)
			msg("warning: reading %s/stats: %s%s; drops are not reported",
			    g.dir, strerror((int)-n), fix_for((int)-n));
		return;
	}
	st->ok = true;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *end;
		unsigned long long v;
		unsigned int cpu;
		int len = 0;

		if (!colon)
			continue;
		*colon = '\0';
		errno = 0;
		v = strtoull(colon + 1, &end, 10);
		if (errno || end == colon + 1)
			continue;
		if (!strcmp(line, "records_dropped")) {
			st->has_dropped = true;
			st->dropped = v;
		} else if (sscanf(line, "cpu%u_dropped%n", &cpu, &len) == 1 &&
			   len > 0 && !line[len]) {
			for (size_t i = 0; i < g.ncpus; i++) {
				struct cpu_in *c = &g.cpus[i];

				if (c->cpu != cpu)
					continue;
				if (at_end) {
					c->has_drop1 = true;
					c->drop1 = v;
				} else {
					c->has_drop0 = true;
					c->drop0 = v;
				}
			}
		}
	}
}

/* ---- setup ------------------------------------------------------------ */

static const char load_fix[] =
	"load it: insmod module/memtrace.ko or modprobe memtrace";

static int check_debugfs(void)
{
	struct statfs sfs;

	if (strcmp(g.dir, DEFAULT_DIR))
		return 0;	/* -D DIR: tests use plain directories */
	if (statfs(DEBUGFS_ROOT, &sfs)) {
		if (errno == EACCES || errno == EPERM) {
			msg("%s: %s: run as root", DEBUGFS_ROOT, strerror(errno));
			return -1;
		}
		if (errno != ENOENT) {
			msg("%s: %s", DEBUGFS_ROOT, strerror(errno));
			return -1;
		}
		sfs.f_type = 0;
	}
	if ((unsigned long)sfs.f_type != DEBUGFS_MAGIC) {
		msg("debugfs is not mounted on %s: mount -t debugfs none %s",
		    DEBUGFS_ROOT, DEBUGFS_ROOT);
		return -1;
	}
	return 0;
}

static int open_dir(void)
{
	struct statfs sfs;

	g.dirfd = open(g.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g.dirfd < 0) {
		int err = errno;

		if (err == ENOENT)
			msg("%s: no such directory: the memtrace module is not loaded: %s",
			    g.dir, load_fix);
		else
			msg("%s: %s%s", g.dir, strerror(err), fix_for(err));
		return -1;
	}
	g.is_debugfs = !fstatfs(g.dirfd, &sfs) &&
		       (unsigned long)sfs.f_type == DEBUGFS_MAGIC;
	return 0;
}

static int cmp_cpu(const void *a, const void *b)
{
	const struct cpu_in *x = a, *y = b;

	return (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

/* "cpuN" with N a canonical decimal number. */
static bool parse_cpu_name(const char *name, unsigned int *cpu)
{
	unsigned long v;
	char *end;

	if (strncmp(name, "cpu", 3) || name[3] < '0' || name[3] > '9' ||
	    (name[3] == '0' && name[4]))
		return false;
	errno = 0;
	v = strtoul(name + 3, &end, 10);
	if (errno || *end || v > UINT_MAX)
		return false;
	*cpu = (unsigned int)v;
	return true;
}

static int open_cpus(void)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int fd;

	fd = dup(g.dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		msg("%s: %s", g.dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d))) {
		unsigned int cpu;

		if (!parse_cpu_name(de->d_name, &cpu))
			continue;
		if (g.ncpus == cap) {
			struct cpu_in *n;

			cap = cap ? 2 * cap : 16;
			n = realloc(g.cpus, cap * sizeof(*n));
			if (!n)
				goto out_nomem;
			g.cpus = n;
		}
		memset(&g.cpus[g.ncpus], 0, sizeof(g.cpus[0]));
		g.cpus[g.ncpus].cpu = cpu;
		g.cpus[g.ncpus].fd = -1;
		g.ncpus++;
	}
	if (errno) {
		msg("reading directory %s: %s", g.dir, strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	if (!g.ncpus) {
		msg("%s holds no cpuN files: is it the memtrace module's directory? %s",
		    g.dir, load_fix);
		return -1;
	}
	qsort(g.cpus, g.ncpus, sizeof(g.cpus[0]), cmp_cpu);

	g.pfds = calloc(g.ncpus, sizeof(*g.pfds));
	g.heap = calloc(g.ncpus, sizeof(*g.heap));
	if (!g.pfds || !g.heap)
		goto out_nomem;
	for (size_t i = 0; i < g.ncpus; i++) {
		struct cpu_in *c = &g.cpus[i];
		char name[16];

		snprintf(name, sizeof(name), "cpu%u", c->cpu);
		c->path = dir_path(name);
		if (!c->path || mt_stream_init(&c->st, c->cpu, CPU_BUF_SIZE))
			goto out_nomem;
		c->fd = openat(g.dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->fd < 0) {
			msg("%s: %s%s", c->path, strerror(errno), fix_for(errno));
			return -1;
		}
		g.pfds[i].fd = c->fd;
		g.pfds[i].events = POLLIN;
	}
	return 0;

out_nomem:
	msg("out of memory");
	return -1;
}

static void close_cpus(void)
{
	for (size_t i = 0; i < g.ncpus; i++) {
		struct cpu_in *c = &g.cpus[i];

		if (c->fd >= 0)
			close(c->fd);
		free(c->path);
		free(c->q);
		mt_stream_free(&c->st);
	}
	free(g.cpus);
	free(g.pfds);
	free(g.heap);
	g.cpus = NULL;
	g.pfds = NULL;
	g.heap = NULL;
	g.ncpus = 0;
}

static int open_output(void)
{
	int fd = STDOUT_FILENO;
	const char *name = "standard output";

	if (g.out_path && strcmp(g.out_path, "-")) {
		fd = open(g.out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0666);
		if (fd < 0) {
			msg("cannot create %s: %s", g.out_path, strerror(errno));
			return -1;
		}
		name = g.out_path;
	}
	if (mt_out_init(&g.out, fd, name, OUT_BUF_SIZE)) {
		msg("out of memory");
		if (fd != STDOUT_FILENO)
			close(fd);
		return -1;
	}
	g.out_open = true;
	return 0;
}

static void out_error(void)
{
	msg("writing %s: %s", g.out.name, strerror(g.out.err ? g.out.err : errno));
}

/* Flush and close the output.  0, or -1 (reported). */
static int close_output(void)
{
	int ret = 0;

	if (!g.out_open)
		return 0;
	if (g.out.err) {
		ret = -1;	/* reported when it happened */
	} else if (mt_out_flush(&g.out)) {
		out_error();
		ret = -1;
	}
	if (g.out.fd != STDOUT_FILENO && close(g.out.fd) && !ret) {
		msg("closing %s: %s", g.out.name, strerror(errno));
		ret = -1;
	}
	mt_out_free(&g.out);
	g.out_open = false;
	return ret;
}

/* Read and throw away what an earlier session left in the cpuN files. */
static void discard_stale(void)
{
	static unsigned char scratch[65536];
	unsigned long long total = 0;
	uint64_t deadline = mono_ns() + 2000000000ull;

	for (size_t i = 0; i < g.ncpus; i++) {
		for (;;) {
			ssize_t n = read(g.cpus[i].fd, scratch, sizeof(scratch));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;	/* an error shows again in the loop */
			total += (unsigned long long)n;
			if (mono_ns() > deadline)
				break;
		}
	}
	if (total && !g.quiet)
		msg("discarded %llu bytes left from an earlier session", total);
}

static int register_pids(void)
{
	char val[32];
	int err;

	for (size_t i = 0; i < g.npids; i++) {
		pid_t pid = g.pids[i];
		struct stat sb;

		snprintf(val, sizeof(val), "/proc/%d", (int)pid);
		if (stat(val, &sb)) {
			msg("no such process: %d (%s: %s): give the PID of a running process",
			    (int)pid, val, strerror(errno));
			return -1;
		}
		snprintf(val, sizeof(val), "+%d", (int)pid);
		err = ctl_write("pids", val);
		if (err == -ESRCH) {
			msg("no such process: %d (%s/pids: %s): give the PID of a running process",
			    (int)pid, g.dir, strerror(ESRCH));
			return -1;
		}
		if (err) {
			ctl_error("pids", val, err);
			return -1;
		}
		g.registered[g.nregistered++] = pid;
	}
	return 0;
}

/* 0, or -1 when an unregistration failed (reported). */
static int unregister_pids(void)
{
	bool registered_any = g.nregistered > 0;
	char val[32], buf[4096];
	int ret = 0, err;
	ssize_t n;

	while (g.nregistered) {
		pid_t pid = g.registered[--g.nregistered];

		snprintf(val, sizeof(val), "-%d", (int)pid);
		err = ctl_write("pids", val);
		/* ENOENT: it exited and dropped out of the set by itself. */
		if (err && err != -ENOENT && !g.module_gone) {
			ctl_error("pids", val, err);
			ret = -1;
		}
	}
	if (!registered_any || g.module_gone)
		return ret;
	/* Exited processes drop out but leave the filter on: turn it off. */
	n = ctl_read("pids", buf, sizeof(buf));
	if (n < 0) {
		msg("reading %s/pids: %s%s", g.dir, strerror((int)-n),
		    fix_for((int)-n));
		return -1;
	}
	if (buf[strspn(buf, " \t\r\n")] == '\0') {
		err = ctl_write("pids", "clear");
		if (err) {
			ctl_error("pids", "clear", err);
			ret = -1;
		}
	}
	return ret;
}

/* ---- reading and merging ------------------------------------------------ */

static struct mt_record *queue_slot(struct cpu_in *c)
{
	if (c->qhead == c->qtail)
		c->qhead = c->qtail = 0;
	if (c->qtail == c->qcap) {
		if (c->qhead > c->qcap / 2) {
			memmove(c->q, c->q + c->qhead,
				(c->qtail - c->qhead) * sizeof(*c->q));
			c->qtail -= c->qhead;
			c->qhead = 0;
		} else {
			size_t ncap = c->qcap ? 2 * c->qcap : 4096;
			struct mt_record *nq = realloc(c->q, ncap * sizeof(*nq));

			if (!nq)
				return NULL;
			c->q = nq;
			c->qcap = ncap;
		}
	}
	return &c->q[c->qtail];
}

/* Decode what CPU @c has buffered into its queue.  0, or -1 (fatal). */
static int parse_cpu(struct cpu_in *c)
{
	char why[160];
	struct mt_bad bad;

	for (;;) {
		struct mt_record *r = queue_slot(c);
		enum mt_status st;

		if (!r) {
			msg("out of memory");
			return -1;
		}
		st = mt_stream_next(&c->st, r, &bad);
		if (st == MT_NEED_MORE)
			return 0;
		if (st == MT_OK) {
			c->qtail++;
			continue;
		}
		mt_bad_describe(&bad, why, sizeof(why));
		if (st == MT_BAD_VERSION && bad.hdr.version > MEMTRACE_VERSION) {
			msg("%s: byte offset %" PRIu64 ": %s: update memtrace-reader to the module's version",
			    c->path, bad.offset, why);
			return -1;
		}
		if (c->bad_reported++ < BAD_REPORTS_MAX)
			msg("cpu%u: bad record at byte offset %" PRIu64 " of %s: %s; skipped %" PRIu64 " bytes to resynchronise%s",
			    c->cpu, bad.offset, c->path, why, bad.skipped,
			    c->bad_reported == BAD_REPORTS_MAX ?
				    " (further bad records on this CPU are only counted)" : "");
	}
}

/*
 * Read every cpuN file once round.  Returns bytes read (>= 0), or -1 on a
 * fatal error (reported; g.module_gone tells EIO).
 */
static long long read_round(void)
{
	long long total = 0;

	for (size_t i = 0; i < g.ncpus; i++) {
		struct cpu_in *c = &g.cpus[i];

		for (int k = 0; k < READS_PER_ROUND; k++) {
			size_t room;
			unsigned char *p = mt_stream_space(&c->st, &room);
			ssize_t n = read(c->fd, p, room);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				if (errno == EIO) {
					msg("reading %s: %s: module unloaded",
					    c->path, strerror(errno));
					g.module_gone = true;
				} else {
					msg("reading %s: %s", c->path,
					    strerror(errno));
				}
				return -1;
			}
			if (n == 0)
				break;
			mt_stream_added(&c->st, (size_t)n);
			total += n;
			if (parse_cpu(c))
				return -1;
			if ((size_t)n < room)
				break;
		}
	}
	return total;
}

static inline bool rec_before(const struct mt_record *a,
			      const struct mt_record *b)
{
	if (a->hdr.ts_ns != b->hdr.ts_ns)
		return a->hdr.ts_ns < b->hdr.ts_ns;
	if (a->hdr.cpu != b->hdr.cpu)
		return a->hdr.cpu < b->hdr.cpu;
	return a->hdr.seq < b->hdr.seq;
}

static inline const struct mt_record *head(const struct cpu_in *c)
{
	return &c->q[c->qhead];
}

static void sift_down(struct cpu_in **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct cpu_in *t;

		if (l < n && rec_before(head(h[l]), head(h[m])))
			m = l;
		if (l + 1 < n && rec_before(head(h[l + 1]), head(h[m])))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/*
 * Write, in (ts_ns, cpu, seq) order, every queued record with ts_ns <=
 * @watermark (all of them when @all).  0, or -1 on an output error.
 */
static int merge_out(uint64_t watermark, bool all)
{
	struct cpu_in **heap = g.heap;
	size_t n = 0;

	for (size_t i = 0; i < g.ncpus; i++)
		if (g.cpus[i].qhead < g.cpus[i].qtail)
			heap[n++] = &g.cpus[i];
	for (size_t i = n / 2; i-- > 0;)
		sift_down(heap, n, i);

	while (n) {
		struct cpu_in *c = heap[0];
		const struct mt_record *r = head(c);

		if (!all && r->hdr.ts_ns > watermark)
			break;
		if (r->hdr.ts_ns < g.last_ts)
			g.late++;
		else
			g.last_ts = r->hdr.ts_ns;
		if (u64set_add(&g.tgids, r->tgid) ||
		    u64set_add(&g.ticks, r->tick)) {
			msg("out of memory");
			return -1;
		}
		if (mt_out_row(&g.out, r)) {
			out_error();
			return -1;
		}
		g.emitted++;
		if (++c->qhead == c->qtail) {
			c->qhead = c->qtail = 0;
			heap[0] = heap[--n];
		}
		sift_down(heap, n, 0);
	}
	return 0;
}

/* Wait for data: poll, or sleep when poll said "ready" and nothing came. */
static void wait_data(uint64_t deadline, bool *poll_lied)
{
	int ms = POLL_MS;

	if (deadline) {
		uint64_t now = mono_ns();

		if (now >= deadline)
			return;
		if (deadline - now < (uint64_t)ms * 1000000u)
			ms = (int)((deadline - now + 999999) / 1000000);
	}
	if (*poll_lied) {
		/* Regular files (tests) are always "ready": just sleep. */
		poll(NULL, 0, ms);
		*poll_lied = false;
	} else {
		*poll_lied = poll(g.pfds, g.ncpus, ms) > 0;
	}
}

/* The live loop, until -d or a signal.  0, or -1 on a fatal error. */
static int live_loop(void)
{
	uint64_t margin = (uint64_t)MERGE_MARGIN_MS * 1000000u;
	uint64_t deadline = 0;
	bool poll_lied = false;

	if (g.duration > 0)
		deadline = mono_ns() + (uint64_t)(g.duration * 1e9);
	while (!stop_signal) {
		uint64_t now = mono_ns();
		long long got;

		if (deadline && now >= deadline)
			break;
		got = read_round();
		if (got < 0)
			return -1;
		if (merge_out(now > margin ? now - margin : 0, false))
			return -1;
		if (mt_out_flush(&g.out)) {
			out_error();
			return -1;
		}
		if (got == 0)
			wait_data(deadline, &poll_lied);
		else
			poll_lied = false;
	}
	return 0;
}

/* After enable=0: read everything left, then write every queued record. */
static int final_drain(void)
{
	uint64_t deadline = mono_ns() + (uint64_t)FINAL_DRAIN_MS * 1000000u;
	int ret = 0;

	if (!g.fatal) {
		for (;;) {
			long long got = read_round();

			if (got < 0) {
				ret = -1;
				break;
			}
			if (got == 0)
				break;
			if (mono_ns() > deadline) {
				msg("warning: records still arriving %d ms after enable=0; stopped reading",
				    FINAL_DRAIN_MS);
				break;
			}
		}
	}
	for (size_t i = 0; i < g.ncpus; i++) {
		size_t left = mt_stream_pending(&g.cpus[i].st);

		if (left && ret == 0 && !g.fatal) {
			msg("cpu%u: %zu bytes of an incomplete record at the end of %s ignored",
			    g.cpus[i].cpu, left, g.cpus[i].path);
			g.cpus[i].st.bad++;
		}
	}
	if (merge_out(0, true))
		return -1;
	return ret;
}

/* ---- summary ------------------------------------------------------------ */

static void summary(void)
{
	uint64_t lost = 0, bad = 0, bad_bytes = 0, skipped = 0;
	bool have_dropped = g.stats0.has_dropped && g.stats1.has_dropped;
	uint64_t dropped = have_dropped ? g.stats1.dropped - g.stats0.dropped : 0;
	char dropped_s[32];

	for (size_t i = 0; i < g.ncpus; i++) {
		const struct mt_stream *s = &g.cpus[i].st;

		lost += s->loss.lost;
		bad += s->bad;
		bad_bytes += s->bad_bytes;
		skipped += s->skipped;
	}
	if (have_dropped)
		snprintf(dropped_s, sizeof(dropped_s), "%" PRIu64, dropped);
	else
		snprintf(dropped_s, sizeof(dropped_s), "?");

	if (!g.quiet)
		msg("%" PRIu64 " records from %zu processes in %zu ticks, %" PRIu64 " lost (seq gaps), %s dropped (stats)",
		    g.emitted, u64set_count(&g.tgids), u64set_count(&g.ticks),
		    lost, dropped_s);
	if (!g.quiet && skipped)
		msg("%" PRIu64 " records of unknown types skipped", skipped);
	if (bad)
		msg("%" PRIu64 " bad records, %" PRIu64 " bytes skipped",
		    bad, bad_bytes);
	if (g.late)
		msg("%" PRIu64 " records became readable more than %d ms after their ts_ns and are out of ts_ns order in the CSV",
		    g.late, MERGE_MARGIN_MS);

	if (!lost && !dropped)
		return;
	for (size_t i = 0; i < g.ncpus; i++) {
		const struct cpu_in *c = &g.cpus[i];
		const struct mt_loss *l = &c->st.loss;
		bool has_drop = c->has_drop0 && c->has_drop1;
		uint64_t d = has_drop ? c->drop1 - c->drop0 : 0;

		if (!l->lost && !d)
			continue;
		if (l->lost)
			msg("cpu%u: %" PRIu64 " records lost in %" PRIu64 " gaps between ts_ns %" PRIu64 " and %" PRIu64 ", %" PRIu64 " dropped (stats)",
			    c->cpu, l->lost, l->gaps, l->first_ts, l->last_ts, d);
		else
			msg("cpu%u: %" PRIu64 " dropped (stats)", c->cpu, d);
	}
	msg("to lose fewer records, reload the module with bigger or more sub-buffers (module parameters subbuf_size, n_subbufs) or sample less often (-I MS)");
}

/* ---- main --------------------------------------------------------------- */

static void parse_args(int argc, char **argv)
{
	int opt;

	while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 'd':
			errno = 0;
			g.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(g.duration) ||
			    g.duration <= 0 || g.duration > 1e9)
				usage_error("invalid duration '%s': give seconds > 0", optarg);
			break;
		case 'o':
			g.out_path = optarg;
			break;
		case 'p': {
			long v;
			pid_t *n;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v <= 0 || v > INT_MAX)
				usage_error("invalid PID '%s'", optarg);
			for (size_t i = 0; i < g.npids; i++)
				if (g.pids[i] == (pid_t)v)
					goto next;
			n = realloc(g.pids, (g.npids + 1) * sizeof(*n));
			if (!n) {
				msg("out of memory");
				exit(1);
			}
			g.pids = n;
			g.pids[g.npids++] = (pid_t)v;
next:
			break;
		}
		case 'I': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    v < 1 || v > 60000)
				usage_error("invalid interval '%s': give milliseconds, 1..60000",
					    optarg);
			g.interval_ms = (unsigned int)v;
			break;
		}
		case 'D':
			g.dir = optarg;
			break;
		case 'q':
			g.quiet = true;
			break;
		case 'V':
			printf(PROG " " READER_VERSION " (record format version %d)\n",
			       MEMTRACE_VERSION);
			exit(fflush(stdout) ? 1 : 0);
		case 'h':
			fputs(usage_str, stdout);
			exit(fflush(stdout) ? 1 : 0);
		default:
			usage_bad();
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() returns EINTR and the loop sees the flag. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -1;
	/* A closed pipe is an error return (EPIPE), reported like others. */
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
	bool failed = false;
	char enable[16];
	int err;

	parse_args(argc, argv);
	if (install_signals()) {
		msg("sigaction: %s", strerror(errno));
		return 1;
	}
	if (check_debugfs() || open_dir())
		goto out_close_dir;
	if (open_cpus() || open_output())
		goto out_close_cpus;
	g.registered = calloc(g.npids ? g.npids : 1, sizeof(*g.registered));
	if (!g.registered) {
		msg("out of memory");
		goto out_close_output;
	}

	read_stats(&g.stats0, false);
	if (ctl_read("enable", enable, sizeof(enable)) > 0 &&
	    (enable[0] == '1' || enable[0] == 'Y'))
		msg("warning: %s/enable is already 1: another reader may be running, and records would be split between the readers",
		    g.dir);
	if (g.is_debugfs)
		discard_stale();
	if (g.interval_ms) {
		char val[16];

		snprintf(val, sizeof(val), "%u", g.interval_ms);
		err = ctl_write("interval_ms", val);
		if (err) {
			ctl_error("interval_ms", val, err);
			goto out_close_output;
		}
	}
	if (register_pids())
		goto out_unregister;
	err = ctl_write("enable", "1");
	if (err) {
		ctl_error("enable", "1", err);
		goto out_unregister;
	}

	if (mt_out_header(&g.out)) {
		out_error();
		failed = true;
	} else if (live_loop()) {
		failed = true;
		g.fatal = true;
	}

	/* Teardown of a started session: every step runs, errors or not. */
	err = ctl_write("enable", "0");
	if (err && !g.module_gone) {
		ctl_error("enable", "0", err);
		failed = true;
	}
	if (!g.out.err && final_drain())
		failed = true;
	if (unregister_pids())
		failed = true;
	if (!g.module_gone)
		read_stats(&g.stats1, true);
	if (close_output())
		failed = true;
	summary();
	free(g.registered);
	close_cpus();
	close(g.dirfd);
	u64set_free(&g.tgids);
	u64set_free(&g.ticks);
	free(g.pids);
	return failed || g.module_gone ? 1 : 0;

out_unregister:
	unregister_pids();
out_close_output:
	free(g.registered);
	close_output();
out_close_cpus:
	close_cpus();
out_close_dir:
	if (g.dirfd >= 0)
		close(g.dirfd);
	free(g.pids);
	return 1;
}
