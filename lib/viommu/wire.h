/* SPDX-License-Identifier: MIT */
/*
 * virtio-iommu wire format: the only code that touches guest bytes.  Every
 * field is read from little-endian bytes one by one (never by casting a
 * guest buffer to a struct) and every length is checked here; the layers
 * above see parsed, host-order values.
 */
#ifndef IOASID_LIB_VIOMMU_WIRE_H
#define IOASID_LIB_VIOMMU_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Request types. */
#define VIOMMU_T_ATTACH 1
#define VIOMMU_T_DETACH 2
#define VIOMMU_T_MAP 3
#define VIOMMU_T_UNMAP 4
#define VIOMMU_T_PROBE 5

/* Status codes. */
#define VIOMMU_S_OK 0
#define VIOMMU_S_IOERR 1
#define VIOMMU_S_UNSUPP 2
#define VIOMMU_S_DEVERR 3
#define VIOMMU_S_INVAL 4
#define VIOMMU_S_RANGE 5
#define VIOMMU_S_NOENT 6
#define VIOMMU_S_FAULT 7
#define VIOMMU_S_NOMEM 8

#define VIOMMU_ATTACH_F_BYPASS (1u << 0)
#define VIOMMU_MAP_F_READ (1u << 0)
#define VIOMMU_MAP_F_WRITE (1u << 1)
#define VIOMMU_MAP_F_MMIO (1u << 2)
#define VIOMMU_MAP_F_MASK 7u

#define VIOMMU_PROBE_T_NONE 0
#define VIOMMU_PROBE_T_RESV_MEM 1
#define VIOMMU_RESV_MEM_T_RESERVED 0
#define VIOMMU_RESV_MEM_T_MSI 1
#define VIOMMU_RESV_MEM_SIZE 24u /* header + value */

#define VIOMMU_FAULT_R_UNKNOWN 0
#define VIOMMU_FAULT_R_DOMAIN 1
#define VIOMMU_FAULT_R_MAPPING 2
#define VIOMMU_FAULT_F_READ (1u << 0)
#define VIOMMU_FAULT_F_WRITE (1u << 1)
#define VIOMMU_FAULT_F_ADDRESS (1u << 8)

#define VIOMMU_HEAD_SIZE 4u
#define VIOMMU_TAIL_SIZE 4u
#define VIOMMU_PROBE_RO_SIZE 72u
#define VIOMMU_MAX_RO_SIZE VIOMMU_PROBE_RO_SIZE

/* A request as parsed from its device-readable part. */
struct viommu_req {
	uint8_t type;
	uint32_t domain;
	uint32_t endpoint;
	uint32_t flags;
	uint64_t virt_start, virt_end, phys_start;
	bool reserved_nonzero; /* the request's own reserved field */
};

/* What parsing found. */
enum viommu_parse {
	VIOMMU_PARSE_OK,
	VIOMMU_PARSE_NO_HEAD, /* fewer than 4 bytes: not even a type */
	VIOMMU_PARSE_UNKNOWN, /* unknown request type */
	VIOMMU_PARSE_SHORT,   /* known type, readable part too short */
};

/* The config space in host order. */
struct viommu_config {
	uint64_t page_size_mask;
	uint64_t input_start, input_end;
	uint32_t domain_start, domain_end;
	uint32_t probe_size;
	uint8_t bypass;
};

struct viommu_fault {
	uint8_t reason;
	uint32_t flags;
	uint32_t endpoint;
	uint64_t address;
};

/* Total length of an iovec array, saturating at SIZE_MAX. */
size_t viommu_iov_size(const struct iovec *iov, unsigned int num);
/* Copy up to @len bytes from offset @off of the iovec array to @dst;
 * return how many were copied (fewer at the end of the array). */
size_t viommu_iov_read(const struct iovec *iov, unsigned int num, size_t off,
		       void *dst, size_t len);
/* Copy @len bytes of @src to offset @off of the iovec array; return how
 * many fit. */
size_t viommu_iov_write(const struct iovec *iov, unsigned int num, size_t off,
			const void *src, size_t len);

/*
 * The request table: each request type's name and layout, written once.
 * The dispatcher (requests.c) parses with it, the trace reader (trace.c)
 * finds requests by name and encodes them with it; a new request type is
 * one entry here plus its handler.
 */
enum viommu_wire_member {
	VIOMMU_W_RESERVED, /* must be zero; sets reserved_nonzero */
	VIOMMU_W_DOMAIN,
	VIOMMU_W_ENDPOINT,
	VIOMMU_W_FLAGS,
	VIOMMU_W_VIRT_START,
	VIOMMU_W_VIRT_END,
	VIOMMU_W_PHYS_START,
};

struct viommu_wire_field {
	uint8_t offset, size; /* size 4 or 8; any size for RESERVED */
	uint8_t member;	      /* enum viommu_wire_member */
};

#define VIOMMU_WIRE_MAX_FIELDS 5

struct viommu_req_type {
	uint8_t type;
	const char *name; /* as a trace line names it */
	uint8_t size;	  /* device-readable part: head and fields */
	/* The device-writable part holds probe_size bytes of properties
	 * before the tail (PROBE). */
	bool writes_props;
	uint8_t num_fields;
	struct viommu_wire_field fields[VIOMMU_WIRE_MAX_FIELDS];
};

/* The entry of request type @type, or NULL if the device knows none. */
const struct viommu_req_type *viommu_wire_req_type(uint8_t type);
/* The entry named @name (@len bytes, not NUL-terminated), or NULL. */
const struct viommu_req_type *viommu_wire_req_named(const char *name,
						    size_t len);
/* Parse the first @len bytes of a request. */
enum viommu_parse viommu_wire_parse(const uint8_t *buf, size_t len,
				    struct viommu_req *req);
/* The device-readable bytes of @req (req->type known): rt->size bytes,
 * reserved ones zero.  The inverse of viommu_wire_parse(). */
void viommu_wire_encode(const struct viommu_req *req,
			uint8_t out[VIOMMU_MAX_RO_SIZE]);

/* Encoders: fixed-size outputs, reserved bytes zero. */
void viommu_wire_tail(uint8_t out[VIOMMU_TAIL_SIZE], uint8_t status);
void viommu_wire_resv_mem(uint8_t out[VIOMMU_RESV_MEM_SIZE], uint8_t subtype,
			  uint64_t start, uint64_t end);
void viommu_wire_fault(uint8_t out[24], const struct viommu_fault *f);
void viommu_wire_config(uint8_t out[40], const struct viommu_config *c);

#endif /* IOASID_LIB_VIOMMU_WIRE_H */
