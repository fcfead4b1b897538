// SPDX-License-Identifier: MIT
/*
 * What a VMM author needs from the virtio-iommu API (issue 10, section
 * 3): the status of a request, the offer (input range, withheld feature
 * bits), the platform's default MSI region of emulated endpoints, a
 * lookup-only translate, the walks of domains, endpoints and mappings,
 * and the virtio status rules after a reset.
 */
#include "viommu_helpers.h"

#define EP_E2 0x101u

/* MAP as the raw request, with handle_request_ex(). */
static int map2(struct vfx *f, uint32_t dom, uint64_t vs, uint64_t ve,
		uint64_t ps, uint32_t flags,
		struct ioasid_virtio_iommu_request_result *res, uint8_t *tail)
{
	uint8_t r[36];
	struct iovec out = { r, sizeof(r) }, in = { tail, 4 };

	map_req(r, dom, vs, ve, ps, flags);
	memset(tail, 0xee, 4);
	return ioasid_virtio_iommu_handle_request_ex(f->v, &out, 1, &in, 1, res);
}

static void test_request_result(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_request_result res;
	uint8_t tail[4], junk[8] = { 0x42 };
	struct iovec out = { junk, sizeof(junk) }, in = { tail, sizeof(tail) };
	uint32_t used = 99;

	/* A guest error: the status is NOENT (no such domain). */
	memset(&res, 0xaa, sizeof(res));
	res.sz = sizeof(res);
	OK(map2(f, 9, 0, SZ_4K - 1, 0, 1, &res, tail));
	assert_int_equal(res.sz, sizeof(res));
	assert_int_equal(res.used_len, 4);
	assert_true(res.answered);
	assert_int_equal(res.status, IOASID_VIRTIO_IOMMU_S_NOENT);
	assert_int_equal(res.type, 3);
	assert_int_equal(tail[0], S_NOENT);

	/* Success. */
	assert_int_equal(attach(f, 9, EP_EMU), S_OK);
	OK(map2(f, 9, 0, SZ_4K - 1, 0, 1, &res, tail));
	assert_true(res.answered);
	assert_int_equal(res.status, IOASID_VIRTIO_IOMMU_S_OK);

	/* Unknown type: nothing written, not answered, the type said. */
	memset(&res, 0xaa, sizeof(res));
	res.sz = sizeof(res);
	memset(tail, 0xee, sizeof(tail));
	OK(ioasid_virtio_iommu_handle_request_ex(f->v, &out, 1, &in, 1, &res));
	assert_int_equal(res.used_len, 0);
	assert_false(res.answered);
	assert_int_equal(res.type, 0x42);
	assert_int_equal(tail[0], 0xee);

	/* An older caller's struct: its fields only, nothing past sz. */
	{
		unsigned char buf[sizeof(res) + 8];
		struct ioasid_virtio_iommu_request_result *small = (void *)buf;
		size_t old = offsetof(struct ioasid_virtio_iommu_request_result,
				      answered);

		memset(buf, 0x5a, sizeof(buf));
		small->sz = old;
		OK(map2(f, 9, SZ_4K, 2 * SZ_4K - 1, 0, 1, small, tail));
		assert_int_equal(small->used_len, 4);
		for (size_t i = old; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0x5a);
	}

	/* Misuse. */
	EXPECT_ERR(EINVAL, "result is NULL",
		   ioasid_virtio_iommu_handle_request_ex(f->v, &out, 1, &in, 1, NULL));
	res.sz = 0;
	EXPECT_ERR(EINVAL, "sz",
		   ioasid_virtio_iommu_handle_request_ex(f->v, &out, 1, &in, 1, &res));
	res.sz = sizeof(res);
	EXPECT_ERR(EINVAL, "device is NULL",
		   ioasid_virtio_iommu_handle_request_ex(NULL, &out, 1, &in, 1, &res));
	assert_int_equal(res.used_len, 0);
	assert_false(res.answered);

	/* The old call still answers 0 whatever the status. */
	{
		uint8_t r[36];

		map_req(r, 77, 0, SZ_4K - 1, 0, 1);
		OK(ioasid_virtio_iommu_handle_buffers(f->v, r, sizeof(r), tail,
						      sizeof(tail), &used));
		assert_int_equal(used, 4);
		assert_int_equal(tail[0], S_NOENT);
	}
}

