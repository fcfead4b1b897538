// SPDX-License-Identifier: MIT
/*
 * The kernel backend's record of what this context did: its IOASes with
 * the mappings and allowed ranges made through it, the paging and nested
 * HWPTs it allocated or attached to, and which HWPT each device rests
 * on.  iommufd cannot be asked for any of it, and explain.c needs it to
 * say why the kernel refused a request ("overlaps mapping ...", "is in
 * use by hwpt ...").  Nothing here issues an ioctl, and nothing here
 * fails a call: a record that cannot grow (no memory) or that the kernel
 * contradicts is marked incomplete, and explain.c then says less.
 *
 * A mapping's area is what the kernel's is (one per map, one per source
 * area of a copy), so that unmap's walk (io_pagetable.c
 * iopt_unmap_iova_range()) can be replayed on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-internal.h"

/* Area values: a struct krec_area each (what iterate.c reports). */
bool krec_area_writable(const void *value)
{
	return ((const struct krec_area *)value)->prot & IOASID_MAP_WRITE;
}

static void area_free(uint64_t start, uint64_t last, void *value, void *arg)
{
	(void)start;
	(void)last;
	(void)arg;
	free(value);
}

/* Drop the pending mapping, or every area. */
static void drop_pend(struct kernel_ioas *r)
{
	if (r->pend)
		free(r->pend_value);
	r->pend = false;
}

static void clear_areas(struct kernel_ioas *r)
{
	drop_pend(r);
	itree_clear(&r->areas, area_free, NULL);
}

/* Remove the area at @n, and its value. */
static void remove_area(struct kernel_ioas *r, const struct itree_iter *n)
{
	void *value = n->value;

	itree_remove_at(&r->areas, n);
	free(value);
}

/* The newest mapping waits in a slot of its own and goes into the tree
 * only when another one comes or someone looks: a map soon unmapped
 * again (a DMA buffer, a guest's strict-mode virtio-iommu) then costs
 * no tree operation at all. */
struct itree *krec_areas(struct kernel_ioas *r)
{
	if (r->pend) {
		r->pend = false;
		if (itree_insert(&r->areas, r->pend_start, r->pend_last, r->pend_value)) {
			free(r->pend_value);
			r->complete = false;
		}
	}
	return &r->areas;
}

/* ------------------------------------------------------------------ */
/* IOAS                                                                 */

struct kernel_ioas *krec_ioas(struct kernel_be *be, uint32_t id, bool create)
{
	struct kernel_ioas *r = be->ioas_last;

	/* Maps and unmaps come in runs on one IOAS. */
	if (r && r->id == id)
		return r;
	for (r = be->ioases; r; r = r->next)
		if (r->id == id)
			return be->ioas_last = r;
	if (!create || !(r = calloc(1, sizeof(*r))))
		return NULL;
	r->id = id;
	itree_init(&r->areas);
	r->next = be->ioases;
	be->ioases = r;
	return be->ioas_last = r;
}

void krec_ioas_alloc(struct kernel_be *be, uint32_t id)
{
	struct kernel_ioas *r;

	krec_ioas_destroyed(be, id); /* a stale record of a reused id */
	r = krec_ioas(be, id, true);
	if (r)
		r->complete = true;
}

void krec_ioas_destroyed(struct kernel_be *be, uint32_t id)
{
	for (struct kernel_ioas **p = &be->ioases; *p; p = &(*p)->next) {
		struct kernel_ioas *r = *p;

		if (r->id != id)
			continue;
		*p = r->next;
		if (be->ioas_last == r)
			be->ioas_last = NULL;
		clear_areas(r);
		free(r->allowed);
		free(r);
		return;
	}
}

void krec_mapped(struct kernel_be *be, uint32_t ioas_id, uint64_t iova,
		 uint64_t length, const struct krec_area *what)
{
	struct kernel_ioas *r = krec_ioas(be, ioas_id, true);
	struct krec_area *v;

	if (!r)
		return;
	krec_areas(r);
	v = malloc(sizeof(*v));
	if (!v) {
		r->complete = false;
		return;
	}
	*v = *what;
	r->pend = true;
	r->pend_start = iova;
	r->pend_last = iova + length - 1;
	r->pend_value = v;
}

#define PROT_MASK (IOASID_MAP_READ | IOASID_MAP_WRITE)

void krec_mapped_va(struct kernel_be *be, uint32_t ioas_id, uint64_t iova,
		    uint64_t length, uint32_t flags, uint64_t va)
{
	struct krec_area a = { flags & PROT_MASK, IOASID_MAPPING_MEMORY, va, -1 };

	krec_mapped(be, ioas_id, iova, length, &a);
}

