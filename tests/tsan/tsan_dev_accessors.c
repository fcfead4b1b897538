// SPDX-License-Identifier: MIT
/*
 * Built with the library under ThreadSanitizer (make check-tsan): one
 * thread attaches, replaces and detaches a device while another reads
 * its ids through the accessors the header calls safe without the
 * context lock (ioasid_dev_id(), ioasid_dev_pt_id(), ioasid_dev_hwpt_id()).
 * A plain read against the attach's write is a data race TSan reports.
 * The reader also checks that it only ever sees ids the writer used.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <ioasid/ioasid.h>

#define ROUNDS 3000

static struct ioasid_dev *dev;
static uint32_t ioas[2];
static bool done;
static int bad_reads;

static void *reader(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		uint32_t pt = ioasid_dev_pt_id(dev);

		if (pt && pt != ioas[0] && pt != ioas[1])
			bad_reads++;
		if (!ioasid_dev_id(dev))
			bad_reads++;
		(void)ioasid_dev_hwpt_id(dev);
	}
	return NULL;
}

int main(void)
{
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);
	struct ioasid_ctx *ctx;
	uint32_t dev_id;
	pthread_t th;
	int failures = 0;

	if (ioasid_ctx_open(&co, &ctx) ||
	    ioasid_dev_open(ctx, "0000:00:03.0", &dev) ||
	    ioasid_dev_bind(dev, &dev_id) || ioasid_ioas_alloc(ctx, &ioas[0]) ||
	    ioasid_ioas_alloc(ctx, &ioas[1])) {
		fprintf(stderr, "setup: %s\n", ioasid_errmsg());
		return 1;
	}
	pthread_create(&th, NULL, reader, NULL);
	for (int i = 0; i < ROUNDS; i++) {
		failures += ioasid_dev_attach(dev, ioas[0], NULL) != 0;
		failures += ioasid_dev_replace(dev, ioas[1], NULL) != 0;
		failures += ioasid_dev_detach(dev) != 0;
	}
	__atomic_store_n(&done, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	ioasid_dev_close(dev);
	ioasid_ctx_close(ctx);
	printf("%d attach/replace/detach rounds against a reader: %d failed calls, %d impossible reads\n",
	       ROUNDS, failures, bad_reads);
	return failures || bad_reads;
}
