// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers for the tcpfsm socket-API selftests: protocol selection,
 * per-protocol sysctls and connection states, private netns topologies
 * (loopback or a veth pair between two netns), socket shortcuts, data
 * transfer with sha256 checks and background actions.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <openssl/evp.h>

#include "util.h"

int proto_wanted(int proto)
{
	const char *env = getenv("TCPFSM_PROTOS");
	char buf[256], *tok, *save;

	/* Unset means every protocol; "6,253" and "6 253" both work. */
	if (!env || !*env)
		return 1;
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		if (atoi(tok) == proto)
			return 1;
	return 0;
}

static int write_sysctl(const char *path, long val)
{
	char buf[32];
	int fd, len, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%ld\n", val);
	if (write(fd, buf, len) != len)
		ret = -errno ?: -EIO;
	close(fd);
	return ret;
}

/*
 * Generic knob names to the per-netns sysctl of each protocol.  tcp_fin_timeout
 * is in seconds, so milliseconds are rounded up.  TCP has no MSL knob (its
 * TIME_WAIT is a fixed 60 s), hence -ENOENT, which tests turn into a SKIP.
 */
int set_knob(int proto, const char *name, long val)
{
	static const struct {
		const char *name, *tcp, *tcpfsm;
		long tcp_div;
	} knobs[] = {
		{ "syn_retries", "tcp_syn_retries", "syn_retries", 1 },
		{ "retries", "tcp_retries2", "retries", 1 },
		{ "fin_timeout_ms", "tcp_fin_timeout", "fin_timeout_ms", 1000 },
		{ "msl_ms", NULL, "msl_ms", 1 },
		{ "window_scaling", "tcp_window_scaling", "window_scaling", 1 },
	};
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		if (strcmp(knobs[i].name, name))
			continue;
		if (proto == PROTO_TCPFSM) {
			snprintf(path, sizeof(path), "/proc/sys/net/tcpfsm/%s", knobs[i].tcpfsm);
			return write_sysctl(path, val);
		}
		if (proto != PROTO_TCP)
			return -EINVAL;
		if (!knobs[i].tcp)
			return -ENOENT;
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", knobs[i].tcp);
		return write_sysctl(path, (val + knobs[i].tcp_div - 1) / knobs[i].tcp_div);
	}
	return -EINVAL;
}

/* /proc/net/tcp "st" codes (include/net/tcp_states.h) in RFC 9293 spelling. */
static const char *const tcp_st_names[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECEIVED",
	[4] = "FIN_WAIT_1", [5] = "FIN_WAIT_2", [6] = "TIME_WAIT",
	[7] = "CLOSED", [8] = "CLOSE_WAIT", [9] = "LAST_ACK",
	[10] = "LISTEN", [11] = "CLOSING", [12] = "SYN_RECEIVED",
};

static const char *const fsm_st_names[] = {
	"LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT", "CLOSED",
};

static bool match(const struct sockaddr_in *a, unsigned int ip, unsigned int port)
{
	return a->sin_addr.s_addr == ip && ntohs(a->sin_port) == port;
}

static const char *tcp_state(FILE *f, const struct sockaddr_in *local,
			     const struct sockaddr_in *remote)
{
	unsigned int lip, lport, rip, rport, st;
	char line[512];

	/* Addresses are the raw __be32 printed with %08X, ports in host order. */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %8X:%4X %8X:%4X %2X", &lip, &lport, &rip, &rport,
			   &st) != 5)
			continue;
		if (match(local, lip, lport) && match(remote, rip, rport) &&
		    st < ARRAY_SIZE(tcp_st_names))
			return tcp_st_names[st];
	}
	return NULL;
}

static int parse_ep(const char *s, unsigned int *ip, unsigned int *port)
{
	unsigned int a, b, c, d;

	if (sscanf(s, "%u.%u.%u.%u:%u", &a, &b, &c, &d, port) != 5)
		return -1;
	*ip = htonl(a << 24 | b << 16 | c << 8 | d);
	return 0;
}

