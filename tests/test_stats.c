/*
 * test_stats.c - the statistics: histogram quantiles against exact order
 * statistics within the stated relative error, time-weighted means,
 * Student-t half-widths, metrics, and the aggregation of replications.
 *
 * Samples come from GSL's MT19937 directly, so these tests do not depend
 * on the simulator's own random streams.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"
#include "kernel/stats.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The order statistic of rank ceil(q n) (at least 1) of a sorted sample. */
static double order_stat(const double *sorted, size_t n, double q)
{
	double r = ceil(q * (double)n);
	size_t k = r < 1 ? 1 : (size_t)r;
	return sorted[(k > n ? n : k) - 1];
}

Test(hist, quantiles_within_stated_relative_error_on_lognormal)
{
	const size_t n = 1000000;
	double *x = malloc(n * sizeof(*x));
	struct sim_hist h;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cr_assert(x && r);
	gsl_rng_set(r, 12345);
	cr_assert_eq(sim_hist_init(&h), 0);

	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		/* median 5 ms, wide spread: values from ~us to ~s */
		x[i] = gsl_ran_lognormal(r, log(0.005), 1.5);
		sum += x[i];
		sim_hist_record(&h, x[i]);
	}
	qsort(x, n, sizeof(*x), cmp_double);

	cr_expect_eq(h.n, n);
	cr_expect_float_eq(sim_hist_mean(&h), sum / (double)n,
			   1e-12 * sum / (double)n);
	cr_expect_eq(h.min, x[0]);
	cr_expect_eq(h.max, x[n - 1]);

	const double qs[] = {0.001, 0.01, 0.1,	0.25,  0.5,
			     0.75,  0.9,  0.99, 0.999, 0.9999};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double exact = order_stat(x, n, qs[i]);
		double est = sim_hist_quantile(&h, qs[i]);
		cr_expect_leq(fabs(est - exact) / exact, SIM_HIST_RELERR,
			      "q=%g: histogram %.9g, exact %.9g", qs[i], est,
			      exact);
	}
	cr_expect_eq(sim_hist_quantile(&h, 0.0), x[0]);
	cr_expect_eq(sim_hist_quantile(&h, 1.0), x[n - 1]);

	sim_hist_release(&h);
	gsl_rng_free(r);
	free(x);
}

Test(hist, quantile_picks_rank_ceil_q_n)
{
	struct sim_hist h;
	cr_assert_eq(sim_hist_init(&h), 0);
	/* 1..10 ms: rank ceil(0.5 * 10) = 5 is 5 ms, rank 10 is 10 ms. */
	for (int i = 1; i <= 10; i++)
		sim_hist_record(&h, i * 1e-3);
	double p50 = sim_hist_quantile(&h, 0.5);
	double p91 = sim_hist_quantile(&h, 0.91);
	cr_expect_leq(fabs(p50 - 5e-3) / 5e-3, SIM_HIST_RELERR, "p50 %g", p50);
	cr_expect_eq(p91, 10e-3, "rank ceil(9.1) = 10 is the maximum");
	cr_expect_leq(fabs(sim_hist_quantile(&h, 0.11) - 2e-3) / 2e-3,
		      SIM_HIST_RELERR);
	sim_hist_release(&h);
}

Test(hist, constant_sample_gives_its_exact_value)
{
	struct sim_hist h;
	cr_assert_eq(sim_hist_init(&h), 0);
	for (int i = 0; i < 1000; i++)
		sim_hist_record(&h, 0.0123);
	cr_expect_eq(sim_hist_quantile(&h, 0.5), 0.0123);
	cr_expect_eq(sim_hist_quantile(&h, 0.99), 0.0123);
	cr_expect_eq(sim_hist_quantile(&h, 0.999), 0.0123);
	cr_expect_float_eq(sim_hist_mean(&h), 0.0123, 1e-15);
	sim_hist_release(&h);
}

