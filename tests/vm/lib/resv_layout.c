// SPDX-License-Identifier: MIT
/*
 * Reserved regions and guest RAM layouts on the real kernel (issue 4,
 * "Tests"): QEMU's edu device behind the emulated IOMMU (class 0, the MSI
 * window its group's sysfs reserved_regions lists, and the ceiling that
 * IOMMU_GET_HW_INFO implies, tests/vm/lib/vm_hw.h, both also seen in
 * IOMMU_IOAS_IOVA_RANGES), and a
 * CONFIG_IOMMUFD_TEST mock device (its aperture, and a reserved region
 * added to its IOAS with IOMMU_TEST_OP_ADD_RESERVED).  For both, the two
 * forms of the same information must agree (typed holes and usable
 * ranges), and ioasid_layout_check / ioasid_layout_plan must refuse RAM
 * over a hole, naming device and region, and plan around every hole.
 */
#include <stdbool.h>
#include <sys/mman.h>

#include "core.h"
#include "kernel.h"
#include "vmtest.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

/* The mock IOMMU's aperture (iommufd_test.h) and the test's hole in it. */
#define MOCK_AP_START (1ull << 24)
#define MOCK_AP_LAST ((1ull << 31) - 1)
#define MOCK_HOLE_START 0x40000000ull
#define MOCK_HOLE_LEN 0x200000ull

#define MAX_REGIONS 32

static struct ioasid_ctx *ctx;

static void show_regions(const char *what, const struct ioasid_resv_region *r,
			 uint32_t n)
{
	vt_say("%s: %u reserved regions", what, n);
	for (uint32_t i = 0; i < n; i++)
		vt_say("  0x%016llx-0x%016llx %s", (unsigned long long)r[i].start,
		       (unsigned long long)r[i].last,
		       ioasid_resv_type_name(r[i].type));
}

static bool has_region(const struct ioasid_resv_region *r, uint32_t n,
		       uint64_t start, uint64_t last, enum ioasid_resv_type type)
{
	for (uint32_t i = 0; i < n; i++)
		if (r[i].start == start && r[i].last == last && r[i].type == type)
			return true;
	return false;
}

