/* SPDX-License-Identifier: MIT */
/*
 * libioasid - I/O address spaces for VMMs over Linux iommufd.
 *
 * Conventions
 * -----------
 * - Every function that can fail returns an int: 0 (or a non-negative
 *   value) on success, a negative errno on failure.  errno is set as well.
 *   Objects come back through out-parameters, never as the return value.
 * - On failure, ioasid_errmsg() returns a message for the calling thread
 *   that names the argument or object that was wrong.  A failed call leaves
 *   the library's and the backend's state as it was before the call, except
 *   where a function documents a kernel behaviour that cannot be undone.
 * - Calls that may grow arguments take an options struct whose first
 *   member is its size, sz; NULL means all defaults.  Every such struct
 *   has a macro TYPE__last_field naming its last member.  The library
 *   reads the members it knows and refuses (-EINVAL) a struct with a
 *   non-zero byte after the end of its last known member: tail padding
 *   included, since a member added later may sit in what is padding
 *   today without changing sizeof.  So programs built against newer
 *   headers keep working as long as they leave the new members zero.
 *   Declare the struct with IOASID_OPTS(), which zeroes every byte; a
 *   struct built another way must be memset() to 0 first, because a
 *   designated initialiser alone leaves padding undefined.
 * - Object ids (IOAS, HWPT, device) are the kernel's u32 ids, or the
 *   simulator's equivalent; 0 is never a valid id.
 *
 * Thread safety
 * -------------
 * - ioasid_set_print(), ioasid_errmsg() and the version functions are
 *   thread-safe.  Error messages are per thread.
 * - Contexts are independent of each other.  Calls on one context, and on
 *   the devices opened from it, are serialized by a lock inside the
 *   context, so they may come from several threads.  Closing a context or a
 *   device while another thread uses it is undefined.
 * - Not fork-safe: a child shares the iommufd with its parent.  Hand the
 *   fd to a child explicitly (ioasid_ctx_fd()) if it must use it.
 */
#ifndef IOASID_IOASID_H
#define IOASID_IOASID_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOASID_API __attribute__((visibility("default")))

/*
 * IOASID_OPTS - declare an options struct of TYPE named NAME: every byte
 * zero, padding included, then sz set and the designated initialisers
 * that may follow applied:
 *
 *	IOASID_OPTS(ioasid_map_opts, opts, .flags = IOASID_MAP_READ);
 *
 * It takes GCC or Clang (a statement expression, marked __extension__ so
 * that -pedantic accepts it) and, in C++, C++20 designated initialisers
 * (in member order).  NAME must be a plain identifier, inside a function.
 */
#define IOASID_OPTS(TYPE, ...) IOASID_OPTS__(TYPE, __VA_ARGS__, )
#ifdef __cplusplus
#define IOASID_OPTS__(TYPE, NAME, ...)                                      \
	struct TYPE NAME = __extension__({                                 \
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));           \
		TYPE{ .sz = sizeof(struct TYPE), __VA_ARGS__ };            \
	})
#else
#define IOASID_OPTS__(TYPE, NAME, ...)                                      \
	struct TYPE NAME = __extension__({                                 \
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));           \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };   \
	})
#endif

/* ------------------------------------------------------------------ */
/* Version                                                              */

/* ioasid_version_string - the library's version, "MAJOR.MINOR.PATCH". */
IOASID_API const char *ioasid_version_string(void);
IOASID_API unsigned int ioasid_version_major(void);
IOASID_API unsigned int ioasid_version_minor(void);

/* ------------------------------------------------------------------ */
/* Errors and logging                                                   */

/*
 * ioasid_errmsg - message of the calling thread's last failed call.
 *
 * Return: a string owned by the library, valid until the thread's next
 * libioasid call; "" if the last call did not fail.
 */
IOASID_API const char *ioasid_errmsg(void);

enum ioasid_print_level {
	IOASID_WARN,
	IOASID_INFO,
	IOASID_DEBUG,
};

typedef void (*ioasid_print_fn_t)(enum ioasid_print_level level,
				  const char *msg, void *data);

/*
 * ioasid_set_print - route the library's log lines to @fn.
 * @fn: the callback, or NULL to silence the library.
 * @data: passed to @fn as is.
 *
 * By default warnings go to stderr; the environment variable
 * IOASID_LOG_LEVEL (warn, info, debug) raises the default level.  The
 * library prints nothing except through this callback.  Thread-safe.
 *
 * Return: the previous callback.
 */
IOASID_API ioasid_print_fn_t ioasid_set_print(ioasid_print_fn_t fn,
					      void *data);

/* ------------------------------------------------------------------ */
/* Context                                                              */

struct ioasid_ctx;

enum ioasid_backend {
	/* $IOASID_BACKEND, else ioasid.conf(5), else the kernel. */
	IOASID_BACKEND_DEFAULT = 0,
	IOASID_BACKEND_KERNEL = 1,
	IOASID_BACKEND_SIM = 2, /* in-process simulator */
};

struct ioasid_ctx_opts {
	size_t sz;
	enum ioasid_backend backend;
	/* Simulator: topology file (see ioasid-topology(5)).  NULL means
	 * the built-in x86 server topology. */
	const char *topology;
	/* Kernel: path of the iommufd node; NULL means /dev/iommu. */
	const char *dev_iommu;
	/* ioasid_ctx_from_fd(): close the adopted fd in ioasid_ctx_close(). */
	bool own_fd;
	/* Kernel: inspect only, without opening /dev/iommu, for kernels
	 * built without CONFIG_IOMMUFD.  Devices, groups, reserved regions
	 * and ioasid_dev_set_driver() work (they read sysfs); calls that
	 * need the iommufd fail with -EBADF.  The simulator ignores it. */
	bool inspect_only;
	/* Added in 0.2.  The configuration file (see ioasid.conf(5)): NULL
	 * means $IOASID_CONFIG if set, else /etc/ioasid/ioasid.conf if it
	 * exists; "" means none.  Its [defaults] apply to contexts opened
	 * with IOASID_BACKEND_DEFAULT (explicit options win over the
	 * environment, IOASID_BACKEND and IOASID_TOPOLOGY, which win over
	 * the file), its [device] overrides to every device report. */
	const char *config;
	size_t : 0;
};
#define ioasid_ctx_opts__last_field config

/*
 * ioasid_ctx_open - open a context on the backend @opts names.
 * @opts: NULL for the defaults: the kernel backend with /dev/iommu,
 *        unless the environment or ioasid.conf(5) chooses otherwise.
 * @ctxp: receives the context.
 *
 * Return: 0, -ENOENT (no /dev/iommu, topology or configuration file),
 * -EACCES, -EINVAL (bad options, a bad IOASID_BACKEND, or a bad
 * topology or configuration file: the message gives FILE:LINE).
 */
IOASID_API int ioasid_ctx_open(const struct ioasid_ctx_opts *opts,
			       struct ioasid_ctx **ctxp);

/*
 * ioasid_ctx_from_fd - adopt an iommufd that a manager opened and passed
 * in (for example libvirt handing QEMU "-object iommufd,fd=N").
 *
 * The fd stays the caller's unless @opts->own_fd is set.  Return: 0,
 * -EBADF if @fd is not open, -ENOTTY if it is not an iommufd.
 */
IOASID_API int ioasid_ctx_from_fd(int fd, const struct ioasid_ctx_opts *opts,
				  struct ioasid_ctx **ctxp);