Test(hist, range_grows_both_ways_keeping_every_count)
{
	struct sim_hist h;
	static uint64_t want[SIM_HIST_NB];
	cr_assert_eq(sim_hist_init(&h), 0);
	cr_expect_null(h.b); /* nothing allocated while empty */
	/* 1 ms, then far above and far below, then in between */
	const double x[] = {1e-3, 2e-3, 50.0,  1e-7, 3e-5,
			    1e-3, 7.0,	1e-12, 0.0};
	for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) {
		sim_hist_record(&h, x[i]);
		want[sim_hist_index(x[i])]++;
	}
	cr_expect_eq(h.lost, 0);
	cr_expect_eq(h.lo % (1u << SIM_HIST_SUB), 0); /* whole octaves */
	for (size_t k = 0; k < SIM_HIST_NB; k++)
		cr_expect_eq(sim_hist_bucket(&h, k), want[k], "bucket %zu", k);
	cr_expect_lt(h.nb, SIM_HIST_NB);
	cr_expect_gt(h.lo, 0); /* zeros do not stretch the range down */
	sim_hist_release(&h);
}

Test(hist, quantiles_in_one_pass_equal_one_at_a_time)
{
	struct sim_hist h;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cr_assert(r);
	gsl_rng_set(r, 11);
	cr_assert_eq(sim_hist_init(&h), 0);
	double out[SIM_CDF_N];
	sim_hist_quantiles(&h, sim_cdf_q, SIM_CDF_N, out); /* empty */
	for (size_t k = 0; k < SIM_CDF_N; k++)
		cr_expect_eq(out[k], 0.0);
	for (int i = 0; i < 5000; i++)
		sim_hist_record(&h, i % 7 ? gsl_ran_lognormal(r, -5, 2) : 0.0);
	sim_hist_quantiles(&h, sim_cdf_q, SIM_CDF_N, out);
	for (size_t k = 0; k < SIM_CDF_N; k++)
		cr_expect_eq(out[k], sim_hist_quantile(&h, sim_cdf_q[k]),
			     "q %g", sim_cdf_q[k]);
	sim_hist_release(&h);
	gsl_rng_free(r);
}

Test(hist, values_outside_the_range_are_clamped_but_exact_at_the_ends)
{
	struct sim_hist h;
	cr_assert_eq(sim_hist_init(&h), 0);
	sim_hist_record(&h, 0.0);
	sim_hist_record(&h, 1e-12);
	sim_hist_record(&h, 1e9);
	sim_hist_record(&h, 1e9);
	cr_expect_eq(sim_hist_bucket(&h, 0), 2);
	cr_expect_eq(sim_hist_bucket(&h, SIM_HIST_NB - 1), 2);
	cr_expect_eq(sim_hist_quantile(&h, 0.0), 0.0);
	cr_expect_eq(sim_hist_quantile(&h, 1.0), 1e9);
	/* rank 3 lies in the overflow bucket, which reports the max */
	cr_expect_eq(sim_hist_quantile(&h, 0.75), 1e9);
	/* rank 2 lies in the underflow bucket: about 2^EMIN */
	double lo = ldexp(1.0, SIM_HIST_EMIN);
	cr_expect_leq(fabs(sim_hist_quantile(&h, 0.5) - lo) / lo,
		      SIM_HIST_RELERR);
	sim_hist_release(&h);
}

Test(hist, empty_histogram_reports_zero)
{
	struct sim_hist h;
	cr_assert_eq(sim_hist_init(&h), 0);
	cr_expect_eq(h.n, 0);
	cr_expect_eq(sim_hist_quantile(&h, 0.5), 0.0);
	cr_expect_eq(sim_hist_quantile(&h, 1.0), 0.0);
	cr_expect_eq(sim_hist_mean(&h), 0.0);
	sim_hist_release(&h);
}

/* A replica's loop lag: only n, sum, min and max, and no bucket memory
 * however wide the values spread (100,000 replicas keep one each). */
