// SPDX-License-Identifier: GPL-2.0
/*
 * wire: the remote TCP peer for the wire_*.c kselftests.  See wire.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

#define TUN_NAME	"wire0"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Failure report: the reason, then the segments that led to it. */
static int wire_fail(struct wire *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int wire_fail(struct wire *w, const char *fmt, ...)
{
	unsigned int i, first;
	va_list ap;

	fprintf(stderr, "# wire: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (!w || !w->nhist)
		return -1;
	first = w->nhist > 24 ? w->nhist - 24 : 0;
	fprintf(stderr, "# wire: segments so far (seq/ack relative to ISNs):\n");
	for (i = first; i < w->nhist; i++)
		fprintf(stderr, "#   %s\n", w->hist[i % 24]);
	return -1;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double wire_now(const struct wire *w)
{
	return mono() - w->t0;
}

/* ---- Namespace, tun device and knobs ---------------------------------- */

static int write_file(const char *path, const char *val)
{
	int fd, n;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (int)strlen(val) ? 0 : -1;
}

/*
 * Linux TCP in the test netns, made to look like a plain RFC 9293 stack on
 * the wire and to answer every segment the tests send.
 */
static const struct {
	const char *name, *val;
} tcp_knobs[] = {
	/* no options but MSS in our view of the wire */
	{ "tcp_timestamps", "0" },
	{ "tcp_sack", "0" },
	{ "tcp_dsack", "0" },
	{ "tcp_window_scaling", "0" },
	{ "tcp_ecn", "0" },
	{ "tcp_fastopen", "0" },
	/* RFC 1337: TIME_WAIT ignores RST (Linux's default is to honour it) */
	{ "tcp_rfc1337", "1" },
	/*
	 * Linux answers out-of-window segments, duplicate SYNs to a
	 * SYN_RECV request and RFC 5961 challenges at most once per 500 ms
	 * per socket (RFC 5961 section 7 asks for a limit); tests send
	 * several in a row.
	 */
	{ "tcp_invalid_ratelimit", "0" },
	{ "tcp_challenge_ack_limit", "2147483647" },
	/*
	 * retransmit by RFC 6298 alone: SYNs back off exponentially from the
	 * first retransmission (6.12 and later otherwise retry 4 times at
	 * 1 s; 6.1 has no such knob), no tail loss probe, RACK or F-RTO
	 */
	{ "tcp_syn_linear_timeouts", "0" },
	{ "tcp_early_retrans", "0" },
	{ "tcp_recovery", "0" },
	{ "tcp_frto", "0" },
	/* send what the application writes at once */
	{ "tcp_autocorking", "0" },
};

static int knobs_tcp(struct wire *w)
{
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tcp_knobs); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s",
			 tcp_knobs[i].name);
		/*
		 * A kernel without the knob (6.1 and
		 * tcp_syn_linear_timeouts) lacks the behaviour it turns off.
		 */
		if (write_file(path, tcp_knobs[i].val) && errno != ENOENT)
			return wire_fail(w, "sysctl %s=%s: %m",
					 tcp_knobs[i].name, tcp_knobs[i].val);
	}
	return 0;
}

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (s < 0)
		return -1;
	ret = ioctl(s, req, ifr);
	close(s);
	return ret;
}

static int if_up(const char *name)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ifreq_ioctl(SIOCGIFFLAGS, &ifr))
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

static int if_addr(const char *name, const char *addr, const char *mask)
{
	struct ifreq ifr = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	if (ifreq_ioctl(SIOCSIFADDR, &ifr))
		return -1;
	inet_pton(AF_INET, mask, &sin->sin_addr);
	return ifreq_ioctl(SIOCSIFNETMASK, &ifr);
}

static int tun_open(struct wire *w)
{
	struct ifreq ifr = {};

	w->tun = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (w->tun < 0 && errno == ENOENT) {
		/* a bare /dev (a test VM): the node's open loads tun */
		mkdir("/dev/net", 0755);
		mknod("/dev/net/tun", S_IFCHR | 0666, makedev(10, 200));
		w->tun = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	}
	if (w->tun < 0)
		return wire_fail(w, "open /dev/net/tun: %m");
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", TUN_NAME);
	if (ioctl(w->tun, TUNSETIFF, &ifr))
		return wire_fail(w, "TUNSETIFF: %m");
	if (if_addr(TUN_NAME, WIRE_LOCAL_ADDR, "255.255.255.0"))
		return wire_fail(w, "address on %s: %m", TUN_NAME);
	if (if_up(TUN_NAME))
		return wire_fail(w, "%s up: %m", TUN_NAME);
	return 0;
}

