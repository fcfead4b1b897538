/* SPDX-License-Identifier: MIT */
/* The context and device of the public API (lib/core); never installed. */
#ifndef IOASID_LIB_CORE_H
#define IOASID_LIB_CORE_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/ioasid.h>

#include "backend.h"
#include "util.h"

struct ioasid_config;

struct ioasid_ctx {
	const struct ioasid_backend_ops *ops;
	void *be;
	/* ioasid.conf(5), applied to every device report; may be NULL. */
	struct ioasid_config *cfg;
	pthread_mutex_t lock;
	struct ioasid_dev *devs; /* open devices, newest first */
};

struct ioasid_dev {
	struct ioasid_ctx *ctx;
	struct ioasid_dev *next;
	void *bdev;		  /* the backend's handle */
	char name[IOASID_NAME_MAX]; /* canonical: PCI address or UUID */
	int32_t group;		  /* IOMMU group, -1 if none */
	bool bound;
	uint32_t dev_id;
	uint32_t pt_id;	  /* 0 when detached */
	uint32_t hwpt_id;
};

/*
 * ioasid_ctx_enter, ioasid_ctx_leave - the one way into and out of a call
 * that touches a context's state: take the context lock; then drop it and,
 * if @rc is a failure without a message yet, give it a generic one naming
 * @what and set errno.  Return: @rc.  (lib/core/ctx.c)
 */
void ioasid_ctx_enter(struct ioasid_ctx *ctx);
int ioasid_ctx_leave(struct ioasid_ctx *ctx, int rc, const char *what);

/*
 * The preamble of every public entry point: forget the thread's last
 * message, then refuse a NULL context, device or pointer argument by name.
 */
#define CHECK_CTX(ctx)                                                      \
	do {                                                                \
		ioasid_clear_error();                                       \
		if (!(ctx))                                                 \
			return ioasid_fail(-EINVAL, "ctx is NULL");         \
	} while (0)

#define CHECK_DEV(dev)                                                      \
	do {                                                                \
		ioasid_clear_error();                                       \
		if (!(dev))                                                 \
			return ioasid_fail(-EINVAL, "dev is NULL");         \
	} while (0)

#define CHECK_PTR(p)                                                        \
	do {                                                                \
		if (!(p))                                                   \
			return ioasid_fail(-EINVAL, #p " is NULL");         \
	} while (0)

/*
 * BE_CALL - call operation @op of @ctx's backend with the backend's handle
 * and the arguments that follow.  The seam's one rule
 * (lib/backend/backend.h): a backend without @op (NULL) does not have it,
 * and the call answers -EOPNOTSUPP, "the <backend> backend has no @what".
 */
#define BE_CALL(ctx, op, what, ...)                                         \
	((ctx)->ops->op ? (ctx)->ops->op((ctx)->be, ##__VA_ARGS__)          \
			: ioasid_ctx_no_op(ctx, what))

/* -EOPNOTSUPP and the message of BE_CALL() (lib/core/ctx.c). */
int ioasid_ctx_no_op(const struct ioasid_ctx *ctx, const char *what);

/*
 * The end of an entry point that is one backend call under the context
 * lock, after its argument checks: BE_CALL(), and @done naming the action
 * in a generic message.  BOUND_CALL is the same for a device, which must
 * be bound (checked under the lock, since binding changes under it).
 */
#define LOCKED_CALL(ctx, done, op, what, ...)                               \
	do {                                                                \
		int rc_;                                                    \
		ioasid_ctx_enter(ctx);                                      \
		rc_ = BE_CALL(ctx, op, what, ##__VA_ARGS__);                \
		return ioasid_ctx_leave(ctx, rc_, done);                    \
	} while (0)

/* An array argument and its in/out count: the count must be there, the
 * array too unless the count is 0 (a query of the size). */
#define CHECK_ARRAY(arr, num)                                               \
	do {                                                                \
		CHECK_PTR(num);                                             \
		if (*(num) && !(arr))                                       \
			return ioasid_fail(-EINVAL, #arr " is NULL");       \
	} while (0)

#define BOUND_CALL(dev, done, op, what, ...)                                \
	do {                                                                \
		struct ioasid_ctx *ctx_ = (dev)->ctx;                       \
		int rc_;                                                    \
		ioasid_ctx_enter(ctx_);                                     \
		rc_ = ioasid_dev_need_bound(dev);                           \
		if (!rc_)                                                   \
			rc_ = BE_CALL(ctx_, op, what, ##__VA_ARGS__);       \
		return ioasid_ctx_leave(ctx_, rc_, done);                   \
	} while (0)

/* Refuse a device that is not bound (ioasid_dev_bind()); called with the
 * context lock held, since binding changes under it. */
static inline int ioasid_dev_need_bound(const struct ioasid_dev *dev)
{
	if (!dev->bound)
		return ioasid_fail(-EINVAL,
				   "device %s is not bound: call ioasid_dev_bind() first",
				   dev->name);
	return 0;
}

/* Unlink @dev from its context and free it; the caller holds the lock or
 * owns the context (lib/core/dev.c). */
void ioasid_dev_free(struct ioasid_dev *dev);

/*
 * ioasid_ctx_dev_info_at, ioasid_ctx_dev_info_get - the one way core reads
 * a device report: the backend's (what the host or the topology says),
 * finished with the class rules of lib/model and then the context's
 * ioasid.conf(5).  @info is a whole struct; called with the context lock
 * held (lib/core/inventory.c).
 */
int ioasid_ctx_dev_info_at(struct ioasid_ctx *ctx, uint32_t index,
			   struct ioasid_dev_info *info);
int ioasid_ctx_dev_info_get(struct ioasid_ctx *ctx, const char *name,
			    struct ioasid_dev_info *info);

/* Refuse a device name that is none of the forms a device may be named
 * by (lib/core/inventory.c). */
int ioasid_check_dev_name(const char *name);

/* Check a caller's output struct @info (named @name): non-NULL, sz at
 * least the sz member. */
int ioasid_check_info(const void *info, const char *name);
/* Fill the caller's struct, which may be older and smaller than ours, with
 * the first @known bytes of ours: IOASID_OPTS_KNOWN() of its type, so that
 * our tail padding never lands on a newer caller's member there. */
void ioasid_copy_out(void *dst, const void *src, size_t known);

#endif /* IOASID_LIB_CORE_H */
