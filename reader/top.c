// SPDX-License-Identifier: GPL-2.0
/*
 * top.c - memtrace-reader --top (top.h): the session's latest complete
 * tick on a full-screen terminal view, drawn with ncurses.
 *
 * The sink keeps, per process, the figures of its latest record and the
 * times and counters of the one before (a small open-addressing hash map
 * on tgid), and the latest two system records.  When a tick is complete
 * (a record of a later tick arrives; live, also when none came for
 * TOP_SETTLE_MS; at the end) it takes a snapshot: one row per process seen
 * in that tick, with its rates.  The keys sort and filter the snapshot.
 *
 * Replay (-i): before the first record of each new tick, the record
 * callback shows the completed tick and waits the trace's time between
 * the two ticks (at most TOP_REPLAY_WAIT_MAX_MS), reading the keys
 * meanwhile; paused, it waits for space (resume) or n (one tick more).
 * Ticks come faster than TOP_REDRAW_MS are shown at that pace at most.
 * After the last tick the view stays until q.
 *
 * Keys: r w s f c sort by RSS, WSS, swap, fault rate, CPU; / types a
 * name filter (a part of the command name; Enter applies, Esc clears);
 * q quits; replay only: space pauses and resumes, n or the right arrow
 * steps one tick while paused.
 */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "top.h"

#define NS_PER_MS 1000000ull

/* The times and counters of one record that rates are computed from. */
struct top_at {
	uint64_t ts_ns, minflt, majflt, cpu_ns;
};

/* One process (thread group) as its latest records show it. */
struct top_proc {
	bool used;
	bool has_prev;			/* prev holds an earlier record's */
	bool wss_known;			/* a WSS window was measured */
	uint32_t tgid;
	uint64_t tick;			/* of the latest record */
	char comm[MEMTRACE_COMM_LEN + 1];	/* printable, NUL-terminated */
	uint64_t rss_kb, anon_kb, file_kb, shmem_kb, swap_kb;
	uint64_t wss_kb;		/* the latest window's, if wss_known */
	struct top_at cur, prev;
};

/* A row of the view: a process at the tick shown, and its rates. */
struct top_row {
	struct top_proc p;
	bool rates_known;		/* p.has_prev, with a later ts_ns */
	double minflt_s, majflt_s, cpu_pct;
};

/* A system record's figures (v[] as struct mt_sysinfo's). */
struct top_sys {
	bool known;
	uint64_t tick, ts_ns;
	uint64_t v[MEMTRACE_SYSTEM_FIGURES];
};

enum top_sort { SORT_RSS, SORT_WSS, SORT_SWAP, SORT_FAULTS, SORT_CPU };
static const char *const sort_names[] = {
	[SORT_RSS] = "RSS", [SORT_WSS] = "WSS", [SORT_SWAP] = "swap",
	[SORT_FAULTS] = "fault rate", [SORT_CPU] = "CPU",
};

static struct top {
	struct mt_sink sink;
	const struct mt_sess *sess;
	bool replay;
	bool on;			/* curses is active */
	bool atexit_set;
	SCREEN *scr;
	FILE *tty;			/* the keyboard: /dev/tty, or NULL: stdin */
	int key_fd;
	FILE *queue;			/* msg() while on: into qbuf */
	char *qbuf;
	size_t qlen;

	/* processes: tab[cap] (a power of 2), n used */
	struct top_proc *tab;
	size_t cap, n;

	/* the tick being collected */
	bool have_tick, pending;	/* pending: records since the snapshot */
	uint64_t tick, tick_ts;		/* tick_ts: its first record's ts_ns */
	uint64_t last_rec_ns;		/* CLOCK_MONOTONIC at its latest record */
	struct top_sys sys, sys_prev;	/* the latest two system records */

	/* the snapshot shown */
	bool shown;
	uint64_t shown_tick, shown_ts;
	bool interval_known;
	double interval_ms;		/* ts_ns per tick between two snapshots */
	struct top_row *rows;
	size_t nrows, rows_cap;
	struct top_sys shown_sys;
	bool psi_known;
	double psi_some_pct, psi_full_pct;	/* memory, over the last tick */

