// SPDX-License-Identifier: MIT
/*
 * Snapshots of the library's state, as text that two runs compare line by
 * line (tests/fault/fault.h).
 *
 * A context: core's view (each open device: name, group, bound, device
 * id, pt id, HWPT id) and the simulator's own structures, walked
 * directly: every object by id with its type and contents (an IOAS's
 * areas with the memory behind them, its reserved-region coverage tree,
 * allowed ranges, reserved regions and their owners, alignment, HWPTs; a
 * HWPT's IOAS, flags, users, nesting, vIOMMU, fault queue, IOTLB and
 * dirty bits; vIOMMU objects, vDEVICEs, event and fault queues with what
 * they hold), the groups' attachments, each open device's binding,
 * attachment, PASID records and mock state, host drivers.  What a
 * failed call may change without changing the state is left out: array
 * capacities, free lists, the order of the unordered reserved-region
 * list, descriptor numbers.
 * A device model: its ioasid_virtio_iommu_save() stream, which holds the whole
 * guest-visible state (config space, features, endpoints and their
 * attachments, domains, mappings, queued events).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

#include "core.h"
#include "sim.h"

/*
 * User memory behind areas, named by first appearance (m0, m1, ...) with
 * the offset in it: where mmap() put a buffer may differ between runs
 * (ioasctl maps its own), which memory an area maps may not.
 */
static struct {
	uint64_t base[64];
	unsigned int n;
} mem_names;

static unsigned int mem_name(uint64_t base)
{
	for (unsigned int i = 0; i < mem_names.n; i++)
		if (mem_names.base[i] == base)
			return i;
	if (mem_names.n < 64)
		mem_names.base[mem_names.n++] = base;
	return mem_names.n - 1;
}

