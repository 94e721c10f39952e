/* quant_internal.h - what the quantized model's files share (conversion, inference, file I/O); not public. */
#ifndef TT_QUANT_INTERNAL_H
#define TT_QUANT_INTERNAL_H

#include <stddef.h>
#include "tinytorch/quant.h"

/* Output shapes, int16 weight copies, packed weights and fixed-point multipliers of every op, from
 * the stored fields (kind, geometry, weight, scales). Returns 0, or -1 with a message naming the layer. */
int tt_qmodel_prepare(tt_qmodel *m, char *err, size_t errlen);
void tt_qlayer_free_derived(tt_qlayer *l);
/* Allocates a layer's parameter arrays for cout channels and K = cin*kh*kw weights per channel. */
int tt_qlayer_alloc(tt_qlayer *l);

#endif
