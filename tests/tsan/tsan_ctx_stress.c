// SPDX-License-Identifier: MIT
/*
 * Built with the library under ThreadSanitizer (make check-tsan): four
 * threads on ONE simulator context, each running its own bounded list of
 * calls that common.h says may come from several threads (every call on
 * a context and its devices is serialized by the context lock), plus a
 * fifth thread reading every device's ids through the lock-free
 * accessors.  Then the same lists are replayed serially on a fresh
 * context, and both runs must agree, call by call and in the end state.
 *
 * Why a serial replay in any order is a valid oracle: the operations are
 * chosen to commute across threads.  The two shared IOASes A and B are
 * cut into one IOVA window per thread (8 slots of 64 KiB, far from the
 * MSI window and the RMRR of the built-in topology, inside every
 * aperture), and a thread maps, unmaps and copies only inside its own
 * window, from its own buffer; each thread owns one device (each alone
 * in its IOMMU group) and only it attaches, replaces and detaches it,
 * between A, B and a HWPT the thread allocated itself; a scratch IOAS a
 * thread allocates is mapped, copied from into its own window and
 * destroyed in the same step.  So the result of every call depends only
 * on the calls of its own thread before it, whatever the interleaving:
 * running thread 0's list, then 1's, ... on a fresh context must give
 * every call the same return code and the same outputs (IOVA, bytes
 * unmapped, whether a HWPT id came back), and the same final state.
 * Outputs that do depend on other threads (ids of HWPTs and scratch
 * IOASes, the usable IOVA ranges while other devices come and go) are
 * checked for sanity but not compared.
 *
 * The final state, read the same way on both contexts through the
 * public API: each device's attachment (IOAS A, B, its own HWPT or
 * none; whether attached devices share a HWPT), the IOVA ranges of A and
 * B, and the mappings of every window, found by unmapping it slot by
 * slot with growing lengths (a transcript of every probe's return code
 * and bytes removed); then unmap_all must find both IOASes empty.
 *
 * What fails it: a TSan report (halt_on_error), a call whose result
 * differs from the replay, a thread reading its own device's ids and not
 * seeing what its last attach set, a torn or foreign id seen by the
 * reader, a final state that differs, or a run with (almost) no
 * interleaving: the threads start on a barrier and yield between calls,
 * and the calls' start times, merged, must switch threads at least a few
 * times (thousands, typically).  With the context lock taken out
 * (ioasid_ctx_enter()/leave() doing nothing) TSan reported a race
 * between ioasid_ioas_iova_ranges() and ioasid_hwpt_alloc() in the
 * simulator's coverage tree, and the run failed.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <ioasid/ioasid.h>

#define NTHREADS 4
#define NOPS 2000
#define SLOT 0x10000ull
#define SLOTS 8
#define WINDOW_BASE 0x100000000ull
#define WINDOW_SIZE 0x1000000ull

static const char *const dev_names[NTHREADS] = {
	"0000:00:03.0", "0000:00:04.0", "0000:00:07.0", "0000:00:14.0",
};

enum op_kind {
	OP_MAP, OP_UNMAP, OP_COPY, OP_ATTACH, OP_REPLACE, OP_DETACH,
	OP_HWPT_ALLOC, OP_HWPT_DESTROY, OP_RANGES, OP_SCRATCH, OP_ACCESSORS,
	OP_KINDS
};

static const char *const op_names[OP_KINDS] = {
	"map", "unmap", "copy", "attach", "replace", "detach", "hwpt-alloc",
	"hwpt-destroy", "ranges", "scratch", "accessors",
};

struct op {
	enum op_kind kind;
	unsigned int ioas;	/* 0: A, 1: B, 2: own HWPT (replace/attach) */
	unsigned int slot, nslots, bufslot;
};

/* What one call gave: compared between the two runs. */
struct result {
	int rc;
	uint64_t out;
	uint64_t ns; /* when it started (CLOCK_MONOTONIC), not compared */
};

struct env {
	struct ioasid_ctx *ctx;
	uint32_t ioas[2];
	struct ioasid_dev *dev[NTHREADS];
	uint32_t dev_id[NTHREADS];
};

struct worker {
	unsigned int t;
	struct env *env;
	const struct op *ops;
	struct result *log;
	uint8_t *buf;
	/* The thread's own view: its HWPT and what its device is on. */
	uint32_t hwpt, pt, hwpt_in_use;
	int bad;
};

