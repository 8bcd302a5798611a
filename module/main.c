// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace: per-process memory behaviour over time.
 *
 * Module init and exit, and the load-time parameters.  See
 * Documentation/memtrace.rst for the user's view and memtrace.h for the map
 * of the other files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>

#include "memtrace.h"

/*
 * mtr_live: module init has succeeded (declared in memtrace.h).  Until then
 * the control files refuse to open (control.c) and the memstat events
 * refuse probes (mtr_trace_reg()): an init that fails frees the module's
 * memory without waiting for files still open on it (do_init_module(),
 * kernel/module/main.c: "protect us from buggy refcounters" only drops the
 * reference), so no control file may be open, nor any write through one
 * have left state behind, when init gives up.  Set once, by init's last
 * step, with release semantics; read with acquire.
 */
bool mtr_live;

/*
 * The run-time knobs' parameters.  Each knob has one setter, in the file that
 * owns it, which checks the range and applies the value; the parameter here
 * and the debugfs file of the same name (control.c) only parse a decimal
 * number and call it.
 */

/* A decimal unsigned int, as the control files take it (not base 0). */
static int mtr_param_uint(const char *val, unsigned int *v)
{
	return kstrtouint(val, 10, v) ? -EINVAL : 0;
}

/*
 * interval_ms: tick period in ms, 1..60000, default 100; writable at run
 * time (/sys/module/memtrace/parameters/interval_ms).  Setter:
 * mtr_sampler_set_interval() (sampler.c).
 */
static int mtr_interval_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	return mtr_param_uint(val, &v) ?: mtr_sampler_set_interval(v);
}

static const struct kernel_param_ops mtr_interval_ops = {
	.set = mtr_interval_set,
	.get = param_get_uint,
};
module_param_cb(interval_ms, &mtr_interval_ops, &mtr_interval_ms, 0644);
MODULE_PARM_DESC(interval_ms, "Tick period in ms, 1..60000 (default 100)");

/*
 * wss_interval_ms: the WSS window in ms, 0 (off, the default) or
 * 10..600000; writable at run time.  Setter: mtr_wss_set_interval() (wss.c).
 */
static int mtr_wss_interval_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	return mtr_param_uint(val, &v) ?: mtr_wss_set_interval(v);
}

static const struct kernel_param_ops mtr_wss_interval_ops = {
	.set = mtr_wss_interval_set,
	.get = param_get_uint,
};
module_param_cb(wss_interval_ms, &mtr_wss_interval_ops, &mtr_wss_interval_ms,
		0644);
MODULE_PARM_DESC(wss_interval_ms,
		 "WSS window in ms: 0 = off (default), or 10..600000");

/*
 * pss_interval_ms: how often PSS and USS are summed, in ms: 0 (off, the
 * default) or 10..600000; writable at run time.  Setter:
 * mtr_pss_set_interval() (wss.c).
 */
static int mtr_pss_interval_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	return mtr_param_uint(val, &v) ?: mtr_pss_set_interval(v);
}

static const struct kernel_param_ops mtr_pss_interval_ops = {
	.set = mtr_pss_interval_set,
	.get = param_get_uint,
};
module_param_cb(pss_interval_ms, &mtr_pss_interval_ops, &mtr_pss_interval_ms,
		0644);
MODULE_PARM_DESC(pss_interval_ms,
		 "PSS/USS interval in ms: 0 = off (default), or 10..600000");

/*
 * idle_ages_s: idle-age thresholds in seconds, "T1[,T2[,T3[,T4]]]" (each
 * 1..65535, ascending) or 0 (off, the default); writable at run time.
 * Parser and setter: mtr_idle_parse(), mtr_idle_set_ages() (wss.c).
 */
static int mtr_idle_ages_set(const char *val, const struct kernel_param *kp)
{
	char buf[32];
	u64 packed;
	int err;

	/* as sysfs hands it over: one trailing newline allowed */
	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -EINVAL;
	strim(buf);
	err = mtr_idle_parse(buf, &packed);
	if (!err)
		mtr_idle_set_ages(packed);
	return err;
}

static int mtr_idle_ages_get(char *buffer, const struct kernel_param *kp)
{
	int n = mtr_idle_show_ages(buffer, PAGE_SIZE, READ_ONCE(mtr_idle_ages));

	return n + scnprintf(buffer + n, PAGE_SIZE - n, "\n");
}

static const struct kernel_param_ops mtr_idle_ages_ops = {
	.set = mtr_idle_ages_set,
	.get = mtr_idle_ages_get,
};
module_param_cb(idle_ages_s, &mtr_idle_ages_ops, NULL, 0644);
MODULE_PARM_DESC(idle_ages_s,
		 "Idle-age thresholds in s, T1[,T2[,T3[,T4]]] ascending, 1..65535; 0 = off (default)");

/*
 * wss_budget_pages: page-table entries the WSS scanner visits per tick,
 * 1..1073741824, default 131072; writable at run time.  Setter:
 * mtr_wss_set_budget() (wss.c).
 */
static int mtr_wss_budget_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	return mtr_param_uint(val, &v) ?: mtr_wss_set_budget(v);
}

static const struct kernel_param_ops mtr_wss_budget_ops = {
	.set = mtr_wss_budget_set,
	.get = param_get_uint,
};
module_param_cb(wss_budget_pages, &mtr_wss_budget_ops, &mtr_wss_budget_pages,
		0644);
MODULE_PARM_DESC(
	wss_budget_pages,
	"WSS page-table entries scanned per tick, 1..1073741824 (default 131072)");

