// SPDX-License-Identifier: MIT
/*
 * ioasctl viommu replay FILE: feed a recorded virtio-iommu request trace
 * (ioasid_virtio_iommu_trace_open(3)) through the library's device model and
 * print each request's status.
 *
 * The trace is read twice: a first pass checks every line and collects
 * the config, the endpoint ids, the RESV_MEM each endpoint's PROBE
 * returned and the highest guest-physical address, so a malformed file
 * is refused (exit 2) before any device exists.  Guest RAM is anonymous
 * memory reserved with MAP_NORESERVE: the pages MAP names are never
 * touched, so a large RAM costs address space only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "ioasctl.h"

#define MAX_ENDPOINTS 256
#define RAM_ALIGN (2ull << 20)

void viommu_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl viommu replay FILE [ram SIZE] [physical]\n"
	      "  ram SIZE   guest RAM at GPA 0 (default: up to the highest\n"
	      "             physical address the trace maps, rounded up to 2M)\n"
	      "  physical   endpoints whose id, read as a PCI BDF, names a\n"
	      "             device of the host (or --sim topology) are that\n"
	      "             device; the others stay emulated\n",
	      stdout);
}

struct replay_ep {
	uint32_t id;
	struct ioasid_resv_region resv[IOASID_VIRTIO_IOMMU_TRACE_MAX_RESV];
	uint32_t num_resv;
	bool probed;
	struct ioasid_dev *dev; /* physical; NULL: emulated */
};

struct replay {
	const char *file;
	struct ioasid_virtio_iommu_trace_entry config;
	bool have_config;
	struct replay_ep eps[MAX_ENDPOINTS];
	uint32_t num_eps;
	uint64_t ram_end; /* highest GPA a RAM map names, + 1 */
	uint64_t ram_size;
	bool physical;
	uint8_t *ram;
	struct ioasid_virtio_iommu *v;
};

static const char *const status_names[] = {
	"OK", "IOERR", "UNSUPP", "DEVERR", "INVAL", "RANGE", "NOENT", "FAULT",
	"NOMEM",
};

static const char *const type_names[] = {
	"?", "attach", "detach", "map", "unmap", "probe",
};

static struct replay_ep *ep_get(struct replay *r, uint32_t id, bool add)
{
	for (uint32_t i = 0; i < r->num_eps; i++)
		if (r->eps[i].id == id)
			return &r->eps[i];
	if (!add || r->num_eps == MAX_ENDPOINTS)
		return NULL;
	r->eps[r->num_eps].id = id;
	return &r->eps[r->num_eps++];
}

static bool type_has_endpoint(uint8_t type)
{
	return type == 1 || type == 2 || type == 5;
}

/* First pass: every line parses; endpoints, PROBE regions, RAM extent. */
static int collect(struct cli *cli, struct replay *r)
{
	struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };
	struct ioasid_virtio_iommu_trace *t;
	int ret;

	ret = ioasid_virtio_iommu_trace_open(r->file, &t);
	if (ret) /* a bad file is a usage error: exit 2 */
		return usage_err(cli, "%s: %s", r->file, ioasid_errmsg());
	while ((ret = ioasid_virtio_iommu_trace_next(t, &e)) == 1) {
		struct replay_ep *ep;

		if (e.kind == IOASID_VIRTIO_IOMMU_TRACE_CONFIG) {
			if (!r->have_config)
				r->config = e;
			r->have_config = true;
			continue;
		}
		if (type_has_endpoint(e.type)) {
			ep = ep_get(r, e.endpoint, true);
			if (!ep) {
				ioasid_virtio_iommu_trace_close(t);
				return usage_err(cli, "%s:%u: more than %u endpoints",
						 r->file, e.line, MAX_ENDPOINTS);
			}
			if (e.type == 5 && !ep->probed) {
				ep->probed = true;
				for (uint32_t i = 0; i < e.num_resv; i++)
					ep->resv[ep->num_resv++] = (struct ioasid_resv_region){
						.start = e.resv[i].start,
						.last = e.resv[i].last,
						.type = e.resv[i].subtype == 1 ? IOASID_RESV_MSI
									       : IOASID_RESV_RESERVED,
					};
			}
		}
		if (e.type == 3 && !(e.flags & 4)) {
			uint64_t last = e.phys_start + (e.virt_end - e.virt_start);

			if (last >= e.phys_start && last + 1 > r->ram_end)
				r->ram_end = last + 1;
		}
	}
	ioasid_virtio_iommu_trace_close(t);
	if (ret < 0)
		/* The reader's message names the line. */
		return usage_err(cli, "%s: %s", r->file, ioasid_errmsg());
	return CMD_OK;
}

