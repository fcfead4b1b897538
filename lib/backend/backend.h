/* SPDX-License-Identifier: MIT */
/*
 * The one seam between the library's logic (lib/core/) and a backend: the
 * kernel (/dev/iommu, lib/backend/kernel/) or the simulator
 * (lib/backend/sim/).  Operations sit at the level of the iommufd uAPI,
 * so the kernel backend is a thin translation to ioctls and the simulator
 * is a model of what the kernel does behind them.
 *
 * Contract for every operation:
 * - every operation is optional: NULL means the backend does not have it,
 *   and core answers -EOPNOTSUPP, "the <backend> backend has no <what>"
 *   (BE_CALL() in lib/core/core.h); a backend never fills a slot with a
 *   function that only says so (close and dev_close, which return
 *   nothing, are then simply not called);
 * - return 0 or a negative errno, the errno the kernel gives for the same
 *   request (differential tests hold the simulator to this);
 * - on failure, leave state as the kernel would (normally unchanged) and
 *   set a message with ioasid_fail() when the backend can say more than
 *   the errno; core supplies a generic one otherwise;
 * - the stateless checks are split where the kernel's ioctl handler looks
 *   the object up (drivers/iommu/iommufd/: ioas.c iommufd_ioas_map() and
 *   friends, main.c, hw_pagetable.c): core checks exactly what the
 *   handler checks before its lookup, in the handler's order (for
 *   IOMMU_IOAS_MAP: unknown flags, an IOVA or length of ULONG_MAX, no
 *   access), and the backends do not check it again; everything the
 *   handler checks after its lookup is the backend's, after its own
 *   lookup, in the handler's order (a zero length, a range that wraps, a
 *   bad fd, inverted or overlapping allowed ranges, option values,
 *   dirty-bitmap page sizes; and IOMMU_IOAS_UNMAP checks nothing before
 *   its lookup).  So ioasid_ioas_map(ctx, 4242, buf, 0, ...) is -ENOENT
 *   on both backends, as on the kernel.  Before all of that core checks
 *   the C API's own arguments, which have no uAPI counterpart: the
 *   context and device handles, pointers the library itself writes or
 *   reads (out-parameters, arrays with their count), option structs;
 *   and everything that depends on the library's own state (a device not
 *   bound or already attached).
 * Calls are serialized by the context lock; backends need no locking.
 */
#ifndef IOASID_LIB_BACKEND_H
#define IOASID_LIB_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include <ioasid/ioasid.h>
#include <ioasid/testing.h> /* struct ioasid_msi_bank */

/* IOMMU_OPTION option ids (the uAPI's values). */
#define IOASID_OPTION_RLIMIT_MODE 0
#define IOASID_OPTION_HUGE_PAGES 1

/* The objects destroy() takes; iommufd has one IOMMU_DESTROY for all, the
 * public API one destroy call per type. */
enum ioasid_obj_type {
	IOASID_OBJ_IOAS = 1,
	IOASID_OBJ_HWPT,
	IOASID_OBJ_VIOMMU,
	IOASID_OBJ_VDEVICE,
	IOASID_OBJ_VEVENTQ,
	IOASID_OBJ_FAULT,
	IOASID_OBJ_HW_QUEUE,
};

/* What IOMMU_HWPT_ALLOC takes beyond dev_id and pt_id. */
struct ioasid_hwpt_user_args {
	uint32_t flags; /* IOASID_HWPT_ALLOC_* */
	uint32_t fault_id;
	uint32_t data_type;
	uint32_t data_len;
	const void *data;
};

struct ioasid_backend_ops {
	const char *name; /* "kernel" or "sim" */

	/* ---- Context ---- */

	/* Free the backend and everything it holds (devices are closed by
	 * the logic layer first). */
	void (*close)(void *be);
	/* The iommufd. */
	int (*ctx_fd)(void *be);
	/* IOMMU_OPTION: get or set option @option (IOASID_OPTION_*) of
	 * @object_id (0 for the context-wide RLIMIT_MODE). */
	int (*option)(void *be, bool set, uint32_t option, uint32_t object_id,
		      uint64_t *val);

	/* ---- Inventory: devices, groups, reserved regions, IOMMUs ---- */

