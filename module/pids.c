// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace pid filter: the set of registered thread groups.
 *
 * While no tgid was ever registered (or after "clear", or after the last one
 * was unregistered explicitly) the filter is off and every process is
 * sampled.  Registering turns it on.  Entries hold a struct pid reference, so
 * a recycled PID number is never mistaken for the registered process; a
 * process that exited drops out at the next tick, and the filter stays on
 * (an empty filter samples nothing, never "everything" by surprise).
 *
 * The tick walks the set with the mtr_pids_iter_*() functions: the filter
 * only chooses tasks, the tick (sampler.c) measures and emits.
 *
 * Locking: mtr_pids_lock (a mutex) serialises the control file and the tick.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/xarray.h>

#include "memtrace.h"

static DEFINE_MUTEX(mtr_pids_lock);
static DEFINE_XARRAY(mtr_pids); /* tgid -> struct pid * (a reference) */
static unsigned int mtr_pids_count;
static bool mtr_pids_filter;

/**
 * mtr_pids_add() - register a thread group.
 * @nr: its tgid in the initial PID namespace.
 *
 * Registering a tgid that is already registered succeeds and changes nothing.
 * Context: process context, may sleep; takes mtr_pids_lock.
 * Return: 0; -ESRCH when no process has tgid @nr (a thread id that is not a
 * tgid included); -EINVAL for a kernel thread (it has no address space);
 * -ENOSPC when MTR_MAX_PIDS are registered; -ENOMEM.  On error nothing changes.
 */
int mtr_pids_add(int nr)
{
	struct task_struct *p;
	struct pid *pid, *old;
	int err = 0;

	rcu_read_lock();
	pid = find_pid_ns(nr, &init_pid_ns);
	p = pid ? pid_task(pid, PIDTYPE_TGID) : NULL;
	if (!p)
		err = -ESRCH;
	else if (p->flags & PF_KTHREAD)
		err = -EINVAL;
	else
		get_pid(pid);
	rcu_read_unlock();
	if (err)
		return err;

	mutex_lock(&mtr_pids_lock);
	old = xa_load(&mtr_pids, nr);
	if (old) {
		/*
		 * The old entry's process is gone if the struct pid differs.
		 * Replacing an existing entry allocates nothing: cannot fail.
		 */
		xa_store(&mtr_pids, nr, pid, GFP_KERNEL);
		put_pid(old);
	} else if (mtr_pids_count >= MTR_MAX_PIDS) {
		err = -ENOSPC;
	} else {
		err = xa_insert(&mtr_pids, nr, pid, GFP_KERNEL);
		if (!err)
			mtr_pids_count++;
	}
	if (!err)
		mtr_pids_filter = true;
	mutex_unlock(&mtr_pids_lock);
	if (err)
		put_pid(pid);
	return err;
}

/**
 * mtr_pids_del() - unregister a thread group.
 * @nr: its tgid.
 *
 * Unregistering the last one turns the filter off (every process sampled).
 * Context: process context, may sleep; takes mtr_pids_lock.
 * Return: 0, or -ENOENT when @nr is not registered (never was, or its
 * process exited and dropped out); then nothing changes.
 */
int mtr_pids_del(int nr)
{
	struct pid *old;

	mutex_lock(&mtr_pids_lock);
	old = xa_erase(&mtr_pids, nr);
	if (old) {
		put_pid(old);
		if (!--mtr_pids_count)
			mtr_pids_filter = false;
	}
	mutex_unlock(&mtr_pids_lock);
	return old ? 0 : -ENOENT;
}

/**
 * mtr_pids_clear() - unregister everything and turn the filter off.
 *
 * Context: process context, may sleep; takes mtr_pids_lock.
 */
void mtr_pids_clear(void)
{
	struct pid *pid;
	unsigned long nr;

	mutex_lock(&mtr_pids_lock);
	xa_for_each(&mtr_pids, nr, pid) {
		xa_erase(&mtr_pids, nr);
		put_pid(pid);
	}
	mtr_pids_count = 0;
	mtr_pids_filter = false;
	mutex_unlock(&mtr_pids_lock);
}

/**
 * mtr_pids_show() - print the registered tgids, one per line, ascending.
 * @m: the seq_file of the pids control file.
 *
 * Context: process context; takes mtr_pids_lock.
 */
void mtr_pids_show(struct seq_file *m)
{
	struct pid *pid;
	unsigned long nr;

	mutex_lock(&mtr_pids_lock);
	xa_for_each(&mtr_pids, nr, pid)
		seq_printf(m, "%lu\n", nr);
	mutex_unlock(&mtr_pids_lock);
}

/**
 * mtr_pids_iter_begin() - start a tick's walk over the registered groups.
 *
 * The filter only chooses: the tick measures what it is given.  While the
 * walk runs (until mtr_pids_iter_end()) the set cannot change.
 * Context: the sampler's work item; may sleep.  On true, mtr_pids_lock is
 * held until mtr_pids_iter_end().
 * Return: false when the filter is off (every process is to be sampled;
 * nothing is held), true when the tick samples the set.
 */
bool mtr_pids_iter_begin(void)
{
	mutex_lock(&mtr_pids_lock);
	if (mtr_pids_filter)
		return true;
	mutex_unlock(&mtr_pids_lock);
	return false;
}

/**
 * mtr_pids_iter_next() - the next registered group.
 * @nr: in: the least tgid wanted (0 to start); out: the group's tgid.
 *
 * Context: between mtr_pids_iter_begin() (true) and mtr_pids_iter_end().
 * Return: its struct pid (the filter's reference: valid until the walk
 * ends or the entry is dropped), or NULL at the end of the set.
 */
struct pid *mtr_pids_iter_next(unsigned long *nr)
{
	lockdep_assert_held(&mtr_pids_lock);
	return xa_find(&mtr_pids, nr, ULONG_MAX, XA_PRESENT);
}

/**
 * mtr_pids_iter_drop() - drop a group whose process is gone.
 * @nr: its tgid, as mtr_pids_iter_next() gave it.
 *
 * The filter stays on: an empty set samples nothing.
 * Context: between mtr_pids_iter_begin() (true) and mtr_pids_iter_end().
 */
void mtr_pids_iter_drop(unsigned long nr)
{
	struct pid *pid;

	lockdep_assert_held(&mtr_pids_lock);
	pid = xa_erase(&mtr_pids, nr);
	if (pid) {
		put_pid(pid);
		mtr_pids_count--;
	}
}

/**
 * mtr_pids_iter_end() - end the walk.
 *
 * Context: after mtr_pids_iter_begin() returned true.
 */
void mtr_pids_iter_end(void)
{
	mutex_unlock(&mtr_pids_lock);
}

/**
 * mtr_pids_exit() - drop every reference at module unload.
 *
 * Context: process context; the sampler and control files are gone.
 */
void mtr_pids_exit(void)
{
	mtr_pids_clear();
	xa_destroy(&mtr_pids);
}
