/*
 * read_systems.c - reads `systems:`: each system's name, model, host keys
 * and the model's own table (nested systems included), `overheads: zero`,
 * the model's validate hook, and names that are unique and fit `--set`.
 */
#include "scenario/read_systems.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/registry.h"
#include "scenario/params.h"

#define MAX_SYSTEMS 1000

static const char *const sim__schedulers[] = {"round-robin", "eevdf", NULL};

const struct sim_param sim__host_params[] = {
    SIM_PARAM("cores", SIM_PT_INT, struct sim_host_cfg, cores, .def = 1,
	      .min = 1, .max = 4096, .help = "CPU cores of the host"),
    /* Linux's EEVDF scheduler (6.6 and later) gives a task a base slice
     * scaled by 1 + log2 of the CPUs, counted up to 8 (kernel/sched/
     * fair.c, sysctl_sched_base_slice and get_update_sysctl_factor()):
     * 0.75 ms x 4 = 3 ms on a machine of 8 CPUs or more through 6.14;
     * from 6.15 (and in later 6.12 stable updates) the base is 0.70 ms,
     * 2.8 ms there and 1.4 ms on 2 CPUs (the validation VM's se.slice in
     * /proc/self/sched, which names the running kernel's) */
    SIM_PARAM("quantum", SIM_PT_DURATION, struct sim_host_cfg, quantum,
	      .def = 0.003, .min = 0, .max = 3600,
	      .help = "scheduler time slice (Linux 6.6-6.14 EEVDF's base "
		      "slice on 8 or more CPUs; from 6.15 2.8 ms there, 1.4 "
		      "ms on 2: se.slice in /proc/self/sched); 0 = processor "
		      "sharing"),
    /* Linux acts on a used-up slice at its scheduler tick, 1/CONFIG_HZ:
     * the hrtimer that would end a slice on time (the HRTICK feature) is
     * off by default (kernel/sched/features.h), and CONFIG_HZ defaults to
     * 250 (kernel/Kconfig.hz; Debian 12's kernels, this validation VM's
     * 6.18): 4 ms. Measured there (2026-12-06, scripts/calibrate-tick.sh:
     * one core, CPU-bound processes and one that wakes 2-10 ms after its
     * last burn to burn 1.3 ms): busy processes held the core 2.3-3.9 ms
     * at the median and 3.5-6.5 at the 75th percentile, and the one woken
     * waited about a tick in 16-17 % of its wake-ups behind one busy
     * process, 46-62 % behind two and 70-76 % behind three, else ran at
     * once. 0, the default, ends a slice on time (a kernel with HRTICK;
     * the models' calibrations were made so). */
    SIM_PARAM("tick", SIM_PT_DURATION, struct sim_host_cfg, tick, .def = 0,
	      .min = 0, .max = 1, .flags = SIM_P_UNLESS_DEFAULT,
	      .help = "scheduler tick (1/CONFIG_HZ; 4 ms at Linux's default "
		      "250 Hz): a used-up slice ends at the next tick; 0 = "
		      "at once; round robin only (quantum > 0)"),
    /* Linux's fair scheduler has been EEVDF since 6.6 (kernel/sched/
     * fair.c): a core runs the eligible task with the earliest virtual
     * deadline, a task keeps the lag it is owed (or owes) across a sleep,
     * and one that sleeps owing stays queued until it has paid
     * (DELAY_DEQUEUE, 6.12). Measured on the validation VM (2026-12-06,
     * scripts/calibrate-tick.sh: one core, CPU-bound processes and one
     * that wakes 2-10 ms after its last burn to burn 1.3 ms), the one
     * woken waited in 16-17 % of its wake-ups behind one busy process,
     * 46-62 % behind two and 70-76 % behind three: a busy process owed
     * more, with an earlier deadline, goes first. round-robin, the
     * default, queues in order, the thread preempted at the back. */
    SIM_PARAM("scheduler", SIM_PT_ENUM, struct sim_host_cfg, scheduler,
	      .def = SIM_SCHED_ROUND_ROBIN, .choices = sim__schedulers,
	      .flags = SIM_P_UNLESS_DEFAULT,
	      .help = "which waiting thread a core runs next: round-robin "
		      "(in order) or eevdf (Linux 6.6 and later: the "
		      "eligible one with the earliest virtual deadline); "
		      "quantum > 0"),
    SIM_PARAM("context_switch", SIM_PT_DURATION, struct sim_host_cfg,
	      context_switch, .def = 2e-6, .min = 0, .max = 1,
	      .flags = SIM_P_OVERHEAD,
	      .help = "cost of switching a core to another thread"),
    /* Measured on the validation VM (Linux 6.18, EEVDF; 2026-12-03): a
     * process woken from the other CPU (a pipe write, as a connection
     * wakes a server) to burn 1 ms found a busy loop on its core and
     * finished 1.02 ms later at the median (the busy loop had held the
     * core for milliseconds), but woken while another such process was
     * 0-1 ms into its own 1 ms it let that one finish first (1.04 ms at
     * the median for the one running, 1.20 for the one woken).
     * In gunicorn sync (4 workers, one core) a 1 ms request that arrived
     * while a 20 ms one computed took 1.57 ms at the median, as fast as
     * with the core to itself (1.66). Linux's fair scheduler lets a
     * waking task preempt one that has had more than its share (EEVDF:
     * an entity no longer eligible, kernel/sched/fair.c
     * check_preempt_wakeup_fair(); CFS: the sleeper's vruntime credit),
     * while a task that just got the CPU keeps it for its slice
     * (RUN_TO_PARITY). */
    SIM_PARAM("wakeup_preemption", SIM_PT_BOOL, struct sim_host_cfg,
	      wakeup_preemption, .def = 1,
	      .help = "a thread that becomes runnable takes the core at once "
		      "from one that has run longer than a quantum (Linux); "
		      "false: it waits for the quantum's end"),
    SIM_PARAM("memory", SIM_PT_SIZE, struct sim_host_cfg, memory, .min = 0,
	      .max = 1099511627776.0 * 1024, .help = "memory limit; 0 = none"),
    SIM_PARAM("cpu_scale", SIM_PT_DOUBLE, struct sim_host_cfg, cpu_scale,
	      .def = 1, .min = 0, .max = 1e6,
	      .flags = SIM_P_POSITIVE | SIM_P_UNLESS_DEFAULT,
	      .help = "multiplies every cpu phase of the workload on this "
		      "system (a slower or faster runtime); not the model's "
		      "overheads"),
    /* A virtual machine's vCPU stops when the hypervisor runs another on
     * its physical core; unless the host reports it as steal, the guest
     * charges the time to whatever ran. scripts/calibrate/stallprobe.c
     * measures it (validate-real.sh, before each point). */
    SIM_PARAM("stall_rate", SIM_PT_RATE, struct sim_host_cfg, stall_rate,
	      .def = 0, .min = 0, .max = 1000, .flags = SIM_P_UNLESS_DEFAULT,
	      .help = "how often each core stops running what it runs (a "
		      "hypervisor's other vCPUs), per second; 0 = never"),
    SIM_PARAM("stall_time", SIM_PT_DIST, struct sim_host_cfg, stall_time,
	      .help = "how long a stall lasts (with stall_rate; e.g. { "
		      "dist: empirical, file: stalls.csv })"),
};

