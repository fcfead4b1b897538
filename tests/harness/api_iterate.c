// SPDX-License-Identifier: MIT
/*
 * Iteration through the public API, on the simulator and on the kernel
 * (tests/harness/harness.h): what an IOAS maps
 * (ioasid_ioas_for_each_mapping()) and the IOAS and HWPT objects of a
 * context (ioasid_ctx_for_each_object()).  iommufd has no ioctl for
 * either; on the kernel the answers come from the library's record of
 * what the context did, so these tests hold that record to what the
 * kernel did (the mappings' IOVAs are the kernel's answers, copies are
 * split per source area as iopt_get_pages() splits them).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

#define BAD_ID 4242u
#define MAX_SEEN 16

struct seen {
	unsigned int n, calls;
	int stop_at; /* stop after this many calls, with 7; 0 never */
	struct ioasid_mapping m[MAX_SEEN];
	struct ioasid_object o[MAX_SEEN];
	/* unmap each mapping from inside the callback */
	struct ioasid_ctx *unmap_ctx;
	uint32_t unmap_ioas;
};

static int on_mapping(const struct ioasid_mapping *m, void *data)
{
	struct seen *s = data;

	s->calls++;
	if (s->n < MAX_SEEN)
		s->m[s->n++] = *m;
	if (s->unmap_ctx) {
		uint64_t gone = 0;
		int rc = ioasid_ioas_unmap(s->unmap_ctx, s->unmap_ioas, m->iova,
					   m->length, &gone);

		if (rc || gone != m->length)
			return -100;
	}
	return s->stop_at && (int)s->calls == s->stop_at ? 7 : 0;
}

static int on_object(const struct ioasid_object *o, void *data)
{
	struct seen *s = data;

	s->calls++;
	if (s->n < MAX_SEEN)
		s->o[s->n++] = *o;
	return s->stop_at && (int)s->calls == s->stop_at ? 7 : 0;
}

static void mappings(struct hx *h, uint32_t ioas,
		     const struct ioasid_mapping_opts *opts, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	HX_OK(ioasid_ioas_for_each_mapping(h->ctx, ioas, opts, on_mapping, s));
	HX_CHECK(s->calls == s->n, "%u calls, %u kept", s->calls, s->n);
}

static void objects(struct hx *h, const struct ioasid_object_opts *opts,
		    struct seen *s)
{
	memset(s, 0, sizeof(*s));
	HX_OK(ioasid_ctx_for_each_object(h->ctx, opts, on_object, s));
}

#define CHECK_MAPPING(m_, iova_, len_, flags_, kind_)                        \
	do {                                                                 \
		const struct ioasid_mapping *m__ = (m_);                     \
		HX_CHECK(m__->sz == sizeof(*m__), "sz %zu", m__->sz);        \
		HX_CHECK(m__->iova == (iova_) && m__->length == (len_),      \
			 "mapping %s+%s, want %s+%s", hx_hex(m__->iova),     \
			 hx_hex(m__->length), hx_hex(iova_), hx_hex(len_));  \
		HX_CHECK(m__->flags == (flags_), "flags %#x, want %#x",      \
			 m__->flags, (unsigned int)(flags_));                \
		HX_CHECK(m__->kind == (kind_), "kind %u, want %u", m__->kind, \
			 (unsigned int)(kind_));                             \
	} while (0)

/* ------------------------------------------------------------------ */
/* Mappings                                                             */

/* Memory and a file, read-write and read-only, in IOVA order whatever
 * the order of the maps; a range filter keeps the mappings that overlap
 * it; unmap takes a mapping out of the walk. */
