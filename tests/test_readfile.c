/*
 * test_readfile.c - sim_read_file, the one whole-file reader: a file of
 * exactly the bound is read whole, one byte more is refused, never cut.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "kernel/error.h"
#include "scenario/readfile.h"

/* Writes n bytes of 'x' to a new temporary file; returns its name. */
static char *temp_file(size_t n)
{
	static char name[64];
	snprintf(name, sizeof(name), "/tmp/concsim-readfile-XXXXXX");
	int fd = mkstemp(name);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	cr_assert(f);
	for (size_t i = 0; i < n; i++)
		fputc('x', f);
	cr_assert_eq(fclose(f), 0);
	return name;
}

Test(readfile, reads_a_file_of_exactly_the_bound)
{
	char *path = temp_file(10000), *buf;
	size_t len;
	cr_assert_eq(sim_read_file(path, 10000, &buf, &len), 0);
	cr_expect_eq(len, 10000);
	cr_expect_eq(buf[9999], 'x');
	cr_expect_eq(buf[10000], '\0');
	free(buf);
	unlink(path);
}

Test(readfile, refuses_one_byte_more_than_the_bound)
{
	char *path = temp_file(10001), *buf = (char *)1;
	size_t len = 1;
	cr_expect_eq(sim_read_file(path, 10000, &buf, &len), SIM_ELIMIT);
	cr_expect_null(buf);
	cr_expect_eq(len, 0);
	unlink(path);
}

Test(readfile, reads_an_empty_file)
{
	char *path = temp_file(0), *buf;
	size_t len = 1;
	cr_assert_eq(sim_read_file(path, 100, &buf, &len), 0);
	cr_expect_eq(len, 0);
	cr_expect_str_eq(buf, "");
	free(buf);
	unlink(path);
}

Test(readfile, refuses_a_folder_with_eisdir)
{
	char *buf;
	size_t len;
	cr_expect_eq(sim_read_file("/tmp", 100, &buf, &len), SIM_EIO);
	cr_expect_eq(errno, EISDIR);
}

Test(readfile, reports_a_missing_file_with_enoent)
{
	char *buf;
	size_t len;
	cr_expect_eq(sim_read_file("/nonexistent/concsim", 100, &buf, &len),
		     SIM_EIO);
	cr_expect_eq(errno, ENOENT);
}
