// SPDX-License-Identifier: MIT
/*
 * Nested HWPTs, cache invalidation, vIOMMU/vDEVICE/vEVENTQ objects, fault
 * queues and dirty tracking on the simulator's built-in topology (vtd0:
 * nesting and dirty tracking), following drivers/iommu/iommufd/
 * hw_pagetable.c, viommu.c, eventq.c and the mock driver in selftest.c
 * (Linux 7.3).
 */
#include "helpers.h"

#include <ioasid/testing.h>

#include "sim-test-hooks.h"
#include "core.h"

#define NDEV "0000:00:03.0"
#define NDEV2 "0000:00:04.0"

struct nfx {
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev;
	uint32_t ioas, parent;
	struct test_buf buf;
};

static int nfx_setup(void **state)
{
	struct nfx *f = calloc(1, sizeof(*f));
	IOASID_OPTS(ioasid_hwpt_alloc_opts, np,
		    .flags = IOASID_HWPT_ALLOC_NEST_PARENT |
			     IOASID_HWPT_ALLOC_DIRTY_TRACKING);

	assert_non_null(f);
	f->ctx = sim_open(NULL);
	OK(ioasid_ioas_alloc(f->ctx, &f->ioas));
	f->dev = dev_open_bound(f->ctx, NDEV);
	OK(ioasid_hwpt_alloc(f->dev, f->ioas, &np, &f->parent));
	buf_init(&f->buf, 4 * SZ_1M);
	*state = f;
	return 0;
}

static int nfx_teardown(void **state)
{
	struct nfx *f = *state;

	ioasid_ctx_close(f->ctx);
	buf_fini(&f->buf);
	free(f);
	return 0;
}

#define NFX struct nfx *f = *state
#define N(fn) cmocka_unit_test_setup_teardown(fn, nfx_setup, nfx_teardown)

static const struct ioasid_hwpt_selftest selftest_data = {
	.iotlb = IOASID_TEST_IOTLB_DEFAULT,
};

static int alloc_selftest(struct nfx *f, uint32_t pt, uint32_t *out)
{
	IOASID_OPTS(ioasid_hwpt_nested, n, .data_type = IOASID_HWPT_DATA_SELFTEST,
		    .data = &selftest_data, .data_len = sizeof(selftest_data));

	return ioasid_hwpt_alloc_nested(f->dev, pt, &n, out);
}

/* Selftest iommufd_ioas.hwpt_attach / nested alloc: attach, replace,
 * parent busy while the child lives. */
static void test_nested_alloc_attach(void **state)
{
	NFX;
	uint32_t nested = 0, used = 0;

	OK(alloc_selftest(f, f->parent, &nested));
	assert_int_not_equal(nested, 0);
	for (uint32_t i = 0; i < IOASID_TEST_IOTLB_NUM; i++)
		OK(ioasid_test_check_iotlb(f->ctx, nested, i,
					   IOASID_TEST_IOTLB_DEFAULT));
	OK(ioasid_dev_attach(f->dev, nested, &used));
	assert_int_equal(used, nested);
	EXPECT_ERR(EBUSY, NULL, ioasid_hwpt_destroy(f->ctx, f->parent));
	EXPECT_ERR(EBUSY, NULL, ioasid_hwpt_destroy(f->ctx, nested));
	OK(ioasid_dev_replace(f->dev, f->parent, &used));
	assert_int_equal(used, f->parent);
	OK(ioasid_dev_detach(f->dev));
	OK(ioasid_hwpt_destroy(f->ctx, nested));
	OK(ioasid_hwpt_destroy(f->ctx, f->parent));
}

