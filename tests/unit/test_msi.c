// SPDX-License-Identifier: MIT
/*
 * PowerPC PAMU style MSI banks (ioasid_ioas_msi_banks(3)) on the
 * simulator, with tests/unit/topologies/pamu.ini: the count per IOAS (the
 * banks of every IOMMU behind an attached group, each IOMMU once), mapping
 * at a user IOVA as a sw-msi reserved region, enabled only while a group
 * behind the bank's IOMMU is attached; every error with its errno, its
 * message and the state left unchanged.  Also: the topology keys, and the
 * kernel backend's -EOPNOTSUPP.
 */
#include "helpers.h"

#include <ioasid/testing.h>

#define TOPO_PAMU "pamu.ini"
#define DEV_P0A "0000:01:00.0" /* group 0, pamu0: 3 banks of 4 KiB */
#define DEV_P0B "0000:02:00.0" /* group 1, pamu0 */
#define DEV_P1 "0000:03:00.0"  /* group 2, pamu1: 1 bank of 64 KiB */
#define DEV_PLAIN "0000:04:00.0" /* group 3, plain0: no banks */
#define PAMU_LAST ((1ULL << 36) - 1)
#define MAX_BANKS 8

struct mfx {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	struct test_buf buf;
};

static int mfx_setup(void **state)
{
	struct mfx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ctx = sim_open(TOPO_PAMU);
	OK(ioasid_ioas_alloc(f->ctx, &f->ioas));
	buf_init(&f->buf, SZ_1M);
	*state = f;
	return 0;
}

static int mfx_teardown(void **state)
{
	struct mfx *f = *state;

	ioasid_ctx_close(f->ctx);
	buf_fini(&f->buf);
	free(f);
	return 0;
}

#define MFX struct mfx *f = *state
#define TM(fn) cmocka_unit_test_setup_teardown(fn, mfx_setup, mfx_teardown)

static struct ioasid_dev *attach(struct mfx *f, const char *name)
{
	struct ioasid_dev *dev = dev_open_bound(f->ctx, name);

	OK(ioasid_dev_attach(dev, f->ioas, NULL));
	return dev;
}

/* The IOAS's banks; returns the count. */
static uint32_t banks(struct mfx *f, struct ioasid_msi_bank *b)
{
	uint32_t num = MAX_BANKS;

	memset(b, 0x7f, MAX_BANKS * sizeof(*b));
	OK(ioasid_ioas_msi_banks(f->ctx, f->ioas, b, &num));
	assert_true(num <= MAX_BANKS);
	return num;
}

static void expect_bank(const struct ioasid_msi_bank *b, const char *iommu,
			uint32_t bank, uint64_t size, bool mapped,
			uint64_t iova, bool enabled)
{
	assert_string_equal(b->iommu, iommu);
	assert_int_equal(b->bank, bank);
	assert_int_equal(b->size, size);
	assert_int_equal(b->mapped, mapped);
	if (mapped)
		assert_int_equal(b->iova, iova);
	assert_int_equal(b->enabled, enabled);
}

/* The whole bank list, to compare before and after a failed call. */
static void snapshot(struct mfx *f, struct ioasid_msi_bank *b, uint32_t *n)
{
	*n = banks(f, b);
}

static void expect_same(struct mfx *f, const struct ioasid_msi_bank *b,
			uint32_t n)
{
	struct ioasid_msi_bank now[MAX_BANKS];

	assert_int_equal(banks(f, now), n);
	for (uint32_t i = 0; i < n; i++) {
		expect_bank(&now[i], b[i].iommu, b[i].bank, b[i].size,
			    b[i].mapped, b[i].iova, b[i].enabled);
	}
}

/* ------------------------------------------------------------------ */

/* The topology's banks reach ioasid_dev_iommu_info(). */
static void test_iommu_info(void **state)
{
	IOASID_OPTS(ioasid_iommu_info, info);
	MFX;

	OK(ioasid_dev_iommu_info(f->ctx, DEV_P0A, &info));
	assert_string_equal(info.name, "pamu0");
	assert_int_equal(info.msi_banks, 3);
	assert_int_equal(info.msi_bank_size, SZ_4K);
	OK(ioasid_dev_iommu_info(f->ctx, DEV_P1, &info));
	assert_int_equal(info.msi_banks, 1);
	assert_int_equal(info.msi_bank_size, SZ_64K);
	OK(ioasid_dev_iommu_info(f->ctx, DEV_PLAIN, &info));
	assert_int_equal(info.msi_banks, 0);
	assert_int_equal(info.msi_bank_size, 0);
}