static uint64_t cfg64(struct vfx *f, uint32_t off)
{
	uint8_t b[8];

	OK(ioasid_virtio_iommu_config_read(f->v, off, b, 8));
	return le64_get(b);
}

static void vfx_free(struct vfx *f)
{
	vfx_teardown((void **)&f);
}

static void test_offer_input_range(void **state)
{
	struct vfx *f;
	struct ioasid_virtio_iommu *v;
	struct ioasid_ctx *ctx;

	(void)state;
	/* Derived: the physical endpoints' union (below 2^64-1). */
	f = vfx_new(0);
	assert_int_equal(cfg64(f, 8), 0);
	assert_true(cfg64(f, 16) < UINT64_MAX);
	vfx_free(f);

	/* Set: what is offered, whatever the physical endpoints allow. */
	f = calloc(1, sizeof(*f));
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o, .input_start = SZ_1M,
			    .input_end = 0xffffffffull);
		vfx_init(f, &o);
	}
	assert_int_equal(cfg64(f, 8), SZ_1M);
	assert_int_equal(cfg64(f, 16), 0xffffffffull);
	OK(ioasid_virtio_iommu_set_features(f->v, ioasid_virtio_iommu_features(f->v)));
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 1, 0, SZ_4K - 1, 0, 1), S_RANGE);
	assert_int_equal(map(f, 1, SZ_1M, SZ_1M + SZ_4K - 1, 0, 1), S_OK);
	vfx_free(f);

	/* Refusals name what is wrong; nothing is made. */
	ctx = sim_open(NULL);
	v = NULL;
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o, .input_start = SZ_1M,
			    .input_end = SZ_4K - 1);
		EXPECT_ERR(EINVAL, "input range 0x100000-0xfff is empty",
			   ioasid_virtio_iommu_create(ctx, &o, &v));
	}
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o, .input_start = 0x10,
			    .input_end = SZ_1M - 1);
		EXPECT_ERR(EINVAL, "not aligned to the granule",
			   ioasid_virtio_iommu_create(ctx, &o, &v));
	}
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o, .input_end = SZ_1M);
		EXPECT_ERR(EINVAL, "not aligned to the granule",
			   ioasid_virtio_iommu_create(ctx, &o, &v));
	}
	assert_null(v);
	ioasid_ctx_close(ctx);
}

static char granule_warning[512];
static int granule_warnings;

static void catch_granule_warning(enum ioasid_print_level level,
				  const char *msg, void *data)
{
	(void)data;
	if (level != IOASID_WARN || !strstr(msg, "granule"))
		return;
	granule_warnings++;
	snprintf(granule_warning, sizeof(granule_warning), "%s", msg);
}

/* A 64 KiB granule (what a 64 KiB-page host gives, set here through
 * opts.granule on the simulator's 4 KiB pages): page_size_mask starts at
 * it, a 4 KiB guest's MAPs (start, address or end off the granule) are
 * RANGE with nothing recorded, whole granules are OK, and the VMM is told
 * once, with the range and the granule. */
