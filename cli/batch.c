// SPDX-License-Identifier: MIT
/*
 * ioasctl batch FILE|-: split the file into commands, check every
 * command's words (and the names it declares) before running any, then
 * run them in one context, so objects live from one line to the next.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioasctl.h"

struct batch_cmd {
	unsigned int line; /* where the command starts */
	char bad_quote;	   /* the quote left open on this line, or 0 */
	int argc;
	char **argv;
};

struct batch {
	struct batch_cmd *cmds;
	size_t num;
};

struct word_buf {
	char *s;
	size_t len, cap;
};

static void oom(void)
{
	perror("ioasctl");
	exit(CMD_FAIL);
}

static void wb_putc(struct word_buf *w, char c)
{
	if (w->len + 2 > w->cap) {
		w->cap = w->cap ? w->cap * 2 : 32;
		w->s = realloc(w->s, w->cap);
		if (!w->s)
			oom();
	}
	w->s[w->len++] = c;
	w->s[w->len] = '\0';
}

static void cmd_add_word(struct batch_cmd *cmd, struct word_buf *w)
{
	cmd->argv = realloc(cmd->argv, (cmd->argc + 2) * sizeof(char *));
	if (!cmd->argv)
		oom();
	cmd->argv[cmd->argc++] = strdup(w->s ? w->s : "");
	cmd->argv[cmd->argc] = NULL;
	w->len = 0;
	if (w->s)
		w->s[0] = '\0';
}

static void batch_add(struct batch *b, struct batch_cmd *cmd)
{
	if (cmd->argc == 0)
		return;
	b->cmds = realloc(b->cmds, (b->num + 1) * sizeof(*b->cmds));
	if (!b->cmds)
		oom();
	b->cmds[b->num++] = *cmd;
	memset(cmd, 0, sizeof(*cmd));
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->num; i++) {
		for (int j = 0; j < b->cmds[i].argc; j++)
			free(b->cmds[i].argv[j]);
		free(b->cmds[i].argv);
	}
	free(b->cmds);
}

/*
 * Shell-like words: blanks separate words, a newline ends a command,
 * "#" at the start of a word comments out the rest of the line, a
 * backslash before a newline joins lines and before any other character
 * takes it literally; '...' is literal, "..." honours \" and \\.
 * Quotes do not span lines.
 */
static void tokenize(const char *text, struct batch *b)
{
	struct batch_cmd cmd = { 0 };
	struct word_buf w = { 0 };
	unsigned int line = 1;
	bool in_word = false;
	const char *p = text;

	for (;;) {
		char c = *p;

		if (c == '\0' || c == '\n') {
			if (in_word)
				cmd_add_word(&cmd, &w);
			in_word = false;
			batch_add(b, &cmd);
			if (c == '\0')
				break;
			line++;
			p++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			if (in_word)
				cmd_add_word(&cmd, &w);
			in_word = false;
			p++;
			continue;
		}
		if (c == '#' && !in_word) {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (cmd.argc == 0 && !in_word)
			cmd.line = line;
		if (c == '\\') {
			if (p[1] == '\n') {
				line++;
				p += 2;
				continue;
			}
			if (p[1] == '\0') {
				p++;
				continue;
			}
			wb_putc(&w, p[1]);
			in_word = true;
			p += 2;
			continue;
		}
		if (c == '\'' || c == '"') {
			char quote = c;

			in_word = true;
			for (p++; *p && *p != quote && *p != '\n'; p++) {
				if (quote == '"' && *p == '\\' &&
				    (p[1] == '"' || p[1] == '\\'))
					p++;
				wb_putc(&w, *p);
			}
			if (*p != quote) {
				/* The check pass reports it in line order;
				 * the rest of the line is skipped. */
				while (*p && *p != '\n')
					p++;
				in_word = false;
				cmd_add_word(&cmd, &w);
				cmd.bad_quote = quote;
				cmd.line = line;
				batch_add(b, &cmd);
				continue;
			}
			p++;
			continue;
		}
		wb_putc(&w, c);
		in_word = true;
		p++;
	}
	free(w.s);
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096;
	char *buf = malloc(cap);

	*len = 0;
	if (!buf)
		oom();
	for (;;) {
		size_t n = fread(buf + *len, 1, cap - *len - 1, f);

		*len += n;
		if (n == 0)
			break;
		if (*len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				oom();
		}
	}
	buf[*len] = '\0';
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static json_object *words_json(const struct batch_cmd *cmd)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < cmd->argc; i++)
		json_object_array_add(a, json_object_new_string(cmd->argv[i]));
	return a;
}

/* Print a check-pass error that JSON mode kept as the command output. */
static void flush_json_error(struct cli *cli)
{
	json_object *err = out_end(cli);

	if (cli->json && err) {
		out_print_json(cli, err);
	}
	if (err)
		json_object_put(err);
}

int do_batch(struct cli *cli, int argc, char **argv)
{
	struct batch b = { 0 };
	json_object *results = NULL;
	const char *path;
	size_t len;
	char *text;
	FILE *f;
	int ret = CMD_OK;

	if (argc < 1)
		return arg_missing(cli, "FILE");
	if (argc > 1)
		return arg_unexpected(cli, argv[1], "nothing after FILE");
	path = argv[0];
	f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		return usage_err(cli, "cannot open batch file \"%s\": %s",
				 path, strerror(errno));
	text = read_all(f, &len);
	if (f != stdin)
		fclose(f);
	if (!text)
		return usage_err(cli, "cannot read batch file \"%s\"", path);
	if (strlen(text) != len) {
		free(text);
		return usage_err(cli, "batch file \"%s\" holds a NUL byte",
				 path);
	}

	cli->batch = true;
	cli->file = strcmp(path, "-") ? path : "<stdin>";

	/* Pass 1: every line's syntax, names and arguments. */
	cli->check_only = true;
	out_begin(cli);
	tokenize(text, &b);
	free(text);
	for (size_t i = 0; i < b.num; i++) {
		int r;

		cli->line = b.cmds[i].line;
		if (b.cmds[i].bad_quote)
			r = usage_err(cli, "unterminated %s quote",
				      b.cmds[i].bad_quote == '"' ? "double" :
								   "single");
		else
			r = cli_run(cli, b.cmds[i].argc, b.cmds[i].argv);
		if (r != CMD_OK) {
			ret = CMD_USAGE;
			if (cli->json) {
				/* one error makes one JSON document */
				flush_json_error(cli);
				break;
			}
		}
	}
	cli_cleanup(cli);
	cli->check_only = false;
	if (ret != CMD_OK) {
		ret = CMD_USAGE;
		goto out;
	}

	/* Pass 2: run. */
	if (cli->json)
		results = json_object_new_array();
	for (size_t i = 0; i < b.num; i++) {
		json_object *entry, *out;
		int r;

		cli->line = b.cmds[i].line;
		out_begin(cli);
		r = cli_run(cli, b.cmds[i].argc, b.cmds[i].argv);
		out = out_end(cli);
		if (results) {
			entry = json_object_new_object();
			json_object_object_add(entry, "command",
					       words_json(&b.cmds[i]));
			json_object_object_add(entry, "output", out);
			json_object_array_add(results, entry);
		} else if (out) {
			json_object_put(out);
		}
		fflush(stdout);
		if (r > ret)
			ret = r;
		if (r != CMD_OK && !cli->force)
			break;
	}
	if (results) {
		out_print_json(cli, results);
		json_object_put(results);
	}
out:
	batch_free(&b);
	return ret;
}
