/* layer_internal.h - what other modules hook into the layer base (module 03, internal). */
#ifndef TT_LAYER_INTERNAL_H
#define TT_LAYER_INTERNAL_H

#include <stdatomic.h>

/* Called, when set, with each layer tt_layer_free is about to free: module 08's split step forgets
 * what it measured of that address, which the next model allocated may take. */
typedef void (*tt_layer_free_hook)(const void *layer);
extern _Atomic(tt_layer_free_hook) tt__layer_free_hook;

#endif
