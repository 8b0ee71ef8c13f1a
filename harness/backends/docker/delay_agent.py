"""Packet latency through the kernel's NFQUEUE, for kernels without sch_netem.

Run inside a node's network namespace (`nsenter -t PID -n python -m
harness.backends.docker.delay_agent --queue N --delay-ms 200`), it binds an
NFQUEUE over netfilter's netlink protocol and gives every packet an iptables
rule hands it (`-j NFQUEUE --queue-num N`) its ACCEPT verdict only `delay`
after it arrived: each packet leaves that much later, as with `tc netem
delay` on the same interface. The rule has no `--queue-bypass`: while no
agent listens the node's packets are dropped, never sent undelayed, so a
dead agent shows as an outage and the fault's proof fails, instead of a
latency scenario passing without latency. It prints `ready` once bound,
gives pending packets their verdict at once on SIGTERM, and ends by itself
after `--seconds`.
"""

from __future__ import annotations

import argparse
import heapq
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
CMD_BIND, CMD_PF_BIND = 1, 3
COPY_META = 1
NF_ACCEPT = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
QUEUE_LENGTH = 20_000


def attribute(kind: int, payload: bytes) -> bytes:
    """One netlink attribute, padded to four bytes."""
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def message(kind: int, queue: int, attributes: bytes, flags: int = NLM_F_REQUEST, family: int = socket.AF_UNSPEC,
            sequence: int = 0) -> bytes:
    """A netfilter queue message: netlink header, nfgenmsg (family, version 0, queue number), attributes."""
    body = struct.pack("=BBH", family, 0, socket.htons(queue)) + attributes
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, sequence, 0) + body


def config(queue: int, command: int | None = None, family: int = socket.AF_UNSPEC) -> bytes:
    if command is not None:
        return message(NFQNL_MSG_CONFIG, queue, attribute(NFQA_CFG_CMD, struct.pack("!BxH", command, socket.AF_INET)),
                       NLM_F_REQUEST | NLM_F_ACK, family)
    params = attribute(NFQA_CFG_PARAMS, struct.pack("!IB", 0, COPY_META))
    maxlen = attribute(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", QUEUE_LENGTH))
    return message(NFQNL_MSG_CONFIG, queue, params + maxlen, NLM_F_REQUEST | NLM_F_ACK)


def verdict(queue: int, packet_id: int) -> bytes:
    return message(NFQNL_MSG_VERDICT, queue, attribute(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, packet_id)))


def packet_ids(data: bytes) -> tuple[list[int], list[int]]:
    """(ids of the queued packets, error codes of acknowledgements) in a buffer of netlink messages."""
    ids, errors, offset = [], [], 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, offset)
        if length < 16:
            break
        if kind == NLMSG_ERROR:
            errors.append(-struct.unpack_from("=i", data, offset + 16)[0])
        elif kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            position = offset + 20  # after the netlink header and nfgenmsg
            while position + 4 <= offset + length:
                attr_length, attr_kind = struct.unpack_from("=HH", data, position)
                if attr_length < 4:
                    break
                if attr_kind & 0x7FFF == NFQA_PACKET_HDR:
                    ids.append(struct.unpack_from("!I", data, position + 4)[0])
                position += attr_length + (-attr_length % 4)
        offset += length + (-length % 4)
    return ids, errors


def run(queue: int, delay: float, seconds: float) -> int:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((0, 0))
    for request in (config(queue, CMD_PF_BIND, socket.AF_INET), config(queue, CMD_BIND), config(queue)):
        sock.send(request)
        _, errors = packet_ids(sock.recv(65536))
        if any(errors):
            print(f"cannot bind NFQUEUE {queue}: error {errors}", file=sys.stderr)
            return 1
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    pending: list[tuple[float, int]] = []
    ends = time.monotonic() + seconds
    while not stopping and time.monotonic() < ends:
        wait = max(0.0, min(pending[0][0] - time.monotonic(), 0.5)) if pending else 0.5
        if select.select([sock], [], [], wait)[0]:
            arrived = time.monotonic()
            for packet_id in packet_ids(sock.recv(1 << 20))[0]:
                heapq.heappush(pending, (arrived + delay, packet_id))
        while pending and pending[0][0] <= time.monotonic():
            sock.send(verdict(queue, heapq.heappop(pending)[1]))
    for _, packet_id in pending:  # what is still held goes now rather than being dropped with the queue
        sock.send(verdict(queue, packet_id))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Delay every packet an NFQUEUE rule hands this process.")
    parser.add_argument("--queue", type=int, required=True, help="NFQUEUE number of the iptables rule")
    parser.add_argument("--delay-ms", type=float, required=True, help="latency each packet gets")
    parser.add_argument("--seconds", type=float, default=600, help="end by itself after this long (default 600)")
    args = parser.parse_args()
    return run(args.queue, args.delay_ms / 1000, args.seconds)


if __name__ == "__main__":
    sys.exit(main())
