/*
 * fuzz_trace.c - libFuzzer target for the trace CSV reader.
 *
 * The input is a trace file (the CSV `concsim trace` writes and
 * `arrivals: { process: trace }` replays). It is put in an anonymous
 * in-memory file (memfd) and read through its /proc/self/fd path by
 * sim_trace_check, against a fixed workload of three classes with 1, 2 and
 * 3 phases. Every row the reader accepts must hold what the workload
 * allows: a known class, its number of phases, finite demands >= 0 and
 * arrival times that never decrease.
 *
 * Built by -DCONCSIM_FUZZ=ON (clang); tests/fuzz/replay.c runs the same
 * function over the corpus in every build (ctest fuzz_replay_trace).
 */
#define _GNU_SOURCE /* memfd_create */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario/scenario.h"
#include "scenario/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char workload_yaml[] =
    "workload:\n"
    "  arrivals: { process: poisson, rate: 10/s }\n"
    "  classes:\n"
    "    - { name: one, phases: [ {cpu: 1ms} ] }\n"
    "    - { name: two, phases: [ {cpu: 1ms}, {io: 2ms} ] }\n"
    "    - { name: three, phases: [ {cpu: 1ms}, {pool: 1ms}, {io: 1ms} ] }\n"
    "systems:\n"
    "  - { name: s, model: event-loop }\n";

static void check_rows(const char *path, const struct sim_workload *wl)
{
	struct sim_trace_reader rd;
	double t_prev = 0;
	int rc;
	if (sim_trace_open(&rd, path, wl, NULL))
		return;
	while ((rc = sim_trace_next(&rd, NULL)) > 0) {
		if (rd.cls >= wl->nclasses ||
		    rd.nphases != wl->classes[rd.cls].nphases ||
		    rd.nphases > rd.ncols || !isfinite(rd.t) || rd.t < 0 ||
		    rd.t < t_prev)
			abort();
		for (size_t i = 0; i < rd.nphases; i++)
			if (!isfinite(rd.demand[i]) || rd.demand[i] < 0)
				abort();
		t_prev = rd.t;
	}
	sim_trace_close(&rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	static struct sim_scenario sc;
	static bool loaded;
	char path[64];

	if (!loaded) {
		null = fopen("/dev/null", "w");
		if (!null || sim_scenario_load_string(
				 "fuzz.yaml", workload_yaml,
				 strlen(workload_yaml), NULL, 0, stderr, &sc))
			abort();
		loaded = true;
	}
	int fd = memfd_create("fuzz-trace", 0);
	if (fd < 0)
		abort();
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	sim_trace_check(path, &sc.workload, null); /* with messages */
	check_rows(path, &sc.workload);		   /* without */
	close(fd);
	return 0;
}
