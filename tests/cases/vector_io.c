/* preadv, pwritev, preadv2, pwritev2 and big vectors: a vector over
 * 64 KiB is served whole, like a big read or write of a file */
#include "case.h"
#include <sys/uio.h>

#define BIG (3u << 20)

static unsigned sum(const unsigned char *p, size_t n)
{
	unsigned s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

/* A mix of elements: tiny ones, an empty one, and one over 64 KiB. */
static int split_big(unsigned char *buf, struct iovec *v)
{
	size_t sizes[] = {1, 0, 4095, 200000, 7, 65536, 65537, 3};
	size_t off = 0;
	int n = 0;
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		v[n++] = (struct iovec){buf + off, sizes[i]};
		off += sizes[i];
	}
	v[n++] = (struct iovec){buf + off, BIG - off}; /* the rest */
	return n;
}

static void big_vectors(void)
{
	unsigned char *out = malloc(BIG), *in = malloc(BIG);
	struct iovec v[16];
	REQUIRE(out && in);
	for (size_t i = 0; i < BIG; i++)
		out[i] = (unsigned char)(i * 7 + i / 4096);
	int fd = SHOW(open("big", O_RDWR | O_CREAT | O_TRUNC, 0644));
	int n = split_big(out, v);
	SHOW(writev(fd, v, n));
	SHOW(lseek(fd, 0, SEEK_CUR));
	memset(in, 0, BIG);
	n = split_big(in, v);
	SHOW(preadv(fd, v, n, 0));
	printf("readback %s\n", sum(in, BIG) == sum(out, BIG) ? "same" : "DIFFERENT");
	SHOW(lseek(fd, 0, SEEK_SET));
	memset(in, 0, BIG);
	SHOW(readv(fd, v, n));
	printf("readv %s\n", memcmp(in, out, BIG) ? "DIFFERENT" : "same");
	SHOW(readv(fd, v, n)); /* at the end */
	/* a big pwritev at an offset leaves the description's offset */
	SHOW(lseek(fd, 10, SEEK_SET));
	SHOW(pwritev(fd, v, n, 1000));
	SHOW(lseek(fd, 0, SEEK_CUR));
	struct stat st;
	SHOW(fstat(fd, &st));
	printf("size %lld\n", (long long)st.st_size);
	/* preadv2 at -1: the description's offset, which advances */
	SHOW(lseek(fd, 1000, SEEK_SET));
	memset(out, 0, BIG);
	n = split_big(out, v);
	SHOW(preadv2(fd, v, n, -1, 0));
	printf("preadv2 %s\n", memcmp(in, out, BIG) ? "DIFFERENT" : "same");
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(close(fd));
	free(out);
	free(in);
}

static void offsets_and_flags(void)
{
	char a[4], b[8];
	struct iovec r[2] = {{a, sizeof a}, {b, sizeof b}};
	struct iovec w[2] = {{"0123", 4}, {"456789", 6}};
	int fd = SHOW(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(pwritev(fd, w, 2, 5));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(preadv(fd, r, 2, 5));
	printf("[%.4s][%.6s]\n", a, b);
	SHOW(preadv(fd, r, 2, 100));
	SHOW(preadv(fd, r, 2, -1));
	SHOW(pwritev(fd, w, 2, -5));
	SHOW(preadv2(fd, r, 2, -2, 0));
	SHOW(preadv2(fd, r, 2, 0, RWF_HIPRI));
	SHOW(pwritev2(fd, w, 2, 0, RWF_DSYNC));
	SHOW(pwritev2(fd, w, 2, 0, RWF_SYNC));
	SHOW(pwritev2(fd, w, 2, 0, 0x40000000));
	SHOW(preadv2(fd, r, 2, 0, 0x40000000));
	SHOW(preadv2(fd, r, 0, 0, 0x40000000)); /* nothing to do: no check */
	SHOW(pwritev2(fd, w, 2, 0, RWF_APPEND | 0x20)); /* and NOAPPEND */
	/* RWF_APPEND: at the end whatever the offset; -1 moves the offset */
	SHOW(pwritev2(fd, w, 1, 0, RWF_APPEND));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(lseek(fd, 2, SEEK_SET));
	SHOW(pwritev2(fd, w, 1, -1, RWF_APPEND));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(pwritev2(fd, w, 1, -1, 0));
	SHOW(lseek(fd, 0, SEEK_CUR));
	memset(b, 0, sizeof b);
	SHOW(pread(fd, b, sizeof b, 12));
	printf("[%.8s]\n", b);
	SHOW(close(fd));
	/* O_APPEND, undone for one write by RWF_NOAPPEND */
	fd = SHOW(open("f", O_RDWR | O_APPEND));
	SHOW(pwritev2(fd, w, 1, 0, 0x20));
	SHOW(pwritev(fd, w, 1, 0)); /* Linux appends, as pwrite does */
	struct stat st;
	SHOW(fstat(fd, &st));
	printf("size %lld\n", (long long)st.st_size);
	SHOW(close(fd));
	fd = SHOW(open("f", O_RDONLY));
	SHOW(pwritev(fd, w, 2, 0));
	SHOW(pwritev2(fd, w, 2, -1, 0));
	SHOW(close(fd));
	SHOW(preadv(fd, r, 2, 0));
	SHOW(preadv2(fd, r, 2, -1, 0));
}

static void pipes(void)
{
	int p[2];
	char a[4], b[8];
	struct iovec r[2] = {{a, sizeof a}, {b, sizeof b}};
	struct iovec w[2] = {{"0123", 4}, {"456789", 6}};
	SHOW(pipe(p));
	SHOW(pwritev(p[1], w, 2, 0));
	SHOW(preadv(p[0], r, 2, 0));
	SHOW(pwritev2(p[1], w, 2, 0, 0));
	SHOW(preadv2(p[0], r, 2, 0, 0));
	SHOW(preadv2(p[0], r, 2, -1, RWF_NOWAIT)); /* empty: EAGAIN */
	SHOW(pwritev2(p[1], w, 2, -1, 0));
	SHOW(preadv2(p[0], r, 2, -1, RWF_NOWAIT));
	printf("[%.4s][%.6s]\n", a, b);
	SHOW(preadv2(p[0], r, 2, -1, 0x40000000));
	SHOW(close(p[0]));
	SHOW(close(p[1]));
}

int main(void)
{
	enter_scratch();
	offsets_and_flags();
	pipes();
	big_vectors();
	return 0;
}
