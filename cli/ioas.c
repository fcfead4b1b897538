// SPDX-License-Identifier: MIT
/* ioasctl ioas ... and ioasctl hwpt ... */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioasid/testing.h>

#include "ioasctl.h"

void ioas_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl ioas alloc [name NAME]\n"
	      "       ioasctl ioas destroy IOAS\n"
	      "       ioasctl ioas map IOAS [iova ADDR | any] length LEN\n"
	      "                        [file PATH [offset OFF] |\n"
	      "                         bar N of DEV [offset OFF]] [read] [write]\n"
	      "       ioasctl ioas unmap IOAS { iova ADDR length LEN | all }\n"
	      "       ioasctl ioas copy IOAS [iova ADDR | any] [read] [write]\n"
	      "                         from IOAS iova ADDR length LEN\n"
	      "       ioasctl ioas ranges IOAS\n"
	      "       ioasctl ioas allow IOAS [START-LAST ...]\n"
	      "       ioasctl ioas msi-banks IOAS\n"
	      "       ioasctl ioas map-msi-bank IOAS bank N iova ADDR\n"
	      "       ioasctl ioas unmap-msi-bank IOAS bank N\n"
	      "       ioasctl ioas change-process\n"
	      "       ioasctl ioas get-pa IOAS iova ADDR [length LEN]\n"
	      "IOAS := an IOAS id or name; numbers are decimal or 0x hex,\n"
	      "        sizes may end in K, M, G or T\n",
	      stdout);
}

void hwpt_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl hwpt alloc dev DEV ioas IOAS [name NAME]\n"
	      "       ioasctl hwpt destroy HWPT\n",
	      stdout);
}

/* A list of an IOAS (get_list()). */
struct ioas_list {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	uint64_t *alignment;
};

static int get_ranges(const void *arg, void *arr, uint32_t *num)
{
	const struct ioas_list *l = arg;

	return ioasid_ioas_iova_ranges(l->ctx, l->ioas, arr, num, l->alignment);
}

static int get_msi_banks(const void *arg, void *arr, uint32_t *num)
{
	const struct ioas_list *l = arg;

	return ioasid_ioas_msi_banks(l->ctx, l->ioas, arr, num);
}

int get_iova_ranges(struct cli *cli, uint32_t ioas,
		    struct ioasid_iova_range **ranges, uint32_t *num,
		    uint64_t *alignment)
{
	struct ioas_list l = { cli->ctx, ioas, alignment };
	struct ioasid_iova_range *r;
	int ret;

	r = get_list(cli, get_ranges, &l, sizeof(*r), num, &ret);
	if (!ret)
		*ranges = r;
	return ret;
}

/* Parse "IOAS" (or "HWPT", per @kind) as the only argument of @cmd. */
static int get_only(struct cli *cli, int argc, char **argv, const char *cmd,
		    enum name_kind kind, uint32_t *id)
{
	const char *word = kind == NAME_IOAS ? "IOAS" : "HWPT";

	if (argc < 1)
		return arg_missing(cli, word);
	if (argc > 1) {
		char what[64];

		snprintf(what, sizeof(what), "nothing after \"%s %s\"", cmd,
			 word);
		return arg_unexpected(cli, argv[1], what);
	}
	return get_obj_id(cli, argv[0], kind, false, id);
}

static int obj_destroy(struct cli *cli, enum name_kind kind, uint32_t id)
{
	return kind == NAME_IOAS ? ioasid_ioas_destroy(cli->ctx, id) :
				   ioasid_hwpt_destroy(cli->ctx, id);
}

/*
 * A new IOAS or HWPT: give it its name (a name that cannot be taken
 * destroys the object again, so a failed command leaves nothing), print
 * it, and warn that it dies with ioasctl.
 */
static int created(struct cli *cli, enum name_kind kind, uint32_t id,
		   const char *name)
{
	bool ioas = kind == NAME_IOAS;

	if (name && name_declare(cli, name, kind, id)) {
		obj_destroy(cli, kind, id);
		return CMD_USAGE;
	}
	out_obj_open(cli, NULL);
	out_uint(cli, ioas ? "ioas" : "hwpt", ioas ? "ioas %" PRIu64 : "hwpt %" PRIu64,
		 id);
	if (name)
		out_str(cli, "name", " name %s", name);
	out_text(cli, "\n");
	out_obj_close(cli);
	warn_ephemeral(cli, ioas ? "the IOAS" : "the HWPT");
	return CMD_OK;
}