/* wss_tlb_flush: see its definition in wss.c; writable at run time. */
module_param_named(wss_tlb_flush, mtr_wss_tlb_flush, bool, 0644);
MODULE_PARM_DESC(wss_tlb_flush,
		 "Flush TLBs after clearing Accessed bits (default Y)");

/* wss_nonleaf_young: see its definition in wss.c; writable at run time. */
module_param_named(wss_nonleaf_young, mtr_wss_nonleaf_young, bool, 0644);
MODULE_PARM_DESC(wss_nonleaf_young,
		 "Skip page tables whose PMD Accessed bit is clear (default Y; N where MGLRU is on by default)");

/*
 * subbuf_size: bytes per relay sub-buffer, 4096..67108864, default 262144
 * (1560 records).  Load time only.
 */
static unsigned int subbuf_size = 256 * 1024;
module_param(subbuf_size, uint, 0444);
MODULE_PARM_DESC(
	subbuf_size,
	"Relay sub-buffer size in bytes, 4096..67108864 (default 262144)");

/*
 * n_subbufs: sub-buffers per CPU, 2..4096, default 8; each CPU's buffer holds
 * subbuf_size * n_subbufs bytes (at most 1 GiB).  Load time only.
 */
static unsigned int n_subbufs = 8;
module_param(n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "Relay sub-buffers per CPU, 2..4096 (default 8)");

static struct dentry *mtr_dir;

static int __init mtr_check_params(void)
{
	if (subbuf_size < 4096 || subbuf_size > (64U << 20)) {
		pr_err("subbuf_size=%u out of range 4096..67108864\n",
		       subbuf_size);
		return -EINVAL;
	}
	if (n_subbufs < 2 || n_subbufs > 4096) {
		pr_err("n_subbufs=%u out of range 2..4096\n", n_subbufs);
		return -EINVAL;
	}
	if ((u64)subbuf_size * n_subbufs > (1ULL << 30)) {
		pr_err("subbuf_size * n_subbufs exceeds 1 GiB per CPU\n");
		return -EINVAL;
	}
	/* relay allocates with GFP_KERNEL: refuse rather than OOM the box */
	if (((u64)subbuf_size * n_subbufs * num_possible_cpus()) >> PAGE_SHIFT >
	    totalram_pages() / 4) {
		pr_err("subbuf_size * n_subbufs * %u CPUs exceeds a quarter of RAM\n",
		       num_possible_cpus());
		return -EINVAL;
	}
	return 0;
}

/**
 * mtr_teardown() - undo whatever init set up, in reverse order.
 *
 * One function for module exit and for init's unwinding from any point, as
 * blk_trace_free() is for blktrace: each step does nothing for what was
 * never set up, or was already undone.  The control files go first (once
 * debugfs_remove() returns, no open of one is in progress and none can
 * start, so nobody changes state through them any more), then the sampler
 * stops for good, the relay channel and the directory go, the workqueue is
 * freed, and last the state that ticks and control-file writes built up:
 * WSS's TLB-flush IPIs in flight, CPU time, the pid filter.  (The WSS
 * states themselves went when the sampler stopped: only ticks make them,
 * and only a running sampler ticks.)
 * Context: process context (module init or exit), may sleep.
 */
static void mtr_teardown(void)
{
	mtr_control_remove();
	mtr_sampler_shutdown();
	mtr_channel_close();
	debugfs_remove(mtr_dir);
	mtr_dir = NULL;
	mtr_sampler_exit();
	mtr_wss_quiesce();
	mtr_proc_exit();
	mtr_pids_exit();
}

static int __init mtr_init(void)
{
	struct dentry *dir;
	int err;

	mtr_trace_set_perms();
	err = mtr_check_params();
	if (err)
		return err;

	err = mtr_sampler_init();
	if (err) {
		pr_err("cannot allocate the sampler's workqueue: %d\n", err);
		goto out_teardown;
	}

	dir = debugfs_create_dir("memtrace", NULL);
	if (IS_ERR(dir)) {
		err = PTR_ERR(dir);
		pr_err("cannot create debugfs directory memtrace: %d\n", err);
		goto out_teardown;
	}
	mtr_dir = dir;

	err = mtr_channel_open(mtr_dir, subbuf_size, n_subbufs);
	if (err) {
		pr_err("cannot open relay channel (%u x %u bytes per CPU): %d\n",
		       n_subbufs, subbuf_size, err);
		goto out_teardown;
	}

	err = mtr_control_create(mtr_dir);
	if (err) {
		pr_err("cannot create control files: %d\n", err);
		goto out_teardown;
	}

	/*
	 * Nothing fails after this: the control files may open and probes
	 * register; pairs with their smp_load_acquire() (all set up before
	 * is visible to them).
	 */
	smp_store_release(&mtr_live, true);
	/*
	 * From here on a memstat probe may register (mtr_trace_reg()); one
	 * that does before mtr_sampler_ready() only counts, then starts here.
	 */
	mtr_sampler_ready();
	pr_info("loaded: %u x %u-byte sub-buffers per CPU, interval %u ms\n",
		n_subbufs, subbuf_size, mtr_interval_ms);
	return 0;

out_teardown:
	mtr_teardown();
	return err;
}

static void __exit mtr_exit(void)
{
	mtr_teardown();
}

module_init(mtr_init);
module_exit(mtr_exit);

MODULE_DESCRIPTION("memtrace: per-process memory behaviour over time");
MODULE_AUTHOR("memtrace developers");
MODULE_LICENSE("GPL");
