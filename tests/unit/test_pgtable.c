// SPDX-License-Identifier: MIT
/*
 * Stage-1 page tables (lib/viommu/pgtable.c): the entry bits the VT-d
 * first-stage format wants, large leaves, exact unmap with table pages
 * freed, the pool's quarantine and capacity, the invalidation list, the
 * walker's faults, and a seeded random MAP/UNMAP sequence checked page by
 * page against a model.
 *
 * TEST_LDFLAGS: -Wl,--wrap=realloc
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "viommu/pgtable.h"

#define SZ_4K 0x1000ull
#define SZ_2M 0x200000ull
#define SZ_1G 0x40000000ull
#define POOL_GPA 0x7f000000ull

struct fx {
	struct vpt_pool pool;
	struct vpt_inval_list inv;
	uint64_t root;
	uint8_t *mem;
	uint64_t size;
};

static struct fx *fx_new(uint64_t pages)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->size = pages * SZ_4K;
	f->mem = mmap(NULL, f->size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->mem != MAP_FAILED);
	memset(f->mem, 0xa5, f->size); /* allocation must zero */
	assert_int_equal(vpt_pool_init(&f->pool, POOL_GPA, f->size, f->mem), 0);
	assert_int_equal(vpt_root_alloc(&f->pool, &f->root), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	vpt_inval_fini(&f->inv);
	vpt_pool_fini(&f->pool);
	munmap(f->mem, f->size);
	free(f);
}

static int walk(struct fx *f, uint64_t iova, struct vpt_translation *t)
{
	return vpt_walk(vpt_pool_read, &f->pool, f->root, iova, t);
}

/* The raw entry at @level (3 = PML4) on the way to @iova. */
static uint64_t raw_entry(struct fx *f, uint64_t iova, int level)
{
	uint64_t table = f->root, e = 0;

	for (int l = 3; l >= level; l--) {
		assert_int_equal(vpt_pool_read(&f->pool,
					       table + ((iova >> (12 + 9 * l)) & 511) * 8,
					       &e), 0);
		table = e & VPT_ADDR_MASK;
	}
	return e;
}

static void test_entry_bits_4k(void **state)
{
	struct fx *f = fx_new(16);
	struct vpt_translation t;
	uint64_t iova = 0x12345000, e;

	(void)state;
	assert_int_equal(vpt_map(&f->pool, f->root, iova, SZ_4K, 0x9000, true,
				 &f->inv), 0);
	for (int l = 3; l >= 1; l--) {
		e = raw_entry(f, iova, l);
		/* Table pointers: P, R/W, U/S, A; no PS, no XD. */
		assert_int_equal(e & ~VPT_ADDR_MASK,
				 VPT_P | VPT_RW | VPT_US | VPT_A);
		assert_true((e & VPT_ADDR_MASK) >= POOL_GPA &&
			    (e & VPT_ADDR_MASK) < POOL_GPA + f->size);
	}
	e = raw_entry(f, iova, 0);
	assert_int_equal(e, 0x9000 | VPT_P | VPT_RW | VPT_US | VPT_A | VPT_D);
	assert_int_equal(walk(f, iova + 0x123, &t), 0);
	assert_int_equal(t.out, 0x9123);
	assert_int_equal(t.page_size, SZ_4K);
	assert_true(t.writable);
	/* Neighbours are not mapped. */
	assert_int_equal(walk(f, iova + SZ_4K, &t), -ENOENT);
	assert_int_equal(walk(f, iova - SZ_4K, &t), -ENOENT);
	/* Read-only: no R/W, no D. */
	assert_int_equal(vpt_map(&f->pool, f->root, iova + SZ_4K, SZ_4K,
				 0xa000, false, &f->inv), 0);
	assert_int_equal(raw_entry(f, iova + SZ_4K, 0),
			 0xa000 | VPT_P | VPT_US | VPT_A);
	assert_int_equal(walk(f, iova + SZ_4K, &t), 0);
	assert_false(t.writable);
	/* Mapping does not invalidate (not-present entries are not
	 * cached). */
	assert_int_equal(f->inv.num, 0);
	fx_free(f);
}

