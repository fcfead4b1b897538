// SPDX-License-Identifier: MIT
/*
 * The kernel backend with ioctl() replaced: every ioctl the backend makes
 * must be one the test expects, in order, and its answer (an errno, or
 * output fields) comes from the test.  Checks the ioctl sequence of each
 * op and the translation of errnos into messages.
 *
 * TEST_LDFLAGS: -Wl,--wrap=ioctl
 *
 * No Linux uAPI header here (only lib/backend/kernel/ includes them):
 * request numbers are built with _IO() and output fields written at the
 * offsets of the uAPI structs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
#define REQ_IOVA_RANGES IOMMUFD_IO(0x84)
#define REQ_IOAS_MAP IOMMUFD_IO(0x85)
#define REQ_OPTION IOMMUFD_IO(0x87)
#define REQ_HWPT_ALLOC IOMMUFD_IO(0x89)
#define REQ_DIRTY_BITMAP IOMMUFD_IO(0x8c)
#define REQ_MAP_FILE IOMMUFD_IO(0x8f)
#define REQ_TEST_CMD IOMMUFD_IO(0xa0)
#define REQ_VFIO_BIND _IO(';', 100 + 18)
#define REQ_VFIO_ATTACH _IO(';', 100 + 19)

/* uAPI flag bits used below. */
#define HWPT_ALLOC_DIRTY_TRACKING (1u << 1)
#define HWPT_ALLOC_PASID (1u << 3)

