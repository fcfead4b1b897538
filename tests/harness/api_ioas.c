// SPDX-License-Identifier: MIT
/*
 * IOAS objects through the public API, on the simulator and on the kernel
 * (tests/harness/harness.h): destroy, map, unmap, copy, usable ranges,
 * allow-lists and reserved IOVA, with the errno and message of every
 * failure, and the state after it.  The kernel facts are cited per test
 * (drivers/iommu/iommufd/, Linux 7.3); addresses come from the usable
 * ranges the backend reports (hx_base(), hx_ranges()).
 *
 * Replaces tests/vm/lib/mock.c's "errors" and "reserved" scenarios and the
 * sim-only cases of tests/unit/test_ioas.c that needed no topology of
 * their own.
 */
#include <sys/mman.h>

#include "harness.h"

/* An id nobody allocated. */
#define BAD_ID 4242u

/* An IOAS with device 0 attached: its id and usable ranges. */
static uint32_t ioas_with_dev(struct hx *h, struct hx_ranges *r)
{
	uint32_t ioas, hwpt = 0;

	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	HX_OK(ioasid_dev_attach(h->dev[0], ioas, &hwpt));
	HX_CHECK(hwpt != 0, "attach gave no hwpt");
	if (r)
		hx_ranges(h, ioas, r);
	return ioas;
}

/* ------------------------------------------------------------------ */
/* destroy                                                              */

/* iommufd_object_remove(): an id that names nothing is -ENOENT, so is 0
 * and an IOAS destroyed already; mappings do not keep an IOAS alive
 * (iommufd_ioas_destroy() unmaps); the auto domain of an attached device
 * does (-EBUSY), and nothing changes then. */
static void ioas_destroy(struct hx *h)
{
	struct hx_ranges before, after;
	uint32_t ioas, other;
	uint64_t base;

	HX_ERR(ENOENT, hx_dec(BAD_ID), ioasid_ioas_destroy(h->ctx, BAD_ID));
	HX_ERR(ENOENT, NULL, ioasid_ioas_destroy(h->ctx, 0));
	HX_OK(ioasid_ioas_alloc(h->ctx, &other));
	HX_OK(ioasid_ioas_destroy(h->ctx, other));
	HX_ERR(ENOENT, hx_dec(other), ioasid_ioas_destroy(h->ctx, other));

	HX_OK(ioasid_ioas_alloc(h->ctx, &other));
	base = hx_base(h, other, 4 * h->page);
	hx_map_at(h, other, h->buf, 2 * h->page, base);
	hx_map_at(h, other, h->buf, h->page, base + 2 * h->page);
	HX_OK(ioasid_ioas_destroy(h->ctx, other));
	HX_ERR(ENOENT, NULL,
	       ioasid_ioas_unmap(h->ctx, other, base, 2 * h->page, NULL));

	ioas = ioas_with_dev(h, &before);
	base = hx_base(h, ioas, h->page);
	hx_map_at(h, ioas, h->buf, h->page, base);
	HX_ERR(EBUSY, hx_dec(ioas), ioasid_ioas_destroy(h->ctx, ioas));
	HX_EQ(ioasid_dev_pt_id(h->dev[0]), ioas);
	HX_CHECK(hx_is_mapped(h, ioas, base, h->page), "the mapping went");
	hx_ranges(h, ioas, &after);
	HX_CHECK(hx_ranges_equal(&before, &after), "the ranges changed");
	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	HX_EXPECT_EMPTY(h);
}

/* ------------------------------------------------------------------ */
/* map                                                                  */

/* iommufd_ioas_map(): length 0 is -EINVAL (iopt_alloc_pages()); no
 * READ/WRITE is -EINVAL, unknown flag bits -EOPNOTSUPP; an unknown IOAS
 * -ENOENT (iommufd_get_ioas()); iova +
 * length - 1 wrapping -EOVERFLOW (iopt_check_iova()).  With nothing
 * attached the alignment is 1 (iopt_init_table()). */
