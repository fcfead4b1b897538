// SPDX-License-Identifier: MIT
/*
 * Reserved regions per device and IOAS in both forms, and guest RAM
 * layouts checked and planned against them (lib/core/layout.c), on
 * tests/unit/topologies/unit.ini.
 */
#include "helpers.h"

#define SZ_1G (1ull << 30)
#define SZ_4G (4ull << 30)
#define TOP48 ((1ull << 48) - 1)
#define TOP39 ((1ull << 39) - 1)

static void expect_region(const struct ioasid_resv_region *r, uint64_t start,
			  uint64_t last, enum ioasid_resv_type type)
{
	assert_int_equal(r->start, start);
	assert_int_equal(r->last, last);
	assert_int_equal(r->type, type);
}

/* An endpoint for device @name from the public API, regions in @buf. */
static struct ioasid_endpoint endpoint(struct ioasid_ctx *ctx,
				       const char *name,
				       struct ioasid_resv_region *buf,
				       uint32_t max)
{
	struct ioasid_endpoint ep = { .name = name, .regions = buf };
	IOASID_OPTS(ioasid_iommu_info, iommu);
	uint32_t n = max;

	OK(ioasid_dev_resv_regions(ctx, name, buf, &n));
	OK(ioasid_dev_iommu_info(ctx, name, &iommu));
	ep.num_regions = n;
	ep.aperture_last = iommu.aperture_last;
	ep.page_sizes = iommu.page_sizes;
	return ep;
}

/* Group regions plus the aperture ceiling; EMSGSIZE; errors. */
static void test_dev_resv_regions(void **state)
{
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	struct ioasid_resv_region r[8];
	uint32_t n = 8;

	(void)state;
	OK(ioasid_dev_resv_regions(ctx, DEV_C, r, &n));
	assert_int_equal(n, 3);
	expect_region(&r[0], 0x1000, 0x1fff, IOASID_RESV_RESERVED);
	expect_region(&r[1], MSI_START, MSI_LAST, IOASID_RESV_MSI);
	expect_region(&r[2], TOP39 + 1, UINT64_MAX, IOASID_RESV_RESERVED);

	n = 8;
	OK(ioasid_dev_resv_regions(ctx, DEV_B, r, &n));
	assert_int_equal(n, 4);
	expect_region(&r[0], 0xa0000, 0xbffff, IOASID_RESV_DIRECT);
	expect_region(&r[1], 0xc0000, 0xdffff, IOASID_RESV_DIRECT_RELAXABLE);

	n = 1;
	EXPECT_ERR(EMSGSIZE, "3 reserved regions",
		   ioasid_dev_resv_regions(ctx, DEV_C, r, &n));
	assert_int_equal(n, 3);
	expect_region(&r[0], 0x1000, 0x1fff, IOASID_RESV_RESERVED);
	n = 8;
	EXPECT_ERR(ENODEV, MDEV, ioasid_dev_resv_regions(ctx, MDEV, r, &n));
	EXPECT_ERR(ENODEV, "0000:0a:00.0",
		   ioasid_dev_resv_regions(ctx, "0000:0a:00.0", r, &n));
	EXPECT_ERR(EINVAL, "num", ioasid_dev_resv_regions(ctx, DEV_C, r, NULL));
	ioasid_ctx_close(ctx);
}

/* The typed holes of an IOAS follow its attached devices, and their
 * complement is exactly what the backend reports as usable. */