static int ioas_alloc(struct cli *cli, int argc, char **argv)
{
	const char *name = NULL;
	const struct kw_value kws[] = { { "name", &name }, { NULL } };
	uint32_t id;
	int ret;

	ret = get_kw_values(cli, argc, argv, kws, "\"name\"");
	if (ret)
		return ret;
	if (cli->check_only)
		return name ? name_declare(cli, name, NAME_IOAS, 0) : CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = ioasid_ioas_alloc(cli->ctx, &id);
	if (ret < 0)
		return lib_err(cli, ret);
	return created(cli, NAME_IOAS, id, name);
}

/* ioas destroy IOAS, hwpt destroy HWPT */
static int destroy(struct cli *cli, int argc, char **argv,
		   enum name_kind kind)
{
	uint32_t id;
	int ret;

	ret = get_only(cli, argc, argv, "destroy", kind, &id);
	if (ret || cli->check_only)
		return ret;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = obj_destroy(cli, kind, id);
	return ret < 0 ? lib_err(cli, ret) : CMD_OK;
}

static int ioas_destroy(struct cli *cli, int argc, char **argv)
{
	return destroy(cli, argc, argv, NAME_IOAS);
}

/* Placement and access words shared by map and copy. */
struct place {
	bool have_iova, any;
	uint64_t iova;
	uint32_t flags; /* IOASID_MAP_READ/WRITE given */
};

/* Consume one placement word at argv[*i]; 1 if it was not one. */
static int parse_place(struct cli *cli, int argc, char **argv, int *i,
		       struct place *pl)
{
	const char *w = argv[*i];

	if (!strcmp(w, "iova") || !strcmp(w, "any")) {
		const char *v = w;

		if (!strcmp(w, "iova")) {
			if (*i + 1 >= argc)
				return arg_needs_value(cli, "iova");
			v = argv[++*i];
		}
		if (pl->have_iova)
			return arg_duplicate(cli, "iova", v);
		pl->have_iova = true;
		if (!strcmp(v, "any"))
			pl->any = true;
		else if (get_u64(cli, v, true, &pl->iova))
			return CMD_USAGE;
		return CMD_OK;
	}
	if (!strcmp(w, "read") || !strcmp(w, "write")) {
		uint32_t f = w[0] == 'r' ? IOASID_MAP_READ : IOASID_MAP_WRITE;

		if (pl->flags & f)
			return arg_duplicate(cli, w, w);
		pl->flags |= f;
		return CMD_OK;
	}
	return -1;
}

static uint32_t place_flags(const struct place *pl)
{
	uint32_t flags = pl->flags;

	if (!flags)
		flags = IOASID_MAP_READ | IOASID_MAP_WRITE;
	/* No IOVA given: the kernel chooses, as with "any". */
	if (!pl->have_iova || pl->any)
		flags |= IOASID_MAP_ANY_IOVA;
	return flags;
}

/*
 * Anonymous memory for a mapping at an address whose lowest set bit is
 * 2 MiB: aligned to 2 MiB and not to 4 MiB.  The kernel keeps the
 * buffer's own alignment, up to the length rounded up to a power of two,
 * when it picks an IOVA (iopt_alloc_iova()), so without this the chosen
 * IOVA would depend on where mmap() put the buffer (a buffer that
 * happened to be 64 MiB aligned moved a 256 MiB map from 16 to 64 MiB on
 * the kernel, not on the simulator's run).  NULL with errno set on
 * failure.
 */
#define BUFFER_ALIGN (2ul << 20)
static void *alloc_buffer(uint64_t length)
{
	long page_size = sysconf(_SC_PAGESIZE);
	size_t page = page_size > 0 ? (size_t)page_size : 4096;
	size_t len = (length + page - 1) & ~(page - 1);
	size_t total = len + 2 * BUFFER_ALIGN;
	uintptr_t base, start;
	void *p;

	p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	base = (uintptr_t)p;
	start = (base + BUFFER_ALIGN - 1) & ~(BUFFER_ALIGN - 1);
	if (!(start & BUFFER_ALIGN))
		start += BUFFER_ALIGN;
	if (start > base)
		munmap(p, start - base);
	if (base + total > start + len)
		munmap((void *)(start + len), base + total - (start + len));
	return (void *)start;
}

