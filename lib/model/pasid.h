/* SPDX-License-Identifier: MIT */
/*
 * PASIDs and device classes, shared by lib/core/pasid.c and the backends:
 * the per-device record of PASID attachments a backend keeps
 * (pasid_records.c), what a device class asks of the user and allows
 * (dev_class.c), and the allocator's rules (pasid_alloc.c).  Arguments
 * are checked by the caller (model.h).  Never installed.
 */
#ifndef IOASID_LIB_PASID_H
#define IOASID_LIB_PASID_H

#include <stdbool.h>
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
/* Sort @n entries by vPASID, as ioasid_dev_pasid_table() reports them
 * (the records are by physical PASID); stable. */
void pasid_entries_sort_by_vpasid(struct ioasid_pasid_entry *e, uint32_t n);

/*
 * ioasid_dev_class_finish - set the fields that follow from dev_class
 * (needs_vpasid, needs_cpu_translation) and class_source in @info, as far
 * as @info->sz reaches.  Core calls it on every device report it reads
 * (ioasid_ctx_dev_info_get(), lib/core/inventory.c), and lib/host/config.c
 * on a report its configuration changed, so that the report means the
 * same for pdevs and mdevs on either backend.
 */
void ioasid_dev_class_finish(struct ioasid_dev_info *info,
			     enum ioasid_class_source src);

/* ------------------------------------------------------------------ */
/* Device classes (dev_class.c)                                         */

/* The class's name ("rid-only", ...), NULL for an unknown class. */
const char *dev_class_name(enum ioasid_dev_class cls);

/* What a PASID call needs to know of a device. */
struct pasid_dev {
	enum ioasid_dev_class cls;
	uint8_t width; /* usable PASID width: device and IOMMU */
	uint32_t fixed;
};

/* The PASID width a device can use: its own @dev_width, narrowed to its
 * IOMMU's @iommu_width when that is known (@iommu_known), at most
 * IOASID_PASID_WIDTH_MAX. */
uint8_t pasid_usable_width(uint8_t dev_width, bool iommu_known,
			   uint8_t iommu_width);

/* Whether the PASIDs of class @cls are global, unique in the whole
 * context (classes 2, 4 and 5), rather than the guest's own (class 3). */
bool dev_class_pasid_global(enum ioasid_dev_class cls);

/* What the user programs after a PASID attach of class @cls. */
enum ioasid_pasid_action dev_class_pasid_action(enum ioasid_dev_class cls);

/* Refuse a PASID call on device @name of class 0 or 1, which has no PASID
 * to attach.  Return: -EOPNOTSUPP, with a message. */
int dev_class_refuse_pasid(const char *name, const struct pasid_dev *pd);

/* ------------------------------------------------------------------ */
/* Attaching a PASID (pasid_alloc.c)                                    */

/*
 * pasid_check_fixed - refuse an attach (or with @replace, a replace) @a of
 * the fixed PASID of class 2 mdev @name, now attached to @attached_pt (0:
 * not attached), for what the class says: it takes no vPASID, its PASID
 * is the one set at bind, and an attach is one or a replace.
 * Return: 0 or -EINVAL/-EBUSY, with a message.
 */
int pasid_check_fixed(const char *name, const struct pasid_dev *pd,
		      const struct ioasid_pasid_attach *a, uint32_t attached_pt,
		      bool replace);

/*
 * pasid_check_vpasid - refuse a PASID call for @vpasid on device @name of
 * class 3 to 5 (or unknown) for what its class and width say.
 * Return: 0 or -EINVAL/-EOPNOTSUPP, with a message.
 */
int pasid_check_vpasid(const char *name, const struct pasid_dev *pd,
		       uint32_t vpasid);

/*
 * pasid_choose - the physical PASID of attach (or with @replace, replace)
 * @a on device @name of class 3 to 5, whose vPASID @a->vpasid is now
 * attached as @cur (NULL: not attached): the one it keeps (replace), the
 * vPASID itself (class 3), the caller's (IOASID_PASID_FIXED), or 0 for
 * pasid_alloc() to choose.
 * Return: 0 with *@pasid set, or -EINVAL/-EBUSY, with a message.
 */
int pasid_choose(const char *name, const struct pasid_dev *pd,
		 const struct ioasid_pasid_attach *a,
		 const struct ioasid_pasid_entry *cur, bool replace,
		 uint32_t *pasid);

/* A physical PASID in use in a context, by the first device found. */
struct pasid_use {
	uint32_t ppasid, vpasid;
	const void *owner; /* the caller's handle of the device */
	const char *owner_name;
};

/* The PASIDs in use, sorted by ppasid, one entry for each. */
struct pasid_uses {
	struct pasid_use *v;
	uint32_t n, cap;
};

/* Which PASIDs of a device conflict with a global use of a PASID. */
enum pasid_uses_of {
	PASID_USES_NONE,  /* none */
	PASID_USES_FIXED, /* its fixed PASID, attached or not */
	PASID_USES_ALL,	  /* every PASID it has attached */
};

/* Which PASIDs of a device @pd (@is_self: the device asking) a global use
 * conflicts with: every use of the device asking; elsewhere only global
 * ones, a class 2 mdev's fixed PASID from bind on. */
enum pasid_uses_of pasid_conflicting_uses(const struct pasid_dev *pd,
					  bool is_self);

/* Record that @owner uses @ppasid (as @vpasid); a PASID keeps the first
 * owner recorded.  Return: 0 or -ENOMEM, with a message. */
int pasid_uses_add(struct pasid_uses *u, uint32_t ppasid, uint32_t vpasid,
		   const void *owner, const char *owner_name);
/* The use of @ppasid, or NULL. */
const struct pasid_use *pasid_uses_find(const struct pasid_uses *u,
					uint32_t ppasid);
/* The lowest PASID in 1..2^@width-1 that @u does not hold; 0 if none. */
uint32_t pasid_lowest_free(const struct pasid_uses *u, uint8_t width);
void pasid_uses_free(struct pasid_uses *u);

/*
 * pasid_alloc - the lowest PASID below 2^@width that nothing in @u holds,
 * for device @name.
 * Return: 0 with *@out set, or -ENOSPC, with a message.
 */
int pasid_alloc(const char *name, const struct pasid_uses *u, uint8_t width,
		uint32_t *out);

/*
 * pasid_check_holder - refuse @pasid to device @self (@name, @pd) because
 * @holder (NULL: nobody) uses it: for a class 2 mdev, any other device;
 * for class 3 (the guest's own PASIDs), the device itself; for classes 4
 * and 5, anyone.
 * Return: 0 or -EBUSY, with a message.
 */
int pasid_check_holder(const char *name, const struct pasid_dev *pd,
		       uint32_t pasid, const struct pasid_use *holder,
		       const void *self);

#endif /* IOASID_LIB_PASID_H */
