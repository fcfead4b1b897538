/* SPDX-License-Identifier: MIT */
/*
 * libioasid layouts: pure functions over plain arrays, with no context,
 * no device and no backend.  Describe each endpoint of an address space
 * (struct ioasid_endpoint; ioasid_endpoint_from_dev() in
 * <ioasid/device.h> fills one from a device), combine them into what a
 * guest sees, and check, plan or compare guest RAM layouts around their
 * reserved regions: for hot-add and for migration, also of saved reports
 * of hosts that are not present.
 */
#ifndef IOASID_LAYOUT_H
#define IOASID_LAYOUT_H

#include <stdint.h>

#include <ioasid/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Endpoints of an address space, and what they share                   */

/*
 * One endpoint of an address space, as ioasid_endpoints_combine() and the
 * layout calls take it (arrays of them) and ioasid_endpoint_from_dev()
 * fills it.  All zero describes an endpoint with no constraint and no
 * PASID support (an emulated device).
 *
 * The layout is fixed: 64 bytes on LP64 (56 on ILP32), no padding, no sz.
 * The struct travels in arrays that the library walks with its own
 * sizeof, so a size member in each element could not tell it where the
 * next element starts: had the struct grown, every caller built against
 * the smaller one would have been read at the wrong stride.  The other
 * cure, an element size next to each array (as the kernel's invalidation
 * arrays carry), would add an argument to the five array parameters of
 * four calls for a struct of a handful of limits, and every other array
 * element of the API (struct ioasid_resv_region, struct
 * ioasid_ram_range, ...) has a fixed layout too.  Instead, members a
 * later release adds take the reserved words, which must be zero: a
 * caller built before they existed leaves them 0, their default, and
 * this library refuses a non-zero reserved byte (-EINVAL, naming the
 * endpoint), so a member it does not know is never ignored.
 */
struct ioasid_endpoint {
	/* For messages only; may be NULL. */
	const char *name;
	/* Its reserved regions, in any order, may overlap. */
	const struct ioasid_resv_region *regions;
	uint32_t num_regions;
	/* PASID width, 0: no PASID. */
	uint8_t pasid_width;
	uint8_t __reserved0[3];	/* zero */
	/* Bit N set: 2^N-byte pages; 0: any (no granule constraint). */
	uint64_t page_sizes;
	/* Highest IOVA it can use; 0: no limit. */
	uint64_t aperture_last;
	uint64_t __reserved[3];	/* zero: members of later releases */
};

/* A sw-msi window that must be mapped overlaps a region where nothing may
 * be mapped (reserved, direct or a fixed msi doorbell). */
#define IOASID_COMBINED_MSI_CONFLICT (1u << 0)

struct ioasid_combined {
	size_t sz;
	/* Inputs: where the regions and the doorbells go (may be NULL
	 * with a size of 0 to count them). */
	struct ioasid_resv_region *regions;
	uint32_t max_regions;
	struct ioasid_resv_region *doorbells;
	uint32_t max_doorbells;
	/* Outputs. */
	uint32_t num_regions;	/* union of all regions, disjoint, sorted */
	uint32_t num_doorbells; /* msi and sw-msi windows, disjoint, sorted */
	uint8_t pasid_width;	/* the smallest */
	uint64_t granule;	/* the largest smallest page size; 0: none */
	uint64_t page_sizes;	/* granule bit + sizes all endpoints have */
	uint64_t aperture_last; /* the smallest; UINT64_MAX: no limit */
	uint32_t flags;		/* IOASID_COMBINED_* */
	size_t : 0;
};
#define ioasid_combined__last_field flags

