/*
 * openloop.c - an open-loop Poisson HTTP/1.1 load generator for
 * scripts/validate-real.sh.
 *
 *   openloop -p PORT -r RATE -d DURATION [-w WARMUP] [-t TIMEOUT]
 *            [-x SEED] [-s PID[,PID...]] -m WEIGHT:PATH [-m ...]
 *            [-L LABEL] [-l LATFILE] [-T SCHEDFILE]
 *
 * Sends requests to 127.0.0.1:PORT at the instants of a Poisson process of
 * RATE per second (exponential gaps drawn from a seeded xorshift, so a seed
 * gives the same schedule), during WARMUP + DURATION seconds; each request
 * picks its PATH by WEIGHT (drawn once per request, before the run). Each
 * request opens a new TCP connection and sends `Connection: close` (as
 * concsim models a request); the response is complete at EOF, or once its
 * Content-Length is read.
 *
 * Latency is measured from the request's *scheduled* send time, not from
 * when the connection was actually opened: if the generator (or the
 * kernel's accept queue) falls behind, the delay counts (no coordinated
 * omission). The measured window is [WARMUP, WARMUP + DURATION):
 *   throughput_rps  responses with status 200 completed inside the window,
 *                   divided by DURATION (what the server finished, as
 *                   concsim's throughput_rps);
 *   latency_s_*     over the requests scheduled inside the window that got
 *                   a 200 (they may complete after it: the generator keeps
 *                   reading until every request has an answer or TIMEOUT);
 *   errors          requests scheduled inside the window that failed:
 *                   refused (connect error), reset (closed or reset before
 *                   a full response), status (non-200), timeout (no full
 *                   response TIMEOUT seconds after the scheduled time: the
 *                   connection is closed, as a client that gives up);
 *   utilization_cpu the CPU time of the -s PIDs (process CPU clocks: every
 *                   thread, user + system) over the window, divided by
 *                   DURATION (0-1 for one core);
 *   send_lag_s_max, send_lag_s_p99  the delay between a scheduled send
 *                   and its connect() call (the generator's own lateness,
 *                   which counts in the latency): largest and 99th
 *                   percentile.
 * Prints one CSV row (no header unless -H): see HEADER below. With -l,
 * every measured request's `scheduled_s,latency_s,class,status` goes to
 * LATFILE. With -T, the whole schedule, warm-up included, goes to SCHEDFILE:
 * `time_s,class` per request (seconds from the start, the index of its -m
 * path), written before the first request is sent, so that a simulation can
 * replay the very arrivals the server saw (scripts/validate-real.sh turns it
 * into a concsim trace).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../benchlib.h"

#define MAXPATHS 16
#define RBUF	 2048

#define HEADER                                                                 \
	"label,offered_rps,throughput_rps,latency_s_mean,latency_s_p50,"       \
	"latency_s_p90,latency_s_p99,latency_s_max,utilization_cpu,"           \
	"scheduled,completed,errors_refused,errors_reset,errors_status,"       \
	"errors_timeout,send_lag_s_max,send_lag_s_p99"

enum state { PENDING, CONNECTING, READING, DONE };
enum { OK, E_REFUSED, E_RESET, E_STATUS, E_TIMEOUT };

struct req {
	double at;  /* scheduled send time, s from the start */
	double end; /* completion time */
	double lag; /* connect() call minus scheduled time */
	int cls;    /* index of its path */
	int fd;
	enum state st;
	int result;
	int status;
	long need;  /* bytes of the whole response once the head is known */
	long got;   /* bytes read */
	short hlen; /* bytes of head kept in head[] */
	char head[256];
};

static int port;
static double rate, duration, warmup, timeout_s = 10;
static int npaths;
static double weights[MAXPATHS];
static const char *paths[MAXPATHS];
static int ep;

static uint64_t rng = 88172645463325252ull;
static double unif(void) /* (0, 1) */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static void finish(struct req *r, int result, double t)
{
	if (r->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, r->fd, NULL);
		close(r->fd);
	}
	r->fd = -1;
	r->st = DONE;
	r->result = result;
	r->end = t;
}

static void start(struct req *r, double t)
{
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (r->fd < 0) {
		finish(r, E_REFUSED, t);
		return;
	}
	int one = 1;
	setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = r};
	r->st = CONNECTING;
	r->need = -1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, r->fd, &ev) != 0 ||
	    (connect(r->fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
	     errno != EINPROGRESS))
		finish(r, E_REFUSED, t);
}

static void on_writable(struct req *r, double t)
{
	int err = 0;
	socklen_t sl = sizeof err;
	getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
	if (err) {
		finish(r, E_REFUSED, t);
		return;
	}
	char buf[512];
	int n = snprintf(buf, sizeof buf,
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "User-Agent: concsim-validate\r\nAccept: */*\r\n"
			 "Connection: close\r\n\r\n",
			 paths[r->cls], port);
	if (write(r->fd, buf, (size_t)n) != n) {
		finish(r, E_RESET, t);
		return;
	}
	r->st = READING;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = r};
	epoll_ctl(ep, EPOLL_CTL_MOD, r->fd, &ev);
}

