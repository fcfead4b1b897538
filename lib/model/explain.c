// SPDX-License-Identifier: MIT
/* The words of a refusal, shared by both backends (explain.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "explain.h"
#include "resv.h"
#include "util.h"

typedef unsigned long long ull;

void explain_owner_device(struct explain_resv *r, const char *dev)
{
	snprintf(r->owner, sizeof(r->owner), "device %s", dev);
}

void explain_owner_aperture(struct explain_resv *r, uint32_t hwpt_id)
{
	snprintf(r->owner, sizeof(r->owner), "the aperture of hwpt %u", hwpt_id);
}

void explain_owner_new_aperture(struct explain_resv *r)
{
	snprintf(r->owner, sizeof(r->owner), "the aperture of the new hwpt");
}

void explain_owner_msi_bank(struct explain_resv *r, uint32_t bank,
			    const char *iommu)
{
	snprintf(r->owner, sizeof(r->owner), "msi bank %u of iommu %s", bank,
		 iommu);
}

/* ------------------------------------------------------------------ */
/* Objects                                                              */

/* "an ioas", "a hwpt", "an mdev access": by the sound of the first
 * letter as the kinds are read out. */
static const char *article(const char *kind)
{
	if (strchr("aeiou", kind[0]) || !strncmp(kind, "mdev", 4))
		return "an";
	return "a";
}

int explain_no_object(int err, const char *kind, uint32_t id)
{
	return ioasid_fail(err, "%s %u does not exist", kind, id);
}

int explain_wrong_type(int err, uint32_t id, const char *is, const char *want)
{
	return ioasid_fail(err, "%u is %s %s, not %s %s", id, article(is), is,
			   article(want), want);
}

int explain_no_device_id(uint32_t dev_id)
{
	return ioasid_fail(-ENOENT, "device id %u does not exist", dev_id);
}

int explain_ioas_busy_hwpt(uint32_t ioas_id, uint32_t hwpt_id)
{
	return ioasid_fail(-EBUSY, "ioas %u is in use by hwpt %u", ioas_id,
			   hwpt_id);
}

int explain_ioas_busy_mdev(uint32_t ioas_id, const char *mdev)
{
	return ioasid_fail(-EBUSY, "ioas %u is in use by mdev %s", ioas_id, mdev);
}

int explain_hwpt_busy_device(uint32_t hwpt_id, const char *dev)
{
	return ioasid_fail(-EBUSY, "hwpt %u is in use by device %s", hwpt_id, dev);
}

int explain_hwpt_busy_parent(uint32_t hwpt_id)
{
	return ioasid_fail(-EBUSY, "hwpt %u is the parent of a nested hwpt or vIOMMU",
			   hwpt_id);
}

int explain_hwpt_busy(uint32_t hwpt_id)
{
	return ioasid_fail(-EBUSY, "hwpt %u is in use", hwpt_id);
}

/* ------------------------------------------------------------------ */
/* Lengths and IOVAs                                                    */

int explain_bad_length(uint64_t length)
{
	return ioasid_fail(-EINVAL, "bad length %#llx", (ull)length);
}

int explain_length_zero(void)
{
	return ioasid_fail(-EINVAL, "length is 0");
}

int explain_overflow(const char *what, uint64_t start, uint64_t length)
{
	return ioasid_fail(-EOVERFLOW, "%s %#llx+%#llx overflows", what,
			   (ull)start, (ull)length);
}

int explain_unmap_too_large(void)
{
	return ioasid_fail(-EOVERFLOW, "iova or length is too large");
}

int explain_length_too_large(uint64_t length)
{
	return ioasid_fail(-EOVERFLOW, "length %#llx is too large", (ull)length);
}

int explain_length_unaligned(uint64_t length, uint64_t align, uint32_t ioas_id)
{
	return ioasid_fail(-EINVAL,
			   "length %#llx is not a multiple of the IOVA alignment %#llx of ioas %u",
			   (ull)length, (ull)align, ioas_id);
}

int explain_iova_unaligned(uint64_t iova, uint64_t align, uint32_t ioas_id)
{
	return ioasid_fail(-EINVAL,
			   "iova %#llx is not aligned to the IOVA alignment %#llx of ioas %u",
			   (ull)iova, (ull)align, ioas_id);
}

