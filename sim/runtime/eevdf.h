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
 * Not modelled: one queue and one V for all of a host's cores (Linux
 * keeps them per core and balances the queues); a stall (sim_host_set_
 * stalls) adds nothing to v (a guest told of it as steal time, as KVM's
 * paravirtual clock does, charges it to no task).
 */
#ifndef SIM_EEVDF_H
#define SIM_EEVDF_H

#include <stdbool.h>
#include <stdint.h>

struct sim_host;
struct sim_core;
struct sim_thread;

/* A thread's EEVDF state (sim__eevdf_of). */
struct sim_eevdf {
	double v;	 /* virtual runtime, as of its last slice's end */
	double deadline; /* virtual deadline */
	double vprot;	 /* it keeps the core it got until v reaches this */
	double lag;	 /* V - v when it last left the queue (clamped) */
	bool delayed;	 /* asleep but still on the queue (DELAY_DEQUEUE) */
	bool queued;	 /* in the tree: waiting, or delayed */
	/* the tree of the threads waiting and delayed (eevdf.c): a treap
	 * ordered by deadline in whole nanoseconds, then by when they
	 * joined it, each node with the least v below it, as the kernel's
	 * augmented rbtree; indices into sim_host.ev, -1 none */
	int left, right;
	uint32_t prio;
	int64_t key;
	uint64_t seq;
	double minv;
	struct sim_thread *t;	 /* its thread */
	struct sim_thread *prev; /* the one before it in the run queue */
};

/* The v at `now` of core co's thread, or of its last one if it runs
 * none (its slice's CPU so far added). */
double sim__eevdf_vnow(const struct sim_host *h, const struct sim_core *co,
		       double now);
/* V, the average v of the threads on the queue. */
double sim__eevdf_avg(const struct sim_host *h);
/* Places thread t as it wakes (place_entity(); a delayed one is
 * requeued where it is, or at V once its lag is paid). t is not counted
 * on the queue after this: the caller queues it (sim__eevdf_count) or
 * gives it a core. A thread's first gets it a state (sim__eevdf_of).
 * Returns 0 or SIM_ENOMEM. */
int sim__eevdf_place(struct sim_host *h, struct sim_thread *t);
/* Counts t on the queue (+1) or takes it off (-1), without a list: the
 * host keeps the runnable ones in its run queue. */
void sim__eevdf_count(struct sim_host *h, const struct sim_thread *t, int sign);
/* Puts t, waiting, into the tree the pick searches, or takes it out. */
void sim__eevdf_enqueue(struct sim_host *h, struct sim_thread *t);
void sim__eevdf_dequeue(struct sim_host *h, struct sim_thread *t);
/* t, no longer counted, blocks: off the queue with its lag kept, or, not
 * eligible, delayed on it until it is (dequeue_entity()). */
void sim__eevdf_sleep(struct sim_host *h, struct sim_thread *t);
/* update_curr()'s deadline for core co's thread at `now`: past it, a new
 * one a slice on (with a tick, as renewed at the last tick it ran
 * through); true if renewed at `now`. */
bool sim__eevdf_renew(const struct sim_host *h, const struct sim_core *co,
		      double now);
/* t's burst on core co ended: its slice's CPU counts in its v, and the
 * ticks it ran through renewed its deadline (not its end: a thread that
 * goes on at once is not seen by the kernel; one that blocks is, see
 * sim__eevdf_sleep). */
void sim__eevdf_ended(const struct sim_host *h, const struct sim_core *co,
		      struct sim_thread *t);
/* Whether core co's thread still holds its core against threads waiting
 * at `now` (RUN_TO_PARITY's vprot not reached). */
bool sim__eevdf_protected(const struct sim_host *h, const struct sim_core *co,
			  double now);
/* The thread core c should run (pick_eevdf()): the eligible one with the
 * earliest deadline among those waiting and c's own thread (c >= 0 and
 * running), which keeps the core while protected. With `dequeue`, a
 * delayed thread that would be picked leaves the queue (its lag paid:
 * DELAY_ZERO) and the pick goes on; without, it is returned. NULL when
 * nothing runnable waits and c runs nothing. */
struct sim_thread *sim__eevdf_pick(struct sim_host *h, int c, bool dequeue);

#endif
