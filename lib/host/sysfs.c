// SPDX-License-Identifier: MIT
/*
 * Discovery from sysfs: PCI devices and mdevs, IOMMU groups, reserved
 * regions.  Layout (Documentation/ABI/testing/sysfs-kernel-iommu_groups,
 * drivers/vfio/device_cdev.c):
 *   bus/pci/devices/BDF/{vendor,device,driver,iommu,iommu_group,vfio-dev/vfioN}
 *   bus/mdev/devices/UUID -> .../PARENT/UUID (same links)
 *   kernel/iommu_groups/N/{devices/,reserved_regions}
 *   class/vfio-dev/vfioN/{dev,device}
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"
#include "sysfs.h"

#define VFIO_CDEV_DIR "/dev/vfio/devices/"

const char *ioasid_sysfs_root(void)
{
	const char *root = getenv("IOASID_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

/* root + formatted rest; false if it does not fit. */
static bool __attribute__((format(printf, 3, 4)))
sysfs_path(char *buf, size_t size, const char *fmt, ...)
{
	int n = snprintf(buf, size, "%s/", ioasid_sysfs_root());
	va_list ap;
	int m;

	if (n < 0 || (size_t)n >= size)
		return false;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	return m >= 0 && (size_t)m < size - n;
}

/* @dir/@name into @out; false (and "" in @out) if it does not fit. */
static bool join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return false;
	}
	return true;
}

