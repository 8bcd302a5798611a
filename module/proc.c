// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace per-process figures: fill one struct memtrace_sample (the
 * caller's) for a thread group from the same kernel counters
 * /proc/PID/status (task_mem() in fs/proc/task_mmu.c) and /proc/PID/stat
 * (do_task_stat() in fs/proc/array.c) print.  Read only: nothing here
 * writes a task or mm field, and nothing here emits.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/delayacct.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/taskstats.h>
#include <linux/xarray.h>

#include "memtrace.h"
#include "wrapper/mm_counter.h"


/**
 * struct mtr_cputime - the CPU-time split last reported for a thread group.
 * @pid:   the group's struct pid (a reference): tells a reused PID number
 *         apart from the group, and whether the group still exists.
 * @utime: utime_ns last reported.
 * @stime: stime_ns last reported.
 *
 * Our copy of what signal_struct::prev_cputime is for /proc/PID/stat: the
 * kernel's own must not be written by us (it would move what /proc shows).
 * Written by the sampler's work item only.
 */
struct mtr_cputime {
	struct pid *pid;
	u64 utime;
	u64 stime;
};

static DEFINE_XARRAY(mtr_cputimes); /* tgid -> struct mtr_cputime */
/* samples whose split could not be clamped (no memory for the state) */
static u64 mtr_cputime_unclamped;
/* states allocated now (stats' cputime_states); written by the work item */
static unsigned long mtr_cputime_n;

/* Drop @tgid's state.  Context: the work item, or unload. */
static void mtr_cputime_free(unsigned long tgid, struct mtr_cputime *ct)
{
	xa_erase(&mtr_cputimes, tgid);
	put_pid(ct->pid);
	kfree(ct);
	WRITE_ONCE(mtr_cputime_n, mtr_cputime_n - 1);
}

/*
 * The state of @p's thread group, created on first use (GFP_NOWAIT: we are
 * inside rcu_read_lock()), or NULL without memory.  A state left by an
 * earlier group with the same PID number is replaced.
 */
static struct mtr_cputime *mtr_cputime_get(struct task_struct *p)
{
	unsigned long tgid = task_tgid_nr(p);
	struct pid *pid = task_tgid(p);
	struct mtr_cputime *ct = xa_load(&mtr_cputimes, tgid);

	if (ct && ct->pid == pid)
		return ct;
	if (ct)
		mtr_cputime_free(tgid, ct);
	ct = kzalloc(sizeof(*ct), GFP_NOWAIT | __GFP_NOWARN);
	if (!ct)
		return NULL;
	ct->pid = get_pid(pid);
	if (xa_err(xa_store(&mtr_cputimes, tgid, ct, GFP_NOWAIT | __GFP_NOWARN))) {
		put_pid(ct->pid);
		kfree(ct);
		return NULL;
	}
	WRITE_ONCE(mtr_cputime_n, mtr_cputime_n + 1);
	return ct;
}

/*
 * cputime_adjust()'s monotonic clamp (kernel/sched/cputime.c, the same on
 * 5.10 to 7.2): given the scaled split @ut/@st of @rtime, never report less
 * than last time in either field, keeping utime + stime == rtime; if rtime
 * did not advance past what was reported, report that again.
 */
static void mtr_cputime_clamp(struct mtr_cputime *prev, u64 rtime, u64 *ut,
			      u64 *st)
{
	u64 stime = *st, utime;

	if (prev->stime + prev->utime >= rtime) {
		*ut = prev->utime;
		*st = prev->stime;
		return;
	}
	if (stime < prev->stime)
		stime = prev->stime;
	utime = rtime - stime;
	if (utime < prev->utime) {
		utime = prev->utime;
		stime = rtime - utime;
	}
	prev->utime = utime;
	prev->stime = stime;
	*ut = utime;
	*st = stime;
}