static const char *fsm_state(FILE *f, const struct sockaddr_in *local,
			     const struct sockaddr_in *remote)
{
	char line[512], ls[64], rs[64], st[32];
	unsigned int lip, lport, rip, rport;
	size_t i;

	if (!fgets(line, sizeof(line), f))	/* header */
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %63s %31s", ls, rs, st) != 3 ||
		    parse_ep(ls, &lip, &lport) || parse_ep(rs, &rip, &rport))
			continue;
		if (!match(local, lip, lport) || !match(remote, rip, rport))
			continue;
		for (i = 0; i < ARRAY_SIZE(fsm_st_names); i++)
			if (!strcmp(st, fsm_st_names[i]))
				return fsm_st_names[i];
	}
	return NULL;
}

const char *conn_state(int proto, const struct sockaddr_in *local,
		       const struct sockaddr_in *remote)
{
	const char *state;
	FILE *f;

	/* thread-self: the table of the netns this thread is in (setns). */
	f = fopen(proto == PROTO_TCP ? "/proc/thread-self/net/tcp" : "/proc/tcpfsm/conns",
		  "re");
	if (!f)
		return NULL;
	state = proto == PROTO_TCP ? tcp_state(f, local, remote) : fsm_state(f, local, remote);
	fclose(f);
	return state;
}

/* A counter of /proc/tcpfsm/stats in the calling thread's netns, or -1. */
long proc_stat(const char *name)
{
	char line[128], key[64];
	long val, ret = -1;
	FILE *f = fopen("/proc/tcpfsm/stats", "re");

	if (!f)
		return -1;
	while (ret < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &val) == 2 && !strcmp(key, name))
			ret = val;
	fclose(f);
	return ret;
}

/*
 * The debug kernel (KASAN, kmemleak, lockdep; scripts/debug-kernel.config)
 * is a plain kernel.org release; Debian's releases end in "-amd64".  Tests
 * use smaller counts there and say so.  TCPFSM_DEBUG_KERNEL=0/1 overrides.
 */
bool is_debug_kernel(void)
{
	const char *env = getenv("TCPFSM_DEBUG_KERNEL");
	struct utsname u;

	if (env && *env)
		return atoi(env);
	if (uname(&u) < 0)
		return false;
	return !strstr(u.release, "-amd64");
}

static int link_up(const char *name)
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Move the calling thread into a fresh netns with only lo, and bring lo up. */
int netns_private(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	return link_up("lo");
}

/* A shell command (in the calling thread's netns); 0 or -1, logged. */
int run_cmd(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret) {
		fprintf(stderr, "# command failed (%d): %s\n", ret, cmd);
		return -1;
	}
	return 0;
}

/*
 * Two named netns (unique by pid) joined by a veth pair, 198.18.0.1/24 on
 * ns_fd[SRV] and 198.18.0.2/24 on ns_fd[CLI].  Once the fds are open the
 * names are deleted again: the netns live exactly as long as the fds and
 * sockets in them, so a test killed by the harness timeout leaks nothing.
 */
int veth_setup(int ns_fd[2])
{
	static const char *const addr[2] = { VETH_SRV_ADDR, VETH_CLI_ADDR };
	char name[2][32], path[96];
	int i, ret = 0;

	ns_fd[SRV] = ns_fd[CLI] = -1;
	for (i = 0; i < 2; i++)
		snprintf(name[i], sizeof(name[i]), "tcpfsm-%d-%c", getpid(), "sc"[i]);
	ret = run_cmd("ip netns add %s && ip netns add %s", name[SRV], name[CLI]) ?:
	      run_cmd("ip link add veth0 netns %s type veth peer name veth0 netns %s",
		  name[SRV], name[CLI]);
	for (i = 0; i < 2 && !ret; i++) {
		ret = run_cmd("ip -n %1$s link set lo up && ip -n %1$s link set veth0 up", name[i]) ?:
		      run_cmd("ip -n %s addr add %s/24 dev veth0", name[i], addr[i]);
		snprintf(path, sizeof(path), "/run/netns/%s", name[i]);
		ns_fd[i] = ret ? -1 : open(path, O_RDONLY | O_CLOEXEC);
		if (ns_fd[i] < 0)
			ret = -1;
	}
	run_cmd("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true",
	    name[SRV], name[CLI]);
	if (ret)
		veth_teardown(ns_fd);
	return ret;
}

