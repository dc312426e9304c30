"""Resuming continues *exactly*: a run stopped (cleanly, or by kill -9) at step k and resumed gives
the same losses at every step and the same final weights as a run that was never interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from huafeng.config import RunCfg, to_yaml
from huafeng.train.checkpoint import find_latest, load_checkpoint
from huafeng.train.loop import train

STEPS = 40
RECIPE = [
    f"train.steps={STEPS}",
    "train.checkpoint_every=4",
    "train.sample_every=0",
    "train.adv_start=3",
    "optim.schedule=cosine",
    "optim.warmup_steps=2",
    "loss.r1=0.5",
    "train.ema_decay=0.9",
    "loss.style_target=fixed",
    "loss.ssim_target=0.9",  # the content balance moves every step after its warm-up: resumed too
    "data.style_reference=[styles/a/s00.png, styles/a/s02.png]",
    "model.discriminator_kw={base_channels: 8, n_layers: 2, spectral_norm: true}",
]
RUNNER = """
import sys
from huafeng.config import load_config
from huafeng.train.loop import train
train(load_config(sys.argv[1]), sys.argv[2], resume=sys.argv[3] == "1", progress=False)
"""


def _rows(run: Path) -> list[dict[str, float]]:
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if k != "img_per_s"} for r in rows]


def _assert_same_run(run: Path, ref: Path) -> None:
    got, want = _rows(run), _rows(ref)
    assert [r["step"] for r in got] == list(range(1, STEPS + 1))
    for a, b in zip(got, want, strict=True):
        assert a.keys() == b.keys()
        for k in a:
            assert a[k] == pytest.approx(b[k], rel=1e-5, abs=1e-7), (a["step"], k)
    ta = load_checkpoint(run / "checkpoints").tensors
    tb = load_checkpoint(ref / "checkpoints").tensors
    assert ta.keys() == tb.keys()
    for k in ta:
        if not k.startswith("rng/"):
            torch.testing.assert_close(ta[k], tb[k], rtol=1e-5, atol=1e-6, msg=k)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, tiny_root: Path) -> tuple[Path, RunCfg]:
    from huafeng.config import load_config
    from tests.train.conftest import TINY

    cfg = load_config(TINY, [f"data.root={tiny_root}", "data.style=[styles/a]", *RECIPE])
    run = tmp_path_factory.mktemp("uninterrupted")
    train(cfg, run, progress=False)
    return run, cfg


def test_clean_stop_and_resume_is_exact(reference: tuple[Path, RunCfg], tmp_path: Path) -> None:
    ref, cfg = reference
    first = train(cfg, tmp_path, progress=False, stop_at=13)  # not a checkpoint multiple
    assert first.steps == 13 and first.checkpoint.name == "model-0000013.safetensors"
    rest = train(cfg, tmp_path, resume=True, progress=False)
    assert rest.steps == STEPS
    _assert_same_run(tmp_path, ref)


def test_kill_9_mid_run_then_resume_is_exact(reference: tuple[Path, RunCfg], tmp_path: Path) -> None:
    ref, cfg = reference
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(to_yaml(cfg))
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    run = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, str(script), str(recipe), str(run), "0"], env=env)
    try:
        deadline = time.monotonic() + 120
        while not (run / "checkpoints" / "latest.json").exists():
            assert proc.poll() is None, "the training subprocess died on its own"
            assert time.monotonic() < deadline, "no checkpoint within 2 minutes"
            time.sleep(0.005)
        time.sleep(0.05)  # land somewhere in the middle of later steps / checkpoint writes
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    found = find_latest(run / "checkpoints")
    assert found is not None
    killed_at = load_checkpoint(found).step
    assert 0 < killed_at < STEPS, "the kill should land mid-run"
    train(cfg, run, resume=True, progress=False)
    _assert_same_run(run, ref)
    assert not list((run / "checkpoints").glob(".*.tmp"))


def test_ctrl_c_stops_cleanly_with_a_checkpoint(reference: tuple[Path, RunCfg], tmp_path: Path) -> None:
    """SIGINT finishes the current step, writes a checkpoint there and exits 0; resuming is exact."""
    ref, cfg = reference
    recipe, script, run = tmp_path / "recipe.yaml", tmp_path / "runner.py", tmp_path / "run"
    recipe.write_text(to_yaml(cfg))
    script.write_text(RUNNER)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, str(script), str(recipe), str(run), "0"], env=env)
    deadline = time.monotonic() + 120
    while not (run / "metrics.jsonl").exists() or len((run / "metrics.jsonl").read_text().splitlines()) < 5:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    stopped = load_checkpoint(run / "checkpoints").step
    assert 5 <= stopped < STEPS
    train(cfg, run, resume=True, progress=False)
    _assert_same_run(run, ref)
