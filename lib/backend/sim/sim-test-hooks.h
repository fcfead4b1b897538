/* SPDX-License-Identifier: MIT */
/*
 * Hooks into the simulator for tests only: no library code includes this
 * header (lib/viommu/ cannot, its include path has no lib/backend/sim/),
 * and nothing here is part of the backend ops.  @be is the handle
 * ioasid_sim_open() returned (struct ioasid_ctx.be of a simulator
 * context).  lib/backend/sim/selftest.c implements them.
 */
#ifndef IOASID_LIB_SIM_TEST_HOOKS_H
#define IOASID_LIB_SIM_TEST_HOOKS_H

#include <stdint.h>

/*
 * A stage-1 walker, for tests of lib/viommu's nested mode
 * (lib/viommu/pgtable.h vpt_s1_walk() has this type): translate @iova
 * through the stage-1 table described by a nested HWPT's driver data to a
 * stage-2 input address (GPA); @read fetches table memory by GPA through
 * the nest parent.  Return 0, or -EFAULT/-ENOENT for a fault.
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

/*
 * ioasid_sim_set_max_areas - at most @max areas (mappings) in each IOAS
 * of simulator context @be; 0, the default, for no limit.  iommufd has
 * no fixed limit either: an area is kernel memory charged to the memory
 * cgroup, and running out of it fails the map with -ENOMEM.  This is
 * that exhaustion on demand: a map or copy that would pass @max fails
 * whole with -ENOMEM and a message naming the limit, nothing inserted.
 */
void ioasid_sim_set_max_areas(void *be, uint64_t max);

#endif /* IOASID_LIB_SIM_TEST_HOOKS_H */
