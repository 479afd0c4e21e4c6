/*
 * help.c - the documentation concsim carries: the list of commands, `help
 * COMMAND`, `help scenario` (every key of a scenario file, walked from the
 * loader's tables in scenario/keys.c), `help models` (every model's table)
 * and the manual page concsim(1) made of all of them (`help --man`, run by
 * the build), so that help and man page never drift from what the loader
 * and the command table accept.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "kernel/rng.h"
#include "models/registry.h"
#include "runtime/model.h"
#include "scenario/diag.h"
#include "scenario/keys.h"

/* Where the documents go: plain text for the terminal, or roff. */
struct doc {
	FILE *f;
	bool man;
};

/* s in roff: backslashes, leading dots and quotes escaped, '-' as \-. */
static void roff(FILE *f, const char *s)
{
	bool bol = true;
	for (; *s; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		bol = *s == '\n';
	}
}

/* "  KEY  TEXT" with TEXT wrapped at 79 columns under itself, `more`
 * columns further in; without a key, TEXT alone from column 2. */
static void wrap(FILE *f, const char *key, const char *text, int more)
{
	int col = key ? 24 + more : 2, width = 79 - col;
	if (key)
		fprintf(f, "  %-21s %*s", key, more, "");
	else
		fputs("  ", f);
	while (*text) {
		int n = (int)strlen(text);
		if (n > width) {
			n = width;
			while (n > 0 && text[n] != ' ')
				n--;
			if (n == 0)
				n = (int)strcspn(text, " ");
		}
		fprintf(f, "%.*s\n", n, text);
		text += n;
		while (*text == ' ')
			text++;
		if (*text)
			fprintf(f, "%*s", col, "");
	}
}

static void doc_section(struct doc *d, const char *title, const char *help)
{
	if (d->man) {
		fputs(".SS \"", d->f);
		roff(d->f, title);
		fputs("\"\n", d->f);
		if (help) {
			roff(d->f, help);
			fputs("\n", d->f);
		}
		return;
	}
	fprintf(d->f, "\n%s\n", title);
	if (help)
		wrap(d->f, NULL, help, 0);
}

/* One key: its name, the line of type/default/range, what it means. */
static void doc_key(struct doc *d, const char *key, const char *detail,
		    const char *help)
{
	if (d->man) {
		fputs(".TP\n.B ", d->f);
		roff(d->f, key);
		fputs("\n", d->f);
		roff(d->f, help);
		if (detail && *detail) {
			fputs(".\n", d->f);
			roff(d->f, detail);
		}
		fputs("\n", d->f);
		return;
	}
	wrap(d->f, key, help, 0);
	if (detail && *detail)
		wrap(d->f, "", detail, 2);
}

static void doc_param(struct doc *d, const struct sim_param *p)
{
	char type[160], def[64], range[128], detail[400], help[400];
	sim_param_type_text(p, type, sizeof type);
	sim_param_default_text(p, def, sizeof def);
	sim_param_range_text(p, range, sizeof range);
	snprintf(detail, sizeof detail, "%s%s%s%s%s%s", type,
		 p->flags & SIM_P_REQUIRED ? "; required" : "",
		 *def ? "; default " : "", def, *range ? "; " : "", range);
	snprintf(help, sizeof help, "%s%s", p->help ? p->help : "",
		 sim_param_overhead_text(p));
	doc_key(d, p->key, detail, help);
}

static void doc_table(struct doc *d, const struct sim_param *p, size_t np)
{
	for (size_t i = 0; i < np; i++)
		doc_param(d, &p[i]);
}

/* Keys a section reads by hand beside its tables: key, detail, help. */
struct doc_row {
	const char *key, *detail, *help;
};

static const struct doc_row system_rows[] = {
    {"name", "string; required",
     "the system's name (no '.': --set systems.NAME.KEY)"},
    {"model", "one of the models; required",
     "the concurrency model: its keys are listed under MODELS (concsim help "
     "models)"},
    {"overheads", "one of default, zero; default default",
     "zero sets every overhead of the model to 0 (a key given beside it "
     "still wins)"},
};

