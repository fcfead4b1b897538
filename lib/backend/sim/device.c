// SPDX-License-Identifier: MIT
/*
 * Simulator backend: models drivers/iommu/iommufd/device.c: attach,
 * replace and detach, PASID attachments, IOMMU_GET_HW_INFO, and device
 * open, bind and close.
 */
#include "explain.h"
#include "sim.h"

/* ------------------------------------------------------------------ */
/* Attach, replace, detach                                              */

static struct sim_dev *group_dev(struct sim *s, const struct sim_group *g,
				 unsigned int i)
{
	struct sim_dev *d = s->devs[i];

	if (!d || d->group != g || !d->hwpt)
		return NULL;
	return d;
}

/* The iommu core's attach: a domain of another IOMMU instance is refused
 * with -EINVAL (the check iommufd_device_auto_get_domain() relies on to
 * skip incompatible domains). */
static int domain_compatible(struct sim *s, const struct sim_hwpt *h,
			     const struct sim_dev *dev)
{
	if (h->iommu == (unsigned int)dev->t->iommu)
		return 0;
	return ioasid_fail(-EINVAL,
			   "hwpt %u belongs to iommu %s; device %s is behind iommu %s",
			   h->obj.id, s->topo->iommus[h->iommu].name,
			   dev->t->info.name,
			   s->topo->iommus[dev->t->iommu].name);
}

/* Whether any device of group @g has a PASID attached (the kernel keeps
 * them per group: igroup->pasid_attach). */
static bool group_has_pasids(const struct sim *s, const struct sim_group *g)
{
	for (unsigned int i = 0; i < s->topo->num_devs; i++)
		if (s->devs[i] && s->devs[i]->group == g && s->devs[i]->pasids.n)
			return true;
	return false;
}

/* device.c iommufd_hwpt_pasid_compat(), RID side: while PASIDs are
 * attached in the group, the RID's HWPT must be PASID-compatible. */
static int rid_pasid_compat(const struct sim *s, const struct sim_dev *dev,
			    const struct sim_hwpt *h)
{
	if ((h->flags & TOPO_HWPT_PASID) || !group_has_pasids(s, dev->group))
		return 0;
	return ioasid_fail(-EINVAL,
			   "hwpt %u lacks IOMMU_HWPT_ALLOC_PASID but group %d of device %s has PASIDs attached",
			   h->obj.id, dev->t->info.group, dev->t->info.name);
}

/* device.c iommufd_hw_pagetable_attach(): a group is attached as a unit,
 * so a second device of the group may only join the group's HWPT
 * (-EINVAL); the device's reserved regions go into the IOAS first, then
 * the first device attaches the group. */
static int do_attach(struct sim *s, struct sim_dev *dev, struct sim_hwpt *h)
{
	struct sim_group *g = dev->group;
	int rc;

	if (g->hwpt && g->hwpt != h)
		return ioasid_fail(-EINVAL,
				   "group %d of device %s is attached to hwpt %u; its devices must share one hwpt",
				   dev->t->info.group, dev->t->info.name,
				   g->hwpt->obj.id);
	rc = rid_pasid_compat(s, dev, h);
	if (rc)
		return rc;
	rc = sim_enforce_dev_resv(s, h->ioas, dev);
	if (rc)
		return rc;
	if (!g->hwpt) {
		rc = domain_compatible(s, h, dev);
		if (rc) {
			sim_resv_remove_owner(h->ioas, dev, NULL);
			return rc;
		}
		g->hwpt = h;
	}
	g->num_attached++;
	h->users++;
	dev->hwpt = h;
	return 0;
}

static void group_remove_resv(struct sim *s, struct sim_group *g,
			      struct sim_ioas *ioas)
{
	for (unsigned int i = 0; i < s->topo->num_devs; i++) {
		struct sim_dev *d = group_dev(s, g, i);

		if (d)
			sim_resv_remove_owner(ioas, d, NULL);
	}
}

