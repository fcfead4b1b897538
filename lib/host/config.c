// SPDX-License-Identifier: MIT
/*
 * ioasid.conf(5), the operator's configuration file.
 *
 * Read like the topology files, through lib/host/ini.c: the text is checked
 * line by line first, so that every mistake gets a FILE:LINE message and
 * iniparser never has a reason to print through its process-wide error
 * callback, which this library leaves alone because the VMM may use
 * iniparser too.  iniparser then reads the very text that was checked
 * and supplies the values; numbers are parsed without octal or suffixes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ini.h"
#include "util.h"
#include "pasid.h"

/* A configuration file is a few lines; refuse anything absurd. */
#define CFG_SIZE_MAX (1u << 20)

enum cfg_sec_kind { CFG_DEFAULTS, CFG_DEVICE };

static const char *const cfg_sec_names[] = {
	[CFG_DEFAULTS] = "defaults",
	[CFG_DEVICE] = "device",
};

static const char *const cfg_keys[][4] = {
	[CFG_DEFAULTS] = { "backend", "topology" },
	[CFG_DEVICE] = { "class", "pasid_width", "pasid" },
};

struct cfg_dev {
	char name[IOASID_NAME_MAX];
	bool has_class, has_width, has_pasid;
	enum ioasid_dev_class cls;
	uint8_t width;
	uint32_t pasid;
};

struct ioasid_config {
	char *path;
	enum ioasid_backend backend;
	char *topology;
	struct cfg_dev *devs;
	unsigned int num_devs;
};

/* "mock", "mockN", optionally ":flag,flag" (the kernel backend checks the
 * flags); the simulator's [mock NAME] devices are named freely, but a
 * configuration for them uses the same names. */
static bool is_mock_name(const char *s)
{
	return !strncmp(s, "mock", 4);
}

/* Decimal or 0x hex (no K/M/G/T: these are not sizes), at most @max. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int rc = ini_parse_u64(s, &v);

	if (!rc && v > max)
		rc = -ERANGE;
	if (!rc)
		*out = v;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Sections and keys                                                    */

static int cfg_section(const struct ini_file *f, unsigned int line,
		       const char *kind, const char *name,
		       unsigned int *kind_out, char canon[IOASID_NAME_MAX])
{
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(cfg_sec_names); k++)
		if (!strcmp(kind, cfg_sec_names[k]))
			break;
	if (k == ARRAY_SIZE(cfg_sec_names))
		return ioasid_fail(-EINVAL,
				   "%s:%u: unknown section [%s] (defaults or device)",
				   f->file, line, kind);
	if (k == CFG_DEFAULTS && *name)
		return ioasid_fail(-EINVAL, "%s:%u: section [defaults] takes no name",
				   f->file, line);
	if (k == CFG_DEVICE) {
		if (!*name)
			return ioasid_fail(-EINVAL,
					   "%s:%u: section [device] needs a device name: [device 0000:00:04.0]",
					   f->file, line);
		if (name[strcspn(name, " \t")])
			return ioasid_fail(-EINVAL, "%s:%u: device name '%s' contains a space",
					   f->file, line, name);
		if (strlen(name) >= IOASID_NAME_MAX)
			return ioasid_fail(-EINVAL, "%s:%u: device name '%s' is too long",
					   f->file, line, name);
		if (ioasid_parse_pci_addr(name, canon) != 0) {
			if (!ini_is_uuid(name) && !is_mock_name(name))
				return ioasid_fail(-EINVAL,
						   "%s:%u: '%s' is not a PCI address (0000:00:04.0), an mdev UUID or a mock device name",
						   f->file, line, name);
			snprintf(canon, IOASID_NAME_MAX, "%s", name);
		}
	}
	*kind_out = k;
	return 0;
}

static int cfg_key(const struct ini_file *f, unsigned int line,
		   const struct ini_sec *sec, const char *key)
{
	return ini_check_key(f, line, cfg_sec_names[sec->kind],
			     cfg_keys[sec->kind], ARRAY_SIZE(cfg_keys[0]), key);
}

static const struct ini_rules cfg_rules = {
	.outside_hint = " ([defaults] or [device NAME] first)",
	.section = cfg_section,
	.key = cfg_key,
};

/* ------------------------------------------------------------------ */
/* Values                                                               */

struct cfg_loader {
	struct ini_file scan;
	struct ioasid_config *cfg;
	const struct ini_sec *sec;
};

static const char *get(struct cfg_loader *ld, const char *key)
{
	return ini_get(&ld->scan, ld->sec, key);
}