static void snap_itree(struct fbuf *out, const char *what,
		       const struct itree *t, bool areas)
{
	struct itree_iter it;

	for (bool more = itree_first(t, &it); more; more = itree_next(&it)) {
		fbuf_printf(out, "    %s %#llx-%#llx", what,
			    (unsigned long long)it.start,
			    (unsigned long long)it.last);
		if (areas && it.value) {
			const struct sim_area *a = it.value;
			const struct sim_pages *p = a->pages;

			if (p->is_file)
				fbuf_printf(out, " file offset %#llx",
					    (unsigned long long)p->base);
			else
				fbuf_printf(out, " memory m%u", mem_name(p->base));
			fbuf_printf(out, " start %#llx refs %u%s",
				    (unsigned long long)a->start_byte, p->refs,
				    p->writable ? " writable" : "");
		}
		fbuf_printf(out, "\n");
	}
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The reserved regions, sorted: the list's order is not state. */
static void snap_resv(struct fbuf *out, const struct sim_ioas *ioas)
{
	char *lines[256];
	unsigned int n = 0;

	for (const struct sim_resv *r = ioas->resv; r && n < 256; r = r->next) {
		char who[128], *l;

		sim_owner_name(r, who, sizeof(who));
		if (asprintf(&l, "    resv %#llx-%#llx type %d %s\n",
			     (unsigned long long)r->start,
			     (unsigned long long)r->last, (int)r->type, who) < 0)
			abort();
		lines[n++] = l;
	}
	if (n)
		qsort(lines, n, sizeof(lines[0]), cmp_lines);
	for (unsigned int i = 0; i < n; i++) {
		fbuf_printf(out, "%s", lines[i]);
		free(lines[i]);
	}
}

static int cmp_resv_start(const void *a, const void *b)
{
	const struct sim_resv *x = *(const struct sim_resv *const *)a;
	const struct sim_resv *y = *(const struct sim_resv *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The reserved coverage the IOAS answers with: the reserved regions
 * merged (overlapping or touching), computed here from the list.  The
 * simulator's coverage tree must hold exactly that, unless a removal
 * marked it stale (it is rebuilt before its next use).
 */
static void snap_cover(struct fbuf *out, const struct sim_ioas *ioas)
{
	const struct sim_resv *v[256];
	uint64_t start = 0, last = 0, want[2 * 256];
	unsigned int n = 0, nw = 0;
	struct itree_iter it;
	bool open = false, same = true;

	for (const struct sim_resv *r = ioas->resv; r && n < 256; r = r->next)
		v[n++] = r;
	if (n)
		qsort(v, n, sizeof(v[0]), cmp_resv_start);
	for (unsigned int i = 0; i < n; i++) {
		if (open && (last == UINT64_MAX || v[i]->start <= last + 1)) {
			if (v[i]->last > last)
				last = v[i]->last;
			continue;
		}
		if (open) {
			want[nw++] = start;
			want[nw++] = last;
		}
		start = v[i]->start;
		last = v[i]->last;
		open = true;
	}
	if (open) {
		want[nw++] = start;
		want[nw++] = last;
	}
	for (unsigned int i = 0; i < nw; i += 2)
		fbuf_printf(out, "    covered %#llx-%#llx\n",
			    (unsigned long long)want[i],
			    (unsigned long long)want[i + 1]);
	if (ioas->cov_stale)
		return;
	unsigned int i = 0;

	for (bool more = itree_first(&ioas->cov, &it); more;
	     more = itree_next(&it), i += 2)
		same = same && i < nw && it.start == want[i] &&
		       it.last == want[i + 1];
	if (!same || i != nw) {
		fbuf_printf(out, "    the coverage tree is wrong:\n");
		snap_itree(out, "tree", &ioas->cov, false);
	}
}

static void snap_ioas(struct fbuf *out, const struct sim_ioas *ioas)
{
	fbuf_printf(out, "  ioas %u align %#llx%s access %u hwpts", ioas->obj.id,
		    (unsigned long long)ioas->iova_alignment,
		    ioas->disable_large_pages ? " no-huge" : "",
		    ioas->num_access);
	for (const struct sim_hwpt *h = ioas->hwpts; h; h = h->next)
		fbuf_printf(out, " %u", h->obj.id);
	fbuf_printf(out, "\n");
	snap_itree(out, "area", &ioas->areas, true);
	snap_cover(out, ioas);
	snap_itree(out, "allowed", &ioas->allowed, false);
	snap_resv(out, ioas);
}

static void snap_hwpt(struct fbuf *out, const struct sim_hwpt *h)
{
	const struct sim_hwpt_ext *x = h->ext;

	fbuf_printf(out, "  hwpt %u ioas %u iommu %u flags %#x%s users %u\n",
		    h->obj.id, h->ioas ? h->ioas->obj.id : 0, h->iommu, h->flags,
		    h->auto_domain ? " auto" : "", h->users);
	if (!x)
		return;
	fbuf_printf(out, "    ext parent %u viommu %u type %#x len %u refs %u fault %u%s iotlb",
		    x->parent ? x->parent->obj.id : 0,
		    x->viommu ? x->viommu->obj.id : 0, x->data_type, x->data_len,
		    x->refs, x->fault ? x->fault->obj.id : 0,
		    x->dirty_on ? " dirty-on" : "");
	for (unsigned int i = 0; i < IOASID_TEST_IOTLB_NUM; i++)
		fbuf_printf(out, " %#x", x->iotlb[i]);
	fbuf_printf(out, " data");
	for (uint32_t i = 0; x->data && i < x->data_len; i++)
		fbuf_printf(out, "%02x", ((const uint8_t *)x->data)[i]);
	fbuf_printf(out, " dirty");
	for (uint32_t i = 0; i < x->ndirty; i++)
		fbuf_printf(out, " %#llx", (unsigned long long)x->dirty[i]);
	fbuf_printf(out, "\n");
}

static void snap_obj(struct fbuf *out, const struct sim_obj *o)
{
	switch ((int)o->type) {
	case SIM_IOAS:
		snap_ioas(out, (const struct sim_ioas *)o);
		return;
	case SIM_HWPT:
		snap_hwpt(out, (const struct sim_hwpt *)o);
		return;
	case SIM_DEVICE:
	case SIM_ACCESS:
		fbuf_printf(out, "  %u %s %s\n", o->id, sim_obj_type_name(o->type),
			    ((const struct sim_dev *)o)->t->info.name);
		return;
	case SIM_SELFTEST:
		fbuf_printf(out, "  %u selftest object\n", o->id);
		return;
	case SIM_VIOMMU: {
		const struct sim_viommu *v = (const void *)o;

		fbuf_printf(out, "  %u viommu parent %u iommu %u type %#x refs %u\n",
			    o->id, v->parent ? v->parent->obj.id : 0, v->iommu,
			    v->type, v->refs);
		return;
	}
	case SIM_VDEVICE: {
		const struct sim_vdevice *v = (const void *)o;

		fbuf_printf(out, "  %u vdevice viommu %u dev %u virt %#llx\n", o->id,
			    v->viommu ? v->viommu->obj.id : 0, v->dev_id,
			    (unsigned long long)v->virt_id);
		return;
	}
	case SIM_VEVENTQ: {
		const struct sim_veventq *q = (const void *)o;

		fbuf_printf(out, "  %u veventq viommu %u type %#x depth %u events %u seq %u queued %u\n",
			    o->id, q->viommu ? q->viommu->obj.id : 0, q->type,
			    q->depth, q->num_events, q->sequence, q->n);
		for (uint32_t i = 0; i < q->n; i++)
			fbuf_printf(out, "    event flags %#x seq %u len %u\n",
				    q->q[i].flags, q->q[i].sequence,
				    q->q[i].data_len);
		return;
	}
	case SIM_FAULT: {
		const struct sim_fault *f = (const void *)o;

		fbuf_printf(out, "  %u fault queue refs %u queued %u pending",
			    o->id, f->refs, f->n);
		for (uint32_t i = 0; i < f->ncookies; i++)
			fbuf_printf(out, " %u", f->cookies[i]);
		fbuf_printf(out, "\n");
		for (uint32_t i = 0; i < f->n; i++)
			fbuf_printf(out, "    fault dev %u pasid %u grp %u perm %#x addr %#llx cookie %u\n",
				    f->q[i].dev_id, f->q[i].pasid, f->q[i].grpid,
				    f->q[i].perm, (unsigned long long)f->q[i].addr,
				    f->q[i].cookie);
		return;
	}
	}
	fbuf_printf(out, "  %u object of type %d\n", o->id, (int)o->type);
}

static void snap_sim(struct fbuf *out, struct sim *s)
{
	fbuf_printf(out, " sim rlimit %d mock ioas %u users %u\n",
		    s->rlimit_per_process, s->mock_ioas_id, s->mock_users);
	for (uint32_t id = 1; id < s->num_objs; id++)
		if (s->objs[id])
			snap_obj(out, s->objs[id]);
	for (unsigned int g = 0; g < s->topo->num_groups; g++)
		if (s->groups[g].hwpt || s->groups[g].num_attached)
			fbuf_printf(out, "  group %d hwpt %u attached %u\n",
				    s->topo->groups[g].id,
				    s->groups[g].hwpt ? s->groups[g].hwpt->obj.id : 0,
				    s->groups[g].num_attached);
	for (unsigned int i = 0; i < s->topo->num_devs; i++) {
		const struct sim_dev *d = s->devs[i];

		if (strcmp(s->host_driver[i], s->topo->devs[i].info.driver))
			fbuf_printf(out, "  device %s driver %s host driver %s\n",
				    s->topo->devs[i].info.name,
				    s->topo->devs[i].info.driver,
				    s->host_driver[i]);
		if (!d)
			continue;
		fbuf_printf(out, "  open %s obj %u %s hwpt %u access %u selftest %u park %u pasids",
			    d->t->info.name, d->obj.id,
			    d->obj.id ? sim_obj_type_name(d->obj.type) : "unbound",
			    d->hwpt ? d->hwpt->obj.id : 0,
			    d->access ? d->access->obj.id : 0, d->selftest.id,
			    d->park_hwpt);
		for (uint32_t p = 0; p < d->pasids.n; p++)
			fbuf_printf(out, " %u:%u->%u/%u", d->pasids.v[p].vpasid,
				    d->pasids.v[p].ppasid, d->pasids.v[p].pt_id,
				    d->pasids.v[p].hwpt_id);
		fbuf_printf(out, "\n");
	}
}

void snap_ctx(struct fbuf *out, struct ioasid_ctx *ctx)
{
	mem_names.n = 0;
	fbuf_printf(out, "context %s\n", ctx->ops->name);
	for (const struct ioasid_dev *d = ctx->devs; d; d = d->next)
		fbuf_printf(out, " dev %s group %d%s id %u pt %u hwpt %u\n", d->name,
			    d->group, d->bound ? " bound" : "", d->dev_id,
			    d->pt_id, d->hwpt_id);
	if (!strcmp(ctx->ops->name, "sim"))
		snap_sim(out, ctx->be);
}

void snap_viommu(struct fbuf *out, struct ioasid_virtio_iommu *v)
{
	size_t need = 0, i;
	uint8_t *buf;
	int rc;

	rc = __real_ioasid_virtio_iommu_save(v, NULL, 0, &need);
	if (rc && rc != -EMSGSIZE) {
		fbuf_printf(out, "viommu: save: %d\n", rc);
		return;
	}
	buf = malloc(need ? need : 1);
	if (!buf)
		abort();
	rc = __real_ioasid_virtio_iommu_save(v, buf, need, &need);
	fbuf_printf(out, "viommu: %zu bytes (%d)", need, rc);
	for (i = 0; i < need; i++)
		fbuf_printf(out, "%s%02x", i % 32 ? "" : "\n ", buf[i]);
	fbuf_printf(out, "\n");
	free(buf);
}
