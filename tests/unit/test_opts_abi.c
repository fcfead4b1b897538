// SPDX-License-Identifier: MIT
/*
 * The sz promise of the options structs (libioasid(3), OPTIONS STRUCTS):
 * the library refuses a non-zero byte after the end of the last member it
 * knows, tail padding included, and IOASID_OPTS() zeroes that padding.
 *
 * The hole this closes: struct ioasid_map_opts is { size_t sz; uint32_t
 * flags; } with 4 bytes of tail padding, so a member a later release adds
 * there keeps sizeof at 16.  A caller built against that header sends
 * sz = 16 with the new member at offset 12; a library that checked only
 * the bytes past its own sizeof would ignore it without a word.
 */
#include "helpers.h"

#include <ioasid/viommu.h>

#include "util.h"

/* Byte offset past the last member, as the library counts it. */
#define KNOWN(T) IOASID_OPTS_KNOWN(T)

/* The structs the issue names, and ioasid_driver_opts: each has tail
 * padding today, which is where the test puts the "newer member". */
_Static_assert(sizeof(struct ioasid_map_opts) > KNOWN(ioasid_map_opts),
	       "ioasid_map_opts has tail padding");
_Static_assert(sizeof(struct ioasid_hwpt_alloc_opts) >
		       KNOWN(ioasid_hwpt_alloc_opts),
	       "ioasid_hwpt_alloc_opts has tail padding");
_Static_assert(sizeof(struct ioasid_compare_opts) > KNOWN(ioasid_compare_opts),
	       "ioasid_compare_opts has tail padding");
_Static_assert(sizeof(struct ioasid_driver_opts) > KNOWN(ioasid_driver_opts),
	       "ioasid_driver_opts has tail padding");
_Static_assert(sizeof(struct ioasid_pasid_attach) > KNOWN(ioasid_pasid_attach),
	       "ioasid_pasid_attach has tail padding");
_Static_assert(sizeof(struct ioasid_viommu_endpoint_opts) >
		       KNOWN(ioasid_viommu_endpoint_opts),
	       "ioasid_viommu_endpoint_opts has tail padding");

/* The reproduction of the issue: 0xdead at the first byte after the last
 * member, sz unchanged. */
static void put_dead(void *opts, size_t at)
{
	uint16_t dead = 0xdead;

	memcpy((unsigned char *)opts + at, &dead, sizeof(dead));
}

struct fix {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	struct test_buf buf;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ctx = sim_open(TOPO_UNIT);
	OK(ioasid_ioas_alloc(f->ctx, &f->ioas));
	buf_init(&f->buf, SZ_64K);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	buf_fini(&f->buf);
	ioasid_ctx_close(f->ctx);
	free(f);
	return 0;
}

static void map_opts_tail_byte(void **state)
{
	struct fix *f = *state;
	IOASID_OPTS(ioasid_map_opts, o, .flags = IOASID_MAP_READ);
	uint64_t iova = SZ_1M, unmapped = 0;

	assert_int_equal(o.sz, 16);
	put_dead(&o, KNOWN(ioasid_map_opts));
	EXPECT_ERR(EINVAL, "ioasid_map_opts has non-zero byte 12",
		   ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova, &o));
	/* Nothing was mapped. */
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, SZ_1M, SZ_4K));
	/* The same struct with the padding zero is fine. */
	put_dead(&o, KNOWN(ioasid_map_opts));
	memset((unsigned char *)&o + KNOWN(ioasid_map_opts), 0,
	       sizeof(o) - KNOWN(ioasid_map_opts));
	OK(ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova, &o));
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, iova, SZ_4K, &unmapped));
}

