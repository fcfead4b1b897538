/* SPDX-License-Identifier: MIT */
/*
 * libioasid - I/O address spaces for VMMs over Linux iommufd.
 *
 * The umbrella header: it includes the whole API, one header per area
 * (include a single one to depend on less):
 *   <ioasid/common.h>  conventions (read it first), errors, logging,
 *                      version, options structs, shared value types
 *   <ioasid/ctx.h>     contexts
 *   <ioasid/ioas.h>    I/O address spaces: map, unmap, copy, ranges
 *   <ioasid/device.h>  devices, groups, IOMMUs, reserved regions, PASID
 *   <ioasid/hwpt.h>    HWPTs, nesting, vIOMMU objects, faults, dirty bits
 *   <ioasid/layout.h>  endpoints and guest layouts: pure functions
 *   <ioasid/caps.h>    what the kernel and a device's IOMMU can do
 *   <ioasid/virtio-iommu.h>  the virtio-iommu device model
 * Not included: <ioasid/testing.h>, the test hooks and simulator-only
 * interfaces that a VMM never needs.
 */
#ifndef IOASID_IOASID_H
#define IOASID_IOASID_H

#include <ioasid/common.h>
#include <ioasid/ctx.h>
#include <ioasid/ioas.h>
#include <ioasid/device.h>
#include <ioasid/hwpt.h>
#include <ioasid/layout.h>
#include <ioasid/caps.h>
#include <ioasid/virtio-iommu.h>

#endif /* IOASID_IOASID_H */
