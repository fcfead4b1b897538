// SPDX-License-Identifier: MIT
/* virtio-iommu wire format: see wire.h. */
#include <string.h>

#include "le.h"
#include "wire.h"

static bool any_nonzero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc != 0;
}

size_t viommu_iov_size(const struct iovec *iov, unsigned int num)
{
	size_t total = 0;

	for (unsigned int i = 0; i < num; i++) {
		if (iov[i].iov_len > SIZE_MAX - total)
			return SIZE_MAX;
		total += iov[i].iov_len;
	}
	return total;
}

/* Walk the iovecs from byte @off, calling @copy on each contiguous piece. */
static size_t iov_walk(const struct iovec *iov, unsigned int num, size_t off,
		       uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < num && done < len; i++) {
		size_t n = iov[i].iov_len;

		if (off >= n) {
			off -= n;
			continue;
		}
		n -= off;
		if (n > len - done)
			n = len - done;
		if (to_iov)
			memcpy((uint8_t *)iov[i].iov_base + off, buf + done, n);
		else
			memcpy(buf + done, (const uint8_t *)iov[i].iov_base + off,
			       n);
		done += n;
		off = 0;
	}
	return done;
}

size_t viommu_iov_read(const struct iovec *iov, unsigned int num, size_t off,
		       void *dst, size_t len)
{
	return iov_walk(iov, num, off, dst, len, false);
}

size_t viommu_iov_write(const struct iovec *iov, unsigned int num, size_t off,
			const void *src, size_t len)
{
	return iov_walk(iov, num, off, (uint8_t *)src, len, true);
}

/* The layouts of the specification's request structs (virtio 1.3,
 * 5.13.6), head at offset 0, tail after @size. */
static const struct viommu_req_type req_types[] = {
	{ VIOMMU_T_ATTACH, "attach", 20, false, 4,
	  { { 4, 4, VIOMMU_W_DOMAIN }, { 8, 4, VIOMMU_W_ENDPOINT },
	    { 12, 4, VIOMMU_W_FLAGS }, { 16, 4, VIOMMU_W_RESERVED } } },
	{ VIOMMU_T_DETACH, "detach", 20, false, 3,
	  { { 4, 4, VIOMMU_W_DOMAIN }, { 8, 4, VIOMMU_W_ENDPOINT },
	    { 12, 8, VIOMMU_W_RESERVED } } },
	{ VIOMMU_T_MAP, "map", 36, false, 5,
	  { { 4, 4, VIOMMU_W_DOMAIN }, { 8, 8, VIOMMU_W_VIRT_START },
	    { 16, 8, VIOMMU_W_VIRT_END }, { 24, 8, VIOMMU_W_PHYS_START },
	    { 32, 4, VIOMMU_W_FLAGS } } },
	{ VIOMMU_T_UNMAP, "unmap", 28, false, 4,
	  { { 4, 4, VIOMMU_W_DOMAIN }, { 8, 8, VIOMMU_W_VIRT_START },
	    { 16, 8, VIOMMU_W_VIRT_END }, { 24, 4, VIOMMU_W_RESERVED } } },
	{ VIOMMU_T_PROBE, "probe", VIOMMU_PROBE_RO_SIZE, true, 2,
	  { { 4, 4, VIOMMU_W_ENDPOINT }, { 8, 64, VIOMMU_W_RESERVED } } },
};

const struct viommu_req_type *viommu_wire_req_type(uint8_t type)
{
	/* Types are 1..5, in table order. */
	if (type < 1 || type > sizeof(req_types) / sizeof(req_types[0]))
		return NULL;
	return &req_types[type - 1];
}

const struct viommu_req_type *viommu_wire_req_named(const char *name,
						    size_t len)
{
	for (size_t i = 0; i < sizeof(req_types) / sizeof(req_types[0]); i++)
		if (strlen(req_types[i].name) == len &&
		    memcmp(req_types[i].name, name, len) == 0)
			return &req_types[i];
	return NULL;
}

