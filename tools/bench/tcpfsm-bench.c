// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfsm-bench: Linux TCP against tcpfsm, the same code for both; the
 * protocol is only the third argument of socket().
 *
 * Table workloads, one row per workload, path and metric:
 *   CRR     connect, 1-byte request, 1-byte response, the server closes
 *           first (so TIME_WAIT is on the server); N client threads, each
 *           with its own server thread and listener; connections/s
 *   RR      1-byte ping-pong on one connection: transactions/s, p50, p99
 *   STREAM  64 KiB writes for the trial's duration, MB/s, each way
 * over loopback (a private netns) and over a veth pair between two netns
 * (198.18.0.1 server, 198.18.0.2 client).  Each row is measured in pairs,
 * TCP then tcpfsm, several times; the ratio reported is the median of the
 * pairs' ratios, with their min and max.
 *
 * Modes with their own reports:
 *   lookup  RR on one connection while K idle established connections of
 *           the same protocol exist (K = 100, then 100000)
 *   tw      N TIME_WAIT entries: bytes each, memory, time to create, time
 *           for all to expire, softirq time
 *
 * Every blocking call has a timeout (SO_RCVTIMEO, SO_SNDTIMEO or poll),
 * every loop a bound in count or time, and every thread is joined with a
 * deadline after which it is signalled out of its system call.
 *
 * See Documentation/performance.rst for the method and the output format.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define PROTO_TCP	6
#define PROTO_TCPFSM	253

enum { SRV = 0, CLI = 1 };

#define VETH_SRV_ADDR	"198.18.0.1"
#define VETH_CLI_ADDR	"198.18.0.2"

#define MAX_PROTOS	2
#define MAX_REPEAT	50
#define MAX_PAIRS	64
#define MAX_ROWS	64
#define MAX_LOOKUP	8
#define STREAM_CHUNK	(64 * 1024)

/* Explicitly bound client ports (lookup, tw): 127.<o>.x.y:10000..65535. */
#define PORT_LO		10000
#define NPORTS		(65536 - PORT_LO)
#define LOOKUP_OCTET	2
#define TW_OCTET	1

/* Latency histogram: 256 linear buckets, then 128 per power of two. */
#define HIST_SUB_BITS	8
#define HIST_SUB	(1U << HIST_SUB_BITS)
#define HIST_BUCKETS	(HIST_SUB + (64 - HIST_SUB_BITS) * (HIST_SUB / 2))

#define NOISE_PCT	20.0

static struct {
	double duration;
	double warmup;
	int repeat;
	int clients;
	unsigned int timeout_ms;
	bool tune;
	bool use_netns;
	bool verbose;
	bool modes_crr, modes_rr, modes_stream, modes_lookup, modes_tw;
	bool path_lo, path_veth;
	long lookup[MAX_LOOKUP];
	int nlookup;
	double lookup_limit;
	long tw_count;
	long tw_count_tcp;
	int tw_phases;
	double tw_slack;
	bool tw_wait_tcp;
	int tw_workers;
	double tw_limit;
	int cpu;
} o = {
	.duration = 3.0,
	.warmup = 0.5,
	.repeat = 5,
	.clients = 2,
	.timeout_ms = 5000,
	.use_netns = true,
	.lookup = { 100, 100000 },
	.nlookup = 2,
	.lookup_limit = 600,
	.tw_count = 1000000,
	.tw_count_tcp = -1,
	.tw_phases = 4,
	.tw_slack = 1.5,
	.tw_wait_tcp = true,
	.tw_workers = 2,
	.tw_limit = 1200,
	.cpu = -1,
};

struct proto {
	int num;
	char name[16];
	bool ok;
	char why[96];
};

static struct proto protos[MAX_PROTOS];
static int nprotos;

/* A path: the server and client side, each a netns (fd) and an address. */
struct path {
	const char *name;
	int ns[2];
	struct in_addr ip[2];
	bool ok;
	bool table;	/* used for the table's workloads */
};

static struct path paths[2];
static int npaths;
static int home_ns = -1;	/* the loopback path's netns */
static volatile sig_atomic_t interrupted;

/* ---- small helpers ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !interrupted)
		;
}

/* Sleeps until @until (now_s() time) in slices, returning early on ^C. */
static void sleep_until(double until)
{
	double left;

	while (!interrupted) {
		left = until - now_s();
		if (left <= 0)
			break;
		sleep_s(left > 0.05 ? 0.05 : left);
	}
}

static double t_start;

/* One line per step of a long run, with the time since the start. */
static __printf(1, 2) void progress(const char *fmt, ...)
{
	va_list ap;

	printf("progress: %6.1f s: ", now_s() - t_start);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static __printf(2, 3) void report_err(int err, const char *fmt, ...)
{
	va_list ap;

	printf("error: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (err)
		printf(": %s (errno %d)", strerror(err), err);
	printf("\n");
}

static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	close(fd);
	return got;
}

static int write_text(const char *path, const char *val)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? errno : 0;
	close(fd);
	return -err;
}

static int write_long(const char *path, long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", val);
	return write_text(path, buf);
}

static bool read_long(const char *path, long *val)
{
	char buf[64], *end;

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return false;
	errno = 0;
	*val = strtol(buf, &end, 10);
	return !errno && end != buf;
}

/*
 * The value after @key in @text, where @key starts a line and is followed
 * by blanks or ':' ("Slab:   123 kB", "TimeWaitCurrent 5").
 */
static bool text_field(const char *text, const char *key, long long *val)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, klen) &&
		    (p[klen] == ' ' || p[klen] == ':' || p[klen] == '\t'))
			return sscanf(p + klen + (p[klen] == ':'), "%lld",
				      val) == 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static bool file_field(const char *path, const char *key, long long *val)
{
	static __thread char buf[16384];

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return false;
	return text_field(buf, key, val);
}

/* "TcpExt: a b c\nTcpExt: 1 2 3" style files: the value of column @name. */
static bool netstat_field(const char *prefix, const char *name,
			  long long *val)
{
	static char buf[16384];
	char *hdr, *vals, *h, *v, *hs, *vs;
	size_t plen = strlen(prefix);

	if (read_text("/proc/thread-self/net/netstat", buf, sizeof(buf)) <= 0)
		return false;
	for (hdr = buf; hdr; hdr = strchr(hdr, '\n') ? strchr(hdr, '\n') + 1 : NULL) {
		if (strncmp(hdr, prefix, plen))
			continue;
		vals = strchr(hdr, '\n');
		if (!vals || strncmp(vals + 1, prefix, plen))
			return false;
		*vals++ = '\0';
		v = strchr(vals, '\n');
		if (v)
			*v = '\0';
		h = strtok_r(hdr + plen, " ", &hs);
		v = strtok_r(vals + plen, " ", &vs);
		while (h && v) {
			if (!strcmp(h, name))
				return sscanf(v, "%lld", val) == 1;
			h = strtok_r(NULL, " ", &hs);
			v = strtok_r(NULL, " ", &vs);
		}
		return false;
	}
	return false;
}

