// SPDX-License-Identifier: MIT
/*
 * Benchmark, in the VM suite's guest: the library's map+unmap against a
 * raw ioctl loop doing the same work (IOMMU_IOAS_MAP with FIXED_IOVA |
 * READABLE | WRITEABLE, IOMMU_IOAS_UNMAP; same IOVA, same buffer, same
 * iommufd), for one host page (4 KiB, 64 KiB on the arm64-64k kernel) and
 * 2 MiB, on an IOAS with a mock domain and on the
 * IOAS the edu device (real VT-d emulation) is attached to.
 *
 * The two loops alternate pair by pair (ABAB..., the order swapped each
 * time) so that drift in the guest hits both alike; every pair is timed
 * and the report is the median pair of each and the ratio library/raw
 * (and, as a second view, the median of per-block means).  The
 * target is a ratio of at most 1.03; as a benchmark this program only
 * fails when a call fails, never on the figures.
 *
 * `make vmbench` boots the guest with "ioasid_bench=full" on the kernel
 * command line: 21 blocks per loop.  In `make vmcheck` it runs 5 short
 * blocks, to keep the suite fast and the program tested.
 */
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/iommufd.h>

#include "core.h"
#include "vmtest.h"

#define SZ_2M (2ull << 20)
#define MOCK_IOVA (1ull << 24) /* the mock aperture's start, 2 MiB aligned */
#define EDU_IOVA (64ull << 20)

struct target {
	const char *name;
	uint32_t ioas;
};

struct size_case {
	const char *name;
	uint64_t len;
	void *buf;
	unsigned int pairs; /* map+unmap pairs per block */
};

static int iommufd;
static struct ioasid_ctx *ctx;

static void raw_block(uint32_t ioas, void *buf, uint64_t len, uint64_t iova,
		      unsigned int pairs)
{
	for (unsigned int i = 0; i < pairs; i++) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = ioas,
			.user_va = (uintptr_t)buf,
			.length = len,
			.iova = iova,
		};
		struct iommu_ioas_unmap unmap = {
			.size = sizeof(unmap),
			.ioas_id = ioas,
			.iova = iova,
			.length = len,
		};

		VT_CHECK(ioctl(iommufd, IOMMU_IOAS_MAP, &map) == 0,
			 "IOMMU_IOAS_MAP: %s", strerror(errno));
		VT_CHECK(ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap) == 0 &&
				 unmap.length == len,
			 "IOMMU_IOAS_UNMAP: %s", strerror(errno));
	}
}