static void map_args(struct hx *h)
{
	IOASID_OPTS(ioasid_map_opts, none, .flags = 0);
	IOASID_OPTS(ioasid_map_opts, any_only, .flags = IOASID_MAP_ANY_IOVA);
	IOASID_OPTS(ioasid_map_opts, unknown,
		    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE | (1u << 20));
	IOASID_OPTS(ioasid_map_opts, ro, .flags = IOASID_MAP_READ);
	IOASID_OPTS(ioasid_map_opts, wo, .flags = IOASID_MAP_WRITE);
	const uint64_t top = UINT64_MAX - h->page + 1;
	struct hx_ranges r;
	uint32_t ioas;
	uint64_t base, iova;

	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	hx_ranges(h, ioas, &r);
	HX_CHECK(r.num == 1 && r.r[0].start == 0 && r.r[0].last == UINT64_MAX &&
			 r.align == 1,
		 "an empty IOAS: %u ranges, the first 0x%llx-0x%llx, alignment 0x%llx",
		 r.num, (unsigned long long)r.r[0].start,
		 (unsigned long long)r.r[0].last, (unsigned long long)r.align);
	base = hx_base(h, ioas, 4 * h->page);
	iova = base;
	HX_ERR(EINVAL, "length", hx_map(h, ioas, h->buf, 0, base));
	HX_ERR(EINVAL, "read",
	       ioasid_ioas_map(h->ctx, ioas, h->buf, h->page, &iova, &none));
	HX_ERR(EINVAL, "read",
	       ioasid_ioas_map(h->ctx, ioas, h->buf, h->page, &iova, &any_only));
	HX_ERR(EOPNOTSUPP, "0x100000",
	       ioasid_ioas_map(h->ctx, ioas, h->buf, h->page, &iova, &unknown));
	HX_EQ(iova, base);
	HX_ERR(ENOENT, hx_dec(BAD_ID), hx_map(h, BAD_ID, h->buf, h->page, base));
	HX_ERR(EOVERFLOW, hx_hex(top), hx_map(h, ioas, h->buf, 2 * h->page, top));
	HX_ERR(EOVERFLOW, NULL, hx_map(h, ioas, h->buf, 1, UINT64_MAX));
	HX_CHECK(hx_is_free(h, ioas, base, 4 * h->page), "a failed map stayed");
	/* The last page itself is mappable: nothing is reserved. */
	hx_map_at(h, ioas, h->buf, h->page, top);
	/* Byte granular without a device. */
	hx_map_at(h, ioas, h->buf + h->page / 2, h->page / 2,
		  base + h->page / 2);
	/* One of READ and WRITE is enough. */
	iova = base + h->page;
	HX_OK(ioasid_ioas_map(h->ctx, ioas, h->buf, h->page, &iova, &ro));
	iova = base + 2 * h->page;
	HX_OK(ioasid_ioas_map(h->ctx, ioas, h->buf, h->page, &iova, &wo));
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
}

/* iopt_check_iova(): any intersection with an area is -EEXIST, the area
 * is left whole.  Selftest iommufd_ioas.area ("Over map fails"). */
static void map_overlap(struct hx *h)
{
	const uint64_t pg = h->page;
	uint32_t ioas;
	uint64_t a;

	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	a = hx_base(h, ioas, 8 * pg) + 2 * pg;
	hx_map_at(h, ioas, h->buf, 2 * pg, a);
	HX_ERR(EEXIST, hx_hex(a), hx_map(h, ioas, h->buf, 2 * pg, a));
	HX_ERR(EEXIST, hx_hex(a), hx_map(h, ioas, h->buf, pg, a));
	HX_ERR(EEXIST, hx_hex(a + pg), hx_map(h, ioas, h->buf, pg, a + pg));
	HX_ERR(EEXIST, hx_hex(a - pg), hx_map(h, ioas, h->buf, 2 * pg, a - pg));
	HX_ERR(EEXIST, hx_hex(a - pg), hx_map(h, ioas, h->buf, 4 * pg, a - pg));
	HX_ERR(EEXIST, hx_hex(a + pg - 1), hx_map(h, ioas, h->buf, 1, a + pg - 1));
	HX_CHECK(hx_is_mapped(h, ioas, a, 2 * pg), "the area is not whole");
	HX_CHECK(hx_is_free(h, ioas, a - pg, pg), "below the area");
	HX_CHECK(hx_is_free(h, ioas, a + 2 * pg, pg), "above the area");
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
}

