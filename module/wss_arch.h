/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The architecture-specific part of the WSS scan: testing and clearing
 * Accessed bits, and making CPUs drop TLB entries that would hide later
 * accesses.  wss_x86.c implements it on x86-64; wss_none.c elsewhere (no
 * WSS: the module builds and samples everything else).
 */
#ifndef _MEMTRACE_WSS_ARCH_H
#define _MEMTRACE_WSS_ARCH_H

#include <linux/cpumask.h>
#include <linux/mm_types.h>
#include <linux/pgtable.h>
#include <linux/types.h>

#include "memtrace.h"

/**
 * mtr_arch_age_ptes() - test and clear the Accessed bits of @n PTEs.
 * @pte: the first entry, mapped by mtr_pte_offset_map_lock() (lock held).
 * @n:   entries, all in that one table.
 * @young_map: NULL, or a bitmap of @n bits, cleared by the caller: bit i
 *       is set when entry i was young (for idle ages).
 *
 * Calls mtr_wss_mark() with the pfn of each young normal page.
 * Context: the PTE lock held; does not sleep.
 * Return: how many entries were young.
 */
unsigned long mtr_arch_age_ptes(pte_t *pte, unsigned long n,
				unsigned long *young_map);

/**
 * mtr_arch_age_pmd() - test and clear the Accessed bit of a huge PMD.
 * @pmd: the entry; the caller holds its PMD lock and saw it huge.
 *
 * Calls mtr_wss_mark() with its pfn when it was young.
 * Context: the PMD lock held; does not sleep.
 * Return: true when it was young.
 */
bool mtr_arch_age_pmd(pmd_t *pmd);

/**
 * mtr_arch_tlb_batch_add() - note that Accessed bits of @mm were cleared.
 * @mask: out, the CPUs mtr_arch_tlb_flush_cpus() must then flush.
 * @mm:   the address space; the caller holds a reference and its mmap_lock.
 *
 * Context: process context; does not sleep.
 */
void mtr_arch_tlb_batch_add(struct cpumask *mask, struct mm_struct *mm);

/**
 * mtr_arch_tlb_flush_cpus() - flush the TLBs of @mask, without waiting.
 * @mask: CPUs gathered by mtr_arch_tlb_batch_add().
 *
 * Context: process context, preemption enabled; does not wait for the
 * other CPUs (mtr_wss_quiesce() does, before unload).
 */
void mtr_arch_tlb_flush_cpus(const struct cpumask *mask);

/* wss.c: hand a young page the scan cleared on to reclaim. */
void mtr_wss_mark(unsigned long pfn);

#endif /* _MEMTRACE_WSS_ARCH_H */