int wire_setup(struct wire *w, int proto)
{
	int s;

	memset(w, 0, sizeof(*w));
	w->proto = proto;
	w->tun = -1;
	w->lport = WIRE_LPORT;	/* wire_connect() learns another */
	w->pport = WIRE_PPORT;
	w->iss = WIRE_ISS;
	w->win = 65535;
	w->mss = 1460;
	w->t0 = mono();

	if (unshare(CLONE_NEWNET))
		return wire_fail(w, "unshare(CLONE_NEWNET): %m (needs root)");
	if (if_up("lo"))
		return wire_fail(w, "lo up: %m");
	/* no IPv6 chatter (router solicitations, MLD) on the tun device */
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	if (proto == PROTO_TCP && knobs_tcp(w))
		return -1;

	s = socket(AF_INET, SOCK_STREAM, proto);
	if (s < 0)
		return wire_fail(w, "socket(AF_INET, SOCK_STREAM, %d): %m%s",
				 proto, proto == PROTO_TCPFSM ?
				 " (is the tcpfsm module loaded?)" : "");
	close(s);
	/* tcpfsm as well: no window scale option unless a test turns it on */
	if (proto == PROTO_TCPFSM && set_knob(proto, "window_scaling", 0))
		return wire_fail(w, "tcpfsm window_scaling=0: %m");
	return tun_open(w);
}

void wire_cleanup(struct wire *w)
{
	if (w->tun >= 0)
		close(w->tun);
	w->tun = -1;
}

void wire_new_incarnation(struct wire *w, uint32_t iss)
{
	w->iss = iss;
	w->irs = 0;
	w->irs_known = false;
}

/* ---- Segments ---------------------------------------------------------- */

