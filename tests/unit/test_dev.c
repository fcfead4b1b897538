// SPDX-License-Identifier: MIT
/*
 * Devices (inventory, open, bind, attach, replace, detach, close), mdevs,
 * IOMMU groups and reserved regions on the simulator, following the kernel
 * (drivers/iommu/iommufd/device.c, io_pagetable.c; drivers/vfio/iommufd.c
 * for the VFIO side; Linux 7.3).  Checks that are the library's own (open
 * twice, bind twice, attach while attached) follow the header.
 *
 * Attach, replace and detach errnos that a mock device shows as well
 * (attach twice, unknown pt, replace and its failure, detach twice) are
 * in tests/harness/api_hwpt.c, which runs on the kernel too.
 */
#include "helpers.h"

static const char *const all_devices[] = {
	DEV_A, DEV_B, DEV_PARENT, DEV_HOST, DEV_C, MDEV,
};

static struct ioasid_dev *open_dev(struct fx *f, const char *name)
{
	struct ioasid_dev *dev = NULL;

	OK(ioasid_dev_open(f->ctx, name, &dev));
	assert_non_null(dev);
	return dev;
}

/* ------------------------------------------------------------------ */
/* Inventory                                                            */

static void test_info_at(void **state)
{
	FX;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	bool seen[6] = { false };
	uint32_t n;

	for (n = 0; ioasid_dev_info_at(f->ctx, n, &info) == 0; n++) {
		size_t i;

		for (i = 0; i < 6; i++)
			if (strcmp(info.name, all_devices[i]) == 0)
				break;
		assert_true(i < 6);
		assert_false(seen[i]);
		seen[i] = true;
	}
	assert_int_equal(n, 6);
	EXPECT_ERR(ENOENT, "1000", ioasid_dev_info_at(f->ctx, 1000, &info));
}

static void test_info_get_forms(void **state)
{
	FX;
	struct ioasid_dev_info a = { .sz = sizeof(a) };
	struct ioasid_dev_info b = { .sz = sizeof(b) };

	OK(ioasid_dev_info_get(f->ctx, DEV_A, &a));
	assert_string_equal(a.name, DEV_A);
	assert_int_equal(a.kind, IOASID_DEV_PCI);
	assert_string_equal(a.driver, "vfio-pci");
	assert_true(strncmp(a.cdev, "/dev/vfio/devices/vfio", 22) == 0);
	assert_int_equal(a.group, 3);
	assert_string_equal(a.iommu, "vtd0");
	assert_int_equal(a.vendor_id, 0x1234);
	assert_int_equal(a.device_id, 0x11e8);
	assert_int_equal(a.dev_class, IOASID_CLASS_RID_ONLY);

	/* Short PCI form and cdev path name the same device. */
	OK(ioasid_dev_info_get(f->ctx, DEV_A_SHORT, &b));
	assert_string_equal(b.name, DEV_A);
	memset(&b, 0, sizeof(b));
	b.sz = sizeof(b);
	OK(ioasid_dev_info_get(f->ctx, a.cdev, &b));
	assert_string_equal(b.name, DEV_A);

	OK(ioasid_dev_info_get(f->ctx, MDEV, &b));
	assert_string_equal(b.name, MDEV);
	assert_int_equal(b.kind, IOASID_DEV_MDEV);
	assert_string_equal(b.parent, DEV_PARENT);
	assert_string_equal(b.iommu, "");
	assert_int_equal(b.dev_class, IOASID_CLASS_MDEV_FIXED_PASID);

	OK(ioasid_dev_info_get(f->ctx, DEV_HOST, &b));
	assert_string_equal(b.driver, "e1000e");
	assert_string_equal(b.cdev, "");

	EXPECT_ERR(ENODEV, "0000:00:1f.7",
		   ioasid_dev_info_get(f->ctx, "0000:00:1f.7", &b));
}

/* An older caller's smaller struct is filled only up to its sz. */
static void test_info_old_struct(void **state)
{
	FX;
	union {
		struct ioasid_dev_info info;
		uint8_t bytes[sizeof(struct ioasid_dev_info)];
	} u;
	size_t old = offsetof(struct ioasid_dev_info, kind);

	memset(&u, 0xab, sizeof(u));
	u.info.sz = old;
	OK(ioasid_dev_info_get(f->ctx, DEV_A, &u.info));
	assert_int_equal(u.info.sz, old);
	assert_string_equal(u.info.name, DEV_A);
	for (size_t i = old; i < sizeof(u); i++)
		assert_int_equal(u.bytes[i], 0xab);
}

/* ------------------------------------------------------------------ */
/* Open, bind                                                           */

