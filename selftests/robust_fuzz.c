// SPDX-License-Identifier: GPL-2.0
/*
 * Segment fuzzer: random and mutated segments through the tun device of
 * wire.c at a listener, a half-open connection, an established one, a
 * TIME_WAIT entry and a closed port: every flag combination, data offsets
 * below 5 and beyond the segment, truncated segments, truncated, zero-length
 * and oversized options, zero and huge windows, seq/ack at and around every
 * edge of the window, bad checksums.  Every few thousand segments a new set
 * of targets is opened.
 *
 * Afterwards: a connection the fuzzer never hit (over lo) still transfers
 * data, and for tcpfsm every malformed segment was counted in
 * /proc/tcpfsm/stats (DropBadHeader, DropBadChecksum) and the drop
 * counters grew.  No splat and no leak: the guest run (scripts/guest-check)
 * fails on either.
 *
 *	robust_fuzz [--count N] [harness options]
 *
 * N (also TCPFSM_FUZZ_COUNT) is 50,000 by default, 10,000 on the debug
 * kernel; `make fuzz` runs 1,000,000.  TCPFSM_FUZZ_SEED picks the seed.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

#define FUZZ_DEFAULT		50000
#define FUZZ_DEFAULT_DEBUG	10000
#define FUZZ_ROUND		5000	/* segments per set of targets */
#define SETUP_PORT		5002	/* listener the targets come from */
#define CLOSED_PORT		7777	/* nobody listens */

static long fuzz_count;

enum { T_LISTEN, T_HALF, T_EST, T_TW, T_CLOSED, T_MAX };

static const char *const target_names[T_MAX] = {
	"listener", "half-open", "established", "TIME_WAIT", "closed port",
};

/* A connection to aim at: its tuple and where its sequence spaces are. */
struct target {
	struct wire c;		/* pport, iss and irs of this connection */
	uint32_t seq;		/* our next sequence number, relative */
	uint32_t ack;		/* the kernel's next one, relative */
	int fd;			/* its socket, if accepted */
};

struct fuzz {
	struct wire *w;
	struct target t[T_MAX];
	int lfd, setup_lfd;
	unsigned int round;
	uint64_t x;		/* xorshift state */
	long sent, bad_hdr, bad_csum, per_target[T_MAX];
};

static uint32_t rnd(struct fuzz *f)
{
	f->x ^= f->x << 13;
	f->x ^= f->x >> 7;
	f->x ^= f->x << 17;
	return f->x >> 16;
}

/* The next segment from the kernel to our port @port, skipping others. */
static int next_for(struct wire *w, uint16_t port, struct wire_seg *s)
{
	struct wire scratch;
	int i;

	for (i = 0; i < 50; i++) {
		scratch = *w;
		scratch.irs_known = false;
		if (wire_recv(&scratch, s, WIRE_WAIT_MS))
			return -1;
		if (s->dport == port && s->sport == w->lport)
			return 0;
	}
	return -1;
}

static int expect_for(struct target *t, uint8_t flags)
{
	struct wire_seg s;

	if (next_for(&t->c, t->c.pport, &s))
		return -1;
	if ((s.flags & ~TH_PUSH) != flags) {
		fprintf(stderr, "# fuzz setup: flags 0x%x, wanted 0x%x\n", s.flags, flags);
		return -1;
	}
	if (flags & TH_SYN)
		t->c.irs = s.seq;
	return 0;
}

/* Our SYN to the setup listener and its SYN,ACK: SYN_RECEIVED. */
static int open_half(struct target *t)
{
	return wire_send(&t->c, TH_SYN, 0, 0, &(struct wire_tx){ .mss = 1460 }) ?:
	       expect_for(t, TH_SYN | TH_ACK);
}

static int open_est(struct fuzz *f, struct target *t)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int i;

	if (open_half(t) || wire_send(&t->c, TH_ACK, 1, 1, &(struct wire_tx){}))
		return -1;
	/* Earlier half-open targets the fuzzer completed may come first. */
	for (i = 0; i < 50; i++) {
		t->fd = -1;
		if (wait_revents(f->setup_lfd, POLLIN, WIRE_WAIT_MS) <= 0)
			break;
		t->fd = accept(f->setup_lfd, (struct sockaddr *)&a, &alen);
		if (t->fd < 0 || a.sin_port == htons(t->c.pport))
			break;
		close(t->fd);
	}
	return t->fd < 0 ? -1 : 0;
}

/* Established, then the kernel closes first: TIME_WAIT. */
static int open_tw(struct fuzz *f, struct target *t)
{
	if (open_est(f, t) || close(t->fd))
		return -1;
	t->fd = -1;
	return expect_for(t, TH_FIN | TH_ACK) ?:
	       wire_send(&t->c, TH_ACK, 1, 2, &(struct wire_tx){}) ?:
	       wire_send(&t->c, TH_FIN | TH_ACK, 1, 2, &(struct wire_tx){}) ?:
	       expect_for(t, TH_ACK);
}

