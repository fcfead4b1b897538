// SPDX-License-Identifier: MIT
/*
 * viommu-vmm: how a VMM wires libioasid's virtio-iommu device model.
 *
 *   1. open a context (here the simulator; a real VMM uses the kernel),
 *   2. create the device and register guest RAM (GPA -> host VA),
 *   3. register endpoints: an assigned PCI device (opened and bound) and
 *      an emulated device,
 *   4. negotiate features, let the driver read the config space,
 *   5. feed request-queue buffers to ioasid_virtio_iommu_handle_request() and
 *      put the used length in the used ring,
 *   6. translate the emulated device's DMA, and drain fault reports into
 *      event-queue buffers.
 *
 * The "guest" below is a few hand-built requests, as the Linux driver
 * sends them.  Exit status 0 when every step behaved as expected.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <ioasid/ioasid.h>
#include <ioasid/virtio-iommu.h>

#define GUEST_RAM (64u << 20)
#define EP_ASSIGNED 0x18u /* PCI requester id 00:03.0 */
#define EP_EMULATED 0x20u

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

static int events_waiting;

static void on_event(struct ioasid_virtio_iommu *v, void *data)
{
	(void)v;
	(void)data;
	events_waiting = 1; /* a VMM would kick its event-queue handler */
}

/* One request as a virtqueue would hand it over: a readable descriptor
 * and a writable one.  Returns the status the guest would read. */
static int submit(struct ioasid_virtio_iommu *v, const uint8_t *req, size_t len)
{
	uint8_t tail[4] = { 0xff };
	struct iovec out = { (void *)req, len }, in = { tail, sizeof(tail) };
	uint32_t used = 0;

	if (ioasid_virtio_iommu_handle_request(v, &out, 1, &in, 1, &used))
		return -1;
	return used == 4 ? tail[0] : -1;
}

int main(void)
{
	IOASID_OPTS(ioasid_ctx_opts, copts, .backend = IOASID_BACKEND_SIM);
	IOASID_OPTS(ioasid_virtio_iommu_opts, vopts, .bypass = 1,
		    .event_notify = on_event);
	struct ioasid_virtio_iommu_translation t;
	struct ioasid_virtio_iommu *v = NULL;
	struct ioasid_ctx *ctx = NULL;
	struct ioasid_dev *dev = NULL;
	uint8_t req[36], cfg[IOASID_VIRTIO_IOMMU_CONFIG_SIZE], event[64];
	void *ram;
	int fails = 0;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "viommu-vmm: %s failed: %s\n", #cond, \
				ioasid_errmsg());                          \
			fails++;                                           \
		}                                                          \
	} while (0)

	/* 1-2: context, device, guest RAM. */
	CHECK(ioasid_ctx_open(&copts, &ctx) == 0);
	if (!ctx)
		return 1;
	CHECK(ioasid_virtio_iommu_create(ctx, &vopts, &v) == 0);
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ram != MAP_FAILED);
	CHECK(ioasid_virtio_iommu_add_ram(v, 0, GUEST_RAM, ram) == 0);

	/* 3: endpoints.  The assigned device is the caller's to open and
	 * bind; the device model attaches it from now on. */
	CHECK(ioasid_dev_open(ctx, "0000:00:03.0", &dev) == 0);
	CHECK(ioasid_dev_bind(dev, NULL) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_ASSIGNED, dev, NULL) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_EMULATED, NULL, NULL) == 0);

	/* 4: the driver negotiates and reads the config space. */
	CHECK(ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v)) == 0);
	CHECK(ioasid_virtio_iommu_config_read(v, 0, cfg, sizeof(cfg)) == 0);
	uint64_t mask = 0, input_end = 0;
	for (int i = 7; i >= 0; i--) {
		mask = mask << 8 | cfg[i];
		input_end = input_end << 8 | cfg[16 + i];
	}
	/* The lowest bit of page_size_mask is the granule. */
	printf("granule %#llx, input range up to %#llx, bypass %u\n",
	       (unsigned long long)(mask & -mask),
	       (unsigned long long)input_end, cfg[36]);
	/* In bypass the assigned device already sees guest RAM 1:1. */
	CHECK(ioasid_dev_pt_id(dev) != 0);

	/* 5: ATTACH both endpoints to domain 1, MAP one page. */
	for (uint32_t ep = EP_ASSIGNED; ep <= EP_EMULATED; ep += 8) {
		memset(req, 0, sizeof(req));
		req[0] = 1; /* ATTACH */
		le32(req + 4, 1);
		le32(req + 8, ep);
		CHECK(submit(v, req, 20) == 0);
	}
	memset(req, 0, sizeof(req));
	req[0] = 3; /* MAP iova 0x100000-0x100fff -> gpa 0x5000, read+write */
	le32(req + 4, 1);
	le64(req + 8, 0x100000);
	le64(req + 16, 0x100fff);
	le64(req + 24, 0x5000);
	le32(req + 32, 3);
	CHECK(submit(v, req, 36) == 0);

	/* 6: the emulated device's DMA goes through translate(). */
	CHECK(ioasid_virtio_iommu_translate(v, EP_EMULATED, 0x100010,
				      IOASID_VIRTIO_IOMMU_ACCESS_WRITE, &t) == 0);
	printf("iova 0x100010 -> gpa %#llx (valid to iova %#llx)\n",
	       (unsigned long long)t.gpa, (unsigned long long)t.iova_last);
	CHECK(t.gpa == 0x5010);
	/* An unmapped address faults; the report goes to the event queue. */
	CHECK(ioasid_virtio_iommu_translate(v, EP_EMULATED, 0x200000,
				      IOASID_VIRTIO_IOMMU_ACCESS_READ, &t) == -EFAULT);
	CHECK(events_waiting);
	CHECK(ioasid_virtio_iommu_event_pop(v, event, sizeof(event)) ==
	      IOASID_VIRTIO_IOMMU_FAULT_SIZE);
	printf("fault: reason %u endpoint %#x\n", event[0],
	       event[8] | event[9] << 8);

	/* Guest reboot: device reset, nothing stays attached to domains. */
	CHECK(ioasid_virtio_iommu_reset(v, IOASID_VIRTIO_IOMMU_RESET_DEVICE) == 0);

	ioasid_virtio_iommu_destroy(v);
	ioasid_dev_close(dev);
	ioasid_ctx_close(ctx);
	if (ram != MAP_FAILED)
		munmap(ram, GUEST_RAM);
	printf("viommu-vmm: %s\n", fails ? "FAILED" : "ok");
	return fails ? 1 : 0;
}
