// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the virtio-iommu device model: each input is a
 * fresh device on the simulator (two RAM slots, one physical and three
 * emulated endpoints) fed a sequence of operations decoded from the
 * input (two of the physical endpoints are the functions of one IOMMU
 * group): requests (type biased to the valid ones, fields drawn from small
 * ranges so that they meet each other, or raw bytes), each with its
 * readable and writable parts split into up to four buffers at points the
 * input chooses, plus config reads and writes, feature negotiation,
 * resets, translations and event-queue pops.
 *
 * Checked after every operation (abort() on violation, so libFuzzer
 * reports it): the used length is 0 or covers a tail and never exceeds
 * the writable size; nothing outside the writable buffers is written
 * (guard bytes on both sides of each), nor any writable byte past the
 * used length; the status is a defined one and tail.reserved is zero;
 * config.bypass is 0 or 1; a successful translation allows the access it
 * was asked for; the device's counters stay within its caps.  The IOAS
 * follows the device's records: a MAP answered OK (with READ or WRITE,
 * not MMIO) is in its domain's IOAS until an UNMAP answered OK covers it,
 * then it is not (ioasid_ioas_copy probing), checked at each UNMAP and at
 * the end of the input; the device model's invariants hold after every
 * operation (viommu_check_invariants(): guest view == host view for
 * every endpoint, one state per IOMMU group); destroying everything
 * leaks nothing
 * (LeakSanitizer).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "fuzz.h"
#include "le.h"
#include "viommu/invariants.h"

#define GRANULE 0x1000ull
#define RAM_SLOT (512 * 1024ull)
#define RAM_SIZE (2 * RAM_SLOT)
#define GUARD 16
#define MAX_PIECES 4
#define MAX_WLEN (4096 + 8)
#define MAX_RLEN 128
#define EP_PHYS 0x18u
#define EP_E1 0x100u
#define EP_E2 0x101u
#define EP_E3 0x102u
#define EP_F0 0x28u /* 0000:00:05.0, IOMMU group 12 with 05.1 */
#define EP_F1 0x29u

static const uint32_t endpoints[] = { EP_PHYS, EP_E1, EP_E2, EP_E3, 7,
				      EP_F0, EP_F1 };
#define NUM_ENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))
static const uint32_t emulated[] = { EP_E1, EP_E2, EP_E3 };

static uint32_t u32(struct input *in)
{
	uint32_t x = 0;

	for (int i = 0; i < 4; i++)
		x |= (uint32_t)u8(in) << (8 * i);
	return x;
}

static uint64_t u64(struct input *in)
{
	return u32(in) | (uint64_t)u32(in) << 32;
}

/* An IOVA that meets others: small pages, the MSI window, the top. */
static uint64_t pick_addr(struct input *in)
{
	uint8_t k = u8(in);

	switch (k & 7) {
	case 0:
		return u64(in);
	case 1:
		return 0xfee00000ull + (uint64_t)(u8(in) % 4) * GRANULE;
	case 2:
		return ~0ull - (uint64_t)(u8(in) % 4) * GRANULE;
	default:
		return (uint64_t)(u8(in) % 64) * GRANULE;
	}
}

static uint32_t pick_ep(struct input *in)
{
	uint8_t k = u8(in);

	return k < 250 ? endpoints[k % NUM_ENDPOINTS] : (uint32_t)k << 8 | u8(in);
}

static uint32_t pick_domain(struct input *in)
{
	uint8_t k = u8(in);

	return k < 250 ? k % 5u : u32(in);
}

