/*
 * loadgen.c - a small closed-loop HTTP/1.1 load generator for
 * scripts/calibrate.sh that measures the CPU time the server's processes
 * consume per request.
 *
 *   loadgen -p PORT -n N -c C [-k] [-w WARMUP] [-r REPS] [-P PATH]
 *           [-B BASEPATH -K K] [-t THINK_US] -s PID[,PID...] [-L LABEL]
 *
 * C connections each carry one request at a time to 127.0.0.1:PORT until N
 * requests have been answered (200, full body read). Without -k every
 * request opens a new connection and sends `Connection: close`; the server
 * closes after the response and we read to EOF. With -k connections are
 * kept alive. The CPU time of the server is the sum over the -s PIDs of
 * their process CPU clocks (clock_getcpuclockid: every thread, living or
 * ended, in nanoseconds; kernel work done in their context, such as
 * loopback TCP processing, included), read before and after each of REPS
 * repetitions of N requests, after WARMUP requests that are not measured.
 *
 * With -t, a connection waits THINK_US microseconds after each response
 * before its next request (polling, not sleeping, so that the wait is
 * what was asked to the microsecond: the client's core is its own), -t 0
 * none, but polling too, so that against another -t only the wait
 * differs, not the client's own wake-ups: with -c 1 the server idles for
 * that long, plus the network's legs, before every request
 * (scripts/calibrate-refill.sh's gap curve).
 *
 * With -B, each repetition sends N requests to BASEPATH and N to PATH, in
 * alternating slices of N / 10, and the figure is the difference of the
 * two CPU times divided by N * K: the cost of one of the K extra steps
 * PATH does per request.
 *
 * Prints one line: `LABEL median=.. min=.. max=.. n=REPS` (microseconds),
 * followed by extra fields: the requests per repetition, the concurrency,
 * the median wall time of a repetition (with -B: of both paths), the load
 * generator's own CPU per request, the share of the server's CPU time
 * spent in the kernel (from /proc/PID/stat ticks: coarse) and the errors
 * (connections refused or reset, non-200; such requests are retried).
 * Each repetition's value goes to stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../benchlib.h"

#define MAXCONN	    1024
#define BUFSZ	    65536
#define SLICES	    10	  /* -B: base and path alternate this often per rep */
#define REP_TIMEOUT 120.0 /* seconds: a repetition that takes longer fails */

enum state { IDLE, CONNECTING, READING };

struct conn {
	int fd;
	enum state st;
	size_t len;	 /* bytes in buf */
	long need;	 /* total bytes of the response once known, else -1 */
	int chunked;	 /* chunked body: read until the last chunk */
	int status;	 /* HTTP status once the head is read */
	double ready;	 /* -t: not before this (bench_mono) */
	char buf[BUFSZ]; /* the response so far */
};

static int port, conc = 1, keepalive, reps = 5;
static long nreq, warmup;
static const char *path = "/", *basepath, *label = "result";
static double kfactor = 1, think; /* -t, seconds */
static int polling;		  /* -t given: poll, never block */
static struct conn conns[MAXCONN];
static int ep;
static long errors;

/* User and system CPU ticks of spids from /proc/PID/stat (coarse: for the
 * share of kernel time only). */
static void server_ticks(double *user, double *sys)
{
	*user = *sys = 0;
	for (int i = 0; i < bench_npids; i++) {
		char fn[64], line[4096];
		snprintf(fn, sizeof fn, "/proc/%d/stat", (int)bench_pids[i]);
		FILE *f = fopen(fn, "r");
		if (!f)
			continue;
		size_t n = fread(line, 1, sizeof line - 1, f);
		fclose(f);
		line[n] = 0;
		char *p = strrchr(line, ')'); /* the name may hold spaces */
		unsigned long ut, st;
		if (p && sscanf(p + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
				"%*u %lu %lu",
				&ut, &st) == 2) {
			*user += (double)ut;
			*sys += (double)st;
		}
	}
}

static double self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/* A slot's request ended (answered, failed or to be tried again): with
 * -t, the next not before the think time. */
static void think_after(struct conn *c)
{
	if (think > 0)
		c->ready = bench_mono() + think;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st = IDLE;
	think_after(c);
}

