// SPDX-License-Identifier: MIT
/*
 * Why the kernel refused, as the kernel backend says it
 * (lib/backend/kernel/explain.c): the simulator's words, from what the
 * backend can read after the failure (IOMMU_IOAS_IOVA_RANGES, sysfs,
 * /proc/self, its record of mappings and objects), then the ioctl and
 * its errno.  ioctl() is replaced (tests/unit/mock_ioctl.h), so every
 * question the backend asks the kernel after a failure is one this test
 * expects and answers; sysfs is a fake tree with a VT-d device whose
 * group has the MSI window.  tests/vm/scripts/differential.sh compares
 * the same words with the simulator's on the real kernel.
 *
 * TEST_LDFLAGS: -Wl,--wrap=ioctl
 *
 * No Linux uAPI header here: request numbers are built with _IO() and
 * fields written at the offsets of the uAPI structs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include <ioasid/ioasid.h>

#include "backend.h"
#include "fake_sysfs.h"
#include "kernel.h"
#include "mock_ioctl.h"

#define IOMMUFD_IO(nr) _IO(';', (nr))
#define REQ_DESTROY IOMMUFD_IO(0x80)
#define REQ_IOAS_ALLOC IOMMUFD_IO(0x81)
#define REQ_ALLOW IOMMUFD_IO(0x82)
#define REQ_COPY IOMMUFD_IO(0x83)
#define REQ_IOVA_RANGES IOMMUFD_IO(0x84)
#define REQ_IOAS_MAP IOMMUFD_IO(0x85)
#define REQ_IOAS_UNMAP IOMMUFD_IO(0x86)
#define REQ_HWPT_ALLOC IOMMUFD_IO(0x89)
#define REQ_DIRTY_BITMAP IOMMUFD_IO(0x8c)
#define REQ_TEST_CMD IOMMUFD_IO(0xa0)
#define REQ_VFIO_BIND _IO(';', 100 + 18)
#define REQ_VFIO_ATTACH _IO(';', 100 + 19)
#define REQ_VFIO_DETACH _IO(';', 100 + 20)

#define BDF "0000:00:04.0"
#define TOP (1ull << 48) /* VT-d MGAW 48 */

struct fixture {
	const struct ioasid_backend_ops *ops;
	void *be;
	int fd;
	void *dev;	  /* the VFIO device BDF, bound as dev 2 */
	uint32_t ioas;	  /* 1 */
};

/* ---- Answers ------------------------------------------------------- */

static void fill_ioas_1(void *arg)
{
	put_u32(arg, 8, 1);
}

static void fill_devid_2(void *arg)
{
	put_u32(arg, 12, 2); /* out_devid */
}

static void fill_hwpt_3(void *arg)
{
	put_u32(arg, 8, 3); /* pt_id out: the automatic HWPT */
}

/* IOMMU_IOAS_IOVA_RANGES asked for its count, then the ranges: the VT-d
 * domain's usable IOVA, the MSI window left out, and (resv_extra) a
 * region no device of the context explains. */
static bool resv_extra;

static const struct ioasid_iova_range vtd_ranges[] = {
	{ 0, 0xfedfffff }, { 0xfef00000, TOP - 1 },
};

static const struct ioasid_iova_range vtd_ranges_extra[] = {
	{ 0, 0x4ffffff }, { 0x6000000, 0xfedfffff }, { 0xfef00000, TOP - 1 },
};

static void fill_count(void *arg)
{
	put_u32(arg, 8, resv_extra ? 3 : 2);
}

static void fill_ranges(void *arg)
{
	const struct ioasid_iova_range *v = resv_extra ? vtd_ranges_extra : vtd_ranges;
	uint32_t n = resv_extra ? 3 : 2;

	assert_int_equal(get_u32(arg, 8), n);
	memcpy((void *)(uintptr_t)get_u64(arg, 16), v, n * sizeof(*v));
	put_u64(arg, 24, 0x1000); /* out_iova_alignment */
}

static void expect_ranges(void)
{
	expect_ioctl(REQ_IOVA_RANGES, EMSGSIZE, fill_count);
	expect_ioctl(REQ_IOVA_RANGES, 0, fill_ranges);
}

static void fill_map_at_0x100000(void *arg)
{
	assert_int_equal(get_u64(arg, 32), 0x100000);
}

/* ---- Fixture: a VT-d device in group 7, with the MSI window --------- */

