/* SPDX-License-Identifier: MIT */
/*
 * bench_map - cost of a 4 KiB map+unmap pair as the number of live
 * mappings grows, through the public API on the simulator and, for
 * comparison, on the bare interval tree (lib/util/itree.c, a B+-tree)
 * underneath and on the AVL tree it replaced (avl_baseline.h), in the
 * same run so that their ratio is measured under the same load.
 *
 * For each size N, N mappings of 4 KiB are made at every other page from
 * BASE_IOVA, then pairs map and unmap the free page next to a live
 * mapping, so that the work is spread over the whole tree rather than at
 * one end.  Two orders: "random" picks the page at random (each pair walks
 * a cold path from the root once the tree outgrows the caches), "sweep"
 * takes the free pages in address order (each pair's path is mostly the
 * previous one's, so it shows the O(log n) work without cache misses).
 * Each figure is the median over REPS runs of PAIRS pairs.  Targets
 * (random order): <= 1 us per pair with 1M live mappings and <= 2x growth
 * from 1K to 1M.
 *
 * Environment: BENCH_STRICT=1 makes a missed target exit 1.  For
 * instruction counts under callgrind: BENCH_PAIRS (pairs per run),
 * BENCH_REPS (runs), BENCH_SIZE (one N only), BENCH_ONLY (api, itree or
 * avl), BENCH_ORDER (random or sweep); the targets are then not judged.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <ioasid/ioasid.h>

#include "avl_baseline.h"
#include "bench.h"
#include "itree.h"

#define PAGE 4096ULL
#define BASE_IOVA (1ULL << 32)
#define SLOT (2 * PAGE) /* a live page, then a free one */
#define MAX_PAIRS 200000
#define MAX_REPS 15
#define TARGET_NS 1000.0
#define TARGET_GROWTH 2.0

static size_t sizes[] = { 1024, 65536, 1048576 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint32_t slots[MAX_PAIRS]; /* which free page each pair uses */
static int PAIRS = MAX_PAIRS, REPS = 7;
static const char *only;  /* BENCH_ONLY */
static int only_order = -1; /* BENCH_ORDER */

static bool wanted(const char *what)
{
	return !only || !strcmp(only, what);
}

enum order { RANDOM, SWEEP, NORDERS };
static const char *const order_name[NORDERS] = { "random", "sweep" };

static void pick_slots(size_t n, enum order order)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ n;
	size_t i;

	for (i = 0; i < (size_t)PAIRS; i++) {
		if (order == SWEEP) {
			slots[i] = i % n;
			continue;
		}
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		slots[i] = (uint32_t)((x * 0x2545F4914F6CDD1DULL >> 11) % n);
	}
}

static uint64_t live_iova(size_t i)
{
	return BASE_IOVA + i * SLOT;
}

static uint64_t free_iova(size_t i)
{
	return BASE_IOVA + i * SLOT + PAGE;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench_map: %s: %s (%s)\n", what, strerror(-rc),
		ioasid_errmsg());
	exit(2);
}

/* Median ns per map+unmap pair through the public API, N live. */
static void bench_api(size_t n, void *page, double result[NORDERS])
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM);
	struct ioasid_ctx *ctx;
	double runs[MAX_REPS];
	enum order order;
	uint32_t ioas;
	uint64_t iova;
	size_t i;
	int rc, rep;

	rc = ioasid_ctx_open(&opts, &ctx);
	if (rc)
		die("ioasid_ctx_open(sim)", rc);
	rc = ioasid_ioas_alloc(ctx, &ioas);
	if (rc)
		die("ioasid_ioas_alloc", rc);
	for (i = 0; i < n; i++) {
		iova = live_iova(i);
		rc = ioasid_ioas_map(ctx, ioas, page, PAGE, &iova, NULL);
		if (rc)
			die("prefill ioasid_ioas_map", rc);
	}
	for (order = 0; order < NORDERS; order++) {
	result[order] = 0;
	if (only_order >= 0 && (int)order != only_order)
		continue;
	pick_slots(n, order);
	for (rep = 0; rep < REPS; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < (size_t)PAIRS; i++) {
			iova = free_iova(slots[i]);
			rc = ioasid_ioas_map(ctx, ioas, page, PAGE, &iova,
					     NULL);
			if (rc)
				die("ioasid_ioas_map", rc);
			rc = ioasid_ioas_unmap(ctx, ioas, iova, PAGE, NULL);
			if (rc)
				die("ioasid_ioas_unmap", rc);
		}
		runs[rep] = (double)(now_ns() - t0) / PAIRS;
	}
	result[order] = median(runs, REPS);
	}
	/* The live mappings are all still there: the pairs did real work
	 * among them, not in an empty IOAS. */
	iova = live_iova(n / 2);
	rc = ioasid_ioas_map(ctx, ioas, page, PAGE, &iova, NULL);
	if (rc != -EEXIST)
		die("mapping over a live mapping did not fail with EEXIST",
		    rc ? rc : -EPROTO);
	ioasid_ctx_close(ctx);
}

