// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace recording sessions: the session file.
 *
 * A reader that opens /sys/kernel/debug/memtrace/session for writing starts
 * a session; the settings it then changes through the control files
 * (enable, interval_ms, wss_interval_ms, pss_interval_ms, idle_ages_s,
 * pids, comms) belong to the session, and the last close of that open file -- at exit,
 * crash or SIGKILL alike, since the kernel closes a dying process's files --
 * puts back the settings that were there when it started.  This is how perf event file descriptors
 * and ftrace instances tie state to a handle: what a tool set cannot outlive
 * the tool.  A fork()ed child or a dup()ed descriptor shares the open file,
 * so the session ends when the last of them closes it.
 *
 * One session at a time: a second open for writing fails with EBUSY, and
 * changes nothing; reading the file (any open) says who holds the session:
 *
 *   owner_pid: 1234            tgid of the opener, 0 when no session
 *   owner_comm: memtrace-reader its comm at open, "-" when no session
 *
 * Control-file writes outside a session work as before (they are kept when
 * no session is open, as `echo 1 > enable` always was), and a session does
 * not stop other writers: all files are root-only.  The trace events do not
 * take part in sessions; `trace-cmd record -e memstat` works beside one.
 *
 * Locking: mtr_session_lock (a mutex) serialises sessions' start and end,
 * and the changes the control files make (mtr_session_writes_lock()), so
 * that a session's start and end are atomic to any write: a write lands
 * wholly before (then the session saves or undoes it) or wholly after.  It
 * is taken before the sampler's and the filter's locks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "memtrace.h"

static DEFINE_MUTEX(mtr_session_lock);

/**
 * struct mtr_session - the session in progress, under mtr_session_lock.
 * @file:            the open file that holds it; NULL when none.
 * @tgid:            its opener's tgid (initial PID namespace).
 * @comm:            its opener's comm at open.
 * @enable:          the enable file's value at the start.
 * @interval_ms:     interval_ms at the start.
 * @wss_interval_ms: wss_interval_ms at the start.
 * @pss_interval_ms: pss_interval_ms at the start.
 * @idle_ages:       idle_ages_s at the start (packed).
 * The filter (pids, comms) is set aside by pids.c (mtr_pids_push()).
 */
static struct mtr_session {
	struct file *file;
	pid_t tgid;
	char comm[TASK_COMM_LEN];
	bool enable;
	unsigned int interval_ms;
	unsigned int wss_interval_ms;
	unsigned int pss_interval_ms;
	u64 idle_ages;
} mtr_sess;

static int mtr_session_show(struct seq_file *m, void *v)
{
	mutex_lock(&mtr_session_lock);
	if (mtr_sess.file)
		seq_printf(m, "owner_pid: %d\nowner_comm: %s\n", mtr_sess.tgid,
			   mtr_sess.comm);
	else
		seq_puts(m, "owner_pid: 0\nowner_comm: -\n");
	mutex_unlock(&mtr_session_lock);
	return 0;
}

/* Start a session held by @file; -EBUSY if one runs, -ENOMEM. */
static int mtr_session_start(struct file *file)
{
	int err;

	mutex_lock(&mtr_session_lock);
	if (mtr_sess.file) {
		err = -EBUSY;
		goto out_unlock;
	}
	/* the only step that can fail: nothing to undo before it */
	err = mtr_pids_push();
	if (err)
		goto out_unlock;
	mtr_sess.enable = mtr_sampler_enabled();
	mtr_sess.interval_ms = READ_ONCE(mtr_interval_ms);
	mtr_sess.wss_interval_ms = READ_ONCE(mtr_wss_interval_ms);
	mtr_sess.pss_interval_ms = READ_ONCE(mtr_pss_interval_ms);
	mtr_sess.idle_ages = READ_ONCE(mtr_idle_ages);
	mtr_sess.tgid = task_tgid_nr(current);
	get_task_comm(mtr_sess.comm, current);
	mtr_sess.file = file;
out_unlock:
	mutex_unlock(&mtr_session_lock);
	return err;
}

/*
 * End the session held by @file: stop the relay path first, so that no
 * tick samples with half of each setting, then put every setting back.
 * Nothing here can fail: the filter comes back without allocating, and the
 * saved values were valid when they were read (a setter's error would only
 * mean that another writer's value stays; there is none to report it to).
 */
static void mtr_session_end(struct file *file)
{
	mutex_lock(&mtr_session_lock);
	if (mtr_sess.file == file) {
		mtr_sampler_set_enabled(false);
		mtr_pids_pop();
		mtr_wss_set_interval(mtr_sess.wss_interval_ms);
		mtr_pss_set_interval(mtr_sess.pss_interval_ms);
		mtr_idle_set_ages(mtr_sess.idle_ages);
		mtr_sampler_set_interval(mtr_sess.interval_ms);
		mtr_sampler_set_enabled(mtr_sess.enable);
		mtr_sess.file = NULL;
	}
	mutex_unlock(&mtr_session_lock);
}

/**
 * mtr_session_writes_lock() - hold off sessions' start and end while a
 * control file changes a setting.
 *
 * Context: process context, may sleep (up to the end of a tick, when a
 * session ends meanwhile).  Take it only around the setter, never across a
 * user-space access.  Paired with mtr_session_writes_unlock().
 */
void mtr_session_writes_lock(void)
{
	mutex_lock(&mtr_session_lock);
}

/**
 * mtr_session_writes_unlock() - the end of mtr_session_writes_lock().
 */
void mtr_session_writes_unlock(void)
{
	mutex_unlock(&mtr_session_lock);
}

/*
 * Open: any open may read who holds the session; an open for writing
 * starts one.  -EAGAIN until module init has succeeded (mtr_live), as for
 * the other control files (control.c), -EBUSY while a session runs.
 */
static int mtr_session_open(struct inode *inode, struct file *file)
{
	int err;

	/* pairs with the release at the end of mtr_init() */
	if (!smp_load_acquire(&mtr_live))
		return -EAGAIN;
	err = single_open(file, mtr_session_show, NULL);
	if (err || !(file->f_mode & FMODE_WRITE))
		return err;
	err = mtr_session_start(file);
	if (err)
		single_release(inode, file);
	return err;
}

/* The last close of the open file (every dup and fork's copy closed). */
static int mtr_session_release(struct inode *inode, struct file *file)
{
	if (file->f_mode & FMODE_WRITE)
		mtr_session_end(file);
	return single_release(inode, file);
}

/*
 * The session file's operations (control.c creates the file).  An open
 * session pins the module (.owner): rmmod fails with EAGAIN until it ends,
 * so module exit never finds one.
 */
const struct file_operations mtr_session_fops = {
	.owner = THIS_MODULE,
	.open = mtr_session_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = mtr_session_release,
};
