/* SPDX-License-Identifier: MIT */
/*
 * libioasid I/O address spaces (IOAS): create them, map process memory or
 * memfds into them, unmap, copy, and ask which IOVAs are usable.
 */
#ifndef IOASID_IOAS_H
#define IOASID_IOAS_H

#include <stdbool.h>
#include <stdint.h>

#include <ioasid/ctx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* IOAS: an I/O address space, what devices attach to and memory is
 * mapped into.                                                         */

/* ioasid_ioas_alloc - create an empty IOAS; its id goes to @ioas_id. */
IOASID_API int ioasid_ioas_alloc(struct ioasid_ctx *ctx, uint32_t *ioas_id);

/*
 * ioasid_ioas_destroy - destroy an IOAS and every mapping in it.
 *
 * Return: 0, -ENOENT (no such IOAS), -EBUSY (a device or HWPT uses it).
 */
IOASID_API int ioasid_ioas_destroy(struct ioasid_ctx *ctx, uint32_t ioas_id);

/* Access of a mapping, and IOVA placement. */
#define IOASID_MAP_READ (1u << 0)
#define IOASID_MAP_WRITE (1u << 1)
/* The IOVA is an output: the backend picks the lowest suitable IOVA,
 * aligned like the kernel does (to the length rounded up to a power of
 * two, at most 2 MiB, and keeping the buffer's own alignment). */
#define IOASID_MAP_ANY_IOVA (1u << 2)

struct ioasid_map_opts {
	size_t sz;
	/* IOASID_MAP_*; NULL opts mean READ | WRITE at the given IOVA.
	 * At least one of READ and WRITE is required. */
	uint32_t flags;
	size_t : 0;
};
#define ioasid_map_opts__last_field flags

/*
 * ioasid_ioas_map - map @length bytes of process memory at @va into an
 * IOAS.
 * @iova: in: the IOVA (unless IOASID_MAP_ANY_IOVA); out: the IOVA used.
 *
 * Return: 0; -ENOENT (no such IOAS); -EINVAL (zero length, a length or
 * IOVA not aligned to the IOAS's IOVA alignment, the range touches a
 * reserved IOVA, no access flag); -EOPNOTSUPP (unknown
 * flag bits, as the kernel answers); -EEXIST (overlaps a mapping);
 * -EOVERFLOW (@iova + @length wraps); -ENOSPC (no free IOVA range fits,
 * with IOASID_MAP_ANY_IOVA); -EFAULT (@va is NULL or not mapped memory);
 * -ENOMEM (locked-memory limit).
 */
IOASID_API int ioasid_ioas_map(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       void *va, uint64_t length, uint64_t *iova,
			       const struct ioasid_map_opts *opts);

/*
 * ioasid_ioas_map_file - like ioasid_ioas_map(), but the memory is
 * @length bytes of the file @fd (a memfd) from offset @start; on Linux
 * 6.19 and later also a device BAR's dma-buf (ioasid_dev_dma_buf()).
 */
IOASID_API int ioasid_ioas_map_file(struct ioasid_ctx *ctx, uint32_t ioas_id,
				    int fd, uint64_t start, uint64_t length,
				    uint64_t *iova,
				    const struct ioasid_map_opts *opts);

/*
 * ioasid_ioas_unmap - remove every mapping inside [@iova, @iova+@length-1].
 * @unmapped: if not NULL, receives the number of bytes removed.
 *
 * The range must cover whole mappings; holes are allowed but the range
 * must contain at least one mapping.  An IOVA of 0 with a length of
 * UINT64_MAX empties the IOAS and succeeds even if it was empty.
 *
 * Return: 0; -ENOENT (no such IOAS, nothing mapped in the range, or the
 * range would split a mapping); -EINVAL (zero length); -EOVERFLOW.
 * Kernel behaviour kept by both backends: when the range's end splits a
 * mapping, whole mappings before that point have been removed when
 * -ENOENT comes back.  A range whose start splits a mapping removes
 * nothing.
 */
IOASID_API int ioasid_ioas_unmap(struct ioasid_ctx *ctx, uint32_t ioas_id,
				 uint64_t iova, uint64_t length,
				 uint64_t *unmapped);

/* ioasid_ioas_unmap_all - remove every mapping; same as an unmap of
 * [0, UINT64_MAX]. */
IOASID_API int ioasid_ioas_unmap_all(struct ioasid_ctx *ctx, uint32_t ioas_id,
				     uint64_t *unmapped);

/*
 * ioasid_ioas_copy - map into @dst_ioas the memory that backs
 * [@src_iova, @src_iova+@length-1] of @src_ioas, without pinning it again.
 * @dst_iova: in/out as for ioasid_ioas_map() (opts flags apply).
 *
 * The source range must be fully mapped (-ENOENT otherwise).
 */
IOASID_API int ioasid_ioas_copy(struct ioasid_ctx *ctx, uint32_t dst_ioas,
				uint64_t *dst_iova, uint32_t src_ioas,
				uint64_t src_iova, uint64_t length,
				const struct ioasid_map_opts *opts);

