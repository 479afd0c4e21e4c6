/*
 * test_registry.c - the model registry (sim/runtime/models.c): every model
 * has a distinct name, as the registry requires, and a table with a
 * duplicate name is recognised as such.
 */
#include <criterion/criterion.h>

#include "models/registry.h"

Test(registry, every_model_has_a_distinct_name)
{
	cr_expect(sim_models_unique(sim_models));
	for (size_t i = 0; sim_models[i]; i++)
		cr_expect_eq(sim_model_find(sim_models[i]->name), sim_models[i],
			     "%s", sim_models[i]->name);
}

Test(registry, rejects_a_duplicate_name)
{
	static const struct sim_model_ops a = {.name = "a"}, b = {.name = "b"},
					  a2 = {.name = "a"};
	const struct sim_model_ops *const ok[] = {&a, &b, NULL};
	const struct sim_model_ops *const dup[] = {&a, &b, &a2, NULL};
	cr_expect(sim_models_unique(ok));
	cr_expect_not(sim_models_unique(dup));
}