static void print_placed(struct cli *cli, uint32_t ioas, uint64_t iova,
			 uint64_t length)
{
	out_obj_open(cli, NULL);
	out_uint(cli, "ioas", "ioas %" PRIu64, ioas);
	out_u64(cli, "iova", " iova 0x%" PRIx64, iova);
	out_u64(cli, "length", " length 0x%" PRIx64 "\n", length);
	out_obj_close(cli);
}

static int ioas_map(struct cli *cli, int argc, char **argv)
{
	IOASID_OPTS(ioasid_map_opts, opts);
	const char *len_s = NULL, *path = NULL, *off_s = NULL;
	const char *bar_s = NULL, *of_s = NULL;
	const struct kw_value kws[] = {
		{ "length", &len_s }, { "file", &path }, { "offset", &off_s },
		{ "bar", &bar_s }, { "of", &of_s }, { NULL },
	};
	struct place pl = { 0 };
	uint64_t length, offset = 0, iova;
	uint32_t bar = 0;
	struct ioasid_dev *bar_dev = NULL;
	uint32_t id;
	void *mem;
	int ret, fd;

	ret = get_ioas_arg(cli, argc, argv, &id);
	if (ret)
		return ret;
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];

		ret = parse_place(cli, argc, argv, &i, &pl);
		if (ret < 0 && !strcmp(w, "offset") && !path && !bar_s)
			return arg_wrong(cli, w,
					 "only after \"file PATH\" or \"bar N of DEV\"");
		if (ret < 0)
			ret = get_kw_value(cli, argc, argv, &i, kws);
		if (ret < 0)
			return arg_unexpected(
				cli, w,
				"one of iova, any, length, file, offset, bar, "
				"of, read, write");
		if (ret)
			return ret;
	}
	if (!len_s)
		return arg_missing(cli, "length");
	if (path && bar_s)
		return arg_wrong(cli, "bar", "not with \"file PATH\": one or the other");
	if (!bar_s != !of_s)
		return bar_s ? arg_missing(cli, "of DEV (after bar N)")
			     : arg_wrong(cli, "of", "only after \"bar N\"");
	if (bar_s && get_u32(cli, bar_s, &bar))
		return CMD_USAGE;
	if (bar_s && (ret = get_dev(cli, of_s, &bar_dev)))
		return ret;
	if (get_u64(cli, len_s, true, &length))
		return CMD_USAGE;
	if (off_s && get_u64(cli, off_s, true, &offset))
		return CMD_USAGE;
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;

	opts.flags = place_flags(&pl);
	iova = pl.iova;
	if (bar_dev) {
		/* A slice of the device's BAR as a dma-buf, mapped like a
		 * file: peer-to-peer DMA for the IOAS's other devices. */
		ret = ioasid_dev_dma_buf(bar_dev, bar, offset, length,
					 NULL, &fd);
		if (ret < 0)
			return lib_err(cli, ret);
		ret = ioasid_ioas_map_file(cli->ctx, id, fd, 0, length, &iova,
					   &opts);
		if (ret < 0) {
			close(fd);
			return lib_err(cli, ret);
		}
		cli_keep_buffer(cli, NULL, 0, fd);
	} else if (path) {
		int oflags = (opts.flags & IOASID_MAP_WRITE) ? O_RDWR : O_RDONLY;

		fd = open(path, oflags | O_CLOEXEC);
		if (fd < 0)
			return cmd_err(cli, errno, "cannot open \"%s\": %s (%s)",
				       path, strerror(errno),
				       errno_name(errno));
		ret = ioasid_ioas_map_file(cli->ctx, id, fd, offset, length,
					   &iova, &opts);
		if (ret < 0) {
			close(fd);
			return lib_err(cli, ret);
		}
		cli_keep_buffer(cli, NULL, 0, fd);
	} else {
		/* The memory stays until ioasctl exits: the mapping
		 * refers to it. */
		static char zero_page[4096] __attribute__((aligned(4096)));

		if (length == 0 || length > SIZE_MAX / 2) {
			mem = zero_page; /* the library refuses the length */
		} else {
			mem = alloc_buffer(length);
			if (!mem)
				return cmd_err(cli, errno,
					       "cannot allocate 0x%" PRIx64
					       " bytes of memory: %s (%s)",
					       length, strerror(errno),
					       errno_name(errno));
		}
		ret = ioasid_ioas_map(cli->ctx, id, mem, length, &iova, &opts);
		if (ret < 0) {
			if (mem != zero_page)
				munmap(mem, length);
			return lib_err(cli, ret);
		}
		cli_keep_buffer(cli, mem, length, -1);
	}
	print_placed(cli, id, iova, length);
	warn_ephemeral(cli, "the mapping");
	return CMD_OK;
}

