/*
 * cmd_report.c - `concsim report DIR [-o report.html]`: one self-contained
 * HTML page of a run's or a sweep's results, to read offline or send as
 * an e-mail attachment.
 *
 * The page holds the comparison table with its 95 % intervals, the
 * figures as inline SVG (output/svg.c: no script, no external URL, no font to
 * fetch), the paired differences, the per-class (and per-service)
 * breakdown and the resolved scenario. From a run folder (`run -o DIR`):
 * the latency percentile spectrum and, with --timeseries, the time series.
 * From a sweep folder (`sweep -o DIR`): throughput, latency, goodput and
 * failures against the offered load with their 95 % bands, one panel per
 * value of the other swept parameters.
 *
 * Every input is read, bounded, before anything is written: results.json
 * and scenario.yaml through sim_read_bytes and the YAML parser (bounded
 * in bytes, nodes and depth), timeseries.csv up to REPORT_MAX_CSV bytes;
 * the work is linear in them (up to a sort). A folder that is neither a
 * run nor a sweep is refused with exit status 2 and nothing written.
 * Every name from the files reaches the page only HTML-escaped.
 *
 * This file reads the folder and its options and writes the page's frame
 * (head, style, scenario, footer); report_run.c and report_sweep.c write
 * the body, from the pieces of report_html.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/report.h"
#include "output/files.h"
#include "output/sweepio.h"

static const char style_css[] =
    "body{font-family:sans-serif;color:#222;background:#fff;margin:24px "
    "auto;max-width:1240px;padding:0 16px;line-height:1.4}\n"
    "h1{font-size:24px;margin:0 0 4px}h1 small{font-weight:normal;"
    "color:#666;font-size:15px}\n"
    "h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;"
    "padding-bottom:3px}h3{font-size:16px;margin:14px 0 4px}\n"
    ".meta{color:#444}.cap{color:#555;font-size:13px;max-width:960px;"
    "margin:4px 0 16px}\n"
    "figure{margin:0 0 12px}svg{display:block;max-width:100%;"
    "height:auto}\n"
    ".panels{display:flex;flex-wrap:wrap;gap:0 8px}\n"
    ".legend{font-size:13px;margin:2px 0 4px}.legend span{margin-right:"
    "16px;white-space:nowrap;display:inline-block}\n"
    ".sw{display:inline-block;width:22px;height:0;border-top:2px solid "
    "#555;vertical-align:middle;margin-right:6px}\n"
    ".sw.dashed{border-top-style:dashed}.sw.band{height:10px;border:0;"
    "background:#bbb;opacity:.6}\n"
    ".wide{overflow-x:auto}table{border-collapse:collapse;font-size:13px;"
    "margin:4px 0}\n"
    "th,td{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:"
    "left;white-space:nowrap}\n"
    "th{white-space:normal;vertical-align:bottom;max-width:110px}\n"
    "th{background:#f3f3f3;font-weight:600}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}\n"
    ".ci{display:block;color:#777;font-size:11px}"
    ".warn{color:#a33}"
    "td.sig{font-weight:bold}tr.first td{border-top:1px solid #bbb}\n"
    "pre{background:#f7f7f7;border:1px solid #e4e4e4;padding:10px;"
    "font-size:12px;overflow-x:auto;white-space:pre}\n"
    "footer{color:#888;font-size:12px;margin-top:24px}\n";

int rep_load(struct report *r)
{
	struct sim_yerror ye;
	snprintf(r->json_path, sizeof(r->json_path), "%s/results.json", r->dir);
	int e = sim_read_bytes(r->json_path, &r->json, &r->json_len);
	if (e) {
		if (e == SIM_EINVAL)
			cli_error("'%s' is neither a run's nor a sweep's "
				  "folder: it has no results.json (write one "
				  "with `concsim run ... -o DIR` or `concsim "
				  "sweep ... -o DIR`)",
				  r->dir);
		else
			cli_error("cannot read '%s': %s", r->json_path,
				  sim_strerror(e));
		return e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
	}
	e = sim_yaml_parse(&r->doc, r->json_path, r->json, r->json_len, 0, &ye);
	if (e == SIM_ENOMEM) {
		cli_error("out of memory");
		return EXIT_FAILED;
	}
	r->root = e ? NULL : r->doc.root;
	const struct sim_ynode *sys = sim_ymap_get(r->root, "systems", NULL);
	const struct sim_ynode *rows = sim_ymap_get(r->root, "rows", NULL);
	const struct sim_ynode *par = sim_ymap_get(r->root, "parameters", NULL);
	if (rows && rows->kind == SIM_Y_SEQ && par && par->kind == SIM_Y_SEQ) {
		r->sweep = true;
	} else if (!sys || sys->kind != SIM_Y_SEQ) {
		if (e)
			cli_error("'%s' is neither a run's nor a sweep's "
				  "results: %s:%d:%d: %s",
				  r->dir, r->json_path, ye.mark.line,
				  ye.mark.col, ye.msg);
		else
			cli_error("'%s' is neither a run's nor a sweep's "
				  "results (no 'systems' and no 'rows')",
				  r->json_path);
		return EXIT_USAGE;
	}
	if (!r->sweep && sys->n > REPORT_MAX_SYSTEMS) {
		cli_error("'%s': more than %d systems", r->json_path,
			  REPORT_MAX_SYSTEMS);
		return EXIT_USAGE;
	}
	for (size_t i = 0; !r->sweep && i < sys->n; i++)
		if (sys->vals[i]->kind != SIM_Y_MAP ||
		    !rep_jstr(sys->vals[i], "name")) {
			cli_error("'%s': system %zu has no name", r->json_path,
				  i + 1);
			return EXIT_USAGE;
		}
	char path[4096];
	snprintf(path, sizeof(path), "%s/scenario.yaml", r->dir);
	e = sim_read_bytes(path, &r->yaml, &r->yaml_len);
	if (e && e != SIM_EINVAL) {
		cli_error("cannot read '%s': %s", path, sim_strerror(e));
		return e == SIM_ENOMEM ? EXIT_FAILED : EXIT_USAGE;
	}
	return r->sweep ? 0 : rep_read_timeseries(r);
}

int rep_write_page(FILE *f, const struct report *r)
{
	const char *name = rep_jstr(r->root, "scenario");
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n"
	      "<link rel=\"icon\" href=\"data:,\">\n<title>",
	      f);
	rep_esc(f, name ? name : "results");
	fprintf(f,
		" \xe2\x80\x94 concsim report</title>\n<style>\n%s"
		"</style>\n</head>\n<body>\n<h1>",
		style_css);
	rep_esc(f, name ? name : "results");
	fprintf(f, " <small>concsim %s</small></h1>\n",
		r->sweep ? "sweep" : "run");
	int rc = r->sweep ? rep_write_sweep(f, r) : rep_write_run(f, r);
	if (rc)
		return rc;
	fputs("<h2>Scenario</h2>\n", f);
	if (r->yaml) {
		rep_caption(f, "The resolved scenario (scenario.yaml), every "
			       "default made explicit: run it again with "
			       "`concsim run scenario.yaml`.");
		fputs("<pre>", f);
		rep_esc(f, r->yaml);
		fputs("</pre>\n", f);
	} else {
		rep_caption(f, "The folder has no scenario.yaml.");
	}
	fputs("<footer>Written by concsim " CONCSIM_VERSION " from <code>", f);
	rep_esc(f, r->dir);
	fputs("</code>. Self-contained: no script, no external "
	      "resource.</footer>\n</body>\n</html>\n",
	      f);
	return ferror(f) ? SIM_EIO : 0;
}

void rep_release(struct report *r)
{
	rep_rts_release(r);
	sim_yaml_free(&r->doc);
	free(r->json);
	free(r->yaml);
	r->json = r->yaml = NULL;
}

int cmd_report(int argc, char **argv)
{
	struct report r = {0};
	struct sim_afile a = {0};
	char *outdir = NULL;
	const char *outname = "report.html";
	int rc = cli_parse(argc, argv, "--out|--quiet", "--slo", &r.o);

	if (rc)
		goto cleanup;
	rc = EXIT_USAGE;
	for (size_t i = 0; i < r.o.nextra; i++) {
		const char *x = r.o.extra[i];
		if (cli_extra_is_option(&r.o, i) && !strncmp(x, "--slo", 5)) {
			struct cli_objective obj[8];
			size_t n = 0;
			if (cli_extra_slo(&r.o, &i, obj, 8, &n))
				goto cleanup;
			for (size_t k = 0; k < n && r.nslo < 8; k++) {
				char *lb = r.slo_label[r.nslo];
				if (obj[k].stat == CLI_STAT_MEAN)
					snprintf(lb, 48, "objective: mean < ");
				else
					snprintf(lb, 48, "objective: p%g < ",
						 obj[k].q * 100);
				size_t l = strlen(lb);
				rep_fmt_lat(lb + l, 48 - l, obj[k].target, NAN,
					    NULL, 0);
				r.slo[r.nslo++] = (struct sim_svg_tick){
				    obj[k].target * 1e3, lb};
			}
		} else {
			cli_error("unexpected argument '%s'", x);
			goto cleanup;
		}
	}
	if (!r.o.file) {
		cli_error("no folder given: concsim report DIR (the -o DIR of "
			  "`concsim run` or `concsim sweep`)");
		goto cleanup;
	}
	r.dir = r.o.file;
	if (r.o.out) {
		const char *slash = strrchr(r.o.out, '/');
		outname = slash ? slash + 1 : r.o.out;
		if (!*outname) {
			cli_error("-o expects a file name, got '%s'", r.o.out);
			goto cleanup;
		}
		if (slash &&
		    !(outdir = strndup(r.o.out, (size_t)(slash - r.o.out) +
						    (slash == r.o.out)))) {
			rc = EXIT_FAILED;
			goto cleanup;
		}
	}
	if ((rc = rep_load(&r)))
		goto cleanup;
	/* the page never replaces a file of the folder it describes */
	static const char *const inputs[] = {"results.json", "results.csv",
					     "scenario.yaml", "timeseries.csv"};
	for (size_t i = 0; i < 4; i++) {
		char in[4200];
		snprintf(in, sizeof in, "%s/%s", r.dir, inputs[i]);
		if (r.o.out && sim_same_file(r.o.out, in)) {
			cli_error("writing '%s' would replace the input '%s'; "
				  "choose another file with -o",
				  r.o.out, in);
			rc = EXIT_USAGE;
			goto cleanup;
		}
	}
	rc = EXIT_FAILED;
	if (sim_afile_open(&a, r.o.out ? outdir : r.dir, outname, stderr))
		goto cleanup;
	int e = rep_write_page(a.f, &r);
	if (e == SIM_ENOMEM) {
		cli_error("out of memory");
		goto cleanup;
	}
	if (e == SIM_EINVAL) { /* refused on the way, message printed */
		rc = EXIT_USAGE;
		goto cleanup;
	}
	if (sim_afile_commit(&a, stderr))
		goto cleanup;
	if (!r.o.quiet)
		sim_fprintf_safe(stdout, "%s%s%s\n",
				 r.o.out ? (outdir ? outdir : "") : r.dir,
				 r.o.out ? (outdir ? "/" : "") : "/", outname);
	rc = 0;
cleanup:
	sim_afile_abort(&a);
	free(outdir);
	rep_release(&r);
	cli_opts_release(&r.o);
	return rc;
}
