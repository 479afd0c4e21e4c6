/*
 * read_sessions.c - reads how clients use connections: `workload.
 * connections` (keep-alive: requests per connection, TLS) and
 * `workload.sessions` (long-lived WebSocket or SSE connections carrying
 * messages, with an optional broadcast), and checks them against the rest
 * of the scenario once it is loaded (sim__check_sessions).
 */
#include "scenario/read_sessions.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/model.h"
#include "scenario/params.h"
#include "scenario/read_workload.h"

struct conns_spec {
	bool tls;
};

static const struct sim_param conns_params[] = {
    SIM_PARAM("tls", SIM_PT_BOOL, struct conns_spec, tls, .min = 0, .max = 1,
	      .help = "every new connection does a TLS handshake"),
};

/* For documents (keys.c): the keys as they read, `reuse` and `fanout`
 * included (read by their own code: a number or a map, a number or
 * `all`). */
const struct sim_param sim__connections_doc[] = {
    SIM_PARAM("reuse", SIM_PT_INT, struct sim_connections, reuse, .def = 1,
	      .min = 1, .max = 1e9,
	      .help = "requests carried per connection; or { dist: "
		      "geometric, mean: N }"),
    SIM_PARAM("tls", SIM_PT_BOOL, struct sim_connections, tls, .min = 0,
	      .max = 1, .help = "every new connection does a TLS handshake"),
};
const size_t sim__nconnections_doc = NELEM(sim__connections_doc);

static const struct sim_param reuse_param =
    SIM_PARAM("reuse", SIM_PT_INT, struct sim_connections, reuse, .min = 1,
	      .max = 1e9, .help = "requests carried per connection");
static const struct sim_param reuse_mean_param =
    SIM_PARAM("mean", SIM_PT_DOUBLE, struct sim_connections, reuse, .min = 1,
	      .max = 1e9, .help = "mean requests per connection (geometric)");

void sim__read_connections(struct sim_load *l, const struct sim_ynode *v,
			   struct sim_connections *c)
{
	static const char *const extra[] = {"reuse", NULL};
	struct conns_spec cs = {0};
	struct section sec = {conns_params, NELEM(conns_params), &cs, NULL};
	c->reuse = 1;
	if (!v || !sim__expect_kind(l, "connections", v, SIM_Y_MAP))
		return;
	c->mark = v->mark;
	sim__read_table(l, v, &sec, 1, extra, "in 'workload.connections'",
			NULL);
	c->tls = cs.tls;
	const struct sim_ynode *r = sim_ymap_get(v, "reuse", NULL);
	if (!r)
		return;
	if (r->kind != SIM_Y_MAP) {
		double x;
		if (sim__read_number(l, "reuse", SIM_PT_DOUBLE, r, &x) &&
		    sim__check_range(l, "reuse", SIM_PT_INT, reuse_param.min,
				     reuse_param.max, 0, r, x))
			c->reuse = x;
		if (c->reuse != (double)(long long)c->reuse) {
			sim__error(l, r->mark,
				   "'reuse': expected a whole number of "
				   "requests (or { mean: N } for a geometric "
				   "count)");
			c->reuse = 1;
		}
		return;
	}
	static const char *const rextra[] = {"dist", NULL};
	struct section rs = {&reuse_mean_param, 1, c, NULL};
	sim__read_table(l, r, &rs, 1, rextra, "in 'reuse'", NULL);
	const struct sim_ynode *d = sim_ymap_get(r, "dist", NULL);
	if (d && (!sim__is_scalar(d) || strcmp(d->text, "geometric")))
		sim__error(l, d->mark,
			   "'dist': requests per connection are 'geometric' "
			   "(the default), got %s",
			   sim__got(d).s);
	if (!sim_ymap_get(r, "mean", NULL))
		sim__error(l, r->mark, "missing key 'mean' in 'reuse'");
	c->geometric = true;
}

struct sess_spec {
	int count;
	double ramp;
	struct sim_dist lifetime;
};

const struct sim_param sim__sessions_doc[] = {
    SIM_PARAM("count", SIM_PT_INT, struct sess_spec, count, .min = 1,
	      .max = 10000000, .flags = SIM_P_REQUIRED,
	      .help = "sessions open at once (a closed one is replaced)"),
    SIM_PARAM("ramp", SIM_PT_DURATION, struct sess_spec, ramp, .min = 0,
	      .max = SIM_MAX_SIM_TIME,
	      .help = "the sessions open evenly over this time"),
    SIM_PARAM("lifetime", SIM_PT_DIST, struct sess_spec, lifetime,
	      .help = "how long a session stays open (default: the run)"),
};

