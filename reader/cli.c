// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader - record the memtrace kernel module's per-process memory
 * samples live, as CSV and/or as a raw trace file; decode a raw trace file
 * to the same CSV.
 *
 * Usage: memtrace-reader [-d SECONDS] [-o FILE] [-w FILE] [--system FILE]
 *                        [--cgroups FILE] [--perfetto FILE] [--html FILE] [-p PID]... [-c COMM]...
 *                        [--cgroup PATH]... [-I MS] [-W MS] [-D DIR]
 *                        [-r] [-q] [--top]
 *        memtrace-reader -i FILE [-o FILE] [--system FILE] [--cgroups FILE]
 *                        [--perfetto FILE] [--html FILE] [-r] [-q] [--top]
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
 *   --system=FILE
 *	Write the system records (the whole machine, one row a tick: the
 *	figures of /proc/meminfo, /proc/vmstat, /proc/stat's cpu line,
 *	/proc/pressure and /proc/buddyinfo) as CSV to FILE ("-": standard
 *	output), columns ts_ns, tick, then those of struct memtrace_system in
 *	its order, then ticks_missed, cpu and seq (the record's, as in the
 *	process CSV), and time with -r; an empty cell is a
 *	figure that could not be read.  Live and with -i.
 *   --cgroups=FILE
 *	Write one CSV row per tick for each cgroup that holds a sampled
 *	process (and, with --cgroup, every cgroup of those subtrees) to FILE
 *	("-": standard output): ts_ns, tick, cgroup_id, path, then what its
 *	memory.current, memory.swap.current, memory.stat, memory.events and
 *	memory.pressure show (struct memtrace_cgroup), read from cgroupfs by
 *	the reader when it reads the tick's system record; time with -r.
 *	Live and with -i.
 *   --perfetto=FILE
 *	Write a Perfetto trace (protobuf; ui.perfetto.dev and trace_processor
 *	open it) to FILE ("-": standard output): a process track per pid
 *	with counter tracks of its figures (mem.rss, mem.rss.anon, ..., in
 *	bytes, ns or counts), the system records' figures on global tracks,
 *	and instant events on the track "memtrace losses" for lost records
 *	and missed ticks (perfetto.c lists the tracks).  Written while the
 *	records arrive, under a temporary name renamed to FILE at the end: a
 *	failed start or a write error (reported; exit status 1) leaves no
 *	FILE.  Live (written when the session ends) and with -i.
 *   --html=FILE
 *	Write an HTML report to FILE ("-": standard output) when the session
 *	ends (live: at its end; with -i: at the end of the trace): one file
 *	that opens offline in a browser, with charts per process (RSS by
 *	anon/file/shmem, swap, WSS, PSS, idle ages, fault rates, CPU %), the
 *	machine's and cgroups' rows when the trace has them, and the time
 *	ranges of lost records and missed ticks (reader/html.h,
 *	Documentation/memtrace-visualize.rst).  Live and with -i.  FILE is
 *	replaced atomically (temporary beside it, fsync, rename): a failed
 *	session leaves it as it was.
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
 *   --cgroup=PATH
 *	Sample every process in the cgroup v2 directory PATH or below it,
 *	resolved by the module at each tick (DIR/cgroups), so processes
 *	started or moved in later are caught; repeat for more (at most 16).
 *	PATH is a directory under /sys/fs/cgroup (e.g. /sys/fs/cgroup/a/b)
 *	or its path from there (/a/b).  With -p or -c too, a process is
 *	sampled if any chooses it.
 *   -I MS | --interval=MS
 *	Sample every MS milliseconds, 1..60000 (DIR/interval_ms), for this
 *	session.
 *   -W MS | --wss=MS
 *	Measure each process's working-set size over windows of MS
 *	milliseconds, 10..600000 (DIR/wss_interval_ms; without -W the
 *	session has no WSS scan).  The CSV's wss_kb and wss_window_ms are
 *	filled in the record of each tick in which a window completed
 *	(Documentation/memtrace-wss.rst).
 *   --pss=MS
 *	Sum each process's PSS and USS every MS milliseconds, 10..600000
 *	(DIR/pss_interval_ms; without --pss the session sums none), in the
 *	page-table walk WSS makes (riding on its passes with -W).  The CSV's
 *	pss_kb, pss_anon_kb, pss_file_kb, pss_shmem_kb, uss_kb and
 *	pss_window_ms are filled in the record of each tick in which a sum
 *	completed; swap_pss_kb stays empty (Documentation/memtrace-wss.rst).
 *   --idle-ages=T1[,T2[,T3[,T4]]]
 *	How much of each process's resident memory has not been accessed for
 *	at least T1, T2 .. seconds (each 1..65535, ascending): columns
 *	idle_T1s_kb .. after pss_window_ms, filled in the record of each tick
 *	in which a WSS pass completed (DIR/idle_ages_s).  Ages come from the
 *	Accessed bits that consecutive WSS passes find, so they need WSS:
 *	without -W the window is 1 s, or the largest threshold / 254 if longer
 *	(a page's age is one byte: at most 254 windows); their resolution is
 *	the window.  With -i: the columns to write, from the trace's records
 *	of the same thresholds.
 *   -D DIR | --debugfs=DIR
 *	The module's debugfs directory (default /sys/kernel/debug/memtrace).
 *	Only for the default path is /sys/kernel/debug checked to be debugfs
 *	(so tests can point -D at a directory of regular files).  When DIR is
 *	not on debugfs the stale-data discard below is skipped, because then
 *	the files' contents are the data under test.
 *   --top
 *	A full-screen terminal view on standard output (which must be a
 *	terminal; else exit 2) of the latest complete tick: a header with the
 *	machine's memory, swap and memory pressure (from the system records,
 *	"no system rows" without them), the tick, the interval, records lost
 *	and ticks missed so far; one row per process with RSS, anon, file,
 *	shmem, swap, WSS (KiB), minflt/s, majflt/s and CPU %.  Keys: r w s f
 *	c sort by RSS, WSS, swap, fault rate, CPU; / a name filter (Enter
 *	applies, Esc clears); q ends the session normally.  Live, -w, -o,
 *	--system and --cgroups still write their files (no output may be
 *	standard output, and without -o there is no CSV).  With -i: a replay
 *	paced by the trace's own time (space pauses, n steps one tick).
 *	Messages wait until the terminal is restored (top.h, top.c).
 *   -r | --realtime
 *	Add a last CSV column "time": each record's wall-clock time, ISO 8601
 *	UTC with ns, from the session's CLOCK_MONOTONIC/CLOCK_REALTIME pair.
 *   -q | --quiet
 *	No summary and no status line (errors, warnings and loss reports
 *	still go to standard error).
 *   --openmetrics=FILE
 *	Write the latest figures in the Prometheus text format (node_exporter's
 *	textfile collector reads it: name FILE *.prom) to FILE, replaced
 *	atomically (a new FILE.XXXXXX in the same directory, fsync, rename)
 *	every --openmetrics-interval seconds of a live session and once more
 *	at its end; with -i once, with the trace's last figures.  A file must
 *	be creatable in FILE's directory at the start, else the reader exits 1
 *	having changed nothing.
 *	Families, units and labels: metrics.c.
 *   --openmetrics-interval=SECONDS
 *	How often the text is rebuilt (file and --listen), a decimal number
 *	> 0, default 15; ignored with -i.
 *   --openmetrics-top=N
 *	Per-process series only for the N processes (1..100000, default 50)
 *	with the greatest RSS of those seen in the last 2 ticks; cgroups and
 *	the system are always written.  Bounds the series per process family.
 *   --listen=ADDR:PORT
 *	Serve the same text on http://ADDR:PORT/metrics during a live session
 *	(libmicrohttpd, on its own thread; 404 for other paths).  ADDR is a
 *	numeric IPv4 address, localhost, [a numeric IPv6 address], or empty
 *	(":9101") for every IPv4 address.  A busy port or an address not on this machine: exit 1 at the
 *	start, nothing changed.
 *   -V | --version, -h | --help
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"

