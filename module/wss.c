// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace working-set-size estimate: an Accessed-bit scanner.
 *
 * Each monitored process is scanned in passes that start wss_interval_ms
 * after the previous pass ended (every wss_interval_ms while a pass fits in
 * one tick).  A pass walks the page tables of every VMA the kernel
 * itself would age (not VM_IO, VM_PFNMAP or hugetlb) and test-and-clears the
 * Accessed bit of each present PTE, and of each transparent-huge PMD (counted
 * as HPAGE_PMD_NR pages).  The pages found accessed by pass k were touched
 * since pass k-1 cleared them: that is the working set over the window
 * start(k-1) .. start(k), reported in the record of the tick in which pass k
 * completes.  The first pass of a process only clears (primes).
 *
 * Cost is bounded by wss_budget_pages page-table entries per tick over all
 * processes (a huge PMD, an empty PMD and an empty upper level count as one
 * entry each); a pass that does not finish resumes at its cursor next tick
 * and its window stretches.  mmap_lock is only ever try-locked: a contended
 * lock means "not measured this tick" (after one retry at the end of the
 * tick), never a wait.  It is handed over within MTR_WSS_CHUNK entries (one
 * PTE table) when someone waits for it, and never held while yielding the
 * CPU, which happens between chunks and between processes, so that a large
 * budget never means a long stall.
 *
 * Page tables are walked under mmap_read_trylock(), which keeps every VMA we
 * find alive, and the page tables of the addresses they map (munmap
 * detaches VMAs before it frees their tables); PTEs are read and cleared
 * under the PTE lock, huge PMDs under the PMD lock, as the kernel's own
 * aging does (mm/damon/vaddr.c, fs/proc/task_mmu.c clear_refs).  A PTE
 * table that may be retracted under the read lock (6.5+) is mapped the way
 * wrapper/pgtable.h explains: under RCU, rechecking the PMD under its lock.
 *
 * Accessed bits are not reloaded while a CPU still caches the translation in
 * its TLB, and x86 does not flush when clearing them; so after a tick's scan
 * has cleared bits (wss_tlb_flush, default on), the architecture code
 * (wss_x86.c) flushes the CPUs that run one of the mms it cleared bits in,
 * in one IPI round per tick, and makes CPUs switching to one later flush;
 * on a kernel that exports no way to flush (mtr_arch_tlb_flush false) the
 * scan runs unflushed.  A PMD's own Accessed bit, cleared by a pass and
 * kept clear by the flush until something walks through it, lets the next
 * pass skip a page table nothing touched (wss_nonleaf_young,
 * mtr_wss_scan_range()).  Reclaim's view: a young PTE we clear is handed on
 * to the folio with folio_mark_accessed(), as zap_pte_range() does for
 * young file PTEs.
 *
 * Locking: all state here is used by the sampler's work item only (never
 * concurrent with itself), and, once no tick runs or can start, by the
 * sampler's stop (mtr_sampler_update(), which module exit goes through).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/* mm.h first: hugetlb.h and huge_mm.h need it when CONFIG_HUGETLBFS=n */
#include <linux/mm.h>
#include <linux/hugetlb.h>
#include <linux/huge_mm.h>
#include <linux/ktime.h>
#include <linux/mmap_lock.h>
#include <linux/pgtable.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/swap.h>
#include <linux/xarray.h>

#include "memtrace.h"
#include "wrapper/mapcount.h"
#include "wrapper/page_ref.h"
#include "wrapper/pgtable.h"
#include "wss_arch.h"

/* What a pass measures (struct mtr_wss.kinds). */
#define MTR_PASS_WSS	BIT(0)	/* test-and-clear Accessed bits */
#define MTR_PASS_PSS	BIT(1)	/* sum PSS and USS */
#define MTR_PASS_IDLE	BIT(2)	/* age every resident page (with WSS) */

/*
 * An age byte: 0 = not resident (or not seen yet), else passes since the
 * page was last found accessed, plus one; it stops at MTR_AGE_MAX.
 */
#define MTR_AGE_MAX 255

/* Indexes of struct mtr_wss.pss_kb[], in the order of the record's fields. */
enum { MTR_PSS_PSS, MTR_PSS_ANON, MTR_PSS_FILE, MTR_PSS_SHMEM, MTR_PSS_USS, MTR_PSS_NR };

/* pfn_valid() holds for whole memory subsections (SPARSEMEM; x86-64) */
#ifdef PFN_SUBSECTION_SHIFT
#define MTR_PFN_VALID_SHIFT PFN_SUBSECTION_SHIFT
#else
#define MTR_PFN_VALID_SHIFT 0
#endif

/* fs/proc/task_mmu.c's PSS_SHIFT: PSS is summed in 1/4096ths of a byte */
#define MTR_PSS_SHIFT 12

/**
 * struct mtr_idle - idle-age state of one process, allocated at its first
 * pass with ages on and freed when ages or WSS go off (a separate object,
 * so that processes not aged do not carry it).
 * @tbls:    the age byte of each entry of each page table the passes saw,
 *           PTRS_PER_PTE bytes per table, indexed by address >> PMD_SHIFT
 *           (a huge PMD's age in its first byte); a table a pass did not
 *           visit is freed at its end (XA_MARK_0: visited).
 * @nr:      tables in @tbls.
 * @mm:      the address space the ages are of (compared only): an exec()
 *           starts the ages anew.
 * @wss_ns:  the WSS window the ages count: another window starts them
 *           anew (an age is a count of windows).
 * @passes:  the pass's thresholds in passes (0: unused slot, UINT_MAX:
 *           beyond MTR_AGE_MAX - 1 passes).
 * @s:       the pass's thresholds in seconds.
 * @acc:     pages the pass found idle for each threshold so far.
 * @lost:    an age table could not be allocated: the pass's figures are
 *           unknown.
 * @ready:   a pass with ages completed; the next record carries @kb (KiB,
 *           or MEMTRACE_UNKNOWN) and @s.
 * @kb:      that pass's figures.
 */
struct mtr_idle {
	struct xarray tbls;
	unsigned long nr;
	const struct mm_struct *mm;
	u64 wss_ns;
	unsigned int passes[MEMTRACE_IDLE_AGES];
	u32 s[MEMTRACE_IDLE_AGES];
	u64 acc[MEMTRACE_IDLE_AGES];
	bool lost;
	bool ready;
	u64 kb[MEMTRACE_IDLE_AGES];
};

