// SPDX-License-Identifier: MIT
/*
 * The AMD IOMMU driver's iommufd side, after drivers/iommu/amd/iommufd.c
 * amd_iommufd_hw_info() (Linux 7.3): IOMMU_GET_HW_INFO of a device behind
 * an IOMMU of model "amd-vi" carries IOMMU_HW_INFO_TYPE_AMD data, the
 * raw EFR and EFR2 (device.c's sim_hw_info() asks for them).  The
 * simulator has no registers, so it makes the EFR the topology
 * describes: GTSup and GIoSup with nesting, HDSup with
 * dirty tracking, PPRSup and PASmax (width - 1) with a PASID width,
 * GATS 0 (4-level guest tables) and GLX 0; EFR2 is 0.
 *
 * No vIOMMU type: the 7.3 uAPI has no IOMMU_VIOMMU_TYPE_AMD (the value
 * only exists in the AMD HW-vIOMMU patch series), so there is nothing to
 * model and the public API has no constant for it.
 */
#include "sim.h"

#define EFR_PPR (1ull << 1)
#define EFR_GT (1ull << 4)
#define EFR_PASMAX_SHIFT 32
#define EFR_GIO (1ull << 48)
#define EFR_HD (1ull << 52)

static struct ioasid_hw_info_amd amd_regs(const struct topo_iommu *iommu)
{
	struct ioasid_hw_info_amd r = { 0 };

	if (iommu->nesting)
		r.efr |= EFR_GT | EFR_GIO;
	if (iommu->dirty_tracking)
		r.efr |= EFR_HD;
	if (iommu->pasid_width)
		r.efr |= EFR_PPR |
			 ((uint64_t)((iommu->pasid_width - 1) & 0x1f)
			  << EFR_PASMAX_SHIFT);
	return r;
}

/* The driver's hw_info op: its data, @room bytes of it into @data
 * (iommufd_get_hw_info() copies min(data_len, length)); returns the
 * driver's length. */
uint32_t sim_amd_hw_data(const struct topo_iommu *iommu, void *data,
			 uint32_t room)
{
	struct ioasid_hw_info_amd regs = amd_regs(iommu);

	return sim_hw_data_copy(data, room, &regs, sizeof(regs));
}
