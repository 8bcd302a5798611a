// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace control files in /sys/kernel/debug/memtrace/ (root only):
 *
 *   enable       rw  "0" or "1": the sampler runs while it is 1.  Writing 0
 *                    returns once the tick in progress has finished.
 *   interval_ms  rw  tick period in ms, 1..60000 (default 100); also the
 *                    module parameter of that name.  On a change the next
 *                    tick comes one new interval later.
 *   pids         rw  read: registered tgids, one per line.  Write "+PID" to
 *                    register, "-PID" to unregister, "clear" to return to
 *                    sampling every process (names in comms included).
 *   comms        rw  read: registered command names, one per line.  Write
 *                    "+NAME" to sample every process whose leader's comm
 *                    is NAME (exactly; 1..15 bytes, as /proc/PID/comm
 *                    shows it), matched each tick so that processes started
 *                    later are caught; "-NAME" to unregister, "clear" as for
 *                    pids.  With both, a process is sampled when its tgid
 *                    or its name is registered.  At most MTR_MAX_COMMS (16).
 *   cgroups      rw  read: registered cgroup v2 directories, one path per
 *                    line (from the hierarchy's root).  Write "+PATH" to
 *                    sample every process in that cgroup or below it, as
 *                    it is at each tick (processes started or moved in
 *                    later are caught); PATH is from the root of the
 *                    writer's cgroup namespace, e.g. "/a/b" for
 *                    /sys/fs/cgroup/a/b, at most 255 bytes.  "-PATH" to
 *                    unregister (-ENOENT if not registered or gone),
 *                    "clear" as for pids.  A process is sampled when its
 *                    tgid, its name or its cgroup is registered.  At most
 *                    MTR_MAX_CGROUPS (16); -ENOTDIR for a file.
 *   session      rw  an open for writing starts a recording session, whose
 *                    last close puts back every setting above (session.c);
 *                    read: who holds it.  EBUSY while another runs.
 *   wss_interval_ms rw WSS window in ms: 0 = off (default) or 10..600000;
 *                    also the module parameter of that name.  A non-zero
 *                    window fails with -EOPNOTSUPP on an architecture
 *                    without a WSS scanner (wss_none.c).
 *   pss_interval_ms rw how often each sampled process's PSS and USS are
 *                    summed, in ms: 0 = off (default) or 10..600000; also
 *                    the module parameter of that name.  While WSS is on
 *                    the sum rides on its passes (wss.c).
 *   idle_ages_s  rw  idle-age thresholds in seconds: "T1[,T2[,T3[,T4]]]",
 *                    each 1..65535 and above the one before, or 0 = off
 *                    (default); also the module parameter of that name.
 *                    Ages come from WSS passes: figures only while
 *                    wss_interval_ms is on (wss.c).
 *   stats        r   "key: value" lines, see mtr_stats_show().
 *
 * A write's change happens under session.c's lock (after its input is
 * copied and parsed, so that a writer stalled in a page fault holds
 * nothing): a recording session's start and end are atomic to it.
 *
 * Writes take one value per write(2) (a trailing newline is allowed) and are
 * all-or-nothing: malformed input returns -EINVAL, a PID that does not exist
 * -ESRCH, an unregistered PID or name -ENOENT, a full filter -ENOSPC, and
 * in every error case nothing changes.  An open control file pins the
 * module (rmmod fails with EAGAIN until it is closed), and so does an open
 * cpuN file (channel.c).  Opening
 * a control file while the module loads fails with EAGAIN (until modprobe
 * has returned, see MTR_RW_FOPS), while it unloads with ENXIO (see
 * mtr_control_create()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "memtrace.h"

/* Longest command accepted by a control file ("+2147483647\n" and slack). */
#define MTR_CMD_MAX 32

/*
 * Copy a one-line command from user space and strip surrounding white space.
 * Returns 0 or -EINVAL (empty, too long, embedded NUL) / -EFAULT.
 */
static int mtr_get_cmd_max(const char __user *ubuf, size_t count, char *buf,
			   size_t max)
{
	char *s;

	if (!count || count >= max)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (strlen(buf) != count)
		return -EINVAL;
	s = strim(buf);
	if (!*s)
		return -EINVAL;
	memmove(buf, s, strlen(s) + 1);
	return 0;
}

static int mtr_get_cmd(const char __user *ubuf, size_t count, char *buf)
{
	return mtr_get_cmd_max(ubuf, count, buf, MTR_CMD_MAX);
}

/* Parse a whole decimal unsigned int with no sign, as written to the files. */
static int mtr_parse_uint(const char *s, unsigned int *val)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	return kstrtouint(s, 10, val) ? -EINVAL : 0;
}

/*
 * Read one decimal number from user space into *val: @min..@max, or also 0
 * when @zero_ok.  Returns 0 or -EINVAL/-EFAULT (then *val is untouched).
 */
static int mtr_get_uint(const char __user *ubuf, size_t count, unsigned int min,
			unsigned int max, bool zero_ok, unsigned int *val)
{
	char buf[MTR_CMD_MAX];
	unsigned int v;
	int err;

	err = mtr_get_cmd(ubuf, count, buf);
	if (!err)
		err = mtr_parse_uint(buf, &v);
	if (!err && !(zero_ok && !v) && (v < min || v > max))
		err = -EINVAL;
	if (!err)
		*val = v;
	return err;
}

static int mtr_enable_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%d\n", mtr_sampler_enabled());
	return 0;
}

