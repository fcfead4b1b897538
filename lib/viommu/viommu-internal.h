/* SPDX-License-Identifier: MIT */
/*
 * The device model's state, shared by the domain/endpoint logic
 * (requests.c), RAM slots (ram.c) and the strategies behind struct
 * viommu_strategy (shadow.c now; a nested strategy later).
 */
#ifndef IOASID_LIB_VIOMMU_INTERNAL_H
#define IOASID_LIB_VIOMMU_INTERNAL_H

#include <pthread.h>

#include <ioasid/virtio-iommu.h>

#include "index.h"
#include "rcu.h"
#include "rtree.h"
#include "wire.h"

/* struct viommu_mapping, what one guest MAP created: rtree.h. */

struct viommu_endpoint;

struct viommu_domain {
	uint32_t id;
	bool bypass;		/* created by ATTACH with F_BYPASS */
	uint32_t ioas;		/* shadow: the IOAS of this domain */
	/* Nested mode (nested.c): its stage-1 table; NULL: shadow. */
	struct viommu_nested_domain *nested;
	struct viommu_index maps; /* struct viommu_mapping by IOVA */
	struct viommu_endpoint *endpoints; /* attached, via ep->dom_next */
	uint32_t num_endpoints;
	/* The same mappings for translate(), which cannot walk maps while
	 * requests change it; in a line of its own, as maps changes with
	 * every request. */
	struct vrt_tree rmaps __attribute__((aligned(64)));
	/* Dead, waiting for a grace period (the writer's list). */
	struct viommu_domain *retire_next;
};

/* RESV_MEM property of an endpoint. */
struct viommu_resv {
	uint64_t start, last;
	uint8_t subtype; /* VIOMMU_RESV_MEM_T_* */
};

struct viommu_endpoint {
	uint32_t id;
	struct ioasid_dev *dev; /* NULL: emulated */
	struct viommu_domain *domain;
	/* domain, for translate(): stored by viommu_ep_set_domain(). */
	_Atomic(struct viommu_domain *) rdomain;
	struct viommu_endpoint *dom_next;
	/* Host side (shadow): where the device is attached now; 0 = not. */
	uint32_t host_pt;
	struct viommu_resv *resv;
	uint32_t num_resv;
	/* Physical: the IOMMU group; its endpoints share one address space
	 * (the guest's IOMMU core puts them in one domain).  -1: emulated. */
	int32_t group;
	/* Taken out of domain @group_left_domain by a DETACH of a group
	 * mate (the group moves as one): its own DETACH from that domain,
	 * which the Linux driver still sends, answers OK. */
	bool group_left;
	uint32_t group_left_domain;
};

/* The endpoints by id, for translate(): replaced whole by
 * ioasid_virtio_iommu_add_endpoint(). */
struct viommu_ep_table {
	struct viommu_ep_table *retire_next; /* replaced: the writer's list */
	uint32_t num;
	struct viommu_ep_ref {
		uint32_t id;
		struct viommu_endpoint *ep;
	} e[];
};

struct viommu_ram_slot {
	uint64_t gpa, size;
	uint8_t *hva;
};

struct ioasid_virtio_iommu;

/*
 * The strategy: how guest domains become host state.  Called after the
 * domain logic has validated a request; a failure leaves the host as it
 * was and the logic records nothing.
 */
struct viommu_strategy {
	int (*init)(struct ioasid_virtio_iommu *v);
	void (*fini)(struct ioasid_virtio_iommu *v);
	int (*domain_create)(struct ioasid_virtio_iommu *v, struct viommu_domain *d);
	void (*domain_destroy)(struct ioasid_virtio_iommu *v,
			       struct viommu_domain *d);
	/* Put a physical endpoint's device where the guest's state says:
	 * in domain @d (non-bypass), in bypass (@d NULL, @bypass), or
	 * blocked (@d NULL, !@bypass). */
	int (*endpoint_place)(struct ioasid_virtio_iommu *v,
			      struct viommu_endpoint *ep,
			      struct viommu_domain *d, bool bypass);
	int (*map)(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
		   const struct viommu_mapping *m);
	int (*unmap)(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
		     const struct viommu_mapping *m);
	int (*ram_added)(struct ioasid_virtio_iommu *v,
			 const struct viommu_ram_slot *slot);
	/* Whether host object @pt_id (an IOAS or HWPT) is where an endpoint
	 * of domain @d belongs: the invariant check's view of the host. */
	bool (*domain_holds)(const struct ioasid_virtio_iommu *v,
			     const struct viommu_domain *d, uint32_t pt_id);
};

extern const struct viommu_strategy viommu_shadow_strategy;
/* nested.c: stage-1 tables for the domains whose endpoints' IOMMUs can
 * nest, the shadow strategy for the rest (ioasid_virtio_iommu_enable_nested()). */
extern const struct viommu_strategy viommu_nested_strategy;
struct viommu_nested;
/* nested.c: the table region given to ioasid_virtio_iommu_enable_nested()
 * (v->nested set). */
