// SPDX-License-Identifier: MIT
/*
 * Changing a PCI device's host driver (ioasid_dev_set_driver) on the
 * simulator, which follows what lib/host/sysfs.c does on a real host:
 * driver_override, unbind, drivers_probe; VFIO cdev numbers from the
 * lowest free one (VFIO's minor allocator).
 */
#include "helpers.h"

#define NVME_HOST "0000:00:06.0" /* bound to nvme in x86-server.ini */
#define NIC "0000:00:03.0"	 /* vfio-pci, /dev/vfio/devices/vfio0 */
#define MDEV1 "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

static int setup(void **state)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM);
	struct ioasid_ctx *ctx;

	if (ioasid_ctx_open(&opts, &ctx))
		return -1;
	*state = ctx;
	return 0;
}

static int teardown(void **state)
{
	ioasid_ctx_close(*state);
	return 0;
}

static void info_of(struct ioasid_ctx *ctx, const char *name,
		    struct ioasid_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->sz = sizeof(*info);
	OK(ioasid_dev_info_get(ctx, name, info));
}

static void take_from_host_driver(void **state)
{
	struct ioasid_ctx *ctx = *state;
	IOASID_OPTS(ioasid_driver_opts, force, .flags = IOASID_DRIVER_FORCE);
	struct ioasid_dev_info info;
	struct ioasid_dev *dev;

	/* A device a host driver uses has no cdev and cannot be opened. */
	EXPECT_ERR(ENODEV, "nvme", ioasid_dev_open(ctx, NVME_HOST, &dev));
	/* Taking it needs the operator's explicit force; nothing changes. */
	EXPECT_ERR(EBUSY, "in use by host driver nvme",
		   ioasid_dev_set_driver(ctx, NVME_HOST, "vfio-pci", NULL));
	info_of(ctx, NVME_HOST, &info);
	assert_string_equal(info.driver, "nvme");
	assert_string_equal(info.cdev, "");

	OK(ioasid_dev_set_driver(ctx, NVME_HOST, "vfio-pci", &force));
	info_of(ctx, NVME_HOST, &info);
	assert_string_equal(info.driver, "vfio-pci");
	/* vfio0-vfio5 are the topology's vfio-pci devices, vfio6 and vfio7
	 * its mdevs: the next free number is 8. */
	assert_string_equal(info.cdev, "/dev/vfio/devices/vfio8");
	OK(ioasid_dev_open(ctx, "/dev/vfio/devices/vfio8", &dev));
	assert_string_equal(ioasid_dev_name(dev), NVME_HOST);

	/* Not while it is open here. */
	EXPECT_ERR(EBUSY, "open in this context",
		   ioasid_dev_set_driver(ctx, NVME_HOST, NULL, NULL));
	ioasid_dev_close(dev);

	/* NULL returns it to its host driver, and frees the cdev number. */
	OK(ioasid_dev_set_driver(ctx, NVME_HOST, NULL, NULL));
	info_of(ctx, NVME_HOST, &info);
	assert_string_equal(info.driver, "nvme");
	assert_string_equal(info.cdev, "");
	/* Asking for what it has is a no-op. */
	OK(ioasid_dev_set_driver(ctx, NIC, "vfio-pci", NULL));
	info_of(ctx, NIC, &info);
	assert_string_equal(info.cdev, "/dev/vfio/devices/vfio0");
}

static void lowest_free_cdev(void **state)
{
	struct ioasid_ctx *ctx = *state;
	IOASID_OPTS(ioasid_driver_opts, force, .flags = IOASID_DRIVER_FORCE);
	struct ioasid_dev_info info;

	/* Release vfio0; the next device bound to vfio-pci gets it. */
	OK(ioasid_dev_set_driver(ctx, NIC, NULL, NULL));
	info_of(ctx, NIC, &info);
	assert_string_equal(info.driver, "");
	assert_string_equal(info.cdev, "");
	OK(ioasid_dev_set_driver(ctx, NVME_HOST, "vfio-pci", &force));
	info_of(ctx, NVME_HOST, &info);
	assert_string_equal(info.cdev, "/dev/vfio/devices/vfio0");
}

static void bad_input(void **state)
{
	struct ioasid_ctx *ctx = *state;
	IOASID_OPTS(ioasid_driver_opts, odd, .flags = 0x80);
	struct ioasid_dev_info before, after;

	info_of(ctx, NVME_HOST, &before);
	EXPECT_ERR(EINVAL, "../vfio-pci",
		   ioasid_dev_set_driver(ctx, NVME_HOST, "../vfio-pci", NULL));
	EXPECT_ERR(EINVAL, "driver name",
		   ioasid_dev_set_driver(ctx, NVME_HOST, "", NULL));
	EXPECT_ERR(EINVAL, "0x80",
		   ioasid_dev_set_driver(ctx, NVME_HOST, "vfio-pci", &odd));
	EXPECT_ERR(EINVAL, "not a PCI device",
		   ioasid_dev_set_driver(ctx, MDEV1, "vfio-pci", NULL));
	EXPECT_ERR(EINVAL, "00:06",
		   ioasid_dev_set_driver(ctx, "00:06", "vfio-pci", NULL));
	EXPECT_ERR(ENODEV, "0000:00:1f.0",
		   ioasid_dev_set_driver(ctx, "0000:00:1f.0", "vfio-pci", NULL));
	/* A driver the simulated host does not have never takes it. */
	EXPECT_ERR(ENOENT, "did not take",
		   ioasid_dev_set_driver(ctx, NIC, "e1000e", NULL));
	EXPECT_ERR(EINVAL, "name is NULL",
		   ioasid_dev_set_driver(ctx, NULL, "vfio-pci", NULL));
	info_of(ctx, NVME_HOST, &after);
	assert_memory_equal(&before, &after, sizeof(before));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(take_from_host_driver, setup,
						teardown),
		cmocka_unit_test_setup_teardown(lowest_free_cdev, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bad_input, setup, teardown),
	};

	return cmocka_run_group_tests_name("driver", tests, NULL, NULL);
}
