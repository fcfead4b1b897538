/* SPDX-License-Identifier: MIT */
/* Shared by the logic layer and the backends; never installed. */
#ifndef IOASID_LIB_INTERNAL_H
#define IOASID_LIB_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/ioasid.h>

#include "backend.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * ioasid_fail - record a failure of the current call: the message goes to
 * the calling thread's error buffer (see ioasid_errmsg()) and to the log
 * at debug level, errno is set to -@err.
 * @err: a negative errno.
 *
 * Return: @err, so callers write "return ioasid_fail(-EINVAL, ...);".
 */
int ioasid_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Forget the thread's last message (at the start of every public call). */
void ioasid_clear_error(void);
/* Whether the current call has set a message yet. */
bool ioasid_has_errmsg(void);

/* Log through the user's callback (default: warnings to stderr). */
void ioasid_log(enum ioasid_print_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * ioasid_opts_check - validate a caller's options struct: NULL is fine;
 * otherwise sz must cover at least the sz member, and bytes beyond the
 * @known size must be zero.
 * @name: the struct's name for the message.
 */
int ioasid_opts_check(const void *opts, size_t known, const char *name);

/* Bytes of an options struct this build knows: its whole size, so that
 * padding inside it (never initialised by a designated initialiser) is
 * not mistaken for unknown fields.  New fields go after the old end. */
#define IOASID_OPTS_KNOWN(TYPE) sizeof(struct TYPE)

/* Read a field of a caller's options struct, or @fallback if the struct
 * is NULL or too small to hold it. */
#define IOASID_OPTS_GET(opts, field, fallback)                             \
	(((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +    \
			       sizeof((opts)->field)) ?                     \
		 (opts)->field :                                            \
		 (fallback))

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
 * @what and set errno.  Return: @rc.  (lib/ioasid.c)
 */
void ioasid_ctx_enter(struct ioasid_ctx *ctx);
int ioasid_ctx_leave(struct ioasid_ctx *ctx, int rc, const char *what);

/* Parse "0000:00:03.0" or "00:03.0" into the canonical 12-character
 * form; -EINVAL if @s is not a PCI address. */
int ioasid_parse_pci_addr(const char *s, char out[IOASID_NAME_MAX]);

#endif /* IOASID_LIB_INTERNAL_H */
