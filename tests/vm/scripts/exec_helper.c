// SPDX-License-Identifier: MIT
/*
 * The child that tests/vm/scripts/exec.sh runs under "ioasctl exec": it
 * adopts the inherited iommufd ($IOASCTL_IOMMUFD) with ioasid_ctx_from_fd,
 * prints the usable ranges of the IOAS whose id it was given (ioasctl
 * attached a mock device there, so they are the mock aperture), maps 64 KiB
 * at IOVA, shows that the same IOVA is now taken (EEXIST) and unmaps it.
 *
 * Usage: exec_helper IOAS_ID IOVA.  Exit status 0 when every step did what
 * it should, 1 otherwise, 2 on a usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/ioasid.h>

#define MAP_LENGTH 0x10000

static int fail(const char *what, int rc)
{
	printf("helper: %s: %s (%s)\n", what, strerror(-rc), ioasid_errmsg());
	return 1;
}

int main(int argc, char **argv)
{
	struct ioasid_iova_range ranges[8];
	uint32_t num = 8, ioas_id;
	uint64_t alignment, iova, want_iova, unmapped = 0;
	struct ioasid_ctx *ctx;
	const char *fd_env = getenv("IOASCTL_IOMMUFD");
	void *buf;
	int rc, fd;

	if (argc != 3 || !fd_env) {
		fprintf(stderr, "usage: IOASCTL_IOMMUFD=FD exec_helper IOAS_ID IOVA\n");
		return 2;
	}
	fd = atoi(fd_env);
	ioas_id = (uint32_t)strtoul(argv[1], NULL, 0);
	want_iova = strtoull(argv[2], NULL, 0);

	rc = ioasid_ctx_from_fd(fd, NULL, &ctx);
	if (rc)
		return fail("ioasid_ctx_from_fd", rc);
	printf("helper: adopted iommufd %d\n", fd);

	rc = ioasid_ioas_iova_ranges(ctx, ioas_id, ranges, &num, &alignment);
	if (rc)
		return fail("ioasid_ioas_iova_ranges", rc);
	printf("helper: ioas %" PRIu32 " alignment 0x%" PRIx64, ioas_id, alignment);
	for (uint32_t i = 0; i < num; i++)
		printf(" 0x%" PRIx64 "-0x%" PRIx64, ranges[i].start, ranges[i].last);
	printf("\n");

	buf = mmap(NULL, MAP_LENGTH, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return fail("mmap", -errno);
	memset(buf, 0x5a, MAP_LENGTH);

	iova = want_iova;
	rc = ioasid_ioas_map(ctx, ioas_id, buf, MAP_LENGTH, &iova, NULL);
	if (rc)
		return fail("ioasid_ioas_map", rc);
	printf("helper: mapped ioas %" PRIu32 " iova 0x%" PRIx64 " length 0x%x\n",
	       ioas_id, iova, MAP_LENGTH);

	/* The mapping is really in the kernel's IOAS: the IOVA is taken. */
	iova = want_iova;
	rc = ioasid_ioas_map(ctx, ioas_id, buf, MAP_LENGTH, &iova, NULL);
	printf("helper: second map at 0x%" PRIx64 ": %s\n", want_iova,
	       rc == -EEXIST ? "EEXIST" : rc ? strerror(-rc) : "succeeded");
	if (rc != -EEXIST)
		return 1;

	rc = ioasid_ioas_unmap(ctx, ioas_id, want_iova, MAP_LENGTH, &unmapped);
	if (rc)
		return fail("ioasid_ioas_unmap", rc);
	printf("helper: unmapped 0x%" PRIx64 "\n", unmapped);
	ioasid_ctx_close(ctx);
	return 0;
}
