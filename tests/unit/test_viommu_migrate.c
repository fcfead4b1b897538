// SPDX-License-Identifier: MIT
/*
 * virtio-iommu device state save/restore: a device saved on one context
 * and restored into a new device on another context has the same guest
 * state (IOAS contents probed with ioasid_ioas_copy(), translations of the
 * emulated endpoint, attachments, queued faults, answers to later guest
 * requests), and every kind of bad stream is refused with a message
 * naming the fault while the new device stays untouched.  Streams are
 * edited with this file's own CRC-32 (bitwise, independent of the
 * library's table), so semantic checks are reached past the checksum.
 */
#include "viommu_helpers.h"

#include "core.h"
#include "sim-test-hooks.h"
#include "viommu/pgtable.h"

#define EP_F0 0x28u /* 0000:00:05.0, group 12 */
#define EP_F1 0x29u /* 0000:00:05.1, group 12 */
#define HDR 24u
#define RH 8u

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

struct stream {
	uint8_t *p;
	size_t n;
};

static struct stream save(struct vfx *f)
{
	struct stream s = { 0 };
	size_t need = 0;

	EXPECT_ERR(EMSGSIZE, "needs", ioasid_virtio_iommu_save(f->v, NULL, 0, &need));
	assert_true(need > HDR);
	s.p = malloc(need);
	assert_non_null(s.p);
	/* One byte short is refused too, and writes nothing. */
	memset(s.p, 0x5a, need);
	EXPECT_ERR(EMSGSIZE, NULL, ioasid_virtio_iommu_save(f->v, s.p, need - 1, &s.n));
	assert_int_equal(s.p[0], 0x5a);
	OK(ioasid_virtio_iommu_save(f->v, s.p, need, &s.n));
	assert_int_equal(s.n, need);
	/* The library's CRC is the standard one. */
	assert_int_equal(le32_get(s.p + need - 4), crc32_bitwise(s.p, need - 4));
	return s;
}

static void fix(struct stream *s)
{
	le64_put(s->p + 16, s->n);
	le32_put(s->p + s->n - 4, crc32_bitwise(s->p, s->n - 4));
}

/* @c, as long as @s, becomes @s with the @width-byte little-endian field
 * at @off set to @v, the header and CRC fixed up. */
static void edit(struct stream *c, const struct stream *s, size_t off,
		 unsigned int width, uint64_t v)
{
	assert_int_equal(c->n, s->n);
	memcpy(c->p, s->p, s->n);
	switch (width) {
	case 1:
		c->p[off] = (uint8_t)v;
		break;
	case 2:
		le16_put(c->p + off, (uint16_t)v);
		break;
	case 4:
		le32_put(c->p + off, (uint32_t)v);
		break;
	default:
		le64_put(c->p + off, v);
	}
	fix(c);
}

/* Offset of the payload of the @nth record of @type, or 0. */
static size_t rec(const struct stream *s, uint16_t type, unsigned int nth)
{
	for (size_t off = HDR; off + RH <= s->n - 4;
	     off += RH + le32_get(s->p + off + 4))
		if (le16_get(s->p + off) == type && nth-- == 0)
			return off + RH;
	return 0;
}

/* Insert a record before the checksum. */
static void append(struct stream *s, uint16_t type, uint16_t flags,
		   const uint8_t *payload, uint32_t len)
{
	uint8_t *p = realloc(s->p, s->n + RH + len);

	assert_non_null(p);
	s->p = p;
	s->n += RH + len;
	le16_put(p + s->n - 4 - RH - len, type);
	le16_put(p + s->n - 4 - RH - len + 2, flags);
	le32_put(p + s->n - 4 - RH - len + 4, len);
	memcpy(p + s->n - 4 - len, payload, len);
	fix(s);
}

static struct stream copy(const struct stream *s)
{
	struct stream c = { malloc(s->n), s->n };

	assert_non_null(c.p);
	memcpy(c.p, s->p, s->n);
	return c;
}

/* A destination like vfx_new() (its own simulator context, its own RAM,
 * no event callback, features not negotiated) plus the dual-function
 * card's two endpoints when @card. */
static struct vfx *dst_new(bool card, uint32_t probe_size)
{
	struct vfx *g = calloc(1, sizeof(*g));
	IOASID_OPTS(ioasid_virtio_iommu_opts, o, .probe_size = probe_size);

	assert_non_null(g);
	vfx_init(g, &o);
	if (card) {
		OK(ioasid_virtio_iommu_add_endpoint(g->v, EP_F0,
					      dev_open_bound(g->ctx, "0000:00:05.0"),
					      NULL));
		OK(ioasid_virtio_iommu_add_endpoint(g->v, EP_F1,
					      dev_open_bound(g->ctx, "0000:00:05.1"),
					      NULL));
	}
	return g;
}

static uint32_t dom_ioas(struct vfx *f, uint32_t dom)
{
	uint32_t ioas = 0;

	OK(ioasid_virtio_iommu_domain_ioas(f->v, dom, &ioas));
	return ioas;
}

