// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader - record the memtrace kernel module's per-process memory
 * samples live, as CSV and/or as a raw trace file; decode a raw trace file
 * to the same CSV.  The options: cli.c; the files by job: reader.h; the
 * man page: Documentation/memtrace-reader.rst.
 *
 * CSV columns: ts_ns,cpu,seq,tick,pid,comm,vsz_kb,rss_kb,rss_anon_kb,
 * rss_file_kb,rss_shmem_kb,swap_kb,hwm_kb,minflt,majflt,utime_ns,stime_ns,
 * wss_kb,wss_window_ms,ticks_missed[,time] (see csv.c).
 *
 * Exit status: 0 on success (also when records were lost: the summary
 * says how many), 1 on an error (named on standard error with its fix; a
 * damaged trace file; loss records that disagree with the sequence
 * numbers), 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "reader.h"

volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() returns EINTR and the loop sees the flag. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -1;
	/* A closed pipe is an error return (EPIPE), reported like others. */
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static int decode_main(void)
{
	const char *name = "standard input";
	int fd = STDIN_FILENO, ret;

	if (strcmp(g.input_path, "-")) {
		fd = open(g.input_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			msg("cannot open %s: %s", g.input_path, strerror(errno));
			return 1;
		}
		name = g.input_path;
	}
	if (open_pf_output() || metrics_open()) {
		if (fd != STDIN_FILENO)
			close(fd);
		close_outputs();
		metrics_close();
		return 1;
	}
	/* --top shows the records: a CSV only when -o asks for one */
	if (!g.top || g.out_path) {
		if (open_out(&g.csv, g.out_path)) {
			if (fd != STDIN_FILENO)
				close(fd);
			close_outputs();
			metrics_close();
			return 1;
		}
		g.csv_open = true;
	}
	if (open_sys_output() || open_cg_output()) {
		if (fd != STDIN_FILENO)
			close(fd);
		close_outputs();
		metrics_close();
		return 1;
	}
	mt_sess_init(&g.sess, g.csv_open ? &g.csv : NULL, NULL, g.realtime);
	mt_sess_set_system(&g.sess, g.sys_open ? &g.sys : NULL);
	mt_sess_set_cgroups(&g.sess, g.cg_open ? &g.cg : NULL);
	if ((g.pf && mt_pf_attach(g.pf, &g.sess)) || open_html_output()) {
		if (fd != STDIN_FILENO)
			close(fd);
		close_outputs();
		metrics_close();
		mt_sess_free(&g.sess);
		return 1;
	}
	metrics_attach(&g.sess);	/* < MT_SINKS_MAX sinks: cannot fail */
	mt_status_init(!g.quiet && !g.top);
	/* --top: a replay paced by the trace's time (top.h) */
	if (g.top && top_attach(&g.sess, true))
		ret = 1;
	else
		ret = mt_sess_read_trace(&g.sess, fd, name, CPU_BUF_SIZE, 0);
	if (fd != STDIN_FILENO)
		close(fd);
	if (g.sess.begun && mt_sess_end_sinks(&g.sess))
		ret = 1;
	if (close_outputs())
		ret = 1;
	if (g.sess.begun)	/* not after a bad file header: nothing read */
		mt_sess_summary(&g.sess, g.quiet);
	if (mt_sess_failed(&g.sess))
		ret = 1;
	metrics_close();
	mt_sess_free(&g.sess);
	return ret;
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	if (install_signals()) {
		msg("sigaction: %s", strerror(errno));
		return 1;
	}
	return g.input_path ? decode_main() : live_main();
}
