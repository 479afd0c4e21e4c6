/*
 * units.h - numbers with units: durations, rates and sizes read into SI
 * values and written back, exactly or for a message.
 */
#ifndef SIM_UNITS_H
#define SIM_UNITS_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/config.h"

/* Parsing of unit-bearing scalars, shared with the CLI. Each returns 0 and
 * the value in SI units, or SIM_EINVAL with a static reason in *why. */
int sim_parse_duration(const char *s, double *out, const char **why);
int sim_parse_rate(const char *s, double *out, const char **why);
int sim_parse_size(const char *s, double *out, const char **why);

/* Writes a double for JSON/CSV: the shortest of %.15g, %.16g, %.17g that
 * reads back exactly; "null" for non-finite values (valid JSON; the CSV
 * writers print an empty cell instead). len >= 32 holds any value. */
void sim_fmt_double(char *buf, size_t len, double v);

/* The same by its definition (snprintf and strtod at each precision),
 * slower: what tests compare sim_fmt_double with. */
void sim__fmt_double_ref(char *buf, size_t len, double v);

/* The regular expression (ECMA-262, for a JSON Schema) of the values
 * the parser accepts for a type with a unit (duration, rate, size): a
 * number that is not negative, optional spaces, one of its units. */
void sim_unit_pattern(enum sim_ptype t, char *buf, size_t size);

/* The units of such a type, separated by spaces ("ns us µs ms s m h d"). */
void sim_unit_names(enum sim_ptype t, char *buf, size_t size);

/* The loader's own (sim__): */

enum { SIM__NUM_OK, SIM__NUM_BAD, SIM__NUM_RANGE, SIM__NUM_NONFINITE };

/* Reads a decimal number at the start of s; *rest points after it.
 * Returns one of SIM__NUM_*. */
int sim__parse_number(const char *s, double *v, const char **rest);

/* Whether a key of type t takes a unit (duration, rate, size). */
bool sim__has_unit(enum sim_ptype t);

/* "expected a duration with a unit (...)" for a type with a unit. */
const char *sim__unit_expect(enum sim_ptype t);

/* sim_parse_duration, _rate or _size by t (a type with a unit). */
int sim__parse_typed(const char *s, enum sim_ptype t, double *out,
		     const char **why);

/* A number as the user would write it for a key of type t: exact and
 * short for the resolved scenario, or (human) for a message. */
void sim__fmt_typed(char *buf, size_t size, enum sim_ptype t, double v,
		    bool human);

#endif
