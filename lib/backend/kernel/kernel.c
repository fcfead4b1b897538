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

#include "backend.h"
#include "config.h"
#include "hwpt-ext.h"
#include "util.h"
#include "iommufd-test-abi.h"
#include "kernel.h"
#include "pasid.h"
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
	/* Objects of the ext ops (struct kernel_obj), for typed destroy
	 * and to close the queue fds. */
	struct kernel_obj *objs;
};

static void ext_forget_dev(struct kernel_be *be, uint32_t dev_id);
static void ext_forget_hwpt(struct kernel_be *be, uint32_t hwpt_id);
static void ext_close_all(struct kernel_be *be);
static bool ext_is_nested_hwpt(const struct kernel_be *be, uint32_t id);

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
	struct pasid_recs pasids; /* PASID attachments (lib/model/pasid.h) */
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

	/* Each queue fd holds a reference on the iommufd context: close
	 * them, or the context outlives its fd. */
	ext_close_all(be);
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
	return ioasid_sysfs_iommu_info(name, info);
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
	/* The probe finds paging HWPTs only: a nested one is known by the
	 * ext ops' object list. */
	if (rc == 0 && type == IOASID_OBJ_HWPT && ext_is_nested_hwpt(be, id))
		rc = 1;
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
	if (type == IOASID_OBJ_HWPT)
		ext_forget_hwpt(be, id);
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
/* Extra calls (lib/backend/kernel/kernel.h)                                           */

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
	/* Destroying the device destroys its vDEVICE too
	 * (iommufd_device_remove_vdev()). */
	if (dev->bound)
		ext_forget_dev(be, dev->dev_id);
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
	.ext = &ioasid_kernel_ext_ops,
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

/* ------------------------------------------------------------------ */
/* Nested HWPTs, vIOMMU objects, event and fault queues, dirty tracking
 * (lib/backend/hwpt-ext.h) over the iommufd ioctls.                           */

/* The public values are the uAPI's, handed through as they are. */
_Static_assert(IOASID_HWPT_ALLOC_NEST_PARENT == IOMMU_HWPT_ALLOC_NEST_PARENT &&
		       IOASID_HWPT_ALLOC_DIRTY_TRACKING == IOMMU_HWPT_ALLOC_DIRTY_TRACKING &&
		       IOASID_HWPT_ALLOC_FAULT_ID_VALID == IOMMU_HWPT_FAULT_ID_VALID &&
		       IOASID_HWPT_ALLOC_PASID == IOMMU_HWPT_ALLOC_PASID,
	       "IOASID_HWPT_ALLOC_* must be the uAPI's flags");
_Static_assert(IOASID_HWPT_DATA_VTD_S1 == IOMMU_HWPT_DATA_VTD_S1 &&
		       IOASID_HWPT_DATA_ARM_SMMUV3 == IOMMU_HWPT_DATA_ARM_SMMUV3 &&
		       IOASID_INVALIDATE_DATA_VTD_S1 == IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 &&
		       IOASID_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3 ==
			       IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
	       "IOASID_HWPT_DATA_* / IOASID_INVALIDATE_DATA_* must be the uAPI's");
_Static_assert(IOASID_VIOMMU_TYPE_ARM_SMMUV3 == IOMMU_VIOMMU_TYPE_ARM_SMMUV3 &&
		       IOASID_VEVENTQ_TYPE_ARM_SMMUV3 == IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 &&
		       IOASID_VEVENTQ_TYPE_TEGRA241_CMDQV ==
			       IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV,
	       "IOASID_VIOMMU_TYPE_* / IOASID_VEVENTQ_TYPE_* must be the uAPI's");
_Static_assert(IOASID_VEVENT_LOST_EVENTS == IOMMU_VEVENTQ_FLAG_LOST_EVENTS &&
		       IOASID_FAULT_PASID_VALID == IOMMU_PGFAULT_FLAGS_PASID_VALID &&
		       IOASID_FAULT_LAST_PAGE == IOMMU_PGFAULT_FLAGS_LAST_PAGE &&
		       IOASID_FAULT_PERM_READ == IOMMU_PGFAULT_PERM_READ &&
		       IOASID_FAULT_PERM_PRIV == IOMMU_PGFAULT_PERM_PRIV &&
		       IOASID_FAULT_RESP_INVALID == IOMMUFD_PAGE_RESP_INVALID &&
		       IOASID_DIRTY_NO_CLEAR == IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
	       "event, fault and dirty flags must be the uAPI's");
