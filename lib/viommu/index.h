/* SPDX-License-Identifier: MIT */
/*
 * An ordered index of disjoint inclusive key ranges, each with a value
 * pointer: guest mappings (keyed by IOVA range), domains and endpoints
 * (keyed by id, a range of one).  O(log n).  The only file of the device
 * model that knows lib/util/itree.h, so that a change of the tree's interface
 * stays here.
 */
#ifndef IOASID_LIB_VIOMMU_INDEX_H
#define IOASID_LIB_VIOMMU_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "itree.h"

struct viommu_index {
	struct itree tree;
};

void vidx_init(struct viommu_index *ix);
/* 0; -EEXIST (overlap); -ENOMEM. */
int vidx_insert(struct viommu_index *ix, uint64_t first, uint64_t last,
		void *value);
void vidx_remove(struct viommu_index *ix, uint64_t first);
/* The value whose range contains @key, or NULL. */
void *vidx_find(const struct viommu_index *ix, uint64_t key);
/* The value of the lowest range intersecting [first, last], or NULL. */
void *vidx_first_overlap(const struct viommu_index *ix, uint64_t first,
			 uint64_t last);
/* As vidx_first_overlap(), with *@pos set for vidx_remove_at(). */
void *vidx_first_overlap_pos(const struct viommu_index *ix, uint64_t first,
			     uint64_t last, struct itree_iter *pos);
/* Remove what vidx_first_overlap_pos() found, the index unchanged since:
 * usually without a second descent. */
void vidx_remove_at(struct viommu_index *ix, const struct itree_iter *pos);
/* The value of the lowest range starting at or after @key, or NULL. */
void *vidx_next_from(const struct viommu_index *ix, uint64_t key);
size_t vidx_count(const struct viommu_index *ix);
/* Remove everything, calling @fn on every value (in order). */
void vidx_clear(struct viommu_index *ix, void (*fn)(void *value, void *arg),
		void *arg);

/* Every value of @ix in key order, for values keyed by their u32 ->id
 * (endpoints, domains). */
#define VIDX_FOR_EACH_ID(ix, x)                                            \
	for ((x) = vidx_next_from((ix), 0); (x);                           \
	     (x) = (x)->id == UINT32_MAX ? NULL                            \
					 : vidx_next_from((ix), (x)->id + 1ull))

#endif /* IOASID_LIB_VIOMMU_INDEX_H */
