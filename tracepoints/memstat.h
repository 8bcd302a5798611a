/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memtrace trace events, system "memstat": the same samples as the relay
 * records, for ftrace (trace-cmd record -e memstat), perf and bpftrace.
 *
 * Enabling any memstat event starts the sampler by itself; disabling the last
 * one stops it again unless the debugfs file enable is 1 (see sampler.c).
 * Field names are the CSV column names of memtrace-reader.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM memstat

#if !defined(_TRACE_MEMSTAT_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_MEMSTAT_H

#include <linux/tracepoint.h>
#include <uapi/memtrace.h>

/* sampler.c: first probe attached to / last probe removed from an event */
int mtr_trace_reg(void);
void mtr_trace_unreg(void);

/*
 * memstat_sample - one process (thread group) at one tick, copied from the
 * record the relay path writes (the same figures, even when enable is 0).
 *
 * Fields (units as in the CSV): pid (tgid), comm, vsz_kb, rss_kb (anon + file
 * + shmem), rss_anon_kb, rss_file_kb, rss_shmem_kb, swap_kb, hwm_kb, minflt,
 * majflt, utime_ns, stime_ns, wss_kb (-1: not measured), tick,
 * wss_window_ms (the window wss_kb covers; 0: not measured), then
 * thrashing_delay_ns, swapin_delay_ns, reclaim_delay_ns, compact_delay_ns
 * (the thread group's delay accounting; -1: not read, delay accounting off
 * for its threads, or compaction delays before 5.19), cgroup_id (cgroup
 * v2 id), then pss_kb, pss_anon_kb, pss_file_kb, pss_shmem_kb, uss_kb
 * (-1: no PSS pass completed since the process's previous sample) and
 * pss_window_ms (the time that pass took; 0: none), then idle0_kb ..
 * idle3_kb (-1: no pass with idle ages completed since the previous
 * sample, or the figure is unknown) with their thresholds idle0_s ..
 * idle3_s (0: unused).  swap_pss_kb is not
 * an event field: no kernel line lets a module read it (struct
 * memtrace_sample).
 * Context: the sampler's work item (process context), in an RCU read section.
 */
