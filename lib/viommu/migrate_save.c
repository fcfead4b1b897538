// SPDX-License-Identifier: MIT
/*
 * virtio-iommu device state save (live migration): the device as a
 * stream of little-endian records (migrate.h, docs/VIOMMU.md), and the
 * stream's CRC-32.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "migrate.h"
#include "util.h"
#include "viommu-internal.h"

/* CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, initial value and
 * final xor all ones), four bits at a time from a 16-entry table: small,
 * constant (no lazy init to race on), fast enough for millions of
 * mappings. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
	0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
	0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t viommu_mig_crc32(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
	}
	return crc ^ 0xffffffffu;
}

/* ------------------------------------------------------------------ */
/* Save                                                                 */

#define FOR_EACH_MAPPING(ix, m)                                            \
	for (m = vidx_next_from(ix, 0); m;                                 \
	     m = m->last == UINT64_MAX ? NULL : vidx_next_from(ix, m->last + 1))

struct writer {
	uint8_t *p;
	size_t off;
};

static uint8_t *record(struct writer *w, uint16_t type, uint32_t len)
{
	uint8_t *r = w->p + w->off;

	le16_put(r, type);
	le16_put(r + 2, 0);
	le32_put(r + 4, len);
	memset(r + MIG_RECORD_HEADER, 0, len);
	w->off += MIG_RECORD_HEADER + len;
	return r + MIG_RECORD_HEADER;
}

static size_t saved_size(const struct ioasid_virtio_iommu *v)
{
	return MIG_HEADER_SIZE + MIG_RECORD_HEADER + MIG_DEVICE_SIZE +
	       vidx_count(&v->endpoints) * (MIG_RECORD_HEADER + MIG_ENDPOINT_SIZE) +
	       vidx_count(&v->domains) * (MIG_RECORD_HEADER + MIG_DOMAIN_SIZE) +
	       v->num_mappings * (MIG_RECORD_HEADER + MIG_MAPPING_SIZE) +
	       v->ev_count * (MIG_RECORD_HEADER + MIG_EVENT_SIZE) +
	       (v->nested ? MIG_RECORD_HEADER + MIG_NESTED_SIZE : 0) +
	       MIG_CRC_SIZE;
}

/* Under ev_lock: translate() may queue a fault report at any time, and
 * the size must be the one written. */
static int save_locked(struct ioasid_virtio_iommu *v, void *buf, size_t size,
		       size_t *needed)
{
	struct viommu_endpoint *ep;
	struct viommu_domain *d;
	struct writer w = { buf, 0 };
	size_t total;
	uint8_t *r;

	total = saved_size(v);
	*needed = total;
	if (size < total)
		return ioasid_fail(-EMSGSIZE,
				   "viommu save: the state needs %zu bytes, the buffer has %zu",
				   total, size);

	memcpy(w.p, MIG_MAGIC, MIG_MAGIC_LEN);
	le32_put(w.p + 8, MIG_VERSION);
	le32_put(w.p + 12, 0);
	le64_put(w.p + 16, total);
	w.off = MIG_HEADER_SIZE;

	r = record(&w, MIG_R_DEVICE, MIG_DEVICE_SIZE);
	le64_put(r, v->config.page_size_mask);
	le64_put(r + 8, v->config.input_start);
	le64_put(r + 16, v->config.input_end);
	le32_put(r + 24, v->config.domain_start);
	le32_put(r + 28, v->config.domain_end);
	le32_put(r + 32, v->config.probe_size);
	r[36] = v->config.bypass;
	r[37] = v->features_set;
	le64_put(r + 40, v->negotiated);
	le32_put(r + 48, (uint32_t)vidx_count(&v->endpoints));
	le32_put(r + 52, (uint32_t)vidx_count(&v->domains));
	le64_put(r + 56, v->num_mappings);
	if (v->nested) {
		uint64_t gpa, rsize;

		viommu_nested_region(v, &gpa, &rsize);
		r = record(&w, MIG_R_NESTED, MIG_NESTED_SIZE);
		le64_put(r, gpa);
		le64_put(r + 8, rsize);
	}

	VIDX_FOR_EACH_ID(&v->endpoints, ep) {
		r = record(&w, MIG_R_ENDPOINT, MIG_ENDPOINT_SIZE);
		le32_put(r, ep->id);
		r[4] = ep->dev != NULL;
		r[5] = ep->domain != NULL;
		le32_put(r + 8, ep->domain ? ep->domain->id : 0);
	}
	VIDX_FOR_EACH_ID(&v->domains, d) {
		r = record(&w, MIG_R_DOMAIN, MIG_DOMAIN_SIZE);
		le32_put(r, d->id);
		r[4] = d->bypass ? MIG_DOM_F_BYPASS : 0;
		r[5] = d->nested ? MIG_MODE_NESTED : MIG_MODE_SHADOW;
	}
	VIDX_FOR_EACH_ID(&v->domains, d) {
		struct viommu_mapping *m;

		FOR_EACH_MAPPING(&d->maps, m) {
			r = record(&w, MIG_R_MAPPING, MIG_MAPPING_SIZE);
			le32_put(r, d->id);
			le32_put(r + 4, m->flags);
			le64_put(r + 8, m->start);
			le64_put(r + 16, m->last);
			le64_put(r + 24, m->phys);
		}
	}
	for (uint32_t i = 0; i < v->ev_count; i++) {
		const struct viommu_fault *f =
			&v->events[(v->ev_head + i) % v->max_events].fault;

		r = record(&w, MIG_R_EVENT, MIG_EVENT_SIZE);
		r[0] = f->reason;
		le32_put(r + 4, f->flags);
		le32_put(r + 8, f->endpoint);
		le64_put(r + 16, f->address);
	}
	le32_put(w.p + w.off, viommu_mig_crc32(w.p, w.off));
	return 0;
}

int ioasid_virtio_iommu_save(struct ioasid_virtio_iommu *v, void *buf, size_t size,
		       size_t *needed)
{
	int rc;

	ioasid_clear_error();
	if (!v || !needed || (!buf && size))
		return ioasid_fail(-EINVAL, "viommu save: NULL argument");
	pthread_mutex_lock(&v->ev_lock);
	rc = save_locked(v, buf, size, needed);
	pthread_mutex_unlock(&v->ev_lock);
	return rc;
}
