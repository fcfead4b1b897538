// SPDX-License-Identifier: MIT
/*
 * The kernel's iommufd mock devices (CONFIG_IOMMUFD_TEST) through the
 * library's kernel backend, in the VM suite's guest: several devices,
 * reserved regions added with the test op, HWPT alloc and replace, and the
 * error paths of map, unmap, copy, ranges and allow-iovas, with the errnos
 * the simulator gives (tests/unit, tests/scripts).
 *
 * After every scenario, proof that no kernel object leaked: each scenario
 * runs in its own context, and at its end every id from 1 to past the
 * highest one seen answers IOMMU_DESTROY with ENOENT (no IOAS, HWPT,
 * device or mock object is left, including the backend's private IOAS for
 * mock devices), and IOMMU_TEST_OP_MD_CHECK_REFS finds no pin left on any
 * buffer.  A last scenario closes a context with everything still in it
 * and checks the pins are gone.
 */
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/iommufd.h>

#include <ioasid/testing.h>

#include "core.h"
#include "kernel.h"
#include "vmtest.h"

#define APERTURE_START (1ull << 24) /* the mock domain's aperture */
#define APERTURE_LAST ((1ull << 31) - 1)
#define BUF_SIZE (16 * 4096ull)
#define PAGE 4096ull

static uint8_t *buf;	/* BUF_SIZE, page aligned */
static uint8_t *buf2;	/* another one */
static uint32_t max_id; /* highest object id seen in this scenario */

static uint32_t seen(uint32_t id)
{
	if (id > max_id)
		max_id = id;
	return id;
}

static void *be_of(struct ioasid_ctx *ctx)
{
	return ctx->be;
}

static void expect_refs(struct ioasid_ctx *ctx, const void *va, uint64_t len,
			uint32_t refs, const char *when)
{
	int rc = ioasid_kernel_mock_check_refs(be_of(ctx), va, len, refs);

	VT_CHECK(rc == 0, "%s: pages at %p are not pinned %u time(s): %s", when,
		 va, refs, ioasid_errmsg());
}

static struct ioasid_ctx *scenario_start(const char *name)
{
	vt_say("scenario: %s", name);
	max_id = 0;
	return vt_kernel_ctx();
}

/* Every object gone, no pin left; closes @ctx. */
static void scenario_end(struct ioasid_ctx *ctx, const char *name)
{
	int fd = ioasid_ctx_fd(ctx);
	uint32_t id, probe;

	VT_CHECK(fd >= 0, "ctx fd %d", fd);
	/* A fresh IOAS takes the lowest free id: one more id to check. */
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
	expect_refs(ctx, buf, BUF_SIZE, 0, name);
	expect_refs(ctx, buf2, BUF_SIZE, 0, name);
	vt_say("  %s: ids 1-%u all free (the lowest free id was %u), no pins",
	       name, max_id + 8, probe);
	VT_CHECK(probe == 1, "%s: the lowest free id is %u", name, probe);
	ioasid_ctx_close(ctx);
}

static struct ioasid_dev *mock_open(struct ioasid_ctx *ctx, const char *name,
				    uint32_t *dev_id)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_dev *dev;

	VT_OK(ioasid_dev_info_get(ctx, name, &info));
	VT_CHECK(info.kind == IOASID_DEV_MOCK, "%s kind %d", name, info.kind);
	VT_OK(ioasid_dev_open(ctx, name, &dev));
	VT_OK(ioasid_dev_bind(dev, dev_id));
	seen(*dev_id);
	seen(ioasid_kernel_mock_stdev_id(dev->bdev));
	return dev;
}

static void map_at(struct ioasid_ctx *ctx, uint32_t ioas, void *va,
		   uint64_t len, uint64_t iova)
{
	uint64_t got = iova;

	VT_OK(ioasid_ioas_map(ctx, ioas, va, len, &got, NULL));
	VT_CHECK(got == iova, "mapped at 0x%llx", (unsigned long long)got);
}

static void expect_map(struct ioasid_ctx *ctx, uint32_t hwpt, uint64_t iova,
		       uint64_t len, const void *va, bool mapped)
{
	int rc = ioasid_kernel_mock_check_map(be_of(ctx), hwpt, iova, len, va);

	VT_CHECK(mapped ? rc == 0 : rc != 0,
		 "hwpt %u iova 0x%llx: expected %s (%s)", hwpt,
		 (unsigned long long)iova, mapped ? "mapped" : "not mapped",
		 ioasid_errmsg());
}