/*
 * With a device attached: the IOVA alignment is what the ranges report,
 * and iopt_check_iova() refuses an unaligned IOVA, iopt_alloc_area_pages()
 * an unaligned length, iopt_insert_area() a buffer at an unaligned page
 * offset (-EINVAL each); a range that touches IOVA outside the usable
 * ranges is -EINVAL; memory is pinned when a domain needs it, so an
 * unmapped buffer (or NULL) is -EFAULT with a device and fine without.
 */
static void map_with_device(struct hx *h)
{
	struct hx_ranges r;
	uint64_t base, hole, hole_last, align;
	uint32_t ioas, bare;
	uint8_t *gone;

	ioas = ioas_with_dev(h, &r);
	align = r.align;
	HX_CHECK(align > 1 && align <= h->page && h->page % align == 0,
		 "alignment 0x%llx with a device", (unsigned long long)align);
	base = hx_base(h, ioas, 4 * h->page);
	HX_ERR(EINVAL, hx_hex(base + align / 2),
	       hx_map(h, ioas, h->buf, h->page, base + align / 2));
	HX_ERR(EINVAL, hx_hex(h->page + align / 2),
	       hx_map(h, ioas, h->buf, h->page + align / 2, base));
	HX_ERR(EINVAL, NULL, hx_map(h, ioas, h->buf + align / 2, h->page, base));
	HX_CHECK(hx_is_free(h, ioas, base, 2 * h->page), "a failed map stayed");

	/* Every hole the ranges leave refuses a map, inside and across its
	 * edges. */
	HX_CHECK(hx_ranges_hole(&r, &hole, &hole_last), "no hole in the ranges");
	for (uint32_t i = 0; i <= r.num; i++) {
		uint64_t s = i ? r.r[i - 1].last + 1 : 0;
		uint64_t l = i < r.num ? r.r[i].start - 1 : UINT64_MAX;

		if ((i && r.r[i - 1].last == UINT64_MAX) ||
		    (i < r.num && r.r[i].start == 0) || l - s + 1 < h->page)
			continue;
		HX_ERR(EINVAL, s ? hx_hex(s) : NULL,
		       hx_map(h, ioas, h->buf, h->page, s));
		HX_ERR(EINVAL, NULL,
		       hx_map(h, ioas, h->buf, h->page, l - h->page + 1));
		if (i)
			HX_ERR(EINVAL, NULL,
			       hx_map(h, ioas, h->buf, 2 * h->page,
				      s - h->page));
		if (i < r.num)
			HX_ERR(EINVAL, NULL,
			       hx_map(h, ioas, h->buf, 2 * h->page,
				      l - h->page + 1));
	}
	/* Next to a hole is fine. */
	HX_CHECK(hx_is_free(h, ioas, r.r[0].start, h->page), "first page");
	HX_CHECK(hx_is_free(h, ioas, r.r[0].last - h->page + 1, h->page),
		 "last page of the first range");

	gone = mmap(NULL, 2 * h->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	HX_CHECK(gone != MAP_FAILED, "mmap");
	HX_CHECK(munmap(gone + h->page, h->page) == 0, "munmap");
	HX_ERR(EFAULT, NULL, hx_map(h, ioas, gone, 2 * h->page, base));
	HX_CHECK(munmap(gone, h->page) == 0, "munmap");
	HX_ERR(EFAULT, NULL, hx_map(h, ioas, gone, h->page, base));
	HX_ERR(EFAULT, NULL, hx_map(h, ioas, NULL, h->page, base));
	HX_CHECK(hx_is_free(h, ioas, base, 2 * h->page), "a failed map stayed");
	HX_OK(ioasid_ioas_alloc(h->ctx, &bare));
	hx_map_at(h, bare, gone, h->page, hx_base(h, bare, h->page));
	HX_OK(ioasid_ioas_destroy(h->ctx, bare));

	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	HX_EXPECT_EMPTY(h);
}

/* ------------------------------------------------------------------ */
/* unmap                                                                */

/* Three areas with holes between them: A 2 pages at base + 0x...,
 * B 2 pages, C 4 pages, each 4 pages apart. */
struct abc {
	uint32_t ioas;
	uint64_t a, b, c, pg;
};

static void map_abc(struct hx *h, struct abc *x)
{
	x->pg = h->page;
	x->a = hx_base(h, x->ioas, 16 * x->pg) + 4 * x->pg;
	x->b = x->a + 4 * x->pg;
	x->c = x->b + 4 * x->pg;
	hx_map_at(h, x->ioas, h->buf, 2 * x->pg, x->a);
	hx_map_at(h, x->ioas, h->buf, 2 * x->pg, x->b);
	hx_map_at(h, x->ioas, h->buf, 4 * x->pg, x->c);
}

#define EXPECT_ABC(h, x, ma, mb, mc)                                         \
	do {                                                                 \
		HX_CHECK((ma) ? hx_is_mapped(h, (x)->ioas, (x)->a, 2 * (x)->pg) \
			      : hx_is_free(h, (x)->ioas, (x)->a, 2 * (x)->pg), \
			 "area A is not %s", (ma) ? "mapped" : "free");      \
		HX_CHECK((mb) ? hx_is_mapped(h, (x)->ioas, (x)->b, 2 * (x)->pg) \
			      : hx_is_free(h, (x)->ioas, (x)->b, 2 * (x)->pg), \
			 "area B is not %s", (mb) ? "mapped" : "free");      \
		HX_CHECK((mc) ? hx_is_mapped(h, (x)->ioas, (x)->c, 4 * (x)->pg) \
			      : hx_is_free(h, (x)->ioas, (x)->c, 4 * (x)->pg), \
			 "area C is not %s", (mc) ? "mapped" : "free");      \
	} while (0)

/* iommufd_ioas_unmap(): the length removed comes back; holes inside the
 * range are fine (iopt_unmap_iova_range(); selftest
 * iommufd_ioas.unmap_fully_contained_areas); nothing there is -ENOENT. */
static void unmap_areas(struct hx *h)
{
	struct abc x;
	uint64_t n = 0;

	HX_OK(ioasid_ioas_alloc(h->ctx, &x.ioas));
	map_abc(h, &x);
	HX_OK(ioasid_ioas_unmap(h->ctx, x.ioas, x.b, 2 * x.pg, &n));
	HX_EQ(n, 2 * x.pg);
	EXPECT_ABC(h, &x, true, false, true);
	HX_ERR(ENOENT, hx_hex(x.b), ioasid_ioas_unmap(h->ctx, x.ioas, x.b, 2 * x.pg, NULL));
	HX_ERR(ENOENT, hx_hex(x.a + 2 * x.pg),
	       ioasid_ioas_unmap(h->ctx, x.ioas, x.a + 2 * x.pg, 2 * x.pg, NULL));
	HX_OK(ioasid_ioas_unmap(h->ctx, x.ioas, x.a - 4 * x.pg,
				x.c + 8 * x.pg - (x.a - 4 * x.pg), &n));
	HX_EQ(n, 6 * x.pg);
	EXPECT_ABC(h, &x, false, false, false);
	HX_OK(ioasid_ioas_destroy(h->ctx, x.ioas));
}

/* iopt_unmap_iova_range(): an area that starts before the range is
 * -ENOENT before anything goes; areas go in IOVA order, and the first one
 * that ends past the range stops it with -ENOENT, naming it (the ones
 * before are gone).  Selftest iommufd_ioas.area ("Split fails"). */
static void unmap_split(struct hx *h)
{
	struct abc x;

	HX_OK(ioasid_ioas_alloc(h->ctx, &x.ioas));
	map_abc(h, &x);
	HX_ERR(ENOENT, hx_hex(x.a + x.pg),
	       ioasid_ioas_unmap(h->ctx, x.ioas, x.a + x.pg, 16 * x.pg, NULL));
	EXPECT_ABC(h, &x, true, true, true);
	HX_ERR(ENOENT, hx_hex(x.b + x.pg),
	       ioasid_ioas_unmap(h->ctx, x.ioas, x.b + x.pg, x.pg, NULL));
	EXPECT_ABC(h, &x, true, true, true);
	/* (The simulator's message names the area, C; the kernel backend
	 * only knows the request.) */
	HX_ERR(ENOENT, hx_hex(x.a),
	       ioasid_ioas_unmap(h->ctx, x.ioas, x.a, x.c + x.pg - x.a, NULL));
	EXPECT_ABC(h, &x, false, false, true);
	HX_ERR(ENOENT, hx_hex(x.c),
	       ioasid_ioas_unmap(h->ctx, x.ioas, x.c, x.pg, NULL));
	EXPECT_ABC(h, &x, false, false, true);
	HX_OK(ioasid_ioas_destroy(h->ctx, x.ioas));
}

/* iopt_unmap_all(): fine on an empty IOAS, reports the bytes; IOVA 0 and
 * length UINT64_MAX is the same request.  Length 0 is -EINVAL, a
 * wrapping range or a length >= ULONG_MAX -EOVERFLOW, an unknown IOAS
 * -ENOENT; with a device the same. */
static void unmap_all_and_args(struct hx *h)
{
	struct abc x;
	uint64_t n = 1;

	x.ioas = ioas_with_dev(h, NULL);
	HX_OK(ioasid_ioas_unmap_all(h->ctx, x.ioas, &n));
	HX_EQ(n, 0);
	map_abc(h, &x);
	HX_ERR(EINVAL, "length", ioasid_ioas_unmap(h->ctx, x.ioas, x.a, 0, NULL));
	HX_ERR(EOVERFLOW, NULL,
	       ioasid_ioas_unmap(h->ctx, x.ioas, x.pg, UINT64_MAX, NULL));
	HX_ERR(EOVERFLOW, hx_hex(2 * x.pg),
	       ioasid_ioas_unmap(h->ctx, x.ioas, 2 * x.pg, UINT64_MAX - x.pg,
				 NULL));
	HX_ERR(EOVERFLOW, NULL,
	       ioasid_ioas_unmap(h->ctx, x.ioas, UINT64_MAX - x.pg + 1,
				 2 * x.pg, NULL));
	HX_ERR(ENOENT, hx_dec(BAD_ID),
	       ioasid_ioas_unmap(h->ctx, BAD_ID, x.a, 2 * x.pg, NULL));
	HX_ERR(ENOENT, hx_dec(BAD_ID), ioasid_ioas_unmap_all(h->ctx, BAD_ID, &n));
	EXPECT_ABC(h, &x, true, true, true);
	/* Each map pins its pages: the first two pages are in A, B and C,
	 * the next two in C alone. */
	HX_CHECK_REFS(h, h->buf, 2 * x.pg, 3);
	HX_CHECK_REFS(h, h->buf + 2 * x.pg, 2 * x.pg, 1);
	HX_OK(ioasid_ioas_unmap_all(h->ctx, x.ioas, &n));
	HX_EQ(n, 8 * x.pg);
	EXPECT_ABC(h, &x, false, false, false);
	HX_CHECK_REFS(h, h->buf, 4 * x.pg, 0);
	map_abc(h, &x);
	HX_OK(ioasid_ioas_unmap(h->ctx, x.ioas, 0, UINT64_MAX, &n));
	HX_EQ(n, 8 * x.pg);
	EXPECT_ABC(h, &x, false, false, false);
	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_OK(ioasid_ioas_destroy(h->ctx, x.ioas));
	HX_EXPECT_EMPTY(h);
}

/* ------------------------------------------------------------------ */
/* copy                                                                 */

/* iommufd_ioas_copy(): into an IOAS with a domain (the pages get there,
 * pinned once), and inside one IOAS; the source must be mapped without a
 * gap (iopt_get_pages(): -ENOENT, the destination untouched); the
 * destination must be free (-EEXIST) and usable (-EINVAL); flags as for
 * map, length 0 -EINVAL, unknown ids -ENOENT.  Selftest
 * iommufd_ioas.copy_area. */
static void copy(struct hx *h)
{
	IOASID_OPTS(ioasid_map_opts, any,
		    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE |
			     IOASID_MAP_ANY_IOVA);
	IOASID_OPTS(ioasid_map_opts, none, .flags = 0);
	IOASID_OPTS(ioasid_map_opts, unknown,
		    .flags = IOASID_MAP_READ | (1u << 9));
	struct hx_ranges r;
	uint32_t dst, hwpt;
	uint64_t d, iova, hole, hole_last;
	struct abc x;

	HX_OK(ioasid_ioas_alloc(h->ctx, &x.ioas));
	map_abc(h, &x);
	dst = ioas_with_dev(h, &r);
	hwpt = ioasid_dev_hwpt_id(h->dev[0]);
	d = hx_base(h, dst, 32 * x.pg);

	/* Source not fully mapped. */
	iova = d;
	HX_ERR(ENOENT, hx_hex(x.a),
	       ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.a, 4 * x.pg, NULL));
	HX_ERR(ENOENT, NULL,
	       ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.a,
				x.b + 2 * x.pg - x.a, NULL));
	HX_ERR(ENOENT, hx_hex(x.a + 2 * x.pg),
	       ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.a + 2 * x.pg,
				2 * x.pg, NULL));
	HX_EQ(iova, d);
	HX_CHECK(hx_is_free(h, dst, d, 8 * x.pg), "a failed copy mapped");
	/* Arguments. */
	HX_ERR(EINVAL, "length",
	       ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.a, 0, NULL));
	HX_ERR(EINVAL, "read",
	       ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.a, x.pg, &none));
	HX_ERR(EOPNOTSUPP, "0x200",
	       ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.a, x.pg, &unknown));
	HX_ERR(ENOENT, hx_dec(BAD_ID),
	       ioasid_ioas_copy(h->ctx, dst, &iova, BAD_ID, x.a, x.pg, NULL));
	HX_ERR(ENOENT, hx_dec(BAD_ID),
	       ioasid_ioas_copy(h->ctx, BAD_ID, &iova, x.ioas, x.a, x.pg, NULL));

	/* Into the domain: mapped there, to the same memory, pinned once. */
	HX_OK(ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.c, 4 * x.pg, NULL));
	HX_EQ(iova, d);
	HX_CHECK_MAP(h, hwpt, d, 4 * x.pg, h->buf, true);
	HX_CHECK_REFS(h, h->buf, 4 * x.pg, 1);
	HX_ERR(EEXIST, hx_hex(d),
	       ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.c, 4 * x.pg, NULL));
	iova = 0;
	HX_OK(ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.c, 4 * x.pg, &any));
	HX_CHECK(hx_ranges_cover(&r, iova, 4 * x.pg) &&
			 (iova >= d + 4 * x.pg || iova + 4 * x.pg <= d),
		 "any-IOVA copy at 0x%llx", (unsigned long long)iova);
	HX_CHECK_MAP(h, hwpt, iova, 4 * x.pg, h->buf, true);
	/* Outside the usable ranges. */
	HX_CHECK(hx_ranges_hole(&r, &hole, &hole_last), "no hole");
	iova = hole;
	HX_ERR(EINVAL, hole ? hx_hex(hole) : NULL,
	       ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.a, x.pg, NULL));

	/* Inside one IOAS, and across two adjacent areas. */
	iova = x.a + 2 * x.pg;
	HX_OK(ioasid_ioas_copy(h->ctx, x.ioas, &iova, x.ioas, x.a, x.pg, NULL));
	HX_CHECK(hx_is_mapped(h, x.ioas, x.a, 3 * x.pg), "A + its copy");
	iova = d + 16 * x.pg;
	HX_OK(ioasid_ioas_copy(h->ctx, dst, &iova, x.ioas, x.a + x.pg,
			       2 * x.pg, NULL));
	HX_CHECK(hx_is_mapped(h, dst, d + 16 * x.pg, 2 * x.pg), "copied");

	HX_OK(ioasid_ioas_unmap_all(h->ctx, dst, NULL));
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 0);
	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_OK(ioasid_ioas_destroy(h->ctx, dst));
	HX_OK(ioasid_ioas_destroy(h->ctx, x.ioas));
	HX_EXPECT_EMPTY(h);
}

