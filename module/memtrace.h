/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memtrace internal interfaces between the files of the module:
 *   main.c     module init/exit and load-time parameters
 *   channel.c  relay channel (per-CPU buffers in debugfs) and the record path
 *   sampler.c  hrtimer + work item that runs one tick, its two users (relay,
 *              trace events), tick statistics
 *   trace.c    instantiates the memstat trace events (tracepoints/)
 *   wss.c      working-set-size estimate: the Accessed-bit scanner
 *   wss_x86.c  its x86-64 part (wss_arch.h); wss_none.c elsewhere
 *   wrapper/   one header per kernel API that differs between lines
 *   proc.c     the per-process figures of one record
 *   pids.c     the registered-tgid filter
 *   control.c  debugfs control files
 */
#ifndef _MEMTRACE_H
#define _MEMTRACE_H

#include <linux/types.h>
#include <linux/seq_file.h>
#include <uapi/memtrace.h>

struct dentry;
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

/* Valid range of a non-zero WSS window, in ms. */
#define MTR_WSS_INTERVAL_MIN_MS 10
#define MTR_WSS_INTERVAL_MAX_MS 600000

/* main.c: module init has succeeded; see its definition.  Acquire/release. */
extern bool mtr_live;
/* main.c: current tick period in ms (module parameter and debugfs file). */
extern unsigned int mtr_interval_ms;
/* main.c: WSS window in ms, 0 = off (module parameter and debugfs file). */
extern unsigned int mtr_wss_interval_ms;
/* main.c: page-table entries the WSS scanner may visit per tick. */
extern unsigned int mtr_wss_budget_pages;
/* main.c: flush every CPU's TLB after a tick's scan cleared Accessed bits. */
extern bool mtr_wss_tlb_flush;

/* channel.c */
int mtr_channel_open(struct dentry *dir, size_t subbuf_size, size_t n_subbufs);
void mtr_channel_close(void);
void mtr_channel_lock(void);
void mtr_channel_unlock(void);
bool mtr_channel_write(struct memtrace_sample *rec);
void mtr_channel_totals(u64 *written, u64 *dropped);
void mtr_channel_show_stats(struct seq_file *m);

/* sampler.c */
int mtr_sampler_init(void);
void mtr_sampler_ready(void);
void mtr_sampler_shutdown(void);
void mtr_sampler_interval_changed(void);
void mtr_sampler_exit(void);
void mtr_emit(struct memtrace_sample *rec);
int mtr_sampler_set_enabled(bool on);
bool mtr_sampler_enabled(void);
void mtr_sampler_show_stats(struct seq_file *m);

/* proc.c */
bool mtr_sample_task(struct task_struct *p, u64 tick);
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
void mtr_wss_tick(u64 tick);
void mtr_wss_note(struct task_struct *p, u64 tick, struct memtrace_sample *rec);
void mtr_wss_show_stats(struct seq_file *m);
void mtr_wss_exit(void);
void mtr_wss_quiesce(void);

/* pids.c */
int mtr_pids_add(int nr);
int mtr_pids_del(int nr);
void mtr_pids_clear(void);
void mtr_pids_show(struct seq_file *m);
bool mtr_pids_sample(u64 tick, unsigned int *sampled);
void mtr_pids_exit(void);

/* trace.c */
void mtr_trace_set_perms(void);

/* control.c */
int mtr_control_create(struct dentry *dir);
void mtr_control_remove(void);

#endif /* _MEMTRACE_H */