static void fake_vtd_device(void)
{
	const char *dir = "devices/pci0000:00/" BDF;
	struct stat st;
	char devt[32];

	fake_sysfs_create("ioasid-kx");
	fake_mkdir("bus/pci/devices");
	fake_mkdir("bus/pci/drivers/vfio-pci");
	fake_mkdir("devices/virtual/iommu/dmar0");
	fake_mkdir("class/iommu/dmar0/intel-iommu");
	/* MGAW 48 (bits 21:16 hold 47), no large pages. */
	fake_put("class/iommu/dmar0/intel-iommu/cap", "2f0000\n");
	fake_mkdir("kernel/iommu_groups/7/devices");
	fake_put("kernel/iommu_groups/7/reserved_regions",
		 "0x00000000fee00000 0x00000000feefffff msi\n");
	fake_mkdir(dir);
	fake_put("devices/pci0000:00/" BDF "/vendor", "0x1234\n");
	fake_put("devices/pci0000:00/" BDF "/device", "0x11e8\n");
	fake_link("../../../devices/pci0000:00/" BDF, "bus/pci/devices/" BDF);
	fake_link("../../../bus/pci/drivers/vfio-pci", "devices/pci0000:00/" BDF "/driver");
	fake_link("../../../kernel/iommu_groups/7", "devices/pci0000:00/" BDF "/iommu_group");
	fake_link("../../../../devices/pci0000:00/" BDF, "kernel/iommu_groups/7/devices/" BDF);
	fake_link("../../virtual/iommu/dmar0", "devices/pci0000:00/" BDF "/iommu");
	/* The cdev is /dev/null, as sysfs says here. */
	assert_int_equal(stat("/dev/null", &st), 0);
	snprintf(devt, sizeof(devt), "%u:%u\n", major(st.st_rdev), minor(st.st_rdev));
	fake_mkdir("class/vfio-dev/null");
	fake_put("class/vfio-dev/null/dev", devt);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	resv_extra = false;
	fake_vtd_device();
	f->fd = open("/dev/null", O_RDWR);
	assert_true(f->fd >= 0);
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(ioasid_kernel_open(NULL, f->fd, false, &f->ops, &f->be), 0);
	*state = f;
	return 0;
}

/* ... plus the device opened, bound, and attached to IOAS 1 (HWPT 3). */
static int setup_attached(void **state)
{
	struct fixture *f;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	uint32_t dev_id, hwpt;

	setup(state);
	f = *state;
	snprintf(info.name, sizeof(info.name), BDF);
	snprintf(info.cdev, sizeof(info.cdev), "/dev/null");
	snprintf(info.driver, sizeof(info.driver), "vfio-pci");
	info.kind = IOASID_DEV_PCI;
	assert_int_equal(f->ops->dev_open(f->be, &info, &f->dev), 0);
	expect_ioctl(REQ_VFIO_BIND, 0, fill_devid_2);
	assert_int_equal(f->ops->dev_bind(f->be, f->dev, &dev_id), 0);
	expect_ioctl(REQ_IOAS_ALLOC, 0, fill_ioas_1);
	assert_int_equal(f->ops->ioas_alloc(f->be, &f->ioas), 0);
	expect_ioctl(REQ_VFIO_ATTACH, 0, fill_hwpt_3);
	assert_int_equal(f->ops->dev_attach(f->be, f->dev, f->ioas, &hwpt), 0);
	assert_int_equal(hwpt, 3);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->dev)
		f->ops->dev_close(f->be, f->dev);
	f->ops->close(f->be);
	close(f->fd);
	fake_sysfs_remove();
	free(f);
	return 0;
}

/* IOMMU_IOAS_MAP refused with @err; with @ranges the backend then asks
 * for the IOAS's ranges. */
static int map_q(struct fixture *f, uint64_t iova, uint64_t length, int err,
		 bool ranges)
{
	static char buf[0x4000] __attribute__((aligned(0x1000)));

	expect_ioctl(REQ_IOAS_MAP, err, NULL);
	if (ranges)
		expect_ranges();
	return f->ops->ioas_map(f->be, f->ioas, IOASID_MAP_READ | IOASID_MAP_WRITE,
				(uintptr_t)buf, length, &iova);
}

static int map(struct fixture *f, uint64_t iova, uint64_t length, int err)
{
	return map_q(f, iova, length, err, false);
}

/* ---- Reserved regions, apertures, the record of mappings ------------ */

