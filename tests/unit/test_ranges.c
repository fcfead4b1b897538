// SPDX-License-Identifier: MIT
/*
 * IOVA ranges and allow-lists of an IOAS on the simulator, as the kernel
 * computes them (drivers/iommu/iommufd/ioas.c, io_pagetable.c, Linux 7.3).
 *
 * Kernel model: IOMMU_IOAS_IOVA_RANGES reports the holes of the IOAS's
 * reserved tree (iommufd_ioas_iova_ranges()).  Attaching a device adds its
 * reserved regions except direct-relaxable ones
 * (iopt_table_enforce_dev_resv_regions()) and everything outside its
 * domain's aperture (iopt_table_add_domain()); detaching removes them.
 * The allow-list is a separate tree: it steers IOVA allocation and makes
 * reservations that would intersect it fail, but it is not part of the
 * reported ranges and does not restrict fixed IOVAs.
 */
#include "helpers.h"

static struct ioasid_dev *attach(struct fx *f, const char *name,
				 uint32_t *hwpt)
{
	struct ioasid_dev *dev = dev_open_bound(f->ctx, name);

	OK(ioasid_dev_attach(dev, f->ioas, hwpt));
	return dev;
}

/* Where the next 4 KiB any-IOVA map of a 2 MiB-aligned buffer lands: shows
 * which allow-list is in force.  Undone before returning. */
static uint64_t next_any_iova(struct fx *f)
{
	uint64_t iova = 0;

	OK(map_any(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova));
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, iova, SZ_4K, NULL));
	return iova;
}

/* ------------------------------------------------------------------ */
/* iova_ranges                                                          */

/* A new IOAS: one range over everything, alignment 1 (iopt_init_table()).
 * Selftest iommufd_ioas.iova_ranges (no_domain). */
static void test_ranges_empty(void **state)
{
	FX;
	uint64_t align = 0;
	uint32_t num = 0;

	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	/* Alignment alone may be asked with a NULL array after EMSGSIZE. */
	EXPECT_ERR(EMSGSIZE, NULL,
		   ioasid_ioas_iova_ranges(f->ctx, f->ioas, NULL, &num, &align));
	assert_int_equal(num, 1);
	assert_int_equal(align, 1);
}

/* iommufd_ioas_iova_ranges(): a short array gets the first entries, the
 * count needed, and -EMSGSIZE; the caller then asks again.  Selftest
 * iommufd_ioas.iova_ranges ("Buffer too small"). */
static void test_ranges_emsgsize(void **state)
{
	FX;
	struct ioasid_iova_range r[3];
	uint32_t num;

	attach(f, DEV_A, NULL);
	memset(r, 0xee, sizeof(r));
	num = 1;
	EXPECT_ERR(EMSGSIZE, NULL,
		   ioasid_ioas_iova_ranges(f->ctx, f->ioas, r, &num, NULL));
	assert_int_equal(num, 2);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, MSI_START - 1);
	assert_int_equal(r[1].start, 0xeeeeeeeeeeeeeeeeULL); /* untouched */

	num = 2;
	OK(ioasid_ioas_iova_ranges(f->ctx, f->ioas, r, &num, NULL));
	assert_int_equal(num, 2);
	assert_int_equal(r[1].start, MSI_LAST + 1);
	assert_int_equal(r[1].last, (1ULL << 48) - 1);
	assert_int_equal(r[2].start, 0xeeeeeeeeeeeeeeeeULL);

	/* A larger array is fine; num comes back as the count. */
	num = 3;
	OK(ioasid_ioas_iova_ranges(f->ctx, f->ioas, r, &num, NULL));
	assert_int_equal(num, 2);
}

/* Narrowing on attach, widening on detach, alignment from the smallest
 * IOMMU page (iopt_table_add_domain(), iopt_table_remove_domain(),
 * iopt_calculate_iova_alignment()).  DEV_C's vtd1 cannot use vtd0's
 * 48-bit domain (intel paging_domain_compatible_second_stage(): address
 * width), so it gets its own auto domain and both apply. */
