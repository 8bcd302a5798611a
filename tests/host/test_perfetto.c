// SPDX-License-Identifier: GPL-2.0
/*
 * test_perfetto.c - host tests of memtrace-reader --perfetto: a live
 * session against a fake module directory writes a raw trace, the CSVs and
 * a Perfetto trace; -i of that raw trace writes them again.  The Perfetto
 * trace is decoded by protoc (Debian's protobuf-compiler, the C++ protobuf
 * library: not the protobuf-c code under test) with reader/
 * perfetto_trace.proto, and checked against the CSVs the same reader wrote
 * (csv.c is checked against /proc elsewhere) and the records chosen here:
 * track names, pids and process names, units, every counter value at every
 * timestamp, instant events for losses and missed ticks, the packet
 * sequence.  Then the errors: an unwritable path, a write error at the end
 * (/dev/full) and mid-way (RLIMIT_FSIZE) leave no half-written file.
 *
 * Run: make -C tests/host check (TAP on standard output).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "uapi/memtrace.h"

/* ---- protoc's text form of the trace, parsed ------------------------------ */

/* One TracePacket, the fields the reader writes. */
struct pkt {
	bool has_ts, has_seq, has_flags;
	uint64_t ts;
	unsigned int seq, flags;
	/* track_descriptor */
	bool desc, has_parent, has_pid, counter;
	uint64_t uuid, parent;
	char name[64], pname[64], unit[32];
	long pid;
	/* track_event */
	bool event;
	uint64_t track;
	char type[32], ename[64], value[48];
	/* its debug annotations, "name=value" each */
	char annots[8][128];
	size_t nannots;
};

struct trace {
	struct pkt *p;
	size_t n;
};

/* reader/perfetto_trace.proto, from this file's place in the tree */
static void proto_path(char *dst, size_t len)
{
	const char *here = __FILE__, *slash = strrchr(here, '/');

	snprintf(dst, len, "%.*s/../../reader/perfetto_trace.proto",
		 slash ? (int)(slash - here) : 1, slash ? here : ".");
}

/* A text form string value ("..." with C escapes) at @s, unquoted. */
static void unquote(char *dst, size_t len, const char *s)
{
	size_t n = 0;

	if (*s == '"')
		s++;
	while (*s && *s != '"' && n + 1 < len) {
		if (*s == '\\' && s[1] >= '0' && s[1] <= '7') {
			int v = 0, k = 1;

			for (; k <= 3 && s[k] >= '0' && s[k] <= '7'; k++)
				v = v * 8 + (s[k] - '0');
			dst[n++] = (char)v;
			s += k;
		} else if (*s == '\\') {
			dst[n++] = s[1] == 'n' ? '\n' : s[1];
			s += 2;
		} else {
			dst[n++] = *s++;
		}
	}
	dst[n] = '\0';
}

/*
 * Decode @pftrace with protoc into @t: each "packet { ... }" of its text
 * form.  Fails the test when protoc fails (it is strict about the wire
 * format, field numbers and types of the .proto).
 */
