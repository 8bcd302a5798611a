/* SPDX-License-Identifier: GPL-2.0 */
/*
 * top.h - memtrace-reader --top: a full-screen terminal view (ncurses) of
 * the session's latest complete tick, one row per process, with the
 * machine's memory, swap and memory pressure from the tick's system record
 * in the header.  A session sink (session.h): it sees the records the CSV
 * sees, live (live.c polls its keyboard and calls top_poll() each round)
 * and from a trace file (-i), which it replays paced by the trace's own
 * time (its record callback waits between ticks and reads the keys).
 *
 * Figures are the CSV's (csv.c): rss_kb = rss_anon_kb + rss_file_kb +
 * rss_shmem_kb; WSS is the last window measured (the CSV's wss_kb of the
 * latest row that has one); the rates are the differences between a
 * process's two latest records over their ts_ns difference: minflt/s,
 * majflt/s, and CPU % = (utime_ns + stime_ns) difference / ts_ns
 * difference * 100 (above 100 for several threads).
 *
 * While the view is on, messages (msg()) are queued and printed on
 * standard error once the terminal is restored.
 */
#ifndef MEMTRACE_READER_TOP_H
#define MEMTRACE_READER_TOP_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"

/* Most redraws per second of a live view, and of a replay that is not paused. */
#define TOP_REDRAW_MS 200
/* Live: a tick whose records stopped coming this long ago is complete. */
#define TOP_SETTLE_MS 300
/* Replay: the longest wait between two ticks (a gap in the trace's time). */
#define TOP_REPLAY_WAIT_MAX_MS 2000
/* Characters of the name filter (a comm is at most 15). */
#define TOP_FILTER_MAX 15

/*
 * top_attach() - attach the --top sink to @s (after mt_sess_init(), before
 * mt_sess_begin()); @replay: a trace file (-i), paced by its own time.
 * The terminal view starts at the session's begin.  0, or -1 (reported).
 */
int top_attach(struct mt_sess *s, bool replay);

/* The keyboard's file descriptor while the view is on (to poll), else -1. */
int top_key_fd(void);

/*
 * top_poll() - live mode, once a read round: the keys pressed, and a
 * redraw when a tick completed (records of a later tick came, or none for
 * TOP_SETTLE_MS) at most every TOP_REDRAW_MS; @now_ns: CLOCK_MONOTONIC.
 * Returns true once q was pressed: the session is to end normally.
 */
bool top_poll(uint64_t now_ns);

/*
 * top_restore() - end the terminal view (endwin) and print the messages
 * queued while it was on; does nothing when it is off.  Also run at exit.
 */
void top_restore(void);

#endif /* MEMTRACE_READER_TOP_H */