void veth_teardown(int ns_fd[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		if (ns_fd[i] >= 0)
			close(ns_fd[i]);
		ns_fd[i] = -1;
	}
}

int topo_init(struct topo *t, int proto, bool veth)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->proto = proto;
	t->veth = veth;
	t->ns[SRV] = t->ns[CLI] = -1;
	ret = netns_private();
	if (ret)
		return ret;
	if (veth) {
		inet_pton(AF_INET, VETH_SRV_ADDR, &t->ip[SRV]);
		inet_pton(AF_INET, VETH_CLI_ADDR, &t->ip[CLI]);
		return veth_setup(t->ns);
	}
	t->ip[SRV].s_addr = t->ip[CLI].s_addr = htonl(INADDR_LOOPBACK);
	t->ns[SRV] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	t->ns[CLI] = dup(t->ns[SRV]);
	return t->ns[SRV] < 0 || t->ns[CLI] < 0 ? -errno : 0;
}

void topo_fini(struct topo *t)
{
	/* Loopback or veth, all there is to release is the two netns fds. */
	veth_teardown(t->ns);
}

/* Only the calling thread changes netns; a socket stays where it was made. */
int topo_enter(const struct topo *t, int side)
{
	return setns(t->ns[side], CLONE_NEWNET) < 0 ? -errno : 0;
}

int topo_socket(const struct topo *t, int side)
{
	int ret = topo_enter(t, side);

	if (ret)
		return ret;
	ret = socket(AF_INET, SOCK_STREAM, t->proto);
	return ret < 0 ? -errno : ret;
}

/* Close @fd after a failed call; returns that call's -errno. */
static int close_keep_errno(int fd)
{
	int err = -errno;

	close(fd);
	return err;
}

int topo_listen(const struct topo *t, int backlog, struct sockaddr_in *addr)
{
	int fd = topo_socket(t, SRV);

	if (fd < 0)
		return fd;
	if (bind_to(fd, t->ip[SRV], 0) < 0 || listen(fd, backlog) < 0 ||
	    sock_names(fd, addr, NULL) < 0)
		return close_keep_errno(fd);
	return fd;
}

int topo_connect(const struct topo *t, const struct sockaddr_in *to)
{
	int fd = topo_socket(t, CLI);

	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
		return close_keep_errno(fd);
	return fd;
}

/*
 * A connected pair: *cli on the client side, *srv accepted on the server,
 * both blocking.  Each step is bounded by WAIT_MS, so a broken protocol
 * fails the fixture quickly instead of hanging until the harness timeout.
 */
int topo_pair(const struct topo *t, int *cli, int *srv)
{
	struct sockaddr_in addr;
	int lfd, ret;

	*cli = *srv = -1;
	lfd = topo_listen(t, 1, &addr);
	if (lfd < 0)
		return lfd;
	*cli = topo_socket(t, CLI);
	ret = *cli < 0 ? *cli : connect_nb(*cli, &addr);
	if (ret == -EINPROGRESS)
		ret = wait_connected(*cli, WAIT_MS);
	ret = ret ?: set_nonblock(*cli, false);
	ret = ret ?: wait_revents(lfd, POLLIN, WAIT_MS);
	if (ret > 0) {
		*srv = accept(lfd, NULL, NULL);
		ret = *srv < 0 ? -errno : 0;
	} else if (!ret) {
		ret = -ETIMEDOUT;
	}
	if (ret && *cli >= 0) {
		close(*cli);
		*cli = -1;
	}
	close(lfd);
	return ret;
}

void topo_fini_pair(struct topo *t, int cli, int srv)
{
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
	topo_fini(t);
}

int topo_knob(const struct topo *t, int side, const char *name, long val)
{
	int ret = topo_enter(t, side);

	return ret ? ret : set_knob(t->proto, name, val);
}

