// SPDX-License-Identifier: MIT
/*
 * The virtio-iommu device model on the real kernel's mock devices
 * (CONFIG_IOMMUFD_TEST), issue 7 item 6:
 *
 * 1. Faults.  Nested mode (with the TEST-ONLY selftest format of
 *    viommu_nested_use_selftest_format(): the mock nests only with its
 *    selftest data type; the VT-d tables are written but not walked by
 *    the mock).  An endpoint's nested HWPT carries the device's fault
 *    queue; I/O page faults raised with IOMMU_TEST_OP_TRIGGER_IOPF come
 *    out of ioasid_virtio_iommu_handle_host_faults() as virtio-iommu fault
 *    reports (every byte checked), and the kernel shows each fault group
 *    answered: its cookie is no longer pending (a response naming it is
 *    refused) and the next fault reuses the lowest cookie.
 *
 * 2. Save/restore.  Two devices on two iommufds, the same endpoint ids on
 *    different mocks, guest RAM in different buffers.  After the guest's
 *    requests on the first, ioasid_virtio_iommu_save() and
 *    ioasid_virtio_iommu_restore() into the second; the kernel then shows the
 *    same mappings on the second device's host objects:
 *    IOMMU_TEST_OP_MD_CHECK_MAP of every mapping to the second device's
 *    RAM (shadow), or of guest RAM and the table region in the nest
 *    parent plus a walk of the rebuilt stage-1 tables equal to the
 *    source's (nested).  An UNMAP through the second device removes the
 *    mapping from the kernel (shadow) or from its tables with the
 *    invalidation reaching its nested HWPT (nested).  Corrupted streams
 *    are refused first, leaving the second device and the kernel
 *    untouched: no guest state, devices where they were, no new kernel
 *    object (IOMMU_DESTROY probing), and a host failure in the middle of
 *    the rebuild (guest RAM that cannot be pinned) is undone the same way.
 */
#include <stdbool.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/iommufd.h>

#include <ioasid/testing.h>
#include <ioasid/virtio-iommu.h>

#include "core.h"
#include "kernel.h"
#include "viommu/pgtable.h"
#include "viommu/viommu-internal.h"
#include "viommu_req.h"
#include "vmtest.h"

/* One host page, the device model's granule (64 KiB on the arm64-64k
 * kernel).  Sizes and offsets below are written for 4 KiB pages and
 * scaled by SCALE, so that every run has the same number of pages. */
#define PAGE vt_page_size()
#define SCALE (PAGE / 4096)
#define RAM_GPA (16ull << 20) /* in the mock aperture (16 MiB - 2 GiB) */
#define RAM_SIZE ((4ull << 20) * SCALE)
#define REGION_GPA (1ull << 30)
#define REGION_SIZE (1ull << 20)
#define MMIO_GPA 0x7f000000ull /* neither RAM nor the region */

#define FAULT_R_MAPPING 2u
#define FAULT_F_READ 1u
#define FAULT_F_WRITE 2u
#define FAULT_F_ADDRESS 0x100u

#define EP_A 0x10u
#define EP_B 0x18u

/* One request; the status byte of the reply. */
static int submit(struct ioasid_virtio_iommu *v, const uint8_t *req, size_t len)
{
	uint8_t tail[4] = { 0xff, 0xff, 0xff, 0xff };
	uint32_t used = 0;

	VT_OK(ioasid_virtio_iommu_handle_buffers(v, req, len, tail, sizeof(tail),
					   &used));
	VT_CHECK(used == 4, "used length %u", used);
	return tail[0];
}

static void *alloc_mem(uint64_t size, uint8_t fill)
{
	uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	VT_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(p, fill, size); /* populated: distinct pages per buffer */
	return p;
}

static struct ioasid_dev *mock_open(struct ioasid_ctx *ctx, const char *name)
{
	struct ioasid_dev *dev;

	VT_OK(ioasid_dev_open(ctx, name, &dev));
	VT_OK(ioasid_dev_bind(dev, NULL));
	return dev;
}

