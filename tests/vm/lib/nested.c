// SPDX-License-Identifier: MIT
/*
 * Nested HWPTs, cache invalidation, vIOMMU/vDEVICE/vEVENTQ objects, fault
 * queues and dirty tracking through the library's kernel backend on the
 * kernel's mock devices (CONFIG_IOMMUFD_TEST): the errnos, handled-entry
 * counts, event sequences, fault cookies and bitmaps the simulator gives
 * (tests/unit/test_nested.c), checked against the real kernel.
 *
 * Each scenario runs in its own context and ends by proving no kernel
 * object leaked: every id from 1 to past the highest one seen answers
 * IOMMU_DESTROY with ENOENT, and the lowest free id is 1 again.
 */
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <poll.h>

#include <linux/iommufd.h>

#include <ioasid/testing.h>

#include "core.h"
#include "kernel.h"
#include "vmtest.h"

#define APERTURE_START (1ull << 24) /* the mock domain's aperture */
#define BUF_SIZE (64 * 4096ull)
#define MOCK_PAGE 2048ull /* the mock IOMMU's page (selftest.c) */

static uint8_t *buf; /* BUF_SIZE, page aligned */
static uint32_t max_id;
/* Set: run on the simulator with this topology (on the host, to hold
 * the simulator to what the kernel answered here); no leak probe. */
static const char *sim_topology;

static uint32_t seen(uint32_t id)
{
	if (id > max_id)
		max_id = id;
	return id;
}

static struct ioasid_ctx *scenario_start(const char *name)
{
	vt_say("scenario: %s", name);
	max_id = 0;
	if (sim_topology) {
		IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM,
			    .topology = sim_topology, .config = "");
		struct ioasid_ctx *ctx = NULL;

		VT_OK(ioasid_ctx_open(&opts, &ctx));
		return ctx;
	}
	return vt_kernel_ctx();
}

/* Every object gone (the queue fds too, or their objects would stay
 * busy); closes @ctx.  @tombstones: ids the kernel keeps unusable until
 * the iommufd closes (a vDEVICE whose device went first). */
static void scenario_end(struct ioasid_ctx *ctx, const char *name,
			 uint32_t tombstone)
{
	int fd = ioasid_ctx_fd(ctx);
	uint32_t id, probe;

	if (sim_topology) {
		ioasid_ctx_close(ctx);
		return;
	}
	VT_OK(ioasid_ioas_alloc(ctx, &probe));
	seen(probe);
	VT_OK(ioasid_ioas_destroy(ctx, probe));
	for (id = 1; id <= max_id + 8; id++) {
		struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
		int rc = ioctl(fd, IOMMU_DESTROY, &cmd);

		VT_CHECK(rc < 0 && errno == ENOENT,
			 "%s: object %u still existed after the scenario (IOMMU_DESTROY: %s)",
			 name, id, rc ? strerror(errno) : "destroyed it");
	}
	VT_CHECK(probe == (tombstone == 1 ? 2u : 1u),
		 "%s: the lowest free id is %u", name, probe);
	vt_say("  %s: ids 1-%u all free (lowest free id %u)", name, max_id + 8,
	       probe);
	ioasid_ctx_close(ctx);
}

static struct ioasid_dev *mock_open(struct ioasid_ctx *ctx, const char *name,
				    uint32_t *dev_id)
{
	struct ioasid_dev *dev;

	VT_OK(ioasid_dev_open(ctx, name, &dev));
	VT_OK(ioasid_dev_bind(dev, dev_id));
	seen(*dev_id);
	if (!sim_topology)
		seen(ioasid_kernel_mock_stdev_id(dev->bdev));
	return dev;
}

static uint32_t ioas_with_buf(struct ioasid_ctx *ctx)
{
	uint32_t ioas;
	uint64_t iova = APERTURE_START;

	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	seen(ioas);
	VT_OK(ioasid_ioas_map(ctx, ioas, buf, BUF_SIZE, &iova, NULL));
	VT_CHECK(iova == APERTURE_START, "mapped at 0x%llx",
		 (unsigned long long)iova);
	return ioas;
}

static uint32_t hwpt_flags(struct ioasid_dev *dev, uint32_t pt, uint32_t flags)
{
	IOASID_OPTS(ioasid_hwpt_alloc_opts, o, .flags = flags);
	uint32_t id;

	VT_OK(ioasid_hwpt_alloc(dev, pt, &o, &id));
	return seen(id);
}

