// SPDX-License-Identifier: MIT
/*
 * lib/host/sysfs.c against a fake sysfs tree built in a temporary directory
 * (IOASID_SYSFS_ROOT), laid out like the kernel's: device directories
 * under devices/, bus/ and class/ entries as symlinks to them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include <ioasid/ioasid.h>

#include "fake_sysfs.h"
#include "sysfs.h"

#define PCI_A "0000:00:03.0"
#define PCI_B "0000:00:05.0"
#define PCI_HOST "0000:00:19.0"
#define MDEV "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

static void add_pci(const char *bdf, const char *vendor, const char *device,
		    const char *driver, int group, const char *iommu,
		    int vfio)
{
	char dir[256], rel[512], target[512];

	snprintf(dir, sizeof(dir), "devices/pci0000:00/%s", bdf);
	fake_mkdir(dir);
	snprintf(rel, sizeof(rel), "%s/vendor", dir);
	fake_put(rel, vendor);
	snprintf(rel, sizeof(rel), "%s/device", dir);
	fake_put(rel, device);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", bdf);
	fake_link(target, rel);
	if (driver) {
		snprintf(rel, sizeof(rel), "%s/driver", dir);
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
		fake_link(target, rel);
	}
	if (group >= 0) {
		snprintf(rel, sizeof(rel), "%s/iommu_group", dir);
		snprintf(target, sizeof(target), "../../../kernel/iommu_groups/%d", group);
		fake_link(target, rel);
		snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/%s", group, bdf);
		snprintf(target, sizeof(target), "../../../../devices/pci0000:00/%s", bdf);
		fake_link(target, rel);
	}
	if (iommu) {
		snprintf(rel, sizeof(rel), "%s/iommu", dir);
		snprintf(target, sizeof(target), "../../virtual/iommu/%s", iommu);
		fake_link(target, rel);
	}
	if (vfio >= 0) {
		snprintf(rel, sizeof(rel), "%s/vfio-dev/vfio%d", dir, vfio);
		fake_mkdir(rel);
		snprintf(rel, sizeof(rel), "%s/vfio-dev/vfio%d/dev", dir, vfio);
		fake_put(rel, vfio == 0 ? "511:0\n" : "511:1\n");
		snprintf(rel, sizeof(rel), "class/vfio-dev/vfio%d", vfio);
		snprintf(target, sizeof(target), "../../devices/pci0000:00/%s/vfio-dev/vfio%d",
			 bdf, vfio);
		fake_link(target, rel);
		snprintf(rel, sizeof(rel), "%s/vfio-dev/vfio%d/device", dir, vfio);
		fake_link("../../../" PCI_A, rel);
	}
}

static int setup(void **state)
{
	(void)state;
	fake_sysfs_create("ioasid-sysfs");

	fake_mkdir("bus/pci/devices");
	fake_mkdir("bus/pci/drivers/vfio-pci");
	fake_mkdir("bus/pci/drivers/e1000e");
	fake_mkdir("bus/mdev/devices");
	fake_mkdir("class/vfio-dev");
	fake_mkdir("devices/virtual/iommu/dmar0");
	fake_mkdir("kernel/iommu_groups/3/devices");
	fake_mkdir("kernel/iommu_groups/10/devices");
	fake_mkdir("kernel/iommu_groups/4/devices");
	/* Out of order on purpose: the parser sorts. */
	fake_put("kernel/iommu_groups/3/reserved_regions",
		 "0x00000000fee00000 0x00000000feefffff msi\n"
		 "0x00000000000c0000 0x00000000000dffff direct\n"
		 "0x0000000000001000 0x0000000000001fff direct-relaxable\n"
		 "0x0000000100000000 0x00000001000fffff reserved\n");
	fake_put("kernel/iommu_groups/10/reserved_regions", "");
	fake_put("kernel/iommu_groups/4/reserved_regions",
		 "0x00000000fee00000 0x00000000feefffff msi\n");

	/* Created B first so that directory order is not sorted order. */
	add_pci(PCI_B, "0x8086\n", "0x1234\n", "vfio-pci", 10, "dmar0", 1);
	add_pci(PCI_A, "0x1234\n", "0x11e8\n", "vfio-pci", 3, "dmar0", 0);
	add_pci(PCI_HOST, "0x8086\n", "0x15bb\n", "e1000e", 4, "dmar0", -1);

	/* An mdev under PCI_B, with its own group and cdev. */
	fake_mkdir("devices/pci0000:00/" PCI_B "/" MDEV "/vfio-dev/vfio2");
	fake_put("devices/pci0000:00/" PCI_B "/" MDEV "/vfio-dev/vfio2/dev", "511:2\n");
	fake_link("../../../devices/pci0000:00/" PCI_B "/" MDEV,
		  "bus/mdev/devices/" MDEV);
	fake_link("../../../../bus/mdev/drivers/vfio_mdev",
		  "devices/pci0000:00/" PCI_B "/" MDEV "/driver");
	fake_mkdir("kernel/iommu_groups/11/devices");
	fake_put("kernel/iommu_groups/11/reserved_regions", "");
	fake_link("../../../kernel/iommu_groups/11",
		  "devices/pci0000:00/" PCI_B "/" MDEV "/iommu_group");
	fake_link("../../devices/pci0000:00/" PCI_B "/" MDEV "/vfio-dev/vfio2",
		  "class/vfio-dev/vfio2");
	fake_link("../../../" MDEV,
		  "devices/pci0000:00/" PCI_B "/" MDEV "/vfio-dev/vfio2/device");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_sysfs_remove();
	return 0;
}

