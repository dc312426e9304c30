"""Repair training: a few steps move the losses, resume is exact, export writes carded models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from huafeng.errors import InputError
from huafeng.train.inpaint import (
    RepairCfg,
    _detector_step,
    _gan_step,
    build_nets,
    load_photos,
    load_repair_config,
    make_batch,
    train_repair,
    training_photos,
)

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "model.inpainter_kw={base_channels: 4}",
    "model.detector_kw={base_channels: 4}",
    "model.disc_channels=8",
    "data.size=32",
    "data.load_side=48",
    "data.max_images=4",
    "train.batch=2",
    "train.log_every=1",
    "train.ckpt_every=2",
    "loss.adv_start=1",
    "loss.adv_ramp=1",
]


def tiny_cfg(shared_data: Path, *extra: str) -> RepairCfg:
    return load_repair_config(REPO / "configs" / "repair.yaml", [*TINY, f"data.root={shared_data}", *extra])


def test_shipped_config_loads() -> None:
    cfg = load_repair_config(REPO / "configs" / "repair.yaml")
    assert cfg.data.size <= 128 and cfg.train.threads == 1 and cfg.loss.adversarial > 0


def test_losses_move_on_a_fixed_batch(shared_data: Path) -> None:
    torch.manual_seed(0)
    cfg = tiny_cfg(shared_data, "train.lr_g=0.003", "train.lr_det=0.01")
    from huafeng.losses import MobileNetV2Features

    nets = build_nets(cfg)
    feats = MobileNetV2Features(cfg.loss.taps)
    batch = make_batch(load_photos(training_photos(cfg.data), cfg.data.load_side), cfg, 0)

    def step(i: int) -> dict[str, float]:
        terms = _gan_step(nets, feats, cfg, *batch, step=i) | _detector_step(nets, cfg, *batch, step=i)
        return {k: float(v) for k, v in terms.items()}

    first = step(5)
    for i in range(7):
        last = step(6 + i)
    assert last["hole_l1"] < first["hole_l1"]
    assert last["det_bce"] < first["det_bce"]
    assert first["d_hinge"] > 0 and first["g_adv"] != 0  # the adversarial terms are on


@pytest.mark.slow
def test_resume_is_exact_and_export_writes_cards(shared_data: Path, tmp_path: Path) -> None:
    from huafeng.train.checkpoint import load_checkpoint
    from huafeng.train.inpaint_export import export_run

    cfg = tiny_cfg(shared_data, "train.steps=4")
    train_repair(cfg, tmp_path / "a")
    train_repair(tiny_cfg(shared_data, "train.steps=2"), tmp_path / "b")
    with pytest.raises(InputError, match="already holds a run"):
        train_repair(cfg, tmp_path / "b")  # never silently over a run
    train_repair(cfg, tmp_path / "b", resume=True)  # resumes at 2
    a, b = load_checkpoint(tmp_path / "a"), load_checkpoint(tmp_path / "b")
    assert a.step == b.step == 4
    for k in ("g", "det", "g_ema"):
        for name, t in a.module_state(k).items():
            torch.testing.assert_close(t, b.module_state(k)[name], msg=f"{k}/{name}")
    lines = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines] == [1, 2, 3, 4]

    export_run(tmp_path / "a", tmp_path / "onnx")
    for name in ("inpaint.onnx", "detector.onnx"):
        meta = {p.key: p.value for p in onnx.load(str(tmp_path / "onnx" / name)).metadata_props}
        card = json.loads(meta["huafeng.card"])
        assert card["trained_steps"] == 4 and "CPU" in card["hardware"]
        assert card["data"]["photos"] == 4 and sum(card["data"]["licences"].values()) == 4


def test_training_never_sees_held_out_photos(shared_data: Path) -> None:
    from huafeng.data.damage import is_held_out

    cfg = load_repair_config(REPO / "configs" / "repair.yaml", [f"data.root={shared_data}"])
    photos = training_photos(cfg.data)
    assert photos and not any(is_held_out(p) for p in photos)
    assert not any("faces" in p.parts for p in photos)


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    from huafeng.errors import InputError

    with pytest.raises(InputError, match="unknown key"):
        load_repair_config(None, ["train.stepz=3"])
    with pytest.raises(InputError, match="no such config"):
        load_repair_config(tmp_path / "nope.yaml")


def test_detector_only_run_sees_clean_samples_and_exports_only_the_detector(
    shared_data: Path, tmp_path: Path
) -> None:
    """configs/repair_detector.yaml: clean photos as negatives; the shipped inpainter is kept."""
    from huafeng.train.inpaint import clean_selection
    from huafeng.train.inpaint_export import export_run

    cfg = load_repair_config(
        REPO / "configs" / "repair_detector.yaml",
        [*TINY, f"data.root={shared_data}", "train.steps=2", "train.threads=1"],
    )
    assert cfg.train.parts == "detector" and cfg.data.clean_fraction == 0.4
    picks = torch.cat([clean_selection(cfg, s, 8).flatten() for s in range(50)]).float()
    assert 0.3 < float(picks.mean()) < 0.5  # about clean_fraction of the samples, deterministic
    assert torch.equal(clean_selection(cfg, 3, 8), clean_selection(cfg, 3, 8))
    last = train_repair(cfg, tmp_path / "det")
    assert "loss/det_bce" in last and "loss/hole_l1" not in last  # no inpainter step was taken
    export_run(tmp_path / "det", tmp_path / "onnx")
    assert (tmp_path / "onnx" / "detector.onnx").is_file()
    assert not (tmp_path / "onnx" / "inpaint.onnx").exists()
    with pytest.raises(Exception, match="parts"):
        load_repair_config(None, ["train.parts=gan"])
    with pytest.raises(Exception, match="clean_fraction"):
        load_repair_config(None, ["data.clean_fraction=1.5"])
    with pytest.raises(Exception, match="grain"):
        load_repair_config(None, ["data.grain=2"])


def test_grain_reaches_the_batch_and_bf16_detector_step_runs(shared_data: Path, tmp_path: Path) -> None:
    from huafeng.train.inpaint import load_photos, make_batch, training_photos

    base = [*TINY, f"data.root={shared_data}", "train.parts=detector", "train.steps=1", "train.threads=1"]
    plain = load_repair_config(None, base)
    grainy = load_repair_config(None, [*base, "data.grain=1.0"])
    photos = load_photos(training_photos(plain.data)[:3], plain.data.load_side)
    a, b = make_batch(photos, plain, 0)[0], make_batch(photos, grainy, 0)[0]
    assert a.shape == b.shape and not torch.equal(a, b)
    assert float((a - b).abs().mean()) < 0.05  # grain, not another picture
    last = train_repair(load_repair_config(None, [*base, "train.bf16=true"]), tmp_path / "bf16")
    assert np.isfinite(last["loss/det_bce"])


def test_huafeng_train_runs_a_repair_recipe_through_the_shared_loop(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``task: repair`` in the recipe: the same command, loop, checkpoints and samples as style."""
    from huafeng.cli import main
    from huafeng.train.checkpoint import load_checkpoint

    sets = [
        x
        for kv in [*TINY, "train.threads=1", "train.sample_every=2", "data.max_images=3"]
        for x in ("--set", kv)
    ]
    recipe = str(REPO / "configs" / "repair_detector.yaml")
    args = [
        "train",
        recipe,
        "--data",
        str(shared_data),
        "--steps",
        "2",
        "-o",
        str(tmp_path / "run"),
        "--no-progress",
    ]
    args += sets

    def cli(argv: list[str]) -> int:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        return int(exc.value.code or 0)

    assert cli(args) == 0, capsys.readouterr().err
    ck = load_checkpoint(tmp_path / "run")
    assert ck.step == 2 and ck.state["config"]["task"] == "repair" and "train_seconds" in ck.state
    assert (tmp_path / "run" / "samples" / "step-0000002.png").is_file()
    assert (tmp_path / "run" / "config.yaml").is_file()
    assert cli(args) == 2  # a second start over the run is refused
    assert cli([*args, "--resume", "--steps", "3"]) == 0 and load_checkpoint(tmp_path / "run").step == 3
