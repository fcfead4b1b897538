// SPDX-License-Identifier: MIT
/*
 * The virtio-iommu device model in shadow mode on the real kernel (issue
 * 5, item 9).  Guest requests go through ioasid_virtio_iommu_handle_request()
 * as a VMM's request queue would hand them over, with a buffer the test
 * registers as guest RAM:
 *
 * - mock devices (CONFIG_IOMMUFD_TEST): after ATTACH and MAP, the mock
 *   HWPT of every endpoint of the domain maps the guest's IOVA to the host
 *   memory behind the guest page the MAP named
 *   (IOMMU_TEST_OP_MD_CHECK_MAP); after UNMAP it does not; a MAP outside
 *   guest RAM never reaches the kernel;
 * - QEMU's edu device behind the emulated VT-d: after a guest MAP, an edu
 *   DMA to that IOVA lands in the guest page the MAP named and nowhere
 *   else; after the guest's UNMAP the IOMMU blocks the same DMA and the
 *   page stays as it was; its PROBE reports the group's MSI window (the
 *   host's, from sysfs) as the one RESV_MEM property of subtype MSI.
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <ioasid/virtio-iommu.h>

#include "edu.h"
#include "core.h"
#include "kernel.h"
#include "viommu_req.h"
#include "vmtest.h"

/* One host page: the device model's granule (64 KiB on the arm64-64k
 * kernel); every offset below is a number of them. */
#define PAGE vt_page_size()
#define RAM_SIZE (4ull << 20)

static struct ioasid_ctx *ctx;

/* One request, split over two readable buffers the way a driver may
 * chain descriptors; returns the status byte of the reply. */
static int submit(struct ioasid_virtio_iommu *v, const uint8_t *req, size_t len)
{
	uint8_t tail[4] = { 0xff, 0xff, 0xff, 0xff };
	struct iovec out[2] = { { (void *)req, 4 },
				{ (void *)(req + 4), len - 4 } };
	struct iovec in = { tail, sizeof(tail) };
	uint32_t used = 0;

	VT_OK(ioasid_virtio_iommu_handle_request(v, out, 2, &in, 1, &used));
	VT_CHECK(used == 4, "used length %u", used);
	return tail[0];
}

static struct ioasid_virtio_iommu *new_viommu(void)
{
	IOASID_OPTS(ioasid_virtio_iommu_opts, opts);
	struct ioasid_virtio_iommu *v = NULL;

	VT_OK(ioasid_virtio_iommu_create(ctx, &opts, &v));
	return v;
}

