// SPDX-License-Identifier: GPL-2.0
/*
 * perfetto.c - memtrace-reader --perfetto FILE (perfetto.h): a session sink
 * that writes each record as Perfetto TracePackets (reader/
 * perfetto_trace.proto, packed by protobuf-c) while the records arrive;
 * nothing of the trace is kept in memory but the set of tracks already
 * described and each process's last name.
 *
 * The trace, one packet sequence (trusted_packet_sequence_id PF_SEQ_ID,
 * SEQ_INCREMENTAL_STATE_CLEARED on its first packet; no interning):
 *  - a process track per pid (TrackDescriptor with a ProcessDescriptor:
 *    pid, process_name = the sample's comm), described at the pid's first
 *    sample and again when its comm changes (an exec);
 *  - under it, one counter track per figure (TrackDescriptor with a
 *    CounterDescriptor and its unit), described at its first value; each
 *    sample gives each of its valid figures as a TYPE_COUNTER TrackEvent
 *    at the sample's ts_ns (the packet's timestamp, with no clock id: the
 *    records' CLOCK_MONOTONIC ns stand as Perfetto's default trace clock,
 *    with no clock snapshot to convert them).  Names and units, with the CSV column
 *    each equals (sizes in bytes: the CSV's kB * 1024):
 *      mem.virt            vsz_kb           bytes
 *      mem.rss             rss_kb           bytes
 *      mem.rss.anon        rss_anon_kb      bytes
 *      mem.rss.file        rss_file_kb      bytes
 *      mem.rss.shmem       rss_shmem_kb     bytes
 *      mem.swap            swap_kb          bytes
 *      mem.rss.watermark   hwm_kb           bytes
 *      minflt, majflt      minflt, majflt   count (since the process began)
 *      cpu.utime           utime_ns         ns (since the process began)
 *      cpu.stime           stime_ns         ns
 *      mem.wss             wss_kb           bytes (when the CSV's is set)
 *      delay.thrashing     thrashing_delay_ns  ns (the four delays when
 *      delay.swapin        swapin_delay_ns      delay accounting was on)
 *      delay.reclaim       reclaim_delay_ns
 *      delay.compact       compact_delay_ns
 *      mem.pss             pss_kb           bytes (the six PSS figures
 *      mem.pss.anon        pss_anon_kb       when a PSS sum completed)
 *      mem.pss.file        pss_file_kb
 *      mem.pss.shmem       pss_shmem_kb
 *      mem.uss             uss_kb
 *      mem.swap.pss        swap_pss_kb
 *      mem.idle.Ts         idle_Ts_kb       bytes (per --idle-ages
 *                                           threshold T the record has)
 *    The names of Perfetto's own process memory counters (mem.virt ..
 *    mem.rss.watermark) are theirs, so its UI and metrics treat them alike.
 *  - the system records' figures (the --system CSV) on global counter
 *    tracks under the track "memtrace system": "system." and the column
 *    name without its unit suffix (system.memavailable), in bytes for _kb
 *    columns, in ns for _ns and _us columns (PSI: us * 1000), else counts;
 *    and system.ticks_missed; a figure that could not be read is left out;
 *  - the cgroup records' figures (the --cgroups CSV) likewise, under a
 *    global track per cgroup named "cgroup PATH" (one per cgroup id: a
 *    cgroup made again at the same path is another track of that name):
 *    "cgroup." and the column name without its unit suffix
 *    (cgroup.memory_current in bytes, cgroup.psi_memory_some in ns,
 *    cgroup.oom_kill a count);
 *  - the global track "memtrace losses": a TYPE_INSTANT event for each run
 *    of lost records the session finds (at the run's first_ts, named "lost
 *    N records", debug annotations cpu, lost, first_seq, first_ts_ns,
 *    last_ts_ns and kind) and for each rise of the samples' ticks_missed
 *    ("missed N ticks", at the record that shows it; annotation
 *    ticks_missed).
 * A value above INT64_MAX once in bytes or ns goes in double_counter_value.
 *
 * The file is the protobuf encoding of a Trace: each packet is the field
 * Trace.packet (1, length-delimited) on its own, which is how Perfetto
 * itself writes traces, so packets are appended as they are made.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "perfetto_trace.pb-c.h"

#include "csvout.h"
#include "msg.h"
#include "perfetto.h"

typedef Perfetto__Protos__TracePacket Packet;
typedef Perfetto__Protos__TrackDescriptor TrackDesc;
typedef Perfetto__Protos__TrackEvent TrackEvent;
typedef Perfetto__Protos__CounterDescriptor__Unit Unit;
typedef Perfetto__Protos__DebugAnnotation Annot;

#define UNIT_BYTES PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_SIZE_BYTES
#define UNIT_NS PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_TIME_NS
#define UNIT_COUNT PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_COUNT

/* The one packet sequence's id (any nonzero number). */
#define PF_SEQ_ID 1
/* Bytes of the output's buffer. */
#define PF_BUF_SIZE (1u << 20)
/* The losses track, the parent of the system tracks, then system figure i
 * (MEMTRACE_SYSTEM_FIGURES of them, then ticks_missed) at PF_UUID_SYS + i. */
