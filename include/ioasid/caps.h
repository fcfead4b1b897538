/* SPDX-License-Identifier: MIT */
/*
 * libioasid capabilities: what the running kernel (or the simulator) and
 * the IOMMU behind a device can do, asked once, with the reason for
 * everything that does not work.
 */
#ifndef IOASID_CAPS_H
#define IOASID_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ioasid_dev;

/*
 * The capabilities, in the order ioasid_caps_get() reports them: entry i
 * of its array is capability i.  New ones are added at the end; a
 * program built with an older header sees the first ones only.
 */
enum ioasid_cap_id {
	/* The host */
	IOASID_CAP_IOMMUFD = 0,		/* /dev/iommu (CONFIG_IOMMUFD) */
	IOASID_CAP_VFIO_CDEV,		/* VFIO device cdevs (CONFIG_VFIO_DEVICE_CDEV) */
	IOASID_CAP_PIN,			/* pinning memory: RLIMIT_MEMLOCK */
	/* iommufd ioctls */
	IOASID_CAP_IOAS_ALLOC,
	IOASID_CAP_IOAS_ALLOW_IOVAS,
	IOASID_CAP_IOAS_COPY,
	IOASID_CAP_IOAS_IOVA_RANGES,
	IOASID_CAP_IOAS_MAP,
	IOASID_CAP_IOAS_UNMAP,
	IOASID_CAP_OPTION,
	IOASID_CAP_HWPT_ALLOC,
	IOASID_CAP_GET_HW_INFO,
	IOASID_CAP_HWPT_SET_DIRTY_TRACKING,
	IOASID_CAP_HWPT_GET_DIRTY_BITMAP,
	IOASID_CAP_HWPT_INVALIDATE,
	IOASID_CAP_FAULT_QUEUE_ALLOC,
	IOASID_CAP_IOAS_MAP_FILE,
	IOASID_CAP_VIOMMU_ALLOC,
	IOASID_CAP_VDEVICE_ALLOC,
	IOASID_CAP_IOAS_CHANGE_PROCESS,
	IOASID_CAP_VEVENTQ_ALLOC,
	IOASID_CAP_HW_QUEUE_ALLOC,
	IOASID_CAP_IOAS_NOIOMMU_GET_PA,
	IOASID_CAP_TEST_CMD,		/* mock devices (CONFIG_IOMMUFD_TEST) */
	/* Flags the kernel knows */
	IOASID_CAP_HWPT_ALLOC_NEST_PARENT,
	IOASID_CAP_HWPT_ALLOC_DIRTY_TRACKING,
	IOASID_CAP_HWPT_FAULT_ID_VALID,
	IOASID_CAP_HWPT_ALLOC_PASID,
	IOASID_CAP_HW_INFO_INPUT_TYPE,
	/* The IOMMU behind the device of ioasid_caps_opts.dev */
	IOASID_CAP_DEV_BIND,		/* bound to the iommufd (MSI isolation) */
	IOASID_CAP_DEV_HW_INFO,		/* IOMMU_GET_HW_INFO on the device */
	IOASID_CAP_DEV_NESTING,		/* nested HWPTs (stage 1 over a nest parent) */
	IOASID_CAP_DEV_DIRTY_TRACKING,	/* IOMMU_HW_CAP_DIRTY_TRACKING */
	IOASID_CAP_DEV_PASID,		/* PASID attach: device and IOMMU */
	IOASID_CAP_DEV_ATS,		/* not IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED */
	IOASID_CAP_COUNT		/* of this header */
};

/* What a capability is. */
enum ioasid_cap_kind {
	IOASID_CAP_KIND_HOST = 0,   /* a kernel configuration or limit */
	IOASID_CAP_KIND_IOCTL = 1,  /* an ioctl of /dev/iommu */
	IOASID_CAP_KIND_FLAG = 2,   /* a flag of an ioctl */
	IOASID_CAP_KIND_DEVICE = 3, /* what the device's IOMMU can do */
};

enum ioasid_cap_state {
	IOASID_CAP_UNKNOWN = 0, /* not probed (see the reason) */
	IOASID_CAP_WORKS = 1,
	IOASID_CAP_MISSING = 2, /* does not work here (see the reason) */
};

/* Why a capability is missing or was not probed. */
enum ioasid_cap_reason {
	IOASID_CAP_OK = 0,
	/* No /dev/iommu: a kernel without CONFIG_IOMMUFD (Debian's own
	 * kernels), the module not loaded, or a context opened with
	 * inspect_only. */
	IOASID_CAP_NO_IOMMUFD = 1,
	/* The kernel is older than the release that added it. */
	IOASID_CAP_KERNEL_TOO_OLD = 2,
	/* The kernel is new enough but built without it (a configuration
	 * option: CONFIG_VFIO_DEVICE_CDEV, CONFIG_IOMMUFD_TEST, ...). */
	IOASID_CAP_NOT_CONFIGURED = 3,
	/* The IOMMU behind the device does not have it. */
	IOASID_CAP_IOMMU_LACKS = 4,
	/* The device or its IOMMU has no PASID capability. */
	IOASID_CAP_NO_PASID = 5,
	/* Binding was refused: no MSI isolation (interrupt remapping). */
	IOASID_CAP_NO_MSI_ISOLATION = 6,
	/* Locked memory: RLIMIT_MEMLOCK is 0 and there is no
	 * CAP_IPC_LOCK. */
	IOASID_CAP_MEMLOCK = 7,
	/* It is about a device, and ioasid_caps_opts.dev is not given or
	 * not bound. */
	IOASID_CAP_NEEDS_DEVICE = 8,
	/* The backend (the simulator) does not model it. */
	IOASID_CAP_BACKEND = 9,
	/* Something else; see the text. */
	IOASID_CAP_OTHER = 10,
};

