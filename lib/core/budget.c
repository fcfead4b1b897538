// SPDX-License-Identifier: MIT
/*
 * ioasid_layout_budget(): the locked-memory budget of a planned VM.  The
 * arguments are checked here, the arithmetic is lib/model/budget.c, and
 * the limit it is held against is this process's: RLIMIT_MEMLOCK and
 * CAP_IPC_LOCK (with which iommufd charges nothing).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core.h"
#include "model.h"
#include "budget.h"

/* Whether the process has CAP_IPC_LOCK (/proc/self/status CapEff). */
static bool budget_ipc_lock(void)
{
	unsigned long long caps = 0;
	bool found = false;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			found = sscanf(line + 7, "%llx", &caps) == 1;
	fclose(f);
	return found && (caps & (1ull << 14));
}

static uint64_t rlim_to_bytes(rlim_t v)
{
	return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

static int check_ram(const struct ioasid_ram_range *ram, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t last;

		if (!ram[i].size ||
		    __builtin_add_overflow(ram[i].gpa, ram[i].size - 1, &last))
			return ioasid_fail(-EINVAL,
					   "RAM range %u (0x%llx:0x%llx) is empty or wraps",
					   i, (unsigned long long)ram[i].gpa,
					   (unsigned long long)ram[i].size);
		for (uint32_t j = 0; j < i; j++) {
			uint64_t jlast = ram[j].gpa + ram[j].size - 1;

			if (ram[i].gpa <= jlast && ram[j].gpa <= last)
				return ioasid_fail(-EINVAL,
						   "RAM ranges %u (0x%llx:0x%llx) and %u (0x%llx:0x%llx) overlap",
						   j, (unsigned long long)ram[j].gpa,
						   (unsigned long long)ram[j].size, i,
						   (unsigned long long)ram[i].gpa,
						   (unsigned long long)ram[i].size);
		}
	}
	return 0;
}

int ioasid_layout_budget(const struct ioasid_budget_opts *opts,
			 struct ioasid_budget *out)
{
	struct ioasid_budget res;
	const struct ioasid_ram_range *ram;
	uint32_t num_ram, viommu, mode, flags;
	uint64_t page, need_lim;
	int rc;

	ioasid_clear_error();
	CHECK_PTR(opts);
	rc = ioasid_check_info(out, "out");
	if (rc)
		return rc;
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_budget_opts),
			       "ioasid_budget_opts");
	if (rc)
		return rc;
	ram = IOASID_OPTS_GET(opts, ram, NULL);
	num_ram = IOASID_OPTS_GET(opts, num_ram, 0);
	viommu = IOASID_OPTS_GET(opts, viommu, IOASID_BUDGET_VIOMMU_NONE);
	mode = IOASID_OPTS_GET(opts, rlimit_mode, 0);
	flags = IOASID_OPTS_GET(opts, flags, 0);
	page = IOASID_OPTS_GET(opts, page_size, 0);
	if (!ram && num_ram)
		return ioasid_fail(-EINVAL, "ram is NULL but num_ram is %u", num_ram);
	if (viommu > IOASID_BUDGET_VIOMMU_NESTED)
		return ioasid_fail(-EINVAL, "unknown viommu %u (none 0, shadow 1, nested 2)",
				   viommu);
	if (mode > IOASID_RLIMIT_PER_PROCESS)
		return ioasid_fail(-EINVAL, "unknown rlimit_mode %u (per user 0, per process 1)",
				   mode);
	if (flags & ~IOASID_BUDGET_GIVEN_LIMIT)
		return ioasid_fail(-EINVAL, "unknown flags 0x%x", flags);
	if (!page)
		page = ioasid_page_size();
	if (page & (page - 1))
		return ioasid_fail(-EINVAL, "page size 0x%llx is not a power of two",
				   (unsigned long long)page);
	rc = check_ram(ram, num_ram);
	if (rc)
		return rc;

	memset(&res, 0, sizeof(res));
	rc = budget_compute(ram, num_ram, IOASID_OPTS_GET(opts, num_devices, 0),
			    viommu, IOASID_OPTS_GET(opts, num_ioas, 0), page,
			    IOASID_OPTS_GET(opts, other_charged, 0), &res);
	if (rc)
		return rc;
	res.sz = out->sz;
	if (flags & IOASID_BUDGET_GIVEN_LIMIT) {
		res.limit = res.limit_max = IOASID_OPTS_GET(opts, limit, 0);
	} else {
		struct rlimit lim;

		if (getrlimit(RLIMIT_MEMLOCK, &lim))
			return ioasid_fail(-errno, "getrlimit(RLIMIT_MEMLOCK): %s",
					   strerror(errno));
		res.limit = rlim_to_bytes(lim.rlim_cur);
		res.limit_max = rlim_to_bytes(lim.rlim_max);
		if (budget_ipc_lock())
			res.flags |= IOASID_BUDGET_IPC_LOCK;
	}
	/* The kernel refuses a pin once the counter would pass the limit
	 * in pages: a limit that is not a whole number of pages counts
	 * its whole pages only. */
	need_lim = res.limit == UINT64_MAX ? UINT64_MAX : res.limit & ~(page - 1);
	if (res.limit == UINT64_MAX)
		res.flags |= IOASID_BUDGET_UNLIMITED;
	if ((res.flags & (IOASID_BUDGET_UNLIMITED | IOASID_BUDGET_IPC_LOCK)) ||
	    res.needed <= need_lim)
		res.flags |= IOASID_BUDGET_FITS;
	if (!(flags & IOASID_BUDGET_GIVEN_LIMIT) && res.limit_max != UINT64_MAX &&
	    res.needed > res.limit_max && !(res.flags & IOASID_BUDGET_IPC_LOCK))
		res.flags |= IOASID_BUDGET_HARD_TOO_LOW;
	ioasid_copy_out(out, &res, IOASID_OPTS_KNOWN(ioasid_budget));
	return 0;
}
