// SPDX-License-Identifier: GPL-2.0
/*
 * html.c - the HTML report sink (html.h): columns collected while records
 * stream, one HTML file written at the session's end.
 *
 * Memory: per sample 8 bytes of time, 4 for each of anon, file, shmem and
 * swap, 4 for each of the three rates, and 4 more for each of WSS, PSS and
 * the idle ages only in a process that has them (a column is allocated at
 * its first value): about 36 bytes a sample, 360 MB for 10 million.
 *
 * The data block is JSON (html_write_data()): the session's start, the
 * time span, the loss and missed-tick ranges, and one object per series
 * (each process, the machine, each cgroup) whose columns are one base64
 * string of little-endian typed arrays: time (float64, seconds since the
 * session's start) and then each column named in "cols" (uint32 kB, with
 * 0xffffffff for "no value", or float32 rates with NaN for "no value").
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "html.h"
#include "msg.h"
#include "tmpfile.h"
#include "utf8.h"

/*
 * A kB column's "no value".  A column holds 32-bit kB until a figure of
 * KB_NONE kB (4 TiB) or more comes: then it is widened to doubles (exact to
 * 2^53 kB), and the report reads it as such (html.h, report.js).
 */
#define KB_NONE UINT32_MAX
/* Columns a series has at most (a process: 4 + 2 + 4 idle + 3 rates). */
#define HS_COLS_MAX 13
/* The report's write buffer, bytes. */
#define HTML_BUF_SIZE (1u << 20)
/* Loss and missed-tick ranges kept (further ones are counted). */
#define RANGES_MAX 100000

enum hs_kind { HS_KB, HS_RATE };

/* A column: its name in the JSON, its kind, its values (NULL: none yet). */
struct hs_col {
	const char *name;
	enum hs_kind kind;
	bool wide;			/* HS_KB in doubles (NAN: no value) */
	void *v;			/* uint32_t[], double[] (wide) or float[], cap entries */
};

/*
 * One series: n rows of time and columns, and what its rate columns need
 * from the previous row (the cumulative counts, MEMTRACE_UNKNOWN: none).
 */
struct hseries {
	size_t n, cap;
	double *t;			/* seconds since the session's start */
	unsigned int ncols;
	struct hs_col col[HS_COLS_MAX];
	uint64_t prev_ts;		/* ts_ns of the previous row */
	uint64_t prev[HS_COLS_MAX];
};

/*
 * A process (by pid, and which process of that pid in the trace): its
 * series, the last comm seen, its peak RSS.
 */
struct hproc {
	uint32_t pid;
	uint32_t gen;			/* 1, or 2.. for a reused pid */
	char comm[MEMTRACE_COMM_LEN];
	uint32_t comm_len;
	uint64_t peak_rss_kb;
	uint32_t idle_s[MEMTRACE_IDLE_AGES];	/* the idle columns' ages */
	unsigned int n_idle;
	struct hseries s;
};

/* A cgroup (by id): its series and its path. */
struct hcg {
	uint64_t id;
	char *path;
	uint64_t peak_kb;
	struct hseries s;
};

/* A time range of lost records (kind: enum mt_run_kind) or missed ticks. */
struct hrange {
	uint64_t first_ts, last_ts, count;
	uint32_t cpu;
	int kind;			/* -1: missed ticks */
};

struct mt_html {
	const char *path;		/* as given; "-": standard output */
	char *final;			/* NULL: @path written directly */
	bool keep_mode;			/* @final existed: its mode kept */
	mode_t mode;
	struct mt_out *out;		/* while html_end() writes */
	struct mt_sink sink;
	uint64_t t0_ns, start_real_ns;
	bool t0_known;
	double t_min, t_max;
	bool any;

	struct hproc *procs;
	size_t nprocs, procs_cap;
	uint32_t *pid_tab;		/* open addressing: index + 1, 0 empty */
	size_t tab_cap;

	bool have_sys;
	struct hseries sys;
	struct hcg *cgs;
	size_t ncgs, cgs_cap;

	struct hrange *ranges;
	size_t nranges, ranges_cap;
	uint64_t ranges_dropped;
	/* missed ticks: the greatest ticks_missed seen and when it was seen */
	bool missed_known;
	uint64_t missed_max, missed_ts;
};

/* ---- series ------------------------------------------------------------- */

/* The process columns, in order (the idle ones are named idle0_kb ..). */
enum {
	P_ANON, P_FILE, P_SHMEM, P_SWAP, P_WSS, P_PSS, P_IDLE0,
	P_MINFLT = P_IDLE0 + MEMTRACE_IDLE_AGES, P_MAJFLT, P_CPU, P_NCOLS
};
static const struct { const char *name; enum hs_kind kind; } proc_cols[P_NCOLS] = {
	{ "anon_kb", HS_KB }, { "file_kb", HS_KB }, { "shmem_kb", HS_KB },
	{ "swap_kb", HS_KB }, { "wss_kb", HS_KB }, { "pss_kb", HS_KB },
	{ "idle0_kb", HS_KB }, { "idle1_kb", HS_KB }, { "idle2_kb", HS_KB },
	{ "idle3_kb", HS_KB }, { "minflt_per_s", HS_RATE },
	{ "majflt_per_s", HS_RATE }, { "cpu_pct", HS_RATE },
};

