/* The agent's policy state: see agentpol.h. */
#include "agentpol.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "log.h"

static void describe(const char *path, const struct cr_pol *pol)
{
	cr_notice("policy %s (sha256 %s): %zu purposes, %zu rules, on_failure %s", path,
		  pol->sha256, pol->p->npurposes, pol->p->nrules,
		  cr_on_failure_name(pol->p->on_failure));
}

static void builtin_warning(void)
{
	cr_warn("no policy configured: every process that opens both directions is recorded "
		"(built-in rule, for demos only; set `policy:` in agent.yaml)");
}

int cr_agentpol_start(struct cr_agent *a)
{
	struct cr_agentpol *ap = &a->policy;
	struct cr_diags d;
	int err;

	if (!a->cfg.policy) {
		builtin_warning();
		ap->pol = cr_pol_builtin();
		return ap->pol ? 0 : -ENOMEM;
	}
	cr_diags_init(&d, a->cfg.policy);
	err = cr_pol_load(a->cfg.policy, a->cfg.announcements, &ap->pol, &d);
	if (err) {
		cr_diags_print(&d, stderr);
		cr_err("policy %s cannot be used; not starting", a->cfg.policy);
		return -EINVAL;
	}
	describe(a->cfg.policy, ap->pol);
	return 0;
}

void cr_agentpol_reload(struct cr_agent *a)
{
	struct cr_agentpol *ap = &a->policy;
	struct cr_pol *fresh = NULL;
	struct cr_diags d;
	int err;

	if (!a->cfg.policy) {
		builtin_warning();
		fresh = cr_pol_builtin();
		if (!fresh)
			return;
	} else {
		cr_diags_init(&d, a->cfg.policy);
		err = cr_pol_load(a->cfg.policy, a->cfg.announcements, &fresh, &d);
		if (err) {
			cr_diags_print(&d, stderr);
			cr_err("policy reload failed; keeping the previous policy (sha256 %s)",
			       ap->pol && ap->pol->p ? ap->pol->sha256 : "none: built-in rule");
			if (err != -EINVAL) {
				/* Gone or unreadable: nobody can tell what the policy now requires. */
				snprintf(ap->failure, sizeof(ap->failure), "policy %s unreadable: %s",
					 a->cfg.policy, strerror(-err));
				a->calls.failure = ap->failure;
			}
			return;
		}
		describe(a->cfg.policy, fresh);
	}
	cr_pol_unref(ap->pol);
	ap->pol = fresh;
	ap->failure[0] = 0;
	a->calls.failure = NULL;
}

void cr_agentpol_tick(struct cr_agent *a, uint64_t now_ns)
{
	(void)now_ns;
	cr_erase_tick(&a->policy.erases, &a->spool, &a->uplink);
}

void cr_agentpol_stop(struct cr_agent *a)
{
	cr_pol_unref(a->policy.pol);
	a->policy.pol = NULL;
	cr_erase_free(&a->policy.erases);
}

json_t *cr_agentpol_status(struct cr_agent *a, json_t *o, uid_t uid)
{
	const struct cr_pol *pol = a->policy.pol;

	if (!o)
		return NULL;
	if (pol && pol->p)
		json_object_set_new(o, "policy", json_pack("{s:s, s:s, s:s}", "file",
			a->cfg.policy ? a->cfg.policy : "", "sha256", pol->sha256, "on_failure",
			cr_on_failure_name(pol->p->on_failure)));
	else
		json_object_set_new(o, "policy", json_string("none: built-in rule, demo only"));
	if (a->policy.failure[0])
		json_object_set_new(o, "policy_problem", json_string(a->policy.failure));
	if (cr_calls_private_pending(&a->calls, uid))
		json_object_set_new(o, "next_call_private", json_true());
	if (a->policy.erases)
		json_object_set_new(o, "erasures_pending",
				    json_integer(cr_erase_pending(a->policy.erases)));
	return o;
}
