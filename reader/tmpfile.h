/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tmpfile.h - the temporary files that outputs replacing a file atomically
 * (--html, --openmetrics) write before renaming them over it.
 */
#ifndef MEMTRACE_READER_TMPFILE_H
#define MEMTRACE_READER_TMPFILE_H

/*
 * Create a new, empty temporary file "@path.XXXXXX" beside @path (mkostemp:
 * O_EXCL, so never through a link planted under its name), mode 0666 minus
 * the umask.  Its fd (close-on-exec) and its name in *@tmp (malloc'd; the
 * caller unlinks and frees it), or -1 with errno set and *@tmp NULL.
 */
int create_tmp_beside(const char *path, char **tmp);

#endif /* MEMTRACE_READER_TMPFILE_H */