/* The value under @name in a "Name: a b c" / "Name: 1 2 3" pair of lines. */
static long netstat_value(FILE *f, const char *prefix, const char *name)
{
	char keys[4096], vals[4096], *k, *v, *ks, *vs;

	while (fgets(keys, sizeof(keys), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(keys, prefix, strlen(prefix)))
			continue;
		k = strtok_r(keys, "\n ", &ks);
		v = strtok_r(vals, "\n ", &vs);
		while (k && v) {
			if (!strcmp(k, name))
				return strtol(v, NULL, 10);
			k = strtok_r(NULL, "\n ", &ks);
			v = strtok_r(NULL, "\n ", &vs);
		}
	}
	return -ENOENT;
}

/* The value of a "Name value" line. */
static long stat_line_value(FILE *f, const char *name)
{
	char key[128];
	long val;

	while (fscanf(f, "%127s %ld", key, &val) == 2)
		if (!strcmp(key, name))
			return val;
	return -ENOENT;
}

long tcpfsm_stat(const char *name)
{
	FILE *f = fopen("/proc/tcpfsm/stats", "re");
	long ret;

	if (!f)
		return -errno;
	ret = stat_line_value(f, name);
	fclose(f);
	return ret;
}

/* TCP counts them as TcpExt ListenDrops, tcpfsm as DropListenOverflow. */
long topo_listen_drops(const struct topo *t)
{
	long ret = topo_enter(t, SRV);
	FILE *f;

	if (ret)
		return ret;
	if (t->proto != PROTO_TCP)
		return tcpfsm_stat("DropListenOverflow");
	f = fopen("/proc/thread-self/net/netstat", "re");
	if (!f)
		return -errno;
	ret = netstat_value(f, "TcpExt:", "ListenDrops");
	fclose(f);
	return ret;
}

/*
 * Make everything the server netns sends to the client vanish, so SYNs get
 * no answer (no SYN-ACK, no RST).  The route only affects packets leaving
 * the server; ARP replies do not use it, so the client never sees a
 * neighbour failure (which would turn into EHOSTUNREACH).
 */
int topo_drop(const struct topo *t)
{
	if (!t->veth || topo_enter(t, SRV))
		return -EOPNOTSUPP;
	return run_cmd("ip route add blackhole %s/32", VETH_CLI_ADDR);
}

const char *topo_state(const struct topo *t, int side, const struct sockaddr_in *local,
		       const struct sockaddr_in *remote)
{
	if (topo_enter(t, side))
		return NULL;
	return conn_state(t->proto, local, remote);
}

/* Poll the state table until the connection is in @want (NULL: gone). */
const char *topo_wait_state(const struct topo *t, int side, const struct sockaddr_in *local,
			    const struct sockaddr_in *remote, const char *want, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	const char *st;

	for (;;) {
		st = topo_state(t, side, local, remote);
		if (st == want || (st && want && !strcmp(st, want)) || now_ms() >= end)
			return st;
		sleep_ms(10);
	}
}

struct sockaddr_in sin_make(struct in_addr ip, int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr = ip,
	};

	return sin;
}

struct sockaddr_in sin_parse(const char *ip, int port)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	return sin_make(a, port);
}

bool sin_equal(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == b->sin_family && a->sin_port == b->sin_port &&
	       a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* getsockname/getpeername into either pointer; NULL skips that call. */
int sock_names(int fd, struct sockaddr_in *local, struct sockaddr_in *remote)
{
	socklen_t len = sizeof(*local);

	if (local && getsockname(fd, (struct sockaddr *)local, &len) < 0)
		return -errno;
	len = sizeof(*remote);
	if (remote && getpeername(fd, (struct sockaddr *)remote, &len) < 0)
		return -errno;
	return 0;
}

int bind_to(int fd, struct in_addr ip, int port)
{
	struct sockaddr_in sin = sin_make(ip, port);

	return bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ? -errno : 0;
}

int set_int_opt(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) < 0 ? -errno : 0;
}

int get_int_opt(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int val;

	if (getsockopt(fd, level, opt, &val, &len) < 0)
		return -errno;
	return len == sizeof(int) ? val : -EMSGSIZE;
}

