/* SPDX-License-Identifier: MIT */
/*
 * Read-side sections for translate(): readers take no lock and write no
 * line another thread writes, one writer (the request path) waits for
 * the readers that could still see what it takes away.  The design and
 * its proof sketch are in docs/VIOMMU.md, "Concurrent translate".
 *
 * Every thread that translates gets a slot, its index the same in every
 * device: slots 1..VRCU_SLOTS-1 belong to one live thread each, slot 0 is
 * shared by the threads beyond them (and by a thread whose state cannot
 * be allocated).  Each device has one cache line per slot with
 * two counters per epoch parity:
 *  - count[]: sections of translate(), entered with one atomic add and
 *    left with a plain store by the slot's owner (an atomic add and
 *    subtract in the shared slot);
 *  - dma[]: sections of ioasid_virtio_iommu_dma_begin()/_end(), which may end
 *    on another thread, so both ends are atomic read-modify-writes.
 * Enter: e = epoch; counter[e & 1] += 1; if epoch != e, undo and retry
 * (a reader that saw the old epoch but counted itself after the writer's
 * scan must not stay counted under a parity nobody waits for).
 * Synchronize: epoch += 1, then wait until every slot's counters of the
 * old parity are zero.  Both the add and the loads are seq_cst.
 */
#ifndef IOASID_LIB_VIOMMU_RCU_H
#define IOASID_LIB_VIOMMU_RCU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRCU_SLOTS 64u
#define VRCU_SHARED_SLOT 0u

struct vrcu_slot {
	_Atomic uint64_t count[2];
	_Atomic uint64_t dma[2];
	/* translate()'s IOTLB counters of the threads of this slot. */
	_Atomic uint64_t hits, misses;
} __attribute__((aligned(64)));

/* The per-thread IOTLB: direct-mapped, keyed by (device serial,
 * endpoint, 4 KiB page).  A granule is at least the host page, so a
 * 4 KiB page never straddles two mappings. */
#define VRCU_TLB_SIZE 256u
#define VRCU_TLB_SHIFT 12

struct viommu_mapping;

struct vrcu_tlb_entry {
	uint64_t serial;	/* the device's; 0: empty */
	uint64_t page;		/* iova >> VRCU_TLB_SHIFT */
	uint64_t gen;		/* the device's config generation at fill */
	/* The mapping and its seq at fill; NULL: bypass (identity), valid
	 * while the generation holds. */
	const struct viommu_mapping *rec;
	uint64_t seq;
	uint64_t delta;		/* gpa - iova */
	uint64_t last;		/* the translation holds up to here */
	uint32_t endpoint, perm;
};

struct vrcu_thread {
	uint32_t slot;
	bool owned;	/* the slot is this thread's alone */
	bool cache;	/* tlb[] is this thread's (false: the fallback) */
	struct vrcu_tlb_entry tlb[VRCU_TLB_SIZE];
};

/* What readers read on every call: one line, written only by
 * synchronize, setup and configuration changes. */
struct vrcu_device {
	_Atomic uint64_t epoch;
	/* Bumped when an endpoint changes domain or bypass changes (and
	 * before mappings go back to malloc): every cached translation of
	 * the device is stale then. */
	_Atomic uint64_t gen;
	uint64_t serial;	/* unique per device in the process, never 0 */
	struct vrcu_slot *slots; /* VRCU_SLOTS */
} __attribute__((aligned(64)));

extern __thread struct vrcu_thread *vrcu_self
	__attribute__((tls_model("initial-exec")));
/* One more than the highest slot ever handed out. */
extern _Atomic uint32_t vrcu_slots_used;

struct vrcu_thread *vrcu_thread_slow(void);

/* The calling thread's state (allocated on first use, freed when the
 * thread exits). */
static inline struct vrcu_thread *vrcu_thread(void)
{
	struct vrcu_thread *t = vrcu_self;

	return t ? t : vrcu_thread_slow();
}

static inline void vrcu_dec(_Atomic uint64_t *c, bool owned)
{
	if (owned)
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) - 1,
				      memory_order_release);
	else
		atomic_fetch_sub_explicit(c, 1, memory_order_release);
}

/* Enter a section on counter pair @c (count or dma of one slot); returns
 * the parity to leave it with. */
static inline unsigned int vrcu_enter(struct vrcu_device *d,
				      _Atomic uint64_t *c, bool owned)
{
	for (;;) {
		uint64_t e = atomic_load_explicit(&d->epoch, memory_order_relaxed);

		atomic_fetch_add_explicit(&c[e & 1], 1, memory_order_seq_cst);
		if (atomic_load_explicit(&d->epoch, memory_order_seq_cst) == e)
			return (unsigned int)(e & 1);
		vrcu_dec(&c[e & 1], owned);
	}
}

/* translate()'s section. */
static inline struct vrcu_slot *vrcu_read_lock(struct vrcu_device *d,
					       const struct vrcu_thread *t,
					       unsigned int *parity)
{
	struct vrcu_slot *s = &d->slots[t->slot];

	*parity = vrcu_enter(d, s->count, t->owned);
	return s;
}

static inline void vrcu_read_unlock(struct vrcu_slot *s, unsigned int parity,
				    const struct vrcu_thread *t)
{
	vrcu_dec(&s->count[parity], t->owned);
}

/* A counter of a slot: only the owner writes it, so no atomic add. */
static inline void vrcu_count(_Atomic uint64_t *c, bool owned)
{
	if (owned)
		atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	else
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

int vrcu_device_init(struct vrcu_device *d);
/* Frees the slots; no reader may be left (device destroy). */
void vrcu_device_fini(struct vrcu_device *d);
/* Wait until every section that began before the call has ended.  One
 * writer at a time per device. */
void vrcu_synchronize(struct vrcu_device *d);
/* Sums of the slots' IOTLB counters. */
void vrcu_counters(const struct vrcu_device *d, uint64_t *hits,
		   uint64_t *misses);

#endif /* IOASID_LIB_VIOMMU_RCU_H */
