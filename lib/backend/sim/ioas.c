// SPDX-License-Identifier: MIT
/*
 * Simulator backend: models drivers/iommu/iommufd/ioas.c: the IOAS ioctls
 * (alloc, map, map file, unmap, copy, iova ranges, allow iovas),
 * IOMMU_OPTION, and the PowerPC PAMU style MSI banks (no kernel
 * counterpart).
 */
#include "explain.h"
#include "sim.h"

int sim_ioas_alloc(void *be, uint32_t *ioas_id)
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
	rc = sim_obj_add(s, &ioas->obj);
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
	sim_pages_put(s, a->pages);
	sim_spare_put(&s->spare_areas, a);
}

void sim_ioas_free(struct sim *s, struct sim_ioas *ioas)
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

/* ioas.c iommufd_ioas_map() after the checks core made (flags, iova or
 * length at ULONG_MAX, access): the IOAS, then pages.c
 * iopt_alloc_user_pages(). */
int sim_ioas_map(void *be, uint32_t ioas_id, uint32_t flags,
		 uint64_t va, uint64_t length, uint64_t *iova)
{
	struct sim *s = be;
	struct sim_ioas *ioas;
	struct sim_piece pc;

	ioas = sim_get_ioas(s, ioas_id);
	if (!ioas)
		return -ENOENT;
	if (va > UINT64_MAX - length)
		return explain_overflow("va", va, length);
	if (!length || length > SIZE_MAX - s->page_size)
		return explain_bad_length(length);
	pc.pages = sim_pages_new(s, false, va & ~(s->page_size - 1), -1,
				 flags & IOASID_MAP_WRITE);
	if (!pc.pages)
		return ioasid_fail(-ENOMEM, "out of memory");
	pc.start_byte = va & (s->page_size - 1);
	pc.length = length;
	return sim_map_pieces(s, ioas, &pc, 1, length, iova, flags);
}

/* ioas.c iommufd_ioas_map_file() after core's checks (as for map): the
 * IOAS, then io_pagetable.c iopt_map_file_pages(): -EINVAL for a zero
 * length, -EOVERFLOW if start + length wraps, -EBADF for a closed fd; the
 * file's kind and size matter only when pages get pinned
 * (sim_pages_check()). */
