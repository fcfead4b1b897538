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

/* iommufd_object_remove(): an id that names nothing is -ENOENT; so is 0
 * and an IOAS destroyed already.  Selftest iommufd.cmd_fail. */
static void test_ioas_destroy_unknown(void **state)
{
	FX;
	uint32_t other;

	EXPECT_ERR(ENOENT, BAD_ID_STR, ioasid_ioas_destroy(f->ctx, BAD_ID));
	EXPECT_ERR(ENOENT, NULL, ioasid_ioas_destroy(f->ctx, 0));
	OK(ioasid_ioas_alloc(f->ctx, &other));
	OK(ioasid_ioas_destroy(f->ctx, other));
	EXPECT_ERR(ENOENT, NULL, ioasid_ioas_destroy(f->ctx, other));
	/* The fixture's IOAS is untouched. */
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, SZ_1M));
}

/* Mappings do not keep an IOAS alive: iommufd_ioas_destroy() unmaps
 * everything.  Selftest iommufd_ioas.ioas_area_destroy (no_domain). */
static void test_ioas_destroy_with_mappings(void **state)
{
	FX;

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, 2 * SZ_4K, SZ_1M));
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 2 * SZ_1M));
	OK(ioasid_ioas_destroy(f->ctx, f->ioas));
	EXPECT_ERR(ENOENT, NULL,
		   ioasid_ioas_unmap(f->ctx, f->ioas, SZ_1M, 2 * SZ_4K, NULL));
}

/* The auto domain of an attached device holds the IOAS: -EBUSY
 * (iommufd_object_remove() with users > 1).  Selftest
 * iommufd_ioas.ioas_destroy and ioas_area_destroy (mock_domain). */
static void test_ioas_destroy_busy(void **state)
{
	FX;
	char id[16];
	struct ioasid_dev *dev = attach_dev(f, DEV_A, f->ioas);

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, SZ_1M));
	snprintf(id, sizeof(id), "%u", f->ioas);
	EXPECT_ERR(EBUSY, id, ioasid_ioas_destroy(f->ctx, f->ioas));
	/* Nothing changed: still attached, still mapped, still narrowed. */
	assert_int_equal(ioasid_dev_pt_id(dev), f->ioas);
	assert_true(is_mapped(f->ctx, f->ioas, SZ_1M, SZ_4K));
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);

	OK(ioasid_dev_detach(dev));
	OK(ioasid_ioas_destroy(f->ctx, f->ioas));
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

/* With nothing attached the alignment is 1 (iopt_init_table()), so
 * byte-granular IOVAs and lengths are fine.  Selftest
 * iommufd_ioas.iova_ranges (no_domain: out_iova_alignment 1). */
static void test_map_unaligned_without_device(void **state)
{
	FX;

	OK(map_fixed(f->ctx, f->ioas, f->buf.p + 0x800, 0x800,
		     SZ_1M + 0x800));
	assert_true(is_mapped(f->ctx, f->ioas, SZ_1M + 0x800, 0x800));
}

/* iopt_alloc_pages(): length 0 is -EINVAL. */
static void test_map_zero_length(void **state)
{
	FX;

	EXPECT_ERR(EINVAL, "length",
		   map_fixed(f->ctx, f->ioas, f->buf.p, 0, SZ_1M));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, SZ_1M, SZ_4K));
}

/* With a 4 KiB IOMMU attached: iopt_check_iova() refuses an unaligned
 * IOVA, iopt_alloc_area_pages() an unaligned length, iopt_insert_area() a
 * buffer whose page offset is unaligned; all -EINVAL.  Selftest
 * iommufd_mock_domain.all_aligns. */
static void test_map_unaligned_with_device(void **state)
{
	FX;

	attach_dev(f, DEV_A, f->ioas);
	EXPECT_ERR(EINVAL, "0x100800",
		   map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, SZ_1M + 0x800));
	EXPECT_ERR(EINVAL, "0x1800",
		   map_fixed(f->ctx, f->ioas, f->buf.p, 0x1800, SZ_1M));
	EXPECT_ERR(EINVAL, NULL,
		   map_fixed(f->ctx, f->ioas, f->buf.p + 0x800, SZ_4K, SZ_1M));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, SZ_1M, 2 * SZ_4K));
	EXPECT_RANGES_VTD0(f->ctx, f->ioas);
}

/* iommufd_ioas_map(): iova >= ULONG_MAX is -EOVERFLOW; iopt_check_iova():
 * iova + length - 1 wrapping is -EOVERFLOW. */
