#ifndef CALLREC_POLICY_CMD_H
#define CALLREC_POLICY_CMD_H
/* argv[0] = "policy". Returns the exit status. */
int cmd_policy(int argc, char **argv);
#endif
