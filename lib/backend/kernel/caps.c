// SPDX-License-Identifier: MIT
/*
 * The kernel backend's answer to ioasid_caps_get(): which iommufd ioctls
 * and flags the running kernel has, and what the IOMMU behind a bound
 * device can do, found without changing anything:
 *  - an ioctl: its number with a size of 0.  iommufd's dispatcher
 *    (main.c iommufd_fops_ioctl()) answers ENOTTY for a number it does
 *    not have and EINVAL for a size below the call's minimum, before any
 *    handler runs;
 *  - a flag: the call with the flag and object id 0 (which never
 *    exists).  The handler refuses an unknown flag with EOPNOTSUPP before
 *    it looks the object up, and a known one fails that lookup, ENOENT;
 *    older kernels may look up first (6.12's IOMMU_HWPT_ALLOC), so on a
 *    release before the flag's ENOENT counts as missing;
 *  - a device: IOMMU_GET_HW_INFO (the type, the capability bits, the
 *    PASID width, and the driver's registers for nesting);
 *  - the host, without /dev/iommu: the device node, the module and the
 *    kernel's configuration (/boot/config-RELEASE) say why.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-internal.h"
#include "caps.h"
#include "sysfs.h"

/* The ioctl number of each IOASID_CAP_KIND_IOCTL capability: all are
 * _IO(IOMMUFD_TYPE, nr), nr from the uAPI's enum (IOMMUFD_CMD_*) and,
 * for IOMMU_TEST_CMD, IOMMUFD_CMD_BASE + 32. */
static const uint8_t ioctl_nr[IOASID_CAP_COUNT] = {
	[IOASID_CAP_IOAS_ALLOC] = 0x81,
	[IOASID_CAP_IOAS_ALLOW_IOVAS] = 0x82,
	[IOASID_CAP_IOAS_COPY] = 0x83,
	[IOASID_CAP_IOAS_IOVA_RANGES] = 0x84,
	[IOASID_CAP_IOAS_MAP] = 0x85,
	[IOASID_CAP_IOAS_UNMAP] = 0x86,
	[IOASID_CAP_OPTION] = 0x87,
	[IOASID_CAP_HWPT_ALLOC] = 0x89,
	[IOASID_CAP_GET_HW_INFO] = 0x8a,
	[IOASID_CAP_HWPT_SET_DIRTY_TRACKING] = 0x8b,
	[IOASID_CAP_HWPT_GET_DIRTY_BITMAP] = 0x8c,
	[IOASID_CAP_HWPT_INVALIDATE] = 0x8d,
	[IOASID_CAP_FAULT_QUEUE_ALLOC] = 0x8e,
	[IOASID_CAP_IOAS_MAP_FILE] = 0x8f,
	[IOASID_CAP_VIOMMU_ALLOC] = 0x90,
	[IOASID_CAP_VDEVICE_ALLOC] = 0x91,
	[IOASID_CAP_IOAS_CHANGE_PROCESS] = 0x92,
	[IOASID_CAP_VEVENTQ_ALLOC] = 0x93,
	[IOASID_CAP_HW_QUEUE_ALLOC] = 0x94,
	[IOASID_CAP_IOAS_NOIOMMU_GET_PA] = 0x95,
	[IOASID_CAP_TEST_CMD] = IOASID_TEST_CMD_NR,
};

_Static_assert(IOMMU_IOAS_MAP_FILE == _IO(IOMMUFD_TYPE, 0x8f) &&
		       IOMMU_VEVENTQ_ALLOC == _IO(IOMMUFD_TYPE, 0x93),
	       "iommufd ioctl numbers differ from the uAPI's");

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * What /boot/config-RELEASE says of CONFIG_@opt: 'y', 'm', 'n' (not set)
 * or 0 when there is no such file or line.
 */