/* iommufd_hwpt_alloc() / iommufd_hwpt_nested_alloc() error order. */
static void test_nested_alloc_errors(void **state)
{
	NFX;
	IOASID_OPTS(ioasid_hwpt_nested, none);
	IOASID_OPTS(ioasid_hwpt_nested, nodata, .data_type = IOASID_HWPT_DATA_SELFTEST);
	IOASID_OPTS(ioasid_hwpt_nested, dirty, .flags = IOASID_HWPT_ALLOC_DIRTY_TRACKING,
		    .data_type = IOASID_HWPT_DATA_SELFTEST, .data = &selftest_data,
		    .data_len = sizeof(selftest_data));
	IOASID_OPTS(ioasid_hwpt_nested, smmu, .data_type = IOASID_HWPT_DATA_ARM_SMMUV3,
		    .data = &selftest_data, .data_len = 8);
	IOASID_OPTS(ioasid_hwpt_nested, shortd, .data_type = IOASID_HWPT_DATA_SELFTEST,
		    .data = &selftest_data, .data_len = 2);
	IOASID_OPTS(ioasid_hwpt_nested, fault, .flags = IOASID_HWPT_ALLOC_FAULT_ID_VALID,
		    .fault_id = 999, .data_type = IOASID_HWPT_DATA_SELFTEST,
		    .data = &selftest_data, .data_len = sizeof(selftest_data));
	IOASID_OPTS(ioasid_hwpt_alloc_opts, plain_o);
	uint32_t plain = 0, nested = 0, id = 0;

	EXPECT_ERR(EINVAL, NULL, ioasid_hwpt_alloc_nested(f->dev, f->parent, &nodata, &id));
	EXPECT_ERR(EOPNOTSUPP, NULL, ioasid_hwpt_alloc_nested(f->dev, f->parent, &none, &id));
	EXPECT_ERR(EOPNOTSUPP, NULL, ioasid_hwpt_alloc_nested(f->dev, f->parent, &dirty, &id));
	EXPECT_ERR(EOPNOTSUPP, NULL, ioasid_hwpt_alloc_nested(f->dev, f->parent, &smmu, &id));
	EXPECT_ERR(EINVAL, NULL, ioasid_hwpt_alloc_nested(f->dev, f->parent, &shortd, &id));
	EXPECT_ERR(ENOENT, "fault queue 999", ioasid_hwpt_alloc_nested(f->dev, f->parent, &fault, &id));
	EXPECT_ERR(EINVAL, NULL, alloc_selftest(f, 12345, &id));
	/* Not a nest parent, and a nested HWPT as parent: -EINVAL. */
	OK(ioasid_hwpt_alloc(f->dev, f->ioas, &plain_o, &plain));
	EXPECT_ERR(EINVAL, "nest parent", alloc_selftest(f, plain, &id));
	OK(alloc_selftest(f, f->parent, &nested));
	EXPECT_ERR(EINVAL, NULL, alloc_selftest(f, nested, &id));
	assert_int_equal(id, 0);
	/* The failed allocations gave their ids back. */
	OK(alloc_selftest(f, f->parent, &id));
	assert_int_equal(id, nested + 1);
}

/* mock_domain_cache_invalidate_user(): entries in order, stops at the
 * first bad one and reports how many it handled. */
static void test_nested_invalidate(void **state)
{
	NFX;
	struct ioasid_invalidate_selftest inv[3] = {
		{ .iotlb_id = 1 }, { .iotlb_id = 2 }, { .iotlb_id = 7 },
	};
	uint32_t nested = 0, num;

	OK(alloc_selftest(f, f->parent, &nested));
	num = 3;
	EXPECT_ERR(EINVAL, "stopped at entry 2 of 3",
		   ioasid_hwpt_invalidate(f->ctx, nested, IOASID_INVALIDATE_DATA_SELFTEST,
					  inv, sizeof(inv[0]), &num));
	assert_int_equal(num, 2);
	OK(ioasid_test_check_iotlb(f->ctx, nested, 0, IOASID_TEST_IOTLB_DEFAULT));
	OK(ioasid_test_check_iotlb(f->ctx, nested, 1, 0));
	OK(ioasid_test_check_iotlb(f->ctx, nested, 2, 0));
	EXPECT_ERR(EINVAL, NULL, ioasid_test_check_iotlb(f->ctx, nested, 3, 0));

	inv[0].flags = 1u << 5;
	num = 1;
	EXPECT_ERR(EOPNOTSUPP, NULL,
		   ioasid_hwpt_invalidate(f->ctx, nested, IOASID_INVALIDATE_DATA_SELFTEST,
					  inv, sizeof(inv[0]), &num));
	assert_int_equal(num, 0);
	num = 1;
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_hwpt_invalidate(f->ctx, nested, IOASID_INVALIDATE_DATA_VTD_S1,
					  inv, sizeof(inv[0]), &num));
	num = 1;
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_hwpt_invalidate(f->ctx, nested, IOASID_INVALIDATE_DATA_SELFTEST,
					  inv, 0, &num));
	num = 1;
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_hwpt_invalidate(f->ctx, f->parent, IOASID_INVALIDATE_DATA_SELFTEST,
					  inv, sizeof(inv[0]), &num));
	num = 1;
	EXPECT_ERR(ENOENT, NULL,
		   ioasid_hwpt_invalidate(f->ctx, 4242, IOASID_INVALIDATE_DATA_SELFTEST,
					  inv, sizeof(inv[0]), &num));
	inv[0].flags = IOASID_TEST_INVALIDATE_ALL;
	num = 1;
	OK(ioasid_hwpt_invalidate(f->ctx, nested, IOASID_INVALIDATE_DATA_SELFTEST,
				  inv, sizeof(inv[0]), &num));
	assert_int_equal(num, 1);
	OK(ioasid_test_check_iotlb(f->ctx, nested, 0, 0));
	OK(ioasid_test_check_iotlb(f->ctx, nested, 3, 0));
	num = 0;
	OK(ioasid_hwpt_invalidate(f->ctx, nested, IOASID_INVALIDATE_DATA_SELFTEST,
				  NULL, 0, &num));
}

