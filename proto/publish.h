/* lind-run --publish [ADDR:]HOSTPORT:CAGEPORT[/tcp|/udp]: a cage's
 * listener on CAGEPORT is bound on the host to ADDR:HOSTPORT instead
 * (posix-server/net_policy.h).  The table travels in Attach.publish and
 * Control.publish; lind-run, the relay and the server check it alike. */
#ifndef LIND_PUBLISH_H
#define LIND_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lind.pb-c.h"

#define LIND_MAX_PUBLISH 64

struct lind_publish {
	uint32_t addr;	    /* the host's IPv4 address, host order; 0: any */
	uint16_t host_port; /* 1..65535 */
	uint16_t cage_port; /* 1..65535 */
	bool udp;	    /* else TCP */
};

/* One spec into *p: 0, or -1 with why (one line) in err. */
int lind_publish_parse(const char *spec, struct lind_publish *p, char *err,
		       size_t cap);
/* A whole table: at most LIND_MAX_PUBLISH entries, no CAGEPORT nor
 * ADDR:HOSTPORT twice for one protocol.  NULL, or why not. */
const char *lind_publish_check(const struct lind_publish *p, size_t n);
/* A frame's entries (anyone's bytes: every field is checked) into out,
 * which holds LIND_MAX_PUBLISH, then lind_publish_check.  NULL, or why
 * not. */
const char *lind_publish_from(Lind__Publish *const *in, size_t n,
			      struct lind_publish *out);

#endif
