// SPDX-License-Identifier: MIT
/* ioasctl: error reporting, number parsing, the name table, the context. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ioasctl.h"

/* ------------------------------------------------------------------ */
/* Errors                                                               */

void print_error_line(struct cli *cli, const char *msg)
{
	char buf[1024];

	if (cli->batch && cli->file)
		snprintf(buf, sizeof(buf), "%s:%u: %s", cli->file, cli->line,
			 msg);
	else
		snprintf(buf, sizeof(buf), "%s", msg);

	if (cli->json) {
		/* Inside a batch the error becomes the command's output;
		 * alone it is the whole JSON document. */
		if (cli->batch)
			out_set_error(cli, buf);
		else {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "error",
					       json_object_new_string(buf));
			out_print_json(cli, o);
			json_object_put(o);
		}
		return;
	}
	fprintf(stderr, "%s\n", buf);
}

/* Inside "expect" a command's failure is data, not news; a usage error
 * is still a mistake in the file and is always shown. */
static void report(struct cli *cli, bool usage, const char *fmt, va_list ap)
{
	char msg[768], line[800];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(cli->last_msg, sizeof(cli->last_msg), "%s", msg);
	if (cli->quiet && !usage)
		return;
	snprintf(line, sizeof(line), "%s%s", cli->json ? "" : "Error: ",
		 msg);
	print_error_line(cli, line);
}

int usage_err(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cli, true, fmt, ap);
	va_end(ap);
	cli->last_err = 0;
	return CMD_USAGE;
}

int arg_wrong(struct cli *cli, const char *arg, const char *why)
{
	return usage_err(cli, "argument \"%s\" is wrong: %s", arg, why);
}

int arg_missing(struct cli *cli, const char *arg)
{
	return usage_err(cli, "argument \"%s\" is required", arg);
}

int arg_needs_value(struct cli *cli, const char *keyword)
{
	return usage_err(cli, "argument \"%s\" needs a value", keyword);
}

int arg_duplicate(struct cli *cli, const char *keyword, const char *value)
{
	return usage_err(cli, "duplicate \"%s\": \"%s\" is the second value",
			 keyword, value);
}

int arg_unexpected(struct cli *cli, const char *arg, const char *expected)
{
	return usage_err(cli, "argument \"%s\" is wrong: expected %s", arg,
			 expected);
}

int cmd_err(struct cli *cli, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cli, false, fmt, ap);
	va_end(ap);
	cli->last_err = err;
	return CMD_FAIL;
}

const char *errno_tail(const char *msg, int err)
{
	static __thread char buf[40];
	const char *name = errno_name(err);
	size_t len = msg ? strlen(msg) : 0, n = strlen(name);

	/* "... (ENAME)", or the kernel backend's "... (IOCTL: ENAME)". */
	if (len >= n + 2 && msg[len - 1] == ')' &&
	    !memcmp(msg + len - 1 - n, name, n) &&
	    (msg[len - 2 - n] == '(' ||
	     (len >= n + 3 && msg[len - 2 - n] == ' ' &&
	      msg[len - 3 - n] == ':')))
		return "";
	snprintf(buf, sizeof(buf), " (%s)", name);
	return buf;
}

int lib_err(struct cli *cli, int ret)
{
	int err = ret < 0 ? -ret : ret;
	const char *msg = ioasid_errmsg();

	if (!msg || !*msg)
		msg = strerror(err);
	return cmd_err(cli, err, "%s%s", msg, errno_tail(msg, err));
}

void print_warning(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->quiet)
		return;
	fputs("Warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct {
	const char *name;
	int err;
} errno_names[] = {
	{ "EPERM", EPERM },	{ "ENOENT", ENOENT },
	{ "EIO", EIO },		{ "E2BIG", E2BIG },
	{ "EBADF", EBADF },	{ "ENOMEM", ENOMEM },
	{ "EACCES", EACCES },	{ "EFAULT", EFAULT },
	{ "EBUSY", EBUSY },	{ "EEXIST", EEXIST },
	{ "ENODEV", ENODEV },	{ "EINVAL", EINVAL },
	{ "ENOTTY", ENOTTY },	{ "ENOSPC", ENOSPC },
	{ "ERANGE", ERANGE },	{ "EMSGSIZE", EMSGSIZE },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "EADDRINUSE", EADDRINUSE },
	{ "EOVERFLOW", EOVERFLOW }, { "EALREADY", EALREADY },
	{ "ENXIO", ENXIO },	{ "EAGAIN", EAGAIN },
};