/* stall_rate and stall_time go together, on the round-robin scheduler:
 * processor sharing has no cores to stop. */
static void check_stalls(struct sim_load *l, const struct sim_ynode *v,
			 const struct sim_host_cfg *h, const char *where)
{
	const struct sim_ynode *r = sim_ymap_get(v, "stall_rate", NULL);
	if (!r || !(h->stall_rate > 0))
		return;
	if (!(h->stall_time.mean > 0))
		sim__error(
		    l, r->mark,
		    "'stall_rate': needs 'stall_time' above 0 %s, how long a "
		    "stall lasts (e.g. { dist: exponential, mean: 2ms "
		    "})",
		    where);
	else if (!(h->quantum > 0))
		sim__error(l, r->mark,
			   "'stall_rate': needs quantum > 0 %s (the "
			   "round-robin scheduler: processor sharing has no "
			   "cores to stop)",
			   where);
}

/* scheduler: eevdf shares cores by slices: quantum > 0. */
static void check_scheduler(struct sim_load *l, const struct sim_ynode *v,
			    const struct sim_host_cfg *h, const char *where)
{
	const struct sim_ynode *s = sim_ymap_get(v, "scheduler", NULL);
	if (s && h->scheduler == SIM_SCHED_EEVDF && !(h->quantum > 0))
		sim__error(l, s->mark,
			   "'scheduler': eevdf needs quantum > 0 %s (its "
			   "base slice; 0 is processor sharing)",
			   where);
}

void sim__free_system_fields(struct sim_system *sys)
{
	sim__release_table(sim__host_params, NELEM(sim__host_params),
			   &sys->host);
	if (sys->model)
		sim__release_table(sys->model->params, sys->model->nparams,
				   sys->config);
	free(sys->config);
	free(sys->name);
	memset(sys, 0, sizeof(*sys));
}