/* The usable ranges of @ioas, printed; returns the count. */
static uint32_t ioas_ranges(uint32_t ioas, struct ioasid_iova_range *ranges,
			    uint64_t *align)
{
	uint32_t n = MAX_REGIONS;

	VT_OK(ioasid_ioas_iova_ranges(ctx, ioas, ranges, &n, align));
	vt_say("ioas %u: %u usable ranges (IOMMU_IOAS_IOVA_RANGES), alignment 0x%llx",
	       ioas, n, (unsigned long long)*align);
	for (uint32_t i = 0; i < n; i++)
		vt_say("  0x%016llx-0x%016llx", (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);
	return n;
}

/* The typed holes of @ioas must be the complement of its usable ranges. */
static uint32_t check_both_forms(uint32_t ioas, struct ioasid_resv_region *r)
{
	struct ioasid_iova_range kr[MAX_REGIONS], ur[MAX_REGIONS];
	uint32_t nk, nu = MAX_REGIONS, n = MAX_REGIONS;
	uint64_t align = 0;

	nk = ioas_ranges(ioas, kr, &align);
	VT_OK(ioasid_ioas_resv_regions(ctx, ioas, r, &n));
	show_regions("ioasid_ioas_resv_regions", r, n);
	VT_OK(ioasid_resv_usable(r, n, 0, UINT64_MAX, ur, &nu));
	VT_CHECK(nu == nk, "%u usable ranges from the regions, the kernel has %u",
		 nu, nk);
	for (uint32_t i = 0; i < nk; i++)
		VT_CHECK(ur[i].start == kr[i].start && ur[i].last == kr[i].last,
			 "range %u: 0x%llx-0x%llx from the regions, 0x%llx-0x%llx from the kernel",
			 i, (unsigned long long)ur[i].start,
			 (unsigned long long)ur[i].last,
			 (unsigned long long)kr[i].start,
			 (unsigned long long)kr[i].last);
	return n;
}

/* RAM over a hole: refused, naming @dev, the region and the RAM. */
static void check_refused(const struct ioasid_endpoint *ep,
			  const struct ioasid_ram_range *ram, uint32_t num_ram,
			  uint64_t start, uint64_t last,
			  enum ioasid_resv_type type, const char *dev)
{
	struct ioasid_layout_conflict c[4];
	uint32_t n = 4;
	char want[64];

	VT_ERR(EADDRINUSE, ioasid_layout_check(ep, 1, ram, num_ram, c, &n));
	vt_say("refused as expected: %s", ioasid_errmsg());
	VT_CHECK(n >= 1, "%u conflicts", n);
	VT_CHECK(!strcmp(c[0].device, dev), "conflict names device \"%s\"",
		 c[0].device);
	VT_CHECK(c[0].region.start == start && c[0].region.last == last &&
			 c[0].region.type == type,
		 "conflict region 0x%llx-0x%llx type %d",
		 (unsigned long long)c[0].region.start,
		 (unsigned long long)c[0].region.last, (int)c[0].region.type);
	VT_CHECK(strstr(ioasid_errmsg(), dev), "message lacks %s", dev);
	snprintf(want, sizeof(want), "%llx", (unsigned long long)start);
	VT_CHECK(strstr(ioasid_errmsg(), want), "message lacks %s", want);
}

/* A plan must cover @size, avoid [@hole_start, @hole_last] and stay at or
 * below @ceiling. */
static void check_plan(const struct ioasid_endpoint *ep, uint64_t size,
		       uint64_t hole_start, uint64_t hole_last,
		       uint64_t ceiling, uint64_t base)
{
	IOASID_OPTS(ioasid_layout_plan_opts, opts, .base = base);
	struct ioasid_ram_range ram[16];
	uint32_t n = 16;
	uint64_t total = 0;

	VT_OK(ioasid_layout_plan(ep, 1, size, &opts, ram, &n));
	vt_say("plan for 0x%llx bytes of RAM from 0x%llx: %u ranges",
	       (unsigned long long)size, (unsigned long long)base, n);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t last = ram[i].gpa + ram[i].size - 1;

		vt_say("  0x%016llx-0x%016llx", (unsigned long long)ram[i].gpa,
		       (unsigned long long)last);
		VT_CHECK(last < hole_start || ram[i].gpa > hole_last,
			 "range %u overlaps the hole 0x%llx-0x%llx", i,
			 (unsigned long long)hole_start,
			 (unsigned long long)hole_last);
		VT_CHECK(last <= ceiling, "range %u ends above 0x%llx", i,
			 (unsigned long long)ceiling);
		VT_CHECK(ram[i].gpa >= base, "range %u starts below the base", i);
		total += ram[i].size;
	}
	VT_CHECK(total == size, "the plan holds 0x%llx bytes",
		 (unsigned long long)total);
	/* And the plan passes the check. */
	VT_OK(ioasid_layout_check(ep, 1, ram, n, NULL, NULL));
}