const char *errno_name(int err)
{
	static __thread char buf[24];

	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

int errno_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (!strcmp(errno_names[i].name, name))
			return errno_names[i].err;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Numbers                                                              */

/*
 * Decimal or 0x hex, optionally followed by one of K M G T (binary,
 * either case) when @suffixes.  A leading zero does not mean octal:
 * "010" is ten.  Signs, spaces, fractions and overflow are refused.
 */
const char *parse_u64(const char *s, bool suffixes, uint64_t *out)
{
	const char *p = s;
	unsigned int base = 10;
	uint64_t v = 0;
	unsigned int shift = 0;
	bool digits = false;

	if (!*p)
		return "empty";
	if (*p == '-')
		return "negative numbers are not allowed";
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; *p; p++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return "too large for 64 bits";
		v = v * base + d;
		digits = true;
	}
	if (!digits)
		return "not a number";
	if (*p) {
		if (!suffixes || p[1])
			return "not a number";
		switch (toupper((unsigned char)*p)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return "not a number";
		}
		if (v > (UINT64_MAX >> shift))
			return "too large for 64 bits";
		v <<= shift;
	}
	*out = v;
	return NULL;
}

int get_u64(struct cli *cli, const char *s, bool suffixes, uint64_t *out)
{
	const char *why = parse_u64(s, suffixes, out);

	return why ? arg_wrong(cli, s, why) : CMD_OK;
}

int get_u32(struct cli *cli, const char *s, uint32_t *out)
{
	uint64_t v;
	const char *why = parse_u64(s, false, &v);

	if (why)
		return arg_wrong(cli, s, why);
	if (v > UINT32_MAX)
		return arg_wrong(cli, s, "too large for 32 bits");
	*out = v;
	return CMD_OK;
}

bool parse_u64_pair(const char *s, char sep, uint64_t *a, uint64_t *b,
		    const char **why)
{
	const char *at = strchr(s, sep);
	char first[64];

	if (!at || at == s || (size_t)(at - s) >= sizeof(first))
		return false;
	memcpy(first, s, at - s);
	first[at - s] = '\0';
	*why = parse_u64(first, true, a);
	if (!*why)
		*why = parse_u64(at + 1, true, b);
	return true;
}

/* START-LAST, both inclusive. */
int get_range(struct cli *cli, const char *s, struct ioasid_iova_range *r)
{
	const char *why;

	if (!parse_u64_pair(s, '-', &r->start, &r->last, &why))
		return arg_wrong(cli, s, "not a range START-LAST");
	if (why) {
		char msg[128];

		snprintf(msg, sizeof(msg), "not a range START-LAST (%s)", why);
		return arg_wrong(cli, s, msg);
	}
	return CMD_OK;
}

/* ------------------------------------------------------------------ */
/* Keywords                                                             */

int get_kw_value(struct cli *cli, int argc, char **argv, int *i,
		 const struct kw_value *kws)
{
	const char *w = argv[*i];

	for (; kws->kw; kws++) {
		if (strcmp(w, kws->kw))
			continue;
		if (*i + 1 >= argc)
			return arg_needs_value(cli, w);
		if (*kws->val)
			return arg_duplicate(cli, w, argv[*i + 1]);
		*kws->val = argv[++*i];
		return CMD_OK;
	}
	return -1;
}

int get_kw_values(struct cli *cli, int argc, char **argv,
		  const struct kw_value *kws, const char *expected)
{
	for (int i = 0; i < argc; i++) {
		int ret = get_kw_value(cli, argc, argv, &i, kws);

		if (ret < 0)
			return arg_unexpected(cli, argv[i], expected);
		if (ret)
			return ret;
	}
	return CMD_OK;
}