/* Guest RAM: an anonymous mapping, touched so it is populated. */
static uint8_t *guest_ram(void)
{
	uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	VT_CHECK(ram != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(ram, 0, RAM_SIZE);
	return ram;
}

/* Whether mock HWPT @hwpt maps [iova, iova+len) to @va. */
static bool mock_maps(uint32_t hwpt, uint64_t iova, uint64_t len,
		      const void *va)
{
	return ioasid_kernel_mock_check_map(ctx->be, hwpt, iova, len, va) == 0;
}

/* ------------------------------------------------------------------ */
/* Mock devices                                                         */

#define MOCK_GPA 0x80000000ull	/* guest-physical base of the RAM slot */
#define MOCK_IOVA 0x1000000ull	/* inside the mock aperture (16M-2G) */
#define EP_MOCK_A 0x10u
#define EP_MOCK_B 0x18u

/* The VMM's log lines, kept for check_small_page_map(). */
static char last_warning[512];

static void keep_warning(enum ioasid_print_level level, const char *msg,
			 void *data)
{
	(void)data;
	if (level == IOASID_WARN)
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

/*
 * A guest with 4 KiB pages on a host whose page (the granule the device
 * offers in page_size_mask) is larger: its 4 KiB MAP is answered RANGE
 * (virtio 1.3, MAP: virt_start, phys_start and virt_end + 1 aligned to
 * the granule), nothing reaches the kernel, and the VMM gets a warning
 * naming the granule.  On a 4 KiB-page host a 4 KiB MAP is simply legal,
 * so this runs where the granule is larger (the arm64-64k kernel).
 */
static void check_small_page_map(struct ioasid_virtio_iommu *v, uint32_t hwpt,
				 uint8_t *ram)
{
	uint64_t iova = MOCK_IOVA + 64 * PAGE;
	char want[64];
	ioasid_print_fn_t old;

	if (PAGE <= 4096) {
		vt_say("host page 0x%llx: a 4 KiB guest MAP is aligned here; the refusal runs on larger pages",
		       PAGE);
		return;
	}
	last_warning[0] = '\0';
	old = ioasid_set_print(keep_warning, NULL);
	VT_CHECK(map(v, 1, iova, 4096, MOCK_GPA + 8 * PAGE, MAP_READ) == 5 /* RANGE */,
		 "a 4 KiB MAP on a 0x%llx granule was not answered RANGE", PAGE);
	/* Aligned start and address, only the end short: RANGE too. */
	VT_CHECK(map(v, 1, iova, PAGE + 4096, MOCK_GPA + 8 * PAGE, MAP_READ) == 5,
		 "a MAP of a page and 4 KiB was not answered RANGE");
	ioasid_set_print(old, NULL);
	VT_CHECK(!mock_maps(hwpt, iova, PAGE, ram + 8 * PAGE),
		 "a refused 4 KiB MAP reached the kernel");
	snprintf(want, sizeof(want), "granule of 0x%llx bytes", PAGE);
	VT_CHECK(strstr(last_warning, want),
		 "warning for the refused MAP does not name the granule (%s): \"%s\"",
		 want, last_warning);
	vt_say("4 KiB guest MAP on a 0x%llx granule: RANGE, nothing mapped; the VMM was told: %s",
	       PAGE, last_warning);
}

static void test_mock(void)
{
	struct ioasid_dev *a = NULL, *b = NULL;
	struct ioasid_virtio_iommu *v;
	uint32_t ioas = 0, ha, hb;
	uint8_t *ram;
	int rc;

	VT_OK(ioasid_dev_open(ctx, "mock0", &a));
	rc = ioasid_dev_bind(a, NULL);
	if (rc == -ENOTTY) {
		vt_say("no mock devices (CONFIG_IOMMUFD_TEST): %s; mock part skipped",
		       ioasid_errmsg());
		ioasid_dev_close(a);
		return;
	}
	VT_OK(rc);
	VT_OK(ioasid_dev_open(ctx, "mock1", &b));
	VT_OK(ioasid_dev_bind(b, NULL));

	v = new_viommu();
	ram = guest_ram();
	VT_OK(ioasid_virtio_iommu_add_ram(v, MOCK_GPA, RAM_SIZE, ram));
	VT_OK(ioasid_virtio_iommu_add_endpoint(v, EP_MOCK_A, a, NULL));
	VT_OK(ioasid_virtio_iommu_add_endpoint(v, EP_MOCK_B, b, NULL));
	VT_OK(ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v)));

	/* Both endpoints in domain 1: one IOAS, both attached to it. */
	VT_CHECK(attach(v, 1, EP_MOCK_A) == S_OK, "ATTACH a");
	VT_CHECK(attach(v, 1, EP_MOCK_B) == S_OK, "ATTACH b");
	VT_OK(ioasid_virtio_iommu_domain_ioas(v, 1, &ioas));
	VT_CHECK(ioasid_dev_pt_id(a) == ioas && ioasid_dev_pt_id(b) == ioas,
		 "devices on %u and %u, domain IOAS %u", ioasid_dev_pt_id(a),
		 ioasid_dev_pt_id(b), ioas);
	ha = ioasid_dev_hwpt_id(a);
	hb = ioasid_dev_hwpt_id(b);
	vt_say("domain 1 is ioas %u; mock0 on hwpt %u, mock1 on hwpt %u", ioas,
	       ha, hb);

	/* Guest MAP: IOVA MOCK_IOVA (2 pages) -> GPA MOCK_GPA + 3 * PAGE. */
	VT_CHECK(map(v, 1, MOCK_IOVA, 2 * PAGE, MOCK_GPA + 3 * PAGE,
		     MAP_READ | MAP_WRITE) == S_OK, "MAP");
	VT_CHECK(mock_maps(ha, MOCK_IOVA, 2 * PAGE, ram + 3 * PAGE),
		 "hwpt %u does not map iova 0x%llx to the guest page: %s", ha,
		 MOCK_IOVA, ioasid_errmsg());
	VT_CHECK(mock_maps(hb, MOCK_IOVA, 2 * PAGE, ram + 3 * PAGE),
		 "hwpt %u does not map iova 0x%llx: %s", hb, MOCK_IOVA,
		 ioasid_errmsg());
	/* The check can fail: the wrong page, or an unmapped IOVA. */
	VT_CHECK(!mock_maps(ha, MOCK_IOVA, PAGE, ram + 4 * PAGE),
		 "iova 0x%llx also maps to another page", MOCK_IOVA);
	VT_CHECK(!mock_maps(ha, MOCK_IOVA + 2 * PAGE, PAGE, ram + 5 * PAGE),
		 "iova past the MAP is mapped");
	vt_say("MAP iova 0x%llx-0x%llx -> gpa 0x%llx: both mock HWPTs map it to the guest page",
	       MOCK_IOVA, MOCK_IOVA + 2 * PAGE - 1, MOCK_GPA + 3 * PAGE);

	/* A second MAP right after it; a MAP outside guest RAM faults and
	 * never reaches the kernel. */
	VT_CHECK(map(v, 1, MOCK_IOVA + 2 * PAGE, PAGE, MOCK_GPA + 16 * PAGE,
		     MAP_READ) == S_OK, "second MAP");
	VT_CHECK(mock_maps(ha, MOCK_IOVA + 2 * PAGE, PAGE, ram + 16 * PAGE),
		 "second MAP not in hwpt %u", ha);
	VT_CHECK(map(v, 1, MOCK_IOVA + 256 * PAGE, PAGE, MOCK_GPA + RAM_SIZE,
		     MAP_READ) == S_FAULT, "MAP outside RAM not FAULT");
	VT_CHECK(!mock_maps(ha, MOCK_IOVA + 256 * PAGE, PAGE, ram),
		 "a MAP outside guest RAM reached the kernel");

	check_small_page_map(v, ha, ram);

	/* Guest UNMAP of the first mapping: gone from both HWPTs. */
	VT_CHECK(unmap(v, 1, MOCK_IOVA, 2 * PAGE) == S_OK, "UNMAP");
	VT_CHECK(!mock_maps(ha, MOCK_IOVA, PAGE, ram + 3 * PAGE),
		 "hwpt %u still maps iova 0x%llx after UNMAP", ha, MOCK_IOVA);
	VT_CHECK(!mock_maps(hb, MOCK_IOVA + PAGE, PAGE, ram + 4 * PAGE),
		 "hwpt %u still maps iova 0x%llx after UNMAP", hb,
		 MOCK_IOVA + PAGE);
	VT_CHECK(mock_maps(ha, MOCK_IOVA + 2 * PAGE, PAGE, ram + 16 * PAGE),
		 "UNMAP removed the neighbouring mapping");
	vt_say("UNMAP: iova 0x%llx no longer mapped, the neighbour still is",
	       MOCK_IOVA);

	/* UNMAP of everything empties the IOAS too. */
	VT_CHECK(unmap(v, 1, 0, UINT64_MAX) == S_OK, "UNMAP all");
	VT_CHECK(!mock_maps(ha, MOCK_IOVA + 2 * PAGE, PAGE, ram + 16 * PAGE),
		 "mapping left after UNMAP(0, ~0)");
	VT_CHECK(detach(v, 1, EP_MOCK_A) == S_OK, "DETACH a");
	VT_CHECK(detach(v, 1, EP_MOCK_B) == S_OK, "DETACH b");

	ioasid_virtio_iommu_destroy(v);
	ioasid_dev_close(a);
	ioasid_dev_close(b);
	munmap(ram, RAM_SIZE);
}

