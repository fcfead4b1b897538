// SPDX-License-Identifier: MIT
/*
 * PASID attach by device class on the simulator (lib/core/pasid.c and the
 * simulator's model of drivers/iommu/iommufd/device.c
 * iommufd_hwpt_pasid_compat() and iommu.c iommu_attach_device_pasid()).
 */
#include "helpers.h"

#define TOPO "pasid.ini"
#define RID_ONLY "0000:00:03.0"
#define PASSTHRU "0000:00:04.0"
#define DEVXLATE_NARROW "0000:00:07.0" /* width 2 */
#define CPUXLATE "0000:00:08.0"
#define DEVXLATE "0000:00:09.0"
#define MDEV_NOPASID "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
#define MDEV_FIXED "83b8f4f2-509f-382f-3c1e-e6bfe0fa1002"
#define HWPT_ALLOC_PASID (1u << 3) /* uAPI IOMMU_HWPT_ALLOC_PASID */

struct pfx {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
};

static int pfx_setup(void **state)
{
	struct pfx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ctx = sim_open(TOPO);
	OK(ioasid_ioas_alloc(f->ctx, &f->ioas));
	*state = f;
	return 0;
}

static int pfx_teardown(void **state)
{
	struct pfx *f = *state;

	ioasid_ctx_close(f->ctx);
	free(f);
	return 0;
}

#define PFX struct pfx *f = *state
#define PT(fn) cmocka_unit_test_setup_teardown(fn, pfx_setup, pfx_teardown)

static uint32_t pasid_hwpt(struct ioasid_dev *dev, uint32_t ioas)
{
	IOASID_OPTS(ioasid_hwpt_alloc_opts, o, .flags = HWPT_ALLOC_PASID);
	uint32_t hwpt = 0;

	OK(ioasid_hwpt_alloc(dev, ioas, &o, &hwpt));
	return hwpt;
}

static uint32_t table_size(struct ioasid_dev *dev)
{
	uint32_t n = 0;
	int rc = ioasid_dev_pasid_table(dev, NULL, &n);

	assert_true(rc == 0 || rc == -EMSGSIZE);
	return n;
}

/* Item 1: the report per class, the same for pdevs and mdevs. */
static void test_info_per_class(void **state)
{
	static const struct {
		const char *name;
		enum ioasid_dev_class cls;
		uint8_t width;
		bool vpasid, cpu;
		uint32_t fixed;
	} want[] = {
		{ RID_ONLY, IOASID_CLASS_RID_ONLY, 0, false, false, 0 },
		{ MDEV_NOPASID, IOASID_CLASS_MDEV_NO_PASID, 0, false, false, 0 },
		{ MDEV_FIXED, IOASID_CLASS_MDEV_FIXED_PASID, 0, false, false, 0x10 },
		{ PASSTHRU, IOASID_CLASS_PASID_PASSTHROUGH, 20, true, false, 0 },
		{ DEVXLATE_NARROW, IOASID_CLASS_PASID_DEV_TRANSLATE, 2, true, false, 0 },
		{ CPUXLATE, IOASID_CLASS_PASID_CPU_TRANSLATE, 20, true, true, 0 },
	};
	PFX;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct ioasid_dev_info info = { .sz = sizeof(info) };

		OK(ioasid_dev_info_get(f->ctx, want[i].name, &info));
		assert_int_equal(info.dev_class, want[i].cls);
		assert_int_equal(info.pasid_width, want[i].width);
		assert_int_equal(info.needs_vpasid, want[i].vpasid);
		assert_int_equal(info.needs_cpu_translation, want[i].cpu);
		assert_int_equal(info.fixed_pasid, want[i].fixed);
		assert_int_equal(info.class_source, IOASID_CLASS_SRC_TOPOLOGY);
	}
	assert_string_equal(ioasid_dev_class_name(IOASID_CLASS_PASID_CPU_TRANSLATE),
			    "pasid-cpu-translate");
	assert_null(ioasid_dev_class_name((enum ioasid_dev_class)6));
}