static void map_reserved(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(map_q(f, 0xfee00000, 0x1000, EINVAL, true), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "iova 0xfee00000+0x1000 overlaps reserved region 0xfee00000-0xfeefffff (msi) of device " BDF " (IOMMU_IOAS_MAP: EINVAL)");
	assert_int_equal(map_q(f, 0xfedff000, 0x2000, EINVAL, true), -EINVAL);
	assert_msg_has("overlaps reserved region 0xfee00000-0xfeefffff (msi) of device " BDF);
	/* Above the 48-bit aperture: the HWPT's. */
	assert_int_equal(map_q(f, TOP, 0x1000, EINVAL, true), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "iova 0x1000000000000+0x1000 overlaps reserved region 0x1000000000000-0xffffffffffffffff (reserved) of the aperture of hwpt 3 (IOMMU_IOAS_MAP: EINVAL)");
	/* Reserved IOVA that no device or HWPT of the context explains
	 * (IOMMU_TEST_OP_ADD_RESERVED, another process). */
	resv_extra = true;
	assert_int_equal(map_q(f, 0x5000000, 0x1000, EINVAL, true), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "iova 0x5000000+0x1000 overlaps reserved IOVA 0x5000000-0x5ffffff of ioas 1, which no device or hwpt of this context reserved (IOMMU_IOAS_MAP: EINVAL)");
	/* The alignment from IOVA_RANGES: the length first, then the IOVA. */
	resv_extra = false;
	assert_int_equal(map_q(f, 0x200000, 0x800, EINVAL, true), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "length 0x800 is not a multiple of the IOVA alignment 0x1000 of ioas 1 (IOMMU_IOAS_MAP: EINVAL)");
	assert_int_equal(map_q(f, 0x200800, 0x1000, EINVAL, true), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "iova 0x200800 is not aligned to the IOVA alignment 0x1000 of ioas 1 (IOMMU_IOAS_MAP: EINVAL)");
	/* Length 0 needs no question. */
	assert_int_equal(map(f, 0x200000, 0, EINVAL), -EINVAL);
	assert_string_equal(ioasid_errmsg(), "bad length 0 (IOMMU_IOAS_MAP: EINVAL)");
	/* Nothing the backend sees explains it: the plain message. */
	assert_int_equal(map_q(f, 0x200000, 0x1000, EINVAL, true), -EINVAL);
	assert_msg_has("IOMMU_IOAS_MAP ioas 1 iova 0x200000 length 0x1000 va ");
	assert_msg_has(": Invalid argument");
}

static void map_over_mapping_and_unmap(void **state)
{
	struct fixture *f = *state;

	expect_ioctl(REQ_IOAS_MAP, 0, fill_map_at_0x100000);
	{
		uint64_t iova = 0x100000;
		static char buf[0x2000] __attribute__((aligned(0x1000)));

		assert_int_equal(f->ops->ioas_map(f->be, f->ioas, IOASID_MAP_READ,
						  (uintptr_t)buf, 0x2000, &iova), 0);
	}
	/* EEXIST and ENOENT from the record alone: no question asked. */
	assert_int_equal(map(f, 0x101000, 0x1000, EEXIST), -EEXIST);
	assert_string_equal(ioasid_errmsg(),
			    "iova 0x101000+0x1000 overlaps mapping 0x100000-0x101fff of ioas 1 (IOMMU_IOAS_MAP: EEXIST)");
	expect_ioctl(REQ_IOAS_UNMAP, ENOENT, NULL);
	assert_int_equal(f->ops->ioas_unmap(f->be, f->ioas, 0x100000, 0x1000, NULL), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "unmap range 0x100000-0x100fff would split mapping 0x100000-0x101fff of ioas 1 (IOMMU_IOAS_UNMAP: ENOENT)");
	expect_ioctl(REQ_IOAS_UNMAP, ENOENT, NULL);
	assert_int_equal(f->ops->ioas_unmap(f->be, f->ioas, 0x300000, 0x1000, NULL), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "nothing is mapped in 0x300000+0x1000 of ioas 1 (IOMMU_IOAS_UNMAP: ENOENT)");
	/* A read-only mapping cannot be the source of a writable copy. */
	{
		uint64_t dst = 0x400000;

		expect_ioctl(REQ_COPY, EPERM, NULL);
		assert_int_equal(f->ops->ioas_copy(f->be, f->ioas, f->ioas,
						   IOASID_MAP_READ | IOASID_MAP_WRITE,
						   0x1000, &dst, 0x100000),
				 -EPERM);
		assert_string_equal(ioasid_errmsg(),
				    "source of iova 0x400000 is not writable (IOMMU_IOAS_COPY: EPERM)");
		expect_ioctl(REQ_COPY, ENOENT, NULL);
		assert_int_equal(f->ops->ioas_copy(f->be, f->ioas, f->ioas, IOASID_MAP_READ,
						   0x3000, &dst, 0x100000),
				 -ENOENT);
		assert_string_equal(ioasid_errmsg(),
				    "0x100000-0x102fff of ioas 1 is not fully mapped (IOMMU_IOAS_COPY: ENOENT)");
	}
	/* All of it unmapped: the record is empty again. */
	expect_ioctl(REQ_IOAS_UNMAP, 0, NULL);
	assert_int_equal(f->ops->ioas_unmap(f->be, f->ioas, 0, UINT64_MAX, NULL), 0);
	expect_ioctl(REQ_IOAS_UNMAP, ENOENT, NULL);
	assert_int_equal(f->ops->ioas_unmap(f->be, f->ioas, 0x100000, 0x2000, NULL), -ENOENT);
	assert_msg_has("nothing is mapped in 0x100000+0x2000 of ioas 1");
}