static const struct doc_row phase_rows[] = {
    {"cpu", "duration or distribution", "CPU work: needs a thread and a core"},
    {"io", "duration or distribution",
     "a non-blocking wait (network, database); its map may give "
     "'downstream'"},
    {"pool", "duration or distribution",
     "blocking work for a threadpool; its map may give 'cpu'"},
    {"call",
     "map: service, phases, handler, timeout, retries, pool, hit, hit_cost",
     "a request to a service, waited for (concsim help services)"},
    {"parallel", "list of {call: ...}",
     "calls sent together; the slowest decides"},
};

static const struct doc_row sweep_rows[] = {
    {"PATH", "list of values, or {from, to, step}",
     "e.g. workload.arrivals.rate: {from: 100/s, to: 2000/s, step: 100/s} "
     "or systems.node.threadpool: [4, 8, 16]"},
};

static void doc_rows(struct doc *d, const struct doc_row *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		doc_key(d, r[i].key, r[i].detail, r[i].help);
}

static void doc_tree(struct doc *d, const struct sim_section *s)
{
	doc_section(d, s->path[0] ? s->path : "top level", s->help);
	if (s->special == SIM_SEC_SYSTEMS)
		doc_rows(d, system_rows, NELEM(system_rows));
	if (s->special == SIM_SEC_PHASES)
		doc_rows(d, phase_rows, NELEM(phase_rows));
	if (s->special == SIM_SEC_SWEEP)
		doc_rows(d, sweep_rows, NELEM(sweep_rows));
	if (s->p)
		doc_table(d, s->p, *s->np);
	for (size_t i = 0; s->sub && s->sub[i]; i++) {
		const struct sim_section *c = s->sub[i];
		if (!c->key && c->p) {
			doc_table(d, c->p, *c->np);
			continue;
		}
		char detail[64], help[256];
		snprintf(detail, sizeof detail, "%s%s",
			 c->list ? "list of maps" : "map",
			 c->required ? "; required" : "");
		snprintf(help, sizeof help, "%s (below: %s)", c->help, c->path);
		doc_key(d, c->key, detail, help);
	}
	for (size_t i = 0; s->sub && s->sub[i]; i++)
		if (s->sub[i]->key)
			doc_tree(d, s->sub[i]);
}

static void doc_scenario(struct doc *d)
{
	char names[256] = "";
	size_t n = 0;
	doc_tree(d, &sim_scenario_shape);
	for (int i = 0; i < SIM_DIST_NKINDS && n < sizeof names; i++)
		n += (size_t)snprintf(names + n, sizeof names - n, "%s%s",
				      i ? ", " : "", sim_dist_names[i]);
	doc_section(d, "distributions",
		    "a phase or a think time is a duration (a constant) or "
		    "a map {dist: KIND, ...}; mean and cv define every kind "
		    "that has a shape, erlang takes k, empirical takes file "
		    "or values");
	doc_key(d, "dist", names, "the kind (default exponential)");
	doc_table(d, sim_dist_keys, *sim_ndist_keys);
	doc_key(d, "values", "list of durations",
		"empirical: the samples themselves");
	doc_param(d, sim_io_flag);
	doc_param(d, sim_pool_flag);
}

static void doc_models(struct doc *d)
{
	for (size_t i = 0; sim_models[i]; i++) {
		const struct sim_model_ops *m = sim_models[i];
		doc_section(d, m->name, m->summary);
		doc_table(d, m->params, m->nparams);
	}
}