static int setup(struct cli *cli, struct replay *r)
{
	IOASID_OPTS(ioasid_virtio_iommu_opts, o,
		    .bypass = r->have_config ? r->config.bypass : 0,
		    .domain_start = r->have_config ? r->config.domain_start : 0,
		    .domain_end = r->have_config ? r->config.domain_end : 0,
		    .probe_size = r->have_config ? r->config.probe_size : 0);
	int ret;

	ret = ioasid_virtio_iommu_create(cli->ctx, &o, &r->v);
	if (ret)
		return lib_err(cli, ret);
	if (r->ram_size) {
		r->ram = mmap(NULL, r->ram_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r->ram == MAP_FAILED) {
			r->ram = NULL;
			return cmd_err(cli, errno, "guest RAM of %#" PRIx64 " bytes: %s",
				       r->ram_size, strerror(errno));
		}
		ret = ioasid_virtio_iommu_add_ram(r->v, 0, r->ram_size, r->ram);
		if (ret)
			return lib_err(cli, ret);
	}
	for (uint32_t i = 0; i < r->num_eps; i++) {
		struct replay_ep *ep = &r->eps[i];
		IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, eo, .resv = ep->resv,
			    .num_resv = ep->num_resv);

		if (r->physical) {
			struct ioasid_dev *dev = NULL;
			char bdf[32];
			uint32_t dev_id;

			snprintf(bdf, sizeof(bdf), "0000:%02x:%02x.%x",
				 (ep->id >> 8) & 0xff, (ep->id >> 3) & 0x1f,
				 ep->id & 7);
			/* A device the host does not have stays emulated. */
			if (ioasid_dev_open(cli->ctx, bdf, &dev) == 0) {
				ep->dev = dev;
				ret = ioasid_dev_bind(dev, &dev_id);
				if (ret)
					return lib_err(cli, ret);
			}
		}
		ret = ioasid_virtio_iommu_add_endpoint(r->v, ep->id, ep->dev,
						 ep->dev ? NULL : &eo);
		if (ret)
			return lib_err(cli, ret);
	}
	ret = ioasid_virtio_iommu_set_features(r->v, ioasid_virtio_iommu_features(r->v));
	return ret ? lib_err(cli, ret) : CMD_OK;
}

static void print_request(struct cli *cli,
			  const struct ioasid_virtio_iommu_trace_entry *e,
			  uint32_t used, uint8_t status)
{
	const char *type = e->type < ARRAY_SIZE(type_names) ? type_names[e->type] : "?";
	const char *st = !used ? "NO-REPLY"
		       : status < ARRAY_SIZE(status_names) ? status_names[status]
							   : "UNKNOWN";

	out_obj_open(cli, NULL);
	out_uint(cli, "line", "line %" PRIu64 ": ", e->line);
	out_str(cli, "type", "%s", type);
	switch (e->type) {
	case 1:
	case 2:
		out_uint(cli, "domain", " domain=%" PRIu64, e->domain);
		out_uint(cli, "endpoint", " ep=%#" PRIx64, e->endpoint);
		break;
	case 3:
	case 4:
		out_uint(cli, "domain", " domain=%" PRIu64, e->domain);
		out_u64(cli, "virt_start", " virt=%#" PRIx64, e->virt_start);
		out_u64(cli, "virt_end", "-%#" PRIx64, e->virt_end);
		if (e->type == 3) {
			out_u64(cli, "phys_start", " phys=%#" PRIx64, e->phys_start);
			out_uint(cli, "flags", " flags=%#" PRIx64, e->flags);
		}
		break;
	case 5:
		out_uint(cli, "endpoint", " ep=%#" PRIx64, e->endpoint);
		break;
	}
	out_str(cli, "status", ": %s\n", st);
	out_obj_close(cli);
}