Test(hist, moments_only_keeps_count_sum_and_extremes_without_buckets)
{
	struct sim_hist h;
	sim_hist_init_moments(&h);
	double sum = 0;
	for (int i = 0; i < 1000; i++) {
		double x = ldexp(1.0 + i % 7, i % 40 - 30); /* 40 octaves */
		sum += x;
		sim_hist_record(&h, x);
	}
	sim_hist_record(&h, 0.0);
	cr_expect_eq(h.n, 1001);
	cr_expect_eq(h.sum, sum);
	cr_expect_eq(h.min, 0.0);
	cr_expect_eq(h.max, ldexp(7.0, 9));
	cr_expect_null(h.b, "no bucket was allocated");
	cr_expect_eq(h.nb, 0);
	cr_expect_eq(h.under, 0);
	sim_hist_reset(&h);
	cr_expect_eq(h.n, 0);
	sim_hist_release(&h);
}

Test(hist, reset_forgets_every_sample)
{
	struct sim_hist h;
	cr_assert_eq(sim_hist_init(&h), 0);
	sim_hist_record(&h, 1.0);
	sim_hist_record(&h, 2.0);
	sim_hist_reset(&h);
	cr_expect_eq(h.n, 0);
	cr_expect_eq(h.sum, 0.0);
	sim_hist_record(&h, 3.0);
	cr_expect_eq(h.min, 3.0);
	cr_expect_eq(h.max, 3.0);
	cr_expect_eq(sim_hist_quantile(&h, 0.5), 3.0);
	sim_hist_release(&h);
}

Test(hist, merge_equals_recording_everything_in_one)
{
	struct sim_hist a, b, all, empty;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	cr_assert(r);
	gsl_rng_set(r, 7);
	cr_assert_eq(sim_hist_init(&a), 0);
	cr_assert_eq(sim_hist_init(&b), 0);
	cr_assert_eq(sim_hist_init(&all), 0);
	cr_assert_eq(sim_hist_init(&empty), 0);
	for (int i = 0; i < 10000; i++) {
		double x = gsl_ran_exponential(r, 0.01);
		sim_hist_record(i % 3 ? &a : &b, x);
		sim_hist_record(&all, x);
	}
	cr_assert_eq(sim_hist_merge(&a, &b), 0);
	cr_assert_eq(sim_hist_merge(&a, &empty), 0);
	cr_expect_eq(a.n, all.n);
	cr_expect_float_eq(a.sum, all.sum, 1e-9 * all.sum);
	cr_expect_eq(a.min, all.min);
	cr_expect_eq(a.max, all.max);
	for (size_t k = 0; k < SIM_HIST_NB; k++)
		cr_expect_eq(sim_hist_bucket(&a, k), sim_hist_bucket(&all, k));
	cr_expect_eq(sim_hist_quantile(&a, 0.99),
		     sim_hist_quantile(&all, 0.99));

	/* merging into an empty histogram takes src's min and max */
	cr_assert_eq(sim_hist_merge(&empty, &b), 0);
	cr_expect_eq(empty.min, b.min);
	cr_expect_eq(empty.max, b.max);
	cr_expect_eq(empty.n, b.n);

	sim_hist_release(&a);
	sim_hist_release(&b);
	sim_hist_release(&all);
	sim_hist_release(&empty);
	gsl_rng_free(r);
}

Test(tw, mean_of_a_step_function)
{
	struct sim_tw w = {0};
	sim_tw_reset(&w, 0.0);
	sim_tw_set(&w, 1.0, 2.0);  /* 0 on [0,1) */
	sim_tw_set(&w, 3.0, 5.0);  /* 2 on [1,3) */
	sim_tw_add(&w, 4.0, -5.0); /* 5 on [3,4), then 0 */
	/* area 2*2 + 5*1 = 9 over 10 s */
	cr_expect_float_eq(sim_tw_mean(&w, 10.0), 0.9, 1e-15);
	cr_expect_eq(w.max, 5.0);
	/* the current value counts up to `now` */
	sim_tw_set(&w, 10.0, 1.0);
	cr_expect_float_eq(sim_tw_mean(&w, 20.0), (9.0 + 10.0) / 20.0, 1e-15);
}

