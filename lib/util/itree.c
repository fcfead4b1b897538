/* SPDX-License-Identifier: MIT */
/*
 * B+-tree of non-overlapping inclusive intervals, keyed by start.
 *
 * Because intervals never overlap, order by start is also order by last,
 * so every search descends by "first child whose highest last is >= key".
 * Keys are packed in per-node arrays: a lookup reads a few cache lines
 * per level and there are about four levels at a million intervals, where
 * a binary tree has twenty levels of scattered nodes.  Each inner node
 * keeps, per child, the lowest start, highest last and widest gap between
 * neighbouring intervals inside it; the gap search skips children whose
 * gaps are too narrow.  Every node also keeps its own widest gap so that
 * a change in a leaf stops propagating at the first level whose summary
 * comes out unchanged (the common case: filling or opening a gap that is
 * not the widest one).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "itree.h"

#define LEAF_MAX 32
#define LEAF_MIN 4 /* below this a leaf merges or borrows */
#define INNER_MAX 31 /* 4 arrays of 31 + header fit in 1 KiB */
#define INNER_MIN 4
#define MERGE_MAX(max) ((max) * 3 / 4) /* room left after a merge */
#define MAX_HEIGHT 24 /* inner levels; 8^24 intervals is out of reach */

#define CACHE_LINE 64
#define CHUNK_MIN 4096
#define CHUNK_HUGE (2u << 20) /* x86/arm64 transparent huge page */

/* Arrays first, so that each starts on a cache line. */
struct itree_leaf {
	uint64_t last[LEAF_MAX];
	uint64_t start[LEAF_MAX];
	void *value[LEAF_MAX];
	struct itree_leaf *prev, *next;
	uint64_t max_gap; /* widest gap between neighbours in this leaf */
	unsigned int n;
};

/* What a descent reads first: the count, last[] and child[]. */
struct itree_inner {
	unsigned int n;
	uint64_t last[INNER_MAX];  /* per child: highest last below it */
	void *child[INNER_MAX];
	uint64_t first[INNER_MAX]; /* lowest start */
	uint64_t gap[INNER_MAX];   /* widest gap between neighbours inside */
	uint64_t max_gap; /* widest gap anywhere below, between children too */
};

/* The inner nodes from the root down to a leaf and the child index taken
 * at each. */
struct path {
	struct itree_inner *node[MAX_HEIGHT];
	unsigned int idx[MAX_HEIGHT];
};

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Free addresses strictly between two ordered intervals; at most
 * UINT64_MAX - 1, so it cannot overflow. */
static inline uint64_t gap_between(uint64_t left_last, uint64_t right_start)
{
	return right_start - left_last - 1;
}

/*
 * First index i < n with a[i] >= key, or n: the count of keys below @key,
 * since a node's keys ascend.  A count over the whole node, not a binary
 * search: keys arrive in random order, so a binary search's branches are
 * mispredicted about half the time, which with four or five levels per
 * descent cost more than the memory; a branch-free binary search chains
 * its loads one after another.  The count's loads and compares are
 * independent (four sums for the adds), and a node is at most 32 keys.
 * Measured, random map+unmap at 1M intervals: 640 ns a pair with the
 * binary search, 490 branch-free binary, 400 with the count; in address
 * order (predictable branches) 183, 291 and 186 (docs/BENCHMARKS.md).
 */
static inline unsigned int lower_bound(const uint64_t *a, unsigned int n,
				       uint64_t key)
{
	unsigned int c0 = 0, c1 = 0, c2 = 0, c3 = 0, i = 0;

	for (; i + 4 <= n; i += 4) {
		c0 += a[i] < key;
		c1 += a[i + 1] < key;
		c2 += a[i + 2] < key;
		c3 += a[i + 3] < key;
	}
	for (; i < n; i++)
		c0 += a[i] < key;
	return c0 + c1 + c2 + c3;
}

/* ---- node pool --------------------------------------------------------- */

