// SPDX-License-Identifier: MIT
/*
 * IOAS objects: alloc/destroy, map (fixed and any IOVA), map_file, unmap
 * and copy, on the simulator.  Expected results come from the kernel
 * (drivers/iommu/iommufd/, Linux 7.3), cited per test with the selftest
 * (tools/testing/selftests/iommu/iommufd.c) that checks the same thing.
 *
 * Kernel facts the numbers below rely on: an IOAS with nothing attached
 * has IOVA alignment 1 and no reserved IOVA (iopt_init_table()); an
 * attached vtd0 device makes it 4 KiB and reserves the MSI window and
 * everything above 2^48 (iopt_table_add_domain(),
 * iopt_table_enforce_dev_resv_regions()).
 *
 * What a mock device shows as well (map and unmap errnos, overlap,
 * alignment, copy, destroy) is in tests/harness/api_ioas.c, which runs on
 * the kernel too; what stays here needs this topology (the vtd0 MSI
 * window, 4 KiB pages) or the simulator's exact IOVA choices.
 */
#include "helpers.h"

#include <unistd.h>

static struct ioasid_dev *attach_dev(struct fx *f, const char *name,
				     uint32_t pt)
{
	struct ioasid_dev *dev = dev_open_bound(f->ctx, name);
	uint32_t hwpt = 0;

	OK(ioasid_dev_attach(dev, pt, &hwpt));
	assert_int_not_equal(hwpt, 0);
	return dev;
}

/* ------------------------------------------------------------------ */
/* alloc / destroy                                                      */

/* Ids come from xa_alloc() on an xarray with XA_FLAGS_ALLOC1: the lowest
 * free id, starting at 1 (iommufd_object_alloc_elm(), iommufd_fops_open()
 * in main.c). */
static void test_ioas_ids(void **state)
{
	FX;
	uint32_t a, b, c;

	assert_int_equal(f->ioas, 1);
	OK(ioasid_ioas_alloc(f->ctx, &a));
	assert_int_equal(a, 2);
	OK(ioasid_ioas_destroy(f->ctx, f->ioas));
	OK(ioasid_ioas_alloc(f->ctx, &b));
	assert_int_equal(b, 1);
	OK(ioasid_ioas_alloc(f->ctx, &c));
	assert_int_equal(c, 3);
}

/* ------------------------------------------------------------------ */
/* map at a fixed IOVA                                                  */

static void test_map_fixed(void **state)
{
	FX;
	uint64_t iova = SZ_1M;

	OK(ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, 2 * SZ_4K, &iova,
			   NULL));
	assert_int_equal(iova, SZ_1M); /* a fixed IOVA is kept */
	assert_true(is_mapped(f->ctx, f->ioas, SZ_1M, 2 * SZ_4K));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, SZ_1M + 2 * SZ_4K,
			    SZ_4K));
	/* Mapping does not change the usable ranges. */
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

/* iopt_check_iova(): a range touching reserved IOVA is -EINVAL; that is
 * the device's MSI window and everything past the 48-bit aperture
 * (iopt_table_add_domain() reserves it).  Selftest iommufd_ioas.area_auto_iova
 * uses the same reserved tree. */
static void test_map_reserved(void **state)
{
	FX;

	attach_dev(f, DEV_A, f->ioas);
	EXPECT_ERR(EINVAL, "0xfee00000",
		   map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, MSI_START));
	EXPECT_ERR(EINVAL, "0xfedff000",
		   map_fixed(f->ctx, f->ioas, f->buf.p, 2 * SZ_4K,
			     MSI_START - SZ_4K));
	EXPECT_ERR(EINVAL, "0x1000000000000",
		   map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 1ULL << 48));
	EXPECT_ERR(EINVAL, "0xfffffffff000",
		   map_fixed(f->ctx, f->ioas, f->buf.p, 2 * SZ_4K,
			     (1ULL << 48) - SZ_4K));
	/* Next to the window is fine, and nothing was left behind. */
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, MSI_START - SZ_4K,
			    SZ_4K));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, (1ULL << 48) - SZ_4K,
			    SZ_4K));
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);
}

/* ------------------------------------------------------------------ */
/* map at any IOVA: the kernel's choice                                 */

/*
 * iopt_alloc_iova(): the alignment is roundup_pow_of_two(length), lowered
 * to the lowest set bit of the buffer address, capped at 2 MiB
 * (HPAGE_SIZE); the buffer's offset in its page is kept; the search runs
 * from PAGE_SIZE upwards over holes between reserved IOVA and areas.
 * Selftest iommufd_ioas.area_auto_iova and ioas_iova_alloc.
 */
