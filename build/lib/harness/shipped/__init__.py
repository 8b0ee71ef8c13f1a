"""The files `oxh` ships beside its code: the suites, the topologies with their image build contexts and
templates, and the reference middleware the images are built from. The build maps the repository's
top-level folders here (see setup.py); `harness.resources` is the one place that looks them up."""