static void test_ranges_narrow_and_widen(void **state)
{
	FX;
	uint32_t hwpt_a = 0, hwpt_c = 0;
	struct ioasid_dev *a = attach(f, DEV_A, &hwpt_a);

	EXPECT_RANGES_VTD0(f->ctx, f->ioas);
	struct ioasid_dev *c = attach(f, DEV_C, &hwpt_c);

	assert_int_not_equal(hwpt_a, hwpt_c);
	EXPECT_RANGES(f->ctx, f->ioas, SZ_4K, { 0, 0xfff },
		      { 0x2000, MSI_START - 1 },
		      { MSI_LAST + 1, (1ULL << 39) - 1 });
	OK(ioasid_dev_detach(c));
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);
	OK(ioasid_dev_detach(a));
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

/* Direct-relaxable regions are not reserved in the IOAS, direct ones are
 * (iopt_table_enforce_dev_resv_regions()). */
static void test_ranges_direct_relaxable(void **state)
{
	FX;

	attach(f, DEV_B, NULL);
	EXPECT_RANGES(f->ctx, f->ioas, SZ_4K, { 0, 0x9ffff },
		      { 0xc0000, MSI_START - 1 },
		      { MSI_LAST + 1, (1ULL << 48) - 1 });
}

/* A second device behind the same IOMMU shares the auto domain
 * (iommufd_device_auto_get_domain() tries the IOAS's HWPTs first). */
static void test_ranges_shared_domain(void **state)
{
	FX;
	uint32_t hwpt_a = 0, hwpt_b = 0;

	attach(f, DEV_A, &hwpt_a);
	attach(f, DEV_B, &hwpt_b);
	assert_int_equal(hwpt_a, hwpt_b);
	EXPECT_RANGES(f->ctx, f->ioas, SZ_4K, { 0, 0x9ffff },
		      { 0xc0000, MSI_START - 1 },
		      { MSI_LAST + 1, (1ULL << 48) - 1 });
}

static void test_ranges_unknown_ioas(void **state)
{
	FX;
	struct ioasid_iova_range r[2];
	uint32_t num = 2;

	/* iommufd_get_ioas(): -ENOENT. */
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_iova_ranges(f->ctx, BAD_ID, r, &num, NULL));
}

/* ------------------------------------------------------------------ */
/* allow_iovas                                                          */

/* iommufd_ioas_load_iovas(): start >= last and overlapping ranges are
 * -EINVAL, and the list in force stays (the swap never happens). */
static void test_allow_bad_ranges(void **state)
{
	FX;
	const struct ioasid_iova_range good = { SZ_1M, 2 * SZ_1M - 1 };
	const struct ioasid_iova_range backwards = { 0x3000, 0x2000 };
	const struct ioasid_iova_range single = { 0x5000, 0x5000 };
	const struct ioasid_iova_range overlap[2] = {
		{ 0x10000, 0x1ffff },
		{ 0x1f000, 0x2ffff },
	};

	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, &good, 1));
	EXPECT_ERR(EINVAL, "0x3000",
		   ioasid_ioas_allow_iovas(f->ctx, f->ioas, &backwards, 1));
	EXPECT_ERR(EINVAL, "0x5000",
		   ioasid_ioas_allow_iovas(f->ctx, f->ioas, &single, 1));
	EXPECT_ERR(EINVAL, "0x1f000",
		   ioasid_ioas_allow_iovas(f->ctx, f->ioas, overlap, 2));
	assert_int_equal(next_any_iova(f), SZ_1M);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

/* iopt_set_allow_iova(): an allowed range intersecting reserved IOVA (an
 * attached device's MSI window, or past its aperture) is -EADDRINUSE and
 * the old list stays.  Selftest iommufd_ioas.area_allowed ("Allowed
 * intersects a reserved") and area_auto_iova. */
