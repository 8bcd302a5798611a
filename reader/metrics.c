// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader: the Prometheus output (--openmetrics FILE, --listen
 * ADDR:PORT); see metrics.h.  The text follows the Prometheus text
 * exposition format 0.0.4: a HELP and a TYPE line before each family's
 * samples, no timestamps (node_exporter's textfile collector refuses them),
 * label values with backslash, double quote and newline escaped, and any
 * byte that is not part of valid UTF-8 replaced by '?'.
 *
 * Units follow Prometheus' conventions: the records' kB become bytes
 * (* 1024), ns and µs become seconds (written exactly, as S.NNNNNNNNN and
 * S.NNNNNN), counts since boot or since the process started are counters
 * named _total.  Figures a record marks unknown (MEMTRACE_UNKNOWN) are left
 * out.  Families (labels in braces):
 *
 *  per process, the top --openmetrics-top by RSS, labels
 *  {pid, comm, cgroup} (cgroup: the path of the process's cgroup_id as the
 *  cgroup records (--cgroups) give it, else empty):
 *   memtrace_process_resident_bytes{type=anon|file|shmem}   rss_*_kb
 *   memtrace_process_swap_bytes                              swap_kb
 *   memtrace_process_virtual_bytes                           vsz_kb
 *   memtrace_process_resident_peak_bytes                     hwm_kb
 *   memtrace_process_wss_bytes  wss_kb of the latest completed WSS window
 *                               (processes without one are left out)
 *   memtrace_process_minor_faults_total                      minflt
 *   memtrace_process_major_faults_total                      majflt
 *   memtrace_process_cpu_seconds_total{mode=user|system}     utime/stime_ns
 *  per cgroup of the cgroup records, label {cgroup} (its path; of two
 *  cgroups with one path, the one seen last):
 *   memtrace_cgroup_memory_current_bytes, memtrace_cgroup_swap_current_bytes,
 *   memtrace_cgroup_memory_bytes{type=anon|file|shmem},
 *   memtrace_cgroup_workingset_refaults_total{type=anon|file},
 *   memtrace_cgroup_memory_events_total{event=high|max|oom_kill},
 *   memtrace_cgroup_pressure_{some,full}_seconds_total
 *  the system, from the latest system record: sys_fams[] below.
 *  the reader: memtrace_records_lost_total, memtrace_ticks_missed_total
 *  (this session's), memtrace_last_tick, memtrace_last_tick_timestamp_seconds
 *  (wall clock of the latest record of the last tick), memtrace_processes
 *  (processes known before the top-N cut).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"
#include "reader.h"
#include "tmpfile.h"
#include "utf8.h"

/* One process's latest sample (key 0: a free slot of the table). */
struct mproc {
	uint64_t key;			/* tgid + 1 */
	uint64_t tick;
	char comm[MEMTRACE_COMM_LEN];
	uint32_t comm_len;
	bool wss_valid;			/* a WSS window completed once */
	uint64_t vsz_kb, anon_kb, file_kb, shmem_kb, swap_kb, hwm_kb;
	uint64_t minflt, majflt, utime_ns, stime_ns, wss_kb, cgroup_id;
};

/* One cgroup's latest cgroup record. */
struct mcg {
	uint64_t id, tick;
	uint64_t v[MEMTRACE_CGROUP_FIGURES];
	char *path;
	size_t path_len;
	bool gone;			/* cg_prune(): to be forgotten */
};

/* A growing text buffer; oom once an allocation failed. */
struct tbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static struct {
	bool on;			/* metrics_open() set something up */
	struct mt_sink sink;
	/* the state */
	struct mproc *tab;		/* cap slots, cap a power of 2 */
	size_t cap, n;
	struct mcg *cg;
	size_t ncg, cgcap;
	bool have_sys;
	struct mt_sysinfo sys;
	bool have_tick;
	uint64_t last_tick, last_tick_ts;
	/* the file */
	bool file_failed;		/* reported; written no more */
	uint64_t next_ns;		/* next build (metrics_poll()) */
	/* the HTTP server */
	int lfd;
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;		/* guards text, text_len */
	char *text;
	size_t text_len;
} m = { .lfd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- text ---------------------------------------------------------------- */

static void tb_grow(struct tbuf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 16384;
	char *p;

	while (cap - b->len < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

__attribute__((format(printf, 2, 3)))
static void tb_printf(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	if (b->cap - b->len < 256)
		tb_grow(b, 256);
	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		tb_grow(b, (size_t)n + 1);
		if (b->oom)
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

static void tb_putc(struct tbuf *b, char c)
{
	if (b->oom)
		return;
	if (b->len == b->cap)
		tb_grow(b, 1);
	if (!b->oom)
		b->p[b->len++] = c;
}

/* The @n bytes at @s as a label value: escaped, invalid UTF-8 as '?'. */
static void tb_label(struct tbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = mt_utf8_len(u + i, n - i);

		if (!l) {
			tb_putc(b, '?');
			i++;
		} else if (u[i] == '\\' || u[i] == '"') {
			tb_putc(b, '\\');
			tb_putc(b, (char)u[i++]);
		} else if (u[i] == '\n') {
			tb_putc(b, '\\');
			tb_putc(b, 'n');
			i++;
		} else {
			while (l--)
				tb_putc(b, (char)u[i++]);
		}
	}
}

/* How a figure becomes a sample value. */
enum unit { U_ONE, U_KB, U_US, U_NS };

/* " VALUE\n" for figure @v in @u. */
static void tb_value(struct tbuf *b, uint64_t v, enum unit u)
{
	switch (u) {
	case U_KB:
		if (v > UINT64_MAX / 1024)	/* beyond any real size */
			tb_printf(b, " %.17g\n", (double)v * 1024.0);
		else
			tb_printf(b, " %" PRIu64 "\n", v * 1024);
		break;
	case U_US:
		tb_printf(b, " %" PRIu64 ".%06" PRIu64 "\n", v / 1000000,
			  v % 1000000);
		break;
	case U_NS:
		tb_printf(b, " %" PRIu64 ".%09" PRIu64 "\n", v / 1000000000,
			  v % 1000000000);
		break;
	default:
		tb_printf(b, " %" PRIu64 "\n", v);
	}
}

static void tb_family(struct tbuf *b, const char *name, const char *type,
		      const char *help)
{
	tb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* ---- per-process state --------------------------------------------------- */

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static struct mproc *tab_find(struct mproc *tab, size_t cap, uint64_t key)
{
	size_t i = slot_of(key, cap);

	while (tab[i].key && tab[i].key != key)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* Whether a process or cgroup last seen at @tick is still known. */
static bool fresh(uint64_t tick)
{
	return tick + MT_METRICS_KEEP_TICKS > m.last_tick;
}

/*
 * Rebuild the table with room for twice the fresh processes (at least
 * @cap_min slots): forgets those not seen in MT_METRICS_KEEP_TICKS ticks.
 * 0, or -1 (out of memory; the old table is kept).
 */
static int tab_rebuild(size_t cap_min)
{
	size_t live = 0, cap = 64;
	struct mproc *t;

	for (size_t i = 0; i < m.cap; i++)
		if (m.tab[i].key && fresh(m.tab[i].tick))
			live++;
	while (cap < cap_min || cap < 4 * live)
		cap *= 2;
	t = calloc(cap, sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < m.cap; i++)
		if (m.tab[i].key && fresh(m.tab[i].tick))
			*tab_find(t, cap, m.tab[i].key) = m.tab[i];
	free(m.tab);
	m.tab = t;
	m.cap = cap;
	m.n = live;
	return 0;
}

static void note_tick(uint64_t tick, uint64_t ts)
{
	if (!m.have_tick || tick > m.last_tick ||
	    (tick == m.last_tick && ts > m.last_tick_ts)) {
		m.last_tick = tick;
		m.last_tick_ts = ts;
		m.have_tick = true;
	}
}

static int rec_sample(const struct mt_record *r)
{
	struct mproc *p;

	if (2 * (m.n + 1) > m.cap && tab_rebuild(2 * m.cap)) {
		msg("out of memory");
		return -1;
	}
	note_tick(r->tick, r->hdr.ts_ns);
	p = tab_find(m.tab, m.cap, (uint64_t)r->tgid + 1);
	if (!p->key) {
		memset(p, 0, sizeof(*p));
		p->key = (uint64_t)r->tgid + 1;
		m.n++;
	} else if (r->tick < p->tick) {
		return 0;		/* an older sample: keep the newer */
	}
	p->tick = r->tick;
	p->comm_len = r->comm_len > MEMTRACE_COMM_LEN ? MEMTRACE_COMM_LEN :
							r->comm_len;
	memcpy(p->comm, r->comm, MEMTRACE_COMM_LEN);
	p->vsz_kb = r->vsz_kb;
	p->anon_kb = r->rss_anon_kb;
	p->file_kb = r->rss_file_kb;
	p->shmem_kb = r->rss_shmem_kb;
	p->swap_kb = r->swap_kb;
	p->hwm_kb = r->hwm_kb;
	p->minflt = r->minflt;
	p->majflt = r->majflt;
	p->utime_ns = r->utime_ns;
	p->stime_ns = r->stime_ns;
	p->cgroup_id = r->cgroup_id;
	if (r->flags & MEMTRACE_SAMPLE_WSS_VALID) {
		p->wss_valid = true;
		p->wss_kb = r->wss_kb;
	}
	return 0;
}

static struct mcg *cg_find(uint64_t id)
{
	for (size_t i = 0; i < m.ncg; i++)
		if (m.cg[i].id == id)
			return &m.cg[i];
	return NULL;
}

static int rec_cgroup(const struct mt_record *r)
{
	const struct mt_cginfo *c = &r->cg;
	size_t plen = c->path_len > MEMTRACE_CGROUP_PATH_MAX ?
		      MEMTRACE_CGROUP_PATH_MAX : c->path_len;
	struct mcg *e = cg_find(c->cgroup_id);
	char *path;

	note_tick(c->tick, r->hdr.ts_ns);
	if (e && c->tick < e->tick)
		return 0;
	if (!e) {
		if (m.ncg == m.cgcap) {
			size_t cap = m.cgcap ? 2 * m.cgcap : 16;
			struct mcg *n = realloc(m.cg, cap * sizeof(*n));

			if (!n)
				goto out_oom;
			m.cg = n;
			m.cgcap = cap;
		}
		e = &m.cg[m.ncg++];
		memset(e, 0, sizeof(*e));
		e->id = c->cgroup_id;
	}
	if (!e->path || e->path_len != plen || memcmp(e->path, c->path, plen)) {
		path = malloc(plen + 1);
		if (!path)
			goto out_oom;
		memcpy(path, c->path, plen);
		path[plen] = '\0';
		free(e->path);
		e->path = path;
		e->path_len = plen;
	}
	e->tick = c->tick;
	memcpy(e->v, c->v, sizeof(e->v));
	return 0;

out_oom:
	msg("out of memory");
	return -1;
}

/*
 * Whether another cgroup has @i's path and was seen later (at a newer tick,
 * or at the same tick after it): a cgroup removed and made again at the
 * same path, whose series would have the same labels as the new one's.
 */
static bool cg_superseded(size_t i)
{
	const struct mcg *c = &m.cg[i];

	for (size_t k = 0; k < m.ncg; k++) {
		const struct mcg *o = &m.cg[k];

		if (k != i && fresh(o->tick) && o->path_len == c->path_len &&
		    !memcmp(o->path, c->path, c->path_len) &&
		    (o->tick > c->tick || (o->tick == c->tick && k > i)))
			return true;
	}
	return false;
}

/*
 * Forget the cgroups not seen in MT_METRICS_KEEP_TICKS ticks, and those
 * whose path a cgroup seen later has (marked first, then removed).
 */
static void cg_prune(void)
{
	size_t j = 0;

	for (size_t i = 0; i < m.ncg; i++)
		m.cg[i].gone = !fresh(m.cg[i].tick) || cg_superseded(i);
	for (size_t i = 0; i < m.ncg; i++) {
		if (!m.cg[i].gone)
			m.cg[j++] = m.cg[i];
		else
			free(m.cg[i].path);
	}
	m.ncg = j;
}

/* ---- building the text --------------------------------------------------- */

/* anon + file + shmem, as the CSV's rss_kb (UINT64_MAX if beyond). */
static uint64_t rss_kb(const struct mproc *p)
{
	uint64_t r;

	if (__builtin_add_overflow(p->anon_kb, p->file_kb, &r) ||
	    __builtin_add_overflow(r, p->shmem_kb, &r))
		return UINT64_MAX;
	return r;
}

/* Greater RSS first, then lower pid. */
static int by_rss(const void *a, const void *b)
{
	const struct mproc *x = *(const struct mproc *const *)a;
	const struct mproc *y = *(const struct mproc *const *)b;
	uint64_t rx = rss_kb(x), ry = rss_kb(y);

	if (rx != ry)
		return rx > ry ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* What a process family writes: its figure(s) of @p. */
struct pfam {
	const char *name, *type, *help;
	enum unit unit;
	const char *label;		/* a second label, or NULL */
	const char *lv[3];		/* its values, one series each */
	size_t off[3];			/* offsetof(struct mproc, figure) */
	bool wss;			/* only processes with wss_valid */
};

#define PF(f) offsetof(struct mproc, f)

static const struct pfam proc_fams[] = {
	{ "memtrace_process_resident_bytes", "gauge",
	  "Resident memory (RSS) of the process by type: anonymous, file-backed, shared memory (rss_*_kb * 1024).",
	  U_KB, "type", { "anon", "file", "shmem" },
	  { PF(anon_kb), PF(file_kb), PF(shmem_kb) }, false },
	{ "memtrace_process_swap_bytes", "gauge",
	  "Swapped-out anonymous memory of the process (swap_kb * 1024).",
	  U_KB, NULL, { NULL }, { PF(swap_kb) }, false },
	{ "memtrace_process_virtual_bytes", "gauge",
	  "Virtual memory size of the process (vsz_kb * 1024).",
	  U_KB, NULL, { NULL }, { PF(vsz_kb) }, false },
	{ "memtrace_process_resident_peak_bytes", "gauge",
	  "Peak resident memory of the process, VmHWM (hwm_kb * 1024).",
	  U_KB, NULL, { NULL }, { PF(hwm_kb) }, false },
	{ "memtrace_process_wss_bytes", "gauge",
	  "Working-set size of the process over its latest completed WSS window (wss_kb * 1024; memtrace-reader -W).",
	  U_KB, NULL, { NULL }, { PF(wss_kb) }, true },
	{ "memtrace_process_minor_faults_total", "counter",
	  "Minor page faults of the process since it started (minflt).",
	  U_ONE, NULL, { NULL }, { PF(minflt) }, false },
	{ "memtrace_process_major_faults_total", "counter",
	  "Major page faults of the process since it started (majflt).",
	  U_ONE, NULL, { NULL }, { PF(majflt) }, false },
	{ "memtrace_process_cpu_seconds_total", "counter",
	  "CPU time of the process's threads by mode (utime_ns, stime_ns / 1e9).",
	  U_NS, "mode", { "user", "system" },
	  { PF(utime_ns), PF(stime_ns) }, false },
};

/* What a system or cgroup family writes: figures of v[] by index. */
struct vfam {
	const char *name, *type, *help;
	enum unit unit;
	const char *label;		/* a label, or NULL */
	struct { int idx; const char *lv; } s[11];
	size_t ns;
};

#define SI(f) ((int)MT_SYS_IDX(f))

static const struct vfam sys_fams[] = {
	{ "memtrace_system_memory_total_bytes", "gauge", "MemTotal (memtotal_kb * 1024).",
	  U_KB, NULL, { { SI(memtotal_kb), NULL } }, 1 },
	{ "memtrace_system_memory_free_bytes", "gauge", "MemFree (memfree_kb * 1024).",
	  U_KB, NULL, { { SI(memfree_kb), NULL } }, 1 },
	{ "memtrace_system_memory_available_bytes", "gauge", "MemAvailable (memavailable_kb * 1024).",
	  U_KB, NULL, { { SI(memavailable_kb), NULL } }, 1 },
	{ "memtrace_system_memory_buffers_bytes", "gauge", "Buffers (buffers_kb * 1024).",
	  U_KB, NULL, { { SI(buffers_kb), NULL } }, 1 },
	{ "memtrace_system_memory_cached_bytes", "gauge", "Cached (cached_kb * 1024).",
	  U_KB, NULL, { { SI(cached_kb), NULL } }, 1 },
	{ "memtrace_system_memory_shmem_bytes", "gauge", "Shmem (shmem_kb * 1024).",
	  U_KB, NULL, { { SI(shmem_kb), NULL } }, 1 },
	{ "memtrace_system_memory_anon_bytes", "gauge", "AnonPages (anonpages_kb * 1024).",
	  U_KB, NULL, { { SI(anonpages_kb), NULL } }, 1 },
	{ "memtrace_system_memory_slab_bytes", "gauge", "Slab (slab_kb * 1024).",
	  U_KB, NULL, { { SI(slab_kb), NULL } }, 1 },
	{ "memtrace_system_memory_committed_bytes", "gauge", "Committed_AS (committed_as_kb * 1024).",
	  U_KB, NULL, { { SI(committed_as_kb), NULL } }, 1 },
	{ "memtrace_system_memory_commit_limit_bytes", "gauge", "CommitLimit (commitlimit_kb * 1024).",
	  U_KB, NULL, { { SI(commitlimit_kb), NULL } }, 1 },
	{ "memtrace_system_swap_total_bytes", "gauge", "SwapTotal (swaptotal_kb * 1024).",
	  U_KB, NULL, { { SI(swaptotal_kb), NULL } }, 1 },
	{ "memtrace_system_swap_free_bytes", "gauge", "SwapFree (swapfree_kb * 1024).",
	  U_KB, NULL, { { SI(swapfree_kb), NULL } }, 1 },
	{ "memtrace_system_page_faults_total", "counter", "Page faults since boot (vmstat pgfault).",
	  U_ONE, NULL, { { SI(pgfault), NULL } }, 1 },
	{ "memtrace_system_major_page_faults_total", "counter", "Major page faults since boot (vmstat pgmajfault).",
	  U_ONE, NULL, { { SI(pgmajfault), NULL } }, 1 },
	{ "memtrace_system_swapped_pages_total", "counter", "Pages swapped in and out since boot (vmstat pswpin, pswpout).",
	  U_ONE, "direction", { { SI(pswpin), "in" }, { SI(pswpout), "out" } }, 2 },
	{ "memtrace_system_pages_scanned_total", "counter", "Pages scanned by reclaim since boot (vmstat pgscan_kswapd, pgscan_direct).",
	  U_ONE, "mode", { { SI(pgscan_kswapd), "kswapd" }, { SI(pgscan_direct), "direct" } }, 2 },
	{ "memtrace_system_pages_stolen_total", "counter", "Pages reclaimed since boot (vmstat pgsteal_kswapd, pgsteal_direct).",
	  U_ONE, "mode", { { SI(pgsteal_kswapd), "kswapd" }, { SI(pgsteal_direct), "direct" } }, 2 },
	{ "memtrace_system_allocation_stalls_total", "counter", "Direct reclaim stalls since boot (vmstat allocstall_*).",
	  U_ONE, NULL, { { SI(allocstall), NULL } }, 1 },
	{ "memtrace_system_compaction_stalls_total", "counter", "Direct compaction stalls since boot (vmstat compact_stall).",
	  U_ONE, NULL, { { SI(compact_stall), NULL } }, 1 },
	{ "memtrace_system_oom_kills_total", "counter", "OOM kills since boot (vmstat oom_kill).",
	  U_ONE, NULL, { { SI(oom_kill), NULL } }, 1 },
	{ "memtrace_system_workingset_refaults_total", "counter", "Refaults of recently evicted pages since boot (vmstat workingset_refault_*).",
	  U_ONE, "type", { { SI(workingset_refault_anon), "anon" }, { SI(workingset_refault_file), "file" } }, 2 },
	{ "memtrace_system_workingset_activations_total", "counter", "Refaulted pages activated at once since boot (vmstat workingset_activate_*).",
	  U_ONE, "type", { { SI(workingset_activate_anon), "anon" }, { SI(workingset_activate_file), "file" } }, 2 },
	{ "memtrace_system_thp_fault_allocations_total", "counter", "Transparent huge pages allocated at a fault since boot (vmstat thp_fault_alloc).",
	  U_ONE, NULL, { { SI(thp_fault_alloc), NULL } }, 1 },
	{ "memtrace_system_cpu_seconds_total", "counter", "CPU time summed over all CPUs by mode (/proc/stat cpu line; cpu_*_ns / 1e9).",
	  U_NS, "mode", { { SI(cpu_user_ns), "user" }, { SI(cpu_nice_ns), "nice" },
			  { SI(cpu_system_ns), "system" }, { SI(cpu_idle_ns), "idle" },
			  { SI(cpu_iowait_ns), "iowait" }, { SI(cpu_irq_ns), "irq" },
			  { SI(cpu_softirq_ns), "softirq" }, { SI(cpu_steal_ns), "steal" } }, 8 },
	{ "memtrace_system_pressure_some_seconds_total", "counter", "Time some tasks stalled on the resource since boot (PSI some total; psi_*_some_us / 1e6).",
	  U_US, "resource", { { SI(psi_memory_some_us), "memory" }, { SI(psi_io_some_us), "io" },
			      { SI(psi_cpu_some_us), "cpu" } }, 3 },
	{ "memtrace_system_pressure_full_seconds_total", "counter", "Time all non-idle tasks stalled on the resource since boot (PSI full total; psi_*_full_us / 1e6).",
	  U_US, "resource", { { SI(psi_memory_full_us), "memory" }, { SI(psi_io_full_us), "io" } }, 2 },
	{ "memtrace_system_free_blocks", "gauge", "Free blocks of each order summed over populated zones (/proc/buddyinfo; free_orderN).",
	  U_ONE, "order", { { SI(free_order) + 0, "0" }, { SI(free_order) + 1, "1" },
			    { SI(free_order) + 2, "2" }, { SI(free_order) + 3, "3" },
			    { SI(free_order) + 4, "4" }, { SI(free_order) + 5, "5" },
			    { SI(free_order) + 6, "6" }, { SI(free_order) + 7, "7" },
			    { SI(free_order) + 8, "8" }, { SI(free_order) + 9, "9" },
			    { SI(free_order) + 10, "10" } }, 11 },
};

/* struct memtrace_cgroup's figures, in v[] order (mt_cgroup_names[]). */
enum { CG_CUR, CG_SWAP, CG_ANON, CG_FILE, CG_SHMEM, CG_RF_ANON, CG_RF_FILE,
       CG_HIGH, CG_MAX, CG_OOM, CG_PSI_SOME, CG_PSI_FULL };

static const struct vfam cg_fams[] = {
	{ "memtrace_cgroup_memory_current_bytes", "gauge", "memory.current of the cgroup (memory_current_kb * 1024).",
	  U_KB, NULL, { { CG_CUR, NULL } }, 1 },
	{ "memtrace_cgroup_swap_current_bytes", "gauge", "memory.swap.current of the cgroup (memory_swap_current_kb * 1024).",
	  U_KB, NULL, { { CG_SWAP, NULL } }, 1 },
	{ "memtrace_cgroup_memory_bytes", "gauge", "memory.stat anon, file, shmem of the cgroup (*_kb * 1024).",
	  U_KB, "type", { { CG_ANON, "anon" }, { CG_FILE, "file" }, { CG_SHMEM, "shmem" } }, 3 },
	{ "memtrace_cgroup_workingset_refaults_total", "counter", "memory.stat workingset_refault_anon, _file of the cgroup.",
	  U_ONE, "type", { { CG_RF_ANON, "anon" }, { CG_RF_FILE, "file" } }, 2 },
	{ "memtrace_cgroup_memory_events_total", "counter", "memory.events high, max, oom_kill of the cgroup.",
	  U_ONE, "event", { { CG_HIGH, "high" }, { CG_MAX, "max" }, { CG_OOM, "oom_kill" } }, 3 },
	{ "memtrace_cgroup_pressure_some_seconds_total", "counter", "memory.pressure some total of the cgroup (psi_memory_some_us / 1e6).",
	  U_US, NULL, { { CG_PSI_SOME, NULL } }, 1 },
	{ "memtrace_cgroup_pressure_full_seconds_total", "counter", "memory.pressure full total of the cgroup (psi_memory_full_us / 1e6).",
	  U_US, NULL, { { CG_PSI_FULL, NULL } }, 1 },
};
_Static_assert(MEMTRACE_CGROUP_FIGURES == 12, "cg_fams follows struct memtrace_cgroup");

/* The cgroup path of @id for a process's label ("" when unknown). */
static void tb_cgroup_of(struct tbuf *b, uint64_t id)
{
	const struct mcg *c = id ? cg_find(id) : NULL;

	if (c)
		tb_label(b, c->path, c->path_len);
}

static void put_procs(struct tbuf *b, struct mproc **top, size_t n)
{
	for (size_t f = 0; f < sizeof(proc_fams) / sizeof(proc_fams[0]); f++) {
		const struct pfam *pf = &proc_fams[f];
		bool head = false;

		for (size_t i = 0; i < n; i++) {
			const struct mproc *p = top[i];

			if (pf->wss && !p->wss_valid)
				continue;
			if (!head)
				tb_family(b, pf->name, pf->type, pf->help);
			head = true;
			for (size_t s = 0; s < 3 && (s == 0 || pf->lv[s]); s++) {
				uint64_t v;

				memcpy(&v, (const char *)p + pf->off[s], sizeof(v));
				tb_printf(b, "%s{pid=\"%" PRIu64 "\",comm=\"", pf->name,
					  p->key - 1);
				tb_label(b, p->comm, p->comm_len);
				tb_printf(b, "\",cgroup=\"");
				tb_cgroup_of(b, p->cgroup_id);
				if (pf->label)
					tb_printf(b, "\",%s=\"%s", pf->label, pf->lv[s]);
				tb_printf(b, "\"}");
				tb_value(b, v, pf->unit);
			}
		}
	}
}

/*
 * The series of family @vf from the figures @v: with @cgl (a cgroup path of
 * @cgn bytes) as label cgroup.  @head: whether the family's HELP and TYPE
 * lines were written (they are, before its first known figure).
 */
static void put_vfam(struct tbuf *b, const struct vfam *vf, const uint64_t *v,
		     const char *cgl, size_t cgn, bool *head)
{
	for (size_t s = 0; s < vf->ns; s++) {
		if (v[vf->s[s].idx] == MEMTRACE_UNKNOWN)
			continue;
		if (!*head)
			tb_family(b, vf->name, vf->type, vf->help);
		*head = true;
		tb_printf(b, "%s", vf->name);
		if (cgl || vf->label)
			tb_putc(b, '{');
		if (cgl) {
			tb_printf(b, "cgroup=\"");
			tb_label(b, cgl, cgn);
			tb_putc(b, '"');
		}
		if (vf->label)
			tb_printf(b, "%s%s=\"%s\"", cgl ? "," : "", vf->label,
				  vf->s[s].lv);
		if (cgl || vf->label)
			tb_putc(b, '}');
		tb_value(b, v[vf->s[s].idx], vf->unit);
	}
}

static void put_health(struct tbuf *b, const struct mt_sess *s, size_t known)
{
	int64_t real;

	tb_family(b, "memtrace_records_lost_total", "counter",
		  "Records lost in this session (full buffers; the reader's summary).");
	tb_printf(b, "memtrace_records_lost_total %" PRIu64 "\n", s->lost);
	tb_family(b, "memtrace_ticks_missed_total", "counter",
		  "Sampling ticks that did not run in this session (the samples' ticks_missed rise).");
	tb_printf(b, "memtrace_ticks_missed_total %" PRIu64 "\n",
		  s->missed_seen ? s->missed_hi - s->missed_lo : 0);
	tb_family(b, "memtrace_processes", "gauge",
		  "Processes seen in the last 2 ticks, before the --openmetrics-top cut.");
	tb_printf(b, "memtrace_processes %zu\n", known);
	if (!m.have_tick)
		return;
	tb_family(b, "memtrace_last_tick", "gauge",
		  "The module's tick number of the latest record.");
	tb_printf(b, "memtrace_last_tick %" PRIu64 "\n", m.last_tick);
	/* start_real + (ts - start_mono), as the CSV's time column */
	if (m.last_tick_ts >= s->start_mono_ns)
		real = s->start_real_ns + (int64_t)(m.last_tick_ts - s->start_mono_ns);
	else
		real = s->start_real_ns - (int64_t)(s->start_mono_ns - m.last_tick_ts);
	if (real < 0)
		return;
	tb_family(b, "memtrace_last_tick_timestamp_seconds", "gauge",
		  "Wall-clock time of the latest record of the last tick, seconds since the epoch.");
	tb_printf(b, "memtrace_last_tick_timestamp_seconds");
	tb_value(b, (uint64_t)real, U_NS);
}

/* The text of the state now, in @b.  0, or -1 (out of memory, reported). */
static int build(struct tbuf *b, const struct mt_sess *s)
{
	struct mproc **top = NULL;
	size_t known = 0;

	if (m.cap && tab_rebuild(0))
		goto out_oom;
	cg_prune();
	if (m.n) {
		top = malloc(m.n * sizeof(*top));
		if (!top)
			goto out_oom;
		for (size_t i = 0; i < m.cap; i++)
			if (m.tab[i].key)
				top[known++] = &m.tab[i];
		qsort(top, known, sizeof(*top), by_rss);
	}
	put_procs(b, top, known < g.om_top ? known : g.om_top);
	free(top);
	for (size_t f = 0; f < sizeof(cg_fams) / sizeof(cg_fams[0]); f++) {
		bool head = false;

		for (size_t i = 0; i < m.ncg; i++)
			put_vfam(b, &cg_fams[f], m.cg[i].v, m.cg[i].path,
				 m.cg[i].path_len, &head);
	}
	for (size_t f = 0; m.have_sys && f < sizeof(sys_fams) / sizeof(sys_fams[0]); f++) {
		bool head = false;

		put_vfam(b, &sys_fams[f], m.sys.v, NULL, 0, &head);
	}
	put_health(b, s, known);
	if (b->oom)
		goto out_oom;
	return 0;

out_oom:
	msg("out of memory");
	return -1;
}

/* ---- publishing ---------------------------------------------------------- */

/*
 * Write @b to a new temporary file beside FILE (create_tmp_beside()),
 * fsync, rename over FILE.  0, or -1 (reported; the temporary removed).
 */
static int write_file(const struct tbuf *b)
{
	size_t done = 0;
	char *tmp;
	int fd, err = 0;

	fd = create_tmp_beside(g.om_path, &tmp);
	if (fd < 0) {
		msg("--openmetrics: cannot create a temporary file beside %s: %s",
		    g.om_path, strerror(errno));
		return -1;
	}
	while (done < b->len) {
		ssize_t n = write(fd, b->p + done, b->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	if (!err && fsync(fd))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (err) {
		msg("writing %s: %s", tmp, strerror(err));
		goto out_unlink;
	}
	if (rename(tmp, g.om_path)) {
		msg("renaming %s to %s: %s", tmp, g.om_path, strerror(errno));
		goto out_unlink;
	}
	free(tmp);
	return 0;

out_unlink:
	unlink(tmp);
	free(tmp);
	return -1;
}

/* Hand @b's text to the HTTP server (taking it: @b is emptied). */
static void serve_text(struct tbuf *b)
{
	char *old;

	pthread_mutex_lock(&m.lock);
	old = m.text;
	m.text = b->p;
	m.text_len = b->len;
	pthread_mutex_unlock(&m.lock);
	free(old);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Build the text, then rewrite the file (@file) and serve it.  0, or -1. */
static int publish(const struct mt_sess *s, bool file)
{
	struct tbuf b = { 0 };
	int ret = 0;

	if (build(&b, s)) {
		free(b.p);
		return -1;
	}
	if (file && g.om_path && !m.file_failed && write_file(&b)) {
		m.file_failed = true;
		ret = -1;
	}
	if (m.mhd)
		serve_text(&b);
	free(b.p);
	return ret;
}

/* ---- the sink ------------------------------------------------------------ */

static const struct mt_sess *cur_sess;

static int sink_begin(void *ctx, const struct mt_sess *s)
{
	(void)ctx;
	cur_sess = s;
	m.next_ns = mono_ns() + (uint64_t)(g.om_interval_s * 1e9);
	/* /metrics answers from the start (with the reader's figures) */
	return m.mhd ? publish(s, false) : 0;
}

static int sink_record(void *ctx, const struct mt_sess *s, enum mt_status st,
		       const struct mt_record *rec)
{
	(void)ctx;
	(void)s;
	switch (st) {
	case MT_OK:
		return rec_sample(rec);
	case MT_SYSTEM:
		note_tick(rec->sys.tick, rec->hdr.ts_ns);
		m.sys = rec->sys;
		m.have_sys = true;
		return 0;
	case MT_CGROUP:
		return rec_cgroup(rec);
	default:
		return 0;
	}
}

static int sink_end(void *ctx, const struct mt_sess *s)
{
	(void)ctx;
	if (publish(s, true))
		return -1;
	return m.file_failed ? -1 : 0;
}

void metrics_poll(uint64_t now_ns)
{
	if (!m.on || !cur_sess || m.sink.failed || now_ns < m.next_ns)
		return;
	m.next_ns = now_ns + (uint64_t)(g.om_interval_s * 1e9);
	publish(cur_sess, true);
}

int metrics_attach(struct mt_sess *s)
{
	if (!m.on)
		return 0;
	m.sink = (struct mt_sink){
		.name = g.om_path ? "--openmetrics" : "--listen",
		.begin = sink_begin,
		.record = sink_record,
		.end = sink_end,
	};
	if (mt_sess_add_sink(s, &m.sink)) {
		msg("too many outputs");
		return -1;
	}
	return 0;
}

/* ---- the HTTP server ----------------------------------------------------- */

static enum MHD_Result queue_text(struct MHD_Connection *conn, unsigned int code,
				  const char *text, size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* libmicrohttpd's thread: GET /metrics, 404 elsewhere, 405 for non-GET. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	static const char plain[] = "text/plain; charset=utf-8";
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_size = 0;
		return queue_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD\n", 18, plain);
	}
	if (strcmp(url, "/metrics"))
		return queue_text(conn, MHD_HTTP_NOT_FOUND,
				  "not found: the metrics are on /metrics\n", 39, plain);
	pthread_mutex_lock(&m.lock);
	ret = queue_text(conn, MHD_HTTP_OK, m.text ? m.text : "", m.text_len,
			 "text/plain; version=0.0.4; charset=utf-8");
	pthread_mutex_unlock(&m.lock);
	return ret;
}

int metrics_parse_listen(const char *arg, struct sockaddr_storage *ss,
			 socklen_t *len)
{
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	const char *colon = strrchr(arg, ':');
	unsigned long port;
	char host[INET6_ADDRSTRLEN + 2], *end;
	size_t hl;

	if (!colon)
		return -1;
	hl = (size_t)(colon - arg);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || colon[1] < '0' ||
	    colon[1] > '9' || port < 1 || port > 65535 || hl >= sizeof(host))
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (hl >= 2 && arg[0] == '[' && arg[hl - 1] == ']') {
		memcpy(host, arg + 1, hl - 2);
		host[hl - 2] = '\0';
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*v6);
		return inet_pton(AF_INET6, host, &v6->sin6_addr) == 1 ? 0 : -1;
	}
	memcpy(host, arg, hl);
	host[hl] = '\0';
	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	*len = sizeof(*v4);
	if (!hl) {
		v4->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if (!strcmp(host, "localhost")) {
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return 0;
	}
	return inet_pton(AF_INET, host, &v4->sin_addr) == 1 ? 0 : -1;
}

/* A socket bound to g.listen_addr and listening.  The fd, or -1 (reported). */
static int listen_on(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (metrics_parse_listen(g.listen_addr, &ss, &len)) {	/* cli.c checked */
		msg("invalid --listen '%s'", g.listen_addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		msg("cannot listen on %s: %s", g.listen_addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * The HTTP server on m.lfd, its thread taking none of the reader's signals
 * (SIGINT/TERM/HUP/PIPE, and --top's ncurses SIGTSTP/SIGWINCH handlers:
 * every signal is blocked there, the thread inheriting the mask).
 */
static int start_http(void)
{
	sigset_t block, old;

	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	m.mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
				 on_request, NULL,
				 MHD_OPTION_LISTEN_SOCKET, m.lfd,
				 MHD_OPTION_CONNECTION_LIMIT, 32u,
				 MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				 MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!m.mhd) {
		msg("--listen %s: cannot start the HTTP server (libmicrohttpd)",
		    g.listen_addr);
		return -1;
	}
	return 0;
}

/* ---- setup and teardown -------------------------------------------------- */

int metrics_open(void)
{
	int fd, ret;

	if (!g.om_path && !g.listen_addr)
		return 0;
	m.on = true;
	if (g.om_path) {
		char *tmp;

		/* as the rewrites do: FILE's directory must take a new file */
		fd = create_tmp_beside(g.om_path, &tmp);
		if (fd < 0) {
			msg("--openmetrics %s: cannot create a file in its directory: %s",
			    g.om_path, strerror(errno));
			return -1;
		}
		close(fd);
		unlink(tmp);	/* only the file just created */
		free(tmp);
	}
	if (g.listen_addr) {
		m.lfd = listen_on();
		if (m.lfd < 0)
			return -1;
		ret = start_http();
		/* libmicrohttpd owns the socket now (and closes it) */
		m.lfd = -1;
		return ret;
	}
	return 0;
}

void metrics_close(void)
{
	if (m.mhd)
		MHD_stop_daemon(m.mhd);
	m.mhd = NULL;
	if (m.lfd >= 0)
		close(m.lfd);
	m.lfd = -1;
	free(m.text);
	m.text = NULL;
	free(m.tab);
	m.tab = NULL;
	m.cap = m.n = 0;
	for (size_t i = 0; i < m.ncg; i++)
		free(m.cg[i].path);
	free(m.cg);
	m.cg = NULL;
	m.ncg = m.cgcap = 0;
	cur_sess = NULL;
	m.on = false;
}
