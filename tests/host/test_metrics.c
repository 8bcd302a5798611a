// SPDX-License-Identifier: GPL-2.0
/*
 * test_metrics.c - memtrace-reader's Prometheus output (--openmetrics,
 * --listen; reader/metrics.c), run as the binary against fake module
 * directories.  Ground truth: the CSV and system CSV the same reader writes
 * from the same trace (each pid's row of the last tick), and promtool
 * ($MEMTRACE_PROMTOOL, Debian's prometheus package) for the format.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "decode.h"
#include "testlib.h"

/* --openmetrics-top in the trace test, and the processes it has (N + 5). */
#define TOP 3
#define NPROC (TOP + 5)
/* the comm of pid 7: a double quote and a backslash to escape */
static const char quote_comm[] = "q\"b\\s";

static void path_in(char *dst, size_t len, const char *name)
{
	snprintf(dst, len, "%s/%s", tmpdir, name);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Append a sample of pid @pid at @tick to @dir/cpu0 (figures vary by both). */
static void put_proc(const char *dir, uint64_t seq, uint64_t tick,
		     uint32_t pid, const char *comm, bool wss)
{
	unsigned char b[SAMPLE_BYTES];
	char path[PATH_MAX];
	struct fig f = {
		.seq = seq, .ts = tick * 1000000 + pid, .tick = tick, .cpu = 0,
		.tgid = pid, .flags = wss ? 1 : 0, .comm = comm,
		.vsz = 50000 + 7 * pid * tick, .anon = 1000 * pid * tick,
		.file = 10 * pid + tick, .shmem = pid, .swap = pid + tick,
		.hwm = 2000 * pid * tick, .minflt = 100 * pid + tick,
		.majflt = pid + 3 * tick, .utime = 1234567891ull * pid * tick,
		.stime = 987654321ull * pid + tick, .wss = wss ? 555 * pid : 0,
		.wss_win = wss ? 1000000000 : 0, .missed = 0,
	};

	make_sample(b, &f);
	snprintf(path, sizeof(path), "%s/cpu0", dir);
	spit(path, b, sizeof(b), true);
}

/* The comm of pid @pid in the fixture. */
static const char *comm_of(uint32_t pid)
{
	static char buf[16];

	if (pid == 7)
		return quote_comm;
	snprintf(buf, sizeof(buf), "proc%u", pid);
	return buf;
}

/* Split CSV line @line (RFC 4180 quotes) into @f (up to @max fields). */
static size_t csv_split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		char *w = p;

		f[n++] = p;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '"' && p[1] == '"') {
					*w++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
		} else {
			while (*p && *p != ',')
				*w++ = *p++;
		}
		if (*p != ',') {
			*w = '\0';
			break;
		}
		*w = '\0';
		p++;
	}
	return n;
}

/* The column @name's index in CSV header @hdr (a copy is split). */
static size_t col(const char *hdr, const char *name)
{
	char *copy = strdup(hdr), *f[128];
	size_t n, i;

	copy[strcspn(copy, "\n")] = '\0';
	n = csv_split(copy, f, 128);
	for (i = 0; i < n; i++)
		if (!strcmp(f[i], name))
			break;
	free(copy);
	if (i == n)
		fail_msg("no column %s", name);
	return i;
}

/*
 * The value of the series whose line starts with @series + " " in the
 * metrics text @text, as a string (static), or NULL when there is none.
 */
static const char *value_of(const char *text, const char *series)
{
	static char v[64];
	size_t sl = strlen(series);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, series, sl) && p[sl] == ' ') {
			size_t n = strcspn(p + sl + 1, "\n");

			assert_true(n < sizeof(v));
			memcpy(v, p + sl + 1, n);
			v[n] = '\0';
			return v;
		}
	}
	return NULL;
}

/* A value "S.FFF" (or "S") in seconds as ns, exactly. */
static uint64_t secs_to_ns(const char *v)
{
	const char *dot = strchr(v, '.');
	uint64_t ns = strtoull(v, NULL, 10) * 1000000000ull, scale = 100000000;

	if (dot)
		for (const char *d = dot + 1; *d >= '0' && *d <= '9' && scale; d++, scale /= 10)
			ns += (uint64_t)(*d - '0') * scale;
	return ns;
}