static void decode(const char *pftrace, struct trace *t)
{
	char proto[PATH_MAX], txt[PATH_MAX], cmd[3 * PATH_MAX + 128], line[512];
	char stack[8][48], aname[64] = "", aval[48] = "";
	size_t depth = 0;
	struct pkt *p = NULL;
	FILE *f;

	proto_path(proto, sizeof(proto));
	snprintf(txt, sizeof(txt), "%s.txt", pftrace);
	snprintf(cmd, sizeof(cmd),
		 "protoc --proto_path=\"$(dirname '%s')\" --decode=perfetto.protos.Trace '%s' < '%s' > '%s'",
		 proto, proto, pftrace, txt);
	if (system(cmd))
		fail_msg("protoc could not decode %s (%s)", pftrace, cmd);
	f = fopen(txt, "r");
	assert_non_null(f);
	memset(t, 0, sizeof(*t));
	while (fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " "), *colon, *v;

		s[strcspn(s, "\n")] = '\0';
		if (!strcmp(s, "}")) {
			assert_true(depth > 0);
			depth--;
			/* an annotation ends: its name and value (protoc prints
			 * fields in field number order: the value first) */
			if (depth == 2 && !strcmp(stack[2], "debug_annotations")) {
				assert_true(p->nannots < 8);
				snprintf(p->annots[p->nannots++], sizeof(p->annots[0]),
					 "%s=%s", aname, aval);
				aname[0] = aval[0] = '\0';
			}
			continue;
		}
		if (strlen(s) > 2 && !strcmp(s + strlen(s) - 2, " {")) {
			assert_true(depth < 8);
			snprintf(stack[depth], sizeof(stack[0]), "%.*s",
				 (int)strlen(s) - 2, s);
			if (depth == 0) {
				assert_string_equal(stack[0], "packet");
				t->p = realloc(t->p, (t->n + 1) * sizeof(*t->p));
				assert_non_null(t->p);
				p = &t->p[t->n++];
				memset(p, 0, sizeof(*p));
			} else if (depth == 1) {
				p->desc |= !strcmp(stack[1], "track_descriptor");
				p->event |= !strcmp(stack[1], "track_event");
			}
			depth++;
			continue;
		}
		colon = strstr(s, ": ");
		assert_non_null(colon);
		assert_non_null(p);
		*colon = '\0';
		v = colon + 2;
		if (depth == 1 && !strcmp(s, "timestamp")) {
			p->has_ts = true;
			p->ts = strtoull(v, NULL, 10);
		} else if (depth == 1 && !strcmp(s, "trusted_packet_sequence_id")) {
			p->has_seq = true;
			p->seq = (unsigned int)strtoul(v, NULL, 10);
		} else if (depth == 1 && !strcmp(s, "sequence_flags")) {
			p->has_flags = true;
			p->flags = (unsigned int)strtoul(v, NULL, 10);
		} else if (depth == 2 && p->desc && !strcmp(s, "uuid")) {
			p->uuid = strtoull(v, NULL, 10);
		} else if (depth == 2 && p->desc && !strcmp(s, "parent_uuid")) {
			p->has_parent = true;
			p->parent = strtoull(v, NULL, 10);
		} else if (depth == 2 && p->desc && !strcmp(s, "name")) {
			unquote(p->name, sizeof(p->name), v);
		} else if (depth == 3 && !strcmp(stack[2], "process") &&
			   !strcmp(s, "pid")) {
			p->has_pid = true;
			p->pid = strtol(v, NULL, 10);
		} else if (depth == 3 && !strcmp(stack[2], "process") &&
			   !strcmp(s, "process_name")) {
			unquote(p->pname, sizeof(p->pname), v);
		} else if (depth == 3 && !strcmp(stack[2], "counter") &&
			   !strcmp(s, "unit")) {
			p->counter = true;
			snprintf(p->unit, sizeof(p->unit), "%s", v);
		} else if (depth == 2 && p->event && !strcmp(s, "type")) {
			snprintf(p->type, sizeof(p->type), "%s", v);
		} else if (depth == 2 && p->event && !strcmp(s, "track_uuid")) {
			p->track = strtoull(v, NULL, 10);
		} else if (depth == 2 && p->event && !strcmp(s, "name")) {
			unquote(p->ename, sizeof(p->ename), v);
		} else if (depth == 2 && p->event &&
			   (!strcmp(s, "counter_value") ||
			    !strcmp(s, "double_counter_value"))) {
			snprintf(p->value, sizeof(p->value), "%s", v);
		} else if (depth == 3 && !strcmp(stack[2], "debug_annotations")) {
			if (!strcmp(s, "name"))
				unquote(aname, sizeof(aname), v);
			else
				unquote(aval, sizeof(aval), v);
		} else {
			fail_msg("unexpected field '%s: %s' at depth %zu", s, v, depth);
		}
	}
	assert_int_equal(depth, 0);
	fclose(f);
}

