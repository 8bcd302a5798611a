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
 * mtr_arch_nonleaf_young() - whether a PMD that points to a page table
 * reliably records accesses in its own Accessed bit.
 *
 * x86 hardware sets the Accessed bit of every paging-structure entry it
 * uses to translate an address, non-leaf ones included (the Intel SDM,
 * 4.8; AMD's APM, 5.4.2), except under Xen PV, as the kernel's own
 * arch_has_hw_nonleaf_pmd_young() (6.1+) says.  The kernel must also accept
 * such an entry with the bit clear: x86's pmd_bad() does from 6.1 on
 * (CONFIG_ARCH_HAS_NONLEAF_PMD_YOUNG), and 5.10's does not.
 * Context: any.
 * Return: true when mtr_arch_pmd_table_young() can be trusted.
 */
bool mtr_arch_nonleaf_young(void);

/**
 * mtr_arch_pmd_table_young() - the Accessed bit of a non-leaf PMD.
 * @pmdval: the entry's value, read locklessly; it points to a page table.
 *
 * Context: any.
 * Return: true when a CPU walked through the entry since the bit was last
 * cleared (or it was never cleared: pmd_populate() sets it).
 */
bool mtr_arch_pmd_table_young(pmd_t pmdval);

/**
 * mtr_arch_pmd_table_clear_young() - test and clear that bit.
 * @pmd: the entry; the caller holds the lock of the page table it points to
 *       and saw it point there under that lock.
 *
 * An atomic clear of the one bit, as the kernel's pmdp_test_and_clear_young()
 * (what MGLRU uses on non-leaf PMDs), paid for only when the bit is set.
 * Context: the PTE lock held; does not sleep.
 * Return: true when it was set.
 */
bool mtr_arch_pmd_table_clear_young(pmd_t *pmd);

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
