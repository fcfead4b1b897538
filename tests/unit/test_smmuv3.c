// SPDX-License-Identifier: MIT
/*
 * SMMUv3s on the simulator: IOMMU_GET_HW_INFO of a device behind an
 * "arm-smmuv3" IOMMU reports IOMMU_HW_INFO_TYPE_ARM_SMMUV3 with the ID
 * registers (arm-smmu-v3-iommufd.c arm_smmu_hw_info()), which
 * ioasid_hw_info_smmuv3_decode() names.  The real registers, QEMU's
 * emulated SMMUv3 under the arm64 kernel, are decoded in the VM suite
 * (tests/vm/lib/smmuv3_hw_info.c).
 */
#include "helpers.h"

#define FULL "0000:01:00.0"  /* smmu0: nesting, dirty, PASID 20, 4K+64K */
#define PLAIN "0000:02:00.0" /* smmu1: 64K only, 52-bit aperture */

static struct ioasid_dev *open_bound(struct ioasid_ctx *ctx, const char *name)
{
	struct ioasid_dev *dev;

	OK(ioasid_dev_open(ctx, name, &dev));
	OK(ioasid_dev_bind(dev, NULL));
	return dev;
}

static void hw_info_smmuv3(void **state)
{
	struct ioasid_ctx *ctx = sim_open("smmuv3.ini");
	struct ioasid_hw_info info = { .sz = sizeof(info) };
	struct ioasid_smmuv3_features f = { .sz = sizeof(f) };
	struct ioasid_hw_info_arm_smmuv3 regs;
	struct ioasid_dev *dev = open_bound(ctx, FULL);

	(void)state;
	memset(&regs, 0xaa, sizeof(regs));
	OK(ioasid_dev_hw_info(dev, &info, &regs, sizeof(regs)));
	assert_int_equal(info.type, IOASID_HW_INFO_ARM_SMMUV3);
	assert_int_equal(info.data_len, sizeof(regs));
	assert_int_equal(info.max_pasid_log2, 20);
	OK(ioasid_hw_info_smmuv3_decode(&regs, sizeof(regs), &f));
	assert_true(f.stage1 && f.stage2 && f.fwb && f.aarch64_tables);
	assert_int_equal(f.httu, 2);
	assert_true(f.pri && f.cd_2level);
	assert_int_equal(f.ssid_bits, 20);
	assert_int_equal(f.sid_bits, 16);
	assert_int_equal(f.oas_bits, 48);
	assert_int_equal(f.va_bits, 48);
	assert_true(f.gran_4k && f.gran_64k);
	assert_false(f.gran_16k);
	assert_int_equal(f.stall_model, IOASID_SMMUV3_TERMINATE_ONLY);
	assert_int_equal(f.st_levels, 2);
	ioasid_dev_close(dev);

	dev = open_bound(ctx, PLAIN);
	OK(ioasid_dev_hw_info(dev, &info, &regs, sizeof(regs)));
	OK(ioasid_hw_info_smmuv3_decode(&regs, sizeof(regs), &f));
	assert_true(f.stage1);
	assert_false(f.stage2 || f.fwb || f.pri || f.cd_2level);
	assert_int_equal(f.httu, 0);
	assert_int_equal(f.ssid_bits, 0);
	assert_int_equal(f.oas_bits, 52);
	assert_int_equal(f.va_bits, 52);
	assert_true(f.gran_64k);
	assert_false(f.gran_4k || f.gran_16k);
	ioasid_dev_close(dev);
	ioasid_ctx_close(ctx);
}

/* Decoding fixed register values: every field at its spec position,
 * each with a value no neighbouring field would produce. */
static void decode(void **state)
{
	struct ioasid_smmuv3_features f = { .sz = sizeof(f) };
	struct ioasid_hw_info_arm_smmuv3 regs = {
		.idr = {
			/* S2P, TTF 0b11, BTM, HTTU 0b01, ATS, MSI, VMID16,
			 * STALL_MODEL 0b10, TERM_MODEL, ST_LVL 0b01 */
			[0] = 1u << 0 | 3u << 2 | 1u << 5 | 1u << 6 | 1u << 10 |
			      1u << 13 | 1u << 18 | 2u << 24 | 1u << 26 |
			      1u << 27,
			/* SIDSIZE 32, SSIDSIZE 17, PRIQS 9, EVENTQS 11,
			 * CMDQS 13 */
			[1] = 32u | 17u << 6 | 9u << 11 | 11u << 16 | 13u << 21,
			[3] = 2u << 11,			/* BBML 2, no RIL/FWB */
			/* OAS 0b100 (44), GRAN16K, VAX 0b01, STALL_MAX 0x1234 */
			[5] = 4u | 1u << 5 | 1u << 10 | 0x1234u << 16,
		},
		/* implementer 0x43b, revision 3, variant 5, product 0x482 */
		.iidr = 0x43bu | 3u << 12 | 5u << 16 | 0x482u << 20,
		.aidr = 0x02u,
	};

	(void)state;
	OK(ioasid_hw_info_smmuv3_decode(&regs, sizeof(regs), &f));
	assert_false(f.stage1 || f.coherent || f.hyp || f.asid16 || f.pri ||
		     f.cd_2level || f.ril || f.fwb);
	assert_true(f.stage2 && f.aarch64_tables && f.aarch32_tables && f.btm &&
		    f.ats && f.msi && f.vmid16 && f.term_model);
	assert_int_equal(f.httu, 1);
	assert_int_equal(f.stall_model, IOASID_SMMUV3_STALL_FORCED);
	assert_int_equal(f.st_levels, 2);
	assert_int_equal(f.sid_bits, 32);
	assert_int_equal(f.ssid_bits, 17);
	assert_int_equal(f.priq_log2, 9);
	assert_int_equal(f.evtq_log2, 11);
	assert_int_equal(f.cmdq_log2, 13);
	assert_int_equal(f.bbml, 2);
	assert_int_equal(f.oas_bits, 44);
	assert_int_equal(f.va_bits, 52);
	assert_true(f.gran_16k);
	assert_false(f.gran_4k || f.gran_64k);
	assert_int_equal(f.stall_max, 0x1234);
	assert_int_equal(f.implementer, 0x43b);
	assert_int_equal(f.revision, 3);
	assert_int_equal(f.variant, 5);
	assert_int_equal(f.product, 0x482);
	assert_int_equal(f.arch_minor, 2);

	/* HTTU 0b11 is reserved: no hardware updates claimed. */
	regs.idr[0] |= 3u << 6;
	OK(ioasid_hw_info_smmuv3_decode(&regs, sizeof(regs), &f));
	assert_int_equal(f.httu, 0);
	/* IDR0-5 only: IIDR and AIDR read as 0. */
	OK(ioasid_hw_info_smmuv3_decode(&regs, 32, &f));
	assert_int_equal(f.implementer, 0);
	assert_int_equal(f.arch_minor, 0);
	EXPECT_ERR(EINVAL, "IDR0-IDR5", ioasid_hw_info_smmuv3_decode(&regs, 31, &f));
	EXPECT_ERR(EINVAL, "data", ioasid_hw_info_smmuv3_decode(NULL, 40, &f));
	EXPECT_ERR(EINVAL, NULL, ioasid_hw_info_smmuv3_decode(&regs, 40, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hw_info_smmuv3),
		cmocka_unit_test(decode),
	};

	return cmocka_run_group_tests_name("smmuv3", tests, NULL, NULL);
}
