"""Docker backend: builds the images, runs the reference topology on this machine, and gives node access
with every capability. Outside the backends, only the command line (up, down, status, images, bench, doctor)
uses `cluster`, `engine`, `images` and `startup`'s progress protocol; everything else reaches the cluster
through `access.DockerAccess`, made by `harness.backends.target`."""

__all__ = ["access", "cluster", "engine", "images", "startup"]  # the rest (roles, configs, control, node, ...) is internal
