// SPDX-License-Identifier: MIT
/*
 * Read-side sections of the device model (see rcu.h): the threads'
 * slots and state, the writer's grace period, and what waits for it.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rcu.h"
#include "util.h"

__thread struct vrcu_thread *vrcu_self __attribute__((tls_model("initial-exec")));
_Atomic uint32_t vrcu_slots_used = VRCU_SHARED_SLOT + 1;

/* Bit i: slot i has an owner (slot 0, the shared one, always). */
static _Atomic uint64_t slot_owned = 1ull << VRCU_SHARED_SLOT;
static _Atomic uint64_t next_serial = 1;

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static bool key_ok;

/* For a thread without state of its own: the shared slot, no IOTLB. */
static struct vrcu_thread fallback = { .slot = VRCU_SHARED_SLOT };

static void thread_exit(void *arg)
{
	struct vrcu_thread *t = arg;

	/* The thread is in no section any more: its slot's counters are
	 * zero in every device, the next owner starts from there. */
	if (t->owned)
		atomic_fetch_and(&slot_owned, ~(1ull << t->slot));
	vrcu_self = NULL;
	free(t);
}

static void key_init(void)
{
	key_ok = pthread_key_create(&thread_key, thread_exit) == 0;
}

static uint32_t claim_slot(bool *owned)
{
	uint64_t bits = atomic_load(&slot_owned);
	uint32_t used, slot;

	do {
		if (bits == UINT64_MAX) {
			*owned = false;
			return VRCU_SHARED_SLOT;
		}
		slot = (uint32_t)__builtin_ctzll(~bits);
	} while (!atomic_compare_exchange_weak(&slot_owned, &bits,
					       bits | 1ull << slot));
	/* Before the thread's first section: a writer that reads the old
	 * value flipped its epoch before this, so the section is new. */
	used = atomic_load(&vrcu_slots_used);
	while (used < slot + 1 &&
	       !atomic_compare_exchange_weak(&vrcu_slots_used, &used, slot + 1))
		;
	*owned = true;
	return slot;
}

struct vrcu_thread *vrcu_thread_slow(void)
{
	struct vrcu_thread *t;

	pthread_once(&key_once, key_init);
	if (!key_ok)
		return &fallback;
	t = calloc(1, sizeof(*t));
	if (!t)
		return &fallback;
	if (pthread_setspecific(thread_key, t)) {
		free(t);
		return &fallback;
	}
	t->slot = claim_slot(&t->owned);
	t->cache = true;
	vrcu_self = t;
	return t;
}

int vrcu_device_init(struct vrcu_device *d)
{
	d->slots = aligned_alloc(64, VRCU_SLOTS * sizeof(*d->slots));
	if (!d->slots)
		return -ENOMEM;
	memset(d->slots, 0, VRCU_SLOTS * sizeof(*d->slots));
	atomic_init(&d->epoch, 0);
	atomic_init(&d->gen, 1);
	d->serial = atomic_fetch_add(&next_serial, 1);
	return 0;
}

void vrcu_device_fini(struct vrcu_device *d)
{
	free(d->slots);
	d->slots = NULL;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vrcu_synchronize(struct vrcu_device *d)
{
	/* seq_cst: a reader whose recheck still saw the old epoch counted
	 * itself before this add, so the loads below see it; a reader that
	 * reads the new epoch synchronizes with this add and sees every
	 * store made before it. */
	unsigned int p = (unsigned int)(atomic_fetch_add(&d->epoch, 1) & 1);
	uint32_t used = atomic_load(&vrcu_slots_used);
	uint64_t start = 0;
	bool warned = false;

	for (uint32_t i = 0; i < used; i++) {
		struct vrcu_slot *s = &d->slots[i];
		unsigned int spins = 0;

		while (atomic_load(&s->count[p]) || atomic_load(&s->dma[p])) {
			if (++spins < 64) {
				cpu_relax();
				continue;
			}
			/* A reader was preempted inside its section, or a
			 * VMM holds a DMA section: let it run. */
			sched_yield();
			if (!start) {
				start = now_ns();
			} else if (!warned && now_ns() - start > 1000000000ull) {
				ioasid_log(IOASID_WARN,
					   "viommu: a request has waited 1 s for a translation or DMA section to end (a thread inside ioasid_virtio_iommu_dma_begin() that waits for this request deadlocks)");
				warned = true;
			}
		}
	}
}

void vrcu_counters(const struct vrcu_device *d, uint64_t *hits,
		   uint64_t *misses)
{
	*hits = *misses = 0;
	for (uint32_t i = 0; i < VRCU_SLOTS; i++) {
		*hits += atomic_load_explicit(&d->slots[i].hits, memory_order_relaxed);
		*misses += atomic_load_explicit(&d->slots[i].misses, memory_order_relaxed);
	}
}