static void test_map_overflow(void **state)
{
	FX;

	EXPECT_ERR(EOVERFLOW, "0xfffffffffffff000",
		   map_fixed(f->ctx, f->ioas, f->buf.p, 2 * SZ_4K,
			     0xfffffffffffff000ULL));
	EXPECT_ERR(EOVERFLOW, NULL,
		   map_fixed(f->ctx, f->ioas, f->buf.p, 1, UINT64_MAX));
	/* The last page itself is mappable: nothing is reserved yet. */
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 0xfffffffffffff000ULL));
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

/* iopt_check_iova(): any intersection with an area is -EEXIST.  Selftest
 * iommufd_ioas.area ("Over map fails"), same five cases. */
static void test_map_overlap(void **state)
{
	FX;
	const uint64_t base = 0x110000;
	uint8_t *p = f->buf.p;

	OK(map_fixed(f->ctx, f->ioas, p, 2 * SZ_4K, base));
	EXPECT_ERR(EEXIST, "0x110000",
		   map_fixed(f->ctx, f->ioas, p, 2 * SZ_4K, base));
	EXPECT_ERR(EEXIST, "0x110000",
		   map_fixed(f->ctx, f->ioas, p, SZ_4K, base));
	EXPECT_ERR(EEXIST, "0x111000",
		   map_fixed(f->ctx, f->ioas, p, SZ_4K, base + SZ_4K));
	EXPECT_ERR(EEXIST, "0x10f000",
		   map_fixed(f->ctx, f->ioas, p, 2 * SZ_4K, base - SZ_4K));
	EXPECT_ERR(EEXIST, "0x10f000",
		   map_fixed(f->ctx, f->ioas, p, 3 * SZ_4K, base - SZ_4K));
	EXPECT_ERR(EEXIST, "0x110fff",
		   map_fixed(f->ctx, f->ioas, p, 1, base + SZ_4K - 1));
	/* The area is whole and its neighbours are still free. */
	assert_true(is_mapped(f->ctx, f->ioas, base, 2 * SZ_4K));
	assert_true(is_free(f->ctx, f->ioas, p, base - SZ_4K, SZ_4K));
	assert_true(is_free(f->ctx, f->ioas, p, base + 2 * SZ_4K, SZ_4K));
}

/* iommufd_ioas_map(): unknown flag bits are -EOPNOTSUPP, no READ/WRITE is
 * -EINVAL.  Selftest iommufd.map_cmd / cmd_length (flags). */
static void test_map_flags(void **state)
{
	FX;
	uint64_t iova = SZ_1M;
	IOASID_OPTS(ioasid_map_opts, none, .flags = 0);
	IOASID_OPTS(ioasid_map_opts, any_only, .flags = IOASID_MAP_ANY_IOVA);
	IOASID_OPTS(ioasid_map_opts, unknown,
		    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE | (1u << 7));
	IOASID_OPTS(ioasid_map_opts, ro, .flags = IOASID_MAP_READ);
	IOASID_OPTS(ioasid_map_opts, wo, .flags = IOASID_MAP_WRITE);

	EXPECT_ERR(EINVAL, "read",
		   ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova,
				   &none));
	EXPECT_ERR(EINVAL, "read",
		   ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova,
				   &any_only));
	EXPECT_ERR(EOPNOTSUPP, "0x80",
		   ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova,
				   &unknown));
	assert_int_equal(iova, SZ_1M);
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, SZ_1M, SZ_4K));

	/* One of the two is enough. */
	OK(ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova, &ro));
	iova = SZ_2M;
	OK(ioasid_ioas_map(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova, &wo));
}

static void test_map_unknown_ioas(void **state)
{
	FX;

	/* iommufd_get_ioas(): -ENOENT, also for an id of another type. */
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   map_fixed(f->ctx, BAD_ID, f->buf.p, SZ_4K, SZ_1M));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, SZ_1M, SZ_4K));
}

/* Memory is pinned when a domain needs it (iopt_fill_domains_pages() ->
 * pfn_reader; iopt_area_fill_domains() returns at once with no domain):
 * with a device attached an unmapped buffer is -EFAULT, with none the map
 * succeeds and nothing is read yet.  Selftest iommufd_mock_domain.basic
 * (test_basic_mmap: EFAULT on the first and on a later page). */
