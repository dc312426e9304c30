"""Checkpoint files: round trip, atomic-write leftovers ignored, pruning, never pickled."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from huafeng.cfgtools import to_dict
from huafeng.config import RunCfg
from huafeng.errors import InputError
from huafeng.train import checkpoint as ck

PKG = Path(__file__).resolve().parents[2] / "huafeng"


def _trained() -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, betas=(0.5, 0.99))
    m(torch.rand(2, 3, 8, 8)).square().mean().backward()
    opt.step()
    return m, opt


def _save(d: Path, step: int, m: nn.Module, opt: torch.optim.Optimizer, keep: int = 3) -> Path:
    state = {"samples_seen": step * 4, "config": to_dict(RunCfg())}
    return ck.save_checkpoint(d, step, modules={"g": m}, optimizers={"g": opt}, state=state, keep=keep)


def test_round_trip_restores_weights_and_optimizer(tmp_path: Path) -> None:
    m, opt = _trained()
    path = _save(tmp_path, 10, m, opt)
    loaded = ck.load_checkpoint(path)
    assert loaded.step == 10 and loaded.state["samples_seen"] == 40 and loaded.config == RunCfg()
    m2 = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    m2.load_state_dict(loaded.module_state("g"))
    for a, b in zip(m.state_dict().values(), m2.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    opt2 = torch.optim.AdamW(m2.parameters(), lr=5.0)
    ck.restore_optimizer(loaded, "g", opt2)
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]
    for i in s1["state"]:
        for k in s1["state"][i]:
            assert torch.equal(s1["state"][i][k], s2["state"][i][k])
    # resolve() accepts the run folder, the pair's JSON, or the weights file
    assert ck.resolve(tmp_path) == path == ck.resolve(path.with_suffix(".json"))


def test_rng_state_round_trip() -> None:
    js, tensors = ck.rng_state()
    js = json.loads(json.dumps(js))  # must survive JSON
    a = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    ck.set_rng_state(js, tensors)
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == a


def test_half_written_checkpoints_are_ignored(tmp_path: Path) -> None:
    m, opt = _trained()
    _save(tmp_path, 4, m, opt)
    good = _save(tmp_path, 8, m, opt)
    # A kill between the two files of step 12: weights present, JSON missing, latest.json still at 8.
    (tmp_path / "model-0000012.safetensors").write_bytes(good.read_bytes()[:100])
    (tmp_path / ".model-0000012.json.abc.tmp").write_text("{")
    assert ck.find_latest(tmp_path) == good
    # latest.json corrupted (cannot happen with os.replace, but be robust): fall back to a scan.
    (tmp_path / "latest.json").write_text("{not json")
    assert ck.find_latest(tmp_path) == good
    # A pair whose weights are truncated is skipped too.
    good.write_bytes(good.read_bytes()[:-10])
    assert ck.find_latest(tmp_path) == tmp_path / "model-0000004.safetensors"


def test_keeps_last_n_and_cleans_temp_files(tmp_path: Path) -> None:
    m, opt = _trained()
    (tmp_path / ".model-0000001.safetensors.x.tmp").parent.mkdir(exist_ok=True)
    (tmp_path / ".model-0000001.safetensors.x.tmp").write_bytes(b"junk")
    for s in (2, 4, 6, 8):
        _save(tmp_path, s, m, opt, keep=2)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "latest.json",
        "model-0000006.json",
        "model-0000006.safetensors",
        "model-0000008.json",
        "model-0000008.safetensors",
    ]


def test_a_kill_while_pruning_never_leaves_a_state_file_without_its_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CI failure: a kill between the two unlinks of a pruned pair left ``model-N.json`` whose
    weights were gone. The state file now goes first, and orphaned weights are swept next time."""
    m, opt = _trained()
    for s in (2, 4):
        _save(tmp_path, s, m, opt, keep=2)
    real_unlink = Path.unlink
    calls: list[str] = []

    def killed_after_first(self: Path, missing_ok: bool = False) -> None:
        calls.append(self.name)
        if len(calls) > 1:
            raise KeyboardInterrupt  # the process dies here
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", killed_after_first)
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path, 6, m, opt, keep=2)
    monkeypatch.setattr(Path, "unlink", real_unlink)
    assert calls[0] == "model-0000002.json"
    for js in tmp_path.glob("model-*.json"):  # every announced pair is complete
        assert js.with_suffix(".safetensors").is_file(), js
    assert ck.find_latest(tmp_path) == tmp_path / "model-0000006.safetensors"
    _save(tmp_path, 8, m, opt, keep=2)  # the next save sweeps the orphaned weights
    assert sorted(p.name for p in tmp_path.glob("model-*")) == [
        "model-0000006.json",
        "model-0000006.safetensors",
        "model-0000008.json",
        "model-0000008.safetensors",
    ]


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no complete checkpoint found"):
        ck.resolve(tmp_path)
    m, opt = _trained()
    path = _save(tmp_path, 1, m, opt)
    state = json.loads(path.with_suffix(".json").read_text())
    path.with_suffix(".json").write_text(json.dumps({**state, "format": 99}))
    with pytest.raises(InputError, match="checkpoint format 99; this huafeng reads format 1"):
        ck.load_checkpoint(path)


def _call_text(text: str, start: int) -> str:
    """The argument text of a call whose "(" ends at ``start`` (balanced parentheses)."""
    depth, i = 1, start
    while depth and i < len(text):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    return text[start : i - 1]


def test_nothing_is_unpickled() -> None:
    """torch.load only with weights_only=True, anywhere in the package; no pickle imports."""
    for src in PKG.rglob("*.py"):
        text = src.read_text(encoding="utf-8")
        for m in re.finditer(r"torch\.load\(", text):
            call = _call_text(text, m.end())
            assert "weights_only=True" in call, f"{src}: torch.load({call})"
        assert not re.search(r"^\s*import pickle|^\s*from pickle", text, re.M), src