int sim_ioas_map_file(void *be, uint32_t ioas_id, uint32_t flags,
		      int fd, uint64_t start, uint64_t length,
		      uint64_t *iova)
{
	struct sim *s = be;
	struct sim_ioas *ioas;
	struct sim_piece pc;
	uint64_t start_byte;
	int dup;

	ioas = sim_get_ioas(s, ioas_id);
	if (!ioas)
		return -ENOENT;
	if (!length)
		return explain_length_zero();
	if (start > UINT64_MAX - (length - 1))
		return explain_overflow("file offset", start, length);
	if (fd < 0 || (dup = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return explain_bad_fd(fd);
	if (length > SIZE_MAX - s->page_size) {
		close(dup);
		return explain_bad_length(length);
	}
	start_byte = start % s->page_size;
	pc.pages = sim_pages_new(s, true, start - start_byte, dup,
				 flags & IOASID_MAP_WRITE);
	if (!pc.pages) {
		close(dup);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	pc.pages->user_fd = fd;
	pc.start_byte = start_byte;
	pc.length = length;
	return sim_map_pieces(s, ioas, &pc, 1, length, iova, flags);
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
			rc = explain_unmap_split(first_asked, last, first, end,
						 ioas->obj.id);
			break;
		}
		sim_area_free_at(s, ioas, &n);
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
int sim_ioas_unmap(void *be, uint32_t ioas_id, uint64_t iova,
		   uint64_t length, uint64_t *unmapped)
{
	struct sim *s = be;
	struct sim_ioas *ioas = sim_get_ioas(s, ioas_id);
	uint64_t bytes = 0;
	int rc;

	if (!ioas)
		return -ENOENT;
	if (iova == 0 && length == UINT64_MAX)
		return unmap_range(s, ioas, 0, UINT64_MAX, unmapped);
	if (iova == UINT64_MAX || length == UINT64_MAX)
		return explain_unmap_too_large();
	if (!length)
		return explain_length_zero();
	if (iova > UINT64_MAX - (length - 1))
		return explain_overflow("iova", iova, length);
	rc = unmap_range(s, ioas, iova, iova + length - 1, &bytes);
	if (unmapped)
		*unmapped = bytes;
	if (rc)
		return rc;
	if (!bytes)
		return explain_unmap_nothing(iova, length, ioas_id);
	return 0;
}

/* ioas.c iommufd_ioas_copy() after core's checks (flags, length, source
 * or destination IOVA at ULONG_MAX, access) and io_pagetable.c
 * iopt_get_pages(): the source must be mapped without holes from
 * src_iova on (-ENOENT); each source area becomes its own area in the
 * destination. */
int sim_ioas_copy(void *be, uint32_t dst_id, uint32_t src_id,
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

	src = sim_get_ioas(s, src_id);
	if (!src)
		return -ENOENT;
	if (!length)
		return explain_length_zero();
	if (src_iova > UINT64_MAX - (length - 1))
		return explain_overflow("iova", src_iova, length);
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
		rc = explain_copy_hole(src_iova, last, src_id);
		goto err;
	}
	dst = sim_get_ioas(s, dst_id);
	if (!dst) {
		rc = -ENOENT;
		goto err;
	}
	rc = sim_map_pieces(s, dst, pc, num, length, dst_iova, flags);
	free(pc);
	return rc;
err:
	for (unsigned int i = 0; i < num; i++)
		sim_pages_put(s, pc[i].pages);
	free(pc);
	return rc;
}

/* ioas.c iommufd_ioas_iova_ranges(): the holes of the reserved regions
 * over the whole 64-bit space (the allow-list is not applied), plus the
 * alignment; -EMSGSIZE when the array is short. */
int sim_ioas_iova_ranges(void *be, uint32_t ioas_id,
			 struct ioasid_iova_range *ranges,
			 uint32_t *num, uint64_t *alignment)
{
	struct sim *s = be;
	struct sim_ioas *ioas = sim_get_ioas(s, ioas_id);
	uint32_t max, count = 0;
	uint64_t cur = 0;
	struct itree_iter n;
	bool done = false;

	if (!ioas)
		return -ENOENT;
	if (sim_cover_fresh(ioas))
		return -ENOMEM;
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
int sim_ioas_allow_iovas(void *be, uint32_t ioas_id,
			 const struct ioasid_iova_range *ranges,
			 uint32_t num)
{
	struct sim *s = be;
	struct sim_ioas *ioas = sim_get_ioas(s, ioas_id);
	struct itree fresh;
	struct itree_iter n;
	int rc = 0;

	if (!ioas)
		return -ENOENT;
	itree_init(&fresh);
	for (uint32_t i = 0; i < num && !rc; i++) {
		if (ranges[i].start >= ranges[i].last) {
			rc = explain_allow_inverted(i, ranges[i].start,
						    ranges[i].last);
			break;
		}
		rc = itree_insert(&fresh, ranges[i].start, ranges[i].last,
				  NULL);
		if (rc == -ENOMEM)
			rc = ioasid_fail(-ENOMEM, "out of memory");
		else if (rc)
			rc = explain_allow_overlap(i, ranges[i].start,
						   ranges[i].last);
	}
	for (bool more = !rc && itree_first(&fresh, &n); more && !rc;
	     more = itree_next(&n)) {
		const struct sim_resv *r = sim_resv_find(ioas, n.start, n.last);

		if (r) {
			struct explain_resv e = { .start = r->start,
						  .last = r->last,
						  .type = r->type };

			sim_owner_name(r, e.owner, sizeof(e.owner));
			rc = explain_allow_reserved(n.start, n.last, &e);
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

int sim_ioas_msi_banks(void *be, uint32_t ioas_id,
		       struct ioasid_msi_bank *banks, uint32_t *num)
{
	struct sim *s = be;
	struct sim_ioas *ioas = sim_get_ioas(s, ioas_id);
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

int sim_ioas_map_msi_bank(void *be, uint32_t ioas_id, uint32_t index,
			  uint64_t iova)
{
	struct sim *s = be;
	struct sim_ioas *ioas = sim_get_ioas(s, ioas_id);
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
	other = sim_resv_find(ioas, iova, last);
	if (other) {
		char who[96];

		sim_owner_name(other, who, sizeof(who));
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
	if (sim_cover_rebuild(ioas)) {
		/* The coverage is still that of the list without @r. */
		ioas->resv = r->next;
		free(r);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	return 0;
}

int sim_ioas_unmap_msi_bank(void *be, uint32_t ioas_id,
			    uint32_t index)
{
	struct sim *s = be;
	struct sim_ioas *ioas = sim_get_ioas(s, ioas_id);
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
			if (sim_cover_rebuild(ioas))
				ioas->cov_stale = true;
			return 0;
		}
	}
	return ioasid_fail(-ENOENT,
			   "msi bank %u (bank %u of iommu %s) is not mapped in ioas %u",
			   index, bank, im->name, ioas_id);
}

/* ioas.c iommufd_option_rlimit_mode(), iommufd_ioas_option_huge_pages(),
 * io_pagetable.c iopt_disable_large_pages(). */
int sim_option(void *be, bool set, uint32_t option, uint32_t object_id,
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
	ioas = sim_get_ioas(s, object_id);
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
	align = sim_calc_alignment(s, ioas);
	if (align > ioas->iova_alignment) {
		rc = sim_check_areas_aligned(s, ioas, align);
		if (rc) {
			ioas->disable_large_pages = false;
			return rc;
		}
	}
	ioas->iova_alignment = align;
	return 0;
}

/* ioas.c iommufd_ioas_noiommu_get_pa() after core's checks (flags,
 * length, the last IOVA), then io_pagetable.c iopt_get_phys(): no IOAS
 * or nothing mapped at @iova is -ENOENT; a mapped IOVA has a physical
 * address only in an IOAS a no-IOMMU device is attached to, and the
 * simulator has none (CAP_SYS_RAWIO is not modelled: the kernel's first
 * check, for a process the simulator does not pretend to be). */
int sim_ioas_noiommu_get_pa(void *be, uint32_t ioas_id, uint64_t iova,
			    uint64_t length, uint64_t *phys, uint64_t *contig)
{
	struct sim *s = be;
	struct sim_ioas *ioas = sim_get_ioas(s, ioas_id);
	struct itree_iter it;

	(void)length;
	(void)phys;
	(void)contig;
	if (!ioas)
		return -ENOENT;
	if (!itree_find(&ioas->areas, iova, &it))
		return explain_noiommu_unmapped(iova, ioas_id);
	return explain_noiommu_sim(ioas_id);
}
