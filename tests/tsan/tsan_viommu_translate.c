// SPDX-License-Identifier: MIT
/*
 * translate() from several threads while one thread serves requests
 * (make check-tsan: the library and this program under ThreadSanitizer,
 * halt_on_error).  The writer issues a seeded random mix of MAP, UNMAP,
 * ATTACH (moves included, a bypass domain too), DETACH, device resets,
 * bypass config writes and endpoint additions, a bounded number of
 * steps, and keeps a model of what it did; readers translate random
 * addresses of random endpoints, some inside ioasid_virtio_iommu_dma_begin()/
 * _end() sections held across a simulated access, and check every answer
 * against the model (docs/VIOMMU.md, "Concurrent translate"):
 *
 *  - no stale answer: a translation never names a mapping whose UNMAP
 *    (or the DETACH, ATTACH elsewhere or reset that ended its domain, or
 *    the endpoint's) had completed before the translate started; nor a
 *    mapping MAP had not yet been issued for, nor the wrong page;
 *  - DMA sections: no UNMAP, DETACH, move or reset that takes away what
 *    a translation inside a section returned completes before the
 *    section ends;
 *  - exact answers while the writer is idle (no request issued or in
 *    flight during the whole translate): the model's answer, fault or
 *    translation;
 *  - get_stats() and event_pop() from other threads at the same time.
 *
 * "Completed" is the writer's step counter, stored after the call
 * returns (the status is written by then); "issued" before the call.
 * The model's logs are written before "completed" moves.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "le.h"

#define PAGE 0x1000ull
#define RAM_SIZE (32ull << 20)
#define MAX_INST (RAM_SIZE / PAGE - 1)
#define IOVA_BASE 0x100000ull
#define NSLOT 80u	   /* one-page IOVA slots per domain */
#define NDOM 3u		   /* translating domains 1..3 */
#define BYPASS_DOM 4u	   /* a bypass domain */
#define EP_BASE 0x10u
#define NEP_INIT 3u
#define NEP_MAX 6u	   /* three more are added while readers run */
#define STEPS 20000u
#define READERS 3
#define MAX_LOG 16384u

/* Endpoint states of the model. */
#define ST_BLOCKED 0u
#define ST_BYPASS 1u
#define ST_INC(inc) (2u + (inc)) /* attached to domain incarnation inc */

struct log_entry {
	_Atomic uint64_t from; /* the step whose completion set it */
	_Atomic uint32_t state;
};

struct ep_model {
	_Atomic uint64_t added_at;	/* UINT64_MAX: not yet */
	_Atomic uint32_t num_log;
	struct log_entry log[MAX_LOG];
	/* Writer only. */
	uint32_t domain;		/* 0: unattached */
};

struct inst {
	_Atomic uint64_t unmapped_at;	/* UINT64_MAX: live */
	_Atomic uint64_t mapped_at;	/* the step of its MAP */
	_Atomic uint32_t inc, slot;
};

static struct ep_model eps[NEP_MAX];
static struct inst insts[MAX_INST];
static uint32_t num_inst;			/* writer */
/* Current instance of (domain, slot), -1 none; readers read it only
 * when the writer is idle. */
static _Atomic int32_t slot_inst[NDOM + 1][NSLOT];
static uint32_t dom_inc[BYPASS_DOM + 1];	/* writer: 0 = none */
static uint32_t dom_eps[BYPASS_DOM + 1];
static uint32_t next_inc = 1;
static _Atomic uint32_t inc_domain[MAX_LOG * 4]; /* incarnation -> domain */
static _Atomic uint8_t bypass_on;

static _Atomic uint64_t issued, completed;
static _Atomic int done;
static _Atomic int failures;
static _Atomic uint64_t n_translations, n_faults, n_exact, n_dma;

static struct ioasid_ctx *ctx;
static struct ioasid_virtio_iommu *v;
static void *ram;

#define FAIL(...)                                                          \
	do {                                                               \
		fprintf(stderr, "tsan_viommu_translate: " __VA_ARGS__);    \
		fputc('\n', stderr);                                       \
		atomic_fetch_add(&failures, 1);                            \
	} while (0)

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- The writer ----------------------------------------------------- */