static uint32_t csum_add(uint32_t sum, const void *buf, int len)
{
	const uint8_t *p = buf;

	for (; len > 1; len -= 2, p += 2)
		sum += p[0] << 8 | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Internet checksum of an IPv4 pseudo-header with proto and the segment */
static uint16_t tcp_csum(const struct iphdr *ip, int proto,
			 const void *seg, int len)
{
	uint32_t sum = 0;

	sum = csum_add(sum, &ip->saddr, 4);
	sum = csum_add(sum, &ip->daddr, 4);
	sum += proto + len;
	return csum_fold(csum_add(sum, seg, len));
}

static void flags_str(uint8_t f, char *buf)
{
	static const struct {
		uint8_t bit;
		char c;
	} names[] = {
		{ TH_SYN, 'S' }, { TH_FIN, 'F' }, { TH_RST, 'R' },
		{ TH_PUSH, 'P' }, { TH_URG, 'U' }, { 0x40, 'E' },
		{ 0x80, 'W' }, { TH_ACK, '.' },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (f & names[i].bit)
			*buf++ = names[i].c;
	*buf = 0;
}

static void opts_str(const uint8_t *o, int len, char *buf, size_t size)
{
	size_t n = 0;
	int i = 0;

	buf[0] = 0;
	while (i < len && n < size - 16) {
		int kind = o[i], olen = i + 1 < len ? o[i + 1] : 0;

		if (n)
			buf[n++] = ',';
		if (kind == 0) {
			n += snprintf(buf + n, size - n, "eol");
			break;
		} else if (kind == 1) {
			n += snprintf(buf + n, size - n, "nop");
			i++;
			continue;
		} else if (olen < 2 || i + olen > len) {
			n += snprintf(buf + n, size - n, "kind %d bad length %d",
				      kind, olen);
			break;
		} else if (kind == 2 && olen == 4) {
			n += snprintf(buf + n, size - n, "mss %d",
				      o[i + 2] << 8 | o[i + 3]);
		} else if (kind == 3 && olen == 3) {
			n += snprintf(buf + n, size - n, "wscale %d", o[i + 2]);
		} else {
			n += snprintf(buf + n, size - n, "kind %d len %d",
				      kind, olen);
		}
		i += olen;
	}
}

/*
 * One line per segment: who sent it, flags, seq:end(len) relative to the
 * sender's ISN, ack relative to the receiver's.
 */
static void seg_str(const struct wire *w, bool ours, const struct wire_seg *s,
		    char *buf, size_t size)
{
	uint32_t sbase = ours ? w->iss : w->irs, abase = ours ? w->irs : w->iss;
	char f[12], o[96] = "", a[24] = "";

	flags_str(s->flags, f);
	if (s->optlen)
		opts_str(s->opt, s->optlen, o, sizeof(o));
	if (s->flags & TH_ACK)
		snprintf(a, sizeof(a), " ack %u", s->ack - abase);
	snprintf(buf, size, "%7.3f %s %-3s %u:%u(%d)%s win %u%s%s%s hlen %d%s",
		 s->t, ours ? "peer  >" : "kernel<", f, s->seq - sbase,
		 s->seq - sbase + s->len, s->len, a, s->win,
		 o[0] ? " <" : "", o, o[0] ? ">" : "", s->hlen,
		 ours ? "" : (w->irs_known ? "" : " (absolute seq)"));
}

static void hist_add(struct wire *w, bool ours, const struct wire_seg *s,
		     const char *note)
{
	char *line = w->hist[w->nhist++ % 24];

	seg_str(w, ours, s, line, sizeof(w->hist[0]) - 40);
	if (note)
		strcat(line, note);
	if (getenv("WIRE_TRACE"))
		fprintf(stderr, "# %s\n", line);
}

int wire_send(struct wire *w, uint8_t flags, uint32_t seq, uint32_t ack,
	      const struct wire_tx *o)
{
	uint8_t pkt[20 + 60 + 1500] = {};
	struct iphdr *ip = (struct iphdr *)pkt;
	uint8_t *th = pkt + 20, *p;
	int optlen = 0, len, hlen, i;
	struct wire_seg s = {};
	uint16_t sum;

	len = o->data && !o->len ? (int)strlen(o->data) : o->len;
	if (o->optlen % 4 || o->optlen > 36 || len > 1460)
		return wire_fail(w, "%s: bad options or length", __func__);
	if (o->mss) {
		th[20] = 2;
		th[21] = 4;
		th[22] = o->mss >> 8;
		th[23] = o->mss & 0xff;
		optlen = 4;
	}
	memcpy(th + 20 + optlen, o->opt, o->optlen);
	optlen += o->optlen;
	hlen = 20 + optlen;
	p = th + hlen;
	for (i = 0; i < len; i++)
		p[i] = o->data ? o->data[i] : wire_pattern(seq + i);

	s.sport = w->pport;
	s.dport = w->lport;
	s.seq = w->iss + seq;
	s.ack = flags & TH_ACK ? w->irs + ack : 0;
	s.flags = flags;
	s.win = w->win;
	*(uint16_t *)th = htons(s.sport);
	*(uint16_t *)(th + 2) = htons(s.dport);
	*(uint32_t *)(th + 4) = htonl(s.seq);
	*(uint32_t *)(th + 8) = htonl(s.ack);
	th[12] = (o->doff ? o->doff : hlen / 4) << 4;
	th[13] = flags;
	*(uint16_t *)(th + 14) = htons(s.win);

	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(20 + hlen + len);
	ip->id = htons(++w->ip_id);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = w->proto;
	inet_pton(AF_INET, WIRE_PEER_ADDR, &ip->saddr);
	inet_pton(AF_INET, WIRE_LOCAL_ADDR, &ip->daddr);
	ip->check = htons(csum_fold(csum_add(0, ip, 20)));

	sum = tcp_csum(ip, o->other_proto_csum ? (w->proto == PROTO_TCP ?
			PROTO_TCPFSM : PROTO_TCP) : w->proto,
		       th, hlen + len);
	if (o->bad_csum)
		sum ^= 1;	/* not ~, which could be the same sum (-0) */
	*(uint16_t *)(th + 16) = htons(sum);

	s.t = wire_now(w);
	s.hlen = o->doff ? o->doff * 4 : hlen;
	s.len = len;
	s.optlen = optlen;
	memcpy(s.opt, th + 20, optlen);
	hist_add(w, true, &s, o->bad_csum || o->other_proto_csum ?
		 " BAD CHECKSUM" : NULL);

	if (write(w->tun, pkt, 20 + hlen + len) != 20 + hlen + len)
		return wire_fail(w, "write to tun: %m");
	return 0;
}

/*
 * Anything at all as a segment: seg[0..len) goes out as it is behind an
 * IPv4 header from saddr (network order; 0: WIRE_PEER_ADDR), with the
 * checksum at bytes 16-17 filled in (off by one with bad_csum) when the
 * segment is long enough to have one.  For the fuzzer and the SYN flood;
 * not in the history, no state learnt.
 */
int wire_send_raw(struct wire *w, uint32_t saddr, uint8_t *seg, int len,
		  bool bad_csum)
{
	uint8_t pkt[20 + 65515];
	struct iphdr *ip = (struct iphdr *)pkt;
	uint16_t sum;

	if (len < 0 || len > (int)sizeof(pkt) - 20)
		return wire_fail(w, "%s: bad length %d", __func__, len);
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(20 + len);
	ip->id = htons(++w->ip_id);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = w->proto;
	if (saddr)
		ip->saddr = saddr;
	else
		inet_pton(AF_INET, WIRE_PEER_ADDR, &ip->saddr);
	inet_pton(AF_INET, WIRE_LOCAL_ADDR, &ip->daddr);
	ip->check = htons(csum_fold(csum_add(0, ip, 20)));
	if (len >= 18) {
		seg[16] = seg[17] = 0;
		sum = tcp_csum(ip, w->proto, seg, len) ^ bad_csum;
		seg[16] = sum >> 8;
		seg[17] = sum & 0xff;
	}
	memcpy(pkt + 20, seg, len);
	if (write(w->tun, pkt, 20 + len) != 20 + len)
		return wire_fail(w, "write to tun: %m");
	return 0;
}

/* Throw away whatever the kernel sent; the number of packets read. */
int wire_drain(struct wire *w)
{
	uint8_t pkt[65536];
	int n = 0;

	while (read(w->tun, pkt, sizeof(pkt)) > 0)
		n++;
	return n;
}

int wire_send_icmp(struct wire *w, uint8_t type, uint8_t code, uint32_t seq,
		   uint16_t info)
{
	uint8_t pkt[20 + 8 + 20 + 8] = {};
	struct iphdr *ip = (struct iphdr *)pkt, *in = (struct iphdr *)(pkt + 28);
	uint8_t *icmp = pkt + 20, *th = pkt + 48;
	const struct wire_seg *s = &w->last;

	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(pkt));
	ip->id = htons(++w->ip_id);
	ip->ttl = 64;
	ip->protocol = IPPROTO_ICMP;
	inet_pton(AF_INET, WIRE_PEER_ADDR, &ip->saddr);
	inet_pton(AF_INET, WIRE_LOCAL_ADDR, &ip->daddr);
	ip->check = htons(csum_fold(csum_add(0, ip, 20)));

	/* The quoted datagram: the kernel's segment as it left the kernel. */
	in->version = 4;
	in->ihl = 5;
	in->tot_len = htons(20 + s->hlen + s->len);
	in->frag_off = htons(IP_DF);
	in->ttl = 64;
	in->protocol = w->proto;
	inet_pton(AF_INET, WIRE_LOCAL_ADDR, &in->saddr);
	inet_pton(AF_INET, WIRE_PEER_ADDR, &in->daddr);
	in->check = htons(csum_fold(csum_add(0, in, 20)));
	*(uint16_t *)th = htons(s->sport);
	*(uint16_t *)(th + 2) = htons(s->dport);
	*(uint32_t *)(th + 4) = htonl(w->irs + seq);

	icmp[0] = type;
	icmp[1] = code;
	*(uint16_t *)(icmp + 6) = htons(info);
	*(uint16_t *)(icmp + 2) = htons(csum_fold(csum_add(0, icmp,
							   sizeof(pkt) - 20)));
	if (write(w->tun, pkt, sizeof(pkt)) != sizeof(pkt))
		return wire_fail(w, "write to tun: %m");
	return 0;
}

static void parse_opts(struct wire_seg *s, const uint8_t *o, int len)
{
	int i = 0;

	s->mss = -1;
	s->wscale = -1;
	s->optlen = len;
	memcpy(s->opt, o, len);
	while (i < len && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
			return;
		if (o[i] == 2 && o[i + 1] == 4)
			s->mss = o[i + 2] << 8 | o[i + 3];
		if (o[i] == 3 && o[i + 1] == 3)
			s->wscale = o[i + 2];
		i += o[i + 1];
	}
}

/*
 * Parse one IPv4 packet from the kernel: 1 if it is not a segment of ours
 * (other protocol or addresses), -1 if it is broken, 0 if s is filled.
 */
static int parse(struct wire *w, const uint8_t *pkt, int n, struct wire_seg *s)
{
	const struct iphdr *ip = (const struct iphdr *)pkt;
	const uint8_t *th;
	int ihl, tot, len;
	struct in_addr peer;

	if (n < 20 || ip->version != 4)
		return 1;
	inet_pton(AF_INET, WIRE_PEER_ADDR, &peer);
	ihl = ip->ihl * 4;
	tot = ntohs(ip->tot_len);
	if (ip->daddr != peer.s_addr)
		return 1;
	if (ip->protocol == IPPROTO_ICMP && n >= ihl + 2) {
		w->icmp++;
		w->icmp_type = pkt[ihl];
		w->icmp_code = pkt[ihl + 1];
		return 1;
	}
	if (ip->protocol != w->proto)
		return 1;
	if (ihl < 20 || tot > n || tot < ihl + 20 || csum_fold(csum_add(0, ip, ihl)))
		return wire_fail(w, "kernel sent a broken IPv4 header");
	if (ntohs(ip->frag_off) & 0x3fff)
		return wire_fail(w, "kernel sent an IP fragment");
	th = pkt + ihl;
	len = tot - ihl;
	if (tcp_csum(ip, w->proto, th, len))
		return wire_fail(w, "kernel sent a segment with a bad checksum (proto %d pseudo-header)",
				 w->proto);
	memset(s, 0, offsetof(struct wire_seg, data));
	s->t = wire_now(w);
	s->sport = ntohs(*(uint16_t *)th);
	s->dport = ntohs(*(uint16_t *)(th + 2));
	s->seq = ntohl(*(uint32_t *)(th + 4));
	s->ack = ntohl(*(uint32_t *)(th + 8));
	s->hlen = (th[12] >> 4) * 4;
	s->flags = th[13];
	s->win = ntohs(*(uint16_t *)(th + 14));
	s->urp = ntohs(*(uint16_t *)(th + 18));
	if (s->hlen < 20 || s->hlen > len)
		return wire_fail(w, "kernel sent data offset %d in a %d byte segment",
				 s->hlen, len);
	parse_opts(s, th + 20, s->hlen - 20);
	s->len = len - s->hlen;
	if (s->len > (int)sizeof(s->data))
		return wire_fail(w, "kernel sent a %d byte payload", s->len);
	memcpy(s->data, th + s->hlen, s->len);
	return 0;
}

/* The kernel's first SYN names its ISN */
static void learn_isn(struct wire *w, const struct wire_seg *s)
{
	if (!(s->flags & TH_SYN) || w->irs_known)
		return;
	w->irs = s->seq;
	w->irs_known = true;
}

int wire_recv(struct wire *w, struct wire_seg *s, int ms)
{
	double end = mono() + ms / 1000.0;
	uint8_t pkt[65536];
	int n, ret;

	for (;;) {
		struct pollfd pfd = { .fd = w->tun, .events = POLLIN };
		int left = (end - mono()) * 1000 + 1;

		n = read(w->tun, pkt, sizeof(pkt));
		if (n < 0 && errno != EAGAIN)
			return wire_fail(w, "read from tun: %m");
		if (n > 0) {
			ret = parse(w, pkt, n, s);
			if (ret == 0) {
				learn_isn(w, s);
				hist_add(w, false, s, NULL);
				return 0;
			}
			if (ret < 0)
				return -1;
			continue;
		}
		if (mono() >= end)
			return 1;
		poll(&pfd, 1, left > 0 ? left : 0);
	}
}

static void want_str(uint8_t flags, uint32_t seq, uint32_t ack,
		     const struct wire_rx *o, char *buf, size_t size)
{
	char f[12];
	int len = o->data && !o->len ? (int)strlen(o->data) : o->len;

	flags_str(flags, f);
	snprintf(buf, size, "%7s kernel< %-3s %u:%u(%d)", "", f, seq, seq + len,
		 len);
	if (flags & TH_ACK)
		snprintf(buf + strlen(buf), size - strlen(buf), " ack %u", ack);
	if (o->mss)
		snprintf(buf + strlen(buf), size - strlen(buf), " <mss %d>",
			 o->mss);
}

/* What is wrong with s as the segment (flags, seq, ack, o), or NULL */
static const char *mismatch(struct wire *w, const struct wire_seg *s,
			    uint8_t flags, uint32_t seq, uint32_t ack,
			    const struct wire_rx *o)
{
	int len = o->data && !o->len ? (int)strlen(o->data) : o->len;
	int i;

	if ((s->flags & ~TH_PUSH) != (flags & ~TH_PUSH))
		return "flags differ";
	if (s->seq - w->irs != seq)
		return "seq differs";
	if ((flags & TH_ACK) && s->ack - w->iss != ack)
		return "ack differs";
	if (s->len != len)
		return "payload length differs";
	for (i = 0; i < len; i++)
		if (s->data[i] != (o->data ? (uint8_t)o->data[i] :
				   wire_pattern(seq + i)))
			return "payload bytes differ";
	if (o->mss && s->mss != o->mss)
		return "MSS option differs or is missing";
	if (s->sport != w->lport)
		return "source port differs";
	if (s->dport != w->pport)
		return "destination port differs";
	return NULL;
}

static const char *icmp_note(struct wire *w, char *buf, size_t size)
{
	if (!w->icmp)
		return "";
	snprintf(buf, size, " (the kernel sent %d ICMP messages, last type %d code %d%s)",
		 w->icmp, w->icmp_type, w->icmp_code,
		 w->icmp_type == 3 && w->icmp_code == 2 ?
		 ": protocol unreachable" : "");
	return buf;
}

int wire_expect(struct wire *w, uint8_t flags, uint32_t seq, uint32_t ack,
		const struct wire_rx *o)
{
	int ms = o->ms ? o->ms : WIRE_WAIT_MS;
	char want[128], got[200], note[128];
	const char *why;
	struct wire_seg *s = &w->last;
	int ret;

	want_str(flags, seq, ack, o, want, sizeof(want));
	ret = wire_recv(w, s, ms);
	if (ret < 0)
		return -1;
	if (ret > 0 && o->optional)
		return 0;
	if (ret > 0)
		return wire_fail(w, "expected %s, nothing came in %d ms%s",
				 want, ms, icmp_note(w, note, sizeof(note)));
	why = mismatch(w, s, flags, seq, ack, o);
	if (!why)
		return 0;
	seg_str(w, false, s, got, sizeof(got));
	return wire_fail(w, "%s:\n#   expected %s\n#   got      %s (ports %u > %u)",
			 why, want, got, s->sport, s->dport);
}

int wire_quiet(struct wire *w, int ms)
{
	char got[200];
	struct wire_seg s;
	int ret = wire_recv(w, &s, ms);

	if (ret < 0)
		return -1;
	if (ret == 0) {
		seg_str(w, false, &s, got, sizeof(got));
		return wire_fail(w, "expected no segment for %d ms, got\n#   %s",
				 ms, got);
	}
	return 0;
}

int wire_expect_backoff(struct wire *w, uint8_t flags, uint32_t seq,
			uint32_t ack, const struct wire_rx *o, int n,
			double min, double max)
{
	struct wire_rx rx = *o;
	double t[16], prev = 0;
	int i;

	if (wire_expect(w, flags, seq, ack, o))
		return -1;
	t[0] = w->last.t;
	for (i = 1; i <= n && i < 16; i++) {
		/* wait for twice the previous interval, plus slack */
		rx.ms = (prev ? prev * 2.6 : max + 0.3) * 1000;
		if (wire_expect(w, flags, seq, ack, &rx))
			return wire_fail(w, "retransmission %d missing", i);
		t[i] = w->last.t;
		if (i == 1 && (t[1] - t[0] < min || t[1] - t[0] > max))
			return wire_fail(w, "first retransmission after %.3f s, not %.2f..%.2f s",
					 t[1] - t[0], min, max);
		/* loose: a late read of one segment shortens the next gap */
		if (prev && ((t[i] - t[i - 1]) / prev < 1.3 ||
			     (t[i] - t[i - 1]) / prev > 3.0))
			return wire_fail(w, "retransmission %d after %.3f s, %.3f s before it: not doubled",
					 i, t[i] - t[i - 1], prev);
		prev = t[i] - t[i - 1];
	}
	return 0;
}

/* ---- Connection state -------------------------------------------------- */

static void state_norm(const char *in, char *out, size_t size)
{
	size_t n = 0;

	if (!in)
		in = "CLOSED";
	for (; *in && n < size - 1; in++)
		if (isalnum((unsigned char)*in))
			out[n++] = toupper((unsigned char)*in);
	out[n] = 0;
	/* Linux's names for SYN-RECEIVED and CLOSED */
	if (!strcmp(out, "SYNRECEIVED") || !strcmp(out, "NEWSYNRECV"))
		snprintf(out, size, "SYNRECV");
	if (!strcmp(out, "CLOSE") || !out[0])
		snprintf(out, size, "CLOSED");
}

static void conn_addrs(struct wire *w, struct sockaddr_in *l,
		       struct sockaddr_in *r)
{
	memset(l, 0, sizeof(*l));
	memset(r, 0, sizeof(*r));
	l->sin_family = r->sin_family = AF_INET;
	inet_pton(AF_INET, WIRE_LOCAL_ADDR, &l->sin_addr);
	inet_pton(AF_INET, WIRE_PEER_ADDR, &r->sin_addr);
	l->sin_port = htons(w->lport);
	r->sin_port = htons(w->pport);
}

const char *wire_state(struct wire *w)
{
	struct sockaddr_in l, r;
	const char *st;

	conn_addrs(w, &l, &r);
	st = conn_state(w->proto, &l, &r);
	return st && *st ? st : "CLOSED";
}

int wire_state_is(struct wire *w, const char *want)
{
	char a[32], b[32];
	double end = mono() + 0.2;
	const char *st;

	state_norm(want, a, sizeof(a));
	for (;;) {
		st = wire_state(w);
		state_norm(st, b, sizeof(b));
		if (!strcmp(a, b))
			return 0;
		if (mono() > end)
			return wire_fail(w, "connection %s:%u > %s:%u is in state %s, expected %s",
					 WIRE_LOCAL_ADDR, w->lport,
					 WIRE_PEER_ADDR, w->pport, st, want);
		usleep(5000);
	}
}

/* ---- The application's side -------------------------------------------- */

int wire_socket(struct wire *w)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, w->proto);

	if (fd < 0)
		wire_fail(w, "socket(AF_INET, SOCK_STREAM, %d): %m", w->proto);
	return fd;
}