static const char usage_str[] =
	"Usage: " PROG " [-d SECONDS] [-o FILE] [-w FILE] [--system FILE] [--cgroups FILE] [--perfetto FILE]\n"
	"                      [--html FILE] [-p PID]... [-c COMM]... [--cgroup PATH]... [-I MS] [-W MS]\n"
	"                      [-D DIR] [-r] [-q] [--top]\n"
	"       " PROG " -i FILE [-o FILE] [--system FILE] [--cgroups FILE] [--perfetto FILE] [--html FILE]\n"
	"                      [-r] [-q] [--top]\n"
	"\n"
	"Record the memtrace module's per-process memory samples as CSV (with a\n"
	"header line) and/or as a raw trace file; or decode a raw trace file to\n"
	"the same CSV.  A summary of records and losses goes to standard error.\n"
	"\n"
	"  -d SECONDS | --duration=SECONDS   stop after SECONDS, e.g. 2.5 (default: at SIGINT/SIGTERM/SIGHUP)\n"
	"  -o FILE    | --output=FILE        write the CSV to FILE; '-' is standard output (the default,\n"
	"                                    but with -w there is no CSV unless -o asks for it)\n"
	"  -w FILE    | --write=FILE         write a raw trace file to FILE; '-' is standard output\n"
	"               --system=FILE        write the system records (meminfo, vmstat, cpu times, PSI,\n"
	"                                    buddyinfo: one row a tick) as CSV to FILE ('-': standard output)\n"
	"               --cgroups=FILE       write each sampled cgroup's memory.* figures (one row a cgroup\n"
	"                                    a tick) as CSV to FILE ('-': standard output)\n"
	"               --perfetto=FILE      write a Perfetto trace (ui.perfetto.dev) to FILE: memory,\n"
	"                                    fault and CPU counters per process, system counters, losses\n"
	"               --html=FILE          write an HTML report (charts per process, system, cgroups,\n"
	"                                    losses; opens offline) to FILE at the end ('-': standard output)\n"
	"  -i FILE    | --input=FILE         decode the raw trace file FILE ('-': standard input) to CSV\n"
	"  -p PID     | --pid=PID            sample only process PID; repeat for more (default: all);\n"
	"                                    the session ends when every one has exited (unless -d)\n"
	"  -c COMM    | --comm=COMM          sample every process named COMM (exactly, as /proc/PID/comm),\n"
	"                                    including those started later; repeat for more\n"
	"               --cgroup=PATH        sample every process in cgroup PATH (under " CGROUP_ROOT ")\n"
	"                                    or below it, including those started later; repeat for more\n"
	"  -I MS      | --interval=MS        sample every MS ms, 1..60000, for this session\n"
	"  -W MS      | --wss=MS             measure working-set size over MS ms windows, 10..600000,\n"
	"                                    for this session (columns wss_kb, wss_window_ms)\n"
	"               --pss=MS             sum PSS and USS every MS ms, 10..600000, for this session\n"
	"                                    (columns pss_kb .. uss_kb, pss_window_ms)\n"
	"               --idle-ages=T[,T..]  memory not accessed for at least T s (up to 4, ascending,\n"
	"                                    1..65535): columns idle_Ts_kb; implies -W (1 s default)\n"
	"  -D DIR     | --debugfs=DIR        the module's directory (default " DEFAULT_DIR ");\n"
	"                                    any other DIR is not checked to be on debugfs\n"
	"               --top                a full-screen view of the latest tick's processes on the\n"
	"                                    terminal (keys: r w s f c sort, / filter, q quit; with -i a\n"
	"                                    replay: space pause, n step); no CSV unless -o\n"
	"  -r         | --realtime           add a last CSV column 'time': wall-clock time, ISO 8601 UTC, ns\n"
	"  -q         | --quiet              no summary, no status line (losses and errors are still reported)\n"
	"               --openmetrics=FILE   write the latest figures in the Prometheus text format to FILE\n"
	"                                    (node_exporter textfile: *.prom), replaced atomically each interval\n"
	"                                    and at the end (with -i: once, the trace's last tick)\n"
	"               --openmetrics-interval=SECONDS  rebuild it every SECONDS (default 15)\n"
	"               --openmetrics-top=N  per-process series for the N processes with the most RSS only\n"
	"                                    (default 50); per-cgroup and system series are always written\n"
	"               --listen=ADDR:PORT   serve the same text on http://ADDR:PORT/metrics while recording\n"
	"  -V         | --version            print the version and exit\n"
	"  -h         | --help               print this help and exit\n"
	"\n"
	"Recording needs root, debugfs mounted on " DEBUGFS_ROOT " and the memtrace module loaded.\n"
	"Exit status: 0 success, 1 error, 2 bad usage.\n";

