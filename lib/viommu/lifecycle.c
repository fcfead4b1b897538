// SPDX-License-Identifier: MIT
/*
 * virtio-iommu device model: the device's life (create, endpoints, RAM,
 * reset) and its transport-facing side (features, config space).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "viommu-internal.h"

#define DEFAULT_PROBE_SIZE 512u
#define MAX_PROBE_SIZE 65536u
#define DEFAULT_MAX_DOMAINS 65536u
#define DEFAULT_MAX_EVENTS 64u
#define CONFIG_BYPASS_OFFSET 36u

#define OFFERED_FEATURES                                                   \
	(IOASID_VIRTIO_IOMMU_F_INPUT_RANGE | IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE |      \
	 IOASID_VIRTIO_IOMMU_F_MAP_UNMAP | IOASID_VIRTIO_IOMMU_F_PROBE |                \
	 IOASID_VIRTIO_IOMMU_F_MMIO | IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG)
#define DEVICE_FEATURE_BITS ((1ull << 24) - 1)

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static void set_granule(struct ioasid_virtio_iommu *v, uint64_t granule)
{
	v->granule = granule;
	/* The granule and every larger size: the lowest bit is what the
	 * driver must honour, the others are hints (9, 10). */
	v->config.page_size_mask = ~(granule - 1);
}

/* The options that shape the offer: the input range and the withheld
 * feature bits (ioasid_virtio_iommu_opts). */
static int check_offer(const struct ioasid_virtio_iommu_opts *opts,
		       uint64_t granule, uint32_t dstart, uint32_t dend)
{
	uint64_t start = IOASID_OPTS_GET(opts, input_start, 0);
	uint64_t end = IOASID_OPTS_GET(opts, input_end, 0);
	uint64_t wh = IOASID_OPTS_GET(opts, withhold_features, 0);
	uint32_t flags = IOASID_OPTS_GET(opts, flags, 0);
	bool range = start || end;

	if (flags & ~IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE)
		return ioasid_fail(-EINVAL,
				   "viommu opts: unknown flags %#x",
				   flags & ~IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE);
	if (range && start > end)
		return ioasid_fail(-EINVAL,
				   "viommu opts: input range %#llx-%#llx is empty",
				   (unsigned long long)start,
				   (unsigned long long)end);
	if (range && (start & (granule - 1) ||
		      (end != UINT64_MAX && (end + 1) & (granule - 1))))
		return ioasid_fail(-EINVAL,
				   "viommu opts: input range %#llx-%#llx is not aligned to the granule %#llx",
				   (unsigned long long)start,
				   (unsigned long long)end,
				   (unsigned long long)granule);
	if (wh & ~(OFFERED_FEATURES | IOASID_VIRTIO_IOMMU_F_BYPASS))
		return ioasid_fail(-EINVAL,
				   "viommu opts: withhold_features %#llx are not device feature bits of virtio-iommu",
				   (unsigned long long)(wh & ~(OFFERED_FEATURES |
							     IOASID_VIRTIO_IOMMU_F_BYPASS)));
	if (wh & IOASID_VIRTIO_IOMMU_F_MAP_UNMAP)
		return ioasid_fail(-EINVAL,
				   "viommu opts: withhold_features: MAP_UNMAP cannot be withheld (the device has no other way to map)");
	if (wh & IOASID_VIRTIO_IOMMU_F_INPUT_RANGE && range &&
	    (start || end != UINT64_MAX))
		return ioasid_fail(-EINVAL,
				   "viommu opts: withhold_features: INPUT_RANGE withheld, but input range %#llx-%#llx is not the full space the driver then assumes",
				   (unsigned long long)start,
				   (unsigned long long)end);
	if (wh & IOASID_VIRTIO_IOMMU_F_DOMAIN_RANGE &&
	    (dstart || dend != UINT32_MAX))
		return ioasid_fail(-EINVAL,
				   "viommu opts: withhold_features: DOMAIN_RANGE withheld, but domain range %u-%u is not the full range the driver then assumes",
				   dstart, dend);
	return 0;
}

