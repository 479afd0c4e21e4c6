/*
 * sweep_mpi.c - a sweep spread over MPI ranks: rank 0 reads --resume's
 * folder and tells the others which points are done; each rank runs its
 * share of the points (sweep_run.c deals them); then rank 0 gathers every
 * rank's rows as NUL-separated text and writes the files, the very bytes
 * of a single process.
 */
#include "cli/sweep_mpi.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef CONCSIM_HAVE_MPI
#include <mpi.h>
#endif

#include "kernel/error.h"

#ifdef CONCSIM_HAVE_MPI
/* Whether this process was started by an MPI launcher. */
static bool under_mpi(void)
{
	return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") ||
	       getenv("PMIX_RANK") || getenv("MPI_LOCALNRANKS");
}

void sweep_mpi_share_cores(struct sweep *sw, int argc, char **argv)
{
	const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
	if (!local)
		local = getenv("MPI_LOCALNRANKS");
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "-j", 2) ||
		    !strncmp(argv[i], "--jobs", 6))
			return;
	int n = local ? atoi(local) : 0;
	if (sw->nranks > 1 && n > 1)
		sw->o.jobs = sw->o.jobs / n > 1 ? sw->o.jobs / n : 1;
}

/* Appends s and its NUL to the buffer. */
static int put_str(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t l = strlen(s) + 1;
	if (*len + l > *cap) {
		size_t c = *cap ? *cap : 4096;
		while (c < *len + l)
			c *= 2;
		char *b = realloc(*buf, c);
		if (!b)
			return SIM_ENOMEM;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, s, l);
	*len += l;
	return 0;
}

/* This rank's rows as NUL-separated strings: point, sub, cell count,
 * the swept cells, then name and text of each non-empty cell. */
static int pack_rows(const struct sim_table *t, char **buf, size_t *len)
{
	size_t cap = 0;
	int rc = 0;
	*buf = NULL;
	*len = 0;
	for (size_t i = 0; i < t->nrow && !rc; i++) {
		const struct sim_trow *r = &t->row[i];
		size_t nc = 0;
		char num[3][32];
		for (size_t c = 0; c < r->n; c++)
			nc += r->cell[c] != NULL;
		snprintf(num[0], sizeof(num[0]), "%zu", r->point);
		snprintf(num[1], sizeof(num[1]), "%zu", r->sub);
		snprintf(num[2], sizeof(num[2]), "%zu", nc);
		for (int k = 0; k < 3 && !rc; k++)
			rc = put_str(buf, len, &cap, num[k]);
		for (size_t p = 0; p < t->np && !rc; p++)
			rc = put_str(buf, len, &cap,
				     r->param[p] ? r->param[p] : "");
		for (size_t c = 0; c < r->n && !rc; c++)
			if (r->cell[c]) {
				rc = put_str(buf, len, &cap, t->col[c]);
				if (!rc)
					rc =
					    put_str(buf, len, &cap, r->cell[c]);
			}
	}
	return rc;
}

static int unpack_rows(struct sim_table *t, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	const char **param = calloc(t->np + 1, sizeof(*param));
	int rc = SIM_ENOMEM;
	if (!param)
		return rc;
	while (p < end) {
		size_t point = strtoull(p, NULL, 10);
		p += strlen(p) + 1;
		size_t sub = strtoull(p, NULL, 10);
		p += strlen(p) + 1;
		size_t nc = strtoull(p, NULL, 10);
		p += strlen(p) + 1;
		for (size_t i = 0; i < t->np; i++, p += strlen(p) + 1)
			param[i] = p;
		struct sim_trow *r = sim_table_add(t, point, sub, param);
		if (!r)
			goto cleanup;
		size_t row = (size_t)(r - t->row);
		for (size_t c = 0; c < nc; c++) {
			const char *name = p;
			p += strlen(p) + 1;
			if (sim_table_put(t, &t->row[row], name, p))
				goto cleanup;
			p += strlen(p) + 1;
		}
	}
	rc = 0;
cleanup:
	free(param);
	return rc;
}