/* `concsim help services`: the service graph in a scenario. */
static const char help_services_text[] =
    "services: requests that call other services\n"
    "\n"
    "  services:                      # top level: a name -> a system "
    "definition\n"
    "    compute: { model: async, cores: 4, workers: 4 }\n"
    "    db: { model: server, cores: 8, max_connections: 100, pool: 5 }\n"
    "\n"
    "A phase `call:` sends a request with its own phases to a service and "
    "waits\nfor the answer; `parallel:` sends several and waits for all "
    "(the slowest\ndecides). A sync worker holds its thread meanwhile; an "
    "event loop or an\nasyncio loop is free and runs a callback when the "
    "answer comes.\n"
    "\n"
    "  - call:\n"
    "      service: db                # required: a name under services:\n"
    "      phases: [ {cpu: 300us}, {io: 1ms} ]   # what the service does\n"
    "      handler: sync              # async (default) or sync (a def "
    "handler)\n"
    "      timeout: 500ms             # the call's own timeout (default "
    "none)\n"
    "      retries: { max: 2, backoff: 10ms }    # as workload.client.retries\n"
    "      pool: 5                    # connections per calling process "
    "(default:\n"
    "                                 # the service's pool; 0 = one per "
    "call)\n"
    "      hit: 0.8                   # cache hit probability: skips the "
    "call\n"
    "      hit_cost: 200us            # a hit's wait (a cache round trip)\n"
    "  - parallel: [ {call: {...}}, {call: {...}} ]\n"
    "\n"
    "Each system gets its own instance of every service (designs never "
    "share);\nall replicas of a `replicas` system share one. "
    "systems.NAME.services.SVC.KEY\noverrides a key for one system (an "
    "override that names a model replaces\nthe definition). A client pool "
    "(SQLAlchemy pool_size 5 + max_overflow 10,\nnode-postgres max 10) "
    "keeps its connections open: processes x pool counts\nagainst the "
    "`server` model's max_connections (PostgreSQL: 100), and beyond it\n"
    "new connections are refused. A call that fails (refused, killed, "
    "timed out\nafter its retries) fails the caller's request with that "
    "reason. Calls nest\nup to 16 deep; a service cannot call itself "
    "through a chain.\n"
    "\n"
    "Output: per service under systems[].services.NAME (calls_rps, "
    "throughput_rps,\nerrors, latency_s, pool.wait_s_mean, the model's "
    "utilization and queues),\nand time_share.mean/p99: the share of "
    "latency in own cpu, io, waiting\n(for a core, the loop, a worker; "
    "overheads), pool waits and each service.\n"
    "Examples: microservices.yaml and connection-pools.yaml among the\nexample "
    "scenarios.\n";

void cli_usage(FILE *f)
{
	fprintf(f, "usage: concsim COMMAND [options]\n\n"
		   "Simulates how web backends (Node.js event loop, gunicorn "
		   "workers,\nuvicorn async, replicas behind a balancer) "
		   "handle concurrent requests.\n\ncommands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n`concsim help COMMAND` shows a command's options; "
		   "`concsim help scenario`\ndocuments every key of a "
		   "scenario file, `concsim help models` every model,\n"
		   "`concsim help services` the service graph;\n"
		   "`man concsim` has it all. -V, --version: the version.\n"
		   "\nA FILE of - reads the scenario from standard input; "
		   "short options bundle\n(-qj2); --opt=value or --opt "
		   "value; -- ends the options.\n");
}

int cli_help(const char *name)
{
	struct doc d = {stdout, false};
	if (!name) {
		cli_usage(stdout);
		return 0;
	}
	if (!strcmp(name, "models")) {
		printf(
		    "Every system takes `model:` and the host's keys (concsim "
		    "help scenario),\nthen its model's own keys:\n");
		doc_models(&d);
		return 0;
	}
	if (!strcmp(name, "services")) {
		fputs(help_services_text, stdout);
		return 0;
	}
	if (!strcmp(name, "scenario")) {
		char u[3][64];
		sim_unit_names(SIM_PT_DURATION, u[0], sizeof u[0]);
		sim_unit_names(SIM_PT_RATE, u[1], sizeof u[1]);
		sim_unit_names(SIM_PT_SIZE, u[2], sizeof u[2]);
		printf(
		    "A scenario file is YAML: the workload once, the systems "
		    "to compare on it.\nEvery duration, rate and size "
		    "carries its unit; a bare number is refused.\n"
		    "  durations: %s\n  rates:     %s\n  sizes:     %s\n"
		    "Unknown keys are errors. `concsim check FILE` "
		    "validates a file; `concsim\nschema` prints a JSON "
		    "Schema for editors.\n",
		    u[0], u[1], u[2]);
		doc_scenario(&d);
		return 0;
	}
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0) {
			fputs(c->usage, stdout);
			return 0;
		}
	cli_error("unknown command or topic '%s'; see 'concsim help'", name);
	return EXIT_USAGE;
}

