// SPDX-License-Identifier: MIT
/*
 * Simulator backend: models drivers/iommu/iommufd/viommu.c: vIOMMU and
 * vDEVICE objects, and the destruction of the vIOMMU objects and queues.
 */
#include "sim.h"

/* viommu.c iommufd_viommu_alloc_ioctl(). */
int sim_ext_viommu_alloc(void *be, uint32_t dev_id, uint32_t hwpt_id,
			 uint32_t type, uint32_t *viommu_id)
{
	struct sim *s = be;
	struct sim_obj *d = sim_obj_get(s, dev_id);
	const struct topo_iommu *im;
	struct sim_dev *dev;
	struct sim_hwpt *h;
	struct sim_viommu *vi;
	int rc;

	if (!type)
		return ioasid_fail(-EOPNOTSUPP, "vIOMMU type 0 is reserved");
	if (!d || d->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "device id %u does not exist", dev_id);
	dev = (struct sim_dev *)d;
	im = &s->topo->iommus[dev->t->iommu];
	if (!im->nesting ||
	    !(type == IOASID_VIOMMU_TYPE_SELFTEST ||
	      (type == IOASID_VIOMMU_TYPE_ARM_SMMUV3 &&
	       !strncmp(im->model, "arm-smmuv3", 10))))
		return ioasid_fail(-EOPNOTSUPP,
				   "iommu %s (%s) has no vIOMMU of type %#x",
				   im->name, im->model, type);
	h = sim_ext_get(s, hwpt_id, SIM_HWPT);
	if (!h || sim_ext_hwpt_nested(h))
		return ioasid_fail(-ENOENT, "paging hwpt %u does not exist", hwpt_id);
	if (!(h->flags & TOPO_HWPT_NEST_PARENT))
		return ioasid_fail(-EINVAL, "hwpt %u is not a nest parent", hwpt_id);
	vi = calloc(1, sizeof(*vi));
	if (!vi || !sim_hwpt_ext(h)) {
		free(vi);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	vi->obj.type = SIM_VIOMMU;
	vi->parent = h;
	vi->iommu = (unsigned int)dev->t->iommu;
	vi->type = type;
	rc = sim_obj_add(s, &vi->obj);
	if (rc) {
		free(vi);
		return rc;
	}
	h->ext->refs++;
	*viommu_id = vi->obj.id;
	return 0;
}

/* viommu.c iommufd_vdevice_alloc_ioctl(). */
int sim_ext_vdevice_alloc(void *be, uint32_t viommu_id, uint32_t dev_id,
			  uint64_t virt_id, uint32_t *vdevice_id)
{
	struct sim *s = be;
	struct sim_viommu *vi = sim_ext_get(s, viommu_id, SIM_VIOMMU);
	struct sim_obj *d;
	struct sim_vdevice *vd;
	int rc;

	if (!vi)
		return ioasid_fail(-ENOENT, "viommu %u does not exist", viommu_id);
	d = sim_obj_get(s, dev_id);
	if (!d || d->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "device id %u does not exist", dev_id);
	if ((unsigned int)((struct sim_dev *)d)->t->iommu != vi->iommu)
		return ioasid_fail(-EINVAL,
				   "device %u is behind another iommu than viommu %u",
				   dev_id, viommu_id);
	for (uint32_t k = 1; k < s->num_objs; k++) {
		struct sim_vdevice *o = sim_ext_get(s, k, SIM_VDEVICE);

		if (o && o->dev_id == dev_id)
			return ioasid_fail(-EEXIST, "device %u has vdevice %u already",
					   dev_id, k);
		if (o && o->viommu == vi && o->virt_id == virt_id)
			return ioasid_fail(-EEXIST,
					   "virt_id 0x%llx is taken in viommu %u (vdevice %u)",
					   (ull)virt_id, viommu_id, k);
	}
	vd = calloc(1, sizeof(*vd));
	if (!vd)
		return ioasid_fail(-ENOMEM, "out of memory");
	vd->obj.type = SIM_VDEVICE;
	vd->viommu = vi;
	vd->dev_id = dev_id;
	vd->virt_id = virt_id;
	rc = sim_obj_add(s, &vd->obj);
	if (rc) {
		free(vd);
		return rc;
	}
	vi->refs++;
	*vdevice_id = vd->obj.id;
	return 0;
}

int sim_ext_destroy(void *be, uint32_t id, enum ioasid_obj_type type)
{
	static const enum sim_obj_type map[] = {
		[IOASID_OBJ_VIOMMU] = SIM_VIOMMU,
		[IOASID_OBJ_VDEVICE] = SIM_VDEVICE,
		[IOASID_OBJ_VEVENTQ] = SIM_VEVENTQ,
		[IOASID_OBJ_FAULT] = SIM_FAULT,
	};
	static const char *const names[] = {
		[IOASID_OBJ_VIOMMU] = "viommu",
		[IOASID_OBJ_VDEVICE] = "vdevice",
		[IOASID_OBJ_VEVENTQ] = "vEVENTQ",
		[IOASID_OBJ_FAULT] = "fault queue",
	};
	struct sim *s = be;
	struct sim_obj *o = sim_obj_get(s, id);

	if (!o || o->type != map[type])
		return ioasid_fail(-ENOENT, "%s %u does not exist", names[type], id);
	/* main.c iommufd_object_remove(): a referenced object is -EBUSY. */
	if (o->type == SIM_VIOMMU) {
		struct sim_viommu *vi = (struct sim_viommu *)o;

		if (vi->refs)
			return ioasid_fail(-EBUSY,
					   "viommu %u is in use by nested hwpts, vdevices or vEVENTQs",
					   id);
		vi->parent->ext->refs--;
	} else if (o->type == SIM_VDEVICE) {
		((struct sim_vdevice *)o)->viommu->refs--;
	} else if (o->type == SIM_VEVENTQ) {
		struct sim_veventq *q = (struct sim_veventq *)o;

		q->viommu->refs--;
		close(q->efd);
		free(q->q);
	} else {
		struct sim_fault *f = (struct sim_fault *)o;

		if (f->refs)
			return ioasid_fail(-EBUSY, "fault queue %u is in use by a hwpt",
					   id);
		close(f->efd);
		free(f->q);
		free(f->cookies);
	}
	sim_obj_del(s, o);
	free(o);
	return 0;
}

/* An id the kernel keeps unusable until the iommufd closes: no getter
 * matches its type, sim_obj_add() skips it, sim_obj_del() is never called
 * on it. */
static struct sim_obj sim_tombstone = { .type = (enum sim_obj_type)31 };

/* device.c iommufd_device_remove_vdev(): destroying a device destroys
 * its vDEVICE and tombstones the vDEVICE's id
 * (iommufd_object_tombstone_user()), so it is neither destroyable
 * (-ENOENT) nor reused. */
void sim_ext_dev_close(struct sim *s, uint32_t dev_id)
{
	for (uint32_t k = 1; k < s->num_objs; k++) {
		struct sim_vdevice *vd = sim_ext_get(s, k, SIM_VDEVICE);

		if (vd && vd->dev_id == dev_id) {
			vd->viommu->refs--;
			s->objs[k] = &sim_tombstone;
			free(vd);
		}
	}
}

/* After the devices are closed: the ext objects and nested HWPTs go
 * before the paging HWPTs they hold. */
void sim_ext_close(struct sim *s)
{
	static const enum ioasid_obj_type order[] = {
		IOASID_OBJ_VEVENTQ, IOASID_OBJ_VDEVICE,
	};

	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		for (uint32_t id = 1; id < s->num_objs; id++)
			if (s->objs[id])
				sim_ext_destroy(s, id, order[k]);
	for (uint32_t id = 1; id < s->num_objs; id++) {
		struct sim_obj *o = s->objs[id];

		if (o && o->type == SIM_HWPT && sim_ext_hwpt_nested((struct sim_hwpt *)o))
			sim_hwpt_destroy(s, (struct sim_hwpt *)o);
	}
	for (uint32_t id = 1; id < s->num_objs; id++)
		if (s->objs[id])
			sim_ext_destroy(s, id, IOASID_OBJ_VIOMMU);
	for (uint32_t id = 1; id < s->num_objs; id++) {
		struct sim_obj *o = s->objs[id];

		if (o && o->type == SIM_HWPT && ((struct sim_hwpt *)o)->ext &&
		    ((struct sim_hwpt *)o)->ext->fault) {
			((struct sim_hwpt *)o)->ext->fault->refs--;
			((struct sim_hwpt *)o)->ext->fault = NULL;
		}
	}
	for (uint32_t id = 1; id < s->num_objs; id++)
		if (s->objs[id])
			sim_ext_destroy(s, id, IOASID_OBJ_FAULT);
	free(s->s1_walker);
	s->s1_walker = NULL;
	ioasid_clear_error();
}
