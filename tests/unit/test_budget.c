// SPDX-License-Identifier: MIT
/*
 * ioasid_layout_budget() (lib/core/budget.c, lib/model/budget.c): the
 * memory a planned VM pins and iommufd charges, once per IOAS that maps
 * guest RAM, against a given limit and the process's RLIMIT_MEMLOCK.
 */
#include <sys/resource.h>

#include "helpers.h"

#ifndef SZ_1G
#define SZ_1G (1ull << 30)
#endif
#define SZ_2G (2ull << 30)

/* x86-like: 2 GiB below the PCI hole, 2 GiB above 4 GiB. */
static const struct ioasid_ram_range ram4g[] = {
	{ .gpa = 0, .size = SZ_2G },
	{ .gpa = 4 * SZ_1G, .size = SZ_2G },
};

static int budget(uint32_t devs, enum ioasid_budget_viommu v, uint32_t ioas,
		  uint64_t limit, struct ioasid_budget *out)
{
	IOASID_OPTS(ioasid_budget_opts, o, .ram = ram4g, .num_ram = 2,
		    .num_devices = devs, .viommu = v, .num_ioas = ioas,
		    .page_size = SZ_4K, .flags = IOASID_BUDGET_GIVEN_LIMIT,
		    .limit = limit);

	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	return ioasid_layout_budget(&o, out);
}

/* Without a vIOMMU all devices share one IOAS: RAM is charged once. */
static void test_budget_no_viommu(void **state)
{
	struct ioasid_budget b;

	(void)state;
	assert_int_equal(budget(4, IOASID_BUDGET_VIOMMU_NONE, 0, 4 * SZ_1G, &b), 0);
	assert_int_equal(b.ram, 4 * SZ_1G);
	assert_int_equal(b.num_ioas, 1);
	assert_int_equal(b.pinned, 4 * SZ_1G);
	assert_int_equal(b.charged, 4 * SZ_1G);
	assert_int_equal(b.needed, 4 * SZ_1G);
	assert_int_equal(b.page_size, SZ_4K);
	assert_int_equal(b.limit, 4 * SZ_1G);
	assert_true(b.flags & IOASID_BUDGET_FITS);
	assert_false(b.flags & IOASID_BUDGET_IPC_LOCK);
	/* One page short does not fit. */
	assert_int_equal(budget(4, IOASID_BUDGET_VIOMMU_NONE, 0, 4 * SZ_1G - SZ_4K, &b), 0);
	assert_false(b.flags & IOASID_BUDGET_FITS);
	/* The hard limit is the process's: not judged for a given limit. */
	assert_false(b.flags & IOASID_BUDGET_HARD_TOO_LOW);
	/* A limit that is not whole pages counts its whole pages only. */
	assert_int_equal(budget(4, IOASID_BUDGET_VIOMMU_NONE, 0, 4 * SZ_1G + 0xfff, &b), 0);
	assert_true(b.flags & IOASID_BUDGET_FITS);
	/* Separate IOASes (a VMM that gives each device its own). */
	assert_int_equal(budget(4, IOASID_BUDGET_VIOMMU_NONE, 2, 4 * SZ_1G, &b), 0);
	assert_int_equal(b.num_ioas, 2);
	assert_int_equal(b.pinned, 4 * SZ_1G);
	assert_int_equal(b.charged, 8 * SZ_1G);
	assert_false(b.flags & IOASID_BUDGET_FITS);
	/* No device: nothing is pinned, whatever is mapped. */
	assert_int_equal(budget(0, IOASID_BUDGET_VIOMMU_NONE, 0, 0, &b), 0);
	assert_int_equal(b.num_ioas, 0);
	assert_int_equal(b.pinned, 0);
	assert_int_equal(b.charged, 0);
	assert_true(b.flags & IOASID_BUDGET_FITS);
}

