/* SPDX-License-Identifier: MIT */
/*
 * The few pieces of the CONFIG_IOMMUFD_TEST ioctl ABI (IOMMU_TEST_CMD) the
 * kernel backend uses for mock devices.  The kernel does not export this
 * header to uapi, so these definitions are written here from the ABI the
 * kernel documents in drivers/iommu/iommufd/iommufd_test.h.  They mirror
 * the kernel's test ABI of Linux 7.3 and must be checked against it when
 * moving to a newer kernel: op numbers are positions in an enum there, and
 * the command's size is the size of its whole union.
 */
#ifndef IOASID_LIB_IOMMUFD_TEST_ABI_H
#define IOASID_LIB_IOMMUFD_TEST_ABI_H

#include <stddef.h>
#include <stdint.h>

/* ioctl number: IOMMUFD_CMD_BASE (0x80) + 32, type ';', no direction. */
#define IOASID_TEST_CMD_NR 0xa0

enum ioasid_test_op {
	IOASID_TEST_OP_ADD_RESERVED = 1,
	IOASID_TEST_OP_MOCK_DOMAIN = 2,
	IOASID_TEST_OP_MD_CHECK_MAP = 3,
	IOASID_TEST_OP_MD_CHECK_REFS = 4,
	IOASID_TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	IOASID_TEST_OP_MOCK_DOMAIN_FLAGS = 12,
	IOASID_TEST_OP_DIRTY = 13,
	IOASID_TEST_OP_MD_CHECK_IOTLB = 14,
	IOASID_TEST_OP_TRIGGER_IOPF = 15,
	IOASID_TEST_OP_TRIGGER_VEVENT = 17,
	IOASID_TEST_OP_PASID_ATTACH = 18,
	IOASID_TEST_OP_PASID_REPLACE = 19,
	IOASID_TEST_OP_PASID_DETACH = 20,
	IOASID_TEST_OP_PASID_CHECK_HWPT = 21,
};

/* Mock device flags of MOCK_DOMAIN_FLAGS. */
#define IOASID_TEST_MOCK_DEV_NO_DIRTY (1u << 0)
#define IOASID_TEST_MOCK_DEV_PASID (1u << 2)

/* Aperture of the default mock domain. */
#define IOASID_TEST_MOCK_APERTURE_START (1ull << 24)
#define IOASID_TEST_MOCK_APERTURE_LAST ((1ull << 31) - 1)

struct ioasid_test_cmd {
	uint32_t size;
	uint32_t op;
	uint32_t id; /* IOAS, HWPT or mock device object, per op */
	uint32_t reserved;
	union {
		struct {
			uint64_t start;
			uint64_t length;
		} add_reserved;
		/* MOCK_DOMAIN and MOCK_DOMAIN_FLAGS (dev_flags). */
		struct {
			uint32_t out_stdev_id; /* destroy it to remove the device */
			uint32_t out_hwpt_id;
			uint32_t out_idev_id; /* the iommufd device id */
			uint32_t dev_flags;
		} mock_domain;
		struct {
			uint32_t pt_id; /* in: IOAS or HWPT; out: HWPT */
		} mock_domain_replace;
		struct {
			uint64_t iova;
			uint64_t length;
			uint64_t uptr;
		} check_map;
		struct {
			uint64_t length;
			uint64_t uptr;
			uint32_t refs;
		} check_refs;
		/* PASID ops: id is the mock device object. */
		struct {
			uint32_t pasid;
			uint32_t pt_id;
		} pasid_attach; /* and PASID_REPLACE */
		struct {
			uint32_t pasid;
		} pasid_detach;
		struct {
			uint32_t pasid;
			uint32_t hwpt_id;
		} pasid_check;
		/* DIRTY: id is the mock HWPT; mark the page of each set bit
		 * of the bitmap at uptr dirty. */
		struct {
			uint32_t flags;
			uint32_t pad;
			uint64_t iova;
			uint64_t length;
			uint64_t page_size;
			uint64_t uptr;
			uint64_t out_nr_dirty;
		} dirty;
		/* MD_CHECK_IOTLB: id is the nested HWPT. */
		struct {
			uint32_t index;
			uint32_t value;
		} check_iotlb;
		/* TRIGGER_IOPF: dev_id is the iommufd device id. */
		struct {
			uint32_t dev_id;
			uint32_t pasid;
			uint32_t grpid;
			uint32_t perm;
			uint64_t addr;
		} trigger_iopf;
		struct {
			uint32_t dev_id;
		} trigger_vevent;
		/* The kernel's largest member is 48 bytes. */
		uint64_t union_size[6];
	};
	uint32_t last;
};

_Static_assert(offsetof(struct ioasid_test_cmd, last) == 64,
	       "IOMMU_TEST_CMD layout differs from the kernel's");
_Static_assert(sizeof(struct ioasid_test_cmd) == 72,
	       "IOMMU_TEST_CMD size differs from the kernel's");
_Static_assert(offsetof(struct ioasid_test_cmd, dirty.iova) == 24 &&
		       offsetof(struct ioasid_test_cmd, dirty.page_size) == 40 &&
		       offsetof(struct ioasid_test_cmd, dirty.uptr) == 48 &&
		       offsetof(struct ioasid_test_cmd, dirty.out_nr_dirty) == 56,
	       "IOMMU_TEST_OP_DIRTY layout differs from the kernel's");
_Static_assert(offsetof(struct ioasid_test_cmd, check_iotlb.value) == 20,
	       "IOMMU_TEST_OP_MD_CHECK_IOTLB layout differs from the kernel's");
_Static_assert(offsetof(struct ioasid_test_cmd, trigger_iopf.perm) == 28 &&
		       offsetof(struct ioasid_test_cmd, trigger_iopf.addr) == 32,
	       "IOMMU_TEST_OP_TRIGGER_IOPF layout differs from the kernel's");
_Static_assert(offsetof(struct ioasid_test_cmd, trigger_vevent.dev_id) == 16,
	       "IOMMU_TEST_OP_TRIGGER_VEVENT layout differs from the kernel's");

/* Event data of a selftest vEVENTQ (IOASID_VEVENTQ_TYPE_SELFTEST): the
 * reporting mock device's u32 virt id. */
#define IOASID_TEST_VEVENT_DATA_LEN 4u

#endif /* IOASID_LIB_IOMMUFD_TEST_ABI_H */
