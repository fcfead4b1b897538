// SPDX-License-Identifier: MIT
/*
 * Simulator backend: models drivers/iommu/iommufd/hw_pagetable.c: paging
 * and nested HWPTs, cache invalidation and dirty tracking.
 */
#include "explain.h"
#include "sim.h"

/* ------------------------------------------------------------------ */
/* HWPT                                                                 */

struct sim_hwpt *sim_hwpt_new(struct sim *s, const struct sim_dev *dev,
			      uint32_t flags)
{
	struct sim_hwpt *h = calloc(1, sizeof(*h));

	(void)s;
	if (!h) {
		ioasid_fail(-ENOMEM, "out of memory");
		return NULL;
	}
	h->obj.type = SIM_HWPT;
	h->iommu = (unsigned int)dev->t->iommu;
	h->flags = flags;
	return h;
}

static void ext_hwpt_free(struct sim *s, struct sim_hwpt *h);

/* hw_pagetable.c iommufd_hwpt_paging_destroy(). */
void sim_hwpt_destroy(struct sim *s, struct sim_hwpt *h)
{
	if (h->ioas && !sim_ext_hwpt_nested(h))
		sim_remove_domain(s, h);
	ext_hwpt_free(s, h);
	sim_obj_del(s, &h->obj);
	free(h);
}

/* iommufd_private.h iommufd_hw_pagetable_put(): an automatic domain dies
 * with its last device; a user's HWPT waits for IOMMU_DESTROY. */
void sim_hwpt_put(struct sim *s, struct sim_hwpt *h, unsigned int n)
{
	h->users -= n;
	if (h->auto_domain && !h->users)
		sim_hwpt_destroy(s, h);
}

/* hw_pagetable.c iommufd_hwpt_paging_alloc() flag checks. */
static int check_hwpt_flags(struct sim *s, const struct sim_dev *dev,
			    uint32_t flags)
{
	const struct topo_iommu *im = &s->topo->iommus[dev->t->iommu];
	const uint32_t valid = TOPO_HWPT_NEST_PARENT |
			       TOPO_HWPT_DIRTY_TRACKING |
			       TOPO_HWPT_FAULT_ID_VALID | TOPO_HWPT_PASID;

	if (flags & ~valid)
		return ioasid_fail(-EOPNOTSUPP, "unknown hwpt flags %#x",
				   flags & ~valid);
	if ((flags & TOPO_HWPT_DIRTY_TRACKING) && !im->dirty_tracking)
		return ioasid_fail(-EOPNOTSUPP,
				   "iommu %s of device %s has no dirty tracking",
				   im->name, dev->t->info.name);
	/* The driver's domain_alloc_paging_flags() refuses what it lacks. */
	if ((flags & TOPO_HWPT_NEST_PARENT) && !im->nesting)
		return ioasid_fail(-EOPNOTSUPP,
				   "iommu %s of device %s cannot be a nest parent",
				   im->name, dev->t->info.name);
	return 0;
}

int sim_hwpt_alloc(void *be, uint32_t dev_id, uint32_t pt_id,
		   uint32_t flags, uint32_t *hwpt_id)
{
	struct sim *s = be;
	struct sim_obj *d = sim_obj_get(s, dev_id), *pt;
	struct sim_dev *dev;
	struct sim_hwpt *h;
	int rc;

	/* hw_pagetable.c iommufd_hwpt_alloc(): the device first (-ENOENT,
	 * an mdev's access is not a device), then the pt (-EINVAL). */
	if (!d || d->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "device id %u does not exist%s",
				   dev_id,
				   d && d->type == SIM_ACCESS ?
					   " (mdevs have no IOMMU device)" :
					   "");
	dev = (struct sim_dev *)d;
	pt = sim_obj_get(s, pt_id);
	if (!pt)
		return explain_no_object(-EINVAL, "ioas", pt_id);
	if (pt->type == SIM_HWPT)
		return ioasid_fail(-EOPNOTSUPP,
				   "hwpt %u: nested HWPTs need driver data the simulator does not take",
				   pt_id);
	if (pt->type != SIM_IOAS)
		return explain_wrong_type(-EINVAL, pt_id, sim_obj_type_name(pt->type),
					  "ioas");
	rc = check_hwpt_flags(s, dev, flags);
	if (rc)
		return rc;
	/* hw_pagetable.c iommufd_hwpt_alloc(): fault_id is 0 here. */
	if (flags & TOPO_HWPT_FAULT_ID_VALID)
		return ioasid_fail(-ENOENT,
				   "fault queue 0 does not exist: use ioasid_hwpt_alloc_nested() to pass a fault_id");
	h = sim_hwpt_new(s, dev, flags);
	if (!h)
		return -ENOMEM;
	rc = sim_obj_add(s, &h->obj);
	if (!rc)
		rc = sim_add_domain(s, (struct sim_ioas *)pt, h);
	if (rc) {
		sim_hwpt_destroy(s, h);
		return rc;
	}
	*hwpt_id = h->obj.id;
	return 0;
}

