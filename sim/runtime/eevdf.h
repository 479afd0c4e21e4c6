/*
 * eevdf.h - Linux's EEVDF (kernel/sched/fair.c, 6.6 and later) as a host's
 * choice of which runnable thread a core runs next (sim_host_cfg
 * .scheduler: eevdf; eevdf.c): the bookkeeping of virtual runtimes, lags
 * and virtual deadlines. host.c calls it where the kernel would: when a
 * thread wakes, when one blocks, when a slice or a tick asks for a
 * reschedule, when a core frees.
 *
 * Every thread on the run queue (running, waiting, or asleep with its lag
 * still owed: "delayed") has a virtual runtime v, which grows with the CPU
 * it gets (all threads at one weight: v in seconds of CPU), and a virtual
 * deadline d, a slice (the host's quantum) past the v at which it last got
 * a new one. V is the average v of the threads on the queue. A thread is
 * eligible when v <= V (it is owed CPU); a core runs the eligible thread
 * with the earliest deadline, but the thread it runs keeps it until its v
 * reaches its deadline as of when it got the core (RUN_TO_PARITY: vprot),
 * unless it is no longer eligible and a waking thread is the pick.
 *
 * It knows no host: the host (host.c) tells it the v of the threads its
 * cores run (struct sim_eevdf_run), finds a thread's state by its index
 * (sim_thread.hpos) and maps a pick back to its thread.
 *
 * Not modelled: one queue and one V for all of a host's cores (Linux
 * keeps them per core and balances the queues); a stall (sim_host_set_
 * stalls) adds nothing to v (a guest told of it as steal time, as KVM's
 * paravirtual clock does, charges it to no task).
 */
#ifndef SIM_EEVDF_H
#define SIM_EEVDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_thread;

/* A thread's EEVDF state, found by its index in sim_eevdf_rq.ev. */
struct sim_eevdf {
	double v;	 /* virtual runtime, as of its last slice's end */
	double deadline; /* virtual deadline */
	double vprot;	 /* it keeps the core it got until v reaches this */
	double lag;	 /* V - v when it last left the queue (clamped) */
	bool delayed;	 /* asleep but still on the queue (DELAY_DEQUEUE) */
	bool queued;	 /* in the tree: waiting, or delayed */
	/* the tree of the threads waiting and delayed: a treap ordered by
	 * deadline in whole nanoseconds, then by when they joined it, each
	 * node with the least v below it, as the kernel's augmented rbtree;
	 * indices into sim_eevdf_rq.ev, -1 none */
	int left, right;
	uint32_t prio;
	int64_t key;
	uint64_t seq;
	double minv;
	struct sim_thread *t;	 /* its thread (sim__eevdf_new) */
	struct sim_thread *prev; /* the host's: the one before it in its run
				    queue */
};

/* A host's EEVDF run queue: the states, the sum and count of the v of the
 * threads on it that no core runs (waiting, delayed, or one whose burst
 * just ended while its on_done runs), the delayed ones, V when it was
 * last left empty, and the tree. */
struct sim_eevdf_rq {
	struct sim_eevdf *ev;
	int len;
	size_t cap;
	int n;
	double sum, zero;
	int ndelayed;	/* threads delayed on the queue */
	int root;	/* the tree's root, -1 empty */
	uint32_t rand;	/* the tree's priorities */
	uint64_t seq;	/* joins of the tree so far */
	double quantum; /* the slice */
	double tick;	/* sim_host_cfg.tick, 0 none */
	double *vrun;	/* room for a sim_eevdf_run's v, one a core */
	/* the host's, one a core: when the kernel last accounted the
	 * thread it runs (update_curr() at a wake-up's check or a
	 * reschedule; its ticks the host computes) */
	double *seen;
};

/* The threads the cores run, on the queue too: their v as of now (a
 * slice's CPU so far added), in the cores' order (added to the queue's
 * sum in that order, the same figures run after run). */
struct sim_eevdf_run {
	const double *v;
	int n;
};

/* An empty queue with the host's slice and tick, and room for the v of
 * `cores` running threads and when each was last accounted. Returns 0, or
 * -1 when memory ran out. */
int sim__eevdf_init(struct sim_eevdf_rq *q, double quantum, double tick,
		    int cores);
void sim__eevdf_release(struct sim_eevdf_rq *q);
/* A state for thread t, at its first wake-up: its index, or -1 when
 * memory ran out. */
int sim__eevdf_new(struct sim_eevdf_rq *q, struct sim_thread *t);
/* V, the average v of the threads on the queue. */
double sim__eevdf_avg(const struct sim_eevdf_rq *q, struct sim_eevdf_run run);
/* Places thread i as it wakes (place_entity(); a delayed one is requeued
 * where it is, or at V once its lag is paid). i is not counted on the
 * queue after this: the host queues it (sim__eevdf_count) or gives it a
 * core. */
void sim__eevdf_place(struct sim_eevdf_rq *q, int i, struct sim_eevdf_run run);
/* Counts i on the queue (+1) or takes it off (-1), without a list: the
 * host keeps the runnable ones in its run queue. */
void sim__eevdf_count(struct sim_eevdf_rq *q, int i, int sign);
/* Puts i, waiting, into the tree the pick searches, or takes it out. */
void sim__eevdf_enqueue(struct sim_eevdf_rq *q, int i);
void sim__eevdf_dequeue(struct sim_eevdf_rq *q, int i);
/* i, no longer counted, blocks: off the queue with its lag kept, or, not
 * eligible, delayed on it until it is (dequeue_entity()). */
void sim__eevdf_sleep(struct sim_eevdf_rq *q, int i, struct sim_eevdf_run run);
/* update_curr()'s deadline for running thread i, its v at `now` v, on its
 * core without a break since `since`: past it, a new one a slice on (with
 * a tick, as renewed at the last tick it ran through); true if renewed
 * at `now`. */
bool sim__eevdf_renew(struct sim_eevdf_rq *q, int i, double v, double now,
		      double since);
/* i's burst ended after a slice of `slice` (on its core since `since`):
 * that CPU counts in its v, and the ticks it ran through renewed its
 * deadline (not its end: a thread that goes on at once is not seen by
 * the kernel; one that blocks is, see sim__eevdf_sleep). */
void sim__eevdf_ended(struct sim_eevdf_rq *q, int i, double slice, double now,
		      double since);
/* Whether running thread i, its v now v, still holds its core against
 * threads waiting (RUN_TO_PARITY's vprot not reached). */
bool sim__eevdf_protected(const struct sim_eevdf_rq *q, int i, double v);
/* The pick (pick_eevdf()): the eligible thread with the earliest deadline
 * among those waiting and running thread cur (-1 none; its v now curv),
 * which keeps its core while protected: its index. With `dequeue`, a
 * delayed thread that would be picked leaves the queue (its lag paid:
 * DELAY_ZERO) and the pick goes on; without, it is returned. -1 when
 * none of these is eligible (others run on other cores). */
int sim__eevdf_pick(struct sim_eevdf_rq *q, int cur, double curv,
		    struct sim_eevdf_run run, bool dequeue);

#endif
