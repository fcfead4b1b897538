// SPDX-License-Identifier: MIT
/*
 * The readers' index of the device model (lib/viommu/rtree.c) and its
 * read-side sections (lib/viommu/rcu.c), white box, under
 * ThreadSanitizer (make check-tsan):
 *
 *  1. one thread, seeded random inserts and removals against a model
 *     (ascending, descending and random fills, mass removals down to an
 *     empty tree): after every change vrt_walk() checks the shape and the
 *     content, and lookups at every mapping's edges and at random
 *     addresses give the model's answer.  Retired nodes are poisoned, so
 *     a node the tree still used would break the next walk;
 *  2. readers looking up while a writer inserts and removes, retiring
 *     nodes and mappings and freeing them after vrcu_synchronize(),
 *     poisoned first: a mapping that stays in the
 *     tree is always found, every answer holds the address and is
 *     not poisoned, and TSan sees no race.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/viommu/rcu.h"
#include "../../lib/viommu/rtree.h"

#define PAGE 0x1000ull
#define POISON 0xa5

static int failures;

#define FAIL(...)                                                          \
	do {                                                               \
		fprintf(stderr, "tsan_viommu_rtree: " __VA_ARGS__);        \
		fputc('\n', stderr);                                       \
		failures++;                                                \
	} while (0)

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- 1. One thread against a model ---------------------------------- */

#define NPAGES 3000u

struct single {
	struct vrt_env env;
	struct vrt_node *retired[4 * VRT_MAX_HEIGHT + 8];
	uint32_t num_retired;
	/* Model: the mapping that holds each page, or NULL. */
	struct viommu_mapping *at[NPAGES];
	uint32_t live;
};

static void single_retire(struct vrt_env *env, struct vrt_node *n)
{
	struct single *s = (struct single *)env;

	memset(n, POISON, sizeof(*n));
	if (s->num_retired == sizeof(s->retired) / sizeof(s->retired[0])) {
		FAIL("more nodes retired by one change than a change can retire");
		return;
	}
	s->retired[s->num_retired++] = n;
}

/* The grace period at the end of each change: into the pool. */
static void single_reclaim(struct single *s)
{
	for (uint32_t i = 0; i < s->num_retired; i++)
		vrt_node_put(&s->env, s->retired[i]);
	s->num_retired = 0;
}

struct walk_count {
	const struct single *s;
	uint32_t n;
};

static int walk_check(void *arg, const struct viommu_mapping *m)
{
	struct walk_count *w = arg;
	uint64_t first = m->start / PAGE;

	w->n++;
	if (first >= NPAGES || w->s->at[first] != m)
		return -1;
	return 0;
}

static void single_check(struct single *s, struct vrt_tree *t, uint64_t *rs,
			 const char *when)
{
	struct walk_count w = { s, 0 };
	const char *what = NULL;
	int rc = vrt_walk(t, walk_check, &w, &what);

	if (rc)
		FAIL("%s: walk: %s", when, rc == -1 ? "a mapping the model does not have there" : what);
	else if (w.n != s->live)
		FAIL("%s: walk found %u mappings, the model has %u", when, w.n, s->live);
	for (int i = 0; i < 64; i++) {
		uint64_t p = rng_next(rs) % NPAGES, iova = p * PAGE + rng_next(rs) % PAGE;

		if (vrt_find(t, iova) != s->at[p])
			FAIL("%s: lookup of %#llx", when, (unsigned long long)iova);
	}
}