/* The label value of @comm as the text format escapes it. */
static void escaped(char *dst, const char *comm)
{
	for (; *comm; comm++) {
		if (*comm == '"' || *comm == '\\')
			*dst++ = '\\';
		*dst++ = *comm;
	}
	*dst = '\0';
}

/* Assert that series @series has the value @want (integer). */
static void want_int(const char *text, const char *series, uint64_t want)
{
	const char *v = value_of(text, series);

	if (!v)
		fail_msg("no series %s in:\n%s", series, text);
	if (strtoull(v, NULL, 10) != want || strchr(v, '.'))
		fail_msg("%s is %s, want %" PRIu64, series, v, want);
}

static void want_secs(const char *text, const char *series, uint64_t ns)
{
	const char *v = value_of(text, series);

	if (!v)
		fail_msg("no series %s", series);
	if (secs_to_ns(v) != ns)
		fail_msg("%s is %s, want %" PRIu64 " ns", series, v, ns);
}

/* promtool check metrics < @path: passes (its output on failure). */
static void promtool_ok(const char *path)
{
	const char *pt = getenv("MEMTRACE_PROMTOOL");
	char cmd[PATH_MAX * 2 + 64], out[PATH_MAX];
	int st;

	if (!pt || !*pt)
		fail_msg("MEMTRACE_PROMTOOL is not set: promtool (Debian's prometheus) is needed; run scripts/deps");
	path_in(out, sizeof(out), "promtool.out");
	snprintf(cmd, sizeof(cmd), "'%s' check metrics < '%s' > '%s' 2>&1", pt, path, out);
	st = system(cmd);
	if (st != 0) {
		char *o = slurp(out, NULL);

		fail_msg("promtool check metrics %s failed:\n%s", path, o);
	}
}

/*
 * The fixture's trace: NPROC processes at ticks 1 and 2 (pid 8 has a WSS
 * window at tick 1 only), a system record at tick 2; written by a live
 * run with -w, then decoded with -i into CSV, system CSV and the metrics.
 */
static void make_trace(const char *name, char *trace, size_t tlen)
{
	char dir[DIR_MAX];
	const char *args[] = { "-D", dir, "-d", "0.6", "-w", trace, "-q", NULL };
	struct run run;
	uint64_t seq = 0;

	fake_dir(dir, sizeof(dir), name);
	/* no cpu0_seq: the first record starts the accounting */
	spit_str(dir, "stats", "cpu0_dropped: 0\n");
	for (uint64_t tick = 1; tick <= 2; tick++) {
		for (uint32_t pid = 1; pid <= NPROC; pid++)
			put_proc(dir, seq++, tick, pid, comm_of(pid),
				 pid == 8 && tick == 1);
	}
	{
		unsigned char b[SYSTEM_BYTES];
		char p[PATH_MAX];

		/* figure i = 7000 + i; swaptotal unknown (bit 6) */
		make_system(b, 0, seq++, 2 * 1000000 + 999, 2, 7000, 1ull << SYS_SWAPTOTAL);
		snprintf(p, sizeof(p), "%s/cpu0", dir);
		spit(p, b, sizeof(b), true);
	}
	snprintf(trace, tlen, "%s/%s.mt", tmpdir, name);
	run_reader(args, name, &run);
	check_status(&run, 0);
	run_free(&run);
}

/*
 * -i with --openmetrics: promtool accepts the file; each of the top N
 * processes' figures equal its CSV row of the last tick (kB * 1024, ns /
 * 1e9), no other process is written, the comm with a quote and a backslash
 * is escaped, the system figures equal the system CSV's; no temporary
 * file is left, and a FILE.tmp symlink another user planted (to a file
 * of ours) is neither followed nor removed.
 */
