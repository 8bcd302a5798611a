/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session.h - what happens to records once they leave the merge, the same
 * for a live session (memtrace-reader -D/-d/...) and for a trace file
 * (memtrace-reader -i): per-CPU sequence accounting cross-checked with loss
 * records, the CSV rows, the raw copy (-w), the status line and the
 * summary.  Because live mode and -i run the same code on the same records
 * in the same order, -i reproduces live mode's CSV and loss report exactly.
 *
 * Sequence accounting, per CPU:
 *  - the expectation (the next seq) starts at the CPU's cpuN_seq read from
 *    the stats file before the session (the trace file's CPU table), or at
 *    0 for a CPU missing from a complete table, or, when neither is known,
 *    at the first sample seen;
 *  - a record that consumes a seq (a sample; from record format version 2
 *    on also a system record and a record of an unknown type) whose seq is
 *    above the expectation shows a gap: that many records were lost.  The loss records (struct memtrace_loss) seen since
 *    the CPU's previous sample must report exactly those seqs (seqs before
 *    the expectation, lost before the session began, are not counted); any
 *    disagreement is an error line;
 *  - a reader-written loss record (MEMTRACE_LOSS_F_READER) closes the CPU's
 *    session: its hdr.seq is cpuN_seq at the end, so samples dropped after
 *    the last one read count as a gap too, and its lost_total is the CPU's
 *    cpuN_dropped at the end.  When an output had already failed by then
 *    (the session ended on that error, and stopped reading), that gap is
 *    counted as unread, not lost: those records were never taken from the
 *    buffers, they did not overflow them.
 */
#ifndef MEMTRACE_READER_SESSION_H
#define MEMTRACE_READER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csvout.h"
#include "decode.h"
#include "tracefile.h"

/* How long a record may take from its ts_ns to being readable (live). */
#define MT_MERGE_MARGIN_MS 200
/* Loss runs kept per CPU for the summary (all are counted). */
#define MT_RUNS_KEPT 8
/* Distinct CPUs a session accepts (Linux's NR_CPUS is at most 8192). */
#define MT_CPUS_MAX 65536
/* Disagreement lines per CPU before the rest are only counted. */
#define MT_MISMATCH_REPORTS_MAX 10
/* Slots of the cache of per-CPU accounting in front of its hash table. */
#define MT_HOT_CPUS 64

/* Results of the mt_sess_* calls that can fail. */
enum {
	MT_SESS_OK = 0,
	MT_SESS_EOUT = -2,	/* an output failed (already reported) */
	MT_SESS_ENOMEM = -3,	/* out of memory (reported) */
	MT_SESS_ECPUS = -4,	/* more than MT_CPUS_MAX CPUs */
};

/* mt_sess_record() flags. */
#define MT_SESS_AFTER_BAD (1u << 0)	/* bytes were skipped in this CPU's
					   stream since its previous record */

enum mt_run_kind {
	MT_RUN_GAP,		/* a sequence gap no loss record reported */
	MT_RUN_LOSSREC,		/* reported by the module's loss record */
	MT_RUN_END,		/* after the last record: stats at the end */
	MT_RUN_UNREAD,		/* likewise, but the reader stopped reading on
				   an output error: counted in unread */
};

/* One run of lost samples on a CPU: seqs first_seq..first_seq+lost-1. */
struct mt_run {
	uint64_t first_seq, lost, first_ts, last_ts;
	enum mt_run_kind kind;
};

/* One CPU's accounting. */
struct mt_cpu_acct {
	uint32_t cpu;
	bool seq_known;			/* next_seq is set */
	uint64_t next_seq;
	bool ts_known;
	uint64_t prev_ts;		/* ts_ns of the previous sample */
	bool start_dropped_known, end_seen;
	uint64_t start_dropped, end_dropped;
	/* loss records since the previous sample: seqs [p_lo, p_hi) */
	bool pending;
	enum mt_run_kind p_kind;
	uint64_t p_lo, p_hi, p_first_ts, p_last_ts;
	/* counts */
	uint64_t samples, loss_records, lost, gaps, first_ts, last_ts;
	uint64_t backwards, mismatches;
	struct mt_run runs[MT_RUNS_KEPT];
};