/* ------------------------------------------------------------------ */
/* ranges and allow-lists                                               */

/* iommufd_ioas_iova_ranges(): too small an array is -EMSGSIZE with the
 * count; a NULL array with a count -EINVAL; unknown IOAS -ENOENT; the
 * usable ranges lie in the device's IOMMU aperture (what
 * ioasid_dev_iommu_info() reports); a detach widens them again. */
static void ranges(struct hx *h)
{
	struct ioasid_iommu_info info = { .sz = sizeof(info) };
	struct ioasid_iova_range one[1];
	struct hx_ranges empty, r;
	uint32_t ioas, num;

	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	hx_ranges(h, ioas, &empty);
	HX_OK(ioasid_dev_attach(h->dev[0], ioas, NULL));
	hx_ranges(h, ioas, &r);
	HX_CHECK(r.num >= 1, "no usable range with a device");
	num = 0;
	HX_ERR(EMSGSIZE, NULL,
	       ioasid_ioas_iova_ranges(h->ctx, ioas, NULL, &num, NULL));
	HX_EQ(num, r.num);
	num = 1;
	HX_ERR(EINVAL, NULL,
	       ioasid_ioas_iova_ranges(h->ctx, ioas, NULL, &num, NULL));
	num = 1;
	HX_ERR(ENOENT, hx_dec(BAD_ID),
	       ioasid_ioas_iova_ranges(h->ctx, BAD_ID, one, &num, NULL));
	HX_OK(ioasid_dev_iommu_info(h->ctx, h->name[0], &info));
	if (info.flags & IOASID_IOMMU_APERTURE_KNOWN)
		HX_CHECK(r.r[0].start >= info.aperture_start &&
				 r.r[r.num - 1].last <= info.aperture_last,
			 "ranges 0x%llx-0x%llx outside the aperture 0x%llx-0x%llx",
			 (unsigned long long)r.r[0].start,
			 (unsigned long long)r.r[r.num - 1].last,
			 (unsigned long long)info.aperture_start,
			 (unsigned long long)info.aperture_last);
	HX_OK(ioasid_dev_detach(h->dev[0]));
	hx_ranges(h, ioas, &r);
	HX_CHECK(hx_ranges_equal(&r, &empty), "detach did not widen the ranges");
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
}