static char kconfig(const struct kernel_be *be, const char *opt)
{
	char path[128], line[256], want[80], unset[96];
	char val = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/boot/config-%s", be->release);
	f = fopen(path, "re");
	if (!f)
		return 0;
	snprintf(want, sizeof(want), "CONFIG_%s=", opt);
	snprintf(unset, sizeof(unset), "# CONFIG_%s is not set", opt);
	while (!val && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			val = line[strlen(want)];
		else if (!strncmp(line, unset, strlen(unset)))
			val = 'n';
	}
	fclose(f);
	return val;
}

/* Why there is no iommufd here, into @why. */
static void no_iommufd_why(const struct kernel_be *be, char *why, size_t size)
{
	char mod[512];
	char cfg = kconfig(be, "IOMMUFD");

	snprintf(mod, sizeof(mod), "%s/module/iommufd", ioasid_sysfs_root());
	if (exists("/dev/iommu"))
		snprintf(why, size,
			 "this context was opened for inspection only (inspect_only), without /dev/iommu, which exists: open one without inspect_only");
	else if (exists(mod))
		snprintf(why, size,
			 "no /dev/iommu though the iommufd module is loaded: the device node is missing (devtmpfs, udev)");
	else if (cfg == 'm')
		snprintf(why, size,
			 "no /dev/iommu: the kernel %s has iommufd as a module (CONFIG_IOMMUFD=m) that is not loaded: modprobe iommufd",
			 be->release);
	else if (cfg == 'n')
		snprintf(why, size,
			 "no /dev/iommu: the kernel %s is built without CONFIG_IOMMUFD (as Debian's own kernels are); iommufd needs a kernel with CONFIG_IOMMUFD (Linux 6.2 or later)",
			 be->release);
	else
		snprintf(why, size,
			 "no /dev/iommu and no iommufd module: the kernel %s has no CONFIG_IOMMUFD (Debian's own kernels do not), or iommufd is a module not loaded (modprobe iommufd)",
			 be->release);
}

/* VFIO device cdevs: a device bound to a VFIO driver shows a cdev
 * (/sys/class/vfio-dev/vfioN/dev) only with CONFIG_VFIO_DEVICE_CDEV. */
static void probe_vfio_cdev(const struct kernel_be *be, struct ioasid_cap *c)
{
	char path[512];
	bool any = false, cdev = false;
	char cfg = kconfig(be, "VFIO_DEVICE_CDEV");

	for (unsigned int i = 0; i < 64 && !cdev; i++) {
		snprintf(path, sizeof(path), "%s/class/vfio-dev/vfio%u",
			 ioasid_sysfs_root(), i);
		if (!exists(path))
			continue;
		any = true;
		snprintf(path, sizeof(path), "%s/class/vfio-dev/vfio%u/dev",
			 ioasid_sysfs_root(), i);
		cdev = exists(path);
	}
	if (cdev)
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "VFIO devices have cdevs (/dev/vfio/devices/vfioN)");
	else if (kernel_older(be, FEAT(VFIO_CDEV)))
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_KERNEL_TOO_OLD,
		    "the kernel %s is older than 6.6, which added VFIO device cdevs",
		    be->release);
	else if (any || cfg == 'n')
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_NOT_CONFIGURED,
		    "the kernel %s is built without CONFIG_VFIO_DEVICE_CDEV (as Debian's own kernels are): VFIO devices have only the group interface (/dev/vfio/N), which iommufd cannot bind",
		    be->release);
	else if (cfg == 'y')
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "CONFIG_VFIO_DEVICE_CDEV=y (/boot/config-%s); no device is bound to a VFIO driver yet",
		    be->release);
	else
		cap_set(c, IOASID_CAP_UNKNOWN, IOASID_CAP_OTHER,
		    "no device is bound to a VFIO driver, and the kernel's configuration is not readable, so nothing shows whether it has CONFIG_VFIO_DEVICE_CDEV");
}

/* An ioctl that is missing: ENOTTY on a kernel older than it, or on one
 * new enough, built without it. */