static void mapping_list(struct hx *h)
{
	IOASID_OPTS(ioasid_map_opts, ro, .flags = IOASID_MAP_READ);
	uint64_t p = h->page, base, iova;
	struct seen s;
	uint32_t ioas;
	int fd;

	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	mappings(h, ioas, NULL, &s);
	HX_CHECK(s.n == 0, "a new IOAS has %u mappings", s.n);

	base = hx_base(h, ioas, 16 * p);
	fd = memfd_create("hx-iterate", MFD_CLOEXEC);
	HX_CHECK(fd >= 0, "memfd_create");
	HX_CHECK(ftruncate(fd, (off_t)(4 * p)) == 0, "ftruncate");

	iova = base + 8 * p;
	HX_OK(ioasid_ioas_map_file(h->ctx, ioas, fd, 2 * p, p, &iova, NULL));
	hx_map_at(h, ioas, h->buf, 2 * p, base);
	iova = base + 4 * p;
	HX_OK(ioasid_ioas_map(h->ctx, ioas, h->buf2 + p, p, &iova, &ro));

	mappings(h, ioas, NULL, &s);
	HX_CHECK(s.n == 3, "%u mappings, want 3", s.n);
	CHECK_MAPPING(&s.m[0], base, 2 * p, IOASID_MAP_READ | IOASID_MAP_WRITE,
		      IOASID_MAPPING_MEMORY);
	HX_CHECK(s.m[0].va == (uintptr_t)h->buf && s.m[0].fd == -1,
		 "va %s fd %d", hx_hex(s.m[0].va), s.m[0].fd);
	CHECK_MAPPING(&s.m[1], base + 4 * p, p, IOASID_MAP_READ,
		      IOASID_MAPPING_MEMORY);
	HX_CHECK(s.m[1].va == (uintptr_t)(h->buf2 + p), "va %s",
		 hx_hex(s.m[1].va));
	CHECK_MAPPING(&s.m[2], base + 8 * p, p,
		      IOASID_MAP_READ | IOASID_MAP_WRITE, IOASID_MAPPING_FILE);
	HX_CHECK(s.m[2].fd == fd && s.m[2].offset == 2 * p && s.m[2].va == 0,
		 "fd %d offset %s va %s", s.m[2].fd, hx_hex(s.m[2].offset),
		 hx_hex(s.m[2].va));

	/* Only what overlaps [base + 2p, base + 5p - 1]... */
	{
		IOASID_OPTS(ioasid_mapping_opts, o, .iova = base + p,
			    .length = 4 * p);

		mappings(h, ioas, &o, &s);
		HX_CHECK(s.n == 2 && s.m[0].iova == base &&
				 s.m[1].iova == base + 4 * p,
			 "%u mappings overlap [base+p, base+5p)", s.n);
		o.iova = base + 5 * p;
		o.length = 3 * p;
		mappings(h, ioas, &o, &s);
		HX_CHECK(s.n == 0, "%u mappings in a hole", s.n);
		/* ... length 0: up to the end. */
		o.length = 0;
		mappings(h, ioas, &o, &s);
		HX_CHECK(s.n == 1 && s.m[0].iova == base + 8 * p,
			 "%u mappings from base+5p on", s.n);
	}

	HX_OK(ioasid_ioas_unmap(h->ctx, ioas, base + 4 * p, p, NULL));
	mappings(h, ioas, NULL, &s);
	HX_CHECK(s.n == 2 && s.m[1].iova == base + 8 * p,
		 "%u mappings after an unmap", s.n);
	HX_OK(ioasid_ioas_unmap_all(h->ctx, ioas, NULL));
	mappings(h, ioas, NULL, &s);
	HX_CHECK(s.n == 0, "%u mappings after unmap all", s.n);

	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	close(fd);
	HX_EXPECT_EMPTY(h);
}

/* A copy of two adjacent mappings is two mappings in the destination
 * (iopt_get_pages() takes one piece per source area), each reporting the
 * memory behind its source, with the copy's access. */
static void mapping_copy(struct hx *h)
{
	IOASID_OPTS(ioasid_map_opts, any_ro,
		    .flags = IOASID_MAP_READ | IOASID_MAP_ANY_IOVA);
	uint64_t p = h->page, base, dst = 0;
	uint32_t src, dst_ioas;
	struct seen s;

	HX_OK(ioasid_ioas_alloc(h->ctx, &src));
	HX_OK(ioasid_ioas_alloc(h->ctx, &dst_ioas));
	base = hx_base(h, src, 8 * p);
	hx_map_at(h, src, h->buf, 2 * p, base);
	hx_map_at(h, src, h->buf2, p, base + 2 * p);
	/* From the second page of the first mapping to the end. */
	HX_OK(ioasid_ioas_copy(h->ctx, dst_ioas, &dst, src, base + p, 2 * p,
			       &any_ro));
	mappings(h, dst_ioas, NULL, &s);
	HX_CHECK(s.n == 2, "%u mappings in the copy, want 2", s.n);
	CHECK_MAPPING(&s.m[0], dst, p, IOASID_MAP_READ, IOASID_MAPPING_MEMORY);
	HX_CHECK(s.m[0].va == (uintptr_t)h->buf + p, "va %s, want buf + p",
		 hx_hex(s.m[0].va));
	CHECK_MAPPING(&s.m[1], dst + p, p, IOASID_MAP_READ,
		      IOASID_MAPPING_MEMORY);
	HX_CHECK(s.m[1].va == (uintptr_t)h->buf2, "va %s, want buf2",
		 hx_hex(s.m[1].va));

	HX_OK(ioasid_ioas_destroy(h->ctx, dst_ioas));
	HX_OK(ioasid_ioas_destroy(h->ctx, src));
	HX_EXPECT_EMPTY(h);
}