static int send_request(struct conn *c, const char *p)
{
	char req[512];
	int n =
	    snprintf(req, sizeof req,
		     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		     "User-Agent: concsim-calibrate\r\nAccept: */*\r\n%s\r\n",
		     p, port, keepalive ? "" : "Connection: close\r\n");
	c->len = 0;
	c->need = -1;
	c->chunked = 0;
	c->status = 0;
	/* a few hundred bytes fit in any socket buffer: one write */
	if (write(c->fd, req, (size_t)n) != n)
		return -1;
	c->st = READING;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int open_conn(struct conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->st = CONNECTING;
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
	    errno != EINPROGRESS)
		return -1;
	return 0;
}

/* Parses the head in c->buf once it is complete: sets status, need or
 * chunked. Returns 0 while the head is incomplete. */
static int parse_head(struct conn *c)
{
	c->buf[c->len < BUFSZ ? c->len : BUFSZ - 1] = 0;
	char *end = strstr(c->buf, "\r\n\r\n");
	if (!end)
		return 0;
	size_t head = (size_t)(end - c->buf) + 4;
	c->status = atoi(c->buf + 9); /* "HTTP/1.1 200" */
	for (char *l = strstr(c->buf, "\r\n"); l && l < end;
	     l = strstr(l + 2, "\r\n")) {
		char *h = l + 2, *eol = strstr(h, "\r\n");
		if (!strncasecmp(h, "content-length:", 15))
			c->need = (long)head + atol(h + 15);
		else if (!strncasecmp(h, "transfer-encoding:", 18)) {
			char *v = strcasestr(h, "chunked");
			c->chunked = v && v < eol;
		}
	}
	if (c->need < 0 && !c->chunked)
		c->need = -2; /* until EOF */
	return 1;
}

/* The response in c is complete. */
static int complete(struct conn *c)
{
	if (c->status == 0 && !parse_head(c))
		return 0;
	if (c->chunked)
		return c->len >= 5 &&
		       !memcmp(c->buf + c->len - 5, "0\r\n\r\n", 5);
	return c->need >= 0 && (long)c->len >= c->need;
}

/* Runs n requests to p; returns the number answered with 200. */
static long run(const char *p, long n)
{
	long started = 0, done = 0, inflight = 0;
	double t0 = bench_mono();
	struct epoll_event evs[MAXCONN];
	for (;;) {
		/* start requests on idle slots */
		for (int i = 0; i < conc && started < n; i++) {
			struct conn *c = &conns[i];
			if (c->st != IDLE || (c->fd >= 0 && !keepalive) ||
			    (think > 0 && bench_mono() < c->ready))
				continue;
			if (c->fd >= 0) { /* a kept-alive connection */
				if (send_request(c, p) != 0) {
					conn_close(c);
					errors++;
					continue;
				}
			} else if (open_conn(c) != 0) {
				conn_close(c);
				errors++;
				continue;
			}
			started++;
			inflight++;
		}
		if (inflight == 0 && started >= n)
			break;
		if (bench_mono() - t0 > REP_TIMEOUT) {
			fprintf(stderr,
				"loadgen: %s: timed out after %ld of %ld "
				"requests\n",
				label, done, n);
			exit(3);
		}
		if (errors > n / 10 + 100) {
			fprintf(stderr, "loadgen: %s: %ld errors, giving up\n",
				label, errors);
			exit(3);
		}
		/* with a think time, poll: a wait of microseconds must not
		 * become the timeout's millisecond */
		int k = epoll_wait(ep, evs, conc, polling ? 0 : 1000);
		for (int e = 0; e < k; e++) {
			struct conn *c = evs[e].data.ptr;
			if (c->st == CONNECTING) {
				int err = 0;
				socklen_t sl = sizeof err;
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
					   &sl);
				if (err || send_request(c, p) != 0) {
					conn_close(c);
					errors++;
					inflight--;
					started--; /* try it again */
				}
				continue;
			}
			ssize_t r;
			int eof = 0;
			while ((r = read(c->fd, c->buf + c->len,
					 BUFSZ - 1 - c->len)) > 0) {
				c->len += (size_t)r;
				if (c->len >= BUFSZ - 1) {
					/* keep the head, drop the body */
					if (c->status == 0 && !parse_head(c))
						break;
					if (c->need >= 0)
						c->need -= (long)c->len - 4096;
					c->len = 4096;
				}
			}
			if (r == 0)
				eof = 1;
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				eof = -1;
			int ok = complete(c);
			if (ok && (keepalive ? 1 : eof == 1)) {
				if (c->status == 200)
					done++;
				else
					errors++;
				inflight--;
				if (keepalive && !eof) {
					c->st = IDLE; /* reuse it */
					think_after(c);
				} else {
					epoll_ctl(ep, EPOLL_CTL_DEL, c->fd,
						  NULL);
					conn_close(c);
				}
			} else if (eof) {
				/* closed (or reset) before a full response;
				 * with no length, EOF ends the body */
				if (eof == 1 && c->status == 200 &&
				    c->need == -2)
					done++;
				else {
					errors++;
					started--; /* try it again */
				}
				inflight--;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				conn_close(c);
			}
		}
	}
	return done;
}