static int send(const uint8_t *req, size_t len)
{
	uint8_t tail[4] = { 0xff, 0xff, 0xff, 0xff };
	uint32_t used = 0;

	if (ioasid_virtio_iommu_handle_buffers(v, req, len, tail, sizeof(tail), &used) ||
	    used != 4)
		return -1;
	return tail[0];
}

static void log_state(uint32_t e, uint32_t state, uint64_t step)
{
	struct ep_model *m = &eps[e];
	uint32_t n = atomic_load(&m->num_log);

	if (n && atomic_load(&m->log[n - 1].state) == state)
		return;
	if (n == MAX_LOG) {
		FAIL("endpoint log full");
		return;
	}
	atomic_store(&m->log[n].from, step);
	atomic_store(&m->log[n].state, state);
	atomic_store_explicit(&m->num_log, n + 1, memory_order_release);
}

static uint32_t unattached_state(void)
{
	return atomic_load(&bypass_on) ? ST_BYPASS : ST_BLOCKED;
}

/* Domain @d's incarnation ends at @step: its mappings die with it. */
static void domain_dies(uint32_t d, uint64_t step)
{
	if (d <= NDOM) {
		for (uint32_t s = 0; s < NSLOT; s++) {
			int32_t i = atomic_load(&slot_inst[d][s]);

			if (i >= 0) {
				atomic_store(&insts[i].unmapped_at, step);
				atomic_store(&slot_inst[d][s], -1);
			}
		}
	}
	dom_inc[d] = 0;
}

static uint32_t num_eps = NEP_INIT;

/*
 * Each step changes the model first, then sends the request, then (in
 * writer()) moves "completed": a reader may see a change while it is in
 * flight, so the model has it from "issued" on, and in effect (what a
 * translate that starts later must see) from "completed" on.
 */
static bool step_attach(uint64_t *rs, uint64_t k)
{
	uint32_t e = (uint32_t)(rng_next(rs) % num_eps);
	uint32_t d = 1 + (uint32_t)(rng_next(rs) % (NDOM + 1));
	uint8_t r[20] = { 1 };
	uint32_t old = eps[e].domain;
	int st;

	if (old != d) {
		if (old && --dom_eps[old] == 0)
			domain_dies(old, k);
		if (!dom_inc[d]) {
			dom_inc[d] = next_inc++;
			atomic_store(&inc_domain[dom_inc[d]], d);
		}
		dom_eps[d]++;
		eps[e].domain = d;
		log_state(e, d == BYPASS_DOM ? ST_BYPASS : ST_INC(dom_inc[d]), k);
	}
	le32_put(r + 4, d);
	le32_put(r + 8, EP_BASE + e);
	le32_put(r + 12, d == BYPASS_DOM ? 1 : 0);
	st = send(r, sizeof(r));
	if (st != 0)
		FAIL("ATTACH ep %u domain %u: status %d", EP_BASE + e, d, st);
	return st == 0;
}

static bool step_detach(uint64_t *rs, uint64_t k)
{
	uint32_t e = (uint32_t)(rng_next(rs) % num_eps), d = eps[e].domain;
	uint8_t r[20] = { 2 };
	int st;

	if (!d)
		return true; /* nothing to do this step */
	if (--dom_eps[d] == 0)
		domain_dies(d, k);
	eps[e].domain = 0;
	log_state(e, unattached_state(), k);
	le32_put(r + 4, d);
	le32_put(r + 8, EP_BASE + e);
	st = send(r, sizeof(r));
	if (st != 0)
		FAIL("DETACH ep %u domain %u: status %d", EP_BASE + e, d, st);
	return st == 0;
}

static bool step_map(uint64_t *rs, uint64_t k)
{
	uint32_t d = 1 + (uint32_t)(rng_next(rs) % NDOM);
	uint32_t s = (uint32_t)(rng_next(rs) % NSLOT);
	uint64_t iova = IOVA_BASE + s * PAGE;
	uint8_t r[36] = { 3 };
	uint32_t i;
	int st;

	if (!dom_inc[d] || atomic_load(&slot_inst[d][s]) >= 0 ||
	    num_inst == MAX_INST)
		return true;
	i = num_inst++;
	atomic_store(&insts[i].unmapped_at, UINT64_MAX);
	atomic_store(&insts[i].inc, dom_inc[d]);
	atomic_store(&insts[i].slot, s);
	atomic_store(&insts[i].mapped_at, k);
	atomic_store(&slot_inst[d][s], (int32_t)i);
	le32_put(r + 4, d);
	le64_put(r + 8, iova);
	le64_put(r + 16, iova + PAGE - 1);
	le64_put(r + 24, (i + 1) * PAGE);
	le32_put(r + 32, 3); /* READ | WRITE */
	st = send(r, sizeof(r));
	if (st != 0)
		FAIL("MAP domain %u slot %u: status %d", d, s, st);
	return st == 0;
}