/* The descriptor of track @uuid (the last one, as Perfetto takes it). */
static const struct pkt *track_of(const struct trace *t, uint64_t uuid)
{
	const struct pkt *d = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].desc && t->p[i].uuid == uuid)
			d = &t->p[i];
	return d;
}

/* ---- the CSVs -------------------------------------------------------------- */

struct table {
	char *text;
	char **cols;
	size_t ncols;
	char ***rows;		/* rows[r][c] */
	size_t nrows;
};

/* Split @s at @sep into a NULL-less array of its fields (in place). */
static char **split(char *s, char sep, size_t *n)
{
	char **v = NULL;

	*n = 0;
	for (;;) {
		char *e = strchr(s, sep);

		v = realloc(v, (*n + 1) * sizeof(*v));
		assert_non_null(v);
		v[(*n)++] = s;
		if (!e)
			return v;
		*e = '\0';
		s = e + 1;
	}
}

/* A CSV without quoted fields (the tests' comms hold no comma or quote). */
static void read_table(const char *path, struct table *tb)
{
	char **lines;
	size_t n;

	memset(tb, 0, sizeof(*tb));
	tb->text = slurp(path, NULL);
	assert_null(strchr(tb->text, '"'));
	assert_true(strlen(tb->text) > 0);
	tb->text[strlen(tb->text) - 1] = '\0';	/* the last newline */
	lines = split(tb->text, '\n', &n);
	tb->cols = split(lines[0], ',', &tb->ncols);
	tb->nrows = n - 1;
	tb->rows = calloc(n, sizeof(*tb->rows));
	assert_non_null(tb->rows);
	for (size_t r = 1; r < n; r++) {
		size_t nc;

		tb->rows[r - 1] = split(lines[r], ',', &nc);
		assert_int_equal(nc, tb->ncols);
	}
	free(lines);
}

static void free_table(struct table *tb)
{
	for (size_t r = 0; r < tb->nrows; r++)
		free(tb->rows[r]);
	free(tb->rows);
	free(tb->cols);
	free(tb->text);
}

static int col_of(const struct table *tb, const char *name)
{
	for (size_t c = 0; c < tb->ncols; c++)
		if (!strcmp(tb->cols[c], name))
			return (int)c;
	fail_msg("no column %s", name);
	return -1;
}

/* The process CSV's columns as the Perfetto counters they must equal. */
static const struct {
	const char *col, *track, *unit;
	unsigned int mult;
} proc_map[] = {
	{ "vsz_kb", "mem.virt", "UNIT_SIZE_BYTES", 1024 },
	{ "rss_kb", "mem.rss", "UNIT_SIZE_BYTES", 1024 },
	{ "rss_anon_kb", "mem.rss.anon", "UNIT_SIZE_BYTES", 1024 },
	{ "rss_file_kb", "mem.rss.file", "UNIT_SIZE_BYTES", 1024 },
	{ "rss_shmem_kb", "mem.rss.shmem", "UNIT_SIZE_BYTES", 1024 },
	{ "swap_kb", "mem.swap", "UNIT_SIZE_BYTES", 1024 },
	{ "hwm_kb", "mem.rss.watermark", "UNIT_SIZE_BYTES", 1024 },
	{ "minflt", "minflt", "UNIT_COUNT", 1 },
	{ "majflt", "majflt", "UNIT_COUNT", 1 },
	{ "utime_ns", "cpu.utime", "UNIT_TIME_NS", 1 },
	{ "stime_ns", "cpu.stime", "UNIT_TIME_NS", 1 },
	{ "wss_kb", "mem.wss", "UNIT_SIZE_BYTES", 1024 },
	{ "thrashing_delay_ns", "delay.thrashing", "UNIT_TIME_NS", 1 },
	{ "swapin_delay_ns", "delay.swapin", "UNIT_TIME_NS", 1 },
	{ "reclaim_delay_ns", "delay.reclaim", "UNIT_TIME_NS", 1 },
	{ "compact_delay_ns", "delay.compact", "UNIT_TIME_NS", 1 },
	{ "pss_kb", "mem.pss", "UNIT_SIZE_BYTES", 1024 },
	{ "pss_anon_kb", "mem.pss.anon", "UNIT_SIZE_BYTES", 1024 },
	{ "pss_file_kb", "mem.pss.file", "UNIT_SIZE_BYTES", 1024 },
	{ "pss_shmem_kb", "mem.pss.shmem", "UNIT_SIZE_BYTES", 1024 },
	{ "uss_kb", "mem.uss", "UNIT_SIZE_BYTES", 1024 },
	{ "swap_pss_kb", "mem.swap.pss", "UNIT_SIZE_BYTES", 1024 },
};