/*
 * device.c iommufd_device_do_replace(): the same HWPT is a no-op; a new
 * IOAS gets the reserved regions of every attached device of the group
 * (iommufd_group_do_replace_reserved_iova()), the old one loses them, and
 * the whole group moves.  Kept kernel quirk: when the new HWPT is
 * incompatible, the group's regions are removed from the new HWPT's IOAS
 * even if it is the old IOAS too.
 */
static int do_replace(struct sim *s, struct sim_dev *dev, struct sim_hwpt *h)
{
	struct sim_group *g = dev->group;
	struct sim_hwpt *old = g->hwpt;
	unsigned int n = g->num_attached;
	int rc;

	if (h == old)
		return 0;
	rc = rid_pasid_compat(s, dev, h);
	if (rc)
		return rc;
	if (old->ioas != h->ioas) {
		for (unsigned int i = 0; i < s->topo->num_devs; i++) {
			struct sim_dev *d = group_dev(s, g, i);

			if (!d)
				continue;
			rc = sim_enforce_dev_resv(s, h->ioas, d);
			if (rc) {
				group_remove_resv(s, g, h->ioas);
				return rc;
			}
		}
	}
	rc = domain_compatible(s, h, dev);
	if (rc) {
		group_remove_resv(s, g, h->ioas);
		return rc;
	}
	if (old->ioas != h->ioas)
		group_remove_resv(s, g, old->ioas);
	for (unsigned int i = 0; i < s->topo->num_devs; i++) {
		struct sim_dev *d = group_dev(s, g, i);

		if (d)
			d->hwpt = h;
	}
	g->hwpt = h;
	h->users += n;
	sim_hwpt_put(s, old, n);
	return 0;
}

typedef int (*attach_fn)(struct sim *s, struct sim_dev *dev,
			 struct sim_hwpt *h);

/*
 * device.c iommufd_device_auto_get_domain(): try the IOAS's automatic
 * domains in creation order (-EINVAL means incompatible: try the next;
 * other errors end the attach); otherwise make a new one.  For an attach
 * the new domain is attached before it joins the IOAS
 * (iommufd_hwpt_paging_alloc() with immediate_attach); for a replace it
 * joins first.  A failed creation gives its id back.
 */
static int auto_get_domain(struct sim *s, struct sim_dev *dev,
			   struct sim_ioas *ioas, attach_fn fn,
			   uint32_t *hwpt_id)
{
	struct sim_hwpt *h;
	int rc;

	for (h = ioas->hwpts; h; h = h->next) {
		if (!h->auto_domain)
			continue;
		rc = fn(s, dev, h);
		if (rc == -EINVAL)
			continue;
		if (!rc)
			*hwpt_id = h->obj.id;
		return rc;
	}
	h = sim_hwpt_new(s, dev, 0);
	if (!h)
		return -ENOMEM;
	rc = sim_obj_add(s, &h->obj);
	if (rc) {
		free(h);
		return rc;
	}
	if (fn == do_attach) {
		h->ioas = ioas; /* for the reserved regions, before sim_add_domain */
		rc = do_attach(s, dev, h);
		if (!rc) {
			h->ioas = NULL;
			rc = sim_add_domain(s, ioas, h);
			if (rc) {
				/* device.c iommufd_hw_pagetable_detach() */
				h->ioas = ioas;
				dev->group->num_attached--;
				dev->group->hwpt = NULL;
				dev->hwpt = NULL;
				h->users--;
				sim_resv_remove_owner(ioas, dev, NULL);
				h->ioas = NULL;
			}
		} else {
			h->ioas = NULL;
		}
	} else {
		rc = sim_add_domain(s, ioas, h);
		if (!rc)
			rc = fn(s, dev, h);
	}
	if (rc) {
		sim_hwpt_destroy(s, h);
		return rc;
	}
	h->auto_domain = true;
	*hwpt_id = h->obj.id;
	return 0;
}

/* device.c iommufd_access_change_ioas() with io_pagetable.c
 * iopt_add_access(): an mdev pins through an access, which raises the
 * IOAS alignment to PAGE_SIZE (-EADDRINUSE if mappings disagree). */