static ssize_t mtr_enable_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	unsigned int val;
	int err;

	err = mtr_get_uint(ubuf, count, 0, 1, false, &val);
	if (!err) {
		mtr_session_writes_lock();
		err = mtr_sampler_set_enabled(val);
		mtr_session_writes_unlock();
	}
	return err ? err : count;
}

static int mtr_interval_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%u\n", READ_ONCE(mtr_interval_ms));
	return 0;
}

static ssize_t mtr_interval_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	unsigned int val;
	int err;

	err = mtr_get_uint(ubuf, count, 0, UINT_MAX, true, &val);
	if (!err) {
		mtr_session_writes_lock();
		err = mtr_sampler_set_interval(val);
		mtr_session_writes_unlock();
	}
	return err ? err : count;
}

static int mtr_wss_interval_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%u\n", READ_ONCE(mtr_wss_interval_ms));
	return 0;
}

/*
 * A write of one interval (0 or a number the setter checks) to a setting
 * @set owns, under the sessions' lock: the write handler of every such file.
 */
static ssize_t mtr_interval_file_write(const char __user *ubuf, size_t count,
				       int (*set)(unsigned int ms))
{
	unsigned int val;
	int err;

	err = mtr_get_uint(ubuf, count, 0, UINT_MAX, true, &val);
	if (!err) {
		mtr_session_writes_lock();
		err = set(val);
		mtr_session_writes_unlock();
	}
	return err ? err : count;
}

static ssize_t mtr_wss_interval_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	return mtr_interval_file_write(ubuf, count, mtr_wss_set_interval);
}

static int mtr_pss_interval_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%u\n", READ_ONCE(mtr_pss_interval_ms));
	return 0;
}

static ssize_t mtr_pss_interval_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	return mtr_interval_file_write(ubuf, count, mtr_pss_set_interval);
}

static int mtr_idle_ages_show(struct seq_file *m, void *v)
{
	char buf[32];

	mtr_idle_show_ages(buf, sizeof(buf), READ_ONCE(mtr_idle_ages));
	seq_printf(m, "%s\n", buf);
	return 0;
}

static ssize_t mtr_idle_ages_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	char buf[MTR_CMD_MAX];
	u64 packed;
	int err;

	err = mtr_get_cmd(ubuf, count, buf);
	if (!err)
		err = mtr_idle_parse(buf, &packed);
	if (!err) {
		mtr_session_writes_lock();
		mtr_idle_set_ages(packed);
		mtr_session_writes_unlock();
	}
	return err ? err : count;
}

static int mtr_pids_file_show(struct seq_file *m, void *v)
{
	mtr_pids_show(m);
	return 0;
}

/*
 * What the pids, comms and cgroups files share: copy the command into @buf
 * (of @max bytes) and carry out "clear" (every filter emptied).
 * Returns 1 when that was the command, 0 when @buf holds "+ARG" or "-ARG"
 * for the caller, or -EINVAL/-EFAULT.
 */
