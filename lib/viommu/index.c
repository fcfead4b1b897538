// SPDX-License-Identifier: MIT
/* The device model's ordered index over lib/util/itree.h: see index.h. */
#include <errno.h>

#include "index.h"

void vidx_init(struct viommu_index *ix)
{
	itree_init(&ix->tree);
}

int vidx_insert(struct viommu_index *ix, uint64_t first, uint64_t last,
		void *value)
{
	return itree_insert(&ix->tree, first, last, value);
}

void vidx_remove(struct viommu_index *ix, uint64_t first)
{
	itree_remove(&ix->tree, first);
}

void *vidx_find(const struct viommu_index *ix, uint64_t key)
{
	struct itree_iter it;

	return itree_find(&ix->tree, key, &it) ? it.value : NULL;
}

void *vidx_first_overlap(const struct viommu_index *ix, uint64_t first,
			 uint64_t last)
{
	struct itree_iter it;

	return itree_first_overlap(&ix->tree, first, last, &it) ? it.value
								: NULL;
}

void *vidx_first_overlap_pos(const struct viommu_index *ix, uint64_t first,
			     uint64_t last, struct itree_iter *pos)
{
	return itree_first_overlap(&ix->tree, first, last, pos) ? pos->value
								: NULL;
}

void vidx_remove_at(struct viommu_index *ix, const struct itree_iter *pos)
{
	itree_remove_at(&ix->tree, pos);
}

void *vidx_next_from(const struct viommu_index *ix, uint64_t key)
{
	return vidx_first_overlap(ix, key, UINT64_MAX);
}

size_t vidx_count(const struct viommu_index *ix)
{
	return ix->tree.count;
}

struct clear_arg {
	void (*fn)(void *value, void *arg);
	void *arg;
};

static void clear_one(uint64_t start, uint64_t last, void *value, void *arg)
{
	struct clear_arg *c = arg;

	(void)start;
	(void)last;
	if (c->fn)
		c->fn(value, c->arg);
}

void vidx_clear(struct viommu_index *ix, void (*fn)(void *value, void *arg),
		void *arg)
{
	struct clear_arg c = { fn, arg };

	itree_clear(&ix->tree, clear_one, &c);
}