static void test_ioas_resv_regions(void **state)
{
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	struct ioasid_resv_region r[8];
	struct ioasid_iova_range usable[8], backend[8];
	struct ioasid_dev *a, *c;
	uint32_t ioas, n = 8, nu = 8, nb = 8;

	(void)state;
	OK(ioasid_ioas_alloc(ctx, &ioas));
	OK(ioasid_ioas_resv_regions(ctx, ioas, r, &n));
	assert_int_equal(n, 0);

	OK(ioasid_dev_open(ctx, DEV_A, &a));
	OK(ioasid_dev_bind(a, NULL));
	OK(ioasid_dev_attach(a, ioas, NULL));
	OK(ioasid_dev_open(ctx, DEV_C, &c));
	OK(ioasid_dev_bind(c, NULL));
	OK(ioasid_dev_attach(c, ioas, NULL));
	n = 8;
	OK(ioasid_ioas_resv_regions(ctx, ioas, r, &n));
	assert_int_equal(n, 3);
	expect_region(&r[0], 0x1000, 0x1fff, IOASID_RESV_RESERVED);
	expect_region(&r[1], MSI_START, MSI_LAST, IOASID_RESV_MSI);
	expect_region(&r[2], TOP39 + 1, UINT64_MAX, IOASID_RESV_RESERVED);

	OK(ioasid_resv_usable(r, n, 0, UINT64_MAX, usable, &nu));
	OK(ioasid_ioas_iova_ranges(ctx, ioas, backend, &nb, NULL));
	assert_int_equal(nu, nb);
	for (uint32_t i = 0; i < nu; i++) {
		assert_int_equal(usable[i].start, backend[i].start);
		assert_int_equal(usable[i].last, backend[i].last);
	}

	/* Detaching c drops its regions. */
	OK(ioasid_dev_detach(c));
	n = 8;
	OK(ioasid_ioas_resv_regions(ctx, ioas, r, &n));
	assert_int_equal(n, 2);
	expect_region(&r[1], TOP48 + 1, UINT64_MAX, IOASID_RESV_RESERVED);
	EXPECT_ERR(ENOENT, NULL, ioasid_ioas_resv_regions(ctx, BAD_ID, r, &n));
	ioasid_ctx_close(ctx);
}

static void test_resv_usable(void **state)
{
	const struct ioasid_resv_region r[] = {
		{ .start = 0x3000, .last = 0x3fff, .type = IOASID_RESV_MSI },
		{ .start = 0x0, .last = 0xfff, .type = IOASID_RESV_DIRECT },
		{ .start = 0x3800, .last = 0x4fff, .type = IOASID_RESV_RESERVED },
	};
	struct ioasid_resv_region bad = { .start = 2, .last = 1 };
	struct ioasid_iova_range u[4];
	uint32_t n = 4;

	(void)state;
	OK(ioasid_resv_usable(r, 3, 0, 0xffff, u, &n));
	assert_int_equal(n, 2);
	assert_int_equal(u[0].start, 0x1000);
	assert_int_equal(u[0].last, 0x2fff);
	assert_int_equal(u[1].start, 0x5000);
	assert_int_equal(u[1].last, 0xffff);
	n = 4;
	OK(ioasid_resv_usable(r, 3, 0x3000, 0x4fff, u, &n));
	assert_int_equal(n, 0);
	n = 4;
	OK(ioasid_resv_usable(NULL, 0, 0, UINT64_MAX, u, &n));
	assert_int_equal(n, 1);
	assert_int_equal(u[0].last, UINT64_MAX);
	n = 1;
	EXPECT_ERR(EMSGSIZE, NULL, ioasid_resv_usable(r, 3, 0, 0xffff, u, &n));
	assert_int_equal(n, 2);
	EXPECT_ERR(EINVAL, "start > last", ioasid_resv_usable(&bad, 1, 0, 9, u, &n));
	EXPECT_ERR(EINVAL, "above", ioasid_resv_usable(r, 3, 9, 0, u, &n));
}