static void allow_and_attach(void **state)
{
	struct fixture *f = *state;
	const struct ioasid_iova_range msi = { 0xfe000000, 0xfeffffff };
	const struct ioasid_iova_range bad[] = { { 0x1000, 0x1fff }, { 0x1800, 0x2fff } };
	uint64_t iova = 0xfee00000;
	static char buf[0x1000] __attribute__((aligned(0x1000)));
	uint32_t hwpt;

	expect_ioctl(REQ_ALLOW, EINVAL, NULL);
	assert_int_equal(f->ops->ioas_allow_iovas(f->be, f->ioas, bad, 2), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "allowed range 1 (0x1800-0x2fff) overlaps another one (IOMMU_IOAS_ALLOW_IOVAS: EINVAL)");
	expect_ioctl(REQ_ALLOW, EADDRINUSE, NULL);
	expect_ranges();
	assert_int_equal(f->ops->ioas_allow_iovas(f->be, f->ioas, &msi, 1), -EADDRINUSE);
	assert_string_equal(ioasid_errmsg(),
			    "allowed range 0xfe000000-0xfeffffff overlaps reserved region 0xfee00000-0xfeefffff (msi) of device " BDF " (IOMMU_IOAS_ALLOW_IOVAS: EADDRINUSE)");

	/* Busy: what holds the IOAS and the HWPT.  The type check first. */
	expect_ioctl(REQ_IOVA_RANGES, EMSGSIZE, NULL);
	expect_ioctl(REQ_DESTROY, EBUSY, NULL);
	assert_int_equal(f->ops->destroy(f->be, f->ioas, IOASID_OBJ_IOAS), -EBUSY);
	assert_string_equal(ioasid_errmsg(), "ioas 1 is in use by hwpt 3 (IOMMU_DESTROY: EBUSY)");
	expect_ioctl(REQ_DIRTY_BITMAP, EINVAL, NULL);
	expect_ioctl(REQ_DESTROY, EBUSY, NULL);
	assert_int_equal(f->ops->destroy(f->be, 3, IOASID_OBJ_HWPT), -EBUSY);
	assert_string_equal(ioasid_errmsg(),
			    "hwpt 3 is in use by device " BDF " (IOMMU_DESTROY: EBUSY)");
	/* Detached, the IOAS takes a mapping in the MSI window; attaching
	 * again is refused by it. */
	expect_ioctl(REQ_VFIO_DETACH, 0, NULL);
	assert_int_equal(f->ops->dev_detach(f->be, f->dev), 0);
	expect_ioctl(REQ_IOAS_MAP, 0, NULL);
	assert_int_equal(f->ops->ioas_map(f->be, f->ioas, IOASID_MAP_READ, (uintptr_t)buf,
					  0x1000, &iova),
			 0);
	expect_ioctl(REQ_VFIO_ATTACH, EADDRINUSE, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, f->dev, f->ioas, &hwpt), -EADDRINUSE);
	assert_string_equal(ioasid_errmsg(),
			    "reserved region 0xfee00000-0xfeefffff (msi) of device " BDF " overlaps mapping 0xfee00000-0xfee00fff of ioas 1 (VFIO_DEVICE_ATTACH_IOMMUFD_PT: EADDRINUSE)");
	/* Or by an allowed range. */
	expect_ioctl(REQ_IOAS_UNMAP, 0, NULL);
	assert_int_equal(f->ops->ioas_unmap(f->be, f->ioas, 0, UINT64_MAX, NULL), 0);
	expect_ioctl(REQ_ALLOW, 0, NULL);
	assert_int_equal(f->ops->ioas_allow_iovas(f->be, f->ioas, &msi, 1), 0);
	expect_ioctl(REQ_VFIO_ATTACH, EADDRINUSE, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, f->dev, f->ioas, &hwpt), -EADDRINUSE);
	assert_string_equal(ioasid_errmsg(),
			    "reserved region 0xfee00000-0xfeefffff (msi) of device " BDF " overlaps allowed range 0xfe000000-0xfeffffff of ioas 1 (VFIO_DEVICE_ATTACH_IOMMUFD_PT: EADDRINUSE)");
}

/* ---- Objects by id --------------------------------------------------- */