static const struct ioasid_hwpt_selftest selftest_data = {
	.iotlb = IOASID_TEST_IOTLB_DEFAULT,
};

static int nested_alloc(struct ioasid_dev *dev, uint32_t pt, uint32_t flags,
			uint32_t fault_id, uint32_t type, uint32_t len,
			uint32_t *out)
{
	IOASID_OPTS(ioasid_hwpt_nested, n, .flags = flags, .fault_id = fault_id,
		    .data_type = type, .data = len ? &selftest_data : NULL,
		    .data_len = len);

	return ioasid_hwpt_alloc_nested(dev, pt, &n, out);
}

static void expect_iotlb(struct ioasid_ctx *ctx, uint32_t hwpt,
			 const uint32_t want[IOASID_TEST_IOTLB_NUM])
{
	for (uint32_t i = 0; i < IOASID_TEST_IOTLB_NUM; i++) {
		int rc = ioasid_test_check_iotlb(ctx, hwpt, i, want[i]);

		VT_CHECK(rc == 0, "hwpt %u iotlb[%u] is not 0x%x: %s", hwpt, i,
			 want[i], ioasid_errmsg());
	}
}

/* 1. Nest parent, selftest nested HWPT, attach/replace/detach, errors. */
static void scenario_nested(void)
{
	struct ioasid_ctx *ctx = scenario_start("nested");
	const uint32_t dflt[4] = { 0xbadbeef, 0xbadbeef, 0xbadbeef, 0xbadbeef };
	uint32_t dev_id, ioas, plain, parent, nested, used = 0, failed_id = 0;
	struct ioasid_dev *d = mock_open(ctx, "mock0", &dev_id);

	ioas = ioas_with_buf(ctx);
	plain = hwpt_flags(d, ioas, 0);
	parent = hwpt_flags(d, ioas, IOASID_HWPT_ALLOC_NEST_PARENT);
	VT_OK(nested_alloc(d, parent, 0, 0, IOASID_HWPT_DATA_SELFTEST,
			   sizeof(selftest_data), &nested));
	seen(nested);
	vt_say("  parent %u, nested %u, plain %u", parent, nested, plain);
	expect_iotlb(ctx, nested, dflt);
	VT_ERR(EINVAL, ioasid_test_check_iotlb(ctx, nested, 0, 0));
	VT_ERR(EINVAL, ioasid_test_check_iotlb(ctx, nested, 4, 0xbadbeef));

	VT_OK(ioasid_dev_attach(d, nested, &used));
	VT_CHECK(used == nested, "attached to %u", used);
	VT_ERR(EBUSY, ioasid_hwpt_destroy(ctx, parent));
	VT_OK(ioasid_dev_replace(d, parent, &used));
	VT_CHECK(used == parent, "replaced onto %u", used);
	VT_OK(ioasid_dev_replace(d, nested, &used));
	VT_CHECK(used == nested, "replaced back onto %u", used);
	VT_OK(ioasid_dev_detach(d));
	VT_ERR(EBUSY, ioasid_hwpt_destroy(ctx, parent)); /* the child holds it */

	/* Errors, each leaving no object behind. */
	VT_ERR(EINVAL, nested_alloc(d, parent, 0, 0, IOASID_HWPT_DATA_SELFTEST,
				    2, &failed_id));
	VT_ERR(EOPNOTSUPP, nested_alloc(d, parent, IOASID_HWPT_ALLOC_DIRTY_TRACKING,
					0, IOASID_HWPT_DATA_SELFTEST,
					sizeof(selftest_data), &failed_id));
	VT_ERR(EOPNOTSUPP, nested_alloc(d, parent, 0, 0, IOASID_HWPT_DATA_NONE,
					0, &failed_id));
	VT_ERR(EINVAL, nested_alloc(d, parent, 0, 0, IOASID_HWPT_DATA_SELFTEST,
				    0, &failed_id));
	VT_ERR(EINVAL, nested_alloc(d, plain, 0, 0, IOASID_HWPT_DATA_SELFTEST,
				    sizeof(selftest_data), &failed_id));
	VT_ERR(ENOENT, nested_alloc(d, parent, IOASID_HWPT_ALLOC_FAULT_ID_VALID,
				    999, IOASID_HWPT_DATA_SELFTEST,
				    sizeof(selftest_data), &failed_id));

	VT_OK(ioasid_hwpt_destroy(ctx, nested));
	VT_ERR(ENOENT, ioasid_hwpt_destroy(ctx, nested));
	/* The failures took no id: the next object gets the freed one. */
	VT_OK(nested_alloc(d, parent, 0, 0, IOASID_HWPT_DATA_SELFTEST,
			   sizeof(selftest_data), &failed_id));
	VT_CHECK(failed_id == nested, "new nested hwpt %u, freed id was %u",
		 failed_id, nested);
	VT_OK(ioasid_hwpt_destroy(ctx, failed_id));
	VT_OK(ioasid_hwpt_destroy(ctx, parent));
	VT_OK(ioasid_hwpt_destroy(ctx, plain));
	ioasid_dev_close(d);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	scenario_end(ctx, "nested", 0);
}

