// SPDX-License-Identifier: MIT
/*
 * The kernel backend: the backend ops over /dev/iommu and VFIO device
 * cdevs, plus mock devices of CONFIG_IOMMUFD_TEST.  The only file of the
 * project that includes Linux uAPI headers.
 *
 * Structs are passed with size (or argsz) set to what this file fills in:
 * the kernel accepts a larger struct whose unknown tail is zero (E2BIG
 * otherwise) and a smaller one down to each ioctl's minimum, so one binary
 * runs on every kernel from the one that introduced a call.  A kernel that
 * lacks a call or flag is reported with the version it needs; nothing
 * falls back silently.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "config.h"
#include "internal.h"
#include "iommufd-test-abi.h"
#include "kernel.h"
#include "pasid.h"
#include "resv.h"
#include "sysfs.h"

#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))

#define IOASID_TEST_CMD _IO(IOMMUFD_TYPE, IOASID_TEST_CMD_NR)

/* The public range struct is handed to the kernel as is. */
_Static_assert(sizeof(struct ioasid_iova_range) == sizeof(struct iommu_iova_range) &&
		       offsetof(struct ioasid_iova_range, last) ==
			       offsetof(struct iommu_iova_range, last),
	       "struct ioasid_iova_range must match struct iommu_iova_range");

struct kernel_be {
	int fd;
	bool own_fd;
	char release[65]; /* uname -r, for messages */
	/* Private IOAS that bound mock devices rest on while "detached". */
	uint32_t mock_ioas;
	unsigned int mock_users;
	/* ioasid.conf(5), applied to every device report; may be NULL. */
	struct ioasid_config *cfg;
	/* Open devices, so that a report can ask a bound one's IOMMU. */
	struct kernel_dev *devs;
};

struct kernel_dev {
	enum ioasid_dev_kind kind;
	char name[IOASID_NAME_MAX];
	char cdev[IOASID_NAME_MAX];
	int fd;		    /* VFIO device fd, -1 for mocks */
	bool bound;
	bool attached;
	uint32_t dev_id;
	uint32_t mock_flags;
	uint32_t stdev_id;  /* mock device object */
	/* PASID mocks: the PASID-compatible HWPT of the private IOAS they
	 * rest on while "detached" (0: the IOAS's automatic one). */
	uint32_t park_hwpt;
	struct pasid_recs pasids; /* PASID attachments (lib/pasid.h) */
	struct kernel_dev *next;  /* in kernel_be.devs */
};

/* A call or flag and the first kernel that has it. */
struct kfeature {
	const char *what;
	unsigned int major, minor;
};

static const struct kfeature FEAT_IOMMUFD = { "iommufd (/dev/iommu)", 6, 2 };
static const struct kfeature FEAT_MAP_FILE = { "IOMMU_IOAS_MAP_FILE (mapping a file)", 6, 13 };
static const struct kfeature FEAT_HWPT_ALLOC = { "IOMMU_HWPT_ALLOC", 6, 6 };
static const struct kfeature FEAT_GET_HW_INFO = { "IOMMU_GET_HW_INFO", 6, 6 };
static const struct kfeature FEAT_DIRTY_BITMAP = {
	"IOMMU_HWPT_GET_DIRTY_BITMAP (used to check that an object is a HWPT before destroying it)",
	6, 7
};
static const struct kfeature FEAT_VFIO_CDEV = {
	"VFIO device cdev binding (VFIO_DEVICE_BIND_IOMMUFD, CONFIG_VFIO_DEVICE_CDEV)", 6, 6
};
static const struct kfeature FEAT_VFIO_PASID = {
	"VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID", 6, 15
};
static const struct kfeature FEAT_TEST_PASID = {
	"IOMMU_TEST_OP_PASID_* (CONFIG_IOMMUFD_TEST)", 6, 15
};
static const struct kfeature FEAT_VFIO_ATTACH = {
	"VFIO_DEVICE_ATTACH_IOMMUFD_PT (CONFIG_VFIO_DEVICE_CDEV)", 6, 6
};
static const struct kfeature FEAT_TEST = {
	"IOMMU_TEST_CMD mock devices (CONFIG_IOMMUFD_TEST)", 6, 2
};
static const struct kfeature FEAT_TEST_FLAGS = {
	"IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS (mock device flags, CONFIG_IOMMUFD_TEST)", 6, 7
};
static const struct kfeature FEAT_TEST_REPLACE = {
	"IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE (CONFIG_IOMMUFD_TEST)", 6, 6
};

static const struct {
	uint32_t flag;
	struct kfeature feature;
} hwpt_flag_features[] = {
	{ IOMMU_HWPT_ALLOC_NEST_PARENT, { "IOMMU_HWPT_ALLOC_NEST_PARENT (nesting parent)", 6, 7 } },
	{ IOMMU_HWPT_ALLOC_DIRTY_TRACKING, { "IOMMU_HWPT_ALLOC_DIRTY_TRACKING (dirty tracking)", 6, 7 } },
	{ IOMMU_HWPT_FAULT_ID_VALID, { "IOMMU_HWPT_FAULT_ID_VALID (I/O page faults)", 6, 11 } },
	{ IOMMU_HWPT_ALLOC_PASID, { "IOMMU_HWPT_ALLOC_PASID (PASID attach)", 6, 15 } },
};

/* Hints added to a failure's message. */
#define HINT_PIN (1u << 0)	 /* ENOMEM means the pinning limit */
#define HINT_MSI (1u << 1)	 /* EPERM means no MSI isolation */

/* An ioctl as 0 or -errno. */
static int kioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) < 0 ? -errno : 0;
}

/* Whether the running kernel's release is older than @feat needs; false
 * when the release cannot be read. */
