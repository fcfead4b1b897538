// SPDX-License-Identifier: MIT
/*
 * vIOMMU hardware queues and the iommufd's MMIO regions, as the kernel's
 * viommu.c (iommufd_hw_queue_alloc_ioctl()), main.c (iommufd_fops_mmap())
 * and the mock driver of selftest.c (mock_viommu_init(),
 * mock_hw_queue_init_phys()) do them (Linux 7.3):
 *  - a selftest vIOMMU given driver data copies in_data to out_data and to
 *    the first word of a two-page MMIO region, and returns the region's
 *    mmap offset and length; an mmap must take exactly those (ENXIO), and
 *    while it is mapped the vIOMMU is busy;
 *  - a selftest HW queue takes index 0 or 1 (EINVAL beyond), a taken index
 *    is EEXIST, index 1 needs index 0 (EIO) and holds it (EBUSY on its
 *    destroy), the queue holds its vIOMMU; its IOVA range must be mapped
 *    in the nest parent's IOAS (ENOENT).  The mock's slots as 7.3 keeps
 *    them: mock_hw_queue_init_phys() never records the queue's index, so
 *    mock_hw_queue_destroy() always empties slot 0 (seen in the VM: after
 *    queues 1 and 0 are destroyed, index 1 is EEXIST for good).
 * The simulator pins nothing: an unmap of a queue's IOVA is not refused,
 * and physical contiguity (EFAULT on the kernel) is not modelled.  Unmap
 * a region with ioasid_ctx_munmap(): a plain munmap() is not seen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim.h"

#include <ioasid/testing.h>

#define SIM_HW_QUEUE ((enum sim_obj_type)20)
/* Where the simulator places the MMIO regions in the iommufd's file
 * offsets: above anything a test would guess. */
#define SIM_MMIO_BASE (1ull << 32)

struct sim_hw_queue {
	struct sim_obj obj;
	struct sim_viommu *viommu;
	uint32_t type, index;
	struct sim_hw_queue *prev; /* the queue it depends on */
	unsigned int dependents;   /* queues depending on it */
};

/* The mock's slots of one vIOMMU (mock_viommu->hw_queue[]): a slot stays
 * taken after its queue is gone when the mock forgets to empty it. */
struct sim_vq {
	uint32_t viommu_id;
	bool taken[IOASID_TEST_HW_QUEUE_MAX];
	struct sim_hw_queue *q[IOASID_TEST_HW_QUEUE_MAX]; /* NULL once gone */
	struct sim_vq *next;
};

struct sim_mmio {
	struct sim_viommu *viommu;
	uint32_t viommu_id;
	uint64_t offset, length;
	int fd; /* memfd holding the region's bytes */
	struct sim_mmio *next;
};

struct sim_hwq {
	struct sim_mmio *regions;
	uint64_t next_offset;
	struct sim_vq *vqs;
	/* Mappings made through ctx_mmap, to release their vIOMMU. */
	struct sim_mmap {
		void *addr;
		uint64_t length;
		struct sim_mmio *region;
		struct sim_mmap *next;
	} *maps;
};

static struct sim_hwq *hwq(struct sim *s)
{
	if (!s->hwq) {
		s->hwq = calloc(1, sizeof(*s->hwq));
		if (s->hwq)
			s->hwq->next_offset = SIM_MMIO_BASE;
	}
	return s->hwq;
}

