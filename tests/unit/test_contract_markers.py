"""`pytest -m contract` runs every contract test: each module in tests/contract is marked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONTRACT_TESTS = Path(__file__).resolve().parent.parent / "contract"


def test_every_test_in_tests_contract_carries_the_contract_marker() -> None:
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not contract",
            str(CONTRACT_TESTS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    unmarked = [line for line in collected.stdout.splitlines() if "::" in line]
    assert unmarked == [], "add `pytestmark = pytest.mark.contract` to these modules"
    assert collected.returncode == 5, collected.stdout + collected.stderr  # 5: none selected