static void test_granule_larger_than_guest_page(void **state)
{
	struct vfx *f = calloc(1, sizeof(*f));
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	ioasid_print_fn_t old;

	(void)state;
	assert_non_null(f);
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o, .granule = SZ_64K);
		vfx_init(f, &o);
	}
	assert_int_equal(cfg64(f, 0) & -cfg64(f, 0), SZ_64K);
	OK(ioasid_virtio_iommu_set_features(f->v, ioasid_virtio_iommu_features(f->v)));
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	granule_warnings = 0;
	old = ioasid_set_print(catch_granule_warning, NULL);
	assert_int_equal(map(f, 1, 0, SZ_4K - 1, 0, RW), S_RANGE);
	assert_int_equal(map(f, 1, SZ_4K, SZ_64K - 1, 0, RW), S_RANGE);
	assert_int_equal(map(f, 1, 0, SZ_64K - 1, SZ_4K, RW), S_RANGE);
	assert_int_equal(map(f, 1, 0, SZ_64K + SZ_4K - 1, 0, RW), S_RANGE);
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.mappings, 0);
	assert_int_equal(map(f, 1, SZ_64K, 2 * SZ_64K - 1, SZ_64K, RW), S_OK);
	ioasid_set_print(old, NULL);
	assert_int_equal(granule_warnings, 1);
	assert_non_null(strstr(granule_warning, "0x0-0xfff -> 0x0 refused with RANGE"));
	assert_non_null(strstr(granule_warning, "granule of 0x10000 bytes"));
	vfx_free(f);
}

static void test_offer_withhold_features(void **state)
{
	struct vfx *f = calloc(1, sizeof(*f));
	struct ioasid_virtio_iommu *v = NULL;
	struct ioasid_ctx *ctx;
	uint8_t props[PROBE_SIZE + 4];
	uint8_t r[72] = { 5 };
	uint64_t feat;

	(void)state;
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o,
			    .withhold_features = IOASID_VIRTIO_IOMMU_F_PROBE |
						 IOASID_VIRTIO_IOMMU_F_MMIO |
						 IOASID_VIRTIO_IOMMU_F_INPUT_RANGE);
		vfx_init(f, &o);
	}
	feat = ioasid_virtio_iommu_features(f->v);
	assert_false(feat & IOASID_VIRTIO_IOMMU_F_PROBE);
	assert_false(feat & IOASID_VIRTIO_IOMMU_F_MMIO);
	assert_false(feat & IOASID_VIRTIO_IOMMU_F_INPUT_RANGE);
	assert_true(feat & IOASID_VIRTIO_IOMMU_F_MAP_UNMAP);
	assert_true(feat & IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG);
	/* INPUT_RANGE withheld: the full space, physical endpoints or not. */
	assert_int_equal(cfg64(f, 8), 0);
	assert_int_equal(cfg64(f, 16), UINT64_MAX);
	EXPECT_ERR(EINVAL, "not offered",
		   ioasid_virtio_iommu_set_features(f->v, feat | IOASID_VIRTIO_IOMMU_F_PROBE));
	OK(ioasid_virtio_iommu_set_features(f->v, feat));
	/* A PROBE of a device that did not offer it: UNSUPP. */
	le32_put(r + 4, EP_EMU);
	assert_int_equal(send_req(f, r, sizeof(r), props, sizeof(props)), S_UNSUPP);
	vfx_free(f);

	ctx = sim_open(NULL);
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o,
			    .withhold_features = IOASID_VIRTIO_IOMMU_F_MAP_UNMAP);
		EXPECT_ERR(EINVAL, "MAP_UNMAP cannot be withheld",
			   ioasid_virtio_iommu_create(ctx, &o, &v));
	}
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o, .withhold_features = 1ull << 20);
		EXPECT_ERR(EINVAL, "withhold_features 0x100000",
			   ioasid_virtio_iommu_create(ctx, &o, &v));
	}
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o,
			    .withhold_features = IOASID_VIRTIO_IOMMU_F_INPUT_RANGE,
			    .input_start = SZ_1M, .input_end = 2 * SZ_1M - 1);
		EXPECT_ERR(EINVAL, "INPUT_RANGE withheld",
			   ioasid_virtio_iommu_create(ctx, &o, &v));
	}
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o,
			    .withhold_features = IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE,
			    .domain_start = 1, .domain_end = 10);
		EXPECT_ERR(EINVAL, "DOMAIN_RANGE withheld",
			   ioasid_virtio_iommu_create(ctx, &o, &v));
	}
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o, .flags = 1u << 7);
		EXPECT_ERR(EINVAL, "unknown flags 0x80",
			   ioasid_virtio_iommu_create(ctx, &o, &v));
	}
	assert_null(v);
	ioasid_ctx_close(ctx);
}

