/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handing an Accessed bit we cleared on to reclaim, across kernel lines.
 *
 * Covers 5.10 .. 7.x: folio_mark_accessed() from 5.16 (upstream commit
 * "mm/swap: Add folio_mark_accessed()"); before it,
 * mark_page_accessed() on the head page.  Tested with a Kbuild probe
 * (MTR_HAVE_FOLIO_MARK_ACCESSED: the declaration in linux/swap.h), as
 * mark_page_accessed() is a wrapper upstream means to remove.
 */
#ifndef _MEMTRACE_WRAPPER_PAGE_REF_H
#define _MEMTRACE_WRAPPER_PAGE_REF_H

#include <linux/mm.h>
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

#endif /* _MEMTRACE_WRAPPER_PAGE_REF_H */
