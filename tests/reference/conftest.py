"""Unit tests of the reference middleware's pure functions: reference/ on the import path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "reference"))
