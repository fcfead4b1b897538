// SPDX-License-Identifier: MIT
/*
 * Reader of recorded virtio-iommu request traces (one request per text
 * line, see ioasid_virtio_iommu_trace_open(3)).  Each request line becomes the
 * wire bytes a guest driver would put in the device-readable buffer, so
 * that replaying a trace goes through the same parser as a live guest.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "util.h"
#include "viommu-internal.h"

#define TRACE_DEFAULT_PROBE_SIZE 512u
#define TRACE_MAX_LINE 4096

struct ioasid_virtio_iommu_trace {
	FILE *f;
	bool owns_file;
	uint32_t line;
	uint32_t probe_size;
	char buf[TRACE_MAX_LINE];
};

int ioasid_virtio_iommu_trace_open(const char *path, struct ioasid_virtio_iommu_trace **tp)
{
	struct ioasid_virtio_iommu_trace *t;

	ioasid_clear_error();
	if (!path || !tp)
		return ioasid_fail(-EINVAL, "viommu trace: %s is NULL",
				   path ? "tp" : "path");
	t = calloc(1, sizeof(*t));
	if (!t)
		return ioasid_fail(-ENOMEM, "viommu trace: out of memory");
	if (strcmp(path, "-") == 0) {
		t->f = stdin;
	} else {
		t->f = fopen(path, "re");
		if (!t->f) {
			int err = -errno;

			free(t);
			return ioasid_fail(err, "viommu trace: cannot open %s: %s",
					   path, strerror(-err));
		}
		t->owns_file = true;
	}
	t->probe_size = TRACE_DEFAULT_PROBE_SIZE;
	*tp = t;
	return 0;
}

void ioasid_virtio_iommu_trace_close(struct ioasid_virtio_iommu_trace *t)
{
	if (!t)
		return;
	if (t->owns_file)
		fclose(t->f);
	free(t);
}

/* A whole-token unsigned number, hex with 0x or decimal. */
static bool parse_u64(const char *s, const char *end, uint64_t *out)
{
	char tmp[32], *stop;
	size_t len = (size_t)(end - s);

	if (!len || len >= sizeof(tmp) || *s == '-' || *s == '+')
		return false;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	/* Hex with 0x, or decimal; a leading zero is neither (strtoull's
	 * base 0 would read "010" as octal 8). */
	errno = 0;
	if (len > 2 && tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X')) {
		if (!isxdigit((unsigned char)tmp[2]))
			return false;
		*out = strtoull(tmp + 2, &stop, 16);
	} else {
		if (!isdigit((unsigned char)tmp[0]) || (tmp[0] == '0' && len > 1))
			return false;
		*out = strtoull(tmp, &stop, 10);
	}
	return !errno && *stop == 0;
}

static bool parse_u32(const char *s, const char *end, uint32_t *out)
{
	uint64_t x;

	if (!parse_u64(s, end, &x) || x > UINT32_MAX)
		return false;
	*out = (uint32_t)x;
	return true;
}

/* "START-END", inclusive, START <= END. */
static bool parse_range(const char *s, const char *end, uint64_t *first,
			uint64_t *last)
{
	const char *dash = memchr(s, '-', (size_t)(end - s));

	return dash && parse_u64(s, dash, first) &&
	       parse_u64(dash + 1, end, last) && *first <= *last;
}

/* Fields seen on a line, so that each kind can ask for its own. */
enum {
	F_DOMAIN = 1u << 0, F_EP = 1u << 1, F_VIRT = 1u << 2,
	F_PHYS = 1u << 3, F_FLAGS = 1u << 4, F_PSM = 1u << 5,
	F_INPUT = 1u << 6, F_DOMAINS = 1u << 7, F_PROBE_SIZE = 1u << 8,
	F_BYPASS = 1u << 9,
};

