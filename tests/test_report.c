/*
 * test_report.c - `concsim report`: the HTML page of a run folder and of a
 * sweep folder (two swept parameters: panels), opened in a real browser.
 *
 * Each page must reference no URL at all, keep hostile system names inert
 * (a system named <script>...</script> is text), render to a screenshot
 * that is not blank, show every system's name in the browser's DOM and log
 * no console message (the page has no script, and its
 * Content-Security-Policy turns any attempt to fetch something into a
 * console error). The browser is Debian's chromium, headless; the tests
 * that need it are skipped with a message when it is not installed
 * (`scripts/dev.sh test` installs it). Folders that are not results are
 * refused with exit status 2 and nothing written, and oversized inputs
 * are refused quickly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "testlib.h"

static const char *scenario =
    "name: \"x<i>'q'</i>\"\n"
    "seed: 5\n"
    "duration: 2s\n"
    "warmup: 200ms\n"
    "replications: 3\n"
    "workload:\n"
    "  arrivals: { process: poisson, rate: 400/s }\n"
    "  classes:\n"
    "    - { name: \"a&b\", weight: 3, phases: [ {cpu: 500us}, {io: 5ms} "
    "] }\n"
    "    - { name: b, phases: [ {cpu: {dist: exponential, mean: 2ms}},"
    " {pool: 1ms} ] }\n"
    "systems:\n"
    "  - { name: \"<script>alert(1)</script>\", model: event-loop, cores: "
    "2 }\n"
    "  - { name: \"two \\\"&amp;\\\" e\", model: event-loop, cores: 2, "
    "processes: 2 }\n"
    "  - { name: pool, model: worker-pool, cores: 2, workers: 4 }\n";

/* The names as the browser's DOM serialises text. */
static const char *const dom_names[] = {
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "two \"&amp;amp;\" e",
    "pool",
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0, k;
	char *b = malloc(cap);
	while (b && (k = fread(b + n, 1, cap - n - 1, f)) > 0)
		if ((n += k) + 1 == cap)
			b = realloc(b, cap *= 2);
	fclose(f);
	if (b)
		b[n] = 0;
	if (len)
		*len = n;
	return b;
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? -1 : (long)st.st_size;
}

static int concsim(const char *args)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >/dev/null 2>&1",
		 tl_tmpdir(), tl_bin(), args);
	return tl_system(cmd);
}

/* The page must hold no URL and no live markup from a name. */
static void check_html(const char *path)
{
	char *html = slurp(path, NULL);
	cr_assert(html, "no report at %s", path);
	cr_expect(!strstr(html, "http://"), "%s refers to an http:// URL",
		  path);
	cr_expect(!strstr(html, "https://"), "%s refers to an https:// URL",
		  path);
	cr_expect(!strstr(html, "<script"), "%s holds a <script> element",
		  path);
	cr_expect(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"),
		  "the hostile name is not on the page, escaped");
	cr_expect(strstr(html, "<svg"), "no figure in %s", path);
	free(html);
}

static bool have_chromium(void)
{
	return tl_system("command -v chromium >/dev/null 2>&1") == 0;
}

/* Runs headless chromium on file://PAGE with `what` (--screenshot=... or
 * --dump-dom) and the browser's log in LOG; stdout into OUT. Returns its
 * exit status. */
static int chromium(const char *page, const char *what, const char *out,
		    const char *log)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && u=$(mktemp -d) && timeout 120 chromium --headless "
		 "--no-sandbox --disable-gpu --disable-quic --no-first-run "
		 "--disable-background-networking --disable-component-update "
		 "--disable-sync --user-data-dir=\"$u\" --hide-scrollbars "
		 "--window-size=1200,2000 --enable-logging=stderr --v=0 %s "
		 "'file://%s' >'%s' 2>'%s'; st=$?; rm -rf \"$u\"; exit $st",
		 tl_tmpdir(), what, page, out, log);
	return tl_system(cmd);
}

