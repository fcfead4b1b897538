// SPDX-License-Identifier: MIT
/*
 * virtio-iommu PROBE: the RESV_MEM properties of an endpoint are those of
 * its address space, combined (ioasid_endpoints_combine()) over the
 * endpoints that share it: the endpoint itself, the endpoints of the
 * domain it is attached to, and the physical endpoints of its IOMMU group
 * (the guest PROBEs before ATTACH, and its IOMMU core puts a group in one
 * domain).
 */
#include "viommu_helpers.h"

#define EP_A 0x200u
#define EP_B 0x201u
#define EP_FN0 0x28u /* 0000:00:05.0, group 12 */
#define EP_FN1 0x29u /* 0000:00:05.1, group 12 */

struct prop {
	uint8_t subtype;
	uint64_t start, last;
};

/* PROBE @ep and decode its RESV_MEM properties; returns how many. */
static unsigned int probe_props(struct vfx *f, uint32_t ep, struct prop *p,
				unsigned int max)
{
	uint8_t props[PROBE_SIZE + 4];
	unsigned int n = 0;

	assert_int_equal(probe(f, ep, props), S_OK);
	for (uint32_t off = 0; off + 4 <= PROBE_SIZE && le16_get(props + off);
	     off += 24) {
		assert_int_equal(le16_get(props + off) & 0xfff, 1);
		assert_int_equal(le16_get(props + off + 2), 20);
		assert_true(n < max);
		p[n++] = (struct prop){ props[off + 4], le64_get(props + off + 8),
					le64_get(props + off + 16) };
	}
	return n;
}

#define EXPECT_PROP(p, sub, s, l)                                          \
	do {                                                               \
		assert_int_equal((p).subtype, sub);                        \
		assert_int_equal((p).start, s);                            \
		assert_int_equal((p).last, l);                             \
	} while (0)

static void add_emulated(struct vfx *f, uint32_t id, uint64_t start,
			 uint64_t last, enum ioasid_resv_type type)
{
	const struct ioasid_resv_region r = { start, last, type, 0 };
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, eo, .resv = &r, .num_resv = 1);

	OK(ioasid_virtio_iommu_add_endpoint(f->v, id, NULL, &eo));
}

/* Before ATTACH an emulated endpoint is alone; once it shares a domain,
 * it reports its partner's regions too, and after DETACH no more. */
static void test_probe_combines_domain_endpoints(void **state)
{
	VFX;
	struct prop p[8];

	add_emulated(f, EP_A, 0x100000, 0x1fffff, IOASID_RESV_RESERVED);
	assert_int_equal(probe_props(f, EP_A, p, 8), 1);
	EXPECT_PROP(p[0], 0, 0x100000, 0x1fffff);
	assert_int_equal(probe_props(f, EP_EMU, p, 8), 1);
	EXPECT_PROP(p[0], 1, MSI_START, MSI_LAST);

	assert_int_equal(attach(f, 1, EP_A), S_OK);
	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(probe_props(f, EP_A, p, 8), 2);
	EXPECT_PROP(p[0], 0, 0x100000, 0x1fffff);
	EXPECT_PROP(p[1], 1, MSI_START, MSI_LAST);
	assert_int_equal(probe_props(f, EP_EMU, p, 8), 2);
	EXPECT_PROP(p[0], 0, 0x100000, 0x1fffff);

	assert_int_equal(detach(f, 1, EP_EMU), S_OK);
	assert_int_equal(probe_props(f, EP_A, p, 8), 1);
	EXPECT_PROP(p[0], 0, 0x100000, 0x1fffff);
}

/* Overlapping regions of different kinds: RESERVED wins the overlap, the
 * MSI window keeps the rest; adjacent or overlapping same-kind regions
 * merge. */
static void test_probe_overlap_precedence(void **state)
{
	VFX;
	struct prop p[8];

	add_emulated(f, EP_A, 0x10000, 0x1ffff, IOASID_RESV_RESERVED);
	add_emulated(f, EP_B, 0x18000, 0x27fff, IOASID_RESV_MSI);
	assert_int_equal(attach(f, 2, EP_A), S_OK);
	assert_int_equal(attach(f, 2, EP_B), S_OK);
	assert_int_equal(probe_props(f, EP_B, p, 8), 2);
	EXPECT_PROP(p[0], 0, 0x10000, 0x1ffff);
	EXPECT_PROP(p[1], 1, 0x20000, 0x27fff);
}

/* A physical endpoint and an emulated one in one domain: the NIC's PROBE
 * has the host's MSI window and the emulated device's region. */
