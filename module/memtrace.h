/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memtrace internal interfaces between the files of the module, and who
 * owns what:
 *   main.c     module init, one teardown for init failure and exit
 *              (mtr_teardown()), mtr_live, the module parameters (parsing
 *              only: each calls its knob's setter)
 *   sampler.c  hrtimer + work item that runs one tick, its two users (relay,
 *              trace events), tick statistics, interval_ms; the tick loop:
 *              choose (pids.c, or every tgid) -> measure (proc.c) -> WSS
 *              fields (wss.c) -> emit (channel.c, trace event)
 *   pids.c     the process filter (registered tgids and command names):
 *              chooses, never measures
 *   session.c  recording sessions: the settings a session changed come
 *              back when its file is closed
 *   proc.c     fills the per-process figures of a record the caller owns;
 *              the CPU-time clamp state
 *   wss.c      working-set-size estimate: the Accessed-bit scanner and its
 *              knobs (wss_interval_ms, wss_budget_pages, wss_tlb_flush,
 *              wss_nonleaf_young)
 *   wss_x86.c  its x86-64 part (wss_arch.h); wss_none.c elsewhere
 *   channel.c  relay channel (per-CPU buffers in debugfs) and the record path
 *   trace.c    instantiates the memstat trace events (tracepoints/)
 *   control.c  debugfs control files (parsing only: each calls a setter)
 *   wrapper/   one header per kernel API that differs between lines
 * Calls go one way, from the tick loop down: nothing below sampler.c calls
 * back into it.
 */
#ifndef _MEMTRACE_H
#define _MEMTRACE_H

#include <linux/types.h>
#include <linux/seq_file.h>
#include <uapi/memtrace.h>

struct dentry;
struct pid;
struct task_struct;

/* Valid range of the tick period, in ms. */
#define MTR_INTERVAL_MIN_MS 1
#define MTR_INTERVAL_MAX_MS 60000
/*
 * Processes a tick's loops visit between two cond_resched(): bounds how long
 * the sampler holds its CPU (and an RCU read section) on a kernel without
 * preemption, at a cost of one check per batch.
 */
#define MTR_YIELD_EVERY 64
/* Most tgids the pid filter holds at once. */
#define MTR_MAX_PIDS 65536
/* Most command names the filter holds at once (the comms file). */
#define MTR_MAX_COMMS 16
/* Most cgroups the filter holds at once (the cgroups file). */
#define MTR_MAX_CGROUPS 16
/* Longest cgroup path the cgroups file takes, bytes with its NUL. */
#define MTR_CGROUP_PATH_MAX 256

/* Valid range of a non-zero WSS window, in ms. */
#define MTR_WSS_INTERVAL_MIN_MS 10
#define MTR_WSS_INTERVAL_MAX_MS 600000

/* main.c: module init has succeeded; see its definition.  Acquire/release. */
extern bool mtr_live;
/*
 * The run-time knobs: each is owned by one file, which has its one setter
 * (range checks there only); the module parameter (main.c) and the debugfs
 * file (control.c) parse and call it.  Read locklessly (READ_ONCE).
 */
/* sampler.c: the tick period in ms; mtr_sampler_set_interval(). */
extern unsigned int mtr_interval_ms;
/* wss.c: the WSS window in ms, 0 = off; mtr_wss_set_interval(). */
extern unsigned int mtr_wss_interval_ms;
/* wss.c: the PSS interval in ms, 0 = off; mtr_pss_set_interval(). */
extern unsigned int mtr_pss_interval_ms;
/* wss.c: the idle-age thresholds, packed; 0 = off; mtr_idle_set_ages(). */
extern u64 mtr_idle_ages;
/* wss.c: page-table entries the WSS scanner may visit per tick. */
extern unsigned int mtr_wss_budget_pages;
/* wss.c: flush TLBs after a tick's scan cleared Accessed bits (a bool). */
extern bool mtr_wss_tlb_flush;
extern bool mtr_wss_nonleaf_young;

/* channel.c */
int mtr_channel_open(struct dentry *dir, size_t subbuf_size, size_t n_subbufs);
void mtr_channel_close(void);
void mtr_channel_tick_start(void);
bool mtr_channel_write(struct memtrace_rec_hdr *hdr);
void mtr_channel_totals(u64 *written, u64 *dropped);
void mtr_channel_show_stats(struct seq_file *m);

/* sampler.c */
int mtr_sampler_init(void);
void mtr_sampler_ready(void);
void mtr_sampler_shutdown(void);
int mtr_sampler_set_interval(unsigned int ms);
void mtr_sampler_exit(void);
int mtr_sampler_set_enabled(bool on);
bool mtr_sampler_enabled(void);
void mtr_sampler_show_stats(struct seq_file *m);

/* proc.c */
bool mtr_proc_measure(struct task_struct *p, u64 tick,
		      struct memtrace_sample *rec);
void mtr_proc_sweep(u64 tick);
void mtr_proc_show_stats(struct seq_file *m);
void mtr_proc_exit(void);

/*
 * wss_x86.c or wss_none.c: can this architecture age pages at all (if not,
 * WSS cannot be turned on), and can a module flush TLBs on this kernel (if
 * not, the WSS scan runs unflushed; the stats file says so).
 */
extern const bool mtr_arch_wss;
extern const bool mtr_arch_tlb_flush;

/* wss.c */
int mtr_wss_set_interval(unsigned int ms);
int mtr_pss_set_interval(unsigned int ms);
int mtr_idle_parse(char *buf, u64 *packed);
void mtr_idle_set_ages(u64 packed);
int mtr_idle_show_ages(char *buf, size_t size, u64 packed);
int mtr_wss_set_budget(unsigned int pages);
void mtr_wss_tick(u64 tick);
void mtr_wss_note(struct task_struct *p, u64 tick, struct memtrace_sample *rec);
void mtr_wss_show_stats(struct seq_file *m);
void mtr_wss_exit(void);
void mtr_wss_quiesce(void);

/* KiB of @p pages, as /proc prints them (pages << (PAGE_SHIFT - 10)). */
#define MTR_PAGES_TO_KB(p) ((u64)(p) << (PAGE_SHIFT - 10))

/**
 * mtr_rec_hdr_init() - the header of a record about to be emitted.
 * @hdr:  the record's header.
 * @type: enum memtrace_rec_type.
 * @size: the whole record's size, bytes.
 *
 * cpu, seq and ts_ns are set to 0: the relay path stamps them
 * (mtr_channel_write()).
 */
static inline void mtr_rec_hdr_init(struct memtrace_rec_hdr *hdr, u16 type,
				    u32 size)
{
	hdr->magic = cpu_to_le32(MEMTRACE_MAGIC);
	hdr->version = cpu_to_le16(MEMTRACE_VERSION);
	hdr->type = cpu_to_le16(type);
	hdr->size = cpu_to_le32(size);
	hdr->cpu = 0;
	hdr->seq = 0;
	hdr->ts_ns = 0;
}

/* system.c */
void mtr_system_measure(u64 tick, struct memtrace_system *rec);

/* pids.c: how a tick chooses, mtr_pids_iter_begin()'s answer */
enum mtr_choose {
	MTR_CHOOSE_ALL,		/* every process: the filter is off */
	MTR_CHOOSE_SET,		/* the registered tgids only */
	MTR_CHOOSE_MATCH,	/* every process that mtr_pids_match() */
};

int mtr_pids_add(int nr);
int mtr_pids_del(int nr);
void mtr_pids_clear(void);
void mtr_pids_show(struct seq_file *m);
int mtr_pids_comm_add(const char *name);
int mtr_pids_comm_del(const char *name);
void mtr_pids_comm_show(struct seq_file *m);
int mtr_pids_cgroup_add(const char *path);
int mtr_pids_cgroup_del(const char *path);
void mtr_pids_cgroup_show(struct seq_file *m);
int mtr_pids_push(void);
void mtr_pids_pop(void);
enum mtr_choose mtr_pids_iter_begin(void);
struct pid *mtr_pids_iter_next(unsigned long *nr);
bool mtr_pids_match(struct pid *pid, struct task_struct *p);
void mtr_pids_iter_sweep(void);
void mtr_pids_iter_drop(unsigned long nr);
void mtr_pids_iter_end(void);
void mtr_pids_exit(void);

/* session.c */
extern const struct file_operations mtr_session_fops;
void mtr_session_writes_lock(void);
void mtr_session_writes_unlock(void);

/* trace.c */
void mtr_trace_set_perms(void);

/* control.c */
int mtr_control_create(struct dentry *dir);
void mtr_control_remove(void);

#endif /* _MEMTRACE_H */