/* The machine's columns (system records). */
enum {
	Y_AVAIL, Y_FREE, Y_SWAP, Y_PSI_SOME, Y_PSI_FULL, Y_PSI_IO, Y_REF_ANON,
	Y_REF_FILE, Y_SWPIN, Y_SWPOUT, Y_MAJFLT, Y_NCOLS
};
static const struct { const char *name; enum hs_kind kind; } sys_cols[Y_NCOLS] = {
	{ "memavailable_kb", HS_KB }, { "memfree_kb", HS_KB },
	{ "swap_used_kb", HS_KB }, { "psi_memory_some_pct", HS_RATE },
	{ "psi_memory_full_pct", HS_RATE }, { "psi_io_some_pct", HS_RATE },
	{ "refault_anon_per_s", HS_RATE }, { "refault_file_per_s", HS_RATE },
	{ "pswpin_per_s", HS_RATE }, { "pswpout_per_s", HS_RATE },
	{ "pgmajfault_per_s", HS_RATE },
};

/* A cgroup's columns (cgroup records; figures of struct mt_cginfo's v[]). */
enum {
	C_CURRENT, C_SWAP, C_PSI_SOME, C_PSI_FULL, C_REF_ANON, C_REF_FILE,
	C_NCOLS
};
static const struct { const char *name; enum hs_kind kind; } cg_cols[C_NCOLS] = {
	{ "memory_current_kb", HS_KB }, { "memory_swap_current_kb", HS_KB },
	{ "psi_memory_some_pct", HS_RATE }, { "psi_memory_full_pct", HS_RATE },
	{ "refault_anon_per_s", HS_RATE }, { "refault_file_per_s", HS_RATE },
};
/* Indexes in mt_cginfo.v[] (the order of mt_cgroup_names[]). */
enum {
	CGV_CURRENT = 0, CGV_SWAP = 1, CGV_REF_ANON = 5, CGV_REF_FILE = 6,
	CGV_PSI_SOME = 10, CGV_PSI_FULL = 11,
};

#define HS_INIT(hs, cols, n)                                    \
	do {                                                    \
		(hs)->ncols = (n);                              \
		for (unsigned int i_ = 0; i_ < (n); i_++) {     \
			(hs)->col[i_].name = (cols)[i_].name;   \
			(hs)->col[i_].kind = (cols)[i_].kind;   \
			(hs)->prev[i_] = MEMTRACE_UNKNOWN;      \
		}                                               \
	} while (0)

static void hs_free(struct hseries *hs)
{
	free(hs->t);
	for (unsigned int c = 0; c < hs->ncols; c++)
		free(hs->col[c].v);
}

/* Fill entries [from, to) of column @c with "no value". */
static void hs_fill_none(struct hs_col *c, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		if (c->wide)
			((double *)c->v)[i] = NAN;
		else if (c->kind == HS_KB)
			((uint32_t *)c->v)[i] = KB_NONE;
		else
			((float *)c->v)[i] = NAN;
	}
}

/* Bytes of one value of column @c. */
static size_t col_size(const struct hs_col *c)
{
	return c->wide ? sizeof(double) : 4;
}

/* Room for column @c's values up to hs->cap.  0, or -1 (out of memory). */
static int hs_col_grow(struct hseries *hs, struct hs_col *c, size_t old_cap)
{
	void *v = realloc(c->v, hs->cap * col_size(c));

	if (!v)
		return -1;
	c->v = v;
	hs_fill_none(c, old_cap, hs->cap);
	return 0;
}

/*
 * A new row at @ts_ns (time @t), every column "no value" until set.  Its
 * index, or -1 (out of memory).
 */
static ssize_t hs_push(struct hseries *hs, double t)
{
	if (hs->n == hs->cap) {
		/* small at first: most processes have few rows */
		size_t old = hs->cap, cap = old ? old + old / 2 : 8;
		double *nt = realloc(hs->t, cap * sizeof(*nt));

		if (!nt)
			return -1;
		hs->t = nt;
		hs->cap = cap;
		for (unsigned int c = 0; c < hs->ncols; c++)
			if (hs->col[c].v && hs_col_grow(hs, &hs->col[c], old))
				return -1;
	}
	hs->t[hs->n] = t;
	return (ssize_t)hs->n++;
}

/*
 * Column @c's 32-bit kB values as doubles, in place (from the last, which
 * the wider entries overwrite last).  0, or -1 (out of memory).
 */
static int hs_col_widen(struct hseries *hs, struct hs_col *c)
{
	double *v = realloc(c->v, hs->cap * sizeof(double));
	uint32_t u;

	if (!v)
		return -1;
	for (size_t i = hs->cap; i-- > 0;) {
		memcpy(&u, (char *)v + 4 * i, sizeof(u));
		v[i] = u == KB_NONE ? NAN : (double)u;
	}
	c->v = v;
	c->wide = true;
	return 0;
}

/* Column @c of row @i: @kb kB (MEMTRACE_UNKNOWN: no value).  0 or -1. */
static int hs_set_kb(struct hseries *hs, unsigned int c, size_t i, uint64_t kb)
{
	struct hs_col *col = &hs->col[c];

	if (kb == MEMTRACE_UNKNOWN)
		return 0;
	if (!col->v && hs_col_grow(hs, col, 0))
		return -1;
	if (kb >= KB_NONE && !col->wide && hs_col_widen(hs, col))
		return -1;
	if (col->wide)
		((double *)col->v)[i] = (double)kb;
	else
		((uint32_t *)col->v)[i] = (uint32_t)kb;
	return 0;
}

