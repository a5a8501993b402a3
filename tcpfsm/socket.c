// SPDX-License-Identifier: GPL-2.0
/*
 * The socket layer: socket(AF_INET, SOCK_STREAM, proto) lands here through
 * inet_create() and our inet_protosw.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <net/inet_common.h>
#include <net/protocol.h>
#include <net/sock.h>

#include "tcpfsm.h"

struct tcpfsm_sock {
	struct inet_sock	inet;	/* must be first */
};

static int tcpfsm_sk_init(struct sock *sk)
{
	return 0;
}

/* Nothing is hashed yet; sk_common_release() calls these unconditionally. */
static int tcpfsm_sk_hash(struct sock *sk)
{
	return 0;
}

static void tcpfsm_sk_unhash(struct sock *sk)
{
}

static void tcpfsm_sk_close(struct sock *sk, long timeout)
{
	sk_common_release(sk);
}

static struct proto tcpfsm_prot = {
	.name		= "TCPFSM",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct tcpfsm_sock),
	.init		= tcpfsm_sk_init,
	.close		= tcpfsm_sk_close,
	.hash		= tcpfsm_sk_hash,
	.unhash		= tcpfsm_sk_unhash,
};

static const struct proto_ops tcpfsm_stream_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= sock_no_bind,
	.connect	= sock_no_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= inet_getname,
	.poll		= datagram_poll,
	.ioctl		= inet_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= sock_no_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= sock_no_sendmsg,
	.recvmsg	= sock_no_recvmsg,
	.mmap		= sock_no_mmap,
};

static struct inet_protosw tcpfsm_protosw = {
	.type		= SOCK_STREAM,
	.prot		= &tcpfsm_prot,
	.ops		= &tcpfsm_stream_ops,
};

int tcpfsm_socket_init(void)
{
	int err;

	err = proto_register(&tcpfsm_prot, 1);
	if (err)
		return err;
	tcpfsm_protosw.protocol = tcpfsm_proto;
	inet_register_protosw(&tcpfsm_protosw);
	return 0;
}

void tcpfsm_socket_exit(void)
{
	inet_unregister_protosw(&tcpfsm_protosw);
	proto_unregister(&tcpfsm_prot);
}