/*
 * The address-space figures of @p's thread group, read under task_lock() of
 * the first thread that still has an mm: exit_mm() clears ->mm under the same
 * lock before it drops its reference, so the mm cannot be freed while we read.
 * Like find_lock_task_mm(), a thread group whose leader already exited is
 * still measured through a live thread.  The thread list may be empty (the
 * group was reaped after for_each_process() found its leader): mm stays
 * NULL then.  Returns false for kernel threads and
 * for thread groups that no longer have an address space.
 */
static bool mtr_read_mm(struct task_struct *p, struct memtrace_sample *rec)
{
	unsigned long anon, file, shmem, hiwater;
	struct mm_struct *mm = NULL;
	struct task_struct *t;

	if (p->flags & PF_KTHREAD)
		return false;
	for_each_thread(p, t) {
		task_lock(t);
		mm = t->mm;
		if (mm)
			break;
		task_unlock(t);
	}
	if (!mm)
		return false;

	anon = mtr_get_mm_counter(mm, MM_ANONPAGES);
	file = mtr_get_mm_counter(mm, MM_FILEPAGES);
	shmem = mtr_get_mm_counter(mm, MM_SHMEMPAGES);
	hiwater = max(READ_ONCE(mm->hiwater_rss), anon + file + shmem);
	rec->vsz_kb = cpu_to_le64(MTR_PAGES_TO_KB(READ_ONCE(mm->total_vm)));
	rec->rss_anon_kb = cpu_to_le64(MTR_PAGES_TO_KB(anon));
	rec->rss_file_kb = cpu_to_le64(MTR_PAGES_TO_KB(file));
	rec->rss_shmem_kb = cpu_to_le64(MTR_PAGES_TO_KB(shmem));
	rec->swap_kb = cpu_to_le64(
		MTR_PAGES_TO_KB(mtr_get_mm_counter(mm, MM_SWAPENTS)));
	rec->hwm_kb = cpu_to_le64(MTR_PAGES_TO_KB(hiwater));
	task_unlock(t);
	return true;
}

/*
 * The thread group's memory delays, as taskstats sums them for a tgid
 * (fill_stats_for_tgid() in kernel/taskstats.c): signal->stats, where
 * taskstats_exit() added each exited thread's delays, plus every live
 * thread that is not exiting (one in do_exit() between those two steps is
 * counted twice, as taskstats counts it).  Each thread's task_delay_info
 * exists only if kernel.task_delayacct was on when it started; the figures
 * are read without its raw spinlock (64-bit loads, never torn).
 * Context: RCU read section (keeps the threads and signal->stats alive).
 */
static void mtr_read_delays(struct task_struct *p, struct memtrace_sample *rec)
{
#ifdef CONFIG_TASK_DELAY_ACCT
	u64 thrash = 0, swapin = 0, reclaim = 0, compact __maybe_unused = 0;
	struct signal_struct *sig = p->signal;
	struct task_struct *t;
	bool any = false;
#ifdef CONFIG_TASKSTATS
	struct taskstats *st = READ_ONCE(sig->stats);

	if (st) {
		thrash = READ_ONCE(st->thrashing_delay_total);
		swapin = READ_ONCE(st->swapin_delay_total);
		reclaim = READ_ONCE(st->freepages_delay_total);
#ifdef MTR_HAVE_COMPACT_DELAY
		compact = READ_ONCE(st->compact_delay_total);
#endif
		any = true;
	}
#endif
	__for_each_thread(sig, t) {
		struct task_delay_info *d = READ_ONCE(t->delays);

		if (!d || READ_ONCE(t->exit_state))
			continue;
		thrash += READ_ONCE(d->thrashing_delay);
		swapin += READ_ONCE(d->swapin_delay);
		reclaim += READ_ONCE(d->freepages_delay);
#ifdef MTR_HAVE_COMPACT_DELAY
		compact += READ_ONCE(d->compact_delay);
#endif
		any = true;
	}
	if (any) {
		rec->flags |= cpu_to_le32(MEMTRACE_SAMPLE_DELAYS_VALID);
		rec->thrashing_delay_ns = cpu_to_le64(thrash);
		rec->swapin_delay_ns = cpu_to_le64(swapin);
		rec->reclaim_delay_ns = cpu_to_le64(reclaim);
#ifdef MTR_HAVE_COMPACT_DELAY
		rec->compact_delay_ns = cpu_to_le64(compact);
#else
		rec->compact_delay_ns = cpu_to_le64(MEMTRACE_UNKNOWN);
#endif
		return;
	}
#endif
	rec->thrashing_delay_ns = 0;
	rec->swapin_delay_ns = 0;
	rec->reclaim_delay_ns = 0;
	rec->compact_delay_ns = 0;
}

