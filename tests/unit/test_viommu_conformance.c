// SPDX-License-Identifier: MIT
/*
 * virtio-iommu device model: one test per device-side conformance item of
 * /work/shared/notes/virtio-iommu.md (b), named by its number; the spec's
 * seven UNMAP examples; QEMU's qtest vectors scaled to the 4 KiB granule
 * (each byte address a of the qtest becomes a page, a * 4K).  Simulator,
 * built-in x86 server topology.
 */
#include "viommu_helpers.h"

#define P(x) ((uint64_t)(x) * GRANULE) /* qtest address x, scaled */
#define PL(x) (P(x) + GRANULE - 1)	/* its last byte */

static uint8_t cfg8(struct vfx *f, uint32_t off)
{
	uint8_t b = 0xaa;

	OK(ioasid_virtio_iommu_config_read(f->v, off, &b, 1));
	return b;
}

static uint64_t cfg64(struct vfx *f, uint32_t off)
{
	uint8_t b[8];

	OK(ioasid_virtio_iommu_config_read(f->v, off, b, 8));
	return le64_get(b);
}

static uint32_t cfg32(struct vfx *f, uint32_t off)
{
	uint8_t b[4];

	OK(ioasid_virtio_iommu_config_read(f->v, off, b, 4));
	return le32_get(b);
}

/* ---- Features and config ----------------------------------------- */

/* ---- Both modes -------------------------------------------------------- */

/* Nested mode: the same device, with ioasid_virtio_iommu_enable_nested() before
 * features are negotiated (the reset takes back the negotiation of
 * vfx_new()).  The built-in topology's vtd0 nests, so every domain with a
 * physical endpoint is nested. */
#define NESTED_REGION_GPA 0x100000000ull
#define NESTED_REGION_SIZE (1024 * 1024)
static bool nested_mode;
static uint8_t nested_region[NESTED_REGION_SIZE] __attribute__((aligned(4096)));

