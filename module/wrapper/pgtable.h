/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page-table walking primitives across kernel lines (5.10 .. 7.x).
 *
 * The WSS walk holds mmap_read_lock and walks only addresses inside VMAs it
 * found under that lock.  What may still change under it differs by line:
 *
 * 5.10, 6.1: a PTE table is freed only by munmap's free_pgtables(), for a
 *   range whose VMAs were detached under the write lock first (so never one
 *   a walker of the VMAs it found under the read lock visits), and by
 *   khugepaged's retract_page_tables() and collapse under mmap_write_lock
 *   or its trylock.  Under mmap_read_lock the PMD of a VMA's address only
 *   changes from none to a table, or between a table and a huge PMD (THP
 *   split or collapse under the PMD lock); pte_offset_map_lock() is an
 *   inline macro there.
 * 6.5 and later: retract_page_tables() (khugepaged, MADV_COLLAPSE) and, from
 *   6.14, empty-table reclaim (CONFIG_PT_RECLAIM) clear a PMD and free its
 *   PTE table holding only the i_mmap lock or mmap_read_lock, deferring the
 *   free past an RCU grace period (pte_free_defer()).  pte_offset_map_lock()
 *   may return NULL, and is out of line and not exported to modules:
 *   __pte_offset_map_lock() on 6.12, pte_offset_map_lock() itself on 7.2.
 *
 * mtr_pte_offset_map_lock() is therefore the 6.5+ protocol of
 * mm/pgtable-generic.c (__pte_offset_map() + the pmd_same() recheck under
 * the PTE lock), written with inline primitives every line has, and used on
 * every line: under rcu_read_lock() the table cannot be freed, and once its
 * lock is held with the PMD unchanged, nobody can retract it (retraction
 * takes the same PTE lock).  On 5.10/6.1 the RCU section and the recheck
 * are redundant and cheap.  It takes exactly the locks the kernel's own
 * young-bit walkers take: the PTE lock, as mm/damon/vaddr.c
 * (damon_mkold_pmd_entry()) and fs/proc/task_mmu.c (clear_refs_pte_range())
 * do through pte_offset_map_lock().
 *
 * 64-bit only: without CONFIG_HIGHPTE a PTE table is in the direct map, so
 * pte_offset_kernel() is what __pte_map() does.
 */
#ifndef _MEMTRACE_WRAPPER_PGTABLE_H
#define _MEMTRACE_WRAPPER_PGTABLE_H

#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>

#ifdef CONFIG_HIGHPTE
#error "memtrace's page-table walk needs PTE tables in the direct map (no CONFIG_HIGHPTE)"
#endif

/**
 * mtr_pmdp_get_lockless() - read a PMD that may change under us.
 * @pmdp: the entry.
 *
 * pmd_read_atomic() on 5.10 and 6.1 (removed in 6.5), pmdp_get_lockless()
 * on later lines (it appeared in 6.2): a Kbuild probe tells which
 * (MTR_HAVE_PMDP_GET_LOCKLESS).  On 64-bit both are one READ_ONCE().
 */
static inline pmd_t mtr_pmdp_get_lockless(pmd_t *pmdp)
{
#ifdef MTR_HAVE_PMDP_GET_LOCKLESS
	return pmdp_get_lockless(pmdp);
#else
	pmd_t pmd = pmd_read_atomic(pmdp);

	barrier();
	return pmd;
#endif
}

/**
 * mtr_pmd_leaf() - does @pmd map a huge page rather than a PTE table?
 * @pmd: a value read with mtr_pmdp_get_lockless().
 *
 * A transparent huge page, or a DAX (devmap) huge mapping where the line
 * still has pmd_devmap() (CONFIG_ARCH_HAS_PTE_DEVMAP: 5.10 .. 6.12; gone
 * by 7.2, where such mappings are plain pmd_trans_huge() ones).
 */
static inline bool mtr_pmd_leaf(pmd_t pmd)
{
#ifdef CONFIG_ARCH_HAS_PTE_DEVMAP
	if (pmd_devmap(pmd))
		return true;
#endif
	return pmd_trans_huge(pmd);
}

/**
 * mtr_pmd_normal_page() - the THP a huge PMD maps, as vm_normal_page_pmd()
 * (not exported) would return it, for summing PSS.
 * @pmd: a huge PMD (mtr_pmd_leaf()), read under its lock.
 *
 * NULL, as in smaps_pmd_entry(), for what is not a normal page: a PMD not
 * present (migration), a devmap (DAX) one (5.10 .. 6.12), a special one
 * (VM_MIXEDMAP/VM_PFNMAP huge PFN mappings, 6.12+: pmd_special(), tested
 * with the Kbuild probe MTR_HAVE_PMD_SPECIAL), a PFN without a struct page,
 * and the huge zero page, told apart by its NULL mapping (an anonymous THP
 * has its anon_vma there before it is mapped, a file THP its file's
 * mapping until it is unmapped; huge_zero_pfn is not exported).
 */
static inline struct page *mtr_pmd_normal_page(pmd_t pmd)
{
	struct page *page;

	if (!pmd_present(pmd))
		return NULL;
#ifdef CONFIG_ARCH_HAS_PTE_DEVMAP
	if (pmd_devmap(pmd))
		return NULL;
#endif
#ifdef MTR_HAVE_PMD_SPECIAL
	if (pmd_special(pmd))
		return NULL;
#endif
	if (!pfn_valid(pmd_pfn(pmd)))
		return NULL;
	page = pmd_page(pmd);
	if (!READ_ONCE(compound_head(page)->mapping))
		return NULL;
	return page;
}

/**
 * mtr_pte_offset_map_lock() - map and lock the PTE table under a PMD.
 * @mm:   the address space; the caller holds its mmap_read_lock.
 * @pmd:  the PMD entry (in @mm's tables).
 * @addr: an address the PMD covers.
 * @ptlp: out, the PTE lock taken.
 *
 * Context: may sleep only where spinlocks do (PREEMPT_RT); enters an RCU
 * read section that mtr_pte_unmap_unlock() leaves.
 * Return: the PTE of @addr with *@ptlp held, or NULL when the PMD is none,
 * not present, huge or bad (nothing is held then).
 */
static inline pte_t *mtr_pte_offset_map_lock(struct mm_struct *mm, pmd_t *pmd,
					     unsigned long addr,
					     spinlock_t **ptlp)
{
	spinlock_t *ptl;
	pmd_t pmdval;

	rcu_read_lock();
	for (;;) {
		pmdval = mtr_pmdp_get_lockless(pmd);
		if (pmd_none(pmdval) || !pmd_present(pmdval) ||
		    mtr_pmd_leaf(pmdval) || pmd_bad(pmdval))
			break;
		ptl = pte_lockptr(mm, &pmdval);
		spin_lock(ptl);
		if (likely(pmd_same(pmdval, mtr_pmdp_get_lockless(pmd)))) {
			*ptlp = ptl;
			return pte_offset_kernel(&pmdval, addr);
		}
		spin_unlock(ptl);
	}
	rcu_read_unlock();
	return NULL;
}

/**
 * mtr_pte_unmap_unlock() - undo mtr_pte_offset_map_lock().
 * @ptl: the lock it returned in *@ptlp.
 */
static inline void mtr_pte_unmap_unlock(spinlock_t *ptl)
{
	spin_unlock(ptl);
	rcu_read_unlock();
}

#endif /* _MEMTRACE_WRAPPER_PGTABLE_H */