bool sim_ext_hwpt_nested(const struct sim_hwpt *h)
{
	return h->ext && h->ext->parent;
}

bool sim_ext_hwpt_busy(const struct sim_hwpt *h)
{
	return h->ext && h->ext->refs;
}

struct sim_hwpt_ext *sim_hwpt_ext(struct sim_hwpt *h)
{
	if (!h->ext)
		h->ext = calloc(1, sizeof(*h->ext));
	return h->ext;
}

static void ext_hwpt_free(struct sim *s, struct sim_hwpt *h)
{
	struct sim_hwpt_ext *x = h->ext;

	(void)s;
	if (!x)
		return;
	if (x->parent && x->parent->ext)
		x->parent->ext->refs--;
	if (x->viommu)
		x->viommu->refs--;
	if (x->fault)
		x->fault->refs--;
	free(x->data);
	free(x->dirty);
	free(x);
	h->ext = NULL;
}

void *sim_ext_get(struct sim *s, uint32_t id, enum sim_obj_type type)
{
	struct sim_obj *o = sim_obj_get(s, id);

	return o && o->type == type ? o : NULL;
}

int sim_grow(void **v, uint32_t *cap, uint32_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	uint32_t n = *cap ? *cap * 2 : 8;
	while (n < need)
		n *= 2;
	void *p = realloc(*v, n * size);
	if (!p)
		return ioasid_fail(-ENOMEM, "out of memory");
	*v = p;
	*cap = n;
	return 0;
}

void sim_efd_signal(int efd, bool ready)
{
	uint64_t v = 1;

	if (efd < 0)
		return;
	if (ready) {
		if (write(efd, &v, sizeof(v)) < 0)
			return;
	} else if (read(efd, &v, sizeof(v)) < 0) {
		return;
	}
}

/* The driver data types an IOMMU's nested domains take: the mock's
 * selftest type on every nesting IOMMU, VT-d stage 1 on intel-vtd
 * models, SMMUv3 STEs only through a vIOMMU of an arm-smmuv3 model. */
static bool data_type_ok(const struct topo_iommu *im, uint32_t type,
			 const struct sim_viommu *vi)
{
	if (type == IOASID_HWPT_DATA_SELFTEST)
		return !vi || vi->type == IOASID_VIOMMU_TYPE_SELFTEST;
	if (type == IOASID_HWPT_DATA_VTD_S1)
		return !vi && !strncmp(im->model, "intel-vtd", 9);
	if (type == IOASID_HWPT_DATA_ARM_SMMUV3)
		return vi && vi->type == IOASID_VIOMMU_TYPE_ARM_SMMUV3;
	return false;
}

/* iommu_copy_struct_from_user(): the length must lie between the first
 * version's end and the struct this kernel knows (-EINVAL). */
