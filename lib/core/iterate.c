// SPDX-License-Identifier: MIT
/*
 * Iteration: what an IOAS maps (ioasid_ioas_for_each_mapping()) and the
 * IOAS and HWPT objects of a context (ioasid_ctx_for_each_object()).
 *
 * Both take a snapshot from the backend under the context lock, then call
 * the caller's function with the lock dropped, so that the function may
 * call the library (even change what is being walked) without deadlock,
 * and the walk stays the state of one moment.
 */
#include <errno.h>
#include <stdlib.h>

#include "core.h"

/* A first guess at the array size; the backend says how many otherwise. */
#define SNAPSHOT_FIRST 32u

/*
 * Ask @get (one backend call, the context lock held) for its array of
 * @size-byte entries until it fits: *@out is the malloc'ed array (NULL
 * when empty), *@num its length.
 */
typedef int (*snapshot_fn)(struct ioasid_ctx *ctx, const void *arg, void *arr,
			   uint32_t *num);

static int snapshot(struct ioasid_ctx *ctx, snapshot_fn get, const void *arg,
		    size_t size, void **out, uint32_t *num)
{
	uint32_t cap = SNAPSHOT_FIRST;
	void *arr = NULL;
	int rc;

	for (;;) {
		void *grown = realloc(arr, (size_t)cap * size);
		uint32_t n = cap;

		if (!grown) {
			free(arr);
			return ioasid_fail(-ENOMEM, "out of memory for %u entries",
					   cap);
		}
		arr = grown;
		rc = get(ctx, arg, arr, &n);
		if (rc == -EMSGSIZE && n > cap) {
			ioasid_clear_error();
			cap = n;
			continue;
		}
		if (rc) {
			free(arr);
			return rc;
		}
		*out = arr;
		*num = n;
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Mappings                                                             */

struct mappings_arg {
	uint32_t ioas_id;
	uint64_t first, last;
};

static int get_mappings(struct ioasid_ctx *ctx, const void *arg_, void *arr,
			uint32_t *num)
{
	const struct mappings_arg *a = arg_;

	return BE_CALL(ctx, ioas_mappings, "mapping records", a->ioas_id,
		       a->first, a->last, arr, num);
}

int ioasid_ioas_for_each_mapping(struct ioasid_ctx *ctx, uint32_t ioas_id,
				 const struct ioasid_mapping_opts *opts,
				 ioasid_mapping_fn fn, void *data)
{
	struct mappings_arg a = { .ioas_id = ioas_id, .last = UINT64_MAX };
	struct ioasid_mapping *maps = NULL;
	uint64_t length;
	uint32_t num = 0;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(fn);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_mapping_opts),
			       "ioasid_mapping_opts");
	if (rc)
		return rc;
	a.first = IOASID_OPTS_GET(opts, iova, 0);
	length = IOASID_OPTS_GET(opts, length, 0);
	if (length) {
		if (length - 1 > UINT64_MAX - a.first)
			return ioasid_fail(-EINVAL,
					   "ioasid_mapping_opts: iova 0x%llx + length 0x%llx wraps",
					   (unsigned long long)a.first,
					   (unsigned long long)length);
		a.last = a.first + (length - 1);
	}

	ioasid_ctx_enter(ctx);
	rc = snapshot(ctx, get_mappings, &a, sizeof(*maps), (void **)&maps,
		      &num);
	rc = ioasid_ctx_leave(ctx, rc, "listing the mappings of an IOAS");
	if (rc)
		return rc;
	for (uint32_t i = 0; i < num && !rc; i++) {
		maps[i].sz = sizeof(maps[i]);
		rc = fn(&maps[i], data);
	}
	free(maps);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Objects                                                              */

static int get_objects(struct ioasid_ctx *ctx, const void *arg, void *arr,
		       uint32_t *num)
{
	(void)arg;
	return BE_CALL(ctx, objects, "object records", arr, num);
}

static struct ioasid_object *find_obj(struct ioasid_object *objs, uint32_t num,
				      uint32_t id)
{
	/* The backends answer in id order. */
	uint32_t lo = 0, hi = num;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (objs[mid].id == id)
			return &objs[mid];
		if (objs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The IOAS under @o: itself, the IOAS of a paging HWPT, or that of a
 * nested HWPT's parent HWPT (a vIOMMU parent is not an object listed
 * here: none). */
static struct ioasid_object *ioas_of(struct ioasid_object *objs, uint32_t num,
				     struct ioasid_object *o)
{
	for (int depth = 0; o && depth < 4; depth++) {
		if (o->type == IOASID_OBJECT_IOAS)
			return o;
		if (o->ioas_id)
			return find_obj(objs, num, o->ioas_id);
		o = o->parent ? find_obj(objs, num, o->parent) : NULL;
	}
	return NULL;
}

/* Count the context's attached devices on the objects; the lock held. */
static void count_devices(struct ioasid_ctx *ctx, struct ioasid_object *objs,
			  uint32_t num)
{
	for (struct ioasid_dev *d = ctx->devs; d; d = d->next) {
		struct ioasid_object *on = NULL, *ioas;

		if (!d->bound || !d->pt_id)
			continue;
		if (d->hwpt_id)
			on = find_obj(objs, num, d->hwpt_id);
		if (!on || on->type != IOASID_OBJECT_HWPT)
			on = find_obj(objs, num, d->pt_id);
		if (!on)
			continue;
		if (on->type == IOASID_OBJECT_HWPT)
			on->devices++;
		ioas = ioas_of(objs, num, on);
		if (ioas)
			ioas->devices++;
	}
}

int ioasid_ctx_for_each_object(struct ioasid_ctx *ctx,
			       const struct ioasid_object_opts *opts,
			       ioasid_object_fn fn, void *data)
{
	struct ioasid_object *objs = NULL;
	uint32_t num = 0, type;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(fn);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_object_opts),
			       "ioasid_object_opts");
	if (rc)
		return rc;
	type = IOASID_OPTS_GET(opts, type, 0);
	if (type > IOASID_OBJECT_HWPT)
		return ioasid_fail(-EINVAL,
				   "ioasid_object_opts: type %u is not an IOASID_OBJECT_* type",
				   type);

	ioasid_ctx_enter(ctx);
	rc = snapshot(ctx, get_objects, NULL, sizeof(*objs), (void **)&objs,
		      &num);
	if (!rc) {
		for (uint32_t i = 0; i < num; i++)
			objs[i].devices = 0;
		count_devices(ctx, objs, num);
	}
	rc = ioasid_ctx_leave(ctx, rc, "listing the objects of a context");
	if (rc)
		return rc;
	for (uint32_t i = 0; i < num && !rc; i++) {
		if (type && objs[i].type != type)
			continue;
		objs[i].sz = sizeof(objs[i]);
		rc = fn(&objs[i], data);
	}
	free(objs);
	return rc;
}
