"""The fast torchrun smoke test: 2 CPU processes (gloo) for 2 steps, only rank 0 writes
checkpoints, and the run resumes in 1 process. The exact 2-process ≡ 1-process equivalence lives
in test_distributed.py (slow: it trains the same run twice)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from huafeng.config import load_config, to_yaml
from huafeng.train.checkpoint import load_checkpoint
from huafeng.train.loop import train
from tests.train.conftest import TINY

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed unavailable")

# Every save_checkpoint call leaves a marker naming the rank that made it.
SPY_RUNNER = """
import os, sys
from pathlib import Path
from huafeng.config import load_config
from huafeng.train import checkpoint as ckpt_io
from huafeng.train.loop import train

real = ckpt_io.save_checkpoint
def spy(*args, **kw):
    Path(sys.argv[3], f"rank{os.environ['RANK']}-step{args[1]}").touch()
    return real(*args, **kw)
ckpt_io.save_checkpoint = spy
train(load_config(sys.argv[1]), sys.argv[2], progress=False)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_processes_rank0_writes_and_one_process_resumes(tiny_root: Path, tmp_path: Path) -> None:
    common = [f"data.root={tiny_root}", "data.style=[styles/a]", "data.batch_size=1", "train.sample_every=0"]
    cfg = load_config(TINY, [*common, "train.steps=2", "train.checkpoint_every=1"])
    (tmp_path / "recipe.yaml").write_text(to_yaml(cfg))
    (tmp_path / "runner.py").write_text(SPY_RUNNER)
    run, marks = tmp_path / "run", tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
        f"--master_port={_free_port()}", str(tmp_path / "runner.py"), str(tmp_path / "recipe.yaml"),
        str(run), str(marks),
    ]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert sorted(p.name for p in marks.iterdir()) == ["rank0-step1", "rank0-step2"]  # rank 1 never saves
    ck = load_checkpoint(run / "checkpoints")
    assert ck.step == 2 and ck.state["world_size"] == 2 and ck.state["samples_seen"] == 2 * 1 * 2

    # One process picks up where two left off: same global sample position, step count goes on.
    res = train(load_config(TINY, [*common, "train.steps=3"]), run, resume=True, progress=False)
    after = load_checkpoint(run / "checkpoints")
    assert res.steps == 3 and after.step == 3
    assert after.state["world_size"] == 1 and after.state["samples_seen"] == 4 + 1
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
