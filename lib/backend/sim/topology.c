// SPDX-License-Identifier: MIT
/*
 * Simulator topology files.  lib/host/ini.c checks the file line by line
 * first, so that every mistake gets a FILE:LINE message and iniparser
 * (which would print through its process-wide error callback, silently
 * overwrite duplicate keys and read "010" as octal) never sees anything it
 * could complain about or misread.  iniparser then supplies the values;
 * numbers are parsed by lib/host/ini.c, with K/M/G/T suffixes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "util.h"
#include "topology.h"
#include "topology-default.h"

enum sec_kind { SEC_IOMMU, SEC_GROUP, SEC_DEVICE, SEC_MDEV, SEC_MOCK };

static const char *const sec_kind_names[] = {
	[SEC_IOMMU] = "iommu", [SEC_GROUP] = "group", [SEC_DEVICE] = "device",
	[SEC_MDEV] = "mdev",   [SEC_MOCK] = "mock",
};

static const char *const sec_keys[][12] = {
	[SEC_IOMMU] = { "model", "aw_bits", "aperture", "page_sizes",
			"pasid_width", "reserved", "dirty_tracking", "nesting",
			"msi_banks", "msi_bank_size" },
	[SEC_GROUP] = { "iommu", "reserved" },
	[SEC_DEVICE] = { "group", "iommu", "driver", "vendor", "device",
			 "pasid_width", "class", "reserved" },
	[SEC_MDEV] = { "parent", "class", "pasid", "driver", "vendor",
		       "device" },
	[SEC_MOCK] = { "group", "iommu", "pasid_width", "class", "reserved" },
};

const char *topology_resv_type_name(enum ioasid_resv_type type)
{
	switch (type) {
	case IOASID_RESV_DIRECT:
		return "direct";
	case IOASID_RESV_DIRECT_RELAXABLE:
		return "direct-relaxable";
	case IOASID_RESV_RESERVED:
		return "reserved";
	case IOASID_RESV_MSI:
		return "msi";
	case IOASID_RESV_SW_MSI:
		return "sw-msi";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* Sections and keys                                                    */

static int topo_section(const struct ini_file *f, unsigned int line,
			const char *kind, const char *name,
			unsigned int *kind_out, char canon[IOASID_NAME_MAX])
{
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(sec_kind_names); k++)
		if (!strcmp(kind, sec_kind_names[k]))
			break;
	if (k == ARRAY_SIZE(sec_kind_names))
		return ioasid_fail(-EINVAL,
				   "%s:%u: unknown section kind '%s' (iommu, group, device, mdev or mock)",
				   f->file, line, kind);
	if (!*name)
		return ioasid_fail(-EINVAL, "%s:%u: section [%s] needs a name",
				   f->file, line, kind);
	if (name[strcspn(name, " \t")])
		return ioasid_fail(-EINVAL, "%s:%u: section name '%s' contains a space",
				   f->file, line, name);
	if (strlen(name) >= IOASID_NAME_MAX)
		return ioasid_fail(-EINVAL, "%s:%u: section name '%s' is too long",
				   f->file, line, name);
	snprintf(canon, IOASID_NAME_MAX, "%s", name);
	*kind_out = k;
	return 0;
}

static int topo_key(const struct ini_file *f, unsigned int line,
		    const struct ini_sec *sec, const char *key)
{
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return ioasid_fail(-EINVAL, "%s:%u: bad key name '%s'",
					   f->file, line, key);
	return ini_check_key(f, line, sec_kind_names[sec->kind],
			     sec_keys[sec->kind], ARRAY_SIZE(sec_keys[0]), key);
}

static const struct ini_rules topo_rules = {
	.outside_hint = "",
	.section = topo_section,
	.key = topo_key,
};

/* ------------------------------------------------------------------ */
/* Values                                                               */

struct loader {
	struct ini_file scan;
	struct topology *topo;
	const struct ini_sec *sec; /* the section being read */
};

static const char *get(struct loader *ld, const char *key)
{
	return ini_get(&ld->scan, ld->sec, key);
}

