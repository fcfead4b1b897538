/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/util/itree.c: each function and its 64-bit edges, then a
 * randomized comparison against a sorted-array model. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "itree.h"

/* Defined in itree.c for tests only. */
extern int itree_check_invariants(const struct itree *t);
extern int itree_root_summary(const struct itree *t, uint64_t *first,
			      uint64_t *last, uint64_t *max_gap);

/* An interval and the value the tree keeps for it: the struct itself, so
 * that lookups can be checked by pointer. */
struct ival {
	uint64_t start, last;
};

#define MAX64 UINT64_MAX

static void assert_valid(const struct itree *t)
{
	assert_int_equal(itree_check_invariants(t), 0);
}

static struct ival *mk(struct ival *n, uint64_t start,
			     uint64_t last)
{
	memset(n, 0, sizeof(*n));
	n->start = start;
	n->last = last;
	return n;
}

static int ins(struct itree *t, struct ival *v)
{
	return itree_insert(t, v->start, v->last, v);
}

static void rem(struct itree *t, struct ival *v)
{
	assert_int_equal(itree_remove(t, v->start), 0);
}

static struct ival *overlap(const struct itree *t, uint64_t start,
			    uint64_t last)
{
	struct itree_iter it;

	if (!itree_first_overlap(t, start, last, &it))
		return NULL;
	assert_true(it.start <= last && it.last >= start);
	assert_int_equal(it.start, ((struct ival *)it.value)->start);
	assert_int_equal(it.last, ((struct ival *)it.value)->last);
	return it.value;
}

static struct ival *find(const struct itree *t, uint64_t addr)
{
	struct itree_iter it;
	struct ival *v = overlap(t, addr, addr);

	assert_ptr_equal(v, itree_find(t, addr, &it) ? it.value : NULL);
	return v;
}

static uint64_t root_gap(const struct itree *t)
{
	uint64_t first, last, max_gap;

	assert_int_equal(itree_root_summary(t, &first, &last, &max_gap), 0);
	return max_gap;
}

static int gap(const struct itree *t, uint64_t lo, uint64_t hi,
	       uint64_t length, uint64_t align, uint64_t offset, uint64_t *out)
{
	*out = 0xdeadbeef;
	return itree_find_gap(t, lo, hi, length, align, offset, out);
}

/* ---- Fixed cases ---------------------------------------------------- */