	/* A device report says what the host (sysfs, the hardware) or the
	 * topology says, into a whole struct ioasid_dev_info: the class, its
	 * PASID width and fixed PASID as found, and class_source naming
	 * where they were found.  Policy is core's: it finishes every
	 * report with the class rules of lib/model (ioasid_dev_class_finish())
	 * and then the operator's ioasid.conf(5). */
	int (*dev_info_at)(void *be, uint32_t index,
			   struct ioasid_dev_info *info);
	/* @name is a PCI address, an mdev UUID or a cdev path; -ENODEV. */
	int (*dev_info_get)(void *be, const char *name,
			    struct ioasid_dev_info *info);
	int (*group_info_at)(void *be, uint32_t index,
			     struct ioasid_group_info *info);
	int (*group_resv_regions)(void *be, int32_t group,
				  struct ioasid_resv_region *regions,
				  uint32_t *num);
	/* The IOMMU behind device @name (as dev_info_get() names it):
	 * aperture, page sizes, PASID width, MSI banks (@info->sz is set);
	 * -ENODEV when there is none. */
	int (*iommu_info)(void *be, const char *name,
			  struct ioasid_iommu_info *info);
	/* Bind PCI device @name (as dev_info_get() names it) to @driver, or
	 * with @driver NULL to its default driver; refuse a device bound to
	 * another host driver (not vfio-pci) unless @force. */
	int (*set_driver)(void *be, const char *name, const char *driver,
			  bool force);

	/* ---- Objects ---- */

	/* IOMMU_DESTROY of @id only if it is an object of @type: -ENOENT
	 * otherwise, -EBUSY if in use. */
	int (*destroy)(void *be, uint32_t id, enum ioasid_obj_type type);

	/* ---- IOAS ---- */

	int (*ioas_alloc)(void *be, uint32_t *ioas_id);
	/* @flags: IOASID_MAP_*; @iova in/out as in the public API. */
	int (*ioas_map)(void *be, uint32_t ioas_id, uint32_t flags,
			uint64_t va, uint64_t length, uint64_t *iova);
	int (*ioas_map_file)(void *be, uint32_t ioas_id, uint32_t flags,
			     int fd, uint64_t start, uint64_t length,
			     uint64_t *iova);
	/* iova 0 with length UINT64_MAX means everything. */
	int (*ioas_unmap)(void *be, uint32_t ioas_id, uint64_t iova,
			  uint64_t length, uint64_t *unmapped);
	int (*ioas_copy)(void *be, uint32_t dst_ioas, uint32_t src_ioas,
			 uint32_t flags, uint64_t length, uint64_t *dst_iova,
			 uint64_t src_iova);
	int (*ioas_iova_ranges)(void *be, uint32_t ioas_id,
				struct ioasid_iova_range *ranges,
				uint32_t *num, uint64_t *alignment);
	int (*ioas_allow_iovas)(void *be, uint32_t ioas_id,
				const struct ioasid_iova_range *ranges,
				uint32_t num);
	/* IOMMU_IOAS_CHANGE_PROCESS: charge the pages pinned for every
	 * IOAS to the calling process; -EINVAL (and nothing changed) when
	 * some mapping is not of a file. */
	int (*ioas_change_process)(void *be);
	/* IOMMU_IOAS_NOIOMMU_GET_PA: the physical address of @iova in IOAS
	 * @ioas_id and how many bytes from it (at most @length, which core
	 * checked is not 0; @iova is not UINT64_MAX) are physically
	 * contiguous.  -ENOENT: no such IOAS or nothing mapped at @iova;
	 * -EOPNOTSUPP: the IOAS is not in no-IOMMU use; -EPERM: no
	 * CAP_SYS_RAWIO. */
	int (*ioas_noiommu_get_pa)(void *be, uint32_t ioas_id, uint64_t iova,
				   uint64_t length, uint64_t *phys,
				   uint64_t *contig);
	/* PowerPC PAMU style MSI banks of IOAS @ioas_id, see
	 * ioasid_ioas_msi_banks(3): list them (@banks/@num as in
	 * ioas_iova_ranges, -EMSGSIZE), map the @bank-th at @iova, unmap
	 * it.  Linux iommufd has none. */
	int (*ioas_msi_banks)(void *be, uint32_t ioas_id,
			      struct ioasid_msi_bank *banks, uint32_t *num);
	int (*ioas_map_msi_bank)(void *be, uint32_t ioas_id, uint32_t bank,
				 uint64_t iova);
	int (*ioas_unmap_msi_bank)(void *be, uint32_t ioas_id, uint32_t bank);