#define PF_UUID_LOSSES 1
#define PF_UUID_SYSTEM 2
#define PF_UUID_SYS 0x100
/* A process's tracks: (pid + 1) << PF_PID_SHIFT, | counter index (from 1),
 * | PF_IDLE + T for the idle-age threshold T s. */
#define PF_PID_SHIFT 24
#define PF_IDLE 0x10000
/* A cgroup's tracks: PF_UUID_CG | id << PF_CG_SHIFT for its track, + 1 + i
 * for its figure i (ids of cgroupfs inodes stay far below 2^57). */
#define PF_UUID_CG (1ull << 63)
#define PF_CG_SHIFT 6
_Static_assert(MEMTRACE_CGROUP_FIGURES < (1 << PF_CG_SHIFT) - 1,
	       "a cgroup's figures fit under its track's uuid");

/* The per-process counters (see the top of the file), in index order. */
enum {
	C_VIRT = 1, C_RSS, C_ANON, C_FILE, C_SHMEM, C_SWAP, C_HWM, C_MINFLT,
	C_MAJFLT, C_UTIME, C_STIME, C_WSS, C_THRASH, C_SWAPIN, C_RECLAIM,
	C_COMPACT, C_PSS, C_PSS_ANON, C_PSS_FILE, C_PSS_SHMEM, C_USS,
	C_SWAP_PSS, C_COUNT
};

static const struct {
	const char *name;
	Unit unit;
} proc_ctr[C_COUNT] = {
	[C_VIRT] = { "mem.virt", UNIT_BYTES },
	[C_RSS] = { "mem.rss", UNIT_BYTES },
	[C_ANON] = { "mem.rss.anon", UNIT_BYTES },
	[C_FILE] = { "mem.rss.file", UNIT_BYTES },
	[C_SHMEM] = { "mem.rss.shmem", UNIT_BYTES },
	[C_SWAP] = { "mem.swap", UNIT_BYTES },
	[C_HWM] = { "mem.rss.watermark", UNIT_BYTES },
	[C_MINFLT] = { "minflt", UNIT_COUNT },
	[C_MAJFLT] = { "majflt", UNIT_COUNT },
	[C_UTIME] = { "cpu.utime", UNIT_NS },
	[C_STIME] = { "cpu.stime", UNIT_NS },
	[C_WSS] = { "mem.wss", UNIT_BYTES },
	[C_THRASH] = { "delay.thrashing", UNIT_NS },
	[C_SWAPIN] = { "delay.swapin", UNIT_NS },
	[C_RECLAIM] = { "delay.reclaim", UNIT_NS },
	[C_COMPACT] = { "delay.compact", UNIT_NS },
	[C_PSS] = { "mem.pss", UNIT_BYTES },
	[C_PSS_ANON] = { "mem.pss.anon", UNIT_BYTES },
	[C_PSS_FILE] = { "mem.pss.file", UNIT_BYTES },
	[C_PSS_SHMEM] = { "mem.pss.shmem", UNIT_BYTES },
	[C_USS] = { "mem.uss", UNIT_BYTES },
	[C_SWAP_PSS] = { "mem.swap.pss", UNIT_BYTES },
};

/* A process seen: its pid + 1 (0: a free slot) and the comm last named. */
struct pf_proc {
	uint64_t key;
	uint32_t comm_len;
	char comm[MEMTRACE_COMM_LEN];
};

