// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace system record: the whole machine once per tick (struct
 * memtrace_system), the figures of /proc/meminfo, /proc/vmstat, /proc/stat
 * and /proc/buddyinfo read from the same kernel sources those files print,
 * so that a user who sees a process's RSS fall can tell reclaim (pgsteal_*,
 * pswpout, workingset_refault_*) from a free().
 *
 * What no module can read (total_swap_pages, vm_commit_limit(), the PSI
 * state: none is exported) is written as MEMTRACE_UNKNOWN; memtrace-reader
 * fills it from /proc when it reads the record.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/kernel_stat.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/nodemask.h>
#include <linux/swap.h>
#include <linux/tick.h>
#include <linux/vmstat.h>

#include "memtrace.h"
#include "wrapper/kcpustat.h"
#include "wrapper/mmzone.h"

/*
 * all_vm_events()'s output: NR_VM_EVENT_ITEMS (about 100) longs, too big
 * for the stack of a work item that also walks page tables.  Only the
 * sampler's work item uses it (one at a time).
 */
static unsigned long mtr_events[NR_VM_EVENT_ITEMS];

/* /proc/meminfo's figures, as meminfo_proc_show() computes them. */
static void mtr_system_meminfo(struct memtrace_system *r)
{
	struct sysinfo si;
	long cached;

	si_meminfo(&si);	/* mem_unit is PAGE_SIZE: counts are pages */
	r->memtotal_kb = cpu_to_le64(MTR_PAGES_TO_KB(si.totalram));
	r->memfree_kb = cpu_to_le64(MTR_PAGES_TO_KB(si.freeram));
	r->memavailable_kb = cpu_to_le64(MTR_PAGES_TO_KB(si_mem_available()));
	r->buffers_kb = cpu_to_le64(MTR_PAGES_TO_KB(si.bufferram));
#ifdef MTR_HAVE_NR_SWAPCACHE
	cached = global_node_page_state(NR_FILE_PAGES) -
		 global_node_page_state(NR_SWAPCACHE) - si.bufferram;
	r->cached_kb = cpu_to_le64(MTR_PAGES_TO_KB(max(cached, 0L)));
#else
	(void)cached;
	r->cached_kb = cpu_to_le64(MEMTRACE_UNKNOWN);
#endif
	r->shmem_kb = cpu_to_le64(MTR_PAGES_TO_KB(si.sharedram));
	r->swaptotal_kb = cpu_to_le64(MEMTRACE_UNKNOWN);
	r->swapfree_kb = cpu_to_le64(MTR_PAGES_TO_KB(get_nr_swap_pages()));
	r->committed_as_kb = cpu_to_le64(MTR_PAGES_TO_KB(vm_memory_committed()));
	r->commitlimit_kb = cpu_to_le64(MEMTRACE_UNKNOWN);
	r->anonpages_kb = cpu_to_le64(
		MTR_PAGES_TO_KB(global_node_page_state(NR_ANON_MAPPED)));
	r->slab_kb = cpu_to_le64(MTR_PAGES_TO_KB(
		global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B) +
		global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B)));
}

/* /proc/vmstat's event counters and workingset node counters. */
static void mtr_system_vmstat(struct memtrace_system *r)
{
	unsigned long *ev = mtr_events;
	u64 stalls = 0;
	int zid;

	all_vm_events(ev);	/* cpus_read_lock(): may sleep */
	r->pgfault = cpu_to_le64(ev[PGFAULT]);
	r->pgmajfault = cpu_to_le64(ev[PGMAJFAULT]);
	r->pswpin = cpu_to_le64(ev[PSWPIN]);
	r->pswpout = cpu_to_le64(ev[PSWPOUT]);
	r->pgscan_kswapd = cpu_to_le64(ev[PGSCAN_KSWAPD]);
	r->pgscan_direct = cpu_to_le64(ev[PGSCAN_DIRECT]);
	r->pgsteal_kswapd = cpu_to_le64(ev[PGSTEAL_KSWAPD]);
	r->pgsteal_direct = cpu_to_le64(ev[PGSTEAL_DIRECT]);
	/* one per zone, at item##_NORMAL - ZONE_NORMAL + zid (vmstat.h) */
	for (zid = 0; zid < MAX_NR_ZONES; zid++)
		stalls += ev[ALLOCSTALL_NORMAL - ZONE_NORMAL + zid];
	r->allocstall = cpu_to_le64(stalls);
#ifdef CONFIG_COMPACTION
	r->compact_stall = cpu_to_le64(ev[COMPACTSTALL]);
#else
	r->compact_stall = cpu_to_le64(MEMTRACE_UNKNOWN);
#endif
	r->oom_kill = cpu_to_le64(ev[OOM_KILL]);
	r->workingset_refault_anon =
		cpu_to_le64(global_node_page_state(WORKINGSET_REFAULT_ANON));
	r->workingset_refault_file =
		cpu_to_le64(global_node_page_state(WORKINGSET_REFAULT_FILE));
	r->workingset_activate_anon =
		cpu_to_le64(global_node_page_state(WORKINGSET_ACTIVATE_ANON));
	r->workingset_activate_file =
		cpu_to_le64(global_node_page_state(WORKINGSET_ACTIVATE_FILE));
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	r->thp_fault_alloc = cpu_to_le64(ev[THP_FAULT_ALLOC]);
#else
	r->thp_fault_alloc = cpu_to_le64(MEMTRACE_UNKNOWN);
#endif
}