static void test_large_leaves(void **state)
{
	struct fx *f = fx_new(16);
	struct vpt_translation t;

	(void)state;
	/* 1 GiB + 2 MiB + 4 KiB, all aligned: one leaf of each size. */
	assert_int_equal(vpt_map(&f->pool, f->root, SZ_1G, SZ_1G + SZ_2M + SZ_4K,
				 2 * SZ_1G, true, &f->inv), 0);
	assert_int_equal(raw_entry(f, SZ_1G, 2) & VPT_PS, VPT_PS);
	assert_int_equal(raw_entry(f, 2 * SZ_1G, 1) & VPT_PS, VPT_PS);
	assert_int_equal(walk(f, SZ_1G + 0x1234567, &t), 0);
	assert_int_equal(t.out, 2 * SZ_1G + 0x1234567);
	assert_int_equal(t.page_size, SZ_1G);
	assert_int_equal(walk(f, 2 * SZ_1G + 0x1000, &t), 0);
	assert_int_equal(t.page_size, SZ_2M);
	assert_int_equal(t.out, 3 * SZ_1G + 0x1000);
	assert_int_equal(walk(f, 2 * SZ_1G + SZ_2M, &t), 0);
	assert_int_equal(t.page_size, SZ_4K);
	assert_int_equal(walk(f, 2 * SZ_1G + SZ_2M + SZ_4K, &t), -ENOENT);
	/* Root, PDPT, PD, PT. */
	assert_int_equal(f->pool.in_use, 4);
	/* IOVA aligned but output not: 4 KiB leaves only. */
	assert_int_equal(vpt_map(&f->pool, f->root, 8 * SZ_1G, SZ_2M,
				 SZ_4K, false, &f->inv), 0);
	assert_int_equal(walk(f, 8 * SZ_1G + SZ_2M - 1, &t), 0);
	assert_int_equal(t.page_size, SZ_4K);
	assert_int_equal(t.out, SZ_2M + SZ_4K - 1);
	/* Unmapping across the large leaves' middle is refused. */
	assert_int_equal(vpt_unmap(&f->pool, f->root, SZ_1G + SZ_2M, SZ_2M,
				   &f->inv), -EINVAL);
	assert_int_equal(walk(f, SZ_1G + SZ_2M, &t), 0);
	fx_free(f);
}

static void test_unmap_exact_and_frees_tables(void **state)
{
	struct fx *f = fx_new(32);
	struct vpt_translation t;

	(void)state;
	assert_int_equal(vpt_map(&f->pool, f->root, 0x100000, 0x3000, 0x100000,
				 true, &f->inv), 0);
	assert_int_equal(vpt_map(&f->pool, f->root, 0x103000, 0x1000, 0x500000,
				 false, &f->inv), 0);
	assert_int_equal(f->pool.in_use, 4);
	/* The second mapping only: the first stays whole. */
	assert_int_equal(vpt_unmap(&f->pool, f->root, 0x103000, 0x1000, &f->inv), 0);
	assert_int_equal(walk(f, 0x103000, &t), -ENOENT);
	assert_int_equal(walk(f, 0x102fff, &t), 0);
	assert_int_equal(t.out, 0x102fff);
	assert_int_equal(f->inv.num, 1);
	assert_true(f->inv.v[0].leaf_only);
	assert_int_equal(f->inv.v[0].iova, 0x103000);
	assert_int_equal(f->inv.v[0].size, 0x1000);
	assert_int_equal(f->pool.num_quarantine, 0);
	/* Now the first: every table under the root goes, and the
	 * invalidation covers the paging-structure caches.  It merges with
	 * the neighbouring leaf-only one?  No: different kinds stay apart. */
	assert_int_equal(vpt_unmap(&f->pool, f->root, 0x100000, 0x3000, &f->inv), 0);
	assert_int_equal(f->inv.num, 2);
	assert_false(f->inv.v[1].leaf_only);
	assert_int_equal(f->pool.num_quarantine, 3);
	assert_int_equal(f->pool.in_use, 4);
	for (uint64_t a = 0; a < 0x200000; a += SZ_4K)
		assert_int_equal(walk(f, a, &t), -ENOENT);
	/* The root is empty again. */
	for (uint64_t gpa = f->root; gpa < f->root + SZ_4K; gpa += 8) {
		uint64_t e;

		assert_int_equal(vpt_pool_read(&f->pool, gpa, &e), 0);
		assert_int_equal(e, 0);
	}
	vpt_pool_release(&f->pool);
	assert_int_equal(f->pool.in_use, 1);
	assert_int_equal(f->pool.num_free, 31);
	/* A range with nothing mapped: no invalidation. */
	vpt_inval_reset(&f->inv);
	assert_int_equal(vpt_unmap(&f->pool, f->root, 0, SZ_1G, &f->inv), 0);
	assert_int_equal(f->inv.num, 0);
	fx_free(f);
}

