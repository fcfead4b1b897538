// SPDX-License-Identifier: MIT
/*
 * virtio-iommu device state restore (live migration).  The format is
 * in docs/VIOMMU.md ("Device state save/restore"): a header (magic,
 * version, length), type/length records with little-endian fields, and a
 * CRC-32 trailer.
 *
 * The stream may come from an untrusted source host, so restore reads it
 * like a guest request: field by field from bytes, every length checked
 * before use, every count bounded by the stream's own size, and every
 * record checked against the others and against the new device (its
 * endpoints, RAM, config, caps).  Nothing touches the device until all of
 * that passed; then the host state is built, and undone if the host
 * refuses part of it, so a failed restore leaves the device as it was.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "migrate.h"
#include "util.h"
#include "viommu-internal.h"
#include "pgtable.h"

/* ------------------------------------------------------------------ */
/* Restore: parse into staging                                          */

struct st_endpoint {
	uint32_t id;
	uint8_t physical, attached;
	uint32_t domain;
	struct viommu_endpoint *ep; /* the new device's */
};

struct st_domain {
	uint32_t id;
	bool bypass;
	bool nested; /* a stage-1 table on the source */
	uint32_t num_endpoints;
	struct viommu_domain *d; /* built at commit */
};

struct st_mapping {
	uint32_t domain;
	struct viommu_mapping m;
};

struct staging {
	struct viommu_config config;
	bool features_set;
	uint64_t negotiated;
	uint32_t num_endpoints, num_domains, num_events;
	uint64_t num_mappings;
	struct st_endpoint *endpoints;
	struct st_domain *domains;
	struct st_mapping *mappings;
	struct viommu_fault *events;
	/* How many of each the records gave. */
	uint32_t got_endpoints, got_domains, got_events;
	uint64_t got_mappings;
	/* NESTED record: the source's table region. */
	bool have_nested;
	uint64_t region_gpa, region_size;
	uint32_t num_nested_domains;
};

static void staging_free(struct staging *s)
{
	free(s->endpoints);
	free(s->domains);
	free(s->mappings);
	free(s->events);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A corrupted or inconsistent stream. */
static int bad(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ioasid_fail(-EBADMSG, "viommu restore: %s", msg);
}

static const char *record_name(uint16_t type)
{
	switch (type) {
	case MIG_R_DEVICE:
		return "DEVICE";
	case MIG_R_ENDPOINT:
		return "ENDPOINT";
	case MIG_R_DOMAIN:
		return "DOMAIN";
	case MIG_R_MAPPING:
		return "MAPPING";
	case MIG_R_EVENT:
		return "EVENT";
	case MIG_R_NESTED:
		return "NESTED";
	default:
		return "unknown";
	}
}

static uint32_t record_size(uint16_t type)
{
	switch (type) {
	case MIG_R_DEVICE:
		return MIG_DEVICE_SIZE;
	case MIG_R_ENDPOINT:
		return MIG_ENDPOINT_SIZE;
	case MIG_R_DOMAIN:
		return MIG_DOMAIN_SIZE;
	case MIG_R_MAPPING:
		return MIG_MAPPING_SIZE;
	case MIG_R_EVENT:
		return MIG_EVENT_SIZE;
	case MIG_R_NESTED:
		return MIG_NESTED_SIZE;
	default:
		return 0;
	}
}

static bool nonzero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc != 0;
}

/* The DEVICE record: the counts it announces must fit in what is left of
 * the stream (@body bytes of records), so that the staging arrays are
 * bounded by the stream's size, not by what a hostile source claims. */
