// SPDX-License-Identifier: MIT
/*
 * Real DMA through the library's kernel backend, in the VM suite's guest.
 *
 * QEMU's edu device is bound to vfio-pci with ioasid_dev_set_driver(),
 * opened by PCI address, bound and attached to an IOAS; edu copies bytes
 * RAM -> edu -> RAM through IOVAs mapped with ioasid_ioas_map().  Then the
 * destination is unmapped and the same DMA must be blocked, and after
 * ioasid_dev_replace() to a second IOAS the DMA must follow the second
 * IOAS's mappings.  Also: what sysfs reports for the device (driver, cdev,
 * group, its msi reserved region, PASID class) and the usable IOVA ranges
 * (a hole for the msi region sysfs lists, and the top IOVA the IOMMU's
 * IOMMU_GET_HW_INFO implies, tests/vm/lib/vm_hw.h).  Every edu device the
 * guest has goes through all of it in turn.
 *
 * tests/vm/edu_dma_raw.c does the same with bare ioctls; edu's registers
 * and QEMU 7.2's quirks are described there.
 */
#include "edu.h"
#include "core.h"
#include "kernel.h"
#include "vmtest.h"

/* Below edu's 28-bit DMA mask, a MiB apart: aligned for any page size. */
#define IOVA_SRC 0x100000ull
#define IOVA_DST 0x200000ull
/* One host page: 64 KiB on the arm64-64k kernel, the smallest the IOAS maps. */
#define PAGE vt_page_size()

/* What the hardware reports: the msi region of the device's group
 * (sysfs) and the top IOVA from IOMMU_GET_HW_INFO, once bound. */
static uint64_t msi_start, msi_last, hw_top;

/* RAM(src) -> edu -> RAM(dst), through whatever the IOMMU maps now. */
static void round_trip(volatile uint8_t *bar)
{
	edu_dma(bar, IOVA_SRC, EDU_BUFFER_ADDR, false);
	edu_dma(bar, EDU_BUFFER_ADDR, IOVA_DST, true);
}

static uint8_t *page_alloc(void)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	VT_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

/* @buf holds @fill everywhere (memory a blocked DMA must not touch). */
static void expect_fill(const uint8_t *buf, uint8_t fill, const char *what)
{
	for (size_t i = 0; i < PAGE; i++)
		VT_CHECK(buf[i] == fill, "%s: byte %zu is 0x%02x, expected 0x%02x",
			 what, i, buf[i], fill);
}

/* @dst holds @src's first EDU_DMA_LEN bytes and @rest after them. */
static void expect_copy(const uint8_t *dst, const uint8_t *src, uint8_t rest,
			const char *what)
{
	for (size_t i = 0; i < PAGE; i++) {
		uint8_t want = i < EDU_DMA_LEN ? src[i] : rest;

		VT_CHECK(dst[i] == want, "%s: byte %zu is 0x%02x, expected 0x%02x",
			 what, i, dst[i], want);
	}
}

