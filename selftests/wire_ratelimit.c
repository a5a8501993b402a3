// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 5961 section 7: challenge ACKs are rate limited, so that a blind
 * attacker's flood of in-window RSTs or SYNs cannot make us flood back.
 * tcpfsm allows 1000 a second per netns, counted in ChallengeACKs; Linux
 * TCP since 6.0 limits them per socket (tcp_invalid_ratelimit) and the
 * wire tests turn that off, so these tests are tcpfsm's alone.
 */
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

#define FLOOD		3000	/* in-window RSTs sent back to back */
#define PER_SECOND	1000	/* tcpfsm's limit */

WIRE_FIXTURE(ratelimit);

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST_F(ratelimit, challenge_acks_bounded)
{
	struct wire *w = &self->w;
	long before, counted;
	int lfd, fd, i, acks = 0;
	struct wire_seg s;
	double t0, took;

	SKIP_TCP(w, "its limit is per socket, turned off for the wire tests");
	ASSERT_EQ(0, wire_passive_open(w, &lfd, &fd));
	before = tcpfsm_stat("ChallengeACKs");
	ASSERT_LE(0, before);
	t0 = seconds();
	/* Read as we go: the tun device queues only 500 packets. */
	for (i = 0; i < FLOOD; i++) {
		TX(w, TH_RST, 101 + i, 0);
		while (i % 100 == 99 && wire_recv(w, &s, 0) == 0)
			acks += s.flags == TH_ACK;
	}
	took = seconds() - t0;
	while (wire_recv(w, &s, 300) == 0)
		acks += s.flags == TH_ACK;
	counted = tcpfsm_stat("ChallengeACKs") - before;
	TH_LOG("%d RSTs in %.2f s drew %d challenge ACKs", FLOOD, took, acks);
	/* Answered, at most the limit for each second touched ... */
	EXPECT_LE(1, acks);
	EXPECT_GE(PER_SECOND * ((int)took + 2), acks);
	/* ... so not all when they came faster than two seconds' worth. */
	if (took >= (double)FLOOD / (2 * PER_SECOND))
		TH_LOG("too slow here (debug kernel?) for the limit to cut in");
	else
		EXPECT_GT(FLOOD, acks);
	EXPECT_EQ(acks, counted);
	/* None of them was exact: the connection lives on. */
	APP_NOTHING(fd);
	ASSERT_EQ(0, wire_data_flows(w, fd, 1, 1));
	close(fd);
	close(lfd);
}

TEST_HARNESS_MAIN
