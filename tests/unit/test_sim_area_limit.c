// SPDX-License-Identifier: MIT
/*
 * An IOAS with as many areas as memory allows.  iommufd has no fixed
 * limit on the areas of an IOAS (each is a kernel allocation charged to
 * the memory cgroup); when that memory runs out, IOMMU_IOAS_MAP and
 * IOMMU_IOAS_COPY fail with -ENOMEM before any IOVA is taken.  The
 * simulator reaches that point on demand (ioasid_sim_set_max_areas() of
 * sim-test-hooks.h): the map or copy past the limit fails whole, with a
 * message naming the limit and what to raise, and the IOAS keeps exactly
 * what it had; below the limit again, the same call succeeds.
 */
#include "helpers.h"

#include "core.h"
#include "sim-test-hooks.h"

#define LIMIT 8u
#define BASE 0x10000000ull

static void expect_area_limit(int rc)
{
	assert_int_equal(rc, -ENOMEM);
	assert_int_equal(errno, ENOMEM);
	assert_non_null(strstr(ioasid_errmsg(), "limit of 8 per IOAS"));
	assert_non_null(strstr(ioasid_errmsg(), "memory.max"));
	assert_non_null(strstr(ioasid_errmsg(), "fewer, larger"));
}

static uint64_t empty(struct ioasid_ctx *ctx, uint32_t ioas)
{
	uint64_t un = 0;

	OK(ioasid_ioas_unmap_all(ctx, ioas, &un));
	return un;
}

static void test_map_at_the_limit(void **state)
{
	struct ioasid_ctx *ctx = sim_open(NULL);
	struct test_buf b;
	uint32_t ioas;
	uint64_t iova;

	(void)state;
	buf_init(&b, 16 * SZ_4K);
	OK(ioasid_ioas_alloc(ctx, &ioas));
	ioasid_sim_set_max_areas(ctx->be, LIMIT);
	for (unsigned int i = 0; i < LIMIT; i++)
		OK(map_fixed(ctx, ioas, b.p + i * SZ_4K, SZ_4K, BASE + i * SZ_4K));
	/* At a fixed IOVA, and anywhere: refused, the IOVA untouched. */
	expect_area_limit(map_fixed(ctx, ioas, b.p, SZ_4K, BASE + LIMIT * SZ_4K));
	assert_false(is_mapped(ctx, ioas, BASE + LIMIT * SZ_4K, SZ_4K));
	iova = 0x1234000;
	{
		IOASID_OPTS(ioasid_map_opts, o,
			    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE |
				     IOASID_MAP_ANY_IOVA);

		expect_area_limit(ioasid_ioas_map(ctx, ioas, b.p, SZ_4K, &iova, &o));
		assert_int_equal(iova, 0x1234000);
	}
	/* Out of memory comes before an overlap, as in the kernel. */
	expect_area_limit(map_fixed(ctx, ioas, b.p, SZ_4K, BASE));
	/* One fewer area: the same map goes in. */
	OK(ioasid_ioas_unmap(ctx, ioas, BASE, SZ_4K, NULL));
	OK(map_fixed(ctx, ioas, b.p, SZ_4K, BASE + LIMIT * SZ_4K));
	assert_int_equal(empty(ctx, ioas), LIMIT * SZ_4K);
	/* Without a limit, as the kernel: many more. */
	ioasid_sim_set_max_areas(ctx->be, 0);
	for (unsigned int i = 0; i < 4 * LIMIT; i++)
		OK(map_fixed(ctx, ioas, b.p, SZ_4K, BASE + i * SZ_4K));
	assert_int_equal(empty(ctx, ioas), 4 * LIMIT * SZ_4K);
	OK(ioasid_ioas_destroy(ctx, ioas));
	buf_fini(&b);
	ioasid_ctx_close(ctx);
}

/* A copy of three areas into an IOAS with room for two: nothing of it. */
static void test_copy_fails_whole(void **state)
{
	struct ioasid_ctx *ctx = sim_open(NULL);
	struct test_buf b;
	uint32_t src, dst;
	uint64_t dst_iova = BASE;

	(void)state;
	buf_init(&b, 16 * SZ_4K);
	OK(ioasid_ioas_alloc(ctx, &src));
	OK(ioasid_ioas_alloc(ctx, &dst));
	ioasid_sim_set_max_areas(ctx->be, LIMIT);
	for (unsigned int i = 0; i < 3; i++)
		OK(map_fixed(ctx, src, b.p + i * SZ_4K, SZ_4K, BASE + i * SZ_4K));
	for (unsigned int i = 0; i < LIMIT - 2; i++)
		OK(map_fixed(ctx, dst, b.p, SZ_4K, 2 * BASE + i * SZ_4K));
	expect_area_limit(ioasid_ioas_copy(ctx, dst, &dst_iova, src, BASE,
					   3 * SZ_4K, NULL));
	for (unsigned int i = 0; i < 3; i++)
		assert_false(is_mapped(ctx, dst, BASE + i * SZ_4K, SZ_4K));
	assert_true(is_mapped(ctx, src, BASE, 3 * SZ_4K));
	/* Two areas fit. */
	OK(ioasid_ioas_copy(ctx, dst, &dst_iova, src, BASE, 2 * SZ_4K, NULL));
	assert_int_equal(empty(ctx, dst), LIMIT * SZ_4K);
	assert_int_equal(empty(ctx, src), 3 * SZ_4K);
	buf_fini(&b);
	ioasid_ctx_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_at_the_limit),
		cmocka_unit_test(test_copy_fails_whole),
	};

	return cmocka_run_group_tests_name("sim_area_limit", tests, NULL, NULL);
}