#define LOAD_FAIL(ld, key, fmt, ...)                                         \
	INI_KEY_FAIL(&(ld)->scan, (ld)->sec, key, fmt, ##__VA_ARGS__)

static int get_num(struct loader *ld, const char *key, uint64_t max,
		   uint64_t def, uint64_t *out)
{
	const char *v = get(ld, key);
	int rc;

	*out = def;
	if (!v)
		return 0;
	rc = ini_parse_size(v, out);
	if (rc == -ERANGE || (!rc && *out > max))
		return LOAD_FAIL(ld, key, "%s = %s is out of range (at most %#llx)",
				 key, v, (unsigned long long)max);
	if (rc)
		return LOAD_FAIL(ld, key, "%s = %s is not a number", key, v);
	return 0;
}

static int get_bool(struct loader *ld, const char *key, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	const char *v = get(ld, key);

	*out = false;
	if (!v)
		return 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	return LOAD_FAIL(ld, key, "%s = %s is not yes or no", key, v);
}

static int get_name(struct loader *ld, const char *key, const char *def,
		    char out[IOASID_NAME_MAX])
{
	const char *v = get(ld, key);

	if (!v)
		v = def;
	if (strlen(v) >= IOASID_NAME_MAX)
		return LOAD_FAIL(ld, key, "%s is too long", key);
	snprintf(out, IOASID_NAME_MAX, "%s", v);
	return 0;
}

static int parse_range(const char *s, uint64_t *start, uint64_t *last)
{
	char buf[80], *dash;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (ini_parse_size(ini_trim(buf), start) ||
	    ini_parse_size(ini_trim(dash + 1), last))
		return -EINVAL;
	return 0;
}

static int cmp_resv(const void *a, const void *b)
{
	const struct topo_resv *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->type - (int)y->type;
}

/* "START-LAST TYPE, START-LAST TYPE ..." */
static int get_resv(struct loader *ld, struct topo_resv_list *out)
{
	const char *v = get(ld, "reserved");
	char *copy, *item, *save = NULL;
	int rc = 0;

	out->v = NULL;
	out->n = 0;
	if (!v)
		return 0;
	copy = strdup(v);
	if (!copy)
		return ioasid_fail(-ENOMEM, "out of memory");
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *range = ini_trim(item), *type = range + strcspn(range, " \t");
		struct topo_resv r, *nv;
		unsigned int t;

		if (*type)
			*type++ = '\0';
		type = ini_trim(type);
		if (parse_range(range, &r.start, &r.last)) {
			rc = LOAD_FAIL(ld, "reserved", "bad range '%s' (START-LAST)",
				       range);
			break;
		}
		if (r.start > r.last) {
			rc = LOAD_FAIL(ld, "reserved", "inverted range '%s'", range);
			break;
		}
		for (t = IOASID_RESV_DIRECT; t <= IOASID_RESV_SW_MSI; t++)
			if (!strcasecmp(type, topology_resv_type_name(t)))
				break;
		if (t > IOASID_RESV_SW_MSI) {
			rc = LOAD_FAIL(ld, "reserved",
				       "unknown region type '%s' (direct, direct-relaxable, reserved, msi or sw-msi)",
				       type);
			break;
		}
		r.type = t;
		nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
		if (!nv) {
			rc = ioasid_fail(-ENOMEM, "out of memory");
			break;
		}
		out->v = nv;
		out->v[out->n++] = r;
	}
	free(copy);
	if (!rc && out->n) {
		qsort(out->v, out->n, sizeof(*out->v), cmp_resv);
		for (unsigned int i = 1; i < out->n; i++)
			if (out->v[i].start <= out->v[i - 1].last) {
				rc = LOAD_FAIL(ld, "reserved",
					       "region %#llx-%#llx overlaps %#llx-%#llx",
					       (unsigned long long)out->v[i].start,
					       (unsigned long long)out->v[i].last,
					       (unsigned long long)out->v[i - 1].start,
					       (unsigned long long)out->v[i - 1].last);
				break;
			}
	}
	if (rc) {
		free(out->v);
		out->v = NULL;
		out->n = 0;
	}
	return rc;
}

static int find_iommu(const struct topology *t, const char *name)
{
	for (unsigned int i = 0; i < t->num_iommus; i++)
		if (!strcasecmp(t->iommus[i].name, name))
			return (int)i;
	return -1;
}

/* PAMU style MSI banks: a count and one power-of-two window size; a
 * size without banks, or banks without a size, is a mistake. */
