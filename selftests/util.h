/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the tcpfsm socket-API selftests (api_*.c).
 *
 * Every test runs once against Linux TCP (protocol 6, the reference) and
 * once against tcpfsm (protocol 253) with identical expectations.  The
 * helpers here hide the differences that are not part of the socket API:
 * sysctl names, connection-state tables and the test topology.
 */
#ifndef TCPFSM_SELFTEST_UTIL_H
#define TCPFSM_SELFTEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define PROTO_TCP	6
#define PROTO_TCPFSM	253

/* Side of a topology: the listening/accepting host and the connecting one. */
enum { SRV = 0, CLI = 1 };

/* Addresses of the two-host topology (RFC 2544 benchmark range). */
#define VETH_SRV_ADDR	"198.18.0.1"
#define VETH_CLI_ADDR	"198.18.0.2"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Upper bound for anything that should happen "soon" (packets, states). */
#define WAIT_MS		5000

/* ret < 0 ? -errno : ret, so that ASSERT_EQ(-EFOO, neg_errno(call())) works. */
static inline long neg_errno(long ret)
{
	return ret < 0 ? -errno : ret;
}

int proto_wanted(int proto);
int set_knob(int proto, const char *name, long val);
const char *conn_state(int proto, const struct sockaddr_in *local,
		       const struct sockaddr_in *remote);

int netns_private(void);
int veth_setup(int ns_fd[2]);
void veth_teardown(int ns_fd[2]);

/*
 * A test topology: server and client side, each a netns and an address.
 * On loopback both sides are the test's own private netns and 127.0.0.1;
 * over veth they are two netns joined by a veth pair.
 */
struct topo {
	int proto;
	bool veth;
	int ns[2];
	struct in_addr ip[2];
};

int topo_init(struct topo *t, int proto, bool veth);
void topo_fini(struct topo *t);
int topo_enter(const struct topo *t, int side);
int topo_socket(const struct topo *t, int side);
int topo_listen(const struct topo *t, int backlog, struct sockaddr_in *addr);
int topo_connect(const struct topo *t, const struct sockaddr_in *to);
int topo_pair(const struct topo *t, int *cli, int *srv);
void topo_fini_pair(struct topo *t, int cli, int srv);
int topo_knob(const struct topo *t, int side, const char *name, long val);
int topo_drop(const struct topo *t);
/* A counter of /proc/tcpfsm/stats in this thread's netns, or -errno */
long tcpfsm_stat(const char *name);
/* Segments the server side's listeners dropped for a full queue, or -errno */
long topo_listen_drops(const struct topo *t);
const char *topo_state(const struct topo *t, int side, const struct sockaddr_in *local,
		       const struct sockaddr_in *remote);
const char *topo_wait_state(const struct topo *t, int side, const struct sockaddr_in *local,
			    const struct sockaddr_in *remote, const char *want, int timeout_ms);

/* Socket and time helpers. */
struct sockaddr_in sin_make(struct in_addr ip, int port);
struct sockaddr_in sin_parse(const char *ip, int port);
bool sin_equal(const struct sockaddr_in *a, const struct sockaddr_in *b);
int sock_names(int fd, struct sockaddr_in *local, struct sockaddr_in *remote);
int bind_to(int fd, struct in_addr ip, int port);
int set_int_opt(int fd, int level, int opt, int val);
int get_int_opt(int fd, int level, int opt);
int set_timeout_opt(int fd, int opt, int ms);
int set_nonblock(int fd, bool on);
int close_fd(int *fd);
int abort_close(int *fd);
int connect_nb(int fd, const struct sockaddr_in *to);
int wait_revents(int fd, short events, int timeout_ms);
int wait_connected(int fd, int timeout_ms);
int wait_readable_err(int fd, int timeout_ms);
long long now_ms(void);
void sleep_ms(int ms);
ssize_t send_all(int fd, const void *buf, size_t len);
ssize_t recv_all(int fd, void *buf, size_t len);
ssize_t fill_sndbuf(int fd);
ssize_t drain(int fd, int timeout_ms);
int inq(int fd);
int outq(int fd);

/* Data and digests. */
void fill_pattern(void *buf, size_t len, unsigned int seed);
void sha256(const void *buf, size_t len, unsigned char out[32]);
int transfer(int a, int b, size_t len_ab, size_t len_ba, size_t chunk);

/* transfer() with its knobs; err[] is each thread's errno, see util.c. */
struct xfer {
	size_t len_ab, len_ba, chunk;
	int timeo_ms;		/* SO_SNDTIMEO/SO_RCVTIMEO, 0: 20 s */
	bool b_closes_last;	/* b sends its FIN after a's arrived */
	int err[4];
};

int transfer_x(int a, int b, struct xfer *x);
int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long proc_stat(const char *name);
bool is_debug_kernel(void);
int transfer_many(const struct topo *t, int nconn, size_t len);

/* Signals: a counting handler, installed with or without SA_RESTART. */
extern volatile sig_atomic_t sig_count;
int catch_signal(int sig, bool restart);

/*
 * Background actions: a thread that sleeps delay_ms and then performs one
 * socket operation, so that the main thread can block in a call and be
 * released by the peer (or by a signal) at a known point.
 */
enum later_op {
	LATER_SEND,		/* send(fd, buf, len) */
	LATER_SENDMSG,		/* sendmsg(fd, msg, 0) */
	LATER_DRAIN,		/* read fd until EOF, count bytes */
	LATER_SHUTDOWN,		/* shutdown(fd, how) */
	LATER_CLOSE,		/* close(fd) */
	LATER_CONNECT,		/* connect a new client socket to addr */
	LATER_SIGNAL,		/* pthread_kill(target, sig) */
};

struct later {
	enum later_op op;
	int delay_ms;
	int fd;
	int how;
	int sig;
	const void *buf;
	size_t len;
	const struct msghdr *msg;
	const struct topo *t;
	struct sockaddr_in addr;
	pthread_t target;
	pthread_t th;
	long ret;
	int err;
};

int later_start(struct later *l);
long later_join(struct later *l);

/*
 * Harness glue, only for files that included kselftest_harness.h first.
 * TOPO_SETUP is the whole FIXTURE_SETUP body: a protocol excluded by
 * TCPFSM_PROTOS is the only reason a test may skip; anything else fails.
 */
#ifdef __KSELFTEST_HARNESS_H
#define TOPO_SETUP(topo, proto, veth) do {					\
	if (!proto_wanted(proto))						\
		SKIP(return, "protocol %d not in TCPFSM_PROTOS", proto);	\
	ASSERT_EQ(0, topo_init(topo, proto, veth));				\
} while (0)

/* FIXTURE_SETUP body for fixtures holding { struct topo t; int cfd, sfd; }. */
#define PAIR_SETUP(veth) do {							\
	TOPO_SETUP(&self->t, variant->proto, veth);				\
	ASSERT_EQ(0, topo_pair(&self->t, &self->cfd, &self->sfd));		\
} while (0)
#endif

#endif /* TCPFSM_SELFTEST_UTIL_H */
