// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/tcpfsm and /proc/sys/net/tcpfsm: their format, their defaults,
 * their per-netns separation, and the counted drop of segments that are
 * malformed, badly checksummed or for no connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define PROTO		253
#define SYSCTL_DIR	"/proc/sys/net/tcpfsm/"

static long read_long(const char *path)
{
	char buf[64] = "";
	long val = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		val = strtol(buf, NULL, 10);
	fclose(f);
	return val;
}

/* Write @val to @path; returns 0 or the errno of the write. */
static int write_str(const char *path, const char *val)
{
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, val, strlen(val)) < 0)
		err = errno;
	close(fd);
	return err;
}

/* The value of counter @name in /proc/tcpfsm/stats, -1 when absent. */
static long stat_get(const char *name)
{
	char key[64];
	long val, found = -1;
	FILE *f;

	f = fopen("/proc/tcpfsm/stats", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2)
		if (!strcmp(key, name))
			found = val;
	fclose(f);
	return found;
}

static int new_netns(void)
{
	if (unshare(CLONE_NEWNET))
		return -1;
	return system("ip link set lo up");
}

static uint16_t csum_fold32(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/*
 * Send @len bytes of @seg from 127.0.0.1 to 127.0.0.1 over our protocol;
 * when @fix_csum, fill in the right checksum first.
 */
static int send_segment(struct tcphdr *seg, size_t len, int fix_csum)
{
	struct sockaddr_in dst = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	uint32_t lo = htonl(INADDR_LOOPBACK);
	uint32_t sum = 0;
	ssize_t n;
	int fd;

	if (fix_csum) {
		seg->th_sum = 0;
		sum = csum_add(sum, &lo, 4);
		sum = csum_add(sum, &lo, 4);
		sum += PROTO + len;
		sum = csum_add(sum, seg, len);
		seg->th_sum = htons(csum_fold32(sum));
	}
	fd = socket(AF_INET, SOCK_RAW, PROTO);
	if (fd < 0)
		return -1;
	n = sendto(fd, seg, len, 0, (struct sockaddr *)&dst, sizeof(dst));
	close(fd);
	/* Delivery is synchronous on loopback, but leave softirq a moment. */
	usleep(20000);
	return n == (ssize_t)len ? 0 : -1;
}

static void syn_to(struct tcphdr *th, uint16_t port)
{
	memset(th, 0, sizeof(*th));
	th->th_sport = htons(40000);
	th->th_dport = htons(port);
	th->th_seq = htonl(12345);
	th->th_off = 5;
	th->th_flags = TH_SYN;
	th->th_win = htons(65535);
}

TEST(conns_header_only)
{
	char line[512], a[32], b[32], c[32];
	FILE *f;
	int n;

	ASSERT_EQ(0, new_netns());
	f = fopen("/proc/tcpfsm/conns", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	n = sscanf(line, "%31s %31s %31s", a, b, c);
	ASSERT_EQ(3, n);
	EXPECT_STREQ("local", a);
	EXPECT_STREQ("remote", b);
	EXPECT_STREQ("state", c);
	/* A fresh netns has no connections: nothing after the header. */
	EXPECT_EQ(NULL, fgets(line, sizeof(line), f));
	fclose(f);
}

TEST(stats_format)
{
	static const char *const need[] = {
		"ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets",
		"InSegs", "OutSegs", "RetransSegs", "InErrs", "OutRsts",
		"InCsumErrors", "DropBadChecksum", "DropBadHeader",
		"DropNoSocket",
	};
	char line[256], name[64], extra[8];
	unsigned long val;
	unsigned int i, n = 0;
	FILE *f;
	int got;

	f = fopen("/proc/tcpfsm/stats", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		/* Exactly "Name value" per line. */
		got = sscanf(line, "%63s %lu %7s", name, &val, extra);
		ASSERT_EQ(2, got) TH_LOG("bad stats line: %s", line);
		n++;
	}
	fclose(f);
	EXPECT_GE(n, ARRAY_SIZE(need));
	for (i = 0; i < ARRAY_SIZE(need); i++) {
		if (stat_get(need[i]) < 0)
			fprintf(stderr, "# stats lacks %s\n", need[i]);
		EXPECT_LE(0, stat_get(need[i]));
	}
}

TEST(sysctl_defaults)
{
	ASSERT_EQ(0, new_netns());
	EXPECT_EQ(30000, read_long(SYSCTL_DIR "msl_ms"));
	EXPECT_EQ(60000, read_long(SYSCTL_DIR "fin_timeout_ms"));
	EXPECT_EQ(6, read_long(SYSCTL_DIR "syn_retries"));
	EXPECT_EQ(15, read_long(SYSCTL_DIR "retries"));
	EXPECT_EQ(1, read_long(SYSCTL_DIR "window_scaling"));
}

TEST(sysctl_per_netns)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, new_netns());
	ASSERT_EQ(0, write_str(SYSCTL_DIR "msl_ms", "1234"));
	ASSERT_EQ(1234, read_long(SYSCTL_DIR "msl_ms"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* A sibling netns keeps the default... */
		if (new_netns())
			_exit(2);
		_exit(read_long(SYSCTL_DIR "msl_ms") == 30000 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* ...and ours is untouched by it. */
	EXPECT_EQ(1234, read_long(SYSCTL_DIR "msl_ms"));
}

TEST(sysctl_rejects_bad_values)
{
	static const char *const bad[] = { "0", "-5", "abc", "99999999999" };
	unsigned int i;

	ASSERT_EQ(0, new_netns());
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(EINVAL, write_str(SYSCTL_DIR "msl_ms", bad[i]))
			TH_LOG("msl_ms accepted bad value #%u", i);
	EXPECT_EQ(30000, read_long(SYSCTL_DIR "msl_ms"));
	EXPECT_EQ(EINVAL, write_str(SYSCTL_DIR "syn_retries", "0"));
	EXPECT_EQ(6, read_long(SYSCTL_DIR "syn_retries"));
	EXPECT_EQ(EINVAL, write_str(SYSCTL_DIR "window_scaling", "2"));
	EXPECT_EQ(1, read_long(SYSCTL_DIR "window_scaling"));
}

TEST(drop_bad_checksum)
{
	long csum, inerrs;
	struct tcphdr th;

	ASSERT_EQ(0, new_netns());
	csum = stat_get("DropBadChecksum");
	inerrs = stat_get("InCsumErrors");
	syn_to(&th, 80);
	th.th_sum = htons(0xdead);
	ASSERT_EQ(0, send_segment(&th, sizeof(th), 0));
	EXPECT_EQ(csum + 1, stat_get("DropBadChecksum"));
	EXPECT_EQ(inerrs + 1, stat_get("InCsumErrors"));
}

TEST(drop_bad_header)
{
	struct tcphdr th;
	long hdr;

	ASSERT_EQ(0, new_netns());
	hdr = stat_get("DropBadHeader");
	/* Data offset below the minimum of 5 words. */
	syn_to(&th, 80);
	th.th_off = 4;
	ASSERT_EQ(0, send_segment(&th, sizeof(th), 1));
	/* Data offset beyond the end of the segment. */
	syn_to(&th, 80);
	th.th_off = 15;
	ASSERT_EQ(0, send_segment(&th, sizeof(th), 1));
	/* Shorter than a header. */
	syn_to(&th, 80);
	ASSERT_EQ(0, send_segment(&th, 12, 1));
	EXPECT_EQ(hdr + 3, stat_get("DropBadHeader"));
}

TEST(drop_no_socket)
{
	long nosock, insegs, outrsts;
	struct tcphdr th;

	ASSERT_EQ(0, new_netns());
	nosock = stat_get("DropNoSocket");
	insegs = stat_get("InSegs");
	outrsts = stat_get("OutRsts");
	syn_to(&th, 9);
	ASSERT_EQ(0, send_segment(&th, sizeof(th), 1));
	/*
	 * The SYN matches nothing and draws one RST (RFC 9293 3.10.7.1).
	 * On loopback that RST comes back to us, matches nothing either and
	 * is dropped too, but never answered: two drops, two segments in,
	 * one RST out.
	 */
	EXPECT_EQ(outrsts + 1, stat_get("OutRsts"));
	EXPECT_EQ(nosock + 2, stat_get("DropNoSocket"));
	EXPECT_EQ(insegs + 2, stat_get("InSegs"));
}

TEST(stats_per_netns)
{
	struct tcphdr th;
	int status;
	pid_t pid;

	ASSERT_EQ(0, new_netns());
	syn_to(&th, 80);
	th.th_sum = htons(0xbeef);
	ASSERT_EQ(0, send_segment(&th, sizeof(th), 0));
	ASSERT_LE(1, stat_get("DropBadChecksum"));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* A new netns starts from zero and sees none of ours. */
		if (new_netns())
			_exit(2);
		_exit(stat_get("DropBadChecksum") == 0 &&
		      stat_get("InSegs") == 0 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
