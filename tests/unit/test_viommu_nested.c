/* SPDX-License-Identifier: MIT */
/*
 * virtio-iommu nested mode on the simulator (issue 7 items 2-4):
 *  - the same seeded random MAP/UNMAP sequences go to a shadow-mode and a
 *    nested-mode device over the same guest RAM; both give the same
 *    statuses, and every IOVA page of the window translates the same:
 *    shadow through its IOAS, nested through the simulator's nested HWPT
 *    (stage 1 by the installed walker over the tables the library wrote,
 *    then stage 2); permissions checked against a model;
 *  - UNMAP then flush: the invalidation reaches the HWPT in one call;
 *  - an I/O page fault of an endpoint becomes a fault report and is
 *    answered;
 *  - a domain joined by an endpoint whose IOMMU cannot nest becomes a
 *    shadow domain with its mappings.
 */
#include "le.h"
#include "helpers.h"
#include "viommu_check.h"

#include <poll.h>

#include <ioasid/testing.h>
#include <ioasid/virtio-iommu.h>

#include "core.h"
#include "sim-test-hooks.h"
#include "viommu/pgtable.h"
#include "viommu/viommu-internal.h"

#define RAM (64 * SZ_1M)
#define REGION_GPA 0x100000000ull
#define REGION_SIZE (2 * SZ_1M)
#define EP_NIC 0x18u
#define EP_NVME 0x20u
#define EP_EMU 0x100u
#define WIN_START ((1ull << 30) - 32 * SZ_1M) /* straddles 1 GiB */
#define WIN_PAGES ((64 * SZ_1M) >> 12)

struct dev {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *nic, *nvme;
	void *region;
};

static uint8_t *ram;

static uint8_t send(struct dev *d, const uint8_t *req, size_t len)
{
	uint8_t tail[4];
	uint32_t used = 0;

	OK(ioasid_virtio_iommu_handle_buffers(d->v, req, len, tail, sizeof(tail), &used));
	assert_int_equal(used, 4);
	return tail[0];
}

static uint8_t attach(struct dev *d, uint32_t dom, uint32_t ep)
{
	uint8_t r[20] = { 1 };

	le32_put(r + 4, dom);
	le32_put(r + 8, ep);
	return send(d, r, sizeof(r));
}

static uint8_t map(struct dev *d, uint32_t dom, uint64_t s, uint64_t e,
		   uint64_t phys, uint32_t flags)
{
	uint8_t r[36] = { 3 };

	le32_put(r + 4, dom);
	le64_put(r + 8, s);
	le64_put(r + 16, e);
	le64_put(r + 24, phys);
	le32_put(r + 32, flags);
	return send(d, r, sizeof(r));
}

static uint8_t unmap(struct dev *d, uint32_t dom, uint64_t s, uint64_t e)
{
	uint8_t r[28] = { 4 };

	le32_put(r + 4, dom);
	le64_put(r + 8, s);
	le64_put(r + 16, e);
	return send(d, r, sizeof(r));
}

static void dev_new(struct dev *d, const char *topo, bool nested)
{
	static const struct ioasid_resv_region msi = {
		MSI_START, MSI_LAST, IOASID_RESV_MSI, 0 };
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, eo, .resv = &msi, .num_resv = 1);
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM,
		    .topology = topo);

	memset(d, 0, sizeof(*d));
	OK(ioasid_ctx_open(&co, &d->ctx));
	ioasid_sim_set_s1_walker(d->ctx->be, vpt_s1_walk, NULL);
	OK(ioasid_virtio_iommu_create(d->ctx, NULL, &d->v));
	OK(ioasid_virtio_iommu_add_ram(d->v, 0, RAM / 2, ram));
	OK(ioasid_virtio_iommu_add_ram(d->v, RAM / 2, RAM / 2, ram + RAM / 2));
	d->nic = dev_open_bound(d->ctx, "0000:00:03.0");
	d->nvme = dev_open_bound(d->ctx, topo ? "0000:01:00.0" : "0000:00:04.0");
	OK(ioasid_virtio_iommu_add_endpoint(d->v, EP_NIC, d->nic, NULL));
	OK(ioasid_virtio_iommu_add_endpoint(d->v, EP_NVME, d->nvme, NULL));
	OK(ioasid_virtio_iommu_add_endpoint(d->v, EP_EMU, NULL, &eo));
	if (nested) {
		d->region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(d->region != MAP_FAILED);
		IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no,
			    .region_gpa = REGION_GPA, .region_size = REGION_SIZE,
			    .region_hva = d->region);
		OK(ioasid_virtio_iommu_enable_nested(d->v, &no));
	}
	OK(ioasid_virtio_iommu_set_features(d->v, ioasid_virtio_iommu_features(d->v)));
}

