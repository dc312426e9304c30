"""kill -9 a real `huafeng train` process at random moments; every resume must continue exactly.

After each kill: no corrupt checkpoint (every pair on disk loads and matches its recorded size,
``latest.json`` points at a complete pair), and the next launch continues from that checkpoint.
At the end the metrics log has each step exactly once and every tensor of the final checkpoint —
weights, EMA, optimiser moments, RNG states — is *bit-identical* to an uninterrupted run with the
same seed (``torch.equal``, not a tolerance). The 3-kill version runs by default; the 20-kill one
is marked ``reliability`` (``make reliability``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import safetensors.torch as st
import torch

from huafeng.train.checkpoint import find_latest
from tests.data.fakes import make_tree
from tests.reliability.conftest import Recorder

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "tiny_smoke.yaml"


def _overrides(root: Path, steps: int) -> list[str]:
    return [
        f"data.root={root}",
        "data.style=[styles/a]",
        f"train.steps={steps}",
        "train.checkpoint_every=2",
        "train.sample_every=0",
        "train.log_every=1",
        "train.threads=1",
        "train.adv_start=2",
        "train.keep_checkpoints=2",
        "train.ema_decay=0.9",
    ]


def _launch(run: Path, root: Path, steps: int) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "huafeng", "train", str(TINY), "-o", str(run), "--resume", "--no-progress"]
    for o in _overrides(root, steps):
        args += ["--set", o]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _rows(run: Path) -> list[dict[str, Any]]:
    path = run / "metrics.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:  # a line being appended right now
            break
    return out


def _check_no_corruption(ckpt_dir: Path) -> int:
    """Every complete pair loads; returns the step ``latest.json``/scan resolves to (0: none yet)."""
    if not ckpt_dir.exists():
        return 0
    for js in ckpt_dir.glob("model-*.json"):
        state = json.loads(js.read_text())  # a .json only ever appears complete (atomic replace)
        w = js.with_suffix(".safetensors")
        assert w.stat().st_size == state["weights_bytes"], f"{w} does not match its state file"
        st.load_file(str(w))  # parses: header and every tensor
    found = find_latest(ckpt_dir)
    if (ckpt_dir / "latest.json").exists():
        latest = json.loads((ckpt_dir / "latest.json").read_text())
        assert found is not None and found.name == latest["weights"]
    return 0 if found is None else int(json.loads(found.with_suffix(".json").read_text())["step"])


def _wait_rows(proc: subprocess.Popen[bytes], run: Path, n: int, deadline: float) -> bool:
    while len(_rows(run)) < n:
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "training made no progress"
        time.sleep(0.01)
    return True


def _run_with_kills(run: Path, root: Path, steps: int, kills: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    log: list[dict[str, Any]] = []
    last_step = 0
    while len(log) < kills:
        proc = _launch(run, root, steps)
        try:
            mode = rng.random()
            if mode < 0.15:  # during start-up / resume (imports, loading the checkpoint)
                # Importing torch alone takes longer than 1.5 s here; a longer sleep let a quiet
                # machine finish the whole short run before the "start-up" kill landed.
                time.sleep(rng.uniform(0.0, 1.5))
            else:  # after 0-3 more steps, then anywhere inside a step or a checkpoint write
                target = len(_rows(run)) + rng.randint(1, 3)
                if not _wait_rows(proc, run, target, time.monotonic() + 300):
                    break  # finished before the kill landed
                time.sleep(rng.uniform(0.0, 0.15))
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
        if proc.returncode != -signal.SIGKILL:
            break
        step = _check_no_corruption(run / "checkpoints")
        assert step >= last_step, f"checkpoint went backwards: {step} < {last_step}"
        log.append({"kill": len(log) + 1, "checkpoint_step": step, "rows_logged": len(_rows(run))})
        last_step = step
    proc = _launch(run, root, steps)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    return log


def _reference(tmp: Path, root: Path, steps: int) -> Path:
    ref = tmp / "reference"
    proc = _launch(ref, root, steps)
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    return ref


def _assert_identical(run: Path, ref: Path, steps: int) -> None:
    got = [{k: v for k, v in r.items() if k != "img_per_s"} for r in _rows(run)]
    want = [{k: v for k, v in r.items() if k != "img_per_s"} for r in _rows(ref)]
    assert [r["step"] for r in got] == list(range(1, steps + 1)), "a step is missing or repeated"
    assert got == want, "losses differ from the uninterrupted run"
    a = find_latest(run / "checkpoints")
    b = find_latest(ref / "checkpoints")
    assert a is not None and b is not None and a.name == b.name
    ta, tb = st.load_file(str(a)), st.load_file(str(b))
    assert ta.keys() == tb.keys()
    different = [k for k in ta if not torch.equal(ta[k], tb[k])]
    assert not different, f"not bit-identical: {different[:5]}"


def _kill_test(tmp: Path, steps: int, kills: int, seed: int, record: Recorder) -> None:
    root = make_tree(tmp / "data")
    t0 = time.perf_counter()
    ref = _reference(tmp, root, steps)
    run = tmp / "killed"
    log = _run_with_kills(run, root, steps, kills, seed)
    assert len(log) >= min(kills, 3), f"only {len(log)} kills landed before the run finished"
    _assert_identical(run, ref, steps)
    assert not list((run / "checkpoints").glob(".*.tmp"))
    record(
        "kills",
        f"{kills}-kill run, {steps} steps",
        "ok",
        time.perf_counter() - t0,
        kills_landed=len(log),
        survived=len(log),
        bit_identical=True,
        resumed_from=[e["checkpoint_step"] for e in log],
    )


@pytest.mark.timeout(600)
def test_three_kills_resume_bit_exact(tmp_path: Path, record: Recorder) -> None:
    _kill_test(tmp_path, steps=24, kills=3, seed=1, record=record)


@pytest.mark.slow
@pytest.mark.reliability
@pytest.mark.timeout(3000)
def test_twenty_kills_resume_bit_exact(tmp_path: Path, record: Recorder) -> None:
    _kill_test(tmp_path, steps=60, kills=20, seed=20, record=record)
