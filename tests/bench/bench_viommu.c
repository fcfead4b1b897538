/* SPDX-License-Identifier: MIT */
/*
 * bench_viommu - the virtio-iommu device model against a baseline that
 * keeps mappings the way QEMU's virtio-iommu does: a GLib GTree keyed by
 * an {low, high} interval whose comparator calls overlapping intervals
 * equal (so a lookup of {iova, iova} finds the mapping holding iova).
 *
 * In one run, on the simulator:
 *  - MAP+UNMAP request pairs per second with 64K live mappings: the device
 *    takes whole wire requests (parsing, checks, its index) for a domain
 *    of emulated endpoints, which needs no host IOAS work; the baseline
 *    inserts and removes a GTree node (QEMU's MAP/UNMAP also notify VFIO
 *    per endpoint, which the baseline omits).  Like for like.  Shadow
 *    mode (the same requests for a domain with a physical endpoint, so
 *    each also maps and unmaps the domain's IOAS on the simulator) is a
 *    separate figure, not compared with the baseline;
 *  - translate() ns with 1M live mappings: cache hit (the same page
 *    again) and miss (random pages); the baseline does g_tree_lookup()
 *    each time, as QEMU's translate does.
 * Each figure is the median of REPS runs.  Targets: >= 3x the baseline
 * on both, cache-hit translate <= 20 ns.  BENCH_STRICT=1: exit 1 on a
 * missed target.  BENCH_PAIRS_ONLY=1: the MAP+UNMAP part only (profiling).
 */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <ioasid/virtio-iommu.h>

#include "bench.h"
#include "le.h"
#include "viommu_req.h"

#define PAGE 4096ull
#define BASE 0x100000000ull
#define LIVE_MAP (64u * 1024)
#define LIVE_XLATE (1024u * 1024)
#define PAIRS 20000u
#define LOOKUPS 2000000u
#define REPS 5
#define RAM (64ull << 20)
#define EP 0x100u
#define EP_PHYS 0x18u
#define PHYS_DEV "0000:00:03.0" /* the simulator's built-in x86 server */

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

struct dev {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *phys;
	uint8_t *ram;
};

/* A device with domain 1 holding an emulated endpoint, and with
 * @physical, a physical one too (shadow: domain 1 then has an IOAS). */
static void dev_open(struct dev *d, bool physical)
{
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);
	uint8_t r[20] = { 1 };

	if (ioasid_ctx_open(&co, &d->ctx) || ioasid_virtio_iommu_create(d->ctx, NULL, &d->v)) {
		fprintf(stderr, "bench_viommu: %s\n", ioasid_errmsg());
		exit(1);
	}
	d->ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (d->ram == MAP_FAILED || ioasid_virtio_iommu_add_ram(d->v, 0, RAM, d->ram) ||
	    ioasid_virtio_iommu_add_endpoint(d->v, EP, NULL, NULL) ||
	    ioasid_virtio_iommu_set_features(d->v, ioasid_virtio_iommu_features(d->v))) {
		fprintf(stderr, "bench_viommu: setup: %s\n", ioasid_errmsg());
		exit(1);
	}
	le32_put(r + 4, 1);
	le32_put(r + 8, EP);
	if (bench_request(d->v, r, sizeof(r)) != 0) {
		fprintf(stderr, "bench_viommu: attach failed\n");
		exit(1);
	}
	d->phys = NULL;
	if (physical) {
		uint32_t dev_id, ioas;

		if (ioasid_dev_open(d->ctx, PHYS_DEV, &d->phys) ||
		    ioasid_dev_bind(d->phys, &dev_id) ||
		    ioasid_virtio_iommu_add_endpoint(d->v, EP_PHYS, d->phys, NULL)) {
			fprintf(stderr, "bench_viommu: physical endpoint: %s\n",
				ioasid_errmsg());
			exit(1);
		}
		le32_put(r + 8, EP_PHYS);
		if (bench_request(d->v, r, sizeof(r)) != 0 ||
		    ioasid_virtio_iommu_domain_ioas(d->v, 1, &ioas)) {
			fprintf(stderr, "bench_viommu: physical attach failed\n");
			exit(1);
		}
	}
}

static void dev_close(struct dev *d)
{
	ioasid_virtio_iommu_destroy(d->v);
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
		if (d && bench_map_page(d->v, live_iova(i), phys_of(i)) != 0) {
			fprintf(stderr, "bench_viommu: fill map %u failed\n", i);
			exit(1);
		}
		if (t)
			gtree_map(t, live_iova(i), phys_of(i));
	}
}

/* Separate functions so that a profiler can count one side alone:
 * valgrind --tool=callgrind '--toggle-collect=emulated_pairs*' ... */
__attribute__((noinline)) static bool dev_pairs(struct dev *d,
						const uint64_t *iovas,
						unsigned int n)
{
	bool ok = true;

	for (unsigned int i = 0; i < n; i++)
		if (bench_map_page(d->v, iovas[i], 0) || bench_unmap_page(d->v, iovas[i]))
			ok = false;
	return ok;
}

/* One name per side for --toggle-collect. */
__attribute__((noipa)) static bool emulated_pairs(struct dev *d,
						     const uint64_t *iovas,
						     unsigned int n)
{
	return dev_pairs(d, iovas, n);
}