/* long options without a short one */
enum { OPT_SYSTEM = 256, OPT_CGROUP, OPT_CGROUPS, OPT_PSS, OPT_IDLE, OPT_PERFETTO,
       OPT_OM, OPT_OM_INTERVAL, OPT_OM_TOP, OPT_LISTEN, OPT_TOP, OPT_HTML };

static const struct option long_opts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "write", required_argument, NULL, 'w' },
	{ "system", required_argument, NULL, OPT_SYSTEM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "cgroups", required_argument, NULL, OPT_CGROUPS },
	{ "perfetto", required_argument, NULL, OPT_PERFETTO },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "input", required_argument, NULL, 'i' },
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'I' },
	{ "wss", required_argument, NULL, 'W' },
	{ "pss", required_argument, NULL, OPT_PSS },
	{ "idle-ages", required_argument, NULL, OPT_IDLE },
	{ "debugfs", required_argument, NULL, 'D' },
	{ "top", no_argument, NULL, OPT_TOP },
	{ "realtime", no_argument, NULL, 'r' },
	{ "openmetrics", required_argument, NULL, OPT_OM },
	{ "openmetrics-interval", required_argument, NULL, OPT_OM_INTERVAL },
	{ "openmetrics-top", required_argument, NULL, OPT_OM_TOP },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "quiet", no_argument, NULL, 'q' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