static void test_map_unmapped_memory(void **state)
{
	FX;
	uint8_t *p = mmap(NULL, 2 * SZ_4K, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(munmap(p + SZ_4K, SZ_4K), 0);
	OK(map_fixed(f->ctx, f->ioas, p, 2 * SZ_4K, SZ_1M));
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, SZ_1M, 2 * SZ_4K, NULL));

	attach_dev(f, DEV_A, f->ioas);
	EXPECT_ERR(EFAULT, NULL, map_fixed(f->ctx, f->ioas, p, 2 * SZ_4K, SZ_1M));
	assert_int_equal(munmap(p, SZ_4K), 0);
	EXPECT_ERR(EFAULT, NULL, map_fixed(f->ctx, f->ioas, p, SZ_4K, SZ_1M));
	assert_true(is_free(f->ctx, f->ioas, f->buf.p, SZ_1M, 2 * SZ_4K));
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
/* unmap                                                                */

/* Three areas with holes: A [0x100000, 0x101fff], B [0x104000, 0x105fff],
 * C [0x108000, 0x10bfff]. */
#define A_IOVA 0x100000ULL
#define B_IOVA 0x104000ULL
#define C_IOVA 0x108000ULL

static void map_abc(struct fx *f)
{
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, 2 * SZ_4K, A_IOVA));
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, 2 * SZ_4K, B_IOVA));
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, 4 * SZ_4K, C_IOVA));
}

static void expect_abc(struct fx *f, bool a, bool b, bool c)
{
	assert_true(a ? is_mapped(f->ctx, f->ioas, A_IOVA, 2 * SZ_4K) :
			is_free(f->ctx, f->ioas, f->buf.p, A_IOVA, 2 * SZ_4K));
	assert_true(b ? is_mapped(f->ctx, f->ioas, B_IOVA, 2 * SZ_4K) :
			is_free(f->ctx, f->ioas, f->buf.p, B_IOVA, 2 * SZ_4K));
	assert_true(c ? is_mapped(f->ctx, f->ioas, C_IOVA, 4 * SZ_4K) :
			is_free(f->ctx, f->ioas, f->buf.p, C_IOVA, 4 * SZ_4K));
}

/* iommufd_ioas_unmap(): the length removed comes back.  Selftest
 * iommufd_ioas.area ("Unmap works"). */
static void test_unmap_exact(void **state)
{
	FX;
	uint64_t unmapped = 0;

	map_abc(f);
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, B_IOVA, 2 * SZ_4K, &unmapped));
	assert_int_equal(unmapped, 2 * SZ_4K);
	expect_abc(f, true, false, true);
}

/* Holes inside the range are fine; every area fully inside goes.
 * iopt_unmap_iova_range(); selftest
 * iommufd_ioas.unmap_fully_contained_areas. */
static void test_unmap_with_holes(void **state)
{
	FX;
	uint64_t unmapped = 0;

	map_abc(f);
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, A_IOVA - 4 * SZ_4K,
			     0x14000, &unmapped));
	assert_int_equal(unmapped, 8 * SZ_4K);
	expect_abc(f, false, false, false);
}

/* iommufd_ioas_unmap(): nothing unmapped is -ENOENT.  Selftest
 * iommufd_ioas.area ("Unmap fails if nothing is mapped"). */
static void test_unmap_nothing(void **state)
{
	FX;

	EXPECT_ERR(ENOENT, "0x200000",
		   ioasid_ioas_unmap(f->ctx, f->ioas, 0x200000, SZ_4K, NULL));
	map_abc(f);
	EXPECT_ERR(ENOENT, "0x102000",
		   ioasid_ioas_unmap(f->ctx, f->ioas, A_IOVA + 2 * SZ_4K,
				     2 * SZ_4K, NULL));
	expect_abc(f, true, true, true);
}

/* iopt_unmap_iova_range(): the first area met starts before the range,
 * so -ENOENT before anything is removed.  Selftest iommufd_ioas.area
 * ("Split fails") and unmap_fully_contained_areas. */
static void test_unmap_split_at_start(void **state)
{
	FX;

	map_abc(f);
	EXPECT_ERR(ENOENT, "0x101000",
		   ioasid_ioas_unmap(f->ctx, f->ioas, A_IOVA + SZ_4K, 0x20000,
				     NULL));
	expect_abc(f, true, true, true);
	/* The second page of a two-page area, alone. */
	EXPECT_ERR(ENOENT, "0x105000",
		   ioasid_ioas_unmap(f->ctx, f->ioas, B_IOVA + SZ_4K, SZ_4K,
				     NULL));
	expect_abc(f, true, true, true);
}

/* iopt_unmap_iova_range() removes areas in IOVA order and fails with
 * -ENOENT at the first one that ends past the range: A and B are gone, C
 * stays.  Documented for ioasid_ioas_unmap() as kernel behaviour.
 * Selftest iommufd_ioas.area ("Split fails", first page). */