static bool kernel_older(const struct kernel_be *be, const struct kfeature *feat)
{
	unsigned int major, minor;

	if (!be || sscanf(be->release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < feat->major || (major == feat->major && minor < feat->minor);
}

/*
 * kfail - record the failure of an ioctl: "@fmt...: strerror", then what
 * the errno means here.
 * @feat: what the call needs, for ENOTTY / EOPNOTSUPP / E2BIG; may be
 *        NULL.
 */
static int __attribute__((format(printf, 5, 6)))
kfail(const struct kernel_be *be, int err, const struct kfeature *feat,
      unsigned int hints, const char *fmt, ...)
{
	char what[512], hint[768] = "";
	const char *release = be && be->release[0] ? be->release : "unknown";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	if (feat && err == -ENOTTY)
		snprintf(hint, sizeof(hint),
			 ": the running kernel (%s) does not have %s, which needs Linux %u.%u or later",
			 release, feat->what, feat->major, feat->minor);
	else if (feat && err == -EINVAL && kernel_older(be, feat))
		/* Older kernels refuse flag bits they do not know with
		 * EINVAL (VFIO_DEVICE_ATTACH_PASID before 6.15). */
		snprintf(hint, sizeof(hint),
			 ": the running kernel (%s) does not have %s, which needs Linux %u.%u or later",
			 release, feat->what, feat->major, feat->minor);
	else if (feat && err == -E2BIG)
		snprintf(hint, sizeof(hint),
			 ": the running kernel (%s) does not know a field of this call: %s needs Linux %u.%u or later",
			 release, feat->what, feat->major, feat->minor);
	else if (feat && err == -EOPNOTSUPP)
		snprintf(hint, sizeof(hint),
			 ": %s is not supported here: it needs Linux %u.%u or later (running %s) and an IOMMU driver that implements it",
			 feat->what, feat->major, feat->minor, release);
	else if ((hints & HINT_PIN) && err == -ENOMEM) {
		struct rlimit lim;
		char cur[48] = "unknown";

		if (getrlimit(RLIMIT_MEMLOCK, &lim) == 0) {
			if (lim.rlim_cur == RLIM_INFINITY)
				snprintf(cur, sizeof(cur), "unlimited");
			else
				snprintf(cur, sizeof(cur), "%llu KiB",
					 (unsigned long long)lim.rlim_cur / 1024);
		}
		snprintf(hint, sizeof(hint),
			 ": pinning the memory exceeds the locked-memory limit RLIMIT_MEMLOCK (now %s): raise it (ulimit -l, LimitMEMLOCK= in a systemd unit, memlock in limits.conf); by default (IOMMU_OPTION_RLIMIT_MODE 0) pinned pages are counted per user, so other processes of the same user count too, and a privileged manager (CAP_SYS_RESOURCE) can switch to per-process accounting with IOMMU_OPTION_RLIMIT_MODE 1",
			 cur);
	} else if (be && be->fd < 0 && err == -EBADF)
		snprintf(hint, sizeof(hint),
			 ": this context was opened for inspection only (inspect_only), without /dev/iommu; open it without inspect_only on a kernel with CONFIG_IOMMUFD");
	else if ((hints & HINT_MSI) && err == -EPERM)
		snprintf(hint, sizeof(hint),
			 ": the IOMMU does not isolate MSIs (no interrupt remapping, or virtio-iommu on x86), so iommufd refuses the device; enable interrupt remapping, or, accepting that the device can then inject arbitrary interrupts, boot with iommufd.allow_unsafe_interrupts=1 (or write 1 to /sys/module/iommufd/parameters/allow_unsafe_interrupts)");

	return ioasid_fail(err, "%s: %s%s", what, strerror(-err), hint);
}

/* ------------------------------------------------------------------ */
/* Context                                                              */

static void kernel_close(void *be_)
{
	struct kernel_be *be = be_;

	if (be->own_fd)
		close(be->fd);
	ioasid_config_free(be->cfg);
	free(be);
}

static void kernel_set_config(void *be_, struct ioasid_config *cfg)
{
	struct kernel_be *be = be_;

	ioasid_config_free(be->cfg);
	be->cfg = cfg;
}

static int kernel_ctx_fd(void *be_)
{
	struct kernel_be *be = be_;

	if (be->fd < 0)
		return ioasid_fail(-EBADF,
				   "this context was opened for inspection only (inspect_only): it has no iommufd");
	return be->fd;
}

/* ------------------------------------------------------------------ */
/* Inventory                                                            */

/* "mock", "mockN", then optionally ":flag,flag".  Return: whether @name
 * has that shape; *@flags gets the mock device flags. */
static bool parse_mock_name(const char *name, uint32_t *flags, bool *bad_flag,
			    char *bad, size_t bad_size)
{
	const char *p = name + 4;

	*flags = 0;
	*bad_flag = false;
	if (strncmp(name, "mock", 4))
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (!*p)
		return true;
	if (*p != ':')
		return false;
	p++;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == 5 && !strncmp(p, "pasid", 5))
			*flags |= IOASID_TEST_MOCK_DEV_PASID;
		else if (len == 8 && !strncmp(p, "no-dirty", 8))
			*flags |= IOASID_TEST_MOCK_DEV_NO_DIRTY;
		else {
			snprintf(bad, bad_size, "%.*s", (int)len, p);
			*bad_flag = true;
			return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return true;
}

static int kernel_hw_info(void *be_, uint32_t dev_id,
			  struct ioasid_hw_info *info, void *data,
			  uint32_t *data_len);

/*
 * The PASID class of a device sysfs described, in the order the facts
 * come: the PCI PASID capability (class 3 with its width, 0 without;
 * unknown to callers without CAP_SYS_ADMIN), then IOMMU_GET_HW_INFO's
 * max_pasid_log2 if this context has the device bound (the width both
 * the device and its IOMMU support; 0 refines nothing, since kernels
 * before 6.15 leave it 0 too), mdevs class 1 (sysfs does not say whether
 * an mdev type uses a PASID), then the configuration, which alone can
 * tell classes 2, 4 and 5.
 */
static void kernel_dev_class(struct kernel_be *be, struct ioasid_dev_info *info)
{
	enum ioasid_class_source src = IOASID_CLASS_SRC_DEFAULT;
	struct kernel_dev *dev;
	uint8_t width = 0;
	uint16_t caps;

	info->dev_class = IOASID_CLASS_RID_ONLY;
	info->pasid_width = 0;
	if (info->kind == IOASID_DEV_MDEV) {
		info->dev_class = IOASID_CLASS_MDEV_NO_PASID;
	} else if (info->kind == IOASID_DEV_PCI) {
		int rc = ioasid_sysfs_pci_pasid(info->name, &width, &caps);

		if (rc >= 0)
			src = IOASID_CLASS_SRC_HARDWARE;
		if (rc == 1 && width) {
			info->dev_class = IOASID_CLASS_PASID_PASSTHROUGH;
			info->pasid_width = width;
		}
		for (dev = be->devs; dev; dev = dev->next) {
			struct ioasid_hw_info hw = { .sz = sizeof(hw) };
			uint32_t len = 0;

			if (!dev->bound || strcmp(dev->name, info->name))
				continue;
			/* A report must not fail, nor leave a message,
			 * because the refinement did. */
			if (kernel_hw_info(be, dev->dev_id, &hw, NULL, &len)) {
				ioasid_clear_error();
			} else if (hw.max_pasid_log2) {
				info->dev_class = IOASID_CLASS_PASID_PASSTHROUGH;
				info->pasid_width = hw.max_pasid_log2;
				src = IOASID_CLASS_SRC_HARDWARE;
			}
			break;
		}
	}
	ioasid_dev_class_finish(info, src);
	ioasid_config_apply_dev(be->cfg, info);
}

static int kernel_dev_info_at(void *be, uint32_t index,
			      struct ioasid_dev_info *info)
{
	int rc = ioasid_sysfs_dev_info_at(index, info);

	if (rc == 0)
		kernel_dev_class(be, info);
	return rc;
}

/* Needs no iommufd: driver_override, unbind and drivers_probe in sysfs. */
static int kernel_set_driver(void *be, const char *name, const char *driver,
			     bool force)
{
	(void)be;
	return ioasid_sysfs_set_driver(name, driver, force);
}

static int kernel_dev_info_get(void *be, const char *name,
			       struct ioasid_dev_info *info)
{
	char bad[IOASID_NAME_MAX];
	uint32_t flags;
	bool bad_flag;
	int rc;

	if (parse_mock_name(name, &flags, &bad_flag, bad, sizeof(bad))) {
		size_t sz = info->sz;

		if (bad_flag)
			return ioasid_fail(-EINVAL,
					   "mock device %s: unknown flag \"%s\" (known: pasid, no-dirty)",
					   name, bad);
		if (strlen(name) >= IOASID_NAME_MAX)
			return ioasid_fail(-EINVAL, "mock device name %s is too long",
					   name);
		memset(info, 0, sizeof(*info));
		info->sz = sz;
		snprintf(info->name, sizeof(info->name), "%s", name);
		info->kind = IOASID_DEV_MOCK;
		info->group = -1;
		snprintf(info->driver, sizeof(info->driver), "iommufd-selftest");
		snprintf(info->iommu, sizeof(info->iommu), "mock");
		/* The selftest's PASID-capable mock device takes any PASID
		 * as is (class 3), 20 bits wide (MOCK_PASID_WIDTH), like
		 * [mock] devices with pasid_width = 20 and class = 3 in
		 * examples/topologies/mock.ini. */
		if (flags & IOASID_TEST_MOCK_DEV_PASID) {
			info->pasid_width = 20;
			info->dev_class = IOASID_CLASS_PASID_PASSTHROUGH;
		}
		ioasid_dev_class_finish(info, IOASID_CLASS_SRC_HARDWARE);
		ioasid_config_apply_dev(((struct kernel_be *)be)->cfg, info);
		return 0;
	}
	rc = ioasid_sysfs_dev_info_get(name, info);
	if (rc == 0)
		kernel_dev_class(be, info);
	return rc;
}

/* Sysfs for real IOMMUs; the selftest's mock IOMMU has fixed values
 * (iommufd_test.h MOCK_APERTURE_*, MOCK_PAGE_SIZE). */
static int kernel_iommu_info(void *be, const char *name,
			     struct ioasid_iommu_info *info)
{
	uint32_t flags;
	bool bad_flag;
	char bad[32];

	(void)be;
	if (parse_mock_name(name, &flags, &bad_flag, bad, sizeof(bad))) {
		snprintf(info->name, sizeof(info->name), "mock");
		info->aperture_start = 1ull << 24;
		info->aperture_last = (1ull << 31) - 1;
		info->page_sizes = 2048;
		info->pasid_width = 20;
		info->flags = IOASID_IOMMU_APERTURE_KNOWN |
			      IOASID_IOMMU_PAGE_SIZES_KNOWN;
		return 0;
	}
	return resv_sysfs_iommu_info(name, info);
}

static int kernel_group_info_at(void *be, uint32_t index,
				struct ioasid_group_info *info)
{
	(void)be;
	return ioasid_sysfs_group_info_at(index, info);
}

static int kernel_group_resv_regions(void *be, int32_t group,
				     struct ioasid_resv_region *regions,
				     uint32_t *num)
{
	(void)be;
	return ioasid_sysfs_group_resv_regions(group, regions, num);
}

/* ------------------------------------------------------------------ */
/* IOAS and HWPT                                                        */

static int kernel_ioas_alloc(void *be_, uint32_t *ioas_id)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = kioctl(be->fd, IOMMU_IOAS_ALLOC, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_IOMMUFD, 0, "IOMMU_IOAS_ALLOC");
	*ioas_id = cmd.out_ioas_id;
	return 0;
}

/* IOMMU_IOAS_IOVA_RANGES asking for no ranges: ENOENT unless @id is an
 * IOAS, and it only reads.  Return: 1 IOAS, 0 not, or a negative errno. */
static int probe_ioas(struct kernel_be *be, uint32_t id)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = id,
	};
	int rc = kioctl(be->fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	if (rc == 0 || rc == -EMSGSIZE)
		return 1;
	if (rc == -ENOENT)
		return 0;
	return kfail(be, rc, &FEAT_IOMMUFD, 0,
		     "IOMMU_IOAS_IOVA_RANGES ioas %u (type check before destroy)", id);
}