struct mt_pf {
	const char *path;		/* FILE, for messages */
	char *final;			/* the name the trace gets (FILE, or a
					   symlink's target) */
	char *tmp;			/* written under this name; NULL: FILE
					   itself (or standard output) */
	struct mt_out out;
	bool out_init;
	struct mt_sink sink;
	bool ended;			/* the end callback wrote it all */
	bool first;			/* no packet written yet */
	bool sys_described;		/* the "memtrace system" track */
	struct mt_u64set tracks;	/* uuids of counter tracks described */
	struct pf_proc *procs;		/* open addressing on pid, procs_cap */
	size_t procs_cap, nprocs;
	bool missed_seen;		/* missed_hi: the greatest ticks_missed */
	uint64_t missed_hi;
	unsigned char *pkt;		/* a packet being packed, pkt_cap bytes */
	size_t pkt_cap;
};

/* ---- writing packets ----------------------------------------------------- */

/* A write error (the first: the sink is called no more after it). */
static int pf_write_error(struct mt_pf *pf, int err)
{
	mt_msg("writing %s: %s%s", pf->path, strerror(err),
	       pf->tmp ? " (the Perfetto trace is not kept)" : "");
	return -1;
}

/*
 * Append packet @p as one Trace.packet field: the tag (field 1, wire type
 * 2: 0x0a), the length as a varint, the packed TracePacket.  The first
 * packet carries SEQ_INCREMENTAL_STATE_CLEARED.  0, or -1 (reported).
 */
static int put_packet(struct mt_pf *pf, Packet *p)
{
	unsigned char hdr[1 + 10];
	size_t n, h = 1;
	uint64_t v;

	p->optional_trusted_packet_sequence_id_case =
		PERFETTO__PROTOS__TRACE_PACKET__OPTIONAL_TRUSTED_PACKET_SEQUENCE_ID_TRUSTED_PACKET_SEQUENCE_ID;
	p->trusted_packet_sequence_id = PF_SEQ_ID;
	if (pf->first) {
		p->has_sequence_flags = 1;
		p->sequence_flags =
			PERFETTO__PROTOS__TRACE_PACKET__SEQUENCE_FLAGS__SEQ_INCREMENTAL_STATE_CLEARED;
	}
	n = perfetto__protos__trace_packet__get_packed_size(p);
	if (n > pf->pkt_cap) {
		size_t cap = n < 4096 ? 4096 : n;
		unsigned char *b = realloc(pf->pkt, cap);

		if (!b) {
			mt_msg("out of memory");
			return -1;
		}
		pf->pkt = b;
		pf->pkt_cap = cap;
	}
	perfetto__protos__trace_packet__pack(p, pf->pkt);
	hdr[0] = 0x0a;
	for (v = n; v >= 0x80; v >>= 7)
		hdr[h++] = (unsigned char)(v | 0x80);
	hdr[h++] = (unsigned char)v;
	if (mt_out_write(&pf->out, hdr, h) || mt_out_write(&pf->out, pf->pkt, n))
		return pf_write_error(pf, errno);
	pf->first = false;
	return 0;
}

/* A track descriptor packet: @name (or NULL), @parent (0: none), @unit
 * (UNSPECIFIED: not a counter track), @pid (< 0: not a process track). */
static int put_track(struct mt_pf *pf, uint64_t uuid, uint64_t parent,
		     const char *name, Unit unit, int64_t pid,
		     const char *pname)
{
	Packet p = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	TrackDesc d = PERFETTO__PROTOS__TRACK_DESCRIPTOR__INIT;
	Perfetto__Protos__CounterDescriptor c =
		PERFETTO__PROTOS__COUNTER_DESCRIPTOR__INIT;
	Perfetto__Protos__ProcessDescriptor pd =
		PERFETTO__PROTOS__PROCESS_DESCRIPTOR__INIT;

	d.has_uuid = 1;
	d.uuid = uuid;
	if (parent) {
		d.has_parent_uuid = 1;
		d.parent_uuid = parent;
	}
	if (name) {
		d.static_or_dynamic_name_case =
			PERFETTO__PROTOS__TRACK_DESCRIPTOR__STATIC_OR_DYNAMIC_NAME_NAME;
		d.name = (char *)name;
	}
	if (unit != PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_UNSPECIFIED) {
		c.has_unit = 1;
		c.unit = unit;
		d.counter = &c;
	}
	if (pid >= 0) {
		pd.has_pid = 1;
		pd.pid = (int32_t)pid;
		pd.process_name = (char *)pname;
		d.process = &pd;
	}
	p.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_DESCRIPTOR;
	p.track_descriptor = &d;
	return put_packet(pf, &p);
}

/* Whether @uuid is described already; notes it as described.  -1: out of
 * memory (reported). */