/*
 * Faults and CPU time of the whole thread group: what exited threads left in
 * signal_struct plus every live thread, read under sig->stats_lock like
 * thread_group_cputime() and do_task_stat() (lockless first, then with the
 * lock if a thread exited meanwhile), so an exiting thread is counted once.
 *
 * The CPU split follows cputime_adjust(): tick-sampled utime/stime scaled to
 * the precise sum_exec_runtime, then clamped so that neither field ever
 * decreases, against our own copy of the last split (struct mtr_cputime;
 * the kernel's signal->prev_cputime is not ours to write).  Without memory
 * for that copy the sample carries the unclamped split, counted in
 * cputime_unclamped.  On nohz_full CPUs the tick-sampled part of a running
 * thread lags, as task_cputime() would fix.
 */
static void mtr_read_sig(struct task_struct *p, struct memtrace_sample *rec)
{
	struct signal_struct *sig = p->signal;
	u64 minflt, majflt, utime, stime, rtime;
	struct mtr_cputime *ct;
	int seq, nextseq = 0;
	struct task_struct *t;
	unsigned long flags;

	do {
		seq = nextseq;
		flags = read_seqbegin_or_lock_irqsave(&sig->stats_lock, &seq);
		minflt = sig->min_flt;
		majflt = sig->maj_flt;
		utime = sig->utime;
		stime = sig->stime;
		rtime = sig->sum_sched_runtime;
		__for_each_thread(sig, t) {
			minflt += READ_ONCE(t->min_flt);
			majflt += READ_ONCE(t->maj_flt);
			utime += READ_ONCE(t->utime);
			stime += READ_ONCE(t->stime);
			rtime += READ_ONCE(t->se.sum_exec_runtime);
		}
		nextseq = 1;
	} while (need_seqretry(&sig->stats_lock, seq));
	done_seqretry_irqrestore(&sig->stats_lock, seq, flags);

	if (!stime) {
		utime = rtime;
	} else if (!utime) {
		stime = rtime;
	} else {
		stime = min(mul_u64_u64_div_u64(stime, rtime, stime + utime),
			    rtime);
		utime = rtime - stime;
	}
	ct = mtr_cputime_get(p);
	if (ct)
		mtr_cputime_clamp(ct, rtime, &utime, &stime);
	else
		WRITE_ONCE(mtr_cputime_unclamped, mtr_cputime_unclamped + 1);
	rec->minflt = cpu_to_le64(minflt);
	rec->majflt = cpu_to_le64(majflt);
	rec->utime_ns = cpu_to_le64(utime);
	rec->stime_ns = cpu_to_le64(stime);
}

/**
 * mtr_proc_measure() - fill the record of one thread group.
 * @p:    the thread group leader (as pid_task(pid, PIDTYPE_TGID) yields it).
 * @tick: the current tick number.
 * @rec:  the caller's record: every field is set, the header's cpu, seq and
 *        ts_ns to 0 (the relay path stamps them), the WSS fields and flags
 *        to "not measured" (wss.c fills them in, and the PSS and idle
 *        fields),
 *        swap_pss_kb to MEMTRACE_UNKNOWN, ticks_missed to 0 (a
 *        figure of the tick: sampler.c stamps it).
 *
 * Context: process context inside rcu_read_lock(), which keeps @p, its
 * thread list and its signal_struct alive; takes task_lock() and, on
 * contention with an exiting thread, sig->stats_lock; does not sleep.
 * Return: true when @rec was filled, false when @p has no address space
 * (kernel thread, or exiting): then @rec is undefined.
 */