/**
 * struct mtr_wss - scan state of one process.
 * @pid:            the thread group's struct pid (a reference).
 * @seen_tick:      last tick the process was sampled.
 * @scanning:       a pass is in progress.
 * @cursor:         next virtual address the pass scans.
 * @pass_start_ns:  start of the pass in progress (or of the last one).
 * @prev_start_ns:  start of the previous completed pass; 0 before one.
 * @next_pass_ns:   when the next pass is due.
 * @young_pages:    accessed pages the pass in progress has found.
 * @result_ready:   a window completed; the next record carries it.
 * @result_kb:      working set of that window, KiB.
 * @result_window_ns: length of that window, ns.
 * @kinds:          MTR_PASS_* bits: what the pass in progress measures.
 * @next_pss_ns:    when the next PSS pass is due.
 * @pss:            the pass's PSS so far, bytes << MTR_PSS_SHIFT, as
 *                  smaps_rollup's mem_size_stats.pss.
 * @pss_anon:       its anonymous part (smaps_rollup's Pss_Anon), likewise.
 * @pss_file:       its file part (Pss_File), likewise.
 * @pss_shmem:      its shmem part (Pss_Shmem), likewise.
 * @uss:            the pass's Private_Clean + Private_Dirty so far, bytes.
 * @pss_ready:      a PSS pass completed; the next record carries @pss_kb[].
 * @pss_kb:         its figures, KiB: PSS, its anon, file and shmem parts,
 *                  USS (MTR_PSS_* indexes).
 * @pss_window_ns:  the time that pass took, first entry to last.
 * @budget_debt:    entries of budget a huge PMD cost beyond its one entry
 *                  (the page-by-page PSS of a shared THP), to be charged.
 * @nonleaf_end:    the end of the table whose PMD bit the pass cleared and
 *                  whose entries it has not all read yet (a chunk or the
 *                  budget ended inside it): the pass reads on to there
 *                  whatever the bit says.  0 when none.
 * @idle:           idle-age state, only while idle ages are on (struct
 *                  mtr_idle), else NULL.
 */
struct mtr_wss {
	struct pid *pid;
	u64 seen_tick;
	bool scanning;
	unsigned long cursor;
	u64 pass_start_ns;
	u64 prev_start_ns;
	u64 next_pass_ns;
	u64 young_pages;
	bool result_ready;
	u64 result_kb;
	u64 result_window_ns;
	unsigned int kinds;
	u64 next_pss_ns;
	u64 pss, pss_anon, pss_file, pss_shmem, uss;
	bool pss_ready;
	u64 pss_kb[MTR_PSS_NR];
	u64 pss_window_ns;
	unsigned long budget_debt;
	unsigned long nonleaf_end;
	struct mtr_idle *idle;
};

/*
 * The knobs (module parameters in main.c; wss_interval_ms also a debugfs
 * file, control.c), each set through its setter below; read locklessly by
 * the tick.
 *
 * wss_interval_ms: the WSS window in ms, 0 (off, the default) or
 * MTR_WSS_INTERVAL_MIN_MS..MTR_WSS_INTERVAL_MAX_MS (10..600000).
 */
unsigned int mtr_wss_interval_ms;
/*
 * wss_budget_pages: page-table entries the scanner visits per tick, over all
 * processes, 1..2^30, default 131072 (512 MiB of 4 KiB pages).  A huge PMD
 * counts as one entry.
 */
unsigned int mtr_wss_budget_pages = 131072;
/*
 * wss_tlb_flush: after a tick's scan cleared Accessed bits, flush the TLBs
 * that may cache those translations, so that they cannot hide later
 * accesses: the mms' TLB generations are bumped (a CPU switching to one
 * flushes) and the CPUs running one of them now get one IPI per tick.
 * Default on; off trades accuracy for cost.  A bool module parameter only.
 */
bool mtr_wss_tlb_flush = true;
/*
 * wss_nonleaf_young: a WSS pass skips a page table whose PMD's own Accessed
 * bit is clear -- nothing walked through it since a pass cleared the bit and
 * flushed -- reading one entry instead of 512 (see mtr_wss_scan_range()).
 * Needs the flush (wss_tlb_flush and wss_tlb_flush_available) and hardware
 * that sets that bit (mtr_arch_nonleaf_young()); without them, or when set
 * to N, every table is read.  Off by default where MGLRU is on by default
 * (CONFIG_LRU_GEN_ENABLED: Debian's 6.12 and 7.2): its page-table walk clears
 * the same bits without reading every PTE below them or flushing, and a
 * table it aged would read as untouched.  A bool module parameter only.
 */
bool mtr_wss_nonleaf_young = !IS_ENABLED(CONFIG_LRU_GEN_ENABLED);

/**
 * mtr_wss_set_interval() - the one setter of wss_interval_ms.
 * @ms: 0 (off) or MTR_WSS_INTERVAL_MIN_MS..MTR_WSS_INTERVAL_MAX_MS.
 *
 * Takes effect at the next tick (off, with pss_interval_ms 0 too, frees
 * every process's state there).
 * Context: any process context.
 * Return: 0; -EINVAL out of range; -EOPNOTSUPP for a non-zero window on an
 * architecture without a scanner (wss_none.c).  On error nothing changes.
 */
int mtr_wss_set_interval(unsigned int ms)
{
	if (ms && (ms < MTR_WSS_INTERVAL_MIN_MS || ms > MTR_WSS_INTERVAL_MAX_MS))
		return -EINVAL;
	if (ms && !mtr_arch_wss)
		return -EOPNOTSUPP;
	WRITE_ONCE(mtr_wss_interval_ms, ms);
	return 0;
}

/*
 * pss_interval_ms: how often each monitored process's PSS and USS are
 * summed, in ms: 0 (off, the default) or MTR_WSS_INTERVAL_MIN_MS..
 * MTR_WSS_INTERVAL_MAX_MS.  The sum rides on the WSS passes while WSS is on
 * (the first one due after pss_interval_ms), else makes passes of its own.
 */
unsigned int mtr_pss_interval_ms;

/**
 * mtr_pss_set_interval() - the one setter of pss_interval_ms.
 * @ms: 0 (off) or MTR_WSS_INTERVAL_MIN_MS..MTR_WSS_INTERVAL_MAX_MS.
 *
 * Takes effect at the next tick.  Unlike WSS, any architecture can: the sum
 * reads page-table entries, never clears their bits.
 * Context: any process context.
 * Return: 0, or -EINVAL out of range (nothing changes).
 */
int mtr_pss_set_interval(unsigned int ms)
{
	if (ms && (ms < MTR_WSS_INTERVAL_MIN_MS || ms > MTR_WSS_INTERVAL_MAX_MS))
		return -EINVAL;
	WRITE_ONCE(mtr_pss_interval_ms, ms);
	return 0;
}

/*
 * idle_ages_s: up to MEMTRACE_IDLE_AGES thresholds in seconds, 1..65535,
 * ascending, packed 16 bits each into one u64 (slot i in bits 16i..16i+15;
 * 0: unused) so that the tick reads them in one load; 0 (the default): idle
 * ages off.  Ages are kept only while WSS is on: they come from its passes.
 */
u64 mtr_idle_ages;

/**
 * mtr_idle_parse() - parse an idle_ages_s value.
 * @buf:    "T1[,T2[,T3[,T4]]]" in seconds, each 1..65535 and above the one
 *          before it, or "0" (off); NUL-terminated, white space stripped.
 * @packed: out: the value as mtr_idle_ages holds it.
 *
 * Context: any.
 * Return: 0, or -EINVAL (@packed untouched).
 */