static int vfx_setup_mode(void **state)
{
	struct vfx *f = vfx_new(0);

	if (nested_mode) {
		IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no,
			    .region_gpa = NESTED_REGION_GPA,
			    .region_size = NESTED_REGION_SIZE,
			    .region_hva = nested_region);

		OK(ioasid_virtio_iommu_reset(f->v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
		OK(ioasid_virtio_iommu_enable_nested(f->v, &no));
		OK(ioasid_virtio_iommu_set_features(f->v, ioasid_virtio_iommu_features(f->v)));
	}
	*state = f;
	return 0;
}

#undef VT
#define VT(fn) cmocka_unit_test_setup_teardown(fn, vfx_setup_mode, vfx_teardown)

/* The host object physical endpoints of @dom attach to: its IOAS in
 * shadow mode; in nested mode the nested HWPT @dev is on (the domain
 * must be nested and @dev on a HWPT that is not the IOAS kind). */
static uint32_t domain_pt(struct vfx *f, uint32_t dom, struct ioasid_dev *dev)
{
	uint32_t pt = 0, mode;

	OK(ioasid_virtio_iommu_domain_mode(f->v, dom, &mode));
	assert_int_equal(mode, nested_mode ? IOASID_VIRTIO_IOMMU_MODE_NESTED
					   : IOASID_VIRTIO_IOMMU_MODE_SHADOW);
	if (!nested_mode) {
		OK(ioasid_virtio_iommu_domain_ioas(f->v, dom, &pt));
		return pt;
	}
	assert_int_equal(ioasid_virtio_iommu_domain_ioas(f->v, dom, &pt), -ENOENT);
	pt = ioasid_dev_pt_id(dev);
	assert_int_not_equal(pt, 0);
	/* A nested HWPT is its own HWPT (an IOAS attach would differ). */
	assert_int_equal(ioasid_dev_hwpt_id(dev), pt);
	return pt;
}

/* RESV_MEM properties an endpoint reports beyond its own: nested mode
 * adds the table region. */
#define EXTRA_REGIONS (nested_mode ? 1 : 0)

/* Tests that add an endpoint while the guest runs: nested mode refuses
 * that by design (the region and input_range are fixed at enable). */
#define SHADOW_ONLY()                                                      \
	do {                                                               \
		if (nested_mode)                                           \
			skip();                                            \
	} while (0)

static void test_item_002_offers_map_unmap(void **state)
{
	VFX;
	uint64_t feat = ioasid_virtio_iommu_features(f->v);

	assert_true(feat & IOASID_VIRTIO_IOMMU_F_MAP_UNMAP);
	assert_int_equal(feat, IOASID_VIRTIO_IOMMU_F_INPUT_RANGE |
				       IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE |
				       IOASID_VIRTIO_IOMMU_F_MAP_UNMAP |
				       IOASID_VIRTIO_IOMMU_F_PROBE |
				       IOASID_VIRTIO_IOMMU_F_MMIO |
				       IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG);
	/* A driver accepting an unoffered bit is refused. */
	EXPECT_ERR(EINVAL, "not offered",
		   ioasid_virtio_iommu_set_features(f->v, IOASID_VIRTIO_IOMMU_F_BYPASS));
}

static void test_item_003_no_legacy_bypass(void **state)
{
	VFX;
	assert_false(ioasid_virtio_iommu_features(f->v) & IOASID_VIRTIO_IOMMU_F_BYPASS);
}

static void test_item_004_not_both_bypass_features(void **state)
{
	VFX;
	uint64_t feat = ioasid_virtio_iommu_features(f->v);

	assert_false((feat & IOASID_VIRTIO_IOMMU_F_BYPASS) &&
		     (feat & IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG));
}

static void test_item_005_bypass_write_needs_feature(void **state)
{
	VFX;
	uint8_t one = 1;

	OK(ioasid_virtio_iommu_set_features(f->v, IOASID_VIRTIO_IOMMU_F_MAP_UNMAP));
	EXPECT_ERR(EACCES, "BYPASS_CONFIG",
		   ioasid_virtio_iommu_config_write(f->v, 36, &one, 1));
	assert_int_equal(cfg8(f, 36), 0);
	OK(ioasid_virtio_iommu_set_features(f->v, ioasid_virtio_iommu_features(f->v)));
	OK(ioasid_virtio_iommu_config_write(f->v, 36, &one, 1));
	assert_int_equal(cfg8(f, 36), 1);
}

static void test_item_006_other_fields_read_only(void **state)
{
	VFX;
	uint8_t junk[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t before[40], after[40];

	OK(ioasid_virtio_iommu_config_read(f->v, 0, before, 40));
	for (uint32_t off = 0; off < 40; off += 4)
		if (off != 36)
			EXPECT_ERR(EACCES, "read-only",
				   ioasid_virtio_iommu_config_write(f->v, off, junk, 4));
	EXPECT_ERR(EINVAL, "outside",
		   ioasid_virtio_iommu_config_write(f->v, 38, junk, 4));
	EXPECT_ERR(EINVAL, "outside",
		   ioasid_virtio_iommu_config_read(f->v, UINT32_MAX, junk, 2));
	OK(ioasid_virtio_iommu_config_read(f->v, 0, after, 40));
	assert_memory_equal(before, after, 40);
}

static void test_item_009_page_size_mask_nonzero(void **state)
{
	VFX;
	uint64_t mask = cfg64(f, 0);

	assert_int_not_equal(mask, 0);
	/* Granule: vtd0's 4 KiB alignment (and the host page). */
	assert_int_equal(mask & -mask, GRANULE);
}

static void test_item_010_more_bits_are_hints(void **state)
{
	VFX;
	assert_true(__builtin_popcountll(cfg64(f, 0)) > 1);
}

static void test_item_011_initial_bypass_configurable(void **state)
{
	struct vfx *g = vfx_new(1);

	(void)state;
	assert_int_equal(cfg8(g, 36), 1);
	vfx_teardown((void **)&g);
}

static void test_item_012_bypass_survives_device_reset(void **state)
{
	VFX;
	uint8_t one = 1;

	OK(ioasid_virtio_iommu_config_write(f->v, 36, &one, 1));
	OK(ioasid_virtio_iommu_reset(f->v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
	assert_int_equal(cfg8(f, 36), 1);
	OK(ioasid_virtio_iommu_reset(f->v, IOASID_VIRTIO_IOMMU_RESET_SYSTEM));
	assert_int_equal(cfg8(f, 36), 0);
	EXPECT_ERR(EINVAL, "kind", ioasid_virtio_iommu_reset(f->v, 7));
}

static void test_item_013_bypass_only_0_or_1(void **state)
{
	VFX;
	for (unsigned int val = 0; val < 256; val++) {
		uint8_t b = (uint8_t)val;

		OK(ioasid_virtio_iommu_config_write(f->v, 36, &b, 1));
		assert_int_equal(cfg8(f, 36), val & 1); /* 8: bits 1-7 ignored */
		assert_int_equal(cfg8(f, 37) | cfg8(f, 38) | cfg8(f, 39), 0);
	}
}

static void test_config_ranges(void **state)
{
	VFX;
	/* input_range: vtd0's usable ranges, lowest start to highest last. */
	assert_int_equal(cfg64(f, 8), 0);
	/* Nested mode clamps it to the stage-1 tables' lower half. */
	assert_int_equal(cfg64(f, 16), nested_mode ? (1ULL << 47) - 1
						   : (1ULL << 48) - 1);
	assert_int_equal(cfg32(f, 24), 0);
	assert_int_equal(cfg32(f, 28), UINT32_MAX);
	assert_int_equal(cfg32(f, 32), PROBE_SIZE);
}

/* ---- Common request handling -------------------------------------- */

static void test_item_020_ok_on_success(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW), S_OK);
}

static void test_item_021_unknown_type_used_zero(void **state)
{
	VFX;
	for (unsigned int type = 0; type < 256; type++) {
		uint8_t req[72] = { (uint8_t)type }, resp[600];
		uint32_t used = 99;

		if (type >= 1 && type <= 5)
			continue;
		memset(resp, 0xee, sizeof(resp));
		OK(ioasid_virtio_iommu_handle_buffers(f->v, req, sizeof(req), resp,
						sizeof(resp), &used));
		assert_int_equal(used, 0);
		for (size_t i = 0; i < sizeof(resp); i++)
			assert_int_equal(resp[i], 0xee);
	}
}

static void test_item_022_head_reserved_ignored(void **state)
{
	VFX;
	uint8_t r[20] = { 1, 0xff, 0xff, 0xff }, t[4];

	le32_put(r + 4, 1);
	le32_put(r + 8, EP_NIC);
	assert_int_equal(send_req(f, r, sizeof(r), t, sizeof(t)), S_OK);
}

static void test_item_023_unattached_blocked(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;

	/* bypass 0: physical endpoints are detached on the host ... */
	assert_int_equal(ioasid_dev_pt_id(f->nic), 0);
	/* ... and emulated ones fault. */
	EXPECT_ERR(EFAULT, "not attached",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, 1, &t));
}

/* ---- ATTACH -------------------------------------------------------- */

static void test_item_028_attach_reserved_inval(void **state)
{
	VFX;
	assert_int_equal(attach_r(f, 1, EP_NIC, 0, 1), S_INVAL);
	assert_int_equal(attach_r(f, 1, EP_NIC, 0, 0x80000000u), S_INVAL);
	assert_int_equal(ioasid_dev_pt_id(f->nic), 0);
}

static void test_item_029_attach_unknown_flag_inval(void **state)
{
	VFX;
	for (int bit = 1; bit < 32; bit++)
		assert_int_equal(attach_r(f, 1, EP_NIC, 1u << bit, 0), S_INVAL);
}

static void test_item_030_attach_unknown_endpoint_noent(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NONE), S_NOENT);
}

