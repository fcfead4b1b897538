/* SPDX-License-Identifier: MIT */
/*
 * ioasctl: shared state, command tables, argument and output helpers.
 * A client of the public API (<ioasid/ioasid.h>) only.
 */
#ifndef IOASCTL_H
#define IOASCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json.h>

#include <ioasid/ioasid.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Command results, also the process exit status. */
enum {
	CMD_OK = 0,
	CMD_FAIL = 1,  /* the library (or the system) refused */
	CMD_USAGE = 2, /* the words were wrong */
};

enum name_kind {
	NAME_IOAS,
	NAME_HWPT,
	NAME_DEV,
};

/* A name given in a batch (ioas/hwpt/device alias), or an open device. */
struct cli_name {
	char *name;
	enum name_kind kind;
	uint32_t id;		/* IOAS/HWPT id; 0 in the check pass */
	char *dev_word;		/* NAME_DEV: the device as opened */
	struct ioasid_dev *dev; /* NAME_DEV: NULL while closed */
};

/* Memory and files that back mappings; kept until ioasctl exits. */
struct cli_buffer {
	void *addr;
	size_t length;
	int fd;
};

struct cli {
	/* options */
	bool json, pretty, force, sim;
	const char *topology;

	/* where we are */
	bool batch;
	bool check_only; /* syntax pass: parse, track names, touch nothing */
	const char *file;
	unsigned int line;
	unsigned int quiet; /* >0 inside "expect": no output, keep errors */

	/* the last failure of a command, for "expect error" */
	int last_err; /* positive errno, 0 if none */
	char last_msg[768];

	struct ioasid_ctx *ctx;
	bool ctx_inspect; /* ctx opened without /dev/iommu (inspect_only) */
	struct cli_name *names;
	size_t num_names;
	struct cli_buffer *buffers;
	size_t num_buffers;

	/* output of the current command in JSON mode */
	json_object *out_root;
	json_object *out_stack[16];
	int out_depth;
	bool out_error; /* out_root is an {"error": ...} object */
};

typedef int (*cmd_fn)(struct cli *cli, int argc, char **argv);

struct cmd {
	const char *name;
	cmd_fn fn;
};

/* commands.c: the object table and the dispatch (its comment has the
 * check-then-run contract every command honours) */
void cli_usage(FILE *f);
/* One pass over one command: the check or the run, per cli->check_only. */
int cli_run(struct cli *cli, int argc, char **argv);
/* One command from the command line: check it, then run it. */
int cli_run_checked(struct cli *cli, int argc, char **argv);
/* "OBJECT [COMMAND ...]" per line, in table order (--list-cmds). */
void cli_list_cmds(FILE *f);

/* batch.c */
int do_batch(struct cli *cli, int argc, char **argv);

/* The objects: their command tables (ended by { NULL, NULL }) and
 * usage, in device.c, ioas.c, ranges.c, layout.c, viommu.c, expect.c */
extern const struct cmd device_cmds[], group_cmds[], ioas_cmds[],
	hwpt_cmds[], ranges_cmds[], layout_cmds[], viommu_cmds[],
	expect_cmds[];
void device_help(struct cli *cli);
/* hw_info.c */
int device_hw_info(struct cli *cli, int argc, char **argv);
/* device.c: open DEV and bind it to the iommufd (closed again on
 * failure); DEV alone as the arguments. */
int dev_open_bound(struct cli *cli, const char *word, struct ioasid_dev **dev);
int one_dev_arg(struct cli *cli, int argc, char **argv);
void group_help(struct cli *cli);
void ioas_help(struct cli *cli);
void hwpt_help(struct cli *cli);
void ranges_help(struct cli *cli);
void layout_help(struct cli *cli);
void viommu_help(struct cli *cli);
void expect_help(struct cli *cli);
/* objects.c: the objects of the context and what an IOAS maps */
extern const struct cmd object_cmds[];
void object_help(struct cli *cli);
/* exec.c: reads all its words itself */
int do_exec(struct cli *cli, int argc, char **argv);
void exec_help(struct cli *cli);
/* caps.c: reads all its words itself */
int do_caps(struct cli *cli, int argc, char **argv);
void caps_help(struct cli *cli);
/* ranges.c: the holes of device @name (ioasid_dev_resv_regions()),
 * malloc'ed. */
