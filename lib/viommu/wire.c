// SPDX-License-Identifier: MIT
/* virtio-iommu wire format: see wire.h. */
#include <string.h>

#include "wire.h"

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

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

size_t viommu_wire_req_size(uint8_t type)
{
	switch (type) {
	case VIOMMU_T_ATTACH:
	case VIOMMU_T_DETACH:
		return 20;
	case VIOMMU_T_MAP:
		return 36;
	case VIOMMU_T_UNMAP:
		return 28;
	case VIOMMU_T_PROBE:
		return VIOMMU_PROBE_RO_SIZE;
	default:
		return 0;
	}
}

enum viommu_parse viommu_wire_parse(const uint8_t *buf, size_t len,
				    struct viommu_req *req)
{
	size_t need;

	memset(req, 0, sizeof(*req));
	if (len < VIOMMU_HEAD_SIZE)
		return VIOMMU_PARSE_NO_HEAD;
	/* head.reserved is ignored (conformance item 22). */
	req->type = buf[0];
	need = viommu_wire_req_size(req->type);
	if (!need)
		return VIOMMU_PARSE_UNKNOWN;
	if (len < need)
		return VIOMMU_PARSE_SHORT;

	switch (req->type) {
	case VIOMMU_T_ATTACH:
		req->domain = get_le32(buf + 4);
		req->endpoint = get_le32(buf + 8);
		req->flags = get_le32(buf + 12);
		req->reserved_nonzero = any_nonzero(buf + 16, 4);
		break;
	case VIOMMU_T_DETACH:
		req->domain = get_le32(buf + 4);
		req->endpoint = get_le32(buf + 8);
		req->reserved_nonzero = any_nonzero(buf + 12, 8);
		break;
	case VIOMMU_T_MAP:
		req->domain = get_le32(buf + 4);
		req->virt_start = get_le64(buf + 8);
		req->virt_end = get_le64(buf + 16);
		req->phys_start = get_le64(buf + 24);
		req->flags = get_le32(buf + 32);
		break;
	case VIOMMU_T_UNMAP:
		req->domain = get_le32(buf + 4);
		req->virt_start = get_le64(buf + 8);
		req->virt_end = get_le64(buf + 16);
		req->reserved_nonzero = any_nonzero(buf + 24, 4);
		break;
	case VIOMMU_T_PROBE:
		req->endpoint = get_le32(buf + 4);
		req->reserved_nonzero = any_nonzero(buf + 8, 64);
		break;
	}
	return VIOMMU_PARSE_OK;
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
	put_le16(out, VIOMMU_PROBE_T_RESV_MEM);
	put_le16(out + 2, VIOMMU_RESV_MEM_SIZE - 4);
	out[4] = subtype;
	put_le64(out + 8, start);
	put_le64(out + 16, end);
}

void viommu_wire_fault(uint8_t out[24], const struct viommu_fault *f)
{
	memset(out, 0, 24);
	out[0] = f->reason;
	put_le32(out + 4, f->flags);
	put_le32(out + 8, f->endpoint);
	put_le64(out + 16, f->address);
}

void viommu_wire_config(uint8_t out[40], const struct viommu_config *c)
{
	memset(out, 0, 40);
	put_le64(out, c->page_size_mask);
	put_le64(out + 8, c->input_start);
	put_le64(out + 16, c->input_end);
	put_le32(out + 24, c->domain_start);
	put_le32(out + 28, c->domain_end);
	put_le32(out + 32, c->probe_size);
	out[36] = c->bypass;
}
