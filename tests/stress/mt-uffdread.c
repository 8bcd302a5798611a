// SPDX-License-Identifier: GPL-2.0
/*
 * mt-uffdread - a reader that stalls inside read(2), for memtrace's
 * stalled-reader scenario: it read()s FILE into a buffer registered with
 * userfaultfd and never resolves the fault, so the kernel's copy to that
 * buffer waits for as long as this process lives (as a reader paging from
 * FUSE, a slow swap device or a debugger's userfaultfd would).
 *
 *   mt-uffdread FILE [BYTES]
 *
 * Prints "stalled" once the read has faulted (the fault arrived on the
 * userfaultfd), then waits, never answering it.  SIGKILL ends it (the
 * faulting thread waits killably); closing the userfaultfd fails the copy.
 * BYTES (default 65536) is the read size: the whole buffer is registered,
 * so the first byte the kernel copies faults.
 *
 * Exit status: 1 on a system error (printed), 2 on bad usage, 3 when FILE
 * had nothing to read (the read returned without touching the buffer:
 * "no data ..." on standard output), 4 without userfaultfd in the kernel
 * (said on standard output); otherwise it runs until killed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *path;
static size_t bytes = 65536;
static char *buf;
static volatile int stalled;

static void *reader(void *arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	(void)arg;
	if (fd < 0) {
		fprintf(stderr, "mt-uffdread: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	/* blocks in the fault until the userfaultfd goes away */
	n = read(fd, buf, bytes);
	if (!stalled) {
		/* nothing to copy: the read never touched the buffer */
		printf("no data (read returned %zd)\n", n);
		exit(3);
	}
	fprintf(stderr, "mt-uffdread: read returned %zd (%s)\n", n,
		n < 0 ? strerror(errno) : "ok");
	return NULL;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t t;
	long page = sysconf(_SC_PAGESIZE);
	int uffd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "Usage: mt-uffdread FILE [BYTES]\n");
		return 2;
	}
	path = argv[1];
	if (argc == 3)
		bytes = strtoul(argv[2], NULL, 10);
	bytes = (bytes + page - 1) / page * page;
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 && errno == ENOSYS) {
		printf("no userfaultfd in this kernel (CONFIG_USERFAULTFD)\n");
		return 4;
	}
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		fprintf(stderr, "mt-uffdread: userfaultfd: %s\n", strerror(errno));
		return 1;
	}
	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "mt-uffdread: mmap: %s\n", strerror(errno));
		return 1;
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)buf;
	reg.range.len = bytes;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		fprintf(stderr, "mt-uffdread: UFFDIO_REGISTER: %s\n", strerror(errno));
		return 1;
	}
	if (pthread_create(&t, NULL, reader, NULL)) {
		fprintf(stderr, "mt-uffdread: pthread_create failed\n");
		return 1;
	}
	pfd.fd = uffd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		fprintf(stderr, "mt-uffdread: no page fault message\n");
		return 1;
	}
	stalled = 1;
	printf("stalled\n");
	fflush(stdout);
	for (;;)
		pause();
}
