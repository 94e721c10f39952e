/* session.c - the drill deck in teaching order and the mock-interview plan (staffml/session.h). */
#include "staffml/session.h"

#include <stdlib.h>

#include "staffml/templates.h"

static int cmp_order(const void *a, const void *b)
{
    const int *x = a, *y = b;
    return x[0] != y[0] ? x[0] - y[0] : x[1] - y[1];
}

int sml_deck_build(const sml_vault *v, int include_templates, sml_deck *d)
{
    size_t nt = include_templates ? sml_template_count() : 0, total = v->n + nt;
    d->n = 0;
    d->ids = malloc((total ? total : 1) * sizeof *d->ids);
    d->meta = malloc((total ? total : 1) * 3 * sizeof *d->meta);
    int *order = malloc((total ? total : 1) * 2 * sizeof *order);   /* [level, index] pairs */
    if (!d->ids || !d->meta || !order) {
        free(order);
        sml_deck_free(d);
        return -1;
    }
    for (size_t i = 0; i < total; i++) {
        order[2 * i] = i < v->n ? v->q[i].level : sml_template_at(i - v->n)->level;
        order[2 * i + 1] = (int)i;
    }
    qsort(order, total, 2 * sizeof *order, cmp_order);
    for (size_t k = 0; k < total; k++) {
        size_t i = (size_t)order[2 * k + 1];
        int *m = &d->meta[3 * k];
        if (i < v->n) {
            d->ids[k] = v->q[i].id;
            m[0] = (int)v->q[i].track; m[1] = (int)v->q[i].area; m[2] = v->q[i].level;
        } else {
            const sml_template *t = sml_template_at(i - v->n);
            d->ids[k] = t->id;
            m[0] = (int)t->track; m[1] = (int)t->area; m[2] = t->level;
        }
    }
    d->n = total;
    free(order);
    return 0;
}

void sml_deck_free(sml_deck *d)
{
    free(d->ids);
    free(d->meta);
    d->ids = NULL;
    d->meta = NULL;
    d->n = 0;
}

size_t sml_mock_plan(const sml_vault *v, const sml_filter *f, int count, uint64_t seed,
                     const sml_question **out)
{
    size_t placed = 0;
    if (!v->n || count < 1) return 0;
    int area0 = (int)((seed >> 8) % SML_AREA_COUNT);
    size_t off = (size_t)(seed % v->n);   /* where the scan starts: which of equal candidates wins */
    for (int k = 0; k < count; k++) {
        int want = 2 + (count > 1 ? (4 * k) / (count - 1) : 0);
        const sml_question *best = NULL;
        for (int da = 0; da < SML_AREA_COUNT && !best; da++) {
            int area = (area0 + k + da) % SML_AREA_COUNT;
            if (f->area >= 0 && area != f->area) continue;
            int bestd = 99;
            for (size_t j = 0; j < v->n; j++) {
                const sml_question *q = &v->q[(j + off) % v->n];
                if ((int)q->area != area || (f->track >= 0 && (int)q->track != f->track)) continue;
                int seen = 0;
                for (size_t m = 0; m < placed && !seen; m++) seen = out[m] == q;
                if (seen) continue;
                int dist = abs(q->level - want);
                if (dist < bestd) {
                    bestd = dist;
                    best = q;
                }
            }
        }
        if (!best) break;
        out[placed++] = best;
    }
    return placed;
}