static int access_change_ioas(struct sim *s, struct sim_dev *dev,
			      struct sim_ioas *ioas)
{
	struct sim_ioas *cur = dev->access;

	if (cur == ioas)
		return 0;
	if (ioas) {
		uint64_t align = ioas->iova_alignment;
		int rc;

		if (s->page_size > align) {
			rc = sim_check_areas_aligned(s, ioas, s->page_size);
			if (rc)
				return rc;
			align = s->page_size;
		}
		ioas->num_access++;
		ioas->iova_alignment = align;
	}
	if (cur) {
		cur->num_access--;
		cur->iova_alignment = sim_calc_alignment(s, cur);
	}
	dev->access = ioas;
	return 0;
}

int sim_dev_attach(void *be, void *bdev, uint32_t pt_id,
		   uint32_t *hwpt_id)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;
	struct sim_obj *o;
	uint32_t out = pt_id;
	int rc;

	if (!dev->obj.id)
		return ioasid_fail(-EINVAL, "device %s is not bound",
				   dev->t->info.name);
	if (dev->obj.type == SIM_ACCESS) {
		/* vfio/iommufd.c vfio_iommufd_emulated_attach_ioas(): an
		 * mdev attaches to an IOAS only; pt_id comes back as is. */
		struct sim_ioas *ioas = sim_get_ioas(s, pt_id);

		if (!ioas)
			return ioasid_fail(-ENOENT,
					   "%u is not an ioas: mdev %s attaches only to an IOAS",
					   pt_id, dev->t->info.name);
		rc = access_change_ioas(s, dev, ioas);
		if (!rc && hwpt_id)
			*hwpt_id = pt_id;
		return rc;
	}
	o = sim_obj_get(s, pt_id);
	if (!o)
		return explain_no_object(-ENOENT, "ioas or hwpt", pt_id);
	/* vfio/iommufd.c vfio_iommufd_physical_attach_ioas(): attached
	 * already means replace.  device.c iommufd_device_change_pt(). */
	attach_fn fn = dev->hwpt ? do_replace : do_attach;

	switch (o->type) {
	case SIM_HWPT:
		rc = fn(s, dev, (struct sim_hwpt *)o);
		break;
	case SIM_IOAS:
		rc = auto_get_domain(s, dev, (struct sim_ioas *)o, fn, &out);
		break;
	default:
		rc = explain_wrong_type(-EINVAL, pt_id, sim_obj_type_name(o->type),
					"ioas or hwpt");
		break;
	}
	if (!rc && hwpt_id)
		*hwpt_id = out;
	return rc;
}

/*
 * Mock devices behave as the kernel backend makes them behave
 * (lib/backend/kernel/ mock_bind and friends), ids included, so that
 * scripts give the same output on both.  A selftest mock device cannot
 * exist unattached: IOMMU_TEST_OP_MOCK_DOMAIN (selftest.c
 * iommufd_test_mock_domain()) creates it attached to an IOAS, and
 * "detach" moves it back there with IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE
 * (iommufd_test_mock_domain_replace() -> iommufd_device_replace()).
 */
static int mock_park(struct sim *s, struct sim_dev *dev)
{
	struct sim_ioas *ioas;
	struct sim_obj *park;
	uint32_t hwpt_id;

	if (dev->park_hwpt) {
		park = sim_obj_get(s, dev->park_hwpt);
		if (!park || park->type != SIM_HWPT)
			return ioasid_fail(-ENOENT, "hwpt %u does not exist",
					   dev->park_hwpt);
		return do_replace(s, dev, (struct sim_hwpt *)park);
	}
	ioas = sim_get_ioas(s, s->mock_ioas_id);
	if (!ioas)
		return -ENOENT;
	return auto_get_domain(s, dev, ioas, do_replace, &hwpt_id);
}

