// SPDX-License-Identifier: MIT
/*
 * The sz promise of the options structs (libioasid(3), OPTIONS STRUCTS):
 * the library refuses a non-zero byte after the end of the last member it
 * knows, tail padding included, and IOASID_OPTS() zeroes that padding.
 * And struct ioasid_endpoint, which travels in arrays: a fixed layout
 * whose reserved words carry the members of later releases.
 *
 * The hole this closes: struct ioasid_map_opts is { size_t sz; uint32_t
 * flags; } with 4 bytes of tail padding, so a member a later release adds
 * there keeps sizeof at 16.  A caller built against that header sends
 * sz = 16 with the new member at offset 12; a library that checked only
 * the bytes past its own sizeof would ignore it without a word.
 */
#include "helpers.h"

#include <ioasid/virtio-iommu.h>

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
_Static_assert(sizeof(struct ioasid_virtio_iommu_endpoint_opts) >
		       KNOWN(ioasid_virtio_iommu_endpoint_opts),
	       "ioasid_virtio_iommu_endpoint_opts has tail padding");

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
	struct ioasid_endpoint src = { .name = "src" };
	struct ioasid_endpoint dst = { .name = "dst" };
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
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, o);
	struct ioasid_virtio_iommu *v = NULL;

	OK(ioasid_virtio_iommu_create(f->ctx, NULL, &v));
	put_dead(&o, KNOWN(ioasid_virtio_iommu_endpoint_opts));
	EXPECT_ERR(EINVAL, "ioasid_virtio_iommu_endpoint_opts has non-zero byte",
		   ioasid_virtio_iommu_add_endpoint(v, 8, NULL, &o));
	memset((unsigned char *)&o + KNOWN(ioasid_virtio_iommu_endpoint_opts), 0,
	       sizeof(o) - KNOWN(ioasid_virtio_iommu_endpoint_opts));
	OK(ioasid_virtio_iommu_add_endpoint(v, 8, NULL, &o));
	ioasid_virtio_iommu_destroy(v);
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
DECLARE_TAIL_CHECK(ioasid_virtio_iommu_endpoint_opts, .num_resv = v)

static void ioasid_opts_zeroes_padding(void **state)
{
	(void)state;
	size_t (*const checks[])(uint32_t) = {
		tail_of_ioasid_map_opts,	 tail_of_ioasid_hwpt_alloc_opts,
		tail_of_ioasid_compare_opts,	 tail_of_ioasid_driver_opts,
		tail_of_ioasid_pasid_attach,	 tail_of_ioasid_virtio_iommu_endpoint_opts,
	};

	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		dirty_stack();
		assert_int_equal(checks[i](1), 0);
	}
}

/* ------------------------------------------------------------------ */
/*
 * struct ioasid_endpoint: a fixed layout instead of sz.  Arrays of it are
 * walked with the library's sizeof, so the stride must never change: the
 * layout is pinned here, member by member, with no padding (every byte is
 * a member, so a designated initialiser zeroes all of them).  A member of
 * a later release takes a reserved word; struct future_endpoint is what a
 * caller built against such a header would have.
 */
#define EP_OFF(m) offsetof(struct ioasid_endpoint, m)
_Static_assert(EP_OFF(name) == 0, "name");
_Static_assert(EP_OFF(regions) == sizeof(void *), "regions");
_Static_assert(EP_OFF(num_regions) == 2 * sizeof(void *), "num_regions");
_Static_assert(EP_OFF(pasid_width) == EP_OFF(num_regions) + 4, "pasid_width");
_Static_assert(EP_OFF(__reserved0) == EP_OFF(pasid_width) + 1, "__reserved0");
_Static_assert(EP_OFF(page_sizes) == EP_OFF(num_regions) + 8, "page_sizes");
_Static_assert(EP_OFF(aperture_last) == EP_OFF(page_sizes) + 8, "aperture_last");
_Static_assert(EP_OFF(__reserved) == EP_OFF(aperture_last) + 8, "__reserved");
_Static_assert(sizeof(struct ioasid_endpoint) ==
		       EP_OFF(__reserved) + 3 * sizeof(uint64_t),
	       "no tail padding");
_Static_assert(sizeof(void *) != 8 || sizeof(struct ioasid_endpoint) == 64,
	       "64 bytes on LP64");

