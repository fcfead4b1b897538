// SPDX-License-Identifier: MIT
/*
 * The logic layer: every public call enters here, checks what needs no
 * backend state, takes the context lock and makes exactly one call across
 * the backend seam (lib/backend/backend.h).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core.h"
#include "kernel.h"

#define MAP_FLAGS_KNOWN (IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_ANY_IOVA)

/* Kernel's iommufd rejects IOVAs and lengths of ULONG_MAX and above
 * (iommufd_ioas_map, iommufd_ioas_unmap). */
#define IOVA_LIMIT UINT64_MAX

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

/* The short names this file has always used. */
#define ctx_lock ioasid_ctx_enter
#define ctx_unlock ioasid_ctx_leave

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

/* ------------------------------------------------------------------ */
/* Contexts                                                             */

static int ctx_create(const struct ioasid_backend_ops *ops, void *be,
		      struct ioasid_ctx **ctxp)
{
	struct ioasid_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx) {
		ops->close(be);
		return ioasid_fail(-ENOMEM, "out of memory for a context");
	}
	ctx->ops = ops;
	ctx->be = be;
	pthread_mutex_init(&ctx->lock, NULL);
	*ctxp = ctx;
	return 0;
}

/* Hand the configuration to the backend, which owns it from then on. */
static void ctx_set_config(const struct ioasid_backend_ops *ops, void *be,
			   struct ioasid_config *cfg)
{
	if (ops->set_config)
		ops->set_config(be, cfg);
	else
		ioasid_config_free(cfg);
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

	ioasid_clear_error();
	CHECK_PTR(ctxp);
	*ctxp = NULL;
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_ctx_opts),
			       "ioasid_ctx_opts");
	if (rc)
		return rc;
	backend = IOASID_OPTS_GET(opts, backend, IOASID_BACKEND_DEFAULT);
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
	ctx_set_config(ops, be, cfg);
	return ctx_create(ops, be, ctxp);
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

	ioasid_clear_error();
	CHECK_PTR(ctxp);
	*ctxp = NULL;
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_ctx_opts),
			       "ioasid_ctx_opts");
	if (rc)
		return rc;
	backend = IOASID_OPTS_GET(opts, backend, IOASID_BACKEND_DEFAULT);
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
	ctx_set_config(ops, be, cfg);
	return ctx_create(ops, be, ctxp);
}

static void dev_free(struct ioasid_dev *dev);

void ioasid_ctx_close(struct ioasid_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->devs)
		dev_free(ctx->devs);
	ctx->ops->close(ctx->be);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

int ioasid_ctx_fd(struct ioasid_ctx *ctx)
{
	int rc;

	CHECK_CTX(ctx);
	ctx_lock(ctx);
	rc = ctx->ops->ctx_fd(ctx->be);
	return ctx_unlock(ctx, rc, "ioasid_ctx_fd");
}

const char *ioasid_ctx_backend(struct ioasid_ctx *ctx)
{
	return ctx ? ctx->ops->name : NULL;
}

/* ------------------------------------------------------------------ */
/* IOAS                                                                 */

int ioasid_ioas_alloc(struct ioasid_ctx *ctx, uint32_t *ioas_id)
{
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(ioas_id);
	ctx_lock(ctx);
	rc = ctx->ops->ioas_alloc(ctx->be, ioas_id);
	return ctx_unlock(ctx, rc, "allocating an IOAS");
}

int ioasid_ioas_destroy(struct ioasid_ctx *ctx, uint32_t ioas_id)
{
	int rc;

	CHECK_CTX(ctx);
	ctx_lock(ctx);
	rc = ctx->ops->destroy(ctx->be, ioas_id, IOASID_OBJ_IOAS);
	return ctx_unlock(ctx, rc, "destroying an IOAS");
}

/*
 * Checks shared by map, map_file and copy, in the kernel's order
 * (iommufd_ioas_map): unknown flags, then sizes, then access.
 */