/* device.c iommufd_hw_pagetable_detach(). */
static void hwpt_detach(struct sim *s, struct sim_dev *dev)
{
	struct sim_hwpt *h = dev->hwpt;

	if (!--dev->group->num_attached)
		dev->group->hwpt = NULL;
	sim_resv_remove_owner(h->ioas, dev, NULL);
	dev->hwpt = NULL;
	sim_hwpt_put(s, h, 1);
}

int sim_dev_detach(void *be, void *bdev)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;
	struct sim_hwpt *h = dev->hwpt;

	if (dev->t->info.kind == IOASID_DEV_MOCK && dev->obj.id)
		return mock_park(s, dev);
	if (dev->obj.type == SIM_ACCESS && dev->obj.id) {
		if (!dev->access)
			return ioasid_fail(-EINVAL, "mdev %s is not attached",
					   dev->t->info.name);
		return access_change_ioas(s, dev, NULL);
	}
	if (!h)
		return ioasid_fail(-EINVAL, "device %s is not attached",
				   dev->t->info.name);
	hwpt_detach(s, dev);
	return 0;
}

/* ------------------------------------------------------------------ */
/* PASID attachments                                                    */

/* The hwpt another device of @dev's group attached at @pasid, if any. */
static struct sim_hwpt *group_pasid_hwpt(const struct sim *s,
					 const struct sim_dev *dev,
					 uint32_t pasid)
{
	for (unsigned int i = 0; i < s->topo->num_devs; i++) {
		const struct sim_dev *d = s->devs[i];
		int at;

		if (!d || d == dev || d->group != dev->group)
			continue;
		at = pasid_recs_find(&d->pasids, pasid);
		if (at >= 0)
			return (struct sim_hwpt *)sim_obj_get((struct sim *)s,
							      d->pasids.v[at].hwpt_id);
	}
	return NULL;
}

/*
 * vfio/device_cdev.c vfio_df_ioctl_attach_pt() with the PASID flag, then
 * vfio/iommufd.c vfio_iommufd_physical_pasid_attach_ioas() (an attached
 * PASID is replaced), device.c iommufd_device_change_pt():
 * - only vfio-pci has pasid_attach_ioas: an mdev is -EOPNOTSUPP;
 * - iommu.c iommu_attach_device_pasid(): PASID 0 (IOMMU_NO_PASID) and a
 *   PASID at or above the device's max_pasids are -EINVAL; a device or
 *   IOMMU without PASID has no set_dev_pasid: -EOPNOTSUPP;
 * - iommufd_hwpt_pasid_compat(): the HWPT needs IOMMU_HWPT_ALLOC_PASID
 *   and so does the RID's HWPT if the RID is attached (-EINVAL).  The
 *   automatic domains of an IOAS are allocated without it
 *   (iommufd_device_auto_get_domain() passes flags 0), so a PASID attach
 *   to an IOAS finds no compatible domain: -EINVAL;
 * - iommufd_hw_pagetable_attach(): the group shares one HWPT per PASID
 *   (-EINVAL for another one); no reserved regions for a PASID.
 */
