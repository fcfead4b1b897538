// SPDX-License-Identifier: MIT
/*
 * IOMMU groups through the virtio-iommu device model: the two functions
 * of one host group (0000:00:05.0 and 0000:00:05.1 of the built-in
 * topology) move as one (docs/VIOMMU.md, "IOMMU groups").  A hostile
 * guest that ATTACHes or DETACHes one function alone gets the whole group
 * moved, every member's guest-visible state following, and no domain or
 * host object left behind.  viommu_check.h checks guest view == host view
 * after every request.
 */
#include "viommu_helpers.h"

#define EP_F0 0x28u /* 0000:00:05.0, group 12 */
#define EP_F1 0x29u /* 0000:00:05.1, group 12 */

struct gfx {
	struct vfx *f;
	struct ioasid_dev *f0, *f1;
};

static struct gfx gfx_new(uint8_t bypass)
{
	struct gfx g = { vfx_new(bypass), NULL, NULL };

	g.f0 = dev_open_bound(g.f->ctx, "0000:00:05.0");
	g.f1 = dev_open_bound(g.f->ctx, "0000:00:05.1");
	OK(ioasid_virtio_iommu_add_endpoint(g.f->v, EP_F0, g.f0, NULL));
	OK(ioasid_virtio_iommu_add_endpoint(g.f->v, EP_F1, g.f1, NULL));
	return g;
}

static void gfx_free(struct gfx *g)
{
	void *state = g->f;

	vfx_teardown(&state);
}

static uint32_t dom_ioas(struct vfx *f, uint32_t dom)
{
	uint32_t ioas = 0;

	OK(ioasid_virtio_iommu_domain_ioas(f->v, dom, &ioas));
	return ioas;
}

static uint32_t num_domains(struct vfx *f)
{
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	return st.domains;
}

static bool ioas_exists(struct ioasid_ctx *ctx, uint32_t ioas)
{
	uint32_t num = 0;
	uint64_t align;

	return ioasid_ioas_iova_ranges(ctx, ioas, NULL, &num, &align) != -ENOENT;
}

/* The scenario: both in domain 1, then the first alone to 2. */
static void test_attach_one_moves_the_group(void **state)
{
	struct gfx g = gfx_new(0);
	struct vfx *f = g.f;
	unsigned long checks = viommu_checks_run;
	uint32_t ioas1, ioas2;

	(void)state;
	assert_int_equal(attach(f, 1, EP_F0), S_OK);
	/* The first function's ATTACH took its mate along already; the
	 * mate's own ATTACH (the Linux driver sends one) is a no-op. */
	assert_int_equal(ioasid_dev_pt_id(g.f1), dom_ioas(f, 1));
	assert_int_equal(attach(f, 1, EP_F1), S_OK);
	ioas1 = dom_ioas(f, 1);
	assert_int_equal(map(f, 1, 0x100000, 0x1fffff, 0, RW), S_OK);

	assert_int_equal(attach(f, 2, EP_F0), S_OK);
	ioas2 = dom_ioas(f, 2);
	assert_int_equal(ioasid_dev_pt_id(g.f0), ioas2);
	assert_int_equal(ioasid_dev_pt_id(g.f1), ioas2);
	/* Domain 1 went with its last endpoint, and its IOAS with it. */
	assert_int_equal(num_domains(f), 1);
	assert_false(ioas_exists(f->ctx, ioas1));
	assert_int_equal(detach(f, 1, EP_F1), S_INVAL);

	/* DETACH of the first takes both out; the mate's own DETACH from
	 * the domain its group left answers OK, once. */
	assert_int_equal(detach(f, 2, EP_F0), S_OK);
	assert_int_equal(ioasid_dev_pt_id(g.f0), 0);
	assert_int_equal(ioasid_dev_pt_id(g.f1), 0);
	assert_int_equal(detach(f, 2, EP_F1), S_OK);
	assert_int_equal(detach(f, 2, EP_F1), S_INVAL);
	assert_int_equal(num_domains(f), 0);
	assert_false(ioas_exists(f->ctx, ioas2));
	/* The invariant check ran after each of those requests. */
	assert_true(viommu_checks_run >= checks + 8);
	gfx_free(&g);
}

