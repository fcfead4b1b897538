// SPDX-License-Identifier: MIT
/*
 * Paging HWPTs allocated by the user, on the simulator, following the
 * kernel (drivers/iommu/iommufd/hw_pagetable.c, device.c, main.c; Linux
 * 7.3).
 *
 * Kernel facts used here: iommufd_hwpt_paging_alloc() adds the new domain
 * to the IOAS at once (iopt_table_add_domain(): aperture reserved,
 * alignment raised) but a device's reserved regions only join at attach;
 * the HWPT holds its IOAS (refcount_inc(&ioas->obj.users)); the auto
 * domain search skips HWPTs that are not auto domains
 * (iommufd_device_auto_get_domain()).
 *
 * Alloc errors, destroy while busy or by the wrong type, replace and the
 * auto-domain search are in tests/harness/api_hwpt.c (both backends); the
 * cases here need the unit topology (vtd0's MSI window joining at attach,
 * an unbound device, a 39-bit vtd1).
 */
#include "helpers.h"

/* The 48-bit aperture alone, as a vtd0 HWPT with no device leaves it. */
#define EXPECT_RANGES_APERTURE48(ctx, ioas)                                \
	EXPECT_RANGES(ctx, ioas, SZ_4K, { 0, (1ULL << 48) - 1 })

/* iommufd_hwpt_alloc(); selftest iommufd_ioas.hwpt_attach and
 * iommufd_mock_domain.alloc_hwpt. */
static void test_hwpt_alloc_and_attach(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	uint32_t hwpt = 0, used = 0;

	OK(ioasid_hwpt_alloc(a, f->ioas, NULL, &hwpt));
	assert_int_not_equal(hwpt, 0);
	assert_int_not_equal(hwpt, f->ioas);
	EXPECT_RANGES_APERTURE48(f->ctx, f->ioas);

	OK(ioasid_dev_attach(a, hwpt, &used));
	assert_int_equal(used, hwpt);
	assert_int_equal(ioasid_dev_pt_id(a), hwpt);
	assert_int_equal(ioasid_dev_hwpt_id(a), hwpt);
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);

	/* Detaching drops the device's regions; the HWPT's aperture stays. */
	OK(ioasid_dev_detach(a));
	EXPECT_RANGES_APERTURE48(f->ctx, f->ioas);
	OK(ioasid_hwpt_destroy(f->ctx, hwpt));
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

static void test_hwpt_alloc_unbound(void **state)
{
	FX;
	struct ioasid_dev *a = NULL;
	uint32_t hwpt = 0;

	OK(ioasid_dev_open(f->ctx, DEV_A, &a));
	EXPECT_ERR(EINVAL, DEV_A, ioasid_hwpt_alloc(a, f->ioas, NULL, &hwpt));
	assert_int_equal(hwpt, 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

/* A vtd1 device (39-bit) cannot use a 48-bit vtd0 domain: the IOMMU
 * driver refuses with -EINVAL (intel paging_domain_compatible_second_stage(),
 * "Address width falls within the capability"). */
static void test_hwpt_incompatible_iommu(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	struct ioasid_dev *c = dev_open_bound(f->ctx, DEV_C);
	uint32_t hwpt = 0, used = 0;

	OK(ioasid_hwpt_alloc(a, f->ioas, NULL, &hwpt));
	EXPECT_ERR(EINVAL, NULL, ioasid_dev_attach(c, hwpt, &used));
	assert_int_equal(ioasid_dev_pt_id(c), 0);
	EXPECT_RANGES_APERTURE48(f->ctx, f->ioas);
	/* Through the IOAS it gets a domain of its own. */
	OK(ioasid_dev_attach(c, f->ioas, &used));
	assert_int_not_equal(used, hwpt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hwpt_alloc_and_attach),
		T(test_hwpt_alloc_unbound),
		T(test_hwpt_incompatible_iommu),
	};
	return cmocka_run_group_tests_name("hwpt", tests, NULL, NULL);
}