/* Responses are written to the fault fd as they are. */
_Static_assert(sizeof(struct ioasid_fault_response) ==
			       sizeof(struct iommu_hwpt_page_response) &&
		       offsetof(struct ioasid_fault_response, code) ==
			       offsetof(struct iommu_hwpt_page_response, code),
	       "struct ioasid_fault_response must match struct iommu_hwpt_page_response");

static const struct kfeature FEAT_NESTED = {
	"nested HWPTs (IOMMU_HWPT_ALLOC with driver data)", 6, 7
};
static const struct kfeature FEAT_INVALIDATE = { "IOMMU_HWPT_INVALIDATE", 6, 8 };
static const struct kfeature FEAT_FAULT = {
	"IOMMU_FAULT_QUEUE_ALLOC (I/O page fault queues)", 6, 11
};
static const struct kfeature FEAT_VIOMMU = { "IOMMU_VIOMMU_ALLOC (vIOMMUs)", 6, 13 };
static const struct kfeature FEAT_VDEVICE = { "IOMMU_VDEVICE_ALLOC (vDEVICEs)", 6, 13 };
static const struct kfeature FEAT_VEVENTQ = {
	"IOMMU_VEVENTQ_ALLOC (vIOMMU event queues)", 6, 15
};
static const struct kfeature FEAT_DIRTY = {
	"dirty tracking (IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP)", 6, 7
};
static const struct kfeature FEAT_TEST_DIRTY = {
	"IOMMU_TEST_OP_DIRTY (CONFIG_IOMMUFD_TEST)", 6, 7
};
static const struct kfeature FEAT_TEST_IOTLB = {
	"IOMMU_TEST_OP_MD_CHECK_IOTLB (CONFIG_IOMMUFD_TEST)", 6, 7
};
static const struct kfeature FEAT_TEST_IOPF = {
	"IOMMU_TEST_OP_TRIGGER_IOPF (CONFIG_IOMMUFD_TEST)", 6, 11
};
static const struct kfeature FEAT_TEST_VEVENT = {
	"IOMMU_TEST_OP_TRIGGER_VEVENT (CONFIG_IOMMUFD_TEST)", 6, 15
};

/* HWPTs from hwpt_alloc_user share the list with the ext objects. */
#define KOBJ_HWPT ((enum ioasid_ext_obj)0)

struct kernel_obj {
	uint32_t id;
	enum ioasid_ext_obj type;
	int fd;		    /* vEVENTQ and fault queue; -1 otherwise */
	uint32_t dev_id;    /* vDEVICE */
	uint32_t qtype;	    /* vEVENTQ type */
	uint32_t fault_id;  /* HWPT: the fault queue it reports to, or 0 */
	bool nested;	    /* HWPT */
	unsigned int hwpts; /* fault queue: HWPTs reporting to it */
	struct kernel_obj *next;
};

static const char *const ext_names[] = {
	[KOBJ_HWPT] = "hwpt",
	[IOASID_EXT_VIOMMU] = "viommu",
	[IOASID_EXT_VDEVICE] = "vdevice",
	[IOASID_EXT_VEVENTQ] = "vEVENTQ",
	[IOASID_EXT_FAULT] = "fault queue",
};

static struct kernel_obj *ext_find(const struct kernel_be *be, uint32_t id,
				   enum ioasid_ext_obj type)
{
	for (struct kernel_obj *o = be->objs; o; o = o->next)
		if (o->id == id && o->type == type)
			return o;
	return NULL;
}

static int ext_add(struct kernel_be *be, uint32_t id, enum ioasid_ext_obj type,
		   int fd, struct kernel_obj **out)
{
	struct kernel_obj *o = calloc(1, sizeof(*o));

	if (!o)
		return ioasid_fail(-ENOMEM, "out of memory");
	o->id = id;
	o->type = type;
	o->fd = fd;
	o->next = be->objs;
	be->objs = o;
	if (out)
		*out = o;
	return 0;
}

static void ext_unlink(struct kernel_be *be, struct kernel_obj *obj)
{
	for (struct kernel_obj **p = &be->objs; *p; p = &(*p)->next)
		if (*p == obj) {
			*p = obj->next;
			break;
		}
	if (obj->fd >= 0)
		close(obj->fd);
	free(obj);
}

