/* SPDX-License-Identifier: MIT */
/*
 * libioasid hardware page tables (HWPT) and what hangs off them: paging
 * and nested HWPTs, cache invalidation, the kernel's vIOMMU, vDEVICE and
 * vEVENTQ objects, I/O page fault queues and dirty tracking.  HWPTs are
 * allocated for a bound device (<ioasid/device.h>).
 */
#ifndef IOASID_HWPT_H
#define IOASID_HWPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/ctx.h>
#include <ioasid/device.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* HWPT: a hardware page table.                                         */

/* HWPT allocation flags (the uAPI's IOMMU_HWPT_ALLOC_* values), for
 * struct ioasid_hwpt_alloc_opts.flags and struct ioasid_hwpt_nested. */
#define IOASID_HWPT_ALLOC_NEST_PARENT (1u << 0)
#define IOASID_HWPT_ALLOC_DIRTY_TRACKING (1u << 1)
#define IOASID_HWPT_ALLOC_FAULT_ID_VALID (1u << 2)
#define IOASID_HWPT_ALLOC_PASID (1u << 3)

struct ioasid_hwpt_alloc_opts {
	size_t sz;
	/* IOASID_HWPT_ALLOC_* (the uAPI's IOMMU_HWPT_ALLOC_* bits: nest
	 * parent, dirty tracking, ...); 0 for a plain paging HWPT. */
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
/* Nested translation, vIOMMU objects, dirty tracking, faults
 * (lib/core/hwpt.c).  The library's own structs; the kernel backend
 * translates them to the uAPI's.                                      */

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
IOASID_API int ioasid_hwpt_alloc_nested(struct ioasid_dev *dev, uint32_t pt_id,
					const struct ioasid_hwpt_nested *nested,
					uint32_t *hwpt_id);

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
IOASID_API int ioasid_hwpt_invalidate(struct ioasid_ctx *ctx, uint32_t id,
				      uint32_t data_type, const void *entries,
				      uint32_t entry_len, uint32_t *entry_num);

/* vIOMMU types (the uAPI's IOMMU_VIOMMU_TYPE_* values). */
#define IOASID_VIOMMU_TYPE_ARM_SMMUV3 1u
#define IOASID_VIOMMU_TYPE_TEGRA241_CMDQV 2u

/*
 * ioasid_viommu_alloc - a vIOMMU of @type over nest-parent HWPT @hwpt_id
 * for the IOMMU behind bound device @dev.
 *
 * Return: 0; -EOPNOTSUPP (type 0 or one the IOMMU lacks); -EINVAL
 * (@hwpt_id is not a nest parent); -ENOENT.
 */
IOASID_API int ioasid_viommu_alloc(struct ioasid_dev *dev, uint32_t hwpt_id,
				       uint32_t type, uint32_t *viommu_id);

/*
 * ioasid_vdevice_alloc - give bound device @dev the virtual id @virt_id
 * (vSID, vRID) in vIOMMU @viommu_id.
 *
 * Return: 0; -EEXIST (the device has a vDEVICE, or @virt_id is taken);
 * -EINVAL (another IOMMU); -ENOENT.
 */
IOASID_API int ioasid_vdevice_alloc(struct ioasid_dev *dev, uint32_t viommu_id,
				    uint64_t virt_id, uint32_t *vdevice_id);

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
IOASID_API int ioasid_veventq_alloc(struct ioasid_ctx *ctx, uint32_t viommu_id,
				    uint32_t type, uint32_t depth,
				    uint32_t *veventq_id, int *fd);

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
IOASID_API int ioasid_veventq_read(struct ioasid_ctx *ctx, uint32_t veventq_id,
				   struct ioasid_vevent *events, uint32_t *num);

/*
 * ioasid_fault_queue_alloc - a queue for I/O page faults; HWPTs allocated
 * with IOASID_HWPT_ALLOC_FAULT_ID_VALID and its id deliver there.  @fd as
 * for ioasid_veventq_alloc().
 */
IOASID_API int ioasid_fault_queue_alloc(struct ioasid_ctx *ctx,
					uint32_t *fault_id, int *fd);

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
IOASID_API int ioasid_fault_read(struct ioasid_ctx *ctx, uint32_t fault_id,
				 struct ioasid_fault *faults, uint32_t *num);

#define IOASID_FAULT_RESP_SUCCESS 0u
#define IOASID_FAULT_RESP_INVALID 1u

struct ioasid_fault_response {
	uint32_t cookie;
	uint32_t code; /* IOASID_FAULT_RESP_* */
};

/* ioasid_fault_respond - answer fault groups; *@num in: responses, out:
 * how many were taken.  Return: 0; -EINVAL (an unknown cookie or code:
 * the earlier ones were taken); -ENOENT. */
IOASID_API int ioasid_fault_respond(struct ioasid_ctx *ctx, uint32_t fault_id,
				    const struct ioasid_fault_response *resp,
				    uint32_t *num);

/*
 * ioasid_hwpt_set_dirty_tracking - start (clearing every dirty bit) or
 * stop dirty tracking of paging HWPT @hwpt_id, which must have been
 * allocated with IOASID_HWPT_ALLOC_DIRTY_TRACKING (-EOPNOTSUPP else).
 */
IOASID_API int ioasid_hwpt_set_dirty_tracking(struct ioasid_ctx *ctx,
					      uint32_t hwpt_id, bool enable);

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
IOASID_API int ioasid_hwpt_get_dirty_bitmap(struct ioasid_ctx *ctx,
					    uint32_t hwpt_id, uint64_t iova,
					    uint64_t length, uint64_t page_size,
					    uint32_t flags, uint64_t *bitmap);

/*
 * ioasid_viommu_destroy, ioasid_vdevice_destroy, ioasid_veventq_destroy,
 * ioasid_fault_queue_destroy - destroy an object (and close its fd).
 * Return: 0; -ENOENT (not an object of that kind); -EBUSY (in use).
 */
IOASID_API int ioasid_viommu_destroy(struct ioasid_ctx *ctx, uint32_t id);
IOASID_API int ioasid_vdevice_destroy(struct ioasid_ctx *ctx, uint32_t id);
IOASID_API int ioasid_veventq_destroy(struct ioasid_ctx *ctx, uint32_t id);
IOASID_API int ioasid_fault_queue_destroy(struct ioasid_ctx *ctx, uint32_t id);

/* ------------------------------------------------------------------ */
/* Hardware queues of a vIOMMU and the iommufd's MMIO pages (Linux 6.17) */

struct ioasid_viommu_alloc_opts {
	size_t sz;
	/* In/out driver data of the vIOMMU type: the uAPI's struct
	 * iommu_viommu_tegra241_cmdqv, or the mock's struct
	 * ioasid_viommu_selftest (<ioasid/testing.h>); NULL for none.  The
	 * driver writes its outputs (an mmap offset and length) into it. */
	void *data;
	uint32_t data_len;
	size_t : 0;
};
#define ioasid_viommu_alloc_opts__last_field data_len

/*
 * ioasid_viommu_alloc_data - ioasid_viommu_alloc() with driver data
 * (IOMMU_VIOMMU_ALLOC's data_uptr), which is where a vIOMMU says which
 * MMIO page of the iommufd to map for its guest (ioasid_ctx_mmap()).
 *
 * Return: as ioasid_viommu_alloc(); -EINVAL also for data the type does
 * not take, -EOPNOTSUPP for data on a kernel before 6.17.
 */
IOASID_API int ioasid_viommu_alloc_data(struct ioasid_dev *dev,
					uint32_t hwpt_id, uint32_t type,
					const struct ioasid_viommu_alloc_opts *opts,
					uint32_t *viommu_id);

/* HW queue types (the uAPI's IOMMU_HW_QUEUE_TYPE_*; the mock's is in
 * <ioasid/testing.h>). */
#define IOASID_HW_QUEUE_TYPE_TEGRA241_CMDQV 1u

struct ioasid_hw_queue_opts {
	size_t sz;
	uint32_t flags; /* none is defined: 0 */
	/* The queue's index among the vIOMMU's queues of this type. */
	uint32_t index;
	size_t : 0;
};
#define ioasid_hw_queue_opts__last_field index

/*
 * ioasid_hw_queue_alloc - a hardware-accelerated queue of @type for
 * vIOMMU @viommu_id (IOMMU_HW_QUEUE_ALLOC, Linux 6.17), which the IOMMU
 * reads directly from the guest memory at [@iova, @iova + @length) of the
 * vIOMMU's nest-parent IOAS: that range must be mapped, physically
 * contiguous, and stays pinned until the queue is destroyed.
 *
 * Return: 0; -EOPNOTSUPP (flags, type 0, a type the vIOMMU lacks);
 * -EINVAL (@length 0, an index the driver refuses); -EOVERFLOW (the range
 * wraps); -ENOENT (no such vIOMMU, or the range is not mapped); -EFAULT
 * (not contiguous); -EEXIST (the index is taken); -EIO (the mock: the
 * previous index is not allocated).
 */
IOASID_API int ioasid_hw_queue_alloc(struct ioasid_ctx *ctx, uint32_t viommu_id,
				     uint32_t type, uint64_t iova, uint64_t length,
				     const struct ioasid_hw_queue_opts *opts,
				     uint32_t *hw_queue_id);
IOASID_API int ioasid_hw_queue_destroy(struct ioasid_ctx *ctx, uint32_t id);

/*
 * ioasid_ctx_mmap - map the MMIO region a vIOMMU gave the iommufd
 * (@offset and @length exactly as its driver data says) into this
 * process, shared and read-write: mmap(2) of the iommufd.  The vIOMMU
 * cannot be destroyed while the mapping exists (-EBUSY).
 * ioasid_ctx_munmap - undo it.
 *
 * Return: 0 with *@addr set; -ENXIO (no region at @offset of that
 * length); -EINVAL.
 */
IOASID_API int ioasid_ctx_mmap(struct ioasid_ctx *ctx, uint64_t offset,
			       uint64_t length, void **addr);
IOASID_API int ioasid_ctx_munmap(struct ioasid_ctx *ctx, void *addr,
				 uint64_t length);

/* ------------------------------------------------------------------ */
/* The IOAS and HWPT objects of a context                               */

/* struct ioasid_object.type, and struct ioasid_object_opts.type. */
#define IOASID_OBJECT_IOAS 1u
#define IOASID_OBJECT_HWPT 2u

/* struct ioasid_object.flags */
#define IOASID_OBJECT_NESTED (1u << 0) /* HWPT: nested, over a parent */
/* HWPT: made by attaching a device to an IOAS; it goes with its last
 * device. */
#define IOASID_OBJECT_AUTO_DOMAIN (1u << 1)

/*
 * One object, as ioasid_ctx_for_each_object() reports it; sz as for
 * struct ioasid_mapping (the bytes the library filled).
 */
struct ioasid_object {
	size_t sz;
	uint32_t id;
	uint32_t type;	     /* IOASID_OBJECT_* */
	uint32_t flags;	     /* IOASID_OBJECT_NESTED, _AUTO_DOMAIN */
	uint32_t hwpt_flags; /* HWPT: the IOASID_HWPT_ALLOC_* it got */
	/* HWPT: the IOAS it maps; 0 for a nested HWPT (see its parent). */
	uint32_t ioas_id;
	/* Nested HWPT: the nest-parent HWPT or the vIOMMU it sits on. */
	uint32_t parent;
	/* Devices of this context attached (by RID): to this HWPT; to this
	 * IOAS directly, through one of its HWPTs or a nested HWPT over
	 * one. */
	uint32_t devices;
	uint32_t mappings; /* IOAS: how many mappings */
	uint64_t mapped;   /* IOAS: bytes mapped */
	size_t : 0;
};
#define ioasid_object__last_field mapped

struct ioasid_object_opts {
	size_t sz;
	/* Only objects of this IOASID_OBJECT_* type; 0 for all. */
	uint32_t type;
	size_t : 0;
};
#define ioasid_object_opts__last_field type

/* A callback of ioasid_ctx_for_each_object(): 0 goes on, anything else
 * stops the walk and becomes its return value. */
typedef int (*ioasid_object_fn)(const struct ioasid_object *obj, void *data);

/*
 * ioasid_ctx_for_each_object - call @fn for every IOAS and HWPT of @ctx,
 * in id order, with @data.  The objects are read under the context lock
 * and @fn is called after it is dropped, as for
 * ioasid_ioas_for_each_mapping().  On the kernel backend these are the
 * objects this context allocated, and the automatic HWPTs its devices
 * were attached to (iommufd has no call that lists objects); the
 * library's private IOAS for detached mock devices is not reported.
 *
 * Return: 0; what @fn returned when it stopped the walk; -EINVAL (NULL
 * @fn, bad opts, an unknown type); -ENOMEM.
 */
IOASID_API int ioasid_ctx_for_each_object(struct ioasid_ctx *ctx,
					  const struct ioasid_object_opts *opts,
					  ioasid_object_fn fn, void *data);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_HWPT_H */