static void hwpt_alloc_opts_tail_byte(void **state)
{
	struct fix *f = *state;
	IOASID_OPTS(ioasid_hwpt_alloc_opts, o);
	struct ioasid_dev *dev;
	uint32_t hwpt = 0;

	OK(ioasid_dev_open(f->ctx, DEV_A, &dev));
	OK(ioasid_dev_bind(dev, NULL));
	put_dead(&o, KNOWN(ioasid_hwpt_alloc_opts));
	EXPECT_ERR(EINVAL, "ioasid_hwpt_alloc_opts has non-zero byte",
		   ioasid_hwpt_alloc(dev, f->ioas, &o, &hwpt));
	assert_int_equal(hwpt, 0);
	memset((unsigned char *)&o + KNOWN(ioasid_hwpt_alloc_opts), 0,
	       sizeof(o) - KNOWN(ioasid_hwpt_alloc_opts));
	OK(ioasid_hwpt_alloc(dev, f->ioas, &o, &hwpt));
	OK(ioasid_hwpt_destroy(f->ctx, hwpt));
	ioasid_dev_close(dev);
}

static void driver_opts_tail_byte(void **state)
{
	struct fix *f = *state;
	IOASID_OPTS(ioasid_driver_opts, o, .flags = IOASID_DRIVER_FORCE);

	put_dead(&o, KNOWN(ioasid_driver_opts));
	EXPECT_ERR(EINVAL, "ioasid_driver_opts has non-zero byte",
		   ioasid_dev_set_driver(f->ctx, DEV_A, "vfio-pci", &o));
}

static void pasid_attach_tail_byte(void **state)
{
	struct fix *f = *state;
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 1);
	struct ioasid_dev *dev;

	OK(ioasid_dev_open(f->ctx, DEV_A, &dev));
	OK(ioasid_dev_bind(dev, NULL));
	put_dead(&a, KNOWN(ioasid_pasid_attach));
	/* The struct is refused before the device's class is looked at. */
	EXPECT_ERR(EINVAL, "ioasid_pasid_attach has non-zero byte",
		   ioasid_dev_attach_pasid(dev, f->ioas, &a));
	ioasid_dev_close(dev);
}

static void compare_opts_tail_byte(void **state)
{
	(void)state;
	IOASID_OPTS(ioasid_compare_opts, o);
	IOASID_OPTS(ioasid_endpoint, src, .name = "src");
	IOASID_OPTS(ioasid_endpoint, dst, .name = "dst");
	struct ioasid_ram_range ram = { .gpa = 0, .size = SZ_1M };
	uint32_t num_blocks = 0;

	OK(ioasid_layout_compare(&src, 1, &dst, 1, &ram, 1, &o, NULL,
				 &num_blocks));
	put_dead(&o, KNOWN(ioasid_compare_opts));
	EXPECT_ERR(EINVAL, "ioasid_compare_opts has non-zero byte",
		   ioasid_layout_compare(&src, 1, &dst, 1, &ram, 1, &o, NULL,
					 &num_blocks));
}

static void viommu_endpoint_opts_tail_byte(void **state)
{
	struct fix *f = *state;
	IOASID_OPTS(ioasid_viommu_endpoint_opts, o);
	struct ioasid_viommu *v = NULL;

	OK(ioasid_viommu_create(f->ctx, NULL, &v));
	put_dead(&o, KNOWN(ioasid_viommu_endpoint_opts));
	EXPECT_ERR(EINVAL, "ioasid_viommu_endpoint_opts has non-zero byte",
		   ioasid_viommu_add_endpoint(v, 8, NULL, &o));
	memset((unsigned char *)&o + KNOWN(ioasid_viommu_endpoint_opts), 0,
	       sizeof(o) - KNOWN(ioasid_viommu_endpoint_opts));
	OK(ioasid_viommu_add_endpoint(v, 8, NULL, &o));
	ioasid_viommu_destroy(v);
}

/* A struct larger than this library's: zero past sizeof is accepted, a
 * byte set there is not, and sz must at least hold sz itself. */
