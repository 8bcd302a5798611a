// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace sampler: an hrtimer fires every interval_ms and queues one work
 * item; the work (process context, may sleep) runs one tick: it measures
 * every monitored thread group and emits one record each, into the relay
 * buffer of the CPU it runs on (while the debugfs file enable is 1) and as a
 * memstat_sample trace event (while that event has a probe attached).
 *
 * The sampler has two users and runs while either wants it: the relay path
 * (enable = 1) and the trace events (any memstat event enabled, counted by
 * the events' reg/unreg callbacks).  With enable at 0 the relay path costs
 * nothing; with the events disabled their static keys cost nothing.
 *
 * Locking: mtr_sampler_lock (a mutex, static so that it outlives module
 * exit: the tracing core may call mtr_trace_unreg() after our exit function,
 * when it removes a module's events that are still enabled) serialises the
 * users' state and start/stop.  The tick statistics are written only by the
 * work item (never concurrent with itself), ticks_missed only by the timer
 * callback; all are read locklessly.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>

#include "wrapper/hrtimer.h"
#include "wrapper/pid.h"
#include "memtrace.h"
#include "memstat.h"

static DEFINE_MUTEX(mtr_sampler_lock);

/**
 * struct mtr_sampler - the sampler's state.
 * @timer:        fires every mtr_interval_ms and queues @work.
 * @work:         runs one tick.
 * @wq:           unbound workqueue of @work, destroyed at unload.
 * @relay_on:     the enable file is 1 (under mtr_sampler_lock).
 * @trace_users:  memstat events with a probe attached (under the lock).
 * @running:      timer armed (under the lock).
 * @ready:        module init completed: may start (under the lock).  A
 *                reg callback may come between mtr_live and this (never
 *                before mtr_live: mtr_trace_reg()); it only counts then.
 * @dead:         module exit has begun: never start again (under the lock).
 * @tick_relay:   relay_on as the current tick saw it at its start.
 * @tick_written: relay records committed by the current tick.
 * @tick:         ticks run since load; the current tick's number.
 * @ticks_missed: timer expiries that found the previous tick still queued,
 *                plus expiries skipped by hrtimer_forward() overruns.
 * @tick_missed:  ticks_missed as the current tick saw it when it began
 *                sampling (after its WSS scan): the figure its records and
 *                its memstat_tick event carry.
 * @procs_last:   records produced by the last tick.
 * @tick_last_ns: duration of the last tick, ns.
 * @tick_max_ns:  longest tick since load, ns.
 */
struct mtr_sampler {
	struct hrtimer timer;
	struct work_struct work;
	struct workqueue_struct *wq;
	bool relay_on;
	int trace_users;
	bool running;
	bool ready;
	bool dead;
	bool tick_relay;
	unsigned int tick_written;
	u64 tick;
	u64 ticks_missed;
	u64 tick_missed;
	unsigned int procs_last;
	u64 tick_last_ns;
	u64 tick_max_ns;
};

static struct mtr_sampler mtr_s;

/* Hand one filled sample to the consumers of this tick. */
static void mtr_emit(struct memtrace_sample *rec)
{
	rec->ticks_missed = cpu_to_le64(mtr_s.tick_missed);
	if (mtr_s.tick_relay)
		mtr_s.tick_written += mtr_channel_write(&rec->hdr);
	trace_memstat_sample(rec);
}

/*
 * The machine at this tick (system.c), written before the tick's samples.
 * Context: the work item, outside RCU (the measurement may sleep).
 */
static void mtr_emit_system(u64 tick)
{
	/* 472 bytes: static, not on the stack; one work item at a time */
	static struct memtrace_system rec;

	if (!mtr_s.tick_relay && !trace_memstat_system_enabled())
		return;
	mtr_system_measure(tick, &rec);
	rec.ticks_missed = cpu_to_le64(mtr_s.tick_missed);
	if (mtr_s.tick_relay)
		mtr_s.tick_written += mtr_channel_write(&rec.hdr);
	trace_memstat_system(&rec);
}

/*
 * One thread group: measure (proc.c), add a completed WSS window (wss.c),
 * emit.  Returns false when it has no address space (nothing emitted).
 * Context: inside rcu_read_lock(), which keeps @p alive.
 */
static bool mtr_sample_one(struct task_struct *p, u64 tick)
{
	/*
	 * Not zeroed (neither by memset() nor by the kernel's
	 * INIT_STACK_ALL_ZERO): mtr_proc_measure() sets every field, which
	 * saves 312 bytes of stores per sample.
	 */
	struct memtrace_sample rec __uninitialized;

	if (!mtr_proc_measure(p, tick, &rec))
		return false;
	mtr_wss_note(p, tick, &rec);
	mtr_emit(&rec);
	return true;
}

/*
 * The registered thread groups (pids.c chooses them), dropping those whose
 * process is gone, yielding every MTR_YIELD_EVERY.
 * Context: between mtr_pids_iter_begin() (MTR_CHOOSE_SET) and its end.
 */
static unsigned int mtr_sample_set(u64 tick)
{
	struct task_struct *p;
	struct pid *pid;
	unsigned long nr = 0;
	unsigned int visited = 0, n = 0;
	bool ok;

	while ((pid = mtr_pids_iter_next(&nr))) {
		rcu_read_lock();
		p = pid_task(pid, PIDTYPE_TGID);
		ok = p && mtr_sample_one(p, tick);
		rcu_read_unlock();
		if (ok)
			n++;
		else
			mtr_pids_iter_drop(nr);
		nr++;
		if (!(++visited % MTR_YIELD_EVERY))
			cond_resched();
	}
	return n;
}

/*
 * Every thread group with an address space (@match false), or those that
 * pids.c's mtr_pids_match() chooses (@match true: names registered), in
 * tgid order, yielding the CPU every MTR_YIELD_EVERY of them: with 50,000
 * processes one RCU read section over for_each_process() would hold the
 * CPU (and, on a non-preemptible kernel, any task waiting for it) for the
 * whole tick.  The cursor is a pid number, which survives dropping RCU (a
 * task-list position does not: the task may be unlinked and freed
 * meanwhile), as /proc's next_tgid() walks (fs/proc/base.c).  A process
 * created during the tick with a number below the cursor is sampled from
 * the next tick on; one that exits is skipped.
 */
static unsigned int mtr_sample_all(u64 tick, bool match)
{
	struct task_struct *p;
	struct pid *pid;
	unsigned int n = 0, i;
	int nr = 1;

	for (;;) {
		rcu_read_lock();
		for (i = 0; i < MTR_YIELD_EVERY; i++) {
			pid = mtr_find_ge_pid(nr);
			if (!pid) {
				rcu_read_unlock();
				return n;
			}
			nr = pid_nr(pid) + 1;
			/* NULL unless nr is a thread group leader's */
			p = pid_task(pid, PIDTYPE_TGID);
			if (p && (!match || mtr_pids_match(pid, p)))
				n += mtr_sample_one(p, tick);
		}
		rcu_read_unlock();
		cond_resched();
	}
}

/* choose (pids.c's filter, or every tgid) -> measure -> WSS -> emit */
static unsigned int mtr_sample_chosen(u64 tick)
{
	unsigned int n;

	switch (mtr_pids_iter_begin()) {
	case MTR_CHOOSE_ALL:
		return mtr_sample_all(tick, false);
	case MTR_CHOOSE_SET:
		n = mtr_sample_set(tick);
		break;
	default:
		n = mtr_sample_all(tick, true);
		mtr_pids_iter_sweep();
		break;
	}
	mtr_pids_iter_end();
	return n;
}

static void mtr_tick_fn(struct work_struct *work)
{
	u64 t0 = ktime_get_ns(), dt, tick = ++mtr_s.tick, written, dropped;
	unsigned int n;

	mtr_s.tick_relay = READ_ONCE(mtr_s.relay_on);
	mtr_s.tick_written = 0;
	/* scan first, so that a window completed now is in this tick's records */
	mtr_wss_tick(tick);
	/*
	 * Missed ticks go into the data, not only into stats: every record of
	 * this tick carries the count so far, so a reader sees the samples
	 * that were never taken (and when) even if it never reads stats.
	 * Taken after the scan, which can be long: the count is then the one
	 * of the moment the records are stamped.
	 */
	mtr_s.tick_missed = READ_ONCE(mtr_s.ticks_missed);
	if (mtr_s.tick_relay)
		mtr_channel_tick_start();
	mtr_emit_system(tick);
	n = mtr_sample_chosen(tick);
	mtr_proc_sweep(tick);

	dt = ktime_get_ns() - t0;
	WRITE_ONCE(mtr_s.procs_last, n);
	WRITE_ONCE(mtr_s.tick_last_ns, dt);
	if (dt > mtr_s.tick_max_ns)
		WRITE_ONCE(mtr_s.tick_max_ns, dt);
	if (trace_memstat_tick_enabled()) {
		mtr_channel_totals(&written, &dropped);
		trace_memstat_tick(tick, n, mtr_s.tick_written, dropped, dt,
				   mtr_s.tick_missed);
	}
}

/* hrtimer callback, hard interrupt context: queue the tick, re-arm. */
static enum hrtimer_restart mtr_timer_fn(struct hrtimer *timer)
{
	u64 overruns;

	if (!queue_work(mtr_s.wq, &mtr_s.work))
		WRITE_ONCE(mtr_s.ticks_missed, mtr_s.ticks_missed + 1);
	/* a new interval_ms takes effect from this expiry on */
	overruns = hrtimer_forward_now(timer,
				       ms_to_ktime(READ_ONCE(mtr_interval_ms)));
	if (overruns > 1)
		WRITE_ONCE(mtr_s.ticks_missed,
			   mtr_s.ticks_missed + overruns - 1);
	return HRTIMER_RESTART;
}

/*
 * Start or stop the timer to match the users' wishes.  Stopping cancels the
 * timer, waits for a tick in progress and frees every process's WSS/PSS
 * state.  Called with mtr_sampler_lock held.
 */
static void mtr_sampler_update(void)
{
	bool want = mtr_s.ready && !mtr_s.dead &&
		    (mtr_s.relay_on || mtr_s.trace_users > 0);

	lockdep_assert_held(&mtr_sampler_lock);
	if (want && !mtr_s.running) {
		mtr_s.running = true;
		queue_work(mtr_s.wq, &mtr_s.work);
		hrtimer_start(&mtr_s.timer,
			      ms_to_ktime(READ_ONCE(mtr_interval_ms)),
			      HRTIMER_MODE_REL);
	} else if (!want && mtr_s.running) {
		hrtimer_cancel(&mtr_s.timer);
		/* the timer cannot re-queue the work any more */
		cancel_work_sync(&mtr_s.work);
		mtr_s.running = false;
		/*
		 * No tick runs until the next start: a WSS or PSS window kept
		 * open until then would span the pause, and its state would
		 * hold memory meanwhile.  The next start begins every window
		 * anew, with a priming pass.
		 */
		mtr_wss_exit();
	}
}

/**
 * mtr_sampler_set_enabled() - the relay path's wish (the enable file).
 * @on: true to start sampling into the relay buffers, false to stop.
 *
 * Starting the sampler (when the trace events do not already keep it
 * running) runs the first tick at once and then one every mtr_interval_ms.
 * Stopping returns once no tick writes into the relay buffers any more (the
 * tick in progress has finished), so a reader that drains the buffers then
 * has every record; the sampler keeps running for the trace events if any is
 * enabled.  Starting a running or stopping a stopped relay path does nothing.
 *
 * Context: process context, may sleep; takes mtr_sampler_lock.
 * Return: 0.
 */
int mtr_sampler_set_enabled(bool on)
{
	mutex_lock(&mtr_sampler_lock);
	if (on != mtr_s.relay_on) {
		WRITE_ONCE(mtr_s.relay_on, on);
		mtr_sampler_update();
		/* a tick that started with the relay on may still be writing */
		if (!on && mtr_s.running)
			flush_work(&mtr_s.work);
	}
	mutex_unlock(&mtr_sampler_lock);
	return 0;
}

/*
 * interval_ms: the tick period in ms, MTR_INTERVAL_MIN_MS..MTR_INTERVAL_MAX_MS
 * (1..60000), default 100: the module parameter and the debugfs file of
 * that name (main.c, control.c) set it through mtr_sampler_set_interval().
 * Read locklessly by the timer callback.
 */
unsigned int mtr_interval_ms = 100;

/**
 * mtr_sampler_set_interval() - the one setter of interval_ms.
 * @ms: the new period, MTR_INTERVAL_MIN_MS..MTR_INTERVAL_MAX_MS.
 *
 * When the sampler runs, the next tick comes one new interval from now
 * (rather than at the expiry programmed with the old one).  The timer is
 * cancelled first, which waits for its callback if it runs on another CPU:
 * hrtimer_start() under a running callback would enqueue the timer, and the
 * callback's hrtimer_forward_now() would then hit WARN_ON(timer->state &
 * HRTIMER_STATE_ENQUEUED) (kernel/time/hrtimer.c, hrtimer_forward()).
 * Also called before init (a load-time parameter): the sampler is not
 * running then, and only the value is stored.
 * Context: process context, may sleep; takes mtr_sampler_lock.
 * Return: 0, or -EINVAL when @ms is out of range (nothing changes).
 */
int mtr_sampler_set_interval(unsigned int ms)
{
	if (ms < MTR_INTERVAL_MIN_MS || ms > MTR_INTERVAL_MAX_MS)
		return -EINVAL;
	mutex_lock(&mtr_sampler_lock);
	WRITE_ONCE(mtr_interval_ms, ms);
	if (mtr_s.running) {
		hrtimer_cancel(&mtr_s.timer);
		hrtimer_start(&mtr_s.timer,
			      ms_to_ktime(READ_ONCE(mtr_interval_ms)),
			      HRTIMER_MODE_REL);
	}
	mutex_unlock(&mtr_sampler_lock);
	return 0;
}

/**
 * mtr_sampler_enabled() - whether the enable file is 1.
 *
 * Context: any; lockless snapshot.
 */
bool mtr_sampler_enabled(void)
{
	return READ_ONCE(mtr_s.relay_on);
}

/**
 * mtr_trace_reg() - a memstat event got its first probe: sample for it.
 *
 * Refused until module init has succeeded (mtr_live): the tracing core adds
 * our events when the module is coming, before init runs, and perf checks
 * an event's perf_perm (set by init, trace.c) before it registers its probe
 * here -- so a probe attached before init would be a perf user's without
 * the CAP_PERFMON check.  Refusing every probe until then (ftrace's too:
 * an event cannot be enabled while the module loads) closes that window,
 * and no probe is left to undo when init fails.
 *
 * Context: called by the tracepoint core under tracepoints_mutex; may sleep.
 * Return: 0, or -EAGAIN while the module is loading (the probe is not
 * registered: tracepoint_add_func() in kernel/tracepoint.c).
 */
int mtr_trace_reg(void)
{
	/* pairs with the release at the end of mtr_init() */
	if (!smp_load_acquire(&mtr_live))
		return -EAGAIN;
	mutex_lock(&mtr_sampler_lock);
	mtr_s.trace_users++;
	mtr_sampler_update();
	mutex_unlock(&mtr_sampler_lock);
	return 0;
}

/**
 * mtr_trace_unreg() - a memstat event lost its last probe.
 *
 * Stops the sampler when no event is enabled and enable is 0.  May run after
 * mtr_sampler_shutdown() (the tracing core disables a module's events after
 * the module's exit function); then it only counts.
 * Context: called by the tracepoint core under tracepoints_mutex; may sleep.
 */
void mtr_trace_unreg(void)
{
	mutex_lock(&mtr_sampler_lock);
	mtr_s.trace_users--;
	mtr_sampler_update();
	mutex_unlock(&mtr_sampler_lock);
}

/**
 * mtr_sampler_show_stats() - print the sampler's lines of the stats file.
 * @m: the seq_file.
 */
void mtr_sampler_show_stats(struct seq_file *m)
{
	seq_printf(m, "ticks: %llu\n", READ_ONCE(mtr_s.tick));
	seq_printf(m, "ticks_missed: %llu\n", READ_ONCE(mtr_s.ticks_missed));
	seq_printf(m, "procs_last_tick: %u\n", READ_ONCE(mtr_s.procs_last));
	seq_printf(m, "tick_last_ns: %llu\n", READ_ONCE(mtr_s.tick_last_ns));
	seq_printf(m, "tick_max_ns: %llu\n", READ_ONCE(mtr_s.tick_max_ns));
	/*
	 * hrtimer_forward() raises an interval below hrtimer_resolution to it
	 * (kernel/time/hrtimer.c): a jiffy while no CPU runs in high-resolution
	 * mode (highres=off, no one-shot clock event device), and then the
	 * timer expires, and counts missed ticks, only once a jiffy.
	 */
	seq_printf(m, "timer_resolution_ns: %u\n", hrtimer_resolution);
	mtr_proc_show_stats(m);
	mtr_wss_show_stats(m);
}

/**
 * mtr_sampler_init() - set up the timer, work item and workqueue (stopped).
 *
 * Context: module init, may sleep.
 * Return: 0 or -ENOMEM.
 */
int mtr_sampler_init(void)
{
	INIT_WORK(&mtr_s.work, mtr_tick_fn);
	mtr_hrtimer_setup(&mtr_s.timer, mtr_timer_fn);
	mtr_s.wq = alloc_workqueue("memtrace", WQ_UNBOUND, 0);
	return mtr_s.wq ? 0 : -ENOMEM;
}

/**
 * mtr_sampler_ready() - module init completed: start if a user wants it.
 *
 * Context: the last step of module init, may sleep.
 */
void mtr_sampler_ready(void)
{
	mutex_lock(&mtr_sampler_lock);
	mtr_s.ready = true;
	mtr_sampler_update();
	mutex_unlock(&mtr_sampler_lock);
}

/**
 * mtr_sampler_shutdown() - stop for good, whatever the users want.
 *
 * After it returns no tick runs and none will: reg callbacks that come later
 * only count.
 * Context: module exit, may sleep; the control files are gone.
 */
void mtr_sampler_shutdown(void)
{
	mutex_lock(&mtr_sampler_lock);
	mtr_s.dead = true;
	mtr_sampler_update();
	mutex_unlock(&mtr_sampler_lock);
}

/**
 * mtr_sampler_exit() - free the workqueue, if it was allocated.
 *
 * Idempotent (main.c's mtr_teardown() may run it after a failed
 * mtr_sampler_init()).
 * Context: module exit or init unwinding, after mtr_sampler_shutdown().
 */
void mtr_sampler_exit(void)
{
	if (mtr_s.wq)
		destroy_workqueue(mtr_s.wq);
	mtr_s.wq = NULL;
}