/* An old caller's smaller struct gets only what it has room for. */
static void test_info_old_struct(void **state)
{
	struct ioasid_dev_info info;
	size_t old = offsetof(struct ioasid_dev_info, needs_vpasid);
	PFX;

	memset(&info, 0xab, sizeof(info));
	info.sz = old;
	OK(ioasid_dev_info_get(f->ctx, CPUXLATE, &info));
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_CPU_TRANSLATE);
	assert_int_equal(((unsigned char *)&info)[old], 0xab);
}

static void test_class0_1_refused(void **state)
{
	PFX;
	struct ioasid_dev *rid = dev_open_bound(f->ctx, RID_ONLY);
	struct ioasid_dev *md = dev_open_bound(f->ctx, MDEV_NOPASID);
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 5);

	EXPECT_ERR(EOPNOTSUPP, "class 0 (rid-only)",
		   ioasid_dev_attach_pasid(rid, f->ioas, &a));
	EXPECT_ERR(EOPNOTSUPP, "class 1 (mdev-no-pasid)",
		   ioasid_dev_attach_pasid(md, f->ioas, &a));
	EXPECT_ERR(EOPNOTSUPP, "class 0", ioasid_dev_replace_pasid(rid, f->ioas, &a));
	EXPECT_ERR(EOPNOTSUPP, "class 1", ioasid_dev_detach_pasid(md, 5));
	assert_int_equal(a.ppasid, 0);
	assert_int_equal(ioasid_dev_pt_id(rid), 0);
	assert_int_equal(ioasid_dev_pt_id(md), 0);
}

static void test_class2_fixed(void **state)
{
	PFX;
	struct ioasid_dev *md = dev_open_bound(f->ctx, MDEV_FIXED);
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 3);
	struct ioasid_pasid_entry e[2];
	uint32_t n = 2, ioas2;

	EXPECT_ERR(EINVAL, "takes no vPASID", ioasid_dev_attach_pasid(md, f->ioas, &a));
	a.vpasid = 0;
	a.flags = IOASID_PASID_FIXED;
	a.ppasid = 0x11;
	EXPECT_ERR(EINVAL, "its PASID is 16", ioasid_dev_attach_pasid(md, f->ioas, &a));
	assert_int_equal(ioasid_dev_pt_id(md), 0);

	a.flags = 0;
	a.ppasid = 0;
	OK(ioasid_dev_attach_pasid(md, f->ioas, &a));
	assert_int_equal(a.ppasid, 0x10);
	assert_int_equal(a.action, IOASID_PASID_PROGRAM_NOTHING);
	assert_true(a.translated);
	assert_int_equal(a.hwpt_id, f->ioas); /* an mdev's access: the IOAS */
	EXPECT_ERR(EBUSY, "use ioasid_dev_replace_pasid", ioasid_dev_attach_pasid(md, f->ioas, &a));

	OK(ioasid_dev_pasid_table(md, e, &n));
	assert_int_equal(n, 1);
	assert_int_equal(e[0].vpasid, 0);
	assert_int_equal(e[0].ppasid, 0x10);

	OK(ioasid_ioas_alloc(f->ctx, &ioas2));
	OK(ioasid_dev_replace_pasid(md, ioas2, &a));
	assert_int_equal(ioasid_dev_pt_id(md), ioas2);
	EXPECT_ERR(EINVAL, "vpasid 7 is not attached", ioasid_dev_detach_pasid(md, 7));
	OK(ioasid_dev_detach_pasid(md, 0));
	assert_int_equal(ioasid_dev_pt_id(md), 0);
	assert_int_equal(table_size(md), 0);
	EXPECT_ERR(EINVAL, "not attached", ioasid_dev_replace_pasid(md, ioas2, &a));
}