	/* the keys' state */
	enum top_sort sort;
	char filter[TOP_FILTER_MAX + 1];
	bool typing;
	char typed[TOP_FILTER_MAX + 1];
	size_t ntyped;
	bool paused, step, quit, at_end, dirty;
	bool failed;			/* out of memory (reported) */
	uint64_t last_draw_ns;
} T = { .key_fd = -1 };

/* ---- processes ------------------------------------------------------------ */

static size_t slot_of(uint32_t tgid, size_t cap)
{
	return (size_t)((tgid * 2654435761u) & (cap - 1));
}

/* Worth keeping: seen in the tick being collected or the one before. */
static bool proc_live(const struct top_proc *e)
{
	return e->tick + 1 >= T.tick;
}

/* Rebuild the table with room for one more below half full, dropping the
 * processes not seen lately.  0, or -1 (out of memory). */
static int tab_rebuild(void)
{
	size_t keep = 0, ncap = T.cap ? T.cap : 64;
	struct top_proc *nt;

	for (size_t i = 0; i < T.cap; i++)
		if (T.tab[i].used && proc_live(&T.tab[i]))
			keep++;
	while ((keep + 1) * 2 > ncap)
		ncap *= 2;
	nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return -1;
	for (size_t i = 0; i < T.cap; i++) {
		size_t j;

		if (!T.tab[i].used || !proc_live(&T.tab[i]))
			continue;
		for (j = slot_of(T.tab[i].tgid, ncap); nt[j].used;
		     j = (j + 1) & (ncap - 1))
			;
		nt[j] = T.tab[i];
	}
	free(T.tab);
	T.tab = nt;
	T.cap = ncap;
	T.n = keep;
	return 0;
}

/* The entry of @tgid, added (unused) if new; NULL: out of memory. */
static struct top_proc *proc_get(uint32_t tgid)
{
	size_t j;

	if ((T.n + 1) * 2 > T.cap && tab_rebuild())
		return NULL;
	for (j = slot_of(tgid, T.cap); T.tab[j].used;
	     j = (j + 1) & (T.cap - 1))
		if (T.tab[j].tgid == tgid)
			return &T.tab[j];
	T.n++;
	memset(&T.tab[j], 0, sizeof(T.tab[j]));
	T.tab[j].tgid = tgid;
	return &T.tab[j];
}

/* A sample: the process's figures now, the previous ones kept for rates. */
static int proc_note(const struct mt_record *r)
{
	struct top_proc *e = proc_get(r->tgid);
	size_t len = r->comm_len < MEMTRACE_COMM_LEN ? r->comm_len :
		     MEMTRACE_COMM_LEN;

	if (!e) {
		msg("--top: out of memory");
		return -1;
	}
	if (e->used && r->tick < e->tick)
		return 0;		/* a late record of an earlier tick */
	if (e->used && r->tick > e->tick) {
		e->prev = e->cur;
		e->has_prev = true;
	}
	e->used = true;
	e->tick = r->tick;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)r->comm[i];

		e->comm[i] = c >= 32 && c < 127 ? (char)c : '?';
	}
	e->comm[len] = '\0';
	e->anon_kb = r->rss_anon_kb;
	e->file_kb = r->rss_file_kb;
	e->shmem_kb = r->rss_shmem_kb;
	e->rss_kb = r->rss_anon_kb + r->rss_file_kb + r->rss_shmem_kb;
	e->swap_kb = r->swap_kb;
	if (r->flags & MEMTRACE_SAMPLE_WSS_VALID) {
		e->wss_known = true;
		e->wss_kb = r->wss_kb;
	}
	e->cur.ts_ns = r->hdr.ts_ns;
	e->cur.minflt = r->minflt;
	e->cur.majflt = r->majflt;
	e->cur.cpu_ns = r->utime_ns + r->stime_ns;
	return 0;
}

/* ---- snapshots ------------------------------------------------------------ */

/* @b - @a per second over @dt_ns (counters that only grow; 0 if not). */
static double per_s(uint64_t a, uint64_t b, uint64_t dt_ns)
{
	return b > a ? (double)(b - a) * 1e9 / (double)dt_ns : 0.0;
}