TRACE_EVENT_FN(memstat_sample,

	TP_PROTO(const struct memtrace_sample *rec),

	TP_ARGS(rec),

	TP_STRUCT__entry(
		__field(pid_t, pid)
		__array(char, comm, MEMTRACE_COMM_LEN)
		__field(u64, vsz_kb)
		__field(u64, rss_kb)
		__field(u64, rss_anon_kb)
		__field(u64, rss_file_kb)
		__field(u64, rss_shmem_kb)
		__field(u64, swap_kb)
		__field(u64, hwm_kb)
		__field(u64, minflt)
		__field(u64, majflt)
		__field(u64, utime_ns)
		__field(u64, stime_ns)
		__field(s64, wss_kb)
		__field(u64, tick)
		__field(u64, wss_window_ms)
		__field(s64, thrashing_delay_ns)
		__field(s64, swapin_delay_ns)
		__field(s64, reclaim_delay_ns)
		__field(s64, compact_delay_ns)
		__field(u64, cgroup_id)
		__field(s64, pss_kb)
		__field(s64, pss_anon_kb)
		__field(s64, pss_file_kb)
		__field(s64, pss_shmem_kb)
		__field(s64, uss_kb)
		__field(u64, pss_window_ms)
		__array(s64, idle_kb, MEMTRACE_IDLE_AGES)
		__array(u32, idle_s, MEMTRACE_IDLE_AGES)
	),

	TP_fast_assign(
		int i;

		__entry->pid = le32_to_cpu(rec->tgid);
		memcpy(__entry->comm, rec->comm, MEMTRACE_COMM_LEN);
		__entry->vsz_kb = le64_to_cpu(rec->vsz_kb);
		__entry->rss_anon_kb = le64_to_cpu(rec->rss_anon_kb);
		__entry->rss_file_kb = le64_to_cpu(rec->rss_file_kb);
		__entry->rss_shmem_kb = le64_to_cpu(rec->rss_shmem_kb);
		__entry->rss_kb = __entry->rss_anon_kb + __entry->rss_file_kb +
				  __entry->rss_shmem_kb;
		__entry->swap_kb = le64_to_cpu(rec->swap_kb);
		__entry->hwm_kb = le64_to_cpu(rec->hwm_kb);
		__entry->minflt = le64_to_cpu(rec->minflt);
		__entry->majflt = le64_to_cpu(rec->majflt);
		__entry->utime_ns = le64_to_cpu(rec->utime_ns);
		__entry->stime_ns = le64_to_cpu(rec->stime_ns);
		__entry->wss_kb = (le32_to_cpu(rec->flags) &
				   MEMTRACE_SAMPLE_WSS_VALID) ?
				  (s64)le64_to_cpu(rec->wss_kb) : -1;
		__entry->tick = le64_to_cpu(rec->tick);
		__entry->wss_window_ms = le64_to_cpu(rec->wss_window_ns) /
					 NSEC_PER_MSEC;
		if (le32_to_cpu(rec->flags) & MEMTRACE_SAMPLE_DELAYS_VALID) {
			__entry->thrashing_delay_ns =
				(s64)le64_to_cpu(rec->thrashing_delay_ns);
			__entry->swapin_delay_ns =
				(s64)le64_to_cpu(rec->swapin_delay_ns);
			__entry->reclaim_delay_ns =
				(s64)le64_to_cpu(rec->reclaim_delay_ns);
			__entry->compact_delay_ns =
				(s64)le64_to_cpu(rec->compact_delay_ns);
		} else {
			__entry->thrashing_delay_ns = -1;
			__entry->swapin_delay_ns = -1;
			__entry->reclaim_delay_ns = -1;
			__entry->compact_delay_ns = -1;
		}
		__entry->cgroup_id = le64_to_cpu(rec->cgroup_id);
		if (le32_to_cpu(rec->flags) & MEMTRACE_SAMPLE_PSS_VALID) {
			__entry->pss_kb = (s64)le64_to_cpu(rec->pss_kb);
			__entry->pss_anon_kb = (s64)le64_to_cpu(rec->pss_anon_kb);
			__entry->pss_file_kb = (s64)le64_to_cpu(rec->pss_file_kb);
			__entry->pss_shmem_kb =
				(s64)le64_to_cpu(rec->pss_shmem_kb);
			__entry->uss_kb = (s64)le64_to_cpu(rec->uss_kb);
		} else {
			__entry->pss_kb = -1;
			__entry->pss_anon_kb = -1;
			__entry->pss_file_kb = -1;
			__entry->pss_shmem_kb = -1;
			__entry->uss_kb = -1;
		}
		__entry->pss_window_ms = le64_to_cpu(rec->pss_window_ns) /
					 NSEC_PER_MSEC;
		for (i = 0; i < MEMTRACE_IDLE_AGES; i++) {
			u64 kb = le64_to_cpu(rec->idle_kb[i]);

			__entry->idle_kb[i] = (le32_to_cpu(rec->flags) &
					       MEMTRACE_SAMPLE_IDLE_VALID) &&
					      kb != MEMTRACE_UNKNOWN ? (s64)kb : -1;
			__entry->idle_s[i] = le32_to_cpu(rec->idle_s[i]);
		}
	),

	TP_printk("pid=%d comm=%s vsz_kb=%llu rss_kb=%llu rss_anon_kb=%llu rss_file_kb=%llu rss_shmem_kb=%llu swap_kb=%llu hwm_kb=%llu minflt=%llu majflt=%llu utime_ns=%llu stime_ns=%llu wss_kb=%lld tick=%llu wss_window_ms=%llu thrashing_delay_ns=%lld swapin_delay_ns=%lld reclaim_delay_ns=%lld compact_delay_ns=%lld cgroup_id=%llu pss_kb=%lld pss_anon_kb=%lld pss_file_kb=%lld pss_shmem_kb=%lld uss_kb=%lld pss_window_ms=%llu idle0_kb=%lld idle0_s=%u idle1_kb=%lld idle1_s=%u idle2_kb=%lld idle2_s=%u idle3_kb=%lld idle3_s=%u",
		  __entry->pid, __entry->comm, __entry->vsz_kb, __entry->rss_kb,
		  __entry->rss_anon_kb, __entry->rss_file_kb,
		  __entry->rss_shmem_kb, __entry->swap_kb, __entry->hwm_kb,
		  __entry->minflt, __entry->majflt, __entry->utime_ns,
		  __entry->stime_ns, __entry->wss_kb, __entry->tick,
		  __entry->wss_window_ms, __entry->thrashing_delay_ns,
		  __entry->swapin_delay_ns, __entry->reclaim_delay_ns,
		  __entry->compact_delay_ns, __entry->cgroup_id,
		  __entry->pss_kb, __entry->pss_anon_kb, __entry->pss_file_kb,
		  __entry->pss_shmem_kb, __entry->uss_kb,
		  __entry->pss_window_ms,
		  __entry->idle_kb[0], __entry->idle_s[0],
		  __entry->idle_kb[1], __entry->idle_s[1],
		  __entry->idle_kb[2], __entry->idle_s[2],
		  __entry->idle_kb[3], __entry->idle_s[3]),

	mtr_trace_reg, mtr_trace_unreg
);

