// SPDX-License-Identifier: MIT
/*
 * Combining endpoints that share one address space
 * (ioasid_endpoints_combine(), ioasid_endpoint_from_dev()) and the IOMMU
 * limits behind a device (ioasid_dev_iommu_info()).
 */
#include "helpers.h"

#define R(s, l, t) { .start = (s), .last = (l), .type = IOASID_RESV_##t }

static void expect_region(const struct ioasid_resv_region *r, uint64_t start,
			  uint64_t last, enum ioasid_resv_type type)
{
	assert_int_equal(r->start, start);
	assert_int_equal(r->last, last);
	assert_int_equal(r->type, type);
}

/* Two endpoints: min PASID, max granule, min aperture, common sizes. */
static void test_combine_limits(void **state)
{
	struct ioasid_endpoint a = { .name = "a", .pasid_width = 20,
		.page_sizes = SZ_4K | SZ_2M | (1ull << 30),
		.aperture_last = (1ull << 48) - 1 };
	struct ioasid_endpoint b = { .name = "b", .pasid_width = 8,
		.page_sizes = SZ_64K | (512ull << 20) | (1ull << 30),
		.aperture_last = (1ull << 39) - 1 };
	struct ioasid_endpoint eps[2] = { a, b };
	IOASID_OPTS(ioasid_combined, out);

	(void)state;
	OK(ioasid_endpoints_combine(eps, 2, &out));
	assert_int_equal(out.pasid_width, 8);
	assert_int_equal(out.granule, SZ_64K);
	/* 64K (the granule) and 1G (both have it); not 2M or 512M. */
	assert_int_equal(out.page_sizes, SZ_64K | (1ull << 30));
	assert_int_equal(out.aperture_last, (1ull << 39) - 1);
	assert_int_equal(out.num_regions, 0);
	assert_int_equal(out.num_doorbells, 0);
	assert_int_equal(out.flags, 0);
}

/* An emulated endpoint (all zero) constrains nothing but PASID. */
static void test_combine_emulated(void **state)
{
	struct ioasid_endpoint emu = { .name = "virtio-net" };
	struct ioasid_endpoint real = { .pasid_width = 20,
		.page_sizes = SZ_4K | SZ_2M, .aperture_last = 0xffffffff };
	struct ioasid_endpoint eps[2] = { emu, real };
	IOASID_OPTS(ioasid_combined, out);

	(void)state;
	OK(ioasid_endpoints_combine(&emu, 1, &out));
	assert_int_equal(out.granule, 0);
	assert_int_equal(out.page_sizes, 0);
	assert_int_equal(out.aperture_last, UINT64_MAX);
	assert_int_equal(out.pasid_width, 0);

	OK(ioasid_endpoints_combine(eps, 2, &out));
	assert_int_equal(out.granule, SZ_4K);
	assert_int_equal(out.page_sizes, SZ_4K | SZ_2M);
	assert_int_equal(out.aperture_last, 0xffffffff);
	assert_int_equal(out.pasid_width, 0);
}

/* Regions: sorted, same-type overlaps and neighbours joined, different
 * types split by precedence (reserved > direct > msi > sw-msi >
 * direct-relaxable), doorbells kept apart. */
