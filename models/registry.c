/*
 * registry.c - every model, by name (registry.h).
 *
 * To add a model: write models/<name>.c exporting one
 * `const struct sim_model_ops sim_model_<name>`, declare it below and add it
 * to `sim_models[]`. The first entry is the default; names must be unique
 * (sim_model_find asserts it, as SQLite's VFS registry rejects a duplicate).
 */
#include "models/registry.h"

#include <assert.h>
#include <string.h>

extern const struct sim_model_ops sim_model_event_loop;
extern const struct sim_model_ops sim_model_replicas;
extern const struct sim_model_ops sim_model_async;
extern const struct sim_model_ops sim_model_worker_pool;
extern const struct sim_model_ops sim_model_server;

const struct sim_model_ops *const sim_models[] = {
    &sim_model_event_loop, &sim_model_async,  &sim_model_worker_pool,
    &sim_model_replicas,   &sim_model_server, NULL,
};

bool sim_models_unique(const struct sim_model_ops *const *models)
{
	for (size_t i = 0; models[i]; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(models[i]->name, models[j]->name) == 0)
				return false;
	return true;
}

const struct sim_model_ops *sim_model_find(const char *name)
{
	/* a duplicate name would make the later model unreachable */
	assert(sim_models_unique(sim_models));
	for (size_t i = 0; sim_models[i]; i++)
		if (strcmp(sim_models[i]->name, name) == 0)
			return sim_models[i];
	return NULL;
}