/* The device-readable bytes of one request. */
static size_t build_request(struct input *in, uint8_t *r)
{
	uint8_t mode = u8(in), type;
	size_t len;

	memset(r, 0, MAX_RLEN);
	if ((mode & 7) == 7) { /* raw bytes */
		len = u8(in) % MAX_RLEN;
		for (size_t i = 0; i < len; i++)
			r[i] = u8(in);
		return len;
	}
	type = (mode >> 3) % 6 + 1; /* 1..5, and 6 (unknown) */
	r[0] = type;
	if (mode & 0x80) /* head.reserved: must be ignored */
		r[1] = u8(in);
	switch (type) {
	case 1: /* ATTACH */
	case 2: /* DETACH */
		le32_put(r + 4, pick_domain(in));
		le32_put(r + 8, pick_ep(in));
		if (u8(in) < 64)
			le32_put(r + 12, u32(in));
		else if (type == 1 && u8(in) < 32)
			le32_put(r + 12, 1); /* bypass */
		if (u8(in) < 16)
			r[16 + u8(in) % 4] = u8(in);
		len = 20;
		break;
	case 3: { /* MAP */
		uint64_t start = pick_addr(in);
		uint8_t pages = u8(in);
		uint64_t end = pages == 255 ? u64(in)
					    : start + (pages % 16 + 1) * GRANULE - 1;
		uint8_t fl = u8(in);

		le32_put(r + 4, pick_domain(in));
		le64_put(r + 8, start);
		le64_put(r + 16, end);
		le64_put(r + 24, u8(in) < 250 ? (uint64_t)(u8(in) % 260) * GRANULE
					   : u64(in));
		le32_put(r + 32, fl < 200 ? (fl % 7) + 1 : u32(in));
		len = 36;
		break;
	}
	case 4: { /* UNMAP */
		uint64_t start = pick_addr(in);
		uint8_t pages = u8(in);

		le32_put(r + 4, pick_domain(in));
		le64_put(r + 8, pages > 250 ? 0 : start);
		le64_put(r + 16, pages > 250 ? ~0ull
					  : start + (pages % 20 + 1) * GRANULE - 1);
		if (u8(in) < 8)
			le32_put(r + 24, u32(in));
		len = 28;
		break;
	}
	case 5: /* PROBE */
		le32_put(r + 4, pick_ep(in));
		len = 72;
		break;
	default:
		len = 4 + u8(in) % 40;
		break;
	}
	/* Sometimes truncated or with trailing bytes. */
	if (u8(in) < 24) {
		size_t nlen = u8(in) % (len + 8);

		for (size_t i = len; i < nlen; i++)
			r[i] = u8(in);
		len = nlen;
	}
	return len;
}

/* Cut [0, len) into up to MAX_PIECES pieces at input-chosen points. */
static unsigned int split(struct input *in, size_t len, size_t *lens)
{
	unsigned int n = u8(in) % MAX_PIECES + 1;
	size_t left = len;

	for (unsigned int i = 0; i + 1 < n; i++) {
		lens[i] = left ? u8(in) % (left + 1) : 0;
		left -= lens[i];
	}
	lens[n - 1] = left;
	return n;
}

static uint8_t wbuf[MAX_PIECES][GUARD + MAX_WLEN + GUARD];
static uint8_t *ram;

/* Returns the status, or -1 for used length 0; the request in @req. */
static int do_request(struct ioasid_virtio_iommu *v, struct input *in,
		      uint32_t probe_size, uint8_t *req)
{
	size_t rlen = build_request(in, req), wlen, lens[MAX_PIECES];
	struct iovec out[MAX_PIECES], iw[MAX_PIECES];
	unsigned int nout, nin;
	uint8_t wk = u8(in);
	uint32_t used = 0xdeadbeef;
	size_t off = 0;

	/* Writable size: usually what the type needs, sometimes not. */
	if (wk < 160)
		wlen = req[0] == 5 ? probe_size + 4 : 4;
	else
		wlen = u8(in) % 32 + (wk & 1 ? probe_size : 0);
	if (wlen > MAX_WLEN)
		wlen = MAX_WLEN;

	nout = split(in, rlen, lens);
	for (unsigned int i = 0; i < nout; i++) {
		out[i] = (struct iovec){ req + off, lens[i] };
		off += lens[i];
	}
	nin = split(in, wlen, lens);
	for (unsigned int i = 0; i < nin; i++) {
		memset(wbuf[i], 0xa5, sizeof(wbuf[i]));
		iw[i] = (struct iovec){ wbuf[i] + GUARD, lens[i] };
	}
	CHECK(ioasid_virtio_iommu_handle_request(v, out, nout, iw, nin, &used) == 0);
	CHECK(used == 0 || (used >= 4 && used <= wlen));
	/* Guards intact; nothing written past the used length. */
	off = 0;
	for (unsigned int i = 0; i < nin; i++) {
		for (size_t b = 0; b < GUARD; b++) {
			CHECK(wbuf[i][b] == 0xa5);
			CHECK(wbuf[i][GUARD + lens[i] + b] == 0xa5);
		}
		for (size_t b = 0; b < lens[i]; b++)
			if (off + b >= used)
				CHECK(wbuf[i][GUARD + b] == 0xa5);
		off += lens[i];
	}
	if (used) {
		uint8_t tail[4];

		off = 0;
		for (unsigned int i = 0; i < nin; i++) {
			for (size_t b = 0; b < lens[i]; b++)
				if (off + b >= used - 4 && off + b < used)
					tail[off + b - (used - 4)] = wbuf[i][GUARD + b];
			off += lens[i];
		}
		CHECK(tail[0] <= 8);
		CHECK(!tail[1] && !tail[2] && !tail[3]);
		return rlen >= 4 ? tail[0] : -1;
	}
	return -1;
}

