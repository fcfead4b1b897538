// SPDX-License-Identifier: MIT
/*
 * Why the kernel refused a request, in the simulator's words
 * (lib/model/explain.h), then the ioctl and its errno:
 *
 *   iova 0xfee00000+0x1000 overlaps reserved region 0xfee00000-0xfeefffff
 *   (msi) of device 0000:00:04.0 (IOMMU_IOAS_MAP: EINVAL)
 *
 * After a failure the backend replays the kernel's checks, in the
 * kernel's order (drivers/iommu/iommufd/io_pagetable.c iopt_check_iova(),
 * iopt_alloc_area_pages(), iopt_unmap_iova_range(), ...), on what it can
 * read without changing anything: IOMMU_IOAS_IOVA_RANGES (the usable
 * ranges and the IOAS's alignment), sysfs (reserved regions, apertures),
 * /proc/self (memory maps, limits) and its record of mappings, allowed
 * ranges, HWPTs and attachments (record.c).  The first check that fails
 * is the explanation; a reserved region is named only if the usable
 * ranges confirm it.  When nothing explains the errno the caller keeps
 * the plain "IOCTL args: strerror" message (kernel_fail()).
 *
 * An explanation is given only when the record (and what the backend
 * asks) supports it.  When the errno contradicts them -- ENOENT for an
 * IOAS that IOMMU_IOAS_IOVA_RANGES answers for or for an unmap of whole
 * mappings the record has, EFAULT for the library's own command
 * structure -- the message says so (kcontradicted()): the
 * kernel failed inside, an allocation or a fault injection (some of
 * iommufd's failed allocations come back as ENOENT, EFAULT or EINVAL;
 * tests/vm/lib/fail_nth.c finds them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kernel-internal.h"
#include "resv.h"
#include "sysfs.h"

typedef unsigned long long ull;

#define TMPFS_MAGIC_ 0x01021994
#define HUGETLBFS_MAGIC_ 0x958458f6

const char *kernel_errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" },	      { ENOENT, "ENOENT" },
		{ EIO, "EIO" },		      { ENXIO, "ENXIO" },
		{ E2BIG, "E2BIG" },	      { EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" },	      { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" },	      { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" },	      { EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" },	      { EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" },	      { ENOTTY, "ENOTTY" },
		{ EDEADLK, "EDEADLK" },	      { EOVERFLOW, "EOVERFLOW" },
		{ EMSGSIZE, "EMSGSIZE" },     { EOPNOTSUPP, "EOPNOTSUPP" },
		{ EADDRINUSE, "EADDRINUSE" }, { EALREADY, "EALREADY" },
	};
	static __thread char buf[24];

	if (err < 0)
		err = -err;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

int kexplained(int rc, const char *ioctl)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
	return ioasid_fail(rc, "%s (%s: %s)", msg, ioctl, kernel_errno_name(rc));
}

/* @ioctl failed with @rc although @fact (printf-like) holds: say so. */
static int __attribute__((format(printf, 3, 4)))
kcontradicted(int rc, const char *ioctl, const char *fact, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fact);
	vsnprintf(what, sizeof(what), fact, ap);
	va_end(ap);
	ioasid_fail(rc,
		    "the kernel refused %s with %s although %s: a failure inside the kernel (an allocation, or a fault injection)",
		    ioctl, kernel_errno_name(rc), what);
	return kexplained(rc, ioctl);
}

/* ------------------------------------------------------------------ */
/* What the kernel says of an IOAS                                      */

struct kranges {
	struct ioasid_iova_range *v;
	uint32_t n;
	uint64_t align;
};

/* IOMMU_IOAS_IOVA_RANGES, all of them.  Return: 0, -ENOENT (no such
 * IOAS), or another negative errno. */
static int get_ranges(struct kernel_be *be, uint32_t ioas_id, struct kranges *r)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
	};

	memset(r, 0, sizeof(*r));
	for (int tries = 0; tries < 4; tries++) {
		int rc;

		cmd.num_iovas = r->n;
		cmd.allowed_iovas = (uintptr_t)r->v;
		rc = kernel_ioctl(be->fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
		if (rc == 0) {
			r->n = cmd.num_iovas;
			r->align = cmd.out_iova_alignment ? cmd.out_iova_alignment : 1;
			return 0;
		}
		free(r->v);
		r->v = NULL;
		if (rc != -EMSGSIZE)
			return rc;
		r->n = cmd.num_iovas;
		r->v = calloc(r->n ? r->n : 1, sizeof(*r->v));
		if (!r->v)
			return -ENOMEM;
	}
	free(r->v);
	r->v = NULL;
	return -EAGAIN;
}

/* Whether a usable range meets [start, last]: then it is not reserved. */
static bool usable_meets(const struct kranges *r, uint64_t start, uint64_t last)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (r->v[i].start <= last && r->v[i].last >= start)
			return true;
	return false;
}

/* The first reserved span (a hole between the usable ranges, which come
 * sorted) that meets [start, last]. */