/* The guest state used by most tests: domain 1 = NIC + emulated, with a
 * mapping across the RAM slot boundary, a read-only one and an MMIO one;
 * domain 2 = NVMe with two mappings; a queued fault report. */
static void populate(struct vfx *f)
{
	struct ioasid_virtio_iommu_translation t;

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(attach(f, 2, EP_NVME), S_OK);
	assert_int_equal(map(f, 1, 0x100000, 0x10ffff, 0x200000, RW), S_OK);
	assert_int_equal(map(f, 1, 0x40000000, 0x401fffff, 7 * SZ_1M, RW), S_OK);
	assert_int_equal(map(f, 1, 0x50000000, 0x50000fff, 0x3000, 1), S_OK);
	assert_int_equal(map(f, 1, 0x60000000, 0x6000ffff, 0xf0000000, 4 | RW),
			 S_OK);
	assert_int_equal(map(f, 2, 0, 0xfff, 0x1000, RW), S_OK);
	assert_int_equal(map(f, 2, 0x800000, 0x8fffff, 0x400000, 2), S_OK);
	EXPECT_ERR(EFAULT, "not mapped",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x70000000,
					   IOASID_VIRTIO_IOMMU_ACCESS_READ, &t));
}

/* Nothing of a failed restore is visible: no domain, no mapping, no
 * event, devices where they were (blocked: bypass 0), and the host holds
 * no object the restore made. */
static void assert_untouched(struct vfx *g, uint32_t first_free_id)
{
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	uint32_t ids[8], ioas, top = 0;
	uint8_t cfg[IOASID_VIRTIO_IOMMU_CONFIG_SIZE], ev[24];

	OK(ioasid_virtio_iommu_get_stats(g->v, &st));
	assert_int_equal(st.domains, 0);
	assert_int_equal(st.mappings, 0);
	assert_int_equal(st.events_pending, 0);
	assert_int_equal(ioasid_virtio_iommu_event_pop(g->v, ev, sizeof(ev)), 0);
	assert_int_equal(ioasid_dev_pt_id(g->nic), 0);
	assert_int_equal(ioasid_dev_pt_id(g->nvme), 0);
	EXPECT_ERR(ENOENT, NULL, ioasid_virtio_iommu_domain_ioas(g->v, 1, &ioas));
	OK(ioasid_virtio_iommu_config_read(g->v, 0, cfg, sizeof(cfg)));
	assert_int_equal(cfg[36], 0);
	/* Whatever the id allocator (lowest free or increasing), an id at
	 * or above the first free one before the restore is either one of
	 * these new IOASes or does not exist. */
	for (int i = 0; i < 8; i++) {
		OK(ioasid_ioas_alloc(g->ctx, &ids[i]));
		if (ids[i] > top)
			top = ids[i];
	}
	for (uint32_t id = first_free_id; id <= top; id++) {
		bool mine = false;

		for (int i = 0; i < 8; i++)
			mine |= ids[i] == id;
		if (!mine)
			assert_int_equal(ioasid_ioas_destroy(g->ctx, id), -ENOENT);
	}
	for (int i = 0; i < 8; i++)
		OK(ioasid_ioas_destroy(g->ctx, ids[i]));
}

static uint32_t first_free(struct vfx *g)
{
	uint32_t id;

	OK(ioasid_ioas_alloc(g->ctx, &id));
	OK(ioasid_ioas_destroy(g->ctx, id));
	return id;
}

static void destroy(struct vfx *g)
{
	vfx_teardown((void **)&g);
}

/* ---- Round trip ------------------------------------------------------ */

