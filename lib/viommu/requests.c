// SPDX-License-Identifier: MIT
/*
 * virtio-iommu device model: the domain and endpoint logic.  Requests
 * arrive parsed (wire.c); this file applies the specification's rules
 * (ranges, overlaps, RESV_MEM, bypass), resolves guest-physical ranges
 * through the RAM slots (ram.c) and hands host work to the strategy
 * (shadow.c).  Numbers in comments are the conformance items of
 * docs/VIOMMU.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "viommu-internal.h"

void (*viommu_after_change)(struct ioasid_virtio_iommu *v);

/* ------------------------------------------------------------------ */
/* Events                                                               */

/* From any thread (translate() queues faults too): the ring is under
 * ev_lock, the VMM's callback runs after it. */
static void queue_fault(struct ioasid_virtio_iommu *v, uint8_t reason,
			uint32_t flags, uint32_t endpoint, uint64_t address)
{
	bool queued = false;

	pthread_mutex_lock(&v->ev_lock);
	v->faults++;
	if (v->ev_count == v->max_events) {
		v->events_dropped++;
	} else {
		struct viommu_event *e =
			&v->events[(v->ev_head + v->ev_count) % v->max_events];

		e->fault = (struct viommu_fault){ reason, flags, endpoint, address };
		v->ev_count++;
		queued = true;
	}
	pthread_mutex_unlock(&v->ev_lock);
	if (queued && v->event_notify)
		v->event_notify(v, v->event_data);
}

void viommu_queue_fault(struct ioasid_virtio_iommu *v, uint8_t reason,
			uint32_t flags, uint32_t endpoint, uint64_t address)
{
	queue_fault(v, reason, flags, endpoint, address);
}

/* ------------------------------------------------------------------ */
/* Endpoints and domains                                                */

bool viommu_unattached_bypass(const struct ioasid_virtio_iommu *v)
{
	/* BYPASS_CONFIG is always offered, so config.bypass rules even if
	 * the driver did not accept the feature; legacy BYPASS never is. */
	return v->config.bypass == 1;
}

/* Mappings come and go with every MAP/UNMAP pair: freed ones are kept
 * for reuse (each is still its own malloc() block, so free() stays
 * valid on any of them), which takes malloc and free off the hot path. */
#define MAPPING_CACHE_MAX 4096u
/* One line each (struct viommu_mapping). */
#define MAPPING_ALLOC 64u
_Static_assert(sizeof(struct viommu_mapping) <= MAPPING_ALLOC,
	       "a mapping fits its line");

struct viommu_mapping *viommu_mapping_new(struct ioasid_virtio_iommu *v)
{
	struct viommu_mapping *m = v->free_maps;

	if (!m) {
		m = aligned_alloc(MAPPING_ALLOC, MAPPING_ALLOC);
		if (m) {
			atomic_init(&m->seq, 0);
			m->leaf = NULL;
		}
		return m;
	}
	v->free_maps = (struct viommu_mapping *)(uintptr_t)m->phys;
	v->num_free_maps--;
	/* The next even value: an IOTLB entry of its last life (odd now,
	 * or even if it was never published) does not match. */
	atomic_store_explicit(&m->seq,
			      (atomic_load_explicit(&m->seq, memory_order_relaxed) | 1) + 1,
			      memory_order_relaxed);
	m->leaf = NULL;
	return m;
}

void viommu_mapping_put(struct ioasid_virtio_iommu *v, struct viommu_mapping *m)
{
	if (v->num_free_maps >= MAPPING_CACHE_MAX) {
		free(m);
		return;
	}
	m->phys = (uintptr_t)v->free_maps;
	v->free_maps = m;
	v->num_free_maps++;
}

void viommu_mapping_cache_free(struct ioasid_virtio_iommu *v)
{
	while (v->free_maps) {
		struct viommu_mapping *m = v->free_maps;

		v->free_maps = (struct viommu_mapping *)(uintptr_t)m->phys;
		free(m);
	}
	v->num_free_maps = 0;
}

/* ------------------------------------------------------------------ */
/* What translate() sees (see viommu-internal.h)                        */

/*
 * What waits for a grace period sits on intrusive lists (nothing to
 * allocate, so retiring never fails): nodes through pool_next, mappings
 * through retire_next, domains and endpoint tables through their own.
 */
static void retire_node(struct vrt_env *env, struct vrt_node *n)
{
	struct ioasid_virtio_iommu *v =
		(struct ioasid_virtio_iommu *)((char *)env - offsetof(struct ioasid_virtio_iommu, vrt));

	n->pool_next = v->retired_nodes;
	v->retired_nodes = n;
	v->num_retired++;
}

static void put_mapping_cb(void *value, void *arg)
{
	viommu_mapping_put(arg, value);
}

/* After a grace period (or with no reader left): free what is retired. */
static void reclaim(struct ioasid_virtio_iommu *v)
{
	while (v->retired_nodes) {
		struct vrt_node *n = v->retired_nodes;

		v->retired_nodes = n->pool_next;
		vrt_node_put(&v->vrt, n);
	}
	while (v->retired_maps) {
		struct viommu_mapping *m = v->retired_maps;

		v->retired_maps = m->retire_next;
		viommu_mapping_put(v, m);
	}
	while (v->retired_domains) {
		struct viommu_domain *d = v->retired_domains;

		v->retired_domains = d->retire_next;
		vidx_clear(&d->maps, put_mapping_cb, v);
		free(d);
	}
	while (v->retired_tables) {
		struct viommu_ep_table *t = v->retired_tables;

		v->retired_tables = t->retire_next;
		free(t);
	}
	v->num_retired = 0;
	v->dead_mappings = 0;
}

int viommu_readers_init(struct ioasid_virtio_iommu *v)
{
	int rc = vrcu_device_init(&v->rd);

	if (rc)
		return ioasid_fail(rc, "viommu: out of memory");
	atomic_init(&v->rdcfg.eps, NULL);
	atomic_init(&v->rdcfg.bypass, v->config.bypass);
	v->vrt.retire = retire_node;
	return 0;
}

void viommu_readers_fini(struct ioasid_virtio_iommu *v)
{
	/* No reader is left: no grace period to wait for. */
	reclaim(v);
	free(atomic_load_explicit(&v->rdcfg.eps, memory_order_relaxed));
	atomic_store_explicit(&v->rdcfg.eps, NULL, memory_order_relaxed);
	vrt_env_fini(&v->vrt);
	vrcu_device_fini(&v->rd);
}

struct viommu_domain *viommu_domain_new(uint32_t id, bool bypass)
{
	struct viommu_domain *d = aligned_alloc(64, (sizeof(*d) + 63) & ~(size_t)63);

	if (!d)
		return NULL;
	memset(d, 0, sizeof(*d));
	d->id = id;
	d->bypass = bypass;
	vidx_init(&d->maps);
	vrt_init(&d->rmaps);
	return d;
}

void viommu_domain_retire(struct ioasid_virtio_iommu *v, struct viommu_domain *d)
{
	v->strategy->domain_destroy(v, d);
	if (vidx_find(&v->domains, d->id) == d)
		vidx_remove(&v->domains, d->id);
	v->num_mappings -= vidx_count(&d->maps);
	/* Its mappings go back to malloc maybe: the generation moves. */
	v->rd_changed = true;
	vrt_clear(&d->rmaps, &v->vrt);
	/* Its mappings (still in d->maps) go with it after the grace
	 * period. */
	d->retire_next = v->retired_domains;
	v->retired_domains = d;
	v->num_retired++;
}