static int load_msi_banks(struct loader *ld, struct topo_iommu *iommu)
{
	uint64_t banks, size;
	int rc;

	rc = get_num(ld, "msi_banks", TOPO_MAX_MSI_BANKS, 0, &banks);
	if (!rc)
		rc = get_num(ld, "msi_bank_size", UINT64_MAX, 0, &size);
	if (rc)
		return rc;
	if (banks && !get(ld, "msi_bank_size"))
		return LOAD_FAIL(ld, "msi_banks",
				 "msi_banks = %llu needs msi_bank_size",
				 (unsigned long long)banks);
	if (!banks && get(ld, "msi_bank_size"))
		return LOAD_FAIL(ld, "msi_bank_size",
				 "msi_bank_size without msi_banks");
	if (banks && (!size || (size & (size - 1))))
		return LOAD_FAIL(ld, "msi_bank_size",
				 "msi_bank_size = %s is not a power of two",
				 get(ld, "msi_bank_size"));
	iommu->msi_banks = (uint32_t)banks;
	iommu->msi_bank_size = banks ? size : 0;
	return 0;
}

static int load_iommu(struct loader *ld)
{
	struct topology *t = ld->topo;
	struct topo_iommu *iommu = &t->iommus[t->num_iommus];
	uint64_t aw, pasid;
	const char *v;
	int rc;

	memset(iommu, 0, sizeof(*iommu));
	snprintf(iommu->name, sizeof(iommu->name), "%s", ld->sec->name);
	rc = get_name(ld, "model", "", iommu->model);
	if (!rc)
		rc = get_num(ld, "aw_bits", 64, 48, &aw);
	if (rc)
		return rc;
	if (aw < 12)
		return LOAD_FAIL(ld, "aw_bits", "aw_bits must be 12 to 64");
	iommu->aperture_start = 0;
	iommu->aperture_last = aw == 64 ? UINT64_MAX : (1ull << aw) - 1;
	v = get(ld, "aperture");
	if (v) {
		if (parse_range(v, &iommu->aperture_start, &iommu->aperture_last))
			return LOAD_FAIL(ld, "aperture", "bad range '%s' (START-LAST)",
					 v);
		if (iommu->aperture_start >= iommu->aperture_last)
			return LOAD_FAIL(ld, "aperture", "inverted range '%s'", v);
	}
	v = get(ld, "page_sizes");
	if (!v)
		v = "4K";
	{
		char *copy = strdup(v), *item, *save = NULL;

		if (!copy)
			return ioasid_fail(-ENOMEM, "out of memory");
		for (item = strtok_r(copy, ",", &save); item && !rc;
		     item = strtok_r(NULL, ",", &save)) {
			uint64_t size;

			if (ini_parse_size(ini_trim(item), &size) || !size ||
			    (size & (size - 1)))
				rc = LOAD_FAIL(ld, "page_sizes",
					       "page size '%s' is not a power of two",
					       ini_trim(item));
			else
				iommu->pgsize_bitmap |= size;
		}
		free(copy);
		if (rc)
			return rc;
	}
	rc = get_num(ld, "pasid_width", 20, 0, &pasid);
	if (!rc)
		rc = get_bool(ld, "dirty_tracking", &iommu->dirty_tracking);
	if (!rc)
		rc = get_bool(ld, "nesting", &iommu->nesting);
	if (!rc)
		rc = get_resv(ld, &iommu->resv);
	if (!rc)
		rc = load_msi_banks(ld, iommu);
	if (rc) {
		/* Not counted yet, so the topology's cleanup misses it. */
		free(iommu->resv.v);
		iommu->resv = (struct topo_resv_list){ 0 };
		return rc;
	}
	iommu->pasid_width = (uint8_t)pasid;
	t->num_iommus++;
	return 0;
}

static int load_group(struct loader *ld)
{
	struct topology *t = ld->topo;
	struct topo_group *g = &t->groups[t->num_groups];
	uint64_t id;
	const char *v;
	int idx;

	if (ini_parse_size(ld->sec->name, &id) || id > INT32_MAX)
		return ioasid_fail(-EINVAL, "%s:%u: group number '%s' is not a number from 0 to %d",
				   ld->scan.file, ld->sec->line, ld->sec->name,
				   INT32_MAX);
	for (unsigned int i = 0; i < t->num_groups; i++)
		if (t->groups[i].id == (int32_t)id)
			return ioasid_fail(-EINVAL, "%s:%u: duplicate group %llu",
					   ld->scan.file, ld->sec->line,
					   (unsigned long long)id);
	v = get(ld, "iommu");
	if (!v)
		return ioasid_fail(-EINVAL, "%s:%u: group %llu needs 'iommu ='",
				   ld->scan.file, ld->sec->line,
				   (unsigned long long)id);
	idx = find_iommu(t, v);
	if (idx < 0)
		return LOAD_FAIL(ld, "iommu", "no [iommu %s] section", v);
	memset(g, 0, sizeof(*g));
	g->id = (int32_t)id;
	g->iommu = (unsigned int)idx;
	idx = get_resv(ld, &g->resv);
	if (idx)
		return idx;
	t->num_groups++;
	return 0;
}