/*
 * ioasid_ctx_close - close every device opened from @ctx, then the
 * context.  The kernel destroys every object when its iommufd closes.
 * NULL is allowed.
 */
IOASID_API void ioasid_ctx_close(struct ioasid_ctx *ctx);

/* ioasid_ctx_fd - the iommufd of a kernel context; -EOPNOTSUPP for the
 * simulator. */
IOASID_API int ioasid_ctx_fd(struct ioasid_ctx *ctx);

/* ioasid_ctx_backend - "kernel" or "sim". */
IOASID_API const char *ioasid_ctx_backend(struct ioasid_ctx *ctx);

/* ------------------------------------------------------------------ */
/* IOVA ranges                                                          */

/* An inclusive range [start, last]. */
struct ioasid_iova_range {
	uint64_t start;
	uint64_t last;
};

/* ------------------------------------------------------------------ */
/* IOAS: an I/O address space, what devices attach to and memory is
 * mapped into.                                                         */

/* ioasid_ioas_alloc - create an empty IOAS; its id goes to @ioas_id. */
IOASID_API int ioasid_ioas_alloc(struct ioasid_ctx *ctx, uint32_t *ioas_id);

/*
 * ioasid_ioas_destroy - destroy an IOAS and every mapping in it.
 *
 * Return: 0, -ENOENT (no such IOAS), -EBUSY (a device or HWPT uses it).
 */
IOASID_API int ioasid_ioas_destroy(struct ioasid_ctx *ctx, uint32_t ioas_id);

/* Access of a mapping, and IOVA placement. */
#define IOASID_MAP_READ (1u << 0)
#define IOASID_MAP_WRITE (1u << 1)
/* The IOVA is an output: the backend picks the lowest suitable IOVA,
 * aligned like the kernel does (to the length rounded up to a power of
 * two, at most 2 MiB, and keeping the buffer's own alignment). */
#define IOASID_MAP_ANY_IOVA (1u << 2)

struct ioasid_map_opts {
	size_t sz;
	/* IOASID_MAP_*; NULL opts mean READ | WRITE at the given IOVA.
	 * At least one of READ and WRITE is required. */
	uint32_t flags;
	size_t : 0;
};
#define ioasid_map_opts__last_field flags

/*
 * ioasid_ioas_map - map @length bytes of process memory at @va into an
 * IOAS.
 * @iova: in: the IOVA (unless IOASID_MAP_ANY_IOVA); out: the IOVA used.
 *
 * Return: 0; -ENOENT (no such IOAS); -EINVAL (zero length, a length or
 * IOVA not aligned to the IOAS's IOVA alignment, the range touches a
 * reserved IOVA, no access flag); -EOPNOTSUPP (unknown
 * flag bits, as the kernel answers); -EEXIST (overlaps a mapping);
 * -EOVERFLOW (@iova + @length wraps); -ENOSPC (no free IOVA range fits,
 * with IOASID_MAP_ANY_IOVA); -EFAULT (@va is NULL or not mapped memory);
 * -ENOMEM (locked-memory limit).
 */
IOASID_API int ioasid_ioas_map(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       void *va, uint64_t length, uint64_t *iova,
			       const struct ioasid_map_opts *opts);

/*
 * ioasid_ioas_map_file - like ioasid_ioas_map(), but the memory is
 * @length bytes of the file @fd (a memfd) from offset @start.
 */
IOASID_API int ioasid_ioas_map_file(struct ioasid_ctx *ctx, uint32_t ioas_id,
				    int fd, uint64_t start, uint64_t length,
				    uint64_t *iova,
				    const struct ioasid_map_opts *opts);

/*
 * ioasid_ioas_unmap - remove every mapping inside [@iova, @iova+@length-1].
 * @unmapped: if not NULL, receives the number of bytes removed.
 *
 * The range must cover whole mappings; holes are allowed but the range
 * must contain at least one mapping.  An IOVA of 0 with a length of
 * UINT64_MAX empties the IOAS and succeeds even if it was empty.
 *
 * Return: 0; -ENOENT (no such IOAS, nothing mapped in the range, or the
 * range would split a mapping); -EINVAL (zero length); -EOVERFLOW.
 * Kernel behaviour kept by both backends: when the range's end splits a
 * mapping, whole mappings before that point have been removed when
 * -ENOENT comes back.  A range whose start splits a mapping removes
 * nothing.
 */
IOASID_API int ioasid_ioas_unmap(struct ioasid_ctx *ctx, uint32_t ioas_id,
				 uint64_t iova, uint64_t length,
				 uint64_t *unmapped);

/* ioasid_ioas_unmap_all - remove every mapping; same as an unmap of
 * [0, UINT64_MAX]. */
IOASID_API int ioasid_ioas_unmap_all(struct ioasid_ctx *ctx, uint32_t ioas_id,
				     uint64_t *unmapped);

/*
 * ioasid_ioas_copy - map into @dst_ioas the memory that backs
 * [@src_iova, @src_iova+@length-1] of @src_ioas, without pinning it again.
 * @dst_iova: in/out as for ioasid_ioas_map() (opts flags apply).
 *
 * The source range must be fully mapped (-ENOENT otherwise).
 */
IOASID_API int ioasid_ioas_copy(struct ioasid_ctx *ctx, uint32_t dst_ioas,
				uint64_t *dst_iova, uint32_t src_ioas,
				uint64_t src_iova, uint64_t length,
				const struct ioasid_map_opts *opts);

/*
 * ioasid_ioas_iova_ranges - the IOVA ranges that may be mapped now.
 * @ranges: array of *@num entries (may be NULL when *@num is 0).
 * @num: in: array size; out: how many ranges there are.
 * @alignment: if not NULL, receives the IOVA alignment every mapping's
 *             IOVA and length must honour.
 *
 * The ranges exclude the reserved regions of every attached device and
 * lie inside every attached IOMMU's aperture.  As in the kernel, the
 * allow-list does not narrow them: it limits where mappings may go, not
 * what the IOMMUs can translate.
 *
 * Return: 0; -EMSGSIZE when the array was too small (*@num then holds the
 * count needed and the first entries are filled); -ENOENT.
 */
IOASID_API int ioasid_ioas_iova_ranges(struct ioasid_ctx *ctx,
				       uint32_t ioas_id,
				       struct ioasid_iova_range *ranges,
				       uint32_t *num, uint64_t *alignment);

/*
 * ioasid_ioas_allow_iovas - restrict the IOVAs the backend chooses
 * (IOASID_MAP_ANY_IOVA) to @ranges, replacing any earlier list; @num 0
 * removes the restriction.  As in the kernel, a mapping at a fixed IOVA
 * is not limited by the list, and existing mappings are not checked;
 * what the list does promise is that no device whose reserved regions
 * overlap it can attach afterwards (-EADDRINUSE then).  Ranges may not
 * overlap each other and need start < last.
 *
 * Return: 0; -ENOENT; -EINVAL (bad or overlapping range); -EADDRINUSE
 * (an allowed range overlaps a reserved region of an attached device or
 * an IOMMU aperture limit).
 */
IOASID_API int ioasid_ioas_allow_iovas(struct ioasid_ctx *ctx,
				       uint32_t ioas_id,
				       const struct ioasid_iova_range *ranges,
				       uint32_t num);