static bool step_unmap(uint64_t *rs, uint64_t k)
{
	uint32_t d = 1 + (uint32_t)(rng_next(rs) % NDOM);
	uint32_t s = (uint32_t)(rng_next(rs) % NSLOT);
	uint32_t n = 1 + (uint32_t)(rng_next(rs) % 3), last = s + n - 1;
	uint8_t r[28] = { 4 };
	int st;

	if (!dom_inc[d])
		return true;
	if (last >= NSLOT)
		last = NSLOT - 1;
	for (uint32_t x = s; x <= last; x++) {
		int32_t i = atomic_load(&slot_inst[d][x]);

		if (i >= 0) {
			atomic_store(&insts[i].unmapped_at, k);
			atomic_store(&slot_inst[d][x], -1);
		}
	}
	le32_put(r + 4, d);
	le64_put(r + 8, IOVA_BASE + s * PAGE);
	le64_put(r + 16, IOVA_BASE + (last + 1) * PAGE - 1);
	st = send(r, sizeof(r));
	if (st != 0)
		FAIL("UNMAP domain %u slots %u-%u: status %d", d, s, last, st);
	return st == 0;
}

static bool step_reset(uint64_t k)
{
	for (uint32_t d = 1; d <= BYPASS_DOM; d++) {
		if (dom_inc[d])
			domain_dies(d, k);
		dom_eps[d] = 0;
	}
	for (uint32_t e = 0; e < num_eps; e++) {
		eps[e].domain = 0;
		log_state(e, unattached_state(), k);
	}
	if (ioasid_virtio_iommu_reset(v, IOASID_VIRTIO_IOMMU_RESET_DEVICE) ||
	    ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v))) {
		FAIL("reset: %s", ioasid_errmsg());
		return false;
	}
	return true;
}

static bool step_bypass(uint64_t k)
{
	uint8_t b = !atomic_load(&bypass_on);

	atomic_store(&bypass_on, b);
	for (uint32_t e = 0; e < num_eps; e++)
		if (!eps[e].domain)
			log_state(e, unattached_state(), k);
	if (ioasid_virtio_iommu_config_write(v, 36, &b, 1)) {
		FAIL("config write: %s", ioasid_errmsg());
		return false;
	}
	return true;
}

static bool step_add_endpoint(uint64_t k)
{
	if (num_eps == NEP_MAX)
		return true;
	log_state(num_eps, unattached_state(), k);
	atomic_store(&eps[num_eps].added_at, k);
	if (ioasid_virtio_iommu_add_endpoint(v, EP_BASE + num_eps, NULL, NULL)) {
		FAIL("add_endpoint: %s", ioasid_errmsg());
		return false;
	}
	num_eps++;
	return true;
}

static void *writer(void *arg)
{
	uint64_t rs = 0x9e3779b97f4a7c15ull;

	(void)arg;
	for (uint64_t k = 1; k <= STEPS && !atomic_load(&failures); k++) {
		uint32_t op = (uint32_t)(rng_next(&rs) % 1000);
		bool ok;

		atomic_store(&issued, k);
		if (k % 1000 == 500)
			ok = step_add_endpoint(k);
		else if (op < 430)
			ok = step_map(&rs, k);
		else if (op < 800)
			ok = step_unmap(&rs, k);
		else if (op < 900)
			ok = step_attach(&rs, k);
		else if (op < 960)
			ok = step_detach(&rs, k);
		else if (op < 985)
			ok = step_bypass(k);
		else
			ok = step_reset(k);
		if (!ok)
			break;
		atomic_store(&completed, k);
		if (k % 64 == 0)
			sched_yield(); /* let readers see quiet moments */
	}
	atomic_store(&done, 1);
	return NULL;
}

/* ---- Readers -------------------------------------------------------- */

/* The state of endpoint @e in effect when @s steps had completed (the
 * last log entry from at most @s), as an index into its log; -1: none. */