static int check_map_args(const struct ioasid_map_opts *opts, uint64_t length,
			  const uint64_t *iova, const char *iova_name,
			  uint32_t *flags)
{
	int rc;

	if (!iova)
		return ioasid_fail(-EINVAL, "%s is NULL", iova_name);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_map_opts),
			       "ioasid_map_opts");
	if (rc)
		return rc;
	*flags = IOASID_OPTS_GET(opts, flags,
				 IOASID_MAP_READ | IOASID_MAP_WRITE);
	if (*flags & ~MAP_FLAGS_KNOWN)
		return ioasid_fail(-EOPNOTSUPP,
				   "map flags 0x%x: bits 0x%x are not IOASID_MAP_* flags",
				   *flags, *flags & ~MAP_FLAGS_KNOWN);
	if (length == 0)
		return ioasid_fail(-EINVAL, "length is 0");
	if (length >= IOVA_LIMIT)
		return ioasid_fail(-EOVERFLOW, "length 0x%llx is too large",
				   (unsigned long long)length);
	if (!(*flags & IOASID_MAP_ANY_IOVA)) {
		if (*iova >= IOVA_LIMIT || *iova + (length - 1) < *iova)
			return ioasid_fail(-EOVERFLOW,
					   "%s 0x%llx + length 0x%llx overflows 64 bits",
					   iova_name, (unsigned long long)*iova,
					   (unsigned long long)length);
	}
	if (!(*flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)))
		return ioasid_fail(-EINVAL,
				   "map flags 0x%x grant neither IOASID_MAP_READ nor IOASID_MAP_WRITE",
				   *flags);
	return 0;
}

int ioasid_ioas_map(struct ioasid_ctx *ctx, uint32_t ioas_id, void *va,
		    uint64_t length, uint64_t *iova,
		    const struct ioasid_map_opts *opts)
{
	uint32_t flags;
	int rc;

	CHECK_CTX(ctx);
	rc = check_map_args(opts, length, iova, "iova", &flags);
	if (rc)
		return rc;
	if (!va)
		return ioasid_fail(-EFAULT, "va is NULL");
	if ((uintptr_t)va + (length - 1) < (uintptr_t)va)
		return ioasid_fail(-EOVERFLOW,
				   "va %p + length 0x%llx overflows the address space",
				   va, (unsigned long long)length);
	ctx_lock(ctx);
	rc = ctx->ops->ioas_map(ctx->be, ioas_id, flags, (uintptr_t)va, length,
				iova);
	return ctx_unlock(ctx, rc, "mapping into an IOAS");
}

int ioasid_ioas_map_file(struct ioasid_ctx *ctx, uint32_t ioas_id, int fd,
			 uint64_t start, uint64_t length, uint64_t *iova,
			 const struct ioasid_map_opts *opts)
{
	uint32_t flags;
	int rc;

	CHECK_CTX(ctx);
	rc = check_map_args(opts, length, iova, "iova", &flags);
	if (rc)
		return rc;
	if (fd < 0)
		return ioasid_fail(-EBADF, "fd %d is not a file descriptor", fd);
	if (start + (length - 1) < start)
		return ioasid_fail(-EOVERFLOW,
				   "file offset 0x%llx + length 0x%llx overflows 64 bits",
				   (unsigned long long)start,
				   (unsigned long long)length);
	ctx_lock(ctx);
	rc = ctx->ops->ioas_map_file(ctx->be, ioas_id, flags, fd, start, length,
				     iova);
	return ctx_unlock(ctx, rc, "mapping a file into an IOAS");
}