/* IOMMU_HWPT_GET_DIRTY_BITMAP with length 0 and NO_CLEAR: ENOENT unless
 * @id is a paging HWPT; otherwise iommufd_check_iova_range() rejects the
 * zero length with EINVAL before any bit is read or cleared.  Return: 1
 * HWPT, 0 not, or a negative errno. */
static int probe_hwpt(struct kernel_be *be, uint32_t id)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = id,
		.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
	};
	int rc = kioctl(be->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);

	if (rc == -ENOENT)
		return 0;
	if (rc == -EINVAL)
		return 1;
	if (rc == -ENOTTY)
		return ioasid_fail(-EOPNOTSUPP,
				   "destroying hwpt %u: the running kernel (%s) does not have %s, which needs Linux %u.%u or later",
				   id, be->release[0] ? be->release : "unknown",
				   FEAT_DIRTY_BITMAP.what, FEAT_DIRTY_BITMAP.major,
				   FEAT_DIRTY_BITMAP.minor);
	return kfail(be, rc ? rc : -EIO, NULL, 0,
		     "IOMMU_HWPT_GET_DIRTY_BITMAP hwpt %u length 0 (type check before destroy) unexpectedly %s",
		     id, rc ? "failed" : "succeeded");
}

static int kernel_destroy(void *be_, uint32_t id, enum ioasid_obj_type type)
{
	struct kernel_be *be = be_;
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
	const char *name = type == IOASID_OBJ_IOAS ? "ioas" : "hwpt";
	int rc;

	rc = type == IOASID_OBJ_IOAS ? probe_ioas(be, id) : probe_hwpt(be, id);
	if (rc < 0) {
		errno = -rc;
		return rc;
	}
	if (rc == 0)
		return ioasid_fail(-ENOENT, "%s %u does not exist", name, id);
	rc = kioctl(be->fd, IOMMU_DESTROY, &cmd);
	if (rc == -EBUSY)
		return ioasid_fail(rc, "IOMMU_DESTROY %s %u: %s: %s", name, id,
				   strerror(-rc),
				   type == IOASID_OBJ_IOAS
					   ? "a device or HWPT still uses it"
					   : "a device is attached to it");
	if (rc)
		return kfail(be, rc, &FEAT_IOMMUFD, 0, "IOMMU_DESTROY %s %u", name, id);
	return 0;
}