int get_iova_length(struct cli *cli, int argc, char **argv,
		    const char *expected, uint64_t *iova, uint64_t *length,
		    const char **len_word)
{
	const char *iova_s = NULL, *len_s = NULL;
	const struct kw_value kws[] = {
		{ "iova", &iova_s }, { "length", &len_s }, { NULL },
	};
	int ret;

	ret = get_kw_values(cli, argc, argv, kws, expected);
	if (ret)
		return ret;
	if (!iova_s)
		return arg_missing(cli, "iova");
	if (!len_s)
		return arg_missing(cli, "length");
	if (get_u64(cli, iova_s, true, iova) ||
	    get_u64(cli, len_s, true, length))
		return CMD_USAGE;
	if (len_word)
		*len_word = len_s;
	return CMD_OK;
}

/* ------------------------------------------------------------------ */
/* Lists                                                                */

void *get_list(struct cli *cli, list_getter get, const void *arg,
	       size_t size, uint32_t *num, int *ret)
{
	void *arr = NULL;
	uint32_t n = 0;

	/* Ask for the count, then for the entries (they may not change in
	 * between: one thread, one context). */
	for (;;) {
		uint32_t have = n;

		*ret = get(arg, arr, &n);
		if (*ret == -EMSGSIZE && n > have) {
			free(arr);
			arr = calloc(n, size);
			if (!arr) {
				*ret = cli ? cmd_err(cli, ENOMEM, "out of memory") :
					     -ENOMEM;
				return NULL;
			}
			continue;
		}
		break;
	}
	if (*ret < 0) {
		free(arr);
		if (cli)
			*ret = lib_err(cli, *ret);
		return NULL;
	}
	*num = n;
	return arr;
}

/* ------------------------------------------------------------------ */
/* Names                                                                */

/* Words of the grammar that may stand where a name can. */
static const char *const reserved_words[] = {
	"all", "any", "to", "from", "iova", "length", "file", "offset",
	"read", "write", "name", "dev", "ioas", "hwpt", "device", "help",
};

bool name_is_valid(const char *s, const char **why)
{
	if (!isalpha((unsigned char)*s) && *s != '_') {
		*why = "a name starts with a letter or '_'";
		return false;
	}
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p)) {
			*why = "a name holds only letters, digits, '_', '.' "
			       "and '-'";
			return false;
		}
	if (strlen(s) >= IOASID_NAME_MAX) {
		*why = "name too long";
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(reserved_words); i++)
		if (!strcmp(s, reserved_words[i])) {
			*why = "a keyword cannot be a name";
			return false;
		}
	return true;
}

struct cli_name *name_find(struct cli *cli, const char *name)
{
	for (size_t i = 0; i < cli->num_names; i++)
		if (!strcmp(cli->names[i].name, name))
			return &cli->names[i];
	return NULL;
}

static struct cli_name *name_add(struct cli *cli, const char *name)
{
	struct cli_name *n;

	n = realloc(cli->names, (cli->num_names + 1) * sizeof(*n));
	if (!n) {
		perror("ioasctl");
		exit(CMD_FAIL);
	}
	cli->names = n;
	n = &cli->names[cli->num_names++];
	memset(n, 0, sizeof(*n));
	n->name = strdup(name);
	return n;
}

/*
 * Names hold for the whole batch: destroying an object does not free its
 * name, so the check pass and the run agree on what each word means.
 */
int name_declare(struct cli *cli, const char *name, enum name_kind kind,
		 uint32_t id)
{
	const char *why;
	struct cli_name *n;

	if (!name_is_valid(name, &why))
		return arg_wrong(cli, name, why);
	n = name_find(cli, name);
	if (n)
		return usage_err(cli, "name \"%s\" is already used", name);
	n = name_add(cli, name);
	n->kind = kind;
	n->id = id;
	return CMD_OK;
}