static void test_empty(void **state)
{
	struct itree_iter it;
	struct itree t;
	uint64_t a;

	(void)state;
	itree_init(&t);
	assert_null(t.root);
	assert_int_equal(t.count, 0);
	assert_false(itree_first(&t, &it));
	assert_false(itree_last(&t, &it));
	assert_int_equal(itree_remove(&t, 0), -ENOENT);
	assert_null(find(&t, 0));
	assert_null(find(&t, MAX64));
	assert_null(overlap(&t, 0, MAX64));
	assert_int_equal(gap(&t, 0, MAX64, 4096, 4096, 0, &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(gap(&t, 1, MAX64, 4096, 4096, 0, &a), 0);
	assert_int_equal(a, 4096);
	/* The whole space minus its last address. */
	assert_int_equal(gap(&t, 0, MAX64, MAX64, 1, 0, &a), 0);
	assert_int_equal(a, 0);
	assert_valid(&t);
	itree_clear(&t, NULL, NULL);
	assert_null(t.root);
}

static void test_insert_overlap(void **state)
{
	struct itree t;
	struct ival n[12];

	(void)state;
	itree_init(&t);
	assert_int_equal(ins(&t, mk(&n[0], 100, 199)), 0);
	/* Every way of touching [100, 199]. */
	assert_int_equal(ins(&t, mk(&n[1], 100, 199)), -EEXIST);
	assert_int_equal(ins(&t, mk(&n[1], 50, 100)), -EEXIST);
	assert_int_equal(ins(&t, mk(&n[1], 199, 300)), -EEXIST);
	assert_int_equal(ins(&t, mk(&n[1], 150, 150)), -EEXIST);
	assert_int_equal(ins(&t, mk(&n[1], 0, MAX64)), -EEXIST);
	assert_int_equal(ins(&t, mk(&n[1], 120, 130)), -EEXIST);
	assert_int_equal(t.count, 1);
	assert_ptr_equal(find(&t, 150), &n[0]);
	assert_valid(&t);
	/* Adjacent on both sides is fine. */
	assert_int_equal(ins(&t, mk(&n[1], 99, 99)), 0);
	assert_int_equal(ins(&t, mk(&n[2], 200, 200)), 0);
	assert_int_equal(t.count, 3);
	assert_valid(&t);
	/* start > last is refused. */
	assert_int_equal(ins(&t, mk(&n[3], 500, 400)), -EINVAL);
	assert_int_equal(t.count, 3);
	/* The ends of the 64-bit space. */
	assert_int_equal(ins(&t, mk(&n[4], 0, 0)), 0);
	assert_int_equal(ins(&t, mk(&n[5], MAX64, MAX64)), 0);
	assert_int_equal(ins(&t, mk(&n[6], MAX64 - 1, MAX64)),
			 -EEXIST);
	assert_int_equal(ins(&t, mk(&n[6], 0, 1)), -EEXIST);
	assert_int_equal(ins(&t, mk(&n[6], 1, MAX64 - 1)), -EEXIST);
	assert_int_equal(ins(&t, mk(&n[6], 1000, MAX64 - 1)), 0);
	assert_int_equal(t.count, 6);
	assert_valid(&t);
	{
		uint64_t first, last, max_gap;

		assert_int_equal(itree_root_summary(&t, &first, &last,
						    &max_gap), 0);
		assert_int_equal(first, 0);
		assert_int_equal(last, MAX64);
		/* Widest gap: [201, 999]. */
		assert_int_equal(max_gap, 799);
	}
	/* Removing needs the exact start. */
	assert_int_equal(itree_remove(&t, 101), -ENOENT);
	assert_int_equal(itree_remove(&t, 98), -ENOENT);
	assert_int_equal(t.count, 6);
	itree_clear(&t, NULL, NULL);
}

static void test_whole_space(void **state)
{
	struct itree t;
	struct ival n[2];
	uint64_t a;

	(void)state;
	itree_init(&t);
	assert_int_equal(ins(&t, mk(&n[0], 0, MAX64)), 0);
	assert_ptr_equal(find(&t, 0), &n[0]);
	assert_ptr_equal(find(&t, MAX64), &n[0]);
	assert_ptr_equal(overlap(&t, MAX64, MAX64), &n[0]);
	assert_int_equal(ins(&t, mk(&n[1], 5, 5)), -EEXIST);
	assert_int_equal(gap(&t, 0, MAX64, 1, 1, 0, &a), -ENOSPC);
	assert_int_equal(root_gap(&t), 0);
	rem(&t, &n[0]);
	assert_null(t.root);
	assert_int_equal(t.count, 0);
	itree_clear(&t, NULL, NULL);
}

static void test_first_overlap_and_find(void **state)
{
	struct itree t;
	struct ival n[4];

	(void)state;
	itree_init(&t);
	assert_int_equal(ins(&t, mk(&n[0], 10, 19)), 0);
	assert_int_equal(ins(&t, mk(&n[1], 30, 39)), 0);
	assert_int_equal(ins(&t, mk(&n[2], 40, 49)), 0);
	assert_int_equal(ins(&t, mk(&n[3], MAX64 - 9, MAX64)), 0);

	assert_null(overlap(&t, 0, 9));
	assert_ptr_equal(overlap(&t, 0, 10), &n[0]);
	assert_ptr_equal(overlap(&t, 19, 19), &n[0]);
	assert_null(overlap(&t, 20, 29));
	assert_ptr_equal(overlap(&t, 20, 30), &n[1]);
	/* Lowest of several. */
	assert_ptr_equal(overlap(&t, 0, MAX64), &n[0]);
	assert_ptr_equal(overlap(&t, 35, 45), &n[1]);
	assert_ptr_equal(overlap(&t, 39, 40), &n[1]);
	assert_ptr_equal(overlap(&t, 40, 40), &n[2]);
	assert_null(overlap(&t, 50, MAX64 - 10));
	assert_ptr_equal(overlap(&t, 50, MAX64 - 9), &n[3]);
	assert_ptr_equal(overlap(&t, MAX64, MAX64), &n[3]);
	/* An empty query range matches nothing. */
	assert_null(overlap(&t, 15, 14));

	assert_null(find(&t, 0));
	assert_null(find(&t, 9));
	assert_ptr_equal(find(&t, 10), &n[0]);
	assert_ptr_equal(find(&t, 19), &n[0]);
	assert_null(find(&t, 20));
	assert_ptr_equal(find(&t, 39), &n[1]);
	assert_ptr_equal(find(&t, 40), &n[2]);
	assert_null(find(&t, MAX64 - 10));
	assert_ptr_equal(find(&t, MAX64), &n[3]);
	itree_clear(&t, NULL, NULL);
}

static void test_walk(void **state)
{
	enum { N = 100 };
	struct itree t;
	struct ival n[N];
	struct itree_iter it;
	bool ok;
	int i;

	(void)state;
	itree_init(&t);
	/* Descending inserts force rotations. */
	for (i = N - 1; i >= 0; i--)
		assert_int_equal(ins(&t, mk(&n[i], i * 10ULL,
						     i * 10ULL + 4)), 0);
	assert_valid(&t);
	assert_int_equal(t.count, N);
	/* 100 intervals need inner nodes, but only one level of them. */
	assert_int_equal(t.height, 1);
	assert_true(itree_first(&t, &it));
	assert_ptr_equal(it.value, &n[0]);
	assert_false(itree_prev(&it));
	assert_true(itree_last(&t, &it));
	assert_ptr_equal(it.value, &n[N - 1]);
	assert_false(itree_next(&it));
	for (i = 0, ok = itree_first(&t, &it); ok; ok = itree_next(&it), i++) {
		assert_ptr_equal(it.value, &n[i]);
		assert_int_equal(it.start, n[i].start);
		assert_int_equal(it.last, n[i].last);
	}
	assert_int_equal(i, N);
	for (i = N - 1, ok = itree_last(&t, &it); ok; ok = itree_prev(&it), i--)
		assert_ptr_equal(it.value, &n[i]);
	assert_int_equal(i, -1);
	assert_int_equal(root_gap(&t), 5);
	itree_clear(&t, NULL, NULL);
}

static void test_remove_shapes(void **state)
{
	/* Enough for two levels of inner nodes, so that removals merge and
	 * borrow between leaves and between inner nodes, and the root
	 * shrinks level by level. */
	enum { N = 1200 };
	struct itree t;
	struct ival *n = calloc(N, sizeof(*n));
	int order[N], i, j, max_height = 0;

	(void)state;
	assert_non_null(n);
	itree_init(&t);
	for (i = 0; i < N; i++) {
		j = (i * 13 + 5) % N;
		assert_int_equal(ins(&t, mk(&n[j], j * 4ULL, j * 4ULL + 1)), 0);
	}
	assert_valid(&t);
	assert_int_equal(t.height, 2);
	for (i = 0; i < N; i++)
		order[i] = (i * 7 + 3) % N;
	for (i = 0; i < N; i++) {
		rem(&t, &n[order[i]]);
		assert_valid(&t);
		assert_null(find(&t, n[order[i]].start));
		assert_int_equal(itree_remove(&t, n[order[i]].start), -ENOENT);
		if ((int)t.height > max_height)
			max_height = t.height;
		/* Everything not removed yet is still found. */
		if (i % 16 == 0 || N - i < 40)
			for (j = i + 1; j < N; j++)
				assert_ptr_equal(find(&t, n[order[j]].last),
						 &n[order[j]]);
	}
	assert_null(t.root);
	assert_int_equal(t.count, 0);
	assert_int_equal(t.height, 0);
	/* A removed interval can go back in. */
	assert_int_equal(ins(&t, &n[5]), 0);
	assert_valid(&t);
	itree_clear(&t, NULL, NULL);
	free(n);
}

static void test_gap_rule(void **state)
{
	struct itree t;
	struct ival n[4];
	uint64_t a;

	(void)state;
	itree_init(&t);
	/* Offset is OR-ed into the aligned hole start. */
	assert_int_equal(gap(&t, 0x1000, 0xffff, 0x100, 0x1000, 0x10, &a), 0);
	assert_int_equal(a, 0x1010);
	/* The result must be strictly below the span's last address, even
	 * for length 1 (the kernel's rule). */
	assert_int_equal(gap(&t, 0x1000, 0x1000, 1, 1, 0, &a), -ENOSPC);
	assert_int_equal(gap(&t, 0x1000, 0x1001, 1, 1, 0, &a), 0);
	assert_int_equal(a, 0x1000);
	assert_int_equal(gap(&t, 0x1000, 0x1001, 2, 1, 0, &a), 0);
	assert_int_equal(a, 0x1000);
	assert_int_equal(gap(&t, 0x1000, 0x1001, 3, 1, 0, &a), -ENOSPC);
	/* Rounding up past UINT64_MAX gives up on the span. */
	assert_int_equal(gap(&t, MAX64 - 10, MAX64, 2, 16, 0, &a), -ENOSPC);
	assert_int_equal(gap(&t, MAX64 - 15, MAX64, 2, 16, 0, &a), 0);
	assert_int_equal(a, MAX64 - 15);
	/* lo > hi: nothing. */
	assert_int_equal(gap(&t, 10, 9, 1, 1, 0, &a), -ENOSPC);
	/* Bad arguments. */
	assert_int_equal(gap(&t, 0, MAX64, 0, 1, 0, &a), -EINVAL);
	assert_int_equal(gap(&t, 0, MAX64, 1, 3, 0, &a), -EINVAL);
	assert_int_equal(gap(&t, 0, MAX64, 1, 0, 0, &a), -EINVAL);
	assert_int_equal(gap(&t, 0, MAX64, 1, 4, 4, &a), -EINVAL);

	/* Holes: [0,0xfff] [0x2000,0x2fff] [0x4000,0x5fff] [0x7000,MAX] */
	assert_int_equal(ins(&t, mk(&n[0], 0x1000, 0x1fff)), 0);
	assert_int_equal(ins(&t, mk(&n[1], 0x3000, 0x3fff)), 0);
	assert_int_equal(ins(&t, mk(&n[2], 0x6000, 0x6fff)), 0);
	assert_int_equal(gap(&t, 0, MAX64, 0x1000, 0x1000, 0, &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(gap(&t, 1, MAX64, 0x1000, 0x1000, 0, &a), 0);
	assert_int_equal(a, 0x2000);
	assert_int_equal(gap(&t, 0, MAX64, 0x2000, 0x1000, 0, &a), 0);
	assert_int_equal(a, 0x4000);
	/* An offset that no longer fits the exact-size hole skips it. */
	assert_int_equal(gap(&t, 1, MAX64, 0x1000, 0x1000, 0x10, &a), 0);
	assert_int_equal(a, 0x4010);
	/* Alignment larger than the hole: only the hole after it. */
	assert_int_equal(gap(&t, 0, MAX64, 0x1000, 0x8000, 0, &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(gap(&t, 1, MAX64, 0x1000, 0x8000, 0, &a), 0);
	assert_int_equal(a, 0x8000);
	/* lo inside an interval: the span starts after it. */
	assert_int_equal(gap(&t, 0x1800, MAX64, 0x1000, 1, 0, &a), 0);
	assert_int_equal(a, 0x2000);
	/* lo inside a hole clips its start; hi clips its end. */
	assert_int_equal(gap(&t, 0x4800, 0x5fff, 0x800, 0x800, 0, &a), 0);
	assert_int_equal(a, 0x4800);
	assert_int_equal(gap(&t, 0x4800, 0x57ff, 0x1000, 0x800, 0, &a), 0);
	assert_int_equal(a, 0x4800);
	assert_int_equal(gap(&t, 0x4800, 0x57fe, 0x1000, 0x800, 0, &a),
			 -ENOSPC);
	assert_int_equal(gap(&t, 0x7000, 0x7fff, 0x1000, 0x1000, 0, &a), 0);
	assert_int_equal(a, 0x7000);
	assert_int_equal(gap(&t, 0x7000, 0x7ffe, 0x1000, 0x1000, 0, &a),
			 -ENOSPC);
	/* lo == hi on a free address and on a used one. */
	assert_int_equal(gap(&t, 0x2000, 0x2000, 1, 1, 0, &a), -ENOSPC);
	assert_int_equal(gap(&t, 0x1000, 0x1000, 1, 1, 0, &a), -ENOSPC);
	/* Window that is one used interval exactly. */
	assert_int_equal(gap(&t, 0x3000, 0x3fff, 1, 1, 0, &a), -ENOSPC);
	/* lo/hi on interval edges: [0x2000, 0x2fff] is the span. */
	assert_int_equal(gap(&t, 0x1fff, 0x3000, 0x1000, 0x1000, 0, &a), 0);
	assert_int_equal(a, 0x2000);
	assert_int_equal(gap(&t, 0x2000, 0x2ffe, 0x1000, 0x1000, 0, &a),
			 -ENOSPC);
	assert_int_equal(gap(&t, 0x2001, 0x3000, 0xfff, 1, 0, &a), 0);
	assert_int_equal(a, 0x2001);
	/* Too big for anything but the tail. */
	assert_int_equal(gap(&t, 0, MAX64, 0x10000, 0x10000, 0, &a), 0);
	assert_int_equal(a, 0x10000);
	assert_int_equal(gap(&t, 0, 0xffff, 0x10000, 1, 0, &a), -ENOSPC);

	/* Intervals at both ends of the space. */
	itree_clear(&t, NULL, NULL);
	assert_int_equal(ins(&t, mk(&n[0], 0, 0)), 0);
	assert_int_equal(ins(&t, mk(&n[1], MAX64, MAX64)), 0);
	assert_valid(&t);
	assert_int_equal(root_gap(&t), MAX64 - 1);
	assert_int_equal(gap(&t, 0, MAX64, MAX64 - 1, 1, 0, &a), 0);
	assert_int_equal(a, 1);
	assert_int_equal(gap(&t, 0, MAX64, MAX64, 1, 0, &a), -ENOSPC);
	assert_int_equal(gap(&t, 0, MAX64, 2, 1ULL << 63, 0, &a), 0);
	assert_int_equal(a, 1ULL << 63);
	assert_int_equal(gap(&t, 0, MAX64, 2, 1ULL << 63, 5, &a), 0);
	assert_int_equal(a, (1ULL << 63) | 5);
	/* Span [1, MAX-1]: from the aligned start 2^63 up to MAX-1 there
	 * are 2^63 - 1 addresses, so length 2^63 - 1 fits and 2^63 not. */
	assert_int_equal(gap(&t, 0, MAX64, 1ULL << 63, 1ULL << 63, 0, &a),
			 -ENOSPC);
	assert_int_equal(gap(&t, 0, MAX64, (1ULL << 63) - 1, 1ULL << 63, 0,
			     &a), 0);
	assert_int_equal(a, 1ULL << 63);
	itree_clear(&t, NULL, NULL);
}

/* ---- Randomized comparison with a sorted array ---------------------- */

/* Large enough for two levels of inner nodes in the wide and dense
 * universes. */
#define POOL 2048

struct model {
	struct itree t;
	struct ival nodes[POOL];
	int sorted[POOL]; /* indexes into nodes[], by start */
	int n;
	int free_list[POOL];
	int nfree;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : rnd();
}

static void model_init(struct model *m)
{
	int i;

	itree_init(&m->t);
	m->n = 0;
	m->nfree = POOL;
	for (i = 0; i < POOL; i++)
		m->free_list[i] = POOL - 1 - i;
}

/* Index into sorted[] of the first interval with last >= addr. */
static int model_lower(const struct model *m, uint64_t addr)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->nodes[m->sorted[i]].last >= addr)
			return i;
	return m->n;
}

static struct ival *model_first_overlap(const struct model *m,
					      uint64_t start, uint64_t last)
{
	int i = model_lower(m, start);

	if (start > last || i == m->n || m->nodes[m->sorted[i]].start > last)
		return NULL;
	return (struct ival *)&m->nodes[m->sorted[i]];
}

static bool rule_accepts(uint64_t h, uint64_t hl, uint64_t length,
			 uint64_t align, uint64_t offset, uint64_t *a)
{
	if (h > MAX64 - (align - 1))
		return false;
	*a = ((h + align - 1) / align) * align + offset;
	return *a < hl && hl - *a >= length - 1;
}

/* The spans in order, each tried with the header's rule. */
static int model_find_gap(const struct model *m, uint64_t lo, uint64_t hi,
			  uint64_t length, uint64_t align, uint64_t offset,
			  uint64_t *out)
{
	uint64_t cursor = lo; /* first address not yet known to be used */
	int i;

	if (lo > hi)
		return -ENOSPC;
	for (i = 0; i <= m->n; i++) {
		const struct ival *n =
			i < m->n ? &m->nodes[m->sorted[i]] : NULL;
		uint64_t span_last;

		if (n && n->last < cursor)
			continue;
		if (n && n->start <= cursor) {
			if (n->last >= hi)
				return -ENOSPC;
			cursor = n->last + 1;
			continue;
		}
		span_last = n && n->start - 1 < hi ? n->start - 1 : hi;
		if (rule_accepts(cursor, span_last, length, align, offset,
				 out))
			return 0;
		if (!n || n->last >= hi)
			return -ENOSPC;
		cursor = n->last + 1;
	}
	return -ENOSPC;
}

/* Straight from the header's definition, one address at a time, for
 * windows small enough to enumerate. */
static int brute_find_gap(const struct model *m, uint64_t lo, uint64_t hi,
			  uint64_t length, uint64_t align, uint64_t offset,
			  uint64_t *out)
{
	uint64_t width = hi - lo + 1, i, h = 0, hl = 0, want;
	bool *used = calloc(width, sizeof(*used));
	int k, rc = -ENOSPC;

	assert_non_null(used);
	for (k = 0; k < m->n; k++) {
		const struct ival *n = &m->nodes[m->sorted[k]];
		uint64_t s = n->start < lo ? lo : n->start;
		uint64_t l = n->last > hi ? hi : n->last;

		for (; s <= l; s++) {
			used[s - lo] = true;
			if (s == l)
				break;
		}
	}
	for (i = 0; i < width; i++) {
		if (used[i])
			continue;
		if (i == 0 || used[i - 1]) { /* a new span starts here */
			h = lo + i;
			for (hl = i; hl + 1 < width && !used[hl + 1]; hl++)
				;
			hl += lo;
		}
		if (rule_accepts(h, hl, length, align, offset, &want) &&
		    want == lo + i) {
			*out = lo + i;
			rc = 0;
			break;
		}
	}
	free(used);
	return rc;
}

static void model_compare_walk(const struct model *m)
{
	struct itree_iter it;
	bool ok = itree_first(&m->t, &it);
	int i;

	assert_int_equal(m->t.count, (size_t)m->n);
	for (i = 0; i < m->n; i++, ok = itree_next(&it)) {
		assert_true(ok);
		assert_ptr_equal(it.value, &m->nodes[m->sorted[i]]);
	}
	assert_false(ok);
	ok = itree_last(&m->t, &it);
	for (i = m->n - 1; i >= 0; i--, ok = itree_prev(&it)) {
		assert_true(ok);
		assert_ptr_equal(it.value, &m->nodes[m->sorted[i]]);
	}
	assert_false(ok);
}

struct universe {
	const char *name;
	uint64_t base;	  /* addresses are base + [0, span) */
	uint64_t span;	  /* 0 means the whole 64-bit space */
	uint64_t max_len; /* interval lengths are 1..max_len */
	bool brute;	  /* windows small enough for brute_find_gap */
};

static uint64_t pick_addr(const struct universe *u)
{
	switch (rnd_below(16)) {
	case 0:
		return 0;
	case 1:
		return MAX64;
	default:
		return u->base + rnd_below(u->span);
	}
}

static uint64_t pick_pow2(unsigned int max_shift)
{
	return 1ULL << rnd_below(max_shift + 1);
}

static void random_ops(const struct universe *u, int steps)
{
	struct model *m = calloc(1, sizeof(*m));
	int step, checked_gaps = 0, found_gaps = 0, brute_checks = 0;
	int max_live = 0, max_height = 0;

	assert_non_null(m);
	model_init(m);
	for (step = 0; step < steps; step++) {
		/* Alternate phases that fill the space and that drain it. */
		bool filling = (step / 2000) % 2 == 0;
		unsigned int op = rnd_below(100);
		unsigned int insert_below = filling ? 50 : 25;

		if (op < insert_below) { /* insert */
			struct ival *n;
			uint64_t start = pick_addr(u), len, last;
			int idx, rc, pos;

			if (!m->nfree)
				continue;
			len = 1 + rnd_below(u->max_len);
			last = start > MAX64 - (len - 1) ? MAX64
							 : start + len - 1;
			idx = m->free_list[m->nfree - 1];
			n = mk(&m->nodes[idx], start, last);
			rc = ins(&m->t, n);
			if (model_first_overlap(m, start, last)) {
				assert_int_equal(rc, -EEXIST);
			} else {
				assert_int_equal(rc, 0);
				m->nfree--;
				pos = model_lower(m, start);
				memmove(&m->sorted[pos + 1], &m->sorted[pos],
					(m->n - pos) * sizeof(int));
				m->sorted[pos] = idx;
				m->n++;
				if (m->n > max_live)
					max_live = m->n;
			}
		} else if (op < 60) { /* remove (10 or 35 in 100) */
			int pos, idx;

			if (!m->n)
				continue;
			pos = rnd_below(m->n);
			idx = m->sorted[pos];
			rem(&m->t, &m->nodes[idx]);
			memmove(&m->sorted[pos], &m->sorted[pos + 1],
				(m->n - pos - 1) * sizeof(int));
			m->n--;
			m->free_list[m->nfree++] = idx;
			assert_null(find(&m->t, m->nodes[idx].start));
		} else if (op < 70) { /* find */
			uint64_t addr = pick_addr(u);

			if (m->n && rnd_below(2)) {
				const struct ival *n =
					&m->nodes[m->sorted[rnd_below(m->n)]];
				addr = rnd_below(2) ? n->start : n->last;
				addr += rnd_below(3) - 1;
			}
			assert_ptr_equal(find(&m->t, addr),
					 model_first_overlap(m, addr, addr));
		} else if (op < 80) { /* first_overlap */
			uint64_t s = pick_addr(u), l = pick_addr(u);

			if (rnd_below(4) && s > l) {
				uint64_t tmp = s;

				s = l;
				l = tmp;
			}
			assert_ptr_equal(overlap(&m->t, s, l),
					 model_first_overlap(m, s, l));
		} else { /* find_gap */
			uint64_t lo = pick_addr(u), hi = pick_addr(u);
			uint64_t length, align, offset, got = 0, want = 0;
			int rc, want_rc;

			if (lo > hi && rnd_below(8)) {
				uint64_t tmp = lo;

				lo = hi;
				hi = tmp;
			}
			length = rnd_below(4) ? 1 + rnd_below(u->max_len * 2)
					      : pick_pow2(u->span ? 8 : 40);
			align = pick_pow2(u->span ? 6 : 30);
			offset = rnd_below(3) ? 0 : rnd_below(align);
			rc = itree_find_gap(&m->t, lo, hi, length, align,
					    offset, &got);
			want_rc = model_find_gap(m, lo, hi, length, align,
						 offset, &want);
			if (rc != want_rc || (rc == 0 && got != want))
				fail_msg("%s step %d: find_gap(lo %#lx hi %#lx "
					 "len %#lx align %#lx off %#lx) = %d "
					 "%#lx, model %d %#lx",
					 u->name, step, lo, hi, length, align,
					 offset, rc, got, want_rc, want);
			checked_gaps++;
			found_gaps += rc == 0;
			if (u->brute && lo <= hi &&
			    hi - lo < 2 * u->span) {
				want_rc = brute_find_gap(m, lo, hi, length,
							 align, offset, &want);
				brute_checks++;
				assert_int_equal(rc, want_rc);
				if (!rc)
					assert_int_equal(got, want);
			}
		}
		assert_valid(&m->t);
		if ((int)m->t.height > max_height)
			max_height = m->t.height;
		if (step % 64 == 0)
			model_compare_walk(m);
	}
	model_compare_walk(m);
	/* The mix must exercise both outcomes of the gap search. */
	assert_true(found_gaps > checked_gaps / 10);
	assert_true(found_gaps < checked_gaps);
	print_message("%s: %d steps, %d gap searches (%d also by brute "
		      "force), %d found, at most %d live, height %d\n",
		      u->name, steps, checked_gaps, brute_checks, found_gaps,
		      max_live, max_height);
	itree_clear(&m->t, NULL, NULL);
	free(m);
}

static void seed_rng(void)
{
	const char *env = getenv("ITREE_SEED");

	rng_state = env ? strtoull(env, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	if (!rng_state)
		rng_state = 1;
	print_message("itree seed %#llx (set ITREE_SEED to vary)\n",
		      (unsigned long long)rng_state);
}

static void test_random_low(void **state)
{
	const struct universe u = { "low", 0, 512, 12, true };

	(void)state;
	seed_rng();
	random_ops(&u, 20000);
}

static void test_random_top(void **state)
{
	const struct universe u = { "top", MAX64 - 511, 512, 12, true };

	(void)state;
	random_ops(&u, 20000);
}

static void test_random_wide(void **state)
{
	/* Page-sized intervals spread over the whole space. */
	const struct universe u = { "wide", 0, 0, 1ULL << 40, false };

	(void)state;
	random_ops(&u, 20000);
}

static void test_random_dense(void **state)
{
	/* Many small intervals close together: lots of narrow gaps, so
	 * pruning by max_gap matters. */
	const struct universe u = { "dense", 1ULL << 32, 4096, 3, true };

	(void)state;
	random_ops(&u, 30000);
}

/* ---- clear ----------------------------------------------------------- */

struct clear_log {
	int calls;
	uint64_t sum;
	bool in_order, values_match;
	uint64_t prev_start;
};

static void on_clear(uint64_t start, uint64_t last, void *value, void *arg)
{
	struct clear_log *log = arg;
	struct ival *n = value;

	if (log->calls && start <= log->prev_start)
		log->in_order = false;
	if (n->start != start || n->last != last)
		log->values_match = false;
	log->prev_start = start;
	log->calls++;
	log->sum += n->start;
	free(n);
}

static void test_clear(void **state)
{
	struct itree t;
	struct clear_log log = { 0, 0, true, true, 0 };
	uint64_t sum = 0;
	int i;

	(void)state;
	itree_init(&t);
	for (i = 0; i < 1000; i++) {
		struct ival *n = calloc(1, sizeof(*n));

		assert_non_null(n);
		n->start = n->last = (uint64_t)i * 3;
		assert_int_equal(ins(&t, n), 0);
		sum += n->start;
	}
	itree_clear(&t, on_clear, &log);
	assert_int_equal(log.calls, 1000);
	assert_int_equal(log.sum, sum);
	assert_true(log.in_order);
	assert_true(log.values_match);
	assert_null(t.root);
	assert_int_equal(t.count, 0);
	assert_valid(&t);
	/* Usable again after clearing. */
	assert_int_equal(itree_insert(&t, 5, 6, &log), 0);
	assert_valid(&t);
	itree_clear(&t, NULL, NULL);
}

/* ---- depth stays logarithmic ----------------------------------------- */

static void test_balance_large(void **state)
{
	enum { N = 1 << 16 };
	struct itree t;
	struct ival *n = calloc(N, sizeof(*n));
	uint64_t a;
	int i;

	(void)state;
	assert_non_null(n);
	itree_init(&t);
	/* Ascending, the worst order for an unbalanced tree; every
	 * interval adjacent to the next, so there is no gap inside. */
	for (i = 0; i < N; i++) {
		n[i].start = (uint64_t)i * 4096;
		n[i].last = n[i].start + 4095;
		assert_int_equal(ins(&t, &n[i]), 0);
	}
	assert_valid(&t);
	/* Ascending fills pack nodes (29 of 32 per leaf, 28 of 31 per
	 * inner node): 65536 / 29 = 2260 leaves, / 28 = 81 inner nodes,
	 * / 28 = 3 below the root: three levels of inner nodes. */
	assert_int_equal(t.height, 3);
	assert_int_equal(root_gap(&t), 0);
	assert_int_equal(gap(&t, 0, MAX64, 4096, 4096, 0, &a), 0);
	assert_int_equal(a, (uint64_t)N * 4096);
	/* Open one hole in the middle: the search must find it. */
	rem(&t, &n[N / 2 + 7]);
	assert_int_equal(gap(&t, 0, MAX64, 4096, 4096, 0, &a), 0);
	assert_int_equal(a, n[N / 2 + 7].start);
	assert_int_equal(gap(&t, 0, MAX64, 8192, 4096, 0, &a), 0);
	assert_int_equal(a, (uint64_t)N * 4096);
	for (i = 0; i < N; i += 2)
		if (i != N / 2 + 7)
			rem(&t, &n[i]);
	assert_valid(&t);
	assert_int_equal(t.count, N / 2 - 1);
	itree_clear(&t, NULL, NULL);
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_insert_overlap),
		cmocka_unit_test(test_whole_space),
		cmocka_unit_test(test_first_overlap_and_find),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_remove_shapes),
		cmocka_unit_test(test_gap_rule),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_balance_large),
		cmocka_unit_test(test_random_low),
		cmocka_unit_test(test_random_top),
		cmocka_unit_test(test_random_wide),
		cmocka_unit_test(test_random_dense),
	};

	return cmocka_run_group_tests_name("itree", tests, NULL, NULL);
}