/* x86 RAM through the MSI window: refused, naming device, region, RAM. */
static void test_layout_check(void **state)
{
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	struct ioasid_resv_region ra[8], rb[8], rc_[8];
	struct ioasid_endpoint eps[3];
	const struct ioasid_ram_range flat[] = { { 0, SZ_4G } };
	const struct ioasid_ram_range split[] = {
		{ 0x100000, 0xbff00000 }, { SZ_4G, 4 * SZ_1G },
	};
	const struct ioasid_ram_range relax[] = { { 0xc0000, 0x20000 } };
	const struct ioasid_ram_range big[] = { { SZ_4G, 1024 * SZ_1G } };
	struct ioasid_layout_conflict c[4];
	uint32_t nc = 4;

	(void)state;
	eps[0] = endpoint(ctx, DEV_A, ra, 8);
	eps[1] = endpoint(ctx, DEV_B, rb, 8);
	eps[2] = endpoint(ctx, DEV_C, rc_, 8);

	EXPECT_ERR(EADDRINUSE,
		   "RAM 0x0-0xffffffff overlaps reserved region 0xfee00000-0xfeefffff (msi) of device " DEV_A,
		   ioasid_layout_check(eps, 1, flat, 1, c, &nc));
	assert_int_equal(nc, 1);
	assert_string_equal(c[0].device, DEV_A);
	expect_region(&c[0].region, MSI_START, MSI_LAST, IOASID_RESV_MSI);
	assert_int_equal(c[0].ram.gpa, 0);
	assert_int_equal(c[0].ram.size, SZ_4G);

	/* All conflicts counted, the first ones stored: A's msi, B's
	 * direct (not its relaxable one) and msi. */
	nc = 2;
	EXPECT_ERR(EADDRINUSE, "(and more)",
		   ioasid_layout_check(eps, 2, flat, 1, c, &nc));
	assert_int_equal(nc, 3);
	expect_region(&c[1].region, 0xa0000, 0xbffff, IOASID_RESV_DIRECT);
	assert_string_equal(c[1].device, DEV_B);

	OK(ioasid_layout_check(eps, 3, split, 2, NULL, NULL));
	OK(ioasid_layout_check(&eps[1], 1, relax, 1, NULL, NULL));

	/* Hot-adding the 39-bit device under 1 TiB of RAM at 4 GiB. */
	OK(ioasid_layout_check(eps, 2, big, 1, NULL, NULL));
	EXPECT_ERR(EADDRINUSE, "address width) of device " DEV_C,
		   ioasid_layout_check(eps, 3, big, 1, NULL, NULL));

	{
		const struct ioasid_ram_range zero[] = { { 0x1000, 0 } };
		const struct ioasid_ram_range wrap[] = { { UINT64_MAX, 2 } };

		EXPECT_ERR(EINVAL, "size 0",
			   ioasid_layout_check(eps, 1, zero, 1, NULL, NULL));
		EXPECT_ERR(EINVAL, "wraps",
			   ioasid_layout_check(eps, 1, wrap, 1, NULL, NULL));
	}
	ioasid_ctx_close(ctx);
}

/* A plan avoids every region, passes the check, and honours the options. */
static void test_layout_plan(void **state)
{
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	struct ioasid_resv_region ra[8], rb[8], rc_[8];
	const struct ioasid_resv_region pci_hole[] = {
		{ .start = 0xc0000000, .last = 0xffffffff,
		  .type = IOASID_RESV_RESERVED },
	};
	struct ioasid_endpoint platform = { .name = "pc",
		.regions = pci_hole, .num_regions = 1 };
	struct ioasid_endpoint eps[4];
	struct ioasid_ram_range ram[8];
	uint64_t sum = 0;
	uint32_t n = 8;

	(void)state;
	eps[0] = endpoint(ctx, DEV_A, ra, 8);
	eps[1] = endpoint(ctx, DEV_B, rb, 8);
	eps[2] = endpoint(ctx, DEV_C, rc_, 8);
	eps[3] = platform;

	OK(ioasid_layout_plan(eps, 4, 8 * SZ_1G, NULL, ram, &n));
	/* 2 MiB aligned: [2M, 3G) below the PCI hole, the rest at 4 GiB. */
	assert_int_equal(n, 2);
	assert_int_equal(ram[0].gpa, SZ_2M);
	assert_int_equal(ram[0].size, 0xc0000000 - SZ_2M);
	assert_int_equal(ram[1].gpa, SZ_4G);
	for (uint32_t i = 0; i < n; i++)
		sum += ram[i].size;
	assert_int_equal(sum, 8 * SZ_1G);
	OK(ioasid_layout_check(eps, 4, ram, n, NULL, NULL));

	/* Without the platform hole, the MSI window splits low RAM. */
	n = 8;
	OK(ioasid_layout_plan(eps, 3, 8 * SZ_1G, NULL, ram, &n));
	assert_int_equal(n, 2);
	assert_int_equal(ram[0].gpa + ram[0].size, 0xfee00000);
	assert_int_equal(ram[1].gpa, 0xff000000); /* 2 MiB aligned */
	OK(ioasid_layout_check(eps, 3, ram, n, NULL, NULL));

	{
		IOASID_OPTS(ioasid_layout_plan_opts, o, .base = 0x40000000,
			    .align = SZ_1G, .min_below_4g = 2 * SZ_1G);
		IOASID_OPTS(ioasid_layout_plan_opts, greedy,
			    .min_below_4g = 3 * SZ_1G);

		n = 8;
		OK(ioasid_layout_plan(eps, 4, 4 * SZ_1G, &o, ram, &n));
		assert_int_equal(n, 2);
		assert_int_equal(ram[0].gpa, SZ_1G);
		assert_int_equal(ram[0].size, 2 * SZ_1G);
		assert_int_equal(ram[1].gpa, SZ_4G);
		assert_int_equal(ram[1].size, 2 * SZ_1G);
		n = 8;
		EXPECT_ERR(ENOSPC, "below 4 GiB",
			   ioasid_layout_plan(eps, 4, 4 * SZ_1G, &greedy, ram, &n));
	}
	/* 512 GiB is the 39-bit ceiling: it does not fit with DEV_C. */
	n = 8;
	EXPECT_ERR(ENOSPC, "address-width ceiling 0x7fffffffff",
		   ioasid_layout_plan(eps, 3, 512 * SZ_1G, NULL, ram, &n));
	n = 8;
	OK(ioasid_layout_plan(eps, 2, 512 * SZ_1G, NULL, ram, &n));
	n = 1;
	EXPECT_ERR(EMSGSIZE, NULL,
		   ioasid_layout_plan(eps, 4, 8 * SZ_1G, NULL, ram, &n));
	assert_int_equal(n, 2);
	n = 8;
	EXPECT_ERR(EINVAL, "multiple",
		   ioasid_layout_plan(eps, 4, SZ_1G + 4096, NULL, ram, &n));
	{
		IOASID_OPTS(ioasid_layout_plan_opts, o, .align = 3 * 4096);

		EXPECT_ERR(EINVAL, "power of two",
			   ioasid_layout_plan(eps, 4, SZ_1G, &o, ram, &n));
	}
	ioasid_ctx_close(ctx);
}