static uint32_t map_flags(uint32_t flags)
{
	uint32_t out = 0;

	if (flags & IOASID_MAP_READ)
		out |= IOMMU_IOAS_MAP_READABLE;
	if (flags & IOASID_MAP_WRITE)
		out |= IOMMU_IOAS_MAP_WRITEABLE;
	if (!(flags & IOASID_MAP_ANY_IOVA))
		out |= IOMMU_IOAS_MAP_FIXED_IOVA;
	return out;
}

/* " iova 0x..." or " iova any" for messages. */
static const char *iova_str(char buf[32], uint32_t flags, uint64_t iova)
{
	if (flags & IOASID_MAP_ANY_IOVA)
		return " iova any";
	snprintf(buf, 32, " iova 0x%llx", (unsigned long long)iova);
	return buf;
}

static int kernel_ioas_map(void *be_, uint32_t ioas_id, uint32_t flags,
			   uint64_t va, uint64_t length, uint64_t *iova)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = map_flags(flags),
		.ioas_id = ioas_id,
		.user_va = va,
		.length = length,
		.iova = *iova,
	};
	char buf[32];
	int rc = kioctl(be->fd, IOMMU_IOAS_MAP, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_IOMMUFD, HINT_PIN,
			     "IOMMU_IOAS_MAP ioas %u%s length 0x%llx va 0x%llx",
			     ioas_id, iova_str(buf, flags, *iova),
			     (unsigned long long)length, (unsigned long long)va);
	*iova = cmd.iova;
	return 0;
}

static int kernel_ioas_map_file(void *be_, uint32_t ioas_id, uint32_t flags,
				int fd, uint64_t start, uint64_t length,
				uint64_t *iova)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = map_flags(flags),
		.ioas_id = ioas_id,
		.fd = fd,
		.start = start,
		.length = length,
		.iova = *iova,
	};
	char buf[32];
	int rc = kioctl(be->fd, IOMMU_IOAS_MAP_FILE, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_MAP_FILE, HINT_PIN,
			     "IOMMU_IOAS_MAP_FILE ioas %u%s length 0x%llx fd %d start 0x%llx",
			     ioas_id, iova_str(buf, flags, *iova),
			     (unsigned long long)length, fd,
			     (unsigned long long)start);
	*iova = cmd.iova;
	return 0;
}

static int kernel_ioas_unmap(void *be_, uint32_t ioas_id, uint64_t iova,
			     uint64_t length, uint64_t *unmapped)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc = kioctl(be->fd, IOMMU_IOAS_UNMAP, &cmd);

	if (rc) {
		if (iova == 0 && length == UINT64_MAX)
			return kfail(be, rc, &FEAT_IOMMUFD, 0,
				     "IOMMU_IOAS_UNMAP ioas %u all", ioas_id);
		return kfail(be, rc, &FEAT_IOMMUFD, 0,
			     "IOMMU_IOAS_UNMAP ioas %u iova 0x%llx length 0x%llx",
			     ioas_id, (unsigned long long)iova,
			     (unsigned long long)length);
	}
	if (unmapped)
		*unmapped = cmd.length;
	return 0;
}

static int kernel_ioas_copy(void *be_, uint32_t dst_ioas, uint32_t src_ioas,
			    uint32_t flags, uint64_t length,
			    uint64_t *dst_iova, uint64_t src_iova)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = map_flags(flags),
		.dst_ioas_id = dst_ioas,
		.src_ioas_id = src_ioas,
		.length = length,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	char buf[32];
	int rc = kioctl(be->fd, IOMMU_IOAS_COPY, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_IOMMUFD, HINT_PIN,
			     "IOMMU_IOAS_COPY ioas %u%s from ioas %u iova 0x%llx length 0x%llx",
			     dst_ioas, iova_str(buf, flags, *dst_iova), src_ioas,
			     (unsigned long long)src_iova,
			     (unsigned long long)length);
	*dst_iova = cmd.dst_iova;
	return 0;
}

/* One call: on EMSGSIZE the kernel has filled the first *@num entries,
 * the count and the alignment, which is the public contract; callers
 * wanting everything call again with a bigger array. */
static int kernel_ioas_iova_ranges(void *be_, uint32_t ioas_id,
				   struct ioasid_iova_range *ranges,
				   uint32_t *num, uint64_t *alignment)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = ranges ? *num : 0,
		.allowed_iovas = (uintptr_t)ranges,
	};
	uint32_t room = cmd.num_iovas;
	int rc = kioctl(be->fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

	if (rc && rc != -EMSGSIZE)
		return kfail(be, rc, &FEAT_IOMMUFD, 0,
			     "IOMMU_IOAS_IOVA_RANGES ioas %u num %u", ioas_id,
			     room);
	*num = cmd.num_iovas;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	if (rc)
		return ioasid_fail(rc, "ioas %u has %u IOVA ranges, the array holds %u",
				   ioas_id, cmd.num_iovas, room);
	return 0;
}