static void ioctl_missing(const struct kernel_be *be, struct ioasid_cap *c,
			  int rc)
{
	struct kfeature f = { c->name, c->since_major, c->since_minor };

	if (rc != -ENOTTY)
		cap_set(c, IOASID_CAP_UNKNOWN, IOASID_CAP_OTHER,
		    "%s with size 0 gave %s, neither EINVAL (there) nor ENOTTY (not there)",
		    c->name, kernel_errno_name(rc));
	else if (kernel_older(be, &f))
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_KERNEL_TOO_OLD,
		    "the kernel %s does not have it: it needs Linux %u.%u or later",
		    be->release, c->since_major, c->since_minor);
	else if (c->id == IOASID_CAP_TEST_CMD)
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_NOT_CONFIGURED,
		    "the kernel %s is built without CONFIG_IOMMUFD_TEST (mock devices are for testing only)",
		    be->release);
	else
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_NOT_CONFIGURED,
		    "the kernel %s does not have it though Linux %u.%u added it (a distribution kernel without it, or built without the option it needs)",
		    be->release, c->since_major, c->since_minor);
}

static void probe_ioctl(const struct kernel_be *be, struct ioasid_cap *c)
{
	uint32_t zero[4] = { 0 }; /* size 0: below every call's minimum */
	int rc = kernel_ioctl(be->fd, _IO(IOMMUFD_TYPE, ioctl_nr[c->id]), zero);

	if (rc == -EINVAL)
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "the kernel has it (added in %u.%u)", c->since_major,
		    c->since_minor);
	else
		ioctl_missing(be, c, rc);
}

/* A flag: EOPNOTSUPP when unknown, ENOENT (object 0) when known. */
static void flag_answer(const struct kernel_be *be, struct ioasid_cap *c,
			int rc, const char *ioctl)
{
	struct kfeature f = { c->name, c->since_major, c->since_minor };

	if (rc == -ENOENT && kernel_older(be, &f))
		/* Kernels before the flag may look the object up first
		 * (6.12's IOMMU_HWPT_ALLOC finds the device, then checks
		 * flags): ENOENT then says nothing of the flag. */
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_KERNEL_TOO_OLD,
		    "the kernel %s is older than Linux %u.%u, which added it to %s (its %s answered ENOENT for object 0 before looking at the flag, so only the release tells)",
		    be->release, c->since_major, c->since_minor, ioctl, ioctl);
	else if (rc == -ENOENT)
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "%s knows it (added in %u.%u); whether a device's IOMMU does is in its dev- lines",
		    ioctl, c->since_major, c->since_minor);
	else if (rc == -EOPNOTSUPP || rc == -ENOTTY)
		cap_set(c, IOASID_CAP_MISSING,
		    kernel_older(be, &f) ? IOASID_CAP_KERNEL_TOO_OLD : IOASID_CAP_OTHER,
		    "%s of the kernel %s refuses it (%s): it needs Linux %u.%u or later",
		    ioctl, be->release, kernel_errno_name(rc), c->since_major,
		    c->since_minor);
	else
		cap_set(c, IOASID_CAP_UNKNOWN, IOASID_CAP_OTHER,
		    "%s with it and object id 0 gave %s, neither ENOENT nor EOPNOTSUPP",
		    ioctl, kernel_errno_name(rc));
}

static void probe_hwpt_flag(const struct kernel_be *be, struct ioasid_cap *c,
			    uint32_t flag)
{
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd), .flags = flag };

	flag_answer(be, c, kernel_ioctl(be->fd, IOMMU_HWPT_ALLOC, &cmd),
		    "IOMMU_HWPT_ALLOC");
}

static void probe_hw_info_flag(const struct kernel_be *be, struct ioasid_cap *c)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
	};

	flag_answer(be, c, kernel_ioctl(be->fd, IOMMU_GET_HW_INFO, &cmd),
		    "IOMMU_GET_HW_INFO");
}

