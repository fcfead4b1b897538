/* SPDX-License-Identifier: MIT */
/*
 * bench_translate_mt - translate() throughput of N reader threads (N =
 * online CPUs) on one virtio-iommu device, in one run:
 *
 *   alone     the N readers, no writer;
 *   +writer   the same readers while one more thread does MAP+UNMAP
 *             request pairs, as fast as it can, in the domain they
 *             translate through;
 *   +writer elsewhere
 *             a control: the same writer on a second device, which
 *             shares no memory with the readers' (what is left of the
 *             +writer loss is the CPUs', not the device model's);
 *   mutex     the QEMU design: the same device, the same readers and
 *             writer, every call behind one mutex (translate takes the
 *             device lock, request processing takes it too); and the
 *             readers alone behind it.
 * Two workloads: hot (each reader walks 64 mapped pages: per-thread IOTLB
 * hits) and cold (random pages among 4096 mappings, 1 KiB stride: mostly
 * misses, lookups in the domain's index that the writer is changing).
 * Also with N - 1 readers, so that readers and writer are N threads on N
 * CPUs, and the single-thread cost of a cache hit.  Each figure is the
 * median of REPS windows of WINDOW_MS, the configurations interleaved in
 * each repetition.  Per reader CPU second figures (CLOCK_THREAD_CPUTIME_ID)
 * are printed too: with more threads than CPUs, wall throughput also
 * measures how the scheduler shares the CPUs.
 *
 * Targets (issue "virtio-iommu device", section 2): +writer >= 80% of
 * alone, +writer >= 3x mutex +writer, hit <= 20 ns.  BENCH_STRICT=1: exit
 * 1 on a missed target.  BENCH_READERS=n overrides N.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ioasid/virtio-iommu.h>

#include "le.h"
#include "viommu_req.h"

#define PAGE 4096ull
#define BASE 0x100000000ull
#define LIVE 4096u
#define HOT 64u
#define RAM (64ull << 20)
#define EP0 0x100u
#define MAX_READERS 64
#define WINDOW_MS 300
#define REPS 5
#define HIT_LOOKUPS 2000000u

enum mode { ALONE, WRITER, OTHER, MUTEX_ALONE, MUTEX_WRITER, NUM_MODES };
static const char *const mode_names[] = { "alone", "+writer", "+writer elsewhere",
					  "mutex alone", "mutex +writer" };

static struct ioasid_ctx *ctx;
static struct ioasid_virtio_iommu *v, *v_other;
static void *ram;
static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;

/* Main starts window number window_id (0: exit) with running 1, ends it
 * with running 0; every thread then adds itself to finished. */
static _Atomic unsigned int window_id, finished;
static _Atomic int running;
static enum mode cur_mode;
static bool cur_cold;
static unsigned int cur_readers;

struct reader {
	pthread_t th;
	unsigned int idx;
	uint64_t count;
	uint64_t cpu_ns;
	uint64_t rng;
	int errors;
} __attribute__((aligned(64)));

