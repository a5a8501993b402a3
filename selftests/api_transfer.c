// SPDX-License-Identifier: GPL-2.0
/*
 * Bulk data: 1 MiB each way at the same time, small writes, several
 * connections at once, close() right after the last write, and a full
 * receive buffer read back in small pieces; contents are compared by
 * sha256 or byte for byte.  Loopback and veth.  Each case gets 120 s, not
 * the harness's 30: the debug kernel moves 1 MiB over veth in tens of
 * seconds under TCG when other guests share the host.  Over veth also data
 * queued as GSO super-segments that the device stops taking before they go.
 * And the receive buffer's autotuning: a reader that keeps up grows it,
 * unless the user set SO_RCVBUF.
 */
#include <linux/sockios.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define MIB	(1 << 20)

FIXTURE(transfer) {
	struct topo t;
	int cfd, sfd;
};

FIXTURE_VARIANT(transfer) {
	int proto;
	bool veth;
};

FIXTURE_VARIANT_ADD(transfer, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(transfer, tcpfsm) { .proto = PROTO_TCPFSM };
FIXTURE_VARIANT_ADD(transfer, tcp_veth) { .proto = PROTO_TCP, .veth = true };
FIXTURE_VARIANT_ADD(transfer, tcpfsm_veth) { .proto = PROTO_TCPFSM, .veth = true };

FIXTURE_SETUP(transfer)
{
	PAIR_SETUP(variant->veth);
}

FIXTURE_TEARDOWN(transfer)
{
	topo_fini_pair(&self->t, self->cfd, self->sfd);
}

TEST_F_TIMEOUT(transfer, duplex_1mib, 120)
{
	/* Writes of random sizes up to 16 kB, both directions concurrently. */
	EXPECT_EQ(0, transfer(self->cfd, self->sfd, MIB, MIB, 0));
}

TEST_F_TIMEOUT(transfer, one_way_1mib, 120)
{
	EXPECT_EQ(0, transfer(self->sfd, self->cfd, MIB, 0, 0));
}

TEST_F_TIMEOUT(transfer, small_writes, 120)
{
	/* 100-byte writes: thousands of small segments, coalesced or not. */
	EXPECT_EQ(0, transfer(self->cfd, self->sfd, MIB / 4, MIB / 4, 100));
}

TEST_F_TIMEOUT(transfer, many_connections, 120)
{
	/* Eight connections to one listener, all busy at once. */
	EXPECT_EQ(0, transfer_many(&self->t, 8, MIB / 8));
}

/* close() right after the last write still delivers everything, then EOF. */
TEST_F_TIMEOUT(transfer, close_after_write, 120)
{
	struct later l = { .op = LATER_DRAIN, .fd = self->sfd };
	char *buf = calloc(1, MIB);

	ASSERT_EQ(0, later_start(&l));
	EXPECT_EQ(MIB, send_all(self->cfd, buf, MIB));
	EXPECT_EQ(0, close_fd(&self->cfd));
	EXPECT_EQ(MIB, later_join(&l));
	free(buf);
}

/*
 * The receiver lets its buffer fill, then reads it 4 KiB at a time while
 * the sender keeps sending: each window it offers meanwhile must hold
 * what it lets in.  Over veth a 1460-byte segment comes in an skb of
 * 2-4 KiB, which is what the receive buffer is charged; tcpfsm copies
 * such segments into compact skbs, so nothing the window let in is
 * dropped for want of buffer (DropRcvBuf stays 0), which with the skbs
 * queued as they came happened at every read.  Both: the data arrives
 * whole and in order.
 */
TEST_F_TIMEOUT(transfer, full_buffer_small_reads, 120)
{
	/* More than the buffer and a window: refills happen (the debug
	 * kernel moves about 0.15 MB/s over veth under TCG).
	 */
	size_t len = is_debug_kernel() ? 384 * 1024 : MIB, got = 0;
	char *buf = malloc(MIB), *in = malloc(MIB);
	struct later l = { .op = LATER_SEND, .fd = self->cfd, .len = len };
	long drops = 0;
	ssize_t n;

	ASSERT_TRUE(buf && in);
	fill_pattern(buf, len, 7);
	if (variant->proto == PROTO_TCPFSM) {
		ASSERT_EQ(0, topo_enter(&self->t, SRV));
		drops = proc_stat("DropRcvBuf");
		ASSERT_LE(0, drops);
	}
	l.buf = buf;
	ASSERT_EQ(0, later_start(&l));
	ASSERT_TRUE(wait_revents(self->sfd, POLLIN, 10000) & POLLIN);
	sleep_ms(300);	/* the window and the sender's buffer fill */
	while (got < len) {
		n = recv(self->sfd, in + got, len - got < 4096 ? len - got : 4096, 0);
		if (n <= 0)
			break;
		got += n;
	}
	EXPECT_EQ((long)len, later_join(&l));
	ASSERT_EQ(len, got);
	EXPECT_EQ(0, memcmp(buf, in, len));
	if (variant->proto == PROTO_TCPFSM)
		EXPECT_EQ(drops, proc_stat("DropRcvBuf"));
	free(buf);
	free(in);
}

/*
 * The receiver lets its buffer fill, then reads 64 KiB at a time as fast
 * as it can until @len bytes are in; the buffer (SO_RCVBUF) before and
 * after into @before and @after.
 */
static int bulk_read_rcvbuf(int cfd, int sfd, size_t len, int *before,
			    int *after)
{
	struct later l = { .op = LATER_SEND, .fd = cfd, .len = len };
	char *buf = calloc(1, len), *in = malloc(65536);
	size_t got = 0;
	ssize_t n = 0;

	if (!buf || !in)
		goto out;
	l.buf = buf;
	*before = get_int_opt(sfd, SOL_SOCKET, SO_RCVBUF);
	if (later_start(&l))
		goto out;
	if (wait_revents(sfd, POLLIN, 10000) & POLLIN) {
		sleep_ms(300);	/* the buffer fills */
		while (got < len) {
			n = recv(sfd, in, 65536, 0);
			if (n <= 0)
				break;
			got += n;
		}
	}
	if (later_join(&l) != (long)len)
		got = 0;
	*after = get_int_opt(sfd, SOL_SOCKET, SO_RCVBUF);
out:
	free(buf);
	free(in);
	return got == len ? 0 : -1;
}

/*
 * Receive buffer autotuning, as both protocols do it: a reader that keeps
 * up with a bulk sender, after its buffer filled, gets a bigger buffer
 * (Linux TCP's tcp_rcv_space_adjust(); tcpfsm doubles it each time a
 * reader empties a queue that bounded the window).
 */
TEST_F_TIMEOUT(transfer, rcvbuf_grows_for_bulk_reader, 120)
{
	size_t len = is_debug_kernel() ? MIB : 4 * MIB;
	int before = -1, after = -1;

	ASSERT_EQ(0, bulk_read_rcvbuf(self->cfd, self->sfd, len, &before,
				      &after));
	ASSERT_LT(0, before);
	EXPECT_GT(after, before);
}

/* ... but never one whose SO_RCVBUF the user set (SOCK_RCVBUF_LOCK). */
TEST_F_TIMEOUT(transfer, rcvbuf_set_by_user_stays, 120)
{
	size_t len = is_debug_kernel() ? MIB : 4 * MIB;
	int before = -1, after = -1;

	ASSERT_EQ(0, set_int_opt(self->sfd, SOL_SOCKET, SO_RCVBUF, 128 * 1024));
	ASSERT_EQ(0, bulk_read_rcvbuf(self->cfd, self->sfd, len, &before,
				      &after));
	ASSERT_EQ(256 * 1024, before);	/* doubled, as for any socket */
	EXPECT_EQ(before, after);
}

/*
 * Over veth both protocols queue data in skbs of many segments, which the
 * device passes along whole (GSO).  When it stops taking them (ethtool
 * turns off the GSO type the protocol uses: TCP's TSO, tcpfsm's
 * SKB_GSO_SCTP), what is queued already is cut into segments in software
 * (for tcpfsm by its offload's gso_segment, with the sequence number and
 * checksum of each), and arrives intact and in order.  For tcpfsm also:
 * before, the receiver got fewer segments than MSS-sized ones would be
 * (super-segments were used); after, at least one per MSS (they were cut),
 * none with a bad checksum.
 */
TEST_F_TIMEOUT(transfer, gso_turned_off, 120)
{
	size_t len = MIB, sent = 0;
	char *buf = malloc(len), *got = malloc(len);
	long segs = 0, mss = 1460;	/* veth's MTU 1500 */
	bool quiet = false;
	int queued = 0;
	ssize_t n;

	if (!variant->veth)
		SKIP(return, "veth only: the features of lo are fixed");
	ASSERT_TRUE(buf && got);
	fill_pattern(buf, len, 6);
	if (variant->proto == PROTO_TCPFSM) {
		ASSERT_EQ(0, topo_enter(&self->t, SRV));
		segs = proc_stat("InSegs");
		ASSERT_LE(0, segs);
	}
	/* The receiver does not read: the window fills, the rest waits. */
	while (sent < len) {
		n = send(self->cfd, buf + sent, len - sent,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			sent += n;
			quiet = false;
			continue;
		}
		ASSERT_EQ(EAGAIN, errno);
		if (quiet)
			break;
		quiet = true;
		sleep_ms(300);
	}
	ASSERT_GT(sent, (size_t)128 * 1024);
	if (variant->proto == PROTO_TCPFSM) {
		int last = -1, i;

		/* What the window let in (settled: the debug kernel is slow),
		 * in far fewer segments than MSS-sized ones.
		 */
		for (i = 0; i < 100 && queued != last; i++) {
			last = queued;
			sleep_ms(200);
			ASSERT_EQ(0, ioctl(self->sfd, SIOCINQ, &queued));
		}
		ASSERT_GT(queued, 8 * mss);
		segs = proc_stat("InSegs") - segs;
		EXPECT_LT(segs, queued / mss / 2);
		segs = proc_stat("InSegs");
	}
	ASSERT_EQ(0, topo_enter(&self->t, CLI));
	ASSERT_EQ(0, run_cmd("ethtool -K veth0 tso off tx-sctp-segmentation off >/dev/null"));
	ASSERT_EQ((ssize_t)sent, recv_all(self->sfd, got, sent));
	EXPECT_EQ(0, memcmp(buf, got, sent));
	if (variant->proto == PROTO_TCPFSM) {
		ASSERT_EQ(0, topo_enter(&self->t, SRV));
		EXPECT_GE(proc_stat("InSegs") - segs,
			  (long)(sent - queued) / mss);
		EXPECT_EQ(0, proc_stat("DropBadChecksum"));
	}
	free(buf);
	free(got);
}

TEST_HARNESS_MAIN
