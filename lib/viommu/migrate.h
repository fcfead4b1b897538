/* SPDX-License-Identifier: MIT */
/*
 * The device-state stream of the virtio-iommu device model (the format
 * is in docs/VIOMMU.md, "Device state save/restore"): the constants that
 * migrate_save.c writes and migrate_restore.c reads.
 */
#ifndef IOASID_LIB_VIOMMU_MIGRATE_H
#define IOASID_LIB_VIOMMU_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

#define MIG_MAGIC "IOASVIOM"
#define MIG_MAGIC_LEN 8u
#define MIG_VERSION 1u
#define MIG_HEADER_SIZE 24u
#define MIG_RECORD_HEADER 8u
#define MIG_CRC_SIZE 4u

/* Record types.  7-15 are reserved for more nested-mode records. */
#define MIG_R_DEVICE 1u
#define MIG_R_ENDPOINT 2u
#define MIG_R_DOMAIN 3u
#define MIG_R_MAPPING 4u
#define MIG_R_EVENT 5u
/* The source had nested mode on: its table region, which the guest was
 * told about (RESV_MEM).  Mandatory, so a reader without nested mode
 * refuses the stream rather than losing the region. */
#define MIG_R_NESTED 6u

/* Record flags: a reader that does not know an OPTIONAL record skips it;
 * any other unknown record refuses the stream. */
#define MIG_RF_OPTIONAL 1u

#define MIG_DEVICE_SIZE 64u
#define MIG_ENDPOINT_SIZE 12u
#define MIG_DOMAIN_SIZE 8u
#define MIG_MAPPING_SIZE 32u
#define MIG_EVENT_SIZE 24u
#define MIG_NESTED_SIZE 16u

/* DOMAIN record: flags and modes. */
#define MIG_DOM_F_BYPASS 1u
#define MIG_MODE_SHADOW 0u
#define MIG_MODE_NESTED 1u

#define DEVICE_FEATURE_BITS ((1ull << 24) - 1)

/* CRC-32 (IEEE 802.3) of @len bytes: the stream's trailer. */
uint32_t viommu_mig_crc32(const uint8_t *p, size_t len);

#endif /* IOASID_LIB_VIOMMU_MIGRATE_H */