int mtr_idle_parse(char *buf, u64 *packed)
{
	unsigned int i = 0, v, prev = 0;
	u64 val = 0;
	char *tok;

	if (!strcmp(buf, "0")) {
		*packed = 0;
		return 0;
	}
	while ((tok = strsep(&buf, ",")) != NULL) {
		if (i == MEMTRACE_IDLE_AGES || *tok < '0' || *tok > '9' ||
		    kstrtouint(tok, 10, &v) || v <= prev || v > U16_MAX)
			return -EINVAL;
		val |= (u64)v << (16 * i++);
		prev = v;
	}
	*packed = val;
	return 0;
}

/**
 * mtr_idle_set_ages() - the one setter of idle_ages_s.
 * @packed: a value from mtr_idle_parse().
 *
 * Takes effect at the next WSS pass that starts; 0 frees every process's
 * ages at the next tick.
 * Context: any.
 */
void mtr_idle_set_ages(u64 packed)
{
	WRITE_ONCE(mtr_idle_ages, packed);
}

/**
 * mtr_idle_show_ages() - format idle_ages_s as mtr_idle_parse() takes it.
 * @buf:  at least 24 bytes.
 * @size: its size.
 * @packed: the value.
 *
 * Return: the length written (without the NUL), "0" when off.
 */
int mtr_idle_show_ages(char *buf, size_t size, u64 packed)
{
	int i, n = 0;

	if (!packed)
		return scnprintf(buf, size, "0");
	for (i = 0; i < MEMTRACE_IDLE_AGES; i++) {
		unsigned int v = (packed >> (16 * i)) & U16_MAX;

		if (v)
			n += scnprintf(buf + n, size - n, "%s%u", i ? "," : "", v);
	}
	return n;
}

/**
 * mtr_wss_set_budget() - the one setter of wss_budget_pages.
 * @pages: 1..2^30 page-table entries per tick.
 *
 * Context: any process context.
 * Return: 0, or -EINVAL out of range (nothing changes).
 */
int mtr_wss_set_budget(unsigned int pages)
{
	if (pages < 1 || pages > (1U << 30))
		return -EINVAL;
	WRITE_ONCE(mtr_wss_budget_pages, pages);
	return 0;
}

/*
 * Page-table entries scanned between two looks at whether a process's
 * mmap_lock has a waiter or the CPU is needed (one PTE table: 2 MiB of
 * 4 KiB pages); if so, the lock is dropped there.  Dropping and retaking
 * the lock and finding the VMA again cost about 0.2 ns per entry; a chunk
 * of 4096 held a CPU for 316 ms on the debug kernel under TCG (KASAN,
 * lockdep, a first pass that finds every page young).
 */
#define MTR_WSS_CHUNK 512UL

/*
 * Processes per tick that stopped at a contended mmap_lock and get a second
 * try at the end of the tick's round; a bound, so that a tick of 50,000
 * contended processes does not try each twice.
 */
#define MTR_WSS_RETRY 16

static DEFINE_XARRAY(mtr_wss_states); /* tgid -> struct mtr_wss */
static unsigned long mtr_wss_resume; /* tgid the next tick starts at */
/* CPUs that had an mm loaded whose Accessed bits this tick cleared */
static struct cpumask mtr_wss_flush_mask;
/*
 * The flush and non-leaf knobs as this tick read them at its start, once:
 * a PMD's Accessed bit is cleared only in a tick that then flushes (a
 * cleared bit that a CPU's paging-structure cache outlives would hide every
 * later access through that cached entry), whatever the knobs do meanwhile.
 */
static bool mtr_wss_tick_flush, mtr_wss_tick_nonleaf;

/* Statistics, written by the work item (and, with no tick running, by
 * mtr_wss_exit()). */
static u64 mtr_pss_scans_completed;
/* WSS/PSS states allocated now (stats' wss_states) */
static unsigned long mtr_wss_n;
/* idle-age tables allocated now, and allocations that failed */
static unsigned long mtr_idle_tables;
static u64 mtr_idle_alloc_failed;
static u64 mtr_wss_pages_scanned, mtr_wss_scans_completed,
	mtr_wss_scans_skipped, mtr_wss_scan_ns, mtr_wss_flushes,
	mtr_wss_tick_max_pages, mtr_wss_tables_skipped,
	mtr_wss_tables_cleared;

/* Free every age table of @st (its ages start anew). */
static void mtr_idle_free_tables(struct mtr_wss *st)
{
	unsigned long idx;
	u8 *tbl;

	xa_for_each(&st->idle->tbls, idx, tbl) {
		xa_erase(&st->idle->tbls, idx);
		kfree(tbl);
	}
	WRITE_ONCE(mtr_idle_tables, mtr_idle_tables - st->idle->nr);
	st->idle->nr = 0;
}

/* Free @st's idle-age state, if any. */
static void mtr_idle_free(struct mtr_wss *st)
{
	if (!st->idle)
		return;
	mtr_idle_free_tables(st);
	kfree(st->idle);
	st->idle = NULL;
}

/* At the end of a pass: free the tables it did not visit, unmark the rest. */
static void mtr_idle_sweep(struct mtr_wss *st)
{
	unsigned long idx;
	u8 *tbl;

	xa_for_each(&st->idle->tbls, idx, tbl) {
		if (xa_get_mark(&st->idle->tbls, idx, XA_MARK_0)) {
			xa_clear_mark(&st->idle->tbls, idx, XA_MARK_0);
			continue;
		}
		xa_erase(&st->idle->tbls, idx);
		kfree(tbl);
		st->idle->nr--;
		WRITE_ONCE(mtr_idle_tables, mtr_idle_tables - 1);
	}
}

/*
 * The age table of the page table that maps @addr, allocated on first use
 * and marked visited; NULL when it cannot be allocated (the pass's idle
 * figures are then unknown).  Not under a page-table lock: may allocate.
 */
static u8 *mtr_idle_tbl(struct mtr_wss *st, unsigned long addr)
{
	unsigned long idx = addr >> PMD_SHIFT;
	u8 *tbl = xa_load(&st->idle->tbls, idx);

	if (!tbl) {
		tbl = kzalloc(PTRS_PER_PTE, GFP_NOWAIT | __GFP_NOWARN);
		if (!tbl)
			goto fail;
		if (xa_err(xa_store(&st->idle->tbls, idx, tbl,
				    GFP_NOWAIT | __GFP_NOWARN))) {
			kfree(tbl);
			goto fail;
		}
		st->idle->nr++;
		WRITE_ONCE(mtr_idle_tables, mtr_idle_tables + 1);
	}
	xa_set_mark(&st->idle->tbls, idx, XA_MARK_0);
	return tbl;
fail:
	mtr_idle_alloc_failed++;
	st->idle->lost = true;
	return NULL;
}

/*
 * Forget the ages of [@start, @end), which no walked VMA covers (a hole,
 * or an area not aged): what an mremap() or mmap() may put there later is
 * new.  Only the tables at its two ends can hold entries of walked VMAs
 * too; a table wholly inside is not visited by this pass and is freed at
 * its end (mtr_idle_sweep()).
 */
