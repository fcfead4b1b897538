/* SPDX-License-Identifier: MIT */
/*
 * bench_viommu - the virtio-iommu device model against a baseline that
 * keeps mappings the way QEMU's virtio-iommu does: a GLib GTree keyed by
 * an {low, high} interval whose comparator calls overlapping intervals
 * equal (so a lookup of {iova, iova} finds the mapping holding iova).
 *
 * In one run, on the simulator:
 *  - MAP+UNMAP request pairs per second with 64K live mappings: the device
 *    takes whole requests (wire parsing, checks, its index, the shadow
 *    IOAS map/unmap); the baseline inserts and removes a GTree node
 *    (QEMU's MAP/UNMAP for an emulated endpoint do that plus notifiers);
 *  - translate() ns with 1M live mappings: cache hit (the same page
 *    again) and miss (random pages); the baseline does g_tree_lookup()
 *    each time, as QEMU's translate does.
 * Each figure is the median of REPS runs.  Targets: >= 3x the baseline
 * on both, cache-hit translate <= 20 ns.  BENCH_STRICT=1: exit 1 on a
 * missed target.
 */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <ioasid/viommu.h>

#define PAGE 4096ull
#define BASE 0x100000000ull
#define LIVE_MAP (64u * 1024)
#define LIVE_XLATE (1024u * 1024)
#define PAIRS 20000u
#define LOOKUPS 2000000u
#define REPS 5
#define RAM (64ull << 20)
#define EP 0x100u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ---- Baseline: QEMU's way ------------------------------------------ */

struct interval {
	uint64_t low, high;
};

struct mapping {
	uint64_t phys;
	uint32_t flags;
};

static gint interval_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
	const struct interval *x = a, *y = b;

	(void)data;
	if (x->high < y->low)
		return -1;
	if (y->high < x->low)
		return 1;
	return 0; /* overlap: equal */
}

static GTree *gtree_new(void)
{
	return g_tree_new_full(interval_cmp, NULL, g_free, g_free);
}

static void gtree_map(GTree *t, uint64_t iova, uint64_t phys)
{
	struct interval *k = g_new(struct interval, 1);
	struct mapping *m = g_new(struct mapping, 1);

	k->low = iova;
	k->high = iova + PAGE - 1;
	m->phys = phys;
	m->flags = 3;
	g_tree_insert(t, k, m);
}

static void gtree_unmap(GTree *t, uint64_t iova)
{
	struct interval k = { iova, iova + PAGE - 1 };

	g_tree_remove(t, &k);
}

static uint64_t gtree_translate(GTree *t, uint64_t iova)
{
	struct interval k = { iova, iova };
	struct interval *key;
	struct mapping *m;

	if (!g_tree_lookup_extended(t, &k, (gpointer *)&key, (gpointer *)&m))
		return UINT64_MAX;
	return m->phys + (iova - key->low);
}

/* ---- The device ------------------------------------------------------ */

static void put32(uint8_t *p, uint32_t x)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

static void put64(uint8_t *p, uint64_t x)
{
	put32(p, (uint32_t)x);
	put32(p + 4, (uint32_t)(x >> 32));
}

struct dev {
	struct ioasid_ctx *ctx;
	struct ioasid_viommu *v;
	uint8_t *ram;
};

static int request(struct dev *d, const uint8_t *req, size_t len)
{
	uint8_t tail[4];
	uint32_t used;

	if (ioasid_viommu_handle_buffers(d->v, req, len, tail, sizeof(tail),
					 &used) || used != 4)
		return -1;
	return tail[0];
}

static int dev_map(struct dev *d, uint64_t iova, uint64_t phys)
{
	uint8_t r[36] = { 3 };

	put32(r + 4, 1);
	put64(r + 8, iova);
	put64(r + 16, iova + PAGE - 1);
	put64(r + 24, phys);
	put32(r + 32, 3);
	return request(d, r, sizeof(r));
}

static int dev_unmap(struct dev *d, uint64_t iova)
{
	uint8_t r[28] = { 4 };

	put32(r + 4, 1);
	put64(r + 8, iova);
	put64(r + 16, iova + PAGE - 1);
	return request(d, r, sizeof(r));
}

static void dev_open(struct dev *d)
{
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);
	uint8_t r[20] = { 1 };

	if (ioasid_ctx_open(&co, &d->ctx) || ioasid_viommu_create(d->ctx, NULL, &d->v)) {
		fprintf(stderr, "bench_viommu: %s\n", ioasid_errmsg());
		exit(1);
	}
	d->ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (d->ram == MAP_FAILED || ioasid_viommu_add_ram(d->v, 0, RAM, d->ram) ||
	    ioasid_viommu_add_endpoint(d->v, EP, NULL, NULL) ||
	    ioasid_viommu_set_features(d->v, ioasid_viommu_features(d->v))) {
		fprintf(stderr, "bench_viommu: setup: %s\n", ioasid_errmsg());
		exit(1);
	}
	put32(r + 4, 1);
	put32(r + 8, EP);
	if (request(d, r, sizeof(r)) != 0) {
		fprintf(stderr, "bench_viommu: attach failed\n");
		exit(1);
	}
}

