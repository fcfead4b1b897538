// SPDX-License-Identifier: MIT
/*
 * Calls on one context from several threads are serialized by the
 * context's lock (ioasid.h, "Thread safety"): concurrent any-IOVA maps must
 * get disjoint IOVAs and every mapping must be there afterwards.
 */
#include "helpers.h"

#include <pthread.h>

#define THREADS 4
#define MAPS_PER_THREAD 64

struct worker {
	struct fx *f;
	uint64_t iovas[MAPS_PER_THREAD];
	int failures;
};

static void *map_many(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < MAPS_PER_THREAD; i++)
		if (map_any(w->f->ctx, w->f->ioas, w->f->buf.p, SZ_4K,
			    &w->iovas[i]))
			w->failures++;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_concurrent_any_iova_maps(void **state)
{
	FX;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	uint64_t all[THREADS * MAPS_PER_THREAD], unmapped = 0;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < THREADS; i++) {
		w[i].f = f;
		assert_int_equal(pthread_create(&t[i], NULL, map_many, &w[i]),
				 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
		memcpy(&all[i * MAPS_PER_THREAD], w[i].iovas,
		       sizeof(w[i].iovas));
	}
	/* 4 KiB maps of a 2 MiB-aligned buffer pack from the first page
	 * up (iopt_alloc_iova()), whatever the order of the calls. */
	qsort(all, THREADS * MAPS_PER_THREAD, sizeof(all[0]), cmp_u64);
	for (int i = 0; i < THREADS * MAPS_PER_THREAD; i++)
		assert_int_equal(all[i], SZ_4K * (uint64_t)(i + 1));
	assert_true(is_mapped(f->ctx, f->ioas, SZ_4K,
			      SZ_4K * THREADS * MAPS_PER_THREAD));
	OK(ioasid_ioas_unmap_all(f->ctx, f->ioas, &unmapped));
	assert_int_equal(unmapped, SZ_4K * THREADS * MAPS_PER_THREAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_concurrent_any_iova_maps),
	};
	return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