	/* ---- Iteration (lib/core/iterate.c) ---- */

	/* The mappings of IOAS @ioas_id that overlap [@first, @last], in
	 * IOVA order, into @maps (@num as in ioas_iova_ranges,
	 * -EMSGSIZE); -ENOENT when there is no such IOAS; -ENODATA when the
	 * backend cannot know them all.  Core sets sz. */
	int (*ioas_mappings)(void *be, uint32_t ioas_id, uint64_t first,
			     uint64_t last, struct ioasid_mapping *maps,
			     uint32_t *num);
	/* Every IOAS and HWPT, in id order (@num as above): all but sz and
	 * devices, which core fills from its devices. */
	int (*objects)(void *be, struct ioasid_object *objs, uint32_t *num);

	/* ---- HWPT ---- */

	/* A paging HWPT on IOAS @pt_id; @flags: uAPI IOMMU_HWPT_ALLOC_*
	 * bits. */
	int (*hwpt_alloc)(void *be, uint32_t dev_id, uint32_t pt_id,
			  uint32_t flags, uint32_t *hwpt_id);
	/* IOMMU_HWPT_ALLOC with driver data: a nested HWPT on parent
	 * @pt_id (or on a vIOMMU), or a paging one with a fault queue. */
	int (*hwpt_alloc_user)(void *be, uint32_t dev_id, uint32_t pt_id,
			       const struct ioasid_hwpt_user_args *a,
			       uint32_t *hwpt_id);
	/* @entry_num in/out: entries, then entries handled. */
	int (*hwpt_invalidate)(void *be, uint32_t id, uint32_t data_type,
			       const void *entries, uint32_t entry_len,
			       uint32_t *entry_num);

	/* ---- Devices ---- */

	/* @info comes from dev_info_get(); the backend returns its own
	 * handle in *@bdev. */
	int (*dev_open)(void *be, const struct ioasid_dev_info *info,
			void **bdev);
	int (*dev_bind)(void *be, void *bdev, uint32_t *dev_id);
	/* Attach to @pt_id (IOAS or HWPT); when the device is attached
	 * already this is an atomic replace, as in VFIO. */
	int (*dev_attach)(void *be, void *bdev, uint32_t pt_id,
			  uint32_t *hwpt_id);
	int (*dev_detach)(void *be, void *bdev);
	/* The device's own fd (VFIO cdev). */
	int (*dev_fd)(void *be, void *bdev);
	/* A dma-buf of [@offset, @offset + @length) of region @region of a
	 * bound device into *@fd (ioasid_dev_dma_buf(); arguments checked). */
	int (*dev_dma_buf)(void *be, void *bdev, uint32_t region,
			   uint64_t offset, uint64_t length, int *fd);
	/* Detach and unbind as needed, then free the handle. */
	void (*dev_close)(void *be, void *bdev);
	/* IOMMU_GET_HW_INFO for bound device @dev_id: fill @info (sz set by
	 * the caller), copy up to *@data_len bytes of driver data to @data
	 * and set *@data_len to the size the backend has. */
	int (*hw_info)(void *be, uint32_t dev_id, struct ioasid_hw_info *info,
		       void *data, uint32_t *data_len);

	/* ---- PASID ---- */

	/* PASID attachments of a bound physical device
	 * (VFIO_DEVICE_ATTACH_IOMMUFD_PT / DETACH with the PASID flag; the
	 * test ops for mock devices).  @replace false on an attached @pasid
	 * is -EBUSY, true on a detached one -EINVAL (the logic layer checks
	 * both first).  @vpasid is the logic layer's, kept with the
	 * attachment for dev_pasid_list(); the kernel never sees it.
	 * Detach and close drop the attachment records. */
	int (*dev_pasid_attach)(void *be, void *bdev, uint32_t pasid,
				uint32_t vpasid, uint32_t pt_id, bool replace,
				uint32_t *hwpt_id);
	int (*dev_pasid_detach)(void *be, void *bdev, uint32_t pasid);
	/* The device's attachments, sorted by PASID; @num as in
	 * ioas_iova_ranges (-EMSGSIZE). */
	int (*dev_pasid_list)(void *be, void *bdev,
			      struct ioasid_pasid_entry *entries,
			      uint32_t *num);