void sim__free_system(struct sim_system *sys)
{
	if (!sys)
		return;
	sim__free_system_fields(sys);
	free(sys);
}

/* The model named by v, or NULL after an error listing close names. */
static const struct sim_model_ops *find_model(struct sim_load *l,
					      const struct sim_ynode *v)
{
	const struct sim_model_ops *m;
	const char *best = NULL;
	size_t bestd = SIZE_MAX, len = 0;
	char known[512] = "";
	if (!sim__is_scalar(v)) {
		sim__error(l, v->mark, "'model': expected a model name, got %s",
			   sim__got(v).s);
		return NULL;
	}
	if ((m = sim_model_find(v->text)))
		return m;
	for (size_t i = 0; sim_models[i]; i++) {
		sim__consider(v->text, sim_models[i]->name, &best, &bestd);
		if (len < sizeof(known))
			len += (size_t)snprintf(
			    known + len, sizeof(known) - len, "%s%s",
			    i ? ", " : "", sim_models[i]->name);
	}
	if (best)
		sim__error(l, v->mark, "unknown model '%s'; did you mean '%s'?",
			   sim__word(v->text).s, best);
	else
		sim__error(l, v->mark, "unknown model '%s'; known models: %s",
			   sim__word(v->text).s, known);
	return NULL;
}

/* Reads a system map: name (or defname), model, host keys, the model's
 * own keys, then the model's validate hook. Returns 0 or -1 on error
 * (reported); the fields filled so far are owned by sys. */
int sim__read_system(struct sim_load *l, const char *key,
		     const struct sim_ynode *v, struct sim_system *sys,
		     const char *defname, bool zero)
{
	static const char *const extra[] = {"name", "model", "overheads",
					    "services", NULL};
	static const char *const overheads[] = {"default", "zero", NULL};
	const struct sim_ynode *n;
	bool host_given[NELEM(sim__host_params)] = {false}, *given = NULL;
	char where[320];
	int nerr = l->nerr;

	sys->mark = v ? v->mark : (struct sim_mark){l->file, 1, 1};
	if (!sim__expect_kind(l, key, v, SIM_Y_MAP))
		return -1;
	if ((n = sim_ymap_get(v, "name", NULL))) {
		if ((sys->name = sim__read_string(l, "name", n)) &&
		    !sys->name[0])
			sim__error(l, n->mark, "'name': must not be empty");
	} else if (defname && !(sys->name = strdup(defname)))
		sim__nomem(l);
	if (sys->name)
		snprintf(where, sizeof(where), "in system '%s'",
			 sim__word(sys->name).s);
	else
		snprintf(where, sizeof(where), "in a system");
	if (!defname && !n)
		sim__error(l, v->mark, "missing key 'name' %s", where);
	if (!(n = sim_ymap_get(v, "model", NULL))) {
		sim__error(l, v->mark, "missing key 'model' %s", where);
		return -1;
	}
	if (!(sys->model = find_model(l, n)))
		return -1;
	if ((n = sim_ymap_get(v, "overheads", NULL))) {
		int z = sim__read_choice(l, "overheads", overheads, n);
		zero = z < 0 ? zero : z == 1;
	}
	const struct sim_model_ops *m = sys->model;
	sys->config = calloc(1, m->config_size ? m->config_size : 1);
	given = calloc(m->nparams + 1, sizeof(*given));
	if (!sys->config || !given) {
		free(given);
		return sim__nomem(l), -1;
	}
	struct section sec[2] = {
	    {sim__host_params, NELEM(sim__host_params), &sys->host, host_given},
	    {m->params, m->nparams, sys->config, given}};
	struct vctx vc = {sys->name, zero};
	sim__read_table(l, v, sec, 2, extra, where, &vc);
	for (size_t s = 0; zero && s < 2; s++)
		for (size_t i = 0; i < sec[s].np; i++)
			if ((sec[s].p[i].flags & SIM_P_OVERHEAD) &&
			    !sec[s].given[i])
				sim__set_zero(&sec[s].p[i], sec[s].base);
	free(given);
	if (l->nerr == nerr) {
		check_stalls(l, v, &sys->host, where);
		check_scheduler(l, v, &sys->host, where);
	}
	if (l->nerr == nerr && m->validate) {
		const char *why = m->validate(sys);
		if (why)
			sim__error(l, sys->mark, "system '%s': %s",
				   sys->name ? sys->name : m->name, why);
	}
	return l->nerr == nerr && !l->rc ? 0 : -1;
}