static int data_len_ok(uint32_t type, uint32_t len)
{
	uint32_t min = 0, max = 0;

	switch (type) {
	case IOASID_HWPT_DATA_SELFTEST:
		min = 4, max = 8; /* iotlb .. pagetable_type */
		break;
	case IOASID_HWPT_DATA_VTD_S1:
		min = 20, max = 24; /* flags, pgtbl_addr, addr_width */
		break;
	case IOASID_HWPT_DATA_ARM_SMMUV3:
		min = 16, max = 16; /* ste[2] */
		break;
	}
	if (len < min || len > max)
		return ioasid_fail(-EINVAL,
				   "data type %#x takes %u to %u bytes, not %u",
				   type, min, max, len);
	return 0;
}

/* hw_pagetable.c iommufd_hwpt_nested_alloc() and
 * iommufd_viommu_alloc_hwpt_nested(), with the driver's
 * domain_alloc_nested() (selftest.c __mock_domain_alloc_nested()). */
static int nested_new(struct sim *s, struct sim_dev *dev,
		      struct sim_hwpt *parent, struct sim_viommu *vi,
		      const struct ioasid_hwpt_user_args *a,
		      struct sim_hwpt **out)
{
	const struct topo_iommu *im = &s->topo->iommus[dev->t->iommu];
	struct sim_hwpt *h;
	int rc;