static void test_round_trip_same_state(void **state)
{
	VFX;
	struct vfx *g = dst_new(false, 0);
	struct ioasid_virtio_iommu_stats a = { .sz = sizeof(a) }, b = { .sz = sizeof(b) };
	struct ioasid_virtio_iommu_translation ts, td;
	struct stream s, again;
	uint8_t ev_src[24], ev_dst[24];
	static const uint64_t probes[] = { 0x100000, 0x10f000, 0x40000000,
					   0x40100000, 0x401ff000, 0x50000000,
					   0x60000000 };

	populate(f);
	s = save(f);
	assert_ptr_not_equal(f->ctx, g->ctx);
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));

	OK(ioasid_virtio_iommu_get_stats(f->v, &a));
	OK(ioasid_virtio_iommu_get_stats(g->v, &b));
	assert_int_equal(b.domains, a.domains);
	assert_int_equal(b.mappings, a.mappings);
	assert_int_equal(b.mappings, 6);
	/* Physical endpoints: attached to their domains' IOASes, which hold
	 * the host-backed mappings and nothing else. */
	assert_int_equal(ioasid_dev_pt_id(g->nic), dom_ioas(g, 1));
	assert_int_equal(ioasid_dev_pt_id(g->nvme), dom_ioas(g, 2));
	assert_true(is_mapped(g->ctx, dom_ioas(g, 1), 0x100000, SZ_64K));
	assert_true(is_mapped(g->ctx, dom_ioas(g, 1), 0x40000000, SZ_2M));
	assert_true(is_mapped(g->ctx, dom_ioas(g, 1), 0x50000000, SZ_4K));
	assert_false(is_mapped(g->ctx, dom_ioas(g, 1), 0x60000000, SZ_4K));
	assert_false(is_mapped(g->ctx, dom_ioas(g, 1), 0x110000, SZ_4K));
	assert_true(is_mapped(g->ctx, dom_ioas(g, 2), 0, SZ_4K));
	assert_true(is_mapped(g->ctx, dom_ioas(g, 2), 0x800000, SZ_1M));
	assert_false(is_mapped(g->ctx, dom_ioas(g, 2), 0x1000, SZ_4K));
	/* Emulated endpoint: the same translations. */
	for (unsigned int i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, probes[i] + 8,
					   IOASID_VIRTIO_IOMMU_ACCESS_READ, &ts));
		OK(ioasid_virtio_iommu_translate(g->v, EP_EMU, probes[i] + 8,
					   IOASID_VIRTIO_IOMMU_ACCESS_READ, &td));
		assert_int_equal(td.gpa, ts.gpa);
		assert_int_equal(td.iova_last, ts.iova_last);
		assert_int_equal(td.perm, ts.perm);
	}
	/* The queued fault report came along. */
	assert_int_equal(ioasid_virtio_iommu_event_pop(f->v, ev_src, 24), 24);
	assert_int_equal(ioasid_virtio_iommu_event_pop(g->v, ev_dst, 24), 24);
	assert_memory_equal(ev_src, ev_dst, 24);
	/* Saving the restored device gives the same stream (minus the
	 * event just popped on both). */
	free(s.p);
	s = save(f);
	again = save(g);
	assert_int_equal(again.n, s.n);
	assert_memory_equal(again.p, s.p, s.n);
	free(s.p);
	free(again.p);
	destroy(g);
}

static void test_restored_answers_like_source(void **state)
{
	VFX;
	struct vfx *g = dst_new(false, 0);
	struct stream s;
	struct vfx *both[2] = { f, g };

	populate(f);
	s = save(f);
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	free(s.p);
	for (int i = 0; i < 2; i++) {
		struct vfx *x = both[i];

		/* Overlap, split, wrong domain kind: the same refusals. */
		assert_int_equal(map(x, 1, 0x108000, 0x118fff, 0x300000, RW), S_INVAL);
		assert_int_equal(unmap(x, 1, 0x100000, 0x107fff), S_RANGE);
		assert_int_equal(map(x, 9, 0, 0xfff, 0, RW), S_NOENT);
		assert_int_equal(detach(x, 2, EP_NIC), S_INVAL);
		/* UNMAP of a restored mapping works and reaches the IOAS. */
		assert_int_equal(unmap(x, 1, 0x40000000, 0x401fffff), S_OK);
		assert_false(is_mapped(x->ctx, dom_ioas(x, 1), 0x40000000, SZ_4K));
		assert_int_equal(unmap(x, 2, 0, 0xfff), S_OK);
		assert_false(is_mapped(x->ctx, dom_ioas(x, 2), 0, SZ_4K));
		/* The space is free again; a new MAP lands. */
		assert_int_equal(map(x, 1, 0x40000000, 0x40000fff, 0x5000, RW), S_OK);
		assert_true(is_mapped(x->ctx, dom_ioas(x, 1), 0x40000000, SZ_4K));
		/* A moved endpoint leaves the domain, the last one kills it. */
		assert_int_equal(attach(x, 1, EP_NVME), S_OK);
		EXPECT_ERR(ENOENT, NULL, ioasid_virtio_iommu_domain_ioas(x->v, 2, &(uint32_t){ 0 }));
		assert_int_equal(ioasid_dev_pt_id(x->nvme), dom_ioas(x, 1));
	}
	destroy(g);
}