static struct reader readers[MAX_READERS];
static uint64_t writer_pairs;
static int writer_errors;

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *d, int n)
{
	double c[REPS * 2];

	memcpy(c, d, (size_t)n * sizeof(*d));
	qsort(c, (size_t)n, sizeof(*c), cmp_double);
	return c[n / 2];
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t live_iova(uint64_t i)
{
	return BASE + 2 * i * PAGE;
}

/* Wait for the next window after *@seen; false: exit. */
static bool wait_start(unsigned int *seen)
{
	unsigned int id;

	/* Sleeping: a thread that sits a window out takes no CPU from it. */
	while ((id = atomic_load(&window_id)) == *seen)
		usleep(50);
	*seen = id;
	return id != UINT32_MAX;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	unsigned int seen = 0;

	for (;;) {
		struct ioasid_virtio_iommu_translation t;
		uint64_t n = 0, cpu0;
		bool locked, cold;
		uint32_t ep;

		if (!wait_start(&seen))
			return NULL;
		if (r->idx >= cur_readers) {
			r->count = r->cpu_ns = 0;
			atomic_fetch_add(&finished, 1);
			continue;
		}
		locked = cur_mode == MUTEX_ALONE || cur_mode == MUTEX_WRITER;
		cold = cur_cold;
		ep = EP0 + r->idx;
		cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		while (atomic_load_explicit(&running, memory_order_relaxed)) {
			for (int k = 0; k < 64; k++) {
				uint64_t iova = cold
					? live_iova(xorshift(&r->rng) % LIVE) + (xorshift(&r->rng) & 0xc00)
					: live_iova(n % HOT) + 0x80;

				if (locked)
					pthread_mutex_lock(&dev_lock);
				r->errors += ioasid_virtio_iommu_translate(v, ep, iova,
								     IOASID_VIRTIO_IOMMU_ACCESS_READ, &t) != 0;
				if (locked)
					pthread_mutex_unlock(&dev_lock);
				n++;
			}
		}
		r->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
		r->count = n;
		atomic_fetch_add(&finished, 1);
	}
}

static void *writer_main(void *arg)
{
	uint64_t rng = 0x2545f4914f6cdd1dull;
	unsigned int seen = 0;
	struct ioasid_virtio_iommu *dev;

	(void)arg;
	for (;;) {
		bool locked;
		uint64_t n = 0;

		if (!wait_start(&seen))
			return NULL;
		if (cur_mode != WRITER && cur_mode != OTHER && cur_mode != MUTEX_WRITER) {
			writer_pairs = 0;
			atomic_fetch_add(&finished, 1);
			continue;
		}
		locked = cur_mode == MUTEX_WRITER;
		dev = cur_mode == OTHER ? v_other : v;
		while (atomic_load_explicit(&running, memory_order_relaxed)) {
			/* A free page next to a live one: same leaves as the
			 * readers' lookups. */
			uint64_t iova = live_iova(xorshift(&rng) % LIVE) + PAGE;

			if (locked)
				pthread_mutex_lock(&dev_lock);
			writer_errors += bench_map_page(dev, iova, 0) != 0;
			if (locked) {
				pthread_mutex_unlock(&dev_lock);
				pthread_mutex_lock(&dev_lock);
			}
			writer_errors += bench_unmap_page(dev, iova) != 0;
			if (locked)
				pthread_mutex_unlock(&dev_lock);
			n++;
		}
		writer_pairs = n;
		atomic_fetch_add(&finished, 1);
	}
}

struct result {
	double rate;	/* translations per second, all readers */
	double per_cpu; /* translations per reader CPU second */
	double pairs;	/* writer MAP+UNMAP pairs per second */
};

/* One window of @mode with @n readers (the others sit it out). */
static struct result window(enum mode mode, bool cold, unsigned int n,
			    unsigned int threads)
{
	struct result res = { 0 };
	uint64_t t0, t1, count = 0, cpu = 0;

	static unsigned int id;

	cur_mode = mode;
	cur_cold = cold;
	cur_readers = n; /* the readers beyond sit this window out */
	atomic_store(&finished, 0);
	atomic_store(&running, 1);
	t0 = now_ns(CLOCK_MONOTONIC);
	atomic_store(&window_id, ++id);
	while (now_ns(CLOCK_MONOTONIC) - t0 < WINDOW_MS * 1000000ull)
		usleep(1000);
	atomic_store(&running, 0);
	t1 = now_ns(CLOCK_MONOTONIC);
	while (atomic_load(&finished) < threads)
		sched_yield();
	for (unsigned int i = 0; i < n; i++) {
		count += readers[i].count;
		cpu += readers[i].cpu_ns;
	}
	res.rate = (double)count * 1e9 / (double)(t1 - t0);
	res.per_cpu = cpu ? (double)count * 1e9 / (double)cpu : 0;
	res.pairs = (double)writer_pairs * 1e9 / (double)(t1 - t0);
	writer_pairs = 0;
	return res;
}

static struct ioasid_ctx *ctx_other;

static struct ioasid_virtio_iommu *setup_device(struct ioasid_ctx **c, unsigned int n);

static void setup(unsigned int n)
{
	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		perror("bench_translate_mt: mmap");
		exit(1);
	}
	v = setup_device(&ctx, n);
	v_other = setup_device(&ctx_other, n);
}