static int32_t state_at(const struct ep_model *m, uint64_t s, uint32_t n)
{
	int32_t at = -1;

	for (uint32_t i = 0; i < n; i++)
		if (atomic_load(&m->log[i].from) <= s)
			at = (int32_t)i;
	return at;
}

/* Whether @state was the endpoint's at some moment a translate that
 * started after @s0 completed steps and ended before step @i1 was
 * issued could see: the state in effect at @s0 or a later one. */
static bool state_allowed(const struct ep_model *m, uint32_t state,
			  uint64_t s0, uint64_t i1)
{
	uint32_t n = atomic_load_explicit(&m->num_log, memory_order_acquire);
	int32_t from = state_at(m, s0, n);

	for (uint32_t i = from < 0 ? 0 : (uint32_t)from; i < n; i++)
		if (atomic_load(&m->log[i].from) <= i1 &&
		    atomic_load(&m->log[i].state) == state)
			return true;
	return false;
}

/* A change of endpoint @m away from @state completed in (@after, @upto]
 * and @state did not come back before step @issued (a later change back
 * may be what the translation saw, in flight). */
static bool state_taken(const struct ep_model *m, uint32_t state,
			uint64_t after, uint64_t upto, uint64_t issued)
{
	uint32_t n = atomic_load_explicit(&m->num_log, memory_order_acquire);

	for (uint32_t i = 1; i < n; i++) {
		uint64_t f = atomic_load(&m->log[i].from);

		if (f <= after || f > upto ||
		    atomic_load(&m->log[i - 1].state) != state)
			continue;
		for (uint32_t j = i + 1; j < n; j++)
			if (atomic_load(&m->log[j].state) == state &&
			    atomic_load(&m->log[j].from) <= issued)
				return false;
		return true;
	}
	return false;
}

struct reader {
	uint64_t rs;
	int id;
};

static void simulate_access(uint64_t *rs)
{
	/* A DMA of some length: sometimes long enough for the writer to
	 * get going. */
	uint32_t n = (uint32_t)(rng_next(rs) % 4);

	for (uint32_t i = 0; i < n; i++)
		sched_yield();
}