static const char *fmt_val(char *buf, size_t len, double v)
{
	if (v >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_loadavg(const char *when)
{
	char buf[128];

	if (read_text("/proc/loadavg", buf, sizeof(buf)) <= 0)
		snprintf(buf, sizeof(buf), "unknown\n");
	printf("load %s: %s", when, buf);
}

/* ---- latency histogram ---- */

struct hist {
	unsigned long long n;
	unsigned long long b[HIST_BUCKETS];
};

static unsigned int hist_index(unsigned long long v)
{
	unsigned int shift;

	if (v < HIST_SUB)
		return v;
	shift = 63 - __builtin_clzll(v) - (HIST_SUB_BITS - 1);
	return HIST_SUB + (shift - 1) * (HIST_SUB / 2) +
	       (unsigned int)(v >> shift) - HIST_SUB / 2;
}

static double hist_value(unsigned int i)
{
	unsigned int k, shift;
	unsigned long long m;

	if (i < HIST_SUB)
		return i;
	k = i - HIST_SUB;
	shift = k / (HIST_SUB / 2) + 1;
	m = k % (HIST_SUB / 2) + HIST_SUB / 2;
	return (double)(m << shift) + (double)(1ULL << shift) / 2;
}

static void hist_add(struct hist *h, unsigned long long v)
{
	h->b[hist_index(v)]++;
	h->n++;
}

/* The @q quantile, in the unit added (ns here). */
static double hist_pct(const struct hist *h, double q)
{
	unsigned long long want, sum = 0;
	unsigned int i;

	if (!h->n)
		return 0;
	want = (unsigned long long)(q * h->n);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		sum += h->b[i];
		if (sum >= want)
			return hist_value(i);
	}
	return hist_value(HIST_BUCKETS - 1);
}

/* ---- network namespaces and paths ---- */

static int enter_ns(int fd)
{
	return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

static int lo_up(void)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(fd);
	return ret;
}

/* A fresh netns for the calling thread, with lo up; its fd or -errno. */
static int netns_new(void)
{
	int fd, ret;

	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	ret = lo_up();
	if (ret)
		return ret;
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static __printf(1, 2) int run_cmd(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret) {
		printf("error: command failed (status %d): %s\n", ret, cmd);
		return -1;
	}
	return 0;
}

/*
 * Two netns named by pid joined by a veth pair, 198.18.0.1/24 on the
 * server side and 198.18.0.2/24 on the client side.  The names are
 * deleted once the fds are open: the netns live as long as the fds and
 * the sockets in them, so nothing is left behind whatever happens.
 */
static int veth_setup(struct path *p)
{
	static const char *const addr[2] = { VETH_SRV_ADDR, VETH_CLI_ADDR };
	char name[2][48], nspath[160];
	int i, ret;

	p->ns[SRV] = p->ns[CLI] = -1;
	for (i = 0; i < 2; i++)
		snprintf(name[i], sizeof(name[i]), "tcpfsm-bench-%d-%c",
			 getpid(), "sc"[i]);
	ret = run_cmd("ip netns add %s && ip netns add %s", name[SRV],
		      name[CLI]);
	if (!ret)
		ret = run_cmd("ip link add bench0 netns %s type veth peer name bench0 netns %s",
			      name[SRV], name[CLI]);
	for (i = 0; i < 2 && !ret; i++) {
		ret = run_cmd("ip -n %s link set lo up && ip -n %s link set bench0 up && ip -n %s addr add %s/24 dev bench0",
			      name[i], name[i], name[i], addr[i]);
		snprintf(nspath, sizeof(nspath), "/run/netns/%s", name[i]);
		if (!ret) {
			p->ns[i] = open(nspath, O_RDONLY | O_CLOEXEC);
			if (p->ns[i] < 0)
				ret = -errno;
		}
	}
	run_cmd("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true",
		name[SRV], name[CLI]);
	if (ret) {
		for (i = 0; i < 2; i++)
			if (p->ns[i] >= 0)
				close(p->ns[i]);
		return ret;
	}
	inet_pton(AF_INET, VETH_SRV_ADDR, &p->ip[SRV]);
	inet_pton(AF_INET, VETH_CLI_ADDR, &p->ip[CLI]);
	return 0;
}

/*
 * Fairness: neither protocol may skip TIME_WAIT for want of buckets
 * (TCP's default scales with memory, 8192 in a 1 GiB guest; tcpfsm's
 * max_tw is 262144), and both get the widest ephemeral port range.  In
 * the calling thread's netns.
 */
static void tune_netns(const char *where, long tw_buckets)
{
	static const char *const fsm_max = "/proc/sys/net/tcpfsm/max_tw";
	char range[64] = "?", *p;
	long tw = -1, ftw = -1;
	int ret;

	if (o.tune) {
		ret = write_long("/proc/sys/net/ipv4/tcp_max_tw_buckets",
				 tw_buckets);
		if (ret)
			report_err(-ret, "%s: tcp_max_tw_buckets", where);
		/* Absent without the module, or before max_tw existed. */
		if (!access(fsm_max, F_OK)) {
			ret = write_long(fsm_max, tw_buckets);
			if (ret)
				report_err(-ret, "%s: tcpfsm max_tw", where);
		}
		ret = write_text("/proc/sys/net/ipv4/ip_local_port_range",
				 "1024 65535");
		if (ret)
			report_err(-ret, "%s: ip_local_port_range", where);
	}
	read_long("/proc/sys/net/ipv4/tcp_max_tw_buckets", &tw);
	if (read_text("/proc/sys/net/ipv4/ip_local_port_range", range,
		      sizeof(range)) > 0)
		range[strcspn(range, "\n")] = '\0';
	for (p = range; *p; p++)
		if (*p == '\t')
			*p = ' ';
	read_long(fsm_max, &ftw);
	printf("netns %s: tcp_max_tw_buckets %ld, tcpfsm max_tw %ld, ip_local_port_range %s%s\n",
	       where, tw, ftw, range, o.tune ? "" : " (not tuned: no --tune)");
	if (tw >= 0 && tw < tw_buckets)
		printf("warning: %s: tcp_max_tw_buckets %ld < %ld: TCP may skip TIME_WAIT and look cheaper than it is\n",
		       where, tw, tw_buckets);
	if (ftw >= 0 && ftw < tw_buckets)
		printf("warning: %s: tcpfsm max_tw %ld < %ld: tcpfsm may skip TIME_WAIT and look cheaper than it is\n",
		       where, ftw, tw_buckets);
}

static int tune_path(struct path *p, long tw_buckets)
{
	char where[32];
	int side, ret;

	for (side = 0; side < 2; side++) {
		if (side == CLI && p->ns[CLI] == p->ns[SRV])
			break;
		ret = enter_ns(p->ns[side]);
		if (ret)
			return ret;
		snprintf(where, sizeof(where), "%s%s", p->name,
			 p->ns[CLI] == p->ns[SRV] ? "" :
			 side == SRV ? " server" : " client");
		tune_netns(where, tw_buckets);
	}
	return enter_ns(home_ns);
}

static void probe_protos(void)
{
	int i, fd;

	for (i = 0; i < nprotos; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, protos[i].num);
		if (fd < 0) {
			protos[i].ok = false;
			snprintf(protos[i].why, sizeof(protos[i].why),
				 "socket(AF_INET, SOCK_STREAM, %d): %s",
				 protos[i].num, strerror(errno));
			continue;
		}
		protos[i].ok = true;
		close(fd);
	}
}

/* ---- sockets ---- */

static int set_timeo(int fd, int opt, unsigned int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)) < 0 ? -errno : 0;
}

/* A socket of @proto with receive and send timeouts; fd or -errno. */
static int sock_new(int proto, unsigned int ms)
{
	int fd, ret;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	ret = set_timeo(fd, SO_RCVTIMEO, ms);
	if (!ret)
		ret = set_timeo(fd, SO_SNDTIMEO, ms);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Listening on @ip, port chosen by the kernel, written to @addr. */
static int listener_new(int proto, struct in_addr ip, struct sockaddr_in *addr,
			bool nonblock, int *fdp)
{
	socklen_t alen = sizeof(*addr);
	int fd, err;

	fd = sock_new(proto, o.timeout_ms);
	if (fd < 0)
		return fd;
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr = ip;
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &alen) < 0 ||
	    (nonblock && fcntl(fd, F_SETFL, O_NONBLOCK) < 0)) {
		err = errno;
		close(fd);
		return -err;
	}
	*fdp = fd;
	return 0;
}

/* An accepted connection within the timeout; fd or -errno. */
static int accept_timeout(int lfd, unsigned int ms)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	double end = now_s() + ms / 1000.0;
	int fd, ret;

	for (;;) {
		ret = poll(&pfd, 1, 100);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0) {
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				return fd;
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
		}
		if (interrupted)
			return -EINTR;
		if (now_s() > end)
			return -ETIMEDOUT;
	}
}

/* Client address number @j of 127.<octet>.0.0/16 and up, port by port. */
static void pair_addr(unsigned long j, int octet, struct sockaddr_in *sin)
{
	unsigned long a = j / NPORTS;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(PORT_LO + j % NPORTS);
	sin->sin_addr.s_addr = htonl(127U << 24 |
				     (unsigned int)(octet + a / (254 * 254)) << 16 |
				     (unsigned int)(a / 254 % 254) << 8 |
				     (unsigned int)(a % 254 + 1));
}

/*
 * One loopback connection from client address @j of 127.<@octet>.0.0/16
 * (pair_addr()) to @srv, accepted on @lfd (blocking, bounded by its
 * SO_RCVTIMEO): 0 with *@cfd and *@sfd, or -errno with @what the call
 * that failed (-EADDRINUSE from bind: that address is taken).
 */