/*
 * memstat_system - the whole machine at one tick, copied from the relay
 * path's system record (struct memtrace_system, include/uapi/memtrace.h:
 * each figure's kernel source), emitted before the tick's memstat_sample
 * events.
 *
 * Fields: tick, ticks_missed, then the figures of /proc/meminfo (_kb),
 * /proc/vmstat (counts since boot), /proc/stat's cpu line (_ns, summed over
 * CPUs) and /proc/buddyinfo (free_orderN: free blocks of order N summed
 * over zones), named as memtrace-reader --system names its columns.  -1: a
 * figure the module cannot read (swaptotal_kb and commitlimit_kb always;
 * cached_kb before 5.13).  The PSI totals are not here: the module cannot
 * read them (memtrace-reader adds them from /proc/pressure).
 * Context: the sampler's work item (process context), outside RCU.
 */
TRACE_EVENT_FN(memstat_system,

	TP_PROTO(const struct memtrace_system *rec),

	TP_ARGS(rec),

	TP_STRUCT__entry(
		__field(u64, tick)
		__field(u64, ticks_missed)
		__field(s64, memtotal_kb)
		__field(s64, memfree_kb)
		__field(s64, memavailable_kb)
		__field(s64, buffers_kb)
		__field(s64, cached_kb)
		__field(s64, shmem_kb)
		__field(s64, swaptotal_kb)
		__field(s64, swapfree_kb)
		__field(s64, committed_as_kb)
		__field(s64, commitlimit_kb)
		__field(s64, anonpages_kb)
		__field(s64, slab_kb)
		__field(s64, pgfault)
		__field(s64, pgmajfault)
		__field(s64, pswpin)
		__field(s64, pswpout)
		__field(s64, pgscan_kswapd)
		__field(s64, pgscan_direct)
		__field(s64, pgsteal_kswapd)
		__field(s64, pgsteal_direct)
		__field(s64, allocstall)
		__field(s64, compact_stall)
		__field(s64, oom_kill)
		__field(s64, workingset_refault_anon)
		__field(s64, workingset_refault_file)
		__field(s64, workingset_activate_anon)
		__field(s64, workingset_activate_file)
		__field(s64, thp_fault_alloc)
		__field(s64, cpu_user_ns)
		__field(s64, cpu_nice_ns)
		__field(s64, cpu_system_ns)
		__field(s64, cpu_idle_ns)
		__field(s64, cpu_iowait_ns)
		__field(s64, cpu_irq_ns)
		__field(s64, cpu_softirq_ns)
		__field(s64, cpu_steal_ns)
		__field(s64, free_order0)
		__field(s64, free_order1)
		__field(s64, free_order2)
		__field(s64, free_order3)
		__field(s64, free_order4)
		__field(s64, free_order5)
		__field(s64, free_order6)
		__field(s64, free_order7)
		__field(s64, free_order8)
		__field(s64, free_order9)
		__field(s64, free_order10)
	),

	TP_fast_assign(
		__entry->tick = le64_to_cpu(rec->tick);
		__entry->ticks_missed = le64_to_cpu(rec->ticks_missed);
		__entry->memtotal_kb = (s64)le64_to_cpu(rec->memtotal_kb);
		__entry->memfree_kb = (s64)le64_to_cpu(rec->memfree_kb);
		__entry->memavailable_kb = (s64)le64_to_cpu(rec->memavailable_kb);
		__entry->buffers_kb = (s64)le64_to_cpu(rec->buffers_kb);
		__entry->cached_kb = (s64)le64_to_cpu(rec->cached_kb);
		__entry->shmem_kb = (s64)le64_to_cpu(rec->shmem_kb);
		__entry->swaptotal_kb = (s64)le64_to_cpu(rec->swaptotal_kb);
		__entry->swapfree_kb = (s64)le64_to_cpu(rec->swapfree_kb);
		__entry->committed_as_kb = (s64)le64_to_cpu(rec->committed_as_kb);
		__entry->commitlimit_kb = (s64)le64_to_cpu(rec->commitlimit_kb);
		__entry->anonpages_kb = (s64)le64_to_cpu(rec->anonpages_kb);
		__entry->slab_kb = (s64)le64_to_cpu(rec->slab_kb);
		__entry->pgfault = (s64)le64_to_cpu(rec->pgfault);
		__entry->pgmajfault = (s64)le64_to_cpu(rec->pgmajfault);
		__entry->pswpin = (s64)le64_to_cpu(rec->pswpin);
		__entry->pswpout = (s64)le64_to_cpu(rec->pswpout);
		__entry->pgscan_kswapd = (s64)le64_to_cpu(rec->pgscan_kswapd);
		__entry->pgscan_direct = (s64)le64_to_cpu(rec->pgscan_direct);
		__entry->pgsteal_kswapd = (s64)le64_to_cpu(rec->pgsteal_kswapd);
		__entry->pgsteal_direct = (s64)le64_to_cpu(rec->pgsteal_direct);
		__entry->allocstall = (s64)le64_to_cpu(rec->allocstall);
		__entry->compact_stall = (s64)le64_to_cpu(rec->compact_stall);
		__entry->oom_kill = (s64)le64_to_cpu(rec->oom_kill);
		__entry->workingset_refault_anon = (s64)le64_to_cpu(rec->workingset_refault_anon);
		__entry->workingset_refault_file = (s64)le64_to_cpu(rec->workingset_refault_file);
		__entry->workingset_activate_anon = (s64)le64_to_cpu(rec->workingset_activate_anon);
		__entry->workingset_activate_file = (s64)le64_to_cpu(rec->workingset_activate_file);
		__entry->thp_fault_alloc = (s64)le64_to_cpu(rec->thp_fault_alloc);
		__entry->cpu_user_ns = (s64)le64_to_cpu(rec->cpu_user_ns);
		__entry->cpu_nice_ns = (s64)le64_to_cpu(rec->cpu_nice_ns);
		__entry->cpu_system_ns = (s64)le64_to_cpu(rec->cpu_system_ns);
		__entry->cpu_idle_ns = (s64)le64_to_cpu(rec->cpu_idle_ns);
		__entry->cpu_iowait_ns = (s64)le64_to_cpu(rec->cpu_iowait_ns);
		__entry->cpu_irq_ns = (s64)le64_to_cpu(rec->cpu_irq_ns);
		__entry->cpu_softirq_ns = (s64)le64_to_cpu(rec->cpu_softirq_ns);
		__entry->cpu_steal_ns = (s64)le64_to_cpu(rec->cpu_steal_ns);
		__entry->free_order0 = (s64)le64_to_cpu(rec->free_order[0]);
		__entry->free_order1 = (s64)le64_to_cpu(rec->free_order[1]);
		__entry->free_order2 = (s64)le64_to_cpu(rec->free_order[2]);
		__entry->free_order3 = (s64)le64_to_cpu(rec->free_order[3]);
		__entry->free_order4 = (s64)le64_to_cpu(rec->free_order[4]);
		__entry->free_order5 = (s64)le64_to_cpu(rec->free_order[5]);
		__entry->free_order6 = (s64)le64_to_cpu(rec->free_order[6]);
		__entry->free_order7 = (s64)le64_to_cpu(rec->free_order[7]);
		__entry->free_order8 = (s64)le64_to_cpu(rec->free_order[8]);
		__entry->free_order9 = (s64)le64_to_cpu(rec->free_order[9]);
		__entry->free_order10 = (s64)le64_to_cpu(rec->free_order[10]);
	),

	TP_printk("tick=%llu ticks_missed=%llu memtotal_kb=%lld memfree_kb=%lld memavailable_kb=%lld buffers_kb=%lld cached_kb=%lld shmem_kb=%lld swaptotal_kb=%lld swapfree_kb=%lld committed_as_kb=%lld commitlimit_kb=%lld anonpages_kb=%lld slab_kb=%lld pgfault=%lld pgmajfault=%lld pswpin=%lld pswpout=%lld pgscan_kswapd=%lld pgscan_direct=%lld pgsteal_kswapd=%lld pgsteal_direct=%lld allocstall=%lld compact_stall=%lld oom_kill=%lld workingset_refault_anon=%lld workingset_refault_file=%lld workingset_activate_anon=%lld workingset_activate_file=%lld thp_fault_alloc=%lld cpu_user_ns=%lld cpu_nice_ns=%lld cpu_system_ns=%lld cpu_idle_ns=%lld cpu_iowait_ns=%lld cpu_irq_ns=%lld cpu_softirq_ns=%lld cpu_steal_ns=%lld free_order0=%lld free_order1=%lld free_order2=%lld free_order3=%lld free_order4=%lld free_order5=%lld free_order6=%lld free_order7=%lld free_order8=%lld free_order9=%lld free_order10=%lld",
		  __entry->tick, __entry->ticks_missed, __entry->memtotal_kb,
		  __entry->memfree_kb, __entry->memavailable_kb,
		  __entry->buffers_kb, __entry->cached_kb, __entry->shmem_kb,
		  __entry->swaptotal_kb, __entry->swapfree_kb,
		  __entry->committed_as_kb, __entry->commitlimit_kb,
		  __entry->anonpages_kb, __entry->slab_kb, __entry->pgfault,
		  __entry->pgmajfault, __entry->pswpin, __entry->pswpout,
		  __entry->pgscan_kswapd, __entry->pgscan_direct,
		  __entry->pgsteal_kswapd, __entry->pgsteal_direct,
		  __entry->allocstall, __entry->compact_stall, __entry->oom_kill,
		  __entry->workingset_refault_anon,
		  __entry->workingset_refault_file,
		  __entry->workingset_activate_anon,
		  __entry->workingset_activate_file, __entry->thp_fault_alloc,
		  __entry->cpu_user_ns, __entry->cpu_nice_ns,
		  __entry->cpu_system_ns, __entry->cpu_idle_ns,
		  __entry->cpu_iowait_ns, __entry->cpu_irq_ns,
		  __entry->cpu_softirq_ns, __entry->cpu_steal_ns,
		  __entry->free_order0, __entry->free_order1, __entry->free_order2,
		  __entry->free_order3, __entry->free_order4, __entry->free_order5,
		  __entry->free_order6, __entry->free_order7, __entry->free_order8,
		  __entry->free_order9, __entry->free_order10),

	mtr_trace_reg, mtr_trace_unreg
);