static void root_from_env(void **state)
{
	(void)state;
	assert_string_equal(ioasid_sysfs_root(), fake_sysfs_root);
	unsetenv("IOASID_SYSFS_ROOT");
	assert_string_equal(ioasid_sysfs_root(), "/sys");
	setenv("IOASID_SYSFS_ROOT", fake_sysfs_root, 1);
}

static void devices_in_sorted_order(void **state)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };

	(void)state;
	assert_int_equal(ioasid_sysfs_dev_info_at(0, &info), 0);
	assert_string_equal(info.name, PCI_A);
	assert_int_equal(ioasid_sysfs_dev_info_at(1, &info), 0);
	assert_string_equal(info.name, PCI_B);
	assert_int_equal(ioasid_sysfs_dev_info_at(2, &info), 0);
	assert_string_equal(info.name, PCI_HOST);
	assert_int_equal(ioasid_sysfs_dev_info_at(3, &info), 0);
	assert_string_equal(info.name, MDEV);
	assert_int_equal(info.kind, IOASID_DEV_MDEV);
	assert_int_equal(ioasid_sysfs_dev_info_at(4, &info), -ENOENT);
	assert_non_null(strstr(ioasid_errmsg(), "index 4"));
}

static void pci_fields(void **state)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };

	(void)state;
	assert_int_equal(ioasid_sysfs_dev_info_get(PCI_A, &info), 0);
	assert_int_equal(info.kind, IOASID_DEV_PCI);
	assert_int_equal(info.vendor_id, 0x1234);
	assert_int_equal(info.device_id, 0x11e8);
	assert_string_equal(info.driver, "vfio-pci");
	assert_int_equal(info.group, 3);
	assert_string_equal(info.iommu, "dmar0");
	assert_string_equal(info.cdev, "/dev/vfio/devices/vfio0");
	assert_string_equal(info.parent, "");
	/* Not detected yet. */
	assert_int_equal(info.dev_class, 0);
	assert_int_equal(info.pasid_width, 0);

	assert_int_equal(ioasid_sysfs_dev_info_get(PCI_HOST, &info), 0);
	assert_string_equal(info.driver, "e1000e");
	assert_string_equal(info.cdev, "");
	assert_int_equal(info.group, 4);
}

