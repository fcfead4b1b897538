/* SPDX-License-Identifier: MIT */
/*
 * The device model's state, shared by the domain/endpoint logic
 * (requests.c), RAM slots (ram.c) and the strategies behind struct
 * viommu_strategy (shadow.c now; a nested strategy later).
 */
#ifndef IOASID_LIB_VIOMMU_INTERNAL_H
#define IOASID_LIB_VIOMMU_INTERNAL_H

#include <ioasid/viommu.h>

#include "index.h"
#include "wire.h"

/* What one guest MAP created; never split (spec: a mapping is what one
 * MAP created). */
struct viommu_mapping {
	uint64_t start, last; /* IOVA, inclusive */
	uint64_t phys;
	uint32_t flags; /* VIOMMU_MAP_F_* */
};

struct viommu_endpoint;

struct viommu_domain {
	uint32_t id;
	bool bypass;		/* created by ATTACH with F_BYPASS */
	uint32_t ioas;		/* shadow: the IOAS of this domain */
	/* Nested mode (nested.c): its stage-1 table; NULL: shadow. */
	struct viommu_nested_domain *nested;
	uint64_t unmap_gen;	/* bumped by every UNMAP: IOTLB validity */
	struct viommu_index maps; /* struct viommu_mapping by IOVA */
	struct viommu_endpoint *endpoints; /* attached, via ep->dom_next */
	uint32_t num_endpoints;
};

/* RESV_MEM property of an endpoint. */
struct viommu_resv {
	uint64_t start, last;
	uint8_t subtype; /* VIOMMU_RESV_MEM_T_* */
};

#define VIOMMU_IOTLB_SIZE 64u

struct viommu_iotlb_entry {
	uint64_t page;	/* iova >> granule shift; UINT64_MAX: empty */
	uint64_t gen;	/* the domain's unmap_gen when filled */
	uint64_t start, last, phys;
	uint32_t perm;
};

struct viommu_endpoint {
	uint32_t id;
	struct ioasid_dev *dev; /* NULL: emulated */
	struct viommu_domain *domain;
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
	struct viommu_iotlb_entry iotlb[VIOMMU_IOTLB_SIZE];
};

struct viommu_ram_slot {
	uint64_t gpa, size;
	uint8_t *hva;
};

struct ioasid_viommu;

/*
 * The strategy: how guest domains become host state.  Called after the
 * domain logic has validated a request; a failure leaves the host as it
 * was and the logic records nothing.
 */
struct viommu_strategy {
	int (*init)(struct ioasid_viommu *v);
	void (*fini)(struct ioasid_viommu *v);
	int (*domain_create)(struct ioasid_viommu *v, struct viommu_domain *d);
	void (*domain_destroy)(struct ioasid_viommu *v,
			       struct viommu_domain *d);
	/* Put a physical endpoint's device where the guest's state says:
	 * in domain @d (non-bypass), in bypass (@d NULL, @bypass), or
	 * blocked (@d NULL, !@bypass). */
	int (*endpoint_place)(struct ioasid_viommu *v,
			      struct viommu_endpoint *ep,
			      struct viommu_domain *d, bool bypass);
	int (*map)(struct ioasid_viommu *v, struct viommu_domain *d,
		   const struct viommu_mapping *m);
	int (*unmap)(struct ioasid_viommu *v, struct viommu_domain *d,
		     const struct viommu_mapping *m);
	int (*ram_added)(struct ioasid_viommu *v,
			 const struct viommu_ram_slot *slot);
	/* Whether host object @pt_id (an IOAS or HWPT) is where an endpoint
	 * of domain @d belongs: the invariant check's view of the host. */
	bool (*domain_holds)(const struct ioasid_viommu *v,
			     const struct viommu_domain *d, uint32_t pt_id);
};

extern const struct viommu_strategy viommu_shadow_strategy;
/* nested.c: stage-1 tables for the domains whose endpoints' IOMMUs can
 * nest, the shadow strategy for the rest (ioasid_viommu_enable_nested()). */
extern const struct viommu_strategy viommu_nested_strategy;
struct viommu_nested;
/* nested.c: the table region given to ioasid_viommu_enable_nested()
 * (v->nested set). */
void viommu_nested_region(const struct ioasid_viommu *v, uint64_t *gpa,
			  uint64_t *size);
/* nested.c, TEST ONLY (the VM benchmark on the kernel's mock devices):
 * nested HWPTs and invalidations in the selftest format; the tables are
 * written but the mock never walks them.  After enable_nested, before
 * feature negotiation. */
int viommu_nested_use_selftest_format(struct ioasid_viommu *v);

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
int viommu_nested_domain_host(const struct ioasid_viommu *v, uint32_t domain,
			      struct viommu_nested_host *out);

struct viommu_event {
	struct viommu_fault fault;
};

struct ioasid_viommu {
	struct ioasid_ctx *ctx;
	const struct viommu_strategy *strategy;
	struct viommu_config config;
	uint8_t initial_bypass;
	uint64_t granule;
	bool granule_fixed; /* opts->granule given */
	bool have_physical; /* input_range comes from physical endpoints */
	uint64_t offered, negotiated;
	bool features_set;
	uint32_t max_domains, max_mappings, max_events;
	uint64_t num_mappings;

	struct viommu_index domains;   /* by id */
	struct viommu_index endpoints; /* by id */

	struct viommu_ram_slot *ram;   /* sorted by gpa */
	uint32_t num_ram;

	/* Shadow: the IOAS that maps all guest RAM at its GPA (bypass). */
	uint32_t identity_ioas;
	/* Nested mode's device-wide state; NULL until enabled. */
	struct viommu_nested *nested;

	/* Fault reports waiting for an event-queue buffer (a ring). */
	struct viommu_event *events;
	uint32_t ev_head, ev_count;
	void (*event_notify)(struct ioasid_viommu *v, void *data);
	void *event_data;

	struct ioasid_viommu_stats stats;
	/* Source of the domains' unmap_gen values (IOTLB validity); per
	 * device, so that separate devices share nothing. */
	uint64_t gen_counter;

	/* Freed mappings kept for reuse (requests.c), linked through phys. */
	struct viommu_mapping *free_maps;
	uint32_t num_free_maps;
};

/* ram.c: the host VA of @gpa and how many bytes from there are
 * contiguous in the same slot; false outside RAM. */
bool viommu_ram_lookup(const struct ioasid_viommu *v, uint64_t gpa,
		       uint8_t **hva, uint64_t *avail);
/* Whether [gpa, last] (gpa <= last) lies in RAM (one slot or adjacent
 * ones). */
bool viommu_ram_covers(const struct ioasid_viommu *v, uint64_t gpa,
		       uint64_t last);
int viommu_ram_add(struct ioasid_viommu *v, uint64_t gpa, uint64_t size,
		   void *hva);

/* requests.c: give back a mapping (any malloc()ed one will do; it is kept
 * for reuse or freed), and free the kept ones (device destroy). */
void viommu_mapping_put(struct ioasid_viommu *v, struct viommu_mapping *m);
void viommu_mapping_cache_free(struct ioasid_viommu *v);

/* requests.c: queue a fault report for the event queue. */
void viommu_queue_fault(struct ioasid_viommu *v, uint8_t reason,
			uint32_t flags, uint32_t endpoint, uint64_t address);

/* Whether an unattached endpoint is in bypass now. */
bool viommu_unattached_bypass(const struct ioasid_viommu *v);

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