/* iommufd_ioas_allow_iovas(): overlapping or inverted ranges -EINVAL,
 * unknown IOAS -ENOENT; an any-IOVA map lands in the allowed range, and
 * -ENOSPC when it does not fit (iopt_alloc_iova()); a range the attached
 * device cannot use is -EADDRINUSE (iopt_set_allow_iova() against the
 * reserved tree); num 0 lifts the list. */
static void allow_iovas(struct hx *h)
{
	struct ioasid_iova_range allow[2];
	uint64_t base, iova, hole, hole_last, n;
	struct hx_ranges r;
	uint32_t ioas;

	ioas = ioas_with_dev(h, &r);
	base = hx_base(h, ioas, 64 * h->page);
	allow[0] = (struct ioasid_iova_range){ base, base + 16 * h->page - 1 };
	allow[1] = (struct ioasid_iova_range){ base + 8 * h->page,
					       base + 32 * h->page - 1 };
	HX_ERR(EINVAL, NULL, ioasid_ioas_allow_iovas(h->ctx, ioas, allow, 2));
	allow[1] = (struct ioasid_iova_range){ base + 40 * h->page,
					       base + 36 * h->page };
	HX_ERR(EINVAL, NULL, ioasid_ioas_allow_iovas(h->ctx, ioas, &allow[1], 1));
	HX_ERR(ENOENT, hx_dec(BAD_ID),
	       ioasid_ioas_allow_iovas(h->ctx, BAD_ID, allow, 1));
	HX_OK(ioasid_ioas_allow_iovas(h->ctx, ioas, allow, 1));
	iova = hx_map_any(h, ioas, h->buf2, 4 * h->page);
	HX_CHECK(iova >= allow[0].start && iova + 4 * h->page - 1 <= allow[0].last,
		 "any map at 0x%llx outside the allowed 0x%llx-0x%llx",
		 (unsigned long long)iova, (unsigned long long)allow[0].start,
		 (unsigned long long)allow[0].last);
	{
		IOASID_OPTS(ioasid_map_opts, any,
			    .flags = IOASID_MAP_READ | IOASID_MAP_ANY_IOVA);
		uint64_t got = 0;

		HX_ERR(ENOSPC, NULL,
		       ioasid_ioas_map(h->ctx, ioas, h->buf, 16 * h->page, &got,
				       &any));
	}
	HX_CHECK(hx_ranges_hole(&r, &hole, &hole_last), "no hole");
	allow[1] = (struct ioasid_iova_range){ hole, hole + h->page - 1 };
	HX_ERR(EADDRINUSE, NULL,
	       ioasid_ioas_allow_iovas(h->ctx, ioas, &allow[1], 1));
	HX_OK(ioasid_ioas_allow_iovas(h->ctx, ioas, NULL, 0));
	HX_OK(ioasid_ioas_unmap_all(h->ctx, ioas, &n));
	HX_EQ(n, 4 * h->page);
	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	HX_EXPECT_EMPTY(h);
}