/* Column @c of row @i: @v (not finite: no value).  0 or -1. */
static int hs_set_rate(struct hseries *hs, unsigned int c, size_t i, double v)
{
	struct hs_col *col = &hs->col[c];

	if (!isfinite(v))
		return 0;
	if (!col->v && hs_col_grow(hs, col, 0))
		return -1;
	((float *)col->v)[i] = (float)v;
	return 0;
}

/*
 * Rate column @c of row @i (at @ts_ns) from the cumulative count @cur
 * (MEMTRACE_UNKNOWN: not known): (cur - previous) * @mult / ns since the
 * previous row.  No value for a first row, a count that went down or a
 * time that did not advance.  0 or -1.
 */
static int hs_rate(struct hseries *hs, unsigned int c, size_t i,
		   uint64_t ts_ns, uint64_t cur, double mult)
{
	uint64_t prev = hs->prev[c];

	hs->prev[c] = cur;
	if (i == 0 || cur == MEMTRACE_UNKNOWN || prev == MEMTRACE_UNKNOWN ||
	    cur < prev || ts_ns <= hs->prev_ts)
		return 0;
	return hs_set_rate(hs, c, i,
			   (double)(cur - prev) * mult / (double)(ts_ns - hs->prev_ts));
}

/* ---- collecting --------------------------------------------------------- */

/* Seconds since the session's start of @ts_ns; widens the span. */
static double html_t(struct mt_html *h, uint64_t ts_ns)
{
	double t;

	if (!h->t0_known) {
		h->t0_ns = ts_ns;
		h->t0_known = true;
	}
	t = ts_ns >= h->t0_ns ? (double)(ts_ns - h->t0_ns) / 1e9 :
				-(double)(h->t0_ns - ts_ns) / 1e9;
	if (!h->any || t < h->t_min)
		h->t_min = t;
	if (!h->any || t > h->t_max)
		h->t_max = t;
	h->any = true;
	return t;
}

static int oom(void)
{
	mt_msg("--html: out of memory");
	return -1;
}

/*
 * The array @p of *@cap entries of @size bytes, @n used, with room for
 * one more (doubled when full): the array, or NULL (out of memory; @p is
 * left as it was).
 */
static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? 2 * *cap : 16;

	if (n < *cap)
		return p;
	p = realloc(p, c * size);
	if (p)
		*cap = c;
	return p;
}

/* A range of lost records or missed ticks (kept up to RANGES_MAX).  0, -1. */
static int add_range(struct mt_html *h, int kind, uint32_t cpu,
		     uint64_t first_ts, uint64_t last_ts, uint64_t count)
{
	struct hrange *r;

	if (h->nranges == RANGES_MAX) {
		h->ranges_dropped++;
		return 0;
	}
	r = grow(h->ranges, &h->ranges_cap, h->nranges, sizeof(*r));
	if (!r)
		return oom();
	h->ranges = r;
	r = &h->ranges[h->nranges++];
	r->kind = kind;
	r->cpu = cpu;
	r->first_ts = first_ts <= last_ts ? first_ts : last_ts;
	r->last_ts = last_ts;
	r->count = count;
	return 0;
}

/*
 * The module-wide ticks_missed count at @ts_ns: a rise since the greatest
 * seen before is a range of missed ticks from when that was seen to now.
 */
static int note_missed(struct mt_html *h, uint32_t cpu, uint64_t ts_ns,
		       uint64_t missed)
{
	int ret = 0;

	if (missed == MT_TICKS_MISSED_UNKNOWN)
		return 0;
	if (h->missed_known && missed > h->missed_max)
		ret = add_range(h, -1, cpu, h->missed_ts, ts_ns,
				missed - h->missed_max);
	if (!h->missed_known || missed >= h->missed_max) {
		h->missed_known = true;
		h->missed_max = missed;
		h->missed_ts = ts_ns;
	}
	return ret;
}

static size_t pid_slot(uint32_t pid, size_t cap)
{
	return (size_t)((pid * 2654435761u) & (cap - 1));
}

/* A new entry of h->procs for @pid (which process @gen of it).  NULL: out of memory. */
static struct hproc *add_proc(struct mt_html *h, uint32_t pid, uint32_t gen)
{
	struct hproc *p = grow(h->procs, &h->procs_cap, h->nprocs, sizeof(*p));

	if (!p)
		return NULL;
	h->procs = p;
	p = &h->procs[h->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->gen = gen;
	HS_INIT(&p->s, proc_cols, P_NCOLS);
	return p;
}

/*
 * Whether @r is of another process than @p's last row, of the same pid (a
 * pid reused): its CPU time (utime + stime, never lower for one process:
 * the module clamps it as the kernel does, module/proc.c) is lower, or its
 * command differs and its minor faults (the signal struct's, kept across
 * exec) are fewer.  A new process that has already run longer than the old
 * one, or with the same name and more faults, is not told apart.
 */
static bool pid_reused(const struct hproc *p, const struct mt_record *r)
{
	uint64_t cpu = r->utime_ns + r->stime_ns, pcpu = p->s.prev[P_CPU];
	uint64_t pflt = p->s.prev[P_MINFLT];
	size_t len = r->comm_len > MEMTRACE_COMM_LEN ? MEMTRACE_COMM_LEN : r->comm_len;

	if (!p->s.n)
		return false;
	if (pcpu != MEMTRACE_UNKNOWN && r->utime_ns != MEMTRACE_UNKNOWN &&
	    r->stime_ns != MEMTRACE_UNKNOWN && cpu < pcpu)
		return true;
	return pflt != MEMTRACE_UNKNOWN && r->minflt != MEMTRACE_UNKNOWN &&
	       r->minflt < pflt &&
	       (len != p->comm_len || memcmp(r->comm, p->comm, len));
}

/*
 * The process of sample @r (by its pid; a new one when the pid was
 * reused, see pid_reused()), added when new.  NULL: out of memory.
 */
static struct hproc *find_proc(struct mt_html *h, const struct mt_record *r)
{
	uint32_t pid = r->tgid;
	size_t i;
	struct hproc *p;

