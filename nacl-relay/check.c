/*
 * Frame validation, driven only by the call's table row: a cage controls
 * every byte of its frame, so nothing here trusts a length it did not
 * check against the row and the limits of proto/protocol.h.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "relay.h"
#include "syscall.h"

/* The row's request argument (ioctl or fcntl), for IOCTL_ARG's
 * direction. */
static int ioctl_dir(const struct lind_syscall *row, const int64_t *a,
		     int *size)
{
	int dir, i = lind_req_index(row);
	*size = lind_req_size(row, i < 0 ? 0 : (uint64_t)a[i], &dir);
	return dir;
}

static int check_path(const ProtobufCBinaryData *d)
{
	if (d->len >= LIND_MAX_PATH)
		return -ENAMETOOLONG;
	if (d->len && memchr(d->data, '\0', d->len))
		return -EINVAL;
	return 0;
}

/* An in-buffer of exactly want bytes, want within LIND_MAX_IO. */
static int check_in(const ProtobufCBinaryData *d, int64_t want)
{
	if (d->len > LIND_MAX_IO || want < 0 || (uint64_t)want != d->len)
		return -EINVAL;
	return 0;
}

static int check_cap(int64_t cap)
{
	return cap < 0 || cap > LIND_MAX_IO ? -EINVAL : 0;
}

/* A struct argument: its slot says NULL (0) or the row's size. */
static int check_obj(const struct lind_arg *arg, int64_t slot)
{
	return slot == 0 || slot == arg->len ? 0 : -EINVAL;
}

int relay_check(const Lind__Request *req)
{
	const struct lind_syscall *row = lind_syscall_row(req->nr);
	if (!row)
		return -ENOSYS;
	/* protobuf-c keeps unknown fields and packs them again; some (field
	 * number 0) it accepts here but not in the server's unpack, which
	 * then cannot even answer: forward only fields the table knows */
	if (req->base.n_unknown_fields)
		return -EINVAL;
	if (req->n_args > 6)
		return -EINVAL;
	int64_t a[6] = {0};
	if (req->n_args)
		memcpy(a, req->args, req->n_args * sizeof a[0]);

	int ioctl_size;
	int ioctl = ioctl_dir(row, a, &ioctl_size);
	size_t want = 0;
	for (int i = 0; i < 6; i++) {
		int k = row->arg[i].kind;
		if (lind_kind_is_in(k) ||
		    (k == LK_IOCTL_ARG && (ioctl == LIND_IOCTL_IN ||
					   ioctl == LIND_IOCTL_IO)))
			want++;
	}
	if (req->n_data != want)
		return -EINVAL;

	size_t d = 0; /* next data entry */
	for (int i = 0; i < 6; i++) {
		const struct lind_arg *arg = &row->arg[i];
		/* table invariant, see test_proto_table */
		assert(!lind_kind_has_len(arg->kind) || arg->len < 6);
		int rc = 0;
		switch (arg->kind) {
		case LK_PATH:
			rc = check_path(&req->data[d++]);
			break;
		case LK_IN:
			rc = check_in(&req->data[d++], a[arg->len]);
			break;
		case LK_IOV_IN:
			/* the client sends the gathered total in the pointer slot */
			rc = check_in(&req->data[d++], a[i]);
			break;
		case LK_OUT:
			rc = check_cap(a[arg->len]);
			break;
		case LK_IOV_OUT:
			rc = check_cap(a[i]);
			break;
		case LK_OBJ_IN:
		case LK_OBJ_IO: /* the struct, or nothing for NULL */
			rc = check_obj(arg, a[i]);
			if (rc == 0)
				rc = check_in(&req->data[d++], a[i]);
			break;
		case LK_OBJ_OUT:
			rc = check_obj(arg, a[i]);
			break;
		case LK_IOCTL_ARG:
			if (ioctl == LIND_IOCTL_IN || ioctl == LIND_IOCTL_IO)
				rc = check_in(&req->data[d++], ioctl_size);
			if (rc == 0 && (ioctl == LIND_IOCTL_OUT ||
					ioctl == LIND_IOCTL_IO))
				rc = check_cap(a[i]);
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