static void opts_check_bounds(void **state)
{
	(void)state;
	struct {
		struct ioasid_map_opts base;
		uint64_t newer;
	} big;

	memset(&big, 0, sizeof(big));
	big.base.sz = sizeof(big);
	assert_int_equal(ioasid_opts_check(&big, KNOWN(ioasid_map_opts), "big"), 0);
	big.newer = 1;
	EXPECT_ERR(EINVAL, "big has non-zero byte 16",
		   ioasid_opts_check(&big, KNOWN(ioasid_map_opts), "big"));
	/* A byte past sz is not the library's to look at. */
	big.base.sz = KNOWN(ioasid_map_opts);
	assert_int_equal(ioasid_opts_check(&big, KNOWN(ioasid_map_opts), "big"), 0);
	big.base.sz = sizeof(size_t) - 1;
	EXPECT_ERR(EINVAL, "smaller than the sz field",
		   ioasid_opts_check(&big, KNOWN(ioasid_map_opts), "big"));
	assert_int_equal(ioasid_opts_check(NULL, KNOWN(ioasid_map_opts), "big"), 0);
}

/*
 * IOASID_OPTS() zeroes every byte, padding included.  A designated
 * initialiser alone need not (clang leaves the tail padding of a fully
 * initialised struct as it found it), so the stack is filled with
 * garbage first and each struct is declared in a fresh frame.
 */
static __attribute__((noinline)) void dirty_stack(void)
{
	volatile unsigned char junk[8192];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0xa5;
	(void)junk[0];
}

static __attribute__((noinline)) size_t nonzero_tail(const void *p,
						     size_t from, size_t to)
{
	const unsigned char *b = p;
	size_t n = 0;

	for (size_t i = from; i < to; i++)
		n += b[i] != 0;
	return n;
}

#define DECLARE_TAIL_CHECK(T, ...)                                          \
	static __attribute__((noinline)) size_t tail_of_##T(uint32_t v)     \
	{                                                                   \
		IOASID_OPTS(T, o, __VA_ARGS__);                             \
		return nonzero_tail(&o, KNOWN(T), sizeof(o));               \
	}
DECLARE_TAIL_CHECK(ioasid_map_opts, .flags = v)
DECLARE_TAIL_CHECK(ioasid_hwpt_alloc_opts, .flags = v)
DECLARE_TAIL_CHECK(ioasid_compare_opts, .flags = v)
DECLARE_TAIL_CHECK(ioasid_driver_opts, .flags = v)
DECLARE_TAIL_CHECK(ioasid_pasid_attach, .flags = v, .vpasid = v,
		   .ppasid = v, .hwpt_id = v,
		   .action = (enum ioasid_pasid_action)v, .translated = true)
DECLARE_TAIL_CHECK(ioasid_viommu_endpoint_opts, .num_resv = v)

static void ioasid_opts_zeroes_padding(void **state)
{
	(void)state;
	size_t (*const checks[])(uint32_t) = {
		tail_of_ioasid_map_opts,	 tail_of_ioasid_hwpt_alloc_opts,
		tail_of_ioasid_compare_opts,	 tail_of_ioasid_driver_opts,
		tail_of_ioasid_pasid_attach,	 tail_of_ioasid_viommu_endpoint_opts,
	};

	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		dirty_stack();
		assert_int_equal(checks[i](1), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(map_opts_tail_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(hwpt_alloc_opts_tail_byte, setup,
						teardown),
		cmocka_unit_test_setup_teardown(driver_opts_tail_byte, setup,
						teardown),
		cmocka_unit_test_setup_teardown(pasid_attach_tail_byte, setup,
						teardown),
		cmocka_unit_test(compare_opts_tail_byte),
		cmocka_unit_test_setup_teardown(viommu_endpoint_opts_tail_byte,
						setup, teardown),
		cmocka_unit_test(opts_check_bounds),
		cmocka_unit_test(ioasid_opts_zeroes_padding),
	};

	return cmocka_run_group_tests_name("opts-abi", tests, NULL, NULL);
}