int sim_dev_pasid_attach(void *be, void *bdev, uint32_t pasid,
			 uint32_t vpasid, uint32_t pt_id, bool replace,
			 uint32_t *hwpt_id)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;
	const struct topo_iommu *im;
	struct ioasid_pasid_entry e = { .vpasid = vpasid, .ppasid = pasid,
					.pt_id = pt_id };
	struct sim_hwpt *h, *old = NULL, *other;
	struct sim_obj *o;
	uint8_t width;
	int at, rc;

	if (!dev->obj.id)
		return ioasid_fail(-EINVAL, "device %s is not bound",
				   dev->t->info.name);
	if (dev->obj.type == SIM_ACCESS)
		return ioasid_fail(-EOPNOTSUPP,
				   "mdev %s: VFIO has no PASID attach for emulated devices",
				   dev->t->info.name);
	im = &s->topo->iommus[dev->t->iommu];
	width = dev->t->info.pasid_width < im->pasid_width ?
			dev->t->info.pasid_width : im->pasid_width;
	if (!width)
		return ioasid_fail(-EOPNOTSUPP,
				   "device %s: no PASID support (device width %u, iommu %s width %u)",
				   dev->t->info.name, dev->t->info.pasid_width,
				   im->name, im->pasid_width);
	if (pasid == 0 || pasid >= (1u << width))
		return ioasid_fail(-EINVAL,
				   "device %s: PASID %u is outside 1..%u",
				   dev->t->info.name, pasid, (1u << width) - 1);
	at = pasid_recs_find(&dev->pasids, pasid);
	if (at >= 0 && !replace)
		return ioasid_fail(-EBUSY, "device %s: PASID %u is attached already",
				   dev->t->info.name, pasid);
	if (at < 0 && replace)
		return ioasid_fail(-EINVAL, "device %s: PASID %u is not attached",
				   dev->t->info.name, pasid);
	if (at >= 0)
		old = (struct sim_hwpt *)sim_obj_get(s, dev->pasids.v[at].hwpt_id);
	o = sim_obj_get(s, pt_id);
	if (!o)
		return ioasid_fail(-ENOENT, "ioas or hwpt %u does not exist",
				   pt_id);
	if (o->type == SIM_IOAS)
		return ioasid_fail(-EINVAL,
				   "ioas %u: its automatic domains lack IOMMU_HWPT_ALLOC_PASID; attach PASID %u to a HWPT allocated with it",
				   pt_id, pasid);
	if (o->type != SIM_HWPT)
		return ioasid_fail(-EINVAL, "%u is a %s, not an ioas or hwpt",
				   pt_id, sim_obj_type_name(o->type));
	h = (struct sim_hwpt *)o;
	if (h == old)
		goto done;
	if (!(h->flags & TOPO_HWPT_PASID))
		return ioasid_fail(-EINVAL,
				   "hwpt %u was allocated without IOMMU_HWPT_ALLOC_PASID: it cannot take PASID %u",
				   pt_id, pasid);
	if (dev->group->hwpt && !(dev->group->hwpt->flags & TOPO_HWPT_PASID))
		return ioasid_fail(-EINVAL,
				   "device %s: its RID is attached to hwpt %u, which lacks IOMMU_HWPT_ALLOC_PASID",
				   dev->t->info.name, dev->group->hwpt->obj.id);
	rc = domain_compatible(s, h, dev);
	if (rc)
		return rc;
	other = group_pasid_hwpt(s, dev, pasid);
	if (!replace && other && other != h)
		return ioasid_fail(-EINVAL,
				   "group %d of device %s has PASID %u on hwpt %u; its devices must share one hwpt per PASID",
				   dev->t->info.group, dev->t->info.name, pasid,
				   other->obj.id);
done:
	e.hwpt_id = h->obj.id;
	rc = pasid_recs_set(&dev->pasids, &e);
	if (rc)
		return rc;
	if (h != old) {
		h->users++;
		if (old)
			sim_hwpt_put(s, old, 1);
	}
	*hwpt_id = h->obj.id;
	return 0;
}

/* vfio/iommufd.c vfio_iommufd_physical_pasid_detach_ioas(): a PASID not
 * attached is ignored by the kernel; the logic layer never asks. */
int sim_dev_pasid_detach(void *be, void *bdev, uint32_t pasid)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;
	int at = pasid_recs_find(&dev->pasids, pasid);
	struct sim_hwpt *h;

	if (at < 0)
		return ioasid_fail(-EINVAL, "device %s: PASID %u is not attached",
				   dev->t->info.name, pasid);
	h = (struct sim_hwpt *)sim_obj_get(s, dev->pasids.v[at].hwpt_id);
	pasid_recs_del(&dev->pasids, pasid);
	if (h)
		sim_hwpt_put(s, h, 1);
	return 0;
}

int sim_dev_pasid_list(void *be, void *bdev,
		       struct ioasid_pasid_entry *entries, uint32_t *num)
{
	struct sim_dev *dev = bdev;