static void names_resolve(void **state)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };

	(void)state;
	assert_int_equal(ioasid_sysfs_dev_info_get("00:03.0", &info), 0);
	assert_string_equal(info.name, PCI_A);
	assert_int_equal(ioasid_sysfs_dev_info_get("0000:00:05.0", &info), 0);
	assert_string_equal(info.name, PCI_B);
	assert_int_equal(ioasid_sysfs_dev_info_get("/dev/vfio/devices/vfio0", &info), 0);
	assert_string_equal(info.name, PCI_A);
	assert_int_equal(ioasid_sysfs_dev_info_get("/dev/vfio/devices/vfio2", &info), 0);
	assert_string_equal(info.name, MDEV);
	assert_int_equal(ioasid_sysfs_dev_info_get("83B8F4F2-509F-382F-3C1E-E6BFE0FA1001", &info), 0);
	assert_string_equal(info.name, MDEV);
}

static void unknown_names(void **state)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };

	(void)state;
	assert_int_equal(ioasid_sysfs_dev_info_get("00:07.0", &info), -ENODEV);
	assert_non_null(strstr(ioasid_errmsg(), "0000:00:07.0"));
	assert_int_equal(ioasid_sysfs_dev_info_get("/dev/vfio/devices/vfio9", &info), -ENODEV);
	assert_non_null(strstr(ioasid_errmsg(), "vfio9"));
	assert_int_equal(ioasid_sysfs_dev_info_get("00000000-0000-0000-0000-000000000000", &info),
			 -ENODEV);
	assert_int_equal(ioasid_sysfs_dev_info_get("eth0", &info), -EINVAL);
	assert_non_null(strstr(ioasid_errmsg(), "\"eth0\""));
	assert_int_equal(ioasid_sysfs_dev_info_get("00:20.0", &info), -EINVAL);
	assert_int_equal(ioasid_sysfs_dev_info_get("00:03.0x", &info), -EINVAL);
}

static void mdev_fields(void **state)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };

	(void)state;
	assert_int_equal(ioasid_sysfs_dev_info_get(MDEV, &info), 0);
	assert_int_equal(info.kind, IOASID_DEV_MDEV);
	assert_string_equal(info.parent, PCI_B);
	assert_string_equal(info.driver, "vfio_mdev");
	assert_int_equal(info.group, 11);
	assert_string_equal(info.cdev, "/dev/vfio/devices/vfio2");
	assert_string_equal(info.iommu, "");
	assert_int_equal(info.vendor_id, 0);
}

static void resv_regions_sorted(void **state)
{
	struct ioasid_resv_region r[4];
	uint32_t num = 4;

	(void)state;
	assert_int_equal(ioasid_sysfs_group_resv_regions(3, r, &num), 0);
	assert_int_equal(num, 4);
	assert_int_equal(r[0].start, 0x1000);
	assert_int_equal(r[0].last, 0x1fff);
	assert_int_equal(r[0].type, IOASID_RESV_DIRECT_RELAXABLE);
	assert_int_equal(r[1].start, 0xc0000);
	assert_int_equal(r[1].type, IOASID_RESV_DIRECT);
	assert_int_equal(r[2].start, 0xfee00000);
	assert_int_equal(r[2].last, 0xfeefffff);
	assert_int_equal(r[2].type, IOASID_RESV_MSI);
	assert_int_equal(r[3].start, 0x100000000ULL);
	assert_int_equal(r[3].type, IOASID_RESV_RESERVED);

	num = 0;
	assert_int_equal(ioasid_sysfs_group_resv_regions(10, NULL, &num), 0);
	assert_int_equal(num, 0);
}

static void resv_regions_emsgsize(void **state)
{
	struct ioasid_resv_region r[2] = { 0 };
	uint32_t num = 2;

	(void)state;
	assert_int_equal(ioasid_sysfs_group_resv_regions(3, r, &num), -EMSGSIZE);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(num, 4);
	assert_int_equal(r[0].start, 0x1000);
	assert_int_equal(r[1].start, 0xc0000);
	num = 0;
	assert_int_equal(ioasid_sysfs_group_resv_regions(3, NULL, &num), -EMSGSIZE);
	assert_int_equal(num, 4);
}

