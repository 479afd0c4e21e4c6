/*
 * cmd_trace.c - `concsim trace`: the request stream `run` would replay.
 *
 * Draws arrivals, classes and demands exactly as `run` does for the chosen
 * replication (the same named streams, the same request ids), so replaying
 * the file with `arrivals: { process: trace, file: ... }` reproduces the
 * run's figures exactly.
 */
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "output/files.h"
#include "scenario/trace.h"
#include "workload/workload.h"

static int write_trace(FILE *f, const struct sim_scenario *sc, int rep,
		       const char **why)
{
	const struct sim_workload *wl = &sc->workload;
	struct sim_arr ar;
	struct sim_gen gen;
	struct sim_reqpool pool;
	int err =
	    sim_arr_init(&ar, &wl->arrivals, sc->seed, (uint32_t)rep, why);
	if (err < 0)
		return err;
	if (wl->arrivals.kind == SIM_ARR_TRACE)
		err = sim_arr_init_trace(&ar, wl, why);
	if (err == 0)
		err = sim_gen_init(&gen, wl, sc->seed, (uint32_t)rep);
	if (err < 0) {
		sim_arr_release(&ar);
		return err;
	}
	sim_reqpool_init(&pool, sc->max_phases);
	struct sim_request *r = sim_req_new(&pool);
	err = r ? sim_trace_write_header(f, sc->max_phases) : SIM_ENOMEM;
	double t_end = sc->warmup + sc->duration;
	for (uint64_t id = 0; err == 0; id++) {
		double t = sim_arr_next(&ar);
		if (!(t <= t_end))
			break;
		if (wl->arrivals.kind == SIM_ARR_TRACE)
			sim_arr_fill(&ar, r);
		else
			sim_gen_fill(&gen, r, id);
		err =
		    sim_trace_write_row(f, t, wl->classes[r->cls].name,
					r->demand, r->nphases, sc->max_phases);
	}
	if (err == 0 && ar.failed) {
		*why = "a row of the trace being replayed could not be read";
		err = SIM_EIO;
	}
	sim_reqpool_release(&pool);
	sim_gen_release(&gen);
	sim_arr_release(&ar);
	return err;
}

/* SIGINT, SIGTERM, SIGHUP or SIGQUIT while writing -o FILE: remove the
 * temporary file (its name is copied here, where the handler can read it
 * safely) and exit 130, so that an interrupted trace leaves nothing behind. */
static volatile sig_atomic_t tmp_set;
static char tmp_name[4096];

static void on_signal(int sig)
{
	if (tmp_set)
		unlink(tmp_name);
	_exit(EXIT_INTERRUPTED);
}

int cmd_trace(int argc, char **argv)
{
	struct cli_opts o;
	struct sim_scenario sc = {0};
	long rep = 1;
	int rc = cli_parse(argc, argv, "--set|--seed|--out|--quiet",
			   "--replication", &o);
	if (rc)
		goto cleanup_opts;
	for (size_t i = 0; i < o.nextra; i++) {
		char *end;
		const char *v = NULL;
		if (!cli_extra_is_option(&o, i)) {
			cli_error("unexpected argument '%s'", o.extra[i]);
			rc = EXIT_USAGE;
			goto cleanup_opts;
		} else if (!strncmp(o.extra[i], "--replication=", 14))
			v = o.extra[i] + 14;
		else if (!strcmp(o.extra[i], "--replication") &&
			 i + 1 < o.nextra)
			v = o.extra[++i];
		rep = v ? strtol(v, &end, 10) : 0;
		if (!v || *end || rep < 1 || rep > 10000) {
			cli_error("unexpected argument '%s'; --replication "
				  "takes a number from 1 to 10000",
				  o.extra[i]);
			rc = EXIT_USAGE;
			goto cleanup_opts;
		}
	}
	rc = cli_load(&o, &sc);
	if (rc)
		goto cleanup_opts;
	if (sc.workload.closed.users) {
		cli_error("'%s' has a closed workload: its arrivals depend on "
			  "the responses, so there is no stream to write",
			  o.file);
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if (rep > sc.replications) {
		cli_error("--replication %ld: the scenario has %d", rep,
			  sc.replications);
		rc = EXIT_USAGE;
		goto cleanup;
	}
	const char *why = NULL;
	rc = EXIT_FAILED;
	if (!o.out) {
		int err = write_trace(stdout, &sc, (int)rep - 1, &why);
		if (err < 0 || fflush(stdout)) {
			cli_error("%s",
				  why ? why
				  : err < 0 && err != SIM_EIO
				      ? sim_strerror(err)
				      : "cannot write to standard output");
			goto cleanup;
		}
		rc = 0;
		goto cleanup;
	}
	/* `trace s.yaml -o s.yaml` (or -o the trace being replayed, or a
	 * samples file) would replace an input */
	const char *out = o.out;
	if (cli_check_clobber(NULL, &out, 1, o.file, sc.inputs, sc.ninputs)) {
		rc = EXIT_USAGE;
		goto cleanup;
	}
	rc = EXIT_FAILED; /* until the trace is written */
	char *d = strdup(o.out), *b = strdup(o.out);
	struct sim_afile a;
	struct sigaction old[CLI_NSIGNALS];
	cli_signals_catch(on_signal, 0, old);
	if (d && b &&
	    sim_afile_open(&a, dirname(d), basename(b), stderr) == 0) {
		if (strlen(a.tmp) < sizeof tmp_name) {
			strcpy(tmp_name, a.tmp);
			tmp_set = 1;
		}
		int err = write_trace(a.f, &sc, (int)rep - 1, &why);
		/* a failed write (full disk) is reported by the commit */
		if (err < 0 && (why || err != SIM_EIO)) {
			cli_error("%s", why ? why : sim_strerror(err));
			sim_afile_abort(&a);
		} else if (sim_afile_commit(&a, stderr) == 0 && err == 0) {
			rc = 0;
		}
		tmp_set = 0;
	}
	cli_signals_restore(old);
	free(d);
	free(b);
cleanup:
	sim_scenario_release(&sc);
cleanup_opts:
	cli_opts_release(&o);
	return rc;
}