int ioasid_ioas_unmap(struct ioasid_ctx *ctx, uint32_t ioas_id, uint64_t iova,
		      uint64_t length, uint64_t *unmapped)
{
	uint64_t removed = 0;
	int rc;

	CHECK_CTX(ctx);
	/* 0 + UINT64_MAX is the kernel's "everything" (iommufd_ioas_unmap). */
	if (!(iova == 0 && length == UINT64_MAX)) {
		if (length == 0)
			return ioasid_fail(-EINVAL, "length is 0");
		if (iova >= IOVA_LIMIT || length >= IOVA_LIMIT ||
		    iova + (length - 1) < iova)
			return ioasid_fail(-EOVERFLOW,
					   "iova 0x%llx + length 0x%llx overflows 64 bits",
					   (unsigned long long)iova,
					   (unsigned long long)length);
	}
	ctx_lock(ctx);
	rc = ctx->ops->ioas_unmap(ctx->be, ioas_id, iova, length, &removed);
	if (rc == 0 && unmapped)
		*unmapped = removed;
	return ctx_unlock(ctx, rc, "unmapping from an IOAS");
}

int ioasid_ioas_unmap_all(struct ioasid_ctx *ctx, uint32_t ioas_id,
			  uint64_t *unmapped)
{
	return ioasid_ioas_unmap(ctx, ioas_id, 0, UINT64_MAX, unmapped);
}

int ioasid_ioas_copy(struct ioasid_ctx *ctx, uint32_t dst_ioas,
		     uint64_t *dst_iova, uint32_t src_ioas, uint64_t src_iova,
		     uint64_t length, const struct ioasid_map_opts *opts)
{
	uint32_t flags;
	int rc;

	CHECK_CTX(ctx);
	rc = check_map_args(opts, length, dst_iova, "dst_iova", &flags);
	if (rc)
		return rc;
	if (src_iova >= IOVA_LIMIT || src_iova + (length - 1) < src_iova)
		return ioasid_fail(-EOVERFLOW,
				   "src_iova 0x%llx + length 0x%llx overflows 64 bits",
				   (unsigned long long)src_iova,
				   (unsigned long long)length);
	ctx_lock(ctx);
	rc = ctx->ops->ioas_copy(ctx->be, dst_ioas, src_ioas, flags, length,
				 dst_iova, src_iova);
	return ctx_unlock(ctx, rc, "copying between IOASes");
}

int ioasid_ioas_iova_ranges(struct ioasid_ctx *ctx, uint32_t ioas_id,
			    struct ioasid_iova_range *ranges, uint32_t *num,
			    uint64_t *alignment)
{
	uint64_t align = 0;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(num);
	if (!ranges && *num)
		return ioasid_fail(-EINVAL, "ranges is NULL but *num is %u",
				   *num);
	ctx_lock(ctx);
	rc = ctx->ops->ioas_iova_ranges(ctx->be, ioas_id, ranges, num, &align);
	if ((rc == 0 || rc == -EMSGSIZE) && alignment)
		*alignment = align;
	return ctx_unlock(ctx, rc, "reading the IOVA ranges");
}