void viommu_nested_region(const struct ioasid_virtio_iommu *v, uint64_t *gpa,
			  uint64_t *size);
/* nested.c: how many host IOMMUs nested mode has probed (0 without
 * nested mode); viommu_nested_forget_iommus() forgets those after the
 * first @keep and destroys their nest parents, which pin guest RAM, so
 * that a failed placement or restore leaves the host as it was.  A
 * parent still in use stays, and the IOMMUs before it. */
uint32_t viommu_nested_num_iommus(const struct ioasid_virtio_iommu *v);
void viommu_nested_forget_iommus(struct ioasid_virtio_iommu *v, uint32_t keep);
/* nested.c, TEST ONLY (the VM benchmark on the kernel's mock devices):
 * nested HWPTs and invalidations in the selftest format; the tables are
 * written but the mock never walks them.  After enable_nested, before
 * feature negotiation. */
int viommu_nested_use_selftest_format(struct ioasid_virtio_iommu *v);

/* nested.c, TEST ONLY (VM tests on the kernel's mock devices): the host
 * side of nested domain @domain: its stage-1 root (guest-physical, in the
 * table region), the stage-2 IOAS, the fault queue (0: none), and its
 * first nested HWPT with that HWPT's nest parent (both 0 while no
 * physical endpoint is attached).  Return: 0; -ENOENT (no such domain,
 * or not nested); -EINVAL. */
struct viommu_nested_host {
	uint64_t root;
	uint32_t s2_ioas, fault_id;
	uint32_t hwpt, parent;
	bool hwpt_faults; /* the HWPT was allocated with the fault queue */
};
int viommu_nested_domain_host(const struct ioasid_virtio_iommu *v, uint32_t domain,
			      struct viommu_nested_host *out);

struct viommu_event {
	struct viommu_fault fault;
};

/*
 * Threads: one writer at a time (requests, setup, configuration, reset,
 * save/restore: the VMM serializes them), any number of threads in
 * translate(), ioasid_virtio_iommu_dma_begin()/_end(), get_stats() and
 * event_pop() at the same time.  What those read is below in rd and
 * rdcfg (atomics, written by the writer), the endpoints' rdomain, the
 * domains' rmaps and the mappings; the event ring has a mutex.  Nothing
 * a reader may hold is freed before a grace period: see
 * viommu_writer_done() and docs/VIOMMU.md, "Concurrent translate".
 */
struct ioasid_virtio_iommu {
	/* Read on every translate(): epoch, generation, serial, slots. */
	struct vrcu_device rd;
	/* Read on an IOTLB miss. */
	struct {
		_Atomic(struct viommu_ep_table *) eps;
		_Atomic uint8_t bypass; /* config.bypass */
	} rdcfg __attribute__((aligned(64)));

	struct ioasid_ctx *ctx;
	const struct viommu_strategy *strategy;
	struct viommu_config config;
	uint8_t initial_bypass;
	uint64_t granule;
	bool granule_fixed; /* opts->granule given */
	bool have_physical; /* input_range comes from physical endpoints */
	/* input_range is the VMM's (opts) or the full space (INPUT_RANGE
	 * withheld): physical endpoints do not change it. */
	bool input_fixed;
	uint64_t offered, negotiated;
	bool features_set;
	/* The virtio device status (ioasid_virtio_iommu_set_status()), and
	 * whether requests wait for its DRIVER_OK (STATUS_GATE). */
	uint8_t status;
	bool status_gate;
	uint32_t max_domains, max_mappings, max_events;
	uint64_t num_mappings;
	bool mapping_cap_logged; /* the VMM was told the cap was hit */
	bool granule_logged; /* the VMM was told of a MAP off the granule */

	struct viommu_index domains;   /* by id */
	struct viommu_index endpoints; /* by id */

	struct viommu_ram_slot *ram;   /* sorted by gpa */
	uint32_t num_ram;

	/* Shadow: the IOAS that maps all guest RAM at its GPA (bypass). */
	uint32_t identity_ioas;
	/* Nested mode's device-wide state; NULL until enabled. */
	struct viommu_nested *nested;

	/* Fault reports waiting for an event-queue buffer (a ring), and
	 * their counters: under ev_lock (translate() queues them too). */
	pthread_mutex_t ev_lock;
	struct viommu_event *events;
	uint32_t ev_head, ev_count;
	uint64_t faults, events_dropped;
	void (*event_notify)(struct ioasid_virtio_iommu *v, void *data);
	void *event_data;

	/* Counters get_stats() reads at any time (relaxed atomics; the
	 * writer stores them, viommu_writer_done() the last two). */
	_Atomic uint64_t requests;
	_Atomic uint64_t pub_mappings;
	_Atomic uint32_t pub_domains;

	/* Freed mappings kept for reuse (requests.c), linked through phys. */
	struct viommu_mapping *free_maps;
	uint32_t num_free_maps;