static int parse_device(struct staging *s, const uint8_t *r, size_t body)
{
	uint64_t need;

	s->config.page_size_mask = le64_get(r);
	s->config.input_start = le64_get(r + 8);
	s->config.input_end = le64_get(r + 16);
	s->config.domain_start = le32_get(r + 24);
	s->config.domain_end = le32_get(r + 28);
	s->config.probe_size = le32_get(r + 32);
	s->config.bypass = r[36];
	if (r[36] > 1 || r[37] > 1)
		return bad("DEVICE record: bypass %u or features_set %u is not 0 or 1",
			   r[36], r[37]);
	if (nonzero(r + 38, 2))
		return bad("DEVICE record: reserved bytes are not zero");
	s->features_set = r[37];
	s->negotiated = le64_get(r + 40);
	s->num_endpoints = le32_get(r + 48);
	s->num_domains = le32_get(r + 52);
	s->num_mappings = le64_get(r + 56);
	/* Overflow-free: each count is below 2^32 or checked alone. */
	if (s->num_mappings > body / (MIG_RECORD_HEADER + MIG_MAPPING_SIZE))
		return bad("DEVICE record: %llu mappings cannot fit in %zu bytes of records",
			   (unsigned long long)s->num_mappings, body);
	need = (uint64_t)s->num_endpoints * (MIG_RECORD_HEADER + MIG_ENDPOINT_SIZE) +
	       (uint64_t)s->num_domains * (MIG_RECORD_HEADER + MIG_DOMAIN_SIZE) +
	       s->num_mappings * (MIG_RECORD_HEADER + MIG_MAPPING_SIZE);
	if (need > body)
		return bad("DEVICE record: %u endpoints, %u domains and %llu mappings cannot fit in %zu bytes of records",
			   s->num_endpoints, s->num_domains,
			   (unsigned long long)s->num_mappings, body);
	s->endpoints = calloc(s->num_endpoints ? s->num_endpoints : 1,
			      sizeof(*s->endpoints));
	s->domains = calloc(s->num_domains ? s->num_domains : 1,
			    sizeof(*s->domains));
	s->mappings = calloc(s->num_mappings ? s->num_mappings : 1,
			     sizeof(*s->mappings));
	s->events = calloc(body / (MIG_RECORD_HEADER + MIG_EVENT_SIZE) + 1,
			   sizeof(*s->events));
	if (!s->endpoints || !s->domains || !s->mappings || !s->events)
		return ioasid_fail(-ENOMEM, "viommu restore: out of memory");
	return 0;
}

static int parse_record(struct staging *s, uint16_t type, const uint8_t *r,
			size_t at)
{
	switch (type) {
	case MIG_R_ENDPOINT: {
		struct st_endpoint *e;

		if (s->got_endpoints == s->num_endpoints)
			return bad("ENDPOINT record at offset %zu: more than the %u the DEVICE record announced",
				   at, s->num_endpoints);
		e = &s->endpoints[s->got_endpoints++];
		e->id = le32_get(r);
		e->physical = r[4];
		e->attached = r[5];
		e->domain = le32_get(r + 8);
		if (r[4] > 1 || r[5] > 1 || nonzero(r + 6, 2) ||
		    (!r[5] && e->domain))
			return bad("ENDPOINT record %u at offset %zu: bad kind %u, attached %u, reserved bytes or domain",
				   e->id, at, r[4], r[5]);
		return 0;
	}
	case MIG_R_DOMAIN: {
		struct st_domain *d;

		if (s->got_domains == s->num_domains)
			return bad("DOMAIN record at offset %zu: more than the %u the DEVICE record announced",
				   at, s->num_domains);
		d = &s->domains[s->got_domains++];
		d->id = le32_get(r);
		if (r[4] & ~MIG_DOM_F_BYPASS || nonzero(r + 6, 2))
			return bad("DOMAIN record %u at offset %zu: unknown flags %#x or reserved bytes set",
				   d->id, at, r[4]);
		if (r[5] != MIG_MODE_SHADOW && r[5] != MIG_MODE_NESTED)
			return bad("DOMAIN record %u at offset %zu: unknown mode %u",
				   d->id, at, r[5]);
		d->bypass = r[4] & MIG_DOM_F_BYPASS;
		d->nested = r[5] == MIG_MODE_NESTED;
		if (d->nested && d->bypass)
			return bad("DOMAIN record %u at offset %zu: a bypass domain cannot be nested",
				   d->id, at);
		s->num_nested_domains += d->nested;
		return 0;
	}
	case MIG_R_MAPPING: {
		struct st_mapping *m;

		if (s->got_mappings == s->num_mappings)
			return bad("MAPPING record at offset %zu: more than the %llu the DEVICE record announced",
				   at, (unsigned long long)s->num_mappings);
		m = &s->mappings[s->got_mappings++];
		m->domain = le32_get(r);
		m->m.flags = le32_get(r + 4);
		m->m.start = le64_get(r + 8);
		m->m.last = le64_get(r + 16);
		m->m.phys = le64_get(r + 24);
		return 0;
	}
	case MIG_R_NESTED: {
		uint64_t gpa = le64_get(r), size = le64_get(r + 8);

		if (s->have_nested)
			return bad("a second NESTED record at offset %zu", at);
		s->have_nested = true;
		s->region_gpa = gpa;
		s->region_size = size;
		/* What ioasid_virtio_iommu_enable_nested() accepts. */
		if (!size || (gpa | size) & (VPT_PAGE_SIZE - 1) ||
		    gpa + size - 1 < gpa ||
		    gpa + size - 1 > VPT_ADDR_MASK)
			return bad("NESTED record at offset %zu: table region %#llx+%#llx is empty, misaligned or out of range",
				   at, (unsigned long long)gpa,
				   (unsigned long long)size);
		return 0;
	}
	default: { /* MIG_R_EVENT */
		struct viommu_fault *f = &s->events[s->got_events++];

		f->reason = r[0];
		f->flags = le32_get(r + 4);
		f->endpoint = le32_get(r + 8);
		f->address = le64_get(r + 16);
		if (nonzero(r + 1, 3) || nonzero(r + 12, 4) ||
		    f->reason > VIOMMU_FAULT_R_MAPPING ||
		    f->flags & ~(VIOMMU_FAULT_F_READ | VIOMMU_FAULT_F_WRITE |
				 VIOMMU_FAULT_F_ADDRESS))
			return bad("EVENT record at offset %zu: bad reason %u, flags %#x or reserved bytes",
				   at, f->reason, f->flags);
		return 0;
	}
	}
}