/* A device with @n emulated endpoints in domain 1 and LIVE mappings. */
static struct ioasid_virtio_iommu *setup_device(struct ioasid_ctx **c, unsigned int n)
{
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);
	uint8_t r[20] = { 1 };
	struct ioasid_virtio_iommu *dev;

	if (ioasid_ctx_open(&co, c) || ioasid_virtio_iommu_create(*c, NULL, &dev) ||
	    ioasid_virtio_iommu_add_ram(dev, 0, RAM, ram)) {
		fprintf(stderr, "bench_translate_mt: setup: %s\n", ioasid_errmsg());
		exit(1);
	}
	for (unsigned int i = 0; i < n; i++) {
		if (ioasid_virtio_iommu_add_endpoint(dev, EP0 + i, NULL, NULL)) {
			fprintf(stderr, "bench_translate_mt: endpoint: %s\n",
				ioasid_errmsg());
			exit(1);
		}
	}
	if (ioasid_virtio_iommu_set_features(dev, ioasid_virtio_iommu_features(dev))) {
		fprintf(stderr, "bench_translate_mt: features: %s\n", ioasid_errmsg());
		exit(1);
	}
	le32_put(r + 4, 1);
	for (unsigned int i = 0; i < n; i++) {
		le32_put(r + 8, EP0 + i);
		if (bench_request(dev, r, sizeof(r)) != 0) {
			fprintf(stderr, "bench_translate_mt: attach failed\n");
			exit(1);
		}
	}
	for (unsigned int i = 0; i < LIVE; i++) {
		if (bench_map_page(dev, live_iova(i), (i * PAGE) % RAM) != 0) {
			fprintf(stderr, "bench_translate_mt: map %u failed\n", i);
			exit(1);
		}
	}
	return dev;
}

/* The single-thread cost of a hit: the same page over and over. */
static double hit_ns(void)
{
	struct ioasid_virtio_iommu_translation t;
	double ns[REPS];
	volatile uint64_t sink = 0;

	for (int rep = 0; rep < REPS; rep++) {
		uint64_t t0;

		ioasid_virtio_iommu_translate(v, EP0, live_iova(0), 1, &t);
		t0 = now_ns(CLOCK_MONOTONIC);
		for (unsigned int i = 0; i < HIT_LOOKUPS; i++) {
			ioasid_virtio_iommu_translate(v, EP0, live_iova(0) + (i & 0xff), 1, &t);
			sink += t.gpa;
		}
		ns[rep] = (double)(now_ns(CLOCK_MONOTONIC) - t0) / HIT_LOOKUPS;
	}
	(void)sink;
	return median(ns, REPS);
}

static bool verdict(const char *what, bool met)
{
	printf("  %-44s %s\n", what, met ? "met" : "MISSED");
	return met;
}