/* The request member a field holds; 32-bit members take the low half. */
static void member_set(struct viommu_req *req, uint8_t member, uint64_t v)
{
	switch (member) {
	case VIOMMU_W_DOMAIN:
		req->domain = (uint32_t)v;
		break;
	case VIOMMU_W_ENDPOINT:
		req->endpoint = (uint32_t)v;
		break;
	case VIOMMU_W_FLAGS:
		req->flags = (uint32_t)v;
		break;
	case VIOMMU_W_VIRT_START:
		req->virt_start = v;
		break;
	case VIOMMU_W_VIRT_END:
		req->virt_end = v;
		break;
	case VIOMMU_W_PHYS_START:
		req->phys_start = v;
		break;
	}
}

static uint64_t member_get(const struct viommu_req *req, uint8_t member)
{
	switch (member) {
	case VIOMMU_W_DOMAIN:
		return req->domain;
	case VIOMMU_W_ENDPOINT:
		return req->endpoint;
	case VIOMMU_W_FLAGS:
		return req->flags;
	case VIOMMU_W_VIRT_START:
		return req->virt_start;
	case VIOMMU_W_VIRT_END:
		return req->virt_end;
	case VIOMMU_W_PHYS_START:
		return req->phys_start;
	}
	return 0;
}

enum viommu_parse viommu_wire_parse(const uint8_t *buf, size_t len,
				    struct viommu_req *req)
{
	const struct viommu_req_type *rt;

	memset(req, 0, sizeof(*req));
	if (len < VIOMMU_HEAD_SIZE)
		return VIOMMU_PARSE_NO_HEAD;
	/* head.reserved is ignored (conformance item 22). */
	req->type = buf[0];
	rt = viommu_wire_req_type(req->type);
	if (!rt)
		return VIOMMU_PARSE_UNKNOWN;
	if (len < rt->size)
		return VIOMMU_PARSE_SHORT;
	for (unsigned int i = 0; i < rt->num_fields; i++) {
		const struct viommu_wire_field *f = &rt->fields[i];

		if (f->member == VIOMMU_W_RESERVED)
			req->reserved_nonzero |= any_nonzero(buf + f->offset, f->size);
		else
			member_set(req, f->member,
				   f->size == 4 ? le32_get(buf + f->offset)
						: le64_get(buf + f->offset));
	}
	return VIOMMU_PARSE_OK;
}

void viommu_wire_encode(const struct viommu_req *req,
			uint8_t out[VIOMMU_MAX_RO_SIZE])
{
	const struct viommu_req_type *rt = viommu_wire_req_type(req->type);

	memset(out, 0, VIOMMU_MAX_RO_SIZE);
	if (!rt)
		return;
	out[0] = req->type;
	for (unsigned int i = 0; i < rt->num_fields; i++) {
		const struct viommu_wire_field *f = &rt->fields[i];

		if (f->member == VIOMMU_W_RESERVED)
			continue;
		if (f->size == 4)
			le32_put(out + f->offset, (uint32_t)member_get(req, f->member));
		else
			le64_put(out + f->offset, member_get(req, f->member));
	}
}

void viommu_wire_tail(uint8_t out[VIOMMU_TAIL_SIZE], uint8_t status)
{
	out[0] = status;
	out[1] = out[2] = out[3] = 0;
}

void viommu_wire_resv_mem(uint8_t out[VIOMMU_RESV_MEM_SIZE], uint8_t subtype,
			  uint64_t start, uint64_t end)
{
	memset(out, 0, VIOMMU_RESV_MEM_SIZE);
	le16_put(out, VIOMMU_PROBE_T_RESV_MEM);
	le16_put(out + 2, VIOMMU_RESV_MEM_SIZE - 4);
	out[4] = subtype;
	le64_put(out + 8, start);
	le64_put(out + 16, end);
}

void viommu_wire_fault(uint8_t out[24], const struct viommu_fault *f)
{
	memset(out, 0, 24);
	out[0] = f->reason;
	le32_put(out + 4, f->flags);
	le32_put(out + 8, f->endpoint);
	le64_put(out + 16, f->address);
}

void viommu_wire_config(uint8_t out[40], const struct viommu_config *c)
{
	memset(out, 0, 40);
	le64_put(out, c->page_size_mask);
	le64_put(out + 8, c->input_start);
	le64_put(out + 16, c->input_end);
	le32_put(out + 24, c->domain_start);
	le32_put(out + 28, c->domain_end);
	le32_put(out + 32, c->probe_size);
	out[36] = c->bypass;
}