static void test_map_any_iova_choice(void **state)
{
	FX;
	uint8_t *p = f->buf.p; /* 2 MiB aligned */
	uint64_t iova;

	/* 4K from a 2M-aligned buffer: alignment 4K, first hole at 4K. */
	OK(map_any(f->ctx, f->ioas, p, SZ_4K, &iova));
	assert_int_equal(iova, 0x1000);
	/* 12K rounds up to 16K alignment: [0x2000, 0x3fff] is skipped. */
	OK(map_any(f->ctx, f->ioas, p, 0x3000, &iova));
	assert_int_equal(iova, 0x4000);
	/* A 4K-aligned buffer limits the alignment to 4K, but 16K does not
	 * fit the 8K hole at 0x2000. */
	OK(map_any(f->ctx, f->ioas, p + SZ_4K, 0x4000, &iova));
	assert_int_equal(iova, 0x7000);
	/* 2M from a 2M-aligned buffer: 2M alignment. */
	OK(map_any(f->ctx, f->ioas, p, SZ_2M, &iova));
	assert_int_equal(iova, SZ_2M);
	/* 4M: the alignment is capped at 2M. */
	OK(map_any(f->ctx, f->ioas, p, 2 * SZ_2M, &iova));
	assert_int_equal(iova, 2 * SZ_2M);
	/* A buffer at page offset 0x800: alignment 0x800 and the IOVA keeps
	 * the offset; the 8K hole at 0x2000 fits it. */
	OK(map_any(f->ctx, f->ioas, p + 0x800, SZ_4K, &iova));
	assert_int_equal(iova, 0x2800);

	assert_true(is_mapped(f->ctx, f->ioas, 0x7000, 0x4000));
	assert_true(is_mapped(f->ctx, f->ioas, SZ_2M, 3 * SZ_2M));
}

/* iopt_alloc_iova(): an alignment below the IOAS's (0x800 < 4K once a
 * 4 KiB IOMMU is attached) is -EINVAL. */
static void test_map_any_iova_offset_with_device(void **state)
{
	FX;
	uint64_t iova = 0;

	attach_dev(f, DEV_A, f->ioas);
	EXPECT_ERR(EINVAL, NULL,
		   map_any(f->ctx, f->ioas, f->buf.p + 0x800, SZ_4K, &iova));
	/* A page-aligned buffer is fine and lands at the first page. */
	OK(map_any(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova));
	assert_int_equal(iova, SZ_4K);
}

/* iopt_alloc_iova(): only allowed IOVA is used, and -ENOSPC when no hole
 * fits.  Selftest iommufd_ioas.area_auto_iova ("Allocate from an allowed
 * region") and reserved_overflow (ENOSPC). */
static void test_map_any_iova_enospc(void **state)
{
	FX;
	const struct ioasid_iova_range allow = { SZ_1M, SZ_1M + SZ_64K - 1 };
	uint64_t iova = 0;

	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, &allow, 1));
	EXPECT_ERR(ENOSPC, "0x20000",
		   map_any(f->ctx, f->ioas, f->buf.p, 2 * SZ_64K, &iova));
	/* Nothing was mapped: the whole allowed range is still there. */
	OK(map_any(f->ctx, f->ioas, f->buf.p, SZ_64K, &iova));
	assert_int_equal(iova, SZ_1M);
	EXPECT_ERR(ENOSPC, NULL,
		   map_any(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova));
}

/* ------------------------------------------------------------------ */
/* map_file                                                             */

static int memfd_of(size_t size)
{
	int fd = memfd_create("ioasid-unit", 0);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static void test_map_file(void **state)
{
	FX;
	int fd = memfd_of(SZ_2M);
	uint64_t iova = 3 * SZ_1M;

	OK(ioasid_ioas_map_file(f->ctx, f->ioas, fd, 0, SZ_64K, &iova, NULL));
	assert_int_equal(iova, 3 * SZ_1M);
	assert_true(is_mapped(f->ctx, f->ioas, 3 * SZ_1M, SZ_64K));
	close(fd);
	/* The mapping holds the file, not the fd. */
	assert_true(is_mapped(f->ctx, f->ioas, 3 * SZ_1M, SZ_64K));
}

/* iopt_alloc_area_pages() takes the alignment from the file offset
 * (IOPT_ADDRESS_FILE: start_byte + pages->start); offset 0 means the
 * length alone decides (iopt_alloc_iova(), !addr). */
static void test_map_file_any_iova(void **state)
{
	FX;
	IOASID_OPTS(ioasid_map_opts, o,
		    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE |
			     IOASID_MAP_ANY_IOVA);
	int fd = memfd_of(SZ_2M);
	uint64_t iova = 0;

	OK(ioasid_ioas_map_file(f->ctx, f->ioas, fd, SZ_4K, 0x4000, &iova,
				&o));
	assert_int_equal(iova, 0x1000);
	OK(ioasid_ioas_map_file(f->ctx, f->ioas, fd, 0, SZ_64K, &iova, &o));
	assert_int_equal(iova, SZ_64K);
	close(fd);
}

/* iopt_map_file_pages(): fget() failing is -EBADF. */
static void test_map_file_bad_fd(void **state)
{
	FX;
	uint64_t iova = 3 * SZ_1M;

	EXPECT_ERR(EBADF, "9999",
		   ioasid_ioas_map_file(f->ctx, f->ioas, 9999, 0, SZ_4K, &iova,
					NULL));
	EXPECT_ERR(EBADF, NULL,
		   ioasid_ioas_map_file(f->ctx, f->ioas, -1, 0, SZ_4K, &iova,
					NULL));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, 3 * SZ_1M, SZ_4K));
}

