// SPDX-License-Identifier: MIT
/*
 * Peer-to-peer DMA through an IOAS (issue 15): ioasid_dev_dma_buf()
 * exports a page of edu A's BAR0 (vfio-pci's exporter), and
 * ioasid_ioas_map_file() maps that dma-buf into an IOAS that edu B is
 * attached to (with two edu devices; with one, A is B: edu DMAs to its
 * own BAR, which QEMU routes the same way).  Then:
 *  - the IOAS lists the mapping at its IOVA with the page's length;
 *  - edu B copies 4 bytes from RAM to the IOVA of A's liveness register
 *    (BAR0 + 0x04, which reads back the bitwise inverse of what was
 *    written): reading that register through A's mmap'd BAR gives the
 *    inverse of the RAM word, so the write went through the IOMMU,
 *    translated to A's BAR, and landed in A;
 *  - the argument checks: length 0, a misaligned offset, a slice beyond
 *    the BAR, a region that is not a BAR, unknown flags, an unbound
 *    device; the message names what was wrong;
 *  - after unmap the same DMA no longer reaches A (the register keeps
 *    its value).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "edu.h"
#include "vmtest.h"

#define EDU_REG_LIVENESS 0x04
#define IOVA_SRC 0x100000ull
#define IOVA_BAR 0x200000ull

int main(void)
{
	char bdfs[2][IOASID_NAME_MAX];
	int n = vt_find_pci_all(VT_EDU_VENDOR, VT_EDU_DEVICE, bdfs, 2);
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), iova, unmapped;
	struct ioasid_dev *a, *b;
	volatile uint8_t *bar_a, *bar_b;
	size_t size_a, size_b = 0;
	struct ioasid_ctx *ctx;
	uint32_t ioas, *src, want, got;
	int buf_fd = -1;

	if (n < 1)
		vt_skip("no edu device (QEMU -device edu)");
	ctx = vt_kernel_ctx();
	for (int i = 0; i < n && i < 2; i++)
		VT_OK(ioasid_dev_set_driver(ctx, bdfs[i], "vfio-pci", NULL));
	VT_OK(ioasid_dev_open(ctx, bdfs[0], &a));
	/* Not bound yet: refused before the kernel is asked. */
	VT_ERR_MSG(EINVAL, "not bound", ioasid_dev_dma_buf(a, 0, 0, page, NULL, &buf_fd));
	VT_OK(ioasid_dev_bind(a, NULL));
	if (n > 1) {
		VT_OK(ioasid_dev_open(ctx, bdfs[1], &b));
		VT_OK(ioasid_dev_bind(b, NULL));
	} else {
		b = a;
	}
	bar_a = edu_map_bar0(ioasid_dev_fd(a), &size_a);
	bar_b = b == a ? bar_a : edu_map_bar0(ioasid_dev_fd(b), &size_b);

	VT_ERR_MSG(EINVAL, "length 0", ioasid_dev_dma_buf(a, 0, 0, 0, NULL, &buf_fd));
	VT_ERR_MSG(EINVAL, "page size", ioasid_dev_dma_buf(a, 0, 8, page, NULL, &buf_fd));
	VT_ERR_MSG(EINVAL, "bytes", ioasid_dev_dma_buf(a, 0, 0, size_a + page, NULL, &buf_fd));
	VT_ERR_MSG(EINVAL, "not a BAR", ioasid_dev_dma_buf(a, 7, 0, page, NULL, &buf_fd));
	VT_ERR_MSG(EOVERFLOW, "wraps", ioasid_dev_dma_buf(a, 0, ~0ull & ~(page - 1), page * 2, NULL, &buf_fd));
	IOASID_OPTS(ioasid_dma_buf_opts, bad_flags, .flags = 1);
	VT_ERR(EOPNOTSUPP, ioasid_dev_dma_buf(a, 0, 0, page, &bad_flags, &buf_fd));
	VT_CHECK(buf_fd == -1, "a failed call gave fd %d", buf_fd);

	VT_OK(ioasid_dev_dma_buf(a, 0, 0, page, NULL, &buf_fd));
	VT_CHECK(buf_fd >= 0, "fd %d", buf_fd);
	vt_say("dma-buf of the first 0x%llx bytes of BAR0 (0x%zx bytes) of %s: fd %d",
	       (unsigned long long)page, size_a, bdfs[0], buf_fd);

	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(b, ioas, NULL));
	src = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VT_CHECK(src != MAP_FAILED, "mmap: %s", strerror(errno));
	src[0] = 0x12345678;
	iova = IOVA_SRC;
	IOASID_OPTS(ioasid_map_opts, ro, .flags = IOASID_MAP_READ);
	VT_OK(ioasid_ioas_map(ctx, ioas, src, page, &iova, &ro));
	iova = IOVA_BAR;
	VT_OK(ioasid_ioas_map_file(ctx, ioas, buf_fd, 0, page, &iova, NULL));
	VT_CHECK(iova == IOVA_BAR, "mapped at 0x%llx", (unsigned long long)iova);
	VT_CHECK(vt_is_mapped(ctx, ioas, IOVA_BAR, page),
		 "the dma-buf is not among the IOAS's mappings at 0x%llx",
		 (unsigned long long)IOVA_BAR);

	*(volatile uint32_t *)(bar_a + EDU_REG_LIVENESS) = 0;
	edu_dma_len(bar_b, IOVA_SRC, EDU_BUFFER_ADDR, 4, false);
	edu_dma_len(bar_b, EDU_BUFFER_ADDR, IOVA_BAR + EDU_REG_LIVENESS, 4, true);
	want = ~src[0];
	got = *(volatile uint32_t *)(bar_a + EDU_REG_LIVENESS);
	VT_CHECK(got == want,
		 "after %s DMAed 0x%08x to iova 0x%llx (BAR0+0x%x of %s), the register reads 0x%08x, not 0x%08x",
		 bdfs[n > 1], src[0], (unsigned long long)(IOVA_BAR + EDU_REG_LIVENESS),
		 EDU_REG_LIVENESS, bdfs[0], got, want);
	vt_say("peer to peer: %s DMAed 0x%08x through iova 0x%llx into BAR0+0x%x of %s, which reads 0x%08x",
	       bdfs[n > 1], src[0], (unsigned long long)(IOVA_BAR + EDU_REG_LIVENESS),
	       EDU_REG_LIVENESS, bdfs[0], got);

	VT_OK(ioasid_ioas_unmap(ctx, ioas, IOVA_BAR, page, &unmapped));
	VT_CHECK(unmapped == page, "unmapped 0x%llx", (unsigned long long)unmapped);
	src[0] = 0x0badf00d; /* the pinned page: what edu reads next */
	*(volatile uint32_t *)(bar_a + EDU_REG_LIVENESS) = 0;
	edu_dma_len(bar_b, IOVA_SRC, EDU_BUFFER_ADDR, 4, false);
	edu_dma_len(bar_b, EDU_BUFFER_ADDR, IOVA_BAR + EDU_REG_LIVENESS, 4, true);
	got = *(volatile uint32_t *)(bar_a + EDU_REG_LIVENESS);
	VT_CHECK(got == ~0u, "after unmap the DMA still reached BAR0: 0x%08x", got);
	vt_say("after unmap: the DMA to iova 0x%llx did not reach %s (register 0x%08x)",
	       (unsigned long long)(IOVA_BAR + EDU_REG_LIVENESS), bdfs[0], got);

	close(buf_fd);
	VT_OK(ioasid_dev_detach(b));
	VT_OK(ioasid_ioas_unmap(ctx, ioas, IOVA_SRC, page, NULL));
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	if (b != a)
		ioasid_dev_close(b);
	ioasid_dev_close(a);
	ioasid_ctx_close(ctx);
	vt_say("PASS (%d edu device%s)", n, n == 1 ? "" : "s");
	return 0;
}