struct msg_spec {
	double rate;
};

const struct sim_param sim__messages_doc[] = {
    SIM_PARAM("rate", SIM_PT_RATE, struct msg_spec, rate, .min = 0, .max = 1e9,
	      .flags = SIM_P_REQUIRED,
	      .help = "messages per second sent by each session (Poisson)"),
};

const size_t sim__nsessions_doc = NELEM(sim__sessions_doc);
const size_t sim__nmessages_doc = NELEM(sim__messages_doc);

const struct sim_param sim__broadcast_doc[] = {
    SIM_PARAM("fanout", SIM_PT_INT, struct sim_sessions, fanout, .min = 1,
	      .max = 1e7, .flags = SIM_P_REQUIRED,
	      .help = "recipients of each message (at most 'count'), or "
		      "'all': every session open"),
};
const size_t sim__nbroadcast_doc = NELEM(sim__broadcast_doc);

/* broadcast.fanout: a whole number of recipients, or `all`. */
static void read_fanout(struct sim_load *l, const struct sim_ynode *f,
			struct sim_sessions *s)
{
	s->fanout_mark = f->mark;
	if (sim__is_scalar(f) && !strcmp(f->text, "all")) {
		s->fanout_all = true;
		s->fanout = s->count;
		return;
	}
	double x;
	if (sim__read_number(l, "fanout", SIM_PT_DOUBLE, f, &x) &&
	    sim__check_range(l, "fanout", SIM_PT_INT, 1, 1e7, 0, f, x)) {
		if (x != (double)(long long)x)
			sim__error(l, f->mark,
				   "'fanout': expected a whole number of "
				   "sessions or 'all'");
		s->fanout = (uint32_t)x;
	}
}

void sim__read_sessions(struct sim_load *l, const struct sim_ynode *v,
			struct sim_sessions *s)
{
	static const char *const extra[] = {"messages", "broadcast", NULL};
	static const char *const phases[] = {"phases", NULL};
	static const char *const bextra[] = {"fanout", "phases", NULL};
	if (!sim__expect_kind(l, "sessions", v, SIM_Y_MAP))
		return;
	struct sess_spec ss = {0};
	struct section sec = {sim__sessions_doc, NELEM(sim__sessions_doc), &ss,
			      NULL};
	sim__read_table(l, v, &sec, 1, extra, "in 'workload.sessions'", NULL);
	s->mark = v->mark;
	s->count = (uint32_t)ss.count;
	s->ramp = ss.ramp;
	s->lifetime = ss.lifetime;
	const struct sim_ynode *n = sim_ymap_get(v, "ramp", NULL);
	s->ramp_mark = n ? n->mark : v->mark;
	if (!sim_ymap_get(v, "lifetime", NULL))
		s->lifetime.kind = SIM_DIST_NKINDS; /* the whole run */
	const struct sim_ynode *m = sim_ymap_get(v, "messages", NULL);
	if (!m)
		sim__error(l, v->mark,
			   "missing key 'messages' in 'workload.sessions'");
	else if (sim__expect_kind(l, "messages", m, SIM_Y_MAP)) {
		struct msg_spec ms = {0};
		struct section msec = {sim__messages_doc,
				       NELEM(sim__messages_doc), &ms, NULL};
		sim__read_table(l, m, &msec, 1, phases,
				"in 'workload.sessions.messages'", NULL);
		s->rate = ms.rate;
		s->msg.mark = m->mark;
		sim__read_phases(l, sim_ymap_get(m, "phases", NULL), &s->msg);
		for (size_t i = 0; i < s->msg.nphases; i++)
			if (s->msg.phases[i].kind >= SIM_PHASE_CALL) {
				sim__error(
				    l, m->mark,
				    "'messages.phases': cpu, io or pool "
				    "phases only, got '%s'",
				    sim_phase_names[s->msg.phases[i].kind]);
				break;
			}
	}
	const struct sim_ynode *b = sim_ymap_get(v, "broadcast", NULL);
	if (!b || !sim__expect_kind(l, "broadcast", b, SIM_Y_MAP))
		return;
	sim__read_table(l, b, NULL, 0, bextra,
			"in 'workload.sessions.broadcast'", NULL);
	const struct sim_ynode *f = sim_ymap_get(b, "fanout", NULL);
	if (!f)
		sim__error(l, b->mark,
			   "missing key 'fanout' in "
			   "'workload.sessions.broadcast'");
	else
		read_fanout(l, f, s);
	if (s->fanout && !s->fanout_all && s->count && s->fanout > s->count)
		sim__error(l, f->mark,
			   "'fanout': %u recipients, but there are only %u "
			   "sessions ('count'); give at most %u, or 'all'",
			   s->fanout, s->count, s->count);
	s->bcast.mark = b->mark;
	sim__read_phases(l, sim_ymap_get(b, "phases", NULL), &s->bcast);
	for (size_t i = 0; i < s->bcast.nphases; i++)
		if (s->bcast.phases[i].kind != SIM_PHASE_CPU) {
			sim__error(l, b->mark,
				   "'broadcast.phases': only cpu phases (the "
				   "work of sending to one recipient), got "
				   "'%s'",
				   sim_phase_names[s->bcast.phases[i].kind]);
			break;
		}
}

