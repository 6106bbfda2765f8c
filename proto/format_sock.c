/*
 * Trace decoding of socket structures, as strace shows them (Linux x86-64
 * layouts): addresses, sendmsg/recvmsg's msghdr with its control
 * messages, poll's pollfd array.  The trace carries a prefix of each
 * buffer (TraceEvent.data_cap), so every read is bounded by what came and
 * a cut structure ends in "...".
 */
#define _GNU_SOURCE /* SCM_CREDENTIALS */
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include "format_out.h"

/* A socket address, as strace shows it (Linux x86-64 layouts); the trace
 * carries a prefix of it, so a cut one ends in "...". */
void lind_put_sockaddr(struct lind_out *o, const ProtobufCBinaryData *d)
{
	char a[INET6_ADDRSTRLEN];
	int fam = d->len >= 2 ? lind_u16_at(d, 0) : -1;
	if (fam == AF_UNIX && d->len > 2) {
		int abstract = d->data[2] == 0;
		lind_put(o, "{sa_family=AF_UNIX, sun_path=%s", abstract ? "@" : "");
		if (abstract)
			lind_put_str(o, d->data + 3, d->len - 3, 0);
		else
			lind_put_str(o, d->data + 2, strnlen((const char *)d->data + 2,
							d->len - 2), 0);
		lind_put(o, "}");
	} else if (fam == AF_UNIX) {
		lind_put(o, "{sa_family=AF_UNIX}");
	} else if (fam == AF_INET && d->len >= 8) {
		inet_ntop(AF_INET, d->data + 4, a, sizeof a);
		lind_put(o, "{sa_family=AF_INET, sin_port=htons(%u), sin_addr=inet_addr(\"%s\")}",
		    ntohs(lind_u16_at(d, 2)), a);
	} else if (fam == AF_INET6 && d->len >= 24) {
		inet_ntop(AF_INET6, d->data + 8, a, sizeof a);
		lind_put(o, "{sa_family=AF_INET6, sin6_port=htons(%u), "
		       "sin6_flowinfo=htonl(%u), inet_pton(AF_INET6, \"%s\", "
		       "&sin6_addr)%s}", ntohs(lind_u16_at(d, 2)),
		    ntohl((uint32_t)lind_i32_at(d, 4)), a,
		    d->len >= 28 ? "" : ", ...");
	} else if (fam == AF_NETLINK && d->len >= 12) {
		lind_put(o, "{sa_family=AF_NETLINK, nl_pid=%d, nl_groups=%08x}",
		    lind_i32_at(d, 4), (unsigned)lind_i32_at(d, 8));
	} else if (fam >= 0) {
		lind_put(o, "{sa_family=%d, ...}", fam);
	} else {
		lind_put(o, "{...}");
	}
}

/* The arguments that are socket addresses: bind's, connect's, sendto's
 * destination, and what accept, getsockname, getpeername and recvfrom
 * write. */
int lind_is_sockaddr(uint32_t nr, int i)
{
	switch (nr) {
	case LIND_SYS_bind:
	case LIND_SYS_connect:
	case LIND_SYS_accept:
	case LIND_SYS_accept4:
	case LIND_SYS_getsockname:
	case LIND_SYS_getpeername:
		return i == 1;
	case LIND_SYS_sendto:
	case LIND_SYS_recvfrom:
		return i == 4;
	default:
		return 0;
	}
}

static const struct lind_bit poll_bits[] = {
	{0x1, "POLLIN"}, {0x2, "POLLPRI"}, {0x4, "POLLOUT"}, {0x8, "POLLERR"},
	{0x10, "POLLHUP"}, {0x20, "POLLNVAL"}, {0x40, "POLLRDNORM"},
	{0x80, "POLLRDBAND"}, {0x100, "POLLWRNORM"}, {0x200, "POLLWRBAND"},
	{0x2000, "POLLRDHUP"}, {0, NULL},
};

/* poll's pollfd array as sent: [{fd=3, events=POLLIN}, ...] (the trace
 * carries a prefix of it: the first entries). */
void lind_put_pollfds(struct lind_out *o, const ProtobufCBinaryData *d,
			int64_t count)
{
	lind_put(o, "[");
	size_t off = 0;
	for (; off + 8 <= d->len; off += 8) {
		lind_put(o, "%s{fd=%d, events=", off ? ", " : "", lind_i32_at(d, off));
		lind_put_bits(o, lind_u16_at(d, off + 4), poll_bits);
		lind_put(o, "}");
	}
	lind_put(o, (int64_t)(off / 8) < count ? "%s...]" : "]", off ? ", " : "");
}

static const struct lind_bit msg_flag_bits[] = {
	{0x1, "MSG_OOB"}, {0x2, "MSG_PEEK"}, {0x4, "MSG_DONTROUTE"},
	{0x8, "MSG_CTRUNC"}, {0x20, "MSG_TRUNC"}, {0x40, "MSG_DONTWAIT"},
	{0x80, "MSG_EOR"}, {0x100, "MSG_WAITALL"}, {0x2000, "MSG_ERRQUEUE"},
	{0x4000, "MSG_NOSIGNAL"}, {0x8000, "MSG_MORE"},
	{0x10000, "MSG_WAITFORONE"}, {0x40000000, "MSG_CMSG_CLOEXEC"},
	{0, NULL},
};

void lind_put_msg_flags(struct lind_out *o, int64_t v)
{
	lind_put_bits(o, v, msg_flag_bits);
}

/* bytes [off, off + len) of d, clipped to what d holds */
static ProtobufCBinaryData part(const ProtobufCBinaryData *d, size_t off,
				size_t len)
{
	ProtobufCBinaryData p = {0, NULL};
	if (off >= d->len)
		return p;
	p.data = d->data + off;
	p.len = len < d->len - off ? len : d->len - off;
	return p;
}

