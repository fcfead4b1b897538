// SPDX-License-Identifier: MIT
/*
 * VFIO no-IOMMU mode through iommufd (Linux 7.3), in the VM variant
 * "noiommu" (tests/vm/run.sh: q35 without an IOMMU,
 * vfio.enable_unsafe_noiommu_mode=1, edu with a 64-bit DMA mask).
 *
 * edu is bound to vfio-pci and gets a noiommu-vfioN cdev, which binds to
 * the iommufd and attaches to an IOAS; IOMMU_GET_HW_INFO has nothing to
 * report (EOPNOTSUPP).  ioasid_ioas_noiommu_get_pa() then gives the
 * physical addresses of mapped IOVAs: checked against /proc/self/pagemap
 * (page offset kept, the contiguous run it reports), over a 2 MiB huge
 * page contiguous to its end, and used for real edu DMA, whose bytes
 * must land in the buffers.  Then the refusals: nothing mapped, a missing
 * IOAS (ENOENT), length 0 (EINVAL), flags (EOPNOTSUPP), the last IOVA
 * (EOVERFLOW), an IOAS without the device (EOPNOTSUPP), CAP_SYS_RAWIO
 * dropped from the effective set (EPERM); after detach the IOAS is not in
 * no-IOMMU use any more (EOPNOTSUPP), and after a new attach it is again.
 *
 * On a guest with an IOMMU (every other variant) edu gets an ordinary
 * cdev; an IOAS it is attached to through its IOMMU is not in no-IOMMU
 * use, so ioasid_ioas_noiommu_get_pa() of a mapped IOVA is refused with
 * EOPNOTSUPP and a message saying so, and of an unmapped one with ENOENT.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include "edu.h"
#include "vmtest.h"

#define PAGE vt_page_size() /* the CPU page: pagemap entries are per page */
#define HUGE (2ull << 20)
#define IOVA_BUF 0x100000ull  /* 4 pages of anonymous memory */
#define IOVA_HUGE 0x400000ull /* one 2 MiB huge page */
#define IOVA_NONE 0x5000000ull
#define BUF_PAGES 4

static int pagemap_fd = -1;

/* The physical address of the byte at @va, from /proc/self/pagemap
 * (root sees the page frame numbers). */
static uint64_t pagemap_pa(const void *va)
{
	uint64_t entry, pfn;
	off_t off = (off_t)((uintptr_t)va / PAGE) * 8;

	VT_CHECK(pread(pagemap_fd, &entry, 8, off) == 8, "pread pagemap: %s",
		 strerror(errno));
	VT_CHECK(entry & (1ull << 63), "page of %p not present", va);
	pfn = entry & ((1ull << 55) - 1);
	VT_CHECK(pfn, "pagemap hides the frame of %p (needs CAP_SYS_ADMIN)", va);
	return pfn * PAGE + (uintptr_t)va % PAGE;
}

/* How many bytes from @va, at most @max, pagemap says are physically
 * contiguous. */
static uint64_t pagemap_run(const uint8_t *va, uint64_t max)
{
	uint64_t start = pagemap_pa(va);
	uint64_t run = PAGE - (uintptr_t)va % PAGE;

	while (run < max && pagemap_pa(va + run) == start + run)
		run += PAGE;
	return run < max ? run : max;
}

static int noiommu_mode(void)
{
	char c = 'N';
	int fd = open("/sys/module/vfio/parameters/enable_unsafe_noiommu_mode",
		      O_RDONLY);

	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = 'N';
	close(fd);
	return c == 'Y' || c == '1';
}

static void *map_anon(uint64_t len, int extra)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);

	VT_CHECK(p != MAP_FAILED, "mmap 0x%llx: %s", (unsigned long long)len,
		 strerror(errno));
	memset(p, 0, len);
	return p;
}

static uint64_t get_pa(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova,
		       uint64_t len, uint64_t *contig)
{
	uint64_t pa = 0;

	VT_OK(ioasid_ioas_noiommu_get_pa(ctx, ioas, iova, len, NULL, &pa, contig));
	return pa;
}