int get_obj_id(struct cli *cli, const char *word, enum name_kind kind,
	       bool either, uint32_t *id)
{
	struct cli_name *n;
	uint64_t v;

	if (isdigit((unsigned char)*word) || *word == '-') {
		if (get_u64(cli, word, false, &v))
			return CMD_USAGE;
		if (v > UINT32_MAX)
			return arg_wrong(cli, word, "too large for 32 bits");
		*id = v;
		return CMD_OK;
	}
	n = name_find(cli, word);
	if (!n && !cli->check_only)
		/* the check pass knew it: its command failed (--force) */
		return cmd_err(cli, ENOENT, "\"%s\" was not created", word);
	if (!n || n->kind == NAME_DEV ||
	    (!either && n->kind != kind)) {
		const char *what = either ? "an IOAS or HWPT" :
				   kind == NAME_IOAS ? "an IOAS" : "a HWPT";
		char why[96];

		snprintf(why, sizeof(why), "not a number or the name of %s",
			 what);
		return arg_wrong(cli, word, why);
	}
	*id = n->id;
	return CMD_OK;
}

int get_ioas_arg(struct cli *cli, int argc, char **argv, uint32_t *id)
{
	if (argc < 1)
		return arg_missing(cli, "IOAS");
	return get_obj_id(cli, argv[0], NAME_IOAS, false, id);
}

int get_ioas_ranges(struct cli *cli, int argc, char **argv, uint32_t *id,
		    struct ioasid_iova_range **ranges)
{
	struct ioasid_iova_range *r;
	int ret;

	ret = get_ioas_arg(cli, argc, argv, id);
	if (ret)
		return ret;
	r = calloc(argc, sizeof(*r));
	if (!r)
		return cmd_err(cli, ENOMEM, "out of memory");
	for (int i = 1; i < argc; i++) {
		ret = get_range(cli, argv[i], &r[i - 1]);
		if (ret) {
			free(r);
			return ret;
		}
	}
	*ranges = r;
	return CMD_OK;
}

void dev_word_canon(const char *word, char *out, size_t size)
{
	/* "BB:DD.F" -> "0000:BB:DD.F", like ioasid_dev_open() does */
	if (strlen(word) == 7 && word[2] == ':' && word[5] == '.')
		snprintf(out, size, "0000:%s", word);
	else
		snprintf(out, size, "%s", word);
}

struct cli_name *dev_find(struct cli *cli, const char *word)
{
	char canon[IOASID_NAME_MAX + 8];

	dev_word_canon(word, canon, sizeof(canon));
	for (size_t i = 0; i < cli->num_names; i++) {
		struct cli_name *n = &cli->names[i];

		if (n->kind != NAME_DEV)
			continue;
		if (!strcmp(n->name, word) || !strcmp(n->dev_word, canon))
			return n;
		if (n->dev && !strcmp(ioasid_dev_name(n->dev), canon))
			return n;
	}
	return NULL;
}

int get_dev(struct cli *cli, const char *word, struct ioasid_dev **dev)
{
	struct cli_name *n = dev_find(cli, word);

	if (!n && !cli->check_only)
		return cmd_err(cli, EBADF, "device \"%s\" is not open", word);
	if (!n)
		return usage_err(cli,
				 "device \"%s\" is not open: use \"device "
				 "open %s\" first",
				 word, word);
	if (cli->check_only) {
		*dev = NULL;
		return CMD_OK;
	}
	if (!n->dev)
		return cmd_err(cli, EBADF, "device \"%s\" is not open", word);
	*dev = n->dev;
	return CMD_OK;
}

/* ------------------------------------------------------------------ */
/* The context                                                          */

