"""The named failover scenarios: fault, how long it is held, and what users may suffer meanwhile.

Shared by the failover suite (on the reference topology), `oxh drill` (on a
staging cluster) and faults under load. Expectations of the HA design: a
balancer's loss costs at most 4 s of failed probes; a middleware node's loss
no failed user call after one retry and no session; a database master's loss
at most 10 s of failed writes; no scenario loses an acknowledged write or a
sent mail, and after every heal each VIP sits on one node and the masters
hold equal tables. Each scenario is one requirement (FAILOVER-<NAME>), so
the matrix says which failure a cluster does not survive.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from harness.faults.catalogue import Fault, Selector


@dataclass(frozen=True)
class Thresholds:
    """What a scenario may cost users; a topology or target file may set its own."""

    max_probe_downtime: float = 4.0
    max_write_downtime: float = 10.0
    max_upload_downtime: float = 10.0
    max_mail_downtime: float | None = 4.0  # None: mail may fail for as long as the fault lasts
    max_recovery: float = 15.0
    max_lost_writes: int = 0
    max_lost_sessions: int = 0


@dataclass(frozen=True)
class NamedScenario:
    fault: Fault
    hold: float
    thresholds: Thresholds
    write_on_each_side: bool = False  # write on each faulted master directly while the fault holds
    sessions_on_faulted_node: bool = False  # sign every measured user in on the node the fault hits
    exercised: tuple[str, ...] = ()  # operations the scenario's text promises while the fault holds (davwrite:
    # calendar apps syncing through the sync pool too)
    why: str = ""  # what the thresholds assume, for scenarios that are not the general rule

    @property
    def sync_clients(self) -> bool:
        return "davwrite" in self.exercised

    def requirement(self, name: str) -> str:
        return f"FAILOVER-{name.upper()}"


BALANCER = Thresholds(max_probe_downtime=4.0, max_write_downtime=4.0, max_upload_downtime=4.0, max_mail_downtime=4.0)
NO_USER_VISIBLE_ERROR = Thresholds(max_probe_downtime=4.0, max_write_downtime=0.0, max_upload_downtime=0.0,
                                   max_mail_downtime=0.0)
HUNG_NODE = Thresholds(max_probe_downtime=10.0, max_write_downtime=0.0, max_upload_downtime=0.0, max_mail_downtime=0.0)
DATABASE = Thresholds(max_probe_downtime=10.0, max_write_downtime=10.0, max_upload_downtime=10.0,
                      max_mail_downtime=10.0)
UNAFFECTED = Thresholds(max_probe_downtime=1.0, max_write_downtime=1.0, max_upload_downtime=1.0, max_mail_downtime=4.0)

def service_killed(role: str, pick, service: str, vip: str, hold: float, thresholds: Thresholds) -> NamedScenario:
    """The service of a VIP holder killed while its node and keepalived live on, as on a real host."""
    return NamedScenario(Fault("kill", Selector(role, pick)), hold, thresholds,
                         why=f"{service} dies while keepalived lives on, as on a real host: only keepalived's health "
                             f"check of {service} can move the {vip}")


SCENARIOS: dict[str, NamedScenario] = {
    "balancer-vip-holder-killed": NamedScenario(Fault("lose", Selector("balancer", "vip_holder")), 6, BALANCER),
    "balancer-vip-holder-stopped": NamedScenario(Fault("shutdown", Selector("balancer", "vip_holder")), 6, BALANCER),
    "balancer-vip-holder-apache-killed": service_killed("balancer", "vip_holder", "Apache", "VIP", 6, BALANCER),
    "middleware-node-killed": NamedScenario(
        Fault("lose", Selector("middleware", "one")), 6, NO_USER_VISIBLE_ERROR, sessions_on_faulted_node=True),
    "middleware-node-paused": NamedScenario(
        Fault("freeze", Selector("middleware", "one")), 15, HUNG_NODE, sessions_on_faulted_node=True,
        why="every measured session sticks to the paused node. The one request in flight when it froze waits for "
            "the client's own timeout (8 s): a balancer cannot fail over a request it has sent. The probe, which "
            "never retries, may so lose up to 10 s; users, who retry once, must see no failed call, which holds "
            "only when the balancer takes a member that stops answering out within those 8 s. The node stays frozen for "
            "15 s, longer than the client's timeout, so that the retry has to go elsewhere"),
    "middleware-node-cut-off": NamedScenario(
        Fault("isolate", Selector("middleware", "one")), 6, HUNG_NODE, sessions_on_faulted_node=True,
        why="every packet to and from the node is dropped, while its address still resolves (ARP is not IP): to the "
            "balancer it is a member that stops answering, like a hung one, so the probe, which never retries, may "
            "wait for the client's timeout until the member watch takes it out; users, who retry once, must see no "
            "failed call"),
    "two-middleware-nodes-killed": NamedScenario(
        Fault("lose", Selector("middleware", "two", spare="oxcluster")), 6, NO_USER_VISIBLE_ERROR,
        sessions_on_faulted_node=True,
        why="the groupware pool keeps one member; a pool whose every member is gone is an outage by design"),
    "sync-member-killed": NamedScenario(
        Fault("lose", Selector("middleware", "one", pool="oxcluster_sync")), 6, NO_USER_VISIBLE_ERROR,
        sessions_on_faulted_node=True, exercised=("davwrite",),
        why="calendar apps sync through the sync pool member that is lost, pinned to it by its route; the balancer "
            "must send their retry to the pool's other member, and every change it acknowledged is listed through "
            "that other member after the heal"),
    "database-write-master-killed": NamedScenario(Fault("lose", Selector("database", "write_master")), 8, DATABASE),
    "database-write-master-mariadb-killed": service_killed("database", "write_master", "MariaDB", "write VIP", 8,
                                                           DATABASE),
    "database-masters-partitioned": NamedScenario(
        Fault("partition", Selector("database", "all")), 8, DATABASE, write_on_each_side=True),
    "database-latency-200ms": NamedScenario(
        Fault("netem", Selector("database", "all"), delay_ms=200), 6, BALANCER),
    "filestore-restarted": NamedScenario(Fault("restart", Selector("filestore", "one")), 4, BALANCER,
                                         exercised=("upload",)),
    "imap-node-killed": NamedScenario(Fault("lose", Selector("imap", "one")), 6, NO_USER_VISIBLE_ERROR,
                                      exercised=("mailread",)),
    "mta-stopped": NamedScenario(
        Fault("stop", Selector("mta", "all")), 6, replace(UNAFFECTED, max_mail_downtime=None),
        why="with every MTA down no mail can be sent until one is back; nothing sent may be lost "
            "and the rest of the groupware must not notice"),
}


def thresholds_for(name: str, overrides: dict[str, dict]) -> Thresholds:
    """A scenario's thresholds, with what a target file sets under `failover_thresholds` on top."""
    return replace(SCENARIOS[name].thresholds, **overrides.get(name, {}))