static void resv_regions_errors(void **state)
{
	struct ioasid_resv_region r[4];
	uint32_t num = 4;

	(void)state;
	assert_int_equal(ioasid_sysfs_group_resv_regions(99, r, &num), -ENOENT);
	assert_non_null(strstr(ioasid_errmsg(), "group 99"));

	fake_put("kernel/iommu_groups/4/reserved_regions",
		 "0x00000000fee00000 0x00000000feefffff msi\nfee00000 feefffff msi\n");
	num = 4;
	assert_int_equal(ioasid_sysfs_group_resv_regions(4, r, &num), -EIO);
	assert_non_null(strstr(ioasid_errmsg(), "reserved_regions:2"));

	/* A type this library does not know stays out of the way. */
	fake_put("kernel/iommu_groups/4/reserved_regions",
		 "0x0000000000002000 0x0000000000002fff future-type\n");
	num = 4;
	assert_int_equal(ioasid_sysfs_group_resv_regions(4, r, &num), 0);
	assert_int_equal(num, 1);
	assert_int_equal(r[0].type, IOASID_RESV_RESERVED);
	fake_put("kernel/iommu_groups/4/reserved_regions",
		 "0x00000000fee00000 0x00000000feefffff msi\n");
}

static void groups_numeric_order(void **state)
{
	struct ioasid_group_info info = { .sz = sizeof(info) };

	(void)state;
	assert_int_equal(ioasid_sysfs_group_info_at(0, &info), 0);
	assert_int_equal(info.id, 3);
	assert_int_equal(info.num_devices, 1);
	assert_int_equal(info.num_resv_regions, 4);
	assert_string_equal(info.iommu, "dmar0");
	assert_int_equal(info.sz, sizeof(info));
	assert_int_equal(ioasid_sysfs_group_info_at(1, &info), 0);
	assert_int_equal(info.id, 4);
	assert_int_equal(ioasid_sysfs_group_info_at(2, &info), 0);
	assert_int_equal(info.id, 10);
	assert_int_equal(info.num_resv_regions, 0);
	assert_int_equal(ioasid_sysfs_group_info_at(3, &info), 0);
	assert_int_equal(info.id, 11);
	assert_int_equal(info.num_devices, 0);
	assert_string_equal(info.iommu, "");
	assert_int_equal(ioasid_sysfs_group_info_at(4, &info), -ENOENT);
}

static void vfio_devt(void **state)
{
	dev_t devt;

	(void)state;
	assert_int_equal(ioasid_sysfs_vfio_devt("vfio0", &devt), 0);
	assert_int_equal(major(devt), 511);
	assert_int_equal(minor(devt), 0);
	assert_int_equal(ioasid_sysfs_vfio_devt("vfio2", &devt), 0);
	assert_int_equal(minor(devt), 2);
	assert_int_equal(ioasid_sysfs_vfio_devt("vfio7", &devt), -ENODEV);
	assert_int_equal(ioasid_sysfs_vfio_devt("../vfio0", &devt), -ENODEV);
}

static void get(const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", fake_sysfs_root, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static bool exists(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake_sysfs_root, rel);
	return access(path, F_OK) == 0;
}

/* A device a host driver uses is not taken without force; nothing is
 * written. */
static void set_driver_refuses_host_driver(void **state)
{
	(void)state;
	assert_int_equal(ioasid_sysfs_set_driver(PCI_HOST, "vfio-pci", false),
			 -EBUSY);
	assert_non_null(strstr(ioasid_errmsg(), "e1000e"));
	assert_false(exists("bus/pci/devices/" PCI_HOST "/driver_override"));
	assert_false(exists("bus/pci/drivers_probe"));
	/* Already on the asked driver: nothing to do. */
	assert_int_equal(ioasid_sysfs_set_driver(PCI_A, "vfio-pci", false), 0);
	assert_false(exists("bus/pci/drivers_probe"));
}