/* 2. Invalidation of a selftest nested HWPT. */
static void scenario_invalidate(void)
{
	struct ioasid_ctx *ctx = scenario_start("invalidate");
	const uint32_t dflt[4] = { 0xbadbeef, 0xbadbeef, 0xbadbeef, 0xbadbeef };
	const uint32_t after[4] = { 0, 0, 0xbadbeef, 0xbadbeef };
	const uint32_t zero[4] = { 0 };
	struct ioasid_invalidate_selftest e[3] = {
		{ .iotlb_id = 1 }, { .iotlb_id = 2 }, { .iotlb_id = 7 },
	};
	uint32_t dev_id, ioas, parent, nested, num;
	struct ioasid_dev *d = mock_open(ctx, "mock0", &dev_id);

	ioas = ioas_with_buf(ctx);
	parent = hwpt_flags(d, ioas, IOASID_HWPT_ALLOC_NEST_PARENT);
	VT_OK(nested_alloc(d, parent, 0, 0, IOASID_HWPT_DATA_SELFTEST,
			   sizeof(selftest_data), &nested));
	seen(nested);

	/* Entries 1 and 2 handled, entry 7 refused: 2 handled. */
	num = 3;
	VT_ERR(EINVAL, ioasid_hwpt_invalidate(ctx, nested,
					      IOASID_INVALIDATE_DATA_SELFTEST,
					      e, sizeof(e[0]), &num));
	VT_CHECK(num == 2, "entry_num %u after a stop at entry 2", num);
	VT_CHECK(strstr(ioasid_errmsg(), "stopped at entry 2 of 3"),
		 "message \"%s\"", ioasid_errmsg());
	vt_say("  stopped early: \"%s\"", ioasid_errmsg());
	{
		const uint32_t a0[4] = { 0xbadbeef, 0, 0, 0xbadbeef };

		expect_iotlb(ctx, nested, a0);
	}
	(void)after;

	/* Unknown flags: EOPNOTSUPP, nothing handled. */
	e[0] = (struct ioasid_invalidate_selftest){ .flags = 0x80, .iotlb_id = 0 };
	num = 1;
	VT_ERR(EOPNOTSUPP, ioasid_hwpt_invalidate(ctx, nested,
						  IOASID_INVALIDATE_DATA_SELFTEST,
						  e, sizeof(e[0]), &num));
	VT_CHECK(num == 0, "entry_num %u", num);

	/* The wrong data type, or the parent's id: EINVAL. */
	e[0] = (struct ioasid_invalidate_selftest){ .iotlb_id = 0 };
	num = 1;
	VT_ERR(EINVAL, ioasid_hwpt_invalidate(ctx, nested,
					      IOASID_INVALIDATE_DATA_VTD_S1, e,
					      sizeof(e[0]), &num));
	VT_CHECK(num == 0, "entry_num %u", num);
	num = 1;
	VT_ERR(EINVAL, ioasid_hwpt_invalidate(ctx, parent,
					      IOASID_INVALIDATE_DATA_SELFTEST,
					      e, sizeof(e[0]), &num));
	VT_CHECK(num == 0, "entry_num %u", num);

	/* An empty array checks the type only. */
	num = 0;
	VT_OK(ioasid_hwpt_invalidate(ctx, nested, IOASID_INVALIDATE_DATA_SELFTEST,
				     NULL, 0, &num));

	/* INVALIDATE_ALL zeroes all four. */
	e[0] = (struct ioasid_invalidate_selftest){
		.flags = IOASID_TEST_INVALIDATE_ALL, .iotlb_id = 0,
	};
	num = 1;
	VT_OK(ioasid_hwpt_invalidate(ctx, nested, IOASID_INVALIDATE_DATA_SELFTEST,
				     e, sizeof(e[0]), &num));
	VT_CHECK(num == 1, "entry_num %u", num);
	expect_iotlb(ctx, nested, zero);
	(void)dflt;

	VT_OK(ioasid_hwpt_destroy(ctx, nested));
	VT_OK(ioasid_hwpt_destroy(ctx, parent));
	ioasid_dev_close(d);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	scenario_end(ctx, "invalidate", 0);
}

