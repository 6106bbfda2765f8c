/* signalfd descriptions (signalfd.c). */
#ifndef SRV_SIGNALFD_H
#define SRV_SIGNALFD_H

#include <stdint.h>

struct cage;

/* The cage whose call is served (dispatch.c; NULL: none): a signalfd's
 * readiness is its pending signals, as Linux's is the caller's. */
void signalfd_set_caller(const struct cage *c);
/* The server routed sig to c (srv_signal_cage): signalfds watching it
 * look again (soon: the relay delivers it after this). */
void signalfd_signalled(const struct cage *c, int sig);
/* The pending signals of c's process (main thread and shared; bit
 * signo-1), from the host's /proc; 0 when unreadable. */
uint64_t signalfd_pending(const struct cage *c);
/* Parses "SigPnd:" and "ShdPnd:" of a /proc/PID/status text. */
uint64_t signalfd_parse_status(const char *text);

#endif