/* ------------------------------------------------------------------ */
/* edu                                                                  */

#define EP_EDU 0x18u
#define EDU_GPA 0x0ull		/* guest RAM at GPA 0 */
#define GPA_SRC (2 * PAGE)	/* the guest's source page */
#define GPA_DST (5 * PAGE)	/* the guest page the MAP names */
#define IOVA_SRC 0x100000ull	/* below edu's 28-bit DMA mask */
#define IOVA_DST 0x200000ull	/* a MiB on: aligned for any page size */

/* Every byte of guest RAM outside [@gpa, @gpa + @len) except the source
 * page still holds @fill. */
static void check_rest(const uint8_t *ram, uint64_t gpa, uint64_t len,
		       uint8_t fill)
{
	for (uint64_t i = 0; i < RAM_SIZE; i++) {
		if ((i >= gpa && i < gpa + len) ||
		    (i >= GPA_SRC && i < GPA_SRC + PAGE))
			continue;
		VT_CHECK(ram[i] == fill, "guest RAM byte 0x%llx is 0x%02x, expected 0x%02x",
			 (unsigned long long)i, ram[i], fill);
	}
}

/*
 * PROBE of a physical endpoint: the host's MSI window of its group, as
 * sysfs lists it (VT-d's fixed 0xfee00000 window on x86, the software
 * window the kernel maps to the ITS on arm64), must reach the guest as
 * exactly one RESV_MEM property of subtype MSI over exactly that range
 * (virtio 1.3 5.13.6.8.2: the driver must not map it), and every other
 * property must be RESV_MEM too.
 */
