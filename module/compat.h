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
 * line and not exported on 6.1; on x86 they are exactly this.  The caller
 * holds the page-table lock.
 */
#ifdef CONFIG_X86
#include <asm/pgtable.h>
#include <asm/tlbflush.h>

static inline bool mtr_ptep_test_and_clear_young(pte_t *ptep)
{
	return test_and_clear_bit(_PAGE_BIT_ACCESSED,
				  (unsigned long *)&ptep->pte);
}

static inline bool mtr_pmdp_test_and_clear_young(pmd_t *pmdp)
{
	return test_and_clear_bit(_PAGE_BIT_ACCESSED, (unsigned long *)pmdp);
}
#else
#error "memtrace's WSS scanner supports x86 only"
#endif

#endif /* _MEMTRACE_COMPAT_H */