/* Renders the page and checks what a reader would see. */
static void check_in_browser(const char *page)
{
	char path[512], shot[512], blank[512], dom[512], log[512], arg[600];
	if (!have_chromium())
		cr_skip_test("chromium is not installed (apt install chromium, "
			     "or bash scripts/dev.sh test)");
	snprintf(path, sizeof path, "%s/%s", tl_tmpdir(), page);
	snprintf(shot, sizeof shot, "%s/shot.png", tl_tmpdir());
	snprintf(blank, sizeof blank, "%s/blank.png", tl_tmpdir());
	snprintf(dom, sizeof dom, "%s/dom.html", tl_tmpdir());
	snprintf(log, sizeof log, "%s/chromium.log", tl_tmpdir());

	/* a screenshot of an empty page of the same size: what blank is */
	tl_write("blank.html", "<!DOCTYPE html><html><body></body></html>\n");
	char bpage[512];
	snprintf(bpage, sizeof bpage, "%s/blank.html", tl_tmpdir());
	snprintf(arg, sizeof arg, "--screenshot='%s'", blank);
	cr_assert_eq(chromium(bpage, arg, "/dev/null", log), 0,
		     "chromium failed on an empty page");
	snprintf(arg, sizeof arg, "--screenshot='%s'", shot);
	cr_assert_eq(chromium(path, arg, "/dev/null", log), 0,
		     "chromium failed to render %s", page);
	size_t n;
	char *png = slurp(shot, &n);
	cr_assert(png && n > 24 && !memcmp(png + 1, "PNG", 3),
		  "no PNG screenshot of %s", page);
	/* IHDR: width and height, big-endian */
	unsigned char *h = (unsigned char *)png + 16;
	long w = (long)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
	long ht = (long)h[4] << 24 | h[5] << 16 | h[6] << 8 | h[7];
	cr_expect(w == 1200 && ht == 2000, "screenshot is %ldx%ld", w, ht);
	free(png);
	/* a page of one colour compresses to almost nothing: figures and
	 * tables make the image several times larger than a blank one */
	long sb = file_size(blank), ss = file_size(shot);
	cr_expect(sb > 0 && ss > 4 * sb,
		  "the screenshot of %s looks blank (%ld bytes; an empty page "
		  "%ld)",
		  page, ss, sb);

	cr_assert_eq(chromium(path, "--dump-dom", dom, log), 0,
		     "chromium --dump-dom failed on %s", page);
	char *text = slurp(dom, NULL);
	cr_assert(text && strstr(text, "</html>"), "no DOM dumped");
	for (size_t i = 0; i < sizeof dom_names / sizeof dom_names[0]; i++)
		cr_expect(strstr(text, dom_names[i]),
			  "system '%s' is not on the rendered page",
			  dom_names[i]);
	cr_expect(!strstr(text, "<script"), "the DOM has a <script> element");
	free(text);
	/* console messages: a script error, a resource refused by the
	 * page's policy, a failed load */
	char *l = slurp(log, NULL);
	cr_assert(l);
	for (char *line = strtok(l, "\n"); line; line = strtok(NULL, "\n"))
		cr_expect(
		    !strstr(line, ":CONSOLE") && !strstr(line, "Refused") &&
			!strstr(line, "Uncaught") && !strstr(line, "net::ERR_"),
		    "the browser logged: %s", line);
	free(l);
}

Test(report, run_folder_is_one_inert_page_that_renders, .init = tl_mktmp,
     .fini = tl_rmtmp, .timeout = 600)
{
	tl_write("s.yaml", scenario);
	cr_assert_eq(concsim("run s.yaml -o run --timeseries 500ms -q "
			     "--format csv"),
		     0);
	cr_assert_eq(concsim("report run --slo 'p99<50ms'"), 0);
	char path[512];
	snprintf(path, sizeof path, "%s/run/report.html", tl_tmpdir());
	check_html(path);
	char *html = slurp(path, NULL);
	cr_expect(strstr(html, "percentile spectrum"), "no spectrum");
	cr_expect(strstr(html, "over time"), "no time series");
	cr_expect(strstr(html, "Paired differences"), "no paired differences");
	cr_expect(strstr(html, "a&amp;b"), "no per-class row, escaped");
	cr_expect(strstr(html, "objective: p99 &lt; 50 ms"), "no objective");
	cr_expect(strstr(html, "good responses only"), "no caption says it");
	free(html);
	check_in_browser("run/report.html");
}

Test(report, sweep_folder_with_two_parameters_draws_panels_and_renders,
     .init = tl_mktmp, .fini = tl_rmtmp, .timeout = 600)
{
	tl_write("s.yaml", scenario);
	cr_assert_eq(concsim("sweep s.yaml -o sweep -q --format csv "
			     "--param workload.arrivals.rate=200/s,400/s,800/s "
			     "--param workload.client.timeout=100ms,1s"),
		     0);
	cr_assert_eq(concsim("report sweep -o sweep/page.html"), 0);
	char path[512];
	snprintf(path, sizeof path, "%s/sweep/page.html", tl_tmpdir());
	check_html(path);
	char *html = slurp(path, NULL);
	cr_expect(strstr(html, "timeout = 100ms") &&
		      strstr(html, "timeout = 1s"),
		  "no panel per value of the second parameter");
	cr_expect(strstr(html, "95 % interval"), "no interval band");
	free(html);
	check_in_browser("sweep/page.html");
}