/* The lowest free object id of @ctx (a probe IOAS, destroyed again). */
static uint32_t lowest_free_id(struct ioasid_ctx *ctx)
{
	uint32_t id;

	VT_OK(ioasid_ioas_alloc(ctx, &id));
	VT_OK(ioasid_ioas_destroy(ctx, id));
	return id;
}

/* No kernel object with an id in [@from, @from + @count). */
static void expect_no_objects(struct ioasid_ctx *ctx, uint32_t from,
			      uint32_t count, const char *what)
{
	for (uint32_t id = from; id < from + count; id++) {
		struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
		int rc = ioctl(ioasid_ctx_fd(ctx), IOMMU_DESTROY, &cmd);

		VT_CHECK(rc < 0 && errno == ENOENT,
			 "%s: object %u exists (IOMMU_DESTROY: %s)", what, id,
			 rc ? strerror(errno) : "destroyed it");
	}
}

static bool mock_maps(struct ioasid_ctx *ctx, uint32_t hwpt, uint64_t iova,
		      uint64_t len, const void *va)
{
	return ioasid_kernel_mock_check_map(ctx->be, hwpt, iova, len, va) == 0;
}

static void set_nested(struct ioasid_virtio_iommu *v, void *region)
{
	IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no, .region_gpa = REGION_GPA,
		    .region_size = REGION_SIZE, .region_hva = region);

	VT_OK(ioasid_virtio_iommu_enable_nested(v, &no));
	VT_OK(viommu_nested_use_selftest_format(v));
}

/* ------------------------------------------------------------------ */
/* 1. I/O page faults as virtio-iommu fault reports                     */

static unsigned int notified;

static void on_event(struct ioasid_virtio_iommu *v, void *data)
{
	(void)v;
	(void)data;
	notified++;
}

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* A response the kernel takes only while @cookie is pending. */
static int raw_respond(int fd, uint32_t cookie)
{
	struct iommu_hwpt_page_response r = {
		.cookie = cookie, .code = IOMMUFD_PAGE_RESP_INVALID,
	};
	ssize_t n = write(fd, &r, sizeof(r));

	return n == (ssize_t)sizeof(r) ? 0 : n < 0 ? -errno : -EIO;
}

