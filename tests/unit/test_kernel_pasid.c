// SPDX-License-Identifier: MIT
/*
 * PASID in the kernel backend with ioctl() replaced (like
 * test_kernel_backend.c): the ioctl sequences of PASID attach, replace
 * and detach on a VFIO cdev and on a mock device, the translation of an
 * old kernel's errors into messages naming the feature, and the class
 * detection: the PCI PASID capability from a fake sysfs config space, a
 * bound device's IOMMU_GET_HW_INFO, mdev and mock defaults, and the
 * configuration's override.  uname() is replaced too, so that the test
 * chooses the running kernel's release.
 *
 * TEST_LDFLAGS: -Wl,--wrap=ioctl,--wrap=uname
 *
 * No Linux uAPI header here: request numbers are built with _IO() and
 * fields read and written at the offsets of the uAPI structs.
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
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include <ioasid/ioasid.h>

#include "le.h"
#include "backend.h"
#include "fake_sysfs.h"
#include "kernel.h"
#include "pasid.h"
#include "mock_ioctl.h"
#include "sysfs.h"

#define REQ_DESTROY _IO(';', 0x80)
#define REQ_IOAS_ALLOC _IO(';', 0x81)
#define REQ_IOVA_RANGES _IO(';', 0x84)
#define REQ_HWPT_ALLOC _IO(';', 0x89)
#define REQ_GET_HW_INFO _IO(';', 0x8a)
#define REQ_TEST_CMD _IO(';', 0xa0)
#define REQ_VFIO_BIND _IO(';', 100 + 18)
#define REQ_VFIO_ATTACH _IO(';', 100 + 19)
#define REQ_VFIO_DETACH _IO(';', 100 + 20)

#define TEST_OP_MOCK_DOMAIN_FLAGS 12
#define TEST_OP_PASID_ATTACH 18
#define TEST_OP_PASID_REPLACE 19
#define TEST_OP_PASID_DETACH 20

#define PCI_DEV "0000:00:04.0"

/* The release uname() reports to the backend ("" = the real one). */
static char release[65];

int __real_uname(struct utsname *u);
int __wrap_uname(struct utsname *u);
int __wrap_uname(struct utsname *u)
{
	int rc = __real_uname(u);

	if (rc == 0 && release[0])
		snprintf(u->release, sizeof(u->release), "%s", release);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Fake sysfs                                                           */

/* An extended capability header: id, version 1, next offset. */
static uint32_t ext_hdr(uint16_t id, unsigned int next)
{
	return id | 1u << 16 | (uint32_t)next << 20;
}

/* PCI device @bdf with a config file of @len bytes from @cfg. */
static void add_pci(const char *bdf, const uint8_t *cfg, size_t len)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	fake_mkdir(rel);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/vendor", bdf);
	fake_put(rel, "0x8086\n");
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/device", bdf);
	fake_put(rel, "0x0b25\n");
	if (cfg) {
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/config", bdf);
		fake_write(rel, cfg, len);
	}
}

/* A 4 KiB config space: AER at 0x100, then (if @width >= 0) PASID at
 * 0x148 with @width bits, Execute and Privileged Mode. */
static void pcie_config(uint8_t cfg[4096], int width)
{
	memset(cfg, 0, 4096);
	le32_put(cfg, 0x0b258086);
	le32_put(cfg + 0x100, ext_hdr(0x0001, width >= 0 ? 0x148 : 0));
	if (width >= 0) {
		le32_put(cfg + 0x148, ext_hdr(0x001b, 0));
		cfg[0x14c] = 0x06;
		cfg[0x14d] = (uint8_t)width;
	}
}

/* ------------------------------------------------------------------ */
/* Fixture: a kernel backend on /dev/null                               */

struct fixture {
	const struct ioasid_backend_ops *ops;
	void *be;
	int fd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fake_sysfs_create("ioasid-kp");
	f->fd = open("/dev/null", O_RDWR);
	assert_true(f->fd >= 0);
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(ioasid_kernel_open(NULL, f->fd, false, &f->ops, &f->be), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->ops->close(f->be);
	close(f->fd);
	fake_sysfs_remove();
	release[0] = '\0';
	free(f);
	return 0;
}

/* /dev/null as the VFIO cdev "null" of PCI_DEV. */
static void *open_vfio(struct fixture *f)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct stat st;
	char devt[32];
	void *bdev = NULL;

