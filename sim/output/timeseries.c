/*
 * timeseries.c - a run's time series as CSV: one row per interval,
 * replication and system, the fixed figures first, then the union of the
 * models' figures (empty where a row lacks one).
 */
#include "output/timeseries.h"

#include <stdbool.h>
#include <stdlib.h>

#include "kernel/error.h"
#include "output/csv.h"
#include "output/output.h"

int sim_write_timeseries(FILE *f, const struct sim_scenario *sc,
			 const struct sim_ts *ts, size_t nsystems)
{
	static const char *const fixed[] = {
	    "time_s",	   "system",	     "replication",
	    "offered_rps", "throughput_rps", "goodput_rps",
	    "errors",	   "latency_s_p50",  "latency_s_p99",
	};
	struct sim__colset cols = {0};
	bool first = true;
	int rc = 0;

	for (size_t i = 0; i < nsystems; i++)
		for (size_t r = 0; r < ts[i].n; r++) {
			rc = sim__colset_add(&cols, &ts[i].rows[r].metrics);
			if (rc)
				goto cleanup;
		}
	for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		sim_csv_cell(f, &first, fixed[k]);
	sim__csv_metric_header(f, &first, &cols);
	fputc('\n', f);

	for (size_t i = 0; i < nsystems; i++) {
		const char *name = i < sc->nsystems ? sc->systems[i].name : "";
		for (size_t r = 0; r < ts[i].n; r++) {
			const struct sim_ts_row *row = &ts[i].rows[r];
			first = true;
			sim_csv_num(f, &first, row->time_s);
			sim_csv_cell(f, &first, name);
			sim__csv_int(f, &first, row->replication);
			sim_csv_num(f, &first, row->offered_rps);
			sim_csv_num(f, &first, row->throughput_rps);
			sim_csv_num(f, &first, row->goodput_rps);
			sim__csv_int(f, &first, (long long)row->errors);
			sim_csv_num(f, &first, row->p50);
			sim_csv_num(f, &first, row->p99);
			for (size_t k = 0; k < cols.n; k++)
				sim_csv_num(f, &first,
					    sim__metric_value(&row->metrics,
							      cols.v[k]));
			fputc('\n', f);
		}
	}
	rc = ferror(f) ? SIM_EIO : 0;

cleanup:
	free(cols.v);
	return rc;
}