static void test_metrics_trace_equals_csv(void **state)
{
	char trace[PATH_MAX], csv[PATH_MAX], sys[PATH_MAX], prom[PATH_MAX],
	     tmp[PATH_MAX + 8], victim[PATH_MAX];
	const char *args[] = { "-i", trace, "-o", csv, "--system", sys,
			       "--openmetrics", prom, "--openmetrics-top", "3", NULL };
	char *text, *csvt, *line, *save, *syst;
	struct run run;
	size_t ntop = 0, pidc;
	uint64_t last_tick[NPROC + 1] = { 0 };
	int pids_written = 0;

	(void)state;
	make_trace("om-trace", trace, sizeof(trace));
	path_in(csv, sizeof(csv), "om-trace.csv");
	path_in(sys, sizeof(sys), "om-trace-sys.csv");
	path_in(prom, sizeof(prom), "om-trace.prom");
	path_in(victim, sizeof(victim), "om-trace-victim");
	spit(victim, "secret\n", 7, false);
	snprintf(tmp, sizeof(tmp), "%s.tmp", prom);
	assert_int_equal(symlink(victim, tmp), 0);
	run_reader(args, "om-decode", &run);
	check_status(&run, 0);
	run_free(&run);
	/* the planted link is still there, its target as it was */
	want_file(victim, "secret\n");
	assert_true(exists(tmp));
	/* the file and the link, no temporary file */
	assert_int_equal(count_prefixed("om-trace.prom"), 2);
	unlink(tmp);
	promtool_ok(prom);
	text = slurp(prom, NULL);
	/* HELP and TYPE lines for every family written */
	assert_non_null(strstr(text, "# HELP memtrace_process_resident_bytes "));
	assert_non_null(strstr(text, "# TYPE memtrace_process_resident_bytes gauge\n"));
	assert_non_null(strstr(text, "# TYPE memtrace_process_cpu_seconds_total counter\n"));

	csvt = slurp(csv, NULL);
	pidc = col(csvt, "pid");
	/* each pid's last tick */
	for (line = strtok_r(strchr(csvt, '\n') + 1, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *copy = strdup(line), *f[64];
		uint32_t pid;

		csv_split(copy, f, 64);
		pid = (uint32_t)strtoul(f[pidc], NULL, 10);
		assert_true(pid >= 1 && pid <= NPROC);
		if (strtoull(f[col(csvt, "tick")], NULL, 10) > last_tick[pid])
			last_tick[pid] = strtoull(f[col(csvt, "tick")], NULL, 10);
		free(copy);
	}
	free(csvt);
	csvt = slurp(csv, NULL);
	for (line = strtok_r(strchr(csvt, '\n') + 1, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *copy = strdup(line), *f[64], lbl[128], esc[64], series[256];
		uint64_t rss, tick;
		uint32_t pid;

		csv_split(copy, f, 64);
		pid = (uint32_t)strtoul(f[pidc], NULL, 10);
		tick = strtoull(f[col(csvt, "tick")], NULL, 10);
		rss = strtoull(f[col(csvt, "rss_kb")], NULL, 10);
		escaped(esc, f[col(csvt, "comm")]);
		snprintf(lbl, sizeof(lbl), "pid=\"%u\",comm=\"%s\",cgroup=\"\"", pid, esc);
		snprintf(series, sizeof(series), "memtrace_process_virtual_bytes{%s}", lbl);
		if (tick != last_tick[pid]) {
			free(copy);
			continue;
		}
		/* the top 3 by RSS at the last tick: pids 8, 7, 6 */
		if (pid < NPROC - TOP + 1) {
			assert_null(value_of(text, series));
			free(copy);
			continue;
		}
		ntop++;
		assert_true(rss > 0);
		want_int(text, series, 1024 * strtoull(f[col(csvt, "vsz_kb")], NULL, 10));
#define WANT_KB(metric, column)                                           \
		do {                                                      \
			snprintf(series, sizeof(series), metric, lbl);    \
			want_int(text, series,                            \
				 1024 * strtoull(f[col(csvt, column)], NULL, 10)); \
		} while (0)
		WANT_KB("memtrace_process_resident_bytes{%s,type=\"anon\"}", "rss_anon_kb");
		WANT_KB("memtrace_process_resident_bytes{%s,type=\"file\"}", "rss_file_kb");
		WANT_KB("memtrace_process_resident_bytes{%s,type=\"shmem\"}", "rss_shmem_kb");
		WANT_KB("memtrace_process_swap_bytes{%s}", "swap_kb");
		WANT_KB("memtrace_process_resident_peak_bytes{%s}", "hwm_kb");
		snprintf(series, sizeof(series), "memtrace_process_minor_faults_total{%s}", lbl);
		want_int(text, series, strtoull(f[col(csvt, "minflt")], NULL, 10));
		snprintf(series, sizeof(series), "memtrace_process_major_faults_total{%s}", lbl);
		want_int(text, series, strtoull(f[col(csvt, "majflt")], NULL, 10));
		snprintf(series, sizeof(series), "memtrace_process_cpu_seconds_total{%s,mode=\"user\"}", lbl);
		want_secs(text, series, strtoull(f[col(csvt, "utime_ns")], NULL, 10));
		snprintf(series, sizeof(series), "memtrace_process_cpu_seconds_total{%s,mode=\"system\"}", lbl);
		want_secs(text, series, strtoull(f[col(csvt, "stime_ns")], NULL, 10));
		/* WSS: the latest completed window (pid 8's, at tick 1) */
		snprintf(series, sizeof(series), "memtrace_process_wss_bytes{%s}", lbl);
		if (pid == 8)
			want_int(text, series, 555 * 8 * 1024);
		else
			assert_null(value_of(text, series));
		free(copy);
	}
	assert_int_equal(ntop, TOP);
	/* the bound: exactly TOP distinct pids in the text */
	for (uint32_t pid = 1; pid <= NPROC; pid++) {
		char needle[32];

		snprintf(needle, sizeof(needle), "{pid=\"%u\",", pid);
		if (strstr(text, needle))
			pids_written++;
	}
	assert_int_equal(pids_written, TOP);
	assert_non_null(strstr(text, "comm=\"q\\\"b\\\\s\""));
	want_int(text, "memtrace_processes", NPROC);
	want_int(text, "memtrace_last_tick", 2);
	want_int(text, "memtrace_records_lost_total", 0);

	/* system figures: the system CSV's row */
	syst = slurp(sys, NULL);
	{
		char *row = strchr(syst, '\n') + 1, *f[80];

		row[strcspn(row, "\n")] = '\0';
		csv_split(row, f, 80);
		want_int(text, "memtrace_system_memory_available_bytes",
			 1024 * strtoull(f[col(syst, "memavailable_kb")], NULL, 10));
		want_int(text, "memtrace_system_swap_free_bytes",
			 1024 * strtoull(f[col(syst, "swapfree_kb")], NULL, 10));
		want_int(text, "memtrace_system_workingset_refaults_total{type=\"file\"}",
			 strtoull(f[col(syst, "workingset_refault_file")], NULL, 10));
		want_secs(text, "memtrace_system_pressure_some_seconds_total{resource=\"memory\"}",
			  1000 * strtoull(f[col(syst, "psi_memory_some_us")], NULL, 10));
		want_secs(text, "memtrace_system_cpu_seconds_total{mode=\"idle\"}",
			  strtoull(f[col(syst, "cpu_idle_ns")], NULL, 10));
		/* unknown in the module's record: filled from /proc (procfill.c) */
		want_int(text, "memtrace_system_swap_total_bytes",
			 1024 * strtoull(f[col(syst, "swaptotal_kb")], NULL, 10));
	}
	free(syst);
	free(csvt);
	free(text);
}

/* A TCP port of 127.0.0.1 that was free a moment ago. */
static unsigned int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* GET @path from 127.0.0.1:@port (HTTP/1.0): the status, the body (malloc). */
static int http_get(unsigned int port, const char *path, char **body)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char req[256], *buf = NULL, *sep;
	size_t len = 0, cap = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
	struct timeval tv = { 5, 0 };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return -1;
	buf[len] = '\0';
	sscanf(buf, "HTTP/1.%*d %d", &status);
	sep = strstr(buf, "\r\n\r\n");
	*body = strdup(sep ? sep + 4 : "");
	free(buf);
	return status;
}

/* Append a cgroup record of @id, @path at @tick to @dir/cpu0 (figures @base + i). */
static void put_cg(const char *dir, uint64_t seq, uint64_t tick, uint64_t id,
		   const char *path, uint64_t base)
{
	unsigned char b[sizeof(struct memtrace_cgroup) + MEMTRACE_CGROUP_PATH_MAX + 8];
	struct mt_hdr h = { .cpu = 0, .seq = seq, .ts_ns = tick * 1000000 + 500 };
	struct mt_cginfo c = { .tick = tick, .cgroup_id = id, .path = path,
			       .path_len = (uint32_t)strlen(path) };
	char p[PATH_MAX];

	for (int i = 0; i < MEMTRACE_CGROUP_FIGURES; i++)
		c.v[i] = base + (uint64_t)i;
	snprintf(p, sizeof(p), "%s/cpu0", dir);
	spit(p, b, mt_encode_cgroup(b, &h, &c), true);
}

/*
 * A cgroup removed and made again at the same path (a new id) within
 * MT_METRICS_KEEP_TICKS: one series for the path, the new cgroup's (two
 * with the same labels would be rejected by Prometheus).
 */
static void test_metrics_cgroup_same_path(void **state)
{
	/* each cgroup series of /a, its CSV column, and how it is scaled */
	static const struct {
		const char *series, *col;
		int scale;	/* 1: kB * 1024; 0: as is; 2: us / 1e6 */
	} cg_series[] = {
		{ "memtrace_cgroup_memory_current_bytes{cgroup=\"/a\"}", "memory_current_kb", 1 },
		{ "memtrace_cgroup_swap_current_bytes{cgroup=\"/a\"}", "memory_swap_current_kb", 1 },
		{ "memtrace_cgroup_memory_bytes{cgroup=\"/a\",type=\"anon\"}", "anon_kb", 1 },
		{ "memtrace_cgroup_memory_bytes{cgroup=\"/a\",type=\"file\"}", "file_kb", 1 },
		{ "memtrace_cgroup_memory_bytes{cgroup=\"/a\",type=\"shmem\"}", "shmem_kb", 1 },
		{ "memtrace_cgroup_workingset_refaults_total{cgroup=\"/a\",type=\"anon\"}", "workingset_refault_anon", 0 },
		{ "memtrace_cgroup_workingset_refaults_total{cgroup=\"/a\",type=\"file\"}", "workingset_refault_file", 0 },
		{ "memtrace_cgroup_memory_events_total{cgroup=\"/a\",event=\"high\"}", "memory_high_events", 0 },
		{ "memtrace_cgroup_memory_events_total{cgroup=\"/a\",event=\"max\"}", "memory_max_events", 0 },
		{ "memtrace_cgroup_memory_events_total{cgroup=\"/a\",event=\"oom_kill\"}", "oom_kill", 0 },
		{ "memtrace_cgroup_pressure_some_seconds_total{cgroup=\"/a\"}", "psi_memory_some_us", 2 },
		{ "memtrace_cgroup_pressure_full_seconds_total{cgroup=\"/a\"}", "psi_memory_full_us", 2 },
	};
	char dir[DIR_MAX], trace[PATH_MAX], prom[PATH_MAX], cg[PATH_MAX];
	const char *rec[] = { "-D", dir, "-d", "0.4", "-w", trace, "-o", "/dev/null", NULL };
	const char *dec[] = { "-i", trace, "-o", "/dev/null", "--cgroups", cg,
			      "--openmetrics", prom, NULL };
	const char *series = "memtrace_cgroup_memory_current_bytes{cgroup=\"/a\"} ";
	struct run run;
	char *text, *p, *cgt, *last, *f[32];
	uint64_t v;

	(void)state;
	fake_dir(dir, sizeof(dir), "om-cg");
	path_in(trace, sizeof(trace), "om-cg.mt");
	path_in(prom, sizeof(prom), "om-cg.prom");
	path_in(cg, sizeof(cg), "om-cg.csv");
	spit_str(dir, "stats", "cpu0_dropped: 0\n");
	/* cgroup records take no seq (the reader makes them) */
	put_proc(dir, 0, 1, 11, "a", false);
	put_cg(dir, 0, 1, 100, "/a", 1000);
	put_proc(dir, 1, 2, 11, "a", false);
	put_cg(dir, 0, 2, 200, "/a", 2000);
	run_reader(rec, "om-cg-rec", &run);
	check_status(&run, 0);
	run_free(&run);
	run_reader(dec, "om-cg", &run);
	check_status(&run, 0);
	run_free(&run);
	text = slurp(prom, NULL);
	p = strstr(text, series);
	assert_non_null(p);
	assert_null(strstr(p + 1, series));
	v = strtoull(p + strlen(series), NULL, 10);
	assert_true(v >= 2000 * 1024 && v < 2100 * 1024);
	/* every series of /a: the cgroups CSV's last row (the new cgroup's) */
	cgt = slurp(cg, NULL);
	last = strrchr(cgt, '\n');
	*last = '\0';
	last = strrchr(cgt, '\n') + 1;
	csv_split(last, f, 32);
	assert_string_equal(f[col(cgt, "cgroup_id")], "200");
	for (size_t i = 0; i < sizeof(cg_series) / sizeof(cg_series[0]); i++) {
		uint64_t x = strtoull(f[col(cgt, cg_series[i].col)], NULL, 10);

		if (cg_series[i].scale == 2)
			want_secs(text, cg_series[i].series, 1000 * x);
		else
			want_int(text, cg_series[i].series,
				 cg_series[i].scale ? 1024 * x : x);
	}
	free(cgt);
	free(text);
	promtool_ok(prom);
}

/*
 * Whether every thread of process @pid but the main one blocks @sig (from
 * /proc/PID/task/TID/status, SigBlk), and there is at least one.
 */
static bool others_block(pid_t pid, int sig)
{
	char path[64], line[256];
	unsigned long long blk;
	DIR *d;
	FILE *f;
	struct dirent *e;
	int threads = 0;
	bool all = true;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, e->d_name);
		f = fopen(path, "r");	/* size 0 to stat: not slurp() */
		assert_non_null(f);
		blk = 0;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "SigBlk:", 7))
				blk = strtoull(line + 7, NULL, 16);
		fclose(f);
		threads++;
		all &= (blk >> (sig - 1)) & 1;
	}
	closedir(d);
	return threads && all;
}

