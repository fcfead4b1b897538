// SPDX-License-Identifier: MIT
/*
 * x86-64 4-level stage-1 page tables (VT-d first-stage format): the
 * builder the nested strategy uses and the walker the simulator and the
 * tests use.  See pgtable.h for the format and the rules.
 *
 * Levels are numbered from the leaf: 0 page table (4 KiB), 1 page
 * directory (2 MiB), 2 page-directory-pointer table (1 GiB), 3 PML4.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pgtable.h"

#define ENTRY_SHIFT(level) (VPT_PAGE_SHIFT + 9u * (level))
#define ENTRY_SPAN(level) (1ull << ENTRY_SHIFT(level))
#define ENTRY_INDEX(iova, level) (((iova) >> ENTRY_SHIFT(level)) & (VPT_ENTRIES - 1))

/* Bits of every table pointer and every leaf. */
#define TABLE_BITS (VPT_P | VPT_RW | VPT_US | VPT_A)
#define LEAF_BITS (VPT_P | VPT_US | VPT_A)
#define PAT_LARGE (1ull << 12) /* PAT bit of a PDPTE/PDE leaf */

/* ------------------------------------------------------------------ */
/* Walker                                                               */

int vpt_walk(vpt_read_fn read, void *arg, uint64_t root, uint64_t iova,
	     struct vpt_translation *t)
{
	uint64_t sign = iova >> 47, table = root;
	bool writable = true;

	if (sign != 0 && sign != (1ull << 17) - 1)
		return -EINVAL;
	for (int level = VPT_LEVELS - 1;; level--) {
		uint64_t entry;
		int rc = read(arg, table + ENTRY_INDEX(iova, level) * 8, &entry);

		if (rc)
			return rc;
		if (!(entry & VPT_P))
			return -ENOENT;
		if (!(entry & VPT_US))
			return -EACCES;
		writable = writable && (entry & VPT_RW);
		if (entry & VPT_PS && level == VPT_LEVELS - 1)
			return -EINVAL;
		if (level == 0 || entry & VPT_PS) {
			uint64_t span = ENTRY_SPAN(level);
			uint64_t addr = entry & VPT_ADDR_MASK;

			if (level) {
				if (addr & (span - 1) & ~PAT_LARGE)
					return -EINVAL;
				addr &= ~(span - 1);
			}
			t->out = addr | (iova & (span - 1));
			t->page_size = span;
			t->writable = writable;
			return 0;
		}
		table = entry & VPT_ADDR_MASK;
	}
}

struct bytes_reader {
	vpt_bytes_read_fn read;
	void *rd;
};

static int read_entry_bytes(void *arg, uint64_t gpa, uint64_t *entry)
{
	struct bytes_reader *r = arg;
	uint64_t le;
	int rc = r->read(r->rd, gpa, &le, sizeof(le));

	if (!rc)
		*entry = le64toh(le);
	return rc;
}

/* The uAPI's IOMMU_HWPT_DATA_VTD_S1 and the layout of its struct. */
#define DATA_VTD_S1 1u
#define VTD_S1_SIZE 24u
#define VTD_S1_FLAGS_KNOWN 0x7ull /* SRE, EAFE, WPE */

