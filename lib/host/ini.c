// SPDX-License-Identifier: MIT
/*
 * The pre-scan and iniparser loading shared by ioasid.conf(5) and the
 * topology files: see lib/host/ini.h.
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
#include <unistd.h>

#include "ini.h"
#include "util.h"

/* iniparser 4.1 reads lines into a 1024-byte buffer, newline included. */
#define INI_LINE_MAX 1023

char *ini_trim(char *s)
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

static int parse_number(const char *s, bool suffix, uint64_t *out)
{
	static const char units[] = "KMGT";
	uint64_t v = 0;
	const char *p = s;
	unsigned int base = 10, digits = 0, shift = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && isdigit((unsigned char)p[1])) {
		return -EINVAL;
	}
	for (;; p++, digits++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = (unsigned int)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (!digits)
		return -EINVAL;
	if (suffix && *p) {
		const char *unit = strchr(units, toupper((unsigned char)*p));

		if (!unit)
			return -EINVAL;
		shift = 10 * (unsigned int)(unit - units + 1);
		p++;
	}
	if (*p)
		return -EINVAL;
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int ini_parse_u64(const char *s, uint64_t *out)
{
	return parse_number(s, false, out);
}

int ini_parse_size(const char *s, uint64_t *out)
{
	return parse_number(s, true, out);
}

bool ini_is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int ini_check_key(const struct ini_file *f, unsigned int line,
		  const char *kind, const char *const *keys, unsigned int n,
		  const char *key)
{
	for (unsigned int i = 0; i < n && keys[i]; i++)
		if (!strcmp(key, keys[i]))
			return 0;
	return ioasid_fail(-EINVAL, "%s:%u: unknown key '%s' in [%s] section",
			   f->file, line, key, kind);
}

/* ------------------------------------------------------------------ */
/* Pre-scan                                                             */

static int scan_section(struct ini_file *f, unsigned int line, char *text)
{
	char *end = strchr(text, ']'), *kind, *name;
	struct ini_sec *sec, *secs;
	char canon[IOASID_NAME_MAX] = "";
	unsigned int k;
	int rc;

	if (!end)
		return ioasid_fail(-EINVAL, "%s:%u: missing ']'", f->file, line);
	if (*ini_trim(end + 1))
		return ioasid_fail(-EINVAL, "%s:%u: text after ']'", f->file,
				   line);
	*end = '\0';
	/* iniparser lower-cases section names: so do we, before comparing. */
	lower(text);
	kind = ini_trim(text);
	name = kind + strcspn(kind, " \t");
	if (*name)
		*name++ = '\0';
	name = ini_trim(name);
	rc = f->rules->section(f, line, kind, name, &k, canon);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < f->num_secs; i++)
		if (f->secs[i].kind == k && !strcmp(f->secs[i].name, canon))
			return ioasid_fail(-EINVAL,
					   "%s:%u: duplicate section [%s%s%s] (first at line %u)",
					   f->file, line, kind, *canon ? " " : "",
					   canon, f->secs[i].line);
	secs = realloc(f->secs, (f->num_secs + 1) * sizeof(*secs));
	if (!secs)
		return ioasid_fail(-ENOMEM, "out of memory");
	f->secs = secs;
	sec = &secs[f->num_secs++];
	memset(sec, 0, sizeof(*sec));
	sec->kind = k;
	sec->line = line;
	snprintf(sec->name, sizeof(sec->name), "%s", canon);
	snprintf(sec->ininame, sizeof(sec->ininame), "%s%s%s", kind,
		 *name ? " " : "", name);
	return 0;
}

static int scan_key(struct ini_file *f, unsigned int line, char *text)
{
	char *eq = strchr(text, '='), *key, *value;
	struct ini_sec *sec;
	struct ini_key *keys;
	int rc;

	if (!f->num_secs)
		return ioasid_fail(-EINVAL, "%s:%u: key outside any section%s",
				   f->file, line, f->rules->outside_hint);
	sec = &f->secs[f->num_secs - 1];
	if (!eq)
		return ioasid_fail(-EINVAL, "%s:%u: expected 'key = value' or '[section]'",
				   f->file, line);
	*eq = '\0';
	key = ini_trim(text);
	lower(key);
	/* iniparser ends an unquoted value at ';' or '#'. */
	value = eq + 1;
	value[strcspn(value, ";#")] = '\0';
	value = ini_trim(value);
	if (!*key)
		return ioasid_fail(-EINVAL, "%s:%u: missing key before '='",
				   f->file, line);
	rc = f->rules->key(f, line, sec, key);
	if (rc)
		return rc;
	if (!*value)
		return ioasid_fail(-EINVAL, "%s:%u: key '%s' has no value",
				   f->file, line, key);
	if (strpbrk(value, "\"'"))
		return ioasid_fail(-EINVAL, "%s:%u: quotes are not supported",
				   f->file, line);
	for (unsigned int i = 0; i < sec->num_keys; i++)
		if (!strcmp(sec->keys[i].name, key))
			return ioasid_fail(-EINVAL,
					   "%s:%u: duplicate key '%s' (first at line %u)",
					   f->file, line, key, sec->keys[i].line);
	keys = realloc(sec->keys, (sec->num_keys + 1) * sizeof(*keys));
	if (!keys)
		return ioasid_fail(-ENOMEM, "out of memory");
	sec->keys = keys;
	snprintf(keys[sec->num_keys].name, sizeof(keys[0].name), "%s", key);
	keys[sec->num_keys++].line = line;
	return 0;
}

