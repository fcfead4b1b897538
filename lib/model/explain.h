/* SPDX-License-Identifier: MIT */
/*
 * The words of a refusal, one string for both backends: the simulator
 * says them when its model refuses a request, the kernel backend when
 * the kernel refused it and what the backend knows (IOMMU_IOAS_IOVA_RANGES,
 * sysfs, its record of mappings and objects) says why.  The kernel
 * backend then adds the ioctl and its errno, " (IOMMU_IOAS_MAP: EINVAL)";
 * everything before that is the same on both, which the differential
 * scripts check (tests/scripts/diff-why-*.batch, docs/TESTING.md).
 *
 * Each function records the message with ioasid_fail() and returns @err
 * (or the errno it names), so callers write "return explain_...(...);".
 * Never installed.
 */
#ifndef IOASID_LIB_EXPLAIN_H
#define IOASID_LIB_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include <ioasid/ioasid.h>

/* A reserved region and who reserved it, as the messages name it. */
struct explain_resv {
	uint64_t start, last;
	enum ioasid_resv_type type;
	char owner[96]; /* explain_owner_*() */
};

/* Owners: "device NAME", "the aperture of hwpt ID", "the aperture of
 * the new hwpt" (one that was being added to the IOAS when the request
 * failed, so it has no id left), "msi bank N of iommu NAME". */
void explain_owner_device(struct explain_resv *r, const char *dev);
void explain_owner_aperture(struct explain_resv *r, uint32_t hwpt_id);
void explain_owner_new_aperture(struct explain_resv *r);
void explain_owner_msi_bank(struct explain_resv *r, uint32_t bank,
			    const char *iommu);

/* ---- Objects ---- */

/* "ioas 7 does not exist" (@kind: "ioas", "hwpt", "ioas or hwpt", ...). */
int explain_no_object(int err, const char *kind, uint32_t id);
/* "4 is a device, not an ioas": @is and @want are object kinds ("ioas",
 * "hwpt", "ioas or hwpt", "device", "selftest object", ...); the
 * articles follow. */
int explain_wrong_type(int err, uint32_t id, const char *is, const char *want);
/* "device id 9 does not exist" (IOMMU_HWPT_ALLOC's dev_id). */
int explain_no_device_id(uint32_t dev_id);

/* EBUSY from IOMMU_DESTROY: what holds the object. */
int explain_ioas_busy_hwpt(uint32_t ioas_id, uint32_t hwpt_id);
int explain_ioas_busy_mdev(uint32_t ioas_id, const char *mdev);
int explain_hwpt_busy_device(uint32_t hwpt_id, const char *dev);
int explain_hwpt_busy_parent(uint32_t hwpt_id);
int explain_hwpt_busy(uint32_t hwpt_id);

/* ---- Lengths and IOVAs ---- */

/* EINVAL: a length of 0, or one the kernel cannot count in pages. */
int explain_bad_length(uint64_t length);
/* EINVAL: "length is 0" (unmap, copy, map of a file). */
int explain_length_zero(void);
/* EOVERFLOW: "@what 0x...+0x... overflows" (@what: "iova", "va",
 * "file offset"). */
int explain_overflow(const char *what, uint64_t start, uint64_t length);
/* EOVERFLOW: unmap's IOVA or length at U64_MAX (not the unmap-all). */
int explain_unmap_too_large(void);
/* EOVERFLOW: a chosen IOVA for a length the allocator cannot round. */
int explain_length_too_large(uint64_t length);

/* EINVAL from the IOAS's alignment (the largest smallest page size of
 * its domains, IOMMU_IOAS_IOVA_RANGES out_iova_alignment). */
int explain_length_unaligned(uint64_t length, uint64_t align, uint32_t ioas_id);
int explain_iova_unaligned(uint64_t iova, uint64_t align, uint32_t ioas_id);
/* EINVAL: a chosen IOVA keeps the buffer's alignment, capped by the
 * length and the huge page size; below the IOAS's alignment it cannot. */
int explain_any_iova_unaligned(uint64_t addr, uint64_t length, uint64_t align,
			       uint32_t ioas_id);
/* EINVAL: the buffer's offset in its CPU page breaks the alignment. */
int explain_page_offset(uint64_t offset, uint64_t align);

/* EINVAL: [iova, iova + length) meets reserved region @r. */
int explain_map_reserved(uint64_t iova, uint64_t length,
			 const struct explain_resv *r);
/* EINVAL: it meets reserved IOVA [start, last] that no device or HWPT
 * the backend knows of explains (IOMMU_TEST_OP_ADD_RESERVED, or objects
 * of another process sharing the iommufd). */
