/* SPDX-License-Identifier: MIT */
/*
 * What the VM's hardware reports, read the way the kernel reads it, for
 * tests that must state what the kernel does *given* that hardware
 * rather than the constants of one QEMU command line (docs/TESTING.md,
 * "Variants").  Header only, libc and uAPI headers only, so that the
 * raw-ioctl tests (tests/vm/edu_dma_raw.c) can use it too.
 *
 *   vm_sysfs_msi(bdf, &start, &last)   the device's IOMMU group's msi
 *                                      region (sysfs reserved_regions)
 *   vm_hw_top(type, data, len)         the last IOVA a paging domain of
 *                                      that IOMMU translates, from the
 *                                      IOMMU_GET_HW_INFO driver data
 */
#ifndef IOASID_VM_HW_H
#define IOASID_VM_HW_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/iommufd.h>

/* The reserved region of type @type ("msi", "direct", "reserved", ...)
 * that sysfs lists for the IOMMU group of PCI device @bdf.  Return: 0,
 * -ENOENT (no such region) or -errno of the read. */
static inline int vm_sysfs_region(const char *bdf, const char *type,
				  uint64_t *start, uint64_t *last)
{
	char path[4096], line[128], kind[32];
	unsigned long long s, l;
	FILE *f;
	int rc = -ENOENT;

	snprintf(path, sizeof(path),
		 "/sys/bus/pci/devices/%s/iommu_group/reserved_regions", bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %llx %31s", &s, &l, kind) != 3 ||
		    strcmp(kind, type))
			continue;
		*start = s;
		*last = l;
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

static inline int vm_sysfs_msi(const char *bdf, uint64_t *start,
			       uint64_t *last)
{
	return vm_sysfs_region(bdf, "msi", start, last);
}

/*
 * VT-d (IOMMU_HW_INFO_TYPE_INTEL_VTD): the kernel's paging domain is
 * first stage when the IOMMU offers scalable mode with first-stage
 * translation (ECAP.SMTS, ECAP.FLTS), else second stage
 * (drivers/iommu/intel/iommu.c, intel_iommu_domain_alloc_paging_flags).
 * Its width: second stage, the largest of 57/48/39 bits that both MGAW
 * (CAP bits 21:16, width - 1) and SAGAW (CAP bits 12:8) allow
 * (compute_vasz_lg2_ss); first stage, MGAW capped at 48 (57 with
 * CAP.FL5LP), sign-extended, so only the lower half is usable.
 */
static inline uint64_t vm_vtd_top(uint64_t cap, uint64_t ecap)
{
	unsigned int mgaw = (unsigned int)((cap >> 16) & 0x3f) + 1;
	unsigned int sagaw = (unsigned int)((cap >> 8) & 0x1f);
	unsigned int width = 0;

	if (((ecap >> 43) & 1) && ((ecap >> 47) & 1)) {
		width = mgaw > 48 && ((cap >> 60) & 1) ? 57 : 48;
		width = mgaw < width ? mgaw : width;
		return (1ull << (width - 1)) - 1;
	}
	if (mgaw > 48 && sagaw >= (1u << 3))
		width = mgaw < 57 ? mgaw : 57;
	else if (mgaw > 39 && sagaw >= (1u << 2))
		width = mgaw < 48 ? mgaw : 48;
	else if (mgaw > 30 && sagaw >= (1u << 1))
		width = mgaw < 39 ? mgaw : 39;
	return width ? (1ull << width) - 1 : 0;
}

/* MGAW itself, for messages. */
static inline unsigned int vm_vtd_mgaw(uint64_t cap)
{
	return (unsigned int)((cap >> 16) & 0x3f) + 1;
}

/*
 * ARM SMMUv3 (IOMMU_HW_INFO_TYPE_ARM_SMMUV3): the kernel's paging domain
 * is stage 1 when IDR0.S1P is set, else stage 2
 * (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c, arm_smmu_domain_finalise):
 * stage 1 translates 48 bits, 52 with IDR5.VAX = 1, capped at the
 * kernel's VA_BITS; stage 2 the output size IDR5.OAS.  VA_BITS is the
 * guest kernel's: above 48 bits only when user space can map there (a
 * 52-bit kernel gives a hint above 2^48 an address there).
 */
static const unsigned int vm_smmuv3_oas_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };

static inline bool vm_va_above_48(void)
{
	void *hint = (void *)(1ull << 50), *p;
	bool above;

	p = mmap(hint, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	above = (uintptr_t)p >= (1ull << 48);
	munmap(p, 4096);
	return above;
}

static inline uint64_t vm_smmuv3_top(const uint32_t idr[6])
{
	unsigned int width;

	if (idr[0] & (1u << 1)) {		/* S1P */
		width = ((idr[5] >> 10) & 3) == 1 && vm_va_above_48() ? 52 : 48;
	} else {
		width = vm_smmuv3_oas_bits[idr[5] & 7];
	}
	return (1ull << width) - 1;
}

/*
 * The last IOVA of a paging domain of the IOMMU that IOMMU_GET_HW_INFO
 * described with @type and @data (@len bytes).  Return: the IOVA, or 0
 * when this header cannot tell for that type.
 */
static inline uint64_t vm_hw_top(uint32_t type, const void *data, size_t len)
{
	if (type == IOMMU_HW_INFO_TYPE_INTEL_VTD &&
	    len >= sizeof(struct iommu_hw_info_vtd)) {
		const struct iommu_hw_info_vtd *vtd = data;

		return vm_vtd_top(vtd->cap_reg, vtd->ecap_reg);
	}
	if (type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3 &&
	    len >= sizeof(struct iommu_hw_info_arm_smmuv3)) {
		const struct iommu_hw_info_arm_smmuv3 *smmu = data;

		return vm_smmuv3_top(smmu->idr);
	}
	return 0;
}

#endif /* IOASID_VM_HW_H */
