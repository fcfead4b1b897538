// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for ioasid_virtio_iommu_restore(): arbitrary state streams
 * fed to a fresh device on the simulator (two RAM slots, one physical and
 * two emulated endpoints).  The first input byte chooses how the stream
 * is made:
 *   bit 0  build it: a source device gets up to 32 guest requests decoded
 *          from the input (ATTACH/DETACH/MAP/UNMAP over small ranges, so
 *          they meet), is saved, and the rest of the input overwrites
 *          stream bytes at chosen offsets; otherwise the rest of the
 *          input is the stream itself;
 *   bit 1  fix the header's length and the CRC-32 after that, so the
 *          parser's checks past the checksum are reached;
 *   bit 2  the destination starts with config.bypass 1;
 *   bit 3  nested mode: source, destination and third device enable it
 *          with the same table region (each with its own memory), so
 *          NESTED records and nested domains are saved and restored.
 *
 * Checked (abort() on violation): a refused restore leaves the device
 * without domains, mappings or events, its physical endpoint where it
 * was, and no host object behind; an accepted one saves again, the saved
 * stream restores into a third device, and every host-backed mapping of
 * the stream is in its domain's IOAS; an untouched stream of the source
 * restores, and saves back byte for byte; nothing leaks (LeakSanitizer).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "fuzz.h"
#include "le.h"
#include "viommu/migrate.h"

#define RAM_SLOT (512 * 1024ull)
#define RAM_SIZE (2 * RAM_SLOT)
#define EP_PHYS 0x18u
#define EP_E1 0x100u
#define EP_E2 0x101u
#define MAX_STREAM (1u << 16)
#define REGION_GPA 0x100000000ull
#define REGION_SIZE (1024 * 1024ull)

static uint8_t *ram;
/* Table region memory of the source, destination and third device. */
static uint8_t *regions[3];

struct dev {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *nic;
};

static void dev_new(struct dev *d, uint8_t bypass, uint8_t *region)
{
	static const struct ioasid_resv_region msi = { 0xfee00000ull, 0xfeefffffull,
						       IOASID_RESV_MSI, 0 };
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);
	IOASID_OPTS(ioasid_virtio_iommu_opts, o, .bypass = bypass, .max_domains = 4,
		    .max_mappings = 32, .max_events = 4);
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, e1, .resv = &msi, .num_resv = 1);
	uint32_t dev_id;

	CHECK(ioasid_ctx_open(&co, &d->ctx) == 0);
	CHECK(ioasid_virtio_iommu_create(d->ctx, &o, &d->v) == 0);
	CHECK(ioasid_virtio_iommu_add_ram(d->v, 0, RAM_SLOT, ram) == 0);
	CHECK(ioasid_virtio_iommu_add_ram(d->v, RAM_SLOT, RAM_SLOT, ram + RAM_SLOT) == 0);
	CHECK(ioasid_dev_open(d->ctx, "0000:00:03.0", &d->nic) == 0);
	CHECK(ioasid_dev_bind(d->nic, &dev_id) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(d->v, EP_PHYS, d->nic, NULL) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(d->v, EP_E1, NULL, &e1) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(d->v, EP_E2, NULL, NULL) == 0);
	if (region) {
		IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no,
			    .region_gpa = REGION_GPA, .region_size = REGION_SIZE,
			    .region_hva = region);

		CHECK(ioasid_virtio_iommu_enable_nested(d->v, &no) == 0);
	}
}

static void dev_free(struct dev *d)
{
	ioasid_virtio_iommu_destroy(d->v);
	ioasid_dev_close(d->nic);
	ioasid_ctx_close(d->ctx);
}

static void request(struct dev *d, struct input *in)
{
	static const uint32_t eps[] = { EP_PHYS, EP_E1, EP_E2 };
	uint8_t r[36] = { 0 }, t[4];
	uint8_t op = u8(in) % 4;
	uint32_t used;
	size_t len;

	le32_put(r + 4, u8(in) % 4 + 1);
	switch (op) {
	case 0:
	case 1:
		r[0] = op + 1;
		le32_put(r + 8, eps[u8(in) % 3]);
		le32_put(r + 12, u8(in) < 40); /* sometimes ATTACH_F_BYPASS */
		len = 20;
		break;
	case 2: {
		uint64_t start = (uint64_t)(u8(in) % 64) * 0x1000;
		uint64_t pages = u8(in) % 4 + 1;

		r[0] = 3;
		le64_put(r + 8, start);
		le64_put(r + 16, start + pages * 0x1000 - 1);
		le64_put(r + 24, (uint64_t)(u8(in) % 256) * 0x1000);
		le32_put(r + 32, u8(in) % 8);
		len = 36;
		break;
	}
	default: {
		uint64_t start = (uint64_t)(u8(in) % 64) * 0x1000;

		r[0] = 4;
		le64_put(r + 8, start);
		le64_put(r + 16, start + (u8(in) % 8 + 1) * 0x1000 - 1);
		len = 28;
		break;
	}
	}
	CHECK(ioasid_virtio_iommu_handle_buffers(d->v, r, len, t, sizeof(t), &used) == 0);
}

