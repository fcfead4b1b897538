// SPDX-License-Identifier: MIT
/*
 * The kernel backend's devices: VFIO device cdevs (open, checked against
 * sysfs; VFIO_DEVICE_BIND_IOMMUFD; attach, replace and detach, for the
 * device's RID and its PASIDs; close), with mock devices handed to
 * mock.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kernel-internal.h"
#include "sysfs.h"

int kernel_dev_open(void *be, const struct ioasid_dev_info *info,
		    void **bdev)
{
	struct kernel_dev *dev;
	const char *base;
	struct stat st;
	dev_t devt;
	int rc;

	if (((struct kernel_be *)be)->fd < 0)
		return ioasid_fail(-EBADF,
				   "cannot open device %s: this context was opened for inspection only (inspect_only), without /dev/iommu",
				   info->name);
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return ioasid_fail(-ENOMEM, "out of memory");
	dev->kind = info->kind;
	dev->fd = -1;
	memcpy(dev->name, info->name, sizeof(dev->name));
	dev->name[sizeof(dev->name) - 1] = '\0';

	if (info->kind == IOASID_DEV_MOCK) {
		char bad[IOASID_NAME_MAX];
		bool bad_flag;

		if (!kernel_parse_mock_name(dev->name, &dev->mock_flags, &bad_flag,
				     bad, sizeof(bad)) || bad_flag) {
			free(dev);
			return ioasid_fail(-EINVAL, "%s is not a mock device name",
					   info->name);
		}
		dev->next = ((struct kernel_be *)be)->devs;
		((struct kernel_be *)be)->devs = dev;
		*bdev = dev;
		return 0;
	}

	if (!info->cdev[0]) {
		rc = ioasid_fail(-ENODEV,
				 "device %s has no VFIO cdev: it is bound to %s%s%s; bind it to a VFIO driver, e.g. echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; echo %s > /sys/bus/pci/drivers_probe",
				 info->name, info->driver[0] ? "driver " : "no driver",
				 info->driver, "", info->name, info->name);
		free(dev);
		return rc;
	}
	memcpy(dev->cdev, info->cdev, sizeof(dev->cdev));
	dev->cdev[sizeof(dev->cdev) - 1] = '\0';

	dev->fd = open(dev->cdev, O_RDWR | O_CLOEXEC);
	if (dev->fd < 0) {
		int err = errno;
		const char *why =
			err == ENOENT ? ": the node is missing; the kernel needs CONFIG_VFIO_DEVICE_CDEV (Linux 6.6 or later) and devtmpfs or udev to create it"
			: err == EACCES || err == EPERM ? ": the caller needs read/write access to the node (root, or a udev rule or group)"
			: err == EBUSY ? ": the device is in use: another process has it, or it was opened through its legacy VFIO group"
			: "";

		rc = ioasid_fail(-err, "open %s (device %s): %s%s", dev->cdev,
				 dev->name, strerror(err), why);
		free(dev);
		return rc;
	}
	/* The node must be the device sysfs names, as QEMU checks: a stale
	 * or misplaced node would hand us another device. */
	base = strrchr(dev->cdev, '/');
	base = base ? base + 1 : dev->cdev;
	rc = ioasid_sysfs_vfio_devt(base, &devt);
	if (rc == 0 && fstat(dev->fd, &st) < 0)
		rc = ioasid_fail(-errno, "fstat %s: %s", dev->cdev, strerror(errno));
	if (rc == 0 && (!S_ISCHR(st.st_mode) || st.st_rdev != devt))
		rc = ioasid_fail(-ENODEV,
				 "%s is not the cdev of device %s: sysfs gives %u:%u for %s, the node is %u:%u",
				 dev->cdev, dev->name, major(devt), minor(devt),
				 base, major(st.st_rdev), minor(st.st_rdev));
	if (rc) {
		close(dev->fd);
		free(dev);
		return rc;
	}
	dev->next = ((struct kernel_be *)be)->devs;
	((struct kernel_be *)be)->devs = dev;
	*bdev = dev;
	return 0;
}

