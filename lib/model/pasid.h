/* SPDX-License-Identifier: MIT */
/*
 * PASID helpers shared by the logic layer (lib/core/pasid.c) and the backends:
 * the per-device record of PASID attachments a backend keeps, and the
 * derivation of what a device class asks of the user.
 */
#ifndef IOASID_LIB_PASID_H
#define IOASID_LIB_PASID_H

#include <stdint.h>

#include <ioasid/ioasid.h>

/* PASID 0 is IOMMU_NO_PASID, the RID's own address space. */
#define IOASID_NO_PASID 0u
/* The PCI PASID is at most 20 bits wide. */
#define IOASID_PASID_WIDTH_MAX 20

/* A device's PASID attachments, sorted by physical PASID. */
struct pasid_recs {
	struct ioasid_pasid_entry *v; /* .ppasid is the key */
	uint32_t n, cap;
};

/* Index of @pasid in @r, or -1. */
int pasid_recs_find(const struct pasid_recs *r, uint32_t pasid);
/* Insert or overwrite the record of @e->ppasid; -ENOMEM. */
int pasid_recs_set(struct pasid_recs *r, const struct ioasid_pasid_entry *e);
void pasid_recs_del(struct pasid_recs *r, uint32_t pasid);
/* Copy out as the public calls do: -EMSGSIZE when *@num is too small,
 * *@num then holds the count. */
int pasid_recs_list(const struct pasid_recs *r,
		    struct ioasid_pasid_entry *out, uint32_t *num);
void pasid_recs_free(struct pasid_recs *r);

/*
 * ioasid_dev_class_finish - set the fields that follow from dev_class
 * (needs_vpasid, needs_cpu_translation) and class_source in @info, as far
 * as @info->sz reaches.  Backends call it on every device report, so that
 * the report means the same for pdevs and mdevs on either backend.
 */
void ioasid_dev_class_finish(struct ioasid_dev_info *info,
			     enum ioasid_class_source src);

#endif /* IOASID_LIB_PASID_H */