/* mock_viommu_init() with user data: loopback and the MMIO region. */
static int selftest_data(struct sim *s, struct sim_viommu *vi, uint32_t id,
			 void *data, uint32_t len)
{
	struct ioasid_viommu_selftest d = { 0 };
	struct sim_hwq *q = hwq(s);
	struct sim_mmio *r;
	uint64_t page = s->page_size;

	if (len < offsetof(struct ioasid_viommu_selftest, out_mmap_offset))
		return ioasid_fail(-EINVAL,
				   "selftest viommu data is %u bytes, at least %zu",
				   len, offsetof(struct ioasid_viommu_selftest, out_mmap_offset));
	r = calloc(1, sizeof(*r));
	if (!q || !r) {
		free(r);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	memcpy(&d, data, len < sizeof(d) ? len : sizeof(d));
	r->fd = memfd_create("sim-viommu-mmio", MFD_CLOEXEC);
	if (r->fd < 0 || ftruncate(r->fd, (off_t)(2 * page)) ||
	    pwrite(r->fd, &d.in_data, sizeof(d.in_data), 0) != sizeof(d.in_data)) {
		int err = errno;

		if (r->fd >= 0)
			close(r->fd);
		free(r);
		return ioasid_fail(-err, "viommu MMIO region: %s", strerror(err));
	}
	r->viommu = vi;
	r->viommu_id = id;
	r->offset = q->next_offset;
	r->length = 2 * page;
	q->next_offset += 2 * page;
	r->next = q->regions;
	q->regions = r;
	d.out_data = d.in_data;
	d.out_mmap_offset = r->offset;
	d.out_mmap_length = r->length;
	memcpy(data, &d, len < sizeof(d) ? len : sizeof(d));
	return 0;
}

int sim_viommu_alloc_data(void *be, uint32_t dev_id, uint32_t hwpt_id,
			  uint32_t type, void *data, uint32_t data_len,
			  uint32_t *viommu_id)
{
	struct sim *s = be;
	uint32_t id;
	int rc = sim_ext_viommu_alloc(be, dev_id, hwpt_id, type, &id);

	if (rc || !data_len) {
		if (!rc)
			*viommu_id = id;
		return rc;
	}
	if (type != IOASID_VIOMMU_TYPE_SELFTEST)
		rc = ioasid_fail(-EINVAL,
				 "viommu type %#x: the simulator takes driver data only for the selftest type",
				 type);
	else
		rc = selftest_data(s, sim_ext_get(s, id, SIM_VIOMMU), id, data,
				   data_len);
	if (rc) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
		sim_ext_destroy(be, id, IOASID_OBJ_VIOMMU);
		return ioasid_fail(rc, "%s", msg);
	}
	*viommu_id = id;
	return 0;
}

/* Whether [iova, last] is mapped without a hole. */
static bool mapped(const struct sim_ioas *ioas, uint64_t iova, uint64_t last)
{
	struct itree_iter it;
	uint64_t at = iova;

	if (!itree_first_overlap(&ioas->areas, iova, last, &it))
		return false;
	for (;;) {
		if (it.start > at)
			return false;
		if (it.last >= last)
			return true;
		at = it.last + 1;
		if (!itree_next(&it))
			return false;
	}
}

static struct sim_vq *vq_of(struct sim *s, uint32_t viommu_id)
{
	struct sim_hwq *q = hwq(s);
	struct sim_vq *v;

	if (!q)
		return NULL;
	for (v = q->vqs; v; v = v->next)
		if (v->viommu_id == viommu_id)
			return v;
	v = calloc(1, sizeof(*v));
	if (v) {
		v->viommu_id = viommu_id;
		v->next = q->vqs;
		q->vqs = v;
	}
	return v;
}

int sim_hw_queue_alloc(void *be, uint32_t viommu_id, uint32_t type,
		       uint32_t index, uint64_t iova, uint64_t length,
		       uint32_t *hw_queue_id)
{
	struct sim *s = be;
	struct sim_viommu *vi = sim_ext_get(s, viommu_id, SIM_VIOMMU);
	struct sim_hw_queue *q, *prev = NULL;
	struct sim_vq *v;
	int rc;

	if (!vi)
		return ioasid_fail(-ENOENT, "viommu %u does not exist", viommu_id);
	if (vi->type != IOASID_VIOMMU_TYPE_SELFTEST ||
	    type != IOASID_HW_QUEUE_TYPE_SELFTEST)
		return ioasid_fail(-EOPNOTSUPP,
				   "viommu %u (type %#x) has no HW queue of type %#x",
				   viommu_id, vi->type, type);
	/* iommufd_hw_queue_alloc_phys(): the pages are pinned through an
	 * access on the nest parent's IOAS. */
	if (!mapped(vi->parent->ioas, iova, iova + length - 1))
		return ioasid_fail(-ENOENT,
				   "hw queue iova 0x%llx+0x%llx is not mapped in ioas %u",
				   (unsigned long long)iova, (unsigned long long)length,
				   vi->parent->ioas->obj.id);
	if (index >= IOASID_TEST_HW_QUEUE_MAX)
		return ioasid_fail(-EINVAL, "hw queue index %u: the mock has %u",
				   index, IOASID_TEST_HW_QUEUE_MAX);
	v = vq_of(s, viommu_id);
	q = calloc(1, sizeof(*q));
	if (!v || !q) {
		free(q);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	if (v->taken[index]) {
		free(q);
		return ioasid_fail(-EEXIST,
				   "viommu %u: the mock's hw queue slot %u is taken",
				   viommu_id, index);
	}
	if (index) {
		if (!v->taken[index - 1]) {
			free(q);
			return ioasid_fail(-EIO,
					   "hw queue index %u needs index %u first",
					   index, index - 1);
		}
		prev = v->q[index - 1];
	}
	q->obj.type = SIM_HW_QUEUE;
	q->viommu = vi;
	q->type = type;
	q->index = index;
	q->prev = prev;
	rc = sim_obj_add(s, &q->obj);
	if (rc) {
		free(q);
		return rc;
	}
	v->taken[index] = true;
	v->q[index] = q;
	vi->refs++;
	if (prev)
		prev->dependents++;
	*hw_queue_id = q->obj.id;
	return 0;
}

int sim_hw_queue_destroy(struct sim *s, uint32_t id)
{
	struct sim_obj *o = sim_obj_get(s, id);
	struct sim_hw_queue *q = (struct sim_hw_queue *)o;
	struct sim_vq *v;

	if (!o || o->type != SIM_HW_QUEUE)
		return ioasid_fail(-ENOENT, "hw queue %u does not exist", id);
	if (q->dependents)
		return ioasid_fail(-EBUSY,
				   "hw queue %u is in use by the queue at index %u: destroy that first",
				   id, q->index + 1);
	v = vq_of(s, q->viommu->obj.id);
	if (v) {
		/* mock_hw_queue_destroy(): slot 0, whatever the index. */
		v->taken[0] = false;
		v->q[0] = NULL;
		if (v->q[q->index] == q)
			v->q[q->index] = NULL;
	}
	if (q->prev)
		q->prev->dependents--;
	q->viommu->refs--;
	sim_obj_del(s, o);
	free(q);
	return 0;
}

int sim_ctx_mmap(void *be, uint64_t offset, uint64_t length, void **addr)
{
	struct sim *s = be;
	struct sim_hwq *q = hwq(s);
	struct sim_mmio *r;
	struct sim_mmap *m;
	void *p;

	for (r = q ? q->regions : NULL; r; r = r->next)
		if (r->offset == offset && r->length == length)
			break;
	if (!r)
		return ioasid_fail(-ENXIO,
				   "no MMIO region of the iommufd at offset 0x%llx with length 0x%llx",
				   (unsigned long long)offset,
				   (unsigned long long)length);
	m = calloc(1, sizeof(*m));
	if (!m)
		return ioasid_fail(-ENOMEM, "out of memory");
	p = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		free(m);
		return ioasid_fail(-err, "mmap: %s", strerror(err));
	}
	m->addr = p;
	m->length = length;
	m->region = r;
	m->next = q->maps;
	q->maps = m;
	r->viommu->refs++;
	*addr = p;
	return 0;
}

