/* SPDX-License-Identifier: MIT */
/*
 * The INI files the library reads, ioasid.conf(5) (lib/host/config.c) and the
 * simulator's topology files (lib/backend/sim/topology.c).  The text is checked here
 * line by line first, so that every mistake gets a FILE:LINE message and
 * iniparser (which would print through its process-wide error callback,
 * silently overwrite duplicate keys and read "010" as octal) never sees
 * anything it could complain about or misread.  iniparser then reads the
 * very text that was checked and supplies the values; numbers are parsed
 * here.  Each reader says which sections and keys it accepts.
 */
#ifndef IOASID_LIB_INI_H
#define IOASID_LIB_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <iniparser.h>

#include <ioasid/ioasid.h>

/* A key the pre-scan met, and its line. */
struct ini_key {
	char name[32];
	unsigned int line;
};

/* A section the pre-scan met. */
struct ini_sec {
	unsigned int kind; /* the reader's own kind number */
	char name[IOASID_NAME_MAX];	   /* canonical; "" for none */
	char ininame[IOASID_NAME_MAX + 8]; /* iniparser's section name */
	unsigned int line;
	struct ini_key *keys;
	unsigned int num_keys;
};

struct ini_file;

/* What a reader accepts.  Each check returns 0, or fails with
 * ioasid_fail(-EINVAL, "FILE:LINE: ...") and returns that. */
struct ini_rules {
	/* Appended to "FILE:LINE: key outside any section". */
	const char *outside_hint;
	/*
	 * A section header: @kind and @name (the first word between the
	 * brackets and the rest, "" if none) are trimmed and lower-case.
	 * Sets *@kind_out and @canon, the name duplicates are found by.
	 */
	int (*section)(const struct ini_file *f, unsigned int line,
		       const char *kind, const char *name,
		       unsigned int *kind_out, char canon[IOASID_NAME_MAX]);
	/* A key of @sec: trimmed, lower-case, not empty. */
	int (*key)(const struct ini_file *f, unsigned int line,
		   const struct ini_sec *sec, const char *key);
};

struct ini_file {
	const char *file; /* the name in messages */
	const struct ini_rules *rules;
	struct ini_sec *secs; /* in file order */
	unsigned int num_secs;
	dictionary *ini;
};

/*
 * ini_parse - check @text (@len bytes) against @f->rules and hand it to
 * iniparser through a memfd (iniparser 4.1 reads only named files; this
 * way it never opens the file again, which could have changed, and never
 * has a failure of its own to print).  Fills @f; ini_release() frees it
 * whether this succeeded or not.
 *
 * Return: 0, -EINVAL (the message says FILE:LINE: what), -ENOMEM, or the
 * errno of a failed memfd.
 */
int ini_parse(struct ini_file *f, const char *text, size_t len);
void ini_release(struct ini_file *f);

/* The value of @key in @sec, NULL when the section does not set it. */
const char *ini_get(const struct ini_file *f, const struct ini_sec *sec,
		    const char *key);

/* The line of @key in @sec, or the section's line when it is not set. */
unsigned int ini_key_line(const struct ini_sec *sec, const char *key);

/* Fail with the line of @key: INI_KEY_FAIL(f, sec, "pasid", "pasid = %s ...", v). */
#define INI_KEY_FAIL(f, sec, key, fmt, ...)                                  \
	ioasid_fail(-EINVAL, "%s:%u: " fmt, (f)->file,                       \
		    ini_key_line(sec, key), ##__VA_ARGS__)

/*
 * ini_check_key - fail with "unknown key 'KEY' in [KIND] section" unless
 * @key is one of @keys (@n entries, or fewer ended by a NULL).
 */
int ini_check_key(const struct ini_file *f, unsigned int line,
		  const char *kind, const char *const *keys, unsigned int n,
		  const char *key);

/* Strips spaces, tabs and (at the end) carriage returns, in place. */
char *ini_trim(char *s);

/*
 * Numbers: decimal or 0x hex.  A leading zero on a decimal number is
 * refused rather than read as octal (iniparser's getint would) or as
 * decimal, since either reading would surprise someone.
 * ini_parse_size() also takes a K, M, G or T suffix (powers of 1024).
 *
 * Return: 0 with *@out set, -EINVAL (not such a number), -ERANGE.
 */
int ini_parse_u64(const char *s, uint64_t *out);
int ini_parse_size(const char *s, uint64_t *out);

/* An mdev UUID as written: 8-4-4-4-12 hex digits. */
bool ini_is_uuid(const char *s);

#endif