/* ------------------------------------------------------------------ */
/* Devices                                                              */

struct ioasid_dev;

enum ioasid_dev_kind {
	IOASID_DEV_PCI = 0,
	IOASID_DEV_MDEV = 1,
	IOASID_DEV_MOCK = 2, /* CONFIG_IOMMUFD_TEST mock device */
};

/* PASID device classes; see libioasid(3). */
enum ioasid_dev_class {
	IOASID_CLASS_RID_ONLY = 0,
	IOASID_CLASS_MDEV_NO_PASID = 1,
	IOASID_CLASS_MDEV_FIXED_PASID = 2,
	IOASID_CLASS_PASID_PASSTHROUGH = 3,
	IOASID_CLASS_PASID_DEV_TRANSLATE = 4,
	IOASID_CLASS_PASID_CPU_TRANSLATE = 5,
};

/* How a device's class was found (struct ioasid_dev_info.class_source). */
enum ioasid_class_source {
	/* Nothing says: the class is assumed (0 for PCI, 1 for mdevs) and
	 * may change once the device is bound or configured. */
	IOASID_CLASS_SRC_DEFAULT = 0,
	IOASID_CLASS_SRC_HARDWARE = 1, /* PCI PASID capability, hw info */
	IOASID_CLASS_SRC_CONFIG = 2,   /* ioasid.conf(5) */
	IOASID_CLASS_SRC_TOPOLOGY = 3, /* the simulator's topology */
};

#define IOASID_NAME_MAX 64

struct ioasid_dev_info {
	size_t sz;
	/* PCI address ("0000:00:03.0") or mdev UUID. */
	char name[IOASID_NAME_MAX];
	enum ioasid_dev_kind kind;
	/* Bound host driver, "" if none. */
	char driver[IOASID_NAME_MAX];
	/* VFIO cdev ("/dev/vfio/devices/vfio0"), "" if none. */
	char cdev[IOASID_NAME_MAX];
	/* IOMMU group number, -1 if none. */
	int32_t group;
	/* Name of the IOMMU instance, "" if none (mdevs). */
	char iommu[IOASID_NAME_MAX];
	/* mdev: the parent device's name. */
	char parent[IOASID_NAME_MAX];
	uint16_t vendor_id, device_id;
	enum ioasid_dev_class dev_class;
	/* PASID width in bits, 0 without PASID support. */
	uint8_t pasid_width;
	/* Added in 0.2.  PASID attach takes the guest's vPASID (classes 3-5). */
	bool needs_vpasid;
	/* The VMM must program the CPU's PASID translation (class 5). */
	bool needs_cpu_translation;
	/* Class 2: the PASID the host set at bind; 0 otherwise. */
	uint32_t fixed_pasid;
	/* Where dev_class came from. */
	enum ioasid_class_source class_source;
	size_t : 0;
};
#define ioasid_dev_info__last_field class_source

/*
 * ioasid_dev_info_at - describe the @index-th device of the system (or of
 * the simulated topology), in a stable order.
 *
 * Return: 0; -ENOENT when @index is past the last device.
 */
IOASID_API int ioasid_dev_info_at(struct ioasid_ctx *ctx, uint32_t index,
				  struct ioasid_dev_info *info);

/* ioasid_dev_info_get - describe the device called @name (PCI address,
 * mdev UUID or cdev path).  Return: 0; -ENODEV if there is none. */
IOASID_API int ioasid_dev_info_get(struct ioasid_ctx *ctx, const char *name,
				   struct ioasid_dev_info *info);

/* Take a device from the host driver that is using it. */
#define IOASID_DRIVER_FORCE (1u << 0)

struct ioasid_driver_opts {
	size_t sz;
	uint32_t flags; /* IOASID_DRIVER_* */
	size_t : 0;
};
#define ioasid_driver_opts__last_field flags

/*
 * ioasid_dev_set_driver - bind the PCI device @name to host driver
 * @driver ("vfio-pci" to make it assignable), or with @driver NULL return
 * it to its default driver.
 *
 * The choice goes into the device's driver_override, so it sticks across
 * re-probes.  A device that another host driver is using (a NIC carrying
 * traffic, the boot disk) is refused unless @opts has
 * IOASID_DRIVER_FORCE: taking it away is the operator's decision.
 *
 * Return: 0 (also when it already has that driver); -ENODEV; -EINVAL (not
 * a PCI device, a malformed driver name); -EBUSY (bound to another host
 * driver without IOASID_DRIVER_FORCE, or open in this context); -EACCES;
 * -ENOENT (the driver did not take the device: not loaded, or it does not
 * support it).
 */
IOASID_API int ioasid_dev_set_driver(struct ioasid_ctx *ctx, const char *name,
				     const char *driver,
				     const struct ioasid_driver_opts *opts);

/*
 * ioasid_dev_open - open a device for assignment.
 * @name: PCI address ("0000:00:03.0" or "00:03.0"), mdev UUID, or VFIO
 *        cdev path ("/dev/vfio/devices/vfio0").
 * @devp: receives the handle.
 *
 * Return: 0; -ENODEV (no such device); -EBUSY (already open in this
 * context); -EINVAL (@name is malformed).
 */
IOASID_API int ioasid_dev_open(struct ioasid_ctx *ctx, const char *name,
			       struct ioasid_dev **devp);

/*
 * ioasid_dev_bind - bind an open device to the context's iommufd.
 * @dev_id: if not NULL, receives the device id (used by HWPT allocation).
 *
 * Return: 0; -EALREADY if already bound.
 */
IOASID_API int ioasid_dev_bind(struct ioasid_dev *dev, uint32_t *dev_id);

/*
 * ioasid_dev_attach - attach a bound, detached device to an IOAS or HWPT.
 * @pt_id: the IOAS or HWPT.
 * @hwpt_id: if not NULL, receives the HWPT in use (attaching to an IOAS
 *           uses a compatible HWPT of that IOAS or creates one).
 *
 * Return: 0; -ENOENT (@pt_id is not an IOAS or HWPT); -EBUSY (already
 * attached: use ioasid_dev_replace()); -EINVAL (not bound, or the IOMMU
 * cannot use that HWPT); -EADDRINUSE (a reserved region of the device
 * overlaps a mapping of the IOAS, or lies inside its allow-list).
 */
IOASID_API int ioasid_dev_attach(struct ioasid_dev *dev, uint32_t pt_id,
				 uint32_t *hwpt_id);

/*
 * ioasid_dev_replace - move an attached device to another IOAS or HWPT in
 * one step: DMA never sees an unattached device.  On failure the old
 * attachment stays.
 */
IOASID_API int ioasid_dev_replace(struct ioasid_dev *dev, uint32_t pt_id,
				  uint32_t *hwpt_id);

/* ioasid_dev_detach - detach an attached device.  Return: 0; -EINVAL if
 * it is not attached. */
IOASID_API int ioasid_dev_detach(struct ioasid_dev *dev);

/* ioasid_dev_close - detach, unbind and close.  NULL is allowed. */
IOASID_API void ioasid_dev_close(struct ioasid_dev *dev);

/* Accessors: the device's name as opened, its id (0 until bound), and the
 * IOAS or HWPT it is attached to (0 when detached).  They take no lock and
 * may run on any thread while another attaches or detaches the device:
 * each returns the id before or after that call, never a torn value. */