static void dev_free(struct dev *d)
{
	ioasid_virtio_iommu_destroy(d->v);
	ioasid_dev_close(d->nic);
	ioasid_dev_close(d->nvme);
	ioasid_ctx_close(d->ctx);
	if (d->region)
		munmap(d->region, REGION_SIZE);
}

static int setup(void **state)
{
	(void)state;
	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return ram == MAP_FAILED;
}

static int teardown(void **state)
{
	(void)state;
	munmap(ram, RAM);
	return 0;
}

/* ---- Model ---------------------------------------------------------- */

struct page {
	bool mapped;
	uint64_t phys;
	uint32_t flags;
};

struct table_reader {
	uint8_t *hva;
};

static int read_region(void *arg, uint64_t gpa, uint64_t *entry)
{
	struct table_reader *r = arg;

	if (gpa < REGION_GPA || gpa + 8 > REGION_GPA + REGION_SIZE)
		return -EFAULT;
	memcpy(entry, r->hva + (gpa - REGION_GPA), 8);
	return 0;
}

/* The stage-1 root of the nested HWPT @hwpt: walk it by hand too, for
 * the permission the simulator's translation does not report. */
static void check_window(struct dev *sh, struct dev *ne, uint32_t dom,
			 struct ioasid_dev *sdev, struct ioasid_dev *ndev,
			 const struct page *model, uint64_t root)
{
	struct table_reader tr = { ne->region };
	uint32_t shwpt = ioasid_dev_hwpt_id(sdev), nhwpt = ioasid_dev_pt_id(ndev);
	uint32_t mode;

	OK(ioasid_virtio_iommu_domain_mode(ne->v, dom, &mode));
	assert_int_equal(mode, IOASID_VIRTIO_IOMMU_MODE_NESTED);
	OK(ioasid_virtio_iommu_domain_mode(sh->v, dom, &mode));
	assert_int_equal(mode, IOASID_VIRTIO_IOMMU_MODE_SHADOW);
	for (uint64_t i = 0; i < WIN_PAGES; i++) {
		uint64_t iova = WIN_START + (i << 12) + (i * 8 & 0xff8);
		uint64_t va_s = 0, va_n = 0;
		int rs = ioasid_sim_hwpt_translate(sh->ctx->be, shwpt, iova, &va_s);
		int rn = ioasid_sim_hwpt_translate(ne->ctx->be, nhwpt, iova, &va_n);
		const struct page *p = &model[i];
		bool backed = p->mapped && !(p->flags & 4) && (p->flags & 3);
		struct vpt_translation t;

		if (rs != rn || va_s != va_n || (rs == 0) != backed)
			fail_msg("domain %u iova %#llx: shadow %d %#llx, nested %d %#llx, model %s",
				 dom, (unsigned long long)iova, rs,
				 (unsigned long long)va_s, rn,
				 (unsigned long long)va_n,
				 backed ? "mapped" : "unmapped");
		if (!backed)
			continue;
		assert_int_equal(va_s, (uintptr_t)ram + p->phys + (iova & 0xfff));
		OK(vpt_walk(read_region, &tr, root, iova, &t));
		assert_int_equal(t.writable, !!(p->flags & 2));
	}
}

/* Domain roots: the pool hands out its lowest free page first, and
 * domains 1 and 2 are made before any MAP, so their roots are the first
 * two pages of the region; a root lives as long as its domain. */
