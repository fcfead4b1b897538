// SPDX-License-Identifier: MIT
/*
 * The SMMUv3 driver's iommufd side, after
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c arm_smmu_hw_info():
 * IOMMU_GET_HW_INFO of a device behind an IOMMU of model "arm-smmuv3"
 * carries IOMMU_HW_INFO_TYPE_ARM_SMMUV3 data, the raw SMMU_IDR0-5,
 * SMMU_IIDR and SMMU_AIDR.  The simulator has no registers, so it makes
 * those of an SMMU like the topology describes (ioasid-topology(5)):
 *  - always: stage 1, AArch64 tables, coherent walks, HYP, ATS, 16-bit
 *    ASIDs and VMIDs, MSIs, a two-level stream table, 16-bit StreamIDs
 *    (a PCI requester id), 2^19-entry command and event queues, range
 *    invalidation, terminate-only stalls (PCIe cannot stall);
 *  - nesting: stage 2, and FWB (the kernel allocates an SMMUv3 vIOMMU
 *    only with S2FWB or CANWBS);
 *  - dirty_tracking: HTTU access flag and dirty state;
 *  - pasid_width: SSIDSIZE, PRI with a 2^19-entry queue, two-level
 *    context descriptors;
 *  - the aperture: OAS and VAX (48 or 52 bits);
 *  - page_sizes: the 4K, 16K and 64K granules;
 *  - IIDR 0 (no implementer), AIDR 0 (SMMUv3.0).
 */
#include "sim.h"

static uint32_t aperture_bits(const struct topo_iommu *iommu)
{
	if (iommu->aperture_last == UINT64_MAX)
		return 64;
	return 64u - (uint32_t)__builtin_clzll(iommu->aperture_last + 1) - 1;
}

/* SMMU_IDR5.OAS for an address width: the encoding of the widest size
 * at or below it. */
static uint32_t oas_field(uint32_t bits)
{
	static const uint8_t sizes[] = { 32, 36, 40, 42, 44, 48, 52 };
	uint32_t f = 0;

	for (uint32_t i = 0; i < sizeof(sizes); i++)
		if (bits >= sizes[i])
			f = i;
	return f;
}

static struct ioasid_hw_info_arm_smmuv3 smmuv3_regs(const struct topo_iommu *iommu)
{
	struct ioasid_hw_info_arm_smmuv3 r = { 0 };
	uint32_t bits = aperture_bits(iommu);

	r.idr[0] = 1u << 1		/* S1P */
		   | 2u << 2		/* TTF: AArch64 */
		   | 1u << 4		/* COHACC */
		   | 1u << 9		/* HYP */
		   | 1u << 10		/* ATS */
		   | 1u << 12		/* ASID16 */
		   | 1u << 13		/* MSI */
		   | 1u << 18		/* VMID16 */
		   | 1u << 24		/* STALL_MODEL: terminate only */
		   | 1u << 27;		/* ST_LVL: two-level */
	r.idr[1] = 16u			/* SIDSIZE */
		   | 19u << 16		/* EVENTQS */
		   | 19u << 21;		/* CMDQS */
	r.idr[3] = 1u << 10;		/* RIL */
	if (iommu->nesting) {
		r.idr[0] |= 1u << 0;	/* S2P */
		r.idr[3] |= 1u << 8;	/* FWB */
	}
	if (iommu->dirty_tracking)
		r.idr[0] |= 2u << 6;	/* HTTU: access flag and dirty */
	if (iommu->pasid_width) {
		r.idr[0] |= 1u << 16 | 1u << 19; /* PRI, CD2L */
		r.idr[1] |= (uint32_t)(iommu->pasid_width & 0x1f) << 6 /* SSIDSIZE */
			    | 19u << 11;			      /* PRIQS */
	}
	r.idr[5] = oas_field(bits) | (bits > 48 ? 1u << 10 : 0); /* OAS, VAX */
	if (iommu->pgsize_bitmap & 1ull << 12)
		r.idr[5] |= 1u << 4;
	if (iommu->pgsize_bitmap & 1ull << 14)
		r.idr[5] |= 1u << 5;
	if (iommu->pgsize_bitmap & 1ull << 16)
		r.idr[5] |= 1u << 6;
	return r;
}

uint32_t sim_smmuv3_hw_data(const struct topo_iommu *iommu, void *data,
			    uint32_t room)
{
	struct ioasid_hw_info_arm_smmuv3 regs = smmuv3_regs(iommu);

	return sim_hw_data_copy(data, room, &regs, sizeof(regs));
}