/* The first line of a file without its newline; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* Copy @src into @dst of @size bytes, truncating. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The last component of a symlink's target, "" if there is no link. */
static void link_basename(const char *path, char *out, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	out[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	copy_str(out, size, base ? base + 1 : target);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_long_str(const void *a, const void *b)
{
	long x = strtol(*(char *const *)a, NULL, 10);
	long y = strtol(*(char *const *)b, NULL, 10);

	return (x > y) - (x < y);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * The entries of @dir accepted by @keep, sorted with @cmp.  A missing
 * directory is an empty list.  Return: the count, or -ENOMEM.
 */
static int list_dir(const char *dir, bool (*keep)(const char *),
		    int (*cmp)(const void *, const void *), char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (keep && !keep(de->d_name)))
			continue;
		if (n == cap) {
			char **grown = realloc(names, (cap ? cap * 2 : 16) *
							      sizeof(*names));

			if (!grown)
				goto nomem;
			names = grown;
			cap = cap ? cap * 2 : 16;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			goto nomem;
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp);
	*out = names;
	return (int)n;
nomem:
	closedir(d);
	free_names(names, n);
	return ioasid_fail(-ENOMEM, "out of memory listing %s", dir);
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* 8-4-4-4-12 hex digits. */
static bool is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* "DDDD:BB:DD.F" or "BB:DD.F" into the canonical lower-case long form. */
static bool parse_pci_addr(const char *s, char out[IOASID_NAME_MAX])
{
	unsigned int dom = 0, bus, dev, fn;
	int used = 0;

	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
			return false;
	if (sscanf(s, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &used) == 4 &&
	    !s[used] && strchr(s, ':') - s == 4)
		;
	else if (dom = 0, used = 0,
		 sscanf(s, "%x:%x.%x%n", &bus, &dev, &fn, &used) == 3 &&
			 !s[used] && strchr(s, ':') - s == 2)
		;
	else
		return false;
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return false;
	snprintf(out, IOASID_NAME_MAX, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

/* Fields common to PCI devices and mdevs, read from device directory
 * @dir. */
static void read_common(const char *dir, struct ioasid_dev_info *info)
{
	char path[PATH_MAX], group[32];
	char **vfio;
	int n;

	join(path, sizeof(path), dir, "driver");
	link_basename(path, info->driver, sizeof(info->driver));
	join(path, sizeof(path), dir, "iommu");
	link_basename(path, info->iommu, sizeof(info->iommu));
	join(path, sizeof(path), dir, "iommu_group");
	link_basename(path, group, sizeof(group));
	info->group = is_number(group) ? (int32_t)strtol(group, NULL, 10) : -1;

	join(path, sizeof(path), dir, "vfio-dev");
	n = list_dir(path, NULL, cmp_str, &vfio);
	if (n > 0)
		snprintf(info->cdev, sizeof(info->cdev), VFIO_CDEV_DIR "%s",
			 vfio[0]);
	if (n > 0)
		free_names(vfio, n);
}

static void info_reset(struct ioasid_dev_info *info)
{
	size_t sz = info->sz;

	memset(info, 0, sizeof(*info));
	info->sz = sz;
	info->group = -1;
}

static uint16_t read_id(const char *dir, const char *file)
{
	char path[PATH_MAX], line[32];

	if (!join(path, sizeof(path), dir, file))
		return 0;
	if (!read_line(path, line, sizeof(line)))
		return 0;
	return (uint16_t)strtoul(line, NULL, 16);
}

static int pci_info(const char *addr, struct ioasid_dev_info *info)
{
	char dir[PATH_MAX];
	struct stat st;

	if (!sysfs_path(dir, sizeof(dir), "bus/pci/devices/%s", addr) ||
	    stat(dir, &st) < 0)
		return ioasid_fail(-ENODEV, "no PCI device %s", addr);
	info_reset(info);
	snprintf(info->name, sizeof(info->name), "%s", addr);
	info->kind = IOASID_DEV_PCI;
	info->vendor_id = read_id(dir, "vendor");
	info->device_id = read_id(dir, "device");
	read_common(dir, info);
	return 0;
}

static int mdev_info(const char *uuid, struct ioasid_dev_info *info)
{
	char dir[PATH_MAX], real[PATH_MAX];
	char *slash;

	if (!sysfs_path(dir, sizeof(dir), "bus/mdev/devices/%s", uuid) ||
	    !realpath(dir, real))
		return ioasid_fail(-ENODEV, "no mdev %s", uuid);
	info_reset(info);
	snprintf(info->name, sizeof(info->name), "%s", uuid);
	info->kind = IOASID_DEV_MDEV;
	/* An mdev's directory sits inside its parent's. */
	slash = strrchr(real, '/');
	if (slash) {
		*slash = '\0';
		slash = strrchr(real, '/');
		copy_str(info->parent, sizeof(info->parent),
			 slash ? slash + 1 : real);
	}
	read_common(dir, info);
	return 0;
}

static bool keep_uuid(const char *name)
{
	return is_uuid(name);
}

static bool keep_pci(const char *name)
{
	char canon[IOASID_NAME_MAX];

	return parse_pci_addr(name, canon);
}

int ioasid_sysfs_dev_info_at(uint32_t index, struct ioasid_dev_info *info)
{
	uint32_t asked = index;
	char dir[PATH_MAX];
	char **names;
	int n, ret;

	if (!sysfs_path(dir, sizeof(dir), "bus/pci/devices"))
		return ioasid_fail(-ENAMETOOLONG, "sysfs root too long");
	n = list_dir(dir, keep_pci, cmp_str, &names);
	if (n < 0)
		return n;
	if (index < (uint32_t)n) {
		ret = pci_info(names[index], info);
		free_names(names, n);
		return ret;
	}
	free_names(names, n);
	index -= n;

	if (!sysfs_path(dir, sizeof(dir), "bus/mdev/devices"))
		return ioasid_fail(-ENAMETOOLONG, "sysfs root too long");
	n = list_dir(dir, keep_uuid, cmp_str, &names);
	if (n < 0)
		return n;
	if (index < (uint32_t)n)
		ret = mdev_info(names[index], info);
	else
		ret = ioasid_fail(-ENOENT, "no device at index %u (there are %u)",
				  asked, asked - index + (uint32_t)n);
	free_names(names, n);
	return ret;
}

/* PCI config space: extended capabilities start at 0x100, each with a
 * 32-bit header: id in bits 15:0, next offset in bits 31:20. */
#define PCI_CFG_CONVENTIONAL 256
#define PCI_CFG_EXTENDED 4096
#define PCI_EXT_CAP_START 0x100
#define PCI_EXT_CAP_PASID 0x1b

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* 1 found (*@cap_reg set), 0 absent, -EACCES unreadable, -ENODEV. */
static int pasid_cap_of(const char *bdf, uint16_t *cap_reg)
{
	uint8_t cfg[PCI_CFG_EXTENDED];
	char path[PATH_MAX];
	unsigned int pos, hops;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	FILE *f;

	if (!sysfs_path(path, sizeof(path), "bus/pci/devices/%s/config", bdf))
		return -ENODEV;
	f = fopen(path, "re");
	if (!f)
		return errno == EACCES || errno == EPERM ? -EACCES : -ENODEV;
	while (got < sizeof(cfg) &&
	       (n = (ssize_t)fread(cfg + got, 1, sizeof(cfg) - got, f)) > 0)
		got += (size_t)n;
	if (fstat(fileno(f), &st) < 0)
		st.st_size = 0;
	fclose(f);
	/* sysfs sizes the file by the device's config space even when it
	 * gives an unprivileged reader only 64 bytes of it. */
	if (got <= PCI_CFG_CONVENTIONAL &&
	    (got == PCI_CFG_CONVENTIONAL || st.st_size == PCI_CFG_CONVENTIONAL))
		return 0;
	if (got < PCI_EXT_CAP_START + 4)
		return -EACCES;
	for (pos = PCI_EXT_CAP_START, hops = 0;
	     pos >= PCI_EXT_CAP_START && pos + 8 <= got && hops < 512; hops++) {
		uint32_t hdr = le32_at(cfg + pos);

		/* 0: no capabilities; all ones: the device went away. */
		if (hdr == 0 || hdr == 0xffffffffu)
			break;
		if ((hdr & 0xffff) == PCI_EXT_CAP_PASID) {
			*cap_reg = (uint16_t)(cfg[pos + 4] | cfg[pos + 5] << 8);
			return 1;
		}
		pos = (hdr >> 20) & 0xffc;
	}
	return 0;
}

int ioasid_sysfs_pci_pasid(const char *bdf, uint8_t *width, uint16_t *caps)
{
	char path[PATH_MAX], pf[IOASID_NAME_MAX];
	uint16_t reg = 0;
	int rc = pasid_cap_of(bdf, &reg);

	if (rc == 0 &&
	    sysfs_path(path, sizeof(path), "bus/pci/devices/%s/physfn", bdf)) {
		link_basename(path, pf, sizeof(pf));
		if (pf[0])
			rc = pasid_cap_of(pf, &reg);
	}
	if (rc == 1) {
		*width = (uint8_t)((reg >> 8) & 0x1f);
		*caps = reg & 0x6;
	}
	return rc;
}

int ioasid_sysfs_dev_info_get(const char *name, struct ioasid_dev_info *info)
{
	char canon[IOASID_NAME_MAX], path[PATH_MAX], real[PATH_MAX];
	const char *base;

	if (!strncmp(name, VFIO_CDEV_DIR, strlen(VFIO_CDEV_DIR))) {
		base = name + strlen(VFIO_CDEV_DIR);
		if (!*base || strchr(base, '/') ||
		    !sysfs_path(path, sizeof(path), "class/vfio-dev/%s/device",
				base) ||
		    !realpath(path, real))
			return ioasid_fail(-ENODEV,
					   "no VFIO device behind %s (no %s/class/vfio-dev/%s)",
					   name, ioasid_sysfs_root(), base);
		base = strrchr(real, '/');
		base = base ? base + 1 : real;
		if (is_uuid(base))
			return mdev_info(base, info);
		if (parse_pci_addr(base, canon))
			return pci_info(canon, info);
		return ioasid_fail(-ENODEV, "%s belongs to %s, neither a PCI device nor an mdev",
				   name, base);
	}
	if (is_uuid(name)) {
		char lower[IOASID_NAME_MAX];
		size_t i;

		for (i = 0; name[i]; i++)
			lower[i] = (char)tolower((unsigned char)name[i]);
		lower[i] = '\0';
		return mdev_info(lower, info);
	}
	if (parse_pci_addr(name, canon))
		return pci_info(canon, info);
	return ioasid_fail(-EINVAL, "\"%s\" is not a PCI address, an mdev UUID or a VFIO cdev path",
			   name);
}

/*
 * Software-managed MSI windows.  sysfs prints IOMMU_RESV_MSI and
 * IOMMU_RESV_SW_MSI alike as "msi" (iommu.c iommu_group_resv_type_string),
 * but they differ for a VMM: a sw-msi window is one the kernel maps to the
 * doorbell itself, where a guest may not put memory but which is ordinary
 * translation.  The drivers that report one put it at a fixed window
 * (MSI_IOVA_BASE 0x8000000, MSI_IOVA_LENGTH 0x100000 in arm-smmu-v3.h,
 * arm-smmu.c and virtio-iommu.c, Linux 7.3), and name their IOMMU class
 * device by a fixed pattern: "smmu3.%pa" (arm-smmu-v3.c), "smmu.%pa"
 * (arm-smmu.c).  virtio-iommu takes the virtio device's name ("virtio0"),
 * so it is known by its driver, virtio_iommu.  An "msi" region exactly at
 * that window, in a group behind one of these IOMMUs, is sw-msi.  Where
 * the device has no iommu link (the IOMMU did not register in sysfs) the
 * region stays "msi".
 */
#define SYSFS_SW_MSI_START 0x8000000ull
#define SYSFS_SW_MSI_LAST (0x8000000ull + 0x100000ull - 1)

static bool iommu_has_sw_msi_window(const char *name, const char *driver)
{
	static const char *const drivers[] = { "arm-smmu-v3", "arm-smmu",
					       "virtio_iommu" };

	if (!strncmp(name, "smmu3.0x", 8) || !strncmp(name, "smmu.0x", 7))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (!strcmp(driver, drivers[i]))
			return true;
	return false;
}

/* Whether group @group sits behind an IOMMU that reports its MSI window
 * as IOMMU_RESV_SW_MSI (all devices of a group share one IOMMU). */
static bool group_has_sw_msi_iommu(int32_t group)
{
	char dir[PATH_MAX], iommu[PATH_MAX], path[PATH_MAX];
	char name[IOASID_NAME_MAX], driver[IOASID_NAME_MAX];
	char **devs;
	bool fits;
	int n;

	if (!sysfs_path(dir, sizeof(dir), "kernel/iommu_groups/%d/devices",
			group))
		return false;
	n = list_dir(dir, NULL, cmp_str, &devs);
	if (n <= 0)
		return false;
	fits = join(path, sizeof(path), dir, devs[0]) &&
	       join(iommu, sizeof(iommu), path, "iommu");
	free_names(devs, n);
	if (!fits)
		return false;
	link_basename(iommu, name, sizeof(name));
	if (!name[0])
		return false;
	/* The class device's parent is the IOMMU's own device, bound to
	 * the IOMMU driver. */
	driver[0] = '\0';
	if (join(path, sizeof(path), iommu, "device/driver"))
		link_basename(path, driver, sizeof(driver));
	return iommu_has_sw_msi_window(name, driver);
}

/* Parse reserved_regions; *@out is malloc'ed and sorted by start.
 * Return: the count or a negative errno. */
static int read_resv(int32_t group, struct ioasid_resv_region **out)
{
	static const struct {
		const char *name;
		enum ioasid_resv_type type;
	} types[] = {
		{ "direct", IOASID_RESV_DIRECT },
		{ "direct-relaxable", IOASID_RESV_DIRECT_RELAXABLE },
		{ "reserved", IOASID_RESV_RESERVED },
		{ "msi", IOASID_RESV_MSI },
	};
	struct ioasid_resv_region *regions = NULL;
	char path[PATH_MAX], line[256], type[64];
	unsigned long long start, last;
	unsigned int lineno = 0;
	size_t n = 0, cap = 0;
	FILE *f;

	*out = NULL;
	if (!sysfs_path(path, sizeof(path), "kernel/iommu_groups/%d/reserved_regions",
			group))
		return ioasid_fail(-ENAMETOOLONG, "sysfs root too long");
	f = fopen(path, "re");
	if (!f) {
		int err = errno;

		if (err == ENOENT)
			return ioasid_fail(-ENOENT, "no IOMMU group %d", group);
		return ioasid_fail(-err, "%s: %s", path, strerror(err));
	}
	while (fgets(line, sizeof(line), f)) {
		size_t i;

		lineno++;
		if (sscanf(line, "0x%llx 0x%llx %63s", &start, &last, type) != 3 ||
		    last < start) {
			fclose(f);
			free(regions);
			return ioasid_fail(-EIO, "%s:%u: cannot parse \"%.*s\"",
					   path, lineno,
					   (int)strcspn(line, "\n"), line);
		}
		if (n == cap) {
			struct ioasid_resv_region *grown =
				realloc(regions, (cap ? cap * 2 : 8) * sizeof(*regions));

			if (!grown) {
				fclose(f);
				free(regions);
				return ioasid_fail(-ENOMEM, "out of memory");
			}
			regions = grown;
			cap = cap ? cap * 2 : 8;
		}
		for (i = 0; i < ARRAY_SIZE(types); i++)
			if (!strcmp(type, types[i].name))
				break;
		/* A type newer than this library: keep it out of the way of
		 * mappings like a plain reserved region. */
		if (i == ARRAY_SIZE(types))
			ioasid_log(IOASID_DEBUG,
				   "%s:%u: unknown reserved region type \"%s\", treated as reserved",
				   path, lineno, type);
		regions[n] = (struct ioasid_resv_region){
			.start = start,
			.last = last,
			.type = i < ARRAY_SIZE(types) ? types[i].type
						      : IOASID_RESV_RESERVED,
		};
		n++;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		if (regions[i].type != IOASID_RESV_MSI ||
		    regions[i].start != SYSFS_SW_MSI_START ||
		    regions[i].last != SYSFS_SW_MSI_LAST)
			continue;
		if (!group_has_sw_msi_iommu(group))
			break;
		regions[i].type = IOASID_RESV_SW_MSI;
	}
	/* Insertion sort: the kernel already prints them in order. */
	for (size_t i = 1; i < n; i++) {
		struct ioasid_resv_region r = regions[i];
		size_t j = i;

		for (; j > 0 && regions[j - 1].start > r.start; j--)
			regions[j] = regions[j - 1];
		regions[j] = r;
	}
	*out = regions;
	return (int)n;
}

int ioasid_sysfs_group_resv_regions(int32_t group,
				    struct ioasid_resv_region *regions,
				    uint32_t *num)
{
	struct ioasid_resv_region *all;
	int n = read_resv(group, &all);
	uint32_t room = *num;

	if (n < 0)
		return n;
	for (uint32_t i = 0; i < room && i < (uint32_t)n; i++)
		regions[i] = all[i];
	free(all);
	*num = (uint32_t)n;
	if ((uint32_t)n > room)
		return ioasid_fail(-EMSGSIZE,
				   "group %d has %d reserved regions, the array holds %u",
				   group, n, room);
	return 0;
}

int ioasid_sysfs_group_info_at(uint32_t index, struct ioasid_group_info *info)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct ioasid_resv_region *resv;
	char **groups, **devs;
	size_t sz = info->sz;
	int n, ndev, nresv;
	int32_t id;

	if (!sysfs_path(dir, sizeof(dir), "kernel/iommu_groups"))
		return ioasid_fail(-ENAMETOOLONG, "sysfs root too long");
	n = list_dir(dir, is_number, cmp_long_str, &groups);
	if (n < 0)
		return n;
	if (index >= (uint32_t)n) {
		free_names(groups, n);
		return ioasid_fail(-ENOENT, "no IOMMU group at index %u", index);
	}
	id = (int32_t)strtol(groups[index], NULL, 10);
	free_names(groups, n);

	nresv = read_resv(id, &resv);
	if (nresv < 0)
		return nresv;
	free(resv);

	memset(info, 0, sizeof(*info));
	info->sz = sz;
	info->id = id;
	info->num_resv_regions = (uint32_t)nresv;
	snprintf(dir, sizeof(dir), "%s/kernel/iommu_groups/%d/devices",
		 ioasid_sysfs_root(), id);
	ndev = list_dir(dir, NULL, cmp_str, &devs);
	if (ndev < 0)
		return ndev;
	info->num_devices = (uint32_t)ndev;
	/* Every device of a group sits behind the same IOMMU. */
	if (ndev > 0) {
		int len = snprintf(path, sizeof(path), "%s/%s/iommu", dir,
				   devs[0]);

		if (len > 0 && (size_t)len < sizeof(path))
			link_basename(path, info->iommu, sizeof(info->iommu));
		free_names(devs, ndev);
	}
	return 0;
}

int ioasid_sysfs_vfio_devt(const char *vfio_name, dev_t *devt)
{
	char path[PATH_MAX], line[64];
	unsigned int major_nr, minor_nr;
	int used = 0;

	if (strchr(vfio_name, '/') ||
	    !sysfs_path(path, sizeof(path), "class/vfio-dev/%s/dev", vfio_name) ||
	    !read_line(path, line, sizeof(line)))
		return ioasid_fail(-ENODEV, "no VFIO cdev %s in %s/class/vfio-dev",
				   vfio_name, ioasid_sysfs_root());
	if (sscanf(line, "%u:%u%n", &major_nr, &minor_nr, &used) != 2 ||
	    line[used])
		return ioasid_fail(-EIO, "%s: cannot parse \"%s\"", path, line);
	*devt = makedev(major_nr, minor_nr);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Changing a PCI device's driver                                       */

/* Write @text to sysfs file @path; a message names the file. */
static int write_attr(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int err;

	if (!f) {
		err = errno;
		return ioasid_fail(-err, "opening %s for writing: %s%s", path,
				   strerror(err),
				   err == EACCES || err == EPERM ?
					   " (changing drivers needs root)" : "");
	}
	if (fputs(text, f) == EOF || fflush(f) == EOF) {
		err = errno;
		fclose(f);
		return ioasid_fail(-err, "writing \"%s\" to %s: %s", text, path,
				   strerror(err));
	}
	if (fclose(f)) {
		err = errno;
		return ioasid_fail(-err, "writing \"%s\" to %s: %s", text, path,
				   strerror(err));
	}
	return 0;
}

static void current_driver(const char *bdf, char *out, size_t size)
{
	char path[PATH_MAX];

	out[0] = '\0';
	if (sysfs_path(path, sizeof(path), "bus/pci/devices/%s/driver", bdf))
		link_basename(path, out, size);
}

/* Point driver_override at @driver ("" clears it), release the device
 * from its driver, and let the kernel probe it again. */
static int rebind(const char *bdf, const char *driver, const char *bound)
{
	char path[PATH_MAX];
	int rc;

	if (!sysfs_path(path, sizeof(path), "bus/pci/devices/%s/driver_override",
			bdf))
		return ioasid_fail(-ENAMETOOLONG, "sysfs path too long");
	rc = write_attr(path, *driver ? driver : "\n");
	if (rc)
		return rc;
	if (*bound) {
		if (!sysfs_path(path, sizeof(path), "bus/pci/devices/%s/driver/unbind",
				bdf))
			return ioasid_fail(-ENAMETOOLONG, "sysfs path too long");
		rc = write_attr(path, bdf);
		if (rc)
			return rc;
	}
	if (!sysfs_path(path, sizeof(path), "bus/pci/drivers_probe"))
		return ioasid_fail(-ENAMETOOLONG, "sysfs path too long");
	/* A probe that finds no willing driver is not an error here: the
	 * check below says what happened. */
	write_attr(path, bdf);
	return 0;
}

int ioasid_sysfs_set_driver(const char *bdf, const char *driver, bool force)
{
	char bound[IOASID_NAME_MAX], old_override[IOASID_NAME_MAX];
	char now[IOASID_NAME_MAX], path[PATH_MAX];
	int rc;

	current_driver(bdf, bound, sizeof(bound));
	if (driver && !strcmp(bound, driver))
		return 0;
	if (!driver && *bound && strcmp(bound, "vfio-pci"))
		return 0; /* already with a host driver */
	if (driver && *bound && strcmp(bound, "vfio-pci") && !force)
		return ioasid_fail(-EBUSY,
				   "device %s is in use by host driver %s; taking it away stops whatever the host does with it (force it if that is intended)",
				   bdf, bound);
	old_override[0] = '\0';
	if (sysfs_path(path, sizeof(path), "bus/pci/devices/%s/driver_override",
		       bdf) &&
	    read_line(path, old_override, sizeof(old_override)) &&
	    !strcmp(old_override, "(null)"))
		old_override[0] = '\0';

	rc = rebind(bdf, driver ? driver : "", bound);
	if (rc)
		goto undo;
	current_driver(bdf, now, sizeof(now));
	if (driver && strcmp(now, driver)) {
		rc = ioasid_fail(-ENOENT,
				 "driver %s did not take device %s (is the module loaded, and does it support the device?)",
				 driver, bdf);
		goto undo;
	}
	return 0;
undo:
	/* Give the device back what it had: its override, and its driver if
	 * it lost it.  The message of the first failure stays. */
	{
		char keep[512];

		snprintf(keep, sizeof(keep), "%s", ioasid_errmsg());
		current_driver(bdf, now, sizeof(now));
		if (strcmp(now, bound))
			rebind(bdf, old_override, now);
		else if (sysfs_path(path, sizeof(path),
				    "bus/pci/devices/%s/driver_override", bdf))
			write_attr(path, *old_override ? old_override : "\n");
		ioasid_fail(rc, "%s", keep);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* The kernel backend's view of an IOMMU                                */

static int read_hex_file(const char *path, uint64_t *val)
{
	char buf[64];
	FILE *f = fopen(path, "re");
	char *end;

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	errno = 0;
	*val = strtoull(buf, &end, 16);
	if (errno || end == buf)
		return -EIO;
	return 0;
}

int ioasid_sysfs_iommu_info(const char *name, struct ioasid_iommu_info *info)
{
	IOASID_OPTS(ioasid_dev_info, dinfo);
	char path[512];
	uint64_t cap = 0;
	long page = sysconf(_SC_PAGESIZE);
	int rc;

	rc = ioasid_sysfs_dev_info_get(name, &dinfo);
	if (rc)
		return rc;
	if (!dinfo.iommu[0])
		return ioasid_fail(-ENODEV, "device %s has no IOMMU", name);
	memcpy(info->name, dinfo.iommu, sizeof(info->name));
	/* Estimates, unless the hardware says better below: 48-bit
	 * translation and CPU-page granules are what x86 and ARM IOMMUs
	 * offer by default. */
	info->aperture_start = 0;
	info->aperture_last = (1ull << 48) - 1;
	info->page_sizes = page > 0 ? (uint64_t)page : 4096;
	info->pasid_width = dinfo.pasid_width;
	info->flags = 0;
	info->msi_banks = 0; /* no PAMU under iommufd */
	info->msi_bank_size = 0;

	/* VT-d: MGAW (bits 21:16, width - 1) and second-level large pages
	 * (SLLPS, bits 37:34: 2M, 1G). */
	snprintf(path, sizeof(path), "%s/class/iommu/%s/intel-iommu/cap",
		 ioasid_sysfs_root(), dinfo.iommu);
	if (read_hex_file(path, &cap) == 0) {
		unsigned int mgaw = (unsigned int)((cap >> 16) & 0x3f) + 1;

		if (mgaw >= 32 && mgaw < 64)
			info->aperture_last = (1ull << mgaw) - 1;
		info->page_sizes = 1ull << 12;
		if (cap & (1ull << 34))
			info->page_sizes |= 1ull << 21;
		if (cap & (1ull << 35))
			info->page_sizes |= 1ull << 30;
		info->flags |= IOASID_IOMMU_APERTURE_KNOWN |
			       IOASID_IOMMU_PAGE_SIZES_KNOWN;
	}
	return 0;
}