static void scenario_faults(void)
{
	IOASID_OPTS(ioasid_virtio_iommu_opts, opts, .event_notify = on_event);
	static const struct {
		uint32_t grpid, perm, flags;
		uint64_t addr;
	} raise[3] = {
		{ 1, IOASID_FAULT_PERM_READ, FAULT_F_READ, 0x20001000 },
		{ 2, IOASID_FAULT_PERM_WRITE, FAULT_F_WRITE, 0x20003000 },
		{ 3, IOASID_FAULT_PERM_READ | IOASID_FAULT_PERM_WRITE,
		  FAULT_F_READ | FAULT_F_WRITE, 0x7ffff000 },
	};
	struct ioasid_ctx *ctx = vt_kernel_ctx();
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	struct viommu_nested_host h;
	struct iommu_hwpt_pgfault rec[4];
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *dev;
	uint8_t *ram = alloc_mem(RAM_SIZE, 0), *region = alloc_mem(REGION_SIZE, 0);
	uint8_t ev[IOASID_VIRTIO_IOMMU_FAULT_SIZE + 8];
	uint32_t mode, first_free;
	int ffd, n;
	ssize_t got;

	vt_say("scenario: faults");
	first_free = lowest_free_id(ctx);
	dev = mock_open(ctx, "mock0");
	VT_OK(ioasid_virtio_iommu_create(ctx, &opts, &v));
	VT_OK(ioasid_virtio_iommu_add_ram(v, RAM_GPA, RAM_SIZE, ram));
	VT_OK(ioasid_virtio_iommu_add_endpoint(v, EP_A, dev, NULL));
	set_nested(v, region);
	VT_OK(ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v)));
	VT_CHECK(attach(v, 1, EP_A) == S_OK, "ATTACH");
	VT_OK(ioasid_virtio_iommu_domain_mode(v, 1, &mode));
	VT_CHECK(mode == IOASID_VIRTIO_IOMMU_MODE_NESTED, "domain 1 mode %u", mode);
	VT_OK(viommu_nested_domain_host(v, 1, &h));
	VT_CHECK(h.fault_id && h.hwpt && h.hwpt_faults &&
			 ioasid_dev_hwpt_id(dev) == h.hwpt,
		 "fault queue %u, nested hwpt %u (faults %d), device on %u",
		 h.fault_id, h.hwpt, h.hwpt_faults, ioasid_dev_hwpt_id(dev));
	vt_say("  mock0 on nested hwpt %u (parent %u) with fault queue %u",
	       h.hwpt, h.parent, h.fault_id);
	ffd = VT_OK(ioasid_virtio_iommu_host_fault_fd(v));
	VT_CHECK(!fd_readable(ffd), "fault fd readable before any fault");
	VT_CHECK(ioasid_virtio_iommu_handle_host_faults(v) == 0, "faults before any");

	for (int i = 0; i < 3; i++)
		VT_OK(ioasid_test_iopf(dev, 0, raise[i].grpid, raise[i].perm,
				       raise[i].addr));
	VT_CHECK(fd_readable(ffd), "fault fd not readable after 3 IOPFs");
	n = ioasid_virtio_iommu_handle_host_faults(v);
	VT_CHECK(n == 3, "handle_host_faults: %d (%s)", n, ioasid_errmsg());
	VT_CHECK(!fd_readable(ffd), "fault fd still readable");
	VT_OK(ioasid_virtio_iommu_get_stats(v, &st));
	VT_CHECK(notified == 3 && st.faults == 3 && st.events_pending == 3,
		 "notified %u, faults %llu, pending %u", notified,
		 (unsigned long long)st.faults, st.events_pending);

	for (int i = 0; i < 3; i++) {
		memset(ev, 0xa5, sizeof(ev));
		n = ioasid_virtio_iommu_event_pop(v, ev, sizeof(ev));
		VT_CHECK(n == IOASID_VIRTIO_IOMMU_FAULT_SIZE, "event %d: %d bytes", i, n);
		vt_say("  report %d: reason %u flags 0x%x endpoint 0x%x address 0x%llx",
		       i, ev[0], le32_get(ev + 4), le32_get(ev + 8),
		       (unsigned long long)le64_get(ev + 16));
		VT_CHECK(ev[0] == FAULT_R_MAPPING, "reason %u", ev[0]);
		VT_CHECK(!ev[1] && !ev[2] && !ev[3] && !le32_get(ev + 12),
			 "reserved bytes %02x %02x %02x %08x", ev[1], ev[2],
			 ev[3], le32_get(ev + 12));
		VT_CHECK(le32_get(ev + 4) == (raise[i].flags | FAULT_F_ADDRESS),
			 "flags 0x%x", le32_get(ev + 4));
		VT_CHECK(le32_get(ev + 8) == EP_A, "endpoint 0x%x",
			 le32_get(ev + 8));
		VT_CHECK(le64_get(ev + 16) == raise[i].addr, "address 0x%llx",
			 (unsigned long long)le64_get(ev + 16));
		VT_CHECK(ev[IOASID_VIRTIO_IOMMU_FAULT_SIZE] == 0xa5,
			 "wrote past the report");
	}
	VT_CHECK(ioasid_virtio_iommu_event_pop(v, ev, sizeof(ev)) == 0,
		 "a fourth report");

	/* The kernel's side: the three groups were read (cookies 1-3, the
	 * lowest free ids of the queue's response table) and answered, so
	 * none is pending any more ... */
	for (uint32_t c = 1; c <= 3; c++)
		VT_CHECK(raw_respond(ffd, c) == -EINVAL,
			 "cookie %u still pending (a response was taken)", c);
	/* ... and the next fault gets cookie 1 again. */
	VT_OK(ioasid_test_iopf(dev, 0, 9, IOASID_FAULT_PERM_READ, 0x20009000));
	got = read(ffd, rec, sizeof(rec));
	VT_CHECK(got == (ssize_t)sizeof(rec[0]), "read %zd bytes: %s", got,
		 strerror(errno));
	VT_CHECK(rec[0].cookie == 1 && rec[0].dev_id == ioasid_dev_id(dev) &&
			 rec[0].grpid == 9 && rec[0].addr == 0x20009000,
		 "next fault: cookie %u dev %u grpid %u addr 0x%llx",
		 rec[0].cookie, rec[0].dev_id, rec[0].grpid,
		 (unsigned long long)rec[0].addr);
	VT_OK(raw_respond(ffd, 1));
	VT_CHECK(raw_respond(ffd, 1) == -EINVAL, "cookie 1 answered twice");
	vt_say("  3 reports checked; cookies 1-3 no longer pending; the next fault got cookie 1");

	/* Once more through the library after the raw round. */
	VT_OK(ioasid_test_iopf(dev, 0, 4, IOASID_FAULT_PERM_WRITE, 0x20004000));
	VT_CHECK(ioasid_virtio_iommu_handle_host_faults(v) == 1, "one more fault");
	VT_CHECK(ioasid_virtio_iommu_event_pop(v, ev, sizeof(ev)) ==
				 IOASID_VIRTIO_IOMMU_FAULT_SIZE &&
			 le64_get(ev + 16) == 0x20004000,
		 "the fifth report");
	VT_CHECK(raw_respond(ffd, 1) == -EINVAL, "cookie 1 pending after handling");

	ioasid_virtio_iommu_destroy(v);
	ioasid_dev_close(dev);
	expect_no_objects(ctx, first_free, 32, "faults, after destroy");
	ioasid_ctx_close(ctx);
	munmap(ram, RAM_SIZE);
	munmap(region, REGION_SIZE);
}