static void test_combine_regions(void **state)
{
	const struct ioasid_resv_region ra[] = {
		R(0xfee00000, 0xfeefffff, MSI),
		R(0x1000, 0x1fff, DIRECT),
		R(0x10000, 0x1ffff, DIRECT_RELAXABLE),
	};
	const struct ioasid_resv_region rb[] = {
		R(0x2000, 0x2fff, DIRECT),	  /* touches a's direct */
		R(0x18000, 0x18fff, RESERVED), /* inside a's relaxable */
		R(0xfef00000, 0xfeffffff, MSI),  /* touches a's msi */
		R(0xfe000000, 0xfe0fffff, SW_MSI),
	};
	struct ioasid_endpoint a = { .regions = ra, .num_regions = 3 };
	struct ioasid_endpoint b = { .regions = rb, .num_regions = 4 };
	struct ioasid_endpoint eps[2] = { a, b };
	struct ioasid_resv_region regs[8], bells[4];
	IOASID_OPTS(ioasid_combined, out, .regions = regs, .max_regions = 8,
		    .doorbells = bells, .max_doorbells = 4);

	(void)state;
	OK(ioasid_endpoints_combine(eps, 2, &out));
	assert_int_equal(out.num_regions, 6);
	expect_region(&regs[0], 0x1000, 0x2fff, IOASID_RESV_DIRECT);
	expect_region(&regs[1], 0x10000, 0x17fff, IOASID_RESV_DIRECT_RELAXABLE);
	expect_region(&regs[2], 0x18000, 0x18fff, IOASID_RESV_RESERVED);
	expect_region(&regs[3], 0x19000, 0x1ffff, IOASID_RESV_DIRECT_RELAXABLE);
	expect_region(&regs[4], 0xfe000000, 0xfe0fffff, IOASID_RESV_SW_MSI);
	expect_region(&regs[5], 0xfee00000, 0xfeffffff, IOASID_RESV_MSI);
	assert_int_equal(out.num_doorbells, 2);
	expect_region(&bells[0], 0xfe000000, 0xfe0fffff, IOASID_RESV_SW_MSI);
	expect_region(&bells[1], 0xfee00000, 0xfeffffff, IOASID_RESV_MSI);
	assert_int_equal(out.flags, 0);
}

/* A sw-msi window under a fixed msi window or a direct region: the msi
 * wins the overlap in both lists and the conflict is flagged. */
static void test_combine_msi_conflict(void **state)
{
	const struct ioasid_resv_region ra[] = {
		R(0x8000000, 0x80fffff, SW_MSI),
	};
	const struct ioasid_resv_region rb[] = {
		R(0x8080000, 0x817ffff, MSI),
	};
	const struct ioasid_resv_region rc_[] = {
		R(0x8000000, 0x8000fff, DIRECT_RELAXABLE),
	};
	struct ioasid_endpoint a = { .regions = ra, .num_regions = 1 };
	struct ioasid_endpoint b = { .regions = rb, .num_regions = 1 };
	struct ioasid_endpoint c = { .regions = rc_, .num_regions = 1 };
	struct ioasid_endpoint eps[3] = { a, b, c };
	struct ioasid_resv_region regs[4], bells[4];
	IOASID_OPTS(ioasid_combined, out, .regions = regs, .max_regions = 4,
		    .doorbells = bells, .max_doorbells = 4);

	(void)state;
	/* a and c: relaxable ranks below sw-msi, no conflict. */
	eps[1] = c;
	OK(ioasid_endpoints_combine(eps, 2, &out));
	assert_int_equal(out.num_regions, 1);
	expect_region(&regs[0], 0x8000000, 0x80fffff, IOASID_RESV_SW_MSI);
	assert_int_equal(out.flags, 0);

	eps[1] = b;
	OK(ioasid_endpoints_combine(eps, 3, &out));
	assert_int_equal(out.num_regions, 2);
	expect_region(&regs[0], 0x8000000, 0x807ffff, IOASID_RESV_SW_MSI);
	expect_region(&regs[1], 0x8080000, 0x817ffff, IOASID_RESV_MSI);
	assert_int_equal(out.num_doorbells, 2);
	expect_region(&bells[0], 0x8000000, 0x807ffff, IOASID_RESV_SW_MSI);
	expect_region(&bells[1], 0x8080000, 0x817ffff, IOASID_RESV_MSI);
	assert_int_equal(out.flags, IOASID_COMBINED_MSI_CONFLICT);
}

/* Regions reaching UINT64_MAX merge without wrapping. */
static void test_combine_top(void **state)
{
	const struct ioasid_resv_region ra[] = {
		R(0xffffffffffff0000ull, UINT64_MAX, RESERVED),
		R(0xfffffffffff00000ull, 0xffffffffffff0fffull, RESERVED),
	};
	struct ioasid_endpoint a = { .regions = ra, .num_regions = 2 };
	struct ioasid_resv_region regs[2];
	IOASID_OPTS(ioasid_combined, out, .regions = regs, .max_regions = 2);

	(void)state;
	OK(ioasid_endpoints_combine(&a, 1, &out));
	assert_int_equal(out.num_regions, 1);
	expect_region(&regs[0], 0xfffffffffff00000ull, UINT64_MAX,
		      IOASID_RESV_RESERVED);
}