/* Nesting, as the driver's registers say. */
static void probe_nesting(struct ioasid_cap *c, uint32_t type,
			  const uint8_t *data, uint32_t len)
{
	uint64_t r;

	switch (type) {
	case IOMMU_HW_INFO_TYPE_INTEL_VTD:
		if (len < offsetofend(struct iommu_hw_info_vtd, ecap_reg))
			break;
		memcpy(&r, data + offsetof(struct iommu_hw_info_vtd, ecap_reg), 8);
		if (r & (1ull << 26))
			cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
			    "VT-d: ECAP_REG.NEST is set (ecap 0x%llx)",
			    (unsigned long long)r);
		else
			cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_IOMMU_LACKS,
			    "VT-d: ECAP_REG.NEST is clear (ecap 0x%llx): this IOMMU has no nested translation, so no nest-parent HWPT or stage 1 for a guest; use shadow page tables",
			    (unsigned long long)r);
		return;
	case IOMMU_HW_INFO_TYPE_ARM_SMMUV3:
		if (len < offsetof(struct iommu_hw_info_arm_smmuv3, idr) + 4)
			break;
		memcpy(&r, data + offsetof(struct iommu_hw_info_arm_smmuv3, idr), 4);
		r &= 0xffffffffull;
		if ((r & 3) == 3)
			cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
			    "SMMUv3: IDR0.S1P and IDR0.S2P are set (idr0 0x%llx)",
			    (unsigned long long)r);
		else
			cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_IOMMU_LACKS,
			    "SMMUv3: IDR0 has %s (idr0 0x%llx): nesting needs both stages",
			    (r & 2) ? "no stage 2 (S2P)" : "no stage 1 (S1P)",
			    (unsigned long long)r);
		return;
	case IOMMU_HW_INFO_TYPE_AMD:
		if (len < 8)
			break;
		memcpy(&r, data, 8);
		if (r & (1ull << 4))
			cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
			    "AMD: EFR.GTSup is set (efr 0x%llx)",
			    (unsigned long long)r);
		else
			cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_IOMMU_LACKS,
			    "AMD: EFR.GTSup is clear (efr 0x%llx): no guest translation",
			    (unsigned long long)r);
		return;
	case IOASID_HW_INFO_SELFTEST:
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "the CONFIG_IOMMUFD_TEST mock nests (IOASID_HWPT_DATA_SELFTEST)");
		return;
	case IOMMU_HW_INFO_TYPE_NONE:
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_IOMMU_LACKS,
		    "the IOMMU driver reports no hardware information (IOMMU_HW_INFO_TYPE_NONE), and so no nesting");
		return;
	default:
		cap_set(c, IOASID_CAP_UNKNOWN, IOASID_CAP_OTHER,
		    "hardware information type %#x is not one the library decodes",
		    type);
		return;
	}
	cap_set(c, IOASID_CAP_UNKNOWN, IOASID_CAP_OTHER,
	    "the driver data of type %#x is %u bytes, too short to decode",
	    type, len);
}