/* Rank 0 receives every other rank's rows. Returns 0 or SIM_ENOMEM. */
static int gather_rows(struct sweep *sw, struct sim_table *mine)
{
	char *buf = NULL, *all = NULL;
	size_t len = 0;
	int *counts = NULL, *displs = NULL, rc = pack_rows(mine, &buf, &len);
	int n = rc || len > INT32_MAX ? -1 : (int)len, bad = 0;

	if (sw->rank == 0) {
		counts = calloc((size_t)sw->nranks, sizeof(*counts));
		displs = calloc((size_t)sw->nranks, sizeof(*displs));
	}
	MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
	long total = 0;
	if (sw->rank == 0) {
		for (int r = 0; r < sw->nranks; r++) {
			bad |= counts[r] < 0;
			displs[r] = (int)total;
			total += counts[r] < 0 ? 0 : counts[r];
		}
		bad |= total > INT32_MAX;
		all = bad ? NULL : malloc((size_t)total + 1);
		bad |= !all;
	}
	MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
	rc = bad ? SIM_ENOMEM : 0;
	if (!bad)
		MPI_Gatherv(buf, n, MPI_CHAR, all, counts, displs, MPI_CHAR, 0,
			    MPI_COMM_WORLD);
	if (!bad && sw->rank == 0)
		rc = unpack_rows(&sw->table, all, (size_t)total);
	free(buf);
	free(all);
	free(counts);
	free(displs);
	return rc;
}

bool sweep_mpi_begin(struct sweep *sw)
{
	if (!under_mpi())
		return false;
	int provided;
	MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &sw->rank);
	MPI_Comm_size(MPI_COMM_WORLD, &sw->nranks);
	return true;
}

void sweep_mpi_end(bool started)
{
	if (started)
		MPI_Finalize();
}

int sweep_mpi_share_text(struct sweep *sw)
{
	struct cli_opts *o = &sw->o;
	if (sw->nranks < 2 || !o->file || strcmp(o->file, "-"))
		return cli_text(o);
	/* only rank 0 has the launcher's standard input */
	long long len = -1;
	int rc = 0;
	if (sw->rank == 0) {
		rc = cli_text(o);
		len = rc ? -1 : (long long)o->len;
	}
	MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
	if (len < 0)
		return rc ? rc : EXIT_USAGE;
	if (sw->rank != 0) {
		if (!(o->text = malloc((size_t)len + 1)))
			MPI_Abort(MPI_COMM_WORLD, EXIT_FAILED);
		o->text[len] = '\0';
		o->len = (size_t)len;
		o->file = CLI_STDIN_NAME;
	}
	for (long long off = 0; off < len; off += 1 << 30) {
		long long n = len - off < (1 << 30) ? len - off : (1 << 30);
		MPI_Bcast(o->text + off, (int)n, MPI_CHAR, 0, MPI_COMM_WORLD);
	}
	return 0;
}

int sweep_mpi_share_resume(struct sweep *sw, int *rc)
{
	if (sw->nranks <= 1)
		return 0;
	unsigned char *done = calloc(sw->grid.npoints, 1);
	int ok = done != NULL;
	MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
	MPI_Bcast(rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
	if (!ok) {
		free(done);
		return SIM_ENOMEM;
	}
	for (size_t k = 0; k < sw->grid.npoints; k++)
		done[k] = sw->pt[k].done;
	MPI_Bcast(done, (int)sw->grid.npoints, MPI_UNSIGNED_CHAR, 0,
		  MPI_COMM_WORLD);
	for (size_t k = 0; k < sw->grid.npoints; k++)
		sw->pt[k].done = done[k];
	free(done);
	return 0;
}

void sweep_mpi_gather(struct sweep *sw, int *stopped, int *failed)
{
	struct sim_table mine;
	if (sw->nranks <= 1)
		return;
	MPI_Allreduce(MPI_IN_PLACE, stopped, 1, MPI_INT, MPI_MAX,
		      MPI_COMM_WORLD);
	MPI_Allreduce(MPI_IN_PLACE, failed, 1, MPI_INT, MPI_MAX,
		      MPI_COMM_WORLD);
	/* rank 0 keeps its rows; the others send theirs */
	if (sw->rank == 0) {
		sim_table_init(&mine, sw->grid.np);
	} else {
		mine = sw->table;
		sim_table_init(&sw->table, sw->grid.np);
	}
	if (gather_rows(sw, &mine)) {
		*failed = 1;
		cli_error("out of memory gathering the rows");
	}
	sim_table_release(&mine);
}

#else /* !CONCSIM_HAVE_MPI: one process, rank 0 of 1 */

int sweep_mpi_share_text(struct sweep *sw)
{
	return cli_text(&sw->o);
}

bool sweep_mpi_begin(struct sweep *sw)
{
	(void)sw;
	return false;
}

void sweep_mpi_end(bool started)
{
	(void)started;
}

void sweep_mpi_share_cores(struct sweep *sw, int argc, char **argv)
{
	(void)sw;
	(void)argc;
	(void)argv;
}

int sweep_mpi_share_resume(struct sweep *sw, int *rc)
{
	(void)sw;
	(void)rc;
	return 0;
}

void sweep_mpi_gather(struct sweep *sw, int *stopped, int *failed)
{
	(void)sw;
	(void)stopped;
	(void)failed;
}

#endif
