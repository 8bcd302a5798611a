// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace WSS scan on architectures without an implementation (see
 * wss_arch.h): no page is ever aged, and the control files refuse to turn
 * WSS on (-EOPNOTSUPP), so that everything else of the module builds and
 * runs everywhere.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "wss_arch.h"

const bool mtr_arch_wss;
const bool mtr_arch_tlb_flush;

unsigned long mtr_arch_age_ptes(pte_t *pte, unsigned long n,
				unsigned long *young_map)
{
	return 0;
}

bool mtr_arch_age_pmd(pmd_t *pmd)
{
	return false;
}

bool mtr_arch_nonleaf_young(void)
{
	return false;
}

bool mtr_arch_pmd_table_young(pmd_t pmdval)
{
	return true;
}

bool mtr_arch_pmd_table_clear_young(pmd_t *pmd)
{
	return false;
}

void mtr_arch_tlb_batch_add(struct cpumask *mask, struct mm_struct *mm)
{
}

void mtr_arch_tlb_flush_cpus(const struct cpumask *mask)
{
}