struct fixture {
	const struct ioasid_backend_ops *ops;
	void *be;
	int fd;
	bool fake_sysfs; /* fake_vfio_sysfs() made one */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->fd = open("/dev/null", O_RDWR);
	assert_true(f->fd >= 0);
	/* Adopting checks the fd with a query of IOAS 0. */
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(ioasid_kernel_open(NULL, f->fd, false, &f->ops, &f->be), 0);
	assert_true(ioasid_kernel_backend_is(f->ops));
	assert_int_equal(f->ops->ctx_fd(f->be), f->fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->ops->close(f->be);
	/* own_fd was false: the fd is still open. */
	assert_int_equal(fcntl(f->fd, F_GETFD), FD_CLOEXEC & 0);
	close(f->fd);
	if (f->fake_sysfs)
		fake_sysfs_remove();
	free(f);
	return 0;
}

static void adopt_rejects_other_fds(void **state)
{
	const struct ioasid_backend_ops *ops;
	void *be;

	(void)state;
	expect_ioctl(REQ_IOVA_RANGES, ENOTTY, NULL);
	assert_int_equal(ioasid_kernel_open(NULL, 0, false, &ops, &be), -ENOTTY);
	assert_msg_has("fd 0 is not an iommufd");
	expect_ioctl(REQ_IOVA_RANGES, EBADF, NULL);
	assert_int_equal(ioasid_kernel_open(NULL, 1000, false, &ops, &be), -EBADF);
	assert_msg_has("fd 1000 is not open");
}

static void open_missing_node(void **state)
{
	const struct ioasid_backend_ops *ops;
	void *be;

	(void)state;
	assert_int_equal(ioasid_kernel_open("/nonexistent/iommu", -1, false, &ops, &be),
			 -ENOENT);
	assert_msg_has("/nonexistent/iommu");
	assert_msg_has("CONFIG_IOMMUFD");
}

static void fill_ioas_id(void *arg)
{
	assert_int_equal(get_u32(arg, 0), 12); /* size */
	put_u32(arg, 8, 7);		       /* out_ioas_id */
}

static void ioas_alloc(void **state)
{
	struct fixture *f = *state;
	uint32_t id = 0;

	expect_ioctl(REQ_IOAS_ALLOC, 0, fill_ioas_id);
	assert_int_equal(f->ops->ioas_alloc(f->be, &id), 0);
	assert_int_equal(id, 7);

	expect_ioctl(REQ_IOAS_ALLOC, ENOTTY, NULL);
	assert_int_equal(f->ops->ioas_alloc(f->be, &id), -ENOTTY);
	assert_int_equal(errno, ENOTTY);
	assert_msg_has("IOMMU_IOAS_ALLOC");
	assert_msg_has("Linux 6.2");
}

static void check_map_args(void *arg)
{
	/* flags: FIXED_IOVA | WRITEABLE | READABLE */
	assert_int_equal(get_u32(arg, 4), 7);
	assert_int_equal(get_u32(arg, 8), 3);
}

static void map_enomem_names_memlock(void **state)
{
	struct fixture *f = *state;
	uint64_t iova = 0xfee00000;

	expect_ioctl(REQ_IOAS_MAP, ENOMEM, check_map_args);
	assert_int_equal(f->ops->ioas_map(f->be, 3, IOASID_MAP_READ | IOASID_MAP_WRITE,
					  0x7f0000000000, 0x1000, &iova),
			 -ENOMEM);
	assert_msg_has("pinning va 0x7f0000000000+0x1000 (4 KiB)");
	assert_msg_has("RLIMIT_MEMLOCK");
	if (strstr(ioasid_errmsg(), "exceeds")) {
		/* What to raise, unless the process is not limited
		 * (CAP_IPC_LOCK, or no limit): then it is memory. */
		assert_msg_has("ulimit -l");
		assert_msg_has("LimitMEMLOCK=");
		assert_msg_has("IOMMU_OPTION_RLIMIT_MODE");
	} else {
		assert_msg_has("out of memory");
	}
	assert_msg_has("(IOMMU_IOAS_MAP: ENOMEM)");
	assert_int_equal(iova, 0xfee00000);
}

/* IOMMU_IOAS_IOVA_RANGES, asked for the count and then the ranges: one
 * range, everything, alignment 1. */
static void fill_one_range_count(void *arg)
{
	put_u32(arg, 8, 1);
}

static void fill_one_range(void *arg)
{
	struct ioasid_iova_range *r = (void *)(uintptr_t)get_u64(arg, 16);

	assert_int_equal(get_u32(arg, 8), 1);
	r[0].start = 0;
	r[0].last = UINT64_MAX;
	put_u64(arg, 24, 1); /* out_iova_alignment */
}

static void map_einval_plain(void **state)
{
	struct fixture *f = *state;
	uint64_t iova = 0xfee00000;

	/* Nothing the backend can see explains it (every IOVA usable,
	 * alignment 1): the plain message. */
	expect_ioctl(REQ_IOAS_MAP, EINVAL, NULL);
	expect_ioctl(REQ_IOVA_RANGES, EMSGSIZE, fill_one_range_count);
	expect_ioctl(REQ_IOVA_RANGES, 0, fill_one_range);
	assert_int_equal(f->ops->ioas_map(f->be, 3, IOASID_MAP_READ, 0x1000, 0x1000, &iova),
			 -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "IOMMU_IOAS_MAP ioas 3 iova 0xfee00000 length 0x1000 va 0x1000: Invalid argument");
}

static void fill_map_iova(void *arg)
{
	assert_int_equal(get_u32(arg, 4) & 1, 0); /* no FIXED_IOVA */
	put_u64(arg, 32, 0x200000);
}

static void map_any_iova(void **state)
{
	struct fixture *f = *state;
	uint64_t iova = 0;

	expect_ioctl(REQ_IOAS_MAP, 0, fill_map_iova);
	assert_int_equal(f->ops->ioas_map(f->be, 3, IOASID_MAP_READ | IOASID_MAP_ANY_IOVA,
					  0x1000, 0x1000, &iova),
			 0);
	assert_int_equal(iova, 0x200000);
}

static void map_file_enotty_names_version(void **state)
{
	struct fixture *f = *state;
	uint64_t iova = 0x100000;

	expect_ioctl(REQ_MAP_FILE, ENOTTY, NULL);
	assert_int_equal(f->ops->ioas_map_file(f->be, 2, IOASID_MAP_READ, 5, 0, 0x1000, &iova),
			 -ENOTTY);
	assert_msg_has("IOMMU_IOAS_MAP_FILE ioas 2 iova 0x100000 length 0x1000 fd 5");
	assert_msg_has("does not have IOMMU_IOAS_MAP_FILE");
	assert_msg_has("Linux 6.13 or later");
}

static void hwpt_alloc_flag_errors(void **state)
{
	struct fixture *f = *state;
	uint32_t hwpt;

	expect_ioctl(REQ_HWPT_ALLOC, EOPNOTSUPP, NULL);
	assert_int_equal(f->ops->hwpt_alloc(f->be, 1, 2, HWPT_ALLOC_DIRTY_TRACKING, &hwpt),
			 -EOPNOTSUPP);
	assert_msg_has("IOMMU_HWPT_ALLOC dev 1 pt 2 flags 0x2");
	assert_msg_has("IOMMU_HWPT_ALLOC_DIRTY_TRACKING");
	assert_msg_has("Linux 6.7");

	expect_ioctl(REQ_HWPT_ALLOC, E2BIG, NULL);
	assert_int_equal(f->ops->hwpt_alloc(f->be, 1, 2, HWPT_ALLOC_PASID, &hwpt), -E2BIG);
	assert_msg_has("IOMMU_HWPT_ALLOC_PASID");
	assert_msg_has("Linux 6.15");

	expect_ioctl(REQ_HWPT_ALLOC, ENOTTY, NULL);
	assert_int_equal(f->ops->hwpt_alloc(f->be, 1, 2, 0, &hwpt), -ENOTTY);
	assert_msg_has("does not have IOMMU_HWPT_ALLOC");
	assert_msg_has("Linux 6.6");
}

static void fill_three_ranges(void *arg)
{
	struct ioasid_iova_range *ranges;

	assert_int_equal(get_u32(arg, 4), 5); /* ioas_id */
	assert_int_equal(get_u32(arg, 8), 1); /* room for one */
	memcpy(&ranges, (char *)arg + 16, sizeof(ranges));
	ranges[0] = (struct ioasid_iova_range){ 0, 0xfedfffff };
	put_u32(arg, 8, 3);
	put_u64(arg, 24, 0x1000);
}

static void iova_ranges_emsgsize(void **state)
{
	struct fixture *f = *state;
	struct ioasid_iova_range r[1] = { { 1, 1 } };
	uint32_t num = 1;
	uint64_t align = 0;

	expect_ioctl(REQ_IOVA_RANGES, EMSGSIZE, fill_three_ranges);
	assert_int_equal(f->ops->ioas_iova_ranges(f->be, 5, r, &num, &align), -EMSGSIZE);
	assert_int_equal(num, 3);
	assert_int_equal(align, 0x1000);
	assert_int_equal(r[0].last, 0xfedfffff);
	assert_msg_has("ioas 5 has 3 IOVA ranges");
}

static void destroy_checks_type(void **state)
{
	struct fixture *f = *state;

	/* Not an IOAS: nothing destroyed. */
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(f->ops->destroy(f->be, 4, IOASID_OBJ_IOAS), -ENOENT);
	assert_msg_has("ioas 4 does not exist");

	/* An IOAS in use. */
	expect_ioctl(REQ_IOVA_RANGES, EMSGSIZE, NULL);
	expect_ioctl(REQ_DESTROY, EBUSY, NULL);
	assert_int_equal(f->ops->destroy(f->be, 4, IOASID_OBJ_IOAS), -EBUSY);
	assert_msg_has("IOMMU_DESTROY ioas 4");

	/* A HWPT: the probe answers EINVAL, then the destroy happens. */
	expect_ioctl(REQ_DIRTY_BITMAP, EINVAL, NULL);
	expect_ioctl(REQ_DESTROY, 0, NULL);
	assert_int_equal(f->ops->destroy(f->be, 6, IOASID_OBJ_HWPT), 0);

	/* An IOAS asked for as a HWPT. */
	expect_ioctl(REQ_DIRTY_BITMAP, ENOENT, NULL);
	assert_int_equal(f->ops->destroy(f->be, 4, IOASID_OBJ_HWPT), -ENOENT);
	assert_msg_has("hwpt 4 does not exist");

	/* Linux 6.6 has no probe for HWPTs: say so, destroy nothing. */
	expect_ioctl(REQ_DIRTY_BITMAP, ENOTTY, NULL);
	assert_int_equal(f->ops->destroy(f->be, 6, IOASID_OBJ_HWPT), -EOPNOTSUPP);
	assert_msg_has("Linux 6.7");
}

static void option_rlimit_eperm(void **state)
{
	struct fixture *f = *state;
	uint64_t val, one = 1;

	expect_ioctl(REQ_OPTION, EPERM, NULL);
	assert_int_equal(f->ops->option(f->be, true, IOASID_OPTION_RLIMIT_MODE, 0, &one),
			 -EPERM);
	assert_msg_has("CAP_SYS_RESOURCE");

	expect_ioctl(REQ_OPTION, ENOENT, NULL);
	assert_int_equal(f->ops->option(f->be, false, IOASID_OPTION_HUGE_PAGES, 9, &val),
			 -ENOENT);
	assert_msg_has("IOMMU_OPTION GET HUGE_PAGES object 9");
}

/* A fake sysfs naming /dev/null as VFIO cdev "null" with device number
 * @devt, so that dev_open's devt check can be exercised. */
static void fake_vfio_sysfs(struct fixture *f, const char *devt)
{
	char dev[40];

	fake_sysfs_create("ioasid-kb");
	f->fake_sysfs = true;
	fake_mkdir("class/vfio-dev/null");
	snprintf(dev, sizeof(dev), "%s\n", devt);
	fake_put("class/vfio-dev/null/dev", dev);
}

static void vfio_info(struct ioasid_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->sz = sizeof(*info);
	snprintf(info->name, sizeof(info->name), "0000:00:03.0");
	snprintf(info->cdev, sizeof(info->cdev), "/dev/null");
	snprintf(info->driver, sizeof(info->driver), "vfio-pci");
}

static void fill_hwpt_out(void *arg)
{
	assert_int_equal(get_u32(arg, 0), 12); /* argsz up to pt_id */
	assert_int_equal(get_u32(arg, 8), 2);  /* pt_id in */
	put_u32(arg, 8, 5);		       /* the HWPT used */
}

static void vfio_bind_eperm_explains_msi(void **state)
{
	struct fixture *f = *state;
	struct ioasid_dev_info info;
	void *bdev = NULL;
	uint32_t dev_id, hwpt = 0;
	struct stat st;
	char devt[32];

	assert_int_equal(stat("/dev/null", &st), 0);
	snprintf(devt, sizeof(devt), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
	fake_vfio_sysfs(f, devt);
	vfio_info(&info);
	assert_int_equal(f->ops->dev_open(f->be, &info, &bdev), 0);

	fake_mkdir("module/iommufd/parameters");
	fake_put("module/iommufd/parameters/allow_unsafe_interrupts", "N\n");
	expect_ioctl(REQ_VFIO_BIND, EPERM, NULL);
	assert_int_equal(f->ops->dev_bind(f->be, bdev, &dev_id), -EPERM);
	assert_msg_has("device 0000:00:03.0: its IOMMU does not isolate MSIs");
	assert_msg_has("iommufd.allow_unsafe_interrupts=1 (now N;");
	assert_msg_has("(VFIO_DEVICE_BIND_IOMMUFD: EPERM)");
	/* Allowed already: EPERM is something else, said plainly. */
	fake_put("module/iommufd/parameters/allow_unsafe_interrupts", "Y\n");
	expect_ioctl(REQ_VFIO_BIND, EPERM, NULL);
	assert_int_equal(f->ops->dev_bind(f->be, bdev, &dev_id), -EPERM);
	assert_msg_has("VFIO_DEVICE_BIND_IOMMUFD /dev/null (0000:00:03.0)");
	assert_msg_lacks("isolate");

	expect_ioctl(REQ_VFIO_ATTACH, 0, fill_hwpt_out);
	assert_int_equal(f->ops->dev_attach(f->be, bdev, 2, &hwpt), 0);
	assert_int_equal(hwpt, 5);

	expect_ioctl(REQ_VFIO_ATTACH, ENOTTY, NULL);
	assert_int_equal(f->ops->dev_attach(f->be, bdev, 2, &hwpt), -ENOTTY);
	assert_msg_has("CONFIG_VFIO_DEVICE_CDEV");
	f->ops->dev_close(f->be, bdev);
}

static void vfio_open_checks_devt(void **state)
{
	struct fixture *f = *state;
	struct ioasid_dev_info info;
	void *bdev = NULL;

	fake_vfio_sysfs(f, "4000:4000");
	vfio_info(&info);
	assert_int_equal(f->ops->dev_open(f->be, &info, &bdev), -ENODEV);
	assert_msg_has("/dev/null is not the cdev of device 0000:00:03.0");

	info.cdev[0] = '\0';
	snprintf(info.driver, sizeof(info.driver), "e1000e");
	assert_int_equal(f->ops->dev_open(f->be, &info, &bdev), -ENODEV);
	assert_msg_has("driver e1000e");
	assert_msg_has("driver_override");
}

static void fill_mock_ioas(void *arg)
{
	put_u32(arg, 8, 9);
}

static void check_destroy_9(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 9);
}

static void mock_names(void **state)
{
	struct fixture *f = *state;
	struct ioasid_dev_info info = { .sz = sizeof(info) };

	assert_int_equal(f->ops->dev_info_get(f->be, "mock1:pasid,no-dirty", &info), 0);
	assert_int_equal(info.kind, IOASID_DEV_MOCK);
	assert_string_equal(info.name, "mock1:pasid,no-dirty");
	assert_int_equal(info.pasid_width, 20);
	assert_int_equal(f->ops->dev_info_get(f->be, "mock:dirty", &info), -EINVAL);
	assert_msg_has("unknown flag \"dirty\"");
}

static void mock_bind_without_selftest(void **state)
{
	struct fixture *f = *state;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	void *bdev = NULL;
	uint32_t dev_id;

	assert_int_equal(f->ops->dev_info_get(f->be, "mock0", &info), 0);
	assert_int_equal(f->ops->dev_open(f->be, &info, &bdev), 0);
	expect_ioctl(REQ_IOAS_ALLOC, 0, fill_mock_ioas);
	expect_ioctl(REQ_TEST_CMD, ENOTTY, NULL);
	/* The private IOAS goes again. */
	expect_ioctl(REQ_DESTROY, 0, check_destroy_9);
	assert_int_equal(f->ops->dev_bind(f->be, bdev, &dev_id), -ENOTTY);
	assert_msg_has("IOMMU_TEST_OP_MOCK_DOMAIN ioas 9");
	assert_msg_has("CONFIG_IOMMUFD_TEST");
	f->ops->dev_close(f->be, bdev);
}

static void fill_mock_domain(void *arg)
{
	assert_int_equal(get_u32(arg, 0), 72); /* size */
	assert_int_equal(get_u32(arg, 4), 12); /* MOCK_DOMAIN_FLAGS */
	assert_int_equal(get_u32(arg, 8), 9);  /* the private IOAS */
	assert_int_equal(get_u32(arg, 28), 4); /* dev_flags: PASID */
	put_u32(arg, 16, 11);		       /* stdev */
	put_u32(arg, 20, 12);		       /* hwpt */
	put_u32(arg, 24, 13);		       /* idev */
}

static void fill_replace_to_2(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 10); /* MOCK_DOMAIN_REPLACE */
	assert_int_equal(get_u32(arg, 8), 11);
	assert_int_equal(get_u32(arg, 16), 2);
	put_u32(arg, 16, 14);
}