/* 3. vIOMMU, vDEVICE, vEVENTQ. */
static void scenario_viommu(void)
{
	struct ioasid_ctx *ctx = scenario_start("viommu");
	uint32_t id0, id1, ioas, parent, plain, vi, vd0, vd1, q, nested, num, x;
	struct ioasid_dev *d0 = mock_open(ctx, "mock0", &id0);
	struct ioasid_dev *d1 = mock_open(ctx, "mock1", &id1);
	struct ioasid_vevent ev[4];
	uint32_t ventry[3]; /* flags, vdev_id, cache_id */
	struct pollfd pfd;
	int qfd = -1;

	ioas = ioas_with_buf(ctx);
	parent = hwpt_flags(d0, ioas, IOASID_HWPT_ALLOC_NEST_PARENT);
	plain = hwpt_flags(d0, ioas, 0);

	VT_ERR(EOPNOTSUPP, ioasid_viommu_alloc(d0, parent, 0, &x));
	VT_ERR(EINVAL, ioasid_viommu_alloc(d0, plain, IOASID_VIOMMU_TYPE_SELFTEST,
					       &x));
	VT_OK(ioasid_viommu_alloc(d0, parent, IOASID_VIOMMU_TYPE_SELFTEST, &vi));
	seen(vi);

	VT_OK(ioasid_vdevice_alloc(d0, vi, 0x10, &vd0));
	seen(vd0);
	VT_ERR(EEXIST, ioasid_vdevice_alloc(d0, vi, 0x11, &x));
	VT_ERR(EEXIST, ioasid_vdevice_alloc(d1, vi, 0x10, &x));
	VT_OK(ioasid_vdevice_alloc(d1, vi, 0x20, &vd1));
	seen(vd1);

	VT_ERR(EINVAL, ioasid_veventq_alloc(ctx, vi, IOASID_VEVENTQ_TYPE_SELFTEST,
					    0, &x, NULL));
	VT_OK(ioasid_veventq_alloc(ctx, vi, IOASID_VEVENTQ_TYPE_SELFTEST, 2, &q,
				   &qfd));
	seen(q);
	VT_CHECK(qfd >= 0, "queue fd %d", qfd);
	VT_ERR(EEXIST, ioasid_veventq_alloc(ctx, vi, IOASID_VEVENTQ_TYPE_SELFTEST,
					    2, &x, NULL));

	/* The mock reports for a device attached to a nested HWPT of the
	 * vIOMMU (selftest.c mock_domain_nop_attach() records the vIOMMU
	 * and the virt id there). */
	VT_ERR(ENOENT, ioasid_test_vevent(d0)); /* not on the vIOMMU yet */
	VT_OK(nested_alloc(d0, vi, 0, 0, IOASID_HWPT_DATA_SELFTEST,
			   sizeof(selftest_data), &nested));
	seen(nested);
	VT_OK(ioasid_dev_attach(d0, nested, NULL));
	VT_ERR(EBUSY, ioasid_viommu_destroy(ctx, vi));

	num = 4;
	VT_OK(ioasid_veventq_read(ctx, q, ev, &num));
	VT_CHECK(num == 0, "%u events before any was raised", num);
	for (int i = 0; i < 4; i++)
		VT_OK(ioasid_test_vevent(d0));
	pfd = (struct pollfd){ .fd = qfd, .events = POLLIN };
	VT_CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN),
		 "queue fd not readable (revents 0x%x)", pfd.revents);
	num = 4;
	VT_OK(ioasid_veventq_read(ctx, q, ev, &num));
	vt_say("  4 events into depth 2: read %u records", num);
	for (uint32_t i = 0; i < num; i++)
		vt_say("    flags 0x%x sequence %u data_len %u", ev[i].flags,
		       ev[i].sequence, ev[i].data_len);
	VT_CHECK(num == 3, "%u records", num);
	for (uint32_t i = 0; i < 2; i++) {
		uint32_t virt;

		memcpy(&virt, ev[i].data, 4);
		VT_CHECK(ev[i].flags == 0 && ev[i].sequence == i &&
				 ev[i].data_len == 4 && virt == 0x10,
			 "event %u: flags 0x%x sequence %u len %u virt 0x%x", i,
			 ev[i].flags, ev[i].sequence, ev[i].data_len, virt);
	}
	VT_CHECK(ev[2].flags == IOASID_VEVENT_LOST_EVENTS && ev[2].sequence == 3 &&
			 ev[2].data_len == 0,
		 "lost record: flags 0x%x sequence %u len %u", ev[2].flags,
		 ev[2].sequence, ev[2].data_len);
	VT_OK(ioasid_test_vevent(d0));
	num = 4;
	VT_OK(ioasid_veventq_read(ctx, q, ev, &num));
	VT_CHECK(num == 1 && ev[0].flags == 0 && ev[0].sequence == 4,
		 "%u records, first flags 0x%x sequence %u", num, ev[0].flags,
		 ev[0].sequence);

	/* vIOMMU invalidation: an unknown vdev stops there. */
	{
		uint32_t arr[2][3] = { { 0, 0x10, 0 }, { 0, 0x99, 0 } };

		num = 2;
		VT_ERR(EINVAL, ioasid_hwpt_invalidate(ctx, vi,
						      IOASID_INVALIDATE_DATA_SELFTEST,
						      arr, sizeof(arr[0]), &num));
		VT_CHECK(num == 1, "viommu invalidation handled %u", num);
		memcpy(ventry, arr[0], sizeof(ventry));
		num = 1;
		VT_OK(ioasid_hwpt_invalidate(ctx, vi, IOASID_INVALIDATE_DATA_SELFTEST,
					     ventry, sizeof(ventry), &num));
		VT_CHECK(num == 1, "handled %u", num);
	}

	/* Typed destroy: another type's id is ENOENT. */
	VT_ERR(ENOENT, ioasid_vdevice_destroy(ctx, q));
	VT_ERR(ENOENT, ioasid_veventq_destroy(ctx, vd0));
	VT_OK(ioasid_dev_detach(d0));
	VT_OK(ioasid_hwpt_destroy(ctx, nested));
	VT_OK(ioasid_veventq_destroy(ctx, q));
	VT_ERR(ENOENT, ioasid_veventq_destroy(ctx, q));
	VT_OK(ioasid_vdevice_destroy(ctx, vd0));
	/* Closing d1 destroys its vDEVICE; its id stays unusable until the
	 * iommufd closes (iommufd_device_remove_vdev() tombstones it). */
	ioasid_dev_close(d1);
	VT_ERR(ENOENT, ioasid_vdevice_destroy(ctx, vd1));
	VT_OK(ioasid_viommu_destroy(ctx, vi));
	VT_OK(ioasid_hwpt_destroy(ctx, plain));
	VT_OK(ioasid_hwpt_destroy(ctx, parent));
	ioasid_dev_close(d0);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	vt_say("  vdevice %u of the closed device is a tombstone", vd1);
	scenario_end(ctx, "viommu", vd1);
}