static void single_run(uint64_t seed, int order)
{
	struct single s = { .env = { .retire = single_retire } };
	struct vrt_tree t;
	uint64_t rs = seed;
	char when[64];

	vrt_init(&t);
	for (int step = 0; step < 8000 && failures < 5; step++) {
		bool grow = s.live < NPAGES / 6 ? rng_next(&rs) % 10 < 8
			  : rng_next(&rs) % 10 < 4;
		/* order 0: random; 1: ascending; 2: descending (of where
		 * inserts go); phases of mass removal every 4000 steps. */
		if (step % 4000 >= 3200)
			grow = false;
		snprintf(when, sizeof(when), "seed %llu order %d step %d",
			 (unsigned long long)seed, order, step);
		if (grow) {
			uint64_t len = 1 + rng_next(&rs) % 3, p;
			struct viommu_mapping *m;

			p = order == 1 ? (uint64_t)step * 7 % (NPAGES - 3)
			  : order == 2 ? NPAGES - 4 - (uint64_t)step * 7 % (NPAGES - 4)
			  : rng_next(&rs) % (NPAGES - 3);
			if (s.at[p] || (len > 1 && s.at[p + 1]) ||
			    (len > 2 && s.at[p + 2]))
				continue;
			m = calloc(1, sizeof(*m));
			m->start = p * PAGE;
			m->last = (p + len) * PAGE - 1;
			m->phys = p;
			if (vrt_reserve(&t, &s.env)) {
				FAIL("%s: reserve", when);
				free(m);
				break;
			}
			vrt_insert(&t, &s.env, m);
			for (uint64_t i = 0; i < len; i++)
				s.at[p + i] = m;
			s.live++;
		} else if (s.live) {
			uint64_t p = rng_next(&rs) % NPAGES;
			struct viommu_mapping *m;

			while (!s.at[p])
				p = (p + 1) % NPAGES;
			m = s.at[p];
			vrt_remove(&t, &s.env, m);
			for (uint64_t i = m->start / PAGE; i <= m->last / PAGE; i++)
				s.at[i] = NULL;
			s.live--;
			free(m);
		}
		single_reclaim(&s);
		single_check(&s, &t, &rs, when);
		/* Every mapping's edges. */
		if (step % 199 == 0) {
			for (uint64_t p = 0; p < NPAGES; p++) {
				struct viommu_mapping *m = s.at[p];

				if (m && m->start == p * PAGE &&
				    (vrt_find(&t, m->start) != m ||
				     vrt_find(&t, m->last) != m ||
				     (m->start && vrt_find(&t, m->start - 1) != (p ? s.at[p - 1] : NULL))))
					FAIL("%s: the edges of %#llx", when,
					     (unsigned long long)m->start);
			}
			if (vrt_find(&t, UINT64_MAX) || vrt_find(&t, NPAGES * PAGE))
				FAIL("%s: a lookup above every mapping found one", when);
		}
	}
	for (uint64_t p = 0; p < NPAGES; p++) {
		struct viommu_mapping *m = s.at[p];

		if (m && m->start == p * PAGE) {
			vrt_remove(&t, &s.env, m);
			free(m);
		}
	}
	single_reclaim(&s);
	if (atomic_load(&t.root) || t.height)
		FAIL("seed %llu order %d: the tree is not empty at the end",
		     (unsigned long long)seed, order);
	vrt_env_fini(&s.env);
}

/* ---- 2. Readers and a writer ------------------------------------------ */

#define CPAGES 2048u /* even pages: stable; odd: churn */
#define WRITER_STEPS 8000u
#define READERS 3

static struct vrcu_device dev;
static struct vrt_tree tree;
static struct vrt_node *retired_nodes;
static struct viommu_mapping *retired_maps;
static struct viommu_mapping *stable[CPAGES / 2];
static _Atomic int writer_done;
static _Atomic int cfail;

struct cenv {
	struct vrt_env env;
};

static void cretire(struct vrt_env *env, struct vrt_node *n)
{
	(void)env;
	n->pool_next = retired_nodes;
	retired_nodes = n;
}

/* After a grace period: poisoned, then back to the pool or freed. */
static void creclaim(struct vrt_env *env)
{
	while (retired_nodes) {
		struct vrt_node *n = retired_nodes;

		retired_nodes = n->pool_next;
		memset(n, POISON, sizeof(*n));
		vrt_node_put(env, n);
	}
	while (retired_maps) {
		struct viommu_mapping *m = retired_maps;

		retired_maps = m->retire_next;
		memset(m, POISON, sizeof(*m));
		free(m);
	}
}

