/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - memtrace-reader's Prometheus output: the latest figures of the
 * session in the Prometheus text exposition format (version 0.0.4, what
 * node_exporter's textfile collector reads), written atomically to a file
 * (--openmetrics FILE) and/or served over HTTP on /metrics (--listen
 * ADDR:PORT, libmicrohttpd).  The metric families, their units and labels
 * are listed in metrics.c and in Documentation/memtrace-visualize.rst
 * ("Prometheus").
 *
 * A session sink (session.h) keeps each process's latest sample, the latest
 * system record and each cgroup's latest cgroup record; the text is built
 * from them by the reader's thread, every --openmetrics-interval seconds of
 * a live session (metrics_poll()) and once more at the end (the sink's end
 * callback; with -i only then).  The HTTP server runs on libmicrohttpd's own
 * thread and serves the text last built, swapped in under a mutex.
 *
 * Cardinality: only the top --openmetrics-top processes by RSS (anon + file
 * + shmem) of those seen in the last MT_METRICS_KEEP_TICKS ticks, plus one
 * series set per cgroup of the cgroup records (--cgroups) and the system
 * figures.
 */
#ifndef MEMTRACE_READER_METRICS_H
#define MEMTRACE_READER_METRICS_H

#include <stdint.h>
#include <sys/socket.h>

#include "session.h"

/* --openmetrics-interval's default, seconds. */
#define MT_METRICS_INTERVAL_S 15.0
/* --openmetrics-top's default: processes written. */
#define MT_METRICS_TOP 50
/* A process (a cgroup) not seen in this many ticks is forgotten. */
#define MT_METRICS_KEEP_TICKS 2

/*
 * metrics_open() - before any output is opened: check that a new file can be
 * created in g.om_path's directory (a temporary FILE.XXXXXX, created
 * exclusively and removed again; nothing else is touched), and with g.listen_addr bind and listen on it and start the
 * HTTP server.  Nothing when neither option is given.  0, or -1 (reported
 * with the file or address and the reason; nothing was changed).
 */
int metrics_open(void);

/* metrics_attach() - the sink onto @s, after mt_sess_init(), before
 * mt_sess_begin(), when metrics_open() set anything up.  0, or -1
 * (reported). */
int metrics_attach(struct mt_sess *s);

/*
 * metrics_poll() - once a read round of a live session: when
 * g.om_interval_s has passed since the last build (CLOCK_MONOTONIC @now_ns),
 * build the text, rewrite the file and hand the text to the HTTP server.  A
 * failed write is reported once; the file is not written again and the exit
 * status becomes 1 (the sink's end callback fails).
 */
void metrics_poll(uint64_t now_ns);

/*
 * metrics_parse_listen() - --listen's ADDR:PORT into @ss (@len bytes): ADDR
 * a numeric IPv4 address, "localhost" (127.0.0.1), [a numeric IPv6
 * address], or empty for every IPv4 address; PORT 1..65535.  No name
 * lookup (the reader is linked statically).  0, or -1 when @arg is not so.
 */
int metrics_parse_listen(const char *arg, struct sockaddr_storage *ss,
			 socklen_t *len);

/* metrics_close() - stop the HTTP server and free everything (any state). */
void metrics_close(void);

#endif /* MEMTRACE_READER_METRICS_H */