Test(tw, reset_restarts_the_average_but_keeps_the_value)
{
	struct sim_tw w = {0};
	sim_tw_reset(&w, 0.0);
	sim_tw_set(&w, 5.0, 10.0);
	sim_tw_set(&w, 6.0, 3.0);
	sim_tw_reset(&w, 8.0);
	cr_expect_eq(w.max, 3.0);
	cr_expect_eq(sim_tw_mean(&w, 8.0), 3.0, "no time elapsed");
	sim_tw_set(&w, 9.0, 1.0);
	cr_expect_float_eq(sim_tw_mean(&w, 10.0), (3.0 + 1.0) / 2.0, 1e-15);
}

Test(est, t_half_width_for_five_values)
{
	const double x[] = {1, 2, 3, 4, 5};
	struct sim_est e = sim_est_of(x, 5);
	/* mean 3; s^2 = 10/4; t(0.975, 4) = 2.776445 (tables);
	 * half-width = 2.776445 * sqrt(2.5) / sqrt(5) = 1.963243 */
	cr_expect_float_eq(e.mean, 3.0, 1e-15);
	cr_expect_float_eq(e.ci95, 1.963243, 1e-6);
}

Test(est, half_width_is_zero_below_two_values)
{
	const double x[] = {4.5};
	struct sim_est e = sim_est_of(x, 1);
	cr_expect_eq(e.mean, 4.5);
	cr_expect_eq(e.ci95, 0.0);
	e = sim_est_of(x, 0);
	cr_expect_eq(e.mean, 0.0);
	cr_expect_eq(e.ci95, 0.0);
}

Test(metrics, put_overwrites_and_get_falls_back)
{
	struct sim_metrics m = {0};
	cr_assert_eq(sim_metrics_put(&m, "utilization", "cpu", 0.5), 0);
	cr_assert_eq(sim_metrics_put(&m, "queues.mean", "loop", 3.0), 0);
	cr_assert_eq(sim_metrics_put(&m, "utilization", "cpu", 0.7), 0);
	cr_expect_eq(m.n, 2);
	cr_expect_eq(sim_metrics_get(&m, "utilization", "cpu", -1), 0.7);
	cr_expect_eq(sim_metrics_get(&m, "queues.mean", "loop", -1), 3.0);
	cr_expect_eq(sim_metrics_get(&m, "queues.max", "loop", -1), -1);
	for (int i = 0; i < 100; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		cr_assert_eq(sim_metrics_put(&m, "many", k, i), 0);
	}
	cr_expect_eq(m.n, 102);
	cr_expect_eq(sim_metrics_get(&m, "many", "k99", -1), 99);
	sim_metrics_release(&m);
	cr_expect_eq(m.n, 0);
	cr_expect_null(m.v);
}

/* A cleared list keeps its names for a refill in the same order (a
 * fleet's replicas reported one after another into one list), and answers
 * as an empty one would: no name it kept is found before it is put again,
 * and a refill in another order is indexed afresh. */
