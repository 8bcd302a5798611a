// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace process filter: the registered thread groups and command names.
 *
 * While no tgid and no name was ever registered (or after "clear", or after
 * the last one was unregistered explicitly) the filter is off and every
 * process is sampled.  Registering turns it on.  Tgid entries hold a struct
 * pid reference, so a recycled PID number is never mistaken for the
 * registered process; a process that exited drops out at the next tick, and
 * the filter stays on (an empty filter samples nothing, never "everything"
 * by surprise).  Names (the comms file) are matched each tick against the
 * thread-group leader's comm, exactly (the kernel's 15-character comm, as
 * /proc/PID/comm prints it), so processes started later are caught.
 *
 * The tick walks the chosen groups with the mtr_pids_iter_*() functions:
 * the filter only chooses tasks, the tick (sampler.c) measures and emits.
 *
 * A recording session (session.c) works on a copy of the filter
 * (mtr_pids_push()) and the original comes back, unchanged, when the
 * session ends (mtr_pids_pop()): restoring cannot fail, as nothing is
 * allocated then.
 *
 * Locking: mtr_pids_lock (a mutex) serialises the control files, the
 * session and the tick.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/ctype.h>
#include <linux/lockdep.h>
#include <linux/limits.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "memtrace.h"

/**
 * struct mtr_filter - one process filter.
 * @pids:   tgid -> struct pid * (a reference).
 * @count:  entries in @pids.
 * @pids_on: the tgid set is on (a tgid was registered since the last
 *          "clear" or explicit removal of the last one): an empty set that
 *          is on samples nothing.  The filter is on when this is or a name
 *          is registered; removing the last name never turns an emptied
 *          set of exited processes into "every process".
 * @ncomms: names in @comms.
 * @comms:  registered command names, NUL-padded.
 * @ncgroups: cgroups in @cgroups.
 * @cgroups: registered cgroup v2 directories (a reference each): every
 *          process in one of them or below is chosen.
 */
struct mtr_filter {
	struct xarray pids;
	unsigned int count;
	bool pids_on;
	unsigned int ncomms;
	char comms[MTR_MAX_COMMS][TASK_COMM_LEN];
	unsigned int ncgroups;
	struct cgroup *cgroups[MTR_MAX_CGROUPS];
};

static DEFINE_MUTEX(mtr_pids_lock);
/* the filter at load time, and the one outside any session */
static struct mtr_filter mtr_filter0 = {
	.pids = XARRAY_INIT(mtr_filter0.pids, 0),
};

/* the filter in force, and the one a session saved (under mtr_pids_lock) */
static struct mtr_filter *mtr_f = &mtr_filter0, *mtr_f_saved;

/*
 * A name the comms file can hold: 1..TASK_COMM_LEN - 1 bytes, no control
 * character (the file prints one name per line).
 */
static bool mtr_comm_valid(const char *name)
{
	size_t len = strlen(name), i;

	if (!len || len >= TASK_COMM_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (iscntrl(name[i]))
			return false;
	return true;
}

/* Drop every entry of @f; it stays usable (empty, off).  Never sleeps. */
static void mtr_filter_empty(struct mtr_filter *f)
{
	struct pid *pid;
	unsigned long nr;

	xa_for_each(&f->pids, nr, pid) {
		xa_erase(&f->pids, nr);
		put_pid(pid);
	}
	f->count = 0;
	f->pids_on = false;
	f->ncomms = 0;
	while (f->ncgroups)
		cgroup_put(f->cgroups[--f->ncgroups]);
}

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
	old = xa_load(&mtr_f->pids, nr);
	if (old) {
		/*
		 * The old entry's process is gone if the struct pid differs.
		 * Replacing an existing entry allocates nothing: cannot fail.
		 */
		xa_store(&mtr_f->pids, nr, pid, GFP_KERNEL);
		put_pid(old);
	} else if (mtr_f->count >= MTR_MAX_PIDS) {
		err = -ENOSPC;
	} else {
		err = xa_insert(&mtr_f->pids, nr, pid, GFP_KERNEL);
		if (!err)
			mtr_f->count++;
	}
	if (!err)
		mtr_f->pids_on = true;
	mutex_unlock(&mtr_pids_lock);
	if (err)
		put_pid(pid);
	return err;
}