static int described(struct mt_pf *pf, uint64_t uuid)
{
	size_t n = mt_u64set_count(&pf->tracks);

	if (mt_u64set_add(&pf->tracks, uuid)) {
		mt_msg("out of memory");
		return -1;
	}
	return mt_u64set_count(&pf->tracks) == n;
}

/*
 * A counter value at @ts_ns on track @uuid, which is described first
 * (child of @parent, @name, @unit) unless it was: @v * @mult, or, when
 * that is above INT64_MAX, the double @v * @mult (@dv instead when @v is
 * 0 and @dv nonzero: a value that no u64 holds).  0, or -1 (reported).
 */
static int put_counter_d(struct mt_pf *pf, uint64_t ts_ns, uint64_t uuid,
			 uint64_t parent, const char *name, Unit unit,
			 uint64_t v, uint64_t mult, double dv)
{
	Packet p = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	TrackEvent e = PERFETTO__PROTOS__TRACK_EVENT__INIT;
	int d = described(pf, uuid);

	if (d < 0 || (!d && put_track(pf, uuid, parent, name, unit, -1, NULL)))
		return -1;
	e.has_type = 1;
	e.type = PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_COUNTER;
	e.has_track_uuid = 1;
	e.track_uuid = uuid;
	if (dv == 0 && v <= (uint64_t)INT64_MAX / mult) {
		e.counter_value_field_case =
			PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_COUNTER_VALUE;
		e.counter_value = (int64_t)(v * mult);
	} else {
		e.counter_value_field_case =
			PERFETTO__PROTOS__TRACK_EVENT__COUNTER_VALUE_FIELD_DOUBLE_COUNTER_VALUE;
		e.double_counter_value = dv != 0 ? dv : (double)v * (double)mult;
	}
	p.has_timestamp = 1;
	p.timestamp = ts_ns;
	p.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT;
	p.track_event = &e;
	return put_packet(pf, &p);
}

static int put_counter(struct mt_pf *pf, uint64_t ts_ns, uint64_t uuid,
		       uint64_t parent, const char *name, Unit unit,
		       uint64_t v, uint64_t mult)
{
	return put_counter_d(pf, ts_ns, uuid, parent, name, unit, v, mult, 0);
}

/* An instant event named @name on the losses track at @ts_ns, with the
 * @n annotations @a. */
static int put_instant(struct mt_pf *pf, uint64_t ts_ns, const char *name,
		       Annot **a, size_t n)
{
	Packet p = PERFETTO__PROTOS__TRACE_PACKET__INIT;
	TrackEvent e = PERFETTO__PROTOS__TRACK_EVENT__INIT;

	e.has_type = 1;
	e.type = PERFETTO__PROTOS__TRACK_EVENT__TYPE__TYPE_INSTANT;
	e.has_track_uuid = 1;
	e.track_uuid = PF_UUID_LOSSES;
	e.name_field_case = PERFETTO__PROTOS__TRACK_EVENT__NAME_FIELD_NAME;
	e.name = (char *)name;
	e.n_debug_annotations = n;
	e.debug_annotations = a;
	p.has_timestamp = 1;
	p.timestamp = ts_ns;
	p.data_case = PERFETTO__PROTOS__TRACE_PACKET__DATA_TRACK_EVENT;
	p.track_event = &e;
	return put_packet(pf, &p);
}

static void annot_u64(Annot *a, const char *name, uint64_t v)
{
	perfetto__protos__debug_annotation__init(a);
	a->name_field_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME;
	a->name = (char *)name;
	a->value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_UINT_VALUE;
	a->uint_value = v;
}

/* ---- processes ----------------------------------------------------------- */

/*
 * @len bytes of @s as UTF-8 at @dst (room for 3 * @len + 1): a byte that
 * does not start a well-formed sequence becomes U+FFFD (protobuf strings
 * are UTF-8; a comm is any bytes).
 */
static void utf8_clean(char *dst, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = u[i] < 0x80 ? 1 : u[i] >= 0xc2 && u[i] < 0xe0 ? 2 :
			   u[i] >= 0xe0 && u[i] < 0xf0 ? 3 :
			   u[i] >= 0xf0 && u[i] < 0xf5 ? 4 : 0;
		bool ok = n && i + n <= len;

		for (size_t k = 1; ok && k < n; k++)
			ok = (u[i + k] & 0xc0) == 0x80;
		/* no overlong 3/4-byte forms, surrogates or > U+10FFFF */
		if (ok && n == 3)
			ok = !(u[i] == 0xe0 && u[i + 1] < 0xa0) &&
			     !(u[i] == 0xed && u[i + 1] >= 0xa0);
		if (ok && n == 4)
			ok = !(u[i] == 0xf0 && u[i + 1] < 0x90) &&
			     !(u[i] == 0xf4 && u[i + 1] >= 0x90);
		if (!ok) {
			memcpy(dst, "\xef\xbf\xbd", 3);
			dst += 3;
			i++;
			continue;
		}
		memcpy(dst, s + i, n);
		dst += n;
		i += n;
	}
	*dst = '\0';
}

