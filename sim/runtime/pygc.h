/*
 * pygc.h - CPython's cyclic garbage collector, per Python process: the
 * CPU its collections take from the thread that allocates, and how that
 * grows with the requests in flight.
 *
 * CPython 3.11 (Modules/gcmodule.c) keeps every container object it tracks
 * in one of three generations. Allocating a tracked object adds one to
 * generation 0's count and freeing one takes one off (never below 0); when
 * the count passes threshold0 (gc.get_threshold(): 700, 10, 10) the
 * allocating thread collects at once (collect_generations): the oldest
 * generation whose count passed its threshold, with every younger one.
 * Generation 1's count is the collections of generation 0 since its own
 * last, generation 2's those of generation 1; a full collection (of 2) also
 * waits until the objects promoted into generation 2 since the last one
 * (long_lived_pending) reach a quarter of those it kept (long_lived_total).
 * A collection examines every object of the generations it collects, frees
 * the cyclic garbage among them, and moves the survivors one generation up.
 *
 * Here a request holds `gc_request_objects` tracked objects from its first
 * callback (all allocated then) until it ends, when `gc_request_garbage` of
 * them are left as cyclic garbage (freed by a later collection) and the
 * rest are freed by reference counting. The process starts with `gc_heap`
 * long-lived objects (modules, the application). A collection costs
 * `gc_object_cost` per object examined. A request that ends within a few
 * young collections leaves its garbage in generation 0 or 1; under overload
 * requests live long enough to be promoted into generation 2, full
 * collections come more often, and each examines the whole heap, itself
 * grown by the requests in flight: the CPU per request grows with the
 * requests in flight, and goodput falls past saturation.
 *
 * Which generation a request's objects are in follows from when they were
 * allocated: the collection count then (the request's epoch) against the
 * count now and at the last collection of generation 1 or 2.
 */
#ifndef SIM_PYGC_H
#define SIM_PYGC_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/model.h"

struct sim_pygc_cfg {
	int threshold; /* threshold0; 0 = gc.disable() */
	int heap;      /* tracked objects of an idle process */
	int objects;   /* held by a request in flight */
	int garbage;   /* of which left as cyclic garbage at its end */
	double cost;   /* CPU per object a collection examines */
};

/* The rows of the five `gc_*` keys of a Python model whose config struct
 * `cfg` has a struct sim_pygc_cfg `field`. Defaults measured on uvicorn +
 * FastAPI (scripts/validate/py_apps.py, uvloop + httptools, CPython 3.11.7)
 * pinned to one core of the 2-vCPU EPYC VM of scripts/validate-real.sh,
 * 2026-12-02, with gc.callbacks and gc.get_objects() in the server:
 * gc_heap 50 600: len(gc.get_objects()) after gc.collect() in the idle
 * server; gc_request_objects 77: at 1600/s offered (past the knee) after a
 * gc.collect(), 92 726 objects with 549 request tasks alive,
 * (92 726 - 50 600) / 549; gc_request_garbage 24: bash
 * scripts/calibrate-gc.sh (2026-12-03 17:08 UTC, the same VM; the `io`
 * mix of validate-real.sh, 15 s a rate): the objects gc.callbacks saw
 * collections find unreachable, per request answered, were 28.5 at
 * 200/s, 24.7 at 900/s and 23.4 at 1100/s (its knee is ~1300/s), with
 * 35.2 and 48.4 collections a second at 900 and 1100/s (the model with
 * 24: 35.1 and 42.3) taking 4.4 and 5.1 % of the server's CPU (the
 * model: 5.4 and 6.2 %); 24, the value near the knee, where the
 * collector decides the capacity: the garbage a request leaves falls
 * with the load, a constant here (an earlier count on an empty endpoint
 * at 200/s, objects freed by generation 0 and 1 collections: 35);
 * gc_object_cost 0.38 us: the full collections under load on the 2-vCPU
 * EPYC VM of the 2026-12-05 calibrations (scripts/calibrate-gc.sh, five
 * runs at 23:40-23:53 UTC, the io mix at 242-1100/s: a full collection's
 * thread CPU over the objects tracked, 56-63k), the median of ten rates'
 * 0.22 to 0.53 us: the same collection takes twice as long in some
 * minutes as in others, the heap's lines sharing the host's last-level
 * cache with other tenants; gc.collect() of the idle heap, seven times
 * back to back, 0.11 to 0.38 us (its objects warm). On the VM of
 * 2026-12-02, gc.collect() of the idle heap took 25.1-25.6 ms for 50.6k
 * objects: 0.5 us. Freeing garbage costs more, ~1.75 us an object, but
 * that is paid at any load: request_overhead has it. */