static void parse_head(struct req *r)
{
	r->head[r->hlen] = 0;
	char *end = strstr(r->head, "\r\n\r\n");
	if (!end)
		return;
	r->status = atoi(r->head + 9);
	long hl = (long)(end - r->head) + 4;
	char *cl = strcasestr(r->head, "\r\ncontent-length:");
	r->need = cl && cl < end ? hl + atol(cl + 17) : -2; /* -2: to EOF */
}

static void on_readable(struct req *r, double t)
{
	char buf[RBUF];
	ssize_t n;
	while ((n = read(r->fd, buf, sizeof buf)) > 0) {
		if (r->need == -1) {
			size_t k = sizeof r->head - 1 - (size_t)r->hlen;
			if ((size_t)n < k)
				k = (size_t)n;
			memcpy(r->head + r->hlen, buf, k);
			r->hlen += (short)k;
			parse_head(r);
		}
		r->got += n;
		if (r->need >= 0 && r->got >= r->need) {
			finish(r, r->status == 200 ? OK : E_STATUS, t);
			return;
		}
	}
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
		if (n == 0 && r->need == -2 && r->status)
			finish(r, r->status == 200 ? OK : E_STATUS, t);
		else if (r->status && r->status != 200)
			finish(r, E_STATUS, t);
		else
			finish(r, E_RESET, t);
	}
}

