/*
 * Frame validation, driven only by the call's table row: a cage controls
 * every byte of its frame, so nothing here trusts a length it did not
 * check against the row and the limits of proto/protocol.h.
 */
#include <assert.h>
#include <stdbool.h>
#include <errno.h>
#include <string.h>

#include "relay.h"
#include "syscall.h"

static int check_path(const ProtobufCBinaryData *d, const char **why)
{
	if (d->len >= LIND_MAX_PATH) {
		*why = "path too long";
		return -ENAMETOOLONG;
	}
	if (d->len && memchr(d->data, '\0', d->len)) {
		*why = "NUL inside a path";
		return -EINVAL;
	}
	return 0;
}

/* An in-buffer of exactly the laid-out size (within LIND_MAX_IO). */
static int check_in(const ProtobufCBinaryData *d, size_t want,
		    const char **why)
{
	if (d->len > LIND_MAX_IO || want != d->len) {
		*why = "in-data length is not its length argument";
		return -EINVAL;
	}
	return 0;
}

int relay_check(const Lind__Request *req)
{
	const char *why;
	return relay_check_why(req, &why);
}

int relay_check_why(const Lind__Request *req, const char **why)
{
	*why = NULL; /* an unserved call (ENOSYS) is not a bad frame */
	const struct lind_syscall *row = lind_syscall_row(req->nr);
	if (!row)
		return -ENOSYS;
	/* protobuf-c keeps unknown fields and packs them again; some (field
	 * number 0) it accepts here but not in the server's unpack, which
	 * then cannot even answer: forward only fields the table knows */
	if (req->base.n_unknown_fields) {
		*why = "unknown fields";
		return -EINVAL;
	}
	if (req->n_args > 6) {
		*why = "more than 6 arguments";
		return -EINVAL;
	}
	int64_t a[6] = {0};
	if (req->n_args)
		memcpy(a, req->args, req->n_args * sizeof a[0]);

	/* the counts come from the kinds alone: a bad size below is
	 * reported in argument order, as the data entries are checked */
	struct lind_layout l;
	(void)lind_layout(row, a, &l);
	/* Request.area stands for the bulk in-buffer's entry: checked as
	 * that entry would be (its bytes stay in the cage's slot) */
	int area = req->area ? lind_area_arg(row, LIND_DIR_IN) : -1;
	if (req->area && area < 0) {
		*why = "data area on a call with no in-buffer for it";
		return -EINVAL;
	}
	if (req->n_data + (area >= 0) != l.nin) {
		*why = "data entries do not match the in-arguments";
		return -EINVAL;
	}
	size_t d = 0; /* next data entry */
	for (int i = 0; i < 6; i++) {
		const struct lind_arg_layout *s = &l.arg[i];
		const ProtobufCBinaryData in_area = {req->area, NULL};
		int rc = 0;
		if (s->bad) {
			*why = s->bad;
			return -EINVAL;
		}
		if (!(s->dir & LIND_DIR_IN))
			continue;
		if (i == area)
			rc = check_in(&in_area, s->size, why);
		else if (s->path)
			rc = check_path(&req->data[d++], why);
		else
			rc = check_in(&req->data[d++], s->size, why);
		if (rc < 0)
			return rc;
	}
	assert(d == req->n_data);
	return 0;
}

/* A cage's end and lind's own calls are never refused: the server must
 * record the exit status, and cancels and refusal reports serve the
 * cage's own waiting and trace. */
static bool policy_exempt(uint32_t nr)
{
	return nr == LIND_SYS_exit || nr == LIND_SYS_exit_group ||
	       nr == LIND_SYS_lind_cancel || nr == LIND_SYS_lind_refused;
}

int relay_policy(uint32_t deny, const Lind__Request *req, const char **cls)
{
	*cls = NULL;
	if (!deny || policy_exempt(req->nr))
		return 0;
	uint32_t hit = lind_call_classes(req->nr, req->args,
					 req->n_args < 6 ? req->n_args : 6) &
		       deny;
	if (!hit)
		return 0;
	/* the narrowest reason: write before file, exec before proc */
	uint32_t bit = hit & LC_WRITE ? LC_WRITE
		       : hit & LC_EXEC ? LC_EXEC
				       : hit & -hit;
	*cls = lind_class_name(bit);
	return -EPERM;
}