/* Nothing attached: no banks, and mapping bank 0 is past the count. */
static void test_no_groups_no_banks(void **state)
{
	struct ioasid_msi_bank b[MAX_BANKS];
	MFX;

	assert_int_equal(banks(f, b), 0);
	EXPECT_ERR(ENOSPC, "has 0 msi banks",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 0, 0x10000000));
	EXPECT_ERR(ENOSPC, "no bank 0",
		   ioasid_ioas_unmap_msi_bank(f->ctx, f->ioas, 0));
	assert_int_equal(banks(f, b), 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

/* The count is the total over the IOMMUs behind the attached groups, each
 * IOMMU once: two groups of pamu0 bring its 3 banks, pamu1 adds 1, an
 * IOMMU without banks adds none. */
static void test_count_total_over_groups(void **state)
{
	struct ioasid_msi_bank b[MAX_BANKS];
	MFX;

	attach(f, DEV_P0A);
	assert_int_equal(banks(f, b), 3);
	for (uint32_t i = 0; i < 3; i++)
		expect_bank(&b[i], "pamu0", i, SZ_4K, false, 0, false);
	attach(f, DEV_P0B);
	assert_int_equal(banks(f, b), 3);
	attach(f, DEV_PLAIN);
	assert_int_equal(banks(f, b), 3);
	attach(f, DEV_P1);
	assert_int_equal(banks(f, b), 4);
	expect_bank(&b[3], "pamu1", 0, SZ_64K, false, 0, false);
}

/* Two-call sizing as for the IOVA ranges, and the argument checks. */
static void test_list_emsgsize_and_args(void **state)
{
	struct ioasid_msi_bank b[MAX_BANKS];
	uint32_t num = 2;
	MFX;

	attach(f, DEV_P0A);
	attach(f, DEV_P1);
	memset(b, 0, sizeof(b));
	EXPECT_ERR(EMSGSIZE, "has 4 msi banks, the array holds 2",
		   ioasid_ioas_msi_banks(f->ctx, f->ioas, b, &num));
	assert_int_equal(num, 4);
	expect_bank(&b[0], "pamu0", 0, SZ_4K, false, 0, false);
	expect_bank(&b[1], "pamu0", 1, SZ_4K, false, 0, false);
	assert_int_equal(b[2].size, 0); /* not written */
	num = 0;
	EXPECT_ERR(EMSGSIZE, NULL,
		   ioasid_ioas_msi_banks(f->ctx, f->ioas, NULL, &num));
	assert_int_equal(num, 4);

	num = 1;
	EXPECT_ERR(EINVAL, "banks is NULL",
		   ioasid_ioas_msi_banks(f->ctx, f->ioas, NULL, &num));
	EXPECT_ERR(EINVAL, "num is NULL",
		   ioasid_ioas_msi_banks(f->ctx, f->ioas, b, NULL));
	EXPECT_ERR(EINVAL, "ctx is NULL",
		   ioasid_ioas_msi_banks(NULL, f->ioas, b, &num));
	EXPECT_ERR(EINVAL, "ctx is NULL",
		   ioasid_ioas_map_msi_bank(NULL, f->ioas, 0, 0));
	EXPECT_ERR(EINVAL, "ctx is NULL",
		   ioasid_ioas_unmap_msi_bank(NULL, f->ioas, 0));
	num = MAX_BANKS;
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_msi_banks(f->ctx, BAD_ID, b, &num));
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_map_msi_bank(f->ctx, BAD_ID, 0, 0x10000000));
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_unmap_msi_bank(f->ctx, BAD_ID, 0));
	assert_int_equal(banks(f, b), 4);
}

/* A mapped bank is a sw-msi reserved region: the IOVA ranges leave it
 * out, a fixed map over it is refused as over any reserved region (-EINVAL,
 * iopt_check_iova()), IOVA allocation steps around it, and an allow-list
 * over it is refused (-EADDRINUSE). */