/*
 * A live session with --openmetrics and --listen: the file is rewritten
 * during the session (before its end), /metrics serves the same text as
 * the file, /other is 404; at the end the file holds the last figures and
 * no temporary file is left; a FILE.tmp symlink planted during the session
 * is never written through.  The HTTP server's thread blocks the signals
 * the reader handles (and --top's: SIGTSTP, SIGWINCH).
 */
static void test_metrics_live_listen(void **state)
{
	char dir[DIR_MAX], prom[PATH_MAX], tmp[PATH_MAX + 8], addr[64], csv[PATH_MAX],
	     victim[PATH_MAX];
	unsigned int port = free_port();
	const char *args[] = { "-D", dir, "-d", "5", "-o", csv, "--openmetrics", prom,
			       "--openmetrics-interval", "0.2", "--listen", addr, NULL };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char *body = NULL, *file, *body2 = NULL;
	struct run run;
	pid_t pid;
	int code;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	fake_dir(dir, sizeof(dir), "om-live");
	path_in(prom, sizeof(prom), "om-live.prom");
	path_in(csv, sizeof(csv), "om-live.csv");
	snprintf(tmp, sizeof(tmp), "%s.tmp", prom);
	path_in(victim, sizeof(victim), "om-live-victim");
	spit(victim, "secret\n", 7, false);
	spit_str(dir, "stats", "cpu0_dropped: 0\n");
	put_proc(dir, 0, 1, 11, "live1", false);
	put_proc(dir, 1, 1, 12, "live2", false);
	pid = spawn_reader(args, -1, "om-live");
	wait_started(dir);
	assert_int_equal(symlink(victim, tmp), 0);
	/* the first rewrite: within the interval (0.2 s) of the start */
	for (int i = 0; i < 500 && !exists(prom); i++)
		nanosleep(&ts, NULL);
	/* during the session */
	assert_true(exists(prom));
	code = http_get(port, "/metrics", &body);
	assert_int_equal(code, 200);
	file = slurp(prom, NULL);
	assert_string_equal(body, file);
	want_int(body, "memtrace_process_virtual_bytes{pid=\"12\",comm=\"live2\",cgroup=\"\"}",
		 1024 * (50000 + 7 * 12));
	assert_int_equal(http_get(port, "/other", &body2), 404);
	assert_true(others_block(pid, SIGTERM));
	assert_true(others_block(pid, SIGTSTP));
	assert_true(others_block(pid, SIGWINCH));
	free(body2);
	free(file);
	free(body);
	wait_reader(pid, "om-live", &run);
	check_status(&run, 0);
	run_free(&run);
	want_file(victim, "secret\n");
	unlink(tmp);
	assert_int_equal(count_prefixed("om-live.prom"), 1);
	promtool_ok(prom);
	file = slurp(prom, NULL);
	want_int(file, "memtrace_process_swap_bytes{pid=\"11\",comm=\"live1\",cgroup=\"\"}",
		 1024 * (11 + 1));
	free(file);
	/* the server is gone with the session */
	assert_int_equal(http_get(port, "/metrics", &body), -1);
}