/**
 * mtr_pids_del() - unregister a thread group.
 * @nr: its tgid.
 *
 * Unregistering the last one turns the tgid set off: with no name
 * registered either, every process is sampled.
 * Context: process context, may sleep; takes mtr_pids_lock.
 * Return: 0, or -ENOENT when @nr is not registered (never was, or its
 * process exited and dropped out); then nothing changes.
 */
int mtr_pids_del(int nr)
{
	struct pid *old;

	mutex_lock(&mtr_pids_lock);
	old = xa_erase(&mtr_f->pids, nr);
	if (old) {
		put_pid(old);
		if (!--mtr_f->count)
			mtr_f->pids_on = false;
	}
	mutex_unlock(&mtr_pids_lock);
	return old ? 0 : -ENOENT;
}

/**
 * mtr_pids_clear() - unregister every tgid and name; the filter is off.
 *
 * Context: process context, may sleep; takes mtr_pids_lock.
 */
void mtr_pids_clear(void)
{
	mutex_lock(&mtr_pids_lock);
	mtr_filter_empty(mtr_f);
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
	xa_for_each(&mtr_f->pids, nr, pid)
		seq_printf(m, "%lu\n", nr);
	mutex_unlock(&mtr_pids_lock);
}

/**
 * mtr_pids_comm_add() - register a command name.
 * @name: the name, 1..TASK_COMM_LEN - 1 bytes without control characters,
 *        matched exactly against the thread-group leader's comm (the
 *        kernel's, as /proc/PID/comm shows it: longer names are truncated
 *        by the kernel, so give at most the first 15 bytes).
 *
 * Registering a name that is already registered succeeds and changes
 * nothing.  Turns the filter on.
 * Context: process context, may sleep; takes mtr_pids_lock.
 * Return: 0; -EINVAL for an empty or too long name, or one with a control
 * character (it would break the comms file's one name per line); -ENOSPC when
 * MTR_MAX_COMMS are registered.  On error nothing changes.
 */
int mtr_pids_comm_add(const char *name)
{
	unsigned int i;
	int err = 0;

	if (!mtr_comm_valid(name))
		return -EINVAL;
	mutex_lock(&mtr_pids_lock);
	for (i = 0; i < mtr_f->ncomms; i++)
		if (!strcmp(mtr_f->comms[i], name))
			break;
	if (i < mtr_f->ncomms)
		;
	else if (mtr_f->ncomms >= MTR_MAX_COMMS)
		err = -ENOSPC;
	else
		strscpy_pad(mtr_f->comms[mtr_f->ncomms++], name, TASK_COMM_LEN);
	mutex_unlock(&mtr_pids_lock);
	return err;
}

/**
 * mtr_pids_comm_del() - unregister a command name.
 * @name: as registered.
 *
 * Unregistering the last name leaves the tgid set as it is: on (even if
 * its processes have all exited, so nothing is sampled) or off (every
 * process is sampled).
 * Context: process context, may sleep; takes mtr_pids_lock.
 * Return: 0; -EINVAL for a name that could never be registered (empty or
 * too long); -ENOENT when @name is not registered.  On error nothing
 * changes.
 */
int mtr_pids_comm_del(const char *name)
{
	unsigned int i;
	int err = -ENOENT;

	if (!mtr_comm_valid(name))
		return -EINVAL;
	mutex_lock(&mtr_pids_lock);
	for (i = 0; i < mtr_f->ncomms; i++) {
		if (strcmp(mtr_f->comms[i], name))
			continue;
		/* keep the list dense: the last name takes this slot */
		mtr_f->ncomms--;
		if (i != mtr_f->ncomms)
			memcpy(mtr_f->comms[i], mtr_f->comms[mtr_f->ncomms],
			       TASK_COMM_LEN);
		memset(mtr_f->comms[mtr_f->ncomms], 0, TASK_COMM_LEN);
		err = 0;
		break;
	}
	mutex_unlock(&mtr_pids_lock);
	return err;
}