static void do_translate(struct ioasid_virtio_iommu *v, struct input *in)
{
	struct ioasid_virtio_iommu_translation t;
	uint32_t ep = u8(in) < 240 ? emulated[u8(in) % 3] : pick_ep(in);
	uint64_t iova = pick_addr(in) + u8(in);
	uint32_t access = u8(in) % 5;
	int rc = ioasid_virtio_iommu_translate(v, ep, iova, access, &t);

	if (rc)
		return;
	CHECK(access && !(access & ~3u));
	CHECK((t.perm & access) == access);
	CHECK(t.iova_last >= iova);
}

/* What the device said OK to, host-backed (READ or WRITE, not MMIO),
 * with the IOAS of the domain at the time. */
struct rec {
	uint32_t domain, ioas;
	uint64_t start, last;
};
static struct rec recs[4096];
static unsigned int num_recs;

/* Follow an OK request in the records. */
static void record(struct ioasid_ctx *ctx, struct ioasid_virtio_iommu *v,
		   const uint8_t *req)
{
	uint32_t domain = le32_get(req + 4), ioas;

	switch (req[0]) {
	case 3:
		if (num_recs < sizeof(recs) / sizeof(recs[0]) &&
		    le32_get(req + 32) & 3 && !(le32_get(req + 32) & 4) &&
		    ioasid_virtio_iommu_domain_ioas(v, domain, &ioas) == 0)
			recs[num_recs++] = (struct rec){ domain, ioas,
							 le64_get(req + 8),
							 le64_get(req + 16) };
		break;
	case 4:
		for (unsigned int i = 0; i < num_recs; i++) {
			if (recs[i].domain == domain &&
			    recs[i].start >= le64_get(req + 8) &&
			    recs[i].last <= le64_get(req + 16)) {
				/* Gone from the IOAS too. */
				CHECK(!ioas_has(ctx, recs[i].ioas, recs[i].start,
						1));
				recs[i--] = recs[--num_recs];
			}
		}
		break;
	default: /* ATTACH, DETACH: a domain may have gone */
		for (unsigned int i = 0; i < num_recs; i++)
			if (ioasid_virtio_iommu_domain_ioas(v, recs[i].domain, &ioas) ||
			    ioas != recs[i].ioas)
				recs[i--] = recs[--num_recs];
		break;
	}
}