IOASID_API const char *ioasid_dev_name(const struct ioasid_dev *dev);
IOASID_API uint32_t ioasid_dev_id(const struct ioasid_dev *dev);
IOASID_API uint32_t ioasid_dev_pt_id(const struct ioasid_dev *dev);
IOASID_API uint32_t ioasid_dev_hwpt_id(const struct ioasid_dev *dev);

/*
 * ioasid_dev_fd - the VFIO device fd of a device opened on the kernel
 * backend, for what a VMM does with the device besides DMA mapping: its
 * regions (BARs, config space), interrupts and resets.  The fd stays the
 * library's: do not close it.
 *
 * Return: the fd; -EOPNOTSUPP for simulator and CONFIG_IOMMUFD_TEST mock
 * devices, which have none; -EINVAL if @dev is NULL.
 */
IOASID_API int ioasid_dev_fd(struct ioasid_dev *dev);

/* ------------------------------------------------------------------ */
/* IOMMU groups and reserved regions                                    */

enum ioasid_resv_type {
	IOASID_RESV_DIRECT = 0,
	IOASID_RESV_DIRECT_RELAXABLE = 1,
	IOASID_RESV_RESERVED = 2,
	IOASID_RESV_MSI = 3,
	IOASID_RESV_SW_MSI = 4, /* software-managed MSI window (ARM) */
};

/* ioasid_resv_type_name - sysfs name: "direct", "direct-relaxable",
 * "reserved", "msi"; NULL for an unknown type. */
IOASID_API const char *ioasid_resv_type_name(enum ioasid_resv_type type);

struct ioasid_resv_region {
	uint64_t start;
	uint64_t last; /* inclusive */
	enum ioasid_resv_type type;
	uint32_t __reserved;
};

struct ioasid_group_info {
	size_t sz;
	int32_t id;
	char iommu[IOASID_NAME_MAX];
	uint32_t num_devices;
	uint32_t num_resv_regions;
	size_t : 0;
};
#define ioasid_group_info__last_field num_resv_regions

/* ioasid_group_info_at - the @index-th IOMMU group; -ENOENT past the
 * end. */
IOASID_API int ioasid_group_info_at(struct ioasid_ctx *ctx, uint32_t index,
				    struct ioasid_group_info *info);

/*
 * ioasid_group_resv_regions - reserved regions of group @group, sorted by
 * start.  @regions/@num as for ioasid_ioas_iova_ranges() (-EMSGSIZE).
 * Return: 0; -ENOENT (no such group).
 */
IOASID_API int ioasid_group_resv_regions(struct ioasid_ctx *ctx,
					 int32_t group,
					 struct ioasid_resv_region *regions,
					 uint32_t *num);

/* ------------------------------------------------------------------ */
/* IOMMU capabilities and options                                       */

/* Kind of driver data ioasid_dev_hw_info() returns (the uAPI's
 * IOMMU_HW_INFO_TYPE_* values; <ioasid/testing.h> has the
 * CONFIG_IOMMUFD_TEST mock's). */
#define IOASID_HW_INFO_NONE 0u
#define IOASID_HW_INFO_INTEL_VTD 1u
#define IOASID_HW_INFO_ARM_SMMUV3 2u
#define IOASID_HW_INFO_TEGRA241_CMDQV 3u
#define IOASID_HW_INFO_AMD 4u

/* Capability bits (the uAPI's IOMMU_HW_CAP_* values). */
#define IOASID_HW_CAP_DIRTY_TRACKING (1ull << 0)
#define IOASID_HW_CAP_PCI_PASID_EXEC (1ull << 1)
#define IOASID_HW_CAP_PCI_PASID_PRIV (1ull << 2)
#define IOASID_HW_CAP_PCI_ATS_NOT_SUPPORTED (1ull << 3)

struct ioasid_hw_info {
	size_t sz;
	uint32_t type;		 /* IOASID_HW_INFO_* */
	uint8_t max_pasid_log2;	 /* PASID width usable; 0: no PASID */
	uint64_t capabilities;	 /* IOASID_HW_CAP_* */
	uint32_t data_len;	 /* size of the driver data the backend has */
	size_t : 0;
};
#define ioasid_hw_info__last_field data_len

/*
 * ioasid_dev_hw_info - what the IOMMU behind a bound device can do.
 * @data: buffer for the driver-specific data of @info->type (for example
 *        the VT-d capability registers), or NULL.
 * @data_size: size of @data; extra bytes are zeroed.  @info->data_len
 *             says how much the backend had, which may be more.
 *
 * Return: 0; -EINVAL (device not bound); -EOPNOTSUPP (kernel before 6.6).
 */
IOASID_API int ioasid_dev_hw_info(struct ioasid_dev *dev,
				  struct ioasid_hw_info *info, void *data,
				  uint32_t data_size);

/* How the kernel charges pinned pages against RLIMIT_MEMLOCK. */
enum ioasid_rlimit_mode {
	IOASID_RLIMIT_PER_USER = 0,	/* the default */
	IOASID_RLIMIT_PER_PROCESS = 1,	/* what libvirt selects */
};

/*
 * ioasid_ctx_set_rlimit_mode - choose the accounting of pinned memory for
 * this context.  Needs CAP_SYS_RESOURCE, and a context without objects.
 *
 * Return: 0; -EPERM; -EBUSY (objects exist); -EINVAL (unknown mode).
 */
IOASID_API int ioasid_ctx_set_rlimit_mode(struct ioasid_ctx *ctx,
					  enum ioasid_rlimit_mode mode);
IOASID_API int ioasid_ctx_get_rlimit_mode(struct ioasid_ctx *ctx,
					  enum ioasid_rlimit_mode *mode);

/*
 * ioasid_ioas_set_huge_pages - allow (default) or forbid IOMMU mappings
 * larger than a page in an IOAS.  Forbidding raises the IOAS's IOVA
 * alignment to the CPU page size.
 *
 * Return: 0; -ENOENT; -EINVAL (forbidding while devices are attached and
 * memory is mapped); -EADDRINUSE (a mapping is not page aligned).
 */
IOASID_API int ioasid_ioas_set_huge_pages(struct ioasid_ctx *ctx,
					  uint32_t ioas_id, bool enable);
IOASID_API int ioasid_ioas_get_huge_pages(struct ioasid_ctx *ctx,
					  uint32_t ioas_id, bool *enabled);

/* ------------------------------------------------------------------ */
/* HWPT: a hardware page table.                                         */

struct ioasid_hwpt_alloc_opts {
	size_t sz;
	/* IOMMU_HWPT_ALLOC_* flag bits of the uAPI (nest parent, dirty
	 * tracking, ...); 0 for a plain paging HWPT. */
	uint32_t flags;
	size_t : 0;
};
#define ioasid_hwpt_alloc_opts__last_field flags

/*
 * ioasid_hwpt_alloc - allocate a paging HWPT for the IOMMU behind @dev
 * (which must be bound), mapping the IOAS @ioas_id.
 *
 * Return: 0; -EINVAL (device not bound, or @ioas_id is not an IOAS or
 * HWPT, as the kernel answers); -EOPNOTSUPP (flags the IOMMU does not
 * support).
 */
IOASID_API int ioasid_hwpt_alloc(struct ioasid_dev *dev, uint32_t ioas_id,
				 const struct ioasid_hwpt_alloc_opts *opts,
				 uint32_t *hwpt_id);

