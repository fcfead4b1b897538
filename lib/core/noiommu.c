// SPDX-License-Identifier: MIT
/*
 * VFIO no-IOMMU mode: IOMMU_IOAS_NOIOMMU_GET_PA, the physical address
 * behind an IOVA of an IOAS that a device without an IOMMU is attached
 * to, so that user space can program the device's DMA with it.
 */
#include <errno.h>

#include "core.h"
#include "explain.h"

/*
 * ioas.c iommufd_ioas_noiommu_get_pa() refuses flags, a zero length and
 * an IOVA at ULONG_MAX before it looks the IOAS up; those checks are
 * here so that both backends give them alike.  CAP_SYS_RAWIO (which the
 * kernel checks first), the IOAS, the mapping and whether the IOAS is in
 * no-IOMMU use are the backend's.
 */
int ioasid_ioas_noiommu_get_pa(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       uint64_t iova, uint64_t length,
			       const struct ioasid_noiommu_get_pa_opts *opts,
			       uint64_t *phys, uint64_t *contig)
{
	uint64_t pa = 0, run = 0;
	uint32_t flags;
	int rc;

	CHECK_CTX(ctx);
	rc = ioasid_opts_check(opts,
			       IOASID_OPTS_KNOWN(ioasid_noiommu_get_pa_opts),
			       "ioasid_noiommu_get_pa_opts");
	if (rc)
		return rc;
	flags = IOASID_OPTS_GET(opts, flags, 0);
	if (flags)
		return ioasid_fail(-EOPNOTSUPP,
				   "noiommu_get_pa flags 0x%x: none are defined",
				   flags);
	if (!length)
		return explain_length_zero();
	if (iova == UINT64_MAX)
		return explain_noiommu_last_iova(iova);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, ioas_noiommu_get_pa, "IOMMU_IOAS_NOIOMMU_GET_PA",
		     ioas_id, iova, length, &pa, &run);
	if (rc == 0) {
		if (phys)
			*phys = pa;
		if (contig)
			*contig = run;
	}
	return ioasid_ctx_leave(ctx, rc,
				"reading the physical address of an IOVA");
}