bool mtr_proc_measure(struct task_struct *p, u64 tick,
		      struct memtrace_sample *rec)
{
	/*
	 * The caller's record is not zeroed first (neither by memset() nor by
	 * the kernel's INIT_STACK_ALL_ZERO, see sampler.c): every field is
	 * assigned here, which saves 312 bytes of stores per sample.  A new
	 * field must be set here too; the size check makes adding one fail to
	 * build until this line is looked at again.
	 */
	BUILD_BUG_ON(sizeof(*rec) != 312);
	if (!mtr_read_mm(p, rec))	/* vsz_kb .. hwm_kb */
		return false;
	mtr_read_sig(p, rec);		/* minflt .. stime_ns */

	mtr_rec_hdr_init(&rec->hdr, MEMTRACE_REC_SAMPLE, sizeof(*rec));
	rec->tick = cpu_to_le64(tick);
	rec->tgid = cpu_to_le32(task_tgid_nr(p));
	/* p->comm of the leader is what /proc/PID/status "Name:" shows */
	strscpy_pad(rec->comm, p->comm, sizeof(rec->comm));
	rec->flags = 0;
	mtr_read_delays(p, rec);	/* flags, *_delay_ns */
	/* the cgroup v2 id, as bpf_get_current_cgroup_id() computes it */
	rec->cgroup_id = cpu_to_le64(cgroup_id(task_dfl_cgroup(p)));
	rec->wss_kb = 0;
	rec->wss_window_ns = 0;
	rec->ticks_missed = 0;
	rec->pss_kb = 0;
	rec->pss_anon_kb = 0;
	rec->pss_file_kb = 0;
	rec->pss_shmem_kb = 0;
	rec->uss_kb = 0;
	/* swp_swapcount() is not exported: see struct memtrace_sample */
	rec->swap_pss_kb = cpu_to_le64(MEMTRACE_UNKNOWN);
	rec->pss_window_ns = 0;
	memset(rec->idle_kb, 0, sizeof(rec->idle_kb));
	memset(rec->idle_s, 0, sizeof(rec->idle_s));
	return true;
}

/**
 * mtr_proc_sweep() - free the CPU-time state of thread groups that are gone.
 * @tick: the tick that just ended; the table is walked every 64th tick only.
 *
 * A group is gone when its struct pid has no thread group leader any more
 * (release_task() detached it).
 *
 * Context: the sampler's work item (process context, outside RCU).
 */
void mtr_proc_sweep(u64 tick)
{
	struct mtr_cputime *ct;
	unsigned long tgid;
	unsigned int visited = 0;
	bool gone;

	if (tick & 63)
		return;
	xa_for_each(&mtr_cputimes, tgid, ct) {
		rcu_read_lock();
		gone = !pid_task(ct->pid, PIDTYPE_TGID);
		rcu_read_unlock();
		if (gone)
			mtr_cputime_free(tgid, ct);
		if (!(++visited % MTR_YIELD_EVERY))
			cond_resched();
	}
}

/**
 * mtr_proc_show_stats() - print proc.c's line of the stats file.
 * @m: the seq_file.
 */
void mtr_proc_show_stats(struct seq_file *m)
{
	seq_printf(m, "cputime_unclamped: %llu\n", READ_ONCE(mtr_cputime_unclamped));
	/* kzalloc()'s slab object: sizeof rounded up to a kmalloc size */
	seq_printf(m, "cputime_states: %lu\n", READ_ONCE(mtr_cputime_n));
	seq_printf(m, "cputime_state_bytes: %lu\n",
		   READ_ONCE(mtr_cputime_n) * sizeof(struct mtr_cputime));
}

/**
 * mtr_proc_exit() - free every thread group's CPU-time state.
 *
 * Context: module exit, the sampler stopped.
 */
void mtr_proc_exit(void)
{
	struct mtr_cputime *ct;
	unsigned long tgid;

	xa_for_each(&mtr_cputimes, tgid, ct)
		mtr_cputime_free(tgid, ct);
	xa_destroy(&mtr_cputimes);
}
