/* `callrec status` for people: the agent's status JSON as a few readable lines. */
#ifndef CALLREC_TOOLS_STATUS_PRINT_H
#define CALLREC_TOOLS_STATUS_PRINT_H

#include <stdio.h>
#include <jansson.h>

/* Known keys (state, archive, spool, calls) first, in that order; keys added by newer agents
 * follow generically, so nothing the agent says is hidden. */
void cru_status_print(json_t *status, FILE *out);

#endif