static void ids(void **state)
{
	struct fixture *f = *state;
	uint32_t hwpt;

	/* The device's id is not an IOAS, nor a HWPT. */
	f->ioas = 2;
	assert_int_equal(map(f, 0x100000, 0x1000, ENOENT), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "2 is a device, not an ioas (IOMMU_IOAS_MAP: ENOENT)");
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(f->ops->destroy(f->be, 2, IOASID_OBJ_IOAS), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "2 is a device, not an ioas (IOMMU_IOAS_IOVA_RANGES: ENOENT)");
	expect_ioctl(REQ_DIRTY_BITMAP, ENOENT, NULL);
	assert_int_equal(f->ops->destroy(f->be, 1, IOASID_OBJ_HWPT), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "1 is an ioas, not a hwpt (IOMMU_HWPT_GET_DIRTY_BITMAP: ENOENT)");
	expect_ioctl(REQ_VFIO_ATTACH, EINVAL, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, f->dev, 2, &hwpt), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "2 is a device, not an ioas or hwpt (VFIO_DEVICE_ATTACH_IOMMUFD_PT: EINVAL)");
	expect_ioctl(REQ_VFIO_ATTACH, ENOENT, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, f->dev, 99, &hwpt), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "ioas or hwpt 99 does not exist (VFIO_DEVICE_ATTACH_IOMMUFD_PT: ENOENT)");
	/* HWPT alloc: a pt that is no IOAS (asked), a device that is not
	 * this context's. */
	expect_ioctl(REQ_HWPT_ALLOC, EINVAL, NULL);
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(f->ops->hwpt_alloc(f->be, 2, 99, 0, &hwpt), -EINVAL);
	assert_string_equal(ioasid_errmsg(), "ioas 99 does not exist (IOMMU_HWPT_ALLOC: EINVAL)");
	expect_ioctl(REQ_HWPT_ALLOC, ENOENT, NULL);
	assert_int_equal(f->ops->hwpt_alloc(f->be, 9, 1, 0, &hwpt), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "device id 9 does not exist (IOMMU_HWPT_ALLOC: ENOENT)");
	/* An IOAS the record does not know (made before the context, or by
	 * another process): unmap's ENOENT asks whether it exists; it does,
	 * and with no record the backend says no more than the kernel. */
	expect_ioctl(REQ_IOAS_UNMAP, ENOENT, NULL);
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(f->ops->ioas_unmap(f->be, 7, 0x1000, 0x1000, NULL), -ENOENT);
	assert_string_equal(ioasid_errmsg(), "ioas 7 does not exist (IOMMU_IOAS_UNMAP: ENOENT)");
	expect_ioctl(REQ_IOAS_UNMAP, ENOENT, NULL);
	expect_ranges();
	assert_int_equal(f->ops->ioas_unmap(f->be, 7, 0x1000, 0x1000, NULL), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "IOMMU_IOAS_UNMAP ioas 7 iova 0x1000 length 0x1000: No such file or directory");
}

/* ---- The kernel contradicts the record ------------------------------- */

/* Some of the kernel's failed allocations come back as ENOENT, EFAULT or
 * EINVAL (tests/vm/lib/fail_nth.c finds them): the backend asks, and a
 * message never calls an object the kernel still answers for missing. */
#define INSIDE ": a failure inside the kernel (an allocation, or a fault injection)"