/* Forced: override, unbind, probe, in that order of files; this fake
 * kernel binds nothing, so the library reports it and restores the old
 * override. */
static void set_driver_writes_then_rolls_back(void **state)
{
	char buf[128];

	(void)state;
	fake_put("devices/pci0000:00/" PCI_HOST "/driver_override", "(null)\n");
	assert_int_equal(ioasid_sysfs_set_driver(PCI_HOST, "vfio-pci", true),
			 -ENOENT);
	assert_non_null(strstr(ioasid_errmsg(), "did not take"));
	get("bus/pci/drivers/e1000e/unbind", buf, sizeof(buf));
	assert_string_equal(buf, PCI_HOST);
	get("bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, PCI_HOST);
	get("devices/pci0000:00/" PCI_HOST "/driver_override", buf, sizeof(buf));
	assert_string_equal(buf, "\n");
}

static void empty_sysfs(void **state)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_group_info group = { .sz = sizeof(group) };
	char empty[PATH_MAX];

	(void)state;
	snprintf(empty, sizeof(empty), "%s/devices/virtual", fake_sysfs_root);
	setenv("IOASID_SYSFS_ROOT", empty, 1);
	assert_int_equal(ioasid_sysfs_dev_info_at(0, &info), -ENOENT);
	assert_int_equal(ioasid_sysfs_group_info_at(0, &group), -ENOENT);
	setenv("IOASID_SYSFS_ROOT", fake_sysfs_root, 1);
}

/* ------------------------------------------------------------------ */
/* Software-managed MSI windows                                         */

#define SW_MSI_LINE "0x0000000008000000 0x00000000080fffff msi\n"

/*
 * Group @group holding one device @bdf behind the IOMMU class device
 * @iommu, registered under the platform device @parent that @driver
 * drives (NULL: no driver link), as the kernel lays it out:
 * devices/platform/PARENT/iommu/NAME with "device" pointing at PARENT;
 * no iommu link at all if @iommu is NULL.  Nothing under bus/, so the
 * device lists of the other tests stay as they were.
 */
static void add_iommu_group(int group, const char *bdf, const char *parent,
			    const char *driver, const char *iommu,
			    const char *regions)
{
	char rel[512], target[512];

	snprintf(rel, sizeof(rel), "devices/pci0001:00/%s", bdf);
	fake_mkdir(rel);
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", group);
	fake_mkdir(rel);
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/%s", group,
		 bdf);
	snprintf(target, sizeof(target), "../../../../devices/pci0001:00/%s",
		 bdf);
	fake_link(target, rel);
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/reserved_regions",
		 group);
	fake_put(rel, regions);
	if (!iommu)
		return;
	snprintf(rel, sizeof(rel), "devices/platform/%s/iommu/%s", parent,
		 iommu);
	fake_mkdir(rel);
	snprintf(rel, sizeof(rel), "devices/platform/%s/iommu/%s/device",
		 parent, iommu);
	fake_link("../..", rel);
	if (driver) {
		snprintf(rel, sizeof(rel), "devices/platform/%s/driver", parent);
		snprintf(target, sizeof(target),
			 "../../../bus/platform/drivers/%s", driver);
		fake_link(target, rel);
	}
	snprintf(rel, sizeof(rel), "devices/pci0001:00/%s/iommu", bdf);
	snprintf(target, sizeof(target), "../../platform/%s/iommu/%s", parent,
		 iommu);
	fake_link(target, rel);
}

static enum ioasid_resv_type type_of(int group, uint32_t index,
				     uint64_t start, uint64_t last)
{
	struct ioasid_resv_region r[4];
	uint32_t num = 4;

	assert_int_equal(ioasid_sysfs_group_resv_regions(group, r, &num), 0);
	assert_true(index < num);
	assert_int_equal(r[index].start, start);
	assert_int_equal(r[index].last, last);
	return r[index].type;
}

/* arm-smmu-v3 names its IOMMU "smmu3.%pa": its "msi" region at
 * MSI_IOVA_BASE/MSI_IOVA_LENGTH is the software window. */