/**
 * mtr_pids_comm_show() - print the registered names, one per line, in the
 * order of registration (a deletion moves the last name into its slot).
 * @m: the seq_file of the comms control file.
 *
 * Context: process context; takes mtr_pids_lock.
 */
void mtr_pids_comm_show(struct seq_file *m)
{
	unsigned int i;

	mutex_lock(&mtr_pids_lock);
	for (i = 0; i < mtr_f->ncomms; i++)
		seq_printf(m, "%s\n", mtr_f->comms[i]);
	mutex_unlock(&mtr_pids_lock);
}

/**
 * mtr_pids_cgroup_add() - register a cgroup v2 directory: every process in
 * it or in a cgroup below it is sampled, as it is at each tick (a process
 * started or moved in later is caught).
 * @path: the cgroup's path from the root of the writer's cgroup namespace
 *        (cgroup_get_from_path()), e.g. "/system.slice/foo.service".
 *
 * Registering a cgroup that is already registered succeeds and changes
 * nothing.  Turns the filter on.  The reference taken keeps the struct
 * cgroup (not the directory) until it is unregistered.
 * Context: process context, may sleep; takes mtr_pids_lock.
 * Return: 0; -ENOENT when no cgroup has that path; -ENOTDIR when it names a
 * file; -ENOSPC when MTR_MAX_CGROUPS are registered.  On error nothing
 * changes.
 */
int mtr_pids_cgroup_add(const char *path)
{
	struct cgroup *cgrp = cgroup_get_from_path(path);
	unsigned int i;
	int err = 0;

	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	mutex_lock(&mtr_pids_lock);
	for (i = 0; i < mtr_f->ncgroups; i++)
		if (mtr_f->cgroups[i] == cgrp)
			break;
	if (i < mtr_f->ncgroups) {
		err = 1;	/* already there: drop the new reference */
	} else if (mtr_f->ncgroups >= MTR_MAX_CGROUPS) {
		err = -ENOSPC;
	} else {
		mtr_f->cgroups[mtr_f->ncgroups++] = cgrp;
		cgrp = NULL;
	}
	mutex_unlock(&mtr_pids_lock);
	if (cgrp)
		cgroup_put(cgrp);
	return err < 0 ? err : 0;
}

/**
 * mtr_pids_cgroup_del() - unregister a cgroup.
 * @path: as for mtr_pids_cgroup_add(); the cgroup must still exist ("clear"
 *        drops one whose directory was removed).
 *
 * Context: process context, may sleep; takes mtr_pids_lock.
 * Return: 0; -ENOENT when no cgroup has that path or it is not registered;
 * -ENOTDIR as for mtr_pids_cgroup_add().  On error nothing changes.
 */
int mtr_pids_cgroup_del(const char *path)
{
	struct cgroup *cgrp = cgroup_get_from_path(path), *gone = NULL;
	unsigned int i;

	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	mutex_lock(&mtr_pids_lock);
	for (i = 0; i < mtr_f->ncgroups; i++) {
		if (mtr_f->cgroups[i] != cgrp)
			continue;
		gone = cgrp;
		/* keep the list dense: the last one takes this slot */
		mtr_f->cgroups[i] = mtr_f->cgroups[--mtr_f->ncgroups];
		mtr_f->cgroups[mtr_f->ncgroups] = NULL;
		break;
	}
	mutex_unlock(&mtr_pids_lock);
	cgroup_put(cgrp);
	if (!gone)
		return -ENOENT;
	cgroup_put(gone);
	return 0;
}

/**
 * mtr_pids_cgroup_show() - print the registered cgroups' paths from the
 * hierarchy's root (cgroup_path()), one per line, in registration order
 * (a deletion moves the last one into its slot).
 * @m: the seq_file of the cgroups control file.
 *
 * Context: process context; takes mtr_pids_lock.
 */
void mtr_pids_cgroup_show(struct seq_file *m)
{
	char *buf = kmalloc(PATH_MAX, GFP_KERNEL);
	unsigned int i;

	if (!buf)
		return;
	mutex_lock(&mtr_pids_lock);
	for (i = 0; i < mtr_f->ncgroups; i++)
		if (cgroup_path(mtr_f->cgroups[i], buf, PATH_MAX) >= 0)
			seq_printf(m, "%s\n", buf);
	mutex_unlock(&mtr_pids_lock);
	kfree(buf);
}