/* The callback stops the walk with its value; it runs without the
 * context lock, so it may call the library, even change the IOAS it
 * walks (the walk is of the mappings when it began). */
static void mapping_callback(struct hx *h)
{
	uint64_t p = h->page, base;
	uint32_t ioas;
	struct seen s;
	int rc;

	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	base = hx_base(h, ioas, 8 * p);
	for (int i = 0; i < 4; i++)
		hx_map_at(h, ioas, h->buf + i * p, p, base + 2 * i * p);

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	rc = ioasid_ioas_for_each_mapping(h->ctx, ioas, NULL, on_mapping, &s);
	HX_CHECK(rc == 7 && s.calls == 2, "rc %d after %u calls, want 7 after 2",
		 rc, s.calls);

	memset(&s, 0, sizeof(s));
	s.unmap_ctx = h->ctx;
	s.unmap_ioas = ioas;
	HX_OK(ioasid_ioas_for_each_mapping(h->ctx, ioas, NULL, on_mapping, &s));
	HX_CHECK(s.calls == 4, "%u calls, want 4", s.calls);
	mappings(h, ioas, NULL, &s);
	HX_CHECK(s.n == 0, "%u mappings left", s.n);

	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	HX_EXPECT_EMPTY(h);
}

/* Refusals name what was wrong and call nothing. */
static void mapping_errors(struct hx *h)
{
	IOASID_OPTS(ioasid_mapping_opts, wraps, .iova = UINT64_MAX - 1,
		    .length = 3);
	IOASID_OPTS(ioasid_mapping_opts, big);
	struct seen s = { 0 };
	uint32_t ioas;

	HX_ERR(ENOENT, hx_dec(BAD_ID),
	       ioasid_ioas_for_each_mapping(h->ctx, BAD_ID, NULL, on_mapping, &s));
	HX_ERR(ENOENT, NULL,
	       ioasid_ioas_for_each_mapping(h->ctx, 0, NULL, on_mapping, &s));
	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	HX_ERR(EINVAL, "fn",
	       ioasid_ioas_for_each_mapping(h->ctx, ioas, NULL, NULL, &s));
	HX_ERR(EINVAL, "wraps",
	       ioasid_ioas_for_each_mapping(h->ctx, ioas, &wraps, on_mapping, &s));
	big.sz = sizeof(big) + 8;
	{
		/* A struct from a newer header with a member set. */
		struct {
			struct ioasid_mapping_opts o;
			uint64_t newer;
		} n = { .o = big, .newer = 1 };

		HX_ERR(EINVAL, "ioasid_mapping_opts",
		       ioasid_ioas_for_each_mapping(h->ctx, ioas, &n.o,
						    on_mapping, &s));
	}
	HX_ERR(EINVAL, "ctx",
	       ioasid_ioas_for_each_mapping(NULL, ioas, NULL, on_mapping, &s));
	HX_CHECK(s.calls == 0, "the callback ran %u times", s.calls);
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	HX_ERR(ENOENT, hx_dec(ioas),
	       ioasid_ioas_for_each_mapping(h->ctx, ioas, NULL, on_mapping, &s));
	HX_EXPECT_EMPTY(h);
}

/* ------------------------------------------------------------------ */
/* Objects                                                              */

static const struct ioasid_object *find(const struct seen *s, uint32_t id)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (s->o[i].id == id)
			return &s->o[i];
	return NULL;
}

/* Two IOASes: one with device 0 attached (its automatic HWPT), one with
 * a nest-parent HWPT allocated for device 0 and nothing attached; in id
 * order, with their devices and mappings; the type filter; after
 * HX_EXPECT_EMPTY nothing (the library's private IOAS for detached mock
 * devices is never reported). */
