// SPDX-License-Identifier: MIT
/*
 * Simulator backend: models drivers/iommu/iommufd/main.c: the object table
 * (iommufd_object_alloc(), iommufd_get_object()), IOMMU_DESTROY, and the
 * ops table, open and close of the simulator backend.
 */
#include "explain.h"
#include "sim.h"

/* ------------------------------------------------------------------ */
/* Object recycling                                                     */

void *sim_spare_get(void **list, size_t size)
{
	void *p = *list;

	if (!p)
		return malloc(size);
	*list = *(void **)p;
	return p;
}

void sim_spare_put(void **list, void *p)
{
	*(void **)p = *list;
	*list = p;
}

static void spare_drain(void **list)
{
	while (*list) {
		void *next = *(void **)*list;

		free(*list);
		*list = next;
	}
}

/* ------------------------------------------------------------------ */
/* Object ids                                                           */

/* main.c iommufd_object_alloc_elm(): xa_alloc on an XA_FLAGS_ALLOC1
 * xarray hands out the lowest free id, starting at 1. */
int sim_obj_add(struct sim *s, struct sim_obj *o)
{
	uint32_t id;

	for (id = 1; id < s->num_objs; id++)
		if (!s->objs[id])
			break;
	if (id >= s->num_objs) {
		uint32_t n = s->num_objs ? s->num_objs * 2 : 16;
		struct sim_obj **v = realloc(s->objs, n * sizeof(*v));

		if (!v)
			return ioasid_fail(-ENOMEM, "out of memory");
		memset(v + s->num_objs, 0, (n - s->num_objs) * sizeof(*v));
		if (!s->num_objs)
			id = 1;
		s->objs = v;
		s->num_objs = n;
	}
	o->id = id;
	s->objs[id] = o;
	return 0;
}

void sim_obj_del(struct sim *s, struct sim_obj *o)
{
	if (o->id && o->id < s->num_objs && s->objs[o->id] == o)
		s->objs[o->id] = NULL;
	o->id = 0;
}

struct sim_obj *sim_obj_get(struct sim *s, uint32_t id)
{
	return id && id < s->num_objs ? s->objs[id] : NULL;
}

const char *sim_obj_type_name(enum sim_obj_type t)
{
	switch (t) {
	case SIM_IOAS:
		return "ioas";
	case SIM_HWPT:
		return "hwpt";
	case SIM_DEVICE:
		return "device";
	case SIM_ACCESS:
		return "mdev access";
	case SIM_SELFTEST:
		return "selftest object";
	}
	return "object";
}

/* main.c iommufd_get_object(): a missing id or one of another type is
 * -ENOENT. */
struct sim_ioas *sim_get_ioas(struct sim *s, uint32_t id)
{
	struct sim_obj *o = sim_obj_get(s, id);

	if (!o) {
		explain_no_object(-ENOENT, "ioas", id);
		return NULL;
	}
	if (o->type != SIM_IOAS) {
		explain_wrong_type(-ENOENT, id, sim_obj_type_name(o->type), "ioas");
		return NULL;
	}
	return (struct sim_ioas *)o;
}

/* ------------------------------------------------------------------ */
/* Objects                                                              */