static void usage(void)
{
	fprintf(stderr, "usage: loadgen -p PORT -n N -c C [-k] [-w WARMUP] "
			"[-r REPS] [-P PATH] [-B BASEPATH -K K] [-t THINK_US] "
			"-s PID[,PID...] [-L LABEL]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int o;
	while ((o = getopt(argc, argv, "p:n:c:kw:r:P:B:K:s:L:t:X:R:")) != -1) {
		switch (o) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			nreq = atol(optarg);
			break;
		case 'c':
			conc = atoi(optarg);
			break;
		case 'k':
			keepalive = 1;
			break;
		case 'w':
			warmup = atol(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'P':
			path = optarg;
			break;
		case 'B':
			basepath = optarg;
			break;
		case 'K':
			kfactor = atof(optarg);
			break;
		case 'L':
			label = optarg;
			break;
		case 't':
			think = atof(optarg) * 1e-6;
			polling = 1;
			break;
		case 's':
			bench_add_pids(optarg);
			break;
		default:
			usage();
		}
	}
	if (port <= 0 || nreq <= 0 || conc < 1 || conc > MAXCONN || reps < 1 ||
	    reps > 100 || bench_npids == 0 || kfactor <= 0 || !(think >= 0) ||
	    think > 10)
		usage();
	ep = epoll_create1(0);
	for (int i = 0; i < MAXCONN; i++)
		conns[i].fd = -1;

	if (warmup > 0) {
		if (basepath)
			run(basepath, warmup);
		run(path, warmup);
	}
	double val[100], wall[100], client[100], u0, s0t, u1, s1t;
	server_ticks(&u0, &s0t);
	for (int i = 0; i < reps; i++) {
		double t0 = bench_mono(), s0 = self_cpu(), cpu = 0, base = 0;
		if (basepath) {
			/* alternate in slices, so that a change of the
			 * machine's speed hits both alike */
			for (int k = 0; k < SLICES; k++) {
				long m = nreq / SLICES + (k < nreq % SLICES);
				double c0 = bench_server_cpu("loadgen", 1);
				if (run(basepath, m) != m)
					exit(3);
				double c1 = bench_server_cpu("loadgen", 1);
				if (run(path, m) != m)
					exit(3);
				base += c1 - c0;
				cpu += bench_server_cpu("loadgen", 1) - c1;
			}
		} else {
			double c0 = bench_server_cpu("loadgen", 1);
			if (run(path, nreq) != nreq)
				exit(3);
			cpu = bench_server_cpu("loadgen", 1) - c0;
		}
		wall[i] = bench_mono() - t0;
		client[i] =
		    (self_cpu() - s0) / (basepath ? 2 * nreq : nreq) * 1e6;
		val[i] = (cpu - base) / nreq / kfactor * 1e6;
		fprintf(stderr,
			"  %s rep %d: %.2f us (server cpu %.3f s over "
			"%.2f s wall)\n",
			label, i + 1, val[i], cpu, wall[i]);
	}
	server_ticks(&u1, &s1t);
	double ticks = (u1 - u0) + (s1t - s0t);
	double lo, hi, med = bench_summary(val, reps, &lo, &hi);
	printf("%s median=%.2f min=%.2f max=%.2f n=%d requests=%ld conc=%d "
	       "wall_s=%.4f client_us=%.1f server_sys_pct=%.0f errors=%ld\n",
	       label, med, lo, hi, reps, nreq, conc, bench_median(wall, reps),
	       bench_median(client, reps),
	       ticks > 0 ? 100 * (s1t - s0t) / ticks : 0, errors);
	return 0;
}
