/*
 * sweep_run.h - the state of one `concsim sweep` and the scheduler that
 * runs its points' simulations over the job pool, turning each point into
 * rows as soon as its last simulation ends and appending them to
 * results.csv as it goes.
 */
#ifndef SIM_SWEEP_RUN_H
#define SIM_SWEEP_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "kernel/stats.h"
#include "output/sweepio.h"
#include "scenario/scenario.h"

/* One point of the grid. */
struct sweep_point {
	struct sim_scenario sc; /* loaded with the point's values */
	char **cells;		/* the swept cells */
	bool loaded, mine, done;
	bool imprecise;		    /* --precision not reached */
	size_t ntask;		    /* nsystems * replications */
	atomic_size_t left;	    /* simulations still to finish */
	struct sim_rep_result *res; /* system-major */
	double cost;		    /* estimated work of one simulation */
};

/* One simulation: a system and replication of a point; with --precision,
 * a whole point (rep -1): its sequential procedure. */
struct sweep_task {
	size_t point, sys;
	int rep;
};

/* Everything one sweep holds; cmd_sweep() owns and releases it. */
struct sweep {
	struct cli_opts o;
	bool resume;
	bool lng;	  /* --long: DIR/results_long.csv, long CSV on stdout */
	double precision; /* --precision (a share), 0: off */
	int max_reps;	  /* --max-replications */
	int inner_jobs;	  /* with --precision: threads of one point */
	size_t shard, nshards;
	int rank, nranks;
	bool writer;	 /* writes the files: -o given and rank 0 */
	int dirlock;	 /* the output folder's lock (sim_dir_lock), or -1 */
	char *made_path; /* -o, if this sweep created some of its folders */
	size_t made_len; /* for sim_rmdir_made */
	char hash[17];	 /* of scenario.yaml: every row's scenario_hash */
	struct sim_scenario base;
	char *text; /* the scenario file */
	size_t len;
	struct sim_scenario_src src; /* text parsed once, for every point */
	char **owned;		     /* strings marks point into */
	size_t nowned;
	struct sim_grid grid;
	struct sweep_point *pt;
	struct sweep_task *task;
	size_t ntask;
	struct sim_table table; /* rows kept from before, and finished */
	pthread_mutex_t lock;
	atomic_int failed;
	const char *why;
	size_t why_point;
	int err;
	/* progress */
	struct cli_progress progress;
	double last_write, cost_all, cost_done;
	size_t points_all, points_done;
	/* checkpoints: results.csv holds the first ckpt_rows rows of the
	 * table under a header of ckpt_cols columns (0: not written yet) */
	size_t ckpt_rows, ckpt_cols;
};

/* Builds the task list: this process's points still to run (its shard,
 * not done, dealt over the MPI ranks), most expensive first, each point's
 * simulations together; allocates their results. Returns 0 or
 * SIM_ENOMEM. */
int sweep_plan(struct sweep *sw);

/* Runs the planned tasks on sw->o.jobs threads with a progress bar on a
 * terminal. SIGINT, SIGTERM, SIGHUP and SIGQUIT stop launching simulations
 * (those running finish, and their points are kept); *stopped then says so.
 * Releases the simulations' results. Returns the first task's error by index,
 * or 0 (the first failure is also in sw->err, sw->why, sw->why_point). */
int sweep_run(struct sweep *sw, int *stopped);

/* Writes the result files with every row now held (rank 0, after the
 * run): results.csv, results.json and, with --long, results_long.csv.
 * Returns 0 or a negative SIM_E* code (message printed). */
int sweep_save(struct sweep *sw);

/* "PATH=VALUE, PATH=VALUE" of point k, for a message. */
void sweep_point_name(const struct sweep *sw, size_t k, char *buf, size_t len);

#endif