static void contradictions(void **state)
{
	struct fixture *f = *state;
	const struct ioasid_iova_range ok = { 0x100000, 0x1fffff };
	uint32_t hwpt;

	/* Map: IOAS 1 is the record's, and IOVA_RANGES answers for it. */
	assert_int_equal(map_q(f, 0x100000, 0x1000, ENOENT, true), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "the kernel refused IOMMU_IOAS_MAP with ENOENT although ioas 1 exists in this context" INSIDE " (IOMMU_IOAS_MAP: ENOENT)");
	assert_msg_lacks("does not exist");
	/* ... it does not answer either (destroyed behind the record's
	 * back): missing it is. */
	expect_ioctl(REQ_IOAS_MAP, ENOENT, NULL);
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	{
		static char buf[0x1000] __attribute__((aligned(0x1000)));
		uint64_t iova = 0x100000;

		assert_int_equal(f->ops->ioas_map(f->be, 1, IOASID_MAP_READ, (uintptr_t)buf,
						  0x1000, &iova),
				 -ENOENT);
		assert_string_equal(ioasid_errmsg(),
				    "ioas 1 does not exist (IOMMU_IOAS_MAP: ENOENT)");
		/* ... or cannot tell: the plain message, no explanation. */
		expect_ioctl(REQ_IOAS_MAP, ENOENT, NULL);
		expect_ioctl(REQ_IOVA_RANGES, ENOMEM, NULL);
		assert_int_equal(f->ops->ioas_map(f->be, 1, IOASID_MAP_READ, (uintptr_t)buf,
						  0x1000, &iova),
				 -ENOENT);
		assert_msg_has("IOMMU_IOAS_MAP ioas 1 iova 0x100000 length 0x1000 va ");
		assert_msg_has(": No such file or directory");
		assert_msg_lacks("does not exist");
	}
	/* Allow: the same. */
	expect_ioctl(REQ_ALLOW, ENOENT, NULL);
	expect_ranges();
	assert_int_equal(f->ops->ioas_allow_iovas(f->be, 1, &ok, 1), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "the kernel refused IOMMU_IOAS_ALLOW_IOVAS with ENOENT although ioas 1 exists in this context" INSIDE " (IOMMU_IOAS_ALLOW_IOVAS: ENOENT)");
	/* IOVA_RANGES itself: asked again, it answers. */
	{
		uint32_t num = 0;
		uint64_t align;

		expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
		expect_ranges();
		assert_int_equal(f->ops->ioas_iova_ranges(f->be, 1, NULL, &num, &align),
				 -ENOENT);
		assert_string_equal(ioasid_errmsg(),
				    "the kernel refused IOMMU_IOAS_IOVA_RANGES with ENOENT although ioas 1 exists in this context" INSIDE " (IOMMU_IOAS_IOVA_RANGES: ENOENT)");
	}
	/* Attach to the IOAS (asked) and to the HWPT (the record's). */
	expect_ioctl(REQ_VFIO_ATTACH, ENOENT, NULL);
	expect_ranges();
	assert_int_equal(f->ops->dev_attach(f->be, f->dev, 1, &hwpt), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "the kernel refused VFIO_DEVICE_ATTACH_IOMMUFD_PT with ENOENT although ioas 1 exists in this context" INSIDE " (VFIO_DEVICE_ATTACH_IOMMUFD_PT: ENOENT)");
	expect_ioctl(REQ_VFIO_ATTACH, ENOENT, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, f->dev, 3, &hwpt), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "the kernel refused VFIO_DEVICE_ATTACH_IOMMUFD_PT with ENOENT although hwpt 3 exists in this context" INSIDE " (VFIO_DEVICE_ATTACH_IOMMUFD_PT: ENOENT)");
	/* EFAULT: an attach reads and writes nothing but its command. */
	expect_ioctl(REQ_VFIO_ATTACH, EFAULT, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, f->dev, 1, &hwpt), -EFAULT);
	assert_string_equal(ioasid_errmsg(),
			    "the kernel refused VFIO_DEVICE_ATTACH_IOMMUFD_PT with EFAULT although the only memory it reads or writes is the library's own command" INSIDE " (VFIO_DEVICE_ATTACH_IOMMUFD_PT: EFAULT)");
	/* EINVAL from a VFIO device has reasons of its own: plain. */
	expect_ioctl(REQ_VFIO_ATTACH, EINVAL, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, f->dev, 1, &hwpt), -EINVAL);
	assert_msg_has("VFIO_DEVICE_ATTACH_IOMMUFD_PT ");
	assert_msg_has(": Invalid argument");
	assert_msg_lacks("although");
	/* Copy of a range the record has mapped in full, both IOASes
	 * answering: the kernel has no ENOENT of its own left. */
	{
		static char buf[0x2000] __attribute__((aligned(0x1000)));
		uint64_t iova = 0x100000, dst = 0x400000;

		expect_ioctl(REQ_IOAS_MAP, 0, NULL);
		assert_int_equal(f->ops->ioas_map(f->be, 1, IOASID_MAP_READ, (uintptr_t)buf,
						  0x2000, &iova),
				 0);
		expect_ioctl(REQ_COPY, ENOENT, NULL);
		expect_ranges();
		expect_ranges();
		assert_int_equal(f->ops->ioas_copy(f->be, 1, 1, IOASID_MAP_READ, 0x2000, &dst,
						   0x100000),
				 -ENOENT);
		assert_string_equal(ioasid_errmsg(),
				    "the kernel refused IOMMU_IOAS_COPY with ENOENT although ioas 1 and ioas 1 exist in this context and 0x100000-0x101fff of ioas 1 is mapped" INSIDE " (IOMMU_IOAS_COPY: ENOENT)");
		/* A hole in the record is still the explanation. */
		expect_ioctl(REQ_COPY, ENOENT, NULL);
		assert_int_equal(f->ops->ioas_copy(f->be, 1, 1, IOASID_MAP_READ, 0x3000, &dst,
						   0x100000),
				 -ENOENT);
		assert_string_equal(ioasid_errmsg(),
				    "0x100000-0x102fff of ioas 1 is not fully mapped (IOMMU_IOAS_COPY: ENOENT)");
		/* Unmap of whole mappings the record has, the IOAS answering:
		 * the kernel failed inside (and may still map them). */
		expect_ioctl(REQ_IOAS_UNMAP, ENOENT, NULL);
		expect_ranges();
		assert_int_equal(f->ops->ioas_unmap(f->be, 1, 0x100000, 0x2000, NULL), -ENOENT);
		assert_string_equal(ioasid_errmsg(),
				    "the kernel refused IOMMU_IOAS_UNMAP with ENOENT although this context mapped 0x100000-0x101fff of ioas 1 in whole mappings" INSIDE " (IOMMU_IOAS_UNMAP: ENOENT)");
		/* The record no longer claims to be complete: the next one
		 * is the kernel's word alone. */
		expect_ioctl(REQ_IOAS_UNMAP, ENOENT, NULL);
		assert_int_equal(f->ops->ioas_unmap(f->be, 1, 0x600000, 0x1000, NULL), -ENOENT);
		assert_msg_has("IOMMU_IOAS_UNMAP ioas 1 iova 0x600000 length 0x1000");
		assert_msg_lacks("nothing is mapped");
	}
}