/*
 * /proc/stat's "cpu" line, ns: show_stat() and its get_idle_time() and
 * get_iowait_time() (fs/proc/stat.c), which take idle and iowait from the
 * NO_HZ idle accounting when it runs (-1 when it does not).
 */
static void mtr_system_cpu(struct memtrace_system *r)
{
	u64 user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0;
	u64 softirq = 0, steal = 0, us;
	struct kernel_cpustat kcs;
	unsigned int n = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const u64 *st = kcs.cpustat;

		mtr_kcpustat_fetch(&kcs, cpu);
		user += st[CPUTIME_USER];
		nice += st[CPUTIME_NICE];
		sys += st[CPUTIME_SYSTEM];
		us = cpu_online(cpu) ? get_cpu_idle_time_us(cpu, NULL) : -1ULL;
		idle += us == -1ULL ? st[CPUTIME_IDLE] : us * NSEC_PER_USEC;
		us = cpu_online(cpu) ? get_cpu_iowait_time_us(cpu, NULL) : -1ULL;
		iowait += us == -1ULL ? st[CPUTIME_IOWAIT] : us * NSEC_PER_USEC;
		irq += st[CPUTIME_IRQ];
		softirq += st[CPUTIME_SOFTIRQ];
		steal += st[CPUTIME_STEAL];
		n++;
	}
	r->nr_cpus = cpu_to_le32(n);
	r->cpu_user_ns = cpu_to_le64(user);
	r->cpu_nice_ns = cpu_to_le64(nice);
	r->cpu_system_ns = cpu_to_le64(sys);
	r->cpu_idle_ns = cpu_to_le64(idle);
	r->cpu_iowait_ns = cpu_to_le64(iowait);
	r->cpu_irq_ns = cpu_to_le64(irq);
	r->cpu_softirq_ns = cpu_to_le64(softirq);
	r->cpu_steal_ns = cpu_to_le64(steal);
}

/*
 * /proc/buddyinfo summed over populated zones.  Read without zone->lock
 * (frag_show_print() takes it): each nr_free is one word, and a figure of
 * a moment is all a sample is; the allocator's hot path is not slowed.
 */
static void mtr_system_buddy(struct memtrace_system *r)
{
	u64 free[MEMTRACE_SYSTEM_ORDERS] = { 0 };
	int nid, zid, order;

	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (zid = 0; zid < MAX_NR_ZONES; zid++) {
			struct zone *zone = &pgdat->node_zones[zid];

			if (!populated_zone(zone))
				continue;
			for (order = 0; order < MTR_NR_ORDERS &&
			     order < MEMTRACE_SYSTEM_ORDERS; order++)
				free[order] +=
					READ_ONCE(zone->free_area[order].nr_free);
		}
	}
	for (order = 0; order < MEMTRACE_SYSTEM_ORDERS; order++)
		r->free_order[order] = cpu_to_le64(order < MTR_NR_ORDERS ?
						   free[order] :
						   MEMTRACE_UNKNOWN);
}

/**
 * mtr_system_measure() - fill the system record of one tick.
 * @tick: the current tick number.
 * @rec:  the caller's record: every field is set, the header's cpu, seq
 *        and ts_ns to 0 (the relay path stamps them), ticks_missed to 0
 *        (sampler.c stamps it), the PSI figures to MEMTRACE_UNKNOWN.
 *
 * Cost: all_vm_events() sums about 100 counters per possible CPU; the rest
 * is a few dozen loads per CPU, node and zone.
 *
 * Context: the sampler's work item, outside RCU: all_vm_events() takes
 * cpus_read_lock() and may sleep.  Uses a static buffer: one caller at a
 * time.
 */
void mtr_system_measure(u64 tick, struct memtrace_system *rec)
{
	mtr_rec_hdr_init(&rec->hdr, MEMTRACE_REC_SYSTEM, sizeof(*rec));
	rec->tick = cpu_to_le64(tick);
	rec->flags = 0;
	rec->ticks_missed = 0;
	mtr_system_meminfo(rec);
	mtr_system_vmstat(rec);
	mtr_system_cpu(rec);
	rec->psi_memory_some_us = cpu_to_le64(MEMTRACE_UNKNOWN);
	rec->psi_memory_full_us = cpu_to_le64(MEMTRACE_UNKNOWN);
	rec->psi_io_some_us = cpu_to_le64(MEMTRACE_UNKNOWN);
	rec->psi_io_full_us = cpu_to_le64(MEMTRACE_UNKNOWN);
	rec->psi_cpu_some_us = cpu_to_le64(MEMTRACE_UNKNOWN);
	mtr_system_buddy(rec);
}
