// SPDX-License-Identifier: MIT
/*
 * PASID attach by device class on the real kernel (issue 4, "Tests"):
 * mock devices of CONFIG_IOMMUFD_TEST with the PASID flag stand for
 * classes 3, 4 and 5 (the last two set by an ioasid.conf the test writes
 * and names with IOASID_CONFIG, as an operator would), a mock device
 * without the flag and QEMU's edu device stand for class 0.  Every attach,
 * replace and detach through ioasid_dev_*_pasid() is checked against the
 * kernel with IOMMU_TEST_OP_PASID_CHECK_HWPT: the expected HWPT on the
 * expected physical PASID, and nothing on the PASIDs that must stay free.
 *
 * Exit status: 0 pass, 1 fail, 77 skip (no mock devices in this kernel).
 */
#include <linux/iommufd.h>

#include "core.h"
#include "kernel.h"
#include "vmtest.h"

#define CONFIG_PATH "/tmp/ioasid-pasid-test.conf"

#define DEV_CLASS3 "mock0:pasid"
#define DEV_CLASS4 "mock1:pasid"
#define DEV_CLASS5 "mock2:pasid"
#define DEV_NO_PASID "mock3"

/* Narrow widths from the configuration: the allocator's limits are
 * reached in a few attaches. */
#define CLASS4_WIDTH 8
#define CLASS5_WIDTH 2

/* Checks go on after a failure (one boot shows them all); main() fails
 * the test at the end. */
static int failures;

static void failed(int line, const char *what)
{
	printf("%s: FAIL: line %d: %s (errno %d; libioasid: \"%s\")\n",
	       vt_name(), line, what, errno, ioasid_errmsg());
	fflush(stdout);
	failures++;
}