/* Attach, move one, detach one, 500 times: nothing accumulates. */
static void test_cycles_leak_nothing(void **state)
{
	struct gfx g = gfx_new(0);
	struct vfx *f = g.f;
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	uint32_t first, probe;

	(void)state;
	OK(ioasid_ioas_alloc(f->ctx, &first));
	OK(ioasid_ioas_destroy(f->ctx, first));
	for (int i = 0; i < 500; i++) {
		assert_int_equal(attach(f, 1, EP_F0), S_OK);
		assert_int_equal(attach(f, 1, EP_F1), S_OK);
		assert_int_equal(map(f, 1, 0x100000, 0x1fffff, 0, RW), S_OK);
		assert_int_equal(attach(f, 2, EP_F0), S_OK);
		assert_int_equal(map(f, 2, 0x200000, 0x2fffff, 0, RW), S_OK);
		assert_int_equal(detach(f, 2, EP_F0), S_OK);
	}
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.domains, 0);
	assert_int_equal(st.mappings, 0);
	/* No IOAS left behind: the next one takes the same id as before
	 * the cycles. */
	OK(ioasid_ioas_alloc(f->ctx, &probe));
	assert_int_equal(probe, first);
	OK(ioasid_ioas_destroy(f->ctx, probe));
	gfx_free(&g);
}

/* With bypass on, the mate of an attaching function leaves bypass with
 * it, in the guest's view too: it translates through the domain. */
static void test_bypass_group_follows(void **state)
{
	struct gfx g = gfx_new(1);
	struct vfx *f = g.f;
	uint32_t bypass_ioas = ioasid_dev_pt_id(g.f0);

	(void)state;
	assert_int_not_equal(bypass_ioas, 0);
	assert_int_equal(ioasid_dev_pt_id(g.f1), bypass_ioas);
	assert_int_equal(attach(f, 3, EP_F1), S_OK);
	assert_int_equal(ioasid_dev_pt_id(g.f0), dom_ioas(f, 3));
	assert_int_equal(ioasid_dev_pt_id(g.f1), dom_ioas(f, 3));
	/* Both back to bypass with the DETACH of one. */
	assert_int_equal(detach(f, 3, EP_F1), S_OK);
	assert_int_equal(ioasid_dev_pt_id(g.f0), bypass_ioas);
	assert_int_equal(ioasid_dev_pt_id(g.f1), bypass_ioas);
	gfx_free(&g);
}

/* Adding a function of a group the guest has attached would put it on
 * the group's page table behind the guest's back: refused. */
static void test_add_mate_of_attached_group_refused(void **state)
{
	struct vfx *f = vfx_new(0);
	struct ioasid_dev *f0 = dev_open_bound(f->ctx, "0000:00:05.0");
	struct ioasid_dev *f1 = dev_open_bound(f->ctx, "0000:00:05.1");
	void *st = f;

	(void)state;
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_F0, f0, NULL));
	assert_int_equal(attach(f, 1, EP_F0), S_OK);
	EXPECT_ERR(EBUSY, "IOMMU group",
		   ioasid_virtio_iommu_add_endpoint(f->v, EP_F1, f1, NULL));
	assert_int_equal(detach(f, 1, EP_F0), S_OK);
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_F1, f1, NULL));
	assert_int_equal(attach(f, 1, EP_F1), S_OK);
	assert_int_equal(ioasid_dev_pt_id(f0), dom_ioas(f, 1));
	vfx_teardown(&st);
}

/* A reset puts the whole group back unattached. */
static void test_reset_unattaches_the_group(void **state)
{
	struct gfx g = gfx_new(0);
	struct vfx *f = g.f;

	(void)state;
	assert_int_equal(attach(f, 1, EP_F0), S_OK);
	OK(ioasid_virtio_iommu_reset(f->v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
	assert_int_equal(ioasid_dev_pt_id(g.f0), 0);
	assert_int_equal(ioasid_dev_pt_id(g.f1), 0);
	assert_int_equal(num_domains(f), 0);
	gfx_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_one_moves_the_group),
		cmocka_unit_test(test_cycles_leak_nothing),
		cmocka_unit_test(test_bypass_group_follows),
		cmocka_unit_test(test_add_mate_of_attached_group_refused),
		cmocka_unit_test(test_reset_unattaches_the_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