/* ------------------------------------------------------------------ */
/* 2. Save on one device, restore on another                            */

struct guest_map {
	uint32_t domain;
	uint64_t iova, len, gpa;
	uint32_t flags;
};

/* Domain 1 holds EP_A, domain 2 EP_B.  A 2 MiB map aligned for a large
 * leaf, read-only and write-only maps, an MMIO map (no host side).  In
 * 4 KiB pages; scale_layout() scales them to the host's. */
static struct guest_map maps[] = {
	{ 1, 0x20000000, 0x10000, RAM_GPA + 0x10000, MAP_READ | MAP_WRITE },
	{ 1, 0x20100000, 0x2000, RAM_GPA + 0x3000, MAP_READ },
	{ 1, 0x20200000, 0x200000, RAM_GPA + 0x200000, MAP_WRITE },
	{ 2, 0x30000000, 0x1000, RAM_GPA, MAP_READ | MAP_WRITE },
	{ 2, 0x30100000, 0x1000, MMIO_GPA, MAP_READ | MAP_WRITE | MAP_MMIO },
	{ 2, 0x30400000, 0x3000, RAM_GPA + 0x1ff000, MAP_READ | MAP_WRITE },
};
#define NUM_MAPS (sizeof(maps) / sizeof(maps[0]))
/* The IOVA windows compared page by page in nested mode. */
static struct {
	uint32_t domain;
	uint64_t start, len;
} windows[] = { { 1, 0x20000000, 0x400000 }, { 2, 0x30000000, 0x500000 } };

/* Offsets from each window's start and from RAM_GPA, and every length,
 * times SCALE: on 64 KiB pages the same maps, 16 times larger. */
static void scale_layout(void)
{
	for (size_t i = 0; i < NUM_MAPS; i++) {
		struct guest_map *m = &maps[i];

		for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++)
			if (windows[w].domain == m->domain)
				m->iova = windows[w].start +
					  (m->iova - windows[w].start) * SCALE;
		m->len *= SCALE;
		if (!(m->flags & MAP_MMIO))
			m->gpa = RAM_GPA + (m->gpa - RAM_GPA) * SCALE;
	}
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++)
		windows[w].len *= SCALE;
}

struct side {
	const char *name;
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev[2]; /* EP_A, EP_B */
	struct ioasid_virtio_iommu *v;
	uint8_t *ram, *region;
};