static void test_unmap_split_at_end(void **state)
{
	FX;

	map_abc(f);
	/* The message names the mapping that would be split. */
	EXPECT_ERR(ENOENT, "0x108000",
		   ioasid_ioas_unmap(f->ctx, f->ioas, A_IOVA, 0xa000, NULL));
	expect_abc(f, false, false, true);

	/* A single area split at its end removes nothing. */
	EXPECT_ERR(ENOENT, "0x108000",
		   ioasid_ioas_unmap(f->ctx, f->ioas, C_IOVA, SZ_4K, NULL));
	expect_abc(f, false, false, true);
}

/* iopt_unmap_all(): succeeds on an empty IOAS and reports the bytes.
 * Selftest iommufd_ioas.area ("Unmap all succeeds on an empty IOAS"). */
static void test_unmap_all(void **state)
{
	FX;
	uint64_t unmapped = 1;

	OK(ioasid_ioas_unmap_all(f->ctx, f->ioas, &unmapped));
	assert_int_equal(unmapped, 0);
	map_abc(f);
	OK(ioasid_ioas_unmap_all(f->ctx, f->ioas, &unmapped));
	assert_int_equal(unmapped, 8 * SZ_4K);
	expect_abc(f, false, false, false);

	/* IOVA 0, length UINT64_MAX is the same request. */
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &unmapped));
	assert_int_equal(unmapped, 0);
	map_abc(f);
	OK(ioasid_ioas_unmap(f->ctx, f->ioas, 0, UINT64_MAX, &unmapped));
	assert_int_equal(unmapped, 8 * SZ_4K);
	expect_abc(f, false, false, false);

	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_unmap_all(f->ctx, BAD_ID, &unmapped));
}

/* iopt_unmap_iova(): length 0 is -EINVAL, a wrapping range -EOVERFLOW;
 * iommufd_ioas_unmap(): length >= ULONG_MAX (other than unmap-all) is
 * -EOVERFLOW.  Selftest iommufd.unmap_cmd. */
static void test_unmap_bad_ranges(void **state)
{
	FX;

	map_abc(f);
	EXPECT_ERR(EINVAL, "length",
		   ioasid_ioas_unmap(f->ctx, f->ioas, A_IOVA, 0, NULL));
	EXPECT_ERR(EOVERFLOW, NULL,
		   ioasid_ioas_unmap(f->ctx, f->ioas, SZ_4K, UINT64_MAX, NULL));
	EXPECT_ERR(EOVERFLOW, "0x2000",
		   ioasid_ioas_unmap(f->ctx, f->ioas, 0x2000,
				     UINT64_MAX - SZ_4K, NULL));
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_unmap(f->ctx, BAD_ID, A_IOVA, 2 * SZ_4K, NULL));
	expect_abc(f, true, true, true);
}

/* ------------------------------------------------------------------ */
/* copy                                                                 */

/* iommufd_ioas_copy(): into another IOAS and inside one IOAS.  Selftest
 * iommufd_ioas.copy_area. */
static void test_copy(void **state)
{
	FX;
	uint32_t dst;
	uint64_t iova = 5 * SZ_1M;

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, 2 * SZ_4K, A_IOVA));
	OK(ioasid_ioas_alloc(f->ctx, &dst));
	OK(ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, A_IOVA, 2 * SZ_4K,
			    NULL));
	assert_int_equal(iova, 5 * SZ_1M);
	assert_true(is_mapped(f->ctx, dst, 5 * SZ_1M, 2 * SZ_4K));

	iova = A_IOVA + 2 * SZ_4K;
	OK(ioasid_ioas_copy(f->ctx, f->ioas, &iova, f->ioas, A_IOVA, SZ_4K,
			    NULL));
	assert_true(is_mapped(f->ctx, f->ioas, A_IOVA, 3 * SZ_4K));

	/* Part of an area, across two adjacent areas: both fine
	 * (iopt_get_pages() walks contiguous areas). */
	iova = 6 * SZ_1M;
	OK(ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, A_IOVA + SZ_4K,
			    2 * SZ_4K, NULL));
	assert_true(is_mapped(f->ctx, dst, 6 * SZ_1M, 2 * SZ_4K));
}

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

/* iopt_get_pages(): the source must be covered without gaps, -ENOENT
 * otherwise; the destination is not touched. */
