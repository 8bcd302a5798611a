// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace trace events: the one file that instantiates the memstat
 * tracepoints (tracepoints/memstat.h, found through -I in Kbuild).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#define CREATE_TRACE_POINTS
#include "memstat.h"

#include <linux/capability.h>
#include <linux/perf_event.h>
#include "memtrace.h"

#ifdef CONFIG_PERF_EVENTS
/*
 * Attaching perf to a memstat event starts the sampler (sampler.c), whose
 * cost and data are system-wide: only a user with CAP_PERFMON (or
 * CAP_SYS_ADMIN) may, whatever perf_event_paranoid allows for counting.
 */
static int mtr_perf_perm(struct trace_event_call *call,
			 struct perf_event *p_event)
{
	return perfmon_capable() ? 0 : -EPERM;
}
#endif

/**
 * mtr_trace_set_perms() - restrict perf access to the memstat events.
 *
 * Context: the first step of module init.
 */
void mtr_trace_set_perms(void)
{
#ifdef CONFIG_PERF_EVENTS
	event_memstat_sample.perf_perm = mtr_perf_perm;
	event_memstat_tick.perf_perm = mtr_perf_perm;
	event_memstat_system.perf_perm = mtr_perf_perm;
#endif
}
