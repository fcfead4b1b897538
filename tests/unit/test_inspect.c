// SPDX-License-Identifier: MIT
/*
 * ioasid_ctx_opts.inspect_only: a kernel context that opens no
 * /dev/iommu (kernels built without CONFIG_IOMMUFD).  The inventory comes
 * from a fake sysfs tree (IOASID_SYSFS_ROOT); every call that needs the
 * iommufd fails with -EBADF and a message saying why.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <ioasid/ioasid.h>

#include "fake_sysfs.h"

#define PCI_DEV "0000:00:03.0"

/* One PCI device in IOMMU group 3, bound to e1000e, no VFIO cdev. */
static int setup(void **state)
{
	(void)state;
	fake_sysfs_create("ioasid-inspect");
	fake_mkdir("bus/pci/devices");
	fake_mkdir("bus/pci/drivers/e1000e");
	fake_mkdir("devices/pci0000:00/" PCI_DEV);
	fake_mkdir("kernel/iommu_groups/3/devices");
	fake_put("kernel/iommu_groups/3/reserved_regions",
		 "0x00000000fee00000 0x00000000feefffff msi\n");
	fake_put("devices/pci0000:00/" PCI_DEV "/vendor", "0x8086\n");
	fake_put("devices/pci0000:00/" PCI_DEV "/device", "0x15bb\n");
	fake_link("../../../devices/pci0000:00/" PCI_DEV,
		  "bus/pci/devices/" PCI_DEV);
	fake_link("../../../bus/pci/drivers/e1000e",
		  "devices/pci0000:00/" PCI_DEV "/driver");
	fake_link("../../../kernel/iommu_groups/3",
		  "devices/pci0000:00/" PCI_DEV "/iommu_group");
	fake_link("../../../../devices/pci0000:00/" PCI_DEV,
		  "kernel/iommu_groups/3/devices/" PCI_DEV);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_sysfs_remove();
	return 0;
}

/* No /dev/iommu is opened: a missing node does not matter. */
static void opens_without_dev_iommu(void **state)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_KERNEL,
		    .dev_iommu = "/nonexistent/iommu");
	struct ioasid_ctx *ctx = NULL;

	(void)state;
	/* Without inspect_only the missing node is an error... */
	assert_int_equal(ioasid_ctx_open(&opts, &ctx), -ENOENT);
	assert_null(ctx);
	/* ...with it, the context opens. */
	opts.inspect_only = true;
	assert_int_equal(ioasid_ctx_open(&opts, &ctx), 0);
	assert_non_null(ctx);
	assert_string_equal(ioasid_ctx_backend(ctx), "kernel");
	ioasid_ctx_close(ctx);
}

static void inventory_works(void **state)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .inspect_only = true);
	IOASID_OPTS(ioasid_dev_info, info);
	IOASID_OPTS(ioasid_group_info, group);
	struct ioasid_resv_region regions[4];
	uint32_t num = 4;
	struct ioasid_ctx *ctx;

	(void)state;
	assert_int_equal(ioasid_ctx_open(&opts, &ctx), 0);
	assert_int_equal(ioasid_dev_info_at(ctx, 0, &info), 0);
	assert_string_equal(info.name, PCI_DEV);
	assert_string_equal(info.driver, "e1000e");
	assert_int_equal(info.group, 3);
	assert_int_equal(ioasid_dev_info_at(ctx, 1, &info), -ENOENT);
	assert_int_equal(ioasid_group_info_at(ctx, 0, &group), 0);
	assert_int_equal(group.id, 3);
	assert_int_equal(ioasid_group_resv_regions(ctx, 3, regions, &num), 0);
	assert_int_equal(num, 1);
	assert_true(regions[0].start == 0xfee00000);
	/* The host driver check reads sysfs only: refused without force,
	 * nothing written. */
	assert_int_equal(ioasid_dev_set_driver(ctx, PCI_DEV, "vfio-pci", NULL),
			 -EBUSY);
	assert_non_null(strstr(ioasid_errmsg(), "e1000e"));
	ioasid_ctx_close(ctx);
}

static void iommufd_calls_fail_with_ebadf(void **state)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .inspect_only = true);
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev = NULL;
	uint32_t id = 0;

	(void)state;
	assert_int_equal(ioasid_ctx_open(&opts, &ctx), 0);
	assert_int_equal(ioasid_ctx_fd(ctx), -EBADF);
	assert_int_equal(errno, EBADF);
	assert_non_null(strstr(ioasid_errmsg(), "inspection only"));

	assert_int_equal(ioasid_ioas_alloc(ctx, &id), -EBADF);
	assert_int_equal(id, 0);
	assert_non_null(strstr(ioasid_errmsg(), "/dev/iommu"));

	assert_int_equal(ioasid_dev_open(ctx, PCI_DEV, &dev), -EBADF);
	assert_null(dev);
	assert_non_null(strstr(ioasid_errmsg(), "inspection only"));
	ioasid_ctx_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opens_without_dev_iommu),
		cmocka_unit_test(inventory_works),
		cmocka_unit_test(iommufd_calls_fail_with_ebadf),
	};

	return cmocka_run_group_tests_name("inspect", tests, setup, teardown);
}