#define CHECK(cond)                                   \
	do {                                          \
		if (!(cond))                          \
			failed(__LINE__, #cond);      \
	} while (0)

/* A call that must fail with @err and leave a message. */
#define CHECK_ERR(call, err)                                             \
	do {                                                             \
		int rc_ = (call);                                        \
		if (rc_ != (err) || !ioasid_errmsg()[0])                 \
			failed(__LINE__, #call " != " #err);             \
		else                                                     \
			vt_say("  as expected, %s: %s", #err, ioasid_errmsg()); \
	} while (0)

/* Stop here: later steps need this one. */
#define REQUIRE(cond)                                 \
	do {                                          \
		if (!(cond)) {                        \
			failed(__LINE__, #cond);      \
			exit(1);                      \
		}                                     \
	} while (0)

static struct ioasid_ctx *ctx;

/* Whether PASID @pasid of mock @dev is attached to @hwpt (0: to nothing),
 * as the kernel sees it. */
static bool kernel_has(struct ioasid_dev *dev, uint32_t pasid, uint32_t hwpt)
{
	return ioasid_kernel_mock_pasid_check(ctx->be, dev->bdev, pasid, hwpt) == 0;
}

static void write_config(void)
{
	FILE *f = fopen(CONFIG_PATH, "w");

	REQUIRE(f != NULL);
	fprintf(f,
		"# written by the VM test %s\n"
		"[device " DEV_CLASS4 "]\n"
		"class = pasid-dev-translate\n"
		"pasid_width = %d\n"
		"[device " DEV_CLASS5 "]\n"
		"class = 5\n"
		"pasid_width = %d\n",
		vt_name(), CLASS4_WIDTH, CLASS5_WIDTH);
	REQUIRE(fclose(f) == 0);
	REQUIRE(setenv("IOASID_CONFIG", CONFIG_PATH, 1) == 0);
}

/* Open and bind @name; check its class report. */
static struct ioasid_dev *open_dev(const char *name, enum ioasid_dev_class cls,
				   uint8_t width, enum ioasid_class_source src)
{
	IOASID_OPTS(ioasid_dev_info, info);
	struct ioasid_dev *dev = NULL;
	uint32_t dev_id = 0;

	REQUIRE(ioasid_dev_open(ctx, name, &dev) == 0);
	REQUIRE(ioasid_dev_bind(dev, &dev_id) == 0);
	REQUIRE(ioasid_dev_info_get(ctx, name, &info) == 0);
	vt_say("%s: dev %u, class %d (%s), width %u, source %d, needs_vpasid %d, needs_cpu_translation %d",
	    name, dev_id, (int)info.dev_class,
	    ioasid_dev_class_name(info.dev_class), info.pasid_width,
	    (int)info.class_source, info.needs_vpasid,
	    info.needs_cpu_translation);
	CHECK(info.kind == IOASID_DEV_MOCK);
	CHECK(info.dev_class == cls);
	CHECK(info.pasid_width == width);
	CHECK(info.class_source == src);
	CHECK(info.needs_vpasid == (cls >= IOASID_CLASS_PASID_PASSTHROUGH));
	CHECK(info.needs_cpu_translation ==
	      (cls == IOASID_CLASS_PASID_CPU_TRANSLATE));
	return dev;
}

/* A paging HWPT of @ioas that PASIDs can attach to. */
static uint32_t pasid_hwpt(struct ioasid_dev *dev, uint32_t ioas)
{
	IOASID_OPTS(ioasid_hwpt_alloc_opts, opts, .flags = IOMMU_HWPT_ALLOC_PASID);
	uint32_t hwpt = 0;

	REQUIRE(ioasid_hwpt_alloc(dev, ioas, &opts, &hwpt) == 0);
	return hwpt;
}

static int attach(struct ioasid_dev *dev, uint32_t pt, uint32_t vpasid,
		  uint32_t flags, uint32_t ppasid,
		  struct ioasid_pasid_attach *out)
{
	IOASID_OPTS(ioasid_pasid_attach, a, .flags = flags, .vpasid = vpasid,
		    .ppasid = ppasid);
	int rc = ioasid_dev_attach_pasid(dev, pt, &a);

	if (out)
		*out = a;
	return rc;
}

static int replace(struct ioasid_dev *dev, uint32_t pt, uint32_t vpasid,
		   struct ioasid_pasid_attach *out)
{
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = vpasid);
	int rc = ioasid_dev_replace_pasid(dev, pt, &a);

	if (out)
		*out = a;
	return rc;
}

/* The table entry of @vpasid, or a zeroed one. */
static struct ioasid_pasid_entry table_entry(struct ioasid_dev *dev,
					     uint32_t vpasid, uint32_t *count)
{
	struct ioasid_pasid_entry e[16], none = { 0 };
	uint32_t n = 16;

	if (ioasid_dev_pasid_table(dev, e, &n)) {
		failed(__LINE__, "ioasid_dev_pasid_table");
		return none;
	}
	if (count)
		*count = n;
	for (uint32_t i = 0; i < n; i++)
		if (e[i].vpasid == vpasid)
			return e[i];
	return none;
}

/* Class 3: the vPASID is the physical PASID, unique per device only. */
static void test_class3(struct ioasid_dev *dev, uint32_t ioas)
{
	uint32_t ha = pasid_hwpt(dev, ioas), hb = pasid_hwpt(dev, ioas);
	uint32_t top = (1u << 20) - 1;
	struct ioasid_pasid_attach a;

	vt_say("class 3 on %s: hwpts %u and %u (IOMMU_HWPT_ALLOC_PASID)",
	    ioasid_dev_name(dev), ha, hb);
	CHECK(kernel_has(dev, 100, 0));
	REQUIRE(attach(dev, ha, 100, 0, 0, &a) == 0);
	vt_say("  vpasid 100 -> ppasid %u hwpt %u action %d translated %d",
	    a.ppasid, a.hwpt_id, (int)a.action, a.translated);
	CHECK(a.ppasid == 100);
	CHECK(a.hwpt_id == ha);
	CHECK(a.action == IOASID_PASID_PROGRAM_NOTHING);
	CHECK(!a.translated);
	CHECK(kernel_has(dev, 100, ha));
	CHECK(!kernel_has(dev, 100, hb));
	CHECK(kernel_has(dev, 101, 0));

	/* The same vPASID again; a fixed PASID other than the vPASID. */
	CHECK_ERR(attach(dev, hb, 100, 0, 0, NULL), -EBUSY);
	CHECK_ERR(attach(dev, hb, 101, IOASID_PASID_FIXED, 102, NULL), -EINVAL);
	CHECK(kernel_has(dev, 100, ha));
	CHECK(kernel_has(dev, 101, 0));
	CHECK(kernel_has(dev, 102, 0));

	/* Width: 20 bits, and PASID 0 is the RID's. */
	CHECK_ERR(attach(dev, ha, top + 1, 0, 0, NULL), -EINVAL);
	CHECK_ERR(attach(dev, ha, 0, 0, 0, NULL), -EINVAL);
	CHECK(attach(dev, hb, top, 0, 0, &a) == 0);
	CHECK(a.ppasid == top);
	CHECK(kernel_has(dev, top, hb));

	/* An IOAS gets an automatic HWPT, made without
	 * IOMMU_HWPT_ALLOC_PASID: the kernel refuses it for a PASID. */
	CHECK_ERR(attach(dev, ioas, 200, 0, 0, NULL), -EINVAL);
	CHECK(kernel_has(dev, 200, 0));

	/* Replace moves the PASID in one step; the kernel agrees. */
	CHECK(replace(dev, hb, 100, &a) == 0);
	CHECK(a.ppasid == 100 && a.hwpt_id == hb);
	CHECK(kernel_has(dev, 100, hb));
	CHECK_ERR(replace(dev, ha, 555, NULL), -EINVAL);
	CHECK(kernel_has(dev, 555, 0));
	CHECK(table_entry(dev, 100, NULL).hwpt_id == hb);

	/* A HWPT with a PASID attached cannot go. */
	CHECK_ERR(ioasid_hwpt_destroy(ctx, hb), -EBUSY);

	CHECK(ioasid_dev_detach_pasid(dev, 100) == 0);
	CHECK(kernel_has(dev, 100, 0));
	CHECK_ERR(ioasid_dev_detach_pasid(dev, 100), -EINVAL);
	CHECK(ioasid_dev_detach_pasid(dev, top) == 0);
	CHECK(kernel_has(dev, top, 0));
	CHECK(ioasid_hwpt_destroy(ctx, ha) == 0);
	CHECK(ioasid_hwpt_destroy(ctx, hb) == 0);
}

/* Classes 4 and 5: global physical PASIDs from the context's allocator,
 * within each device's width; a conflict is EBUSY. */
static void test_class4_5(struct ioasid_dev *d4, struct ioasid_dev *d5,
			  struct ioasid_dev *d3, uint32_t ioas)
{
	uint32_t h4 = pasid_hwpt(d4, ioas), h5 = pasid_hwpt(d5, ioas);
	uint32_t h3 = pasid_hwpt(d3, ioas), h4b = pasid_hwpt(d4, ioas);
	struct ioasid_pasid_attach a, b, c;
	struct ioasid_pasid_entry e;
	uint32_t n = 0;

	vt_say("classes 4 and 5 on %s and %s: hwpts %u, %u", ioasid_dev_name(d4),
	    ioasid_dev_name(d5), h4, h5);
	/* Class 3 holds PASID 1 on its own device: that does not reserve
	 * it for the global allocator. */
	REQUIRE(attach(d3, h3, 1, 0, 0, &a) == 0);
	CHECK(kernel_has(d3, 1, h3));

	/* Class 4: the guest's vPASID 77 gets the lowest free PASID. */
	REQUIRE(attach(d4, h4, 77, 0, 0, &a) == 0);
	vt_say("  class 4: vpasid 77 -> ppasid %u hwpt %u action %d translated %d",
	    a.ppasid, a.hwpt_id, (int)a.action, a.translated);
	CHECK(a.ppasid == 1);
	CHECK(a.hwpt_id == h4);
	CHECK(a.action == IOASID_PASID_PROGRAM_DEVICE);
	CHECK(a.translated);
	CHECK(kernel_has(d4, 1, h4));
	CHECK(kernel_has(d4, 77, 0));
	e = table_entry(d4, 77, &n);
	CHECK(n == 1 && e.ppasid == 1 && e.hwpt_id == h4 && e.pt_id == h4);

	/* Width 8 from the configuration: vPASIDs and fixed PASIDs. */
	CHECK_ERR(attach(d4, h4, 1u << CLASS4_WIDTH, 0, 0, NULL), -EINVAL);
	CHECK_ERR(attach(d4, h4, 78, IOASID_PASID_FIXED, 1u << CLASS4_WIDTH,
			 NULL), -EINVAL);
	CHECK(kernel_has(d4, 1u << CLASS4_WIDTH, 0));
	/* A fixed PASID of the caller's choice, and a taken one. */
	CHECK(attach(d4, h4b, 78, IOASID_PASID_FIXED, 200, &b) == 0);
	CHECK(b.ppasid == 200 && b.hwpt_id == h4b);
	CHECK(kernel_has(d4, 200, h4b));
	CHECK_ERR(attach(d4, h4, 79, IOASID_PASID_FIXED, 200, NULL), -EBUSY);
	CHECK_ERR(attach(d4, h4, 77, 0, 0, NULL), -EBUSY);

	/* Class 5: PASID 1 is taken by the class 4 device, so 2. */
	REQUIRE(attach(d5, h5, 1, 0, 0, &c) == 0);
	vt_say("  class 5: vpasid 1 -> ppasid %u hwpt %u action %d translated %d",
	    c.ppasid, c.hwpt_id, (int)c.action, c.translated);
	CHECK(c.ppasid == 2);
	CHECK(c.action == IOASID_PASID_PROGRAM_CPU);
	CHECK(c.translated);
	CHECK(kernel_has(d5, 2, h5));
	CHECK(kernel_has(d5, 1, 0));
	/* Another device's global PASID is a conflict. */
	CHECK_ERR(attach(d5, h5, 2, IOASID_PASID_FIXED, 1, NULL), -EBUSY);
	CHECK(kernel_has(d5, 1, 0));
	/* Width 2: PASIDs 1-3; 1 and 2 are used, 3 is the last. */
	CHECK(attach(d5, h5, 2, 0, 0, &c) == 0);
	CHECK(c.ppasid == 3);
	CHECK(kernel_has(d5, 3, h5));
	CHECK_ERR(attach(d5, h5, 3, 0, 0, NULL), -ENOSPC);
	CHECK_ERR(attach(d5, h5, 4, 0, 0, NULL), -EINVAL);

	/* Replace keeps the physical PASID; the kernel moves it. */
	CHECK(replace(d4, h4b, 77, &a) == 0);
	CHECK(a.ppasid == 1 && a.hwpt_id == h4b);
	CHECK(kernel_has(d4, 1, h4b));

	/* Detach frees the physical PASID for the allocator. */
	CHECK(ioasid_dev_detach_pasid(d4, 77) == 0);
	CHECK(kernel_has(d4, 1, 0));
	CHECK(kernel_has(d3, 1, h3));
	CHECK(attach(d5, h5, 3, 0, 0, &c) == 0);
	CHECK(c.ppasid == 1);
	CHECK(kernel_has(d5, 1, h5));

	CHECK(ioasid_dev_detach_pasid(d4, 78) == 0);
	for (uint32_t v = 1; v <= 3; v++)
		CHECK(ioasid_dev_detach_pasid(d5, v) == 0);
	CHECK(ioasid_dev_detach_pasid(d3, 1) == 0);
	for (uint32_t p = 1; p <= 3; p++)
		CHECK(kernel_has(d5, p, 0));
	CHECK(kernel_has(d4, 200, 0));
	CHECK(kernel_has(d3, 1, 0));
	n = 16;
	CHECK(ioasid_dev_pasid_table(d5, NULL, &(uint32_t){ 0 }) == 0);
	CHECK(ioasid_hwpt_destroy(ctx, h4) == 0);
	CHECK(ioasid_hwpt_destroy(ctx, h4b) == 0);
	CHECK(ioasid_hwpt_destroy(ctx, h5) == 0);
	CHECK(ioasid_hwpt_destroy(ctx, h3) == 0);
}

/* A PASID attach while the RID is attached: the kernel wants both
 * HWPTs PASID-compatible. */
static void test_rid_and_pasid(struct ioasid_dev *dev, uint32_t ioas)
{
	uint32_t hp = pasid_hwpt(dev, ioas), hwpt = 0;
	struct ioasid_pasid_attach a;

	vt_say("RID and PASID together on %s", ioasid_dev_name(dev));
	CHECK(ioasid_dev_attach(dev, hp, &hwpt) == 0);
	CHECK(hwpt == hp);
	CHECK(attach(dev, hp, 9, 0, 0, &a) == 0);
	CHECK(kernel_has(dev, 9, hp));
	CHECK(ioasid_dev_detach_pasid(dev, 9) == 0);
	/* The RID on the IOAS's automatic HWPT (not PASID-compatible):
	 * the kernel refuses PASID attaches meanwhile. */
	CHECK(ioasid_dev_replace(dev, ioas, &hwpt) == 0);
	CHECK(hwpt != hp);
	CHECK_ERR(attach(dev, hp, 9, 0, 0, NULL), -EINVAL);
	CHECK(kernel_has(dev, 9, 0));
	CHECK(ioasid_dev_detach(dev) == 0);
	CHECK(ioasid_hwpt_destroy(ctx, hp) == 0);
}

/* Class 0: a mock device without the PASID flag. */
static void test_class0_mock(uint32_t ioas)
{
	struct ioasid_dev *dev = open_dev(DEV_NO_PASID, IOASID_CLASS_RID_ONLY,
					  0, IOASID_CLASS_SRC_HARDWARE);
	uint32_t hwpt = 0;

	vt_say("class 0 on %s", DEV_NO_PASID);
	CHECK_ERR(attach(dev, ioas, 5, 0, 0, NULL), -EOPNOTSUPP);
	CHECK_ERR(ioasid_dev_detach_pasid(dev, 5), -EOPNOTSUPP);
	/* Its RID attaches as usual. */
	CHECK(ioasid_dev_attach(dev, ioas, &hwpt) == 0);
	CHECK(hwpt != 0);
	ioasid_dev_close(dev);
}

int main(void)
{
	struct ioasid_dev *d3, *d4, *d5;
	uint32_t ioas = 0;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	write_config();
	/* NULL options: IOASID_CONFIG names the file, as for a VMM an
	 * operator configured; the backend is the kernel's by default. */
	rc = ioasid_ctx_open(NULL, &ctx);
	if (rc == -ENOENT)
		vt_skip("no /dev/iommu: %s", ioasid_errmsg());
	if (rc)
		vt_fail("ioasid_ctx_open: %s", ioasid_errmsg());
	CHECK(strcmp(ioasid_ctx_backend(ctx), "kernel") == 0);
	REQUIRE(ioasid_ioas_alloc(ctx, &ioas) == 0);

	rc = ioasid_dev_open(ctx, DEV_CLASS3, &d3);
	if (rc == 0)
		rc = ioasid_dev_bind(d3, NULL);
	if (rc == -ENOTTY) {
		vt_skip("no mock devices (CONFIG_IOMMUFD_TEST): %s",
			ioasid_errmsg());
	}
	REQUIRE(rc == 0);
	ioasid_dev_close(d3);

	d3 = open_dev(DEV_CLASS3, IOASID_CLASS_PASID_PASSTHROUGH, 20,
		      IOASID_CLASS_SRC_HARDWARE);
	d4 = open_dev(DEV_CLASS4, IOASID_CLASS_PASID_DEV_TRANSLATE,
		      CLASS4_WIDTH, IOASID_CLASS_SRC_CONFIG);
	d5 = open_dev(DEV_CLASS5, IOASID_CLASS_PASID_CPU_TRANSLATE,
		      CLASS5_WIDTH, IOASID_CLASS_SRC_CONFIG);

	test_class3(d3, ioas);
	test_class4_5(d4, d5, d3, ioas);
	test_rid_and_pasid(d3, ioas);
	test_class0_mock(ioas);

	ioasid_dev_close(d3);
	ioasid_dev_close(d4);
	ioasid_dev_close(d5);
	CHECK(ioasid_ioas_destroy(ctx, ioas) == 0);
	ioasid_ctx_close(ctx);
	unlink(CONFIG_PATH);
	if (failures) {
		vt_fail("%d checks failed", failures);
	}
	vt_say("PASS");
	return 0;
}