/* 4. I/O page faults through a fault queue. */
static void scenario_faults(void)
{
	struct ioasid_ctx *ctx = scenario_start("faults");
	uint32_t dev_id, ioas, parent, fq, hwpt, num;
	struct ioasid_dev *d = mock_open(ctx, "mock0", &dev_id);
	struct ioasid_fault f[4];
	struct ioasid_fault_response r[2];
	int ffd = -1;

	ioas = ioas_with_buf(ctx);
	parent = hwpt_flags(d, ioas, IOASID_HWPT_ALLOC_NEST_PARENT);
	VT_OK(ioasid_fault_queue_alloc(ctx, &fq, &ffd));
	seen(fq);
	VT_CHECK(ffd >= 0, "fault fd %d", ffd);
	VT_OK(nested_alloc(d, parent, IOASID_HWPT_ALLOC_FAULT_ID_VALID, fq,
			   IOASID_HWPT_DATA_SELFTEST, sizeof(selftest_data), &hwpt));
	seen(hwpt);
	VT_OK(ioasid_dev_attach(d, hwpt, NULL));

	VT_OK(ioasid_test_iopf(d, 0, 0x5, IOASID_FAULT_PERM_READ, 0x1000000));
	VT_OK(ioasid_test_iopf(d, 0, 0x6, IOASID_FAULT_PERM_WRITE, 0x1002000));
	num = 0;
	VT_ERR(EINVAL, ioasid_fault_read(ctx, fq, f, &num));
	num = 4;
	VT_OK(ioasid_fault_read(ctx, fq, f, &num));
	VT_CHECK(num == 2, "%u faults", num);
	for (uint32_t i = 0; i < 2; i++) {
		vt_say("  fault %u: flags 0x%x dev %u pasid %u grpid %u perm 0x%x addr 0x%llx cookie %u",
		       i, f[i].flags, f[i].dev_id, f[i].pasid, f[i].grpid,
		       f[i].perm, (unsigned long long)f[i].addr, f[i].cookie);
		VT_CHECK(f[i].cookie == i + 1 && f[i].flags == IOASID_FAULT_LAST_PAGE &&
				 f[i].dev_id == dev_id && f[i].grpid == 0x5 + i &&
				 f[i].addr == 0x1000000 + 0x2000ull * i,
			 "fault %u differs", i);
	}
	VT_CHECK(f[0].perm == IOASID_FAULT_PERM_READ &&
			 f[1].perm == IOASID_FAULT_PERM_WRITE,
		 "perms 0x%x 0x%x", f[0].perm, f[1].perm);

	/* Cookie 1 answered, then an unknown one: the first is taken. */
	r[0] = (struct ioasid_fault_response){ .cookie = 1 };
	r[1] = (struct ioasid_fault_response){ .cookie = 77 };
	num = 2;
	VT_ERR(EINVAL, ioasid_fault_respond(ctx, fq, r, &num));
	VT_CHECK(num == 1, "%u responses taken", num);
	r[0] = (struct ioasid_fault_response){ .cookie = 2, .code = 9 };
	num = 1;
	VT_ERR(EINVAL, ioasid_fault_respond(ctx, fq, r, &num));
	VT_CHECK(num == 0, "%u responses taken", num);
	/* The freed cookie 1 is reused. */
	VT_OK(ioasid_test_iopf(d, 0, 0x7, IOASID_FAULT_PERM_READ, 0x1004000));
	num = 4;
	VT_OK(ioasid_fault_read(ctx, fq, f, &num));
	VT_CHECK(num == 1 && f[0].cookie == 1, "%u faults, cookie %u", num,
		 f[0].cookie);
	r[0] = (struct ioasid_fault_response){ .cookie = 1 };
	r[1] = (struct ioasid_fault_response){ .cookie = 2,
					       .code = IOASID_FAULT_RESP_INVALID };
	num = 2;
	VT_OK(ioasid_fault_respond(ctx, fq, r, &num));
	VT_CHECK(num == 2, "%u responses taken", num);

	VT_ERR(EBUSY, ioasid_fault_queue_destroy(ctx, fq));
	VT_OK(ioasid_dev_detach(d));
	VT_OK(ioasid_hwpt_destroy(ctx, hwpt));
	VT_OK(ioasid_fault_queue_destroy(ctx, fq));
	VT_ERR(ENOENT, ioasid_fault_queue_destroy(ctx, fq));
	VT_OK(ioasid_hwpt_destroy(ctx, parent));
	ioasid_dev_close(d);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	scenario_end(ctx, "faults", 0);
}