int sim_destroy(void *be, uint32_t id, enum ioasid_obj_type type)
{
	struct sim *s = be;
	struct sim_obj *o = sim_obj_get(s, id);
	const char *want = type == IOASID_OBJ_IOAS ? "ioas" : "hwpt";

	if (type == IOASID_OBJ_HW_QUEUE)
		return sim_hw_queue_destroy(s, id);
	if (type != IOASID_OBJ_IOAS && type != IOASID_OBJ_HWPT) {
		int rc = sim_ext_destroy(be, id, type);

		if (!rc && type == IOASID_OBJ_VIOMMU)
			sim_hwq_viommu_gone(s, id);
		return rc;
	}
	if (!o)
		return explain_no_object(-ENOENT, want, id);
	if ((type == IOASID_OBJ_IOAS && o->type != SIM_IOAS) ||
	    (type == IOASID_OBJ_HWPT && o->type != SIM_HWPT))
		return explain_wrong_type(-ENOENT, id, sim_obj_type_name(o->type),
					  want);
	/* main.c iommufd_object_remove(): a referenced object is -EBUSY. */
	if (o->type == SIM_HWPT) {
		struct sim_hwpt *h = (struct sim_hwpt *)o;

		if (sim_ext_hwpt_busy(h))
			return explain_hwpt_busy_parent(id);
		if (h->users) {
			for (unsigned int i = 0; i < s->topo->num_devs; i++)
				if (s->devs[i] && s->devs[i]->hwpt == h)
					return explain_hwpt_busy_device(
						id, s->devs[i]->t->info.name);
			return explain_hwpt_busy(id);
		}
		sim_hwpt_destroy(s, h);
		return 0;
	}
	struct sim_ioas *ioas = (struct sim_ioas *)o;

	if (ioas->hwpts)
		return explain_ioas_busy_hwpt(id, ioas->hwpts->obj.id);
	if (ioas->num_access) {
		for (unsigned int i = 0; i < s->topo->num_devs; i++)
			if (s->devs[i] && s->devs[i]->access == ioas)
				return explain_ioas_busy_mdev(
					id, s->devs[i]->t->info.name);
	}
	sim_obj_del(s, o);
	sim_ioas_free(s, ioas);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Inventory                                                            */

static void copy_sized(void *dst, const void *src, size_t full)
{
	size_t sz = *(const size_t *)dst;
	size_t n = sz && sz < full ? sz : full;

	memcpy(dst, src, n);
	if (n >= sizeof(size_t))
		*(size_t *)dst = sz ? sz : full;
}

static int sim_dev_info_at(void *be, uint32_t index,
			   struct ioasid_dev_info *info)
{
	struct sim *s = be;

	if (index >= s->topo->num_devs)
		return -ENOENT;
	copy_sized(info, &s->topo->devs[index].info, sizeof(*info));
	info->class_source = IOASID_CLASS_SRC_TOPOLOGY;
	return 0;
}

static int sim_dev_info_get(void *be, const char *name,
			    struct ioasid_dev_info *info)
{
	struct sim *s = be;
	const struct topo_dev *t = topology_find_dev(s->topo, name);

	if (!t)
		return ioasid_fail(-ENODEV, "no device %s in topology %s", name,
				   s->topo->source);
	copy_sized(info, &t->info, sizeof(*info));
	info->class_source = IOASID_CLASS_SRC_TOPOLOGY;
	return 0;
}

static int sim_group_info_at(void *be, uint32_t index,
			     struct ioasid_group_info *info)
{
	struct sim *s = be;
	struct ioasid_group_info gi = { .sz = sizeof(gi) };
	const struct topo_group *g;
	struct topo_resv_list l;

	if (index >= s->topo->num_groups)
		return -ENOENT;
	g = &s->topo->groups[index];
	if (topology_group_resv(s->topo, g, &l))
		return ioasid_fail(-ENOMEM, "out of memory");
	free(l.v);
	gi.id = g->id;
	snprintf(gi.iommu, sizeof(gi.iommu), "%s", s->topo->iommus[g->iommu].name);
	gi.num_devices = g->num_devices;
	gi.num_resv_regions = l.n;
	copy_sized(info, &gi, sizeof(gi));
	return 0;
}

static int sim_group_resv_regions(void *be, int32_t group,
				  struct ioasid_resv_region *regions,
				  uint32_t *num)
{
	struct sim *s = be;
	const struct topo_group *g = topology_find_group(s->topo, group);
	struct topo_resv_list l;
	uint32_t max = *num;

	if (!g)
		return ioasid_fail(-ENOENT, "group %d does not exist", group);
	if (topology_group_resv(s->topo, g, &l))
		return ioasid_fail(-ENOMEM, "out of memory");
	for (uint32_t i = 0; i < l.n && i < max && regions; i++) {
		memset(&regions[i], 0, sizeof(regions[i]));
		regions[i].start = l.v[i].start;
		regions[i].last = l.v[i].last;
		regions[i].type = l.v[i].type;
	}
	free(l.v);
	*num = l.n;
	if (l.n > max)
		return ioasid_fail(-EMSGSIZE,
				   "group %d has %u reserved regions, the array holds %u",
				   group, l.n, max);
	return 0;
}

/* The topology's IOMMU record, as a kernel driver would describe it. */
static int sim_iommu_info(void *be, const char *name,
			  struct ioasid_iommu_info *info)
{
	struct sim *s = be;
	const struct topo_dev *t = topology_find_dev(s->topo, name);
	const struct topo_iommu *im;

	if (!t)
		return ioasid_fail(-ENODEV, "no device %s in topology %s", name,
				   s->topo->source);
	if (t->iommu < 0)
		return ioasid_fail(-ENODEV, "device %s has no IOMMU", name);
	im = &s->topo->iommus[t->iommu];
	snprintf(info->name, sizeof(info->name), "%s", im->name);
	info->aperture_start = im->aperture_start;
	info->aperture_last = im->aperture_last;
	info->page_sizes = im->pgsize_bitmap;
	info->pasid_width = im->pasid_width;
	info->flags = IOASID_IOMMU_APERTURE_KNOWN |
		      IOASID_IOMMU_PAGE_SIZES_KNOWN;
	info->msi_banks = im->msi_banks;
	info->msi_bank_size = im->msi_bank_size;
	return 0;
}

static void sim_close(void *be)
{
	struct sim *s = be;

	if (!s)
		return;
	/* NULL when ioasid_sim_open() ran out of memory. */
	for (unsigned int i = 0; s->devs && i < s->topo->num_devs; i++)
		if (s->devs[i])
			sim_dev_close(s, s->devs[i]);
	sim_hwq_close(s);
	sim_ext_close(s);
	/* HWPTs first: they hold their IOAS. */
	for (uint32_t id = 1; id < s->num_objs; id++) {
		struct sim_obj *o = s->objs[id];

		if (o && o->type == SIM_HWPT)
			sim_hwpt_destroy(s, (struct sim_hwpt *)o);
	}
	for (uint32_t id = 1; id < s->num_objs; id++) {
		struct sim_obj *o = s->objs[id];

		if (o && o->type == SIM_IOAS) {
			sim_obj_del(s, o);
			sim_ioas_free(s, (struct sim_ioas *)o);
		}
	}
	spare_drain(&s->spare_areas);
	spare_drain(&s->spare_pages);
	free(s->objs);
	free(s->devs);
	free(s->host_driver);
	free(s->groups);
	topology_free(s->topo);
	free(s);
}

/* The simulator has no iommufd and no VFIO device fds: no ctx_fd and no
 * dev_fd (dev_dma_buf says why there is no BAR). */
static const struct ioasid_backend_ops sim_ops = {
	.name = "sim",
	/* Context (main.c, ioas.c) */
	.close = sim_close,
	.option = sim_option,
	/* Inventory (main.c, device.c) */
	.dev_info_at = sim_dev_info_at,
	.dev_info_get = sim_dev_info_get,
	.group_info_at = sim_group_info_at,
	.group_resv_regions = sim_group_resv_regions,
	.iommu_info = sim_iommu_info,
	.set_driver = sim_set_driver,
	/* Objects (main.c), IOAS (ioas.c), HWPT (hw_pagetable.c) */
	.destroy = sim_destroy,
	.ioas_alloc = sim_ioas_alloc,
	.ioas_map = sim_ioas_map,
	.ioas_map_file = sim_ioas_map_file,
	.ioas_unmap = sim_ioas_unmap,
	.ioas_copy = sim_ioas_copy,
	.ioas_iova_ranges = sim_ioas_iova_ranges,
	.ioas_allow_iovas = sim_ioas_allow_iovas,
	.ioas_change_process = sim_ioas_change_process,
	.ioas_noiommu_get_pa = sim_ioas_noiommu_get_pa,
	.ioas_msi_banks = sim_ioas_msi_banks,
	.ioas_map_msi_bank = sim_ioas_map_msi_bank,
	.ioas_unmap_msi_bank = sim_ioas_unmap_msi_bank,
	/* Iteration (iterate.c) */
	.ioas_mappings = sim_ioas_mappings,
	.objects = sim_objects,
	.hwpt_alloc = sim_hwpt_alloc,
	.hwpt_alloc_user = sim_ext_hwpt_alloc_user,
	.hwpt_invalidate = sim_ext_invalidate,
	/* Devices and PASID (device.c) */
	.dev_open = sim_dev_open,
	.dev_bind = sim_dev_bind,
	.dev_dma_buf = sim_dev_dma_buf,
	.dev_attach = sim_dev_attach,
	.dev_detach = sim_dev_detach,
	.dev_close = sim_dev_close,
	.hw_info = sim_hw_info,
	.dev_pasid_attach = sim_dev_pasid_attach,
	.dev_pasid_detach = sim_dev_pasid_detach,
	.dev_pasid_list = sim_dev_pasid_list,
	/* vIOMMU objects (viommu.c) and queues (eventq.c) */
	.viommu_alloc = sim_ext_viommu_alloc,
	.vdevice_alloc = sim_ext_vdevice_alloc,
	.veventq_alloc = sim_ext_veventq_alloc,
	.veventq_read = sim_ext_veventq_read,
	.fault_alloc = sim_ext_fault_alloc,
	.fault_read = sim_ext_fault_read,
	.fault_respond = sim_ext_fault_respond,
	/* Dirty tracking (hw_pagetable.c) */
	.set_dirty_tracking = sim_ext_set_dirty,
	.get_dirty_bitmap = sim_ext_get_dirty,
	/* Test hooks (selftest.c, hw_pagetable.c) */
	.test_dirty = sim_ext_test_dirty,
	.test_iopf = sim_ext_test_iopf,
	.test_vevent = sim_ext_test_vevent,
	.test_check_iotlb = sim_ext_test_check_iotlb,
	/* Capabilities (caps.c) */
	.caps_probe = sim_caps_probe,
	/* HW queues and MMIO pages (hw_queue.c) */
	.viommu_alloc_data = sim_viommu_alloc_data,
	.hw_queue_alloc = sim_hw_queue_alloc,
	.ctx_mmap = sim_ctx_mmap,
	.ctx_munmap = sim_ctx_munmap,
};

int ioasid_sim_open(const char *topology, const struct ioasid_backend_ops **ops,
		    void **be)
{
	struct sim *s = calloc(1, sizeof(*s));
	long page = sysconf(_SC_PAGESIZE);
	int rc;

	if (!s)
		return ioasid_fail(-ENOMEM, "out of memory");
	s->page_size = page > 0 ? (uint64_t)page : 4096;
	rc = topology_load(topology, &s->topo);
	if (rc) {
		free(s);
		return rc;
	}
	s->groups = calloc(s->topo->num_groups + 1, sizeof(*s->groups));
	s->devs = calloc(s->topo->num_devs + 1, sizeof(*s->devs));
	s->host_driver = calloc(s->topo->num_devs + 1, sizeof(*s->host_driver));
	if (!s->groups || !s->devs || !s->host_driver) {
		sim_close(s);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	for (unsigned int i = 0; i < s->topo->num_devs; i++)
		if (strcmp(s->topo->devs[i].info.driver, "vfio-pci"))
			memcpy(s->host_driver[i], s->topo->devs[i].info.driver,
			       IOASID_NAME_MAX);
	*ops = &sim_ops;
	*be = s;
	return 0;
}
