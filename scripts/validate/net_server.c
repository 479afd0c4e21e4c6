/*
 * net_server.c - the network path without a server, for
 * scripts/validate-real.sh.
 *
 *   net_server PORT
 *
 * Listens on 127.0.0.1:PORT and, one connection at a time, accepts, reads
 * the request up to its blank line, writes a fixed 200 response with
 * `Connection: close`, and closes: the least work an HTTP server can do.
 * openloop's latency against it is the path every request of the real
 * servers also takes (the TCP handshake, the request and the response on
 * loopback, the wake-ups of the client and of an idle server core), plus
 * this server's own CPU (its process CPU clock, openloop -s), which the
 * real servers' measured CPU per request already holds. The difference is
 * the client's round trips, which validate-real.sh gives the scenarios as
 * `workload.client.rtt`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char RESPONSE[] = "HTTP/1.1 200 OK\r\n"
			       "Content-Type: text/plain\r\n"
			       "Content-Length: 2\r\n"
			       "Connection: close\r\n\r\nok";

/* Reads from fd until the end of the request's headers (or EOF, an error
 * or a full buffer). */
static void read_request(int fd)
{
	char buf[8192];
	size_t n = 0;
	while (n < sizeof buf - 1) {
		ssize_t k = read(fd, buf + n, sizeof buf - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		n += (size_t)k;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return;
	}
}

int main(int argc, char **argv)
{
	char *end;
	long port = argc == 2 ? strtol(argv[1], &end, 10) : 0;
	if (argc != 2 || *end || port < 1 || port > 65535) {
		fprintf(stderr, "usage: net_server PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(s, 511) < 0) {
		perror("net_server: 127.0.0.1");
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		read_request(c);
		size_t off = 0;
		while (off < sizeof RESPONSE - 1) {
			ssize_t k = write(c, RESPONSE + off,
					  sizeof RESPONSE - 1 - off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			off += (size_t)k;
		}
		close(c);
	}
}