static void test_bypass_and_unattached(void **state)
{
	VFX;
	struct vfx *g = dst_new(false, 0);
	struct ioasid_virtio_iommu_translation t;
	uint8_t one = 1, cfg[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];
	struct stream s;
	uint32_t pt;

	/* The driver turned bypass on; NVMe stays unattached (in bypass),
	 * NIC sits in a bypass domain, the emulated one in a normal one. */
	OK(ioasid_virtio_iommu_config_write(f->v, 36, &one, 1));
	assert_int_equal(attach_r(f, 5, EP_NIC, 1, 0), S_OK);
	assert_int_equal(attach(f, 6, EP_EMU), S_OK);
	assert_int_equal(map(f, 6, 0x1000, 0x1fff, 0x2000, RW), S_OK);
	s = save(f);
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	free(s.p);
	OK(ioasid_virtio_iommu_config_read(g->v, 0, cfg, sizeof(cfg)));
	assert_int_equal(cfg[36], 1);
	pt = ioasid_dev_pt_id(g->nvme);
	assert_int_not_equal(pt, 0);
	assert_true(is_mapped(g->ctx, pt, 0, RAM_SIZE));
	assert_int_equal(ioasid_dev_pt_id(g->nic), pt);
	EXPECT_ERR(ENOENT, "bypass", ioasid_virtio_iommu_domain_ioas(g->v, 5, &pt));
	/* Emulated domain without physical endpoint: translate only. */
	OK(ioasid_virtio_iommu_translate(g->v, EP_EMU, 0x1008,
				   IOASID_VIRTIO_IOMMU_ACCESS_WRITE, &t));
	assert_int_equal(t.gpa, 0x2008);
	/* Bypass write still needs BYPASS_CONFIG: the features came too. */
	OK(ioasid_virtio_iommu_config_write(g->v, 36, &(uint8_t){ 0 }, 1));
	assert_int_equal(ioasid_dev_pt_id(g->nvme), 0);
	destroy(g);
}

