"""Build the images of the reference topology locally.

No registry is reachable, so the Debian base is made with debootstrap from
the mirror this machine's apt already uses, imported into Docker, and every
role image is built on top of it from topologies/images/<name>/.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import docker
from docker.errors import APIError, BuildError, ImageNotFound

from harness import resources
from harness.errors import UserError

IMAGE_DIR = resources.topologies_dir() / "images"
DEBIAN_IMAGE = "oxh/debian:bookworm"
SUITE = "bookworm"
# Role images are tagged <namespace>/<name>:latest; a second checkout building images of its own sets
# OXH_IMAGE_NAMESPACE so that it does not replace the images another checkout's projects run on.
NAMESPACE = os.environ.get("OXH_IMAGE_NAMESPACE", "oxh")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ImageSpec:
    name: str
    parent: str
    extra_context: dict[str, Path] = field(default_factory=dict)

    @property
    def tag(self) -> str:
        return image(self.name)

    @property
    def folder(self) -> Path:
        return IMAGE_DIR / self.name


def image(name: str) -> str:
    return f"{NAMESPACE}/{name}:latest"


# In build order: every parent comes before its children.
IMAGES = [
    ImageSpec("base", DEBIAN_IMAGE),
    ImageSpec("nfsclient", image("base")),
    ImageSpec("database", image("base")),
    ImageSpec("filestore", image("base")),
    ImageSpec("mta", image("base")),
    ImageSpec("balancer", image("base"), {"ui": resources.reference_dir() / "ui"}),
    ImageSpec("edge", image("base")),
    ImageSpec("imap", image("nfsclient")),
    ImageSpec("middleware", image("nfsclient"), {"reference": resources.reference_dir()}),
]
IMAGE_OF_ROLE = {role: image(role) for role in ("balancer", "middleware", "database", "filestore", "imap", "mta", "edge")}

_IGNORED = {"__pycache__", ".pytest_cache", ".mypy_cache"}


def build_all(client: docker.DockerClient, progress: Progress, only: list[str] | None = None) -> dict[str, float]:
    """Build every image (Docker's cache makes unchanged ones instant); returns seconds per image."""
    ensure_debian_base(client, progress)
    timings: dict[str, float] = {}
    for spec in IMAGES:
        if only and spec.name not in only:
            continue
        started = time.monotonic()
        progress(f"building image {spec.tag}")
        build(client, spec, progress)
        timings[spec.name] = time.monotonic() - started
    return timings


def build(client: docker.DockerClient, spec: ImageSpec, progress: Progress) -> None:
    context = _context_tar(spec)
    log: list[str] = []
    try:
        stream = client.api.build(
            fileobj=context,
            custom_context=True,
            tag=spec.tag,
            buildargs={"BASE": spec.parent, "BASE_IMAGE": spec.parent},
            rm=True,
            forcerm=True,
            decode=True,
            labels={"io.oxh.image": spec.name},
        )
        for chunk in stream:
            if "stream" in chunk:
                line = chunk["stream"].rstrip()
                if line:
                    log.append(line)
                    if line.startswith("Step "):
                        progress(f"building image {spec.tag}: {line}")
            if "error" in chunk:
                raise BuildError(chunk["error"], log)
    except (BuildError, APIError) as exc:
        tail = "\n".join(log[-15:])
        raise UserError(
            f"building image {spec.tag} failed: {exc}\n{tail}",
            f"fix {spec.folder}/Dockerfile, or check that containers reach the Debian mirror",
        ) from None


def _context_tar(spec: ImageSpec) -> io.BytesIO:
    if not (spec.folder / "Dockerfile").exists():
        raise UserError(f"{spec.folder}/Dockerfile is missing", "restore it (git checkout, or reinstall ox-harness)")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(spec.folder, arcname=".", filter=_skip_caches)
        for arcname, source in spec.extra_context.items():
            if not source.exists():
                raise UserError(f"{source} is missing (needed by image {spec.tag})", "restore it")
            tar.add(source, arcname=arcname, filter=_skip_caches)
    buffer.seek(0)
    return buffer


def _skip_caches(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    return None if set(Path(info.name).parts) & _IGNORED or info.name.endswith(".pyc") else info


# -- the Debian base made by debootstrap ------------------------------------


def ensure_debian_base(client: docker.DockerClient, progress: Progress) -> None:
    try:
        client.images.get(DEBIAN_IMAGE)
        return
    except ImageNotFound:
        pass
    if os.geteuid() != 0:
        raise UserError(
            f"the base image {DEBIAN_IMAGE} does not exist yet and making it with debootstrap needs root",
            "run `oxh images build` once as root",
        )
    if not shutil.which("debootstrap"):
        raise UserError("debootstrap is not installed", "install it with `apt-get install debootstrap`")
    mirror = debian_mirror()
    with tempfile.TemporaryDirectory(prefix="oxh-rootfs-") as root:
        progress(f"making {DEBIAN_IMAGE} with debootstrap (about a minute)")
        result = subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=netbase,ca-certificates", SUITE, root, mirror],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-10:])
            raise UserError(f"debootstrap failed:\n{tail}", "check that this machine reaches its Debian mirror")
        progress(f"importing {DEBIAN_IMAGE} into Docker")
        tar = subprocess.run(["tar", "--numeric-owner", "-C", root, "-c", "."], capture_output=True)
        if tar.returncode != 0:
            raise UserError(f"cannot pack the debootstrap tree: {tar.stderr.decode(errors='replace')[-500:]}")
        client.api.import_image_from_data(tar.stdout, repository="oxh/debian", tag=SUITE)


def debian_mirror() -> str:
    """The Debian mirror apt uses on this machine (OXH_DEBIAN_MIRROR overrides)."""
    if os.environ.get("OXH_DEBIAN_MIRROR"):
        return os.environ["OXH_DEBIAN_MIRROR"]
    sources = sorted(Path("/etc/apt/sources.list.d").glob("*.sources")) + [Path("/etc/apt/sources.list")]
    for path in sources:
        found = _mirror_in(path.read_text()) if path.exists() else None
        if found:
            return found
    raise UserError(
        "no Debian mirror found in this machine's apt sources",
        "set OXH_DEBIAN_MIRROR to the URL of a Debian mirror",
    )


def _mirror_in(text: str) -> str | None:
    for uri in re.findall(r"^\s*URIs:\s*(\S+)", text, re.M) + re.findall(r"^\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)", text, re.M):
        if "security" not in uri and uri.startswith("http"):
            return uri
    return None
