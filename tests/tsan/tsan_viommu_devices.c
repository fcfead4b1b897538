// SPDX-License-Identifier: MIT
/*
 * Built with the library under ThreadSanitizer (make check-tsan): two
 * virtio-iommu devices, each on its own context, served by two threads
 * at once.  The header says separate devices are independent; any state
 * they share without a lock (the unmap generation counter was one) is a
 * data race TSan reports, and the run fails (halt_on_error).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "le.h"

#define RAM_SIZE (1u << 20)
#define ROUNDS 2000
#define EP 0x100u

struct worker {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	void *ram;
	int failures;
};

static int send(struct worker *w, const uint8_t *req, size_t len)
{
	uint8_t tail[4] = { 0xff };
	uint32_t used = 0;

	if (ioasid_virtio_iommu_handle_buffers(w->v, req, len, tail, sizeof(tail),
					 &used) || used != 4)
		return -1;
	return tail[0];
}

static void *serve(void *arg)
{
	struct worker *w = arg;
	uint8_t attach[20] = { 1 }, map[36] = { 3 }, unmap[28] = { 4 };
	struct ioasid_virtio_iommu_translation t;

	le32_put(attach + 4, 1);
	le32_put(attach + 8, EP);
	w->failures += send(w, attach, sizeof(attach)) != 0;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t iova = 0x10000ull * (uint64_t)(i % 16);

		le32_put(map + 4, 1);
		le64_put(map + 8, iova);
		le64_put(map + 16, iova + 0xfff);
		le64_put(map + 24, 0x1000);
		le32_put(map + 32, 3);
		w->failures += send(w, map, sizeof(map)) != 0;
		w->failures += ioasid_virtio_iommu_translate(w->v, EP, iova,
						       IOASID_VIRTIO_IOMMU_ACCESS_READ,
						       &t) != 0;
		le32_put(unmap + 4, 1);
		le64_put(unmap + 8, iova);
		le64_put(unmap + 16, iova + 0xfff);
		w->failures += send(w, unmap, sizeof(unmap)) != 0;
	}
	return NULL;
}

static int setup(struct worker *w)
{
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);

	memset(w, 0, sizeof(*w));
	w->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->ram == MAP_FAILED || ioasid_ctx_open(&co, &w->ctx) ||
	    ioasid_virtio_iommu_create(w->ctx, NULL, &w->v) ||
	    ioasid_virtio_iommu_add_ram(w->v, 0, RAM_SIZE, w->ram) ||
	    ioasid_virtio_iommu_add_endpoint(w->v, EP, NULL, NULL) ||
	    ioasid_virtio_iommu_set_features(w->v, ioasid_virtio_iommu_features(w->v))) {
		fprintf(stderr, "setup: %s\n", ioasid_errmsg());
		return -1;
	}
	return 0;
}

int main(void)
{
	struct worker w[2];
	pthread_t th[2];
	int failed = 0;

	for (int i = 0; i < 2; i++)
		if (setup(&w[i]))
			return 1;
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, serve, &w[i]);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failures;
		ioasid_virtio_iommu_destroy(w[i].v);
		ioasid_ctx_close(w[i].ctx);
		munmap(w[i].ram, RAM_SIZE);
	}
	printf("two devices on two threads, %d rounds each: %s\n", ROUNDS,
	       failed ? "requests failed" : "every request answered OK");
	return failed != 0;
}