static bool reserved_span(const struct kranges *r, uint64_t start, uint64_t last,
			  uint64_t *s, uint64_t *l)
{
	uint64_t cur = 0;

	for (uint32_t i = 0; i <= r->n; i++) {
		uint64_t hs = cur, hl;

		if (i < r->n) {
			if (r->v[i].start == cur) {
				if (r->v[i].last == UINT64_MAX)
					return false;
				cur = r->v[i].last + 1;
				continue;
			}
			hl = r->v[i].start - 1;
		} else {
			hl = UINT64_MAX;
		}
		if (hs <= last && hl >= start) {
			*s = hs;
			*l = hl;
			return true;
		}
		if (i == r->n || r->v[i].last == UINT64_MAX)
			return false;
		cur = r->v[i].last + 1;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Reserved regions and their owners                                    */

struct kresv {
	struct explain_resv e;
	uint64_t seq; /* a later one wins a tie, as the simulator's list */
};

struct kresv_list {
	struct kresv *v;
	uint32_t n, cap;
};

static struct kresv *resv_push(struct kresv_list *l, uint64_t start,
			       uint64_t last, enum ioasid_resv_type type,
			       uint64_t seq)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 8;
		struct kresv *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = (struct kresv){
		.e = { .start = start, .last = last, .type = type },
		.seq = seq,
	};
	return &l->v[l->n++];
}

/* The regions outside the aperture of the IOMMU behind device @dev: of
 * HWPT @hwpt_id, or with 0 of the new one being added. */
static void add_aperture(struct kernel_be *be, struct kresv_list *l,
			 const char *dev, uint32_t hwpt_id, uint64_t seq)
{
	struct ioasid_iommu_info info = { .sz = sizeof(info) };
	struct kresv *r;

	if (!dev[0] || kernel_iommu_info(be, dev, &info) ||
	    !(info.flags & IOASID_IOMMU_APERTURE_KNOWN))
		return;
	if (info.aperture_start &&
	    (r = resv_push(l, 0, info.aperture_start - 1, IOASID_RESV_RESERVED, seq))) {
		if (hwpt_id)
			explain_owner_aperture(&r->e, hwpt_id);
		else
			explain_owner_new_aperture(&r->e);
	}
	if (info.aperture_last != UINT64_MAX &&
	    (r = resv_push(l, info.aperture_last + 1, UINT64_MAX,
			   IOASID_RESV_RESERVED, seq))) {
		if (hwpt_id)
			explain_owner_aperture(&r->e, hwpt_id);
		else
			explain_owner_new_aperture(&r->e);
	}
}

/* The regions sysfs gives the device's group, but direct-relaxable ones
 * (iopt_table_enforce_dev_resv_regions()); mocks have none. */
static void add_device(struct kresv_list *l, const struct kernel_dev *dev,
		       uint64_t seq)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_resv_region *v;
	uint32_t n = 0;

	if (dev->kind == IOASID_DEV_MOCK ||
	    ioasid_sysfs_dev_info_get(dev->name, &info) || info.group < 0)
		return;
	if (ioasid_sysfs_group_resv_regions(info.group, NULL, &n) != -EMSGSIZE || !n)
		return;
	v = calloc(n, sizeof(*v));
	if (!v)
		return;
	if (ioasid_sysfs_group_resv_regions(info.group, v, &n) == 0)
		for (uint32_t i = 0; i < n; i++) {
			struct kresv *r;

			if (v[i].type == IOASID_RESV_DIRECT_RELAXABLE)
				continue;
			r = resv_push(l, v[i].start, v[i].last, v[i].type, seq);
			if (r)
				explain_owner_device(&r->e, dev->name);
		}
	free(v);
}

/* Every region the record says IOAS @ioas_id holds: the apertures of its
 * HWPTs and the regions of the devices on them. */
static void ioas_regions(struct kernel_be *be, uint32_t ioas_id,
			 struct kresv_list *l)
{
	for (const struct kernel_hwpt *h = be->hwpts; h; h = h->next)
		if (h->ioas_id == ioas_id)
			add_aperture(be, l, h->dev, h->id, h->seq);
	for (const struct kernel_dev *d = be->devs; d; d = d->next) {
		const struct kernel_hwpt *h = d->hwpt ? krec_hwpt(be, d->hwpt) : NULL;

		if (h && h->ioas_id == ioas_id)
			add_device(l, d, d->attach_seq);
	}
}

/* The region the simulator would name for [start, last]
 * (sim_resv_find(): the lowest start, the latest of equals) among those
 * the usable ranges confirm. */
static const struct kresv *resv_pick(const struct kresv_list *l,
				     const struct kranges *r, uint64_t start,
				     uint64_t last)
{
	const struct kresv *best = NULL;

	for (uint32_t i = 0; i < l->n; i++) {
		const struct kresv *c = &l->v[i];

		if (c->e.start > last || c->e.last < start ||
		    usable_meets(r, c->e.start, c->e.last))
			continue;
		if (!best || c->e.start < best->e.start ||
		    (c->e.start == best->e.start && c->seq > best->seq))
			best = c;
	}
	return best;
}

/* EINVAL for [iova, iova + length) over reserved IOVA: 1 explained, 0
 * if the range is not reserved. */
static int explain_reserved(struct kernel_be *be, const struct kranges *r,
			    uint32_t ioas_id, uint64_t iova, uint64_t length)
{
	uint64_t last = iova + length - 1, s, l;
	struct kresv_list list = { 0 };
	const struct kresv *p;

	if (!reserved_span(r, iova, last, &s, &l))
		return 0;
	ioas_regions(be, ioas_id, &list);
	p = resv_pick(&list, r, iova, last);
	if (p)
		explain_map_reserved(iova, length, &p->e);
	else
		explain_map_reserved_unknown(iova, length, s, l, ioas_id);
	free(list.v);
	return 1;
}

static bool new_domain_conflict(struct kernel_be *be, struct kernel_ioas *rec,
				const struct kernel_dev *dev);

/* ------------------------------------------------------------------ */
/* Objects                                                              */

