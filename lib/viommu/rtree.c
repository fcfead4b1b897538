// SPDX-License-Identifier: MIT
/* The readers' index of mappings: a B+-tree with copy-on-write inner
 * nodes and leaves with holes (rtree.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rtree.h"

#define NODE_SIZE ((sizeof(struct vrt_node) + 63) & ~(size_t)63)

static inline struct vrt_node *load_node(_Atomic(struct vrt_node *) const *p)
{
	return atomic_load_explicit((_Atomic(struct vrt_node *) *)p,
				    memory_order_acquire);
}

static inline struct viommu_mapping *
load_rec(_Atomic(struct viommu_mapping *) const *p)
{
	return atomic_load_explicit((_Atomic(struct viommu_mapping *) *)p,
				    memory_order_acquire);
}

/* Leaf starts change in place (a hole moving), so every access to a
 * start is atomic; relaxed, the mapping pointer's release/acquire
 * orders what matters. */
static inline uint64_t key_at(const uint64_t *k, uint32_t i)
{
	return __atomic_load_n(&k[i], __ATOMIC_RELAXED);
}

static inline void key_set(uint64_t *k, uint32_t i, uint64_t v)
{
	__atomic_store_n(&k[i], v, __ATOMIC_RELAXED);
}

/* How many of the VRT_FANOUT sorted keys at @k are at or below @x
 * (@x < VRT_PAD): branch-free, five dependent loads.  Sound while the
 * writer moves holes: a slot whose value stays at or below @x (a live
 * mapping's) is counted whatever the others read. */
static inline uint32_t count_upto(const uint64_t *k, uint64_t x)
{
	uint32_t b = 0;

	for (uint32_t n = VRT_FANOUT; n > 1;) {
		uint32_t half = n / 2;

		b = key_at(k, b + half - 1) <= x ? b + half : b;
		n -= half;
	}
	return b + (key_at(k, b) <= x);
}

/* The header and the keys (or starts) of the node a walk goes to next. */
static inline void prefetch_node(const struct vrt_node *n)
{
	const char *p = (const char *)n;

	for (size_t off = 0; off < offsetof(struct vrt_node, l.rec); off += 64)
		__builtin_prefetch(p + off);
}

void vrt_init(struct vrt_tree *t)
{
	atomic_init(&t->root, NULL);
	t->height = 0;
}

/* ------------------------------------------------------------------ */
/* Readers                                                              */

struct viommu_mapping *vrt_find(const struct vrt_tree *t, uint64_t iova)
{
	const struct vrt_node *path[VRT_MAX_HEIGHT];
	uint32_t idx[VRT_MAX_HEIGHT];
	uint32_t depth = 0;
	/* No start is VRT_PAD: searching for one below gives the same. */
	uint64_t x = iova == VRT_PAD ? VRT_PAD - 1 : iova;
	const struct vrt_node *n = load_node(&t->root);

