/* labs_list.c - the labs, in the order of the curriculum's volumes. Each id names one page,
 * /labs/<id>.html (the template web/lab.html with the id, server.c), and one script,
 * web/js/labs/<id>.js. */
#include <string.h>

#include "labs/api.h"

static const labs_lab LABS[] = {
    {"iron-law", "The iron law of performance"},
    {"roofline", "Roofline and the ridge point"},
    {"training-memory", "Training memory budget"},
    {"kv-cache", "The KV-cache wall"},
    {"attention", "The quadratic attention wall"},
    {"compression", "The compression frontier"},
    {"amdahl", "The speedup ceiling (Amdahl)"},
    {"tail-latency", "The tail-latency trap"},
    {"concurrency", "The concurrency wave"},
    {"scale", "The scale illusion"},
    {"failures", "Failure is routine"},
    {"economy", "The inference economy"},
    {"carbon", "The carbon budget"},
    {"reality", "Model vs reality"},
};

size_t labs_count(void) { return sizeof LABS / sizeof LABS[0]; }

const labs_lab *labs_at(size_t i) { return i < labs_count() ? &LABS[i] : 0; }

const labs_lab *labs_find(const char *id)
{
    for (size_t i = 0; id && i < labs_count(); i++)
        if (!strcmp(LABS[i].id, id)) return &LABS[i];
    return 0;
}