static int bound_conn(int proto, unsigned long j, int octet,
		      const struct sockaddr_in *srv, int lfd, int *cfd,
		      int *sfd, const char **what)
{
	struct sockaddr_in sin;
	int c, s, ret;

	*what = "socket";
	c = sock_new(proto, o.timeout_ms);
	if (c < 0)
		return c;
	pair_addr(j, octet, &sin);
	*what = "bind";
	if (bind(c, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		goto fail;
	*what = "connect";
	if (connect(c, (const struct sockaddr *)srv, sizeof(*srv)) < 0)
		goto fail;
	*what = "accept";
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		goto fail;
	*cfd = c;
	*sfd = s;
	return 0;
fail:
	ret = -errno;
	close(c);
	return ret;
}

/* ---- one trial: N client/server thread pairs for a fixed time ---- */

enum wl { WL_CRR, WL_RR, WL_STREAM_C2S, WL_STREAM_S2C };

static const char *const wl_name[] = {
	[WL_CRR] = "CRR", [WL_RR] = "RR",
	[WL_STREAM_C2S] = "STREAM", [WL_STREAM_S2C] = "STREAM",
};

struct trial;

struct pair {
	struct trial *t;
	int lfd, cfd, sfd;
	struct sockaddr_in addr;
	pthread_t th[2];
	bool started[2];
	unsigned long long count;	/* connections, transactions, bytes */
	int client_done;
	struct hist *hist;
};

struct trial {
	enum wl wl;
	const struct path *path;
	int proto;
	int npairs;
	int need;			/* threads + main at each gate */
	int arrived[2];
	int stop;
	bool failed;
	char err[256];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pair pair[MAX_PAIRS];
};

static bool stopped(struct trial *t)
{
	return __atomic_load_n(&t->stop, __ATOMIC_RELAXED) || interrupted;
}

static void trial_stop(struct trial *t, bool failed, const char *what,
		       int err)
{
	pthread_mutex_lock(&t->lock);
	/* After the end, EINTR is the join's nudge, not an error. */
	if (failed && !t->failed && !(stopped(t) && err == EINTR)) {
		t->failed = true;
		snprintf(t->err, sizeof(t->err), "%s: %s (errno %d)", what,
			 err == EAGAIN ? "timed out" : strerror(err), err);
	}
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

#define FAIL(t, what, err) trial_stop(t, true, what, err)

/*
 * Every thread and main meet here twice: after the listeners are up and
 * after the connections of RR and STREAM are made.  False when the trial
 * was stopped or someone did not arrive in time.
 */
static bool gate_wait(struct trial *t, int stage)
{
	struct timespec dl;
	bool late = false;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += o.timeout_ms / 1000 + 2;
	pthread_mutex_lock(&t->lock);
	t->arrived[stage]++;
	pthread_cond_broadcast(&t->cond);
	while (t->arrived[stage] < t->need && !stopped(t) && !late)
		late = pthread_cond_timedwait(&t->cond, &t->lock, &dl) ==
		       ETIMEDOUT;
	pthread_mutex_unlock(&t->lock);
	if (late)
		FAIL(t, "start: a thread did not get ready", ETIMEDOUT);
	return !stopped(t);
}

static void count_add(struct pair *pr, unsigned long long n)
{
	__atomic_store_n(&pr->count, pr->count + n, __ATOMIC_RELAXED);
}

static int recv_1(int fd, char *c)
{
	ssize_t n;

	do {
		n = recv(fd, c, 1, 0);
	} while (n < 0 && errno == EINTR && !interrupted);
	return n < 0 ? -errno : (int)n;
}

static int send_1(int fd, char c)
{
	ssize_t n;

	do {
		n = send(fd, &c, 1, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR && !interrupted);
	return n < 0 ? -errno : (int)n;
}

/* client: connect, write 1, read 1, read until EOF; 0 or an errno */
static int crr_client_one(struct pair *pr, int fd, const char **what)
{
	int ret;
	char c;

	*what = "CRR client: connect";
	if (connect(fd, (struct sockaddr *)&pr->addr, sizeof(pr->addr)) < 0)
		return errno;
	*what = "CRR client: send";
	ret = send_1(fd, 'q');
	if (ret != 1)
		return ret < 0 ? -ret : EIO;
	*what = "CRR client: recv response";
	ret = recv_1(fd, &c);
	if (ret != 1)
		return ret < 0 ? -ret : ECONNRESET;
	*what = "CRR client: recv EOF";
	ret = recv_1(fd, &c);
	if (ret != 0)
		return ret < 0 ? -ret : EPROTO;
	return 0;
}

static void crr_client(struct pair *pr)
{
	struct trial *t = pr->t;
	const char *what;
	int fd, err;

	while (!stopped(t)) {
		fd = sock_new(t->proto, o.timeout_ms);
		if (fd < 0) {
			FAIL(t, "CRR client: socket", -fd);
			return;
		}
		err = crr_client_one(pr, fd, &what);
		close(fd);
		if (err) {
			FAIL(t, what, err);
			return;
		}
		count_add(pr, 1);
	}
}

/* server: read 1, write 1 (then the caller closes first); 0 or an errno */
static int crr_server_one(int fd, const char **what)
{
	int ret;
	char c;

	*what = "CRR server: SO_RCVTIMEO";
	ret = set_timeo(fd, SO_RCVTIMEO, o.timeout_ms);
	if (ret)
		return -ret;
	*what = "CRR server: recv request";
	ret = recv_1(fd, &c);
	if (ret != 1)
		return ret < 0 ? -ret : ECONNRESET;
	*what = "CRR server: send";
	ret = send_1(fd, c);
	if (ret != 1)
		return ret < 0 ? -ret : EIO;
	return 0;
}

/* server: accept, read 1, write 1, close: the server closes first */
static void crr_server(struct pair *pr)
{
	struct pollfd pfd = { .fd = pr->lfd, .events = POLLIN };
	struct trial *t = pr->t;
	const char *what;
	int fd, ret;

	for (;;) {
		if ((stopped(t) &&
		     __atomic_load_n(&pr->client_done, __ATOMIC_ACQUIRE)) ||
		    __atomic_load_n(&t->failed, __ATOMIC_RELAXED) || interrupted)
			return;
		ret = poll(&pfd, 1, 100);
		if (ret <= 0) {
			if (ret < 0 && errno != EINTR) {
				FAIL(t, "CRR server: poll", errno);
				return;
			}
			continue;
		}
		fd = accept4(pr->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			FAIL(t, "CRR server: accept", errno);
			return;
		}
		ret = crr_server_one(fd, &what);
		close(fd);
		if (ret) {
			FAIL(t, what, ret);
			return;
		}
	}
}

static void rr_client(struct pair *pr)
{
	struct trial *t = pr->t;
	unsigned long long a;
	int ret;
	char c;

	while (!stopped(t)) {
		a = now_ns();
		ret = send_1(pr->cfd, 'p');
		if (ret != 1) {
			FAIL(t, "RR client: send", ret < 0 ? -ret : EIO);
			break;
		}
		ret = recv_1(pr->cfd, &c);
		if (ret != 1) {
			if (!stopped(t))
				FAIL(t, "RR client: recv",
				     ret < 0 ? -ret : ECONNRESET);
			break;
		}
		hist_add(pr->hist, now_ns() - a);
		count_add(pr, 1);
	}
	close(pr->cfd);
	pr->cfd = -1;
}

static void rr_server(struct pair *pr)
{
	struct trial *t = pr->t;
	int ret;
	char c;

	for (;;) {
		ret = recv_1(pr->sfd, &c);
		if (ret == 0)
			break;
		if (ret < 0) {
			if (!stopped(t))
				FAIL(t, "RR server: recv", -ret);
			break;
		}
		ret = send_1(pr->sfd, c);
		if (ret != 1) {
			if (!stopped(t))
				FAIL(t, "RR server: send", ret < 0 ? -ret : EIO);
			break;
		}
	}
	close(pr->sfd);
	pr->sfd = -1;
}

/* Writes 64 KiB at a time until the trial stops, then closes (EOF). */
static void stream_send(struct pair *pr, int *fdp)
{
	struct trial *t = pr->t;
	char *buf = malloc(STREAM_CHUNK);
	ssize_t n;

	if (!buf) {
		FAIL(t, "STREAM: malloc", ENOMEM);
	} else {
		memset(buf, 'x', STREAM_CHUNK);
		while (!stopped(t)) {
			n = send(*fdp, buf, STREAM_CHUNK, MSG_NOSIGNAL);
			if (n < 0 && errno != EINTR) {
				FAIL(t, "STREAM: send", errno);
				break;
			}
		}
	}
	free(buf);
	close(*fdp);
	*fdp = -1;
}

/* Reads until EOF, counting bytes. */
static void stream_recv(struct pair *pr, int *fdp)
{
	struct trial *t = pr->t;
	char *buf = malloc(STREAM_CHUNK);
	ssize_t n;

	if (!buf) {
		FAIL(t, "STREAM: malloc", ENOMEM);
	} else {
		for (;;) {
			n = recv(*fdp, buf, STREAM_CHUNK, 0);
			if (n == 0)
				break;
			if (n < 0) {
				if (errno == EINTR && !interrupted)
					continue;
				FAIL(t, "STREAM: recv", errno);
				break;
			}
			count_add(pr, n);
		}
	}
	free(buf);
	close(*fdp);
	*fdp = -1;
}

/* What @side (SRV or CLI) of @pr does in its trial's workload. */
static void run_side(struct pair *pr, int side)
{
	int *fdp = side == SRV ? &pr->sfd : &pr->cfd;

	switch (pr->t->wl) {
	case WL_CRR:
		(side == SRV ? crr_server : crr_client)(pr);
		break;
	case WL_RR:
		(side == SRV ? rr_server : rr_client)(pr);
		break;
	case WL_STREAM_C2S:
	case WL_STREAM_S2C:
		/* c2s: the client sends; s2c: the server does. */
		if ((pr->t->wl == WL_STREAM_C2S) == (side == CLI))
			stream_send(pr, fdp);
		else
			stream_recv(pr, fdp);
		break;
	}
}

static void *server_main(void *arg)
{
	struct pair *pr = arg;
	struct trial *t = pr->t;
	int ret;

	ret = enter_ns(t->path->ns[SRV]);
	if (ret) {
		FAIL(t, "server: setns", -ret);
	} else {
		ret = listener_new(t->proto, t->path->ip[SRV], &pr->addr, true,
				   &pr->lfd);
		if (ret)
			FAIL(t, "server: listen", -ret);
	}
	if (!gate_wait(t, 0))
		return NULL;
	if (t->wl != WL_CRR) {
		pr->sfd = accept_timeout(pr->lfd, o.timeout_ms);
		if (pr->sfd < 0) {
			FAIL(t, "server: accept", -pr->sfd);
			pr->sfd = -1;
		} else {
			ret = set_timeo(pr->sfd, SO_RCVTIMEO, o.timeout_ms);
			if (!ret)
				ret = set_timeo(pr->sfd, SO_SNDTIMEO,
						o.timeout_ms);
			if (ret)
				FAIL(t, "server: timeouts", -ret);
		}
	}
	if (gate_wait(t, 1))
		run_side(pr, SRV);
	return NULL;
}

static void *client_main(void *arg)
{
	struct pair *pr = arg;
	struct trial *t = pr->t;
	int ret;

	ret = enter_ns(t->path->ns[CLI]);
	if (ret)
		FAIL(t, "client: setns", -ret);
	if (!gate_wait(t, 0))
		goto out;
	if (t->wl != WL_CRR) {
		pr->cfd = sock_new(t->proto, o.timeout_ms);
		if (pr->cfd < 0) {
			FAIL(t, "client: socket", -pr->cfd);
			pr->cfd = -1;
		} else if (connect(pr->cfd, (struct sockaddr *)&pr->addr,
				   sizeof(pr->addr)) < 0) {
			FAIL(t, "client: connect", errno);
		}
	}
	if (gate_wait(t, 1))
		run_side(pr, CLI);
out:
	__atomic_store_n(&pr->client_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/*
 * Joins @th, waiting @secs, then signalling it out of a blocking system
 * call every half second for 5 s.  A thread that still hangs is stuck in
 * the kernel: nothing sane is left to do but leave.
 */
static void join_bounded(pthread_t th, double secs, const char *who)
{
	struct timespec dl;
	int i;

	for (i = 0; i < 11; i++) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += (time_t)secs;
		dl.tv_nsec += (long)((secs - (time_t)secs) * 1e9);
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		if (!pthread_timedjoin_np(th, NULL, &dl))
			return;
		pthread_kill(th, SIGUSR1);
		secs = 0.5;
	}
	printf("error: %s thread stuck in a system call for over %.0f s; exiting\n",
	       who, o.timeout_ms / 1000.0 + 5);
	fflush(stdout);
	_exit(3);
}

struct result {
	bool ok;
	double v[3];
	char err[256];
};

static void trial_run(enum wl wl, const struct path *p, int proto,
		      double secs, struct result *res)
{
	unsigned long long c0 = 0, c1 = 0;
	struct hist *h = NULL;
	struct trial *t;
	double t0, t1;
	int i, s, ret;

	memset(res, 0, sizeof(*res));
	t = calloc(1, sizeof(*t));
	if (wl == WL_RR)
		h = calloc(1, sizeof(*h));
	if (!t || (wl == WL_RR && !h)) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		free(t);
		free(h);
		return;
	}
	t->wl = wl;
	t->path = p;
	t->proto = proto;
	t->npairs = wl == WL_CRR ? o.clients : 1;
	t->need = 2 * t->npairs + 1;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	for (i = 0; i < t->npairs; i++) {
		t->pair[i].t = t;
		t->pair[i].lfd = t->pair[i].cfd = t->pair[i].sfd = -1;
		t->pair[i].hist = h;
	}
	for (i = 0; i < t->npairs; i++) {
		for (s = 0; s < 2; s++) {
			ret = pthread_create(&t->pair[i].th[s], NULL,
					     s == SRV ? server_main : client_main,
					     &t->pair[i]);
			if (ret)
				FAIL(t, "pthread_create", ret);
			else
				t->pair[i].started[s] = true;
		}
	}
	if (gate_wait(t, 0) && gate_wait(t, 1)) {
		t0 = now_s();
		for (i = 0; i < t->npairs; i++)
			c0 += __atomic_load_n(&t->pair[i].count, __ATOMIC_RELAXED);
		while (!stopped(t) && now_s() < t0 + secs)
			sleep_s(0.02);
		t1 = now_s();
		for (i = 0; i < t->npairs; i++)
			c1 += __atomic_load_n(&t->pair[i].count, __ATOMIC_RELAXED);
		trial_stop(t, false, NULL, 0);
		res->v[0] = (c1 - c0) / (t1 - t0);
		if (wl == WL_STREAM_C2S || wl == WL_STREAM_S2C)
			res->v[0] /= 1e6;
	}
	for (i = 0; i < t->npairs; i++)
		for (s = 0; s < 2; s++)
			if (t->pair[i].started[s])
				join_bounded(t->pair[i].th[s],
					     o.timeout_ms / 1000.0 + 1,
					     s == SRV ? "server" : "client");
	for (i = 0; i < t->npairs; i++) {
		if (t->pair[i].lfd >= 0)
			close(t->pair[i].lfd);
		if (t->pair[i].cfd >= 0)
			close(t->pair[i].cfd);
		if (t->pair[i].sfd >= 0)
			close(t->pair[i].sfd);
	}
	if (h) {
		res->v[1] = hist_pct(h, 0.50) / 1000;
		res->v[2] = hist_pct(h, 0.99) / 1000;
	}
	if (t->failed)
		snprintf(res->err, sizeof(res->err), "%s", t->err);
	else if (interrupted)
		snprintf(res->err, sizeof(res->err), "interrupted");
	else
		res->ok = true;
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(h);
	free(t);
}

/* ---- the table ---- */

struct row {
	const char *wl, *path, *metric;
	char extra[24];
	double v[MAX_PROTOS][MAX_REPEAT];
	bool ok[MAX_PROTOS][MAX_REPEAT];
	char note[MAX_PROTOS][8];	/* why a column has no figure */
};

static struct row rows[MAX_ROWS];
static int nrows;
static char flatness[256];	/* lookup's summary, printed after the table */

static struct row *row_new(const char *wl, const char *path,
			   const char *metric, const char *extra)
{
	struct row *r;
	int i;

	if (nrows >= MAX_ROWS)
		return NULL;
	r = &rows[nrows++];
	memset(r, 0, sizeof(*r));
	r->wl = wl;
	r->path = path;
	r->metric = metric;
	snprintf(r->extra, sizeof(r->extra), "%s", extra ? extra : "");
	for (i = 0; i < nprotos; i++)
		snprintf(r->note[i], sizeof(r->note[i]), "%s",
			 protos[i].ok ? "err" : "n/a");
	return r;
}

/* Median, min and max of one protocol's figures; false when none. */
static bool row_stats(const struct row *r, int pi, double *med, double *min,
		      double *max, int *n)
{
	double v[MAX_REPEAT];
	int i;

	*n = 0;
	for (i = 0; i < o.repeat; i++)
		if (r->ok[pi][i])
			v[(*n)++] = r->v[pi][i];
	if (!*n)
		return false;
	*med = median(v, *n);
	*min = v[0];
	*max = v[*n - 1];
	return true;
}

static bool row_ratio(const struct row *r, double *med, double *min,
		      double *max, int *n)
{
	double v[MAX_REPEAT];
	int i;

	*n = 0;
	if (nprotos < 2)
		return false;
	for (i = 0; i < o.repeat; i++)
		if (r->ok[0][i] && r->ok[1][i] && r->v[0][i] > 0)
			v[(*n)++] = r->v[1][i] / r->v[0][i];
	if (!*n)
		return false;
	*med = median(v, *n);
	*min = v[0];
	*max = v[*n - 1];
	return true;
}

static double row_spread(const struct row *r, int pi, bool *ok)
{
	double med, min, max;
	int n;

	*ok = row_stats(r, pi, &med, &min, &max, &n) && n > 1 && med > 0;
	return *ok ? 100.0 * (max - min) / med : 0;
}

static void print_table(void)
{
	double med, min, max, sp;
	char buf[64], buf2[64];
	int i, pi, n, noisy = 0;
	bool ok;

	printf("\n%-8s %-15s %-10s", "workload", "path", "metric");
	for (pi = 0; pi < nprotos; pi++)
		printf(" %12s", protos[pi].name);
	if (nprotos == 2) {
		snprintf(buf, sizeof(buf), "%s/%s", protos[1].name,
			 protos[0].name);
		printf(" %11s %-13s %5s", buf, "min-max", "pairs");
	}
	for (pi = 0; pi < nprotos; pi++) {
		snprintf(buf, sizeof(buf), "spread:%s", protos[pi].name);
		printf(" %13s", buf);
	}
	printf("\n");
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		snprintf(buf, sizeof(buf), "%s%s%s", r->path,
			 r->extra[0] ? " " : "", r->extra);
		printf("%-8s %-15s %-10s", r->wl, buf, r->metric);
		for (pi = 0; pi < nprotos; pi++) {
			if (row_stats(r, pi, &med, &min, &max, &n))
				printf(" %12s", fmt_val(buf, sizeof(buf), med));
			else
				printf(" %12s", r->note[pi]);
		}
		if (nprotos == 2) {
			if (row_ratio(r, &med, &min, &max, &n)) {
				snprintf(buf, sizeof(buf), "%.2fx", med);
				snprintf(buf2, sizeof(buf2), "%.2fx-%.2fx", min,
					 max);
				printf(" %11s %-13s %2d/%-2d", buf, buf2, n,
				       o.repeat);
			} else {
				printf(" %11s %-13s %2d/%-2d", "n/a", "n/a", 0,
				       o.repeat);
			}
		}
		for (pi = 0; pi < nprotos; pi++) {
			sp = row_spread(r, pi, &ok);
			if (ok) {
				snprintf(buf, sizeof(buf), "%.0f%%", sp);
				noisy += sp >= NOISE_PCT;
			}
			printf(" %13s", ok ? buf : "-");
		}
		printf("\n");
	}
	if (noisy)
		printf("noise: %d figure(s) with a spread of %.0f%% or more: redo the run, or repeat it before believing a difference below %.0f%%\n",
		       noisy, NOISE_PCT, NOISE_PCT);
	else
		printf("noise: every spread is below %.0f%%\n", NOISE_PCT);
}

static void print_trials(void)
{
	char buf[32];
	int i, pi, k;

	printf("\ntrials (pair by pair, %s first):\n", protos[0].name);
	for (i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		printf("  %s %s%s%s %s", r->wl, r->path, r->extra[0] ? " " : "",
		       r->extra, r->metric);
		for (pi = 0; pi < nprotos; pi++) {
			printf(" | %s:", protos[pi].name);
			for (k = 0; k < o.repeat; k++)
				printf(" %s", r->ok[pi][k] ?
				       fmt_val(buf, sizeof(buf), r->v[pi][k]) :
				       r->note[pi]);
		}
		printf("\n");
	}
}

/*
 * One workload over one path: a warm-up trial per protocol, then
 * o.repeat pairs, protocols alternating.  A protocol that fails a trial
 * is skipped for the rest of the rows (its error printed once).
 */
static void run_rows(enum wl wl, const struct path *p, struct row **r,
		     int nr, const char *extra, const bool *avail)
{
	bool skip[MAX_PROTOS];
	struct result res;
	int k, pi, m;

	progress("%s %s%s%s %s", wl_name[wl], p->name, extra ? " " : "",
		 extra ? extra : "", r[0] ? r[0]->metric : "");

	for (pi = 0; pi < nprotos; pi++) {
		skip[pi] = avail ? !avail[pi] : !protos[pi].ok;
		if (skip[pi] || o.warmup <= 0)
			continue;
		trial_run(wl, p, protos[pi].num, o.warmup, &res);
		if (!res.ok) {
			report_err(0, "%s %s%s%s %s warm-up: %s", wl_name[wl],
				   p->name, extra ? " " : "", extra ? extra : "",
				   protos[pi].name, res.err);
			skip[pi] = true;
		}
	}
	for (k = 0; k < o.repeat && !interrupted; k++) {
		for (pi = 0; pi < nprotos; pi++) {
			if (skip[pi])
				continue;
			trial_run(wl, p, protos[pi].num, o.duration, &res);
			if (!res.ok) {
				report_err(0, "%s %s%s%s %s trial %d: %s",
					   wl_name[wl], p->name,
					   extra ? " " : "", extra ? extra : "",
					   protos[pi].name, k + 1, res.err);
				skip[pi] = true;
				continue;
			}
			for (m = 0; m < nr; m++) {
				if (!r[m])
					continue;
				r[m]->v[pi][k] = res.v[m];
				r[m]->ok[pi][k] = true;
			}
		}
	}
}

static void run_table(void)
{
	struct row *r[3];
	int i;

	for (i = 0; i < npaths && !interrupted; i++) {
		const struct path *p = &paths[i];

		if (!p->ok || !p->table)
			continue;
		if (o.modes_crr) {
			r[0] = row_new("CRR", p->name, "conn/s", NULL);
			run_rows(WL_CRR, p, r, 1, NULL, NULL);
		}
		if (o.modes_rr) {
			r[0] = row_new("RR", p->name, "trans/s", NULL);
			r[1] = row_new("RR", p->name, "p50_us", NULL);
			r[2] = row_new("RR", p->name, "p99_us", NULL);
			run_rows(WL_RR, p, r, 3, NULL, NULL);
		}
		if (o.modes_stream) {
			r[0] = row_new("STREAM", p->name, "c2s_MB/s", NULL);
			run_rows(WL_STREAM_C2S, p, r, 1, NULL, NULL);
			r[0] = row_new("STREAM", p->name, "s2c_MB/s", NULL);
			run_rows(WL_STREAM_S2C, p, r, 1, NULL, NULL);
		}
	}
}

/* ---- lookup: RR latency with K idle established connections ---- */

struct idle {
	int lfd;
	struct sockaddr_in addr;
	int *fd;
	long n;			/* connections (2 fds each) */
	unsigned long next;	/* next client address/port number */
};

static int raise_nofile(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur >= (rlim_t)want)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < (rlim_t)want)
		rl.rlim_max = want;
	return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -errno : 0;
}

/* Grows @id to @k idle connections of @proto on loopback. */
static int idle_grow(struct idle *id, int proto, long k, double deadline)
{
	const char *what;
	long busy = 0;
	int ret;

	while (id->n < k) {
		if (interrupted || now_s() > deadline)
			return -ETIMEDOUT;
		ret = bound_conn(proto, id->next++, LOOKUP_OCTET, &id->addr,
				 id->lfd, &id->fd[2 * id->n],
				 &id->fd[2 * id->n + 1], &what);
		if (ret == -EADDRINUSE && ++busy < 1000)
			continue;
		if (ret)
			return ret;
		id->n++;
	}
	return 0;
}

/* Closes with RST (SO_LINGER 0), so that no TIME_WAIT is left behind. */
static void idle_close(struct idle *id)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long i;

	for (i = 0; i < 2 * id->n; i++) {
		setsockopt(id->fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(id->fd[i]);
	}
	id->n = 0;
	if (id->lfd >= 0)
		close(id->lfd);
	id->lfd = -1;
	free(id->fd);
	id->fd = NULL;
}

static void run_lookup(void)
{
	struct idle id[MAX_PROTOS] = { 0 };
	bool use[MAX_PROTOS];
	double med[MAX_PROTOS][MAX_LOOKUP], mn, mx, t0, dl;
	bool have[MAX_PROTOS][MAX_LOOKUP] = { { 0 } };
	long kmax = 0;
	char extra[24];
	struct row *r[3];
	int i, pi, n, ret;

	if (!paths[0].ok)
		return;
	for (i = 0; i < o.nlookup; i++)
		if (o.lookup[i] > kmax)
			kmax = o.lookup[i];
	ret = raise_nofile(2 * kmax * nprotos + 4096);
	if (ret) {
		report_err(-ret, "lookup: RLIMIT_NOFILE to %ld",
			   2 * kmax * nprotos + 4096);
		return;
	}
	for (pi = 0; pi < nprotos; pi++) {
		id[pi].lfd = -1;
		use[pi] = protos[pi].ok;
		if (!use[pi])
			continue;
		id[pi].fd = calloc(2 * kmax, sizeof(int));
		if (!id[pi].fd) {
			report_err(ENOMEM, "lookup");
			goto out;
		}
		ret = listener_new(protos[pi].num, paths[0].ip[SRV],
				   &id[pi].addr, false, &id[pi].lfd);
		if (ret) {
			report_err(-ret, "lookup: %s listener", protos[pi].name);
			use[pi] = false;
		}
	}
	for (i = 0; i < o.nlookup && !interrupted; i++) {
		snprintf(extra, sizeof(extra), "idle=%ld", o.lookup[i]);
		for (pi = 0; pi < nprotos; pi++) {
			if (!use[pi])
				continue;
			t0 = now_s();
			dl = t0 + o.lookup_limit;
			ret = idle_grow(&id[pi], protos[pi].num, o.lookup[i], dl);
			printf("lookup: %s: %ld idle connections open (%.1f s)%s%s\n",
			       protos[pi].name, id[pi].n, now_s() - t0,
			       ret ? ", stopped: " : "",
			       ret ? strerror(-ret) : "");
			if (ret) {
				idle_close(&id[pi]);
				use[pi] = false;
			}
		}
		r[0] = row_new("LOOKUP", "lo", "trans/s", extra);
		r[1] = row_new("LOOKUP", "lo", "p50_us", extra);
		r[2] = row_new("LOOKUP", "lo", "p99_us", extra);
		run_rows(WL_RR, &paths[0], r, 3, extra, use);
		for (pi = 0; pi < nprotos && r[1]; pi++)
			have[pi][i] = row_stats(r[1], pi, &med[pi][i], &mn, &mx,
						&n);
	}
	if (o.nlookup >= 2) {
		n = snprintf(flatness, sizeof(flatness),
			     "lookup flatness (RR p50 at idle=%ld / at idle=%ld, 1.00x is flat):",
			     o.lookup[o.nlookup - 1], o.lookup[0]);
		for (pi = 0; pi < nprotos && n < (int)sizeof(flatness); pi++) {
			if (have[pi][0] && have[pi][o.nlookup - 1] &&
			    med[pi][0] > 0)
				n += snprintf(flatness + n, sizeof(flatness) - n,
					      " %s %.2fx", protos[pi].name,
					      med[pi][o.nlookup - 1] / med[pi][0]);
			else
				n += snprintf(flatness + n, sizeof(flatness) - n,
					      " %s n/a", protos[pi].name);
		}
	}
out:
	for (pi = 0; pi < nprotos; pi++)
		idle_close(&id[pi]);
}

/* ---- tw: TIME_WAIT at scale ---- */

struct tw_worker {
	int proto;
	int lfd;
	struct sockaddr_in laddr;
	unsigned long first, n;
	unsigned long created, busy;
	double deadline;
	int err;
	const char *what;
	pthread_t th;
	bool started;
};

/*
 * One entry: the client (explicitly bound to its own address and port)
 * closes first, the server reads the EOF and closes; the client, the
 * active closer, ends in TIME_WAIT.
 */
static void *tw_worker_main(void *arg)
{
	struct tw_worker *w = arg;
	unsigned long j;
	int c, s, ret;
	char ch;

	for (j = w->first; j < w->first + w->n; j++) {
		if (interrupted || (j % 256 == 0 && now_s() > w->deadline)) {
			w->err = ETIMEDOUT;
			w->what = "time limit";
			return NULL;
		}
		ret = bound_conn(w->proto, j, TW_OCTET, &w->laddr, w->lfd,
				 &c, &s, &w->what);
		if (ret == -EADDRINUSE && ++w->busy < 1000)
			continue;
		if (ret) {
			w->err = -ret;
			return NULL;
		}
		close(c);
		ret = recv_1(s, &ch);
		close(s);
		if (ret) {
			w->err = ret < 0 ? -ret : EPROTO;
			w->what = "server: recv EOF";
			return NULL;
		}
		w->created++;
	}
	return NULL;
}

/* Creates entries [first, first + n) with o.tw_workers threads. */
static long tw_create(int proto, unsigned long first, unsigned long n,
		      double deadline, char *err, size_t errlen)
{
	struct tw_worker w[MAX_PAIRS];
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	int i, nw = o.tw_workers, ret;
	long created = 0;

	memset(w, 0, sizeof(w));
	for (i = 0; i < nw; i++) {
		w[i].lfd = -1;
		w[i].proto = proto;
		w[i].first = first + n * i / nw;
		w[i].n = first + n * (i + 1) / nw - w[i].first;
		w[i].deadline = deadline;
		ret = listener_new(proto, lo, &w[i].laddr, false, &w[i].lfd);
		if (!ret)
			ret = -pthread_create(&w[i].th, NULL, tw_worker_main,
					      &w[i]);
		if (ret) {
			w[i].err = -ret;
			w[i].what = "listen";
			break;
		}
		w[i].started = true;
	}
	for (i = 0; i < nw; i++) {
		if (w[i].started)
			join_bounded(w[i].th, deadline - now_s() + 10, "tw");
		if (w[i].lfd >= 0)
			close(w[i].lfd);
		created += w[i].created;
		if (w[i].err && !err[0])
			snprintf(err, errlen, "%s: %s (errno %d)", w[i].what,
				 strerror(w[i].err), w[i].err);
	}
	return created;
}

/*
 * The reaper's lateness histogram in /proc/tcpfsm/stats: bucket i counts
 * entries freed more than bound[i - 1] and at most bound[i] us after
 * their deadline; the last one (bound 0) everything later.
 */
static const struct {
	const char *name;
	long bound_us;
} tw_late[] = {
	{ "ReaperLateLe10us", 10 }, { "ReaperLateLe20us", 20 },
	{ "ReaperLateLe50us", 50 }, { "ReaperLateLe100us", 100 },
	{ "ReaperLateLe200us", 200 }, { "ReaperLateLe500us", 500 },
	{ "ReaperLateLe1ms", 1000 }, { "ReaperLateLe2ms", 2000 },
	{ "ReaperLateLe5ms", 5000 }, { "ReaperLateLe10ms", 10000 },
	{ "ReaperLateLe20ms", 20000 }, { "ReaperLateLe50ms", 50000 },
	{ "ReaperLateLe100ms", 100000 }, { "ReaperLateOver100ms", 0 },
};

/* The reaper's figures at one moment; @ok: all of them were there. */
struct reaper_snap {
	bool ok;
	long long runs, run_max_us, run_total_us, runs_over_1ms, late_max_us;
	long long run_max_entries;	/* -1: absent (an older module) */
	long long hist[ARRAY_SIZE(tw_late)];
};

struct tw_res {
	bool ran;
	char err[256];
	char count_src[96];
	long long requested, created, alive;
	double create_s;
	long obj_size, slab_size;
	char slab_src[224];
	long long slab_kb, vmalloc_kb, avail_kb;
	char plan[320];
	bool waited, expiry;
	double first_s, gone_s, last_s;	/* after the first deadline */
	long long left;
	double softirq_ms;
	long long timer, hrtimer;
	char reaper[160];
	struct reaper_snap rs0, rs1;	/* before the phases, after the wait */
	long long overflow;
};

static const char *const tw_stats = "/proc/tcpfsm/stats";
static const char *const tw_msl = "/proc/sys/net/tcpfsm/msl_ms";

/* TIME_WAIT entries of @proto in the calling thread's netns, or -1. */
static long long tw_count(int proto, char *src, size_t len)
{
	static char buf[4096];
	long long cur, in, reaped, reused;
	char *p;

	if (proto == PROTO_TCP) {
		snprintf(src, len, "/proc/net/sockstat TCP tw");
		if (read_text("/proc/thread-self/net/sockstat", buf,
			      sizeof(buf)) <= 0)
			return -1;
		p = strstr(buf, "TCP:");
		p = p ? strstr(p, " tw ") : NULL;
		return p && sscanf(p + 4, "%lld", &cur) == 1 ? cur : -1;
	}
	if (file_field(tw_stats, "TimeWaitCurrent", &cur)) {
		snprintf(src, len, "%s TimeWaitCurrent", tw_stats);
		return cur;
	}
	if (file_field(tw_stats, "TimeWaitEntered", &in) &&
	    file_field(tw_stats, "TimeWaitReaped", &reaped)) {
		if (!file_field(tw_stats, "TimeWaitReused", &reused))
			reused = 0;
		snprintf(src, len,
			 "%s Entered-Reaped-Reused (TimeWaitCurrent absent)",
			 tw_stats);
		return in - reaped - reused;
	}
	snprintf(src, len, "none (%s has no TimeWait counters)", tw_stats);
	return -1;
}

struct sysmem {
	long long slab, vmalloc, avail;
	long long softirq_ticks, timer, hrtimer;
};

static long long softirqs_row(const char *text, const char *name)
{
	const char *p = strstr(text, name);
	long long sum = 0, v;
	int used;

	if (!p)
		return -1;
	p += strlen(name);
	while (*p && *p != '\n' && sscanf(p, "%lld%n", &v, &used) == 1) {
		sum += v;
		p += used;
	}
	return sum;
}

static void sysmem_read(struct sysmem *m)
{
	static char buf[65536];
	long long v[7];

	memset(m, 0, sizeof(*m));
	if (read_text("/proc/meminfo", buf, sizeof(buf)) > 0) {
		text_field(buf, "Slab", &m->slab);
		text_field(buf, "VmallocUsed", &m->vmalloc);
		text_field(buf, "MemAvailable", &m->avail);
	}
	if (read_text("/proc/stat", buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "cpu %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6]) == 7)
		m->softirq_ticks = v[6];
	if (read_text("/proc/softirqs", buf, sizeof(buf)) > 0) {
		m->timer = softirqs_row(buf, " TIMER:");
		m->hrtimer = softirqs_row(buf, "HRTIMER:");
	}
}

static void slab_size_of(const char *name, struct tw_res *r)
{
	static char buf[1 << 20];
	char path[128], link[128];
	long long active;
	ssize_t n;
	char *p;
	long sz;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/object_size", name);
	if (read_long(path, &r->obj_size)) {
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/slab_size",
			 name);
		if (!read_long(path, &r->slab_size))
			r->slab_size = -1;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s", name);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		snprintf(r->slab_src, sizeof(r->slab_src),
			 "/sys/kernel/slab/%s%s%s", name,
			 n > 0 ? ", merged into " : "", n > 0 ? link : "");
		return;
	}
	if (read_text("/proc/slabinfo", buf, sizeof(buf)) > 0) {
		for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			if (strncmp(p, name, strlen(name)) ||
			    p[strlen(name)] != ' ')
				continue;
			if (sscanf(p + strlen(name), "%lld %*d %ld", &active,
				   &sz) == 2) {
				r->obj_size = sz;
				r->slab_size = -1;
				snprintf(r->slab_src, sizeof(r->slab_src),
					 "/proc/slabinfo %s", name);
				return;
			}
		}
	}
	r->obj_size = r->slab_size = -1;
	snprintf(r->slab_src, sizeof(r->slab_src),
		 "no slab cache named %s (merged away or absent)", name);
}

