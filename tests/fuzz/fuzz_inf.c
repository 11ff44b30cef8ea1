/*
 * fuzz_inf.c: libFuzzer target for the INF engine: every input is parsed,
 * then linted, planned (whole package over every decoration, and a device
 * install for the first model's IDs), expanded and reported in all three
 * formats.  Nothing may crash, leak or trip a sanitizer.  Built and run by
 * tools/fuzz.sh (`make fuzz`).
 */
#include "emu/inf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int dirid_any(void *ctx, int32_t dirid, pb_buf *out)
{
    inf_dirid_ctx *c = ctx;
    return emu_inf_dirid_path(dirid, c, out);
}

static void exercise(inf_file *f, inf_arch arch)
{
    inf_target t;
    emu_inf_target_default(&t);
    t.arch = arch;

    inf_lint_opts lo = {&t};
    inf_lint_result *r = NULL;
    if (emu_inf_lint(f, &lo, &r) == 0) {
        pb_buf b = PB_BUF_INIT;
        emu_inf_report_text(&b, &r, 1);
        emu_inf_report_json(&b, &r, 1);
        emu_inf_report_sarif(&b, &r, 1);
        pb_buf_free(&b);
        emu_inf_lint_free(r);
    }

    inf_plan_opts po = {0};
    po.target = &t;
    po.store_dir = "C:\\Windows\\System32\\DriverStore\\FileRepository\\f.inf_amd64_0000000000000001";
    po.source_dir = "C:\\src";
    inf_plan *p = NULL;
    if (emu_inf_plan_package(f, &po, INF_PKG_ALL_DECORATIONS, &p) == 0) {
        pb_buf b = PB_BUF_INIT;
        emu_inf_plan_dump(p, &b);
        pb_buf_free(&b);
        emu_inf_plan_free(p);
    }

    /* A device with the first model's IDs (and a fixed one). */
    inf_models m;
    const uint16_t *ids[8];
    uint16_t *own[8];
    size_t n = 0;
    if (emu_inf_models_select(f, 0, &t, &m) == 0 && m.section && m.section->nlines) {
        inf_model md;
        if (emu_inf_model_decode(&m.section->lines[0], &md) == 0)
            for (uint32_t i = 0; i < md.nids && n < 6; i++) {
                own[n] = malloc((md.ids[i].val.n + 1) * sizeof(uint16_t));
                if (!own[n])
                    break;
                if (md.ids[i].val.n)
                    memcpy(own[n], md.ids[i].val.s, md.ids[i].val.n * sizeof(uint16_t));
                own[n][md.ids[i].val.n] = 0;
                ids[n] = own[n];
                n++;
            }
    }
    static const uint16_t root[] = {'R', 'O', 'O', 'T', '\\', 'X', 0};
    ids[n] = root;
    p = NULL;
    if (emu_inf_plan_device(f, &po, ids, n + 1, ids, n, &p) == 0)
        emu_inf_plan_free(p);
    for (size_t i = 0; i < n; i++)
        free(own[i]);

    /* Field expansion over a few lines. */
    inf_dirid_ctx dc = {arch, po.store_dir, po.source_dir};
    size_t ns = emu_inf_section_count(f);
    for (size_t s = 0; s < ns && s < 8; s++) {
        const inf_section *sec = emu_inf_section_at(f, s);
        for (uint32_t l = 0; l < sec->nlines && l < 8; l++) {
            pb_buf b = PB_BUF_INIT;
            emu_inf_field_expand(f, &sec->lines[l].fields[0], dirid_any, &dc, &b);
            pb_buf_free(&b);
        }
    }
    inf_version v;
    emu_inf_version(f, &t, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks the options, so templates and languages are reached too. */
    inf_parse_opts o = {0};
    const char *name = "fuzz.inf";
    inf_arch arch = INF_ARCH_AMD64;
    if (size > 1) {
        uint8_t sel = data[0];
        if (sel & 1)
            name = "fuzz.inx";
        arch = (inf_arch)((sel >> 1) % INF_ARCH_COUNT);
        o.arch = arch;
        o.langid = (sel & 0x10) ? 0x0407 : 0;
        data++;
        size--;
    }
    inf_file *f = NULL;
    if (emu_inf_parse_mem(data, size, name, &o, &f) != 0)
        return 0;
    exercise(f, arch);
    emu_inf_free(f);
    return 0;
}