int sim_ctx_munmap(void *be, void *addr, uint64_t length)
{
	struct sim *s = be;
	struct sim_mmap **pm;

	for (pm = s->hwq ? &s->hwq->maps : NULL; pm && *pm; pm = &(*pm)->next) {
		struct sim_mmap *m = *pm;

		if (m->addr != addr || m->length != length)
			continue;
		munmap(m->addr, (size_t)m->length);
		m->region->viommu->refs--;
		*pm = m->next;
		free(m);
		return 0;
	}
	return ioasid_fail(-EINVAL, "%p+0x%llx is no mapping of the iommufd",
			   addr, (unsigned long long)length);
}

void sim_hwq_viommu_gone(struct sim *s, uint32_t viommu_id)
{
	struct sim_mmio **pr;
	struct sim_vq **pv;

	for (pv = s->hwq ? &s->hwq->vqs : NULL; pv && *pv; pv = &(*pv)->next)
		if ((*pv)->viommu_id == viommu_id) {
			struct sim_vq *v = *pv;

			*pv = v->next;
			free(v);
			break;
		}

	for (pr = s->hwq ? &s->hwq->regions : NULL; pr && *pr;) {
		struct sim_mmio *r = *pr;

		if (r->viommu_id != viommu_id) {
			pr = &r->next;
			continue;
		}
		*pr = r->next;
		close(r->fd);
		free(r);
	}
}

void sim_hwq_close(struct sim *s)
{
	for (uint32_t k = 1; s->objs && k < s->num_objs; k++) {
		struct sim_obj *o = s->objs[k];

		if (o && o->type == SIM_HW_QUEUE) {
			((struct sim_hw_queue *)o)->viommu->refs--;
			sim_obj_del(s, o);
			free(o);
		}
	}
	if (!s->hwq)
		return;
	while (s->hwq->maps) {
		struct sim_mmap *m = s->hwq->maps;

		s->hwq->maps = m->next;
		munmap(m->addr, (size_t)m->length);
		m->region->viommu->refs--;
		free(m);
	}
	while (s->hwq->regions) {
		struct sim_mmio *r = s->hwq->regions;

		s->hwq->regions = r->next;
		close(r->fd);
		free(r);
	}
	while (s->hwq->vqs) {
		struct sim_vq *v = s->hwq->vqs;

		s->hwq->vqs = v->next;
		free(v);
	}
	free(s->hwq);
	s->hwq = NULL;
}