static void check_ranges(struct ioasid_ctx *ctx, uint32_t ioas)
{
	struct ioasid_iova_range ranges[16];
	uint32_t num = 0, i;
	uint64_t align = 0;
	bool hole = false;

	/* Sizing call first, as a VMM would make it. */
	VT_ERR(EMSGSIZE, ioasid_ioas_iova_ranges(ctx, ioas, NULL, &num, &align));
	VT_CHECK(num >= 2 && num <= 16, "%u ranges", num);
	VT_OK(ioasid_ioas_iova_ranges(ctx, ioas, ranges, &num, &align));
	vt_say("ioas %u: %u usable ranges, alignment 0x%llx", ioas, num,
	       (unsigned long long)align);
	for (i = 0; i < num; i++) {
		vt_say("  0x%016llx-0x%016llx",
		       (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);
		if (i && ranges[i - 1].last == msi_start - 1 &&
		    ranges[i].start == msi_last + 1)
			hole = true;
	}
	VT_CHECK(hole, "no hole for the MSI window 0x%llx-0x%llx",
		 (unsigned long long)msi_start, (unsigned long long)msi_last);
	VT_CHECK(ranges[num - 1].last == hw_top,
		 "last usable IOVA 0x%llx, GET_HW_INFO implies 0x%llx",
		 (unsigned long long)ranges[num - 1].last,
		 (unsigned long long)hw_top);
	VT_CHECK(align == PAGE, "alignment 0x%llx", (unsigned long long)align);
}

/* sysfs as the library reports it, before and after the bind. */
static void check_info(struct ioasid_ctx *ctx, const char *bdf,
		       struct ioasid_dev_info *info)
{
	struct ioasid_resv_region regions[16];
	uint32_t num = 16, i;
	bool msi = false;

	VT_OK(ioasid_dev_info_get(ctx, bdf, info));
	vt_say("%s: driver %s, cdev %s, group %d, iommu %s, %04x:%04x, class %s (source %d), pasid width %u",
	       info->name, info->driver, info->cdev, info->group, info->iommu,
	       info->vendor_id, info->device_id,
	       ioasid_dev_class_name(info->dev_class), info->class_source,
	       info->pasid_width);
	VT_CHECK(!strcmp(info->name, bdf), "name %s", info->name);
	VT_CHECK(info->kind == IOASID_DEV_PCI, "kind %d", info->kind);
	VT_CHECK(!strcmp(info->driver, "vfio-pci"), "driver \"%s\"", info->driver);
	VT_CHECK(!strncmp(info->cdev, "/dev/vfio/devices/vfio", 22), "cdev \"%s\"",
		 info->cdev);
	VT_CHECK(info->group >= 0, "group %d", info->group);
	{
		char path[PATH_MAX], link[PATH_MAX];
		ssize_t len;
		const char *base;

		/* The IOMMU sysfs links the device to (dmar0, smmu3.0x...). */
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu", bdf);
		len = readlink(path, link, sizeof(link) - 1);
		VT_CHECK(len > 0, "readlink %s: %s", path, strerror(errno));
		link[len] = '\0';
		base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
		VT_CHECK(!strcmp(info->iommu, base), "iommu \"%s\", sysfs links %s",
			 info->iommu, base);
	}
	VT_CHECK(info->vendor_id == VT_EDU_VENDOR &&
			 info->device_id == VT_EDU_DEVICE,
		 "ids %04x:%04x", info->vendor_id, info->device_id);
	/* edu has no PASID capability, and root can read config space. */
	VT_CHECK(info->dev_class == IOASID_CLASS_RID_ONLY && !info->pasid_width,
		 "class %d width %u", info->dev_class, info->pasid_width);
	VT_CHECK(info->class_source == IOASID_CLASS_SRC_HARDWARE,
		 "class source %d", info->class_source);

	VT_OK(ioasid_group_resv_regions(ctx, info->group, regions, &num));
	for (i = 0; i < num; i++) {
		vt_say("  group %d reserved 0x%llx-0x%llx %s", info->group,
		       (unsigned long long)regions[i].start,
		       (unsigned long long)regions[i].last,
		       ioasid_resv_type_name(regions[i].type));
		/* sysfs's "msi" is sw-msi for the library where the kernel
		 * maps the window itself (SMMUv3, lib/host/sysfs.c). */
		if (regions[i].start == msi_start && regions[i].last == msi_last &&
		    (regions[i].type == IOASID_RESV_MSI ||
		     regions[i].type == IOASID_RESV_SW_MSI))
			msi = true;
	}
	VT_CHECK(msi, "group %d: the library lacks sysfs's msi region 0x%llx-0x%llx",
		 info->group, (unsigned long long)msi_start,
		 (unsigned long long)msi_last);
}

static void test_edu(struct ioasid_ctx *ctx, const char *bdf)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_hw_info hw = { .sz = sizeof(hw) };
	size_t bar_size;
	uint64_t iova, unmapped = 0;
	uint32_t ioas_a, ioas_b, dev_id, hwpt_a, hwpt_b;
	uint8_t *src_a, *dst_a, *src_b, *dst_b;
	struct ioasid_dev *dev;
	volatile uint8_t *bar;
	int devfd;

	vt_say("edu %s", bdf);
	vt_msi_window(bdf, &msi_start, &msi_last);
	/* Bind through the library; a second call finds it done. */
	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
	check_info(ctx, bdf, &info);

	VT_OK(ioasid_dev_open(ctx, bdf, &dev));
	VT_ERR(EBUSY, ioasid_dev_open(ctx, bdf, &(struct ioasid_dev *){ NULL }));
	VT_ERR(EBUSY, ioasid_dev_set_driver(ctx, bdf, NULL, NULL));
	VT_OK(ioasid_dev_bind(dev, &dev_id));
	VT_CHECK(dev_id && ioasid_dev_id(dev) == dev_id, "dev id %u", dev_id);
	VT_OK(ioasid_dev_hw_info(dev, &hw, NULL, 0));
	vt_say("hw info: type %u, max_pasid_log2 %u, capabilities 0x%llx, data %u bytes",
	       hw.type, hw.max_pasid_log2, (unsigned long long)hw.capabilities,
	       hw.data_len);
	hw_top = vt_dev_hw_top(ctx, dev);
	vt_say("hw info: the top IOVA is 0x%llx", (unsigned long long)hw_top);
	/* Bound: the class now also reflects what the IOMMU reports. */
	check_info(ctx, bdf, &info);

	VT_OK(ioasid_ioas_alloc(ctx, &ioas_a));
	VT_OK(ioasid_dev_attach(dev, ioas_a, &hwpt_a));
	vt_say("dev %u attached to ioas %u through hwpt %u", dev_id, ioas_a,
	       hwpt_a);
	VT_CHECK(hwpt_a && hwpt_a != ioas_a, "hwpt %u", hwpt_a);
	VT_CHECK(ioasid_dev_pt_id(dev) == ioas_a &&
			 ioasid_dev_hwpt_id(dev) == hwpt_a,
		 "pt %u hwpt %u", ioasid_dev_pt_id(dev), ioasid_dev_hwpt_id(dev));
	check_ranges(ctx, ioas_a);
	/* The MSI window cannot be mapped. */
	src_a = page_alloc();
	iova = msi_start;
	VT_ERR(EINVAL, ioasid_ioas_map(ctx, ioas_a, src_a, PAGE, &iova, NULL));

	dst_a = page_alloc();
	for (size_t i = 0; i < PAGE; i++)
		src_a[i] = (uint8_t)(i * 7 + 3);
	memset(dst_a, 0, PAGE);
	IOASID_OPTS(ioasid_map_opts, read_only, .flags = IOASID_MAP_READ);
	iova = IOVA_SRC;
	VT_OK(ioasid_ioas_map(ctx, ioas_a, src_a, PAGE, &iova, &read_only));
	iova = IOVA_DST;
	VT_OK(ioasid_ioas_map(ctx, ioas_a, dst_a, PAGE, &iova, NULL));
	VT_CHECK(iova == IOVA_DST, "iova 0x%llx", (unsigned long long)iova);

	devfd = ioasid_dev_fd(dev);
	VT_CHECK(devfd >= 0, "device fd %d", devfd);
	bar = edu_map_bar0(devfd, &bar_size);

	round_trip(bar);
	expect_copy(dst_a, src_a, 0, "ioas A after RAM->edu->RAM");
	vt_say("DMA through ioas %u: %d bytes arrived, rest untouched", ioas_a,
	       EDU_DMA_LEN);

	VT_OK(ioasid_ioas_unmap(ctx, ioas_a, IOVA_DST, PAGE, &unmapped));
	VT_CHECK(unmapped == PAGE, "unmapped 0x%llx", (unsigned long long)unmapped);
	memset(dst_a, 0x5a, PAGE);
	edu_dma_len(bar, EDU_BUFFER_ADDR, IOVA_DST, EDU_BLOCKED_LEN, true);
	expect_fill(dst_a, 0x5a, "DMA to an unmapped IOVA");
	vt_say("after unmap: DMA to iova 0x%llx blocked, memory unchanged",
	       (unsigned long long)IOVA_DST);

	/* Second IOAS, same IOVAs, other pages; the first keeps a mapping
	 * at the destination so that a DMA staying there would show. */
	iova = IOVA_DST;
	VT_OK(ioasid_ioas_map(ctx, ioas_a, dst_a, PAGE, &iova, NULL));
	VT_OK(ioasid_ioas_alloc(ctx, &ioas_b));
	src_b = page_alloc();
	dst_b = page_alloc();
	for (size_t i = 0; i < PAGE; i++)
		src_b[i] = (uint8_t)(0xff - i * 13);
	memset(dst_b, 0x11, PAGE);
	iova = IOVA_SRC;
	VT_OK(ioasid_ioas_map(ctx, ioas_b, src_b, PAGE, &iova, NULL));
	iova = IOVA_DST;
	VT_OK(ioasid_ioas_map(ctx, ioas_b, dst_b, PAGE, &iova, NULL));
	VT_OK(ioasid_dev_replace(dev, ioas_b, &hwpt_b));
	VT_CHECK(ioasid_dev_pt_id(dev) == ioas_b && hwpt_b != hwpt_a,
		 "pt %u hwpt %u", ioasid_dev_pt_id(dev), hwpt_b);
	vt_say("replaced: ioas %u through hwpt %u", ioas_b, hwpt_b);
	check_ranges(ctx, ioas_b);
	round_trip(bar);
	expect_copy(dst_b, src_b, 0x11, "ioas B after replace");
	expect_fill(dst_a, 0x5a, "ioas A's destination after replace");
	vt_say("after replace: DMA followed ioas %u, ioas %u's pages untouched",
	       ioas_b, ioas_a);

	/* Objects in use cannot go; unused ones can. */
	VT_ERR(EBUSY, ioasid_ioas_destroy(ctx, ioas_b));
	VT_ERR(ENOENT, ioasid_hwpt_destroy(ctx, hwpt_a));
	VT_OK(ioasid_ioas_destroy(ctx, ioas_a));
	VT_OK(ioasid_dev_detach(dev));
	VT_OK(ioasid_ioas_destroy(ctx, ioas_b));
	munmap((void *)bar, bar_size);
	ioasid_dev_close(dev);

	/* Back to the default driver: edu has none in this guest. */
	VT_OK(ioasid_dev_set_driver(ctx, bdf, NULL, NULL));
	VT_OK(ioasid_dev_info_get(ctx, bdf, &info));
	VT_CHECK(!strcmp(info.driver, "") && !info.cdev[0],
		 "driver \"%s\" cdev \"%s\" after returning the device",
		 info.driver, info.cdev);
}

int main(void)
{
	vt_each_edu(test_edu);
	return 0;
}