int main(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int n = cpus > 0 ? (unsigned int)cpus : 1, threads;
	const char *env = getenv("BENCH_READERS");
	bool strict = getenv("BENCH_STRICT") != NULL, ok = true;
	struct result res[2][2][NUM_MODES][REPS]; /* [cold][n-1?][mode] */
	pthread_t w;
	double load[3] = { 0 };

	if (env)
		n = (unsigned int)atoi(env);
	if (n < 1)
		n = 1;
	if (n > MAX_READERS)
		n = MAX_READERS;
	ioasid_set_print(NULL, NULL);
	setup(n);
	printf("bench_translate_mt: %ld online CPUs, %u readers (N), 1 writer; %u live mappings; median of %d windows of %d ms\n",
	       cpus, n, LIVE, REPS, WINDOW_MS);
	if (getloadavg(load, 3) > 0)
		printf("load average at start: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
	printf("single-thread IOTLB hit: %.1f ns\n", hit_ns());

	threads = n + 1;
	for (unsigned int i = 0; i < n; i++) {
		readers[i].idx = i;
		readers[i].rng = 0x9e3779b97f4a7c15ull * (i + 1);
		pthread_create(&readers[i].th, NULL, reader_main, &readers[i]);
	}
	pthread_create(&w, NULL, writer_main, NULL);
	/* Warm up every thread's IOTLB and slot. */
	(void)window(ALONE, false, n, threads);
	for (int rep = 0; rep < REPS; rep++)
		for (int cold = 0; cold < 2; cold++)
			for (int fewer = 0; fewer < (n > 1 ? 2 : 1); fewer++)
				for (int m = 0; m < NUM_MODES; m++)
					res[cold][fewer][m][rep] =
						window((enum mode)m, cold, n - fewer, threads);
	atomic_store(&window_id, UINT32_MAX);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(readers[i].th, NULL);
	pthread_join(w, NULL);

	for (int cold = 0; cold < 2; cold++) {
		for (int fewer = 0; fewer < (n > 1 ? 2 : 1); fewer++) {
			double rate[NUM_MODES], cpu[NUM_MODES], pairs[NUM_MODES];

			for (int m = 0; m < NUM_MODES; m++) {
				double a[REPS], b[REPS], c[REPS];

				for (int rep = 0; rep < REPS; rep++) {
					a[rep] = res[cold][fewer][m][rep].rate;
					b[rep] = res[cold][fewer][m][rep].per_cpu;
					c[rep] = res[cold][fewer][m][rep].pairs;
				}
				rate[m] = median(a, REPS);
				cpu[m] = median(b, REPS);
				pairs[m] = median(c, REPS);
			}
			printf("%s, %u readers%s:\n", cold ? "cold (mostly misses)" : "hot (IOTLB hits)",
			       n - fewer, fewer ? " (readers + writer = CPUs)" : " (N)");
			printf("  %-18s %14s %16s %14s\n", "", "translations/s",
			       "per reader CPU s", "writer pairs/s");
			for (int m = 0; m < NUM_MODES; m++)
				printf("  %-18s %14.0f %16.0f %14.0f\n", mode_names[m],
				       rate[m], cpu[m], pairs[m]);
			printf("  +writer / alone %.2f (per CPU s %.2f); +writer elsewhere / alone %.2f (per CPU s %.2f)\n",
			       rate[WRITER] / rate[ALONE], cpu[WRITER] / cpu[ALONE],
			       rate[OTHER] / rate[ALONE], cpu[OTHER] / cpu[ALONE]);
			printf("  +writer / mutex +writer %.2fx; mutex alone / alone %.2f\n",
			       rate[WRITER] / rate[MUTEX_WRITER],
			       rate[MUTEX_ALONE] / rate[ALONE]);
			if (!fewer) {
				ok &= verdict("+writer >= 80% of alone (wall)",
					      rate[WRITER] >= 0.8 * rate[ALONE]);
				ok &= verdict("+writer >= 3x mutex +writer (wall)",
					      rate[WRITER] >= 3 * rate[MUTEX_WRITER]);
			}
		}
	}
	{
		int errors = writer_errors;

		for (unsigned int i = 0; i < n; i++)
			errors += readers[i].errors;
		if (errors) {
			fprintf(stderr, "bench_translate_mt: %d calls failed\n", errors);
			return 1;
		}
	}
	ioasid_virtio_iommu_destroy(v);
	ioasid_virtio_iommu_destroy(v_other);
	ioasid_ctx_close(ctx);
	ioasid_ctx_close(ctx_other);
	munmap(ram, RAM);
	return strict && !ok ? 1 : 0;
}