/* Undo an allocation the list could not record, so that the kernel and
 * the list agree. */
static void ext_undo_alloc(struct kernel_be *be, uint32_t id, int fd)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	if (fd >= 0)
		close(fd);
	if (kioctl(be->fd, IOMMU_DESTROY, &cmd))
		ioasid_log(IOASID_WARN, "IOMMU_DESTROY %u after a failure: %s", id,
			   strerror(errno));
}

static bool ext_is_nested_hwpt(const struct kernel_be *be, uint32_t id)
{
	const struct kernel_obj *o = ext_find(be, id, KOBJ_HWPT);

	return o && o->nested;
}

static void ext_forget_hwpt(struct kernel_be *be, uint32_t hwpt_id)
{
	struct kernel_obj *o = ext_find(be, hwpt_id, KOBJ_HWPT);
	struct kernel_obj *f;

	if (!o)
		return;
	if (o->fault_id && (f = ext_find(be, o->fault_id, IOASID_EXT_FAULT)))
		f->hwpts--;
	ext_unlink(be, o);
}

static void ext_forget_dev(struct kernel_be *be, uint32_t dev_id)
{
	for (struct kernel_obj *o = be->objs, *next; o; o = next) {
		next = o->next;
		if (o->type == IOASID_EXT_VDEVICE && o->dev_id == dev_id)
			ext_unlink(be, o);
	}
}

static void ext_close_all(struct kernel_be *be)
{
	while (be->objs)
		ext_unlink(be, be->objs);
}

/* The newest feature a HWPT allocation asks for, for its errors. */
static const struct kfeature *hwpt_user_feature(const struct ioasid_hwpt_user_args *a)
{
	const struct kfeature *feat = &FEAT_HWPT_ALLOC;

	if (a->data_type != IOMMU_HWPT_DATA_NONE)
		feat = &FEAT_NESTED;
	for (size_t i = 0; i < ARRAY_SIZE(hwpt_flag_features); i++)
		if ((a->flags & hwpt_flag_features[i].flag) &&
		    (hwpt_flag_features[i].feature.major > feat->major ||
		     (hwpt_flag_features[i].feature.major == feat->major &&
		      hwpt_flag_features[i].feature.minor > feat->minor)))
			feat = &hwpt_flag_features[i].feature;
	return feat;
}

static int kext_hwpt_alloc_user(void *be_, uint32_t dev_id, uint32_t pt_id,
				const struct ioasid_hwpt_user_args *a,
				uint32_t *hwpt_id)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = a->flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = a->data_type,
		.data_len = a->data_len,
		.data_uptr = (uintptr_t)a->data,
		.fault_id = (a->flags & IOMMU_HWPT_FAULT_ID_VALID) ? a->fault_id : 0,
	};
	struct kernel_obj *o = NULL;
	int rc = kioctl(be->fd, IOMMU_HWPT_ALLOC, &cmd);

	if (rc) {
		const struct kfeature *feat = hwpt_user_feature(a);

		if (rc == -ENOENT && (a->flags & IOMMU_HWPT_FAULT_ID_VALID))
			return ioasid_fail(rc,
					   "IOMMU_HWPT_ALLOC dev %u pt %u data type %#x fault %u: %s: no such device, parent or fault queue",
					   dev_id, pt_id, a->data_type, a->fault_id,
					   strerror(-rc));
		return kfail(be, rc, rc == -EINVAL && !kernel_older(be, feat) ? NULL : feat,
			     0, "IOMMU_HWPT_ALLOC dev %u pt %u flags 0x%x data type %#x data_len %u",
			     dev_id, pt_id, a->flags, a->data_type, a->data_len);
	}
	rc = ext_add(be, cmd.out_hwpt_id, KOBJ_HWPT, -1, &o);
	if (rc) {
		ext_undo_alloc(be, cmd.out_hwpt_id, -1);
		return rc;
	}
	o->nested = a->data_type != IOMMU_HWPT_DATA_NONE;
	if (a->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct kernel_obj *f = ext_find(be, a->fault_id, IOASID_EXT_FAULT);

		o->fault_id = a->fault_id;
		if (f)
			f->hwpts++;
	}
	*hwpt_id = cmd.out_hwpt_id;
	return 0;
}