void viommu_ep_set_domain(struct ioasid_virtio_iommu *v, struct viommu_endpoint *ep,
			  struct viommu_domain *d)
{
	ep->domain = d;
	if (atomic_load_explicit(&ep->rdomain, memory_order_relaxed) == d)
		return;
	/* Release: a reader that sees @d sees its contents. */
	atomic_store_explicit(&ep->rdomain, d, memory_order_release);
	v->rd_changed = true;
}

void viommu_map_publish(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
			struct viommu_mapping *m)
{
	vrt_insert(&d->rmaps, &v->vrt, m);
}

void viommu_map_unpublish(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
			  struct viommu_mapping *m)
{
	vrt_remove(&d->rmaps, &v->vrt, m);
	/* Odd: dead.  IOTLB entries of it are stale from here. */
	atomic_store_explicit(&m->seq,
			      atomic_load_explicit(&m->seq, memory_order_relaxed) + 1,
			      memory_order_release);
	v->dead_mappings++;
	v->rd_sync = true;
	m->retire_next = v->retired_maps;
	v->retired_maps = m;
	v->num_retired++;
}

void viommu_publish_bypass(struct ioasid_virtio_iommu *v)
{
	if (atomic_load_explicit(&v->rdcfg.bypass, memory_order_relaxed) ==
	    v->config.bypass)
		return;
	atomic_store_explicit(&v->rdcfg.bypass, v->config.bypass,
			      memory_order_release);
	v->rd_changed = true;
}

/* What was retired is freed at the latest when this many wait. */
#define RETIRE_BATCH 256u

void viommu_writer_done(struct ioasid_virtio_iommu *v)
{
	atomic_store_explicit(&v->pub_mappings, v->num_mappings,
			      memory_order_relaxed);
	atomic_store_explicit(&v->pub_domains, (uint32_t)vidx_count(&v->domains),
			      memory_order_relaxed);
	/* After every store readers may see, before the grace period: a
	 * reader that sees the new generation sees the new state, one
	 * that saw the old one is waited for.  The mappings that go back
	 * to malloc below (beyond the reuse cache) take every cached
	 * translation with them. */
	if (v->rd_changed ||
	    v->num_free_maps + v->dead_mappings > MAPPING_CACHE_MAX)
		atomic_fetch_add(&v->rd.gen, 1);
	if (v->rd_changed || v->rd_sync || v->num_retired >= RETIRE_BATCH) {
		vrcu_synchronize(&v->rd);
		reclaim(v);
	}
	v->rd_changed = v->rd_sync = false;
}

struct viommu_ep_table *viommu_ep_table_alloc(struct ioasid_virtio_iommu *v)
{
	const struct viommu_ep_table *old =
		atomic_load_explicit(&v->rdcfg.eps, memory_order_relaxed);
	uint32_t n = old ? old->num : 0;
	struct viommu_ep_table *t = malloc(sizeof(*t) + (n + 1) * sizeof(t->e[0]));

	if (!t)
		ioasid_fail(-ENOMEM, "viommu: out of memory");
	return t;
}

void viommu_ep_table_publish(struct ioasid_virtio_iommu *v, struct viommu_ep_table *t,
			     struct viommu_endpoint *ep)
{
	struct viommu_ep_table *old =
		atomic_load_explicit(&v->rdcfg.eps, memory_order_relaxed);
	uint32_t n = old ? old->num : 0, at = 0;

	while (at < n && old->e[at].id < ep->id)
		at++;
	t->num = n + 1;
	if (at)
		memcpy(t->e, old->e, at * sizeof(t->e[0]));
	t->e[at] = (struct viommu_ep_ref){ ep->id, ep };
	if (n > at)
		memcpy(t->e + at + 1, old->e + at, (n - at) * sizeof(t->e[0]));
	atomic_store_explicit(&v->rdcfg.eps, t, memory_order_release);
	if (old) {
		old->retire_next = v->retired_tables;
		v->retired_tables = old;
		v->num_retired++;
	}
}

/* Take @ep out of its domain's bookkeeping; the last endpoint out takes
 * the domain and its mappings with it (the Linux driver replays a
 * domain's mappings when its first endpoint attaches).  translate()
 * sees @next from here (the domain of a move: never unattached, which
 * could be bypass, in between). */
static void domain_unlink(struct ioasid_virtio_iommu *v, struct viommu_endpoint *ep,
			  struct viommu_domain *next)
{
	struct viommu_domain *d = ep->domain;

	if (!d)
		return;
	for (struct viommu_endpoint **pp = &d->endpoints; *pp;
	     pp = &(*pp)->dom_next) {
		if (*pp == ep) {
			*pp = ep->dom_next;
			break;
		}
	}
	ep->dom_next = NULL;
	viommu_ep_set_domain(v, ep, next);
	if (--d->num_endpoints == 0)
		viommu_domain_retire(v, d);
}

static void domain_link(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
			struct viommu_endpoint *ep)
{
	viommu_ep_set_domain(v, ep, d);
	ep->dom_next = d->endpoints;
	d->endpoints = ep;
	d->num_endpoints++;
}

/* Move a physical endpoint to the unattached state: bypass or blocked.
 * Falls back to blocked if the bypass attachment fails (never less
 * isolation than asked for). */
static void place_unattached(struct ioasid_virtio_iommu *v,
			     struct viommu_endpoint *ep)
{
	bool bypass = viommu_unattached_bypass(v);

	if (v->strategy->endpoint_place(v, ep, NULL, bypass) == 0)
		return;
	ioasid_log(IOASID_WARN, "viommu: endpoint %u: cannot %s: %s", ep->id,
		   bypass ? "enter bypass" : "block", ioasid_errmsg());
	if (bypass)
		v->strategy->endpoint_place(v, ep, NULL, false);
}

/* The host moved the whole IOMMU group of @ep (a replace moves every
 * device of the group that shared the old HWPT): the mates' records of
 * where they are follow the library's record of their devices. */
static void group_sync(struct ioasid_virtio_iommu *v, struct viommu_endpoint *ep)
{
	struct viommu_endpoint *o;

	if (!ep->dev || ep->group < 0)
		return;
	VIDX_FOR_EACH_ID(&v->endpoints, o)
		if (o != ep && viommu_group_mates(ep, o))
			o->host_pt = ioasid_dev_pt_id(o->dev);
}

/* Every physical endpoint of the group of @ep to the unattached state. */
static void group_place_unattached(struct ioasid_virtio_iommu *v,
				   struct viommu_endpoint *ep)
{
	struct viommu_endpoint *o;

	place_unattached(v, ep);
	group_sync(v, ep);
	VIDX_FOR_EACH_ID(&v->endpoints, o) {
		if (o == ep || !viommu_group_mates(ep, o))
			continue;
		place_unattached(v, o);
		group_sync(v, o);
	}
}

/* Put every endpoint of the group of @ep back where its guest state
 * says (@old, the group's domain, or the unattached state).  0, or the
 * first failure. */
static int group_restore(struct ioasid_virtio_iommu *v, struct viommu_endpoint *ep,
			 struct viommu_domain *old)
{
	bool bypass = viommu_unattached_bypass(v);
	struct viommu_endpoint *o;
	int rc = 0;

	VIDX_FOR_EACH_ID(&v->endpoints, o) {
		if (!viommu_group_mates(ep, o))
			continue;
		rc = v->strategy->endpoint_place(v, o, old, old ? false : bypass);
		group_sync(v, o);
		if (rc)
			break;
	}
	return rc;
}

/* Put every endpoint of the group of @ep into @d on the host, @ep first
 * (a replace then moves the mates along).  On failure the group goes
 * back where it was (*@kept true: nothing changed); if even that fails,
 * it is placed unattached: never less isolation than asked for. */
static int group_place(struct ioasid_virtio_iommu *v, struct viommu_endpoint *ep,
		       struct viommu_domain *d, bool *kept)
{
	struct viommu_domain *old = ep->domain;
	struct viommu_endpoint *o;
	int rc;

