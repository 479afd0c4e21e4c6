/*
 * pygc.c - CPython's cyclic garbage collector (see pygc.h).
 */
#include "runtime/pygc.h"

/* CPython gcmodule.c: _PyGC_InitState's thresholds of generations 1, 2 */
#define THRESHOLD1 10
#define THRESHOLD2 10

void sim_pygc_init(struct sim_pygc *g, const struct sim_pygc_cfg *cfg)
{
	*g = (struct sim_pygc){.cfg = cfg};
	g->live[2] = cfg->heap;
	g->ll_total = cfg->heap;
}

void sim_pygc_restart(struct sim_pygc *g)
{
	struct sim_pygc was = *g;
	sim_pygc_init(g, was.cfg);
	g->cpu = was.cpu;
	g->colls = was.colls;
	g->full = was.full;
}

void sim_pygc_report(const struct sim_pygc_figs *f, double el, double cpu_used,
		     struct sim_metrics *m)
{
	sim_metrics_put(m, "gc", "collections_per_s",
			el > 0 ? f->colls / el : 0);
	sim_metrics_put(m, "gc", "full_per_s", el > 0 ? f->full / el : 0);
	/* a collection's CPU is counted when it starts and spent within its
	 * request's burst: one cut short by the end of the run can put the
	 * count a little above the CPU used */
	double share = 0;
	if (cpu_used > 0)
		share = f->cpu < cpu_used ? f->cpu / cpu_used : 1;
	sim_metrics_put(m, "gc", "cpu_share", share);
}

static int gen_of(const struct sim_pygc *g, uint64_t epoch)
{
	return epoch == g->ncoll ? 0 : epoch >= g->c1 ? 1 : 2;
}

/* gcmodule.c collect(): generation `gen` and the younger ones. */
static double collect(struct sim_pygc *g, int gen)
{
	double examined = 0, kept = 0;
	for (int i = 0; i <= gen; i++) {
		examined += g->live[i] + g->junk[i];
		kept += g->live[i];
		g->live[i] = g->junk[i] = 0;
	}
	g->count0 = 0;
	if (gen >= 1)
		g->count1 = 0;
	if (gen == 2)
		g->count2 = 0;
	if (gen == 0) {
		g->count1++;
		g->live[1] += kept;
	} else if (gen == 1) {
		g->count2++;
		g->live[2] += kept;
		g->ll_pending += kept;
	} else {
		g->live[2] = kept;
		g->ll_pending = 0;
		g->ll_total = kept;
		g->full++;
	}
	g->ncoll++;
	g->colls++;
	if (gen >= 1)
		g->c1 = g->ncoll;
	double cpu = examined * g->cfg->cost;
	g->cpu += cpu;
	return cpu;
}

double sim_pygc_alloc(struct sim_pygc *g, uint64_t *epoch)
{
	*epoch = g->ncoll;
	g->live[0] += g->cfg->objects;
	g->count0 += g->cfg->objects;
	if (g->count0 <= g->cfg->threshold)
		return 0;
	/* gcmodule.c collect_generations(): the oldest generation over its
	 * threshold; generation 2 only once long_lived_pending reached
	 * long_lived_total / 4 */
	if (g->count2 > THRESHOLD2 && g->ll_pending >= g->ll_total / 4)
		return collect(g, 2);
	if (g->count1 > THRESHOLD1)
		return collect(g, 1);
	return collect(g, 0);
}

void sim_pygc_free(struct sim_pygc *g, uint64_t epoch)
{
	const struct sim_pygc_cfg *c = g->cfg;
	int k = gen_of(g, epoch);
	int freed =
	    c->objects - (c->garbage < c->objects ? c->garbage : c->objects);
	g->live[k] -= c->objects;
	g->junk[k] += c->objects - freed;
	/* gc_free: generations[0].count--, never below 0 */
	g->count0 = g->count0 > freed ? g->count0 - freed : 0;
}
