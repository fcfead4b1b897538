// SPDX-License-Identifier: MIT
/*
 * Nested strategy: guest RAM is mapped once, at its GPA, into a stage-2
 * IOAS under one nest-parent HWPT per host IOMMU; each guest domain gets
 * a VT-d first-stage table (pgtable.c) in the VMM's table region, and a
 * nested HWPT per host IOMMU pointing at it, which the domain's physical
 * endpoints attach to.  A guest MAP writes table entries, an UNMAP clears
 * them and queues ranges; ioasid_virtio_iommu_flush() sends each HWPT's ranges
 * in one ioasid_hwpt_invalidate() and only then frees the table pages.
 *
 * A domain is nested from its creation if the pool holds its root.  When
 * a physical endpoint whose IOMMU cannot nest (not VT-d, or no nest
 * parent) joins it, the domain becomes a shadow domain (an IOAS with its
 * mappings) for good: guest-visible behaviour is the same in both modes.
 * Bypass, blocked and shadow domains go to the shadow strategy.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "viommu-internal.h"
#include "pgtable.h"

/* struct iommu_hwpt_vtd_s1 and struct iommu_hwpt_vtd_s1_invalidate, as
 * little-endian bytes. */
#define VTD_S1_DATA_SIZE 24u
#define VTD_INV_ENTRY_SIZE 24u
#define VTD_INV_FLAGS_LEAF 1u
/* TEST ONLY: struct iommu_hwpt_invalidate_selftest (flags, iotlb_id). */
#define SELFTEST_INV_ENTRY_SIZE 8u

/* One host IOMMU: its nest parent, or the fact that it cannot nest. */
struct nest_iommu {
	char name[IOASID_NAME_MAX];
	bool can_nest;
	uint32_t parent; /* nest-parent HWPT over the stage-2 IOAS */
};

/* A nested HWPT of a domain for one host IOMMU. */
struct nest_hwpt {
	uint32_t iommu; /* index in viommu_nested.iommus */
	uint32_t id;
	bool faults;	/* allocated with the fault queue */
};

struct viommu_nested_domain {
	uint64_t root;
	struct vpt_inval_list inv;
	bool pending;	/* on the flush list */
	struct viommu_domain *next_pending;
	struct nest_hwpt *hwpts;
	uint32_t num_hwpts;
	/* A device was attached to a nested HWPT of root once: only then
	 * may the IOMMU have walked or cached the tables. */
	bool published;
};

struct viommu_nested {
	struct vpt_pool pool;
	uint64_t region_gpa, region_size;
	void *region_hva;
	uint32_t s2_ioas;
	struct nest_iommu *iommus;
	uint32_t num_iommus;
	uint32_t fault_id; /* 0: the host has no fault queues */
	int fault_fd;
	struct viommu_domain *pending; /* domains with ranges to flush */
	uint8_t *inv_buf;
	uint32_t inv_cap; /* entries inv_buf holds */
	/* TEST ONLY (viommu_nested_use_selftest_format()): nested HWPTs and
	 * invalidations in the kernel mock's selftest format. */
	bool selftest_format;
};

static bool host_backed(const struct viommu_mapping *m)
{
	return !(m->flags & VIOMMU_MAP_F_MMIO) &&
	       m->flags & (VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE);
}

/* ------------------------------------------------------------------ */
/* Invalidation                                                         */

static void mark_pending(struct ioasid_virtio_iommu *v, struct viommu_domain *d)
{
	struct viommu_nested_domain *nd = d->nested;

	if (nd->pending || !nd->inv.num)
		return;
	nd->pending = true;
	nd->next_pending = v->nested->pending;
	v->nested->pending = d;
}

static void unlink_pending(struct ioasid_virtio_iommu *v, struct viommu_domain *d)
{
	for (struct viommu_domain **pp = &v->nested->pending; *pp;
	     pp = &(*pp)->nested->next_pending) {
		if (*pp == d) {
			*pp = d->nested->next_pending;
			break;
		}
	}
	d->nested->pending = false;
	d->nested->next_pending = NULL;
}

static void put_entry(uint8_t *e, uint64_t addr, uint64_t npages, bool leaf)
{
	uint64_t a = htole64(addr), n = htole64(npages);
	uint32_t f = htole32(leaf ? VTD_INV_FLAGS_LEAF : 0), r = 0;

	memcpy(e, &a, 8);
	memcpy(e + 8, &n, 8);
	memcpy(e + 16, &f, 4);
	memcpy(e + 20, &r, 4);
}