/* The plan's alignment follows what can be mapped: never below the host
 * page size, nor below an endpoint's smallest IOMMU page (an SMMU with
 * the 64 KiB granule, 64K|512M), which also raises the default. */
static void test_layout_plan_granule(void **state)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct ioasid_endpoint smmu64k = { .name = "smmu-64k",
		.page_sizes = SZ_64K | (512 * SZ_1M) };
	struct ioasid_endpoint huge = { .name = "huge-only",
		.page_sizes = SZ_1G };
	struct ioasid_ram_range ram[4];
	uint32_t n = 4;

	(void)state;
	{
		IOASID_OPTS(ioasid_layout_plan_opts, o, .align = page / 2);

		EXPECT_ERR(EINVAL, "below", ioasid_layout_plan(NULL, 0, SZ_1G, &o, ram, &n));
		assert_non_null(strstr(ioasid_errmsg(), "the host page size"));
	}
	{
		IOASID_OPTS(ioasid_layout_plan_opts, o, .align = SZ_4K);

		n = 4;
		if (page <= SZ_4K)
			EXPECT_ERR(EINVAL,
				   "alignment 0x1000 is below 0x10000 (the smallest IOMMU page of endpoint smmu-64k)",
				   ioasid_layout_plan(&smmu64k, 1, SZ_1G, &o, ram, &n));
		o.align = SZ_64K;
		n = 4;
		OK(ioasid_layout_plan(&smmu64k, 1, SZ_1G + SZ_64K, &o, ram, &n));
		assert_int_equal(n, 1);
		assert_int_equal(ram[0].gpa % SZ_64K, 0);
	}
	/* The default is 2 MiB, or the larger smallest page. */
	n = 4;
	OK(ioasid_layout_plan(&smmu64k, 1, SZ_1G, NULL, ram, &n));
	assert_int_equal(ram[0].gpa, 0);
	n = 4;
	EXPECT_ERR(EINVAL, "multiple of the alignment 0x40000000",
		   ioasid_layout_plan(&huge, 1, SZ_1G + SZ_2M, NULL, ram, &n));
	n = 4;
	OK(ioasid_layout_plan(&huge, 1, 2 * SZ_1G, NULL, ram, &n));
	assert_int_equal(ram[0].gpa % SZ_1G, 0);
}

/* Migration: same platform ok; RAM over a destination region, a lower
 * ceiling, a larger granule and (guest IOVAs) a new region each block,
 * named; bad arguments. */
