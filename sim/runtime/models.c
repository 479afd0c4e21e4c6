/*
 * models.c - the model registry and model instances.
 *
 * To add a model: write models/<name>.c exporting one
 * `const struct sim_model_ops sim_model_<name>`, declare it below and add it
 * to `sim_models[]`. The first entry is the default; names must be unique
 * (sim_model_find asserts it, as SQLite's VFS registry rejects a duplicate).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/host.h"
#include "runtime/model.h"

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

int sim_instance_new(struct sim_instance *in, const struct sim_ctx *ctx)
{
	in->ops = ctx->sys->model;
	in->state = calloc(1, in->ops->state_size);
	if (!in->state)
		return SIM_ENOMEM;
	int err = in->ops->init(in->state, ctx);
	if (err < 0) {
		in->ops->release(in->state);
		free(in->state);
		in->state = NULL;
	}
	return err;
}

void sim_instance_free(struct sim_instance *in)
{
	if (!in->state)
		return;
	in->ops->release(in->state);
	free(in->state);
	in->state = NULL;
}

struct sim_host *sim_ctx_host(const struct sim_ctx *ctx, struct sim_host *own)
{
	if (ctx->host)
		return ctx->host;
	return sim_host_init(own, ctx->s, &ctx->sys->host) < 0 ? NULL : own;
}

void sim_ctx_host_release(const struct sim_ctx *ctx, struct sim_host *own)
{
	if (!ctx->host)
		sim_host_release(own);
}
