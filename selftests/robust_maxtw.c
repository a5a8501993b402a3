// SPDX-License-Identifier: GPL-2.0
/*
 * A cap on TIME_WAIT entries per netns: with max_tw (Linux TCP:
 * tcp_max_tw_buckets) at 20, 60 connections closed client first leave at
 * most 20 in TIME_WAIT; the others just end, counted (tcpfsm:
 * TimeWaitOverflow).  Loopback, so both ends are in the test's netns.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

#define CAP	20
#define NCONN	60

FIXTURE(maxtw) {
	struct topo t;
};

FIXTURE_VARIANT(maxtw) {
	int proto;
};

FIXTURE_VARIANT_ADD(maxtw, tcp) { .proto = PROTO_TCP };
FIXTURE_VARIANT_ADD(maxtw, tcpfsm) { .proto = PROTO_TCPFSM };

FIXTURE_SETUP(maxtw)
{
	TOPO_SETUP(&self->t, variant->proto, false);
}

FIXTURE_TEARDOWN(maxtw)
{
	topo_fini(&self->t);
}

static int tw_count(int proto)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(proto == PROTO_TCP ? "/proc/thread-self/net/tcp" :
			"/proc/tcpfsm/conns", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (proto == PROTO_TCP ? strstr(line, " 06 ") != NULL :
		    strstr(line, " TIME_WAIT ") != NULL)
			n++;
	fclose(f);
	return n;
}

TEST_F(maxtw, capped)
{
	const char *knob = variant->proto == PROTO_TCP ?
		"echo %d > /proc/sys/net/ipv4/tcp_max_tw_buckets" :
		"echo %d > /proc/sys/net/tcpfsm/max_tw";
	long over0 = proc_stat("TimeWaitOverflow");
	int i, cfd, sfd, n;

	ASSERT_EQ(0, run_cmd(knob, CAP));
	for (i = 0; i < NCONN; i++) {
		ASSERT_EQ(0, topo_pair(&self->t, &cfd, &sfd));
		/* The client closes first; the server's close ends it. */
		ASSERT_EQ(0, close_fd(&cfd));
		ASSERT_EQ(0, drain(sfd, WAIT_MS));
		ASSERT_EQ(0, close_fd(&sfd));
	}
	sleep_ms(200);
	n = tw_count(variant->proto);
	printf("# %d connections, max_tw %d: %d in TIME_WAIT\n", NCONN, CAP, n);
	EXPECT_LE(n, CAP);
	EXPECT_LE(CAP / 2, n);
	if (variant->proto == PROTO_TCPFSM) {
		printf("# TimeWaitOverflow +%ld\n", proc_stat("TimeWaitOverflow") - over0);
		EXPECT_LE(NCONN - CAP, proc_stat("TimeWaitOverflow") - over0);
	}
}

TEST_HARNESS_MAIN
