// SPDX-License-Identifier: MIT
/* Reserved-region types: their precedence, their names, and which of them
 * guest RAM must avoid. */
#include "resv.h"
#include "util.h"

/*
 * Precedence, from what a guest must respect most: reserved (no DMA at
 * all), direct (the host keeps an identity mapping a firmware agent relies
 * on), msi (a fixed doorbell: never mapped, writes become interrupts),
 * sw-msi (a window the host maps to its doorbell: the guest must not map
 * it, but it is ordinary translation), direct-relaxable (an identity
 * mapping that assignment may drop).
 */
int resv_rank(enum ioasid_resv_type type)
{
	switch (type) {
	case IOASID_RESV_RESERVED:
		return 5;
	case IOASID_RESV_DIRECT:
		return 4;
	case IOASID_RESV_MSI:
		return 3;
	case IOASID_RESV_SW_MSI:
		return 2;
	case IOASID_RESV_DIRECT_RELAXABLE:
		return 1;
	}
	return 0;
}

const char *resv_type_name(enum ioasid_resv_type type)
{
	/* The names sysfs uses in reserved_regions, plus our sw-msi. */
	static const char *const names[] = {
		[IOASID_RESV_DIRECT] = "direct",
		[IOASID_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
		[IOASID_RESV_RESERVED] = "reserved",
		[IOASID_RESV_MSI] = "msi",
		[IOASID_RESV_SW_MSI] = "sw-msi",
	};

	if ((unsigned int)type >= ARRAY_SIZE(names))
		return NULL;
	return names[type];
}

bool resv_forbids_ram(const struct ioasid_resv_region *r)
{
	return r->type != IOASID_RESV_DIRECT_RELAXABLE;
}
