/*
 * progress.c - the progress line of `run`, `sweep` and `capacity` on a
 * terminal: a bar, the work done, the percentage and the time left
 * estimated from the time so far.
 */
#include "cli/progress.h"

#include <math.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_start(struct cli_progress *p, bool wanted)
{
	p->show = wanted && isatty(STDERR_FILENO);
	p->t0 = now_s();
	p->last = 0;
}

void cli_progress_draw(struct cli_progress *p, const char *what, double f,
		       const char *counts)
{
	double t = now_s();
	if (!p->show || t - p->last < 0.1)
		return;
	p->last = t;
	f = f < 0 ? 0 : f > 1 ? 1 : f;
	char bar[31];
	int w = (int)(f * 30 + 0.5);
	for (int i = 0; i < 30; i++)
		bar[i] = i < w ? '#' : '-';
	bar[30] = '\0';
	fprintf(stderr, "\r%s [%s] %s %3.0f%%", what, bar, counts, 100 * f);
	if (f > 0.01 && f < 1) {
		double eta = (t - p->t0) * (1 - f) / f;
		fprintf(stderr, "  ETA %d:%02d:%02d", (int)(eta / 3600),
			(int)fmod(eta / 60, 60), (int)fmod(eta, 60));
	}
	fputs("\033[K", stderr);
	fflush(stderr);
}

void cli_progress_end(struct cli_progress *p)
{
	if (!p->show)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