static void probe_device(struct kernel_be *be, uint32_t dev_id,
			 struct ioasid_cap *caps)
{
	struct ioasid_cap *c;
	uint8_t data[256];
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)data,
	};
	int rc;

	memset(data, 0, sizeof(data));
	rc = kernel_ioctl(be->fd, IOMMU_GET_HW_INFO, &cmd);
	c = &caps[IOASID_CAP_DEV_HW_INFO];
	if (rc) {
		cap_set(c, IOASID_CAP_MISSING,
		    rc == -ENOTTY ? IOASID_CAP_KERNEL_TOO_OLD : IOASID_CAP_OTHER,
		    "IOMMU_GET_HW_INFO on device id %u: %s%s", dev_id,
		    kernel_errno_name(rc),
		    rc == -ENOTTY ? " (it needs Linux 6.6)" :
		    rc == -EOPNOTSUPP ? " (the IOMMU driver has no hw_info)" : "");
		for (uint32_t i = IOASID_CAP_DEV_NESTING; i < IOASID_CAP_COUNT; i++)
			cap_set(&caps[i], IOASID_CAP_UNKNOWN, IOASID_CAP_OTHER,
			    "IOMMU_GET_HW_INFO failed, so the IOMMU does not say");
		return;
	}
	cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
	    "type %#x, capabilities %#llx, PASID width %u, %u bytes of driver data",
	    cmd.out_data_type, (unsigned long long)cmd.out_capabilities,
	    cmd.out_max_pasid_log2, cmd.data_len);

	probe_nesting(&caps[IOASID_CAP_DEV_NESTING], cmd.out_data_type, data,
		      cmd.data_len < sizeof(data) ? cmd.data_len : sizeof(data));

	c = &caps[IOASID_CAP_DEV_DIRTY_TRACKING];
	if (cmd.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING)
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "IOMMU_HW_CAP_DIRTY_TRACKING");
	else
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_IOMMU_LACKS,
		    "no IOMMU_HW_CAP_DIRTY_TRACKING: the IOMMU does not track dirty pages, so live migration must copy all of the devices' memory or trust the device");

	c = &caps[IOASID_CAP_DEV_PASID];
	if (kernel_older(be, FEAT(HWPT_PASID)))
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_KERNEL_TOO_OLD,
		    "PASID attach through iommufd needs Linux 6.15 (running %s)",
		    be->release);
	else if (cmd.out_max_pasid_log2)
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "%u-bit PASIDs (device and IOMMU)", cmd.out_max_pasid_log2);
	else
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_NO_PASID,
		    "out_max_pasid_log2 is 0: the device has no PASID capability (or it is not enabled), or its IOMMU has no PASID support");

	c = &caps[IOASID_CAP_DEV_ATS];
	if (cmd.out_capabilities & IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED)
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_IOMMU_LACKS,
		    "IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED: ATS is not supported or cannot be used on this device");
	else
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "no IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED: ATS may be enabled (kernels before that bit never set it)");
}

int kernel_caps_probe(void *be_, void *bdev, uint32_t dev_id,
		      struct ioasid_cap *caps, uint32_t num, char release[65])
{
	struct kernel_be *be = be_;
	char why[IOASID_CAP_WHY_MAX];

	(void)bdev;
	if (num < IOASID_CAP_COUNT)
		return ioasid_fail(-EINVAL, "caps_probe: %u entries", num);
	snprintf(release, 65, "%s", be->release);
	probe_vfio_cdev(be, &caps[IOASID_CAP_VFIO_CDEV]);

	if (be->fd < 0) {
		no_iommufd_why(be, why, sizeof(why));
		for (uint32_t i = 0; i < IOASID_CAP_COUNT; i++) {
			struct ioasid_cap *c = &caps[i];

			if (i == IOASID_CAP_IOMMUFD || c->kind == IOASID_CAP_KIND_IOCTL ||
			    c->kind == IOASID_CAP_KIND_FLAG ||
			    (c->kind == IOASID_CAP_KIND_DEVICE && i != IOASID_CAP_DEV_BIND))
				cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_NO_IOMMUFD,
				    "%s", why);
		}
		return 0;
	}
	cap_set(&caps[IOASID_CAP_IOMMUFD], IOASID_CAP_WORKS, IOASID_CAP_OK,
	    "/dev/iommu is open (kernel %s)", be->release);
	for (uint32_t i = 0; i < IOASID_CAP_COUNT; i++)
		if (caps[i].kind == IOASID_CAP_KIND_IOCTL && ioctl_nr[i])
			probe_ioctl(be, &caps[i]);
	probe_hwpt_flag(be, &caps[IOASID_CAP_HWPT_ALLOC_NEST_PARENT],
			IOMMU_HWPT_ALLOC_NEST_PARENT);
	probe_hwpt_flag(be, &caps[IOASID_CAP_HWPT_ALLOC_DIRTY_TRACKING],
			IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
	probe_hwpt_flag(be, &caps[IOASID_CAP_HWPT_FAULT_ID_VALID],
			IOMMU_HWPT_FAULT_ID_VALID);
	probe_hwpt_flag(be, &caps[IOASID_CAP_HWPT_ALLOC_PASID],
			IOMMU_HWPT_ALLOC_PASID);
	probe_hw_info_flag(be, &caps[IOASID_CAP_HW_INFO_INPUT_TYPE]);
	if (dev_id)
		probe_device(be, dev_id, caps);
	return 0;
}