struct future_endpoint {
	const char *name;
	const struct ioasid_resv_region *regions;
	uint32_t num_regions;
	uint8_t pasid_width;
	uint8_t __reserved0[3];
	uint64_t page_sizes;
	uint64_t aperture_last;
	uint64_t max_dma_window; /* the "later" member, in __reserved[0] */
	uint64_t __reserved[2];
};
_Static_assert(sizeof(struct future_endpoint) == sizeof(struct ioasid_endpoint),
	       "a later release keeps the stride");

static const struct ioasid_resv_region ep_msi[] = {
	{ .start = MSI_START, .last = MSI_LAST, .type = IOASID_RESV_MSI },
};

/* Three endpoints as a caller of a later release builds them; the third
 * has a region in the guest's RAM, so the library must find it at the
 * third stride. */
static void future_eps(struct future_endpoint f[3], uint64_t future_member)
{
	memset(f, 0, 3 * sizeof(*f));
	f[0].name = "nic";
	f[0].page_sizes = SZ_4K | SZ_2M;
	f[1].name = "emulated";
	f[2].name = "gpu";
	f[2].regions = ep_msi;
	f[2].num_regions = 1;
	f[2].aperture_last = (1ull << 39) - 1;
	f[2].max_dma_window = future_member;
}

static void endpoint_stride_later_caller(void **state)
{
	(void)state;
	struct future_endpoint f[3];
	const struct ioasid_endpoint *eps = (const struct ioasid_endpoint *)f;
	struct ioasid_ram_range ram = { .gpa = 0, .size = 4ull << 30 };
	struct ioasid_layout_conflict c[2];
	struct ioasid_resv_region regs[4], bells[2];
	IOASID_OPTS(ioasid_combined, out, .regions = regs, .max_regions = 4,
		    .doorbells = bells, .max_doorbells = 2);
	struct ioasid_ram_range planned[4];
	uint32_t nc = 2, np = 4, nb = 0;

	/* The new member left 0: this library reads the array at the
	 * caller's stride and finds the third endpoint's doorbell. */
	future_eps(f, 0);
	EXPECT_ERR(EADDRINUSE, "gpu",
		   ioasid_layout_check(eps, 3, &ram, 1, c, &nc));
	assert_int_equal(nc, 1);
	assert_string_equal(c[0].device, "gpu");
	assert_int_equal(c[0].region.start, MSI_START);
	OK(ioasid_endpoints_combine(eps, 3, &out));
	assert_int_equal(out.num_doorbells, 1);
	assert_true(out.aperture_last == (1ull << 39) - 1);
	assert_int_equal(out.granule, SZ_4K);
	OK(ioasid_layout_plan(eps, 3, 1ull << 30, NULL, planned, &np));

	/* The new member set: every call that takes endpoints refuses it,
	 * naming the endpoint, instead of ignoring it. */
	future_eps(f, 1ull << 32);
	nc = 2;
	np = 4;
	EXPECT_ERR(EINVAL, "endpoint 2 gpu: ioasid_endpoint has non-zero reserved",
		   ioasid_layout_check(eps, 3, &ram, 1, c, &nc));
	EXPECT_ERR(EINVAL, "endpoint 2 gpu: ioasid_endpoint has non-zero reserved",
		   ioasid_endpoints_combine(eps, 3, &out));
	EXPECT_ERR(EINVAL, "endpoint 2 gpu: ioasid_endpoint has non-zero reserved",
		   ioasid_layout_plan(eps, 3, 1ull << 30, NULL, planned, &np));
	EXPECT_ERR(EINVAL, "endpoint 2 gpu: ioasid_endpoint has non-zero reserved",
		   ioasid_layout_compare(eps, 3, eps, 2, &ram, 1, NULL, NULL,
					 &nb));
	EXPECT_ERR(EINVAL, "endpoint 2 gpu: ioasid_endpoint has non-zero reserved",
		   ioasid_layout_compare(eps, 2, eps, 3, &ram, 1, NULL, NULL,
					 &nb));
	/* So is a byte of the small reserved field after pasid_width. */
	future_eps(f, 0);
	f[1].__reserved0[2] = 1;
	EXPECT_ERR(EINVAL, "endpoint 1 emulated: ioasid_endpoint has non-zero reserved",
		   ioasid_endpoints_combine(eps, 3, &out));
}

/* ioasid_endpoint_from_dev() fills every byte: reserved words zero, so the
 * endpoint goes straight back into the layout calls. */
