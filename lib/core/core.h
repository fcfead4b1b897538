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

struct ioasid_ctx {
	const struct ioasid_backend_ops *ops;
	void *be;
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
 * @what and set errno.  Return: @rc.  (lib/core/ioasid.c)
 */
void ioasid_ctx_enter(struct ioasid_ctx *ctx);
int ioasid_ctx_leave(struct ioasid_ctx *ctx, int rc, const char *what);

#endif /* IOASID_LIB_CORE_H */