static void test_open_errors(void **state)
{
	FX;
	struct ioasid_dev *dev = NULL;

	EXPECT_ERR(ENODEV, "0000:00:1f.7",
		   ioasid_dev_open(f->ctx, "0000:00:1f.7", &dev));
	EXPECT_ERR(ENODEV, "vfio99",
		   ioasid_dev_open(f->ctx, "/dev/vfio/devices/vfio99", &dev));
	EXPECT_ERR(EINVAL, NULL, ioasid_dev_open(f->ctx, "", &dev));
	assert_null(dev);
	/* Nothing was left open. */
	ioasid_dev_close(open_dev(f, DEV_A));
	/* Neither a PCI address, nor a UUID, nor a path: malformed. */
	EXPECT_ERR(EINVAL, "00:03", ioasid_dev_open(f->ctx, "00:03", &dev));
	EXPECT_ERR(EINVAL, "not-a-device",
		   ioasid_dev_open(f->ctx, "not-a-device", &dev));
	assert_null(dev);
}

/* A device owned by a host driver has no VFIO cdev to open. */
static void test_open_host_driver(void **state)
{
	FX;
	struct ioasid_dev *dev = NULL;

	EXPECT_ERR(ENODEV, "e1000e", ioasid_dev_open(f->ctx, DEV_HOST, &dev));
	assert_null(dev);
}

static void test_open_twice(void **state)
{
	FX;
	struct ioasid_dev *first = open_dev(f, DEV_A);
	struct ioasid_dev *dev = NULL;
	uint32_t id = 0;

	EXPECT_ERR(EBUSY, DEV_A, ioasid_dev_open(f->ctx, DEV_A, &dev));
	EXPECT_ERR(EBUSY, DEV_A, ioasid_dev_open(f->ctx, DEV_A_SHORT, &dev));
	assert_null(dev);
	OK(ioasid_dev_bind(first, &id)); /* the first handle is unharmed */
	ioasid_dev_close(first);
	ioasid_dev_close(open_dev(f, DEV_A_SHORT));
}

/* Ids share one space with IOAS and HWPT objects: the lowest free id
 * (xa_alloc() in iommufd_object_alloc_elm(); a VFIO bind allocates the
 * device object in iommufd_device_bind(), the attach an auto HWPT). */
static void test_accessors_and_ids(void **state)
{
	FX;
	struct ioasid_dev *dev = open_dev(f, DEV_A_SHORT);
	uint32_t id = 0, hwpt = 0;

	assert_string_equal(ioasid_dev_name(dev), DEV_A);
	assert_int_equal(ioasid_dev_id(dev), 0);
	assert_int_equal(ioasid_dev_pt_id(dev), 0);
	assert_int_equal(ioasid_dev_hwpt_id(dev), 0);
	OK(ioasid_dev_bind(dev, &id));
	assert_int_equal(id, 2); /* the fixture's IOAS is 1 */
	assert_int_equal(ioasid_dev_id(dev), id);
	OK(ioasid_dev_attach(dev, f->ioas, &hwpt));
	assert_int_equal(hwpt, 3);
	assert_int_equal(ioasid_dev_pt_id(dev), f->ioas);
	assert_int_equal(ioasid_dev_hwpt_id(dev), hwpt);
}

static void test_bind_twice(void **state)
{
	FX;
	struct ioasid_dev *dev = dev_open_bound(f->ctx, DEV_A);
	uint32_t id = ioasid_dev_id(dev), again = 0;

	EXPECT_ERR(EALREADY, DEV_A, ioasid_dev_bind(dev, &again));
	assert_int_equal(again, 0);
	assert_int_equal(ioasid_dev_id(dev), id);
}

/* ------------------------------------------------------------------ */
/* Attach, replace, detach, close                                       */