static int ioas_unmap(struct cli *cli, int argc, char **argv)
{
	uint64_t iova, length, unmapped = 0;
	bool all = argc > 1 && !strcmp(argv[1], "all");
	uint32_t id;
	int ret;

	ret = get_ioas_arg(cli, argc, argv, &id);
	if (ret)
		return ret;
	if (all && argc > 2)
		return arg_unexpected(cli, argv[2], "nothing after \"all\"");
	if (!all) {
		ret = get_iova_length(cli, argc - 1, argv + 1,
				      "one of iova, length, all", &iova,
				      &length, NULL);
		if (ret)
			return ret;
	}
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = all ? ioasid_ioas_unmap_all(cli->ctx, id, &unmapped) :
		    ioasid_ioas_unmap(cli->ctx, id, iova, length, &unmapped);
	if (ret < 0)
		return lib_err(cli, ret);
	out_obj_open(cli, NULL);
	out_uint(cli, "ioas", "ioas %" PRIu64, id);
	out_u64(cli, "unmapped", " unmapped 0x%" PRIx64 "\n", unmapped);
	out_obj_close(cli);
	return CMD_OK;
}

static int ioas_copy(struct cli *cli, int argc, char **argv)
{
	IOASID_OPTS(ioasid_map_opts, opts);
	uint64_t src_iova, length, iova;
	struct place pl = { 0 };
	uint32_t dst, src;
	int i, ret;

	ret = get_ioas_arg(cli, argc, argv, &dst);
	if (ret)
		return ret;
	for (i = 1; i < argc && strcmp(argv[i], "from"); i++) {
		ret = parse_place(cli, argc, argv, &i, &pl);
		if (ret < 0)
			return arg_unexpected(
				cli, argv[i],
				"one of iova, any, read, write, from");
		if (ret)
			return ret;
	}
	if (i >= argc)
		return arg_missing(cli, "from");
	if (++i >= argc)
		return arg_needs_value(cli, "from");
	ret = get_obj_id(cli, argv[i], NAME_IOAS, false, &src);
	if (ret)
		return ret;
	i++;
	ret = get_iova_length(cli, argc - i, argv + i, "one of iova, length",
			      &src_iova, &length, NULL);
	if (ret)
		return ret;
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	opts.flags = place_flags(&pl);
	iova = pl.iova;
	ret = ioasid_ioas_copy(cli->ctx, dst, &iova, src, src_iova, length,
			       &opts);
	if (ret < 0)
		return lib_err(cli, ret);
	print_placed(cli, dst, iova, length);
	warn_ephemeral(cli, "the mapping");
	return CMD_OK;
}

static int ioas_ranges(struct cli *cli, int argc, char **argv)
{
	struct ioasid_iova_range *r;
	uint64_t alignment = 0;
	uint32_t id, num;
	int ret;

	ret = get_only(cli, argc, argv, "ranges", NAME_IOAS, &id);
	if (ret || cli->check_only)
		return ret;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = get_iova_ranges(cli, id, &r, &num, &alignment);
	if (ret)
		return ret;
	out_obj_open(cli, NULL);
	out_uint(cli, "ioas", "ioas %" PRIu64, id);
	out_u64(cli, "alignment", " alignment 0x%" PRIx64 "\n", alignment);
	out_arr_open(cli, "ranges");
	for (uint32_t i = 0; i < num; i++) {
		out_obj_open(cli, NULL);
		out_u64(cli, "start", "\t0x%" PRIx64, r[i].start);
		out_u64(cli, "last", "-0x%" PRIx64 "\n", r[i].last);
		out_obj_close(cli);
	}
	out_arr_close(cli);
	out_obj_close(cli);
	free(r);
	return CMD_OK;
}

static int ioas_allow(struct cli *cli, int argc, char **argv)
{
	struct ioasid_iova_range *r;
	uint32_t id;
	int ret;

	ret = get_ioas_ranges(cli, argc, argv, &id, &r);
	if (ret)
		return ret;
	if (cli->check_only) {
		free(r);
		return CMD_OK;
	}
	if (cli_need_ctx(cli)) {
		free(r);
		return CMD_FAIL;
	}
	ret = ioasid_ioas_allow_iovas(cli->ctx, id, argc > 1 ? r : NULL,
				      argc - 1);
	free(r);
	if (ret < 0)
		return lib_err(cli, ret);
	warn_ephemeral(cli, "the allow-list");
	return CMD_OK;
}