/* A system or cgroup CSV column's track ("@prefix.NAME") and unit, as
 * Documentation/memtrace-visualize.rst documents them; NULL for the
 * columns that are no figure (the cgroups' id and path: the caller's). */
static const char *fig_track(const char *prefix, const char *col, char *track,
			     const char **unit, unsigned int *mult)
{
	size_t len = strlen(col);

	if (!strcmp(col, "ts_ns") || !strcmp(col, "tick") ||
	    !strcmp(col, "cpu") || !strcmp(col, "seq"))
		return NULL;
	*unit = "UNIT_COUNT";
	*mult = 1;
	if (len > 3 && !strcmp(col + len - 3, "_kb")) {
		*unit = "UNIT_SIZE_BYTES";
		*mult = 1024;
		len -= 3;
	} else if (len > 3 && !strcmp(col + len - 3, "_us")) {
		*unit = "UNIT_TIME_NS";
		*mult = 1000;
		len -= 3;
	} else if (len > 3 && !strcmp(col + len - 3, "_ns")) {
		*unit = "UNIT_TIME_NS";
		len -= 3;
	}
	sprintf(track, "%s.%.*s", prefix, (int)len, col);
	return track;
}

/* ---- lists of "pid track ts value" lines, compared sorted ------------------ */

struct lines {
	char **v;
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void add_line(struct lines *l, const char *fmt, ...)
{
	va_list ap;

	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	assert_non_null(l->v);
	va_start(ap, fmt);
	assert_true(vasprintf(&l->v[l->n++], fmt, ap) > 0);
	va_end(ap);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void assert_same_lines(struct lines *got, struct lines *want)
{
	qsort(got->v, got->n, sizeof(char *), cmp_str);
	qsort(want->v, want->n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < got->n && i < want->n; i++)
		if (strcmp(got->v[i], want->v[i]))
			fail_msg("counter %zu: trace has '%s', the CSV '%s'", i,
				 got->v[i], want->v[i]);
	assert_int_equal(got->n, want->n);
	for (size_t i = 0; i < got->n; i++)
		free(got->v[i]);
	for (size_t i = 0; i < want->n; i++)
		free(want->v[i]);
	free(got->v);
	free(want->v);
}

/* ---- the session ----------------------------------------------------------- */

/* Sample @i of the session: figures that differ from sample to sample. */
static void pf_sample(const char *dir, unsigned int cpu, uint64_t seq,
		      uint64_t ts, uint32_t tgid, const char *comm,
		      uint64_t missed, unsigned int i, bool wss)
{
	unsigned char b[SAMPLE_BYTES];
	char path[PATH_MAX];
	struct fig f = fig1;

	f.cpu = cpu;
	f.seq = seq;
	f.ts = ts;
	f.tick = ts / 1000;
	f.tgid = tgid;
	f.comm = comm;
	f.missed = missed;
	f.vsz = 10000 + 7 * i;
	f.anon = 100 + i;
	f.file = 200 + 2 * i;
	f.shmem = 30 + 3 * i;
	f.swap = 4 + i;
	f.hwm = 400 + 5 * i;
	f.minflt = 5000 + 11 * i;
	f.majflt = 6 + i;
	f.utime = 7000000 + 1000 * i;
	f.stime = 800000 + 13 * i;
	if (wss) {
		f.flags = MEMTRACE_SAMPLE_WSS_VALID;
		f.wss = 55 + i;
		f.wss_win = 1000000000;
	}
	make_sample(b, &f);
	snprintf(path, sizeof(path), "%s/cpu%u", dir, cpu);
	spit(path, b, sizeof(b), true);
}

/*
 * A live session of three processes on two CPUs, with system records, a
 * loss record (cpu0: seqs 5..7 lost between ts 2100 and 2900), records
 * dropped at the end (cpu1: seqs 3..4), ticks_missed rising from 9 to 12
 * at ts 3000, pid 100 renamed from "alpha" to "gamma" (an exec), and
 * cgroup records of two cgroups (one path with a space and non-ASCII).
 * Writes @trace, @csv, @sys, @cg and @pf; the reader's exit status 0.
 */
static void pf_session(const char *name, const char *trace, const char *csv,
		       const char *sys, const char *cg, const char *pf)
{
	struct timespec wait = { 0, 300 * 1000 * 1000 };
	char dir[DIR_MAX];
	const char *args[] = { "-D", dir, "-d", "0.8", "-w", trace, "-o", csv,
			       "--system", sys, "--cgroups", cg, "--perfetto", pf,
			       NULL };
	struct run run;
	pid_t pid;

	fake_dir(dir, sizeof(dir), name);
	spit_str(dir, "stats", "cpu0_seq: 0\ncpu0_dropped: 0\n"
			       "cpu1_seq: 0\ncpu1_dropped: 0\n");
	pf_sample(dir, 0, 0, 1000, 100, "alpha", 9, 0, false);
	pf_sample(dir, 0, 1, 1000, 200, "beta two", 9, 1, false);
	add_system(dir, 0, 2, 1050, 100, 1ull << SYS_ORDER10);
	add_cgroup(dir, 1060, 4242, "/a b/\xc3\xbc", 5000);
	add_cgroup(dir, 1061, 77, "/system.slice", 7000);
	pf_sample(dir, 0, 3, 2000, 100, "alpha", 9, 2, true);
	pf_sample(dir, 0, 4, 2000, 200, "beta two", 9, 3, false);
	add_loss(dir, 0, 8, 3000, 5, 2100, 2900, 3);
	add_cgroup(dir, 2060, 4242, "/a b/\xc3\xbc", 6000);
	pf_sample(dir, 0, 8, 3000, 100, "gamma", 12, 4, false);
	pf_sample(dir, 0, 9, 3000, 200, "beta two", 12, 5, true);
	pf_sample(dir, 1, 0, 1500, 300, "delta", 9, 6, false);
	add_system(dir, 1, 1, 2500, 200, 0);
	pf_sample(dir, 1, 2, 3500, 300, "delta", 12, 7, false);
	pid = spawn_reader(args, -1, name);
	wait_started(dir);
	nanosleep(&wait, NULL);
	spit_str(dir, "stats", "cpu0_seq: 10\ncpu0_dropped: 3\n"
			       "cpu1_seq: 5\ncpu1_dropped: 2\n");
	wait_reader(pid, name, &run);
	check_status(&run, 0);
	assert_null(strstr(run.err, "disagree"));
	assert_null(strstr(run.err, "went back"));
	assert_non_null(strstr(run.err, "cpu0:   3 lost (seq 5..7) between ts_ns 2100 and 2900: loss record\n"));
	assert_non_null(strstr(run.err, "cpu1:   2 lost (seq 3..4) between ts_ns 3500 and "));
	run_free(&run);
}

/* Whether @p has the annotation "@a". */
static bool has_annot(const struct pkt *p, const char *a)
{
	for (size_t i = 0; i < p->nannots; i++)
		if (!strcmp(p->annots[i], a))
			return true;
	return false;
}

/*
 * A line per figure cell of the system or cgroup CSV @t (@prefix "system"
 * or "cgroup") as check_trace() makes them from the trace: "- TRACK UNIT TS
 * VALUE" for the machine, "[PATH] TRACK UNIT TS VALUE" for a cgroup.
 */
static void want_figures(struct lines *want, const struct table *t,
			 const char *prefix)
{
	bool cg = !strcmp(prefix, "cgroup");

	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			char track[64], who[300] = "-";
			const char *unit, *cell = t->rows[r][c];
			unsigned int mult;

			if ((cg && (!strcmp(t->cols[c], "cgroup_id") ||
				    !strcmp(t->cols[c], "path"))) ||
			    !fig_track(prefix, t->cols[c], track, &unit, &mult) || !*cell)
				continue;
			if (cg)
				snprintf(who, sizeof(who), "[%s]",
					 t->rows[r][col_of(t, "path")]);
			add_line(want, "%s %s %s %s %llu", who, track, unit,
				 t->rows[r][col_of(t, "ts_ns")],
				 strtoull(cell, NULL, 10) * mult);
		}
	}
}