#define CFG_FAIL(ld, key, fmt, ...)                                          \
	INI_KEY_FAIL(&(ld)->scan, (ld)->sec, key, fmt, ##__VA_ARGS__)

static int load_defaults(struct cfg_loader *ld)
{
	struct ioasid_config *cfg = ld->cfg;
	const char *backend = get(ld, "backend");
	const char *topo = get(ld, "topology");

	if (backend) {
		if (!strcasecmp(backend, "kernel"))
			cfg->backend = IOASID_BACKEND_KERNEL;
		else if (!strcasecmp(backend, "sim"))
			cfg->backend = IOASID_BACKEND_SIM;
		else
			return CFG_FAIL(ld, "backend",
					"backend = %s: expected kernel or sim",
					backend);
	}
	if (topo) {
		const char *slash = strrchr(ld->scan.file, '/');

		/* A relative path is relative to this file, not to the
		 * working directory of whichever program reads it. */
		if (topo[0] == '/' || !slash)
			cfg->topology = strdup(topo);
		else if (asprintf(&cfg->topology, "%.*s/%s",
				  (int)(slash - ld->scan.file), ld->scan.file,
				  topo) < 0)
			cfg->topology = NULL;
		if (!cfg->topology)
			return ioasid_fail(-ENOMEM, "out of memory");
	}
	return 0;
}

static int load_class(struct cfg_loader *ld, const char *v,
		      enum ioasid_dev_class *cls)
{
	uint64_t n;

	for (int c = IOASID_CLASS_RID_ONLY; c <= IOASID_CLASS_PASID_CPU_TRANSLATE; c++)
		if (!strcasecmp(v, dev_class_name((enum ioasid_dev_class)c))) {
			*cls = (enum ioasid_dev_class)c;
			return 0;
		}
	if (parse_num(v, IOASID_CLASS_PASID_CPU_TRANSLATE, &n))
		return CFG_FAIL(ld, "class",
				"class = %s: expected 0 to 5 or a class name (rid-only, mdev-no-pasid, mdev-fixed-pasid, pasid-passthrough, pasid-dev-translate, pasid-cpu-translate)",
				v);
	*cls = (enum ioasid_dev_class)n;
	return 0;
}

static int load_device(struct cfg_loader *ld)
{
	struct ioasid_config *cfg = ld->cfg;
	struct cfg_dev *d = &cfg->devs[cfg->num_devs];
	const char *cls = get(ld, "class"), *width = get(ld, "pasid_width");
	const char *pasid = get(ld, "pasid");
	bool mdev = ini_is_uuid(ld->sec->name);
	uint64_t n;
	int rc;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", ld->sec->name);
	if (!ld->sec->num_keys)
		return ioasid_fail(-EINVAL, "%s:%u: section [device %s] sets nothing",
				   ld->scan.file, ld->sec->line, d->name);
	if (cls) {
		rc = load_class(ld, cls, &d->cls);
		if (rc)
			return rc;
		d->has_class = true;
		if (!mdev && (d->cls == IOASID_CLASS_MDEV_NO_PASID ||
			      d->cls == IOASID_CLASS_MDEV_FIXED_PASID))
			return CFG_FAIL(ld, "class",
					"class = %s is a class of mdevs; %s is a physical device",
					cls, d->name);
	}
	if (width) {
		rc = parse_num(width, IOASID_PASID_WIDTH_MAX, &n);
		if (rc == -ERANGE)
			return CFG_FAIL(ld, "pasid_width",
					"pasid_width = %s is out of range (0 to %u)",
					width, IOASID_PASID_WIDTH_MAX);
		if (rc)
			return CFG_FAIL(ld, "pasid_width",
					"pasid_width = %s is not a number", width);
		d->width = (uint8_t)n;
		d->has_width = true;
	}
	if (pasid) {
		rc = parse_num(pasid, (1u << IOASID_PASID_WIDTH_MAX) - 1, &n);
		if (!rc && n == IOASID_NO_PASID)
			rc = -ERANGE;
		if (rc == -ERANGE)
			return CFG_FAIL(ld, "pasid",
					"pasid = %s is out of range (1 to %#x)",
					pasid, (1u << IOASID_PASID_WIDTH_MAX) - 1);
		if (rc)
			return CFG_FAIL(ld, "pasid", "pasid = %s is not a number",
					pasid);
		if (!d->has_class || d->cls != IOASID_CLASS_MDEV_FIXED_PASID)
			return CFG_FAIL(ld, "pasid",
					"pasid needs class = 2 (mdev-fixed-pasid)");
		d->pasid = (uint32_t)n;
		d->has_pasid = true;
	} else if (d->has_class && d->cls == IOASID_CLASS_MDEV_FIXED_PASID) {
		return CFG_FAIL(ld, "class",
				"class = 2 (mdev-fixed-pasid) needs 'pasid =', the PASID the host sets at bind");
	}
	cfg->num_devs++;
	return 0;
}

static int read_text(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	size_t n;
	int err;

	if (!f) {
		err = errno;
		return ioasid_fail(-err, "%s: %s", path, strerror(err));
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return ioasid_fail(-EISDIR, "%s: is a directory", path);
	}
	*text = malloc(CFG_SIZE_MAX + 1);
	if (!*text) {
		fclose(f);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	n = fread(*text, 1, CFG_SIZE_MAX + 1, f);
	err = ferror(f) ? errno : 0;
	fclose(f);
	if (err || n > CFG_SIZE_MAX) {
		free(*text);
		*text = NULL;
		if (err)
			return ioasid_fail(-err, "%s: %s", path, strerror(err));
		return ioasid_fail(-EINVAL, "%s: larger than %u bytes", path,
				   CFG_SIZE_MAX);
	}
	(*text)[n] = '\0';
	*len = n;
	return 0;
}

int ioasid_config_load(const char *path, struct ioasid_config **out)
{
	struct cfg_loader ld = { .scan = { .file = path, .rules = &cfg_rules } };
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_text(path, &text, &len);
	if (!rc)
		rc = ini_parse(&ld.scan, text, len);
	free(text);
	if (rc)
		goto out;
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (ld.cfg)
		ld.cfg->path = strdup(path);
	if (ld.cfg && ld.scan.num_secs)
		ld.cfg->devs = calloc(ld.scan.num_secs, sizeof(*ld.cfg->devs));
	if (!ld.cfg || !ld.cfg->path || (ld.scan.num_secs && !ld.cfg->devs)) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < ld.scan.num_secs && !rc; i++) {
		ld.sec = &ld.scan.secs[i];
		rc = ld.sec->kind == CFG_DEFAULTS ? load_defaults(&ld)
						  : load_device(&ld);
	}
out:
	ini_release(&ld.scan);
	if (rc) {
		ioasid_config_free(ld.cfg);
		return rc;
	}
	*out = ld.cfg;
	return 0;
}

int ioasid_config_open(const char *path, struct ioasid_config **out)
{
	*out = NULL;
	if (!path) {
		path = getenv("IOASID_CONFIG");
		if (!path) {
			/* The default file is optional. */
			if (access(IOASID_CONFIG_DEFAULT_PATH, F_OK) != 0)
				return 0;
			path = IOASID_CONFIG_DEFAULT_PATH;
		}
	}
	if (!*path)
		return 0;
	return ioasid_config_load(path, out);
}

void ioasid_config_free(struct ioasid_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->topology);
	free(cfg->devs);
	free(cfg);
}