	/* ---- vIOMMU objects, event queues, fault queues ---- */

	int (*viommu_alloc)(void *be, uint32_t dev_id, uint32_t hwpt_id,
			    uint32_t type, uint32_t *viommu_id);
	int (*vdevice_alloc)(void *be, uint32_t viommu_id, uint32_t dev_id,
			     uint64_t virt_id, uint32_t *vdevice_id);
	int (*veventq_alloc)(void *be, uint32_t viommu_id, uint32_t type,
			     uint32_t depth, uint32_t *id, int *fd);
	int (*veventq_read)(void *be, uint32_t id, struct ioasid_vevent *ev,
			    uint32_t *num);
	int (*fault_alloc)(void *be, uint32_t *id, int *fd);
	int (*fault_read)(void *be, uint32_t id, struct ioasid_fault *f,
			  uint32_t *num);
	int (*fault_respond)(void *be, uint32_t id,
			     const struct ioasid_fault_response *r,
			     uint32_t *num);

	/* ---- Dirty tracking ---- */

	int (*set_dirty_tracking)(void *be, uint32_t hwpt_id, bool enable);
	int (*get_dirty_bitmap)(void *be, uint32_t hwpt_id, uint64_t iova,
				uint64_t length, uint64_t page_size,
				uint64_t *bitmap, uint32_t flags);

	/* ---- Test hooks (IOMMU_TEST_CMD on mock devices) ---- */

	int (*test_dirty)(void *be, uint32_t hwpt_id, uint64_t iova,
			  uint64_t length, uint64_t page_size,
			  const uint64_t *bitmap, uint64_t *nr_dirty);
	int (*test_iopf)(void *be, uint32_t dev_id, uint32_t pasid,
			 uint32_t grpid, uint32_t perm, uint64_t addr);
	int (*test_vevent)(void *be, uint32_t dev_id);
	int (*test_check_iotlb)(void *be, uint32_t hwpt_id, uint32_t index,
				uint32_t value);

	/* ---- Capabilities (lib/core/caps.c) ---- */

	/* ioasid_caps_get(): core has filled every entry of @caps (@num of
	 * them, entry i is enum ioasid_cap_id i) with its id, kind, name
	 * and release, state IOASID_CAP_UNKNOWN.  The backend answers the
	 * entries it can (state, reason, why) and @release (uname -r, or
	 * what it models), changing nothing; the device entries only when
	 * @bdev (a bound device, @dev_id) is not NULL.  Core answers
	 * IOASID_CAP_PIN and IOASID_CAP_DEV_BIND itself. */
	int (*caps_probe)(void *be, void *bdev, uint32_t dev_id,
			  struct ioasid_cap *caps, uint32_t num,
			  char release[65]);

	/* ---- HW queues and MMIO pages (lib/core/hw_queue.c) ---- */

	/* IOMMU_VIOMMU_ALLOC with driver data (@data in/out, @data_len
	 * bytes). */
	int (*viommu_alloc_data)(void *be, uint32_t dev_id, uint32_t hwpt_id,
				 uint32_t type, void *data, uint32_t data_len,
				 uint32_t *viommu_id);
	/* IOMMU_HW_QUEUE_ALLOC; core has checked what the handler checks
	 * before it looks the vIOMMU up (flags, type 0, length 0, wrap).
	 * Destroyed with destroy(IOASID_OBJ_HW_QUEUE). */
	int (*hw_queue_alloc)(void *be, uint32_t viommu_id, uint32_t type,
			      uint32_t index, uint64_t iova, uint64_t length,
			      uint32_t *hw_queue_id);
	/* mmap(2) of the iommufd at @offset (exactly a region's offset and
	 * length: -ENXIO otherwise), and its munmap. */
	int (*ctx_mmap)(void *be, uint64_t offset, uint64_t length,
			void **addr);
	int (*ctx_munmap)(void *be, void *addr, uint64_t length);
};

/* Backend constructors.  On failure they return a negative errno and
 * have set a message. */
int ioasid_sim_open(const char *topology, const struct ioasid_backend_ops **ops,
		    void **be);
int ioasid_kernel_open(const char *dev_iommu, int fd, bool own_fd,
		       const struct ioasid_backend_ops **ops, void **be);

#endif /* IOASID_LIB_BACKEND_H */
