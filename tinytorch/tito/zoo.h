/* zoo.h - the milestone models that tito's optimization commands (quantize, profile) recognise in a
 * checkpoint, and the data sets they were trained on.
 *
 * A milestone checkpoint holds the model's tensors by name ("0.weight", ...) but not its architecture;
 * each entry below rebuilds one milestone architecture, and the first whose tensors all load (same
 * names, same shapes) is the checkpoint's model. */
#ifndef TITO_ZOO_H
#define TITO_ZOO_H

#include <stddef.h>
#include <stdint.h>
#include "tinytorch/data.h"
#include "tinytorch/nn.h"

typedef struct tito_zoo_entry {
    const char *name;          /* "LeNet-5" */
    const char *milestone;     /* "04" */
    const char *data;          /* "fashion-mnist" or "tinydigits" */
    tt_layer *(*make)(void);   /* the architecture, freshly initialised */
    int in_ndim;
    int64_t in_shape[3];       /* one sample */
} tito_zoo_entry;

/* Builds the model of the checkpoint at path and loads its weights (eval mode). Returns the entry and
 * sets *model, or NULL with a message naming the file and why no entry matched. A self-describing
 * model file derived from a milestone's (pruned or factored by tito compress) gets the entry of the
 * same input shape and kind, and *model its own architecture. */
const tito_zoo_entry *tito_zoo_load(const char *path, tt_layer **model, char *err, size_t errlen);
/* ", derived: Sequential(...)" (the model's own architecture) when model is not the entry's own
 * architecture (a pruned or factored model), else "": for the first line of a report. buf holds
 * TITO_ZOO_DERIVED_MAX bytes (the prefix and an architecture string of up to 1024). */
#define TITO_ZOO_DERIVED_MAX 1100
const char *tito_zoo_derived(const tito_zoo_entry *e, tt_layer *model, char *buf, size_t len);
/* The Fashion-MNIST model of milestone "03" or "04" ("3", "04" ...), NULL for another. */
const tito_zoo_entry *tito_zoo_milestone(const char *id);
/* Loads the entry's training and test sets from data_dir (normalised as the milestone did). Returns 0
 * or -1 with a message. */
int tito_zoo_data(const tito_zoo_entry *e, const char *data_dir, uint64_t seed, tt_dataset **train,
                  tt_dataset **test, char *err, size_t errlen);
/* --data, else $MLSB_DATA, else ./data when it exists, else the source tree's data/. */
const char *tito_data_dir(const char *given);
/* Top-1 accuracy of a float model over ds (batches of 500, no gradient); -1 on a shape mismatch. */
double tito_float_accuracy(tt_layer *model, const tt_dataset *ds);

#endif