static void test_attach_unbound(void **state)
{
	FX;
	struct ioasid_dev *dev = open_dev(f, DEV_A);
	uint32_t hwpt = 0;

	EXPECT_ERR(EINVAL, DEV_A, ioasid_dev_attach(dev, f->ioas, &hwpt));
	assert_int_equal(ioasid_dev_pt_id(dev), 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
}

/* Closing detaches and unbinds (vfio_df_unbind_iommufd() ->
 * iommufd_device_unbind()); the last user of the auto domain frees it. */
static void test_close_attached(void **state)
{
	FX;
	struct ioasid_dev *dev = dev_open_bound(f->ctx, DEV_A);
	uint32_t hwpt = 0;

	OK(ioasid_dev_attach(dev, f->ioas, &hwpt));
	ioasid_dev_close(dev);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	EXPECT_ERR(ENOENT, NULL, ioasid_hwpt_destroy(f->ctx, hwpt));
	OK(ioasid_ioas_destroy(f->ctx, f->ioas));
	/* And it can be opened again. */
	dev = dev_open_bound(f->ctx, DEV_A);
	ioasid_dev_close(dev);
}

/*
 * Attach refused when the IOAS already maps IOVA the device cannot have,
 * all -EADDRINUSE with nothing changed:
 * - a mapping in the MSI window: iopt_table_enforce_dev_resv_regions() ->
 *   iopt_reserve_iova();
 * - a mapping past vtd1's 39-bit aperture: iopt_table_add_domain();
 * - a byte-aligned mapping under a 4 KiB IOMMU: iopt_check_iova_alignment().
 */
static void test_attach_conflicts_with_mappings(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	struct ioasid_dev *c = dev_open_bound(f->ctx, DEV_C);
	uint32_t hwpt = 0;
	uint64_t unmapped = 0;

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, MSI_START + SZ_64K));
	EXPECT_ERR(EADDRINUSE, "0xfee00000",
		   ioasid_dev_attach(a, f->ioas, &hwpt));
	assert_int_equal(ioasid_dev_pt_id(a), 0);
	assert_true(is_mapped(f->ctx, f->ioas, MSI_START + SZ_64K, SZ_4K));
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	OK(ioasid_ioas_unmap_all(f->ctx, f->ioas, &unmapped));

	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, 1ULL << 40));
	EXPECT_ERR(EADDRINUSE, NULL, ioasid_dev_attach(c, f->ioas, &hwpt));
	assert_int_equal(ioasid_dev_pt_id(c), 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	OK(ioasid_ioas_unmap_all(f->ctx, f->ioas, &unmapped));

	OK(map_fixed(f->ctx, f->ioas, f->buf.p + 0x800, 0x800, SZ_1M + 0x800));
	EXPECT_ERR(EADDRINUSE, NULL, ioasid_dev_attach(a, f->ioas, &hwpt));
	assert_int_equal(ioasid_dev_pt_id(a), 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	assert_true(is_mapped(f->ctx, f->ioas, SZ_1M + 0x800, 0x800));
	OK(ioasid_ioas_unmap_all(f->ctx, f->ioas, &unmapped));

	OK(ioasid_dev_attach(a, f->ioas, &hwpt));
	OK(ioasid_dev_attach(c, f->ioas, &hwpt));
}

/* ------------------------------------------------------------------ */
/* mdev: an emulated device, an iommufd_access rather than a domain      */

/* vfio_iommufd_emulated_attach_ioas() -> iommufd_access_attach(): no
 * domain and no reserved regions, but the access pins pages, so the IOAS
 * alignment becomes PAGE_SIZE (iopt_add_access() ->
 * iopt_calculate_iova_alignment(); vfio_user_ops.needs_pin_pages), and the
 * IOAS is held (-EBUSY on destroy). */
static void test_mdev_attach(void **state)
{
	FX;
	struct ioasid_dev *m = dev_open_bound(f->ctx, MDEV);

	OK(ioasid_dev_attach(m, f->ioas, NULL));
	assert_int_equal(ioasid_dev_pt_id(m), f->ioas);
	EXPECT_RANGES(f->ctx, f->ioas, SZ_4K, { 0, UINT64_MAX });
	EXPECT_ERR(EBUSY, NULL, ioasid_ioas_destroy(f->ctx, f->ioas));
	/* No reserved regions: the MSI window maps. */
	OK(map_fixed(f->ctx, f->ioas, f->buf.p, SZ_4K, MSI_START));
	OK(ioasid_dev_detach(m));
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	OK(ioasid_ioas_destroy(f->ctx, f->ioas));
}

/* iommufd_access_attach() takes an IOAS only: a HWPT id is -ENOENT
 * (iommufd_get_ioas()).  A byte-aligned mapping blocks the PAGE_SIZE
 * alignment: -EADDRINUSE (iopt_check_iova_alignment()). */
static void test_mdev_attach_errors(void **state)
{
	FX;
	struct ioasid_dev *a = dev_open_bound(f->ctx, DEV_A);
	struct ioasid_dev *m = dev_open_bound(f->ctx, MDEV);
	uint32_t hwpt = 0;
	uint64_t unmapped = 0;

	OK(ioasid_hwpt_alloc(a, f->ioas, NULL, &hwpt));
	EXPECT_ERR(ENOENT, NULL, ioasid_dev_attach(m, hwpt, NULL));
	assert_int_equal(ioasid_dev_pt_id(m), 0);
	OK(ioasid_hwpt_destroy(f->ctx, hwpt));

	OK(map_fixed(f->ctx, f->ioas, f->buf.p + 0x800, 0x800, SZ_1M + 0x800));
	EXPECT_ERR(EADDRINUSE, NULL, ioasid_dev_attach(m, f->ioas, NULL));
	assert_int_equal(ioasid_dev_pt_id(m), 0);
	EXPECT_RANGES_EMPTY(f->ctx, f->ioas);
	OK(ioasid_ioas_unmap_all(f->ctx, f->ioas, &unmapped));
	OK(ioasid_dev_attach(m, f->ioas, NULL));
}

/* ------------------------------------------------------------------ */
/* Groups and reserved regions                                          */

static bool find_group(struct fx *f, int32_t id, struct ioasid_group_info *g)
{
	for (uint32_t i = 0;; i++) {
		memset(g, 0, sizeof(*g));
		g->sz = sizeof(*g);
		if (ioasid_group_info_at(f->ctx, i, g))
			return false;
		if (g->id == id)
			return true;
	}
}

static void test_group_info(void **state)
{
	FX;
	struct ioasid_group_info g;
	uint32_t n = 0;

	assert_true(find_group(f, 3, &g));
	assert_string_equal(g.iommu, "vtd0");
	assert_int_equal(g.num_devices, 1);
	assert_int_equal(g.num_resv_regions, 1); /* the IOMMU's MSI window */
	assert_true(find_group(f, 4, &g));
	assert_int_equal(g.num_resv_regions, 3);
	assert_true(find_group(f, 7, &g));
	assert_string_equal(g.iommu, "vtd1");
	assert_int_equal(g.num_resv_regions, 2);

	/* Groups 3 to 7; whether an mdev's emulated group is listed is the
	 * backend's choice, so at least five. */
	g.sz = sizeof(g);
	while (ioasid_group_info_at(f->ctx, n, &g) == 0)
		n++;
	assert_true(n >= 5);
	EXPECT_ERR(ENOENT, "1000", ioasid_group_info_at(f->ctx, 1000, &g));
}

/* The union of the IOMMU's and the group's regions, sorted by start, with
 * sysfs type names (iommu_group_resv_type_string[] in iommu.c). */
static void test_group_resv_regions(void **state)
{
	FX;
	struct ioasid_resv_region r[4];
	uint32_t num = 1;

	memset(r, 0, sizeof(r));
	EXPECT_ERR(EMSGSIZE, NULL,
		   ioasid_group_resv_regions(f->ctx, 4, r, &num));
	assert_int_equal(num, 3);
	assert_int_equal(r[0].start, 0xa0000);
	assert_int_equal(r[1].start, 0);

	num = 4;
	OK(ioasid_group_resv_regions(f->ctx, 4, r, &num));
	assert_int_equal(num, 3);
	assert_int_equal(r[0].start, 0xa0000);
	assert_int_equal(r[0].last, 0xbffff);
	assert_int_equal(r[0].type, IOASID_RESV_DIRECT);
	assert_int_equal(r[1].start, 0xc0000);
	assert_int_equal(r[1].last, 0xdffff);
	assert_int_equal(r[1].type, IOASID_RESV_DIRECT_RELAXABLE);
	assert_int_equal(r[2].start, MSI_START);
	assert_int_equal(r[2].last, MSI_LAST);
	assert_int_equal(r[2].type, IOASID_RESV_MSI);

	num = 4;
	OK(ioasid_group_resv_regions(f->ctx, 7, r, &num));
	assert_int_equal(num, 2);
	assert_int_equal(r[0].start, 0x1000);
	assert_int_equal(r[0].type, IOASID_RESV_RESERVED);

	num = 4;
	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_group_resv_regions(f->ctx, (int32_t)BAD_ID, r, &num));
}