static void test_item_031_several_endpoints_per_domain(void **state)
{
	VFX;
	uint32_t ioas;

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(attach(f, 1, EP_NVME), S_OK);
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	ioas = domain_pt(f, 1, f->nic);
	assert_int_equal(ioasid_dev_pt_id(f->nic), ioas);
	assert_int_equal(ioasid_dev_pt_id(f->nvme), ioas);
}

/* 32: this device can, so several attaches succeed (no UNSUPP). */
static void test_item_032_no_unsupp_for_several(void **state)
{
	VFX;
	assert_int_equal(attach(f, 7, EP_NVME), S_OK);
	assert_int_equal(attach(f, 7, EP_NIC), S_OK);
}

static void test_item_033_bypass_flag_mismatch_inval(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(attach_r(f, 1, EP_NVME, 1, 0), S_INVAL);
	assert_int_equal(attach_r(f, 2, EP_NVME, 1, 0), S_OK);
	assert_int_equal(attach(f, 2, EP_EMU), S_INVAL);
}

static void test_item_034_attach_detaches_first(void **state)
{
	VFX;
	uint32_t ioas2;

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(attach(f, 2, EP_NIC), S_OK);
	/* Domain 1 lost its last endpoint: it is gone. */
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW), S_NOENT);
	ioas2 = domain_pt(f, 2, f->nic);
	assert_int_equal(ioasid_dev_pt_id(f->nic), ioas2);
	assert_int_equal(detach(f, 1, EP_NIC), S_INVAL);
}

static void test_item_035_same_as_detach_then_attach(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;

	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0x2000, RW), S_OK);
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x10, 1, &t));
	assert_int_equal(attach(f, 2, EP_EMU), S_OK);
	/* Old domain's mapping no longer reachable; domain 1 lives on
	 * with EP_NIC and keeps its mapping. */
	EXPECT_ERR(EFAULT, "not mapped",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x10, 1, &t));
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW), S_INVAL);
}

/* 36: the device can, so no UNSUPP for a move. */
static void test_item_036_move_not_unsupp(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(attach(f, 2, EP_NIC), S_OK);
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
}

static void test_item_037_compatible_endpoints_attach(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, 0, SZ_1M - 1, 0, RW), S_OK);
	/* Same IOMMU, no reserved region under the mapping. */
	assert_int_equal(attach(f, 1, EP_NVME), S_OK);
}

