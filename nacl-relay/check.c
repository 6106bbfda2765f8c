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

/* The row's IOCTL request argument, for IOCTL_ARG's direction. */
static int ioctl_dir(const struct lind_syscall *row, const int64_t *a,
		     int *size)
{
	for (int i = 0; i < 6; i++) {
		if (row->arg[i].kind == LK_IOCTL) {
			int dir;
			*size = lind_ioctl_size((uint64_t)a[i], &dir);
			return dir;
		}
	}
	*size = 0;
	return LIND_IOCTL_NONE;
}

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

/* An in-buffer of exactly want bytes, want within LIND_MAX_IO. */
static int check_in(const ProtobufCBinaryData *d, int64_t want,
		    const char **why)
{
	if (d->len > LIND_MAX_IO || want < 0 || (uint64_t)want != d->len) {
		*why = "in-data length is not its length argument";
		return -EINVAL;
	}
	return 0;
}

static int check_cap(int64_t cap, const char **why)
{
	if (cap < 0 || cap > LIND_MAX_IO) {
		*why = "out-buffer capacity over LIND_MAX_IO";
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

	int ioctl_size;
	int ioctl = ioctl_dir(row, a, &ioctl_size);
	size_t want = 0;
	for (int i = 0; i < 6; i++) {
		int k = row->arg[i].kind;
		if (lind_kind_is_in(k) ||
		    (k == LK_IOCTL_ARG && ioctl == LIND_IOCTL_IN))
			want++;
	}
	if (req->n_data != want) {
		*why = "data entries do not match the in-arguments";
		return -EINVAL;
	}

	size_t d = 0; /* next data entry */
	for (int i = 0; i < 6; i++) {
		const struct lind_arg *arg = &row->arg[i];
		assert(arg->len < 6); /* table invariant, see test_proto_table */
		int rc = 0;
		switch (arg->kind) {
		case LK_PATH:
			rc = check_path(&req->data[d++], why);
			break;
		case LK_IN:
			rc = check_in(&req->data[d++], a[arg->len], why);
			break;
		case LK_IOV_IN:
			/* the client sends the gathered total in the pointer slot */
			rc = check_in(&req->data[d++], a[i], why);
			break;
		case LK_OUT:
			rc = check_cap(a[arg->len], why);
			break;
		case LK_IOV_OUT:
			rc = check_cap(a[i], why);
			break;
		case LK_IOCTL_ARG:
			if (ioctl == LIND_IOCTL_IN)
				rc = check_in(&req->data[d++], ioctl_size, why);
			else if (ioctl == LIND_IOCTL_OUT)
				rc = check_cap(a[i], why);
			break;
		default:
			break;
		}
		if (rc < 0)
			return rc;
	}
	assert(d == want);
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