static void check_destroy_11(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 11);
}

/* The PASID-compatible HWPT a PASID mock rests on while detached: the
 * IOAS's automatic HWPT would make the kernel refuse every PASID attach
 * (seen on Linux 7.3 in the VM suite, tests/vm/lib/core/pasid.c). */
static void fill_park_hwpt(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 1u << 3); /* IOMMU_HWPT_ALLOC_PASID */
	assert_int_equal(get_u32(arg, 8), 13);	    /* the mock's idev */
	assert_int_equal(get_u32(arg, 12), 9);	    /* the private IOAS */
	put_u32(arg, 16, 20);			    /* out_hwpt_id */
}

static void check_replace_to_20(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 10); /* MOCK_DOMAIN_REPLACE */
	assert_int_equal(get_u32(arg, 8), 11);
	assert_int_equal(get_u32(arg, 16), 20);
}

static void check_destroy_20(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 20);
}

static void mock_lifecycle(void **state)
{
	struct fixture *f = *state;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	void *bdev = NULL;
	uint32_t dev_id = 0, hwpt = 0;

	assert_int_equal(f->ops->dev_info_get(f->be, "mock0:pasid", &info), 0);
	assert_int_equal(f->ops->dev_open(f->be, &info, &bdev), 0);
	assert_int_equal(ioasid_kernel_mock_stdev_id(bdev), 0);

	expect_ioctl(REQ_IOAS_ALLOC, 0, fill_mock_ioas);
	expect_ioctl(REQ_TEST_CMD, 0, fill_mock_domain);
	expect_ioctl(REQ_HWPT_ALLOC, 0, fill_park_hwpt);
	expect_ioctl(REQ_TEST_CMD, 0, check_replace_to_20);
	assert_int_equal(f->ops->dev_bind(f->be, bdev, &dev_id), 0);
	assert_int_equal(dev_id, 13);
	assert_int_equal(ioasid_kernel_mock_stdev_id(bdev), 11);

	expect_ioctl(REQ_TEST_CMD, 0, fill_replace_to_2);
	assert_int_equal(f->ops->dev_attach(f->be, bdev, 2, &hwpt), 0);
	assert_int_equal(hwpt, 14);

	/* Detached means parked on the PASID-compatible HWPT. */
	expect_ioctl(REQ_TEST_CMD, 0, check_replace_to_20);
	assert_int_equal(f->ops->dev_detach(f->be, bdev), 0);

	expect_ioctl(REQ_DESTROY, 0, check_destroy_11);
	expect_ioctl(REQ_DESTROY, 0, check_destroy_20);
	expect_ioctl(REQ_DESTROY, 0, check_destroy_9);
	f->ops->dev_close(f->be, bdev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(adopt_rejects_other_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(open_missing_node, setup, teardown),
		cmocka_unit_test_setup_teardown(ioas_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(map_enomem_names_memlock, setup, teardown),
		cmocka_unit_test_setup_teardown(map_einval_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(map_any_iova, setup, teardown),
		cmocka_unit_test_setup_teardown(map_file_enotty_names_version, setup, teardown),
		cmocka_unit_test_setup_teardown(hwpt_alloc_flag_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(iova_ranges_emsgsize, setup, teardown),
		cmocka_unit_test_setup_teardown(destroy_checks_type, setup, teardown),
		cmocka_unit_test_setup_teardown(option_rlimit_eperm, setup, teardown),
		cmocka_unit_test_setup_teardown(vfio_bind_eperm_explains_msi, setup, teardown),
		cmocka_unit_test_setup_teardown(vfio_open_checks_devt, setup, teardown),
		cmocka_unit_test_setup_teardown(mock_names, setup, teardown),
		cmocka_unit_test_setup_teardown(mock_bind_without_selftest, setup, teardown),
		cmocka_unit_test_setup_teardown(mock_lifecycle, setup, teardown),
	};

	return cmocka_run_group_tests_name("kernel_backend", tests, NULL, NULL);
}