int kexplain_missing(struct kernel_be *be, int rc, const char *ioctl,
		     uint32_t id, const char *want)
{
	const char *kind = krec_kind(be, id);

	if (kind && !strstr(want, kind))
		explain_wrong_type(rc, id, kind, want);
	else
		explain_no_object(rc, want, id);
	return kexplained(rc, ioctl);
}

/* Whether IOAS @ioas_id exists: 1, 0 (IOMMU_IOAS_IOVA_RANGES says
 * ENOENT), or a negative errno (it cannot tell). */
static int ioas_exists(struct kernel_be *be, uint32_t ioas_id)
{
	struct kranges r;
	int got = get_ranges(be, ioas_id, &r);

	free(r.v);
	return got == 0 ? 1 : got == -ENOENT ? 0 : got;
}

/* ENOENT from a call on IOAS @ioas_id: explained if it is missing.
 * @only: the call has no other ENOENT of its own (map, allow): an id the
 * record does not have as an IOAS is missing; one it has is asked about,
 * and if it exists the kernel failed inside (a failed allocation can end
 * as ENOENT).  Without @only an IOAS the record knows is taken to exist
 * (the call's other ENOENTs are for the caller to explain), and one it
 * does not know is asked about. */
static int missing_ioas(struct kernel_be *be, int rc, const char *ioctl,
			uint32_t ioas_id, bool only)
{
	const char *kind = krec_kind(be, ioas_id);
	bool is_ioas = kind && !strcmp(kind, "ioas");
	int got;

	if (!only && is_ioas)
		return 0;
	if (only && !is_ioas)
		return kexplain_missing(be, rc, ioctl, ioas_id, "ioas");
	got = ioas_exists(be, ioas_id);
	if (got == 0)
		return kexplain_missing(be, rc, ioctl, ioas_id, "ioas");
	if (only && got == 1)
		return kcontradicted(rc, ioctl, "ioas %u exists in this context", ioas_id);
	return 0;
}

int kexplain_ranges(struct kernel_be *be, int rc, uint32_t ioas_id)
{
	static const char ioctl[] = "IOMMU_IOAS_IOVA_RANGES";
	const char *kind = krec_kind(be, ioas_id);

	if (rc != -ENOENT)
		return 0;
	/* An IOAS of the record: asked again, it may answer. */
	if (kind && !strcmp(kind, "ioas")) {
		int got = ioas_exists(be, ioas_id);

		if (got == 1)
			return kcontradicted(rc, ioctl, "ioas %u exists in this context",
					     ioas_id);
		if (got < 0)
			return 0;
	}
	return kexplain_missing(be, rc, ioctl, ioas_id, "ioas");
}

int kexplain_destroy_busy(struct kernel_be *be, uint32_t id,
			  enum ioasid_obj_type type)
{
	const struct kernel_dev *holder = NULL;

	if (type == IOASID_OBJ_IOAS) {
		/* The IOAS's first HWPT, as the simulator's list. */
		const struct kernel_hwpt *first = NULL;

		for (const struct kernel_hwpt *h = be->hwpts; h; h = h->next)
			if (h->ioas_id == id && (!first || h->seq < first->seq))
				first = h;
		if (!first)
			return 0;
		explain_ioas_busy_hwpt(id, first->id);
		return kexplained(-EBUSY, "IOMMU_DESTROY");
	}
	for (const struct kernel_hwpt *h = be->hwpts; h; h = h->next)
		if (h->parent == id) {
			explain_hwpt_busy_parent(id);
			return kexplained(-EBUSY, "IOMMU_DESTROY");
		}
	/* The device opened first (the list is newest first). */
	for (const struct kernel_dev *d = be->devs; d; d = d->next)
		if (d->hwpt == id)
			holder = d;
	if (!holder)
		return 0;
	explain_hwpt_busy_device(id, holder->name);
	return kexplained(-EBUSY, "IOMMU_DESTROY");
}

int kexplain_hwpt_alloc(struct kernel_be *be, int rc, uint32_t dev_id,
			uint32_t pt_id)
{
	const char *kind;
	struct kranges r;
	int got;

	if (rc == -ENOENT) {
		for (const struct kernel_dev *d = be->devs; d; d = d->next)
			if (d->bound && d->dev_id == dev_id)
				return 0;
		explain_no_device_id(dev_id);
		return kexplained(rc, "IOMMU_HWPT_ALLOC");
	}
	if (rc == -EADDRINUSE) {
		/* iopt_table_add_domain(): the new domain's granule and
		 * aperture against the IOAS's mappings and allowed ranges. */
		struct kernel_ioas *rec = krec_ioas(be, pt_id, false);
		const struct kernel_dev *dev = NULL;

		for (const struct kernel_dev *d = be->devs; d; d = d->next)
			if (d->bound && d->dev_id == dev_id)
				dev = d;
		if (!rec || !dev || !new_domain_conflict(be, rec, dev))
			return 0;
		return kexplained(rc, "IOMMU_HWPT_ALLOC");
	}
	if (rc != -EINVAL)
		return 0;
	/* iommufd_hwpt_alloc(): a pt that is not an IOAS, HWPT or vIOMMU. */
	got = get_ranges(be, pt_id, &r);
	free(r.v);
	kind = krec_kind(be, pt_id);
	if (got != -ENOENT || (kind && (!strcmp(kind, "hwpt") || !strcmp(kind, "viommu"))))
		return 0;
	if (kind && strcmp(kind, "ioas"))
		explain_wrong_type(rc, pt_id, kind, "ioas");
	else
		explain_no_object(rc, "ioas", pt_id);
	return kexplained(rc, "IOMMU_HWPT_ALLOC");
}