/* ioasid_hwpt_destroy - destroy a HWPT.  Return: 0; -ENOENT; -EBUSY (a
 * device is attached to it). */
IOASID_API int ioasid_hwpt_destroy(struct ioasid_ctx *ctx, uint32_t hwpt_id);

/* ------------------------------------------------------------------ */
/* IOMMU limits and combining endpoints that share an address space     */

/* Which fields of struct ioasid_iommu_info the backend really knows;
 * the others are estimates (see ioasid_dev_iommu_info(3)). */
#define IOASID_IOMMU_APERTURE_KNOWN (1u << 0)
#define IOASID_IOMMU_PAGE_SIZES_KNOWN (1u << 1)

struct ioasid_iommu_info {
	size_t sz;
	/* The IOMMU instance ("dmar0", or the topology's name). */
	char name[IOASID_NAME_MAX];
	/* IOVAs it can translate: [aperture_start, aperture_last]; the last
	 * is the address-width ceiling (2^aw_bits - 1). */
	uint64_t aperture_start;
	uint64_t aperture_last;
	/* Bit N set: 2^N-byte pages.  The lowest bit is the granule, the
	 * IOVA alignment of its domains. */
	uint64_t page_sizes;
	/* PASID width the IOMMU supports, 0: none. */
	uint8_t pasid_width;
	uint32_t flags; /* IOASID_IOMMU_*_KNOWN */
	/* PowerPC PAMU style MSI banks: how many this IOMMU has (0: none;
	 * always 0 on the kernel backend) and the size of each window. */
	uint32_t msi_banks;
	uint64_t msi_bank_size;
	size_t : 0;
};
#define ioasid_iommu_info__last_field msi_bank_size

/*
 * ioasid_dev_iommu_info - the IOMMU behind device @name (as for
 * ioasid_dev_info_get()): its aperture, page sizes, PASID width and MSI
 * banks.  Needs no open device.
 *
 * Return: 0; -ENODEV (no such device, or it has no IOMMU, like an mdev);
 * -EINVAL (@info->sz not set).
 */
IOASID_API int ioasid_dev_iommu_info(struct ioasid_ctx *ctx, const char *name,
				     struct ioasid_iommu_info *info);

/*
 * One endpoint of an address space, as ioasid_endpoints_combine() takes it.
 * All zero except sz describes an endpoint with no constraint and no
 * PASID support (an emulated device).
 */
struct ioasid_endpoint {
	size_t sz;
	/* For messages only; may be NULL. */
	const char *name;
	/* PASID width, 0: no PASID. */
	uint8_t pasid_width;
	/* Bit N set: 2^N-byte pages; 0: any (no granule constraint). */
	uint64_t page_sizes;
	/* Highest IOVA it can use; 0: no limit. */
	uint64_t aperture_last;
	/* Its reserved regions, in any order, may overlap. */
	const struct ioasid_resv_region *regions;
	uint32_t num_regions;
	size_t : 0;
};
#define ioasid_endpoint__last_field num_regions

/* A sw-msi window that must be mapped overlaps a region where nothing may
 * be mapped (reserved, direct or a fixed msi doorbell). */
#define IOASID_COMBINED_MSI_CONFLICT (1u << 0)

struct ioasid_combined {
	size_t sz;
	/* Inputs: where the regions and the doorbells go (may be NULL
	 * with a size of 0 to count them). */
	struct ioasid_resv_region *regions;
	uint32_t max_regions;
	struct ioasid_resv_region *doorbells;
	uint32_t max_doorbells;
	/* Outputs. */
	uint32_t num_regions;	/* union of all regions, disjoint, sorted */
	uint32_t num_doorbells; /* msi and sw-msi windows, disjoint, sorted */
	uint8_t pasid_width;	/* the smallest */
	uint64_t granule;	/* the largest smallest page size; 0: none */
	uint64_t page_sizes;	/* granule bit + sizes all endpoints have */
	uint64_t aperture_last; /* the smallest; UINT64_MAX: no limit */
	uint32_t flags;		/* IOASID_COMBINED_* */
	size_t : 0;
};
#define ioasid_combined__last_field flags

/*
 * ioasid_endpoints_combine - what a guest sees of @num_eps endpoints that
 * share one address space (a virtio-iommu domain): the smallest PASID
 * width, the largest granule, the smallest aperture, the union of the
 * reserved regions and of the MSI doorbells.
 *
 * Where regions of different types overlap, the overlap takes the type a
 * guest must respect most: reserved > direct > msi > sw-msi >
 * direct-relaxable.  The doorbell list keeps msi (fixed, never map) and
 * sw-msi (must be mapped to the doorbell) windows apart, msi winning an
 * overlap.
 *
 * Return: 0; -EINVAL (no endpoints, a NULL pointer, a region with start >
 * last or an unknown type: the message names the endpoint and region);
 * -EMSGSIZE (an output array too small: the counts say how many are
 * needed, the arrays hold the first ones, the other outputs are set).
 */
IOASID_API int ioasid_endpoints_combine(const struct ioasid_endpoint *eps,
					uint32_t num_eps,
					struct ioasid_combined *out);

/*
 * ioasid_endpoint_from_dev - describe an open device as an endpoint: its
 * group's reserved regions (into @regions, *@num entries, -EMSGSIZE as
 * for ioasid_group_resv_regions()), its IOMMU's page sizes and aperture,
 * and its PASID width (the smaller of the device's and the IOMMU's).
 * @ep->regions points into @regions and @ep->name into @dev.
 *
 * Return: 0; -EINVAL; -EMSGSIZE; -ENODEV (the device has no IOMMU group).
 */
IOASID_API int ioasid_endpoint_from_dev(struct ioasid_dev *dev,
					struct ioasid_endpoint *ep,
					struct ioasid_resv_region *regions,
					uint32_t *num);

/* ------------------------------------------------------------------ */
/* Reserved regions per device and IOAS, and guest RAM layouts          */

/*
 * ioasid_dev_resv_regions - the IOVAs device @name cannot use: its
 * group's reserved regions plus its IOMMU's aperture limits, the latter as
 * IOASID_RESV_RESERVED regions [0, aperture_start - 1] and
 * [aperture_last + 1, UINT64_MAX].  Sorted, disjoint; @regions/@num as
 * for ioasid_group_resv_regions() (-EMSGSIZE).  Needs no open device.
 *
 * Return: 0; -ENODEV (no such device, or no IOMMU group); -EMSGSIZE.
 */
IOASID_API int ioasid_dev_resv_regions(struct ioasid_ctx *ctx,
				       const char *name,
				       struct ioasid_resv_region *regions,
				       uint32_t *num);

/*
 * ioasid_ioas_resv_regions - the typed holes of IOAS @ioas_id: the
 * reserved regions (with aperture limits) of every device of this context
 * attached to it or to one of its HWPTs, merged as
 * ioasid_endpoints_combine() does.  The usable ranges are
 * ioasid_ioas_iova_ranges().  Return: 0; -ENOENT (no such IOAS);
 * -EMSGSIZE.
 */
IOASID_API int ioasid_ioas_resv_regions(struct ioasid_ctx *ctx,
					uint32_t ioas_id,
					struct ioasid_resv_region *regions,
					uint32_t *num);