	(void)be;
	return pasid_recs_list(&dev->pasids, entries, num);
}

/* ------------------------------------------------------------------ */
/* Hardware information and options                                     */

/* The uAPI's IOMMU_HW_INFO_TYPE_* for a topology's IOMMU model. */
static uint32_t hw_info_type(const char *model)
{
	if (!strcmp(model, "intel-vtd"))
		return IOASID_HW_INFO_INTEL_VTD;
	if (!strcmp(model, "arm-smmuv3"))
		return IOASID_HW_INFO_ARM_SMMUV3;
	if (!strcmp(model, "amd-vi"))
		return IOASID_HW_INFO_AMD;
	if (!strcmp(model, "mock"))
		return IOASID_HW_INFO_SELFTEST;
	return IOASID_HW_INFO_NONE;
}

/*
 * device.c iommufd_get_hw_info(): only a bound physical device has an
 * IOMMU to describe (an mdev's access object is not a device: -ENOENT).
 * The capabilities and PASID width come from the topology, and so do
 * the driver data of the models whose drivers report registers (AMD's
 * EFR, the SMMUv3's ID registers): the simulator makes the values the
 * topology describes.  The others have no driver data.
 */
uint32_t sim_hw_data_copy(void *data, uint32_t room, const void *regs,
			  uint32_t len)
{
	if (room)
		memcpy(data, regs, room < len ? room : len);
	return len;
}