static int mtr_filter_cmd_max(const char __user *ubuf, size_t count,
			      char *buf, size_t max)
{
	int err;

	err = mtr_get_cmd_max(ubuf, count, buf, max);
	if (err)
		return err;
	if (!strcmp(buf, "clear")) {
		mtr_session_writes_lock();
		mtr_pids_clear();
		mtr_session_writes_unlock();
		return 1;
	}
	return buf[0] == '+' || buf[0] == '-' ? 0 : -EINVAL;
}

static int mtr_filter_cmd(const char __user *ubuf, size_t count, char *buf)
{
	return mtr_filter_cmd_max(ubuf, count, buf, MTR_CMD_MAX);
}

static ssize_t mtr_pids_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[MTR_CMD_MAX];
	unsigned int nr;
	int err;

	err = mtr_filter_cmd(ubuf, count, buf);
	if (err)
		return err < 0 ? err : count;
	if (mtr_parse_uint(buf + 1, &nr) || !nr || nr > INT_MAX)
		return -EINVAL;
	mtr_session_writes_lock();
	err = buf[0] == '+' ? mtr_pids_add(nr) : mtr_pids_del(nr);
	mtr_session_writes_unlock();
	return err ? err : count;
}

static int mtr_comms_file_show(struct seq_file *m, void *v)
{
	mtr_pids_comm_show(m);
	return 0;
}

static ssize_t mtr_comms_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[MTR_CMD_MAX];
	int err;

	err = mtr_filter_cmd(ubuf, count, buf);
	if (err)
		return err < 0 ? err : count;
	/* the setter checks the length (1..TASK_COMM_LEN - 1) */
	mtr_session_writes_lock();
	err = buf[0] == '+' ? mtr_pids_comm_add(buf + 1) :
			      mtr_pids_comm_del(buf + 1);
	mtr_session_writes_unlock();
	return err ? err : count;
}

static int mtr_cgroups_file_show(struct seq_file *m, void *v)
{
	mtr_pids_cgroup_show(m);
	return 0;
}

static ssize_t mtr_cgroups_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char *buf = kmalloc(MTR_CGROUP_PATH_MAX, GFP_KERNEL);
	int err;

	if (!buf)
		return -ENOMEM;
	err = mtr_filter_cmd_max(ubuf, count, buf, MTR_CGROUP_PATH_MAX);
	if (err)
		goto out_free;
	/* no control character: the file prints one path per line */
	if (!buf[1] || strpbrk(buf + 1, "\n\r\t")) {
		err = -EINVAL;
		goto out_free;
	}
	mtr_session_writes_lock();
	err = buf[0] == '+' ? mtr_pids_cgroup_add(buf + 1) :
			      mtr_pids_cgroup_del(buf + 1);
	mtr_session_writes_unlock();
out_free:
	kfree(buf);
	return err < 0 ? err : count;
}

/*
 * stats: the sampler's lines (ticks, ticks_missed, procs_last_tick,
 * tick_last_ns, tick_max_ns, timer_resolution_ns), the WSS scanner's (wss_pages_scanned,
 * wss_tick_max_pages, wss_scans_completed, wss_scans_skipped: failed
 * mmap_read_trylock()s, which a process retried in the same tick can count
 * twice, wss_scan_ns, pss_scans_completed, wss_tlb_flushes,
 * wss_tlb_flush_available), then the channel's (records_written, records_dropped,
 * cpuN_written, cpuN_dropped, cpuN_seq).  Counters run from module
 * load; lockless, so exact only while the sampler is stopped.
 */
static int mtr_stats_show(struct seq_file *m, void *v)
{
	mtr_sampler_show_stats(m);
	mtr_channel_show_stats(m);
	return 0;
}

/*
 * Every control file's open: -EAGAIN until module init has succeeded
 * (mtr_live, main.c), so that no file is open, and no write has changed
 * anything, when an init that fails frees the module.  debugfs_remove()
 * waits for an open in progress (open_proxy_open() holds the file's
 * active-user reference around it, fs/debugfs/file.c), so init's unwinding
 * cannot overtake one.
 */
