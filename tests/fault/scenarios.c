// SPDX-License-Identifier: MIT
/*
 * The scenarios of the fault-injection suite (tests/fault/fault.h): each
 * runs from nothing back to nothing, on the simulator.  Every library
 * call in them is checked by the wrappers whether or not the scenario
 * looks at its result; the scenario itself only checks what the clean
 * run must give (a wrong result there fails the clean run).
 *
 * - readme: the example of README.md, call for call.
 * - batch: tests/fault/batch.batch (40 commands: IOAS, HWPT, devices,
 *   copy, allow-lists, ranges) through ioasctl's own main(), linked in.
 * - pasid: PASID attach, replace, detach and the PASID allocator on the
 *   x86 server's PASID devices (ioasctl has no PASID commands), with the
 *   topology read from examples/topologies/x86-server.ini.
 * - viommu-shadow, viommu-nested: the device model with two physical
 *   endpoints and an emulated one: attach, move, map, unmap, probe,
 *   translate, reset; in nested mode the stage-1 tables the library
 *   writes in the table region are part of the state compared.
 * - migrate: save on one device model, restore on another in a second
 *   context, then use and reset the restored one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioasid/ioasid.h>
#include <ioasid/virtio-iommu.h>

#include "fault.h"

#define SZ_4K 0x1000ull
#define SZ_1M 0x100000ull
#define SZ_2M 0x200000ull

/* A result the clean run must give: say what differed, fail the run. */
#define WANT(cond)                                                          \
	do {                                                                \
		if (!(cond)) {                                              \
			fault_say("%s:%d: %s does not hold: %s", __FILE__,  \
				  __LINE__, #cond, ioasid_errmsg());        \
			return 1;                                           \
		}                                                           \
	} while (0)
#define WANT_OK(call) WANT((call) >= 0)

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------------ */
/* readme: README.md's example                                          */

static void *readme_ram;

static int readme_setup(void)
{
	readme_ram = map_anon(2 << 20);
	return !readme_ram;
}

static int readme_run(void)
{
	IOASID_OPTS(ioasid_ctx_opts, ctx_opts, .backend = IOASID_BACKEND_SIM);
	IOASID_OPTS(ioasid_map_opts, map_opts,
		    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE |
			     IOASID_MAP_ANY_IOVA);
	struct ioasid_iova_range ranges[8];
	uint32_t ioas_id, hwpt_id, num = 8;
	uint64_t iova = 0, unmapped, length = 2 << 20;
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev;

	WANT_OK(ioasid_ctx_open(&ctx_opts, &ctx));
	WANT_OK(ioasid_ioas_alloc(ctx, &ioas_id));
	WANT_OK(ioasid_dev_open(ctx, "0000:00:03.0", &dev));
	WANT_OK(ioasid_dev_bind(dev, NULL));
	WANT_OK(ioasid_dev_attach(dev, ioas_id, &hwpt_id));
	WANT_OK(ioasid_ioas_map(ctx, ioas_id, readme_ram, length, &iova,
				&map_opts));
	WANT_OK(ioasid_ioas_iova_ranges(ctx, ioas_id, ranges, &num, NULL));
	/* The MSI window is a hole (README: "reserved regions such as the
	 * MSI window are left out"). */
	WANT(num == 2 && ranges[0].last == 0xfedfffff &&
	     ranges[1].start == 0xfef00000);
	WANT_OK(ioasid_ioas_unmap(ctx, ioas_id, iova, length, &unmapped));
	WANT(unmapped == length);
	ioasid_dev_close(dev);
	ioasid_ctx_close(ctx);
	return 0;
}

/* ------------------------------------------------------------------ */
/* batch: ioasctl's main() on tests/fault/batch.batch                   */

/* cli/main.c's main(), renamed by the Makefile. */
int ioasctl_main(int argc, char **argv);

static char batch_path[4096];

static int batch_setup(void)
{
	snprintf(batch_path, sizeof(batch_path), "%s/batch.batch", fault_src_dir);
	return access(batch_path, R_OK) != 0;
}

static int batch_run(void)
{
	char *argv[] = { "ioasctl", "--sim", "batch", batch_path, NULL };

	optind = 0; /* getopt starts over */
	WANT(ioasctl_main(4, argv) == 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* pasid: PASID attach, replace and detach                              */

/* The x86 server again, from its file this time, so that reading a
 * topology file (fopen, fread) is failed too. */
static char pasid_topo[4096];

static int pasid_setup(void)
{
	snprintf(pasid_topo, sizeof(pasid_topo),
		 "%s/../../examples/topologies/x86-server.ini", fault_src_dir);
	return access(pasid_topo, R_OK) != 0;
}

static int pasid_run(void)
{
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM,
		    .topology = pasid_topo);
	IOASID_OPTS(ioasid_hwpt_alloc_opts, ho, .flags = IOASID_HWPT_ALLOC_PASID);
	struct ioasid_pasid_attach a3 = { .sz = sizeof(a3) };
	struct ioasid_pasid_attach a4 = { .sz = sizeof(a4) };
	struct ioasid_pasid_attach a4b = { .sz = sizeof(a4b) };
	struct ioasid_pasid_entry table[4];
	struct ioasid_ctx *ctx;
	struct ioasid_dev *nvme, *virtio;
	uint32_t ioas1, ioas2, hw1, hw2, hw3, num = 4;

	WANT_OK(ioasid_ctx_open(&co, &ctx));
	WANT_OK(ioasid_ioas_alloc(ctx, &ioas1));
	WANT_OK(ioasid_ioas_alloc(ctx, &ioas2));
	/* 00:04.0: class 3 (device-translated PASIDs); 00:07.0: class 4. */
	WANT_OK(ioasid_dev_open(ctx, "0000:00:04.0", &nvme));
	WANT_OK(ioasid_dev_bind(nvme, NULL));
	WANT_OK(ioasid_dev_open(ctx, "0000:00:07.0", &virtio));
	WANT_OK(ioasid_dev_bind(virtio, NULL));
	WANT_OK(ioasid_hwpt_alloc(nvme, ioas1, &ho, &hw1));
	WANT_OK(ioasid_hwpt_alloc(nvme, ioas2, &ho, &hw2));
	WANT_OK(ioasid_hwpt_alloc(virtio, ioas1, &ho, &hw3));
	WANT_OK(ioasid_dev_attach(nvme, hw1, NULL));
	a3.vpasid = 5;
	WANT_OK(ioasid_dev_attach_pasid(nvme, hw1, &a3));
	a3.vpasid = 5;
	WANT_OK(ioasid_dev_replace_pasid(nvme, hw2, &a3));
	/* Class 4: the library allocates the physical PASIDs. */
	a4.vpasid = 5;
	WANT_OK(ioasid_dev_attach_pasid(virtio, hw3, &a4));
	a4b.vpasid = 9;
	WANT_OK(ioasid_dev_attach_pasid(virtio, hw3, &a4b));
	WANT(a4.ppasid != a4b.ppasid);
	WANT_OK(ioasid_dev_pasid_table(virtio, table, &num));
	WANT(num == 2);
	WANT_OK(ioasid_dev_detach_pasid(virtio, 5));
	WANT_OK(ioasid_dev_detach_pasid(nvme, 5));
	WANT_OK(ioasid_dev_replace(nvme, ioas2, NULL));
	WANT_OK(ioasid_dev_detach(nvme));
	WANT_OK(ioasid_hwpt_destroy(ctx, hw1));
	/* Closing with a PASID attached and HWPTs and IOASes left. */
	ioasid_dev_close(virtio);
	ioasid_dev_close(nvme);
	ioasid_ctx_close(ctx);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The device model                                                     */

#define RAM_SIZE (16 * SZ_1M)
#define REGION_GPA 0x100000000ull
#define REGION_SIZE (2 * SZ_1M)
#define EP_NIC 0x18u  /* 0000:00:03.0 */
#define EP_NVME 0x20u /* 0000:00:04.0 */
#define EP_EMU 0x100u /* emulated */
#define PROBE_SIZE 512u
#define RW 3u
#define MSI_START 0xfee00000ull
#define MSI_LAST 0xfeefffffull

static uint8_t *vram, *vregion, *vram2, *vregion2;

struct vdev {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *nic, *nvme;
};

static int viommu_setup(void)
{
	if (!vram)
		vram = map_anon(RAM_SIZE);
	if (!vregion)
		vregion = map_anon(REGION_SIZE);
	if (!vram2)
		vram2 = map_anon(RAM_SIZE);
	if (!vregion2)
		vregion2 = map_anon(REGION_SIZE);
	return !vram || !vregion || !vram2 || !vregion2;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Send a request; the reply's status, or -1 if the device gave none. */
static int send(struct vdev *d, const uint8_t *req, size_t len, uint8_t *resp,
		size_t rlen)
{
	uint32_t used = 0;

	memset(resp, 0xee, rlen);
	if (ioasid_virtio_iommu_handle_buffers(d->v, req, len, resp, rlen, &used) ||
	    used != rlen)
		return -1;
	return resp[rlen - 4];
}

static int attach(struct vdev *d, uint32_t dom, uint32_t ep)
{
	uint8_t r[20] = { 1 }, t[4];

	put32(r + 4, dom);
	put32(r + 8, ep);
	return send(d, r, sizeof(r), t, sizeof(t));
}

static int detach(struct vdev *d, uint32_t dom, uint32_t ep)
{
	uint8_t r[20] = { 2 }, t[4];

	put32(r + 4, dom);
	put32(r + 8, ep);
	return send(d, r, sizeof(r), t, sizeof(t));
}

static int map(struct vdev *d, uint32_t dom, uint64_t vs, uint64_t ve,
	       uint64_t ps, uint32_t flags)
{
	uint8_t r[36] = { 3 }, t[4];

	put32(r + 4, dom);
	put64(r + 8, vs);
	put64(r + 16, ve);
	put64(r + 24, ps);
	put32(r + 32, flags);
	return send(d, r, sizeof(r), t, sizeof(t));
}

static int unmap(struct vdev *d, uint32_t dom, uint64_t vs, uint64_t ve)
{
	uint8_t r[28] = { 4 }, t[4];

	put32(r + 4, dom);
	put64(r + 8, vs);
	put64(r + 16, ve);
	return send(d, r, sizeof(r), t, sizeof(t));
}

static int probe(struct vdev *d, uint32_t ep)
{
	uint8_t r[72] = { 5 }, props[PROBE_SIZE + 4];

	put32(r + 4, ep);
	return send(d, r, sizeof(r), props, sizeof(props));
}

/* A device over its own context: RAM in two slots, the NIC and the NVMe
 * controller of the built-in x86 server and an emulated endpoint with
 * the MSI window; nested mode if @region. */
static int vdev_new(struct vdev *d, uint8_t *ram, uint8_t *region)
{
	static const struct ioasid_resv_region msi = {
		MSI_START, MSI_LAST, IOASID_RESV_MSI, 0 };
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, eo, .resv = &msi,
		    .num_resv = 1);
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);

	memset(d, 0, sizeof(*d));
	/* Zero pages again without copying them: each run is a fork of
	 * the process that ran the clean run. */
	madvise(ram, RAM_SIZE, MADV_DONTNEED);
	WANT_OK(ioasid_ctx_open(&co, &d->ctx));
	WANT_OK(ioasid_virtio_iommu_create(d->ctx, NULL, &d->v));
	WANT_OK(ioasid_virtio_iommu_add_ram(d->v, 0, RAM_SIZE / 2, ram));
	WANT_OK(ioasid_virtio_iommu_add_ram(d->v, RAM_SIZE / 2, RAM_SIZE / 2,
				      ram + RAM_SIZE / 2));
	WANT_OK(ioasid_dev_open(d->ctx, "0000:00:03.0", &d->nic));
	WANT_OK(ioasid_dev_bind(d->nic, NULL));
	WANT_OK(ioasid_dev_open(d->ctx, "0000:00:04.0", &d->nvme));
	WANT_OK(ioasid_dev_bind(d->nvme, NULL));
	WANT_OK(ioasid_virtio_iommu_add_endpoint(d->v, EP_NIC, d->nic, NULL));
	WANT_OK(ioasid_virtio_iommu_add_endpoint(d->v, EP_NVME, d->nvme, NULL));
	WANT_OK(ioasid_virtio_iommu_add_endpoint(d->v, EP_EMU, NULL, &eo));
	if (region) {
		IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no,
			    .region_gpa = REGION_GPA,
			    .region_size = REGION_SIZE, .region_hva = region);

		madvise(region, REGION_SIZE, MADV_DONTNEED);
		fault_watch_mem(region, REGION_SIZE);
		WANT_OK(ioasid_virtio_iommu_enable_nested(d->v, &no));
	}
	WANT_OK(ioasid_virtio_iommu_set_features(d->v, ioasid_virtio_iommu_features(d->v)));
	return 0;
}

static void vdev_free(struct vdev *d)
{
	ioasid_virtio_iommu_destroy(d->v);
	ioasid_dev_close(d->nic);
	ioasid_dev_close(d->nvme);
	ioasid_ctx_close(d->ctx);
	fault_unwatch_all();
}

/* Attach, map, move, unmap, probe, translate, reset. */
static int viommu_guest(struct vdev *d, bool nested)
{
	struct ioasid_virtio_iommu_translation t;
	uint32_t mode = 0;

	WANT(attach(d, 1, EP_NIC) == 0);
	WANT(attach(d, 1, EP_EMU) == 0);
	WANT(map(d, 1, 0x100000, 0x10ffff, 0x200000, RW) == 0);
	/* Across the boundary of the two RAM slots. */
	WANT(map(d, 1, 0x40000000, 0x401fffff, 7 * SZ_1M, RW) == 0);
	WANT(map(d, 1, 0x50000000, 0x50000fff, 0x3000, 1) == 0);
	WANT_OK(ioasid_virtio_iommu_domain_mode(d->v, 1, &mode));
	WANT(mode == (nested ? IOASID_VIRTIO_IOMMU_MODE_NESTED : IOASID_VIRTIO_IOMMU_MODE_SHADOW));
	WANT_OK(ioasid_virtio_iommu_translate(d->v, EP_EMU, 0x100800,
					IOASID_VIRTIO_IOMMU_ACCESS_READ, &t));
	WANT(t.gpa == 0x200800);
	WANT(attach(d, 2, EP_NVME) == 0);
	WANT(map(d, 2, 0, 0xfff, 0x1000, RW) == 0);
	WANT(map(d, 2, 0x800000, 0x8fffff, 0x400000, 2) == 0);
	WANT(probe(d, EP_NIC) == 0);
	WANT(probe(d, EP_EMU) == 0);
	/* Move the NIC to domain 2, and back. */
	WANT(attach(d, 2, EP_NIC) == 0);
	WANT(unmap(d, 2, 0x800000, 0x8fffff) == 0);
	WANT(attach(d, 1, EP_NIC) == 0);
	WANT(unmap(d, 1, 0x40000000, 0x401fffff) == 0);
	WANT(map(d, 1, 0x60000000, 0x6000ffff, 0x600000, RW) == 0);
	WANT_OK(ioasid_virtio_iommu_flush(d->v));
	WANT(detach(d, 2, EP_NVME) == 0);
	WANT(unmap(d, 1, 0, ~0ull) == 0);
	WANT_OK(ioasid_virtio_iommu_reset(d->v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
	/* After the reset: a new domain on the driver's second start. */
	WANT_OK(ioasid_virtio_iommu_set_features(d->v, ioasid_virtio_iommu_features(d->v)));
	WANT(attach(d, 3, EP_NVME) == 0);
	WANT(map(d, 3, 0x200000, 0x3fffff, 0x200000, RW) == 0);
	return 0;
}

static int viommu_shadow_run(void)
{
	struct vdev d;

	if (vdev_new(&d, vram, NULL) || viommu_guest(&d, false)) {
		vdev_free(&d);
		return 1;
	}
	vdev_free(&d);
	return 0;
}

static int viommu_nested_run(void)
{
	struct vdev d;

	if (vdev_new(&d, vram, vregion) || viommu_guest(&d, true)) {
		vdev_free(&d);
		return 1;
	}
	vdev_free(&d);
	return 0;
}

/* ------------------------------------------------------------------ */
/* migrate: save, then restore on another device                        */

static int migrate_body(struct vdev *src, struct vdev *dst)
{
	size_t need = 0;
	uint8_t *buf;
	int rc;

	WANT(attach(src, 1, EP_NIC) == 0);
	WANT(attach(src, 1, EP_EMU) == 0);
	WANT(attach(src, 2, EP_NVME) == 0);
	WANT(map(src, 1, 0x100000, 0x10ffff, 0x200000, RW) == 0);
	WANT(map(src, 1, 0x40000000, 0x401fffff, 7 * SZ_1M, RW) == 0);
	WANT(map(src, 2, 0, 0xfff, 0x1000, RW) == 0);
	WANT(map(src, 2, 0x800000, 0x8fffff, 0x400000, 2) == 0);
	WANT(ioasid_virtio_iommu_save(src->v, NULL, 0, &need) == -EMSGSIZE || need);
	buf = malloc(need);
	WANT(buf);
	rc = ioasid_virtio_iommu_save(src->v, buf, need, &need);
	if (!rc)
		rc = ioasid_virtio_iommu_restore(dst->v, buf, need);
	free(buf);
	WANT(rc == 0);
	/* The restored device works: unmap, map, move, reset. */
	WANT(unmap(dst, 1, 0x100000, 0x10ffff) == 0);
	WANT(map(dst, 1, 0x300000, 0x3fffff, 0x300000, RW) == 0);
	WANT(attach(dst, 2, EP_NIC) == 0);
	WANT_OK(ioasid_virtio_iommu_reset(dst->v, IOASID_VIRTIO_IOMMU_RESET_SYSTEM));
	return 0;
}

static int migrate_run(void)
{
	struct vdev src, dst;
	int rc;

	rc = vdev_new(&src, vram, NULL);
	if (!rc)
		rc = vdev_new(&dst, vram2, NULL);
	else
		memset(&dst, 0, sizeof(dst));
	if (!rc)
		rc = migrate_body(&src, &dst);
	vdev_free(&src);
	vdev_free(&dst);
	return rc;
}

const struct scenario fault_scenarios[] = {
	{ "readme", "README.md's example", readme_setup, readme_run, false },
	{ "batch", "tests/fault/batch.batch through ioasctl", batch_setup,
	  batch_run, true },
	{ "pasid", "PASID attach, replace, detach", pasid_setup, pasid_run,
	  false },
	{ "viommu-shadow", "the device model in shadow mode", viommu_setup,
	  viommu_shadow_run, false },
	{ "viommu-nested", "the device model in nested mode", viommu_setup,
	  viommu_nested_run, false },
	{ "migrate", "save, then restore on another device", viommu_setup,
	  migrate_run, false },
};
const unsigned int fault_num_scenarios =
	sizeof(fault_scenarios) / sizeof(fault_scenarios[0]);
