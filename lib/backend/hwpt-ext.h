/* SPDX-License-Identifier: MIT */
/*
 * Backend operations for nested HWPTs, vIOMMU objects, event queues,
 * fault queues and dirty tracking (lib/core/hwpt.c is the logic layer).
 * A backend points struct ioasid_backend_ops.ext here; NULL operations
 * (or a NULL table) answer -EOPNOTSUPP.  The contract of lib/backend/backend.h
 * holds: the kernel's errno, state unchanged on failure, serialized by
 * the context lock.
 */
#ifndef IOASID_LIB_HWPT_EXT_H
#define IOASID_LIB_HWPT_EXT_H

#include <stdbool.h>
#include <stdint.h>

#include <ioasid/ioasid.h>

/* What IOMMU_HWPT_ALLOC takes beyond dev_id and pt_id. */
struct ioasid_hwpt_user_args {
	uint32_t flags; /* IOASID_HWPT_ALLOC_* */
	uint32_t fault_id;
	uint32_t data_type;
	uint32_t data_len;
	const void *data;
};

enum ioasid_ext_obj {
	IOASID_EXT_VIOMMU = 1,
	IOASID_EXT_VDEVICE,
	IOASID_EXT_VEVENTQ,
	IOASID_EXT_FAULT,
};

struct ioasid_hwpt_ext_ops {
	int (*hwpt_alloc_user)(void *be, uint32_t dev_id, uint32_t pt_id,
			       const struct ioasid_hwpt_user_args *a,
			       uint32_t *hwpt_id);
	/* @entry_num in/out: entries, then entries handled. */
	int (*hwpt_invalidate)(void *be, uint32_t id, uint32_t data_type,
			       const void *entries, uint32_t entry_len,
			       uint32_t *entry_num);
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
	/* Destroy @id if it is a @type object (-ENOENT otherwise). */
	int (*destroy)(void *be, uint32_t id, enum ioasid_ext_obj type);
	int (*set_dirty_tracking)(void *be, uint32_t hwpt_id, bool enable);
	int (*get_dirty_bitmap)(void *be, uint32_t hwpt_id, uint64_t iova,
				uint64_t length, uint64_t page_size,
				uint64_t *bitmap, uint32_t flags);

	/* Test hooks (simulator; IOMMU_TEST_CMD on mock devices). */
	int (*test_dirty)(void *be, uint32_t hwpt_id, uint64_t iova,
			  uint64_t length, uint64_t page_size,
			  const uint64_t *bitmap, uint64_t *nr_dirty);
	int (*test_iopf)(void *be, uint32_t dev_id, uint32_t pasid,
			 uint32_t grpid, uint32_t perm, uint64_t addr);
	int (*test_vevent)(void *be, uint32_t dev_id);
	int (*test_check_iotlb)(void *be, uint32_t hwpt_id, uint32_t index,
				uint32_t value);
};

extern const struct ioasid_hwpt_ext_ops ioasid_sim_ext_ops;
extern const struct ioasid_hwpt_ext_ops ioasid_kernel_ext_ops;

/*
 * Simulator stage-1 walker hook (for lib/viommu's nested mode): translate
 * @iova through the stage-1 table described by a nested HWPT's driver
 * data to a stage-2 input address (GPA); @read fetches table memory by
 * GPA through the nest parent.  Return 0, or -EFAULT/-ENOENT for a
 * fault.
 */
typedef int (*ioasid_s1_read_fn)(void *rd, uint64_t gpa, void *buf,
				 uint32_t len);
typedef int (*ioasid_s1_walk_fn)(void *arg, uint32_t data_type,
				 const void *data, uint32_t data_len,
				 uint64_t iova, ioasid_s1_read_fn read,
				 void *rd, uint64_t *gpa);
/* Install @fn for simulator context @be (NULL removes it). */
void ioasid_sim_set_s1_walker(void *be, ioasid_s1_walk_fn fn, void *arg);
/*
 * ioasid_sim_hwpt_translate - the process address behind @iova of HWPT
 * @hwpt_id: a paging HWPT looks up its IOAS; a nested one walks stage 1
 * with the installed walker, then the parent.  -ENOENT: not mapped;
 * -EOPNOTSUPP: no walker, or file-backed memory.
 */
int ioasid_sim_hwpt_translate(void *be, uint32_t hwpt_id, uint64_t iova,
			      uint64_t *va);

#endif /* IOASID_LIB_HWPT_EXT_H */
