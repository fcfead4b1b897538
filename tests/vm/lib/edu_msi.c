// SPDX-License-Identifier: MIT
/*
 * An MSI of a real device reaches the CPU through the IOMMU, for every
 * edu device: edu bound through the library and attached to an IOAS,
 * its MSI routed to an eventfd with VFIO_DEVICE_SET_IRQS, then edu's
 * interrupt-raise register written: the eventfd must fire.  What makes
 * that work is the hardware's, and differs: on x86 the MSI window
 * 0xfee00000 is outside DMA translation (interrupt remapping), on arm64
 * the GICv3 ITS doorbell is behind the SMMU and the kernel maps it in the
 * software MSI window it reserved in the IOAS (sysfs lists it "msi";
 * the library names it sw-msi).  Either way the window must be in the
 * group's reserved regions, a hole in the IOAS's usable ranges, and the
 * interrupt must arrive; with the MSI torn down, a raised interrupt must
 * not.
 */
#include <poll.h>
#include <sys/eventfd.h>

#include "edu.h"
#include "vmtest.h"

#define EDU_REG_IRQ_STATUS 0x24
#define EDU_REG_IRQ_RAISE 0x60
#define EDU_REG_IRQ_ACK 0x64

static void set_msi(int devfd, int efd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} req = {
		.set = {
			.argsz = sizeof(req),
			.flags = efd >= 0 ? VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER
					  : VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			.index = VFIO_PCI_MSI_IRQ_INDEX,
			.start = 0,
			.count = efd >= 0 ? 1 : 0,
		},
		.fd = efd,
	};

	if (efd < 0)
		req.set.argsz = sizeof(req.set);
	VT_CHECK(ioctl(devfd, VFIO_DEVICE_SET_IRQS, &req) == 0,
		 "VFIO_DEVICE_SET_IRQS MSI %s: %s", efd >= 0 ? "eventfd" : "off",
		 strerror(errno));
}

/* Raise edu's interrupt; true if @efd fired within @ms. */
static bool raise_and_wait(volatile uint8_t *bar, int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t count = 0;
	bool fired;

	*(volatile uint32_t *)(bar + EDU_REG_IRQ_RAISE) = 1;
	fired = poll(&p, 1, ms) == 1;
	if (fired)
		VT_CHECK(read(efd, &count, sizeof(count)) == sizeof(count) && count,
			 "eventfd read: %s", strerror(errno));
	*(volatile uint32_t *)(bar + EDU_REG_IRQ_ACK) = 1;
	return fired;
}

static void test_edu(struct ioasid_ctx *ctx, const char *bdf)
{
	struct ioasid_iova_range r[16];
	uint64_t msi_start = 0, msi_last = 0, align;
	uint32_t ioas, hwpt, num = 16;
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = VFIO_PCI_MSI_IRQ_INDEX };
	struct ioasid_dev *dev;
	volatile uint8_t *bar;
	size_t bar_size;
	int devfd, efd;

	vt_say("edu %s", bdf);
	vt_msi_window(bdf, &msi_start, &msi_last);
	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
	VT_OK(ioasid_dev_open(ctx, bdf, &dev));
	VT_OK(ioasid_dev_bind(dev, NULL));
	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(dev, ioas, &hwpt));
	VT_OK(ioasid_ioas_iova_ranges(ctx, ioas, r, &num, &align));
	for (uint32_t i = 0; i < num; i++)
		VT_CHECK(r[i].last < msi_start || r[i].start > msi_last,
			 "usable 0x%llx-0x%llx covers the MSI window 0x%llx-0x%llx",
			 (unsigned long long)r[i].start, (unsigned long long)r[i].last,
			 (unsigned long long)msi_start, (unsigned long long)msi_last);

	devfd = ioasid_dev_fd(dev);
	VT_CHECK(devfd >= 0, "device fd %d", devfd);
	VT_CHECK(ioctl(devfd, VFIO_DEVICE_GET_IRQ_INFO, &irq) == 0 && irq.count >= 1,
		 "edu has no MSI (count %u): %s", irq.count, strerror(errno));
	bar = edu_map_bar0(devfd, &bar_size);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	VT_CHECK(efd >= 0, "eventfd: %s", strerror(errno));
	set_msi(devfd, efd);
	VT_CHECK(raise_and_wait(bar, efd, 5000),
		 "edu's MSI did not arrive within 5 s (window 0x%llx-0x%llx)",
		 (unsigned long long)msi_start, (unsigned long long)msi_last);
	vt_say("  MSI arrived (group's MSI window 0x%llx-0x%llx, a hole of ioas %u)",
	       (unsigned long long)msi_start, (unsigned long long)msi_last, ioas);
	VT_CHECK(raise_and_wait(bar, efd, 5000), "a second MSI did not arrive");
	set_msi(devfd, -1);
	VT_CHECK(!raise_and_wait(bar, efd, 200), "an MSI arrived after MSI was torn down");
	vt_say("  none after the MSI was torn down");
	close(efd);
	munmap((void *)bar, bar_size);
	VT_OK(ioasid_dev_detach(dev));
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	ioasid_dev_close(dev);
	VT_OK(ioasid_dev_set_driver(ctx, bdf, NULL, NULL));
}

int main(void)
{
	vt_each_edu(test_edu);
	return 0;
}