/*
 * Polls the count every 5 ms until it is back to @base; fills the expiry
 * figures relative to @first_deadline.  Bounded by @limit.
 */
static void tw_wait_gone(int proto, struct tw_res *r, long long base,
			 double first_deadline, double limit)
{
	struct sysmem m0, m1;
	double t, tfirst = -1;
	char src[96];
	long long c;

	sleep_until(first_deadline - 0.3);
	sysmem_read(&m0);
	for (;;) {
		c = tw_count(proto, src, sizeof(src));
		t = now_s();
		if (c < 0 || interrupted)
			break;
		if (tfirst < 0 && c < base + r->alive)
			tfirst = t;
		if (c <= base || t > limit)
			break;
		sleep_s(0.005);
	}
	sysmem_read(&m1);
	r->waited = true;
	r->expiry = c >= 0 && c <= base;
	r->left = c - base;
	r->first_s = tfirst < 0 ? -1 : tfirst - first_deadline;
	r->gone_s = t - first_deadline;
	r->softirq_ms = (m1.softirq_ticks - m0.softirq_ticks) * 1000.0 /
			sysconf(_SC_CLK_TCK);
	r->timer = m1.timer - m0.timer;
	r->hrtimer = m1.hrtimer - m0.hrtimer;
}

/*
 * No entry counted: see whether /proc/tcpfsm/conns shows any (O(n) in
 * the entries, so only now, when there are few or none).
 */