static struct op ops[NTHREADS][NOPS];
static struct result logs[2][NTHREADS][NOPS];
static uint8_t *bufs[NTHREADS];
static pthread_barrier_t start;
static bool reader_done;
static int reader_bad;

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void make_ops(void)
{
	for (unsigned int t = 0; t < NTHREADS; t++) {
		uint64_t s = 0x9e3779b97f4a7c15ull * (t + 1);

		for (unsigned int i = 0; i < NOPS; i++) {
			struct op *o = &ops[t][i];
			unsigned int r = rng_next(&s) % 100;

			o->kind = r < 30 ? OP_MAP : r < 50 ? OP_UNMAP :
				  r < 60 ? OP_COPY : r < 66 ? OP_ATTACH :
				  r < 72 ? OP_REPLACE : r < 77 ? OP_DETACH :
				  r < 81 ? OP_HWPT_ALLOC :
				  r < 85 ? OP_HWPT_DESTROY :
				  r < 90 ? OP_RANGES : r < 94 ? OP_SCRATCH :
				  OP_ACCESSORS;
			o->ioas = rng_next(&s) % 3;
			o->slot = rng_next(&s) % SLOTS;
			o->nslots = 1 + rng_next(&s) % 2;
			if (o->slot + o->nslots > SLOTS)
				o->nslots = SLOTS - o->slot;
			o->bufslot = rng_next(&s) % (SLOTS - 1);
		}
	}
}

static uint64_t win(unsigned int t, unsigned int slot)
{
	return WINDOW_BASE + t * WINDOW_SIZE + slot * SLOT;
}

/* One call of thread @w's list; its result goes to @res. */
static void run_op(struct worker *w, const struct op *o, struct result *res)
{
	struct env *e = w->env;
	struct ioasid_dev *dev = e->dev[w->t];
	uint32_t ioas = e->ioas[o->ioas % 2];
	uint64_t len = o->nslots * SLOT, iova = win(w->t, o->slot), un = 0;
	uint32_t id = 0, target;
	int rc = 0;

	switch (o->kind) {
	case OP_MAP:
		rc = ioasid_ioas_map(e->ctx, ioas, w->buf + o->bufslot * SLOT,
				     len, &iova, NULL);
		res->out = iova;
		break;
	case OP_UNMAP:
		rc = ioasid_ioas_unmap(e->ctx, ioas, iova, len, &un);
		res->out = un;
		break;
	case OP_COPY:
		rc = ioasid_ioas_copy(e->ctx, e->ioas[(o->ioas + 1) % 2], &iova,
				      ioas, iova, len, NULL);
		res->out = iova;
		break;
	case OP_ATTACH:
	case OP_REPLACE:
		target = o->ioas == 2 ? w->hwpt : ioas;
		if (!target) {
			rc = 1; /* no HWPT of its own to go to: not called */
			break;
		}
		rc = o->kind == OP_ATTACH ? ioasid_dev_attach(dev, target, &id) :
					    ioasid_dev_replace(dev, target, &id);
		if (!rc) {
			w->pt = target;
			w->hwpt_in_use = id;
		}
		res->out = id != 0;
		break;
	case OP_DETACH:
		rc = ioasid_dev_detach(dev);
		if (!rc)
			w->pt = w->hwpt_in_use = 0;
		break;
	case OP_HWPT_ALLOC:
		if (w->hwpt) {
			rc = 1; /* has one already */
			break;
		}
		rc = ioasid_hwpt_alloc(dev, ioas, NULL, &id);
		if (!rc)
			w->hwpt = id;
		res->out = id != 0;
		break;
	case OP_HWPT_DESTROY:
		if (!w->hwpt) {
			rc = 1;
			break;
		}
		rc = ioasid_hwpt_destroy(e->ctx, w->hwpt);
		if (!rc)
			w->hwpt = 0;
		break;
	case OP_RANGES: {
		struct ioasid_iova_range r[8];
		uint32_t n = 8;
		uint64_t align = 0;

		/* Depends on the other threads' devices: sanity only. */
		if (ioasid_ioas_iova_ranges(e->ctx, ioas, r, &n, &align) ||
		    !n || !align)
			w->bad++;
		rc = 0;
		break;
	}
	case OP_SCRATCH: {
		uint32_t tmp = 0;
		uint64_t siova = 0, diova = iova;
		int rc2 = 0, rc3 = 0;

		/* The scratch IOAS's id depends on the others: not logged. */
		rc = ioasid_ioas_alloc(e->ctx, &tmp);
		if (rc)
			break;
		rc2 = ioasid_ioas_map(e->ctx, tmp, w->buf + o->bufslot * SLOT,
				      len, &siova, NULL);
		if (!rc2)
			rc3 = ioasid_ioas_copy(e->ctx, ioas, &diova, tmp, siova,
					       len, NULL);
		if (ioasid_ioas_destroy(e->ctx, tmp))
			w->bad++;
		rc = rc2 * 1000 + rc3;
		res->out = diova;
		break;
	}
	case OP_ACCESSORS:
		/* Only this thread attaches its device: exact values. */
		if (ioasid_dev_id(dev) != e->dev_id[w->t] ||
		    ioasid_dev_pt_id(dev) != w->pt ||
		    ioasid_dev_hwpt_id(dev) != w->hwpt_in_use)
			w->bad++;
		break;
	case OP_KINDS:
		break;
	}
	res->rc = rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->log == logs[0][w->t])
		pthread_barrier_wait(&start);
	for (unsigned int i = 0; i < NOPS; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		w->log[i].ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
		run_op(w, &w->ops[i], &w->log[i]);
		/* Let the others in between calls (no synchronization). */
		if (w->log == logs[0][w->t])
			sched_yield();
	}
	return NULL;
}

