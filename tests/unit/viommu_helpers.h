/* SPDX-License-Identifier: MIT */
/*
 * Shared by the virtio-iommu device tests: a device on the simulator's
 * built-in x86 server with 16 MiB of guest RAM in two adjacent slots,
 * two physical endpoints and one emulated endpoint, and request builders
 * that write the wire format byte by byte (independently of lib/viommu).
 */
#ifndef IOASID_TESTS_UNIT_VIOMMU_HELPERS_H
#define IOASID_TESTS_UNIT_VIOMMU_HELPERS_H

#include "le.h"
#include "helpers.h"
#include "viommu_check.h"

#include <ioasid/virtio-iommu.h>

#define EP_NIC 0x18u   /* 0000:00:03.0, group 10 */
#define EP_NVME 0x20u  /* 0000:00:04.0, group 11 */
#define EP_EMU 0x100u  /* emulated */
#define EP_NONE 444u
#define RAM_SIZE (16 * SZ_1M)
#define GRANULE SZ_4K

enum { S_OK, S_IOERR, S_UNSUPP, S_DEVERR, S_INVAL, S_RANGE, S_NOENT,
       S_FAULT, S_NOMEM };

struct vfx {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *nic, *nvme;
	uint8_t *ram;
	int notified;
};

static void vfx_notify(struct ioasid_virtio_iommu *v, void *data)
{
	(void)v;
	((struct vfx *)data)->notified++;
}

/* The device of vfx_new() made with @o, before feature negotiation. */
static inline void vfx_init(struct vfx *f, const struct ioasid_virtio_iommu_opts *o)
{
	static const struct ioasid_resv_region msi = {
		MSI_START, MSI_LAST, IOASID_RESV_MSI, 0 };
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, eo, .resv = &msi,
		    .num_resv = 1);

	f->ctx = sim_open(NULL);
	OK(ioasid_virtio_iommu_create(f->ctx, o, &f->v));
	f->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->ram != MAP_FAILED);
	OK(ioasid_virtio_iommu_add_ram(f->v, 0, RAM_SIZE / 2, f->ram));
	OK(ioasid_virtio_iommu_add_ram(f->v, RAM_SIZE / 2, RAM_SIZE / 2,
				 f->ram + RAM_SIZE / 2));
	f->nic = dev_open_bound(f->ctx, "0000:00:03.0");
	f->nvme = dev_open_bound(f->ctx, "0000:00:04.0");
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_NIC, f->nic, NULL));
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_NVME, f->nvme, NULL));
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_EMU, NULL, &eo));
}

static inline struct vfx *vfx_new(uint8_t bypass)
{
	struct vfx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	IOASID_OPTS(ioasid_virtio_iommu_opts, o, .bypass = bypass,
		    .event_notify = vfx_notify, .event_data = f);
	vfx_init(f, &o);
	OK(ioasid_virtio_iommu_set_features(f->v, ioasid_virtio_iommu_features(f->v)));
	return f;
}

static inline int vfx_setup(void **state)
{
	*state = vfx_new(0);
	return 0;
}

static inline int vfx_teardown(void **state)
{
	struct vfx *f = *state;

	ioasid_virtio_iommu_destroy(f->v);
	ioasid_ctx_close(f->ctx);
	munmap(f->ram, RAM_SIZE);
	free(f);
	return 0;
}

#define VFX struct vfx *f = *state
#define VT(fn) cmocka_unit_test_setup_teardown(fn, vfx_setup, vfx_teardown)

/* Send REQ (len bytes) with a writable part of WLEN bytes filled with
 * 0xee; return the status, checking used length and tail.reserved. */
static inline int send_req(struct vfx *f, const uint8_t *req, size_t len,
			   uint8_t *resp, size_t wlen)
{
	uint32_t used = 12345;

	memset(resp, 0xee, wlen);
	OK(ioasid_virtio_iommu_handle_buffers(f->v, req, len, resp, wlen, &used));
	assert_int_equal(used, wlen);
	/* 22: tail.reserved zero. */
	assert_int_equal(resp[wlen - 3] | resp[wlen - 2] | resp[wlen - 1], 0);
	return resp[wlen - 4];
}

static inline int attach_r(struct vfx *f, uint32_t dom, uint32_t ep,
			   uint32_t flags, uint32_t reserved)
{
	uint8_t r[20] = { 1 }, t[4];

	le32_put(r + 4, dom);
	le32_put(r + 8, ep);
	le32_put(r + 12, flags);
	le32_put(r + 16, reserved);
	return send_req(f, r, sizeof(r), t, sizeof(t));
}
#define attach(f, d, ep) attach_r(f, d, ep, 0, 0)

static inline int detach_r(struct vfx *f, uint32_t dom, uint32_t ep,
			   uint8_t reserved)
{
	uint8_t r[20] = { 2 }, t[4];

	le32_put(r + 4, dom);
	le32_put(r + 8, ep);
	r[19] = reserved;
	return send_req(f, r, sizeof(r), t, sizeof(t));
}
#define detach(f, d, ep) detach_r(f, d, ep, 0)

static inline void map_req(uint8_t r[36], uint32_t dom, uint64_t vs,
			   uint64_t ve, uint64_t ps, uint32_t flags)
{
	memset(r, 0, 36);
	r[0] = 3;
	le32_put(r + 4, dom);
	le64_put(r + 8, vs);
	le64_put(r + 16, ve);
	le64_put(r + 24, ps);
	le32_put(r + 32, flags);
}

static inline int map(struct vfx *f, uint32_t dom, uint64_t vs, uint64_t ve,
		      uint64_t ps, uint32_t flags)
{
	uint8_t r[36], t[4];

	map_req(r, dom, vs, ve, ps, flags);
	return send_req(f, r, sizeof(r), t, sizeof(t));
}

static inline int unmap_r(struct vfx *f, uint32_t dom, uint64_t vs,
			  uint64_t ve, uint32_t reserved)
{
	uint8_t r[28] = { 4 }, t[4];

	le32_put(r + 4, dom);
	le64_put(r + 8, vs);
	le64_put(r + 16, ve);
	le32_put(r + 24, reserved);
	return send_req(f, r, sizeof(r), t, sizeof(t));
}
#define unmap(f, d, vs, ve) unmap_r(f, d, vs, ve, 0)

#define PROBE_SIZE 512u
/* PROBE into @props (PROBE_SIZE + 4 bytes). */
static inline int probe(struct vfx *f, uint32_t ep, uint8_t *props)
{
	uint8_t r[72] = { 5 };

	le32_put(r + 4, ep);
	return send_req(f, r, sizeof(r), props, PROBE_SIZE + 4);
}

#define RW 3u

#endif /* IOASID_TESTS_UNIT_VIOMMU_HELPERS_H */