static void test_empty_device_and_reset_target(void **state)
{
	VFX;
	struct vfx *g = dst_new(false, 0);
	struct stream s = save(f), busy;

	/* Nothing but config and features. */
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	/* A device with guest state is refused; after a reset it takes the
	 * stream. */
	populate(f);
	busy = save(f);
	assert_int_equal(attach(g, 3, EP_NIC), S_OK);
	EXPECT_ERR(EBUSY, "guest state", ioasid_virtio_iommu_restore(g->v, busy.p, busy.n));
	OK(ioasid_virtio_iommu_reset(g->v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
	OK(ioasid_virtio_iommu_restore(g->v, busy.p, busy.n));
	assert_int_equal(ioasid_dev_pt_id(g->nic), dom_ioas(g, 1));
	free(s.p);
	free(busy.p);
	destroy(g);
}

/* ---- Refused streams --------------------------------------------------- */

#define REFUSE(g, err, needle, st)                                          \
	do {                                                                \
		uint32_t ff_ = first_free(g);                               \
		EXPECT_ERR(err, needle,                                     \
			   ioasid_virtio_iommu_restore((g)->v, (st).p, (st).n));  \
		assert_untouched(g, ff_);                                   \
	} while (0)

static void test_refuse_header(void **state)
{
	VFX;
	struct vfx *g = dst_new(false, 0);
	struct stream s, c;

	populate(f);
	s = save(f);
	c = copy(&s);
	c.p[0] ^= 1;
	REFUSE(g, EBADMSG, "magic", c);
	edit(&c, &s, 8, 4, 2);
	REFUSE(g, EPROTONOSUPPORT, "version 2", c);
	edit(&c, &s, 12, 4, 1);
	REFUSE(g, EBADMSG, "header flags", c);
	/* Length field against the buffer. */
	memcpy(c.p, s.p, s.n);
	le64_put(c.p + 16, s.n + 8);
	REFUSE(g, EBADMSG, "truncated", c);
	c.n = s.n - 1;
	memcpy(c.p, s.p, s.n);
	REFUSE(g, EBADMSG, "truncated", c);
	/* Trailing bytes. */
	free(c.p);
	c.p = malloc(s.n + 3);
	memcpy(c.p, s.p, s.n);
	c.n = s.n + 3;
	REFUSE(g, EBADMSG, "trailing", c);
	/* NULL with a size. */
	EXPECT_ERR(EINVAL, NULL, ioasid_virtio_iommu_restore(g->v, NULL, 4));
	/* Still restorable afterwards. */
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	free(c.p);
	free(s.p);
	destroy(g);
}

static void test_refuse_every_truncation_and_bit_flip(void **state)
{
	VFX;
	struct vfx *g = dst_new(false, 0);
	uint32_t ff = first_free(g);
	struct stream s;
	uint8_t *c;

	populate(f);
	s = save(f);
	c = malloc(s.n);
	assert_non_null(c);
	for (size_t len = 0; len < s.n; len++) {
		memcpy(c, s.p, len);
		assert_true(ioasid_virtio_iommu_restore(g->v, c, len) < 0);
	}
	/* Every byte, one bit each (cycling through the bit positions): a
	 * single-bit error is what a CRC-32 always detects. */
	for (size_t i = 0; i < s.n; i++) {
		memcpy(c, s.p, s.n);
		c[i] ^= (uint8_t)(1u << (i % 8));
		assert_true(ioasid_virtio_iommu_restore(g->v, c, s.n) < 0);
	}
	memcpy(c, s.p, s.n);
	c[s.n / 2] ^= 0x10;
	EXPECT_ERR(EBADMSG, "checksum", ioasid_virtio_iommu_restore(g->v, c, s.n));
	assert_untouched(g, ff);
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	free(c);
	free(s.p);
	destroy(g);
}

static void test_refuse_bad_records(void **state)
{
	VFX;
	struct vfx *g = dst_new(false, 0);
	struct stream s, c;
	size_t dev, map0, map1, ep0, dom0;
	uint8_t extra[32] = { 0 };

	populate(f);
	s = save(f);
	dev = rec(&s, 1, 0);
	ep0 = rec(&s, 2, 0);
	dom0 = rec(&s, 3, 0);
	map0 = rec(&s, 4, 0);
	map1 = rec(&s, 4, 1);
	assert_true(dev && ep0 && dom0 && map0 && map1);

	/* A record length that is wrong for its type, or runs past the end. */
	c = copy(&s);
	edit(&c, &s, map0 - 4, 4, 31);
	REFUSE(g, EBADMSG, "length 31, expected 32", c);
	edit(&c, &s, map0 - 4, 4, 0x7fffffff);
	REFUSE(g, EBADMSG, "runs past the end", c);
	/* Counts in the DEVICE record that do not match, or cannot fit. */
	edit(&c, &s, dev + 56, 8, 5);
	REFUSE(g, EBADMSG, "announced", c);
	edit(&c, &s, dev + 56, 8, 1ull << 60);
	REFUSE(g, EBADMSG, "cannot fit", c);
	edit(&c, &s, dev + 48, 4, 0xffffffff);
	REFUSE(g, EBADMSG, "cannot fit", c);
	/* Overlapping mappings (map1 moved onto map0's range). */
	memcpy(c.p, s.p, s.n);
	le32_put(c.p + map1, le32_get(s.p + map0));
	le64_put(c.p + map1 + 8, le64_get(s.p + map0 + 8) + SZ_4K);
	le64_put(c.p + map1 + 16, le64_get(s.p + map0 + 8) + 2 * SZ_4K - 1);
	fix(&c);
	REFUSE(g, EBADMSG, "overlap", c);
	/* A mapping in a domain the stream does not have. */
	edit(&c, &s, map0, 4, 77);
	REFUSE(g, EBADMSG, "domain 77", c);
	/* A mapping outside the new device's RAM. */
	edit(&c, &s, map0 + 24, 8, RAM_SIZE);
	REFUSE(g, EINVAL, "not RAM", c);
	/* Misaligned, unknown flag. */
	edit(&c, &s, map0 + 8, 8, le64_get(s.p + map0 + 8) + 1);
	REFUSE(g, EBADMSG, "misaligned", c);
	edit(&c, &s, map0 + 4, 4, 8);
	REFUSE(g, EBADMSG, "flags", c);
	/* An endpoint attached to an unknown domain; a domain left without
	 * endpoints; a domain twice. */
	edit(&c, &s, ep0 + 8, 4, 55);
	REFUSE(g, EBADMSG, "domain 55", c);
	edit(&c, &s, rec(&s, 3, 1), 4, le32_get(s.p + dom0));
	REFUSE(g, EBADMSG, "twice", c);
	/* Endpoint ids must be the registered ones, of the same kind. */
	edit(&c, &s, ep0, 4, EP_NONE);
	REFUSE(g, EINVAL, "not registered", c);
	edit(&c, &s, ep0 + 4, 1, s.p[ep0 + 4] ^ 1);
	REFUSE(g, EINVAL, "emulated", c);
	/* A nested domain without the table region (NESTED record),
	 * unknown mode, unknown mandatory record; an unknown optional
	 * record is skipped. */
	edit(&c, &s, dom0 + 5, 1, 1);
	REFUSE(g, EBADMSG, "no NESTED record", c);
	edit(&c, &s, dom0 + 5, 1, 9);
	REFUSE(g, EBADMSG, "mode 9", c);
	free(c.p);
	c = copy(&s);
	append(&c, 200, 0, extra, sizeof(extra));
	REFUSE(g, EPROTONOSUPPORT, "record type 200", c);
	free(c.p);
	c = copy(&s);
	append(&c, 200, 1, extra, sizeof(extra));
	OK(ioasid_virtio_iommu_restore(g->v, c.p, c.n));
	free(c.p);
	free(s.p);
	destroy(g);
}

/* EVENT records of a CRC-valid stream that this device would never have
 * queued: an endpoint that does not exist, a reason or flags it does not
 * report.  Refused, nothing changed. */
static void test_refuse_impossible_events(void **state)
{
	VFX;
	struct vfx *g = dst_new(false, 0);
	struct stream s, c;
	size_t ev;

	populate(f);
	s = save(f);
	ev = rec(&s, 5, 0);
	assert_true(ev);
	c = copy(&s);
	edit(&c, &s, ev + 8, 4, EP_NONE);
	REFUSE(g, EBADMSG, "names endpoint 444", c);
	edit(&c, &s, ev + 4, 4, le32_get(s.p + ev + 4) & ~0x100u); /* no F_ADDRESS */
	REFUSE(g, EBADMSG, "not a fault this device reports", c);
	edit(&c, &s, ev, 1, 0); /* reason UNKNOWN */
	REFUSE(g, EBADMSG, "not a fault this device reports", c);
	/* The unedited stream restores. */
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	free(c.p);
	free(s.p);
	destroy(g);
}

static void test_refuse_other_device(void **state)
{
	VFX;
	struct vfx *g = dst_new(false, 128), *h = dst_new(true, 0);
	struct stream s;

	populate(f);
	s = save(f);
	/* The guest read probe_size 512. */
	REFUSE(g, EINVAL, "probe_size", s);
	/* h has two endpoints more than the stream. */
	REFUSE(h, EINVAL, "not in the stream", s);
	free(s.p);
	destroy(g);
	destroy(h);
}

/* A stream that puts two functions of one IOMMU group in different
 * domains (the host attaches a group as a unit, and so does the device
 * model) is refused before the host is touched; the unedited stream then
 * restores into the same device. */
static void test_refuse_split_group(void **state)
{
	struct vfx *src = dst_new(true, 0), *g = dst_new(true, 0);
	uint32_t ff = first_free(g);
	struct stream s;
	size_t ep = 0;

	(void)state;
	OK(ioasid_virtio_iommu_set_features(src->v, ioasid_virtio_iommu_features(src->v)));
	assert_int_equal(attach(src, 1, EP_NIC), S_OK);
	assert_int_equal(attach(src, 1, EP_F0), S_OK);
	assert_int_equal(attach(src, 2, EP_NVME), S_OK);
	/* The group moves as one: F1 joined domain 1 with F0. */
	assert_int_equal(attach(src, 1, EP_F1), S_OK);
	assert_int_equal(map(src, 1, 0x100000, 0x1fffff, 0, RW), S_OK);
	assert_int_equal(map(src, 2, 0x100000, 0x1fffff, SZ_1M, RW), S_OK);
	s = save(src);
	/* A stream claiming F1 in domain 2, F0 staying in domain 1. */
	for (unsigned int i = 0; (ep = rec(&s, 2, i)); i++)
		if (le32_get(s.p + ep) == EP_F1)
			break;
	assert_true(ep);
	le32_put(s.p + ep + 8, 2);
	fix(&s);
	EXPECT_ERR(EBADMSG, "share IOMMU group",
		   ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	assert_untouched(g, ff);
	/* The unedited state restores into the same device afterwards. */
	le32_put(s.p + ep + 8, 1);
	fix(&s);
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	assert_true(is_mapped(g->ctx, dom_ioas(g, 2), 0x100000, SZ_1M));
	assert_int_equal(ioasid_dev_pt_id(g->nvme), dom_ioas(g, 2));
	destroy(src);
	destroy(g);
	free(s.p);
}

/* ---- Nested mode --------------------------------------------------------- */

#define REGION_GPA 0x100000000ull
#define REGION_SIZE (2 * SZ_1M)
#define R_NESTED 6u

struct nested_vfx {
	struct vfx *f;
	void *region;
};

/* A device like dst_new(false, 0) with nested mode on (table region at
 * @gpa, its own memory); @source: features negotiated, as a running
 * guest's device; otherwise a restore destination. */
static struct nested_vfx nested_new(bool source, uint64_t gpa)
{
	struct nested_vfx n = { dst_new(false, 0), NULL };

	ioasid_sim_set_s1_walker(n.f->ctx->be, vpt_s1_walk, NULL);
	n.region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(n.region != MAP_FAILED);
	IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no, .region_gpa = gpa,
		    .region_size = REGION_SIZE, .region_hva = n.region);
	OK(ioasid_virtio_iommu_enable_nested(n.f->v, &no));
	if (source)
		OK(ioasid_virtio_iommu_set_features(n.f->v,
					      ioasid_virtio_iommu_features(n.f->v)));
	return n;
}

static void nested_destroy(struct nested_vfx n)
{
	destroy(n.f);
	munmap(n.region, REGION_SIZE);
}

static uint32_t mode_of(struct vfx *f, uint32_t dom)
{
	uint32_t mode = 99;

	OK(ioasid_virtio_iommu_domain_mode(f->v, dom, &mode));
	return mode;
}

/* Where a DMA of the physical endpoint's device to @iova lands: an
 * offset into guest RAM, or -1 when not mapped.  Nested domains go
 * through the simulator's stage-1 walk of the tables in the region. */
static int64_t dma_lands(struct vfx *f, struct ioasid_dev *dev, uint64_t iova)
{
	uint64_t va = 0;
	int rc = ioasid_sim_hwpt_translate(f->ctx->be, ioasid_dev_pt_id(dev),
					   iova, &va);

	if (rc == -ENOENT || rc == -EFAULT)
		return -1;
	OK(rc);
	assert_true(va >= (uintptr_t)f->ram && va < (uintptr_t)f->ram + RAM_SIZE);
	return (int64_t)(va - (uintptr_t)f->ram);
}

static void test_nested_round_trip(void **state)
{
	struct nested_vfx src = nested_new(true, REGION_GPA);
	struct nested_vfx dst = nested_new(false, REGION_GPA);
	struct vfx *f = src.f, *g = dst.f;
	struct ioasid_virtio_iommu_translation ts, td;
	struct stream s, again;
	size_t nr;
	static const uint64_t probes[] = { 0x100000, 0x10f000, 0x40000000,
					   0x401ff000, 0x50000000, 0x60000000 };

	(void)state;
	populate(f);
	assert_int_equal(mode_of(f, 1), IOASID_VIRTIO_IOMMU_MODE_NESTED);
	assert_int_equal(mode_of(f, 2), IOASID_VIRTIO_IOMMU_MODE_NESTED);
	s = save(f);
	/* The region travels in a NESTED record, the mode in DOMAIN. */
	nr = rec(&s, R_NESTED, 0);
	assert_true(nr);
	assert_int_equal(le64_get(s.p + nr), REGION_GPA);
	assert_int_equal(le64_get(s.p + nr + 8), REGION_SIZE);
	assert_int_equal(rec(&s, R_NESTED, 1), 0);
	assert_int_equal(s.p[rec(&s, 3, 0) + 5], 1);
	assert_int_equal(s.p[rec(&s, 3, 1) + 5], 1);

	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	assert_int_equal(mode_of(g, 1), IOASID_VIRTIO_IOMMU_MODE_NESTED);
	assert_int_equal(mode_of(g, 2), IOASID_VIRTIO_IOMMU_MODE_NESTED);
	/* The destination's own tables, in its own region memory, give
	 * the source's translations (stage 1 then stage 2). */
	assert_int_equal(dma_lands(g, g->nic, 0x100010), 0x200010);
	assert_int_equal(dma_lands(g, g->nic, 0x10fff8), 0x20fff8);
	assert_int_equal(dma_lands(g, g->nic, 0x401ff000), 7 * SZ_1M + 0x1ff000);
	assert_int_equal(dma_lands(g, g->nic, 0x50000000), 0x3000);
	assert_int_equal(dma_lands(g, g->nic, 0x60000000), -1); /* MMIO */
	assert_int_equal(dma_lands(g, g->nic, 0x110000), -1);
	assert_int_equal(dma_lands(g, g->nvme, 0x10), 0x1010);
	assert_int_equal(dma_lands(g, g->nvme, 0x8ff000), 0x4ff000);
	assert_int_equal(dma_lands(g, g->nvme, 0x1000), -1);
	assert_int_equal(dma_lands(f, f->nic, 0x100010), 0x200010);
	for (unsigned int i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, probes[i] + 8,
					   IOASID_VIRTIO_IOMMU_ACCESS_READ, &ts));
		OK(ioasid_virtio_iommu_translate(g->v, EP_EMU, probes[i] + 8,
					   IOASID_VIRTIO_IOMMU_ACCESS_READ, &td));
		assert_int_equal(td.gpa, ts.gpa);
		assert_int_equal(td.perm, ts.perm);
	}
	/* Saved again: the same bytes. */
	again = save(g);
	free(s.p);
	s = save(f);
	assert_int_equal(again.n, s.n);
	assert_memory_equal(again.p, s.p, s.n);
	/* The restored domain works on: UNMAP + flush clears the DMA path,
	 * a new MAP lands, the region stays refused. */
	assert_int_equal(unmap(g, 1, 0x40000000, 0x401fffff), S_OK);
	OK(ioasid_virtio_iommu_flush(g->v));
	assert_int_equal(dma_lands(g, g->nic, 0x40000000), -1);
	assert_int_equal(map(g, 1, 0x40000000, 0x40000fff, 0x5000, RW), S_OK);
	assert_int_equal(dma_lands(g, g->nic, 0x40000008), 0x5008);
	assert_int_equal(map(g, 1, REGION_GPA, REGION_GPA + 0xfff, 0, RW), S_INVAL);
	free(s.p);
	free(again.p);
	nested_destroy(src);
	nested_destroy(dst);
}