static int cmp_range(const void *a, const void *b)
{
	const struct ioasid_iova_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int ioasid_ioas_allow_iovas(struct ioasid_ctx *ctx, uint32_t ioas_id,
			    const struct ioasid_iova_range *ranges,
			    uint32_t num)
{
	struct ioasid_iova_range *sorted;
	uint32_t i;
	int rc;

	CHECK_CTX(ctx);
	if (num && !ranges)
		return ioasid_fail(-EINVAL, "ranges is NULL but num is %u", num);
	/* iommufd_ioas_load_iovas(): start >= last and overlaps are EINVAL. */
	for (i = 0; i < num; i++)
		if (ranges[i].start >= ranges[i].last)
			return ioasid_fail(-EINVAL,
					   "allowed range %u (0x%llx-0x%llx) needs start < last",
					   i, (unsigned long long)ranges[i].start,
					   (unsigned long long)ranges[i].last);
	if (num > 1) {
		sorted = malloc(num * sizeof(*sorted));
		if (!sorted)
			return ioasid_fail(-ENOMEM, "out of memory");
		memcpy(sorted, ranges, num * sizeof(*sorted));
		qsort(sorted, num, sizeof(*sorted), cmp_range);
		for (i = 1; i < num; i++)
			if (sorted[i].start <= sorted[i - 1].last) {
				rc = ioasid_fail(-EINVAL,
						 "allowed ranges 0x%llx-0x%llx and 0x%llx-0x%llx overlap",
						 (unsigned long long)sorted[i - 1].start,
						 (unsigned long long)sorted[i - 1].last,
						 (unsigned long long)sorted[i].start,
						 (unsigned long long)sorted[i].last);
				free(sorted);
				return rc;
			}
		free(sorted);
	}
	ctx_lock(ctx);
	rc = ctx->ops->ioas_allow_iovas(ctx->be, ioas_id, ranges, num);
	return ctx_unlock(ctx, rc, "setting the allowed IOVAs");
}

static bool is_uuid(const char *s)
{
	static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (strlen(s) != sizeof(pattern) - 1)
		return false;
	for (i = 0; pattern[i]; i++)
		if (pattern[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * The forms a device may be named by: a PCI address in either form, an
 * mdev UUID, a VFIO cdev path, or a CONFIG_IOMMUFD_TEST mock device
 * ("mock" followed by anything, which the backend checks further).
 */
static bool name_is_wellformed(const char *name)
{
	char canon[IOASID_NAME_MAX];

	return ioasid_parse_pci_addr(name, canon) == 0 || is_uuid(name) ||
	       !strncmp(name, "/dev/vfio/devices/", 18) ||
	       !strncmp(name, "mock", 4);
}

static int check_dev_name(const char *name)
{
	if (!name_is_wellformed(name))
		return ioasid_fail(-EINVAL,
				   "device name \"%s\" is not a PCI address (0000:00:03.0), an mdev UUID, a VFIO cdev path or a mock device name",
				   name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Inventory                                                            */

static int check_info(const void *info, const char *name)
{
	size_t sz;

	CHECK_PTR(info);
	sz = *(const size_t *)info;
	/* An output struct: the caller's may be older (smaller) than ours,
	 * and we fill only what fits. */
	if (sz < sizeof(size_t))
		return ioasid_fail(-EINVAL, "%s.sz is %zu, not set", name, sz);
	return 0;
}

/* Fill the caller's struct, which may be older and smaller than ours. */
static void copy_out(void *dst, const void *src, size_t ours)
{
	size_t sz = *(size_t *)dst;

	memcpy(dst, src, sz < ours ? sz : ours);
	*(size_t *)dst = sz;
}

int ioasid_dev_info_at(struct ioasid_ctx *ctx, uint32_t index,
		       struct ioasid_dev_info *info)
{
	struct ioasid_dev_info full = { .sz = sizeof(full) };
	int rc;

	CHECK_CTX(ctx);
	rc = check_info(info, "ioasid_dev_info");
	if (rc)
		return rc;
	ctx_lock(ctx);
	rc = ctx->ops->dev_info_at(ctx->be, index, &full);
	if (rc == 0)
		copy_out(info, &full, sizeof(full));
	else if (rc == -ENOENT && !ioasid_has_errmsg())
		ioasid_fail(rc, "device index %u is past the last device", index);
	return ctx_unlock(ctx, rc, "reading device information");
}

int ioasid_dev_info_get(struct ioasid_ctx *ctx, const char *name,
			struct ioasid_dev_info *info)
{
	struct ioasid_dev_info full = { .sz = sizeof(full) };
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(name);
	rc = check_info(info, "ioasid_dev_info");
	if (rc)
		return rc;
	rc = check_dev_name(name);
	if (rc)
		return rc;
	ctx_lock(ctx);
	rc = ctx->ops->dev_info_get(ctx->be, name, &full);
	if (rc == 0)
		copy_out(info, &full, sizeof(full));
	return ctx_unlock(ctx, rc, "reading device information");
}

int ioasid_group_info_at(struct ioasid_ctx *ctx, uint32_t index,
			 struct ioasid_group_info *info)
{
	struct ioasid_group_info full = { .sz = sizeof(full) };
	int rc;

	CHECK_CTX(ctx);
	rc = check_info(info, "ioasid_group_info");
	if (rc)
		return rc;
	ctx_lock(ctx);
	rc = ctx->ops->group_info_at(ctx->be, index, &full);
	if (rc == 0)
		copy_out(info, &full, sizeof(full));
	else if (rc == -ENOENT && !ioasid_has_errmsg())
		ioasid_fail(rc, "group index %u is past the last group", index);
	return ctx_unlock(ctx, rc, "reading group information");
}

int ioasid_group_resv_regions(struct ioasid_ctx *ctx, int32_t group,
			      struct ioasid_resv_region *regions,
			      uint32_t *num)
{
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(num);
	if (!regions && *num)
		return ioasid_fail(-EINVAL, "regions is NULL but *num is %u",
				   *num);
	ctx_lock(ctx);
	rc = ctx->ops->group_resv_regions(ctx->be, group, regions, num);
	return ctx_unlock(ctx, rc, "reading reserved regions");
}

const char *ioasid_resv_type_name(enum ioasid_resv_type type)
{
	/* The names sysfs uses in reserved_regions, plus our sw-msi. */
	static const char *const names[] = {
		[IOASID_RESV_DIRECT] = "direct",
		[IOASID_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
		[IOASID_RESV_RESERVED] = "reserved",
		[IOASID_RESV_MSI] = "msi",
		[IOASID_RESV_SW_MSI] = "sw-msi",
	};

	if ((unsigned int)type >= ARRAY_SIZE(names))
		return NULL;
	return names[type];
}

/* ------------------------------------------------------------------ */
/* Devices                                                              */

static struct ioasid_dev *dev_find(struct ioasid_ctx *ctx, const char *name)
{
	struct ioasid_dev *dev;

	for (dev = ctx->devs; dev; dev = dev->next)
		if (!strcmp(dev->name, name))
			return dev;
	return NULL;
}

int ioasid_dev_set_driver(struct ioasid_ctx *ctx, const char *name,
			  const char *driver,
			  const struct ioasid_driver_opts *opts)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	uint32_t flags;
	size_t i;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(name);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_driver_opts),
			       "ioasid_driver_opts");
	if (rc)
		return rc;
	flags = IOASID_OPTS_GET(opts, flags, 0);
	if (flags & ~IOASID_DRIVER_FORCE)
		return ioasid_fail(-EINVAL, "driver flags 0x%x: bits 0x%x are unknown",
				   flags, flags & ~IOASID_DRIVER_FORCE);
	if (driver) {
		/* A driver name becomes a sysfs path component. */
		for (i = 0; driver[i]; i++)
			if (!isalnum((unsigned char)driver[i]) &&
			    !strchr("-_", driver[i]))
				break;
		if (!*driver || driver[i] || i >= IOASID_NAME_MAX)
			return ioasid_fail(-EINVAL,
					   "driver name \"%s\" is not a driver name (letters, digits, - and _)",
					   driver);
	}
	rc = check_dev_name(name);
	if (rc)
		return rc;
	ctx_lock(ctx);
	rc = ctx->ops->dev_info_get(ctx->be, name, &info);
	if (rc)
		goto out;
	if (info.kind != IOASID_DEV_PCI) {
		rc = ioasid_fail(-EINVAL, "%s is not a PCI device: it has no host driver to change",
				 info.name);
		goto out;
	}
	if (dev_find(ctx, info.name)) {
		rc = ioasid_fail(-EBUSY, "device %s is open in this context: close it first",
				 info.name);
		goto out;
	}
	rc = ctx->ops->set_driver(ctx->be, info.name, driver,
				  flags & IOASID_DRIVER_FORCE);
out:
	return ctx_unlock(ctx, rc, "changing a device's driver");
}

int ioasid_dev_open(struct ioasid_ctx *ctx, const char *name,
		    struct ioasid_dev **devp)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_dev *dev;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(devp);
	*devp = NULL;
	CHECK_PTR(name);
	rc = check_dev_name(name);
	if (rc)
		return rc;
	ctx_lock(ctx);
	rc = ctx->ops->dev_info_get(ctx->be, name, &info);
	if (rc)
		goto out;
	if (dev_find(ctx, info.name)) {
		rc = ioasid_fail(-EBUSY, "device %s is already open in this context",
				 info.name);
		goto out;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	rc = ctx->ops->dev_open(ctx->be, &info, &dev->bdev);
	if (rc) {
		free(dev);
		goto out;
	}
	dev->ctx = ctx;
	dev->group = info.group;
	memcpy(dev->name, info.name, sizeof(dev->name));
	dev->next = ctx->devs;
	ctx->devs = dev;
	*devp = dev;
out:
	return ctx_unlock(ctx, rc, name);
}

/*
 * The ids a device's accessors (ioasid_dev_id(), ioasid_dev_pt_id(),
 * ioasid_dev_hwpt_id()) read without the context lock: written under it,
 * but as single atomic stores, so that a reader on another thread sees
 * the old or the new id, never a torn one (and the memory model, and
 * TSan, agree that this is no data race).
 */
static void set_id(uint32_t *field, uint32_t id)
{
	__atomic_store_n(field, id, __ATOMIC_RELAXED);
}

static uint32_t get_id(const uint32_t *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

int ioasid_dev_bind(struct ioasid_dev *dev, uint32_t *dev_id)
{
	struct ioasid_ctx *ctx;
	uint32_t id = 0;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	ctx_lock(ctx);
	if (dev->bound) {
		rc = ioasid_fail(-EALREADY, "device %s is already bound (id %u)",
				 dev->name, dev->dev_id);
		goto out;
	}
	rc = ctx->ops->dev_bind(ctx->be, dev->bdev, &id);
	if (rc == 0) {
		dev->bound = true;
		set_id(&dev->dev_id, id);
		if (dev_id)
			*dev_id = id;
	}
out:
	return ctx_unlock(ctx, rc, "binding a device");
}

/*
 * The kernel attaches IOMMU groups as a unit: a replace moves every device
 * of the group that shared the old HWPT (iommufd_device_do_replace), so
 * their recorded attachment moves too.
 */
static void follow_group_replace(struct ioasid_dev *dev, uint32_t pt_id,
				 uint32_t hwpt_id)
{
	struct ioasid_dev *other;

	if (dev->group < 0)
		return;
	for (other = dev->ctx->devs; other; other = other->next)
		if (other != dev && other->group == dev->group &&
		    other->pt_id && other->hwpt_id == dev->hwpt_id) {
			set_id(&other->pt_id, pt_id);
			set_id(&other->hwpt_id, hwpt_id);
		}
}

static int dev_attach_common(struct ioasid_dev *dev, uint32_t pt_id,
			     uint32_t *hwpt_id, bool replace)
{
	struct ioasid_ctx *ctx = dev->ctx;
	uint32_t hwpt = 0;
	int rc;

	ctx_lock(ctx);
	if (!dev->bound) {
		rc = ioasid_fail(-EINVAL,
				 "device %s is not bound: call ioasid_dev_bind() first",
				 dev->name);
		goto out;
	}
	if (!replace && dev->pt_id) {
		rc = ioasid_fail(-EBUSY,
				 "device %s is already attached to %u: use ioasid_dev_replace()",
				 dev->name, dev->pt_id);
		goto out;
	}
	if (replace && !dev->pt_id) {
		rc = ioasid_fail(-EINVAL,
				 "device %s is not attached: use ioasid_dev_attach()",
				 dev->name);
		goto out;
	}
	rc = ctx->ops->dev_attach(ctx->be, dev->bdev, pt_id, &hwpt);
	if (rc == 0) {
		if (replace)
			follow_group_replace(dev, pt_id, hwpt);
		set_id(&dev->pt_id, pt_id);
		set_id(&dev->hwpt_id, hwpt);
		if (hwpt_id)
			*hwpt_id = hwpt;
	}
out:
	return ctx_unlock(ctx, rc, replace ? "replacing a device's attachment"
					   : "attaching a device");
}

int ioasid_dev_attach(struct ioasid_dev *dev, uint32_t pt_id,
		      uint32_t *hwpt_id)
{
	CHECK_DEV(dev);
	return dev_attach_common(dev, pt_id, hwpt_id, false);
}

int ioasid_dev_replace(struct ioasid_dev *dev, uint32_t pt_id,
		       uint32_t *hwpt_id)
{
	CHECK_DEV(dev);
	return dev_attach_common(dev, pt_id, hwpt_id, true);
}

int ioasid_dev_detach(struct ioasid_dev *dev)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	ctx_lock(ctx);
	if (!dev->pt_id) {
		rc = ioasid_fail(-EINVAL, "device %s is not attached", dev->name);
		goto out;
	}
	rc = ctx->ops->dev_detach(ctx->be, dev->bdev);
	if (rc == 0) {
		set_id(&dev->pt_id, 0);
		set_id(&dev->hwpt_id, 0);
	}
out:
	return ctx_unlock(ctx, rc, "detaching a device");
}

/* Unlink and free; the caller holds the lock or owns the context. */
static void dev_free(struct ioasid_dev *dev)
{
	struct ioasid_ctx *ctx = dev->ctx;
	struct ioasid_dev **link;

	for (link = &ctx->devs; *link; link = &(*link)->next)
		if (*link == dev) {
			*link = dev->next;
			break;
		}
	ctx->ops->dev_close(ctx->be, dev->bdev);
	free(dev);
}

void ioasid_dev_close(struct ioasid_dev *dev)
{
	struct ioasid_ctx *ctx;

	if (!dev)
		return;
	ctx = dev->ctx;
	ctx_lock(ctx);
	dev_free(dev);
	pthread_mutex_unlock(&ctx->lock);
}

int ioasid_dev_fd(struct ioasid_dev *dev)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	ctx_lock(ctx);
	rc = ctx->ops->dev_fd(ctx->be, dev->bdev);
	if (rc < 0 && !ioasid_has_errmsg())
		ioasid_fail(rc, "device %s has no device fd on the %s backend",
			    dev->name, ctx->ops->name);
	return ctx_unlock(ctx, rc, "reading a device's fd");
}

const char *ioasid_dev_name(const struct ioasid_dev *dev)
{
	return dev ? dev->name : NULL;
}

uint32_t ioasid_dev_id(const struct ioasid_dev *dev)
{
	return dev ? get_id(&dev->dev_id) : 0;
}

uint32_t ioasid_dev_pt_id(const struct ioasid_dev *dev)
{
	return dev ? get_id(&dev->pt_id) : 0;
}

uint32_t ioasid_dev_hwpt_id(const struct ioasid_dev *dev)
{
	return dev ? get_id(&dev->hwpt_id) : 0;
}

/* ------------------------------------------------------------------ */
/* HWPT                                                                 */

int ioasid_hwpt_alloc(struct ioasid_dev *dev, uint32_t ioas_id,
		      const struct ioasid_hwpt_alloc_opts *opts,
		      uint32_t *hwpt_id)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	CHECK_PTR(hwpt_id);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_hwpt_alloc_opts),
			       "ioasid_hwpt_alloc_opts");
	if (rc)
		return rc;
	ctx = dev->ctx;
	ctx_lock(ctx);
	if (!dev->bound) {
		rc = ioasid_fail(-EINVAL,
				 "device %s is not bound: call ioasid_dev_bind() first",
				 dev->name);
		goto out;
	}
	rc = ctx->ops->hwpt_alloc(ctx->be, dev->dev_id, ioas_id,
				  IOASID_OPTS_GET(opts, flags, 0), hwpt_id);
out:
	return ctx_unlock(ctx, rc, "allocating a HWPT");
}