int ioasid_virtio_iommu_create(struct ioasid_ctx *ctx,
			 const struct ioasid_virtio_iommu_opts *opts,
			 struct ioasid_virtio_iommu **vp)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t granule;
	uint32_t dstart, dend, probe_size;
	struct ioasid_virtio_iommu *v;
	int rc;

	ioasid_clear_error();
	if (!ctx || !vp)
		return ioasid_fail(-EINVAL, "viommu create: %s is NULL",
				   ctx ? "vp" : "ctx");
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_virtio_iommu_opts),
			       "ioasid_virtio_iommu_opts");
	if (rc)
		return rc;
	if (IOASID_OPTS_GET(opts, bypass, 0) > 1)
		return ioasid_fail(-EINVAL, "viommu opts: bypass %u is not 0 or 1",
				   IOASID_OPTS_GET(opts, bypass, 0));
	granule = IOASID_OPTS_GET(opts, granule, 0);
	if (granule && (!is_pow2(granule) || granule < page))
		return ioasid_fail(-EINVAL,
				   "viommu opts: granule %#llx is not a power of two of at least the page size %#llx",
				   (unsigned long long)granule,
				   (unsigned long long)page);
	dstart = IOASID_OPTS_GET(opts, domain_start, 0);
	dend = IOASID_OPTS_GET(opts, domain_end, 0);
	if (!dstart && !dend)
		dend = UINT32_MAX;
	if (dstart > dend)
		return ioasid_fail(-EINVAL,
				   "viommu opts: domain range %u-%u is empty",
				   dstart, dend);
	rc = check_offer(opts, granule ? granule : page, dstart, dend);
	if (rc)
		return rc;
	probe_size = IOASID_OPTS_GET(opts, probe_size, 0);
	if (!probe_size)
		probe_size = DEFAULT_PROBE_SIZE;
	if (probe_size > MAX_PROBE_SIZE)
		return ioasid_fail(-EINVAL,
				   "viommu opts: probe_size %u is above %u",
				   probe_size, MAX_PROBE_SIZE);

	/* Aligned: the readers' lines (rd, rdcfg) are lines of their own. */
	v = aligned_alloc(64, (sizeof(*v) + 63) & ~(size_t)63);
	if (!v)
		return ioasid_fail(-ENOMEM, "viommu: out of memory");
	memset(v, 0, sizeof(*v));
	v->ctx = ctx;
	v->strategy = &viommu_shadow_strategy;
	v->granule_fixed = granule != 0;
	set_granule(v, granule ? granule : page);
	v->config.input_start = IOASID_OPTS_GET(opts, input_start, 0);
	v->config.input_end = IOASID_OPTS_GET(opts, input_end, 0);
	v->input_fixed = v->config.input_start || v->config.input_end;
	if (!v->input_fixed)
		v->config.input_end = UINT64_MAX;
	if (IOASID_OPTS_GET(opts, withhold_features, 0) &
	    IOASID_VIRTIO_IOMMU_F_INPUT_RANGE)
		v->input_fixed = true; /* the driver assumes the full space */
	v->status_gate = IOASID_OPTS_GET(opts, flags, 0) &
			 IOASID_VIRTIO_IOMMU_CREATE_STATUS_GATE;
	v->config.domain_start = dstart;
	v->config.domain_end = dend;
	v->config.probe_size = probe_size;
	v->config.bypass = IOASID_OPTS_GET(opts, bypass, 0);
	v->initial_bypass = v->config.bypass;
	v->offered = OFFERED_FEATURES &
		     ~IOASID_OPTS_GET(opts, withhold_features, 0);
	v->max_domains = IOASID_OPTS_GET(opts, max_domains, 0);
	if (!v->max_domains)
		v->max_domains = DEFAULT_MAX_DOMAINS;
	/* 0 stays 0: the default cap follows guest RAM (ram.c). */
	v->max_mappings = IOASID_OPTS_GET(opts, max_mappings, 0);
	v->max_events = IOASID_OPTS_GET(opts, max_events, 0);
	if (!v->max_events)
		v->max_events = DEFAULT_MAX_EVENTS;
	v->event_notify = IOASID_OPTS_GET(opts, event_notify, NULL);
	v->event_data = IOASID_OPTS_GET(opts, event_data, NULL);
	vidx_init(&v->domains);
	vidx_init(&v->endpoints);
	v->events = calloc(v->max_events, sizeof(*v->events));
	if (!v->events) {
		free(v);
		return ioasid_fail(-ENOMEM, "viommu: out of memory");
	}
	rc = pthread_mutex_init(&v->ev_lock, NULL);
	if (rc) {
		free(v->events);
		free(v);
		return ioasid_fail(-rc, "viommu: cannot make a mutex");
	}
	rc = viommu_readers_init(v);
	if (rc) {
		pthread_mutex_destroy(&v->ev_lock);
		free(v->events);
		free(v);
		return rc;
	}
	rc = v->strategy->init(v);
	if (rc) {
		viommu_readers_fini(v);
		pthread_mutex_destroy(&v->ev_lock);
		free(v->events);
		free(v);
		return rc;
	}
	*vp = v;
	return 0;
}

