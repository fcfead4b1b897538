// SPDX-License-Identifier: MIT
/*
 * Contexts: open (choosing the backend and reading ioasid.conf, which the
 * context keeps), close, the context lock every call takes, and the
 * context-wide options.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core.h"
#include "kernel.h"

const char *ioasid_version_string(void)
{
	return IOASID_VERSION_STRING;
}

unsigned int ioasid_version_major(void)
{
	return IOASID_VERSION_MAJOR;
}

unsigned int ioasid_version_minor(void)
{
	return IOASID_VERSION_MINOR;
}

/* ------------------------------------------------------------------ */
/* Entering and leaving a call                                          */

void ioasid_ctx_enter(struct ioasid_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
}

/*
 * Leave a call: unlock, and if it failed without a message (a backend that
 * had nothing to add), give it a generic one naming @what.
 */
int ioasid_ctx_leave(struct ioasid_ctx *ctx, int rc, const char *what)
{
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0) {
		if (!ioasid_has_errmsg())
			ioasid_fail(rc, "%s: %s", what, strerror(-rc));
		errno = -rc;
	}
	return rc;
}

int ioasid_ctx_no_op(const struct ioasid_ctx *ctx, const char *what)
{
	return ioasid_fail(-EOPNOTSUPP, "the %s backend has no %s",
			   ctx->ops->name, what);
}

/* ------------------------------------------------------------------ */
/* Contexts                                                             */

/* The context of backend @be, which owns @cfg (may be NULL) from now on,
 * also on failure. */
static int ctx_create(const struct ioasid_backend_ops *ops, void *be,
		      struct ioasid_config *cfg, struct ioasid_ctx **ctxp)
{
	struct ioasid_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx) {
		if (ops->close)
			ops->close(be);
		ioasid_config_free(cfg);
		return ioasid_fail(-ENOMEM, "out of memory for a context");
	}
	ctx->ops = ops;
	ctx->be = be;
	ctx->cfg = cfg;
	pthread_mutex_init(&ctx->lock, NULL);
	*ctxp = ctx;
	return 0;
}

/* The backend of a context opened with IOASID_BACKEND_DEFAULT: the
 * environment, then the configuration, then the kernel. */
static int default_backend(const struct ioasid_config *cfg,
			   enum ioasid_backend *backend, bool *from_env)
{
	const char *env = getenv("IOASID_BACKEND");

	*from_env = false;
	if (env && *env) {
		*from_env = true;
		if (!strcmp(env, "kernel"))
			*backend = IOASID_BACKEND_KERNEL;
		else if (!strcmp(env, "sim"))
			*backend = IOASID_BACKEND_SIM;
		else
			return ioasid_fail(-EINVAL,
					   "environment IOASID_BACKEND=%s: expected kernel or sim",
					   env);
		return 0;
	}
	*backend = ioasid_config_backend(cfg);
	if (*backend == IOASID_BACKEND_DEFAULT)
		*backend = IOASID_BACKEND_KERNEL;
	return 0;
}

/* The start of both ways to open a context: the output cleared, the
 * options checked, the backend they ask for. */
static int ctx_opts_begin(const struct ioasid_ctx_opts *opts,
			  struct ioasid_ctx **ctxp, enum ioasid_backend *backend)
{
	int rc;

	ioasid_clear_error();
	CHECK_PTR(ctxp);
	*ctxp = NULL;
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_ctx_opts),
			       "ioasid_ctx_opts");
	if (rc)
		return rc;
	*backend = IOASID_OPTS_GET(opts, backend, IOASID_BACKEND_DEFAULT);
	return 0;
}

int ioasid_ctx_open(const struct ioasid_ctx_opts *opts,
		    struct ioasid_ctx **ctxp)
{
	const struct ioasid_backend_ops *ops;
	struct ioasid_config *cfg = NULL;
	enum ioasid_backend backend;
	const char *topology, *env;
	bool from_env = false;
	void *be;
	int rc;

