/*
 * Who is tracing what (lind-trace -p, -f, -e trace=, --cage-cmd): up to
 * RELAY_TRACE_SUBS tracers, each with its own filter and slot.  The relay
 * publishes the union: a cage's trace_subs holds the slots selecting it
 * (0: nobody, one atomic load per call), r->trace_calls the calls any
 * tracer wants; every event carries its cage's slots, so each tracer
 * keeps exactly its own.  Everything here runs on the main thread; cage
 * threads only read the atomics.
 */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "syscall.h"

static struct relay_sub *sub_find(struct relay *r, uint64_t id)
{
	for (int s = 0; s < RELAY_TRACE_SUBS; s++)
		if (r->subs[s].until && r->subs[s].id == id)
			return &r->subs[s];
	return NULL;
}

static void sub_clear(struct relay_sub *s)
{
	free(s->spec);
	free(s->cages);
	if (s->has_re)
		regfree(&s->re);
	memset(s, 0, sizeof *s);
}

static bool sub_has(const struct relay_sub *s, uint64_t cage_id)
{
	for (size_t i = 0; i < s->ncages; i++)
		if (s->cages[i] == cage_id)
			return true;
	return false;
}

static int sub_add(struct relay_sub *s, uint64_t cage_id)
{
	if (sub_has(s, cage_id))
		return 0;
	if (s->ncages == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		uint64_t *n = realloc(s->cages, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		s->cages = n;
		s->cap = cap;
	}
	s->cages[s->ncages++] = cage_id;
	return 0;
}

/* A cage the sub selects by itself: every cage, or its argv matches. */
static bool sub_matches(const struct relay_sub *s, const char *cmd)
{
	if (s->all_cages)
		return true;
	return s->has_re && cmd && regexec(&s->re, cmd, 0, NULL, 0) == 0;
}

static bool sub_live(const struct relay_sub *s, uint64_t now)
{
	return s->until && now < s->until;
}

uint32_t relay_trace_selects(struct relay *r, uint64_t cage_id)
{
	uint32_t mask = 0;
	uint64_t now = lind_now_ns();
	for (int i = 0; i < RELAY_TRACE_SUBS; i++) {
		struct relay_sub *s = &r->subs[i];
		if (sub_live(s, now) && (s->all_cages || sub_has(s, cage_id)))
			mask |= 1u << i;
	}
	return mask;
}

/* Every cage's trace_subs and the union of the calls wanted, anew. */
static void recompute(struct relay *r)
{
	uint64_t calls[RELAY_CALL_WORDS] = {0};
	uint32_t data = LIND_TRACE_DATA;
	uint64_t now = lind_now_ns();
	for (int i = 0; i < RELAY_TRACE_SUBS; i++) {
		if (!sub_live(&r->subs[i], now))
			continue;
		for (int w = 0; w < RELAY_CALL_WORDS; w++)
			calls[w] |= r->subs[i].calls[w];
		if (r->subs[i].data_size > data)
			data = r->subs[i].data_size;
	}
	atomic_store_explicit(&r->trace_data, data, memory_order_relaxed);
	for (int w = 0; w < RELAY_CALL_WORDS; w++)
		atomic_store_explicit(&r->trace_calls[w], calls[w],
				      memory_order_relaxed);
	pthread_mutex_lock(&r->table_lock);
	for (uint32_t i = 0; i < RELAY_MAX_CHANS; i++) {
		struct relay_cage *c = r->chans[i];
		if (c)
			atomic_store(&c->trace_subs,
				     relay_trace_selects(r, c->cage_id));
	}
	pthread_mutex_unlock(&r->table_lock);
}

/* The calls bitmap of a filter: its own bits, or every call. */
static void sub_calls(struct relay_sub *s, const ProtobufCBinaryData *b)
{
	if (!b->len) {
		memset(s->calls, 0xff, sizeof s->calls);
		return;
	}
	for (size_t i = 0; i < b->len && i < sizeof s->calls; i++)
		s->calls[i / 8] |= (uint64_t)b->data[i] << (8 * (i % 8));
}

/* Cages the new filter selects among those attached: regex matches. */
static int sub_match_existing(struct relay *r, struct relay_sub *s)
{
	int rc = 0;
	pthread_mutex_lock(&r->table_lock);
	for (uint32_t i = 0; i < RELAY_MAX_CHANS && rc == 0; i++) {
		struct relay_cage *c = r->chans[i];
		if (c && !s->all_cages && sub_matches(s, c->cmd))
			rc = sub_add(s, c->cage_id);
	}
	pthread_mutex_unlock(&r->table_lock);
	return rc;
}

static int sub_build(struct relay *r, struct relay_sub *s,
		     const Lind__TraceFilter *f)
{
	const char *re = f && f->cage_cmd ? f->cage_cmd : "";
	s->follow = f && f->follow;
	uint32_t want = f ? f->data_size : 0;
	s->data_size = want < LIND_TRACE_DATA_MAX ? want : LIND_TRACE_DATA_MAX;
	s->all_cages = !f || (!f->n_cages && !re[0]);
	ProtobufCBinaryData none = {0, NULL};
	sub_calls(s, f ? &f->calls : &none);
	if (re[0]) {
		if (regcomp(&s->re, re, REG_EXTENDED | REG_NOSUB) != 0)
			return -EINVAL;
		s->has_re = true;
	}
	for (size_t i = 0; f && i < f->n_cages; i++)
		if (sub_add(s, f->cages[i]) < 0)
			return -ENOMEM;
	return sub_match_existing(r, s);
}

/* Expired tracers give their slot back; true when one did. */
static bool prune(struct relay *r)
{
	uint64_t now = lind_now_ns();
	bool gone = false;
	for (int i = 0; i < RELAY_TRACE_SUBS; i++)
		if (r->subs[i].until && !sub_live(&r->subs[i], now)) {
			sub_clear(&r->subs[i]);
			gone = true;
		}
	return gone;
}

/* -y: the server tells the tracer in slot what each cage it selects has
 * open (at most RELAY_MAX_CHANS questions, once per tracer) */
static void ask_fds(struct relay *r, uint32_t slot)
{
	uint64_t *ids = calloc(RELAY_MAX_CHANS, sizeof *ids);
	size_t n = 0;
	if (!ids)
		return;
	pthread_mutex_lock(&r->table_lock);
	for (uint32_t i = 0; i < RELAY_MAX_CHANS; i++) {
		struct relay_cage *c = r->chans[i];
		if (c && (atomic_load(&c->trace_subs) & (1u << slot)))
			ids[n++] = c->cage_id;
	}
	pthread_mutex_unlock(&r->table_lock);
	for (size_t i = 0; i < n; i++)
		relay_server_cage_fds(r, ids[i], slot);
	free(ids);
}

static struct relay_sub *sub_slot(struct relay *r)
{
	for (int i = 0; i < RELAY_TRACE_SUBS; i++)
		if (!r->subs[i].until)
			return &r->subs[i];
	return NULL;
}

int relay_trace_subscribe(struct relay *r, const Lind__TraceFilter *f)
{
	uint64_t id = f ? f->subscriber : 0;
	uint8_t spec[LIND_MAX_FRAME];
	size_t n = f ? lind__trace_filter__get_packed_size(f) : 0;
	if (n > sizeof spec)
		return -E2BIG;
	if (f)
		lind__trace_filter__pack(f, spec);
	/* a tracer that left without a word (killed) stops costing the
	 * cages it selected at the next renewal of any other tracer: their
	 * trace_subs would otherwise keep its bit while others keep the
	 * feed on, and a cage it selected would be traced for nobody */
	bool gone = prune(r);
	struct relay_sub *s = sub_find(r, id);
	uint64_t until = lind_now_ns() + RELAY_TRACE_TTL_NS;
	if (s && s->spec_len == n && !memcmp(s->spec, spec, n)) {
		s->until = until; /* a renewal: keep the cages it followed */
		if (gone)
			recompute(r);
		return (int)(s - r->subs);
	}
	bool had = s != NULL;
	if (s)
		sub_clear(s);
	else if (!(s = sub_slot(r)))
		return -EBUSY;
	int rc = -ENOMEM;
	s->id = id;
	s->until = until;
	if ((!n || (s->spec = malloc(n))) && (rc = sub_build(r, s, f)) == 0) {
		if (n)
			memcpy(s->spec, spec, n);
		s->spec_len = n;
	} else {
		sub_clear(s);
		recompute(r);
		return rc;
	}
	recompute(r);
	if (!had && f && f->fds)
		ask_fds(r, (uint32_t)(s - r->subs));
	return (int)(s - r->subs);
}

bool relay_trace_unsubscribe(struct relay *r, uint64_t id)
{
	struct relay_sub *s = sub_find(r, id);
	if (s)
		sub_clear(s);
	if (prune(r) || s)
		recompute(r);
	uint64_t now = lind_now_ns();
	for (int i = 0; i < RELAY_TRACE_SUBS; i++)
		if (sub_live(&r->subs[i], now))
			return true;
	return false;
}

/* argv joined by spaces into c->cmd, cut to its size. */
static void set_cmd(struct relay_cage *c, char **argv, size_t argc)
{
	size_t len = 0;
	c->cmd[0] = '\0';
	for (size_t i = 0; i < argc && len + 1 < sizeof c->cmd; i++) {
		int n = snprintf(c->cmd + len, sizeof c->cmd - len, "%s%s",
				 i ? " " : "", argv[i]);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

static struct relay_cage *cage_by_id(struct relay *r, uint64_t id)
{
	for (uint32_t i = 0; i < RELAY_MAX_CHANS; i++)
		if (r->chans[i] && r->chans[i]->cage_id == id)
			return r->chans[i];
	return NULL;
}

void relay_trace_cage_born(struct relay *r, struct relay_cage *c,
			   uint64_t parent, char **argv, size_t argc)
{
	pthread_mutex_lock(&r->table_lock);
	const struct relay_cage *p = parent ? cage_by_id(r, parent) : NULL;
	if (p) /* a forked child runs its parent's program */
		memcpy(c->cmd, p->cmd, sizeof c->cmd);
	else
		set_cmd(c, argv, argc);
	pthread_mutex_unlock(&r->table_lock);
	uint64_t now = lind_now_ns();
	for (int i = 0; i < RELAY_TRACE_SUBS; i++) {
		struct relay_sub *s = &r->subs[i];
		if (!sub_live(s, now) || s->all_cages)
			continue;
		bool child = parent && s->follow && sub_has(s, parent);
		if ((child || sub_matches(s, c->cmd)) &&
		    sub_add(s, c->cage_id) < 0)
			lind_log(c->cage_id, "trace: out of memory");
	}
	atomic_store(&c->trace_subs, relay_trace_selects(r, c->cage_id));
}

void relay_trace_cage_execed(struct relay *r, uint64_t cage_id, char **argv,
			     size_t argc)
{
	char cmd[sizeof r->chans[0]->cmd];
	pthread_mutex_lock(&r->table_lock);
	struct relay_cage *c = cage_by_id(r, cage_id);
	if (c) {
		set_cmd(c, argv, argc);
		memcpy(cmd, c->cmd, sizeof cmd);
	}
	pthread_mutex_unlock(&r->table_lock);
	if (!c)
		return;
	bool more = false;
	uint64_t now = lind_now_ns();
	for (int i = 0; i < RELAY_TRACE_SUBS; i++) {
		struct relay_sub *s = &r->subs[i];
		if (sub_live(s, now) && !s->all_cages && sub_matches(s, cmd) &&
		    !sub_has(s, cage_id)) {
			if (sub_add(s, cage_id) < 0)
				lind_log(cage_id, "trace: out of memory");
			more = true;
		}
	}
	if (more)
		recompute(r);
}

void relay_trace_subs_free(struct relay *r)
{
	for (int i = 0; i < RELAY_TRACE_SUBS; i++)
		sub_clear(&r->subs[i]);
}