static void object_list(struct hx *h)
{
	IOASID_OPTS(ioasid_hwpt_alloc_opts, np,
		    .flags = IOASID_HWPT_ALLOC_NEST_PARENT);
	IOASID_OPTS(ioasid_object_opts, only_hwpt, .type = IOASID_OBJECT_HWPT);
	IOASID_OPTS(ioasid_object_opts, bad, .type = 9);
	uint32_t a, b, auto_hwpt = 0, hwpt;
	const struct ioasid_object *o;
	uint64_t p = h->page, base;
	struct seen s;
	int rc;

	objects(h, NULL, &s);
	HX_CHECK(s.n == 0, "a new context has %u objects", s.n);

	HX_OK(ioasid_ioas_alloc(h->ctx, &a));
	HX_OK(ioasid_ioas_alloc(h->ctx, &b));
	HX_OK(ioasid_dev_attach(h->dev[0], a, &auto_hwpt));
	base = hx_base(h, a, 4 * p);
	hx_map_at(h, a, h->buf, 2 * p, base);
	hx_map_at(h, a, h->buf2, p, base + 3 * p);
	HX_OK(ioasid_hwpt_alloc(h->dev[0], b, &np, &hwpt));

	objects(h, NULL, &s);
	HX_CHECK(s.n == 4, "%u objects, want 4", s.n);
	for (unsigned int i = 1; i < s.n; i++)
		HX_CHECK(s.o[i - 1].id < s.o[i].id, "not in id order");
	o = find(&s, a);
	HX_CHECK(o && o->type == IOASID_OBJECT_IOAS && o->sz == sizeof(*o),
		 "IOAS %u", a);
	HX_CHECK(o->devices == 1 && o->mappings == 2 && o->mapped == 3 * p,
		 "IOAS %u: %u devices, %u mappings, %s bytes", a, o->devices,
		 o->mappings, hx_hex(o->mapped));
	o = find(&s, auto_hwpt);
	HX_CHECK(o && o->type == IOASID_OBJECT_HWPT, "HWPT %u", auto_hwpt);
	HX_CHECK(o->flags == IOASID_OBJECT_AUTO_DOMAIN && o->ioas_id == a &&
			 o->devices == 1 && o->parent == 0,
		 "HWPT %u: flags %#x ioas %u devices %u", auto_hwpt, o->flags,
		 o->ioas_id, o->devices);
	o = find(&s, b);
	HX_CHECK(o && o->devices == 0 && o->mappings == 0, "IOAS %u", b);
	o = find(&s, hwpt);
	HX_CHECK(o && o->flags == 0 && o->ioas_id == b && o->devices == 0 &&
			 o->hwpt_flags == IOASID_HWPT_ALLOC_NEST_PARENT,
		 "HWPT %u: flags %#x hwpt_flags %#x ioas %u", hwpt,
		 o ? o->flags : 0, o ? o->hwpt_flags : 0, o ? o->ioas_id : 0);

	/* Moving the device to the nest parent: the automatic HWPT goes. */
	HX_OK(ioasid_dev_replace(h->dev[0], hwpt, NULL));
	objects(h, NULL, &s);
	HX_CHECK(s.n == 3 && !find(&s, auto_hwpt),
		 "%u objects after the replace, auto HWPT %s", s.n,
		 find(&s, auto_hwpt) ? "kept" : "gone");
	HX_CHECK(find(&s, hwpt)->devices == 1 && find(&s, b)->devices == 1 &&
			 find(&s, a)->devices == 0,
		 "device counts after the replace");

	objects(h, &only_hwpt, &s);
	HX_CHECK(s.n == 1 && s.o[0].id == hwpt, "%u HWPTs", s.n);

	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	rc = ioasid_ctx_for_each_object(h->ctx, NULL, on_object, &s);
	HX_CHECK(rc == 7 && s.calls == 1, "rc %d after %u calls", rc, s.calls);

	HX_ERR(EINVAL, "type 9",
	       ioasid_ctx_for_each_object(h->ctx, &bad, on_object, &s));
	HX_ERR(EINVAL, "fn", ioasid_ctx_for_each_object(h->ctx, NULL, NULL, &s));
	HX_ERR(EINVAL, "ctx", ioasid_ctx_for_each_object(NULL, NULL, on_object, &s));

	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_OK(ioasid_hwpt_destroy(h->ctx, hwpt));
	HX_OK(ioasid_ioas_destroy(h->ctx, b));
	HX_OK(ioasid_ioas_destroy(h->ctx, a));
	HX_EXPECT_EMPTY(h);
	objects(h, NULL, &s);
	HX_CHECK(s.n == 0, "%u objects left", s.n);
}

static const struct hx_test tests[] = {
	HX_T(mapping_list, .num_devs = 1),
	HX_T(mapping_copy, .num_devs = 1),
	HX_T(mapping_callback, .num_devs = 1),
	HX_T(mapping_errors, .num_devs = 1),
	HX_T(object_list, .num_devs = 1),
};

HX_MAIN(tests)