/* Header, length, checksum, then each record into @s. */
static int parse_stream(const uint8_t *p, size_t size, struct staging *s)
{
	uint64_t length;
	uint32_t version, crc, want;
	size_t off, end;
	bool have_device = false;
	int rc;

	if (size < MIG_MAGIC_LEN || memcmp(p, MIG_MAGIC, MIG_MAGIC_LEN))
		return bad("not a virtio-iommu state stream (no \"%s\" magic)",
			   MIG_MAGIC);
	if (size < MIG_HEADER_SIZE)
		return bad("truncated: %zu bytes, the header alone is %u", size,
			   MIG_HEADER_SIZE);
	version = le32_get(p + 8);
	if (version != MIG_VERSION)
		return ioasid_fail(-EPROTONOSUPPORT,
				   "viommu restore: stream version %u, this library reads version %u",
				   version, MIG_VERSION);
	if (le32_get(p + 12))
		return bad("header flags %#x are not zero", le32_get(p + 12));
	length = le64_get(p + 16);
	if (length != size)
		return bad("the header says %llu bytes, the buffer holds %zu (%s)",
			   (unsigned long long)length, size,
			   length > size ? "truncated" : "trailing bytes");
	if (size < MIG_HEADER_SIZE + MIG_RECORD_HEADER + MIG_DEVICE_SIZE +
			   MIG_CRC_SIZE)
		return bad("%zu bytes cannot hold the header, a DEVICE record and the checksum",
			   size);
	end = size - MIG_CRC_SIZE;
	crc = le32_get(p + end);
	want = viommu_mig_crc32(p, end);
	if (crc != want)
		return bad("checksum mismatch (stream %#010x, computed %#010x): corrupted",
			   crc, want);

	for (off = MIG_HEADER_SIZE; off < end;) {
		uint16_t type, flags;
		uint32_t len, known;

		if (end - off < MIG_RECORD_HEADER)
			return bad("record header at offset %zu is cut off", off);
		type = le16_get(p + off);
		flags = le16_get(p + off + 2);
		len = le32_get(p + off + 4);
		if (len > end - off - MIG_RECORD_HEADER)
			return bad("record type %u at offset %zu: length %u runs past the end",
				   type, off, len);
		if (flags & ~MIG_RF_OPTIONAL)
			return bad("record type %u at offset %zu: unknown flags %#x",
				   type, off, flags);
		known = record_size(type);
		if (!known) {
			if (flags & MIG_RF_OPTIONAL) {
				off += MIG_RECORD_HEADER + len;
				continue;
			}
			return ioasid_fail(-EPROTONOSUPPORT,
					   "viommu restore: record type %u at offset %zu is not known to this library",
					   type, off);
		}
		if (len != known)
			return bad("%s record at offset %zu: length %u, expected %u",
				   record_name(type), off, len, known);
		if (!have_device) {
			if (type != MIG_R_DEVICE)
				return bad("the first record (offset %zu) is %s, not DEVICE",
					   off, record_name(type));
			rc = parse_device(s, p + off + MIG_RECORD_HEADER,
					  end - off - MIG_RECORD_HEADER - len);
			have_device = true;
		} else if (type == MIG_R_DEVICE) {
			rc = bad("a second DEVICE record at offset %zu", off);
		} else {
			rc = parse_record(s, type, p + off + MIG_RECORD_HEADER,
					  off);
		}
		if (rc)
			return rc;
		off += MIG_RECORD_HEADER + len;
	}
	if (!have_device)
		return bad("no DEVICE record");
	if (s->got_endpoints != s->num_endpoints ||
	    s->got_domains != s->num_domains ||
	    s->got_mappings != s->num_mappings)
		return bad("the DEVICE record announced %u endpoints, %u domains, %llu mappings; the stream has %u, %u, %llu",
			   s->num_endpoints, s->num_domains,
			   (unsigned long long)s->num_mappings, s->got_endpoints,
			   s->got_domains, (unsigned long long)s->got_mappings);
	s->num_events = s->got_events;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Restore: check against the new device                                */

static int cmp_endpoint(const void *a, const void *b)
{
	uint32_t x = ((const struct st_endpoint *)a)->id;
	uint32_t y = ((const struct st_endpoint *)b)->id;

	return x < y ? -1 : x > y;
}

static int cmp_domain(const void *a, const void *b)
{
	uint32_t x = ((const struct st_domain *)a)->id;
	uint32_t y = ((const struct st_domain *)b)->id;

	return x < y ? -1 : x > y;
}

static int cmp_mapping(const void *a, const void *b)
{
	const struct st_mapping *x = a, *y = b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	return x->m.start < y->m.start ? -1 : x->m.start > y->m.start;
}

static struct st_domain *find_domain(struct staging *s, uint32_t id)
{
	struct st_domain key = { .id = id };

	return bsearch(&key, s->domains, s->num_domains, sizeof(key),
		       cmp_domain);
}

/* A mismatch between the stream and the destination device. */
static int mismatch(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int mismatch(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ioasid_fail(-EINVAL, "viommu restore: %s", msg);
}

static int check_config(const struct ioasid_virtio_iommu *v, const struct staging *s)
{
	const struct viommu_config *a = &s->config, *b = &v->config;

	/* The guest read these: the destination must present the same. */
	if (a->page_size_mask != b->page_size_mask)
		return mismatch("the guest was given page_size_mask %#llx, this device offers %#llx",
				(unsigned long long)a->page_size_mask,
				(unsigned long long)b->page_size_mask);
	if (a->input_start != b->input_start || a->input_end != b->input_end)
		return mismatch("the guest was given input_range %#llx-%#llx, this device offers %#llx-%#llx",
				(unsigned long long)a->input_start,
				(unsigned long long)a->input_end,
				(unsigned long long)b->input_start,
				(unsigned long long)b->input_end);
	if (a->domain_start != b->domain_start || a->domain_end != b->domain_end)
		return mismatch("the guest was given domain_range %u-%u, this device offers %u-%u",
				a->domain_start, a->domain_end, b->domain_start,
				b->domain_end);
	if (a->probe_size != b->probe_size)
		return mismatch("the guest was given probe_size %u, this device offers %u",
				a->probe_size, b->probe_size);
	if (s->negotiated & ~DEVICE_FEATURE_BITS ||
	    s->negotiated & ~v->offered || (!s->features_set && s->negotiated))
		return mismatch("negotiated features %#llx are not a subset of the offered %#llx",
				(unsigned long long)s->negotiated,
				(unsigned long long)v->offered);
	return 0;
}

static int check_endpoints(struct ioasid_virtio_iommu *v, struct staging *s)
{
	qsort(s->endpoints, s->num_endpoints, sizeof(*s->endpoints),
	      cmp_endpoint);
	for (uint32_t i = 0; i < s->num_endpoints; i++) {
		struct st_endpoint *e = &s->endpoints[i];
		struct st_domain *d;

		if (i && e->id == e[-1].id)
			return bad("endpoint %u appears twice", e->id);
		e->ep = vidx_find(&v->endpoints, e->id);
		if (!e->ep)
			return mismatch("endpoint %u of the stream is not registered on this device",
					e->id);
		if (!e->ep->dev != !e->physical)
			return mismatch("endpoint %u is %s in the stream, %s on this device",
					e->id, e->physical ? "physical" : "emulated",
					e->ep->dev ? "physical" : "emulated");
		if (!e->attached)
			continue;
		d = find_domain(s, e->domain);
		if (!d)
			return bad("endpoint %u is attached to domain %u, which the stream does not have",
				   e->id, e->domain);
		d->num_endpoints++;
	}
	/* The host attaches an IOMMU group as a unit, and so does the
	 * device model: a stream that splits one is not one it wrote. */
	for (uint32_t i = 0; i < s->num_endpoints; i++) {
		struct st_endpoint *a = &s->endpoints[i];

		for (uint32_t j = i + 1; j < s->num_endpoints; j++) {
			struct st_endpoint *b = &s->endpoints[j];

			if (!viommu_group_mates(a->ep, b->ep) ||
			    (a->attached == b->attached &&
			     (!a->attached || a->domain == b->domain)))
				continue;
			return bad("endpoints %u and %u share IOMMU group %d but not a domain",
				   a->id, b->id, a->ep->group);
		}
	}
	if (s->num_endpoints != vidx_count(&v->endpoints)) {
		struct viommu_endpoint *ep;

		VIDX_FOR_EACH_ID(&v->endpoints, ep) {
			struct st_endpoint key = { .id = ep->id };

			if (!bsearch(&key, s->endpoints, s->num_endpoints,
				     sizeof(key), cmp_endpoint))
				return mismatch("endpoint %u is registered on this device but not in the stream",
						ep->id);
		}
	}
	return 0;
}

static bool resv_hit(const struct viommu_endpoint *ep, uint64_t start,
		     uint64_t last)
{
	for (uint32_t i = 0; i < ep->num_resv; i++)
		if (ep->resv[i].start <= last && start <= ep->resv[i].last)
			return true;
	return false;
}

static bool region_hit(const struct staging *s, uint64_t start, uint64_t last)
{
	return s->have_nested && s->region_gpa <= last &&
	       start <= s->region_gpa + s->region_size - 1;
}

static int check_mappings(struct ioasid_virtio_iommu *v, struct staging *s)
{
	uint64_t mask = v->granule - 1;

	if (s->num_mappings > viommu_mapping_cap(v))
		return mismatch("%llu mappings, this device allows %u",
				(unsigned long long)s->num_mappings,
				viommu_mapping_cap(v));
	qsort(s->mappings, s->num_mappings, sizeof(*s->mappings), cmp_mapping);
	for (uint64_t i = 0; i < s->num_mappings; i++) {
		const struct st_mapping *sm = &s->mappings[i];
		const struct viommu_mapping *m = &sm->m;
		struct st_domain *d = find_domain(s, sm->domain);

		if (!d)
			return bad("mapping %#llx-%#llx is in domain %u, which the stream does not have",
				   (unsigned long long)m->start,
				   (unsigned long long)m->last, sm->domain);
		if (d->bypass)
			return bad("bypass domain %u has a mapping", d->id);
		if (m->flags & ~VIOMMU_MAP_F_MASK ||
		    (m->flags & VIOMMU_MAP_F_MMIO &&
		     !(s->negotiated & IOASID_VIRTIO_IOMMU_F_MMIO)))
			return bad("domain %u mapping at %#llx: flags %#x",
				   d->id, (unsigned long long)m->start, m->flags);
		if (m->last < m->start || m->start & mask || m->phys & mask ||
		    (m->last + 1) & mask || m->start < v->config.input_start ||
		    m->last > v->config.input_end ||
		    m->phys + (m->last - m->start) < m->phys)
			return bad("domain %u mapping %#llx-%#llx -> %#llx: empty, misaligned, outside input_range or wrapping",
				   d->id, (unsigned long long)m->start,
				   (unsigned long long)m->last,
				   (unsigned long long)m->phys);
		if (region_hit(s, m->start, m->last) ||
		    (!(m->flags & VIOMMU_MAP_F_MMIO) &&
		     region_hit(s, m->phys, m->phys + (m->last - m->start))))
			return bad("domain %u mapping %#llx-%#llx -> %#llx overlaps the table region %#llx-%#llx",
				   d->id, (unsigned long long)m->start,
				   (unsigned long long)m->last,
				   (unsigned long long)m->phys,
				   (unsigned long long)s->region_gpa,
				   (unsigned long long)(s->region_gpa +
							s->region_size - 1));
		if (i && sm[-1].domain == sm->domain && sm[-1].m.last >= m->start)
			return bad("domain %u: mappings %#llx-%#llx and %#llx-%#llx overlap",
				   d->id, (unsigned long long)sm[-1].m.start,
				   (unsigned long long)sm[-1].m.last,
				   (unsigned long long)m->start,
				   (unsigned long long)m->last);
		if (!(m->flags & VIOMMU_MAP_F_MMIO) &&
		    !viommu_ram_covers(v, m->phys, m->phys + (m->last - m->start)))
			return mismatch("domain %u mapping %#llx-%#llx: guest-physical %#llx-%#llx is not RAM of this device",
					d->id, (unsigned long long)m->start,
					(unsigned long long)m->last,
					(unsigned long long)m->phys,
					(unsigned long long)(m->phys + (m->last - m->start)));
		for (uint32_t j = 0; j < s->num_endpoints; j++) {
			const struct st_endpoint *e = &s->endpoints[j];

			if (e->attached && e->domain == d->id &&
			    resv_hit(e->ep, m->start, m->last))
				return mismatch("domain %u mapping %#llx-%#llx overlaps a reserved region of endpoint %u",
						d->id, (unsigned long long)m->start,
						(unsigned long long)m->last, e->id);
		}
	}
	return 0;
}

/* Nested mode: the stream and the device must agree on it, and on the
 * table region (the guest was told about it in every PROBE).  Checked
 * before the config, whose input_end nested mode clamps, so that the
 * message names the cause. */
static int check_nested(struct ioasid_virtio_iommu *v, const struct staging *s)
{
	uint64_t gpa = 0, size = 0, last;

	if (s->num_nested_domains && !s->have_nested)
		return bad("%u domains are nested, but the stream has no NESTED record (table region)",
			   s->num_nested_domains);
	if (!s->have_nested) {
		if (v->nested) {
			viommu_nested_region(v, &gpa, &size);
			return mismatch("the stream is from a device without nested mode; this device has nested mode on (table region %#llx-%#llx, which the guest was never told about)",
					(unsigned long long)gpa,
					(unsigned long long)(gpa + size - 1));
		}
		return 0;
	}
	last = s->region_gpa + s->region_size - 1;
	if (!v->nested)
		return mismatch("the stream is from a device in nested mode (table region %#llx-%#llx, %u nested domains); enable nested mode on this device first",
				(unsigned long long)s->region_gpa,
				(unsigned long long)last, s->num_nested_domains);
	for (uint32_t i = 0; i < v->num_ram; i++)
		if (v->ram[i].gpa <= last &&
		    s->region_gpa <= v->ram[i].gpa + v->ram[i].size - 1)
			return mismatch("the stream's table region %#llx-%#llx overlaps guest RAM %#llx-%#llx of this device",
					(unsigned long long)s->region_gpa,
					(unsigned long long)last,
					(unsigned long long)v->ram[i].gpa,
					(unsigned long long)(v->ram[i].gpa +
							     v->ram[i].size - 1));
	viommu_nested_region(v, &gpa, &size);
	if (gpa != s->region_gpa || size != s->region_size)
		return mismatch("the guest was given table region %#llx-%#llx, this device reserves %#llx-%#llx",
				(unsigned long long)s->region_gpa,
				(unsigned long long)last, (unsigned long long)gpa,
				(unsigned long long)(gpa + size - 1));
	return 0;
}

static int check_staging(struct ioasid_virtio_iommu *v, struct staging *s)
{
	int rc;

	rc = check_nested(v, s);
	if (rc)
		return rc;
	rc = check_config(v, s);
	if (rc)
		return rc;
	if (s->num_domains > v->max_domains)
		return mismatch("%u domains, this device allows %u",
				s->num_domains, v->max_domains);
	qsort(s->domains, s->num_domains, sizeof(*s->domains), cmp_domain);
	for (uint32_t i = 0; i < s->num_domains; i++) {
		if (i && s->domains[i].id == s->domains[i - 1].id)
			return bad("domain %u appears twice", s->domains[i].id);
		if (s->domains[i].id < v->config.domain_start ||
		    s->domains[i].id > v->config.domain_end)
			return bad("domain %u is outside domain_range %u-%u",
				   s->domains[i].id, v->config.domain_start,
				   v->config.domain_end);
	}
	rc = check_endpoints(v, s);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s->num_domains; i++)
		if (!s->domains[i].num_endpoints)
			return bad("domain %u has no endpoint (a domain goes with its last endpoint)",
				   s->domains[i].id);
	rc = check_mappings(v, s);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s->num_events; i++) {
		const struct viommu_fault *f = &s->events[i];
		struct st_endpoint key = { .id = f->endpoint };

		/* What this device queues: a DOMAIN or MAPPING fault of a
		 * registered endpoint, with its address. */
		if (!bsearch(&key, s->endpoints, s->num_endpoints, sizeof(key),
			     cmp_endpoint))
			return bad("EVENT record %u names endpoint %u, which the stream does not have",
				   i, f->endpoint);
		if ((f->reason != VIOMMU_FAULT_R_DOMAIN &&
		     f->reason != VIOMMU_FAULT_R_MAPPING) ||
		    !(f->flags & VIOMMU_FAULT_F_ADDRESS))
			return bad("EVENT record %u: reason %u with flags %#x is not a fault this device reports",
				   i, f->reason, f->flags);
	}
	if (s->num_events > v->max_events)
		return mismatch("%u queued fault reports, this device keeps %u",
				s->num_events, v->max_events);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Restore: commit, or roll back                                        */

/* Undo a partial commit: endpoints back to unattached (as before, with
 * the old bypass), every domain built so far gone with its host state
 * (and, after the grace period, from translate()'s view), and the nest
 * parents of host IOMMUs that nested mode met first in this restore
 * (after the first @iommus_before). */
static void rollback(struct ioasid_virtio_iommu *v, struct staging *s,
		     uint8_t old_bypass, uint32_t iommus_before)
{
	v->config.bypass = old_bypass;
	viommu_publish_bypass(v);
	for (uint32_t i = 0; i < s->num_endpoints; i++) {
		struct viommu_endpoint *ep = s->endpoints[i].ep;

		viommu_ep_set_domain(v, ep, NULL);
		ep->dom_next = NULL;
		if (ep->dev &&
		    v->strategy->endpoint_place(v, ep, NULL, old_bypass == 1))
			v->strategy->endpoint_place(v, ep, NULL, false);
	}
	for (uint32_t i = 0; i < s->num_domains; i++) {
		struct viommu_domain *d = s->domains[i].d;

		if (!d)
			continue;
		viommu_domain_retire(v, d);
		s->domains[i].d = NULL;
	}
	v->num_mappings = 0;
	/* The destroyed tables' pages sit in quarantine; no HWPT walks
	 * them any more, so the flush only returns them to the pool. */
	if (v->nested && ioasid_virtio_iommu_flush(v))
		ioasid_log(IOASID_WARN, "viommu restore: rollback: %s",
			   ioasid_errmsg());
	viommu_nested_forget_iommus(v, iommus_before);
}

static int commit(struct ioasid_virtio_iommu *v, struct staging *s)
{
	uint8_t old_bypass = v->config.bypass;
	uint32_t iommus_before = viommu_nested_num_iommus(v);
	int rc = 0;

	for (uint32_t i = 0; i < s->num_domains && !rc; i++) {
		struct viommu_domain *d =
			viommu_domain_new(s->domains[i].id, s->domains[i].bypass);

		if (!d) {
			rc = ioasid_fail(-ENOMEM, "viommu restore: out of memory");
			break;
		}
		/* A domain that was shadow on the source stays shadow (its
		 * write-only maps stay write-only); a nested one gets a
		 * table in this device's region, or becomes shadow here as
		 * at run time if this host cannot nest it. */
		if (v->nested && !s->domains[i].nested)
			rc = viommu_shadow_strategy.domain_create(v, d);
		else
			rc = v->strategy->domain_create(v, d);
		if (rc) {
			free(d);
			break;
		}
		s->domains[i].d = d;
		rc = vidx_insert(&v->domains, d->id, d->id, d);
		if (rc)
			rc = ioasid_fail(rc, "viommu restore: cannot index domain %u",
					 d->id);
	}
	for (uint64_t i = 0; i < s->num_mappings && !rc; i++) {
		struct viommu_domain *d = find_domain(s, s->mappings[i].domain)->d;
		const struct viommu_mapping *sm = &s->mappings[i].m;
		struct viommu_mapping *m = NULL;

		if (vrt_reserve(&d->rmaps, &v->vrt) ||
		    !(m = viommu_mapping_new(v))) {
			rc = ioasid_fail(-ENOMEM, "viommu restore: out of memory");
			break;
		}
		m->start = sm->start;
		m->last = sm->last;
		m->phys = sm->phys;
		m->flags = sm->flags;
		rc = v->strategy->map(v, d, m);
		if (rc) {
			viommu_mapping_put(v, m);
			break;
		}
		rc = vidx_insert(&d->maps, m->start, m->last, m);
		if (rc) {
			v->strategy->unmap(v, d, m);
			viommu_mapping_put(v, m);
			rc = ioasid_fail(rc, "viommu restore: cannot index a mapping");
			break;
		}
		viommu_map_publish(v, d, m);
		v->num_mappings++;
	}
	if (!rc) {
		v->config.bypass = s->config.bypass;
		viommu_publish_bypass(v);
	}
	for (uint32_t i = 0; i < s->num_endpoints && !rc; i++) {
		struct st_endpoint *e = &s->endpoints[i];
		struct viommu_endpoint *ep = e->ep;
		struct viommu_domain *d =
			e->attached ? find_domain(s, e->domain)->d : NULL;

		if (d)
			rc = v->strategy->endpoint_place(v, ep, d, false);
		else if (ep->dev)
			rc = v->strategy->endpoint_place(v, ep, NULL,
							 viommu_unattached_bypass(v));
		if (rc)
			break;
		if (d) {
			viommu_ep_set_domain(v, ep, d);
			ep->dom_next = d->endpoints;
			d->endpoints = ep;
			d->num_endpoints++;
		}
	}
	if (rc) {
		/* The cleanup calls clear the message: keep the failure's. */
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
		rollback(v, s, old_bypass, iommus_before);
		return ioasid_fail(rc, "viommu restore: rebuilding the host state: %s",
				   msg);
	}
	v->negotiated = s->negotiated;
	v->features_set = s->features_set;
	/* A translate() of an unattached endpoint during the restore may
	 * have queued a report since the check: the source's replace it
	 * (counted as dropped). */
	pthread_mutex_lock(&v->ev_lock);
	v->events_dropped += v->ev_count;
	v->ev_head = 0;
	v->ev_count = s->num_events;
	for (uint32_t i = 0; i < s->num_events; i++)
		v->events[i].fault = s->events[i];
	pthread_mutex_unlock(&v->ev_lock);
	return 0;
}

int ioasid_virtio_iommu_restore(struct ioasid_virtio_iommu *v, const void *buf,
			  size_t size)
{
	struct staging s = { 0 };
	int rc;

	ioasid_clear_error();
	if (!v || (!buf && size))
		return ioasid_fail(-EINVAL, "viommu restore: NULL argument");
	pthread_mutex_lock(&v->ev_lock);
	rc = v->ev_count != 0;
	pthread_mutex_unlock(&v->ev_lock);
	if (vidx_count(&v->domains) || v->num_mappings || rc)
		return ioasid_fail(-EBUSY,
				   "viommu restore: the device has guest state already (restore into a new or reset device)");
	rc = parse_stream(buf, size, &s);
	if (!rc)
		rc = check_staging(v, &s);
	if (!rc)
		rc = commit(v, &s);
	staging_free(&s);
	viommu_writer_done(v);
	if (viommu_after_change)
		viommu_after_change(v);
	return rc;
}
