/* SPDX-License-Identifier: MIT */
/*
 * libioasid testing interface: what tests and test tools use and a VMM
 * never needs.  Not included by <ioasid/ioasid.h>; its functions sit in
 * their own version node (IOASID_TESTING_0.1.0), so a VMM linked without
 * this header carries no reference to it.
 *
 * - The values and data layouts of the kernel's CONFIG_IOMMUFD_TEST mock
 *   (drivers/iommu/iommufd/iommufd_test.h keeps them out of the uAPI
 *   too): the hw info, HWPT data, invalidation, vIOMMU and vEVENTQ
 *   types of the mock, and its stage-1 and invalidation entries.
 * - Test hooks that make the backend do what a device would: mark pages
 *   dirty, raise an I/O page fault, report a vIOMMU event, read a mock
 *   IOTLB entry (the simulator, and IOMMU_TEST_CMD on a
 *   CONFIG_IOMMUFD_TEST kernel).
 * - PowerPC PAMU style MSI banks, hardware that Linux iommufd has no
 *   interface for: only the simulator has them.
 *
 * Errors follow libioasid(3): 0 or a negative errno, errno set, a message
 * for ioasid_errmsg().
 */
#ifndef IOASID_TESTING_H
#define IOASID_TESTING_H

#include <stdbool.h>
#include <stdint.h>

#include <ioasid/ctx.h>
#include <ioasid/device.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* The CONFIG_IOMMUFD_TEST mock's types (the values of the kernel's
 * iommufd_test.h)                                                      */

/* struct ioasid_hw_info.type of a mock device. */
#define IOASID_HW_INFO_SELFTEST 0xfeedbeefu

/* Nested HWPT data type of the mock: the data is a struct
 * ioasid_hwpt_selftest. */
#define IOASID_HWPT_DATA_SELFTEST 0xdeadu

/* Mock stage 1 (IOASID_HWPT_DATA_SELFTEST): each of the 4 IOTLB entries
 * of the nested domain starts at @iotlb; invalidation zeroes them. */
struct ioasid_hwpt_selftest {
	uint32_t iotlb;
	uint32_t pagetable_type; /* 0 */
};
#define IOASID_TEST_IOTLB_DEFAULT 0xbadbeefu
#define IOASID_TEST_IOTLB_NUM 4

/* Invalidation data type of the mock (ioasid_hwpt_invalidate()): the
 * entries are struct ioasid_invalidate_selftest. */
#define IOASID_INVALIDATE_DATA_SELFTEST 0xdeadbeefu

/* IOASID_INVALIDATE_DATA_SELFTEST entry for a nested HWPT. */
struct ioasid_invalidate_selftest {
	uint32_t flags; /* IOASID_TEST_INVALIDATE_ALL */
	uint32_t iotlb_id; /* 0-3 */
};
#define IOASID_TEST_INVALIDATE_ALL (1u << 0)

/* vIOMMU and vEVENTQ types of the mock (ioasid_viommu_alloc(),
 * ioasid_veventq_alloc()). */
#define IOASID_VIOMMU_TYPE_SELFTEST 0xdeadbeefu
#define IOASID_VEVENTQ_TYPE_SELFTEST 0xbeefbeefu

/* Driver data of a mock vIOMMU (ioasid_viommu_alloc_data()): the mock
 * copies @in_data to @out_data and to the first word of its two-page
 * MMIO region, whose mmap offset and length it returns. */
struct ioasid_viommu_selftest {
	uint32_t in_data;
	uint32_t out_data;
	uint64_t out_mmap_offset;
	uint64_t out_mmap_length;
};

/* HW queue type of the mock (ioasid_hw_queue_alloc()): indexes 0 and 1,
 * each only after the one before it, destroyed in the reverse order. */
#define IOASID_HW_QUEUE_TYPE_SELFTEST 0xdeadbeefu
#define IOASID_TEST_HW_QUEUE_MAX 2

/* ------------------------------------------------------------------ */
/* Test hooks (see ioasid_test_dirty(3))                                */

