// SPDX-License-Identifier: MIT
/*
 * The locked-memory budget of a planned VM (ioasid_layout_budget()).
 *
 * What iommufd charges, as its pinning works (drivers/iommu/iommufd):
 * every IOMMU_IOAS_MAP of user memory makes an iopt_pages of its own, and
 * an iopt_pages pins each page it covers once, however many areas,
 * domains (devices attached to the IOAS, or to HWPTs allocated from it)
 * and accesses use it; each pinned page is charged once to the counter of
 * the rlimit mode (per user: user->locked_vm; per process: mm->locked_vm)
 * checked against RLIMIT_MEMLOCK, and to mm->pinned_vm (VmPin).  Nothing
 * is pinned until a device (a domain) is attached, so an IOAS no device
 * uses costs nothing.  Guest RAM mapped into K IOASes is therefore
 * pinned once in memory but charged K times.
 */
#include <errno.h>

#include "budget.h"
#include "util.h"

/* @size bytes from @gpa in whole pages of @page (a power of two). */
static uint64_t pages_of(uint64_t gpa, uint64_t size, uint64_t page)
{
	uint64_t first = gpa & ~(page - 1);
	uint64_t last = gpa + size - 1; /* the caller checked it does not wrap */

	return (last - first) / page + 1;
}

int budget_compute(const struct ioasid_ram_range *ram, uint32_t num_ram,
		   uint32_t num_devices, enum ioasid_budget_viommu viommu,
		   uint32_t num_ioas, uint64_t page_size, uint64_t other,
		   struct ioasid_budget *out)
{
	uint64_t pages = 0, bytes, charged;
	uint32_t k = num_ioas;

	for (uint32_t i = 0; i < num_ram; i++) {
		uint64_t n = pages_of(ram[i].gpa, ram[i].size, page_size);

		if (__builtin_add_overflow(pages, n, &pages))
			return ioasid_fail(-EOVERFLOW, "guest RAM passes 2^64 pages");
	}
	if (__builtin_mul_overflow(pages, page_size, &bytes))
		return ioasid_fail(-EOVERFLOW,
				   "guest RAM of %llu pages of 0x%llx bytes passes 2^64 bytes",
				   (unsigned long long)pages,
				   (unsigned long long)page_size);
	if (!k)
		k = viommu == IOASID_BUDGET_VIOMMU_SHADOW ? num_devices : 1;
	/* An IOAS with no device attached pins nothing. */
	if (k > num_devices)
		k = num_devices;
	if (__builtin_mul_overflow(bytes, (uint64_t)k, &charged))
		return ioasid_fail(-EOVERFLOW,
				   "0x%llx bytes of guest RAM charged %u times pass 2^64 bytes",
				   (unsigned long long)bytes, k);
	if (__builtin_add_overflow(charged, other, &out->needed))
		return ioasid_fail(-EOVERFLOW,
				   "0x%llx bytes charged plus 0x%llx already charged pass 2^64 bytes",
				   (unsigned long long)charged,
				   (unsigned long long)other);
	out->num_ioas = k;
	out->page_size = page_size;
	out->ram = bytes;
	out->pinned = k ? bytes : 0;
	out->charged = charged;
	return 0;
}
