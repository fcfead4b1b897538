// SPDX-License-Identifier: MIT
/*
 * The simulator backend: Linux iommufd semantics in-process, for users
 * without an IOMMU and for tests.  Every rule below names the kernel
 * function (Linux 7.3, drivers/iommu/iommufd/) whose behaviour it models;
 * the VM tests run the same scripts on both and treat any difference as a
 * simulator bug.
 *
 * An IOAS keeps two interval trees: its areas (mappings) and the coverage
 * of its reserved regions (overlapping regions merged).  IOVA allocation
 * walks the few free spans between covered ranges and runs one gap search
 * over the areas in each.  Reserved regions themselves live in a short
 * list with their owners; they change only on attach, detach and HWPT
 * creation.  Area and pages objects are recycled through free lists in
 * struct sim, so that a map+unmap pair costs no malloc/free.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "config.h"
#include "hwpt-ext.h"
#include "internal.h"
#include "itree.h"
#include "pasid.h"
#include "topology.h"

#define SIM_HPAGE_SIZE (2ull << 20) /* x86/arm64 HPAGE_SIZE with 4K pages */
#define SIM_TMPFS_MAGIC 0x01021994
#define SIM_HUGETLBFS_MAGIC 0x958458f6

typedef unsigned long long ull;

enum sim_obj_type { SIM_IOAS = 1, SIM_HWPT, SIM_DEVICE, SIM_ACCESS, SIM_SELFTEST };

struct sim_obj {
	enum sim_obj_type type;
	uint32_t id;
};

/* The memory behind mappings, shared by the areas a copy makes
 * (struct iopt_pages). */
struct sim_pages {
	unsigned int refs;
	bool is_file, writable;
	uint64_t base; /* user: VA rounded down to a page; file: offset */
	int fd;	       /* file: our dup of the caller's fd */
};

/* The value of an interval in ioas->areas (which holds its IOVAs). */
struct sim_area {
	struct sim_pages *pages;
	uint64_t start_byte; /* offset of the area's first byte in pages */
};

struct sim_dev;
struct sim_hwpt;

struct sim_resv {
	struct sim_resv *next;
	uint64_t start, last;
	enum ioasid_resv_type type;
	struct sim_dev *dev;   /* owner: a device ... */
	struct sim_hwpt *hwpt; /* ... or a domain's aperture ... */
	/* ... or, both NULL, PAMU MSI bank @bank of this IOMMU */
	const struct topo_iommu *bank_iommu;
	uint32_t bank;
};

struct sim_ioas {
	struct sim_obj obj;
	struct itree areas;   /* values: struct sim_area */
	struct itree cov;     /* merged reserved regions; no values */
	struct itree allowed; /* allowed IOVA ranges; no values */
	struct sim_resv *resv;
	uint64_t iova_alignment;
	bool disable_large_pages; /* IOMMU_OPTION_HUGE_PAGES = 0 */
	struct sim_hwpt *hwpts; /* creation order, like ioas->hwpt_list */
	unsigned int num_access;
};

struct sim_hwpt {
	struct sim_obj obj;
	struct sim_ioas *ioas;
	struct sim_hwpt *next; /* in ioas->hwpts */
	unsigned int iommu;
	uint32_t flags;
	bool auto_domain;
	unsigned int users; /* attached devices */
	/* Nested HWPTs, vIOMMUs, faults, dirty bits (end of this file). */
	struct sim_hwpt_ext *ext;
};

struct sim_group {
	struct sim_hwpt *hwpt; /* what the group is attached to */
	unsigned int num_attached;
};

struct sim_dev {
	struct sim_obj obj; /* SIM_DEVICE or SIM_ACCESS once bound */
	const struct topo_dev *t;
	struct sim_group *group; /* NULL for mdevs */
	struct sim_hwpt *hwpt;	 /* physical: the attached HWPT */
	struct sim_ioas *access; /* mdev: the attached IOAS */
	struct pasid_recs pasids; /* PASID attachments (lib/pasid.h) */
	struct sim_obj selftest; /* mock: the selftest object (stdev) */
	/* PASID mock: the PASID-compatible HWPT of the private IOAS it
	 * rests on while detached (the kernel backend's park_hwpt). */
	uint32_t park_hwpt;
};

struct sim {
	struct topology *topo;
	struct sim_group *groups;
	struct sim_dev **devs; /* open devices by topology index */
	struct sim_obj **objs; /* by id; [0] unused */
	uint32_t num_objs;
	uint64_t page_size;
	bool rlimit_per_process; /* IOMMU_OPTION_RLIMIT_MODE */
	struct sim_ext_state *ext; /* lib/hwpt-ext.h state (end of file) */
	/* Per topology device: the host driver it returns to when vfio-pci
	 * lets go of it ("" if the topology bound it to vfio-pci). */
	char (*host_driver)[IOASID_NAME_MAX];
	/* Freed sim_area and sim_pages objects kept for reuse (linked
	 * through their first word), released at close. */
	void *spare_areas, *spare_pages;
	/* ioasid.conf(5): its [device] overrides apply here too, so that
	 * an operator can try a configuration on the simulator. */
	struct ioasid_config *cfg;
	/* The kernel backend's private IOAS that bound mock devices rest on
	 * while detached, by id as that backend keeps it (see mock_bind). */
	uint32_t mock_ioas_id;
	unsigned int mock_users;
};

/* ------------------------------------------------------------------ */
/* Object recycling                                                     */

static void *spare_get(void **list, size_t size)
{
	void *p = *list;

	if (!p)
		return malloc(size);
	*list = *(void **)p;
	return p;
}

static void spare_put(void **list, void *p)
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
static int obj_add(struct sim *s, struct sim_obj *o)
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

static void obj_del(struct sim *s, struct sim_obj *o)
{
	if (o->id && o->id < s->num_objs && s->objs[o->id] == o)
		s->objs[o->id] = NULL;
	o->id = 0;
}

static struct sim_obj *obj_get(struct sim *s, uint32_t id)
{
	return id && id < s->num_objs ? s->objs[id] : NULL;
}

static const char *obj_type_name(enum sim_obj_type t)
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
static struct sim_ioas *get_ioas(struct sim *s, uint32_t id)
{
	struct sim_obj *o = obj_get(s, id);

	if (!o) {
		ioasid_fail(-ENOENT, "ioas %u does not exist", id);
		return NULL;
	}
	if (o->type != SIM_IOAS) {
		ioasid_fail(-ENOENT, "%u is a %s, not an ioas", id,
			    obj_type_name(o->type));
		return NULL;
	}
	return (struct sim_ioas *)o;
}

/* ------------------------------------------------------------------ */
/* Pages                                                                */

static struct sim_pages *pages_new(struct sim *s, bool is_file,
				   uint64_t base, int fd, bool writable)
{
	struct sim_pages *p = spare_get(&s->spare_pages, sizeof(*p));

	if (!p)
		return NULL;
	p->refs = 1;
	p->is_file = is_file;
	p->base = base;
	p->fd = fd;
	p->writable = writable;
	return p;
}

static void pages_put(struct sim *s, struct sim_pages *p)
{
	if (!p || --p->refs)
		return;
	if (p->is_file && p->fd >= 0)
		close(p->fd);
	spare_put(&s->spare_pages, p);
}

/*
 * Whether the memory could be pinned into a domain.  The kernel pins only
 * when the IOAS has a domain (iopt_fill_domains_pages(), iopt_fill_domain())
 * and fails with -EFAULT for user memory it cannot pin (pin_user_pages)
 * and -EINVAL for a file that is not shmem/hugetlbfs or too short
 * (memfd_pin_folios()).  The simulator checks that the user range is
 * mapped at all (msync() fails with ENOMEM on a hole) and the file's kind
 * and size; it does not check write permission of the user pages.
 */