/* viommu.c: vIOMMU over a nest parent, vDEVICE ids, vEVENTQ records with
 * sequence numbers and the LOST_EVENTS record. */
static void test_viommu_objects(void **state)
{
	NFX;
	struct ioasid_dev *b = dev_open_bound(f->ctx, NDEV2);
	IOASID_OPTS(ioasid_hwpt_alloc_opts, plain_o);
	struct ioasid_vevent ev[4];
	uint32_t plain = 0, vi = 0, vd = 0, vd2 = 0, q = 0, nested = 0, num, id;
	int fd = -1;

	EXPECT_ERR(EOPNOTSUPP, NULL, ioasid_viommu_alloc(f->dev, f->parent, 0, &vi));
	EXPECT_ERR(EOPNOTSUPP, NULL,
		   ioasid_viommu_alloc(f->dev, f->parent, IOASID_VIOMMU_TYPE_ARM_SMMUV3, &vi));
	OK(ioasid_hwpt_alloc(f->dev, f->ioas, &plain_o, &plain));
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_viommu_alloc(f->dev, plain, IOASID_VIOMMU_TYPE_SELFTEST, &vi));
	OK(ioasid_viommu_alloc(f->dev, f->parent, IOASID_VIOMMU_TYPE_SELFTEST, &vi));
	EXPECT_ERR(EBUSY, NULL, ioasid_hwpt_destroy(f->ctx, f->parent));

	OK(ioasid_vdevice_alloc(f->dev, vi, 0x10, &vd));
	EXPECT_ERR(EEXIST, NULL, ioasid_vdevice_alloc(f->dev, vi, 0x11, &id));
	EXPECT_ERR(EEXIST, NULL, ioasid_vdevice_alloc(b, vi, 0x10, &id));
	OK(ioasid_vdevice_alloc(b, vi, 0x11, &vd2));

	/* Nested over the vIOMMU. */
	OK(alloc_selftest(f, vi, &nested));
	EXPECT_ERR(EBUSY, NULL, ioasid_viommu_destroy(f->ctx, vi));

	/* The mock reports only for a device attached to a nested HWPT of
	 * the vIOMMU (selftest.c iommufd_test_trigger_vevent()); then a
	 * vIOMMU without a selftest queue is EOPNOTSUPP. */
	EXPECT_ERR(ENOENT, NULL, ioasid_test_vevent(f->dev));
	OK(ioasid_dev_attach(f->dev, nested, NULL));
	OK(ioasid_dev_attach(b, nested, NULL));
	EXPECT_ERR(EOPNOTSUPP, NULL, ioasid_test_vevent(f->dev));
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_veventq_alloc(f->ctx, vi, IOASID_VEVENTQ_TYPE_SELFTEST, 0, &q, &fd));
	EXPECT_ERR(EOPNOTSUPP, NULL, ioasid_veventq_alloc(f->ctx, vi, 0, 2, &q, &fd));
	OK(ioasid_veventq_alloc(f->ctx, vi, IOASID_VEVENTQ_TYPE_SELFTEST, 2, &q, &fd));
	assert_true(fd >= 0);
	EXPECT_ERR(EEXIST, NULL,
		   ioasid_veventq_alloc(f->ctx, vi, IOASID_VEVENTQ_TYPE_SELFTEST, 2, &id, NULL));
	num = 4;
	OK(ioasid_veventq_read(f->ctx, q, ev, &num));
	assert_int_equal(num, 0);
	OK(ioasid_test_vevent(f->dev));
	OK(ioasid_test_vevent(b));
	OK(ioasid_test_vevent(f->dev)); /* depth 2: lost */
	OK(ioasid_test_vevent(f->dev)); /* lost again: one record */
	num = 4;
	OK(ioasid_veventq_read(f->ctx, q, ev, &num));
	assert_int_equal(num, 3);
	assert_int_equal(ev[0].sequence, 0);
	assert_int_equal(ev[0].data_len, 4);
	assert_int_equal(*(uint32_t *)ev[0].data, 0x10);
	assert_int_equal(*(uint32_t *)ev[1].data, 0x11);
	assert_int_equal(ev[1].sequence, 1);
	assert_int_equal(ev[2].flags, IOASID_VEVENT_LOST_EVENTS);
	assert_int_equal(ev[2].sequence, 3);
	assert_int_equal(ev[2].data_len, 0);
	OK(ioasid_test_vevent(b));
	num = 4;
	OK(ioasid_veventq_read(f->ctx, q, ev, &num));
	assert_int_equal(num, 1);
	assert_int_equal(ev[0].sequence, 4);
	assert_int_equal(ev[0].flags, 0);

	/* vIOMMU invalidation: selftest entries name vDEVICE virt ids. */
	{
		uint32_t e[2][3] = { { 0, 0x11, 1 }, { 0, 0x99, 1 } };

		num = 2;
		EXPECT_ERR(EINVAL, "stopped at entry 1 of 2",
			   ioasid_hwpt_invalidate(f->ctx, vi, IOASID_INVALIDATE_DATA_SELFTEST,
						  e, sizeof(e[0]), &num));
		assert_int_equal(num, 1);
	}

	EXPECT_ERR(ENOENT, NULL, ioasid_viommu_destroy(f->ctx, q));
	OK(ioasid_veventq_destroy(f->ctx, q));
	OK(ioasid_vdevice_destroy(f->ctx, vd));
	OK(ioasid_vdevice_destroy(f->ctx, vd2));
	OK(ioasid_dev_detach(f->dev));
	OK(ioasid_dev_detach(b));
	OK(ioasid_hwpt_destroy(f->ctx, nested));
	OK(ioasid_viommu_destroy(f->ctx, vi));
	OK(ioasid_hwpt_destroy(f->ctx, f->parent));
}