	if (a->flags & ~(IOASID_HWPT_ALLOC_FAULT_ID_VALID |
			 IOASID_HWPT_ALLOC_PASID))
		return ioasid_fail(-EOPNOTSUPP,
				   "flags %#x: a nested hwpt takes only FAULT_ID_VALID and PASID",
				   a->flags);
	if (!a->data_len)
		return ioasid_fail(-EOPNOTSUPP,
				   "a nested hwpt needs driver data");
	if (!vi) {
		if (!im->nesting)
			return ioasid_fail(-EOPNOTSUPP,
					   "iommu %s of device %s has no nesting",
					   im->name, dev->t->info.name);
		if (parent->auto_domain || !(parent->flags & TOPO_HWPT_NEST_PARENT) ||
		    parent->iommu != (unsigned int)dev->t->iommu)
			return ioasid_fail(-EINVAL,
					   "hwpt %u is not a nest parent of iommu %s",
					   parent->obj.id, im->name);
	}
	if (!data_type_ok(im, a->data_type, vi))
		return ioasid_fail(-EOPNOTSUPP,
				   "iommu %s (%s) does not take nested data type %#x",
				   im->name, im->model, a->data_type);
	rc = data_len_ok(a->data_type, a->data_len);
	if (rc)
		return rc;
	h = sim_hwpt_new(s, dev, a->flags);
	if (!h)
		return -ENOMEM;
	if (!sim_hwpt_ext(h) || !(h->ext->data = malloc(a->data_len))) {
		free(h->ext);
		free(h);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	memcpy(h->ext->data, a->data, a->data_len);
	h->ext->data_type = a->data_type;
	h->ext->data_len = a->data_len;
	if (a->data_type == IOASID_HWPT_DATA_SELFTEST)
		for (int i = 0; i < IOASID_TEST_IOTLB_NUM; i++)
			memcpy(&h->ext->iotlb[i], a->data, 4);
	*out = h;
	return 0;
}

int sim_ext_hwpt_alloc_user(void *be, uint32_t dev_id, uint32_t pt_id,
			    const struct ioasid_hwpt_user_args *a,
			    uint32_t *hwpt_id)
{
	struct sim *s = be;
	struct sim_obj *d, *pt;
	struct sim_dev *dev;
	struct sim_hwpt *h = NULL, *parent = NULL;
	struct sim_viommu *vi = NULL;
	struct sim_fault *fault = NULL;
	int rc;

	if ((a->data_type == IOASID_HWPT_DATA_NONE) != (a->data_len == 0))
		return ioasid_fail(-EINVAL,
				   "data type %#x with data_len %u: NONE takes no data, the others need some",
				   a->data_type, a->data_len);
	d = sim_obj_get(s, dev_id);
	if (!d || d->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "device id %u does not exist", dev_id);
	dev = (struct sim_dev *)d;
	pt = sim_obj_get(s, pt_id);
	if (!pt)
		return ioasid_fail(-EINVAL, "pt %u does not exist", pt_id);
	if (pt->type == SIM_IOAS) {
		if (a->data_len)
			return ioasid_fail(-EOPNOTSUPP,
					   "iommu of device %s takes no driver data for a paging hwpt",
					   dev->t->info.name);
		rc = check_hwpt_flags(s, dev, a->flags);
		if (rc)
			return rc;
		h = sim_hwpt_new(s, dev, a->flags);
		if (!h)
			return -ENOMEM;
	} else if (pt->type == SIM_HWPT && !sim_ext_hwpt_nested((struct sim_hwpt *)pt)) {
		parent = (struct sim_hwpt *)pt;
		rc = nested_new(s, dev, parent, NULL, a, &h);
		if (rc)
			return rc;
	} else if (pt->type == SIM_VIOMMU) {
		vi = (struct sim_viommu *)pt;
		if (vi->iommu != (unsigned int)dev->t->iommu)
			return ioasid_fail(-EINVAL,
					   "viommu %u belongs to another iommu than device %s",
					   pt_id, dev->t->info.name);
		parent = vi->parent;
		rc = nested_new(s, dev, parent, vi, a, &h);
		if (rc)
			return rc;
	} else {
		return ioasid_fail(-EINVAL,
				   "%u is not an ioas, nest-parent hwpt or viommu",
				   pt_id);
	}
	rc = sim_obj_add(s, &h->obj);
	if (!rc && pt->type == SIM_IOAS)
		rc = sim_add_domain(s, (struct sim_ioas *)pt, h);
	if (!rc && (a->flags & IOASID_HWPT_ALLOC_FAULT_ID_VALID)) {
		fault = sim_ext_get(s, a->fault_id, SIM_FAULT);
		if (!fault)
			rc = ioasid_fail(-ENOENT, "fault queue %u does not exist",
					 a->fault_id);
		else if (!sim_hwpt_ext(h))
			rc = ioasid_fail(-ENOMEM, "out of memory");
	}
	if (rc) {
		if (!h->obj.id) {
			ext_hwpt_free(s, h);
			free(h);
		} else {
			sim_hwpt_destroy(s, h);
		}
		return rc;
	}
	if (parent && !sim_hwpt_ext(parent)) {
		sim_hwpt_destroy(s, h);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	if (parent) {
		h->ioas = parent->ioas; /* reserved regions go there */
		h->ext->parent = parent;
		parent->ext->refs++;
	}
	if (vi) {
		h->ext->viommu = vi;
		vi->refs++;
	}
	if (fault) {
		h->ext->fault = fault;
		fault->refs++;
	}
	*hwpt_id = h->obj.id;
	return 0;
}

/* hw_pagetable.c iommufd_hwpt_invalidate() with the mock's
 * cache_invalidate_user() and viommu cache_invalidate(). */
int sim_ext_invalidate(void *be, uint32_t id, uint32_t type,
		       const void *entries, uint32_t entry_len,
		       uint32_t *entry_num)
{
	struct sim *s = be;
	uint32_t num = *entry_num, i = 0;
	struct sim_obj *o;
	int rc = 0;

	*entry_num = 0;
	if (num && (!entries || !entry_len || entry_len > SIM_UAPI_PAGE ||
		    num > SIM_ENTRY_NUM_MAX))
		return ioasid_fail(-EINVAL,
				   "bad invalidation array: %u entries of %u bytes",
				   num, entry_len);
	o = sim_obj_get(s, id);
	if (!o)
		return ioasid_fail(-ENOENT, "object %u does not exist", id);
	if (o->type == SIM_HWPT && sim_ext_hwpt_nested((struct sim_hwpt *)o)) {
		struct sim_hwpt_ext *x = ((struct sim_hwpt *)o)->ext;

		if (x->data_type == IOASID_HWPT_DATA_SELFTEST) {
			if (type != IOASID_INVALIDATE_DATA_SELFTEST)
				return ioasid_fail(-EINVAL,
						   "hwpt %u takes selftest invalidations, not type %#x",
						   id, type);
			for (; i < num; i++) {
				struct ioasid_invalidate_selftest e;

				if (entry_len != sizeof(e)) {
					rc = ioasid_fail(-EINVAL, "entry_len %u is not %zu",
							 entry_len, sizeof(e));
					break;
				}
				memcpy(&e, (const char *)entries + (size_t)i * entry_len,
				       sizeof(e));
				if (e.flags & ~IOASID_TEST_INVALIDATE_ALL) {
					rc = ioasid_fail(-EOPNOTSUPP,
							 "entry %u: unknown flags %#x",
							 i, e.flags);
					break;
				}
				if (e.iotlb_id >= IOASID_TEST_IOTLB_NUM) {
					rc = ioasid_fail(-EINVAL,
							 "entry %u: iotlb_id %u is above 3",
							 i, e.iotlb_id);
					break;
				}
				if (e.flags & IOASID_TEST_INVALIDATE_ALL)
					memset(x->iotlb, 0, sizeof(x->iotlb));
				else
					x->iotlb[e.iotlb_id] = 0;
			}
			*entry_num = i;
			return rc;
		}
		/* VT-d stage 1: the walker reads the tables live, so only the
		 * entries' shape matters (struct iommu_hwpt_vtd_s1_invalidate:
		 * addr, npages, flags with bit 0 LEAF, reserved). */
		if (type != IOASID_INVALIDATE_DATA_VTD_S1)
			return ioasid_fail(-EINVAL,
					   "hwpt %u takes VT-d invalidations, not type %#x",
					   id, type);
		for (; i < num; i++) {
			const char *e = (const char *)entries + (size_t)i * entry_len;
			uint64_t addr;
			uint32_t flags;

			if (entry_len != 24) {
				rc = ioasid_fail(-EINVAL, "entry_len %u is not 24",
						 entry_len);
				break;
			}
			memcpy(&addr, e, 8);
			memcpy(&flags, e + 16, 4);
			if (flags & ~1u) {
				rc = ioasid_fail(-EOPNOTSUPP,
						 "entry %u: unknown flags %#x", i, flags);
				break;
			}
			if (addr & 0xfff) {
				rc = ioasid_fail(-EINVAL,
						 "entry %u: addr 0x%llx is not 4K aligned",
						 i, (ull)addr);
				break;
			}
		}
		*entry_num = i;
		return rc;
	}
	if (o->type == SIM_VIOMMU) {
		struct sim_viommu *vi = (struct sim_viommu *)o;

		if (vi->type != IOASID_VIOMMU_TYPE_SELFTEST)
			return ioasid_fail(-EOPNOTSUPP,
					   "viommu %u: the simulator invalidates only selftest vIOMMUs",
					   id);
		if (!num && type == IOASID_INVALIDATE_DATA_SELFTEST)
			return 0;
		/* iommu_copy_struct_from_full_user_array() first. */
		if (type != IOASID_INVALIDATE_DATA_SELFTEST || entry_len < 12)
			return ioasid_fail(-EINVAL,
					   "viommu %u: type %#x entry_len %u",
					   id, type, entry_len);
		for (; i < num; i++) {
			uint32_t e[3]; /* flags, vdev_id, cache_id */
			bool found = false;

			memcpy(e, (const char *)entries + (size_t)i * entry_len,
			       sizeof(e));
			if (e[0] & ~IOASID_TEST_INVALIDATE_ALL) {
				rc = ioasid_fail(-EOPNOTSUPP,
						 "entry %u: unknown flags %#x", i, e[0]);
				break;
			}
			if (e[2] > 3) {
				rc = ioasid_fail(-EINVAL,
						 "entry %u: cache_id %u is above 3", i, e[2]);
				break;
			}
			for (uint32_t k = 1; k < s->num_objs && !found; k++) {
				struct sim_vdevice *vd = sim_ext_get(s, k, SIM_VDEVICE);

				found = vd && vd->viommu == vi && vd->virt_id == e[1];
			}
			if (!found) {
				rc = ioasid_fail(-EINVAL,
						 "entry %u: viommu %u has no vdevice %u",
						 i, id, e[1]);
				break;
			}
		}
		*entry_num = i;
		return rc;
	}
	return ioasid_fail(-EINVAL, "%u is not a nested hwpt or viommu", id);
}

/* A paging HWPT by id: hw_pagetable.c iommufd_get_hwpt_paging(). */
static struct sim_hwpt *get_paging(struct sim *s, uint32_t id)
{
	struct sim_hwpt *h = sim_ext_get(s, id, SIM_HWPT);

	if (!h || sim_ext_hwpt_nested(h)) {
		ioasid_fail(-ENOENT, "paging hwpt %u does not exist", id);
		return NULL;
	}
	return h;
}

/* io_pagetable.c iopt_set_dirty_tracking(): enabling clears the bits. */
int sim_ext_set_dirty(void *be, uint32_t hwpt_id, bool enable)
{
	struct sim *s = be;
	struct sim_hwpt *h = get_paging(s, hwpt_id);

	if (!h)
		return -ENOENT;
	if (!(h->flags & TOPO_HWPT_DIRTY_TRACKING))
		return ioasid_fail(-EOPNOTSUPP,
				   "hwpt %u was allocated without dirty tracking",
				   hwpt_id);
	if (!sim_hwpt_ext(h))
		return ioasid_fail(-ENOMEM, "out of memory");
	if (enable && !h->ext->dirty_on)
		h->ext->ndirty = 0;
	h->ext->dirty_on = enable;
	return 0;
}

/* io_pagetable.c iommufd_check_iova_range(). */
static int check_dirty_range(struct sim *s, struct sim_hwpt *h, uint64_t iova,
			     uint64_t length, uint64_t page_size)
{
	uint64_t align = h->ioas->iova_alignment, last;

	(void)s;
	if (!length)
		return ioasid_fail(-EINVAL, "length is 0");
	if (__builtin_add_overflow(iova, length - 1, &last))
		return ioasid_fail(-EOVERFLOW, "iova + length overflows");
	if ((iova & (align - 1)) || ((last + 1) & (align - 1)))
		return ioasid_fail(-EINVAL,
				   "iova 0x%llx length 0x%llx: not aligned to the ioas alignment 0x%llx",
				   (ull)iova, (ull)length, (ull)align);
	if (!page_size)
		return ioasid_fail(-EINVAL, "page_size is 0");
	/* Not the kernel's check, but where it checks page_size: its
	 * iova_bitmap takes a power of two (pgshift) and would count more
	 * bits than a caller sized the bitmap for. */
	if (page_size & (page_size - 1))
		return ioasid_fail(-EINVAL, "page_size 0x%llx is not a power of two",
				   (ull)page_size);
	if ((iova & (page_size - 1)) || ((last + 1) & (page_size - 1)))
		return ioasid_fail(-EINVAL,
				   "iova 0x%llx length 0x%llx: not aligned to page_size 0x%llx",
				   (ull)iova, (ull)length, (ull)page_size);
	return 0;
}

/*
 * The unit a dirty bit covers: one IOPTE.  The kernel maps pinned memory
 * in physically contiguous runs with the largest page size that fits
 * (iommu_map() -> iommu_pgsize()), so a host page is never split into
 * smaller IOPTEs: on the mock IOMMU (2 KiB pages, selftest.c) marking
 * one 2 KiB page with IOMMU_TEST_OP_DIRTY dirties the whole 4 KiB IOPTE
 * (measured in the VM, tests/vm/lib/nested.c).  Physically contiguous
 * pages can make the kernel's IOPTE larger; the simulator keeps the
 * host page, which is what a mapping of one host page gets anywhere.
 */
static uint64_t dirty_granule(struct sim *s, struct sim_hwpt *h)
{
	uint64_t g = sim_min_page(s, h);

	return g < SIM_UAPI_PAGE ? SIM_UAPI_PAGE : g;
}

static int dirty_find(const struct sim_hwpt_ext *x, uint64_t addr)
{
	uint32_t lo = 0, hi = x->ndirty;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (x->dirty[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo;
}

int sim_ext_get_dirty(void *be, uint32_t hwpt_id, uint64_t iova,
		      uint64_t length, uint64_t page_size, uint64_t *bitmap,
		      uint32_t flags)
{
	struct sim *s = be;
	struct sim_hwpt *h = get_paging(s, hwpt_id);
	struct sim_hwpt_ext *x;
	uint64_t last = iova + length - 1, g;
	uint32_t i, j;
	int rc;

	if (!h)
		return -ENOENT;
	rc = check_dirty_range(s, h, iova, length, page_size);
	if (rc)
		return rc;
	if (!(h->flags & TOPO_HWPT_DIRTY_TRACKING))
		return ioasid_fail(-EOPNOTSUPP,
				   "hwpt %u was allocated without dirty tracking",
				   hwpt_id);
	x = h->ext;
	if (!x)
		return 0;
	g = dirty_granule(s, h);
	/* Bits are only set, as the kernel's iova_bitmap does. */
	i = (uint32_t)dirty_find(x, iova & ~(g - 1));
	for (j = i; j < x->ndirty && x->dirty[j] <= last; j++) {
		uint64_t a = x->dirty[j] < iova ? iova : x->dirty[j];
		uint64_t b = x->dirty[j] + g - 1 > last ? last : x->dirty[j] + g - 1;

		for (uint64_t bit = (a - iova) / page_size;
		     bit <= (b - iova) / page_size; bit++)
			bitmap[bit / 64] |= 1ull << (bit % 64);
	}
	if (!(flags & IOASID_DIRTY_NO_CLEAR)) {
		memmove(x->dirty + i, x->dirty + j,
			(x->ndirty - j) * sizeof(*x->dirty));
		x->ndirty -= j - i;
	}
	return 0;
}

/* selftest.c iommufd_test_dirty(): marks the IOMMU page holding each
 * set bit's first address, if mapped; counts every set bit. */
int sim_ext_test_dirty(void *be, uint32_t hwpt_id, uint64_t iova,
		       uint64_t length, uint64_t page_size,
		       const uint64_t *bitmap, uint64_t *nr)
{
	struct sim *s = be;
	struct sim_hwpt *h;
	struct sim_hwpt_ext *x;
	uint64_t max, g, count = 0;
	int rc;

	if (!page_size || !length || iova % page_size || length % page_size)
		return ioasid_fail(-EINVAL,
				   "iova 0x%llx length 0x%llx page_size 0x%llx",
				   (ull)iova, (ull)length, (ull)page_size);
	max = length / page_size;
	if (max > (16ull << 20) * 8)
		return ioasid_fail(-EOVERFLOW, "more than 2^27 pages");
	h = get_paging(s, hwpt_id);
	if (!h)
		return -ENOENT;
	x = h->ext;
	if (!x || !x->dirty_on)
		return ioasid_fail(-EINVAL, "hwpt %u is not tracking dirty pages",
				   hwpt_id);
	g = dirty_granule(s, h);
	for (uint64_t i = 0; i < max; i++) {
		uint64_t a, at;
		struct itree_iter it;

		if (!(bitmap[i / 64] & (1ull << (i % 64))))
			continue;
		count++;
		a = (iova + i * page_size) & ~(g - 1);
		if (!itree_find(&h->ioas->areas, a, &it))
			continue;
		at = (uint64_t)dirty_find(x, a);
		if (at < x->ndirty && x->dirty[at] == a)
			continue;
		rc = sim_grow((void **)&x->dirty, &x->capdirty, x->ndirty + 1,
			      sizeof(*x->dirty));
		if (rc)
			return rc;
		memmove(x->dirty + at + 1, x->dirty + at,
			(x->ndirty - at) * sizeof(*x->dirty));
		x->dirty[at] = a;
		x->ndirty++;
	}
	*nr = count;
	return 0;
}
