/*
 * progress.h - the progress line `run`, `sweep` and `capacity` draw on
 * standard error when it is a terminal: a bar, the work done, the
 * percentage and the time left.
 */
#ifndef SIM_CLI_PROGRESS_H
#define SIM_CLI_PROGRESS_H

#include <stdbool.h>

/* One progress line on stderr; zero-initialised plus cli_progress_start. */
struct cli_progress {
	bool show;
	double t0, last;
};

/* Starts timing; the line is drawn only when `wanted` and stderr is a
 * terminal. */
void cli_progress_start(struct cli_progress *p, bool wanted);

/* Draws "WHAT [####------] COUNTS  42%  ETA 0:01:23" for the fraction f
 * (0 to 1) of the work done, at most ten times a second; the ETA once
 * f > 1 %, from the time so far. Not thread-safe: callers hold a lock. */
void cli_progress_draw(struct cli_progress *p, const char *what, double f,
		       const char *counts);

/* Erases the line. */
void cli_progress_end(struct cli_progress *p);

#endif
