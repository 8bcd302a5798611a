/* SPDX-License-Identifier: GPL-2.0 */
/*
 * html.h - the HTML report (memtrace-reader --html FILE): a session sink
 * (session.h) that keeps, per process, per cgroup and for the machine, only
 * the figures it charts, as columns (time in seconds as double, memory in
 * kB as uint32, as double once a figure reaches 4 TiB, rates as float),
 * and at the session's end writes one HTML file that opens offline: the
 * page (report/template.html, report.js, report.css), uPlot and its
 * licence, embedded at build time
 * (scripts/report-assets -> build/report_assets.c), and the data as JSON
 * in a <script type="application/json" id="mt-data"> block
 * (Documentation/memtrace-visualize.rst, "HTML report").
 *
 * Values equal the CSV's (csv.c): rss_anon_kb, rss_file_kb, rss_shmem_kb,
 * swap_kb, wss_kb, pss_kb, idle_Ns_kb as they are; fault rates per second
 * and CPU % (utime_ns + stime_ns) from the deltas between a process's
 * consecutive rows.  A series of more than MT_HTML_POINTS_MAX rows is drawn
 * from MT_HTML_POINTS_MAX / 2 buckets of consecutive rows, each giving two
 * points: every column's minimum (at the bucket's first time) and maximum
 * (at its last time), so peaks survive.
 */
#ifndef MEMTRACE_READER_HTML_H
#define MEMTRACE_READER_HTML_H

#include <stddef.h>

#include "csvout.h"
#include "session.h"

/* Points a series keeps in the report at most (even: min/max pairs). */
#define MT_HTML_POINTS_MAX 600

struct mt_html;

/*
 * mt_html_new() - a report to be written to @path ("-": standard output;
 * not copied: it must outlive the report) at the sink's end.  Nothing is
 * written before: at the start only that @path can be replaced is checked
 * (a temporary file is created beside it and removed).  At the end the
 * report goes to a new temporary file beside @path (beside its target when
 * @path is a symlink; an existing file's mode is kept), flushed, fsync'ed
 * and renamed over it, so that any failure (reported by the sink's end;
 * or a session that never ends its sinks) leaves @path as it was and no
 * temporary file; "-" and files that are not regular (a pipe, /dev/null)
 * are written directly.  NULL (reported: out of memory, or @path cannot be
 * created, with the reason).
 */
struct mt_html *mt_html_new(const char *path);

/* The sink to attach with mt_sess_add_sink() (it lives as long as @h). */
struct mt_sink *mt_html_sink(struct mt_html *h);

/* Free @h and everything it collected (NULL: nothing). */
void mt_html_free(struct mt_html *h);

/*
 * The page around the data, made at build time from report/ and uPlot by
 * scripts/report-assets (build/report_assets.c): mt_report_head (up to and
 * including the opening tag of the data block) and mt_report_tail (from its
 * closing tag on), mt_report_head_len / mt_report_tail_len bytes each.
 */
extern const unsigned char mt_report_head[];
extern const unsigned int mt_report_head_len;
extern const unsigned char mt_report_tail[];
extern const unsigned int mt_report_tail_len;

#endif /* MEMTRACE_READER_HTML_H */
