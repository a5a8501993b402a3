// SPDX-License-Identifier: GPL-2.0
/*
 * Sequence-number wrap: with the test-only isn_test sysctl both ends of a
 * tcpfsm connection over veth start 512 kB below 2^32, so an 8 MiB
 * transfer each way (2 MiB on the debug kernel) crosses the wrap on both
 * sides; the data must arrive intact (sha256), and /proc/tcpfsm/conns
 * must show both send and receive sequence numbers past the wrap.  Linux
 * TCP, whose ISN cannot be chosen, runs the transfer alone.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "kselftest_harness.h"
#include "util.h"

#define ISN	(0u - 512 * 1024)

FIXTURE(seqwrap) {
	struct topo t;
	int cfd, sfd;
};

FIXTURE_VARIANT(seqwrap) {
	int proto;
};

FIXTURE_VARIANT_ADD(seqwrap, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(seqwrap, tcpfsm) { .proto = PROTO_TCPFSM };

static int set_isn(const struct topo *t, int side, unsigned int isn)
{
	char cmd[96];

	if (topo_enter(t, side))
		return -1;
	snprintf(cmd, sizeof(cmd), "echo %u > /proc/sys/net/tcpfsm/isn_test", isn);
	return run_cmd("%s", cmd);
}

FIXTURE_SETUP(seqwrap)
{
	self->cfd = self->sfd = -1;
	TOPO_SETUP(&self->t, variant->proto, true);
	if (variant->proto == PROTO_TCPFSM) {
		ASSERT_EQ(0, set_isn(&self->t, SRV, ISN));
		ASSERT_EQ(0, set_isn(&self->t, CLI, ISN));
	}
	ASSERT_EQ(0, topo_pair(&self->t, &self->cfd, &self->sfd));
}

FIXTURE_TEARDOWN(seqwrap)
{
	topo_fini_pair(&self->t, self->cfd, self->sfd);
}

/*
 * snd_una and rcv_nxt of the 4-tuple l -> r in /proc/tcpfsm/conns of the
 * netns of @side.
 */
static int conn_seqs(const struct topo *t, int side, const struct sockaddr_in *l,
		     const struct sockaddr_in *r, unsigned int *una,
		     unsigned int *rcv)
{
	char line[512], ls[64], rs[64], want_l[64], want_r[64];
	int ret = -1;
	FILE *f;

	if (topo_enter(t, side))
		return -1;
	snprintf(want_l, sizeof(want_l), "%s:%d", inet_ntoa(l->sin_addr), ntohs(l->sin_port));
	snprintf(want_r, sizeof(want_r), "%s:%d", inet_ntoa(r->sin_addr), ntohs(r->sin_port));
	f = fopen("/proc/tcpfsm/conns", "re");
	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %63s %*s %u %*u %u", ls, rs, una, rcv) == 4 &&
		    !strcmp(ls, want_l) && !strcmp(rs, want_r))
			ret = 0;
	fclose(f);
	return ret;
}

TEST_F_TIMEOUT(seqwrap, duplex_8mib, 280)
{
	size_t len = is_debug_kernel() ? 2 << 20 : 8 << 20;
	struct xfer x = { .len_ab = len, .len_ba = len, .b_closes_last = true };
	struct sockaddr_in l, r;
	unsigned int una, rcv;
	long long t0 = now_ms();

	ASSERT_EQ(0, sock_names(self->cfd, &l, &r));
	/* The client (a) closes first: its TIME_WAIT entry keeps both ends'
	 * final sequence numbers once the server's side has gone.
	 */
	ASSERT_EQ(0, transfer_x(self->cfd, self->sfd, &x));
	printf("# %s: %zu MiB each way%s in %lld ms\n",
	       variant->proto == PROTO_TCP ? "tcp" : "tcpfsm", len >> 20,
	       is_debug_kernel() ? " (debug kernel: less)" : "", now_ms() - t0);
	if (variant->proto != PROTO_TCPFSM)
		return;
	ASSERT_EQ(0, conn_seqs(&self->t, CLI, &l, &r, &una, &rcv));
	printf("# client: ISNs %#x, now snd_una %#x rcv_nxt %#x\n", ISN, una, rcv);
	/* Past the wrap both ways: below the ISN again, by about len. */
	EXPECT_GT(ISN, una);
	EXPECT_GT(ISN, rcv);
	EXPECT_LE(len - 512 * 1024, (size_t)una);
	EXPECT_LE(len - 512 * 1024, (size_t)rcv);
}

TEST_HARNESS_MAIN