	assert_int_equal(stat("/dev/null", &st), 0);
	snprintf(devt, sizeof(devt), "%u:%u\n", major(st.st_rdev),
		 minor(st.st_rdev));
	fake_mkdir("class/vfio-dev/null");
	fake_put("class/vfio-dev/null/dev", devt);
	snprintf(info.name, sizeof(info.name), PCI_DEV);
	snprintf(info.cdev, sizeof(info.cdev), "/dev/null");
	snprintf(info.driver, sizeof(info.driver), "vfio-pci");
	assert_int_equal(f->ops->dev_open(f->be, &info, &bdev), 0);
	return bdev;
}

static void fill_devid_6(void *arg)
{
	put_u32(arg, 12, 6); /* out_devid */
}

static void bind_vfio(struct fixture *f, void *bdev)
{
	uint32_t dev_id = 0;

	expect_ioctl(REQ_VFIO_BIND, 0, fill_devid_6);
	assert_int_equal(f->ops->dev_bind(f->be, bdev, &dev_id), 0);
	assert_int_equal(dev_id, 6);
}

static uint32_t list_pasids(struct fixture *f, void *bdev,
			    struct ioasid_pasid_entry *e, uint32_t max)
{
	uint32_t n = max;

	assert_int_equal(f->ops->dev_pasid_list(f->be, bdev, e, &n), 0);
	return n;
}

/* ------------------------------------------------------------------ */
/* VFIO cdev                                                            */

static uint32_t want_pt, want_pasid, give_hwpt;

static void check_attach(void *arg)
{
	assert_int_equal(get_u32(arg, 0), 16); /* argsz up to pasid */
	assert_int_equal(get_u32(arg, 4), 1);  /* VFIO_DEVICE_ATTACH_PASID */
	assert_int_equal(get_u32(arg, 8), want_pt);
	assert_int_equal(get_u32(arg, 12), want_pasid);
	put_u32(arg, 8, give_hwpt);
}

static void check_detach(void *arg)
{
	assert_int_equal(get_u32(arg, 0), 12); /* argsz up to pasid */
	assert_int_equal(get_u32(arg, 4), 1);  /* VFIO_DEVICE_DETACH_PASID */
	assert_int_equal(get_u32(arg, 8), want_pasid);
}

static void vfio_attach_replace_detach(void **state)
{
	struct fixture *f = *state;
	struct ioasid_pasid_entry e[2];
	void *bdev = open_vfio(f);
	uint32_t hwpt = 0;

	/* Not bound: nothing reaches the kernel. */
	assert_int_equal(f->ops->dev_pasid_attach(f->be, bdev, 5, 3, 2, false, &hwpt),
			 -EINVAL);
	assert_msg_has("not bound");
	bind_vfio(f, bdev);

	want_pt = 2, want_pasid = 5, give_hwpt = 8;
	expect_ioctl(REQ_VFIO_ATTACH, 0, check_attach);
	assert_int_equal(f->ops->dev_pasid_attach(f->be, bdev, 5, 3, 2, false, &hwpt), 0);
	assert_int_equal(hwpt, 8);
	assert_int_equal(list_pasids(f, bdev, e, 2), 1);
	assert_int_equal(e[0].vpasid, 3);
	assert_int_equal(e[0].ppasid, 5);
	assert_int_equal(e[0].pt_id, 2);
	assert_int_equal(e[0].hwpt_id, 8);

	/* A replace is the same ioctl on an attached PASID. */
	want_pt = 4, give_hwpt = 4;
	expect_ioctl(REQ_VFIO_ATTACH, 0, check_attach);
	assert_int_equal(f->ops->dev_pasid_attach(f->be, bdev, 5, 3, 4, true, &hwpt), 0);
	assert_int_equal(hwpt, 4);
	assert_int_equal(list_pasids(f, bdev, e, 2), 1);
	assert_int_equal(e[0].pt_id, 4);

	expect_ioctl(REQ_VFIO_DETACH, 0, check_detach);
	assert_int_equal(f->ops->dev_pasid_detach(f->be, bdev, 5), 0);
	assert_int_equal(list_pasids(f, bdev, e, 2), 0);
	f->ops->dev_close(f->be, bdev);
}

/* Before 6.15, VFIO refuses the unknown PASID flag with EINVAL: the
 * message names the feature and the version; on a newer kernel EINVAL
 * is the kernel's verdict on the arguments and says nothing of it. */
