// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader: a live session from start to end: live_start() sets
 * up, step by step, what live_stop() undoes in reverse order.
 *
 * Live mode, in order (live_start(), live_loop(), then the end in
 * live_main() and live_stop()):
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
 * Limits.  The final drain after enable=0 stops after FINAL_DRAIN_MS (5 s)
 * should records keep coming.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reader.h"

struct mt_reader g = { .dir = DEFAULT_DIR, .dirfd = -1, .sessfd = -1,
		       .om_interval_s = MT_METRICS_INTERVAL_S,
		       .om_top = MT_METRICS_TOP };

/* CLOCK_MONOTONIC in ns: the clock of the records' ts_ns (ktime_get_ns()). */
uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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
	/* --top: a key ends the sleep too */
	struct pollfd key = { .fd = top_key_fd(), .events = POLLIN };
	int ms = (int)g.wait_ms;

	if (deadline) {
		uint64_t now = mono_ns();

		if (now >= deadline)
			return;
		if (deadline - now < (uint64_t)ms * 1000000u)
			ms = (int)((deadline - now + 999999) / 1000000);
	}
	poll(&key, key.fd >= 0 ? 1 : 0, ms);
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
		/* one clock read for the three: under a VM whose clocksource
		 * is not the TSC, each read is a system call */
		now = mono_ns();
		metrics_poll(now);
		mt_sess_status(&g.sess, now, false);
		if (g.top && top_poll(now))
			break;		/* q: the session ends normally */
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
	cgrows_summary();
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
	if (g.is_debugfs) {
		discard_stale();
		procfill_note_delayacct();
	}
	if (set_intervals() || set_filter() || metrics_open() || open_outputs() ||
	    (g.cg_open && cgrows_start()))
		return -1;
	mt_sess_init(&g.sess, g.csv_open ? &g.csv : NULL,
		     g.raw_open ? &g.raw : NULL, g.realtime);
	mt_sess_set_system(&g.sess, g.sys_open ? &g.sys : NULL);
	mt_sess_set_cgroups(&g.sess, g.cg_open ? &g.cg : NULL);
	g.sess_init = true;
	if ((g.pf && mt_pf_attach(g.pf, &g.sess)) || metrics_attach(&g.sess) ||
	    (g.top && top_attach(&g.sess, false)))
		return -1;
	if (open_html_output() || start_info(&info, running))
		return -1;
	err = mt_sess_begin(&g.sess, &info);
	mt_tfile_info_free(&info);
	if (err)
		return -1;
	mt_status_init(!g.quiet && !g.top);
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

	metrics_close();
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
	for (size_t i = 0; i < g.ncgroups; i++)
		free(g.cgroups[i]);
	free(g.cgroups);
	cgrows_free();
	return ret;
}

/*
 * A live session: start, loop until its end, then -- every step, errors or
 * not -- stop the sampler, drain, account, summarise and undo.  Returns the
 * exit status.
 */
int live_main(void)
{
	bool failed = false;
	int err;

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
	if (mt_sess_end_sinks(&g.sess))
		failed = true;
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