/* The RESV_MEM properties of a PROBE: count, and the first one. */
static unsigned int probe_first(struct vfx *f, uint32_t ep, uint8_t *sub,
				uint64_t *start, uint64_t *last)
{
	uint8_t props[PROBE_SIZE + 4];
	unsigned int n = 0;

	assert_int_equal(probe(f, ep, props), S_OK);
	for (uint32_t off = 0; off + 4 <= PROBE_SIZE && le16_get(props + off);
	     off += 24) {
		assert_int_equal(le16_get(props + off) & 0xfff, 1);
		if (!n++) {
			*sub = props[off + 4];
			*start = le64_get(props + off + 8);
			*last = le64_get(props + off + 16);
		}
	}
	return n;
}

static void test_default_msi(void **state)
{
	VFX;
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, none, .no_default_msi = true);
	const struct ioasid_resv_region rr = { 0x10000, 0x1ffff, IOASID_RESV_RESERVED, 0 };
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, own, .resv = &rr, .num_resv = 1);
	struct ioasid_resv_region def;
	uint64_t s = 0, l = 0;
	uint8_t sub = 0xff;

	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_E2, NULL, NULL));
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_E2 + 1, NULL, &none));
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_E2 + 2, NULL, &own));
#if defined(__x86_64__) || defined(__i386__)
	OK(ioasid_virtio_iommu_default_msi(&def));
	assert_int_equal(def.start, 0xfee00000ull);
	assert_int_equal(def.last, 0xfeefffffull);
	assert_int_equal(def.type, IOASID_RESV_MSI);
	assert_int_equal(probe_first(f, EP_E2, &sub, &s, &l), 1);
	assert_int_equal(sub, 1); /* VIRTIO_IOMMU_RESV_MEM_T_MSI */
	assert_int_equal(s, 0xfee00000ull);
	assert_int_equal(l, 0xfeefffffull);
	/* The guest cannot map over it. */
	assert_int_equal(attach(f, 4, EP_E2), S_OK);
	assert_int_equal(map(f, 4, 0xfee00000ull, 0xfee00fffull, 0, 1), S_INVAL);
#else
	EXPECT_ERR(ENOENT, "none on this architecture",
		   ioasid_virtio_iommu_default_msi(&def));
	assert_int_equal(probe_first(f, EP_E2, &sub, &s, &l), 0);
#endif
	assert_int_equal(probe_first(f, EP_E2 + 1, &sub, &s, &l), 0);
	assert_int_equal(probe_first(f, EP_E2 + 2, &sub, &s, &l), 1);
	assert_int_equal(sub, 0);
	assert_int_equal(s, 0x10000);
	EXPECT_ERR(EINVAL, "region is NULL", ioasid_virtio_iommu_default_msi(NULL));
	/* A physical endpoint reports the host's. */
	{
		struct ioasid_dev *d = dev_open_bound(f->ctx, "0000:00:05.0");

		EXPECT_ERR(EINVAL, "no_default_msi is for emulated endpoints",
			   ioasid_virtio_iommu_add_endpoint(f->v, 0x28, d, &none));
	}
}