static int find_group(const struct topology *t, int32_t id)
{
	for (unsigned int i = 0; i < t->num_groups; i++)
		if (t->groups[i].id == id)
			return (int)i;
	return -1;
}

/* Explicit groups are loaded first; a device naming only its IOMMU gets
 * a new group numbered after every explicit one. */
static int dev_group(struct loader *ld, struct topo_dev *d, int64_t *next_id)
{
	struct topology *t = ld->topo;
	const char *gv = get(ld, "group"), *iv = get(ld, "iommu");
	int iommu = -1;

	if (iv) {
		iommu = find_iommu(t, iv);
		if (iommu < 0)
			return LOAD_FAIL(ld, "iommu", "no [iommu %s] section", iv);
	}
	if (gv) {
		uint64_t id;
		int g;

		if (ini_parse_size(gv, &id) || id > INT32_MAX)
			return LOAD_FAIL(ld, "group", "group = %s is not a number",
					 gv);
		g = find_group(t, (int32_t)id);
		if (g < 0)
			return LOAD_FAIL(ld, "group", "no [group %s] section", gv);
		if (iommu >= 0 && (unsigned int)iommu != t->groups[g].iommu)
			return LOAD_FAIL(ld, "iommu",
					 "iommu %s differs from group %s's iommu %s",
					 iv, gv,
					 t->iommus[t->groups[g].iommu].name);
		d->group = g;
	} else if (iommu >= 0) {
		struct topo_group *ng = &t->groups[t->num_groups];

		if (*next_id > INT32_MAX)
			return ioasid_fail(-EINVAL,
					   "%s:%u: device %s: no group number is left after group %d for its own group; give it 'group ='",
					   ld->scan.file, ld->sec->line,
					   ld->sec->name, INT32_MAX);
		memset(ng, 0, sizeof(*ng));
		ng->id = (int32_t)(*next_id)++;
		ng->iommu = (unsigned int)iommu;
		d->group = (int)t->num_groups++;
	} else {
		return ioasid_fail(-EINVAL, "%s:%u: device %s needs 'group =' or 'iommu ='",
				   ld->scan.file, ld->sec->line, ld->sec->name);
	}
	d->iommu = (int)t->groups[d->group].iommu;
	snprintf(d->info.iommu, sizeof(d->info.iommu), "%s",
		 t->iommus[d->iommu].name);
	t->groups[d->group].num_devices++;
	return 0;
}

static int load_dev_common(struct loader *ld, struct topo_dev *d)
{
	uint64_t vendor, device, cls;
	int rc;

	rc = get_num(ld, "vendor", 0xffff, 0, &vendor);
	if (!rc)
		rc = get_num(ld, "device", 0xffff, 0, &device);
	if (!rc)
		rc = get_num(ld, "class", IOASID_CLASS_PASID_CPU_TRANSLATE,
			     d->info.kind == IOASID_DEV_MDEV ?
				     IOASID_CLASS_MDEV_NO_PASID :
				     IOASID_CLASS_RID_ONLY,
			     &cls);
	if (rc)
		return rc;
	d->info.vendor_id = (uint16_t)vendor;
	d->info.device_id = (uint16_t)device;
	d->info.dev_class = (enum ioasid_dev_class)cls;
	return 0;
}