	*kept = false;

	rc = v->strategy->endpoint_place(v, ep, d, false);
	group_sync(v, ep);
	VIDX_FOR_EACH_ID(&v->endpoints, o) {
		if (rc)
			break;
		if (o == ep || !viommu_group_mates(ep, o))
			continue;
		rc = v->strategy->endpoint_place(v, o, d, false);
		group_sync(v, o);
	}
	if (rc) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
		*kept = group_restore(v, ep, old) == 0;
		if (!*kept)
			group_place_unattached(v, ep);
		ioasid_fail(rc, "%s", msg);
	}
	return rc;
}

/* Take the group of @ep out of its domains' bookkeeping; a mate taken
 * along remembers the domain it left when @left (DETACH). */
static void group_unlink(struct ioasid_virtio_iommu *v, struct viommu_endpoint *ep,
			 bool left)
{
	struct viommu_endpoint *o;

	VIDX_FOR_EACH_ID(&v->endpoints, o) {
		if (!viommu_group_mates(ep, o))
			continue;
		o->group_left = left && o != ep && o->domain;
		o->group_left_domain = o->group_left ? o->domain->id : 0;
		domain_unlink(v, o, NULL);
	}
}

static bool resv_overlaps(const struct viommu_endpoint *ep, uint64_t start,
			  uint64_t last)
{
	for (uint32_t i = 0; i < ep->num_resv; i++)
		if (ep->resv[i].start <= last && start <= ep->resv[i].last)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Requests                                                             */

static uint8_t status_of(int err)
{
	return err == -ENOMEM || err == -ENOSPC ? VIOMMU_S_NOMEM
						 : VIOMMU_S_IOERR;
}

/* Where a handler may write more than the tail: the device-writable
 * buffers and the room before the tail (PROBE's properties). */
struct viommu_reply {
	const struct iovec *in;
	unsigned int in_num;
	size_t props_room;
};

/*
 * The members of a host IOMMU group cannot be told apart by the host: a
 * group is attached as a unit.  So the group moves as one (docs/VIOMMU.md,
 * "IOMMU groups"): an ATTACH of one member puts every physical member of
 * its group in the domain, a DETACH takes every member out, and each
 * member's guest-visible state follows.  The Linux driver attaches a
 * group's endpoints one after the other, so the mate's own ATTACH finds
 * it attached already (OK); it DETACHes each at release, and a mate's
 * DETACH from the domain its group left answers OK too.
 */
static uint8_t do_attach(struct ioasid_virtio_iommu *v, const struct viommu_req *r,
			 const struct viommu_reply *reply)
{
	(void)reply;
	struct viommu_endpoint *ep, *o;
	struct viommu_domain *d;
	bool bypass = r->flags & VIOMMU_ATTACH_F_BYPASS;
	bool created = false, all_there = true, kept;
	int rc;

	if (r->reserved_nonzero || r->flags & ~VIOMMU_ATTACH_F_BYPASS)
		return VIOMMU_S_INVAL; /* 28, 29 */
	ep = vidx_find(&v->endpoints, r->endpoint);
	if (!ep)
		return VIOMMU_S_NOENT; /* 30 */
	if (r->domain < v->config.domain_start ||
	    r->domain > v->config.domain_end)
		return VIOMMU_S_RANGE;
	d = vidx_find(&v->domains, r->domain);
	if (d && d->bypass != bypass)
		return VIOMMU_S_INVAL; /* 33 */
	VIDX_FOR_EACH_ID(&v->endpoints, o)
		if (viommu_group_mates(ep, o) && (!d || o->domain != d))
			all_there = false;
	if (all_there) {
		ep->group_left = false;
		return VIOMMU_S_OK;
	}
	if (d) {
		/* 37, 38: the reserved regions of every joining endpoint
		 * must not collide with what the domain already maps. */
		VIDX_FOR_EACH_ID(&v->endpoints, o) {
			if (!viommu_group_mates(ep, o) || o->domain == d)
				continue;
			for (uint32_t i = 0; i < o->num_resv; i++)
				if (vidx_first_overlap(&d->maps, o->resv[i].start,
						       o->resv[i].last))
					return VIOMMU_S_UNSUPP;
		}
	} else {
		if (vidx_count(&v->domains) >= v->max_domains)
			return VIOMMU_S_NOMEM;
		d = viommu_domain_new(r->domain, bypass);
		if (!d)
			return VIOMMU_S_NOMEM;
		rc = v->strategy->domain_create(v, d);
		if (rc == 0 && vidx_insert(&v->domains, d->id, d->id, d)) {
			v->strategy->domain_destroy(v, d);
			rc = -ENOMEM;
		}
		if (rc) {
			free(d);
			return status_of(rc);
		}
		created = true;
	}

	/* 34, 35: as DETACH then ATTACH.  The host moves in one step
	 * (replace), so DMA never sees the endpoint unattached. */
	rc = group_place(v, ep, d, &kept);
	if (rc) {
		/* The group is back where it was, or unattached: no device
		 * is on the new domain's host objects.  Retiring the domain
		 * makes host calls that clear the message: keep the
		 * failure's for the VMM (it was empty, found by failing the
		 * kernel's allocations under a nested ATTACH). */
		if (created) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
			viommu_domain_retire(v, d);
			ioasid_fail(rc, "%s", msg);
		}
		/* A host failure changed nothing the guest can see. */
		if (kept)
			return status_of(rc);
		/* Not even the way back worked: the DETACH half happened,
		 * the group leaves its old domain. */
		group_unlink(v, ep, false);
		return rc == -ENOMEM ? VIOMMU_S_NOMEM : VIOMMU_S_UNSUPP;
	}
	VIDX_FOR_EACH_ID(&v->endpoints, o) {
		if (!viommu_group_mates(ep, o))
			continue;
		o->group_left = false;
		if (o->domain != d) {
			domain_unlink(v, o, d);
			domain_link(v, d, o);
		}
	}
	return VIOMMU_S_OK;
}

static uint8_t do_detach(struct ioasid_virtio_iommu *v, const struct viommu_req *r,
			 const struct viommu_reply *reply)
{
	(void)reply;
	struct viommu_endpoint *ep = vidx_find(&v->endpoints, r->endpoint);

	/* 41: reserved ignored. */
	if (!ep)
		return VIOMMU_S_NOENT; /* 42 */
	if (!ep->domain && ep->group_left &&
	    ep->group_left_domain == r->domain) {
		/* A mate's DETACH took it out already (43 is a MAY). */
		ep->group_left = false;
		return VIOMMU_S_OK;
	}
	if (!ep->domain || ep->domain->id != r->domain)
		return VIOMMU_S_INVAL; /* 43 */
	/* 44: blocked (or bypass) on the host before the records go. */
	group_place_unattached(v, ep);
	group_unlink(v, ep, true);
	ep->group_left = false;
	return VIOMMU_S_OK;
}

/* A MAP over the mapping cap: INVAL if it overlaps (53 first), else
 * NOMEM, and the VMM is told once which cap it was and how to raise it. */
static uint8_t mapping_cap_hit(struct ioasid_virtio_iommu *v,
			       struct viommu_domain *d,
			       const struct viommu_req *r)
{
	if (vidx_first_overlap(&d->maps, r->virt_start, r->virt_end))
		return VIOMMU_S_INVAL;
	if (!v->mapping_cap_logged) {
		v->mapping_cap_logged = true;
		ioasid_log(IOASID_WARN,
			   "viommu: guest MAP refused with NOMEM: %llu live mappings reach the cap of %u (%s); raise ioasid_virtio_iommu_opts.max_mappings to allow more",
			   (unsigned long long)v->num_mappings,
			   viommu_mapping_cap(v),
			   v->max_mappings ? "max_mappings"
					   : "the default: one per granule of guest RAM, 65536 to 1Mi");
	}
	return VIOMMU_S_NOMEM;
}