/* Every mapping the device still holds is in its domain's IOAS. */
static void check_ioas(struct ioasid_ctx *ctx)
{
	for (unsigned int i = 0; i < num_recs; i++)
		CHECK(ioas_has(ctx, recs[i].ioas, recs[i].start,
			       recs[i].last - recs[i].start + 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ioasid_resv_region msi = { 0xfee00000ull, 0xfeefffffull,
						       IOASID_RESV_MSI, 0 };
	static const struct ioasid_resv_region low = { 0x8000, 0xbfff,
						       IOASID_RESV_RESERVED, 0 };
	struct input in = { data, size };
	struct ioasid_ctx *ctx = NULL;
	struct ioasid_virtio_iommu *v = NULL;
	struct ioasid_dev *nic = NULL, *f0 = NULL, *f1 = NULL;
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	uint8_t first = u8(&in);
	uint32_t probe_size = first & 1 ? 24u * (u8(&in) % 4 + 2) : 512;
	uint32_t dev_id = 0;
	unsigned int ops = 0;
	IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM);
	IOASID_OPTS(ioasid_virtio_iommu_opts, o, .bypass = (first >> 1) & 1,
		    .probe_size = probe_size, .max_domains = 4,
		    .max_mappings = 32, .max_events = 4);
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, e1, .resv = &msi, .num_resv = 1);
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, e2, .resv = &low, .num_resv = 1);

	if (!ram) {
		ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(ram != MAP_FAILED);
	}
	ioasid_set_print(NULL, NULL);
	CHECK(ioasid_ctx_open(&co, &ctx) == 0);
	CHECK(ioasid_virtio_iommu_create(ctx, &o, &v) == 0);
	CHECK(ioasid_virtio_iommu_add_ram(v, 0, RAM_SLOT, ram) == 0);
	CHECK(ioasid_virtio_iommu_add_ram(v, RAM_SLOT, RAM_SLOT, ram + RAM_SLOT) == 0);
	CHECK(ioasid_dev_open(ctx, "0000:00:03.0", &nic) == 0);
	CHECK(ioasid_dev_bind(nic, &dev_id) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_PHYS, nic, NULL) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_E1, NULL, &e1) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_E2, NULL, &e2) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_E3, NULL, NULL) == 0);
	CHECK(ioasid_dev_open(ctx, "0000:00:05.0", &f0) == 0);
	CHECK(ioasid_dev_bind(f0, &dev_id) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_F0, f0, NULL) == 0);
	CHECK(ioasid_dev_open(ctx, "0000:00:05.1", &f1) == 0);
	CHECK(ioasid_dev_bind(f1, &dev_id) == 0);
	CHECK(ioasid_virtio_iommu_add_endpoint(v, EP_F1, f1, NULL) == 0);
	if (!(first & 4))
		CHECK(ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v)) == 0);

	while (in.left && ops++ < 256) {
		uint8_t op = u8(&in);

		switch (op % 16) {
		case 11: {
			uint8_t b[8];
			uint32_t off = u8(&in) % 44, len = u8(&in) % 9;

			for (uint32_t i = 0; i < len; i++)
				b[i] = u8(&in);
			ioasid_virtio_iommu_config_write(v, off, b, len);
			break;
		}
		case 12:
			ioasid_virtio_iommu_set_features(v, u8(&in) < 200
							  ? ioasid_virtio_iommu_features(v) & u64(&in)
							  : u64(&in));
			break;
		case 13:
			if (u8(&in) < 64 && !ioasid_virtio_iommu_reset(v, u8(&in) % 3))
				num_recs = 0;
			break;
		case 14:
			do_translate(v, &in);
			break;
		case 15: {
			uint8_t ev[32];

			ioasid_virtio_iommu_event_pop(v, ev, u8(&in) % sizeof(ev));
			break;
		}
		default: {
			uint8_t req[MAX_RLEN + 8];

			if (do_request(v, &in, probe_size, req) == 0)
				record(ctx, v, req);
			break;
		}
		}
		{
			uint8_t cfg[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];

			CHECK(ioasid_virtio_iommu_config_read(v, 0, cfg, sizeof(cfg)) == 0);
			CHECK(cfg[36] <= 1);
		}
		CHECK(ioasid_virtio_iommu_get_stats(v, &st) == 0);
		CHECK(st.mappings <= 32);
		CHECK(st.domains <= 4);
		CHECK(st.events_pending <= 4);
		if (viommu_check_invariants(v)) {
			fprintf(stderr, "%s\n", ioasid_errmsg());
			abort();
		}
	}
	check_ioas(ctx);
	num_recs = 0;
	ioasid_virtio_iommu_destroy(v);
	ioasid_dev_close(nic);
	ioasid_dev_close(f0);
	ioasid_dev_close(f1);
	ioasid_ctx_close(ctx);
	return 0;
}
