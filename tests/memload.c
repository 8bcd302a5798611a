// SPDX-License-Identifier: GPL-2.0
/*
 * memload - a workload with a known memory footprint, for memtrace's demo
 * and tests.
 *
 * It maps and touches the amounts it is told to, optionally pages part of its
 * anonymous memory out to swap and faults some of it back in, prints one
 * "ready" line with what it did, and then sleeps (a quiescent process whose
 * /proc figures do not move) until SIGINT/SIGTERM or --hold-s elapses.
 *
 *   -a MB | --anon=MB        private anonymous memory, every page written
 *   -s MB | --shmem=MB       shared anonymous memory (RssShmem), written
 *   -f MB | --file=MB        a file of MB mapped MAP_SHARED and read; needs -F
 *   -F P  | --file-path=P    where to create that file (on ramfs for RssFile:
 *                            tmpfs pages count as RssShmem)
 *   -o MB | --pageout=MB     MADV_PAGEOUT that much of the anonymous memory
 *                            (needs swap; the kernel may keep some pages)
 *   -i MB | --swapin=MB      then read that much of the paged-out part back
 *                            (major faults)
 *   -t N  | --threads=N      N threads each write --thread-mb of their own
 *                            memory and exit (their faults stay in the
 *                            process's totals, as /proc/PID/stat shows)
 *   -T MB | --thread-mb=MB   per-thread memory, default 1
 *   -l N  | --live-threads=N N more threads that touch 1 MB and then sleep
 *   -r MS | --ramp-ms=MS     spread the touching of --anon over MS ms
 *   -H S  | --hold-s=S       exit after S seconds instead of waiting for a
 *                            signal
 *   -w MB | --hot=MB         instead of sleeping, keep writing one byte in
 *                            every page of the first MB of --anon (the hot
 *                            set), round after round
 *   -P    | --thp            back --anon with transparent huge pages
 *                            (MADV_HUGEPAGE, 2 MiB aligned) instead of
 *                            forbidding them
 *   -U MS | --unmap-ms=MS    with --hot: after MS ms, munmap --anon and go
 *                            on sleeping
 *   -C MS | --unmap-cold-ms=MS  with --hot: after MS ms, munmap the part of
 *                            --anon past the hot set (the cold part) and go
 *                            on writing the hot set
 *   -m MS | --move-hot-ms=MS with --hot: after MS ms, write the next --hot MB
 *                            of --anon instead (needs --anon >= 2 x --hot):
 *                            the hot set moves into memory cold until then
 *   -S KB | --hot-stride=KB  with --hot: write one page every KB KiB of the
 *                            hot set, not every page (a multiple of the page
 *                            size): hot * 1024 / KB pages are hot, e.g. one
 *                            per page table with 2048
 *   -X    | --leader-exit    after "ready", the main thread (the thread group
 *                            leader) exits with pthread_exit(): a new thread
 *                            does the rest (--hot, --hold-s), so the process
 *                            lives on with a zombie leader, whose mm is gone
 *   -k N  | --fork=N         after the set-up, fork N children that read
 *                            every page of --anon, --shmem and --file and then
 *                            sleep like the parent: the anonymous pages are
 *                            shared copy-on-write (each page mapped N + 1
 *                            times), the shared mappings faulted in by each;
 *                            their pids in the ready line (children=P,P,..);
 *                            they end with the parent (SIGTERM at its exit,
 *                            or at its death by PR_SET_PDEATHSIG)
 *   -h    | --help
 *
 * Output: "ready pid=PID anon_kb=.. shmem_kb=.. file_kb=.. pageout_kb=..
 * swapin_kb=..[ children=PID,PID..]" on stdout once everything is in place.  Exit status 0, 1 on
 * a system error (named on stderr), 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* <linux/mman.h>, 5.14 */
#endif
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define MB (1024UL * 1024UL)

static long page_size;
static unsigned long thread_mb = 1;
static volatile sig_atomic_t stop;
/* --fork's children, ended at the parent's exit */
static pid_t *children;
static unsigned long nchildren;

static void end_children(void)
{
	unsigned long i;

	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGTERM);
	for (i = 0; i < nchildren; i++)
		waitpid(children[i], NULL, 0);
	nchildren = 0;
}