int explain_map_reserved_unknown(uint64_t iova, uint64_t length,
				 uint64_t start, uint64_t last, uint32_t ioas_id);
/* EEXIST: it meets mapping [start, last]. */
int explain_map_exists(uint64_t iova, uint64_t length, uint64_t start,
		       uint64_t last, uint32_t ioas_id);
/* EEXIST with no mapping the backend knows of there. */
int explain_map_exists_unknown(uint64_t iova, uint64_t length,
			       uint32_t ioas_id);
/* ENOSPC: no hole for a chosen IOVA. */
int explain_no_space(uint64_t length, uint64_t align, uint32_t ioas_id);
/* EPERM: a writable copy of a read-only mapping. */
int explain_not_writable(uint64_t iova);
/* EFAULT: the user range is not mapped memory at all. */
int explain_not_memory(uint64_t va, uint64_t length);

/* EFAULT: writable mapping of user memory that is mapped read-only. */
int explain_read_only_memory(uint64_t va, uint64_t length);
/* EBADF: the file to map is not open. */
int explain_bad_fd(int fd);
/* EINVAL: a file that cannot be pinned, or one too short. */
int explain_file_not_memfd(void);
int explain_file_short(uint64_t first, uint64_t last, uint64_t size);
/* EADDRINUSE: a domain joining the IOAS raises its alignment to @align,
 * which mapping [start, last] does not keep. */
int explain_mapping_unaligned(uint64_t start, uint64_t last, uint32_t ioas_id,
			      uint64_t align);

/* ---- Unmap and copy ---- */

/* ENOENT: the range cuts mapping [start, last]; nothing after it was
 * unmapped. */
int explain_unmap_split(uint64_t first, uint64_t last, uint64_t start,
			uint64_t end, uint32_t ioas_id);
int explain_unmap_nothing(uint64_t iova, uint64_t length, uint32_t ioas_id);
/* ENOENT: a copy's source [first, last] has a hole. */
int explain_copy_hole(uint64_t first, uint64_t last, uint32_t ioas_id);

/* ---- Allowed IOVAs and reserved regions ---- */

/* EINVAL from IOMMU_IOAS_ALLOW_IOVAS: range @index inverted or
 * overlapping an earlier one. */
int explain_allow_inverted(uint32_t index, uint64_t start, uint64_t last);
int explain_allow_overlap(uint32_t index, uint64_t start, uint64_t last);
/* EADDRINUSE: allowed range [start, last] covers reserved region @r. */
int explain_allow_reserved(uint64_t start, uint64_t last,
			   const struct explain_resv *r);
/* EADDRINUSE: allowed range [start, last] covers reserved IOVA
 * [rstart, rlast] that no device or HWPT the backend knows of explains. */
int explain_allow_reserved_unknown(uint64_t start, uint64_t last,
				   uint64_t rstart, uint64_t rlast,
				   uint32_t ioas_id);
/* EADDRINUSE: a region being reserved (a device or domain joining the
 * IOAS) meets mapping or allowed range [start, last]. */
int explain_reserve_mapped(const struct explain_resv *r, uint64_t start,
			   uint64_t last, uint32_t ioas_id);
int explain_reserve_allowed(const struct explain_resv *r, uint64_t start,
			    uint64_t last, uint32_t ioas_id);

/* ---- VFIO no-IOMMU mode (IOMMU_IOAS_NOIOMMU_GET_PA) ---- */

/* EOVERFLOW: @iova is the last address (ioas.c: iova >= ULONG_MAX). */
int explain_noiommu_last_iova(uint64_t iova);
/* ENOENT: nothing of IOAS @ioas_id is mapped at @iova. */
int explain_noiommu_unmapped(uint64_t iova, uint32_t ioas_id);
/* EOPNOTSUPP: IOAS @ioas_id has no no-IOMMU device attached, so its
 * pages are in no software page table that knows their addresses. */
int explain_noiommu_not_in_use(uint32_t ioas_id);
/* EOPNOTSUPP: the simulator has no no-IOMMU devices (and no physical
 * addresses), so no IOAS of it is ever in no-IOMMU use. */
int explain_noiommu_sim(uint32_t ioas_id);
/* EPERM: the caller lacks CAP_SYS_RAWIO. */
int explain_noiommu_rawio(void);
/* EOPNOTSUPP: the kernel was built without CONFIG_IOMMUFD_NOIOMMU (it
 * then refuses every request before looking at the IOAS). */
int explain_noiommu_no_config(void);

#endif /* IOASID_LIB_EXPLAIN_H */