/* iopt_map_file_pages(): length 0 is -EINVAL, start + length wrapping is
 * -EOVERFLOW. */
static void test_map_file_zero_and_overflow(void **state)
{
	FX;
	int fd = memfd_of(SZ_2M);
	uint64_t iova = 3 * SZ_1M;

	EXPECT_ERR(EINVAL, "length",
		   ioasid_ioas_map_file(f->ctx, f->ioas, fd, 0, 0, &iova,
					NULL));
	EXPECT_ERR(EOVERFLOW, NULL,
		   ioasid_ioas_map_file(f->ctx, f->ioas, fd,
					UINT64_MAX - 0x800, SZ_4K, &iova,
					NULL));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, 3 * SZ_1M, SZ_4K));
	close(fd);
}

/* A range past the end of the file: the kernel pins file pages when a
 * domain is attached, and memfd_pin_folios() refuses an end beyond
 * i_size with -EINVAL.  Selftest iommufd_mock_domain.basic
 * (test_basic_file: buf_size + 1, and after ftruncate(0)). */
static void test_map_file_past_end(void **state)
{
	FX;
	int fd = memfd_of(2 * SZ_64K);
	uint64_t iova = 3 * SZ_1M;

	attach_dev(f, DEV_A, f->ioas);
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_ioas_map_file(f->ctx, f->ioas, fd, 0, 3 * SZ_64K,
					&iova, NULL));
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_ioas_map_file(f->ctx, f->ioas, fd, 2 * SZ_64K, SZ_4K,
					&iova, NULL));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, 3 * SZ_1M,
			    3 * SZ_64K));
	/* The part that exists maps. */
	OK(ioasid_ioas_map_file(f->ctx, f->ioas, fd, SZ_64K, SZ_64K, &iova,
				NULL));
	close(fd);
}

/* With no domain nothing is pinned at map time, so a range past the end
 * of the file maps (iopt_area_fill_domains() returns at once); the pin
 * happens when a device attaches, and fails there: iopt_table_add_domain()
 * -> iopt_fill_domain() gets memfd_pin_folios()'s -EINVAL, and the attach
 * is undone. */
static void test_map_file_past_end_no_domain(void **state)
{
	FX;
	int fd = memfd_of(2 * SZ_64K);
	uint64_t iova = 3 * SZ_1M;
	struct ioasid_dev *dev = dev_open_bound(f->ctx, DEV_A);

	OK(ioasid_ioas_map_file(f->ctx, f->ioas, fd, 0, 3 * SZ_64K, &iova,
				NULL));
	EXPECT_ERR(EINVAL, NULL, ioasid_dev_attach(dev, f->ioas, NULL));
	assert_int_equal(ioasid_dev_pt_id(dev), 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	assert_true(is_mapped(f->ctx, f->ioas, 3 * SZ_1M, 3 * SZ_64K));
	close(fd);
}

/* ------------------------------------------------------------------ */
/* copy                                                                 */

/* The copy's IOVA is chosen from the source buffer's address
 * (iopt_alloc_area_pages(), IOPT_ADDRESS_USER: start_byte + uptr).
 * Selftest iommufd_mock_domain.all_aligns_copy. */
static void test_copy_any_iova(void **state)
{
	FX;
	IOASID_OPTS(ioasid_map_opts, any,
		    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE |
			     IOASID_MAP_ANY_IOVA);
	uint32_t dst;
	uint64_t iova = 0;

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_2M, 16 * SZ_1M));
	OK(ioasid_ioas_alloc(f->ctx, &dst));
	/* Source 4K into a 2M-aligned buffer: 4K alignment. */
	OK(ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, 16 * SZ_1M + SZ_4K,
			    SZ_4K, &any));
	assert_int_equal(iova, SZ_4K);
	/* The whole 2M from a 2M-aligned buffer: 2M alignment. */
	OK(ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, 16 * SZ_1M, SZ_2M,
			    &any));
	assert_int_equal(iova, SZ_2M);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ioas_ids),
		T(test_map_fixed),
		T(test_map_reserved),
		T(test_map_any_iova_choice),
		T(test_map_any_iova_offset_with_device),
		T(test_map_any_iova_enospc),
		T(test_map_file),
		T(test_map_file_any_iova),
		T(test_map_file_bad_fd),
		T(test_map_file_zero_and_overflow),
		T(test_map_file_past_end),
		T(test_map_file_past_end_no_domain),
		T(test_copy_any_iova),
	};
	return cmocka_run_group_tests_name("ioas", tests, NULL, NULL);
}