static int kext_hwpt_invalidate(void *be_, uint32_t id, uint32_t data_type,
				const void *entries, uint32_t entry_len,
				uint32_t *entry_num)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = id,
		.data_uptr = (uintptr_t)entries,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *entry_num,
	};
	uint32_t asked = *entry_num;
	int rc = kioctl(be->fd, IOMMU_HWPT_INVALIDATE, &cmd);

	/* The kernel writes back the handled count, failure or not; an
	 * ioctl that never ran (ENOTTY) handled nothing. */
	*entry_num = rc == -ENOTTY ? 0 : cmd.entry_num;
	if (rc)
		return kfail(be, rc, &FEAT_INVALIDATE, 0,
			     "IOMMU_HWPT_INVALIDATE %u data type %#x, %u entries of %u bytes",
			     id, data_type, asked, entry_len);
	return 0;
}

static int kext_viommu_alloc(void *be_, uint32_t dev_id, uint32_t hwpt_id,
			     uint32_t type, uint32_t *viommu_id)
{
	struct kernel_be *be = be_;
	/* No driver data: the pre-6.17 struct. */
	struct iommu_viommu_alloc cmd = {
		.size = offsetofend(struct iommu_viommu_alloc, out_viommu_id),
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
	};
	int rc = kioctl(be->fd, IOMMU_VIOMMU_ALLOC, &cmd);

	if (rc == -EOPNOTSUPP && !kernel_older(be, &FEAT_VIOMMU))
		return ioasid_fail(rc,
				   "IOMMU_VIOMMU_ALLOC dev %u hwpt %u type %#x: %s: the IOMMU driver of device %u has no vIOMMU of that type (type 0 is reserved)",
				   dev_id, hwpt_id, type, strerror(-rc), dev_id);
	if (rc == -EINVAL)
		return ioasid_fail(rc,
				   "IOMMU_VIOMMU_ALLOC dev %u hwpt %u type %#x: %s: hwpt %u must be a paging HWPT allocated with IOASID_HWPT_ALLOC_NEST_PARENT",
				   dev_id, hwpt_id, type, strerror(-rc), hwpt_id);
	if (rc)
		return kfail(be, rc, &FEAT_VIOMMU, 0,
			     "IOMMU_VIOMMU_ALLOC dev %u hwpt %u type %#x", dev_id,
			     hwpt_id, type);
	rc = ext_add(be, cmd.out_viommu_id, IOASID_EXT_VIOMMU, -1, NULL);
	if (rc) {
		ext_undo_alloc(be, cmd.out_viommu_id, -1);
		return rc;
	}
	*viommu_id = cmd.out_viommu_id;
	return 0;
}

static int kext_vdevice_alloc(void *be_, uint32_t viommu_id, uint32_t dev_id,
			      uint64_t virt_id, uint32_t *vdevice_id)
{
	struct kernel_be *be = be_;
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	struct kernel_obj *o = NULL;
	int rc = kioctl(be->fd, IOMMU_VDEVICE_ALLOC, &cmd);

	if (rc == -EEXIST)
		return ioasid_fail(rc,
				   "IOMMU_VDEVICE_ALLOC viommu %u dev %u virt_id 0x%llx: %s: the device has a vDEVICE already, or the virt_id is taken in this vIOMMU",
				   viommu_id, dev_id, (unsigned long long)virt_id,
				   strerror(-rc));
	if (rc)
		return kfail(be, rc, &FEAT_VDEVICE, 0,
			     "IOMMU_VDEVICE_ALLOC viommu %u dev %u virt_id 0x%llx",
			     viommu_id, dev_id, (unsigned long long)virt_id);
	rc = ext_add(be, cmd.out_vdevice_id, IOASID_EXT_VDEVICE, -1, &o);
	if (rc) {
		ext_undo_alloc(be, cmd.out_vdevice_id, -1);
		return rc;
	}
	o->dev_id = dev_id;
	*vdevice_id = cmd.out_vdevice_id;
	return 0;
}

/* Bytes of data after each event header of a vEVENTQ @type (0: the
 * library does not know the type's record). */
static uint32_t vevent_data_len(uint32_t type)
{
	switch (type) {
	case IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
		return sizeof(struct iommu_vevent_arm_smmuv3);
	case IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
		return sizeof(struct iommu_vevent_tegra241_cmdqv);
	case IOASID_VEVENTQ_TYPE_SELFTEST:
		return IOASID_TEST_VEVENT_DATA_LEN;
	}
	return 0;
}
_Static_assert(sizeof(struct iommu_vevent_arm_smmuv3) <= IOASID_VEVENT_DATA_MAX,
	       "an SMMUv3 event must fit struct ioasid_vevent");