/* device.c iommufd_device_remove_vdev(): closing a device destroys its
 * vDEVICE, whose id is then gone, and frees the vIOMMU for destroy. */
static void test_vdevice_dies_with_device(void **state)
{
	NFX;
	struct ioasid_dev *b = dev_open_bound(f->ctx, NDEV2);
	uint32_t vi = 0, vd = 0, id = 0;

	OK(ioasid_viommu_alloc(f->dev, f->parent, IOASID_VIOMMU_TYPE_SELFTEST, &vi));
	OK(ioasid_vdevice_alloc(b, vi, 0x20, &vd));
	ioasid_dev_close(b);
	EXPECT_ERR(ENOENT, NULL, ioasid_vdevice_destroy(f->ctx, vd));
	/* The virt id is free again for another device. */
	OK(ioasid_vdevice_alloc(f->dev, vi, 0x20, &id));
	OK(ioasid_vdevice_destroy(f->ctx, id));
	OK(ioasid_viommu_destroy(f->ctx, vi));
}

/* eventq.c fault queue: a HWPT with FAULT_ID_VALID delivers the faults
 * of its devices; cookies from 1; responses take known cookies only. */
static void test_fault_queue(void **state)
{
	NFX;
	IOASID_OPTS(ioasid_hwpt_nested, fo, .flags = IOASID_HWPT_ALLOC_FAULT_ID_VALID);
	struct ioasid_fault fl[4];
	struct ioasid_fault_response r[2];
	uint32_t fq = 0, hwpt = 0, num;
	int fd = -1;

	OK(ioasid_fault_queue_alloc(f->ctx, &fq, &fd));
	assert_true(fd >= 0);
	fo.fault_id = fq;
	OK(ioasid_hwpt_alloc_nested(f->dev, f->ioas, &fo, &hwpt));
	EXPECT_ERR(EBUSY, NULL, ioasid_fault_queue_destroy(f->ctx, fq));
	/* Not attached yet: the fault is dropped. */
	OK(ioasid_test_iopf(f->dev, 0, 1, IOASID_FAULT_PERM_READ, 0x1000));
	num = 4;
	OK(ioasid_fault_read(f->ctx, fq, fl, &num));
	assert_int_equal(num, 0);

	OK(ioasid_dev_attach(f->dev, hwpt, NULL));
	OK(ioasid_test_iopf(f->dev, 0, 7, IOASID_FAULT_PERM_WRITE, 0x2000));
	OK(ioasid_test_iopf(f->dev, 0, 8, IOASID_FAULT_PERM_READ, 0x3000));
	num = 0;
	EXPECT_ERR(EINVAL, NULL, ioasid_fault_read(f->ctx, fq, fl, &num));
	num = 1;
	OK(ioasid_fault_read(f->ctx, fq, fl, &num));
	assert_int_equal(num, 1);
	assert_int_equal(fl[0].cookie, 1);
	assert_int_equal(fl[0].grpid, 7);
	assert_int_equal(fl[0].addr, 0x2000);
	assert_int_equal(fl[0].flags, IOASID_FAULT_LAST_PAGE);
	assert_int_equal(fl[0].dev_id, ioasid_dev_id(f->dev));
	num = 4;
	OK(ioasid_fault_read(f->ctx, fq, fl, &num));
	assert_int_equal(num, 1);
	assert_int_equal(fl[0].cookie, 2);

	r[0] = (struct ioasid_fault_response){ .cookie = 1, .code = IOASID_FAULT_RESP_SUCCESS };
	r[1] = (struct ioasid_fault_response){ .cookie = 9, .code = IOASID_FAULT_RESP_SUCCESS };
	num = 2;
	EXPECT_ERR(EINVAL, "cookie 9", ioasid_fault_respond(f->ctx, fq, r, &num));
	assert_int_equal(num, 1);
	r[0] = (struct ioasid_fault_response){ .cookie = 2, .code = 5 };
	num = 1;
	EXPECT_ERR(EINVAL, NULL, ioasid_fault_respond(f->ctx, fq, r, &num));
	r[0].code = IOASID_FAULT_RESP_INVALID;
	OK(ioasid_fault_respond(f->ctx, fq, r, &num));
	/* Cookie 1 is free again. */
	OK(ioasid_test_iopf(f->dev, 0, 9, IOASID_FAULT_PERM_READ, 0x4000));
	num = 4;
	OK(ioasid_fault_read(f->ctx, fq, fl, &num));
	assert_int_equal(fl[0].cookie, 1);

	OK(ioasid_dev_detach(f->dev));
	OK(ioasid_hwpt_destroy(f->ctx, hwpt));
	OK(ioasid_fault_queue_destroy(f->ctx, fq));
	EXPECT_ERR(ENOENT, NULL, ioasid_fault_queue_destroy(f->ctx, fq));
}