static struct env *reader_env;

static void *reader_main(void *arg)
{
	struct env *e = reader_env;

	(void)arg;
	while (!__atomic_load_n(&reader_done, __ATOMIC_ACQUIRE)) {
		for (unsigned int t = 0; t < NTHREADS; t++) {
			uint32_t pt = ioasid_dev_pt_id(e->dev[t]);

			if (ioasid_dev_id(e->dev[t]) != e->dev_id[t])
				reader_bad++;
			/* 0, A, B or a HWPT: ids come after A and B. */
			if (pt && pt != e->ioas[0] && pt != e->ioas[1] &&
			    pt <= e->ioas[1])
				reader_bad++;
			(void)ioasid_dev_hwpt_id(e->dev[t]);
		}
	}
	return NULL;
}

static int setup(struct env *e)
{
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);

	memset(e, 0, sizeof(*e));
	if (ioasid_ctx_open(&co, &e->ctx) ||
	    ioasid_ioas_alloc(e->ctx, &e->ioas[0]) ||
	    ioasid_ioas_alloc(e->ctx, &e->ioas[1]))
		goto fail;
	for (unsigned int t = 0; t < NTHREADS; t++) {
		if (ioasid_dev_set_driver(e->ctx, dev_names[t], "vfio-pci",
					  NULL) ||
		    ioasid_dev_open(e->ctx, dev_names[t], &e->dev[t]) ||
		    ioasid_dev_bind(e->dev[t], &e->dev_id[t]))
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "setup: %s\n", ioasid_errmsg());
	return -1;
}

static void teardown(struct env *e)
{
	for (unsigned int t = 0; t < NTHREADS; t++)
		ioasid_dev_close(e->dev[t]);
	ioasid_ctx_close(e->ctx);
}

/* The final state as text (destructive: it empties the windows). */
static char *snapshot(struct env *e, struct worker *w)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	uint32_t hw[NTHREADS];

	for (unsigned int t = 0; t < NTHREADS; t++) {
		uint32_t pt = ioasid_dev_pt_id(e->dev[t]);
		unsigned int same = t;

		hw[t] = ioasid_dev_hwpt_id(e->dev[t]);
		for (unsigned int u = 0; u < t; u++)
			if (hw[t] && hw[u] == hw[t]) {
				same = u;
				break;
			}
		fprintf(f, "dev %u: on %s, HWPT %s (first user dev %u)\n", t,
			!pt ? "nothing" : pt == e->ioas[0] ? "A" :
			pt == e->ioas[1] ? "B" : pt == w[t].hwpt ? "own HWPT" :
			"?", hw[t] ? "yes" : "no", same);
	}
	for (unsigned int a = 0; a < 2; a++) {
		struct ioasid_iova_range r[8];
		uint32_t n = 8;
		uint64_t align = 0;
		int rc = ioasid_ioas_iova_ranges(e->ctx, e->ioas[a], r, &n,
						 &align);

		fprintf(f, "%c ranges rc %d align %#llx:", 'A' + a, rc,
			(unsigned long long)align);
		for (uint32_t i = 0; !rc && i < n; i++)
			fprintf(f, " %#llx-%#llx", (unsigned long long)r[i].start,
				(unsigned long long)r[i].last);
		fputc('\n', f);
		for (unsigned int t = 0; t < NTHREADS; t++) {
			fprintf(f, "%c window %u:", 'A' + a, t);
			for (unsigned int s = 0; s < SLOTS; s++)
				for (unsigned int k = 1; s + k <= SLOTS; k++) {
					uint64_t un = 0;

					rc = ioasid_ioas_unmap(e->ctx, e->ioas[a],
							       win(t, s),
							       k * SLOT, &un);
					fprintf(f, " %u+%u:%d/%llu", s, k, rc,
						(unsigned long long)(un / SLOT));
					if (!rc) {
						s += k - 1;
						break;
					}
				}
			fputc('\n', f);
		}
	}
	for (unsigned int a = 0; a < 2; a++) {
		uint64_t un = 0;
		int rc = ioasid_ioas_unmap_all(e->ctx, e->ioas[a], &un);

		fprintf(f, "%c left after the probe: rc %d, %llu bytes\n",
			'A' + a, rc, (unsigned long long)un);
	}
	fclose(f);
	return text;
}