static void row_of(struct top_row *w, const struct top_proc *e)
{
	uint64_t dt = e->cur.ts_ns - e->prev.ts_ns;

	w->p = *e;
	w->rates_known = e->has_prev && e->cur.ts_ns > e->prev.ts_ns;
	if (!w->rates_known)
		return;
	w->minflt_s = per_s(e->prev.minflt, e->cur.minflt, dt);
	w->majflt_s = per_s(e->prev.majflt, e->cur.majflt, dt);
	w->cpu_pct = per_s(e->prev.cpu_ns, e->cur.cpu_ns, dt) / 1e9 * 100.0;
}

/* The memory pressure of the last tick, % of its time, from two records. */
static void psi_of(void)
{
	const struct top_sys *a = &T.sys_prev, *b = &T.sys;
	size_t some = MT_SYS_IDX(psi_memory_some_us);
	size_t full = MT_SYS_IDX(psi_memory_full_us);
	uint64_t dt;

	T.psi_known = false;
	if (!a->known || !b->known || b->ts_ns <= a->ts_ns ||
	    a->v[some] == MEMTRACE_UNKNOWN || b->v[some] == MEMTRACE_UNKNOWN ||
	    a->v[full] == MEMTRACE_UNKNOWN || b->v[full] == MEMTRACE_UNKNOWN)
		return;
	dt = b->ts_ns - a->ts_ns;
	T.psi_some_pct = per_s(a->v[some], b->v[some], dt) / 1e6 * 100.0;
	T.psi_full_pct = per_s(a->v[full], b->v[full], dt) / 1e6 * 100.0;
	T.psi_known = true;
}

/* The tick being collected is complete: take its snapshot.  0, or -1. */
static int snapshot(void)
{
	size_t n = 0;

	if (!T.pending)
		return 0;
	T.pending = false;
	if (T.n > T.rows_cap) {
		struct top_row *r = realloc(T.rows, T.n * sizeof(*r));

		if (!r) {
			msg("--top: out of memory");
			return -1;
		}
		T.rows = r;
		T.rows_cap = T.n;
	}
	for (size_t i = 0; i < T.cap; i++)
		if (T.tab[i].used && T.tab[i].tick == T.tick)
			row_of(&T.rows[n++], &T.tab[i]);
	T.nrows = n;
	if (T.shown && T.tick > T.shown_tick) {
		T.interval_ms = (double)(T.tick_ts - T.shown_ts) /
				(double)(T.tick - T.shown_tick) / 1e6;
		T.interval_known = true;
	}
	T.shown = true;
	T.shown_tick = T.tick;
	T.shown_ts = T.tick_ts;
	T.shown_sys = T.sys;
	psi_of();
	T.dirty = true;
	return 0;
}

/* ---- drawing -------------------------------------------------------------- */

static double sort_key(const struct top_row *w)
{
	switch (T.sort) {
	case SORT_WSS:
		return w->p.wss_known ? (double)w->p.wss_kb : -1.0;
	case SORT_SWAP:
		return (double)w->p.swap_kb;
	case SORT_FAULTS:
		return w->rates_known ? w->minflt_s + w->majflt_s : -1.0;
	case SORT_CPU:
		return w->rates_known ? w->cpu_pct : -1.0;
	case SORT_RSS:
	default:
		return (double)w->p.rss_kb;
	}
}

/* Descending by the sort column, then ascending by pid. */
static int row_cmp(const void *x, const void *y)
{
	const struct top_row *a = x, *b = y;
	double ka = sort_key(a), kb = sort_key(b);

	if (ka != kb)
		return ka < kb ? 1 : -1;
	return a->p.tgid < b->p.tgid ? -1 : a->p.tgid > b->p.tgid;
}

