/*
 * test_bad_inputs.c - the catalogue of bad inputs: malformed scenarios and
 * traces, absurd sizes, missing and unreadable files, unusable output
 * folders, a full disk. Each case runs the `concsim` binary in a fresh
 * folder (under `timeout`, so a hang fails) and must
 *
 *   - exit with its status: 2 for a bad scenario or bad usage, 1 for a
 *     failure of the machine (an output folder that cannot be written, a
 *     full disk, a closed standard output), never a crash;
 *   - print exactly its first line on stderr (a scenario problem as
 *     FILE:LINE:COLUMN: error: ..., "$D" below standing for the folder);
 *   - leave nothing in the output folder `out`: no result file and no
 *     temporary file (the folder itself may stay, empty).
 *
 * A case is a scenario (written to s.yaml), shell commands that prepare
 * the folder (traces, odd files), and the command line, a shell script in
 * which $B is the binary (which may also check the folder afterwards).
 * Add a case by adding a row.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "testlib.h"

enum who { ANYONE, ROOT_ONLY, NOT_ROOT };

struct bad {
	const char *name;  /* what is wrong */
	const char *yaml;  /* s.yaml, or NULL for none */
	const char *setup; /* sh commands run first in the folder, or NULL */
	const char *cmd;   /* sh script; NULL: $B run s.yaml -o out */
	int status;
	const char *first; /* the first line of stderr */
	enum who who;	   /* permissions differ for root */
};

/* A valid scenario, lines 1-7, and pieces to vary it. */
#define TOP "duration: 100ms\nwarmup: 0s\nreplications: 1\n"
#define ARR "  arrivals: { process: poisson, rate: 50/s }\n"
#define CLS "  classes: [ { name: one, phases: [ {cpu: 1ms} ] } ]\n"
#define SYS "systems: [ { name: s, model: event-loop } ]\n"
#define OK  TOP "workload:\n" ARR CLS SYS
#define OK_D(d)                                                                \
	"duration: " d "\nwarmup: 0s\nreplications: 1\nworkload:\n" ARR CLS SYS
#define WL(a) TOP "workload:\n  arrivals: " a "\n" CLS SYS
#define SY(s) TOP "workload:\n" ARR CLS "systems:\n  - " s "\n"
/* Traces are replayed against classes one (1 phase), two (2 phases). */
#define TRACE_YAML                                                             \
	TOP "workload:\n  arrivals: { process: trace, file: t.csv }\n"         \
	    "  classes:\n"                                                     \
	    "    - { name: one, phases: [ {cpu: 1ms} ] }\n"                    \
	    "    - { name: two, phases: [ {cpu: 1ms}, {io: 1ms} ] }\n" SYS
#define HDR	    "time_s,class,demand_1_s,demand_2_s\\n"
#define TRACE(rows) "printf '" HDR rows "' > t.csv"
/* A line of a billion laughs: n: &n [*p, ... ten times] */
#define BOMB(n, p)                                                             \
	n ": &" n " [*" p ", *" p ", *" p ", *" p ", *" p ", *" p ", *" p      \
	  ", *" p ", *" p ", *" p "]\n"