static const char short_opts[] = "d:o:w:i:p:c:I:W:D:rqVh";

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

/* --listen ADDR:PORT, checked by the parser metrics.c uses. */
static void check_listen(const char *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (metrics_parse_listen(arg, &ss, &len))
		usage_error("invalid --listen '%s': give ADDR:PORT, ADDR a numeric IPv4 address, localhost, [IPv6] or empty for all (e.g. 127.0.0.1:9101, [::1]:9101, :9101), PORT 1..65535",
			    arg);
}

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

/* A decimal number of ms in @lo..@hi, or bad usage naming @what. */
static unsigned int parse_ms(const char *arg, unsigned long lo,
			     unsigned long hi, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < lo || v > hi)
		usage_error("invalid %s '%s': give milliseconds, %lu..%lu", what,
			    arg, lo, hi);
	return (unsigned int)v;
}

/* --idle-ages T1[,T2..]: up to MEMTRACE_IDLE_AGES ascending 1..65535 s. */
static void parse_idle(const char *arg)
{
	const char *p = arg;
	unsigned long v, prev = 0;
	char *end;

	g.n_idle = 0;
	for (;;) {
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno || end == p || *p < '0' || *p > '9' || v <= prev ||
		    v > 65535 || g.n_idle == MEMTRACE_IDLE_AGES ||
		    (*end && *end != ','))
			usage_error("invalid --idle-ages '%s': give up to %d thresholds in seconds, 1..65535, ascending, separated by commas",
				    arg, MEMTRACE_IDLE_AGES);
		g.idle_s[g.n_idle++] = (uint32_t)v;
		prev = v;
		if (!*end)
			break;
		p = end + 1;
	}
}

/*
 * --cgroup PATH as the module's cgroups file takes it: the path from the
 * cgroup v2 root, "/" first; a path under CGROUP_ROOT loses that prefix.
 */
static void add_cgroup(const char *arg)
{
	size_t rl = strlen(CGROUP_ROOT);
	const char *rel = arg;
	char **n, *path;

	if (!strncmp(arg, CGROUP_ROOT, rl) && (arg[rl] == '/' || !arg[rl]))
		rel = arg + rl;
	while (rel[0] == '/' && rel[1] == '/')
		rel++;
	if (strpbrk(rel, "\n\r\t") || strlen(rel) + 2 > CGROUP_PATH_MAX)
		usage_error("invalid cgroup '%s'", arg);
	n = realloc(g.cgroups, (g.ncgroups + 1) * sizeof(*n));
	if (!n || asprintf(&path, "%s%s", rel[0] == '/' ? "" : "/", rel) < 0) {
		msg("out of memory");
		exit(1);
	}
	g.cgroups = n;
	g.cgroups[g.ncgroups++] = path;
}

/*
 * No two outputs may be the same file, nor both standard output (-o's
 * default standard output counts, unless -w turns it off), and none the
 * -i input (it would be truncated or replaced before it is read).
 */
