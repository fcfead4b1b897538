// SPDX-License-Identifier: MIT
/*
 * viommu-vmm: the skeleton of a multi-threaded VMM that offers its guest a
 * virtio-iommu device through libioasid's device model.  Copy it and
 * replace the parts marked "a real VMM" with your transport.
 *
 * Threads, as in a VMM:
 *  - the queue thread serves the request virtqueue: it takes descriptors
 *    off a ring, hands each to ioasid_virtio_iommu_handle_request_ex()
 *    and puts the used length (and, for the guest's benefit here, the
 *    status) back.  It is the only thread that makes requests, so they
 *    are serialized as the header requires;
 *  - device threads are emulated DMA-capable devices: every access goes
 *    through ioasid_virtio_iommu_translate(), lock-free and concurrent
 *    with the requests, inside ioasid_virtio_iommu_dma_begin()/_end() so
 *    that an UNMAP does not complete while an access through it is in
 *    flight;
 *  - the "guest" thread stands in for the guest's driver: it posts
 *    ATTACH, PROBE, MAP and UNMAP requests to the ring and reads their
 *    status.
 * The device follows the virtio status (IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE):
 * the transport passes every status write to ioasid_virtio_iommu_set_status()
 * and requests are refused until the driver has set DRIVER_OK.
 * Plus a physical endpoint (a host PCI device of the simulator's built-in
 * topology, bound to the context) in shadow mode: each guest MAP becomes a
 * host IOAS mapping, checked here with ioasid_ioas_for_each_mapping().
 * At the end the device state is saved, the device destroyed and
 * recreated, and the state restored, as a migration's destination would.
 *
 * Every result is checked; the exit status is 0 only if all were right.
 * make check-examples runs it, make check-tsan under ThreadSanitizer.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <ioasid/ioasid.h>
#include <ioasid/virtio-iommu.h>

#define GUEST_RAM (16ull << 20)
#define PAGE 0x1000ull
#define NPAGES 64u		 /* pages domain 1 maps */
#define IOVA_BASE 0x100000ull	 /* where the guest maps them */
#define GPA_BASE 0x400000ull	 /* the guest RAM behind them */
#define DOMAIN 1u
#define EP_PHYS 0x18u		 /* requester id of 0000:00:03.0 */
#define EP_EMU0 0x20u		 /* emulated devices, one thread each */
#define NDEV_THREADS 2u
#define ROUNDS 2000u		 /* translations per device thread and phase */

/* virtio-iommu request types and status (virtio spec, device-types/iommu). */
enum { T_ATTACH = 1, T_DETACH, T_MAP, T_UNMAP, T_PROBE };
#define S_OK IOASID_VIRTIO_IOMMU_S_OK
#define MAP_RW 3u /* VIRTIO_IOMMU_MAP_F_READ | _WRITE */

static atomic_int failures;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "viommu-vmm: %s:%d: %s: ", __func__, \
				__LINE__, #cond);                            \
			fprintf(stderr, __VA_ARGS__);                        \
			fprintf(stderr, " (%s)\n", ioasid_errmsg());         \
			atomic_fetch_add(&failures, 1);                      \
		}                                                            \
	} while (0)

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------------------ */
/* The request ring: a real VMM has a virtqueue in guest memory and an   */
/* eventfd kick; here descriptors are posted by pointer under a mutex.   */

struct desc {
	uint8_t req[72];  /* device-readable: the request */
	size_t req_len;
	uint8_t resp[516]; /* device-writable: properties, then the tail */
	size_t resp_len;
	uint32_t used;	  /* the used length the device returned */
	int status;	  /* its status, -1 when it wrote no tail */
	bool done;
};

#define RING_SIZE 16u

struct ring {
	pthread_mutex_t lock;
	pthread_cond_t kick; /* avail grew, or stop */
	pthread_cond_t used; /* a descriptor came back */
	struct desc *avail[RING_SIZE];
	unsigned int head, tail; /* avail[head % RING_SIZE] is next */
	bool stop;
};