/**
 * mtr_pids_push() - give a session a copy of the filter to work on.
 *
 * The filter in force is set aside, unchanged, and a copy of it (the same
 * tgids, each with its own struct pid reference, and names) takes its
 * place until mtr_pids_pop().
 * Context: process context, may sleep; takes mtr_pids_lock.  One session
 * at a time (session.c serialises them).
 * Return: 0, or -ENOMEM (then nothing changed).
 */
int mtr_pids_push(void)
{
	struct mtr_filter *f;
	struct pid *pid;
	unsigned long nr;
	int err = 0;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	xa_init(&f->pids);
	mutex_lock(&mtr_pids_lock);
	if (WARN_ON_ONCE(mtr_f_saved)) {
		err = -EBUSY;
		goto out_unlock;
	}
	xa_for_each(&mtr_f->pids, nr, pid) {
		err = xa_insert(&f->pids, nr, get_pid(pid), GFP_KERNEL);
		if (err) {
			put_pid(pid);
			goto out_unlock;
		}
		f->count++;
	}
	f->pids_on = mtr_f->pids_on;
	f->ncomms = mtr_f->ncomms;
	memcpy(f->comms, mtr_f->comms, sizeof(f->comms));
	for (f->ncgroups = 0; f->ncgroups < mtr_f->ncgroups; f->ncgroups++) {
		f->cgroups[f->ncgroups] = mtr_f->cgroups[f->ncgroups];
		cgroup_get(f->cgroups[f->ncgroups]);
	}
	mtr_f_saved = mtr_f;
	mtr_f = f;
	f = NULL;
out_unlock:
	mutex_unlock(&mtr_pids_lock);
	if (f) {
		mtr_filter_empty(f);
		xa_destroy(&f->pids);
		kfree(f);
	}
	return err;
}

/**
 * mtr_pids_pop() - end a session: the filter set aside by mtr_pids_push()
 * is in force again, and the session's copy is freed.
 *
 * Allocates nothing, so it cannot fail.  The saved filter's tgids whose
 * processes exited meanwhile drop out at the next tick, as usual.
 * Context: process context, may sleep; takes mtr_pids_lock.  Only after a
 * successful mtr_pids_push().
 */
void mtr_pids_pop(void)
{
	struct mtr_filter *f;

	mutex_lock(&mtr_pids_lock);
	f = mtr_f;
	if (WARN_ON_ONCE(!mtr_f_saved)) {
		mutex_unlock(&mtr_pids_lock);
		return;
	}
	mtr_f = mtr_f_saved;
	mtr_f_saved = NULL;
	mutex_unlock(&mtr_pids_lock);
	mtr_filter_empty(f);
	xa_destroy(&f->pids);
	kfree(f);
}

/**
 * mtr_pids_iter_begin() - start a tick's choice of thread groups.
 *
 * The filter only chooses: the tick measures what it is given.  While the
 * walk runs (until mtr_pids_iter_end()) the filter cannot change.
 * Context: the sampler's work item; may sleep.  Unless MTR_CHOOSE_ALL is
 * returned, mtr_pids_lock is held until mtr_pids_iter_end().
 * Return: MTR_CHOOSE_ALL when the filter is off (every process is to be
 * sampled; nothing is held); MTR_CHOOSE_SET when only tgids are registered
 * (walk them with mtr_pids_iter_next()); MTR_CHOOSE_MATCH when names or
 * cgroups are registered (walk every process and ask mtr_pids_match(),
 * then call mtr_pids_iter_sweep()).
 */
enum mtr_choose mtr_pids_iter_begin(void)
{
	mutex_lock(&mtr_pids_lock);
	if (mtr_f->ncomms || mtr_f->ncgroups)
		return MTR_CHOOSE_MATCH;
	if (mtr_f->pids_on)
		return MTR_CHOOSE_SET;
	mutex_unlock(&mtr_pids_lock);
	return MTR_CHOOSE_ALL;
}

