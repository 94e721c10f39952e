/* mlsysim.h - umbrella header of libmlsysim, the first-principles analytical simulator.
 *   registry.h  data: hardware, models, systems, grids (embedded YAML, extendable at run time)
 *   physics.h   single-node roofline, training memory, serving, queueing, compression, MCUs
 *   plan.h      YAML plan files and their JSON Schema
 *   engine.h    the one entry point: evaluate a plan into a result table (JSON/text/markdown)
 * Fleet-scale physics (parallelism, collectives, reliability, carbon) is in distributed.h. */
#ifndef MLSYSIM_MLSYSIM_H
#define MLSYSIM_MLSYSIM_H

#include "mlsysim/registry.h"
#include "mlsysim/physics.h"
#include "mlsysim/plan.h"
#include "mlsysim/engine.h"

#define MS_VERSION "0.2.0"

#endif