#define MTR_RW_FOPS(name, show, write_fn)                              \
	static int name##_open(struct inode *inode, struct file *file) \
	{                                                              \
		/* pairs with the release at the end of mtr_init() */  \
		if (!smp_load_acquire(&mtr_live))                      \
			return -EAGAIN;                                \
		return single_open(file, show, inode->i_private);      \
	}                                                              \
	static const struct file_operations name##_fops = {            \
		.owner = THIS_MODULE,                                  \
		.open = name##_open,                                   \
		.read = seq_read,                                      \
		.llseek = seq_lseek,                                   \
		.release = single_release,                             \
		.write = write_fn,                                     \
	}

MTR_RW_FOPS(mtr_enable, mtr_enable_show, mtr_enable_write);
MTR_RW_FOPS(mtr_interval, mtr_interval_show, mtr_interval_write);
MTR_RW_FOPS(mtr_pids, mtr_pids_file_show, mtr_pids_write);
MTR_RW_FOPS(mtr_comms, mtr_comms_file_show, mtr_comms_write);
MTR_RW_FOPS(mtr_cgroups, mtr_cgroups_file_show, mtr_cgroups_write);
MTR_RW_FOPS(mtr_wss_interval, mtr_wss_interval_show, mtr_wss_interval_write);
MTR_RW_FOPS(mtr_pss_interval, mtr_pss_interval_show, mtr_pss_interval_write);
MTR_RW_FOPS(mtr_idle_ages, mtr_idle_ages_show, mtr_idle_ages_write);
MTR_RW_FOPS(mtr_stats, mtr_stats_show, NULL);

static struct dentry *mtr_control_files[10];

/**
 * mtr_control_remove() - remove the control files, in reverse order.
 *
 * Called at module exit, when no control file can be open (an open file
 * pins the module), or from mtr_control_create()'s unwinding; once it
 * returns nobody can change the sampler's state through them.
 * Context: process context, may sleep.
 */
void mtr_control_remove(void)
{
	int i;

	for (i = ARRAY_SIZE(mtr_control_files) - 1; i >= 0; i--) {
		debugfs_remove(mtr_control_files[i]);
		mtr_control_files[i] = NULL;
	}
}

/**
 * mtr_control_create() - create the control files in @dir.
 * @dir: the memtrace debugfs directory.
 *
 * Context: process context, may sleep.
 * Return: 0, or the negative errno debugfs returned after removing the files
 * already created.
 */
int mtr_control_create(struct dentry *dir)
{
	static const struct {
		const char *name;
		umode_t mode;
		const struct file_operations *fops;
	} files[ARRAY_SIZE(mtr_control_files)] = {
		{ "enable", 0600, &mtr_enable_fops },
		{ "interval_ms", 0600, &mtr_interval_fops },
		{ "pids", 0600, &mtr_pids_fops },
		{ "wss_interval_ms", 0600, &mtr_wss_interval_fops },
		{ "stats", 0400, &mtr_stats_fops },
		{ "comms", 0600, &mtr_comms_fops },
		{ "cgroups", 0600, &mtr_cgroups_fops },
		{ "session", 0600, &mtr_session_fops },
		{ "pss_interval_ms", 0600, &mtr_pss_interval_fops },
		{ "idle_ages_s", 0600, &mtr_idle_ages_fops },
	};
	struct dentry *d;
	int i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		/*
		 * Without debugfs's full proxy (no per-operation removal
		 * protection): an open file pins the module (fops->owner), and
		 * the files are removed only when no file can be open (module
		 * exit) or before init returns, so no operation can outlive
		 * them.  The open still goes through debugfs's open proxy
		 * (open_proxy_open() in fs/debugfs/file.c), whose fops_get()
		 * fails once rmmod has dropped our refcount: it returns
		 * -ENXIO when our state is GOING, and WARNs "debugfs file
		 * owner did not clean up at exit" if it is not yet -- the few
		 * instructions of try_stop_module() (kernel/module/main.c)
		 * between the two, or try_release_module_ref()'s transient
		 * zero when the unload is refused.  Every module's debugfs
		 * file shares that window (debugfs_create_file() has the same
		 * check); a module cannot close it.
		 */
		d = debugfs_create_file_unsafe(files[i].name, files[i].mode,
					       dir, NULL, files[i].fops);
		if (IS_ERR(d)) {
			mtr_control_remove();
			return PTR_ERR(d);
		}
		mtr_control_files[i] = d;
	}
	return 0;
}