/* Encode @nd's ranges into the shared buffer; the entry count. */
static int encode_ranges(struct viommu_nested *n,
			 const struct viommu_nested_domain *nd, uint32_t *num)
{
	uint32_t want = nd->inv.num;

	if (want > n->inv_cap) {
		/* VTD_INV_ENTRY_SIZE is the larger of the two formats. */
		uint8_t *b = realloc(n->inv_buf, (size_t)want * VTD_INV_ENTRY_SIZE);

		if (!b)
			return ioasid_fail(-ENOMEM, "viommu: out of memory");
		n->inv_buf = b;
		n->inv_cap = want;
	}
	if (n->selftest_format) {
		/* The same number of entries as VT-d would get, in the
		 * mock's format: one per range (the mock keeps no ranges,
		 * only an IOTLB array: entry 0 is reset). */
		memset(n->inv_buf, 0, (size_t)want * SELFTEST_INV_ENTRY_SIZE);
	} else {
		for (uint32_t i = 0; i < nd->inv.num; i++)
			put_entry(n->inv_buf + (size_t)i * VTD_INV_ENTRY_SIZE,
				  nd->inv.v[i].iova,
				  nd->inv.v[i].size >> VPT_PAGE_SHIFT,
				  nd->inv.v[i].leaf_only);
	}
	*num = want;
	return 0;
}

static int flush_domain(struct ioasid_virtio_iommu *v, struct viommu_domain *d)
{
	struct viommu_nested *n = v->nested;
	struct viommu_nested_domain *nd = d->nested;
	uint32_t num = 0;
	int rc = 0;

	if (nd->num_hwpts) {
		rc = encode_ranges(n, nd, &num);
		if (rc)
			return rc;
	}
	/* One call per HWPT: the whole batch of this domain. */
	for (uint32_t i = 0; i < nd->num_hwpts; i++) {
		uint32_t done = num;

		rc = ioasid_hwpt_invalidate(v->ctx, nd->hwpts[i].id,
					    n->selftest_format
						    ? IOASID_INVALIDATE_DATA_SELFTEST
						    : IOASID_INVALIDATE_DATA_VTD_S1,
					    n->inv_buf,
					    n->selftest_format ? SELFTEST_INV_ENTRY_SIZE
							       : VTD_INV_ENTRY_SIZE,
					    &done);
		if (rc)
			return rc;
	}
	vpt_inval_reset(&nd->inv);
	return 0;
}

static int nested_flush(struct ioasid_virtio_iommu *v)
{
	struct viommu_nested *n = v->nested;

	while (n->pending) {
		struct viommu_domain *d = n->pending;
		int rc = flush_domain(v, d);

		if (rc) {
			ioasid_log(IOASID_WARN,
				   "viommu: domain %u: invalidation failed: %s",
				   d->id, ioasid_errmsg());
			return rc;
		}
		unlink_pending(v, d);
	}
	/* Every cached pointer to a freed page is gone now. */
	vpt_pool_release(&n->pool);
	return 0;
}

int ioasid_virtio_iommu_flush(struct ioasid_virtio_iommu *v)
{
	ioasid_clear_error();
	if (!v)
		return ioasid_fail(-EINVAL, "viommu flush: device is NULL");
	return v->nested ? nested_flush(v) : 0;
}

/* ------------------------------------------------------------------ */
/* Host IOMMUs and HWPTs                                                */

/* The host IOMMU of @dev in the table (*@index), added (probed) if new. */
static int iommu_of(struct ioasid_virtio_iommu *v, struct ioasid_dev *dev,
		    uint32_t *index)
{
	struct viommu_nested *n = v->nested;
	struct ioasid_iommu_info info = { .sz = sizeof(info) };
	struct ioasid_hw_info hw = { .sz = sizeof(hw) };
	struct nest_iommu *im;
	uint32_t parent = 0;
	int rc;

	rc = ioasid_dev_iommu_info(v->ctx, ioasid_dev_name(dev), &info);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n->num_iommus; i++) {
		if (!strcmp(n->iommus[i].name, info.name)) {
			*index = i;
			return 0;
		}
	}
	im = realloc(n->iommus, (n->num_iommus + 1) * sizeof(*im));
	if (!im)
		return ioasid_fail(-ENOMEM, "viommu: out of memory");
	n->iommus = im;
	im = &n->iommus[n->num_iommus];
	memset(im, 0, sizeof(*im));
	memcpy(im->name, info.name, sizeof(im->name));
	/* The tables are VT-d first-stage tables: only VT-d walks them
	 * (the test-only selftest format takes the kernel's mock).  A
	 * failed query is not an answer: remembering this IOMMU as one
	 * that cannot nest would put its domains in shadow mode for good
	 * (found by failing the kernel's allocations in the VM). */
	rc = ioasid_dev_hw_info(dev, &hw, NULL, 0);
	if (rc && rc != -EOPNOTSUPP && rc != -ENOTTY)
		return rc;
	if (rc == 0 &&
	    hw.type == (n->selftest_format ? IOASID_HW_INFO_SELFTEST
					    : IOASID_HW_INFO_INTEL_VTD)) {
		IOASID_OPTS(ioasid_hwpt_alloc_opts, o,
			    .flags = IOASID_HWPT_ALLOC_NEST_PARENT);

		rc = ioasid_hwpt_alloc(dev, n->s2_ioas, &o, &parent);
		if (rc == 0) {
			im->can_nest = true;
			im->parent = parent;
		} else if (rc != -EOPNOTSUPP) {
			/* Not a missing capability (the driver refuses a
			 * nest parent with EOPNOTSUPP) but a failure such as
			 * pinning guest RAM: fail this placement and remember
			 * nothing, or the IOMMU would count as non-nesting
			 * for good (found on the kernel: a rolled-back
			 * restore left its domains shadow on the retry). */
			return rc;
		} else {
			ioasid_log(IOASID_INFO,
				   "viommu: iommu %s: no nest parent (%s): shadow mode",
				   info.name, ioasid_errmsg());
		}
	}
	*index = n->num_iommus++;
	return 0;
}