/*
 * ioasid_resv_usable - the usable ranges inside [@start, @last] around
 * @num_regions reserved regions (any order, may overlap): the other form
 * of the same information.  @ranges/@num as for ioasid_ioas_iova_ranges().
 * Return: 0; -EINVAL (@start > @last, a bad region); -EMSGSIZE.
 */
IOASID_API int ioasid_resv_usable(const struct ioasid_resv_region *regions,
				  uint32_t num_regions, uint64_t start,
				  uint64_t last,
				  struct ioasid_iova_range *ranges,
				  uint32_t *num);

/* A range of guest RAM: [gpa, gpa + size - 1]. */
struct ioasid_ram_range {
	uint64_t gpa;
	uint64_t size;
};

/* RAM that overlaps a reserved region of an endpoint. */
struct ioasid_layout_conflict {
	char device[IOASID_NAME_MAX]; /* the endpoint's name */
	struct ioasid_resv_region region;
	struct ioasid_ram_range ram;
};

/*
 * ioasid_layout_check - whether guest RAM @ram (@num_ram ranges) can be
 * DMA-mapped 1:1 (IOVA = GPA) for every endpoint of @eps: no RAM byte may
 * lie in a reserved region or above an aperture.  Direct-relaxable regions
 * are ignored, as the kernel does on attach.  Checking a hot-added device
 * against a running VM's RAM catches the conflict before the attach.
 * @conflicts: array of *@num_conflicts entries or NULL; on return
 *             *@num_conflicts is the number of conflicts (all are counted,
 *             the first ones stored, in RAM order).
 *
 * Return: 0 (no conflict); -EADDRINUSE (the message names the first
 * device, region with its type, and RAM range); -EINVAL.
 */
IOASID_API int ioasid_layout_check(const struct ioasid_endpoint *eps,
				   uint32_t num_eps,
				   const struct ioasid_ram_range *ram,
				   uint32_t num_ram,
				   struct ioasid_layout_conflict *conflicts,
				   uint32_t *num_conflicts);

struct ioasid_layout_plan_opts {
	size_t sz;
	/* Lowest GPA RAM may use (x86: 0; Arm virt: 0x40000000). */
	uint64_t base;
	/* Alignment of every RAM range's start and size; 0: 2 MiB. */
	uint64_t align;
	/* At least this much RAM must lie below 4 GiB (-ENOSPC else). */
	uint64_t min_below_4g;
	size_t : 0;
};
#define ioasid_layout_plan_opts__last_field min_below_4g

/*
 * ioasid_layout_plan - place @ram_size bytes of guest RAM, lowest GPAs
 * first from @opts->base, around every reserved region (direct-relaxable
 * aside) of @eps and below the smallest aperture.  Platform holes such as
 * the PCI MMIO window are passed as one more endpoint holding them.
 * @ram/@num as for ioasid_ioas_iova_ranges() (-EMSGSIZE).
 *
 * Return: 0; -ENOSPC (it does not fit, or not enough below 4 GiB);
 * -EINVAL (zero or unaligned size, alignment not a power of two);
 * -EMSGSIZE.
 */
IOASID_API int ioasid_layout_plan(const struct ioasid_endpoint *eps,
				  uint32_t num_eps, uint64_t ram_size,
				  const struct ioasid_layout_plan_opts *opts,
				  struct ioasid_ram_range *ram, uint32_t *num);

/* Why a VM cannot migrate (struct ioasid_migration_block.reason). */
enum ioasid_block_reason {
	/* A reserved region of the destination overlaps guest RAM or an
	 * IOVA the VM has mapped. */
	IOASID_BLOCK_RAM = 0,
	/* With IOASID_COMPARE_GUEST_IOVAS: a destination region the source
	 * did not have, where the guest may already have mapped IOVAs. */
	IOASID_BLOCK_NEW_REGION = 1,
	/* The destination's address-width ceiling is lower. */
	IOASID_BLOCK_CEILING = 2,
	/* The destination's granule (smallest page size) is larger. */
	IOASID_BLOCK_GRANULE = 3,
};

/* One reason a VM cannot move to the destination. */
struct ioasid_migration_block {
	enum ioasid_block_reason reason;
	char device[IOASID_NAME_MAX]; /* the destination endpoint */
	/* RAM, NEW_REGION: the blocking region; CEILING: the IOVAs lost,
	 * [destination ceiling + 1, source ceiling]; GRANULE: zero. */
	struct ioasid_resv_region region;
	/* RAM: the RAM or IOVA range hit; zero otherwise. */
	struct ioasid_ram_range ram;
	/* GRANULE: the source's and the destination's granules. */
	uint64_t src_granule, dst_granule;
};

/* The guest programs IOVAs itself (a vIOMMU): it may use any IOVA the
 * source left usable, so every destination region must be one the
 * source had too. */
#define IOASID_COMPARE_GUEST_IOVAS (1u << 0)

struct ioasid_compare_opts {
	size_t sz;
	uint32_t flags; /* IOASID_COMPARE_* */
	size_t : 0;
};
#define ioasid_compare_opts__last_field flags

/*
 * ioasid_layout_compare - whether a VM running on the source platform
 * (@src, its assigned endpoints) with guest RAM and mapped IOVAs @ram can
 * migrate to the destination (@dst): no destination reserved region
 * (direct-relaxable aside) may overlap @ram, the destination's smallest
 * ceiling may not be lower than the source's, nor its largest granule
 * larger.  The inputs are plain arrays, so saved reports of two hosts
 * compare without either being present.
 * @blocks: array of *@num_blocks entries or NULL; on return *@num_blocks
 *          counts every reason (the first ones stored).
 *
 * Return: 0 (the VM can migrate); -EADDRINUSE (it cannot: the message
 * names the first blocking region, device and range); -EINVAL.
 */
IOASID_API int ioasid_layout_compare(const struct ioasid_endpoint *src,
				     uint32_t num_src,
				     const struct ioasid_endpoint *dst,
				     uint32_t num_dst,
				     const struct ioasid_ram_range *ram,
				     uint32_t num_ram,
				     const struct ioasid_compare_opts *opts,
				     struct ioasid_migration_block *blocks,
				     uint32_t *num_blocks);

/* ------------------------------------------------------------------ */
/* PASID: attach an address space to one PASID of a device, following
 * the device's class (enum ioasid_dev_class, see libioasid(3)).        */

/* ioasid_pasid_attach.flags: use @ppasid as given instead of allocating
 * one (classes 4 and 5; class 2 accepts only its fixed PASID, class 3
 * only the vPASID itself). */
#define IOASID_PASID_FIXED (1u << 0)

/* What the VMM must program after a PASID attach, vendor-agnostically. */
enum ioasid_pasid_action {
	/* Nothing: the device emits the PASID the guest gave it (class 3)
	 * or one the host set up (class 2). */
	IOASID_PASID_PROGRAM_NOTHING = 0,
	/* The device's own vPASID->pPASID table (class 4), through the
	 * device's interface; the library keeps the table
	 * (ioasid_dev_pasid_table()). */
	IOASID_PASID_PROGRAM_DEVICE = 1,
	/* The CPU's PASID translation for the guest (class 5, ENQCMD: for
	 * example KVM's vPASID->pPASID table), vpasid -> ppasid. */
	IOASID_PASID_PROGRAM_CPU = 2,
};

