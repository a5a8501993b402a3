/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels tcpfsm supports (Debian's 6.1 and 6.12),
 * kept in one place so the rest of the module reads as if there were one.
 */
#ifndef _TCPFSM_COMPAT_H
#define _TCPFSM_COMPAT_H

#include <linux/version.h>
#include <linux/net.h>
#include <net/net_namespace.h>
#include <net/sock.h>

/*
 * register_net_sysctl() became a macro over register_net_sysctl_sz() in
 * 6.5, taking ARRAY_SIZE() of its table, which a per-netns kmemdup() copy
 * does not have.  @n counts the real entries; 6.1 walks up to the empty
 * sentinel that every table still carries.
 */
static inline struct ctl_table_header *
tcpfsm_register_sysctl(struct net *net, const char *path,
		       struct ctl_table *table, size_t n)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/*
 * proto_ops->accept takes a struct proto_accept_arg since 6.10; before it
 * took the flags and the kern bool.  TCPFSM_ACCEPT_ARGS is the parameter
 * list, tcpfsm_accept_flags()/tcpfsm_accept_kern() read it either way.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define TCPFSM_ACCEPT_ARGS \
	struct socket *sock, struct socket *newsock, struct proto_accept_arg *arg
#define tcpfsm_accept_flags()	(arg->flags)
#define tcpfsm_accept_kern()	(arg->kern)
#else
#define TCPFSM_ACCEPT_ARGS \
	struct socket *sock, struct socket *newsock, int flags, bool kern
#define tcpfsm_accept_flags()	(flags)
#define tcpfsm_accept_kern()	(kern)
#endif

/*
 * An orphaned connection must not keep its netns alive: the netns may go
 * once the last user socket is closed, and pernet exit then ends the
 * orphans (as it ends TIME_WAIT entries).  This turns a user socket's
 * counted netns reference into what a kernel socket holds, the reverse of
 * sk_net_refcnt_upgrade() (6.14): since 6.2 a tracker of its own, which
 * __sk_destruct() frees, and in Debian's 6.12 (stable backport of the
 * kernel-socket netns fix) a passive reference, which __sk_destruct()
 * drops with net_passive_dec().
 */
static inline void tcpfsm_sk_net_release(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (!sk->sk_net_refcnt)
		return;
	sk->sk_net_refcnt = 0;
	sock_inuse_add(net, -1);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	net_passive_inc(net);
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	__netns_tracker_free(net, &sk->ns_tracker, true);
	__netns_tracker_alloc(net, &sk->ns_tracker, false, GFP_ATOMIC);
#else
	netns_tracker_free(net, &sk->ns_tracker);
#endif
	put_net(net);
}

/*
 * A dump's parsed request attributes: struct genl_dumpit_info holds a
 * struct genl_info since 6.6 (genl_info_dump()), the bare array before.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define tcpfsm_genl_dump_attrs(cb)	(genl_info_dump(cb)->attrs)
#else
#define tcpfsm_genl_dump_attrs(cb)	(genl_dumpit_info(cb)->attrs)
#endif

#endif /* _TCPFSM_COMPAT_H */
