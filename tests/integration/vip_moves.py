"""Moving a VIP where a test needs it, as an operator would: by failing the holder over."""

from __future__ import annotations

from harness.wait import wait_for


def fail_over_writes_to(cluster, topology, master: str) -> None:
    """Kill the master holding the write VIP until `master` holds it; the other one rejoins as the backup."""
    vip = str(topology.database.write_vip.address)
    holder = cluster.vip_holders(topology)[vip][0]
    if holder == master:
        return
    cluster.node(holder).kill()
    wait_for(lambda: cluster.vip_holders(topology)[vip] == [master], timeout=30, waiting_for=f"the write VIP on {master}")
    cluster.node(holder).start()
    cluster.wait_healthy([holder], 90)
