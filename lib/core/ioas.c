// SPDX-License-Identifier: MIT
/*
 * IOAS: allocate, destroy, map (memory or a file), unmap, copy, usable
 * ranges and allowed IOVAs, and the huge-page option.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define MAP_FLAGS_KNOWN (IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_ANY_IOVA)

/* Kernel's iommufd rejects IOVAs and lengths of ULONG_MAX and above
 * (iommufd_ioas_map, iommufd_ioas_unmap). */
#define IOVA_LIMIT UINT64_MAX

/* ------------------------------------------------------------------ */
/* IOAS                                                                 */

int ioasid_ioas_alloc(struct ioasid_ctx *ctx, uint32_t *ioas_id)
{
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(ioas_id);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, ioas_alloc, "IOAS", ioas_id);
	return ioasid_ctx_leave(ctx, rc, "allocating an IOAS");
}

int ioasid_ioas_destroy(struct ioasid_ctx *ctx, uint32_t ioas_id)
{
	int rc;

	CHECK_CTX(ctx);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, destroy, "IOMMU_DESTROY", ioas_id, IOASID_OBJ_IOAS);
	return ioasid_ctx_leave(ctx, rc, "destroying an IOAS");
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
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, ioas_map, "IOMMU_IOAS_MAP", ioas_id, flags,
		     (uintptr_t)va, length, iova);
	return ioasid_ctx_leave(ctx, rc, "mapping into an IOAS");
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
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, ioas_map_file, "file mappings", ioas_id, flags, fd,
		     start, length, iova);
	return ioasid_ctx_leave(ctx, rc, "mapping a file into an IOAS");
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
	rc = check_map_args(opts, length, dst_iova, "dst_iova", &flags);
	if (rc)
		return rc;
	if (src_iova >= IOVA_LIMIT || src_iova + (length - 1) < src_iova)
		return ioasid_fail(-EOVERFLOW,
				   "src_iova 0x%llx + length 0x%llx overflows 64 bits",
				   (unsigned long long)src_iova,
				   (unsigned long long)length);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, ioas_copy, "IOMMU_IOAS_COPY", dst_ioas, src_ioas,
		     flags, length, dst_iova, src_iova);
	return ioasid_ctx_leave(ctx, rc, "copying between IOASes");
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
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, ioas_allow_iovas, "IOMMU_IOAS_ALLOW_IOVAS", ioas_id,
		     ranges, num);
	return ioasid_ctx_leave(ctx, rc, "setting the allowed IOVAs");
}

int ioasid_ioas_set_huge_pages(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       bool enable)
{
	uint64_t val = enable;
	int rc;

	CHECK_CTX(ctx);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, option, "IOMMU_OPTION", true, IOASID_OPTION_HUGE_PAGES,
		     ioas_id, &val);
	return ioasid_ctx_leave(ctx, rc, "setting huge pages");
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