static int replay_run(struct cli *cli, struct replay *r)
{
	struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };
	struct ioasid_virtio_iommu_trace *t;
	uint64_t requests = 0, ok = 0;
	char msg[128];
	uint8_t *resp;
	int ret;

	resp = malloc(65536 + 4);
	if (!resp)
		return cmd_err(cli, ENOMEM, "out of memory");
	ret = ioasid_virtio_iommu_trace_open(r->file, &t);
	if (ret) {
		free(resp);
		return lib_err(cli, ret);
	}
	out_obj_open(cli, NULL);
	out_str(cli, "file", NULL, r->file);
	out_u64(cli, "ram_size", NULL, r->ram_size);
	out_arr_open(cli, "endpoints");
	for (uint32_t i = 0; i < r->num_eps; i++) {
		out_obj_open(cli, NULL);
		out_uint(cli, "id", "endpoint %#" PRIx64 ": ", r->eps[i].id);
		out_str(cli, "kind", "%s", r->eps[i].dev ? "physical" : "emulated");
		if (r->eps[i].dev)
			out_str(cli, "device", " %s", ioasid_dev_name(r->eps[i].dev));
		out_text(cli, "\n");
		out_obj_close(cli);
	}
	out_arr_close(cli);
	out_arr_open(cli, "requests");
	while ((ret = ioasid_virtio_iommu_trace_next(t, &e)) == 1) {
		uint32_t used = 0;
		uint8_t status;

		if (e.kind != IOASID_VIRTIO_IOMMU_TRACE_REQUEST)
			continue;
		memset(resp, 0, e.resp_len);
		ret = ioasid_virtio_iommu_handle_buffers(r->v, e.req, e.req_len, resp,
						   e.resp_len, &used);
		if (ret)
			break;
		status = used >= 4 ? resp[used - 4] : 0;
		requests++;
		if (used && status == 0)
			ok++;
		print_request(cli, &e, used, status);
	}
	out_arr_close(cli);
	ioasid_virtio_iommu_trace_close(t);
	free(resp);
	if (ret < 0) {
		out_obj_close(cli);
		return lib_err(cli, ret);
	}
	ioasid_virtio_iommu_get_stats(r->v, &st);
	out_uint(cli, "total", "requests %" PRIu64, requests);
	out_uint(cli, "ok", ", ok %" PRIu64, ok);
	out_uint(cli, "failed", ", failed %" PRIu64, requests - ok);
	out_uint(cli, "live_mappings", ", live mappings %" PRIu64 "\n",
		 st.mappings);
	out_obj_close(cli);
	if (requests == ok)
		return CMD_OK;
	snprintf(msg, sizeof(msg), "%" PRIu64 " of %" PRIu64 " requests failed",
		 requests - ok, requests);
	/* The statuses and the summary stay, on stdout or in the JSON. */
	return fail_with_result(cli, EIO, msg);
}

static void replay_free(struct replay *r)
{
	ioasid_virtio_iommu_destroy(r->v);
	for (uint32_t i = 0; i < r->num_eps; i++)
		if (r->eps[i].dev)
			ioasid_dev_close(r->eps[i].dev);
	if (r->ram)
		munmap(r->ram, r->ram_size);
}

static int viommu_replay(struct cli *cli, int argc, char **argv)
{
	struct replay *r;
	uint64_t ram = 0;
	bool have_ram = false;
	int ret;

	if (argc < 1)
		return arg_missing(cli, "FILE");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "ram")) {
			if (have_ram)
				return arg_duplicate(cli, "ram", argv[i + 1 < argc ? i + 1 : i]);
			if (i + 1 >= argc)
				return arg_needs_value(cli, "ram");
			if (get_u64(cli, argv[++i], true, &ram))
				return CMD_USAGE;
			if (!ram || ram % RAM_ALIGN)
				return arg_wrong(cli, argv[i], "not a nonzero multiple of 2M");
			have_ram = true;
		} else if (!strcmp(argv[i], "physical")) {
			continue;
		} else {
			return arg_unexpected(cli, argv[i], "ram or physical");
		}
	}
	if (cli->check_only)
		return CMD_OK;
	r = calloc(1, sizeof(*r));
	if (!r)
		return cmd_err(cli, ENOMEM, "out of memory");
	r->file = argv[0];
	for (int i = 1; i < argc; i++)
		r->physical |= !strcmp(argv[i], "physical");
	if (!strcmp(r->file, "-")) {
		ret = usage_err(cli, "replay reads the trace twice: give a file, not \"-\"");
		goto out;
	}
	ret = collect(cli, r);
	if (ret)
		goto out;
	r->ram_size = have_ram ? ram
			       : (r->ram_end + RAM_ALIGN - 1) & ~(RAM_ALIGN - 1);
	if (have_ram && r->ram_end > ram)
		print_warning(cli, "the trace maps guest-physical addresses up to %#" PRIx64
				   ", above ram %#" PRIx64 ": those MAPs will fail",
			      r->ram_end - 1, ram);
	if (cli_need_ctx(cli)) {
		ret = CMD_FAIL;
		goto out;
	}
	ret = setup(cli, r);
	if (ret == CMD_OK)
		ret = replay_run(cli, r);
out:
	replay_free(r);
	free(r);
	return ret;
}

const struct cmd viommu_cmds[] = {
	{ "replay", viommu_replay },
	{ NULL, NULL },
};