static void *creader(void *arg)
{
	uint64_t rs = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 7;

	while (!atomic_load(&writer_done) && !atomic_load(&cfail)) {
		struct vrcu_thread *th = vrcu_thread();
		uint64_t p = rng_next(&rs) % CPAGES;
		uint64_t iova = p * PAGE + rng_next(&rs) % PAGE;
		struct viommu_mapping *m;
		struct vrcu_slot *s;
		unsigned int parity;

		s = vrcu_read_lock(&dev, th, &parity);
		m = vrt_find(&tree, iova);
		if (p % 2 == 0 && m != stable[p / 2]) {
			fprintf(stderr, "tsan_viommu_rtree: stable page %#llx: %p, not %p\n",
				(unsigned long long)iova, (void *)m, (void *)stable[p / 2]);
			atomic_fetch_add(&cfail, 1);
		} else if (m && (m->start > iova || m->last < iova ||
				 m->phys != m->start / PAGE)) {
			fprintf(stderr, "tsan_viommu_rtree: %#llx gave %#llx-%#llx (phys %#llx): not its mapping, or freed\n",
				(unsigned long long)iova, (unsigned long long)m->start,
				(unsigned long long)m->last, (unsigned long long)m->phys);
			atomic_fetch_add(&cfail, 1);
		}
		vrcu_read_unlock(s, parity, th);
	}
	return NULL;
}

static void concurrent_run(void)
{
	struct cenv ce = { .env = { .retire = cretire } };
	struct viommu_mapping *churn[CPAGES / 2] = { 0 };
	pthread_t rd[READERS];
	uint64_t rs = 42;

	if (vrcu_device_init(&dev)) {
		FAIL("vrcu_device_init");
		return;
	}
	vrt_init(&tree);
	/* The stable mappings first, in a shuffled order. */
	for (uint32_t i = 0; i < CPAGES / 2; i++) {
		uint32_t j = (uint32_t)((i * 7919u) % (CPAGES / 2));
		struct viommu_mapping *m = calloc(1, sizeof(*m));

		m->start = 2ull * j * PAGE;
		m->last = m->start + PAGE - 1;
		m->phys = m->start / PAGE;
		stable[j] = m;
		if (vrt_reserve(&tree, &ce.env))
			FAIL("reserve");
		vrt_insert(&tree, &ce.env, m);
	}
	creclaim(&ce.env);
	for (intptr_t i = 0; i < READERS; i++)
		pthread_create(&rd[i], NULL, creader, (void *)i);
	for (uint32_t step = 0; step < WRITER_STEPS && !atomic_load(&cfail); step++) {
		uint32_t j = (uint32_t)(rng_next(&rs) % (CPAGES / 2));

		if (!churn[j]) {
			struct viommu_mapping *m = calloc(1, sizeof(*m));

			m->start = (2ull * j + 1) * PAGE;
			m->last = m->start + PAGE - 1;
			m->phys = m->start / PAGE;
			if (vrt_reserve(&tree, &ce.env))
				FAIL("reserve");
			vrt_insert(&tree, &ce.env, m);
			churn[j] = m;
		} else {
			vrt_remove(&tree, &ce.env, churn[j]);
			churn[j]->retire_next = retired_maps;
			retired_maps = churn[j];
			churn[j] = NULL;
		}
		if (step % 16 == 0) {
			vrcu_synchronize(&dev);
			creclaim(&ce.env);
		}
	}
	atomic_store(&writer_done, 1);
	for (int i = 0; i < READERS; i++)
		pthread_join(rd[i], NULL);
	failures += atomic_load(&cfail);
	vrt_clear(&tree, &ce.env);
	creclaim(&ce.env);
	for (uint32_t j = 0; j < CPAGES / 2; j++) {
		free(stable[j]);
		free(churn[j]);
	}
	vrt_env_fini(&ce.env);
	vrcu_device_fini(&dev);
}

int main(void)
{
	for (uint64_t seed = 1; seed <= 2; seed++)
		for (int order = 0; order < 3; order++)
			single_run(seed * 0x2545f4914f6cdd1dull, order);
	concurrent_run();
	if (!failures)
		printf("rtree: 6 single-thread runs and one concurrent run passed\n");
	return failures ? 1 : 0;
}