static void endpoint_from_dev_zeroes_reserved(void **state)
{
	struct fix *f = *state;
	struct ioasid_endpoint ep;
	struct ioasid_resv_region regs[8], merged[8], bells[4];
	struct ioasid_dev *dev;
	IOASID_OPTS(ioasid_combined, out, .regions = merged, .max_regions = 8,
		    .doorbells = bells, .max_doorbells = 4);
	uint32_t n = 8;

	memset(&ep, 0xa5, sizeof(ep));
	OK(ioasid_dev_open(f->ctx, DEV_A, &dev));
	OK(ioasid_endpoint_from_dev(dev, &ep, regs, &n));
	assert_true(ioasid_all_zero(ep.__reserved0, sizeof(ep.__reserved0)));
	assert_true(ioasid_all_zero(ep.__reserved, sizeof(ep.__reserved)));
	assert_string_equal(ep.name, DEV_A);
	OK(ioasid_endpoints_combine(&ep, 1, &out));
	ioasid_dev_close(dev);
}

/*
 * Output structs, the other direction: a newer caller's struct is larger
 * (sz bigger than ours), and the library fills only the members it knows:
 * its own tail padding never lands on the caller's newer member there.
 */
#define NEWER 32
#define SENTINEL 0xa5

static bool untouched_from(const void *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (((const unsigned char *)p)[i] != SENTINEL)
			return false;
	return true;
}

#define NEWER_CALLER(T, name)                                              \
	union {                                                            \
		struct T s;                                                \
		unsigned char bytes[sizeof(struct T) + NEWER];             \
	} name;                                                            \
	memset(&name, SENTINEL, sizeof(name));                             \
	name.s.sz = sizeof(name)

static void output_structs_stop_at_last_member(void **state)
{
	struct fix *f = *state;
	struct ioasid_dev *dev;
	NEWER_CALLER(ioasid_dev_info, di);
	NEWER_CALLER(ioasid_group_info, gi);
	NEWER_CALLER(ioasid_iommu_info, ii);
	NEWER_CALLER(ioasid_hw_info, hi);

	OK(ioasid_dev_info_get(f->ctx, DEV_A, &di.s));
	assert_int_equal(di.s.sz, sizeof(di));
	assert_true(untouched_from(&di, KNOWN(ioasid_dev_info), sizeof(di)));
	OK(ioasid_group_info_at(f->ctx, 0, &gi.s));
	assert_true(untouched_from(&gi, KNOWN(ioasid_group_info), sizeof(gi)));
	OK(ioasid_dev_iommu_info(f->ctx, DEV_A, &ii.s));
	assert_true(untouched_from(&ii, KNOWN(ioasid_iommu_info), sizeof(ii)));
	OK(ioasid_dev_open(f->ctx, DEV_A, &dev));
	OK(ioasid_dev_bind(dev, NULL));
	OK(ioasid_dev_hw_info(dev, &hi.s, NULL, 0));
	assert_true(untouched_from(&hi, KNOWN(ioasid_hw_info), sizeof(hi)));
	ioasid_dev_close(dev);
}

/* ioasid_combined is in and out: an older caller's sz stays its own. */
static void combined_keeps_callers_sz(void **state)
{
	struct fix *f = *state;
	struct ioasid_resv_region regs[8];
	struct ioasid_endpoint ep;
	struct ioasid_dev *dev;
	uint32_t n = 8;
	struct ioasid_resv_region merged[8], bells[8];
	IOASID_OPTS(ioasid_combined, out, .regions = merged, .max_regions = 8,
		    .doorbells = bells, .max_doorbells = 8);
	/* A caller built before granule and what follows it existed. */
	size_t older = offsetof(struct ioasid_combined, granule);

	OK(ioasid_dev_open(f->ctx, DEV_A, &dev));
	OK(ioasid_endpoint_from_dev(dev, &ep, regs, &n));
	out.sz = older;
	OK(ioasid_endpoints_combine(&ep, 1, &out));
	assert_int_equal(out.sz, older);
	ioasid_dev_close(dev);
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
		cmocka_unit_test(endpoint_stride_later_caller),
		cmocka_unit_test_setup_teardown(output_structs_stop_at_last_member,
						setup, teardown),
		cmocka_unit_test_setup_teardown(combined_keeps_callers_sz, setup,
						teardown),
		cmocka_unit_test_setup_teardown(endpoint_from_dev_zeroes_reserved,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("opts-abi", tests, NULL, NULL);
}