static int load_device(struct loader *ld, int64_t *next_id,
		       unsigned int *cdevs)
{
	struct topology *t = ld->topo;
	struct topo_dev *d = &t->devs[t->num_devs];
	uint64_t pasid;
	int rc;

	memset(d, 0, sizeof(*d));
	d->info.sz = sizeof(d->info);
	d->group = d->iommu = -1;
	switch (ld->sec->kind) {
	case SEC_DEVICE:
		d->info.kind = IOASID_DEV_PCI;
		if (ioasid_parse_pci_addr(ld->sec->name, d->info.name))
			return ioasid_fail(-EINVAL,
					   "%s:%u: '%s' is not a PCI address (DDDD:BB:DD.F)",
					   ld->scan.file, ld->sec->line,
					   ld->sec->name);
		break;
	case SEC_MDEV:
		d->info.kind = IOASID_DEV_MDEV;
		if (!ini_is_uuid(ld->sec->name))
			return ioasid_fail(-EINVAL, "%s:%u: '%s' is not a UUID",
					   ld->scan.file, ld->sec->line,
					   ld->sec->name);
		snprintf(d->info.name, sizeof(d->info.name), "%s",
			 ld->sec->name);
		break;
	default:
		d->info.kind = IOASID_DEV_MOCK;
		/* The library takes a name for a mock device only when it
		 * starts with "mock" (ioasid_check_dev_name()): any other
		 * would load and then be refused by every call. */
		if (strncmp(ld->sec->name, "mock", 4) ||
		    strlen(ld->sec->name) >= sizeof(d->info.name))
			return ioasid_fail(-EINVAL,
					   "%s:%u: '%s' is not a mock device name (mock, mock0, mock1, ...; at most %zu characters)",
					   ld->scan.file, ld->sec->line,
					   ld->sec->name, sizeof(d->info.name) - 1);
		snprintf(d->info.name, sizeof(d->info.name), "%s",
			 ld->sec->name);
		break;
	}
	for (unsigned int i = 0; i < t->num_devs; i++)
		if (!strcmp(t->devs[i].info.name, d->info.name))
			return ioasid_fail(-EINVAL, "%s:%u: duplicate device %s",
					   ld->scan.file, ld->sec->line,
					   d->info.name);
	rc = load_dev_common(ld, d);
	if (rc)
		return rc;

	if (d->info.kind == IOASID_DEV_MDEV) {
		const char *parent = get(ld, "parent");
		char canon[IOASID_NAME_MAX];
		const struct topo_dev *p = NULL;

		if (!parent)
			return ioasid_fail(-EINVAL, "%s:%u: mdev needs 'parent ='",
					   ld->scan.file, ld->sec->line);
		if (ioasid_parse_pci_addr(parent, canon))
			return LOAD_FAIL(ld, "parent",
					 "parent '%s' is not a PCI address", parent);
		for (unsigned int i = 0; i < t->num_devs; i++)
			if (!strcmp(t->devs[i].info.name, canon))
				p = &t->devs[i];
		if (!p)
			return LOAD_FAIL(ld, "parent",
					 "no [device %s] section before this one",
					 parent);
		snprintf(d->info.parent, sizeof(d->info.parent), "%s", canon);
		rc = get_num(ld, "pasid", (1u << 20) - 1, 0, &pasid);
		if (!rc)
			rc = get_name(ld, "driver", "mdev", d->info.driver);
		if (rc)
			return rc;
		if (pasid && d->info.dev_class != IOASID_CLASS_MDEV_FIXED_PASID)
			return LOAD_FAIL(ld, "pasid",
					 "pasid needs class = 2 (fixed PASID)");
		d->info.pasid_width = 0;
		d->info.fixed_pasid = (uint32_t)pasid;
		d->info.group = -1;
		/* mdevs have VFIO cdevs too. */
		snprintf(d->info.cdev, sizeof(d->info.cdev),
			 "/dev/vfio/devices/vfio%u", (*cdevs)++);
	} else {
		rc = dev_group(ld, d, next_id);
		if (!rc)
			rc = get_num(ld, "pasid_width", 20, 0, &pasid);
		if (!rc)
			rc = get_resv(ld, &d->resv);
		if (!rc && d->info.kind == IOASID_DEV_PCI)
			rc = get_name(ld, "driver", "vfio-pci", d->info.driver);
		if (rc) {
			/* Not counted yet, so the topology's cleanup misses
			 * the regions get_resv() may have made. */
			free(d->resv.v);
			d->resv = (struct topo_resv_list){ 0 };
			return rc;
		}
		d->info.pasid_width = (uint8_t)pasid;
		d->info.group = t->groups[d->group].id;
		if (!strcmp(d->info.driver, "vfio-pci"))
			snprintf(d->info.cdev, sizeof(d->info.cdev),
				 "/dev/vfio/devices/vfio%u", (*cdevs)++);
	}
	t->num_devs++;
	return 0;
}

