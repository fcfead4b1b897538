/* SPDX-License-Identifier: MIT */
/*
 * A set of non-overlapping inclusive intervals [start, last], kept in a
 * balanced binary tree augmented so that a free gap of a given size and
 * alignment is found without walking every interval.  Insert, remove,
 * lookup and gap search are O(log n).  Intrusive: embed struct itree_node
 * in your own struct and use container_of-style arithmetic to get back.
 */
#ifndef IOASID_LIB_ITREE_H
#define IOASID_LIB_ITREE_H

#include <stddef.h>
#include <stdint.h>

struct itree_node {
	uint64_t start, last; /* set by the caller before insert */
	/* private */
	struct itree_node *left, *right, *parent;
	uint64_t sub_first, sub_last; /* lowest start / highest last below */
	uint64_t max_gap;	      /* widest gap between neighbours below */
	int height;
};

struct itree {
	struct itree_node *root;
	size_t count;
};

#define itree_entry(ptr, type, member)                                      \
	((type *)((char *)(ptr) - offsetof(type, member)))

void itree_init(struct itree *t);

/* Insert @n ([n->start, n->last], start <= last).  Return: 0, or -EEXIST
 * if it overlaps an interval already in the tree (tree unchanged). */
int itree_insert(struct itree *t, struct itree_node *n);

/* Remove @n, which must be in @t. */
void itree_remove(struct itree *t, struct itree_node *n);

/* The lowest interval that intersects [start, last], or NULL. */
struct itree_node *itree_first_overlap(const struct itree *t, uint64_t start,
				       uint64_t last);

/* The interval containing @addr, or NULL. */
struct itree_node *itree_find(const struct itree *t, uint64_t addr);

/* In-order neighbours and ends; NULL past either end. */
struct itree_node *itree_first(const struct itree *t);
struct itree_node *itree_last(const struct itree *t);
struct itree_node *itree_next(const struct itree_node *n);
struct itree_node *itree_prev(const struct itree_node *n);

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

/* Remove every node, calling @fn(node, arg) on each after it is
 * unlinked (fn may free it).  O(n). */
void itree_clear(struct itree *t, void (*fn)(struct itree_node *, void *),
		 void *arg);

#endif /* IOASID_LIB_ITREE_H */