/* 5. Dirty tracking on a DIRTY_TRACKING HWPT. */
static void scenario_dirty(void)
{
	struct ioasid_ctx *ctx = scenario_start("dirty");
	uint32_t dev_id, ioas, hwpt, plain;
	struct ioasid_dev *d = mock_open(ctx, "mock0", &dev_id);
	uint64_t mark = 0x5, bm[4], nr = 0;
	const uint64_t iova = APERTURE_START;

	/* One mapping per 4 KiB host page: the kernel maps a physically
	 * contiguous run with the largest IOPTE that fits, so one mapping
	 * of the whole buffer would give IOPTEs of 4 KiB or more depending
	 * on where the pages landed; separate areas pin each IOPTE at
	 * 4 KiB (two mock pages), whatever the physical layout. */
	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	seen(ioas);
	for (uint64_t off = 0; off < 8 * MOCK_PAGE; off += 2 * MOCK_PAGE) {
		uint64_t at = iova + off;

		VT_OK(ioasid_ioas_map(ctx, ioas, buf + off, 2 * MOCK_PAGE, &at,
				      NULL));
		VT_CHECK(at == iova + off, "mapped at 0x%llx",
			 (unsigned long long)at);
	}
	hwpt = hwpt_flags(d, ioas, IOASID_HWPT_ALLOC_DIRTY_TRACKING);
	plain = hwpt_flags(d, ioas, 0);
	VT_OK(ioasid_dev_attach(d, hwpt, NULL));

	VT_ERR(EINVAL, ioasid_test_dirty(ctx, hwpt, iova, 8 * MOCK_PAGE,
					 MOCK_PAGE, &mark, &nr));
	VT_OK(ioasid_hwpt_set_dirty_tracking(ctx, hwpt, true));
	/* Bits 0 and 2 of a 2 KiB (mock page) bitmap: the mock marks the
	 * 4 KiB IOPTEs holding those addresses (the simulator's 4 KiB
	 * granule), so the 2 KiB bitmap reads back both halves of each. */
	VT_OK(ioasid_test_dirty(ctx, hwpt, iova, 8 * MOCK_PAGE, MOCK_PAGE, &mark,
				&nr));
	VT_CHECK(nr == 2, "nr_dirty %llu", (unsigned long long)nr);
	memset(bm, 0, sizeof(bm));
	VT_OK(ioasid_hwpt_get_dirty_bitmap(ctx, hwpt, iova, 8 * MOCK_PAGE,
					   MOCK_PAGE, IOASID_DIRTY_NO_CLEAR, bm));
	VT_CHECK(bm[0] == 0xf, "NO_CLEAR bitmap at 2 KiB: 0x%llx",
		 (unsigned long long)bm[0]);
	/* At 4 KiB: bits 0 and 1, cleared by this read. */
	memset(bm, 0, sizeof(bm));
	VT_OK(ioasid_hwpt_get_dirty_bitmap(ctx, hwpt, iova, 8 * MOCK_PAGE,
					   2 * MOCK_PAGE, 0, bm));
	VT_CHECK(bm[0] == 0x3, "bitmap at 4 KiB: 0x%llx",
		 (unsigned long long)bm[0]);
	/* Bits 0 and 2 at 4 KiB stay 0x5 at 4 KiB. */
	memset(bm, 0, sizeof(bm));
	VT_OK(ioasid_test_dirty(ctx, hwpt, iova, 8 * MOCK_PAGE, 2 * MOCK_PAGE,
				&mark, &nr));
	VT_CHECK(nr == 2, "nr_dirty %llu", (unsigned long long)nr);
	VT_OK(ioasid_hwpt_get_dirty_bitmap(ctx, hwpt, iova, 8 * MOCK_PAGE,
					   2 * MOCK_PAGE, 0, bm));
	VT_CHECK(bm[0] == 0x5, "bitmap at 4 KiB after marking 0x5 at 4 KiB: 0x%llx",
		 (unsigned long long)bm[0]);
	vt_say("  marked 0x5 at 2 KiB: 0xf at 2 KiB, 0x3 at 4 KiB; marked 0x5 at 4 KiB: 0x5");
	memset(bm, 0, sizeof(bm));
	VT_OK(ioasid_hwpt_get_dirty_bitmap(ctx, hwpt, iova, 8 * MOCK_PAGE,
					   MOCK_PAGE, 0, bm));
	VT_CHECK(bm[0] == 0, "after a clearing read: 0x%llx",
		 (unsigned long long)bm[0]);

	VT_ERR(EINVAL, ioasid_hwpt_get_dirty_bitmap(ctx, hwpt, iova, 0, MOCK_PAGE,
						    0, bm));
	VT_ERR(EINVAL, ioasid_hwpt_get_dirty_bitmap(ctx, hwpt, iova + 0x100,
						    8 * MOCK_PAGE, MOCK_PAGE,
						    0, bm));
	VT_ERR(EOVERFLOW, ioasid_hwpt_get_dirty_bitmap(ctx, hwpt, ~0ull - 0xfff,
						       0x2000, MOCK_PAGE, 0, bm));
	VT_ERR(EOPNOTSUPP, ioasid_hwpt_get_dirty_bitmap(ctx, hwpt, iova,
							8 * MOCK_PAGE, MOCK_PAGE,
							0x8, bm));
	VT_ERR(ENOENT, ioasid_hwpt_get_dirty_bitmap(ctx, ioas, iova, 8 * MOCK_PAGE,
						    MOCK_PAGE, 0, bm));
	VT_ERR(EOPNOTSUPP, ioasid_hwpt_get_dirty_bitmap(ctx, plain, iova,
							8 * MOCK_PAGE,
							MOCK_PAGE, 0, bm));
	VT_ERR(EOPNOTSUPP, ioasid_hwpt_set_dirty_tracking(ctx, plain, true));

	/* Re-enabling clears the bits. */
	VT_OK(ioasid_test_dirty(ctx, hwpt, iova, 8 * MOCK_PAGE, MOCK_PAGE, &mark,
				&nr));
	VT_OK(ioasid_hwpt_set_dirty_tracking(ctx, hwpt, false));
	VT_OK(ioasid_hwpt_set_dirty_tracking(ctx, hwpt, true));
	memset(bm, 0, sizeof(bm));
	VT_OK(ioasid_hwpt_get_dirty_bitmap(ctx, hwpt, iova, 8 * MOCK_PAGE,
					   MOCK_PAGE, IOASID_DIRTY_NO_CLEAR, bm));
	VT_CHECK(bm[0] == 0, "after re-enabling: 0x%llx",
		 (unsigned long long)bm[0]);
	VT_OK(ioasid_hwpt_set_dirty_tracking(ctx, hwpt, false));

	VT_OK(ioasid_dev_detach(d));
	VT_OK(ioasid_hwpt_destroy(ctx, hwpt));
	VT_OK(ioasid_hwpt_destroy(ctx, plain));
	ioasid_dev_close(d);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	scenario_end(ctx, "dirty", 0);
}

