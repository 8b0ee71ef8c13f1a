"""Bring the reference topology up in Docker, report its state, and tear it down.

Every container, network and volume carries the labels io.oxh.project and
io.oxh.role, so that `down` (and the clean-up after a failed or interrupted
`up`) finds them all, and two projects can run side by side.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network
from typing import Callable

import docker
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from harness.backends.docker import images
from harness.backends.docker.configs import as_archive, render_node
from harness.backends.docker.node import NodeHandle
from harness.backends.docker.ports import free_port, published_ports, require_free_port
from harness.backends.docker.engine import LABEL_NODE, LABEL_PROJECT, LABEL_ROLE, LABEL_TOPOLOGY
from harness.backends.docker.relocate import relocate
from harness.backends.docker.roles import ContainerSpec, Probe, edge_spec, spec_for
from harness.backends.docker.startup import POLL_INTERVAL, Reporter, StartupWaits, Waiting, preferred_first
from harness.backends.docker.state import ProjectState
from harness.errors import UserError
from harness.wait import WaitTimeout, last_value, wait_for
from harness.models.topology import Node, Topology

# Tiers start together; a tier starts when the one before it is healthy.
START_ORDER = [("database", "filestore"), ("imap", "mta"), ("middleware",), ("balancer", "edge")]
CLEANUP_SETTLE = 1.0
EDGE = "edge"


@dataclass
class NodeStatus:
    role: str
    node: str
    container: str
    address: str
    state: str
    health: str
    ports: dict[str, int]
    holds_vip: list[str]


class DockerCluster:
    def __init__(self, project: str, client: docker.DockerClient):
        self.project = project
        self.client = client
        self.state = ProjectState(project)
        self.leftovers: list[str] = []  # what the last `down` could not remove, and why

    # -- names and labels ------------------------------------------------------

    def container_name(self, node: str) -> str:
        return f"{self.project}-{node}"

    @property
    def network_name(self) -> str:
        return f"{self.project}-net"

    def labels(self, role: str, node: str | None = None, topology: Topology | None = None) -> dict[str, str]:
        labels = {LABEL_PROJECT: self.project, LABEL_ROLE: role}
        if node:
            labels[LABEL_NODE] = node
        if topology:
            labels[LABEL_TOPOLOGY] = topology.name
        return labels

    def node(self, name: str) -> NodeHandle:
        """The handle on one node's container."""
        return NodeHandle(self.client, self.container_name(name), name)

    def containers(self) -> list[Container]:
        return self.client.containers.list(all=True, filters={"label": f"{LABEL_PROJECT}={self.project}"})

    def exists(self) -> bool:
        return bool(self.containers())

    # -- up ----------------------------------------------------------------------

    def up(
        self,
        topology: Topology,
        reporter: Reporter,
        http_port: int | None = None,
        build: bool = True,
    ) -> Topology:
        """Start the topology and wait until every node is healthy; returns the topology as placed."""
        self._refuse_leftovers()
        if http_port is not None:
            require_free_port(http_port)
        try:
            if build:
                images.build_all(self.client, reporter.step)
            placed = self._place(topology, reporter)
            secrets = self.state.secrets()
            self.state.save_topology(placed)
            reporter.step(f"creating network {self.network_name} ({placed.network.subnet})")
            self._create_network(placed)
            waits = StartupWaits(self, placed, reporter)
            for tier in START_ORDER:
                started = []
                for role in tier:
                    if role == EDGE:
                        started.append(self._start(placed, EDGE, None, edge_spec(placed), {}, http_port))
                        continue
                    for index, node in enumerate(preferred_first(placed, role)):
                        spec = spec_for(role, node, placed, secrets, self.project)
                        files = render_node(placed, role, node, secrets)
                        started.append(self._start(placed, role, node, spec, files))
                        if index == 0 and role in placed.vips().values():
                            waits.vip_taken_by(role, node.name)
                waits.tier_healthy(started)
            return placed
        except BaseException:
            reporter.step("start-up did not finish: removing what was started")
            with _signals_deferred():
                self.down()
                # A create the engine was still carrying out when we were interrupted lands late.
                time.sleep(CLEANUP_SETTLE)
                self.down()
            raise

    def _refuse_leftovers(self) -> None:
        """Containers of an earlier run are the user's to judge; a lone network or volume is just removed."""
        leftovers = self.containers()
        if leftovers:
            raise UserError(
                f"project {self.project!r} already has {len(leftovers)} container(s) from an earlier run",
                f"use it as it is, or remove it with `oxh down --project {self.project}`",
            )
        self.down()

    def _place(self, topology: Topology, reporter: Reporter) -> Topology:
        """Keep the topology's subnet if free, else move it to the first free 172.30.N.0/24."""
        taken = self._subnets_in_use()
        if not any(topology.network.subnet.overlaps(net) for net in taken):
            return topology
        for third in range(1, 255):
            candidate = ip_network(f"172.30.{third}.0/24")
            if not any(candidate.overlaps(net) for net in taken):
                reporter.step(f"subnet {topology.network.subnet} is taken: placing the topology in {candidate}")
                return relocate(topology, candidate)
        raise UserError("no free /24 left in 172.30.0.0/16 for the topology", "remove unused Docker networks")

    def _subnets_in_use(self) -> list[IPv4Network]:
        subnets = []
        for network in self.client.networks.list():
            for config in (network.attrs.get("IPAM") or {}).get("Config") or []:
                if config.get("Subnet") and ":" not in config["Subnet"]:
                    subnets.append(ip_network(config["Subnet"], strict=False))
        return subnets

    def _create_network(self, topology: Topology) -> None:
        net = topology.network
        pool = docker.types.IPAMPool(
            subnet=str(net.subnet), iprange=str(net.dynamic_range), gateway=str(net.gateway)
        )
        self.client.networks.create(
            self.network_name,
            driver="bridge",
            ipam=docker.types.IPAMConfig(pool_configs=[pool]),
            labels=self.labels("network", topology=topology),
        )

    def _start(
        self,
        topology: Topology,
        role: str,
        node: Node | None,
        spec: ContainerSpec,
        files: dict[str, str],
        host_port_for_first: int | None = None,
    ) -> Waiting:
        name = node.name if node else EDGE
        address = str(node.address) if node else str(topology.network.edge)
        for volume in spec.volumes:
            self.client.volumes.create(volume, labels=self.labels(role, name, topology))
        # Host ports are chosen here, not by the engine: a port the engine picks changes when a fault
        # restarts the container, and the suites' endpoints would point at nothing.
        ports = {
            f"{port}/tcp": ("127.0.0.1", host_port_for_first if index == 0 and host_port_for_first else free_port())
            for index, port in enumerate(spec.ports)
        }
        container = self.client.containers.create(
            spec.image,
            name=self.container_name(name),
            hostname=name,
            labels=self.labels(role, name, topology),
            environment=spec.environment,
            cap_add=spec.cap_add or None,
            devices=spec.devices or None,
            security_opt=spec.security_opt or None,
            volumes={vol: {"bind": path, "mode": "rw"} for vol, path in spec.volumes.items()},
            ports=ports,
            network=self.network_name,
            detach=True,
            init=True,
            mem_limit="1g",
        )
        # Fixed address: reconnect to the project network with the node's address.
        network = self.client.networks.get(self.network_name)
        network.disconnect(container)
        network.connect(container, ipv4_address=address)
        if files:
            container.put_archive("/", as_archive(files))
        try:
            container.start()
        except APIError as exc:
            if "port is already allocated" in str(exc) or "address already in use" in str(exc):
                raise UserError(f"cannot publish a port for {name}: {exc.explanation}", "choose another --http-port") from None
            raise
        probe = spec.probe or Probe("running", "true")
        return Waiting(name, role, probe.waits_for, probe, container)

    # -- status ------------------------------------------------------------------

    def wait_healthy(self, nodes: list[str], timeout: float = 120.0) -> float:
        """Wait until every one of `nodes` answers its health probe; the seconds it took."""
        started = time.monotonic()
        health = last_value(lambda: {status.node: status.health for status in self.status()},
                            lambda found: all(found.get(node) == "healthy" for node in nodes),
                            timeout=timeout, interval=POLL_INTERVAL)
        if not all(health.get(node) == "healthy" for node in nodes):
            raise TimeoutError(f"{nodes} not healthy after {timeout:.0f} s: {health}")
        return time.monotonic() - started

    def vip_holders(self, topology: Topology) -> dict[str, list[str]]:
        vips = topology.vips()
        holders: dict[str, list[str]] = {vip: [] for vip in vips}
        for container in self.containers():
            role = container.labels.get(LABEL_ROLE)
            if container.status != "running" or role not in vips.values():
                continue
            try:
                output = container.exec_run(["ip", "-o", "-4", "addr", "show", "dev", "eth0"]).output.decode()
            except APIError:  # stopped between listing and asking: it holds nothing
                continue
            for vip, vip_role in vips.items():
                if vip_role == role and f" {vip}/" in output:
                    holders[vip].append(container.labels.get(LABEL_NODE, container.name))
        return holders

    def status(self) -> list[NodeStatus]:
        topology = self.state.topology()
        containers = sorted(self.containers(), key=lambda c: (c.labels.get(LABEL_ROLE, ""), c.name))
        holders = self.vip_holders(topology) if topology else {}

        def describe(container: Container) -> NodeStatus:
            role = container.labels.get(LABEL_ROLE, "?")
            node = container.labels.get(LABEL_NODE, container.name)
            network = container.attrs["NetworkSettings"]["Networks"].get(self.network_name, {})
            return NodeStatus(
                role=role,
                node=node,
                container=container.name,
                address=network.get("IPAddress", ""),
                state=container.status,
                health=self._health(container, role, node, topology),
                ports=published_ports(container),
                holds_vip=[vip for vip, nodes in holders.items() if node in nodes],
            )

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(describe, containers))

    def _health(self, container: Container, role: str, node: str, topology: Topology | None) -> str:
        if container.status != "running":
            return "-"
        if topology is None:
            return "unknown"
        try:
            if role == EDGE:
                spec = edge_spec(topology)
            else:
                spec = spec_for(role, topology.node(node), topology, self.state.secrets(), self.project)
        except KeyError:
            return "unknown"
        probe = spec.probe or Probe("running", "true")
        try:
            result = container.exec_run(["sh", "-c", probe.command])
        except APIError:  # it stopped while we asked
            return "-"
        return "healthy" if result.exit_code == 0 else f"unhealthy: waiting for {probe.waits_for}"

    def endpoints(self) -> dict[str, str]:
        """Host-side addresses of what the suites need (all on 127.0.0.1)."""
        found: dict[str, str] = {}
        topology = self.state.topology()
        for status in self.status():
            for port, host_port in status.ports.items():
                found[f"{status.node}:{port}"] = f"127.0.0.1:{host_port}"
        if topology:
            edge_http = found.get(f"{EDGE}:{topology.balancer.http_port}")
            if edge_http:
                found["http"] = f"http://{edge_http}"
            if found.get(f"{EDGE}:3306"):
                found["mysql_write"] = found[f"{EDGE}:3306"]
        return found

    def logs(self, node: str, lines: int = 100) -> str:
        try:
            container = self.client.containers.get(self.container_name(node))
            return container.logs(tail=lines).decode(errors="replace")
        except NotFound:
            return "(no such container)"

    # -- down --------------------------------------------------------------------

    def down(self) -> int:
        """Remove every container, network and volume of the project; returns how many containers.

        What could not be removed is listed in `leftovers`."""
        containers = self.containers()
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(_remove_container, containers))
        selector = {"label": f"{LABEL_PROJECT}={self.project}"}
        self.leftovers = [
            problem for network in self.client.networks.list(filters=selector) if (problem := _remove_network(network))
        ]
        for volume in self.client.volumes.list(filters=selector):
            _ignore_missing(lambda: volume.remove(force=True))
        return len(containers)


