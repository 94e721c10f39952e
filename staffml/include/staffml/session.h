/* session.h - what a drill or a mock interview asks next, as library calls the CLI and the labs
 * server share: the deck of drillable cards in teaching order, and the plan of a mock interview. */
#ifndef STAFFML_SESSION_H
#define STAFFML_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "staffml/vault.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every drillable card: the vault's questions and (optionally) the parametric templates, ordered
 * by level, then vault order, templates after questions at the same level. ids point into the
 * vault or the template table; meta holds [track, area, level] per card (what sml_store_pick takes). */
typedef struct {
    const char **ids;
    int *meta;
    size_t n;
} sml_deck;

/* 0 ok, -1 out of memory. */
int sml_deck_build(const sml_vault *v, int include_templates, sml_deck *out);
void sml_deck_free(sml_deck *d);

/* A mock interview of up to `count` hand-written questions matching `f` (its level is ignored):
 * one area after another (starting at an area chosen by `seed`), each time the question nearest
 * a target level that climbs from L2 to L6 over the interview, no question twice. Returns how many
 * were placed in out[0..count). */
size_t sml_mock_plan(const sml_vault *v, const sml_filter *f, int count, uint64_t seed,
                     const sml_question **out);

#ifdef __cplusplus
}
#endif
#endif