/* Line @y: @fmt, cut to the screen's width. */
__attribute__((format(printf, 2, 3)))
static void line(int y, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (y >= LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mvaddnstr(y, 0, buf, COLS);
}

/* A figure in KiB, or "?" when its writer could not read it. */
static const char *kb(char *buf, size_t len, uint64_t v)
{
	if (v == MEMTRACE_UNKNOWN)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%" PRIu64 " kB", v);
	return buf;
}

static void draw_header(void)
{
	const struct mt_sess *s = T.sess;
	const struct top_sys *y = &T.shown_sys;
	uint64_t missed = s->missed_seen ? s->missed_hi - s->missed_lo : 0;
	char tick[32] = "-", iv[32] = "-", a[32], b[32], c[32], d[32], psi[64];

	if (T.shown)
		snprintf(tick, sizeof(tick), "%" PRIu64, T.shown_tick);
	if (T.interval_known)
		snprintf(iv, sizeof(iv), "%.0f ms", T.interval_ms);
	line(0, "memtrace-reader --top%s  tick %s  interval %s  records lost %" PRIu64
	     "  ticks missed %" PRIu64 "%s",
	     T.replay ? " (replay)" : "", tick, iv, s->lost, missed,
	     T.at_end ? "  END OF TRACE" : T.paused ? "  PAUSED" : "");
	if (!y->known) {
		line(1, "no system rows");
	} else {
		const uint64_t *v = y->v;
		uint64_t tot = v[MT_SYS_IDX(memtotal_kb)];
		uint64_t av = v[MT_SYS_IDX(memavailable_kb)];
		char pct[32] = "";

		if (tot && tot != MEMTRACE_UNKNOWN && av != MEMTRACE_UNKNOWN)
			snprintf(pct, sizeof(pct), " (%.1f%%)",
				 (double)av * 100.0 / (double)tot);
		snprintf(psi, sizeof(psi), "PSI memory some %.1f%% full %.1f%%",
			 T.psi_some_pct, T.psi_full_pct);
		line(1, "MemTotal %s  MemAvailable %s%s  SwapTotal %s  SwapFree %s  %s",
		     kb(a, sizeof(a), tot), kb(b, sizeof(b), av), pct,
		     kb(c, sizeof(c), v[MT_SYS_IDX(swaptotal_kb)]),
		     kb(d, sizeof(d), v[MT_SYS_IDX(swapfree_kb)]),
		     T.psi_known ? psi : "PSI memory ?");
	}
	line(2, "sort: %s  filter: %s  keys: r RSS  w WSS  s swap  f faults  c CPU  / filter  q quit%s",
	     sort_names[T.sort], T.filter[0] ? T.filter : "(none)",
	     T.replay ? "  space pause  n step" : "");
}

/* A rate with one decimal, or "-" without two records. */
static const char *rate(char *buf, size_t len, bool known, double v)
{
	if (known)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "-");
	return buf;
}

static void draw(void)
{
	size_t shown = 0;
	int y = 4;

	if (!T.on)
		return;
	erase();
	draw_header();
	if (T.nrows)
		qsort(T.rows, T.nrows, sizeof(*T.rows), row_cmp);
	attron(A_REVERSE);
	line(3, "%7s %-15s %10s %10s %10s %9s %9s %9s %10s %9s %7s",
	     "PID", "COMMAND", "RSS_KB", "ANON_KB", "FILE_KB", "SHMEM_KB",
	     "SWAP_KB", "WSS_KB", "MINFLT/S", "MAJFLT/S", "CPU%");
	attroff(A_REVERSE);
	for (size_t i = 0; i < T.nrows; i++) {
		const struct top_row *w = &T.rows[i];
		char wss[24] = "-", mn[24], mj[24], cpu[24];

		if (T.filter[0] && !strstr(w->p.comm, T.filter))
			continue;
		shown++;
		if (y >= LINES - 1)
			continue;
		if (w->p.wss_known)
			snprintf(wss, sizeof(wss), "%" PRIu64, w->p.wss_kb);
		line(y++, "%7" PRIu32 " %-15s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		     " %9" PRIu64 " %9" PRIu64 " %9s %10s %9s %7s",
		     w->p.tgid, w->p.comm, w->p.rss_kb, w->p.anon_kb,
		     w->p.file_kb, w->p.shmem_kb, w->p.swap_kb, wss,
		     rate(mn, sizeof(mn), w->rates_known, w->minflt_s),
		     rate(mj, sizeof(mj), w->rates_known, w->majflt_s),
		     rate(cpu, sizeof(cpu), w->rates_known, w->cpu_pct));
	}
	if (T.typing)
		line(LINES - 1, "filter (Enter applies, Esc clears): %.*s_",
		     (int)T.ntyped, T.typed);
	else if (!T.shown)
		line(LINES - 1, "waiting for the first tick...");
	else
		line(LINES - 1, "%zu of %zu processes%s", shown, T.nrows,
		     T.at_end ? "  end of the trace: q quits" :
		     T.paused ? "  paused: space resumes, n steps one tick" : "");
	refresh();
	T.dirty = false;
	T.last_draw_ns = mono_ns();
}