__attribute__((noipa)) static bool shadow_pairs(struct dev *d,
						   const uint64_t *iovas,
						   unsigned int n)
{
	return dev_pairs(d, iovas, n);
}

__attribute__((noipa)) static void gtree_pairs(GTree *t,
						  const uint64_t *iovas,
						  unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		gtree_map(t, iovas[i], 0);
		gtree_unmap(t, iovas[i]);
	}
}

static double pairs_per_s(uint64_t t0)
{
	return PAIRS * 1e9 / (double)(now_ns() - t0);
}

int main(void)
{
	double emu_pairs[REPS], shadow_rate[REPS], base_pairs[REPS], hit[REPS],
		miss[REPS], base_xl[REPS];
	uint64_t *iovas = malloc(sizeof(*iovas) * (PAIRS > LOOKUPS ? PAIRS : LOOKUPS));
	struct ioasid_virtio_iommu_translation tr;
	bool strict = getenv("BENCH_STRICT") != NULL, ok = true;
	volatile uint64_t sink = 0;
	struct dev d, sd;
	GTree *t;

	ioasid_set_print(NULL, NULL);
	/* ---- MAP+UNMAP pairs at 64K live -------------------------------- */
	dev_open(&d, false);
	dev_open(&sd, true);
	t = gtree_new();
	fill(&d, t, LIVE_MAP);
	fill(&sd, NULL, LIVE_MAP);
	for (unsigned int i = 0; i < PAIRS; i++)
		iovas[i] = live_iova(xorshift() % LIVE_MAP) + PAGE;
	/* Interleaved, so that a change of machine load hits all three. */
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t t0 = now_ns();

		ok &= emulated_pairs(&d, iovas, PAIRS);
		emu_pairs[rep] = pairs_per_s(t0);
		t0 = now_ns();
		gtree_pairs(t, iovas, PAIRS);
		base_pairs[rep] = pairs_per_s(t0);
		t0 = now_ns();
		ok &= shadow_pairs(&sd, iovas, PAIRS);
		shadow_rate[rep] = pairs_per_s(t0);
	}
	if (!ok) {
		fprintf(stderr, "bench_viommu: a MAP or UNMAP failed\n");
		return 1;
	}
	g_tree_destroy(t);
	dev_close(&sd);
	dev_close(&d);
	if (getenv("BENCH_PAIRS_ONLY")) {
		/* For profiling the pairs alone (see dev_pairs()). */
		printf("MAP+UNMAP pairs/s: device %.0f, GTree %.0f, shadow %.0f\n",
		       median(emu_pairs, REPS), median(base_pairs, REPS),
		       median(shadow_rate, REPS));
		free(iovas);
		return 0;
	}

	/* ---- translate at 1M live --------------------------------------- */
	dev_open(&d, false);
	t = gtree_new();
	fill(&d, t, LIVE_XLATE);
	for (unsigned int i = 0; i < LOOKUPS; i++)
		iovas[i] = live_iova(xorshift() % LIVE_XLATE) + (xorshift() % PAGE);
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t t0;

		/* Hit: the same page over and over. */
		if (ioasid_virtio_iommu_translate(d.v, EP, iovas[0], 1, &tr))
			return 1;
		t0 = now_ns();
		for (unsigned int i = 0; i < LOOKUPS; i++) {
			ioasid_virtio_iommu_translate(d.v, EP, iovas[0] + (i & 0xff), 1, &tr);
			sink += tr.gpa;
		}
		hit[rep] = (double)(now_ns() - t0) / LOOKUPS;
		t0 = now_ns();
		for (unsigned int i = 0; i < LOOKUPS; i++) {
			if (ioasid_virtio_iommu_translate(d.v, EP, iovas[i], 1, &tr))
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
		struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

		ioasid_virtio_iommu_get_stats(d.v, &st);
		printf("translate: %llu cache hits, %llu misses in all runs\n",
		       (unsigned long long)st.iotlb_hits,
		       (unsigned long long)st.iotlb_misses);
	}
	g_tree_destroy(t);
	dev_close(&d);

	{
		double dp = median(emu_pairs, REPS), bp = median(base_pairs, REPS),
		       sp = median(shadow_rate, REPS);
		double h = median(hit, REPS), m = median(miss, REPS),
		       b = median(base_xl, REPS);

		printf("MAP+UNMAP pairs/s at %u live (median of %d, min-max):\n", LIVE_MAP, REPS);
		printf("  device, emulated endpoints  %10.0f  (%.0f-%.0f)\n", dp,
		       emu_pairs[0], emu_pairs[REPS - 1]);
		printf("  GTree baseline              %10.0f  (%.0f-%.0f)\n", bp,
		       base_pairs[0], base_pairs[REPS - 1]);
		printf("  ratio %.2fx (target >= 3x) %s\n", dp / bp,
		       dp >= 3 * bp ? "met" : "MISSED");
		printf("  shadow mode (device + simulator IOAS map/unmap; no baseline) %.0f  (%.0f-%.0f)\n",
		       sp, shadow_rate[0], shadow_rate[REPS - 1]);
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
