/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handing an Accessed bit we cleared on to reclaim, and taking one another
 * Accessed-bit reader left for reclaim, across kernel lines.
 *
 * Covers 5.10 .. 7.x: folio_mark_accessed() from 5.16 (upstream commit
 * "mm/swap: Add folio_mark_accessed()"); before it,
 * mark_page_accessed() on the head page.  Tested with a Kbuild probe
 * (MTR_HAVE_FOLIO_MARK_ACCESSED: the declaration in linux/swap.h), as
 * mark_page_accessed() is a wrapper upstream means to remove.  Likewise
 * folio_test_clear_young() (linux/page_idle.h, MTR_HAVE_FOLIO_TEST_CLEAR_YOUNG)
 * and test_and_clear_page_young() before it.
 */
#ifndef _MEMTRACE_WRAPPER_PAGE_REF_H
#define _MEMTRACE_WRAPPER_PAGE_REF_H

#include <linux/mm.h>
#include <linux/page_idle.h>
#include <linux/swap.h>

/**
 * mtr_mark_page_accessed() - tell reclaim that @page was referenced.
 * @page: any page of a folio (a tail page is resolved to its head).
 *
 * What zap_pte_range() does for a young file PTE it tears down, so that
 * clearing the Accessed bit does not make a hot page look cold to reclaim.
 * Context: any; does not sleep.
 */
static inline void mtr_mark_page_accessed(struct page *page)
{
#ifdef MTR_HAVE_FOLIO_MARK_ACCESSED
	folio_mark_accessed(page_folio(page));
#else
	mark_page_accessed(compound_head(page));
#endif
}

/**
 * mtr_page_test_clear_young() - take the reference another Accessed-bit
 * reader left on @page's folio for reclaim.
 * @page: any page of a folio (a tail page is resolved to its head).
 *
 * DAMON (damon_ptep_mkold() and damon_pmdp_mkold() in
 * mm/damon/ops-common.c) and idle page tracking
 * (page_idle_clear_pte_refs_one() in mm/page_idle.c) clear a young
 * Accessed bit without flushing the TLB and set PG_young instead, which
 * reclaim's folio_referenced_one() (mm/rmap.c) takes as a reference.  The
 * access is then in the flag alone: the CPU that made it keeps the
 * translation and does not set the Accessed bit again until its TLB entry
 * goes.  The caller that takes the flag hands the reference on to reclaim
 * itself (mtr_mark_page_accessed()).  Read before the locked clear, which
 * is then paid for young folios only.
 *
 * Return: whether the flag was set.  Always false without
 * CONFIG_PAGE_IDLE_FLAG (no DAMON and no idle page tracking: nothing sets
 * the flag), where page_idle.h stubs these out.
 * Context: any; does not sleep.
 */
static inline bool mtr_page_test_clear_young(struct page *page)
{
#ifdef MTR_HAVE_FOLIO_TEST_CLEAR_YOUNG
	struct folio *folio = page_folio(page);

	return folio_test_young(folio) && folio_test_clear_young(folio);
#else
	page = compound_head(page);
	return page_is_young(page) && test_and_clear_page_young(page);
#endif
}

#endif /* _MEMTRACE_WRAPPER_PAGE_REF_H */
