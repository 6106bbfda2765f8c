/* Shared by the libFuzzer targets: inputs that carry several messages are
 * split as [u16 little-endian length][bytes]..., so the fuzzer can build
 * state (open, then read) across messages of one input. */
#ifndef LIND_FUZZ_H
#define LIND_FUZZ_H

#include <assert.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

struct fuzz_split {
	const uint8_t *p;
	size_t left;
};

/* The next message of the input, or 0 when it is used up (a short
 * trailing length yields what is left). */
static inline int fuzz_next(struct fuzz_split *s, const uint8_t **msg,
			    size_t *len)
{
	if (s->left < 2)
		return 0;
	size_t n = (size_t)s->p[0] | (size_t)s->p[1] << 8;
	s->p += 2;
	s->left -= 2;
	if (n > s->left)
		n = s->left;
	*msg = s->p;
	*len = n;
	s->p += n;
	s->left -= n;
	return 1;
}

/* rm -rf dir (a scratch store), without a shell per input. */
static inline int fuzz_rm_one(const char *path, const struct stat *st,
			      int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static inline void fuzz_rmrf(const char *dir)
{
	(void)nftw(dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The target's scratch dir, removed when libFuzzer exits. */
static const char *fuzz_scratch;

static inline void fuzz_cleanup(void)
{
	if (fuzz_scratch)
		fuzz_rmrf(fuzz_scratch);
}

/* Open fds of this process: a target must leave none behind. */
static inline int fuzz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Sends msg on sock with nfds (0-3) fresh fds attached, as a peer
 * passes its stdio: a pipe's two ends and /dev/null. */
static inline void fuzz_send_with_fds(int sock, const uint8_t *msg,
				      size_t len, int nfds)
{
	int fds[3], p[2];
	int rc = pipe2(p, O_CLOEXEC);
	assert(rc == 0);
	fds[0] = p[0];
	fds[1] = p[1];
	fds[2] = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert(fds[2] >= 0);
	(void)lind_send_bytes(sock, msg, len, fds, nfds);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