static void mtr_idle_clear(struct mtr_wss *st, unsigned long start,
			   unsigned long end)
{
	unsigned long off = (start >> PAGE_SHIFT) & (PTRS_PER_PTE - 1);
	unsigned long first_end = ALIGN(start + 1, PMD_SIZE), last_start;
	u8 *tbl;

	if (first_end < start)	/* wrapped at the top of the address space */
		first_end = ULONG_MAX;
	tbl = xa_load(&st->idle->tbls, start >> PMD_SHIFT);
	if (tbl)
		memset(tbl + off, 0, min((min(end, first_end) - start) >> PAGE_SHIFT,
					 PTRS_PER_PTE - off));
	if (end <= first_end || end == ULONG_MAX)
		return;
	last_start = end & PMD_MASK;
	tbl = xa_load(&st->idle->tbls, last_start >> PMD_SHIFT);
	if (tbl)
		memset(tbl, 0, (end - last_start) >> PAGE_SHIFT);
}

/* Forget the ages of the page table that mapped @addr (no table now). */
static void mtr_idle_drop(struct mtr_wss *st, unsigned long addr)
{
	u8 *tbl = xa_erase(&st->idle->tbls, addr >> PMD_SHIFT);

	if (tbl) {
		kfree(tbl);
		st->idle->nr--;
		WRITE_ONCE(mtr_idle_tables, mtr_idle_tables - 1);
	}
}

/*
 * Age one entry: *age becomes 1 when @young or first seen (its history is
 * unknown: counted from now), else one more, up to MTR_AGE_MAX; then
 * @pages count for every threshold the age reaches.
 */
static void mtr_idle_age(struct mtr_wss *st, u8 *age, bool young,
			 unsigned long pages)
{
	unsigned int a = (young || !*age) ? 1 : min(*age + 1, MTR_AGE_MAX);
	int i;

	*age = a;
	for (i = 0; i < MEMTRACE_IDLE_AGES; i++)
		if (st->idle->passes[i] && a - 1 >= st->idle->passes[i])
			st->idle->acc[i] += pages;
}

/*
 * After the Accessed bits of @n PTEs were tested (@young: which were),
 * under the PTE lock: age each entry that maps a normal page, and mark the
 * others not resident.  @age: the first entry's byte.
 */
static void mtr_idle_ptes(struct mtr_wss *st, u8 *age, pte_t *pte,
			  unsigned long n, const unsigned long *young)
{
	unsigned long i;
	pte_t ptent;

	for (i = 0; i < n; i++) {
		ptent = ptep_get(pte + i);
		if (!pte_present(ptent) || pte_special(ptent)) {
			age[i] = 0;
			continue;
		}
		mtr_idle_age(st, &age[i], test_bit(i, young), 1);
	}
}

static void mtr_wss_free(unsigned long tgid, struct mtr_wss *st)
{
	mtr_idle_free(st);
	xa_erase(&mtr_wss_states, tgid);
	put_pid(st->pid);
	kfree(st);
	WRITE_ONCE(mtr_wss_n, mtr_wss_n - 1);
}

/**
 * mtr_wss_mark() - hand a young page the scan cleared on to reclaim.
 * @pfn: its page frame; special and zero pages are skipped.
 *
 * Context: under the PTE or PMD lock that maps it; does not sleep.
 */
void mtr_wss_mark(unsigned long pfn)
{
	if (!pfn_valid(pfn) || is_zero_pfn(pfn))
		return;
	mtr_mark_page_accessed(pfn_to_page(pfn));
}

/*
 * Account @nr pages from @page (a whole THP when mapped by a huge PMD, else
 * one page) as smaps_account() and smaps_page_accumulate() do: a folio
 * whose only reference is this mapping is the process's alone (PSS and
 * USS); otherwise each page counts 1/mapcount, and to USS when mapped once.
 * The folio's kind (anon, shmem, file) and reference count are read once,
 * from its head page, which smaps reads them through too.
 * Context: under the lock of the entry that maps @page.
 */
static void mtr_pss_account(struct mtr_wss *st, struct page *page,
			    unsigned int nr)
{
	struct page *head = compound_head(page);
	unsigned long pss = 0, uss = 0;
	unsigned int i;
	u64 *part;

	if (PageAnon(head))
		part = &st->pss_anon;
	else if (mtr_page_swapbacked(head))
		part = &st->pss_shmem;
	else
		part = &st->pss_file;
	if (page_ref_count(head) == 1) {
		uss = nr * PAGE_SIZE;
		pss = uss << MTR_PSS_SHIFT;
	} else {
		/* the budget counts a huge PMD as one entry: charge the rest */
		st->budget_debt += nr - 1;
		for (i = 0; i < nr; i++, page++) {
			int mapcount = mtr_page_mapcount(page);

			if (mapcount >= 2) {
				pss += (PAGE_SIZE << MTR_PSS_SHIFT) / mapcount;
			} else {
				pss += PAGE_SIZE << MTR_PSS_SHIFT;
				uss += PAGE_SIZE;
			}
		}
	}
	st->pss += pss;
	*part += pss;
	st->uss += uss;
}

/*
 * Sum the present PTEs of one table.  The pages vm_normal_page() would not
 * return (smaps_pte_entry() skips them) are skipped: special PTEs (the zero
 * page, VM_MIXEDMAP and device pages on x86) and PFNs without a struct
 * page; VM_PFNMAP and VM_IO areas are never walked.  Swap entries are not
 * summed: swap_pss_kb needs swp_swapcount(), which no line exports.
 */
static void mtr_pss_ptes(pte_t *pte, unsigned long n, struct mtr_wss *st)
{
	unsigned long i, pfn, valid = ULONG_MAX;
	pte_t ptent;

	for (i = 0; i < n; i++) {
		ptent = ptep_get(pte + i);
		if (!pte_present(ptent) || pte_special(ptent))
			continue;
		pfn = pte_pfn(ptent);
		if (is_zero_pfn(pfn))
			continue;
		/*
		 * pfn_valid() (a few loads and a preemption toggle) once per
		 * memory subsection (2 MiB, the unit memory hotplug adds and
		 * removes, which cannot remove a page mapped here).
		 */
		if ((pfn >> MTR_PFN_VALID_SHIFT) != valid) {
			if (!pfn_valid(pfn))
				continue;
			valid = pfn >> MTR_PFN_VALID_SHIFT;
		}
		mtr_pss_account(st, pfn_to_page(pfn), 1);
	}
}

/*
 * Scan the PTEs of one page table for [addr, addr + n pages), under its lock.
 * A table retracted meanwhile (6.5+, see wrapper/pgtable.h) is skipped: its
 * pages were just collapsed into a huge page, which the next pass ages.
 * @whole: the table lies in one VMA and @addr is its first entry, so a WSS
 * pass clears the PMD's own Accessed bit too (mtr_wss_scan_range() says
 * why).
 */