/* Several mock devices on one IOAS and on a HWPT allocated for it. */
static void scenario_devices(void)
{
	struct ioasid_ctx *ctx = scenario_start("devices");
	struct ioasid_hw_info hw = { .sz = sizeof(hw) };
	struct ioasid_iova_range ranges[4];
	uint32_t id0, id1, id2, ioas, h0, h1, h2, num = 4;
	struct ioasid_dev *d0, *d1, *d2;
	uint64_t align = 0, unmapped = 0;

	d0 = mock_open(ctx, "mock0", &id0);
	d1 = mock_open(ctx, "mock1", &id1);
	d2 = mock_open(ctx, "mock2:pasid", &id2);
	VT_CHECK(id0 != id1 && id1 != id2 && id0 != id2, "ids %u %u %u", id0,
		 id1, id2);
	VT_OK(ioasid_dev_hw_info(d0, &hw, NULL, 0));
	VT_CHECK(hw.type == IOASID_HW_INFO_SELFTEST, "hw type 0x%x", hw.type);
	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	seen(ioas);
	/* Mapped before any device: nothing is pinned yet. */
	map_at(ctx, ioas, buf, BUF_SIZE, APERTURE_START);
	expect_refs(ctx, buf, BUF_SIZE, 0, "mapped, no device");
	VT_OK(ioasid_dev_attach(d0, ioas, &h0));
	VT_OK(ioasid_dev_attach(d1, ioas, &h1));
	VT_OK(ioasid_hwpt_alloc(d2, ioas, NULL, &h2));
	VT_OK(ioasid_dev_attach(d2, h2, NULL));
	seen(h0), seen(h1), seen(h2);
	VT_CHECK(ioasid_dev_hwpt_id(d2) == h2 && ioasid_dev_pt_id(d2) == h2,
		 "d2 on %u/%u", ioasid_dev_pt_id(d2), ioasid_dev_hwpt_id(d2));
	vt_say("  mock devices %u %u %u on ioas %u: hwpts %u %u %u", id0, id1,
	       id2, ioas, h0, h1, h2);
	/* One pin however many domains map the pages. */
	expect_refs(ctx, buf, BUF_SIZE, 1, "attached");
	expect_map(ctx, h0, APERTURE_START, BUF_SIZE, buf, true);
	expect_map(ctx, h1, APERTURE_START, BUF_SIZE, buf, true);
	expect_map(ctx, h2, APERTURE_START, BUF_SIZE, buf, true);

	VT_OK(ioasid_ioas_iova_ranges(ctx, ioas, ranges, &num, &align));
	VT_CHECK(num == 1 && ranges[0].start == APERTURE_START &&
			 ranges[0].last == APERTURE_LAST,
		 "%u ranges, first 0x%llx-0x%llx", num,
		 (unsigned long long)ranges[0].start,
		 (unsigned long long)ranges[0].last);
	vt_say("  usable 0x%llx-0x%llx, alignment 0x%llx",
	       (unsigned long long)ranges[0].start,
	       (unsigned long long)ranges[0].last, (unsigned long long)align);

	VT_OK(ioasid_ioas_unmap(ctx, ioas, APERTURE_START, BUF_SIZE, &unmapped));
	VT_CHECK(unmapped == BUF_SIZE, "unmapped 0x%llx",
		 (unsigned long long)unmapped);
	expect_refs(ctx, buf, BUF_SIZE, 0, "unmapped");
	expect_map(ctx, h0, APERTURE_START, PAGE, buf, false);

	VT_ERR(EBUSY, ioasid_hwpt_destroy(ctx, h2));
	VT_ERR(EBUSY, ioasid_ioas_destroy(ctx, ioas));
	VT_OK(ioasid_dev_detach(d2));
	VT_ERR(EINVAL, ioasid_dev_detach(d2));
	VT_OK(ioasid_hwpt_destroy(ctx, h2));
	VT_ERR(ENOENT, ioasid_hwpt_destroy(ctx, h2));
	ioasid_dev_close(d0);
	ioasid_dev_close(d1);
	ioasid_dev_close(d2);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	VT_ERR(ENOENT, ioasid_ioas_destroy(ctx, ioas));
	scenario_end(ctx, "devices");
}

