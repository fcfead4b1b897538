// SPDX-License-Identifier: MIT
/*
 * Simulator backend: models drivers/iommu/iommufd/selftest.c: the mock
 * driver's test hooks (IOPF, vEVENT, IOTLB) and HWPT translation.
 */
#include "sim.h"
#include "sim-test-hooks.h"

/* The tests' stage-1 walker (struct sim.s1_walker). */
struct sim_s1_walker {
	ioasid_s1_walk_fn walk;
	void *walk_arg;
};

/* selftest.c iommufd_test_trigger_iopf(): the fault goes to the queue of
 * the HWPT attached at that PASID (RID for 0), or is dropped. */
int sim_ext_test_iopf(void *be, uint32_t dev_id, uint32_t pasid,
		      uint32_t grpid, uint32_t perm, uint64_t addr)
{
	struct sim *s = be;
	struct sim_obj *d = sim_obj_get(s, dev_id);
	struct sim_dev *dev;
	struct sim_hwpt *h = NULL;
	struct sim_fault *f;
	struct ioasid_fault *e;
	int rc;

	if (!d || d->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "device id %u does not exist", dev_id);
	dev = (struct sim_dev *)d;
	if (!pasid) {
		h = dev->hwpt;
	} else {
		int at = pasid_recs_find(&dev->pasids, pasid);

		if (at >= 0)
			h = sim_ext_get(s, dev->pasids.v[at].hwpt_id, SIM_HWPT);
	}
	if (!h || !h->ext || !h->ext->fault)
		return 0;
	f = h->ext->fault;
	rc = sim_grow((void **)&f->q, &f->cap, f->n + 1, sizeof(*f->q));
	if (rc)
		return rc;
	e = &f->q[f->n++];
	memset(e, 0, sizeof(*e));
	e->flags = IOASID_FAULT_LAST_PAGE | (pasid ? IOASID_FAULT_PASID_VALID : 0);
	e->dev_id = dev_id;
	e->pasid = pasid;
	e->grpid = grpid;
	e->perm = perm;
	e->addr = addr;
	sim_efd_signal(f->efd, true);
	return 0;
}

/* selftest.c iommufd_test_trigger_vevent(). */
int sim_ext_test_vevent(void *be, uint32_t dev_id)
{
	struct sim *s = be;
	struct sim_obj *d = sim_obj_get(s, dev_id);
	struct sim_vdevice *vd = NULL;

	if (!d || d->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "device id %u does not exist", dev_id);
	for (uint32_t k = 1; k < s->num_objs && !vd; k++) {
		struct sim_vdevice *o = sim_ext_get(s, k, SIM_VDEVICE);

		if (o && o->dev_id == dev_id)
			vd = o;
	}
	if (!vd)
		return ioasid_fail(-ENOENT, "device %u has no vdevice", dev_id);
	/* The mock learns its vIOMMU and virt id when it attaches to a
	 * nested domain of that vIOMMU (selftest.c
	 * mock_domain_nop_attach()); until then, or with virt id 0, the
	 * kernel answers -ENOENT. */
	{
		const struct sim_hwpt *h = ((struct sim_dev *)d)->hwpt;

		if (!h || !h->ext || h->ext->viommu != vd->viommu || !vd->virt_id)
			return ioasid_fail(-ENOENT,
					   "device %u is not attached to a nested hwpt of viommu %u (or its virt id is 0)",
					   dev_id, vd->viommu->obj.id);
	}
	for (uint32_t k = 1; k < s->num_objs; k++) {
		struct sim_veventq *q = sim_ext_get(s, k, SIM_VEVENTQ);
		uint32_t virt = (uint32_t)vd->virt_id;

		if (q && q->viommu == vd->viommu &&
		    q->type == IOASID_VEVENTQ_TYPE_SELFTEST)
			return sim_veventq_report(q, &virt, sizeof(virt));
	}
	return ioasid_fail(-EOPNOTSUPP, "viommu %u has no selftest vEVENTQ",
			   vd->viommu->obj.id);
}

/* selftest.c iommufd_test_md_check_iotlb(). */
int sim_ext_test_check_iotlb(void *be, uint32_t hwpt_id, uint32_t index,
			     uint32_t value)
{
	struct sim *s = be;
	struct sim_hwpt *h = sim_ext_get(s, hwpt_id, SIM_HWPT);

	if (!h || !sim_ext_hwpt_nested(h))
		return ioasid_fail(-ENOENT, "nested hwpt %u does not exist", hwpt_id);
	if (h->ext->data_type != IOASID_HWPT_DATA_SELFTEST)
		return ioasid_fail(-EINVAL, "hwpt %u is not a selftest nested hwpt",
				   hwpt_id);
	if (index >= IOASID_TEST_IOTLB_NUM || h->ext->iotlb[index] != value)
		return ioasid_fail(-EINVAL,
				   "hwpt %u iotlb[%u] is 0x%x, not 0x%x", hwpt_id,
				   index,
				   index < IOASID_TEST_IOTLB_NUM ? h->ext->iotlb[index] : 0,
				   value);
	return 0;
}

void ioasid_sim_set_s1_walker(void *be, ioasid_s1_walk_fn fn, void *arg)
{
	struct sim *s = be;

	if (!s->s1_walker)
		s->s1_walker = calloc(1, sizeof(*s->s1_walker));
	if (s->s1_walker) {
		s->s1_walker->walk = fn;
		s->s1_walker->walk_arg = arg;
	}
}

void ioasid_sim_set_max_areas(void *be, uint64_t max)
{
	((struct sim *)be)->max_areas = max;
}

static int paging_translate(struct sim *s, struct sim_hwpt *h, uint64_t iova,
			    uint64_t *va)
{
	struct itree_iter it;
	const struct sim_area *a;

	(void)s;
	if (!h->ioas || !itree_find(&h->ioas->areas, iova, &it))
		return -ENOENT;
	a = it.value;
	if (a->pages->is_file)
		return -EOPNOTSUPP;
	*va = a->pages->base + a->start_byte + (iova - it.start);
	return 0;
}

struct s1_reader {
	struct sim *s;
	struct sim_hwpt *parent;
};

static int s1_read(void *rd, uint64_t gpa, void *buf, uint32_t len)
{
	struct s1_reader *r = rd;
	uint64_t va;
	int rc = paging_translate(r->s, r->parent, gpa, &va);

	if (rc)
		return rc;
	/* A table entry never crosses a mapping for aligned reads. */
	memcpy(buf, (const void *)(uintptr_t)va, len);
	return 0;
}

int ioasid_sim_hwpt_translate(void *be, uint32_t hwpt_id, uint64_t iova,
			      uint64_t *va)
{
	struct sim *s = be;
	struct sim_hwpt *h = sim_ext_get(s, hwpt_id, SIM_HWPT);
	struct s1_reader rd;
	uint64_t gpa;
	int rc;

	if (!h)
		return -ENOENT;
	if (!sim_ext_hwpt_nested(h))
		return paging_translate(s, h, iova, va);
	if (!s->s1_walker || !s->s1_walker->walk)
		return -EOPNOTSUPP;
	rd.s = s;
	rd.parent = h->ext->parent;
	rc = s->s1_walker->walk(s->s1_walker->walk_arg, h->ext->data_type,
				h->ext->data, h->ext->data_len, iova, s1_read,
				&rd, &gpa);
	if (rc)
		return rc;
	return paging_translate(s, h->ext->parent, gpa, va);
}