static void lib_block(uint32_t ioas, void *buf, uint64_t len, uint64_t iova,
		      unsigned int pairs)
{
	for (unsigned int i = 0; i < pairs; i++) {
		uint64_t at = iova, unmapped = 0;

		VT_OK(ioasid_ioas_map(ctx, ioas, buf, len, &at, NULL));
		VT_OK(ioasid_ioas_unmap(ctx, ioas, iova, len, &unmapped));
		VT_CHECK(unmapped == len, "unmapped 0x%llx",
			 (unsigned long long)unmapped);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void run_case(const struct target *t, const struct size_case *c,
		     uint64_t iova, unsigned int blocks)
{
	unsigned int n = blocks * c->pairs;
	uint64_t *raw = calloc(n, sizeof(*raw)), *lib = calloc(n, sizeof(*lib));
	uint64_t braw[64], blib[64], start, r, l, br, bl;

	VT_CHECK(raw && lib && blocks <= 64, "calloc");
	/* Warm-up: fault in the pages, fill the kernel's caches. */
	raw_block(t->ioas, c->buf, c->len, iova, 2);
	lib_block(t->ioas, c->buf, c->len, iova, 2);
	/*
	 * ABAB at the finest grain: one raw pair, one library pair, the
	 * order swapped every time, each pair timed.  The median pair is
	 * robust against the host preempting the emulator; block means
	 * (pairs in a row) are reported too.
	 */
	for (unsigned int b = 0; b < blocks; b++) {
		uint64_t sum_raw = 0, sum_lib = 0;

		for (unsigned int i = 0; i < c->pairs; i++) {
			unsigned int at = b * c->pairs + i;

			for (int k = 0; k < 2; k++) {
				bool do_lib = (k == 0) == (at % 2 == 1);

				start = vt_now_ns();
				if (do_lib)
					lib_block(t->ioas, c->buf, c->len, iova, 1);
				else
					raw_block(t->ioas, c->buf, c->len, iova, 1);
				(do_lib ? lib : raw)[at] = vt_now_ns() - start;
			}
			sum_raw += raw[at];
			sum_lib += lib[at];
		}
		braw[b] = sum_raw / c->pairs;
		blib[b] = sum_lib / c->pairs;
	}
	r = median(raw, n);
	l = median(lib, n);
	br = median(braw, blocks);
	bl = median(blib, blocks);
	vt_say("%-5s %-6s median pair: raw %9.2f us  library %9.2f us  ratio %.4f;  median block mean: ratio %.4f  (%u x %u pairs each)",
	       t->name, c->name, r / 1000.0, l / 1000.0, (double)l / (double)r,
	       (double)bl / (double)br, blocks, c->pairs);
	printf("BENCH overhead target=%s size=%s raw_ns=%llu lib_ns=%llu ratio=%.4f block_ratio=%.4f pairs=%u\n",
	       t->name, c->name, (unsigned long long)r, (unsigned long long)l,
	       (double)l / (double)r, (double)bl / (double)br, n);
	fflush(stdout);
	free(raw);
	free(lib);
}

static bool full_run(void)
{
	char line[1024] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	return strstr(line, "ioasid_bench=full") != NULL;
}

/* 2 MiB, from a huge page when the guest has one (as a VMM's RAM would
 * be), else ordinary pages; populated. */
static void *buf_2m(const char **kind)
{
	void *p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		       -1, 0);
	uint8_t *q;

	*kind = "hugetlb";
	if (p != MAP_FAILED)
		return p;
	*kind = "4k pages";
	q = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VT_CHECK(q != MAP_FAILED, "mmap: %s", strerror(errno));
	q = (uint8_t *)(((uintptr_t)q + SZ_2M - 1) & ~(SZ_2M - 1));
	memset(q, 1, SZ_2M);
	return q;
}

int main(void)
{
	bool full = full_run();
	unsigned int blocks = full ? 21 : 5;
	uint64_t page = vt_page_size();
	char page_name[32];
	struct size_case sizes[2] = {
		{ page_name, page, NULL, full ? 400 : 40 },
		{ "2MiB", SZ_2M, NULL, full ? 100 : 10 },
	};
	struct target targets[2] = { { "mock", 0 }, { "edu", 0 } };
	unsigned int ntargets = 1;
	struct ioasid_dev *mock, *edu = NULL;
	char bdf[IOASID_NAME_MAX];
	const char *kind;

	ctx = vt_kernel_ctx();
	iommufd = ioasid_ctx_fd(ctx);
	VT_CHECK(iommufd >= 0, "ctx fd %d", iommufd);
	snprintf(page_name, sizeof(page_name), "%lluKiB",
		 (unsigned long long)(page >> 10));
	sizes[0].buf = mmap(NULL, page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	VT_CHECK(sizes[0].buf != MAP_FAILED, "mmap");
	sizes[1].buf = buf_2m(&kind);
	vt_say("%s run: %u blocks per loop, 2 MiB buffer from %s; QEMU TCG: emulated timings",
	       full ? "full" : "short (ioasid_bench=full for the full run)",
	       blocks, kind);

	VT_OK(ioasid_ioas_alloc(ctx, &targets[0].ioas));
	VT_OK(ioasid_dev_open(ctx, "mock0", &mock));
	VT_OK(ioasid_dev_bind(mock, NULL));
	VT_OK(ioasid_dev_attach(mock, targets[0].ioas, NULL));

	if (vt_find_pci(VT_EDU_VENDOR, VT_EDU_DEVICE, bdf) == 0) {
		VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
		VT_OK(ioasid_ioas_alloc(ctx, &targets[1].ioas));
		VT_OK(ioasid_dev_open(ctx, bdf, &edu));
		VT_OK(ioasid_dev_bind(edu, NULL));
		VT_OK(ioasid_dev_attach(edu, targets[1].ioas, NULL));
		ntargets = 2;
	} else {
		vt_say("no edu device: mock domain only");
	}

	for (unsigned int t = 0; t < ntargets; t++)
		for (unsigned int s = 0; s < 2; s++)
			run_case(&targets[t], &sizes[s],
				 t == 0 ? MOCK_IOVA : EDU_IOVA, blocks);

	ioasid_dev_close(mock);
	if (edu) {
		ioasid_dev_close(edu);
		VT_OK(ioasid_dev_set_driver(ctx, bdf, NULL, NULL));
	}
	ioasid_ctx_close(ctx);
	return 0;
}