static void test_allow_reserved_conflict(void **state)
{
	FX;
	const struct ioasid_iova_range first = { SZ_1M, 2 * SZ_1M - 1 };
	const struct ioasid_iova_range msi = { 0xfe000000, 0xfeffffff };
	const struct ioasid_iova_range high = { 1ULL << 48,
						(1ULL << 48) + 0xfff };

	attach(f, DEV_A, NULL);
	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, &first, 1));
	EXPECT_ERR(EADDRINUSE, "0xfee00000",
		   ioasid_ioas_allow_iovas(f->ctx, f->ioas, &msi, 1));
	EXPECT_ERR(EADDRINUSE, "0x1000000000000",
		   ioasid_ioas_allow_iovas(f->ctx, f->ioas, &high, 1));
	assert_int_equal(next_any_iova(f), SZ_1M);
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);
}

/* iopt_reserve_iova(): attaching a device whose reserved region lies in
 * the allow-list is -EADDRINUSE; the device stays detached and the IOAS
 * as it was (iopt_table_enforce_dev_resv_regions() undoes its
 * reservations).  Selftest iommufd_ioas.area_allowed ("Reserved
 * intersects an allowed"). */
static void test_allow_blocks_attach(void **state)
{
	FX;
	const struct ioasid_iova_range msi = { 0xfe000000, 0xfeffffff };
	struct ioasid_dev *dev = dev_open_bound(f->ctx, DEV_A);
	uint32_t hwpt = 0;

	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, &msi, 1));
	EXPECT_ERR(EADDRINUSE, "0xfee00000",
		   ioasid_dev_attach(dev, f->ioas, &hwpt));
	assert_int_equal(ioasid_dev_pt_id(dev), 0);
	assert_int_equal(ioasid_dev_hwpt_id(dev), 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	assert_int_equal(next_any_iova(f), 0xfe000000);

	/* Clearing the list lets the attach through. */
	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, NULL, 0));
	OK(ioasid_dev_attach(dev, f->ioas, &hwpt));
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);
}

/* iopt_set_allow_iova() checks reserved IOVA only: existing mappings
 * outside the new list stay and do not make it fail; fixed maps outside
 * it still work (iopt_check_iova() does not look at the allow-list); the
 * reported ranges do not change (iommufd_ioas_iova_ranges() walks the
 * reserved tree only). */
static void test_allow_and_mappings(void **state)
{
	FX;
	const struct ioasid_iova_range list = { 2 * SZ_1M, 3 * SZ_1M - 1 };

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, SZ_1M));
	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, &list, 1));
	assert_true(is_mapped(f->ctx, f->ioas, SZ_1M, SZ_4K));
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 8 * SZ_1M));
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	assert_int_equal(next_any_iova(f), 2 * SZ_1M);
}

/* The list replaces the previous one; an empty list removes it
 * (iommufd_ioas_allow_iovas() swaps the whole tree). */
static void test_allow_replace_and_clear(void **state)
{
	FX;
	const struct ioasid_iova_range one = { SZ_1M, 2 * SZ_1M - 1 };
	const struct ioasid_iova_range two[2] = {
		{ 16 * SZ_1M, 17 * SZ_1M - 1 },
		{ 4 * SZ_1M, 5 * SZ_1M - 1 },
	};

	assert_int_equal(next_any_iova(f), SZ_4K);
	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, &one, 1));
	assert_int_equal(next_any_iova(f), SZ_1M);
	/* Unsorted input is fine; allocation takes the lowest. */
	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, two, 2));
	assert_int_equal(next_any_iova(f), 4 * SZ_1M);
	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, NULL, 0));
	assert_int_equal(next_any_iova(f), SZ_4K);

	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_allow_iovas(f->ctx, BAD_ID, &one, 1));
	assert_int_equal(next_any_iova(f), SZ_4K);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ranges_empty),
		T(test_ranges_emsgsize),
		T(test_ranges_narrow_and_widen),
		T(test_ranges_direct_relaxable),
		T(test_ranges_shared_domain),
		T(test_ranges_unknown_ioas),
		T(test_allow_bad_ranges),
		T(test_allow_reserved_conflict),
		T(test_allow_blocks_attach),
		T(test_allow_and_mappings),
		T(test_allow_replace_and_clear),
	};
	return cmocka_run_group_tests_name("ranges", tests, NULL, NULL);
}