/* A domain that is shadow on a nested source (here: edited so) stays a
 * shadow domain on the destination, with its IOAS. */
static void test_nested_shadow_domain_stays_shadow(void **state)
{
	struct nested_vfx src = nested_new(true, REGION_GPA);
	struct nested_vfx dst = nested_new(false, REGION_GPA);
	struct vfx *g = dst.f;
	struct stream s;

	(void)state;
	populate(src.f);
	s = save(src.f);
	assert_int_equal(le32_get(s.p + rec(&s, 3, 1)), 2);
	s.p[rec(&s, 3, 1) + 5] = 0;
	fix(&s);
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	assert_int_equal(mode_of(g, 1), IOASID_VIRTIO_IOMMU_MODE_NESTED);
	assert_int_equal(mode_of(g, 2), IOASID_VIRTIO_IOMMU_MODE_SHADOW);
	assert_int_equal(ioasid_dev_pt_id(g->nvme), dom_ioas(g, 2));
	assert_true(is_mapped(g->ctx, dom_ioas(g, 2), 0, SZ_4K));
	assert_true(is_mapped(g->ctx, dom_ioas(g, 2), 0x800000, SZ_1M));
	assert_int_equal(dma_lands(g, g->nic, 0x100000), 0x200000);
	free(s.p);
	nested_destroy(src);
	nested_destroy(dst);
}