static const struct bad cases[] = {
    /* ------------------------------------------------ YAML syntax -- */
    {"empty file", "", NULL, NULL, 2,
     "s.yaml:1:1: error: empty scenario; expected a map with 'workload' "
     "and 'systems'",
     ANYONE},
    {"only a comment", "# nothing here\n", NULL, NULL, 2,
     "s.yaml:1:1: error: empty scenario; expected a map with 'workload' "
     "and 'systems'",
     ANYONE},
    {"unclosed flow list", "systems: [ { name: s\n", NULL, NULL, 2,
     "s.yaml:2:1: error: invalid YAML: while parsing a flow mapping did "
     "not find expected ',' or '}'",
     ANYONE},
    {"tab in indentation", "workload:\n\tarrivals: {}\n", NULL, NULL, 2,
     "s.yaml:2:1: error: tab character in indentation; indent YAML with "
     "spaces",
     ANYONE},
    {"binary garbage", NULL,
     "printf 'name: x\\n\\000\\001\\002\\377\\376garbage' > s.yaml", NULL, 2,
     "s.yaml:2:1: error: not UTF-8 text: control characters are not "
     "allowed (byte 0x00); a scenario is a YAML text file",
     ANYONE},
    {"invalid UTF-8", NULL, "printf 'name: caf\\351\\n' > s.yaml", NULL, 2,
     "s.yaml:1:10: error: not UTF-8 text: incomplete UTF-8 octet sequence",
     ANYONE},
    {"deep nesting", NULL, "for i in $(seq 100); do printf '['; done > s.yaml",
     NULL, 2, "s.yaml:1:65: error: nesting deeper than 64 levels", ANYONE},
    {"alias bomb (a billion laughs)",
     "a: &a [x, x, x, x, x, x, x, x, x, x]\n" BOMB("b", "a") BOMB("c", "b")
	 BOMB("d", "c") BOMB("e", "d") BOMB("f", "e") BOMB("g", "f")
	     BOMB("h", "g") BOMB("i", "h"),
     NULL, NULL, 2,
     "s.yaml:6:44: error: document too large: more than 1000000 values once "
     "aliases are expanded",
     ANYONE},
    {"unknown anchor", "workload: *nope\n", NULL, NULL, 2,
     "s.yaml:1:11: error: unknown anchor 'nope'", ANYONE},
    {"alias to itself", "a: &x [ *x ]\n", NULL, NULL, 2,
     "s.yaml:1:9: error: alias 'x' refers to a value that contains it", ANYONE},
    {"duplicate key", TOP "duration: 1s\n", NULL, NULL, 2,
     "s.yaml:4:1: error: duplicate key 'duration' (first given at line 1)",
     ANYONE},
    {"two documents", OK "---\n" OK, NULL, NULL, 2,
     "s.yaml:8:1: error: more than one document; a scenario is a single "
     "YAML document",
     ANYONE},
    {"a list at the top", "- workload\n- systems\n", NULL, NULL, 2,
     "s.yaml:1:1: error: expected a map with 'workload' and 'systems' at "
     "the top level, got a list",
     ANYONE},
    {"a map as a key", "? {a: 1}\n: 2\n", NULL, NULL, 2,
     "s.yaml:1:3: error: map keys must be plain text, not a map or a list",
     ANYONE},
    {"file over 16 MiB", NULL, "truncate -s 17M s.yaml", NULL, 2,
     "s.yaml:1:1: error: file too large (more than 16 MiB); a scenario is "
     "a small text file",
     ANYONE},
    /* ------------------------------------------------------ types -- */
    {"duration without unit", OK_D("60"), NULL, NULL, 2,
     "s.yaml:1:11: error: 'duration': expected a duration with a unit (ns, us, "
     "ms, s, m, h, d), got '60'",
     ANYONE},
    {"duration as a map", OK_D("{a: 1}"), NULL, NULL, 2,
     "s.yaml:1:11: error: 'duration': expected a duration with a unit "
     "(ns, us, ms, s, m, h, d), got a map",
     ANYONE},
    {"rate per day", WL("{ rate: 800/d }"), NULL, NULL, 2,
     "s.yaml:5:21: error: 'rate': expected a rate with a unit (/s, /m, /h), "
     "got "
     "'800/d'",
     ANYONE},
    {"cores as a word", SY("{ name: s, model: event-loop, cores: four }"), NULL,
     NULL, 2,
     "s.yaml:8:42: error: 'cores': expected a whole number, got 'four'",
     ANYONE},
    {"fractional cores", SY("{ name: s, model: event-loop, cores: 2.5 }"), NULL,
     NULL, 2, "s.yaml:8:42: error: 'cores': expected a whole number, got '2.5'",
     ANYONE},
    {"replications true", "replications: true\n", NULL, NULL, 2,
     "s.yaml:1:15: error: 'replications': expected a whole number, got "
     "'true'",
     ANYONE},
    {"negative seed", OK "seed: -1\n", NULL, NULL, 2,
     "s.yaml:8:7: error: 'seed': expected a whole number from 0 to "
     "18446744073709551615, got '-1'",
     ANYONE},
    {"quoted number", SY("{ name: s, model: event-loop, cores: \"2\" }"), NULL,
     NULL, 2,
     "s.yaml:8:42: error: 'cores': expected a whole number, got the string '2'",
     ANYONE},
    {"misspelt key", SY("{ name: s, model: worker-pool, worker: 4 }"), NULL,
     NULL, 2,
     "s.yaml:8:36: error: unknown key 'worker' in system 's'; did you mean "
     "'workers'?",
     ANYONE},
    {"unknown model", SY("{ name: s, model: tomcat }"), NULL, NULL, 2,
     "s.yaml:8:23: error: unknown model 'tomcat'; known models: event-loop, "
     "async, worker-pool, replicas, server",
     ANYONE},
    {"unknown distribution",
     TOP "workload:\n" ARR
	 "  classes: [ { name: one, phases: [ {cpu: {dist: zipf, mean: 1ms}} "
	 "] } ]\n" SYS,
     NULL, NULL, 2,
     "s.yaml:6:50: error: 'dist': expected one of constant, exponential, "
     "uniform, normal, lognormal, gamma, weibull, pareto, erlang, "
     "hyperexponential, empirical, got 'zipf'",
     ANYONE},
    {"no workload", TOP SYS, NULL, NULL, 2,
     "s.yaml:1:1: error: missing key 'workload' at the top level", ANYONE},
    {"no systems", TOP "workload:\n" ARR CLS "systems: []\n", NULL, NULL, 2,
     "s.yaml:7:10: error: 'systems': expected at least one system", ANYONE},
    {"a phase with two kinds",
     TOP "workload:\n" ARR
	 "  classes: [ { name: one, phases: [ {cpu: 1ms, io: 1ms} ] } ]\n" SYS,
     NULL, NULL, 2,
     "s.yaml:6:37: error: a phase is a map with one key (cpu, io, pool, call "
     "or parallel), got "
     "several keys",
     ANYONE},
    /* -------------------------------------------- units and ranges -- */
    {"zero duration", OK_D("0s"), NULL, NULL, 2,
     "s.yaml:1:11: error: 'duration': must be greater than 0s, got '0s'",
     ANYONE},
    {"negative rate", WL("{ rate: -5/s }"), NULL, NULL, 2,
     "s.yaml:5:21: error: 'rate': expected a rate that is not negative, got "
     "'-5/s'",
     ANYONE},
    {"negative rtt", TOP "workload:\n" ARR "  client: { rtt: -1ms }\n" CLS SYS,
     NULL, NULL, 2,
     "s.yaml:6:18: error: 'rtt': expected a duration that is not negative, "
     "got '-1ms'",
     ANYONE},
    {"rtt not a duration",
     TOP "workload:\n" ARR "  client: { rtt: fast }\n" CLS SYS, NULL, NULL, 2,
     "s.yaml:6:18: error: 'rtt': expected a duration with a unit (ns, us, "
     "ms, s, m, h, d), got 'fast'",
     ANYONE},
    {"rtt beyond any network's",
     TOP "workload:\n" ARR "  client: { rtt: 20s }\n" CLS SYS, NULL, NULL, 2,
     "s.yaml:6:18: error: 'rtt': must be between 0s and 10s, got '20s'",
     ANYONE},
    {"zero cores", SY("{ name: s, model: event-loop, cores: 0 }"), NULL, NULL,
     2, "s.yaml:8:42: error: 'cores': must be between 1 and 4096, got '0'",
     ANYONE},
    {"NaN rate", WL("{ rate: nan/s }"), NULL, NULL, 2,
     "s.yaml:5:21: error: 'rate': expected a finite rate, got 'nan/s'", ANYONE},
    {"infinite duration", OK_D(".inf"), NULL, NULL, 2,
     "s.yaml:1:11: error: 'duration': expected a finite duration, got '.inf'",
     ANYONE},
    {"duration of 1e400 s", OK_D("1e400s"), NULL, NULL, 2,
     "s.yaml:1:11: error: 'duration': duration out of range, got '1e400s'",
     ANYONE},
    {"duration of 2e9 s, past the bound", OK_D("2e9s"), NULL, NULL, 2,
     "s.yaml:1:11: error: 'duration': must be between 0s and 1e+09s, got "
     "'2e9s'",
     ANYONE},
    {"memory past the bound",
     SY("{ name: s, model: event-loop, memory: 2000000GiB }"), NULL, NULL, 2,
     "s.yaml:8:43: error: 'memory': must be between 0B and 1048576GiB, got "
     "'2000000GiB'",
     ANYONE},
    {"20-digit workers",
     SY("{ name: s, model: worker-pool, workers: 99999999999999999999 }"), NULL,
     NULL, 2,
     "s.yaml:8:45: error: 'workers': must be between 1 and 4096, got "
     "'99999999999999999999'",
     ANYONE},
    {"seed of 2^64", OK "seed: 18446744073709551616\n", NULL, NULL, 2,
     "s.yaml:8:7: error: 'seed': expected a whole number from 0 to "
     "18446744073709551615, got '18446744073709551616'",
     ANYONE},
    {"negative cv",
     TOP "workload:\n" ARR
	 "  classes: [ { name: one, phases: [ {cpu: {dist: gamma, mean: 1ms, "
	 "cv: -1}} ] } ]\n" SYS,
     NULL, NULL, 2,
     "s.yaml:6:72: error: 'cv': must be between 0 and 1000000, got '-1'",
     ANYONE},
    /* ---------------------------------------------------- limits -- */
    {"1e12 requests", WL("{ rate: 10000000000/s }"), NULL,
     "$B run s.yaml --set duration=100s -o out", 2,
     "s.yaml:5:13: error: too many requests per replication: 1e+10/s x 100s "
     "(warmup + duration) = 1e+12; the limit is 2e+09",
     ANYONE},
    {"a billion workers",
     SY("{ name: s, model: worker-pool, workers: 1000000000 }"), NULL, NULL, 2,
     "s.yaml:8:45: error: 'workers': must be between 1 and 4096, got "
     "'1000000000'",
     ANYONE},
    {"1e12 threads in nested replicas",
     SY("{ name: s, model: replicas, replicas: 10000, replica: { model: "
	"replicas, replicas: 10000, replica: { model: async, workers: 4096 "
	"} } }"),
     NULL, NULL, 2,
     "s.yaml:8:5: error: system 's' would simulate about 1.68e+13 threads "
     "(processes x threads, times replicas); the limit is 4194304 per "
     "system",
     ANYONE},
    {"a million replications", "replications: 1000000\nworkload:\n" ARR CLS SYS,
     NULL, NULL, 2,
     "s.yaml:1:15: error: 'replications': must be between 1 and 10000, "
     "got '1000000'",
     ANYONE},
    {"a million replications on the command line", OK, NULL,
     "$B run s.yaml --replications 1000000 -o out", 2,
     "concsim: error: '--replications' expects a whole number from 1 to "
     "10000, got '1000000'",
     ANYONE},
    {"10000 replications of a day", OK, NULL,
     "$B run s.yaml --replications 10000 --set duration=86400s -o out", 2,
     "s.yaml:5:13: error: too much work: about 4.32e+10 requests to "
     "simulate (4.32e+06 per replication x 10000 replications x 1 "
     "systems); the limit is 2e+09, about an hour of computing: shorten "
     "'duration', lower 'replications' or the rate",
     ANYONE},
    {"ten million users thinking 1us",
     TOP "workload:\n  closed: { users: 10000000, think: 1us }\n" CLS SYS, NULL,
     "$B run s.yaml --set duration=100s -o out", 2,
     "s.yaml:5:11: error: too much work: about 9.99e+11 requests to "
     "simulate (9.99e+11 per replication x 1 replications x 1 systems); "
     "the limit is 2e+09, about an hour of computing: shorten 'duration', "
     "lower 'replications' or the number of users",
     ANYONE},
    {"closed loop that never advances time",
     TOP "workload:\n  closed: { users: 1 }\n"
	 "  classes: [ { name: one, phases: [ {cpu: 0s} ] } ]\n" SYS,
     NULL, NULL, 2,
     "s.yaml:5:11: error: a closed loop with no think time and requests "
     "that need no time would send infinitely many requests at the same "
     "instant; give 'think' or a phase a duration",
     ANYONE},
    {"closed loop of refusals without think time",
     TOP "workload:\n  closed: { users: 100 }\n" CLS
	 "systems: [ { name: s, model: worker-pool, backlog: 1 } ]\n",
     NULL, NULL, 1,
     "concsim: error: simulation failed: the closed loop does not advance "
     "time: users whose requests end at once (refused, or with no demand) "
     "send again at the same instant without end; give 'think' a duration",
     ANYONE},
    {"a one-nanosecond quantum for a minute",
     SY("{ name: w, model: worker-pool, workers: 4, quantum: 1ns }"), NULL,
     "$B run s.yaml --set duration=60s -o out", 2,
     "s.yaml:8:5: error: too much work: system 'w' may be preempted about "
     "6e+10 times (cores / quantum + processes / gil_interval, x (warmup + "
     "duration) x 1 replications); the limit is 5e+10: make 'quantum' or "
     "'gil_interval' longer",
     ANYONE},
    {"a time-series row per nanosecond", OK, NULL,
     "$B run s.yaml --timeseries 1ns -o out", 2,
     "concsim: error: --timeseries: about 1e+08 rows (1e+08 intervals of "
     "warmup + duration x 1 replications x 1 systems); the limit is 1e+06: "
     "use a longer interval",
     ANYONE},
    {"--timeseries with a bare number", OK, NULL,
     "$B run s.yaml --timeseries 5 -o out", 2,
     "concsim: error: --timeseries expects a duration > 0 with a unit "
     "(e.g. 1s), got '5'",
     ANYONE},
    /* ------------------------------------- files and the machine -- */
    {"missing scenario", NULL, NULL, "$B run nope.yaml -o out", 2,
     "concsim: error: cannot read 'nope.yaml': No such file or directory",
     ANYONE},
    {"a folder as the scenario", NULL, "mkdir d.yaml", "$B run d.yaml -o out",
     2, "concsim: error: cannot read 'd.yaml': Is a directory", ANYONE},
    {"unreadable scenario (chmod 000)", OK, "chmod 000 s.yaml", NULL, 2,
     "concsim: error: cannot read 's.yaml': Permission denied", NOT_ROOT},
    /* root reads any file: /proc/self/mem fails to read at offset 0 */
    {"unreadable scenario (as root)", NULL, NULL,
     "$B run /proc/self/mem -o out", 2,
     "concsim: error: cannot read '/proc/self/mem': Input/output error",
     ROOT_ONLY},
    {"output folder that cannot be made", OK, NULL, "$B run s.yaml -o /proc/x",
     1,
     "concsim: error: cannot create directory '/proc/x': No such file or "
     "directory",
     ANYONE},
    {"output folder that cannot be written", OK, NULL,
     "$B run s.yaml -o /proc/self", 1,
     "concsim: error: cannot write '/proc/self/results.json': No such file "
     "or directory",
     ANYONE},
    {"output folder under a regular file", OK, NULL,
     "$B run s.yaml -o s.yaml/out", 1,
     "concsim: error: cannot create directory 's.yaml/out': Not a "
     "directory",
     ANYONE},
    {"full disk (ulimit -f)", OK, NULL,
     "bash -c 'ulimit -f 1; exec \"$B\" run s.yaml --format csv -o out' "
     ">/dev/null",
     1, "concsim: error: cannot write 'out/results.json': File too large",
     ANYONE},
    {"full disk for the time series (ulimit -f)", OK, NULL,
     "bash -c 'ulimit -f 8; exec \"$B\" run s.yaml --format csv "
     "--set duration=30s --timeseries 1ms -o out' >/dev/null",
     1, "concsim: error: cannot write 'out/timeseries.csv': File too large",
     ANYONE},
    {"full disk while writing a trace (ulimit -f)", OK, "mkdir out",
     "bash -c 'ulimit -f 1; exec \"$B\" trace s.yaml --set duration=60s "
     "-o out/t.csv'",
     1, "concsim: error: cannot write 'out/t.csv': File too large", ANYONE},
    {"closed standard output", OK, NULL, "$B run s.yaml >/dev/full", 1,
     "concsim: error: cannot write to standard output", ANYONE},
    {"closed standard output for check", OK, NULL, "$B check s.yaml >/dev/full",
     1, "concsim: error: cannot write to standard output", ANYONE},
    {"closed standard output for a trace", OK, NULL,
     "$B trace s.yaml >/dev/full", 1,
     "concsim: error: cannot write to standard output", ANYONE},
    {"empirical samples from a device",
     TOP "workload:\n" ARR
	 "  classes: [ { name: one, phases: [ {cpu: {dist: empirical, file: "
	 "/dev/zero}} ] } ]\n" SYS,
     NULL, NULL, 2,
     "s.yaml:6:67: error: 'file': cannot read '/dev/zero': not a regular file",
     ANYONE},
    {"empirical samples, a 100 KB line",
     TOP "workload:\n" ARR
	 "  classes: [ { name: one, phases: [ {cpu: {dist: empirical, file: "
	 "x.csv}} ] } ]\n" SYS,
     "head -c 100000 /dev/zero | tr '\\0' 1 > x.csv", NULL, 2,
     "s.yaml:6:67: error: 'file': line 1 of '$D/x.csv': longer than 65536 "
     "bytes; expected one number of seconds per line",
     ANYONE},
    /* ---------------------------------------------------- traces -- */
    {"trace file missing", TRACE_YAML, NULL, NULL, 2,
     "s.yaml:5:37: error: 'file': cannot read '$D/t.csv': No such file or "
     "directory",
     ANYONE},
    {"trace is a folder", TRACE_YAML, "mkdir t.csv", NULL, 2,
     "s.yaml:5:37: error: 'file': cannot read '$D/t.csv': Is a directory",
     ANYONE},
    {"trace from /dev/zero", TRACE_YAML, "ln -s /dev/zero t.csv", NULL, 2,
     "s.yaml:5:37: error: 'file': cannot read '$D/t.csv': not a regular file",
     ANYONE},
    {"empty trace", TRACE_YAML, ": > t.csv", NULL, 2,
     "$D/t.csv:1:1: error: expected the header 'time_s,class,demand_1_s,"
     "...' of a trace written by `concsim trace`",
     ANYONE},
    {"trace with a wrong header", TRACE_YAML,
     "printf 'time,class,d1,d2\\n0,one,1,\\n' > t.csv", NULL, 2,
     "$D/t.csv:1:1: error: expected the header 'time_s,class,demand_1_s,"
     "...' of a trace written by `concsim trace`",
     ANYONE},
    {"trace with too few demand columns", TRACE_YAML,
     "printf 'time_s,class,demand_1_s\\n0,one,1\\n' > t.csv", NULL, 2,
     "$D/t.csv:1:1: error: the header has 1 demand columns, the "
     "scenario's classes need '2'",
     ANYONE},
    {"trace going back in time", TRACE_YAML,
     TRACE("0.5,one,0.001,\\n0.2,one,0.001,\\n"), NULL, 2,
     "$D/t.csv:3:1: error: arrival times must not decrease", ANYONE},
    {"trace with an unknown class", TRACE_YAML, TRACE("0.1,three,0.001,\\n"),
     NULL, 2, "$D/t.csv:2:5: error: no class named 'three'", ANYONE},
    {"trace with a missing demand", TRACE_YAML, TRACE("0.1,two,0.001\\n"), NULL,
     2, "$D/t.csv:2:14: error: missing demand for a phase of class 'two'",
     ANYONE},
    {"trace with an extra demand", TRACE_YAML, TRACE("0.1,one,0.001,0.002\\n"),
     NULL, 2, "$D/t.csv:2:15: error: more demands than class 'one'", ANYONE},
    {"trace with a negative demand", TRACE_YAML, TRACE("0.1,two,0.001,-1\\n"),
     NULL, 2,
     "$D/t.csv:2:15: error: expected a phase demand in seconds (a finite "
     "number >= 0)",
     ANYONE},
    {"trace with a NaN time", TRACE_YAML, TRACE("nan,one,0.001,\\n"), NULL, 2,
     "$D/t.csv:2:1: error: expected an arrival time in seconds (a finite "
     "number >= 0)",
     ANYONE},
    {"trace with an infinite demand", TRACE_YAML, TRACE("0.1,one,inf,\\n"),
     NULL, 2,
     "$D/t.csv:2:9: error: expected a phase demand in seconds (a finite "
     "number >= 0)",
     ANYONE},
    {"trace with binary data", TRACE_YAML,
     TRACE("0.1,one,0.001,\\n\\000\\001\\002\\n"), NULL, 2,
     "$D/t.csv:3:1: error: binary data (a NUL byte); a trace is a CSV "
     "text file",
     ANYONE},
    {"trace with a 100 KB line", TRACE_YAML,
     "printf '" HDR "' > t.csv; head -c 100000 /dev/zero | tr '\\0' 1 >> "
     "t.csv",
     NULL, 2,
     "$D/t.csv:2:1: error: line longer than 65536 bytes; a trace is a CSV "
     "text file",
     ANYONE},
    /* ------------------------------------------- plot's inputs -- */
    /* a run's folder whose timeseries.csv was damaged: plot reads every
     * input before it writes, so `out` stays empty */
    {"plot: unterminated quote in timeseries.csv", OK, NULL,
     "$B run s.yaml -o res --timeseries 50ms >/dev/null 2>&1 && "
     "printf '\"time_s,system\\n' > res/timeseries.csv && "
     "$B plot res -o out",
     2, "res/timeseries.csv:1:1: error: unterminated quote", ANYONE},
    {"plot: a column missing from timeseries.csv", OK, NULL,
     "$B run s.yaml -o res --timeseries 50ms >/dev/null 2>&1 && "
     "printf 'time_s,system\\n' > res/timeseries.csv && $B plot res -o out",
     2, "res/timeseries.csv:1:1: error: no column 'offered_rps'", ANYONE},
    {"plot: a short row in timeseries.csv", OK, NULL,
     "$B run s.yaml -o res --timeseries 50ms >/dev/null 2>&1 && "
     "printf '0.05,s\\n' >> res/timeseries.csv && $B plot res -o out",
     2, "res/timeseries.csv:4:1: error: 2 cells where the header has 15",
     ANYONE},
    /* ------------------------------------------------- overrides -- */
    {"--set on a system that is not there", OK, NULL,
     "$B run s.yaml --set systems.nope.cores=2 -o out", 2,
     "--set systems.nope.cores: error: no system named 'nope'", ANYONE},
    {"--set with broken YAML", OK, NULL,
     "$B run s.yaml --set 'duration=[' -o out", 2,
     "--set duration:1:2: error: invalid YAML: while parsing a flow sequence "
     "did not find expected ',' or ']'",
     ANYONE},
    {"--set below a single value", OK, NULL,
     "$B run s.yaml --set duration.x=1s -o out", 2,
     "--set duration.x: error: 'duration' is a single value, not a map or "
     "a list",
     ANYONE},
    {"--set without a value", OK, NULL, "$B run s.yaml --set duration -o out",
     2, "concsim: error: --set expects PATH=VALUE, got 'duration'", ANYONE},
    /* ---------------------------- reliability and security, second round:
     * planted symlinks, escape sequences, NUL, names CSV cannot carry,
     * inputs never overwritten, all or nothing, the folder lock, rows
     * from another sweep, special files, loops, usage messages. A case
     * whose command ends with `|| s=99` also checks the folder afterwards
     * (an input intact, a symlink replaced and its target untouched, no
     * folder or temporary file left): 99 when that check fails. -- */
    {"report: a FIFO as timeseries.csv", OK, NULL,
     "$B run s.yaml -q -o res --timeseries 50ms >/dev/null 2>&1 && rm "
     "res/timeseries.csv && mkfifo res/timeseries.csv && $B report res -o "
     "out/r.html",
     2,
     "concsim: error: cannot read 'res/timeseries.csv': not a regular file "
     "(a pipe, a device or a socket)",
     ANYONE},
    {"report -o the folder's results.json", OK, NULL,
     "{ $B run s.yaml -q -o res >/dev/null 2>&1 && $B report res -o "
     "res/results.json; }; s=$?; { head -c 1 res/results.json | grep -q "
     "'{'; } >/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing 'res/results.json' would replace the input "
     "'res/results.json'; choose another file with -o",
     ANYONE},
    {"run: a symlink planted at out/results.csv is replaced, not followed", OK,
     "mkdir res && ln -s ../victim res/results.csv",
     "{ $B run s.yaml -q -o res >/dev/null; }; s=$?; { test ! -e victim && "
     "test -f res/results.csv && test ! -L res/results.csv && ! ls -A res | "
     "grep -q tmp; } >/dev/null 2>&1 || s=99; exit $s",
     0, "", ANYONE},
    {"run: a symlink planted at out/summary.txt is replaced", OK,
     "mkdir res && ln -s ../victim res/summary.txt",
     "{ $B run s.yaml -q -o res >/dev/null; }; s=$?; { test ! -e victim && "
     "test ! -L res/summary.txt; } >/dev/null 2>&1 || s=99; exit $s",
     0, "", ANYONE},
    {"run: a symlink at out/scenario.yaml to an existing file leaves it intact",
     OK, "mkdir res && echo keep > victim && ln -s ../victim res/scenario.yaml",
     "{ $B run s.yaml -q -o res >/dev/null; }; s=$?; { test \"$(cat victim)\" "
     "= keep && test ! -L res/scenario.yaml; } >/dev/null 2>&1 || s=99; exit "
     "$s",
     0, "", ANYONE},
    {"sweep: a symlink at results.csv is replaced", OK,
     "mkdir res && ln -s ../victim res/results.csv",
     "{ $B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1; }; s=$?; { test ! -e victim && test ! -L "
     "res/results.csv && ! ls -A res | grep -q tmp; } >/dev/null 2>&1 || s=99; "
     "exit $s",
     0, "", ANYONE},
    {"trace: a symlink at the output file is replaced", OK,
     "ln -s victim t.csv",
     "{ $B trace s.yaml -o t.csv; }; s=$?; { test ! -e victim && test -f t.csv "
     "&& test ! -L t.csv; } >/dev/null 2>&1 || s=99; exit $s",
     0, "", ANYONE},
    {"plot: a symlink at a figure is replaced, not written through", OK, NULL,
     "{ $B run s.yaml -q -o res --timeseries 50ms >/dev/null 2>&1 && ln -s "
     "../victim res/latency-cdf.png && { $B plot res -q 2>/dev/null; true; }; "
     "}; s=$?; { test ! -e victim && ! ls -A res | grep -q tmp; } >/dev/null "
     "2>&1 || s=99; exit $s",
     0, "", ANYONE},
    {"merge: a symlink at OUT/results.csv is replaced", OK, NULL,
     "{ $B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && mkdir m && ln -s ../victim m/results.csv && $B merge "
     "res -o m -q; }; s=$?; { test ! -e victim && test ! -L m/results.csv; } "
     ">/dev/null 2>&1 || s=99; exit $s",
     0, "", ANYONE},
    {"an escape sequence in the scenario name",
     "name: \"s\\e]0;PWNED\\a\"\nduration: 100ms\nwarmup: 0s\nreplications: "
     "1\nworkload:\n  arrivals: { process: poisson, rate: 50/s }\n  classes: [ "
     "{ name: one, phases: [ {cpu: 1ms} ] } ]\nsystems: [ { name: s, model: "
     "event-loop } ]\n",
     NULL, NULL, 2,
     "s.yaml:1:7: error: 'name': scenario names cannot contain a newline or "
     "another control character, got 's?]0;PWNED?'",
     ANYONE},
    {"an escape sequence in a system name",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ "
     "{cpu: 1ms} ] } ]\nsystems:\n  - { name: \"x\\e[2J\", model: async }\n",
     NULL, NULL, 2,
     "s.yaml:8:13: error: 'name': system names cannot contain a newline or "
     "another control character, got 'x?[2J'",
     ANYONE},
    {"an escape sequence in a class name",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: \"c\\e[31m\", "
     "phases: [ {cpu: 1ms} ] } ]\nsystems: [ { name: s, model: event-loop } "
     "]\n",
     NULL, NULL, 2,
     "s.yaml:6:22: error: 'name': class names cannot contain a newline or "
     "another control character, got 'c?[31m'",
     ANYONE},
    {"check prints a description's escape sequence as '?'",
     "description: \"d\\e[2J\\e]0;T\\a\"\nduration: 100ms\nwarmup: "
     "0s\nreplications: 1\nworkload:\n  arrivals: { process: poisson, rate: "
     "50/s }\n  classes: [ { name: one, phases: [ {cpu: 1ms} ] } ]\nsystems: [ "
     "{ name: s, model: event-loop } ]\n",
     NULL,
     "{ $B check s.yaml > o.txt; }; s=$?; { grep -q 'd?\\[2J?\\]0;T?' o.txt && "
     "! grep -q \"$(printf '\\033')\" o.txt; } >/dev/null 2>&1 || s=99; exit "
     "$s",
     0, "", ANYONE},
    {"an escape sequence in a file name on the command line", NULL, NULL,
     "$B run \"$(printf 'x\\033[2J.yaml')\" -o out", 2,
     "concsim: error: cannot read 'x?[2J.yaml': No such file or directory",
     ANYONE},
    {"an escape sequence in an --set value", OK, NULL,
     "$B run s.yaml --set \"$(printf 'systems.s\\033[2J.cores=2')\" -o out", 2,
     "--set systems.s?[2J.cores: error: no system named 's?[2J'", ANYONE},
    {"a NUL in the scenario name",
     "name: \"a\\0b\"\nduration: 100ms\nwarmup: 0s\nreplications: "
     "1\nworkload:\n  arrivals: { process: poisson, rate: 50/s }\n  classes: [ "
     "{ name: one, phases: [ {cpu: 1ms} ] } ]\nsystems: [ { name: s, model: "
     "event-loop } ]\n",
     NULL, NULL, 2,
     "s.yaml:1:7: error: a NUL character (\\0) in a value; text cannot hold "
     "one",
     ANYONE},
    {"a NUL in a class name",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: \"a\\0b\", phases: "
     "[ {cpu: 1ms} ] } ]\nsystems: [ { name: s, model: event-loop } ]\n",
     NULL, NULL, 2,
     "s.yaml:6:22: error: a NUL character (\\0) in a value; text cannot hold "
     "one",
     ANYONE},
    {"a NUL in an --set value", OK, NULL,
     "$B run s.yaml --set 'name=\"a\\0b\"' -o out", 2,
     "--set name:1:1: error: a NUL character (\\0) in a value; text cannot "
     "hold one",
     ANYONE},
    {"a class named a,b",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: \"a,b\", phases: [ "
     "{cpu: 1ms} ] } ]\nsystems: [ { name: s, model: event-loop } ]\n",
     NULL, NULL, 2,
     "s.yaml:6:22: error: 'name': class names cannot contain a comma or a "
     "double quote (they are cells of `concsim trace` CSV), got 'a,b'",
     ANYONE},
    {"a class name with a newline",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: \"x\\n1e-9,x\", "
     "phases: [ {cpu: 1ms} ] } ]\nsystems: [ { name: s, model: event-loop } "
     "]\n",
     NULL, NULL, 2,
     "s.yaml:6:22: error: 'name': class names cannot contain a newline or "
     "another control character, got 'x?1e-9,x'",
     ANYONE},
    {"a system name with a double quote is quoted in results.csv",
     SY("{ name: 'say \"hi\"', model: async }"), NULL,
     "{ $B run s.yaml -q --format csv -o res >/dev/null; }; s=$?; "
     "{ grep -q '^s,\"say \"\"hi\"\"\",' res/results.csv; } >/dev/null "
     "2>&1 || s=99; exit $s",
     0, "", ANYONE},
    {"a scenario name with a comma is quoted in results.csv",
     "name: \"a,b\"\n" OK, NULL,
     "{ $B run s.yaml -q --format csv -o res >/dev/null; }; s=$?; "
     "{ grep -q '^\"a,b\",' res/results.csv; } >/dev/null 2>&1 || s=99; "
     "exit $s",
     0, "", ANYONE},
    {"a scenario file named with a comma: its name is quoted in CSV", NULL,
     "printf 'duration: 100ms\\nwarmup: 0s\\nreplications: 1\\nworkload:\\n  "
     "arrivals: { process: poisson, rate: 50/s }\\n  classes: [ { name: one, "
     "phases: [ {cpu: 1ms} ] } ]\\nsystems: [ { name: s, model: event-loop } "
     "]\\n' > 'a,b.yaml'",
     "{ $B run a,b.yaml -q --format csv > o.csv; }; s=$?; { grep -q "
     "'^\"a,b\",' o.csv; } >/dev/null 2>&1 || s=99; exit $s",
     0, "", ANYONE},
    {"--set a class name with a comma", OK, NULL,
     "$B run s.yaml --set 'workload.classes.one.name=\"x,y\"' -o out", 2,
     "--set workload.classes.one.name:1:1: error: 'name': class names cannot "
     "contain a comma or a double quote (they are cells of `concsim trace` "
     "CSV), got 'x,y'",
     ANYONE},
    {"run d/scenario.yaml -o d", NULL,
     "mkdir d && printf '# keep me\\nduration: 100ms\\nwarmup: "
     "0s\\nreplications: 1\\nworkload:\\n  arrivals: { process: poisson, rate: "
     "50/s }\\n  classes: [ { name: one, phases: [ {cpu: 1ms} ] } ]\\nsystems: "
     "[ { name: s, model: event-loop } ]\\n' > d/scenario.yaml",
     "{ $B run d/scenario.yaml -q -o d; }; s=$?; { grep -q 'keep me' "
     "d/scenario.yaml && test $(ls d | wc -l) = 1; } >/dev/null 2>&1 || s=99; "
     "exit $s",
     2,
     "concsim: error: writing 'd/scenario.yaml' would replace the input "
     "'d/scenario.yaml'; choose another output folder with -o",
     ANYONE},
    {"sweep d/scenario.yaml -o d", NULL,
     "mkdir d && printf '# keep me\\nduration: 100ms\\nwarmup: "
     "0s\\nreplications: 1\\nworkload:\\n  arrivals: { process: poisson, rate: "
     "50/s }\\n  classes: [ { name: one, phases: [ {cpu: 1ms} ] } ]\\nsystems: "
     "[ { name: s, model: event-loop } ]\\n' > d/scenario.yaml",
     "{ $B sweep d/scenario.yaml --param duration=100ms,200ms -q -o d; }; "
     "s=$?; { grep -q 'keep me' d/scenario.yaml && test $(ls d | wc -l) = 1; } "
     ">/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing 'd/scenario.yaml' would replace the input "
     "'d/scenario.yaml'; choose another output folder with -o",
     ANYONE},
    {"run -o through another name for the input's folder", NULL,
     "mkdir d && printf 'duration: 100ms\\nwarmup: 0s\\nreplications: "
     "1\\nworkload:\\n  arrivals: { process: poisson, rate: 50/s }\\n  "
     "classes: [ { name: one, phases: [ {cpu: 1ms} ] } ]\\nsystems: [ { name: "
     "s, model: event-loop } ]\\n' > d/scenario.yaml && ln -s d e",
     "{ $B run d/scenario.yaml -q -o e; }; s=$?; { test $(ls d | wc -l) = 1; } "
     ">/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing 'e/scenario.yaml' would replace the input "
     "'d/scenario.yaml'; choose another output folder with -o",
     ANYONE},
    {"trace s.yaml -o s.yaml", OK, NULL,
     "{ $B trace s.yaml -o s.yaml; }; s=$?; { grep -q duration s.yaml; } "
     ">/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing 's.yaml' would replace the input 's.yaml'; "
     "choose another file with -o",
     ANYONE},
    {"trace -o a hard link to the scenario", OK, "ln s.yaml h.yaml",
     "{ $B trace s.yaml -o h.yaml; }; s=$?; { grep -q duration s.yaml; } "
     ">/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing 'h.yaml' would replace the input 's.yaml'; "
     "choose another file with -o",
     ANYONE},
    {"trace -o the trace being replayed",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: trace, file: t.csv }\n  classes: [ { name: one, phases: [ {cpu: "
     "1ms} ] } ]\nsystems: [ { name: s, model: event-loop } ]\n",
     "printf 'time_s,class,demand_1_s\\n0.01,one,0.001\\n' > t.csv",
     "{ $B trace s.yaml -o t.csv; }; s=$?; { test $(wc -l < t.csv) = 2; } "
     ">/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing 't.csv' would replace the input '$D/t.csv'; "
     "choose another file with -o",
     ANYONE},
    {"run -o over a samples file the scenario reads",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ "
     "{cpu: { dist: empirical, file: results.csv } } ] } ]\nsystems: [ { name: "
     "s, model: event-loop } ]\n",
     "printf '0.001\\n0.002\\n0.003\\n' > results.csv",
     "{ $B run s.yaml -q -o .; }; s=$?; { test $(wc -l < results.csv) = 3; } "
     ">/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing './results.csv' would replace the input "
     "'$D/results.csv'; choose another output folder with -o",
     ANYONE},
    {"sweep -o over a samples file the scenario reads",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ "
     "{cpu: { dist: empirical, file: results.csv } } ] } ]\nsystems: [ { name: "
     "s, model: event-loop } ]\n",
     "printf '0.001\\n0.002\\n0.003\\n' > results.csv",
     "{ $B sweep s.yaml --param duration=100ms,200ms -q -o .; }; s=$?; { test "
     "$(wc -l < results.csv) = 3; } "
     ">/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing './results.csv' would replace the input "
     "'$D/results.csv'; choose another output folder with -o",
     ANYONE},
    {"trace -o a samples file the scenario reads",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ "
     "{cpu: { dist: empirical, file: results.csv } } ] } ]\nsystems: [ { name: "
     "s, model: event-loop } ]\n",
     "printf '0.001\\n0.002\\n0.003\\n' > results.csv",
     "{ $B trace s.yaml -o results.csv; }; s=$?; { test $(wc -l < results.csv) "
     "= 3; } "
     ">/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing 'results.csv' would replace the input "
     "'$D/results.csv'; choose another file with -o",
     ANYONE},
    {"fit -o a samples file the scenario reads",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ "
     "{cpu: "
     "{ dist: empirical, file: results.csv } } ] } ]\nsystems: [ { name: s, "
     "model: event-loop, request_overhead: { fit: [10us, 1ms] } } ]\n",
     "printf '0.001\\n0.002\\n0.003\\n' > results.csv && printf "
     "'offered_rps,latency_s_mean\\n20,0.003\\n40,0.003\\n' > m.csv",
     "{ $B fit s.yaml m.csv -q -o results.csv; }; s=$?; { test $(wc -l < "
     "results.csv) = 3; } >/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: writing 'results.csv' would replace the input "
     "'$D/results.csv'; choose another file with -o",
     ANYONE},
    {"merge -o one of its inputs", OK, NULL,
     "{ $B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && $B merge res -o res; }; s=$?; { test -f "
     "res/results.csv; } >/dev/null 2>&1 || s=99; exit $s",
     2,
     "concsim: error: the output folder 'res' is the input 'res': merge into "
     "another folder",
     ANYONE},
    {"run: the last file cannot be written (summary.txt is a folder)", OK,
     "mkdir -p res/summary.txt",
     "{ $B run s.yaml -q -o res; }; s=$?; { test ! -e res/results.csv && test "
     "! -e res/results.json && test ! -e res/scenario.yaml && ! ls -A res | "
     "grep -q tmp; } >/dev/null 2>&1 || s=99; exit $s",
     1, "concsim: error: cannot write 'res/summary.txt': Is a directory",
     ANYONE},
    {"run: scenario.yaml is a folder", OK, "mkdir -p res/scenario.yaml",
     "{ $B run s.yaml -q -o res; }; s=$?; { test ! -e res/results.csv && test "
     "! -e res/summary.txt && ! ls -A res | grep -q tmp; } >/dev/null 2>&1 || "
     "s=99; exit $s",
     1, "concsim: error: cannot write 'res/scenario.yaml': Is a directory",
     ANYONE},
    {"run -o x/y/z that fails removes the folders it made", OK, NULL,
     "{ (ulimit -f 1; exec $B run s.yaml -q -o x/y/z); }; s=$?; { test ! -e x; "
     "} >/dev/null 2>&1 || s=99; exit $s",
     1, "concsim: error: cannot write 'x/y/z/results.json': File too large",
     ANYONE},
    {"run -o x/y/z that fails keeps the folders that were there", OK, "mkdir x",
     "{ (ulimit -f 1; exec $B run s.yaml -q -o x/y/z); }; s=$?; { test -d x && "
     "test ! -e x/y; } >/dev/null 2>&1 || s=99; exit $s",
     1, "concsim: error: cannot write 'x/y/z/results.json': File too large",
     ANYONE},
    {"sweep -o x/y/z that fails at once removes the folders it made", OK, NULL,
     "{ (ulimit -f 1; exec $B sweep s.yaml --param duration=100ms,200ms -q -o "
     "x/y/z); }; s=$?; { test ! -e x; } >/dev/null 2>&1 || s=99; exit $s",
     1, "concsim: error: cannot write 'x/y/z/scenario.yaml': File too large",
     ANYONE},
    {"merge -o x/y/z that fails removes the folders it made", OK, NULL,
     "{ $B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1; (ulimit -f 1; exec $B merge res -q -o x/y/z); }; s=$?; "
     "{ test ! -e x; } >/dev/null 2>&1 || s=99; exit $s",
     1, "concsim: error: cannot write 'x/y/z/scenario.yaml': File too large",
     ANYONE},
    {"run into a folder another concsim holds", OK, NULL,
     "{ mkdir res && (flock res sleep 3 &) && sleep 0.5 && $B run s.yaml -q -o "
     "res; }; s=$?; { test ! -e res/results.csv; } >/dev/null 2>&1 || s=99; "
     "exit $s",
     1,
     "concsim: error: 'res' is being written by another concsim (run, sweep or "
     "merge); wait for it to finish or choose another folder",
     ANYONE},
    {"sweep into a folder another concsim holds", OK, NULL,
     "{ mkdir res && (flock res sleep 3 &) && sleep 0.5 && $B sweep s.yaml "
     "--param duration=100ms,200ms -q -o res; }; s=$?; { test ! -e "
     "res/results.csv; } >/dev/null 2>&1 || s=99; exit $s",
     1,
     "concsim: error: 'res' is being written by another concsim (run, sweep or "
     "merge); wait for it to finish or choose another folder",
     ANYONE},
    {"merge into a folder another concsim holds", OK, NULL,
     "{ $B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && mkdir m && (flock m sleep 3 &) && sleep 0.5 && $B "
     "merge res -q -o m; }; s=$?; { test ! -e m/results.csv; } >/dev/null 2>&1 "
     "|| s=99; exit $s",
     1,
     "concsim: error: 'm' is being written by another concsim (run, sweep or "
     "merge); wait for it to finish or choose another folder",
     ANYONE},
    {"--resume with a row whose scenario_hash was changed", OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && sed -i '2s/,[0-9a-f]\\{16\\},/,0123456789abcdef,/' "
     "res/results.csv && $B sweep s.yaml --param "
     "workload.arrivals.rate=50/s,60/s -q -o res --resume",
     2,
     "concsim: error: 'res/results.csv' row 2 belongs to another scenario or "
     "grid (scenario_hash '0123456789abcdef', this sweep's scenario.yaml has "
     "'08fa5fd663ad4f75')",
     ANYONE},
    {"--resume with a results.csv copied from another sweep", OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && mv res r1 && $B sweep s.yaml --param "
     "workload.arrivals.rate=50/s,60/s --seed 9 -q -o res >/dev/null 2>&1 && "
     "cp r1/results.csv res/ && $B sweep s.yaml --param "
     "workload.arrivals.rate=50/s,60/s --seed 9 -q -o res --resume",
     2,
     "concsim: error: 'res/results.csv' row 2 belongs to another scenario or "
     "grid (scenario_hash '08fa5fd663ad4f75', this sweep's scenario.yaml has "
     "'683d5926c104c1ed')",
     ANYONE},
    {"merge of a shard whose rows carry another hash", OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && sed -i '2s/,[0-9a-f]\\{16\\},/,0123456789abcdef,/' "
     "res/results.csv && $B merge res -q -o out",
     2,
     "concsim: error: 'res/results.csv' row 2 belongs to another scenario or "
     "grid (scenario_hash '0123456789abcdef', this sweep's scenario.yaml has "
     "'08fa5fd663ad4f75')",
     ANYONE},
    {"merge: a scenario.yaml declaring a 10^8-point grid in a few lines", NULL,
     "mkdir g && printf 'name: g\\nsystems: [ {name: s} ]\\nv: &v "
     "[1,2,3,4,5,6,7,8,9,10]\\nsweep:\\n  a: *v\\n  b: *v\\n  c: *v\\n  d: "
     "*v\\n  e: *v\\n  f: *v\\n  g: *v\\n  h: *v\\n' > g/scenario.yaml && "
     "printf 'a\\n' > g/results.csv",
     "$B merge g -o out", 2,
     "g/scenario.yaml:10:3: error: sweep 'f': the grid would have more than "
     "100000 points",
     ANYONE},
    {"a FIFO as the scenario", NULL, "mkfifo s.yaml", NULL, 2,
     "concsim: error: cannot read 's.yaml': not a regular file (a pipe, a "
     "device or a socket)",
     ANYONE},
    {"/dev/zero as the scenario", NULL, NULL, "$B run /dev/zero -o out", 2,
     "concsim: error: cannot read '/dev/zero': not a regular file (a pipe, a "
     "device or a socket)",
     ANYONE},
    {"a FIFO as results.csv under --resume", OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && rm res/results.csv && mkfifo res/results.csv && $B "
     "sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res --resume",
     2,
     "concsim: error: cannot read 'res/results.csv': not a regular file (a "
     "pipe, a device or a socket)",
     ANYONE},
    {"a FIFO as a shard's scenario.yaml", OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && rm res/scenario.yaml && mkfifo res/scenario.yaml && "
     "$B merge res -o out",
     2,
     "concsim: error: cannot read 'res/scenario.yaml': not a regular file (a "
     "pipe, a device or a socket)",
     ANYONE},
    {"a FIFO as the trace to replay",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: trace, file: t.csv }\n  classes: [ { name: one, phases: [ {cpu: "
     "1ms} ] } ]\nsystems: [ { name: s, model: event-loop } ]\n",
     "mkfifo t.csv", NULL, 2,
     "s.yaml:5:37: error: 'file': cannot read '$D/t.csv': not a regular file",
     ANYONE},
    {"a FIFO as a run's timeseries.csv for plot", OK, NULL,
     "$B run s.yaml -q -o res >/dev/null 2>&1 && mkfifo res/timeseries.csv && "
     "$B plot res -o out",
     2,
     "concsim: error: cannot read 'res/timeseries.csv': not a regular file (a "
     "pipe, a device or a socket)",
     ANYONE},
    {"a FIFO as a sweep's results.csv for plot", OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && rm res/results.csv && mkfifo res/results.csv && $B "
     "plot res -o out",
     2,
     "concsim: error: cannot read 'res/results.csv': not a regular file (a "
     "pipe, a device or a socket)",
     ANYONE},
    {"restart_time: 0s on the event loop",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ "
     "{cpu: 1ms} ] } ]\nsystems:\n  - { name: s, model: event-loop, memory: "
     "1B, restart_time: 0s }\n",
     NULL, NULL, 2,
     "s.yaml:8:61: error: 'restart_time': must be between 1ms and 3600s, got "
     "'0s'",
     ANYONE},
    {"restart_time: 0s on async",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ "
     "{cpu: 1ms} ] } ]\nsystems:\n  - { name: s, model: async, memory: 1B, "
     "restart_time: 0s }\n",
     NULL, NULL, 2,
     "s.yaml:8:56: error: 'restart_time': must be between 1ms and 3600s, got "
     "'0s'",
     ANYONE},
    {"a closed loop with timeout 1ns and 100 retries",
     "duration: 60s\nworkload:\n  closed: { users: 100, think: 1ms }\n  "
     "client: { timeout: 1ns, retries: { max: 100, backoff: 0s } }\n  classes: "
     "[ { name: one, phases: [ {cpu: 1ms} ] } ]\nsystems: [ { name: s, model: "
     "worker-pool, workers: 2 } ]\n",
     NULL, NULL, 2,
     "s.yaml:3:11: error: too much work: about 3.28e+09 requests to simulate "
     "(6.56e+08 per replication x 5 replications x 1 systems); the limit is "
     "2e+09, about an hour of computing: shorten 'duration', lower "
     "'replications' or the number of users",
     ANYONE},
    {"capacity --hi beyond a parameter's range", OK, NULL,
     "$B capacity s.yaml --slo 'p99<1s' --param systems.s.cores --hi 100000", 2,
     "concsim: error: --hi 100000: 'cores': must be between 1 and 4096, got "
     "'100000'",
     ANYONE},
    {"capacity --lo below a parameter's range", OK, NULL,
     "$B capacity s.yaml --slo 'p99<1s' --param systems.s.cores --lo 0 --hi 4",
     2, "concsim: error: --lo 0: 'cores': must be between 1 and 4096, got '0'",
     ANYONE},
    {"capacity --hi 1e30/s", OK, NULL,
     "$B capacity s.yaml --slo 'p99<1s' --hi 1e30/s", 2,
     "concsim: error: --hi 1e+30/s: too many requests per replication: 1e+30/s "
     "x 100ms (warmup + duration) = 1e+29; the limit is 2e+09",
     ANYONE},
    {"capacity --hi whose one try costs too much", OK, NULL,
     "$B capacity s.yaml --slo 'p99<1s' --set duration=1000s --hi 1e6/s", 2,
     "concsim: error: --hi 1000000/s: one try there simulates about 1e+09 "
     "requests and a search makes about 12 tries; the limit is 2e+09 requests "
     "in all: lower --hi or shorten 'duration'",
     ANYONE},
    {"--seed 18446744073709551615 is taken, as in the file", OK, NULL,
     "$B check s.yaml --seed 18446744073709551615 >/dev/null", 0, "", ANYONE},
    {"--seed 18446744073709551616", OK, NULL,
     "$B run s.yaml --seed 18446744073709551616 -o out", 2,
     "concsim: error: '--seed' expects a whole number from 0 to "
     "18446744073709551615, got '18446744073709551616'",
     ANYONE},
    {"seed: 18446744073709551616 in the file",
     "seed: 18446744073709551616\nduration: 100ms\nwarmup: 0s\nreplications: "
     "1\nworkload:\n  arrivals: { process: poisson, rate: 50/s }\n  classes: [ "
     "{ name: one, phases: [ {cpu: 1ms} ] } ]\nsystems: [ { name: s, model: "
     "event-loop } ]\n",
     NULL, NULL, 2,
     "s.yaml:1:7: error: 'seed': expected a whole number from 0 to "
     "18446744073709551615, got '18446744073709551616'",
     ANYONE},
    {"--seed -1", OK, NULL, "$B run s.yaml --seed -1 -o out", 2,
     "concsim: error: '--seed' expects a whole number from 0 to "
     "18446744073709551615, got '-1'",
     ANYONE},
    {"a sweep step of 1e-300", OK, NULL,
     "$B sweep s.yaml --param 'duration=1s:2s:1e-300s' -o out", 2,
     "concsim: error: --param duration: 1e+300 values; at most 100000", ANYONE},
    {"a sweep section with a step of 1e-300",
     "sweep:\n  duration: { from: 1s, to: 2s, step: 1e-300s }\nduration: "
     "100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { process: "
     "poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ {cpu: 1ms} ] "
     "} ]\nsystems: [ { name: s, model: event-loop } ]\n",
     NULL, NULL, 2,
     "s.yaml:2:13: error: sweep 'duration': 1e+300 points; at most 100000 per "
     "parameter",
     ANYONE},
    {"a YAML merge key is supported",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ "
     "{cpu: 1ms} ] } ]\nsystems:\n  - &b { name: s, model: worker-pool, "
     "workers: 2 }\n  - { <<: *b, name: t }\n",
     NULL,
     "{ $B check s.yaml > o.txt; }; s=$?; { grep -q '^  t: model worker-pool' "
     "o.txt; } >/dev/null 2>&1 || s=99; exit $s",
     0, "", ANYONE},
    {"a YAML merge key with a scalar",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s }\n  classes: [ { name: one, phases: [ "
     "{cpu: 1ms} ] } ]\nsystems:\n  - { <<: 3, name: s, model: async }\n",
     NULL, NULL, 2,
     "s.yaml:8:7: error: '<<' (a merge key) expects a map or a list of maps, "
     "e.g. <<: *base",
     ANYONE},
    {"a schedule step after the end of the run",
     "duration: 100ms\nwarmup: 0s\nreplications: 1\nworkload:\n  arrivals: { "
     "process: poisson, rate: 50/s, schedule: [ { at: 10s, rate: 1e9/s } ] }\n "
     " classes: [ { name: one, phases: [ {cpu: 1ms} ] } ]\nsystems: [ { name: "
     "s, model: event-loop } ]\n",
     NULL,
     "{ $B run s.yaml -q -o res >/dev/null; }; s=$?; { test -f "
     "res/results.csv; } >/dev/null 2>&1 || s=99; exit $s",
     0, "", ANYONE},
    /* ------------------------ issue 18, second round: report reader -- */
    {"report of a sweep with no swept parameter", NULL,
     "mkdir res out && printf '{\"parameters\": [], \"rows\": []}' > "
     "res/results.json",
     "$B report res -o out/r.html", 2,
     "concsim: error: 'res/results.json': a sweep without a swept parameter",
     ANYONE},
    {"report of a run whose timeseries.csv has only its header", OK, NULL,
     "$B run s.yaml -q -o res >/dev/null && printf "
     "'time_s,system,offered_rps,throughput_rps,goodput_rps,latency_s_p99\\n'"
     " > res/timeseries.csv && $B report res -q -o r.html && test -s r.html",
     0, "", ANYONE},
    /* -------------------------- merge and sweep publish all or none -- */
    {"merge whose results.json cannot be written publishes nothing", OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && mkdir -p m/results.json && { $B merge res -q -o m; "
     "s=$?; } && { test ! -e m/scenario.yaml && test ! -e m/results.csv; } "
     "|| exit 99; exit $s",
     1, "concsim: error: cannot write 'm/results.json': Is a directory",
     ANYONE},
    {"merge over an earlier merge that fails keeps the earlier files", OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && mkdir -p m/results.json && echo old > "
     "m/scenario.yaml && echo old > m/results.csv && { $B merge res -q -o m; "
     "s=$?; } && { grep -qx old m/scenario.yaml && grep -qx old "
     "m/results.csv; } || exit 99; exit $s",
     1, "concsim: error: cannot write 'm/results.json': Is a directory",
     ANYONE},
    {"a sweep whose results.json is a folder fails before it starts", OK, NULL,
     "mkdir -p res/results.json && { $B sweep s.yaml --param "
     "workload.arrivals.rate=50/s,60/s -q -o res; s=$?; } && { test ! -e "
     "res/results.csv && test ! -e res/scenario.yaml; } || exit 99; exit $s",
     1, "concsim: error: cannot remove 'res/results.json': Is a directory",
     ANYONE},
    {"a sweep killed in a folder of an earlier sweep leaves none of its "
     "results beside the new scenario.yaml",
     OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && { $B sweep s.yaml --param "
     "workload.arrivals.rate=500/s,600/s --set duration=2000s -q -j 1 -o res "
     ">/dev/null 2>&1 & p=$!; i=0; until grep -q 600/s res/scenario.yaml "
     "2>/dev/null || [ $i -gt 300 ]; do sleep 0.1; i=$((i+1)); done; kill "
     "-KILL $p; wait $p; } 2>/dev/null; grep -q 600/s res/scenario.yaml && { "
     "test ! -e "
     "res/results.json || grep -q 600/s res/results.json; }",
     0, "", ANYONE},
    /* ------------------------------------------- fit -o over an input -- */
    {"fit -o a hard link to the scenario", OK,
     "printf 'offered_rps,latency_s_mean\\n100,0.002\\n' > m.csv && ln s.yaml "
     "l.yaml",
     "$B fit s.yaml m.csv -o l.yaml", 2,
     "concsim: error: -o 'l.yaml' is the scenario itself; write the fitted "
     "scenario to another file",
     ANYONE},
    {"fit -o a symlink to the measured file", OK,
     "printf 'offered_rps,latency_s_mean\\n100,0.002\\n' > m.csv && ln -s "
     "m.csv o.csv",
     "$B fit s.yaml m.csv -o o.csv && exit 9; s=$?; grep -q offered_rps m.csv "
     "&& exit $s",
     2,
     "concsim: error: -o 'o.csv' is a measured file; write the fitted "
     "scenario to another file",
     ANYONE},
    /* ------------ names and paths reach the terminal sanitised (ESC) -- */
    {"plot: a folder named with an escape sequence", OK, NULL,
     "d=$(printf 'r\\033]0;X\\007') && $B run s.yaml -q -o \"$d\" >/dev/null "
     "&& printf 'time_s\\n1\\n' > \"$d/timeseries.csv\" && $B plot \"$d\" -o "
     "out",
     2, "r?]0;X?/timeseries.csv:1:1: error: no column 'system'", ANYONE},
    {"report: a folder named with an escape sequence", OK, NULL,
     "d=$(printf 'r\\033]0;X\\007') && $B run s.yaml -q -o \"$d\" >/dev/null "
     "&& printf 'time_s\\n1\\n' > \"$d/timeseries.csv\" && $B report \"$d\" "
     "-o out/r.html",
     2, "r?]0;X?/timeseries.csv:1:1: error: no column 'system'", ANYONE},
    {"merge: a shard named with an escape sequence", OK, NULL,
     "d=$(printf 'r\\033x') && $B sweep s.yaml --param "
     "workload.arrivals.rate=50/s,60/s -q -o \"$d\" >/dev/null 2>&1 && printf "
     "'\"\\n' >> \"$d/results.csv\" && $B merge \"$d\" -o out",
     2, "r?x/results.csv:4:1: error: unterminated quote", ANYONE},
    {"merge: an output folder named with an escape sequence", OK, NULL,
     "$B sweep s.yaml --param workload.arrivals.rate=50/s,60/s -q -o res "
     ">/dev/null 2>&1 && $B merge res -o \"$(printf 'm\\033x')\"",
     0, "concsim: merged 1 folders: 2 points, 2 rows in m?x", ANYONE},
    {"fit: a measured file named with an escape sequence", NULL,
     "printf 'duration: 100ms\\nwarmup: 0s\\nreplications: 1\\nworkload:\\n  "
     "arrivals: { process: poisson, rate: 50/s }\\n  classes: [ { name: one, "
     "phases: [ {cpu: {dist: exponential, mean: fit}} ] } ]\\nsystems: [ { "
     "name: s, model: event-loop } ]\\n' > s.yaml",
     "$B fit s.yaml \"$(printf 'n\\033x.csv')\"", 2,
     "concsim: error: cannot read 'n?x.csv': no such file", ANYONE},
    {"a scenario too large, named with an escape sequence", NULL,
     "head -c 17000000 /dev/zero | tr '\\000' a > \"$(printf 'b\\033.yaml')\"",
     "$B run \"$(printf 'b\\033.yaml')\" -o out", 2,
     "b?.yaml:1:1: error: file too large (more than 16 MiB); a scenario is a "
     "small text file",
     ANYONE},
    {"--set with a YAML comment", OK, NULL,
     "$B run s.yaml --set 'duration=1s # comment' -o out", 2,
     "--set duration:1:4: error: '#' starts a YAML comment, which a --set "
     "value cannot hold; remove it, or quote the value (\"a # b\")",
     ANYONE},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Criterion may run a test in a re-executed process, where pointers into
 * this one mean nothing: the parameter is the index of the case. */
ParameterizedTestParameters(bad, input)
{
	size_t *idx = cr_malloc(NCASES * sizeof(*idx));
	for (size_t i = 0; i < NCASES; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, NCASES);
}

/* "$D" in s replaced by dir, into buf. */
static void expand(char *buf, size_t len, const char *s, const char *dir)
{
	size_t n = 0;
	for (; *s && n + 1 < len; s++) {
		if (s[0] == '$' && s[1] == 'D') {
			n += (size_t)snprintf(buf + n, len - n, "%s", dir);
			s++;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n < len ? n : len - 1] = '\0';
}

/* Names in dir that a failed run must not leave: results and temporaries
 * (anything, really: the folder was empty). */
static void expect_nothing_in(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return; /* absent: fine */
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			cr_expect_fail("%s: left '%s' in the output folder",
				       name, e->d_name);
	closedir(d);
}

ParameterizedTest(size_t *i, bad, input, .timeout = 120)
{
	const struct bad *c = &cases[*i];
	char dir[] = "/tmp/concsim-bad-XXXXXX", path[512], cmd[8192];
	const char *bin = tl_bin();
	bool root = geteuid() == 0;
	if ((c->who == ROOT_ONLY && !root) || (c->who == NOT_ROOT && root))
		cr_skip_test("%s: %s", c->name,
			     root ? "root reads any file" : "needs root");
	cr_assert(mkdtemp(dir));
	if (c->yaml) {
		snprintf(path, sizeof path, "%s/s.yaml", dir);
		tl_put(path, c->yaml);
	}
	if (c->setup) {
		snprintf(cmd, sizeof cmd, "cd '%s' && { %s; }", dir, c->setup);
		cr_assert_eq(system(cmd), 0, "%s: setup failed", c->name);
	}
	snprintf(path, sizeof path, "%s/cmd.sh", dir);
	tl_put(path, c->cmd ? c->cmd : "$B run s.yaml -o out");
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && B='%s' timeout 60 sh cmd.sh 2>stderr.txt", dir,
		 bin);
	int status = tl_system(cmd);
	cr_expect_eq(status, c->status, "%s: exit status %d, expected %d%s",
		     c->name, status, c->status,
		     status == 124 ? " (timed out)" : "");

	char line[4096] = "", want[4096];
	snprintf(path, sizeof path, "%s/stderr.txt", dir);
	FILE *f = fopen(path, "r");
	cr_assert(f);
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	expand(want, sizeof want, c->first, dir);
	cr_expect_str_eq(line, want, "%s: first line\n  got  %s\n  want %s",
			 c->name, line, want);
	snprintf(path, sizeof path, "%s/out", dir);
	expect_nothing_in(path, c->name);

	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
	if (system(cmd)) {
	}
}

/* Valid inputs next to the bad ones, so that a case cannot fail for a
 * reason other than the one it names. */
Test(bad, the_base_scenarios_are_valid, .timeout = 120)
{
	static const char *const ok[] = {OK, TRACE_YAML};
	char dir[] = "/tmp/concsim-bad-XXXXXX", path[512], cmd[4096];
	const char *bin = tl_bin();
	cr_assert(mkdtemp(dir));
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && printf '" HDR
		 "0.1,one,0.001,\\n0.2,two,0.001,0.002\\n' > t.csv",
		 dir);
	cr_assert_eq(system(cmd), 0);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/s.yaml", dir);
		tl_put(path, ok[i]);
		snprintf(cmd, sizeof cmd,
			 "cd '%s' && timeout 60 '%s' run s.yaml -q --format "
			 "csv -o out >/dev/null && test -s out/results.csv",
			 dir, bin);
		cr_expect_eq(system(cmd), 0, "base scenario %zu fails", i);
	}
	tl_rm(dir);
}

/* Runs sh script `script` in a fresh folder holding s.yaml (OK) with $B
 * the binary; returns the script's exit status and the folder in dir. */
static int run_script(char *dir, const char *script)
{
	char path[512], cmd[4096];
	const char *bin = tl_bin();
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s.yaml", dir);
	tl_put(path, OK);
	snprintf(path, sizeof path, "%s/cmd.sh", dir);
	tl_put(path, script);
	snprintf(cmd, sizeof cmd, "cd '%s' && B='%s' timeout 120 sh cmd.sh",
		 dir, bin);
	return tl_system(cmd);
}

Test(interrupt, sigint_while_simulating_exits_130_and_leaves_nothing,
     .timeout = 150)
{
	char dir[] = "/tmp/concsim-bad-XXXXXX";
	/* about 7e7 requests: runs long enough to be interrupted */
	int rc = run_script(
	    dir, "\"$B\" run s.yaml -q --format csv --set duration=3600s "
		 "--set workload.arrivals.rate=20000/s -o out >/dev/null & "
		 "p=$!\n"
		 "while [ ! -d out ]; do sleep 0.01; done; sleep 0.3\n"
		 "kill -INT $p; wait $p; exit $?\n");
	cr_expect_eq(rc, 130, "exit status %d", rc);
	char out[600];
	snprintf(out, sizeof out, "%s/out", dir);
	struct stat st;
	cr_expect(stat(out, &st) != 0, "the output folder run made is gone");
	tl_rm(dir);
}

Test(interrupt, sigint_while_writing_a_trace_leaves_nothing, .timeout = 150)
{
	char dir[] = "/tmp/concsim-bad-XXXXXX";
	int rc = run_script(
	    dir, "mkdir out; \"$B\" trace s.yaml --set duration=1000000s "
		 "-o out/t.csv & p=$!\n"
		 "while ! ls out/*.tmp.* >/dev/null 2>&1; do sleep 0.01; "
		 "done\n"
		 "kill -INT $p; wait $p; exit $?\n");
	cr_expect_eq(rc, 130, "exit status %d", rc);
	char out[600];
	snprintf(out, sizeof out, "%s/out", dir);
	expect_nothing_in(out, "interrupted trace");
	tl_rm(dir);
}

/* SIGHUP (the terminal closed) and SIGQUIT clean up like SIGINT: the
 * folders run made for -o x/y/out go, x included. */
Test(interrupt, sighup_and_sigquit_remove_the_folders_run_made, .timeout = 150)
{
	static const char *const sig[] = {"HUP", "QUIT"};
	for (size_t i = 0; i < 2; i++) {
		char dir[] = "/tmp/concsim-bad-XXXXXX", script[600], x[600];
		snprintf(script, sizeof script,
			 "\"$B\" run s.yaml -q --format csv --set "
			 "duration=3600s --set workload.arrivals.rate=20000/s "
			 "-o x/y/out >/dev/null & p=$!\n"
			 "while [ ! -d x/y/out ]; do sleep 0.01; done; "
			 "sleep 0.3\nkill -%s $p; wait $p; exit $?\n",
			 sig[i]);
		int rc = run_script(dir, script);
		cr_expect_eq(rc, 130, "SIG%s: exit status %d", sig[i], rc);
		struct stat st;
		snprintf(x, sizeof x, "%s/x", dir);
		cr_expect(stat(x, &st) != 0, "SIG%s: x/ is left", sig[i]);
		tl_rm(dir);
	}
}

Test(interrupt, sigterm_while_writing_leaves_all_files_or_none, .timeout = 150)
{
	char dir[] = "/tmp/concsim-bad-XXXXXX";
	/* 480000 time-series rows take a while to write: stop it then */
	int rc = run_script(
	    dir, "\"$B\" run s.yaml -q --format csv --set duration=60s "
		 "--replications 8 --timeseries 1ms -o out >/dev/null & p=$!\n"
		 "while kill -0 $p 2>/dev/null && ! ls out/*.tmp.* >/dev/null "
		 "2>&1; do sleep 0.002; done\n"
		 "kill -TERM $p 2>/dev/null; wait $p; exit $?\n");
	char out[600];
	snprintf(out, sizeof out, "%s/out", dir);
	if (rc == 0) { /* finished before the signal: every file, whole */
		static const char *const files[] = {
		    "results.json", "results.csv", "summary.txt",
		    "scenario.yaml", "timeseries.csv"};
		for (size_t i = 0; i < 5; i++) {
			char path[700];
			struct stat st;
			snprintf(path, sizeof path, "%s/%s", out, files[i]);
			cr_expect(stat(path, &st) == 0 && st.st_size > 0,
				  "%s missing", files[i]);
		}
	} else {
		cr_expect_eq(rc, 130, "exit status %d", rc);
		expect_nothing_in(out, "interrupted while writing");
	}
	char cmd[700];
	snprintf(cmd, sizeof cmd, "ls '%s'/*.tmp.* >/dev/null 2>&1", out);
	cr_expect_neq(system(cmd), 0, "temporary files left");
	tl_rm(dir);
}

/* The cases a JSON Schema can see: a scenario alone (no setup, the plain
 * command line) whose problem is its shape, by the loader's message. A
 * range of a duration, rate or size is not among them (a pattern cannot
 * bound a value), nor are rules across keys. */
static bool schema_level(const struct bad *c)
{
	static const char *const shape[] = {
	    "unknown key",
	    "expected a duration with a unit",
	    "expected a rate with a unit",
	    "expected a size with a unit",
	    "expected a whole number",
	    "expected a number",
	    "expected true or false",
	    "expected one of",
	    "expected a map",
	    "expected a list",
	    "expected a string",
	    "missing key",
	    "that is not negative",
	    "unknown model",
	    "unknown phase kind",
	    "expected a distribution",
	};
	if (!c->yaml || c->setup || c->cmd || c->status != 2)
		return false;
	for (size_t i = 0; i < sizeof shape / sizeof *shape; i++)
		if (strstr(c->first, shape[i]))
			return true;
	return false;
}

/* `concsim schema` refuses every schema-level case of the catalogue
 * (python3-jsonschema; tests/schema_check.py). */
Test(bad, schema_rejects_the_shape_errors_of_the_catalogue, .timeout = 120)
{
	char dir[] = "/tmp/concsim-schema-XXXXXX", path[512], cmd[2048];
	cr_assert(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' schema -o schema.json", dir,
		 tl_bin());
	cr_assert_eq(system(cmd), 0);
	size_t n = 0;
	for (size_t i = 0; i < NCASES; i++) {
		if (!schema_level(&cases[i]))
			continue;
		snprintf(path, sizeof path, "%s/case%03zu.yaml", dir, i);
		tl_put(path, cases[i].yaml);
		n++;
	}
	cr_assert_gt(n, 10, "only %zu schema-level cases", n);
	char *out;
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && python3 '%s/tests/schema_check.py' schema.json "
		 "case*.yaml",
		 dir, tl_src());
	cr_assert_eq(tl_capture(cmd, &out), 0, "%s", out);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		size_t i = (size_t)atoi(line + strlen("valid case"));
		cr_expect(strncmp(line, "valid ", 6),
			  "the schema accepts case '%s' (%s)", cases[i].name,
			  cases[i].first);
	}
	free(out);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd)) {
	}
}
