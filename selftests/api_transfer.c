// SPDX-License-Identifier: GPL-2.0
/*
 * Bulk data: 1 MiB each way at the same time, small writes, several
 * connections at once, and close() right after the last write; contents
 * are compared by sha256.  Loopback and veth.
 */
#include <stdlib.h>
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

TEST_F(transfer, duplex_1mib)
{
	/* Writes of random sizes up to 16 kB, both directions concurrently. */
	EXPECT_EQ(0, transfer(self->cfd, self->sfd, MIB, MIB, 0));
}

TEST_F(transfer, one_way_1mib)
{
	EXPECT_EQ(0, transfer(self->sfd, self->cfd, MIB, 0, 0));
}

TEST_F(transfer, small_writes)
{
	/* 100-byte writes: thousands of small segments, coalesced or not. */
	EXPECT_EQ(0, transfer(self->cfd, self->sfd, MIB / 4, MIB / 4, 100));
}

TEST_F(transfer, many_connections)
{
	/* Eight connections to one listener, all busy at once. */
	EXPECT_EQ(0, transfer_many(&self->t, 8, MIB / 8));
}

/* close() right after the last write still delivers everything, then EOF. */
TEST_F(transfer, close_after_write)
{
	struct later l = { .op = LATER_DRAIN, .fd = self->sfd };
	char *buf = calloc(1, MIB);

	ASSERT_EQ(0, later_start(&l));
	EXPECT_EQ(MIB, send_all(self->cfd, buf, MIB));
	EXPECT_EQ(0, close_fd(&self->cfd));
	EXPECT_EQ(MIB, later_join(&l));
	free(buf);
}

TEST_HARNESS_MAIN