static double pct(const double *v, long n, double p)
{
	if (n == 0)
		return NAN;
	double k = p * (n - 1); /* linear interpolation between ranks */
	long i = (long)k;
	double f = k - (double)i;
	return i + 1 < n ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

static void usage(void)
{
	fprintf(stderr,
		"usage: openloop -p PORT -r RATE -d DURATION [-w WARMUP] "
		"[-t TIMEOUT] [-x SEED] [-s PIDS] -m WEIGHT:PATH... "
		"[-L LABEL] [-l LATFILE] [-T SCHEDFILE] [-H]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *label = "", *latfile = NULL, *schedfile = NULL;
	int o, header = 0;
	unsigned long seed = 1;
	while ((o = getopt(argc, argv, "p:r:d:w:t:x:s:m:L:l:T:H")) != -1) {
		switch (o) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'w':
			warmup = atof(optarg);
			break;
		case 't':
			timeout_s = atof(optarg);
			break;
		case 'x':
			seed = strtoul(optarg, NULL, 10);
			break;
		case 'L':
			label = optarg;
			break;
		case 'l':
			latfile = optarg;
			break;
		case 'T':
			schedfile = optarg;
			break;
		case 'H':
			header = 1;
			break;
		case 's':
			bench_add_pids(optarg);
			break;
		case 'm': {
			char *c = strchr(optarg, ':');
			if (!c || npaths == MAXPATHS)
				usage();
			*c = 0;
			weights[npaths] = atof(optarg);
			paths[npaths++] = c + 1;
			break;
		}
		default:
			usage();
		}
	}
	if (port <= 0 || rate <= 0 || duration <= 0 || warmup < 0 ||
	    npaths == 0 || timeout_s <= 0)
		usage();
	if (header) {
		printf("%s\n", HEADER);
		fflush(stdout);
	}
	rng ^= seed * 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 20; i++)
		unif();
	double wsum = 0;
	for (int i = 0; i < npaths; i++)
		wsum += weights[i];

	/* the schedule, drawn in full before the run */
	double horizon = warmup + duration;
	long cap = (long)(rate * horizon * 1.5) + 1000, n = 0;
	struct req *rq = calloc((size_t)cap, sizeof *rq);
	if (!rq)
		return 1;
	for (double t = -log(unif()) / rate; t < horizon;
	     t += -log(unif()) / rate) {
		if (n == cap) {
			cap *= 2;
			rq = realloc(rq, (size_t)cap * sizeof *rq);
			if (!rq)
				return 1;
		}
		double u = unif() * wsum, acc = 0;
		int c = 0;
		for (; c < npaths - 1; c++) {
			acc += weights[c];
			if (u < acc)
				break;
		}
		memset(&rq[n], 0, sizeof rq[n]);
		rq[n].at = t;
		rq[n].cls = c;
		rq[n].fd = -1;
		rq[n].st = PENDING;
		n++;
	}
	if (schedfile) {
		FILE *sf = fopen(schedfile, "w");
		if (!sf) {
			perror(schedfile);
			return 1;
		}
		fprintf(sf, "time_s,class\n");
		for (long i = 0; i < n; i++)
			fprintf(sf, "%.9f,%d\n", rq[i].at, rq[i].cls);
		if (fclose(sf) != 0) {
			perror(schedfile);
			return 1;
		}
	}

	ep = epoll_create1(0);
	/* the next wake-up as a timerfd (hrtimer: microseconds), not as
	 * epoll_wait's millisecond timeout, which would send up to 1 ms late */
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
	if (tfd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev) != 0)
		return 1;
	struct epoll_event evs[256];
	double t0 = bench_mono(), cpu0 = -1, cpu1 = -1, lagmax = 0;
	long next = 0, open = 0, oldest = 0;
	for (;;) {
		double t = bench_mono() - t0;
		if (cpu0 < 0 && t >= warmup)
			cpu0 = bench_server_cpu("openloop", 0);
		if (cpu1 < 0 && t >= horizon)
			cpu1 = bench_server_cpu("openloop", 0);
		while (next < n && rq[next].at <= t) {
			double lag = t - rq[next].at;
			if (lag > lagmax)
				lagmax = lag;
			rq[next].lag = lag;
			start(&rq[next], t);
			open += rq[next].st != DONE;
			next++;
		}
		/* time out the oldest open requests */
		while (oldest < next && (rq[oldest].st == DONE ||
					 t - rq[oldest].at > timeout_s)) {
			if (rq[oldest].st != DONE) {
				finish(&rq[oldest], E_TIMEOUT, t);
				open--;
			}
			oldest++;
		}
		if (next == n && open == 0 && cpu1 >= 0)
			break;
		double wake = next < n ? rq[next].at : t + 0.05;
		if (cpu0 < 0 && warmup < wake)
			wake = warmup;
		if (cpu1 < 0 && horizon < wake)
			wake = horizon;
		if (oldest < next && rq[oldest].at + timeout_s < wake)
			wake = rq[oldest].at + timeout_s;
		int k;
		if (wake <= t) {
			k = epoll_wait(ep, evs, 256, 0);
		} else {
			double a = t0 + wake;
			struct itimerspec its = {
			    .it_value = {
				.tv_sec = (time_t)a,
				.tv_nsec =
				    (long)((a - (double)(time_t)a) * 1e9)}};
			if (its.it_value.tv_sec == 0 &&
			    its.it_value.tv_nsec == 0)
				its.it_value.tv_nsec = 1;
			timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
			k = epoll_wait(ep, evs, 256, -1);
		}
		double tk = bench_mono() - t0;
		for (int e = 0; e < k; e++) {
			struct req *r = evs[e].data.ptr;
			if (!r) { /* the timer */
				uint64_t x;
				if (read(tfd, &x, sizeof x) < 0) {
				}
				continue;
			}
			if (r->st == CONNECTING)
				on_writable(r, tk);
			else if (r->st == READING)
				on_readable(r, tk);
			if (r->st == DONE)
				open--;
		}
	}

	/* figures */
	double *lat = malloc(sizeof(double) * (size_t)(n + 1));
	double *lags = malloc(sizeof(double) * (size_t)(n + 1));
	long nl = 0;
	long m = 0, sched = 0, inwin = 0, err[5] = {0};
	double sum = 0;
	FILE *lf = latfile ? fopen(latfile, "w") : NULL;
	if (lf)
		fprintf(lf, "scheduled_s,latency_s,class,result\n");
	for (long i = 0; i < n; i++) {
		struct req *r = &rq[i];
		if (r->result == OK && r->end >= warmup && r->end < horizon)
			inwin++;
		if (r->at < warmup)
			continue;
		sched++;
		err[r->result]++;
		lags[nl++] = r->lag;
		if (lf)
			fprintf(lf, "%.6f,%.6f,%d,%d\n", r->at - warmup,
				r->end - r->at, r->cls, r->result);
		if (r->result == OK) {
			lat[m++] = r->end - r->at;
			sum += r->end - r->at;
		}
	}
	if (lf)
		fclose(lf);
	qsort(lat, (size_t)m, sizeof *lat, bench_cmp);
	qsort(lags, (size_t)nl, sizeof *lags, bench_cmp);
	printf("%s,%.3f,%.3f,%.6f,%.6f,%.6f,%.6f,%.6f,%.4f,%ld,%ld,%ld,%ld,%ld,"
	       "%ld,%.6f,%.6f\n",
	       label, rate, inwin / duration, m ? sum / m : NAN,
	       pct(lat, m, .5), pct(lat, m, .9), pct(lat, m, .99),
	       m ? lat[m - 1] : NAN, bench_npids ? (cpu1 - cpu0) / duration : NAN,
	       sched, m, err[E_REFUSED], err[E_RESET], err[E_STATUS],
	       err[E_TIMEOUT], lagmax, nl ? pct(lags, nl, .99) : NAN);
	return 0;
}