static void vfio_old_kernel(void **state)
{
	struct fixture *f = *state;
	struct ioasid_pasid_entry e[1];
	uint32_t hwpt = 0;
	void *bdev;

	f->ops->close(f->be);
	snprintf(release, sizeof(release), "6.8.0-49-generic");
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(ioasid_kernel_open(NULL, f->fd, false, &f->ops, &f->be), 0);
	bdev = open_vfio(f);
	bind_vfio(f, bdev);

	want_pt = 2, want_pasid = 5, give_hwpt = 2;
	expect_ioctl(REQ_VFIO_ATTACH, EINVAL, check_attach);
	assert_int_equal(f->ops->dev_pasid_attach(f->be, bdev, 5, 5, 2, false, &hwpt),
			 -EINVAL);
	assert_int_equal(errno, EINVAL);
	assert_msg_has("VFIO_DEVICE_ATTACH_IOMMUFD_PT /dev/null (" PCI_DEV ", dev 6) pasid 5 pt 2");
	assert_msg_has("the running kernel (6.8.0-49-generic) does not have VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID");
	assert_msg_has("Linux 6.15 or later");
	/* Nothing recorded. */
	assert_int_equal(list_pasids(f, bdev, e, 1), 0);

	expect_ioctl(REQ_VFIO_DETACH, EINVAL, check_detach);
	assert_int_equal(f->ops->dev_pasid_detach(f->be, bdev, 5), -EINVAL);
	assert_msg_has("VFIO_DEVICE_DETACH_IOMMUFD_PT");
	assert_msg_has("Linux 6.15 or later");
	f->ops->dev_close(f->be, bdev);
	f->ops->close(f->be);

	snprintf(release, sizeof(release), "6.15.0");
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(ioasid_kernel_open(NULL, f->fd, false, &f->ops, &f->be), 0);
	bdev = open_vfio(f);
	bind_vfio(f, bdev);
	expect_ioctl(REQ_VFIO_ATTACH, EINVAL, check_attach);
	assert_int_equal(f->ops->dev_pasid_attach(f->be, bdev, 5, 5, 2, false, &hwpt),
			 -EINVAL);
	assert_msg_has("Invalid argument");
	assert_msg_lacks("Linux 6.15");
	/* E2BIG from a kernel that does not know the pasid field. */
	expect_ioctl(REQ_VFIO_ATTACH, E2BIG, check_attach);
	assert_int_equal(f->ops->dev_pasid_attach(f->be, bdev, 5, 5, 2, false, &hwpt),
			 -E2BIG);
	assert_msg_has("VFIO_DEVICE_ATTACH_PASID needs Linux 6.15 or later");
	f->ops->dev_close(f->be, bdev);
}

/* ------------------------------------------------------------------ */
/* Mock device                                                          */

static void fill_ioas_9(void *arg)
{
	put_u32(arg, 8, 9);
}

static void fill_mock_domain(void *arg)
{
	assert_int_equal(get_u32(arg, 4), TEST_OP_MOCK_DOMAIN_FLAGS);
	assert_int_equal(get_u32(arg, 28), 4); /* dev_flags: PASID */
	put_u32(arg, 16, 11);		       /* stdev */
	put_u32(arg, 20, 12);		       /* hwpt */
	put_u32(arg, 24, 13);		       /* idev */
}

/* A PASID mock rests on a PASID-compatible HWPT of the private IOAS. */
static void fill_park_hwpt(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 1u << 3); /* IOMMU_HWPT_ALLOC_PASID */
	assert_int_equal(get_u32(arg, 8), 13);
	assert_int_equal(get_u32(arg, 12), 9);
	put_u32(arg, 16, 20);
}

static void check_park_replace(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 10); /* MOCK_DOMAIN_REPLACE */
	assert_int_equal(get_u32(arg, 16), 20);
}

static uint32_t want_op;

static void check_pasid_op(void *arg)
{
	assert_int_equal(get_u32(arg, 0), 72);
	assert_int_equal(get_u32(arg, 4), want_op);
	assert_int_equal(get_u32(arg, 8), 11); /* the mock device object */
	assert_int_equal(get_u32(arg, 16), want_pasid);
	if (want_op != TEST_OP_PASID_DETACH) {
		assert_int_equal(get_u32(arg, 20), want_pt);
		put_u32(arg, 20, give_hwpt);
	}
}

static void check_destroy(void *arg)
{
	assert_int_equal(get_u32(arg, 4), want_pt);
}