static void ring_post(struct ring *r, struct desc *d)
{
	pthread_mutex_lock(&r->lock);
	while (r->tail - r->head == RING_SIZE)
		pthread_cond_wait(&r->used, &r->lock);
	d->done = false;
	r->avail[r->tail++ % RING_SIZE] = d;
	pthread_cond_signal(&r->kick);
	pthread_mutex_unlock(&r->lock);
}

static void ring_wait(struct ring *r, struct desc *d)
{
	pthread_mutex_lock(&r->lock);
	while (!d->done)
		pthread_cond_wait(&r->used, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

struct vmm {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *phys;
	uint8_t *ram;
	struct ring ring;
	uint32_t probe_size;
	/* Guest progress the device threads check their answers against. */
	atomic_int phase;	    /* 0 setup, 1 mapped, 2 stop */
	atomic_bool unmap_issued;   /* the upper half's UNMAP was posted */
	atomic_bool unmap_complete; /* ... and its status came back */
	atomic_uint translations;   /* over all device threads */
	atomic_uint events;	    /* fault reports drained */
};

/* The queue thread: descriptors in, used lengths out. */
static void *queue_thread(void *arg)
{
	struct vmm *m = arg;
	struct ring *r = &m->ring;

	for (;;) {
		struct desc *d;
		IOASID_OPTS(ioasid_virtio_iommu_request_result, res);
		struct iovec out, in;
		int rc;

		pthread_mutex_lock(&r->lock);
		while (r->head == r->tail && !r->stop)
			pthread_cond_wait(&r->kick, &r->lock);
		if (r->head == r->tail) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		d = r->avail[r->head++ % RING_SIZE];
		pthread_mutex_unlock(&r->lock);

		out = (struct iovec){ d->req, d->req_len };
		in = (struct iovec){ d->resp, d->resp_len };
		rc = ioasid_virtio_iommu_handle_request_ex(m->v, &out, 1, &in, 1,
							   &res);
		CHECK(rc == 0, "handle_request_ex: %d", rc);

		/* A real VMM writes the used element, then notifies. */
		pthread_mutex_lock(&r->lock);
		d->used = res.used_len;
		d->status = res.answered ? res.status : -1;
		d->done = true;
		pthread_cond_broadcast(&r->used);
		pthread_mutex_unlock(&r->lock);
	}
}

/* ------------------------------------------------------------------ */
/* The guest's driver                                                    */

/* The status of a request that came back, as the guest reads it: the
 * first byte of the tail, which the device's answer must agree with. */
static int status_of(const struct desc *d)
{
	if (d->used < 4 || d->used > d->resp_len)
		return -1;
	CHECK(d->resp[d->used - 4] == d->status, "tail %u, status %d",
	      d->resp[d->used - 4], d->status);
	return d->resp[d->used - 4];
}

static void attach_req(struct desc *d, uint32_t domain, uint32_t ep)
{
	memset(d, 0, sizeof(*d));
	d->req[0] = T_ATTACH;
	le32(d->req + 4, domain);
	le32(d->req + 8, ep);
	d->req_len = 20;
	d->resp_len = 4;
}

static void map_req(struct desc *d, uint64_t iova, uint64_t len, uint64_t gpa)
{
	memset(d, 0, sizeof(*d));
	d->req[0] = T_MAP;
	le32(d->req + 4, DOMAIN);
	le64(d->req + 8, iova);
	le64(d->req + 16, iova + len - 1);
	le64(d->req + 24, gpa);
	le32(d->req + 32, MAP_RW);
	d->req_len = 36;
	d->resp_len = 4;
}

static void unmap_req(struct desc *d, uint64_t iova, uint64_t len)
{
	memset(d, 0, sizeof(*d));
	d->req[0] = T_UNMAP;
	le32(d->req + 4, DOMAIN);
	le64(d->req + 8, iova);
	le64(d->req + 16, iova + len - 1);
	d->req_len = 28;
	d->resp_len = 4;
}

static void probe_req(struct desc *d, uint32_t ep, uint32_t probe_size)
{
	memset(d, 0, sizeof(*d));
	d->req[0] = T_PROBE;
	le32(d->req + 4, ep);
	d->req_len = 72;
	d->resp_len = probe_size + 4;
}

/* Post @n requests at once (several in flight, as a driver does), wait
 * for them all, and check that each came back OK. */
static void submit_all(struct vmm *m, struct desc *d, unsigned int n,
		       const char *what)
{
	for (unsigned int i = 0; i < n; i++)
		ring_post(&m->ring, &d[i]);
	for (unsigned int i = 0; i < n; i++) {
		ring_wait(&m->ring, &d[i]);
		CHECK(status_of(&d[i]) == S_OK, "%s #%u: status %d", what, i,
		      status_of(&d[i]));
	}
}

/* Let the device threads make @n more translations. */
static void let_devices_run(struct vmm *m, unsigned int n)
{
	unsigned int until = atomic_load(&m->translations) + n;

	while (atomic_load(&m->translations) < until)
		sched_yield();
}

static void *guest_thread(void *arg)
{
	struct vmm *m = arg;
	static struct desc d[NPAGES];
	uint32_t type;

	/* Every endpoint into domain 1. */
	attach_req(&d[0], DOMAIN, EP_PHYS);
	for (unsigned int i = 0; i < NDEV_THREADS; i++)
		attach_req(&d[1 + i], DOMAIN, EP_EMU0 + i);
	submit_all(m, d, 1 + NDEV_THREADS, "ATTACH");

	/* PROBE the physical endpoint: its reserved regions (the host's
	 * MSI window) come first, as RESV_MEM properties (type 1). */
	probe_req(&d[0], EP_PHYS, m->probe_size);
	submit_all(m, d, 1, "PROBE");
	type = get_le32(d[0].resp) & 0xfff;
	CHECK(type == 1, "PROBE: first property type %u, want RESV_MEM", type);

	/* One MAP per page: NPAGES requests, RING_SIZE in flight at most. */
	for (unsigned int i = 0; i < NPAGES; i++)
		map_req(&d[i], IOVA_BASE + i * PAGE, PAGE, GPA_BASE + i * PAGE);
	submit_all(m, d, NPAGES, "MAP");

	/* The device threads DMA while everything is mapped ... */
	atomic_store(&m->phase, 1);
	let_devices_run(m, NDEV_THREADS * ROUNDS);

	/* ... then the upper half goes while they keep at it. */
	atomic_store(&m->unmap_issued, true);
	unmap_req(&d[0], IOVA_BASE + NPAGES / 2 * PAGE, NPAGES / 2 * PAGE);
	submit_all(m, d, 1, "UNMAP");
	atomic_store(&m->unmap_complete, true);
	let_devices_run(m, NDEV_THREADS * ROUNDS);

	atomic_store(&m->phase, 2);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Emulated devices                                                      */

struct dev_thread {
	struct vmm *m;
	pthread_t tid;
	unsigned int index;
	uint32_t ep;
	uint64_t seed;
	unsigned int ok, faults;
};

static uint32_t next_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static void *device_thread(void *arg)
{
	struct dev_thread *t = arg;
	struct vmm *m = t->m;
	uint8_t ev[IOASID_VIRTIO_IOMMU_FAULT_SIZE];

	while (atomic_load(&m->phase) == 0)
		sched_yield();
	while (atomic_load(&m->phase) == 1) {
		unsigned int page = next_rand(&t->seed) % NPAGES;
		/* Each thread its own bytes of the page: no data race. */
		uint64_t off = t->index * 64, iova = IOVA_BASE + page * PAGE + off;
		bool upper = page >= NPAGES / 2;
		/* Read before translate: had the UNMAP completed by then? */
		bool was_gone = upper && atomic_load(&m->unmap_complete);
		bool may_be_gone;
		struct ioasid_virtio_iommu_translation tr;
		uint32_t token;
		int rc;

		CHECK(ioasid_virtio_iommu_dma_begin(m->v, &token) == 0, "dma_begin");
		rc = ioasid_virtio_iommu_translate(m->v, t->ep, iova,
						   IOASID_VIRTIO_IOMMU_ACCESS_WRITE, &tr);
		if (rc == 0) {
			uint64_t want = GPA_BASE + page * PAGE + off;

			CHECK(tr.gpa == want, "iova %#llx -> gpa %#llx, want %#llx",
			      (unsigned long long)iova, (unsigned long long)tr.gpa,
			      (unsigned long long)want);
			/* The DMA itself: guest RAM at the host address of
			 * the gpa (a real VMM checks it against its memory
			 * map; here all of it is guest RAM). */
			if (tr.gpa == want)
				memcpy(m->ram + tr.gpa, &t->ep, sizeof(t->ep));
		}
		ioasid_virtio_iommu_dma_end(m->v, token);
		/* Read after: had the UNMAP been posted by the time the
		 * translation ended?  Only then may the page be gone. */
		may_be_gone = upper && atomic_load(&m->unmap_issued);

		if (rc == 0) {
			t->ok++;
			CHECK(!was_gone, "iova %#llx translated after its UNMAP completed",
			      (unsigned long long)iova);
		} else {
			t->faults++;
			CHECK(rc == -EFAULT && may_be_gone,
			      "iova %#llx: %d before any UNMAP of it",
			      (unsigned long long)iova, rc);
			/* Drain the fault report, as the event-queue handler
			 * would into a guest buffer (the queue keeps 64). */
			if (ioasid_virtio_iommu_event_pop(m->v, ev, sizeof(ev)) > 0)
				atomic_fetch_add(&m->events, 1);
		}
		atomic_fetch_add(&m->translations, 1);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Setup, shadow check, save and restore                                 */

#define ST_ACK IOASID_VIRTIO_IOMMU_STATUS_ACKNOWLEDGE
#define ST_DRIVER IOASID_VIRTIO_IOMMU_STATUS_DRIVER
#define ST_FEATURES_OK IOASID_VIRTIO_IOMMU_STATUS_FEATURES_OK
#define ST_DRIVER_OK IOASID_VIRTIO_IOMMU_STATUS_DRIVER_OK

/* The device with RAM and endpoints; with @negotiate, the driver's
 * side of the virtio handshake as the transport passes it on (a real
 * VMM calls these from its status and feature register writes). */
static struct ioasid_virtio_iommu *make_device(struct vmm *m, bool negotiate)
{
	IOASID_OPTS(ioasid_virtio_iommu_opts, vopts,
		    .flags = IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE);
	struct ioasid_virtio_iommu *v = NULL;
	uint8_t cfg[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];

	CHECK(ioasid_virtio_iommu_create(m->ctx, &vopts, &v) == 0, "create");
	if (!v)
		return NULL;
	CHECK(ioasid_virtio_iommu_add_ram(v, 0, GUEST_RAM, m->ram) == 0, "add_ram");
	CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_PHYS, m->phys, NULL) == 0,
	      "add physical endpoint");
	for (unsigned int i = 0; i < NDEV_THREADS; i++)
		CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_EMU0 + i, NULL, NULL) == 0,
		      "add emulated endpoint %u", i);
	CHECK(ioasid_virtio_iommu_config_read(v, 0, cfg, sizeof(cfg)) == 0,
	      "config_read");
	if (negotiate) {
		IOASID_OPTS(ioasid_virtio_iommu_request_result, res);
		struct desc d;
		struct iovec out, in;

		CHECK(ioasid_virtio_iommu_set_status(v, ST_ACK | ST_DRIVER) == 0,
		      "status DRIVER");
		CHECK(ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v)) == 0,
		      "set_features");
		CHECK(ioasid_virtio_iommu_set_status(v, ST_ACK | ST_DRIVER |
						     ST_FEATURES_OK) == 0,
		      "status FEATURES_OK");
		/* The gate: no request before DRIVER_OK. */
		attach_req(&d, DOMAIN, EP_EMU0);
		out = (struct iovec){ d.req, d.req_len };
		in = (struct iovec){ d.resp, d.resp_len };
		CHECK(ioasid_virtio_iommu_handle_request_ex(v, &out, 1, &in, 1, &res) == -EBUSY &&
			      res.used_len == 0 && !res.answered,
		      "a request before DRIVER_OK was processed");
		CHECK(ioasid_virtio_iommu_set_status(v, ST_ACK | ST_DRIVER |
						     ST_FEATURES_OK | ST_DRIVER_OK) == 0,
		      "status DRIVER_OK");
	}
	m->probe_size = get_le32(cfg + 32);
	CHECK(m->probe_size > 0 && m->probe_size <= 512, "probe_size %u",
	      m->probe_size);
	return v;
}

