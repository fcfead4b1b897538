// SPDX-License-Identifier: MIT
/*
 * IOAS: allocate, destroy, map (memory or a file), unmap, copy, usable
 * ranges and allowed IOVAs, and the huge-page option.
 */
#include <errno.h>

#include "core.h"

#define MAP_FLAGS_KNOWN (IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_ANY_IOVA)

/* iommufd_ioas_map(), _map_file() and _copy() reject IOVAs and lengths of
 * ULONG_MAX before they look the IOAS up. */
#define IOVA_LIMIT UINT64_MAX

/* ------------------------------------------------------------------ */
/* IOAS                                                                 */

int ioasid_ioas_alloc(struct ioasid_ctx *ctx, uint32_t *ioas_id)
{
	CHECK_CTX(ctx);
	CHECK_PTR(ioas_id);
	LOCKED_CALL(ctx, "allocating an IOAS", ioas_alloc, "IOAS", ioas_id);
}

int ioasid_ioas_destroy(struct ioasid_ctx *ctx, uint32_t ioas_id)
{
	CHECK_CTX(ctx);
	LOCKED_CALL(ctx, "destroying an IOAS", destroy, "IOMMU_DESTROY",
		    ioas_id, IOASID_OBJ_IOAS);
}

static int too_large(const char *what, uint64_t val)
{
	return ioasid_fail(-EOVERFLOW, "%s 0x%llx is too large", what,
			   (unsigned long long)val);
}

/*
 * What iommufd_ioas_map(), _map_file() and _copy() check before they look
 * the IOAS up, in their order, and nothing more (lib/backend/backend.h):
 * unknown flags (-EOPNOTSUPP); an IOVA (the IOVA in, with
 * IOASID_MAP_ANY_IOVA too), a length or, for copy, a source IOVA of
 * ULONG_MAX (-EOVERFLOW); no access (-EINVAL).  A zero length, a range
 * that wraps, a bad fd or va come after the lookup: the backend's.  First
 * the C API's own: @iova not NULL, the options struct.
 */
static int check_map_args(const struct ioasid_map_opts *opts, uint64_t length,
			  const uint64_t *iova, const char *iova_name,
			  const uint64_t *src_iova, uint32_t *flags)
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
	if (*iova >= IOVA_LIMIT)
		return too_large(iova_name, *iova);
	if (length >= IOVA_LIMIT)
		return too_large("length", length);
	if (src_iova && *src_iova >= IOVA_LIMIT)
		return too_large("src_iova", *src_iova);
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
	rc = check_map_args(opts, length, iova, "iova", NULL, &flags);
	if (rc)
		return rc;
	LOCKED_CALL(ctx, "mapping into an IOAS", ioas_map, "IOMMU_IOAS_MAP",
		    ioas_id, flags, (uintptr_t)va, length, iova);
}

int ioasid_ioas_map_file(struct ioasid_ctx *ctx, uint32_t ioas_id, int fd,
			 uint64_t start, uint64_t length, uint64_t *iova,
			 const struct ioasid_map_opts *opts)
{
	uint32_t flags;
	int rc;

	CHECK_CTX(ctx);
	rc = check_map_args(opts, length, iova, "iova", NULL, &flags);
	if (rc)
		return rc;
	LOCKED_CALL(ctx, "mapping a file into an IOAS", ioas_map_file,
		    "file mappings", ioas_id, flags, fd, start, length, iova);
}

int ioasid_ioas_unmap(struct ioasid_ctx *ctx, uint32_t ioas_id, uint64_t iova,
		      uint64_t length, uint64_t *unmapped)
{
	uint64_t removed = 0;
	int rc;

	CHECK_CTX(ctx);
	/* iommufd_ioas_unmap() looks the IOAS up first: every check of iova
	 * and length is the backend's (0 + UINT64_MAX means everything). */
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, ioas_unmap, "IOMMU_IOAS_UNMAP", ioas_id, iova, length,
		     &removed);
	if (rc == 0 && unmapped)
		*unmapped = removed;
	return ioasid_ctx_leave(ctx, rc, "unmapping from an IOAS");
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
	rc = check_map_args(opts, length, dst_iova, "dst_iova", &src_iova,
			    &flags);
	if (rc)
		return rc;
	LOCKED_CALL(ctx, "copying between IOASes", ioas_copy, "IOMMU_IOAS_COPY",
		    dst_ioas, src_ioas, flags, length, dst_iova, src_iova);
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
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, ioas_iova_ranges, "IOMMU_IOAS_IOVA_RANGES", ioas_id,
		     ranges, num, &align);
	if ((rc == 0 || rc == -EMSGSIZE) && alignment)
		*alignment = align;
	return ioasid_ctx_leave(ctx, rc, "reading the IOVA ranges");
}

int ioasid_ioas_allow_iovas(struct ioasid_ctx *ctx, uint32_t ioas_id,
			    const struct ioasid_iova_range *ranges,
			    uint32_t num)
{
	CHECK_CTX(ctx);
	if (num && !ranges)
		return ioasid_fail(-EINVAL, "ranges is NULL but num is %u", num);
	/* iommufd_ioas_load_iovas() runs after the lookup: inverted and
	 * overlapping ranges are the backend's to refuse. */
	LOCKED_CALL(ctx, "setting the allowed IOVAs", ioas_allow_iovas,
		    "IOMMU_IOAS_ALLOW_IOVAS", ioas_id, ranges, num);
}

int ioasid_ioas_set_huge_pages(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       bool enable)
{
	uint64_t val = enable;

	CHECK_CTX(ctx);
	LOCKED_CALL(ctx, "setting huge pages", option, "IOMMU_OPTION", true,
		    IOASID_OPTION_HUGE_PAGES, ioas_id, &val);
}

int ioasid_ioas_get_huge_pages(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       bool *enabled)
{
	uint64_t val = 0;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(enabled);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, option, "IOMMU_OPTION", false, IOASID_OPTION_HUGE_PAGES,
		     ioas_id, &val);
	if (rc == 0)
		*enabled = val != 0;
	return ioasid_ctx_leave(ctx, rc, "reading huge pages");
}