static void set_sin(struct sockaddr_in *a, const char *addr, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, addr, &a->sin_addr);
}

int wire_listen(struct wire *w)
{
	struct sockaddr_in a;
	int fd = wire_socket(w);

	if (fd < 0)
		return -1;
	set_sin(&a, WIRE_LOCAL_ADDR, WIRE_LPORT);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
		wire_fail(w, "bind/listen %s:%d: %m", WIRE_LOCAL_ADDR,
			  WIRE_LPORT);
		close(fd);
		return -1;
	}
	w->lport = WIRE_LPORT;
	return fd;
}

static int wait_fd(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, ms) == 1 ? pfd.revents : 0;
}

int wire_accept(struct wire *w, int lfd, int ms)
{
	struct sockaddr_in a, want;
	socklen_t alen = sizeof(a);
	int fd;

	wait_fd(lfd, POLLIN, ms);
	fd = accept4(lfd, (struct sockaddr *)&a, &alen, SOCK_NONBLOCK);
	if (fd < 0)
		return wire_fail(w, "accept(): %m");
	set_sin(&want, WIRE_PEER_ADDR, w->pport);
	if (a.sin_addr.s_addr != want.sin_addr.s_addr ||
	    a.sin_port != want.sin_port)
		return wire_fail(w, "accept() returned peer %s:%u",
				 inet_ntoa(a.sin_addr), ntohs(a.sin_port));
	return fd;
}

