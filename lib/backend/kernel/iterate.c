// SPDX-License-Identifier: MIT
/*
 * Kernel backend: the iteration the public API adds over iommufd, which
 * has no ioctl that lists the mappings of an IOAS or the objects of an
 * iommufd.  The answers come from the record of what this context did
 * (record.c); a record that may have missed something says so (-ENODATA)
 * rather than answer with part of the truth.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-internal.h"

/* Whether IOAS @id exists, asked of the kernel (IOMMU_IOAS_IOVA_RANGES
 * with no room: -EMSGSIZE or 0 when it does). */
static bool ioas_exists(struct kernel_be *be, uint32_t id)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
	};

	return kernel_ioctl(be->fd, IOMMU_IOAS_IOVA_RANGES, &cmd) != -ENOENT;
}

int kernel_ioas_mappings(void *be_, uint32_t ioas_id, uint64_t first,
			 uint64_t last, struct ioasid_mapping *maps,
			 uint32_t *num)
{
	struct kernel_be *be = be_;
	struct kernel_ioas *r = NULL;
	uint32_t cap = *num, n = 0;
	struct itree_iter it;

	if (ioas_id && ioas_id != be->mock_ioas)
		r = krec_ioas(be, ioas_id, false);
	if (!r || !r->complete) {
		if (!ioas_id || ioas_id == be->mock_ioas || !ioas_exists(be, ioas_id))
			return ioasid_fail(-ENOENT, "IOAS %u does not exist", ioas_id);
		return ioasid_fail(-ENODATA,
				   "the kernel backend does not know every mapping of IOAS %u: %s",
				   ioas_id,
				   r ? "its record is incomplete (out of memory, or the kernel did what the record did not expect)"
				     : "it was not allocated through this context");
	}
	for (bool more = itree_first_overlap(krec_areas(r), first, last, &it);
	     more && it.start <= last; more = itree_next(&it)) {
		const struct krec_area *a = it.value;

		if (n < cap) {
			struct ioasid_mapping *m = &maps[n];

			memset(m, 0, sizeof(*m));
			m->iova = it.start;
			m->length = it.last - it.start + 1;
			m->flags = a->prot;
			m->kind = a->kind;
			m->fd = -1;
			if (a->kind == IOASID_MAPPING_MEMORY) {
				m->va = a->addr;
			} else if (a->kind == IOASID_MAPPING_FILE) {
				m->offset = a->addr;
				m->fd = a->fd;
			}
		}
		n++;
	}
	*num = n;
	if (n > cap)
		return ioasid_fail(-EMSGSIZE, "IOAS %u has %u mappings, room for %u",
				   ioas_id, n, cap);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = ((const struct ioasid_object *)a)->id;
	uint32_t y = ((const struct ioasid_object *)b)->id;

	return x < y ? -1 : x > y;
}

int kernel_objects(void *be_, struct ioasid_object *objs, uint32_t *num)
{
	struct kernel_be *be = be_;
	struct ioasid_object *all;
	uint32_t total = 0, n = 0, cap = *num;
	struct itree_iter it;

	for (struct kernel_ioas *r = be->ioases; r; r = r->next)
		total++;
	for (struct kernel_hwpt *h = be->hwpts; h; h = h->next)
		total++;
	all = calloc(total ? total : 1, sizeof(*all));
	if (!all)
		return ioasid_fail(-ENOMEM, "out of memory");
	for (struct kernel_ioas *r = be->ioases; r; r = r->next) {
		struct ioasid_object *o = &all[n];

		if (r->id == be->mock_ioas)
			continue;
		o->id = r->id;
		o->type = IOASID_OBJECT_IOAS;
		for (bool more = itree_first(krec_areas(r), &it); more;
		     more = itree_next(&it)) {
			o->mappings++;
			o->mapped += it.last - it.start + 1;
		}
		n++;
	}
	for (struct kernel_hwpt *h = be->hwpts; h; h = h->next) {
		struct ioasid_object *o = &all[n];

		/* The HWPTs of the private IOAS detached mocks rest on. */
		if (be->mock_ioas && h->ioas_id == be->mock_ioas)
			continue;
		o->id = h->id;
		o->type = IOASID_OBJECT_HWPT;
		o->hwpt_flags = h->flags;
		if (h->autodomain)
			o->flags |= IOASID_OBJECT_AUTO_DOMAIN;
		if (h->parent) {
			o->flags |= IOASID_OBJECT_NESTED;
			o->parent = h->parent;
		} else {
			o->ioas_id = h->ioas_id;
		}
		n++;
	}
	qsort(all, n, sizeof(*all), cmp_id);
	if (n && cap)
		memcpy(objs, all, (n < cap ? n : cap) * sizeof(*all));
	free(all);
	*num = n;
	if (n > cap)
		return ioasid_fail(-EMSGSIZE, "%u objects, room for %u", n, cap);
	return 0;
}