static int kernel_ioas_allow_iovas(void *be_, uint32_t ioas_id,
				   const struct ioasid_iova_range *ranges,
				   uint32_t num)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int rc = kioctl(be->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);

	if (rc) {
		char list[160] = "";
		size_t used = 0;

		for (uint32_t i = 0; i < num && used < sizeof(list) - 40; i++)
			used += snprintf(list + used, sizeof(list) - used,
					 " 0x%llx-0x%llx",
					 (unsigned long long)ranges[i].start,
					 (unsigned long long)ranges[i].last);
		return kfail(be, rc, &FEAT_IOMMUFD, 0,
			     "IOMMU_IOAS_ALLOW_IOVAS ioas %u num %u%s%s", ioas_id,
			     num, list, used >= sizeof(list) - 40 ? " ..." : "");
	}
	return 0;
}

static int kernel_hwpt_alloc(void *be_, uint32_t dev_id, uint32_t pt_id,
			     uint32_t flags, uint32_t *hwpt_id)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	const struct kfeature *feat = &FEAT_HWPT_ALLOC;
	int rc = kioctl(be->fd, IOMMU_HWPT_ALLOC, &cmd);

	if (rc) {
		/* The call exists but a flag is the problem: name the
		 * newest flag asked for. */
		if (rc == -EOPNOTSUPP || rc == -E2BIG || rc == -EINVAL) {
			for (size_t i = 0; i < ARRAY_SIZE(hwpt_flag_features); i++)
				if (flags & hwpt_flag_features[i].flag)
					feat = &hwpt_flag_features[i].feature;
		}
		if (rc == -EINVAL && feat == &FEAT_HWPT_ALLOC)
			feat = NULL;
		return kfail(be, rc, rc == -EINVAL ? NULL : feat, 0,
			     "IOMMU_HWPT_ALLOC dev %u pt %u flags 0x%x", dev_id,
			     pt_id, flags);
	}
	*hwpt_id = cmd.out_hwpt_id;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Extra calls (lib/kernel.h)                                           */

static int kernel_hw_info(void *be_, uint32_t dev_id,
			  struct ioasid_hw_info *info, void *data,
			  uint32_t *data_len)
{
	struct kernel_be *be = be_;
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = *data_len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = kioctl(be->fd, IOMMU_GET_HW_INFO, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_GET_HW_INFO, 0,
			     "IOMMU_GET_HW_INFO dev %u data_len %u", dev_id,
			     *data_len);
	*data_len = cmd.data_len;
	info->type = cmd.out_data_type;
	info->max_pasid_log2 = cmd.out_max_pasid_log2;
	info->capabilities = cmd.out_capabilities;
	return 0;
}

static const char *option_name(uint32_t option)
{
	return option == IOASID_OPTION_RLIMIT_MODE ? "RLIMIT_MODE"
	       : option == IOASID_OPTION_HUGE_PAGES ? "HUGE_PAGES"
						    : "?";
}

static int kernel_option(void *be_, bool set, uint32_t option,
			 uint32_t object_id, uint64_t *val)
{
	struct kernel_be *be = be_;
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option == IOASID_OPTION_RLIMIT_MODE
				     ? IOMMU_OPTION_RLIMIT_MODE
				     : IOMMU_OPTION_HUGE_PAGES,
		.op = set ? IOMMU_OPTION_OP_SET : IOMMU_OPTION_OP_GET,
		.object_id = object_id,
		.val64 = set ? *val : 0,
	};
	int rc;

	if (option != IOASID_OPTION_RLIMIT_MODE &&
	    option != IOASID_OPTION_HUGE_PAGES)
		return ioasid_fail(-EINVAL, "unknown iommufd option %u", option);
	rc = kioctl(be->fd, IOMMU_OPTION, &cmd);
	if (rc == -EPERM && option == IOASID_OPTION_RLIMIT_MODE)
		return ioasid_fail(rc, "IOMMU_OPTION SET RLIMIT_MODE %llu: %s: changing the accounting mode needs CAP_SYS_RESOURCE; have a privileged manager set it on the fd it passes in",
				   (unsigned long long)*val, strerror(-rc));
	if (rc == -EBUSY && option == IOASID_OPTION_RLIMIT_MODE)
		return ioasid_fail(rc, "IOMMU_OPTION SET RLIMIT_MODE %llu: the iommufd already holds objects; set the mode first",
				   (unsigned long long)*val);
	if (rc && set)
		return kfail(be, rc, &FEAT_IOMMUFD, 0,
			     "IOMMU_OPTION SET %s object %u val %llu",
			     option_name(option), object_id,
			     (unsigned long long)*val);
	if (rc)
		return kfail(be, rc, &FEAT_IOMMUFD, 0, "IOMMU_OPTION GET %s object %u",
			     option_name(option), object_id);
	if (!set)
		*val = cmd.val64;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Mock devices                                                         */

static int test_cmd(struct kernel_be *be, struct ioasid_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return kioctl(be->fd, IOASID_TEST_CMD, cmd);
}

int ioasid_kernel_dev_fd(void *bdev)
{
	struct kernel_dev *dev = bdev;

	return dev ? dev->fd : -1;
}

static int kernel_dev_fd(void *be, void *bdev)
{
	struct kernel_dev *dev = bdev;

	(void)be;
	if (dev->kind == IOASID_DEV_MOCK || dev->fd < 0)
		return ioasid_fail(-EOPNOTSUPP,
				   "device %s is a CONFIG_IOMMUFD_TEST mock: it has no VFIO fd",
				   dev->name);
	return dev->fd;
}

uint32_t ioasid_kernel_mock_stdev_id(void *bdev)
{
	struct kernel_dev *dev = bdev;

	return dev && dev->kind == IOASID_DEV_MOCK && dev->bound ? dev->stdev_id : 0;
}

int ioasid_kernel_mock_add_reserved(void *be_, uint32_t ioas_id,
				    uint64_t start, uint64_t length)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_ADD_RESERVED,
		.id = ioas_id,
		.add_reserved = { .start = start, .length = length },
	};
	int rc = test_cmd(be, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_TEST, 0,
			     "IOMMU_TEST_OP_ADD_RESERVED ioas %u start 0x%llx length 0x%llx",
			     ioas_id, (unsigned long long)start,
			     (unsigned long long)length);
	return 0;
}

int ioasid_kernel_mock_check_map(void *be_, uint32_t hwpt_id, uint64_t iova,
				 uint64_t length, const void *va)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = { .iova = iova, .length = length,
			       .uptr = (uintptr_t)va },
	};
	int rc = test_cmd(be, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_TEST, 0,
			     "IOMMU_TEST_OP_MD_CHECK_MAP hwpt %u iova 0x%llx length 0x%llx va %p",
			     hwpt_id, (unsigned long long)iova,
			     (unsigned long long)length, va);
	return 0;
}

