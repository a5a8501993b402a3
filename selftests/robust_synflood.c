// SPDX-License-Identifier: GPL-2.0
/*
 * SYN flood: 200,000 SYNs from spoofed addresses (198.18.0.3-254, random
 * ports and sequence numbers) through wire.c's tun device at a listener
 * with backlog 128.  Memory stays bounded (Slab, MemAvailable), the SYN
 * queue stays at its limit, the drops are counted (tcpfsm:
 * DropListenOverflow), the kernel logs nothing, and a real client that
 * connects (over lo) in the middle of the flood gets its connection while
 * the flood goes on.  Linux TCP answers with SYN cookies.
 *
 * 20,000 SYNs on the debug kernel; TCPFSM_SYNFLOOD_COUNT overrides.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wire.h"

#define BACKLOG		128

static long meminfo_kb(const char *key)
{
	char line[128];
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "re");
	size_t n = strlen(key);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			val = atol(line + n + 1);
	fclose(f);
	return val;
}

/* Kernel log lines mentioning a word. */
static int dmesg_count(const char *word)
{
	char line[1024];
	int n = 0;
	FILE *f = popen("dmesg 2>/dev/null", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, word))
			n++;
	pclose(f);
	return n;
}

static int flood_syn(struct wire *w, unsigned int *x)
{
	uint8_t seg[24] = {};
	uint32_t saddr;

	*x = *x * 1103515245 + 12345;
	saddr = htonl(0xc6120003 + (*x >> 8) % 252);
	*(uint16_t *)seg = htons(1024 + (*x >> 4) % 64000);
	*(uint16_t *)(seg + 2) = htons(WIRE_LPORT);
	*(uint32_t *)(seg + 4) = htonl(*x * 2654435761u);
	seg[12] = 6 << 4;
	seg[13] = TH_SYN;
	*(uint16_t *)(seg + 14) = htons(65535);
	memcpy(seg + 20, (uint8_t[]){ 2, 4, 1460 >> 8, 1460 & 0xff }, 4);
	return wire_send_raw(w, saddr, seg, sizeof(seg), false);
}

WIRE_FIXTURE(synflood)

TEST_F_TIMEOUT(synflood, bounded, 290)
{
	const char *env = getenv("TCPFSM_SYNFLOOD_COUNT");
	bool fsm = variant->proto == PROTO_TCPFSM, debug = is_debug_kernel();
	long n = debug ? 20000 : 200000, i, slab0, avail0, drops0 = 0, drops;
	long slab, peak;
	struct sockaddr_in a = sin_parse(WIRE_LOCAL_ADDR, WIRE_LPORT);
	int lfd, cfd, sfd, log0, connected_at = -1;
	unsigned int x = 12345;
	long long t0;
	char buf[16];

	if (env && *env)
		n = atol(env);
	lfd = socket(AF_INET, SOCK_STREAM, variant->proto);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(lfd, BACKLOG));
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, variant->proto);
	ASSERT_LE(0, cfd);

	log0 = dmesg_count("tcpfsm");
	slab0 = meminfo_kb("Slab");
	peak = slab0;
	slab = slab0;
	avail0 = meminfo_kb("MemAvailable");
	if (fsm)
		drops0 = proc_stat("DropListenOverflow");
	printf("# %ld SYNs%s; before: Slab %ld kB, MemAvailable %ld kB\n", n,
	       debug && !env ? " (debug kernel: fewer)" : "", slab0, avail0);

	t0 = now_ms();
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, flood_syn(&self->w, &x));
		if (i % 64 == 63)
			wire_drain(&self->w);
		if (i == n / 2)
			ASSERT_EQ(-EINPROGRESS, connect_nb(cfd, &a));
		if (i > n / 2 && connected_at < 0 && i % 256 == 0 &&
		    wait_revents(cfd, POLLOUT, 0) > 0)
			connected_at = i;
		/* The peak, sampled during the flood and after its last SYN. */
		if (i % 2048 == 2047 || i == n - 1) {
			slab = meminfo_kb("Slab");
			peak = slab > peak ? slab : peak;
		}
	}
	printf("# flood: %ld SYNs in %lld ms; Slab %ld kB, MemAvailable %ld kB after; Slab peak %ld kB (+%ld)\n",
	       n, now_ms() - t0, slab, meminfo_kb("MemAvailable"), peak,
	       peak - slab0);
	wire_drain(&self->w);

	/* Bounded: a SYN queue of 200,000 children would be hundreds of MB. */
	EXPECT_GT(64 * 1024, peak - slab0);
	if (fsm) {
		drops = proc_stat("DropListenOverflow") - drops0;
		printf("# DropListenOverflow +%ld\n", drops);
		EXPECT_LE(n - 2 * BACKLOG - 1, drops);
	}
	/* Quiet: nothing logged (Linux TCP logs its "Possible SYN flooding"). */
	EXPECT_EQ(log0, dmesg_count("tcpfsm"));

	/* The real client got through while the flood was on. */
	EXPECT_LT(0, connected_at) TH_LOG("connect() not done when the flood ended");
	printf("# client connected %ld SYNs after its connect()\n",
	       connected_at - n / 2);
	ASSERT_EQ(0, wait_connected(cfd, WAIT_MS));
	ASSERT_EQ(0, set_nonblock(cfd, false));
	ASSERT_EQ(0, set_nonblock(lfd, true));
	/* Flood children never complete: the first ready one is the client. */
	sfd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(5, send(cfd, "hello", 5, 0));
	ASSERT_EQ(5, recv(sfd, buf, sizeof(buf), 0));
	close(sfd);
	close(cfd);
	close(lfd);
}

TEST_HARNESS_MAIN
