// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader: the outputs, CSV (-o), raw trace (-w), system CSV
 * (--system), cgroup CSV (--cgroups) and Perfetto trace (--perfetto), opened only
 * once a session has passed every check (a failed start leaves existing
 * files as they were).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "html.h"
#include "reader.h"

/* Open @path ("-": standard output) as @o.  0, or -1 (reported). */
int open_out(struct mt_out *o, const char *path)
{
	int fd = STDOUT_FILENO;
	const char *name = "standard output";

	if (path && strcmp(path, "-")) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0) {
			msg("cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		name = path;
	}
	if (mt_out_init(o, fd, name, OUT_BUF_SIZE)) {
		msg("out of memory");
		if (fd != STDOUT_FILENO)
			close(fd);
		return -1;
	}
	return 0;
}

/* The CSV goes to -o, or to standard output unless -w or --top is given. */
static bool want_csv(void)
{
	return g.out_path || (!g.write_path && !g.top);
}

/* Whether two open outputs are the same regular file (by then, not by name). */
static bool same_open(const struct mt_out *x, const struct mt_out *y)
{
	struct stat a, b;

	return !fstat(x->fd, &a) && !fstat(y->fd, &b) && S_ISREG(a.st_mode) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Open @path (if given) as the extra output @o (--system, --cgroups: @opt)
 * and refuse it when it is the same file as an output opened before it.
 * 0, or -1 (reported).
 */
static int open_extra(struct mt_out *o, bool *open_flag, const char *path,
		      const char *opt)
{
	const struct {
		const struct mt_out *o;
		bool open;
	} before[] = {
		{ &g.csv, g.csv_open }, { &g.raw, g.raw_open }, { &g.sys, g.sys_open },
		{ &g.cg, g.cg_open },
	};

	if (!path)
		return 0;
	if (open_out(o, path))
		return -1;
	*open_flag = true;
	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++) {
		if (before[i].open && before[i].o != o && same_open(before[i].o, o)) {
			msg("%s %s is the same file as another output", opt, path);
			return -1;
		}
	}
	return 0;
}

/* The system CSV (--system), if asked for.  0, or -1 (reported). */
int open_sys_output(void)
{
	return open_extra(&g.sys, &g.sys_open, g.sys_path, "--system");
}

/*
 * The Perfetto trace (--perfetto), if asked for: first, since it only
 * creates a temporary file (perfetto.h), so that its failure leaves the
 * other outputs' files as they were.  0, or -1 (reported).
 */
int open_pf_output(void)
{
	if (!g.perfetto_path)
		return 0;
	g.pf = mt_pf_open(g.perfetto_path);
	return g.pf ? 0 : -1;
}

/* The cgroup CSV (--cgroups), if asked for.  0, or -1 (reported). */
int open_cg_output(void)
{
	return open_extra(&g.cg, &g.cg_open, g.cg_path, "--cgroups");
}

int open_html_output(void)
{
	if (!g.html_path)
		return 0;
	/* nothing written until the end (html.h) */
	g.html_rep = mt_html_new(g.html_path);
	if (!g.html_rep)
		return -1;
	if (mt_sess_add_sink(&g.sess, mt_html_sink(g.html_rep))) {
		msg("--html: too many outputs");
		return -1;
	}
	return 0;
}

int open_outputs(void)
{
	if (open_pf_output())
		return -1;
	if (want_csv()) {
		if (open_out(&g.csv, g.out_path))
			return -1;
		g.csv_open = true;
	}
	if (g.write_path) {
		if (open_out(&g.raw, g.write_path))
			return -1;
		g.raw_open = true;
		if (g.csv_open && same_open(&g.csv, &g.raw)) {
			msg("-w %s and -o %s are the same file", g.write_path,
			    g.out_path);
			return -1;
		}
	}
	return open_sys_output() || open_cg_output() ? -1 : 0;
}

/* Flush and close @o.  0, or -1 (reported). */
static int close_out(struct mt_out *o, bool *open_flag)
{
	int ret = 0;

	if (!*open_flag)
		return 0;
	if (o->err) {
		mt_out_report(o);	/* reported when it happened */
		ret = -1;
	} else if (mt_out_flush(o)) {
		mt_out_report(o);
		ret = -1;
	}
	if (o->fd != STDOUT_FILENO && close(o->fd) && !ret) {
		msg("closing %s: %s", o->name, strerror(errno));
		ret = -1;
	}
	mt_out_free(o);
	*open_flag = false;
	return ret;
}

/* The raw output's last block, then every output closed.  0, or -1. */
int close_outputs(void)
{
	int blk = g.sess_init && g.raw_open && mt_sess_flush(&g.sess) ? -1 : 0;
	int a = close_out(&g.csv, &g.csv_open);
	int b = close_out(&g.raw, &g.raw_open);
	int c = close_out(&g.sys, &g.sys_open);
	int d = close_out(&g.cg, &g.cg_open);
	int e = mt_pf_close(g.pf);

	g.pf = NULL;
	mt_html_free(g.html_rep);
	g.html_rep = NULL;
	return blk || a || b || c || d || e ? -1 : 0;
}

/* Flush every output.  0, or -1 (reported). */
int flush_outputs(void)
{
	if (g.sys_open && mt_out_flush(&g.sys)) {
		mt_out_report(&g.sys);
		return -1;
	}
	if (g.cg_open && mt_out_flush(&g.cg)) {
		mt_out_report(&g.cg);
		return -1;
	}
	if (g.raw_open && mt_sess_flush(&g.sess))
		return -1;
	if (g.csv_open && mt_out_flush(&g.csv)) {
		mt_out_report(&g.csv);
		return -1;
	}
	if (g.raw_open && mt_out_flush(&g.raw)) {
		mt_out_report(&g.raw);
		return -1;
	}
	return 0;
}
