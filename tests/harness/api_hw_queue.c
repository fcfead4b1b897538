// SPDX-License-Identifier: MIT
/*
 * vIOMMU HW queues and the iommufd's MMIO regions through the public API,
 * on the simulator and on the kernel's mock (tests/harness/harness.h;
 * viommu.c iommufd_hw_queue_alloc_ioctl(), main.c iommufd_fops_mmap(),
 * the mock of selftest.c, Linux 7.3): a selftest vIOMMU with driver data
 * loops in_data back and shows it in the first word of its MMIO region;
 * the region maps only at its exact offset and length and holds the
 * vIOMMU; HW queues take index 0 then 1, each index once, are destroyed
 * in the reverse order, need their guest memory mapped and hold the
 * vIOMMU (and the 7.3 mock's slot quirk, see hw_queues).  The kernel also
 * refuses to unmap a queue's IOVA (EBUSY, its pages are pinned); the
 * simulator does not pin, so that is not checked here.
 */
#include "harness.h"

#include <ioasid/testing.h>

struct nest {
	uint32_t ioas, parent, viommu;
	uint64_t base;
};

static void nest_up(struct hx *h, struct nest *n, void *data, uint32_t len)
{
	IOASID_OPTS(ioasid_hwpt_alloc_opts, np, .flags = IOASID_HWPT_ALLOC_NEST_PARENT);
	IOASID_OPTS(ioasid_viommu_alloc_opts, vo, .data = data, .data_len = len);

	HX_OK(ioasid_ioas_alloc(h->ctx, &n->ioas));
	n->base = hx_dev_base(h, 0, HX_BUF_SIZE);
	hx_map_at(h, n->ioas, h->buf, HX_BUF_SIZE, n->base);
	HX_OK(ioasid_hwpt_alloc(h->dev[0], n->ioas, &np, &n->parent));
	HX_OK(ioasid_viommu_alloc_data(h->dev[0], n->parent,
				       IOASID_VIOMMU_TYPE_SELFTEST, &vo, &n->viommu));
}

static void nest_down(struct hx *h, struct nest *n)
{
	HX_OK(ioasid_viommu_destroy(h->ctx, n->viommu));
	HX_OK(ioasid_hwpt_destroy(h->ctx, n->parent));
	HX_OK(ioasid_ioas_destroy(h->ctx, n->ioas));
}

/* The driver data and the MMIO region of a mock vIOMMU. */
static void mmio_region(struct hx *h)
{
	struct ioasid_viommu_selftest d = { .in_data = 0xbeef };
	IOASID_OPTS(ioasid_viommu_alloc_opts, bad, .data = &d, .data_len = 0);
	uint64_t off, len;
	struct nest n;
	uint32_t *page;
	void *p;

	HX_ERR(EINVAL, "data_len", ioasid_viommu_alloc_data(h->dev[0], 1,
							     IOASID_VIOMMU_TYPE_SELFTEST,
							     &bad, &n.viommu));
	nest_up(h, &n, &d, sizeof(d));
	HX_EQ(d.out_data, d.in_data);
	off = d.out_mmap_offset;
	len = d.out_mmap_length;
	HX_EQ(len, 2 * h->page);
	/* Offset and length exactly: ENXIO otherwise. */
	HX_ERR(ENXIO, NULL, ioasid_ctx_mmap(h->ctx, off + h->page, len, &p));
	HX_ERR(ENXIO, NULL, ioasid_ctx_mmap(h->ctx, off + len, len, &p));
	HX_ERR(ENXIO, NULL, ioasid_ctx_mmap(h->ctx, off, len / 2, &p));
	HX_ERR(ENXIO, NULL, ioasid_ctx_mmap(h->ctx, off, len * 2, &p));
	HX_ERR(EINVAL, "length", ioasid_ctx_mmap(h->ctx, off, 0, &p));
	HX_OK(ioasid_ctx_mmap(h->ctx, off, len, &p));
	page = p;
	HX_EQ(page[0], d.in_data);
	/* The mapping holds the vIOMMU. */
	HX_ERR(EBUSY, NULL, ioasid_viommu_destroy(h->ctx, n.viommu));
	HX_OK(ioasid_ctx_munmap(h->ctx, p, len));
	nest_down(h, &n);
	/* Its region went with it. */
	HX_ERR(ENXIO, NULL, ioasid_ctx_mmap(h->ctx, off, len, &p));
	/* Without data the vIOMMU has no region to give. */
	nest_up(h, &n, NULL, 0);
	nest_down(h, &n);
	HX_EXPECT_EMPTY(h);
}

