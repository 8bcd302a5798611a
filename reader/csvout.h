/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csvout.h - memtrace-reader's CSV output: the header line, one row per
 * sample, and a big output buffer flushed with write(2).
 *
 * (Named so as not to hide libcsv's <csv.h>.)
 */
#ifndef MEMTRACE_READER_CSVOUT_H
#define MEMTRACE_READER_CSVOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

/* The header line, newline included; the column names are an interface.
 * mt_csv_header_time: the same with the --realtime column "time" last.
 * Without --idle-ages; mt_csv_head() gives the header in use. */
extern const char mt_csv_header[];
extern const char mt_csv_header_time[];

/*
 * mt_csv_set_idle() - --idle-ages: after pss_window_ms, one column
 * idle_<T>s_kb per threshold T of @s (@n <= MEMTRACE_IDLE_AGES, each
 * 1..65535), filled from records whose thresholds include T.  Call before
 * any header or row is written.
 */
void mt_csv_set_idle(const uint32_t *s, size_t n);
/* The header line in use (with the --idle-ages columns), with "time" last
 * when @realtime. */
const char *mt_csv_head(bool realtime);

/*
 * MT_CSV_ROW_MAX - an upper bound of one row's length: 34 u64 fields of at
 * most 20 digits (the last 4: --idle-ages), rss_kb (a sum of three u64, at
 * most 20 digits), a u32, the quoted comm (at most 2 + 2 * 16 bytes), 35
 * commas and a newline (791 bytes), plus a comma and the time
 * (MT_CSV_TIME_LEN).
 */
#define MT_CSV_ROW_MAX 896

/* Format @r as one CSV row (newline included) at @dst, which has room for
 * MT_CSV_ROW_MAX bytes; returns the row's length.  Not NUL-terminated; the
 * bytes after the row (within MT_CSV_ROW_MAX) may be overwritten. */
size_t mt_csv_row(char *dst, const struct mt_record *r);

/*
 * MT_CSV_SYS_ROW_MAX - an upper bound of one system row (--system): ts_ns,
 * tick, MEMTRACE_SYSTEM_FIGURES figures, ticks_missed, cpu and seq, each at
 * most 20 digits and a comma (1,218 bytes), plus the time (MT_CSV_TIME_LEN).
 */
#define MT_CSV_SYS_ROW_MAX 1280

/* Format @r's system record as one CSV row (newline included) at @dst, which
 * has room for MT_CSV_SYS_ROW_MAX bytes; a figure its writer could not read
 * (MEMTRACE_UNKNOWN) is an empty cell.  Returns the row's length. */
size_t mt_csv_sys_row(char *dst, const struct mt_record *r);

/* Format the comm field (quoted per RFC 4180 only when it holds a comma,
 * quote, CR or LF) at @dst, which has room for 2 + 2 * 16 bytes. */
size_t mt_csv_comm(char *dst, const char *comm, size_t len);

/* Decimal digits of @v at @dst (room for 20 bytes); returns their count.
 * Up to 8 bytes may be written even when there are fewer digits. */
size_t mt_u64_dec(char *dst, uint64_t v);

/* "2026-11-22T17:20:00.123456789Z": ISO 8601, UTC, ns. */
#define MT_CSV_TIME_LEN 30
/* @real_ns (ns since the epoch, may be negative) as above at @dst, which
 * has room for MT_CSV_TIME_LEN bytes; returns MT_CSV_TIME_LEN. */
size_t mt_csv_time(char *dst, int64_t real_ns);

/**
 * struct mt_out - buffered output to a file descriptor.
 * @fd:    where rows go; @name: its name in error messages.
 * @err:   0, or the errno of the first failed write (later calls fail
 *         at once, so nothing after a hole is ever written).
 * @bytes: bytes written to @fd so far.
 * @recs:  records handed to it (CSV rows; for a trace file, session.c
 *         counts a block's records when it writes the block), including
 *         those refused after @err.
 * @recs_out: of those, the ones wholly written to @fd: after an error,
 *         @recs - @recs_out records were drained but never written.
 * @reported: mt_out_report() has told @err.
 */
struct mt_out {
	int fd;
	const char *name;
	char *buf;
	size_t len, cap;
	int err;
	unsigned long long bytes;
	unsigned long long recs, recs_out;
	bool reported;
};

/* A @cap-byte buffer (>= 2 * MT_CSV_CG_ROW_MAX) for @fd.  0, or -1/errno. */
int mt_out_init(struct mt_out *o, int fd, const char *name, size_t cap);
void mt_out_free(struct mt_out *o);
/* Append raw bytes / the header line / one row.  0, or -1 with errno
 * (and o->err) set by a failed flush. */
int mt_out_write(struct mt_out *o, const void *p, size_t n);
int mt_out_header(struct mt_out *o);
int mt_out_row(struct mt_out *o, const struct mt_record *r);
/* One row with the time column (empty when !@have_time). */
int mt_out_row_time(struct mt_out *o, const struct mt_record *r,
		    bool have_time, int64_t real_ns);
/*
 * MT_CSV_CG_ROW_MAX - an upper bound of one cgroup row (--cgroups): ts_ns,
 * tick, cgroup_id and MEMTRACE_CGROUP_FIGURES figures (20 digits and a
 * comma each: 315 bytes), the path quoted (2 + 2 * MEMTRACE_CGROUP_PATH_MAX),
 * the time (MT_CSV_TIME_LEN + 1) and a newline.
 */
#define MT_CSV_CG_ROW_MAX (512 + 2 * MEMTRACE_CGROUP_PATH_MAX)

/* The cgroup CSV's header line and one row of it (see mt_out_sys_row()). */
int mt_out_cg_header(struct mt_out *o, bool realtime);
int mt_out_cg_row(struct mt_out *o, const struct mt_record *r, bool realtime,
		  bool have_time, int64_t real_ns);

/* The system CSV's header line (with the "time" column when @realtime),
 * and one row of it (the time cell empty when !@have_time). */
int mt_out_sys_header(struct mt_out *o, bool realtime);
int mt_out_sys_row(struct mt_out *o, const struct mt_record *r, bool realtime,
		   bool have_time, int64_t real_ns);
/* "memtrace-reader: writing NAME: strerror" for o->err (or errno), once. */
void mt_out_report(struct mt_out *o);
/* write(2) everything buffered: retries short writes and EINTR. */
int mt_out_flush(struct mt_out *o);

#endif /* MEMTRACE_READER_CSVOUT_H */