static void side_open(struct side *s, const char *name, const char *mock_a,
		      const char *mock_b, bool nested, uint8_t fill)
{
	s->name = name;
	s->ctx = vt_kernel_ctx();
	s->ram = alloc_mem(RAM_SIZE, fill);
	s->region = alloc_mem(REGION_SIZE, 0);
	s->dev[0] = mock_open(s->ctx, mock_a);
	s->dev[1] = mock_open(s->ctx, mock_b);
	VT_OK(ioasid_virtio_iommu_create(s->ctx, NULL, &s->v));
	VT_OK(ioasid_virtio_iommu_add_ram(s->v, RAM_GPA, RAM_SIZE, s->ram));
	VT_OK(ioasid_virtio_iommu_add_endpoint(s->v, EP_A, s->dev[0], NULL));
	VT_OK(ioasid_virtio_iommu_add_endpoint(s->v, EP_B, s->dev[1], NULL));
	if (nested)
		set_nested(s->v, s->region);
}

static void side_close(struct side *s)
{
	ioasid_virtio_iommu_destroy(s->v);
	ioasid_dev_close(s->dev[0]);
	ioasid_dev_close(s->dev[1]);
	ioasid_ctx_close(s->ctx);
	munmap(s->ram, RAM_SIZE);
	munmap(s->region, REGION_SIZE);
}

/* The kernel HWPT the endpoint of @domain is on. */
static uint32_t domain_hwpt(const struct side *s, uint32_t domain)
{
	return ioasid_dev_hwpt_id(s->dev[domain - 1]);
}

static bool host_backed(const struct guest_map *m)
{
	return !(m->flags & MAP_MMIO);
}

/* Shadow: every host-backed mapping in the kernel, to this side's RAM. */
static void check_shadow_maps(const struct side *s, const bool *gone)
{
	for (size_t i = 0; i < NUM_MAPS; i++) {
		const struct guest_map *m = &maps[i];
		uint32_t hwpt = domain_hwpt(s, m->domain);
		bool mapped;

		if (!host_backed(m))
			continue;
		mapped = mock_maps(s->ctx, hwpt, m->iova, m->len,
				   s->ram + (m->gpa - RAM_GPA));
		VT_CHECK(mapped == !(gone && gone[i]),
			 "%s: hwpt %u %s 0x%llx+0x%llx to its RAM", s->name,
			 hwpt, mapped ? "maps" : "does not map",
			 (unsigned long long)m->iova, (unsigned long long)m->len);
	}
}

struct region_reader {
	const uint8_t *hva;
};

static int region_read(void *arg, uint64_t gpa, uint64_t *entry)
{
	const struct region_reader *r = arg;

	if (gpa < REGION_GPA || gpa + 8 > REGION_GPA + REGION_SIZE)
		return -EFAULT;
	*entry = le64_get(r->hva + (gpa - REGION_GPA));
	return 0;
}

struct walk {
	int rc;
	struct vpt_translation t;
};

static struct walk walk_page(const struct side *s, uint64_t root,
			     uint64_t iova)
{
	struct region_reader rd = { s->region };
	struct walk w = { 0 };

	w.rc = vpt_walk(region_read, &rd, root, iova, &w.t);
	return w;
}

/* Nested: the source's tables and the destination's translate every
 * page of the windows alike, and as the mappings say. */
static unsigned int compare_tables(const struct side *src,
				   const struct side *dst, const bool *gone)
{
	unsigned int mapped_pages = 0;

	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		struct viommu_nested_host hs, hd;

		VT_OK(viommu_nested_domain_host(src->v, windows[w].domain, &hs));
		VT_OK(viommu_nested_domain_host(dst->v, windows[w].domain, &hd));
		for (uint64_t off = 0; off < windows[w].len; off += PAGE) {
			uint64_t iova = windows[w].start + off;
			struct walk a = walk_page(src, hs.root, iova);
			struct walk b = walk_page(dst, hd.root, iova);
			const struct guest_map *m = NULL;

			for (size_t i = 0; i < NUM_MAPS; i++)
				if (maps[i].domain == windows[w].domain &&
				    host_backed(&maps[i]) && !(gone && gone[i]) &&
				    iova >= maps[i].iova &&
				    iova < maps[i].iova + maps[i].len)
					m = &maps[i];
			if (m) {
				uint64_t want = m->gpa + (iova - m->iova);

				VT_CHECK(b.rc == 0 && b.t.out == want &&
						 b.t.writable == !!(m->flags & MAP_WRITE),
					 "%s: iova 0x%llx: rc %d out 0x%llx writable %d, want 0x%llx",
					 dst->name, (unsigned long long)iova, b.rc,
					 (unsigned long long)b.t.out, b.t.writable,
					 (unsigned long long)want);
				mapped_pages++;
			} else {
				VT_CHECK(b.rc == -ENOENT,
					 "%s: unmapped iova 0x%llx walks: rc %d out 0x%llx",
					 dst->name, (unsigned long long)iova, b.rc,
					 (unsigned long long)b.t.out);
			}
			if (gone)
				continue; /* the source still has it */
			VT_CHECK(a.rc == b.rc && a.t.out == b.t.out &&
					 a.t.writable == b.t.writable,
				 "iova 0x%llx: source rc %d out 0x%llx w %d, destination rc %d out 0x%llx w %d",
				 (unsigned long long)iova, a.rc,
				 (unsigned long long)a.t.out, a.t.writable, b.rc,
				 (unsigned long long)b.t.out, b.t.writable);
		}
	}
	return mapped_pages;
}