void krec_mapped_file(struct kernel_be *be, uint32_t ioas_id, uint64_t iova,
		      uint64_t length, uint32_t flags, int fd, uint64_t start)
{
	struct krec_area a = { flags & PROT_MASK, IOASID_MAPPING_FILE, start, fd };

	krec_mapped(be, ioas_id, iova, length, &a);
}

/* A piece of a copy: the memory of source area @src (starting at IOVA
 * @src_start) from IOVA @at on, with the copy's access. */
static struct krec_area piece_of(const struct krec_area *src,
				 uint64_t src_start, uint64_t at, uint32_t prot)
{
	struct krec_area p = { .prot = prot, .fd = -1 };

	if (src) {
		p = *src;
		p.prot = prot;
		p.addr += at - src_start;
	}
	return p;
}

void krec_copied(struct kernel_be *be, uint32_t dst_id, uint64_t dst_iova,
		 uint32_t src_id, uint64_t src_iova, uint64_t length,
		 uint32_t flags)
{
	uint32_t prot = flags & PROT_MASK;
	struct krec_area piece;
	struct kernel_ioas *src = krec_ioas(be, src_id, false);
	struct kernel_ioas *dst = krec_ioas(be, dst_id, true);
	uint64_t last = src_iova + length - 1, cur = src_iova;
	struct itree_iter n;
	bool more;

	if (!dst)
		return;
	/* iopt_get_pages(): one piece per source area; without a record of
	 * the source, one area. */
	more = src && itree_first_overlap(krec_areas(src), src_iova, last, &n);
	if (!more || n.start > src_iova) {
		piece = piece_of(NULL, 0, 0, prot);
		krec_mapped(be, dst_id, dst_iova, length, &piece);
		return;
	}
	while (more && n.start <= cur) {
		uint64_t end = n.last < last ? n.last : last;

		piece = piece_of(n.value, n.start, cur, prot);
		krec_mapped(be, dst_id, dst_iova + (cur - src_iova),
			    end - cur + 1, &piece);
		if (end == last)
			return;
		cur = end + 1;
		more = itree_next(&n);
	}
	/* The kernel copied what the record does not hold. */
	piece = piece_of(NULL, 0, 0, prot);
	krec_mapped(be, dst_id, dst_iova + (cur - src_iova), last - cur + 1,
		    &piece);
	dst->complete = false;
}

int krec_unmap_walk(struct kernel_be *be, uint32_t ioas_id, uint64_t first,
		    uint64_t last, uint64_t *split_start, uint64_t *split_last,
		    uint64_t *bytes)
{
	struct kernel_ioas *r = krec_ioas(be, ioas_id, false);
	uint64_t start = first;
	struct itree_iter n;

	*bytes = 0;
	if (!r)
		return 0;
	while (itree_first_overlap(krec_areas(r), start, last, &n)) {
		uint64_t a = n.start, b = n.last;

		if (a < start || b > last) {
			*split_start = a;
			*split_last = b;
			return -ENOENT;
		}
		remove_area(r, &n);
		*bytes += b - a + 1;
		if (b >= last)
			break;
		start = b + 1;
	}
	return 0;
}

void krec_unmapped(struct kernel_be *be, uint32_t ioas_id, uint64_t iova,
		   uint64_t length, uint64_t unmapped)
{
	struct kernel_ioas *r = krec_ioas(be, ioas_id, false);
	uint64_t a, b, bytes;
	struct itree_iter n;

	if (!r)
		return;
	/* The usual unmap: exactly one mapping, the whole range. */
	if (r->pend && unmapped == length && r->pend_start == iova &&
	    r->pend_last == iova + length - 1) {
		drop_pend(r);
		return;
	}
	if (unmapped == length && itree_find(krec_areas(r), iova, &n) &&
	    n.start == iova && n.last == iova + length - 1) {
		remove_area(r, &n);
		return;
	}
	if (iova == 0 && length == UINT64_MAX) {
		/* Empty now, whatever the record knew. */
		clear_areas(r);
		r->complete = true;
		return;
	}
	if (krec_unmap_walk(be, ioas_id, iova, iova + length - 1, &a, &b,
			    &bytes)) {
		/* The kernel unmapped a range the record says splits a
		 * mapping: the record is wrong; drop what it has there. */
		while (itree_first_overlap(&r->areas, iova, iova + length - 1, &n))
			remove_area(r, &n);
		r->complete = false;
	}
}