static void test_map_reserves_window(void **state)
{
	struct ioasid_msi_bank b[MAX_BANKS];
	struct ioasid_iova_range over = { 0x10000000, 0x1000ffff };
	uint64_t iova = 0;
	MFX;

	attach(f, DEV_P0A);
	attach(f, DEV_P1);
	OK(ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 3, 0x10000000));
	OK(ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 1, 0x20001000));
	assert_int_equal(banks(f, b), 4);
	expect_bank(&b[0], "pamu0", 0, SZ_4K, false, 0, false);
	expect_bank(&b[1], "pamu0", 1, SZ_4K, true, 0x20001000, true);
	expect_bank(&b[2], "pamu0", 2, SZ_4K, false, 0, false);
	expect_bank(&b[3], "pamu1", 0, SZ_64K, true, 0x10000000, true);
	EXPECT_RANGES(f->ctx, f->ioas, SZ_4K, { 0, 0x0fffffff },
		      { 0x10010000, 0x20000fff }, { 0x20002000, PAMU_LAST });

	EXPECT_ERR(EINVAL, "msi bank 0 of iommu pamu1",
		   map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 0x1000f000));
	EXPECT_ERR(EINVAL, "(sw-msi)",
		   map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 0x20001000));
	EXPECT_ERR(EADDRINUSE, "msi bank 0 of iommu pamu1",
		   ioasid_ioas_allow_iovas(f->ctx, f->ioas, &over, 1));
	/* Allocation inside an allow-list that ends at the window. */
	over = (struct ioasid_iova_range){ 0x0fffe000, 0x0fffffff };
	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, &over, 1));
	OK(map_any(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova));
	assert_int_equal(iova, 0x0fffe000);
	OK(map_any(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova));
	assert_int_equal(iova, 0x0ffff000);
	EXPECT_ERR(ENOSPC, NULL,
		   map_any(f->ctx, f->ioas, f->buf.p, SZ_4K, &iova));
}

/* The typed holes of the IOAS name a mapped bank's window as sw-msi (a
 * doorbell the user mapped), not as an unexplained reservation. */
static void test_ioas_resv_regions_type_banks(void **state)
{
	struct ioasid_resv_region r[16];
	uint32_t num = 16;
	bool seen = false;
	MFX;

	attach(f, DEV_P1);
	OK(ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 0, 0x10000000));
	OK(ioasid_ioas_resv_regions(f->ctx, f->ioas, r, &num));
	for (uint32_t i = 0; i < num; i++) {
		if (r[i].start > 0x1000ffff || r[i].last < 0x10000000)
			continue;
		assert_int_equal(r[i].start, 0x10000000);
		assert_int_equal(r[i].last, 0x1000ffff);
		assert_int_equal(r[i].type, IOASID_RESV_SW_MSI);
		seen = true;
	}
	assert_true(seen);
}

/* Every refusal of a map: errno, message, and nothing changed. */
static void test_map_errors(void **state)
{
	struct ioasid_msi_bank before[MAX_BANKS];
	struct ioasid_iova_range allowed = { 0x30000000, 0x3fffffff };
	uint32_t n;
	MFX;

	attach(f, DEV_P0A);
	attach(f, DEV_PLAIN);
	OK(ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 0, 0x10000000));
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_64K, 0x20000000));
	OK(ioasid_ioas_allow_iovas(f->ctx, f->ioas, &allowed, 1));
	snapshot(f, before, &n);
	assert_int_equal(n, 3);

	/* Past the count. */
	EXPECT_ERR(ENOSPC, "ioas 1 has 3 msi banks: there is no bank 3",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 3, 0x11000000));
	/* Not aligned to the bank size. */
	EXPECT_ERR(EINVAL, "not aligned to the msi bank size 0x1000",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 1, 0x11000800));
	/* Mapped already (even at the same IOVA). */
	EXPECT_ERR(EBUSY, "mapped already at 0x10000000",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 0, 0x11000000));
	EXPECT_ERR(EBUSY, "bank 0 of iommu pamu0",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 0, 0x10000000));
	/* Over a mapping. */
	EXPECT_ERR(EADDRINUSE, "overlaps mapping 0x20000000-0x2000ffff",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 1, 0x2000f000));
	/* Over an allowed range. */
	EXPECT_ERR(EADDRINUSE, "overlaps allowed range 0x30000000-0x3fffffff",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 1, 0x30000000));
	/* Over another bank. */
	EXPECT_ERR(EADDRINUSE, "msi bank 0 of iommu pamu0",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 1, 0x10000000));
	/* Over a device's fixed doorbell. */
	EXPECT_ERR(EADDRINUSE, "0xfee00000-0xfeefffff (msi) of device " DEV_PLAIN,
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 1, 0xfee01000));
	/* Outside pamu0's 36-bit aperture. */
	EXPECT_ERR(EADDRINUSE, "the aperture of hwpt",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 1, 1ULL << 40));

	expect_same(f, before, n);
	EXPECT_RANGES(f->ctx, f->ioas, SZ_4K, { 0, 0x0fffffff },
		      { 0x10001000, 0xfedfffff }, { 0xfef00000, PAMU_LAST });
	assert_true(is_mapped(f->ctx, f->ioas, 0x20000000, SZ_64K));
	/* The same bank maps fine at a good address afterwards. */
	OK(ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 1, 0x11000000));
}