#define ROOT(dom) (REGION_GPA + ((uint64_t)(dom) - 1) * SZ_4K)

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void one_sequence(uint64_t seed)
{
	static struct page model[2][WIN_PAGES];
	struct dev sh, ne;
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	unsigned int batch = 0, checks = 0;

	memset(model, 0, sizeof(model));
	dev_new(&sh, NULL, false);
	dev_new(&ne, NULL, true);
	for (int k = 0; k < 2; k++) {
		struct dev *d = k ? &ne : &sh;

		assert_int_equal(attach(d, 1, EP_NIC), 0);
		assert_int_equal(attach(d, 2, EP_NVME), 0);
		assert_int_equal(attach(d, 2, EP_EMU), 0);
	}
	for (int step = 0; step < 1500; step++) {
		uint32_t dom = 1 + (rnd(&s) & 1);
		struct page *m = model[dom - 1];
		uint64_t r = rnd(&s), first, pages, phys;
		uint8_t st_s, st_n;

		/* Sizes: mostly small, sometimes 2 MiB aligned runs. */
		if (r % 5 == 0) {
			pages = 512 * (1 + rnd(&s) % 3);
			first = (rnd(&s) % (WIN_PAGES / 512 - 3)) * 512;
			phys = (rnd(&s) % (RAM / SZ_2M - 3)) * SZ_2M;
		} else {
			pages = 1 + rnd(&s) % 24;
			first = rnd(&s) % (WIN_PAGES - pages);
			phys = (rnd(&s) % (RAM / SZ_4K - pages)) << 12;
		}
		if (rnd(&s) % 3) {
			uint32_t flags = 1 + rnd(&s) % 3;

			if (rnd(&s) % 16 == 0)
				flags |= 4; /* MMIO: no host side either way */
			st_s = map(&sh, dom, WIN_START + (first << 12),
				   WIN_START + ((first + pages) << 12) - 1, phys, flags);
			st_n = map(&ne, dom, WIN_START + (first << 12),
				   WIN_START + ((first + pages) << 12) - 1, phys, flags);
			if (st_s == 0)
				for (uint64_t i = 0; i < pages; i++)
					m[first + i] = (struct page){
						true, phys + (i << 12), flags };
		} else {
			st_s = unmap(&sh, dom, WIN_START + (first << 12),
				     WIN_START + ((first + pages) << 12) - 1);
			st_n = unmap(&ne, dom, WIN_START + (first << 12),
				     WIN_START + ((first + pages) << 12) - 1);
			if (st_s == 0) {
				/* Whole mappings inside the range go. */
				for (uint64_t i = 0; i < pages; i++)
					m[first + i].mapped = false;
			}
		}
		assert_int_equal(st_s, st_n);
		if (++batch == 1 + seed % 8) {
			OK(ioasid_virtio_iommu_flush(ne.v));
			batch = 0;
		}
		if (step % 300 == 299 || step == 1499) {
			OK(ioasid_virtio_iommu_flush(ne.v));
			batch = 0;
			for (uint32_t d = 1; d <= 2; d++) {
				check_window(&sh, &ne, d, d == 1 ? sh.nic : sh.nvme,
					     d == 1 ? ne.nic : ne.nvme, model[d - 1],
					     ROOT(d));
				checks++;
			}
		}
	}
	assert_true(checks > 0);
	dev_free(&sh);
	dev_free(&ne);
}

static uint8_t detach(struct dev *d, uint32_t dom, uint32_t ep)
{
	uint8_t r[20] = { 2 };

	le32_put(r + 4, dom);
	le32_put(r + 8, ep);
	return send(d, r, sizeof(r));
}

/* Two functions of one IOMMU group in nested mode: an ATTACH of one
 * moves both onto the new domain's nested HWPT, a DETACH of one takes
 * both off, so when the domain's stage-1 table is freed (and its root
 * reused by the next domain) no HWPT of the group still points at it. */
static void test_group_moves_as_one_nested(void **state)
{
	struct dev d;
	struct ioasid_dev *f0, *f1;
	struct viommu_nested_host h2, h3;

	(void)state;
	dev_new(&d, NULL, false);
	f0 = dev_open_bound(d.ctx, "0000:00:05.0");
	f1 = dev_open_bound(d.ctx, "0000:00:05.1");
	OK(ioasid_virtio_iommu_add_endpoint(d.v, 0x28, f0, NULL));
	OK(ioasid_virtio_iommu_add_endpoint(d.v, 0x29, f1, NULL));
	/* Nested mode is enabled before the driver negotiates. */
	OK(ioasid_virtio_iommu_reset(d.v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
	d.region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(d.region != MAP_FAILED);
	IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no, .region_gpa = REGION_GPA,
		    .region_size = REGION_SIZE, .region_hva = d.region);
	OK(ioasid_virtio_iommu_enable_nested(d.v, &no));
	OK(ioasid_virtio_iommu_set_features(d.v, ioasid_virtio_iommu_features(d.v)));

	assert_int_equal(attach(&d, 1, 0x28), 0);
	assert_int_equal(attach(&d, 1, 0x29), 0);
	assert_int_equal(map(&d, 1, 0x100000, 0x1fffff, 0, 3), 0);
	assert_int_equal(attach(&d, 2, 0x28), 0);
	OK(viommu_nested_domain_host(d.v, 2, &h2));
	assert_int_not_equal(h2.hwpt, 0);
	assert_int_equal(ioasid_dev_pt_id(f0), h2.hwpt);
	assert_int_equal(ioasid_dev_pt_id(f1), h2.hwpt);
	assert_int_equal(detach(&d, 2, 0x28), 0);
	assert_int_equal(ioasid_dev_pt_id(f0), 0);
	assert_int_equal(ioasid_dev_pt_id(f1), 0);
	assert_int_equal(detach(&d, 2, 0x29), 0);
	OK(ioasid_virtio_iommu_flush(d.v));
	/* The next domain may take the freed root: nothing walks it. */
	assert_int_equal(attach(&d, 3, EP_NIC), 0);
	OK(viommu_nested_domain_host(d.v, 3, &h3));
	assert_int_not_equal(ioasid_dev_pt_id(f1), h3.hwpt);
	ioasid_dev_close(f0);
	ioasid_dev_close(f1);
	dev_free(&d);
}

static void test_random_equals_shadow(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++)
		one_sequence(seed);
}