static int open_ctx(struct cli *cli, bool inspect)
{
	IOASID_OPTS(ioasid_ctx_opts, opts);
	int ret;

	if (cli->ctx && (!cli->ctx_inspect || inspect))
		return CMD_OK;
	/* An inspection context holds no objects and no devices: trade it
	 * for one with the iommufd. */
	ioasid_ctx_close(cli->ctx);
	cli->ctx = NULL;
	if (cli->sim) {
		opts.backend = IOASID_BACKEND_SIM;
		opts.topology = cli->topology;
		inspect = false;
	} else {
		/* The kernel unless $IOASID_BACKEND or the [defaults] of
		 * ioasid.conf(5) say otherwise. */
		opts.backend = IOASID_BACKEND_DEFAULT;
		opts.inspect_only = inspect;
	}
	ret = ioasid_ctx_open(&opts, &cli->ctx);
	if (ret < 0) {
		const char *msg = ioasid_errmsg();

		if (cli->sim)
			return lib_err(cli, ret);
		if (!msg || !*msg)
			msg = strerror(-ret);
		return cmd_err(cli, -ret,
			       "%s%s; only inspection works without "
			       "/dev/iommu: device list|show|bind|unbind, "
			       "group list|show",
			       msg, errno_tail(msg, -ret));
	}
	cli->ctx_inspect = inspect;
	return CMD_OK;
}

int cli_need_ctx(struct cli *cli)
{
	return open_ctx(cli, false);
}

int cli_need_inspect_ctx(struct cli *cli)
{
	return open_ctx(cli, true);
}

/* Objects live in the iommufd, which closes when ioasctl exits. */
void warn_ephemeral(struct cli *cli, const char *what)
{
	if (cli->batch || cli->check_only)
		return;
	print_warning(cli,
		      "%s is destroyed when ioasctl exits; run the commands "
		      "that use it in one \"ioasctl batch\"",
		      what);
}

int cli_keep_buffer(struct cli *cli, void *addr, size_t length, int fd)
{
	struct cli_buffer *b;

	b = realloc(cli->buffers, (cli->num_buffers + 1) * sizeof(*b));
	if (!b)
		return -ENOMEM;
	cli->buffers = b;
	cli->buffers[cli->num_buffers++] =
		(struct cli_buffer){ .addr = addr, .length = length, .fd = fd };
	return 0;
}

void cli_cleanup(struct cli *cli)
{
	/* Close devices and the context before freeing the memory they
	 * map. */
	for (size_t i = 0; i < cli->num_names; i++)
		if (cli->names[i].dev)
			ioasid_dev_close(cli->names[i].dev);
	ioasid_ctx_close(cli->ctx);
	cli->ctx = NULL;
	cli->ctx_inspect = false;
	for (size_t i = 0; i < cli->num_names; i++) {
		free(cli->names[i].name);
		free(cli->names[i].dev_word);
	}
	free(cli->names);
	cli->names = NULL;
	cli->num_names = 0;
	for (size_t i = 0; i < cli->num_buffers; i++) {
		if (cli->buffers[i].addr)
			munmap(cli->buffers[i].addr, cli->buffers[i].length);
		if (cli->buffers[i].fd >= 0)
			close(cli->buffers[i].fd);
	}
	free(cli->buffers);
	cli->buffers = NULL;
	cli->num_buffers = 0;
}

/*
 * Record that @canon (a canonical device word) is opened, under @alias
 * if given.  Opening the same device again reuses its entry, so a batch
 * may close and reopen a device.
 */
struct cli_name *dev_declare(struct cli *cli, const char *canon,
			     const char *alias)
{
	struct cli_name *n = NULL;

	for (size_t i = 0; i < cli->num_names; i++)
		if (cli->names[i].kind == NAME_DEV &&
		    !strcmp(cli->names[i].dev_word, canon))
			n = &cli->names[i];
	if (n) {
		if (alias && strcmp(n->name, alias)) {
			usage_err(cli, "device \"%s\" is already named \"%s\"",
				  canon, n->name);
			return NULL;
		}
		return n;
	}
	if (alias) {
		if (name_declare(cli, alias, NAME_DEV, 0))
			return NULL;
		n = name_find(cli, alias);
	} else {
		n = name_add(cli, canon);
		n->kind = NAME_DEV;
	}
	n->dev_word = strdup(canon);
	return n;
}
