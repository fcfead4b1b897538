/* SPDX-License-Identifier: MIT */
/*
 * Device, IOMMU group and reserved-region discovery from sysfs, for the
 * kernel backend's inventory ops.  Needs no /dev/iommu, so inspection works
 * on kernels without iommufd.  Every call rescans sysfs: the result follows
 * hot-plug and driver rebinding, in a stable (sorted) order.
 *
 * The sysfs root is /sys unless the environment variable IOASID_SYSFS_ROOT
 * names another directory (the unit tests build a fake tree).
 *
 * Functions return 0 or a negative errno and set a message with
 * ioasid_fail() on failure.
 */
#ifndef IOASID_LIB_SYSFS_H
#define IOASID_LIB_SYSFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <ioasid/ioasid.h>

/* The sysfs root in use ("/sys" or $IOASID_SYSFS_ROOT). */
const char *ioasid_sysfs_root(void);

/* The @index-th device: PCI devices sorted by address, then mdevs sorted
 * by UUID.  -ENOENT past the end.  class and pasid_width are left 0: the
 * kernel backend detects them (ioasid_sysfs_pci_pasid() and more). */
int ioasid_sysfs_dev_info_at(uint32_t index, struct ioasid_dev_info *info);

/*
 * ioasid_sysfs_pci_pasid - the PCI PASID extended capability (id 0x1b) of
 * device @bdf (canonical form), from its config space in sysfs; a VF
 * without one uses its PF's, as the PCI spec has VFs share it.
 * @width: its Max PASID Width field (bits 12:8 of the capability register).
 * @caps: its Execute (bit 1) and Privileged Mode (bit 2) bits.
 *
 * Return: 1 present, 0 absent (also for conventional PCI devices, whose
 * 256-byte config space has no extended capabilities), -EACCES unknown:
 * sysfs gives the caller only the first 64 bytes (readable in full by
 * CAP_SYS_ADMIN only), -ENODEV no such device or config file.
 */
int ioasid_sysfs_pci_pasid(const char *bdf, uint8_t *width, uint16_t *caps);

/* The device called @name: "0000:00:03.0", "00:03.0", an mdev UUID or a
 * VFIO cdev path (/dev/vfio/devices/vfioN).  -ENODEV if there is none,
 * -EINVAL if @name is none of these forms. */
int ioasid_sysfs_dev_info_get(const char *name, struct ioasid_dev_info *info);

/* The @index-th IOMMU group, sorted by number; -ENOENT past the end. */
int ioasid_sysfs_group_info_at(uint32_t index,
			       struct ioasid_group_info *info);

/* Reserved regions of group @group sorted by start; @regions/@num as in
 * ioasid_group_resv_regions() (-EMSGSIZE with *@num the count needed).
 * -ENOENT if there is no such group. */
int ioasid_sysfs_group_resv_regions(int32_t group,
				    struct ioasid_resv_region *regions,
				    uint32_t *num);

/* The device number sysfs gives for VFIO cdev @vfio_name ("vfio0"), from
 * class/vfio-dev/NAME/dev; -ENODEV if there is none. */
int ioasid_sysfs_vfio_devt(const char *vfio_name, dev_t *devt);

/*
 * ioasid_sysfs_set_driver - bind PCI device @bdf (canonical form) to
 * @driver through driver_override, unbind and drivers_probe; @driver NULL
 * returns it to its default driver.  A device bound to another host
 * driver than vfio-pci is refused (-EBUSY) unless @force.  If the new
 * driver does not take the device (-ENOENT), the old binding is restored.
 */
int ioasid_sysfs_set_driver(const char *bdf, const char *driver, bool force);

/*
 * ioasid_sysfs_iommu_info - what sysfs says about the IOMMU behind device
 * @name: the VT-d capability register gives the address
 * width and large page sizes; elsewhere the aperture and page sizes are
 * estimates, without the *_KNOWN flags.
 */
int ioasid_sysfs_iommu_info(const char *name, struct ioasid_iommu_info *info);

#endif /* IOASID_LIB_SYSFS_H */