/* A MAP off the granule is answered RANGE (virtio 1.3 5.13.6.6.2).  The
 * likely cause is a guest whose pages are smaller than the host's (a
 * 4 KiB-page guest kernel on a 64 KiB-page host), which only the VMM's
 * operator can see: say it once per device. */
static uint8_t granule_refused(struct ioasid_virtio_iommu *v,
			       const struct viommu_req *r)
{
	if (!v->granule_logged) {
		v->granule_logged = true;
		ioasid_log(IOASID_WARN,
			   "viommu: guest MAP 0x%llx-0x%llx -> 0x%llx refused with RANGE: not aligned to the granule of 0x%llx bytes (page_size_mask's lowest bit: the host page size or a physical endpoint's IOVA alignment); the guest must map whole granules, which a guest with smaller pages than the host cannot do through this device",
			   (unsigned long long)r->virt_start,
			   (unsigned long long)r->virt_end,
			   (unsigned long long)r->phys_start,
			   (unsigned long long)v->granule);
	}
	return VIOMMU_S_RANGE;
}

static uint8_t do_map(struct ioasid_virtio_iommu *v, const struct viommu_req *r,
			 const struct viommu_reply *reply)
{
	(void)reply;
	uint64_t mask = v->granule - 1, size_minus_1;
	struct viommu_mapping *m;
	struct viommu_domain *d;
	int rc;

	if (r->flags & ~VIOMMU_MAP_F_MASK)
		return VIOMMU_S_INVAL; /* 54 */
	if (r->flags & VIOMMU_MAP_F_MMIO &&
	    !(v->negotiated & IOASID_VIRTIO_IOMMU_F_MMIO))
		return VIOMMU_S_INVAL; /* 51 */
	d = vidx_find(&v->domains, r->domain);
	if (!d)
		return VIOMMU_S_NOENT; /* 55 */
	if (d->bypass)
		return VIOMMU_S_INVAL; /* 56 */
	if (r->virt_end < r->virt_start)
		return VIOMMU_S_INVAL; /* 47 */
	if (r->virt_start & mask || r->phys_start & mask ||
	    (r->virt_end + 1) & mask)
		return granule_refused(v, r); /* 52 */
	if (r->virt_start < v->config.input_start ||
	    r->virt_end > v->config.input_end)
		return VIOMMU_S_RANGE; /* 18 */
	size_minus_1 = r->virt_end - r->virt_start;
	/* 6: the physical range must be guest RAM and must not wrap. */
	if (r->phys_start + size_minus_1 < r->phys_start)
		return VIOMMU_S_FAULT;
	if (!(r->flags & VIOMMU_MAP_F_MMIO) &&
	    !viommu_ram_covers(v, r->phys_start, r->phys_start + size_minus_1))
		return VIOMMU_S_FAULT;
	for (struct viommu_endpoint *ep = d->endpoints; ep; ep = ep->dom_next)
		if (resv_overlaps(ep, r->virt_start, r->virt_end))
			return VIOMMU_S_INVAL; /* 91 */
	if (v->num_mappings >= viommu_mapping_cap(v))
		return mapping_cap_hit(v, d, r);

	/* Room for translate()'s copy first: once the host has the
	 * mapping, nothing may fail. */
	if (vrt_reserve(&d->rmaps, &v->vrt))
		return VIOMMU_S_NOMEM;
	m = viommu_mapping_new(v);
	if (!m)
		return VIOMMU_S_NOMEM;
	m->start = r->virt_start;
	m->last = r->virt_end;
	m->phys = r->phys_start;
	m->flags = r->flags;
	/* One descent: the insert is the overlap check (53). */
	rc = vidx_insert(&d->maps, m->start, m->last, m);
	if (rc) {
		viommu_mapping_put(v, m);
		return rc == -EEXIST ? VIOMMU_S_INVAL : VIOMMU_S_NOMEM;
	}
	rc = v->strategy->map(v, d, m);
	if (rc) {
		vidx_remove(&d->maps, m->start);
		viommu_mapping_put(v, m);
		return status_of(rc);
	}
	viommu_map_publish(v, d, m);
	v->num_mappings++;
	return VIOMMU_S_OK;
}

static uint8_t do_unmap(struct ioasid_virtio_iommu *v, const struct viommu_req *r,
			 const struct viommu_reply *reply)
{
	(void)reply;
	struct viommu_mapping *m;
	struct viommu_domain *d;
	struct itree_iter pos;
	uint8_t status = VIOMMU_S_OK;

	d = vidx_find(&v->domains, r->domain);
	if (!d)
		return VIOMMU_S_NOENT; /* 66 */
	if (d->bypass)
		return VIOMMU_S_INVAL; /* 67 */
	if (r->reserved_nonzero || r->virt_end < r->virt_start)
		return VIOMMU_S_INVAL; /* 65: refused, nothing removed */
	/* 62, 63, 68: neither end may fall inside a mapping.  The lowest
	 * mapping in the range settles the start, and the end too unless
	 * the range reaches past it. */
	m = vidx_first_overlap_pos(&d->maps, r->virt_start, r->virt_end, &pos);
	if (!m)
		return VIOMMU_S_OK; /* 69: nothing there */
	if (m->start < r->virt_start || m->last > r->virt_end)
		return VIOMMU_S_RANGE;
	if (m->last < r->virt_end) {
		struct viommu_mapping *e = vidx_find(&d->maps, r->virt_end);

		if (e && e->last != r->virt_end)
			return VIOMMU_S_RANGE;
	}
	/* 61, 69: every mapping inside goes, holes are fine. */
	while (m) {
		uint64_t last = m->last;
		int rc = v->strategy->unmap(v, d, m);

		if (rc) {
			ioasid_log(IOASID_WARN,
				   "viommu: domain %u: host unmap of %#llx-%#llx failed: %s",
				   d->id, (unsigned long long)m->start,
				   (unsigned long long)m->last, ioasid_errmsg());
			status = VIOMMU_S_IOERR;
			break;
		}
		/* From the lookup: the strategies do not touch d->maps. */
		vidx_remove_at(&d->maps, &pos);
		/* translate() stops finding it; it is freed after the
		 * grace period that ends this request. */
		viommu_map_unpublish(v, d, m);
		v->num_mappings--;
		m = last < r->virt_end
			    ? vidx_first_overlap_pos(&d->maps, last + 1,
						     r->virt_end, &pos)
			    : NULL;
	}
	return status;
}

/* Whether @o shares the address space of @ep: the same endpoint, an
 * endpoint of the domain @ep is attached to, or a physical endpoint of
 * the same IOMMU group (the guest driver PROBEs before ATTACH, and its
 * IOMMU core puts a group's endpoints in one domain). */
static bool shares_address_space(const struct viommu_endpoint *ep,
				 const struct viommu_endpoint *o)
{
	return o == ep || (ep->domain && o->domain == ep->domain) ||
	       (ep->group >= 0 && o->group == ep->group);
}

static enum ioasid_resv_type resv_host_type(uint8_t subtype)
{
	return subtype == VIOMMU_RESV_MEM_T_MSI ? IOASID_RESV_MSI
						: IOASID_RESV_RESERVED;
}

/* The RESV_MEM regions of the address space of @ep: the union of every
 * sharing endpoint's regions (ioasid_endpoints_combine()), MSI where a
 * doorbell window is, RESERVED elsewhere.  Into *@outp (malloc'ed). */