static void check_probe(struct ioasid_virtio_iommu *v, const char *bdf,
			const uint8_t *cfg)
{
	uint32_t probe_size = le32_get(cfg + 32), used = 0, off = 0;
	uint8_t req[72] = { 5 /* PROBE */ }, *resp;
	uint64_t msi_start = 0, msi_last = 0;
	int msi_found = 0;

	vt_msi_window(bdf, &msi_start, &msi_last);
	VT_CHECK(probe_size >= 24, "probe_size %u", probe_size);
	resp = calloc(1, probe_size + 4);
	VT_CHECK(resp, "calloc");
	le32_put(req + 4, EP_EDU);
	VT_OK(ioasid_virtio_iommu_handle_buffers(v, req, sizeof(req), resp,
						 probe_size + 4, &used));
	VT_CHECK(resp[probe_size] == S_OK, "PROBE status %u", resp[probe_size]);
	while (off + 4 <= probe_size) {
		uint16_t type = le16_get(resp + off) & 0xfff;
		uint16_t len = le16_get(resp + off + 2);
		uint64_t start, end;

		if (type == 0)
			break; /* NONE: the end of the list */
		VT_CHECK(type == 1 && len == 20, "property type %u length %u at %u",
			 type, len, off);
		start = le64_get(resp + off + 8);
		end = le64_get(resp + off + 16);
		vt_say("PROBE: RESV_MEM subtype %u 0x%llx-0x%llx", resp[off + 4],
		       (unsigned long long)start, (unsigned long long)end);
		if (resp[off + 4] == 1) {
			VT_CHECK(start == msi_start && end == msi_last,
				 "MSI property 0x%llx-0x%llx, sysfs msi 0x%llx-0x%llx",
				 (unsigned long long)start, (unsigned long long)end,
				 (unsigned long long)msi_start,
				 (unsigned long long)msi_last);
			msi_found++;
		}
		off += 4 + len;
	}
	VT_CHECK(msi_found == 1, "%d MSI properties, want the group's window once",
		 msi_found);
	free(resp);
}

