// SPDX-License-Identifier: MIT
/*
 * ioasctl expect ...: assertions for batch scripts.  They use only the
 * public API, so the same script checks the simulator and the kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ioasctl.h"

/* At most this many probes for "expect unmapped" (4 GiB of 4 KiB pages). */
#define MAX_PROBES (1u << 20)

void expect_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl expect error ERRNO COMMAND...\n"
	      "       ioasctl expect ranges IOAS [START-LAST ...]\n"
	      "       ioasctl expect { mapped | unmapped } IOAS iova ADDR "
	      "length LEN\n"
	      "ERRNO := a name such as ENOENT, EBUSY, EINVAL\n",
	      stdout);
}

static int expect_error(struct cli *cli, int argc, char **argv)
{
	int want, ret;

	if (argc < 1)
		return arg_missing(cli, "ERRNO");
	want = errno_from_name(argv[0]);
	if (!want)
		return arg_wrong(cli, argv[0], "not a known errno name");
	if (argc < 2)
		return arg_missing(cli, "COMMAND");
	/* "expect error E expect error ..." says nothing more than one
	 * expect error, and unbounded nesting would recurse as deep as the
	 * line is long.  (Wrapping expect ranges/mapped is fine.) */
	if (argc > 2 && !strcmp(argv[1], "expect") && !strcmp(argv[2], "error"))
		return arg_wrong(cli, argv[1],
				 "expect error cannot wrap another expect error");

	cli->quiet++;
	ret = cli_run(cli, argc - 1, argv + 1);
	cli->quiet--;
	if (ret == CMD_USAGE || cli->check_only)
		return ret;
	if (ret == CMD_OK)
		return cmd_err(cli, 0, "expected %s, but the command succeeded",
			       argv[0]);
	if (cli->last_err != want) {
		char got[sizeof(cli->last_msg)];

		snprintf(got, sizeof(got), "%s", cli->last_msg);
		return cmd_err(cli, cli->last_err, "expected %s, got: %s",
			       argv[0], got);
	}
	return CMD_OK;
}

static void ranges_str(char *buf, size_t size,
		       const struct ioasid_iova_range *r, uint32_t num)
{
	size_t len = 0;

	buf[0] = '\0';
	if (num == 0)
		snprintf(buf, size, "(none)");
	for (uint32_t i = 0; i < num && len < size; i++)
		len += snprintf(buf + len, size - len,
				"%s0x%" PRIx64 "-0x%" PRIx64, i ? " " : "",
				r[i].start, r[i].last);
}

static int expect_ranges(struct cli *cli, int argc, char **argv)
{
	struct ioasid_iova_range *want, *have;
	uint32_t id, num, num_want = argc - 1;
	uint64_t alignment;
	char s_have[512], s_want[512];
	bool same;
	int ret;

	ret = get_ioas_ranges(cli, argc, argv, &id, &want);
	if (ret)
		return ret;
	if (cli->check_only)
		goto out;
	ret = cli_need_ctx(cli);
	if (ret)
		goto out;
	ret = get_iova_ranges(cli, id, &have, &num, &alignment);
	if (ret)
		goto out;
	same = num == num_want;
	for (uint32_t i = 0; same && i < num; i++)
		same = have[i].start == want[i].start &&
		       have[i].last == want[i].last;
	if (!same) {
		ranges_str(s_have, sizeof(s_have), have, num);
		ranges_str(s_want, sizeof(s_want), want, num_want);
		ret = cmd_err(cli, 0, "ranges of ioas %" PRIu32 " are %s, "
				      "expected %s",
			      id, s_have, s_want);
	}
	free(have);
out:
	free(want);
	return ret;
}

/*
 * Is [iova, iova+length-1] of @ioas fully mapped?  No ioctl lists
 * mappings, but IOMMU_IOAS_COPY takes the source range only when
 * mappings cover all of it (-ENOENT otherwise), so copy it into a scratch
 * IOAS and take it out again.  Read-only, so read-only and write-only
 * mappings qualify alike.
 */
static int probe(struct cli *cli, uint32_t scratch, uint32_t ioas,
		 uint64_t iova, uint64_t length)
{
	IOASID_OPTS(ioasid_map_opts, opts, .flags = IOASID_MAP_READ);
	uint64_t dst = iova;
	int ret;

	ret = ioasid_ioas_copy(cli->ctx, scratch, &dst, ioas, iova, length,
			       &opts);
	if (ret == 0)
		ioasid_ioas_unmap_all(cli->ctx, scratch, NULL);
	return ret;
}

/*
 * Without a domain the IOVA alignment is one byte and a mapping may cover
 * any bytes, so page probes could miss it.  Then map scratch memory at
 * exactly the range instead: EEXIST iff a mapping overlaps it, and with
 * no domain nothing is pinned and no reserved range can get in the way.
 * A successful probe is unmapped again at once.
 */