static void test_eexist_changes_nothing(void **state)
{
	struct fx *f = fx_new(16);
	struct vpt_translation t;

	(void)state;
	assert_int_equal(vpt_map(&f->pool, f->root, 0x205000, SZ_4K, 0x1000,
				 true, &f->inv), 0);
	assert_int_equal(f->pool.in_use, 4);
	/* [2 MiB, 2 MiB + 24 KiB) runs into 0x205000. */
	assert_int_equal(vpt_map(&f->pool, f->root, SZ_2M, 0x6000, 0x10000,
				 true, &f->inv), -EEXIST);
	for (uint64_t a = SZ_2M; a < 0x205000; a += SZ_4K)
		assert_int_equal(walk(f, a, &t), -ENOENT);
	assert_int_equal(walk(f, 0x205000, &t), 0);
	assert_int_equal(t.out, 0x1000);
	/* A 2 MiB leaf over a table with an entry. */
	assert_int_equal(vpt_map(&f->pool, f->root, SZ_2M, SZ_2M, SZ_2M,
				 true, &f->inv), -EEXIST);
	/* Under a 2 MiB leaf. */
	assert_int_equal(vpt_map(&f->pool, f->root, 4 * SZ_2M, SZ_2M, SZ_2M,
				 true, &f->inv), 0);
	assert_int_equal(vpt_map(&f->pool, f->root, 4 * SZ_2M + SZ_4K, SZ_4K,
				 0, true, &f->inv), -EEXIST);
	assert_int_equal(vpt_map(&f->pool, f->root, 0, SZ_4K, 0, true,
				 &f->inv), 0);
	fx_free(f);
}

/* realloc fails while fail_realloc is set (the invalidation list is the
 * only thing in pgtable.c that grows). */