static void test_item_038_incompatible_endpoint_unsupp(void **state)
{
	VFX;
	SHADOW_ONLY();
	/* An emulated-only domain maps where the NIC's MSI window is. */
	assert_int_equal(attach(f, 1, EP_NVME), S_OK);
	assert_int_equal(detach(f, 1, EP_NVME), S_OK);
	struct ioasid_resv_region none[1] = { { 0x100000000ULL, 0x100000fffULL,
						IOASID_RESV_RESERVED, 0 } };
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, eo, .resv = none,
		    .num_resv = 1);
	OK(ioasid_virtio_iommu_add_endpoint(f->v, 0x200, NULL, &eo));
	assert_int_equal(attach(f, 3, 0x200), S_OK);
	assert_int_equal(map(f, 3, MSI_START, MSI_START + GRANULE - 1, 0, RW),
			 S_OK);
	assert_int_equal(attach(f, 3, EP_NIC), S_UNSUPP);
	assert_int_equal(ioasid_dev_pt_id(f->nic), 0);
}

static void test_item_039_not_rejected_means_attached(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;

	assert_int_equal(attach(f, 9, EP_EMU), S_OK);
	assert_int_equal(map(f, 9, 0, GRANULE - 1, 0x5000, 1), S_OK);
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x123, 1, &t));
	assert_int_equal(t.gpa, 0x5123);
}

static void test_domain_range(void **state)
{
	struct vfx *g;

	(void)state;
	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	g->ctx = sim_open(NULL);
	IOASID_OPTS(ioasid_virtio_iommu_opts, o, .domain_start = 1,
		    .domain_end = 8);
	OK(ioasid_virtio_iommu_create(g->ctx, &o, &g->v));
	OK(ioasid_virtio_iommu_add_endpoint(g->v, EP_EMU, NULL, NULL));
	assert_int_equal(attach(g, 0, EP_EMU), S_RANGE);
	assert_int_equal(attach(g, 9, EP_EMU), S_RANGE);
	assert_int_equal(attach(g, 8, EP_EMU), S_OK);
	ioasid_virtio_iommu_destroy(g->v);
	ioasid_ctx_close(g->ctx);
	free(g);
}

/* ---- DETACH -------------------------------------------------------- */

static void test_item_041_detach_reserved_ignored(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(detach_r(f, 1, EP_NIC, 0xff), S_OK);
}

static void test_item_042_detach_unknown_endpoint_noent(void **state)
{
	VFX;
	assert_int_equal(detach(f, 0, EP_NONE), S_NOENT);
}

static void test_item_043_detach_wrong_domain_inval(void **state)
{
	VFX;
	assert_int_equal(detach(f, 1, EP_NIC), S_INVAL); /* not attached */
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(detach(f, 2, EP_NIC), S_INVAL); /* no domain 2 */
	assert_int_equal(attach(f, 2, EP_NVME), S_OK);
	assert_int_equal(detach(f, 2, EP_NIC), S_INVAL); /* other domain */
}

static void test_item_044_detach_blocks_access(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW), S_OK);
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, 2, &t)); /* cached */
	assert_int_equal(detach(f, 1, EP_EMU), S_OK);
	EXPECT_ERR(EFAULT, NULL, ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, 2, &t));
	assert_int_equal(detach(f, 1, EP_NIC), S_OK);
	assert_int_equal(ioasid_dev_pt_id(f->nic), 0); /* blocked */
}

/* ---- MAP ----------------------------------------------------------- */

static void test_item_047_map_end_before_start_inval(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, 2 * GRANULE, GRANULE - 1, 0, RW), S_INVAL);
}

static void test_item_051_mmio_needs_feature(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	OK(ioasid_virtio_iommu_set_features(f->v, IOASID_VIRTIO_IOMMU_F_MAP_UNMAP));
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0xfe000000, RW | 4), S_INVAL);
	OK(ioasid_virtio_iommu_set_features(f->v, ioasid_virtio_iommu_features(f->v)));
	/* MMIO: not RAM, recorded but not mapped on the host. */
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0xfe000000, RW | 4), S_OK);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW), S_INVAL);
}

static void test_item_052_map_misaligned_range(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, 0x800, 0x17ff, 0, RW), S_RANGE);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0x800, RW), S_RANGE);
	assert_int_equal(map(f, 1, 0, 0x17fe, 0, RW), S_RANGE);
	assert_int_equal(map(f, 1, 0, 0, 0, RW), S_RANGE);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW), S_OK);
}

static void test_item_053_map_overlap_inval(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, P(2), PL(4), 0, RW), S_OK);
	assert_int_equal(map(f, 1, P(4), PL(5), 0, RW), S_INVAL);
	assert_int_equal(map(f, 1, P(0), PL(2), 0, RW), S_INVAL);
	assert_int_equal(map(f, 1, P(0), PL(9), 0, RW), S_INVAL);
	assert_int_equal(map(f, 1, P(3), PL(3), 0, RW), S_INVAL);
	assert_int_equal(map(f, 1, P(5), PL(5), 0, RW), S_OK);
}

static void test_item_054_map_unknown_flag_inval(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	for (int bit = 3; bit < 32; bit++)
		assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW | 1u << bit),
				 S_INVAL);
}

static void test_item_055_map_missing_domain_noent(void **state)
{
	VFX;
	assert_int_equal(map(f, 5, 0, GRANULE - 1, 0, RW), S_NOENT);
}