uint32_t viommu_nested_num_iommus(const struct ioasid_virtio_iommu *v)
{
	return v->nested ? v->nested->num_iommus : 0;
}

void viommu_nested_forget_iommus(struct ioasid_virtio_iommu *v, uint32_t keep)
{
	struct viommu_nested *n = v->nested;

	while (n && n->num_iommus > keep) {
		struct nest_iommu *im = &n->iommus[n->num_iommus - 1];

		if (im->can_nest && ioasid_hwpt_destroy(v->ctx, im->parent)) {
			ioasid_log(IOASID_WARN,
				   "viommu: nest parent %u of iommu %s stays: %s",
				   im->parent, im->name, ioasid_errmsg());
			break;
		}
		n->num_iommus--;
	}
}

static void vtd_s1_data(uint8_t out[VTD_S1_DATA_SIZE], uint64_t root)
{
	uint64_t flags = 0, r = htole64(root);
	uint32_t width = htole32(VPT_ADDR_WIDTH), reserved = 0;

	memcpy(out, &flags, 8);
	memcpy(out + 8, &r, 8);
	memcpy(out + 16, &width, 4);
	memcpy(out + 20, &reserved, 4);
}

static int hwpt_new(struct ioasid_virtio_iommu *v, struct viommu_nested_domain *nd,
		    struct ioasid_dev *dev, uint32_t iommu, bool faults,
		    struct nest_hwpt **out)
{
	struct viommu_nested *n = v->nested;
	uint8_t data[VTD_S1_DATA_SIZE];
	/* TEST ONLY: the mock takes no table pointer; it never walks. */
	struct ioasid_hwpt_selftest selftest = { .iotlb = IOASID_TEST_IOTLB_DEFAULT };
	IOASID_OPTS(ioasid_hwpt_nested, hn,
		    .flags = faults ? IOASID_HWPT_ALLOC_FAULT_ID_VALID : 0,
		    .fault_id = faults ? n->fault_id : 0,
		    .data_type = IOASID_HWPT_DATA_VTD_S1,
		    .data_len = sizeof(data), .data = data);
	struct nest_hwpt *h;
	uint32_t id;
	int rc;

	h = realloc(nd->hwpts, (nd->num_hwpts + 1) * sizeof(*h));
	if (!h)
		return ioasid_fail(-ENOMEM, "viommu: out of memory");
	nd->hwpts = h;
	vtd_s1_data(data, nd->root);
	if (n->selftest_format) {
		hn.data_type = IOASID_HWPT_DATA_SELFTEST;
		hn.data_len = sizeof(selftest);
		hn.data = &selftest;
	}
	rc = ioasid_hwpt_alloc_nested(dev, n->iommus[iommu].parent, &hn, &id);
	if (rc)
		return rc;
	h[nd->num_hwpts] = (struct nest_hwpt){ iommu, id, faults };
	*out = &h[nd->num_hwpts++];
	return 0;
}

/* Destroy every nested HWPT of @nd; false if one is still there (a
 * device on it), whose stage-1 table must then never be reused. */
static bool hwpts_drop(struct ioasid_virtio_iommu *v, struct viommu_nested_domain *nd)
{
	bool all = true;

	while (nd->num_hwpts) {
		struct nest_hwpt *h = &nd->hwpts[0];

		if (ioasid_hwpt_destroy(v->ctx, h->id)) {
			ioasid_log(IOASID_WARN, "viommu: destroying nested hwpt %u: %s",
				   h->id, ioasid_errmsg());
			all = false;
		}
		*h = nd->hwpts[--nd->num_hwpts];
	}
	return all;
}

/* A HWPT that could not be destroyed may still walk @nd's table: its
 * pages stay allocated for good rather than serve another domain. */
static void tables_retire(struct viommu_nested_domain *nd)
{
	ioasid_log(IOASID_WARN,
		   "viommu: stage-1 table at %#llx kept out of use: a nested HWPT still points at it",
		   (unsigned long long)nd->root);
	vpt_inval_fini(&nd->inv);
	free(nd->hwpts);
	free(nd);
}

static int move_to(struct viommu_endpoint *ep, uint32_t target)
{
	int rc = ep->host_pt ? ioasid_dev_replace(ep->dev, target, NULL)
			     : ioasid_dev_attach(ep->dev, target, NULL);

	if (rc == 0)
		ep->host_pt = target;
	return rc;
}

/* Attach @ep to its IOMMU's nested HWPT of @d (made on first use).  A
 * HWPT that reports faults is tried first; a device that cannot take
 * one (no PRI on a real IOMMU) gets one without. */