/* The slot of pid key @key (pid + 1) in @tab (@cap slots, a power of 2). */
static struct pf_proc *proc_slot(struct pf_proc *tab, size_t cap, uint64_t key)
{
	size_t i = (size_t)(key * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);

	while (tab[i].key && tab[i].key != key)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/*
 * The process track of @r's pid: described at its first sample, and again
 * with the new name when its comm changed.  Returns its uuid, or 0 (out
 * of memory or a write error, reported).
 */
static uint64_t proc_track(struct mt_pf *pf, const struct mt_record *r)
{
	uint64_t key = (uint64_t)r->tgid + 1, uuid = key << PF_PID_SHIFT;
	uint32_t len = r->comm_len > MEMTRACE_COMM_LEN ? MEMTRACE_COMM_LEN :
							 r->comm_len;
	char name[3 * MEMTRACE_COMM_LEN + 1];
	struct pf_proc *e;

	if (2 * (pf->nprocs + 1) > pf->procs_cap) {
		size_t cap = pf->procs_cap ? 2 * pf->procs_cap : 256;
		struct pf_proc *t = calloc(cap, sizeof(*t));

		if (!t) {
			mt_msg("out of memory");
			return 0;
		}
		for (size_t i = 0; i < pf->procs_cap; i++)
			if (pf->procs[i].key)
				*proc_slot(t, cap, pf->procs[i].key) = pf->procs[i];
		free(pf->procs);
		pf->procs = t;
		pf->procs_cap = cap;
	}
	e = proc_slot(pf->procs, pf->procs_cap, key);
	if (e->key && e->comm_len == len && !memcmp(e->comm, r->comm, len))
		return uuid;
	if (!e->key)
		pf->nprocs++;
	e->key = key;
	e->comm_len = len;
	memcpy(e->comm, r->comm, len);
	utf8_clean(name, r->comm, len);
	if (put_track(pf, uuid, 0, NULL,
		      PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_UNSPECIFIED,
		      (int64_t)(int32_t)r->tgid, name))
		return 0;
	return uuid;
}

/* One process counter @c of the sample at @ts_ns, @v * @mult (or @dv). */
static int proc_ctr_put(struct mt_pf *pf, uint64_t ts, uint64_t proc, int c,
			uint64_t v, uint64_t mult, double dv)
{
	return put_counter_d(pf, ts, proc | (uint64_t)c, proc, proc_ctr[c].name,
			     proc_ctr[c].unit, v, mult, dv);
}

/* The counters of sample @r (the table at the top of the file). */
static int put_sample(struct mt_pf *pf, const struct mt_record *r)
{
	const uint64_t ts = r->hdr.ts_ns, kb = 1024;
	uint64_t proc = proc_track(pf, r), rss;
	int err = 0;

	if (!proc)
		return -1;
#define PUT_D(c, v, m, d) \
	(err = err ? err : proc_ctr_put(pf, ts, proc, (c), (v), (m), (d)))
#define PUT(c, v, m) PUT_D(c, v, m, 0)
	PUT(C_VIRT, r->vsz_kb, kb);
	/* rss_kb, the CSV's sum, may pass 2^64 - 1: then only a double holds it */
	if (__builtin_add_overflow(r->rss_anon_kb, r->rss_file_kb, &rss) ||
	    __builtin_add_overflow(rss, r->rss_shmem_kb, &rss))
		PUT_D(C_RSS, 0, 1, ((double)r->rss_anon_kb + (double)r->rss_file_kb +
				    (double)r->rss_shmem_kb) * 1024);
	else
		PUT(C_RSS, rss, kb);
	PUT(C_ANON, r->rss_anon_kb, kb);
	PUT(C_FILE, r->rss_file_kb, kb);
	PUT(C_SHMEM, r->rss_shmem_kb, kb);
	PUT(C_SWAP, r->swap_kb, kb);
	PUT(C_HWM, r->hwm_kb, kb);
	PUT(C_MINFLT, r->minflt, 1);
	PUT(C_MAJFLT, r->majflt, 1);
	PUT(C_UTIME, r->utime_ns, 1);
	PUT(C_STIME, r->stime_ns, 1);
	if (r->flags & MEMTRACE_SAMPLE_WSS_VALID)
		PUT(C_WSS, r->wss_kb, kb);
	if (r->flags & MEMTRACE_SAMPLE_DELAYS_VALID) {
		PUT(C_THRASH, r->thrashing_delay_ns, 1);
		PUT(C_SWAPIN, r->swapin_delay_ns, 1);
		PUT(C_RECLAIM, r->reclaim_delay_ns, 1);
		if (r->compact_delay_ns != MEMTRACE_UNKNOWN)
			PUT(C_COMPACT, r->compact_delay_ns, 1);
	}
	if (r->flags & MEMTRACE_SAMPLE_PSS_VALID) {
		PUT(C_PSS, r->pss_kb, kb);
		PUT(C_PSS_ANON, r->pss_anon_kb, kb);
		PUT(C_PSS_FILE, r->pss_file_kb, kb);
		PUT(C_PSS_SHMEM, r->pss_shmem_kb, kb);
		PUT(C_USS, r->uss_kb, kb);
		if (r->swap_pss_kb != MEMTRACE_UNKNOWN)
			PUT(C_SWAP_PSS, r->swap_pss_kb, kb);
	}
#undef PUT
#undef PUT_D
	if (r->flags & MEMTRACE_SAMPLE_IDLE_VALID) {
		for (size_t i = 0; i < MEMTRACE_IDLE_AGES && !err; i++) {
			char name[32];

			if (!r->idle_s[i] || r->idle_kb[i] == MEMTRACE_UNKNOWN)
				continue;
			snprintf(name, sizeof(name), "mem.idle.%us",
				 (unsigned int)r->idle_s[i]);
			err = put_counter(pf, ts, proc | (PF_IDLE + r->idle_s[i]),
					  proc, name, UNIT_BYTES, r->idle_kb[i],
					  kb);
		}
	}
	return err;
}

/* ---- system records ------------------------------------------------------- */

/*
 * The track name of CSV column @col ("@prefix." and the column without its
 * unit suffix) at @name (room for 64 bytes), its unit and the factor to it.
 */
static Unit figure_track(const char *prefix, const char *col, char *name,
			 uint64_t *mult)
{
	size_t len = strlen(col);
	const char *suf = len > 3 ? col + len - 3 : "";
	Unit unit = UNIT_COUNT;

	*mult = 1;
	if (!strcmp(suf, "_kb")) {
		unit = UNIT_BYTES;
		*mult = 1024;
	} else if (!strcmp(suf, "_ns")) {
		unit = UNIT_NS;
	} else if (!strcmp(suf, "_us")) {
		unit = UNIT_NS;
		*mult = 1000;
	}
	if (unit != UNIT_COUNT)
		len -= 3;
	snprintf(name, 64, "%s.%.*s", prefix, (int)len, col);
	return unit;
}

/* The figures of system record @r, each on its global counter track. */
static int put_system(struct mt_pf *pf, const struct mt_record *r)
{
	const struct mt_sysinfo *y = &r->sys;
	char name[64];
	uint64_t mult;

	if (!pf->sys_described) {
		if (put_track(pf, PF_UUID_SYSTEM, 0, "memtrace system",
			      PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_UNSPECIFIED,
			      -1, NULL))
			return -1;
		pf->sys_described = true;
	}
	for (size_t i = 0; i < MEMTRACE_SYSTEM_FIGURES; i++) {
		Unit unit;

		if (y->v[i] == MEMTRACE_UNKNOWN)
			continue;
		unit = figure_track("system", mt_system_names[i], name, &mult);
		if (put_counter(pf, r->hdr.ts_ns, PF_UUID_SYS + i, PF_UUID_SYSTEM,
				name, unit, y->v[i], mult))
			return -1;
	}
	return put_counter(pf, r->hdr.ts_ns,
			   PF_UUID_SYS + MEMTRACE_SYSTEM_FIGURES, PF_UUID_SYSTEM,
			   "system.ticks_missed", UNIT_COUNT, y->ticks_missed, 1);
}

/* ---- cgroup records ------------------------------------------------------- */

/* The figures of cgroup record @r, on the counter tracks of its cgroup. */
static int put_cgroup(struct mt_pf *pf, const struct mt_record *r)
{
	const struct mt_cginfo *c = &r->cg;
	uint64_t track = PF_UUID_CG |
			 (c->cgroup_id & (~0ull >> (PF_CG_SHIFT + 1))) << PF_CG_SHIFT;
	char name[64], tname[8 + 4 * MEMTRACE_CGROUP_PATH_MAX + 1];
	int d = described(pf, track);
	uint64_t mult;

	if (d < 0)
		return -1;
	if (!d) {
		memcpy(tname, "cgroup ", 7);
		utf8_clean(tname + 7, c->path,
			   c->path_len > MEMTRACE_CGROUP_PATH_MAX ?
			   MEMTRACE_CGROUP_PATH_MAX : c->path_len);
		if (put_track(pf, track, 0, tname,
			      PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_UNSPECIFIED,
			      -1, NULL))
			return -1;
	}
	for (size_t i = 0; i < MEMTRACE_CGROUP_FIGURES; i++) {
		Unit unit;

		if (c->v[i] == MEMTRACE_UNKNOWN)
			continue;
		unit = figure_track("cgroup", mt_cgroup_names[i], name, &mult);
		if (put_counter(pf, r->hdr.ts_ns, track + 1 + i, track, name,
				unit, c->v[i], mult))
			return -1;
	}
	return 0;
}

/* ---- losses --------------------------------------------------------------- */

/* A sample's ticks_missed above the greatest seen: an instant event. */
static int put_missed(struct mt_pf *pf, const struct mt_record *r)
{
	uint64_t m = r->ticks_missed, rise;
	Annot a, *ap = &a;
	char name[48];

	if (m == MT_TICKS_MISSED_UNKNOWN)
		return 0;
	if (!pf->missed_seen || m <= pf->missed_hi) {
		if (!pf->missed_seen)
			pf->missed_hi = m;
		pf->missed_seen = true;
		return 0;
	}
	rise = m - pf->missed_hi;
	pf->missed_hi = m;
	snprintf(name, sizeof(name), "missed %" PRIu64 " ticks", rise);
	annot_u64(&a, "ticks_missed", rise);
	return put_instant(pf, r->hdr.ts_ns, name, &ap, 1);
}

static const char *const run_kind[] = {
	[MT_RUN_GAP] = "sequence gap",
	[MT_RUN_LOSSREC] = "loss record",
	[MT_RUN_END] = "dropped at the end",
	[MT_RUN_UNREAD] = "unread",
};

static int pf_loss(void *ctx, const struct mt_sess *s, uint32_t cpu,
		   const struct mt_run *run)
{
	struct mt_pf *pf = ctx;
	Annot a[6], *ap[6];
	char name[48];
	uint64_t ts = run->first_ts ? run->first_ts :
		      run->last_ts ? run->last_ts : s->start_mono_ns;

	snprintf(name, sizeof(name), "lost %" PRIu64 " records", run->lost);
	annot_u64(&a[0], "cpu", cpu);
	annot_u64(&a[1], "lost", run->lost);
	annot_u64(&a[2], "first_seq", run->first_seq);
	annot_u64(&a[3], "first_ts_ns", run->first_ts);
	annot_u64(&a[4], "last_ts_ns", run->last_ts);
	perfetto__protos__debug_annotation__init(&a[5]);
	a[5].name_field_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__NAME_FIELD_NAME;
	a[5].name = (char *)"kind";
	a[5].value_case = PERFETTO__PROTOS__DEBUG_ANNOTATION__VALUE_STRING_VALUE;
	a[5].string_value = (char *)(run->kind < sizeof(run_kind) / sizeof(run_kind[0]) &&
				     run_kind[run->kind] ? run_kind[run->kind] : "?");
	for (size_t i = 0; i < 6; i++)
		ap[i] = &a[i];
	return put_instant(pf, ts, name, ap, 6);
}

/* ---- the sink ------------------------------------------------------------- */

static int pf_begin(void *ctx, const struct mt_sess *s)
{
	struct mt_pf *pf = ctx;

	(void)s;
	/* the first packet (SEQ_INCREMENTAL_STATE_CLEARED): the losses track */
	return put_track(pf, PF_UUID_LOSSES, 0, "memtrace losses",
			 PERFETTO__PROTOS__COUNTER_DESCRIPTOR__UNIT__UNIT_UNSPECIFIED,
			 -1, NULL);
}

static int pf_record(void *ctx, const struct mt_sess *s, enum mt_status st,
		     const struct mt_record *rec)
{
	struct mt_pf *pf = ctx;

	(void)s;
	if (st == MT_OK)
		return put_sample(pf, rec) || put_missed(pf, rec) ? -1 : 0;
	if (st == MT_SYSTEM)
		return put_system(pf, rec);
	if (st == MT_CGROUP)
		return put_cgroup(pf, rec);
	return 0;	/* loss records: pf_loss() has their runs */
}

static int pf_end(void *ctx, const struct mt_sess *s)
{
	struct mt_pf *pf = ctx;

	(void)s;
	if (mt_out_flush(&pf->out))
		return pf_write_error(pf, pf->out.err);
	pf->ended = true;
	return 0;
}

/* ---- opening and closing -------------------------------------------------- */

struct mt_pf *mt_pf_open(const char *path)
{
	struct mt_pf *pf = calloc(1, sizeof(*pf));
	int fd = STDOUT_FILENO;
	struct stat st;
	bool exists;