static void test_probe_physical_and_emulated(void **state)
{
	VFX;
	struct prop p[8];
	unsigned int n;

	add_emulated(f, EP_A, 0x40000000, 0x400fffff, IOASID_RESV_RESERVED);
	n = probe_props(f, EP_NIC, p, 8);
	assert_int_equal(n, 1);
	EXPECT_PROP(p[0], 1, MSI_START, MSI_LAST);
	assert_int_equal(attach(f, 3, EP_NIC), S_OK);
	assert_int_equal(attach(f, 3, EP_A), S_OK);
	n = probe_props(f, EP_NIC, p, 8);
	assert_int_equal(n, 2);
	EXPECT_PROP(p[0], 0, 0x40000000, 0x400fffff);
	EXPECT_PROP(p[1], 1, MSI_START, MSI_LAST);
	/* And MAP honours the combination: the emulated endpoint's region
	 * is closed to the NIC's domain as well. */
	assert_int_equal(map(f, 3, 0x40000000, 0x40000fff, 0, RW), S_INVAL);
}

/* Two functions of one IOMMU group: the second is measured from the
 * first (a scratch attach of it would fail while the group is in bypass),
 * and each PROBEs the group's regions before any ATTACH. */
static void test_probe_group_mates(void **state)
{
	struct vfx *f = vfx_new(1); /* bypass: the group is attached */
	struct ioasid_dev *fn0 = dev_open_bound(f->ctx, "0000:00:05.0");
	struct ioasid_dev *fn1 = dev_open_bound(f->ctx, "0000:00:05.1");
	struct prop p[8];

	(void)state;
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_FN0, fn0, NULL));
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_FN1, fn1, NULL));
	assert_int_equal(probe_props(f, EP_FN0, p, 8), 1);
	EXPECT_PROP(p[0], 1, MSI_START, MSI_LAST);
	assert_int_equal(probe_props(f, EP_FN1, p, 8), 1);
	EXPECT_PROP(p[0], 1, MSI_START, MSI_LAST);
	/* The guest puts the group in one domain; both follow. */
	assert_int_equal(attach(f, 4, EP_FN0), S_OK);
	assert_int_equal(attach(f, 4, EP_FN1), S_OK);
	assert_int_equal(map(f, 4, 0x100000, 0x100fff, 0, RW), S_OK);
	{
		uint32_t ioas;

		OK(ioasid_virtio_iommu_domain_ioas(f->v, 4, &ioas));
		assert_int_equal(ioasid_dev_pt_id(fn1), ioas);
		assert_true(is_mapped(f->ctx, ioas, 0x100000, SZ_4K));
	}
	vfx_teardown((void **)&f);
	/* vfx_teardown closed the context, which closes the devices. */
}

/* Regression: a failed scratch attach while measuring a device keeps its
 * own message (the cleanup calls used to clear it, leaving "").  Function
 * 0 of the group is attached outside the device model, so function 1 of
 * the same group cannot join a scratch IOAS. */
static void test_probe_host_failure_message(void **state)
{
	struct vfx *f = vfx_new(0);
	struct ioasid_dev *fn0 = dev_open_bound(f->ctx, "0000:00:05.0");
	struct ioasid_dev *fn1 = dev_open_bound(f->ctx, "0000:00:05.1");
	uint32_t ioas;
	int rc;

	(void)state;
	OK(ioasid_ioas_alloc(f->ctx, &ioas));
	OK(ioasid_dev_attach(fn0, ioas, NULL));
	rc = ioasid_virtio_iommu_add_endpoint(f->v, EP_FN1, fn1, NULL);
	assert_true(rc < 0);
	assert_int_equal(errno, -rc);
	assert_true(ioasid_errmsg()[0] != '\0');
	assert_non_null(strstr(ioasid_errmsg(), "one hwpt"));
	OK(ioasid_dev_detach(fn0));
	vfx_teardown((void **)&f);
}

/* Regression (found by tests/fuzz): an endpoint without regions, and
 * an address space whose regions hold no MSI doorbell, PROBE as OK (the
 * first with no property, the second with RESERVED only); the combine
 * step used to hand lib/core/resv.c an empty doorbell list it memcpy()ed from
 * NULL (UBSan: nonnull argument). */
static void test_probe_no_regions_no_doorbell(void **state)
{
	VFX;
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, none,
		    .no_default_msi = true);
	struct prop p[8];

	/* No region at all: the platform's default MSI window withheld. */
	OK(ioasid_virtio_iommu_add_endpoint(f->v, EP_B, NULL, &none));
	assert_int_equal(probe_props(f, EP_B, p, 8), 0);
	add_emulated(f, EP_A, 0x8000, 0xbfff, IOASID_RESV_RESERVED);
	assert_int_equal(probe_props(f, EP_A, p, 8), 1);
	EXPECT_PROP(p[0], 0, 0x8000, 0xbfff);
	assert_int_equal(attach(f, 5, EP_A), S_OK);
	assert_int_equal(attach(f, 5, EP_B), S_OK);
	assert_int_equal(probe_props(f, EP_B, p, 8), 1);
	EXPECT_PROP(p[0], 0, 0x8000, 0xbfff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VT(test_probe_combines_domain_endpoints),
		VT(test_probe_overlap_precedence),
		VT(test_probe_physical_and_emulated),
		cmocka_unit_test(test_probe_group_mates),
		cmocka_unit_test(test_probe_host_failure_message),
		VT(test_probe_no_regions_no_doorbell),
	};

	return cmocka_run_group_tests_name("viommu_probe", tests, NULL, NULL);
}