/* A fresh half-open, established and TIME_WAIT connection. */
static int new_targets(struct fuzz *f)
{
	static const uint32_t rel[T_MAX] = { 0, 1, 1, 2, 0 };
	int i;

	wire_drain(f->w);
	for (i = 0; i < T_MAX; i++) {
		struct target *t = &f->t[i];

		if (t->fd >= 0)
			close(t->fd);
		t->fd = -1;
		t->c = *f->w;
		t->c.nhist = 0;
		t->c.lport = SETUP_PORT;
		t->c.pport = 20000 + (f->round * T_MAX + i) % 40000;
		t->c.iss = rnd(f) << 16 ^ rnd(f);
		t->seq = t->ack = rel[i];
	}
	f->t[T_LISTEN].c.lport = WIRE_LPORT;
	f->t[T_CLOSED].c.lport = CLOSED_PORT;
	f->round++;
	if (open_tw(f, &f->t[T_TW]) || open_est(f, &f->t[T_EST]) ||
	    open_half(&f->t[T_HALF]))
		return -1;
	return 0;
}

/* Around the edges of a window starting at base: a relative number. */
static uint32_t edge(struct fuzz *f, uint32_t base)
{
	static const int64_t d[] = {
		0, 0, 0, -1, 1, 2, -2, 65534, 65535, 65536, -65535, -65536,
		32767, 32768, 0x7fffffff, 0x80000000LL, 0x80000001LL, -0x7fffffffLL,
		1460, 1461, -1460,
	};
	uint32_t r = rnd(f);

	if (r % 8 == 0)
		return rnd(f) << 16 ^ rnd(f);
	return base + (uint32_t)d[r / 8 % ARRAY_SIZE(d)];
}

/* Option bytes: valid, truncated, zero-length, oversized or random. */
static int options(struct fuzz *f, uint8_t *o, int room)
{
	int len = (rnd(f) % 11) * 4, i;

	if (len > room)
		len = room & ~3;
	for (i = 0; i < len; i++)
		o[i] = rnd(f);
	if (!len)
		return 0;
	switch (rnd(f) % 6) {
	case 0:		/* MSS, then NOPs */
		memset(o, 1, len);
		memcpy(o, (uint8_t[]){ 2, 4, rnd(f), rnd(f) }, 4);
		break;
	case 1:		/* an MSS option cut short at the end */
		memset(o, 1, len);
		memcpy(o + len - 2, "\x02\x04", 2);
		break;
	case 2:		/* zero length */
		o[0] = rnd(f) % 32;
		o[1] = 0;
		break;
	case 3:		/* longer than what is left */
		o[0] = 2;
		o[1] = 40 + rnd(f) % 200;
		break;
	case 4:		/* length 1, EOL early */
		memcpy(o, "\x08\x01\x00", 3);
		break;
	default:	/* random bytes */
		break;
	}
	return len;
}

static int fuzz_one(struct fuzz *f, long i)
{
	static const uint16_t wins[] = { 0, 1, 536, 65535 };
	uint8_t seg[20 + 40 + 1460];
	int ti = rnd(f) % T_MAX, optlen, len, plen, doff;
	struct target *t = &f->t[ti];
	uint32_t saddr = 0, r = rnd(f);
	uint16_t sport = t->c.pport, win;
	uint8_t flags;
	bool bad_csum;

	/* Every flag combination in turn, and random ones in between. */
	flags = r & 1 ? i / 2 % 256 : rnd(f);
	if (ti == T_LISTEN) {
		/* From addresses the setup exchanges never look at. */
		saddr = htonl(0xc6120003 + rnd(f) % 250);
		sport = 1024 + rnd(f) % 60000;
	} else if (ti == T_CLOSED) {
		sport = 1024 + rnd(f) % 60000;
	}
	win = rnd(f) % 2 ? wins[rnd(f) % 4] : rnd(f);

	memset(seg, 0, 20);
	*(uint16_t *)seg = htons(sport);
	*(uint16_t *)(seg + 2) = htons(t->c.lport);
	*(uint32_t *)(seg + 4) = htonl(t->c.iss + edge(f, t->seq));
	*(uint32_t *)(seg + 8) = htonl(t->c.irs + edge(f, t->ack));
	seg[13] = flags;
	*(uint16_t *)(seg + 14) = htons(win);
	if (rnd(f) % 8 == 0)
		*(uint16_t *)(seg + 18) = rnd(f);
	optlen = options(f, seg + 20, 40);
	plen = rnd(f) % 4 ? rnd(f) % 64 : rnd(f) % 1461;
	for (len = 0; len < plen; len++)
		seg[20 + optlen + len] = rnd(f);
	len = 20 + optlen + plen;
	doff = (20 + optlen) / 4;
	if (rnd(f) % 8 == 0)
		doff = rnd(f) % 16;	/* below 5, or beyond the segment */
	seg[12] = doff << 4 | (rnd(f) % 16 == 0 ? rnd(f) % 16 : 0);
	if (rnd(f) % 32 == 0)
		len = rnd(f) % 20;	/* not even a header */
	bad_csum = rnd(f) % 8 == 0;

	if (len < 20 || doff < 5 || doff * 4 > len)
		f->bad_hdr++;
	else if (bad_csum)
		f->bad_csum++;
	f->per_target[ti]++;
	f->sent++;
	return wire_send_raw(f->w, saddr, seg, len, bad_csum);
}