int explain_any_iova_unaligned(uint64_t addr, uint64_t length, uint64_t align,
			       uint32_t ioas_id)
{
	return ioasid_fail(-EINVAL,
			   "buffer %#llx+%#llx cannot be placed at the IOVA alignment %#llx of ioas %u",
			   (ull)addr, (ull)length, (ull)align, ioas_id);
}

int explain_page_offset(uint64_t offset, uint64_t align)
{
	return ioasid_fail(-EINVAL, "buffer page offset %#llx is not aligned to %#llx",
			   (ull)offset, (ull)align);
}

int explain_map_reserved(uint64_t iova, uint64_t length,
			 const struct explain_resv *r)
{
	return ioasid_fail(-EINVAL,
			   "iova %#llx+%#llx overlaps reserved region %#llx-%#llx (%s) of %s",
			   (ull)iova, (ull)length, (ull)r->start, (ull)r->last,
			   resv_type_str(r->type), r->owner);
}

int explain_map_reserved_unknown(uint64_t iova, uint64_t length,
				 uint64_t start, uint64_t last, uint32_t ioas_id)
{
	return ioasid_fail(-EINVAL,
			   "iova %#llx+%#llx overlaps reserved IOVA %#llx-%#llx of ioas %u, which no device or hwpt of this context reserved",
			   (ull)iova, (ull)length, (ull)start, (ull)last, ioas_id);
}

int explain_map_exists(uint64_t iova, uint64_t length, uint64_t start,
		       uint64_t last, uint32_t ioas_id)
{
	return ioasid_fail(-EEXIST,
			   "iova %#llx+%#llx overlaps mapping %#llx-%#llx of ioas %u",
			   (ull)iova, (ull)length, (ull)start, (ull)last, ioas_id);
}

int explain_map_exists_unknown(uint64_t iova, uint64_t length,
			       uint32_t ioas_id)
{
	return ioasid_fail(-EEXIST,
			   "iova %#llx+%#llx overlaps a mapping of ioas %u that this context did not make",
			   (ull)iova, (ull)length, ioas_id);
}

int explain_no_space(uint64_t length, uint64_t align, uint32_t ioas_id)
{
	return ioasid_fail(-ENOSPC,
			   "no free IOVA range of %#llx bytes (alignment %#llx) in ioas %u",
			   (ull)length, (ull)align, ioas_id);
}

int explain_not_writable(uint64_t iova)
{
	return ioasid_fail(-EPERM, "source of iova %#llx is not writable",
			   (ull)iova);
}

int explain_not_memory(uint64_t va, uint64_t length)
{
	return ioasid_fail(-EFAULT, "va %#llx+%#llx is not mapped memory",
			   (ull)va, (ull)length);
}

int explain_read_only_memory(uint64_t va, uint64_t length)
{
	return ioasid_fail(-EFAULT,
			   "va %#llx+%#llx is read-only memory: a writable mapping cannot pin it (map it without write)",
			   (ull)va, (ull)length);
}

int explain_bad_fd(int fd)
{
	return ioasid_fail(-EBADF, "fd %d is not open", fd);
}

int explain_file_not_memfd(void)
{
	return ioasid_fail(-EINVAL,
			   "file is not a memfd (shmem or hugetlbfs): it cannot be pinned");
}

int explain_file_short(uint64_t first, uint64_t last, uint64_t size)
{
	return ioasid_fail(-EINVAL, "file range %#llx-%#llx extends past its size %#llx",
			   (ull)first, (ull)last, (ull)size);
}

int explain_mapping_unaligned(uint64_t start, uint64_t last, uint32_t ioas_id,
			      uint64_t align)
{
	return ioasid_fail(-EADDRINUSE, "mapping %#llx-%#llx of ioas %u is not aligned to %#llx",
			   (ull)start, (ull)last, ioas_id, (ull)align);
}

/* ------------------------------------------------------------------ */
/* Unmap and copy                                                       */

int explain_unmap_split(uint64_t first, uint64_t last, uint64_t start,
			uint64_t end, uint32_t ioas_id)
{
	return ioasid_fail(-ENOENT,
			   "unmap range %#llx-%#llx would split mapping %#llx-%#llx of ioas %u",
			   (ull)first, (ull)last, (ull)start, (ull)end, ioas_id);
}

int explain_unmap_nothing(uint64_t iova, uint64_t length, uint32_t ioas_id)
{
	return ioasid_fail(-ENOENT, "nothing is mapped in %#llx+%#llx of ioas %u",
			   (ull)iova, (ull)length, ioas_id);
}

