// SPDX-License-Identifier: MIT
/*
 * The AMD IOMMU's IOMMU_GET_HW_INFO data passes through the kernel
 * backend as bytes (kernel_hw_info()); the public struct and type are
 * the uAPI's.  The 7.3 uAPI has no AMD vIOMMU type
 * (IOMMU_VIOMMU_TYPE_AMD exists only in the AMD HW-vIOMMU patches), so
 * there is none to check here.
 */
#include "kernel-internal.h"

_Static_assert(IOASID_HW_INFO_AMD == IOMMU_HW_INFO_TYPE_AMD &&
		       sizeof(struct ioasid_hw_info_amd) ==
			       sizeof(struct iommu_hw_info_amd) &&
		       offsetof(struct ioasid_hw_info_amd, efr2) ==
			       offsetof(struct iommu_hw_info_amd, efr2),
	       "struct ioasid_hw_info_amd must be struct iommu_hw_info_amd");
