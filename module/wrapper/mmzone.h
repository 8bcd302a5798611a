/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page orders and the swap cache counter, across kernel lines.
 *
 * MTR_NR_ORDERS is the number of buddy orders, /proc/buddyinfo's columns:
 * NR_PAGE_ORDERS since 6.8 ("mm, treewide: introduce NR_PAGE_ORDERS");
 * before it MAX_ORDER, which 6.4 ("mm: Fix MAX_ORDER usage") turned from
 * the count into the largest order.  NR_PAGE_ORDERS is a macro, tested with
 * the preprocessor; the meaning of MAX_ORDER can only be told by version.
 *
 * MTR_HAVE_NR_SWAPCACHE (Kbuild probe of include/linux/mmzone.h): the node
 * counter NR_SWAPCACHE (5.13+) that total_swapcache_pages() reads; before
 * it that function walks swapper_spaces[], which is not exported.
 */
#ifndef _MEMTRACE_WRAPPER_MMZONE_H
#define _MEMTRACE_WRAPPER_MMZONE_H

#include <linux/mmzone.h>
#include <linux/version.h>

#if defined(NR_PAGE_ORDERS)
#define MTR_NR_ORDERS NR_PAGE_ORDERS
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define MTR_NR_ORDERS (MAX_ORDER + 1)
#else
#define MTR_NR_ORDERS MAX_ORDER
#endif

#endif /* _MEMTRACE_WRAPPER_MMZONE_H */