int sim__sessions_classes(struct sim_workload *w)
{
	struct sim_sessions *s = &w->sessions;
	if (!s->count)
		return 0;
	struct sim_class *c =
	    realloc(w->classes, (w->nclasses + 2) * sizeof *c);
	if (!c)
		return SIM_ENOMEM;
	w->classes = c;
	struct sim_class *msg = &c[w->nclasses], *hold = &c[w->nclasses + 1];
	/* the message: its phases, then one cpu phase for its broadcast */
	*msg =
	    (struct sim_class){.name = strdup("message"), .mark = s->msg.mark};
	*hold = (struct sim_class){.name = strdup("session"), .mark = s->mark};
	size_t nb = s->fanout ? 1 : 0;
	msg->phases = calloc(s->msg.nphases + nb, sizeof *msg->phases);
	hold->phases = calloc(1, sizeof *hold->phases);
	w->nextra = 2;
	if (!msg->name || !hold->name || !msg->phases || !hold->phases)
		return SIM_ENOMEM;
	for (size_t i = 0; i < s->msg.nphases; i++) {
		msg->phases[i] = s->msg.phases[i];
		int err =
		    sim_dist_copy(&msg->phases[i].dist, &s->msg.phases[i].dist);
		if (err < 0)
			return err;
	}
	msg->nphases = s->msg.nphases + nb;
	msg->ndemands = msg->nphases;
	hold->ndemands = 1;
	if (nb) /* its demand is drawn recipient by recipient */
		msg->phases[s->msg.nphases] =
		    (struct sim_phase){.kind = SIM_PHASE_CPU, .on_cpu = true};
	/* the session waits for messages without a thread or a core */
	hold->phases[0] = (struct sim_phase){.kind = SIM_PHASE_IO};
	hold->nphases = 1;
	return 0;
}

void sim__check_sessions(struct sim_load *l, const struct sim_scenario *sc)
{
	const struct sim_sessions *s = &sc->workload.sessions;
	if (!s->count)
		return;
	if (s->ramp > sc->warmup + sc->duration)
		sim__error(l, s->ramp_mark,
			   "'ramp': the sessions would still be opening when "
			   "the run ends (warmup + duration); give at most "
			   "%gs",
			   sc->warmup + sc->duration);
	for (size_t i = 0; i < sc->nsystems; i++) {
		const struct sim_system *sys = &sc->systems[i];
		if (!sys->model->session)
			sim__error(l, sys->mark,
				   "system '%s': model '%s' cannot hold "
				   "sessions (workload.sessions), which must "
				   "stay on one process: give a model that "
				   "serves connections itself (event-loop, "
				   "async, worker-pool)",
				   sys->name, sys->model->name);
	}
}

void sim__release_sessions(struct sim_sessions *s)
{
	sim_dist_release(&s->lifetime);
	struct sim_class *c[2] = {&s->msg, &s->bcast};
	for (int k = 0; k < 2; k++) {
		for (size_t j = 0; j < c[k]->nphases; j++)
			sim_dist_release(&c[k]->phases[j].dist);
		free(c[k]->phases);
	}
}