static void test_class3_passthrough(void **state)
{
	PFX;
	struct ioasid_dev *d = dev_open_bound(f->ctx, PASSTHRU);
	uint32_t hwpt = pasid_hwpt(d, f->ioas), hwpt2 = pasid_hwpt(d, f->ioas);
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 7);

	OK(ioasid_dev_attach_pasid(d, hwpt, &a));
	assert_int_equal(a.ppasid, 7);
	assert_false(a.translated);
	assert_int_equal(a.action, IOASID_PASID_PROGRAM_NOTHING);
	assert_int_equal(a.hwpt_id, hwpt);

	/* A fixed PASID other than the vPASID makes no sense here. */
	IOASID_OPTS(ioasid_pasid_attach, b, .vpasid = 8, .ppasid = 9,
		    .flags = IOASID_PASID_FIXED);
	EXPECT_ERR(EINVAL, "must be vpasid 8", ioasid_dev_attach_pasid(d, hwpt, &b));
	assert_int_equal(table_size(d), 1);

	/* Same vPASID twice: EBUSY; the HWPT in use cannot go. */
	EXPECT_ERR(EBUSY, "vpasid 7 is attached", ioasid_dev_attach_pasid(d, hwpt2, &a));
	EXPECT_ERR(EBUSY, "in use", ioasid_hwpt_destroy(f->ctx, hwpt));

	OK(ioasid_dev_replace_pasid(d, hwpt2, &a));
	assert_int_equal(a.hwpt_id, hwpt2);
	assert_int_equal(a.ppasid, 7);
	OK(ioasid_hwpt_destroy(f->ctx, hwpt));
	OK(ioasid_dev_detach_pasid(d, 7));
	assert_int_equal(table_size(d), 0);
	OK(ioasid_hwpt_destroy(f->ctx, hwpt2));
}

static void test_class4_table(void **state)
{
	PFX;
	struct ioasid_dev *d = dev_open_bound(f->ctx, DEVXLATE);
	uint32_t hwpt = pasid_hwpt(d, f->ioas);
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 100);
	IOASID_OPTS(ioasid_pasid_attach, b, .vpasid = 50);
	struct ioasid_pasid_entry e[1];
	uint32_t n = 1;

	OK(ioasid_dev_attach_pasid(d, hwpt, &a));
	assert_int_equal(a.ppasid, 1);
	assert_true(a.translated);
	assert_int_equal(a.action, IOASID_PASID_PROGRAM_DEVICE);
	OK(ioasid_dev_attach_pasid(d, hwpt, &b));
	assert_int_equal(b.ppasid, 2);

	EXPECT_ERR(EMSGSIZE, "room for 1", ioasid_dev_pasid_table(d, e, &n));
	assert_int_equal(n, 2);
	assert_int_equal(e[0].vpasid, 50); /* sorted by vPASID */
	assert_int_equal(e[0].ppasid, 2);

	/* Detach frees the physical PASID for the next attach. */
	OK(ioasid_dev_detach_pasid(d, 100));
	a.vpasid = 101;
	OK(ioasid_dev_attach_pasid(d, hwpt, &a));
	assert_int_equal(a.ppasid, 1);
}

static void test_class5_cpu(void **state)
{
	PFX;
	struct ioasid_dev *d = dev_open_bound(f->ctx, CPUXLATE);
	uint32_t hwpt = pasid_hwpt(d, f->ioas);
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 1,
		    .flags = IOASID_PASID_FIXED, .ppasid = 0x400);

	OK(ioasid_dev_attach_pasid(d, hwpt, &a));
	assert_int_equal(a.ppasid, 0x400);
	assert_true(a.translated);
	assert_int_equal(a.action, IOASID_PASID_PROGRAM_CPU);
	assert_int_equal(a.hwpt_id, hwpt);
}

/* Global PASIDs are unique in the context; class 3's only per device. */
static void test_allocator_conflicts(void **state)
{
	PFX;
	struct ioasid_dev *x4 = dev_open_bound(f->ctx, DEVXLATE);
	struct ioasid_dev *x5 = dev_open_bound(f->ctx, CPUXLATE);
	struct ioasid_dev *p3 = dev_open_bound(f->ctx, PASSTHRU);
	struct ioasid_dev *md = dev_open_bound(f->ctx, MDEV_FIXED);
	uint32_t h4 = pasid_hwpt(x4, f->ioas), h5 = pasid_hwpt(x5, f->ioas);
	uint32_t h3 = pasid_hwpt(p3, f->ioas);
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 9);
	IOASID_OPTS(ioasid_pasid_attach, b, .vpasid = 9);

	OK(ioasid_dev_attach_pasid(x4, h4, &a));
	assert_int_equal(a.ppasid, 1);
	OK(ioasid_dev_attach_pasid(x5, h5, &b));
	assert_int_equal(b.ppasid, 2); /* 1 is held by the class 4 device */

	/* Fixing a held global PASID: EBUSY naming the holder. */
	IOASID_OPTS(ioasid_pasid_attach, c, .vpasid = 10,
		    .flags = IOASID_PASID_FIXED, .ppasid = 1);
	EXPECT_ERR(EBUSY, "in use by device " DEVXLATE,
		   ioasid_dev_attach_pasid(x5, h5, &c));
	/* The class 2 mdev's fixed PASID is reserved even while detached. */
	c.ppasid = 0x10;
	EXPECT_ERR(EBUSY, "in use by device " MDEV_FIXED,
		   ioasid_dev_attach_pasid(x5, h5, &c));
	assert_int_equal(table_size(x5), 1);

	/* A guest PASID on a class 3 device may equal a global one. */
	IOASID_OPTS(ioasid_pasid_attach, d, .vpasid = 1);
	OK(ioasid_dev_attach_pasid(p3, h3, &d));
	assert_int_equal(d.ppasid, 1);
	(void)md;
}