int wire_connect(struct wire *w)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = wire_socket(w);

	if (fd < 0)
		return -1;
	set_sin(&a, WIRE_PEER_ADDR, w->pport);
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    errno != EINPROGRESS) {
		wire_fail(w, "non-blocking connect() did not return EINPROGRESS: %m");
		close(fd);
		return -1;
	}
	/* the 4-tuple for conn_state() before the SYN shows the port */
	if (!getsockname(fd, (struct sockaddr *)&a, &alen))
		w->lport = ntohs(a.sin_port);
	return fd;
}

int wire_connect_result(int fd, int ms)
{
	socklen_t len = sizeof(int);
	int err;

	if (!wait_fd(fd, POLLOUT, ms))
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

int wire_app_write(int fd, uint32_t seq, int n)
{
	uint8_t buf[8192];
	int i;

	if (n > (int)sizeof(buf))
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = wire_pattern(seq + i);
	return write(fd, buf, n);
}

int wire_app_read(int fd, uint32_t seq, int n, int ms)
{
	double end = mono() + ms / 1000.0;
	uint8_t buf[8192];
	int got = 0, r, i;

	while (got < n) {
		if (!wait_fd(fd, POLLIN, (end - mono()) * 1000 + 1))
			return wire_fail(NULL, "read: %d of %d bytes in %d ms",
					 got, n, ms);
		r = read(fd, buf + got, n - got);
		if (r <= 0)
			return wire_fail(NULL, "read: %s after %d of %d bytes",
					 r ? strerror(errno) : "EOF", got, n);
		got += r;
	}
	for (i = 0; i < n; i++)
		if (buf[i] != wire_pattern(seq + i))
			return wire_fail(NULL, "read: byte %d (seq %u) is '%c', not '%c'",
					 i, seq + i, buf[i], wire_pattern(seq + i));
	/* and nothing beyond */
	return wire_app_nothing(fd);
}

int wire_app_nothing(int fd)
{
	char c;
	int r = recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);

	if (r < 0 && errno == EAGAIN)
		return 0;
	return wire_fail(NULL, "expected nothing to read, recv() = %d (%s)",
			 r, r < 0 ? strerror(errno) : r ? "data" : "EOF");
}