/*
 * Test hooks: the simulator, and mock devices of a CONFIG_IOMMUFD_TEST
 * kernel (IOMMU_TEST_CMD); -EOPNOTSUPP otherwise.
 * ioasid_test_dirty - mark the pages of @bitmap (as for
 *   ioasid_hwpt_get_dirty_bitmap()) dirty in HWPT @hwpt_id, which must
 *   track (-EINVAL); @nr_dirty (may be NULL) gets the count of set bits.
 * ioasid_test_iopf - raise an I/O page fault from @dev at @addr (PASID
 *   0: none); it goes to the fault queue of the HWPT in use, if any.
 * ioasid_test_vevent - have the vIOMMU of @dev's vDEVICE report a
 *   selftest event carrying its virt id (-ENOENT: no vDEVICE;
 *   -EOPNOTSUPP: no selftest queue).
 * ioasid_test_check_iotlb - whether IOTLB entry @index of a selftest
 *   nested HWPT holds @value (-EINVAL if not).
 */
IOASID_API int ioasid_test_dirty(struct ioasid_ctx *ctx, uint32_t hwpt_id,
				 uint64_t iova, uint64_t length,
				 uint64_t page_size, const uint64_t *bitmap,
				 uint64_t *nr_dirty);
IOASID_API int ioasid_test_iopf(struct ioasid_dev *dev, uint32_t pasid,
				uint32_t grpid, uint32_t perm, uint64_t addr);
IOASID_API int ioasid_test_vevent(struct ioasid_dev *dev);
IOASID_API int ioasid_test_check_iotlb(struct ioasid_ctx *ctx, uint32_t hwpt_id,
				       uint32_t index, uint32_t value);

/* ------------------------------------------------------------------ */
/* PowerPC PAMU style MSI banks (see ioasid_ioas_msi_banks(3)): doorbell
 * windows the user maps at an IOVA of their choice.  Only the simulator
 * has them (a topology's msi_banks); Linux iommufd has no interface for
 * PAMU, so the kernel backend answers -EOPNOTSUPP.                      */

struct ioasid_msi_bank {
	char iommu[IOASID_NAME_MAX]; /* the IOMMU that owns the bank */
	uint32_t bank;		     /* its number on that IOMMU */
	uint64_t size;		     /* window size, a power of two */
	uint64_t iova;		     /* where it is mapped (if mapped) */
	bool mapped;
	/* Mapped and a group behind its IOMMU is attached to the IOAS. */
	bool enabled;
};

/*
 * ioasid_ioas_msi_banks - the MSI banks of IOAS @ioas_id: every bank of
 * each IOMMU behind a group attached to it, plus the banks of an IOMMU
 * whose last group left while one of its banks stayed mapped.  IOMMUs in
 * topology order, banks in number order; an entry's index is what
 * ioasid_ioas_map_msi_bank() takes.  @banks/@num as for
 * ioasid_ioas_iova_ranges() (-EMSGSIZE).
 *
 * Return: 0; -ENOENT; -EMSGSIZE; -EOPNOTSUPP (kernel backend).
 */
IOASID_API int ioasid_ioas_msi_banks(struct ioasid_ctx *ctx, uint32_t ioas_id,
				     struct ioasid_msi_bank *banks,
				     uint32_t *num);

/*
 * ioasid_ioas_map_msi_bank - map bank @bank (an index into
 * ioasid_ioas_msi_banks()) at @iova, aligned to the bank's size.  The
 * window becomes a sw-msi reserved region of the IOAS.
 *
 * Return: 0; -ENOENT; -ENOSPC (@bank is past the count); -EINVAL
 * (misaligned @iova); -EBUSY (the bank is mapped already); -EADDRINUSE
 * (the window overlaps a mapping, an allowed range or a reserved
 * region); -EOPNOTSUPP (kernel backend).
 */
IOASID_API int ioasid_ioas_map_msi_bank(struct ioasid_ctx *ctx,
					uint32_t ioas_id, uint32_t bank,
					uint64_t iova);

/* ioasid_ioas_unmap_msi_bank - unmap bank @bank and release its region.
 * Return: 0; -ENOENT (no such IOAS, or the bank is not mapped); -ENOSPC;
 * -EOPNOTSUPP. */
IOASID_API int ioasid_ioas_unmap_msi_bank(struct ioasid_ctx *ctx,
					  uint32_t ioas_id, uint32_t bank);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_TESTING_H */