static void mock_attach_replace_detach(void **state)
{
	struct fixture *f = *state;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_pasid_entry e[2];
	uint32_t dev_id = 0, hwpt = 0;
	void *bdev = NULL;

	/* The PASID-capable mock device is class 3 with 20 bits, like
	 * examples/topologies/mock.ini's mock2; a plain one is class 0. */
	assert_int_equal(f->ops->dev_info_get(f->be, "mock0:pasid", &info), 0);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_PASSTHROUGH);
	assert_int_equal(info.pasid_width, 20);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_HARDWARE);
	{
		struct ioasid_dev_info plain = { .sz = sizeof(plain) };

		assert_int_equal(f->ops->dev_info_get(f->be, "mock1", &plain), 0);
		assert_int_equal(plain.dev_class, IOASID_CLASS_RID_ONLY);
		assert_int_equal(plain.pasid_width, 0);
	}

	assert_int_equal(f->ops->dev_open(f->be, &info, &bdev), 0);
	expect_ioctl(REQ_IOAS_ALLOC, 0, fill_ioas_9);
	expect_ioctl(REQ_TEST_CMD, 0, fill_mock_domain);
	expect_ioctl(REQ_HWPT_ALLOC, 0, fill_park_hwpt);
	expect_ioctl(REQ_TEST_CMD, 0, check_park_replace);
	assert_int_equal(f->ops->dev_bind(f->be, bdev, &dev_id), 0);

	want_op = TEST_OP_PASID_ATTACH, want_pasid = 7, want_pt = 2, give_hwpt = 14;
	expect_ioctl(REQ_TEST_CMD, 0, check_pasid_op);
	assert_int_equal(f->ops->dev_pasid_attach(f->be, bdev, 7, 7, 2, false, &hwpt), 0);
	assert_int_equal(hwpt, 14);

	want_op = TEST_OP_PASID_REPLACE, want_pt = 3, give_hwpt = 15;
	expect_ioctl(REQ_TEST_CMD, 0, check_pasid_op);
	assert_int_equal(f->ops->dev_pasid_attach(f->be, bdev, 7, 7, 3, true, &hwpt), 0);
	assert_int_equal(hwpt, 15);
	assert_int_equal(list_pasids(f, bdev, e, 2), 1);
	assert_int_equal(e[0].pt_id, 3);
	assert_int_equal(e[0].hwpt_id, 15);

	/* A kernel whose selftest lacks the PASID ops. */
	want_op = TEST_OP_PASID_ATTACH, want_pasid = 8, want_pt = 2;
	expect_ioctl(REQ_TEST_CMD, EOPNOTSUPP, check_pasid_op);
	assert_int_equal(f->ops->dev_pasid_attach(f->be, bdev, 8, 8, 2, false, &hwpt),
			 -EOPNOTSUPP);
	assert_msg_has("IOMMU_TEST_OP_PASID_ATTACH mock 11 pasid 8 pt 2 (mock device mock0:pasid)");
	assert_msg_has("IOMMU_TEST_OP_PASID_* (CONFIG_IOMMUFD_TEST)");
	assert_msg_has("Linux 6.15");
	assert_int_equal(list_pasids(f, bdev, e, 2), 1);

	want_op = TEST_OP_PASID_DETACH, want_pasid = 7;
	expect_ioctl(REQ_TEST_CMD, 0, check_pasid_op);
	assert_int_equal(f->ops->dev_pasid_detach(f->be, bdev, 7), 0);
	assert_int_equal(list_pasids(f, bdev, e, 2), 0);

	want_pt = 11;
	expect_ioctl(REQ_DESTROY, 0, check_destroy);
	expect_ioctl(REQ_DESTROY, 0, NULL); /* the parking HWPT */
	expect_ioctl(REQ_DESTROY, 0, NULL); /* the private IOAS */
	f->ops->dev_close(f->be, bdev);
}

/* ------------------------------------------------------------------ */
/* Class detection                                                      */

