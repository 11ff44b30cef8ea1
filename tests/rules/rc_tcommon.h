/*
 * rc_tcommon.h: what the corpus's Criterion files share (test_corpus.c,
 * test_baseline.c, test_world.c): the fixture that makes the corpus world
 * on the harness's fresh machine, the events recorded since, and the
 * harness's JSON report.  The helpers fail the test with a message that
 * names the case.
 */
#ifndef TESTS_RULES_RC_TCOMMON_H
#define TESTS_RULES_RC_TCOMMON_H

#include "pnpbox/criterion.h"

#include "tests/rules/rc.h"
#include "tests/support/tjson.h"

/*
 * The one per-test timeout of the corpus's tests (seconds; ASan builds are
 * slow).  One value for all: Criterion 2.4.1's runner leaks 48 bytes when
 * tests with different timeouts overlap (-j2), which LeakSanitizer reports
 * at the end of an ASan run.
 */
#define RC_TIMEOUT 120

/* Events recorded before the snippet ran (the world's). */
extern size_t rc_first;
/* The snippet context of the running test. */
extern rc_ctx rc_x;

/* Fixture: a fresh machine (pnpbox_fixture_init), report mode, the world made. */
void rc_setup(void);
void rc_teardown(void);

/* The case by name (fails the test when unknown). */
const rc_case *rc_case_named(const char *name);
/* Run fn as the case's component into rc_x. */
void rc_run_as(const rc_case *c, rc_snippet fn);
/* The clean probe call for the case's component: k_probe_hardware_key or u_probe_hardware_key. */
rc_snippet rc_probe(const rc_case *c);
/* The component the case's finding names. */
const char *rc_who(const rc_case *c);
/* Does a space-separated rule list hold id? */
int rc_has_rule(const char *rules, const char *id);
/* "reported", "denied" ... */
const char *rc_outcome_name(pnpbox_outcome o);
/* The events since rc_first, one per line, for failure messages (static buffer). */
const char *rc_events_text(void);
/* The first event since rc_first breaking rule at the case's API and path (fails the test when none). */
const pnpbox_event *rc_finding(const rc_case *c, const char *rule);
/* The first event since rc_first whose path contains part and that breaks rule (NULL when none). */
const pnpbox_event *rc_event_with(const char *rule, const char *part);
/* The harness's report as parsed JSON (json_free it), and a finding of it by rule and API in
 * list `which` ("violations" or "suppressed"), or NULL. */
jv *rc_json_report(void);
const jv *rc_json_finding(const jv *root, const char *which, const char *rule, const char *api);

#endif