/* 2 MiB-aligned anonymous mapping of @bytes (for THP). */
static void *map_aligned(unsigned long bytes)
{
	const unsigned long align = 2 * 1024 * 1024;
	char *p = mmap(NULL, bytes + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long head;

	if (p == MAP_FAILED) {
		fprintf(stderr, "memload: mmap: %s\n", strerror(errno));
		exit(1);
	}
	head = (align - ((unsigned long)p & (align - 1))) & (align - 1);
	if (head)
		munmap(p, head);
	munmap(p + head + bytes, align - head);
	return p + head;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "memload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void *map_anon(unsigned long bytes, int flags)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
		;
}

/* Write one byte in every page of [p, p + bytes), over ramp_ms in total. */
static void touch(char *p, unsigned long bytes, long ramp_ms)
{
	const unsigned long chunk = 4 * MB;
	unsigned long off, chunks = (bytes + chunk - 1) / chunk;

	for (off = 0; off < bytes; off += page_size) {
		p[off] = (char)(off / page_size) | 1;
		if (ramp_ms && chunks > 1 && (off + page_size) % chunk == 0)
			sleep_ms(ramp_ms / (long)chunks);
	}
}

static unsigned long read_pages(const char *p, unsigned long bytes)
{
	unsigned long off, sum = 0;

	for (off = 0; off < bytes; off += page_size)
		sum += ((const volatile char *)p)[off];
	return sum;
}

static void *short_thread(void *arg)
{
	char *p = map_anon(thread_mb * MB, MAP_PRIVATE);

	(void)arg;
	touch(p, thread_mb * MB, 0);
	munmap(p, thread_mb * MB);
	return NULL;
}

static void *live_thread(void *arg)
{
	char *p = map_anon(MB, MAP_PRIVATE);

	(void)arg;
	touch(p, MB, 0);
	while (!stop)
		pause();
	return NULL;
}

/* what is left to do after "ready": --hot, then --hold-s or a signal */
struct tail_args {
	char *a;
	unsigned long anon, hot, hold, unmap_ms, unmap_cold_ms, move_ms, stride;
};

static void *run_tail(void *arg)
{
	const struct tail_args *t = arg;
	long end = t->hold ? now_ms() + (long)t->hold * 1000 : 0;

	if (t->hot) {
		long unmap_at = t->unmap_ms ? now_ms() + (long)t->unmap_ms : 0;
		long cold_at = t->unmap_cold_ms ? now_ms() + (long)t->unmap_cold_ms : 0;
		long move_at = t->move_ms ? now_ms() + (long)t->move_ms : 0;
		unsigned long off, round = 0, base = 0;

		while (!stop && (!end || now_ms() < end)) {
			for (off = 0; off < t->hot * MB; off += t->stride)
				t->a[base + off] = (char)round;
			round++;
			if (move_at && now_ms() >= move_at) {
				base = t->hot * MB;
				move_at = 0;
			}
			if (cold_at && now_ms() >= cold_at) {
				munmap(t->a + t->hot * MB, (t->anon - t->hot) * MB);
				cold_at = 0;
			}
			if (unmap_at && now_ms() >= unmap_at) {
				munmap(t->a, t->anon * MB);
				break;
			}
		}
	}
	while (!stop && (!end || now_ms() < end)) {
		if (end)
			sleep_ms(end - now_ms() < 100 ? end - now_ms() : 100);
		else
			pause();
	}
	stop = 1;
	end_children();
	exit(0);
}

static void usage(FILE *f)
{
	fputs("Usage: memload [-a MB] [-s MB] [-f MB -F PATH] [-o MB] [-i MB] [-t N] [-T MB]\n"
	      "               [-l N] [-r MS] [-H S]\n"
	      "  -a MB | --anon=MB          private anonymous memory to write\n"
	      "  -s MB | --shmem=MB         shared anonymous memory to write\n"
	      "  -f MB | --file=MB          file memory to map and read (needs -F)\n"
	      "  -F P  | --file-path=P      file to create for -f\n"
	      "  -o MB | --pageout=MB       MADV_PAGEOUT this much anonymous memory\n"
	      "  -i MB | --swapin=MB        read this much of it back (major faults)\n"
	      "  -t N  | --threads=N        threads that touch --thread-mb and exit\n"
	      "  -T MB | --thread-mb=MB     memory per short-lived thread (default 1)\n"
	      "  -l N  | --live-threads=N   threads that touch 1 MB and stay\n"
	      "  -r MS | --ramp-ms=MS       spread writing --anon over MS ms\n"
	      "  -H S  | --hold-s=S         exit after S seconds (default: at SIGTERM)\n"
	      "  -w MB | --hot=MB           keep writing the first MB of --anon (hot set)\n"
	      "  -P    | --thp              back --anon with transparent huge pages\n"
	      "  -U MS | --unmap-ms=MS      with --hot: munmap --anon after MS ms\n"
	      "  -C MS | --unmap-cold-ms=MS with --hot: munmap --anon past the hot set after MS ms\n"
	      "  -m MS | --move-hot-ms=MS   with --hot: write the next --hot MB instead after MS ms\n"
	      "  -S KB | --hot-stride=KB    with --hot: write one page every KB KiB of the hot set\n"
	      "  -X    | --leader-exit      the main thread exits after ready; another goes on\n"
	      "  -k N  | --fork=N           N children that read --anon/--shmem/--file and stay\n"
	      "  -h    | --help             this text\n", f);
}

static unsigned long num_arg(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "memload: not a number: '%s'\n", s);
		usage(stderr);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "anon", required_argument, NULL, 'a' },
		{ "shmem", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "file-path", required_argument, NULL, 'F' },
		{ "pageout", required_argument, NULL, 'o' },
		{ "swapin", required_argument, NULL, 'i' },
		{ "threads", required_argument, NULL, 't' },
		{ "thread-mb", required_argument, NULL, 'T' },
		{ "live-threads", required_argument, NULL, 'l' },
		{ "ramp-ms", required_argument, NULL, 'r' },
		{ "hold-s", required_argument, NULL, 'H' },
		{ "hot", required_argument, NULL, 'w' },
		{ "thp", no_argument, NULL, 'P' },
		{ "unmap-ms", required_argument, NULL, 'U' },
		{ "unmap-cold-ms", required_argument, NULL, 'C' },
		{ "move-hot-ms", required_argument, NULL, 'm' },
		{ "hot-stride", required_argument, NULL, 'S' },
		{ "leader-exit", no_argument, NULL, 'X' },
		{ "fork", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long anon = 0, shmem = 0, file = 0, pageout = 0, swapin = 0;
	unsigned long threads = 0, live = 0, ramp = 0, hold = 0, hot = 0, i;
	unsigned long unmap_ms = 0, unmap_cold_ms = 0, move_ms = 0, stride_kb = 0, nfork = 0;
	int thp = 0, leader_exit = 0;
	const char *path = NULL;
	char *a = NULL, *s = NULL, *f = NULL;
	pthread_t *tids;
	struct tail_args tail;
	sigset_t mask;
	int c, fd;

	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "a:s:f:F:o:i:t:T:l:r:H:w:PU:C:m:S:Xk:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': anon = num_arg(optarg); break;
		case 's': shmem = num_arg(optarg); break;
		case 'f': file = num_arg(optarg); break;
		case 'F': path = optarg; break;
		case 'o': pageout = num_arg(optarg); break;
		case 'i': swapin = num_arg(optarg); break;
		case 't': threads = num_arg(optarg); break;
		case 'T': thread_mb = num_arg(optarg); break;
		case 'l': live = num_arg(optarg); break;
		case 'r': ramp = num_arg(optarg); break;
		case 'H': hold = num_arg(optarg); break;
		case 'w': hot = num_arg(optarg); break;
		case 'P': thp = 1; break;
		case 'U': unmap_ms = num_arg(optarg); break;
		case 'C': unmap_cold_ms = num_arg(optarg); break;
		case 'm': move_ms = num_arg(optarg); break;
		case 'S': stride_kb = num_arg(optarg); break;
		case 'X': leader_exit = 1; break;
		case 'k': nfork = num_arg(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (file && !path) || pageout > anon || swapin > pageout ||
	    hot > anon || ((unmap_ms || unmap_cold_ms || move_ms || stride_kb) && !hot) ||
	    (move_ms && 2 * hot > anon) ||
	    (stride_kb && (stride_kb * 1024 % page_size || stride_kb > hot * 1024))) {
		fputs("memload: bad usage (-f needs -F; -i <= -o <= -a; -w <= -a; -U, -C, -m and -S\n"
		      "need -w; -m needs -a >= 2 x -w; -S is a multiple of the page size, <= -w)\n",
		      stderr);
		usage(stderr);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (anon) {
		if (thp) {
			a = map_aligned(anon * MB);
			if (madvise(a, anon * MB, MADV_HUGEPAGE))
				die("madvise(MADV_HUGEPAGE)");
		} else {
			a = map_anon(anon * MB, MAP_PRIVATE);
			/* keep these pages small so that RSS moves in known steps */
			madvise(a, anon * MB, MADV_NOHUGEPAGE);
			/*
			 * Fault it all in from the kernel in one call (5.14+;
			 * EINVAL before: the writes below fault it in): one
			 * exception per page costs most of a GiB's set-up
			 * under emulation (TCG).  Not when ramping.
			 */
			if (!ramp)
				madvise(a, anon * MB, MADV_POPULATE_WRITE);
		}
		touch(a, anon * MB, (long)ramp);
	}
	if (shmem) {
		s = map_anon(shmem * MB, MAP_SHARED);
		touch(s, shmem * MB, 0);
	}
	if (file) {
		char *buf = calloc(1, MB);

		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || !buf)
			die(path);
		for (i = 0; i < file; i++)
			if (write(fd, buf, MB) != (ssize_t)MB)
				die(path);
		free(buf);
		f = mmap(NULL, file * MB, PROT_READ, MAP_SHARED, fd, 0);
		if (f == MAP_FAILED)
			die("mmap file");
		close(fd);
		read_pages(f, file * MB);
	}
	if (pageout && madvise(a, pageout * MB, MADV_PAGEOUT))
		die("madvise(MADV_PAGEOUT)");
	if (swapin)
		read_pages(a, swapin * MB);

	children = calloc(nfork + 1, sizeof(*children));
	if (!children)
		die("calloc");
	for (i = 0; i < nfork; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			nchildren = 0;
			read_pages(a, anon * MB);
			read_pages(s, shmem * MB);
			read_pages(f, file * MB);
			while (!stop)
				pause();
			_exit(0);
		}
		children[nchildren++] = pid;
	}

	tids = calloc(threads + live + 1, sizeof(*tids));
	if (!tids)
		die("calloc");
	/* threads inherit a mask without SIGINT/SIGTERM: main takes them */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	for (i = 0; i < threads + live; i++)
		if (pthread_create(&tids[i], NULL, i < threads ? short_thread : live_thread,
				   NULL))
			die("pthread_create");
	pthread_sigmask(SIG_UNBLOCK, &mask, NULL);
	for (i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);

	printf("ready pid=%d anon_kb=%lu shmem_kb=%lu file_kb=%lu pageout_kb=%lu swapin_kb=%lu",
	       (int)getpid(), anon * 1024, shmem * 1024, file * 1024, pageout * 1024,
	       swapin * 1024);
	for (i = 0; i < nchildren; i++)
		printf("%s%d", i ? "," : " children=", (int)children[i]);
	printf("\n");
	fflush(stdout);

	tail.a = a;
	tail.anon = anon;
	tail.hot = hot;
	tail.hold = hold;
	tail.unmap_ms = unmap_ms;
	tail.unmap_cold_ms = unmap_cold_ms;
	tail.move_ms = move_ms;
	tail.stride = stride_kb ? stride_kb * 1024 : (unsigned long)page_size;
	if (leader_exit) {
		pthread_t t;

		if (pthread_create(&t, NULL, run_tail, &tail))
			die("pthread_create");
		/* the process ends when its last thread does (run_tail's exit) */
		pthread_exit(NULL);
	}
	run_tail(&tail);
	return 0;
}