static void test_item_056_map_bypass_domain_inval(void **state)
{
	VFX;
	assert_int_equal(attach_r(f, 1, EP_NIC, 1, 0), S_OK);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW), S_INVAL);
}

static void test_item_057_no_write_without_write_flag(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;

	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, 1), S_OK);
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 8, IOASID_VIRTIO_IOMMU_ACCESS_READ, &t));
	assert_int_equal(t.perm, IOASID_VIRTIO_IOMMU_ACCESS_READ);
	EXPECT_ERR(EFAULT, "writes",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 8,
					   IOASID_VIRTIO_IOMMU_ACCESS_WRITE, &t));
}

/* 58 is a MAY; this device does not allow reads on write-only maps. */
static void test_item_058_write_only_no_reads(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;

	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, 2), S_OK);
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 8, IOASID_VIRTIO_IOMMU_ACCESS_WRITE, &t));
	EXPECT_ERR(EFAULT, "reads",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 8,
					   IOASID_VIRTIO_IOMMU_ACCESS_READ, &t));
}

/* ---- UNMAP --------------------------------------------------------- */

static void test_item_065_unmap_reserved_inval(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, P(0), PL(0), 0, RW), S_OK);
	assert_int_equal(unmap_r(f, 1, P(0), PL(0), 1), S_INVAL);
	/* Nothing removed: the page is still mapped. */
	assert_int_equal(map(f, 1, P(0), PL(0), 0, RW), S_INVAL);
}

static void test_item_066_unmap_missing_domain_noent(void **state)
{
	VFX;
	assert_int_equal(unmap(f, 4, 0, UINT64_MAX), S_NOENT);
}

static void test_item_067_unmap_bypass_domain_inval(void **state)
{
	VFX;
	assert_int_equal(attach_r(f, 1, EP_NIC, 1, 0), S_OK);
	assert_int_equal(unmap(f, 1, 0, UINT64_MAX), S_INVAL);
}

static void test_item_068_unmap_split_range(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, P(0), PL(9), 0, RW), S_OK);
	assert_int_equal(unmap(f, 1, P(0), PL(4)), S_RANGE);
	assert_int_equal(unmap(f, 1, P(5), PL(9)), S_RANGE);
	assert_int_equal(unmap(f, 1, P(1), PL(20)), S_RANGE);
	assert_int_equal(map(f, 1, P(9), PL(9), 0, RW), S_INVAL); /* kept */
}

static void test_item_069_unmap_holes_ok(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, P(1), PL(1), 0, RW), S_OK);
	assert_int_equal(map(f, 1, P(5), PL(6), 0, RW), S_OK);
	assert_int_equal(unmap(f, 1, 0, UINT64_MAX), S_OK);
	assert_int_equal(map(f, 1, P(0), PL(9), 0, RW), S_OK);
}

/* ---- PROBE --------------------------------------------------------- */

static void test_item_076_probe_reserved_ignored(void **state)
{
	VFX;
	uint8_t r[72] = { 5 }, props[PROBE_SIZE + 4];

	le32_put(r + 4, EP_NIC);
	memset(r + 8, 0xff, 64);
	assert_int_equal(send_req(f, r, sizeof(r), props, sizeof(props)), S_OK);
}

static void test_item_077_probe_unknown_endpoint_noent(void **state)
{
	VFX;
	uint8_t props[PROBE_SIZE + 4];

	assert_int_equal(probe(f, EP_NONE, props), S_NOENT);
}

/* 78: PROBE is always offered here; a used length of 0 goes to requests
 * the device cannot answer (see item 21 and the hostile tests). */
static void test_item_078_probe_offered(void **state)
{
	VFX;
	assert_true(ioasid_virtio_iommu_features(f->v) & IOASID_VIRTIO_IOMMU_F_PROBE);
}

/* Walk the properties; check 79-81, 84, 88-90; return the count. */
static int check_props(const uint8_t *p, size_t size, uint64_t *msi_start,
		       uint64_t *msi_end)
{
	size_t off = 0;
	int n = 0, msi = 0;
	uint64_t prev_end = 0;

	while (off + 4 <= size && le16_get(p + off) != 0) {
		uint16_t hdr = le16_get(p + off), len = le16_get(p + off + 2);

		assert_int_equal(hdr >> 12, 0);      /* 79 */
		assert_int_equal(hdr, 1);	     /* RESV_MEM */
		assert_int_equal(len, 20);	     /* 80 */
		assert_int_equal(p[off + 5] | p[off + 6] | p[off + 7], 0); /* 88 */
		uint64_t s = le64_get(p + off + 8), e = le64_get(p + off + 16);
		assert_true(s <= e);
		if (n)
			assert_true(s > prev_end); /* 90 */
		prev_end = e;
		if (p[off + 4] == 1) {
			msi++;
			*msi_start = s;
			*msi_end = e;
		} else {
			assert_int_equal(p[off + 4], 0);
		}
		off += 4 + len;			     /* 81 */
		n++;
	}
	assert_true(msi <= 1);			     /* 89 */
	for (; off < size; off++)
		assert_int_equal(p[off], 0);	     /* 84 */
	return n;
}