/*
 * A consumer of the session's records beside the CSV and raw outputs (the
 * HTML report, the Perfetto trace, the metrics file, the top view): it sees
 * what the CSV sees, in the same order, live and from a trace file alike.
 * Every callback may be NULL.  A callback returns 0, or nonzero once it has
 * failed (it reports the failure itself, once): the session goes on, the
 * sink is called no more, and mt_sess_failed() becomes true.
 *   begin:  after mt_sess_begin() (the start's times are in @s).
 *   record: each sample (MT_OK), system record (MT_SYSTEM), cgroup record
 *           (MT_CGROUP) and loss record (MT_LOSS), after the session has
 *           accounted it; never a record of an unknown type.
 *   loss:   each run of lost records as the session finds it (the runs
 *           of the summary: kind, CPU, seqs first_seq..first_seq+lost-1,
 *           between ts_ns first_ts and last_ts); runs of MT_RUN_END come at
 *           the end of a live session.  Missed ticks are in the samples'
 *           ticks_missed.
 *   end:    once, from mt_sess_end_sinks(), before the summary.
 */
struct mt_sess;
struct mt_sink {
	const char *name;		/* for messages: "--html" */
	void *ctx;
	int (*begin)(void *ctx, const struct mt_sess *s);
	int (*record)(void *ctx, const struct mt_sess *s, enum mt_status st,
		      const struct mt_record *rec);
	int (*loss)(void *ctx, const struct mt_sess *s, uint32_t cpu,
		    const struct mt_run *run);
	int (*end)(void *ctx, const struct mt_sess *s);
	bool failed;			/* the session's: called no more */
};

/* Sinks a session takes (one per kind of output). */
#define MT_SINKS_MAX 8

/* A set of u64 (open addressing; grows by doubling, never per insert). */
struct mt_u64set {
	uint64_t *slot;
	size_t cap, n;
	bool has_zero;
};

struct mt_sess {
	struct mt_out *csv;		/* NULL: no CSV */
	struct mt_out *sys;		/* NULL: no system CSV (--system) */
	struct mt_out *cg;		/* NULL: no cgroup CSV (--cgroups) */
	struct mt_out *raw;		/* NULL: no raw trace (-w) */
	bool realtime;			/* the time column */
	bool begun;

	uint64_t start_mono_ns, start_real_ns;
	uint32_t info_flags;		/* MEMTRACE_FILE_F_* */

	struct mt_cpu_acct **tab;	/* hash on cpu, tab_cap slots */
	size_t tab_cap, ncpus;
	/* the accounting of cpu c, if cached, in hot[c % MT_HOT_CPUS] */
	struct mt_cpu_acct *hot[MT_HOT_CPUS];

	uint64_t emitted;		/* samples (CSV rows) */
	uint64_t systems;		/* system records */
	uint64_t cgroups;		/* cgroup records */
	uint64_t late, last_ts;
	uint64_t skipped, loss_records, reader_records;
	uint64_t lost, mismatches;
	uint64_t unread;		/* MT_RUN_UNREAD records, not in lost */
	bool have_end;			/* a reader-written loss record seen */
	struct mt_u64set tgids, ticks;
	bool tick_added;		/* last_tick is in ticks */
	uint64_t last_tick;
	/*
	 * Missed ticks, from the samples' ticks_missed (a count since the
	 * module loaded): the least and greatest value seen (their difference
	 * is the ticks missed in this session), the rises seen, the ts_ns of
	 * the last record before the first rise and of the record at the last
	 * one.
	 */
	bool missed_seen;
	uint64_t missed_lo, missed_hi, missed_rises;
	uint64_t missed_prev_ts, missed_first_ts, missed_last_ts;

	/* status line */
	uint64_t st_last_ns, st_last_emitted;

	/* mt_sess_add_sink(); not owned */
	struct mt_sink *sinks[MT_SINKS_MAX];
	size_t nsinks;
	bool sink_failed, sinks_ended;
	bool sinks_begun;		/* mt_sess_begin() got to the sinks */

	/* MT_SESS_ECPUS: where (for a trace file) */
	struct mt_terr err;

	/*
	 * The raw output's block being filled (trace file version 2): its
	 * header's room and then blk_len bytes of records, blk_recs of them,
	 * blk_mod of those from the module (not reader end records).
	 */
	unsigned char *blk;
	size_t blk_len;
	uint32_t blk_recs, blk_mod;
};