/* Sum of the Drop* counters of /proc/tcpfsm/stats, 0 for Linux TCP. */
static long drops_total(void)
{
	char line[128], key[64];
	long val, sum = 0;
	FILE *fp = fopen("/proc/tcpfsm/stats", "re");

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%63s %ld", key, &val) == 2 && !strncmp(key, "Drop", 4))
			sum += val;
	fclose(fp);
	return sum;
}

static void print_drops(void)
{
	char line[128];
	FILE *fp = fopen("/proc/tcpfsm/stats", "re");

	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp))
		printf("#   %s", line);
	fclose(fp);
}

/* A connection over lo that the fuzzer never touches. */
static int lo_pair(int proto, int *cfd, int *sfd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, proto);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*cfd = socket(AF_INET, SOCK_STREAM, proto);
	if (lfd < 0 || *cfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&a, &alen) ||
	    connect(*cfd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	*sfd = accept(lfd, NULL, NULL);
	close(lfd);
	return *sfd < 0 ? -1 : 0;
}

WIRE_FIXTURE(fuzz)

/*
 * The harness's alarm must outlast make fuzz (1,000,000 segments at some
 * 900 a second on the debug kernel); under make check the runner's own
 * limit (settings, 300 s) still ends a hung run.
 */
TEST_F_TIMEOUT(fuzz, segments, 21600)
{
	struct fuzz f = { .w = &self->w, .x = 88172645463325252ULL };
	struct sockaddr_in a;
	long drops0, hdr0, csum0, i;
	const char *seed = getenv("TCPFSM_FUZZ_SEED");
	bool fsm = variant->proto == PROTO_TCPFSM;
	int cfd, sfd, k;
	long long t0;
	double secs;

	if (seed && *seed)
		f.x = strtoull(seed, NULL, 0) | 1;
	for (k = 0; k < T_MAX; k++)
		f.t[k].fd = -1;
	ASSERT_EQ(0, lo_pair(variant->proto, &cfd, &sfd));
	f.lfd = wire_listen(&self->w);
	ASSERT_LE(0, f.lfd);
	f.setup_lfd = wire_socket(&self->w);
	ASSERT_LE(0, f.setup_lfd);
	a = sin_parse(WIRE_LOCAL_ADDR, SETUP_PORT);
	ASSERT_EQ(0, bind(f.setup_lfd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(f.setup_lfd, 128));

	drops0 = drops_total();
	hdr0 = fsm ? proc_stat("DropBadHeader") : 0;
	csum0 = fsm ? proc_stat("DropBadChecksum") : 0;
	printf("# %ld segments, seed %#llx%s\n", fuzz_count,
	       (unsigned long long)f.x, is_debug_kernel() && !getenv("TCPFSM_FUZZ_COUNT") ?
	       " (debug kernel: fewer by default)" : "");
	t0 = now_ms();
	for (i = 0; i < fuzz_count; i++) {
		if (i % FUZZ_ROUND == 0)
			ASSERT_EQ(0, new_targets(&f)) TH_LOG("targets, round %u", f.round);
		ASSERT_EQ(0, fuzz_one(&f, i));
		if (i % 32 == 31)
			wire_drain(&self->w);
	}
	secs = (now_ms() - t0) / 1000.0;
	wire_drain(&self->w);
	printf("# %ld segments in %.1f s (%.0f/s), %u sets of targets; %ld with a bad header, %ld more with a bad checksum\n",
	       f.sent, secs, f.sent / (secs > 0 ? secs : 1), f.round, f.bad_hdr, f.bad_csum);
	for (k = 0; k < T_MAX; k++)
		printf("#   %-12s %ld\n", target_names[k], f.per_target[k]);

	/* The connection nobody hit still works. */
	EXPECT_EQ(0, transfer(cfd, sfd, 65536, 65536, 0));
	close(cfd);
	close(sfd);
	for (k = 0; k < T_MAX; k++)
		if (f.t[k].fd >= 0)
			close(f.t[k].fd);
	close(f.lfd);
	close(f.setup_lfd);
	if (!fsm)
		return;

	printf("# /proc/tcpfsm/stats after:\n");
	print_drops();
	EXPECT_LE(f.bad_hdr, proc_stat("DropBadHeader") - hdr0);
	EXPECT_LE(f.bad_csum, proc_stat("DropBadChecksum") - csum0);
	EXPECT_LT(drops0 + f.bad_hdr + f.bad_csum, drops_total());
}

/* --count N before the harness's own options. */
int main(int argc, char **argv)
{
	const char *env = getenv("TCPFSM_FUZZ_COUNT");

	fuzz_count = is_debug_kernel() ? FUZZ_DEFAULT_DEBUG : FUZZ_DEFAULT;
	if (env && *env)
		fuzz_count = atol(env);
	if (argc > 2 && !strcmp(argv[1], "--count")) {
		fuzz_count = atol(argv[2]);
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	return test_harness_run(argc, argv);
}
