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

/* io_pagetable.c iopt_check_iova(). */
static int check_iova(struct sim_ioas *ioas, uint64_t iova, uint64_t length)
{
	const struct sim_resv *r;
	struct itree_iter n;
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
	if (itree_first_overlap(&ioas->areas, iova, last, &n))
		return ioasid_fail(-EEXIST,
				   "iova %#llx+%#llx overlaps mapping %#llx-%#llx of ioas %u",
				   (ull)iova, (ull)length, (ull)n.start,
				   (ull)n.last, ioas->obj.id);
	return 0;
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
		rc = check_iova(ioas, *iova, length);
	if (rc)
		goto out;
	at = *iova;
	for (i = 0; i < num; i++) {
		struct sim_area *a;

		if (write && !pc[i].pages->writable) {
			rc = ioasid_fail(-EPERM,
					 "source of iova %#llx is not writable",
					 (ull)at);
			break;
		}
		if ((pc[i].start_byte % s->page_size) &
		    (ioas->iova_alignment - 1)) {
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
		/* The range was checked free: only memory can fail. */
		if (itree_insert(&ioas->areas, at, at + pc[i].length - 1, a)) {
			spare_put(&s->spare_areas, a);
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
		area_free(s, ioas, first, n.value);
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

/* hw_pagetable.c iommufd_hwpt_paging_destroy(). */
static void hwpt_destroy(struct sim *s, struct sim_hwpt *h)
{
	if (h->ioas)
		remove_domain(s, h);
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
	if (flags & TOPO_HWPT_FAULT_ID_VALID)
		return ioasid_fail(-EOPNOTSUPP,
				   "fault queues are not supported by the simulator");
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

static void sim_dev_close(void *be, void *bdev)
{
	struct sim *s = be;
	struct sim_dev *dev = bdev;

	if (!dev)
		return;
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
	.dev_close = sim_dev_close,
	.dev_pasid_attach = sim_dev_pasid_attach,
	.dev_pasid_detach = sim_dev_pasid_detach,
	.dev_pasid_list = sim_dev_pasid_list,
	.set_config = sim_set_config,
	.ioas_msi_banks = sim_ioas_msi_banks,
	.ioas_map_msi_bank = sim_ioas_map_msi_bank,
	.ioas_unmap_msi_bank = sim_ioas_unmap_msi_bank,
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