Test(report, refuses_what_is_not_a_result_folder_and_writes_nothing,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	char path[512];
	cr_assert_eq(tl_system("true"), 0);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/empty' '%s/junk'", tl_tmpdir(),
		 tl_tmpdir());
	cr_assert_eq(tl_system(cmd), 0);
	tl_write("junk/results.json", "{\"hello\": [1, 2, 3]}\n");
	cr_expect_eq(concsim("report empty"), 2);
	cr_expect_eq(concsim("report junk"), 2);
	cr_expect_eq(concsim("report nowhere"), 2);
	cr_expect_eq(concsim("report"), 2);
	cr_expect_eq(concsim("report junk --slo 'p42<1ms'"), 2);
	snprintf(path, sizeof path, "%s/empty/report.html", tl_tmpdir());
	cr_expect_eq(access(path, F_OK), -1, "empty/report.html written");
	snprintf(path, sizeof path, "%s/junk/report.html", tl_tmpdir());
	cr_expect_eq(access(path, F_OK), -1, "junk/report.html written");

	char *out = NULL;
	snprintf(cmd, sizeof cmd, "cd '%s' && '%s' report junk 2>&1",
		 tl_tmpdir(), tl_bin());
	cr_expect_eq(tl_capture(cmd, &out), 2);
	cr_expect(!strncmp(out, "concsim: error: ", 16), "message: %s", out);
	free(out);
}

Test(report, refuses_oversized_inputs_quickly, .init = tl_mktmp,
     .fini = tl_rmtmp, .timeout = 60)
{
	char cmd[1024];
	/* 17 MiB of results.json, past what any reader here accepts */
	snprintf(cmd, sizeof cmd,
		 "mkdir -p '%s/big' && head -c 17825792 /dev/zero | tr '\\0' "
		 "' ' > '%s/big/results.json'",
		 tl_tmpdir(), tl_tmpdir());
	cr_assert_eq(tl_system(cmd), 0);
	cr_expect_eq(concsim("report big"), 2);
	/* a deep nesting is stopped by the parser's depth limit */
	FILE *f;
	snprintf(cmd, sizeof cmd, "%s/deep", tl_tmpdir());
	mkdir(cmd, 0755);
	snprintf(cmd, sizeof cmd, "%s/deep/results.json", tl_tmpdir());
	cr_assert((f = fopen(cmd, "w")));
	for (int i = 0; i < 100000; i++)
		fputc('[', f);
	fclose(f);
	cr_expect_eq(concsim("report deep"), 2);
}

Test(report, help_documents_it, .init = tl_mktmp, .fini = tl_rmtmp)
{
	char *out = NULL, cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s' help report", tl_bin());
	cr_assert_eq(tl_capture(cmd, &out), 0);
	cr_expect(strstr(out, "usage: concsim report DIR"), "%s", out);
	cr_expect(strstr(out, "--slo"), "%s", out);
	free(out);
}

/* A results.json written by hand: per-service figures (a future
 * feature) are shown when present, and missing figures are dashes. */
Test(report, shows_services_when_present_and_survives_missing_figures,
     .init = tl_mktmp, .fini = tl_rmtmp)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/hand'", tl_tmpdir());
	cr_assert_eq(tl_system(cmd), 0);
	tl_write("hand/results.json",
		 "{\"scenario\": \"hand\", \"seed\": 1, \"replications\": 2,\n"
		 " \"systems\": [\n"
		 "  {\"name\": \"front\", \"model\": \"event-loop\",\n"
		 "   \"offered_rps\": 100, \"goodput_rps\": 90,\n"
		 "   \"latency_s\": {\"p99\": 0.05, \"cdf\": [[0, 0.001], "
		 "[0.5, 0.01], [0.99, 0.05], [1, 0.08]]},\n"
		 "   \"services\": {\"db<1>\": {\"throughput_rps\": 180,\n"
		 "     \"latency_s\": {\"mean\": 0.004, \"p99\": 0.02}}}},\n"
		 "  {\"name\": \"other\", \"model\": \"async\", \"latency_s\": "
		 "null, \"classes\": 3, \"vs_first\": {\"goodput_rps_diff\": "
		 "\"x\"}}\n"
		 " ]}\n");
	cr_assert_eq(concsim("report hand -o hand/r.html"), 0);
	char path[512];
	snprintf(path, sizeof path, "%s/hand/r.html", tl_tmpdir());
	char *html = slurp(path, NULL);
	cr_assert(html);
	cr_expect(strstr(html, "<h2>Services</h2>"), "no services table");
	cr_expect(strstr(html, "db&lt;1&gt;"), "service name not escaped");
	cr_expect(strstr(html, "180.0"), "service throughput missing");
	cr_expect(strstr(html, "front: 10.0 % of the offered requests"),
		  "the spectrum does not say what it leaves out");
	cr_expect(!strstr(html, "Over time"), "a time series from nothing");
	free(html);
}