Test(metrics, a_cleared_list_refills_in_order_and_answers_as_new)
{
	struct sim_metrics m = {0};
	cr_assert_eq(sim_metrics_put(&m, "utilization", "cpu", 0.5), 0);
	cr_assert_eq(sim_metrics_put(&m, "queues.mean", "loop", 3.0), 0);
	cr_assert_eq(sim_metrics_put(&m, "", "memory_peak_bytes", 9.0), 0);
	sim_metrics_clear(&m);
	cr_expect_eq(m.n, 0);
	cr_expect_eq(sim_metrics_get(&m, "utilization", "cpu", -1), -1);
	cr_expect_eq(sim_metrics_index(&m, "", "memory_peak_bytes"), SIZE_MAX);
	/* the same names in the same order: each compared, not indexed */
	cr_assert_eq(sim_metrics_put(&m, "utilization", "cpu", 0.6), 0);
	cr_expect_eq(sim_metrics_get(&m, "utilization", "cpu", -1), 0.6);
	cr_expect_eq(sim_metrics_get(&m, "queues.mean", "loop", -1), -1);
	cr_assert_eq(sim_metrics_put(&m, "queues.mean", "loop", 4.0), 0);
	cr_assert_eq(sim_metrics_put(&m, "", "memory_peak_bytes", 8.0), 0);
	cr_expect_eq(m.n, 3);
	cr_expect_eq(m.replay, 3, "the refill kept the table");
	cr_expect_eq(sim_metrics_get(&m, "", "memory_peak_bytes", -1), 8.0);
	/* another order: the second name first, then an overwrite, then one
	 * never put before */
	sim_metrics_clear(&m);
	cr_assert_eq(sim_metrics_put(&m, "queues.mean", "loop", 5.0), 0);
	cr_expect_eq(m.replay, 0, "out of order: the table of v[0..n) alone");
	cr_assert_eq(sim_metrics_put(&m, "queues.mean", "loop", 6.0), 0);
	cr_assert_eq(sim_metrics_put(&m, "new", "k", 7.0), 0);
	cr_expect_eq(m.n, 2);
	cr_expect_str_eq(m.v[0].group, "queues.mean");
	cr_expect_eq(m.v[0].value, 6.0);
	cr_expect_str_eq(m.v[1].group, "new");
	cr_expect_eq(sim_metrics_get(&m, "utilization", "cpu", -1), -1);
	cr_expect_eq(sim_metrics_get(&m, "", "memory_peak_bytes", -1), -1);
	/* a partial refill, then its names grow the list */
	sim_metrics_clear(&m);
	cr_assert_eq(sim_metrics_put(&m, "queues.mean", "loop", 1.0), 0);
	for (int i = 0; i < 40; i++) {
		char k[16];
		snprintf(k, sizeof(k), "k%d", i);
		cr_assert_eq(sim_metrics_put(&m, "many", k, i), 0);
	}
	cr_expect_eq(m.n, 41);
	cr_expect_eq(sim_metrics_get(&m, "new", "k", -1), -1);
	cr_expect_eq(sim_metrics_get(&m, "many", "k39", -1), 39);
	cr_expect_eq(sim_metrics_get(&m, "queues.mean", "loop", -1), 1.0);
	sim_metrics_release(&m);
}

Test(metrics, long_names_are_truncated_not_overflowed)
{
	struct sim_metrics m = {0};
	const char *g = "replicas.a-system-name-far-longer-than-forty-bytes";
	cr_assert_eq(sim_metrics_put(&m, g, "cpu", 1.0), 0);
	cr_expect_eq(strlen(m.v[0].group), sizeof(m.v[0].group) - 1);
	cr_expect_eq(sim_metrics_get(&m, g, "cpu", -1), 1.0);
	sim_metrics_release(&m);
}

/* A replication with `completed` responses over 10 s, all of latency
 * lat, and the given metrics. */
static void make_rep(struct sim_rep_result *r, uint64_t completed, double lat)
{
	cr_assert_eq(sim_rep_init(r, 2), 0);
	r->duration = 10.0;
	r->offered = completed + 10;
	r->attempts = completed + 12;
	r->completed = completed;
	r->good = completed - 5;
	r->errors[2] = 4;
	r->errors[1] = 1;
	r->wasted = 2;
	r->events = 1000;
	for (uint64_t i = 0; i < completed - 5; i++) {
		sim_hist_record(&r->lat, lat);
		sim_hist_record(&r->classes[i % 2].lat, lat * (1 + i % 2));
		r->classes[i % 2].completed++;
	}
}