struct ioasid_pasid_attach {
	size_t sz;
	uint32_t flags; /* IOASID_PASID_* */
	/* In: the guest's PASID (classes 3-5; 0 for class 2, which takes
	 * none from the guest). */
	uint32_t vpasid;
	/* In with IOASID_PASID_FIXED, out always: the physical PASID. */
	uint32_t ppasid;
	/* Out: the HWPT in use. */
	uint32_t hwpt_id;
	/* Out: what the VMM must program, and whether the guest-visible
	 * vPASID differs from the physical PASID. */
	enum ioasid_pasid_action action;
	bool translated;
	size_t : 0;
};
#define ioasid_pasid_attach__last_field translated

/*
 * ioasid_dev_attach_pasid - attach one PASID of a bound device to an IOAS
 * or HWPT (VFIO_DEVICE_ATTACH_IOMMUFD_PT with a PASID, Linux 6.15+).
 * @attach: in/out, see struct ioasid_pasid_attach.
 *
 * The device's class decides the physical PASID: class 2 its fixed one,
 * class 3 the vPASID, classes 4 and 5 one from the context's allocator
 * (the lowest free one that fits every width involved) unless
 * IOASID_PASID_FIXED names it.  The target must be a HWPT allocated with
 * the uAPI's IOMMU_HWPT_ALLOC_PASID flag: the HWPT an IOAS makes for
 * itself never has it, so on Linux (7.3) a PASID attach to an IOAS fails
 * with -EINVAL; so does one while the device's own (RID) attachment is on
 * a HWPT without that flag (iommufd_hwpt_pasid_compat()).
 *
 * Return: 0; -EOPNOTSUPP (class 0 or 1: the device has no PASID);
 * -EINVAL (not bound, a vPASID or PASID outside the width, a vPASID
 * where none is taken, a HWPT without PASID support); -EBUSY (the
 * vPASID is attached already, or the physical PASID is in use in this
 * context); -ENOSPC (no free PASID); -ENOENT (@pt_id does not exist).
 */
IOASID_API int ioasid_dev_attach_pasid(struct ioasid_dev *dev, uint32_t pt_id, struct ioasid_pasid_attach *attach);

/*
 * ioasid_dev_replace_pasid - move the attached vPASID @attach->vpasid
 * (class 2: 0) to another IOAS or HWPT in one step; the physical PASID
 * stays and comes back in @attach.  -EINVAL if it is not attached.
 */
IOASID_API int ioasid_dev_replace_pasid(struct ioasid_dev *dev, uint32_t pt_id, struct ioasid_pasid_attach *attach);

/* ioasid_dev_detach_pasid - detach the vPASID @vpasid (class 2: 0) and
 * free its physical PASID.  Return: 0; -EINVAL if it is not attached;
 * -EOPNOTSUPP for classes 0 and 1. */
IOASID_API int ioasid_dev_detach_pasid(struct ioasid_dev *dev, uint32_t vpasid);

/* One PASID attachment of a device. */
struct ioasid_pasid_entry {
	uint32_t vpasid;
	uint32_t ppasid;
	uint32_t pt_id;
	uint32_t hwpt_id;
};

/*
 * ioasid_dev_pasid_table - the device's vPASID->pPASID table, sorted by
 * vPASID; @entries/@num as for ioasid_ioas_iova_ranges() (-EMSGSIZE).
 */
IOASID_API int ioasid_dev_pasid_table(struct ioasid_dev *dev, struct ioasid_pasid_entry *entries, uint32_t *num);

/* ioasid_dev_class_name - "rid-only", "mdev-no-pasid", "mdev-fixed-pasid",
 * "pasid-passthrough", "pasid-dev-translate", "pasid-cpu-translate";
 * NULL for an unknown class. */
IOASID_API const char *ioasid_dev_class_name(enum ioasid_dev_class cls);

/* ------------------------------------------------------------------ */
/* Nested translation, vIOMMU objects, dirty tracking, faults
 * (lib/core/hwpt.c).  The library's own structs; the kernel backend
 * translates them to the uAPI's.                                      */

/* HWPT allocation flags (the uAPI's IOMMU_HWPT_ALLOC_* values), for
 * struct ioasid_hwpt_alloc_opts.flags and struct ioasid_hwpt_nested. */
#define IOASID_HWPT_ALLOC_NEST_PARENT (1u << 0)
#define IOASID_HWPT_ALLOC_DIRTY_TRACKING (1u << 1)
#define IOASID_HWPT_ALLOC_FAULT_ID_VALID (1u << 2)
#define IOASID_HWPT_ALLOC_PASID (1u << 3)

/* Driver data types of a nested HWPT (the uAPI's IOMMU_HWPT_DATA_*).
 * The data is the uAPI struct of that type as bytes (VT-d: struct
 * iommu_hwpt_vtd_s1; SMMUv3: struct iommu_hwpt_arm_smmuv3).  The
 * CONFIG_IOMMUFD_TEST mock's type is in <ioasid/testing.h>. */
#define IOASID_HWPT_DATA_NONE 0u
#define IOASID_HWPT_DATA_VTD_S1 1u
#define IOASID_HWPT_DATA_ARM_SMMUV3 2u
#define IOASID_HWPT_DATA_AMD_GUEST 3u

struct ioasid_hwpt_nested {
	size_t sz;
	uint32_t flags;	   /* IOASID_HWPT_ALLOC_FAULT_ID_VALID, _PASID */
	uint32_t fault_id; /* with IOASID_HWPT_ALLOC_FAULT_ID_VALID */
	uint32_t data_type; /* IOASID_HWPT_DATA_* */
	uint32_t data_len;
	const void *data;
	size_t : 0;
};
#define ioasid_hwpt_nested__last_field data

/*
 * ioasid_hwpt_alloc_nested - allocate a HWPT over @pt_id with driver
 * data: a nested HWPT over a nest-parent HWPT or a vIOMMU, or (data
 * type NONE, @pt_id an IOAS) a paging HWPT that reports I/O page faults
 * to a fault queue.  @dev must be bound.
 *
 * Return: 0; -EINVAL (@pt_id is not an IOAS, a nest parent or a vIOMMU
 * of @dev's IOMMU, data type NONE with data or the reverse, a data
 * length the type does not take); -EOPNOTSUPP (flags a nested HWPT
 * cannot take, no data, a type the IOMMU does not know); -ENOENT (no
 * such fault queue).
 */
IOASID_API int ioasid_hwpt_alloc_nested(struct ioasid_dev *dev, uint32_t pt_id, const struct ioasid_hwpt_nested *nested, uint32_t *hwpt_id);

/* Invalidation data types (the uAPI's values): the VT-d and SMMUv3 entries
 * are the uAPI structs as bytes (the mock's are in <ioasid/testing.h>). */
#define IOASID_INVALIDATE_DATA_VTD_S1 0u
#define IOASID_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3 1u

/*
 * ioasid_hwpt_invalidate - invalidate the caches of nested HWPT or vIOMMU
 * @id with an array of @entry_num entries of @entry_len bytes each.
 * @entry_num: in: entries; out: how many the backend handled.  When it
 *             stops early the call fails, *@entry_num is the index of the
 *             failing entry and the message says so.
 *
 * Return: 0; -EINVAL (bad array, @id not a nested HWPT or vIOMMU, an
 * entry the driver refuses); -EOPNOTSUPP; -ENOENT.
 */
IOASID_API int ioasid_hwpt_invalidate(struct ioasid_ctx *ctx, uint32_t id, uint32_t data_type, const void *entries, uint32_t entry_len, uint32_t *entry_num);