int set_timeout_opt(int fd, int opt, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)) < 0 ? -errno : 0;
}

int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

/* close() an fd a fixture owns and mark it closed, so teardown skips it. */
int close_fd(int *fd)
{
	int ret = close(*fd);

	*fd = -1;
	return ret < 0 ? -errno : 0;
}

/* close() with SO_LINGER {1, 0}: abort the connection with a RST. */
int abort_close(int *fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		return -errno;
	return close_fd(fd);
}

/* Start a non-blocking connect; returns connect()'s result as -errno. */
int connect_nb(int fd, const struct sockaddr_in *to)
{
	int ret = set_nonblock(fd, true);

	if (ret)
		return ret;
	return connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0 ? -errno : 0;
}

/* revents of one poll() (0 on timeout); POLLERR and POLLHUP always count. */
int wait_revents(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret < 0)
		return -errno;
	return ret ? pfd.revents : 0;
}

/* Wait for a non-blocking connect: 0, -SO_ERROR, or -EINPROGRESS on timeout. */
int wait_connected(int fd, int timeout_ms)
{
	int ret = wait_revents(fd, POLLOUT, timeout_ms);

	if (ret < 0)
		return ret;
	if (!ret)
		return -EINPROGRESS;
	ret = get_int_opt(fd, SOL_SOCKET, SO_ERROR);
	return ret < 0 ? ret : -ret;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

ssize_t send_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0)
			return done ? (ssize_t)done : -errno;
		done += n;
	}
	return done;
}

/* Read up to len bytes, stopping early only at EOF. */
ssize_t recv_all(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = recv(fd, (char *)buf + done, len - done, 0);
		if (n < 0)
			return done ? (ssize_t)done : -errno;
		if (!n)
			break;
		done += n;
	}
	return done;
}

/*
 * Queue data until send() would block and keeps blocking (the peer is not
 * reading, so its window and our send buffer are full): bytes queued.
 * POLLOUT needs a third of the buffer free while send() needs only a
 * little, so after a quiet spell one more send() decides.
 */
ssize_t fill_sndbuf(int fd)
{
	static const char buf[65536];
	ssize_t n, total = 0;
	bool quiet = false;

	for (;;) {
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0) {
			total += n;
			quiet = false;
			continue;
		}
		if (errno != EAGAIN)
			return -errno;
		/*
		 * Full only if it stays full: ACKs still on their way (slow
		 * under emulation, slower on the debug kernel) free space,
		 * and TCP's POLLOUT waits for a third of the buffer, so a
		 * quiet poll alone does not mean a small send would block.
		 */
		if (quiet) {
			sleep_ms(300);
			n = send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN)
				return total;
			if (n < 0)
				return -errno;
			total += n;
			quiet = false;
			continue;
		}
		n = wait_revents(fd, POLLOUT, 200);
		if (n < 0)
			return n;
		if (n & (POLLERR | POLLHUP))
			return -EPIPE;
		quiet = !n;
	}
}

/* Read until EOF; bytes read, or -errno (-ETIMEDOUT if data stops coming). */
ssize_t drain(int fd, int timeout_ms)
{
	char buf[16384];
	ssize_t n, total = 0;

	for (;;) {
		n = wait_revents(fd, POLLIN, timeout_ms);
		if (n <= 0)
			return n < 0 ? n : -ETIMEDOUT;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : total;
		total += n;
	}
}

int inq(int fd)
{
	int val;

	return ioctl(fd, SIOCINQ, &val) < 0 ? -errno : val;
}

int outq(int fd)
{
	int val;

	return ioctl(fd, SIOCOUTQ, &val) < 0 ? -errno : val;
}

/* Deterministic, position-dependent bytes (xorshift), different per seed. */
void fill_pattern(void *buf, size_t len, unsigned int seed)
{
	unsigned int x = seed * 2654435761u + 1;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x;
	}
}

void sha256(const void *buf, size_t len, unsigned char out[32])
{
	EVP_Digest(buf, len, out, NULL, EVP_sha256(), NULL);
}