static bool fail_realloc;
void *__real_realloc(void *ptr, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
void *__wrap_realloc(void *ptr, size_t size)
{
	return fail_realloc ? NULL : __real_realloc(ptr, size);
}

/* A full list that cannot grow: map and unmap fail with -ENOMEM before
 * they touch a table, so the caller's state is what it was (no leaf
 * cleared without its invalidation recorded). */
static void test_enomem_changes_nothing(void **state)
{
	struct fx *f = fx_new(16);
	struct vpt_translation t;
	uint32_t in_use, num;

	(void)state;
	assert_int_equal(vpt_map(&f->pool, f->root, SZ_2M, SZ_4K, 0x1000,
				 true, &f->inv), 0);
	/* Fill the list to its capacity with ranges that do not merge. */
	for (uint64_t a = 0; f->inv.num < f->inv.cap || !f->inv.cap; a += 2 * SZ_4K) {
		assert_int_equal(vpt_map(&f->pool, f->root, SZ_1G + a, SZ_4K,
					 0x2000, true, &f->inv), 0);
		assert_int_equal(vpt_unmap(&f->pool, f->root, SZ_1G + a, SZ_4K,
					   &f->inv), 0);
		vpt_pool_release(&f->pool); /* as if invalidated */
	}
	in_use = f->pool.in_use;
	num = f->inv.num;
	fail_realloc = true;
	assert_int_equal(vpt_unmap(&f->pool, f->root, SZ_2M, SZ_4K, &f->inv),
			 -ENOMEM);
	assert_int_equal(walk(f, SZ_2M, &t), 0);
	assert_int_equal(t.out, 0x1000);
	assert_int_equal(vpt_map(&f->pool, f->root, 4 * SZ_2M, SZ_4K, 0x3000,
				 true, &f->inv), -ENOMEM);
	assert_int_equal(walk(f, 4 * SZ_2M, &t), -ENOENT);
	assert_int_equal(f->pool.in_use, in_use);
	assert_int_equal(f->inv.num, num);
	/* Without a list nothing needs to grow. */
	assert_int_equal(vpt_unmap(&f->pool, f->root, SZ_2M, SZ_4K, NULL), 0);
	assert_int_equal(walk(f, SZ_2M, &t), -ENOENT);
	fail_realloc = false;
	assert_int_equal(vpt_map(&f->pool, f->root, 4 * SZ_2M, SZ_4K, 0x3000,
				 true, &f->inv), 0);
	fx_free(f);
}

static void test_pool_full(void **state)
{
	/* Root + 3 tables fit; a second 2 MiB region needs one more PT. */
	struct fx *f = fx_new(4);
	struct vpt_translation t;

	(void)state;
	assert_int_equal(vpt_map(&f->pool, f->root, 0, 0x10000, 0x100000,
				 true, &f->inv), 0);
	assert_int_equal(f->pool.num_free, 0);
	/* Its first part fits in the existing PT, the rest does not: all
	 * undone. */
	assert_int_equal(vpt_map(&f->pool, f->root, SZ_2M - 0x4000, 0x8000,
				 0x200000, true, &f->inv), -ENOSPC);
	for (uint64_t a = SZ_2M - 0x4000; a < SZ_2M + 0x4000; a += SZ_4K)
		assert_int_equal(walk(f, a, &t), -ENOENT);
	assert_int_equal(walk(f, 0xf000, &t), 0);
	/* A mapping in a fresh 1 GiB: PD and PT needed, none free; the
	 * partial table chain is gone again. */
	vpt_inval_reset(&f->inv);
	vpt_unmap(&f->pool, f->root, 0, 0x10000, &f->inv);
	/* Quarantined pages are not reusable before release. */
	assert_int_equal(f->pool.num_free, 0);
	assert_int_equal(vpt_map(&f->pool, f->root, SZ_1G, SZ_4K, 0, true,
				 &f->inv), -ENOSPC);
	vpt_pool_release(&f->pool);
	assert_int_equal(f->pool.num_free, 3);
	assert_int_equal(vpt_map(&f->pool, f->root, SZ_1G, SZ_4K, 0, true,
				 &f->inv), 0);
	assert_int_equal(walk(f, SZ_1G, &t), 0);
	fx_free(f);
}

/* Tables whose entries a test writes by hand. */
struct handmade {
	uint64_t pages[4][512];
};

static int handmade_read(void *arg, uint64_t gpa, uint64_t *e)
{
	struct handmade *h = arg;

	if (gpa >= 4 * SZ_4K)
		return -EFAULT;
	*e = h->pages[gpa / SZ_4K][(gpa % SZ_4K) / 8];
	return 0;
}

static void test_walker_faults(void **state)
{
	struct handmade h;
	struct vpt_translation t;
	const uint64_t tbl = VPT_P | VPT_RW | VPT_US | VPT_A;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.pages[0][0] = 1 * SZ_4K | tbl;
	h.pages[1][0] = 2 * SZ_4K | tbl;
	h.pages[2][0] = 3 * SZ_4K | tbl;
	h.pages[3][1] = 0x55000 | VPT_P | VPT_US | VPT_RW;
	assert_int_equal(vpt_walk(handmade_read, &h, 0, 0x1abc, &t), 0);
	assert_int_equal(t.out, 0x55abc);
	assert_true(t.writable);
	/* R/W is an AND over the levels. */
	h.pages[1][0] &= ~VPT_RW;
	assert_int_equal(vpt_walk(handmade_read, &h, 0, 0x1abc, &t), 0);
	assert_false(t.writable);
	/* Supervisor-only on the way: a user DMA faults. */
	h.pages[2][0] &= ~VPT_US;
	assert_int_equal(vpt_walk(handmade_read, &h, 0, 0x1abc, &t), -EACCES);
	h.pages[2][0] |= VPT_US;
	/* Not present. */
	assert_int_equal(vpt_walk(handmade_read, &h, 0, 0x2000, &t), -ENOENT);
	/* Non-canonical; the upper canonical half is walked (index 511). */
	assert_int_equal(vpt_walk(handmade_read, &h, 0, 1ull << 47, &t), -EINVAL);
	assert_int_equal(vpt_walk(handmade_read, &h, 0, ~0ull, &t), -ENOENT);
	/* PS in a PML4E is reserved. */
	h.pages[0][1] = tbl | VPT_PS;
	assert_int_equal(vpt_walk(handmade_read, &h, 0, 1ull << 39, &t), -EINVAL);
	/* A 2 MiB leaf with address bits below 2 MiB set (other than PAT). */
	h.pages[2][1] = 0x201000 | VPT_P | VPT_US | VPT_PS; /* PAT only: ok */
	assert_int_equal(vpt_walk(handmade_read, &h, 0, SZ_2M + 5, &t), 0);
	assert_int_equal(t.out, SZ_2M + 5);
	assert_int_equal(t.page_size, SZ_2M);
	h.pages[2][1] = 0x202000 | VPT_P | VPT_US | VPT_PS;
	assert_int_equal(vpt_walk(handmade_read, &h, 0, SZ_2M, &t), -EINVAL);
	/* A pointer outside readable memory: the reader's error. */
	h.pages[2][2] = 0x100000 | tbl;
	assert_int_equal(vpt_walk(handmade_read, &h, 0, 2 * SZ_2M, &t), -EFAULT);
}

static void test_bad_arguments(void **state)
{
	struct fx *f = fx_new(4);
	struct vpt_pool p;

	(void)state;
	assert_int_equal(vpt_map(&f->pool, f->root, 0x800, SZ_4K, 0, true, &f->inv), -EINVAL);
	assert_int_equal(vpt_map(&f->pool, f->root, 0, 0, 0, true, &f->inv), -EINVAL);
	assert_int_equal(vpt_map(&f->pool, f->root, VPT_IOVA_LAST + 1, SZ_4K, 0,
				 true, &f->inv), -EINVAL);
	assert_int_equal(vpt_map(&f->pool, f->root, VPT_IOVA_LAST + 1 - SZ_4K,
				 SZ_4K, 0, true, &f->inv), 0);
	assert_int_equal(vpt_unmap(&f->pool, f->root, VPT_IOVA_LAST, 2, &f->inv), -EINVAL);
	assert_int_equal(vpt_pool_init(&p, 0x1000, 0x800, f->mem), -EINVAL);
	assert_int_equal(vpt_pool_init(&p, 0x1001, 0x1000, f->mem), -EINVAL);
	assert_int_equal(vpt_pool_init(&p, 0x1000, 0x1000, NULL), -EINVAL);
	fx_free(f);
}

/* The simulator's hook reads bytes by guest-physical address. */
static int pool_bytes_read(void *rd, uint64_t gpa, void *buf, uint32_t len)
{
	struct fx *f = rd;

	if (gpa < POOL_GPA || gpa + len > POOL_GPA + f->size)
		return -EFAULT;
	memcpy(buf, f->mem + (gpa - POOL_GPA), len);
	return 0;
}

static void test_s1_walk_hook(void **state)
{
	struct fx *f = fx_new(8);
	uint8_t data[24] = { 0 };
	uint64_t gpa = 0, root = f->root, flags = 0;
	uint32_t width = 48;

	(void)state;
	assert_int_equal(vpt_map(&f->pool, f->root, 0x40000000, SZ_2M,
				 0x80000000, true, &f->inv), 0);
	memcpy(data, &flags, 8);
	memcpy(data + 8, &root, 8);
	memcpy(data + 16, &width, 4);
	assert_int_equal(vpt_s1_walk(NULL, 1, data, sizeof(data), 0x40012345,
				     pool_bytes_read, f, &gpa), 0);
	assert_int_equal(gpa, 0x80012345);
	assert_int_equal(vpt_s1_walk(NULL, 1, data, sizeof(data), 0x40212345,
				     pool_bytes_read, f, &gpa), -ENOENT);
	/* Another driver's data, short data, 5-level width, reserved. */
	assert_int_equal(vpt_s1_walk(NULL, 2, data, sizeof(data), 0x40012345,
				     pool_bytes_read, f, &gpa), -EOPNOTSUPP);
	assert_int_equal(vpt_s1_walk(NULL, 1, data, 16, 0x40012345,
				     pool_bytes_read, f, &gpa), -EINVAL);
	width = 57;
	memcpy(data + 16, &width, 4);
	assert_int_equal(vpt_s1_walk(NULL, 1, data, sizeof(data), 0x40012345,
				     pool_bytes_read, f, &gpa), -EINVAL);
	width = 48;
	memcpy(data + 16, &width, 4);
	data[20] = 1;
	assert_int_equal(vpt_s1_walk(NULL, 1, data, sizeof(data), 0x40012345,
				     pool_bytes_read, f, &gpa), -EINVAL);
	data[20] = 0;
	/* A root the stage-2 reader cannot reach. */
	root = 0x1000;
	memcpy(data + 8, &root, 8);
	assert_int_equal(vpt_s1_walk(NULL, 1, data, sizeof(data), 0x40012345,
				     pool_bytes_read, f, &gpa), -EFAULT);
	fx_free(f);
}

/* ---- Random sequences against a model ------------------------------ */

#define WINDOW (64 * SZ_2M) /* 128 MiB of IOVA, 32768 pages */
#define WINDOW_BASE (SZ_1G - 8 * SZ_2M) /* straddles a 1 GiB line */
#define NPAGES (WINDOW / SZ_4K)

struct model_map {
	uint64_t iova, size, out;
	bool writable, live;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: seeded, so a failure replays. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void check_all_pages(struct fx *f, const int32_t *owner,
			    const struct model_map *maps)
{
	for (uint64_t pg = 0; pg < NPAGES; pg++) {
		uint64_t iova = WINDOW_BASE + pg * SZ_4K;
		struct vpt_translation t;
		int rc = walk(f, iova + (pg & 0xfff), &t);

		if (owner[pg] < 0) {
			assert_int_equal(rc, -ENOENT);
			continue;
		}
		const struct model_map *m = &maps[owner[pg]];

		assert_int_equal(rc, 0);
		assert_int_equal(t.out, m->out + (iova - m->iova) + (pg & 0xfff));
		assert_int_equal(t.writable, m->writable);
	}
}

static void run_random(uint64_t seed, unsigned int steps)
{
	struct fx *f = fx_new(2048);
	struct model_map *maps = calloc(steps, sizeof(*maps));
	int32_t *owner = malloc(NPAGES * sizeof(*owner));
	uint32_t nmaps = 0;

	assert_non_null(maps);
	assert_non_null(owner);
	for (uint64_t i = 0; i < NPAGES; i++)
		owner[i] = -1;
	rng_state = seed;
	for (unsigned int step = 0; step < steps; step++) {
		uint64_t r = rnd();

		if (r % 3 != 0 || nmaps == 0) {
			/* Sizes from 4 KiB to 6 MiB, often 2 MiB-aligned so
			 * large leaves appear. */
			uint64_t pages = 1 + rnd() % (r & 8 ? 1536 : 16);
			uint64_t first = rnd() % NPAGES;

			if (r & 16)
				first &= ~511ull;
			if (first + pages > NPAGES)
				continue;
			bool free_range = true;

			for (uint64_t p = first; p < first + pages; p++)
				if (owner[p] >= 0)
					free_range = false;
			uint64_t out = (rnd() % 4096) * SZ_2M +
				       (r & 32 ? 0 : (rnd() % 512) * SZ_4K);
			bool w = rnd() & 1;
			int rc = vpt_map(&f->pool, f->root,
					 WINDOW_BASE + first * SZ_4K, pages * SZ_4K,
					 out, w, &f->inv);

			if (!free_range) {
				assert_int_equal(rc, -EEXIST);
				continue;
			}
			assert_int_equal(rc, 0);
			maps[nmaps] = (struct model_map){
				WINDOW_BASE + first * SZ_4K, pages * SZ_4K, out, w, true };
			for (uint64_t p = first; p < first + pages; p++)
				owner[p] = (int32_t)nmaps;
			nmaps++;
		} else {
			struct model_map *m = &maps[rnd() % nmaps];

			if (!m->live)
				continue;
			assert_int_equal(vpt_unmap(&f->pool, f->root, m->iova,
						   m->size, &f->inv), 0);
			m->live = false;
			for (uint64_t p = (m->iova - WINDOW_BASE) / SZ_4K;
			     p < (m->iova - WINDOW_BASE + m->size) / SZ_4K; p++)
				owner[p] = -1;
		}
		if (step % 8 == 0)
			vpt_pool_release(&f->pool);
		if (step % 64 == 63)
			check_all_pages(f, owner, maps);
	}
	check_all_pages(f, owner, maps);
	/* Everything out: back to the root alone. */
	for (uint32_t i = 0; i < nmaps; i++)
		if (maps[i].live)
			assert_int_equal(vpt_unmap(&f->pool, f->root, maps[i].iova,
						   maps[i].size, &f->inv), 0);
	vpt_pool_release(&f->pool);
	assert_int_equal(f->pool.in_use, 1);
	/* Within the sizing rule for the window. */
	assert_true(f->pool.peak <= vpt_pages_for_span(WINDOW));
	free(owner);
	free(maps);
	fx_free(f);
}

static void test_random_sequences(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 6; seed++)
		run_random(seed * 0x9e3779b97f4a7c15ull, 600);
}

static void test_sizing_rule(void **state)
{
	/* A span filled with 4 KiB leaves at the worst alignment (one page
	 * before a 512 GiB line) stays within vpt_pages_for_span(). */
	uint64_t span = 6 * SZ_2M + 2 * SZ_4K;
	uint64_t iova = (1ull << 39) - SZ_4K - 3 * SZ_2M;
	struct fx *f = fx_new(vpt_pages_for_span(span));

	(void)state;
	for (uint64_t a = 0; a < span; a += SZ_4K)
		assert_int_equal(vpt_map(&f->pool, f->root, iova + a, SZ_4K,
					 a + SZ_4K, true, &f->inv), 0);
	assert_true(f->pool.peak <= vpt_pages_for_span(span));
	assert_int_equal(vpt_pages_for_span(0), 1);
	assert_int_equal(vpt_pages_for_span(SZ_4K), 7);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_bits_4k),
		cmocka_unit_test(test_large_leaves),
		cmocka_unit_test(test_unmap_exact_and_frees_tables),
		cmocka_unit_test(test_eexist_changes_nothing),
		cmocka_unit_test(test_enomem_changes_nothing),
		cmocka_unit_test(test_pool_full),
		cmocka_unit_test(test_walker_faults),
		cmocka_unit_test(test_s1_walk_hook),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_random_sequences),
		cmocka_unit_test(test_sizing_rule),
	};

	return cmocka_run_group_tests_name("pgtable", tests, NULL, NULL);
}
