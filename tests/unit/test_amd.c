// SPDX-License-Identifier: MIT
/*
 * AMD IOMMUs on the simulator: IOMMU_GET_HW_INFO of a device behind an
 * "amd-vi" IOMMU reports IOMMU_HW_INFO_TYPE_AMD with the EFR and EFR2
 * (drivers/iommu/amd/iommufd.c amd_iommufd_hw_info()), and
 * ioasid_hw_info_amd_decode() decodes them.  On the simulator only: the
 * VM suite's QEMU configurations (tests/vm/run.sh --variant) all put the
 * guest behind intel-iommu, and QEMU's own amd-iommu, which a new variant
 * could use, was not tried here: whether the guest's AMD driver then
 * reports GET_HW_INFO data for a vfio-pci device is unverified, and it
 * would not reach nesting (QEMU's amd-iommu emulates no guest
 * translation).  A vIOMMU of AMD type is not tested anywhere because the
 * 7.3 uAPI has no IOMMU_VIOMMU_TYPE_AMD (lib/backend/sim/amd_iommufd.c).
 */
#include "helpers.h"

#define NESTING "0000:00:03.0" /* amdvi0: nesting, dirty, PASID 16 */
#define PLAIN "0000:00:04.0"   /* amdvi1: none of them */

static struct ioasid_dev *open_bound(struct ioasid_ctx *ctx, const char *name)
{
	struct ioasid_dev *dev;

	OK(ioasid_dev_open(ctx, name, &dev));
	OK(ioasid_dev_bind(dev, NULL));
	return dev;
}

static void hw_info_amd(void **state)
{
	struct ioasid_ctx *ctx = sim_open("amd.ini");
	struct ioasid_hw_info info = { .sz = sizeof(info) };
	struct ioasid_amd_features f = { .sz = sizeof(f) };
	struct ioasid_hw_info_amd regs;
	struct ioasid_dev *dev = open_bound(ctx, NESTING);
	unsigned char small[4];

	(void)state;
	memset(&regs, 0xaa, sizeof(regs));
	OK(ioasid_dev_hw_info(dev, &info, &regs, sizeof(regs)));
	assert_int_equal(info.type, IOASID_HW_INFO_AMD);
	assert_int_equal(info.data_len, sizeof(regs));
	assert_true(info.capabilities & IOASID_HW_CAP_DIRTY_TRACKING);
	OK(ioasid_hw_info_amd_decode(&regs, sizeof(regs), &f));
	assert_true(f.gt && f.gio && f.hd && f.ppr);
	assert_false(f.ga || f.eph || f.snp || f.gcr3_trap);
	assert_int_equal(f.pasid_width, 16);
	assert_int_equal(f.guest_levels, 4);
	assert_int_equal(f.glx, 0);
	/* HDSup is the host's business: not in what a guest may see. */
	assert_true(f.vmm_efr == (regs.efr & ~(1ull << 52)));
	assert_int_equal(regs.efr2, 0);

	/* A short buffer gets the first bytes; data_len says there is more. */
	memset(small, 0xaa, sizeof(small));
	OK(ioasid_dev_hw_info(dev, &info, small, sizeof(small)));
	assert_memory_equal(small, &regs, sizeof(small));
	assert_int_equal(info.data_len, sizeof(regs));
	ioasid_dev_close(dev);

	dev = open_bound(ctx, PLAIN);
	OK(ioasid_dev_hw_info(dev, &info, &regs, sizeof(regs)));
	assert_int_equal(info.type, IOASID_HW_INFO_AMD);
	OK(ioasid_hw_info_amd_decode(&regs, sizeof(regs), &f));
	assert_false(f.gt || f.gio || f.hd || f.ppr);
	assert_int_equal(f.vmm_efr, 0);
	ioasid_dev_close(dev);
	ioasid_ctx_close(ctx);
}

/* Decoding fixed register values: every field at its spec position. */
static void decode(void **state)
{
	struct ioasid_amd_features f = { .sz = sizeof(f) };
	struct ioasid_hw_info_amd regs = {
		/* PPR GT GA, GATS 1, GLX 2, PASmax 19, GIo HA EPH HD SNP */
		.efr = (1ull << 1) | (1ull << 4) | (1ull << 7) | (1ull << 12) |
		       (2ull << 14) | (19ull << 32) | (1ull << 48) | (1ull << 49) |
		       (1ull << 50) | (1ull << 52) | (1ull << 63) | (1ull << 9),
		.efr2 = 1ull << 3,
	};

	(void)state;
	OK(ioasid_hw_info_amd_decode(&regs, sizeof(regs), &f));
	assert_true(f.ppr && f.gt && f.ga && f.gio && f.ha && f.eph && f.hd &&
		    f.snp && f.gcr3_trap);
	assert_int_equal(f.guest_levels, 5);
	assert_int_equal(f.glx, 2);
	assert_int_equal(f.pasid_width, 20);
	assert_true(f.vmm_efr == (regs.efr & IOASID_AMD_EFR_VMM_ALLOWED));
	assert_false(f.vmm_efr & ((1ull << 9) | (1ull << 49) | (1ull << 52) |
				  (1ull << 63)));

	/* EFR only (an older layout): EFR2 reads as 0. */
	OK(ioasid_hw_info_amd_decode(&regs, sizeof(regs.efr), &f));
	assert_false(f.gcr3_trap);
	EXPECT_ERR(EINVAL, "EFR", ioasid_hw_info_amd_decode(&regs, 4, &f));
	EXPECT_ERR(EINVAL, "data", ioasid_hw_info_amd_decode(NULL, 16, &f));
	EXPECT_ERR(EINVAL, NULL, ioasid_hw_info_amd_decode(&regs, 16, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hw_info_amd),
		cmocka_unit_test(decode),
	};

	return cmocka_run_group_tests_name("amd", tests, NULL, NULL);
}