static void mtr_wss_scan_ptes(struct mm_struct *mm, pmd_t *pmd,
			      unsigned long addr, unsigned long n,
			      bool whole, struct mtr_wss *st)
{
	DECLARE_BITMAP(young, PTRS_PER_PTE);
	spinlock_t *ptl;
	u8 *age = NULL;
	pte_t *pte;

	if (st->kinds & MTR_PASS_IDLE) {
		age = mtr_idle_tbl(st, addr);
		if (age) {
			age += (addr >> PAGE_SHIFT) & (PTRS_PER_PTE - 1);
			bitmap_zero(young, n);
		}
	}
	pte = mtr_pte_offset_map_lock(mm, pmd, addr, &ptl);
	if (!pte)
		return;
	/*
	 * Before the PTEs: an access between the two sets the PMD's bit again
	 * (or is found in its PTE now), so the next pass reads the table.
	 */
	if (whole && (st->kinds & MTR_PASS_WSS) && mtr_wss_tick_nonleaf &&
	    mtr_arch_pmd_table_clear_young(pmd))
		mtr_wss_tables_cleared++;
	if (st->kinds & MTR_PASS_PSS)
		mtr_pss_ptes(pte, n, st);
	if (st->kinds & MTR_PASS_WSS)
		st->young_pages += mtr_arch_age_ptes(pte, n, age ? young : NULL);
	if (age)
		mtr_idle_ptes(st, age, pte, n, young);
	mtr_pte_unmap_unlock(ptl);
}

/*
 * Test-and-clear a huge PMD under its lock.  Returns false when it is no
 * longer huge (split meanwhile): the caller then scans its PTEs.
 */
static bool mtr_wss_scan_huge(struct mm_struct *mm, pmd_t *pmd,
			      unsigned long addr, struct mtr_wss *st)
{
	u8 *age = (st->kinds & MTR_PASS_IDLE) ? mtr_idle_tbl(st, addr) : NULL;
	spinlock_t *ptl = pmd_lock(mm, pmd);
	pmd_t pmdval = READ_ONCE(*pmd);
	bool huge = mtr_pmd_leaf(pmdval), young = false;
	struct page *page = NULL;

	if (huge)
		page = mtr_pmd_normal_page(pmdval);
	if (page && (st->kinds & MTR_PASS_PSS))
		mtr_pss_account(st, page, HPAGE_PMD_NR);
	if (huge && (st->kinds & MTR_PASS_WSS)) {
		young = mtr_arch_age_pmd(pmd);
		/*
		 * An access DAMON or idle page tracking took from the PMD since
		 * our last pass (see mtr_page_test_clear_young()): one such
		 * sample hid 512 pages for the rest of the window (DAMON_STAT,
		 * on by default on 7.x, took windows down to 34% of the hot
		 * set).  The flag is cleared whether or not the PMD was young,
		 * so that what it says next time is about the next window.
		 * Huge PMDs only: for 4 KiB pages a sample hides one page, and
		 * reading each old PTE's struct page would cost the cold scan
		 * a cache miss per page.
		 */
		if (page && mtr_page_test_clear_young(page) && !young) {
			young = true;
			mtr_wss_mark(pmd_pfn(pmdval));
		}
		if (young)
			st->young_pages += HPAGE_PMD_NR;
	}
	if (huge && age) {
		/* the whole huge page ages in the table's first byte */
		memset(age + 1, 0, PTRS_PER_PTE - 1);
		if (page)
			mtr_idle_age(st, age, young, HPAGE_PMD_NR);
		else
			age[0] = 0;
	}
	spin_unlock(ptl);
	return huge;
}

/*
 * Scan [addr, end) of @vma within *budget entries; returns the address where
 * it stopped (end when done).
 */
static unsigned long mtr_wss_scan_range(struct vm_area_struct *vma,
					unsigned long addr, unsigned long end,
					struct mtr_wss *st,
					unsigned long *budget)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long next, n;
	bool whole;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd, pmdval;

	while (addr < end && *budget) {
		pgd = pgd_offset(mm, addr);
		if (pgd_none(*pgd) || pgd_bad(*pgd)) {
			addr = pgd_addr_end(addr, end);
			goto next_entry;
		}
		p4d = p4d_offset(pgd, addr);
		if (p4d_none(*p4d) || p4d_bad(*p4d)) {
			addr = p4d_addr_end(addr, end);
			goto next_entry;
		}
		pud = pud_offset(p4d, addr);
		/* pud_bad() is also true of a huge PUD, which we do not age */
		if (pud_none(*pud) || pud_bad(*pud)) {
			addr = pud_addr_end(addr, end);
			goto next_entry;
		}
		pmd = pmd_offset(pud, addr);
		next = pmd_addr_end(addr, end);
		pmdval = mtr_pmdp_get_lockless(pmd);
		if (pmd_none(pmdval)) {
			/* nothing mapped here now: no ages to keep */
			if (st->kinds & MTR_PASS_IDLE)
				mtr_idle_drop(st, addr);
			goto next_pmd;
		}
		if (mtr_pmd_leaf(pmdval)) {
			if (mtr_wss_scan_huge(mm, pmd, addr, st)) {
				n = min(st->budget_debt, *budget);
				*budget -= n;
				st->budget_debt = 0;
				goto next_pmd;
			}
			pmdval = mtr_pmdp_get_lockless(pmd);
		}
		/* rechecked under the PTE lock by mtr_wss_scan_ptes() */
		if (pmd_none(pmdval) || pmd_bad(pmdval) || mtr_pmd_leaf(pmdval))
			goto next_pmd;
		/*
		 * The table's own Accessed bit.  A WSS pass clears it when it
		 * reads the whole table (from its first entry to its last, in
		 * one VMA, within the budget), and the tick flushes after it;
		 * from then on any access through the table walks it and sets
		 * the bit again (a paging-structure cache holds only entries
		 * met with the bit set, and the flush emptied them).  So while
		 * it stays clear every PTE of the table has stayed old since
		 * that pass cleared them: a pass that only tests Accessed bits
		 * skips the table for one entry of budget.  The bit is cleared
		 * before the table's first entry is read, so the pass reads on
		 * to the table's end (@nonleaf_end) when a chunk or the budget
		 * ends inside it.  A table that lies across VMAs keeps the bit
		 * and is read.  A priming pass (the first, or the first after
		 * WSS was off) reads every table: a pass abandoned before may
		 * have cleared a bit and left the table half read.  PSS and
		 * idle ages need every PTE: passes with them read every table.
		 */
		whole = !(addr & ~PMD_MASK) && next - addr == PMD_SIZE;
		if (st->kinds == MTR_PASS_WSS && st->prev_start_ns &&
		    mtr_wss_tick_nonleaf && addr >= st->nonleaf_end &&
		    !mtr_arch_pmd_table_young(pmdval)) {
			mtr_wss_tables_skipped++;
			goto next_pmd;
		}
		n = min((next - addr) >> PAGE_SHIFT, *budget);
		mtr_wss_scan_ptes(mm, pmd, addr, n, whole, st);
		if (whole && n < PTRS_PER_PTE)
			st->nonleaf_end = next;
		*budget -= n;
		addr += n << PAGE_SHIFT;
		continue;
next_pmd:
		addr = next;
next_entry:
		(*budget)--;
	}
	return addr;
}

/*
 * Continue @st's pass over @mm within *budget.  Returns true when the pass
 * reached the end of the address space.  Caller holds mmap_read_lock.
 */