/* PowerPC PAMU style MSI banks (ioasid_ioas_msi_banks(3)). */
static int ioas_msi_banks(struct cli *cli, int argc, char **argv)
{
	struct ioasid_msi_bank *b;
	uint32_t id, num;
	int ret;

	ret = get_only(cli, argc, argv, "msi-banks", NAME_IOAS, &id);
	if (ret || cli->check_only)
		return ret;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	b = get_list(cli, get_msi_banks,
		     &(struct ioas_list){ .ctx = cli->ctx, .ioas = id },
		     sizeof(*b), &num, &ret);
	if (ret)
		return ret;
	out_obj_open(cli, NULL);
	out_uint(cli, "ioas", "ioas %" PRIu64, id);
	out_text(cli, " msi banks %u\n", num);
	out_arr_open(cli, "banks");
	for (uint32_t i = 0; i < num; i++) {
		out_obj_open(cli, NULL);
		out_uint(cli, "index", "\t%" PRIu64, i);
		out_str(cli, "iommu", " iommu %s", b[i].iommu);
		out_uint(cli, "bank", " bank %" PRIu64, b[i].bank);
		out_u64(cli, "size", " size 0x%" PRIx64, b[i].size);
		out_bool(cli, "mapped", NULL, b[i].mapped);
		if (b[i].mapped)
			out_u64(cli, "iova", " iova 0x%" PRIx64, b[i].iova);
		else
			out_text(cli, " unmapped");
		out_bool(cli, "enabled", NULL, b[i].enabled);
		if (b[i].mapped)
			out_text(cli, b[i].enabled ? " enabled" : " disabled");
		out_text(cli, "\n");
		out_obj_close(cli);
	}
	out_arr_close(cli);
	out_obj_close(cli);
	free(b);
	return CMD_OK;
}

/* "IOAS bank N" (then "iova ADDR" when @iova_s is not NULL). */
static int parse_bank_args(struct cli *cli, int argc, char **argv,
			   uint32_t *id, uint32_t *bank, const char **iova_s)
{
	const char *bank_s = NULL;
	const struct kw_value kws[] = {
		{ "bank", &bank_s }, { iova_s ? "iova" : NULL, iova_s }, { NULL },
	};
	int ret;

	ret = get_ioas_arg(cli, argc, argv, id);
	if (ret)
		return ret;
	ret = get_kw_values(cli, argc - 1, argv + 1, kws,
			    iova_s ? "one of bank, iova" : "bank");
	if (ret)
		return ret;
	if (!bank_s)
		return arg_missing(cli, "bank");
	if (iova_s && !*iova_s)
		return arg_missing(cli, "iova");
	return get_u32(cli, bank_s, bank);
}

static int ioas_map_msi_bank(struct cli *cli, int argc, char **argv)
{
	const char *iova_s = NULL;
	uint32_t id, bank;
	uint64_t iova;
	int ret;

	ret = parse_bank_args(cli, argc, argv, &id, &bank, &iova_s);
	if (ret)
		return ret;
	if (get_u64(cli, iova_s, true, &iova))
		return CMD_USAGE;
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = ioasid_ioas_map_msi_bank(cli->ctx, id, bank, iova);
	if (ret < 0)
		return lib_err(cli, ret);
	out_obj_open(cli, NULL);
	out_uint(cli, "ioas", "ioas %" PRIu64, id);
	out_uint(cli, "bank", " msi bank %" PRIu64, bank);
	out_u64(cli, "iova", " iova 0x%" PRIx64 "\n", iova);
	out_obj_close(cli);
	warn_ephemeral(cli, "the msi bank mapping");
	return CMD_OK;
}

static int ioas_unmap_msi_bank(struct cli *cli, int argc, char **argv)
{
	uint32_t id, bank;
	int ret;

	ret = parse_bank_args(cli, argc, argv, &id, &bank, NULL);
	if (ret || cli->check_only)
		return ret;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = ioasid_ioas_unmap_msi_bank(cli->ctx, id, bank);
	if (ret < 0)
		return lib_err(cli, ret);
	return CMD_OK;
}