#define IOASID_CAP_WHY_MAX 320

/* One capability.  Not an options struct: its size is fixed, and the
 * library writes whole entries. */
struct ioasid_cap {
	uint32_t id;	 /* enum ioasid_cap_id */
	uint32_t kind;	 /* enum ioasid_cap_kind */
	uint32_t state;	 /* enum ioasid_cap_state */
	uint32_t reason; /* enum ioasid_cap_reason */
	/* The Linux release that added it (0.0: none, the simulator's
	 * own). */
	uint16_t since_major, since_minor;
	uint32_t __reserved;
	/* The uAPI's name ("IOMMU_HW_QUEUE_ALLOC", "IOMMU_HWPT_ALLOC_PASID")
	 * or a short one ("iommufd", "dev-nesting"). */
	char name[IOASID_NAME_MAX];
	/* One line: what was found, and for what is missing why and what
	 * would change it. */
	char why[IOASID_CAP_WHY_MAX];
};

/* Bind ioasid_caps_opts.dev if it is open but not bound, as the probe of
 * IOASID_CAP_DEV_BIND; it stays bound on success. */
#define IOASID_CAPS_BIND (1u << 0)

struct ioasid_caps_opts {
	size_t sz;
	uint32_t flags; /* IOASID_CAPS_* */
	/* Probe the IOMMU behind this device too (IOASID_CAP_DEV_*); NULL
	 * leaves them IOASID_CAP_UNKNOWN, IOASID_CAP_NEEDS_DEVICE. */
	struct ioasid_dev *dev;
	size_t : 0;
};
#define ioasid_caps_opts__last_field dev

/* What ioasid_caps_get() found, beyond the entries. */
struct ioasid_caps_info {
	size_t sz;
	/* The backend's ("kernel", "sim") and the kernel's release
	 * ("uname -r"; the simulator models 7.3). */
	char backend[16];
	char release[65];
	/* RLIMIT_MEMLOCK of the calling process, in bytes; UINT64_MAX is
	 * unlimited. */
	uint64_t memlock_cur, memlock_max;
	/* Entries that work, are missing, or were not probed. */
	uint32_t works, missing, unknown;
	size_t : 0;
};
#define ioasid_caps_info__last_field unknown

/*
 * ioasid_caps_get - probe what works: the host, every iommufd ioctl and
 * flag the library knows and, with @opts->dev, the IOMMU behind that
 * device.
 * @info: filled (@info->sz set by the caller); may be NULL.
 * @caps: array of *@num entries (may be NULL when *@num is 0).
 * @num: in: array size; out: IOASID_CAP_COUNT of the library.
 *
 * The kernel backend changes nothing to find out: an ioctl with a size of
 * 0 is EINVAL when the kernel has it and ENOTTY when not; a flag is
 * refused with EOPNOTSUPP before any object is looked up, and with ENOENT
 * for object id 0 when the kernel knows it; the device's IOMMU answers
 * IOMMU_GET_HW_INFO.  The simulator answers from its model and topology.
 * A context opened with inspect_only (no /dev/iommu) still answers: every
 * iommufd capability is then missing with the reason.
 *
 * Return: 0; -EMSGSIZE when the array was too small (*@num then holds
 * the count needed and the first entries are filled); -EINVAL (bad
 * options, @info->sz not set, a device of another context); the error of
 * binding is not one: it is the reason of IOASID_CAP_DEV_BIND.
 */
IOASID_API int ioasid_caps_get(struct ioasid_ctx *ctx,
			       const struct ioasid_caps_opts *opts,
			       struct ioasid_caps_info *info,
			       struct ioasid_cap *caps, uint32_t *num);

/* ioasid_cap_state_name, ioasid_cap_reason_name, ioasid_cap_kind_name -
 * "works", "missing", "unknown"; "ok", "no-iommufd", "kernel-too-old",
 * "not-configured", "iommu-lacks", "no-pasid", "no-msi-isolation",
 * "memlock", "needs-device", "backend", "other"; "host", "ioctl", "flag",
 * "device".  NULL for a value they do not know. */
IOASID_API const char *ioasid_cap_state_name(uint32_t state);
IOASID_API const char *ioasid_cap_reason_name(uint32_t reason);
IOASID_API const char *ioasid_cap_kind_name(uint32_t kind);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_CAPS_H */