/*
 * The trace against the CSVs: every counter event is one CSV cell, every
 * CSV cell one counter event, with its pid, track name, unit, timestamp
 * and value; the process tracks; the instant events; the sequence.
 */
static void check_trace(const struct trace *t, const char *csv,
			const char *sys, const char *cg)
{
	struct lines got = { 0 }, want = { 0 };
	struct table pt, st, ct;
	size_t instants = 0;
	bool missed = false, lost3 = false, lost2 = false;

	assert_true(t->n > 0);
	/* one sequence, its incremental state cleared on its first packet */
	assert_true(t->p[0].has_flags);
	assert_int_equal(t->p[0].flags, 1);
	for (size_t i = 0; i < t->n; i++) {
		const struct pkt *p = &t->p[i], *d, *proc;

		assert_true(p->has_seq);
		assert_int_equal(p->seq, 1);
		assert_true(i == 0 || !p->has_flags);
		assert_true(p->desc != p->event);
		if (p->desc) {
			assert_true(p->uuid != 0);
			continue;
		}
		assert_true(p->has_ts);
		/* described before it is used */
		d = NULL;
		for (size_t j = 0; j < i; j++)
			if (t->p[j].desc && t->p[j].uuid == p->track)
				d = &t->p[j];
		assert_non_null(d);
		if (!strcmp(p->type, "TYPE_INSTANT")) {
			assert_string_equal(d->name, "memtrace losses");
			assert_false(d->has_parent);
			instants++;
			if (!strcmp(p->ename, "missed 3 ticks")) {
				assert_int_equal(p->ts, 3000);
				assert_true(has_annot(p, "ticks_missed=3"));
				missed = true;
			} else if (!strcmp(p->ename, "lost 3 records")) {
				assert_int_equal(p->ts, 2100);
				assert_true(has_annot(p, "cpu=0"));
				assert_true(has_annot(p, "lost=3"));
				assert_true(has_annot(p, "first_seq=5"));
				assert_true(has_annot(p, "last_ts_ns=2900"));
				assert_true(has_annot(p, "kind=loss record"));
				lost3 = true;
			} else if (!strcmp(p->ename, "lost 2 records")) {
				assert_int_equal(p->ts, 3500);
				assert_true(has_annot(p, "cpu=1"));
				assert_true(has_annot(p, "first_seq=3"));
				lost2 = true;
			} else {
				fail_msg("unexpected instant '%s'", p->ename);
			}
			continue;
		}
		assert_string_equal(p->type, "TYPE_COUNTER");
		assert_true(d->counter);
		assert_true(d->has_parent);
		proc = track_of(t, d->parent);
		assert_non_null(proc);
		if (proc->has_pid)
			add_line(&got, "%ld %s %s %" PRIu64 " %s", proc->pid,
				 d->name, d->unit, p->ts, p->value);
		else if (!strncmp(proc->name, "cgroup ", 7))
			/* "cgroup PATH": its figures by path */
			add_line(&got, "[%s] %s %s %" PRIu64 " %s", proc->name + 7,
				 d->name, d->unit, p->ts, p->value);
		else
			add_line(&got, "- %s %s %" PRIu64 " %s", d->name, d->unit,
				 p->ts, p->value);
		if (!proc->has_pid && strncmp(proc->name, "cgroup ", 7))
			assert_string_equal(proc->name, "memtrace system");
	}
	assert_int_equal(instants, 3);
	assert_true(missed && lost3 && lost2);

	read_table(csv, &pt);
	for (size_t r = 0; r < pt.nrows; r++) {
		char **row = pt.rows[r];

		for (size_t m = 0; m < sizeof(proc_map) / sizeof(proc_map[0]); m++) {
			const char *cell = row[col_of(&pt, proc_map[m].col)];

			if (!*cell)
				continue;
			add_line(&want, "%s %s %s %s %llu", row[col_of(&pt, "pid")],
				 proc_map[m].track, proc_map[m].unit,
				 row[col_of(&pt, "ts_ns")],
				 strtoull(cell, NULL, 10) * proc_map[m].mult);
		}
	}
	assert_int_equal(pt.nrows, 8);
	free_table(&pt);
	read_table(sys, &st);
	want_figures(&want, &st, "system");
	assert_int_equal(st.nrows, 2);
	free_table(&st);
	read_table(cg, &ct);
	want_figures(&want, &ct, "cgroup");
	assert_int_equal(ct.nrows, 3);
	free_table(&ct);
	/* the lines compare as text: sort the numbers' lines the same way */
	assert_same_lines(&got, &want);
}