int vpt_s1_walk(void *arg, uint32_t data_type, const void *data,
		uint32_t data_len, uint64_t iova, vpt_bytes_read_fn read,
		void *rd, uint64_t *gpa)
{
	struct bytes_reader r = { read, rd };
	struct vpt_translation t;
	uint64_t flags, root;
	uint32_t width, reserved;
	int rc;

	(void)arg;
	if (data_type != DATA_VTD_S1)
		return -EOPNOTSUPP;
	if (!data || data_len < VTD_S1_SIZE)
		return -EINVAL;
	memcpy(&flags, (const uint8_t *)data, 8);
	memcpy(&root, (const uint8_t *)data + 8, 8);
	memcpy(&width, (const uint8_t *)data + 16, 4);
	memcpy(&reserved, (const uint8_t *)data + 20, 4);
	if (flags & ~VTD_S1_FLAGS_KNOWN || reserved ||
	    width != VPT_ADDR_WIDTH || root & ~VPT_ADDR_MASK)
		return -EINVAL;
	rc = vpt_walk(read_entry_bytes, &r, root, iova, &t);
	if (rc)
		return rc;
	*gpa = t.out;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pool                                                                 */

int vpt_pool_init(struct vpt_pool *p, uint64_t gpa, uint64_t size, void *hva)
{
	memset(p, 0, sizeof(*p));
	if (!hva || gpa & (VPT_PAGE_SIZE - 1) || size & (VPT_PAGE_SIZE - 1) ||
	    (uintptr_t)hva & (VPT_PAGE_SIZE - 1) || size < VPT_PAGE_SIZE ||
	    size >> VPT_PAGE_SHIFT > UINT32_MAX || gpa + size - 1 < gpa ||
	    gpa + size - 1 > VPT_ADDR_MASK)
		return -EINVAL;
	p->num_pages = (uint32_t)(size >> VPT_PAGE_SHIFT);
	p->free_stack = calloc(p->num_pages, sizeof(*p->free_stack));
	p->quarantine = calloc(p->num_pages, sizeof(*p->quarantine));
	p->used = calloc(p->num_pages, sizeof(*p->used));
	if (!p->free_stack || !p->quarantine || !p->used) {
		vpt_pool_fini(p);
		return -ENOMEM;
	}
	/* Lowest pages first. */
	for (uint32_t i = 0; i < p->num_pages; i++)
		p->free_stack[i] = p->num_pages - 1 - i;
	p->num_free = p->num_pages;
	p->gpa = gpa;
	p->size = size;
	p->hva = hva;
	return 0;
}

void vpt_pool_fini(struct vpt_pool *p)
{
	free(p->free_stack);
	free(p->quarantine);
	free(p->used);
	memset(p, 0, sizeof(*p));
}

void vpt_pool_release(struct vpt_pool *p)
{
	for (uint32_t i = 0; i < p->num_quarantine; i++)
		p->free_stack[p->num_free++] = p->quarantine[i];
	p->in_use -= p->num_quarantine;
	p->num_quarantine = 0;
}

static uint32_t page_index(const struct vpt_pool *p, uint64_t gpa)
{
	return (uint32_t)((gpa - p->gpa) >> VPT_PAGE_SHIFT);
}

static uint64_t *page_entries(const struct vpt_pool *p, uint64_t gpa)
{
	return (uint64_t *)(p->hva + (gpa - p->gpa));
}

static int page_alloc(struct vpt_pool *p, uint64_t *gpa)
{
	uint32_t idx;

	if (!p->num_free)
		return -ENOSPC;
	idx = p->free_stack[--p->num_free];
	memset(p->hva + ((uint64_t)idx << VPT_PAGE_SHIFT), 0, VPT_PAGE_SIZE);
	p->used[idx] = 0;
	if (++p->in_use > p->peak)
		p->peak = p->in_use;
	*gpa = p->gpa + ((uint64_t)idx << VPT_PAGE_SHIFT);
	return 0;
}

/* Freed pages wait for the invalidation before reuse. */
static void page_quarantine(struct vpt_pool *p, uint64_t gpa)
{
	p->quarantine[p->num_quarantine++] = page_index(p, gpa);
}

int vpt_root_alloc(struct vpt_pool *p, uint64_t *root)
{
	return page_alloc(p, root);
}

void vpt_root_free(struct vpt_pool *p, uint64_t root)
{
	page_quarantine(p, root);
}

void vpt_root_free_unused(struct vpt_pool *p, uint64_t root)
{
	p->free_stack[p->num_free++] = page_index(p, root);
	p->in_use--;
}

int vpt_pool_read(void *arg, uint64_t gpa, uint64_t *entry)
{
	const struct vpt_pool *p = arg;

	if (gpa < p->gpa || gpa - p->gpa > p->size - 8 || gpa & 7)
		return -EFAULT;
	*entry = le64toh(__atomic_load_n((uint64_t *)(p->hva + (gpa - p->gpa)),
					 __ATOMIC_ACQUIRE));
	return 0;
}

/* The IOMMU may walk while we write: whole-entry stores, and a new
 * table is zeroed before the pointer to it is published. */
static void entry_store(uint64_t *e, uint64_t value)
{
	__atomic_store_n(e, htole64(value), __ATOMIC_RELEASE);
}

static uint64_t entry_load(const uint64_t *e)
{
	return le64toh(__atomic_load_n(e, __ATOMIC_ACQUIRE));
}

/* ------------------------------------------------------------------ */
/* Invalidation list                                                    */

/* Room for @n more ranges, so that the change that needs them cannot
 * fail half-done: vpt_map() and vpt_unmap() reserve before they touch
 * a table. */
static int inval_reserve(struct vpt_inval_list *inv, uint32_t n)
{
	uint32_t cap;
	struct vpt_inval *v;

	if (!inv || inv->cap - inv->num >= n)
		return 0;
	cap = inv->cap ? inv->cap : 16;
	while (cap - inv->num < n)
		cap *= 2;
	v = realloc(inv->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	inv->v = v;
	inv->cap = cap;
	return 0;
}

/* Record a range; the room was reserved (a NULL @inv records nothing). */
static void inval_add(struct vpt_inval_list *inv, uint64_t iova,
		      uint64_t size, bool leaf_only)
{
	if (!inv)
		return;
	if (inv->num) {
		struct vpt_inval *last = &inv->v[inv->num - 1];

		/* Neighbours merge; a full invalidation swallows a leaf
		 * one. */
		if (last->iova + last->size == iova &&
		    last->leaf_only == leaf_only) {
			last->size += size;
			return;
		}
	}
	inv->v[inv->num++] = (struct vpt_inval){ iova, size, leaf_only };
}

void vpt_inval_reset(struct vpt_inval_list *inv)
{
	inv->num = 0;
}

void vpt_inval_fini(struct vpt_inval_list *inv)
{
	free(inv->v);
	memset(inv, 0, sizeof(*inv));
}

/* ------------------------------------------------------------------ */
/* Unmap                                                                */

struct unmap_state {
	struct vpt_pool *p;
	uint64_t cleared;   /* leaves cleared */
	bool freed_table;   /* a table page under the range was freed */
};

/* Clear the leaves of [first, last] in the table at @table (of @level,
 * covering from @base) and free the child tables left empty. */
static int unmap_level(struct unmap_state *s, uint64_t table, int level,
		       uint64_t base, uint64_t first, uint64_t last)
{
	uint64_t *entries = page_entries(s->p, table);
	uint32_t tidx = page_index(s->p, table);
	uint64_t span = ENTRY_SPAN(level);

	for (uint32_t i = (uint32_t)ENTRY_INDEX(first, level);
	     i <= ENTRY_INDEX(last, level); i++) {
		uint64_t ent_base = base + i * span, ent_last = ent_base + span - 1;
		uint64_t entry = entry_load(&entries[i]);

		if (!(entry & VPT_P))
			continue;
		if (level == 0 || entry & VPT_PS) {
			if (ent_base < first || ent_last > last)
				return -EINVAL;
			entry_store(&entries[i], 0);
			s->p->used[tidx]--;
			s->cleared++;
		} else {
			uint64_t child = entry & VPT_ADDR_MASK;
			int rc = unmap_level(s, child, level - 1, ent_base,
					     first > ent_base ? first : ent_base,
					     last < ent_last ? last : ent_last);

			if (rc)
				return rc;
			if (s->p->used[page_index(s->p, child)] == 0) {
				entry_store(&entries[i], 0);
				s->p->used[tidx]--;
				page_quarantine(s->p, child);
				s->freed_table = true;
			}
		}
	}
	return 0;
}

int vpt_unmap(struct vpt_pool *p, uint64_t root, uint64_t iova, uint64_t size,
	      struct vpt_inval_list *inv)
{
	struct unmap_state s = { .p = p };
	uint64_t last = iova + size - 1;
	int rc;

	if (!size || last < iova || last > VPT_IOVA_LAST)
		return -EINVAL;
	if (inval_reserve(inv, 1))
		return -ENOMEM;
	rc = unmap_level(&s, root, VPT_LEVELS - 1, 0, iova, last);
	if (s.cleared || s.freed_table)
		inval_add(inv, iova & ~(VPT_PAGE_SIZE - 1),
			  ((last | (VPT_PAGE_SIZE - 1)) + 1) -
				  (iova & ~(VPT_PAGE_SIZE - 1)),
			  !s.freed_table);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Map                                                                  */

/* The highest level whose leaf fits at @iova/@out with @left bytes. */
static int leaf_level(uint64_t iova, uint64_t out, uint64_t left)
{
	for (int level = 2; level > 0; level--) {
		uint64_t span = ENTRY_SPAN(level);

		if (!(iova & (span - 1)) && !(out & (span - 1)) && left >= span)
			return level;
	}
	return 0;
}

int vpt_map(struct vpt_pool *p, uint64_t root, uint64_t iova, uint64_t size,
	    uint64_t out, bool writable, struct vpt_inval_list *inv)
{
	uint64_t end = iova + size, addr = iova, leaf_bits;
	int rc = 0;

	if (!size || (iova | size | out) & (VPT_PAGE_SIZE - 1) ||
	    end - 1 < iova || end - 1 > VPT_IOVA_LAST ||
	    out + size - 1 < out || out + size - 1 > VPT_ADDR_MASK)
		return -EINVAL;
	/* The undo below records one range: its room first. */
	if (inval_reserve(inv, 1))
		return -ENOMEM;
	leaf_bits = LEAF_BITS | (writable ? VPT_RW | VPT_D : 0);
	while (addr < end) {
		int target = leaf_level(addr, out + (addr - iova), end - addr);
		uint64_t table = root, *e, entry;

		for (int level = VPT_LEVELS - 1; level > target; level--) {
			e = &page_entries(p, table)[ENTRY_INDEX(addr, level)];
			entry = entry_load(e);
			if (!(entry & VPT_P)) {
				uint64_t child;

				rc = page_alloc(p, &child);
				if (rc)
					goto undo_with_addr;
				entry = child | TABLE_BITS;
				entry_store(e, entry);
				p->used[page_index(p, table)]++;
			} else if (entry & VPT_PS) {
				rc = -EEXIST;
				goto undo;
			}
			table = entry & VPT_ADDR_MASK;
		}
		e = &page_entries(p, table)[ENTRY_INDEX(addr, target)];
		if (entry_load(e) & VPT_P) {
			rc = -EEXIST;
			goto undo;
		}
		entry_store(e, (out + (addr - iova)) | leaf_bits |
				       (target ? VPT_PS : 0));
		p->used[page_index(p, table)]++;
		addr += ENTRY_SPAN(target);
	}
	return 0;

undo_with_addr:
	/* Tables allocated on the way to @addr are empty and hold no one
	 * else's leaf at @addr: take them too. */
	addr += VPT_PAGE_SIZE;
undo:
	if (addr > iova)
		vpt_unmap(p, root, iova, addr - iova, inv);
	return rc;
}

uint64_t vpt_pages_for_span(uint64_t span)
{
	uint64_t pages = 1; /* root */

	if (!span)
		return pages;
	/* A span at any alignment touches at most (span - 1) / cover + 2
	 * entries' worth of tables at each level below the root. */
	for (int level = 1; level < VPT_LEVELS; level++)
		pages += (span - 1) / ENTRY_SPAN(level) + 2;
	return pages;
}