static void tw_conns_check(struct tw_res *r)
{
	char line[256];
	long long n = 0;
	FILE *f;

	snprintf(r->plan + strlen(r->plan), sizeof(r->plan) - strlen(r->plan),
		 "; no entry alive after creation: expiry not timed");
	f = fopen("/proc/tcpfsm/conns", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n < 10000000)
		n += strstr(line, "TIME_WAIT") != NULL;
	fclose(f);
	snprintf(r->plan + strlen(r->plan), sizeof(r->plan) - strlen(r->plan),
		 " (/proc/tcpfsm/conns: %lld TIME_WAIT lines)", n);
}

static void reaper_read(struct reaper_snap *rs)
{
	static char buf[16384];
	size_t i;

	memset(rs, 0, sizeof(*rs));
	if (read_text(tw_stats, buf, sizeof(buf)) <= 0)
		return;
	rs->ok = text_field(buf, "ReaperRuns", &rs->runs) &&
		 text_field(buf, "ReaperRunMaxUs", &rs->run_max_us) &&
		 text_field(buf, "ReaperRunTotalUs", &rs->run_total_us) &&
		 text_field(buf, "ReaperRunsOver1ms", &rs->runs_over_1ms) &&
		 text_field(buf, "ReaperLatenessMaxUs", &rs->late_max_us);
	for (i = 0; i < ARRAY_SIZE(tw_late); i++)
		rs->ok = rs->ok && text_field(buf, tw_late[i].name,
					      &rs->hist[i]);
	if (!text_field(buf, "ReaperRunMaxEntries", &rs->run_max_entries))
		rs->run_max_entries = -1;
}