/* Dirty tracking: io_pagetable.c iommufd_check_iova_range(), the
 * bitmap layout, read-and-clear and NO_CLEAR; selftest.c test op. */
static void test_dirty_tracking(void **state)
{
	NFX;
	IOASID_OPTS(ioasid_hwpt_alloc_opts, plain_o);
	uint64_t base = 0x100000, bm[2] = { 0 }, mark[1], nr = 0;
	uint32_t plain = 0;

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, 64 * SZ_4K, base));
	mark[0] = 0x5; /* pages 0 and 2 */
	EXPECT_ERR(EINVAL, "not tracking",
		   ioasid_test_dirty(f->ctx, f->parent, base, 64 * SZ_4K, SZ_4K, mark, &nr));
	OK(ioasid_hwpt_set_dirty_tracking(f->ctx, f->parent, true));
	OK(ioasid_test_dirty(f->ctx, f->parent, base, 64 * SZ_4K, SZ_4K, mark, &nr));
	assert_int_equal(nr, 2);
	OK(ioasid_hwpt_get_dirty_bitmap(f->ctx, f->parent, base, 64 * SZ_4K, SZ_4K,
					IOASID_DIRTY_NO_CLEAR, bm));
	assert_int_equal(bm[0], 0x5);
	/* 8K granularity: pages 0 and 2 fall in bits 0 and 1. */
	bm[0] = 0;
	OK(ioasid_hwpt_get_dirty_bitmap(f->ctx, f->parent, base, 64 * SZ_4K, 2 * SZ_4K,
					0, bm));
	assert_int_equal(bm[0], 0x3);
	bm[0] = 0;
	OK(ioasid_hwpt_get_dirty_bitmap(f->ctx, f->parent, base, 64 * SZ_4K, SZ_4K, 0, bm));
	assert_int_equal(bm[0], 0);

	EXPECT_ERR(EINVAL, NULL,
		   ioasid_hwpt_get_dirty_bitmap(f->ctx, f->parent, base, 0, SZ_4K, 0, bm));
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_hwpt_get_dirty_bitmap(f->ctx, f->parent, base + 512, SZ_4K, SZ_4K, 0, bm));
	EXPECT_ERR(EOVERFLOW, NULL,
		   ioasid_hwpt_get_dirty_bitmap(f->ctx, f->parent, UINT64_MAX - 4095, 2 * SZ_4K,
						SZ_4K, 0, bm));
	EXPECT_ERR(EOPNOTSUPP, NULL,
		   ioasid_hwpt_get_dirty_bitmap(f->ctx, f->parent, base, SZ_4K, SZ_4K, 2, bm));
	EXPECT_ERR(ENOENT, NULL,
		   ioasid_hwpt_get_dirty_bitmap(f->ctx, f->ioas, base, SZ_4K, SZ_4K, 0, bm));
	OK(ioasid_hwpt_alloc(f->dev, f->ioas, &plain_o, &plain));
	EXPECT_ERR(EOPNOTSUPP, NULL, ioasid_hwpt_set_dirty_tracking(f->ctx, plain, true));
	EXPECT_ERR(EOPNOTSUPP, NULL,
		   ioasid_hwpt_get_dirty_bitmap(f->ctx, plain, base, SZ_4K, SZ_4K, 0, bm));

	/* Re-enabling after a disable clears the bits. */
	OK(ioasid_test_dirty(f->ctx, f->parent, base, SZ_4K, SZ_4K, mark, &nr));
	OK(ioasid_hwpt_set_dirty_tracking(f->ctx, f->parent, false));
	OK(ioasid_hwpt_set_dirty_tracking(f->ctx, f->parent, true));
	bm[0] = 0;
	OK(ioasid_hwpt_get_dirty_bitmap(f->ctx, f->parent, base, 64 * SZ_4K, SZ_4K, 0, bm));
	assert_int_equal(bm[0], 0);
}