/* Save @d into a malloc'ed buffer. */
static uint8_t *save(struct dev *d, size_t *n)
{
	uint8_t *p;

	CHECK(ioasid_virtio_iommu_save(d->v, NULL, 0, n) == -EMSGSIZE);
	p = malloc(*n);
	CHECK(p);
	CHECK(ioasid_virtio_iommu_save(d->v, p, *n, n) == 0);
	return p;
}

/* Every MAPPING record with READ or WRITE and not MMIO is in the IOAS
 * of its domain, when the domain has one. */
static void check_mappings(struct dev *d, const uint8_t *p, size_t n)
{
	for (size_t off = 24; off + 8 <= n - 4; off += 8 + le32_get(p + off + 4)) {
		const uint8_t *m = p + off + 8;
		uint32_t ioas;

		if (p[off] != 4 || !(le32_get(m + 4) & 3) || le32_get(m + 4) & 4)
			continue;
		if (ioasid_virtio_iommu_domain_ioas(d->v, le32_get(m), &ioas))
			continue;
		CHECK(ioas_has(d->ctx, ioas, le64_get(m + 8),
			       le64_get(m + 16) - le64_get(m + 8) + 1));
	}
}

static void check_untouched(struct dev *d, uint32_t pt_before,
			    uint32_t first_free)
{
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	uint32_t ids[4], top = 0;
	uint8_t ev[24];

	CHECK(ioasid_virtio_iommu_get_stats(d->v, &st) == 0);
	CHECK(st.domains == 0 && st.mappings == 0 && st.events_pending == 0);
	CHECK(ioasid_virtio_iommu_event_pop(d->v, ev, sizeof(ev)) == 0);
	CHECK(ioasid_dev_pt_id(d->nic) == pt_before);
	for (int i = 0; i < 4; i++) {
		CHECK(ioasid_ioas_alloc(d->ctx, &ids[i]) == 0);
		top = ids[i] > top ? ids[i] : top;
	}
	for (uint32_t id = first_free; id <= top; id++) {
		bool mine = false;

		for (int i = 0; i < 4; i++)
			mine |= ids[i] == id;
		if (!mine)
			CHECK(ioasid_ioas_destroy(d->ctx, id) == -ENOENT);
	}
	for (int i = 0; i < 4; i++)
		CHECK(ioasid_ioas_destroy(d->ctx, ids[i]) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	uint8_t mode = u8(&in);
	struct dev src, dst;
	uint8_t *stream = NULL;
	size_t n = 0;
	bool pristine = false;
	uint32_t pt_before, first_free;
	int rc;

	if (!ram) {
		ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(ram != MAP_FAILED);
		for (int i = 0; i < 3; i++) {
			regions[i] = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			CHECK(regions[i] != MAP_FAILED);
		}
	}
	ioasid_set_print(NULL, NULL);

	if (mode & 1) {
		unsigned int ops = u8(&in) % 33;

		dev_new(&src, 0, mode & 8 ? regions[0] : NULL);
		CHECK(ioasid_virtio_iommu_set_features(src.v, ioasid_virtio_iommu_features(src.v)) == 0);
		for (unsigned int i = 0; i < ops; i++)
			request(&src, &in);
		stream = save(&src, &n);
		dev_free(&src);
		pristine = in.left == 0 && !(mode & 2);
		/* Overwrite bytes: (offset lo, offset hi, value) triples. */
		while (in.left >= 3) {
			size_t at = (u8(&in) | (size_t)u8(&in) << 8) % n;

			stream[at] = u8(&in);
			pristine = false;
		}
	} else {
		n = in.left < MAX_STREAM ? in.left : MAX_STREAM;
		stream = malloc(n ? n : 1);
		CHECK(stream);
		memcpy(stream, in.p, n);
	}
	if (mode & 2 && n >= 28) {
		le64_put(stream + 16, n);
		le32_put(stream + n - 4, viommu_mig_crc32(stream, n - 4));
	}

	dev_new(&dst, (mode >> 2) & 1, mode & 8 ? regions[1] : NULL);
	pt_before = ioasid_dev_pt_id(dst.nic);
	CHECK(ioasid_ioas_alloc(dst.ctx, &first_free) == 0);
	CHECK(ioasid_ioas_destroy(dst.ctx, first_free) == 0);
	rc = ioasid_virtio_iommu_restore(dst.v, stream, n);
	if (pristine)
		CHECK(rc == 0);
	if (rc) {
		CHECK(rc == -EBADMSG || rc == -EPROTONOSUPPORT || rc == -EINVAL ||
		      rc == -ENOMEM);
		check_untouched(&dst, pt_before, first_free);
	} else {
		struct dev third;
		size_t n2 = 0;
		uint8_t *again = save(&dst, &n2);

		check_mappings(&dst, again, n2);
		if (pristine) {
			CHECK(n2 == n);
			CHECK(memcmp(again, stream, n) == 0);
		}
		dev_new(&third, 0, mode & 8 ? regions[2] : NULL);
		CHECK(ioasid_virtio_iommu_restore(third.v, again, n2) == 0);
		check_mappings(&third, again, n2);
		dev_free(&third);
		free(again);
	}
	dev_free(&dst);
	free(stream);
	return 0;
}
