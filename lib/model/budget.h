/* SPDX-License-Identifier: MIT */
/*
 * The locked-memory budget of a planned VM (budget.c): the arithmetic of
 * ioasid_layout_budget(), with the arguments checked by the caller (RAM
 * ranges neither empty, wrapping nor overlapping; a known viommu; a page
 * size that is a power of two).  Never installed.
 */
#ifndef IOASID_LIB_BUDGET_H
#define IOASID_LIB_BUDGET_H

#include <stdint.h>

#include <ioasid/ioasid.h>

/*
 * budget_compute - fill @out's num_ioas, page_size, ram, pinned, charged
 * and needed for guest RAM @ram (@num_ram ranges, each counted in whole
 * pages of @page_size), @num_devices devices, @viommu and @num_ioas as in
 * struct ioasid_budget_opts, and @other bytes already charged.  The limit
 * and flags are the caller's.
 * Return: 0, or -EOVERFLOW with a message.
 */
int budget_compute(const struct ioasid_ram_range *ram, uint32_t num_ram,
		   uint32_t num_devices, enum ioasid_budget_viommu viommu,
		   uint32_t num_ioas, uint64_t page_size, uint64_t other,
		   struct ioasid_budget *out);

#endif /* IOASID_LIB_BUDGET_H */