static void test_edu(const char *bdf)
{
	IOASID_OPTS(ioasid_dev_info, info);
	IOASID_OPTS(ioasid_iommu_info, iommu);
	struct ioasid_endpoint ep = { 0 };
	IOASID_OPTS(ioasid_pasid_attach, pa, .vpasid = 1);
	struct ioasid_resv_region r[MAX_REGIONS], epr[MAX_REGIONS];
	struct ioasid_dev *dev = NULL;
	uint32_t n = MAX_REGIONS, ioas = 0, hwpt = 0;
	uint64_t msi_start = 0, msi_last = 0, top;
	enum ioasid_resv_type msi_type = IOASID_RESV_MSI;
	IOASID_OPTS(ioasid_hw_info, hw);
	/* The device's holes: the msi window, and all above the top
	 * unless the top is the last IOVA there is. */
	uint32_t nholes;

	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
	/* What the hardware says: the group's msi region (sysfs) and,
	 * through a bound device, the IOMMU's width (GET_HW_INFO). */
	vt_msi_window(bdf, &msi_start, &msi_last);
	VT_OK(ioasid_dev_open(ctx, bdf, &dev));
	VT_OK(ioasid_dev_bind(dev, NULL));
	top = vt_dev_hw_top(ctx, dev);
	VT_OK(ioasid_dev_hw_info(dev, &hw, NULL, 0));
	nholes = top == UINT64_MAX ? 1 : 2;
	vt_say("sysfs: msi 0x%llx-0x%llx; GET_HW_INFO: top IOVA 0x%llx",
	       (unsigned long long)msi_start, (unsigned long long)msi_last,
	       (unsigned long long)top);
	VT_OK(ioasid_dev_info_get(ctx, bdf, &info));
	vt_say("edu %s: driver %s, group %d, iommu %s, class %d (%s), width %u, source %d",
	       bdf, info.driver, info.group, info.iommu, (int)info.dev_class,
	       ioasid_dev_class_name(info.dev_class), info.pasid_width,
	       (int)info.class_source);
	/* edu has no PASID capability, and root reads the whole config
	 * space, so the hardware says so. */
	VT_CHECK(info.dev_class == IOASID_CLASS_RID_ONLY, "class %d",
		 (int)info.dev_class);
	VT_CHECK(info.pasid_width == 0, "width %u", info.pasid_width);
	VT_CHECK(info.class_source == IOASID_CLASS_SRC_HARDWARE, "source %d",
		 (int)info.class_source);
	VT_CHECK(!info.needs_vpasid && !info.needs_cpu_translation,
		 "needs_vpasid %d", info.needs_vpasid);
	VT_CHECK(info.group >= 0, "no group");

	/* sysfs: the group's msi window. */
	VT_OK(ioasid_group_resv_regions(ctx, info.group, r, &n));
	show_regions("group (sysfs reserved_regions)", r, n);
	/* sysfs's "msi" is sw-msi for the library where the kernel maps
	 * the window itself (SMMUv3, lib/host/sysfs.c); the same type
	 * everywhere after this. */
	if (has_region(r, n, msi_start, msi_last, IOASID_RESV_SW_MSI))
		msi_type = IOASID_RESV_SW_MSI;
	VT_CHECK(has_region(r, n, msi_start, msi_last, msi_type),
		 "no msi region 0x%llx-0x%llx", (unsigned long long)msi_start,
		 (unsigned long long)msi_last);

	/* The IOMMU's aperture as the library reads it (sysfs) is the
	 * one GET_HW_INFO implies. */
	VT_OK(ioasid_dev_iommu_info(ctx, bdf, &iommu));
	vt_say("iommu %s: aperture 0x%llx-0x%llx, page sizes 0x%llx, flags 0x%x",
	       iommu.name, (unsigned long long)iommu.aperture_start,
	       (unsigned long long)iommu.aperture_last,
	       (unsigned long long)iommu.page_sizes, iommu.flags);
	VT_CHECK(iommu.aperture_last == top, "aperture ends 0x%llx, not 0x%llx",
		 (unsigned long long)iommu.aperture_last, (unsigned long long)top);
	{
		/* sysfs describes a VT-d unit's width (intel-iommu/cap), so
		 * the library knows it there; for an SMMUv3 sysfs says
		 * nothing, and the library's aperture is an estimate, which
		 * must still be what GET_HW_INFO implies.  An IOMMU with no
		 * hw_info data (type NONE, virtio-iommu) has no registers to
		 * read: the library must have asked the kernel's ranges
		 * (a scratch IOAS) and know the top, not guess it. */
		char cap[PATH_MAX];

		snprintf(cap, sizeof(cap), "/sys/class/iommu/%s/intel-iommu/cap",
			 iommu.name);
		if (!access(cap, R_OK))
			VT_CHECK(iommu.flags & IOASID_IOMMU_APERTURE_KNOWN,
				 "aperture guessed although %s exists", cap);
		else if (hw.type == IOASID_HW_INFO_NONE)
			VT_CHECK(iommu.flags & IOASID_IOMMU_APERTURE_KNOWN,
				 "hw info type NONE: the aperture 0x%llx is an estimate, "
				 "although the kernel's ranges say 0x%llx",
				 (unsigned long long)iommu.aperture_last,
				 (unsigned long long)top);
		else
			vt_say("no %s: the library's aperture is %s", cap,
			       iommu.flags & IOASID_IOMMU_APERTURE_KNOWN ?
				       "known" : "an estimate");
	}

	/* The device's holes: the msi window and everything above the top. */
	n = MAX_REGIONS;
	VT_OK(ioasid_dev_resv_regions(ctx, bdf, r, &n));
	show_regions("ioasid_dev_resv_regions", r, n);
	VT_CHECK(n == nholes, "%u regions, not %u", n, nholes);
	VT_CHECK(has_region(r, n, msi_start, msi_last, msi_type),
		 "no msi window");
	if (top < UINT64_MAX)
		VT_CHECK(has_region(r, n, top + 1, UINT64_MAX, IOASID_RESV_RESERVED),
			 "no ceiling above 0x%llx", (unsigned long long)top);
	else
		vt_say("the top is 2^64 - 1: no ceiling region above it");
	/* -EMSGSIZE with the count. */
	n = nholes - 1;
	VT_ERR(EMSGSIZE, ioasid_dev_resv_regions(ctx, bdf, r, &n));
	VT_CHECK(n == nholes, "count %u", n);

	/* Attached: the kernel's usable ranges are the same holes. */
	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(dev, ioas, &hwpt));
	n = check_both_forms(ioas, r);
	VT_CHECK(has_region(r, n, msi_start, msi_last, msi_type),
		 "ioas lacks the msi window");

	/* Class 0: no PASID to attach. */
	VT_ERR(EOPNOTSUPP, ioasid_dev_attach_pasid(dev, ioas, &pa));
	vt_say("PASID attach refused as expected: %s", ioasid_errmsg());

	/* The layout checks against the endpoint the device makes. */
	n = MAX_REGIONS;
	VT_OK(ioasid_endpoint_from_dev(dev, &ep, epr, &n));
	VT_CHECK(ep.aperture_last == top, "endpoint aperture 0x%llx",
		 (unsigned long long)ep.aperture_last);
	/* The cases below assume a window below 4 GiB (x86's at
	 * 0xfee00000, the software window of arm64 at 0x8000000). */
	VT_CHECK(msi_last < 4 * GIB, "msi window above 4 GiB");
	{
		/* 4 GiB from 0 runs through the msi window. */
		struct ioasid_ram_range bad[] = { { 0, 4 * GIB } };
		/* Boot RAM below the window, more at 4 GiB, then 32 MiB
		 * hot-added over the window. */
		uint64_t low = msi_start < 2 * GIB ? msi_start : 2 * GIB;
		struct ioasid_ram_range hot[] = { { 0, low },
						  { 4 * GIB, 2 * GIB },
						  { msi_start & ~(32 * MIB - 1),
						    32 * MIB } };
		/* Above the ceiling. */
		struct ioasid_ram_range high[] = { { top + 1, GIB } };
		struct ioasid_ram_range good[] = { { 0, msi_start },
						   { 4 * GIB, 4 * GIB } };

		check_refused(&ep, bad, 1, msi_start, msi_last, msi_type,
			      bdf);
		check_refused(&ep, hot, 3, msi_start, msi_last, msi_type,
			      bdf);
		if (top < UINT64_MAX) {
			VT_ERR(EADDRINUSE, ioasid_layout_check(&ep, 1, high, 1, NULL, NULL));
			vt_say("refused as expected: %s", ioasid_errmsg());
		} else {
			vt_say("the top is 2^64 - 1: no RAM can lie above it");
		}
		VT_OK(ioasid_layout_check(&ep, 1, good, 2, NULL, NULL));
		vt_say("RAM 0-0x%llx and 4-8 GiB accepted",
		       (unsigned long long)msi_start - 1);
	}
	check_plan(&ep, 8 * GIB, msi_start, msi_last, top, 0);
	/* More RAM than fits under the ceiling. */
	{
		IOASID_OPTS(ioasid_layout_plan_opts, opts);
		struct ioasid_ram_range ram[4];
		uint32_t nr = 4;

		if (top < UINT64_MAX) {
			/* All of the IOVA space: the window is not usable. */
			VT_ERR(ENOSPC, ioasid_layout_plan(&ep, 1, top + 1, &opts, ram, &nr));
			vt_say("0x%llx bytes refused as expected: %s",
			       (unsigned long long)top + 1, ioasid_errmsg());
		} else {
			/* The IOVA space is all 2^64 bytes, which no size
			 * can ask for: the most a plan can hold is all of it
			 * but the 2 MiB blocks (the plan's alignment) the msi
			 * window touches; one block more does not fit. */
			uint64_t lost = ((msi_last | (2 * MIB - 1)) -
					 (msi_start & ~(2 * MIB - 1)) + 1);

			vt_say("the top is 2^64 - 1: a plan holds at most 2^64 - 0x%llx bytes",
			       (unsigned long long)lost);
			check_plan(&ep, 0 - lost, msi_start, msi_last, top, 0);
			if (lost > 2 * MIB) {
				VT_ERR(ENOSPC, ioasid_layout_plan(&ep, 1, 0 - lost + 2 * MIB,
								  &opts, ram, &nr));
				vt_say("one block more refused as expected: %s",
				       ioasid_errmsg());
			}
		}
	}

	ioasid_dev_close(dev);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	VT_OK(ioasid_dev_set_driver(ctx, bdf, NULL, NULL));
}

