// SPDX-License-Identifier: MIT
/*
 * Simulator backend: models drivers/iommu/iommufd/io_pagetable.c: reserved
 * regions, IOVA allocation and checks, domains of an IOAS and the
 * insertion of areas.
 */
#include "explain.h"
#include "sim.h"

/* ------------------------------------------------------------------ */
/* Reserved regions                                                     */

/* A region as the messages name it (lib/model/explain.h): a HWPT not
 * yet in the IOAS (its regions are being added) is "the new hwpt", as
 * the kernel backend can say no more of it. */
static void resv_explain(const struct sim_resv *r, struct explain_resv *e)
{
	e->start = r->start;
	e->last = r->last;
	e->type = r->type;
	if (r->dev)
		explain_owner_device(e, r->dev->t->info.name);
	else if (r->hwpt && !r->hwpt->ioas)
		explain_owner_new_aperture(e);
	else if (r->hwpt)
		explain_owner_aperture(e, r->hwpt->obj.id);
	else
		explain_owner_msi_bank(e, r->bank, r->bank_iommu->name);
}

void sim_owner_name(const struct sim_resv *r, char *buf, size_t len)
{
	struct explain_resv e;

	resv_explain(r, &e);
	snprintf(buf, len, "%s", e.owner);
}

static int cmp_resv_ptr(const void *a, const void *b)
{
	const struct sim_resv *x = *(struct sim_resv *const *)a;
	const struct sim_resv *y = *(struct sim_resv *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Recompute the merged coverage of the reserved list into a new tree,
 * which replaces the old one only when it is complete: on -ENOMEM the
 * old coverage is kept, so a caller that restores the list it had
 * changed has the coverage of that list again.
 */
int sim_cover_rebuild(struct sim_ioas *ioas)
{
	struct sim_resv **v = NULL, *r;
	uint64_t start = 0, last = 0;
	unsigned int n = 0;
	bool open = false;
	struct itree cov;
	int rc = 0;

	itree_init(&cov);
	for (r = ioas->resv; r; r = r->next)
		n++;
	if (n && !(v = malloc(n * sizeof(*v))))
		return -ENOMEM;
	n = 0;
	for (r = ioas->resv; r; r = r->next)
		v[n++] = r;
	if (n)
		qsort(v, n, sizeof(*v), cmp_resv_ptr);
	for (unsigned int i = 0; i < n && !rc; i++) {
		if (open && (last == UINT64_MAX || v[i]->start <= last + 1)) {
			if (v[i]->last > last)
				last = v[i]->last;
			continue;
		}
		if (open)
			rc = itree_insert(&cov, start, last, NULL);
		start = v[i]->start;
		last = v[i]->last;
		open = true;
	}
	if (open && !rc)
		rc = itree_insert(&cov, start, last, NULL);
	free(v);
	if (rc) {
		itree_clear(&cov, NULL, NULL);
		return rc;
	}
	itree_clear(&ioas->cov, NULL, NULL);
	ioas->cov = cov;
	ioas->cov_stale = false;
	return 0;
}

/* The coverage, rebuilt first if a removal left it stale. */
int sim_cover_fresh(struct sim_ioas *ioas)
{
	if (ioas->cov_stale && sim_cover_rebuild(ioas))
		return ioasid_fail(-ENOMEM, "out of memory");
	return 0;
}

/* The first reserved region that intersects [start, last]. */
const struct sim_resv *sim_resv_find(const struct sim_ioas *ioas,
				     uint64_t start, uint64_t last)
{
	const struct sim_resv *best = NULL;
	struct itree_iter it;

	if (!ioas->cov_stale && !itree_first_overlap(&ioas->cov, start, last, &it))
		return NULL;
	for (const struct sim_resv *r = ioas->resv; r; r = r->next)
		if (r->start <= last && r->last >= start &&
		    (!best || r->start < best->start))
			best = r;
	return best;
}

/* Unlink an owner's regions, leaving the coverage as it is. */
static void resv_unlink_owner(struct sim_ioas *ioas, struct sim_dev *dev,
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
}

/* io_pagetable.c __iopt_remove_reserved_iova(): drop an owner's regions;
 * this cannot fail, so a coverage that cannot be rebuilt now is rebuilt
 * before its next use. */
void sim_resv_remove_owner(struct sim_ioas *ioas, struct sim_dev *dev,
			   struct sim_hwpt *hwpt)
{
	resv_unlink_owner(ioas, dev, hwpt);
	if (sim_cover_rebuild(ioas))
		ioas->cov_stale = true;
}

/* io_pagetable.c iopt_reserve_iova(): a region may not cover a mapping
 * or an allowed range (-EADDRINUSE).  The caller rebuilds the coverage. */
static int resv_add(struct sim_ioas *ioas, uint64_t start, uint64_t last,
		    enum ioasid_resv_type type, struct sim_dev *dev,
		    struct sim_hwpt *hwpt)
{
	struct sim_resv *r, tmp = { .start = start, .last = last, .type = type,
				    .dev = dev, .hwpt = hwpt };
	struct explain_resv e;
	struct itree_iter n;

	resv_explain(&tmp, &e);
	if (itree_first_overlap(&ioas->areas, start, last, &n))
		return explain_reserve_mapped(&e, n.start, n.last, ioas->obj.id);
	if (itree_first_overlap(&ioas->allowed, start, last, &n))
		return explain_reserve_allowed(&e, n.start, n.last, ioas->obj.id);
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
int sim_enforce_dev_resv(struct sim *s, struct sim_ioas *ioas,
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
	if (!rc && sim_cover_rebuild(ioas))
		rc = ioasid_fail(-ENOMEM, "out of memory");
	if (rc)
		resv_unlink_owner(ioas, dev, NULL);
	return rc;
}

/* ------------------------------------------------------------------ */
/* IOAS                                                                 */

/* Remove the area that begins at @start. */
static void area_free(struct sim *s, struct sim_ioas *ioas, uint64_t start,
		      struct sim_area *a)
{
	itree_remove(&ioas->areas, start);
	sim_pages_put(s, a->pages);
	sim_spare_put(&s->spare_areas, a);
}

/* Remove the area a lookup just found (no second descent). */
void sim_area_free_at(struct sim *s, struct sim_ioas *ioas,
		      const struct itree_iter *it)
{
	struct sim_area *a = it->value;

	itree_remove_at(&ioas->areas, it);
	sim_pages_put(s, a->pages);
	sim_spare_put(&s->spare_areas, a);
}

uint64_t sim_min_page(const struct sim *s, const struct sim_hwpt *h)
{
	uint64_t bm = s->topo->iommus[h->iommu].pgsize_bitmap;

	return bm & -bm;
}

/* io_pagetable.c iopt_check_iova_alignment(): every area must already
 * honour a raised alignment (-EADDRINUSE).  Linear, as in the kernel. */
int sim_check_areas_aligned(const struct sim *s, struct sim_ioas *ioas,
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
			return explain_mapping_unaligned(n.start, n.last,
							 ioas->obj.id, align);
	}
	return 0;
}

/* io_pagetable.c iopt_calculate_iova_alignment(): the largest smallest
 * page size of the domains, PAGE_SIZE for each access (mdev) or without
 * large pages, else 1. */
uint64_t sim_calc_alignment(struct sim *s, const struct sim_ioas *ioas)
{
	/* Without large pages the kernel maps page by page
	 * (batch_iommu_map_small()), so IOVAs must be page aligned. */
	uint64_t align = ioas->disable_large_pages ? s->page_size : 1;

	for (const struct sim_hwpt *h = ioas->hwpts; h; h = h->next)
		if (sim_min_page(s, h) > align)
			align = sim_min_page(s, h);
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
int sim_add_domain(struct sim *s, struct sim_ioas *ioas,
		   struct sim_hwpt *h)
{
	const struct topo_iommu *im = &s->topo->iommus[h->iommu];
	uint64_t align = sim_min_page(s, h);
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
		rc = sim_check_areas_aligned(s, ioas, align);
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

		rc = sim_pages_check(s, a->pages, a->start_byte,
				     n.last - n.start + 1);
	}
	if (!rc && sim_cover_rebuild(ioas))
		rc = ioasid_fail(-ENOMEM, "out of memory");
	if (rc) {
		resv_unlink_owner(ioas, NULL, h);
		return rc;
	}
	ioas->iova_alignment = align;
	h->ioas = ioas;
	for (pp = &ioas->hwpts; *pp; pp = &(*pp)->next)
		;
	*pp = h;
	h->next = NULL;
	return 0;
}

/* io_pagetable.c iopt_table_remove_domain(). */
void sim_remove_domain(struct sim *s, struct sim_hwpt *h)
{
	struct sim_ioas *ioas = h->ioas;
	struct sim_hwpt **pp;

	for (pp = &ioas->hwpts; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	sim_resv_remove_owner(ioas, NULL, h);
	ioas->iova_alignment = sim_calc_alignment(s, ioas);
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

	if (sim_cover_fresh(ioas))
		return -ENOMEM;
	if (!length || length >= UINT64_MAX / 2)
		return explain_length_too_large(length);
	align = roundup_pow2(length);
	if (addr && (addr & -addr) < align)
		align = addr & -addr;
	if (align >= SIM_HPAGE_SIZE)
		align = SIM_HPAGE_SIZE;
	if (align < ioas->iova_alignment)
		return explain_any_iova_unaligned(addr, length,
						  ioas->iova_alignment,
						  ioas->obj.id);
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
	return explain_no_space(length, align, ioas->obj.id);
}

/* The last part of iopt_check_iova(): no mapping in the range. */
static int check_iova_free(struct sim_ioas *ioas, uint64_t iova,
			   uint64_t length)
{
	struct itree_iter n;

	if (itree_first_overlap(&ioas->areas, iova, iova + length - 1, &n))
		return explain_map_exists(iova, length, n.start, n.last,
					  ioas->obj.id);
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
		return explain_iova_unaligned(iova, ioas->iova_alignment,
					      ioas->obj.id);
	if (iova > UINT64_MAX - (length - 1))
		return explain_overflow("iova", iova, length);
	last = iova + length - 1;
	r = sim_resv_find(ioas, iova, last);
	if (r) {
		struct explain_resv e;

		resv_explain(r, &e);
		return explain_map_reserved(iova, length, &e);
	}
	return areas_too ? check_iova_free(ioas, iova, length) : 0;
}


/*
 * The areas of an IOAS are kernel memory (iopt_area_alloc(), charged to
 * the memory cgroup): no fixed limit, the map fails with -ENOMEM when
 * the memory runs out.  The simulator has that point on demand
 * (sim->max_areas), checked before anything is inserted.
 */
static int check_area_limit(struct sim *s, const struct sim_ioas *ioas,
			    unsigned int num)
{
	if (!s->max_areas || ioas->areas.count + num <= s->max_areas)
		return 0;
	return ioasid_fail(-ENOMEM,
			   "ioas %u holds %zu areas and this needs %u more: out of memory for areas at the simulator's limit of %llu per IOAS (ioasid_sim_set_max_areas(); iommufd has no fixed limit, its areas are kernel memory charged to the memory cgroup: raise the cgroup's memory.max, or map fewer, larger ranges)",
			   ioas->obj.id, ioas->areas.count, num,
			   (unsigned long long)s->max_areas);
}

/*
 * io_pagetable.c iopt_map_pages() / iopt_alloc_area_pages() /
 * iopt_insert_area(): length check, IOVA choice or check, one area per
 * piece, then pinning into the domains if there are any.  On failure
 * nothing stays inserted.  Takes over the pieces' page references.
 */
int sim_map_pieces(struct sim *s, struct sim_ioas *ioas,
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
		rc = explain_length_unaligned(length, ioas->iova_alignment,
					      ioas->obj.id);
		goto out;
	}
	/* The kernel allocates the areas before it picks or checks the
	 * IOVA (iopt_alloc_area_pages()): out of memory comes first. */
	rc = check_area_limit(s, ioas, num);
	if (rc)
		goto out;
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
				rc = explain_not_writable(at);
			break;
		}
		if ((pc[i].start_byte % s->page_size) &
		    (ioas->iova_alignment - 1)) {
			rc = insert_checks ? check_iova_free(ioas, at, length)
					   : 0;
			if (!rc)
				rc = explain_page_offset(pc[i].start_byte % s->page_size,
							 ioas->iova_alignment);
			break;
		}
		a = sim_spare_get(&s->spare_areas, sizeof(*a));
		if (!a) {
			rc = ioasid_fail(-ENOMEM, "out of memory");
			break;
		}
		a->pages = NULL;
		a->start_byte = pc[i].start_byte;
		a->prot = flags & (IOASID_MAP_READ | IOASID_MAP_WRITE);
		/* -EEXIST only when the insert is the check; otherwise the
		 * range was checked free and only memory can fail. */
		ins = itree_insert(&ioas->areas, at, at + pc[i].length - 1, a);
		if (ins) {
			sim_spare_put(&s->spare_areas, a);
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
			rc = sim_pages_check(s, pc[i].pages, pc[i].start_byte,
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
		sim_pages_put(s, pc[i].pages);
	if (areas != &one_area)
		free(areas);
	return rc;
}