/* ------------------------------------------------------------------ */
/* Reserved IOVA in an IOAS (IOMMU_TEST_OP_ADD_RESERVED)                 */

/* A reserved region is a hole of the usable ranges; a map inside it or
 * across its start is -EINVAL; an allow-list may not cover it, nor may a
 * new region cover a mapping (-EADDRINUSE, iopt_reserve_iova()); an
 * any-IOVA map avoids it. */
static void reserved(struct hx *h)
{
	IOASID_OPTS(ioasid_map_opts, any,
		    .flags = IOASID_MAP_READ | IOASID_MAP_ANY_IOVA);
	struct ioasid_iova_range allow;
	uint64_t rstart, rlen = 1ull << 20, iova;
	struct hx_ranges before, r;
	uint32_t ioas;

	hx_need_reserve(h);
	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	HX_OK(ioasid_dev_attach(h->dev[0], ioas, NULL));
	hx_ranges(h, ioas, &before);
	rstart = hx_base(h, ioas, 3 * rlen) + rlen;
	HX_OK(hx_reserve(h, ioas, rstart, rlen));
	hx_ranges(h, ioas, &r);
	HX_EQ(r.num, before.num + 1);
	HX_CHECK(!hx_ranges_cover(&r, rstart, 1) &&
			 !hx_ranges_cover(&r, rstart + rlen - 1, 1) &&
			 hx_ranges_cover(&r, rstart - h->page, h->page) &&
			 hx_ranges_cover(&r, rstart + rlen, h->page),
		 "0x%llx-0x%llx is not exactly a hole of the ranges",
		 (unsigned long long)rstart,
		 (unsigned long long)(rstart + rlen - 1));
	HX_ERR(EINVAL, hx_hex(rstart), hx_map(h, ioas, h->buf, h->page, rstart));
	HX_ERR(EINVAL, NULL,
	       hx_map(h, ioas, h->buf, 2 * h->page, rstart - h->page));
	allow = (struct ioasid_iova_range){ rstart - h->page,
					    rstart + h->page - 1 };
	HX_ERR(EADDRINUSE, NULL, ioasid_ioas_allow_iovas(h->ctx, ioas, &allow, 1));
	hx_map_at(h, ioas, h->buf, h->page, r.r[0].start);
	HX_ERR(EADDRINUSE, NULL, hx_reserve(h, ioas, r.r[0].start, h->page));
	/* Fill the range below the region: the next map goes past it. */
	iova = 0;
	HX_OK(ioasid_ioas_map(h->ctx, ioas, h->buf2, HX_BUF_SIZE, &iova, &any));
	HX_CHECK(iova + HX_BUF_SIZE <= rstart || iova >= rstart + rlen,
		 "any-IOVA map at 0x%llx hits the reserved region",
		 (unsigned long long)iova);
	HX_CHECK_REFS(h, h->buf2, HX_BUF_SIZE, 1);
	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	HX_EXPECT_EMPTY(h);
}

static const struct hx_test tests[] = {
	HX_T(ioas_destroy, .num_devs = 1),
	HX_T(map_args),
	HX_T(map_overlap),
	HX_T(map_with_device, .num_devs = 1),
	HX_T(unmap_areas),
	HX_T(unmap_split),
	HX_T(unmap_all_and_args, .num_devs = 1),
	HX_T(copy, .num_devs = 1),
	HX_T(ranges, .num_devs = 1),
	HX_T(allow_iovas, .num_devs = 1),
	HX_T(reserved, .num_devs = 1),
};

HX_MAIN(tests)