static void test_edu(void)
{
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *dev = NULL;
	volatile uint8_t *bar;
	char bdf[IOASID_NAME_MAX];
	uint32_t ioas = 0;
	uint8_t *ram, cfg[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];
	uint64_t mask = 0;
	size_t bar_size;
	int devfd;

	if (vt_find_pci(VT_EDU_VENDOR, VT_EDU_DEVICE, bdf))
		vt_fail("no edu device (%04x:%04x); is QEMU run with -device edu?",
			VT_EDU_VENDOR, VT_EDU_DEVICE);
	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
	VT_OK(ioasid_dev_open(ctx, bdf, &dev));
	VT_OK(ioasid_dev_bind(dev, NULL));

	v = new_viommu();
	ram = guest_ram();
	VT_OK(ioasid_virtio_iommu_add_ram(v, EDU_GPA, RAM_SIZE, ram));
	VT_OK(ioasid_virtio_iommu_add_endpoint(v, EP_EDU, dev, NULL));
	VT_OK(ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v)));
	VT_OK(ioasid_virtio_iommu_config_read(v, 0, cfg, sizeof(cfg)));
	for (int i = 7; i >= 0; i--)
		mask = mask << 8 | cfg[i];
	vt_say("edu %s is endpoint 0x%x; page_size_mask 0x%llx", bdf, EP_EDU,
	       (unsigned long long)mask);
	VT_CHECK((mask & -mask) == PAGE, "granule 0x%llx",
		 (unsigned long long)(mask & -mask));
	check_probe(v, bdf, cfg);

	/* The guest's driver attaches edu and maps its two buffers. */
	VT_CHECK(attach(v, 1, EP_EDU) == S_OK, "ATTACH");
	VT_OK(ioasid_virtio_iommu_domain_ioas(v, 1, &ioas));
	VT_CHECK(ioasid_dev_pt_id(dev) == ioas, "edu on %u, domain IOAS %u",
		 ioasid_dev_pt_id(dev), ioas);
	VT_CHECK(map(v, 1, IOVA_SRC, PAGE, EDU_GPA + GPA_SRC, MAP_READ) == S_OK,
		 "MAP source");
	VT_CHECK(map(v, 1, IOVA_DST, PAGE, EDU_GPA + GPA_DST,
		     MAP_READ | MAP_WRITE) == S_OK, "MAP destination");
	vt_say("domain 1 = ioas %u: iova 0x%llx -> gpa 0x%llx (read), iova 0x%llx -> gpa 0x%llx (read/write)",
	       ioas, IOVA_SRC, GPA_SRC, IOVA_DST, GPA_DST);

	/* BAR0 through the VFIO device fd the library opened. */
	devfd = ioasid_dev_fd(dev);
	VT_CHECK(devfd >= 0, "no VFIO fd for %s", bdf);
	bar = edu_map_bar0(devfd, &bar_size);

	for (uint64_t i = 0; i < PAGE; i++)
		ram[GPA_SRC + i] = (uint8_t)(i * 13 + 7);
	edu_dma(bar, IOVA_SRC, EDU_BUFFER_ADDR, false);
	edu_dma(bar, EDU_BUFFER_ADDR, IOVA_DST, true);
	for (uint64_t i = 0; i < PAGE; i++) {
		uint8_t want = i < EDU_DMA_LEN ? ram[GPA_SRC + i] : 0;

		VT_CHECK(ram[GPA_DST + i] == want,
			 "guest page 0x%llx byte %llu is 0x%02x, expected 0x%02x",
			 GPA_DST, (unsigned long long)i, ram[GPA_DST + i], want);
	}
	check_rest(ram, GPA_DST, PAGE, 0);
	vt_say("edu DMA to iova 0x%llx: %d bytes landed in guest page 0x%llx, the rest of guest RAM untouched",
	       IOVA_DST, EDU_DMA_LEN, GPA_DST);

	/* The guest unmaps the destination: the same DMA is blocked. */
	VT_CHECK(unmap(v, 1, IOVA_DST, PAGE) == S_OK, "UNMAP");
	memset(ram + GPA_DST, 0x5a, PAGE);
	vt_say("guest UNMAP of iova 0x%llx; the same DMA again (the IOMMU must block it)",
	       IOVA_DST);
	edu_dma_len(bar, EDU_BUFFER_ADDR, IOVA_DST, EDU_BLOCKED_LEN, true);
	for (uint64_t i = 0; i < PAGE; i++)
		VT_CHECK(ram[GPA_DST + i] == 0x5a,
			 "guest page byte %llu changed to 0x%02x after UNMAP",
			 (unsigned long long)i, ram[GPA_DST + i]);
	check_rest(ram, GPA_DST, PAGE, 0);
	vt_say("DMA after UNMAP blocked; guest page 0x%llx unchanged", GPA_DST);

	/* The source mapping still works: edu reads it again. */
	edu_dma(bar, IOVA_SRC, EDU_BUFFER_ADDR, false);

	munmap((void *)bar, bar_size);
	VT_CHECK(detach(v, 1, EP_EDU) == S_OK, "DETACH");
	ioasid_virtio_iommu_destroy(v);
	ioasid_dev_close(dev);
	VT_OK(ioasid_dev_set_driver(ctx, bdf, NULL, NULL));
	munmap(ram, RAM_SIZE);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctx = vt_kernel_ctx();
	test_mock();
	test_edu();
	ioasid_ctx_close(ctx);
	vt_say("PASS");
	return 0;
}
