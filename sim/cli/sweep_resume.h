/*
 * sweep_resume.h - `sweep --resume`: keeping the finished points of an
 * interrupted sweep's folder, after checking it holds this very sweep.
 */
#ifndef SIM_SWEEP_RESUME_H
#define SIM_SWEEP_RESUME_H

#include <stddef.h>

#include "cli/sweep_run.h"

/* Compares DIR/scenario.yaml with `yaml` (the sweep's resolved scenario,
 * ylen bytes) and keeps the rows of DIR/results.csv that belong to this
 * shard's points, marking those points done. A folder without results is
 * a fresh start. Returns 0 or an exit status (message printed). */
int sweep_resume(struct sweep *sw, const char *yaml, size_t ylen);

#endif