/* Nested: the nest parent of each domain's HWPT maps all guest RAM to
 * this side's RAM and the table region to its region. */
static void check_nest_parents(const struct side *s)
{
	for (uint32_t d = 1; d <= 2; d++) {
		struct viommu_nested_host h;

		VT_OK(viommu_nested_domain_host(s->v, d, &h));
		VT_CHECK(h.hwpt && h.hwpt == domain_hwpt(s, d) && h.parent,
			 "%s: domain %u: nested hwpt %u parent %u, device on %u",
			 s->name, d, h.hwpt, h.parent, domain_hwpt(s, d));
		VT_CHECK(h.root >= REGION_GPA && h.root < REGION_GPA + REGION_SIZE,
			 "%s: root 0x%llx outside the region", s->name,
			 (unsigned long long)h.root);
		VT_CHECK(mock_maps(s->ctx, h.parent, RAM_GPA, RAM_SIZE, s->ram),
			 "%s: nest parent %u does not map guest RAM to its RAM",
			 s->name, h.parent);
		VT_CHECK(mock_maps(s->ctx, h.parent, REGION_GPA, REGION_SIZE,
				   s->region),
			 "%s: nest parent %u does not map the table region",
			 s->name, h.parent);
	}
}

/* CRC-32 (IEEE, reflected), as the stream's trailer. */
static uint32_t crc32_ieee(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1u));
	}
	return ~crc;
}

static void reseal(uint8_t *s, size_t len)
{
	le32_put(s + len - 4, crc32_ieee(s, len - 4));
}

/* The payload of the first record of @type (NULL if none). */
static uint8_t *record(uint8_t *s, size_t len, uint16_t type)
{
	size_t off = 24;

	while (off + 8 <= len - 4) {
		uint32_t plen = le32_get(s + off + 4);

		if ((uint16_t)(s[off] | s[off + 1] << 8) == type)
			return s + off + 8;
		off += 8 + plen;
	}
	return NULL;
}

/* @v (on @s) has no guest state, its devices sit where they were, and
 * the kernel has no object it did not have before. */
static void expect_untouched(const struct side *s, uint32_t free_id,
			     const uint32_t hwpt_before[2], const char *what)
{
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	uint32_t mode;

	VT_OK(ioasid_virtio_iommu_get_stats(s->v, &st));
	VT_CHECK(st.domains == 0 && st.mappings == 0 && st.events_pending == 0,
		 "%s: %u domains, %llu mappings, %u events after the refusal",
		 what, st.domains, (unsigned long long)st.mappings,
		 st.events_pending);
	VT_ERR(ENOENT, ioasid_virtio_iommu_domain_mode(s->v, 1, &mode));
	for (int i = 0; i < 2; i++)
		VT_CHECK(ioasid_dev_hwpt_id(s->dev[i]) == hwpt_before[i],
			 "%s: device %d moved from hwpt %u to %u", what, i,
			 hwpt_before[i], ioasid_dev_hwpt_id(s->dev[i]));
	VT_CHECK(lowest_free_id(s->ctx) == free_id,
		 "%s: lowest free id %u, was %u", what, lowest_free_id(s->ctx),
		 free_id);
	expect_no_objects(s->ctx, free_id, 32, what);
}