static void check_one(struct reader *r)
{
	uint32_t e = (uint32_t)(rng_next(&r->rs) % (NEP_MAX + 1));
	/* Half the time one of 8 hot slots: IOTLB hits. */
	uint32_t s = (uint32_t)(rng_next(&r->rs) % (rng_next(&r->rs) & 1 ? 8 : NSLOT));
	uint64_t iova = IOVA_BASE + s * PAGE + (rng_next(&r->rs) % PAGE);
	bool dma = rng_next(&r->rs) % 4 == 0;
	struct ioasid_virtio_iommu_translation t;
	uint64_t s0, i0, s1, i1, b = 0;
	uint32_t token = 0, state = 0;
	const struct ep_model *m = e < NEP_MAX ? &eps[e] : NULL;
	int32_t inst = -1;
	int rc;

	if (dma) {
		if (ioasid_virtio_iommu_dma_begin(v, &token)) {
			FAIL("dma_begin: %s", ioasid_errmsg());
			return;
		}
		b = atomic_load(&completed);
	}
	s0 = atomic_load(&completed);
	i0 = atomic_load(&issued);
	rc = ioasid_virtio_iommu_translate(v, EP_BASE + e, iova,
				     IOASID_VIRTIO_IOMMU_ACCESS_READ, &t);
	i1 = atomic_load(&issued);
	s1 = atomic_load(&completed);
	atomic_fetch_add_explicit(&n_translations, 1, memory_order_relaxed);

	if (rc == -ENOENT) {
		if (m && atomic_load(&m->added_at) <= s0)
			FAIL("ep %u added at step %llu: ENOENT at step %llu",
			     EP_BASE + e, (unsigned long long)atomic_load(&m->added_at),
			     (unsigned long long)s0);
		goto out;
	}
	if (!m) {
		FAIL("ep %u was never added, translate gave %d", EP_BASE + e, rc);
		goto out;
	}
	if (rc == -EFAULT) {
		atomic_fetch_add_explicit(&n_faults, 1, memory_order_relaxed);
	} else if (rc) {
		FAIL("translate ep %u iova %#llx: %d (%s)", EP_BASE + e,
		     (unsigned long long)iova, rc, ioasid_errmsg());
		goto out;
	} else if (t.iova_last == UINT64_MAX) {
		state = ST_BYPASS;
		if (t.gpa != iova)
			FAIL("bypass translation of %#llx gave %#llx",
			     (unsigned long long)iova, (unsigned long long)t.gpa);
		else if (!state_allowed(m, ST_BYPASS, s0, i1))
			FAIL("ep %u: bypass translation, not in bypass from step %llu to %llu",
			     EP_BASE + e, (unsigned long long)s0,
			     (unsigned long long)i1);
	} else {
		uint64_t page = t.gpa / PAGE;

		if (page < 1 || page > MAX_INST ||
		    (t.gpa & (PAGE - 1)) != (iova & (PAGE - 1))) {
			FAIL("translation of %#llx to %#llx names no mapping",
			     (unsigned long long)iova, (unsigned long long)t.gpa);
			goto out;
		}
		inst = (int32_t)(page - 1);
		state = ST_INC(atomic_load(&insts[inst].inc));
		if (atomic_load(&insts[inst].slot) != s)
			FAIL("iova slot %u translated through the mapping of slot %u",
			     s, atomic_load(&insts[inst].slot));
		else if (atomic_load(&insts[inst].mapped_at) > i1)
			FAIL("mapping %d of step %llu seen by a translate that ended before step %llu",
			     inst, (unsigned long long)atomic_load(&insts[inst].mapped_at),
			     (unsigned long long)i1);
		else if (atomic_load(&insts[inst].unmapped_at) <= s0)
			FAIL("STALE: ep %u iova %#llx -> mapping %d, unmapped at step %llu, translate started after step %llu completed",
			     EP_BASE + e, (unsigned long long)iova, inst,
			     (unsigned long long)atomic_load(&insts[inst].unmapped_at),
			     (unsigned long long)s0);
		else if (!state_allowed(m, state, s0, i1))
			FAIL("STALE: ep %u translated through domain incarnation %u, not its own from step %llu to %llu",
			     EP_BASE + e, state - 2, (unsigned long long)s0,
			     (unsigned long long)i1);
	}

	/* The writer idle all along: the model's exact answer. */
	if (i0 == s0 && s1 == s0 && i1 == s0) {
		uint32_t n = atomic_load_explicit(&m->num_log, memory_order_acquire);
		int32_t at = state_at(m, s0, n);
		uint32_t want = at < 0 ? ST_BLOCKED : atomic_load(&m->log[at].state);
		int32_t want_inst = -1;

		atomic_fetch_add_explicit(&n_exact, 1, memory_order_relaxed);
		if (want >= ST_INC(0)) {
			uint32_t d = atomic_load(&inc_domain[want - 2]);

			want_inst = atomic_load(&slot_inst[d][s]);
		}
		/* The model read while the writer still had not moved on. */
		if (atomic_load(&issued) != s0)
			goto dma;
		if (want == ST_BYPASS ? rc || state != ST_BYPASS
		    : want == ST_BLOCKED ? rc != -EFAULT
		    : want_inst < 0 ? rc != -EFAULT
		    : rc || inst != want_inst)
			FAIL("idle writer at step %llu: ep %u iova %#llx: state %u, mapping %d expected; got %d, mapping %d",
			     (unsigned long long)s0, EP_BASE + e,
			     (unsigned long long)iova, want, want_inst, rc, inst);
	}

dma:
	if (dma) {
		uint64_t c, ic;

		simulate_access(&r->rs);
		c = atomic_load(&completed);
		ic = atomic_load(&issued);
		atomic_fetch_add_explicit(&n_dma, 1, memory_order_relaxed);
		if (!rc && inst >= 0 &&
		    atomic_load(&insts[inst].unmapped_at) <= c &&
		    atomic_load(&insts[inst].unmapped_at) > (s0 > b ? s0 : b))
			FAIL("DMA: mapping %d (ep %u) unmapped at step %llu, completed while the DMA section held it",
			     inst, EP_BASE + e,
			     (unsigned long long)atomic_load(&insts[inst].unmapped_at));
		if (!rc && state_taken(m, state, s0 > b ? s0 : b, c, ic))
			FAIL("DMA: ep %u left state %u at a step that completed while the DMA section held it",
			     EP_BASE + e, state);
	}
out:
	if (dma)
		ioasid_virtio_iommu_dma_end(v, token);
}