int cli_man(FILE *f)
{
	struct doc d = {f, true};
	fputs(".\\\" concsim(1): made by `concsim help --man` from the "
	      "command table and the\n.\\\" scenario loader's tables; do "
	      "not edit.\n",
	      f);
	fprintf(f, ".TH CONCSIM 1 \"\" \"concsim %s\" \"User Commands\"\n",
		CONCSIM_VERSION);
	fputs(".SH NAME\nconcsim \\- simulate how web backends handle "
	      "concurrent requests\n.SH SYNOPSIS\n.B concsim\n.I COMMAND\n"
	      "[\\fIoptions\\fR] [\\fIFILE\\fR|\\fB\\-\\fR]\n.br\n"
	      ".B concsim\n\\fB\\-V\\fR | \\fB\\-\\-version\\fR | "
	      "\\fB\\-\\-help\\fR\n.SH DESCRIPTION\n",
	      f);
	roff(f, "concsim is a discrete-event simulator of the ways a web "
		"backend handles concurrent requests: a Node.js event loop "
		"(with the libuv threadpool and cluster processes), gunicorn "
		"sync and gthread workers, uvicorn with async and sync "
		"handlers under the GIL, and replicas of any of them behind a "
		"load balancer. A scenario file describes the workload once; "
		"concsim runs every system on the very same request stream "
		"and reports throughput, goodput, errors, latency percentiles "
		"with confidence intervals, CPU and memory.\n");
	fputs(".PP\n", f);
	roff(f, "Options follow the getopt_long conventions: short options "
		"bundle (-qj2), a long option takes its value as --opt=value "
		"or --opt value, -- ends the options, and a FILE of - reads "
		"the scenario from standard input.\n");
	fputs(".SH COMMANDS\n", f);
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		fputs(".SS ", f);
		roff(f, c->name);
		fputs("\n", f);
		roff(f, c->summary);
		fputs(".\n.PP\n.nf\n", f);
		roff(f, c->usage);
		fputs(".fi\n", f);
	}
	fputs(".SH SCENARIO FILE\n", f);
	roff(f, "A scenario file is YAML. Every duration, rate and size "
		"carries its unit; a bare number is refused. Unknown keys "
		"are errors, with the closest valid key suggested. Each "
		"problem is reported as FILE:LINE:COLUMN: error: MESSAGE.\n");
	doc_scenario(&d);
	fputs(".SH MODELS\n", f);
	roff(f, "Every system takes model: and the host keys above, then its "
		"model's own keys:\n");
	doc_models(&d);
	fputs(".SH EXIT STATUS\n", f);
	roff(f, "0 success; 1 the simulation ran but something failed (or no "
		"capacity was found); 2 bad usage or a bad scenario (nothing "
		"is written); 130 interrupted (SIGINT, SIGTERM).\n");
	fputs(".SH FILES\n.TP\n.I share/concsim/scenarios/\n", f);
	roff(f, "example scenarios, flagship.yaml first; each starts with a "
		"comment saying what it shows (under the installation prefix, "
		"e.g. /usr/local).\n");
	fputs(".SH EXAMPLES\n.nf\n", f);
	roff(f, "concsim check flagship.yaml\n"
		"concsim run flagship.yaml --set workload.arrivals.rate=900/s\n"
		"concsim run flagship.yaml -qj2 -o results --timeseries 1s\n"
		"concsim report results\n"
		"concsim sweep flagship.yaml -o sweep "
		"--param workload.arrivals.rate=200/s:2600/s:200/s\n"
		"concsim capacity flagship.yaml --slo 'p99<250ms'\n"
		"concsim schema > concsim.schema.json\n");
	fputs(".fi\n", f);
	return ferror(f) ? EXIT_FAILED : 0;
}
