/*
 * script.c - runs threads on one core of a host with the EEVDF scheduler,
 * for tests/eevdf/oracle.py to compare with its own model of the kernel's
 * rules.
 *
 *   script [QUANTUM TICK] < SPECS     (seconds; 0.0014 and 0.004)
 *
 * Each line of SPECS is a case: threads separated by ';', each
 * `at,cpu,n,gap,wakes`: it wakes at `at` seconds and runs n bursts of
 * `cpu` seconds, back to back (gap 0, without blocking) or sleeping `gap`
 * between them; with `at` < 0 another thread wakes it for each burst,
 * after which it sleeps. As each of its bursts ends a thread wakes thread
 * `wakes` (-1: none) if that one is asleep with bursts left, before it
 * goes on or blocks. For each case, a line: when each thread ended its
 * last burst, in milliseconds (%.4f; -1000 if it did not), space-
 * separated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/config.h"
#include "runtime/host.h"

#define MAX_THREADS 8

struct th {
	struct sim_thread t;
	double at, cpu, gap, fin;
	int n, bursts, wakes;
	bool asleep; /* at < 0: waiting for another to wake it */
};

static struct sim_host *host;
static struct th *all;

static void wakes(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct th *x = obj;
	x->asleep = false;
	sim_host_run(host, &x->t, x->cpu);
}

static void burst_done(struct sim_thread *t)
{
	struct th *x = (struct th *)t;
	if (++x->bursts >= x->n)
		x->fin = t->host->s->now;
	struct th *w = x->wakes >= 0 ? &all[x->wakes] : NULL;
	if (w && w->asleep && w->bursts < w->n)
		wakes(t->host->s, w, 0);
	if (x->bursts >= x->n)
		return;
	if (x->at < 0) /* until another wakes it */
		x->asleep = true;
	else if (x->gap > 0)
		sim_at(t->host->s, t->host->s->now + x->gap, wakes, x, 0);
	else
		sim_host_run(t->host, t, x->cpu);
}

int main(int argc, char **argv)
{
	double quantum = argc > 2 ? atof(argv[1]) : 0.0014;
	double tick = argc > 2 ? atof(argv[2]) : 0.004;
	char line[4096];
	while (fgets(line, sizeof line, stdin)) {
		struct th th[MAX_THREADS];
		int n = 0, used;
		const char *p = line;
		while (n < MAX_THREADS &&
		       sscanf(p, "%lf,%lf,%d,%lf,%d%n", &th[n].at, &th[n].cpu,
			      &th[n].n, &th[n].gap, &th[n].wakes, &used) == 5) {
			n++;
			p += used;
			if (*p == ';')
				p++;
		}
		struct sim s;
		struct sim_host h;
		struct sim_host_cfg cfg = {.cores = 1,
					   .quantum = quantum,
					   .tick = tick,
					   .scheduler = SIM_SCHED_EEVDF,
					   .wakeup_preemption = true};
		if (sim_init(&s) || sim_host_init(&h, &s, &cfg)) {
			fprintf(stderr, "script: out of memory\n");
			return 1;
		}
		host = &h;
		all = th;
		for (int i = 0; i < n; i++) {
			sim_thread_init(&th[i].t, &h, burst_done, NULL);
			th[i].fin = -1;
			th[i].bursts = 0;
			th[i].asleep = th[i].at < 0;
			if (th[i].wakes >= n)
				th[i].wakes = -1;
			if (th[i].at >= 0)
				sim_at(&s, th[i].at, wakes, &th[i], 0);
		}
		sim_run_until(&s, 10);
		for (int i = 0; i < n; i++)
			printf("%s%.4f", i ? " " : "", 1e3 * th[i].fin);
		printf("\n");
		sim_host_release(&h);
		sim_release(&s);
	}
	return 0;
}
