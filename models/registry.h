/*
 * registry.h - the models a scenario may name (registry.c): the loader
 * looks a system's `model:` up here, `concsim help models` lists them.
 */
#ifndef SIM_REGISTRY_H
#define SIM_REGISTRY_H

#include <stdbool.h>

#include "runtime/model.h"

/* The registry: every model, first one the default. NULL-terminated. */
extern const struct sim_model_ops *const sim_models[];
/* Returns whether every name in the NULL-terminated `models` is distinct.
 * sim_model_find() asserts it of sim_models[]. */
bool sim_models_unique(const struct sim_model_ops *const *models);
/* Finds a model by name, or NULL. */
const struct sim_model_ops *sim_model_find(const char *name);

#endif