static void sw_msi_smmu_v3(void **state)
{
	(void)state;
	add_iommu_group(40, "0001:00:01.0", "arm-smmu-v3.0.auto", "arm-smmu-v3",
			"smmu3.0x0000000009050000", SW_MSI_LINE);
	assert_int_equal(type_of(40, 0, 0x8000000, 0x80fffff),
			 IOASID_RESV_SW_MSI);
}

/* arm-smmu (v2) names it "smmu.%pa"; only the exact window is sw-msi, a
 * hardware MSI region elsewhere stays msi. */
static void sw_msi_smmu_v2(void **state)
{
	(void)state;
	add_iommu_group(41, "0001:00:02.0", "9000000.iommu", "arm-smmu",
			"smmu.0x0000000009000000",
			SW_MSI_LINE
			"0x000000000c000000 0x000000000c0fffff msi\n");
	assert_int_equal(type_of(41, 0, 0x8000000, 0x80fffff),
			 IOASID_RESV_SW_MSI);
	assert_int_equal(type_of(41, 1, 0xc000000, 0xc0fffff),
			 IOASID_RESV_MSI);
}

/* An IOMMU whose name says nothing is known by its driver: virtio-iommu
 * takes the virtio device's name and adds the same window. */
static void sw_msi_by_driver(void **state)
{
	(void)state;
	add_iommu_group(42, "0001:00:03.0", "virtio-iommu-parent",
			"virtio_iommu", "virtio0", SW_MSI_LINE);
	assert_int_equal(type_of(42, 0, 0x8000000, 0x80fffff),
			 IOASID_RESV_SW_MSI);
}

/* Anything else stays msi: another IOMMU with a region at the same
 * window, an SMMU region of another size, a device without an iommu
 * link. */
static void msi_stays_msi(void **state)
{
	(void)state;
	add_iommu_group(43, "0001:00:04.0", "dmar-parent", "dmar", "dmar1",
			SW_MSI_LINE);
	assert_int_equal(type_of(43, 0, 0x8000000, 0x80fffff),
			 IOASID_RESV_MSI);
	add_iommu_group(44, "0001:00:05.0", "arm-smmu-v3.1.auto", "arm-smmu-v3",
			"smmu3.0x0000000009060000",
			"0x0000000008000000 0x000000000800ffff msi\n");
	assert_int_equal(type_of(44, 0, 0x8000000, 0x800ffff),
			 IOASID_RESV_MSI);
	add_iommu_group(45, "0001:00:06.0", NULL, NULL, NULL, SW_MSI_LINE);
	assert_int_equal(type_of(45, 0, 0x8000000, 0x80fffff),
			 IOASID_RESV_MSI);
	/* The x86 window of the setup's groups is untouched. */
	assert_int_equal(type_of(4, 0, 0xfee00000, 0xfeefffff),
			 IOASID_RESV_MSI);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_from_env),
		cmocka_unit_test(devices_in_sorted_order),
		cmocka_unit_test(pci_fields),
		cmocka_unit_test(names_resolve),
		cmocka_unit_test(unknown_names),
		cmocka_unit_test(mdev_fields),
		cmocka_unit_test(resv_regions_sorted),
		cmocka_unit_test(resv_regions_emsgsize),
		cmocka_unit_test(resv_regions_errors),
		cmocka_unit_test(groups_numeric_order),
		cmocka_unit_test(vfio_devt),
		cmocka_unit_test(empty_sysfs),
		cmocka_unit_test(set_driver_refuses_host_driver),
		cmocka_unit_test(set_driver_writes_then_rolls_back),
		cmocka_unit_test(sw_msi_smmu_v3),
		cmocka_unit_test(sw_msi_smmu_v2),
		cmocka_unit_test(sw_msi_by_driver),
		cmocka_unit_test(msi_stays_msi),
	};

	return cmocka_run_group_tests_name("sysfs", tests, setup, teardown);
}
