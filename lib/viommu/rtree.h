/* SPDX-License-Identifier: MIT */
/*
 * The readers' index of a domain's mappings: a B+-tree that readers walk
 * without a lock while one writer changes it (lib/util/itree.c, the
 * writer's index, is not safe for that).  Keyed by IOVA start; the live
 * mappings are disjoint.
 *
 * How a change stays safe for a reader in the middle of a walk:
 *  - inner nodes never change once published: a change builds new nodes,
 *    puts them in place with one atomic pointer store (a child slot of an
 *    unchanged parent, or the root) and hands the old ones to the env's
 *    retire(), which frees them after a grace period (rcu.h);
 *  - a leaf is an array of VRT_FANOUT slots sorted by start, each with a
 *    mapping pointer or NULL (a hole).  A removal stores NULL (so it never
 *    needs memory); an insert next to a hole moves the hole's start to the
 *    new one (the order stays sorted at every instant), then stores the
 *    mapping (release).  Leaves are built with a hole after each mapping
 *    while there is room, so most inserts are two stores; an insert with
 *    no hole next to it copies the leaf (splitting it when full);
 *  - a reader takes the slot with the highest start at or below the
 *    address, skips holes to the left, and trusts the mapping's own range
 *    (immutable while it is reachable), not the slot: a slot that changed
 *    under it is skipped like a hole.  The live mapping with the highest
 *    start at or below the address is the only one that can hold it.
 * Every mapping a lookup returns was in the tree when the lookup loaded
 * it, and a mapping that stays in the tree during a whole lookup is found.
 *
 * Inner node keys are lower bounds: child i holds the starts in
 * [key[i], key[i+1]).  A mapping may reach past its leaf's bound (its
 * right neighbours there were removed before it came), so a lookup that
 * finds no mapping starting at or below the address in its leaf steps to
 * the leaves on the left.
 */
#ifndef IOASID_LIB_VIOMMU_RTREE_H
#define IOASID_LIB_VIOMMU_RTREE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one guest MAP created; never split (spec: a mapping is what one
 * MAP created).  Allocated by viommu_mapping_new() (viommu-internal.h; a
 * line of its own: readers load seq while the writer fills other
 * mappings).  start, last, phys and flags do not change while the mapping
 * is reachable from an index. */
struct viommu_mapping {
	uint64_t start, last; /* IOVA, inclusive */
	uint64_t phys;
	uint32_t flags; /* VIOMMU_MAP_F_* */
	/* Even while the mapping is live, odd once it is dead; it grows at
	 * every death and reuse, so a per-thread IOTLB entry that holds the
	 * value of its fill is valid exactly while it is unchanged. */
	_Atomic uint64_t seq;
	union {
		/* The writer's: where the mapping sits in its domain's
		 * rmaps, so a removal needs no descent. */
		struct {
			struct vrt_node *leaf;
			uint32_t slot;
		};
		/* Once removed: the writer's list of what waits for a
		 * grace period. */
		struct viommu_mapping *retire_next;
	};
};

#define VRT_FANOUT 32u
/* A root split at height h needs at least 16^(h-1) inserts since the
 * tree was empty: 24 levels are never reached. */
#define VRT_MAX_HEIGHT 24u
/* Unused key and start slots hold VRT_PAD, above every start (a start is
 * granule-aligned), so a search always looks at VRT_FANOUT slots. */
#define VRT_PAD UINT64_MAX

struct vrt_node {
	uint32_t leaf;
	uint32_t count;	/* inner: children; leaf: slots used (writer only) */
	uint32_t holes;	/* leaf: used slots without a mapping (writer only) */
	/* In the env's pool; or, retired, on the writer's list of what
	 * waits for a grace period. */
	struct vrt_node *pool_next;
	union {
		struct {
			uint64_t start[VRT_FANOUT]; /* atomic accesses */
			_Atomic(struct viommu_mapping *) rec[VRT_FANOUT];
		} l;
		struct {
			uint64_t key[VRT_FANOUT]; /* key[0] is 0 */
			_Atomic(struct vrt_node *) child[VRT_FANOUT];
		} in;
	};
};

struct vrt_tree {
	_Atomic(struct vrt_node *) root;
	uint32_t height; /* writer only; 0: empty */
};

/* Where nodes come from and go: one per device (writer only).  Nodes are
 * carved from chunks that double up to 2 MiB (huge pages where the
 * kernel gives them: a lookup then takes no TLB miss per level) and are
 * kept for reuse until vrt_env_fini(). */
struct vrt_env {
	struct vrt_node *pool;
	uint32_t num_pool;
	char *chunk_cur, *chunk_end;
	void *chunks;
	size_t next_chunk;
	/* Queue @n (a node readers may still see) to go back to the pool
	 * (vrt_node_put()) after a grace period; it may use @n->pool_next.
	 * Never fails. */
	void (*retire)(struct vrt_env *env, struct vrt_node *n);
};

void vrt_init(struct vrt_tree *t);

/* ---- Readers (inside a read-side section) ---------------------------- */

/* The mapping whose range holds @iova, or NULL. */
struct viommu_mapping *vrt_find(const struct vrt_tree *t, uint64_t iova);

/* ---- The writer ---------------------------------------------------- */

/* Make sure the next vrt_insert() on @t cannot fail.  0 or -ENOMEM. */
int vrt_reserve(struct vrt_tree *t, struct vrt_env *env);
/* Add @m, which overlaps no mapping of @t, after vrt_reserve(). */
void vrt_insert(struct vrt_tree *t, struct vrt_env *env,
		struct viommu_mapping *m);
/* Remove @m (it must be in @t); never fails (tidying that would need
 * memory is skipped without it). */
void vrt_remove(struct vrt_tree *t, struct vrt_env *env,
		const struct viommu_mapping *m);
/* Hand every node to @env->retire() and empty @t. */
void vrt_clear(struct vrt_tree *t, struct vrt_env *env);

void vrt_node_put(struct vrt_env *env, struct vrt_node *n);
/* Free the chunks (device destroy: every tree is cleared and no reader
 * is left). */
void vrt_env_fini(struct vrt_env *env);

/*
 * vrt_walk - call @fn for every mapping in order, checking the tree's
 * shape on the way (sorted slots, disjoint mappings inside their leaf's
 * bounds and at their slot's start, the writer's counts, equal leaf
 * depths).
 * Return: 0; -EPROTO (a broken shape; *@what says which); what @fn
 * returned if not 0.
 */
int vrt_walk(const struct vrt_tree *t,
	     int (*fn)(void *arg, const struct viommu_mapping *m), void *arg,
	     const char **what);

#endif /* IOASID_LIB_VIOMMU_RTREE_H */
