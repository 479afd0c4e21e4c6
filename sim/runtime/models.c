/*
 * models.c - model instances (a model's state and its ops, for the client
 * layer and for models composed of others) and the host a model uses.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/host.h"
#include "runtime/model.h"

size_t sim_instance_size(const struct sim_model_ops *ops)
{
	return (ops->state_size + 63) & ~(size_t)63;
}

int sim_instance_init(struct sim_instance *in, const struct sim_ctx *ctx,
		      void *state)
{
	in->ops = ctx->sys->model;
	in->state = state;
	int err = in->ops->init(in->state, ctx);
	if (err < 0) {
		in->ops->release(in->state);
		in->state = NULL;
	}
	return err;
}

int sim_instance_new(struct sim_instance *in, const struct sim_ctx *ctx)
{
	/* on a cache line of its own, zeroed: its lines are the ones the
	 * model's layout puts together (sim_model_prefetch) */
	size_t size = sim_instance_size(ctx->sys->model);
	void *state = aligned_alloc(64, size);
	if (!state)
		return SIM_ENOMEM;
	memset(state, 0, size);
	int err = sim_instance_init(in, ctx, state);
	if (err < 0)
		free(state);
	return err;
}

void sim_instance_release(struct sim_instance *in)
{
	if (!in->state)
		return;
	in->ops->release(in->state);
	in->state = NULL;
}

void sim_instance_free(struct sim_instance *in)
{
	void *state = in->state;
	sim_instance_release(in);
	free(state);
}

struct sim_host *sim_ctx_host(const struct sim_ctx *ctx, struct sim_host *own)
{
	if (ctx->host)
		return ctx->host;
	const struct sim_host_cfg *cfg = &ctx->sys->host;
	if (sim_host_init(own, ctx->s, cfg) < 0)
		return NULL;
	/* the stalls' stream from the model's own: every replica's apart */
	if (cfg->stall_rate > 0 &&
	    sim_host_set_stalls(own, cfg->stall_rate, &cfg->stall_time,
				ctx->rng->key) < 0) {
		sim_host_release(own);
		return NULL;
	}
	return own;
}

void sim_ctx_host_release(const struct sim_ctx *ctx, struct sim_host *own)
{
	if (!ctx->host)
		sim_host_release(own);
}