/* Short arrays: -EMSGSIZE, counts, first entries, other outputs set. */
static void test_combine_emsgsize(void **state)
{
	const struct ioasid_resv_region ra[] = {
		R(0x1000, 0x1fff, DIRECT),
		R(0x3000, 0x3fff, RESERVED),
		R(0xfee00000, 0xfeefffff, MSI),
	};
	struct ioasid_endpoint a = { .regions = ra, .num_regions = 3,
		.pasid_width = 5 };
	struct ioasid_resv_region regs[1];
	IOASID_OPTS(ioasid_combined, out, .regions = regs, .max_regions = 1);
	IOASID_OPTS(ioasid_combined, count);

	(void)state;
	EXPECT_ERR(EMSGSIZE, "3 reserved regions",
		   ioasid_endpoints_combine(&a, 1, &out));
	assert_int_equal(out.num_regions, 3);
	assert_int_equal(out.num_doorbells, 1);
	assert_int_equal(out.pasid_width, 5);
	expect_region(&regs[0], 0x1000, 0x1fff, IOASID_RESV_DIRECT);
	/* NULL arrays count. */
	EXPECT_ERR(EMSGSIZE, NULL, ioasid_endpoints_combine(&a, 1, &count));
	assert_int_equal(count.num_regions, 3);
}

static void test_combine_errors(void **state)
{
	const struct ioasid_resv_region inverted[] = { R(0x2000, 0x1fff, MSI) };
	struct ioasid_resv_region badtype[] = { R(0x1000, 0x1fff, MSI) };
	struct ioasid_endpoint a = { .name = "ep-a", .regions = inverted,
		.num_regions = 1 };
	struct ioasid_endpoint b = { .name = "ep-b", .regions = badtype,
		.num_regions = 1 };
	struct ioasid_endpoint nullregs = { .name = "ep-c",
		.num_regions = 2 };
	struct ioasid_endpoint newer = { .name = "ep-d" };
	IOASID_OPTS(ioasid_combined, out);
	struct ioasid_combined outnosz = { .sz = 0 };

	(void)state;
	badtype[0].type = (enum ioasid_resv_type)9;
	newer.__reserved[2] = 1; /* a member of a later release */
	EXPECT_ERR(EINVAL, "ep-a: region 0", ioasid_endpoints_combine(&a, 1, &out));
	EXPECT_ERR(EINVAL, "unknown type 9", ioasid_endpoints_combine(&b, 1, &out));
	EXPECT_ERR(EINVAL, "ep-c: regions is NULL",
		   ioasid_endpoints_combine(&nullregs, 1, &out));
	EXPECT_ERR(EINVAL, "ep-d: ioasid_endpoint has non-zero reserved bytes",
		   ioasid_endpoints_combine(&newer, 1, &out));
	EXPECT_ERR(EINVAL, "no endpoints", ioasid_endpoints_combine(&a, 0, &out));
	EXPECT_ERR(EINVAL, "eps", ioasid_endpoints_combine(NULL, 1, &out));
	EXPECT_ERR(EINVAL, "out", ioasid_endpoints_combine(&a, 1, NULL));
	EXPECT_ERR(EINVAL, "sz", ioasid_endpoints_combine(&a, 1, &outnosz));
}