/* ioas change-process: charge the pinned pages of every IOAS of the
 * context to this process (live update; an adopted iommufd). */
static int ioas_change_process(struct cli *cli, int argc, char **argv)
{
	int ret;

	if (argc > 0)
		return arg_unexpected(cli, argv[0],
				      "nothing after \"change-process\"");
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = ioasid_ioas_change_process(cli->ctx, NULL);
	if (ret < 0)
		return lib_err(cli, ret);
	return CMD_OK;
}

/* ioas get-pa IOAS iova ADDR [length LEN]: the physical address behind
 * an IOVA of an IOAS in VFIO no-IOMMU use, and how many bytes from it are
 * physically contiguous (at most LEN; without LEN as far as they go). */
static int ioas_get_pa(struct cli *cli, int argc, char **argv)
{
	const char *iova_s = NULL, *len_s = NULL;
	const struct kw_value kws[] = {
		{ "iova", &iova_s }, { "length", &len_s }, { NULL },
	};
	uint64_t iova, length = UINT64_MAX, phys = 0, contig = 0;
	uint32_t id;
	int ret;

	ret = get_ioas_arg(cli, argc, argv, &id);
	if (ret)
		return ret;
	ret = get_kw_values(cli, argc - 1, argv + 1, kws, "one of iova, length");
	if (ret)
		return ret;
	if (!iova_s)
		return arg_missing(cli, "iova");
	if (get_u64(cli, iova_s, true, &iova) ||
	    (len_s && get_u64(cli, len_s, true, &length)))
		return CMD_USAGE;
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = ioasid_ioas_noiommu_get_pa(cli->ctx, id, iova, length, NULL,
					 &phys, &contig);
	if (ret < 0)
		return lib_err(cli, ret);
	out_obj_open(cli, NULL);
	out_uint(cli, "ioas", "ioas %" PRIu64, id);
	out_u64(cli, "iova", " iova 0x%" PRIx64, iova);
	out_u64(cli, "phys", " phys 0x%" PRIx64, phys);
	out_u64(cli, "contig", " contig 0x%" PRIx64 "\n", contig);
	out_obj_close(cli);
	return CMD_OK;
}

const struct cmd ioas_cmds[] = {
	{ "alloc", ioas_alloc },
	{ "destroy", ioas_destroy },
	{ "map", ioas_map },
	{ "unmap", ioas_unmap },
	{ "copy", ioas_copy },
	{ "ranges", ioas_ranges },
	{ "allow", ioas_allow },
	{ "msi-banks", ioas_msi_banks },
	{ "map-msi-bank", ioas_map_msi_bank },
	{ "unmap-msi-bank", ioas_unmap_msi_bank },
	{ "change-process", ioas_change_process },
	{ "get-pa", ioas_get_pa },
	{ NULL, NULL },
};

/* ------------------------------------------------------------------ */

static int hwpt_alloc(struct cli *cli, int argc, char **argv)
{
	const char *dev_s = NULL, *ioas_s = NULL, *name = NULL;
	const struct kw_value kws[] = {
		{ "dev", &dev_s }, { "ioas", &ioas_s }, { "name", &name },
		{ NULL },
	};
	struct ioasid_dev *dev;
	uint32_t ioas, hwpt;
	int ret;

	ret = get_kw_values(cli, argc, argv, kws, "one of dev, ioas, name");
	if (ret)
		return ret;
	if (!dev_s)
		return arg_missing(cli, "dev");
	if (!ioas_s)
		return arg_missing(cli, "ioas");
	ret = get_obj_id(cli, ioas_s, NAME_IOAS, false, &ioas);
	if (ret)
		return ret;
	ret = get_dev(cli, dev_s, &dev);
	if (ret)
		return ret;
	if (cli->check_only)
		return name ? name_declare(cli, name, NAME_HWPT, 0) : CMD_OK;
	ret = ioasid_hwpt_alloc(dev, ioas, NULL, &hwpt);
	if (ret < 0)
		return lib_err(cli, ret);
	return created(cli, NAME_HWPT, hwpt, name);
}

static int hwpt_destroy(struct cli *cli, int argc, char **argv)
{
	return destroy(cli, argc, argv, NAME_HWPT);
}

const struct cmd hwpt_cmds[] = {
	{ "alloc", hwpt_alloc },
	{ "destroy", hwpt_destroy },
	{ NULL, NULL },
};
