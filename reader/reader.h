/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reader.h - what the files of the memtrace-reader tool share: its limits,
 * the live session's state (one global, g: a command-line tool with one
 * session), and each file's entry points.  The files, by job:
 *   main.c     main(): options, signals, then -i or a live session
 *   cli.c      the options: usage text, parsing, checks between them
 *   control.c  the module's control files: reading, writing, errors and
 *              their fixes; stats; the recording session and its settings
 *   livein.c   the cpuN relay files: discovery, reading, validation into
 *              per-CPU queues
 *   merge.c    the per-CPU queues merged in time order into session.c
 *   output.c   the CSV and trace outputs (-o, -w)
 *   tmpfile.c  create_tmp_beside(): the temporaries of --html, --openmetrics
 *   utf8.c     mt_utf8_len(): UTF-8 validation for --openmetrics, --html
 *   live.c     a live session from start to end, each setup step paired
 *              with its undo
 *   metrics.c  the Prometheus text (--openmetrics FILE, --listen ADDR:PORT)
 *   top.c      --top: the full-screen terminal view (top.h), live and -i
 * The decoding, CSV, trace-file and accounting code they use is the
 * library that -i, the tests and the fuzzer share: decode.c, csv.c,
 * tracefile.c, session.c, msg.c.
 */
#ifndef MEMTRACE_READER_READER_H
#define MEMTRACE_READER_READER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "csvout.h"
#include "decode.h"
#include "metrics.h"
#include "msg.h"
#include "perfetto.h"
#include "session.h"
#include "top.h"
#include "tracefile.h"

#define PROG MT_PROG
#define msg mt_msg

#define DEBUGFS_ROOT "/sys/kernel/debug"
#define DEFAULT_DIR DEBUGFS_ROOT "/memtrace"
#ifndef DEBUGFS_MAGIC
#define DEBUGFS_MAGIC 0x64626720
#endif

/* Longest sleep between read rounds (see Waiting); also without interval_ms. */
#define POLL_MS 100
/* Bytes of read buffer per CPU, and of each output buffer. */
#define CPU_BUF_SIZE (1u << 20)
#define OUT_BUF_SIZE (1u << 20)
/* read() calls per CPU per round, so one busy CPU cannot starve others. */
#define READS_PER_ROUND 16
/* Bad-record messages per CPU before the rest are only counted. */
#define BAD_REPORTS_MAX 10
/* Longest final drain after enable=0 (records should stop at once). */
#define FINAL_DRAIN_MS 5000
/* Longest command name the kernel keeps (TASK_COMM_LEN - 1). */
#define COMM_MAX 15
/* Where cgroup v2 is mounted (--cgroup paths below it lose this prefix). */
#define CGROUP_ROOT "/sys/fs/cgroup"
/* The module's longest cgroup path, NUL included (MTR_CGROUP_PATH_MAX). */
#define CGROUP_PATH_MAX 256
/* How often DIR is scanned for cpuN files of CPUs that came online. */
#define RESCAN_MS 1000

/* A validated record waiting in its CPU's queue: its merge key here, its
 * bytes (raw_len of them) in the CPU's byte FIFO; decoded when emitted. */
struct qitem {
	uint64_t ts_ns, seq;
	uint32_t raw_len;
	uint8_t status;			/* MT_OK, MT_LOSS, MT_SYSTEM or MT_SKIP */
	uint8_t flags;			/* MT_SESS_AFTER_BAD */
};

/* One CPU's relay file, its byte stream and its queue of decoded records. */
struct cpu_in {
	unsigned int cpu;
	int fd;
	char *path;
	struct mt_stream st;
	struct qitem *q;		/* q[qhead..qtail) wait to be merged */
	size_t qhead, qtail, qcap;
	unsigned char *raw;		/* raw[rhead..rtail): their bytes */
	size_t rhead, rtail, rcap;
	unsigned int bad_reported;
	bool after_bad;			/* a bad record since the last sample */
};

/* One CPU's lines of DIR/stats. */
struct cpu_stat {
	unsigned int cpu;
	bool has_seq, has_written, has_dropped;
	uint64_t seq, written, dropped;
};

struct stats {
	bool ok;			/* the stats file was read */
	bool wss_unflushed;		/* "wss_tlb_flush_available: 0" */
	bool wss_nonleaf;		/* "wss_nonleaf_young_available: 1" */
	unsigned long long timer_res_ns; /* "timer_resolution_ns", 0 = none */
	struct cpu_stat *cpu;
	size_t n;
};

struct mt_reader {
	/* options */
	double duration;		/* seconds, 0 = until a signal */
	const char *out_path;		/* -o */
	const char *write_path;		/* -w */
	const char *sys_path;		/* --system */
	const char *cg_path;		/* --cgroups */
	const char *perfetto_path;	/* --perfetto (perfetto.h) */
	const char *html_path;		/* --html (html.h) */
	const char *input_path;		/* -i */
	pid_t *pids;
	size_t npids;
	char **comms;			/* -c */
	size_t ncomms;
	char **cgroups;			/* --cgroup, as the module takes them */
	size_t ncgroups;
	unsigned int interval_ms;	/* 0 = leave as is */
	unsigned int wss_ms;		/* -W; 0 = off */
	unsigned int pss_ms;		/* --pss; 0 = off */
	uint32_t idle_s[MEMTRACE_IDLE_AGES];	/* --idle-ages thresholds, s */
	size_t n_idle;			/* how many; 0 = off */
	const char *dir;
	bool realtime, quiet;
	const char *om_path;		/* --openmetrics (metrics.h) */
	const char *listen_addr;	/* --listen ADDR:PORT */
	double om_interval_s;		/* --openmetrics-interval, seconds */
	unsigned int om_top;		/* --openmetrics-top: processes */
	bool top;			/* --top: the terminal view (top.c) */