/*
 * Errors at the start: an --openmetrics FILE whose directory cannot take
 * a new file, a busy port, an address not on this machine: exit 1, a
 * message naming them, the other outputs untouched and the module not
 * enabled; a malformed ADDR:PORT or interval is bad usage (exit 2).
 */
static void test_metrics_start_errors(void **state)
{
	char dir[DIR_MAX], csv[PATH_MAX], prom[PATH_MAX], addr[64], *s;
	const char *bad_file[] = { "-D", dir, "-d", "0.3", "-o", csv,
				   "--openmetrics", prom, NULL };
	const char *busy[] = { "-D", dir, "-d", "0.3", "-o", csv, "--listen", addr, NULL };
	const char *absent[] = { "-D", dir, "-d", "0.3", "-o", csv, "--listen",
				 "192.0.2.1:9101", NULL };
	const char *usage[][5] = {
		{ "-D", dir, "--listen", "nonsense", NULL },
		{ "-D", dir, "--listen", "127.0.0.1:99999", NULL },
		{ "-D", dir, "--listen", "example.org:80", NULL },
		{ "-D", dir, "--openmetrics-interval", "0", NULL },
		{ "-D", dir, "--openmetrics-top", "0", NULL },
	};
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct run run;
	int fd;

	(void)state;
	fake_dir(dir, sizeof(dir), "om-err");
	add_sample(dir, 0, 0, 1000, 1, "a");
	path_in(csv, sizeof(csv), "om-err.csv");
	spit(csv, "keep\n", 5, false);

	path_in(prom, sizeof(prom), "no-such-dir/x.prom");
	run_reader(bad_file, "om-err-file", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "no-such-dir/x.prom: cannot create a file in its directory: No such file or directory"));
	run_free(&run);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	{
		socklen_t len = sizeof(a);

		assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(a.sin_port));
	run_reader(busy, "om-err-busy", &run);
	close(fd);
	check_status(&run, 1);
	s = NULL;
	if (asprintf(&s, "cannot listen on %s: Address already in use", addr) < 0)
		fail();
	assert_non_null(strstr(run.err, s));
	free(s);
	run_free(&run);

	run_reader(absent, "om-err-absent", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "cannot listen on 192.0.2.1:9101: Cannot assign requested address"));
	run_free(&run);

	for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		run_reader(usage[i], "om-err-usage", &run);
		check_status(&run, 2);
		assert_non_null(strstr(run.err, "invalid --"));
		run_free(&run);
	}
	/* nothing changed */
	s = slurp(csv, NULL);
	assert_string_equal(s, "keep\n");
	free(s);
	s = read_in(dir, "enable");
	assert_string_equal(s, "0\n");
	free(s);
	assert_false(exists(prom));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_trace_equals_csv),
		cmocka_unit_test(test_metrics_live_listen),
		cmocka_unit_test(test_metrics_start_errors),
		cmocka_unit_test(test_metrics_cgroup_same_path),
	};
	int failed;

	if (tl_init("test_metrics"))
		return 1;
	failed = cmocka_run_group_tests_name("memtrace-reader Prometheus output",
					     tests, NULL, NULL);
	tl_done(failed);
	return failed ? 1 : 0;
}