int ranges_dev_regions(struct cli *cli, const char *name,
		       struct ioasid_resv_region **out, uint32_t *num);

/* util.c: the context */
/* A context for commands that need the iommufd (/dev/iommu). */
int cli_need_ctx(struct cli *cli);
/* A context for inspection (devices, groups, reserved regions, host
 * drivers): on the kernel it opens no /dev/iommu, so it works on
 * kernels built without CONFIG_IOMMUFD. */
int cli_need_inspect_ctx(struct cli *cli);
void warn_ephemeral(struct cli *cli, const char *what);

/* util.c: errors */
int usage_err(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int arg_wrong(struct cli *cli, const char *arg, const char *why);
int arg_missing(struct cli *cli, const char *arg);
int arg_needs_value(struct cli *cli, const char *keyword);
int arg_duplicate(struct cli *cli, const char *keyword, const char *value);
int arg_unexpected(struct cli *cli, const char *arg, const char *expected);
/* A failure with errno @err (positive): prints the message, records it. */
int cmd_err(struct cli *cli, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A library call failed with @ret (negative errno): its message, then
 * " (ENAME)" unless the message already ends with the name. */
int lib_err(struct cli *cli, int ret);
/* " (ENAME)" for @err (positive) after @msg, or "" when @msg already
 * ends with it: "... (ENAME)", or the kernel backend's
 * "... (IOCTL: ENAME)", so that the errno is printed once. */
const char *errno_tail(const char *msg, int err);
void print_error_line(struct cli *cli, const char *msg);
void print_warning(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

const char *errno_name(int err);
int errno_from_name(const char *name);

/* util.c: numbers */
/* NULL on success, else why @s is not a number. */
const char *parse_u64(const char *s, bool suffixes, uint64_t *out);
int get_u64(struct cli *cli, const char *s, bool suffixes, uint64_t *out);
int get_u32(struct cli *cli, const char *s, uint32_t *out);
/* "A<sep>B", two numbers as parse_u64() reads them with suffixes: false
 * when @s has no @sep with one to 63 characters before it; else true,
 * with *@why NULL or why a number is wrong. */
bool parse_u64_pair(const char *s, char sep, uint64_t *a, uint64_t *b,
		    const char **why);
int get_range(struct cli *cli, const char *s, struct ioasid_iova_range *r);

/* util.c: keywords that take a value ("KEYWORD VALUE", at most once) */
struct kw_value {
	const char *kw;	  /* NULL ends a table */
	const char **val; /* NULL until given */
};
/* If argv[*i] is a keyword of @kws, take the next word as its value (a
 * usage error when there is none or the keyword came before) and step
 * *@i over it; -1 when argv[*i] is none of them. */
int get_kw_value(struct cli *cli, int argc, char **argv, int *i,
		 const struct kw_value *kws);
/* Every word of @argv a keyword of @kws with its value; anything else
 * is refused with arg_unexpected(@expected). */
int get_kw_values(struct cli *cli, int argc, char **argv,
		  const struct kw_value *kws, const char *expected);
/* "iova ADDR length LEN", both required, as all the words of @argv
 * (get_kw_values()); *@len_word, unless NULL, is the word LEN. */
int get_iova_length(struct cli *cli, int argc, char **argv,
		    const char *expected, uint64_t *iova, uint64_t *length,
		    const char **len_word);

/* util.c: lists */
/* A library call that fills @arr with up to *@num entries of a list, or
 * fails with -EMSGSIZE and how many there are in *@num; @arg says which
 * list. */
typedef int (*list_getter)(const void *arg, void *arr, uint32_t *num);
/* The whole list, *@num entries of @size bytes in a malloc'ed array
 * (NULL when empty): asked for, then asked again with an array of the
 * size the getter said, until it fits.  *@ret is CMD_OK, or the failure
 * reported (lib_err(), or "out of memory") and CMD_FAIL; with @cli NULL
 * nothing is reported and *@ret is the -errno (-ENOMEM for the array). */
void *get_list(struct cli *cli, list_getter get, const void *arg,
	       size_t size, uint32_t *num, int *ret);

/* util.c: names */
bool name_is_valid(const char *s, const char **why);
struct cli_name *name_find(struct cli *cli, const char *name);
int name_declare(struct cli *cli, const char *name, enum name_kind kind,
		 uint32_t id);
/* Resolve an IOAS (NAME_IOAS), HWPT, or either (when @either). */
int get_obj_id(struct cli *cli, const char *word, enum name_kind kind,
	       bool either, uint32_t *id);
/* "IOAS ...": the IOAS that the first word names, which is required. */
int get_ioas_arg(struct cli *cli, int argc, char **argv, uint32_t *id);
/* "IOAS RANGE...": the IOAS and its argc - 1 ranges, in an array the
 * caller frees. */
int get_ioas_ranges(struct cli *cli, int argc, char **argv, uint32_t *id,
		    struct ioasid_iova_range **ranges);
/* Canonical spelling of a device word ("00:03.0" -> "0000:00:03.0"). */
void dev_word_canon(const char *word, char *out, size_t size);
struct cli_name *dev_find(struct cli *cli, const char *word);
struct cli_name *dev_declare(struct cli *cli, const char *canon,
			     const char *alias);
/* Resolve an open device: usage error in the check pass when never
 * opened, command failure when closed. */
int get_dev(struct cli *cli, const char *word, struct ioasid_dev **dev);

int cli_keep_buffer(struct cli *cli, void *addr, size_t length, int fd);
void cli_cleanup(struct cli *cli);

/* output.c: one print path for text and JSON */
void out_begin(struct cli *cli);
json_object *out_end(struct cli *cli);
void out_obj_open(struct cli *cli, const char *key);
void out_obj_close(struct cli *cli);
void out_arr_open(struct cli *cli, const char *key);
void out_arr_close(struct cli *cli);
/* Text: print @fmt with the value if @fmt is not NULL.  JSON: KEY and,
 * for u64, KEY_hex. */
void out_u64(struct cli *cli, const char *key, const char *fmt, uint64_t v);
void out_uint(struct cli *cli, const char *key, const char *fmt, uint64_t v);
void out_int(struct cli *cli, const char *key, const char *fmt, int64_t v);
void out_str(struct cli *cli, const char *key, const char *fmt,
	     const char *s);
void out_bool(struct cli *cli, const char *key, const char *fmt, bool v);
/* Whether text is printed now (not JSON, not inside "expect", not the
 * check pass): for output that takes a walk of its own, such as the
 * column widths of a table. */
bool out_text_on(struct cli *cli);
/* Text only. */
void out_text(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void out_print_json(struct cli *cli, json_object *obj);
void out_set_error(struct cli *cli, const char *msg);
/* A failure (cmd_err()) that keeps what the command printed: in JSON its
 * members join the error object. */
int fail_with_result(struct cli *cli, int err, const char *msg);

/* Shared printers */
/* ranges.c: what the "(estimated)" marks of @flags (IOASID_IOMMU_*_KNOWN)
 * were estimated from. */
void print_estimates(struct cli *cli, uint32_t flags);
int print_resv_regions(struct cli *cli, int32_t group, const char *indent);
/* The usable IOVA ranges of @ioas, malloc'ed; lib_err() on failure. */
int get_iova_ranges(struct cli *cli, uint32_t ioas,
		    struct ioasid_iova_range **ranges, uint32_t *num,
		    uint64_t *alignment);
const char *dev_kind_name(enum ioasid_dev_kind kind);

#endif /* IOASCTL_H */