static void check_outputs(void)
{
	const char *csv = g.out_path ? g.out_path :
			  (g.write_path || g.top ? NULL : "-");
	const struct { const char *opt, *path; } o[] = {
		{ "-o", csv }, { "-w", g.write_path }, { "--system", g.sys_path },
		{ "--cgroups", g.cg_path }, { "--perfetto", g.perfetto_path },
		{ "--html", g.html_path }, { "--openmetrics", g.om_path },
	};
	const size_t n = sizeof(o) / sizeof(o[0]);

	for (size_t i = 0; i < n; i++) {
		if (g.input_path && o[i].path && same_file(o[i].path, g.input_path))
			usage_error("%s '%s' is the -i input: give another file",
				    o[i].opt, o[i].path);
		if (g.top && o[i].path && !strcmp(o[i].path, "-"))
			usage_error("--top draws on standard output: %s cannot write to it",
				    o[i].opt);
		for (size_t j = i + 1; j < n; j++) {
			if (!o[i].path || !o[j].path)
				continue;
			if (!strcmp(o[i].path, "-") && !strcmp(o[j].path, "-"))
				usage_error("%s and %s both write to standard output%s",
					    o[i].opt, o[j].opt,
					    o[i].path == csv && !g.out_path ?
					    " (the CSV's default: give -o FILE)" : "");
			if (same_file(o[i].path, o[j].path))
				usage_error("%s and %s name the same file '%s'",
					    o[i].opt, o[j].opt, o[j].path);
		}
	}
}

void parse_args(int argc, char **argv)
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
		case OPT_SYSTEM:
			g.sys_path = optarg;
			break;
		case OPT_CGROUPS:
			g.cg_path = optarg;
			break;
		case OPT_PERFETTO:
			g.perfetto_path = optarg;
			break;
		case OPT_HTML:
			g.html_path = optarg;
			break;
		case OPT_CGROUP:
			add_cgroup(optarg);
			live_only = "--cgroup";
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
		case 'I':
			g.interval_ms = parse_ms(optarg, 1, 60000, "interval");
			live_only = "-I";
			break;
		case 'W':
			g.wss_ms = parse_ms(optarg, 10, 600000, "WSS window");
			live_only = "-W";
			break;
		case OPT_PSS:
			g.pss_ms = parse_ms(optarg, 10, 600000, "PSS interval");
			live_only = "--pss";
			break;
		case OPT_IDLE:
			parse_idle(optarg);
			break;
		case 'D':
			g.dir = optarg;
			live_only = "-D";
			break;
		case OPT_TOP:
			g.top = true;
			break;
		case 'r':
			g.realtime = true;
			break;
		case OPT_OM:
			if (!*optarg || !strcmp(optarg, "-"))
				usage_error("--openmetrics needs a file name: the file is replaced by rename");
			g.om_path = optarg;
			break;
		case OPT_OM_INTERVAL:
			errno = 0;
			g.om_interval_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(g.om_interval_s) ||
			    g.om_interval_s <= 0 || g.om_interval_s > 1e9)
				usage_error("invalid --openmetrics-interval '%s': give seconds > 0", optarg);
			break;
		case OPT_OM_TOP: {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' ||
			    v < 1 || v > 100000)
				usage_error("invalid --openmetrics-top '%s': give 1..100000 processes", optarg);
			g.om_top = (unsigned int)v;
			break;
		}
		case OPT_LISTEN:
			check_listen(optarg);
			g.listen_addr = optarg;
			live_only = "--listen";
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
	if (g.n_idle) {
		/* a page's age is one byte: the largest threshold in <= 254 windows */
		unsigned long need = (g.idle_s[g.n_idle - 1] * 1000UL + 253) / 254;

		if (!g.input_path && !g.wss_ms)
			g.wss_ms = need > 1000 ? (unsigned int)need : 1000;
		else if (!g.input_path && g.wss_ms < need)
			usage_error("--idle-ages %u needs WSS windows of at least %lu ms (-W): a page's age counts up to 254 windows",
				    (unsigned int)g.idle_s[g.n_idle - 1], need);
		mt_csv_set_idle(g.idle_s, g.n_idle);
	}
	check_outputs();
	if (g.top && !isatty(STDOUT_FILENO)) {
		msg("--top draws on a terminal, and standard output is not one (give -o FILE for a CSV instead)");
		exit(2);
	}
}
