"""Where the Debian base comes from, and what goes into an image's build context."""

from __future__ import annotations

import tarfile

import pytest

from harness.backends.docker import images
from harness.errors import UserError


def test_mirror_is_read_from_a_deb822_sources_file():
    text = "Types: deb\n# http://snapshot.example/archive\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
    assert images._mirror_in(text) == "http://mirror.example/debian"


def test_mirror_is_read_from_a_one_line_sources_list_but_not_the_security_archive():
    text = "deb http://mirror.example/debian-security bookworm-security main\ndeb [arch=amd64] http://mirror.example/debian bookworm main\n"
    assert images._mirror_in(text) == "http://mirror.example/debian"


def test_mirror_can_be_given_in_the_environment(monkeypatch):
    monkeypatch.setenv("OXH_DEBIAN_MIRROR", "http://given.example/debian")
    assert images.debian_mirror() == "http://given.example/debian"


def test_every_role_image_has_a_dockerfile_and_a_parent_built_before_it():
    built = {images.DEBIAN_IMAGE}
    for spec in images.IMAGES:
        assert (spec.folder / "Dockerfile").exists(), spec.name
        assert spec.parent in built, f"{spec.name} is built before its parent {spec.parent}"
        built.add(spec.tag)
    assert set(images.IMAGE_OF_ROLE.values()) <= built


def test_middleware_context_carries_the_reference_middleware():
    spec = next(spec for spec in images.IMAGES if spec.name == "middleware")
    if not spec.extra_context["reference"].exists():
        pytest.skip("reference/ is not in this checkout yet")
    with tarfile.open(fileobj=images._context_tar(spec)) as tar:
        names = tar.getnames()
    assert "./Dockerfile" in names or "Dockerfile" in names
    assert any(name.startswith("reference/") for name in names)
    assert not any(name.endswith(".pyc") for name in names)


def test_missing_dockerfile_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "IMAGE_DIR", tmp_path)
    with pytest.raises(UserError, match="Dockerfile is missing"):
        images._context_tar(images.ImageSpec("nothing", "oxh/base:latest"))
