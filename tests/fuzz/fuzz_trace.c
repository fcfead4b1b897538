// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the recorded-trace format (the reader of
 * lib/viommu/trace.c, ioasid_virtio_iommu_trace_open(3)): each input is
 * a trace file, read entry by entry to its end or its first bad line.
 *
 * Checked: no crash, no undefined behaviour, no leak (LeakSanitizer);
 * next() answers 1, 0 or -EINVAL and nothing else for a memory file; an
 * entry's line numbers grow and stay within the file, its kind is config
 * or request, a request's bytes fit the entry and start with its type, a
 * probe line's regions fit and are not inverted; a refusal names its
 * line ("viommu trace line N: ...") and the end of file stays the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioasid/virtio-iommu.h>

#include "fuzz.h"

static uint32_t count_lines(const uint8_t *data, size_t size)
{
	uint32_t n = 0;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size && data[size - 1] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioasid_virtio_iommu_trace *t = NULL;
	uint32_t lines = count_lines(data, size), last = 0;
	char path[64];
	int fd = memfd_create("fuzz.trace", MFD_CLOEXEC), rc;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("fuzz_trace: memfd");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK(ioasid_virtio_iommu_trace_open(path, &t) == 0);
	for (;;) {
		IOASID_OPTS(ioasid_virtio_iommu_trace_entry, e);

		rc = ioasid_virtio_iommu_trace_next(t, &e);
		if (rc != 1)
			break;
		CHECK(e.line > last && e.line <= lines);
		last = e.line;
		switch (e.kind) {
		case IOASID_VIRTIO_IOMMU_TRACE_REQUEST:
			CHECK(e.req_len >= 4 && e.req_len <= sizeof(e.req));
			CHECK(e.req[0] == e.type);
			CHECK(e.resp_len >= 4);
			CHECK(e.num_resv <= IOASID_VIRTIO_IOMMU_TRACE_MAX_RESV);
			for (uint32_t i = 0; i < e.num_resv; i++)
				CHECK(e.resv[i].start <= e.resv[i].last);
			break;
		case IOASID_VIRTIO_IOMMU_TRACE_CONFIG:
			break;
		default:
			CHECK(!"a known kind");
		}
	}
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc == -EINVAL) {
		/* "viommu trace line N: ...", N the line after the last
		 * entry or later. */
		unsigned int n;

		if (sscanf(ioasid_errmsg(), "viommu trace line %u:", &n) != 1 ||
		    n <= last || n > lines + 1) {
			fprintf(stderr, "message \"%s\" (last entry at line %u "
					"of %u)\n", ioasid_errmsg(), last, lines);
			CHECK(!"a refusal names its line");
		}
	} else {
		/* The end stays the end. */
		IOASID_OPTS(ioasid_virtio_iommu_trace_entry, e);

		CHECK(ioasid_virtio_iommu_trace_next(t, &e) == 0);
	}
	ioasid_virtio_iommu_trace_close(t);
	close(fd);
	return 0;
}