static void dev_close(struct dev *d)
{
	ioasid_viommu_destroy(d->v);
	ioasid_ctx_close(d->ctx);
	munmap(d->ram, RAM);
}

/* Live mappings at every other page; pairs use the free pages between. */
static uint64_t live_iova(uint64_t i)
{
	return BASE + 2 * i * PAGE;
}

static uint64_t phys_of(uint64_t i)
{
	return (i * PAGE) % RAM;
}

static void fill(struct dev *d, GTree *t, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (d && dev_map(d, live_iova(i), phys_of(i)) != 0) {
			fprintf(stderr, "bench_viommu: fill map %u failed\n", i);
			exit(1);
		}
		if (t)
			gtree_map(t, live_iova(i), phys_of(i));
	}
}

int main(void)
{
	double dev_pairs[REPS], base_pairs[REPS], hit[REPS], miss[REPS],
		base_xl[REPS];
	uint64_t *iovas = malloc(sizeof(*iovas) * (PAIRS > LOOKUPS ? PAIRS : LOOKUPS));
	struct ioasid_viommu_translation tr;
	bool strict = getenv("BENCH_STRICT") != NULL, ok = true;
	volatile uint64_t sink = 0;
	struct dev d;
	GTree *t;

	ioasid_set_print(NULL, NULL);
	/* ---- MAP+UNMAP pairs at 64K live -------------------------------- */
	dev_open(&d);
	t = gtree_new();
	fill(&d, t, LIVE_MAP);
	for (unsigned int i = 0; i < PAIRS; i++)
		iovas[i] = live_iova(xorshift() % LIVE_MAP) + PAGE;
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t t0 = now_ns();

		for (unsigned int i = 0; i < PAIRS; i++)
			if (dev_map(&d, iovas[i], 0) || dev_unmap(&d, iovas[i]))
				ok = false;
		dev_pairs[rep] = PAIRS * 1e9 / (double)(now_ns() - t0);
		t0 = now_ns();
		for (unsigned int i = 0; i < PAIRS; i++) {
			gtree_map(t, iovas[i], 0);
			gtree_unmap(t, iovas[i]);
		}
		base_pairs[rep] = PAIRS * 1e9 / (double)(now_ns() - t0);
	}
	if (!ok) {
		fprintf(stderr, "bench_viommu: a MAP or UNMAP failed\n");
		return 1;
	}
	g_tree_destroy(t);
	dev_close(&d);

	/* ---- translate at 1M live --------------------------------------- */
	dev_open(&d);
	t = gtree_new();
	fill(&d, t, LIVE_XLATE);
	for (unsigned int i = 0; i < LOOKUPS; i++)
		iovas[i] = live_iova(xorshift() % LIVE_XLATE) + (xorshift() % PAGE);
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t t0;

		/* Hit: the same page over and over. */
		if (ioasid_viommu_translate(d.v, EP, iovas[0], 1, &tr))
			return 1;
		t0 = now_ns();
		for (unsigned int i = 0; i < LOOKUPS; i++) {
			ioasid_viommu_translate(d.v, EP, iovas[0] + (i & 0xff), 1, &tr);
			sink += tr.gpa;
		}
		hit[rep] = (double)(now_ns() - t0) / LOOKUPS;
		t0 = now_ns();
		for (unsigned int i = 0; i < LOOKUPS; i++) {
			if (ioasid_viommu_translate(d.v, EP, iovas[i], 1, &tr))
				return 1;
			sink += tr.gpa;
		}
		miss[rep] = (double)(now_ns() - t0) / LOOKUPS;
		t0 = now_ns();
		for (unsigned int i = 0; i < LOOKUPS; i++)
			sink += gtree_translate(t, iovas[i]);
		base_xl[rep] = (double)(now_ns() - t0) / LOOKUPS;
	}
	{
		struct ioasid_viommu_stats st = { .sz = sizeof(st) };

		ioasid_viommu_get_stats(d.v, &st);
		printf("translate: %llu cache hits, %llu misses in all runs\n",
		       (unsigned long long)st.iotlb_hits,
		       (unsigned long long)st.iotlb_misses);
	}
	g_tree_destroy(t);
	dev_close(&d);

	{
		double dp = median(dev_pairs, REPS), bp = median(base_pairs, REPS);
		double h = median(hit, REPS), m = median(miss, REPS),
		       b = median(base_xl, REPS);

		printf("MAP+UNMAP pairs/s at %u live: device %.0f, GTree baseline %.0f (%.2fx, target >= 3x) %s\n",
		       LIVE_MAP, dp, bp, dp / bp, dp >= 3 * bp ? "met" : "MISSED");
		printf("translate ns at %u live: hit %.1f (target <= 20) %s, miss %.1f, GTree baseline %.1f (miss %.2fx, target >= 3x) %s\n",
		       LIVE_XLATE, h, h <= 20 ? "met" : "MISSED", m, b, b / m,
		       b >= 3 * m ? "met" : "MISSED");
		if (strict && (dp < 3 * bp || h > 20 || b < 3 * m))
			return 1;
	}
	(void)sink;
	free(iovas);
	return 0;
}