/* ---- Memory: not mapped, read-only, the pinning limit ---------------- */

static void memory(void **state)
{
	struct fixture *f = *state;
	long page = sysconf(_SC_PAGESIZE);
	char *gone = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t iova = 0x100000;
	char want[160];

	assert_true(gone != MAP_FAILED && ro != MAP_FAILED);
	assert_int_equal(munmap(gone, page), 0);
	expect_ioctl(REQ_IOAS_MAP, EFAULT, NULL);
	assert_int_equal(f->ops->ioas_map(f->be, 1, IOASID_MAP_READ, (uintptr_t)gone,
					  page, &iova),
			 -EFAULT);
	snprintf(want, sizeof(want), "va %p+%#lx is not mapped memory (IOMMU_IOAS_MAP: EFAULT)",
		 (void *)gone, page);
	assert_string_equal(ioasid_errmsg(), want);
	expect_ioctl(REQ_IOAS_MAP, EFAULT, NULL);
	assert_int_equal(f->ops->ioas_map(f->be, 1, IOASID_MAP_READ | IOASID_MAP_WRITE,
					  (uintptr_t)ro, page, &iova),
			 -EFAULT);
	assert_msg_has("is read-only memory: a writable mapping cannot pin it");
	assert_msg_has("(IOMMU_IOAS_MAP: EFAULT)");
	/* Readable, mapped, read-only asked: the kernel's reason is its
	 * own (a PCI BAR, VM_PFNMAP); the plain message. */
	expect_ioctl(REQ_IOAS_MAP, EFAULT, NULL);
	assert_int_equal(f->ops->ioas_map(f->be, 1, IOASID_MAP_READ, (uintptr_t)ro, page,
					  &iova),
			 -EFAULT);
	assert_msg_has("IOMMU_IOAS_MAP ioas 1 iova 0x100000");
	assert_msg_has("Bad address");
	munmap(ro, page);
}

static void pin_limit(void **state)
{
	struct fixture *f = *state;
	struct rlimit old, lim;

	assert_int_equal(getrlimit(RLIMIT_MEMLOCK, &old), 0);
	lim = old;
	lim.rlim_cur = 64 * 1024;
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < lim.rlim_cur)
		lim.rlim_cur = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &lim), 0);
	assert_int_equal(map(f, 0x100000, 0x4000, ENOMEM), -ENOMEM);
	assert_msg_has("pinning va 0x");
	assert_msg_has("+0x4000 (16 KiB)");
	if (strstr(ioasid_errmsg(), "exceeds")) {
		char want[64];

		snprintf(want, sizeof(want), "RLIMIT_MEMLOCK of %llu KiB",
			 (unsigned long long)lim.rlim_cur / 1024);
		assert_msg_has(want);
		assert_msg_has("this process pins");
		assert_msg_has("ulimit -l");
		assert_msg_has("IOMMU_OPTION_RLIMIT_MODE 1");
	} else {
		/* CAP_IPC_LOCK: the limit does not apply. */
		assert_msg_has("out of memory (RLIMIT_MEMLOCK does not limit this process");
	}
	assert_msg_has("(IOMMU_IOAS_MAP: ENOMEM)");
	assert_int_equal(setrlimit(RLIMIT_MEMLOCK, &old), 0);
}

/* ---- A mock device: the kinds of the selftest's objects -------------- */

static void fill_mock_ioas_2(void *arg)
{
	put_u32(arg, 8, 2);
}

static void fill_mock_domain(void *arg)
{
	assert_int_equal(get_u32(arg, 8), 2); /* the private IOAS */
	put_u32(arg, 16, 3);		      /* stdev */
	put_u32(arg, 20, 5);		      /* hwpt */
	put_u32(arg, 24, 4);		      /* idev */
}

