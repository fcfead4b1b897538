// SPDX-License-Identifier: MIT
/*
 * Argument checks of every public call that the logic layer owns (NULL
 * pointers, options structs, flags), and the rule that a failed call
 * changes nothing: after each group of failures the fixture's IOAS is
 * re-checked and the next object id shows that no object was created
 * (ids are the lowest free one, as xa_alloc() in the kernel gives).
 */
#include "helpers.h"

#include <unistd.h>

/* Nothing was created or changed: ranges as new, and the next IOAS id is
 * 2 (the fixture's IOAS is 1; nothing else holds an id). */
static void expect_untouched(struct fx *f)
{
	uint32_t next = 0;

	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, SZ_1M, SZ_4K));
	OK(ioasid_ioas_alloc(f->ctx, &next));
	assert_int_equal(next, 2);
	OK(ioasid_ioas_destroy(f->ctx, next));
}

/* A larger options struct from a newer header, tail non-zero. */
struct newer_map_opts {
	struct ioasid_map_opts base;
	uint64_t future;
};

struct newer_hwpt_opts {
	struct ioasid_hwpt_alloc_opts base;
	uint64_t future;
};

static void test_ctx_args(void **state)
{
	(void)state;
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM);
	IOASID_OPTS(ioasid_ctx_opts, bad_backend, .backend = 77);

	EXPECT_ERR(EINVAL, "ctxp", ioasid_ctx_open(&opts, NULL));
	EXPECT_ERR(EINVAL, "ctxp", ioasid_ctx_from_fd(0, NULL, NULL));
	EXPECT_ERR(EINVAL, "ctx", ioasid_ctx_fd(NULL));

	struct ioasid_ctx *ctx = NULL;

	EXPECT_ERR(EINVAL, "77", ioasid_ctx_open(&bad_backend, &ctx));
	assert_null(ctx);
}

static void test_ioas_args(void **state)
{
	FX;
	uint32_t id = 0;

	EXPECT_ERR(EINVAL, "ctx", ioasid_ioas_alloc(NULL, &id));
	EXPECT_ERR(EINVAL, "ioas_id", ioasid_ioas_alloc(f->ctx, NULL));
	EXPECT_ERR(EINVAL, "ctx", ioasid_ioas_destroy(NULL, f->ioas));
	expect_untouched(f);
}

static void test_map_args(void **state)
{
	FX;
	uint64_t iova = SZ_1M;
	struct ioasid_map_opts small = { .sz = 1, .flags = IOASID_MAP_READ };
	struct newer_map_opts newer;

	memset(&newer, 0, sizeof(newer));
	newer.base.sz = sizeof(newer);
	newer.base.flags = IOASID_MAP_READ;
	newer.future = 1;

	EXPECT_ERR(EINVAL, "ctx",
		   ioasid_ioas_map(NULL, f->ioas, f->buf.p, SZ_4K, &iova,
				   NULL));
	EXPECT_ERR(EINVAL, "iova",
		   ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, NULL,
				   NULL));
	/* va is the kernel's to judge, after the IOAS (iommufd_ioas_map()
	 * does not check it; pinning would give -EFAULT). */
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_map(f->ctx, BAD_ID, NULL, SZ_4K, &iova, NULL));
	EXPECT_ERR(EINVAL, "map_opts",
		   ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova,
				   &small));
	EXPECT_ERR(EINVAL, "map_opts",
		   ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova,
				   &newer.base));
	/* The same struct with a zero tail is accepted. */
	newer.future = 0;
	OK(ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova,
			   &newer.base));
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, iova, SZ_4K, NULL));
	assert_int_equal(iova, SZ_1M);
	expect_untouched(f);
}