static int queue(struct hx *h, const struct nest *n, uint32_t type,
		 uint32_t index, uint64_t iova, uint64_t length, uint32_t *id)
{
	IOASID_OPTS(ioasid_hw_queue_opts, o, .index = index);

	return ioasid_hw_queue_alloc(h->ctx, n->viommu, type, iova, length, &o, id);
}

static void hw_queues(struct hx *h)
{
	const uint32_t T = IOASID_HW_QUEUE_TYPE_SELFTEST;
	IOASID_OPTS(ioasid_hw_queue_opts, flags, .flags = 1);
	uint32_t q0 = 0, q1 = 0, x;
	struct nest n;

	nest_up(h, &n, NULL, 0);
	/* What the handler checks before it looks the vIOMMU up. */
	HX_ERR(EOPNOTSUPP, "flags",
	       ioasid_hw_queue_alloc(h->ctx, n.viommu, T, n.base, h->page, &flags, &x));
	HX_ERR(EOPNOTSUPP, "type 0", queue(h, &n, 0, 0, n.base, h->page, &x));
	HX_ERR(EINVAL, "length", queue(h, &n, T, 0, n.base, 0, &x));
	HX_ERR(EOVERFLOW, "wraps", queue(h, &n, T, 0, UINT64_MAX - 10, h->page, &x));
	/* Then the vIOMMU, the type, the memory, the mock's rules. */
	HX_ERR(ENOENT, NULL,
	       ioasid_hw_queue_alloc(h->ctx, 4242, T, n.base, h->page, NULL, &x));
	HX_ERR(EOPNOTSUPP, NULL, queue(h, &n, 0x1234, 0, n.base, h->page, &x));
	HX_ERR(ENOENT, NULL, queue(h, &n, T, 0, n.base + HX_BUF_SIZE, h->page, &x));
	HX_ERR(EINVAL, NULL, queue(h, &n, T, IOASID_TEST_HW_QUEUE_MAX, n.base,
				   h->page, &x));
	HX_ERR(EIO, NULL, queue(h, &n, T, 1, n.base, h->page, &x));
	HX_OK(queue(h, &n, T, 0, n.base, h->page, &q0));
	HX_ERR(EEXIST, NULL, queue(h, &n, T, 0, n.base + h->page, h->page, &x));
	HX_OK(queue(h, &n, T, 1, n.base + h->page, h->page, &q1));
	/* Reverse order; the queues hold the vIOMMU. */
	HX_ERR(EBUSY, NULL, ioasid_hw_queue_destroy(h->ctx, q0));
	HX_ERR(EBUSY, NULL, ioasid_viommu_destroy(h->ctx, n.viommu));
	HX_OK(ioasid_hw_queue_destroy(h->ctx, q1));
	HX_ERR(ENOENT, NULL, ioasid_hw_queue_destroy(h->ctx, q1));
	HX_OK(ioasid_hw_queue_destroy(h->ctx, q0));
	/* The mock of 7.3 never records a queue's index, so destroying
	 * either queue empties slot 0 (mock_hw_queue_destroy()): slot 1
	 * stays taken, slot 0 is free again. */
	HX_ERR(EEXIST, NULL, queue(h, &n, T, 1, n.base, h->page, &x));
	HX_OK(queue(h, &n, T, 0, n.base, h->page, &q0));
	HX_OK(ioasid_hw_queue_destroy(h->ctx, q0));
	nest_down(h, &n);
	HX_EXPECT_EMPTY(h);
}

/* A queue left behind goes with the context. */
static void close_with_queue(struct hx *h)
{
	struct ioasid_viommu_selftest d = { .in_data = 7 };
	uint32_t q;
	struct nest n;
	void *p;

	nest_up(h, &n, &d, sizeof(d));
	HX_OK(queue(h, &n, IOASID_HW_QUEUE_TYPE_SELFTEST, 0, n.base, h->page, &q));
	HX_OK(ioasid_ctx_mmap(h->ctx, d.out_mmap_offset, d.out_mmap_length, &p));
	HX_OK(ioasid_ctx_munmap(h->ctx, p, d.out_mmap_length));
	hx_reopen(h);
}

static const struct hx_test tests[] = {
	HX_T(mmio_region, .num_devs = 1),
	HX_T(hw_queues, .num_devs = 1),
	HX_T(close_with_queue, .num_devs = 1),
};

HX_MAIN(tests)