/* A device may not report two MSI windows, or both kinds: the kernel
 * refuses such a device at attach (iopt_table_enforce_dev_resv_regions
 * WARNs), so a topology with one would model a broken driver. */
static int check_msi(struct loader *ld, const struct topo_dev *d)
{
	struct topo_resv_list all;
	unsigned int hw = 0, sw = 0;

	if (topology_dev_resv(ld->topo, d, &all))
		return ioasid_fail(-ENOMEM, "out of memory");
	for (unsigned int i = 0; i < all.n; i++) {
		hw += all.v[i].type == IOASID_RESV_MSI;
		sw += all.v[i].type == IOASID_RESV_SW_MSI;
	}
	free(all.v);
	if ((hw && sw) || sw > 1)
		return ioasid_fail(-EINVAL,
				   "%s: device %s has %s; a device has at most one sw-msi region and not together with msi",
				   ld->scan.file, d->info.name,
				   sw > 1 ? "several sw-msi regions" :
					    "both msi and sw-msi regions");
	return 0;
}

static int cmp_group(const void *a, const void *b)
{
	const struct topo_group *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int load_all(struct loader *ld)
{
	struct topology *t = ld->topo;
	unsigned int n = ld->scan.num_secs, cdevs = 0;
	/* 64 bits: the group after an explicit INT32_MAX does not exist. */
	int64_t next_id = 0;
	int rc = 0;

	t->iommus = calloc(n + 1, sizeof(*t->iommus));
	t->groups = calloc(n + 1, sizeof(*t->groups));
	t->devs = calloc(n + 1, sizeof(*t->devs));
	if (!t->iommus || !t->groups || !t->devs)
		return ioasid_fail(-ENOMEM, "out of memory");
	/* Pass 1: IOMMUs; pass 2: groups; pass 3: devices in file order. */
	for (int pass = 1; pass <= 3 && !rc; pass++) {
		for (unsigned int i = 0; i < n && !rc; i++) {
			ld->sec = &ld->scan.secs[i];
			if (pass == 1 && ld->sec->kind == SEC_IOMMU)
				rc = load_iommu(ld);
			else if (pass == 2 && ld->sec->kind == SEC_GROUP)
				rc = load_group(ld);
			else if (pass == 3 && ld->sec->kind != SEC_IOMMU &&
				 ld->sec->kind != SEC_GROUP)
				rc = load_device(ld, &next_id, &cdevs);
		}
		if (pass == 2)
			for (unsigned int i = 0; i < t->num_groups; i++)
				if (t->groups[i].id >= next_id)
					next_id = (int64_t)t->groups[i].id + 1;
	}
	for (unsigned int i = 0; i < t->num_devs && !rc; i++)
		if (t->devs[i].group >= 0)
			rc = check_msi(ld, &t->devs[i]);
	if (rc)
		return rc;
	/* Sort groups by id and fix the devices' indexes. */
	{
		int32_t *ids = calloc(t->num_devs + 1, sizeof(*ids));

		if (!ids)
			return ioasid_fail(-ENOMEM, "out of memory");
		for (unsigned int i = 0; i < t->num_devs; i++)
			ids[i] = t->devs[i].info.group;
		qsort(t->groups, t->num_groups, sizeof(*t->groups), cmp_group);
		for (unsigned int i = 0; i < t->num_devs; i++)
			if (t->devs[i].group >= 0)
				t->devs[i].group = find_group(t, ids[i]);
		free(ids);
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static int read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 4096, n = 0;
	char *buf;

	if (!f)
		return ioasid_fail(-errno, "topology file %s: %s", path,
				   strerror(errno));
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		cap *= 2;
		if (cap > (64u << 20)) {
			free(buf);
			fclose(f);
			return ioasid_fail(-EINVAL, "topology file %s is too large",
					   path);
		}
		char *nb = realloc(buf, cap);

		if (!nb) {
			free(buf);
			buf = NULL;
		} else {
			buf = nb;
		}
	}
	if (buf && ferror(f)) {
		int err = errno;

		free(buf);
		fclose(f);
		return ioasid_fail(-err, "topology file %s: %s", path,
				   strerror(err));
	}
	fclose(f);
	if (!buf)
		return ioasid_fail(-ENOMEM, "out of memory");
	*text = buf;
	*len = n;
	return 0;
}

int topology_load(const char *path, struct topology **out)
{
	struct loader ld = { .scan = { .rules = &topo_rules } };
	char *text = NULL;
	size_t len = 0;
	int rc;

	ld.scan.file = path ? path : TOPO_BUILTIN_NAME;
	if (path) {
		rc = read_file(path, &text, &len);
		if (rc)
			return rc;
		rc = ini_parse(&ld.scan, text, len);
		free(text);
	} else {
		rc = ini_parse(&ld.scan, topology_builtin_text,
			       strlen(topology_builtin_text));
	}
	if (rc)
		goto out;

	ld.topo = calloc(1, sizeof(*ld.topo));
	if (!ld.topo || !(ld.topo->source = strdup(ld.scan.file))) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	rc = load_all(&ld);
	if (!rc && !ld.topo->num_devs)
		rc = ioasid_fail(-EINVAL, "%s: no devices", ld.scan.file);
out:
	ini_release(&ld.scan);
	if (rc) {
		topology_free(ld.topo);
		return rc;
	}
	*out = ld.topo;
	return 0;
}

void topology_free(struct topology *t)
{
	if (!t)
		return;
	for (unsigned int i = 0; i < t->num_iommus; i++)
		free(t->iommus[i].resv.v);
	for (unsigned int i = 0; i < t->num_groups; i++)
		free(t->groups[i].resv.v);
	for (unsigned int i = 0; i < t->num_devs; i++)
		free(t->devs[i].resv.v);
	free(t->iommus);
	free(t->groups);
	free(t->devs);
	free(t->source);
	free(t);
}

const struct topo_dev *topology_find_dev(const struct topology *t,
					 const char *name)
{
	char canon[IOASID_NAME_MAX];

	if (!ioasid_parse_pci_addr(name, canon))
		name = canon;
	for (unsigned int i = 0; i < t->num_devs; i++) {
		const struct topo_dev *d = &t->devs[i];

		if (!strcasecmp(d->info.name, name) ||
		    (d->info.cdev[0] && !strcmp(d->info.cdev, name)))
			return d;
	}
	return NULL;
}

const struct topo_group *topology_find_group(const struct topology *t,
					     int32_t id)
{
	int g = find_group(t, id);

	return g < 0 ? NULL : &t->groups[g];
}

static int append(struct topo_resv_list *out, const struct topo_resv_list *in)
{
	struct topo_resv *nv;

	if (!in->n)
		return 0;
	nv = realloc(out->v, (out->n + in->n) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	memcpy(nv + out->n, in->v, in->n * sizeof(*nv));
	out->v = nv;
	out->n += in->n;
	return 0;
}

int topology_dev_resv(const struct topology *t, const struct topo_dev *d,
		      struct topo_resv_list *out)
{
	out->v = NULL;
	out->n = 0;
	if (d->group < 0)
		return 0;
	if (append(out, &t->iommus[d->iommu].resv) ||
	    append(out, &t->groups[d->group].resv) || append(out, &d->resv)) {
		free(out->v);
		out->v = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Like the kernel's iommu_get_group_resv_regions(): one list per group,
 * regions of the same type that overlap or touch become one. */
int topology_group_resv(const struct topology *t, const struct topo_group *g,
			struct topo_resv_list *out)
{
	unsigned int n = 0;

	out->v = NULL;
	out->n = 0;
	if (append(out, &t->iommus[g->iommu].resv) || append(out, &g->resv))
		goto nomem;
	for (unsigned int i = 0; i < t->num_devs; i++)
		if (t->devs[i].group >= 0 && &t->groups[t->devs[i].group] == g &&
		    append(out, &t->devs[i].resv))
			goto nomem;
	if (!out->n)
		return 0;
	qsort(out->v, out->n, sizeof(*out->v), cmp_resv);
	for (unsigned int i = 0; i < out->n; i++) {
		struct topo_resv *cur = &out->v[i];
		unsigned int j;

		/* Merge into an earlier kept region of the same type. */
		for (j = 0; j < n; j++) {
			struct topo_resv *k = &out->v[j];

			if (k->type == cur->type &&
			    (k->last == UINT64_MAX || cur->start <= k->last + 1) &&
			    cur->last >= k->start) {
				if (cur->last > k->last)
					k->last = cur->last;
				break;
			}
		}
		if (j == n)
			out->v[n++] = *cur;
	}
	out->n = n;
	return 0;
nomem:
	free(out->v);
	out->v = NULL;
	out->n = 0;
	return -ENOMEM;
}
