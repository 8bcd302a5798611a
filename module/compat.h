/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences live here and only here, so that the .c files
 * carry no LINUX_VERSION_CODE tests.  Target: Debian 6.1; newer kernels are
 * handled where an API changed.
 */
#ifndef _MEMTRACE_COMPAT_H
#define _MEMTRACE_COMPAT_H

#include <linux/version.h>
#include <linux/hrtimer.h>
#include <linux/timer.h>

/**
 * mtr_hrtimer_setup() - initialise a CLOCK_MONOTONIC relative hrtimer.
 * @timer: the timer.
 * @fn:    its expiry callback (runs in hard interrupt context on !RT).
 *
 * hrtimer_init() + ->function on 6.1; hrtimer_setup() from 6.13 on.
 */
static inline void
mtr_hrtimer_setup(struct hrtimer *timer,
		  enum hrtimer_restart (*fn)(struct hrtimer *))
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(timer, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
#else
	hrtimer_init(timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	timer->function = fn;
#endif
}

/*
 * Test and clear the Accessed bit of a PTE / PMD.  The kernel's
 * ptep_test_and_clear_young() and pmdp_test_and_clear_young() are out of
 * line and not exported on 6.1; on x86 they are exactly this: a plain read
 * first, so that the locked operation is only paid for young entries (most
 * of a large, mostly idle address space is not).  The caller holds the
 * page-table lock.
 */
#ifdef CONFIG_X86
#include <asm/pgtable.h>
#include <asm/tlbflush.h>

static inline bool mtr_ptep_test_and_clear_young(pte_t *ptep)
{
	return pte_young(*ptep) &&
	       test_and_clear_bit(_PAGE_BIT_ACCESSED,
				  (unsigned long *)&ptep->pte);
}

static inline bool mtr_pmdp_test_and_clear_young(pmd_t *pmdp)
{
	return pmd_young(*pmdp) &&
	       test_and_clear_bit(_PAGE_BIT_ACCESSED, (unsigned long *)pmdp);
}

/*
 * Batch a TLB flush for @mm after clearing Accessed bits in it, as the
 * kernel's own arch_tlbbatch_add_mm() does (arch_tlbbatch_flush() and
 * flush_tlb_mm_range() are not exported, and asm/tlbflush.h hides
 * inc_mm_tlb_gen() from modules, so its one line is repeated here): bump the
 * mm's TLB generation, so that a CPU that switches to @mm later, or holds it
 * lazily or in another PCID, flushes on its way in (switch_mm_irqs_off()
 * compares generations), and add the CPUs that have @mm loaded now to @mask.
 * The atomic64_inc_return() is the full barrier that orders the cleared PTEs
 * before the read of mm_cpumask(), pairing with switch_mm_irqs_off().  The
 * caller holds a reference on @mm and its mmap_lock.
 */
static inline void mtr_tlb_batch_add(struct cpumask *mask, struct mm_struct *mm)
{
	atomic64_inc_return(&mm->context.tlb_gen);
	cpumask_or(mask, mask, mm_cpumask(mm));
}
#else
#error "memtrace's WSS scanner supports x86 only"
#endif

#endif /* _MEMTRACE_COMPAT_H */