	rc = ctx_opts_begin(opts, ctxp, &backend);
	if (rc)
		return rc;
	topology = IOASID_OPTS_GET(opts, topology, NULL);
	if (backend != IOASID_BACKEND_DEFAULT && backend != IOASID_BACKEND_KERNEL &&
	    backend != IOASID_BACKEND_SIM)
		return ioasid_fail(-EINVAL, "opts.backend %d is unknown",
				   (int)backend);
	rc = ioasid_config_open(IOASID_OPTS_GET(opts, config, NULL), &cfg);
	if (rc)
		return rc;
	if (backend == IOASID_BACKEND_DEFAULT) {
		rc = default_backend(cfg, &backend, &from_env);
		if (rc)
			goto fail;
		/* Explicit options > environment > configuration >
		 * built-in, for the topology as for the backend. */
		env = getenv("IOASID_TOPOLOGY");
		if (backend == IOASID_BACKEND_SIM && !topology)
			topology = env && *env ? env : ioasid_config_topology(cfg);
	}
	switch (backend) {
	case IOASID_BACKEND_KERNEL:
		if (topology) {
			rc = ioasid_fail(-EINVAL,
					 "opts.topology is only for the simulator backend");
			goto fail;
		}
		if (IOASID_OPTS_GET(opts, inspect_only, false))
			rc = ioasid_kernel_open_inspect(&ops, &be);
		else
			rc = ioasid_kernel_open(IOASID_OPTS_GET(opts, dev_iommu,
								NULL),
						-1, false, &ops, &be);
		break;
	default:
		if (IOASID_OPTS_GET(opts, dev_iommu, NULL)) {
			rc = ioasid_fail(-EINVAL,
					 "opts.dev_iommu is only for the kernel backend");
			goto fail;
		}
		rc = ioasid_sim_open(topology, &ops, &be);
		break;
	}
	if (rc < 0) {
		if (!ioasid_has_errmsg())
			ioasid_fail(rc, "opening the %s backend%s: %s",
				    backend == IOASID_BACKEND_SIM ? "sim" : "kernel",
				    from_env ? " (IOASID_BACKEND)" : "",
				    strerror(-rc));
		goto fail;
	}
	return ctx_create(ops, be, cfg, ctxp);
fail:
	ioasid_config_free(cfg);
	return rc;
}

int ioasid_ctx_from_fd(int fd, const struct ioasid_ctx_opts *opts,
		       struct ioasid_ctx **ctxp)
{
	const struct ioasid_backend_ops *ops;
	struct ioasid_config *cfg = NULL;
	enum ioasid_backend backend;
	void *be;
	int rc;

	rc = ctx_opts_begin(opts, ctxp, &backend);
	if (rc)
		return rc;
	if (backend != IOASID_BACKEND_DEFAULT && backend != IOASID_BACKEND_KERNEL)
		return ioasid_fail(-EINVAL,
				   "ioasid_ctx_from_fd() adopts a kernel iommufd; opts.backend must be the kernel");
	if (IOASID_OPTS_GET(opts, topology, NULL) ||
	    IOASID_OPTS_GET(opts, dev_iommu, NULL))
		return ioasid_fail(-EINVAL,
				   "opts.topology and opts.dev_iommu do not apply to an adopted fd");
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return ioasid_fail(-EBADF, "fd %d is not an open file descriptor",
				   fd);
	rc = ioasid_config_open(IOASID_OPTS_GET(opts, config, NULL), &cfg);
	if (rc)
		return rc;
	rc = ioasid_kernel_open(NULL, fd, IOASID_OPTS_GET(opts, own_fd, false),
				&ops, &be);
	if (rc < 0) {
		if (!ioasid_has_errmsg())
			ioasid_fail(rc, "adopting fd %d: %s", fd, strerror(-rc));
		ioasid_config_free(cfg);
		return rc;
	}
	return ctx_create(ops, be, cfg, ctxp);
}

void ioasid_dev_free(struct ioasid_dev *dev);

void ioasid_ctx_close(struct ioasid_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->devs)
		ioasid_dev_free(ctx->devs);
	if (ctx->ops->close)
		ctx->ops->close(ctx->be);
	ioasid_config_free(ctx->cfg);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

int ioasid_ctx_fd(struct ioasid_ctx *ctx)
{
	CHECK_CTX(ctx);
	LOCKED_CALL(ctx, "ioasid_ctx_fd", ctx_fd, "iommufd");
}

const char *ioasid_ctx_backend(struct ioasid_ctx *ctx)
{
	return ctx ? ctx->ops->name : NULL;
}

/* ------------------------------------------------------------------ */
/* IOMMU capabilities and options                                       */

int ioasid_ctx_set_rlimit_mode(struct ioasid_ctx *ctx,
			       enum ioasid_rlimit_mode mode)
{
	uint64_t val = (uint64_t)mode;

	CHECK_CTX(ctx);
	/* iommufd_option_rlimit_mode() checks the value last, after the
	 * capability and the objects: the backend's. */
	LOCKED_CALL(ctx, "setting the rlimit mode", option, "IOMMU_OPTION",
		    true, IOASID_OPTION_RLIMIT_MODE, 0, &val);
}

int ioasid_ctx_get_rlimit_mode(struct ioasid_ctx *ctx,
			       enum ioasid_rlimit_mode *mode)
{
	uint64_t val = 0;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(mode);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, option, "IOMMU_OPTION", false, IOASID_OPTION_RLIMIT_MODE,
		     0, &val);
	if (rc == 0)
		*mode = (enum ioasid_rlimit_mode)val;
	return ioasid_ctx_leave(ctx, rc, "reading the rlimit mode");
}