/*
 * The bucket holding the @q quantile of the lateness between two
 * snapshots, as "<= bound" ("> 100 ms" for the last); NULL without any.
 */
static const char *reaper_pct(const struct tw_res *r, double q, char *buf,
			      size_t len)
{
	long long n = 0, want, sum = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tw_late); i++)
		n += r->rs1.hist[i] - r->rs0.hist[i];
	if (!r->rs0.ok || !r->rs1.ok || n <= 0)
		return NULL;
	want = (long long)(q * n + 0.999999);
	for (i = 0; i < ARRAY_SIZE(tw_late); i++) {
		sum += r->rs1.hist[i] - r->rs0.hist[i];
		if (sum >= want)
			break;
	}
	if (i >= ARRAY_SIZE(tw_late) - 1)
		snprintf(buf, len, "> %ld us", tw_late[i - 1].bound_us);
	else
		snprintf(buf, len, "<= %ld us", tw_late[i].bound_us);
	return buf;
}

static void tw_reaper(struct tw_res *r)
{
	reaper_read(&r->rs1);
	if (!r->rs1.ok)
		snprintf(r->reaper, sizeof(r->reaper),
			 "the reaper's figures (ReaperRuns, ReaperRunTotalUs, ReaperRunsOver1ms, the lateness histogram) absent from %s",
			 tw_stats);
	else
		snprintf(r->reaper, sizeof(r->reaper),
			 "reaper figures from %s, counted from the first phase (run max and lateness max: since the netns began)",
			 tw_stats);
}

/*
 * tcpfsm reads msl_ms when an entry is made, and keeps each step down of
 * it on a queue of its own (4 of them, TCPFSM_TW_NQUEUES), so: calibrate
 * the creation rate on a small batch with a short MSL, pick a common
 * first deadline T past the planned end of creation, and make the entries
 * in o.tw_phases phases, each with msl_ms = (T - now) / 2.  Phase k then
 * expires over [T, T + its own length]: all of them together, within a
 * window of 1/phases of the creation time.  Linux TCP's TIME_WAIT is a
 * fixed 60 s, so its entries expire as they were made.
 */
static void tw_run(int proto, long n, struct tw_res *r)
{
	double t0, t, tcal, T = 0, maxphase = 0, limit, first_deadline;
	double latest;
	long long base, c, c2;
	struct sysmem m0, m1;
	long orig_msl = -1, msl = -1, done = 0, cal, k, nk, next = 1000000;
	bool plan = false;

	memset(r, 0, sizeof(*r));
	r->ran = true;
	r->requested = n;
	base = tw_count(proto, r->count_src, sizeof(r->count_src));
	if (base < 0) {
		snprintf(r->err, sizeof(r->err), "no TIME_WAIT count: %s",
			 r->count_src);
		return;
	}
	limit = now_s() + o.tw_limit;
	latest = limit + 5;
	if (proto != PROTO_TCP && o.tw_phases > 0 &&
	    read_long(tw_msl, &orig_msl)) {
		/* A warm-up batch, then the timed one. */
		cal = n / 100 < 1000 ? 1000 : n / 100 > 20000 ? 20000 : n / 100;
		write_long(tw_msl, 50);
		tw_create(proto, 0, cal / 4, limit, r->err, sizeof(r->err));
		tcal = now_s();
		c = tw_create(proto, cal / 4, cal, limit, r->err,
			      sizeof(r->err));
		tcal = now_s() - tcal;
		if (r->err[0])
			goto out;
		for (t = now_s(); !interrupted && now_s() < t + 30; sleep_s(0.05)) {
			c2 = tw_count(proto, r->count_src, sizeof(r->count_src));
			if (c2 <= base)
				break;
		}
		T = now_s() + o.tw_slack * n * tcal / (c > 0 ? c : 1) + 5;
		/*
		 * Creation stops at the limit anyway; a calibration slowed by
		 * other load here must not set a wait past it (it once
		 * planned 435/s for a run that went at 1,200/s).
		 */
		if (latest < T)
			T = latest;
		plan = true;
		snprintf(r->plan, sizeof(r->plan),
			 "calibrated on %lld entries (%.0f/s); %d phases, msl_ms set so all first expire %.1f s after the start",
			 c, c / tcal, o.tw_phases, T - now_s());
	} else if (proto != PROTO_TCP) {
		snprintf(r->plan, sizeof(r->plan),
			 "%s absent or --tw-phases 0: created at the current MSL, expiry not timed",
			 tw_msl);
	} else {
		snprintf(r->plan, sizeof(r->plan),
			 "TIME_WAIT fixed at 60 s: entries expire in the order and at the rate they were made");
	}
	if (proto != PROTO_TCP)
		reaper_read(&r->rs0);
	sysmem_read(&m0);
	t0 = now_s();
	for (k = 0; k < (plan ? o.tw_phases : 1) && !r->err[0]; k++) {
		nk = plan ? n * (k + 1) / o.tw_phases - n * k / o.tw_phases : n;
		t = now_s();
		if (plan) {
			msl = (long)((T - t) * 1000 / 2) + 1;
			if (msl > 3600 * 1000)
				msl = 3600 * 1000;
			if (T - t < 0.5) {
				msl = 1;
				snprintf(r->plan + strlen(r->plan),
					 sizeof(r->plan) - strlen(r->plan),
					 "; creation overran the plan: raise --tw-slack");
			}
			write_long(tw_msl, msl);
		}
		if (plan)
			progress("tw: phase %ld of %d: %ld entries, msl_ms %ld",
				 k + 1, o.tw_phases, nk, msl);
		else
			progress("tw: %ld entries", nk);
		done += tw_create(proto, next, nk, limit, r->err,
				  sizeof(r->err));
		next += nk;
		if (now_s() - t > maxphase)
			maxphase = now_s() - t;
	}
	r->create_s = now_s() - t0;
	r->created = done;
	sysmem_read(&m1);
	r->alive = tw_count(proto, r->count_src, sizeof(r->count_src)) - base;
	r->slab_kb = m1.slab - m0.slab;
	r->vmalloc_kb = m1.vmalloc - m0.vmalloc;
	r->avail_kb = m0.avail - m1.avail;
	if (proto == PROTO_TCP)
		netstat_field("TcpExt:", "TCPTimeWaitOverflow", &r->overflow);
	else if (!file_field(tw_stats, "TimeWaitOverflow", &r->overflow))
		r->overflow = -1;
	progress("tw: %lld created, %lld alive",
		 r->created, r->alive);
	if (r->alive <= 0) {
		tw_conns_check(r);
	} else if (plan) {
		first_deadline = T;
		r->last_s = maxphase;
		tw_wait_gone(proto, r, base, first_deadline,
			     T + maxphase + 120);
	} else if (proto == PROTO_TCP && o.tw_wait_tcp) {
		first_deadline = t0 + 60;
		r->last_s = r->create_s;
		tw_wait_gone(proto, r, base, first_deadline,
			     t0 + 60 + r->create_s + 60);
	}
out:
	if (orig_msl > 0)
		write_long(tw_msl, orig_msl);
	if (proto != PROTO_TCP)
		tw_reaper(r);
}