/* Every page of [@iova, + @len) against pagemap, from several offsets. */
static void check_buffer(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova,
			 const uint8_t *va, uint64_t len)
{
	const uint64_t offs[] = { 0, 0x123, PAGE - 1 };

	for (uint64_t page = 0; page < len; page += PAGE) {
		for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
			uint64_t at = page + offs[i], contig = 0;
			uint64_t pa = get_pa(ctx, ioas, iova + at, len, &contig);
			uint64_t want = pagemap_pa(va + at);
			uint64_t run = pagemap_run(va + at, len - at);

			VT_CHECK(pa == want,
				 "iova 0x%llx: pa 0x%llx, pagemap 0x%llx",
				 (unsigned long long)(iova + at),
				 (unsigned long long)pa,
				 (unsigned long long)want);
			VT_CHECK(pa % PAGE == (iova + at) % PAGE,
				 "iova 0x%llx: pa 0x%llx lost the page offset",
				 (unsigned long long)(iova + at),
				 (unsigned long long)pa);
			VT_CHECK(contig == run,
				 "iova 0x%llx: contig 0x%llx, pagemap's run 0x%llx",
				 (unsigned long long)(iova + at),
				 (unsigned long long)contig,
				 (unsigned long long)run);
		}
	}
	/* The length caps the answer. */
	{
		uint64_t contig = 0;

		get_pa(ctx, ioas, iova + 0x10, 0x20, &contig);
		VT_CHECK(contig == 0x20, "contig 0x%llx for length 0x20",
			 (unsigned long long)contig);
	}
}