static void sysfs_pasid_capability(void **state)
{
	uint8_t cfg[4096], width = 0;
	uint16_t caps = 0;

	(void)state;
	pcie_config(cfg, 20);
	add_pci("0000:00:04.0", cfg, sizeof(cfg));
	assert_int_equal(ioasid_sysfs_pci_pasid("0000:00:04.0", &width, &caps), 1);
	assert_int_equal(width, 20);
	assert_int_equal(caps, 0x6);

	/* A PCIe device without the capability. */
	pcie_config(cfg, -1);
	add_pci("0000:00:05.0", cfg, sizeof(cfg));
	assert_int_equal(ioasid_sysfs_pci_pasid("0000:00:05.0", &width, &caps), 0);

	/* A conventional PCI device: 256 bytes, no extended space. */
	add_pci("0000:00:06.0", cfg, 256);
	assert_int_equal(ioasid_sysfs_pci_pasid("0000:00:06.0", &width, &caps), 0);

	/* What an unprivileged reader gets: 64 bytes. */
	pcie_config(cfg, 20);
	add_pci("0000:00:07.0", cfg, 64);
	assert_int_equal(ioasid_sysfs_pci_pasid("0000:00:07.0", &width, &caps), -EACCES);

	/* A chain that loops ends. */
	pcie_config(cfg, -1);
	le32_put(cfg + 0x100, ext_hdr(0x0001, 0x100));
	add_pci("0000:00:08.0", cfg, sizeof(cfg));
	assert_int_equal(ioasid_sysfs_pci_pasid("0000:00:08.0", &width, &caps), 0);

	/* A VF shares its PF's capability. */
	pcie_config(cfg, -1);
	add_pci("0000:00:04.1", cfg, sizeof(cfg));
	fake_link("../0000:00:04.0", "bus/pci/devices/0000:00:04.1/physfn");
	width = 0;
	assert_int_equal(ioasid_sysfs_pci_pasid("0000:00:04.1", &width, &caps), 1);
	assert_int_equal(width, 20);

	/* No config file. */
	add_pci("0000:00:09.0", NULL, 0);
	assert_int_equal(ioasid_sysfs_pci_pasid("0000:00:09.0", &width, &caps), -ENODEV);
}

/* The backend's report: what sysfs and the bound device's IOMMU say. */
static void pci_info(struct fixture *f, const char *name,
		     struct ioasid_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->sz = sizeof(*info);
	assert_int_equal(f->ops->dev_info_get(f->be, name, info), 0);
}

/* The fields core derives from a report's class (lib/core/inventory.c
 * finishes every report with this rule of lib/model, then ioasid.conf). */
static void finished(struct ioasid_dev_info *info)
{
	ioasid_dev_class_finish(info, info->class_source);
}

/* A report as the public API gives it, from a context on @fd. */
static void ctx_info(struct ioasid_ctx *ctx, const char *name,
		     struct ioasid_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->sz = sizeof(*info);
	assert_int_equal(ioasid_dev_info_get(ctx, name, info), 0);
}

static void fill_hw_info(void *arg)
{
	assert_int_equal(get_u32(arg, 8), 6); /* dev_id */
	((uint8_t *)arg)[28] = 16;	      /* out_max_pasid_log2 */
}

static void fill_hw_info_old(void *arg)
{
	(void)arg; /* a kernel before 6.15 leaves out_max_pasid_log2 0 */
}

static void class_from_sysfs_and_hw_info(void **state)
{
	struct fixture *f = *state;
	struct ioasid_dev_info info;
	uint8_t cfg[4096];
	void *bdev;

	/* Unbound: what the capability says. */
	pcie_config(cfg, 20);
	add_pci(PCI_DEV, cfg, sizeof(cfg));
	pci_info(f, PCI_DEV, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_PASSTHROUGH);
	assert_int_equal(info.pasid_width, 20);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_HARDWARE);
	finished(&info);
	assert_true(info.needs_vpasid);
	assert_false(info.needs_cpu_translation);

	/* Bound: the IOMMU's answer narrows it to 16 bits. */
	bdev = open_vfio(f);
	bind_vfio(f, bdev);
	expect_ioctl(REQ_GET_HW_INFO, 0, fill_hw_info);
	pci_info(f, PCI_DEV, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_PASSTHROUGH);
	assert_int_equal(info.pasid_width, 16);

	/* An old kernel's 0 changes nothing, a failure neither (and
	 * leaves no message). */
	expect_ioctl(REQ_GET_HW_INFO, 0, fill_hw_info_old);
	pci_info(f, PCI_DEV, &info);
	assert_int_equal(info.pasid_width, 20);
	expect_ioctl(REQ_GET_HW_INFO, ENOTTY, NULL);
	pci_info(f, PCI_DEV, &info);
	assert_int_equal(info.pasid_width, 20);
	assert_string_equal(ioasid_errmsg(), "");

	/* The capability unreadable (not root): unknown, so class 0 by
	 * default, until the bound device's IOMMU says more. */
	pcie_config(cfg, 20);
	fake_write("bus/pci/devices/" PCI_DEV "/config", cfg, 64);
	expect_ioctl(REQ_GET_HW_INFO, 0, fill_hw_info);
	pci_info(f, PCI_DEV, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_PASSTHROUGH);
	assert_int_equal(info.pasid_width, 16);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_HARDWARE);
	f->ops->dev_close(f->be, bdev);
	pci_info(f, PCI_DEV, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_RID_ONLY);
	assert_int_equal(info.pasid_width, 0);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_DEFAULT);

	/* Known to have none. */
	pcie_config(cfg, -1);
	fake_write("bus/pci/devices/" PCI_DEV "/config", cfg, sizeof(cfg));
	pci_info(f, PCI_DEV, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_RID_ONLY);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_HARDWARE);
}