/* Reserved regions from IOMMU_TEST_OP_ADD_RESERVED. */
static void scenario_reserved(void)
{
	struct ioasid_ctx *ctx = scenario_start("reserved");
	const uint64_t rstart = APERTURE_START + 0x100000, rlen = 0x100000;
	struct ioasid_iova_range ranges[4], allow;
	struct ioasid_dev *dev;
	uint32_t id, ioas, num = 4;
	uint64_t iova;
	void *be;

	dev = mock_open(ctx, "mock0", &id);
	be = be_of(ctx);
	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	seen(ioas);
	VT_OK(ioasid_kernel_mock_add_reserved(be, ioas, rstart, rlen));
	VT_OK(ioasid_dev_attach(dev, ioas, NULL));
	seen(ioasid_dev_hwpt_id(dev));
	VT_OK(ioasid_ioas_iova_ranges(ctx, ioas, ranges, &num, NULL));
	VT_CHECK(num == 2 && ranges[0].start == APERTURE_START &&
			 ranges[0].last == rstart - 1 &&
			 ranges[1].start == rstart + rlen &&
			 ranges[1].last == APERTURE_LAST,
		 "%u ranges: 0x%llx-0x%llx 0x%llx-0x%llx", num,
		 (unsigned long long)ranges[0].start,
		 (unsigned long long)ranges[0].last,
		 (unsigned long long)ranges[1].start,
		 (unsigned long long)ranges[1].last);
	vt_say("  reserved 0x%llx-0x%llx is a hole in the usable ranges",
	       (unsigned long long)rstart,
	       (unsigned long long)(rstart + rlen - 1));
	/* Inside, straddling the start, and outside the aperture. */
	iova = rstart;
	VT_ERR(EINVAL, ioasid_ioas_map(ctx, ioas, buf, PAGE, &iova, NULL));
	iova = rstart - PAGE;
	VT_ERR(EINVAL, ioasid_ioas_map(ctx, ioas, buf, 2 * PAGE, &iova, NULL));
	iova = APERTURE_START - PAGE;
	VT_ERR(EINVAL, ioasid_ioas_map(ctx, ioas, buf, PAGE, &iova, NULL));
	/* An allow-list may not cover a reserved region. */
	allow = (struct ioasid_iova_range){ rstart - PAGE, rstart + PAGE - 1 };
	VT_ERR(EADDRINUSE, ioasid_ioas_allow_iovas(ctx, ioas, &allow, 1));
	/* Nor may a new reserved region cover a mapping. */
	map_at(ctx, ioas, buf, PAGE, APERTURE_START);
	VT_ERR(EADDRINUSE, ioasid_kernel_mock_add_reserved(be, ioas,
							   APERTURE_START, PAGE));
	/* A free IOVA avoids it: fill the first range, the next map lands
	 * past the reserved region. */
	IOASID_OPTS(ioasid_map_opts, any_iova,
		    .flags = IOASID_MAP_READ | IOASID_MAP_ANY_IOVA);
	iova = 0;
	VT_OK(ioasid_ioas_map(ctx, ioas, buf2, BUF_SIZE, &iova, &any_iova));
	VT_CHECK(iova + BUF_SIZE <= rstart || iova >= rstart + rlen,
		 "any-IOVA map at 0x%llx hits the reserved region",
		 (unsigned long long)iova);
	expect_refs(ctx, buf2, BUF_SIZE, 1, "any-IOVA map");
	ioasid_dev_close(dev);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	scenario_end(ctx, "reserved");
}

