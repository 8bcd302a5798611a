/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RSS counters as /proc/PID/status reads them, across kernel lines.
 *
 * Covers 5.10 .. 7.x.  task_mem() in fs/proc/task_mmu.c printed
 * get_mm_counter() until the upstream commit "mm: fix the inaccurate
 * memory statistics issue for users" (6.16; backported to stable lines,
 * e.g. Debian's 6.12.118), which made it print
 * get_mm_counter_sum(): the exact sum of the per-CPU counters (percpu since
 * 6.2) rather than the approximate central value.  That commit adds
 * get_mm_counter_sum() itself, so its presence in linux/mm.h (a Kbuild
 * probe, MTR_HAVE_GET_MM_COUNTER_SUM) says which one /proc uses, on
 * mainline and on every stable line that took the backport alike.
 */
#ifndef _MEMTRACE_WRAPPER_MM_COUNTER_H
#define _MEMTRACE_WRAPPER_MM_COUNTER_H

#include <linux/mm.h>

/**
 * mtr_get_mm_counter() - one RSS counter of @mm, as /proc/PID/status shows it.
 * @mm:     the address space (the caller keeps it alive).
 * @member: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS or MM_SHMEMPAGES.
 *
 * Context: any, but where the sum is exact it takes each counter's raw
 * spinlock and walks the online CPUs: O(nr_cpu_ids), as reading
 * /proc/PID/status does.
 * Return: the counter in pages, never negative.
 */
static inline unsigned long mtr_get_mm_counter(struct mm_struct *mm, int member)
{
#ifdef MTR_HAVE_GET_MM_COUNTER_SUM
	return get_mm_counter_sum(mm, member);
#else
	return get_mm_counter(mm, member);
#endif
}

#endif /* _MEMTRACE_WRAPPER_MM_COUNTER_H */