/* mdevs default to class 1 (sysfs does not say whether an mdev type uses
 * a PASID); the configuration decides classes 2, 4 and 5, for mdevs,
 * PCI and mock devices alike.  The backend reports what sysfs says; the
 * configuration is core's, applied to every report of a context. */
static void class_mdev_default_and_config(void **state)
{
	struct fixture *f = *state;
	struct ioasid_ctx *ctx = NULL;
	struct ioasid_dev_info info;
	uint8_t space[4096];
	char conf[PATH_MAX];
	const char *uuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001";
	FILE *file;

	pcie_config(space, 20);
	add_pci(PCI_DEV, space, sizeof(space));
	fake_mkdir("devices/pci0000:00/0000:00:05.0/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
	fake_mkdir("bus/mdev/devices");
	fake_link("../../../devices/pci0000:00/0000:00:05.0/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
		  "bus/mdev/devices/83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
	pci_info(f, uuid, &info);
	assert_int_equal(info.kind, IOASID_DEV_MDEV);
	assert_string_equal(info.parent, "0000:00:05.0");
	assert_int_equal(info.dev_class, IOASID_CLASS_MDEV_NO_PASID);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_DEFAULT);
	finished(&info);
	assert_false(info.needs_vpasid);

	snprintf(conf, sizeof(conf), "%s/ioasid.conf", fake_sysfs_root);
	file = fopen(conf, "w");
	assert_non_null(file);
	fprintf(file, "[device %s]\nclass = 2\npasid = 0x44\n"
		      "[device 00:04.0]\nclass = 5\n"
		      "[device mock0:pasid]\nclass = 4\npasid_width = 10\n", uuid);
	fclose(file);
	{
		IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_KERNEL,
			    .config = conf);

		/* Adopting checks the fd with a query of IOAS 0. */
		expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
		assert_int_equal(ioasid_ctx_from_fd(f->fd, &opts, &ctx), 0);
	}

	ctx_info(ctx, uuid, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_MDEV_FIXED_PASID);
	assert_int_equal(info.fixed_pasid, 0x44);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_CONFIG);

	ctx_info(ctx, PCI_DEV, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_CPU_TRANSLATE);
	assert_int_equal(info.pasid_width, 20); /* the hardware's, kept */
	assert_true(info.needs_vpasid);
	assert_true(info.needs_cpu_translation);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_CONFIG);
	/* The listing agrees with the lookup. */
	memset(&info, 0, sizeof(info));
	info.sz = sizeof(info);
	assert_int_equal(ioasid_dev_info_at(ctx, 0, &info), 0);
	assert_string_equal(info.name, PCI_DEV);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_CPU_TRANSLATE);

	ctx_info(ctx, "mock0:pasid", &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_DEV_TRANSLATE);
	assert_int_equal(info.pasid_width, 10);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_CONFIG);

	/* The backend itself still reports what sysfs says. */
	memset(&info, 0, sizeof(info));
	info.sz = sizeof(info);
	assert_int_equal(f->ops->dev_info_at(f->be, 0, &info), 0);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_PASSTHROUGH);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_HARDWARE);
	ioasid_ctx_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(vfio_attach_replace_detach, setup, teardown),
		cmocka_unit_test_setup_teardown(vfio_old_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(mock_attach_replace_detach, setup, teardown),
		cmocka_unit_test_setup_teardown(sysfs_pasid_capability, setup, teardown),
		cmocka_unit_test_setup_teardown(class_from_sysfs_and_hw_info, setup, teardown),
		cmocka_unit_test_setup_teardown(class_mdev_default_and_config, setup, teardown),
	};

	unsetenv("IOASID_CONFIG");
	return cmocka_run_group_tests_name("kernel_pasid", tests, NULL, NULL);
}