static int kext_veventq_alloc(void *be_, uint32_t viommu_id, uint32_t type,
			      uint32_t depth, uint32_t *id, int *fd)
{
	struct kernel_be *be = be_;
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.veventq_depth = depth,
	};
	struct kernel_obj *o = NULL;
	int rc;

	if (type && !vevent_data_len(type))
		return ioasid_fail(-EOPNOTSUPP,
				   "vEVENTQ type %#x: the library does not know the size of its events (it reads SMMUv3, Tegra241 CMDQV and selftest queues)",
				   type);
	rc = kioctl(be->fd, IOMMU_VEVENTQ_ALLOC, &cmd);
	if (rc == -EEXIST)
		return ioasid_fail(rc,
				   "IOMMU_VEVENTQ_ALLOC viommu %u type %#x depth %u: %s: the vIOMMU has a queue of that type already",
				   viommu_id, type, depth, strerror(-rc));
	if (rc == -EINVAL)
		return ioasid_fail(rc,
				   "IOMMU_VEVENTQ_ALLOC viommu %u type %#x depth %u: %s: the depth must be 1 to 2^19",
				   viommu_id, type, depth, strerror(-rc));
	if (rc)
		return kfail(be, rc, &FEAT_VEVENTQ, 0,
			     "IOMMU_VEVENTQ_ALLOC viommu %u type %#x depth %u",
			     viommu_id, type, depth);
	rc = ext_add(be, cmd.out_veventq_id, IOASID_EXT_VEVENTQ,
		     (int)cmd.out_veventq_fd, &o);
	if (rc) {
		ext_undo_alloc(be, cmd.out_veventq_id, (int)cmd.out_veventq_fd);
		return rc;
	}
	o->qtype = type;
	*id = cmd.out_veventq_id;
	*fd = (int)cmd.out_veventq_fd;
	return 0;
}

/* read(2) of a queue fd: the byte count, 0 when nothing waits (the
 * kernel's read never blocks; EAGAIN is taken as empty too), or
 * -errno. */
static ssize_t queue_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n;
}

/*
 * eventq.c iommufd_veventq_fops_read(): a run of header + data records,
 * a LOST_EVENTS header carrying no data.  A buffer of *@num whole events
 * never returns more than *@num records, since a LOST_EVENTS header can
 * only be the last.
 */
static int kext_veventq_read(void *be_, uint32_t id, struct ioasid_vevent *ev,
			     uint32_t *num)
{
	struct kernel_be *be = be_;
	struct kernel_obj *q = ext_find(be, id, IOASID_EXT_VEVENTQ);
	const size_t hdr = sizeof(struct iommufd_vevent_header);
	uint32_t dlen, n = 0;
	size_t off = 0, len;
	ssize_t got;
	char *buf;

	if (!q)
		return ioasid_fail(-ENOENT, "vEVENTQ %u does not exist in this context",
				   id);
	if (!*num)
		return 0;
	dlen = vevent_data_len(q->qtype);
	len = (size_t)*num * (hdr + dlen);
	buf = malloc(len);
	if (!buf)
		return ioasid_fail(-ENOMEM, "out of memory");
	got = queue_read(q->fd, buf, len);
	if (got < 0) {
		free(buf);
		return ioasid_fail((int)got, "read of vEVENTQ %u (fd %d): %s", id,
				   q->fd, strerror((int)-got));
	}
	while (off < (size_t)got && n < *num) {
		struct iommufd_vevent_header h;

		if ((size_t)got - off < hdr)
			break;
		memcpy(&h, buf + off, hdr);
		off += hdr;
		memset(&ev[n], 0, sizeof(ev[n]));
		ev[n].flags = h.flags;
		ev[n].sequence = h.sequence;
		if (!(h.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS)) {
			if ((size_t)got - off < dlen)
				break;
			ev[n].data_len = dlen;
			memcpy(ev[n].data, buf + off, dlen);
			off += dlen;
		}
		n++;
	}
	free(buf);
	*num = n;
	if (off != (size_t)got)
		return ioasid_fail(-EIO,
				   "read of vEVENTQ %u gave %zd bytes, %zu of them not a whole record of type %#x (%zu-byte header + %u bytes): the kernel's record layout differs",
				   id, got, (size_t)got - off, q->qtype, hdr, dlen);
	return 0;
}

