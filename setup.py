"""Packaging of ox-harness: the `harness` package, and the files `oxh` needs mapped into it.

The repository keeps its top-level layout (suites/, topologies/, reference/);
the wheel carries them as `harness.shipped.<name>`, where `harness.resources`
finds them through importlib.resources, in an installed package and in an
editable checkout alike. Everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

SHIPPED = ("suites", "topologies", "loadprofiles", "reference")

packages = find_packages(include=["harness", "harness.*"])
package_dir = {}
for folder in SHIPPED:
    package = f"harness.shipped.{folder}"
    package_dir[package] = folder
    packages += [package] + [f"{package}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=package_dir)