/* Entries the reaper freed between the snapshots (its histogram's sum). */
static double tw_reaped(const struct tw_res *r)
{
	long long n = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tw_late); i++)
		n += r->rs1.hist[i] - r->rs0.hist[i];
	return n;
}

/* An expiry figure, or "not timed" when there was no wait. */
static const char *tw_fmt(const struct tw_res *r, double v, const char *fmt)
{
	static char buf[4][32];
	static int i;

	if (!r->waited)
		return "not timed";
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), fmt, v);
	return buf[i];
}

static void tw_print(struct tw_res *res)
{
	char a[MAX_PROTOS][64], pb[MAX_PROTOS][32];
	int pi;

#define TW_LINE(label, ...) do {					\
	for (pi = 0; pi < nprotos; pi++) {				\
		struct tw_res *r = &res[pi];				\
		if (!r->ran)						\
			snprintf(a[pi], sizeof(a[pi]), "n/a");		\
		else							\
			snprintf(a[pi], sizeof(a[pi]), __VA_ARGS__);	\
	}								\
	printf("  %-36s", label);					\
	for (pi = 0; pi < nprotos; pi++)				\
		printf(" %18s", a[pi]);					\
	printf("\n");							\
} while (0)

	printf("\nTIME_WAIT at scale (loopback, clients bound to 127.%d.0.0/16 ports %d-65535, active closer = client)\n",
	       TW_OCTET, PORT_LO);
	printf("  %-36s", "");
	for (pi = 0; pi < nprotos; pi++)
		printf(" %18s", protos[pi].name);
	printf("\n");
	TW_LINE("entries requested", "%lld", r->requested);
	TW_LINE("entries created", "%lld", r->created);
	TW_LINE("alive after creation", "%lld", r->alive);
	TW_LINE("time to create (s)", "%.1f", r->create_s);
	TW_LINE("creation rate (/s)", "%.0f",
		r->create_s > 0 ? r->created / r->create_s : 0);
	TW_LINE("slab object_size (B)", "%ld", r->obj_size);
	TW_LINE("slab slab_size (B)", "%ld", r->slab_size);
	TW_LINE("Slab growth (MiB)", "%.1f", r->slab_kb / 1024.0);
	TW_LINE("Slab growth per entry (B)", "%.0f",
		r->alive > 0 ? r->slab_kb * 1024.0 / r->alive : 0);
	TW_LINE("VmallocUsed growth (MiB)", "%.1f", r->vmalloc_kb / 1024.0);
	TW_LINE("MemAvailable drop (MiB)", "%.1f", r->avail_kb / 1024.0);
	TW_LINE("expiry window as made (s)", "%s",
		tw_fmt(r, r->last_s, "%.1f"));
	TW_LINE("first expiry after 1st deadline s", "%s",
		r->first_s < 0 ? "-" : tw_fmt(r, r->first_s, "%.3f"));
	TW_LINE("all gone after 1st deadline s", "%s",
		tw_fmt(r, r->gone_s, r->expiry ? "%.2f" : "%.2f (not all)"));
	TW_LINE("late after last deadline (s)", "%s",
		tw_fmt(r, r->gone_s - r->last_s, "%.2f"));
	TW_LINE("left at the end of the wait", "%s",
		tw_fmt(r, r->left, "%.0f"));
	TW_LINE("softirq time in window (ms)", "%s",
		tw_fmt(r, r->softirq_ms, "%.0f"));
	TW_LINE("TIMER softirqs in window", "%s", tw_fmt(r, r->timer, "%.0f"));
	TW_LINE("HRTIMER softirqs in window", "%s",
		tw_fmt(r, r->hrtimer, "%.0f"));
	TW_LINE("entries reaped by the reaper", "%s",
		!r->rs1.ok ? "-" : tw_fmt(r, tw_reaped(r), "%.0f"));
	TW_LINE("reaper runs", "%s", !r->rs1.ok ? "-" :
		tw_fmt(r, r->rs1.runs - r->rs0.runs, "%.0f"));
	TW_LINE("reaper time, all runs (ms)", "%s", !r->rs1.ok ? "-" :
		tw_fmt(r, (r->rs1.run_total_us - r->rs0.run_total_us) / 1000.0,
		       "%.1f"));
	TW_LINE("longest reaper run (us)", "%s", !r->rs1.ok ? "-" :
		tw_fmt(r, r->rs1.run_max_us, "%.0f"));
	TW_LINE("entries the longest run freed", "%s",
		!r->rs1.ok || r->rs1.run_max_entries < 0 ? "-" :
		tw_fmt(r, r->rs1.run_max_entries, "%.0f"));
	TW_LINE("reaper runs over 1 ms", "%s", !r->rs1.ok ? "-" :
		tw_fmt(r, r->rs1.runs_over_1ms - r->rs0.runs_over_1ms, "%.0f"));
	TW_LINE("reaper lateness p50", "%s",
		reaper_pct(r, 0.50, pb[pi], sizeof(pb[pi])) ?: "-");
	TW_LINE("reaper lateness p99", "%s",
		reaper_pct(r, 0.99, pb[pi], sizeof(pb[pi])) ?: "-");
	TW_LINE("reaper lateness max (us)", "%s", !r->rs1.ok ? "-" :
		tw_fmt(r, r->rs1.late_max_us, "%.0f"));
#undef TW_LINE
	for (pi = 0; pi < nprotos; pi++) {
		struct tw_res *r = &res[pi];

		if (!r->ran)
			continue;
		printf("  %s: count from %s; slab from %s\n", protos[pi].name,
		       r->count_src, r->slab_src);
		printf("  %s: %s\n", protos[pi].name, r->plan);
		if (protos[pi].num != PROTO_TCP) {
			printf("  %s: %s\n", protos[pi].name, r->reaper);
			printf("  %s: TimeWaitOverflow %lld (max_tw reached: no entry)\n",
			       protos[pi].name, r->overflow);
			if (r->rs1.ok && tw_reaped(r) > 0)
				printf("  %s: reaper: %.0f ns of softirq time per entry; longest run %lld us, %s the 1000 us bound\n",
				       protos[pi].name,
				       (r->rs1.run_total_us -
					r->rs0.run_total_us) * 1000.0 /
				       tw_reaped(r), r->rs1.run_max_us,
				       r->rs1.run_max_us <= 1000 ?
				       "within" : "OVER");
		} else {
			printf("  %s: TCPTimeWaitOverflow %lld\n",
			       protos[pi].name, r->overflow);
		}
		if (r->err[0])
			printf("  %s: error: %s\n", protos[pi].name, r->err);
	}
}

static void run_tw(void)
{
	struct tw_res res[MAX_PROTOS];
	long tcp_size = -1, fsm_size = -1, n;
	int pi, fd, ret;

	memset(res, 0, sizeof(res));
	for (pi = 0; pi < nprotos && !interrupted; pi++) {
		if (!protos[pi].ok)
			continue;
		n = protos[pi].num == PROTO_TCP && o.tw_count_tcp >= 0 ?
		    o.tw_count_tcp : o.tw_count;
		if (n <= 0)
			continue;
		/* A fresh netns each: no leftovers of the other runs. */
		fd = o.use_netns ? netns_new() : -1;
		if (o.use_netns && fd < 0) {
			report_err(-fd, "tw: new netns");
			continue;
		}
		tune_netns("tw", n + 100000 > 2000000 ? n + 100000 : 2000000);
		printf("tw: %s: creating %ld TIME_WAIT entries...\n",
		       protos[pi].name, n);
		fflush(stdout);
		tw_run(protos[pi].num, n, &res[pi]);
		slab_size_of(protos[pi].num == PROTO_TCP ? "tw_sock_TCP" :
			     "tcpfsm_tw", &res[pi]);
		if (fd >= 0) {
			ret = enter_ns(home_ns);
			if (ret)
				report_err(-ret, "tw: back to the first netns");
			close(fd);
		}
		if (protos[pi].num == PROTO_TCP)
			tcp_size = res[pi].obj_size;
		else
			fsm_size = res[pi].obj_size;
	}
	tw_print(res);
	if (fsm_size > 0)
		printf("TIME_WAIT bytes per entry: %ld", fsm_size);
	else
		printf("TIME_WAIT bytes per entry: n/a");
	if (tcp_size > 0)
		printf(" (Linux TCP: %ld)\n", tcp_size);
	else
		printf(" (Linux TCP: n/a)\n");
}

/* ---- main ---- */

static const char usage_text[] =
"usage: tcpfsm-bench [options] [crr] [rr] [stream] [lookup] [tw] [all]\n"
"  default modes: crr rr stream (the table); all = every mode\n"
"  -p, --proto LIST      protocols, baseline first (default 6,253)\n"
"  -P, --path LIST       lo,veth (default lo); veth needs root and ip(8)\n"
"  -d, --duration SEC    per trial (default 3)\n"
"  -w, --warmup SEC      warm-up trial per protocol and row (default 0.5)\n"
"  -r, --repeat N        trials per protocol, alternating (default 5)\n"
"  -c, --clients N       CRR client threads, each with a server (default 2)\n"
"  -t, --timeout MS      any one blocking call (default 5000)\n"
"  -T, --tune            raise tcp_max_tw_buckets and max_tw, widen ports\n"
"      --no-netns        loopback in the current netns, not a private one\n"
"      --lookup LIST     idle connection counts (default 100,100000)\n"
"      --lookup-limit S  time limit to open them, each (default 600)\n"
"      --tw-count N      TIME_WAIT entries (default 1000000)\n"
"      --tw-count-tcp N  for Linux TCP (default: --tw-count)\n"
"      --tw-phases N     phases of msl_ms, at most 4 (default 4)\n"
"      --tw-slack F      creation time margin for the plan (default 1.5)\n"
"      --tw-workers N    creating threads (default 2)\n"
"      --tw-limit S      time limit to create them (default 1200)\n"
"      --tw-no-wait-tcp  do not wait ~60 s for TCP's entries to expire\n"
"      --cpu N           pin every thread to CPU N (steadier under TCG)\n"
"  -v, --verbose         print every trial's figure\n";

