/* The remote link's socket, messages and handshake (link.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/pair.h>
#include <nanomsg/tcp.h>

#include "link.h"
#include "protocol.h"

int link_key_load(const char *path, struct link_key *k, char *why, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, cap, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	int rc = 0;
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid()) {
		snprintf(why, cap, "%s: must be a regular file of ours, mode 0600",
			 path);
		rc = -EPERM;
	} else {
		ssize_t n = read(fd, k->bytes, sizeof k->bytes);
		while (n > 0 && (k->bytes[n - 1] == '\n' || k->bytes[n - 1] == '\r'))
			n--;
		if (n < 16 || (size_t)n >= sizeof k->bytes) {
			snprintf(why, cap, "%s: the secret must be 16 to %d bytes",
				 path, LINK_KEY_MAX - 1);
			rc = -EINVAL;
		}
		k->len = n > 0 ? (size_t)n : 0;
	}
	close(fd);
	return rc;
}

int link_socket(const char *url, bool listen)
{
	int s = nn_socket(AF_SP, NN_PAIR);
	if (s < 0)
		return -nn_errno();
	int any = -1, ms = LINK_DEAD_MS;
	/* frames are bounded, a mapped file's bytes (LINK_FD) are not */
	nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &any, sizeof any);
	nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &ms, sizeof ms);
	/* a call is a small frame waiting for its answer: no Nagle delay */
	int one = 1;
	nn_setsockopt(s, NN_TCP, NN_TCP_NODELAY, &one, sizeof one);
	int r = listen ? nn_bind(s, url) : nn_connect(s, url);
	if (r < 0) {
		int e = nn_errno();
		nn_close(s);
		return -e;
	}
	return s;
}

int link_recv_fd(int s)
{
	int fd = -1;
	size_t sz = sizeof fd;
	nn_getsockopt(s, NN_SOL_SOCKET, NN_RCVFD, &fd, &sz);
	return fd;
}

int link_send(int s, uint8_t kind, const void *a, size_t alen, const void *b,
	      size_t blen)
{
	uint8_t *m = nn_allocmsg(1 + alen + blen, 0);
	if (!m)
		return -ENOMEM;
	m[0] = kind;
	if (alen)
		memcpy(m + 1, a, alen);
	if (blen)
		memcpy(m + 1 + alen, b, blen);
	void *p = m;
	if (nn_send(s, &p, NN_MSG, 0) < 0) {
		int e = nn_errno();
		nn_freemsg(m);
		return -e;
	}
	return 0;
}

int link_send_ctl(int s, const Lind__Control *m)
{
	uint8_t buf[8192];
	size_t n = lind__control__get_packed_size(m);
	if (n > sizeof buf)
		return -EMSGSIZE;
	lind__control__pack(m, buf);
	return link_send(s, LINK_CTL, buf, n, NULL, 0);
}

long link_recv(int s, void **msg, int flags)
{
	void *m = NULL;
	int n = nn_recv(s, &m, NN_MSG, flags);
	if (n < 0)
		return -nn_errno();
	if (n == 0) {
		nn_freemsg(m);
		return -EPROTO;
	}
	*msg = m;
	return n;
}

/* ---- the handshake ------------------------------------------------------ */

static void mac(const struct link_key *k, const char *who, const uint8_t *nr,
		const uint8_t *nb, uint8_t out[LIND_SHA256_LEN])
{
	struct lind_buf parts[3] = {
		{who, strlen(who) + 1}, {nr, LINK_NONCE}, {nb, LINK_NONCE}};
	lind_hmac_sha256(k->bytes, k->len, parts, 3, out);
}

/* Constant time: how many bytes match must not show. */
static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

static int nonce(uint8_t *n)
{
	return getrandom(n, LINK_NONCE, 0) == LINK_NONCE ? 0 : -EIO;
}

/* One handshake message of step `step` and exactly len bytes after it. */
static int expect(int s, int step, uint8_t *out, size_t len, char *why,
		  size_t cap)
{
	void *m = NULL;
	int ms = LINK_DEAD_MS;
	nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &ms, sizeof ms);
	long n;
	/* what an earlier session left in flight (heartbeats) is skipped */
	while ((n = link_recv(s, &m, 0)) > 0 && *(uint8_t *)m != LINK_AUTH)
		nn_freemsg(m);
	ms = -1;
	nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &ms, sizeof ms);
	if (n < 0) {
		snprintf(why, cap, "no handshake message: %s",
			 n == -ETIMEDOUT ? "timed out" : nn_strerror((int)-n));
		return n == -ETIMEDOUT ? -ETIMEDOUT : -EPROTO;
	}
	const uint8_t *p = m;
	int rc = 0;
	if ((size_t)n != 2 + len || p[0] != LINK_AUTH || p[1] != step) {
		snprintf(why, cap, "not handshake step %d", step);
		rc = -EPROTO;
	} else {
		memcpy(out, p + 2, len);
	}
	nn_freemsg(m);
	return rc;
}

static int say(int s, int step, const void *a, size_t alen, const void *b,
	       size_t blen)
{
	uint8_t head[1 + LINK_NONCE];
	head[0] = (uint8_t)step;
	if (alen)
		memcpy(head + 1, a, alen);
	return link_send(s, LINK_AUTH, head, 1 + alen, b, blen);
}

int link_auth_relay(int s, const struct link_key *k, char *why, size_t cap)
{
	uint8_t nr[LINK_NONCE], got[LINK_NONCE + LIND_SHA256_LEN], want[LIND_SHA256_LEN];
	int rc = nonce(nr);
	if (rc == 0 && (rc = say(s, 1, nr, sizeof nr, NULL, 0)) < 0)
		snprintf(why, cap, "cannot send: %s", nn_strerror(-rc));
	if (rc == 0)
		rc = expect(s, 2, got, sizeof got, why, cap);
	if (rc < 0)
		return rc;
	mac(k, "lind-bridge", nr, got, want);
	if (!same(want, got + LINK_NONCE, sizeof want)) {
		snprintf(why, cap, "the server does not know our secret");
		return -EACCES;
	}
	mac(k, "lind-relay", nr, got, want);
	if ((rc = say(s, 3, want, sizeof want, NULL, 0)) < 0)
		return rc;
	uint8_t ok[1];
	rc = expect(s, 4, ok, 0, why, cap);
	if (rc == -ETIMEDOUT || rc == -EPROTO)
		snprintf(why, cap, "the server refused our secret");
	return rc < 0 ? -EACCES : 0;
}

int link_auth_bridge(int s, const struct link_key *k, const void *first,
		     size_t len, char *why, size_t cap)
{
	const uint8_t *p = first;
	if (len != 2 + LINK_NONCE || p[0] != LINK_AUTH || p[1] != 1) {
		snprintf(why, cap, "did not start with the handshake");
		return -EPROTO;
	}
	uint8_t nr[LINK_NONCE], nb[LINK_NONCE], m[LIND_SHA256_LEN], got[LIND_SHA256_LEN];
	memcpy(nr, p + 2, LINK_NONCE);
	int rc = nonce(nb);
	if (rc < 0)
		return rc;
	mac(k, "lind-bridge", nr, nb, m);
	if ((rc = say(s, 2, nb, sizeof nb, m, sizeof m)) < 0 ||
	    (rc = expect(s, 3, got, sizeof got, why, cap)) < 0)
		return rc;
	mac(k, "lind-relay", nr, nb, m);
	if (!same(m, got, sizeof m)) {
		snprintf(why, cap, "wrong secret");
		return -EACCES;
	}
	return say(s, 4, NULL, 0, NULL, 0);
}