/* ---- keys ----------------------------------------------------------------- */

static void key(int c)
{
	if (T.typing) {
		if (c == '\n' || c == '\r' || c == KEY_ENTER) {
			memcpy(T.filter, T.typed, T.ntyped);
			T.filter[T.ntyped] = '\0';
			T.typing = false;
		} else if (c == 27) {
			T.filter[0] = '\0';
			T.typing = false;
		} else if (c == KEY_BACKSPACE || c == 127 || c == 8) {
			if (T.ntyped)
				T.ntyped--;
		} else if (c >= 32 && c < 127 && T.ntyped < TOP_FILTER_MAX) {
			T.typed[T.ntyped++] = (char)c;
		}
		T.dirty = true;
		return;
	}
	switch (c) {
	case 'q':
	case 'Q':
		T.quit = true;
		return;
	case 'r':
		T.sort = SORT_RSS;
		break;
	case 'w':
		T.sort = SORT_WSS;
		break;
	case 's':
		T.sort = SORT_SWAP;
		break;
	case 'f':
		T.sort = SORT_FAULTS;
		break;
	case 'c':
		T.sort = SORT_CPU;
		break;
	case '/':
		T.typing = true;
		T.ntyped = 0;
		break;
	case 27:
		T.filter[0] = '\0';
		break;
	case ' ':
		if (T.replay)
			T.paused = !T.paused;
		break;
	case 'n':
	case KEY_RIGHT:
		if (T.replay && T.paused)
			T.step = true;
		break;
	case KEY_RESIZE:
		break;
	default:
		return;
	}
	T.dirty = true;
}

/* Every key pressed; redraw at once if one changed the view. */
static void read_keys(void)
{
	int c;

	if (!T.on)
		return;
	while ((c = getch()) != ERR)
		key(c);
	if (stop_signal)
		T.quit = true;
	if (T.quit)
		top_restore();
	else if (T.dirty)
		draw();
}