/*
 * ioasid_ioas_iova_ranges - the IOVA ranges that may be mapped now.
 * @ranges: array of *@num entries (may be NULL when *@num is 0).
 * @num: in: array size; out: how many ranges there are.
 * @alignment: if not NULL, receives the IOVA alignment every mapping's
 *             IOVA and length must honour.
 *
 * The ranges exclude the reserved regions of every attached device and
 * lie inside every attached IOMMU's aperture.  As in the kernel, the
 * allow-list does not narrow them: it limits where mappings may go, not
 * what the IOMMUs can translate.
 *
 * Return: 0; -EMSGSIZE when the array was too small (*@num then holds the
 * count needed and the first entries are filled); -ENOENT.
 */
IOASID_API int ioasid_ioas_iova_ranges(struct ioasid_ctx *ctx,
				       uint32_t ioas_id,
				       struct ioasid_iova_range *ranges,
				       uint32_t *num, uint64_t *alignment);

/*
 * ioasid_ioas_allow_iovas - restrict the IOVAs the backend chooses
 * (IOASID_MAP_ANY_IOVA) to @ranges, replacing any earlier list; @num 0
 * removes the restriction.  As in the kernel, a mapping at a fixed IOVA
 * is not limited by the list, and existing mappings are not checked;
 * what the list does promise is that no device whose reserved regions
 * overlap it can attach afterwards (-EADDRINUSE then).  Ranges may not
 * overlap each other and need start < last.
 *
 * Return: 0; -ENOENT; -EINVAL (bad or overlapping range); -EADDRINUSE
 * (an allowed range overlaps a reserved region of an attached device or
 * an IOMMU aperture limit).
 */
IOASID_API int ioasid_ioas_allow_iovas(struct ioasid_ctx *ctx,
				       uint32_t ioas_id,
				       const struct ioasid_iova_range *ranges,
				       uint32_t num);

/* ------------------------------------------------------------------ */
/* Live update: handing the context to another process                  */

struct ioasid_change_process_opts {
	size_t sz;
	/* None defined yet: 0 (anything else is -EOPNOTSUPP, as the
	 * kernel answers a non-zero reserved field). */
	uint32_t flags;
	size_t : 0;
};
#define ioasid_change_process_opts__last_field flags

/*
 * ioasid_ioas_change_process - charge the pinned pages of every mapping
 * of every IOAS of @ctx to the calling process (IOMMU_IOAS_CHANGE_PROCESS,
 * Linux 6.13), and release them from the process that pinned them: the
 * step a VMM's successor takes after it got the iommufd (an exec, a new
 * process that received the fd), before the old process goes.  Every
 * mapping must have been made with ioasid_ioas_map_file(): memory mapped
 * from an address space stays tied to it.  On failure nothing changed.
 * From the process that pinned the pages, it changes nothing.
 *
 * Return: 0; -EINVAL (a mapping of process memory, ioasid_ioas_map(), in
 * some IOAS: the message names it); -EOPNOTSUPP (unknown flags; a kernel
 * before 6.13); -ENOMEM (the calling process's locked-memory limit).
 */
IOASID_API int ioasid_ioas_change_process(struct ioasid_ctx *ctx,
			const struct ioasid_change_process_opts *opts);

/* ------------------------------------------------------------------ */
/* VFIO no-IOMMU mode: the physical address behind an IOVA              */

struct ioasid_noiommu_get_pa_opts {
	size_t sz;
	/* None defined yet: 0 (anything else is -EOPNOTSUPP, as the
	 * kernel answers non-zero flags). */
	uint32_t flags;
	size_t : 0;
};
#define ioasid_noiommu_get_pa_opts__last_field flags

/*
 * ioasid_ioas_noiommu_get_pa - the physical address that IOVA @iova of
 * IOAS @ioas_id maps (IOMMU_IOAS_NOIOMMU_GET_PA, Linux 7.3), for a device
 * in VFIO no-IOMMU mode: without an IOMMU the device sees physical
 * addresses, so user space programs its DMA with these.  The IOAS must
 * have a no-IOMMU device (a noiommu-vfioN cdev, vfio.enable_unsafe_noiommu_mode=1)
 * attached, which makes its mappings pinned pages with a software page
 * table; the caller needs CAP_SYS_RAWIO.
 *
 * @length: how many bytes from @iova to ask about, at least 1; it caps
 * *@contig.  @opts: NULL or flags 0.
 * *@phys gets the physical address of @iova (its offset in the page
 * kept), *@contig how many bytes from there, at most @length and within
 * the mapping, are physically contiguous: the run to program as one DMA
 * segment; ask again at @iova + *@contig for the next.  Both untouched
 * on failure; either may be NULL.
 *
 * Return: 0; -EINVAL (@length 0; bad opts); -EOVERFLOW (@iova is the last
 * address, UINT64_MAX); -EOPNOTSUPP (unknown flags; the IOAS has no
 * no-IOMMU device attached, which is always so on the simulator; a
 * kernel without CONFIG_IOMMUFD_NOIOMMU); -ENOENT (no such IOAS, or
 * nothing mapped at @iova); -EPERM (no CAP_SYS_RAWIO); -ENOTTY (a kernel
 * before 7.3).
 */