static int place_nested(struct ioasid_virtio_iommu *v, struct viommu_endpoint *ep,
			struct viommu_domain *d, uint32_t iommu)
{
	struct viommu_nested_domain *nd = d->nested;
	struct nest_hwpt *h = NULL;
	int rc = -EOPNOTSUPP;

	for (int pass = 0; pass < 2; pass++) {
		bool faults = pass == 0 && v->nested->fault_id;

		if (pass == 0 && !faults)
			continue;
		for (uint32_t i = 0; i < nd->num_hwpts && !h; i++)
			if (nd->hwpts[i].iommu == iommu &&
			    nd->hwpts[i].faults == faults)
				h = &nd->hwpts[i];
		if (!h) {
			rc = hwpt_new(v, nd, ep->dev, iommu, faults, &h);
			/* Out of memory is not "no fault reporting here": a
			 * HWPT without the fault queue would be another
			 * device than the one asked for. */
			if (rc == -ENOMEM || rc == -ENOSPC)
				return rc;
			if (rc)
				continue;
		}
		if (ep->host_pt == h->id)
			return 0;
		rc = move_to(ep, h->id);
		if (rc == 0)
			nd->published = true;
		if (rc == 0 || rc == -ENOMEM || rc == -ENOSPC)
			return rc;
		if (faults)
			ioasid_log(IOASID_INFO,
				   "viommu: endpoint %u: no fault reporting: %s",
				   ep->id, ioasid_errmsg());
		h = NULL;
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Domains                                                              */

static void tables_free(struct ioasid_virtio_iommu *v, struct viommu_domain *d)
{
	struct viommu_nested_domain *nd = d->nested;

	if (nd->pending)
		unlink_pending(v, d);
	/* Pages go to quarantine; the next flush frees them, after the
	 * other domains' invalidations.  No range is recorded: the HWPTs
	 * that walked this table are destroyed, their caches with them. */
	if (vpt_unmap(&v->nested->pool, nd->root, 0, VPT_IOVA_LAST + 1,
		      NULL) == 0) {
		/* A root no device was ever attached under (an ATTACH that
		 * failed) is free again at once, so that a retry builds the
		 * same tables. */
		if (nd->published)
			vpt_root_free(&v->nested->pool, nd->root);
		else
			vpt_root_free_unused(&v->nested->pool, nd->root);
	}
	vpt_inval_fini(&nd->inv);
	free(nd->hwpts);
	free(nd);
	d->nested = NULL;
}

static int nested_domain_create(struct ioasid_virtio_iommu *v,
				struct viommu_domain *d)
{
	struct viommu_nested_domain *nd;

	d->nested = NULL;
	if (!d->bypass) {
		nd = calloc(1, sizeof(*nd));
		if (!nd)
			return ioasid_fail(-ENOMEM, "viommu: out of memory");
		if (vpt_root_alloc(&v->nested->pool, &nd->root) == 0) {
			d->nested = nd;
			d->ioas = 0;
			return 0;
		}
		free(nd);
		ioasid_log(IOASID_INFO,
			   "viommu: domain %u: the table region is full: shadow mode",
			   d->id);
	}
	return viommu_shadow_strategy.domain_create(v, d);
}

static void nested_domain_destroy(struct ioasid_virtio_iommu *v,
				  struct viommu_domain *d)
{
	struct viommu_nested_domain *nd = d->nested;

	if (!nd) {
		viommu_shadow_strategy.domain_destroy(v, d);
		return;
	}
	/* The logic moved every endpoint out first. */
	if (!hwpts_drop(v, nd)) {
		if (nd->pending)
			unlink_pending(v, d);
		tables_retire(nd);
		d->nested = NULL;
		return;
	}
	tables_free(v, d);
}

/* A physical endpoint that cannot nest joins nested domain @d: @d
 * becomes a shadow domain with its mappings, its physical endpoints move
 * to the IOAS, and its tables go.  On failure @d stays nested. */
static int to_shadow(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
		     struct viommu_endpoint *joining)
{
	struct viommu_nested_domain *nd = d->nested;
	struct viommu_mapping *m;
	struct viommu_endpoint *ep;
	int rc;

	d->nested = NULL;
	rc = viommu_shadow_strategy.domain_create(v, d);
	for (m = vidx_next_from(&d->maps, 0); m && !rc;
	     m = m->last == UINT64_MAX ? NULL
				       : vidx_next_from(&d->maps, m->last + 1))
		rc = viommu_shadow_strategy.map(v, d, m);
	for (ep = d->endpoints; ep && !rc; ep = ep->dom_next)
		if (ep->dev)
			rc = viommu_shadow_strategy.endpoint_place(v, ep, d, false);
	if (!rc)
		rc = viommu_shadow_strategy.endpoint_place(v, joining, d, false);
	if (rc) {
		/* Back to the nested HWPTs, then drop the IOAS. */
		d->nested = nd;
		for (ep = d->endpoints; ep; ep = ep->dom_next)
			for (uint32_t i = 0; ep->dev && i < nd->num_hwpts; i++)
				if (move_to(ep, nd->hwpts[i].id) == 0)
					break;
		d->nested = NULL;
		viommu_shadow_strategy.domain_destroy(v, d);
		d->nested = nd;
		return rc;
	}
	ioasid_log(IOASID_INFO,
		   "viommu: domain %u: endpoint %u cannot nest: shadow mode",
		   d->id, joining->id);
	d->nested = nd;
	if (!hwpts_drop(v, nd)) {
		if (nd->pending)
			unlink_pending(v, d);
		tables_retire(nd);
		d->nested = NULL;
		return 0;
	}
	tables_free(v, d);
	return 0;
}

static bool nested_domain_holds(const struct ioasid_virtio_iommu *v,
				const struct viommu_domain *d, uint32_t pt_id)
{
	if (!d->nested)
		return viommu_shadow_strategy.domain_holds(v, d, pt_id);
	for (uint32_t i = 0; i < d->nested->num_hwpts; i++)
		if (d->nested->hwpts[i].id == pt_id)
			return true;
	return false;
}

static int nested_endpoint_place(struct ioasid_virtio_iommu *v,
				 struct viommu_endpoint *ep,
				 struct viommu_domain *d, bool bypass)
{
	struct viommu_nested *n = v->nested;
	uint32_t iommu = 0, known = n->num_iommus;
	int rc;

	if (!ep->dev)
		return 0;
	if (!d || !d->nested)
		return viommu_shadow_strategy.endpoint_place(v, ep, d, bypass);
	rc = iommu_of(v, ep->dev, &iommu);
	if (rc)
		return rc;
	if (!n->iommus[iommu].can_nest)
		return to_shadow(v, d, ep);
	rc = place_nested(v, ep, d, iommu);
	if (rc && iommu == known && iommu == n->num_iommus - 1) {
		/* The IOMMU was probed for this placement, which failed: its
		 * nest parent goes again (it changes the stage-2 IOAS's
		 * alignment), so that a failed ATTACH leaves the host as it
		 * was; the next placement probes it anew. */
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
		/* The domain's nested HWPTs on it were made by this call
		 * (the IOMMU is new): no device is on them. */
		for (uint32_t i = 0; i < d->nested->num_hwpts;) {
			struct nest_hwpt *h = &d->nested->hwpts[i];

			if (h->iommu != iommu || ioasid_hwpt_destroy(v->ctx, h->id)) {
				i++;
				continue;
			}
			*h = d->nested->hwpts[--d->nested->num_hwpts];
		}
		viommu_nested_forget_iommus(v, known);
		ioasid_fail(rc, "%s", msg);
	}
	return rc;
}

static int nested_map(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
		      const struct viommu_mapping *m)
{
	struct viommu_nested_domain *nd = d->nested;
	struct viommu_nested *n = v->nested;
	uint64_t size;
	int rc;

	if (!nd)
		return viommu_shadow_strategy.map(v, d, m);
	if (!host_backed(m))
		return 0;
	size = m->last - m->start + 1;
	/* WRITE-only becomes read+write: the format cannot deny reads
	 * (spec: the device MAY allow reads on a write-only mapping). */
	rc = vpt_map(&n->pool, nd->root, m->start, size, m->phys,
		     m->flags & VIOMMU_MAP_F_WRITE, &nd->inv);
	if (rc == -ENOSPC) {
		/* Quarantined pages come back once their ranges are
		 * invalidated. */
		mark_pending(v, d);
		if (nested_flush(v) == 0)
			rc = vpt_map(&n->pool, nd->root, m->start, size,
				     m->phys, m->flags & VIOMMU_MAP_F_WRITE,
				     &nd->inv);
		if (rc == -ENOSPC)
			ioasid_log(IOASID_WARN,
				   "viommu: domain %u: the table region (%u pages) is full",
				   d->id, n->pool.num_pages);
	}
	mark_pending(v, d);
	if (rc)
		return ioasid_fail(rc, "viommu: domain %u: stage-1 map of %#llx-%#llx: %s",
				   d->id, (unsigned long long)m->start,
				   (unsigned long long)m->last,
				   rc == -ENOSPC ? "table region full" :
				   rc == -ENOMEM ? "out of memory" : "refused");
	return 0;
}

static int nested_unmap(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
			const struct viommu_mapping *m)
{
	struct viommu_nested_domain *nd = d->nested;
	int rc;

	if (!nd)
		return viommu_shadow_strategy.unmap(v, d, m);
	if (!host_backed(m))
		return 0;
	rc = vpt_unmap(&v->nested->pool, nd->root, m->start,
		       m->last - m->start + 1, &nd->inv);
	mark_pending(v, d);
	if (rc)
		return ioasid_fail(rc, "viommu: domain %u: stage-1 unmap of %#llx-%#llx: %s",
				   d->id, (unsigned long long)m->start,
				   (unsigned long long)m->last,
				   rc == -ENOMEM ? "out of memory" : "refused");
	return 0;
}

static int map_ram(struct ioasid_virtio_iommu *v, uint32_t ioas,
		   const struct viommu_ram_slot *slot)
{
	uint64_t iova = slot->gpa;

	return ioasid_ioas_map(v->ctx, ioas, slot->hva, slot->size, &iova, NULL);
}

static int nested_ram_added(struct ioasid_virtio_iommu *v,
			    const struct viommu_ram_slot *slot)
{
	int rc = viommu_shadow_strategy.ram_added(v, slot);

	if (rc)
		return rc;
	rc = map_ram(v, v->nested->s2_ioas, slot);
	if (rc)
		ioasid_ioas_unmap(v->ctx, v->identity_ioas, slot->gpa,
				  slot->size, NULL);
	return rc;
}

static int nested_init(struct ioasid_virtio_iommu *v)
{
	return viommu_shadow_strategy.init(v);
}

static void nested_free(struct ioasid_virtio_iommu *v)
{
	struct viommu_nested *n = v->nested;

	for (uint32_t i = 0; i < n->num_iommus; i++)
		if (n->iommus[i].can_nest &&
		    ioasid_hwpt_destroy(v->ctx, n->iommus[i].parent))
			ioasid_log(IOASID_WARN,
				   "viommu: destroying nest parent %u: %s",
				   n->iommus[i].parent, ioasid_errmsg());
	if (n->fault_id)
		ioasid_fault_queue_destroy(v->ctx, n->fault_id);
	if (n->s2_ioas)
		ioasid_ioas_destroy(v->ctx, n->s2_ioas);
	vpt_pool_fini(&n->pool);
	free(n->iommus);
	free(n->inv_buf);
	free(n);
	v->nested = NULL;
}

static void nested_fini(struct ioasid_virtio_iommu *v)
{
	/* Every domain is gone; their HWPTs with them. */
	nested_free(v);
	viommu_shadow_strategy.fini(v);
}

const struct viommu_strategy viommu_nested_strategy = {
	.init = nested_init,
	.fini = nested_fini,
	.domain_create = nested_domain_create,
	.domain_destroy = nested_domain_destroy,
	.endpoint_place = nested_endpoint_place,
	.domain_holds = nested_domain_holds,
	.map = nested_map,
	.unmap = nested_unmap,
	.ram_added = nested_ram_added,
};

/* ------------------------------------------------------------------ */
/* Enabling                                                             */

/* @ep's RESV_MEM with [start, last] inserted in order as RESERVED, in a
 * new array; the old one stays until the caller commits. */
static int resv_with(const struct viommu_endpoint *ep, uint64_t start,
		     uint64_t last, struct viommu_resv **out)
{
	struct viommu_resv *r = calloc(ep->num_resv + 1, sizeof(*r));
	uint32_t j = 0;
	bool placed = false;

	if (!r)
		return ioasid_fail(-ENOMEM, "viommu: out of memory");
	for (uint32_t i = 0; i < ep->num_resv; i++) {
		if (!placed && ep->resv[i].start > start) {
			r[j++] = (struct viommu_resv){ start, last,
						       VIOMMU_RESV_MEM_T_RESERVED };
			placed = true;
		}
		r[j++] = ep->resv[i];
	}
	if (!placed)
		r[j] = (struct viommu_resv){ start, last,
					     VIOMMU_RESV_MEM_T_RESERVED };
	*out = r;
	return 0;
}

int ioasid_virtio_iommu_enable_nested(struct ioasid_virtio_iommu *v,
				const struct ioasid_virtio_iommu_nested_opts *opts)
{
	struct viommu_resv **resv = NULL;
	struct viommu_endpoint *ep;
	struct viommu_nested *n;
	uint64_t gpa, size, last, iova;
	uint32_t num_eps, k;
	void *hva;
	int rc;

	ioasid_clear_error();
	if (!v || !opts)
		return ioasid_fail(-EINVAL, "viommu nested: NULL argument");
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_virtio_iommu_nested_opts),
			       "ioasid_virtio_iommu_nested_opts");
	if (rc)
		return rc;
	if (v->nested)
		return ioasid_fail(-EEXIST, "viommu nested: already enabled");
	if (v->features_set || vidx_count(&v->domains))
		return ioasid_fail(-EBUSY,
				   "viommu nested: enable before the driver negotiates features");
	gpa = IOASID_OPTS_GET(opts, region_gpa, 0);
	size = IOASID_OPTS_GET(opts, region_size, 0);
	hva = IOASID_OPTS_GET(opts, region_hva, NULL);
	last = gpa + size - 1;
	if (!hva || !size || (gpa | size | (uintptr_t)hva) & (VPT_PAGE_SIZE - 1) ||
	    last < gpa || last > VPT_ADDR_MASK)
		return ioasid_fail(-EINVAL,
				   "viommu nested: region %#llx+%#llx at %p: needs 4 KiB alignment, a size, and to end below 2^52",
				   (unsigned long long)gpa, (unsigned long long)size, hva);
	for (uint32_t i = 0; i < v->num_ram; i++)
		if (v->ram[i].gpa <= last && gpa <= v->ram[i].gpa + v->ram[i].size - 1)
			return ioasid_fail(-EINVAL,
					   "viommu nested: region %#llx-%#llx overlaps guest RAM at %#llx",
					   (unsigned long long)gpa,
					   (unsigned long long)last,
					   (unsigned long long)v->ram[i].gpa);
	if (v->config.input_start > VPT_IOVA_LAST)
		return ioasid_fail(-EINVAL,
				   "viommu nested: input_range starts above 2^47-1");
	/* Every endpoint reports the region: check the sizes first. */
	num_eps = (uint32_t)vidx_count(&v->endpoints);
	resv = calloc(num_eps ? num_eps : 1, sizeof(*resv));
	if (!resv)
		return ioasid_fail(-ENOMEM, "viommu: out of memory");
	k = 0;
	VIDX_FOR_EACH_ID(&v->endpoints, ep) {
		for (uint32_t i = 0; i < ep->num_resv; i++)
			if (ep->resv[i].start <= last && gpa <= ep->resv[i].last) {
				rc = ioasid_fail(-EINVAL,
						 "viommu nested: region overlaps a reserved region of endpoint %u",
						 ep->id);
				goto fail;
			}
		if ((uint64_t)(ep->num_resv + 1) * VIOMMU_RESV_MEM_SIZE >
		    v->config.probe_size) {
			rc = ioasid_fail(-E2BIG,
					 "viommu nested: endpoint %u: the region does not fit probe_size %u",
					 ep->id, v->config.probe_size);
			goto fail;
		}
		rc = resv_with(ep, gpa, last, &resv[k++]);
		if (rc)
			goto fail;
	}