static void test_map_file_args(void **state)
{
	FX;
	uint64_t iova = SZ_1M;
	struct ioasid_map_opts small = { .sz = 0, .flags = IOASID_MAP_READ };
	int fd = memfd_create("ioasid-unit", 0);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SZ_64K), 0);
	EXPECT_ERR(EINVAL, "ctx",
		   ioasid_ioas_map_file(NULL, f->ioas, fd, 0, SZ_4K, &iova,
					NULL));
	EXPECT_ERR(EINVAL, "iova",
		   ioasid_ioas_map_file(f->ctx, f->ioas, fd, 0, SZ_4K, NULL,
					NULL));
	EXPECT_ERR(EINVAL, "map_opts",
		   ioasid_ioas_map_file(f->ctx, f->ioas, fd, 0, SZ_4K, &iova,
					&small));
	close(fd);
	expect_untouched(f);
}

static void test_unmap_copy_args(void **state)
{
	FX;
	uint64_t iova = 2 * SZ_1M, unmapped = 0;
	IOASID_OPTS(ioasid_map_opts, bad, .flags = IOASID_MAP_READ);

	bad.sz = 3;
	EXPECT_ERR(EINVAL, "ctx",
		   ioasid_ioas_unmap(NULL, f->ioas, SZ_1M, SZ_4K, &unmapped));
	EXPECT_ERR(EINVAL, "ctx",
		   ioasid_ioas_unmap_all(NULL, f->ioas, &unmapped));
	/* @unmapped may be NULL: the call itself goes through. */
	OK(ioasid_ioas_unmap_all(f->ctx, f->ioas, NULL));

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 4 * SZ_1M));
	EXPECT_ERR(EINVAL, "ctx",
		   ioasid_ioas_copy(NULL, f->ioas, &iova, f->ioas, 4 * SZ_1M,
				    SZ_4K, NULL));
	EXPECT_ERR(EINVAL, "map_opts",
		   ioasid_ioas_copy(f->ctx, f->ioas, &iova, f->ioas, 4 * SZ_1M,
				    SZ_4K, &bad));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, 2 * SZ_1M, SZ_4K));
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, 4 * SZ_1M, SZ_4K, &unmapped));
	expect_untouched(f);
	/* The message names the parameter as the header does. */
	EXPECT_ERR(EINVAL, "dst_iova",
		   ioasid_ioas_copy(f->ctx, f->ioas, NULL, f->ioas, 4 * SZ_1M,
				    SZ_4K, NULL));
}

static void test_ranges_args(void **state)
{
	FX;
	struct ioasid_iova_range r = { SZ_1M, 2 * SZ_1M - 1 };
	uint32_t num = 4;

	EXPECT_ERR(EINVAL, "ctx",
		   ioasid_ioas_iova_ranges(NULL, f->ioas, &r, &num, NULL));
	EXPECT_ERR(EINVAL, "num",
		   ioasid_ioas_iova_ranges(f->ctx, f->ioas, &r, NULL, NULL));
	EXPECT_ERR(EINVAL, "ranges",
		   ioasid_ioas_iova_ranges(f->ctx, f->ioas, NULL, &num, NULL));
	EXPECT_ERR(EINVAL, "ctx", ioasid_ioas_allow_iovas(NULL, f->ioas, &r, 1));
	EXPECT_ERR(EINVAL, "ranges",
		   ioasid_ioas_allow_iovas(f->ctx, f->ioas, NULL, 1));
	/* No allow-list came in force: the first free page is chosen. */
	uint64_t iova = 0;

	OK(map_any(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova));
	assert_int_equal(iova, SZ_4K);
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, iova, SZ_4K, NULL));
	expect_untouched(f);
}

