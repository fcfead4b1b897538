/* SPDX-License-Identifier: MIT */
/*
 * The one seam between the library's logic (lib/core/ioasid.c) and a backend:
 * the kernel (/dev/iommu) or the simulator.  Operations sit at the level of
 * the iommufd uAPI, so the kernel backend is a thin translation to ioctls
 * and the simulator is a model of what the kernel does behind them.
 *
 * Contract for every operation:
 * - return 0 or a negative errno, the errno the kernel gives for the same
 *   request (differential tests hold the simulator to this);
 * - on failure, leave state as the kernel would (normally unchanged) and
 *   set a message with ioasid_fail() when the backend can say more than
 *   the errno; the logic layer supplies a generic one otherwise;
 * - arguments that the logic layer checks (NULL pointers, option structs,
 *   flags outside IOASID_MAP_*) arrive already checked; everything that
 *   depends on backend state is the backend's to check.
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

struct ioasid_config;
struct ioasid_hwpt_ext_ops;

enum ioasid_obj_type {
	IOASID_OBJ_IOAS = 1,
	IOASID_OBJ_HWPT = 2,
};

struct ioasid_backend_ops {
	const char *name; /* "kernel" or "sim" */

	/* Free the backend and everything it holds (devices are closed by
	 * the logic layer first). */
	void (*close)(void *be);
	/* The iommufd, or -EOPNOTSUPP. */
	int (*ctx_fd)(void *be);

	/* Inventory: devices, groups, reserved regions. */
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
	 * -ENODEV when there is none.  NULL: -EOPNOTSUPP. */
	int (*iommu_info)(void *be, const char *name,
			  struct ioasid_iommu_info *info);

	/* Objects. */
	int (*ioas_alloc)(void *be, uint32_t *ioas_id);
	/* Destroy @id only if it is an object of @type: -ENOENT otherwise,
	 * -EBUSY if in use. */
	int (*destroy)(void *be, uint32_t id, enum ioasid_obj_type type);
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
	/* @flags: uAPI IOMMU_HWPT_ALLOC_* bits. */
	int (*hwpt_alloc)(void *be, uint32_t dev_id, uint32_t pt_id,
			  uint32_t flags, uint32_t *hwpt_id);

	/* IOMMU_GET_HW_INFO for bound device @dev_id: fill @info (sz set by
	 * the caller), copy up to *@data_len bytes of driver data to @data
	 * and set *@data_len to the size the backend has. */
	int (*hw_info)(void *be, uint32_t dev_id, struct ioasid_hw_info *info,
		       void *data, uint32_t *data_len);
	/* IOMMU_OPTION: get or set option @option (IOASID_OPTION_*) of
	 * @object_id (0 for the context-wide RLIMIT_MODE). */
	int (*option)(void *be, bool set, uint32_t option, uint32_t object_id,
		      uint64_t *val);

	/* Bind PCI device @name (as dev_info_get() names it) to @driver, or
	 * with @driver NULL to its default driver; refuse a device bound to
	 * another host driver (not vfio-pci) unless @force. */
	int (*set_driver)(void *be, const char *name, const char *driver,
			  bool force);

	/* Devices.  @info comes from dev_info_get(); the backend returns
	 * its own handle in *@bdev. */
	int (*dev_open)(void *be, const struct ioasid_dev_info *info,
			void **bdev);
	int (*dev_bind)(void *be, void *bdev, uint32_t *dev_id);
	/* Attach to @pt_id (IOAS or HWPT); when the device is attached
	 * already this is an atomic replace, as in VFIO. */
	int (*dev_attach)(void *be, void *bdev, uint32_t pt_id,
			  uint32_t *hwpt_id);
	int (*dev_detach)(void *be, void *bdev);
	/* The device's own fd (VFIO cdev), or -EOPNOTSUPP. */
	int (*dev_fd)(void *be, void *bdev);
	/* Detach and unbind as needed, then free the handle. */
	void (*dev_close)(void *be, void *bdev);

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

	/* Take the operator's configuration (lib/host/config.h, ioasid.conf(5);
	 * may be NULL): from now on every device report ends with
	 * ioasid_config_apply_dev().  close frees it. */
	void (*set_config)(void *be, struct ioasid_config *cfg);

	/* PowerPC PAMU style MSI banks of IOAS @ioas_id, see
	 * ioasid_ioas_msi_banks(3): list them (@banks/@num as in
	 * ioas_iova_ranges, -EMSGSIZE), map the @bank-th at @iova, unmap
	 * it.  The kernel answers -EOPNOTSUPP. */
	int (*ioas_msi_banks)(void *be, uint32_t ioas_id,
			      struct ioasid_msi_bank *banks, uint32_t *num);
	int (*ioas_map_msi_bank)(void *be, uint32_t ioas_id, uint32_t bank,
				 uint64_t iova);
	int (*ioas_unmap_msi_bank)(void *be, uint32_t ioas_id, uint32_t bank);

	/* Nested HWPTs, vIOMMU objects, queues, dirty tracking
	 * (lib/backend/hwpt-ext.h); NULL: -EOPNOTSUPP for all of them. */
	const struct ioasid_hwpt_ext_ops *ext;
};

/* Backend constructors.  On failure they return a negative errno and
 * have set a message. */
int ioasid_sim_open(const char *topology, const struct ioasid_backend_ops **ops,
		    void **be);
int ioasid_kernel_open(const char *dev_iommu, int fd, bool own_fd,
		       const struct ioasid_backend_ops **ops, void **be);

#endif /* IOASID_LIB_BACKEND_H */
