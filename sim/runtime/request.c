/*
 * request.c - the names of the request outcomes, as the writers print them
 * (one list, SIM_OUTCOME_MAP in request.h, makes the codes and the names).
 */
#include "runtime/request.h"

const char *const sim_outcome_names[SIM_OUT_N] = {
#define X(name, str) str,
    SIM_OUTCOME_MAP(X)
#undef X
};
