// SPDX-License-Identifier: MIT
/*
 * ioasid.conf(5), the operator's configuration file.
 *
 * Read like the topology files (lib/topology.c): the text is checked here
 * line by line first, so that every mistake gets a FILE:LINE message and
 * iniparser never has a reason to print through its process-wide error
 * callback, which this library leaves alone because the VMM may use
 * iniparser too.  iniparser then reads the very text that was checked,
 * from a memfd (4.1 reads only named files), and supplies the values;
 * numbers are parsed here, without octal.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iniparser.h>

#include "config.h"
#include "internal.h"
#include "pasid.h"

/* iniparser 4.1 reads lines into a 1024-byte buffer, newline included. */
#define CFG_LINE_MAX 1023
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

struct cfg_key {
	char name[16];
	unsigned int line;
};

struct cfg_sec {
	enum cfg_sec_kind kind;
	char name[IOASID_NAME_MAX];	 /* canonical device name, "" */
	char ininame[IOASID_NAME_MAX + 8]; /* iniparser's section name */
	unsigned int line;
	struct cfg_key keys[ARRAY_SIZE(cfg_keys[0])];
	unsigned int num_keys;
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

struct cfg_scan {
	const char *file;
	struct cfg_sec *secs;
	unsigned int num_secs;
};

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static bool is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "mock", "mockN", optionally ":flag,flag" (the kernel backend checks the
 * flags); the simulator's [mock NAME] devices are named freely, but a
 * configuration for them uses the same names. */
static bool is_mock_name(const char *s)
{
	return !strncmp(s, "mock", 4);
}

/* Decimal or 0x hex; a leading 0 on a decimal number is refused rather
 * than read as octal (iniparser's getint would) or as decimal. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	unsigned int base = 10, digits = 0;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		return -EINVAL;
	}
	for (; *s; s++, digits++) {
		unsigned int d;

		if (isdigit((unsigned char)*s))
			d = (unsigned int)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned int)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (!digits)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pre-scan                                                             */

static int scan_section(struct cfg_scan *s, unsigned int line, char *text)
{
	char *end = strchr(text, ']'), *kind, *name;
	struct cfg_sec *sec, *secs;
	char canon[IOASID_NAME_MAX];
	unsigned int k;

	if (!end)
		return ioasid_fail(-EINVAL, "%s:%u: missing ']'", s->file, line);
	if (*trim(end + 1))
		return ioasid_fail(-EINVAL, "%s:%u: text after ']'", s->file,
				   line);
	*end = '\0';
	/* iniparser lower-cases section names: so do we, before comparing. */
	lower(text);
	kind = trim(text);
	name = kind + strcspn(kind, " \t");
	if (*name)
		*name++ = '\0';
	name = trim(name);
	for (k = 0; k < ARRAY_SIZE(cfg_sec_names); k++)
		if (!strcmp(kind, cfg_sec_names[k]))
			break;
	if (k == ARRAY_SIZE(cfg_sec_names))
		return ioasid_fail(-EINVAL,
				   "%s:%u: unknown section [%s] (defaults or device)",
				   s->file, line, kind);
	if (k == CFG_DEFAULTS && *name)
		return ioasid_fail(-EINVAL, "%s:%u: section [defaults] takes no name",
				   s->file, line);
	canon[0] = '\0';
	if (k == CFG_DEVICE) {
		if (!*name)
			return ioasid_fail(-EINVAL,
					   "%s:%u: section [device] needs a device name: [device 0000:00:04.0]",
					   s->file, line);
		if (name[strcspn(name, " \t")])
			return ioasid_fail(-EINVAL, "%s:%u: device name '%s' contains a space",
					   s->file, line, name);
		if (strlen(name) >= IOASID_NAME_MAX)
			return ioasid_fail(-EINVAL, "%s:%u: device name '%s' is too long",
					   s->file, line, name);
		if (ioasid_parse_pci_addr(name, canon) != 0) {
			if (!is_uuid(name) && !is_mock_name(name))
				return ioasid_fail(-EINVAL,
						   "%s:%u: '%s' is not a PCI address (0000:00:04.0), an mdev UUID or a mock device name",
						   s->file, line, name);
			snprintf(canon, sizeof(canon), "%s", name);
		}
	}
	for (unsigned int i = 0; i < s->num_secs; i++)
		if (s->secs[i].kind == (enum cfg_sec_kind)k &&
		    !strcmp(s->secs[i].name, canon))
			return ioasid_fail(-EINVAL,
					   "%s:%u: duplicate section [%s%s%s] (first at line %u)",
					   s->file, line, kind, *canon ? " " : "",
					   canon, s->secs[i].line);
	secs = realloc(s->secs, (s->num_secs + 1) * sizeof(*secs));
	if (!secs)
		return ioasid_fail(-ENOMEM, "out of memory");
	s->secs = secs;
	sec = &secs[s->num_secs++];
	memset(sec, 0, sizeof(*sec));
	sec->kind = (enum cfg_sec_kind)k;
	sec->line = line;
	snprintf(sec->name, sizeof(sec->name), "%s", canon);
	snprintf(sec->ininame, sizeof(sec->ininame), "%s%s%s", kind,
		 *name ? " " : "", name);
	return 0;
}

static int scan_key(struct cfg_scan *s, unsigned int line, char *text)
{
	char *eq = strchr(text, '='), *key, *value;
	struct cfg_sec *sec;
	unsigned int i;

	if (!s->num_secs)
		return ioasid_fail(-EINVAL,
				   "%s:%u: key outside any section ([defaults] or [device NAME] first)",
				   s->file, line);
	sec = &s->secs[s->num_secs - 1];
	if (!eq)
		return ioasid_fail(-EINVAL, "%s:%u: expected 'key = value' or '[section]'",
				   s->file, line);
	*eq = '\0';
	key = trim(text);
	lower(key);
	/* iniparser ends an unquoted value at ';' or '#'. */
	value = eq + 1;
	value[strcspn(value, ";#")] = '\0';
	value = trim(value);
	if (!*key)
		return ioasid_fail(-EINVAL, "%s:%u: missing key before '='",
				   s->file, line);
	for (i = 0; i < ARRAY_SIZE(cfg_keys[0]) && cfg_keys[sec->kind][i]; i++)
		if (!strcmp(key, cfg_keys[sec->kind][i]))
			break;
	if (i == ARRAY_SIZE(cfg_keys[0]) || !cfg_keys[sec->kind][i])
		return ioasid_fail(-EINVAL, "%s:%u: unknown key '%s' in [%s] section",
				   s->file, line, key,
				   cfg_sec_names[sec->kind]);
	if (!*value)
		return ioasid_fail(-EINVAL, "%s:%u: key '%s' has no value",
				   s->file, line, key);
	if (strpbrk(value, "\"'"))
		return ioasid_fail(-EINVAL, "%s:%u: quotes are not supported",
				   s->file, line);
	for (i = 0; i < sec->num_keys; i++)
		if (!strcmp(sec->keys[i].name, key))
			return ioasid_fail(-EINVAL,
					   "%s:%u: duplicate key '%s' (first at line %u)",
					   s->file, line, key, sec->keys[i].line);
	snprintf(sec->keys[sec->num_keys].name, sizeof(sec->keys[0].name), "%s",
		 key);
	sec->keys[sec->num_keys++].line = line;
	return 0;
}

static int scan_text(struct cfg_scan *s, const char *text, size_t len)
{
	unsigned int line = 0;
	size_t pos = 0;

	if (memchr(text, '\0', len))
		return ioasid_fail(-EINVAL, "%s: contains a NUL byte", s->file);
	while (pos < len) {
		size_t n = strcspn(text + pos, "\n");
		char buf[CFG_LINE_MAX + 1], *l;
		int rc;

		line++;
		if (n > CFG_LINE_MAX)
			return ioasid_fail(-EINVAL,
					   "%s:%u: line longer than %u characters",
					   s->file, line, CFG_LINE_MAX);
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + 1;
		for (const char *p = buf; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\r')
				return ioasid_fail(-EINVAL, "%s:%u: control character",
						   s->file, line);
		l = trim(buf);
		if (!*l || *l == '#' || *l == ';')
			continue;
		/* iniparser would join the next line to this one. */
		if (l[strlen(l) - 1] == '\\')
			return ioasid_fail(-EINVAL,
					   "%s:%u: line continuation '\\' is not supported",
					   s->file, line);
		rc = *l == '[' ? scan_section(s, line, l + 1) : scan_key(s, line, l);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Values                                                               */

struct cfg_loader {
	struct cfg_scan scan;
	dictionary *ini;
	struct ioasid_config *cfg;
	const struct cfg_sec *sec;
};

static const char *get(struct cfg_loader *ld, const char *key)
{
	char full[IOASID_NAME_MAX + 48];

	snprintf(full, sizeof(full), "%s:%s", ld->sec->ininame, key);
	return iniparser_getstring(ld->ini, full, NULL);
}

static unsigned int key_line(const struct cfg_sec *sec, const char *key)
{
	for (unsigned int i = 0; i < sec->num_keys; i++)
		if (!strcmp(sec->keys[i].name, key))
			return sec->keys[i].line;
	return sec->line;
}

#define CFG_FAIL(ld, key, fmt, ...)                                          \
	ioasid_fail(-EINVAL, "%s:%u: " fmt, (ld)->scan.file,                 \
		    key_line((ld)->sec, key), ##__VA_ARGS__)

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
		if (!strcasecmp(v, ioasid_dev_class_name((enum ioasid_dev_class)c))) {
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
	bool mdev = is_uuid(ld->sec->name);
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

/* iniparser reads the text already checked, through a memfd: it never
 * opens the file again (which could have changed, and whose failure it
 * would print). */
static int ini_from_text(const char *file, const char *text, size_t len,
			 dictionary **ini)
{
	char path[64];
	int fd = memfd_create("ioasid-conf", MFD_CLOEXEC);
	int rc = 0;

	if (fd < 0 || (len && write(fd, text, len) != (ssize_t)len)) {
		rc = ioasid_fail(-errno, "%s: cannot write a memfd: %s", file,
				 strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	*ini = iniparser_load(path);
	if (!*ini)
		rc = ioasid_fail(-EINVAL, "%s: iniparser could not read it", file);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int ioasid_config_load(const char *path, struct ioasid_config **out)
{
	struct cfg_loader ld = { .scan.file = path };
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_text(path, &text, &len);
	if (!rc)
		rc = scan_text(&ld.scan, text, len);
	if (!rc)
		rc = ini_from_text(path, text, len, &ld.ini);
	free(text);
	if (rc)
		goto out;
	/* The pre-scan and iniparser must agree on every section (found
	 * from the pre-scan: iniparser_getsecname() skips names with a ':',
	 * and PCI addresses have two). */
	for (unsigned int i = 0; i < ld.scan.num_secs; i++) {
		const struct cfg_sec *sec = &ld.scan.secs[i];

		if (!iniparser_find_entry(ld.ini, sec->ininame) ||
		    iniparser_getsecnkeys(ld.ini, sec->ininame) !=
			    (int)sec->num_keys) {
			rc = ioasid_fail(-EINVAL, "%s:%u: iniparser read this section differently",
					 path, sec->line);
			goto out;
		}
	}
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
	if (ld.ini)
		iniparser_freedict(ld.ini);
	free(ld.scan.secs);
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
