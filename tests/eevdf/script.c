/*
 * script.c - runs threads on one core of a host with the EEVDF scheduler,
 * for tests/eevdf/oracle.py to compare with its own model of the kernel's
 * rules.
 *
 *   script [QUANTUM TICK] < SPECS     (seconds; 0.0015 and 0.004)
 *
 * Each line of SPECS is a case: threads separated by ';', each
 * `at,cpu,n,gap`: it wakes at `at` seconds and runs n bursts of `cpu`
 * seconds, back to back (gap 0, without blocking) or sleeping `gap`
 * between them. For each case, a line: every thread's finish time in
 * milliseconds (%.4f), space-separated.
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
	int n, bursts;
};

static struct sim_host *host;

static void wakes(struct sim *s, void *obj, uint64_t arg)
{
	(void)s;
	(void)arg;
	struct th *x = obj;
	sim_host_run(host, &x->t, x->cpu);
}

static void burst_done(struct sim_thread *t)
{
	struct th *x = (struct th *)t;
	x->fin = t->host->s->now;
	if (++x->bursts >= x->n)
		return;
	if (x->gap > 0)
		sim_at(t->host->s, t->host->s->now + x->gap, wakes, x, 0);
	else
		sim_host_run(t->host, t, x->cpu);
}

int main(int argc, char **argv)
{
	double quantum = argc > 2 ? atof(argv[1]) : 0.0015;
	double tick = argc > 2 ? atof(argv[2]) : 0.004;
	char line[4096];
	while (fgets(line, sizeof line, stdin)) {
		struct th th[MAX_THREADS];
		int n = 0, used;
		const char *p = line;
		while (n < MAX_THREADS &&
		       sscanf(p, "%lf,%lf,%d,%lf%n", &th[n].at, &th[n].cpu,
			      &th[n].n, &th[n].gap, &used) == 4) {
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
		for (int i = 0; i < n; i++) {
			sim_thread_init(&th[i].t, &h, burst_done, NULL);
			th[i].fin = -1;
			th[i].bursts = 0;
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