	n = calloc(1, sizeof(*n));
	if (!n) {
		rc = ioasid_fail(-ENOMEM, "viommu: out of memory");
		goto fail;
	}
	n->fault_fd = -1;
	n->region_gpa = gpa;
	n->region_size = size;
	n->region_hva = hva;
	v->nested = n;
	rc = vpt_pool_init(&n->pool, gpa, size, hva);
	if (rc) {
		rc = ioasid_fail(rc, "viommu nested: table pool: %s",
				 rc == -ENOMEM ? "out of memory" : "bad region");
		goto fail_n;
	}
	rc = ioasid_ioas_alloc(v->ctx, &n->s2_ioas);
	if (rc)
		goto fail_n;
	for (uint32_t i = 0; i < v->num_ram && !rc; i++)
		rc = map_ram(v, n->s2_ioas, &v->ram[i]);
	if (rc)
		goto fail_n;
	/* Stage 2 must reach the tables; devices only read them. */
	IOASID_OPTS(ioasid_map_opts, read_only, .flags = IOASID_MAP_READ);
	iova = gpa;
	rc = ioasid_ioas_map(v->ctx, n->s2_ioas, hva, size, &iova, &read_only);
	if (rc)
		goto fail_n;
	rc = ioasid_fault_queue_alloc(v->ctx, &n->fault_id, &n->fault_fd);
	if (rc == -EOPNOTSUPP || rc == -ENOTTY) {
		/* The host has no fault queues (a backend or kernel without
		 * them): nested mode works, faults go unreported. */
		ioasid_log(IOASID_INFO,
			   "viommu nested: no fault queue (%s): faults of nested domains are not reported",
			   ioasid_errmsg());
		n->fault_id = 0;
		n->fault_fd = -1;
		rc = 0;
	} else if (rc) {
		/* A host that has them but could not make one now (memory,
		 * descriptors): not a device without fault reports. */
		n->fault_id = 0;
		n->fault_fd = -1;
		goto fail_n;
	}

