// SPDX-License-Identifier: MIT
/*
 * Guest RAM slots: GPA -> host VA.  A sorted array searched by bisection;
 * VMMs register a handful of slots, so inserting by moving the tail is
 * cheap.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "viommu-internal.h"

/* Index of the last slot whose gpa <= @gpa, or -1. */
static long slot_at_or_before(const struct ioasid_virtio_iommu *v, uint64_t gpa)
{
	long lo = 0, hi = (long)v->num_ram - 1, found = -1;

	while (lo <= hi) {
		long mid = lo + (hi - lo) / 2;

		if (v->ram[mid].gpa <= gpa) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

bool viommu_ram_lookup(const struct ioasid_virtio_iommu *v, uint64_t gpa,
		       uint8_t **hva, uint64_t *avail)
{
	long i = slot_at_or_before(v, gpa);

	if (i < 0 || gpa - v->ram[i].gpa >= v->ram[i].size)
		return false;
	*hva = v->ram[i].hva + (gpa - v->ram[i].gpa);
	*avail = v->ram[i].size - (gpa - v->ram[i].gpa);
	return true;
}

bool viommu_ram_covers(const struct ioasid_virtio_iommu *v, uint64_t gpa,
		       uint64_t last)
{
	for (;;) {
		uint8_t *hva;
		uint64_t avail;

		if (!viommu_ram_lookup(v, gpa, &hva, &avail))
			return false;
		/* avail >= 1, and gpa + avail - 1 cannot wrap: it is in a
		 * slot that does not wrap. */
		if (last - gpa <= avail - 1)
			return true;
		/* Adjacent slots continue the range. */
		gpa += avail;
	}
}

int viommu_ram_add(struct ioasid_virtio_iommu *v, uint64_t gpa, uint64_t size,
		   void *hva)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct viommu_ram_slot *slots;
	long i;

	if (!size || (gpa | size | (uintptr_t)hva) & (page - 1))
		return ioasid_fail(-EINVAL,
				   "ram gpa %#llx size %#llx hva %p: not aligned to the page size %#llx (or zero size)",
				   (unsigned long long)gpa,
				   (unsigned long long)size, hva,
				   (unsigned long long)page);
	if (gpa + (size - 1) < gpa ||
	    (uintptr_t)hva + (size - 1) < (uintptr_t)hva)
		return ioasid_fail(-EINVAL,
				   "ram gpa %#llx size %#llx wraps around",
				   (unsigned long long)gpa,
				   (unsigned long long)size);
	i = slot_at_or_before(v, gpa + size - 1);
	if (i >= 0 && v->ram[i].gpa + (v->ram[i].size - 1) >= gpa)
		return ioasid_fail(-EEXIST,
				   "ram gpa %#llx size %#llx overlaps slot at gpa %#llx",
				   (unsigned long long)gpa,
				   (unsigned long long)size,
				   (unsigned long long)v->ram[i].gpa);
	slots = realloc(v->ram, (v->num_ram + 1) * sizeof(*slots));
	if (!slots)
		return ioasid_fail(-ENOMEM, "ram slot: out of memory");
	v->ram = slots;
	i = slot_at_or_before(v, gpa) + 1;
	memmove(&slots[i + 1], &slots[i], (v->num_ram - i) * sizeof(*slots));
	slots[i] = (struct viommu_ram_slot){ gpa, size, hva };
	v->num_ram++;
	return 0;
}

/*
 * The cap on live guest mappings (docs/VIOMMU.md, "Caps").  A VMM that
 * sets none gets one mapping per granule of the guest RAM registered
 * now, at least VIOMMU_DEFAULT_MAPPINGS_MIN and at most
 * VIOMMU_DEFAULT_MAPPINGS_MAX (1Mi): a guest maps its own RAM, so what
 * it can use grows with it, while the VMM's heap for the device's
 * records (about 150 bytes a mapping, tests/unit/test_viommu_caps.c)
 * stays under 4% of guest RAM at a 4 KiB granule, 10 MiB for the
 * smallest guest and 150 MiB for the largest.
 */
uint32_t viommu_mapping_cap(const struct ioasid_virtio_iommu *v)
{
	uint64_t pages = 0;

	if (v->max_mappings)
		return v->max_mappings;
	for (uint32_t i = 0; i < v->num_ram; i++)
		pages += v->ram[i].size / v->granule;
	if (pages < VIOMMU_DEFAULT_MAPPINGS_MIN)
		return VIOMMU_DEFAULT_MAPPINGS_MIN;
	if (pages > VIOMMU_DEFAULT_MAPPINGS_MAX)
		return VIOMMU_DEFAULT_MAPPINGS_MAX;
	return (uint32_t)pages;
}