static void fill(uint8_t *p, uint64_t len, uint8_t seed)
{
	for (uint64_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void expect_bytes(const uint8_t *got, const uint8_t *want, uint64_t len,
			 const char *what)
{
	for (uint64_t i = 0; i < len; i++)
		VT_CHECK(got[i] == want[i], "%s: byte %llu is 0x%02x, expected 0x%02x",
			 what, (unsigned long long)i, got[i], want[i]);
}

static void test_noiommu(struct ioasid_ctx *ctx, const char *bdf)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_hw_info hw = { .sz = sizeof(hw) };
	IOASID_OPTS(ioasid_noiommu_get_pa_opts, bad_flags, .flags = 1);
	uint64_t iova, pa, contig = 0, src_pa, dst_pa, huge_pa;
	uint32_t ioas, other, dev_id, hwpt;
	uint8_t *buf, *huge, *src;
	const char *base;
	struct ioasid_dev *dev;
	volatile uint8_t *bar;
	size_t bar_size;
	struct stat st;

	vt_say("edu %s", bdf);
	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
	VT_OK(ioasid_dev_info_get(ctx, bdf, &info));
	vt_say("%s: driver %s, cdev %s, group %d, iommu \"%s\"", info.name,
	       info.driver, info.cdev, info.group, info.iommu);
	base = strrchr(info.cdev, '/');
	base = base ? base + 1 : info.cdev;
	VT_CHECK(!strncmp(info.cdev, "/dev/vfio/devices/", 18) &&
			 !strncmp(base, "noiommu-vfio", 12),
		 "cdev \"%s\", expected /dev/vfio/devices/noiommu-vfioN", info.cdev);
	VT_CHECK(stat(info.cdev, &st) == 0 && S_ISCHR(st.st_mode),
		 "%s: %s", info.cdev, strerror(errno));
	VT_CHECK(!info.iommu[0], "iommu \"%s\" in no-IOMMU mode", info.iommu);

	VT_OK(ioasid_dev_open(ctx, bdf, &dev));
	VT_OK(ioasid_dev_bind(dev, &dev_id));
	vt_say("%s bound: dev id %u", base, dev_id);
	/* iommufd_get_hw_info(): a no-IOMMU device has nothing to report. */
	VT_ERR(EOPNOTSUPP, ioasid_dev_hw_info(dev, &hw, NULL, 0));
	vt_say("GET_HW_INFO refused: %s", ioasid_errmsg());

	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(dev, ioas, &hwpt));
	vt_say("attached to ioas %u through hwpt %u", ioas, hwpt);

	/* Anonymous pages: any frames; the kernel's answer is pagemap's. */
	buf = map_anon(BUF_PAGES * PAGE, 0);
	iova = IOVA_BUF;
	VT_OK(ioasid_ioas_map(ctx, ioas, buf, BUF_PAGES * PAGE, &iova, NULL));
	check_buffer(ctx, ioas, IOVA_BUF, buf, BUF_PAGES * PAGE);
	pa = get_pa(ctx, ioas, IOVA_BUF, BUF_PAGES * PAGE, &contig);
	vt_say("iova 0x%llx: pa 0x%llx, contiguous 0x%llx of 0x%llx",
	       (unsigned long long)IOVA_BUF, (unsigned long long)pa,
	       (unsigned long long)contig,
	       (unsigned long long)(BUF_PAGES * PAGE));

	/* A huge page is one physical run of 2 MiB; past its end the
	 * mapping ends, which caps the answer too. */
	huge = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	VT_CHECK(huge != MAP_FAILED, "mmap 2 MiB MAP_HUGETLB: %s (run.sh --hugepages)",
		 strerror(errno));
	memset(huge, 0, HUGE);
	iova = IOVA_HUGE;
	VT_OK(ioasid_ioas_map(ctx, ioas, huge, HUGE, &iova, NULL));
	huge_pa = get_pa(ctx, ioas, IOVA_HUGE, HUGE, &contig);
	vt_say("huge page: iova 0x%llx pa 0x%llx contiguous 0x%llx",
	       (unsigned long long)IOVA_HUGE, (unsigned long long)huge_pa,
	       (unsigned long long)contig);
	VT_CHECK(contig == HUGE, "huge page contiguous over 0x%llx, not 2 MiB",
		 (unsigned long long)contig);
	VT_CHECK(huge_pa % HUGE == 0, "huge page at pa 0x%llx",
		 (unsigned long long)huge_pa);
	VT_CHECK(huge_pa == pagemap_pa(huge), "huge pa 0x%llx, pagemap 0x%llx",
		 (unsigned long long)huge_pa, (unsigned long long)pagemap_pa(huge));
	pa = get_pa(ctx, ioas, IOVA_HUGE + 0x1234, 4 * HUGE, &contig);
	VT_CHECK(pa == huge_pa + 0x1234 && contig == HUGE - 0x1234,
		 "iova 0x%llx: pa 0x%llx contig 0x%llx, expected 0x%llx and 0x%llx",
		 (unsigned long long)(IOVA_HUGE + 0x1234), (unsigned long long)pa,
		 (unsigned long long)contig,
		 (unsigned long long)(huge_pa + 0x1234),
		 (unsigned long long)(HUGE - 0x1234));

	/* Real DMA to the physical addresses: page 0 of the buffer to edu
	 * and back into page 2, then into the huge page 1 MiB in (reached
	 * from its first byte's address, so only if it is contiguous). */
	src = buf;
	fill(src, EDU_DMA_LEN, 0x31);
	src_pa = get_pa(ctx, ioas, IOVA_BUF, EDU_DMA_LEN, &contig);
	VT_CHECK(contig == EDU_DMA_LEN, "contig 0x%llx", (unsigned long long)contig);
	dst_pa = get_pa(ctx, ioas, IOVA_BUF + 2 * PAGE, EDU_DMA_LEN, &contig);
	VT_CHECK(contig == EDU_DMA_LEN, "contig 0x%llx", (unsigned long long)contig);
	bar = edu_map_bar0(ioasid_dev_fd(dev), &bar_size);
	edu_dma(bar, src_pa, EDU_BUFFER_ADDR, false);
	edu_dma(bar, EDU_BUFFER_ADDR, dst_pa, true);
	expect_bytes(buf + 2 * PAGE, src, EDU_DMA_LEN, "DMA to page 2's pa");
	edu_dma(bar, EDU_BUFFER_ADDR, huge_pa + HUGE / 2, true);
	expect_bytes(huge + HUGE / 2, src, EDU_DMA_LEN,
		     "DMA to the huge page's pa + 1 MiB");
	VT_CHECK(huge[HUGE / 2 - 1] == 0 && huge[HUGE / 2 + EDU_DMA_LEN] == 0,
		 "DMA wrote outside its %d bytes", EDU_DMA_LEN);
	vt_say("edu DMA: pa 0x%llx -> edu -> pa 0x%llx and pa 0x%llx: %d bytes each",
	       (unsigned long long)src_pa, (unsigned long long)dst_pa,
	       (unsigned long long)(huge_pa + HUGE / 2), EDU_DMA_LEN);

	/* Refusals. */
	VT_ERR_MSG(ENOENT, "nothing is mapped",
		   ioasid_ioas_noiommu_get_pa(ctx, ioas, IOVA_NONE, PAGE, NULL, &pa, &contig));
	VT_ERR_MSG(ENOENT, "nothing is mapped",
		   ioasid_ioas_noiommu_get_pa(ctx, ioas, IOVA_BUF + BUF_PAGES * PAGE,
					      PAGE, NULL, &pa, &contig));
	VT_ERR_MSG(ENOENT, "does not exist",
		   ioasid_ioas_noiommu_get_pa(ctx, 999, IOVA_BUF, PAGE, NULL, &pa, &contig));
	VT_ERR_MSG(EINVAL, "length is 0",
		   ioasid_ioas_noiommu_get_pa(ctx, ioas, IOVA_BUF, 0, NULL, &pa, &contig));
	VT_ERR_MSG(EOPNOTSUPP, "flags",
		   ioasid_ioas_noiommu_get_pa(ctx, ioas, IOVA_BUF, PAGE, &bad_flags, &pa,
					      &contig));
	VT_ERR(EOVERFLOW, ioasid_ioas_noiommu_get_pa(ctx, ioas, UINT64_MAX, 1, NULL,
						     &pa, &contig));
	VT_OK(ioasid_ioas_alloc(ctx, &other));
	iova = IOVA_BUF;
	VT_OK(ioasid_ioas_map(ctx, other, buf, PAGE, &iova, NULL));
	VT_ERR_MSG(EOPNOTSUPP, "not in no-IOMMU use",
		   ioasid_ioas_noiommu_get_pa(ctx, other, IOVA_BUF, PAGE, NULL, &pa, &contig));
	vt_say("an IOAS without the device: %s", ioasid_errmsg());
	VT_OK(ioasid_ioas_destroy(ctx, other));

	vt_set_effective_cap(CAP_SYS_RAWIO, false);
	VT_ERR_MSG(EPERM, "CAP_SYS_RAWIO",
		   ioasid_ioas_noiommu_get_pa(ctx, ioas, IOVA_BUF, PAGE, NULL, &pa, &contig));
	vt_say("without CAP_SYS_RAWIO: %s", ioasid_errmsg());
	vt_set_effective_cap(CAP_SYS_RAWIO, true);
	VT_CHECK(get_pa(ctx, ioas, IOVA_BUF, PAGE, &contig) == src_pa,
		 "the answer changed after CAP_SYS_RAWIO came back");

	/* Detached, the IOAS keeps its mappings but no software page table
	 * has them; attached again, it has. */
	munmap((void *)bar, bar_size);
	VT_OK(ioasid_dev_detach(dev));
	VT_ERR_MSG(EOPNOTSUPP, "not in no-IOMMU use",
		   ioasid_ioas_noiommu_get_pa(ctx, ioas, IOVA_BUF, PAGE, NULL, &pa, &contig));
	vt_say("after detach: %s", ioasid_errmsg());
	VT_OK(ioasid_dev_attach(dev, ioas, &hwpt));
	VT_CHECK(get_pa(ctx, ioas, IOVA_HUGE, HUGE, &contig) == huge_pa &&
			 contig == HUGE,
		 "after a new attach (hwpt %u): pa or contig 0x%llx changed", hwpt,
		 (unsigned long long)contig);
	vt_say("attached again (hwpt %u): same answers", hwpt);

	VT_OK(ioasid_dev_detach(dev));
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	ioasid_dev_close(dev);
	munmap(huge, HUGE);
	munmap(buf, BUF_PAGES * PAGE);
	VT_OK(ioasid_dev_set_driver(ctx, bdf, NULL, NULL));
}