	/* Commit: nothing below fails. */
	k = 0;
	VIDX_FOR_EACH_ID(&v->endpoints, ep) {
		free(ep->resv);
		ep->resv = resv[k++];
		ep->num_resv++;
	}
	free(resv);
	if (v->config.input_end > VPT_IOVA_LAST)
		v->config.input_end = VPT_IOVA_LAST;
	v->strategy = &viommu_nested_strategy;
	return 0;

fail_n:
	{
		/* The cleanup calls clear the message: keep the failure's. */
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
		nested_free(v);
		rc = ioasid_fail(rc, "%s", msg[0] ? msg : "viommu nested: a host call failed");
	}
fail:
	for (uint32_t i = 0; i < k; i++)
		free(resv[i]);
	free(resv);
	return rc;
}

/* TEST ONLY, not a user-facing mode (declared in viommu-internal.h, not
 * exported): the kernel's mock IOMMU (CONFIG_IOMMUFD_TEST) nests only
 * with its selftest data type.  With this, nested mode counts the mock as
 * a nesting IOMMU, allocates nested HWPTs of the selftest type and sends
 * each batch's invalidations in the selftest entry format (one entry per
 * range, as for VT-d).  The VT-d stage-1 tables are written exactly as
 * always, but the mock never walks them: DMA is not translated through
 * them.  What stays real: the pinning of guest RAM once, the table writes
 * and the invalidation calls, which is what tests/vm/lib/bench_nested.c
 * measures against shadow mode. */
