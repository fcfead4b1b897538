// SPDX-License-Identifier: MIT
/*
 * Attaching a PASID: what a device's class allows an attach or replace,
 * which physical PASID it gets, the PASIDs of a context it must not
 * share, and the lowest free one the allocator hands out.
 *
 * The allocator is per context, not process-wide: a context is one
 * iommufd, which is what a VMM opens per VM, and its attachments vanish
 * with it; a process-wide table would outlive closed contexts and still
 * not see other processes, so host-wide uniqueness needs the manager to
 * hand out PASIDs (IOASID_PASID_FIXED) anyway.  Global PASIDs (classes 2,
 * 4 and 5) are unique within the context; class 3 PASIDs are the guest's
 * own and need only be unique per device (one guest process may use the
 * same PASID on several devices).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pasid.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* What a class allows                                                  */

/* Class 2: the mdev's parent uses the fixed PASID for whatever the mdev
 * is attached to, so the attach is the device's own (VFIO has no PASID
 * attach for emulated devices: only vfio-pci sets pasid_attach_ioas). */
int pasid_check_fixed(const char *name, const struct pasid_dev *pd,
		      const struct ioasid_pasid_attach *a, uint32_t attached_pt,
		      bool replace)
{
	if (a->vpasid)
		return ioasid_fail(-EINVAL,
				   "device %s is class 2 (mdev-fixed-pasid): it takes no vPASID from the guest, vpasid must be 0 (got %u)",
				   name, a->vpasid);
	if ((a->flags & IOASID_PASID_FIXED) && a->ppasid != pd->fixed)
		return ioasid_fail(-EINVAL,
				   "device %s is class 2 (mdev-fixed-pasid): its PASID is %u, set at bind, not %u",
				   name, pd->fixed, a->ppasid);
	if (!replace && attached_pt)
		return ioasid_fail(-EBUSY,
				   "device %s: its fixed PASID %u is attached to %u already: use ioasid_dev_replace_pasid()",
				   name, pd->fixed, attached_pt);
	if (replace && !attached_pt)
		return ioasid_fail(-EINVAL,
				   "device %s: its fixed PASID %u is not attached",
				   name, pd->fixed);
	return 0;
}

int pasid_check_vpasid(const char *name, const struct pasid_dev *pd,
		       uint32_t vpasid)
{
	if (pd->cls > IOASID_CLASS_PASID_CPU_TRANSLATE)
		return ioasid_fail(-EINVAL, "device %s has unknown class %d",
				   name, (int)pd->cls);
	if (!pd->width)
		return ioasid_fail(-EOPNOTSUPP,
				   "device %s is class %d (%s) but neither it nor its IOMMU reports a PASID width",
				   name, (int)pd->cls, dev_class_name(pd->cls));
	if (vpasid == IOASID_NO_PASID || vpasid >= (1u << pd->width))
		return ioasid_fail(-EINVAL,
				   "device %s: vpasid %u is outside 1..%u (PASID width %u)",
				   name, vpasid, (1u << pd->width) - 1, pd->width);
	return 0;
}

