/* scaling_law.c - Chinchilla compute-optimal sizing (Hoffmann et al. 2022, Wall 11).
 *
 * Training compute C = 6·N·D. With D = r·N tokens per parameter (r = 20, Hoffmann Table 3),
 * N* = √(C/(6r)) and D* = r·N*. Loss fit (approach 3): L = E + A/N^α + B/D^β with E = 1.69,
 * A = 406.4, B = 410.7, α = 0.34, β = 0.28.
 */
#include "internal.h"

#include <math.h>

void ms_chin_optimal(double flops, double r, double *params, double *tokens)
{
    if (r <= 0) r = 20.0;
    double n = flops > 0 ? sqrt(flops / (6.0 * r)) : 0.0;
    if (params) *params = n;
    if (tokens) *tokens = r * n;
}

double ms_chin_loss(double n, double d)
{
    if (!(n > 0) || !(d > 0)) return INFINITY;
    return 1.69 + 406.4 / pow(n, 0.34) + 410.7 / pow(d, 0.28);
}