/* Forget every guest-made state: domains, mappings, attachments,
 * queued fault reports.  The domains' memory goes after the grace
 * period of viommu_writer_done(). */
static void drop_guest_state(struct ioasid_virtio_iommu *v)
{
	struct viommu_endpoint *ep;

	VIDX_FOR_EACH_ID(&v->endpoints, ep) {
		if (ep->dev) {
			if (v->strategy->endpoint_place(v, ep, NULL,
							viommu_unattached_bypass(v)))
				v->strategy->endpoint_place(v, ep, NULL, false);
		}
		if (ep->domain) {
			struct viommu_domain *d = ep->domain;

			/* Unlink by hand: the domain goes with the last. */
			viommu_ep_set_domain(v, ep, NULL);
			ep->dom_next = NULL;
			if (--d->num_endpoints == 0)
				viommu_domain_retire(v, d);
		}
		ep->group_left = false;
	}
	v->num_mappings = 0;
	pthread_mutex_lock(&v->ev_lock);
	v->ev_head = v->ev_count = 0;
	pthread_mutex_unlock(&v->ev_lock);
}

static void free_endpoint(void *value, void *arg)
{
	struct viommu_endpoint *ep = value;

	(void)arg;
	free(ep->resv);
	free(ep);
}

void ioasid_virtio_iommu_destroy(struct ioasid_virtio_iommu *v)
{
	struct viommu_endpoint *ep;

	if (!v)
		return;
	drop_guest_state(v);
	/* Hand the devices back detached. */
	VIDX_FOR_EACH_ID(&v->endpoints, ep)
		if (ep->dev && ep->host_pt)
			v->strategy->endpoint_place(v, ep, NULL, false);
	/* No other thread is in a call on @v any more (the header's
	 * rule), so what waits for a grace period goes now. */
	viommu_readers_fini(v);
	vidx_clear(&v->endpoints, free_endpoint, NULL);
	vidx_clear(&v->domains, NULL, NULL);
	v->strategy->fini(v);
	viommu_mapping_cache_free(v);
	pthread_mutex_destroy(&v->ev_lock);
	free(v->ram);
	free(v->events);
	free(v);
}