/* A system map at indent `ind`, its first line at indent `first`. */
void sim__put_system(FILE *f, const struct sim_system *sys, int ind, int first)
{
	fprintf(f, "%*sname: ", first, "");
	sim__put_string(f, sys->name);
	fprintf(f, "\n%*smodel: %s\n", ind, "", sys->model->name);
	sim__put_table(f, sim__host_params, sim__nhost_params, &sys->host, ind);
	sim__put_table(f, sys->model->params, sys->model->nparams, sys->config,
		       ind);
}

/* A system as the value of a table's key (SIM_PT_SYSTEM): the replica of
 * `replicas`, named after the system around it and the key. */
static void read_nested(struct sim_load *l, const struct sim_param *p,
			const struct sim_ynode *v, void *dst,
			const struct vctx *vc)
{
	char name[256];
	struct sim_system *sys = calloc(1, sizeof(*sys));
	if (!sys) {
		sim__nomem(l);
		return;
	}
	*(struct sim_system **)dst = sys;
	snprintf(name, sizeof(name), "%s.%s",
		 vc && vc->sysname ? vc->sysname : "system", p->key);
	sim__read_system(l, p->key, v, sys, name, vc && vc->zero);
}

static void put_nested(FILE *f, const void *src, int ind)
{
	fputc('\n', f);
	sim__put_system(f, *(struct sim_system *const *)src, ind + 2, ind + 2);
}

static void release_nested(void *dst)
{
	sim__free_system(*(struct sim_system **)dst);
}

const struct sim__nested sim__system_nested = {
    .read = read_nested,
    .put = put_nested,
    .release = release_nested,
};

/* Checks that names[i] (top-level system or class names) are unique and
 * usable in a `--set` path. */
void sim__check_name(struct sim_load *l, const char *what, const char *name,
		     const struct sim_ynode *at)
{
	/* a class name is a cell of trace CSV, which is read line by line
	 * and cell by cell without quotes; results CSV quotes (RFC 4180) */
	bool cls = !strcmp(what, "class");
	for (const char *p = name; *p; p++) {
		if (sim_is_ctl((unsigned char)*p))
			sim__error(l, at->mark,
				   "'name': %s names cannot contain a newline "
				   "or another control character, got %s",
				   what, sim__got(at).s);
		else if (cls && (*p == ',' || *p == '"'))
			sim__error(l, at->mark,
				   "'name': class names cannot contain a comma "
				   "or a double quote (they are cells of "
				   "`concsim trace` CSV), got %s",
				   sim__got(at).s);
		else
			continue;
		return;
	}
}

void sim__check_names(struct sim_load *l, const char *what,
		      const struct sim_ynode *seq, char *const *names,
		      size_t stride)
{
	for (size_t i = 0; i < seq->n && !sim__give_up(l); i++) {
		const char *a =
		    *(char *const *)((const char *)names + i * stride);
		const struct sim_ynode *an =
		    sim_ymap_get(seq->vals[i], "name", NULL);
		if (!a || !an)
			continue;
		if (strchr(a, '.'))
			sim__error(l, an->mark,
				   "'name': %s names cannot contain '.' (they "
				   "are used in --set paths), got %s",
				   what, sim__got(an).s);
		else
			sim__check_name(l, what, a, an);
		for (size_t j = 0; j < i; j++) {
			const char *b =
			    *(char *const *)((const char *)names + j * stride);
			const struct sim_ynode *bn =
			    sim_ymap_get(seq->vals[j], "name", NULL);
			if (b && !strcmp(a, b)) {
				sim__error(l, an->mark,
					   "duplicate %s name '%s' (first at "
					   "line %d)",
					   what, sim__word(a).s, bn->mark.line);
				break;
			}
		}
	}
}

void sim__read_systems(struct sim_load *l, const struct sim_ynode *v,
		       struct sim_scenario *sc)
{
	if (!sim__expect_kind(l, "systems", v, SIM_Y_SEQ))
		return;
	if (v->n == 0) {
		sim__error(l, v->mark,
			   "'systems': expected at least one system");
		return;
	}
	if (v->n > MAX_SYSTEMS) {
		sim__error(l, v->mark,
			   "'systems': %zu systems; at most %d can be compared "
			   "in one scenario",
			   v->n, MAX_SYSTEMS);
		return;
	}
	if (!(sc->systems = calloc(v->n, sizeof(*sc->systems)))) {
		sim__nomem(l);
		return;
	}
	sc->nsystems = v->n;
	for (size_t i = 0; i < v->n && !sim__give_up(l); i++)
		sim__read_system(l, "systems", v->vals[i], &sc->systems[i],
				 NULL, false);
	sim__check_names(l, "system", v, &sc->systems[0].name,
			 sizeof(struct sim_system));
}

const size_t sim__nhost_params = NELEM(sim__host_params);
