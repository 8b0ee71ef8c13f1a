"""The NFQUEUE latency agent's netlink messages (its delay itself is proven on real packets by the failover
suite's latency scenario)."""

from __future__ import annotations

import socket
import struct

from harness.backends.docker import delay_agent as nfq


def test_a_verdict_accepts_the_packet_it_names():
    data = nfq.verdict(7, 4242)
    length, kind, flags = struct.unpack_from("=IHH", data)
    assert length == len(data) and kind == (3 << 8) | nfq.NFQNL_MSG_VERDICT and flags == nfq.NLM_F_REQUEST
    assert struct.unpack_from("!H", data, 18)[0] == 7  # the queue number in nfgenmsg
    attr_length, attr_kind, verdict, packet_id = struct.unpack_from("=HH", data, 20) + struct.unpack_from("!II", data, 24)
    assert (attr_length, attr_kind, verdict, packet_id) == (12, nfq.NFQA_VERDICT_HDR, nfq.NF_ACCEPT, 4242)


def test_queued_packets_and_acknowledgements_are_read_from_one_buffer():
    header = nfq.attribute(nfq.NFQA_PACKET_HDR, struct.pack("!IHB", 99, 0x0800, 3))
    other = nfq.attribute(9, b"\x01\x02\x03")  # padded to four bytes
    packet = nfq.message(nfq.NFQNL_MSG_PACKET, 7, other + header, flags=0, family=socket.AF_INET)
    error = struct.pack("=IHHII", 36, nfq.NLMSG_ERROR, 0, 0, 0) + struct.pack("=i", -1) + b"\0" * 16
    ok = struct.pack("=IHHII", 36, nfq.NLMSG_ERROR, 0, 0, 0) + struct.pack("=i", 0) + b"\0" * 16
    assert nfq.packet_ids(packet + error + ok) == ([99], [1, 0])


def test_binding_asks_for_packet_metadata_only_and_a_long_queue():
    params = nfq.config(7)
    assert struct.pack("!IB", 0, nfq.COPY_META) in params and struct.pack("!I", nfq.QUEUE_LENGTH) in params
    bind = nfq.config(7, nfq.CMD_BIND)
    assert struct.unpack_from("!BxH", bind, 24) == (nfq.CMD_BIND, socket.AF_INET)