Test(summarize, mean_and_t_half_width_per_replication)
{
	struct sim_rep_result reps[2];
	struct sim_summary s;
	const char *const names[] = {"read", "export"};
	make_rep(&reps[0], 1005, 0.010);
	make_rep(&reps[1], 1205, 0.020);

	cr_assert_eq(sim_summarize(reps, 2, names, &s), 0);
	cr_expect_eq(s.replications, 2);
	cr_expect_eq(s.duration_s, 10.0);
	/* throughput 100.5 and 120.5: mean 110.5, s = 10 * sqrt(2),
	 * t(0.975, 1) = 12.706205 -> half-width 12.706205 * 10 = 127.06 */
	cr_expect_float_eq(s.throughput_rps.mean, 110.5, 1e-12);
	cr_expect_float_eq(s.throughput_rps.ci95, 127.06205, 1e-4);
	cr_expect_float_eq(s.offered_rps.mean, 111.5, 1e-12);
	cr_expect_float_eq(s.goodput_rps.mean, 110.0, 1e-12);
	cr_expect_float_eq(s.completed, 1105.0, 1e-12);
	cr_expect_eq(s.errors[1], 1.0);
	cr_expect_eq(s.errors[2], 4.0);
	cr_expect_eq(s.wasted, 2.0);
	cr_expect_eq(s.events, 1000.0);
	/* constant latency per replication: exact quantiles */
	cr_expect_float_eq(s.lat_mean.mean, 0.015, 1e-12);
	cr_expect_float_eq(s.p99.mean, 0.015, 1e-12);
	cr_expect_float_eq(s.p99.ci95, 12.706205 * 0.005, 1e-6);
	cr_expect_eq(s.lat_max, 0.020);
	cr_assert_eq(s.nclasses, 2);
	cr_expect_str_eq(s.classes[0].name, "read");
	cr_expect_str_eq(s.classes[1].name, "export");
	cr_expect_float_eq(s.classes[0].completed, 550.0, 1e-12);
	cr_expect_float_eq(s.classes[1].p50.mean, 0.030, 1e-12);
	sim_summary_release(&s);
	sim_rep_release(&reps[0]);
	sim_rep_release(&reps[1]);
}

Test(summarize, latency_without_responses_is_nan_not_zero)
{
	struct sim_rep_result rep;
	struct sim_summary s;
	cr_assert_eq(sim_rep_init(&rep, 1), 0);
	rep.duration = 1.0;
	rep.offered = 10;
	rep.errors[1] = 10;
	cr_assert_eq(sim_summarize(&rep, 1, NULL, &s), 0);
	cr_expect(isnan(s.p99.mean));
	cr_expect(isnan(s.lat_mean.mean));
	cr_expect(isnan(s.lat_max));
	cr_expect(isnan(s.classes[0].p99.mean));
	cr_expect_null(s.classes[0].name);
	cr_expect_eq(s.offered_rps.mean, 10.0);
	sim_summary_release(&s);
	sim_rep_release(&rep);
}

Test(summarize, metrics_take_max_for_max_names_and_mean_otherwise)
{
	struct sim_rep_result reps[3];
	struct sim_summary s;
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(sim_rep_init(&reps[i], 0), 0);
		reps[i].duration = 1.0;
	}
	sim_metrics_put(&reps[0].metrics, "queues.max", "loop", 10);
	sim_metrics_put(&reps[0].metrics, "utilization", "cpu", 0.4);
	sim_metrics_put(&reps[0].metrics, "", "memory_peak_bytes", 100);
	sim_metrics_put(&reps[1].metrics, "utilization", "cpu", 0.6);
	sim_metrics_put(&reps[1].metrics, "queues.max", "loop", 57);
	sim_metrics_put(&reps[1].metrics, "loop_lag_s", "max", 0.5);
	sim_metrics_put(&reps[2].metrics, "queues.max", "loop", 20);
	sim_metrics_put(&reps[2].metrics, "utilization", "cpu", 0.8);
	sim_metrics_put(&reps[2].metrics, "loop_lag_s", "max", 0.2);
	sim_metrics_put(&reps[2].metrics, "loop_lag_s", "mean", 0.1);

	cr_assert_eq(sim_summarize(reps, 3, NULL, &s), 0);
	const struct sim_metrics *m = &s.metrics;
	cr_assert_eq(m->n, 5);
	/* first-seen order across replications */
	cr_expect_str_eq(m->v[0].group, "queues.max");
	cr_expect_str_eq(m->v[1].group, "utilization");
	cr_expect_str_eq(m->v[2].key, "memory_peak_bytes");
	cr_expect_str_eq(m->v[3].key, "max");
	cr_expect_str_eq(m->v[4].key, "mean");
	cr_expect_eq(sim_metrics_get(m, "queues.max", "loop", -1), 57);
	cr_expect_float_eq(sim_metrics_get(m, "utilization", "cpu", -1), 0.6,
			   1e-12);
	/* present in one replication only: its value, not a third of it */
	cr_expect_eq(sim_metrics_get(m, "", "memory_peak_bytes", -1), 100);
	cr_expect_eq(sim_metrics_get(m, "loop_lag_s", "max", -1), 0.5);
	cr_expect_eq(sim_metrics_get(m, "loop_lag_s", "mean", -1), 0.1);
	sim_summary_release(&s);
	for (int i = 0; i < 3; i++)
		sim_rep_release(&reps[i]);
}

