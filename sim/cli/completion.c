/*
 * completion.c - `concsim completion bash`: the bash completion script,
 * made from the command table (commands, and each command's options as
 * its usage text lists them) and the scenario's shape (the dotted paths
 * `--set` and `--param` take, and every system key after systems.NAME.),
 * so that it completes what the binary accepts.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "models/registry.h"
#include "runtime/model.h"
#include "scenario/keys.h"

/* The options in a usage text: every -x or --name in its `usage:` line
 * and in the lines that start with an option ("  -o, --out DIR  ..."),
 * up to the description. */
static void options_of(FILE *f, const char *usage)
{
	char seen[2048] = " ";
	for (const char *line = usage; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		bool head = !strncmp(line, "usage:", 6);
		bool opt = !strncmp(line, "  -", 3);
		for (size_t i = 0; (head || opt) && i < len; i++) {
			if (opt && i > 2 && line[i] == ' ' &&
			    line[i - 1] == ' ')
				break; /* the description */
			if (line[i] != '-' ||
			    (i && line[i - 1] != ' ' && line[i - 1] != '[' &&
			     line[i - 1] != ','))
				continue;
			size_t k = i + 1 + (line[i + 1] == '-');
			while (k < len && (isalnum((unsigned char)line[k]) ||
					   line[k] == '-'))
				k++;
			char word[64];
			if (k - i < 2 || k - i >= sizeof word - 2)
				continue;
			snprintf(word, sizeof word, " %.*s ", (int)(k - i),
				 line + i);
			if (strstr(seen, word) ||
			    strlen(seen) + strlen(word) >= sizeof seen)
				continue;
			strcat(seen, word + 1);
			fprintf(f, " %.*s", (int)(k - i), line + i);
			i = k;
		}
		line = end ? end + 1 : NULL;
	}
}

/* The dotted paths of the keys below map sections (not lists). */
static void paths(FILE *f, const struct sim_section *s, const char *prefix)
{
	char here[256];
	if (s->list || s->special != SIM_SEC_PLAIN)
		if (s->special != SIM_SEC_RETRIES)
			return;
	snprintf(here, sizeof here, "%s%s%s", prefix, *prefix ? "." : "",
		 s->key ? s->key : "");
	if (!s->key)
		snprintf(here, sizeof here, "%s", prefix);
	for (size_t i = 0; s->p && i < *s->np; i++)
		fprintf(f, " %s%s%s=", here, *here ? "." : "", s->p[i].key);
	for (size_t i = 0; s->sub && s->sub[i]; i++)
		paths(f, s->sub[i], here);
}

static void system_keys(FILE *f)
{
	fputs(" name= model= overheads=", f);
	for (size_t i = 0; i < *sim_nhost_keys; i++)
		fprintf(f, " %s=", sim_host_keys[i].key);
	for (size_t m = 0; sim_models[m]; m++)
		for (size_t i = 0; i < sim_models[m]->nparams; i++) {
			const char *k = sim_models[m]->params[i].key;
			bool dup = false; /* the first model that has it */
			for (size_t j = 0; j < m && !dup; j++)
				for (size_t x = 0; x < sim_models[j]->nparams;
				     x++)
					dup |= !strcmp(
					    k, sim_models[j]->params[x].key);
			for (size_t x = 0; x < i && !dup; x++)
				dup |= !strcmp(k, sim_models[m]->params[x].key);
			for (size_t x = 0; x < *sim_nhost_keys && !dup; x++)
				dup |= !strcmp(k, sim_host_keys[x].key);
			if (!dup)
				fprintf(f, " %s=", k);
		}
}

static void bash(FILE *f)
{
	fputs("# bash completion for concsim(1); made by `concsim completion "
	      "bash`, do not edit.\n"
	      "_concsim() {\n"
	      "  local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd=${COMP_WORDS[1]}"
	      "\n  [ \"$COMP_CWORD\" -gt 0 ] && "
	      "prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "  local commands='",
	      f);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "%s%s", c == cli_commands ? "" : " ", c->name);
	fputs("'\n  local paths='", f);
	paths(f, &sim_scenario_shape, "");
	fputs(" '\n  local syskeys='", f);
	system_keys(f);
	fputs(
	    " '\n"
	    "  COMPREPLY=()\n"
	    "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	    "    COMPREPLY=($(compgen -W \"$commands -V --version --help\" "
	    "-- \"$cur\"))\n"
	    "    return 0\n"
	    "  fi\n"
	    "  case $prev in\n"
	    "  --set|--param)\n"
	    "    compopt -o nospace 2>/dev/null\n"
	    "    if [[ $cur == systems.*.* ]]; then\n"
	    "      local pre=${cur%.*}\n"
	    "      COMPREPLY=($(compgen -P \"$pre.\" -W \"$syskeys\" -- "
	    "\"${cur##*.}\"))\n"
	    "    else\n"
	    "      COMPREPLY=($(compgen -W \"$paths systems.\" -- \"$cur\"))\n"
	    "    fi\n"
	    "    return 0 ;;\n"
	    "  --format)\n"
	    "    if [ \"$cmd\" = plot ]; then\n"
	    "      COMPREPLY=($(compgen -W 'png svg pdf' -- \"$cur\"))\n"
	    "    else\n"
	    "      COMPREPLY=($(compgen -W 'table json csv' -- \"$cur\"))\n"
	    "    fi\n"
	    "    return 0 ;;\n"
	    "  -o|--out)\n"
	    "    compopt -o default 2>/dev/null\n"
	    "    return 0 ;;\n"
	    "  --seed|--replications|-j|--jobs|--timeseries|--slo|--shard|"
	    "--lo|--hi|--tolerance|--replication)\n"
	    "    return 0 ;;\n"
	    "  esac\n"
	    "  local opts=\n"
	    "  case $cmd in\n",
	    f);
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		fprintf(f, "  %s) opts='", c->name);
		options_of(f, c->usage);
		fputs(" --help'", f);
		if (!strcmp(c->name, "help"))
			fputs("\n    COMPREPLY=($(compgen -W \"$commands "
			      "scenario models\" -- \"$cur\"))\n    return 0",
			      f);
		if (!strcmp(c->name, "completion"))
			fputs("\n    COMPREPLY=($(compgen -W bash -- \"$cur\"))"
			      "\n    return 0",
			      f);
		fputs(" ;;\n", f);
	}
	fputs("  esac\n"
	      "  if [[ $cur == -* ]]; then\n"
	      "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	      "    return 0\n"
	      "  fi\n"
	      "  compopt -o default 2>/dev/null\n"
	      "  return 0\n"
	      "}\n"
	      "complete -F _concsim concsim\n",
	      f);
}

int cmd_completion(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "bash")) {
		cli_error("usage: concsim completion bash");
		return EXIT_USAGE;
	}
	bash(stdout);
	return cli_flushed(0);
}