/* vIOMMU types (the uAPI's IOMMU_VIOMMU_TYPE_* values). */
#define IOASID_VIOMMU_TYPE_ARM_SMMUV3 1u
#define IOASID_VIOMMU_TYPE_TEGRA241_CMDQV 2u

/*
 * ioasid_viommu_obj_alloc - a vIOMMU of @type over nest-parent HWPT @hwpt_id
 * for the IOMMU behind bound device @dev.
 *
 * Return: 0; -EOPNOTSUPP (type 0 or one the IOMMU lacks); -EINVAL
 * (@hwpt_id is not a nest parent); -ENOENT.
 */
IOASID_API int ioasid_viommu_obj_alloc(struct ioasid_dev *dev, uint32_t hwpt_id, uint32_t type, uint32_t *viommu_id);

/*
 * ioasid_vdevice_alloc - give bound device @dev the virtual id @virt_id
 * (vSID, vRID) in vIOMMU @viommu_id.
 *
 * Return: 0; -EEXIST (the device has a vDEVICE, or @virt_id is taken);
 * -EINVAL (another IOMMU); -ENOENT.
 */
IOASID_API int ioasid_vdevice_alloc(struct ioasid_dev *dev, uint32_t viommu_id, uint64_t virt_id, uint32_t *vdevice_id);

/* vEVENTQ types (the uAPI's IOMMU_VEVENTQ_TYPE_* values). */
#define IOASID_VEVENTQ_TYPE_ARM_SMMUV3 1u
#define IOASID_VEVENTQ_TYPE_TEGRA241_CMDQV 2u

/*
 * ioasid_veventq_alloc - an event queue of @type for vIOMMU @viommu_id
 * holding up to @depth events.  @fd, if not NULL, receives a descriptor
 * that polls readable while events wait (owned by the library).
 *
 * Return: 0; -EOPNOTSUPP (type 0); -EINVAL (depth 0 or above 2^19);
 * -EEXIST (the vIOMMU has a queue of that type); -ENOENT.
 */
IOASID_API int ioasid_veventq_alloc(struct ioasid_ctx *ctx, uint32_t viommu_id, uint32_t type, uint32_t depth, uint32_t *veventq_id, int *fd);

#define IOASID_VEVENT_LOST_EVENTS (1u << 0)
#define IOASID_VEVENT_DATA_MAX 64

/* One event; a LOST_EVENTS record carries no data. */
struct ioasid_vevent {
	uint32_t flags;	   /* IOASID_VEVENT_* */
	uint32_t sequence; /* 0..INT32_MAX, then 0 again */
	uint32_t data_len;
	uint8_t data[IOASID_VEVENT_DATA_MAX]; /* selftest: the u32 virt id */
};

/* ioasid_veventq_read - take up to *@num waiting events (never blocks);
 * *@num becomes the count taken.  Return: 0; -ENOENT. */
IOASID_API int ioasid_veventq_read(struct ioasid_ctx *ctx, uint32_t veventq_id, struct ioasid_vevent *events, uint32_t *num);

/*
 * ioasid_fault_queue_alloc - a queue for I/O page faults; HWPTs allocated
 * with IOASID_HWPT_ALLOC_FAULT_ID_VALID and its id deliver there.  @fd as
 * for ioasid_veventq_alloc().
 */
IOASID_API int ioasid_fault_queue_alloc(struct ioasid_ctx *ctx, uint32_t *fault_id, int *fd);

#define IOASID_FAULT_PASID_VALID (1u << 0)
#define IOASID_FAULT_LAST_PAGE (1u << 1)
#define IOASID_FAULT_PERM_READ (1u << 0)
#define IOASID_FAULT_PERM_WRITE (1u << 1)
#define IOASID_FAULT_PERM_EXEC (1u << 2)
#define IOASID_FAULT_PERM_PRIV (1u << 3)

struct ioasid_fault {
	uint32_t flags; /* IOASID_FAULT_* */
	uint32_t dev_id;
	uint32_t pasid;
	uint32_t grpid;
	uint32_t perm; /* IOASID_FAULT_PERM_* */
	uint64_t addr;
	uint32_t length;
	uint32_t cookie; /* what the response names */
};

/* ioasid_fault_read - take up to *@num waiting faults (whole groups
 * only; never blocks).  Return: 0; -EINVAL (the array cannot hold the
 * first group); -ENOENT. */
IOASID_API int ioasid_fault_read(struct ioasid_ctx *ctx, uint32_t fault_id, struct ioasid_fault *faults, uint32_t *num);

#define IOASID_FAULT_RESP_SUCCESS 0u
#define IOASID_FAULT_RESP_INVALID 1u

struct ioasid_fault_response {
	uint32_t cookie;
	uint32_t code; /* IOASID_FAULT_RESP_* */
};

/* ioasid_fault_respond - answer fault groups; *@num in: responses, out:
 * how many were taken.  Return: 0; -EINVAL (an unknown cookie or code:
 * the earlier ones were taken); -ENOENT. */
IOASID_API int ioasid_fault_respond(struct ioasid_ctx *ctx, uint32_t fault_id, const struct ioasid_fault_response *resp, uint32_t *num);

/*
 * ioasid_hwpt_set_dirty_tracking - start (clearing every dirty bit) or
 * stop dirty tracking of paging HWPT @hwpt_id, which must have been
 * allocated with IOASID_HWPT_ALLOC_DIRTY_TRACKING (-EOPNOTSUPP else).
 */
IOASID_API int ioasid_hwpt_set_dirty_tracking(struct ioasid_ctx *ctx, uint32_t hwpt_id, bool enable);

/* Keep the dirty bits that ioasid_hwpt_get_dirty_bitmap() reports. */
#define IOASID_DIRTY_NO_CLEAR (1u << 0)

/*
 * ioasid_hwpt_get_dirty_bitmap - bit i of @bitmap (64-bit words, bit i %
 * 64 of word i / 64) says whether [@iova + i * @page_size, + @page_size)
 * was written; the bits are cleared unless IOASID_DIRTY_NO_CLEAR.  The
 * range must be mapped and aligned to @page_size and the IOAS alignment.
 *
 * Return: 0; -EINVAL; -EOVERFLOW; -EOPNOTSUPP (no dirty tracking);
 * -ENOENT.
 */
IOASID_API int ioasid_hwpt_get_dirty_bitmap(struct ioasid_ctx *ctx, uint32_t hwpt_id, uint64_t iova, uint64_t length, uint64_t page_size, uint64_t *bitmap, uint32_t flags);

/*
 * ioasid_viommu_obj_destroy, ioasid_vdevice_destroy, ioasid_veventq_destroy,
 * ioasid_fault_queue_destroy - destroy an object (and close its fd).
 * Return: 0; -ENOENT (not an object of that kind); -EBUSY (in use).
 */
IOASID_API int ioasid_viommu_obj_destroy(struct ioasid_ctx *ctx, uint32_t id);
IOASID_API int ioasid_vdevice_destroy(struct ioasid_ctx *ctx, uint32_t id);
IOASID_API int ioasid_veventq_destroy(struct ioasid_ctx *ctx, uint32_t id);
IOASID_API int ioasid_fault_queue_destroy(struct ioasid_ctx *ctx, uint32_t id);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_IOASID_H */
