/* Who may do what. Roles come from roles.yaml; a call's purpose lists the roles
 * that may retrieve it (CALL_OPEN "access"). Decisions:
 *  - retrieve (list, show, export) a call: a role in its purpose's access list; the DPO
 *    ("dpo") for every call (subject access requests); "admin" only for calls recorded
 *    without a purpose (no access list), e.g. the built-in demo rule;
 *  - erase (by call or subject): "dpo" and "admin";
 *  - hold and release: "dpo", "admin" and "legal"; a release needs a second operator;
 *  - read the audit log: "dpo", "admin" and "auditor".
 * Tombstones (erased calls) are listed to dpo and admin only. */
#ifndef CALLREC_ARCHIVED_RIGHTS_ACCESS_H
#define CALLREC_ARCHIVED_RIGHTS_ACCESS_H

enum ad_right { AD_RIGHT_ERASE, AD_RIGHT_HOLD, AD_RIGHT_AUDIT };

/* 1 when `role` may retrieve the call whose CALL_OPEN metadata is meta_json. */
int ad_may_retrieve(const char *role, const char *meta_json);
/* 1 when `role` has the right. */
int ad_may(const char *role, enum ad_right right);

#endif