struct shadow_check {
	const uint8_t *ram;
	unsigned int want, n;
	int bad;
};

static int check_mapping(const struct ioasid_mapping *mp, void *data)
{
	struct shadow_check *c = data;
	uint64_t gpa = GPA_BASE + (mp->iova - IOVA_BASE);

	if (mp->kind != IOASID_MAPPING_MEMORY || mp->length != PAGE ||
	    mp->va != (uintptr_t)(c->ram + gpa) || mp->iova < IOVA_BASE ||
	    mp->iova >= IOVA_BASE + c->want * PAGE)
		c->bad++;
	c->n++;
	return 0;
}

/* Shadow mode: domain 1's IOAS maps each page the guest still maps (the
 * @want lowest), at its IOVA, to the host memory behind its gpa. */
static void check_shadow(struct vmm *m, const char *when, unsigned int want)
{
	struct shadow_check c = { m->ram, want, 0, 0 };
	uint32_t ioas = 0;
	int rc;

	CHECK(ioasid_virtio_iommu_domain_ioas(m->v, DOMAIN, &ioas) == 0,
	      "%s: domain_ioas", when);
	rc = ioasid_ioas_for_each_mapping(m->ctx, ioas, NULL, check_mapping, &c);
	CHECK(rc == 0 && c.n == want && !c.bad,
	      "%s: IOAS %u: %d, %u mappings (%d wrong), want %u", when, ioas,
	      rc, c.n, c.bad, want);
}