/* HWPTs allocated explicitly, and replace between them and IOASes. */
static void scenario_hwpt_replace(void)
{
	struct ioasid_ctx *ctx = scenario_start("hwpt-replace");
	IOASID_OPTS(ioasid_hwpt_alloc_opts, dirty,
		    .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	IOASID_OPTS(ioasid_hwpt_alloc_opts, bogus, .flags = 1u << 30);
	uint32_t id, id_nd, a, b, ha, hb, hauto, hd;
	struct ioasid_dev *dev, *nodirty;

	dev = mock_open(ctx, "mock0", &id);
	nodirty = mock_open(ctx, "mock1:no-dirty", &id_nd);
	VT_OK(ioasid_ioas_alloc(ctx, &a));
	VT_OK(ioasid_ioas_alloc(ctx, &b));
	seen(a), seen(b);
	map_at(ctx, a, buf, BUF_SIZE, APERTURE_START);
	map_at(ctx, b, buf2, BUF_SIZE, APERTURE_START);
	VT_OK(ioasid_hwpt_alloc(dev, a, NULL, &ha));
	VT_OK(ioasid_hwpt_alloc(dev, b, &dirty, &hb));
	seen(ha), seen(hb);
	VT_ERR(EOPNOTSUPP, ioasid_hwpt_alloc(nodirty, b, &dirty, &hd));
	VT_ERR(EOPNOTSUPP, ioasid_hwpt_alloc(dev, a, &bogus, &hd));
	VT_ERR(EINVAL, ioasid_hwpt_alloc(dev, 0xfffff, NULL, &hd));
	/* A HWPT maps its IOAS as soon as it exists: pinned now. */
	expect_refs(ctx, buf, BUF_SIZE, 1, "hwpt a");
	expect_map(ctx, ha, APERTURE_START, BUF_SIZE, buf, true);
	expect_map(ctx, hb, APERTURE_START, BUF_SIZE, buf2, true);

	VT_OK(ioasid_dev_attach(dev, ha, NULL));
	VT_ERR(EBUSY, ioasid_dev_attach(dev, hb, NULL));
	VT_OK(ioasid_dev_replace(dev, hb, NULL));
	VT_CHECK(ioasid_dev_pt_id(dev) == hb, "pt %u", ioasid_dev_pt_id(dev));
	VT_ERR(EBUSY, ioasid_hwpt_destroy(ctx, hb));
	VT_OK(ioasid_hwpt_destroy(ctx, ha));
	expect_refs(ctx, buf, BUF_SIZE, 0, "hwpt a destroyed");
	/* To an IOAS: the kernel finds or makes a HWPT for it. */
	VT_OK(ioasid_dev_replace(dev, a, &hauto));
	seen(hauto);
	/* (ha's id is free again and may come back.) */
	VT_CHECK(hauto && hauto != hb && hauto != a && hauto != b, "hwpt %u",
		 hauto);
	expect_map(ctx, hauto, APERTURE_START, BUF_SIZE, buf, true);
	VT_ERR(ENOENT, ioasid_dev_replace(dev, 0xfffff, NULL));
	VT_CHECK(ioasid_dev_pt_id(dev) == a, "a failed replace moved it to %u",
		 ioasid_dev_pt_id(dev));
	VT_ERR(ENOENT, ioasid_hwpt_destroy(ctx, a));
	VT_ERR(ENOENT, ioasid_ioas_destroy(ctx, hb));
	VT_ERR(EBUSY, ioasid_ioas_destroy(ctx, a));
	VT_OK(ioasid_hwpt_destroy(ctx, hb));
	VT_OK(ioasid_dev_detach(dev));
	expect_refs(ctx, buf, BUF_SIZE, 0, "detached");
	ioasid_dev_close(nodirty);
	ioasid_dev_close(dev);
	VT_OK(ioasid_ioas_destroy(ctx, a));
	VT_OK(ioasid_ioas_destroy(ctx, b));
	scenario_end(ctx, "hwpt-replace");
}

/* map, unmap, copy, ranges and allow-iovas: errnos as in the simulator. */
static void scenario_errors(void)
{
	struct ioasid_ctx *ctx = scenario_start("errors");
	IOASID_OPTS(ioasid_map_opts, any, .flags = IOASID_MAP_READ |
						     IOASID_MAP_WRITE |
						     IOASID_MAP_ANY_IOVA);
	IOASID_OPTS(ioasid_map_opts, none, .flags = 0);
	IOASID_OPTS(ioasid_map_opts, unknown, .flags = IOASID_MAP_READ | (1u << 20));
	const uint64_t base = APERTURE_START;
	struct ioasid_iova_range ranges[2], allow[2];
	uint32_t id, a, b, hb, num;
	struct ioasid_dev *dev;
	uint64_t iova, n;
	void *hole;

	dev = mock_open(ctx, "mock0", &id);
	VT_OK(ioasid_ioas_alloc(ctx, &a));
	VT_OK(ioasid_ioas_alloc(ctx, &b));
	seen(a), seen(b);
	VT_OK(ioasid_dev_attach(dev, b, &hb));
	seen(hb);

	/* map */
	iova = base;
	VT_ERR(EINVAL, ioasid_ioas_map(ctx, a, buf, 0, &iova, NULL));
	VT_ERR(EINVAL, ioasid_ioas_map(ctx, a, buf, PAGE, &iova, &none));
	VT_ERR(EOPNOTSUPP, ioasid_ioas_map(ctx, a, buf, PAGE, &iova, &unknown));
	VT_ERR(EFAULT, ioasid_ioas_map(ctx, a, NULL, PAGE, &iova, NULL));
	VT_ERR(ENOENT, ioasid_ioas_map(ctx, 0xfffff, buf, PAGE, &iova, NULL));
	iova = UINT64_MAX - PAGE + 1;
	VT_ERR(EOVERFLOW, ioasid_ioas_map(ctx, a, buf, 2 * PAGE, &iova, NULL));
	iova = base + 1;
	VT_ERR(EINVAL, ioasid_ioas_map(ctx, b, buf, PAGE, &iova, NULL));
	map_at(ctx, a, buf, 4 * PAGE, base);
	iova = base + 2 * PAGE;
	VT_ERR(EEXIST, ioasid_ioas_map(ctx, a, buf2, 4 * PAGE, &iova, NULL));
	/* Memory that is not there fails when it is pinned (b has a domain). */
	hole = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VT_CHECK(hole != MAP_FAILED, "mmap");
	munmap(hole, PAGE);
	iova = base;
	VT_ERR(EFAULT, ioasid_ioas_map(ctx, b, hole, PAGE, &iova, NULL));

	/* unmap */
	VT_ERR(EINVAL, ioasid_ioas_unmap(ctx, a, base, 0, NULL));
	VT_ERR(ENOENT, ioasid_ioas_unmap(ctx, a, base + 0x100000, PAGE, NULL));
	VT_ERR(ENOENT, ioasid_ioas_unmap(ctx, a, base + PAGE, PAGE, NULL));
	VT_ERR(ENOENT, ioasid_ioas_unmap(ctx, 0xfffff, base, PAGE, NULL));
	VT_ERR(EOVERFLOW, ioasid_ioas_unmap(ctx, a, UINT64_MAX - PAGE + 1,
					    2 * PAGE, NULL));
	VT_OK(ioasid_ioas_unmap_all(ctx, b, &n));
	VT_CHECK(n == 0, "unmap_all of an empty ioas removed 0x%llx",
		 (unsigned long long)n);

	/* copy: a's pages into b (which has a domain) */
	iova = base + 0x10000;
	VT_ERR(ENOENT, ioasid_ioas_copy(ctx, b, &iova, a, base, 8 * PAGE, NULL));
	VT_ERR(ENOENT, ioasid_ioas_copy(ctx, b, &iova, 0xfffff, base, PAGE, NULL));
	VT_OK(ioasid_ioas_copy(ctx, b, &iova, a, base, 4 * PAGE, NULL));
	VT_CHECK(iova == base + 0x10000, "copy to 0x%llx",
		 (unsigned long long)iova);
	expect_map(ctx, hb, base + 0x10000, 4 * PAGE, buf, true);
	expect_refs(ctx, buf, 4 * PAGE, 1, "copied");
	VT_ERR(EEXIST, ioasid_ioas_copy(ctx, b, &iova, a, base, 4 * PAGE, NULL));
	iova = 0;
	VT_OK(ioasid_ioas_copy(ctx, b, &iova, a, base, 4 * PAGE, &any));
	VT_CHECK(iova >= base && iova != base + 0x10000, "any copy at 0x%llx",
		 (unsigned long long)iova);

	/* ranges */
	num = 0;
	VT_ERR(EMSGSIZE, ioasid_ioas_iova_ranges(ctx, b, NULL, &num, NULL));
	VT_CHECK(num == 1, "b has %u ranges", num);
	num = 1;
	VT_ERR(EINVAL, ioasid_ioas_iova_ranges(ctx, b, NULL, &num, NULL));
	num = 2;
	VT_OK(ioasid_ioas_iova_ranges(ctx, a, ranges, &num, NULL));
	VT_CHECK(num == 1 && ranges[0].start == 0 &&
			 ranges[0].last == UINT64_MAX,
		 "ioas without devices: %u ranges, 0x%llx-0x%llx", num,
		 (unsigned long long)ranges[0].start,
		 (unsigned long long)ranges[0].last);
	num = 2;
	VT_ERR(ENOENT, ioasid_ioas_iova_ranges(ctx, 0xfffff, ranges, &num, NULL));

	/* allow-iovas */
	allow[0] = (struct ioasid_iova_range){ base + 0x200000, base + 0x2fffff };
	allow[1] = (struct ioasid_iova_range){ base + 0x280000, base + 0x3fffff };
	VT_ERR(EINVAL, ioasid_ioas_allow_iovas(ctx, b, allow, 2));
	allow[1] = (struct ioasid_iova_range){ base + 0x500000, base + 0x400000 };
	VT_ERR(EINVAL, ioasid_ioas_allow_iovas(ctx, b, &allow[1], 1));
	VT_ERR(ENOENT, ioasid_ioas_allow_iovas(ctx, 0xfffff, allow, 1));
	VT_OK(ioasid_ioas_allow_iovas(ctx, b, allow, 1));
	iova = 0;
	VT_OK(ioasid_ioas_map(ctx, b, buf2, 4 * PAGE, &iova, &any));
	VT_CHECK(iova >= allow[0].start && iova + 4 * PAGE - 1 <= allow[0].last,
		 "any map at 0x%llx outside the allowed range",
		 (unsigned long long)iova);
	/* Allowed IOVAs outside the mock aperture cannot be promised. */
	allow[1] = (struct ioasid_iova_range){ 0, PAGE - 1 };
	VT_ERR(EADDRINUSE, ioasid_ioas_allow_iovas(ctx, b, &allow[1], 1));
	VT_OK(ioasid_ioas_allow_iovas(ctx, b, NULL, 0));
	expect_refs(ctx, buf2, 4 * PAGE, 1, "mapped in b");

	VT_OK(ioasid_ioas_unmap_all(ctx, b, &n));
	VT_CHECK(n == 12 * PAGE, "unmap_all removed 0x%llx",
		 (unsigned long long)n);
	VT_OK(ioasid_ioas_unmap_all(ctx, a, &n));
	VT_CHECK(n == 4 * PAGE, "unmap_all removed 0x%llx",
		 (unsigned long long)n);
	expect_refs(ctx, buf, BUF_SIZE, 0, "all unmapped");
	expect_refs(ctx, buf2, BUF_SIZE, 0, "all unmapped");
	ioasid_dev_close(dev);
	VT_OK(ioasid_ioas_destroy(ctx, a));
	VT_OK(ioasid_ioas_destroy(ctx, b));
	scenario_end(ctx, "errors");
}

/* Closing a context with everything in it releases everything. */
static void scenario_close_all(void)
{
	struct ioasid_ctx *ctx = scenario_start("close-with-objects");
	struct ioasid_dev *d0, *d1;
	uint32_t id0, id1, a, h;

	d0 = mock_open(ctx, "mock0", &id0);
	d1 = mock_open(ctx, "mock1", &id1);
	VT_OK(ioasid_ioas_alloc(ctx, &a));
	map_at(ctx, a, buf, BUF_SIZE, APERTURE_START);
	VT_OK(ioasid_hwpt_alloc(d1, a, NULL, &h));
	VT_OK(ioasid_dev_attach(d0, a, NULL));
	VT_OK(ioasid_dev_attach(d1, h, NULL));
	expect_refs(ctx, buf, BUF_SIZE, 1, "before close");
	ioasid_ctx_close(ctx);
	/* A new context (a new iommufd) starts empty; the pins are gone. */
	ctx = scenario_start("after close");
	scenario_end(ctx, "close-with-objects");
}

int main(void)
{
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	buf2 = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	VT_CHECK(buf != MAP_FAILED && buf2 != MAP_FAILED, "mmap: %s",
		 strerror(errno));
	memset(buf, 0xa5, BUF_SIZE);
	memset(buf2, 0x5a, BUF_SIZE);
	{
		/* No CONFIG_IOMMUFD_TEST: nothing here can run. */
		struct ioasid_ctx *ctx = vt_kernel_ctx();
		struct ioasid_dev *dev;
		uint32_t id;
		int rc;

		VT_OK(ioasid_dev_open(ctx, "mock0", &dev));
		rc = ioasid_dev_bind(dev, &id);
		if (rc == -ENOTTY)
			vt_skip("no mock devices: %s", ioasid_errmsg());
		ioasid_ctx_close(ctx);
		VT_CHECK(rc == 0, "binding mock0: %s", ioasid_errmsg());
	}
	scenario_devices();
	scenario_reserved();
	scenario_hwpt_replace();
	scenario_errors();
	scenario_close_all();
	vt_say("PASS");
	return 0;
}