int ioasid_hwpt_destroy(struct ioasid_ctx *ctx, uint32_t hwpt_id)
{
	int rc;

	CHECK_CTX(ctx);
	ctx_lock(ctx);
	rc = ctx->ops->destroy(ctx->be, hwpt_id, IOASID_OBJ_HWPT);
	return ctx_unlock(ctx, rc, "destroying a HWPT");
}

/* ------------------------------------------------------------------ */
/* IOMMU capabilities and options                                       */

int ioasid_dev_hw_info(struct ioasid_dev *dev, struct ioasid_hw_info *info,
		       void *data, uint32_t data_size)
{
	struct ioasid_hw_info full = { .sz = sizeof(full) };
	struct ioasid_ctx *ctx;
	uint32_t len = data_size;
	int rc;

	CHECK_DEV(dev);
	rc = check_info(info, "ioasid_hw_info");
	if (rc)
		return rc;
	if (data_size && !data)
		return ioasid_fail(-EINVAL, "data is NULL but data_size is %u",
				   data_size);
	ctx = dev->ctx;
	ctx_lock(ctx);
	if (!dev->bound) {
		rc = ioasid_fail(-EINVAL,
				 "device %s is not bound: call ioasid_dev_bind() first",
				 dev->name);
		goto out;
	}
	rc = ctx->ops->hw_info(ctx->be, dev->dev_id, &full, data, &len);
	if (rc == 0) {
		full.data_len = len;
		copy_out(info, &full, sizeof(full));
	}
out:
	return ctx_unlock(ctx, rc, "reading IOMMU hardware information");
}