static int parse_field(struct ioasid_virtio_iommu_trace *t,
		       struct ioasid_virtio_iommu_trace_entry *e, const char *key,
		       size_t klen, const char *val, const char *vend,
		       uint32_t *seen)
{
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)
	uint64_t a = 0, b = 0;
	uint32_t bit;
	bool ok;

	if (KEY("domain")) {
		bit = F_DOMAIN;
		ok = parse_u32(val, vend, &e->domain);
	} else if (KEY("ep")) {
		bit = F_EP;
		ok = parse_u32(val, vend, &e->endpoint);
	} else if (KEY("virt")) {
		bit = F_VIRT;
		ok = parse_range(val, vend, &e->virt_start, &e->virt_end);
	} else if (KEY("phys")) {
		bit = F_PHYS;
		ok = parse_u64(val, vend, &e->phys_start);
	} else if (KEY("flags")) {
		bit = F_FLAGS;
		ok = parse_u32(val, vend, &e->flags);
	} else if (KEY("page_size_mask")) {
		bit = F_PSM;
		ok = parse_u64(val, vend, &e->page_size_mask);
	} else if (KEY("input")) {
		bit = F_INPUT;
		ok = parse_range(val, vend, &e->input_start, &e->input_end);
	} else if (KEY("domains")) {
		bit = F_DOMAINS;
		ok = parse_range(val, vend, &a, &b) && b <= UINT32_MAX;
		e->domain_start = (uint32_t)a;
		e->domain_end = (uint32_t)b;
	} else if (KEY("probe_size")) {
		bit = F_PROBE_SIZE;
		ok = parse_u32(val, vend, &e->probe_size) && e->probe_size &&
		     e->probe_size <= 65536;
	} else if (KEY("bypass")) {
		bit = F_BYPASS;
		ok = parse_u64(val, vend, &a) && a <= 1;
		e->bypass = (uint8_t)a;
	} else if (KEY("resv")) {
		/* Repeatable: one RESV_MEM property each. */
		const char *colon = memchr(val, ':', (size_t)(vend - val));
		struct ioasid_virtio_iommu_trace_resv *r;

		if (e->num_resv == IOASID_VIRTIO_IOMMU_TRACE_MAX_RESV)
			return ioasid_fail(-EINVAL,
					   "viommu trace line %u: more than %u resv properties",
					   t->line, IOASID_VIRTIO_IOMMU_TRACE_MAX_RESV);
		r = &e->resv[e->num_resv];
		bit = 0;
		ok = colon != NULL;
		if (ok && colon - val == 3 && memcmp(val, "msi", 3) == 0)
			r->subtype = VIOMMU_RESV_MEM_T_MSI;
		else if (ok && colon - val == 8 && memcmp(val, "reserved", 8) == 0)
			r->subtype = VIOMMU_RESV_MEM_T_RESERVED;
		else
			ok = false;
		ok = ok && parse_range(colon + 1, vend, &r->start, &r->last);
		if (ok)
			e->num_resv++;
	} else {
		return ioasid_fail(-EINVAL, "viommu trace line %u: unknown field '%.*s'",
				   t->line, (int)klen, key);
	}
#undef KEY
	if (!ok)
		return ioasid_fail(-EINVAL, "viommu trace line %u: bad value '%.*s' for %.*s",
				   t->line, (int)(vend - val), val, (int)klen, key);
	if (*seen & bit)
		return ioasid_fail(-EINVAL, "viommu trace line %u: %.*s given twice",
				   t->line, (int)klen, key);
	*seen |= bit;
	return 0;
}

/* What a line of each kind must and may have.  Request lines are named
 * and laid out by the device's request table (wire.c). */
struct line_kind {
	uint32_t kind;
	uint8_t type; /* REQUEST: the request type */
	uint32_t needed; /* fields the line must have */
	uint32_t allowed;
};

static const struct line_kind config_kind = {
	IOASID_VIRTIO_IOMMU_TRACE_CONFIG, 0,
	F_PSM | F_INPUT | F_DOMAINS | F_PROBE_SIZE | F_BYPASS,
	F_PSM | F_INPUT | F_DOMAINS | F_PROBE_SIZE | F_BYPASS
};

static const struct line_kind request_kinds[] = {
	{ IOASID_VIRTIO_IOMMU_TRACE_REQUEST, VIOMMU_T_ATTACH,
	  F_DOMAIN | F_EP, F_DOMAIN | F_EP | F_FLAGS },
	{ IOASID_VIRTIO_IOMMU_TRACE_REQUEST, VIOMMU_T_DETACH,
	  F_DOMAIN | F_EP, F_DOMAIN | F_EP },
	{ IOASID_VIRTIO_IOMMU_TRACE_REQUEST, VIOMMU_T_MAP,
	  F_DOMAIN | F_VIRT | F_PHYS | F_FLAGS,
	  F_DOMAIN | F_VIRT | F_PHYS | F_FLAGS },
	{ IOASID_VIRTIO_IOMMU_TRACE_REQUEST, VIOMMU_T_UNMAP,
	  F_DOMAIN | F_VIRT, F_DOMAIN | F_VIRT },
	{ IOASID_VIRTIO_IOMMU_TRACE_REQUEST, VIOMMU_T_PROBE, F_EP, F_EP },
};

/* The kind of a line starting with @word (@len bytes), or NULL. */
static const struct line_kind *line_kind_of(const char *word, size_t len)
{
	const struct viommu_req_type *rt;

	if (len == 6 && memcmp(word, "config", 6) == 0)
		return &config_kind;
	rt = viommu_wire_req_named(word, len);
	if (!rt)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(request_kinds); i++)
		if (request_kinds[i].type == rt->type)
			return &request_kinds[i];
	return NULL;
}