struct stream {
	int fd;
	const unsigned char *src;	/* writer: data to send */
	size_t len;			/* writer: bytes; reader: bytes seen */
	size_t chunk;			/* 0: pseudo-random sizes */
	unsigned char md[32];		/* reader: digest of what arrived */
	int err;
	volatile int done;		/* reader: EOF or error seen */
	volatile int *eof;		/* writer: shut down only once set */
};

static size_t next_chunk(size_t chunk, unsigned int *x)
{
	if (chunk)
		return chunk;
	*x = *x * 1103515245 + 12345;
	return 1 + (*x >> 8) % 16384;
}

static void *writer(void *arg)
{
	struct stream *s = arg;
	unsigned int x = s->fd;
	size_t done = 0, n;
	ssize_t ret;

	while (done < s->len) {
		n = next_chunk(s->chunk, &x);
		if (n > s->len - done)
			n = s->len - done;
		/* Not send_all(): a short send() would swallow its error. */
		ret = send(s->fd, s->src + done, n, MSG_NOSIGNAL);
		if (ret < 0) {
			s->err = errno;
			return NULL;
		}
		done += ret;
	}
	while (s->eof && !*s->eof)
		sleep_ms(5);
	/* EOF tells the reader the stream is complete. */
	if (shutdown(s->fd, SHUT_WR) < 0)
		s->err = errno;
	return NULL;
}

static void *reader(void *arg)
{
	struct stream *s = arg;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int x = s->fd * 7;
	unsigned char *buf = malloc(65536);
	ssize_t n;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	s->len = 0;
	for (;;) {
		n = recv(s->fd, buf, next_chunk(s->chunk, &x) % 65536 + 1, 0);
		if (n <= 0) {
			if (n < 0)
				s->err = errno;
			break;
		}
		EVP_DigestUpdate(ctx, buf, n);
		s->len += n;
	}
	EVP_DigestFinal_ex(ctx, s->md, NULL);
	EVP_MD_CTX_free(ctx);
	s->done = 1;
	free(buf);
	return NULL;
}

/*
 * Send x->len_ab bytes a->b and x->len_ba bytes b->a at the same time (one
 * writer and one reader thread per socket), each followed by SHUT_WR, and
 * compare the sha256 of what arrived with what was sent: a stream cut short
 * by an error must still be an intact prefix.  x->err[] gets each thread's
 * errno (writer a, reader b, writer b, reader a).  Returns 0, or -errno of
 * the first failing call, or -EBADMSG on a mismatch.
 */