static void test_translate_probe_only(void **state)
{
	VFX;
	const uint32_t po = IOASID_VIRTIO_IOMMU_ACCESS_PROBE_ONLY;
	struct ioasid_virtio_iommu_translation t;
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	uint8_t ev[IOASID_VIRTIO_IOMMU_FAULT_SIZE];

	/* Blocked (not attached, no bypass). */
	EXPECT_ERR(EFAULT, "not attached",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, 1 | po, &t));
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 1, SZ_1M, SZ_1M + SZ_4K - 1, SZ_4K, 1), S_OK);
	/* Unmapped, and a write through a read-only mapping. */
	EXPECT_ERR(EFAULT, "not mapped",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, 1 | po, &t));
	EXPECT_ERR(EFAULT, "does not allow writes",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, SZ_1M, 2 | po, &t));
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.faults, 0);
	assert_int_equal(st.events_pending, 0);
	assert_int_equal(ioasid_virtio_iommu_event_pop(f->v, ev, sizeof(ev)), 0);
	assert_int_equal(f->notified, 0);
	/* A hit is the same with or without it. */
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, SZ_1M + 8, 1 | po, &t));
	assert_int_equal(t.gpa, SZ_4K + 8);
	assert_int_equal(t.perm, IOASID_VIRTIO_IOMMU_ACCESS_READ);
	/* Without it, the miss is reported. */
	EXPECT_ERR(EFAULT, "not mapped",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, 1, &t));
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.faults, 1);
	assert_int_equal(ioasid_virtio_iommu_event_pop(f->v, ev, sizeof(ev)),
			 IOASID_VIRTIO_IOMMU_FAULT_SIZE);
	/* PROBE_ONLY alone is not an access; other bits are refused. */
	EXPECT_ERR(EINVAL, "PROBE_ONLY",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, po, &t));
	EXPECT_ERR(EINVAL, "access 0x11",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, 1u | 1u << 4, &t));
}

#define MAX_SEEN 8
struct seen {
	unsigned int n, stop_at;
	struct ioasid_virtio_iommu_mapping m[MAX_SEEN];
	struct ioasid_virtio_iommu_domain_info d[MAX_SEEN];
	struct ioasid_virtio_iommu_endpoint_info e[MAX_SEEN];
};

static int see_mapping(const struct ioasid_virtio_iommu_mapping *m, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	assert_int_equal(m->sz, sizeof(*m));
	s->m[s->n++] = *m;
	return s->n == s->stop_at ? 7 : 0;
}

static int see_domain(const struct ioasid_virtio_iommu_domain_info *d, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	s->d[s->n++] = *d;
	return 0;
}

static int see_endpoint(const struct ioasid_virtio_iommu_endpoint_info *e, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	s->e[s->n++] = *e;
	return 0;
}