	/* state */
	int dirfd;
	int sessfd;			/* DIR/session, open for writing */
	bool is_debugfs;
	struct cpu_in *cpus;
	size_t ncpus, cpus_cap;
	unsigned int wait_ms;		/* sleep between empty rounds */
	struct cpu_in **heap;		/* merge_out()'s heap, ncpus entries */
	struct mt_out csv, raw, sys, cg;
	bool csv_open, raw_open, sys_open, cg_open;
	struct mt_pf *pf;		/* --perfetto's output, or NULL */
	struct mt_html *html_rep;	/* --html's sink, written at the end */
	pid_t *registered;		/* -p PIDs still in DIR/pids */
	size_t nregistered;
	bool none_left;			/* every -p process exited (no -c) */
	uint64_t t0_ns;			/* session start, CLOCK_MONOTONIC */
	uint64_t round;			/* read rounds begun (procfill.c) */
	struct stats stats0, stats1;
	bool module_gone;		/* a read returned EIO */
	bool fatal;			/* stop reading: bad version, I/O error */
	struct mt_sess sess;
	bool sess_init;			/* mt_sess_init() ran */
};

/* The one reader: options, then state (live.c defines it). */
extern struct mt_reader g;

/* main.c: the signal that ends a live session (0: none yet). */
extern volatile sig_atomic_t stop_signal;

/* cli.c */
void parse_args(int argc, char **argv);

/* control.c */
extern const char load_fix[];
const char *fix_for(int err);
char *dir_path(const char *name);
int ctl_write(const char *name, const char *val);
ssize_t ctl_read(const char *name, char *buf, size_t size);
void ctl_error(const char *name, const char *val, int err);
bool stat_seq(const struct cpu_stat *c, uint64_t *seq);
void stats_free(struct stats *st);
void read_stats(struct stats *st);
int check_debugfs(void);
int open_dir(void);
int session_claim(void);
int session_end(void);
int set_intervals(void);
int set_filter(void);
void check_pids(uint64_t now);

/* livein.c */
int scan_cpus(void);
void close_cpus(void);
void discard_stale(void);
long long read_round(void);

/* merge.c */
int merge_out(uint64_t watermark, bool all);

/* output.c */
int open_out(struct mt_out *o, const char *path);
int open_outputs(void);

/*
 * procfill.c: fill the figures the module left MEMTRACE_UNKNOWN in the
 * system record at @rec (@len bytes, little-endian, written in place) from
 * /proc, read once per read round @round.
 */
void procfill_system(unsigned char *rec, uint32_t len, uint64_t round);
/*
 * procfill.c: whether an output of this session shows the system record's
 * figures (--system, -w, --perfetto, --html, --top, --openmetrics,
 * --listen).  Without one, the /proc reads (4 files a round: a fixed cost
 * per tick that dominates the reader's CPU time at a few processes) are
 * skipped.
 */
bool procfill_wanted(void);
/*
 * procfill.c: read @path whole into @buf of @len bytes, NUL-terminated.
 * Returns the bytes read, or -1 with errno set.
 */
ssize_t mt_read_small(const char *path, char *buf, size_t len);
/* procfill.c: say once (unless -q) that delay accounting is off. */
void procfill_note_delayacct(void);
/*
 * procfill.c, the cgroup rows (--cgroups): cgrows_start() learns the
 * cgroup tree (0, or -1 reported); cgrows_note_sample() notes the cgroup of
 * a sample just read (its bytes); cgrows_emit() queues on @c, right after
 * the system record with header @h, one cgroup record per cgroup watched,
 * read from cgroupfs now (0, or -1: out of memory, reported).
 */
struct cpu_in;
int cgrows_start(void);
void cgrows_note_sample(const unsigned char *rec, uint32_t len);
int cgrows_emit(struct cpu_in *c, const struct mt_hdr *h, uint64_t tick);
void cgrows_free(void);
/* procfill.c: at the end, say how many ticks got no cgroup rows and why. */
void cgrows_summary(void);
/* livein.c: queue @n bytes of a record the reader made, with header @h. */
int queue_made(struct cpu_in *c, const struct mt_hdr *h, const void *p,
	       uint32_t n, enum mt_status st);
int open_sys_output(void);
int open_cg_output(void);
int open_pf_output(void);
/* output.c: open --html's file and attach its sink to g.sess (after
 * mt_sess_init(), before mt_sess_begin()).  0, or -1 (reported). */
int open_html_output(void);
int close_outputs(void);
int flush_outputs(void);

/* live.c */
uint64_t mono_ns(void);
int live_main(void);

#endif /* MEMTRACE_READER_READER_H */