int wire_app_eof(int fd, int ms)
{
	char c;
	int r;

	wait_fd(fd, POLLIN, ms);
	r = recv(fd, &c, 1, MSG_DONTWAIT);
	if (!r)
		return 0;
	return wire_fail(NULL, "expected EOF, recv() = %d (%s)", r,
			 r < 0 ? strerror(errno) : "data");
}

int wire_app_error(int fd, int ms)
{
	char c;
	int r;

	wait_fd(fd, POLLIN, ms);
	r = recv(fd, &c, 1, MSG_DONTWAIT);
	if (r < 0)
		return errno;
	wire_fail(NULL, "expected an error, recv() = %d (%s)", r,
		  r ? "data" : "EOF");
	return 0;
}

/* ---- Whole exchanges ---------------------------------------------------- */

#define TRY(x)	do { if (x) return -1; } while (0)

/*
 * After something that must not have changed the connection: it is still
 * ESTABLISHED and 10 bytes go each way, ours at seq, the kernel's at ack.
 */
int wire_data_flows(struct wire *w, int fd, uint32_t seq, uint32_t ack)
{
	TRY(wire_state_is(w, "ESTABLISHED"));
	TRY(wire_send(w, TH_ACK, seq, ack, &(struct wire_tx){ .len = 10 }));
	TRY(wire_expect(w, TH_ACK, ack, seq + 10, &(struct wire_rx){}));
	TRY(wire_app_read(fd, seq, 10, WIRE_WAIT_MS));
	TRY(wire_app_write(fd, ack, 10) != 10);
	TRY(wire_expect(w, TH_ACK, ack, seq + 10, &(struct wire_rx){ .len = 10 }));
	/* ACKed, or it comes again after the RTO */
	return wire_send(w, TH_ACK, seq + 10, ack + 10, &(struct wire_tx){});
}