/* Enabled only while a group behind the bank's IOMMU is attached; the
 * mapping and its IOVA survive the detach, and so does its place in the
 * list, so it can still be unmapped. */
static void test_enabled_follows_attach(void **state)
{
	struct ioasid_msi_bank b[MAX_BANKS];
	struct ioasid_dev *a, *bdev, *p1;
	MFX;

	a = attach(f, DEV_P0A);
	bdev = attach(f, DEV_P0B);
	p1 = attach(f, DEV_P1);
	OK(ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 2, 0x10002000));
	OK(ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 3, 0x20000000));

	/* One of pamu0's two groups leaves: still enabled. */
	OK(ioasid_dev_detach(a));
	assert_int_equal(banks(f, b), 4);
	expect_bank(&b[2], "pamu0", 2, SZ_4K, true, 0x10002000, true);
	/* The other leaves too: disabled, IOVA kept, still reserved. */
	OK(ioasid_dev_detach(bdev));
	assert_int_equal(banks(f, b), 4);
	expect_bank(&b[0], "pamu0", 0, SZ_4K, false, 0, false);
	expect_bank(&b[2], "pamu0", 2, SZ_4K, true, 0x10002000, false);
	expect_bank(&b[3], "pamu1", 0, SZ_64K, true, 0x20000000, true);
	EXPECT_ERR(EINVAL, "msi bank 2 of iommu pamu0",
		   map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 0x10002000));
	/* Back again: enabled. */
	OK(ioasid_dev_attach(bdev, f->ioas, NULL));
	assert_int_equal(banks(f, b), 4);
	expect_bank(&b[2], "pamu0", 2, SZ_4K, true, 0x10002000, true);

	/* pamu1 leaves: its bank is disabled but listed. */
	OK(ioasid_dev_detach(p1));
	assert_int_equal(banks(f, b), 4);
	expect_bank(&b[3], "pamu1", 0, SZ_64K, true, 0x20000000, false);
	/* Unmapping it drops pamu1 from the list. */
	OK(ioasid_ioas_unmap_msi_bank(f->ctx, f->ioas, 3));
	assert_int_equal(banks(f, b), 3);
	EXPECT_ERR(ENOSPC, "no bank 3",
		   ioasid_ioas_unmap_msi_bank(f->ctx, f->ioas, 3));
}

/* Unmapping releases the region; unmapping an unmapped bank is -ENOENT
 * and changes nothing. */
static void test_unmap(void **state)
{
	struct ioasid_msi_bank before[MAX_BANKS];
	uint32_t n;
	MFX;

	attach(f, DEV_P1);
	OK(ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 0, 0x10000000));
	EXPECT_RANGES(f->ctx, f->ioas, SZ_4K, { 0, 0x0fffffff },
		      { 0x10010000, PAMU_LAST });
	OK(ioasid_ioas_unmap_msi_bank(f->ctx, f->ioas, 0));
	EXPECT_RANGES(f->ctx, f->ioas, SZ_4K, { 0, PAMU_LAST });
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_64K, 0x10000000));

	snapshot(f, before, &n);
	assert_int_equal(n, 1);
	assert_false(before[0].mapped);
	EXPECT_ERR(ENOENT, "bank 0 of iommu pamu1) is not mapped",
		   ioasid_ioas_unmap_msi_bank(f->ctx, f->ioas, 0));
	EXPECT_ERR(ENOSPC, "no bank 1",
		   ioasid_ioas_unmap_msi_bank(f->ctx, f->ioas, 1));
	expect_same(f, before, n);
	assert_true(is_mapped(f->ctx, f->ioas, 0x10000000, SZ_64K));
	/* The mapping now blocks the window. */
	EXPECT_ERR(EADDRINUSE, "overlaps mapping",
		   ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 0, 0x10000000));
}