/* The device-readable bytes of the request @e describes. */
static void encode(struct ioasid_virtio_iommu_trace *t,
		   struct ioasid_virtio_iommu_trace_entry *e)
{
	const struct viommu_req_type *rt = viommu_wire_req_type(e->type);
	struct viommu_req req = {
		.type = e->type,
		.domain = e->domain,
		.endpoint = e->endpoint,
		.flags = e->flags,
		.virt_start = e->virt_start,
		.virt_end = e->virt_end,
		.phys_start = e->phys_start,
	};
	uint8_t buf[VIOMMU_MAX_RO_SIZE];

	_Static_assert(sizeof(e->req) == VIOMMU_MAX_RO_SIZE,
		       "a trace entry holds the largest request");
	viommu_wire_encode(&req, buf);
	memcpy(e->req, buf, sizeof(e->req));
	e->req_len = rt->size;
	e->resp_len = (rt->writes_props ? t->probe_size : 0) + VIOMMU_TAIL_SIZE;
}

/* The next line into t->buf, NUL-terminated (fgets cannot tell a NUL
 * byte from the end of the line).  Return 1, 0 at the end, or a negative
 * errno: a NUL byte (a trace is text), a line too long, a read error. */
static int read_line(struct ioasid_virtio_iommu_trace *t)
{
	size_t len = 0;
	int c;

	while ((c = getc(t->f)) != EOF) {
		if (c == 0)
			return ioasid_fail(-EINVAL,
					   "viommu trace line %u: byte %zu is NUL (a trace is text)",
					   t->line + 1, len + 1);
		if (len == TRACE_MAX_LINE - 2 && c != '\n')
			return ioasid_fail(-EINVAL, "viommu trace line %u: longer than %d bytes",
					   t->line + 1, TRACE_MAX_LINE - 2);
		t->buf[len++] = (char)c;
		if (c == '\n')
			break;
	}
	if (ferror(t->f))
		return ioasid_fail(-EIO, "viommu trace: read error after line %u",
				   t->line);
	t->buf[len] = 0;
	if (!len)
		return 0;
	t->line++;
	return 1;
}

int ioasid_virtio_iommu_trace_next(struct ioasid_virtio_iommu_trace *t,
			     struct ioasid_virtio_iommu_trace_entry *e)
{
	struct ioasid_virtio_iommu_trace_entry out;
	const struct line_kind *k = NULL;
	uint32_t seen = 0;
	char *p, *word;
	size_t sz, wlen;
	int rc;

	ioasid_clear_error();
	if (!t || !e || e->sz < sizeof(size_t))
		return ioasid_fail(-EINVAL, "viommu trace: NULL or sz not set");
	for (;;) {
		rc = read_line(t);
		if (rc <= 0)
			return rc;
		p = strchr(t->buf, '#');
		if (p)
			*p = 0;
		p = t->buf + strspn(t->buf, " \t\r\n");
		if (*p)
			break;
	}
	memset(&out, 0, sizeof(out));
	out.line = t->line;
	word = p;
	wlen = strcspn(p, " \t\r\n");
	p += wlen;
	k = line_kind_of(word, wlen);
	if (!k)
		return ioasid_fail(-EINVAL, "viommu trace line %u: unknown line kind '%.*s'",
				   t->line, (int)wlen, word);
	for (;;) {
		const char *tok, *eq;
		size_t tlen;

		p += strspn(p, " \t\r\n");
		if (!*p)
			break;
		tok = p;
		tlen = strcspn(p, " \t\r\n");
		p += tlen;
		eq = memchr(tok, '=', tlen);
		if (!eq)
			return ioasid_fail(-EINVAL, "viommu trace line %u: '%.*s' is not key=value",
					   t->line, (int)tlen, tok);
		rc = parse_field(t, &out, tok, (size_t)(eq - tok), eq + 1,
				 tok + tlen, &seen);
		if (rc)
			return rc;
	}
	if ((seen & k->needed) != k->needed || seen & ~k->allowed)
		return ioasid_fail(-EINVAL, "viommu trace line %u: %.*s needs %s fields",
				   t->line, (int)wlen, word,
				   (seen & k->needed) != k->needed ? "more" : "fewer");
	if (out.num_resv && k->type != VIOMMU_T_PROBE)
		return ioasid_fail(-EINVAL, "viommu trace line %u: resv is for probe lines",
				   t->line);
	out.kind = k->kind;
	out.type = k->type;
	if (k->kind == IOASID_VIRTIO_IOMMU_TRACE_CONFIG)
		t->probe_size = out.probe_size;
	else
		encode(t, &out);
	sz = e->sz < sizeof(out) ? e->sz : sizeof(out);
	out.sz = e->sz;
	memcpy(e, &out, sz);
	return 1;
}
