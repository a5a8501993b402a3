// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfsm module entry: the IP protocol handler, the socket type and the
 * per-netns state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <net/protocol.h>

#include "tcpfsm.h"
#include "netlink.h"

int tcpfsm_proto = TCPFSM_DEFAULT_PROTO;
module_param_named(proto, tcpfsm_proto, int, 0444);
MODULE_PARM_DESC(proto, "IP protocol number to run over (default 253)");

unsigned int tcpfsm_net_id __read_mostly;

unsigned long tcpfsm_mib_read(const struct net *net, enum tcpfsm_mib field)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(tn->mib, cpu)->mibs[field];
	return sum;
}

static int __net_init tcpfsm_net_init(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);
	int err;

	/* Defaults follow Linux TCP: 2MSL = 60 s, tcp_fin_timeout = 60 s,
	 * tcp_syn_retries = 6, tcp_retries2 = 15.
	 */
	tn->msl_ms = 30000;
	tn->fin_timeout_ms = 60000;
	tn->syn_retries = 6;
	tn->retries = 15;
	tn->max_tw = 262144;	/* tcp_max_tw_buckets on a large machine */
	tn->window_scaling = 1;

	tn->mib = alloc_percpu(struct tcpfsm_mib_cpu);
	if (!tn->mib)
		return -ENOMEM;

	err = tcpfsm_hash_net_init(net);
	if (err)
		goto out_mib;
	err = tcpfsm_output_net_init(net);
	if (err)
		goto out_hash;
	err = tcpfsm_tw_net_init(net);
	if (err)
		goto out_output;
	err = tcpfsm_sysctl_net_init(net);
	if (err)
		goto out_tw;
	return 0;

out_tw:
	tcpfsm_tw_net_exit(net);
out_output:
	tcpfsm_output_net_exit(net);
out_hash:
	tcpfsm_hash_net_exit(net);
out_mib:
	free_percpu(tn->mib);
	return err;
}

static void __net_exit tcpfsm_net_exit(struct net *net)
{
	struct tcpfsm_net *tn = tcpfsm_pernet(net);

	tcpfsm_sysctl_net_exit(net);
	/* Orphans still closing, then TIME_WAIT, then the tables. */
	tcpfsm_sock_net_exit(net);
	tcpfsm_tw_net_exit(net);
	tcpfsm_output_net_exit(net);
	tcpfsm_hash_net_exit(net);
	free_percpu(tn->mib);
}

static struct pernet_operations tcpfsm_net_ops = {
	.init	= tcpfsm_net_init,
	.exit	= tcpfsm_net_exit,
	.id	= &tcpfsm_net_id,
	.size	= sizeof(struct tcpfsm_net),
};

static struct net_protocol tcpfsm_protocol = {
	.handler	= tcpfsm_rcv,
	.err_handler	= tcpfsm_err,
	.no_policy	= 1,
};

/* Software GSO: our super-segments cut where the device does not take them. */
static const struct net_offload tcpfsm_offload = {
	.callbacks = {
		.gso_segment	= tcpfsm_gso_segment,
	},
};

static int __init tcpfsm_init(void)
{
	int err;

	/* 0 is IPPROTO_IP (any) and 255 IPPROTO_RAW: neither can be ours. */
	if (tcpfsm_proto <= 0 || tcpfsm_proto >= IPPROTO_RAW) {
		pr_err("proto=%d is not a usable IP protocol number\n",
		       tcpfsm_proto);
		return -EINVAL;
	}

	tcpfsm_output_init();
	err = tcpfsm_hash_init();
	if (err)
		return err;
	err = tcpfsm_tw_init();
	if (err)
		goto out_hash;
	err = register_pernet_subsys(&tcpfsm_net_ops);
	if (err)
		goto out_tw;

	err = tcpfsm_proc_init();
	if (err)
		goto out_pernet;

	err = tcpfsm_nl_init();
	if (err)
		goto out_proc;

	if (inet_add_protocol(&tcpfsm_protocol, tcpfsm_proto) < 0) {
		pr_err("IP protocol %d is already taken\n", tcpfsm_proto);
		err = -EBUSY;
		goto out_nl;
	}

	err = inet_add_offload(&tcpfsm_offload, tcpfsm_proto);
	if (err)
		goto out_protocol;

	err = tcpfsm_socket_init();
	if (err)
		goto out_offload;

	pr_info("registered IP protocol %d\n", tcpfsm_proto);
	return 0;

out_offload:
	inet_del_offload(&tcpfsm_offload, tcpfsm_proto);
out_protocol:
	inet_del_protocol(&tcpfsm_protocol, tcpfsm_proto);
	synchronize_net();
out_nl:
	tcpfsm_nl_exit();
out_proc:
	tcpfsm_proc_exit();
out_pernet:
	unregister_pernet_subsys(&tcpfsm_net_ops);
out_tw:
	tcpfsm_tw_exit();
out_hash:
	tcpfsm_hash_exit();
	return err;
}

static void __exit tcpfsm_exit(void)
{
	tcpfsm_socket_exit();
	inet_del_offload(&tcpfsm_offload, tcpfsm_proto);
	inet_del_protocol(&tcpfsm_protocol, tcpfsm_proto);
	/* No handler may still run on another CPU once we free its state. */
	synchronize_net();
	tcpfsm_nl_exit();
	tcpfsm_proc_exit();
	unregister_pernet_subsys(&tcpfsm_net_ops);
	tcpfsm_tw_exit();
	tcpfsm_hash_exit();
}

module_init(tcpfsm_init);
module_exit(tcpfsm_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The tcpfsm developers");
MODULE_DESCRIPTION("TCP-style connection protocol with an explicit state machine");
/* socket(AF_INET, SOCK_STREAM, 253) asks for these and so loads us. */
/* The type is a number here: SOCK_STREAM is an enum, not stringifiable. */
MODULE_ALIAS_NET_PF_PROTO_TYPE(PF_INET, TCPFSM_DEFAULT_PROTO, 1);
MODULE_ALIAS_NET_PF_PROTO(PF_INET, TCPFSM_DEFAULT_PROTO);