/* A guest with an IOMMU: no physical addresses are given out. */
static void test_with_iommu(struct ioasid_ctx *ctx, const char *bdf)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), iova = IOVA_BUF, pa, contig;
	struct ioasid_dev *dev;
	uint32_t ioas;
	void *buf = map_anon(page, MAP_POPULATE);

	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
	VT_OK(ioasid_dev_open(ctx, bdf, &dev));
	VT_OK(ioasid_dev_bind(dev, NULL));
	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(dev, ioas, NULL));
	VT_OK(ioasid_ioas_map(ctx, ioas, buf, page, &iova, NULL));
	VT_ERR_MSG(EOPNOTSUPP, "no-IOMMU",
		   ioasid_ioas_noiommu_get_pa(ctx, ioas, IOVA_BUF, page, NULL, &pa, &contig));
	vt_say("%s through its IOMMU: %s", bdf, ioasid_errmsg());
	VT_ERR(ENOENT, ioasid_ioas_noiommu_get_pa(ctx, ioas, IOVA_NONE, page, NULL, &pa,
						  &contig));
	VT_OK(ioasid_ioas_unmap(ctx, ioas, IOVA_BUF, page, NULL));
	VT_OK(ioasid_dev_detach(dev));
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	ioasid_dev_close(dev);
	munmap(buf, page);
}

int main(void)
{
	if (!noiommu_mode()) {
		vt_say("not in VFIO no-IOMMU mode: the refusals with an IOMMU");
		vt_each_edu(test_with_iommu);
		return 0;
	}
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	VT_CHECK(pagemap_fd >= 0, "/proc/self/pagemap: %s", strerror(errno));
	vt_each_edu(test_noiommu);
	close(pagemap_fd);
	return 0;
}