/* An IOAS with a mapped bank is destroyed like any other once nothing
 * uses it; the bank goes with it. */
static void test_destroy_with_bank(void **state)
{
	struct ioasid_dev *p1;
	MFX;

	p1 = attach(f, DEV_P1);
	OK(ioasid_ioas_map_msi_bank(f->ctx, f->ioas, 0, 0x10000000));
	EXPECT_ERR(EBUSY, NULL, ioasid_ioas_destroy(f->ctx, f->ioas));
	OK(ioasid_dev_detach(p1));
	OK(ioasid_ioas_destroy(f->ctx, f->ioas));
}

/* ------------------------------------------------------------------ */
/* Topology keys                                                        */

static void expect_topology_error(const char *text, const char *needle)
{
	char path[] = "/tmp/test_msi.XXXXXX";
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM,
		    .topology = path, .config = "");
	struct ioasid_ctx *ctx = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	EXPECT_ERR(EINVAL, needle, ioasid_ctx_open(&opts, &ctx));
	assert_null(ctx);
	/* The message starts with FILE:LINE. */
	assert_non_null(strstr(ioasid_errmsg(), path));
	unlink(path);
}

static void test_topology_keys(void **state)
{
	(void)state;
	expect_topology_error("[iommu p]\nmsi_banks = 2\n",
			      ":2: msi_banks = 2 needs msi_bank_size");
	expect_topology_error("[iommu p]\naw_bits = 36\nmsi_bank_size = 4K\n",
			      ":3: msi_bank_size without msi_banks");
	expect_topology_error("[iommu p]\nmsi_banks = 1\nmsi_bank_size = 3K\n",
			      ":3: msi_bank_size = 3K is not a power of two");
	expect_topology_error("[iommu p]\nmsi_banks = 1\nmsi_bank_size = 0\n",
			      ":3: msi_bank_size = 0 is not a power of two");
	expect_topology_error("[iommu p]\nmsi_banks = 65\nmsi_bank_size = 4K\n",
			      ":2: msi_banks = 65 is out of range");
	expect_topology_error("[iommu p]\nmsi_banks = many\nmsi_bank_size = 4K\n",
			      ":2: msi_banks = many is not a number");
	expect_topology_error("[group 1]\nmsi_banks = 1\n", ":2:");
}

/* ------------------------------------------------------------------ */
/* Kernel backend                                                       */

static void test_kernel_has_no_banks(void **state)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_KERNEL,
		    .dev_iommu = "/nonexistent/iommu", .inspect_only = true,
		    .config = "");
	struct ioasid_msi_bank b[1];
	uint32_t num = 1;
	struct ioasid_ctx *ctx = NULL;

	(void)state;
	OK(ioasid_ctx_open(&opts, &ctx));
	EXPECT_ERR(EOPNOTSUPP, "the kernel backend has no PAMU MSI banks",
		   ioasid_ioas_msi_banks(ctx, 1, b, &num));
	assert_int_equal(num, 1);
	EXPECT_ERR(EOPNOTSUPP, "the kernel backend has no PAMU MSI banks",
		   ioasid_ioas_map_msi_bank(ctx, 1, 0, 0x10000000));
	EXPECT_ERR(EOPNOTSUPP, "the kernel backend has no PAMU MSI banks",
		   ioasid_ioas_unmap_msi_bank(ctx, 1, 0));
	ioasid_ctx_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TM(test_iommu_info),
		TM(test_no_groups_no_banks),
		TM(test_count_total_over_groups),
		TM(test_list_emsgsize_and_args),
		TM(test_map_reserves_window),
		TM(test_map_errors),
		TM(test_ioas_resv_regions_type_banks),
		TM(test_enabled_follows_attach),
		TM(test_unmap),
		TM(test_destroy_with_bank),
		cmocka_unit_test(test_topology_keys),
		cmocka_unit_test(test_kernel_has_no_banks),
	};
	return cmocka_run_group_tests_name("msi", tests, NULL, NULL);
}