static void test_nested_refusals(void **state)
{
	VFX; /* a shadow-mode source */
	struct nested_vfx src = nested_new(true, REGION_GPA);
	struct nested_vfx dst = nested_new(false, REGION_GPA);
	struct nested_vfx other = nested_new(false, REGION_GPA + 4 * SZ_1M);
	struct vfx *g = dst.f, *plain = dst_new(false, 0);
	struct stream s, shadow, c;
	size_t nr, dom0, map0;
	uint8_t dup[16];

	populate(src.f);
	populate(f);
	s = save(src.f);
	shadow = save(f);
	nr = rec(&s, R_NESTED, 0);
	dom0 = rec(&s, 3, 0);
	map0 = rec(&s, 4, 0);
	assert_true(nr && dom0 && map0);

	/* Nested stream, device without nested mode: named, untouched. */
	REFUSE(plain, EINVAL, "enable nested mode on this device first", s);
	/* The guest was told another region. */
	REFUSE(other.f, EINVAL, "table region 0x100000000-0x1001fffff", s);
	/* Shadow stream, device with nested mode on. */
	REFUSE(g, EINVAL, "without nested mode", shadow);
	/* A nested domain needs the NESTED record. */
	c = copy(&shadow);
	c.p[rec(&c, 3, 0) + 5] = 1;
	fix(&c);
	REFUSE(plain, EBADMSG, "no NESTED record", c);
	free(c.p);
	/* The region: over this device's RAM, misaligned, empty, past
	 * 2^52, twice. */
	c = copy(&s);
	edit(&c, &s, nr, 8, 0);
	REFUSE(g, EINVAL, "overlaps guest RAM", c);
	edit(&c, &s, nr, 8, REGION_GPA + 0x800);
	REFUSE(g, EBADMSG, "misaligned", c);
	edit(&c, &s, nr + 8, 8, 0);
	REFUSE(g, EBADMSG, "empty", c);
	edit(&c, &s, nr, 8, 1ull << 52);
	REFUSE(g, EBADMSG, "out of range", c);
	free(c.p);
	c = copy(&s);
	memcpy(dup, s.p + nr, sizeof(dup));
	append(&c, R_NESTED, 0, dup, sizeof(dup));
	REFUSE(g, EBADMSG, "second NESTED", c);
	free(c.p);
	/* A nested bypass domain; a mapping over the region (IOVA or
	 * phys). */
	c = copy(&s);
	edit(&c, &s, dom0 + 4, 1, 1);
	REFUSE(g, EBADMSG, "bypass domain cannot be nested", c);
	memcpy(c.p, s.p, s.n);
	le64_put(c.p + map0 + 8, REGION_GPA + SZ_1M);
	le64_put(c.p + map0 + 16, REGION_GPA + SZ_1M + 0xffff);
	fix(&c);
	REFUSE(g, EBADMSG, "overlaps the table region", c);
	edit(&c, &s, map0 + 24, 8, REGION_GPA);
	REFUSE(g, EBADMSG, "overlaps the table region", c);
	/* A NESTED record is not optional: a reader that does not know it
	 * refuses the stream (tested with the flag, which must be zero). */
	edit(&c, &s, nr - 6, 2, 2);
	REFUSE(g, EBADMSG, "unknown flags", c);
	free(c.p);
	/* After all that, the right device takes the unedited stream. */
	OK(ioasid_virtio_iommu_restore(g->v, s.p, s.n));
	assert_int_equal(dma_lands(g, g->nvme, 0x10), 0x1010);
	free(s.p);
	free(shadow.p);
	destroy(plain);
	nested_destroy(src);
	nested_destroy(dst);
	nested_destroy(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VT(test_round_trip_same_state),
		VT(test_restored_answers_like_source),
		VT(test_bypass_and_unattached),
		VT(test_empty_device_and_reset_target),
		VT(test_refuse_header),
		VT(test_refuse_every_truncation_and_bit_flip),
		VT(test_refuse_bad_records),
		VT(test_refuse_impossible_events),
		VT(test_refuse_other_device),
		cmocka_unit_test(test_refuse_split_group),
		cmocka_unit_test(test_nested_round_trip),
		cmocka_unit_test(test_nested_shadow_domain_stays_shadow),
		VT(test_nested_refusals),
	};

	return cmocka_run_group_tests_name("viommu_migrate", tests, NULL, NULL);
}