IOASID_API int ioasid_ioas_noiommu_get_pa(struct ioasid_ctx *ctx,
			uint32_t ioas_id, uint64_t iova, uint64_t length,
			const struct ioasid_noiommu_get_pa_opts *opts,
			uint64_t *phys, uint64_t *contig);

/* ------------------------------------------------------------------ */
/* Options of an IOAS (IOMMU_OPTION)                                    */

/*
 * ioasid_ioas_set_huge_pages - allow (default) or forbid IOMMU mappings
 * larger than a page in an IOAS.  Forbidding raises the IOAS's IOVA
 * alignment to the CPU page size.
 *
 * Return: 0; -ENOENT; -EINVAL (forbidding while devices are attached and
 * memory is mapped); -EADDRINUSE (a mapping is not page aligned).
 */
IOASID_API int ioasid_ioas_set_huge_pages(struct ioasid_ctx *ctx,
					  uint32_t ioas_id, bool enable);
IOASID_API int ioasid_ioas_get_huge_pages(struct ioasid_ctx *ctx,
					  uint32_t ioas_id, bool *enabled);

/* ------------------------------------------------------------------ */
/* The reserved regions of an IOAS                                      */

/*
 * ioasid_ioas_resv_regions - the typed holes of IOAS @ioas_id: the
 * reserved regions (with aperture limits) of every device of this context
 * attached to it or to one of its HWPTs, merged as
 * ioasid_endpoints_combine() does.  The usable ranges are
 * ioasid_ioas_iova_ranges().  Return: 0; -ENOENT (no such IOAS);
 * -EMSGSIZE.
 */
IOASID_API int ioasid_ioas_resv_regions(struct ioasid_ctx *ctx,
					uint32_t ioas_id,
					struct ioasid_resv_region *regions,
					uint32_t *num);

/* ------------------------------------------------------------------ */
/* What an IOAS maps                                                    */

/* What backs a mapping (struct ioasid_mapping.kind). */
#define IOASID_MAPPING_UNKNOWN 0u /* kernel: copied from an IOAS this
				    * context has no record of */
#define IOASID_MAPPING_MEMORY 1u  /* process memory, ioasid_ioas_map() */
#define IOASID_MAPPING_FILE 2u	  /* a file, ioasid_ioas_map_file() */

/*
 * One mapping of an IOAS, as ioasid_ioas_for_each_mapping() reports it.
 * The library fills it and sets sz to the bytes it filled: a program
 * built against a newer header reads a member added later only when sz
 * covers it.  A mapping made by ioasid_ioas_copy() reports the memory
 * behind it, as the source mapping does; a copy of several source
 * mappings is one mapping per source mapping, as in the kernel.
 */
struct ioasid_mapping {
	size_t sz;
	uint64_t iova;
	uint64_t length;
	uint32_t flags; /* IOASID_MAP_READ, IOASID_MAP_WRITE */
	uint32_t kind;	/* IOASID_MAPPING_* */
	uint64_t va;	/* MEMORY: host address of the first byte */
	uint64_t offset; /* FILE: file offset of the first byte */
	/* FILE: the descriptor given to ioasid_ioas_map_file(), which may
	 * have been closed or reused since; -1 otherwise. */
	int32_t fd;
	size_t : 0;
};
#define ioasid_mapping__last_field fd

struct ioasid_mapping_opts {
	size_t sz;
	/* Only the mappings that overlap [iova, iova + length - 1];
	 * length 0 means up to the end of the IOVA space (so NULL opts, or
	 * all zero, report every mapping). */
	uint64_t iova;
	uint64_t length;
	size_t : 0;
};
#define ioasid_mapping_opts__last_field length

/* A callback of ioasid_ioas_for_each_mapping(): 0 goes on, anything else
 * stops the walk and becomes its return value. */
typedef int (*ioasid_mapping_fn)(const struct ioasid_mapping *m, void *data);

/*
 * ioasid_ioas_for_each_mapping - call @fn for every mapping of IOAS
 * @ioas_id, in IOVA order, with @data.  The mappings are read under the
 * context lock and @fn is called after it is dropped, so @fn may call the
 * library (and change the IOAS: the walk reports the mappings as they
 * were when the call began).  On the kernel backend the answer comes
 * from the library's record of what this context mapped.
 *
 * Return: 0 (every mapping reported); what @fn returned when it stopped
 * the walk; -ENOENT (no such IOAS); -EINVAL (NULL @fn, bad opts, a range
 * that wraps); -ENODATA (kernel backend: the IOAS was not allocated
 * through this context, or its record is incomplete); -ENOMEM.
 */
IOASID_API int ioasid_ioas_for_each_mapping(struct ioasid_ctx *ctx,
					    uint32_t ioas_id,
					    const struct ioasid_mapping_opts *opts,
					    ioasid_mapping_fn fn, void *data);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_IOAS_H */
