/* SPDX-License-Identifier: MIT */
/*
 * Stage-1 page tables in the x86-64 4-level format that VT-d first-stage
 * translation walks (VT-d spec 9.7; the same bits as the CPU's 4-level
 * paging), written by the library into a region of guest-physical memory
 * the VMM reserved for them.  Addresses inside the tables (table pointers
 * and leaf outputs) are guest-physical: the IOMMU reads the tables and
 * translates the leaves through stage 2 (the nest parent).
 *
 * Entry bits used:
 *   P (0) present; R/W (1) writes allowed (AND over every level);
 *   U/S (2) user: set everywhere, DMA without PASID privilege is a user
 *   access; A (5) accessed and D (6) dirty: set up front so the IOMMU
 *   never has to write the tables; PS (7) large leaf (PDPTE 1 GiB, PDE
 *   2 MiB; reserved in a PML4E); bits 51:12 the address; XD (63) never
 *   set (DMA does not execute).
 * Reads cannot be denied in this format: a present leaf is readable, so a
 * WRITE-only guest mapping becomes read+write here.
 *
 * Two users: the nested strategy (lib/viommu/nested.c) builds tables with
 * vpt_map()/vpt_unmap(), and anything that needs to translate through
 * such tables (the simulator's nested HWPT, tests) calls vpt_walk() with
 * its own reader for guest-physical memory.
 */
#ifndef IOASID_LIB_VIOMMU_PGTABLE_H
#define IOASID_LIB_VIOMMU_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#define VPT_PAGE_SHIFT 12
#define VPT_PAGE_SIZE (1ull << VPT_PAGE_SHIFT)
#define VPT_LEVELS 4
#define VPT_ENTRIES 512u

#define VPT_P (1ull << 0)
#define VPT_RW (1ull << 1)
#define VPT_US (1ull << 2)
#define VPT_A (1ull << 5)
#define VPT_D (1ull << 6)
#define VPT_PS (1ull << 7)
#define VPT_XD (1ull << 63)
#define VPT_ADDR_MASK 0x000ffffffffff000ull

/* The address width of the tables (VT-d addr_width for 4 levels) and the
 * highest IOVA the library maps: the lower canonical half. */
#define VPT_ADDR_WIDTH 48u
#define VPT_IOVA_LAST ((1ull << 47) - 1)

/* ------------------------------------------------------------------ */
/* The walker: small on purpose, shared with the simulator.             */

/* Read the 8-byte little-endian entry at guest-physical @gpa into
 * *@entry (host order).  Return 0, or a negative errno (stage-2 fault). */
typedef int (*vpt_read_fn)(void *arg, uint64_t gpa, uint64_t *entry);

struct vpt_translation {
	uint64_t out;	    /* guest-physical address of the iova */
	uint64_t page_size; /* size of the leaf: 4 KiB, 2 MiB or 1 GiB */
	bool writable;	    /* R/W set at every level */
};

/*
 * vpt_walk - translate @iova through the tables rooted at guest-physical
 * @root, reading entries with @read.  A DMA request without PASID
 * privilege: U/S must be set at every level.
 *
 * Return: 0; -ENOENT (an entry on the way is not present); -EACCES (U/S
 * clear); -EINVAL (non-canonical @iova, PS in a PML4E, or a misaligned
 * large leaf: reserved bits); the error of @read.
 */
int vpt_walk(vpt_read_fn read, void *arg, uint64_t root, uint64_t iova,
	     struct vpt_translation *t);

/*
 * vpt_s1_walk - vpt_walk() behind the simulator's stage-1 walker hook
 * (lib/backend/sim/sim-test-hooks.h ioasid_s1_walk_fn; install it with
 * ioasid_sim_set_s1_walker(be, vpt_s1_walk, NULL)).  @data is the VT-d
 * nested HWPT data (struct iommu_hwpt_vtd_s1 as bytes: flags u64,
 * pgtbl_addr u64, addr_width u32, reserved u32); @read fetches @len bytes
 * of table memory at a guest-physical address through stage 2.
 *
 * Return: 0 with *@gpa the stage-1 output; -EOPNOTSUPP (@data_type not
 * VT-d stage 1: IOASID_HWPT_DATA_VTD_S1, value 1); -EINVAL (short data,
 * reserved bits, an address width other than 48); vpt_walk()'s errors.
 */
typedef int (*vpt_bytes_read_fn)(void *rd, uint64_t gpa, void *buf,
				 uint32_t len);