/*
 * ioasid_endpoints_combine - what a guest sees of @num_eps endpoints that
 * share one address space (a virtio-iommu domain): the smallest PASID
 * width, the largest granule, the smallest aperture, the union of the
 * reserved regions and of the MSI doorbells.
 *
 * Where regions of different types overlap, the overlap takes the type a
 * guest must respect most: reserved > direct > msi > sw-msi >
 * direct-relaxable.  The doorbell list keeps msi (fixed, never map) and
 * sw-msi (must be mapped to the doorbell) windows apart, msi winning an
 * overlap.
 *
 * Return: 0; -EINVAL (no endpoints, a NULL pointer, a region with start >
 * last or an unknown type: the message names the endpoint and region);
 * -EMSGSIZE (an output array too small: the counts say how many are
 * needed, the arrays hold the first ones, the other outputs are set).
 */
IOASID_API int ioasid_endpoints_combine(const struct ioasid_endpoint *eps,
					uint32_t num_eps,
					struct ioasid_combined *out);

/* ------------------------------------------------------------------ */
/* Usable ranges, and guest RAM layouts                                 */

/*
 * ioasid_resv_usable - the usable ranges inside [@start, @last] around
 * @num_regions reserved regions (any order, may overlap): the other form
 * of the same information.  @ranges/@num as for ioasid_ioas_iova_ranges().
 * Return: 0; -EINVAL (@start > @last, a bad region); -EMSGSIZE.
 */
IOASID_API int ioasid_resv_usable(const struct ioasid_resv_region *regions,
				  uint32_t num_regions, uint64_t start,
				  uint64_t last,
				  struct ioasid_iova_range *ranges,
				  uint32_t *num);

/* A range of guest RAM: [gpa, gpa + size - 1]. */
struct ioasid_ram_range {
	uint64_t gpa;
	uint64_t size;
};

/* RAM that overlaps a reserved region of an endpoint. */
struct ioasid_layout_conflict {
	char device[IOASID_NAME_MAX]; /* the endpoint's name */
	struct ioasid_resv_region region;
	struct ioasid_ram_range ram;
};

/*
 * ioasid_layout_check - whether guest RAM @ram (@num_ram ranges) can be
 * DMA-mapped 1:1 (IOVA = GPA) for every endpoint of @eps: no RAM byte may
 * lie in a reserved region or above an aperture.  Direct-relaxable regions
 * are ignored, as the kernel does on attach.  Checking a hot-added device
 * against a running VM's RAM catches the conflict before the attach.
 * @conflicts: array of *@num_conflicts entries or NULL; on return
 *             *@num_conflicts is the number of conflicts (all are counted,
 *             the first ones stored, in RAM order).
 *
 * Return: 0 (no conflict); -EADDRINUSE (the message names the first
 * device, region with its type, and RAM range); -EINVAL.
 */
IOASID_API int ioasid_layout_check(const struct ioasid_endpoint *eps,
				   uint32_t num_eps,
				   const struct ioasid_ram_range *ram,
				   uint32_t num_ram,
				   struct ioasid_layout_conflict *conflicts,
				   uint32_t *num_conflicts);

struct ioasid_layout_plan_opts {
	size_t sz;
	/* Lowest GPA RAM may use (x86: 0; Arm virt: 0x40000000). */
	uint64_t base;
	/* Alignment of every RAM range's start and size, at least the
	 * granule (the host page size, or an endpoint's smallest IOMMU page
	 * if larger); 0: 2 MiB, or the granule if larger. */
	uint64_t align;
	/* At least this much RAM must lie below 4 GiB (-ENOSPC else). */
	uint64_t min_below_4g;
	size_t : 0;
};
#define ioasid_layout_plan_opts__last_field min_below_4g

/*
 * ioasid_layout_plan - place @ram_size bytes of guest RAM, lowest GPAs
 * first from @opts->base, around every reserved region (direct-relaxable
 * aside) of @eps and below the smallest aperture.  Platform holes such as
 * the PCI MMIO window are passed as one more endpoint holding them.
 * @ram/@num as for ioasid_ioas_iova_ranges() (-EMSGSIZE).
 *
 * Return: 0; -ENOSPC (it does not fit, or not enough below 4 GiB);
 * -EINVAL (zero or unaligned size, alignment not a power of two or
 * below the granule);
 * -EMSGSIZE.
 */
