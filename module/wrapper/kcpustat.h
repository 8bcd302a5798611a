/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One CPU's /proc/stat times, across kernel lines.
 *
 * kcpustat_cpu_fetch() (kernel/sched/cputime.c) copies kcpustat_cpu(cpu)
 * and, with CONFIG_VIRT_CPU_ACCOUNTING_GEN, adds the time a nohz_full CPU's
 * running task has not yet flushed: show_stat() in fs/proc/stat.c reads it.
 * It is exported (GPL) on 6.1 and later, not on 5.10, where kernel_cpustat
 * itself is exported: there we copy kcpustat_cpu(cpu), which is the same
 * thing without VIRT_CPU_ACCOUNTING_GEN (Debian's 5.10 has
 * TICK_CPU_ACCOUNTING).  Kbuild probe: MTR_HAVE_EXPORT_KCPUSTAT_CPU_FETCH.
 */
#ifndef _MEMTRACE_WRAPPER_KCPUSTAT_H
#define _MEMTRACE_WRAPPER_KCPUSTAT_H

#include <linux/kernel_stat.h>

/**
 * mtr_kcpustat_fetch() - CPU @cpu's cpustat[] as /proc/stat reads it.
 * @dst: out.
 * @cpu: a possible CPU.
 *
 * Context: any; lockless (the fields are u64 written by their CPU).
 */
static inline void mtr_kcpustat_fetch(struct kernel_cpustat *dst, int cpu)
{
#ifdef MTR_HAVE_EXPORT_KCPUSTAT_CPU_FETCH
	kcpustat_cpu_fetch(dst, cpu);
#else
	*dst = kcpustat_cpu(cpu);
#endif
}

#endif /* _MEMTRACE_WRAPPER_KCPUSTAT_H */
