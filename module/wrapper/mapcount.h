/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mapcount PSS divides by, across kernel lines, read the way
 * fs/proc/task_mmu.c smaps_account() reads it on each line.
 *
 * - 5.10, 6.1: page_mapcount() (linux/mm.h): the page's own _mapcount,
 *   plus the compound mapcount for a page of a THP (__page_mapcount(),
 *   exported GPL on both lines).
 * - 6.12 .. 7.x: page_mapcount() is gone; smaps_account() calls
 *   folio_precise_page_mapcount() from fs/proc/internal.h, which a module
 *   cannot include, so its body is repeated here from the public helpers it
 *   uses (page_mapcount_is_type(), folio_entire_mapcount()).  With
 *   CONFIG_NO_PAGE_MAPCOUNT (7.x, off in Debian's configs) the per-page
 *   _mapcount of a large folio is not kept, and smaps_account() uses
 *   folio_average_page_mapcount(), repeated here the same way.
 * Tested with a Kbuild probe (MTR_HAVE_PAGE_MAPCOUNT_IS_TYPE: the
 * declaration in linux/page-flags.h, 6.12+), not a version check, so that
 * a backport is followed.
 */
#ifndef _MEMTRACE_WRAPPER_MAPCOUNT_H
#define _MEMTRACE_WRAPPER_MAPCOUNT_H

#include <linux/mm.h>
#include <linux/page-flags.h>

/**
 * mtr_page_mapcount() - how many page-table entries map @page.
 * @page: a page mapped by the entry being scanned (a tail page of a THP
 *        included).
 *
 * A snapshot, slightly wrong at worst while a mapping changes, as
 * smaps_account() says of its own read.
 * Context: under the lock of the page-table entry that maps @page, which
 * keeps the page from being freed; does not sleep.
 * Return: the mapcount, 0 for a page not tracked by rmap.
 */
#ifdef MTR_HAVE_PAGE_MAPCOUNT_IS_TYPE
static inline int mtr_page_mapcount(struct page *page)
{
	struct folio *folio = page_folio(page);
#if IS_ENABLED(CONFIG_NO_PAGE_MAPCOUNT)
	int mapcount, entire_mapcount, avg;

	if (!folio_test_large(folio))
		return atomic_read(&folio->_mapcount) + 1;
	mapcount = folio_large_mapcount(folio);
	if (unlikely(mapcount <= 0))
		return 0;
	entire_mapcount = folio_entire_mapcount(folio);
	if (mapcount <= entire_mapcount)
		return entire_mapcount;
	mapcount -= entire_mapcount;
	avg = ((unsigned int)mapcount + folio_nr_pages(folio) / 2) >>
		folio_order(folio);
	return max_t(int, avg + entire_mapcount, 1);
#else
	int mapcount = atomic_read(&page->_mapcount) + 1;

	if (page_mapcount_is_type(mapcount))
		mapcount = 0;
	if (folio_test_large(folio))
		mapcount += folio_entire_mapcount(folio);
	return mapcount;
#endif
}
#else
static inline int mtr_page_mapcount(struct page *page)
{
	return page_mapcount(page);
}
#endif

/**
 * mtr_page_swapbacked() - PageSwapBacked() of @page's folio: shmem, among
 * the pages that are not anonymous.
 * @page: any page of a folio.
 *
 * PageSwapBacked() is gone in 7.x; folio_test_swapbacked() from 5.16
 * (MTR_HAVE_PAGE_FOLIO: page_folio() in linux/page-flags.h).
 * Context: any; does not sleep.
 */
static inline bool mtr_page_swapbacked(struct page *page)
{
#ifdef MTR_HAVE_PAGE_FOLIO
	return folio_test_swapbacked(page_folio(page));
#else
	return PageSwapBacked(compound_head(page));
#endif
}

#endif /* _MEMTRACE_WRAPPER_MAPCOUNT_H */
