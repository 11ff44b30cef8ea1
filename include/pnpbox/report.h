/*
 * report.h: what a pnpbox run found, and its four output formats (issue 6,
 * "Reports and CLI").  `pnpbox verify`, `pnpbox audit` and the Criterion
 * harness fill one pnpbox_report: lifecycle steps, the isolation findings
 * of the machine's audit (deduplicated per rule, API, path and component,
 * with a count), suppressed findings with their justification, INF
 * findings from the linter, driver debug output and pool leaks.
 *
 * Formats:
 *   text   for people: steps, then findings grouped by rule, each with the
 *          rule's explanation and the fix
 *   json   one object: result, steps, violations, suppressed, events,
 *          inf_findings, log, leaks
 *   sarif  SARIF 2.1.0 for GitHub code scanning: a rules table with help
 *          text (isolation rules and InfVerif codes), one result per
 *          finding, located at the driver source line when the driver was
 *          built with debug info, else at the INF
 *   junit  one testcase per lifecycle step and per rule, failures carrying
 *          the explanation
 */
#ifndef PNPBOX_REPORT_H
#define PNPBOX_REPORT_H

#include "pnpbox/pnpbox.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pnpbox_format {
    PNPBOX_FORMAT_TEXT = 0,
    PNPBOX_FORMAT_JSON,
    PNPBOX_FORMAT_SARIF,
    PNPBOX_FORMAT_JUNIT,
} pnpbox_format;

/* "text", "json", "sarif", "junit" -> format; -1 if unknown. */
int pnpbox_format_parse(const char *name);

typedef struct pnpbox_report pnpbox_report;

/* subject: what was checked (e.g. "kmdfiso.inf"); inf_path: the INF on the host (for SARIF locations), may be NULL. */
pnpbox_report *pnpbox_report_new(const char *subject, const char *inf_path);
void pnpbox_report_free(pnpbox_report *r);

/* One lifecycle step ("DriverEntry", "IRP_MN_START_DEVICE", ...): ok, its NTSTATUS, a detail line. */
void pnpbox_report_step(pnpbox_report *r, const char *name, int ok, int32_t status, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* One INF finding (from the linter): severity "error" / "warning". */
void pnpbox_report_inf(pnpbox_report *r, const char *file, unsigned line, int code, const char *severity,
                       const char *message, const char *fix);

/* Add one audit event (its findings, if it broke rules, and the event itself). */
void pnpbox_report_event(pnpbox_report *r, const pnpbox_event *e);

/* Take the machine's audit events (from index first on), debug log and pool leaks into the report. */
void pnpbox_report_collect(pnpbox_report *r, pnpbox_machine *m, size_t first_event);

/* Counts after collection. */
size_t pnpbox_report_errors(const pnpbox_report *r);   /* error-level findings, failed steps, INF errors */
size_t pnpbox_report_warnings(const pnpbox_report *r);
size_t pnpbox_report_violation_count(const pnpbox_report *r); /* distinct unsuppressed findings */
/* 0 when every step succeeded and no error-level finding remains, else 1. */
int pnpbox_report_result(const pnpbox_report *r);

/* The distinct findings, for assertions (index < pnpbox_report_violation_count). */
typedef struct pnpbox_finding {
    const pnpbox_rule *rule;
    const char *api, *path, *component, *origin, *value;
    int32_t status;
    pnpbox_outcome outcome;
    unsigned count;          /* events folded into this finding */
    const char *message;     /* one line */
    const char *justification; /* suppressed only */
    const char *source_file; /* driver source when known (debug info), else NULL */
    unsigned source_line;
    const char *caller;      /* module+0xoffset */
} pnpbox_finding;
const pnpbox_finding *pnpbox_report_violation(const pnpbox_report *r, size_t i);

/* Write in a format; 0 or -errno. */
int pnpbox_report_write(pnpbox_report *r, FILE *out, pnpbox_format fmt);

/* Print one rule for people (pnpbox explain), or the whole catalogue as Markdown (docs/rules.md). */
void pnpbox_explain_rule(FILE *out, const pnpbox_rule *rule);
void pnpbox_rules_markdown(FILE *out);

#ifdef __cplusplus
}
#endif

#endif