static void test_inventory_args(void **state)
{
	FX;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_dev_info unsized = { .sz = 0 };
	struct ioasid_group_info g = { .sz = sizeof(g) };
	struct ioasid_resv_region r[2];
	uint32_t num = 2;

	EXPECT_ERR(EINVAL, "ctx", ioasid_dev_info_at(NULL, 0, &info));
	EXPECT_ERR(EINVAL, "info", ioasid_dev_info_at(f->ctx, 0, NULL));
	EXPECT_ERR(EINVAL, "sz", ioasid_dev_info_at(f->ctx, 0, &unsized));
	EXPECT_ERR(EINVAL, "name", ioasid_dev_info_get(f->ctx, NULL, &info));
	EXPECT_ERR(EINVAL, "info", ioasid_dev_info_get(f->ctx, DEV_A, NULL));
	EXPECT_ERR(EINVAL, "ctx", ioasid_group_info_at(NULL, 0, &g));
	EXPECT_ERR(EINVAL, "info", ioasid_group_info_at(f->ctx, 0, NULL));
	EXPECT_ERR(EINVAL, "ctx", ioasid_group_resv_regions(NULL, 3, r, &num));
	EXPECT_ERR(EINVAL, "num",
		   ioasid_group_resv_regions(f->ctx, 3, r, NULL));
	EXPECT_ERR(EINVAL, "regions",
		   ioasid_group_resv_regions(f->ctx, 3, NULL, &num));
	expect_untouched(f);
}

static void test_dev_args(void **state)
{
	FX;
	struct ioasid_dev *dev = NULL;
	uint32_t id = 0;

	EXPECT_ERR(EINVAL, "ctx", ioasid_dev_open(NULL, DEV_A, &dev));
	EXPECT_ERR(EINVAL, "name", ioasid_dev_open(f->ctx, NULL, &dev));
	EXPECT_ERR(EINVAL, "devp", ioasid_dev_open(f->ctx, DEV_A, NULL));
	EXPECT_ERR(EINVAL, "dev", ioasid_dev_bind(NULL, &id));
	EXPECT_ERR(EINVAL, "dev", ioasid_dev_attach(NULL, f->ioas, &id));
	EXPECT_ERR(EINVAL, "dev", ioasid_dev_replace(NULL, f->ioas, &id));
	EXPECT_ERR(EINVAL, "dev", ioasid_dev_detach(NULL));
	assert_null(dev);

	/* DEV_A was not left open by any of them; optional outputs may be
	 * NULL. */
	OK(ioasid_dev_open(f->ctx, DEV_A, &dev));
	OK(ioasid_dev_bind(dev, NULL));
	OK(ioasid_dev_attach(dev, f->ioas, NULL));
	OK(ioasid_dev_detach(dev));
	ioasid_dev_close(dev);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

static void test_hwpt_args(void **state)
{
	FX;
	struct ioasid_dev *dev = dev_open_bound(f->ctx, DEV_A);
	struct ioasid_hwpt_alloc_opts small = { .sz = 2 };
	struct newer_hwpt_opts newer;
	uint32_t hwpt = 0;

	memset(&newer, 0, sizeof(newer));
	newer.base.sz = sizeof(newer);
	newer.future = 1;
	EXPECT_ERR(EINVAL, "dev", ioasid_hwpt_alloc(NULL, f->ioas, NULL, &hwpt));
	EXPECT_ERR(EINVAL, "hwpt_id",
		   ioasid_hwpt_alloc(dev, f->ioas, NULL, NULL));
	EXPECT_ERR(EINVAL, "hwpt_alloc_opts",
		   ioasid_hwpt_alloc(dev, f->ioas, &small, &hwpt));
	EXPECT_ERR(EINVAL, "hwpt_alloc_opts",
		   ioasid_hwpt_alloc(dev, f->ioas, &newer.base, &hwpt));
	EXPECT_ERR(EINVAL, "ctx", ioasid_hwpt_destroy(NULL, 1));
	assert_int_equal(hwpt, 0);
	/* No HWPT came to be: no aperture in the IOAS. */
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	newer.future = 0;
	OK(ioasid_hwpt_alloc(dev, f->ioas, &newer.base, &hwpt));
	OK(ioasid_hwpt_destroy(f->ctx, hwpt));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_args),
		T(test_ioas_args),
		T(test_map_args),
		T(test_map_file_args),
		T(test_unmap_copy_args),
		T(test_ranges_args),
		T(test_inventory_args),
		T(test_dev_args),
		T(test_hwpt_args),
	};
	return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