/* One request straight from this thread: only while no queue thread
 * runs (requests are serialized). */
static void unmap_one(struct vmm *m, uint64_t iova, uint64_t len)
{
	IOASID_OPTS(ioasid_virtio_iommu_request_result, res);
	struct iovec out, in;
	struct desc d;

	unmap_req(&d, iova, len);
	out = (struct iovec){ d.req, d.req_len };
	in = (struct iovec){ d.resp, d.resp_len };
	CHECK(ioasid_virtio_iommu_handle_request_ex(m->v, &out, 1, &in, 1, &res) == 0 &&
		      res.answered && res.status == IOASID_VIRTIO_IOMMU_S_OK &&
		      res.type == T_UNMAP,
	      "UNMAP: answered %d status %u", res.answered, res.status);
}

/* Destroy the device and bring its state back on a new one, as the
 * destination of a migration does (same RAM, same endpoint ids). */
static void save_and_restore(struct vmm *m)
{
	struct ioasid_virtio_iommu_translation tr;
	size_t need = 0;
	void *state;
	int rc;

	rc = ioasid_virtio_iommu_save(m->v, NULL, 0, &need);
	CHECK(rc == -EMSGSIZE || rc == 0, "save size: %d", rc);
	state = malloc(need);
	CHECK(state != NULL, "%zu bytes", need);
	if (!state)
		return;
	CHECK(ioasid_virtio_iommu_save(m->v, state, need, &need) == 0, "save");
	ioasid_virtio_iommu_destroy(m->v); /* the physical device is ours again */
	m->v = make_device(m, false);
	if (m->v) {
		CHECK(ioasid_virtio_iommu_restore(m->v, state, need) == 0, "restore");
		CHECK(ioasid_virtio_iommu_translate(m->v, EP_EMU0, IOVA_BASE + PAGE,
						    IOASID_VIRTIO_IOMMU_ACCESS_READ, &tr) == 0 &&
			      tr.gpa == GPA_BASE + PAGE,
		      "translate after restore: gpa %#llx", (unsigned long long)tr.gpa);
		CHECK(ioasid_virtio_iommu_translate(m->v, EP_EMU0,
						    IOVA_BASE + (NPAGES - 1) * PAGE,
						    IOASID_VIRTIO_IOMMU_ACCESS_READ, &tr) == -EFAULT,
		      "an unmapped page translates after restore");
		check_shadow(m, "after restore", NPAGES / 2);
		/* The transport's state came along with the VMM's: the
		 * destination presents the status the driver had set (the
		 * restored features allow FEATURES_OK), and the queue goes
		 * on: the guest unmaps the rest. */
		CHECK(ioasid_virtio_iommu_set_status(m->v, ST_ACK | ST_DRIVER |
						     ST_FEATURES_OK | ST_DRIVER_OK) == 0,
		      "status after restore");
		unmap_one(m, IOVA_BASE, NPAGES / 2 * PAGE);
		check_shadow(m, "after the last UNMAP", 0);
	}
	free(state);
}

