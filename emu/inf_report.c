/*
 * inf_report.c: lint report writers: text for people, JSON for scripts,
 * SARIF 2.1.0 for GitHub code scanning (contract in inf.h).
 *
 * JSON is one object: {"findings": [{"file", "line", "code", "severity",
 * "message", "fix"}], "errors": N, "warnings": N}.  SARIF has one run whose
 * tool.driver.rules is the part of the rule catalogue reported at /w; each
 * result names its rule by id ("INF<code>") and index, with the file as a
 * relative URI reference and the line as region.startLine (omitted for
 * whole-file findings, since SARIF lines start at 1).
 */
#include "emu/inf_int.h"

#include <stdio.h>
#include <string.h>

static const char *sev_name(inf_severity s)
{
    return s == INF_SEV_ERROR ? "error" : s == INF_SEV_WARNING ? "warning" : "none";
}

void emu_inf_report_text(pb_buf *out, inf_lint_result *const *results, size_t n)
{
    if (!out)
        return;
    size_t errors = 0, warnings = 0;
    for (size_t i = 0; i < n; i++) {
        const inf_lint_result *r = results[i];
        if (!r)
            continue;
        for (size_t k = 0; k < r->nfindings; k++) {
            const inf_finding *f = &r->findings[k];
            if (f->lineno)
                pb_buf_printf(out, "%s:%u: %s %d: %s\n", f->file, f->lineno, sev_name(f->severity), f->code, f->message);
            else
                pb_buf_printf(out, "%s: %s %d: %s\n", f->file, sev_name(f->severity), f->code, f->message);
            if (f->fix)
                pb_buf_printf(out, "    fix: %s\n", f->fix);
        }
        errors += r->errors;
        warnings += r->warnings;
    }
    pb_buf_printf(out, "%zu error%s, %zu warning%s in %zu file%s\n", errors, errors == 1 ? "" : "s", warnings,
                  warnings == 1 ? "" : "s", n, n == 1 ? "" : "s");
}

void emu_inf_report_json(pb_buf *out, inf_lint_result *const *results, size_t n)
{
    if (!out)
        return;
    size_t errors = 0, warnings = 0;
    int first = 1;
    pb_buf_adds(out, "{\"findings\": [");
    for (size_t i = 0; i < n; i++) {
        const inf_lint_result *r = results[i];
        if (!r)
            continue;
        for (size_t k = 0; k < r->nfindings; k++) {
            const inf_finding *f = &r->findings[k];
            pb_buf_adds(out, first ? "\n  {\"file\": " : ",\n  {\"file\": ");
            first = 0;
            pb_buf_json_str(out, f->file);
            pb_buf_printf(out, ", \"line\": %u, \"code\": %d, \"severity\": \"%s\", \"message\": ", f->lineno, f->code,
                          sev_name(f->severity));
            pb_buf_json_str(out, f->message);
            pb_buf_adds(out, ", \"fix\": ");
            pb_buf_json_str(out, f->fix ? f->fix : "");
            pb_buf_addc(out, '}');
        }
        errors += r->errors;
        warnings += r->warnings;
    }
    pb_buf_printf(out, "%s], \"errors\": %zu, \"warnings\": %zu}\n", first ? "" : "\n", errors, warnings);
}

/* A relative URI reference for a file path: unreserved characters and '/' stay, the rest is %XX. */
static void uri_str(pb_buf *out, const char *path)
{
    pb_buf u = PB_BUF_INIT;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~' || c == '/' || c == '+' || c == '=' || c == '@' || c == '!' || c == '$' ||
            c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == ',' || c == ';')
            pb_buf_addc(&u, (char)c);
        else if (c == '\\')
            pb_buf_addc(&u, '/');
        else
            pb_buf_printf(&u, "%%%02X", c);
    }
    pb_buf_json_str(out, u.data ? (const char *)u.data : "");
    pb_buf_free(&u);
}

void emu_inf_report_sarif(pb_buf *out, inf_lint_result *const *results, size_t n)
{
    if (!out)
        return;
    size_t nr;
    const inf_rule *rules = emu_inf_rules(&nr);
    int index[10000];
    memset(index, 0xff, sizeof index);
    pb_buf_adds(out, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
                     "  \"version\": \"2.1.0\",\n  \"runs\": [{\n    \"tool\": {\"driver\": {\n"
                     "      \"name\": \"pnpbox lint\",\n      \"version\": \"0.1.0\",\n"
                     "      \"informationUri\": \"https://learn.microsoft.com/windows-hardware/drivers/devtest/"
                     "inf-validation-errors-and-warnings\",\n      \"rules\": [");
    int ri = 0;
    for (size_t i = 0; i < nr; i++) {
        const inf_rule *r = &rules[i];
        if (!r->implemented || r->level_w == INF_SEV_NONE || r->code < 0 || r->code >= 10000)
            continue;
        index[r->code] = ri;
        pb_buf_printf(out, "%s\n        {\"id\": \"INF%d\", \"name\": ", ri ? "," : "", r->code);
        char name[160];
        size_t o = 0;
        for (const char *t = r->title; *t && o + 1 < sizeof name; t++)
            if ((*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9'))
                name[o++] = *t;
        name[o] = 0;
        pb_buf_json_str(out, name);
        pb_buf_adds(out, ", \"shortDescription\": {\"text\": ");
        pb_buf_json_str(out, r->title);
        pb_buf_adds(out, "}, \"fullDescription\": {\"text\": ");
        char full[600];
        snprintf(full, sizeof full, "InfVerif %d (%s at /w): %s.", r->code, sev_name(r->level_w), r->title);
        pb_buf_json_str(out, full);
        pb_buf_adds(out, "}, \"helpUri\": ");
        pb_buf_json_str(out, r->doc);
        pb_buf_adds(out, ", \"help\": {\"text\": ");
        pb_buf_json_str(out, r->fix);
        pb_buf_printf(out, "}, \"defaultConfiguration\": {\"level\": \"%s\"}}", sev_name(r->level_w));
        ri++;
    }
    pb_buf_adds(out, "\n      ]\n    }},\n    \"results\": [");
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        const inf_lint_result *r = results[i];
        if (!r)
            continue;
        for (size_t k = 0; k < r->nfindings; k++) {
            const inf_finding *f = &r->findings[k];
            int idx = f->code >= 0 && f->code < 10000 ? index[f->code] : -1;
            pb_buf_printf(out, "%s\n      {\"ruleId\": \"INF%d\", ", first ? "" : ",", f->code);
            if (idx >= 0)
                pb_buf_printf(out, "\"ruleIndex\": %d, ", idx);
            pb_buf_printf(out, "\"level\": \"%s\", \"message\": {\"text\": ", sev_name(f->severity));
            pb_buf_json_str(out, f->message);
            pb_buf_adds(out, "}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
            uri_str(out, f->file);
            pb_buf_adds(out, "}");
            if (f->lineno)
                pb_buf_printf(out, ", \"region\": {\"startLine\": %u}", f->lineno);
            pb_buf_adds(out, "}}]}");
            first = 0;
        }
    }
    pb_buf_adds(out, first ? "]\n  }]\n}\n" : "\n    ]\n  }]\n}\n");
}