static int scan_text(struct ini_file *f, const char *text, size_t len)
{
	unsigned int line = 0;
	size_t pos = 0;

	if (memchr(text, '\0', len))
		return ioasid_fail(-EINVAL, "%s: contains a NUL byte", f->file);
	while (pos < len) {
		/* @text need not end with a NUL (a file read into a buffer). */
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char buf[INI_LINE_MAX + 1], *l;
		int rc;

		line++;
		if (n > INI_LINE_MAX)
			return ioasid_fail(-EINVAL,
					   "%s:%u: line longer than %u characters",
					   f->file, line, INI_LINE_MAX);
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + 1;
		for (const char *p = buf; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\r')
				return ioasid_fail(-EINVAL, "%s:%u: control character",
						   f->file, line);
		l = ini_trim(buf);
		if (!*l || *l == '#' || *l == ';')
			continue;
		/* iniparser would join the next line to this one. */
		if (l[strlen(l) - 1] == '\\')
			return ioasid_fail(-EINVAL,
					   "%s:%u: line continuation '\\' is not supported",
					   f->file, line);
		rc = *l == '[' ? scan_section(f, line, l + 1) : scan_key(f, line, l);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* iniparser                                                            */

static int load_text(struct ini_file *f, const char *text, size_t len)
{
	char path[64];
	int fd = memfd_create("ioasid-ini", MFD_CLOEXEC);
	int rc = 0;

	if (fd < 0 || (len && write(fd, text, len) != (ssize_t)len)) {
		rc = ioasid_fail(-errno, "%s: cannot write a memfd: %s", f->file,
				 strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	errno = 0;
	f->ini = iniparser_load(path);
	/* The text passed the scan, so iniparser failed to open our memfd
	 * or to allocate: errno says which (ENOMEM if it says nothing). */
	if (!f->ini)
		rc = ioasid_fail(errno ? -errno : -ENOMEM,
				 "%s: iniparser could not read it: %s", f->file,
				 strerror(errno ? errno : ENOMEM));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int ini_parse(struct ini_file *f, const char *text, size_t len)
{
	int rc = scan_text(f, text, len);

	if (!rc)
		rc = load_text(f, text, len);
	if (rc)
		return rc;
	/*
	 * The pre-scan and iniparser must agree on every section and its
	 * number of keys.  Sections are enumerated from the pre-scan, not
	 * with iniparser_getnsec()/getsecname(): those skip every entry
	 * whose name holds a ':', and PCI addresses do.
	 */
	for (unsigned int i = 0; i < f->num_secs; i++) {
		const struct ini_sec *sec = &f->secs[i];

		if (!iniparser_find_entry(f->ini, sec->ininame) ||
		    iniparser_getsecnkeys(f->ini, sec->ininame) !=
			    (int)sec->num_keys)
			return ioasid_fail(-EINVAL, "%s:%u: iniparser read this section differently",
					   f->file, sec->line);
	}
	return 0;
}

void ini_release(struct ini_file *f)
{
	if (f->ini)
		iniparser_freedict(f->ini);
	f->ini = NULL;
	for (unsigned int i = 0; i < f->num_secs; i++)
		free(f->secs[i].keys);
	free(f->secs);
	f->secs = NULL;
	f->num_secs = 0;
}

const char *ini_get(const struct ini_file *f, const struct ini_sec *sec,
		    const char *key)
{
	char full[IOASID_NAME_MAX + 48];

	snprintf(full, sizeof(full), "%s:%s", sec->ininame, key);
	return iniparser_getstring(f->ini, full, NULL);
}

unsigned int ini_key_line(const struct ini_sec *sec, const char *key)
{
	for (unsigned int i = 0; i < sec->num_keys; i++)
		if (!strcmp(sec->keys[i].name, key))
			return sec->keys[i].line;
	return sec->line;
}
