/*
 * test_golden.c - fixed-seed outputs compared byte for byte with the ones
 * stored in tests/golden/expected: every scenario's run files and `check`
 * text, a time series, a sweep, a trace and `help models`
 * (tests/golden/golden.sh says which). Any change of a figure, a column or
 * a line of text fails here; a deliberate one is recorded with
 * `bash tests/golden/golden.sh --refresh build/concsim` and reviewed in
 * the diff.
 */
#include "testlib.h"

TestSuite(golden, .init = tl_mktmp, .fini = tl_rmtmp, .timeout = 600);

Test(golden, every_output_matches_the_stored_one)
{
	char cmd[2048], *diff = NULL;
	snprintf(cmd, sizeof cmd,
		 "bash %s/tests/golden/golden.sh %s %s/out 2>&1 && "
		 "diff -r %s/tests/golden/expected %s/out 2>&1 | head -c 4000",
		 tl_src(), tl_bin(), tl_tmpdir(), tl_src(), tl_tmpdir());
	int rc = tl_capture(cmd, &diff);
	cr_expect_eq(rc, 0, "golden.sh failed: %s", diff);
	cr_expect_str_empty(diff,
			    "outputs differ from tests/golden/expected (if the "
			    "change is deliberate: bash tests/golden/golden.sh "
			    "--refresh build/concsim):\n%s",
			    diff);
	free(diff);
}