int vpt_s1_walk(void *arg, uint32_t data_type, const void *data,
		uint32_t data_len, uint64_t iova, vpt_bytes_read_fn read,
		void *rd, uint64_t *gpa);

/* ------------------------------------------------------------------ */
/* The builder                                                          */

/*
 * The pool: every table page of every domain comes from one region
 * [gpa, gpa + size) with host mapping @hva.  Capacity: size / 4 KiB
 * pages.  A page freed by vpt_unmap() is quarantined until
 * vpt_pool_release() (after the IOTLB and paging-structure caches were
 * invalidated), so the IOMMU never walks a reused page through a stale
 * cached pointer.
 */
struct vpt_pool {
	uint64_t gpa, size;
	uint8_t *hva;
	uint32_t num_pages;
	uint32_t *free_stack; /* free page indices */
	uint32_t num_free;
	uint32_t *quarantine; /* freed, waiting for an invalidation */
	uint32_t num_quarantine;
	uint16_t *used;	      /* present entries of each page */
	uint32_t in_use, peak; /* pages allocated (quarantine included) */
};

/* A range whose cached translations must go; @leaf_only false when a
 * table page under it was freed (paging-structure caches too). */
struct vpt_inval {
	uint64_t iova, size;
	bool leaf_only;
};

/* Invalidations collected until the caller sends them. */
struct vpt_inval_list {
	struct vpt_inval *v;
	uint32_t num, cap;
};

/* vpt_pool_init - a pool over the region; @gpa, @size and @hva 4 KiB
 * aligned, @size at least one page.  Return: 0; -EINVAL; -ENOMEM. */
int vpt_pool_init(struct vpt_pool *p, uint64_t gpa, uint64_t size, void *hva);
void vpt_pool_fini(struct vpt_pool *p);
/* Pages freed since the last call become reusable (call after the
 * invalidations were sent). */
void vpt_pool_release(struct vpt_pool *p);

/* vpt_root_alloc - a zeroed top-level (PML4) page.  Return: 0; -ENOSPC. */
int vpt_root_alloc(struct vpt_pool *p, uint64_t *root);
/* vpt_root_free - free an empty root (after vpt_unmap() of everything). */
void vpt_root_free(struct vpt_pool *p, uint64_t root);
/* vpt_root_free_unused - free an empty root that no device was ever
 * given (no nested HWPT pointed at it): nothing can have cached it, so
 * it is reusable at once, without waiting for an invalidation. */
void vpt_root_free_unused(struct vpt_pool *p, uint64_t root);

/*
 * vpt_map - map [@iova, @iova + @size) to guest-physical @out (all 4 KiB
 * aligned, @size > 0, the last byte at most VPT_IOVA_LAST), writable or
 * not, with the largest leaves (1 GiB, 2 MiB, 4 KiB) that alignment
 * allows.  Nothing may be mapped there yet.
 *
 * Return: 0; -ENOSPC (the pool is full: nothing is left mapped, and the
 * pages and invalidations of the undone part are in @inv); -EEXIST
 * (something is mapped there: nothing changed); -EINVAL; -ENOMEM (@inv
 * could not grow: nothing changed).
 */
int vpt_map(struct vpt_pool *p, uint64_t root, uint64_t iova, uint64_t size,
	    uint64_t out, bool writable, struct vpt_inval_list *inv);

/*
 * vpt_unmap - clear every leaf inside [@iova, @iova + @size) and free the
 * table pages left empty; holes are fine.  The ranges to invalidate go to
 * @inv (NULL: the caller needs none, e.g. no HWPT uses the table any more).
 *
 * Return: 0; -EINVAL (a large leaf crosses an end of the range: nothing
 * changed beyond the leaves before it); -ENOMEM (@inv could not grow:
 * nothing changed).
 */
int vpt_unmap(struct vpt_pool *p, uint64_t root, uint64_t iova, uint64_t size,
	      struct vpt_inval_list *inv);

/* Reader for vpt_walk() over a pool's own memory (@arg: the pool). */
int vpt_pool_read(void *arg, uint64_t gpa, uint64_t *entry);

void vpt_inval_reset(struct vpt_inval_list *inv);
void vpt_inval_fini(struct vpt_inval_list *inv);

/*
 * Pages that tables mapping @span bytes of IOVA (one contiguous span, any
 * alignment, 4 KiB leaves) need at most, root included: the sizing rule
 * for the region (see docs/VIOMMU.md).
 */
uint64_t vpt_pages_for_span(uint64_t span);

#endif /* IOASID_LIB_VIOMMU_PGTABLE_H */