static void test_item_079_081_property_layout(void **state)
{
	VFX;
	uint8_t props[PROBE_SIZE + 4];
	uint64_t s = 0, e = 0;

	assert_int_equal(probe(f, EP_NIC, props), S_OK);
	assert_int_equal(check_props(props, PROBE_SIZE, &s, &e),
			 1 + EXTRA_REGIONS);
	assert_int_equal(s, MSI_START);
	assert_int_equal(e, MSI_LAST);
}

static void test_item_082_083_probe_small_buffer(void **state)
{
	VFX;
	uint8_t r[72] = { 5 }, resp[PROBE_SIZE + 4];

	le32_put(r + 4, EP_NIC);
	for (size_t wlen = 4; wlen < PROBE_SIZE + 4; wlen += 61) {
		assert_int_equal(send_req(f, r, sizeof(r), resp, wlen), S_INVAL);
		for (size_t i = 0; i < wlen - 4; i++)
			assert_int_equal(resp[i], 0xee); /* nothing written */
	}
}

static void test_item_084_zero_filled(void **state)
{
	VFX;
	uint8_t props[PROBE_SIZE + 4];
	uint64_t s, e;

	assert_int_equal(probe(f, EP_NVME, props), S_OK);
	check_props(props, PROBE_SIZE, &s, &e);
	assert_int_equal(probe(f, EP_NONE, props), S_NOENT);
	for (size_t i = 0; i < PROBE_SIZE; i++)
		assert_int_equal(props[i], 0);
}

static void test_item_088_090_resv_mem(void **state)
{
	VFX;
	uint8_t props[PROBE_SIZE + 4];
	uint64_t s = 0, e = 0;

	assert_int_equal(probe(f, EP_EMU, props), S_OK);
	assert_int_equal(check_props(props, PROBE_SIZE, &s, &e),
			 1 + EXTRA_REGIONS);
	assert_int_equal(s, MSI_START);
}

/* The USB controller's group has an RMRR (direct region) as well as the
 * MSI window: one MSI, one RESERVED, disjoint and sorted. */
static void test_item_089_one_msi_plus_reserved(void **state)
{
	VFX;
	SHADOW_ONLY();
	struct ioasid_dev *usb = dev_open_bound(f->ctx, "0000:00:14.0");
	uint8_t props[PROBE_SIZE + 4];
	uint64_t s = 0, e = 0;

	OK(ioasid_virtio_iommu_add_endpoint(f->v, 0xa0, usb, NULL));
	assert_int_equal(probe(f, 0xa0, props), S_OK);
	assert_int_equal(check_props(props, PROBE_SIZE, &s, &e), 2);
	assert_int_equal(le64_get(props + 8), 0xbd000000ULL);
	assert_int_equal(le64_get(props + 16), 0xbd0fffffULL);
	assert_int_equal(props[4], 0);
	assert_int_equal(s, MSI_START);
}

static void test_item_091_map_over_resv_mem_inval(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(map(f, 1, MSI_START - GRANULE, MSI_START + GRANULE - 1,
			     0, RW), S_INVAL);
	assert_int_equal(map(f, 1, MSI_START - GRANULE, MSI_START - 1, 0, RW),
			 S_OK);
}

/* 92: accesses to RESV_MEM are the host's: nothing maps there. */
static void test_item_092_resv_mem_confined(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;

	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 1, MSI_START, MSI_START + GRANULE - 1, 0, RW),
			 S_INVAL);
	EXPECT_ERR(EFAULT, NULL,
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, MSI_START, 2, &t));
}

/* ---- Faults -------------------------------------------------------- */

static void test_item_097_101_fault_report(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;
	uint8_t buf[64];

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x1234567,
						 IOASID_VIRTIO_IOMMU_ACCESS_WRITE, &t),
			 -EFAULT);
	assert_int_equal(f->notified, 1);
	EXPECT_ERR(EMSGSIZE, "24", ioasid_virtio_iommu_event_pop(f->v, buf, 23));
	assert_int_equal(ioasid_virtio_iommu_event_pop(f->v, buf, sizeof(buf)), 24);
	assert_int_equal(buf[0], 2);			   /* R_MAPPING */
	assert_int_equal(buf[1] | buf[2] | buf[3], 0);	   /* 97 */
	assert_int_equal(le32_get(buf + 4), 2 | 0x100);	   /* 98, 100 */
	assert_int_equal(le32_get(buf + 8), EP_EMU);	   /* 99 */
	assert_int_equal(le32_get(buf + 12), 0);		   /* 97 */
	assert_int_equal(le64_get(buf + 16), 0x1234567);
	assert_int_equal(buf[24], 0xee);		   /* 101: 24 bytes */
	assert_int_equal(ioasid_virtio_iommu_event_pop(f->v, buf, sizeof(buf)), 0);
}