/* ---- Invalidation batching ------------------------------------------ */

static uint64_t inval_calls, inval_entries;
static const struct ioasid_backend_ops *real_ops;

static int count_invalidate(void *be, uint32_t id, uint32_t type,
			    const void *entries, uint32_t len, uint32_t *num)
{
	inval_calls++;
	inval_entries += *num;
	return real_ops->hwpt_invalidate(be, id, type, entries, len, num);
}

static void test_unmap_flush_one_call(void **state)
{
	static struct ioasid_backend_ops ops;
	const struct ioasid_backend_ops *saved;
	struct dev ne;
	uint64_t va;

	(void)state;
	dev_new(&ne, NULL, true);
	saved = ne.ctx->ops;
	ops = *saved;
	real_ops = saved;
	ops.hwpt_invalidate = count_invalidate;
	ne.ctx->ops = &ops;
	inval_calls = inval_entries = 0;

	assert_int_equal(attach(&ne, 1, EP_NIC), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(map(&ne, 1, (uint64_t)i << 16, ((uint64_t)i << 16) + 0xfff,
				     (uint64_t)i << 12, 3), 0);
	OK(ioasid_virtio_iommu_flush(ne.v));
	assert_int_equal(inval_calls, 0); /* MAPs need no invalidation */
	OK(ioasid_sim_hwpt_translate(ne.ctx->be, ioasid_dev_pt_id(ne.nic), 0x30000, &va));
	assert_int_equal(va, (uintptr_t)ram + 0x3000);
	for (int i = 0; i < 8; i++)
		assert_int_equal(unmap(&ne, 1, (uint64_t)i << 16, ((uint64_t)i << 16) + 0xfff), 0);
	assert_int_equal(inval_calls, 0); /* nothing before the flush */
	OK(ioasid_virtio_iommu_flush(ne.v));
	assert_int_equal(inval_calls, 1);
	assert_int_equal(inval_entries, 8);
	assert_int_equal(ioasid_sim_hwpt_translate(ne.ctx->be, ioasid_dev_pt_id(ne.nic),
						   0x30000, &va), -ENOENT);
	OK(ioasid_virtio_iommu_flush(ne.v));
	assert_int_equal(inval_calls, 1); /* nothing pending */
	ne.ctx->ops = saved;
	dev_free(&ne);
}

/* ---- Region reported and protected ---------------------------------- */

static void test_region_reserved(void **state)
{
	struct dev ne;
	uint8_t r[72] = { 5 }, resp[512 + 4];
	uint32_t used = 0;
	uint64_t end;
	int found = 0;

	(void)state;
	dev_new(&ne, NULL, true);
	le32_put(r + 4, EP_NIC);
	OK(ioasid_virtio_iommu_handle_buffers(ne.v, r, sizeof(r), resp, sizeof(resp), &used));
	assert_int_equal(resp[512], 0);
	for (uint32_t off = 0; off + 24 <= 512 && resp[off]; off += 24) {
		uint64_t s, e;

		memcpy(&s, resp + off + 8, 8);
		memcpy(&e, resp + off + 16, 8);
		if (s == REGION_GPA && e == REGION_GPA + REGION_SIZE - 1) {
			assert_int_equal(resp[off + 4], 0); /* RESERVED */
			found++;
		}
	}
	assert_int_equal(found, 1);
	OK(ioasid_virtio_iommu_config_read(ne.v, 16, &end, 8));
	assert_int_equal(end, VPT_IOVA_LAST);
	assert_int_equal(attach(&ne, 1, EP_NIC), 0);
	assert_int_equal(map(&ne, 1, REGION_GPA, REGION_GPA + 0xfff, 0, 3), 4); /* INVAL */
	assert_int_equal(map(&ne, 1, 0, 0xfff, REGION_GPA, 3), 7); /* FAULT */
	/* Too late once the guest runs. */
	IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no, .region_gpa = REGION_GPA,
		    .region_size = REGION_SIZE, .region_hva = ne.region);
	assert_int_equal(ioasid_virtio_iommu_enable_nested(ne.v, &no), -EEXIST);
	assert_int_equal(ioasid_virtio_iommu_add_endpoint(ne.v, 7, NULL, NULL), -EBUSY);
	dev_free(&ne);
}