int kernel_dev_bind(void *be_, void *bdev, uint32_t *dev_id)
{
	struct kernel_be *be = be_;
	struct kernel_dev *dev = bdev;
	struct vfio_device_bind_iommufd bind = {
		/* No token: the pre-6.17 struct, accepted by every kernel. */
		.argsz = offsetofend(struct vfio_device_bind_iommufd, out_devid),
		.iommufd = be->fd,
	};
	int rc;

	if (dev->kind == IOASID_DEV_MOCK)
		return kernel_mock_bind(be, dev, dev_id);
	rc = kernel_ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (rc && kexplain_bind(be, rc, dev))
		return rc;
	if (rc)
		return kernel_fail(be, rc, FEAT(VFIO_CDEV), 0,
				   "VFIO_DEVICE_BIND_IOMMUFD %s (%s) iommufd %d",
				   dev->cdev, dev->name, be->fd);
	dev->bound = true;
	dev->dev_id = bind.out_devid;
	*dev_id = bind.out_devid;
	return 0;
}

int kernel_dev_attach(void *be_, void *bdev, uint32_t pt_id,
		      uint32_t *hwpt_id)
{
	struct kernel_be *be = be_;
	struct kernel_dev *dev = bdev;
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = offsetofend(struct vfio_device_attach_iommufd_pt, pt_id),
		.pt_id = pt_id,
	};
	int rc;

	if (dev->kind == IOASID_DEV_MOCK) {
		rc = kernel_mock_replace(be, dev, pt_id, hwpt_id, "attaching");
		if (rc == 0)
			dev->attached = true;
		return rc;
	}
	rc = kernel_ioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (rc && rc != -ENOTTY &&
	    kexplain_attach(be, rc, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", dev, pt_id))
		return rc;
	if (rc)
		return kernel_fail(be, rc, FEAT(VFIO_ATTACH), HINT_PIN,
				   "VFIO_DEVICE_ATTACH_IOMMUFD_PT %s (%s, dev %u) pt %u",
				   dev->cdev, dev->name, dev->dev_id, pt_id);
	krec_dev_on(be, dev, attach.pt_id, pt_id);
	dev->attached = true;
	*hwpt_id = attach.pt_id;
	return 0;
}

int kernel_dev_detach(void *be_, void *bdev)
{
	struct kernel_be *be = be_;
	struct kernel_dev *dev = bdev;
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = offsetofend(struct vfio_device_detach_iommufd_pt, flags),
	};
	int rc;

	if (dev->kind == IOASID_DEV_MOCK) {
		/* A mock device cannot be detached and stay bound: park it
		 * on the backend's private IOAS instead. */
		rc = kernel_mock_replace(be, dev,
					 dev->park_hwpt ? dev->park_hwpt : be->mock_ioas,
					 NULL, "detaching");
		if (rc == 0)
			dev->attached = false;
		return rc;
	}
	rc = kernel_ioctl(dev->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
	if (rc)
		return kernel_fail(be, rc, FEAT(VFIO_ATTACH), 0,
				   "VFIO_DEVICE_DETACH_IOMMUFD_PT %s (%s, dev %u)",
				   dev->cdev, dev->name, dev->dev_id);
	krec_dev_on(be, dev, 0, 0);
	dev->attached = false;
	return 0;
}

int ioasid_kernel_dev_fd(void *bdev)
{
	struct kernel_dev *dev = bdev;

	return dev ? dev->fd : -1;
}

int kernel_dev_fd(void *be, void *bdev)
{
	struct kernel_dev *dev = bdev;

	(void)be;
	if (dev->kind == IOASID_DEV_MOCK || dev->fd < 0)
		return ioasid_fail(-EOPNOTSUPP,
				   "device %s is a CONFIG_IOMMUFD_TEST mock: it has no VFIO fd",
				   dev->name);
	return dev->fd;
}

/*
 * vfio-pci exports a slice of a memory BAR (vfio_pci_core_feature_dma_buf()):
 * the region is looked up first (VFIO_DEVICE_GET_REGION_INFO, read only),
 * so that a slice it lacks is named with the region's size; the feature
 * call then answers the fd as its return value.
 */
int kernel_dev_dma_buf(void *be, void *bdev, uint32_t region, uint64_t offset,
		       uint64_t length, int *fd)
{
	struct kernel_be *k = be;
	struct kernel_dev *dev = bdev;
	struct vfio_region_info info = { .argsz = sizeof(info), .index = region };
	struct {
		struct vfio_device_feature hdr;
		struct vfio_device_feature_dma_buf buf;
		struct vfio_region_dma_range range;
	} __attribute__((packed)) req = { 0 };
	int rc;

	if (dev->kind == IOASID_DEV_MOCK || dev->fd < 0)
		return ioasid_fail(-EOPNOTSUPP,
				   "device %s is a CONFIG_IOMMUFD_TEST mock: it has no region %u (no BARs) to export as a dma-buf",
				   dev->name, region);
	if (region > VFIO_PCI_BAR5_REGION_INDEX)
		return ioasid_fail(-EINVAL,
				   "region %u of %s is not a BAR (0 to 5): only memory BARs can be exported as a dma-buf",
				   region, dev->name);
	rc = kernel_ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &info);
	if (rc)
		return kernel_fail(k, rc, NULL, 0,
				   "VFIO_DEVICE_GET_REGION_INFO %u of %s", region,
				   dev->name);
	if (!info.size)
		return ioasid_fail(-EINVAL,
				   "BAR %u of %s is not implemented (size 0): nothing to export",
				   region, dev->name);
	if (offset + length > info.size)
		return ioasid_fail(-EINVAL,
				   "dma-buf 0x%llx+0x%llx of BAR %u of %s: the BAR is 0x%llx bytes",
				   (unsigned long long)offset, (unsigned long long)length,
				   region, dev->name, (unsigned long long)info.size);
	req.hdr.argsz = sizeof(req);
	req.hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	req.buf.region_index = region;
	req.buf.open_flags = O_RDWR | O_CLOEXEC;
	req.buf.nr_ranges = 1;
	req.range.offset = offset;
	req.range.length = length;
	rc = ioctl(dev->fd, VFIO_DEVICE_FEATURE, &req);
	if (rc < 0) {
		rc = -errno;
		if (rc == -ENOTTY && !kernel_older(k, FEAT(DMA_BUF)))
			return ioasid_fail(rc,
					   "VFIO_DEVICE_FEATURE_DMA_BUF of BAR %u of %s: %s: vfio-pci of the kernel %s has no dma-buf exporter (CONFIG_VFIO_PCI_DMABUF, which needs PCI_P2PDMA and DMA_SHARED_BUFFER)",
					   region, dev->name, strerror(-rc), k->release);
		return kernel_fail(k, rc, FEAT(DMA_BUF), 0,
				   "VFIO_DEVICE_FEATURE_DMA_BUF of BAR %u of %s 0x%llx+0x%llx",
				   region, dev->name, (unsigned long long)offset,
				   (unsigned long long)length);
	}
	*fd = rc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* PASID attachments                                                    */

/* iommufd_hwpt_pasid_compat() wants the target HWPT, and the RID's HWPT
 * if the RID is attached, allocated with IOMMU_HWPT_ALLOC_PASID; the
 * automatic HWPT of an IOAS never is (seen on Linux 7.3). */
int kernel_pasid_einval(const struct kernel_be *be, const char *what)
{
	if (kernel_older(be, FEAT(VFIO_PASID)))
		return 0;
	return ioasid_fail(-EINVAL,
			   "%s: %s: the kernel attaches a PASID only to a HWPT allocated with IOMMU_HWPT_ALLOC_PASID (the automatic HWPT an IOAS gets never is), and only while the device's RID is detached or attached to such a HWPT too",
			   what, strerror(EINVAL));
}

/* VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID (Linux
 * 6.15; an attached PASID is replaced, vfio/iommufd.c
 * vfio_iommufd_physical_pasid_attach_ioas()); mock devices use
 * IOMMU_TEST_OP_PASID_ATTACH / _REPLACE on their selftest object. */
int kernel_dev_pasid_attach(void *be_, void *bdev, uint32_t pasid,
			    uint32_t vpasid, uint32_t pt_id,
			    bool replace, uint32_t *hwpt_id)
{
	struct kernel_be *be = be_;
	struct kernel_dev *dev = bdev;
	struct ioasid_pasid_entry e = { .vpasid = vpasid, .ppasid = pasid,
					.pt_id = pt_id, .hwpt_id = pt_id };
	int rc;

	if (!dev->bound)
		return ioasid_fail(-EINVAL, "device %s is not bound", dev->name);
	if (dev->kind == IOASID_DEV_MOCK) {
		rc = kernel_mock_pasid_attach(be, dev, pasid, pt_id, replace,
					      &e.hwpt_id);
		if (rc)
			return rc;
	} else {
		struct vfio_device_attach_iommufd_pt attach = {
			.argsz = offsetofend(struct vfio_device_attach_iommufd_pt, pasid),
			.flags = VFIO_DEVICE_ATTACH_PASID,
			.pt_id = pt_id,
			.pasid = pasid,
		};

		rc = kernel_ioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
		if (rc) {
			char what[IOASID_NAME_MAX * 2 + 96];

			snprintf(what, sizeof(what),
				 "VFIO_DEVICE_ATTACH_IOMMUFD_PT %s (%s, dev %u) pasid %u pt %u",
				 dev->cdev, dev->name, dev->dev_id, pasid, pt_id);
			if (rc == -EINVAL && kernel_pasid_einval(be, what))
				return -EINVAL;
			return kernel_fail(be, rc, FEAT(VFIO_PASID), HINT_PIN, "%s", what);
		}
		e.hwpt_id = attach.pt_id;
	}
	rc = pasid_recs_set(&dev->pasids, &e);
	if (rc)
		return rc;
	*hwpt_id = e.hwpt_id;
	return 0;
}

int kernel_dev_pasid_detach(void *be_, void *bdev, uint32_t pasid)
{
	struct kernel_be *be = be_;
	struct kernel_dev *dev = bdev;
	int rc;

	if (dev->kind == IOASID_DEV_MOCK) {
		rc = kernel_mock_pasid_detach(be, dev, pasid);
		if (rc)
			return rc;
	} else {
		struct vfio_device_detach_iommufd_pt detach = {
			.argsz = offsetofend(struct vfio_device_detach_iommufd_pt, pasid),
			.flags = VFIO_DEVICE_DETACH_PASID,
			.pasid = pasid,
		};

		rc = kernel_ioctl(dev->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
		if (rc)
			return kernel_fail(be, rc, FEAT(VFIO_PASID), 0,
					   "VFIO_DEVICE_DETACH_IOMMUFD_PT %s (%s, dev %u) pasid %u",
					   dev->cdev, dev->name, dev->dev_id, pasid);
	}
	pasid_recs_del(&dev->pasids, pasid);
	return 0;
}

int kernel_dev_pasid_list(void *be, void *bdev,
			  struct ioasid_pasid_entry *entries,
			  uint32_t *num)
{
	struct kernel_dev *dev = bdev;

	(void)be;
	return pasid_recs_list(&dev->pasids, entries, num);
}

void kernel_dev_close(void *be_, void *bdev)
{
	struct kernel_be *be = be_;
	struct kernel_dev *dev = bdev;

	if (!dev)
		return;
	/* Destroying the device destroys its vDEVICE too
	 * (iommufd_device_remove_vdev()). */
	if (dev->bound)
		kernel_obj_forget_dev(be, dev->dev_id);
	if (dev->kind == IOASID_DEV_MOCK) {
		if (dev->bound)
			kernel_mock_unbind(be, dev);
	} else if (dev->fd >= 0) {
		/* Closing the cdev detaches and unbinds (its PASIDs too:
		 * vfio_iommufd_physical_unbind()). */
		close(dev->fd);
		krec_dev_on(be, dev, 0, 0);
	}
	for (struct kernel_dev **p = &be->devs; *p; p = &(*p)->next)
		if (*p == dev) {
			*p = dev->next;
			break;
		}
	pasid_recs_free(&dev->pasids);
	free(dev);
}