static void test_fault_domain_reason_and_drops(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	uint8_t buf[24];

	for (int i = 0; i < 100; i++)
		assert_int_equal(ioasid_virtio_iommu_translate(f->v, EP_EMU, i, 1, &t),
				 -EFAULT);
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.faults, 100);
	assert_int_equal(st.events_pending, 64);
	assert_int_equal(st.events_dropped, 36);
	assert_int_equal(ioasid_virtio_iommu_event_pop(f->v, buf, 24), 24);
	assert_int_equal(buf[0], 1); /* R_DOMAIN */
	assert_int_equal(le32_get(buf + 4), 1 | 0x100);
	assert_int_equal(le64_get(buf + 16), 0); /* the oldest first */
}

/* ---- After reset no endpoint is attached ---------------------------- */

static void test_reset_detaches_everything(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW), S_OK);
	OK(ioasid_virtio_iommu_reset(f->v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
	assert_int_equal(ioasid_dev_pt_id(f->nic), 0);
	EXPECT_ERR(EFAULT, "not attached",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, 1, &t));
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.domains, 0);
	assert_int_equal(st.mappings, 0);
	assert_int_equal(map(f, 1, 0, GRANULE - 1, 0, RW), S_NOENT);
}

/* ---- The specification's UNMAP examples (scaled) -------------------- */

static void test_unmap_examples(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	/* 1 */
	assert_int_equal(unmap(f, 1, P(0), PL(4)), S_OK);
	/* 2 */
	assert_int_equal(map(f, 1, P(0), PL(9), 0, RW), S_OK);
	assert_int_equal(unmap(f, 1, P(0), PL(9)), S_OK);
	/* 3 */
	assert_int_equal(map(f, 1, P(0), PL(4), 0, RW), S_OK);
	assert_int_equal(map(f, 1, P(5), PL(9), 0, RW), S_OK);
	assert_int_equal(unmap(f, 1, P(0), PL(9)), S_OK);
	/* 4 */
	assert_int_equal(map(f, 1, P(0), PL(9), 0, RW), S_OK);
	assert_int_equal(unmap(f, 1, P(0), PL(4)), S_RANGE);
	assert_int_equal(unmap(f, 1, P(0), PL(10)), S_OK); /* qtest extra */
	/* 5 */
	assert_int_equal(map(f, 1, P(0), PL(4), 0, RW), S_OK);
	assert_int_equal(map(f, 1, P(5), PL(9), 0, RW), S_OK);
	assert_int_equal(unmap(f, 1, P(0), PL(4)), S_OK);
	assert_int_equal(map(f, 1, P(5), PL(9), 0, RW), S_INVAL); /* b stays */
	assert_int_equal(unmap(f, 1, P(5), PL(9)), S_OK); /* qtest extra */
	/* 6 */
	assert_int_equal(map(f, 1, P(0), PL(4), 0, RW), S_OK);
	assert_int_equal(unmap(f, 1, P(0), PL(9)), S_OK);
	/* 7 */
	assert_int_equal(map(f, 1, P(0), PL(4), 0, RW), S_OK);
	assert_int_equal(map(f, 1, P(10), PL(14), 0, RW), S_OK);
	assert_int_equal(unmap(f, 1, P(0), PL(14)), S_OK);
	/* qtest extra after 7 */
	assert_int_equal(map(f, 1, P(10), PL(14), 0, RW), S_OK);
	assert_int_equal(map(f, 1, P(0), PL(4), 0, RW), S_OK);
	assert_int_equal(unmap(f, 1, P(0), PL(4)), S_OK);
	assert_int_equal(map(f, 1, P(10), PL(14), 0, RW), S_INVAL);
}

/* ---- QEMU qtest vectors (tests/qtest/virtio-iommu-test.c), scaled --- */

static void test_qtest_config(void **state)
{
	struct vfx *g = vfx_new(1);

	(void)state;
	assert_int_equal(cfg64(g, 8), 0);
	assert_true(cfg64(g, 16) >= UINT32_MAX);
	assert_int_equal(cfg32(g, 24), 0);
	assert_int_equal(cfg32(g, 28), UINT32_MAX);
	assert_int_equal(cfg8(g, 36), 1);
	vfx_teardown((void **)&g);
}

