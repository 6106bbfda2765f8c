/* Shared by the libFuzzer targets: inputs that carry several messages are
 * split as [u16 little-endian length][bytes]..., so the fuzzer can build
 * state (open, then read) across messages of one input. */
#ifndef LIND_FUZZ_H
#define LIND_FUZZ_H

#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