IOASID_API int ioasid_layout_plan(const struct ioasid_endpoint *eps,
				  uint32_t num_eps, uint64_t ram_size,
				  const struct ioasid_layout_plan_opts *opts,
				  struct ioasid_ram_range *ram, uint32_t *num);

/* Why a VM cannot migrate (struct ioasid_migration_block.reason). */
enum ioasid_block_reason {
	/* A reserved region of the destination overlaps guest RAM or an
	 * IOVA the VM has mapped. */
	IOASID_BLOCK_RAM = 0,
	/* With IOASID_COMPARE_GUEST_IOVAS: a destination region the source
	 * did not have, where the guest may already have mapped IOVAs. */
	IOASID_BLOCK_NEW_REGION = 1,
	/* The destination's address-width ceiling is lower. */
	IOASID_BLOCK_CEILING = 2,
	/* The destination's granule (smallest page size) is larger. */
	IOASID_BLOCK_GRANULE = 3,
};

/* One reason a VM cannot move to the destination. */
struct ioasid_migration_block {
	enum ioasid_block_reason reason;
	char device[IOASID_NAME_MAX]; /* the destination endpoint */
	/* RAM, NEW_REGION: the blocking region; CEILING: the IOVAs lost,
	 * [destination ceiling + 1, source ceiling]; GRANULE: zero. */
	struct ioasid_resv_region region;
	/* RAM: the RAM or IOVA range hit; zero otherwise. */
	struct ioasid_ram_range ram;
	/* GRANULE: the source's and the destination's granules. */
	uint64_t src_granule, dst_granule;
};

/* The guest programs IOVAs itself (a vIOMMU): it may use any IOVA the
 * source left usable, so every destination region must be one the
 * source had too. */
#define IOASID_COMPARE_GUEST_IOVAS (1u << 0)

struct ioasid_compare_opts {
	size_t sz;
	uint32_t flags; /* IOASID_COMPARE_* */
	size_t : 0;
};
#define ioasid_compare_opts__last_field flags

/*
 * ioasid_layout_compare - whether a VM running on the source platform
 * (@src, its assigned endpoints) with guest RAM and mapped IOVAs @ram can
 * migrate to the destination (@dst): no destination reserved region
 * (direct-relaxable aside) may overlap @ram, the destination's smallest
 * ceiling may not be lower than the source's, nor its largest granule
 * larger.  The inputs are plain arrays, so saved reports of two hosts
 * compare without either being present.
 * @blocks: array of *@num_blocks entries or NULL; on return *@num_blocks
 *          counts every reason (the first ones stored).
 *
 * Return: 0 (the VM can migrate); -EADDRINUSE (it cannot: the message
 * names the first blocking region, device and range); -EINVAL.
 */
IOASID_API int ioasid_layout_compare(const struct ioasid_endpoint *src,
				     uint32_t num_src,
				     const struct ioasid_endpoint *dst,
				     uint32_t num_dst,
				     const struct ioasid_ram_range *ram,
				     uint32_t num_ram,
				     const struct ioasid_compare_opts *opts,
				     struct ioasid_migration_block *blocks,
				     uint32_t *num_blocks);

/* ------------------------------------------------------------------ */
/* Locked-memory budget                                                 */

/* How the guest's DMA is translated (struct ioasid_budget_opts.viommu). */
enum ioasid_budget_viommu {
	/* No vIOMMU: one IOAS maps all of guest RAM for every device. */
	IOASID_BUDGET_VIOMMU_NONE = 0,
	/* A shadowing vIOMMU: one IOAS per guest DMA domain, and at worst
	 * (passthrough domains, a guest mapping all of its RAM) each maps
	 * all of guest RAM. */
	IOASID_BUDGET_VIOMMU_SHADOW = 1,
	/* Nested translation: one stage-2 IOAS maps all of guest RAM, the
	 * guest's stage-1 tables live in that RAM. */
	IOASID_BUDGET_VIOMMU_NESTED = 2,
};

