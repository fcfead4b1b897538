// SPDX-License-Identifier: MIT
/*
 * The kernel backend's IOMMU_IOAS_NOIOMMU_GET_PA (Linux 7.3): the
 * physical address behind an IOVA of an IOAS that a VFIO no-IOMMU device
 * (noiommu-vfioN) is attached to, and how far from it the pages are
 * physically contiguous.
 */
#include <errno.h>

#include "kernel-internal.h"

int kernel_ioas_noiommu_get_pa(void *be_, uint32_t ioas_id, uint64_t iova,
			       uint64_t length, uint64_t *phys,
			       uint64_t *contig)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_noiommu_get_pa cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_NOIOMMU_GET_PA, &cmd);

	if (rc && kexplain_noiommu_get_pa(be, rc, ioas_id, iova))
		return rc;
	if (rc)
		return kernel_fail(be, rc, FEAT(NOIOMMU_GET_PA), 0,
				   "IOMMU_IOAS_NOIOMMU_GET_PA ioas %u iova 0x%llx length 0x%llx",
				   ioas_id, (unsigned long long)iova,
				   (unsigned long long)length);
	*phys = cmd.out_phys;
	*contig = cmd.length;
	return 0;
}