/* One replication (a sweep's point): its latency figures are its own
 * histogram's quantiles and its pooled distribution the histogram's
 * (taken from the same walk, not a merged copy), its metrics its own. */
Test(summarize, one_replication_is_its_own_distribution)
{
	struct sim_rep_result rep;
	struct sim_summary s;
	uint64_t x = 7;
	cr_assert_eq(sim_rep_init(&rep, 1), 0);
	rep.duration = 10.0;
	for (int i = 0; i < 20000; i++) { /* spread over 20 octaves */
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		double u = ((double)(x >> 11) + 0.5) * 0x1p-53;
		sim_hist_record(&rep.lat, 1e-6 * exp(14 * u));
	}
	sim_metrics_put(&rep.metrics, "queues.max", "loop", 10);
	sim_metrics_put(&rep.metrics, "utilization", "cpu", 0.3);
	cr_assert_eq(sim_summarize(&rep, 1, NULL, &s), 0);
	cr_expect_eq(s.p50.mean, sim_hist_quantile(&rep.lat, 0.50));
	cr_expect_eq(s.p90.mean, sim_hist_quantile(&rep.lat, 0.90));
	cr_expect_eq(s.p99.mean, sim_hist_quantile(&rep.lat, 0.99));
	cr_expect_eq(s.p999.mean, sim_hist_quantile(&rep.lat, 0.999));
	cr_assert_eq(s.ncdf, SIM_CDF_N);
	for (size_t i = 0; i < SIM_CDF_N; i++)
		cr_expect_eq(s.cdf[i],
			     sim_hist_quantile(&rep.lat, sim_cdf_q[i]),
			     "cdf at %g", sim_cdf_q[i]);
	cr_assert_eq(s.metrics.n, 2);
	cr_expect_eq(sim_metrics_get(&s.metrics, "queues.max", "loop", -1), 10);
	cr_expect_eq(sim_metrics_get(&s.metrics, "utilization", "cpu", -1),
		     0.3);
	cr_expect_eq(sim_metrics_get(&s.metrics, "utilization", "gc", -1), -1);
	sim_summary_release(&s);
	sim_rep_release(&rep);
}

Test(rep, init_makes_a_histogram_per_class_and_release_clears)
{
	struct sim_rep_result r;
	cr_assert_eq(sim_rep_init(&r, 3), 0);
	cr_expect_eq(r.nclasses, 3);
	sim_hist_record(&r.classes[2].lat, 1.0);
	cr_expect_eq(r.classes[2].lat.n, 1);
	sim_metrics_put(&r.metrics, "", "x", 1);
	sim_rep_release(&r);
	cr_expect_null(r.classes);
	cr_expect_eq(r.nclasses, 0);
	cr_expect_null(r.metrics.v);
}