int main(void)
{
	IOASID_OPTS(ioasid_ctx_opts, copts, .backend = IOASID_BACKEND_SIM);
	struct dev_thread dt[NDEV_THREADS];
	struct ioasid_virtio_iommu_stats st;
	pthread_t queue, guest;
	struct vmm m = { 0 };
	unsigned int ok = 0, faults = 0, marks = 0;

	pthread_mutex_init(&m.ring.lock, NULL);
	pthread_cond_init(&m.ring.kick, NULL);
	pthread_cond_init(&m.ring.used, NULL);

	/* A real VMM opens the kernel backend (/dev/iommu) instead. */
	CHECK(ioasid_ctx_open(&copts, &m.ctx) == 0, "ctx_open");
	if (!m.ctx)
		return 1;
	m.ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m.ram != MAP_FAILED, "guest RAM");
	if (m.ram == MAP_FAILED)
		return 1;
	/* The assigned device: the VMM opens and binds it, then the device
	 * model owns its attachment. */
	CHECK(ioasid_dev_open(m.ctx, "0000:00:03.0", &m.phys) == 0, "dev_open");
	CHECK(m.phys && ioasid_dev_bind(m.phys, NULL) == 0, "dev_bind");
	m.v = m.phys ? make_device(&m, true) : NULL;
	if (!m.v)
		return 1;

	pthread_create(&queue, NULL, queue_thread, &m);
	for (unsigned int i = 0; i < NDEV_THREADS; i++) {
		dt[i] = (struct dev_thread){ .m = &m, .index = i,
					     .ep = EP_EMU0 + i, .seed = 42 + i };
		pthread_create(&dt[i].tid, NULL, device_thread, &dt[i]);
	}
	pthread_create(&guest, NULL, guest_thread, &m);

	pthread_join(guest, NULL);
	for (unsigned int i = 0; i < NDEV_THREADS; i++) {
		pthread_join(dt[i].tid, NULL);
		ok += dt[i].ok;
		faults += dt[i].faults;
	}
	pthread_mutex_lock(&m.ring.lock);
	m.ring.stop = true;
	pthread_cond_signal(&m.ring.kick);
	pthread_mutex_unlock(&m.ring.lock);
	pthread_join(queue, NULL);

	/* The DMA landed: each device thread's id is in guest RAM. */
	for (unsigned int p = 0; p < NPAGES; p++)
		for (unsigned int i = 0; i < NDEV_THREADS; i++) {
			uint32_t id;

			memcpy(&id, m.ram + GPA_BASE + p * PAGE + i * 64, sizeof(id));
			marks += id == EP_EMU0 + i;
		}
	CHECK(ok > 0 && marks > 0, "%u translations, %u pages written", ok, marks);
	/* The upper half faulted after its UNMAP. */
	CHECK(faults > 0, "no translation faulted after the UNMAP");
	memset(&st, 0, sizeof(st));
	st.sz = sizeof(st);
	CHECK(ioasid_virtio_iommu_get_stats(m.v, &st) == 0 &&
		      st.requests == 1 + NDEV_THREADS + 1 + NPAGES + 1 &&
		      st.mappings == NPAGES / 2,
	      "stats: %llu requests, %llu mappings", (unsigned long long)st.requests,
	      (unsigned long long)st.mappings);
	printf("viommu-vmm: %u translations, %u faults, %u fault reports drained, "
	       "%u pages written\n", ok, faults, atomic_load(&m.events), marks);

	check_shadow(&m, "after the run", NPAGES / 2);
	save_and_restore(&m);

	ioasid_virtio_iommu_destroy(m.v);
	ioasid_dev_close(m.phys);
	ioasid_ctx_close(m.ctx);
	munmap(m.ram, GUEST_RAM);
	printf("viommu-vmm: %s\n", atomic_load(&failures) ? "FAILED" : "ok");
	return atomic_load(&failures) ? 1 : 0;
}