/* Library devices: group regions, IOMMU page sizes and aperture. */
static void test_endpoint_from_dev(void **state)
{
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	struct ioasid_dev *a, *c, *mdev;
	struct ioasid_resv_region ra[4], rc_[4], regs[8], bells[4];
	struct ioasid_endpoint ea = { 0 };
	struct ioasid_endpoint ec = { 0 };
	struct ioasid_endpoint emu = { .name = "emulated",
		.pasid_width = 20 };
	IOASID_OPTS(ioasid_combined, out, .regions = regs, .max_regions = 8,
		    .doorbells = bells, .max_doorbells = 4);
	struct ioasid_endpoint e1 = { 0 };
	uint32_t na = 4, nc = 4, none = 0;

	(void)state;
	OK(ioasid_dev_open(ctx, DEV_A, &a));
	OK(ioasid_dev_open(ctx, DEV_C, &c));
	OK(ioasid_endpoint_from_dev(a, &ea, ra, &na));
	assert_string_equal(ea.name, DEV_A);
	assert_int_equal(na, 1);
	assert_int_equal(ea.num_regions, 1);
	assert_ptr_equal(ea.regions, ra);
	expect_region(&ra[0], MSI_START, MSI_LAST, IOASID_RESV_MSI);
	assert_int_equal(ea.page_sizes, SZ_4K | SZ_2M | (1ull << 30));
	assert_int_equal(ea.aperture_last, (1ull << 48) - 1);
	assert_int_equal(ea.pasid_width, 0); /* the device has none */

	OK(ioasid_endpoint_from_dev(c, &ec, rc_, &nc));
	assert_int_equal(nc, 2);
	assert_int_equal(ec.aperture_last, (1ull << 39) - 1);

	{
		struct ioasid_endpoint eps[3] = { ea, ec, emu };

		OK(ioasid_endpoints_combine(eps, 3, &out));
	}
	assert_int_equal(out.aperture_last, (1ull << 39) - 1);
	assert_int_equal(out.granule, SZ_4K);
	assert_int_equal(out.page_sizes, SZ_4K | SZ_2M);
	assert_int_equal(out.num_regions, 2);
	expect_region(&regs[0], 0x1000, 0x1fff, IOASID_RESV_RESERVED);
	expect_region(&regs[1], MSI_START, MSI_LAST, IOASID_RESV_MSI);
	assert_int_equal(out.num_doorbells, 1);

	/* Too small an array: -EMSGSIZE with the count. */
	EXPECT_ERR(EMSGSIZE, "group 7", ioasid_endpoint_from_dev(c, &e1, NULL, &none));
	assert_int_equal(none, 2);
	/* An mdev has no IOMMU group. */
	OK(ioasid_dev_open(ctx, MDEV, &mdev));
	na = 4;
	EXPECT_ERR(ENODEV, MDEV, ioasid_endpoint_from_dev(mdev, &e1, ra, &na));
	EXPECT_ERR(EINVAL, "dev", ioasid_endpoint_from_dev(NULL, &e1, ra, &na));
	ioasid_ctx_close(ctx);
}

static void test_iommu_info(void **state)
{
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	IOASID_OPTS(ioasid_iommu_info, info);
	struct ioasid_iommu_info nosz = { .sz = 0 };

	(void)state;
	OK(ioasid_dev_iommu_info(ctx, DEV_C, &info));
	assert_string_equal(info.name, "vtd1");
	assert_int_equal(info.aperture_start, 0);
	assert_int_equal(info.aperture_last, (1ull << 39) - 1);
	assert_int_equal(info.page_sizes, SZ_4K | SZ_2M);
	assert_int_equal(info.pasid_width, 0);
	assert_int_equal(info.flags, IOASID_IOMMU_APERTURE_KNOWN |
					     IOASID_IOMMU_PAGE_SIZES_KNOWN);
	assert_int_equal(info.msi_banks, 0);
	EXPECT_ERR(ENODEV, "0000:09:00.0",
		   ioasid_dev_iommu_info(ctx, "0000:09:00.0", &info));
	EXPECT_ERR(ENODEV, MDEV, ioasid_dev_iommu_info(ctx, MDEV, &info));
	EXPECT_ERR(EINVAL, "sz", ioasid_dev_iommu_info(ctx, DEV_A, &nosz));
	EXPECT_ERR(EINVAL, "ctx", ioasid_dev_iommu_info(NULL, DEV_A, &info));
	ioasid_ctx_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_combine_limits),
		cmocka_unit_test(test_combine_emulated),
		cmocka_unit_test(test_combine_regions),
		cmocka_unit_test(test_combine_msi_conflict),
		cmocka_unit_test(test_combine_top),
		cmocka_unit_test(test_combine_emsgsize),
		cmocka_unit_test(test_combine_errors),
		cmocka_unit_test(test_endpoint_from_dev),
		cmocka_unit_test(test_iommu_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