static void test_resv_type_names(void **state)
{
	(void)state;
	assert_string_equal(ioasid_resv_type_name(IOASID_RESV_DIRECT),
			    "direct");
	assert_string_equal(ioasid_resv_type_name(IOASID_RESV_DIRECT_RELAXABLE),
			    "direct-relaxable");
	assert_string_equal(ioasid_resv_type_name(IOASID_RESV_RESERVED),
			    "reserved");
	assert_string_equal(ioasid_resv_type_name(IOASID_RESV_MSI), "msi");
	assert_non_null(ioasid_resv_type_name(IOASID_RESV_SW_MSI));
	assert_null(ioasid_resv_type_name((enum ioasid_resv_type)99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_info_at),
		T(test_info_get_forms),
		T(test_info_old_struct),
		T(test_open_errors),
		T(test_open_host_driver),
		T(test_open_twice),
		T(test_accessors_and_ids),
		T(test_bind_twice),
		T(test_attach_unbound),
		T(test_close_attached),
		T(test_attach_conflicts_with_mappings),
		T(test_mdev_attach),
		T(test_mdev_attach_errors),
		T(test_group_info),
		T(test_group_resv_regions),
		T(test_resv_type_names),
	};
	return cmocka_run_group_tests_name("dev", tests, NULL, NULL);
}