static void test_enable_refusals(void **state)
{
	struct dev sh;
	void *hva = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	dev_new(&sh, NULL, false);
	IOASID_OPTS(ioasid_virtio_iommu_nested_opts, ram_overlap, .region_gpa = RAM - SZ_4K,
		    .region_size = REGION_SIZE, .region_hva = hva);
	IOASID_OPTS(ioasid_virtio_iommu_nested_opts, misaligned, .region_gpa = REGION_GPA + 8,
		    .region_size = REGION_SIZE, .region_hva = hva);
	IOASID_OPTS(ioasid_virtio_iommu_nested_opts, good, .region_gpa = REGION_GPA,
		    .region_size = REGION_SIZE, .region_hva = hva);
	assert_int_equal(ioasid_virtio_iommu_enable_nested(sh.v, &good), -EBUSY);
	OK(ioasid_virtio_iommu_reset(sh.v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
	assert_int_equal(ioasid_virtio_iommu_enable_nested(sh.v, &ram_overlap), -EINVAL);
	assert_int_equal(ioasid_virtio_iommu_enable_nested(sh.v, &misaligned), -EINVAL);
	assert_int_equal(ioasid_virtio_iommu_enable_nested(sh.v, NULL), -EINVAL);
	OK(ioasid_virtio_iommu_enable_nested(sh.v, &good));
	dev_free(&sh);
	munmap(hva, REGION_SIZE);
}

/* ---- Faults ----------------------------------------------------------- */

static int notified;

static void test_host_fault_report(void **state)
{
	struct dev ne;
	uint8_t ev[24];
	struct pollfd pfd;
	int fd, answered = 0;

	(void)state;
	dev_new(&ne, NULL, true);
	notified = 0;
	fd = ioasid_virtio_iommu_host_fault_fd(ne.v);
	assert_true(fd >= 0);
	assert_int_equal(attach(&ne, 1, EP_NIC), 0);
	assert_int_equal(attach(&ne, 2, EP_NVME), 0);
	OK(ioasid_test_iopf(ne.nic, 0, 1, IOASID_FAULT_PERM_WRITE, 0x5000));
	OK(ioasid_test_iopf(ne.nvme, 0, 2, IOASID_FAULT_PERM_READ, 0x7000));
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(ioasid_virtio_iommu_handle_host_faults(ne.v), 2);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(ioasid_virtio_iommu_event_pop(ne.v, ev, sizeof(ev)), 24);
	assert_int_equal(ev[0], 2);			    /* MAPPING */
	assert_int_equal(ev[4] | ev[5] << 8, 0x102);	    /* WRITE | ADDRESS */
	assert_int_equal(ev[8] | ev[9] << 8, EP_NIC);
	assert_int_equal(ev[16] | ev[17] << 8 | ev[18] << 16, 0x5000);
	assert_int_equal(ioasid_virtio_iommu_event_pop(ne.v, ev, sizeof(ev)), 24);
	assert_int_equal(ev[4] | ev[5] << 8, 0x101);	    /* READ | ADDRESS */
	assert_int_equal(ev[8] | ev[9] << 8, EP_NVME);
	assert_int_equal(ev[16] | ev[17] << 8 | ev[18] << 16, 0x7000);
	assert_int_equal(ioasid_virtio_iommu_event_pop(ne.v, ev, sizeof(ev)), 0);
	/* Answered: no fault queue of the context has an outstanding
	 * cookie (a response to cookie 1 or 2 is refused as unknown). */
	for (uint32_t id = 1; id < 64; id++) {
		struct ioasid_fault_response rsp[2] = {
			{ 1, IOASID_FAULT_RESP_INVALID }, { 2, IOASID_FAULT_RESP_INVALID } };

		for (int k = 0; k < 2; k++) {
			uint32_t num = 1;
			int rc = ioasid_fault_respond(ne.ctx, id, &rsp[k], &num);

			if (rc == -ENOENT)
				break;
			assert_int_equal(rc, -EINVAL);
			answered++;
		}
	}
	assert_int_equal(answered, 2);
	assert_int_equal(ioasid_virtio_iommu_handle_host_faults(ne.v), 0);
	dev_free(&ne);
}

/* ---- Mixed IOMMUs ----------------------------------------------------- */

static const char mixed_topo[] =
	"# SPDX-License-Identifier: MIT\n"
	"[iommu vtd0]\nmodel = intel-vtd\naw_bits = 48\npage_sizes = 4K,2M,1G\n"
	"nesting = yes\nreserved = 0xfee00000-0xfeefffff msi\n"
	"[iommu vtd1]\nmodel = intel-vtd\naw_bits = 48\npage_sizes = 4K,2M,1G\n"
	"reserved = 0xfee00000-0xfeefffff msi\n"
	"[group 10]\niommu = vtd0\n[group 20]\niommu = vtd1\n"
	"[device 0000:00:03.0]\ngroup = 10\ndriver = vfio-pci\nclass = 0\n"
	"[device 0000:01:00.0]\ngroup = 20\ndriver = vfio-pci\nclass = 0\n";

static void test_non_nesting_endpoint_turns_shadow(void **state)
{
	char path[] = "/tmp/test_viommu_nested_XXXXXX";
	int fd = mkstemp(path);
	struct dev ne;
	uint32_t mode, ioas;
	uint64_t va;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, mixed_topo, sizeof(mixed_topo) - 1),
			 (ssize_t)sizeof(mixed_topo) - 1);
	close(fd);
	dev_new(&ne, path, true);
	unlink(path);
	/* vtd0 nests: domain 1 is nested with the NIC. */
	assert_int_equal(attach(&ne, 1, EP_NIC), 0);
	assert_int_equal(map(&ne, 1, 0x10000, 0x1ffff, 0x40000, 3), 0);
	OK(ioasid_virtio_iommu_domain_mode(ne.v, 1, &mode));
	assert_int_equal(mode, IOASID_VIRTIO_IOMMU_MODE_NESTED);
	OK(ioasid_sim_hwpt_translate(ne.ctx->be, ioasid_dev_pt_id(ne.nic), 0x10008, &va));
	assert_int_equal(va, (uintptr_t)ram + 0x40008);
	/* vtd1 does not: the domain becomes a shadow domain with its
	 * mapping, both devices on its IOAS. */
	assert_int_equal(attach(&ne, 1, EP_NVME), 0);
	OK(ioasid_virtio_iommu_domain_mode(ne.v, 1, &mode));
	assert_int_equal(mode, IOASID_VIRTIO_IOMMU_MODE_SHADOW);
	OK(ioasid_virtio_iommu_domain_ioas(ne.v, 1, &ioas));
	assert_int_equal(ioasid_dev_pt_id(ne.nic), ioas);
	assert_int_equal(ioasid_dev_pt_id(ne.nvme), ioas);
	OK(ioasid_sim_hwpt_translate(ne.ctx->be, ioasid_dev_hwpt_id(ne.nvme), 0x1f000, &va));
	assert_int_equal(va, (uintptr_t)ram + 0x4f000);
	assert_int_equal(unmap(&ne, 1, 0x10000, 0x1ffff), 0);
	assert_int_equal(ioasid_sim_hwpt_translate(ne.ctx->be, ioasid_dev_hwpt_id(ne.nic),
						   0x10000, &va), -ENOENT);
	/* A fresh domain with only the vtd1 device is shadow at once. */
	assert_int_equal(attach(&ne, 2, EP_NVME), 0);
	OK(ioasid_virtio_iommu_domain_mode(ne.v, 2, &mode));
	assert_int_equal(mode, IOASID_VIRTIO_IOMMU_MODE_SHADOW);
	dev_free(&ne);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_moves_as_one_nested),
		cmocka_unit_test(test_random_equals_shadow),
		cmocka_unit_test(test_unmap_flush_one_call),
		cmocka_unit_test(test_region_reserved),
		cmocka_unit_test(test_enable_refusals),
		cmocka_unit_test(test_host_fault_report),
		cmocka_unit_test(test_non_nesting_endpoint_turns_shadow),
	};

	return cmocka_run_group_tests_name("viommu_nested", tests, setup,
					   teardown);
}