static void *reader(void *arg)
{
	struct reader *r = arg;
	uint64_t n = 0;

	while (!atomic_load(&done) && !atomic_load(&failures)) {
		check_one(r);
		if (++n % 512 == 0) {
			struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

			if (ioasid_virtio_iommu_get_stats(v, &st))
				FAIL("get_stats: %s", ioasid_errmsg());
		}
	}
	return NULL;
}

/* The VMM's event-queue side, on a thread of its own. */
static void *popper(void *arg)
{
	uint8_t buf[IOASID_VIRTIO_IOMMU_FAULT_SIZE];
	uint64_t n = 0;

	(void)arg;
	while (!atomic_load(&done)) {
		int rc = ioasid_virtio_iommu_event_pop(v, buf, sizeof(buf));

		if (rc < 0)
			FAIL("event_pop: %s", ioasid_errmsg());
		else if (rc == 0)
			sched_yield();
		else
			n++;
	}
	return (void *)(uintptr_t)n;
}

int main(void)
{
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);
	pthread_t w, rd[READERS], pop;
	struct reader readers[READERS];
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	void *popped;

	ioasid_set_print(NULL, NULL);
	for (uint32_t i = 0; i < MAX_INST; i++)
		atomic_store(&insts[i].mapped_at, UINT64_MAX);
	for (uint32_t e = 0; e < NEP_MAX; e++)
		atomic_store(&eps[e].added_at, e < NEP_INIT ? 0 : UINT64_MAX);
	for (uint32_t d = 0; d <= NDOM; d++)
		for (uint32_t s = 0; s < NSLOT; s++)
			atomic_store(&slot_inst[d][s], -1);
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED || ioasid_ctx_open(&co, &ctx) ||
	    ioasid_virtio_iommu_create(ctx, NULL, &v) ||
	    ioasid_virtio_iommu_add_ram(v, 0, RAM_SIZE, ram) ||
	    ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v))) {
		fprintf(stderr, "tsan_viommu_translate: setup: %s\n", ioasid_errmsg());
		return 1;
	}
	for (uint32_t e = 0; e < NEP_INIT; e++) {
		if (ioasid_virtio_iommu_add_endpoint(v, EP_BASE + e, NULL, NULL)) {
			fprintf(stderr, "tsan_viommu_translate: endpoint: %s\n",
				ioasid_errmsg());
			return 1;
		}
		log_state(e, ST_BLOCKED, 0);
	}
	for (int i = 0; i < READERS; i++) {
		readers[i] = (struct reader){ .rs = 0x1234567ull * (uint64_t)(i + 1) + 1,
					      .id = i };
		pthread_create(&rd[i], NULL, reader, &readers[i]);
	}
	pthread_create(&pop, NULL, popper, NULL);
	pthread_create(&w, NULL, writer, NULL);
	pthread_join(w, NULL);
	for (int i = 0; i < READERS; i++)
		pthread_join(rd[i], NULL);
	pthread_join(pop, &popped);
	if (ioasid_virtio_iommu_get_stats(v, &st))
		FAIL("get_stats: %s", ioasid_errmsg());
	printf("%llu steps, %u mappings made; %llu translations (%llu faults, %llu with the writer idle, %llu in DMA sections); IOTLB %llu hits, %llu misses; %llu fault reports popped, %llu dropped\n",
	       (unsigned long long)atomic_load(&completed), num_inst,
	       (unsigned long long)n_translations, (unsigned long long)n_faults,
	       (unsigned long long)n_exact, (unsigned long long)n_dma,
	       (unsigned long long)st.iotlb_hits, (unsigned long long)st.iotlb_misses,
	       (unsigned long long)(uintptr_t)popped,
	       (unsigned long long)st.events_dropped);
	if (atomic_load(&completed) != STEPS)
		FAIL("the writer stopped at step %llu",
		     (unsigned long long)atomic_load(&completed));
	if (!n_exact || !n_dma)
		FAIL("no translation with the writer idle, or none in a DMA section");
	ioasid_virtio_iommu_destroy(v);
	ioasid_ctx_close(ctx);
	munmap(ram, RAM_SIZE);
	return atomic_load(&failures) ? 1 : 0;
}