static void test_qtest_attach_detach(void **state)
{
	VFX;
	const uint32_t ep0 = EP_EMU, ep1 = EP_NIC;

	assert_int_equal(attach(f, 0, ep0), S_OK);
	assert_int_equal(attach(f, 0, EP_NONE), S_NOENT);
	assert_int_equal(detach(f, 0, EP_NONE), S_NOENT);
	(void)ep1;
	assert_int_equal(attach(f, 1, ep0), S_OK);
	assert_int_equal(detach(f, 0, ep0), S_INVAL);
	assert_int_equal(detach(f, 1, ep0), S_OK);
	assert_int_equal(attach(f, 1, ep0), S_OK);
	assert_int_equal(map(f, 1, P(0), PL(0), 0xa1000, 1), S_OK);
	assert_int_equal(map(f, 1, P(2), PL(2), 0xb1000, 1), S_OK);
	assert_int_equal(detach(f, 1, ep0), S_OK);
}

static void test_qtest_map_unmap(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 0, P(0), PL(0), 0xa1000, 1), S_NOENT);
	assert_int_equal(map(f, 1, P(0), PL(0), 0xa1000, 1), S_OK);
	assert_int_equal(map(f, 1, P(0), PL(15), 0xa1000, 1), S_INVAL);
	assert_int_equal(unmap(f, 4, P(0) + GRANULE / 2, PL(0)), S_NOENT);
	/* 0x10-0xfff starts inside the mapping: scaled, page 0's middle. */
	assert_int_equal(unmap(f, 1, P(0) + 0x10, PL(0)), S_RANGE);
	assert_int_equal(unmap(f, 1, P(0), PL(1)), S_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VT(test_item_002_offers_map_unmap),
		VT(test_item_003_no_legacy_bypass),
		VT(test_item_004_not_both_bypass_features),
		VT(test_item_005_bypass_write_needs_feature),
		VT(test_item_006_other_fields_read_only),
		VT(test_item_009_page_size_mask_nonzero),
		VT(test_item_010_more_bits_are_hints),
		cmocka_unit_test(test_item_011_initial_bypass_configurable),
		VT(test_item_012_bypass_survives_device_reset),
		VT(test_item_013_bypass_only_0_or_1),
		VT(test_config_ranges),
		VT(test_item_020_ok_on_success),
		VT(test_item_021_unknown_type_used_zero),
		VT(test_item_022_head_reserved_ignored),
		VT(test_item_023_unattached_blocked),
		VT(test_item_028_attach_reserved_inval),
		VT(test_item_029_attach_unknown_flag_inval),
		VT(test_item_030_attach_unknown_endpoint_noent),
		VT(test_item_031_several_endpoints_per_domain),
		VT(test_item_032_no_unsupp_for_several),
		VT(test_item_033_bypass_flag_mismatch_inval),
		VT(test_item_034_attach_detaches_first),
		VT(test_item_035_same_as_detach_then_attach),
		VT(test_item_036_move_not_unsupp),
		VT(test_item_037_compatible_endpoints_attach),
		VT(test_item_038_incompatible_endpoint_unsupp),
		VT(test_item_039_not_rejected_means_attached),
		cmocka_unit_test(test_domain_range),
		VT(test_item_041_detach_reserved_ignored),
		VT(test_item_042_detach_unknown_endpoint_noent),
		VT(test_item_043_detach_wrong_domain_inval),
		VT(test_item_044_detach_blocks_access),
		VT(test_item_047_map_end_before_start_inval),
		VT(test_item_051_mmio_needs_feature),
		VT(test_item_052_map_misaligned_range),
		VT(test_item_053_map_overlap_inval),
		VT(test_item_054_map_unknown_flag_inval),
		VT(test_item_055_map_missing_domain_noent),
		VT(test_item_056_map_bypass_domain_inval),
		VT(test_item_057_no_write_without_write_flag),
		VT(test_item_058_write_only_no_reads),
		VT(test_item_065_unmap_reserved_inval),
		VT(test_item_066_unmap_missing_domain_noent),
		VT(test_item_067_unmap_bypass_domain_inval),
		VT(test_item_068_unmap_split_range),
		VT(test_item_069_unmap_holes_ok),
		VT(test_item_076_probe_reserved_ignored),
		VT(test_item_077_probe_unknown_endpoint_noent),
		VT(test_item_078_probe_offered),
		VT(test_item_079_081_property_layout),
		VT(test_item_082_083_probe_small_buffer),
		VT(test_item_084_zero_filled),
		VT(test_item_088_090_resv_mem),
		VT(test_item_089_one_msi_plus_reserved),
		VT(test_item_091_map_over_resv_mem_inval),
		VT(test_item_092_resv_mem_confined),
		VT(test_item_097_101_fault_report),
		VT(test_fault_domain_reason_and_drops),
		VT(test_reset_detaches_everything),
		VT(test_unmap_examples),
		cmocka_unit_test(test_qtest_config),
		VT(test_qtest_attach_detach),
		VT(test_qtest_map_unmap),
	};

	int failed = cmocka_run_group_tests_name("viommu_conformance_shadow",
						 tests, NULL, NULL);

	nested_mode = true;
	failed += cmocka_run_group_tests_name("viommu_conformance_nested", tests,
					      NULL, NULL);
	return failed;
}