int explain_copy_hole(uint64_t first, uint64_t last, uint32_t ioas_id)
{
	return ioasid_fail(-ENOENT, "%#llx-%#llx of ioas %u is not fully mapped",
			   (ull)first, (ull)last, ioas_id);
}

/* ------------------------------------------------------------------ */
/* Allowed IOVAs and reserved regions                                   */

int explain_allow_inverted(uint32_t index, uint64_t start, uint64_t last)
{
	return ioasid_fail(-EINVAL, "allowed range %u (%#llx-%#llx) needs start < last",
			   index, (ull)start, (ull)last);
}

int explain_allow_overlap(uint32_t index, uint64_t start, uint64_t last)
{
	return ioasid_fail(-EINVAL,
			   "allowed range %u (%#llx-%#llx) overlaps another one",
			   index, (ull)start, (ull)last);
}

int explain_allow_reserved(uint64_t start, uint64_t last,
			   const struct explain_resv *r)
{
	return ioasid_fail(-EADDRINUSE,
			   "allowed range %#llx-%#llx overlaps reserved region %#llx-%#llx (%s) of %s",
			   (ull)start, (ull)last, (ull)r->start, (ull)r->last,
			   resv_type_str(r->type), r->owner);
}

int explain_allow_reserved_unknown(uint64_t start, uint64_t last,
				   uint64_t rstart, uint64_t rlast,
				   uint32_t ioas_id)
{
	return ioasid_fail(-EADDRINUSE,
			   "allowed range %#llx-%#llx overlaps reserved IOVA %#llx-%#llx of ioas %u, which no device or hwpt of this context reserved",
			   (ull)start, (ull)last, (ull)rstart, (ull)rlast, ioas_id);
}

int explain_reserve_mapped(const struct explain_resv *r, uint64_t start,
			   uint64_t last, uint32_t ioas_id)
{
	return ioasid_fail(-EADDRINUSE,
			   "reserved region %#llx-%#llx (%s) of %s overlaps mapping %#llx-%#llx of ioas %u",
			   (ull)r->start, (ull)r->last, resv_type_str(r->type),
			   r->owner, (ull)start, (ull)last, ioas_id);
}

int explain_reserve_allowed(const struct explain_resv *r, uint64_t start,
			    uint64_t last, uint32_t ioas_id)
{
	return ioasid_fail(-EADDRINUSE,
			   "reserved region %#llx-%#llx (%s) of %s overlaps allowed range %#llx-%#llx of ioas %u",
			   (ull)r->start, (ull)r->last, resv_type_str(r->type),
			   r->owner, (ull)start, (ull)last, ioas_id);
}

/* ------------------------------------------------------------------ */
/* VFIO no-IOMMU mode                                                   */

int explain_noiommu_last_iova(uint64_t iova)
{
	return ioasid_fail(-EOVERFLOW,
			   "iova %#llx is the last address, which the kernel cannot look up",
			   (ull)iova);
}

int explain_noiommu_unmapped(uint64_t iova, uint32_t ioas_id)
{
	return ioasid_fail(-ENOENT, "nothing is mapped at iova %#llx of ioas %u",
			   (ull)iova, ioas_id);
}

int explain_noiommu_not_in_use(uint32_t ioas_id)
{
	return ioasid_fail(-EOPNOTSUPP,
			   "ioas %u is not in no-IOMMU use: no noiommu device (a noiommu-vfioN cdev, vfio.enable_unsafe_noiommu_mode=1) is attached to it, and only then are its IOVAs backed by physical addresses the kernel gives out",
			   ioas_id);
}

int explain_noiommu_sim(uint32_t ioas_id)
{
	return ioasid_fail(-EOPNOTSUPP,
			   "ioas %u is not in no-IOMMU use: the simulator has no no-IOMMU devices (it has no physical addresses)",
			   ioas_id);
}

int explain_noiommu_rawio(void)
{
	return ioasid_fail(-EPERM,
			   "asking the physical address of an IOVA needs CAP_SYS_RAWIO in the effective set");
}

int explain_noiommu_no_config(void)
{
	return ioasid_fail(-EOPNOTSUPP,
			   "the running kernel was built without CONFIG_IOMMUFD_NOIOMMU (selected by CONFIG_VFIO_NOIOMMU with CONFIG_VFIO_DEVICE_CDEV), so it has no no-IOMMU IOASes");
}
