/* SPDX-License-Identifier: MIT */
/*
 * A set of non-overlapping inclusive intervals [start, last], each with a
 * value pointer, kept in a B+-tree with wide nodes so that a lookup
 * touches a handful of cache lines rather than one per level of a binary
 * tree.  Inner nodes keep, per child, its lowest start, highest last and
 * widest gap between neighbours inside it, so that a free gap of a given
 * size and alignment is found without walking every interval.  Insert,
 * remove, lookup and gap search are O(log n).  Nodes come from a per-tree
 * pool (large chunks, transparent huge pages where the kernel allows).
 */
#ifndef IOASID_LIB_ITREE_H
#define IOASID_LIB_ITREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct itree_leaf;

struct itree {
	void *root;	     /* a leaf when height is 0, else an inner node */
	size_t count;	     /* intervals */
	unsigned int height; /* levels of inner nodes above the leaves */
	/* private: node pool */
	void *free_leaves, *free_inners;
	char *chunk_cur, *chunk_end;
	void *chunks;
	size_t next_chunk;
};

/* A position in the tree: the interval and its value.  Valid until the
 * tree is next changed. */
struct itree_iter {
	uint64_t start, last;
	void *value;
	/* private */
	struct itree_leaf *leaf;
	unsigned int idx;
};

void itree_init(struct itree *t);

/* Insert [start, last] with @value.  Return: 0; -EINVAL if start > last;
 * -EEXIST if it overlaps an interval already in the tree; -ENOMEM.  The
 * tree is unchanged on failure. */
int itree_insert(struct itree *t, uint64_t start, uint64_t last, void *value);

/* Remove the interval that begins at @start.  Return: 0, or -ENOENT. */
int itree_remove(struct itree *t, uint64_t start);

/* Remove the interval @it points at (from a lookup, the tree unchanged
 * since): no descent unless the leaf's summary changes or it runs low. */
void itree_remove_at(struct itree *t, const struct itree_iter *it);

/* The lowest interval that intersects [start, last]: true and *@it set,
 * or false. */
bool itree_first_overlap(const struct itree *t, uint64_t start, uint64_t last,
			 struct itree_iter *it);

/* The interval containing @addr. */
bool itree_find(const struct itree *t, uint64_t addr, struct itree_iter *it);

/* In-order ends and neighbours; false past either end (*@it is then
 * unspecified). */
bool itree_first(const struct itree *t, struct itree_iter *it);
bool itree_last(const struct itree *t, struct itree_iter *it);
bool itree_next(struct itree_iter *it);
bool itree_prev(struct itree_iter *it);

/*
 * itree_find_gap - the lowest address A such that [A, A + length - 1] lies
 * inside [lo, hi], touches no interval of @t, and A = ALIGN_UP(h, align) |
 * offset where h is the first address of the free span (maximal run of
 * addresses in [lo, hi] not covered by @t) that contains A.  This is the
 * rule the kernel's IOVA allocator applies to each hole in order: take
 * the hole's start, round it up to @align, OR in @offset, and accept it if
 * the result is below the hole's last address and at least length - 1
 * below it.
 * @align: a power of two; @offset < @align; @length > 0.
 *
 * Return: 0 with *@out set, or -ENOSPC.
 */
int itree_find_gap(const struct itree *t, uint64_t lo, uint64_t hi,
		   uint64_t length, uint64_t align, uint64_t offset,
		   uint64_t *out);

/* Remove every interval, calling @fn(start, last, value, arg) on each in
 * order (it may free the value), and release the tree's memory; the tree
 * is then empty and usable.  O(n). */
void itree_clear(struct itree *t,
		 void (*fn)(uint64_t start, uint64_t last, void *value,
			    void *arg),
		 void *arg);

#endif /* IOASID_LIB_ITREE_H */
