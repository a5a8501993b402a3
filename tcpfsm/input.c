// SPDX-License-Identifier: GPL-2.0
/*
 * Receive path: validate a segment, then hand it to its connection.
 * Anything we cannot use is dropped and counted by reason, never trusted.
 */
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>

#include "tcpfsm.h"

/*
 * Check the header is whole and the checksum right (over the pseudo-header
 * with our protocol number).  Returns the drop reason, or TCPFSM_MIB_MAX
 * when the segment is usable.
 */
static enum tcpfsm_mib tcpfsm_validate(struct sk_buff *skb)
{
	const struct tcphdr *th;
	unsigned int doff;

	if (skb->pkt_type != PACKET_HOST)
		return TCPFSM_MIB_DROP_NOT_HOST;
	if (!pskb_may_pull(skb, sizeof(struct tcphdr)))
		return TCPFSM_MIB_DROP_HDR;
	th = (const struct tcphdr *)skb->data;
	doff = th->doff * 4;
	if (doff < sizeof(struct tcphdr) || !pskb_may_pull(skb, doff))
		return TCPFSM_MIB_DROP_HDR;
	if (skb_checksum_init(skb, tcpfsm_proto, inet_compute_pseudo))
		return TCPFSM_MIB_DROP_CSUM;
	if (skb_checksum_complete(skb))
		return TCPFSM_MIB_DROP_CSUM;
	return TCPFSM_MIB_MAX;
}

/**
 * tcpfsm_rcv() - IP protocol handler for our protocol number
 * @skb: the segment, skb->data at its header
 *
 * Return: 0; the skb is always consumed.
 */
int tcpfsm_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	enum tcpfsm_mib reason;

	reason = tcpfsm_validate(skb);
	if (reason == TCPFSM_MIB_MAX) {
		TCPFSM_INC_STATS(net, TCPFSM_MIB_INSEGS);
		/* No connections exist yet: nothing can match. */
		reason = TCPFSM_MIB_DROP_NO_SOCKET;
	} else if (reason == TCPFSM_MIB_DROP_CSUM) {
		TCPFSM_INC_STATS(net, TCPFSM_MIB_INCSUMERRORS);
		TCPFSM_INC_STATS(net, TCPFSM_MIB_INERRS);
	} else if (reason == TCPFSM_MIB_DROP_HDR) {
		TCPFSM_INC_STATS(net, TCPFSM_MIB_INERRS);
	}
	TCPFSM_INC_STATS(net, reason);
	kfree_skb(skb);
	return 0;
}

/**
 * tcpfsm_err() - ICMP error handler for our protocol number
 * @skb: the ICMP message, skb->data at the quoted header
 * @info: ICMP-specific information (e.g. the MTU)
 *
 * Return: 0.
 */
int tcpfsm_err(struct sk_buff *skb, u32 info)
{
	return 0;
}