static void test_mock(void)
{
	struct ioasid_resv_region r[MAX_REGIONS];
	struct ioasid_endpoint ep = { .name = "mock0" };
	struct ioasid_dev *dev = NULL;
	uint32_t n = MAX_REGIONS, ioas = 0, hwpt = 0;
	int rc;

	VT_OK(ioasid_dev_open(ctx, "mock0", &dev));
	rc = ioasid_dev_bind(dev, NULL);
	if (rc == -ENOTTY) {
		vt_say("no mock devices (CONFIG_IOMMUFD_TEST): %s; mock part skipped",
		       ioasid_errmsg());
		ioasid_dev_close(dev);
		return;
	}
	VT_OK(rc);

	/* The mock IOMMU's aperture is all the device reserves. */
	VT_OK(ioasid_dev_resv_regions(ctx, "mock0", r, &n));
	show_regions("mock0: ioasid_dev_resv_regions", r, n);
	VT_CHECK(n == 2 && has_region(r, n, 0, MOCK_AP_START - 1, IOASID_RESV_RESERVED) &&
			 has_region(r, n, MOCK_AP_LAST + 1, UINT64_MAX,
				    IOASID_RESV_RESERVED),
		 "mock0 regions are not the aperture limits");

	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(dev, ioas, &hwpt));
	VT_OK(ioasid_kernel_mock_add_reserved(ctx->be, ioas, MOCK_HOLE_START,
					      MOCK_HOLE_LEN));
	vt_say("ioas %u: reserved 0x%llx-0x%llx with IOMMU_TEST_OP_ADD_RESERVED",
	       ioas, MOCK_HOLE_START, MOCK_HOLE_START + MOCK_HOLE_LEN - 1);
	/* A mapping there is refused by the kernel. */
	{
		/* One host page, so that only the hole can be the reason. */
		void *page = mmap(NULL, vt_page_size(), PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t iova = MOCK_HOLE_START;

		VT_CHECK(page != MAP_FAILED, "mmap: %s", strerror(errno));
		VT_ERR(EINVAL, ioasid_ioas_map(ctx, ioas, page, vt_page_size(), &iova,
					       NULL));
		VT_CHECK(strstr(ioasid_errmsg(), "reserved"),
			 "the refusal does not name the reserved hole: %s", ioasid_errmsg());
		munmap(page, vt_page_size());
	}
	n = check_both_forms(ioas, r);
	VT_CHECK(has_region(r, n, MOCK_HOLE_START,
			    MOCK_HOLE_START + MOCK_HOLE_LEN - 1,
			    IOASID_RESV_RESERVED),
		 "the added region is not a hole of the IOAS");

	/* Layouts against what the IOAS reserves. */
	ep.regions = r;
	ep.num_regions = n;
	{
		struct ioasid_ram_range bad[] = { { MOCK_AP_START, GIB } };
		struct ioasid_ram_range good[] = { { MOCK_AP_START,
						     MOCK_HOLE_START - MOCK_AP_START } };

		check_refused(&ep, bad, 1, MOCK_HOLE_START,
			      MOCK_HOLE_START + MOCK_HOLE_LEN - 1,
			      IOASID_RESV_RESERVED, "mock0");
		VT_OK(ioasid_layout_check(&ep, 1, good, 1, NULL, NULL));
	}
	check_plan(&ep, GIB, MOCK_HOLE_START, MOCK_HOLE_START + MOCK_HOLE_LEN - 1,
		   MOCK_AP_LAST, MOCK_AP_START);
	{
		IOASID_OPTS(ioasid_layout_plan_opts, opts, .base = MOCK_AP_START);
		struct ioasid_ram_range ram[4];
		uint32_t nr = 4;

		/* 2 GiB does not fit in the 2 GiB - 16 MiB aperture. */
		VT_ERR(ENOSPC, ioasid_layout_plan(&ep, 1, 2 * GIB, &opts, ram, &nr));
	}
	ioasid_dev_close(dev);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
}

int main(void)
{
	char bdfs[8][IOASID_NAME_MAX];
	int n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ctx = vt_kernel_ctx();
	n = vt_find_pci_all(VT_EDU_VENDOR, VT_EDU_DEVICE, bdfs, 8);
	if (!n)
		vt_fail("no edu device (%04x:%04x); is QEMU run with -device edu?",
			VT_EDU_VENDOR, VT_EDU_DEVICE);
	for (int i = 0; i < n && i < 8; i++)
		test_edu(bdfs[i]);
	test_mock();
	ioasid_ctx_close(ctx);
	vt_say("PASS");
	return 0;
}