/* Closing a context with queues, a vIOMMU and nested HWPTs still in it. */
static void scenario_close_all(void)
{
	struct ioasid_ctx *ctx = scenario_start("close with everything");
	uint32_t dev_id, ioas, parent, vi, vd, q, fq, h;
	struct ioasid_dev *d = mock_open(ctx, "mock0", &dev_id);

	ioas = ioas_with_buf(ctx);
	parent = hwpt_flags(d, ioas, IOASID_HWPT_ALLOC_NEST_PARENT);
	VT_OK(ioasid_viommu_alloc(d, parent, IOASID_VIOMMU_TYPE_SELFTEST, &vi));
	VT_OK(ioasid_vdevice_alloc(d, vi, 3, &vd));
	VT_OK(ioasid_veventq_alloc(ctx, vi, IOASID_VEVENTQ_TYPE_SELFTEST, 4, &q,
				   NULL));
	VT_OK(ioasid_fault_queue_alloc(ctx, &fq, NULL));
	VT_OK(nested_alloc(d, vi, IOASID_HWPT_ALLOC_FAULT_ID_VALID, fq,
			   IOASID_HWPT_DATA_SELFTEST, sizeof(selftest_data), &h));
	VT_OK(ioasid_dev_attach(d, h, NULL));
	(void)ioas, (void)vd;
	ioasid_ctx_close(ctx);
	vt_say("  closed with a vIOMMU, vDEVICE, vEVENTQ, fault queue and nested hwpt");
}

int main(void)
{
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		vt_fail("mmap: %s", strerror(errno));
	memset(buf, 0x5a, BUF_SIZE);
	sim_topology = getenv("NESTED_SIM_TOPOLOGY");
	if (!sim_topology && access("/dev/iommu", F_OK))
		vt_skip("no /dev/iommu");

	scenario_nested();
	scenario_invalidate();
	scenario_viommu();
	scenario_faults();
	scenario_dirty();
	scenario_close_all();
	vt_say("PASS");
	return VT_EXIT_PASS;
}