static int kext_fault_alloc(void *be_, uint32_t *id, int *fd)
{
	struct kernel_be *be = be_;
	struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
	int rc = kioctl(be->fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_FAULT, 0, "IOMMU_FAULT_QUEUE_ALLOC");
	rc = ext_add(be, cmd.out_fault_id, IOASID_EXT_FAULT,
		     (int)cmd.out_fault_fd, NULL);
	if (rc) {
		ext_undo_alloc(be, cmd.out_fault_id, (int)cmd.out_fault_fd);
		return rc;
	}
	*id = cmd.out_fault_id;
	*fd = (int)cmd.out_fault_fd;
	return 0;
}

/* eventq.c iommufd_fault_fops_read(): whole groups of struct
 * iommu_hwpt_pgfault; EINVAL when the first group does not fit. */
static int kext_fault_read(void *be_, uint32_t id, struct ioasid_fault *out,
			   uint32_t *num)
{
	struct kernel_be *be = be_;
	struct kernel_obj *f = ext_find(be, id, IOASID_EXT_FAULT);
	struct iommu_hwpt_pgfault *recs;
	uint32_t n;
	ssize_t got;

	if (!f)
		return ioasid_fail(-ENOENT, "fault queue %u does not exist in this context",
				   id);
	recs = calloc(*num ? *num : 1, sizeof(*recs));
	if (!recs)
		return ioasid_fail(-ENOMEM, "out of memory");
	got = queue_read(f->fd, recs, (size_t)*num * sizeof(*recs));
	if (got < 0) {
		free(recs);
		*num = 0;
		if (got == -EINVAL)
			return ioasid_fail(-EINVAL,
					   "read of fault queue %u: room for %u faults does not hold the first fault group",
					   id, *num);
		return ioasid_fail((int)got, "read of fault queue %u (fd %d): %s",
				   id, f->fd, strerror((int)-got));
	}
	if (got % sizeof(*recs)) {
		free(recs);
		*num = 0;
		return ioasid_fail(-EIO,
				   "read of fault queue %u gave %zd bytes, not whole %zu-byte records",
				   id, got, sizeof(*recs));
	}
	n = (uint32_t)(got / sizeof(*recs));
	for (uint32_t i = 0; i < n; i++) {
		out[i] = (struct ioasid_fault){
			.flags = recs[i].flags,
			.dev_id = recs[i].dev_id,
			.pasid = recs[i].pasid,
			.grpid = recs[i].grpid,
			.perm = recs[i].perm,
			.addr = recs[i].addr,
			.length = recs[i].length,
			.cookie = recs[i].cookie,
		};
	}
	free(recs);
	*num = n;
	return 0;
}

/* eventq.c iommufd_fault_fops_write(): the kernel takes responses until
 * one fails and reports only how many it took; writing the rest again
 * yields the failing one's errno. */
static int kext_fault_respond(void *be_, uint32_t id,
			      const struct ioasid_fault_response *r,
			      uint32_t *num)
{
	struct kernel_be *be = be_;
	struct kernel_obj *f = ext_find(be, id, IOASID_EXT_FAULT);
	const size_t rsz = sizeof(struct iommu_hwpt_page_response);
	uint32_t done = 0;

	if (!f)
		return ioasid_fail(-ENOENT, "fault queue %u does not exist in this context",
				   id);
	while (done < *num) {
		ssize_t n = write(f->fd, r + done, (size_t)(*num - done) * rsz);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			*num = done;
			if (err == EINVAL)
				return ioasid_fail(-EINVAL,
						   "write to fault queue %u: response %u (cookie %u, code %u) refused: no fault group waits on that cookie, or the code is unknown (%u taken before it)",
						   id, done, r[done].cookie, r[done].code,
						   done);
			return ioasid_fail(-err, "write to fault queue %u (fd %d): %s",
					   id, f->fd, strerror(err));
		}
		if (n == 0 || n % rsz) {
			*num = done + (uint32_t)(n / rsz);
			return ioasid_fail(-EIO,
					   "write to fault queue %u took %zd bytes, not whole %zu-byte responses",
					   id, n, rsz);
		}
		done += (uint32_t)(n / rsz);
	}
	return 0;
}

