"""bench/ lives at the repository root, which is not an installed package: make it importable."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
sys.modules.pop("bench", None)  # a namespace package picked up from tests/bench, if any