int viommu_nested_use_selftest_format(struct ioasid_virtio_iommu *v)
{
	ioasid_clear_error();
	if (!v || !v->nested)
		return ioasid_fail(-EINVAL, "viommu nested: not enabled");
	if (v->features_set || vidx_count(&v->domains))
		return ioasid_fail(-EBUSY,
				   "viommu nested: the format is chosen before the driver negotiates features");
	v->nested->selftest_format = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Host faults                                                          */

int ioasid_virtio_iommu_host_fault_fd(const struct ioasid_virtio_iommu *v)
{
	ioasid_clear_error();
	if (!v)
		return ioasid_fail(-EINVAL, "viommu: device is NULL");
	if (!v->nested || !v->nested->fault_id)
		return ioasid_fail(-ENOENT, "viommu: no host fault queue");
	return v->nested->fault_fd;
}

static struct viommu_endpoint *endpoint_of_dev(struct ioasid_virtio_iommu *v,
					       uint32_t dev_id)
{
	struct viommu_endpoint *ep;

	VIDX_FOR_EACH_ID(&v->endpoints, ep)
		if (ep->dev && ioasid_dev_id(ep->dev) == dev_id)
			return ep;
	return NULL;
}

#define FAULT_BATCH 32u

int ioasid_virtio_iommu_handle_host_faults(struct ioasid_virtio_iommu *v)
{
	struct ioasid_fault faults[FAULT_BATCH];
	struct ioasid_fault_response resp[FAULT_BATCH];
	int total = 0;

	ioasid_clear_error();
	if (!v)
		return ioasid_fail(-EINVAL, "viommu: device is NULL");
	if (!v->nested || !v->nested->fault_id)
		return ioasid_fail(-ENOENT, "viommu: no host fault queue");
	for (;;) {
		uint32_t num = FAULT_BATCH, nresp = 0, taken;
		int rc = ioasid_fault_read(v->ctx, v->nested->fault_id, faults,
					   &num);

		if (rc)
			return rc;
		if (!num)
			return total;
		for (uint32_t i = 0; i < num; i++) {
			const struct ioasid_fault *f = &faults[i];
			struct viommu_endpoint *ep = endpoint_of_dev(v, f->dev_id);
			uint32_t flags = VIOMMU_FAULT_F_ADDRESS;

			if (f->perm & IOASID_FAULT_PERM_READ)
				flags |= VIOMMU_FAULT_F_READ;
			if (f->perm & IOASID_FAULT_PERM_WRITE)
				flags |= VIOMMU_FAULT_F_WRITE;
			if (ep)
				viommu_queue_fault(v, VIOMMU_FAULT_R_MAPPING,
						   flags, ep->id, f->addr);
			else
				ioasid_log(IOASID_WARN,
					   "viommu: I/O page fault of unknown device %u at %#llx",
					   f->dev_id, (unsigned long long)f->addr);
			/* One answer per group: its faults share a cookie. */
			if (!nresp || resp[nresp - 1].cookie != f->cookie)
				resp[nresp++] = (struct ioasid_fault_response){
					f->cookie, IOASID_FAULT_RESP_INVALID };
		}
		taken = nresp;
		rc = ioasid_fault_respond(v->ctx, v->nested->fault_id, resp,
					  &taken);
		if (rc)
			return rc;
		total += (int)num;
	}
}

/* ------------------------------------------------------------------ */
/* Inspection                                                           */

void viommu_nested_region(const struct ioasid_virtio_iommu *v, uint64_t *gpa,
			  uint64_t *size)
{
	*gpa = v->nested->region_gpa;
	*size = v->nested->region_size;
}

/* TEST ONLY (declared in viommu-internal.h): where a nested domain
 * lives on the host, for tests that check the kernel's side. */
int viommu_nested_domain_host(const struct ioasid_virtio_iommu *v, uint32_t domain,
			      struct viommu_nested_host *out)
{
	struct viommu_domain *d;

	ioasid_clear_error();
	if (!v || !out)
		return ioasid_fail(-EINVAL, "viommu: NULL argument");
	d = vidx_find(&v->domains, domain);
	if (!d || !d->nested)
		return ioasid_fail(-ENOENT, "viommu domain %u is not nested",
				   domain);
	memset(out, 0, sizeof(*out));
	out->root = d->nested->root;
	out->s2_ioas = v->nested->s2_ioas;
	out->fault_id = v->nested->fault_id;
	if (d->nested->num_hwpts) {
		const struct nest_hwpt *h = &d->nested->hwpts[0];

		out->hwpt = h->id;
		out->parent = v->nested->iommus[h->iommu].parent;
		out->hwpt_faults = h->faults;
	}
	return 0;
}

int ioasid_virtio_iommu_domain_mode(const struct ioasid_virtio_iommu *v, uint32_t domain,
			      uint32_t *mode)
{
	struct viommu_domain *d;

	ioasid_clear_error();
	if (!v || !mode)
		return ioasid_fail(-EINVAL, "viommu: NULL argument");
	d = vidx_find(&v->domains, domain);
	if (!d)
		return ioasid_fail(-ENOENT, "viommu domain %u does not exist",
				   domain);
	*mode = d->nested ? IOASID_VIRTIO_IOMMU_MODE_NESTED : IOASID_VIRTIO_IOMMU_MODE_SHADOW;
	return 0;
}
