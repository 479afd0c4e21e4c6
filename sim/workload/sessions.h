/*
 * sessions.h - the client side of connections (sessions.c): the pool of
 * HTTP connections clients keep alive between requests
 * (workload.connections), and long-lived sessions, WebSocket or SSE
 * connections that stay open and carry messages (workload.sessions).
 */
#ifndef SIM_SESSIONS_H
#define SIM_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/kernel.h"
#include "kernel/rng.h"
#include "kernel/stats.h"
#include "runtime/model.h"
#include "workload/workload.h"

/* One client connection: requests it may still carry, and since when it
 * is idle. */
struct sim_conn {
	uint32_t left;
	double t_idle;
};

/* How long after the client sends it a request reaches the server, over
 * a network of round trip rtt (workload.client.rtt), on a connection as
 * r->conn says. A kept-alive connection: half a round trip. A new one:
 * the TCP handshake first (SYN, SYN-ACK), the request going with the
 * ACK, 1.5 round trips; with TLS, TLS 1.3's full handshake one more
 * (ClientHello, ServerHello ... Finished; the request goes with the
 * client's Finished: RFC 8446, section 2). */
static inline double sim_net_out(uint8_t conn, double rtt)
{
	if (conn & SIM_CONN_REUSED)
		return 0.5 * rtt;
	return (conn & SIM_CONN_TLS ? 2.5 : 1.5) * rtt;
}

/* The clients' connections to one system. With reuse 1 (the default), or
 * a server that closes every connection, it is off and every attempt
 * opens a connection; else a closed-loop user keeps its own connection
 * and open arrivals take the idle connection used last (a client pool,
 * LIFO), opening one when none is idle. A connection idle for the
 * server's keepalive_timeout is closed by the server. */
struct sim_connpool {
	bool on, per_user, geometric;
	bool slow;	  /* on, or TLS: attempts need more than nothing */
	uint8_t newflags; /* r->conn of an attempt on a new connection */
	double reuse, keepalive;
	struct sim_stream st; /* requests per connection (geometric) */
	struct sim_conn *v;
	uint32_t n, cap;
	uint32_t *idle, nidle;	/* open arrivals: idle connections (stack) */
	uint32_t *freel, nfree; /* closed slots of v */
	uint64_t opened;	/* since the reset */
};

/* Sets the pool up for system `sys`. Returns 0 or SIM_ENOMEM. */
int sim_connpool_init(struct sim_connpool *p, const struct sim_workload *wl,
		      const struct sim_system *sys, uint64_t seed,
		      uint32_t rep);
void sim_connpool_release(struct sim_connpool *p);
int sim__connpool_acquire(struct sim_connpool *p, struct sim_request *r,
			  double now);
/* Attempt r (r->conn zero) takes a connection: sets r->conn (and, from
 * the pool, SIM_CONN_POOLED and r->client: the connection). Returns 0 or
 * SIM_ENOMEM. Inline: by default (reuse 1, no TLS) it does nothing. */
static inline int sim_connpool_acquire(struct sim_connpool *p,
				       struct sim_request *r, double now)
{
	if (!p->slow)
		return 0;
	if (!p->on) {
		r->conn = p->newflags;
		return 0;
	}
	return sim__connpool_acquire(p, r, now);
}
/* r's attempt (SIM_CONN_POOLED) is over: its connection stays open for
 * the next request when `ok` and it may carry more, else it is closed. */
void sim_connpool_put(struct sim_connpool *p, struct sim_request *r, bool ok,
		      double now);

/* One session of the clients. */
struct sim_sess {
	/* the session's request, from the client's sending it to the
	 * server's end of it, or NULL */
	struct sim_request *holder;
	sim_ev msg_ev; /* its next message */
	bool open;     /* the client knows it open (it sends messages) */
	uint8_t ended; /* with a network: how it ended, on the way back */
};

/* The sessions of one simulation. */
struct sim_sessrun {
	struct sim *s;
	const struct sim_workload *wl;
	const struct sim_sessions *cfg;
	struct sim_reqpool *pool;
	const struct sim_instance *inst;
	double horizon;	  /* a session that lives for the run ends after it */
	double cpu_scale; /* the system's: multiplies the messages' cpu */
	double rtt;	  /* workload.client.rtt */
	uint8_t newflags;
	struct sim_stream life, msg, bcast;
	struct sim_sess *v;
	uint32_t open;
	uint64_t next_id;
	int err;
	/* since the reset */
	struct sim_tw open_tw;
	uint64_t refused, killed, messages, failed;
	struct sim_hist lat; /* per message */
	double t_reset;
};

/* Sets up the sessions of workload wl (none if it has none) and schedules
 * their openings. Returns 0 or SIM_ENOMEM. */
int sim_sessrun_init(struct sim_sessrun *sr, struct sim *s,
		     const struct sim_scenario *sc, struct sim_reqpool *pool,
		     const struct sim_instance *inst, uint8_t newflags,
		     uint32_t rep);
void sim_sessrun_release(struct sim_sessrun *sr);
/* port.opened: session r is open. */
void sim_sessrun_opened(struct sim_sessrun *sr, struct sim_request *r);
/* port.done for a session or a message (r->conn says which); frees r. */
void sim_sessrun_done(struct sim_sessrun *sr, struct sim_request *r,
		      enum sim_outcome o, bool measuring);
void sim_sessrun_reset_stats(struct sim_sessrun *sr, double now);
/* Appends the `sessions` figures. Returns 0 or SIM_ENOMEM. */
int sim_sessrun_report(struct sim_sessrun *sr, struct sim_metrics *m);

#endif
