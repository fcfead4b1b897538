// SPDX-License-Identifier: MIT
/*
 * Simulator backend: the iteration the public API adds over iommufd, which
 * has no call that lists mappings or objects: what an IOAS maps (its
 * areas, as io_pagetable.c keeps them) and the IOAS and HWPT objects.
 */
#include "sim.h"

/* Put entry @i if it fits; count it either way. */
#define PUT(arr, cap, i, val)                                               \
	do {                                                                \
		if ((i) < (cap))                                            \
			(arr)[i] = (val);                                   \
		(i)++;                                                      \
	} while (0)

int sim_ioas_mappings(void *be, uint32_t ioas_id, uint64_t first,
		      uint64_t last, struct ioasid_mapping *maps,
		      uint32_t *num)
{
	struct sim *s = be;
	struct sim_ioas *ioas = sim_get_ioas(s, ioas_id);
	uint32_t cap = *num, n = 0;
	struct itree_iter it;

	if (!ioas || ioas_id == s->mock_ioas_id)
		return ioasid_fail(-ENOENT, "IOAS %u does not exist", ioas_id);
	for (bool more = itree_first_overlap(&ioas->areas, first, last, &it);
	     more && it.start <= last; more = itree_next(&it)) {
		const struct sim_area *a = it.value;
		const struct sim_pages *p = a->pages;
		struct ioasid_mapping m = {
			.iova = it.start,
			.length = it.last - it.start + 1,
			.flags = a->prot,
			.fd = -1,
		};

		if (p && p->is_file) {
			m.kind = IOASID_MAPPING_FILE;
			m.offset = p->base + a->start_byte;
			m.fd = p->user_fd;
		} else if (p) {
			m.kind = IOASID_MAPPING_MEMORY;
			m.va = p->base + a->start_byte;
		}
		PUT(maps, cap, n, m);
	}
	*num = n;
	if (n > cap)
		return ioasid_fail(-EMSGSIZE, "IOAS %u has %u mappings, room for %u",
				   ioas_id, n, cap);
	return 0;
}

static void ioas_entry(const struct sim_ioas *ioas, struct ioasid_object *o)
{
	struct itree_iter it;

	o->type = IOASID_OBJECT_IOAS;
	for (bool more = itree_first(&ioas->areas, &it); more;
	     more = itree_next(&it)) {
		o->mappings++;
		o->mapped += it.last - it.start + 1;
	}
}

static void hwpt_entry(const struct sim_hwpt *h, struct ioasid_object *o)
{
	const struct sim_hwpt_ext *e = h->ext;

	o->type = IOASID_OBJECT_HWPT;
	o->hwpt_flags = h->flags;
	if (h->auto_domain)
		o->flags |= IOASID_OBJECT_AUTO_DOMAIN;
	if (e && (e->parent || e->viommu)) {
		o->flags |= IOASID_OBJECT_NESTED;
		o->parent = e->parent ? e->parent->obj.id : e->viommu->obj.id;
	} else if (h->ioas) {
		o->ioas_id = h->ioas->obj.id;
	}
}

/* A HWPT of the private IOAS that detached mock devices rest on. */
static bool parked(const struct sim_hwpt *h, const struct sim *s)
{
	return s->mock_ioas_id && h->ioas && h->ioas->obj.id == s->mock_ioas_id;
}

int sim_objects(void *be, struct ioasid_object *objs, uint32_t *num)
{
	struct sim *s = be;
	uint32_t cap = *num, n = 0;

	for (uint32_t id = 1; id < s->num_objs; id++) {
		const struct sim_obj *so = s->objs[id];
		struct ioasid_object o = { .id = id };

		if (!so || id == s->mock_ioas_id)
			continue;
		if (so->type == SIM_IOAS)
			ioas_entry((const struct sim_ioas *)so, &o);
		else if (so->type == SIM_HWPT && !parked((const struct sim_hwpt *)so, s))
			hwpt_entry((const struct sim_hwpt *)so, &o);
		else
			continue;
		PUT(objs, cap, n, o);
	}
	*num = n;
	if (n > cap)
		return ioasid_fail(-EMSGSIZE, "%u objects, room for %u", n, cap);
	return 0;
}