	if (!pf) {
		mt_msg("out of memory");
		return NULL;
	}
	pf->path = path;
	pf->first = true;
	exists = strcmp(path, "-") && !stat(path, &st);
	if (exists && !S_ISREG(st.st_mode)) {
		/* a pipe, a terminal, /dev/null: written as it is */
		fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0)
			goto out_create;
	} else if (strcmp(path, "-")) {
		mode_t mask;

		if (exists && access(path, W_OK))
			goto out_create;
		/* beside the file itself when @path is a symlink to it */
		pf->final = exists ? realpath(path, NULL) : strdup(path);
		if (!pf->final || asprintf(&pf->tmp, "%s.XXXXXX", pf->final) < 0) {
			pf->tmp = NULL;
			mt_msg("out of memory");
			goto out_free;
		}
		fd = mkostemp(pf->tmp, O_CLOEXEC);
		if (fd < 0)
			goto out_create;
		mask = umask(0);
		umask(mask);
		if (fchmod(fd, exists ? st.st_mode & 07777 : 0666 & ~mask)) {
			mt_msg("cannot create %s: %s", path, strerror(errno));
			goto out_unlink;
		}
	}
	if (mt_out_init(&pf->out, fd, path, PF_BUF_SIZE)) {
		mt_msg("out of memory");
		goto out_unlink;
	}
	pf->out_init = true;
	pf->sink = (struct mt_sink){
		.name = "--perfetto", .ctx = pf, .begin = pf_begin,
		.record = pf_record, .loss = pf_loss, .end = pf_end,
	};
	return pf;

out_create:
	mt_msg("cannot create %s: %s", path, strerror(errno));
	goto out_free;
out_unlink:
	if (fd != STDOUT_FILENO)
		close(fd);
	if (pf->tmp)
		unlink(pf->tmp);
out_free:
	free(pf->tmp);
	free(pf->final);
	free(pf);
	return NULL;
}