/* Record bytes a raw output's block is closed at (then written whole). */
#define MT_BLOCK_TARGET (64u * 1024)

/* @csv, @raw: outputs or NULL (not owned). */
void mt_sess_init(struct mt_sess *s, struct mt_out *csv, struct mt_out *raw,
		  bool realtime);
void mt_sess_free(struct mt_sess *s);

/* @sys: the system CSV (--system) or NULL (not owned); before begin. */
void mt_sess_set_system(struct mt_sess *s, struct mt_out *sys);
/* @cg: the cgroup CSV (--cgroups) or NULL (not owned); before begin. */
void mt_sess_set_cgroups(struct mt_sess *s, struct mt_out *cg);

/*
 * mt_sess_add_sink() - attach @k (not owned: it must outlive the session)
 * before mt_sess_begin().  0, or -1 when MT_SINKS_MAX are attached.
 */
int mt_sess_add_sink(struct mt_sess *s, struct mt_sink *k);

/*
 * mt_sess_end_sinks() - every sink's end callback, once (later calls do
 * nothing): after the last record, before the summary; none when
 * mt_sess_begin() failed before the sinks began.  0, or -1 when a sink has
 * failed (reported).
 */
int mt_sess_end_sinks(struct mt_sess *s);

/* The session's start (a live session's, or a trace file's header): sets
 * up the CPUs of @info's table, writes the CSV header line and (with a raw
 * output) the trace file header.  MT_SESS_OK or an MT_SESS_E* value. */
int mt_sess_begin(struct mt_sess *s, const struct mt_tfile_info *info);

/*
 * mt_sess_record() - one record, in the order records are emitted.
 * @st:    MT_OK (sample), MT_LOSS (loss record), MT_SYSTEM (system record),
 *         MT_CGROUP (cgroup record) or MT_SKIP (unknown type).
 * @raw:   the record's bytes, @len of them, copied to the raw output.
 * @flags: MT_SESS_AFTER_BAD.
 */
int mt_sess_record(struct mt_sess *s, enum mt_status st,
		   const struct mt_record *rec, const void *raw, uint32_t len,
		   unsigned int flags);

/*
 * mt_sess_end_cpu() - close CPU @cpu's session (live mode, after the final
 * drain): write and account a reader loss record with hdr.seq = @end_seq
 * (cpuN_seq now), lost = the samples dropped after the last one seen,
 * lost_total = @end_dropped (cpuN_dropped now; when !@has_dropped, the
 * start figure, i.e. nothing dropped), at time @ts_ns.
 */
int mt_sess_end_cpu(struct mt_sess *s, uint32_t cpu, uint64_t end_seq,
		    bool has_dropped, uint64_t end_dropped, uint64_t ts_ns);

/*
 * mt_sess_flush() - write the raw output's block being filled (if any) to
 * it: call before flushing or closing the raw output.  MT_SESS_OK or
 * MT_SESS_EOUT (reported).
 */
int mt_sess_flush(struct mt_sess *s);

/* Visit every CPU the session knows (table or records), ascending. */
int mt_sess_cpus(struct mt_sess *s, uint32_t **cpus, size_t *n);

/* Show the status line (at most once a second unless @force). */
void mt_sess_status(struct mt_sess *s, uint64_t now_ns, bool force);

/* The summary on standard error.  With @quiet only losses and errors. */
void mt_sess_summary(struct mt_sess *s, bool quiet);

/* Errors that make the exit status 1 (disagreements, a failed sink). */
bool mt_sess_failed(const struct mt_sess *s);

/*
 * mt_sess_read_trace() - decode the trace file open at @fd (named @name in
 * messages) into @s, in one linear pass: mt_sess_begin() with its header,
 * then every record.  @cap: read buffer bytes; @chunk: the most bytes per
 * read() (0: no limit).  On damage, an error line "NAME: byte offset N:
 * ..." is printed and what came before it is kept.  Returns 0, or 1 after
 * an error (reported).
 */
int mt_sess_read_trace(struct mt_sess *s, int fd, const char *name,
		       size_t cap, size_t chunk);

/* ---- u64 set (exported for tests) --------------------------------------- */
int mt_u64set_add(struct mt_u64set *set, uint64_t v);
size_t mt_u64set_count(const struct mt_u64set *set);
void mt_u64set_free(struct mt_u64set *set);

#endif /* MEMTRACE_READER_SESSION_H */