static int probe_combine(const struct ioasid_virtio_iommu *v,
			 const struct viommu_endpoint *ep,
			 struct ioasid_resv_region **outp, uint32_t *nout)
{
	struct ioasid_endpoint *eps = NULL;
	struct ioasid_resv_region *regions = NULL, *out = NULL, *bells = NULL;
	struct ioasid_combined c = { .sz = sizeof(c) };
	uint32_t num_eps = 0, num_regions = 0, cap_eps = 0, cap_regions = 0;
	struct viommu_endpoint *o;
	int rc = 0;

	VIDX_FOR_EACH_ID(&v->endpoints, o) {
		if (!shares_address_space(ep, o))
			continue;
		cap_eps++;
		cap_regions += o->num_resv;
	}
	eps = calloc(cap_eps, sizeof(*eps));
	regions = calloc(cap_regions ? cap_regions : 1, sizeof(*regions));
	if (!eps || !regions) {
		rc = ioasid_fail(-ENOMEM, "viommu: out of memory");
		goto out;
	}
	VIDX_FOR_EACH_ID(&v->endpoints, o) {
		if (!shares_address_space(ep, o))
			continue;
		eps[num_eps] = (struct ioasid_endpoint){
			.regions = regions + num_regions,
			.num_regions = o->num_resv,
		};
		for (uint32_t i = 0; i < o->num_resv; i++)
			regions[num_regions++] = (struct ioasid_resv_region){
				.start = o->resv[i].start,
				.last = o->resv[i].last,
				.type = resv_host_type(o->resv[i].subtype),
			};
		num_eps++;
	}
	/* At most as many regions and doorbells as went in. */
	out = calloc(num_regions ? num_regions : 1, sizeof(*out));
	bells = calloc(num_regions ? num_regions : 1, sizeof(*bells));
	if (!out || !bells) {
		rc = ioasid_fail(-ENOMEM, "viommu: out of memory");
		goto out;
	}
	c.regions = out;
	c.max_regions = num_regions;
	c.doorbells = bells;
	c.max_doorbells = num_regions;
	rc = ioasid_endpoints_combine(eps, num_eps, &c);
	if (rc == 0) {
		*outp = out;
		*nout = c.num_regions;
		out = NULL;
	}
out:
	free(bells);
	free(out);
	free(regions);
	free(eps);
	return rc;
}

/* PROBE: write the properties of @ep into @props (probe_size bytes,
 * zero-filled: 84).  Returns the status. */
static uint8_t probe_fill(const struct ioasid_virtio_iommu *v,
			  const struct viommu_endpoint *ep, uint8_t *props)
{
	struct ioasid_resv_region *r = NULL;
	uint32_t num = 0, off = 0;
	int rc;

	memset(props, 0, v->config.probe_size);
	rc = probe_combine(v, ep, &r, &num);
	if (rc) {
		ioasid_log(IOASID_WARN, "viommu: PROBE of endpoint %u: %s",
			   ep->id, ioasid_errmsg());
		return status_of(rc);
	}
	for (uint32_t i = 0; i < num; i++) {
		uint64_t start = r[i].start, last = r[i].last;
		bool msi = r[i].type == IOASID_RESV_MSI ||
			   r[i].type == IOASID_RESV_SW_MSI;

		/* Regions outside input_range mean nothing to the guest. */
		if (last < v->config.input_start || start > v->config.input_end)
			continue;
		if (start < v->config.input_start)
			start = v->config.input_start;
		if (last > v->config.input_end)
			last = v->config.input_end;
		if (v->config.probe_size - off < VIOMMU_RESV_MEM_SIZE) {
			/* A partial list would let the guest map over a
			 * region: refuse the whole PROBE. */
			free(r);
			memset(props, 0, v->config.probe_size);
			ioasid_log(IOASID_WARN,
				   "viommu: PROBE of endpoint %u: %u regions do not fit probe_size %u",
				   ep->id, num, v->config.probe_size);
			return VIOMMU_S_DEVERR;
		}
		viommu_wire_resv_mem(props + off,
				     msi ? VIOMMU_RESV_MEM_T_MSI
					 : VIOMMU_RESV_MEM_T_RESERVED,
				     start, last);
		off += VIOMMU_RESV_MEM_SIZE;
	}
	free(r);
	return VIOMMU_S_OK;
}

/* PROBE: the properties go before the tail, zeroes on failure (no stale
 * bytes for the driver). */
static uint8_t do_probe(struct ioasid_virtio_iommu *v, const struct viommu_req *r,
			const struct viommu_reply *reply)
{
	struct viommu_endpoint *ep;
	uint8_t *props, status;

	/* Withheld from the offer (ioasid_virtio_iommu_opts): not a request
	 * this device knows. */
	if (!(v->offered & IOASID_VIRTIO_IOMMU_F_PROBE))
		return VIOMMU_S_UNSUPP;
	if (reply->props_room < v->config.probe_size)
		return VIOMMU_S_INVAL; /* 82, 83 */
	ep = vidx_find(&v->endpoints, r->endpoint);
	props = calloc(1, v->config.probe_size ? v->config.probe_size : 1);
	if (!props)
		return VIOMMU_S_NOMEM;
	status = ep ? probe_fill(v, ep, props) : VIOMMU_S_NOENT; /* 77 */
	viommu_iov_write(reply->in, reply->in_num, 0, props,
			 v->config.probe_size);
	free(props);
	return status;
}

/* The handler of each request type of the wire table (wire.c). */
static uint8_t (*const handlers[])(struct ioasid_virtio_iommu *,
				   const struct viommu_req *,
				   const struct viommu_reply *) = {
	[VIOMMU_T_ATTACH] = do_attach,
	[VIOMMU_T_DETACH] = do_detach,
	[VIOMMU_T_MAP] = do_map,
	[VIOMMU_T_UNMAP] = do_unmap,
	[VIOMMU_T_PROBE] = do_probe,
};

/* ------------------------------------------------------------------ */
/* Public: request processing                                           */

/* One request; @res (whole, the library's own) gets what it came to. */
static int process(struct ioasid_virtio_iommu *v, const struct iovec *out,
		   unsigned int out_num, const struct iovec *in,
		   unsigned int in_num,
		   struct ioasid_virtio_iommu_request_result *res)
{
	uint8_t rbuf[VIOMMU_MAX_RO_SIZE], tail[VIOMMU_TAIL_SIZE];
	const struct viommu_req_type *rt;
	struct viommu_reply reply;
	struct viommu_req req;
	enum viommu_parse parsed;
	size_t in_size, tail_off, got;
	uint8_t status;

	if ((out_num && !out) || (in_num && !in))
		return ioasid_fail(-EINVAL,
				   "viommu request: NULL iovec array");
	for (unsigned int i = 0; i < out_num; i++)
		if (!out[i].iov_base && out[i].iov_len)
			return ioasid_fail(-EINVAL,
					   "viommu request: readable buffer %u is NULL", i);
	for (unsigned int i = 0; i < in_num; i++)
		if (!in[i].iov_base && in[i].iov_len)
			return ioasid_fail(-EINVAL,
					   "viommu request: writable buffer %u is NULL", i);
	/* Virtio: the device uses no buffer before DRIVER_OK (nor after
	 * the driver gave up); only when the VMM asked for the gate. */
	if (v->status_gate &&
	    (!(v->status & IOASID_VIRTIO_IOMMU_STATUS_DRIVER_OK) ||
	     v->status & IOASID_VIRTIO_IOMMU_STATUS_FAILED))
		return ioasid_fail(-EBUSY,
				   "viommu request: the driver has %s (status %#x): not processed",
				   v->status & IOASID_VIRTIO_IOMMU_STATUS_FAILED
					   ? "set FAILED"
					   : "not set DRIVER_OK since the last reset",
				   v->status);
	atomic_store_explicit(&v->requests,
			      atomic_load_explicit(&v->requests, memory_order_relaxed) + 1,
			      memory_order_relaxed);