/* A shadowing vIOMMU: one IOAS per guest domain, each may map all RAM. */
static void test_budget_shadow(void **state)
{
	struct ioasid_budget b;

	(void)state;
	assert_int_equal(budget(3, IOASID_BUDGET_VIOMMU_SHADOW, 0, UINT64_MAX, &b), 0);
	assert_int_equal(b.num_ioas, 3);
	assert_int_equal(b.pinned, 4 * SZ_1G);
	assert_int_equal(b.charged, 12 * SZ_1G);
	assert_true(b.flags & IOASID_BUDGET_FITS);
	assert_true(b.flags & IOASID_BUDGET_UNLIMITED);
	/* Devices sharing guest domains. */
	assert_int_equal(budget(3, IOASID_BUDGET_VIOMMU_SHADOW, 2, 8 * SZ_1G, &b), 0);
	assert_int_equal(b.num_ioas, 2);
	assert_int_equal(b.charged, 8 * SZ_1G);
	assert_true(b.flags & IOASID_BUDGET_FITS);
	/* More domains than devices: a domain with no device pins nothing. */
	assert_int_equal(budget(2, IOASID_BUDGET_VIOMMU_SHADOW, 5, 0, &b), 0);
	assert_int_equal(b.num_ioas, 2);
	assert_int_equal(b.charged, 8 * SZ_1G);
	assert_false(b.flags & IOASID_BUDGET_FITS);
}

/* Nested: one stage-2 IOAS for all devices. */
static void test_budget_nested(void **state)
{
	struct ioasid_budget b;

	(void)state;
	assert_int_equal(budget(8, IOASID_BUDGET_VIOMMU_NESTED, 0, 4 * SZ_1G, &b), 0);
	assert_int_equal(b.num_ioas, 1);
	assert_int_equal(b.charged, 4 * SZ_1G);
	assert_true(b.flags & IOASID_BUDGET_FITS);
}

/* Partial pages count whole; other charges add to what is needed. */
static void test_budget_pages_other(void **state)
{
	static const struct ioasid_ram_range odd[] = {
		{ .gpa = 0x800, .size = 0x1000 },   /* two 4 KiB pages */
		{ .gpa = 0x10000, .size = 1 },	    /* one */
	};
	IOASID_OPTS(ioasid_budget_opts, o, .ram = odd, .num_ram = 2,
		    .num_devices = 1, .page_size = SZ_4K,
		    .other_charged = 0x5000,
		    .flags = IOASID_BUDGET_GIVEN_LIMIT, .limit = 0x8000);
	IOASID_OPTS(ioasid_budget, b);

	(void)state;
	assert_int_equal(ioasid_layout_budget(&o, &b), 0);
	assert_int_equal(b.ram, 0x3000);
	assert_int_equal(b.charged, 0x3000);
	assert_int_equal(b.needed, 0x8000);
	assert_true(b.flags & IOASID_BUDGET_FITS);
	o.limit = 0x7fff;
	assert_int_equal(ioasid_layout_budget(&o, &b), 0);
	assert_false(b.flags & IOASID_BUDGET_FITS);
	/* 64 KiB pages: both ranges in one page. */
	o.page_size = 0x10000;
	o.other_charged = 0;
	o.limit = 0x20000;
	assert_int_equal(ioasid_layout_budget(&o, &b), 0);
	assert_int_equal(b.ram, 0x20000);
	assert_true(b.flags & IOASID_BUDGET_FITS);
}

/* The process's own RLIMIT_MEMLOCK when no limit is given. */
static void test_budget_rlimit(void **state)
{
	IOASID_OPTS(ioasid_budget_opts, o, .ram = ram4g, .num_ram = 2,
		    .num_devices = 1);
	IOASID_OPTS(ioasid_budget, b);
	struct rlimit lim;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &lim), 0);
	assert_int_equal(ioasid_layout_budget(&o, &b), 0);
	assert_int_equal(b.limit, lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX
								 : (uint64_t)lim.rlim_cur);
	assert_int_equal(b.limit_max, lim.rlim_max == RLIM_INFINITY ? UINT64_MAX
								     : (uint64_t)lim.rlim_max);
	assert_int_equal(b.page_size, (uint64_t)sysconf(_SC_PAGESIZE));
	if (!(b.flags & (IOASID_BUDGET_IPC_LOCK | IOASID_BUDGET_UNLIMITED)))
		assert_int_equal(!!(b.flags & IOASID_BUDGET_FITS),
				 b.needed <= b.limit);
}