int ioasid_kernel_mock_check_refs(void *be_, const void *va, uint64_t length,
				  uint32_t refs)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = length, .uptr = (uintptr_t)va,
				.refs = refs },
	};
	int rc = test_cmd(be, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_TEST, 0,
			     "IOMMU_TEST_OP_MD_CHECK_REFS va %p length 0x%llx refs %u",
			     va, (unsigned long long)length, refs);
	return 0;
}

static void mock_ioas_put(struct kernel_be *be)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = be->mock_ioas };

	if (--be->mock_users)
		return;
	if (kioctl(be->fd, IOMMU_DESTROY, &cmd))
		ioasid_log(IOASID_WARN, "IOMMU_DESTROY of the mock devices' ioas %u: %s",
			   be->mock_ioas, strerror(errno));
	be->mock_ioas = 0;
}

static int mock_ioas_get(struct kernel_be *be)
{
	int rc;

	if (be->mock_users) {
		be->mock_users++;
		return 0;
	}
	rc = kernel_ioas_alloc(be, &be->mock_ioas);
	if (rc)
		return rc;
	be->mock_users = 1;
	return 0;
}

static int mock_replace(struct kernel_be *be, struct kernel_dev *dev,
			uint32_t pt_id, uint32_t *hwpt_id, const char *why);

/* Destroy the mock device (which detaches and unbinds it), then its
 * parking HWPT, then release the private IOAS they used. */
static void mock_unbind(struct kernel_be *be, struct kernel_dev *dev)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = dev->stdev_id };

	if (kioctl(be->fd, IOMMU_DESTROY, &cmd))
		ioasid_log(IOASID_WARN, "IOMMU_DESTROY mock device %s (object %u): %s",
			   dev->name, dev->stdev_id, strerror(errno));
	if (dev->park_hwpt) {
		cmd.id = dev->park_hwpt;
		if (kioctl(be->fd, IOMMU_DESTROY, &cmd))
			ioasid_log(IOASID_WARN,
				   "IOMMU_DESTROY hwpt %u (where mock device %s rested): %s",
				   dev->park_hwpt, dev->name, strerror(errno));
		dev->park_hwpt = 0;
	}
	dev->bound = false;
	mock_ioas_put(be);
}

static int mock_bind(struct kernel_be *be, struct kernel_dev *dev,
		     uint32_t *dev_id)
{
	struct ioasid_test_cmd cmd = {
		.op = dev->mock_flags ? IOASID_TEST_OP_MOCK_DOMAIN_FLAGS
				      : IOASID_TEST_OP_MOCK_DOMAIN,
		.mock_domain = { .dev_flags = dev->mock_flags },
	};
	int rc = mock_ioas_get(be);

	if (rc)
		return rc;
	cmd.id = be->mock_ioas;
	rc = test_cmd(be, &cmd);
	if (rc) {
		mock_ioas_put(be);
		return kfail(be, rc, dev->mock_flags ? &FEAT_TEST_FLAGS : &FEAT_TEST, 0,
			     "%s ioas %u dev_flags 0x%x (creating mock device %s)",
			     dev->mock_flags ? "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS"
					     : "IOMMU_TEST_OP_MOCK_DOMAIN",
			     cmd.id, dev->mock_flags, dev->name);
	}
	dev->stdev_id = cmd.mock_domain.out_stdev_id;
	dev->dev_id = cmd.mock_domain.out_idev_id;
	dev->bound = true;
	if (dev->mock_flags & IOASID_TEST_MOCK_DEV_PASID) {
		/* MOCK_DOMAIN put the RID on the IOAS's automatic HWPT,
		 * made without IOMMU_HWPT_ALLOC_PASID, and while the RID is
		 * on a HWPT that is not PASID-compatible the kernel refuses
		 * every PASID attach (iommufd_hwpt_pasid_compat()).  A real
		 * detached device has no RID domain, so nothing stops its
		 * PASIDs: park the mock on a PASID-compatible HWPT to match. */
		rc = kernel_hwpt_alloc(be, dev->dev_id, be->mock_ioas,
				       IOMMU_HWPT_ALLOC_PASID, &dev->park_hwpt);
		if (rc == 0)
			rc = mock_replace(be, dev, dev->park_hwpt, NULL,
					  "parking");
		if (rc) {
			mock_unbind(be, dev);
			return rc;
		}
	}
	*dev_id = dev->dev_id;
	return 0;
}

