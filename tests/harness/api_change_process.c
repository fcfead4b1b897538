// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_CHANGE_PROCESS through the public API, on the simulator and
 * on the kernel (tests/harness/harness.h): ioasid_ioas_change_process()
 * succeeds while every mapping of every IOAS is of a file, fails with
 * -EINVAL and changes nothing while one maps process memory, and refuses
 * unknown flags before it looks at any IOAS (ioas.c
 * iommufd_ioas_change_process(), Linux 7.3).  Called from the process
 * that made the mappings it moves nothing; the real move, to a forked
 * child, is tests/vm/lib/change_process.c.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

#define FILE_PAGES 4

static int new_memfd(uint64_t len)
{
	int fd = memfd_create("hx-change-process", MFD_CLOEXEC);

	HX_CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
	HX_CHECK(ftruncate(fd, (off_t)len) == 0, "ftruncate: %s",
		 strerror(errno));
	return fd;
}

static void change_process(struct hx *h)
{
	IOASID_OPTS(ioasid_change_process_opts, bad, .flags = 1);
	IOASID_OPTS(ioasid_change_process_opts, none);
	uint64_t len = FILE_PAGES * h->page, iova, iova2 = 0, base;
	uint32_t ioas, ioas2;
	int fd = new_memfd(len);

	/* Nothing mapped anywhere: nothing to move. */
	HX_OK(ioasid_ioas_change_process(h->ctx, NULL));

	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	HX_OK(ioasid_dev_attach(h->dev[0], ioas, NULL));
	base = hx_base(h, ioas, 2 * len + HX_BUF_SIZE);
	iova = base;
	HX_OK(ioasid_ioas_map_file(h->ctx, ioas, fd, 0, len, &iova, NULL));
	HX_OK(ioasid_ioas_change_process(h->ctx, &none));

	/* A copy of a file mapping is a file mapping too. */
	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas2));
	{
		IOASID_OPTS(ioasid_map_opts, any,
			    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE |
				     IOASID_MAP_ANY_IOVA);
		HX_OK(ioasid_ioas_copy(h->ctx, ioas2, &iova2, ioas, iova, len,
				       &any));
	}
	HX_OK(ioasid_ioas_change_process(h->ctx, NULL));

	/* The reserved field first: no IOAS is looked at. */
	HX_ERR(EOPNOTSUPP, "flags", ioasid_ioas_change_process(h->ctx, &bad));

	/* Process memory in the second IOAS: refused, nothing changed. */
	hx_map_at(h, ioas2, h->buf, h->page, iova2 + len);
	HX_ERR(EINVAL, "process memory", ioasid_ioas_change_process(h->ctx, NULL));
	HX_CHECK(hx_is_mapped(h, ioas, iova, len), "the file mapping went");
	HX_CHECK(hx_is_mapped(h, ioas2, iova2 + len, h->page),
		 "the memory mapping went");
	HX_OK(ioasid_ioas_unmap(h->ctx, ioas2, iova2 + len, h->page, NULL));
	HX_OK(ioasid_ioas_change_process(h->ctx, NULL));

	HX_OK(ioasid_ioas_destroy(h->ctx, ioas2));
	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	close(fd);
	HX_EXPECT_EMPTY(h);
}

static const struct hx_test tests[] = {
	HX_T(change_process, .num_devs = 1),
};

HX_MAIN(tests)