static void test_layout_compare(void **state)
{
	static const struct ioasid_resv_region src_r[] = {
		{ .start = 0xfee00000, .last = 0xfeefffff, .type = IOASID_RESV_MSI },
	};
	static const struct ioasid_resv_region dst_r[] = {
		{ .start = 0x8000000, .last = 0x80fffff, .type = IOASID_RESV_SW_MSI },
		{ .start = 0xfee00000, .last = 0xfeefffff, .type = IOASID_RESV_MSI },
		{ .start = 0x0, .last = 0xfff, .type = IOASID_RESV_DIRECT_RELAXABLE },
	};
	struct ioasid_endpoint src = { .name = "a", .regions = src_r,
		.num_regions = 1, .aperture_last = TOP48, .page_sizes = 0x1000 };
	struct ioasid_endpoint dst = { .name = "b", .regions = dst_r,
		.num_regions = 3, .aperture_last = TOP48, .page_sizes = 0x1000 };
	IOASID_OPTS(ioasid_compare_opts, guest, .flags = IOASID_COMPARE_GUEST_IOVAS);
	IOASID_OPTS(ioasid_compare_opts, bad, .flags = 0x80);
	struct ioasid_ram_range low = { 0, 0x100000 }, big = { 0, SZ_1G };
	struct ioasid_migration_block b[4];
	uint32_t n;

	(void)state;
	n = 4;
	OK(ioasid_layout_compare(&src, 1, &src, 1, &big, 1, &guest, b, &n));
	assert_int_equal(n, 0);
	/* Direct-relaxable at 0 does not block; the sw-msi window does. */
	n = 4;
	OK(ioasid_layout_compare(&src, 1, &dst, 1, &low, 1, NULL, b, &n));
	assert_int_equal(n, 0);
	n = 4;
	assert_int_equal(ioasid_layout_compare(&src, 1, &dst, 1, &big, 1, NULL,
					       b, &n), -EADDRINUSE);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].reason, IOASID_BLOCK_RAM);
	assert_string_equal(b[0].device, "b");
	expect_region(&b[0].region, 0x8000000, 0x80fffff, IOASID_RESV_SW_MSI);
	assert_int_equal(b[0].ram.size, SZ_1G);
	assert_non_null(strstr(ioasid_errmsg(), "0x8000000-0x80fffff (sw-msi)"));
	/* Guest IOVAs: the sw-msi window is new to the guest even when RAM
	 * avoids it; the msi window the source had is not. */
	n = 4;
	assert_int_equal(ioasid_layout_compare(&src, 1, &dst, 1, &low, 1, &guest,
					       b, &n), -EADDRINUSE);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].reason, IOASID_BLOCK_NEW_REGION);
	expect_region(&b[0].region, 0x8000000, 0x80fffff, IOASID_RESV_SW_MSI);
	/* A lower ceiling and a larger granule, counted past the array. */
	dst.aperture_last = TOP39;
	dst.page_sizes = 0x10000;
	n = 1;
	assert_int_equal(ioasid_layout_compare(&src, 1, &dst, 1, &low, 1, NULL,
					       b, &n), -EADDRINUSE);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].reason, IOASID_BLOCK_CEILING);
	assert_int_equal(b[0].region.start, TOP39 + 1);
	assert_int_equal(b[0].region.last, TOP48);
	n = 4;
	ioasid_layout_compare(&src, 1, &dst, 1, &low, 1, NULL, b, &n);
	assert_int_equal(b[1].reason, IOASID_BLOCK_GRANULE);
	assert_int_equal(b[1].src_granule, 0x1000);
	assert_int_equal(b[1].dst_granule, 0x10000);
	/* Arguments. */
	assert_int_equal(ioasid_layout_compare(&src, 1, &src, 1, &low, 1, &bad,
					       NULL, NULL), -EINVAL);
	assert_int_equal(ioasid_layout_compare(&src, 1, &src, 1, NULL, 1, NULL,
					       NULL, NULL), -EINVAL);
	n = 1;
	assert_int_equal(ioasid_layout_compare(&src, 1, &src, 1, &low, 1, NULL,
					       NULL, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dev_resv_regions),
		cmocka_unit_test(test_ioas_resv_regions),
		cmocka_unit_test(test_resv_usable),
		cmocka_unit_test(test_layout_check),
		cmocka_unit_test(test_layout_plan),
		cmocka_unit_test(test_layout_plan_granule),
		cmocka_unit_test(test_layout_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