static int mock_replace(struct kernel_be *be, struct kernel_dev *dev,
			uint32_t pt_id, uint32_t *hwpt_id, const char *why)
{
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = dev->stdev_id,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int rc = test_cmd(be, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_TEST_REPLACE, HINT_PIN,
			     "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE mock %u pt %u (%s mock device %s)",
			     dev->stdev_id, pt_id, why, dev->name);
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain_replace.pt_id;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Devices                                                              */

static int kernel_dev_open(void *be, const struct ioasid_dev_info *info,
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

		if (!parse_mock_name(dev->name, &dev->mock_flags, &bad_flag,
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

static int kernel_dev_bind(void *be_, void *bdev, uint32_t *dev_id)
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
		return mock_bind(be, dev, dev_id);
	rc = kioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (rc)
		return kfail(be, rc, &FEAT_VFIO_CDEV, HINT_MSI,
			     "VFIO_DEVICE_BIND_IOMMUFD %s (%s) iommufd %d",
			     dev->cdev, dev->name, be->fd);
	dev->bound = true;
	dev->dev_id = bind.out_devid;
	*dev_id = bind.out_devid;
	return 0;
}

static int kernel_dev_attach(void *be_, void *bdev, uint32_t pt_id,
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
		rc = mock_replace(be, dev, pt_id, hwpt_id, "attaching");
		if (rc == 0)
			dev->attached = true;
		return rc;
	}
	rc = kioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	if (rc)
		return kfail(be, rc, &FEAT_VFIO_ATTACH, HINT_PIN,
			     "VFIO_DEVICE_ATTACH_IOMMUFD_PT %s (%s, dev %u) pt %u",
			     dev->cdev, dev->name, dev->dev_id, pt_id);
	dev->attached = true;
	*hwpt_id = attach.pt_id;
	return 0;
}

static int kernel_dev_detach(void *be_, void *bdev)
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
		rc = mock_replace(be, dev,
				  dev->park_hwpt ? dev->park_hwpt : be->mock_ioas,
				  NULL, "detaching");
		if (rc == 0)
			dev->attached = false;
		return rc;
	}
	rc = kioctl(dev->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
	if (rc)
		return kfail(be, rc, &FEAT_VFIO_ATTACH, 0,
			     "VFIO_DEVICE_DETACH_IOMMUFD_PT %s (%s, dev %u)",
			     dev->cdev, dev->name, dev->dev_id);
	dev->attached = false;
	return 0;
}

/* ------------------------------------------------------------------ */
/* PASID attachments                                                    */

/* What EINVAL from a PASID attach means on a kernel that has the call:
 * iommufd_hwpt_pasid_compat() wants the target HWPT, and the RID's HWPT
 * if the RID is attached, allocated with IOMMU_HWPT_ALLOC_PASID; the
 * automatic HWPT of an IOAS never is (seen on Linux 7.3). */
static int pasid_einval(const struct kernel_be *be, const char *what)
{
	if (kernel_older(be, &FEAT_VFIO_PASID))
		return 0;
	return ioasid_fail(-EINVAL,
			   "%s: %s: the kernel attaches a PASID only to a HWPT allocated with IOMMU_HWPT_ALLOC_PASID (the automatic HWPT an IOAS gets never is), and only while the device's RID is detached or attached to such a HWPT too",
			   what, strerror(EINVAL));
}

/* VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID (Linux
 * 6.15; an attached PASID is replaced, vfio/iommufd.c
 * vfio_iommufd_physical_pasid_attach_ioas()); mock devices use
 * IOMMU_TEST_OP_PASID_ATTACH / _REPLACE on their selftest object. */
static int kernel_dev_pasid_attach(void *be_, void *bdev, uint32_t pasid,
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
		struct ioasid_test_cmd cmd = {
			.op = replace ? IOASID_TEST_OP_PASID_REPLACE
				      : IOASID_TEST_OP_PASID_ATTACH,
			.id = dev->stdev_id,
			.pasid_attach = { .pasid = pasid, .pt_id = pt_id },
		};

		rc = test_cmd(be, &cmd);
		if (rc) {
			char what[160];

			snprintf(what, sizeof(what),
				 "%s mock %u pasid %u pt %u (mock device %s)",
				 replace ? "IOMMU_TEST_OP_PASID_REPLACE"
					 : "IOMMU_TEST_OP_PASID_ATTACH",
				 dev->stdev_id, pasid, pt_id, dev->name);
			if (rc == -EINVAL && pasid_einval(be, what))
				return -EINVAL;
			return kfail(be, rc, &FEAT_TEST_PASID, 0, "%s", what);
		}
		/* The test op leaves pt_id as given or names the HWPT. */
		e.hwpt_id = cmd.pasid_attach.pt_id;
	} else {
		struct vfio_device_attach_iommufd_pt attach = {
			.argsz = offsetofend(struct vfio_device_attach_iommufd_pt, pasid),
			.flags = VFIO_DEVICE_ATTACH_PASID,
			.pt_id = pt_id,
			.pasid = pasid,
		};

		rc = kioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
		if (rc) {
			char what[IOASID_NAME_MAX * 2 + 96];

			snprintf(what, sizeof(what),
				 "VFIO_DEVICE_ATTACH_IOMMUFD_PT %s (%s, dev %u) pasid %u pt %u",
				 dev->cdev, dev->name, dev->dev_id, pasid, pt_id);
			if (rc == -EINVAL && pasid_einval(be, what))
				return -EINVAL;
			return kfail(be, rc, &FEAT_VFIO_PASID, HINT_PIN, "%s", what);
		}
		e.hwpt_id = attach.pt_id;
	}
	rc = pasid_recs_set(&dev->pasids, &e);
	if (rc)
		return rc;
	*hwpt_id = e.hwpt_id;
	return 0;
}

static int kernel_dev_pasid_detach(void *be_, void *bdev, uint32_t pasid)
{
	struct kernel_be *be = be_;
	struct kernel_dev *dev = bdev;
	int rc;

	if (dev->kind == IOASID_DEV_MOCK) {
		struct ioasid_test_cmd cmd = {
			.op = IOASID_TEST_OP_PASID_DETACH,
			.id = dev->stdev_id,
			.pasid_detach = { .pasid = pasid },
		};

		rc = test_cmd(be, &cmd);
		if (rc)
			return kfail(be, rc, &FEAT_TEST_PASID, 0,
				     "IOMMU_TEST_OP_PASID_DETACH mock %u pasid %u (mock device %s)",
				     dev->stdev_id, pasid, dev->name);
	} else {
		struct vfio_device_detach_iommufd_pt detach = {
			.argsz = offsetofend(struct vfio_device_detach_iommufd_pt, pasid),
			.flags = VFIO_DEVICE_DETACH_PASID,
			.pasid = pasid,
		};

		rc = kioctl(dev->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
		if (rc)
			return kfail(be, rc, &FEAT_VFIO_PASID, 0,
				     "VFIO_DEVICE_DETACH_IOMMUFD_PT %s (%s, dev %u) pasid %u",
				     dev->cdev, dev->name, dev->dev_id, pasid);
	}
	pasid_recs_del(&dev->pasids, pasid);
	return 0;
}

static int kernel_dev_pasid_list(void *be, void *bdev,
				 struct ioasid_pasid_entry *entries,
				 uint32_t *num)
{
	struct kernel_dev *dev = bdev;

	(void)be;
	return pasid_recs_list(&dev->pasids, entries, num);
}

int ioasid_kernel_mock_pasid_check(void *be, void *bdev, uint32_t pasid,
				   uint32_t hwpt_id)
{
	struct kernel_dev *dev = bdev;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_PASID_CHECK_HWPT,
		.id = dev->stdev_id,
		.pasid_check = { .pasid = pasid, .hwpt_id = hwpt_id },
	};
	int rc = test_cmd(be, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_TEST_PASID, 0,
			     "IOMMU_TEST_OP_PASID_CHECK_HWPT mock %u pasid %u hwpt %u (mock device %s)",
			     dev->stdev_id, pasid, hwpt_id, dev->name);
	return 0;
}

static void kernel_dev_close(void *be_, void *bdev)
{
	struct kernel_be *be = be_;
	struct kernel_dev *dev = bdev;

	if (!dev)
		return;
	if (dev->kind == IOASID_DEV_MOCK) {
		if (dev->bound)
			mock_unbind(be, dev);
	} else if (dev->fd >= 0) {
		/* Closing the cdev detaches and unbinds (its PASIDs too:
		 * vfio_iommufd_physical_unbind()). */
		close(dev->fd);
	}
	for (struct kernel_dev **p = &be->devs; *p; p = &(*p)->next)
		if (*p == dev) {
			*p = dev->next;
			break;
		}
	pasid_recs_free(&dev->pasids);
	free(dev);
}