int ioasid_virtio_iommu_add_ram(struct ioasid_virtio_iommu *v, uint64_t gpa,
			  uint64_t size, void *hva)
{
	int rc;

	ioasid_clear_error();
	if (!v || !hva)
		return ioasid_fail(-EINVAL, "viommu ram: %s is NULL",
				   v ? "hva" : "device");
	rc = viommu_ram_add(v, gpa, size, hva);
	if (rc)
		return rc;
	rc = v->strategy->ram_added(v, &(struct viommu_ram_slot){ gpa, size, hva });
	if (rc) {
		/* Take the slot out again: it was appended in order. */
		for (uint32_t i = 0; i < v->num_ram; i++) {
			if (v->ram[i].gpa == gpa) {
				memmove(&v->ram[i], &v->ram[i + 1],
					(v->num_ram - i - 1) * sizeof(*v->ram));
				v->num_ram--;
				break;
			}
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Endpoints                                                            */

/* What a physical endpoint's IOMMU allows: its IOVA alignment and usable
 * ranges, measured on a scratch IOAS with only that device attached. */
static int probe_host(struct ioasid_virtio_iommu *v, struct ioasid_dev *dev,
		      uint64_t *alignment, struct ioasid_iova_range **rangesp,
		      uint32_t *nump)
{
	struct ioasid_iova_range *ranges = NULL;
	uint32_t scratch, num = 0;
	char msg[512] = "";
	int rc;

	rc = ioasid_ioas_alloc(v->ctx, &scratch);
	if (rc)
		return rc;
	rc = ioasid_dev_attach(dev, scratch, NULL);
	if (rc)
		goto out_destroy;
	rc = ioasid_ioas_iova_ranges(v->ctx, scratch, NULL, &num, alignment);
	if (rc == -EMSGSIZE) {
		ranges = calloc(num, sizeof(*ranges));
		rc = ranges ? ioasid_ioas_iova_ranges(v->ctx, scratch, ranges,
						      &num, alignment)
			    : ioasid_fail(-ENOMEM, "viommu: out of memory");
	}
	/* The cleanup calls start by clearing the message: keep the
	 * failure's own, taken before the first of them. */
	if (rc)
		snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
	ioasid_dev_detach(dev);
out_destroy:
	if (rc) {
		if (!msg[0])
			snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
		ioasid_ioas_destroy(v->ctx, scratch);
		free(ranges);
		return ioasid_fail(rc, "%s", msg[0] ? msg : "viommu: probing the host IOMMU failed");
	}
	ioasid_ioas_destroy(v->ctx, scratch);
	*rangesp = ranges;
	*nump = num;
	return 0;
}

/* The MSI region of the device's group into @msi and *@has_msi, the
 * group's id into @group.  Return 0, or a negative errno: a failure to
 * read the regions is not "no MSI window" (PROBE would then report the
 * doorbell as RESERVED, and the guest would not know to map it). */
static int group_msi(struct ioasid_virtio_iommu *v, struct ioasid_dev *dev,
		     struct ioasid_resv_region *msi, bool *has_msi,
		     int32_t *group)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_resv_region *regions;
	uint32_t num = 0;
	int rc;

	*has_msi = false;
	/* A device the inventory does not know (a mock) has no group. */
	rc = ioasid_dev_info_get(v->ctx, ioasid_dev_name(dev), &info);
	if (rc == -ENOMEM)
		return rc;
	if (rc || info.group < 0)
		return 0;
	*group = info.group;
	rc = ioasid_group_resv_regions(v->ctx, info.group, NULL, &num);
	if (rc != -EMSGSIZE)
		return rc;
	regions = calloc(num, sizeof(*regions));
	if (!regions)
		return ioasid_fail(-ENOMEM, "viommu: out of memory");
	rc = ioasid_group_resv_regions(v->ctx, info.group, regions, &num);
	for (uint32_t i = 0; !rc && i < num && !*has_msi; i++) {
		if (regions[i].type == IOASID_RESV_MSI ||
		    regions[i].type == IOASID_RESV_SW_MSI) {
			*msi = regions[i];
			*has_msi = true;
		}
	}
	free(regions);
	return rc;
}

/* A physical endpoint in the IOMMU group of @dev, or NULL. */
static struct viommu_endpoint *group_mate(struct ioasid_virtio_iommu *v,
					  struct ioasid_dev *dev)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct viommu_endpoint *o;

	if (ioasid_dev_info_get(v->ctx, ioasid_dev_name(dev), &info) ||
	    info.group < 0)
		return NULL;
	VIDX_FOR_EACH_ID(&v->endpoints, o)
		if (o->dev && o->group == info.group)
			return o;
	return NULL;
}

static int resv_push(struct viommu_resv **arr, uint32_t *n, uint64_t start,
		     uint64_t last, uint8_t subtype)
{
	struct viommu_resv *a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (!a)
		return ioasid_fail(-ENOMEM, "viommu: out of memory");
	a[*n] = (struct viommu_resv){ start, last, subtype };
	*arr = a;
	(*n)++;
	return 0;
}

/* RESV_MEM of a physical endpoint: the holes between its usable ranges
 * (reserved regions, aperture limits), sorted and disjoint by
 * construction; inside the hole that holds the group's MSI window, that
 * window is the one MSI region (89, 90), the rest RESERVED. */
static int host_resv(const struct ioasid_iova_range *ranges, uint32_t num,
		     const struct ioasid_resv_region *msi,
		     struct viommu_resv **out, uint32_t *nout)
{
	uint64_t next = 0; /* first address not yet classified */
	bool at_end = false;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	for (uint32_t i = 0; i <= num && !rc && !at_end; i++) {
		uint64_t hole_start = next, hole_last;

		if (i < num) {
			if (ranges[i].start == 0) {
				next = ranges[i].last + 1;
				at_end = ranges[i].last == UINT64_MAX;
				continue;
			}
			hole_last = ranges[i].start - 1;
		} else {
			hole_last = UINT64_MAX;
		}
		if (hole_start <= hole_last) {
			if (msi && msi->start >= hole_start &&
			    msi->last <= hole_last) {
				if (msi->start > hole_start)
					rc = resv_push(out, nout, hole_start,
						       msi->start - 1,
						       VIOMMU_RESV_MEM_T_RESERVED);
				if (!rc)
					rc = resv_push(out, nout, msi->start,
						       msi->last,
						       VIOMMU_RESV_MEM_T_MSI);
				if (!rc && msi->last < hole_last)
					rc = resv_push(out, nout, msi->last + 1,
						       hole_last,
						       VIOMMU_RESV_MEM_T_RESERVED);
				msi = NULL;
			} else {
				rc = resv_push(out, nout, hole_start, hole_last,
					       VIOMMU_RESV_MEM_T_RESERVED);
			}
		}
		if (i < num) {
			at_end = ranges[i].last == UINT64_MAX;
			next = ranges[i].last + 1;
		}
	}
	if (rc) {
		free(*out);
		*out = NULL;
		*nout = 0;
	}
	return rc;
}

/* The MSI window of the platform an emulated endpoint reports by
 * default (docs/VIOMMU.md, "MSI regions"): x86's interrupt window, which
 * DMA remapping never translates, so a guest must know not to map it and
 * cannot put a software MSI window of its own there; elsewhere none (an
 * arm64 guest maps its software MSI window to the ITS doorbell). */
int ioasid_virtio_iommu_default_msi(struct ioasid_resv_region *r)
{
	ioasid_clear_error();
	if (!r)
		return ioasid_fail(-EINVAL, "viommu default msi: region is NULL");
#if defined(__x86_64__) || defined(__i386__)
	*r = (struct ioasid_resv_region){ .start = 0xfee00000ull,
					  .last = 0xfeefffffull,
					  .type = IOASID_RESV_MSI };
	return 0;
#else
	return ioasid_fail(-ENOENT,
			   "viommu default msi: none on this architecture (the guest maps a software MSI window)");
#endif
}

static int user_resv(const struct ioasid_virtio_iommu_endpoint_opts *opts,
		     struct viommu_resv **out, uint32_t *nout)
{
	const struct ioasid_resv_region *r = IOASID_OPTS_GET(opts, resv, NULL);
	uint32_t n = IOASID_OPTS_GET(opts, num_resv, 0);
	struct ioasid_resv_region def;
	bool have_msi = false;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (n && !r)
		return ioasid_fail(-EINVAL, "viommu endpoint opts: resv is NULL");
	if (!n && !IOASID_OPTS_GET(opts, no_default_msi, false) &&
	    !ioasid_virtio_iommu_default_msi(&def)) {
		r = &def;
		n = 1;
	}
	ioasid_clear_error();
	for (uint32_t i = 0; i < n && !rc; i++) {
		bool msi = r[i].type == IOASID_RESV_MSI ||
			   r[i].type == IOASID_RESV_SW_MSI;

		if (r[i].start > r[i].last || (i && r[i].start <= r[i - 1].last))
			rc = ioasid_fail(-EINVAL,
					 "viommu endpoint opts: resv %u (%#llx-%#llx) is empty, unsorted or overlaps the previous one",
					 i, (unsigned long long)r[i].start,
					 (unsigned long long)r[i].last);
		else if (msi && have_msi)
			rc = ioasid_fail(-EINVAL,
					 "viommu endpoint opts: resv %u is a second MSI region",
					 i);
		else
			rc = resv_push(out, nout, r[i].start, r[i].last,
				       msi ? VIOMMU_RESV_MEM_T_MSI
					   : VIOMMU_RESV_MEM_T_RESERVED);
		have_msi |= msi;
	}
	if (rc) {
		free(*out);
		*out = NULL;
		*nout = 0;
	}
	return rc;
}

int ioasid_virtio_iommu_add_endpoint(struct ioasid_virtio_iommu *v, uint32_t endpoint_id,
			       struct ioasid_dev *dev,
			       const struct ioasid_virtio_iommu_endpoint_opts *opts)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct ioasid_iova_range *ranges = NULL;
	uint64_t alignment = 0, lo = 0, hi = UINT64_MAX;
	struct viommu_ep_table *table;
	struct viommu_endpoint *ep;
	uint32_t num = 0;
	int rc;

	ioasid_clear_error();
	if (!v)
		return ioasid_fail(-EINVAL, "viommu endpoint: device is NULL");
	rc = ioasid_opts_check(opts,
			       IOASID_OPTS_KNOWN(ioasid_virtio_iommu_endpoint_opts),
			       "ioasid_virtio_iommu_endpoint_opts");
	if (rc)
		return rc;
	if (vidx_find(&v->endpoints, endpoint_id))
		return ioasid_fail(-EEXIST, "viommu endpoint %u exists",
				   endpoint_id);
	/* Nested mode added its table region to every endpoint's RESV_MEM
	 * and clamped input_range when it was enabled. */
	if (v->nested)
		return ioasid_fail(-EBUSY,
				   "viommu endpoint %u: add endpoints before ioasid_virtio_iommu_enable_nested()",
				   endpoint_id);
	ep = calloc(1, sizeof(*ep));
	table = viommu_ep_table_alloc(v);
	if (!ep || !table) {
		free(ep);
		free(table);
		return ioasid_fail(-ENOMEM, "viommu: out of memory");
	}
	ep->id = endpoint_id;
	ep->dev = dev;
	ep->group = -1;
	atomic_init(&ep->rdomain, NULL);

	if (dev) {
		struct viommu_endpoint *mate, *o;
		struct ioasid_resv_region msi;
		bool has_msi;

		if (IOASID_OPTS_GET(opts, num_resv, 0) ||
		    IOASID_OPTS_GET(opts, no_default_msi, false)) {
			rc = ioasid_fail(-EINVAL,
					 "viommu endpoint %u: %s is for emulated endpoints; a device reports the host's regions",
					 endpoint_id,
					 IOASID_OPTS_GET(opts, num_resv, 0) ? "resv" : "no_default_msi");
			goto fail;
		}
		VIDX_FOR_EACH_ID(&v->endpoints, o) {
			if (o->dev == dev) {
				rc = ioasid_fail(-EEXIST,
						 "viommu: device %s is endpoint %u already",
						 ioasid_dev_name(dev), o->id);
				goto fail;
			}
		}
		if (!ioasid_dev_id(dev) || ioasid_dev_pt_id(dev)) {
			rc = ioasid_fail(-EINVAL,
					 "viommu endpoint %u: device %s must be bound and detached",
					 endpoint_id, ioasid_dev_name(dev));
			goto fail;
		}
		mate = group_mate(v, dev);
		if (mate && mate->domain) {
			/* The host would put the new function on the page
			 * table its group is on, behind the guest's back. */
			rc = ioasid_fail(-EBUSY,
					 "viommu endpoint %u: IOMMU group %d of %s has endpoint %u in domain %u; add a group's functions while the guest has none attached",
					 endpoint_id, mate->group,
					 ioasid_dev_name(dev), mate->id,
					 mate->domain->id);
			goto fail;
		}
		if (mate) {
			/* The group is measured already (and may be attached
			 * somewhere, so a scratch attach of this device would
			 * fail: a group shares one HWPT).  Same group, same
			 * regions; its limits are in the config already. */
			ep->group = mate->group;
			ep->resv = calloc(mate->num_resv ? mate->num_resv : 1,
					  sizeof(*ep->resv));
			if (!ep->resv) {
				rc = ioasid_fail(-ENOMEM, "viommu: out of memory");
				goto fail;
			}
			memcpy(ep->resv, mate->resv,
			       mate->num_resv * sizeof(*ep->resv));
			ep->num_resv = mate->num_resv;
			alignment = page;
			lo = v->config.input_start;
			hi = v->config.input_end;
		} else {
			rc = probe_host(v, dev, &alignment, &ranges, &num);
			if (rc)
				goto fail;
			if (alignment < page)
				alignment = page;
			if (num) {
				lo = ranges[0].start;
				hi = ranges[num - 1].last;
			}
			rc = group_msi(v, dev, &msi, &has_msi, &ep->group);
			if (rc)
				goto fail;
			rc = host_resv(ranges, num, has_msi ? &msi : NULL,
				       &ep->resv, &ep->num_resv);
			if (rc)
				goto fail;
		}
		if (alignment > v->granule && v->granule_fixed) {
			rc = ioasid_fail(-EINVAL,
					 "viommu endpoint %u: IOVA alignment %#llx of %s is above the granule %#llx",
					 endpoint_id, (unsigned long long)alignment,
					 ioasid_dev_name(dev),
					 (unsigned long long)v->granule);
			goto fail;
		}
		if (v->features_set &&
		    (alignment > v->granule ||
		     (!v->input_fixed && v->have_physical &&
		      (lo < v->config.input_start ||
		       hi > v->config.input_end)))) {
			rc = ioasid_fail(-EBUSY,
					 "viommu endpoint %u: would change the config space the driver has read",
					 endpoint_id);
			goto fail;
		}
	} else {
		rc = user_resv(opts, &ep->resv, &ep->num_resv);
		if (rc)
			goto fail;
	}
	if ((uint64_t)ep->num_resv * VIOMMU_RESV_MEM_SIZE > v->config.probe_size) {
		rc = ioasid_fail(-E2BIG,
				 "viommu endpoint %u: %u RESV_MEM properties do not fit probe_size %u",
				 endpoint_id, ep->num_resv, v->config.probe_size);
		goto fail;
	}
	rc = vidx_insert(&v->endpoints, endpoint_id, endpoint_id, ep);
	if (rc) {
		rc = ioasid_fail(rc, "viommu endpoint %u: cannot index it",
				 endpoint_id);
		goto fail;
	}
	if (dev && viommu_unattached_bypass(v)) {
		rc = v->strategy->endpoint_place(v, ep, NULL, true);
		if (rc) {
			vidx_remove(&v->endpoints, endpoint_id);
			goto fail;
		}
	}
	if (dev) {
		if (alignment > v->granule)
			set_granule(v, alignment);
		if (!v->input_fixed &&
		    (!v->have_physical || lo < v->config.input_start))
			v->config.input_start = lo;
		if (!v->input_fixed &&
		    (!v->have_physical || hi > v->config.input_end))
			v->config.input_end = hi;
		v->have_physical = true;
	}
	/* translate() finds it from here. */
	viommu_ep_table_publish(v, table, ep);
	viommu_writer_done(v);
	free(ranges);
	return 0;
fail:
	free(table);
	free(ranges);
	free(ep->resv);
	free(ep);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Features, config space, reset                                        */

uint64_t ioasid_virtio_iommu_features(const struct ioasid_virtio_iommu *v)
{
	return v ? v->offered : 0;
}

int ioasid_virtio_iommu_set_features(struct ioasid_virtio_iommu *v, uint64_t features)
{
	uint64_t device_bits = features & DEVICE_FEATURE_BITS;

	ioasid_clear_error();
	if (!v)
		return ioasid_fail(-EINVAL, "viommu features: device is NULL");
	/* Virtio: the driver must not change features after FEATURES_OK. */
	if (v->status & IOASID_VIRTIO_IOMMU_STATUS_FEATURES_OK)
		return ioasid_fail(-EBUSY,
				   "viommu features: FEATURES_OK is set (status %#x); features change only after a reset",
				   v->status);
	if (device_bits & ~v->offered)
		return ioasid_fail(-EINVAL,
				   "viommu features: %#llx were not offered",
				   (unsigned long long)(device_bits & ~v->offered));
	v->negotiated = device_bits;
	v->features_set = true;
	return 0;
}

static int config_range(uint32_t offset, uint32_t len)
{
	if (offset > IOASID_VIRTIO_IOMMU_CONFIG_SIZE ||
	    len > IOASID_VIRTIO_IOMMU_CONFIG_SIZE - offset)
		return ioasid_fail(-EINVAL,
				   "viommu config: %u bytes at offset %u are outside the %u-byte config space",
				   len, offset, IOASID_VIRTIO_IOMMU_CONFIG_SIZE);
	return 0;
}

int ioasid_virtio_iommu_config_read(struct ioasid_virtio_iommu *v, uint32_t offset,
			      void *buf, uint32_t len)
{
	uint8_t cfg[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];
	int rc;

	ioasid_clear_error();
	if (!v || (!buf && len))
		return ioasid_fail(-EINVAL, "viommu config: NULL argument");
	rc = config_range(offset, len);
	if (rc)
		return rc;
	viommu_wire_config(cfg, &v->config);
	memcpy(buf, cfg + offset, len);
	return 0;
}

static void set_bypass(struct ioasid_virtio_iommu *v, uint8_t bypass)
{
	struct viommu_endpoint *ep;

	if (v->config.bypass == bypass)
		return;
	v->config.bypass = bypass;
	viommu_publish_bypass(v);
	VIDX_FOR_EACH_ID(&v->endpoints, ep) {
		if (ep->domain || !ep->dev)
			continue;
		if (v->strategy->endpoint_place(v, ep, NULL, bypass == 1))
			v->strategy->endpoint_place(v, ep, NULL, false);
	}
}

int ioasid_virtio_iommu_config_write(struct ioasid_virtio_iommu *v, uint32_t offset,
			       const void *buf, uint32_t len)
{
	int rc;

	ioasid_clear_error();
	if (!v || (!buf && len))
		return ioasid_fail(-EINVAL, "viommu config: NULL argument");
	rc = config_range(offset, len);
	if (rc)
		return rc;
	/* 5, 6: only bypass, only with BYPASS_CONFIG. */
	if (offset != CONFIG_BYPASS_OFFSET || !len)
		return ioasid_fail(-EACCES,
				   "viommu config: offset %u is read-only (only bypass, offset %u, is writable)",
				   offset, CONFIG_BYPASS_OFFSET);
	if (!(v->negotiated & IOASID_VIRTIO_IOMMU_F_BYPASS_CONFIG))
		return ioasid_fail(-EACCES,
				   "viommu config: bypass is writable only with BYPASS_CONFIG negotiated");
	/* 8, 13: bits 1-7 ignored, so only 0 or 1 is ever presented. */
	set_bypass(v, *(const uint8_t *)buf & 1);
	/* Unattached endpoints' translations change: done once no
	 * translate() of the old value is left. */
	viommu_writer_done(v);
	if (viommu_after_change)
		viommu_after_change(v);
	return 0;
}

#define STATUS_KNOWN                                                       \
	(IOASID_VIRTIO_IOMMU_STATUS_ACKNOWLEDGE |                           \
	 IOASID_VIRTIO_IOMMU_STATUS_DRIVER |                                \
	 IOASID_VIRTIO_IOMMU_STATUS_DRIVER_OK |                             \
	 IOASID_VIRTIO_IOMMU_STATUS_FEATURES_OK |                           \
	 IOASID_VIRTIO_IOMMU_STATUS_NEEDS_RESET |                           \
	 IOASID_VIRTIO_IOMMU_STATUS_FAILED)

int ioasid_virtio_iommu_set_status(struct ioasid_virtio_iommu *v, uint8_t status)
{
	ioasid_clear_error();
	if (!v)
		return ioasid_fail(-EINVAL, "viommu status: device is NULL");
	if (!status)
		return ioasid_virtio_iommu_reset(v, IOASID_VIRTIO_IOMMU_RESET_DEVICE);
	if (status & ~STATUS_KNOWN)
		return ioasid_fail(-EINVAL,
				   "viommu status %#x: bits %#x are not virtio status bits",
				   status, status & ~STATUS_KNOWN);
	if (v->status & ~status)
		return ioasid_fail(-EINVAL,
				   "viommu status %#x clears %#x of %#x: only a reset (0) clears bits",
				   status, v->status & ~status, v->status);
	if (status & IOASID_VIRTIO_IOMMU_STATUS_DRIVER_OK &&
	    !(status & IOASID_VIRTIO_IOMMU_STATUS_FEATURES_OK))
		return ioasid_fail(-EINVAL,
				   "viommu status %#x: DRIVER_OK without FEATURES_OK",
				   status);
	if (status & IOASID_VIRTIO_IOMMU_STATUS_FEATURES_OK &&
	    !(v->status & IOASID_VIRTIO_IOMMU_STATUS_FEATURES_OK) &&
	    !v->features_set)
		return ioasid_fail(-EPROTO,
				   "viommu status %#x: FEATURES_OK, but no features were accepted since the reset (ioasid_virtio_iommu_set_features())",
				   status);
	v->status = status;
	return 0;
}

uint8_t ioasid_virtio_iommu_status(const struct ioasid_virtio_iommu *v)
{
	return v ? v->status : 0;
}

int ioasid_virtio_iommu_reset(struct ioasid_virtio_iommu *v, unsigned int kind)
{
	ioasid_clear_error();
	if (!v)
		return ioasid_fail(-EINVAL, "viommu reset: device is NULL");
	if (kind != IOASID_VIRTIO_IOMMU_RESET_DEVICE &&
	    kind != IOASID_VIRTIO_IOMMU_RESET_SYSTEM)
		return ioasid_fail(-EINVAL, "viommu reset: unknown kind %u",
				   kind);
	/* 12: bypass survives a device reset, a system reset restores it. */
	if (kind == IOASID_VIRTIO_IOMMU_RESET_SYSTEM)
		v->config.bypass = v->initial_bypass;
	viommu_publish_bypass(v);
	drop_guest_state(v);
	v->negotiated = 0;
	v->features_set = false;
	v->status = 0; /* the driver renegotiates */
	/* Returns once no translate() of the old state is left. */
	viommu_writer_done(v);
	if (viommu_after_change)
		viommu_after_change(v);
	return 0;
}
