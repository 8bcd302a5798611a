// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace sampler: an hrtimer fires every interval_ms and queues one work
 * item; the work (process context, may sleep) runs one tick: it measures
 * every monitored thread group and writes one record each into the relay
 * buffer of the CPU it runs on.
 *
 * Locking: mtr_sampler_lock (a mutex) serialises enable/disable.  The tick
 * statistics are written only by the work item (never concurrent with
 * itself) and read locklessly by the stats file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "memtrace.h"

/**
 * struct mtr_sampler - the sampler's state.
 * @timer:        fires every mtr_interval_ms and queues @work.
 * @work:         runs one tick.
 * @wq:           unbound workqueue of @work, flushed at unload.
 * @lock:         serialises mtr_sampler_set_enabled().
 * @enabled:      the sampler runs (written under @lock).
 * @tick:         ticks run since load; the current tick's number.
 * @ticks_missed: timer expiries that found the previous tick still queued,
 *                plus expiries skipped by hrtimer_forward() overruns.
 * @procs_last:   records produced by the last tick.
 * @tick_last_ns: duration of the last tick, ns.
 * @tick_max_ns:  longest tick since load, ns.
 */
struct mtr_sampler {
	struct hrtimer timer;
	struct work_struct work;
	struct workqueue_struct *wq;
	struct mutex lock;
	bool enabled;
	u64 tick;
	u64 ticks_missed;
	unsigned int procs_last;
	u64 tick_last_ns;
	u64 tick_max_ns;
};

static struct mtr_sampler mtr_s;

/* Every thread group with an address space, under one RCU read section. */
static unsigned int mtr_sample_all(u64 tick)
{
	struct task_struct *p;
	unsigned int n = 0;

	rcu_read_lock();
	for_each_process(p)
		n += mtr_sample_task(p, tick);
	rcu_read_unlock();
	return n;
}

static void mtr_tick_fn(struct work_struct *work)
{
	u64 t0 = ktime_get_ns(), dt, tick = ++mtr_s.tick;
	unsigned int n;

	if (!mtr_pids_sample(tick, &n))
		n = mtr_sample_all(tick);

	dt = ktime_get_ns() - t0;
	WRITE_ONCE(mtr_s.procs_last, n);
	WRITE_ONCE(mtr_s.tick_last_ns, dt);
	if (dt > mtr_s.tick_max_ns)
		WRITE_ONCE(mtr_s.tick_max_ns, dt);
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

/**
 * mtr_sampler_set_enabled() - start or stop the sampler.
 * @on: true to start, false to stop.
 *
 * Starting runs the first tick at once and then one every mtr_interval_ms.
 * Stopping cancels the timer and waits for a tick in progress, so when it
 * returns every record of the session is in the relay buffers.  Starting a
 * running or stopping a stopped sampler does nothing.
 *
 * Context: process context, may sleep; takes the sampler's mutex.
 * Return: 0.
 */
int mtr_sampler_set_enabled(bool on)
{
	mutex_lock(&mtr_s.lock);
	if (on && !mtr_s.enabled) {
		mtr_s.enabled = true;
		queue_work(mtr_s.wq, &mtr_s.work);
		hrtimer_start(&mtr_s.timer,
			      ms_to_ktime(READ_ONCE(mtr_interval_ms)),
			      HRTIMER_MODE_REL);
	} else if (!on && mtr_s.enabled) {
		hrtimer_cancel(&mtr_s.timer);
		/* the timer cannot re-queue the work any more */
		flush_work(&mtr_s.work);
		mtr_s.enabled = false;
	}
	mutex_unlock(&mtr_s.lock);
	return 0;
}

/**
 * mtr_sampler_enabled() - whether the sampler runs.
 *
 * Context: any; lockless snapshot.
 */
bool mtr_sampler_enabled(void)
{
	return READ_ONCE(mtr_s.enabled);
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
}

/**
 * mtr_sampler_init() - set up the timer, work item and workqueue (stopped).
 *
 * Context: module init, may sleep.
 * Return: 0 or -ENOMEM.
 */
int mtr_sampler_init(void)
{
	mutex_init(&mtr_s.lock);
	INIT_WORK(&mtr_s.work, mtr_tick_fn);
	mtr_hrtimer_setup(&mtr_s.timer, mtr_timer_fn);
	mtr_s.wq = alloc_workqueue("memtrace", WQ_UNBOUND, 0);
	return mtr_s.wq ? 0 : -ENOMEM;
}

/**
 * mtr_sampler_exit() - stop the sampler and free the workqueue.
 *
 * Context: module exit, may sleep; no control file can restart the sampler
 * any more.
 */
void mtr_sampler_exit(void)
{
	mtr_sampler_set_enabled(false);
	destroy_workqueue(mtr_s.wq);
	mutex_destroy(&mtr_s.lock);
}
