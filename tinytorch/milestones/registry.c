/* registry.c - the milestones tito knows, in historical order. To add one: define
 * `const tt_milestone tt_milestone_NN` in a file under milestones/NN_name/, declare it in
 * milestone.h and list it here. */
#include "milestone.h"

const tt_milestone *const tt_milestones[] = {
    &tt_milestone_01,
    &tt_milestone_02,
    &tt_milestone_03,
    &tt_milestone_04,
    &tt_milestone_05,
    &tt_milestone_06,
};
const int tt_milestone_count = (int)(sizeof tt_milestones / sizeof tt_milestones[0]);

int tt_milestone_needs(const tt_milestone *m, int part)
{
    if (part > 0 && part <= m->n_parts && m->parts) {
        return m->parts[part - 1].needs;
    }
    return m->needs;
}