static int kext_destroy(void *be_, uint32_t id, enum ioasid_ext_obj type)
{
	struct kernel_be *be = be_;
	struct kernel_obj *o = ext_find(be, id, type);
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
	int rc;

	/* iommufd has no typed destroy: only what this context allocated
	 * is known to be of @type. */
	if (!o)
		return ioasid_fail(-ENOENT,
				   "%s %u does not exist (among the objects this context allocated)",
				   ext_names[type], id);
	if (type == IOASID_EXT_FAULT && o->hwpts)
		/* The kernel would say EBUSY too, but only after the fd is
		 * closed (an open fd holds the queue as well). */
		return ioasid_fail(-EBUSY,
				   "fault queue %u is in use by %u hwpt%s: destroy them first",
				   id, o->hwpts, o->hwpts == 1 ? "" : "s");
	/* The queue's fd holds a reference on it: close it first. */
	if (o->fd >= 0) {
		close(o->fd);
		o->fd = -1;
	}
	rc = kioctl(be->fd, IOMMU_DESTROY, &cmd);
	if (rc == -EBUSY)
		return ioasid_fail(rc, "IOMMU_DESTROY %s %u: %s: %s", ext_names[type],
				   id, strerror(-rc),
				   type == IOASID_EXT_VIOMMU
					   ? "nested HWPTs, vDEVICEs or vEVENTQs still use it"
				   : o->type == IOASID_EXT_VEVENTQ || o->type == IOASID_EXT_FAULT
					   ? "something else holds it (a duplicate of its fd?); its fd is closed now"
					   : "it is in use");
	if (rc == -ENOENT) {
		/* Gone already (a vDEVICE whose device was destroyed). */
		ext_unlink(be, o);
		return ioasid_fail(rc, "IOMMU_DESTROY %s %u: %s", ext_names[type],
				   id, strerror(-rc));
	}
	if (rc)
		return kfail(be, rc, &FEAT_IOMMUFD, 0, "IOMMU_DESTROY %s %u",
			     ext_names[type], id);
	ext_unlink(be, o);
	return 0;
}

static int kext_set_dirty_tracking(void *be_, uint32_t hwpt_id, bool enable)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt_id,
	};
	int rc = kioctl(be->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);

	if (rc == -EOPNOTSUPP && !kernel_older(be, &FEAT_DIRTY))
		return ioasid_fail(rc,
				   "IOMMU_HWPT_SET_DIRTY_TRACKING hwpt %u %s: %s: the HWPT was allocated without IOASID_HWPT_ALLOC_DIRTY_TRACKING, or its IOMMU cannot track",
				   hwpt_id, enable ? "on" : "off", strerror(-rc));
	if (rc)
		return kfail(be, rc, &FEAT_DIRTY, 0,
			     "IOMMU_HWPT_SET_DIRTY_TRACKING hwpt %u %s", hwpt_id,
			     enable ? "on" : "off");
	return 0;
}

static int kext_get_dirty_bitmap(void *be_, uint32_t hwpt_id, uint64_t iova,
				 uint64_t length, uint64_t page_size,
				 uint64_t *bitmap, uint32_t flags)
{
	struct kernel_be *be = be_;
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.flags = flags,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};
	int rc = kioctl(be->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);

	if (rc == -EOPNOTSUPP && !kernel_older(be, &FEAT_DIRTY))
		return ioasid_fail(rc,
				   "IOMMU_HWPT_GET_DIRTY_BITMAP hwpt %u: %s: the HWPT was allocated without IOASID_HWPT_ALLOC_DIRTY_TRACKING, or the flags 0x%x are unknown",
				   hwpt_id, strerror(-rc), flags);
	if (rc)
		return kfail(be, rc, &FEAT_DIRTY, 0,
			     "IOMMU_HWPT_GET_DIRTY_BITMAP hwpt %u iova 0x%llx length 0x%llx page_size 0x%llx flags 0x%x",
			     hwpt_id, (unsigned long long)iova,
			     (unsigned long long)length,
			     (unsigned long long)page_size, flags);
	return 0;
}

