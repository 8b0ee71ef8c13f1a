"""Packaging of ox-harness: the `harness` package, and the files `oxh` needs mapped into it.

The repository keeps its top-level layout (suites/, topologies/, reference/, docs/);
the wheel carries them as `harness.shipped.<name>`, where `harness.resources`
finds them through importlib.resources, in an installed package and in an
editable checkout alike. Everything else is declared in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

SHIPPED = ("suites", "topologies", "loadprofiles", "reference", "docs")
# Folders of data files (templates, images, the UI) are packages too, so that package-data reaches them.
NOT_PACKAGES = ["*__pycache__*", "*.egg-info*"]

packages = find_namespace_packages(include=["harness", "harness.*"], exclude=NOT_PACKAGES)
package_dir = {}
for folder in SHIPPED:
    package = f"harness.shipped.{folder}"
    package_dir[package] = folder
    packages += [package] + [f"{package}.{sub}" for sub in find_namespace_packages(folder, exclude=NOT_PACKAGES)]

setup(packages=packages, package_dir=package_dir)
