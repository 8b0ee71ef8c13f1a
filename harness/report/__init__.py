"""Run folders: what a run was meant to run (inventory), its results, the verdict per requirement and for
the run, JUnit XML, the HTML report and the comparison with a baseline."""

__all__ = [
    "compare", "inventory", "plugin", "render", "requirement_catalogue", "requirement_markers", "run_folder",
    "timeline", "verdict",
]