/* Each pid's process track: its pid and the comm of its samples, renamed
 * (described again) when the comm changes. */
static void check_processes(const struct trace *t)
{
	static const struct {
		long pid;
		const char *names;
	} want[] = {
		{ 100, "alpha,gamma," }, { 200, "beta two," }, { 300, "delta," },
	};

	for (size_t w = 0; w < 3; w++) {
		char names[128] = "";
		uint64_t uuid = 0;

		for (size_t i = 0; i < t->n; i++) {
			const struct pkt *p = &t->p[i];

			if (!p->desc || !p->has_pid || p->pid != want[w].pid)
				continue;
			assert_true(!uuid || uuid == p->uuid);
			uuid = p->uuid;
			assert_false(p->counter || p->has_parent);
			strcat(names, p->pname);
			strcat(names, ",");
		}
		assert_string_equal(names, want[w].names);
	}
}

static void test_perfetto_matches_csv(void **state)
{
	char trace[PATH_MAX], csv[PATH_MAX], sys[PATH_MAX], pf[PATH_MAX];
	char csv2[PATH_MAX], sys2[PATH_MAX], pf2[PATH_MAX];
	char cg[PATH_MAX], cg2[PATH_MAX];
	const char *dec[] = { "-i", trace, "-o", csv2, "--system", sys2,
			      "--cgroups", cg2, "--perfetto", pf2, NULL };
	struct trace t;
	struct run run;
	size_t alen, blen;
	char *a, *b;

	(void)state;
	snprintf(trace, sizeof(trace), "%s/pf.trace", tmpdir);
	snprintf(csv, sizeof(csv), "%s/pf.csv", tmpdir);
	snprintf(sys, sizeof(sys), "%s/pf-sys.csv", tmpdir);
	snprintf(pf, sizeof(pf), "%s/pf-live.pftrace", tmpdir);
	snprintf(csv2, sizeof(csv2), "%s/pf2.csv", tmpdir);
	snprintf(sys2, sizeof(sys2), "%s/pf2-sys.csv", tmpdir);
	snprintf(pf2, sizeof(pf2), "%s/pf-dec.pftrace", tmpdir);
	snprintf(cg, sizeof(cg), "%s/pf-cg.csv", tmpdir);
	snprintf(cg2, sizeof(cg2), "%s/pf2-cg.csv", tmpdir);
	pf_session("pf", trace, csv, sys, cg, pf);

	/* the live session's trace */
	decode(pf, &t);
	check_trace(&t, csv, sys, cg);
	check_processes(&t);
	free(t.p);

	/* -i of its raw trace: the same Perfetto trace, byte for byte */
	run_reader(dec, "pf-dec", &run);
	check_status(&run, 0);
	run_free(&run);
	a = slurp(pf, &alen);
	b = slurp(pf2, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	decode(pf2, &t);
	check_trace(&t, csv2, sys2, cg2);
	free(t.p);
}

static void test_perfetto_errors(void **state)
{
	char trace[PATH_MAX], csv[PATH_MAX], sys[PATH_MAX], pf[PATH_MAX];
	char cg[PATH_MAX];
	char bad[PATH_MAX], keep[PATH_MAX], old[PATH_MAX], want[PATH_MAX + 64];
	const char *nodir[] = { "-i", trace, "-o", keep, "--perfetto", bad, NULL };
	const char *full[] = { "-i", trace, "-o", csv, "--perfetto", "/dev/full", NULL };
	const char *big[] = { "-i", trace, "-o", csv, "--perfetto", old, NULL };
	const char *same[] = { "-i", trace, "-o", csv, "--perfetto", csv, NULL };
	struct run run;

	(void)state;
	snprintf(trace, sizeof(trace), "%s/pfe.trace", tmpdir);
	snprintf(csv, sizeof(csv), "%s/pfe.csv", tmpdir);
	snprintf(sys, sizeof(sys), "%s/pfe-sys.csv", tmpdir);
	snprintf(pf, sizeof(pf), "%s/pfe.pftrace", tmpdir);
	snprintf(cg, sizeof(cg), "%s/pfe-cg.csv", tmpdir);
	pf_session("pfe", trace, csv, sys, cg, pf);

	/* a directory that is not there: at the start, before any output */
	snprintf(bad, sizeof(bad), "%s/no-such-dir/x.pftrace", tmpdir);
	snprintf(keep, sizeof(keep), "%s/pfe-keep.csv", tmpdir);
	spit(keep, "keep\n", 5, false);
	run_reader(nodir, "pfe-nodir", &run);
	check_status(&run, 1);
	snprintf(want, sizeof(want), "cannot create %s: No such file or directory", bad);
	assert_non_null(strstr(run.err, want));
	run_free(&run);
	want_file(keep, "keep\n");

	/* a write error: reported, exit status 1 */
	run_reader(full, "pfe-full", &run);
	check_status(&run, 1);
	assert_non_null(strstr(run.err, "writing /dev/full: No space left on device"));
	run_free(&run);

	/* a write error part-way into a regular file (the file size limit):
	 * the old file stays as it was, no temporary file is left */
	snprintf(old, sizeof(old), "%s/pfe-old.pftrace", tmpdir);
	spit(old, "old\n", 4, false);
	run_reader_fsize(big, 4096, "pfe-big", &run);
	check_status(&run, 1);
	snprintf(want, sizeof(want), "writing %s: File too large (the Perfetto trace is not kept)", old);
	assert_non_null(strstr(run.err, want));
	run_free(&run);
	want_file(old, "old\n");
	assert_int_equal(count_prefixed("pfe-old.pftrace"), 1);

	/* the same file as the CSV: bad usage */
	run_reader(same, "pfe-same", &run);
	check_status(&run, 2);
	assert_non_null(strstr(run.err, "-o and --perfetto name the same file"));
	run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perfetto_matches_csv),
		cmocka_unit_test(test_perfetto_errors),
	};
	int failed;

	if (tl_init("test_perfetto"))
		return 1;
	failed = cmocka_run_group_tests_name("memtrace-reader --perfetto", tests,
					     NULL, NULL);
	tl_done(failed);
	return failed ? 1 : 0;
}
