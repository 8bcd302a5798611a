/* SPDX-License-Identifier: GPL-2.0 */
/*
 * perfetto.h - memtrace-reader --perfetto FILE: the session's records as a
 * Perfetto trace (a protobuf Trace of TracePackets, the format of
 * ui.perfetto.dev and trace_processor; Documentation/memtrace-visualize.rst),
 * written as the records arrive, live and with -i alike.  perfetto.c says
 * which tracks hold which figures.
 *
 * FILE is written under a temporary name beside it (FILE.XXXXXX),
 * fsync'ed and renamed to FILE only when the whole trace is written, so
 * that a failed start, a write error or a crash leaves no half-written
 * FILE and an existing FILE as it was.  "-" (standard output) and an existing FILE that is not a
 * regular file (a pipe, /dev/null) are written directly.
 */
#ifndef MEMTRACE_READER_PERFETTO_H
#define MEMTRACE_READER_PERFETTO_H

#include "session.h"

struct mt_pf;

/*
 * mt_pf_open() - start the Perfetto output for @path ("-": standard
 * output): its temporary file is created (nothing is written yet).
 * Returns the output, or NULL when it cannot be created or memory runs
 * out (reported, naming @path).  @path must outlive the output.
 */
struct mt_pf *mt_pf_open(const char *path);

/*
 * mt_pf_attach() - make @pf a sink of @s (before mt_sess_begin()): its
 * packets are written from the session's begin, record, loss and end
 * callbacks; a write error is reported once, stops the output and makes
 * mt_sess_failed(@s) true.  0, or -1 (reported) when @s has no room for
 * another sink.
 */
int mt_pf_attach(struct mt_pf *pf, struct mt_sess *s);

/*
 * mt_pf_close() - finish @pf and free it (NULL: nothing to do).  When the
 * session's end callback wrote the whole trace, the temporary file becomes
 * @path; otherwise (a failed start, a write error) it is removed.  0, or
 * -1 when closing or renaming failed (reported).
 */
int mt_pf_close(struct mt_pf *pf);

#endif /* MEMTRACE_READER_PERFETTO_H */