/* The same pattern on the bare interval tree: insert+remove pairs.  The
 * values are dummies: the simulator's would be its area objects. */
static void bench_itree(size_t n, double result[NORDERS])
{
	static char value;
	struct itree tree;
	double runs[MAX_REPS];
	enum order order;
	size_t i;
	int rep;

	itree_init(&tree);
	for (i = 0; i < n; i++)
		if (itree_insert(&tree, live_iova(i), live_iova(i) + PAGE - 1,
				 &value))
			die("prefill itree_insert", -EEXIST);
	for (order = 0; order < NORDERS; order++) {
	result[order] = 0;
	if (only_order >= 0 && (int)order != only_order)
		continue;
	pick_slots(n, order);
	for (rep = 0; rep < REPS; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < (size_t)PAIRS; i++) {
			uint64_t start = free_iova(slots[i]);
			int rc = itree_insert(&tree, start, start + PAGE - 1,
					      &value);

			if (rc)
				die("itree_insert", rc);
			rc = itree_remove(&tree, start);
			if (rc)
				die("itree_remove", rc);
		}
		runs[rep] = (double)(now_ns() - t0) / PAIRS;
	}
	result[order] = median(runs, REPS);
	}
	if (tree.count != n)
		die("itree count changed", -EPROTO);
	itree_clear(&tree, NULL, NULL);
}

/* The same on the AVL tree that lib/util/itree.c was before. */
static void bench_avl(size_t n, double result[NORDERS])
{
	struct avl_node *nodes = calloc(n + 1, sizeof(*nodes));
	struct avl_node *probe;
	struct avl tree;
	double runs[MAX_REPS];
	enum order order;
	size_t i;
	int rep;

	if (!nodes)
		die("calloc", -ENOMEM);
	probe = &nodes[n];
	avl_init(&tree);
	for (i = 0; i < n; i++) {
		nodes[i].start = live_iova(i);
		nodes[i].last = nodes[i].start + PAGE - 1;
		if (avl_insert(&tree, &nodes[i]))
			die("prefill avl_insert", -EEXIST);
	}
	for (order = 0; order < NORDERS; order++) {
	result[order] = 0;
	if (only_order >= 0 && (int)order != only_order)
		continue;
	pick_slots(n, order);
	for (rep = 0; rep < REPS; rep++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < (size_t)PAIRS; i++) {
			probe->start = free_iova(slots[i]);
			probe->last = probe->start + PAGE - 1;
			if (avl_insert(&tree, probe))
				die("avl_insert", -EEXIST);
			avl_remove(&tree, probe);
		}
		runs[rep] = (double)(now_ns() - t0) / PAIRS;
	}
	result[order] = median(runs, REPS);
	}
	if (tree.count != n)
		die("avl count changed", -EPROTO);
	free(nodes);
}

static const char *verdict(int ok)
{
	return ok ? "ok" : "MISS";
}

static int env_int(const char *name, int def, int max)
{
	const char *v = getenv(name);
	int x = v ? atoi(v) : def;

	return x < 1 ? def : x > max ? max : x;
}