static size_t round_line(size_t size)
{
	return (size + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
}

/*
 * Nodes are carved from chunks that double from 4 KiB up to 2 MiB, so a
 * small tree costs little and a large one sits in huge pages (one TLB
 * entry per 2 MiB of nodes).  Freed nodes go to a free list per kind;
 * chunks are released by itree_clear().
 */
static void *pool_get(struct itree *t, void **free_list, size_t size)
{
	void *p = *free_list;

	if (p) {
		*free_list = *(void **)p;
		return p;
	}
	size = round_line(size);
	if ((size_t)(t->chunk_end - t->chunk_cur) < size) {
		size_t chunk = t->next_chunk ? t->next_chunk : CHUNK_MIN;
		void *c;

		if (posix_memalign(&c, chunk >= CHUNK_HUGE ? CHUNK_HUGE
							   : CACHE_LINE,
				   chunk))
			return NULL;
		if (chunk >= CHUNK_HUGE)
			madvise(c, chunk, MADV_HUGEPAGE); /* a hint only */
		*(void **)c = t->chunks;
		t->chunks = c;
		t->chunk_cur = (char *)c + CACHE_LINE;
		t->chunk_end = (char *)c + chunk;
		t->next_chunk = chunk < CHUNK_HUGE ? chunk * 2 : CHUNK_HUGE;
	}
	p = t->chunk_cur;
	t->chunk_cur += size;
	return p;
}

static void pool_put(void **free_list, void *p)
{
	*(void **)p = *free_list;
	*free_list = p;
}

static struct itree_leaf *leaf_alloc(struct itree *t)
{
	struct itree_leaf *l = pool_get(t, &t->free_leaves, sizeof(*l));

	if (l) {
		l->n = 0;
		l->max_gap = 0;
		l->prev = l->next = NULL;
	}
	return l;
}

static struct itree_inner *inner_alloc(struct itree *t)
{
	struct itree_inner *in = pool_get(t, &t->free_inners, sizeof(*in));

	if (in) {
		in->n = 0;
		in->max_gap = 0;
	}
	return in;
}

/* ---- node contents ------------------------------------------------------ */

/* memmove-based, so source and destination may be the same node. */
static void leaf_copy(struct itree_leaf *d, unsigned int di,
		      const struct itree_leaf *s, unsigned int si,
		      unsigned int count)
{
	memmove(&d->last[di], &s->last[si], count * sizeof(d->last[0]));
	memmove(&d->start[di], &s->start[si], count * sizeof(d->start[0]));
	memmove(&d->value[di], &s->value[si], count * sizeof(d->value[0]));
}

static void inner_copy(struct itree_inner *d, unsigned int di,
		       const struct itree_inner *s, unsigned int si,
		       unsigned int count)
{
	memmove(&d->last[di], &s->last[si], count * sizeof(d->last[0]));
	memmove(&d->first[di], &s->first[si], count * sizeof(d->first[0]));
	memmove(&d->gap[di], &s->gap[si], count * sizeof(d->gap[0]));
	memmove(&d->child[di], &s->child[si], count * sizeof(d->child[0]));
}

static uint64_t leaf_scan_gap(const struct itree_leaf *l)
{
	uint64_t gap = 0;

	for (unsigned int i = 1; i < l->n; i++)
		gap = max_u64(gap, gap_between(l->last[i - 1], l->start[i]));
	return gap;
}

/*
 * The widest gap of @l after a gap equal to its widest, @old, was split
 * or dropped, so that no gap is wider than @old: @old again as soon as
 * another gap that wide turns up (often the first: leaves of equally
 * spaced mappings), else the widest of the rest.
 */
static uint64_t leaf_rescan_gap(const struct itree_leaf *l, uint64_t old)
{
	uint64_t gap = 0;

	for (unsigned int i = 1; i < l->n; i++) {
		uint64_t g = gap_between(l->last[i - 1], l->start[i]);

		if (g == old)
			return old;
		gap = max_u64(gap, g);
	}
	return gap;
}

static uint64_t inner_scan_gap(const struct itree_inner *in)
{
	uint64_t gap = in->gap[0];

	for (unsigned int i = 1; i < in->n; i++) {
		gap = max_u64(gap, in->gap[i]);
		gap = max_u64(gap, gap_between(in->last[i - 1], in->first[i]));
	}
	return gap;
}

/* Copy @child's summary into entry @i of its parent @in; true if it
 * changed.  @leaf: whether the children are leaves. */
static bool set_summary(struct itree_inner *in, unsigned int i,
			const void *child, bool leaf)
{
	uint64_t first, last, gap;

	if (leaf) {
		const struct itree_leaf *l = child;

		first = l->start[0];
		last = l->last[l->n - 1];
		gap = l->max_gap;
	} else {
		const struct itree_inner *c = child;

		first = c->first[0];
		last = c->last[c->n - 1];
		gap = c->max_gap;
	}
	in->child[i] = (void *)child;
	if (in->first[i] == first && in->last[i] == last && in->gap[i] == gap)
		return false;
	in->first[i] = first;
	in->last[i] = last;
	in->gap[i] = gap;
	return true;
}

static inline unsigned int node_count(const void *node, bool leaf)
{
	return leaf ? ((const struct itree_leaf *)node)->n
		    : ((const struct itree_inner *)node)->n;
}

/*
 * @child, at @depth (the leaves are at t->height), has a new summary:
 * copy it into the ancestors on @p, stopping at the first that comes out
 * unchanged unless @force (after a structural change).
 */
static void refresh_path(struct itree *t, struct path *p, unsigned int depth,
			 void *child, bool force)
{
	bool leaf = depth == t->height;

	while (depth-- > 0) {
		struct itree_inner *in = p->node[depth];

		if (!set_summary(in, p->idx[depth], child, leaf) && !force)
			return;
		in->max_gap = inner_scan_gap(in);
		child = in;
		leaf = false;
	}
}

/*
 * Ask for every cache line of @size bytes at @p at once, so that the
 * misses overlap instead of following one another through the binary
 * search and the array moves: one memory latency per node, not several.
 */
static inline void prefetch_lines(const void *p, size_t size)
{
	for (size_t off = 0; off < size; off += CACHE_LINE)
		__builtin_prefetch((const char *)p + off);
}

static struct itree_leaf *descend(const struct itree *t, uint64_t key,
				  struct path *p)
{
	void *n = t->root;

	for (unsigned int d = 0; d < t->height; d++) {
		struct itree_inner *in = n;
		unsigned int i = lower_bound(in->last, in->n, key);

		if (i == in->n)
			i--;
		if (p) {
			p->node[d] = in;
			p->idx[d] = i;
		}
		n = in->child[i];
		/* Whole leaves (measured best: 450 ns per random pair at
		 * 1M intervals against 470 for half and 590 for a quarter);
		 * of inner nodes the part a descent reads. */
		if (d + 1 < t->height)
			prefetch_lines(n, offsetof(struct itree_inner, first));
		else
			prefetch_lines(n, sizeof(struct itree_leaf));
	}
	return n;
}

/* ---- public ------------------------------------------------------------- */

void itree_init(struct itree *t)
{
	memset(t, 0, sizeof(*t));
}

/* Put an interval at @pos of a leaf with room, keeping max_gap. */
static void leaf_put(struct itree_leaf *l, unsigned int pos, uint64_t start,
		     uint64_t last, void *value)
{
	unsigned int n = l->n;
	bool rescan = false;

	if (pos > 0 && pos < n) {
		/* Splitting a gap can only lower the maximum, and only if
		 * it was the widest. */
		rescan = gap_between(l->last[pos - 1], l->start[pos]) ==
			 l->max_gap;
	} else if (pos == 0 && n) {
		l->max_gap = max_u64(l->max_gap, gap_between(last, l->start[0]));
	} else if (n) {
		l->max_gap = max_u64(l->max_gap,
				     gap_between(l->last[n - 1], start));
	}
	leaf_copy(l, pos + 1, l, pos, n - pos);
	l->last[pos] = last;
	l->start[pos] = start;
	l->value[pos] = value;
	l->n = n + 1;
	if (rescan)
		l->max_gap = leaf_rescan_gap(l, l->max_gap);
}

/* Insert a child after entry @i of a non-full inner node. */
static void inner_put(struct itree_inner *in, unsigned int i, void *child,
		      bool leaf)
{
	inner_copy(in, i + 1, in, i, in->n - i);
	in->n++;
	in->first[i] = in->last[i] = in->gap[i] = 0;
	set_summary(in, i, child, leaf);
}

/* Split full @l while inserting at @pos; @right is the new leaf. */
static void leaf_split(struct itree_leaf *l, struct itree_leaf *right,
		       unsigned int pos, uint64_t start, uint64_t last,
		       void *value)
{
	/* Appending past the tree's highest interval leaves @l nearly
	 * full (the new leaf gets LEAF_MIN), so that ascending fills, the
	 * common way to map guest memory, pack leaves; otherwise halves. */
	unsigned int mid = pos == LEAF_MAX && !l->next
				   ? LEAF_MAX - LEAF_MIN + 1
				   : LEAF_MAX / 2;

	leaf_copy(right, 0, l, mid, LEAF_MAX - mid);
	right->n = LEAF_MAX - mid;
	l->n = mid;
	if (pos < mid)
		leaf_put(l, pos, start, last, value);
	else
		leaf_put(right, pos - mid, start, last, value);
	l->max_gap = leaf_scan_gap(l);
	right->max_gap = leaf_scan_gap(right);
	right->next = l->next;
	right->prev = l;
	if (l->next)
		l->next->prev = right;
	l->next = right;
}

/* Split full @in while inserting @child after entry @i. */
static void inner_split(struct itree_inner *in, struct itree_inner *right,
			unsigned int i, void *child, bool leaf, bool append)
{
	unsigned int mid = append && i + 1 == INNER_MAX
				   ? INNER_MAX - INNER_MIN + 1
				   : INNER_MAX / 2;

	inner_copy(right, 0, in, mid, INNER_MAX - mid);
	right->n = INNER_MAX - mid;
	in->n = mid;
	if (i + 1 < mid)
		inner_put(in, i + 1, child, leaf);
	else
		inner_put(right, i + 1 - mid, child, leaf);
	in->max_gap = inner_scan_gap(in);
	right->max_gap = inner_scan_gap(right);
}

int itree_insert(struct itree *t, uint64_t start, uint64_t last, void *value)
{
	struct itree_inner *spare[MAX_HEIGHT + 1];
	unsigned int nspare = 0, pos, need = 0;
	struct itree_leaf *l, *new_leaf;
	void *left, *right;
	struct path p;
	int depth;
	bool append;

	if (start > last)
		return -EINVAL;
	if (!t->root) {
		l = leaf_alloc(t);
		if (!l)
			return -ENOMEM;
		t->root = l;
		t->height = 0;
	}
	l = descend(t, start, &p);
	/* The only interval that can overlap is the lowest one ending at
	 * or after @start, and the descent led to it. */
	pos = lower_bound(l->last, l->n, start);
	if (pos < l->n && l->start[pos] <= last)
		return -EEXIST;
	if (l->n < LEAF_MAX) {
		leaf_put(l, pos, start, last, value);
		t->count++;
		refresh_path(t, &p, t->height, l, false);
		return 0;
	}

	/* Allocate everything a split can need first, so that running out
	 * of memory leaves the tree as it was. */
	for (depth = t->height - 1; depth >= 0 && p.node[depth]->n == INNER_MAX;
	     depth--)
		need++;
	if (depth < 0)
		need++; /* a new root */
	new_leaf = leaf_alloc(t);
	while (new_leaf && nspare < need) {
		spare[nspare] = inner_alloc(t);
		if (!spare[nspare])
			break;
		nspare++;
	}
	if (!new_leaf || nspare < need) {
		while (nspare)
			pool_put(&t->free_inners, spare[--nspare]);
		if (new_leaf)
			pool_put(&t->free_leaves, new_leaf);
		return -ENOMEM;
	}

	append = pos == LEAF_MAX && !l->next;
	leaf_split(l, new_leaf, pos, start, last, value);
	t->count++;
	left = l;
	right = new_leaf;
	for (depth = t->height - 1; depth >= 0; depth--) {
		struct itree_inner *in = p.node[depth];
		unsigned int i = p.idx[depth];
		bool leaf = depth == (int)t->height - 1;

		set_summary(in, i, left, leaf);
		if (in->n < INNER_MAX) {
			inner_put(in, i + 1, right, leaf);
			in->max_gap = inner_scan_gap(in);
			refresh_path(t, &p, depth, in, true);
			return 0;
		}
		inner_split(in, spare[--nspare], i, right, leaf, append);
		left = in;
		right = spare[nspare];
	}
	/* The root split: a new root above the two halves. */
	{
		struct itree_inner *root = spare[--nspare];
		bool leaf = t->height == 0;

		root->n = 2;
		root->first[0] = root->last[0] = root->gap[0] = 0;
		root->first[1] = root->last[1] = root->gap[1] = 0;
		set_summary(root, 0, left, leaf);
		set_summary(root, 1, right, leaf);
		root->max_gap = inner_scan_gap(root);
		t->root = root;
		t->height++;
	}
	return 0;
}

/* Merge or rebalance the underfull node at @depth with a sibling, up the
 * path as long as parents underflow in turn. */
static void fix_underflow(struct itree *t, struct path *p, unsigned int depth)
{
	for (;;) {
		unsigned int d = depth - 1;
		struct itree_inner *in = p->node[d];
		unsigned int li = p->idx[d] + 1 < in->n ? p->idx[d]
							: p->idx[d] - 1;
		bool leaf = depth == t->height;
		void *l = in->child[li], *r = in->child[li + 1];
		unsigned int ln = node_count(l, leaf), rn = node_count(r, leaf);
		unsigned int max = leaf ? LEAF_MAX : INNER_MAX;
		unsigned int want = (ln + rn) / 2;

		if (ln + rn <= MERGE_MAX(max)) {
			if (leaf) {
				struct itree_leaf *a = l, *b = r;

				leaf_copy(a, ln, b, 0, rn);
				a->n = ln + rn;
				a->max_gap = leaf_scan_gap(a);
				a->next = b->next;
				if (b->next)
					b->next->prev = a;
				pool_put(&t->free_leaves, b);
			} else {
				struct itree_inner *a = l, *b = r;

				inner_copy(a, ln, b, 0, rn);
				a->n = ln + rn;
				a->max_gap = inner_scan_gap(a);
				pool_put(&t->free_inners, b);
			}
			inner_copy(in, li + 1, in, li + 2, in->n - li - 2);
			in->n--;
			set_summary(in, li, l, leaf);
		} else {
			if (leaf) {
				struct itree_leaf *a = l, *b = r;

				if (ln < want) {
					leaf_copy(a, ln, b, 0, want - ln);
					leaf_copy(b, 0, b, want - ln,
						  rn - (want - ln));
				} else {
					leaf_copy(b, ln - want, b, 0, rn);
					leaf_copy(b, 0, a, want, ln - want);
				}
				b->n = ln + rn - want;
				a->n = want;
				a->max_gap = leaf_scan_gap(a);
				b->max_gap = leaf_scan_gap(b);
			} else {
				struct itree_inner *a = l, *b = r;

				if (ln < want) {
					inner_copy(a, ln, b, 0, want - ln);
					inner_copy(b, 0, b, want - ln,
						   rn - (want - ln));
				} else {
					inner_copy(b, ln - want, b, 0, rn);
					inner_copy(b, 0, a, want, ln - want);
				}
				b->n = ln + rn - want;
				a->n = want;
				a->max_gap = inner_scan_gap(a);
				b->max_gap = inner_scan_gap(b);
			}
			set_summary(in, li, l, leaf);
			set_summary(in, li + 1, r, leaf);
		}
		in->max_gap = inner_scan_gap(in);
		if (d == 0) {
			if (in->n == 1) { /* the root has one child left */
				t->root = in->child[0];
				t->height--;
				pool_put(&t->free_inners, in);
			}
			return;
		}
		if (in->n >= INNER_MIN) {
			refresh_path(t, p, d, in, true);
			return;
		}
		depth = d;
	}
}

/* Take entry @pos out of leaf @l, keeping l->max_gap; the caller fixes
 * the count and everything above the leaf. */
static void leaf_take(struct itree_leaf *l, unsigned int pos)
{
	unsigned int n = l->n;
	bool rescan = false;

	if (pos > 0 && pos + 1 < n)
		/* Two gaps become one wider one. */
		l->max_gap = max_u64(l->max_gap,
				     gap_between(l->last[pos - 1],
						 l->start[pos + 1]));
	else if (n > 1)
		/* A gap at the edge goes: rescan if it was the widest. */
		rescan = (pos == 0 ? gap_between(l->last[0], l->start[1])
				   : gap_between(l->last[n - 2],
						 l->start[n - 1])) ==
			 l->max_gap;
	leaf_copy(l, pos, l, pos + 1, n - pos - 1);
	l->n = n - 1;
	if (rescan)
		l->max_gap = leaf_rescan_gap(l, l->max_gap);
}

/* After leaf_take() on @l, reached by @p: the root case, underflow, or
 * the new summary up the path. */
static void leaf_taken(struct itree *t, struct itree_leaf *l, struct path *p)
{
	t->count--;
	if (!t->height) {
		if (!l->n) {
			pool_put(&t->free_leaves, l);
			t->root = NULL;
		}
		return;
	}
	if (l->n < LEAF_MIN)
		fix_underflow(t, p, t->height);
	else
		refresh_path(t, p, t->height, l, false);
}

static void iter_set(struct itree_iter *it, struct itree_leaf *l,
		     unsigned int i);

/* A lookup, then itree_remove_at() (so that every removal, and the
 * randomized tests of this one, go through the same code). */
int itree_remove(struct itree *t, uint64_t start)
{
	struct itree_iter it;
	struct itree_leaf *l;
	unsigned int pos;

	if (!t->root)
		return -ENOENT;
	l = descend(t, start, NULL);
	pos = lower_bound(l->last, l->n, start);
	if (pos == l->n || l->start[pos] != start)
		return -ENOENT;
	iter_set(&it, l, pos);
	itree_remove_at(t, &it);
	return 0;
}

void itree_remove_at(struct itree *t, const struct itree_iter *it)
{
	struct itree_leaf *l = it->leaf;
	uint64_t first = l->start[0], last = l->last[l->n - 1];
	uint64_t gap = l->max_gap;
	struct path p;

	leaf_take(l, it->idx);
	/* The usual case: the leaf keeps enough intervals and its summary
	 * (lowest start, highest last, widest gap) did not change, so no
	 * ancestor needs a word changed and no descent is needed. */
	if (t->height && l->n >= LEAF_MIN && l->start[0] == first &&
	    l->last[l->n - 1] == last && l->max_gap == gap) {
		t->count--;
		return;
	}
	/* Otherwise the path from the root: the leaf is where a descent
	 * for any key inside it ends (the keys of the ones next to it are
	 * still in place), so its lowest remaining last leads there. */
	if (t->height && l->n)
		descend(t, l->last[0], &p);
	else if (t->height)
		descend(t, it->start, &p);
	leaf_taken(t, l, &p);
}

static void iter_set(struct itree_iter *it, struct itree_leaf *l,
		     unsigned int i)
{
	it->leaf = l;
	it->idx = i;
	it->start = l->start[i];
	it->last = l->last[i];
	it->value = l->value[i];
}

bool itree_first_overlap(const struct itree *t, uint64_t start, uint64_t last,
			 struct itree_iter *it)
{
	struct itree_leaf *l;
	unsigned int i;

	if (!t->root || start > last)
		return false;
	/* Lowest interval ending at or after @start; it overlaps iff it
	 * also begins at or before @last. */
	l = descend(t, start, NULL);
	i = lower_bound(l->last, l->n, start);
	if (i == l->n || l->start[i] > last)
		return false;
	iter_set(it, l, i);
	return true;
}

bool itree_find(const struct itree *t, uint64_t addr, struct itree_iter *it)
{
	return itree_first_overlap(t, addr, addr, it);
}

bool itree_first(const struct itree *t, struct itree_iter *it)
{
	void *n = t->root;

	if (!n)
		return false;
	for (unsigned int d = 0; d < t->height; d++)
		n = ((struct itree_inner *)n)->child[0];
	iter_set(it, n, 0);
	return true;
}

bool itree_last(const struct itree *t, struct itree_iter *it)
{
	void *n = t->root;

	if (!n)
		return false;
	for (unsigned int d = 0; d < t->height; d++) {
		struct itree_inner *in = n;

		n = in->child[in->n - 1];
	}
	iter_set(it, n, ((struct itree_leaf *)n)->n - 1);
	return true;
}

bool itree_next(struct itree_iter *it)
{
	struct itree_leaf *l = it->leaf;

	if (it->idx + 1 < l->n) {
		iter_set(it, l, it->idx + 1);
		return true;
	}
	if (!l->next)
		return false;
	iter_set(it, l->next, 0);
	return true;
}

bool itree_prev(struct itree_iter *it)
{
	struct itree_leaf *l = it->leaf;

	if (it->idx > 0) {
		iter_set(it, l, it->idx - 1);
		return true;
	}
	if (!l->prev)
		return false;
	iter_set(it, l->prev, l->prev->n - 1);
	return true;
}

/* ---- gap search ----------------------------------------------------------- */

struct gap_query {
	uint64_t lo, hi;
	uint64_t length, align, offset;
	uint64_t need; /* fewest free addresses a span must have */
	uint64_t found;
	unsigned int height;
};

/*
 * The kernel's per-hole rule: round the hole's first address up to the
 * alignment (giving up if that wraps), OR in the offset, and accept the
 * result if it lies below the hole's last address with room for length.
 */
static bool span_accepts(struct gap_query *q, uint64_t first, uint64_t last)
{
	uint64_t a;

	if (first < q->lo)
		first = q->lo;
	if (last > q->hi)
		last = q->hi;
	if (first > last)
		return false;
	if (__builtin_add_overflow(first, q->align - 1, &a))
		return false;
	a = (a & ~(q->align - 1)) | q->offset;
	if (a >= last || last - a < q->length - 1)
		return false;
	q->found = a;
	return true;
}

/* The gap between two neighbours, if it is wide enough to be worth the
 * rule. */
static bool between_accepts(struct gap_query *q, uint64_t left_last,
			    uint64_t right_start)
{
	return gap_between(left_last, right_start) >= q->need &&
	       span_accepts(q, left_last + 1, right_start - 1);
}

static bool search_leaf(const struct itree_leaf *l, struct gap_query *q)
{
	/* Gaps wholly below lo cannot matter: start at the gap that ends
	 * at the first interval reaching lo. */
	unsigned int i = lower_bound(l->last, l->n, q->lo);

	for (i = i ? i : 1; i < l->n; i++) {
		if (l->last[i - 1] >= q->hi)
			return false;
		if (between_accepts(q, l->last[i - 1], l->start[i]))
			return true;
	}
	return false;
}

/* In order over the gaps inside @node at @depth. */
static bool search_node(const void *node, unsigned int depth,
			struct gap_query *q)
{
	const struct itree_inner *in = node;
	unsigned int k;

	if (depth == q->height)
		return search_leaf(node, q);
	k = lower_bound(in->last, in->n, q->lo);
	if (k == in->n)
		return false;
	if (k > 0 && between_accepts(q, in->last[k - 1], in->first[k]))
		return true;
	for (; k < in->n; k++) {
		if (in->first[k] >= q->hi)
			return false;
		if (in->gap[k] >= q->need && in->last[k] > q->lo &&
		    search_node(in->child[k], depth + 1, q))
			return true;
		if (k + 1 < in->n &&
		    between_accepts(q, in->last[k], in->first[k + 1]))
			return true;
	}
	return false;
}

int itree_find_gap(const struct itree *t, uint64_t lo, uint64_t hi,
		   uint64_t length, uint64_t align, uint64_t offset,
		   uint64_t *out)
{
	struct gap_query q = {
		.lo = lo, .hi = hi,
		.length = length, .align = align, .offset = offset,
		/* A span must hold length addresses, and at least two since
		 * the result has to lie strictly below the span's last. */
		.need = length > 2 ? length : 2,
		.height = t->height,
	};
	uint64_t first, last, max_gap;

	if (!length || !align || (align & (align - 1)) || offset >= align)
		return -EINVAL;
	if (lo > hi)
		return -ENOSPC;
	if (!t->root) {
		if (!span_accepts(&q, lo, hi))
			return -ENOSPC;
		*out = q.found;
		return 0;
	}
	if (t->height) {
		const struct itree_inner *in = t->root;

		first = in->first[0];
		last = in->last[in->n - 1];
		max_gap = in->max_gap;
	} else {
		const struct itree_leaf *l = t->root;

		first = l->start[0];
		last = l->last[l->n - 1];
		max_gap = l->max_gap;
	}
	/* Before the first interval, between intervals, after the last. */
	if ((first > lo && span_accepts(&q, lo, first - 1)) ||
	    (max_gap >= q.need && last > lo && first < hi &&
	     search_node(t->root, 0, &q)) ||
	    (last < hi && span_accepts(&q, last + 1, hi))) {
		*out = q.found;
		return 0;
	}
	return -ENOSPC;
}

void itree_clear(struct itree *t,
		 void (*fn)(uint64_t start, uint64_t last, void *value,
			    void *arg),
		 void *arg)
{
	struct itree_iter it;
	void *c = t->chunks;

	if (fn && itree_first(t, &it)) {
		do
			fn(it.start, it.last, it.value, arg);
		while (itree_next(&it));
	}
	while (c) {
		void *next = *(void **)c;

		free(c);
		c = next;
	}
	itree_init(t);
}

/*
 * itree_check_invariants - for tests only (not in itree.h): verify order,
 * non-overlap, node fill, equal leaf depth, every summary and widest gap,
 * the leaf chain and the count.
 * Return: 0, or the negative line number of the first failed check.
 */
int itree_check_invariants(const struct itree *t);

struct check {
	const struct itree *t;
	const struct itree_leaf *prev_leaf; /* in the chain, so far */
	size_t count;
	bool any;
	uint64_t prev_last;
};

/* Sets *first, *last, *gap to @node's summary. */
static int check_node(struct check *c, const void *node, unsigned int depth,
		      uint64_t *first, uint64_t *last, uint64_t *gap)
{
	bool root = depth == 0;

	if (depth == c->t->height) {
		const struct itree_leaf *l = node;

		if (!l->n || l->n > LEAF_MAX)
			return -__LINE__;
		if (!root && l->n < LEAF_MIN)
			return -__LINE__;
		if (l->prev != c->prev_leaf)
			return -__LINE__;
		if (c->prev_leaf && c->prev_leaf->next != l)
			return -__LINE__;
		for (unsigned int i = 0; i < l->n; i++) {
			if (l->start[i] > l->last[i])
				return -__LINE__;
			if (c->any && l->start[i] <= c->prev_last)
				return -__LINE__;
			c->any = true;
			c->prev_last = l->last[i];
		}
		if (l->max_gap != leaf_scan_gap(l))
			return -__LINE__;
		c->prev_leaf = l;
		c->count += l->n;
		*first = l->start[0];
		*last = l->last[l->n - 1];
		*gap = l->max_gap;
		return 0;
	} else {
		const struct itree_inner *in = node;

		if (in->n > INNER_MAX || in->n < (root ? 2 : INNER_MIN))
			return -__LINE__;
		for (unsigned int i = 0; i < in->n; i++) {
			uint64_t f, l, g;
			int rc = check_node(c, in->child[i], depth + 1, &f,
					    &l, &g);

			if (rc)
				return rc;
			if (in->first[i] != f || in->last[i] != l ||
			    in->gap[i] != g)
				return -__LINE__;
		}
		if (in->max_gap != inner_scan_gap(in))
			return -__LINE__;
		*first = in->first[0];
		*last = in->last[in->n - 1];
		*gap = in->max_gap;
		return 0;
	}
}

int itree_check_invariants(const struct itree *t)
{
	struct check c = { .t = t };
	uint64_t first, last, gap;
	int rc;

	if (!t->root)
		return t->count || t->height ? -__LINE__ : 0;
	if (t->height > MAX_HEIGHT)
		return -__LINE__;
	rc = check_node(&c, t->root, 0, &first, &last, &gap);
	if (rc)
		return rc;
	if (c.prev_leaf->next)
		return -__LINE__;
	return c.count == t->count ? 0 : -1;
}

/* For tests only (not in itree.h): the whole tree's lowest start, highest
 * last and widest inner gap.  Return: 0, or -ENOENT when empty. */
int itree_root_summary(const struct itree *t, uint64_t *first, uint64_t *last,
		       uint64_t *max_gap);

int itree_root_summary(const struct itree *t, uint64_t *first, uint64_t *last,
		       uint64_t *max_gap)
{
	if (!t->root)
		return -ENOENT;
	if (t->height) {
		const struct itree_inner *in = t->root;

		*first = in->first[0];
		*last = in->last[in->n - 1];
		*max_gap = in->max_gap;
	} else {
		const struct itree_leaf *l = t->root;

		*first = l->start[0];
		*last = l->last[l->n - 1];
		*max_gap = l->max_gap;
	}
	return 0;
}