/* Wait for a key up to @ms (-1: until one or a signal), then read them. */
static void key_wait(int ms)
{
	struct pollfd p = { .fd = T.key_fd, .events = POLLIN };

	/* a signal's flag is checked at least twice a second */
	if (ms < 0 || ms > 500)
		ms = 500;
	if (poll(&p, 1, ms) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
		T.quit = true;		/* the terminal went away */
	read_keys();
}

/* ---- replay --------------------------------------------------------------- */

/* Between the tick shown and the next, @wait_ns of trace time: the keys. */
static void replay_wait(uint64_t wait_ns)
{
	uint64_t now = mono_ns(), end;

	if (wait_ns > (uint64_t)TOP_REPLAY_WAIT_MAX_MS * NS_PER_MS)
		wait_ns = (uint64_t)TOP_REPLAY_WAIT_MAX_MS * NS_PER_MS;
	end = now + wait_ns;
	if (T.paused || wait_ns >= TOP_REDRAW_MS * NS_PER_MS ||
	    now - T.last_draw_ns >= TOP_REDRAW_MS * NS_PER_MS)
		draw();
	while (T.on) {
		int ms = -1;

		if (T.paused && T.step) {
			T.step = false;
			return;
		}
		if (!T.paused) {
			now = mono_ns();
			if (now >= end)
				return;
			ms = (int)((end - now + NS_PER_MS - 1) / NS_PER_MS);
		}
		key_wait(ms);
	}
}

/* ---- the sink ------------------------------------------------------------- */

static int top_record(void *ctx, const struct mt_sess *s, enum mt_status st,
		      const struct mt_record *rec)
{
	uint64_t tick;

	(void)ctx;
	(void)s;
	if (!T.on)
		return 0;		/* q: the rest is not shown */
	if (st == MT_OK)
		tick = rec->tick;
	else if (st == MT_SYSTEM)
		tick = rec->sys.tick;
	else
		return 0;		/* loss (counted by the session), cgroup */
	if (T.have_tick && tick > T.tick) {
		if (snapshot())
			return -1;
		if (T.replay) {
			replay_wait(rec->hdr.ts_ns > T.tick_ts ?
				    rec->hdr.ts_ns - T.tick_ts : 0);
			if (!T.on)
				return 0;
		}
	}
	if (!T.have_tick || tick > T.tick) {
		T.have_tick = true;
		T.tick = tick;
		T.tick_ts = rec->hdr.ts_ns;
	}
	if (tick == T.tick)
		T.pending = true;
	T.last_rec_ns = mono_ns();
	if (st == MT_SYSTEM) {
		if (tick < T.sys.tick && T.sys.known)
			return 0;
		if (T.sys.known && tick > T.sys.tick)
			T.sys_prev = T.sys;
		T.sys.known = true;
		T.sys.tick = tick;
		T.sys.ts_ns = rec->hdr.ts_ns;
		memcpy(T.sys.v, rec->sys.v, sizeof(T.sys.v));
		return 0;
	}
	return proc_note(rec);
}

static int top_end(void *ctx, const struct mt_sess *s)
{
	(void)ctx;
	(void)s;
	if (!T.on)
		return T.failed ? -1 : 0;
	if (snapshot() || T.failed) {
		top_restore();
		return -1;
	}
	if (T.replay) {
		T.at_end = true;
		draw();
		while (T.on)
			key_wait(-1);
	}
	top_restore();
	return 0;
}

/* ---- the terminal --------------------------------------------------------- */

int top_key_fd(void)
{
	return T.on ? T.key_fd : -1;
}

bool top_poll(uint64_t now_ns)
{
	if (!T.on)
		return T.quit;
	read_keys();
	if (T.quit)
		return true;
	if (T.pending && now_ns - T.last_rec_ns >= TOP_SETTLE_MS * NS_PER_MS &&
	    snapshot())
		T.failed = true;
	if (T.dirty && now_ns - T.last_draw_ns >= TOP_REDRAW_MS * NS_PER_MS)
		draw();
	return false;
}

void top_restore(void)
{
	if (!T.on)
		return;
	T.on = false;
	endwin();
	delscreen(T.scr);
	T.scr = NULL;
	if (T.tty)
		fclose(T.tty);
	T.tty = NULL;
	T.key_fd = -1;
	mt_msg_file = NULL;
	if (T.queue && !fclose(T.queue) && T.qlen) {
		fwrite(T.qbuf, 1, T.qlen, stderr);
		fflush(stderr);
	}
	T.queue = NULL;
	free(T.qbuf);
	T.qbuf = NULL;
	free(T.tab);
	free(T.rows);
	T.tab = NULL;
	T.rows = NULL;
	T.cap = T.n = T.nrows = T.rows_cap = 0;
}

static void restore_at_exit(void)
{
	top_restore();
}

/*
 * Start the view: keys from the controlling terminal (standard input may
 * be the trace), the screen on standard output.  0, or -1 (reported).
 */
static int start_view(void)
{
	FILE *in;

	T.tty = fopen("/dev/tty", "re");
	if (!T.tty && !isatty(STDIN_FILENO)) {
		msg("--top: no terminal to read keys from (/dev/tty: %s)",
		    strerror(errno));
		return -1;
	}
	in = T.tty ? T.tty : stdin;
	T.queue = open_memstream(&T.qbuf, &T.qlen);
	if (!T.queue) {
		msg("--top: %s", strerror(errno));
		goto out_tty;
	}
	T.scr = newterm(NULL, stdout, in);
	if (!T.scr) {
		const char *term = getenv("TERM");

		msg("--top: cannot start the terminal view: terminal type '%s' unknown (TERM)",
		    term ? term : "");
		goto out_queue;
	}
	set_term(T.scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	T.key_fd = fileno(in);
	T.on = true;
	mt_msg_file = T.queue;
	if (!T.atexit_set && !atexit(restore_at_exit))
		T.atexit_set = true;
	draw();
	return 0;

out_queue:
	fclose(T.queue);
	T.queue = NULL;
	free(T.qbuf);
	T.qbuf = NULL;
out_tty:
	if (T.tty)
		fclose(T.tty);
	T.tty = NULL;
	return -1;
}

int top_attach(struct mt_sess *s, bool replay)
{
	T.sink = (struct mt_sink){
		.name = "--top",
		.record = top_record,
		.end = top_end,
	};
	T.sess = s;
	T.replay = replay;
	if (start_view())
		return -1;
	if (mt_sess_add_sink(s, &T.sink)) {
		top_restore();
		msg("--top: too many outputs");
		return -1;
	}
	return 0;
}