/* Check against opts->limit instead of this process's RLIMIT_MEMLOCK
 * (and ignore CAP_IPC_LOCK). */
#define IOASID_BUDGET_GIVEN_LIMIT (1u << 0)

struct ioasid_budget_opts {
	size_t sz;
	/* The planned guest RAM: @num_ram ranges, none overlapping. */
	const struct ioasid_ram_range *ram;
	uint32_t num_ram;
	/* Assigned devices (0: nothing is pinned). */
	uint32_t num_devices;
	enum ioasid_budget_viommu viommu;
	/* IOASes that each map all of guest RAM; 0: 1 without a vIOMMU or
	 * nested, one per device with a shadowing vIOMMU.  At most one per
	 * device counts: an IOAS with no device attached pins nothing. */
	uint32_t num_ioas;
	uint32_t rlimit_mode; /* enum ioasid_rlimit_mode (ioasid/ctx.h) */
	uint32_t flags; /* IOASID_BUDGET_* */
	/* The host page size pinning counts in; 0: the CPU's. */
	uint64_t page_size;
	/* Bytes already charged to the same counter: per user, other VMs
	 * and pinning programs of the user; per process, memory the VMM
	 * mlock()s (mlockall, -overcommit mem-lock=on). */
	uint64_t other_charged;
	/* With IOASID_BUDGET_GIVEN_LIMIT: the limit in bytes, UINT64_MAX
	 * for unlimited. */
	uint64_t limit;
	size_t : 0;
};
#define ioasid_budget_opts__last_field limit

/* struct ioasid_budget.flags */
#define IOASID_BUDGET_FITS (1u << 0)	    /* needed <= limit (or not enforced) */
#define IOASID_BUDGET_UNLIMITED (1u << 1)   /* the limit is RLIM_INFINITY */
#define IOASID_BUDGET_IPC_LOCK (1u << 2)    /* CAP_IPC_LOCK: nothing is charged */
#define IOASID_BUDGET_HARD_TOO_LOW (1u << 3) /* needed > RLIMIT_MEMLOCK's hard limit */

struct ioasid_budget {
	size_t sz;
	uint32_t flags;	    /* IOASID_BUDGET_FITS, ... */
	uint32_t num_ioas;  /* IOASes charged for all of guest RAM */
	uint64_t page_size; /* the page size counted in */
	uint64_t ram;	    /* guest RAM, in whole pages, bytes */
	/* Memory pinned: each page of guest RAM once, whatever maps it. */
	uint64_t pinned;
	/* Charged to RLIMIT_MEMLOCK's counter (per user: user->locked_vm;
	 * per process: mm->locked_vm) and to VmPin: @ram once per IOAS. */
	uint64_t charged;
	/* @charged plus opts->other_charged: what RLIMIT_MEMLOCK must
	 * allow, and what to set it to. */
	uint64_t needed;
	/* RLIMIT_MEMLOCK (or opts->limit), soft and hard, in bytes;
	 * UINT64_MAX is unlimited. */
	uint64_t limit, limit_max;
	size_t : 0;
};
#define ioasid_budget__last_field limit_max

/*
 * ioasid_layout_budget - how much memory a planned VM (@opts: its RAM,
 * devices, vIOMMU and rlimit mode) pins when its devices attach and its
 * RAM is mapped, how much of it iommufd charges against RLIMIT_MEMLOCK
 * (each IOAS that maps a page charges it once; the devices and domains of
 * one IOAS share its pins), and whether that fits the calling process's
 * limit.  Pure arithmetic: nothing is opened.  See ioasid_layout_budget(3)
 * for the model and what it leaves out.
 *
 * Return: 0 (@out filled, fits or not: IOASID_BUDGET_FITS); -EINVAL (a
 * bad or overlapping RAM range, viommu, rlimit_mode, flags or page size);
 * -EOVERFLOW (the figures pass 2^64 bytes).
 */
IOASID_API int ioasid_layout_budget(const struct ioasid_budget_opts *opts,
				    struct ioasid_budget *out);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_LAYOUT_H */
