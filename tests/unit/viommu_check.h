/* SPDX-License-Identifier: MIT */
/*
 * Every virtio-iommu test program that includes this checks the device
 * model's invariants (lib/viommu/invariants.h: guest view == host view
 * for every endpoint) after every request, reset, config write and
 * restore, and aborts naming the first difference.
 */
#ifndef IOASID_TESTS_UNIT_VIOMMU_CHECK_H
#define IOASID_TESTS_UNIT_VIOMMU_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include <ioasid/ioasid.h>

#include "viommu/invariants.h"

static unsigned long viommu_checks_run;

static void viommu_check_or_abort(struct ioasid_virtio_iommu *v)
{
	/* A passing check writes no message: the caller's stays. */
	viommu_checks_run++;
	if (viommu_check_invariants(v)) {
		fprintf(stderr, "after a request: %s\n", ioasid_errmsg());
		abort();
	}
}

__attribute__((constructor)) static void viommu_checks_on(void)
{
	viommu_after_change = viommu_check_or_abort;
}

#endif /* IOASID_TESTS_UNIT_VIOMMU_CHECK_H */