static void test_walks(void **state)
{
	VFX;
	struct seen s = { 0 };

	assert_int_equal(attach(f, 3, EP_EMU), S_OK);
	assert_int_equal(attach(f, 5, EP_NIC), S_OK);
	assert_int_equal(map(f, 3, 2 * SZ_1M, 2 * SZ_1M + SZ_64K - 1, SZ_1M, RW), S_OK);
	assert_int_equal(map(f, 3, SZ_1M, SZ_1M + SZ_4K - 1, 0, 1), S_OK);
	assert_int_equal(map(f, 3, 0xe0000000ull, 0xe0000fffull, 0xe0000000ull, 1 | 4), S_OK);
	OK(ioasid_virtio_iommu_domain_mappings(f->v, 3, see_mapping, &s));
	assert_int_equal(s.n, 3);
	assert_int_equal(s.m[0].iova_start, SZ_1M);
	assert_int_equal(s.m[0].iova_last, SZ_1M + SZ_4K - 1);
	assert_int_equal(s.m[0].gpa, 0);
	assert_int_equal(s.m[0].perm, IOASID_VIRTIO_IOMMU_ACCESS_READ);
	assert_int_equal(s.m[1].iova_start, 2 * SZ_1M);
	assert_int_equal(s.m[1].gpa, SZ_1M);
	assert_int_equal(s.m[1].perm, IOASID_VIRTIO_IOMMU_ACCESS_READ |
					      IOASID_VIRTIO_IOMMU_ACCESS_WRITE);
	assert_int_equal(s.m[2].perm, IOASID_VIRTIO_IOMMU_ACCESS_READ |
					      IOASID_VIRTIO_IOMMU_ACCESS_MMIO);
	/* The callback stops it. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(ioasid_virtio_iommu_domain_mappings(f->v, 3, see_mapping, &s), 7);
	assert_int_equal(s.n, 2);
	/* After UNMAP, gone. */
	assert_int_equal(unmap(f, 3, SZ_1M, SZ_1M + SZ_4K - 1), S_OK);
	memset(&s, 0, sizeof(s));
	OK(ioasid_virtio_iommu_domain_mappings(f->v, 3, see_mapping, &s));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.m[0].iova_start, 2 * SZ_1M);
	EXPECT_ERR(ENOENT, "domain 4 does not exist",
		   ioasid_virtio_iommu_domain_mappings(f->v, 4, see_mapping, &s));
	EXPECT_ERR(EINVAL, "fn is NULL",
		   ioasid_virtio_iommu_domain_mappings(f->v, 3, NULL, &s));

	memset(&s, 0, sizeof(s));
	OK(ioasid_virtio_iommu_domains(f->v, see_domain, &s));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.d[0].domain, 3);
	assert_int_equal(s.d[0].num_endpoints, 1);
	assert_int_equal(s.d[0].num_mappings, 2);
	assert_int_equal(s.d[0].mode, IOASID_VIRTIO_IOMMU_MODE_SHADOW);
	assert_false(s.d[0].bypass);
	assert_int_equal(s.d[1].domain, 5);
	assert_int_equal(s.d[1].num_mappings, 0);

	memset(&s, 0, sizeof(s));
	OK(ioasid_virtio_iommu_endpoints(f->v, see_endpoint, &s));
	assert_int_equal(s.n, 3);
	assert_int_equal(s.e[0].endpoint, EP_NIC);
	assert_true(s.e[0].physical);
	assert_true(s.e[0].attached);
	assert_int_equal(s.e[0].domain, 5);
	assert_int_equal(s.e[1].endpoint, EP_NVME);
	assert_false(s.e[1].attached);
	assert_false(s.e[1].bypass);
	assert_int_equal(s.e[2].endpoint, EP_EMU);
	assert_false(s.e[2].physical);
	assert_int_equal(s.e[2].domain, 3);
	EXPECT_ERR(EINVAL, "device is NULL",
		   ioasid_virtio_iommu_endpoints(NULL, see_endpoint, &s));
}

/* A request's tail, through handle_request(): the return code, with
 * the used length in *used and the response left as found if unused. */
static int try_attach(struct vfx *f, uint32_t dom, uint32_t ep, uint32_t *used,
		      uint8_t *tail)
{
	uint8_t r[20] = { 1 };

	le32_put(r + 4, dom);
	le32_put(r + 8, ep);
	memset(tail, 0xee, 4);
	return ioasid_virtio_iommu_handle_buffers(f->v, r, sizeof(r), tail, 4, used);
}

