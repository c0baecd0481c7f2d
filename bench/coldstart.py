"""Lambda cold start: import time of every handler module, and the layer's installed size.

Each handler is imported in a fresh interpreter (what a cold Lambda does before the first event),
`repeats` times, median reported; imports are timed around `import app` only (interpreter start
excluded). The layer is what `sam build` puts in it: `pip install --target` of
layers/shared/requirements.txt plus the binsync package, measured with a directory walk (du).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
LAYER = ROOT / "layers" / "shared"

_PROBE = ("import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); import app; "
          "print(time.perf_counter() - t)")


def handler_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", POWERTOOLS_SERVICE_NAME="binsync",
               POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_TRACE_DISABLED="true")
    return env


def import_times(repeats: int = 3, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    env = handler_env()
    for fn in sorted(p for p in FUNCTIONS.iterdir() if (p / "app.py").exists()):
        if names is not None and fn.name not in names:
            continue
        samples, error = [], None
        for _ in range(repeats):
            r = subprocess.run([sys.executable, "-c", _PROBE, str(fn)], capture_output=True, text=True,
                               env=env, cwd=str(fn), timeout=120, check=False)
            if r.returncode != 0:
                error = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"
                break
            samples.append(float(r.stdout.strip().splitlines()[-1]))
        out[fn.name] = ({"median_ms": statistics.median(samples) * 1000,
                         "samples_ms": [s * 1000 for s in samples]} if samples else {"error": error})
    return out


def _du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            p = Path(root) / f
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def layer_size() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="binsync-layer-") as tmp:
        target = Path(tmp) / "python"
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                            "--target", str(target), "-r", str(LAYER / "requirements.txt")],
                           capture_output=True, text=True, timeout=600, check=False)
        if r.returncode != 0:
            return {"error": (r.stderr or r.stdout).strip()[-500:]}
        deps = _du(target)
        shutil.copytree(LAYER / "binsync", target / "binsync",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        total = _du(target)
        return {"bytes": total, "mib": total / 2**20, "dependencies_mib": deps / 2**20,
                "binsync_mib": (total - deps) / 2**20, "lambda_unzipped_limit_mib": 250}


def bench_coldstart(repeats: int = 3, with_layer: bool = True) -> dict[str, Any]:
    return {"imports": import_times(repeats), "layer": layer_size() if with_layer else None}