static int unmapped_by_map(struct cli *cli, uint32_t ioas, uint64_t iova,
			   uint64_t length)
{
	IOASID_OPTS(ioasid_map_opts, opts, .flags = IOASID_MAP_READ);
	uint64_t at = iova;
	void *mem;
	int ret;

	if (length > SIZE_MAX / 2)
		return cmd_err(cli, E2BIG, "length 0x%" PRIx64 " is too large "
					   "to check", length);
	mem = mmap(NULL, length, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return cmd_err(cli, errno, "cannot allocate 0x%" PRIx64
					   " bytes of memory: %s (%s)",
			       length, strerror(errno), errno_name(errno));
	ret = ioasid_ioas_map(cli->ctx, ioas, mem, length, &at, &opts);
	if (ret == 0) {
		ret = ioasid_ioas_unmap(cli->ctx, ioas, iova, length, NULL);
		if (ret < 0)
			ret = lib_err(cli, ret);
	} else if (ret == -EEXIST) {
		ret = cmd_err(cli, EEXIST,
			      "iova 0x%" PRIx64 " length 0x%" PRIx64
			      " of ioas %" PRIu32 " is not unmapped",
			      iova, length, ioas);
	} else {
		ret = cmd_err(cli, -ret,
			      "cannot probe iova 0x%" PRIx64 " length 0x%" PRIx64
			      " of ioas %" PRIu32 ": %s%s",
			      iova, length, ioas, ioasid_errmsg(),
			      errno_tail(ioasid_errmsg(), -ret));
	}
	munmap(mem, length);
	return ret;
}

static int expect_mapping(struct cli *cli, int argc, char **argv,
			  bool mapped)
{
	const char *len_s;
	struct ioasid_iova_range *r;
	uint64_t iova, length, alignment = 0, unit, first, last;
	uint32_t id, scratch, num;
	int ret, rc;

	ret = get_ioas_arg(cli, argc, argv, &id);
	if (ret)
		return ret;
	ret = get_iova_length(cli, argc - 1, argv + 1, "one of iova, length",
			      &iova, &length, &len_s);
	if (ret)
		return ret;
	if (length == 0)
		return arg_wrong(cli, len_s, "the length may not be zero");
	if (iova + (length - 1) < iova)
		return arg_wrong(cli, len_s, "the range wraps around 2^64");
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;

	/* The IOAS must exist; its alignment is the mapping granule. */
	ret = get_iova_ranges(cli, id, &r, &num, &alignment);
	if (ret)
		return ret;
	free(r);
	ret = ioasid_ioas_alloc(cli->ctx, &scratch);
	if (ret < 0)
		return lib_err(cli, ret);

	if (mapped) {
		ret = probe(cli, scratch, id, iova, length);
		if (ret == -ENOENT)
			ret = cmd_err(cli, ENOENT,
				      "iova 0x%" PRIx64 " length 0x%" PRIx64
				      " of ioas %" PRIu32 " is not fully mapped",
				      iova, length, id);
		else if (ret < 0)
			ret = cmd_err(cli, -ret,
				      "iova 0x%" PRIx64 " length 0x%" PRIx64
				      " of ioas %" PRIu32
				      " cannot be checked: %s%s",
				      iova, length, id, ioasid_errmsg(),
				      errno_tail(ioasid_errmsg(), -ret));
		goto out;
	}

	if (alignment < 4096) {
		ret = unmapped_by_map(cli, id, iova, length);
		goto out;
	}
	/* With a domain attached every mapping is aligned to @unit
	 * (iopt_check_iova_alignment() enforces it on attach), so one that
	 * touches the range covers at least one whole unit of it. */
	unit = alignment;
	if (unit & (unit - 1))
		unit = 4096;
	first = iova & ~(unit - 1);
	last = (iova + (length - 1)) & ~(unit - 1);
	if ((last - first) / unit >= MAX_PROBES) {
		ret = cmd_err(cli, E2BIG,
			      "length 0x%" PRIx64 " is too large to check "
			      "(at most %u units of 0x%" PRIx64 ")",
			      length, MAX_PROBES, unit);
		goto out;
	}
	ret = CMD_OK;
	for (uint64_t a = first;; a += unit) {
		int r2 = probe(cli, scratch, id, a, unit);

		if (r2 == 0) {
			ret = cmd_err(cli, EEXIST,
				      "iova 0x%" PRIx64 " length 0x%" PRIx64
				      " of ioas %" PRIu32
				      " is not unmapped: 0x%" PRIx64
				      " is mapped",
				      iova, length, id, a < iova ? iova : a);
			break;
		}
		if (r2 != -ENOENT) {
			ret = cmd_err(cli, -r2,
				      "cannot probe iova 0x%" PRIx64
				      " of ioas %" PRIu32 ": %s%s",
				      a, id, ioasid_errmsg(),
				      errno_tail(ioasid_errmsg(), -r2));
			break;
		}
		if (a == last)
			break;
	}
out:
	/* A scratch IOAS left behind would change what the context holds
	 * (found by failing the kernel's allocations under ioasctl). */
	rc = ioasid_ioas_destroy(cli->ctx, scratch);
	if (rc < 0 && ret == CMD_OK)
		ret = cmd_err(cli, -rc, "the scratch ioas %" PRIu32
			      " of the check could not be destroyed: %s%s",
			      scratch, ioasid_errmsg(), errno_tail(ioasid_errmsg(), -rc));
	return ret;
}

static int expect_mapped(struct cli *cli, int argc, char **argv)
{
	return expect_mapping(cli, argc, argv, true);
}

static int expect_unmapped(struct cli *cli, int argc, char **argv)
{
	return expect_mapping(cli, argc, argv, false);
}

const struct cmd expect_cmds[] = {
	{ "error", expect_error },
	{ "ranges", expect_ranges },
	{ "mapped", expect_mapped },
	{ "unmapped", expect_unmapped },
	{ NULL, NULL },
};
