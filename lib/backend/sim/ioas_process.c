// SPDX-License-Identifier: MIT
/*
 * The simulator's IOMMU_IOAS_CHANGE_PROCESS, after ioas.c
 * iommufd_ioas_change_process() (Linux 7.3): every area of every IOAS
 * must map a file, or nothing changes.  The simulator lives in one
 * process and keeps no pinned-page counts (it pins nothing), so once the
 * check passes there is nothing to move.
 */
#include "sim.h"

int sim_ioas_change_process(void *be)
{
	struct sim *s = be;

	/* iommufd_take_all_iova_rwsem() then the first for_each_ioas_area()
	 * walk: IOASes in id order, areas in IOVA order, -EINVAL at the
	 * first one whose pages are not IOPT_ADDRESS_FILE. */
	for (uint32_t id = 1; id < s->num_objs; id++) {
		struct sim_obj *o = s->objs[id];
		struct sim_ioas *ioas;
		struct itree_iter it;
		bool more;

		if (!o || o->type != SIM_IOAS)
			continue;
		ioas = (struct sim_ioas *)o;
		for (more = itree_first(&ioas->areas, &it); more;
		     more = itree_next(&it)) {
			const struct sim_area *a = it.value;

			if (!a->pages->is_file)
				return ioasid_fail(-EINVAL,
						   "ioas %u iova %#llx-%#llx maps process memory, which cannot change process; only file mappings can",
						   id, (ull)it.start, (ull)it.last);
		}
	}
	return 0;
}
