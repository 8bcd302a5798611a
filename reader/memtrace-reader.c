// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader - record the memtrace kernel module's per-process memory
 * samples live, as CSV and/or as a raw trace file; decode a raw trace file
 * to the same CSV.
 *
 * Usage: memtrace-reader [-d SECONDS] [-o FILE] [-w FILE] [-p PID]...
 *                        [-c COMM]... [-I MS] [-W MS] [-D DIR] [-r] [-q]
 *        memtrace-reader -i FILE [-o FILE] [-r] [-q]
 *        memtrace-reader -V | -h
 *
 * Options (the usage text below says the same, one line each; the man page
 * is Documentation/memtrace-reader.rst):
 *   -d SECONDS | --duration=SECONDS
 *	Stop after SECONDS (a decimal number > 0, e.g. 2.5).  Without it the
 *	reader runs until SIGINT, SIGTERM or SIGHUP, or until every -p
 *	process has exited (when there is no -c).
 *   -o FILE | --output=FILE
 *	Write the CSV to FILE (created or truncated once every check of the
 *	start has passed); "-" is standard output.  The default is standard
 *	output, except with -w, when no CSV is written unless -o asks for it.
 *   -w FILE | --write=FILE
 *	Write a raw trace file (Documentation/memtrace-trace-file.rst) to FILE;
 *	"-" is standard output.  With -o as well, both are written.
 *   -i FILE | --input=FILE
 *	Decode the raw trace file FILE ("-": standard input) instead of
 *	recording: the same CSV and summary as the live session that wrote it.
 *   -p PID | --pid=PID
 *	Sample only process PID (a thread group id); repeat for more.  The
 *	reader registers each one in DIR/pids ("+PID").  A process that exits
 *	is named once on standard error (pid, seconds into the session); the
 *	others go on being recorded, and when none is left (and there is no
 *	-c) the session ends with status 0, unless -d keeps it going.  With
 *	neither -p nor -c every process is sampled.
 *   -c COMM | --comm=COMM
 *	Sample every process whose name (its leader's comm, as /proc/PID/comm
 *	prints it) is COMM, exactly; repeat for more (at most 16).  Resolved
 *	by the module at each tick (DIR/comms), so processes started later are
 *	caught.  Unlike pidstat -C, no substring or regular expression: the
 *	kernel compares the 15-byte comm.  A longer COMM is cut to its first
 *	15 bytes, as the kernel cuts names (with a warning).  With -p too, a
 *	process is sampled if either chooses it.
 *   -I MS | --interval=MS
 *	Sample every MS milliseconds, 1..60000 (DIR/interval_ms), for this
 *	session.
 *   -W MS | --wss=MS
 *	Measure each process's working-set size over windows of MS
 *	milliseconds, 10..600000 (DIR/wss_interval_ms; without -W the
 *	session has no WSS scan).  The CSV's wss_kb and wss_window_ms are
 *	filled in the record of each tick in which a window completed
 *	(Documentation/memtrace-wss.rst).
 *   -D DIR | --debugfs=DIR
 *	The module's debugfs directory (default /sys/kernel/debug/memtrace).
 *	Only for the default path is /sys/kernel/debug checked to be debugfs
 *	(so tests can point -D at a directory of regular files).  When DIR is
 *	not on debugfs the stale-data discard below is skipped, because then
 *	the files' contents are the data under test.
 *   -r | --realtime
 *	Add a last CSV column "time": each record's wall-clock time, ISO 8601
 *	UTC with ns, from the session's CLOCK_MONOTONIC/CLOCK_REALTIME pair.
 *   -q | --quiet
 *	No summary and no status line (errors, warnings and loss reports
 *	still go to standard error).
 *   -V | --version, -h | --help
 *
 * Live mode, in order (live_start(), live_loop(), then the end in main()
 * and live_stop()):
 *  1. Checks that debugfs is mounted (default DIR only), that DIR exists
 *     (the module is loaded) and is readable (root).
 *  2. Starts a recording session: opens DIR/session for writing and keeps
 *     it open to the end.  Every setting written from here on belongs to
 *     the session, and the module puts back the previous ones when the
 *     file is closed, however the reader ends (SIGKILL included).  If
 *     another reader holds the session, says which (its pid and name) and
 *     exits 1 having changed nothing.
 *  3. Opens every cpuN file found by scanning DIR (CPUs may be sparse),
 *     reads DIR/stats (cpuN_seq, cpuN_dropped: where each CPU's session
 *     starts), reads and discards stale data an earlier session left in
 *     the cpuN files, sets interval_ms (-I) and wss_interval_ms (-W, or 0),
 *     registers the -p PIDs and -c names (or "clear"s the filter), then --
 *     every check passed -- opens the outputs, takes the start time pair,
 *     writes the CSV header and the trace file header (-w) and writes 1 to
 *     DIR/enable.
 *  4. Loops: read every cpuN file (read() does not block; it returns any
 *     byte count, so each CPU keeps the tail of an incomplete record),
 *     validate and decode the records, merge them in time order, write
 *     them; then, after a round that read nothing, sleep (see Waiting).
 *     Once a second it rescans DIR for cpuN files of CPUs that came online,
 *     rereads DIR/interval_ms and DIR/pids (exited -p processes), and
 *     refreshes the status line (records, rate, lost) when standard error
 *     is a terminal.
 *  5. At the end of -d, at a signal or when no -p process is left: writes
 *     0 to enable (it returns once the tick in flight is done), reads every
 *     record left, writes them all, reads DIR/stats again and closes each
 *     CPU's session with a reader loss record (samples dropped after the
 *     last one read: cpuN_seq now minus the next seq expected), written to
 *     the trace file too, prints the summary and closes DIR/session.
 *
 * Missed ticks.  The CSV's ticks_missed is each record's count of ticks
 * that did not run since the module loaded (include/uapi/memtrace.h); the
 * summary reports the session's (the count's rise), where, and the advice
 * to sample less often -- separately from records lost to full buffers.
 *
 * Merge.  Each CPU's stream is in ts_ns order, but across CPUs a record
 * with a smaller ts_ns can become readable after one with a bigger ts_ns
 * (the writer takes ts_ns before it commits).  Validated records wait in
 * per-CPU queues (their bytes in a FIFO, their (ts_ns, seq) in an index;
 * a record's body is decoded only when it is emitted); a binary heap on
 * (ts_ns, cpu, seq) merges them, and only records with ts_ns <= watermark
 * are written, where watermark = CLOCK_MONOTONIC (the kernel's ktime_get_ns()
 * clock) read before the read round, minus MT_MERGE_MARGIN_MS (200 ms): the
 * time a record may take from its timestamp to being readable.  A record
 * later than that is still written, out of order, and counted in the
 * summary.  At the end all records are written.  Whatever leaves the merge
 * goes through session.c, which -i uses too: that is why -i reproduces the
 * CSV and the loss report byte for byte.
 *
 * Validation.  Every record's magic, version and size are checked; records
 * of unknown types are skipped by size (and kept in a trace file).  A bad
 * record is reported with its CPU and byte offset in that CPU's stream and
 * counted, and the stream resynchronises at the next 8-byte aligned
 * MEMTRACE_MAGIC.  A record format version newer than the reader's is
 * fatal, and so is a read error (EIO: from modules before 2026-12, whose
 * cpuN files did not pin them, the module was unloaded); both still
 * write what was read.  A record whose hdr.cpu is not the N of its cpuN
 * file is bad too.  Loss accounting and its cross-check with the module's
 * loss records: session.h.
 *
 * Waiting.  poll() on a relay file wakes at a sub-buffer switch, which
 * comes in the middle of a tick; reading a tick's records in one go costs
 * less than chasing them record by record.  So after a round that read
 * nothing the reader sleeps
 * half the module's interval_ms (at least 1 ms, at most POLL_MS): a tick's
 * records are read at most half an interval after it ends.  A round that
 * read something is followed by another at once.  Signals interrupt the
 * sleep.
 *
 * Limits.  The final drain after enable=0 stops after FINAL_DRAIN_MS (5 s)
 * should records keep coming.
 *
 * CSV columns: ts_ns,cpu,seq,tick,pid,comm,vsz_kb,rss_kb,rss_anon_kb,
 * rss_file_kb,rss_shmem_kb,swap_kb,hwm_kb,minflt,majflt,utime_ns,stime_ns,
 * wss_kb,wss_window_ms,ticks_missed[,time] (see csv.c).
 *
 * Exit status: 0 on success (also when records were lost: the summary
 * says how many), 1 on an error (named on standard error with its fix; a
 * damaged trace file; loss records that disagree with the sequence
 * numbers), 2 on bad usage.
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
#include "msg.h"
#include "session.h"
#include "tracefile.h"

#define PROG MT_PROG

#define DEBUGFS_ROOT "/sys/kernel/debug"
#define DEFAULT_DIR DEBUGFS_ROOT "/memtrace"
#ifndef DEBUGFS_MAGIC
#define DEBUGFS_MAGIC 0x64626720
#endif

/* Longest sleep between read rounds (see Waiting); also without interval_ms. */
#define POLL_MS 100
/* Bytes of read buffer per CPU, and of each output buffer. */
#define CPU_BUF_SIZE (1u << 20)
#define OUT_BUF_SIZE (1u << 20)
/* read() calls per CPU per round, so one busy CPU cannot starve others. */
#define READS_PER_ROUND 16
/* Bad-record messages per CPU before the rest are only counted. */
#define BAD_REPORTS_MAX 10
/* Longest final drain after enable=0 (records should stop at once). */
#define FINAL_DRAIN_MS 5000
/* Longest command name the kernel keeps (TASK_COMM_LEN - 1). */
#define COMM_MAX 15
/* How often DIR is scanned for cpuN files of CPUs that came online. */
#define RESCAN_MS 1000

static const char usage_str[] =
	"Usage: " PROG " [-d SECONDS] [-o FILE] [-w FILE] [-p PID]... [-c COMM]... [-I MS] [-W MS]\n"
	"                      [-D DIR] [-r] [-q]\n"
	"       " PROG " -i FILE [-o FILE] [-r] [-q]\n"
	"\n"
	"Record the memtrace module's per-process memory samples as CSV (with a\n"
	"header line) and/or as a raw trace file; or decode a raw trace file to\n"
	"the same CSV.  A summary of records and losses goes to standard error.\n"
	"\n"
	"  -d SECONDS | --duration=SECONDS   stop after SECONDS, e.g. 2.5 (default: at SIGINT/SIGTERM/SIGHUP)\n"
	"  -o FILE    | --output=FILE        write the CSV to FILE; '-' is standard output (the default,\n"
	"                                    but with -w there is no CSV unless -o asks for it)\n"
	"  -w FILE    | --write=FILE         write a raw trace file to FILE; '-' is standard output\n"
	"  -i FILE    | --input=FILE         decode the raw trace file FILE ('-': standard input) to CSV\n"
	"  -p PID     | --pid=PID            sample only process PID; repeat for more (default: all);\n"
	"                                    the session ends when every one has exited (unless -d)\n"
	"  -c COMM    | --comm=COMM          sample every process named COMM (exactly, as /proc/PID/comm),\n"
	"                                    including those started later; repeat for more\n"
	"  -I MS      | --interval=MS        sample every MS ms, 1..60000, for this session\n"
	"  -W MS      | --wss=MS             measure working-set size over MS ms windows, 10..600000,\n"
	"                                    for this session (columns wss_kb, wss_window_ms)\n"
	"  -D DIR     | --debugfs=DIR        the module's directory (default " DEFAULT_DIR ");\n"
	"                                    any other DIR is not checked to be on debugfs\n"
	"  -r         | --realtime           add a last CSV column 'time': wall-clock time, ISO 8601 UTC, ns\n"
	"  -q         | --quiet              no summary, no status line (losses and errors are still reported)\n"
	"  -V         | --version            print the version and exit\n"
	"  -h         | --help               print this help and exit\n"
	"\n"
	"Recording needs root, debugfs mounted on " DEBUGFS_ROOT " and the memtrace module loaded.\n"
	"Exit status: 0 success, 1 error, 2 bad usage.\n";

static const struct option long_opts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "write", required_argument, NULL, 'w' },
	{ "input", required_argument, NULL, 'i' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'I' },
	{ "wss", required_argument, NULL, 'W' },
	{ "debugfs", required_argument, NULL, 'D' },
	{ "realtime", no_argument, NULL, 'r' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
static const char short_opts[] = "d:o:w:i:p:c:I:W:D:rqVh";

/* A validated record waiting in its CPU's queue: its merge key here, its
 * bytes (raw_len of them) in the CPU's byte FIFO; decoded when emitted. */
struct qitem {
	uint64_t ts_ns, seq;
	uint32_t raw_len;
	uint8_t status;			/* MT_OK, MT_LOSS or MT_SKIP */
	uint8_t flags;			/* MT_SESS_AFTER_BAD */
};

/* One CPU's relay file, its byte stream and its queue of decoded records. */
struct cpu_in {
	unsigned int cpu;
	int fd;
	char *path;
	struct mt_stream st;
	struct qitem *q;		/* q[qhead..qtail) wait to be merged */
	size_t qhead, qtail, qcap;
	unsigned char *raw;		/* raw[rhead..rtail): their bytes */
	size_t rhead, rtail, rcap;
	unsigned int bad_reported;
	bool after_bad;			/* a bad record since the last sample */
};

/* One CPU's lines of DIR/stats. */
struct cpu_stat {
	unsigned int cpu;
	bool has_seq, has_written, has_dropped;
	uint64_t seq, written, dropped;
};

struct stats {
	bool ok;			/* the stats file was read */
	bool wss_unflushed;		/* "wss_tlb_flush_available: 0" */
	struct cpu_stat *cpu;
	size_t n;
};

static struct {
	/* options */
	double duration;		/* seconds, 0 = until a signal */
	const char *out_path;		/* -o */
	const char *write_path;		/* -w */
	const char *input_path;		/* -i */
	pid_t *pids;
	size_t npids;
	char **comms;			/* -c */
	size_t ncomms;
	unsigned int interval_ms;	/* 0 = leave as is */
	unsigned int wss_ms;		/* -W; 0 = off */
	const char *dir;
	bool dir_set, realtime, quiet;

	/* state */
	int dirfd;
	int sessfd;			/* DIR/session, open for writing */
	bool is_debugfs;
	struct cpu_in *cpus;
	size_t ncpus, cpus_cap;
	unsigned int wait_ms;		/* sleep between empty rounds */
	struct cpu_in **heap;		/* merge_out()'s heap, ncpus entries */
	struct mt_out csv, raw;
	bool csv_open, raw_open;
	pid_t *registered;		/* -p PIDs still in DIR/pids */
	size_t nregistered;
	bool none_left;			/* every -p process exited (no -c) */
	uint64_t t0_ns;			/* session start, CLOCK_MONOTONIC */
	struct stats stats0, stats1;
	bool module_gone;		/* a read returned EIO */
	bool fatal;			/* stop reading: bad version, I/O error */
	struct mt_sess sess;
	bool sess_init;			/* mt_sess_init() ran */
} g = { .dir = DEFAULT_DIR, .dirfd = -1, .sessfd = -1 };

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

#define msg mt_msg

/* The fix to name after an errno from a module file. */
static const char *fix_for(int err)
{
	if (err == EACCES || err == EPERM)
		return ": run as root";
	if (err == EOPNOTSUPP)
		return ": memtrace has no WSS scanner for this architecture";
	/* control files refuse opens until init succeeded, and while unloading */
	if (err == EAGAIN)
		return ": the memtrace module is still loading: try again";
	if (err == ENXIO)
		return ": the memtrace module is being unloaded";
	return "";
}

/* Bad usage: the reason (if any), the usage text, exit 2. */
__attribute__((format(printf, 1, 2), noreturn))
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mt_vmsg(fmt, ap);
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

/* ---- stats ------------------------------------------------------------ */

static struct cpu_stat *stat_cpu(struct stats *st, unsigned int cpu)
{
	struct cpu_stat *n;

	for (size_t i = 0; i < st->n; i++)
		if (st->cpu[i].cpu == cpu)
			return &st->cpu[i];
	n = realloc(st->cpu, (st->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	st->cpu = n;
	memset(&n[st->n], 0, sizeof(n[0]));
	n[st->n].cpu = cpu;
	return &n[st->n++];
}

/* The CPU's next seq: cpuN_seq, or else cpuN_written + cpuN_dropped. */
static bool stat_seq(const struct cpu_stat *c, uint64_t *seq)
{
	if (c->has_seq)
		*seq = c->seq;
	else if (c->has_written && c->has_dropped)
		*seq = c->written + c->dropped;
	else
		return false;
	return true;
}

static void stats_free(struct stats *st)
{
	free(st->cpu);
	memset(st, 0, sizeof(*st));
}

/* Parse DIR/stats ("key: value" lines): the cpuN_* figures. */
static void read_stats(struct stats *st)
{
	static char buf[1 << 20];
	char *line, *save = NULL;
	ssize_t n;

	stats_free(st);
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
		char *colon = strchr(line, ':'), *end, key[16];
		unsigned long long v;
		struct cpu_stat *c;
		unsigned int cpu;
		int len = 0;

		if (!colon)
			continue;
		*colon = '\0';
		errno = 0;
		v = strtoull(colon + 1, &end, 10);
		if (errno || end == colon + 1)
			continue;
		if (!strcmp(line, "wss_tlb_flush_available")) {
			st->wss_unflushed = !v;
			continue;
		}
		if (sscanf(line, "cpu%u_%15[a-z]%n", &cpu, key, &len) != 2 ||
		    line[len])
			continue;
		if (strcmp(key, "seq") && strcmp(key, "written") &&
		    strcmp(key, "dropped"))
			continue;
		c = stat_cpu(st, cpu);
		if (!c) {
			msg("out of memory");
			return;
		}
		if (!strcmp(key, "seq")) {
			c->has_seq = true;
			c->seq = v;
		} else if (!strcmp(key, "written")) {
			c->has_written = true;
			c->written = v;
		} else {
			c->has_dropped = true;
			c->dropped = v;
		}
	}
}

/*
 * The trace's start: time pair, this machine, the CPUs' start figures.
 * When the sampler was already running (@running), samples were written
 * and thrown away as stale after the stats were read, so the start seqs
 * are not where this session starts: each CPU's first record sets it.
 */
static int start_info(struct mt_tfile_info *info, bool running)
{
	bool complete = false;

	mt_tfile_info_now(info);
	for (size_t i = 0; i < g.stats0.n; i++) {
		const struct cpu_stat *c = &g.stats0.cpu[i];
		struct mt_tfile_cpu e = { .cpu = c->cpu };

		if (!running && stat_seq(c, &e.start_seq)) {
			e.flags |= MEMTRACE_FILE_CPU_F_SEQ;
			complete = true;
		}
		if (c->has_dropped) {
			e.flags |= MEMTRACE_FILE_CPU_F_DROPPED;
			e.start_dropped = c->dropped;
		}
		if (mt_tfile_info_add_cpu(info, &e)) {
			msg("out of memory");
			return -1;
		}
	}
	/* The module lists every CPU whose seq is not 0. */
	if (complete)
		info->flags |= MEMTRACE_FILE_F_CPUS_COMPLETE;
	return 0;
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

/* Open DIR/cpu@cpu and add it.  0, or -1 (reported). */
static int add_cpu(unsigned int cpu)
{
	struct cpu_in *c;
	char name[16];

	if (g.ncpus == g.cpus_cap) {
		size_t cap = g.cpus_cap ? 2 * g.cpus_cap : 16;
		struct cpu_in *n = realloc(g.cpus, cap * sizeof(*n));
		struct cpu_in **h;

		if (!n)
			goto out_nomem;
		g.cpus = n;
		h = realloc(g.heap, cap * sizeof(*h));
		if (!h)
			goto out_nomem;
		g.heap = h;
		g.cpus_cap = cap;
	}
	c = &g.cpus[g.ncpus];
	memset(c, 0, sizeof(*c));
	c->cpu = cpu;
	c->fd = -1;
	snprintf(name, sizeof(name), "cpu%u", cpu);
	c->path = dir_path(name);
	if (!c->path || mt_stream_init(&c->st, cpu, CPU_BUF_SIZE)) {
		free(c->path);
		goto out_nomem;
	}
	c->st.hdr_only = true;	/* bodies are decoded when emitted */
	c->fd = openat(g.dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0) {
		msg("%s: %s%s", c->path, strerror(errno), fix_for(errno));
		free(c->path);
		mt_stream_free(&c->st);
		return -1;
	}
	g.ncpus++;
	return 0;

out_nomem:
	msg("out of memory");
	return -1;
}

static bool have_cpu(unsigned int cpu)
{
	for (size_t i = 0; i < g.ncpus; i++)
		if (g.cpus[i].cpu == cpu)
			return true;
	return false;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/*
 * Scan DIR for cpuN files not open yet (all of them at the start; later,
 * CPUs that came online) and open them, in CPU order.  Returns the number
 * added, or -1 (reported).
 */
static int scan_cpus(void)
{
	unsigned int *found = NULL;
	size_t nfound = 0, cap = 0;
	struct dirent *de;
	int fd, added = 0;
	DIR *d;

	fd = dup(g.dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		msg("%s: %s", g.dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);	/* the dup shares the offset of the last scan */
	while ((errno = 0, de = readdir(d))) {
		unsigned int cpu;

		if (!parse_cpu_name(de->d_name, &cpu) || have_cpu(cpu))
			continue;
		if (nfound == cap) {
			unsigned int *n;

			cap = cap ? 2 * cap : 16;
			n = realloc(found, cap * sizeof(*n));
			if (!n) {
				msg("out of memory");
				goto out_fail;
			}
			found = n;
		}
		found[nfound++] = cpu;
	}
	if (errno) {
		msg("reading directory %s: %s", g.dir, strerror(errno));
		goto out_fail;
	}
	closedir(d);
	if (nfound)
		qsort(found, nfound, sizeof(*found), cmp_uint);
	for (size_t i = 0; i < nfound; i++) {
		if (add_cpu(found[i])) {
			free(found);
			return -1;
		}
		added++;
	}
	free(found);
	return added;

out_fail:
	free(found);
	closedir(d);
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
		free(c->raw);
		mt_stream_free(&c->st);
	}
	free(g.cpus);
	free(g.heap);
	g.cpus = NULL;
	g.heap = NULL;
	g.ncpus = g.cpus_cap = 0;
}

/* ---- outputs ------------------------------------------------------------ */

/* Open @path ("-": standard output) as @o.  0, or -1 (reported). */
static int open_out(struct mt_out *o, const char *path)
{
	int fd = STDOUT_FILENO;
	const char *name = "standard output";

	if (path && strcmp(path, "-")) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0) {
			msg("cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		name = path;
	}
	if (mt_out_init(o, fd, name, OUT_BUF_SIZE)) {
		msg("out of memory");
		if (fd != STDOUT_FILENO)
			close(fd);
		return -1;
	}
	return 0;
}

/* The CSV goes to -o, or to standard output unless -w is given. */
static bool want_csv(void)
{
	return g.out_path || !g.write_path;
}

static int open_outputs(void)
{
	if (want_csv()) {
		if (open_out(&g.csv, g.out_path))
			return -1;
		g.csv_open = true;
	}
	if (g.write_path) {
		struct stat a, b;

		if (open_out(&g.raw, g.write_path))
			return -1;
		g.raw_open = true;
		if (g.csv_open && !fstat(g.csv.fd, &a) && !fstat(g.raw.fd, &b) &&
		    S_ISREG(a.st_mode) && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			msg("-w %s and -o %s are the same file", g.write_path,
			    g.out_path);
			return -1;
		}
	}
	return 0;
}

/* Flush and close @o.  0, or -1 (reported). */
static int close_out(struct mt_out *o, bool *open_flag)
{
	int ret = 0;

	if (!*open_flag)
		return 0;
	if (o->err) {
		mt_out_report(o);	/* reported when it happened */
		ret = -1;
	} else if (mt_out_flush(o)) {
		mt_out_report(o);
		ret = -1;
	}
	if (o->fd != STDOUT_FILENO && close(o->fd) && !ret) {
		msg("closing %s: %s", o->name, strerror(errno));
		ret = -1;
	}
	mt_out_free(o);
	*open_flag = false;
	return ret;
}

static int close_outputs(void)
{
	int a = close_out(&g.csv, &g.csv_open);
	int b = close_out(&g.raw, &g.raw_open);

	return a || b ? -1 : 0;
}

/* Flush both outputs.  0, or -1 (reported). */
static int flush_outputs(void)
{
	if (g.csv_open && mt_out_flush(&g.csv)) {
		mt_out_report(&g.csv);
		return -1;
	}
	if (g.raw_open && mt_out_flush(&g.raw)) {
		mt_out_report(&g.raw);
		return -1;
	}
	return 0;
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

/* ---- the recording session ------------------------------------------- */

/*
 * Start the session: open DIR/session for writing.  Every setting the
 * reader changes from here on (enable, interval_ms, wss_interval_ms, pids,
 * comms) is the session's, and the module puts back the previous ones when
 * the file is closed -- at the reader's exit, crash or SIGKILL alike.  A
 * second reader fails here, having changed nothing.  0, or -1 (reported).
 */
static int session_claim(void)
{
	char buf[256], pid[32] = "?", comm[64] = "?";
	int err;

	g.sessfd = openat(g.dirfd, "session", O_WRONLY | O_CLOEXEC);
	if (g.sessfd >= 0)
		return 0;
	err = errno;
	if (err == EBUSY) {
		if (ctl_read("session", buf, sizeof(buf)) > 0) {
			const char *p = strstr(buf, "owner_pid: ");
			const char *c = strstr(buf, "owner_comm: ");

			if (p)
				sscanf(p + 11, "%31[0-9]", pid);
			if (c)
				sscanf(c + 12, "%63[^\n]", comm);
		}
		msg("another recording session is running (pid %s, %s): only one reader can record at a time; stop it first",
		    pid, comm);
	} else if (err == ENOENT) {
		msg("%s/session: no such file: the loaded memtrace module is older than this reader: load the module of this reader's version",
		    g.dir);
	} else {
		msg("%s/session: %s%s", g.dir, strerror(err), fix_for(err));
	}
	return -1;
}

/*
 * End the session: the module puts back every setting it changed.  Call
 * after enable=0 and the final drain.  0, or -1 (reported).
 */
static int session_end(void)
{
	int fd = g.sessfd;

	g.sessfd = -1;
	if (fd < 0 || !close(fd) || g.module_gone)
		return 0;
	msg("closing %s/session: %s", g.dir, strerror(errno));
	return -1;
}

/*
 * Choose what the session samples: the -p PIDs and -c names, or (with
 * neither) every process -- never a filter set before the session, which
 * comes back when it ends.  0, or -1 (reported).
 */
static int set_filter(void)
{
	char val[32];
	int err;

	err = ctl_write("pids", "clear");
	if (err) {
		ctl_error("pids", "clear", err);
		return -1;
	}
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
	for (size_t i = 0; i < g.ncomms; i++) {
		snprintf(val, sizeof(val), "+%s", g.comms[i]);
		err = ctl_write("comms", val);
		if (err) {
			ctl_error("comms", val, err);
			return -1;
		}
	}
	return 0;
}

/*
 * Once a second: the -p processes that exited (the module drops a
 * process from DIR/pids at the first tick after its exit).  Each is named
 * once; with none left and no -c, the session ends (see -p) unless -d
 * keeps it going.
 */
static void check_pids(uint64_t now)
{
	static char buf[1 << 20];
	size_t kept = 0;

	if (!g.nregistered || ctl_read("pids", buf, sizeof(buf)) < 0)
		return;
	for (size_t i = 0; i < g.nregistered; i++) {
		pid_t pid = g.registered[i];
		bool listed = false;

		/* one decimal tgid per line, ascending */
		for (const char *line = buf; *line && !listed;) {
			listed = strtol(line, NULL, 10) == pid;
			line = strchrnul(line, '\n');
			line += *line == '\n';
		}
		if (listed) {
			g.registered[kept++] = pid;
			continue;
		}
		msg("process %d exited (%.1f s into the session); recording %s",
		    (int)pid, (double)(now - g.t0_ns) / 1e9,
		    kept + (g.nregistered - i - 1) || g.ncomms ? "the others" :
		    g.duration > 0 ? "until -d ends, though no process is left" :
		    "no process any more: ending the session");
	}
	g.nregistered = kept;
	if (!kept && !g.ncomms && g.duration <= 0)
		g.none_left = true;
}

/* ---- reading and merging ------------------------------------------------ */

static struct qitem *queue_slot(struct cpu_in *c)
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
			struct qitem *nq = realloc(c->q, ncap * sizeof(*nq));

			if (!nq)
				return NULL;
			c->q = nq;
			c->qcap = ncap;
		}
	}
	return &c->q[c->qtail];
}

/* Keep @n bytes of a queued record for the trace file.  0, or -1. */
static int raw_push(struct cpu_in *c, const void *p, size_t n)
{
	if (c->rhead == c->rtail)
		c->rhead = c->rtail = 0;
	if (c->rcap - c->rtail < n) {
		if (c->rhead >= n && c->rhead > c->rcap / 2) {
			memmove(c->raw, c->raw + c->rhead, c->rtail - c->rhead);
			c->rtail -= c->rhead;
			c->rhead = 0;
		} else {
			size_t ncap = c->rcap ? 2 * c->rcap : 1u << 20;
			unsigned char *nr;

			while (ncap - c->rtail < n)
				ncap *= 2;
			nr = realloc(c->raw, ncap);
			if (!nr)
				return -1;
			c->raw = nr;
			c->rcap = ncap;
		}
	}
	memcpy(c->raw + c->rtail, p, n);
	c->rtail += n;
	return 0;
}

/*
 * Append the bytes of the last @items queued records of @c, @n bytes at @p,
 * to its byte FIFO.  0, or -1 (out of memory, reported: the records leave
 * the queue again).
 */
static int raw_take(struct cpu_in *c, const unsigned char *p, size_t n,
		    size_t items)
{
	if (!n || !raw_push(c, p, n))
		return 0;
	c->qtail -= items;
	msg("out of memory");
	return -1;
}

/* Validate what CPU @c has buffered into its queue.  0, or -1 (fatal). */
static int parse_cpu(struct cpu_in *c)
{
	/* Records back to back in the stream's buffer (which does not move
	 * here) go to the byte FIFO in one copy: span_n records, span_len
	 * bytes at span. */
	const unsigned char *span = NULL;
	size_t span_len = 0, span_n = 0;
	struct mt_record rec;
	char why[160];
	struct mt_bad bad;
	int ret = 0;

	for (;;) {
		struct qitem *q = queue_slot(c);
		enum mt_status st;

		if (!q) {
			msg("out of memory");
			ret = -1;
			break;
		}
		st = mt_stream_next(&c->st, &rec, &bad);
		if (st == MT_NEED_MORE)
			break;
		if (st == MT_OK || st == MT_LOSS || st == MT_SKIP) {
			q->ts_ns = rec.hdr.ts_ns;
			q->seq = rec.hdr.seq;
			q->status = (uint8_t)st;
			q->flags = c->after_bad ? MT_SESS_AFTER_BAD : 0;
			if (st == MT_OK)
				c->after_bad = false;
			q->raw_len = c->st.raw_len;
			if (!span_len || c->st.raw != span + span_len) {
				if (raw_take(c, span, span_len, span_n))
					return -1;
				span = c->st.raw;
				span_len = span_n = 0;
			}
			span_len += c->st.raw_len;
			span_n++;
			c->qtail++;
			continue;
		}
		c->after_bad = true;
		mt_bad_describe(&bad, why, sizeof(why));
		if (st == MT_BAD_VERSION && bad.hdr.version > MEMTRACE_VERSION) {
			msg("%s: byte offset %" PRIu64 ": %s: update memtrace-reader to the module's version",
			    c->path, bad.offset, why);
			ret = -1;
			break;
		}
		if (c->bad_reported++ < BAD_REPORTS_MAX)
			msg("cpu%u: bad record at byte offset %" PRIu64 " of %s: %s; skipped %" PRIu64 " bytes to resynchronise%s",
			    c->cpu, bad.offset, c->path, why, bad.skipped,
			    c->bad_reported == BAD_REPORTS_MAX ?
				    " (further bad records on this CPU are only counted)" : "");
	}
	if (raw_take(c, span, span_len, span_n))
		return -1;
	return ret;
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

/* Whether CPU @a's next record comes before CPU @b's: (ts_ns, cpu, seq). */
static inline bool head_before(const struct cpu_in *a, const struct cpu_in *b)
{
	const struct qitem *x = &a->q[a->qhead], *y = &b->q[b->qhead];

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return x->seq < y->seq;
}

static void sift_down(struct cpu_in **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct cpu_in *t;

		if (l < n && head_before(h[l], h[m]))
			m = l;
		if (l + 1 < n && head_before(h[l + 1], h[m]))
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
 * Emit, in (ts_ns, cpu, seq) order, every queued record with ts_ns <=
 * @watermark (all of them when @all).  0, or -1 on an error (reported).
 * After an output error every record still goes through the session's
 * accounting (counted as not written), so the summary stays right.
 */
static int merge_out(uint64_t watermark, bool all)
{
	struct cpu_in **heap = g.heap;
	size_t n = 0;
	int ret = 0, err;

	for (size_t i = 0; i < g.ncpus; i++)
		if (g.cpus[i].qhead < g.cpus[i].qtail)
			heap[n++] = &g.cpus[i];
	for (size_t i = n / 2; i-- > 0;)
		sift_down(heap, n, i);

	while (n) {
		struct cpu_in *c = heap[0];
		const struct qitem *q = &c->q[c->qhead];
		const unsigned char *raw = c->raw + c->rhead;
		struct mt_record rec;

		if (!all && q->ts_ns > watermark)
			break;
		/* Validated when read: decoded without checks. */
		mt_decode_valid(raw, (enum mt_status)q->status, &rec);
		err = mt_sess_record(&g.sess, (enum mt_status)q->status, &rec,
				     raw, q->raw_len, q->flags);
		if (err && err != MT_SESS_EOUT)
			return -1;
		if (err)
			ret = -1;
		c->rhead += q->raw_len;
		if (++c->qhead == c->qtail) {
			c->qhead = c->qtail = 0;
			heap[0] = heap[--n];
		}
		/* Most often the same CPU's next record is still first. */
		if (n > 1 && !(head_before(heap[0], heap[1]) &&
			       (n == 2 || head_before(heap[0], heap[2]))))
			sift_down(heap, n, 0);
	}
	return ret;
}

/*
 * Half the module's interval_ms, within 1..POLL_MS: how long to sleep after
 * a round that read nothing (see Waiting).  POLL_MS when DIR/interval_ms
 * cannot be read.
 */
static void refresh_wait(void)
{
	char buf[32];
	unsigned long iv;
	char *end;

	g.wait_ms = POLL_MS;
	if (ctl_read("interval_ms", buf, sizeof(buf)) <= 0)
		return;
	errno = 0;
	iv = strtoul(buf, &end, 10);
	if (errno || end == buf || iv == 0)
		return;
	if (iv / 2 < POLL_MS)
		g.wait_ms = iv / 2 ? (unsigned int)(iv / 2) : 1;
}

/* Sleep g.wait_ms, or less to meet @deadline (0: none); a signal ends it. */
static void wait_data(uint64_t deadline)
{
	int ms = (int)g.wait_ms;

	if (deadline) {
		uint64_t now = mono_ns();

		if (now >= deadline)
			return;
		if (deadline - now < (uint64_t)ms * 1000000u)
			ms = (int)((deadline - now + 999999) / 1000000);
	}
	poll(NULL, 0, ms);
}

/* The live loop, until -d or a signal.  0, or -1 on a fatal error. */
static int live_loop(void)
{
	uint64_t margin = (uint64_t)MT_MERGE_MARGIN_MS * 1000000u;
	uint64_t deadline = 0, next_scan;

	if (g.duration > 0)
		deadline = mono_ns() + (uint64_t)(g.duration * 1e9);
	next_scan = mono_ns() + (uint64_t)RESCAN_MS * 1000000u;
	refresh_wait();
	mt_sess_status(&g.sess, mono_ns(), false);
	while (!stop_signal && !g.none_left) {
		uint64_t now = mono_ns();
		long long got;

		if (deadline && now >= deadline)
			break;
		if (now >= next_scan) {
			if (scan_cpus() < 0)
				return -1;
			refresh_wait();
			check_pids(now);
			next_scan = now + (uint64_t)RESCAN_MS * 1000000u;
		}
		got = read_round();
		if (got < 0)
			return -1;
		if (merge_out(now > margin ? now - margin : 0, false))
			return -1;
		if (flush_outputs())
			return -1;
		mt_sess_status(&g.sess, mono_ns(), false);
		if (got == 0)
			wait_data(deadline);
	}
	return 0;
}

/*
 * After enable=0: read everything left (unless reading stopped on an
 * error: g.fatal), then emit every queued record.
 */
static int final_drain(void)
{
	uint64_t deadline = mono_ns() + (uint64_t)FINAL_DRAIN_MS * 1000000u;
	int ret = 0;

	if (!g.fatal) {
		if (scan_cpus() < 0)
			ret = -1;
		while (!ret) {
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

/*
 * Close every CPU's session with a reader loss record: samples dropped
 * after the last one read (cpuN_seq now minus the next seq expected), and
 * cpuN_dropped now.  Only CPUs the stats file gives a seq for.
 */
static int end_cpus(void)
{
	uint64_t now = mono_ns();
	int ret = 0;

	if (!g.stats1.ok)
		return 0;
	for (size_t i = 0; i < g.stats1.n; i++) {
		const struct cpu_stat *c = &g.stats1.cpu[i];
		uint64_t seq;
		int err;

		if (!stat_seq(c, &seq))
			continue;
		err = mt_sess_end_cpu(&g.sess, c->cpu, seq, c->has_dropped,
				      c->dropped, now);
		if (err && err != MT_SESS_EOUT)
			return -1;
		if (err)
			ret = -1;
	}
	return ret;
}

/* Live-only lines after the session's summary. */
static void live_summary(void)
{
	uint64_t bad = 0, bad_bytes = 0;

	for (size_t i = 0; i < g.ncpus; i++) {
		bad += g.cpus[i].st.bad;
		bad_bytes += g.cpus[i].st.bad_bytes;
	}
	if (bad)
		msg("%" PRIu64 " bad records, %" PRIu64 " bytes skipped",
		    bad, bad_bytes);
}

/* ---- -i: decode a trace file ------------------------------------------- */

static int decode_main(void)
{
	const char *name = "standard input";
	int fd = STDIN_FILENO, ret;

	if (strcmp(g.input_path, "-")) {
		fd = open(g.input_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			msg("cannot open %s: %s", g.input_path, strerror(errno));
			return 1;
		}
		name = g.input_path;
	}
	if (open_out(&g.csv, g.out_path)) {
		if (fd != STDIN_FILENO)
			close(fd);
		return 1;
	}
	g.csv_open = true;
	mt_sess_init(&g.sess, &g.csv, NULL, g.realtime);
	mt_status_init(!g.quiet);
	ret = mt_sess_read_trace(&g.sess, fd, name, CPU_BUF_SIZE, 0);
	if (fd != STDIN_FILENO)
		close(fd);
	if (close_outputs())
		ret = 1;
	if (g.sess.begun)	/* not after a bad file header: nothing read */
		mt_sess_summary(&g.sess, g.quiet);
	if (mt_sess_failed(&g.sess))
		ret = 1;
	mt_sess_free(&g.sess);
	return ret;
}

/* ---- main --------------------------------------------------------------- */

/* Two paths of the same regular file (that would interleave two outputs). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!strcmp(a, "-") || !strcmp(b, "-"))
		return false;
	if (stat(a, &sa) || stat(b, &sb))
		return !strcmp(a, b);	/* not there yet: by name */
	return S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static void parse_args(int argc, char **argv)
{
	const char *live_only = NULL;
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
			live_only = "-d";
			break;
		case 'o':
			g.out_path = optarg;
			break;
		case 'w':
			g.write_path = optarg;
			live_only = "-w";
			break;
		case 'i':
			g.input_path = optarg;
			break;
		case 'p': {
			long v;
			pid_t *n;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v <= 0 || v > INT_MAX)
				usage_error("invalid PID '%s'", optarg);
			live_only = "-p";
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
		case 'c': {
			size_t len = strlen(optarg);
			char **n;

			if (!len || strchr(optarg, '\n'))
				usage_error("invalid command name '%s'", optarg);
			live_only = "-c";
			/* the kernel keeps the first 15 bytes (TASK_COMM_LEN) */
			if (len > COMM_MAX)
				msg("warning: -c %s: the kernel keeps the first %d bytes of a command name: matching '%.*s'",
				    optarg, COMM_MAX, COMM_MAX, optarg);
			n = realloc(g.comms, (g.ncomms + 1) * sizeof(*n));
			if (!n || !(n[g.ncomms] = strndup(optarg, COMM_MAX))) {
				msg("out of memory");
				exit(1);
			}
			g.comms = n;
			g.ncomms++;
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
			live_only = "-I";
			break;
		}
		case 'W': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    v < 10 || v > 600000)
				usage_error("invalid WSS window '%s': give milliseconds, 10..600000",
					    optarg);
			g.wss_ms = (unsigned int)v;
			live_only = "-W";
			break;
		}
		case 'D':
			g.dir = optarg;
			live_only = "-D";
			break;
		case 'r':
			g.realtime = true;
			break;
		case 'q':
			g.quiet = true;
			break;
		case 'V':
			printf(PROG " " MT_READER_VERSION " (record format version %d, trace file format version %d)\n",
			       MEMTRACE_VERSION, MEMTRACE_FILE_VERSION);
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
	if (g.input_path && live_only)
		usage_error("%s records live: it cannot be combined with -i", live_only);
	if (g.write_path && g.out_path && !strcmp(g.write_path, "-") &&
	    !strcmp(g.out_path, "-"))
		usage_error("-w - and -o - both write to standard output");
	if (g.write_path && g.out_path && same_file(g.write_path, g.out_path))
		usage_error("-w and -o name the same file '%s'", g.out_path);
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

/* Apply -I and -W for the session.  0, or -1 (reported). */
static int set_intervals(void)
{
	char val[16];
	int err;

	if (g.interval_ms) {
		snprintf(val, sizeof(val), "%u", g.interval_ms);
		err = ctl_write("interval_ms", val);
		if (err) {
			ctl_error("interval_ms", val, err);
			return -1;
		}
	}
	/* without -W the session has no WSS scan, whatever was set before */
	snprintf(val, sizeof(val), "%u", g.wss_ms);
	err = ctl_write("wss_interval_ms", val);
	if (err) {
		if (err == -ENOENT)
			msg("%s/wss_interval_ms: no such file: this memtrace module has no WSS scanner",
			    g.dir);
		else
			ctl_error("wss_interval_ms", val, err);
		return -1;
	}
	/* once per session: the figures are less exact without it */
	if (g.wss_ms && g.stats0.wss_unflushed)
		msg("warning: this kernel lets no module flush TLBs: WSS runs without the flush and can miss pages whose translations stay cached (Documentation/memtrace-wss.rst, \"Supported kernels\")");
	return 0;
}

/*
 * Set up a live session, each step in order and nothing written to an
 * output before every check has passed (a failed start leaves existing
 * files as they were).  0, or -1 (reported; live_stop() undoes it).
 */
static int live_start(void)
{
	struct mt_tfile_info info;
	bool running;
	char enable[16];
	int err;

	if (check_debugfs() || open_dir() || session_claim())
		return -1;
	err = scan_cpus();
	if (err <= 0) {
		if (!err)
			msg("%s holds no cpuN files: is it the memtrace module's directory? %s",
			    g.dir, load_fix);
		return -1;
	}
	g.registered = calloc(g.npids ? g.npids : 1, sizeof(*g.registered));
	if (!g.registered) {
		msg("out of memory");
		return -1;
	}
	read_stats(&g.stats0);
	running = ctl_read("enable", enable, sizeof(enable)) > 0 &&
		  (enable[0] == '1' || enable[0] == 'Y');
	if (running)
		msg("warning: %s/enable was set to 1 outside a recording session (echo 1 > enable?): whoever reads the cpuN files besides this reader takes records from it",
		    g.dir);
	if (g.is_debugfs)
		discard_stale();
	if (set_intervals() || set_filter() || open_outputs())
		return -1;
	mt_sess_init(&g.sess, g.csv_open ? &g.csv : NULL,
		     g.raw_open ? &g.raw : NULL, g.realtime);
	g.sess_init = true;
	if (start_info(&info, running))
		return -1;
	err = mt_sess_begin(&g.sess, &info);
	mt_tfile_info_free(&info);
	if (err)
		return -1;
	mt_status_init(!g.quiet);
	g.t0_ns = mono_ns();
	err = ctl_write("enable", "1");
	if (err) {
		ctl_error("enable", "1", err);
		return -1;
	}
	return 0;
}

/*
 * Undo live_start()'s steps, in reverse order, whatever of them ran.
 * Closing the session puts back the module's settings.  0, or -1 (an
 * undo failed, reported).
 */
static int live_stop(void)
{
	int ret = 0;

	if (g.sess_init)
		mt_sess_free(&g.sess);
	if (close_outputs())
		ret = -1;
	stats_free(&g.stats0);
	stats_free(&g.stats1);
	free(g.registered);
	close_cpus();
	if (session_end())
		ret = -1;
	if (g.dirfd >= 0)
		close(g.dirfd);
	free(g.pids);
	for (size_t i = 0; i < g.ncomms; i++)
		free(g.comms[i]);
	free(g.comms);
	return ret;
}

int main(int argc, char **argv)
{
	bool failed = false;
	int err;

	parse_args(argc, argv);
	if (install_signals()) {
		msg("sigaction: %s", strerror(errno));
		return 1;
	}
	if (g.input_path)
		return decode_main();
	if (live_start()) {
		live_stop();
		return 1;
	}
	if (live_loop()) {
		failed = true;
		g.fatal = true;
	}

	/* The end of a started session: every step runs, errors or not. */
	err = ctl_write("enable", "0");
	if (err && !g.module_gone) {
		ctl_error("enable", "0", err);
		failed = true;
	}
	/* after an output error: nothing more is read, the queues are counted */
	if (final_drain())
		failed = true;
	if (!g.module_gone) {
		read_stats(&g.stats1);
		if (end_cpus())
			failed = true;
	}
	if (close_outputs())
		failed = true;
	mt_sess_summary(&g.sess, g.quiet);
	live_summary();
	if (mt_sess_failed(&g.sess))
		failed = true;
	if (live_stop())
		failed = true;
	return failed || g.module_gone ? 1 : 0;
}
