/* plan_internal.h - internal: what the engine needs from the plan reader. */
#ifndef MLSYSIM_PLAN_INTERNAL_H
#define MLSYSIM_PLAN_INTERNAL_H

#include "mlsysim/plan.h"

/* Sets every field that has a default in the plan's field tables (plan.c) to that default. */
void ms__plan_defaults(ms_plan *p);

#endif