/* ------------------------------------------------------------------ */
/* Map and copy                                                         */

/* io_pagetable.c iopt_alloc_iova(): a chosen IOVA keeps the alignment
 * of the buffer's address, capped by the length rounded up to a power of
 * two and by the huge page size (a PMD's worth of CPU pages). */
static uint64_t alloc_align(uint64_t addr, uint64_t length)
{
	uint64_t page = ioasid_page_size(), hpage = page * (page / 8), a = 1;

	while (a < length && a < (1ull << 62))
		a <<= 1;
	if (addr && (addr & -addr) < a)
		a = addr & -addr;
	return a >= hpage ? hpage : a;
}

/* Whether every page of [va, va + length) is mapped (what the simulator
 * checks, sim_pages_check()). */
static bool user_mapped(uint64_t va, uint64_t length)
{
	uint64_t page = ioasid_page_size(), lo = va & ~(page - 1);

	return !msync((void *)(uintptr_t)lo, va + length - lo, MS_ASYNC);
}

/* Whether a mapping of /proc/self/maps in [va, va + length) lacks write
 * permission. */
static bool user_read_only(uint64_t va, uint64_t length)
{
	FILE *f = fopen("/proc/self/maps", "re");
	uint64_t last = va + length - 1;
	char line[512];
	bool ro = false;

	if (!f)
		return false;
	while (!ro && fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &s, &e, perms) == 3 &&
		    s <= last && e > va && perms[1] != 'w')
			ro = true;
	}
	fclose(f);
	return ro;
}

int kexplain_map(struct kernel_be *be, int rc, const char *ioctl,
		 uint32_t ioas_id, uint32_t flags, int fd, uint64_t addr,
		 uint64_t length, uint64_t iova)
{
	bool any = flags & IOASID_MAP_ANY_IOVA;
	bool file = !strcmp(ioctl, "IOMMU_IOAS_MAP_FILE");
	uint64_t page = ioasid_page_size(), align;
	struct kranges r;
	int done = 0;

	switch (rc) {
	case -ENOENT:
		return missing_ioas(be, rc, ioctl, ioas_id, true);
	case -EOVERFLOW:
		/* iopt_alloc_user_pages() / iopt_map_file_pages(), then
		 * iopt_alloc_iova() or iopt_check_iova(). */
		if (!file && addr > UINT64_MAX - length)
			explain_overflow("va", addr, length);
		else if (file && length && addr > UINT64_MAX - (length - 1))
			explain_overflow("file offset", addr, length);
		else if (any && length >= UINT64_MAX / 2)
			explain_length_too_large(length);
		else if (!any && length && iova > UINT64_MAX - (length - 1))
			explain_overflow("iova", iova, length);
		else
			return 0;
		return kexplained(rc, ioctl);
	case -EBADF:
		if (!file || fcntl(fd, F_GETFD) >= 0)
			return 0;
		explain_bad_fd(fd);
		return kexplained(rc, ioctl);
	case -EEXIST: {
		struct kernel_ioas *rec = krec_ioas(be, ioas_id, false);
		struct itree_iter n;

		if (any || !length)
			return 0;
		if (rec && itree_first_overlap(krec_areas(rec), iova, iova + length - 1, &n))
			explain_map_exists(iova, length, n.start, n.last, ioas_id);
		else
			explain_map_exists_unknown(iova, length, ioas_id);
		return kexplained(rc, ioctl);
	}
	case -ENOSPC:
		if (!any)
			return 0;
		explain_no_space(length, alloc_align(addr, length), ioas_id);
		return kexplained(rc, ioctl);
	case -EFAULT: {
		if (file || !length)
			return 0;
		if (!user_mapped(addr, length))
			explain_not_memory(addr, length);
		else if ((flags & IOASID_MAP_WRITE) && user_read_only(addr, length))
			explain_read_only_memory(addr, length);
		else
			return 0;
		return kexplained(rc, ioctl);
	}
	case -ENOMEM: {
		char what[96];

		snprintf(what, sizeof(what), "%s %#llx+%#llx",
			 file ? "file offset" : "va", (ull)addr, (ull)length);
		return kexplain_pin(be, rc, ioctl, what, length);
	}
	case -EINVAL:
		break;
	default:
		return 0;
	}

	/* EINVAL, in the kernel's order: the pages (iopt_alloc_pages()),
	 * the length (iopt_alloc_area_pages()), the IOVA (iopt_alloc_iova()
	 * or iopt_check_iova()), the area (iopt_insert_area()), pinning. */
	if (!length) {
		if (file)
			explain_length_zero();
		else
			explain_bad_length(length);
		return kexplained(rc, ioctl);
	}
	if (length > SIZE_MAX - page) {
		explain_bad_length(length);
		return kexplained(rc, ioctl);
	}
	if (get_ranges(be, ioas_id, &r))
		return 0;
	align = r.align;
	if (length & (align - 1))
		done = (explain_length_unaligned(length, align, ioas_id), 1);
	else if (any && alloc_align(addr, length) < align)
		done = (explain_any_iova_unaligned(addr, length, align, ioas_id), 1);
	else if (!any && (iova & (align - 1)))
		done = (explain_iova_unaligned(iova, align, ioas_id), 1);
	else if (!any)
		done = explain_reserved(be, &r, ioas_id, iova, length);
	if (!done && ((addr % page) & (align - 1)))
		done = (explain_page_offset(addr % page, align), 1);
	if (!done && file) {
		struct statfs fs;
		struct stat st;

		if (fstatfs(fd, &fs) == 0 && fstat(fd, &st) == 0) {
			if (fs.f_type != TMPFS_MAGIC_ && fs.f_type != HUGETLBFS_MAGIC_)
				done = (explain_file_not_memfd(), 1);
			else if (addr + length - 1 >= (uint64_t)st.st_size)
				done = (explain_file_short(addr, addr + length - 1,
							   (uint64_t)st.st_size), 1);
		}
	}
	free(r.v);
	return done ? kexplained(rc, ioctl) : 0;
}

