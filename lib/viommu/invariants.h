/* SPDX-License-Identifier: MIT */
/*
 * INTERNAL, for the tests and the fuzzer (not exported): the device
 * model's invariants, checked after every request.
 */
#ifndef IOASID_LIB_VIOMMU_INVARIANTS_H
#define IOASID_LIB_VIOMMU_INVARIANTS_H

struct ioasid_virtio_iommu;

/*
 * The guest's view equals the host's for every endpoint: each physical
 * endpoint is attached on the host where its guest state says (its
 * domain's IOAS or HWPT, the bypass IOAS, or nowhere), the library's
 * record of its device agrees, the members of an IOMMU group share one
 * state, every domain's endpoint list matches the endpoints' records, and
 * no domain is left without an endpoint.  Return 0, or -EPROTO with the
 * first difference in the error message.
 */
int viommu_check_invariants(const struct ioasid_virtio_iommu *v);

/* Called, when set, after every request, reset, config write and
 * restore has changed the device (set it before creating devices; not
 * thread-safe to change). */
extern void (*viommu_after_change)(struct ioasid_virtio_iommu *v);

#endif /* IOASID_LIB_VIOMMU_INVARIANTS_H */