	/* The writer's side of the readers' structures. */
	struct vrt_env vrt;		/* rmaps nodes */
	/* Taken from the readers, freed after the next grace period
	 * (requests.c, reclaim()). */
	struct vrt_node *retired_nodes;
	struct viommu_mapping *retired_maps;
	struct viommu_domain *retired_domains;
	struct viommu_ep_table *retired_tables;
	uint32_t num_retired;
	bool rd_changed;	/* an endpoint's domain or bypass changed */
	bool rd_sync;		/* something was taken from readers */
	uint32_t dead_mappings;	/* retired since the last grace period */
};

/* ram.c: the host VA of @gpa and how many bytes from there are
 * contiguous in the same slot; false outside RAM. */
bool viommu_ram_lookup(const struct ioasid_virtio_iommu *v, uint64_t gpa,
		       uint8_t **hva, uint64_t *avail);
/* Whether [gpa, last] (gpa <= last) lies in RAM (one slot or adjacent
 * ones). */
bool viommu_ram_covers(const struct ioasid_virtio_iommu *v, uint64_t gpa,
		       uint64_t last);
/* The cap on live guest mappings: opts.max_mappings, or by default one
 * per granule of registered guest RAM, within
 * [VIOMMU_DEFAULT_MAPPINGS_MIN, VIOMMU_DEFAULT_MAPPINGS_MAX]. */
#define VIOMMU_DEFAULT_MAPPINGS_MIN 65536u
#define VIOMMU_DEFAULT_MAPPINGS_MAX (1u << 20)
uint32_t viommu_mapping_cap(const struct ioasid_virtio_iommu *v);
int viommu_ram_add(struct ioasid_virtio_iommu *v, uint64_t gpa, uint64_t size,
		   void *hva);

/* requests.c: a new mapping (seq even), or NULL; give back one that no
 * reader ever saw (it is kept for reuse or freed); free the kept ones
 * (device destroy). */
struct viommu_mapping *viommu_mapping_new(struct ioasid_virtio_iommu *v);
void viommu_mapping_put(struct ioasid_virtio_iommu *v, struct viommu_mapping *m);
void viommu_mapping_cache_free(struct ioasid_virtio_iommu *v);

/* requests.c: the readers' side of the writer's changes.
 * viommu_domain_new: a domain (aligned, empty), not indexed yet; NULL.
 * viommu_domain_retire: the domain goes: host side now, out of the
 *   domains index, its mappings no longer counted; its memory, mappings
 *   and rmaps after a grace period.  No endpoint may point at it.
 * viommu_ep_set_domain: ep->domain and what translate() sees.
 * viommu_map_publish / viommu_map_unpublish: a mapping into or out of
 *   d->rmaps (the first after vrt_reserve() on d->rmaps).
 * viommu_publish_bypass: config.bypass to translate().
 * viommu_writer_done: at the end of every writer call, before a
 *   request's status is written: the counters for get_stats(), the
 *   generation if cached translations went stale, and a grace period
 *   if anything was taken from the readers (then what was retired is
 *   freed). */
struct viommu_domain *viommu_domain_new(uint32_t id, bool bypass);
void viommu_domain_retire(struct ioasid_virtio_iommu *v, struct viommu_domain *d);
void viommu_ep_set_domain(struct ioasid_virtio_iommu *v, struct viommu_endpoint *ep,
			  struct viommu_domain *d);
void viommu_map_publish(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
			struct viommu_mapping *m);
void viommu_map_unpublish(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
			  struct viommu_mapping *m);
void viommu_publish_bypass(struct ioasid_virtio_iommu *v);
void viommu_writer_done(struct ioasid_virtio_iommu *v);
/* requests.c: the endpoint table for translate(): room for one more
 * (NULL: out of memory, message set), then that room filled with the
 * current endpoints and @ep, replacing the table readers see. */
struct viommu_ep_table *viommu_ep_table_alloc(struct ioasid_virtio_iommu *v);
void viommu_ep_table_publish(struct ioasid_virtio_iommu *v, struct viommu_ep_table *t,
			     struct viommu_endpoint *ep);
/* requests.c: the readers' structures of a new device (after its
 * config), and at destroy (no reader left) everything retired and
 * those structures freed. */
int viommu_readers_init(struct ioasid_virtio_iommu *v);
void viommu_readers_fini(struct ioasid_virtio_iommu *v);

/* requests.c: queue a fault report for the event queue. */
void viommu_queue_fault(struct ioasid_virtio_iommu *v, uint8_t reason,
			uint32_t flags, uint32_t endpoint, uint64_t address);

/* Whether an unattached endpoint is in bypass now. */
bool viommu_unattached_bypass(const struct ioasid_virtio_iommu *v);

/* Whether @o is a physical endpoint of the IOMMU group of @ep (@ep
 * included): the host attaches a group as a unit. */
static inline bool viommu_group_mates(const struct viommu_endpoint *ep,
				      const struct viommu_endpoint *o)
{
	return o == ep || (ep->dev && o->dev && ep->group >= 0 &&
			   o->group == ep->group);
}

#include "invariants.h"

#endif /* IOASID_LIB_VIOMMU_INTERNAL_H */
