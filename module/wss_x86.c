// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace WSS scan, x86-64 part: Accessed-bit test-and-clear and the TLB
 * flush that makes cleared bits reliable (see wss_arch.h for the interface).
 *
 * Test-and-clear: the kernel's ptep_test_and_clear_young() and
 * pmdp_test_and_clear_young() (arch/x86/mm/pgtable.c) are out of line and
 * not exported; on x86 they are exactly a locked clear of _PAGE_ACCESSED,
 * and we add a plain read first so that the locked operation is paid for
 * young entries only.  Like x86's ptep_clear_flush_young(), nothing is
 * flushed per page: see mtr_arch_tlb_flush_cpus().
 *
 * TLB flush: x86 does not reload a cleared Accessed bit while a CPU caches
 * the translation, so a hot page can look cold until its TLB entry goes.
 * The kernel's own batched flush (arch_tlbbatch_flush(),
 * flush_tlb_mm_range()) is not exported, and __flush_tlb_all() is exported
 * to KVM only since 6.19 (7.2 here).  What every line exports is pv_ops
 * (with CONFIG_PARAVIRT, which Debian and most distributions enable): its
 * mmu.flush_tlb_user, which __flush_tlb_local() calls, is the kernel's own
 * local flush of the current address space -- native_flush_tlb_local(),
 * which also invalidates the PTI user ASID, or Xen PV's hypercall.  So a
 * tick bumps the TLB generation of each mm it cleared bits in (a CPU that
 * switches to it later, or runs it in another PCID, flushes on its way in:
 * switch_mm_irqs_off() compares generations) and sends one IPI round to the
 * CPUs that have one of them loaded now, each flushing its current ASID.
 * Without CONFIG_PARAVIRT there is no exported flush: the scan then runs
 * unflushed (mtr_arch_tlb_flush false; the stats file and the reader say
 * so).
 *
 * A PMD that points to a page table has an Accessed bit the CPU sets on
 * every walk through it (non-leaf; not under Xen PV, where the kernel's
 * arch_has_hw_nonleaf_pmd_young() says no too): wss.c skips a table whose
 * bit it cleared and finds still clear.  Only on kernels whose pmd_bad()
 * ignores the bit (6.1+, CONFIG_ARCH_HAS_NONLEAF_PMD_YOUNG).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>

#include "wss_arch.h"

const bool mtr_arch_wss = true;
const bool mtr_arch_tlb_flush = IS_ENABLED(CONFIG_PARAVIRT);

/* PTEs tested together before looking at each (one cache line of them). */
#define MTR_WSS_PTE_GROUP 8

static inline bool mtr_ptep_test_and_clear_young(pte_t *ptep)
{
	return pte_young(*ptep) &&
	       test_and_clear_bit(_PAGE_BIT_ACCESSED,
				  (unsigned long *)&ptep->pte);
}

/*
 * Most entries of a large mapping are old: an aligned group of
 * MTR_WSS_PTE_GROUP is skipped when the OR of its entries' flags has no
 * Accessed bit (a swap entry's bits may look like one: the group is then
 * looked at entry by entry).  The flags are taken with pte_flags(), which
 * reads the raw entry: pte_val()/__pte() are paravirt calls, and under Xen
 * PV __pte() of an OR of entries would translate a meaningless frame.
 */
unsigned long mtr_arch_age_ptes(pte_t *pte, unsigned long n,
				unsigned long *young_map)
{
	unsigned long i, j, young = 0;
	pteval_t any;
	pte_t ptent;

	for (i = 0; i < n; i++, pte++) {
		if (IS_ALIGNED((unsigned long)pte,
			       MTR_WSS_PTE_GROUP * sizeof(pte_t)) &&
		    n - i >= MTR_WSS_PTE_GROUP) {
			any = 0;
			for (j = 0; j < MTR_WSS_PTE_GROUP; j++)
				any |= pte_flags(READ_ONCE(pte[j]));
			if (!(any & _PAGE_ACCESSED)) {
				i += MTR_WSS_PTE_GROUP - 1;
				pte += MTR_WSS_PTE_GROUP - 1;
				continue;
			}
		}
		ptent = READ_ONCE(*pte);
		if (!pte_present(ptent) || !pte_young(ptent))
			continue;
		if (!mtr_ptep_test_and_clear_young(pte))
			continue;
		young++;
		if (young_map)
			__set_bit(i, young_map);
		if (!pte_special(ptent))
			mtr_wss_mark(pte_pfn(ptent));
	}
	return young;
}

bool mtr_arch_age_pmd(pmd_t *pmd)
{
	pmd_t pmdval = READ_ONCE(*pmd);

	if (!pmd_young(pmdval) ||
	    !test_and_clear_bit(_PAGE_BIT_ACCESSED, (unsigned long *)pmd))
		return false;
	mtr_wss_mark(pmd_pfn(pmdval));
	return true;
}

/*
 * Until 6.1 x86's pmd_bad() wanted the bit set: a table entry without it
 * was "bad", and pmd_none_or_clear_bad() would drop the table (seen on 5.10
 * as "bad pmd" in the kernel log).  The commit that made pmd_bad() ignore
 * it (for MGLRU) is the one that selects ARCH_HAS_NONLEAF_PMD_YOUNG.
 */
bool mtr_arch_nonleaf_young(void)
{
#ifdef X86_FEATURE_INVLPGB
	/*
	 * With broadcast TLB flushes (7.x, AMD) a process may hold a global
	 * ASID, for which a CPU switching back to it does not compare TLB
	 * generations (choose_new_asid()): the cached walks that our IPI to
	 * the CPUs running it now does not reach would outlive the pass and
	 * hide accesses from the table's bit.
	 */
	if (cpu_feature_enabled(X86_FEATURE_INVLPGB))
		return false;
#endif
	return IS_ENABLED(CONFIG_ARCH_HAS_NONLEAF_PMD_YOUNG) &&
	       !cpu_feature_enabled(X86_FEATURE_XENPV);
}

/* pmd_flags() reads the raw entry (pmd_val() is a paravirt call) */
bool mtr_arch_pmd_table_young(pmd_t pmdval)
{
	return pmd_flags(pmdval) & _PAGE_ACCESSED;
}

bool mtr_arch_pmd_table_clear_young(pmd_t *pmd)
{
	return (pmd_flags(READ_ONCE(*pmd)) & _PAGE_ACCESSED) &&
	       test_and_clear_bit(_PAGE_BIT_ACCESSED, (unsigned long *)pmd);
}

/*
 * The one line of inc_mm_tlb_gen(), which asm/tlbflush.h hides from modules:
 * bump the generation, so that CPUs switching to @mm later flush.  The
 * atomic64_inc_return() is the full barrier that orders the cleared entries
 * before the read of mm_cpumask(), pairing with switch_mm_irqs_off().
 */
void mtr_arch_tlb_batch_add(struct cpumask *mask, struct mm_struct *mm)
{
	atomic64_inc_return(&mm->context.tlb_gen);
	cpumask_or(mask, mask, mm_cpumask(mm));
}

/* IPI callback: flush this CPU's TLB entries of its current address space. */
static void mtr_flush_local(void *unused)
{
#ifdef CONFIG_PARAVIRT
	__flush_tlb_local();
#endif
}

void mtr_arch_tlb_flush_cpus(const struct cpumask *mask)
{
	if (mtr_arch_tlb_flush)
		on_each_cpu_mask(mask, mtr_flush_local, NULL, false);
}