static bool parse_list(const char *s, long *v, int max, int *n)
{
	char *end;

	*n = 0;
	while (*s) {
		if (*n >= max)
			return false;
		errno = 0;
		v[(*n)++] = strtol(s, &end, 10);
		if (errno || end == s || (*end && *end != ','))
			return false;
		s = *end ? end + 1 : end;
	}
	return *n > 0;
}

static bool parse_paths(const char *s)
{
	char buf[64], *tok, *sp;

	snprintf(buf, sizeof(buf), "%s", s);
	o.path_lo = o.path_veth = false;
	for (tok = strtok_r(buf, ",", &sp); tok; tok = strtok_r(NULL, ",", &sp)) {
		if (!strcmp(tok, "lo"))
			o.path_lo = true;
		else if (!strcmp(tok, "veth"))
			o.path_veth = true;
		else
			return false;
	}
	return o.path_lo || o.path_veth;
}

static bool parse_mode(const char *m)
{
	if (!strcmp(m, "crr"))
		o.modes_crr = true;
	else if (!strcmp(m, "rr"))
		o.modes_rr = true;
	else if (!strcmp(m, "stream"))
		o.modes_stream = true;
	else if (!strcmp(m, "lookup"))
		o.modes_lookup = true;
	else if (!strcmp(m, "tw"))
		o.modes_tw = true;
	else if (!strcmp(m, "all"))
		o.modes_crr = o.modes_rr = o.modes_stream = o.modes_lookup =
			o.modes_tw = true;
	else
		return false;
	return true;
}

enum {
	OPT_NO_NETNS = 256, OPT_LOOKUP, OPT_LOOKUP_LIMIT, OPT_TW_COUNT,
	OPT_TW_COUNT_TCP, OPT_TW_PHASES, OPT_TW_SLACK, OPT_TW_WORKERS,
	OPT_TW_LIMIT, OPT_TW_NO_WAIT_TCP, OPT_CPU,
};

static const struct option longopts[] = {
	{ "proto", required_argument, NULL, 'p' },
	{ "path", required_argument, NULL, 'P' },
	{ "duration", required_argument, NULL, 'd' },
	{ "warmup", required_argument, NULL, 'w' },
	{ "repeat", required_argument, NULL, 'r' },
	{ "clients", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "tune", no_argument, NULL, 'T' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "no-netns", no_argument, NULL, OPT_NO_NETNS },
	{ "lookup", required_argument, NULL, OPT_LOOKUP },
	{ "lookup-limit", required_argument, NULL, OPT_LOOKUP_LIMIT },
	{ "tw-count", required_argument, NULL, OPT_TW_COUNT },
	{ "tw-count-tcp", required_argument, NULL, OPT_TW_COUNT_TCP },
	{ "tw-phases", required_argument, NULL, OPT_TW_PHASES },
	{ "tw-slack", required_argument, NULL, OPT_TW_SLACK },
	{ "tw-workers", required_argument, NULL, OPT_TW_WORKERS },
	{ "tw-limit", required_argument, NULL, OPT_TW_LIMIT },
	{ "tw-no-wait-tcp", no_argument, NULL, OPT_TW_NO_WAIT_TCP },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ NULL, 0, NULL, 0 },
};

static void bad_usage(const char *what)
{
	fprintf(stderr, "tcpfsm-bench: bad %s\n%s", what, usage_text);
	exit(2);
}

static double parse_double(const char *s, double min, double max,
			   const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max)
		bad_usage(what);
	return v;
}

static void parse_args(int argc, char **argv)
{
	long list[MAX_LOOKUP];
	int c, i, n;

	o.path_lo = true;
	while ((c = getopt_long(argc, argv, "p:P:d:w:r:c:t:Tvh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_list(optarg, list, MAX_PROTOS, &n))
				bad_usage("--proto");
			nprotos = n;
			for (i = 0; i < n; i++) {
				if (list[i] < 0 || list[i] > 255)
					bad_usage("--proto");
				protos[i].num = list[i];
			}
			break;
		case 'P':
			if (!parse_paths(optarg))
				bad_usage("--path");
			break;
		case 'd':
			o.duration = parse_double(optarg, 0.1, 3600, "--duration");
			break;
		case 'w':
			o.warmup = parse_double(optarg, 0, 3600, "--warmup");
			break;
		case 'r':
			o.repeat = parse_double(optarg, 1, MAX_REPEAT, "--repeat");
			break;
		case 'c':
			o.clients = parse_double(optarg, 1, MAX_PAIRS, "--clients");
			break;
		case 't':
			o.timeout_ms = parse_double(optarg, 10, 600000, "--timeout");
			break;
		case 'T':
			o.tune = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case OPT_NO_NETNS:
			o.use_netns = false;
			break;
		case OPT_LOOKUP:
			if (!parse_list(optarg, o.lookup, MAX_LOOKUP, &o.nlookup))
				bad_usage("--lookup");
			for (i = 0; i < o.nlookup; i++)
				if (o.lookup[i] < 1 || o.lookup[i] > 1000000)
					bad_usage("--lookup");
			break;
		case OPT_LOOKUP_LIMIT:
			o.lookup_limit = parse_double(optarg, 1, 36000,
						      "--lookup-limit");
			break;
		case OPT_TW_COUNT:
			o.tw_count = parse_double(optarg, 0, 20000000,
						  "--tw-count");
			break;
		case OPT_TW_COUNT_TCP:
			o.tw_count_tcp = parse_double(optarg, 0, 20000000,
						      "--tw-count-tcp");
			break;
		case OPT_TW_PHASES:
			o.tw_phases = parse_double(optarg, 0, 4, "--tw-phases");
			break;
		case OPT_TW_SLACK:
			o.tw_slack = parse_double(optarg, 1, 100, "--tw-slack");
			break;
		case OPT_TW_WORKERS:
			o.tw_workers = parse_double(optarg, 1, MAX_PAIRS,
						    "--tw-workers");
			break;
		case OPT_TW_LIMIT:
			o.tw_limit = parse_double(optarg, 1, 36000, "--tw-limit");
			break;
		case OPT_TW_NO_WAIT_TCP:
			o.tw_wait_tcp = false;
			break;
		case OPT_CPU:
			o.cpu = parse_double(optarg, 0, CPU_SETSIZE - 1, "--cpu");
			break;
		case 'h':
			printf("%s", usage_text);
			exit(0);
		default:
			bad_usage("option");
		}
	}
	for (i = optind; i < argc; i++)
		if (!parse_mode(argv[i]))
			bad_usage("mode");
	if (optind == argc)
		o.modes_crr = o.modes_rr = o.modes_stream = true;
	if (!nprotos) {
		nprotos = 2;
		protos[0].num = PROTO_TCP;
		protos[1].num = PROTO_TCPFSM;
	}
	for (i = 0; i < nprotos; i++) {
		if (protos[i].num == PROTO_TCP)
			snprintf(protos[i].name, sizeof(protos[i].name), "TCP");
		else if (protos[i].num == PROTO_TCPFSM)
			snprintf(protos[i].name, sizeof(protos[i].name), "tcpfsm");
		else
			snprintf(protos[i].name, sizeof(protos[i].name),
				 "proto%d", protos[i].num);
	}
}

static void setup_paths(void)
{
	struct path *p;
	long buckets = 2000000;
	int ret;

	home_ns = o.use_netns ? netns_new() : -1;
	if (o.use_netns && home_ns < 0) {
		report_err(-home_ns, "private netns for loopback (use --no-netns to run in this one)");
		exit(1);
	}
	if (!o.use_netns) {
		home_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home_ns < 0) {
			report_err(errno, "open /proc/thread-self/ns/net");
			exit(1);
		}
	}
	p = &paths[npaths++];
	p->name = "lo";
	p->ns[SRV] = p->ns[CLI] = home_ns;
	p->ip[SRV].s_addr = p->ip[CLI].s_addr = htonl(INADDR_LOOPBACK);
	p->ok = o.path_lo || o.modes_lookup || o.modes_tw;
	p->table = o.path_lo;
	if (p->ok) {
		ret = tune_path(p, buckets);
		if (ret)
			report_err(-ret, "lo: netns");
	}
	if (o.path_veth) {
		p = &paths[npaths++];
		p->name = "veth";
		ret = veth_setup(p);
		if (ret) {
			report_err(ret < 0 ? -ret : 0, "veth: set-up");
		} else {
			p->ok = p->table = true;
			ret = tune_path(p, buckets);
			if (ret)
				report_err(-ret, "veth: netns");
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct utsname un;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	t_start = now_s();
	parse_args(argc, argv);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: interrupts calls */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_interrupt;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	uname(&un);
	printf("tcpfsm-bench: Linux %s, %ld CPUs; trial %.1f s x %d per protocol, warm-up %.1f s, CRR clients %d, timeout %u ms\n",
	       un.release, sysconf(_SC_NPROCESSORS_ONLN), o.duration, o.repeat,
	       o.warmup, o.clients, o.timeout_ms);
	print_loadavg("before");
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			report_err(errno, "--cpu %d", o.cpu);
			return 1;
		}
		printf("every thread pinned to CPU %d\n", o.cpu);
	}
	setup_paths();
	probe_protos();
	for (i = 0; i < nprotos; i++)
		printf("protocol %d (%s): %s\n", protos[i].num, protos[i].name,
		       protos[i].ok ? "available" : protos[i].why);

	if (o.modes_crr || o.modes_rr || o.modes_stream)
		run_table();
	if (o.modes_lookup)
		run_lookup();
	if (nrows) {
		print_table();
		if (flatness[0])
			printf("%s\n", flatness);
		if (o.verbose)
			print_trials();
	}
	if (o.modes_tw)
		run_tw();
	print_loadavg("after");
	if (interrupted)
		printf("interrupted\n");
	return interrupted ? 130 : 0;
}
