/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * memtrace record ABI: the single source of truth for the binary records the
 * memtrace kernel module writes into its per-CPU relay files
 * (/sys/kernel/debug/memtrace/cpuN) and that memtrace-reader decodes.
 *
 * Rules of the format (see Documentation/memtrace-format.rst):
 *  - Every record starts with struct memtrace_rec_hdr.  All integers are
 *    little-endian, every field is naturally aligned, and every record size
 *    is a multiple of 8 bytes.
 *  - hdr.size is the size in bytes of the whole record, header included.  A
 *    reader skips record types it does not know using hdr.size, and skips
 *    trailing fields it does not know in a record type it does know.  Fields
 *    are only ever appended; none is ever removed or given a new meaning.
 *  - hdr.seq counts records per CPU, starting at 0 when the module loads.
 *    It is consumed by every record the module tries to write (samples and,
 *    from version 2 on, system records and any type a reader does not
 *    know, except the reader's cgroup records), including those dropped because the relay buffer was full, so a
 *    gap in seq on one CPU's stream is exactly the number of records lost
 *    there.  Loss records (struct memtrace_loss) consume no seq: they carry
 *    the seq of the record that follows them and say which seqs were lost.
 *    In version 1 only samples consumed a seq.
 *
 * Included by the kernel module (module/) and by the reader (reader/); it
 * only uses the fixed-width types of <linux/types.h>.
 */
#ifndef _UAPI_MEMTRACE_H
#define _UAPI_MEMTRACE_H

#include <linux/types.h>

/** MEMTRACE_MAGIC - hdr.magic of every record: the bytes "MTRC" on disk. */
#define MEMTRACE_MAGIC		0x4352544dU
/**
 * MEMTRACE_VERSION - format version written by this module and reader: 3
 * since the reader's cgroup record (which, unlike other types, consumes no
 * seq), 2 since the system record (whose seq an older reader would take
 * for a loss); version 1 and 2 streams and trace files are still read.
 */
#define MEMTRACE_VERSION	3
/** MEMTRACE_COMM_LEN - bytes of comm, NUL-padded (the kernel's TASK_COMM_LEN). */
#define MEMTRACE_COMM_LEN	16
/**
 * MEMTRACE_SAMPLE_SIZE_MIN - the least hdr.size of a sample record: the
 * size before ticks_missed was appended.  Fields past a record's hdr.size
 * are unknown to its writer.
 */
#define MEMTRACE_SAMPLE_SIZE_MIN	160

/**
 * enum memtrace_rec_type - values of memtrace_rec_hdr.type.
 * @MEMTRACE_REC_SAMPLE: struct memtrace_sample, one per process per tick.
 * @MEMTRACE_REC_LOSS:   struct memtrace_loss, records lost to a full buffer.
 * @MEMTRACE_REC_SYSTEM: struct memtrace_system, the machine, one per tick
 *                       (version 2).
 * @MEMTRACE_REC_CGROUP: struct memtrace_cgroup, one cgroup at one tick,
 *                       written by memtrace-reader into its trace files
 *                       only, never by the module (version 3).
 *
 * Value 3 is reserved for a schema record; a reader skips any type it does
 * not know.
 */
enum memtrace_rec_type {
	MEMTRACE_REC_SAMPLE = 1,
	MEMTRACE_REC_LOSS = 2,
	MEMTRACE_REC_SYSTEM = 4,
	MEMTRACE_REC_CGROUP = 5,
};

/**
 * struct memtrace_rec_hdr - common header of every record (32 bytes).
 * @magic:   MEMTRACE_MAGIC.  A reader checks it on every record.
 * @version: MEMTRACE_VERSION of the writer.
 * @type:    enum memtrace_rec_type.
 * @size:    bytes in the whole record, header included; a multiple of 8.
 * @cpu:     CPU whose relay buffer holds the record (smp_processor_id()
 *           while the record was reserved, interrupts off).
 * @seq:     per-CPU sequence number, see the rules at the top of this file.
 * @ts_ns:   CLOCK_MONOTONIC time in ns, taken in the same interrupts-off
 *           section that reserved the record: the tick's ktime_get_ns()
 *           plus the local_clock() time elapsed since it (the clocksource
 *           is read once per tick), never less than the CPU's previous
 *           record's, so records of one CPU are in ts_ns order.  Within a
 *           tick it may differ from CLOCK_MONOTONIC by the two clocks' rate
 *           difference (see Documentation/memtrace-format.rst).
 */
struct memtrace_rec_hdr {
	__le32 magic;
	__le16 version;
	__le16 type;
	__le32 size;
	__le32 cpu;
	__le64 seq;
	__le64 ts_ns;
};

/** MEMTRACE_SAMPLE_WSS_VALID - memtrace_sample.flags: wss_kb was measured. */
#define MEMTRACE_SAMPLE_WSS_VALID	(1U << 0)
/**
 * MEMTRACE_SAMPLE_DELAYS_VALID - memtrace_sample.flags: the *_delay_ns
 * figures were read (some thread of the group, or its exited threads, have
 * delay accounting: kernel.task_delayacct was on when they started).
 */
#define MEMTRACE_SAMPLE_DELAYS_VALID	(1U << 1)
/**
 * MEMTRACE_SAMPLE_PSS_VALID - memtrace_sample.flags: a PSS pass completed
 * since the process's previous record: pss_kb .. pss_window_ns are set.
 */
#define MEMTRACE_SAMPLE_PSS_VALID	(1U << 2)
/**
 * MEMTRACE_SAMPLE_IDLE_VALID - memtrace_sample.flags: a WSS pass with idle
 * ages on completed since the process's previous record: idle_kb[] and
 * idle_s[] are set.
 */
#define MEMTRACE_SAMPLE_IDLE_VALID	(1U << 3)
/** MEMTRACE_IDLE_AGES - entries of memtrace_sample.idle_kb and idle_s. */
#define MEMTRACE_IDLE_AGES	4

/**
 * struct memtrace_sample - one process (thread group) at one tick (312 bytes).
 *
 * All memory figures are KiB (pages << (PAGE_SHIFT - 10)), as in
 * /proc/PID/status.  Each figure names the kernel source it is read from; the
 * mm counters are the same ones task_mem() prints in fs/proc/task_mmu.c, and
 * the fault and CPU figures the same ones do_task_stat() sums in
 * fs/proc/array.c for /proc/PID/stat.
 *
 * @hdr:           common header, type MEMTRACE_REC_SAMPLE.
 * @tick:          sampler tick number, starting at 1 with the first tick
 *                 after the module loads; all records of one tick share it.
 * @tgid:          thread group id in the initial PID namespace
 *                 (task_tgid_nr()), i.e. the PID that ps(1) shows.
 * @flags:         MEMTRACE_SAMPLE_* bits.
 * @comm:          the thread group leader's comm (task->comm, as
 *                 /proc/PID/status "Name:"), NUL-padded.  The module always
 *                 NUL-terminates it; readers must not rely on that.
 * @vsz_kb:        mm->total_vm (VmSize).
 * @rss_anon_kb:   get_mm_counter(mm, MM_ANONPAGES) (RssAnon).
 * @rss_file_kb:   get_mm_counter(mm, MM_FILEPAGES) (RssFile).
 * @rss_shmem_kb:  get_mm_counter(mm, MM_SHMEMPAGES) (RssShmem).
 * @swap_kb:       get_mm_counter(mm, MM_SWAPENTS) (VmSwap).
 * @hwm_kb:        max(mm->hiwater_rss, current RSS) (VmHWM).
 * @minflt:        minor faults: signal->min_flt plus task->min_flt of every
 *                 live thread (field 10 of /proc/PID/stat).
 * @majflt:        major faults, likewise from maj_flt (field 12).
 * @utime_ns:      user CPU time of the whole thread group, ns: the tick-based
 *                 utime/stime split of signal and live threads scaled to the
 *                 precise se.sum_exec_runtime total, as cputime_adjust()
 *                 does for /proc/PID/stat field 14, and never less than
 *                 in the process's previous record (its monotonic clamp).
 * @stime_ns:      system CPU time, likewise (field 15).
 * @wss_kb:        working-set-size estimate; valid only when flags has
 *                 MEMTRACE_SAMPLE_WSS_VALID, else 0 ("not measured").
 * @wss_window_ns: the time window wss_kb covers; 0 when not measured.
 * @ticks_missed:  ticks that did not run since the module loaded, as of
 *                 this record's tick (when it began sampling, after its WSS
 *                 scan): timer expiries that found the previous
 *                 tick still queued or running, plus expiries the timer
 *                 skipped when it fired more than an interval late
 *                 (hrtimer_forward() overruns) -- stats' ticks_missed.  Two
 *                 records' difference is the number of samples that were
 *                 never taken between their ticks (for every process
 *                 sampled): the sampler did not keep up with interval_ms.
 *                 Appended in 2026-12 (records of 160 bytes lack it: a
 *                 reader treats it as unknown there).
 *
 * Appended in 2026-12 (records of 168 bytes or less lack them: unknown).
 * The delay figures are the thread group's struct task_delay_info totals,
 * as taskstats (getdelays -t) reports them: signal->stats (threads that
 * exited) plus every live thread not yet exiting (task->delays), read
 * without the delays' lock (64-bit loads).  Valid only with
 * MEMTRACE_SAMPLE_DELAYS_VALID, else 0:
 * @thrashing_delay_ns: thrashing_delay: waiting for a page being
 *                 read back after it was evicted (workingset refault).
 * @swapin_delay_ns: swapin_delay: waiting for swap-in.
 * @reclaim_delay_ns: freepages_delay: in direct memory reclaim.
 * @compact_delay_ns: compact_delay: in memory compaction;
 *                 MEMTRACE_UNKNOWN on kernels without it (before 5.19).
 * @cgroup_id:     the group leader's cgroup v2 id (the cgroup directory's
 *                 inode number, as bpf_get_current_cgroup_id() and
 *                 name_to_handle_at() give it): cgroup_id() of
 *                 task_dfl_cgroup().  0: unknown.
 *
 * Appended in 2026-12 (records of 208 bytes or less lack them: not
 * measured).  PSS and USS as /proc/PID/smaps_rollup prints them, summed by
 * the page-table walk (pss_interval_ms) the way smaps_account() in
 * fs/proc/task_mmu.c sums them: a page mapped by N page-table entries
 * counts 1/N, in 1/4096 byte units, a folio whose only reference is this
 * mapping wholly; THP mapped by a huge PMD page by page; the zero page and
 * special mappings not at all.  Valid only with MEMTRACE_SAMPLE_PSS_VALID,
 * else 0:
 * @pss_kb:        Pss.
 * @pss_anon_kb:   Pss_Anon (pages with PageAnon()).
 * @pss_file_kb:   Pss_File (neither anonymous nor swap-backed).
 * @pss_shmem_kb:  Pss_Shmem (swap-backed, not anonymous: shmem, tmpfs).
 * @uss_kb:        Private_Clean + Private_Dirty: pages mapped once.
 * @swap_pss_kb:   SwapPss: always MEMTRACE_UNKNOWN, because the count of a
 *                 swap entry's references (swp_swapcount()) is exported on
 *                 no kernel line; swap_kb is VmSwap.
 * @pss_window_ns: the time the pass took, from its first page-table entry
 *                 to its last (a pass stretched over ticks by the budget or
 *                 a contended mmap_lock covers that long).
 *
 * Appended in 2026-12 (records of 264 bytes or less lack them: not
 * measured).  Idle ages (idle_ages_s), from the Accessed bits that
 * consecutive WSS passes find: a resident page counts as idle for T
 * seconds when the passes that found it not accessed span at least T
 * seconds' worth of windows (ceil(T * 1000 / wss_interval_ms) passes).
 * Valid only with MEMTRACE_SAMPLE_IDLE_VALID, else 0:
 * @idle_kb:       KiB of resident memory (present PTEs and huge PMDs
 *                 mapping normal pages) idle for at least idle_s[i]
 *                 seconds, as of the pass that completed; MEMTRACE_UNKNOWN
 *                 when idle_s[i] needs more than 254 windows (the per-page
 *                 age is one byte), 0 for an unused slot.
 * @idle_s:        the thresholds, seconds, ascending; 0: unused slot.
 */
struct memtrace_sample {
	struct memtrace_rec_hdr hdr;
	__le64 tick;
	__le32 tgid;
	__le32 flags;
	char comm[MEMTRACE_COMM_LEN];
	__le64 vsz_kb;
	__le64 rss_anon_kb;
	__le64 rss_file_kb;
	__le64 rss_shmem_kb;
	__le64 swap_kb;
	__le64 hwm_kb;
	__le64 minflt;
	__le64 majflt;
	__le64 utime_ns;
	__le64 stime_ns;
	__le64 wss_kb;
	__le64 wss_window_ns;
	__le64 ticks_missed;
	__le64 thrashing_delay_ns;
	__le64 swapin_delay_ns;
	__le64 reclaim_delay_ns;
	__le64 compact_delay_ns;
	__le64 cgroup_id;
	__le64 pss_kb;
	__le64 pss_anon_kb;
	__le64 pss_file_kb;
	__le64 pss_shmem_kb;
	__le64 uss_kb;
	__le64 swap_pss_kb;
	__le64 pss_window_ns;
	__le64 idle_kb[MEMTRACE_IDLE_AGES];
	__le32 idle_s[MEMTRACE_IDLE_AGES];
};

/**
 * MEMTRACE_UNKNOWN - a figure of struct memtrace_system that its writer
 * could not read (the CSV shows an empty cell).
 */
#define MEMTRACE_UNKNOWN	(~(__u64)0)
/**
 * MEMTRACE_SYSTEM_F_PROC - memtrace_system.flags: the reader filled some
 * figures the module cannot read (MEMTRACE_UNKNOWN in the module's record)
 * from /proc when it read the record from the relay file, within one read
 * period of the tick (see Documentation/memtrace-format.rst).
 */
#define MEMTRACE_SYSTEM_F_PROC	(1U << 0)
/** MEMTRACE_SYSTEM_ORDERS - entries of memtrace_system.free_order. */
#define MEMTRACE_SYSTEM_ORDERS	11
/** MEMTRACE_SYSTEM_FIGURES - the __le64 figures from memtotal_kb on. */
#define MEMTRACE_SYSTEM_FIGURES	(41 + MEMTRACE_SYSTEM_ORDERS)

/**
 * struct memtrace_system - the whole machine at one tick (472 bytes).
 *
 * Written once per tick, before the tick's samples, whenever the sampler
 * runs.  Every figure is a u64 named as the kernel's own file prints it;
 * MEMTRACE_UNKNOWN where it could not be read.  The figures from
 * @memtotal_kb to the end are consecutive __le64s, in the order of the CSV
 * columns (memtrace-reader --system).
 *
 * @hdr:          common header, type MEMTRACE_REC_SYSTEM; consumes a seq.
 * @tick:         the sampler tick (as memtrace_sample.tick).
 * @flags:        MEMTRACE_SYSTEM_F_* bits.
 * @nr_cpus:      CPUs the cpu_* figures are summed over (the possible
 *                CPUs, as /proc/stat's "cpu" line).
 * @ticks_missed: as memtrace_sample.ticks_missed.
 *
 * /proc/meminfo, KiB (pages << (PAGE_SHIFT - 10)), as meminfo_proc_show()
 * in fs/proc/meminfo.c computes them:
 * @memtotal_kb:     si_meminfo() totalram (MemTotal).
 * @memfree_kb:      si_meminfo() freeram (MemFree).
 * @memavailable_kb: si_mem_available() (MemAvailable).
 * @buffers_kb:      si_meminfo() bufferram (Buffers).
 * @cached_kb:       NR_FILE_PAGES - NR_SWAPCACHE - bufferram, at least 0
 *                   (Cached); MEMTRACE_UNKNOWN from kernels without
 *                   NR_SWAPCACHE (before 5.13: the swap cache size is not
 *                   exported there).
 * @shmem_kb:        si_meminfo() sharedram (Shmem).
 * @swaptotal_kb:    SwapTotal: total_swap_pages is not exported, so always
 *                   MEMTRACE_UNKNOWN from the module.
 * @swapfree_kb:     get_nr_swap_pages() (SwapFree, less pages of a
 *                   swapoff in progress).
 * @committed_as_kb: vm_memory_committed() (Committed_AS).
 * @commitlimit_kb:  CommitLimit: vm_commit_limit() is not exported, so
 *                   always MEMTRACE_UNKNOWN from the module.
 * @anonpages_kb:    NR_ANON_MAPPED (AnonPages).
 * @slab_kb:         NR_SLAB_RECLAIMABLE_B + NR_SLAB_UNRECLAIMABLE_B (Slab).
 *
 * /proc/vmstat, events since boot (all_vm_events(), summed over CPUs) and
 * node counters (global_node_page_state()):
 * @pgfault:        PGFAULT.
 * @pgmajfault:     PGMAJFAULT.
 * @pswpin:         PSWPIN.
 * @pswpout:        PSWPOUT.
 * @pgscan_kswapd:  PGSCAN_KSWAPD.
 * @pgscan_direct:  PGSCAN_DIRECT.
 * @pgsteal_kswapd: PGSTEAL_KSWAPD.
 * @pgsteal_direct: PGSTEAL_DIRECT.
 * @allocstall:     ALLOCSTALL_* summed over zones (/proc/vmstat prints one
 *                  allocstall_<zone> line each).
 * @compact_stall:  COMPACTSTALL.
 * @oom_kill:       OOM_KILL.
 * @workingset_refault_anon:  node counter WORKINGSET_REFAULT_ANON.
 * @workingset_refault_file:  node counter WORKINGSET_REFAULT_FILE.
 * @workingset_activate_anon: node counter WORKINGSET_ACTIVATE_ANON.
 * @workingset_activate_file: node counter WORKINGSET_ACTIVATE_FILE.
 * @thp_fault_alloc: THP_FAULT_ALLOC.
 *
 * /proc/stat's "cpu" line, ns, summed over @nr_cpus CPUs as show_stat() in
 * fs/proc/stat.c does (kcpustat_cpu_fetch(), or kcpustat_cpu() where it is
 * not exported (5.10); idle and iowait from get_cpu_idle_time_us() and
 * get_cpu_iowait_time_us() on online CPUs when NO_HZ keeps them):
 * @cpu_user_ns:    cpustat[CPUTIME_USER] (guest time included, as there).
 * @cpu_nice_ns:    cpustat[CPUTIME_NICE].
 * @cpu_system_ns:  cpustat[CPUTIME_SYSTEM].
 * @cpu_idle_ns:    get_cpu_idle_time_us(), else cpustat[CPUTIME_IDLE].
 * @cpu_iowait_ns:  get_cpu_iowait_time_us(), else cpustat[CPUTIME_IOWAIT].
 * @cpu_irq_ns:     cpustat[CPUTIME_IRQ].
 * @cpu_softirq_ns: cpustat[CPUTIME_SOFTIRQ].
 * @cpu_steal_ns:   cpustat[CPUTIME_STEAL].
 *
 * /proc/pressure/{memory,io,cpu} "total=", µs since boot: the PSI state is
 * not exported, so always MEMTRACE_UNKNOWN from the module and filled by the
 * reader (MEMTRACE_SYSTEM_F_PROC):
 * @psi_memory_some_us: /proc/pressure/memory "some".
 * @psi_memory_full_us: /proc/pressure/memory "full".
 * @psi_io_some_us:     /proc/pressure/io "some".
 * @psi_io_full_us:     /proc/pressure/io "full".
 * @psi_cpu_some_us:    /proc/pressure/cpu "some".
 *
 * @free_order: free blocks of each order 0..10 summed over populated zones
 *              (zone->free_area[order].nr_free, as /proc/buddyinfo).
 */
struct memtrace_system {
	struct memtrace_rec_hdr hdr;
	__le64 tick;
	__le32 flags;
	__le32 nr_cpus;
	__le64 ticks_missed;
	__le64 memtotal_kb;
	__le64 memfree_kb;
	__le64 memavailable_kb;
	__le64 buffers_kb;
	__le64 cached_kb;
	__le64 shmem_kb;
	__le64 swaptotal_kb;
	__le64 swapfree_kb;
	__le64 committed_as_kb;
	__le64 commitlimit_kb;
	__le64 anonpages_kb;
	__le64 slab_kb;
	__le64 pgfault;
	__le64 pgmajfault;
	__le64 pswpin;
	__le64 pswpout;
	__le64 pgscan_kswapd;
	__le64 pgscan_direct;
	__le64 pgsteal_kswapd;
	__le64 pgsteal_direct;
	__le64 allocstall;
	__le64 compact_stall;
	__le64 oom_kill;
	__le64 workingset_refault_anon;
	__le64 workingset_refault_file;
	__le64 workingset_activate_anon;
	__le64 workingset_activate_file;
	__le64 thp_fault_alloc;
	__le64 cpu_user_ns;
	__le64 cpu_nice_ns;
	__le64 cpu_system_ns;
	__le64 cpu_idle_ns;
	__le64 cpu_iowait_ns;
	__le64 cpu_irq_ns;
	__le64 cpu_softirq_ns;
	__le64 cpu_steal_ns;
	__le64 psi_memory_some_us;
	__le64 psi_memory_full_us;
	__le64 psi_io_some_us;
	__le64 psi_io_full_us;
	__le64 psi_cpu_some_us;
	__le64 free_order[MEMTRACE_SYSTEM_ORDERS];
};

/** MEMTRACE_CGROUP_FIGURES - the __le64 figures of struct memtrace_cgroup. */
#define MEMTRACE_CGROUP_FIGURES	12
/** MEMTRACE_CGROUP_PATH_MAX - most bytes of memtrace_cgroup.path. */
#define MEMTRACE_CGROUP_PATH_MAX	2048
/**
 * MEMTRACE_CGROUP_F_TRUNCATED - memtrace_cgroup.flags: the path was longer
 * than MEMTRACE_CGROUP_PATH_MAX and is cut there.
 */
#define MEMTRACE_CGROUP_F_TRUNCATED	(1U << 0)

/**
 * struct memtrace_cgroup - one cgroup v2 at one tick (152 bytes and the
 * path), as its memory.* files showed it.  Written by memtrace-reader (not
 * the module: it reads cgroupfs when it reads the tick's system record)
 * into its trace files, right after that system record, whose hdr.cpu,
 * hdr.seq and hdr.ts_ns it carries; it consumes no seq.  Figures it could
 * not read (the root cgroup has no memory.current; no swap accounting; no
 * PSI) are MEMTRACE_UNKNOWN.
 *
 * @hdr:       common header, type MEMTRACE_REC_CGROUP, version 3.
 * @tick:      the tick of the system record it follows.
 * @cgroup_id: the cgroup's id: its directory's inode number (the
 *             cgroup_id of the samples of its processes).
 * @flags:     MEMTRACE_CGROUP_F_* bits.
 * @path_len:  bytes of @path (no NUL).
 * @memory_current_kb:      memory.current / 1024.
 * @memory_swap_current_kb: memory.swap.current / 1024.
 * @anon_kb:                memory.stat "anon" / 1024.
 * @file_kb:                memory.stat "file" / 1024.
 * @shmem_kb:               memory.stat "shmem" / 1024.
 * @workingset_refault_anon: memory.stat "workingset_refault_anon".
 * @workingset_refault_file: memory.stat "workingset_refault_file".
 * @memory_high_events:     memory.events "high".
 * @memory_max_events:      memory.events "max".
 * @oom_kill:               memory.events "oom_kill".
 * @psi_memory_some_us:     memory.pressure "some" total=, µs.
 * @psi_memory_full_us:     memory.pressure "full" total=, µs.
 * @path:      the cgroup's path from the cgroup v2 root ("/a/b"), then
 *             NUL padding to a multiple of 8 bytes (hdr.size covers it).
 */
struct memtrace_cgroup {
	struct memtrace_rec_hdr hdr;
	__le64 tick;
	__le64 cgroup_id;
	__le32 flags;
	__le32 path_len;
	__le64 memory_current_kb;
	__le64 memory_swap_current_kb;
	__le64 anon_kb;
	__le64 file_kb;
	__le64 shmem_kb;
	__le64 workingset_refault_anon;
	__le64 workingset_refault_file;
	__le64 memory_high_events;
	__le64 memory_max_events;
	__le64 oom_kill;
	__le64 psi_memory_some_us;
	__le64 psi_memory_full_us;
	char path[];
};

/**
 * MEMTRACE_LOSS_F_READER - memtrace_loss.flags: written by the reader, not
 * the kernel: drops after the last record the reader saw on that CPU, taken
 * from the stats file (cpuN_seq) at the end of a session.
 */
#define MEMTRACE_LOSS_F_READER	(1U << 0)

/**
 * struct memtrace_loss - a run of records lost on one CPU (80 bytes).
 *
 * The module writes one just before the first record it manages to commit
 * after one or more drops on that CPU, so the drops are visible in the data
 * itself, not only in the stats file.
 *
 * @hdr:         common header, type MEMTRACE_REC_LOSS; hdr.seq is the seq of
 *               the sample that follows (a loss record consumes no seq),
 *               hdr.ts_ns when the loss record was written.
 * @lost:        samples lost in this run: seqs first_seq .. first_seq+lost-1.
 * @lost_total:  samples lost on this CPU since the module loaded.
 * @first_seq:   seq of the first lost sample.
 * @first_ts_ns: CLOCK_MONOTONIC time of the first lost sample.
 * @last_ts_ns:  CLOCK_MONOTONIC time of the last lost sample.
 * @flags:       MEMTRACE_LOSS_F_* bits.
 * @reserved:    0.
 */
struct memtrace_loss {
	struct memtrace_rec_hdr hdr;
	__le64 lost;
	__le64 lost_total;
	__le64 first_seq;
	__le64 first_ts_ns;
	__le64 last_ts_ns;
	__le32 flags;
	__le32 reserved;
};

/*
 * ---- the trace file ----------------------------------------------------
 * What `memtrace-reader -w FILE` writes and `memtrace-reader -i FILE`
 * decodes (Documentation/memtrace-trace-file.rst): a file header (struct
 * memtrace_file_hdr, then a table of struct memtrace_file_cpu) followed,
 * from byte hdr_size on, by the records above exactly as the module wrote
 * them, in the merged (ts_ns, cpu, seq) order the reader emitted them, then
 * one reader-written struct memtrace_loss (flags MEMTRACE_LOSS_F_READER) per
 * CPU that closes the session.  Same rules as the records.  Only user
 * space reads and writes it; the module never does.
 */
/** MEMTRACE_FILE_MAGIC - the first 8 bytes of a trace file (no NUL). */
#define MEMTRACE_FILE_MAGIC		"MTRCFILE"
#define MEMTRACE_FILE_MAGIC_LEN		8
/**
 * MEMTRACE_FILE_VERSION - trace file format version written by this reader:
 * 2, records in checksummed blocks (struct memtrace_file_block); version 1
 * files, bare records after the header, are still read.
 */
#define MEMTRACE_FILE_VERSION		2
/**
 * MEMTRACE_FILE_BYTE_ORDER - memtrace_file_hdr.byte_order: this value
 * stored in the file's byte order, so the bytes 04 03 02 01 on disk say
 * "little-endian" (the only byte order memtrace writes).
 */
#define MEMTRACE_FILE_BYTE_ORDER	0x01020304U
/** MEMTRACE_FILE_CLOCK_MONOTONIC - memtrace_file_hdr.clock_id of CLOCK_MONOTONIC. */
#define MEMTRACE_FILE_CLOCK_MONOTONIC	1

/**
 * MEMTRACE_FILE_F_CPUS_COMPLETE - memtrace_file_hdr.flags: the CPU table
 * lists every CPU whose sequence number was not 0 when the session started,
 * so a CPU missing from it started at seq 0 with nothing dropped.
 */
#define MEMTRACE_FILE_F_CPUS_COMPLETE	(1U << 0)

/* memtrace_file_cpu.flags: which start figures are known. */
#define MEMTRACE_FILE_CPU_F_SEQ		(1U << 0)	/* start_seq */
#define MEMTRACE_FILE_CPU_F_DROPPED	(1U << 1)	/* start_dropped */

/**
 * struct memtrace_file_hdr - start of a trace file (264 bytes in version 1).
 * @magic:          MEMTRACE_FILE_MAGIC.
 * @byte_order:     MEMTRACE_FILE_BYTE_ORDER.
 * @version:        MEMTRACE_FILE_VERSION of the writer.
 * @rec_version:    MEMTRACE_VERSION (record format) the writer knows.
 * @hdr_size:       bytes of the whole file header, CPU table included; the
 *                  first record starts at this offset.
 * @flags:          MEMTRACE_FILE_F_* bits.
 * @sample_size:    sizeof(struct memtrace_sample) of the writer.
 * @loss_size:      sizeof(struct memtrace_loss) of the writer.
 * @page_size:      page size of the traced machine, bytes.
 * @clock_id:       clock of every hdr.ts_ns: MEMTRACE_FILE_CLOCK_MONOTONIC.
 * @start_mono_ns:  CLOCK_MONOTONIC at the start of the session, ns, taken
 *                  together with @start_real_ns: a record's wall-clock time
 *                  is start_real_ns + (ts_ns - start_mono_ns).
 * @start_real_ns:  CLOCK_REALTIME at the same moment, ns since the epoch.
 * @cpu_table_off:  offset from the file's start of the CPU table.
 * @cpu_count:      entries in the CPU table.
 * @cpu_entry_size: bytes per entry (sizeof(struct memtrace_file_cpu) of
 *                  the writer).
 * @reserved:       0.
 * @clock:          name of the clock, "mono", NUL-padded.
 * @release:        uname -r of the traced machine, NUL-padded.
 * @hostname:       uname -n of the traced machine, NUL-padded.
 * @writer:         the writing program and version, NUL-padded.
 */
struct memtrace_file_hdr {
	char magic[MEMTRACE_FILE_MAGIC_LEN];
	__le32 byte_order;
	__le16 version;
	__le16 rec_version;
	__le32 hdr_size;
	__le32 flags;
	__le32 sample_size;
	__le32 loss_size;
	__le32 page_size;
	__le32 clock_id;
	__le64 start_mono_ns;
	__le64 start_real_ns;
	__le32 cpu_table_off;
	__le32 cpu_count;
	__le32 cpu_entry_size;
	__le32 reserved;
	char clock[16];
	char release[72];
	char hostname[72];
	char writer[32];
};

/**
 * struct memtrace_file_cpu - one CPU's figures at the start (24 bytes),
 * read from the module's stats file before the sampler was enabled.
 * @cpu:           the CPU.
 * @flags:         MEMTRACE_FILE_CPU_F_* bits: which figures are known.
 * @start_seq:     cpuN_seq: the seq of the CPU's next sample.  Samples with
 *                 a seq between it and the first one in the file were lost.
 * @start_dropped: cpuN_dropped: samples the CPU had dropped since load.
 */
struct memtrace_file_cpu {
	__le32 cpu;
	__le32 flags;
	__le64 start_seq;
	__le64 start_dropped;
};

/** MEMTRACE_FILE_BLOCK_MAGIC - memtrace_file_block.magic, the bytes "TBLK". */
#define MEMTRACE_FILE_BLOCK_MAGIC	0x4b4c4254U
/** MEMTRACE_FILE_BLOCK_MAX - most record bytes in one block (1 MiB). */
#define MEMTRACE_FILE_BLOCK_MAX		(1U << 20)

/**
 * struct memtrace_file_block - (version 2) the header of a block of
 * records: from hdr_size on, a version 2 file is blocks back to back, each
 * this header and then @size bytes of whole records (none crosses a block).
 * @magic:   MEMTRACE_FILE_BLOCK_MAGIC.
 * @size:    bytes of records that follow: a multiple of 8, 1 ..
 *           MEMTRACE_FILE_BLOCK_MAX.
 * @records: how many records they are.
 * @crc32c:  CRC32C (Castagnoli, as iSCSI, ext4 and btrfs: reflected
 *           polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF)
 *           of the 12 bytes of this header before it, then of the @size
 *           bytes of records: any damage to a block, its header included,
 *           is found before its records are decoded.
 */
struct memtrace_file_block {
	__le32 magic;
	__le32 size;
	__le32 records;
	__le32 crc32c;
};

#ifdef __KERNEL__
#include <linux/build_bug.h>
#define MEMTRACE_ABI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define MEMTRACE_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_rec_hdr) == 32, "header is 32 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_sample) == 312, "sample is 312 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_loss) == 80, "loss record is 80 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_cgroup) ==
		    56 + 8 * MEMTRACE_CGROUP_FIGURES, "cgroup record is 152 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_system) ==
		    56 + 8 * MEMTRACE_SYSTEM_FIGURES, "system record is 472 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_file_hdr) == 264, "file header is 264 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_file_cpu) == 24, "CPU entry is 24 bytes");
MEMTRACE_ABI_ASSERT(sizeof(struct memtrace_file_block) == 16, "block header is 16 bytes");

#endif /* _UAPI_MEMTRACE_H */
