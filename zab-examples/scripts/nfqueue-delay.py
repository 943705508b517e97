#!/usr/bin/env python3
"""A delay line in user space, for kernels without sch_netem (bench-netem.sh uses it then).

Usage: nfqueue-delay.py DELAY_US QUEUE_NUM MAX_SECONDS

Binds netfilter queue QUEUE_NUM of the current network namespace (an iptables rule such as
`-A OUTPUT -o eth0 -j NFQUEUE --queue-num 0` sends packets to it) and accepts each packet
DELAY_US microseconds after it arrived here: what `tc qdisc add ... netem delay` does, in order
(the delay is the same for every packet, so packets leave in the order they came and one
batch verdict, "accept every id up to N", releases all that are due). Only the packets'
metadata crosses to user space (copy mode META), and segmentation offload stays on (the GSO
flag), so a 64 KiB TCP burst is one packet here. The queue fails open when full rather than
dropping. It prints "bound" once the queue is bound, and exits after MAX_SECONDS, when its
parent is gone, or on SIGTERM. Pure standard library: the netlink messages are packed here.

Threading: one thread, one loop; nothing else runs in this process.
"""
import collections
import os
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_CONFIG, NFQNL_MSG_VERDICT_BATCH = 0, 2, 3
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_MASK, NFQA_CFG_FLAGS = 1, 2, 3, 4, 5
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_GSO = 1, 4
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT = 1
SOL_NETLINK, NETLINK_NO_ENOBUFS = 270, 5


def attr(kind, payload):
    """One netlink attribute, padded to 4 bytes."""
    head = struct.pack("=HH", 4 + len(payload), kind)
    return head + payload + b"\0" * (-len(payload) % 4)


def message(kind, queue, attrs, flags=NLM_F_REQUEST):
    """An nfnetlink message to the queue subsystem: nlmsghdr, nfgenmsg, attributes."""
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attrs)
    head = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, 0, 0)
    return head + body


def configure(sock, queue, attrs):
    """Sends one config message and fails unless the kernel acknowledges it."""
    sock.send(message(NFQNL_MSG_CONFIG, queue, attrs, NLM_F_REQUEST | NLM_F_ACK))
    reply = sock.recv(65536)
    kind = struct.unpack_from("=H", reply, 4)[0]
    if kind == NLMSG_ERROR:
        error = struct.unpack_from("=i", reply, 16)[0]
        if error != 0:
            raise OSError(-error, "nfqueue config: " + os.strerror(-error))


def packet_id(buf, offset, end):
    """The packet id in the NFQA_PACKET_HDR attribute of the message at offset, or None."""
    at = offset + 16 + 4
    while at + 4 <= end:
        length, kind = struct.unpack_from("=HH", buf, at)
        if length < 4:
            return None
        if kind & 0x7FFF == NFQA_PACKET_HDR:
            return struct.unpack_from("!I", buf, at + 4)[0]
        at += (length + 3) & ~3
    return None


def bind(queue):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE: we are root
    sock.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
    sock.bind((0, 0))
    configure(sock, queue, [attr(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0,
                                                           socket.AF_INET))])
    configure(sock, queue, [attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))])
    configure(sock, queue, [attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", 100_000))])
    flags = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO
    configure(sock, queue, [attr(NFQA_CFG_FLAGS, struct.pack("!I", flags)),
                            attr(NFQA_CFG_MASK, struct.pack("!I", flags))])
    sock.setblocking(False)
    return sock


def run(delay_s, queue, max_seconds):
    sock = bind(queue)
    parent = os.getppid()
    print("bound", flush=True)
    held = collections.deque()  # (due time, packet id), in arrival order
    end = time.monotonic() + max_seconds
    while time.monotonic() < end and os.getppid() == parent:
        now = time.monotonic()
        wait = min(held[0][0] - now, 0.5) if held else 0.5
        if wait > 0:
            select.select([sock], [], [], wait)
        while True:  # everything that arrived, at most 64 KiB of messages per recv
            try:
                buf = sock.recv(65536)
            except BlockingIOError:
                break
            arrived = time.monotonic()
            at = 0
            while at + 16 <= len(buf):
                length, kind = struct.unpack_from("=IH", buf, at)
                if length < 16:
                    break
                if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    pid = packet_id(buf, at, at + length)
                    if pid is not None:
                        held.append((arrived + delay_s, pid))
                at += (length + 3) & ~3
        now = time.monotonic()
        last = None
        while held and held[0][0] <= now:
            last = held.popleft()[1]
        if last is not None:
            verdict = attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, last))
            sock.send(message(NFQNL_MSG_VERDICT_BATCH, queue, [verdict]))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run(int(sys.argv[1]) / 1e6, int(sys.argv[2]), float(sys.argv[3]))
