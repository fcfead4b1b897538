// SPDX-License-Identifier: MIT
/*
 * Simulator backend: models drivers/iommu/iommufd/pages.c: struct
 * iopt_pages, the memory behind mappings.
 */
#include "explain.h"
#include "sim.h"

/* ------------------------------------------------------------------ */
/* Pages                                                                */

struct sim_pages *sim_pages_new(struct sim *s, bool is_file,
				uint64_t base, int fd, bool writable)
{
	struct sim_pages *p = sim_spare_get(&s->spare_pages, sizeof(*p));

	if (!p)
		return NULL;
	p->refs = 1;
	p->is_file = is_file;
	p->base = base;
	p->fd = fd;
	p->user_fd = -1;
	p->writable = writable;
	return p;
}

void sim_pages_put(struct sim *s, struct sim_pages *p)
{
	if (!p || --p->refs)
		return;
	if (p->is_file && p->fd >= 0)
		close(p->fd);
	sim_spare_put(&s->spare_pages, p);
}

/*
 * Whether the memory could be pinned into a domain.  The kernel pins only
 * when the IOAS has a domain (iopt_fill_domains_pages(), iopt_fill_domain())
 * and fails with -EFAULT for user memory it cannot pin (pin_user_pages)
 * and -EINVAL for a file that is not shmem/hugetlbfs or too short
 * (memfd_pin_folios()).  The simulator checks that the user range is
 * mapped at all (msync() fails with ENOMEM on a hole) and the file's kind
 * and size; it does not check write permission of the user pages.
 */
int sim_pages_check(struct sim *s, const struct sim_pages *p,
		    uint64_t start_byte, uint64_t length)
{
	if (!p->is_file) {
		uint64_t first = p->base + start_byte;
		uint64_t lo = first & ~(s->page_size - 1);
		uint64_t hi = first + length;

		if (msync((void *)(uintptr_t)lo, hi - lo, MS_ASYNC))
			return explain_not_memory(first, length);
		return 0;
	} else {
		struct statfs fs;
		struct stat st;
		uint64_t last = p->base + start_byte + length - 1;

		if (fstatfs(p->fd, &fs) || fstat(p->fd, &st))
			return ioasid_fail(-EBADF, "file is gone");
		if (fs.f_type != SIM_TMPFS_MAGIC &&
		    fs.f_type != SIM_HUGETLBFS_MAGIC)
			return explain_file_not_memfd();
		if (last >= (uint64_t)st.st_size)
			return explain_file_short(p->base + start_byte, last,
						  (uint64_t)st.st_size);
		return 0;
	}
}
