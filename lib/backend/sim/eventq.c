// SPDX-License-Identifier: MIT
/*
 * Simulator backend: models drivers/iommu/iommufd/eventq.c: vEVENTQs and
 * fault queues.
 */
#include "sim.h"

/* eventq.c iommufd_veventq_alloc(). */
int sim_ext_veventq_alloc(void *be, uint32_t viommu_id, uint32_t type,
			  uint32_t depth, uint32_t *id, int *fd)
{
	struct sim *s = be;
	struct sim_viommu *vi;
	struct sim_veventq *q;
	int rc;

	if (!type)
		return ioasid_fail(-EOPNOTSUPP, "vEVENTQ type 0 is reserved");
	if (!depth || depth > SIM_VEVENTQ_MAX_DEPTH)
		return ioasid_fail(-EINVAL, "depth %u is outside 1..%u", depth,
				   SIM_VEVENTQ_MAX_DEPTH);
	vi = sim_ext_get(s, viommu_id, SIM_VIOMMU);
	if (!vi)
		return ioasid_fail(-ENOENT, "viommu %u does not exist", viommu_id);
	for (uint32_t k = 1; k < s->num_objs; k++) {
		struct sim_veventq *o = sim_ext_get(s, k, SIM_VEVENTQ);

		if (o && o->viommu == vi && o->type == type)
			return ioasid_fail(-EEXIST,
					   "viommu %u has a vEVENTQ of type %#x already (%u)",
					   viommu_id, type, k);
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return ioasid_fail(-ENOMEM, "out of memory");
	q->obj.type = SIM_VEVENTQ;
	q->viommu = vi;
	q->type = type;
	q->depth = depth;
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->efd < 0) {
		rc = -errno;
		free(q);
		return ioasid_fail(rc, "eventfd: %s", strerror(-rc));
	}
	rc = sim_obj_add(s, &q->obj);
	if (rc) {
		close(q->efd);
		free(q);
		return rc;
	}
	vi->refs++;
	*id = q->obj.id;
	*fd = q->efd;
	return 0;
}

/* driver.c iommufd_viommu_report_event() with iommufd_vevent_handler(). */
int sim_veventq_report(struct sim_veventq *q, const void *data,
		       uint32_t len)
{
	struct ioasid_vevent *e;
	bool lost = q->num_events == q->depth;
	int rc;

	if (q->n && (q->q[q->n - 1].flags & IOASID_VEVENT_LOST_EVENTS))
		q->n--;
	rc = sim_grow((void **)&q->q, &q->cap, q->n + 1, sizeof(*q->q));
	if (rc)
		return rc;
	e = &q->q[q->n++];
	memset(e, 0, sizeof(*e));
	if (lost) {
		e->flags = IOASID_VEVENT_LOST_EVENTS;
	} else {
		e->data_len = len;
		memcpy(e->data, data, len);
		q->num_events++;
	}
	e->sequence = q->sequence;
	q->sequence = (q->sequence + 1) & INT32_MAX;
	sim_efd_signal(q->efd, true);
	return 0;
}

int sim_ext_veventq_read(void *be, uint32_t id, struct ioasid_vevent *ev,
			 uint32_t *num)
{
	struct sim *s = be;
	struct sim_veventq *q = sim_ext_get(s, id, SIM_VEVENTQ);
	uint32_t n = 0;

	if (!q)
		return ioasid_fail(-ENOENT, "vEVENTQ %u does not exist", id);
	while (n < *num && n < q->n) {
		ev[n] = q->q[n];
		if (!(ev[n].flags & IOASID_VEVENT_LOST_EVENTS))
			q->num_events--;
		n++;
	}
	memmove(q->q, q->q + n, (q->n - n) * sizeof(*q->q));
	q->n -= n;
	if (!q->n)
		sim_efd_signal(q->efd, false);
	*num = n;
	return 0;
}

/* eventq.c iommufd_fault_alloc(). */
int sim_ext_fault_alloc(void *be, uint32_t *id, int *fd)
{
	struct sim *s = be;
	struct sim_fault *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return ioasid_fail(-ENOMEM, "out of memory");
	f->obj.type = SIM_FAULT;
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0) {
		rc = -errno;
		free(f);
		return ioasid_fail(rc, "eventfd: %s", strerror(-rc));
	}
	rc = sim_obj_add(s, &f->obj);
	if (rc) {
		close(f->efd);
		free(f);
		return rc;
	}
	*id = f->obj.id;
	*fd = f->efd;
	return 0;
}

/* eventq.c iommufd_fault_fops_read(): each group (here one fault with
 * LAST_PAGE) gets the lowest free cookie from 1 (xa_alloc on an ALLOC1
 * xarray); an array too small for the first group is -EINVAL. */
int sim_ext_fault_read(void *be, uint32_t id, struct ioasid_fault *out,
		       uint32_t *num)
{
	struct sim *s = be;
	struct sim_fault *f = sim_ext_get(s, id, SIM_FAULT);
	uint32_t n = 0;
	int rc;

	if (!f)
		return ioasid_fail(-ENOENT, "fault queue %u does not exist", id);
	if (!*num && f->n)
		return ioasid_fail(-EINVAL, "no room for the first fault group");
	while (n < *num && n < f->n) {
		uint32_t cookie = 1;
		bool taken = true;

		while (taken) {
			taken = false;
			for (uint32_t k = 0; k < f->ncookies; k++)
				if (f->cookies[k] == cookie) {
					taken = true;
					cookie++;
					break;
				}
		}
		rc = sim_grow((void **)&f->cookies, &f->capcookies, f->ncookies + 1,
			      sizeof(*f->cookies));
		if (rc)
			break;
		f->cookies[f->ncookies++] = cookie;
		out[n] = f->q[n];
		out[n].cookie = cookie;
		n++;
	}
	memmove(f->q, f->q + n, (f->n - n) * sizeof(*f->q));
	f->n -= n;
	if (!f->n)
		sim_efd_signal(f->efd, false);
	*num = n;
	return 0;
}

/* eventq.c iommufd_fault_fops_write(). */
int sim_ext_fault_respond(void *be, uint32_t id,
			  const struct ioasid_fault_response *r,
			  uint32_t *num)
{
	struct sim *s = be;
	struct sim_fault *f = sim_ext_get(s, id, SIM_FAULT);
	uint32_t n;

	if (!f)
		return ioasid_fail(-ENOENT, "fault queue %u does not exist", id);
	for (n = 0; n < *num; n++) {
		uint32_t k;

		if (r[n].code != IOASID_FAULT_RESP_SUCCESS &&
		    r[n].code != IOASID_FAULT_RESP_INVALID) {
			*num = n;
			return ioasid_fail(-EINVAL, "response %u: unknown code %u",
					   n, r[n].code);
		}
		for (k = 0; k < f->ncookies && f->cookies[k] != r[n].cookie; k++)
			;
		if (k == f->ncookies) {
			*num = n;
			return ioasid_fail(-EINVAL,
					   "response %u: no fault group has cookie %u",
					   n, r[n].cookie);
		}
		f->cookies[k] = f->cookies[--f->ncookies];
	}
	return 0;
}
