/*
 * models.c - model instances (a model's state and its ops, for the client
 * layer and for models composed of others) and the host a model uses.
 */
#include <stdlib.h>

#include "runtime/host.h"
#include "runtime/model.h"

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
