/* SPDX-License-Identifier: MIT */
/*
 * libioasid contexts: one per iommufd (/dev/iommu, an fd handed in, or the
 * simulator), and the options of the context as a whole.  Everything else
 * lives in a context.
 */
#ifndef IOASID_CTX_H
#define IOASID_CTX_H

#include <stdbool.h>
#include <stddef.h>

#include <ioasid/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Context                                                              */

struct ioasid_ctx;

enum ioasid_backend {
	/* $IOASID_BACKEND, else ioasid.conf(5), else the kernel. */
	IOASID_BACKEND_DEFAULT = 0,
	IOASID_BACKEND_KERNEL = 1,
	IOASID_BACKEND_SIM = 2, /* in-process simulator */
};

struct ioasid_ctx_opts {
	size_t sz;
	enum ioasid_backend backend;
	/* Simulator: topology file (see ioasid-topology(5)).  NULL means
	 * the built-in x86 server topology. */
	const char *topology;
	/* Kernel: path of the iommufd node; NULL means /dev/iommu. */
	const char *dev_iommu;
	/* ioasid_ctx_from_fd(): close the adopted fd in ioasid_ctx_close(). */
	bool own_fd;
	/* Kernel: inspect only, without opening /dev/iommu, for kernels
	 * built without CONFIG_IOMMUFD.  Devices, groups, reserved regions
	 * and ioasid_dev_set_driver() work (they read sysfs); calls that
	 * need the iommufd fail with -EBADF.  The simulator ignores it. */
	bool inspect_only;
	/* Added in 0.2.  The configuration file (see ioasid.conf(5)): NULL
	 * means $IOASID_CONFIG if set, else /etc/ioasid/ioasid.conf if it
	 * exists; "" means none.  Its [defaults] apply to contexts opened
	 * with IOASID_BACKEND_DEFAULT (explicit options win over the
	 * environment, IOASID_BACKEND and IOASID_TOPOLOGY, which win over
	 * the file), its [device] overrides to every device report. */
	const char *config;
	size_t : 0;
};
#define ioasid_ctx_opts__last_field config

/*
 * ioasid_ctx_open - open a context on the backend @opts names.
 * @opts: NULL for the defaults: the kernel backend with /dev/iommu,
 *        unless the environment or ioasid.conf(5) chooses otherwise.
 * @ctxp: receives the context.
 *
 * Return: 0, -ENOENT (no /dev/iommu, topology or configuration file),
 * -EACCES, -EINVAL (bad options, a bad IOASID_BACKEND, or a bad
 * topology or configuration file: the message gives FILE:LINE).
 */
IOASID_API int ioasid_ctx_open(const struct ioasid_ctx_opts *opts,
			       struct ioasid_ctx **ctxp);

/*
 * ioasid_ctx_from_fd - adopt an iommufd that a manager opened and passed
 * in (for example libvirt handing QEMU "-object iommufd,fd=N").
 *
 * The fd stays the caller's unless @opts->own_fd is set.  Return: 0,
 * -EBADF if @fd is not open, -ENOTTY if it is not an iommufd.
 */
IOASID_API int ioasid_ctx_from_fd(int fd, const struct ioasid_ctx_opts *opts,
				  struct ioasid_ctx **ctxp);

/*
 * ioasid_ctx_close - close every device opened from @ctx, then the
 * context.  The kernel destroys every object when its iommufd closes.
 * NULL is allowed.
 */
IOASID_API void ioasid_ctx_close(struct ioasid_ctx *ctx);

/* ioasid_ctx_fd - the iommufd of a kernel context; -EOPNOTSUPP for the
 * simulator. */
IOASID_API int ioasid_ctx_fd(struct ioasid_ctx *ctx);

/* ioasid_ctx_backend - "kernel" or "sim". */
IOASID_API const char *ioasid_ctx_backend(struct ioasid_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Accounting of pinned memory (IOMMU_OPTION)                           */

/* How the kernel charges pinned pages against RLIMIT_MEMLOCK. */
enum ioasid_rlimit_mode {
	IOASID_RLIMIT_PER_USER = 0,	/* the default */
	IOASID_RLIMIT_PER_PROCESS = 1,	/* what libvirt selects */
};

/*
 * ioasid_ctx_set_rlimit_mode - choose the accounting of pinned memory for
 * this context.  Needs CAP_SYS_RESOURCE, and a context without objects.
 *
 * Return: 0; -EPERM; -EBUSY (objects exist); -EINVAL (unknown mode).
 */
IOASID_API int ioasid_ctx_set_rlimit_mode(struct ioasid_ctx *ctx,
					  enum ioasid_rlimit_mode mode);
IOASID_API int ioasid_ctx_get_rlimit_mode(struct ioasid_ctx *ctx,
					  enum ioasid_rlimit_mode *mode);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_CTX_H */