/* The stage-1 walker hook: a nested HWPT translates through the walker
 * and then the parent's IOAS. */
static int identity_plus(void *arg, uint32_t type, const void *data, uint32_t len,
			 uint64_t iova, ioasid_s1_read_fn read, void *rd, uint64_t *gpa)
{
	uint64_t probe;

	(void)arg, (void)type, (void)data, (void)len;
	if (read(rd, 0x100000, &probe, sizeof(probe)))
		return -EFAULT;
	*gpa = iova + 0x100000;
	return 0;
}

static void test_nested_translate_hook(void **state)
{
	NFX;
	uint32_t nested = 0;
	uint64_t va = 0;

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, 16 * SZ_4K, 0x100000));
	OK(alloc_selftest(f, f->parent, &nested));
	assert_int_equal(ioasid_sim_hwpt_translate(f->ctx->be, nested, 0x2000, &va),
			 -EOPNOTSUPP);
	ioasid_sim_set_s1_walker(f->ctx->be, identity_plus, NULL);
	OK(ioasid_sim_hwpt_translate(f->ctx->be, nested, 0x2010, &va));
	assert_int_equal(va, (uintptr_t)f->buf.p + 0x2010);
	OK(ioasid_sim_hwpt_translate(f->ctx->be, f->parent, 0x100010, &va));
	assert_int_equal(va, (uintptr_t)f->buf.p + 0x10);
	assert_int_equal(ioasid_sim_hwpt_translate(f->ctx->be, nested, 0x20000, &va),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		N(test_nested_alloc_attach),
		N(test_nested_alloc_errors),
		N(test_nested_invalidate),
		N(test_viommu_objects),
		N(test_vdevice_dies_with_device),
		N(test_fault_queue),
		N(test_dirty_tracking),
		N(test_nested_translate_hook),
	};
	return cmocka_run_group_tests_name("nested", tests, NULL, NULL);
}
