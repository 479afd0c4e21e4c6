/*
 * tickprobe.c - how the kernel's scheduler shares one core between busy
 * processes and one that wakes now and then: the evidence for the hosts'
 * `tick` key (a used-up slice ends at the scheduler's next tick).
 *
 *   tickprobe HOGS BURN_US N [SEED]
 *
 * Runs on the core it was started on (taskset it there; nice -20 as
 * validate-real.sh runs its servers). Forks HOGS processes that spin,
 * each recording its stretches on the core (a gap of more than 20 us in
 * its reading of the monotonic clock ends one). The main process then N
 * times sleeps until a deadline (clock_nanosleep, absolute), the last one
 * a burn and 2-10 ms (uniform) on, and burns BURN_US microseconds of its
 * own CPU clock, as a server woken by requests on an open schedule does
 * (a burn that ends past the next deadline starts the next at once).
 * Writes CSV on standard output, one row a figure, in seconds:
 * `what,seconds` with what `wake` (from the deadline to its first
 * instruction), `done` (from the deadline to the end of its burn) or
 * `stretch` (a busy process's time on the core).
 *
 * With the HRTICK feature off (Linux's default), a busy process keeps the
 * core past its slice until a tick (1/CONFIG_HZ), and one woken during
 * another's fresh slice waits for a tick: `done` is BURN_US plus 0 or
 * most of a tick, and the stretches end on ticks. Standard library and
 * POSIX only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOGS    16
#define MAX_STRETCH 100000 /* per hog */

static double now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A busy process: records its stretches on the core in st[0..*n) until
 * *stop is set. */
static void hog(volatile int *stop, double *st, volatile int *n)
{
	double last = now(CLOCK_MONOTONIC), start = last;
	while (!*stop) {
		double t = now(CLOCK_MONOTONIC);
		if (t - last > 20e-6) {
			if (*n < MAX_STRETCH)
				st[(*n)++] = last - start;
			start = t;
		}
		last = t;
	}
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: tickprobe HOGS BURN_US N [SEED]\n");
		return 2;
	}
	char *e1, *e2, *e3, *e4 = "";
	long hogs = strtol(argv[1], &e1, 10), n = strtol(argv[3], &e3, 10);
	double burn = strtod(argv[2], &e2) * 1e-6;
	long seed = argc > 4 ? strtol(argv[4], &e4, 10) : 1;
	if (*e1 || *e2 || *e3 || *e4 || e1 == argv[1] || e2 == argv[2] ||
	    e3 == argv[3] || (argc > 4 && e4 == argv[4]) || hogs < 0 ||
	    hogs > MAX_HOGS || n < 1 || n > 1000000 ||
	    !(burn >= 0 && burn <= 1)) {
		fprintf(stderr,
			"tickprobe: HOGS 0-%d, BURN_US 0-1000000, "
			"N 1-1000000\n",
			MAX_HOGS);
		return 2;
	}
	/* shared with the hogs: their stretches, then the stop flag and
	 * their counts (the doubles first, aligned) */
	size_t nst = (size_t)MAX_HOGS * MAX_STRETCH;
	size_t size = sizeof(double) * nst + sizeof(int) * (1 + MAX_HOGS);
	char *shm = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		perror("tickprobe: mmap");
		return 1;
	}
	double *stretch = (double *)shm;
	volatile int *stop = (volatile int *)(shm + sizeof(double) * nst);
	volatile int *count = stop + 1;
	pid_t parent = getpid();
	pid_t pid[MAX_HOGS];
	for (int h = 0; h < hogs; h++) {
		pid[h] = fork();
		if (pid[h] < 0) {
			perror("tickprobe: fork");
			*stop = 1;
			return 1;
		}
		if (pid[h] == 0) {
			/* a busy loop at nice -20 must not outlive the probe */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			hog(stop, stretch + (size_t)h * MAX_STRETCH, count + h);
			_exit(0);
		}
	}
	usleep(200000); /* the hogs settle into their turns */
	srand48(seed);
	double *wake = malloc(sizeof(double) * 2 * (size_t)n);
	if (!wake) {
		*stop = 1;
		return 1;
	}
	double *done = wake + n;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int i = 0; i < n; i++) {
		/* the next deadline: the last one, a burn and 2-10 ms on (an
		 * open schedule, as the model's trace: a burn that ends late
		 * starts the next at once, from its deadline) */
		ts.tv_nsec +=
		    (long)((i > 0 ? burn * 1e9 : 0) + 2e6 + drand48() * 8e6);
		while (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		int err;
		while ((err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					      &ts, NULL)) == EINTR)
			;
		if (err) {
			fprintf(stderr, "tickprobe: clock_nanosleep: %s\n",
				strerror(err));
			*stop = 1;
			return 1;
		}
		double due = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
		double first = now(CLOCK_MONOTONIC);
		double c0 = now(CLOCK_THREAD_CPUTIME_ID);
		while (now(CLOCK_THREAD_CPUTIME_ID) - c0 < burn)
			;
		wake[i] = first - due;
		done[i] = now(CLOCK_MONOTONIC) - due;
	}
	*stop = 1;
	for (int h = 0; h < hogs; h++)
		waitpid(pid[h], NULL, 0);
	printf("what,seconds\n");
	for (int i = 0; i < n; i++)
		printf("wake,%.9f\ndone,%.9f\n", wake[i], done[i]);
	for (int h = 0; h < hogs; h++)
		for (int i = 1; i < count[h]; i++) /* the first: a start */
			printf("stretch,%.9f\n",
			       stretch[(size_t)h * MAX_STRETCH + i]);
	free(wake);
	munmap(shm, size);
	return 0;
}
