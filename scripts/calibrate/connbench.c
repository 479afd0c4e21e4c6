/*
 * connbench.c - the server CPU of a connection, for calibrate-conn.sh.
 *
 *   connbench -p PORT -n N [-c C] [-k] [-T] [-w WARMUP] [-r REPS]
 *             -s PID[,PID...] [-L LABEL]
 *
 * C client processes (fork) each send their share of N HTTP/1.1 GET / to
 * 127.0.0.1:PORT one after the other, with blocking sockets. Without -k each
 * request opens a new connection (`Connection: close`, read to EOF); with
 * -k each process keeps one connection for all its requests. -T speaks TLS
 * (OpenSSL, TLS_client_method: TLS 1.3 with this Debian; no certificate
 * check; a new SSL object and no session cache per connection, so every
 * new connection is a full handshake, no resumption). Like loadgen.c, the
 * figure is the server's CPU time (the sum of the -s PIDs' process CPU
 * clocks) per request over N requests, REPS times after WARMUP requests;
 * prints `LABEL median=.. min=.. max=.. n=REPS` in microseconds, each
 * repetition on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../benchlib.h"

static int port, keep, tls, conc = 1;
static SSL_CTX *ctx;

struct conn {
	int fd;
	SSL *ssl;
};

static int c_open(struct conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((unsigned short)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		return -1;
	c->ssl = NULL;
	if (tls) {
		c->ssl = SSL_new(ctx);
		SSL_set_fd(c->ssl, c->fd);
		if (SSL_connect(c->ssl) != 1)
			return -1;
	}
	return 0;
}

static void c_close(struct conn *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	close(c->fd);
}

static int c_write(struct conn *c, const char *b, int n)
{
	return c->ssl ? SSL_write(c->ssl, b, n)
		      : (int)write(c->fd, b, (size_t)n);
}

static int c_read(struct conn *c, char *b, int n)
{
	return c->ssl ? SSL_read(c->ssl, b, n) : (int)read(c->fd, b, (size_t)n);
}

/* one request; returns 0 when answered with 200 */
static int request(struct conn *c)
{
	char req[256], buf[16384];
	int n =
	    snprintf(req, sizeof req,
		     "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		     "User-Agent: concsim-calibrate\r\nAccept: */*\r\n%s\r\n",
		     port, keep ? "" : "Connection: close\r\n");
	if (c_write(c, req, n) != n)
		return -1;
	long len = 0, need = -1;
	int status = 0;
	for (;;) {
		int r = c_read(c, buf + len, (int)(sizeof buf - 1 - len));
		if (r <= 0)
			return (!keep && status == 200 &&
				(need < 0 || len >= need))
				   ? 0
				   : -1;
		len += r;
		buf[len] = 0;
		if (!status) {
			char *end = strstr(buf, "\r\n\r\n");
			if (end) {
				status = atoi(buf + 9);
				char *cl =
				    strcasestr(buf, "\r\ncontent-length:");
				if (cl && cl < end)
					need = (end - buf) + 4 + atol(cl + 17);
			}
		}
		if (keep && need >= 0 && len >= need)
			return status == 200 ? 0 : -1;
		if (len >= (long)sizeof buf - 1)
			return -1;
	}
}

/* a client process: m requests */
static int client(long m)
{
	struct conn c;
	int opened = 0;
	for (long i = 0; i < m; i++) {
		if (!opened) {
			if (c_open(&c) != 0)
				return 1;
			opened = 1;
		}
		if (request(&c) != 0)
			return 1;
		if (!keep) {
			c_close(&c);
			opened = 0;
		}
	}
	if (opened)
		c_close(&c);
	return 0;
}

static int run(long n)
{
	pid_t kids[256];
	for (int i = 0; i < conc; i++) {
		long m = n / conc + (i < n % conc);
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(client(m));
	}
	int bad = 0;
	for (int i = 0; i < conc; i++) {
		int st;
		waitpid(kids[i], &st, 0);
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	}
	return bad;
}

int main(int argc, char **argv)
{
	long n = 0, warm = 0;
	int reps = 5, o;
	const char *label = "result";
	while ((o = getopt(argc, argv, "p:n:c:kTw:r:s:L:")) != -1) {
		switch (o) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			n = atol(optarg);
			break;
		case 'c':
			conc = atoi(optarg);
			break;
		case 'k':
			keep = 1;
			break;
		case 'T':
			tls = 1;
			break;
		case 'w':
			warm = atol(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'L':
			label = optarg;
			break;
		case 's':
			bench_add_pids(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: connbench -p PORT -n N [-c C] [-k] "
				"[-T] [-w W] [-r REPS] -s PIDS [-L LABEL]\n");
			return 2;
		}
	}
	if (port <= 0 || n <= 0 || conc < 1 || conc > 256 || reps < 1 ||
	    reps > 100 || !bench_npids)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (tls) {
		ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	if (warm && run(warm)) {
		fprintf(stderr, "connbench: %s: warm-up failed\n", label);
		return 3;
	}
	double v[100];
	for (int i = 0; i < reps; i++) {
		double c0 = bench_server_cpu("connbench", 1);
		if (run(n)) {
			fprintf(stderr, "connbench: %s: requests failed\n",
				label);
			return 3;
		}
		v[i] = (bench_server_cpu("connbench", 1) - c0) / n * 1e6;
		fprintf(stderr, "  %s rep %d: %.2f us\n", label, i + 1, v[i]);
	}
	double lo, hi, med = bench_summary(v, reps, &lo, &hi);
	printf("%s median=%.2f min=%.2f max=%.2f n=%d requests=%ld conc=%d\n",
	       label, med, lo, hi, reps, n, conc);
	return 0;
}