int kexplain_copy(struct kernel_be *be, int rc, uint32_t dst_id,
		  uint32_t src_id, uint32_t flags, uint64_t length,
		  uint64_t dst_iova, uint64_t src_iova)
{
	static const char ioctl[] = "IOMMU_IOAS_COPY";
	bool any = flags & IOASID_MAP_ANY_IOVA;
	struct kernel_ioas *src = krec_ioas(be, src_id, false);
	uint64_t last = src_iova + length - 1;
	struct kranges r;
	int done = 0;

	switch (rc) {
	case -ENOENT: {
		/* ioas.c iommufd_ioas_copy(): the source, its pages
		 * (iopt_get_pages()), then the destination. */
		struct itree_iter n;
		uint64_t cur = src_iova;
		bool more;

		if (missing_ioas(be, rc, ioctl, src_id, false))
			return rc;
		if (src && src->complete && length && src_iova <= UINT64_MAX - (length - 1)) {
			more = itree_first_overlap(krec_areas(src), src_iova, last, &n);
			while (more && n.start <= cur) {
				if (n.last >= last)
					break;
				cur = n.last + 1;
				more = itree_next(&n);
			}
			if (!more || n.start > cur) {
				explain_copy_hole(src_iova, last, src_id);
				return kexplained(rc, ioctl);
			}
		}
		if (missing_ioas(be, rc, ioctl, dst_id, false))
			return rc;
		/* Both IOASes exist and the record has the source range
		 * mapped in full: the kernel has no ENOENT of its own left. */
		if (src && src->complete && length && src_iova <= UINT64_MAX - (length - 1) &&
		    krec_ioas(be, dst_id, false) && ioas_exists(be, src_id) == 1 &&
		    ioas_exists(be, dst_id) == 1)
			return kcontradicted(rc, ioctl,
					     "ioas %u and ioas %u exist in this context and %#llx-%#llx of ioas %u is mapped",
					     src_id, dst_id, (ull)src_iova, (ull)last, src_id);
		return 0;
	}
	case -EOVERFLOW:
		if (length && src_iova > UINT64_MAX - (length - 1))
			explain_overflow("iova", src_iova, length);
		else if (!any && length && dst_iova > UINT64_MAX - (length - 1))
			explain_overflow("iova", dst_iova, length);
		else
			return 0;
		return kexplained(rc, ioctl);
	case -EEXIST: {
		struct kernel_ioas *dst = krec_ioas(be, dst_id, false);
		struct itree_iter n;

		if (any || !length)
			return 0;
		if (dst && itree_first_overlap(krec_areas(dst), dst_iova, dst_iova + length - 1, &n))
			explain_map_exists(dst_iova, length, n.start, n.last, dst_id);
		else
			explain_map_exists_unknown(dst_iova, length, dst_id);
		return kexplained(rc, ioctl);
	}
	case -EPERM: {
		/* iopt_insert_area(): a writable copy of a read-only area. */
		struct itree_iter n;

		if (!(flags & IOASID_MAP_WRITE) || !src || any)
			return 0;
		for (bool more = itree_first_overlap(krec_areas(src), src_iova, last, &n);
		     more && n.start <= last; more = itree_next(&n))
			if (!krec_area_writable(n.value)) {
				uint64_t at = n.start > src_iova ? n.start : src_iova;

				explain_not_writable(dst_iova + (at - src_iova));
				return kexplained(rc, ioctl);
			}
		return 0;
	}
	case -ENOMEM: {
		char what[96];

		snprintf(what, sizeof(what), "iova %#llx+%#llx of ioas %u",
			 (ull)src_iova, (ull)length, src_id);
		return kexplain_pin(be, rc, ioctl, what, length);
	}
	case -EINVAL:
		break;
	default:
		return 0;
	}
	if (!length) {
		explain_length_zero();
		return kexplained(rc, ioctl);
	}
	if (get_ranges(be, dst_id, &r))
		return 0;
	if (length & (r.align - 1))
		done = (explain_length_unaligned(length, r.align, dst_id), 1);
	else if (!any && (dst_iova & (r.align - 1)))
		done = (explain_iova_unaligned(dst_iova, r.align, dst_id), 1);
	else if (!any)
		done = explain_reserved(be, &r, dst_id, dst_iova, length);
	free(r.v);
	return done ? kexplained(rc, ioctl) : 0;
}

/* ------------------------------------------------------------------ */
/* Unmap                                                                */