static void test_copy_source_not_mapped(void **state)
{
	FX;
	uint32_t dst;
	uint64_t iova = 5 * SZ_1M;

	map_abc(f);
	OK(ioasid_ioas_alloc(f->ctx, &dst));
	/* Runs past the end of A. */
	EXPECT_ERR(ENOENT, "0x100000",
		   ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, A_IOVA,
				    4 * SZ_4K, NULL));
	/* Spans the hole between A and B. */
	EXPECT_ERR(ENOENT, NULL,
		   ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, A_IOVA,
				    B_IOVA + 2 * SZ_4K - A_IOVA, NULL));
	/* Starts in a hole. */
	EXPECT_ERR(ENOENT, "0x103000",
		   ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, 0x103000,
				    2 * SZ_4K, NULL));
	assert_int_equal(iova, 5 * SZ_1M);
	assert_true(is_free(f->ctx, dst, f->buf.p, 5 * SZ_1M, 8 * SZ_4K));
	expect_abc(f, true, true, true);
}

/* iopt_check_iova() on the destination: -EEXIST over a mapping, -EINVAL
 * over reserved IOVA; the source keeps its mapping. */
static void test_copy_destination_conflict(void **state)
{
	FX;
	uint32_t dst;
	uint64_t iova = 5 * SZ_1M;

	map_abc(f);
	OK(ioasid_ioas_alloc(f->ctx, &dst));
	OK(map_fixed(f->ctx, dst, f->buf.p, SZ_4K, 5 * SZ_1M + SZ_4K));
	EXPECT_ERR(EEXIST, "0x500000",
		   ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, A_IOVA,
				    2 * SZ_4K, NULL));
	assert_true(is_free(f->ctx, dst, f->buf.p, 5 * SZ_1M, SZ_4K));
	assert_true(is_mapped(f->ctx, dst, 5 * SZ_1M + SZ_4K, SZ_4K));

	attach_dev(f, DEV_A, dst);
	iova = MSI_START;
	EXPECT_ERR(EINVAL, "0xfee00000",
		   ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, A_IOVA,
				    2 * SZ_4K, NULL));
	expect_abc(f, true, true, true);
}

/* iommufd_ioas_copy(): flags as for map; length 0 is -EINVAL
 * (iopt_get_pages()); unknown IOAS ids -ENOENT. */
static void test_copy_bad_args(void **state)
{
	FX;
	IOASID_OPTS(ioasid_map_opts, none, .flags = 0);
	IOASID_OPTS(ioasid_map_opts, unknown,
		    .flags = IOASID_MAP_READ | (1u << 9));
	uint32_t dst;
	uint64_t iova = 5 * SZ_1M;

	map_abc(f);
	OK(ioasid_ioas_alloc(f->ctx, &dst));
	EXPECT_ERR(EINVAL, "length",
		   ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, A_IOVA, 0,
				    NULL));
	EXPECT_ERR(EINVAL, "read",
		   ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, A_IOVA, SZ_4K,
				    &none));
	EXPECT_ERR(EOPNOTSUPP, "0x200",
		   ioasid_ioas_copy(f->ctx, dst, &iova, f->ioas, A_IOVA, SZ_4K,
				    &unknown));
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_copy(f->ctx, dst, &iova, BAD_ID, A_IOVA, SZ_4K,
				    NULL));
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_copy(f->ctx, BAD_ID, &iova, f->ioas, A_IOVA,
				    SZ_4K, NULL));
	assert_true(is_free(f->ctx, dst, f->buf.p, 5 * SZ_1M, SZ_4K));
	expect_abc(f, true, true, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ioas_ids),
		T(test_ioas_destroy_unknown),
		T(test_ioas_destroy_with_mappings),
		T(test_ioas_destroy_busy),
		T(test_map_fixed),
		T(test_map_unaligned_without_device),
		T(test_map_zero_length),
		T(test_map_unaligned_with_device),
		T(test_map_overflow),
		T(test_map_reserved),
		T(test_map_overlap),
		T(test_map_flags),
		T(test_map_unknown_ioas),
		T(test_map_unmapped_memory),
		T(test_map_any_iova_choice),
		T(test_map_any_iova_offset_with_device),
		T(test_map_any_iova_enospc),
		T(test_map_file),
		T(test_map_file_any_iova),
		T(test_map_file_bad_fd),
		T(test_map_file_zero_and_overflow),
		T(test_map_file_past_end),
		T(test_map_file_past_end_no_domain),
		T(test_unmap_exact),
		T(test_unmap_with_holes),
		T(test_unmap_nothing),
		T(test_unmap_split_at_start),
		T(test_unmap_split_at_end),
		T(test_unmap_all),
		T(test_unmap_bad_ranges),
		T(test_copy),
		T(test_copy_any_iova),
		T(test_copy_source_not_mapped),
		T(test_copy_destination_conflict),
		T(test_copy_bad_args),
	};
	return cmocka_run_group_tests_name("ioas", tests, NULL, NULL);
}