	if (!n)
		return NULL;
	prefetch_node(n);
	while (!n->leaf) {
		/* key[0] is 0: at least 1. */
		uint32_t k = count_upto(n->in.key, x) - 1;

		if (depth == VRT_MAX_HEIGHT)
			return NULL; /* cannot happen: see VRT_MAX_HEIGHT */
		path[depth] = n;
		idx[depth++] = k;
		n = load_node(&n->in.child[k]);
		prefetch_node(n);
	}
	for (;;) {
		for (uint32_t j = count_upto(n->l.start, x); j-- > 0;) {
			struct viommu_mapping *m = load_rec(&n->l.rec[j]);

			/* A hole, or a slot that became one and was filled
			 * again higher up since the search read it. */
			if (!m || m->start > iova)
				continue;
			return iova <= m->last ? m : NULL;
		}
		/* Nothing here: the rightmost mapping to the left. */
		while (depth && idx[depth - 1] == 0)
			depth--;
		if (!depth)
			return NULL;
		idx[depth - 1]--;
		n = load_node(&path[depth - 1]->in.child[idx[depth - 1]]);
		while (!n->leaf) {
			if (depth == VRT_MAX_HEIGHT)
				return NULL;
			path[depth] = n;
			idx[depth++] = n->count - 1;
			n = load_node(&n->in.child[n->count - 1]);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Nodes                                                                */

#define CHUNK_MIN (16u << 10)
#define CHUNK_HUGE (2u << 20) /* x86/arm64 transparent huge page */

/* A node carved from the current chunk, or a new chunk. */
static struct vrt_node *node_carve(struct vrt_env *env)
{
	struct vrt_node *n;

	if ((size_t)(env->chunk_end - env->chunk_cur) < NODE_SIZE) {
		size_t chunk = env->next_chunk ? env->next_chunk : CHUNK_MIN;
		void *c;

		if (posix_memalign(&c, chunk >= CHUNK_HUGE ? CHUNK_HUGE : 64,
				   chunk))
			return NULL;
		if (chunk >= CHUNK_HUGE)
			madvise(c, chunk, MADV_HUGEPAGE); /* a hint only */
		*(void **)c = env->chunks;
		env->chunks = c;
		env->chunk_cur = (char *)c + 64;
		env->chunk_end = (char *)c + chunk;
		env->next_chunk = chunk < CHUNK_HUGE ? chunk * 2 : CHUNK_HUGE;
	}
	n = (struct vrt_node *)env->chunk_cur;
	env->chunk_cur += NODE_SIZE;
	return n;
}

static struct vrt_node *node_get(struct vrt_env *env)
{
	struct vrt_node *n = env->pool;

	if (n) {
		env->pool = n->pool_next;
		env->num_pool--;
		return n;
	}
	return node_carve(env);
}

void vrt_node_put(struct vrt_env *env, struct vrt_node *n)
{
	n->pool_next = env->pool;
	env->pool = n;
	env->num_pool++;
}

void vrt_env_fini(struct vrt_env *env)
{
	while (env->chunks) {
		void *c = env->chunks;

		env->chunks = *(void **)c;
		free(c);
	}
	env->pool = NULL;
	env->num_pool = 0;
	env->chunk_cur = env->chunk_end = NULL;
	env->next_chunk = 0;
}

int vrt_reserve(struct vrt_tree *t, struct vrt_env *env)
{
	/* A split on every level and a new root. */
	uint32_t need = 2 * t->height + 3;

	while (env->num_pool < need) {
		struct vrt_node *n = node_carve(env);

		if (!n)
			return -ENOMEM;
		vrt_node_put(env, n);
	}
	return 0;
}

/* A node from the pool that vrt_reserve() filled (or NULL, for the tidy
 * ups that may be skipped), with no entry. */
static struct vrt_node *node_new(struct vrt_env *env, bool leaf)
{
	struct vrt_node *n = node_get(env);

	if (n) {
		n->leaf = leaf;
		n->count = 0;
		n->holes = 0;
		n->pool_next = NULL;
	}
	return n;
}

/* Mappings being moved, in order (the writer's scratch). */
struct entries {
	struct viommu_mapping *m[VRT_FANOUT + 1];
	uint32_t num;
};

/* Leaf @n gets mappings [from, from + num) of @e, spread: the free
 * slots go evenly into the num + 1 gaps (before the first, between,
 * after the last, which is padding), so the next inserts anywhere,
 * prepends and appends included, are in place.  A hole's start sits
 * between its neighbours' (equal starts among holes are fine). */
static void leaf_fill(struct vrt_node *n, const struct entries *e,
		      uint32_t from, uint32_t num)
{
	uint32_t free_slots = VRT_FANOUT - num, slot = 0, given = 0;

	for (uint32_t g = 0; g < num; g++) {
		struct viommu_mapping *m = e->m[from + g];
		/* Holes of gap g (before mapping g), as evenly as they go. */
		uint32_t upto = (uint32_t)((uint64_t)(g + 1) * free_slots / (num + 1));
		uint64_t hole = g ? e->m[from + g - 1]->start + 1
				  : (m->start ? m->start - 1 : 0);

		for (; given < upto; given++) {
			n->l.start[slot] = hole;
			atomic_init(&n->l.rec[slot++], NULL);
			n->holes++;
		}
		n->l.start[slot] = m->start;
		m->leaf = n;
		m->slot = slot;
		atomic_init(&n->l.rec[slot++], m);
	}
	n->count = slot;
	for (; slot < VRT_FANOUT; slot++) {
		n->l.start[slot] = VRT_PAD;
		atomic_init(&n->l.rec[slot], NULL);
	}
}

struct children {
	uint64_t key[VRT_FANOUT + 1];
	struct vrt_node *child[VRT_FANOUT + 1];
	uint32_t num;
};

/* Inner node @n gets children [from, from + num) of @c (its first key
 * becomes 0), and pads. */
static void inner_fill(struct vrt_node *n, const struct children *c,
		       uint32_t from, uint32_t num)
{
	n->in.key[0] = 0;
	for (uint32_t i = 0; i < num; i++) {
		if (i)
			n->in.key[i] = c->key[from + i];
		atomic_init(&n->in.child[i], c->child[from + i]);
	}
	for (uint32_t i = num; i < VRT_FANOUT; i++) {
		n->in.key[i] = VRT_PAD;
		atomic_init(&n->in.child[i], NULL);
	}
	n->count = num;
}

/* Where to cut @num (> VRT_FANOUT) children when the new one is at @at:
 * an append or a prepend packs the old side (ascending or descending
 * fills leave full nodes behind), anything else halves. */
static uint32_t split_at(uint32_t num, uint32_t at)
{
	if (at == num - 1)
		return num - 2;
	if (at == 0)
		return 2;
	return num / 2;
}

/* Put @n where the node at path level @level was: in the slot of its
 * (unchanged) parent, or at the root.  Release: the node's contents are
 * written before a reader can reach it. */
static void publish(struct vrt_tree *t, struct vrt_node *const *path,
		    const uint32_t *idx, uint32_t level, struct vrt_node *n)
{
	if (level == 0)
		atomic_store_explicit(&t->root, n, memory_order_release);
	else
		atomic_store_explicit(&path[level - 1]->in.child[idx[level - 1]],
				      n, memory_order_release);
}

/* The path from the root to the leaf whose range holds @x; returns the
 * leaf's level (the number of inner nodes above it). */
static uint32_t descend(const struct vrt_tree *t, uint64_t x,
			struct vrt_node **path, uint32_t *idx)
{
	struct vrt_node *n = atomic_load_explicit(&t->root, memory_order_relaxed);
	uint32_t depth = 0;

	prefetch_node(n);
	while (!n->leaf) {
		uint32_t k = count_upto(n->in.key, x) - 1;

		path[depth] = n;
		idx[depth++] = k;
		n = atomic_load_explicit(&n->in.child[k], memory_order_relaxed);
		prefetch_node(n);
	}
	path[depth] = n;
	return depth;
}

static inline struct viommu_mapping *rec_of(const struct vrt_node *n, uint32_t i)
{
	return atomic_load_explicit((_Atomic(struct viommu_mapping *) *)&n->l.rec[i],
				    memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* Insert                                                               */

/* Slot @k of @leaf is a hole (or unused) whose start may become @m's
 * without breaking the order: the new mapping goes there in place. */
static void fill_hole(struct vrt_node *leaf, uint32_t k,
		      struct viommu_mapping *m)
{
	if (key_at(leaf->l.start, k) == VRT_PAD)
		leaf->count++;
	else
		leaf->holes--;
	key_set(leaf->l.start, k, m->start);
	m->leaf = leaf;
	m->slot = k;
	/* Release: a reader that loads @m sees its fields. */
	atomic_store_explicit(&leaf->l.rec[k], m, memory_order_release);
}

void vrt_insert(struct vrt_tree *t, struct vrt_env *env,
		struct viommu_mapping *m)
{
	struct vrt_node *path[VRT_MAX_HEIGHT + 1];
	uint32_t idx[VRT_MAX_HEIGHT + 1];
	struct vrt_node *leaf, *a, *b;
	uint32_t depth, at, h;
	struct entries e;
	uint64_t sep;

	if (!atomic_load_explicit(&t->root, memory_order_relaxed)) {
		a = node_new(env, true);
		e.m[0] = m;
		leaf_fill(a, &e, 0, 1);
		t->height = 1;
		atomic_store_explicit(&t->root, a, memory_order_release);
		return;
	}
	depth = descend(t, m->start, path, idx);
	leaf = path[depth];
	at = count_upto(leaf->l.start, m->start);
	/* A hole just below (start at or below the new one) or just above
	 * (start above it, or unused): either may take the new start.  A
	 * slot at the new start is a hole (a live one would overlap). */
	if (at && !rec_of(leaf, at - 1)) {
		fill_hole(leaf, at - 1, m);
		return;
	}
	if (at < VRT_FANOUT && !rec_of(leaf, at)) {
		fill_hole(leaf, at, m);
		return;
	}

	/* No hole next to it: a new leaf (or two) with the mappings. */
	e.num = 0;
	for (uint32_t i = 0; i < leaf->count; i++) {
		struct viommu_mapping *r = rec_of(leaf, i);

		if (i == at)
			e.m[e.num++] = m;
		if (r)
			e.m[e.num++] = r;
	}
	if (at >= leaf->count)
		e.m[e.num++] = m;
	a = node_new(env, true);
	b = NULL;
	sep = 0;
	if (e.num <= VRT_FANOUT) {
		leaf_fill(a, &e, 0, e.num);
	} else {
		/* Halves: each keeps room for holes. */
		h = e.num / 2;
		b = node_new(env, true);
		leaf_fill(a, &e, 0, h);
		leaf_fill(b, &e, h, e.num - h);
		sep = e.m[h]->start;
	}
	env->retire(env, leaf);

	/* Up the path: a replaced child is one store, a split child adds a
	 * key to a copy of its parent (which may split too). */
	while (depth > 0 && b) {
		struct vrt_node *p = path[depth - 1], *na, *nb = NULL;
		uint32_t k = idx[depth - 1];
		struct children c;
		uint64_t up = 0;

		c.num = 0;
		for (uint32_t i = 0; i < p->count; i++) {
			c.key[c.num] = p->in.key[i];
			c.child[c.num++] = i == k ? a
				: atomic_load_explicit(&p->in.child[i],
						       memory_order_relaxed);
			if (i == k) {
				c.key[c.num] = sep;
				c.child[c.num++] = b;
			}
		}
		na = node_new(env, false);
		if (c.num <= VRT_FANOUT) {
			inner_fill(na, &c, 0, c.num);
		} else {
			h = split_at(c.num, k + 1);
			nb = node_new(env, false);
			inner_fill(na, &c, 0, h);
			inner_fill(nb, &c, h, c.num - h);
			up = c.key[h];
		}
		env->retire(env, p);
		a = na;
		b = nb;
		sep = up;
		depth--;
	}
	if (!b) {
		publish(t, path, idx, depth, a);
		return;
	}
	/* The root split: a new root above the two halves. */
	{
		struct vrt_node *r = node_new(env, false);
		struct children c = { .key = { 0, sep }, .child = { a, b }, .num = 2 };

		inner_fill(r, &c, 0, 2);
		t->height++;
		atomic_store_explicit(&t->root, r, memory_order_release);
	}
}

/* ------------------------------------------------------------------ */
/* Remove                                                               */

/* Retire path[from..to]: a chain of nodes each with one child, down to
 * a dead leaf. */
static void retire_chain(struct vrt_env *env, struct vrt_node *const *path,
			 uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i <= to; i++)
		env->retire(env, path[i]);
}

/* The root is an inner node with one child: the child becomes the root. */
static void collapse_root(struct vrt_tree *t, struct vrt_env *env)
{
	struct vrt_node *r = atomic_load_explicit(&t->root, memory_order_relaxed);

	while (r && !r->leaf && r->count == 1) {
		struct vrt_node *c =
			atomic_load_explicit(&r->in.child[0], memory_order_relaxed);

		atomic_store_explicit(&t->root, c, memory_order_release);
		env->retire(env, r);
		t->height--;
		r = c;
	}
}

/* The leaf at path[depth] holds no mapping: take it out of its parent
 * (with the parents it leaves empty).  Skipped without memory. */
static void drop_leaf(struct vrt_tree *t, struct vrt_env *env,
		      struct vrt_node *const *path, const uint32_t *idx,
		      uint32_t depth)
{
	uint32_t level = depth, k;
	struct vrt_node *p, *np;
	struct children c;

	/* Climb while the parent has this child only. */
	while (level > 0 && path[level - 1]->count == 1)
		level--;
	if (level == 0) {
		/* The whole tree is empty. */
		atomic_store_explicit(&t->root, NULL, memory_order_release);
		retire_chain(env, path, 0, depth);
		t->height = 0;
		return;
	}
	p = path[level - 1];
	k = idx[level - 1];
	np = node_new(env, false);
	if (!np)
		return;
	c.num = 0;
	for (uint32_t i = 0; i < p->count; i++) {
		if (i == k)
			continue;
		/* Child 0 going: its right neighbour takes over its range
		 * (inner_fill makes the first key 0). */
		c.key[c.num] = p->in.key[i];
		c.child[c.num++] =
			atomic_load_explicit(&p->in.child[i], memory_order_relaxed);
	}
	inner_fill(np, &c, 0, c.num);
	publish(t, path, idx, level - 1, np);
	env->retire(env, p);
	retire_chain(env, path, level, depth);
	collapse_root(t, env);
}

void vrt_remove(struct vrt_tree *t, struct vrt_env *env,
		const struct viommu_mapping *m)
{
	struct vrt_node *path[VRT_MAX_HEIGHT + 1];
	uint32_t idx[VRT_MAX_HEIGHT + 1];
	struct vrt_node *leaf = m->leaf;
	uint32_t depth;

	if (!leaf || m->slot >= VRT_FANOUT || rec_of(leaf, m->slot) != m)
		return; /* not there: the caller's bug */
	/* A hole from here; its start stays. */
	atomic_store_explicit(&leaf->l.rec[m->slot], NULL, memory_order_release);
	if (++leaf->holes < leaf->count)
		return;
	/* The leaf is all holes: out of the tree, which needs its path. */
	depth = descend(t, m->start, path, idx);
	if (path[depth] == leaf)
		drop_leaf(t, env, path, idx, depth);
}

static void clear_node(struct vrt_env *env, struct vrt_node *n)
{
	if (!n->leaf)
		for (uint32_t i = 0; i < n->count; i++)
			clear_node(env, atomic_load_explicit(&n->in.child[i],
							     memory_order_relaxed));
	env->retire(env, n);
}

void vrt_clear(struct vrt_tree *t, struct vrt_env *env)
{
	struct vrt_node *r = atomic_load_explicit(&t->root, memory_order_relaxed);

	atomic_store_explicit(&t->root, NULL, memory_order_release);
	t->height = 0;
	if (r)
		clear_node(env, r);
}

/* ------------------------------------------------------------------ */
/* Checks                                                               */

struct walk {
	int (*fn)(void *arg, const struct viommu_mapping *m);
	void *arg;
	const char **what;
	bool have_prev;
	uint64_t prev_last;
	uint32_t leaf_depth;
	bool leaf_seen;
};

static int broken(struct walk *w, const char *what)
{
	if (w->what)
		*w->what = what;
	return -EPROTO;
}

static int walk_leaf(struct walk *w, const struct vrt_node *n, uint64_t lo,
		     uint64_t hi, bool has_hi)
{
	uint32_t holes = 0;
	int rc;

	for (uint32_t i = 0; i < VRT_FANOUT; i++) {
		uint64_t s = key_at(n->l.start, i);
		const struct viommu_mapping *m = rec_of(n, i);

		if (i >= n->count) {
			if (s != VRT_PAD || m)
				return broken(w, "a slot past the used ones is not padding");
			continue;
		}
		if (s == VRT_PAD)
			return broken(w, "a used slot holds the padding");
		if (i && s < key_at(n->l.start, i - 1))
			return broken(w, "a leaf out of order");
		if (!m) {
			holes++;
			continue;
		}
		if (m->start != s)
			return broken(w, "a mapping in a slot of another start");
		if (m->start > m->last)
			return broken(w, "a mapping ends before it starts");
		if (s < lo || (has_hi && s >= hi))
			return broken(w, "a mapping outside its leaf's range");
		if (w->have_prev && s <= w->prev_last)
			return broken(w, "mappings overlap");
		w->have_prev = true;
		w->prev_last = m->last;
		rc = w->fn ? w->fn(w->arg, m) : 0;
		if (rc)
			return rc;
	}
	/* A leaf of holes only is allowed: dropping it needs memory. */
	if (holes != n->holes)
		return broken(w, "a leaf's hole count is wrong");
	return 0;
}

/* @lo/@hi: the bounds of @n's range (@hi exclusive; has_hi false: none). */
static int walk_node(struct walk *w, const struct vrt_node *n, uint32_t depth,
		     uint64_t lo, uint64_t hi, bool has_hi)
{
	int rc;

	if (depth > VRT_MAX_HEIGHT)
		return broken(w, "deeper than VRT_MAX_HEIGHT");
	if (!n->count || n->count > VRT_FANOUT)
		return broken(w, "a node with no slot used or too many");
	if (n->leaf) {
		if (w->leaf_seen && depth != w->leaf_depth)
			return broken(w, "leaves at different depths");
		w->leaf_seen = true;
		w->leaf_depth = depth;
		return walk_leaf(w, n, lo, hi, has_hi);
	}
	if (n->in.key[0])
		return broken(w, "an inner node's first key is not 0");
	for (uint32_t i = n->count; i < VRT_FANOUT; i++)
		if (n->in.key[i] != VRT_PAD)
			return broken(w, "an inner node's unused key is not padding");
	for (uint32_t i = 0; i < n->count; i++) {
		uint64_t clo = i ? n->in.key[i] : lo;
		bool chas = i + 1 < n->count || has_hi;
		uint64_t chi = i + 1 < n->count ? n->in.key[i + 1] : hi;

		if (i && (n->in.key[i] < lo || (has_hi && n->in.key[i] >= hi)))
			return broken(w, "a key outside its node's range");
		if (i > 1 && n->in.key[i] <= n->in.key[i - 1])
			return broken(w, "inner keys out of order");
		rc = walk_node(w, atomic_load_explicit((_Atomic(struct vrt_node *) *)&n->in.child[i],
						       memory_order_relaxed),
			       depth + 1, clo, chi, chas);
		if (rc)
			return rc;
	}
	return 0;
}

int vrt_walk(const struct vrt_tree *t,
	     int (*fn)(void *arg, const struct viommu_mapping *m), void *arg,
	     const char **what)
{
	struct walk w = { .fn = fn, .arg = arg, .what = what };
	const struct vrt_node *r =
		atomic_load_explicit((_Atomic(struct vrt_node *) *)&t->root,
				     memory_order_relaxed);
	int rc;

	if (!r)
		return t->height ? broken(&w, "no root but a height") : 0;
	rc = walk_node(&w, r, 1, 0, 0, false);
	if (!rc && w.leaf_depth != t->height)
		return broken(&w, "the height is not the leaves' depth");
	return rc;
}