const char *ioasid_config_path(const struct ioasid_config *cfg)
{
	return cfg ? cfg->path : NULL;
}

enum ioasid_backend ioasid_config_backend(const struct ioasid_config *cfg)
{
	return cfg ? cfg->backend : IOASID_BACKEND_DEFAULT;
}

const char *ioasid_config_topology(const struct ioasid_config *cfg)
{
	return cfg ? cfg->topology : NULL;
}

#define INFO_HAS(info, field)                                               \
	((info)->sz >= offsetof(struct ioasid_dev_info, field) +            \
			       sizeof((info)->field))

bool ioasid_config_apply_dev(const struct ioasid_config *cfg,
			     struct ioasid_dev_info *info)
{
	const struct cfg_dev *d = NULL;

	if (!cfg)
		return false;
	for (unsigned int i = 0; i < cfg->num_devs && !d; i++)
		if (!strcasecmp(cfg->devs[i].name, info->name))
			d = &cfg->devs[i];
	if (!d)
		return false;
	if (d->has_width && INFO_HAS(info, pasid_width))
		info->pasid_width = d->width;
	if (d->has_pasid && INFO_HAS(info, fixed_pasid))
		info->fixed_pasid = d->pasid;
	if (d->has_class && INFO_HAS(info, dev_class)) {
		info->dev_class = d->cls;
		ioasid_dev_class_finish(info, IOASID_CLASS_SRC_CONFIG);
	}
	return true;
}
