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
 * majflt, utime_ns, stime_ns, wss_kb (-1: not measured), tick, and
 * wss_window_ms (the window wss_kb covers; 0: not measured).
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
	),

	TP_fast_assign(
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
	),

	TP_printk("pid=%d comm=%s vsz_kb=%llu rss_kb=%llu rss_anon_kb=%llu rss_file_kb=%llu rss_shmem_kb=%llu swap_kb=%llu hwm_kb=%llu minflt=%llu majflt=%llu utime_ns=%llu stime_ns=%llu wss_kb=%lld tick=%llu wss_window_ms=%llu",
		  __entry->pid, __entry->comm, __entry->vsz_kb, __entry->rss_kb,
		  __entry->rss_anon_kb, __entry->rss_file_kb,
		  __entry->rss_shmem_kb, __entry->swap_kb, __entry->hwm_kb,
		  __entry->minflt, __entry->majflt, __entry->utime_ns,
		  __entry->stime_ns, __entry->wss_kb, __entry->tick,
		  __entry->wss_window_ms),

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
