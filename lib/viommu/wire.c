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
		req->domain = le32_get(buf + 4);
		req->endpoint = le32_get(buf + 8);
		req->flags = le32_get(buf + 12);
		req->reserved_nonzero = any_nonzero(buf + 16, 4);
		break;
	case VIOMMU_T_DETACH:
		req->domain = le32_get(buf + 4);
		req->endpoint = le32_get(buf + 8);
		req->reserved_nonzero = any_nonzero(buf + 12, 8);
		break;
	case VIOMMU_T_MAP:
		req->domain = le32_get(buf + 4);
		req->virt_start = le64_get(buf + 8);
		req->virt_end = le64_get(buf + 16);
		req->phys_start = le64_get(buf + 24);
		req->flags = le32_get(buf + 32);
		break;
	case VIOMMU_T_UNMAP:
		req->domain = le32_get(buf + 4);
		req->virt_start = le64_get(buf + 8);
		req->virt_end = le64_get(buf + 16);
		req->reserved_nonzero = any_nonzero(buf + 24, 4);
		break;
	case VIOMMU_T_PROBE:
		req->endpoint = le32_get(buf + 4);
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