/* The allocator honours the device's width: 2 bits give PASIDs 1..3. */
static void test_allocator_width(void **state)
{
	PFX;
	struct ioasid_dev *d = dev_open_bound(f->ctx, DEVXLATE_NARROW);
	uint32_t hwpt = pasid_hwpt(d, f->ioas);
	IOASID_OPTS(ioasid_pasid_attach, a);

	EXPECT_ERR(EINVAL, "vpasid 4 is outside 1..3",
		   (a.vpasid = 4, ioasid_dev_attach_pasid(d, hwpt, &a)));
	EXPECT_ERR(EINVAL, "vpasid 0 is outside",
		   (a.vpasid = 0, ioasid_dev_attach_pasid(d, hwpt, &a)));
	a.flags = IOASID_PASID_FIXED;
	a.ppasid = 4;
	a.vpasid = 1;
	EXPECT_ERR(EINVAL, "PASID 4 is outside 1..3", ioasid_dev_attach_pasid(d, hwpt, &a));
	a.flags = 0;
	for (uint32_t v = 1; v <= 3; v++) {
		a.vpasid = v;
		OK(ioasid_dev_attach_pasid(d, hwpt, &a));
		assert_int_equal(a.ppasid, v);
	}
	EXPECT_ERR(EINVAL, "outside 1..3",
		   (a.vpasid = 5, ioasid_dev_attach_pasid(d, hwpt, &a)));
	/* All three in use: nothing left to allocate. */
	OK(ioasid_dev_detach_pasid(d, 2));
	OK(ioasid_dev_attach_pasid(d, hwpt, (a.vpasid = 2, &a)));
	assert_int_equal(a.ppasid, 2);
	a.vpasid = 3;
	EXPECT_ERR(EBUSY, "vpasid 3 is attached", ioasid_dev_attach_pasid(d, hwpt, &a));
	assert_int_equal(table_size(d), 3);
}

static void test_allocator_exhausted(void **state)
{
	PFX;
	struct ioasid_dev *n = dev_open_bound(f->ctx, DEVXLATE_NARROW);
	struct ioasid_dev *w = dev_open_bound(f->ctx, DEVXLATE);
	uint32_t hn = pasid_hwpt(n, f->ioas), hw = pasid_hwpt(w, f->ioas);
	IOASID_OPTS(ioasid_pasid_attach, a);

	/* The wide device takes 1..3; the narrow one has nothing left. */
	for (uint32_t v = 1; v <= 3; v++) {
		a.vpasid = v;
		OK(ioasid_dev_attach_pasid(w, hw, &a));
	}
	a.vpasid = 1;
	EXPECT_ERR(ENOSPC, "2-bit width", ioasid_dev_attach_pasid(n, hn, &a));
	assert_int_equal(table_size(n), 0);
}

