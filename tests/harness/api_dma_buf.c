// SPDX-License-Identifier: MIT
/*
 * ioasid_dev_dma_buf() on both backends (tests/harness/harness.h): the
 * argument checks are the library's and word alike on the simulator and
 * the kernel; then neither a simulated device nor a CONFIG_IOMMUFD_TEST
 * mock has a BAR, so both refuse with EOPNOTSUPP and say so, leaving the
 * fd untouched.  The export itself, and peer-to-peer DMA through it, are
 * in tests/vm/lib/dma_buf.c on edu.
 */
#include <unistd.h>

#include "harness.h"

static void dma_buf_checks(struct hx *h)
{
	IOASID_OPTS(ioasid_dma_buf_opts, bad, .flags = 1);
	int fd = -1;

	HX_ERR(EINVAL, "length 0", ioasid_dev_dma_buf(h->dev[0], 0, 0, 0, NULL, &fd));
	HX_ERR(EINVAL, "page size", ioasid_dev_dma_buf(h->dev[0], 0, 8, h->page, NULL, &fd));
	HX_ERR(EOVERFLOW, "wraps",
	       ioasid_dev_dma_buf(h->dev[0], 0, ~(h->page - 1), 2 * h->page, NULL, &fd));
	HX_ERR(EOPNOTSUPP, "flags", ioasid_dev_dma_buf(h->dev[0], 0, 0, h->page, &bad, &fd));
	HX_ERR(EINVAL, "fd", ioasid_dev_dma_buf(h->dev[0], 0, 0, h->page, NULL, NULL));
	HX_ERR(EOPNOTSUPP, "no BARs", ioasid_dev_dma_buf(h->dev[0], 0, 0, h->page, NULL, &fd));
	HX_CHECK(fd == -1, "a failed call set fd %d", fd);
	HX_EXPECT_EMPTY(h);
}

static const struct hx_test tests[] = {
	HX_T(dma_buf_checks, .num_devs = 1),
};

HX_MAIN(tests)