	/* Copied before parsing (the guest may change its buffers at any
	 * time: each byte is read once); one buffer, the common case, by
	 * one memcpy. */
	if (out_num == 1) {
		got = out[0].iov_len < sizeof(rbuf) ? out[0].iov_len : sizeof(rbuf);
		if (got) /* a NULL base goes with length 0 */
			memcpy(rbuf, out[0].iov_base, got);
	} else {
		got = viommu_iov_read(out, out_num, 0, rbuf, sizeof(rbuf));
	}
	parsed = viommu_wire_parse(rbuf, got, &req);
	if (parsed != VIOMMU_PARSE_NO_HEAD)
		res->type = rbuf[0];
	in_size = viommu_iov_size(in, in_num);
	/* 21: unknown types get nothing written and used length 0; so do
	 * requests without a head, or without room for the tail. */
	if (parsed == VIOMMU_PARSE_NO_HEAD || parsed == VIOMMU_PARSE_UNKNOWN ||
	    in_size < VIOMMU_TAIL_SIZE)
		return 0;

	/* The tail goes after the properties, or as far as the buffer
	 * allows when it is too short for them (which PROBE refuses). */
	rt = viommu_wire_req_type(req.type);
	tail_off = 0;
	if (rt->writes_props)
		tail_off = in_size >= (size_t)v->config.probe_size + VIOMMU_TAIL_SIZE
				   ? v->config.probe_size
				   : in_size - VIOMMU_TAIL_SIZE;
	reply.in = in;
	reply.in_num = in_num;
	reply.props_room = tail_off;

	if (parsed == VIOMMU_PARSE_SHORT)
		status = VIOMMU_S_DEVERR;
	else if (req.type < ARRAY_SIZE(handlers) && handlers[req.type])
		status = handlers[req.type](v, &req, &reply);
	else /* in the wire table but not handled yet */
		status = VIOMMU_S_UNSUPP;
	/* The status is the completion the guest sees: every translate()
	 * that could still return what the request took away ends first. */
	viommu_writer_done(v);
	viommu_wire_tail(tail, status); /* 22: tail.reserved zero */
	if (in_num == 1)
		memcpy((uint8_t *)in[0].iov_base + tail_off, tail, sizeof(tail));
	else
		viommu_iov_write(in, in_num, tail_off, tail, sizeof(tail));
	res->used_len = (uint32_t)(tail_off + VIOMMU_TAIL_SIZE);
	res->answered = true;
	res->status = status;
	if (viommu_after_change)
		viommu_after_change(v);
	return 0;
}

int ioasid_virtio_iommu_handle_request(struct ioasid_virtio_iommu *v,
				 const struct iovec *out, unsigned int out_num,
				 const struct iovec *in, unsigned int in_num,
				 uint32_t *used_len)
{
	struct ioasid_virtio_iommu_request_result res = { .sz = sizeof(res) };
	int rc;

	ioasid_clear_error();
	if (!v || !used_len)
		return ioasid_fail(-EINVAL, "viommu request: %s is NULL",
				   v ? "used_len" : "device");
	rc = process(v, out, out_num, in, in_num, &res);
	*used_len = res.used_len;
	return rc;
}

int ioasid_virtio_iommu_handle_request_ex(struct ioasid_virtio_iommu *v,
				  const struct iovec *out, unsigned int out_num,
				  const struct iovec *in, unsigned int in_num,
				  struct ioasid_virtio_iommu_request_result *res)
{
	struct ioasid_virtio_iommu_request_result r = { .sz = sizeof(r) };
	size_t sz;
	int rc;

	ioasid_clear_error();
	if (!res || res->sz < sizeof(size_t))
		return ioasid_fail(-EINVAL, "viommu request: %s",
				   res ? "result sz is not set" : "result is NULL");
	sz = res->sz < sizeof(r) ? res->sz : sizeof(r);
	r.sz = res->sz;
	if (!v) {
		memcpy(res, &r, sz);
		return ioasid_fail(-EINVAL, "viommu request: device is NULL");
	}
	rc = process(v, out, out_num, in, in_num, &r);
	r.sz = res->sz;
	memcpy(res, &r, sz);
	return rc;
}

int ioasid_virtio_iommu_handle_buffers(struct ioasid_virtio_iommu *v, const void *req,
				 size_t req_len, void *resp, size_t resp_len,
				 uint32_t *used_len)
{
	struct iovec out = { (void *)req, req_len }, in = { resp, resp_len };

	return ioasid_virtio_iommu_handle_request(v, &out, 1, &in, 1, used_len);
}

/* ------------------------------------------------------------------ */
/* Public: translate and events                                         */

static inline uint32_t tlb_index(uint64_t serial, uint32_t endpoint,
				 uint64_t page)
{
	/* Neighbouring pages of one endpoint in neighbouring entries. */
	return (uint32_t)((page + endpoint * 0x9e3779b1ull + serial * 0x85ebca77ull) &
			  (VRCU_TLB_SIZE - 1));
}