static bool mtr_wss_scan_mm(struct mm_struct *mm, struct mtr_wss *st,
			    unsigned long *budget)
{
	unsigned long addr = st->cursor;
	struct vm_area_struct *vma;
	bool idle = st->kinds & MTR_PASS_IDLE;

	while (*budget) {
		vma = find_vma(mm, addr);
		if (!vma) {
			if (idle)
				mtr_idle_clear(st, addr, ULONG_MAX);
			return true;
		}
		if (idle && vma->vm_start > addr)
			mtr_idle_clear(st, addr, vma->vm_start);
		addr = max(addr, vma->vm_start);
		if ((vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
		    is_vm_hugetlb_page(vma)) {
			if (idle)
				mtr_idle_clear(st, addr, vma->vm_end);
			addr = vma->vm_end;
			continue;
		}
		addr = mtr_wss_scan_range(vma, addr, vma->vm_end, st, budget);
	}
	st->cursor = addr;
	return false;
}

static void mtr_wss_nop(void *unused)
{
}

/* What mtr_wss_step() did with a process's share of the tick. */
enum mtr_wss_step_ret {
	MTR_WSS_GONE,		/* the process is gone: free its state */
	MTR_WSS_STEPPED,	/* scanned (or nothing was due) */
	MTR_WSS_CONTENDED,	/* stopped at a contended mmap_lock */
};

/*
 * One process's share of the tick: start a pass when due, continue it,
 * complete it.
 */
/*
 * A pass with idle ages starts: the thresholds in passes of @wss_ns.
 * Returns false when the state cannot be allocated (counted; the pass runs
 * without ages).
 */
static bool mtr_idle_start(struct mtr_wss *st, u64 idle_ages, u64 wss_ns)
{
	int i;

	if (!st->idle) {
		st->idle = kzalloc(sizeof(*st->idle), GFP_NOWAIT | __GFP_NOWARN);
		if (!st->idle) {
			mtr_idle_alloc_failed++;
			return false;
		}
		xa_init(&st->idle->tbls);
	}
	if (st->idle->wss_ns != wss_ns) {
		mtr_idle_free_tables(st);
		st->idle->wss_ns = wss_ns;
	}
	for (i = 0; i < MEMTRACE_IDLE_AGES; i++) {
		u64 ms = ((idle_ages >> (16 * i)) & U16_MAX) * MSEC_PER_SEC;
		u64 passes = DIV64_U64_ROUND_UP(ms * NSEC_PER_MSEC, wss_ns);

		st->idle->s[i] = ms / MSEC_PER_SEC;
		st->idle->passes[i] = !ms ? 0 :
			passes > MTR_AGE_MAX - 1 ? UINT_MAX : passes;
		st->idle->acc[i] = 0;
	}
	st->idle->lost = false;
	return true;
}

/* A pass with idle ages completed: its figures for the next record. */
static void mtr_idle_done(struct mtr_wss *st)
{
	int i;

	for (i = 0; i < MEMTRACE_IDLE_AGES; i++)
		st->idle->kb[i] = !st->idle->passes[i] ? 0 :
			(st->idle->lost || st->idle->passes[i] == UINT_MAX) ?
			MEMTRACE_UNKNOWN :
			st->idle->acc[i] << (PAGE_SHIFT - 10);
	st->idle->ready = true;
	mtr_idle_sweep(st);
}

static enum mtr_wss_step_ret mtr_wss_step(struct mtr_wss *st, u64 now,
					  u64 wss_ns, u64 pss_ns,
					  u64 idle_ages,
					  unsigned long *budget, bool *cleared)
{
	enum mtr_wss_step_ret ret = MTR_WSS_STEPPED;
	struct task_struct *p, *t;
	struct mm_struct *mm;
	unsigned int kinds;
	u64 young_before, cleared_before;
	bool done, locked;

	/*
	 * Switched off mid-pass: stop doing it now (WSS clears no more bits
	 * and its next pass primes again), and end a pass left with nothing
	 * to do.
	 */
	if (!wss_ns) {
		st->kinds &= ~(MTR_PASS_WSS | MTR_PASS_IDLE);
		st->prev_start_ns = 0;
	}
	/* ages need every WSS pass: with either off they start anew */
	if (!wss_ns || !idle_ages) {
		st->kinds &= ~MTR_PASS_IDLE;
		mtr_idle_free(st);
	}
	if (!pss_ns)
		st->kinds &= ~MTR_PASS_PSS;
	if (st->scanning && !st->kinds)
		st->scanning = false;
	/* an interval made shorter takes effect now, not after the old one */
	if (st->next_pass_ns > now + wss_ns)
		st->next_pass_ns = now + wss_ns;
	if (st->next_pss_ns > now + pss_ns)
		st->next_pss_ns = now + pss_ns;
	if (!st->scanning) {
		kinds = 0;
		if (wss_ns && now >= st->next_pass_ns)
			kinds |= MTR_PASS_WSS;
		/* while WSS is on, PSS rides on its next pass */
		if (pss_ns && now >= st->next_pss_ns && (kinds || !wss_ns))
			kinds |= MTR_PASS_PSS;
		if (!kinds)
			return MTR_WSS_STEPPED;
		if ((kinds & MTR_PASS_WSS) && idle_ages &&
		    mtr_idle_start(st, idle_ages, wss_ns))
			kinds |= MTR_PASS_IDLE;
		st->kinds = kinds;
		st->scanning = true;
		st->cursor = 0;
		st->nonleaf_end = 0;
		st->young_pages = 0;
		st->pss = 0;
		st->pss_anon = 0;
		st->pss_file = 0;
		st->pss_shmem = 0;
		st->uss = 0;
		st->pass_start_ns = now;
	}

	young_before = st->young_pages;
	cleared_before = mtr_wss_tables_cleared;
	mm = NULL;
	rcu_read_lock();
	p = pid_task(st->pid, PIDTYPE_TGID);
	/*
	 * Through any live thread, as proc.c measures the group: a leader
	 * that exited (pthread_exit()) stays a zombie without an mm while
	 * the other threads run on.  get_task_mm() takes task_lock() and
	 * refuses kernel threads; the thread list is safe under RCU.
	 */
	if (p)
		for_each_thread(p, t) {
			mm = get_task_mm(t);
			if (mm)
				break;
		}
	rcu_read_unlock();
	if (!mm)
		return MTR_WSS_GONE;
	/* exec() gave the process a new address space: its pages are new */
	if (st->idle && st->idle->mm != mm) {
		mtr_idle_free_tables(st);
		st->idle->mm = mm;
	}
	/*
	 * In chunks of MTR_WSS_CHUNK entries.  Between two, mmap_lock is handed
	 * over to whoever waits for it, as show_smaps_rollup() does: the rest
	 * of the pass waits for the retry at the end of the tick (or the next
	 * tick), so that the process's mmap()/munmap() (and, behind a waiting
	 * writer, its page faults) never wait for more than one chunk.  The
	 * lock is also dropped before yielding the CPU, never held across a
	 * reschedule: a budget of up to 2^30 entries in one go would hold the
	 * CPU for seconds on a kernel without preemption.  Held on while nobody
	 * waits, a pass needs one successful trylock, not one a chunk: a
	 * process whose mmap_lock is busy most of the time (threads mapping
	 * in a loop) still completes passes.  The pass resumes at its cursor,
	 * as it does across ticks: VMAs may change while the lock is dropped,
	 * which a pass stretched over ticks tolerates already.
	 */
	done = false;
	locked = mmap_read_trylock(mm);
	while (locked) {
		unsigned long chunk = min(*budget, MTR_WSS_CHUNK), left = chunk;

		done = mtr_wss_scan_mm(mm, st, &left);
		*budget -= chunk - left;
		if (done || !*budget)
			break;
		if (mmap_lock_is_contended(mm)) {
			ret = MTR_WSS_CONTENDED;
			break;
		}
		if (need_resched()) {
			mmap_read_unlock(mm);
			cond_resched();
			locked = mmap_read_trylock(mm);
		}
	}
	if (locked) {
		mmap_read_unlock(mm);
	} else {
		mtr_wss_scans_skipped++;
		ret = MTR_WSS_CONTENDED;
	}
	/* a PMD bit cleared needs the flush as much as a PTE's */
	if (st->young_pages != young_before ||
	    mtr_wss_tables_cleared != cleared_before) {
		*cleared = true;
		if (mtr_wss_tick_flush)
			mtr_arch_tlb_batch_add(&mtr_wss_flush_mask, mm);
	}
	/* the last reference may drop here: never tear an mm down in a tick */
	mmput_async(mm);

	if (done && (st->kinds & MTR_PASS_PSS)) {
		st->pss_kb[MTR_PSS_PSS] = st->pss >> (MTR_PSS_SHIFT + 10);
		st->pss_kb[MTR_PSS_ANON] = st->pss_anon >> (MTR_PSS_SHIFT + 10);
		st->pss_kb[MTR_PSS_FILE] = st->pss_file >> (MTR_PSS_SHIFT + 10);
		st->pss_kb[MTR_PSS_SHMEM] = st->pss_shmem >> (MTR_PSS_SHIFT + 10);
		st->pss_kb[MTR_PSS_USS] = st->uss >> 10;
		st->pss_window_ns = ktime_get_ns() - st->pass_start_ns;
		st->pss_ready = true;
		mtr_pss_scans_completed++;
		st->next_pss_ns = now + pss_ns;
	}
	if (done && (st->kinds & MTR_PASS_IDLE))
		mtr_idle_done(st);
	if (done && !(st->kinds & MTR_PASS_WSS)) {
		/* WSS was off: its next pass primes again */
		st->scanning = false;
		st->prev_start_ns = 0;
	} else if (done) {
		st->scanning = false;
		if (st->prev_start_ns) {
			st->result_kb = st->young_pages << (PAGE_SHIFT - 10);
			st->result_window_ns =
				st->pass_start_ns - st->prev_start_ns;
			st->result_ready = true;
			mtr_wss_scans_completed++;
		}
		st->prev_start_ns = st->pass_start_ns;
		/*
		 * The next pass starts one interval after this one ended (after
		 * it started, when it fit in one tick), so that every page's
		 * window is at least an interval even when this pass was
		 * stretched by the budget or by a contended mmap_lock.
		 */
		st->next_pass_ns = now + wss_ns;
	}
	return ret;
}

/**
 * mtr_wss_tick() - the scanning part of one tick.
 * @tick: the tick number; states of processes not sampled in the previous
 *        tick are freed.
 *
 * Visits the known processes round robin, from where the previous tick's
 * budget ran out; then gives up to MTR_WSS_RETRY of those that stopped at a
 * contended mmap_lock a second try, with what is left of the budget (by
 * then the holder that made them stop has often let go); then, if bits
 * were cleared, flushes the TLB of the CPUs that run one of the mms they
 * were cleared in (one IPI round).
 * With wss_interval_ms and pss_interval_ms both 0, frees every state.
 * Context: the sampler's work item, before its sampling; may sleep.
 */
void mtr_wss_tick(u64 tick)
{
	unsigned int interval_ms = READ_ONCE(mtr_wss_interval_ms);
	u64 pss_ns = (u64)READ_ONCE(mtr_pss_interval_ms) * NSEC_PER_MSEC;
	u64 idle_ages = READ_ONCE(mtr_idle_ages);
	unsigned long limit = READ_ONCE(mtr_wss_budget_pages), budget = limit;
	unsigned long scanned;
	u64 t0 = ktime_get_ns();
	bool cleared = false, wrapped = false;
	unsigned long tgid = mtr_wss_resume, retry[MTR_WSS_RETRY];
	u64 interval_ns = (u64)interval_ms * NSEC_PER_MSEC;
	unsigned int i, nr_retry = 0;
	enum mtr_wss_step_ret ret;
	struct mtr_wss *st;

	if (!interval_ms && !pss_ns) {
		mtr_wss_exit();
		return;
	}
	mtr_wss_tick_flush = READ_ONCE(mtr_wss_tlb_flush) && mtr_arch_tlb_flush;
	mtr_wss_tick_nonleaf = mtr_wss_tick_flush &&
			       READ_ONCE(mtr_wss_nonleaf_young) &&
			       mtr_arch_nonleaf_young();
	for (;;) {
		st = xa_find(&mtr_wss_states, &tgid, ULONG_MAX, XA_PRESENT);
		if (!st) {
			if (wrapped || !mtr_wss_resume)
				break;
			wrapped = true;
			tgid = 0;
			continue;
		}
		if (wrapped && tgid >= mtr_wss_resume)
			break;
		if (!budget) {
			mtr_wss_resume = tgid;
			goto out;
		}
		ret = st->seen_tick + 1 < tick ? MTR_WSS_GONE :
			mtr_wss_step(st, t0, interval_ns, pss_ns, idle_ages,
				     &budget, &cleared);
		if (ret == MTR_WSS_GONE)
			mtr_wss_free(tgid, st);
		else if (ret == MTR_WSS_CONTENDED && nr_retry < MTR_WSS_RETRY)
			retry[nr_retry++] = tgid;
		tgid++;
		cond_resched();
	}
	mtr_wss_resume = 0;
out:
	/* states of the retry list are alive: nothing else frees them */
	for (i = 0; i < nr_retry && budget; i++) {
		st = xa_load(&mtr_wss_states, retry[i]);
		if (!st)
			continue;
		if (mtr_wss_step(st, t0, interval_ns, pss_ns, idle_ages,
				 &budget, &cleared) == MTR_WSS_GONE)
			mtr_wss_free(retry[i], st);
		cond_resched();
	}
	if (cleared && !cpumask_empty(&mtr_wss_flush_mask)) {
		/*
		 * Not waiting for the other CPUs: the tick goes on while they
		 * flush (they do within microseconds on hardware; a window is
		 * hundreds of ms).  mtr_wss_quiesce() waits for them before the
		 * callback's code can go away.
		 */
		mtr_arch_tlb_flush_cpus(&mtr_wss_flush_mask);
		cpumask_clear(&mtr_wss_flush_mask);
		mtr_wss_flushes++;
	}
	scanned = limit - budget;
	WRITE_ONCE(mtr_wss_pages_scanned, mtr_wss_pages_scanned + scanned);
	if (scanned > mtr_wss_tick_max_pages)
		WRITE_ONCE(mtr_wss_tick_max_pages, scanned);
	WRITE_ONCE(mtr_wss_scan_ns, mtr_wss_scan_ns + ktime_get_ns() - t0);
}

/**
 * mtr_wss_note() - register a sampled process and fill in a finished window.
 * @p:    the thread group leader being sampled.
 * @tick: the tick number.
 * @rec:  its record: wss_kb, wss_window_ns and MEMTRACE_SAMPLE_WSS_VALID are
 *        set when a window completed since the last record.
 *
 * Context: the sampler's work item inside rcu_read_lock(); allocates with
 * GFP_NOWAIT (on failure the process is simply not measured yet).
 */
void mtr_wss_note(struct task_struct *p, u64 tick, struct memtrace_sample *rec)
{
	unsigned long tgid = task_tgid_nr(p);
	struct pid *pid = task_tgid(p);
	struct mtr_wss *st;

	if (!READ_ONCE(mtr_wss_interval_ms) && !READ_ONCE(mtr_pss_interval_ms))
		return;
	st = xa_load(&mtr_wss_states, tgid);
	if (st && st->pid != pid) { /* PID number reused */
		mtr_wss_free(tgid, st);
		st = NULL;
	}
	if (!st) {
		st = kzalloc(sizeof(*st), GFP_NOWAIT | __GFP_NOWARN);
		if (!st)
			return;
		st->pid = get_pid(pid);
		if (xa_err(xa_store(&mtr_wss_states, tgid, st,
				    GFP_NOWAIT | __GFP_NOWARN))) {
			put_pid(st->pid);
			kfree(st);
			return;
		}
		WRITE_ONCE(mtr_wss_n, mtr_wss_n + 1);
	}
	st->seen_tick = tick;
	if (st->result_ready) {
		st->result_ready = false;
		rec->flags |= cpu_to_le32(MEMTRACE_SAMPLE_WSS_VALID);
		rec->wss_kb = cpu_to_le64(st->result_kb);
		rec->wss_window_ns = cpu_to_le64(st->result_window_ns);
	}
	if (st->pss_ready) {
		st->pss_ready = false;
		rec->flags |= cpu_to_le32(MEMTRACE_SAMPLE_PSS_VALID);
		rec->pss_kb = cpu_to_le64(st->pss_kb[MTR_PSS_PSS]);
		rec->pss_anon_kb = cpu_to_le64(st->pss_kb[MTR_PSS_ANON]);
		rec->pss_file_kb = cpu_to_le64(st->pss_kb[MTR_PSS_FILE]);
		rec->pss_shmem_kb = cpu_to_le64(st->pss_kb[MTR_PSS_SHMEM]);
		rec->uss_kb = cpu_to_le64(st->pss_kb[MTR_PSS_USS]);
		rec->pss_window_ns = cpu_to_le64(st->pss_window_ns);
	}
	if (st->idle && st->idle->ready) {
		int i;

		st->idle->ready = false;
		rec->flags |= cpu_to_le32(MEMTRACE_SAMPLE_IDLE_VALID);
		for (i = 0; i < MEMTRACE_IDLE_AGES; i++) {
			rec->idle_kb[i] = cpu_to_le64(st->idle->kb[i]);
			rec->idle_s[i] = cpu_to_le32(st->idle->s[i]);
		}
	}
}

/**
 * mtr_wss_show_stats() - print the scanner's lines of the stats file.
 * @m: the seq_file.
 */
void mtr_wss_show_stats(struct seq_file *m)
{
	seq_printf(m, "wss_pages_scanned: %llu\n",
		   READ_ONCE(mtr_wss_pages_scanned));
	seq_printf(m, "wss_tick_max_pages: %llu\n",
		   READ_ONCE(mtr_wss_tick_max_pages));
	seq_printf(m, "wss_scans_completed: %llu\n",
		   READ_ONCE(mtr_wss_scans_completed));
	seq_printf(m, "wss_scans_skipped: %llu\n",
		   READ_ONCE(mtr_wss_scans_skipped));
	seq_printf(m, "wss_scan_ns: %llu\n", READ_ONCE(mtr_wss_scan_ns));
	seq_printf(m, "pss_scans_completed: %llu\n",
		   READ_ONCE(mtr_pss_scans_completed));
	seq_printf(m, "wss_states: %lu\n", READ_ONCE(mtr_wss_n));
	seq_printf(m, "wss_state_bytes: %lu\n",
		   READ_ONCE(mtr_wss_n) * sizeof(struct mtr_wss));
	seq_printf(m, "idle_tables: %lu\n", READ_ONCE(mtr_idle_tables));
	seq_printf(m, "idle_bytes: %lu\n",
		   READ_ONCE(mtr_idle_tables) * PTRS_PER_PTE);
	seq_printf(m, "idle_alloc_failed: %llu\n",
		   READ_ONCE(mtr_idle_alloc_failed));
	seq_printf(m, "wss_tlb_flushes: %llu\n", READ_ONCE(mtr_wss_flushes));
	seq_printf(m, "wss_tlb_flush_available: %d\n", mtr_arch_tlb_flush);
	seq_printf(m, "wss_tables_skipped: %llu\n",
		   READ_ONCE(mtr_wss_tables_skipped));
	seq_printf(m, "wss_tables_cleared: %llu\n",
		   READ_ONCE(mtr_wss_tables_cleared));
	seq_printf(m, "wss_nonleaf_young_available: %d\n",
		   mtr_arch_tlb_flush && mtr_arch_nonleaf_young());
}

/**
 * mtr_wss_quiesce() - wait until no TLB-flush IPI of ours is pending.
 *
 * mtr_wss_tick() does not wait for the flushes it sends, so before the
 * module's text goes away: a synchronous call on every CPU, which each CPU
 * runs only after dequeuing every call queued to it before (but may run
 * before an older asynchronous one of the same batch), then an RCU grace
 * period, which waits for that batch to end (it runs with interrupts off).
 * Context: process context, the sampler stopped; sleeps.
 */
void mtr_wss_quiesce(void)
{
	if (!mtr_wss_flushes)
		return;
	on_each_cpu(mtr_wss_nop, NULL, 1);
	synchronize_rcu();
}

/**
 * mtr_wss_exit() - free every process's state.
 *
 * Windows still open are dropped: the next tick starts each process's
 * measurements anew (a priming pass first).
 * Context: the sampler's work item, or the sampler's stop, once no tick
 * runs or can start (mtr_sampler_update()); may sleep.
 */
void mtr_wss_exit(void)
{
	struct mtr_wss *st;
	unsigned long tgid;

	xa_for_each(&mtr_wss_states, tgid, st) {
		mtr_wss_free(tgid, st);
		cond_resched();
	}
	mtr_wss_resume = 0;
}
