/* autograd_internal.h - what activation checkpointing needs from the tape and the arena (module 06,
 * internal; not part of the user API). */
#ifndef TT_AUTOGRAD_INTERNAL_H
#define TT_AUTOGRAD_INTERNAL_H

#include "tinytorch/autograd.h"

/* The newest node on the tape (engine.c). */
extern tt_node *tt__tape_head;

/* Runs the backward of every node from the tape head down to (not including) `stop`, like
 * tt_backward does for the whole tape, and leaves the tape head where it was. */
void tt__run_tape_until(tt_node *stop);

/* Releases the arena to m but keeps y: y's values move to a new step tensor allocated at the mark
 * (no node, no gradient), which is returned. y's data may lie anywhere (after the mark or before). */
tt_tensor *tt__arena_release_keep(tt_arena_mark m, const tt_tensor *y);

#endif