static int pages_check(struct sim *s, const struct sim_pages *p,
		       uint64_t start_byte, uint64_t length)
{
	if (!p->is_file) {
		uint64_t first = p->base + start_byte;
		uint64_t lo = first & ~(s->page_size - 1);
		uint64_t hi = first + length;

		if (msync((void *)(uintptr_t)lo, hi - lo, MS_ASYNC))
			return ioasid_fail(-EFAULT,
					   "va %#llx+%#llx is not mapped memory",
					   (ull)first, (ull)length);
		return 0;
	} else {
		struct statfs fs;
		struct stat st;
		uint64_t last = p->base + start_byte + length - 1;

		if (fstatfs(p->fd, &fs) || fstat(p->fd, &st))
			return ioasid_fail(-EBADF, "file is gone");
		if (fs.f_type != SIM_TMPFS_MAGIC &&
		    fs.f_type != SIM_HUGETLBFS_MAGIC)
			return ioasid_fail(-EINVAL,
					   "file is not a memfd (shmem or hugetlbfs): it cannot be pinned");
		if (last >= (uint64_t)st.st_size)
			return ioasid_fail(-EINVAL,
					   "file range %#llx-%#llx extends past its size %#llx",
					   (ull)(p->base + start_byte),
					   (ull)last, (ull)st.st_size);
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Reserved regions                                                     */

static void owner_name(const struct sim_resv *r, char *buf, size_t len)
{
	if (r->dev)
		snprintf(buf, len, "device %s", r->dev->t->info.name);
	else if (r->hwpt)
		snprintf(buf, len, "the aperture of hwpt %u", r->hwpt->obj.id);
	else
		snprintf(buf, len, "msi bank %u of iommu %s", r->bank,
			 r->bank_iommu->name);
}

static int cmp_resv_ptr(const void *a, const void *b)
{
	const struct sim_resv *x = *(struct sim_resv *const *)a;
	const struct sim_resv *y = *(struct sim_resv *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Recompute the merged coverage of the reserved list. */
static int cover_rebuild(struct sim_ioas *ioas)
{
	struct sim_resv **v = NULL, *r;
	uint64_t start = 0, last = 0;
	unsigned int n = 0;
	bool open = false;
	int rc = 0;

	itree_clear(&ioas->cov, NULL, NULL);
	for (r = ioas->resv; r; r = r->next)
		n++;
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = 0;
	for (r = ioas->resv; r; r = r->next)
		v[n++] = r;
	qsort(v, n, sizeof(*v), cmp_resv_ptr);
	for (unsigned int i = 0; i < n && !rc; i++) {
		if (open && (last == UINT64_MAX || v[i]->start <= last + 1)) {
			if (v[i]->last > last)
				last = v[i]->last;
			continue;
		}
		if (open)
			rc = itree_insert(&ioas->cov, start, last, NULL);
		start = v[i]->start;
		last = v[i]->last;
		open = true;
	}
	if (open && !rc)
		rc = itree_insert(&ioas->cov, start, last, NULL);
	free(v);
	return rc;
}

/* The first reserved region that intersects [start, last]. */
static const struct sim_resv *resv_find(const struct sim_ioas *ioas,
					uint64_t start, uint64_t last)
{
	const struct sim_resv *best = NULL;
	struct itree_iter it;

	if (!itree_first_overlap(&ioas->cov, start, last, &it))
		return NULL;
	for (const struct sim_resv *r = ioas->resv; r; r = r->next)
		if (r->start <= last && r->last >= start &&
		    (!best || r->start < best->start))
			best = r;
	return best;
}

/* io_pagetable.c __iopt_remove_reserved_iova(): drop an owner's regions. */
static void resv_remove_owner(struct sim_ioas *ioas, struct sim_dev *dev,
			      struct sim_hwpt *hwpt)
{
	struct sim_resv **pp = &ioas->resv;

	while (*pp) {
		struct sim_resv *r = *pp;

		if ((dev && r->dev == dev) || (hwpt && r->hwpt == hwpt)) {
			*pp = r->next;
			free(r);
		} else {
			pp = &r->next;
		}
	}
	cover_rebuild(ioas);
}

/* io_pagetable.c iopt_reserve_iova(): a region may not cover a mapping
 * or an allowed range (-EADDRINUSE).  The caller rebuilds the coverage. */
static int resv_add(struct sim_ioas *ioas, uint64_t start, uint64_t last,
		    enum ioasid_resv_type type, struct sim_dev *dev,
		    struct sim_hwpt *hwpt)
{
	struct sim_resv *r, tmp = { .dev = dev, .hwpt = hwpt };
	struct itree_iter n;
	char who[96];

	owner_name(&tmp, who, sizeof(who));
	if (itree_first_overlap(&ioas->areas, start, last, &n))
		return ioasid_fail(-EADDRINUSE,
				   "reserved region %#llx-%#llx (%s) of %s overlaps mapping %#llx-%#llx of ioas %u",
				   (ull)start, (ull)last,
				   topology_resv_type_name(type), who,
				   (ull)n.start, (ull)n.last, ioas->obj.id);
	if (itree_first_overlap(&ioas->allowed, start, last, &n))
		return ioasid_fail(-EADDRINUSE,
				   "reserved region %#llx-%#llx (%s) of %s overlaps allowed range %#llx-%#llx of ioas %u",
				   (ull)start, (ull)last,
				   topology_resv_type_name(type), who,
				   (ull)n.start, (ull)n.last, ioas->obj.id);
	r = calloc(1, sizeof(*r));
	if (!r)
		return ioasid_fail(-ENOMEM, "out of memory");
	r->start = start;
	r->last = last;
	r->type = type;
	r->dev = dev;
	r->hwpt = hwpt;
	r->next = ioas->resv;
	ioas->resv = r;
	return 0;
}

/*
 * io_pagetable.c iopt_table_enforce_dev_resv_regions(): every region the
 * IOMMU driver reports for the device except direct-relaxable ones.
 * (msi and sw-msi are both reserved; the topology loader already refuses
 * the combinations the kernel WARNs about.)
 */
static int enforce_dev_resv(struct sim *s, struct sim_ioas *ioas,
			    struct sim_dev *dev)
{
	struct topo_resv_list l;
	int rc = 0;

	if (topology_dev_resv(s->topo, dev->t, &l))
		return ioasid_fail(-ENOMEM, "out of memory");
	for (unsigned int i = 0; i < l.n && !rc; i++)
		if (l.v[i].type != IOASID_RESV_DIRECT_RELAXABLE)
			rc = resv_add(ioas, l.v[i].start, l.v[i].last,
				      l.v[i].type, dev, NULL);
	free(l.v);
	if (rc)
		resv_remove_owner(ioas, dev, NULL);
	else
		cover_rebuild(ioas);
	return rc;
}

/* ------------------------------------------------------------------ */
/* IOAS                                                                 */

/* Remove the area that begins at @start. */
static void area_free(struct sim *s, struct sim_ioas *ioas, uint64_t start,
		      struct sim_area *a)
{
	itree_remove(&ioas->areas, start);
	pages_put(s, a->pages);
	spare_put(&s->spare_areas, a);
}

/* Remove the area a lookup just found (no second descent). */
static void area_free_at(struct sim *s, struct sim_ioas *ioas,
			 const struct itree_iter *it)
{
	struct sim_area *a = it->value;

	itree_remove_at(&ioas->areas, it);
	pages_put(s, a->pages);
	spare_put(&s->spare_areas, a);
}

static uint64_t min_page(const struct sim *s, const struct sim_hwpt *h)
{
	uint64_t bm = s->topo->iommus[h->iommu].pgsize_bitmap;

	return bm & -bm;
}

/* io_pagetable.c iopt_check_iova_alignment(): every area must already
 * honour a raised alignment (-EADDRINUSE).  Linear, as in the kernel. */
static int check_areas_aligned(const struct sim *s, struct sim_ioas *ioas,
			       uint64_t align)
{
	uint64_t mask = align - 1;
	struct itree_iter n;

	for (bool more = itree_first(&ioas->areas, &n); more;
	     more = itree_next(&n)) {
		const struct sim_area *a = n.value;
		uint64_t len = n.last - n.start + 1;

		if ((n.start & mask) || (len & mask) ||
		    ((a->start_byte % s->page_size) & mask))
			return ioasid_fail(-EADDRINUSE,
					   "mapping %#llx-%#llx of ioas %u is not aligned to %#llx",
					   (ull)n.start, (ull)n.last,
					   ioas->obj.id, (ull)align);
	}
	return 0;
}

/* io_pagetable.c iopt_calculate_iova_alignment(): the largest smallest
 * page size of the domains, PAGE_SIZE for each access (mdev) or without
 * large pages, else 1. */
static uint64_t calc_alignment(struct sim *s, const struct sim_ioas *ioas)
{
	/* Without large pages the kernel maps page by page
	 * (batch_iommu_map_small()), so IOVAs must be page aligned. */
	uint64_t align = ioas->disable_large_pages ? s->page_size : 1;

	for (const struct sim_hwpt *h = ioas->hwpts; h; h = h->next)
		if (min_page(s, h) > align)
			align = min_page(s, h);
	if (ioas->num_access && s->page_size > align)
		align = s->page_size;
	return align;
}

/*
 * io_pagetable.c iopt_table_add_domain(): the domain's smallest page
 * raises the IOVA alignment (above PAGE_SIZE: -EINVAL; misaligned areas:
 * -EADDRINUSE), IOVAs outside its aperture become reserved, and every
 * existing mapping is pinned into it (iopt_fill_domain()).
 */
static int add_domain(struct sim *s, struct sim_ioas *ioas,
		      struct sim_hwpt *h)
{
	const struct topo_iommu *im = &s->topo->iommus[h->iommu];
	uint64_t align = min_page(s, h);
	struct sim_hwpt **pp;
	struct itree_iter n;
	int rc = 0;

	if (align < ioas->iova_alignment)
		align = ioas->iova_alignment;
	if (align > s->page_size)
		return ioasid_fail(-EINVAL,
				   "iommu %s's smallest page size %#llx is larger than the CPU page size %#llx",
				   im->name, (ull)align, (ull)s->page_size);
	if (align != ioas->iova_alignment) {
		rc = check_areas_aligned(s, ioas, align);
		if (rc)
			return rc;
	}
	if (im->aperture_start)
		rc = resv_add(ioas, 0, im->aperture_start - 1,
			      IOASID_RESV_RESERVED, NULL, h);
	if (!rc && im->aperture_last != UINT64_MAX)
		rc = resv_add(ioas, im->aperture_last + 1, UINT64_MAX,
			      IOASID_RESV_RESERVED, NULL, h);
	for (bool more = itree_first(&ioas->areas, &n); more && !rc;
	     more = itree_next(&n)) {
		const struct sim_area *a = n.value;

		rc = pages_check(s, a->pages, a->start_byte,
				 n.last - n.start + 1);
	}
	if (rc) {
		resv_remove_owner(ioas, NULL, h);
		return rc;
	}
	cover_rebuild(ioas);
	ioas->iova_alignment = align;
	h->ioas = ioas;
	for (pp = &ioas->hwpts; *pp; pp = &(*pp)->next)
		;
	*pp = h;
	h->next = NULL;
	return 0;
}

/* io_pagetable.c iopt_table_remove_domain(). */
static void remove_domain(struct sim *s, struct sim_hwpt *h)
{
	struct sim_ioas *ioas = h->ioas;
	struct sim_hwpt **pp;

	for (pp = &ioas->hwpts; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	resv_remove_owner(ioas, NULL, h);
	ioas->iova_alignment = calc_alignment(s, ioas);
}

static uint64_t roundup_pow2(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* io_pagetable.c __alloc_iova_check_range(). */
static bool check_range(uint64_t *start, uint64_t last, uint64_t length,
			uint64_t align, uint64_t offset)
{
	uint64_t a;

	if (*start > UINT64_MAX - (align - 1))
		return false;
	a = ((*start + align - 1) & ~(align - 1)) | offset;
	if (a >= last || last - a < length - 1)
		return false;
	*start = a;
	return true;
}

/* The holes of @t inside [lo, hi], walked one by one: only for a
 * sub-page buffer offset, which itree_find_gap() does not express (the
 * kernel ORs the offset into an aligned address). */
static bool walk_holes(const struct itree *t, uint64_t lo, uint64_t hi,
		       uint64_t length, uint64_t align, uint64_t offset,
		       uint64_t *out)
{
	struct itree_iter n;
	bool more = itree_first_overlap(t, lo, hi, &n);
	uint64_t cur = lo;

	for (;;) {
		if (!more || n.start > cur) {
			uint64_t s = cur, e = more ? n.start - 1 : hi;

			if (check_range(&s, e, length, align, offset)) {
				*out = s;
				return true;
			}
		}
		if (!more || n.last >= hi)
			return false;
		cur = n.last + 1;
		more = itree_next(&n) && n.start <= hi;
	}
}

/*
 * The first hole of [lo, hi] that is free of both reserved regions and
 * areas and takes the buffer, in address order, as one walk of the
 * kernel's holes would find it: the reserved coverage cuts [lo, hi] into
 * a few spans, and each is searched in the areas tree.  A hole's first
 * address is the same either way, since a span begins right after a
 * covered range or at lo.
 */
static bool find_hole(const struct sim_ioas *ioas, uint64_t lo, uint64_t hi,
		      uint64_t length, uint64_t align, uint64_t offset,
		      uint64_t *out)
{
	struct itree_iter c;
	bool more = itree_first_overlap(&ioas->cov, lo, hi, &c);
	uint64_t cur = lo;

	for (;;) {
		if (!more || c.start > cur) {
			uint64_t end = more ? c.start - 1 : hi;

			if (offset ? walk_holes(&ioas->areas, cur, end, length,
						align, offset, out) :
				     !itree_find_gap(&ioas->areas, cur, end,
						     length, align, 0, out))
				return true;
		}
		if (!more || c.last >= hi)
			return false;
		cur = c.last + 1;
		more = itree_next(&c) && c.start <= hi;
	}
}

/*
 * io_pagetable.c iopt_alloc_iova(): alignment from the length rounded up
 * to a power of two, capped by the buffer address's lowest set bit and by
 * HPAGE_SIZE; the buffer's page offset is kept; never IOVA 0 (spans start
 * at PAGE_SIZE); the first allowed span, then the first hole in it that
 * fits, wins.
 */
static int alloc_iova(struct sim *s, struct sim_ioas *ioas, uint64_t addr,
		      uint64_t length, uint64_t *iova)
{
	uint64_t offset = addr % s->page_size, align, lo = s->page_size,
		 hi = UINT64_MAX - s->page_size;
	struct itree_iter an;
	bool more = itree_first_overlap(&ioas->allowed, lo, hi, &an);
	bool no_allow_list = !ioas->allowed.count;

	if (!length || length >= UINT64_MAX / 2)
		return ioasid_fail(-EOVERFLOW, "length %#llx is too large",
				   (ull)length);
	align = roundup_pow2(length);
	if (addr && (addr & -addr) < align)
		align = addr & -addr;
	if (align >= SIM_HPAGE_SIZE)
		align = SIM_HPAGE_SIZE;
	if (align < ioas->iova_alignment)
		return ioasid_fail(-EINVAL,
				   "buffer %#llx+%#llx cannot be placed at the IOVA alignment %#llx of ioas %u",
				   (ull)addr, (ull)length,
				   (ull)ioas->iova_alignment, ioas->obj.id);
	while (no_allow_list || more) {
		uint64_t start, last, out;

		if (no_allow_list) {
			start = lo;
			last = hi;
		} else {
			/* A span is a run of touching allowed ranges. */
			start = an.start < lo ? lo : an.start;
			last = an.last;
			while ((more = itree_next(&an)) && last != UINT64_MAX &&
			       an.start == last + 1)
				last = an.last;
			if (more && an.start > hi)
				more = false;
			if (last > hi)
				last = hi;
		}
		if (check_range(&start, last, length, align, offset) &&
		    find_hole(ioas, start, last, length, align, offset,
			      &out)) {
			*iova = out;
			return 0;
		}
		if (no_allow_list)
			break;
	}
	return ioasid_fail(-ENOSPC,
			   "no free IOVA range of %#llx bytes (alignment %#llx) in ioas %u",
			   (ull)length, (ull)align, ioas->obj.id);
}

/* The last part of iopt_check_iova(): no mapping in the range. */
static int check_iova_free(struct sim_ioas *ioas, uint64_t iova,
			   uint64_t length)
{
	struct itree_iter n;

	if (itree_first_overlap(&ioas->areas, iova, iova + length - 1, &n))
		return ioasid_fail(-EEXIST,
				   "iova %#llx+%#llx overlaps mapping %#llx-%#llx of ioas %u",
				   (ull)iova, (ull)length, (ull)n.start,
				   (ull)n.last, ioas->obj.id);
	return 0;
}

/* io_pagetable.c iopt_check_iova(); the mappings only if @areas_too
 * (else the caller's insert is the check). */
static int check_iova(struct sim_ioas *ioas, uint64_t iova, uint64_t length,
		      bool areas_too)
{
	const struct sim_resv *r;
	uint64_t last;

	if (iova & (ioas->iova_alignment - 1))
		return ioasid_fail(-EINVAL,
				   "iova %#llx is not aligned to the IOVA alignment %#llx of ioas %u",
				   (ull)iova, (ull)ioas->iova_alignment,
				   ioas->obj.id);
	if (iova > UINT64_MAX - (length - 1))
		return ioasid_fail(-EOVERFLOW, "iova %#llx+%#llx overflows",
				   (ull)iova, (ull)length);
	last = iova + length - 1;
	r = resv_find(ioas, iova, last);
	if (r) {
		char who[96];

		owner_name(r, who, sizeof(who));
		return ioasid_fail(-EINVAL,
				   "iova %#llx+%#llx overlaps reserved region %#llx-%#llx (%s) of %s",
				   (ull)iova, (ull)length, (ull)r->start,
				   (ull)r->last, topology_resv_type_name(r->type),
				   who);
	}
	return areas_too ? check_iova_free(ioas, iova, length) : 0;
}

struct sim_piece {
	struct sim_pages *pages; /* a reference the caller holds */
	uint64_t start_byte, length;
};

/*
 * io_pagetable.c iopt_map_pages() / iopt_alloc_area_pages() /
 * iopt_insert_area(): length check, IOVA choice or check, one area per
 * piece, then pinning into the domains if there are any.  On failure
 * nothing stays inserted.  Takes over the pieces' page references.
 */
static int map_pieces(struct sim *s, struct sim_ioas *ioas,
		      struct sim_piece *pc, unsigned int num, uint64_t length,
		      uint64_t *iova, uint32_t flags)
{
	/* One piece unless this is a copy: no allocation for the list. */
	struct sim_area *one_area = NULL;
	struct sim_area **areas = num == 1 ? &one_area
					   : calloc(num, sizeof(*areas));
	bool write = flags & IOASID_MAP_WRITE;
	/* A single piece at a fixed IOVA: its insert is the overlap check,
	 * one descent instead of two. */
	bool insert_checks = num == 1 && !(flags & IOASID_MAP_ANY_IOVA);
	uint64_t at;
	unsigned int i;
	int rc = 0;

	if (!areas) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	if (!length || (length & (ioas->iova_alignment - 1))) {
		rc = ioasid_fail(-EINVAL,
				 "length %#llx is not a multiple of the IOVA alignment %#llx of ioas %u",
				 (ull)length, (ull)ioas->iova_alignment,
				 ioas->obj.id);
		goto out;
	}
	if (flags & IOASID_MAP_ANY_IOVA)
		rc = alloc_iova(s, ioas, pc[0].pages->base + pc[0].start_byte,
				length, iova);
	else
		rc = check_iova(ioas, *iova, length, !insert_checks);
	if (rc)
		goto out;
	at = *iova;
	for (i = 0; i < num; i++) {
		struct sim_area *a;
		int ins;

		if (write && !pc[i].pages->writable) {
			/* An overlap is reported first, as it would have been
			 * by check_iova(). */
			rc = insert_checks ? check_iova_free(ioas, at, length)
					   : 0;
			if (!rc)
				rc = ioasid_fail(-EPERM,
						 "source of iova %#llx is not writable",
						 (ull)at);
			break;
		}
		if ((pc[i].start_byte % s->page_size) &
		    (ioas->iova_alignment - 1)) {
			rc = insert_checks ? check_iova_free(ioas, at, length)
					   : 0;
			if (!rc)
				rc = ioasid_fail(-EINVAL,
						 "buffer page offset %#llx is not aligned to %#llx",
						 (ull)(pc[i].start_byte % s->page_size),
						 (ull)ioas->iova_alignment);
			break;
		}
		a = spare_get(&s->spare_areas, sizeof(*a));
		if (!a) {
			rc = ioasid_fail(-ENOMEM, "out of memory");
			break;
		}
		a->pages = NULL;
		a->start_byte = pc[i].start_byte;
		/* -EEXIST only when the insert is the check; otherwise the
		 * range was checked free and only memory can fail. */
		ins = itree_insert(&ioas->areas, at, at + pc[i].length - 1, a);
		if (ins) {
			spare_put(&s->spare_areas, a);
			rc = ins == -EEXIST ? check_iova_free(ioas, at, length)
					    : 0;
			if (!rc)
				rc = ioasid_fail(-ENOMEM, "out of memory");
			break;
		}
		areas[i] = a;
		at += pc[i].length;
	}
	if (!rc && ioas->hwpts)
		for (i = 0; i < num && !rc; i++)
			rc = pages_check(s, pc[i].pages, pc[i].start_byte,
					 pc[i].length);
	at = *iova;
	for (i = 0; i < num; i++) {
		if (!areas[i])
			break;
		if (rc) {
			area_free(s, ioas, at, areas[i]);
		} else {
			areas[i]->pages = pc[i].pages;
			pc[i].pages = NULL;
		}
		at += pc[i].length;
	}
out:
	for (i = 0; i < num; i++)
		pages_put(s, pc[i].pages);
	if (areas != &one_area)
		free(areas);
	return rc;
}

static int sim_ioas_alloc(void *be, uint32_t *ioas_id)
{
	struct sim *s = be;
	struct sim_ioas *ioas = calloc(1, sizeof(*ioas));
	int rc;

	if (!ioas)
		return ioasid_fail(-ENOMEM, "out of memory");
	ioas->obj.type = SIM_IOAS;
	itree_init(&ioas->areas);
	itree_init(&ioas->cov);
	itree_init(&ioas->allowed);
	ioas->iova_alignment = 1; /* io_pagetable.c iopt_init_table() */
	rc = obj_add(s, &ioas->obj);
	if (rc) {
		free(ioas);
		return rc;
	}
	*ioas_id = ioas->obj.id;
	return 0;
}

static void put_area(uint64_t start, uint64_t last, void *value, void *arg)
{
	struct sim *s = arg;
	struct sim_area *a = value;

	(void)start;
	(void)last;
	pages_put(s, a->pages);
	spare_put(&s->spare_areas, a);
}

static void ioas_free(struct sim *s, struct sim_ioas *ioas)
{
	itree_clear(&ioas->areas, put_area, s);
	while (ioas->resv) {
		struct sim_resv *r = ioas->resv;

		ioas->resv = r->next;
		free(r);
	}
	itree_clear(&ioas->cov, NULL, NULL);
	itree_clear(&ioas->allowed, NULL, NULL);
	free(ioas);
}

/* ioas.c iommufd_ioas_map(): flags, then -EOVERFLOW for iova or length
 * at ULONG_MAX, then the IOAS; pages.c iopt_alloc_user_pages(). */
static int sim_ioas_map(void *be, uint32_t ioas_id, uint32_t flags,
			uint64_t va, uint64_t length, uint64_t *iova)
{
	struct sim *s = be;
	struct sim_ioas *ioas;
	struct sim_piece pc;

	if (*iova == UINT64_MAX || length == UINT64_MAX)
		return ioasid_fail(-EOVERFLOW, "iova or length is too large");
	if (!(flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)))
		return ioasid_fail(-EINVAL, "a mapping needs read or write access");
	ioas = get_ioas(s, ioas_id);
	if (!ioas)
		return -ENOENT;
	if (va > UINT64_MAX - length)
		return ioasid_fail(-EOVERFLOW, "va %#llx+%#llx overflows",
				   (ull)va, (ull)length);
	if (!length || length > SIZE_MAX - s->page_size)
		return ioasid_fail(-EINVAL, "bad length %#llx", (ull)length);
	pc.pages = pages_new(s, false, va & ~(s->page_size - 1), -1,
			     flags & IOASID_MAP_WRITE);
	if (!pc.pages)
		return ioasid_fail(-ENOMEM, "out of memory");
	pc.start_byte = va & (s->page_size - 1);
	pc.length = length;
	return map_pieces(s, ioas, &pc, 1, length, iova, flags);
}

/* io_pagetable.c iopt_map_file_pages(): -EINVAL for a zero length,
 * -EOVERFLOW if start + length wraps, -EBADF for a closed fd; the file's
 * kind and size matter only when pages get pinned (pages_check()). */
static int sim_ioas_map_file(void *be, uint32_t ioas_id, uint32_t flags,
			     int fd, uint64_t start, uint64_t length,
			     uint64_t *iova)
{
	struct sim *s = be;
	struct sim_ioas *ioas;
	struct sim_piece pc;
	uint64_t start_byte;
	int dup;

	if (*iova == UINT64_MAX || length == UINT64_MAX)
		return ioasid_fail(-EOVERFLOW, "iova or length is too large");
	if (!(flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)))
		return ioasid_fail(-EINVAL, "a mapping needs read or write access");
	ioas = get_ioas(s, ioas_id);
	if (!ioas)
		return -ENOENT;
	if (!length)
		return ioasid_fail(-EINVAL, "length is 0");
	if (start > UINT64_MAX - (length - 1))
		return ioasid_fail(-EOVERFLOW, "file offset %#llx+%#llx overflows",
				   (ull)start, (ull)length);
	if (fd < 0 || (dup = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return ioasid_fail(-EBADF, "fd %d is not open", fd);
	if (length > SIZE_MAX - s->page_size) {
		close(dup);
		return ioasid_fail(-EINVAL, "bad length %#llx", (ull)length);
	}
	start_byte = start % s->page_size;
	pc.pages = pages_new(s, true, start - start_byte, dup,
			     flags & IOASID_MAP_WRITE);
	if (!pc.pages) {
		close(dup);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	pc.start_byte = start_byte;
	pc.length = length;
	return map_pieces(s, ioas, &pc, 1, length, iova, flags);
}

/* io_pagetable.c iopt_unmap_iova_range(): remove whole areas from the
 * start; an area that sticks out of the range stops the walk with
 * -ENOENT, keeping what was already removed. */
static int unmap_range(struct sim *s, struct sim_ioas *ioas, uint64_t start,
		       uint64_t last, uint64_t *unmapped)
{
	uint64_t bytes = 0, first_asked = start;
	struct itree_iter n;
	int rc = 0;

	while (itree_first_overlap(&ioas->areas, start, last, &n)) {
		uint64_t first = n.start, end = n.last;

		if (first < start || end > last) {
			rc = ioasid_fail(-ENOENT,
					 "unmap range %#llx-%#llx would split mapping %#llx-%#llx of ioas %u",
					 (ull)first_asked, (ull)last, (ull)first,
					 (ull)end, ioas->obj.id);
			break;
		}
		area_free_at(s, ioas, &n);
		bytes += end - first + 1;
		if (end >= last)
			break;
		start = end + 1;
	}
	if (unmapped)
		*unmapped = bytes;
	return rc;
}

/* ioas.c iommufd_ioas_unmap(): 0 + U64_MAX empties the IOAS (success even
 * when empty); otherwise nothing unmapped is -ENOENT. */
static int sim_ioas_unmap(void *be, uint32_t ioas_id, uint64_t iova,
			  uint64_t length, uint64_t *unmapped)
{
	struct sim *s = be;
	struct sim_ioas *ioas = get_ioas(s, ioas_id);
	uint64_t bytes = 0;
	int rc;

	if (!ioas)
		return -ENOENT;
	if (iova == 0 && length == UINT64_MAX)
		return unmap_range(s, ioas, 0, UINT64_MAX, unmapped);
	if (iova == UINT64_MAX || length == UINT64_MAX)
		return ioasid_fail(-EOVERFLOW, "iova or length is too large");
	if (!length)
		return ioasid_fail(-EINVAL, "length is 0");
	if (iova > UINT64_MAX - (length - 1))
		return ioasid_fail(-EOVERFLOW, "iova %#llx+%#llx overflows",
				   (ull)iova, (ull)length);
	rc = unmap_range(s, ioas, iova, iova + length - 1, &bytes);
	if (unmapped)
		*unmapped = bytes;
	if (rc)
		return rc;
	if (!bytes)
		return ioasid_fail(-ENOENT,
				   "nothing is mapped in %#llx+%#llx of ioas %u",
				   (ull)iova, (ull)length, ioas_id);
	return 0;
}

/* ioas.c iommufd_ioas_copy() and io_pagetable.c iopt_get_pages(): the
 * source must be mapped without holes from src_iova on (-ENOENT); each
 * source area becomes its own area in the destination. */
static int sim_ioas_copy(void *be, uint32_t dst_id, uint32_t src_id,
			 uint32_t flags, uint64_t length, uint64_t *dst_iova,
			 uint64_t src_iova)
{
	struct sim *s = be;
	struct sim_ioas *src, *dst;
	struct sim_piece *pc = NULL;
	struct itree_iter n;
	unsigned int num = 0, cap = 0;
	uint64_t last, cur;
	bool complete = false, more;
	int rc;

	if (length == UINT64_MAX || src_iova == UINT64_MAX ||
	    *dst_iova == UINT64_MAX)
		return ioasid_fail(-EOVERFLOW, "iova or length is too large");
	if (!(flags & (IOASID_MAP_READ | IOASID_MAP_WRITE)))
		return ioasid_fail(-EINVAL, "a mapping needs read or write access");
	src = get_ioas(s, src_id);
	if (!src)
		return -ENOENT;
	if (!length)
		return ioasid_fail(-EINVAL, "length is 0");
	if (src_iova > UINT64_MAX - (length - 1))
		return ioasid_fail(-EOVERFLOW, "iova %#llx+%#llx overflows",
				   (ull)src_iova, (ull)length);
	last = src_iova + length - 1;
	cur = src_iova;
	more = itree_first_overlap(&src->areas, src_iova, last, &n);
	while (more && n.start <= cur) {
		struct sim_area *a = n.value;
		uint64_t end = n.last < last ? n.last : last;

		if (num == cap) {
			struct sim_piece *v;

			cap = cap ? cap * 2 : 4;
			v = realloc(pc, cap * sizeof(*v));
			if (!v) {
				rc = ioasid_fail(-ENOMEM, "out of memory");
				goto err;
			}
			pc = v;
		}
		pc[num].pages = a->pages;
		a->pages->refs++;
		pc[num].start_byte = a->start_byte + (cur - n.start);
		pc[num].length = end - cur + 1;
		num++;
		if (end == last) {
			complete = true;
			break;
		}
		cur = end + 1;
		more = itree_next(&n);
	}
	if (!complete) {
		rc = ioasid_fail(-ENOENT,
				 "%#llx-%#llx of ioas %u is not fully mapped",
				 (ull)src_iova, (ull)last, src_id);
		goto err;
	}
	dst = get_ioas(s, dst_id);
	if (!dst) {
		rc = -ENOENT;
		goto err;
	}
	rc = map_pieces(s, dst, pc, num, length, dst_iova, flags);
	free(pc);
	return rc;
err:
	for (unsigned int i = 0; i < num; i++)
		pages_put(s, pc[i].pages);
	free(pc);
	return rc;
}

/* ioas.c iommufd_ioas_iova_ranges(): the holes of the reserved regions
 * over the whole 64-bit space (the allow-list is not applied), plus the
 * alignment; -EMSGSIZE when the array is short. */
static int sim_ioas_iova_ranges(void *be, uint32_t ioas_id,
				struct ioasid_iova_range *ranges,
				uint32_t *num, uint64_t *alignment)
{
	struct sim *s = be;
	struct sim_ioas *ioas = get_ioas(s, ioas_id);
	uint32_t max, count = 0;
	uint64_t cur = 0;
	struct itree_iter n;
	bool done = false;

	if (!ioas)
		return -ENOENT;
	max = *num;
	for (bool more = itree_first(&ioas->cov, &n); more;
	     more = itree_next(&n)) {
		if (n.start > cur) {
			if (count < max && ranges) {
				ranges[count].start = cur;
				ranges[count].last = n.start - 1;
			}
			count++;
		}
		if (n.last == UINT64_MAX) {
			done = true;
			break;
		}
		cur = n.last + 1;
	}
	if (!done) {
		if (count < max && ranges) {
			ranges[count].start = cur;
			ranges[count].last = UINT64_MAX;
		}
		count++;
	}
	*num = count;
	if (alignment)
		*alignment = ioas->iova_alignment;
	if (count > max)
		return ioasid_fail(-EMSGSIZE,
				   "ioas %u has %u IOVA ranges, the array holds %u",
				   ioas_id, count, max);
	return 0;
}

/* ioas.c iommufd_ioas_load_iovas() (start >= last or overlap: -EINVAL)
 * and io_pagetable.c iopt_set_allow_iova() (a reserved region inside an
 * allowed range: -EADDRINUSE; the old list stays). */
static int sim_ioas_allow_iovas(void *be, uint32_t ioas_id,
				const struct ioasid_iova_range *ranges,
				uint32_t num)
{
	struct sim *s = be;
	struct sim_ioas *ioas = get_ioas(s, ioas_id);
	struct itree fresh;
	struct itree_iter n;
	int rc = 0;

	if (!ioas)
		return -ENOENT;
	itree_init(&fresh);
	for (uint32_t i = 0; i < num && !rc; i++) {
		if (ranges[i].start >= ranges[i].last) {
			rc = ioasid_fail(-EINVAL,
					 "allowed range %u (%#llx-%#llx) needs start < last",
					 i, (ull)ranges[i].start,
					 (ull)ranges[i].last);
			break;
		}
		rc = itree_insert(&fresh, ranges[i].start, ranges[i].last,
				  NULL);
		if (rc == -ENOMEM)
			rc = ioasid_fail(-ENOMEM, "out of memory");
		else if (rc)
			rc = ioasid_fail(-EINVAL,
					 "allowed range %u (%#llx-%#llx) overlaps another one",
					 i, (ull)ranges[i].start,
					 (ull)ranges[i].last);
	}
	for (bool more = !rc && itree_first(&fresh, &n); more && !rc;
	     more = itree_next(&n)) {
		const struct sim_resv *r = resv_find(ioas, n.start, n.last);

		if (r) {
			char who[96];

			owner_name(r, who, sizeof(who));
			rc = ioasid_fail(-EADDRINUSE,
					 "allowed range %#llx-%#llx overlaps reserved region %#llx-%#llx (%s) of %s",
					 (ull)n.start, (ull)n.last,
					 (ull)r->start, (ull)r->last,
					 topology_resv_type_name(r->type), who);
		}
	}
	if (rc) {
		itree_clear(&fresh, NULL, NULL);
		return rc;
	}
	itree_clear(&ioas->allowed, NULL, NULL);
	ioas->allowed = fresh;
	/* No node points back at the struct itree: a plain copy is fine. */
	return 0;
}

/* ------------------------------------------------------------------ */
/* HWPT                                                                 */

static struct sim_hwpt *hwpt_new(struct sim *s, const struct sim_dev *dev,
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

static bool ext_hwpt_nested(const struct sim_hwpt *h);
static bool ext_hwpt_busy(const struct sim_hwpt *h);
static void ext_hwpt_free(struct sim *s, struct sim_hwpt *h);
static void ext_close(struct sim *s);

/* hw_pagetable.c iommufd_hwpt_paging_destroy(). */
static void hwpt_destroy(struct sim *s, struct sim_hwpt *h)
{
	if (h->ioas && !ext_hwpt_nested(h))
		remove_domain(s, h);
	ext_hwpt_free(s, h);
	obj_del(s, &h->obj);
	free(h);
}

/* iommufd_private.h iommufd_hw_pagetable_put(): an automatic domain dies
 * with its last device; a user's HWPT waits for IOMMU_DESTROY. */
static void hwpt_put(struct sim *s, struct sim_hwpt *h, unsigned int n)
{
	h->users -= n;
	if (h->auto_domain && !h->users)
		hwpt_destroy(s, h);
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
	rc = enforce_dev_resv(s, h->ioas, dev);
	if (rc)
		return rc;
	if (!g->hwpt) {
		rc = domain_compatible(s, h, dev);
		if (rc) {
			resv_remove_owner(h->ioas, dev, NULL);
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
			resv_remove_owner(ioas, d, NULL);
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
			rc = enforce_dev_resv(s, h->ioas, d);
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
	hwpt_put(s, old, n);
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
	h = hwpt_new(s, dev, 0);
	if (!h)
		return -ENOMEM;
	rc = obj_add(s, &h->obj);
	if (rc) {
		free(h);
		return rc;
	}
	if (fn == do_attach) {
		h->ioas = ioas; /* for the reserved regions, before add_domain */
		rc = do_attach(s, dev, h);
		if (!rc) {
			h->ioas = NULL;
			rc = add_domain(s, ioas, h);
			if (rc) {
				/* device.c iommufd_hw_pagetable_detach() */
				h->ioas = ioas;
				dev->group->num_attached--;
				dev->group->hwpt = NULL;
				dev->hwpt = NULL;
				h->users--;
				resv_remove_owner(ioas, dev, NULL);
				h->ioas = NULL;
			}
		} else {
			h->ioas = NULL;
		}
	} else {
		rc = add_domain(s, ioas, h);
		if (!rc)
			rc = fn(s, dev, h);
	}
	if (rc) {
		hwpt_destroy(s, h);
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
			rc = check_areas_aligned(s, ioas, s->page_size);
			if (rc)
				return rc;
			align = s->page_size;
		}
		ioas->num_access++;
		ioas->iova_alignment = align;
	}
	if (cur) {
		cur->num_access--;
		cur->iova_alignment = calc_alignment(s, cur);
	}
	dev->access = ioas;
	return 0;
}

static int sim_dev_attach(void *be, void *bdev, uint32_t pt_id,
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
		struct sim_ioas *ioas = get_ioas(s, pt_id);

		if (!ioas)
			return ioasid_fail(-ENOENT,
					   "%u is not an ioas: mdev %s attaches only to an IOAS",
					   pt_id, dev->t->info.name);
		rc = access_change_ioas(s, dev, ioas);
		if (!rc && hwpt_id)
			*hwpt_id = pt_id;
		return rc;
	}
	o = obj_get(s, pt_id);
	if (!o)
		return ioasid_fail(-ENOENT, "ioas or hwpt %u does not exist",
				   pt_id);
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
		rc = ioasid_fail(-EINVAL, "%u is a %s, not an ioas or hwpt",
				 pt_id, obj_type_name(o->type));
		break;
	}
	if (!rc && hwpt_id)
		*hwpt_id = out;
	return rc;
}

/*
 * Mock devices behave as the kernel backend makes them behave
 * (lib/backend-kernel.c mock_bind and friends), ids included, so that
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
		park = obj_get(s, dev->park_hwpt);
		if (!park || park->type != SIM_HWPT)
			return ioasid_fail(-ENOENT, "hwpt %u does not exist",
					   dev->park_hwpt);
		return do_replace(s, dev, (struct sim_hwpt *)park);
	}
	ioas = get_ioas(s, s->mock_ioas_id);
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
	resv_remove_owner(h->ioas, dev, NULL);
	dev->hwpt = NULL;
	hwpt_put(s, h, 1);
}

/* A simulated device has no VFIO fd for regions or interrupts. */
static int sim_dev_fd(void *be, void *bdev)
{
	const struct sim_dev *dev = bdev;

	(void)be;
	return ioasid_fail(-EOPNOTSUPP,
			   "device %s is simulated: it has no VFIO device fd",
			   dev->t->info.name);
}

static int sim_dev_detach(void *be, void *bdev)
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
			return (struct sim_hwpt *)obj_get((struct sim *)s,
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
static int sim_dev_pasid_attach(void *be, void *bdev, uint32_t pasid,
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
		old = (struct sim_hwpt *)obj_get(s, dev->pasids.v[at].hwpt_id);
	o = obj_get(s, pt_id);
	if (!o)
		return ioasid_fail(-ENOENT, "ioas or hwpt %u does not exist",
				   pt_id);
	if (o->type == SIM_IOAS)
		return ioasid_fail(-EINVAL,
				   "ioas %u: its automatic domains lack IOMMU_HWPT_ALLOC_PASID; attach PASID %u to a HWPT allocated with it",
				   pt_id, pasid);
	if (o->type != SIM_HWPT)
		return ioasid_fail(-EINVAL, "%u is a %s, not an ioas or hwpt",
				   pt_id, obj_type_name(o->type));
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
			hwpt_put(s, old, 1);
	}
	*hwpt_id = h->obj.id;
	return 0;
}

/* vfio/iommufd.c vfio_iommufd_physical_pasid_detach_ioas(): a PASID not
 * attached is ignored by the kernel; the logic layer never asks. */
static int sim_dev_pasid_detach(void *be, void *bdev, uint32_t pasid)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;
	int at = pasid_recs_find(&dev->pasids, pasid);
	struct sim_hwpt *h;

	if (at < 0)
		return ioasid_fail(-EINVAL, "device %s: PASID %u is not attached",
				   dev->t->info.name, pasid);
	h = (struct sim_hwpt *)obj_get(s, dev->pasids.v[at].hwpt_id);
	pasid_recs_del(&dev->pasids, pasid);
	if (h)
		hwpt_put(s, h, 1);
	return 0;
}

static int sim_dev_pasid_list(void *be, void *bdev,
			      struct ioasid_pasid_entry *entries, uint32_t *num)
{
	struct sim_dev *dev = bdev;

	(void)be;
	return pasid_recs_list(&dev->pasids, entries, num);
}

/* ------------------------------------------------------------------ */
/* Objects                                                              */

static int sim_destroy(void *be, uint32_t id, enum ioasid_obj_type type)
{
	struct sim *s = be;
	struct sim_obj *o = obj_get(s, id);
	const char *want = type == IOASID_OBJ_IOAS ? "ioas" : "hwpt";

	if (!o)
		return ioasid_fail(-ENOENT, "%s %u does not exist", want, id);
	if ((type == IOASID_OBJ_IOAS && o->type != SIM_IOAS) ||
	    (type == IOASID_OBJ_HWPT && o->type != SIM_HWPT))
		return ioasid_fail(-ENOENT, "%u is a %s, not a %s", id,
				   obj_type_name(o->type), want);
	/* main.c iommufd_object_remove(): a referenced object is -EBUSY. */
	if (o->type == SIM_HWPT) {
		struct sim_hwpt *h = (struct sim_hwpt *)o;

		if (ext_hwpt_busy(h))
			return ioasid_fail(-EBUSY,
					   "hwpt %u is the parent of a nested hwpt or vIOMMU",
					   id);
		if (h->users) {
			for (unsigned int i = 0; i < s->topo->num_devs; i++)
				if (s->devs[i] && s->devs[i]->hwpt == h)
					return ioasid_fail(-EBUSY,
							   "hwpt %u is in use by device %s",
							   id,
							   s->devs[i]->t->info.name);
			return ioasid_fail(-EBUSY, "hwpt %u is in use", id);
		}
		hwpt_destroy(s, h);
		return 0;
	}
	struct sim_ioas *ioas = (struct sim_ioas *)o;

	if (ioas->hwpts)
		return ioasid_fail(-EBUSY, "ioas %u is in use by hwpt %u", id,
				   ioas->hwpts->obj.id);
	if (ioas->num_access) {
		for (unsigned int i = 0; i < s->topo->num_devs; i++)
			if (s->devs[i] && s->devs[i]->access == ioas)
				return ioasid_fail(-EBUSY,
						   "ioas %u is in use by mdev %s",
						   id, s->devs[i]->t->info.name);
	}
	obj_del(s, o);
	ioas_free(s, ioas);
	return 0;
}

/* ------------------------------------------------------------------ */
/* PowerPC PAMU style MSI banks                                         */

/*
 * No kernel code to follow here: iommufd has no PAMU.  The model (see
 * ioasid_ioas_msi_banks(3)): an IOAS has the banks of every IOMMU behind
 * a group attached to it, each IOMMU counted once however many of its
 * groups attach, plus those of an IOMMU whose last group left while one
 * of its banks stayed mapped (so the mapping keeps its place).  A mapped
 * bank is a sw-msi reserved region owned by the bank; it is enabled while
 * a group behind its IOMMU is attached.
 */

/* Whether a group behind IOMMU @iommu is attached to @ioas. */
static bool iommu_attached(const struct sim *s, const struct sim_ioas *ioas,
			   unsigned int iommu)
{
	for (unsigned int i = 0; i < s->topo->num_groups; i++) {
		const struct sim_hwpt *h = s->groups[i].hwpt;

		if (h && h->ioas == ioas && s->topo->groups[i].iommu == iommu)
			return true;
	}
	return false;
}

static struct sim_resv *bank_resv(const struct sim_ioas *ioas,
				  const struct topo_iommu *im, uint32_t bank)
{
	for (struct sim_resv *r = ioas->resv; r; r = r->next)
		if (!r->dev && !r->hwpt && r->bank_iommu == im &&
		    r->bank == bank)
			return r;
	return NULL;
}

static bool iommu_has_mapped_bank(const struct sim_ioas *ioas,
				  const struct topo_iommu *im)
{
	for (const struct sim_resv *r = ioas->resv; r; r = r->next)
		if (!r->dev && !r->hwpt && r->bank_iommu == im)
			return true;
	return false;
}

/* Walk the IOAS's banks in index order: @fn sees each with its index;
 * returns the count. */
static uint32_t banks_walk(const struct sim *s, const struct sim_ioas *ioas,
			   void (*fn)(const struct topo_iommu *im,
				      uint32_t bank, uint32_t index,
				      void *arg),
			   void *arg)
{
	uint32_t index = 0;

	for (unsigned int i = 0; i < s->topo->num_iommus; i++) {
		const struct topo_iommu *im = &s->topo->iommus[i];

		if (!im->msi_banks || (!iommu_attached(s, ioas, i) &&
				       !iommu_has_mapped_bank(ioas, im)))
			continue;
		for (uint32_t b = 0; b < im->msi_banks; b++, index++)
			if (fn)
				fn(im, b, index, arg);
	}
	return index;
}

struct bank_pick {
	uint32_t want;
	const struct topo_iommu *im;
	uint32_t bank;
};

static void bank_pick_fn(const struct topo_iommu *im, uint32_t bank,
			 uint32_t index, void *arg)
{
	struct bank_pick *p = arg;

	if (index == p->want) {
		p->im = im;
		p->bank = bank;
	}
}

/* The IOAS's @index-th bank, or -ENOSPC past the count. */
static int bank_at(const struct sim *s, const struct sim_ioas *ioas,
		   uint32_t index, const struct topo_iommu **im,
		   uint32_t *bank)
{
	struct bank_pick p = { .want = index };
	uint32_t count = banks_walk(s, ioas, bank_pick_fn, &p);

	if (!p.im)
		return ioasid_fail(-ENOSPC,
				   "ioas %u has %u msi banks: there is no bank %u",
				   ioas->obj.id, count, index);
	*im = p.im;
	*bank = p.bank;
	return 0;
}

struct bank_fill {
	const struct sim *s;
	const struct sim_ioas *ioas;
	struct ioasid_msi_bank *out;
	uint32_t max;
};

static void bank_fill_fn(const struct topo_iommu *im, uint32_t bank,
			 uint32_t index, void *arg)
{
	struct bank_fill *f = arg;
	struct ioasid_msi_bank *b;
	const struct sim_resv *r;

	if (index >= f->max || !f->out)
		return;
	b = &f->out[index];
	memset(b, 0, sizeof(*b));
	snprintf(b->iommu, sizeof(b->iommu), "%s", im->name);
	b->bank = bank;
	b->size = im->msi_bank_size;
	r = bank_resv(f->ioas, im, bank);
	if (r) {
		b->iova = r->start;
		b->mapped = true;
		b->enabled = iommu_attached(f->s, f->ioas,
					    (unsigned int)(im - f->s->topo->iommus));
	}
}

static int sim_ioas_msi_banks(void *be, uint32_t ioas_id,
			      struct ioasid_msi_bank *banks, uint32_t *num)
{
	struct sim *s = be;
	struct sim_ioas *ioas = get_ioas(s, ioas_id);
	struct bank_fill f = { .s = s, .ioas = ioas, .out = banks };
	uint32_t count;

	if (!ioas)
		return -ENOENT;
	f.max = *num;
	count = banks_walk(s, ioas, bank_fill_fn, &f);
	*num = count;
	if (count > f.max)
		return ioasid_fail(-EMSGSIZE,
				   "ioas %u has %u msi banks, the array holds %u",
				   ioas_id, count, f.max);
	return 0;
}

static int sim_ioas_map_msi_bank(void *be, uint32_t ioas_id, uint32_t index,
				 uint64_t iova)
{
	struct sim *s = be;
	struct sim_ioas *ioas = get_ioas(s, ioas_id);
	const struct topo_iommu *im;
	const struct sim_resv *other;
	struct sim_resv *r;
	struct itree_iter n;
	uint64_t last;
	uint32_t bank;
	int rc;

	if (!ioas)
		return -ENOENT;
	rc = bank_at(s, ioas, index, &im, &bank);
	if (rc)
		return rc;
	r = bank_resv(ioas, im, bank);
	if (r)
		return ioasid_fail(-EBUSY,
				   "msi bank %u (bank %u of iommu %s) is mapped already at %#llx in ioas %u",
				   index, bank, im->name, (ull)r->start,
				   ioas_id);
	if (iova & (im->msi_bank_size - 1))
		return ioasid_fail(-EINVAL,
				   "iova %#llx is not aligned to the msi bank size %#llx of iommu %s",
				   (ull)iova, (ull)im->msi_bank_size, im->name);
	/* Aligned to a power-of-two size: the window cannot wrap. */
	last = iova + (im->msi_bank_size - 1);
	if (itree_first_overlap(&ioas->areas, iova, last, &n))
		return ioasid_fail(-EADDRINUSE,
				   "msi bank %u window %#llx-%#llx overlaps mapping %#llx-%#llx of ioas %u",
				   index, (ull)iova, (ull)last, (ull)n.start,
				   (ull)n.last, ioas_id);
	if (itree_first_overlap(&ioas->allowed, iova, last, &n))
		return ioasid_fail(-EADDRINUSE,
				   "msi bank %u window %#llx-%#llx overlaps allowed range %#llx-%#llx of ioas %u",
				   index, (ull)iova, (ull)last, (ull)n.start,
				   (ull)n.last, ioas_id);
	other = resv_find(ioas, iova, last);
	if (other) {
		char who[96];

		owner_name(other, who, sizeof(who));
		return ioasid_fail(-EADDRINUSE,
				   "msi bank %u window %#llx-%#llx overlaps reserved region %#llx-%#llx (%s) of %s",
				   index, (ull)iova, (ull)last,
				   (ull)other->start, (ull)other->last,
				   topology_resv_type_name(other->type), who);
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return ioasid_fail(-ENOMEM, "out of memory");
	r->start = iova;
	r->last = last;
	r->type = IOASID_RESV_SW_MSI;
	r->bank_iommu = im;
	r->bank = bank;
	r->next = ioas->resv;
	ioas->resv = r;
	if (cover_rebuild(ioas)) {
		ioas->resv = r->next;
		free(r);
		cover_rebuild(ioas);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	return 0;
}

static int sim_ioas_unmap_msi_bank(void *be, uint32_t ioas_id,
				   uint32_t index)
{
	struct sim *s = be;
	struct sim_ioas *ioas = get_ioas(s, ioas_id);
	const struct topo_iommu *im;
	struct sim_resv **pp;
	uint32_t bank;
	int rc;

	if (!ioas)
		return -ENOENT;
	rc = bank_at(s, ioas, index, &im, &bank);
	if (rc)
		return rc;
	for (pp = &ioas->resv; *pp; pp = &(*pp)->next) {
		struct sim_resv *r = *pp;

		if (!r->dev && !r->hwpt && r->bank_iommu == im &&
		    r->bank == bank) {
			*pp = r->next;
			free(r);
			cover_rebuild(ioas);
			return 0;
		}
	}
	return ioasid_fail(-ENOENT,
			   "msi bank %u (bank %u of iommu %s) is not mapped in ioas %u",
			   index, bank, im->name, ioas_id);
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
 * The simulator has no driver registers to report, so it returns the
 * type with no driver data; the capabilities and PASID width come from
 * the topology.
 */
static int sim_hw_info(void *be, uint32_t dev_id, struct ioasid_hw_info *info,
		       void *data, uint32_t *data_len)
{
	struct sim *s = be;
	struct sim_obj *o = obj_get(s, dev_id);
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
	*data_len = 0;
	return 0;
}

/* ioas.c iommufd_option_rlimit_mode(), iommufd_ioas_option_huge_pages(),
 * io_pagetable.c iopt_disable_large_pages(). */
static int sim_option(void *be, bool set, uint32_t option, uint32_t object_id,
		      uint64_t *val)
{
	struct sim *s = be;
	struct sim_ioas *ioas;
	uint64_t align;
	int rc;

	if (option == IOASID_OPTION_RLIMIT_MODE) {
		if (object_id)
			return ioasid_fail(-EOPNOTSUPP,
					   "RLIMIT_MODE is context-wide: object id must be 0, not %u",
					   object_id);
		if (!set) {
			*val = s->rlimit_per_process;
			return 0;
		}
		/* The simulator does not model CAP_SYS_RESOURCE. */
		for (uint32_t id = 1; id < s->num_objs; id++)
			if (s->objs[id])
				return ioasid_fail(-EBUSY,
						   "the rlimit mode can only change before any object exists (object %u does)",
						   id);
		if (*val > 1)
			return ioasid_fail(-EINVAL, "rlimit mode %llu is not 0 or 1",
					   (ull)*val);
		s->rlimit_per_process = *val;
		return 0;
	}
	if (option != IOASID_OPTION_HUGE_PAGES)
		return ioasid_fail(-EOPNOTSUPP, "option %u is unknown", option);
	ioas = get_ioas(s, object_id);
	if (!ioas)
		return -ENOENT;
	if (!set) {
		*val = !ioas->disable_large_pages;
		return 0;
	}
	if (*val == 1) {
		/* iopt_enable_large_pages() keeps the current alignment. */
		ioas->disable_large_pages = false;
		return 0;
	}
	if (*val != 0)
		return ioasid_fail(-EINVAL, "huge pages value %llu is not 0 or 1",
				   (ull)*val);
	if (ioas->disable_large_pages)
		return 0;
	if (ioas->hwpts && ioas->areas.count)
		return ioasid_fail(-EINVAL,
				   "ioas %u already has memory mapped into a domain: forbid huge pages before mapping",
				   ioas->obj.id);
	ioas->disable_large_pages = true;
	align = calc_alignment(s, ioas);
	if (align > ioas->iova_alignment) {
		rc = check_areas_aligned(s, ioas, align);
		if (rc) {
			ioas->disable_large_pages = false;
			return rc;
		}
	}
	ioas->iova_alignment = align;
	return 0;
}

static int sim_hwpt_alloc(void *be, uint32_t dev_id, uint32_t pt_id,
			  uint32_t flags, uint32_t *hwpt_id)
{
	struct sim *s = be;
	struct sim_obj *d = obj_get(s, dev_id), *pt;
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
	pt = obj_get(s, pt_id);
	if (!pt)
		return ioasid_fail(-EINVAL, "ioas %u does not exist", pt_id);
	if (pt->type == SIM_HWPT)
		return ioasid_fail(-EOPNOTSUPP,
				   "hwpt %u: nested HWPTs need driver data the simulator does not take",
				   pt_id);
	if (pt->type != SIM_IOAS)
		return ioasid_fail(-EINVAL, "%u is a %s, not an ioas", pt_id,
				   obj_type_name(pt->type));
	rc = check_hwpt_flags(s, dev, flags);
	if (rc)
		return rc;
	/* hw_pagetable.c iommufd_hwpt_alloc(): fault_id is 0 here. */
	if (flags & TOPO_HWPT_FAULT_ID_VALID)
		return ioasid_fail(-ENOENT,
				   "fault queue 0 does not exist: use ioasid_hwpt_alloc_nested() to pass a fault_id");
	h = hwpt_new(s, dev, flags);
	if (!h)
		return -ENOMEM;
	rc = obj_add(s, &h->obj);
	if (!rc)
		rc = add_domain(s, (struct sim_ioas *)pt, h);
	if (rc) {
		hwpt_destroy(s, h);
		return rc;
	}
	*hwpt_id = h->obj.id;
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
static int sim_set_driver(void *be, const char *name, const char *driver,
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

static int sim_dev_open(void *be, const struct ioasid_dev_info *info,
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
	ioas = get_ioas(s, s->mock_ioas_id);
	if (!ioas) {
		mock_ioas_put(s);
		return -ENOENT;
	}
	dev->selftest.type = SIM_SELFTEST;
	rc = obj_add(s, &dev->selftest);
	if (rc)
		goto put;
	rc = obj_add(s, &dev->obj);
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
	obj_del(s, &dev->obj);
del_selftest:
	obj_del(s, &dev->selftest);
put:
	mock_ioas_put(s);
	return rc;
}

/* device.c iommufd_device_bind() / iommufd_access_create(): the device
 * (or an mdev's access) is an object with an id of its own. */
static int sim_dev_bind(void *be, void *bdev, uint32_t *dev_id)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;
	int rc;

	if (dev->obj.id)
		return ioasid_fail(-EALREADY, "device %s is already bound",
				   dev->t->info.name);
	if (dev->t->info.kind == IOASID_DEV_MOCK)
		return mock_bind(s, dev, dev_id);
	rc = obj_add(s, &dev->obj);
	if (!rc && dev_id)
		*dev_id = dev->obj.id;
	return rc;
}

static void ext_dev_close(struct sim *s, uint32_t dev_id);

static void sim_dev_close(void *be, void *bdev)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;

	if (!dev)
		return;
	if (dev->obj.id)
		ext_dev_close(s, dev->obj.id);
	while (dev->pasids.n)
		sim_dev_pasid_detach(be, dev, dev->pasids.v[0].ppasid);
	pasid_recs_free(&dev->pasids);
	if (dev->t->info.kind == IOASID_DEV_MOCK && dev->obj.id) {
		/* The kernel backend destroys the selftest object, which
		 * detaches and unbinds (selftest.c
		 * iommufd_selftest_destroy()), then drops its IOAS. */
		if (dev->hwpt)
			hwpt_detach(s, dev);
		obj_del(s, &dev->obj);
		obj_del(s, &dev->selftest);
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
	obj_del(s, &dev->obj);
	s->devs[dev_index(s, dev->t)] = NULL;
	free(dev);
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
	ioasid_dev_class_finish(info, IOASID_CLASS_SRC_TOPOLOGY);
	ioasid_config_apply_dev(s->cfg, info);
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
	ioasid_dev_class_finish(info, IOASID_CLASS_SRC_TOPOLOGY);
	ioasid_config_apply_dev(s->cfg, info);
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

static int sim_ctx_fd(void *be)
{
	(void)be;
	return -EOPNOTSUPP;
}

static void sim_set_config(void *be, struct ioasid_config *cfg)
{
	struct sim *s = be;

	ioasid_config_free(s->cfg);
	s->cfg = cfg;
}

static void sim_close(void *be)
{
	struct sim *s = be;

	if (!s)
		return;
	for (unsigned int i = 0; i < s->topo->num_devs; i++)
		if (s->devs[i])
			sim_dev_close(s, s->devs[i]);
	ext_close(s);
	/* HWPTs first: they hold their IOAS. */
	for (uint32_t id = 1; id < s->num_objs; id++) {
		struct sim_obj *o = s->objs[id];

		if (o && o->type == SIM_HWPT)
			hwpt_destroy(s, (struct sim_hwpt *)o);
	}
	for (uint32_t id = 1; id < s->num_objs; id++) {
		struct sim_obj *o = s->objs[id];

		if (o && o->type == SIM_IOAS) {
			obj_del(s, o);
			ioas_free(s, (struct sim_ioas *)o);
		}
	}
	spare_drain(&s->spare_areas);
	spare_drain(&s->spare_pages);
	free(s->objs);
	free(s->devs);
	free(s->host_driver);
	free(s->groups);
	topology_free(s->topo);
	ioasid_config_free(s->cfg);
	free(s);
}

static const struct ioasid_backend_ops sim_ops = {
	.name = "sim",
	.close = sim_close,
	.ctx_fd = sim_ctx_fd,
	.dev_info_at = sim_dev_info_at,
	.dev_info_get = sim_dev_info_get,
	.group_info_at = sim_group_info_at,
	.group_resv_regions = sim_group_resv_regions,
	.iommu_info = sim_iommu_info,
	.ioas_alloc = sim_ioas_alloc,
	.destroy = sim_destroy,
	.ioas_map = sim_ioas_map,
	.ioas_map_file = sim_ioas_map_file,
	.ioas_unmap = sim_ioas_unmap,
	.ioas_copy = sim_ioas_copy,
	.ioas_iova_ranges = sim_ioas_iova_ranges,
	.ioas_allow_iovas = sim_ioas_allow_iovas,
	.hwpt_alloc = sim_hwpt_alloc,
	.hw_info = sim_hw_info,
	.option = sim_option,
	.set_driver = sim_set_driver,
	.dev_open = sim_dev_open,
	.dev_bind = sim_dev_bind,
	.dev_attach = sim_dev_attach,
	.dev_detach = sim_dev_detach,
	.dev_fd = sim_dev_fd,
	.dev_close = sim_dev_close,
	.dev_pasid_attach = sim_dev_pasid_attach,
	.dev_pasid_detach = sim_dev_pasid_detach,
	.dev_pasid_list = sim_dev_pasid_list,
	.set_config = sim_set_config,
	.ioas_msi_banks = sim_ioas_msi_banks,
	.ioas_map_msi_bank = sim_ioas_map_msi_bank,
	.ioas_unmap_msi_bank = sim_ioas_unmap_msi_bank,
	.ext = &ioasid_sim_ext_ops,
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

/* ------------------------------------------------------------------ */
/* Nested HWPTs, vIOMMU objects, event and fault queues, dirty tracking
 * (lib/hwpt-ext.h).  Kernel references: hw_pagetable.c, viommu.c,
 * eventq.c, driver.c and the mock driver in selftest.c.               */

#include <sys/eventfd.h>

#define SIM_VIOMMU ((enum sim_obj_type)16)
#define SIM_VDEVICE ((enum sim_obj_type)17)
#define SIM_VEVENTQ ((enum sim_obj_type)18)
#define SIM_FAULT ((enum sim_obj_type)19)

#define SIM_ENTRY_NUM_MAX (1u << 19) /* IOMMU_HWPT_INVALIDATE_ENTRY_NUM_MAX */
#define SIM_VEVENTQ_MAX_DEPTH (1u << 19)
#define SIM_UAPI_PAGE 4096u

struct sim_viommu {
	struct sim_obj obj;
	struct sim_hwpt *parent;
	unsigned int iommu;
	uint32_t type;
	unsigned int refs; /* nested HWPTs, vDEVICEs, vEVENTQs */
};

struct sim_vdevice {
	struct sim_obj obj;
	struct sim_viommu *viommu;
	uint32_t dev_id;
	uint64_t virt_id;
};

struct sim_veventq {
	struct sim_obj obj;
	struct sim_viommu *viommu;
	uint32_t type, depth, num_events, sequence;
	int efd;
	/* Delivery list; a LOST_EVENTS record may only be the last. */
	struct ioasid_vevent *q;
	uint32_t n, cap;
};

struct sim_fault {
	struct sim_obj obj;
	unsigned int refs; /* HWPTs delivering here */
	int efd;
	struct ioasid_fault *q; /* delivered, not yet read */
	uint32_t n, cap;
	uint32_t *cookies; /* read, awaiting a response */
	uint32_t ncookies, capcookies;
};

struct sim_hwpt_ext {
	struct sim_hwpt *parent; /* nested: the nest parent */
	struct sim_viommu *viommu;
	uint32_t data_type, data_len;
	void *data;
	uint32_t iotlb[IOASID_TEST_IOTLB_NUM];
	unsigned int refs; /* parent: nested children and vIOMMUs */
	struct sim_fault *fault;
	bool dirty_on;
	uint64_t *dirty; /* sorted granule addresses */
	uint32_t ndirty, capdirty;
};

struct sim_ext_state {
	ioasid_s1_walk_fn walk;
	void *walk_arg;
};

static bool ext_hwpt_nested(const struct sim_hwpt *h)
{
	return h->ext && h->ext->parent;
}

static bool ext_hwpt_busy(const struct sim_hwpt *h)
{
	return h->ext && h->ext->refs;
}

static struct sim_hwpt_ext *hwpt_ext(struct sim_hwpt *h)
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

static void *ext_get(struct sim *s, uint32_t id, enum sim_obj_type type)
{
	struct sim_obj *o = obj_get(s, id);

	return o && o->type == type ? o : NULL;
}

static int grow(void **v, uint32_t *cap, uint32_t need, size_t size)
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

static void efd_signal(int efd, bool ready)
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
	h = hwpt_new(s, dev, a->flags);
	if (!h)
		return -ENOMEM;
	if (!hwpt_ext(h) || !(h->ext->data = malloc(a->data_len))) {
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

static int ext_hwpt_alloc_user(void *be, uint32_t dev_id, uint32_t pt_id,
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
	d = obj_get(s, dev_id);
	if (!d || d->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "device id %u does not exist", dev_id);
	dev = (struct sim_dev *)d;
	pt = obj_get(s, pt_id);
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
		h = hwpt_new(s, dev, a->flags);
		if (!h)
			return -ENOMEM;
	} else if (pt->type == SIM_HWPT && !ext_hwpt_nested((struct sim_hwpt *)pt)) {
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
	rc = obj_add(s, &h->obj);
	if (!rc && pt->type == SIM_IOAS)
		rc = add_domain(s, (struct sim_ioas *)pt, h);
	if (!rc && (a->flags & IOASID_HWPT_ALLOC_FAULT_ID_VALID)) {
		fault = ext_get(s, a->fault_id, SIM_FAULT);
		if (!fault)
			rc = ioasid_fail(-ENOENT, "fault queue %u does not exist",
					 a->fault_id);
		else if (!hwpt_ext(h))
			rc = ioasid_fail(-ENOMEM, "out of memory");
	}
	if (rc) {
		if (!h->obj.id) {
			ext_hwpt_free(s, h);
			free(h);
		} else {
			hwpt_destroy(s, h);
		}
		return rc;
	}
	if (parent && !hwpt_ext(parent)) {
		hwpt_destroy(s, h);
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
static int ext_invalidate(void *be, uint32_t id, uint32_t type,
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
	o = obj_get(s, id);
	if (!o)
		return ioasid_fail(-ENOENT, "object %u does not exist", id);
	if (o->type == SIM_HWPT && ext_hwpt_nested((struct sim_hwpt *)o)) {
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
				struct sim_vdevice *vd = ext_get(s, k, SIM_VDEVICE);

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

/* viommu.c iommufd_viommu_alloc_ioctl(). */
static int ext_viommu_alloc(void *be, uint32_t dev_id, uint32_t hwpt_id,
			    uint32_t type, uint32_t *viommu_id)
{
	struct sim *s = be;
	struct sim_obj *d = obj_get(s, dev_id);
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
	h = ext_get(s, hwpt_id, SIM_HWPT);
	if (!h || ext_hwpt_nested(h))
		return ioasid_fail(-ENOENT, "paging hwpt %u does not exist", hwpt_id);
	if (!(h->flags & TOPO_HWPT_NEST_PARENT))
		return ioasid_fail(-EINVAL, "hwpt %u is not a nest parent", hwpt_id);
	vi = calloc(1, sizeof(*vi));
	if (!vi || !hwpt_ext(h)) {
		free(vi);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	vi->obj.type = SIM_VIOMMU;
	vi->parent = h;
	vi->iommu = (unsigned int)dev->t->iommu;
	vi->type = type;
	rc = obj_add(s, &vi->obj);
	if (rc) {
		free(vi);
		return rc;
	}
	h->ext->refs++;
	*viommu_id = vi->obj.id;
	return 0;
}

/* viommu.c iommufd_vdevice_alloc_ioctl(). */
static int ext_vdevice_alloc(void *be, uint32_t viommu_id, uint32_t dev_id,
			     uint64_t virt_id, uint32_t *vdevice_id)
{
	struct sim *s = be;
	struct sim_viommu *vi = ext_get(s, viommu_id, SIM_VIOMMU);
	struct sim_obj *d;
	struct sim_vdevice *vd;
	int rc;

	if (!vi)
		return ioasid_fail(-ENOENT, "viommu %u does not exist", viommu_id);
	d = obj_get(s, dev_id);
	if (!d || d->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "device id %u does not exist", dev_id);
	if ((unsigned int)((struct sim_dev *)d)->t->iommu != vi->iommu)
		return ioasid_fail(-EINVAL,
				   "device %u is behind another iommu than viommu %u",
				   dev_id, viommu_id);
	for (uint32_t k = 1; k < s->num_objs; k++) {
		struct sim_vdevice *o = ext_get(s, k, SIM_VDEVICE);

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
	rc = obj_add(s, &vd->obj);
	if (rc) {
		free(vd);
		return rc;
	}
	vi->refs++;
	*vdevice_id = vd->obj.id;
	return 0;
}

/* eventq.c iommufd_veventq_alloc(). */
static int ext_veventq_alloc(void *be, uint32_t viommu_id, uint32_t type,
			     uint32_t depth, uint32_t *id, int *fd)
{
	struct sim *s = be;
	struct sim_viommu *vi;
	struct sim_veventq *q;
	int rc;

	if (!type)
		return ioasid_fail(-EOPNOTSUPP, "vEVENTQ type 0 is reserved");
	if (!depth || depth > SIM_VEVENTQ_MAX_DEPTH)
		return ioasid_fail(-EINVAL, "depth %u is outside 1..%u", depth,
				   SIM_VEVENTQ_MAX_DEPTH);
	vi = ext_get(s, viommu_id, SIM_VIOMMU);
	if (!vi)
		return ioasid_fail(-ENOENT, "viommu %u does not exist", viommu_id);
	for (uint32_t k = 1; k < s->num_objs; k++) {
		struct sim_veventq *o = ext_get(s, k, SIM_VEVENTQ);

		if (o && o->viommu == vi && o->type == type)
			return ioasid_fail(-EEXIST,
					   "viommu %u has a vEVENTQ of type %#x already (%u)",
					   viommu_id, type, k);
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return ioasid_fail(-ENOMEM, "out of memory");
	q->obj.type = SIM_VEVENTQ;
	q->viommu = vi;
	q->type = type;
	q->depth = depth;
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0) {
		rc = -errno;
		free(q);
		return ioasid_fail(rc, "eventfd: %s", strerror(-rc));
	}
	rc = obj_add(s, &q->obj);
	if (rc) {
		close(q->efd);
		free(q);
		return rc;
	}
	vi->refs++;
	*id = q->obj.id;
	*fd = q->efd;
	return 0;
}

/* driver.c iommufd_viommu_report_event() with iommufd_vevent_handler(). */
static int veventq_report(struct sim_veventq *q, const void *data,
			  uint32_t len)
{
	struct ioasid_vevent *e;
	bool lost = q->num_events == q->depth;
	int rc;

	if (q->n && (q->q[q->n - 1].flags & IOASID_VEVENT_LOST_EVENTS))
		q->n--;
	rc = grow((void **)&q->q, &q->cap, q->n + 1, sizeof(*q->q));
	if (rc)
		return rc;
	e = &q->q[q->n++];
	memset(e, 0, sizeof(*e));
	if (lost) {
		e->flags = IOASID_VEVENT_LOST_EVENTS;
	} else {
		e->data_len = len;
		memcpy(e->data, data, len);
		q->num_events++;
	}
	e->sequence = q->sequence;
	q->sequence = (q->sequence + 1) & INT32_MAX;
	efd_signal(q->efd, true);
	return 0;
}

static int ext_veventq_read(void *be, uint32_t id, struct ioasid_vevent *ev,
			    uint32_t *num)
{
	struct sim *s = be;
	struct sim_veventq *q = ext_get(s, id, SIM_VEVENTQ);
	uint32_t n = 0;

	if (!q)
		return ioasid_fail(-ENOENT, "vEVENTQ %u does not exist", id);
	while (n < *num && n < q->n) {
		ev[n] = q->q[n];
		if (!(ev[n].flags & IOASID_VEVENT_LOST_EVENTS))
			q->num_events--;
		n++;
	}
	memmove(q->q, q->q + n, (q->n - n) * sizeof(*q->q));
	q->n -= n;
	if (!q->n)
		efd_signal(q->efd, false);
	*num = n;
	return 0;
}

/* eventq.c iommufd_fault_alloc(). */
static int ext_fault_alloc(void *be, uint32_t *id, int *fd)
{
	struct sim *s = be;
	struct sim_fault *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return ioasid_fail(-ENOMEM, "out of memory");
	f->obj.type = SIM_FAULT;
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0) {
		rc = -errno;
		free(f);
		return ioasid_fail(rc, "eventfd: %s", strerror(-rc));
	}
	rc = obj_add(s, &f->obj);
	if (rc) {
		close(f->efd);
		free(f);
		return rc;
	}
	*id = f->obj.id;
	*fd = f->efd;
	return 0;
}

/* eventq.c iommufd_fault_fops_read(): each group (here one fault with
 * LAST_PAGE) gets the lowest free cookie from 1 (xa_alloc on an ALLOC1
 * xarray); an array too small for the first group is -EINVAL. */
static int ext_fault_read(void *be, uint32_t id, struct ioasid_fault *out,
			  uint32_t *num)
{
	struct sim *s = be;
	struct sim_fault *f = ext_get(s, id, SIM_FAULT);
	uint32_t n = 0;
	int rc;

	if (!f)
		return ioasid_fail(-ENOENT, "fault queue %u does not exist", id);
	if (!*num && f->n)
		return ioasid_fail(-EINVAL, "no room for the first fault group");
	while (n < *num && n < f->n) {
		uint32_t cookie = 1;
		bool taken = true;

		while (taken) {
			taken = false;
			for (uint32_t k = 0; k < f->ncookies; k++)
				if (f->cookies[k] == cookie) {
					taken = true;
					cookie++;
					break;
				}
		}
		rc = grow((void **)&f->cookies, &f->capcookies, f->ncookies + 1,
			  sizeof(*f->cookies));
		if (rc)
			break;
		f->cookies[f->ncookies++] = cookie;
		out[n] = f->q[n];
		out[n].cookie = cookie;
		n++;
	}
	memmove(f->q, f->q + n, (f->n - n) * sizeof(*f->q));
	f->n -= n;
	if (!f->n)
		efd_signal(f->efd, false);
	*num = n;
	return 0;
}

/* eventq.c iommufd_fault_fops_write(). */
static int ext_fault_respond(void *be, uint32_t id,
			     const struct ioasid_fault_response *r,
			     uint32_t *num)
{
	struct sim *s = be;
	struct sim_fault *f = ext_get(s, id, SIM_FAULT);
	uint32_t n;

	if (!f)
		return ioasid_fail(-ENOENT, "fault queue %u does not exist", id);
	for (n = 0; n < *num; n++) {
		uint32_t k;

		if (r[n].code != IOASID_FAULT_RESP_SUCCESS &&
		    r[n].code != IOASID_FAULT_RESP_INVALID) {
			*num = n;
			return ioasid_fail(-EINVAL, "response %u: unknown code %u",
					   n, r[n].code);
		}
		for (k = 0; k < f->ncookies && f->cookies[k] != r[n].cookie; k++)
			;
		if (k == f->ncookies) {
			*num = n;
			return ioasid_fail(-EINVAL,
					   "response %u: no fault group has cookie %u",
					   n, r[n].cookie);
		}
		f->cookies[k] = f->cookies[--f->ncookies];
	}
	return 0;
}

static int ext_destroy(void *be, uint32_t id, enum ioasid_ext_obj type)
{
	static const enum sim_obj_type map[] = {
		[IOASID_EXT_VIOMMU] = SIM_VIOMMU,
		[IOASID_EXT_VDEVICE] = SIM_VDEVICE,
		[IOASID_EXT_VEVENTQ] = SIM_VEVENTQ,
		[IOASID_EXT_FAULT] = SIM_FAULT,
	};
	static const char *const names[] = {
		[IOASID_EXT_VIOMMU] = "viommu",
		[IOASID_EXT_VDEVICE] = "vdevice",
		[IOASID_EXT_VEVENTQ] = "vEVENTQ",
		[IOASID_EXT_FAULT] = "fault queue",
	};
	struct sim *s = be;
	struct sim_obj *o = obj_get(s, id);

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
	obj_del(s, o);
	free(o);
	return 0;
}

/* An id the kernel keeps unusable until the iommufd closes: no getter
 * matches its type, obj_add() skips it, obj_del() is never called on it. */
static struct sim_obj sim_tombstone = { .type = (enum sim_obj_type)31 };

/* device.c iommufd_device_remove_vdev(): destroying a device destroys
 * its vDEVICE and tombstones the vDEVICE's id
 * (iommufd_object_tombstone_user()), so it is neither destroyable
 * (-ENOENT) nor reused. */
static void ext_dev_close(struct sim *s, uint32_t dev_id)
{
	for (uint32_t k = 1; k < s->num_objs; k++) {
		struct sim_vdevice *vd = ext_get(s, k, SIM_VDEVICE);

		if (vd && vd->dev_id == dev_id) {
			vd->viommu->refs--;
			s->objs[k] = &sim_tombstone;
			free(vd);
		}
	}
}

/* After the devices are closed: the ext objects and nested HWPTs go
 * before the paging HWPTs they hold. */
static void ext_close(struct sim *s)
{
	static const enum ioasid_ext_obj order[] = {
		IOASID_EXT_VEVENTQ, IOASID_EXT_VDEVICE,
	};

	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		for (uint32_t id = 1; id < s->num_objs; id++)
			if (s->objs[id])
				ext_destroy(s, id, order[k]);
	for (uint32_t id = 1; id < s->num_objs; id++) {
		struct sim_obj *o = s->objs[id];

		if (o && o->type == SIM_HWPT && ext_hwpt_nested((struct sim_hwpt *)o))
			hwpt_destroy(s, (struct sim_hwpt *)o);
	}
	for (uint32_t id = 1; id < s->num_objs; id++)
		if (s->objs[id])
			ext_destroy(s, id, IOASID_EXT_VIOMMU);
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
			ext_destroy(s, id, IOASID_EXT_FAULT);
	free(s->ext);
	s->ext = NULL;
	ioasid_clear_error();
}

/* A paging HWPT by id: hw_pagetable.c iommufd_get_hwpt_paging(). */
static struct sim_hwpt *get_paging(struct sim *s, uint32_t id)
{
	struct sim_hwpt *h = ext_get(s, id, SIM_HWPT);

	if (!h || ext_hwpt_nested(h)) {
		ioasid_fail(-ENOENT, "paging hwpt %u does not exist", id);
		return NULL;
	}
	return h;
}

/* io_pagetable.c iopt_set_dirty_tracking(): enabling clears the bits. */
static int ext_set_dirty(void *be, uint32_t hwpt_id, bool enable)
{
	struct sim *s = be;
	struct sim_hwpt *h = get_paging(s, hwpt_id);

	if (!h)
		return -ENOENT;
	if (!(h->flags & TOPO_HWPT_DIRTY_TRACKING))
		return ioasid_fail(-EOPNOTSUPP,
				   "hwpt %u was allocated without dirty tracking",
				   hwpt_id);
	if (!hwpt_ext(h))
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
	uint64_t g = min_page(s, h);

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

static int ext_get_dirty(void *be, uint32_t hwpt_id, uint64_t iova,
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
static int ext_test_dirty(void *be, uint32_t hwpt_id, uint64_t iova,
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
		rc = grow((void **)&x->dirty, &x->capdirty, x->ndirty + 1,
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

/* selftest.c iommufd_test_trigger_iopf(): the fault goes to the queue of
 * the HWPT attached at that PASID (RID for 0), or is dropped. */
static int ext_test_iopf(void *be, uint32_t dev_id, uint32_t pasid,
			 uint32_t grpid, uint32_t perm, uint64_t addr)
{
	struct sim *s = be;
	struct sim_obj *d = obj_get(s, dev_id);
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
			h = ext_get(s, dev->pasids.v[at].hwpt_id, SIM_HWPT);
	}
	if (!h || !h->ext || !h->ext->fault)
		return 0;
	f = h->ext->fault;
	rc = grow((void **)&f->q, &f->cap, f->n + 1, sizeof(*f->q));
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
	efd_signal(f->efd, true);
	return 0;
}

/* selftest.c iommufd_test_trigger_vevent(). */
static int ext_test_vevent(void *be, uint32_t dev_id)
{
	struct sim *s = be;
	struct sim_obj *d = obj_get(s, dev_id);
	struct sim_vdevice *vd = NULL;

	if (!d || d->type != SIM_DEVICE)
		return ioasid_fail(-ENOENT, "device id %u does not exist", dev_id);
	for (uint32_t k = 1; k < s->num_objs && !vd; k++) {
		struct sim_vdevice *o = ext_get(s, k, SIM_VDEVICE);

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
		struct sim_veventq *q = ext_get(s, k, SIM_VEVENTQ);
		uint32_t virt = (uint32_t)vd->virt_id;

		if (q && q->viommu == vd->viommu &&
		    q->type == IOASID_VEVENTQ_TYPE_SELFTEST)
			return veventq_report(q, &virt, sizeof(virt));
	}
	return ioasid_fail(-EOPNOTSUPP, "viommu %u has no selftest vEVENTQ",
			   vd->viommu->obj.id);
}

/* selftest.c iommufd_test_md_check_iotlb(). */
static int ext_test_check_iotlb(void *be, uint32_t hwpt_id, uint32_t index,
				uint32_t value)
{
	struct sim *s = be;
	struct sim_hwpt *h = ext_get(s, hwpt_id, SIM_HWPT);

	if (!h || !ext_hwpt_nested(h))
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

	if (!s->ext)
		s->ext = calloc(1, sizeof(*s->ext));
	if (s->ext) {
		s->ext->walk = fn;
		s->ext->walk_arg = arg;
	}
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
	struct sim_hwpt *h = ext_get(s, hwpt_id, SIM_HWPT);
	struct s1_reader rd;
	uint64_t gpa;
	int rc;

	if (!h)
		return -ENOENT;
	if (!ext_hwpt_nested(h))
		return paging_translate(s, h, iova, va);
	if (!s->ext || !s->ext->walk)
		return -EOPNOTSUPP;
	rd.s = s;
	rd.parent = h->ext->parent;
	rc = s->ext->walk(s->ext->walk_arg, h->ext->data_type, h->ext->data,
			  h->ext->data_len, iova, s1_read, &rd, &gpa);
	if (rc)
		return rc;
	return paging_translate(s, h->ext->parent, gpa, va);
}

const struct ioasid_hwpt_ext_ops ioasid_sim_ext_ops = {
	.hwpt_alloc_user = ext_hwpt_alloc_user,
	.hwpt_invalidate = ext_invalidate,
	.viommu_alloc = ext_viommu_alloc,
	.vdevice_alloc = ext_vdevice_alloc,
	.veventq_alloc = ext_veventq_alloc,
	.veventq_read = ext_veventq_read,
	.fault_alloc = ext_fault_alloc,
	.fault_read = ext_fault_read,
	.fault_respond = ext_fault_respond,
	.destroy = ext_destroy,
	.set_dirty_tracking = ext_set_dirty,
	.get_dirty_bitmap = ext_get_dirty,
	.test_dirty = ext_test_dirty,
	.test_iopf = ext_test_iopf,
	.test_vevent = ext_test_vevent,
	.test_check_iotlb = ext_test_check_iotlb,
};