/**
 * mtr_pids_match() - is this thread group chosen (MTR_CHOOSE_MATCH)?
 * @pid: the group's struct pid (its tgid's).
 * @p:   its leader.
 *
 * Context: between mtr_pids_iter_begin() and mtr_pids_iter_end(), inside
 * rcu_read_lock() (which keeps @p alive).
 * Return: whether @pid is registered (the same struct pid, not only the
 * same number), the leader's comm is a registered name, or the leader's
 * cgroup is a registered one or below one.
 */
bool mtr_pids_match(struct pid *pid, struct task_struct *p)
{
	char comm[TASK_COMM_LEN];
	unsigned int i;

	lockdep_assert_held(&mtr_pids_lock);
	if (mtr_f->count && xa_load(&mtr_f->pids, pid_nr(pid)) == pid)
		return true;
	/*
	 * Under task_lock on the lines that write comm under it (6.1's
	 * __get_task_comm(), as /proc/PID/comm reads it): a rename or exec
	 * at the same time cannot give a torn name.  A spinlock: allowed
	 * under RCU (on PREEMPT_RT too, whose RCU readers may sleep on it).
	 */
	if (mtr_f->ncomms) {
		get_task_comm(comm, p);
		for (i = 0; i < mtr_f->ncomms; i++)
			if (!memcmp(comm, mtr_f->comms[i], TASK_COMM_LEN))
				return true;
	}
	if (mtr_f->ncgroups) {
		/* the leader's cgroup, as for cgroup_id (RCU keeps it) */
		struct cgroup *cg = task_dfl_cgroup(p);

		for (i = 0; i < mtr_f->ncgroups; i++)
			if (cgroup_is_descendant(cg, mtr_f->cgroups[i]))
				return true;
	}
	return false;
}

/**
 * mtr_pids_iter_sweep() - drop the registered tgids whose process is gone
 * (MTR_CHOOSE_MATCH walks, which do not visit the set itself).
 *
 * Context: between mtr_pids_iter_begin() and mtr_pids_iter_end().
 */
void mtr_pids_iter_sweep(void)
{
	struct pid *pid;
	unsigned long nr;
	bool gone;

	lockdep_assert_held(&mtr_pids_lock);
	xa_for_each(&mtr_f->pids, nr, pid) {
		rcu_read_lock();
		gone = !pid_task(pid, PIDTYPE_TGID);
		rcu_read_unlock();
		if (gone)
			mtr_pids_iter_drop(nr);
	}
}

/**
 * mtr_pids_iter_next() - the next registered group.
 * @nr: in: the least tgid wanted (0 to start); out: the group's tgid.
 *
 * Context: between mtr_pids_iter_begin() (MTR_CHOOSE_SET) and
 * mtr_pids_iter_end().
 * Return: its struct pid (the filter's reference: valid until the walk
 * ends or the entry is dropped), or NULL at the end of the set.
 */
struct pid *mtr_pids_iter_next(unsigned long *nr)
{
	lockdep_assert_held(&mtr_pids_lock);
	return xa_find(&mtr_f->pids, nr, ULONG_MAX, XA_PRESENT);
}

/**
 * mtr_pids_iter_drop() - drop a group whose process is gone.
 * @nr: its tgid, as mtr_pids_iter_next() gave it.
 *
 * The filter stays on: an empty set samples nothing.
 * Context: between mtr_pids_iter_begin() (not MTR_CHOOSE_ALL) and
 * mtr_pids_iter_end().
 */
void mtr_pids_iter_drop(unsigned long nr)
{
	struct pid *pid;

	lockdep_assert_held(&mtr_pids_lock);
	pid = xa_erase(&mtr_f->pids, nr);
	if (pid) {
		put_pid(pid);
		mtr_f->count--;
	}
}

/**
 * mtr_pids_iter_end() - end the walk.
 *
 * Context: after mtr_pids_iter_begin() returned other than MTR_CHOOSE_ALL.
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
	/* no session can be open: its file pins the module */
	mtr_pids_clear();
	xa_destroy(&mtr_filter0.pids);
}