static void refuse(struct side *s, const uint8_t *stream, size_t len,
		   int err, uint32_t free_id, const uint32_t hwpt_before[2],
		   const char *what)
{
	int rc = ioasid_virtio_iommu_restore(s->v, stream, len);

	VT_CHECK(rc == -err, "%s: restore returned %d (%s), want %d", what, rc,
		 ioasid_errmsg(), -err);
	vt_say("  refused (%s): \"%s\"", what, ioasid_errmsg());
	expect_untouched(s, free_id, hwpt_before, what);
}

static void scenario_migrate(bool nested)
{
	const char *name = nested ? "nested" : "shadow";
	struct side src, dst;
	uint8_t *stream, *bad;
	size_t len = 0, len2 = 0;
	uint32_t free_id, hwpt_before[2], mode;
	bool gone[NUM_MAPS] = { false };
	uint8_t *mp;

	vt_say("scenario: save/restore, %s mode", name);
	side_open(&src, "source", "mock0", "mock1", nested, 0x11);
	side_open(&dst, "destination", "mock2", "mock3", nested, 0x22);
	VT_OK(ioasid_virtio_iommu_set_features(src.v, ioasid_virtio_iommu_features(src.v)));
	VT_CHECK(attach(src.v, 1, EP_A) == S_OK, "ATTACH A");
	VT_CHECK(attach(src.v, 2, EP_B) == S_OK, "ATTACH B");
	for (size_t i = 0; i < NUM_MAPS; i++)
		VT_CHECK(map(src.v, maps[i].domain, maps[i].iova, maps[i].len,
			     maps[i].gpa, maps[i].flags) == S_OK,
			 "MAP %zu", i);
	VT_OK(ioasid_virtio_iommu_flush(src.v));
	if (nested)
		check_nest_parents(&src);
	else
		check_shadow_maps(&src, NULL);

	VT_CHECK(ioasid_virtio_iommu_save(src.v, NULL, 0, &len) == -EMSGSIZE && len,
		 "size query: %zu", len);
	stream = malloc(len);
	bad = malloc(len);
	VT_CHECK(stream && bad, "malloc");
	VT_OK(ioasid_virtio_iommu_save(src.v, stream, len, &len2));
	VT_CHECK(len2 == len, "saved %zu of %zu bytes", len2, len);

	/* Refusals first, each leaving the destination as it was. */
	free_id = lowest_free_id(dst.ctx);
	hwpt_before[0] = ioasid_dev_hwpt_id(dst.dev[0]);
	hwpt_before[1] = ioasid_dev_hwpt_id(dst.dev[1]);
	memcpy(bad, stream, len);
	bad[len / 2] ^= 0x40;
	refuse(&dst, bad, len, EBADMSG, free_id, hwpt_before, "a flipped bit");
	refuse(&dst, stream, len - 1, EBADMSG, free_id, hwpt_before,
	       "truncated");
	memcpy(bad, stream, len);
	le32_put(bad + 8, 2);
	reseal(bad, len);
	refuse(&dst, bad, len, EPROTONOSUPPORT, free_id, hwpt_before,
	       "version 2");
	/* Sound bytes, but the last mapping's guest-physical range is not
	 * RAM of the destination: refused before any host call. */
	memcpy(bad, stream, len);
	mp = record(bad, len, 4);
	VT_CHECK(mp, "no MAPPING record");
	le64_put(mp + 24, RAM_GPA + RAM_SIZE);
	reseal(bad, len);
	refuse(&dst, bad, len, EINVAL, free_id, hwpt_before, "phys not RAM");
	/* A host failure in the rebuild: one page of the destination's RAM
	 * is gone, so pinning it fails; everything built is undone. */
	VT_CHECK(munmap(dst.ram + 3 * PAGE, PAGE) == 0, "munmap");
	{
		int rc = ioasid_virtio_iommu_restore(dst.v, stream, len);

		const char *why = strstr(ioasid_errmsg(), "host state: ");

		VT_CHECK(rc < 0, "restore over unpinnable RAM succeeded");
		/* The message names the host failure, not just the step. */
		VT_CHECK(why && why[12], "message \"%s\"", ioasid_errmsg());
		vt_say("  refused (host failure, rolled back): %d \"%s\"", rc,
		       ioasid_errmsg());
		expect_untouched(&dst, free_id, hwpt_before, "host failure");
	}
	VT_CHECK(mmap(dst.ram + 3 * PAGE, PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
			 dst.ram + 3 * PAGE,
		 "mmap: %s", strerror(errno));
	memset(dst.ram + 3 * PAGE, 0x22, PAGE);

	VT_OK(ioasid_virtio_iommu_restore(dst.v, stream, len));
	for (uint32_t d = 1; d <= 2; d++) {
		VT_OK(ioasid_virtio_iommu_domain_mode(dst.v, d, &mode));
		VT_CHECK(mode == (nested ? IOASID_VIRTIO_IOMMU_MODE_NESTED
					 : IOASID_VIRTIO_IOMMU_MODE_SHADOW),
			 "domain %u mode %u", d, mode);
	}
	if (nested) {
		unsigned int pages;

		check_nest_parents(&dst);
		pages = compare_tables(&src, &dst, NULL);
		vt_say("  nest parents map guest RAM and the region to the destination's memory; %u mapped pages walk alike",
		       pages);
	} else {
		check_shadow_maps(&dst, NULL);
		/* The destination's pages, not the source's. */
		VT_CHECK(!mock_maps(dst.ctx, domain_hwpt(&dst, 1), maps[0].iova,
				    maps[0].len, src.ram + 16 * PAGE),
			 "destination maps the source's RAM");
		vt_say("  every host-backed mapping is in the destination's mock hwpts, to its RAM");
	}
	/* The same state: a re-save gives the same bytes. */
	VT_OK(ioasid_virtio_iommu_save(dst.v, bad, len, &len2));
	VT_CHECK(len2 == len && !memcmp(bad, stream, len),
		 "re-saved stream differs (%zu bytes)", len2);

	/* UNMAP of a restored mapping through the destination. */
	VT_CHECK(unmap(dst.v, 1, maps[0].iova, maps[0].len) == S_OK, "UNMAP");
	gone[0] = true;
	if (nested) {
		struct viommu_nested_host h;

		VT_OK(viommu_nested_domain_host(dst.v, 1, &h));
		/* Not invalidated before the flush, then invalidated. */
		VT_OK(ioasid_test_check_iotlb(dst.ctx, h.hwpt, 0,
					      IOASID_TEST_IOTLB_DEFAULT));
		VT_OK(ioasid_virtio_iommu_flush(dst.v));
		VT_OK(ioasid_test_check_iotlb(dst.ctx, h.hwpt, 0, 0));
		compare_tables(&src, &dst, gone);
		check_nest_parents(&dst);
		vt_say("  UNMAP: gone from the destination's tables, invalidation reached nested hwpt %u",
		       h.hwpt);
	} else {
		VT_OK(ioasid_virtio_iommu_flush(dst.v));
		check_shadow_maps(&dst, gone);
		vt_say("  UNMAP: the destination's hwpt no longer maps 0x%llx, the rest stays",
		       (unsigned long long)maps[0].iova);
	}
	/* The source is independent of all this. */
	if (!nested)
		check_shadow_maps(&src, NULL);

	free(stream);
	free(bad);
	side_close(&src);
	side_close(&dst);
}

int main(void)
{
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev;

	if (access("/dev/iommu", F_OK))
		vt_skip("no /dev/iommu");
	ctx = vt_kernel_ctx();
	VT_OK(ioasid_dev_open(ctx, "mock0", &dev));
	if (ioasid_dev_bind(dev, NULL) == -ENOTTY)
		vt_skip("no mock devices (CONFIG_IOMMUFD_TEST): %s",
			ioasid_errmsg());
	ioasid_dev_close(dev);
	ioasid_ctx_close(ctx);

	scale_layout();
	scenario_faults();
	scenario_migrate(false);
	scenario_migrate(true);
	vt_say("PASS");
	return VT_EXIT_PASS;
}