static int send_syn(struct wire *w, uint8_t flags)
{
	return wire_send(w, flags, 0, 1, &(struct wire_tx){
		.mss = w->mss, .opt = w->syn_opt, .optlen = w->syn_optlen });
}

int wire_syn_received(struct wire *w)
{
	const struct wire_rx synack = { .mss = 1460 };
	int lfd = wire_listen(w);

	if (lfd < 0 || send_syn(w, TH_SYN) ||
	    wire_expect(w, TH_SYN | TH_ACK, 0, 1, &synack))
		return -1;
	return lfd;
}

/* RFC 9293 3.5, Figure 6, with the kernel as TCP Peer B */
int wire_passive_open(struct wire *w, int *lfd, int *fd)
{
	*fd = -1;
	*lfd = wire_syn_received(w);
	TRY(*lfd < 0);
	usleep(w->rtt_ms * 1000);
	TRY(wire_send(w, TH_ACK, 1, 1, &(struct wire_tx){}));
	*fd = wire_accept(w, *lfd, WIRE_WAIT_MS);
	return *fd < 0 ? -1 : 0;
}

int wire_answer_syn(struct wire *w, int fd)
{
	TRY(send_syn(w, TH_SYN | TH_ACK));
	TRY(wire_expect(w, TH_ACK, 1, 1, &(struct wire_rx){}));
	if (wire_connect_result(fd, WIRE_WAIT_MS))
		return wire_fail(w, "connect() did not succeed");
	return 0;
}