int main(void)
{
	double api[NSIZES][NORDERS], tree[NSIZES][NORDERS],
		avl[NSIZES][NORDERS];
	double api_1m, growth_api;
	int strict = getenv("BENCH_STRICT") && atoi(getenv("BENCH_STRICT"));
	bool partial;
	enum order o;
	void *page;
	size_t s, nsizes = NSIZES;
	int missed;

	PAIRS = env_int("BENCH_PAIRS", MAX_PAIRS, MAX_PAIRS);
	REPS = env_int("BENCH_REPS", 7, MAX_REPS);
	only = getenv("BENCH_ONLY");
	if (getenv("BENCH_ORDER"))
		only_order = strcmp(getenv("BENCH_ORDER"), "sweep") ? RANDOM
								     : SWEEP;
	if (getenv("BENCH_SIZE")) {
		sizes[0] = strtoul(getenv("BENCH_SIZE"), NULL, 0);
		if (!sizes[0] || sizes[0] > UINT32_MAX)
			die("BENCH_SIZE", -EINVAL);
		nsizes = 1;
	}
	partial = only || only_order >= 0 || nsizes != NSIZES ||
		  PAIRS != MAX_PAIRS;

	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap", -errno);
	memset(page, 0x5a, PAGE);
	ioasid_set_print(NULL, NULL);

	printf("bench_map: 4 KiB map+unmap pairs among N live 4 KiB "
	       "mappings, simulator backend;\n"
	       "ns per pair, median of %d runs of %d pairs; itree = "
	       "lib/util/itree.c (B+-tree), avl = the AVL tree it replaced\n\n",
	       REPS, PAIRS);
	printf("%9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "", "api", "itree",
	       "avl", "api-itree", "api", "itree", "avl", "api-itree");
	printf("%9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "live", "random",
	       "random", "random", "random", "sweep", "sweep", "sweep",
	       "sweep");
	for (s = 0; s < nsizes; s++) {
		memset(tree[s], 0, sizeof(tree[s]));
		memset(avl[s], 0, sizeof(avl[s]));
		memset(api[s], 0, sizeof(api[s]));
		if (wanted("itree"))
			bench_itree(sizes[s], tree[s]);
		if (wanted("avl"))
			bench_avl(sizes[s], avl[s]);
		if (wanted("api"))
			bench_api(sizes[s], page, api[s]);
		printf("%9zu", sizes[s]);
		for (o = 0; o < NORDERS; o++)
			printf(" %9.1f %9.1f %9.1f %9.1f", api[s][o],
			       tree[s][o], avl[s][o], api[s][o] - tree[s][o]);
		printf("\n");
		fflush(stdout);
	}
	printf("\n");
	if (partial) {
		printf("partial run (BENCH_PAIRS/SIZE/ONLY/ORDER): targets "
		       "not judged\n");
		munmap(page, PAGE);
		return 0;
	}
	for (o = 0; o < NORDERS; o++) {
		for (s = 0; s < NSIZES; s++)
			printf("api map+unmap %s, %zu live: %.1f ns/pair\n",
			       order_name[o], sizes[s], api[s][o]);
		for (s = 0; s < NSIZES; s++)
			printf("itree insert+remove %s, %zu live: %.1f ns/pair "
			       "(avl %.1f, %.2fx)\n", order_name[o], sizes[s],
			       tree[s][o], avl[s][o], avl[s][o] / tree[s][o]);
		printf("api growth %s 1M/1K: %.2fx\n", order_name[o],
		       api[NSIZES - 1][o] / api[0][o]);
		printf("itree growth %s 1M/1K: %.2fx (avl %.2fx)\n",
		       order_name[o], tree[NSIZES - 1][o] / tree[0][o],
		       avl[NSIZES - 1][o] / avl[0][o]);
	}
	api_1m = api[NSIZES - 1][RANDOM];
	growth_api = api_1m / api[0][RANDOM];
	printf("target: api random 1M live %.1f ns/pair <= %.0f: %s\n",
	       api_1m, TARGET_NS, verdict(api_1m <= TARGET_NS));
	printf("target: api random growth 1M/1K %.2fx <= %.1fx: %s\n",
	       growth_api, TARGET_GROWTH,
	       verdict(growth_api <= TARGET_GROWTH));
	missed = api_1m > TARGET_NS || growth_api > TARGET_GROWTH;
	munmap(page, PAGE);
	return strict && missed ? 1 : 0;
}