/* ------------------------------------------------------------------ */
/* PowerPC PAMU MSI banks: Linux 7.3 has no interface for them.  iommufd
 * has no such ioctl, drivers/vfio has no PAMU container driver (the FSL
 * PAMU VFIO work was for the legacy container, not iommufd), and
 * fsl_pamu_domain.c exposes no banks. */

static int kernel_no_msi_banks(uint32_t ioas_id)
{
	return ioasid_fail(-EOPNOTSUPP,
			   "ioas %u: Linux iommufd has no PowerPC PAMU MSI banks (only the simulator models them)",
			   ioas_id);
}

static int kernel_ioas_msi_banks(void *be, uint32_t ioas_id,
				 struct ioasid_msi_bank *banks, uint32_t *num)
{
	(void)be;
	(void)banks;
	(void)num;
	return kernel_no_msi_banks(ioas_id);
}

static int kernel_ioas_map_msi_bank(void *be, uint32_t ioas_id, uint32_t bank,
				    uint64_t iova)
{
	(void)be;
	(void)bank;
	(void)iova;
	return kernel_no_msi_banks(ioas_id);
}

static int kernel_ioas_unmap_msi_bank(void *be, uint32_t ioas_id,
				      uint32_t bank)
{
	(void)be;
	(void)bank;
	return kernel_no_msi_banks(ioas_id);
}

/* ------------------------------------------------------------------ */

static const struct ioasid_backend_ops kernel_ops = {
	.name = "kernel",
	.close = kernel_close,
	.ctx_fd = kernel_ctx_fd,
	.dev_info_at = kernel_dev_info_at,
	.dev_info_get = kernel_dev_info_get,
	.group_info_at = kernel_group_info_at,
	.group_resv_regions = kernel_group_resv_regions,
	.iommu_info = kernel_iommu_info,
	.ioas_alloc = kernel_ioas_alloc,
	.destroy = kernel_destroy,
	.ioas_map = kernel_ioas_map,
	.ioas_map_file = kernel_ioas_map_file,
	.ioas_unmap = kernel_ioas_unmap,
	.ioas_copy = kernel_ioas_copy,
	.ioas_iova_ranges = kernel_ioas_iova_ranges,
	.ioas_allow_iovas = kernel_ioas_allow_iovas,
	.hwpt_alloc = kernel_hwpt_alloc,
	.hw_info = kernel_hw_info,
	.option = kernel_option,
	.set_driver = kernel_set_driver,
	.dev_open = kernel_dev_open,
	.dev_bind = kernel_dev_bind,
	.dev_attach = kernel_dev_attach,
	.dev_detach = kernel_dev_detach,
	.dev_fd = kernel_dev_fd,
	.dev_close = kernel_dev_close,
	.dev_pasid_attach = kernel_dev_pasid_attach,
	.dev_pasid_detach = kernel_dev_pasid_detach,
	.dev_pasid_list = kernel_dev_pasid_list,
	.set_config = kernel_set_config,
	.ioas_msi_banks = kernel_ioas_msi_banks,
	.ioas_map_msi_bank = kernel_ioas_map_msi_bank,
	.ioas_unmap_msi_bank = kernel_ioas_unmap_msi_bank,
};

bool ioasid_kernel_backend_is(const struct ioasid_backend_ops *ops)
{
	return ops == &kernel_ops;
}

int ioasid_kernel_open(const char *dev_iommu, int fd, bool own_fd,
		       const struct ioasid_backend_ops **ops, void **be_out)
{
	struct kernel_be *be;
	struct utsname uts;

	be = calloc(1, sizeof(*be));
	if (!be)
		return ioasid_fail(-ENOMEM, "out of memory");
	if (uname(&uts) == 0)
		snprintf(be->release, sizeof(be->release), "%s", uts.release);

	if (!dev_iommu)
		dev_iommu = "/dev/iommu";
	if (fd < 0) {
		int err;

		fd = open(dev_iommu, O_RDWR | O_CLOEXEC);
		err = errno;
		if (fd < 0) {
			free(be);
			if (err == ENOENT || err == ENXIO || err == ENODEV)
				return ioasid_fail(-err,
						   "open %s: %s: the kernel needs CONFIG_IOMMUFD (Linux 6.2 or later; modprobe iommufd if it is a module)",
						   dev_iommu, strerror(err));
			if (err == EACCES || err == EPERM)
				return ioasid_fail(-err,
						   "open %s: %s: the caller needs read/write access to %s (root, or a udev rule or group granting it)",
						   dev_iommu, strerror(err), dev_iommu);
			return ioasid_fail(-err, "open %s: %s", dev_iommu,
					   strerror(err));
		}
		own_fd = true;
	} else {
		/* A harmless query of IOAS 0, which never exists: an
		 * iommufd answers ENOENT, anything else does not. */
		struct iommu_ioas_iova_ranges probe = { .size = sizeof(probe) };
		int rc = kioctl(fd, IOMMU_IOAS_IOVA_RANGES, &probe);

		if (rc != -ENOENT) {
			free(be);
			if (rc == -EBADF)
				return ioasid_fail(-EBADF, "fd %d is not open", fd);
			return ioasid_fail(-ENOTTY,
					   "fd %d is not an iommufd: IOMMU_IOAS_IOVA_RANGES on it gave %s instead of ENOENT",
					   fd, rc ? strerror(-rc) : "success");
		}
	}
	be->fd = fd;
	be->own_fd = own_fd;
	*ops = &kernel_ops;
	*be_out = be;
	return 0;
}

int ioasid_kernel_open_inspect(const struct ioasid_backend_ops **ops,
			       void **be_out)
{
	struct kernel_be *be;
	struct utsname uts;

	be = calloc(1, sizeof(*be));
	if (!be)
		return ioasid_fail(-ENOMEM, "out of memory");
	if (uname(&uts) == 0)
		snprintf(be->release, sizeof(be->release), "%s", uts.release);
	/* No iommufd: every ioctl on it gets EBADF, which kfail() explains. */
	be->fd = -1;
	be->own_fd = false;
	*ops = &kernel_ops;
	*be_out = be;
	return 0;
}