static void mock_kinds(void **state)
{
	struct fixture *f = *state;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	void *mock = NULL;
	uint32_t dev_id, hwpt;

	assert_int_equal(f->ops->dev_info_get(f->be, "mock0", &info), 0);
	assert_int_equal(f->ops->dev_open(f->be, &info, &mock), 0);
	expect_ioctl(REQ_IOAS_ALLOC, 0, fill_mock_ioas_2);
	expect_ioctl(REQ_TEST_CMD, 0, fill_mock_domain);
	assert_int_equal(f->ops->dev_bind(f->be, mock, &dev_id), 0);
	assert_int_equal(dev_id, 4);

	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(f->ops->destroy(f->be, 3, IOASID_OBJ_IOAS), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "3 is a selftest object, not an ioas (IOMMU_IOAS_IOVA_RANGES: ENOENT)");
	expect_ioctl(REQ_TEST_CMD, EINVAL, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, mock, 3, &hwpt), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "3 is a selftest object, not an ioas or hwpt (IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: EINVAL)");
	/* What holds the private IOAS and the HWPT the mock rests on. */
	expect_ioctl(REQ_IOVA_RANGES, EMSGSIZE, NULL);
	expect_ioctl(REQ_DESTROY, EBUSY, NULL);
	assert_int_equal(f->ops->destroy(f->be, 2, IOASID_OBJ_IOAS), -EBUSY);
	assert_string_equal(ioasid_errmsg(), "ioas 2 is in use by hwpt 5 (IOMMU_DESTROY: EBUSY)");
	expect_ioctl(REQ_DIRTY_BITMAP, EINVAL, NULL);
	expect_ioctl(REQ_DESTROY, EBUSY, NULL);
	assert_int_equal(f->ops->destroy(f->be, 5, IOASID_OBJ_HWPT), -EBUSY);
	assert_string_equal(ioasid_errmsg(),
			    "hwpt 5 is in use by device mock0 (IOMMU_DESTROY: EBUSY)");
	/* Close: the mock, then the private IOAS. */
	expect_ioctl(REQ_DESTROY, 0, NULL);
	expect_ioctl(REQ_DESTROY, 0, NULL);
	f->ops->dev_close(f->be, mock);
	/* Gone from the record with it. */
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(f->ops->destroy(f->be, 3, IOASID_OBJ_IOAS), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "ioas 3 does not exist (IOMMU_IOAS_IOVA_RANGES: ENOENT)");
}

/* The mock's domain replace: what tests/vm/lib/fail_nth.c saw. */
static void fill_ioas_6(void *arg)
{
	put_u32(arg, 8, 6);
}

static void mock_contradictions(void **state)
{
	struct fixture *f = *state;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	void *mock = NULL;
	uint32_t dev_id, ioas, hwpt;

	assert_int_equal(f->ops->dev_info_get(f->be, "mock0", &info), 0);
	assert_int_equal(f->ops->dev_open(f->be, &info, &mock), 0);
	expect_ioctl(REQ_IOAS_ALLOC, 0, fill_mock_ioas_2);
	expect_ioctl(REQ_TEST_CMD, 0, fill_mock_domain);
	assert_int_equal(f->ops->dev_bind(f->be, mock, &dev_id), 0);
	expect_ioctl(REQ_IOAS_ALLOC, 0, fill_ioas_6);
	assert_int_equal(f->ops->ioas_alloc(f->be, &ioas), 0);
	assert_int_equal(ioas, 6);

	expect_ioctl(REQ_TEST_CMD, ENOENT, NULL);
	expect_ranges();
	assert_int_equal(f->ops->dev_attach(f->be, mock, 6, &hwpt), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "the kernel refused IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE with ENOENT although ioas 6 exists in this context" INSIDE " (IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: ENOENT)");
	expect_ioctl(REQ_TEST_CMD, EFAULT, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, mock, 6, &hwpt), -EFAULT);
	assert_string_equal(ioasid_errmsg(),
			    "the kernel refused IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE with EFAULT although the only memory it reads or writes is the library's own command" INSIDE " (IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: EFAULT)");
	expect_ioctl(REQ_TEST_CMD, EINVAL, NULL);
	expect_ranges();
	assert_int_equal(f->ops->dev_attach(f->be, mock, 6, &hwpt), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "the kernel refused IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE with EINVAL although ioas 6 exists in this context and mock device mock0, without flags, can join any IOAS" INSIDE " (IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: EINVAL)");
	/* An IOAS that is gone after all: the kernel's words stand. */
	expect_ioctl(REQ_TEST_CMD, ENOENT, NULL);
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, mock, 6, &hwpt), -ENOENT);
	assert_string_equal(ioasid_errmsg(),
			    "ioas or hwpt 6 does not exist (IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: ENOENT)");
	expect_ioctl(REQ_TEST_CMD, EINVAL, NULL);
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, mock, 6, &hwpt), -EINVAL);
	assert_msg_has("IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE mock 3 pt 6");
	assert_msg_lacks("although");
	expect_ioctl(REQ_DESTROY, 0, NULL);
	expect_ioctl(REQ_DESTROY, 0, NULL);
	f->ops->dev_close(f->be, mock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(map_reserved, setup_attached, teardown),
		cmocka_unit_test_setup_teardown(map_over_mapping_and_unmap, setup_attached,
						teardown),
		cmocka_unit_test_setup_teardown(allow_and_attach, setup_attached, teardown),
		cmocka_unit_test_setup_teardown(ids, setup_attached, teardown),
		cmocka_unit_test_setup_teardown(contradictions, setup_attached, teardown),
		cmocka_unit_test_setup_teardown(memory, setup, teardown),
		cmocka_unit_test_setup_teardown(pin_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(mock_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(mock_contradictions, setup, teardown),
	};

	return cmocka_run_group_tests_name("kernel_explain", tests, NULL, NULL);
}