void krec_allowed(struct kernel_be *be, uint32_t ioas_id,
		  const struct ioasid_iova_range *ranges, uint32_t num)
{
	struct kernel_ioas *r = krec_ioas(be, ioas_id, true);
	struct ioasid_iova_range *v = NULL;

	if (!r)
		return;
	if (num && !(v = malloc(num * sizeof(*v)))) {
		r->allowed_known = false;
		return;
	}
	if (num)
		memcpy(v, ranges, num * sizeof(*v));
	free(r->allowed);
	r->allowed = v;
	r->num_allowed = num;
	r->allowed_known = true;
}

/* ------------------------------------------------------------------ */
/* HWPTs and where devices rest                                         */

struct kernel_hwpt *krec_hwpt(const struct kernel_be *be, uint32_t id)
{
	for (struct kernel_hwpt *h = be->hwpts; h; h = h->next)
		if (h->id == id)
			return h;
	return NULL;
}

void krec_hwpt_add(struct kernel_be *be, uint32_t id, uint32_t ioas_id,
		   uint32_t parent, bool autodomain, const char *dev)
{
	struct kernel_hwpt *h;

	krec_hwpt_del(be, id);
	h = calloc(1, sizeof(*h));
	if (!h)
		return;
	h->id = id;
	h->ioas_id = ioas_id;
	h->parent = parent;
	h->autodomain = autodomain;
	h->seq = ++be->seq;
	if (dev)
		snprintf(h->dev, sizeof(h->dev), "%s", dev);
	h->next = be->hwpts;
	be->hwpts = h;
}

void krec_hwpt_del(struct kernel_be *be, uint32_t id)
{
	for (struct kernel_hwpt **p = &be->hwpts; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			struct kernel_hwpt *h = *p;

			*p = h->next;
			free(h);
			return;
		}
}

void krec_dev_on(struct kernel_be *be, struct kernel_dev *dev,
		 uint32_t hwpt_id, uint32_t pt_id)
{
	uint32_t old = dev->hwpt;

	dev->hwpt = hwpt_id;
	if (hwpt_id && hwpt_id != old) {
		dev->attach_seq = ++be->seq;
		/* An id the record does not know came with the attach: the
		 * IOAS's automatic HWPT (iommufd_device_auto_get_domain()). */
		if (!krec_hwpt(be, hwpt_id))
			krec_hwpt_add(be, hwpt_id, pt_id != hwpt_id ? pt_id : 0, 0,
				      true, dev->name);
	}
	if (old && old != hwpt_id) {
		struct kernel_hwpt *h = krec_hwpt(be, old);

		if (!h || !h->autodomain)
			return;
		/* An automatic HWPT goes with its last device. */
		for (struct kernel_dev *d = be->devs; d; d = d->next)
			if (d->hwpt == old)
				return;
		krec_hwpt_del(be, old);
	}
}

const char *krec_kind(const struct kernel_be *be, uint32_t id)
{
	static const char *const obj_names[] = {
		[IOASID_OBJ_HWPT] = "hwpt",
		[IOASID_OBJ_VIOMMU] = "viommu",
		[IOASID_OBJ_VDEVICE] = "vdevice",
		[IOASID_OBJ_VEVENTQ] = "vEVENTQ",
		[IOASID_OBJ_FAULT] = "fault queue",
	};

	if (!id)
		return NULL;
	for (const struct kernel_ioas *r = be->ioases; r; r = r->next)
		if (r->id == id)
			return "ioas";
	if (krec_hwpt(be, id))
		return "hwpt";
	for (const struct kernel_dev *d = be->devs; d; d = d->next) {
		if (d->bound && d->dev_id == id)
			return "device";
		if (d->bound && d->kind == IOASID_DEV_MOCK && d->stdev_id == id)
			return "selftest object";
	}
	for (const struct kernel_obj *o = be->objs; o; o = o->next)
		if (o->id == id && (size_t)o->type < ARRAY_SIZE(obj_names) &&
		    obj_names[o->type])
			return obj_names[o->type];
	return NULL;
}

void krec_hwpt_flags(struct kernel_be *be, uint32_t id, uint32_t flags)
{
	struct kernel_hwpt *h = krec_hwpt(be, id);

	if (h)
		h->flags = flags;
}

void krec_free(struct kernel_be *be)
{
	while (be->ioases)
		krec_ioas_destroyed(be, be->ioases->id);
	while (be->hwpts)
		krec_hwpt_del(be, be->hwpts->id);
}