def projects(client: docker.DockerClient) -> dict[str, int]:
    """Projects with containers on this engine, and how many each has."""
    counts: dict[str, int] = {}
    for container in client.containers.list(all=True, filters={"label": LABEL_PROJECT}):
        project = container.labels[LABEL_PROJECT]
        counts[project] = counts.get(project, 0) + 1
    return counts


def _remove_container(container: Container) -> None:
    _ignore_missing(lambda: container.remove(force=True, v=True))


def _ignore_missing(action: Callable[[], object]) -> None:
    try:
        action()
    except NotFound:
        pass
    except APIError as exc:
        if "removal of container" in str(exc) and "already in progress" in str(exc):
            return
        raise


def _remove_network(network, seconds: float = 10.0) -> str | None:
    """Remove a network once the engine has detached the removed containers from it.

    Docker 20.10 sometimes keeps a stale endpoint for good; the network then
    stays (its subnet is skipped by later projects) and the reason is returned.
    """

    def removed() -> bool:
        try:
            _ignore_missing(network.remove)
            return True
        except APIError as exc:
            if "active endpoints" not in str(exc):
                raise
            return False

    try:
        wait_for(removed, timeout=seconds, waiting_for=f"network {network.name} removed")
    except WaitTimeout:
        return (f"network {network.name} keeps a stale endpoint in the Docker engine and was left; "
                "restarting the engine clears it")
    return None


@contextlib.contextmanager
def _signals_deferred():
    """Let a clean-up finish even when the user presses Ctrl-C again."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