int kexplain_unmap(struct kernel_be *be, int rc, uint32_t ioas_id,
		   uint64_t iova, uint64_t length)
{
	static const char ioctl[] = "IOMMU_IOAS_UNMAP";
	bool all = iova == 0 && length == UINT64_MAX;
	struct kernel_ioas *rec;
	uint64_t a, b, bytes;

	switch (rc) {
	case -ENOENT:
		if (missing_ioas(be, rc, ioctl, ioas_id, false))
			return rc;
		rec = krec_ioas(be, ioas_id, false);
		if (all || !rec || !length || iova > UINT64_MAX - (length - 1))
			return 0;
		/* The kernel's walk removed what came before the area it
		 * stopped at: so does the record's. */
		if (krec_unmap_walk(be, ioas_id, iova, iova + length - 1, &a, &b, &bytes)) {
			explain_unmap_split(iova, iova + length - 1, a, b, ioas_id);
			return kexplained(rc, ioctl);
		}
		if (!bytes && rec->complete) {
			explain_unmap_nothing(iova, length, ioas_id);
			return kexplained(rc, ioctl);
		}
		if (bytes && rec->complete) {
			/* The record has whole mappings there and nothing
			 * split: the kernel had no ENOENT of its own (its
			 * failed walk may have left them all mapped). */
			rec->complete = false;
			if (ioas_exists(be, ioas_id) == 1)
				return kcontradicted(rc, ioctl,
						     "this context mapped %#llx-%#llx of ioas %u in whole mappings",
						     (ull)iova, (ull)(iova + length - 1), ioas_id);
			return 0;
		}
		rec->complete = false;
		return 0;
	case -EINVAL:
		if (all || length)
			return 0;
		explain_length_zero();
		return kexplained(rc, ioctl);
	case -EOVERFLOW:
		if (all)
			return 0;
		if (iova == UINT64_MAX || length == UINT64_MAX)
			explain_unmap_too_large();
		else if (length && iova > UINT64_MAX - (length - 1))
			explain_overflow("iova", iova, length);
		else
			return 0;
		return kexplained(rc, ioctl);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Allowed IOVAs                                                        */

static int cmp_range(const void *a, const void *b)
{
	const struct ioasid_iova_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int kexplain_allow(struct kernel_be *be, int rc, uint32_t ioas_id,
		   const struct ioasid_iova_range *ranges, uint32_t num)
{
	static const char ioctl[] = "IOMMU_IOAS_ALLOW_IOVAS";
	struct ioasid_iova_range *sorted;
	struct kresv_list list = { 0 };
	struct kranges r;
	int done = 0;

	switch (rc) {
	case -ENOENT:
		return missing_ioas(be, rc, ioctl, ioas_id, true);
	case -EINVAL:
		/* ioas.c iommufd_ioas_load_iovas(), in the caller's order. */
		for (uint32_t i = 0; i < num; i++) {
			if (ranges[i].start >= ranges[i].last) {
				explain_allow_inverted(i, ranges[i].start, ranges[i].last);
				return kexplained(rc, ioctl);
			}
			for (uint32_t j = 0; j < i; j++)
				if (ranges[j].start <= ranges[i].last &&
				    ranges[j].last >= ranges[i].start) {
					explain_allow_overlap(i, ranges[i].start,
							      ranges[i].last);
					return kexplained(rc, ioctl);
				}
		}
		return 0;
	case -EADDRINUSE:
		break;
	default:
		return 0;
	}
	/* io_pagetable.c iopt_set_allow_iova(): the ranges in order of
	 * their start, each against the reserved regions. */
	if (!num || get_ranges(be, ioas_id, &r))
		return 0;
	sorted = malloc(num * sizeof(*sorted));
	if (!sorted) {
		free(r.v);
		return 0;
	}
	memcpy(sorted, ranges, num * sizeof(*sorted));
	qsort(sorted, num, sizeof(*sorted), cmp_range);
	ioas_regions(be, ioas_id, &list);
	for (uint32_t i = 0; i < num && !done; i++) {
		const struct kresv *p = resv_pick(&list, &r, sorted[i].start, sorted[i].last);
		uint64_t s, l;

		if (p)
			done = (explain_allow_reserved(sorted[i].start, sorted[i].last, &p->e), 1);
		else if (reserved_span(&r, sorted[i].start, sorted[i].last, &s, &l))
			done = (explain_allow_reserved_unknown(sorted[i].start, sorted[i].last,
							       s, l, ioas_id), 1);
	}
	free(list.v);
	free(sorted);
	free(r.v);
	return done ? kexplained(rc, ioctl) : 0;
}

/* ------------------------------------------------------------------ */
/* Attach                                                               */

/* A region about to be reserved in IOAS @rec meets a mapping or an
 * allowed range (io_pagetable.c iopt_reserve_iova()). */
static bool reserve_conflict(struct kernel_ioas *rec,
			     const struct explain_resv *e)
{
	struct itree_iter n;

	if (itree_first_overlap(krec_areas(rec), e->start, e->last, &n)) {
		explain_reserve_mapped(e, n.start, n.last, rec->id);
		return true;
	}
	for (uint32_t i = 0; rec->allowed_known && i < rec->num_allowed; i++)
		if (rec->allowed[i].start <= e->last && rec->allowed[i].last >= e->start) {
			explain_reserve_allowed(e, rec->allowed[i].start,
						rec->allowed[i].last, rec->id);
			return true;
		}
	return false;
}

/* io_pagetable.c iopt_check_iova_alignment(): a new domain's granule
 * raises the IOAS's alignment, which every mapping must keep. */
static bool alignment_conflict(struct kernel_be *be, struct kernel_ioas *rec,
			       const struct kernel_dev *dev)
{
	struct ioasid_iommu_info info = { .sz = sizeof(info) };
	struct itree_iter n;
	struct kranges r;
	uint64_t align;

	if (kernel_iommu_info(be, dev->name, &info) ||
	    !(info.flags & IOASID_IOMMU_PAGE_SIZES_KNOWN) || !info.page_sizes ||
	    get_ranges(be, rec->id, &r))
		return false;
	free(r.v);
	align = info.page_sizes & -info.page_sizes;
	if (align <= r.align)
		return false;
	for (bool more = itree_first(krec_areas(rec), &n); more; more = itree_next(&n))
		if ((n.start & (align - 1)) || ((n.last - n.start + 1) & (align - 1))) {
			explain_mapping_unaligned(n.start, n.last, rec->id, align);
			return true;
		}
	return false;
}

/* io_pagetable.c iopt_table_add_domain() for a new domain of @dev's
 * IOMMU: its granule, then its aperture. */
static bool new_domain_conflict(struct kernel_be *be, struct kernel_ioas *rec,
				const struct kernel_dev *dev)
{
	struct kresv_list l = { 0 };
	bool done = alignment_conflict(be, rec, dev);

	if (!done)
		add_aperture(be, &l, dev->name, 0, 0);
	for (uint32_t i = 0; i < l.n && !done; i++)
		done = reserve_conflict(rec, &l.v[i].e);
	free(l.v);
	return done;
}

int kexplain_attach(struct kernel_be *be, int rc, const char *ioctl,
		    struct kernel_dev *dev, uint32_t pt_id)
{
	const char *kind = krec_kind(be, pt_id);
	const struct kernel_hwpt *h;
	struct kernel_ioas *rec;
	struct kresv_list dl = { 0 };
	bool fresh = false, replace, done = false;
	uint32_t ioas_id;

	switch (rc) {
	case -ENOENT:
		/* device.c iommufd_device_change_pt(): no object at all.  An
		 * IOAS the kernel answers for, or a HWPT the record has,
		 * exists. */
		if (kind && !strcmp(kind, "ioas")) {
			int got = ioas_exists(be, pt_id);

			if (got == 1)
				return kcontradicted(rc, ioctl, "ioas %u exists in this context",
						     pt_id);
			if (got < 0)
				return 0;
		} else if (kind && !strcmp(kind, "hwpt")) {
			return kcontradicted(rc, ioctl, "hwpt %u exists in this context", pt_id);
		}
		explain_no_object(rc, "ioas or hwpt", pt_id);
		return kexplained(rc, ioctl);
	case -EFAULT:
		/* The only memory an attach reads or writes is its command. */
		return kcontradicted(rc, ioctl,
				     "the only memory it reads or writes is the library's own command");
	case -EINVAL:
		/* A mock device without flags takes any IOAS (the mock
		 * driver's domains fit it, iommufd_device_auto_get_domain()
		 * makes one if need be): an EINVAL there is the kernel's. */
		if (kind && !strcmp(kind, "ioas") && dev->kind == IOASID_DEV_MOCK &&
		    !dev->mock_flags && ioas_exists(be, pt_id) == 1)
			return kcontradicted(rc, ioctl,
					     "ioas %u exists in this context and mock device %s, without flags, can join any IOAS",
					     pt_id, dev->name);
		if (!kind || !strcmp(kind, "ioas") || !strcmp(kind, "hwpt"))
			return 0;
		explain_wrong_type(rc, pt_id, kind, "ioas or hwpt");
		return kexplained(rc, ioctl);
	case -ENOMEM: {
		char what[64];

		snprintf(what, sizeof(what), "the mappings of the ioas of pt %u", pt_id);
		return kexplain_pin(be, rc, ioctl, what, 0);
	}
	case -EADDRINUSE:
		break;
	default:
		return 0;
	}
	/* The IOAS the device joins, and whether a new automatic domain
	 * joins it too (iommufd_device_auto_get_domain() tries the IOAS's
	 * own first). */
	if (kind && !strcmp(kind, "ioas")) {
		ioas_id = pt_id;
		fresh = true;
		for (h = be->hwpts; h; h = h->next)
			if (h->ioas_id == ioas_id && h->autodomain)
				fresh = false;
	} else if ((h = krec_hwpt(be, pt_id)) && h->ioas_id) {
		ioas_id = h->ioas_id;
	} else {
		return 0;
	}
	rec = krec_ioas(be, ioas_id, false);
	if (!rec)
		return 0;
	/* A replace adds the new domain first, an attach the device's
	 * regions first (the simulator's auto_get_domain()); a mock is
	 * always replaced. */
	replace = dev->kind == IOASID_DEV_MOCK || dev->hwpt;
	add_device(&dl, dev, 0);
	for (int pass = 0; pass < 2 && !done; pass++) {
		if (replace == (pass == 0)) {
			done = fresh && new_domain_conflict(be, rec, dev);
			continue;
		}
		for (uint32_t i = 0; i < dl.n && !done; i++)
			done = reserve_conflict(rec, &dl.v[i].e);
	}
	free(dl.v);
	return done ? kexplained(rc, ioctl) : 0;
}

/* ------------------------------------------------------------------ */
/* Limits and isolation                                                 */

/* A "Name:  value" line of /proc/self/status, in KiB or as hex (CapEff). */
static bool status_field(const char *name, unsigned long long *val, int base)
{
	FILE *f = fopen("/proc/self/status", "re");
	size_t len = strlen(name);
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			found = sscanf(line + len + 1, base == 16 ? "%llx" : "%llu", val) == 1;
	fclose(f);
	return found;
}

int kexplain_pin(struct kernel_be *be, int rc, const char *ioctl,
		 const char *what, uint64_t length)
{
	unsigned long long caps = 0, pinned = 0;
	bool ipc_lock = status_field("CapEff", &caps, 16) && (caps & (1ull << 14));
	bool have_pinned = status_field("VmPin", &pinned, 10);
	struct rlimit lim;
	char amount[40] = "";

	(void)be;
	if (rc != -ENOMEM)
		return 0;
	if (length)
		snprintf(amount, sizeof(amount), " (%llu KiB)",
			 (unsigned long long)((length + 1023) / 1024));
	if (getrlimit(RLIMIT_MEMLOCK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
	    !ipc_lock) {
		char now[48] = "";

		if (have_pinned)
			snprintf(now, sizeof(now), "; this process pins %llu KiB", pinned);
		ioasid_fail(rc,
			    "pinning %s%s exceeds the locked-memory limit RLIMIT_MEMLOCK of %llu KiB%s: raise it (ulimit -l, LimitMEMLOCK= of a systemd unit, memlock in limits.conf); with IOMMU_OPTION_RLIMIT_MODE 0 (the default) every process of the user counts, and a manager with CAP_SYS_RESOURCE can count this process alone (IOMMU_OPTION_RLIMIT_MODE 1)",
			    what, amount, (unsigned long long)lim.rlim_cur / 1024, now);
	} else {
		ioasid_fail(rc,
			    "pinning %s%s: the kernel is out of memory (RLIMIT_MEMLOCK does not limit this process: %s)",
			    what, amount, ipc_lock ? "it has CAP_IPC_LOCK" : "unlimited");
	}
	return kexplained(rc, ioctl);
}

int kexplain_bind(struct kernel_be *be, int rc, struct kernel_dev *dev)
{
	char path[512], val[8] = "";
	FILE *f;

	(void)be;
	if (rc != -EPERM)
		return 0;
	snprintf(path, sizeof(path), "%s/module/iommufd/parameters/allow_unsafe_interrupts",
		 ioasid_sysfs_root());
	f = fopen(path, "re");
	if (f) {
		if (!fgets(val, sizeof(val), f))
			val[0] = '\0';
		fclose(f);
	}
	/* With unsafe interrupts allowed, EPERM is not about MSIs. */
	if (val[0] == 'Y' || val[0] == '1')
		return 0;
	ioasid_fail(rc,
		    "device %s: its IOMMU does not isolate MSIs (no interrupt remapping, or virtio-iommu on x86), so iommufd refuses it: the device could raise any host interrupt by DMA; enable interrupt remapping, or, trusting the device with that, set iommufd.allow_unsafe_interrupts=1 (%s; or write 1 to %s)",
		    dev->name, val[0] ? "now N" : "not readable here", path);
	return kexplained(rc, "VFIO_DEVICE_BIND_IOMMUFD");
}

/* ------------------------------------------------------------------ */
/* VFIO no-IOMMU mode                                                   */

/* Whether a noiommu device of this context (a noiommu-vfioN cdev) rests
 * on a HWPT of IOAS @ioas_id. */
static bool noiommu_dev_on(const struct kernel_be *be, uint32_t ioas_id)
{
	for (const struct kernel_dev *d = be->devs; d; d = d->next) {
		const char *base = strrchr(d->cdev, '/');
		const struct kernel_hwpt *h;

		base = base ? base + 1 : d->cdev;
		if (!d->hwpt || strncmp(base, "noiommu-", 8))
			continue;
		h = krec_hwpt(be, d->hwpt);
		if (h && h->ioas_id == ioas_id)
			return true;
	}
	return false;
}

/* Whether the record says for certain that nothing of IOAS @ioas_id is
 * mapped at @iova. */
static bool recorded_unmapped(struct kernel_be *be, uint32_t ioas_id,
			      uint64_t iova)
{
	struct kernel_ioas *rec = krec_ioas(be, ioas_id, false);
	struct itree_iter it;

	return rec && rec->complete && !itree_find(krec_areas(rec), iova, &it);
}

/* ioas.c iommufd_ioas_noiommu_get_pa(): CAP_SYS_RAWIO (EPERM) first, then
 * the IOAS (ENOENT); io_pagetable.c iopt_get_phys(): an area at @iova
 * (ENOENT), one whose storage domain is the no-IOMMU software table
 * (EOPNOTSUPP).  A kernel without CONFIG_IOMMUFD_NOIOMMU answers
 * EOPNOTSUPP to everything, a missing IOAS included. */
int kexplain_noiommu_get_pa(struct kernel_be *be, int rc, uint32_t ioas_id,
			    uint64_t iova)
{
	static const char ioctl[] = "IOMMU_IOAS_NOIOMMU_GET_PA";

	switch (rc) {
	case -EPERM:
		explain_noiommu_rawio();
		return kexplained(rc, ioctl);
	case -ENOENT:
		if (missing_ioas(be, rc, ioctl, ioas_id, false))
			return rc;
		if (!recorded_unmapped(be, ioas_id, iova))
			return 0;
		explain_noiommu_unmapped(iova, ioas_id);
		return kexplained(rc, ioctl);
	case -EOPNOTSUPP:
		if (ioas_exists(be, ioas_id) == 0 ||
		    recorded_unmapped(be, ioas_id, iova)) {
			explain_noiommu_no_config();
			return kexplained(rc, ioctl);
		}
		if (noiommu_dev_on(be, ioas_id))
			return 0;
		explain_noiommu_not_in_use(ioas_id);
		return kexplained(rc, ioctl);
	}
	return 0;
}
