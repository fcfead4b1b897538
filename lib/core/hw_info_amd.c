// SPDX-License-Identifier: MIT
/*
 * The AMD IOMMU's IOMMU_GET_HW_INFO data (IOMMU_HW_INFO_TYPE_AMD, Linux
 * 7.0): the raw EFR and EFR2 registers, decoded into the fields nesting
 * and a vIOMMU depend on.  Bit positions from the AMD I/O Virtualization
 * Technology (IOMMU) Specification (48882, MMIO offsets 0030h and 01A0h),
 * as drivers/iommu/amd/amd_iommu_types.h names them (FEATURE_*).
 */
#include <errno.h>
#include <string.h>

#include "core.h"

#define EFR_PPR (1ull << 1)
#define EFR_GT (1ull << 4)
#define EFR_GA (1ull << 7)
#define EFR_GATS_SHIFT 12 /* 13:12 */
#define EFR_GLX_SHIFT 14  /* 15:14 */
#define EFR_PASMAX_SHIFT 32 /* 36:32 */
#define EFR_GIO (1ull << 48)
#define EFR_HA (1ull << 49)
#define EFR_EPH (1ull << 50)
#define EFR_HD (1ull << 52)
#define EFR_SNP (1ull << 63)
#define EFR2_GCR3TRP (1ull << 3)

_Static_assert(IOASID_AMD_EFR_VMM_ALLOWED ==
		       (EFR_GT | EFR_GA | EFR_GIO | EFR_PPR | EFR_EPH |
			(3ull << EFR_GATS_SHIFT) | (3ull << EFR_GLX_SHIFT) |
			(0x1full << EFR_PASMAX_SHIFT)),
	       "IOASID_AMD_EFR_VMM_ALLOWED is the uAPI's allowed list");

int ioasid_hw_info_amd_decode(const void *data, uint32_t data_len,
			      struct ioasid_amd_features *f)
{
	struct ioasid_hw_info_amd regs = { 0 };
	struct ioasid_amd_features full = { .sz = sizeof(full) };
	unsigned int gats;
	int rc;

	ioasid_clear_error();
	CHECK_PTR(data);
	rc = ioasid_check_info(f, "ioasid_amd_features");
	if (rc)
		return rc;
	if (data_len < sizeof(regs.efr))
		return ioasid_fail(-EINVAL,
				   "AMD hw info of %u bytes has no EFR (%zu bytes needed)",
				   data_len, sizeof(regs.efr));
	memcpy(&regs, data, data_len < sizeof(regs) ? data_len : sizeof(regs));

	full.ppr = regs.efr & EFR_PPR;
	full.gt = regs.efr & EFR_GT;
	full.ga = regs.efr & EFR_GA;
	full.gio = regs.efr & EFR_GIO;
	full.ha = regs.efr & EFR_HA;
	full.eph = regs.efr & EFR_EPH;
	full.hd = regs.efr & EFR_HD;
	full.snp = regs.efr & EFR_SNP;
	/* GATS 0: 4-level, 1: 5-level guest tables (init.c's gpt level). */
	gats = (regs.efr >> EFR_GATS_SHIFT) & 3;
	full.guest_levels = gats <= 1 ? (uint8_t)(4 + gats) : 0;
	full.glx = (regs.efr >> EFR_GLX_SHIFT) & 3;
	full.pasid_width = (uint8_t)(((regs.efr >> EFR_PASMAX_SHIFT) & 0x1f) + 1);
	full.gcr3_trap = regs.efr2 & EFR2_GCR3TRP;
	full.vmm_efr = regs.efr & IOASID_AMD_EFR_VMM_ALLOWED;
	ioasid_copy_out(f, &full, IOASID_OPTS_KNOWN(ioasid_amd_features));
	return 0;
}
