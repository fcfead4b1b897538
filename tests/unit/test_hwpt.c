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

/* An attach to the IOAS does not pick a user-allocated HWPT. */
static void test_hwpt_not_an_auto_domain(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	uint32_t hwpt = 0, used = 0;

	OK(ioasid_hwpt_alloc(a, f->ioas, NULL, &hwpt));
	OK(ioasid_dev_attach(a, f->ioas, &used));
	assert_int_not_equal(used, hwpt);
	assert_int_equal(ioasid_dev_pt_id(a), f->ioas);
	assert_int_equal(ioasid_dev_hwpt_id(a), used);
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

/* iommufd_hwpt_alloc(): a pt_id that is no object, or an object that is
 * neither IOAS, paging HWPT nor vIOMMU, is -EINVAL (not -ENOENT: the
 * lookup failure is turned into -EINVAL). */
static void test_hwpt_alloc_unknown_ioas(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	uint32_t hwpt = 0;

	EXPECT_ERR(EINVAL, BAD_ID_STR,
		   ioasid_hwpt_alloc(a, BAD_ID, NULL, &hwpt));
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_hwpt_alloc(a, ioasid_dev_id(a), NULL, &hwpt));
	assert_int_equal(hwpt, 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

/* iommufd_hwpt_paging_alloc(): flags outside the valid set are
 * -EOPNOTSUPP, and so is DIRTY_TRACKING without the capability (the
 * topology gives none). */
static void test_hwpt_alloc_flags(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	IOASID_OPTS(ioasid_hwpt_alloc_opts, unknown, .flags = 1u << 31);
	uint32_t hwpt = 0;

	EXPECT_ERR(EOPNOTSUPP, "0x80000000",
		   ioasid_hwpt_alloc(a, f->ioas, &unknown, &hwpt));
	assert_int_equal(hwpt, 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

/* iopt_table_add_domain(): a mapping outside the new domain's aperture
 * makes the aperture reservation fail with -EADDRINUSE. */
static void test_hwpt_alloc_mapping_outside_aperture(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	uint32_t hwpt = 0;

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 1ULL << 50));
	EXPECT_ERR(EADDRINUSE, NULL,
		   ioasid_hwpt_alloc(a, f->ioas, NULL, &hwpt));
	assert_int_equal(hwpt, 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	assert_true(is_mapped(f->ctx, f->ioas, 1ULL << 50, SZ_4K));
}

/* iommufd_object_remove(): a HWPT with a device attached is -EBUSY; the
 * HWPT holds its IOAS even with no device.  Selftest
 * iommufd_ioas.ioas_destroy. */
static void test_hwpt_destroy_in_use(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	char id[16];
	uint32_t hwpt = 0;

	OK(ioasid_hwpt_alloc(a, f->ioas, NULL, &hwpt));
	OK(ioasid_dev_attach(a, hwpt, NULL));
	snprintf(id, sizeof(id), "%u", hwpt);
	EXPECT_ERR(EBUSY, id, ioasid_hwpt_destroy(f->ctx, hwpt));
	assert_int_equal(ioasid_dev_pt_id(a), hwpt);
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);

	OK(ioasid_dev_detach(a));
	EXPECT_ERR(EBUSY, NULL, ioasid_ioas_destroy(f->ctx, f->ioas));
	OK(ioasid_hwpt_destroy(f->ctx, hwpt));
	OK(ioasid_ioas_destroy(f->ctx, f->ioas));
}

/* The library destroys by type: an IOAS id given as a HWPT, or a HWPT id
 * given as an IOAS, is -ENOENT and destroys nothing. */
static void test_hwpt_destroy_wrong_type(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	uint32_t hwpt = 0;
	char id[16];

	OK(ioasid_hwpt_alloc(a, f->ioas, NULL, &hwpt));
	snprintf(id, sizeof(id), "%u", f->ioas);
	EXPECT_ERR(ENOENT, id, ioasid_hwpt_destroy(f->ctx, f->ioas));
	snprintf(id, sizeof(id), "%u", hwpt);
	EXPECT_ERR(ENOENT, id, ioasid_ioas_destroy(f->ctx, hwpt));
	EXPECT_ERR(ENOENT, BAD_ID_STR, ioasid_hwpt_destroy(f->ctx, BAD_ID));
	EXPECT_ERR(ENOENT, NULL,
		   ioasid_hwpt_destroy(f->ctx, ioasid_dev_id(a)));
	/* Both objects are still there and usable. */
	EXPECT_RANGES_APERTURE48(f->ctx, f->ioas);
	OK(ioasid_dev_attach(a, hwpt, NULL));
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

/* iommufd_device_replace() between an auto domain and a user HWPT: the
 * auto domain goes away with its last device.  Selftest
 * iommufd_mock_domain.replace. */
static void test_hwpt_replace(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	uint32_t hwpt = 0, autod = 0, used = 0;

	OK(ioasid_hwpt_alloc(a, f->ioas, NULL, &hwpt));
	OK(ioasid_dev_attach(a, f->ioas, &autod));
	OK(ioasid_dev_replace(a, hwpt, &used));
	assert_int_equal(used, hwpt);
	assert_int_equal(ioasid_dev_pt_id(a), hwpt);
	EXPECT_ERR(ENOENT, NULL, ioasid_hwpt_destroy(f->ctx, autod));
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);
	OK(ioasid_dev_replace(a, f->ioas, &used));
	assert_int_not_equal(used, hwpt);
	OK(ioasid_hwpt_destroy(f->ctx, hwpt));
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hwpt_alloc_and_attach),
		T(test_hwpt_not_an_auto_domain),
		T(test_hwpt_alloc_unbound),
		T(test_hwpt_alloc_unknown_ioas),
		T(test_hwpt_alloc_flags),
		T(test_hwpt_alloc_mapping_outside_aperture),
		T(test_hwpt_destroy_in_use),
		T(test_hwpt_destroy_wrong_type),
		T(test_hwpt_incompatible_iommu),
		T(test_hwpt_replace),
	};
	return cmocka_run_group_tests_name("hwpt", tests, NULL, NULL);
}
