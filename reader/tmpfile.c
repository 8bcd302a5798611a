// SPDX-License-Identifier: GPL-2.0
/*
 * tmpfile.c - create_tmp_beside() (tmpfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpfile.h"

int create_tmp_beside(const char *path, char **tmp)
{
	mode_t mask;
	int fd, err;

	if (asprintf(tmp, "%s.XXXXXX", path) < 0) {
		*tmp = NULL;
		errno = ENOMEM;
		return -1;
	}
	/* O_EXCL: never opens what another user planted under the name */
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0)
		goto out_free;
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask)) {
		err = errno;
		close(fd);
		unlink(*tmp);
		errno = err;
		goto out_free;
	}
	return fd;

out_free:
	err = errno;
	free(*tmp);
	*tmp = NULL;
	errno = err;
	return -1;
}