static struct viommu_endpoint *find_endpoint(const struct ioasid_virtio_iommu *v,
					     uint32_t id)
{
	const struct viommu_ep_table *t =
		atomic_load_explicit(&((struct ioasid_virtio_iommu *)v)->rdcfg.eps,
				     memory_order_acquire);
	uint32_t lo = 0, hi = t ? t->num : 0;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->e[mid].id == id)
			return t->e[mid].ep;
		if (t->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static uint32_t perm_of(uint32_t flags)
{
	return (flags & VIOMMU_MAP_F_READ ? IOASID_VIRTIO_IOMMU_ACCESS_READ : 0) |
	       (flags & VIOMMU_MAP_F_WRITE ? IOASID_VIRTIO_IOMMU_ACCESS_WRITE : 0) |
	       (flags & VIOMMU_MAP_F_MMIO ? IOASID_VIRTIO_IOMMU_ACCESS_MMIO : 0);
}

/* What a lookup found, taken out of the read-side section. */
enum xlate_result {
	XLATE_OK,
	XLATE_NOENT,	/* no such endpoint */
	XLATE_PHYSICAL,
	XLATE_BLOCKED,	/* unattached, no bypass */
	XLATE_UNMAPPED,
};

/*
 * Any number of threads, concurrently with the writer (see the header's
 * thread-safety rules).  Everything between vrcu_read_lock() and
 * vrcu_read_unlock() is what the writer's grace period waits for: an
 * UNMAP, DETACH or reset that completes after this call has loaded its
 * result cannot free what it returns, and one that completed before the
 * lock is seen whole.  Faults are queued after the section (the VMM's
 * callback may do anything).
 */
int ioasid_virtio_iommu_translate(struct ioasid_virtio_iommu *v, uint32_t endpoint_id,
			    uint64_t iova, uint32_t access,
			    struct ioasid_virtio_iommu_translation *t)
{
	const uint32_t rw = IOASID_VIRTIO_IOMMU_ACCESS_READ | IOASID_VIRTIO_IOMMU_ACCESS_WRITE;
	struct vrcu_tlb_entry *e = NULL, x;
	const struct vrcu_tlb_entry *res_e = &x;
	enum xlate_result res = XLATE_OK;
	struct vrcu_thread *th;
	struct vrcu_slot *slot;
	uint64_t page, gen;
	unsigned int parity;
	uint32_t fault_flags;
	bool report;

	ioasid_clear_error();
	if (!v || !t)
		return ioasid_fail(-EINVAL, "viommu translate: %s is NULL",
				   v ? "translation" : "device");
	if (!(access & rw) ||
	    access & ~(rw | IOASID_VIRTIO_IOMMU_ACCESS_PROBE_ONLY))
		return ioasid_fail(-EINVAL,
				   "viommu translate: access %#x is not READ and/or WRITE (and PROBE_ONLY)",
				   access);
	/* A lookup only: no fault report on a miss. */
	report = !(access & IOASID_VIRTIO_IOMMU_ACCESS_PROBE_ONLY);
	access &= rw;
	th = vrcu_thread();
	page = iova >> VRCU_TLB_SHIFT;
	slot = vrcu_read_lock(&v->rd, th, &parity);
	gen = atomic_load_explicit(&v->rd.gen, memory_order_acquire);
	if (th->cache) {
		e = &th->tlb[tlb_index(v->rd.serial, endpoint_id, page)];
		if (e->page == page && e->serial == v->rd.serial &&
		    e->endpoint == endpoint_id && e->gen == gen &&
		    (!e->rec ||
		     atomic_load_explicit(&((struct viommu_mapping *)e->rec)->seq,
					  memory_order_acquire) == e->seq)) {
			res_e = e; /* the thread's own: readable after unlock */
			vrcu_count(&slot->hits, th->owned);
			vrcu_read_unlock(slot, parity, th);
			goto found;
		}
	}
	{
		struct viommu_endpoint *ep = find_endpoint(v, endpoint_id);
		struct viommu_domain *d;
		struct viommu_mapping *m;

		if (!ep || ep->dev) {
			res = ep ? XLATE_PHYSICAL : XLATE_NOENT;
			goto unlock;
		}
		d = atomic_load_explicit(&ep->rdomain, memory_order_acquire);
		if ((!d && atomic_load_explicit(&v->rdcfg.bypass,
						memory_order_acquire) == 1) ||
		    (d && d->bypass)) {
			/* Identity, valid while the generation holds. */
			vrcu_count(&slot->misses, th->owned);
			x = (struct vrcu_tlb_entry){
				.serial = v->rd.serial, .page = page, .gen = gen,
				.delta = 0, .last = UINT64_MAX,
				.endpoint = endpoint_id, .perm = rw,
			};
			if (e)
				*e = x;
			goto unlock;
		}
		if (!d) {
			res = XLATE_BLOCKED;
			goto unlock;
		}
		vrcu_count(&slot->misses, th->owned);
		m = vrt_find(&d->rmaps, iova);
		if (!m) {
			res = XLATE_UNMAPPED;
			goto unlock;
		}
		x = (struct vrcu_tlb_entry){
			.serial = v->rd.serial, .page = page, .gen = gen,
			.rec = m,
			.seq = atomic_load_explicit(&m->seq, memory_order_acquire),
			.delta = m->phys - m->start, .last = m->last,
			.endpoint = endpoint_id, .perm = perm_of(m->flags),
		};
		/* Odd: an UNMAP in progress took it away (and waits for
		 * this section); answer, but do not cache. */
		if (e && !(x.seq & 1))
			*e = x;
	}
unlock:
	vrcu_read_unlock(slot, parity, th);
	if (res != XLATE_OK) {
		fault_flags = (access & IOASID_VIRTIO_IOMMU_ACCESS_READ ? VIOMMU_FAULT_F_READ : 0) |
			      (access & IOASID_VIRTIO_IOMMU_ACCESS_WRITE ? VIOMMU_FAULT_F_WRITE : 0) |
			      VIOMMU_FAULT_F_ADDRESS;
		switch (res) {
		case XLATE_NOENT:
			return ioasid_fail(-ENOENT, "viommu endpoint %u does not exist",
					   endpoint_id);
		case XLATE_PHYSICAL:
			return ioasid_fail(-EINVAL,
					   "viommu endpoint %u is a physical device: the host IOMMU translates",
					   endpoint_id);
		case XLATE_BLOCKED:
			if (report)
				queue_fault(v, VIOMMU_FAULT_R_DOMAIN, fault_flags,
					    endpoint_id, iova);
			return ioasid_fail(-EFAULT, "viommu endpoint %u is not attached",
					   endpoint_id);
		default:
			if (report)
				queue_fault(v, VIOMMU_FAULT_R_MAPPING, fault_flags,
					    endpoint_id, iova);
			return ioasid_fail(-EFAULT,
					   "viommu endpoint %u: iova %#llx is not mapped",
					   endpoint_id, (unsigned long long)iova);
		}
	}
found:
	/* 57: no write without WRITE; 58 is not used: no read without READ. */
	if (access & ~res_e->perm) {
		fault_flags = (access & IOASID_VIRTIO_IOMMU_ACCESS_READ ? VIOMMU_FAULT_F_READ : 0) |
			      (access & IOASID_VIRTIO_IOMMU_ACCESS_WRITE ? VIOMMU_FAULT_F_WRITE : 0);
		if (report)
			queue_fault(v, VIOMMU_FAULT_R_MAPPING,
				    fault_flags | VIOMMU_FAULT_F_ADDRESS,
				    endpoint_id, iova);
		return ioasid_fail(-EFAULT,
				   "viommu endpoint %u: iova %#llx does not allow %s",
				   endpoint_id, (unsigned long long)iova,
				   access & ~res_e->perm & IOASID_VIRTIO_IOMMU_ACCESS_WRITE ? "writes" : "reads");
	}
	t->gpa = res_e->delta + iova;
	t->iova_last = res_e->last;
	t->perm = res_e->perm;
	return 0;
}

int ioasid_virtio_iommu_dma_begin(struct ioasid_virtio_iommu *v, uint32_t *token)
{
	struct vrcu_thread *th;
	unsigned int parity;

	ioasid_clear_error();
	if (!v || !token) {
		return ioasid_fail(-EINVAL, "viommu dma_begin: %s is NULL",
				   v ? "token" : "device");
	}
	th = vrcu_thread();
	/* Atomic at both ends: the section may end on another thread. */
	parity = vrcu_enter(&v->rd, v->rd.slots[th->slot].dma, false);
	*token = th->slot << 1 | parity;
	return 0;
}

void ioasid_virtio_iommu_dma_end(struct ioasid_virtio_iommu *v, uint32_t token)
{
	if (!v || token >> 1 >= VRCU_SLOTS)
		return;
	vrcu_dec(&v->rd.slots[token >> 1].dma[token & 1], false);
}

int ioasid_virtio_iommu_event_pop(struct ioasid_virtio_iommu *v, void *buf, size_t len)
{
	int rc = 0;

	ioasid_clear_error();
	if (!v || (!buf && len))
		return ioasid_fail(-EINVAL, "viommu event: NULL argument");
	pthread_mutex_lock(&v->ev_lock);
	if (v->ev_count && len < IOASID_VIRTIO_IOMMU_FAULT_SIZE) {
		rc = -EMSGSIZE;
	} else if (v->ev_count) {
		/* 97-101: reserved zero, defined flags only, one buffer. */
		viommu_wire_fault(buf, &v->events[v->ev_head].fault);
		v->ev_head = (v->ev_head + 1) % v->max_events;
		v->ev_count--;
		rc = IOASID_VIRTIO_IOMMU_FAULT_SIZE;
	}
	pthread_mutex_unlock(&v->ev_lock);
	if (rc == -EMSGSIZE)
		return ioasid_fail(-EMSGSIZE,
				   "viommu event: buffer of %zu bytes, a fault report needs %u",
				   len, IOASID_VIRTIO_IOMMU_FAULT_SIZE);
	return rc;
}

int ioasid_virtio_iommu_get_stats(const struct ioasid_virtio_iommu *v,
			    struct ioasid_virtio_iommu_stats *stats)
{
	struct ioasid_virtio_iommu *w = (struct ioasid_virtio_iommu *)v; /* the lock */
	struct ioasid_virtio_iommu_stats s = { .sz = sizeof(s) };
	size_t sz;

	ioasid_clear_error();
	if (!v || !stats || stats->sz < sizeof(size_t))
		return ioasid_fail(-EINVAL, "viommu stats: NULL or sz not set");
	s.requests = atomic_load_explicit(&w->requests, memory_order_relaxed);
	pthread_mutex_lock(&w->ev_lock);
	s.faults = w->faults;
	s.events_dropped = w->events_dropped;
	s.events_pending = w->ev_count;
	pthread_mutex_unlock(&w->ev_lock);
	s.domains = atomic_load_explicit(&w->pub_domains, memory_order_relaxed);
	s.mappings = atomic_load_explicit(&w->pub_mappings, memory_order_relaxed);
	vrcu_counters(&v->rd, &s.iotlb_hits, &s.iotlb_misses);
	sz = stats->sz < sizeof(s) ? stats->sz : sizeof(s);
	s.sz = stats->sz;
	memcpy(stats, &s, sz);
	return 0;
}

int ioasid_virtio_iommu_domain_ioas(const struct ioasid_virtio_iommu *v, uint32_t domain,
			      uint32_t *ioas_id)
{
	struct viommu_domain *d;

	ioasid_clear_error();
	if (!v || !ioas_id)
		return ioasid_fail(-EINVAL, "viommu: NULL argument");
	d = vidx_find(&v->domains, domain);
	if (!d || !d->ioas)
		return ioasid_fail(-ENOENT, "viommu domain %u %s", domain,
				   !d ? "does not exist"
				   : d->bypass ? "is a bypass domain"
				   : "has no physical endpoint, so no IOAS");
	*ioas_id = d->ioas;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Internal: the guest's view against the host's                        */

#define BROKEN(...) ioasid_fail(-EPROTO, "viommu invariant: " __VA_ARGS__)

static int check_endpoint(const struct ioasid_virtio_iommu *v,
			  const struct viommu_endpoint *ep)
{
	const struct viommu_domain *d = ep->domain;
	const struct viommu_endpoint *o;
	uint32_t pt;

	if (atomic_load(&((struct viommu_endpoint *)ep)->rdomain) != d)
		return BROKEN("endpoint %u: translate() sees another domain than %u",
			      ep->id, d ? d->id : 0);
	if (find_endpoint(v, ep->id) != ep)
		return BROKEN("endpoint %u is not in translate()'s table", ep->id);
	if (d) {
		if (vidx_find(&v->domains, d->id) != d)
			return BROKEN("endpoint %u is in domain %u, which the device does not index",
				      ep->id, d->id);
		for (o = d->endpoints; o && o != ep; o = o->dom_next)
			;
		if (!o)
			return BROKEN("endpoint %u is not on the list of its domain %u",
				      ep->id, d->id);
	}
	if (!ep->dev)
		return 0;
	pt = ioasid_dev_pt_id(ep->dev);
	if (pt != ep->host_pt)
		return BROKEN("endpoint %u: the device model has its device %s on %u, the library on %u",
			      ep->id, ioasid_dev_name(ep->dev), ep->host_pt, pt);
	if (d && (!pt || !v->strategy->domain_holds(v, d, pt)))
		return BROKEN("endpoint %u is in domain %u, its device %s is on host object %u",
			      ep->id, d->id, ioasid_dev_name(ep->dev), pt);
	/* Unattached: bypass, or blocked (the fallback when bypass fails
	 * is more isolation, never less). */
	if (!d && pt && !(viommu_unattached_bypass(v) && pt == v->identity_ioas))
		return BROKEN("endpoint %u is unattached (%s), its device %s is on host object %u",
			      ep->id, viommu_unattached_bypass(v) ? "bypass" : "blocked",
			      ioasid_dev_name(ep->dev), pt);
	VIDX_FOR_EACH_ID(&v->endpoints, o)
		if (viommu_group_mates(ep, o) && o->domain != d)
			return BROKEN("endpoints %u and %u of IOMMU group %d are in different domains (%u, %u)",
				      ep->id, o->id, ep->group, d ? d->id : 0,
				      o->domain ? o->domain->id : 0);
	return 0;
}

struct rmaps_check {
	const struct viommu_domain *d;
	uint64_t n;
};

/* Each live entry of d->rmaps is the mapping d->maps has there. */
static int check_rmap(void *arg, const struct viommu_mapping *rec)
{
	struct rmaps_check *c = arg;
	const struct viommu_mapping *m = vidx_find(&c->d->maps, rec->start);

	c->n++;
	if (m != rec)
		return BROKEN("domain %u: translate() has %#llx-%#llx where requests have %s",
			      c->d->id, (unsigned long long)rec->start,
			      (unsigned long long)rec->last,
			      m ? "another mapping" : "none");
	if (atomic_load(&((struct viommu_mapping *)m)->seq) & 1)
		return BROKEN("domain %u: live mapping %#llx-%#llx is marked dead",
			      c->d->id, (unsigned long long)m->start,
			      (unsigned long long)m->last);
	return 0;
}

/* translate()'s view (rcu.h, rtree.h) is the requests' view. */
static int check_readers(const struct ioasid_virtio_iommu *v)
{
	const struct viommu_ep_table *t =
		atomic_load(&((struct ioasid_virtio_iommu *)v)->rdcfg.eps);
	const struct viommu_domain *d;
	const char *what = NULL;
	int rc;

	if ((t ? t->num : 0) != vidx_count(&v->endpoints))
		return BROKEN("translate()'s table has %u endpoints, the device %zu",
			      t ? t->num : 0, vidx_count(&v->endpoints));
	for (uint32_t i = 1; t && i < t->num; i++)
		if (t->e[i - 1].id >= t->e[i].id)
			return BROKEN("translate()'s endpoint table is out of order at %u", i);
	if (atomic_load(&((struct ioasid_virtio_iommu *)v)->rdcfg.bypass) != v->config.bypass)
		return BROKEN("translate() sees bypass %u, the config space %u",
			      atomic_load(&((struct ioasid_virtio_iommu *)v)->rdcfg.bypass),
			      v->config.bypass);
	VIDX_FOR_EACH_ID(&v->domains, d) {
		struct rmaps_check c = { d, 0 };

		rc = vrt_walk(&d->rmaps, check_rmap, &c, &what);
		if (rc == -EPROTO && what)
			return BROKEN("domain %u: translate()'s index: %s", d->id, what);
		if (rc)
			return rc;
		if (c.n != vidx_count(&d->maps))
			return BROKEN("domain %u: translate() has %llu mappings, requests %zu",
				      d->id, (unsigned long long)c.n,
				      vidx_count(&d->maps));
	}
	return 0;
}

int viommu_check_invariants(const struct ioasid_virtio_iommu *v)
{
	const struct viommu_endpoint *ep;
	const struct viommu_domain *d;
	int rc;

	if (!v)
		return ioasid_fail(-EINVAL, "viommu invariant: device is NULL");
	rc = check_readers(v);
	if (rc)
		return rc;
	VIDX_FOR_EACH_ID(&v->endpoints, ep) {
		rc = check_endpoint(v, ep);
		if (rc)
			return rc;
	}
	VIDX_FOR_EACH_ID(&v->domains, d) {
		uint32_t n = 0;

		for (ep = d->endpoints; ep; ep = ep->dom_next, n++)
			if (ep->domain != d || n > d->num_endpoints)
				return BROKEN("domain %u lists endpoint %u, which is %s",
					      d->id, ep->id,
					      ep->domain == d ? "listed twice"
							      : "elsewhere");
		if (!n || n != d->num_endpoints)
			return BROKEN("domain %u has %u endpoints listed, %u counted",
				      d->id, n, d->num_endpoints);
	}
	return 0;
}
