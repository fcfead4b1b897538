// SPDX-License-Identifier: MIT
/*
 * make_seeds TRACE OUTDIR - write a seed corpus for fuzz_viommu: the
 * recorded guest trace cut into chunks of requests, and a few
 * conformance-style sequences (attach, map, probe, unmap all, detach,
 * bypass), all in the fuzzer's input format with requests as raw bytes.
 * Endpoint ids, domains and physical addresses are folded onto the
 * fuzzer's small device (its endpoints, 4 domains, 1 MiB of RAM).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ioasid/virtio-iommu.h>

#include "le.h"

#define CHUNK 100
#define FUZZ_RAM (1024 * 1024ull)

static const uint32_t fuzz_eps[] = { 0x18, 0x100, 0x101, 0x102 };

struct seed {
	uint8_t buf[65536];
	size_t len;
};

static void byte(struct seed *s, uint8_t b)
{
	if (s->len < sizeof(s->buf))
		s->buf[s->len++] = b;
}

/* One request op: op 0 (request), mode 7 (raw), length, bytes, the
 * writable size the type needs (0 < 160), one piece each side. */
static void request(struct seed *s, const uint8_t *req, uint32_t len)
{
	byte(s, 0);
	byte(s, 7);
	byte(s, (uint8_t)len);
	for (uint32_t i = 0; i < len; i++)
		byte(s, req[i]);
	byte(s, 0);
	byte(s, 0);
	byte(s, 0);
}

static int flush(struct seed *s, const char *dir, unsigned int *n)
{
	char path[4096];
	FILE *f;

	if (s->len <= 1)
		return 0;
	snprintf(path, sizeof(path), "%s/seed-%03u", dir, (*n)++);
	f = fopen(path, "w");
	if (!f || fwrite(s->buf, 1, s->len, f) != s->len || fclose(f)) {
		perror(path);
		return -1;
	}
	s->len = 0;
	byte(s, 0); /* probe_size 512, bypass 0, features negotiated */
	return 0;
}

static uint32_t fold_ep(uint32_t ep, uint32_t *seen, unsigned int *nseen)
{
	for (unsigned int i = 0; i < *nseen; i++)
		if (seen[i] == ep)
			return fuzz_eps[i % 4];
	if (*nseen < 64)
		seen[(*nseen)++] = ep;
	return fuzz_eps[(*nseen - 1) % 4];
}

static void conformance(struct seed *s)
{
	uint8_t r[72];

	/* attach 1 ep 0x100; map 0x10000-0x1ffff -> 0; probe; unmap(0,~0);
	 * attach bypass domain 2 ep 0x18; detach. */
	memset(r, 0, sizeof(r)); r[0] = 1; le32_put(r + 4, 1); le32_put(r + 8, 0x100);
	request(s, r, 20);
	memset(r, 0, sizeof(r)); r[0] = 3; le32_put(r + 4, 1); le64_put(r + 8, 0x10000);
	le64_put(r + 16, 0x1ffff); le64_put(r + 24, 0); le32_put(r + 32, 3);
	request(s, r, 36);
	memset(r, 0, sizeof(r)); r[0] = 3; le32_put(r + 4, 1); le64_put(r + 8, 0x20000);
	le64_put(r + 16, 0x20fff); le64_put(r + 24, 0x7f000); le32_put(r + 32, 1);
	request(s, r, 36);
	memset(r, 0, sizeof(r)); r[0] = 5; le32_put(r + 4, 0x101);
	request(s, r, 72);
	memset(r, 0, sizeof(r)); r[0] = 4; le32_put(r + 4, 1); le64_put(r + 8, 0x10000);
	le64_put(r + 16, 0x17fff);
	request(s, r, 28); /* splits: RANGE */
	memset(r, 0, sizeof(r)); r[0] = 4; le32_put(r + 4, 1); le64_put(r + 8, 0);
	le64_put(r + 16, ~0ull);
	request(s, r, 28);
	memset(r, 0, sizeof(r)); r[0] = 1; le32_put(r + 4, 2); le32_put(r + 8, 0x18);
	le32_put(r + 12, 1);
	request(s, r, 20);
	memset(r, 0, sizeof(r)); r[0] = 2; le32_put(r + 4, 2); le32_put(r + 8, 0x18);
	request(s, r, 20);
	/* translate ep 0x100 (op 14), config write bypass (op 11), reset. */
	byte(s, 14); byte(s, 0); byte(s, 1); byte(s, 3); byte(s, 0x10);
	byte(s, 0); byte(s, 1);
	byte(s, 11); byte(s, 36); byte(s, 1); byte(s, 1);
	byte(s, 13); byte(s, 0); byte(s, 0);
}

int main(int argc, char **argv)
{
	struct ioasid_virtio_iommu_trace *t;
	struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };
	static struct seed s;
	uint32_t seen[64];
	unsigned int nseen = 0, n = 0, in_chunk = 0;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: make_seeds TRACE OUTDIR\n");
		return 2;
	}
	s.len = 0;
	byte(&s, 0);
	conformance(&s);
	if (flush(&s, argv[2], &n))
		return 1;
	if (ioasid_virtio_iommu_trace_open(argv[1], &t)) {
		fprintf(stderr, "make_seeds: %s\n", ioasid_errmsg());
		return 1;
	}
	while ((rc = ioasid_virtio_iommu_trace_next(t, &e)) == 1) {
		if (e.kind != IOASID_VIRTIO_IOMMU_TRACE_REQUEST)
			continue;
		if (e.type == 1 || e.type == 2 || e.type == 5)
			le32_put(e.req + (e.type == 5 ? 4 : 8),
			      fold_ep(e.endpoint, seen, &nseen));
		if (e.type != 5)
			le32_put(e.req + 4, e.domain % 4 + 1);
		if (e.type == 3)
			le64_put(e.req + 24, e.phys_start % FUZZ_RAM);
		request(&s, e.req, e.req_len);
		if (++in_chunk == CHUNK) {
			in_chunk = 0;
			if (flush(&s, argv[2], &n))
				return 1;
		}
	}
	ioasid_virtio_iommu_trace_close(t);
	if (rc < 0) {
		fprintf(stderr, "make_seeds: %s\n", ioasid_errmsg());
		return 1;
	}
	if (flush(&s, argv[2], &n))
		return 1;
	printf("make_seeds: %u seeds in %s\n", n, argv[2]);
	return 0;
}