static void test_status_gate(void **state)
{
	struct vfx *f = calloc(1, sizeof(*f));
	const uint8_t ack = IOASID_VIRTIO_IOMMU_STATUS_ACKNOWLEDGE |
			    IOASID_VIRTIO_IOMMU_STATUS_DRIVER;
	const uint8_t fok = ack | IOASID_VIRTIO_IOMMU_STATUS_FEATURES_OK;
	const uint8_t dok = fok | IOASID_VIRTIO_IOMMU_STATUS_DRIVER_OK;
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	uint8_t tail[4];
	uint32_t used = 99;

	(void)state;
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o,
			    .flags = IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE);
		vfx_init(f, &o);
	}
	/* Before DRIVER_OK: refused, nothing used, nothing done. */
	EXPECT_ERR(EBUSY, "not set DRIVER_OK", try_attach(f, 1, EP_EMU, &used, tail));
	assert_int_equal(used, 0);
	assert_int_equal(tail[0], 0xee);
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.domains, 0);
	assert_int_equal(st.requests, 0);

	OK(ioasid_virtio_iommu_set_status(f->v, ack));
	assert_int_equal(ioasid_virtio_iommu_status(f->v), ack);
	EXPECT_ERR(EPROTO, "no features were accepted",
		   ioasid_virtio_iommu_set_status(f->v, fok));
	EXPECT_ERR(EINVAL, "DRIVER_OK without FEATURES_OK",
		   ioasid_virtio_iommu_set_status(f->v, ack | IOASID_VIRTIO_IOMMU_STATUS_DRIVER_OK));
	EXPECT_ERR(EINVAL, "bits 0x10",
		   ioasid_virtio_iommu_set_status(f->v, ack | 0x10));
	assert_int_equal(ioasid_virtio_iommu_status(f->v), ack);
	OK(ioasid_virtio_iommu_set_features(f->v, ioasid_virtio_iommu_features(f->v)));
	OK(ioasid_virtio_iommu_set_status(f->v, fok));
	EXPECT_ERR(EBUSY, "FEATURES_OK is set",
		   ioasid_virtio_iommu_set_features(f->v, 0));
	EXPECT_ERR(EBUSY, "DRIVER_OK", try_attach(f, 1, EP_EMU, &used, tail));
	OK(ioasid_virtio_iommu_set_status(f->v, dok));
	OK(try_attach(f, 1, EP_EMU, &used, tail));
	assert_int_equal(used, 4);
	assert_int_equal(tail[0], S_OK);
	EXPECT_ERR(EINVAL, "only a reset (0) clears bits",
		   ioasid_virtio_iommu_set_status(f->v, ack));

	/* After a reset, refused until the driver renegotiates. */
	OK(ioasid_virtio_iommu_reset(f->v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
	assert_int_equal(ioasid_virtio_iommu_status(f->v), 0);
	EXPECT_ERR(EBUSY, "since the last reset", try_attach(f, 1, EP_EMU, &used, tail));
	assert_int_equal(used, 0);
	OK(ioasid_virtio_iommu_set_status(f->v, ack));
	EXPECT_ERR(EPROTO, "no features", ioasid_virtio_iommu_set_status(f->v, dok));
	OK(ioasid_virtio_iommu_set_features(f->v, ioasid_virtio_iommu_features(f->v)));
	OK(ioasid_virtio_iommu_set_status(f->v, dok));
	OK(try_attach(f, 2, EP_EMU, &used, tail));
	assert_int_equal(tail[0], S_OK);

	/* FAILED stops it; a status write of 0 is a reset. */
	OK(ioasid_virtio_iommu_set_status(f->v, dok | IOASID_VIRTIO_IOMMU_STATUS_FAILED));
	EXPECT_ERR(EBUSY, "set FAILED", try_attach(f, 3, EP_EMU, &used, tail));
	OK(ioasid_virtio_iommu_set_status(f->v, 0));
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.domains, 0);
	EXPECT_ERR(EBUSY, "DRIVER_OK", try_attach(f, 3, EP_EMU, &used, tail));
	vfx_free(f);

	/* Without the gate, status 0 still serves requests (the default). */
	f = vfx_new(0);
	assert_int_equal(ioasid_virtio_iommu_status(f->v), 0);
	OK(try_attach(f, 1, EP_EMU, &used, tail));
	assert_int_equal(tail[0], S_OK);
	/* but the status rules of set_status() hold. */
	EXPECT_ERR(EINVAL, "DRIVER_OK without FEATURES_OK",
		   ioasid_virtio_iommu_set_status(f->v, IOASID_VIRTIO_IOMMU_STATUS_DRIVER_OK));
	vfx_free(f);
	EXPECT_ERR(EINVAL, "device is NULL", ioasid_virtio_iommu_set_status(NULL, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VT(test_request_result),
		cmocka_unit_test(test_offer_input_range),
		cmocka_unit_test(test_offer_withhold_features),
		cmocka_unit_test(test_granule_larger_than_guest_page),
		VT(test_default_msi),
		VT(test_translate_probe_only),
		VT(test_walks),
		cmocka_unit_test(test_status_gate),
	};

	return cmocka_run_group_tests_name("viommu_api", tests, NULL, NULL);
}
