"""64 concurrent clients for 60 s on loopback: only 200 or 503, RSS flat within 10%.

Marked ``slow`` and ``load`` (not in the default run); one command: ``make load``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "service_load.py"


@pytest.mark.slow
@pytest.mark.load
@pytest.mark.timeout(400)
def test_load_64_clients_60_seconds() -> None:
    spec = importlib.util.spec_from_file_location("service_load", BENCH)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    r = mod.run_load(clients=64, seconds=60)
    print(r)
    assert set(r["status_counts"]) <= {"200", "503"}, r["status_counts"]
    assert r["status_counts"].get("200", 0) > 0
    assert r["rss_spread"] <= 0.10, r