/* What the kernel checks (device.c, iommu.c), modelled by the simulator. */
static void test_kernel_checks(void **state)
{
	PFX;
	struct ioasid_dev *d = dev_open_bound(f->ctx, PASSTHRU);
	uint32_t plain = 0, hwpt = pasid_hwpt(d, f->ioas);
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 5);

	/* An IOAS's automatic domains lack IOMMU_HWPT_ALLOC_PASID. */
	EXPECT_ERR(EINVAL, "IOMMU_HWPT_ALLOC_PASID", ioasid_dev_attach_pasid(d, f->ioas, &a));
	OK(ioasid_hwpt_alloc(d, f->ioas, NULL, &plain));
	EXPECT_ERR(EINVAL, "without IOMMU_HWPT_ALLOC_PASID", ioasid_dev_attach_pasid(d, plain, &a));
	EXPECT_ERR(ENOENT, BAD_ID_STR, ioasid_dev_attach_pasid(d, BAD_ID, &a));
	assert_int_equal(table_size(d), 0);

	/* RID interplay: with a PASID attached the RID needs a
	 * PASID-compatible HWPT, and the reverse. */
	OK(ioasid_dev_attach_pasid(d, hwpt, &a));
	EXPECT_ERR(EINVAL, "lacks IOMMU_HWPT_ALLOC_PASID", ioasid_dev_attach(d, plain, NULL));
	assert_int_equal(ioasid_dev_pt_id(d), 0);
	OK(ioasid_dev_attach(d, hwpt, NULL));
	OK(ioasid_dev_detach_pasid(d, 5));
	OK(ioasid_dev_replace(d, plain, NULL));
	EXPECT_ERR(EINVAL, "its RID is attached to hwpt", ioasid_dev_attach_pasid(d, hwpt, &a));
	assert_int_equal(table_size(d), 0);
}

static void test_arg_errors(void **state)
{
	PFX;
	struct ioasid_dev *d = NULL;
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 5);
	struct ioasid_pasid_attach small = { .sz = 4 };
	uint32_t n = 1;

	OK(ioasid_dev_open(f->ctx, PASSTHRU, &d));
	EXPECT_ERR(EINVAL, "dev is NULL", ioasid_dev_attach_pasid(NULL, f->ioas, &a));
	EXPECT_ERR(EINVAL, "attach is NULL", ioasid_dev_attach_pasid(d, f->ioas, NULL));
	EXPECT_ERR(EINVAL, "too small", ioasid_dev_attach_pasid(d, f->ioas, &small));
	a.flags = 0x80;
	EXPECT_ERR(EINVAL, "bits 0x80 are unknown", ioasid_dev_attach_pasid(d, f->ioas, &a));
	a.flags = 0;
	EXPECT_ERR(EINVAL, "not bound", ioasid_dev_attach_pasid(d, f->ioas, &a));
	EXPECT_ERR(EINVAL, "not bound", ioasid_dev_detach_pasid(d, 5));
	EXPECT_ERR(EINVAL, "num is NULL", ioasid_dev_pasid_table(d, NULL, NULL));
	EXPECT_ERR(EINVAL, "entries is NULL", ioasid_dev_pasid_table(d, NULL, &n));
	EXPECT_ERR(EINVAL, "dev is NULL", ioasid_dev_detach_pasid(NULL, 1));
	OK(ioasid_dev_bind(d, NULL));
	EXPECT_ERR(EINVAL, "vpasid 5 is not attached", ioasid_dev_detach_pasid(d, 5));
	EXPECT_ERR(EINVAL, "use ioasid_dev_attach_pasid", ioasid_dev_replace_pasid(d, f->ioas, &a));
}

/* Closing a device drops its PASIDs and their HWPT references. */
static void test_close_releases(void **state)
{
	PFX;
	struct ioasid_dev *d = dev_open_bound(f->ctx, DEVXLATE);
	uint32_t hwpt = pasid_hwpt(d, f->ioas);
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 3);

	OK(ioasid_dev_attach_pasid(d, hwpt, &a));
	ioasid_dev_close(d);
	OK(ioasid_hwpt_destroy(f->ctx, hwpt));
	d = dev_open_bound(f->ctx, DEVXLATE);
	hwpt = pasid_hwpt(d, f->ioas);
	OK(ioasid_dev_attach_pasid(d, hwpt, &a));
	assert_int_equal(a.ppasid, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT(test_info_per_class),
		PT(test_info_old_struct),
		PT(test_class0_1_refused),
		PT(test_class2_fixed),
		PT(test_class3_passthrough),
		PT(test_class4_table),
		PT(test_class5_cpu),
		PT(test_allocator_conflicts),
		PT(test_allocator_width),
		PT(test_allocator_exhausted),
		PT(test_kernel_checks),
		PT(test_arg_errors),
		PT(test_close_releases),
	};

	return cmocka_run_group_tests_name("pasid", tests, NULL, NULL);
}
