/*
 * test_scenarios.c - the shipped scenarios do what their comments say,
 * and behaviours that only show when models are compared:
 * - the flagship runs all four models with every figure of the contract;
 * - metastable.yaml collapses for good with retries, recovers without;
 * - head-of-line blocking: light requests behind heavy CPU on an event
 *   loop wait far longer than on a worker pool with the same cores;
 * - a trace written by `concsim trace` replays to identical figures.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "runtime/model.h"
#include "testlib.h"

static void load_file(const char *rel, const struct sim_override *ov,
		      size_t nov, struct sim_scenario *sc)
{
	char path[1024], *msg = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/%s", tl_src(), rel);
	FILE *err = open_memstream(&msg, &len);
	int rc = sim_scenario_load(path, ov, nov, err, sc);
	fclose(err);
	cr_assert_eq(rc, 0, "%s rejected: %s", rel, msg);
	free(msg);
}

static double run_metastable(const char *retries)
{
	struct sim_override ov[] = {{"workload.client.retries.max", retries},
				    {"replications", "2"}};
	struct sim_scenario sc;
	load_file("scenarios/metastable.yaml", ov, 2, &sc);
	struct sim_summary s;
	struct sim_ts ts = {0};
	const char *why;
	cr_assert_eq(sim_run_scenario(&sc, 2, 1.0, &ts, &s, NULL, NULL, &why),
		     0);
	/* before the spike (5 s .. 20 s) everything is answered */
	double before = 0, n = 0;
	for (size_t i = 0; i < ts.n; i++)
		if (ts.rows[i].time_s > 5 && ts.rows[i].time_s <= 20) {
			before +=
			    ts.rows[i].goodput_rps / ts.rows[i].offered_rps;
			n++;
		}
	cr_expect_gt(before / n, 0.99);
	double late = tl_goodput_after(&ts, 60, NULL);
	sim_ts_release(&ts);
	sim_summary_release(&s);
	sim_scenario_release(&sc);
	return late;
}

Test(scenarios, metastable_collapses_with_retries_and_recovers_without,
     .timeout = 120)
{
	double with = run_metastable("3"), without = run_metastable("0");
	cr_expect_lt(with, 0.05, "with retries, late goodput share %g", with);
	cr_expect_gt(without, 0.99, "without retries, late goodput %g",
		     without);
}

Test(scenarios, flagship_runs_all_four_models_with_every_figure, .timeout = 120)
{
	struct sim_override ov[] = {{"duration", "10s"}, {"replications", "2"}};
	struct sim_scenario sc;
	load_file("scenarios/flagship.yaml", ov, 2, &sc);
	const char *models[] = {"event-loop", "worker-pool", "async",
				"replicas"};
	for (size_t m = 0; m < 4; m++) {
		bool found = false;
		for (size_t i = 0; i < sc.nsystems; i++)
			found |= !strcmp(sc.systems[i].model->name, models[m]);
		cr_expect(found, "no %s system in the flagship", models[m]);
	}
	struct sim_summary s[16];
	cr_assert_leq(sc.nsystems, 16);
	const char *why;
	cr_assert_eq(sim_run_scenario(&sc, 2, 0, NULL, s, NULL, NULL, &why), 0);
	for (size_t i = 0; i < sc.nsystems; i++) {
		const char *n = s[i].name;
		cr_expect_gt(s[i].throughput_rps.mean, 0, "%s", n);
		cr_expect_gt(s[i].p99.mean, 0, "%s", n);
		cr_expect_gt(s[i].throughput_rps.ci95, 0, "%s: no ci95", n);
		cr_expect_eq(s[i].nclasses, 2, "%s", n);
		cr_expect_gt(
		    sim_metrics_get(&s[i].metrics, "utilization", "cpu", -1), 0,
		    "%s: utilization.cpu", n);
		cr_expect_gt(
		    sim_metrics_get(&s[i].metrics, "", "memory_peak_bytes", -1),
		    1e6, "%s: memory_peak_bytes", n);
		cr_expect_geq(sim_metrics_get(&s[i].metrics, "queues.mean",
					      "inflight", -1),
			      0, "%s: queues", n);
		sim_summary_release(&s[i]);
	}
	sim_scenario_release(&sc);
}

Test(models, heavy_cpu_blocks_light_requests_on_a_loop_not_on_workers,
     .timeout = 60)
{
	/* 95 % light (0.2 ms CPU), 5 % heavy (50 ms CPU), 200/s, 4 cores:
	 * one Node process runs everything FIFO on one loop, so lights wait
	 * behind heavies; 8 sync workers let lights pass on other cores */
	const char *y =
	    "seed: 2\nduration: 60s\nwarmup: 2s\nreplications: 4\n"
	    "workload:\n"
	    "  arrivals: { rate: 200/s }\n"
	    "  classes:\n"
	    "    - { name: light, weight: 0.95, phases: [ {cpu: 200us} ] }\n"
	    "    - { name: heavy, weight: 0.05, phases: [ {cpu: 50ms} ] }\n"
	    "systems:\n"
	    "  - { name: node, model: event-loop, cores: 4, overheads: zero }\n"
	    "  - { name: gunicorn, model: worker-pool, cores: 4, workers: 8, "
	    "overheads: zero }\n";
	struct sim_summary s[2];
	tl_run(y, s, 2);
	double loop = s[0].classes[0].p99.mean, pool = s[1].classes[0].p99.mean;
	double loop_mean = s[0].classes[0].lat_mean.mean;
	double pool_mean = s[1].classes[0].lat_mean.mean;
	cr_expect_gt(loop, 10 * pool, "light p99: loop %g, workers %g", loop,
		     pool);
	cr_expect_gt(loop_mean - s[0].classes[0].lat_mean.ci95,
		     5 * (pool_mean + s[1].classes[0].lat_mean.ci95),
		     "light mean: loop %g, workers %g", loop_mean, pool_mean);
	for (int i = 0; i < 2; i++)
		sim_summary_release(&s[i]);
}

Test(trace, replaying_a_written_trace_reproduces_the_run, .init = tl_mktmp,
     .fini = tl_rmtmp, .timeout = 60)
{
	const char *bin = tl_bin(), *dir = tl_tmpdir();
	char cmd[4096];
	/* the flagship, short: its classes have different phase counts */
	snprintf(cmd, sizeof cmd,
		 "cd %s && %s trace %s/scenarios/flagship.yaml -o trace.csv "
		 "--set duration=8s && "
		 "%s run %s/scenarios/flagship.yaml --set duration=8s "
		 "--replications 1 --format json -j1 > a.json && "
		 "sed -e 's|^    process: poisson|    process: trace|' "
		 "-e 's|^    rate: .*|    file: %s/trace.csv|' "
		 "-e '/^    schedule:/,/^  client:/{/^  client:/!d}' "
		 "%s/scenarios/flagship.yaml > replay.yaml && "
		 "%s run replay.yaml --set duration=8s --replications 1 "
		 "--format json -j1 > b.json && cmp a.json b.json",
		 dir, bin, tl_src(), bin, tl_src(), dir, tl_src(), bin);
	cr_expect_eq(tl_system(cmd), 0, "replay differs");
}