/* Bad input: a clear error, the output untouched. */
static void test_budget_errors(void **state)
{
	static const struct ioasid_ram_range overlap[] = {
		{ .gpa = 0, .size = 0x2000 },
		{ .gpa = 0x1000, .size = 0x1000 },
	};
	static const struct ioasid_ram_range wrap[] = {
		{ .gpa = UINT64_MAX - 0xfff, .size = 0x2000 },
	};
	static const struct ioasid_ram_range huge[] = {
		{ .gpa = 0, .size = 1ull << 63 },
		{ .gpa = 1ull << 63, .size = 1ull << 63 },
	};
	IOASID_OPTS(ioasid_budget_opts, o, .ram = overlap, .num_ram = 2,
		    .num_devices = 1, .page_size = SZ_4K);
	IOASID_OPTS(ioasid_budget, b, .ram = 0x1234);

	(void)state;
	assert_int_equal(ioasid_layout_budget(&o, &b), -EINVAL);
	assert_non_null(strstr(ioasid_errmsg(), "overlap"));
	assert_int_equal(b.ram, 0x1234);
	o.ram = wrap;
	o.num_ram = 1;
	assert_int_equal(ioasid_layout_budget(&o, &b), -EINVAL);
	assert_non_null(strstr(ioasid_errmsg(), "wraps"));
	o.ram = NULL;
	assert_int_equal(ioasid_layout_budget(&o, &b), -EINVAL);
	o.ram = ram4g;
	o.viommu = 3;
	assert_int_equal(ioasid_layout_budget(&o, &b), -EINVAL);
	assert_non_null(strstr(ioasid_errmsg(), "viommu"));
	o.viommu = IOASID_BUDGET_VIOMMU_NONE;
	o.rlimit_mode = 2;
	assert_int_equal(ioasid_layout_budget(&o, &b), -EINVAL);
	assert_non_null(strstr(ioasid_errmsg(), "rlimit_mode"));
	o.rlimit_mode = 0;
	o.flags = 2;
	assert_int_equal(ioasid_layout_budget(&o, &b), -EINVAL);
	o.flags = 0;
	o.page_size = 3000;
	assert_int_equal(ioasid_layout_budget(&o, &b), -EINVAL);
	assert_non_null(strstr(ioasid_errmsg(), "power of two"));
	o.page_size = SZ_4K;
	assert_int_equal(ioasid_layout_budget(NULL, &b), -EINVAL);
	assert_int_equal(ioasid_layout_budget(&o, NULL), -EINVAL);
	/* Overflow: 2^64 bytes of RAM, or charged more than 2^64. */
	o.ram = huge;
	o.num_ram = 2;
	assert_int_equal(ioasid_layout_budget(&o, &b), -EOVERFLOW);
	o.num_ram = 1;
	o.num_devices = 2;
	o.viommu = IOASID_BUDGET_VIOMMU_SHADOW;
	assert_int_equal(ioasid_layout_budget(&o, &b), -EOVERFLOW);
	assert_int_equal(b.ram, 0x1234);
	/* An opts struct from a newer caller with unknown non-zero bytes. */
	{
		struct {
			struct ioasid_budget_opts o;
			uint64_t more;
		} big = { .o = o, .more = 1 };

		big.o.sz = sizeof(big);
		big.o.num_devices = 1;
		assert_int_equal(ioasid_layout_budget(&big.o, &b), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_no_viommu),
		cmocka_unit_test(test_budget_shadow),
		cmocka_unit_test(test_budget_nested),
		cmocka_unit_test(test_budget_pages_other),
		cmocka_unit_test(test_budget_rlimit),
		cmocka_unit_test(test_budget_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