/*
 * memstat_tick - one sampler tick, after its last memstat_sample.
 *
 * Fields: tick (number), procs (processes sampled: the memstat_sample events
 * of this tick), written (relay records committed by this tick; 0 while
 * enable is 0), dropped (relay records dropped since the module loaded),
 * duration_ns (time the tick took), ticks_missed (ticks that did not run
 * since the module loaded, as this tick saw it when it began sampling:
 * stats' ticks_missed; a rise between two events is that many samples never
 * taken -- the sampler did not keep up with interval_ms).
 */
TRACE_EVENT_FN(memstat_tick,

	TP_PROTO(u64 tick, unsigned int procs, unsigned int written,
		 u64 dropped, u64 duration_ns, u64 ticks_missed),

	TP_ARGS(tick, procs, written, dropped, duration_ns, ticks_missed),

	TP_STRUCT__entry(
		__field(u64, tick)
		__field(unsigned int, procs)
		__field(unsigned int, written)
		__field(u64, dropped)
		__field(u64, duration_ns)
		__field(u64, ticks_missed)
	),

	TP_fast_assign(
		__entry->tick = tick;
		__entry->procs = procs;
		__entry->written = written;
		__entry->dropped = dropped;
		__entry->duration_ns = duration_ns;
		__entry->ticks_missed = ticks_missed;
	),

	TP_printk("tick=%llu procs=%u written=%u dropped=%llu duration_ns=%llu ticks_missed=%llu",
		  __entry->tick, __entry->procs, __entry->written,
		  __entry->dropped, __entry->duration_ns,
		  __entry->ticks_missed),

	mtr_trace_reg, mtr_trace_unreg
);

#endif /* _TRACE_MEMSTAT_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE memstat
#include <trace/define_trace.h>
