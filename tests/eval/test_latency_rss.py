"""Timing and peak-memory helpers."""

from __future__ import annotations

import os
import sys

import cv2
import pytest

from huafeng.eval.latency import Timing, fixed_threads, interleaved, machine_info, paired_ratio, time_fn
from huafeng.eval.rss import run_peak_rss, self_peak_rss_bytes


def test_interleaved_rotates_the_order_and_warms_up() -> None:
    calls: list[str] = []
    fns = {k: (lambda k=k: calls.append(k)) for k in "abc"}
    t = interleaved(fns, repeats=3, warmup=1)
    assert calls == list("abc" + "abc" + "bca" + "cab")
    assert all(len(v.samples) == 3 for v in t.values())
    assert len(time_fn(lambda: None, repeats=4, warmup=0).samples) == 4
    with pytest.raises(ValueError):
        interleaved(fns, repeats=0)


def test_timing_statistics_and_paired_ratio() -> None:
    ours = Timing((1.0, 2.0, 1.0, 10.0))
    theirs = Timing((4.0, 8.0, 4.0, 11.0))  # round 4 hit a load spike in both
    assert ours.median == 1.5 and ours.min == 1.0 and ours.to_dict()["n"] == 4
    assert paired_ratio(theirs, ours) == 4.0  # per-round ratios 4, 4, 4, 1.1
    with pytest.raises(ValueError, match="same interleaved rounds"):
        paired_ratio(Timing((1.0,)), ours)


def test_fixed_threads_restores() -> None:
    before, env = cv2.getNumThreads(), os.environ.get("OMP_NUM_THREADS")
    with fixed_threads(1):
        assert cv2.getNumThreads() == 1 and os.environ["OMP_NUM_THREADS"] == "1"
    assert cv2.getNumThreads() == before and os.environ.get("OMP_NUM_THREADS") == env
    assert machine_info()["cpu_count"] >= 1


ALLOC = "x = bytearray({mib} * 2**20); x[::4096] = b'1' * len(x[::4096]); print('ok')"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="measures Linux rusage semantics")
def test_child_peak_is_its_own_not_the_parents() -> None:
    ballast = bytearray(160 * 2**20)  # a big parent: Linux carries ru_maxrss across fork + exec
    ballast[::4096] = b"1" * len(ballast[::4096])
    small = run_peak_rss([sys.executable, "-c", ALLOC.format(mib=8)])
    big = run_peak_rss([sys.executable, "-c", ALLOC.format(mib=120)])
    assert small.returncode == 0 and small.stdout.strip() == "ok"
    assert small.peak_rss_mib is not None and big.peak_rss_mib is not None
    assert small.peak_rss_mib < 80  # would be >= 160 if the parent's size leaked in
    assert 120 < big.peak_rss_mib < 220  # and RUSAGE_CHILDREN's "largest child so far" did not stick
    assert run_peak_rss([sys.executable, "-c", "import sys; sys.exit(3)"]).returncode == 3
    assert (self_peak_rss_bytes() or 0) > 160 * 2**20
    del ballast