int sim_hw_info(void *be, uint32_t dev_id, struct ioasid_hw_info *info,
		void *data, uint32_t *data_len)
{
	struct sim *s = be;
	struct sim_obj *o = sim_obj_get(s, dev_id);
	const struct topo_iommu *iommu;
	const struct sim_dev *dev;

	if (!o || o->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "%u is not a bound device with an IOMMU",
				   dev_id);
	dev = (const struct sim_dev *)o;
	iommu = &s->topo->iommus[dev->t->iommu];
	info->type = hw_info_type(iommu->model);
	info->capabilities = iommu->dirty_tracking ?
				     IOASID_HW_CAP_DIRTY_TRACKING : 0;
	/* PASID is usable only where both the IOMMU and the device have it. */
	info->max_pasid_log2 = dev->t->info.pasid_width < iommu->pasid_width ?
				       dev->t->info.pasid_width :
				       iommu->pasid_width;
	if (*data_len)
		memset(data, 0, *data_len);
	switch (info->type) {
	case IOASID_HW_INFO_AMD:
		*data_len = sim_amd_hw_data(iommu, data, *data_len);
		break;
	case IOASID_HW_INFO_ARM_SMMUV3:
		*data_len = sim_smmuv3_hw_data(iommu, data, *data_len);
		break;
	default:
		*data_len = 0;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Devices                                                              */

static int dev_index(struct sim *s, const struct topo_dev *t)
{
	return (int)(t - s->topo->devs);
}

/*
 * What ioasid_sysfs_set_driver() does to a real device: a device another
 * host driver uses is refused unless forced; vfio-pci gives the device a
 * cdev with the lowest free number, as VFIO's minor allocator does;
 * leaving vfio-pci returns it to its host driver.
 */
int sim_set_driver(void *be, const char *name, const char *driver,
		   bool force)
{
	struct sim *s = be;
	const struct topo_dev *found = topology_find_dev(s->topo, name);
	struct topo_dev *t;
	unsigned int idx, n;
	bool used;

	if (!found)
		return ioasid_fail(-ENODEV, "no device %s in topology %s", name,
				   s->topo->source);
	idx = (unsigned int)dev_index(s, found);
	t = &s->topo->devs[idx];
	if (s->devs[idx])
		return ioasid_fail(-EBUSY, "device %s is open: close it first",
				   t->info.name);
	if (driver && !strcmp(t->info.driver, driver))
		return 0;
	if (!driver && t->info.driver[0] && strcmp(t->info.driver, "vfio-pci"))
		return 0;
	if (driver && t->info.driver[0] && strcmp(t->info.driver, "vfio-pci") &&
	    !force)
		return ioasid_fail(-EBUSY,
				   "device %s is in use by host driver %s; taking it away stops whatever the host does with it (force it if that is intended)",
				   t->info.name, t->info.driver);
	if (driver && strcmp(driver, "vfio-pci") && strcmp(driver, s->host_driver[idx]))
		return ioasid_fail(-ENOENT,
				   "driver %s did not take device %s (the simulated host knows only vfio-pci and %s)",
				   driver, t->info.name,
				   s->host_driver[idx][0] ? s->host_driver[idx] : "no host driver");
	t->info.cdev[0] = '\0';
	if (driver && !strcmp(driver, "vfio-pci")) {
		for (n = 0;; n++) {
			char cdev[IOASID_NAME_MAX];

			snprintf(cdev, sizeof(cdev), "/dev/vfio/devices/vfio%u", n);
			used = false;
			for (unsigned int i = 0; i < s->topo->num_devs && !used; i++)
				used = !strcmp(s->topo->devs[i].info.cdev, cdev);
			if (!used) {
				memcpy(t->info.cdev, cdev, sizeof(cdev));
				break;
			}
		}
	}
	snprintf(t->info.driver, sizeof(t->info.driver), "%s",
		 driver ? driver : s->host_driver[idx]);
	return 0;
}

int sim_dev_open(void *be, const struct ioasid_dev_info *info,
		 void **bdev)
{
	struct sim *s = be;
	const struct topo_dev *t = topology_find_dev(s->topo, info->name);
	struct sim_dev *dev;

	if (!t)
		return ioasid_fail(-ENODEV, "no device %s in topology %s",
				   info->name, s->topo->source);
	if (t->info.kind != IOASID_DEV_MOCK && !t->info.cdev[0])
		return ioasid_fail(-ENODEV,
				   "device %s is bound to %s, not vfio-pci: it has no VFIO cdev",
				   t->info.name,
				   t->info.driver[0] ? t->info.driver : "no driver");
	if (s->devs[dev_index(s, t)])
		return ioasid_fail(-EBUSY, "device %s is already open",
				   t->info.name);
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return ioasid_fail(-ENOMEM, "out of memory");
	dev->t = t;
	dev->obj.type = t->info.kind == IOASID_DEV_MDEV ? SIM_ACCESS : SIM_DEVICE;
	if (t->group >= 0)
		dev->group = &s->groups[t->group];
	s->devs[dev_index(s, t)] = dev;
	*bdev = dev;
	return 0;
}

/* The kernel backend's mock_ioas_put(): the last mock device gone, its
 * private IOAS goes too (by id, whatever that id names by now). */
static void mock_ioas_put(struct sim *s)
{
	if (--s->mock_users)
		return;
	if (sim_destroy(s, s->mock_ioas_id, IOASID_OBJ_IOAS))
		ioasid_log(IOASID_WARN, "destroying the mock devices' ioas %u failed",
			   s->mock_ioas_id);
	s->mock_ioas_id = 0;
}

/*
 * The kernel backend's mock_bind(): its private IOAS first (with the
 * first mock device), then IOMMU_TEST_OP_MOCK_DOMAIN on it, which
 * allocates in this order (selftest.c iommufd_test_mock_domain()): the
 * selftest object, the device (iommufd_device_bind()), then the
 * automatic domain of iommufd_device_attach() unless the IOAS has a
 * compatible one already.
 */
static int mock_bind(struct sim *s, struct sim_dev *dev, uint32_t *dev_id)
{
	struct sim_ioas *ioas;
	uint32_t hwpt_id;
	int rc;

	if (!s->mock_users) {
		rc = sim_ioas_alloc(s, &s->mock_ioas_id);
		if (rc)
			return rc;
	}
	s->mock_users++;
	ioas = sim_get_ioas(s, s->mock_ioas_id);
	if (!ioas) {
		mock_ioas_put(s);
		return -ENOENT;
	}
	dev->selftest.type = SIM_SELFTEST;
	rc = sim_obj_add(s, &dev->selftest);
	if (rc)
		goto put;
	rc = sim_obj_add(s, &dev->obj);
	if (rc)
		goto del_selftest;
	rc = auto_get_domain(s, dev, ioas, do_attach, &hwpt_id);
	if (rc)
		goto del_dev;
	/* A PASID mock rests on a PASID-compatible HWPT of the IOAS, as
	 * the kernel backend's mock_bind() does for mockN:pasid: on the
	 * automatic one iommufd_hwpt_pasid_compat() refuses every PASID. */
	if (dev->t->info.pasid_width) {
		rc = sim_hwpt_alloc(s, dev->obj.id, ioas->obj.id,
				    TOPO_HWPT_PASID, &dev->park_hwpt);
		if (!rc)
			rc = mock_park(s, dev);
		if (rc) {
			hwpt_detach(s, dev);
			if (dev->park_hwpt)
				sim_destroy(s, dev->park_hwpt, IOASID_OBJ_HWPT);
			dev->park_hwpt = 0;
			goto del_dev;
		}
	}
	if (dev_id)
		*dev_id = dev->obj.id;
	return 0;
del_dev:
	sim_obj_del(s, &dev->obj);
del_selftest:
	sim_obj_del(s, &dev->selftest);
put:
	mock_ioas_put(s);
	return rc;
}

/* device.c iommufd_device_bind() / iommufd_access_create(): the device
 * (or an mdev's access) is an object with an id of its own. */
int sim_dev_bind(void *be, void *bdev, uint32_t *dev_id)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;
	int rc;

	if (dev->obj.id)
		return ioasid_fail(-EALREADY, "device %s is already bound",
				   dev->t->info.name);
	if (dev->t->info.kind == IOASID_DEV_MOCK)
		return mock_bind(s, dev, dev_id);
	rc = sim_obj_add(s, &dev->obj);
	if (!rc && dev_id)
		*dev_id = dev->obj.id;
	return rc;
}

/* The simulator models no device memory: there is no BAR to export. */
int sim_dev_dma_buf(void *be, void *bdev, uint32_t region, uint64_t offset,
		    uint64_t length, int *fd)
{
	struct sim_dev *dev = bdev;

	(void)be;
	(void)offset;
	(void)length;
	(void)fd;
	return ioasid_fail(-EOPNOTSUPP,
			   "device %s is simulated: it has no region %u (no BARs) to export as a dma-buf; peer-to-peer DMA needs the kernel backend (VFIO_DEVICE_FEATURE_DMA_BUF, Linux 6.19)",
			   dev->t->info.name, region);
}


void sim_dev_close(void *be, void *bdev)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;

	if (!dev)
		return;
	if (dev->obj.id)
		sim_ext_dev_close(s, dev->obj.id);
	while (dev->pasids.n)
		sim_dev_pasid_detach(be, dev, dev->pasids.v[0].ppasid);
	pasid_recs_free(&dev->pasids);
	if (dev->t->info.kind == IOASID_DEV_MOCK && dev->obj.id) {
		/* The kernel backend destroys the selftest object, which
		 * detaches and unbinds (selftest.c
		 * iommufd_selftest_destroy()), then drops its IOAS. */
		if (dev->hwpt)
			hwpt_detach(s, dev);
		sim_obj_del(s, &dev->obj);
		sim_obj_del(s, &dev->selftest);
		if (dev->park_hwpt &&
		    sim_destroy(s, dev->park_hwpt, IOASID_OBJ_HWPT))
			ioasid_log(IOASID_WARN,
				   "destroying hwpt %u (where mock device %s rested) failed",
				   dev->park_hwpt, dev->t->info.name);
		dev->park_hwpt = 0;
		mock_ioas_put(s);
	} else if (dev->hwpt || dev->access) {
		sim_dev_detach(be, dev);
	}
	sim_obj_del(s, &dev->obj);
	s->devs[dev_index(s, dev->t)] = NULL;
	free(dev);
}