/* The same with the kernel as TCP Peer A */
int wire_active_open(struct wire *w, int *fd)
{
	*fd = wire_connect(w);
	TRY(*fd < 0);
	TRY(wire_expect(w, TH_SYN, 0, 0, &(struct wire_rx){ .mss = 1460 }));
	return wire_answer_syn(w, *fd);
}

/*
 * RFC 9293 3.6, Figure 12, with the kernel as TCP Peer A, on a connection
 * that has exchanged no data: close() sends FIN (FIN_WAIT_1); our ACK of it
 * moves to FIN_WAIT_2; our FIN is acknowledged with ack = its seq + 1 and
 * the kernel waits in TIME_WAIT.
 */
int wire_active_close(struct wire *w, int fd)
{
	const struct wire_rx rx = {};
	const struct wire_tx tx = {};

	TRY(close(fd));
	TRY(wire_expect(w, TH_FIN | TH_ACK, 1, 1, &rx));
	TRY(wire_state_is(w, "FIN_WAIT_1"));
	TRY(wire_send(w, TH_ACK, 1, 2, &tx));
	TRY(wire_state_is(w, "FIN_WAIT_2"));
	TRY(wire_send(w, TH_FIN | TH_ACK, 1, 2, &tx));
	TRY(wire_expect(w, TH_ACK, 2, 2, &rx));
	return wire_state_is(w, "TIME_WAIT");
}
