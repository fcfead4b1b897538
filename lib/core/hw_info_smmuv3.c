// SPDX-License-Identifier: MIT
/*
 * The SMMUv3's IOMMU_GET_HW_INFO data (IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
 * Linux 6.8): the raw SMMU_IDR0-5, SMMU_IIDR and SMMU_AIDR, decoded into
 * named fields.  Bit positions from the Arm System MMU Architecture
 * Specification, version 3 (IHI 0070), register descriptions of
 * SMMU_IDR0, IDR1, IDR3, IDR5, IIDR and AIDR.
 */
#include <errno.h>
#include <string.h>

#include "core.h"

static inline uint32_t field(uint32_t reg, unsigned int hi, unsigned int lo)
{
	return (reg >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static inline bool bit(uint32_t reg, unsigned int n)
{
	return (reg >> n) & 1;
}

/* SMMU_IDR5.OAS encodings 0-6; 7 is reserved. */
static const uint8_t oas_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };

int ioasid_hw_info_smmuv3_decode(const void *data, uint32_t data_len,
				 struct ioasid_smmuv3_features *f)
{
	struct ioasid_hw_info_arm_smmuv3 regs = { 0 };
	struct ioasid_smmuv3_features full = { .sz = sizeof(full) };
	size_t need = offsetof(struct ioasid_hw_info_arm_smmuv3, iidr);
	uint32_t idr0, idr1, idr3, idr5;
	int rc;

	ioasid_clear_error();
	CHECK_PTR(data);
	rc = ioasid_check_info(f, "ioasid_smmuv3_features");
	if (rc)
		return rc;
	if (data_len < need)
		return ioasid_fail(-EINVAL,
				   "SMMUv3 hw info of %u bytes has no IDR0-IDR5 (%zu bytes needed)",
				   data_len, need);
	memcpy(&regs, data, data_len < sizeof(regs) ? data_len : sizeof(regs));
	idr0 = regs.idr[0];
	idr1 = regs.idr[1];
	idr3 = regs.idr[3];
	idr5 = regs.idr[5];

	full.stage1 = bit(idr0, 1);
	full.stage2 = bit(idr0, 0);
	full.aarch32_tables = field(idr0, 3, 2) & 1;
	full.aarch64_tables = field(idr0, 3, 2) & 2;
	full.coherent = bit(idr0, 4);
	full.btm = bit(idr0, 5);
	full.httu = (uint8_t)field(idr0, 7, 6);
	if (full.httu > 2)
		full.httu = 0; /* 0b11 is reserved */
	full.hyp = bit(idr0, 9);
	full.ats = bit(idr0, 10);
	full.asid16 = bit(idr0, 12);
	full.msi = bit(idr0, 13);
	full.pri = bit(idr0, 16);
	full.vmid16 = bit(idr0, 18);
	full.cd_2level = bit(idr0, 19);
	full.stall_model = (uint8_t)field(idr0, 25, 24);
	full.term_model = bit(idr0, 26);
	/* ST_LVL 0b00 linear, 0b01 two-level; the rest are reserved. */
	full.st_levels = field(idr0, 28, 27) == 1 ? 2 : 1;

	full.sid_bits = (uint8_t)field(idr1, 5, 0);
	full.ssid_bits = (uint8_t)field(idr1, 10, 6);
	full.priq_log2 = (uint8_t)field(idr1, 15, 11);
	full.evtq_log2 = (uint8_t)field(idr1, 20, 16);
	full.cmdq_log2 = (uint8_t)field(idr1, 25, 21);

	full.fwb = bit(idr3, 8);
	full.ril = bit(idr3, 10);
	full.bbml = (uint8_t)field(idr3, 12, 11);

	full.oas_bits = oas_bits[field(idr5, 2, 0)];
	full.gran_4k = bit(idr5, 4);
	full.gran_16k = bit(idr5, 5);
	full.gran_64k = bit(idr5, 6);
	full.va_bits = field(idr5, 11, 10) == 1 ? 52 : 48;
	full.stall_max = (uint16_t)field(idr5, 31, 16);

	full.implementer = (uint16_t)field(regs.iidr, 11, 0);
	full.revision = (uint8_t)field(regs.iidr, 15, 12);
	full.variant = (uint8_t)field(regs.iidr, 19, 16);
	full.product = (uint16_t)field(regs.iidr, 31, 20);
	full.arch_minor = (uint8_t)field(regs.aidr, 3, 0);
	ioasid_copy_out(f, &full, IOASID_OPTS_KNOWN(ioasid_smmuv3_features));
	return 0;
}