int pasid_choose(const char *name, const struct pasid_dev *pd,
		 const struct ioasid_pasid_attach *a,
		 const struct ioasid_pasid_entry *cur, bool replace,
		 uint32_t *pasid)
{
	*pasid = 0;
	if (replace) {
		if (!cur)
			return ioasid_fail(-EINVAL,
					   "device %s: vpasid %u is not attached: use ioasid_dev_attach_pasid()",
					   name, a->vpasid);
		if ((a->flags & IOASID_PASID_FIXED) && a->ppasid != cur->ppasid)
			return ioasid_fail(-EINVAL,
					   "device %s: vpasid %u uses PASID %u; a replace keeps it (asked for %u)",
					   name, a->vpasid, cur->ppasid, a->ppasid);
		*pasid = cur->ppasid;
		return 0;
	}
	if (cur)
		return ioasid_fail(-EBUSY,
				   "device %s: vpasid %u is attached to %u already (PASID %u): use ioasid_dev_replace_pasid()",
				   name, a->vpasid, cur->pt_id, cur->ppasid);
	if (pd->cls == IOASID_CLASS_PASID_PASSTHROUGH) {
		if ((a->flags & IOASID_PASID_FIXED) && a->ppasid != a->vpasid)
			return ioasid_fail(-EINVAL,
					   "device %s is class 3 (pasid-passthrough): it emits the guest's PASID, so the PASID must be vpasid %u, not %u",
					   name, a->vpasid, a->ppasid);
		*pasid = a->vpasid;
	} else if (a->flags & IOASID_PASID_FIXED) {
		if (a->ppasid == IOASID_NO_PASID || a->ppasid >= (1u << pd->width))
			return ioasid_fail(-EINVAL,
					   "device %s: PASID %u is outside 1..%u (PASID width %u)",
					   name, a->ppasid, (1u << pd->width) - 1,
					   pd->width);
		*pasid = a->ppasid;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The PASIDs in use and the allocator                                  */

enum pasid_uses_of pasid_conflicting_uses(const struct pasid_dev *pd,
					  bool is_self)
{
	if (is_self)
		return PASID_USES_ALL;
	if (!dev_class_pasid_global(pd->cls))
		return PASID_USES_NONE;
	/* Set at bind: reserved whether attached or not. */
	if (pd->cls == IOASID_CLASS_MDEV_FIXED_PASID)
		return PASID_USES_FIXED;
	return PASID_USES_ALL;
}

/* Index of the first use with a ppasid >= @ppasid. */
static uint32_t uses_lower_bound(const struct pasid_uses *u, uint32_t ppasid)
{
	uint32_t lo = 0, hi = u->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (u->v[mid].ppasid < ppasid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int pasid_uses_add(struct pasid_uses *u, uint32_t ppasid, uint32_t vpasid,
		   const void *owner, const char *owner_name)
{
	uint32_t at = uses_lower_bound(u, ppasid);

	if (at < u->n && u->v[at].ppasid == ppasid)
		return 0;
	if (u->n == u->cap) {
		uint32_t cap = u->cap ? u->cap * 2 : 8;
		void *v = realloc(u->v, cap * sizeof(*u->v));

		if (!v)
			return ioasid_fail(-ENOMEM, "out of memory");
		u->v = v;
		u->cap = cap;
	}
	memmove(&u->v[at + 1], &u->v[at], (u->n - at) * sizeof(*u->v));
	u->v[at] = (struct pasid_use){ .ppasid = ppasid, .vpasid = vpasid,
				       .owner = owner,
				       .owner_name = owner_name };
	u->n++;
	return 0;
}

const struct pasid_use *pasid_uses_find(const struct pasid_uses *u,
					uint32_t ppasid)
{
	uint32_t at = uses_lower_bound(u, ppasid);

	return at < u->n && u->v[at].ppasid == ppasid ? &u->v[at] : NULL;
}

uint32_t pasid_lowest_free(const struct pasid_uses *u, uint8_t width)
{
	uint32_t limit = 1u << width, p = 1;

	for (uint32_t i = uses_lower_bound(u, 1); i < u->n && p < limit; i++) {
		if (u->v[i].ppasid != p)
			break;
		p++;
	}
	return p < limit ? p : 0;
}

void pasid_uses_free(struct pasid_uses *u)
{
	free(u->v);
	memset(u, 0, sizeof(*u));
}

int pasid_alloc(const char *name, const struct pasid_uses *u, uint8_t width,
		uint32_t *out)
{
	uint32_t p = pasid_lowest_free(u, width);

	if (!p)
		return ioasid_fail(-ENOSPC,
				   "device %s: every PASID of its %u-bit width is in use in this context",
				   name, width);
	*out = p;
	return 0;
}

int pasid_check_holder(const char *name, const struct pasid_dev *pd,
		       uint32_t pasid, const struct pasid_use *holder,
		       const void *self)
{
	if (!holder)
		return 0;
	if (pd->cls == IOASID_CLASS_MDEV_FIXED_PASID) {
		if (holder->owner != self)
			return ioasid_fail(-EBUSY,
					   "device %s: fixed PASID %u is in use by device %s",
					   name, pasid, holder->owner_name);
		return 0;
	}
	if (holder->owner == self || dev_class_pasid_global(pd->cls))
		return ioasid_fail(-EBUSY,
				   "device %s: PASID %u is in use by device %s (vpasid %u)",
				   name, pasid, holder->owner_name, holder->vpasid);
	return 0;
}
