// SPDX-License-Identifier: MIT
/* PASID attachment records, kept by the backends per device, and their
 * order by vPASID for the public table. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pasid.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* Records (for the backends)                                           */

int pasid_recs_find(const struct pasid_recs *r, uint32_t pasid)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (r->v[i].ppasid == pasid)
			return (int)i;
	return -1;
}

int pasid_recs_set(struct pasid_recs *r, const struct ioasid_pasid_entry *e)
{
	int at = pasid_recs_find(r, e->ppasid);
	uint32_t i;

	if (at >= 0) {
		r->v[at] = *e;
		return 0;
	}
	if (r->n == r->cap) {
		uint32_t cap = r->cap ? r->cap * 2 : 4;
		void *v = realloc(r->v, cap * sizeof(*r->v));

		if (!v)
			return ioasid_fail(-ENOMEM, "out of memory");
		r->v = v;
		r->cap = cap;
	}
	for (i = r->n; i > 0 && r->v[i - 1].ppasid > e->ppasid; i--)
		r->v[i] = r->v[i - 1];
	r->v[i] = *e;
	r->n++;
	return 0;
}

void pasid_recs_del(struct pasid_recs *r, uint32_t pasid)
{
	int at = pasid_recs_find(r, pasid);

	if (at < 0)
		return;
	memmove(&r->v[at], &r->v[at + 1], (r->n - (uint32_t)at - 1) * sizeof(*r->v));
	r->n--;
}

int pasid_recs_list(const struct pasid_recs *r,
		    struct ioasid_pasid_entry *out, uint32_t *num)
{
	uint32_t n = *num < r->n ? *num : r->n;

	if (n)
		memcpy(out, r->v, n * sizeof(*out));
	*num = r->n;
	return n < r->n ? -EMSGSIZE : 0;
}

void pasid_recs_free(struct pasid_recs *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void pasid_entries_sort_by_vpasid(struct ioasid_pasid_entry *e, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && e[j - 1].vpasid > e[j].vpasid; j--) {
			struct ioasid_pasid_entry t = e[j];

			e[j] = e[j - 1];
			e[j - 1] = t;
		}
}