	if (h->tab_cap) {
		for (i = pid_slot(pid, h->tab_cap); h->pid_tab[i];
		     i = (i + 1) & (h->tab_cap - 1)) {
			p = &h->procs[h->pid_tab[i] - 1];
			if (p->pid != pid)
				continue;
			if (!pid_reused(p, r))
				return p;
			/* the pid's slot now names its newest process */
			p = add_proc(h, pid, p->gen + 1);
			if (p)
				h->pid_tab[i] = (uint32_t)++h->nprocs;
			return p;
		}
	}
	if (2 * (h->nprocs + 1) > h->tab_cap) {
		size_t cap = h->tab_cap ? 2 * h->tab_cap : 256;
		uint32_t *tab = calloc(cap, sizeof(*tab));

		if (!tab)
			return NULL;
		/* a reused pid's later process (later in h->procs) wins */
		for (size_t k = 0; k < h->nprocs; k++) {
			for (i = pid_slot(h->procs[k].pid, cap);
			     tab[i] && h->procs[tab[i] - 1].pid != h->procs[k].pid;
			     i = (i + 1) & (cap - 1))
				;
			tab[i] = (uint32_t)k + 1;
		}
		free(h->pid_tab);
		h->pid_tab = tab;
		h->tab_cap = cap;
	}
	p = add_proc(h, pid, 1);
	if (!p)
		return NULL;
	for (i = pid_slot(pid, h->tab_cap); h->pid_tab[i];
	     i = (i + 1) & (h->tab_cap - 1))
		;
	h->pid_tab[i] = (uint32_t)++h->nprocs;
	return p;
}

/* The idle column of process @p for age @s seconds (-1: no room left). */
static int idle_col(struct hproc *p, uint32_t s)
{
	for (unsigned int k = 0; k < p->n_idle; k++)
		if (p->idle_s[k] == s)
			return P_IDLE0 + (int)k;
	if (p->n_idle == MEMTRACE_IDLE_AGES)
		return -1;
	p->idle_s[p->n_idle] = s;
	return P_IDLE0 + (int)p->n_idle++;
}

static int add_sample(struct mt_html *h, const struct mt_record *r)
{
	struct hproc *p = find_proc(h, r);
	uint64_t ts = r->hdr.ts_ns, rss;
	struct hseries *hs;
	ssize_t i;
	int err;

	if (!p)
		return oom();
	hs = &p->s;
	i = hs_push(hs, html_t(h, ts));
	if (i < 0)
		return oom();
	memcpy(p->comm, r->comm, sizeof(p->comm));
	p->comm_len = r->comm_len > MEMTRACE_COMM_LEN ? MEMTRACE_COMM_LEN :
							r->comm_len;
	rss = r->rss_anon_kb + r->rss_file_kb + r->rss_shmem_kb;
	if (rss > p->peak_rss_kb)
		p->peak_rss_kb = rss;
	err = hs_set_kb(hs, P_ANON, i, r->rss_anon_kb) ||
	      hs_set_kb(hs, P_FILE, i, r->rss_file_kb) ||
	      hs_set_kb(hs, P_SHMEM, i, r->rss_shmem_kb) ||
	      hs_set_kb(hs, P_SWAP, i, r->swap_kb);
	if (!err && (r->flags & MEMTRACE_SAMPLE_WSS_VALID))
		err = hs_set_kb(hs, P_WSS, i, r->wss_kb);
	if (!err && (r->flags & MEMTRACE_SAMPLE_PSS_VALID))
		err = hs_set_kb(hs, P_PSS, i, r->pss_kb);
	for (size_t k = 0; !err && (r->flags & MEMTRACE_SAMPLE_IDLE_VALID) &&
	     k < MEMTRACE_IDLE_AGES; k++) {
		int c = r->idle_s[k] ? idle_col(p, r->idle_s[k]) : -1;

		if (c >= 0)
			err = hs_set_kb(hs, (unsigned int)c, i, r->idle_kb[k]);
	}
	if (!err)
		err = hs_rate(hs, P_MINFLT, i, ts, r->minflt, 1e9) ||
		      hs_rate(hs, P_MAJFLT, i, ts, r->majflt, 1e9) ||
		      hs_rate(hs, P_CPU, i, ts, r->utime_ns + r->stime_ns, 100);
	hs->prev_ts = ts;
	if (err)
		return oom();
	return note_missed(h, r->hdr.cpu, ts, r->ticks_missed);
}

/* v[a] - v[b] of a system record, MEMTRACE_UNKNOWN unless both known. */
static uint64_t sys_diff(const uint64_t *v, size_t a, size_t b)
{
	if (v[a] == MEMTRACE_UNKNOWN || v[b] == MEMTRACE_UNKNOWN || v[a] < v[b])
		return MEMTRACE_UNKNOWN;
	return v[a] - v[b];
}

static int add_system(struct mt_html *h, const struct mt_record *r)
{
	const uint64_t *v = r->sys.v;
	struct hseries *hs = &h->sys;
	uint64_t ts = r->hdr.ts_ns;
	ssize_t i;
	int err;

	if (!h->have_sys) {
		HS_INIT(hs, sys_cols, Y_NCOLS);
		h->have_sys = true;
	}
	i = hs_push(hs, html_t(h, ts));
	if (i < 0)
		return oom();
	err = hs_set_kb(hs, Y_AVAIL, i, v[MT_SYS_IDX(memavailable_kb)]) ||
	      hs_set_kb(hs, Y_FREE, i, v[MT_SYS_IDX(memfree_kb)]) ||
	      hs_set_kb(hs, Y_SWAP, i, sys_diff(v, MT_SYS_IDX(swaptotal_kb),
						MT_SYS_IDX(swapfree_kb))) ||
	      hs_rate(hs, Y_PSI_SOME, i, ts, v[MT_SYS_IDX(psi_memory_some_us)], 1e5) ||
	      hs_rate(hs, Y_PSI_FULL, i, ts, v[MT_SYS_IDX(psi_memory_full_us)], 1e5) ||
	      hs_rate(hs, Y_PSI_IO, i, ts, v[MT_SYS_IDX(psi_io_some_us)], 1e5) ||
	      hs_rate(hs, Y_REF_ANON, i, ts, v[MT_SYS_IDX(workingset_refault_anon)], 1e9) ||
	      hs_rate(hs, Y_REF_FILE, i, ts, v[MT_SYS_IDX(workingset_refault_file)], 1e9) ||
	      hs_rate(hs, Y_SWPIN, i, ts, v[MT_SYS_IDX(pswpin)], 1e9) ||
	      hs_rate(hs, Y_SWPOUT, i, ts, v[MT_SYS_IDX(pswpout)], 1e9) ||
	      hs_rate(hs, Y_MAJFLT, i, ts, v[MT_SYS_IDX(pgmajfault)], 1e9);
	hs->prev_ts = ts;
	if (err)
		return oom();
	return note_missed(h, r->hdr.cpu, ts, r->sys.ticks_missed);
}

static int add_cgroup(struct mt_html *h, const struct mt_record *r)
{
	const struct mt_cginfo *c = &r->cg;
	uint64_t ts = r->hdr.ts_ns;
	struct hseries *hs;
	struct hcg *g = NULL;
	ssize_t i;
	int err;

	/* few cgroups: a linear search, newest first */
	for (size_t k = h->ncgs; k-- > 0;)
		if (h->cgs[k].id == c->cgroup_id) {
			g = &h->cgs[k];
			break;
		}
	if (!g) {
		g = grow(h->cgs, &h->cgs_cap, h->ncgs, sizeof(*g));
		if (!g)
			return oom();
		h->cgs = g;
		g = &h->cgs[h->ncgs];
		memset(g, 0, sizeof(*g));
		g->id = c->cgroup_id;
		g->path = strndup(c->path ? c->path : "", c->path_len);
		if (!g->path)
			return oom();
		HS_INIT(&g->s, cg_cols, C_NCOLS);
		h->ncgs++;
	}
	hs = &g->s;
	i = hs_push(hs, html_t(h, ts));
	if (i < 0)
		return oom();
	if (c->v[CGV_CURRENT] != MEMTRACE_UNKNOWN && c->v[CGV_CURRENT] > g->peak_kb)
		g->peak_kb = c->v[CGV_CURRENT];
	err = hs_set_kb(hs, C_CURRENT, i, c->v[CGV_CURRENT]) ||
	      hs_set_kb(hs, C_SWAP, i, c->v[CGV_SWAP]) ||
	      hs_rate(hs, C_PSI_SOME, i, ts, c->v[CGV_PSI_SOME], 1e5) ||
	      hs_rate(hs, C_PSI_FULL, i, ts, c->v[CGV_PSI_FULL], 1e5) ||
	      hs_rate(hs, C_REF_ANON, i, ts, c->v[CGV_REF_ANON], 1e9) ||
	      hs_rate(hs, C_REF_FILE, i, ts, c->v[CGV_REF_FILE], 1e9);
	hs->prev_ts = ts;
	return err ? oom() : 0;
}

static int html_begin(void *ctx, const struct mt_sess *s)
{
	struct mt_html *h = ctx;

	h->start_real_ns = s->start_real_ns;
	if (s->start_mono_ns) {
		h->t0_ns = s->start_mono_ns;
		h->t0_known = true;
	}
	return 0;
}

static int html_record(void *ctx, const struct mt_sess *s, enum mt_status st,
		       const struct mt_record *rec)
{
	struct mt_html *h = ctx;

	(void)s;
	switch (st) {
	case MT_OK:
		return add_sample(h, rec);
	case MT_SYSTEM:
		return add_system(h, rec);
	case MT_CGROUP:
		return add_cgroup(h, rec);
	default:	/* loss records: their runs come to html_loss() */
		return 0;
	}
}

static int html_loss(void *ctx, const struct mt_sess *s, uint32_t cpu,
		     const struct mt_run *run)
{
	(void)s;
	return add_range(ctx, (int)run->kind, cpu, run->first_ts, run->last_ts,
			 run->lost);
}

/* ---- writing ------------------------------------------------------------ */

/* A base64 encoder writing to an mt_out in chunks. */
struct b64 {
	struct mt_out *o;
	unsigned char in[3];
	size_t nin;
	char buf[4096];
	size_t nbuf;
	int err;
};

static const char b64_abc[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_flush(struct b64 *b)
{
	if (!b->err && b->nbuf && mt_out_write(b->o, b->buf, b->nbuf))
		b->err = -1;
	b->nbuf = 0;
}

static void b64_quad(struct b64 *b, const unsigned char *in, size_t n)
{
	uint32_t v = (uint32_t)in[0] << 16 | (n > 1 ? (uint32_t)in[1] << 8 : 0) |
		     (n > 2 ? in[2] : 0);
	char *p;

	if (b->nbuf + 4 > sizeof(b->buf))
		b64_flush(b);
	p = b->buf + b->nbuf;
	p[0] = b64_abc[v >> 18];
	p[1] = b64_abc[(v >> 12) & 63];
	p[2] = n > 1 ? b64_abc[(v >> 6) & 63] : '=';
	p[3] = n > 2 ? b64_abc[v & 63] : '=';
	b->nbuf += 4;
}

static void b64_put(struct b64 *b, const void *src, size_t n)
{
	const unsigned char *s = src;

	while (n--) {
		b->in[b->nin++] = *s++;
		if (b->nin == 3) {
			b64_quad(b, b->in, 3);
			b->nin = 0;
		}
	}
}

/* The rest (with padding), then everything written.  0 or -1. */
static int b64_end(struct b64 *b)
{
	if (b->nin)
		b64_quad(b, b->in, b->nin);
	b->nin = 0;
	b64_flush(b);
	return b->err;
}

static void b64_f64(struct b64 *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	u = htole64(u);
	b64_put(b, &u, sizeof(u));
}

/* A column value (its 4 bytes, little-endian). */
static void b64_u32(struct b64 *b, uint32_t u)
{
	u = htole32(u);
	b64_put(b, &u, sizeof(u));
}

/* Value @i of column @c into @b, as it is stored. */
static void b64_col(struct b64 *b, const struct hs_col *c, size_t i)
{
	uint32_t u;

	if (c->wide) {
		b64_f64(b, ((const double *)c->v)[i]);
		return;
	}
	memcpy(&u, (const char *)c->v + 4 * i, sizeof(u));
	b64_u32(b, u);
}

/* Whether column value @a is a value and @b is none or less (@lt) / more. */
static bool col_better(const struct hs_col *c, size_t a, size_t b, bool lt)
{
	if (c->wide) {
		double x = ((double *)c->v)[a], y = ((double *)c->v)[b];

		return !isnan(x) && (isnan(y) || (lt ? x < y : x > y));
	} else if (c->kind == HS_KB) {
		uint32_t x = ((uint32_t *)c->v)[a], y = ((uint32_t *)c->v)[b];

		return x != KB_NONE && (y == KB_NONE || (lt ? x < y : x > y));
	} else {
		float x = ((float *)c->v)[a], y = ((float *)c->v)[b];

		return !isnan(x) && (isnan(y) || (lt ? x < y : x > y));
	}
}

/*
 * The first of @n rows in bucket @k of @buckets (k == buckets: n), in 64
 * bits so that k * n cannot wrap a 32-bit size_t.
 */
static size_t bucket_start(size_t k, size_t n, size_t buckets)
{
	return (size_t)((uint64_t)k * n / buckets);
}

/*
 * Column @c of the points of a series of @n rows in @npts points: each
 * row, or each bucket's minimum and maximum (html.h).
 */
static void put_col(struct b64 *b, const struct hs_col *c, size_t n,
		    size_t npts)
{
	if (npts == n) {
		for (size_t i = 0; i < n; i++)
			b64_col(b, c, i);
		return;
	}
	for (size_t k = 0; k < npts / 2; k++) {
		size_t lo = bucket_start(k, n, npts / 2);
		size_t hi = bucket_start(k + 1, n, npts / 2);
		size_t mn = lo, mx = lo;

		for (size_t i = lo + 1; i < hi; i++) {
			if (col_better(c, i, mn, true))
				mn = i;
			if (col_better(c, i, mx, false))
				mx = i;
		}
		b64_col(b, c, mn);
		b64_col(b, c, mx);
	}
}

/*
 * @s (@len bytes: a comm or a path, any bytes) as a JSON string: valid
 * UTF-8 as it is (the page is UTF-8); '"' and '\\' escaped; control bytes,
 * '<', '>', '&' and each byte that does not start a valid UTF-8 sequence
 * as \u00XX (that byte read as Latin-1).
 */
static int put_jstr(struct mt_out *o, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char buf[8];

	if (mt_out_write(o, "\"", 1))
		return -1;
	for (size_t i = 0; i < len;) {
		unsigned char ch = u[i];
		size_t l = ch >= 0x80 ? mt_utf8_len(u + i, len - i) : 1;
		int n;

		if (l > 1) {
			if (mt_out_write(o, s + i, l))
				return -1;
			i += l;
			continue;
		}
		if (ch == '"' || ch == '\\')
			n = snprintf(buf, sizeof(buf), "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f || ch == '<' || ch == '>' ||
			 ch == '&')
			n = snprintf(buf, sizeof(buf), "\\u%04x", ch);
		else
			n = snprintf(buf, sizeof(buf), "%c", ch);
		if (mt_out_write(o, buf, (size_t)n))
			return -1;
		i++;
	}
	return mt_out_write(o, "\"", 1);
}

__attribute__((format(printf, 2, 3)))
static int put_fmt(struct mt_out *o, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return mt_out_write(o, buf, (size_t)n);
}

/* A time as JSON: seconds since the session's start. */
static double ts_sec(const struct mt_html *h, uint64_t ts_ns)
{
	return ts_ns >= h->t0_ns ? (double)(ts_ns - h->t0_ns) / 1e9 :
				   -(double)(h->t0_ns - ts_ns) / 1e9;
}

/*
 * The names of @hs's columns that have a value (only the wide ones: @wide),
 * as JSON strings separated by commas, @lead before the first.  0 or -1.
 */
static int put_col_names(struct mt_out *o, const struct hseries *hs,
			 bool wide, const char *lead)
{
	bool first = true;

	for (unsigned int c = 0; c < hs->ncols; c++) {
		if (!hs->col[c].v || (wide && !hs->col[c].wide))
			continue;
		if (put_fmt(o, "%s\"%s\"", first ? lead : ",", hs->col[c].name))
			return -1;
		first = false;
	}
	return 0;
}

/*
 * A series' fields: "rows" (its rows), "n" (its points), "cols" (the
 * columns that have a value), "wide" (those of them in doubles, when there
 * are any), "b" (base64: time, then those columns).
 */
static int put_series(struct mt_out *o, const struct hseries *hs)
{
	size_t npts = hs->n > MT_HTML_POINTS_MAX ? MT_HTML_POINTS_MAX : hs->n;
	struct b64 b = { .o = o };

	if (put_fmt(o, "\"rows\":%zu,\"n\":%zu,\"cols\":[", hs->n, npts) ||
	    put_col_names(o, hs, false, "") ||
	    put_col_names(o, hs, true, "],\"wide\":[") ||
	    mt_out_write(o, "],\"b\":\"", 7))
		return -1;
	if (npts == hs->n) {
		for (size_t i = 0; i < hs->n; i++)
			b64_f64(&b, hs->t[i]);
	} else {
		for (size_t k = 0; k < npts / 2; k++) {
			b64_f64(&b, hs->t[bucket_start(k, hs->n, npts / 2)]);
			b64_f64(&b, hs->t[bucket_start(k + 1, hs->n, npts / 2) - 1]);
		}
	}
	for (unsigned int c = 0; c < hs->ncols; c++)
		if (hs->col[c].v)
			put_col(&b, &hs->col[c], hs->n, npts);
	if (b64_end(&b))
		return -1;
	return mt_out_write(o, "\"", 1);
}

static int put_proc(struct mt_out *o, const struct hproc *p)
{
	if (put_fmt(o, "{\"pid\":%" PRIu32 ",\"gen\":%" PRIu32 ",\"comm\":",
		    p->pid, p->gen) ||
	    put_jstr(o, p->comm, p->comm_len) ||
	    put_fmt(o, ",\"peak_rss_kb\":%" PRIu64 ",\"idle_s\":[", p->peak_rss_kb))
		return -1;
	for (unsigned int k = 0; k < p->n_idle; k++)
		if (put_fmt(o, "%s%" PRIu32, k ? "," : "", p->idle_s[k]))
			return -1;
	if (mt_out_write(o, "],", 2) || put_series(o, &p->s))
		return -1;
	return mt_out_write(o, "}", 1);
}

static const char *const run_kinds[] = {
	[MT_RUN_GAP] = "gap", [MT_RUN_LOSSREC] = "loss record",
	[MT_RUN_END] = "end", [MT_RUN_UNREAD] = "unread",
};

/* The JSON data block. */
static int html_write_data(struct mt_html *h)
{
	struct mt_out *o = h->out;

	if (put_fmt(o, "{\"version\":1,\"start_real_ns\":%" PRIu64
		    ",\"t_min\":%.9g,\"t_max\":%.9g,\"points_max\":%d,\"ranges_dropped\":%" PRIu64
		    ",\"ranges\":[", h->start_real_ns, h->any ? h->t_min : 0.0,
		    h->any ? h->t_max : 0.0, MT_HTML_POINTS_MAX, h->ranges_dropped))
		return -1;
	for (size_t i = 0; i < h->nranges; i++) {
		const struct hrange *r = &h->ranges[i];
		const char *kind = r->kind < 0 ? "missed ticks" :
				   (size_t)r->kind < sizeof(run_kinds) / sizeof(run_kinds[0]) &&
				   run_kinds[r->kind] ? run_kinds[r->kind] : "lost";

		if (put_fmt(o, "%s{\"kind\":\"%s\",\"cpu\":%" PRIu32
			    ",\"t0\":%.9g,\"t1\":%.9g,\"count\":%" PRIu64 "}",
			    i ? "," : "", kind, r->cpu, ts_sec(h, r->first_ts),
			    ts_sec(h, r->last_ts), r->count))
			return -1;
	}
	if (mt_out_write(o, "],\"procs\":[", 11))
		return -1;
	for (size_t i = 0; i < h->nprocs; i++)
		if ((i && mt_out_write(o, ",", 1)) || put_proc(o, &h->procs[i]))
			return -1;
	if (mt_out_write(o, "],\"system\":", 11))
		return -1;
	if (!h->have_sys) {
		if (mt_out_write(o, "null", 4))
			return -1;
	} else if (mt_out_write(o, "{", 1) || put_series(o, &h->sys) ||
		   mt_out_write(o, "}", 1)) {
		return -1;
	}
	if (mt_out_write(o, ",\"cgroups\":[", 12))
		return -1;
	for (size_t i = 0; i < h->ncgs; i++) {
		const struct hcg *g = &h->cgs[i];

		if (put_fmt(o, "%s{\"id\":%" PRIu64 ",\"peak_kb\":%" PRIu64 ",\"path\":",
			    i ? "," : "", g->id, g->peak_kb) ||
		    put_jstr(o, g->path, strlen(g->path)) ||
		    mt_out_write(o, ",", 1) || put_series(o, &g->s) ||
		    mt_out_write(o, "}", 1))
			return -1;
	}
	return mt_out_write(o, "]}", 2);
}

/* Write the report to @fd (@name in messages).  0, or -1 (reported). */
static int html_write(struct mt_html *h, int fd, const char *name)
{
	struct mt_out o;
	int ret = 0;

	if (mt_out_init(&o, fd, name, HTML_BUF_SIZE)) {
		mt_msg("out of memory");
		return -1;
	}
	h->out = &o;
	if (mt_out_write(&o, mt_report_head, mt_report_head_len) ||
	    html_write_data(h) ||
	    mt_out_write(&o, mt_report_tail, mt_report_tail_len) ||
	    mt_out_flush(&o)) {
		mt_out_report(&o);
		ret = -1;
	}
	h->out = NULL;
	mt_out_free(&o);
	return ret;
}

/* "-" and files that are not regular (a pipe, /dev/null): written as they are. */
static int html_end_direct(struct mt_html *h)
{
	int fd = STDOUT_FILENO, ret;

	if (strcmp(h->path, "-")) {
		fd = open(h->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0) {
			mt_msg("cannot create %s: %s", h->path, strerror(errno));
			return -1;
		}
	}
	ret = html_write(h, fd, strcmp(h->path, "-") ? h->path : "standard output");
	if (fd != STDOUT_FILENO && close(fd) && !ret) {
		mt_msg("closing %s: %s", h->path, strerror(errno));
		ret = -1;
	}
	return ret;
}

/*
 * The report into a new temporary file beside the file, flushed, fsync'ed
 * and renamed over it: a failure leaves the file as it was (the temporary
 * is removed).
 */
static int html_end(void *ctx, const struct mt_sess *s)
{
	struct mt_html *h = ctx;
	char *tmp;
	int fd, ret;

	(void)s;
	if (!h->final)
		return html_end_direct(h);
	fd = create_tmp_beside(h->final, &tmp);
	if (fd < 0) {
		mt_msg("cannot create a temporary file beside %s: %s", h->final,
		       strerror(errno));
		return -1;
	}
	if (h->keep_mode && fchmod(fd, h->mode)) {
		mt_msg("cannot create %s: %s", h->path, strerror(errno));
		ret = -1;
	} else {
		ret = html_write(h, fd, h->path);
	}
	if (!ret && fsync(fd)) {
		mt_msg("writing %s: %s", h->path, strerror(errno));
		ret = -1;
	}
	if (close(fd) && !ret) {
		mt_msg("closing %s: %s", h->path, strerror(errno));
		ret = -1;
	}
	if (!ret && rename(tmp, h->final)) {
		mt_msg("cannot rename %s to %s: %s", tmp, h->final, strerror(errno));
		ret = -1;
	}
	if (ret) {
		unlink(tmp);
		mt_msg("%s: the HTML report is not written (the file is as it was)",
		       h->path);
	}
	free(tmp);
	return ret;
}

/*
 * The start check: that @h->path can be replaced (a new file can be made
 * beside it; made and removed again).  0, or -1 (reported).
 */
static int html_check(struct mt_html *h)
{
	struct stat st;
	bool exists;
	char *tmp;
	int fd;

	if (!strcmp(h->path, "-"))
		return 0;
	exists = !stat(h->path, &st);
	if (exists && !S_ISREG(st.st_mode)) {
		if (access(h->path, W_OK))
			goto out_create;
		return 0;
	}
	if (exists && access(h->path, W_OK))
		goto out_create;
	/* beside the file itself when @path is a symlink to it */
	h->final = exists ? realpath(h->path, NULL) : strdup(h->path);
	if (!h->final) {
		if (errno == ENOMEM)
			goto out_oom;
		goto out_create;
	}
	h->keep_mode = exists;
	h->mode = st.st_mode & 07777;
	fd = create_tmp_beside(h->final, &tmp);
	if (fd < 0) {
		if (errno == ENOMEM)
			goto out_oom;
		goto out_create;
	}
	close(fd);
	unlink(tmp);
	free(tmp);
	return 0;

out_oom:
	mt_msg("out of memory");
	return -1;
out_create:
	mt_msg("cannot create %s: %s", h->path, strerror(errno));
	return -1;
}

struct mt_html *mt_html_new(const char *path)
{
	struct mt_html *h = calloc(1, sizeof(*h));

	if (!h) {
		mt_msg("out of memory");
		return NULL;
	}
	h->path = path;
	h->sink.name = "--html";
	h->sink.ctx = h;
	h->sink.begin = html_begin;
	h->sink.record = html_record;
	h->sink.loss = html_loss;
	h->sink.end = html_end;
	if (html_check(h)) {
		mt_html_free(h);
		return NULL;
	}
	return h;
}

struct mt_sink *mt_html_sink(struct mt_html *h)
{
	return &h->sink;
}

void mt_html_free(struct mt_html *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nprocs; i++)
		hs_free(&h->procs[i].s);
	for (size_t i = 0; i < h->ncgs; i++) {
		hs_free(&h->cgs[i].s);
		free(h->cgs[i].path);
	}
	if (h->have_sys)
		hs_free(&h->sys);
	free(h->procs);
	free(h->pid_tab);
	free(h->cgs);
	free(h->ranges);
	free(h->final);
	free(h);
}