int ioasid_ctx_set_rlimit_mode(struct ioasid_ctx *ctx,
			       enum ioasid_rlimit_mode mode)
{
	uint64_t val = (uint64_t)mode;
	int rc;

	CHECK_CTX(ctx);
	if (mode != IOASID_RLIMIT_PER_USER && mode != IOASID_RLIMIT_PER_PROCESS)
		return ioasid_fail(-EINVAL, "rlimit mode %d is unknown", (int)mode);
	ctx_lock(ctx);
	rc = ctx->ops->option(ctx->be, true, IOASID_OPTION_RLIMIT_MODE, 0, &val);
	return ctx_unlock(ctx, rc, "setting the rlimit mode");
}

int ioasid_ctx_get_rlimit_mode(struct ioasid_ctx *ctx,
			       enum ioasid_rlimit_mode *mode)
{
	uint64_t val = 0;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(mode);
	ctx_lock(ctx);
	rc = ctx->ops->option(ctx->be, false, IOASID_OPTION_RLIMIT_MODE, 0, &val);
	if (rc == 0)
		*mode = (enum ioasid_rlimit_mode)val;
	return ctx_unlock(ctx, rc, "reading the rlimit mode");
}

int ioasid_ioas_set_huge_pages(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       bool enable)
{
	uint64_t val = enable;
	int rc;

	CHECK_CTX(ctx);
	ctx_lock(ctx);
	rc = ctx->ops->option(ctx->be, true, IOASID_OPTION_HUGE_PAGES, ioas_id,
			      &val);
	return ctx_unlock(ctx, rc, "setting huge pages");
}

int ioasid_ioas_get_huge_pages(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       bool *enabled)
{
	uint64_t val = 0;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(enabled);
	ctx_lock(ctx);
	rc = ctx->ops->option(ctx->be, false, IOASID_OPTION_HUGE_PAGES, ioas_id,
			      &val);
	if (rc == 0)
		*enabled = val != 0;
	return ctx_unlock(ctx, rc, "reading huge pages");
}