static const char *cmsg_level_name(int level)
{
	return level == SOL_SOCKET ? "SOL_SOCKET"
	       : level == IPPROTO_IP ? "SOL_IP"
	       : level == IPPROTO_IPV6 ? "SOL_IPV6"
				       : NULL;
}

static const char *cmsg_type_name(int level, int type)
{
	if (level == SOL_SOCKET)
		return type == SCM_RIGHTS	   ? "SCM_RIGHTS"
		       : type == SCM_CREDENTIALS ? "SCM_CREDENTIALS"
						 : NULL;
	if (level == IPPROTO_IP)
		return type == IP_PKTINFO ? "IP_PKTINFO"
		       : type == IP_TTL	  ? "IP_TTL"
					  : NULL;
	if (level == IPPROTO_IPV6)
		return type == IPV6_PKTINFO ? "IPV6_PKTINFO" : NULL;
	return NULL;
}

/* one control message's data: fds, credentials, else its bytes */
static void put_cmsg_data(struct lind_out *o, int level, int type,
			  const ProtobufCBinaryData *d, size_t want)
{
	if (level == SOL_SOCKET && type == SCM_RIGHTS) {
		lind_put(o, "[");
		size_t k = 0;
		for (; 4 * k + 4 <= d->len && 4 * k + 4 <= want; k++)
			lind_put(o, "%s%d", k ? ", " : "", lind_i32_at(d, 4 * k));
		lind_put(o, 4 * k + 4 <= want ? "%s...]" : "]", k ? ", " : "");
	} else if (level == SOL_SOCKET && type == SCM_CREDENTIALS &&
		   d->len >= 12) {
		lind_put(o, "{pid=%d, uid=%u, gid=%u}", lind_i32_at(d, 0),
			 (unsigned)lind_i32_at(d, 4), (unsigned)lind_i32_at(d, 8));
	} else {
		lind_put_str(o, d->data, d->len < want ? d->len : want,
			     d->len < want);
	}
}

/* msg_control: [{cmsg_len=20, cmsg_level=SOL_SOCKET, ...}, ...] */
static void put_cmsgs(struct lind_out *o, const ProtobufCBinaryData *c,
		      size_t total)
{
	const size_t hdr = 16; /* struct cmsghdr: size_t len, int level, type */
	lind_put(o, "[");
	size_t off = 0;
	while (off + hdr <= total) {
		if (off + hdr > c->len) {
			lind_put(o, "%s...", off ? ", " : "");
			break;
		}
		uint64_t len = (uint64_t)lind_i64_at(c, off);
		int level = lind_i32_at(c, off + 8), type = lind_i32_at(c, off + 12);
		const char *ln = cmsg_level_name(level);
		const char *tn = cmsg_type_name(level, type);
		lind_put(o, "%s{cmsg_len=%llu, cmsg_level=", off ? ", " : "",
			 (unsigned long long)len);
		ln ? lind_put(o, "%s", ln) : lind_put(o, "%d", level);
		tn ? lind_put(o, ", cmsg_type=%s", tn)
		   : lind_put(o, ", cmsg_type=%#x", (unsigned)type);
		if (len < hdr || len > total - off) {
			lind_put(o, "}");
			break; /* as the kernel: a bad length ends the list */
		}
		ProtobufCBinaryData d = part(c, off + hdr, len - hdr);
		lind_put(o, ", cmsg_data=");
		put_cmsg_data(o, level, type, &d, len - hdr);
		lind_put(o, "}");
		off += (len + 7) & ~(uint64_t)7;
	}
	lind_put(o, "]");
}

/* The msghdr of sendmsg (dir_out 0: the entry is name, control, data as
 * sent) or recvmsg (1: a struct lind_msg_head, then what came back, of
 * which result bytes of data).  The iovec's data travels gathered, so it
 * shows as one iovec. */
void lind_put_msghdr(struct lind_out *o, const ProtobufCBinaryData *d,
		     int64_t slot, int dir_out, int64_t result)
{
	struct lind_msg_sizes z = lind_msg_sizes(slot);
	struct lind_msg_head h = {z.name, z.ctl, z.data, 0};
	size_t off = 0;
	if (!d || (dir_out && d->len < sizeof h)) {
		lind_put(o, "{...}"); /* failed: nothing came back */
		return;
	}
	if (dir_out) {
		memcpy(&h, d->data, sizeof h);
		off = sizeof h;
	}
	size_t name_len = h.namelen < z.name ? h.namelen : z.name;
	ProtobufCBinaryData name = part(d, off, name_len);
	ProtobufCBinaryData ctl = part(d, off + name_len, h.ctllen);
	ProtobufCBinaryData data = part(d, off + name_len + h.ctllen, h.datalen);
	lind_put(o, "{msg_name=");
	if (!z.name)
		lind_put(o, "NULL");
	else if (name_len)
		lind_put_sockaddr(o, &name);
	else
		lind_put(o, "{...}");
	lind_put(o, ", msg_namelen=%u, msg_iov=[{iov_base=", h.namelen);
	int64_t shown = dir_out ? result : (int64_t)h.datalen;
	lind_put_buf(o, &data, shown);
	lind_put(o, ", iov_len=%u}]", z.data);
	if (h.ctllen) {
		lind_put(o, ", msg_control=");
		put_cmsgs(o, &ctl, h.ctllen);
	}
	lind_put(o, ", msg_controllen=%u, msg_flags=", h.ctllen);
	lind_put_msg_flags(o, h.flags);
	lind_put(o, z.cut ? "} (cut)" : "}");
}