#define SIM_PYGC_PARAMS(cfg, field)                                            \
	SIM_PARAM("gc_threshold", SIM_PT_INT, cfg, field.threshold,            \
		  .def = 700, .min = 0, .max = 1 << 30,                        \
		  .help = "CPython gc threshold0: net tracked allocations "    \
			  "between young collections (0: gc.disable())"),      \
	    SIM_PARAM("gc_heap", SIM_PT_INT, cfg, field.heap, .def = 50600,    \
		      .min = 0, .max = 1 << 30,                                \
		      .help = "objects the cyclic GC tracks in an idle "       \
			      "process (modules, the application)"),           \
	    SIM_PARAM("gc_request_objects", SIM_PT_INT, cfg, field.objects,    \
		      .def = 77, .min = 0, .max = 1 << 24,                     \
		      .help = "GC-tracked objects a request holds while in "   \
			      "flight"),                                       \
	    SIM_PARAM("gc_request_garbage", SIM_PT_INT, cfg, field.garbage,    \
		      .def = 24, .min = 0, .max = 1 << 24,                     \
		      .help = "of gc_request_objects, those left as cyclic "   \
			      "garbage when the request ends"),                \
	    SIM_PARAM("gc_object_cost", SIM_PT_DURATION, cfg, field.cost,      \
		      .def = 0.38e-6, .min = 0, .max = 1,                      \
		      .flags = SIM_P_OVERHEAD,                                 \
		      .help = "CPU per object a GC collection examines")

/* One process's collector. */
struct sim_pygc {
	const struct sim_pygc_cfg *cfg;
	uint64_t ncoll;	    /* collections so far: the current epoch */
	uint64_t c1;	    /* ncoll after the last collection of gen >= 1 */
	double count0;	    /* generations[0].count */
	int count1, count2; /* generations[1].count, generations[2].count */
	double live[3];	    /* objects alive, by generation */
	double junk[3];	    /* cyclic garbage not collected yet */
	double ll_total, ll_pending;
	/* since the last sim_pygc_reset_stats, kept across a restart */
	double cpu;	/* CPU of all collections */
	uint64_t colls; /* collections of any generation */
	uint64_t full;	/* full collections (generation 2) */
};

/* Whether cfg collects at all (a threshold and a cost). */
static inline bool sim_pygc_on(const struct sim_pygc_cfg *cfg)
{
	return cfg->threshold > 0 && cfg->cost > 0 && cfg->objects > 0;
}
/* NULL, or why cfg is inconsistent (a message naming the key). */
static inline const char *sim_pygc_validate(const struct sim_pygc_cfg *cfg)
{
	return cfg->garbage > cfg->objects
		   ? "gc_request_garbage must not exceed gc_request_objects"
		   : NULL;
}
/* A fresh process; sim_pygc_restart keeps the figures counted so far. */
void sim_pygc_init(struct sim_pygc *g, const struct sim_pygc_cfg *cfg);
void sim_pygc_restart(struct sim_pygc *g);
/* The figures start again from 0 (the end of the warm-up). */
static inline void sim_pygc_reset_stats(struct sim_pygc *g)
{
	g->cpu = 0;
	g->colls = g->full = 0;
}
/* The figures of a system's collectors: sim_pygc_tally adds one
 * process's, sim_pygc_report puts them in m's group `gc` with `el` the
 * seconds since the reset and `cpu_used` the CPU seconds the system used
 * meanwhile: collections_per_s, full_per_s and cpu_share (the
 * collections' share of that CPU). */
struct sim_pygc_figs {
	double cpu, colls, full;
};
static inline void sim_pygc_tally(const struct sim_pygc *g,
				  struct sim_pygc_figs *sum)
{
	sum->cpu += g->cpu;
	sum->colls += (double)g->colls;
	sum->full += (double)g->full;
}
void sim_pygc_report(const struct sim_pygc_figs *f, double el, double cpu_used,
		     struct sim_metrics *m);
/* A request allocates its objects: returns the CPU of the collection that
 * triggers, if any, and in *epoch what sim_pygc_free needs. */
double sim_pygc_alloc(struct sim_pygc *g, uint64_t *epoch);
/* The request allocated at `epoch` ends. */
void sim_pygc_free(struct sim_pygc *g, uint64_t epoch);

#endif
