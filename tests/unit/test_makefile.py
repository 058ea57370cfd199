"""The Makefile's targets install what they need, and no more."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def installs_for(target: str) -> list[str]:
    """The pip install commands `make TARGET` runs on a fresh checkout."""
    planned = subprocess.run(
        ["make", "--dry-run", "--always-make", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in planned.splitlines() if "pip install" in line and " -e " in line]


def test_make_demo_installs_the_runtime_only() -> None:
    installs = installs_for("demo")
    assert installs, "make demo installs nothing"
    assert all(line.rstrip().endswith("-e .") for line in installs), installs


def test_make_test_installs_the_test_toolchain() -> None:
    assert any('-e ".[test' in line for line in installs_for("test"))