int mt_pf_attach(struct mt_pf *pf, struct mt_sess *s)
{
	if (mt_sess_add_sink(s, &pf->sink)) {
		mt_msg("--perfetto: too many outputs");
		return -1;
	}
	return 0;
}

int mt_pf_close(struct mt_pf *pf)
{
	int ret = 0;

	if (!pf)
		return 0;
	/* on disk before it replaces the file (a crash leaves the old one) */
	if (pf->tmp && pf->ended && fsync(pf->out.fd)) {
		mt_msg("writing %s: %s (the Perfetto trace is not kept)", pf->path,
		       strerror(errno));
		pf->ended = false;
		ret = -1;
	}
	if (pf->out.fd != STDOUT_FILENO && close(pf->out.fd) && pf->ended) {
		mt_msg("closing %s: %s", pf->path, strerror(errno));
		pf->ended = false;
		ret = -1;
	}
	if (pf->tmp) {
		if (pf->ended && rename(pf->tmp, pf->final)) {
			mt_msg("cannot rename %s to %s: %s", pf->tmp, pf->final,
			       strerror(errno));
			ret = -1;
			pf->ended = false;
		}
		if (!pf->ended)
			unlink(pf->tmp);
	}
	if (pf->out_init)
		mt_out_free(&pf->out);
	mt_u64set_free(&pf->tracks);
	free(pf->procs);
	free(pf->pkt);
	free(pf->tmp);
	free(pf->final);
	free(pf);
	return ret;
}