static int kext_test_dirty(void *be_, uint32_t hwpt_id, uint64_t iova,
			   uint64_t length, uint64_t page_size,
			   const uint64_t *bitmap, uint64_t *nr_dirty)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_DIRTY,
		.id = hwpt_id,
		.dirty = { .iova = iova, .length = length,
			   .page_size = page_size, .uptr = (uintptr_t)bitmap },
	};
	int rc = test_cmd(be, &cmd);

	if (rc == -EINVAL)
		return ioasid_fail(rc,
				   "IOMMU_TEST_OP_DIRTY hwpt %u iova 0x%llx length 0x%llx page_size 0x%llx: %s: the range is not page-aligned, or the mock HWPT is not tracking dirty pages",
				   hwpt_id, (unsigned long long)iova,
				   (unsigned long long)length,
				   (unsigned long long)page_size, strerror(-rc));
	if (rc)
		return kfail(be, rc, &FEAT_TEST_DIRTY, 0,
			     "IOMMU_TEST_OP_DIRTY hwpt %u iova 0x%llx length 0x%llx page_size 0x%llx",
			     hwpt_id, (unsigned long long)iova,
			     (unsigned long long)length,
			     (unsigned long long)page_size);
	*nr_dirty = cmd.dirty.out_nr_dirty;
	return 0;
}

static int kext_test_iopf(void *be_, uint32_t dev_id, uint32_t pasid,
			  uint32_t grpid, uint32_t perm, uint64_t addr)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_TRIGGER_IOPF,
		.trigger_iopf = { .dev_id = dev_id, .pasid = pasid,
				  .grpid = grpid, .perm = perm, .addr = addr },
	};
	int rc = test_cmd(be, &cmd);

	if (rc)
		return kfail(be, rc, &FEAT_TEST_IOPF, 0,
			     "IOMMU_TEST_OP_TRIGGER_IOPF dev %u pasid %u grpid %u perm 0x%x addr 0x%llx",
			     dev_id, pasid, grpid, perm, (unsigned long long)addr);
	return 0;
}

static int kext_test_vevent(void *be_, uint32_t dev_id)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = dev_id },
	};
	int rc = test_cmd(be, &cmd);

	if (rc == -ENOENT)
		return ioasid_fail(rc,
				   "IOMMU_TEST_OP_TRIGGER_VEVENT dev %u: %s: the device has no vDEVICE",
				   dev_id, strerror(-rc));
	if (rc == -EOPNOTSUPP && !kernel_older(be, &FEAT_TEST_VEVENT))
		return ioasid_fail(rc,
				   "IOMMU_TEST_OP_TRIGGER_VEVENT dev %u: %s: the vIOMMU has no selftest vEVENTQ",
				   dev_id, strerror(-rc));
	if (rc)
		return kfail(be, rc, &FEAT_TEST_VEVENT, 0,
			     "IOMMU_TEST_OP_TRIGGER_VEVENT dev %u", dev_id);
	return 0;
}

static int kext_test_check_iotlb(void *be_, uint32_t hwpt_id, uint32_t index,
				 uint32_t value)
{
	struct kernel_be *be = be_;
	struct ioasid_test_cmd cmd = {
		.op = IOASID_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt_id,
		.check_iotlb = { .index = index, .value = value },
	};
	int rc = test_cmd(be, &cmd);

	if (rc == -EINVAL)
		return ioasid_fail(rc,
				   "IOMMU_TEST_OP_MD_CHECK_IOTLB hwpt %u: iotlb[%u] does not hold 0x%x (or the index is above 3)",
				   hwpt_id, index, value);
	if (rc)
		return kfail(be, rc, &FEAT_TEST_IOTLB, 0,
			     "IOMMU_TEST_OP_MD_CHECK_IOTLB hwpt %u index %u value 0x%x",
			     hwpt_id, index, value);
	return 0;
}

const struct ioasid_hwpt_ext_ops ioasid_kernel_ext_ops = {
	.hwpt_alloc_user = kext_hwpt_alloc_user,
	.hwpt_invalidate = kext_hwpt_invalidate,
	.viommu_alloc = kext_viommu_alloc,
	.vdevice_alloc = kext_vdevice_alloc,
	.veventq_alloc = kext_veventq_alloc,
	.veventq_read = kext_veventq_read,
	.fault_alloc = kext_fault_alloc,
	.fault_read = kext_fault_read,
	.fault_respond = kext_fault_respond,
	.destroy = kext_destroy,
	.set_dirty_tracking = kext_set_dirty_tracking,
	.get_dirty_bitmap = kext_get_dirty_bitmap,
	.test_dirty = kext_test_dirty,
	.test_iopf = kext_test_iopf,
	.test_vevent = kext_test_vevent,
	.test_check_iotlb = kext_test_check_iotlb,
};