/*
 * How interleaved the concurrent run was: merge the threads' logs by
 * start time and count how often the next call is another thread's.
 */
static unsigned int switches(void)
{
	unsigned int pos[NTHREADS] = { 0 }, n = 0, last = NTHREADS;

	for (;;) {
		unsigned int best = NTHREADS;

		for (unsigned int t = 0; t < NTHREADS; t++)
			if (pos[t] < NOPS &&
			    (best == NTHREADS ||
			     logs[0][t][pos[t]].ns < logs[0][best][pos[best]].ns))
				best = t;
		if (best == NTHREADS)
			return n;
		n += last != NTHREADS && best != last;
		last = best;
		pos[best]++;
	}
}

static void init_workers(struct worker *w, struct env *e, unsigned int run)
{
	for (unsigned int t = 0; t < NTHREADS; t++)
		w[t] = (struct worker){ .t = t, .env = e, .ops = ops[t],
					.log = logs[run][t], .buf = bufs[t] };
}

int main(void)
{
	struct env conc, serial;
	struct worker wc[NTHREADS], ws[NTHREADS];
	pthread_t th[NTHREADS], rd;
	unsigned int calls = 0, ok = 0, mismatches = 0, bad = 0;
	char *snap_c, *snap_s;

	make_ops();
	for (unsigned int t = 0; t < NTHREADS; t++) {
		bufs[t] = mmap(NULL, SLOTS * SLOT, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (bufs[t] == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		memset(bufs[t], (int)t + 1, SLOTS * SLOT);
	}

	/* The concurrent run. */
	if (setup(&conc))
		return 1;
	init_workers(wc, &conc, 0);
	pthread_barrier_init(&start, NULL, NTHREADS);
	reader_env = &conc;
	pthread_create(&rd, NULL, reader_main, NULL);
	for (unsigned int t = 0; t < NTHREADS; t++)
		pthread_create(&th[t], NULL, worker_main, &wc[t]);
	for (unsigned int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	__atomic_store_n(&reader_done, true, __ATOMIC_RELEASE);
	pthread_join(rd, NULL);
	snap_c = snapshot(&conc, wc);

	/* The serial replay on a fresh context: thread 0's list, then 1's... */
	if (setup(&serial))
		return 1;
	if (memcmp(serial.ioas, conc.ioas, sizeof(conc.ioas)) ||
	    memcmp(serial.dev_id, conc.dev_id, sizeof(conc.dev_id))) {
		fprintf(stderr, "setup gave other ids on the fresh context\n");
		return 1;
	}
	init_workers(ws, &serial, 1);
	for (unsigned int t = 0; t < NTHREADS; t++)
		worker_main(&ws[t]);
	snap_s = snapshot(&serial, ws);

	for (unsigned int t = 0; t < NTHREADS; t++) {
		bad += wc[t].bad + ws[t].bad;
		for (unsigned int i = 0; i < NOPS; i++) {
			const struct result *c = &logs[0][t][i],
					    *s = &logs[1][t][i];

			calls += c->rc != 1;
			ok += c->rc == 0;
			if (c->rc == s->rc && c->out == s->out)
				continue;
			if (mismatches++ < 10)
				fprintf(stderr,
					"thread %u op %u (%s ioas %u slot %u+%u): concurrent rc %d out %#llx, serial rc %d out %#llx\n",
					t, i, op_names[ops[t][i].kind],
					ops[t][i].ioas, ops[t][i].slot,
					ops[t][i].nslots, c->rc,
					(unsigned long long)c->out, s->rc,
					(unsigned long long)s->out);
		}
	}
	if (strcmp(snap_c, snap_s)) {
		fprintf(stderr, "final state differs\n--- concurrent\n%s--- serial\n%s",
			snap_c, snap_s);
		mismatches++;
	}
	printf("%u threads x %u operations (%u calls, %u succeeded, %u thread switches) and a reader (%d impossible ids): %u results differ from the serial replay, %u bad own-view checks\n",
	       NTHREADS, NOPS, calls, ok, switches(), reader_bad, mismatches,
	       bad);
	if (getenv("VERBOSE"))
		fputs(snap_s, stdout);
	free(snap_c);
	free(snap_s);
	teardown(&conc);
	teardown(&serial);
	return mismatches || bad || reader_bad || !ok || switches() < NTHREADS;
}