int transfer_x(int a, int b, struct xfer *x)
{
	unsigned char *src_ab = malloc(x->len_ab + 1), *src_ba = malloc(x->len_ba + 1);
	struct stream w[2] = {
		{ .fd = a, .src = src_ab, .len = x->len_ab, .chunk = x->chunk },
		{ .fd = b, .src = src_ba, .len = x->len_ba, .chunk = x->chunk },
	};
	struct stream r[2] = { { .fd = b, .chunk = x->chunk }, { .fd = a, .chunk = x->chunk } };
	int timeo = x->timeo_ms ?: 20000;
	unsigned char md[32];
	pthread_t th[4];
	int i, ret = 0;

	fill_pattern(src_ab, x->len_ab, a + 1);
	fill_pattern(src_ba, x->len_ba, b + 1000);
	/* b's writer shuts down only after b read a's EOF: a closes first. */
	if (x->b_closes_last)
		w[1].eof = &r[0].done;
	/* A stuck peer must fail the call, not hang until the harness kills us. */
	for (i = 0; i < 2; i++) {
		set_timeout_opt(w[i].fd, SO_SNDTIMEO, timeo);
		set_timeout_opt(w[i].fd, SO_RCVTIMEO, timeo);
	}
	for (i = 0; i < 2; i++) {
		pthread_create(&th[i], NULL, reader, &r[i]);
		pthread_create(&th[2 + i], NULL, writer, &w[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++) {
		x->err[2 * i] = w[i].err;
		x->err[2 * i + 1] = r[i].err;
		if (!ret && (w[i].err || r[i].err))
			ret = -(w[i].err ?: r[i].err);
	}
	/* A socket's error goes to one call only: after one, EOF is no proof. */
	for (i = 0; i < 2; i++) {
		sha256(w[i].src, r[i].len <= w[i].len ? r[i].len : w[i].len, md);
		if (r[i].len > w[i].len || memcmp(md, r[i].md, sizeof(md)) ||
		    (!ret && r[i].len != w[i].len)) {
			fprintf(stderr, "# stream %d: sent %zu bytes, received %zu%s\n", i,
				w[i].len, r[i].len, r[i].len == w[i].len ? " (digest differs)" : "");
			ret = -EBADMSG;
		}
	}
	free(src_ab);
	free(src_ba);
	return ret;
}

int transfer(int a, int b, size_t len_ab, size_t len_ba, size_t chunk)
{
	struct xfer x = { .len_ab = len_ab, .len_ba = len_ba, .chunk = chunk };

	return transfer_x(a, b, &x);
}

struct many {
	int a, b;
	size_t len;
	int ret;
};

static void *many_one(void *arg)
{
	struct many *m = arg;

	m->ret = transfer(m->a, m->b, m->len, m->len, 0);
	return NULL;
}

/* nconn connections to one listener, all transferring both ways at once. */
int transfer_many(const struct topo *t, int nconn, size_t len)
{
	struct many *m = calloc(nconn, sizeof(*m));
	pthread_t *th = calloc(nconn, sizeof(*th));
	struct sockaddr_in addr;
	int i, lfd, ret = 0;

	lfd = topo_listen(t, nconn, &addr);
	if (lfd < 0)
		ret = lfd;
	for (i = 0; i < nconn && !ret; i++) {
		m[i].len = len;
		m[i].a = topo_connect(t, &addr);
		m[i].b = m[i].a < 0 ? -1 : accept(lfd, NULL, NULL);
		if (m[i].a < 0 || m[i].b < 0)
			ret = m[i].a < 0 ? m[i].a : -errno;
	}
	if (lfd >= 0)
		close(lfd);
	nconn = ret ? 0 : nconn;
	for (i = 0; i < nconn; i++)
		pthread_create(&th[i], NULL, many_one, &m[i]);
	for (i = 0; i < nconn; i++) {
		pthread_join(th[i], NULL);
		if (m[i].ret && !ret)
			ret = m[i].ret;
		close(m[i].a);
		close(m[i].b);
	}
	free(m);
	free(th);
	return ret;
}

volatile sig_atomic_t sig_count;	/* written by the signal handler */

static void count_signal(int sig)
{
	(void)sig;
	sig_count++;
}

int catch_signal(int sig, bool restart)
{
	struct sigaction sa = { .sa_handler = count_signal };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sig_count = 0;
	return sigaction(sig, &sa, NULL) < 0 ? -errno : 0;
}

static void *later_fn(void *arg)
{
	struct later *l = arg;

	sleep_ms(l->delay_ms);
	switch (l->op) {
	case LATER_SEND:
		l->ret = send_all(l->fd, l->buf, l->len);
		break;
	case LATER_SENDMSG:
		l->ret = neg_errno(sendmsg(l->fd, l->msg, MSG_NOSIGNAL));
		break;
	case LATER_DRAIN:
		l->ret = drain(l->fd, WAIT_MS);
		break;
	case LATER_SHUTDOWN:
		l->ret = neg_errno(shutdown(l->fd, l->how));
		break;
	case LATER_CLOSE:
		l->ret = neg_errno(close(l->fd));
		break;
	case LATER_CONNECT:
		l->ret = topo_connect(l->t, &l->addr);
		break;
	case LATER_SIGNAL:
		l->ret = -pthread_kill(l->target, l->sig);
		break;
	}
	return NULL;
}

int later_start(struct later *l)
{
	sigset_t all, old;
	int ret;

	/* Signals aimed at the test thread must not land in the helper. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	l->target = l->op == LATER_SIGNAL && !l->target ? pthread_self() : l->target;
	ret = -pthread_create(&l->th, NULL, later_fn, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

long later_join(struct later *l)
{
	pthread_join(l->th, NULL);
	return l->ret;
}
