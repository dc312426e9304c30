"""Config: YAML round trip, overrides, and the one-line errors a user sees for a bad recipe."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from huafeng.config import (
    DataCfg,
    LossCfg,
    OptimCfg,
    RunCfg,
    TrainCfg,
    apply_data_root,
    from_dict,
    load_config,
    to_dict,
    to_yaml,
)
from huafeng.errors import InputError

# Style-transfer recipes (RunCfg); repair*.yaml are InpaintCfg recipes, loaded in tests/train/test_inpaint.py.
_ROOT = Path(__file__).resolve().parents[1] / "configs"
CONFIGS = sorted(p for p in _ROOT.glob("*.yaml") if not p.stem.startswith("repair"))


def test_defaults_round_trip_through_yaml(tmp_path: Path) -> None:
    cfg = RunCfg()
    p = tmp_path / "c.yaml"
    p.write_text(to_yaml(cfg))
    assert load_config(p) == cfg
    assert from_dict(to_dict(cfg)) == cfg


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_recipes_load_and_round_trip(path: Path, tmp_path: Path) -> None:
    cfg = load_config(path)
    again = tmp_path / "again.yaml"
    again.write_text(to_yaml(cfg))
    assert load_config(again) == cfg


def test_overrides_list_and_dict_are_typed() -> None:
    cfg = load_config(
        None,
        [
            "train.steps=7",
            "data.style=[x, y]",
            "train.mode=multi",
            "loss.style=3",
            "model.generator_kw.width=16",
            "data.crop_scale=[0.3, 0.9]",
        ],
    )
    assert cfg.train.steps == 7 and cfg.data.style == ("x", "y") and cfg.loss.style == 3.0
    assert isinstance(cfg.loss.style, float) and cfg.model.generator_kw == {"width": 16}
    assert cfg.data.crop_scale == (0.3, 0.9)
    assert load_config(None, {"train.seed": 5}).train.seed == 5
    assert load_config(None, ["data.content=photos"]).data.content == ("photos",)  # scalar → 1-tuple


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["train.stpes=3"], "unknown key 'stpes' in train; valid keys: mode, steps, seed"),
        (["bogus=1"], "unknown key 'bogus'; valid keys: name, tradition, description"),
        (["train.steps=abc"], "train.steps: expected an integer, got 'abc'"),
        (["train.steps=0"], "train.steps: must be >= 1, got 0"),
        (["train.mode=paint"], "train.mode: 'paint' is not one of style, cycle, multi"),
        (["train.amp=fp8"], "train.amp: 'fp8' is not one of off, bf16, fp16"),
        (["loss.style=-1"], "loss.style: must be a finite weight >= 0, got -1.0"),
        (
            ["loss.style_taps=[features.0]", "loss.style_tap_weights=[1, 2]"],
            "loss.style_tap_weights: 2 weights for 1 style_taps",
        ),
        (["data.crop_size=512"], "data.crop_size: 512 is larger than image_size/style_size (256/256)"),
        (["data.crop_scale=[0.9, 0.1]"], "data.crop_scale: need 0 < min <= max <= 1"),
        (["data.hflip=maybe"], "data.hflip: expected true/false, got 'maybe'"),
        (["train.mode=multi"], "data.style: multi mode needs one entry per style (>= 2), got 1"),
        (["optim.betas=[0.5]"], "optim.betas: expected 2 values, got 1"),
        (["steps"], "override 'steps': expected key.path=value"),
        (["name=  "], "name: must not be empty"),
    ],
)
def test_validation_errors_are_one_line(overrides: list[str], message: str) -> None:
    with pytest.raises(InputError) as e:
        load_config(None, overrides)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_bare_yaml_off_means_off(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("train:\n  amp: off\n")
    assert load_config(p).train.amp == "off"
    assert load_config(None, ["train.amp=off"]).train.amp == "off"


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such config file"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(InputError, match=r"not valid YAML \(line"):
        load_config(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="expected a mapping at the top level"):
        load_config(listy)


def test_frozen() -> None:
    with pytest.raises(AttributeError):
        TrainCfg().steps = 3  # type: ignore[misc]


def test_data_root_and_paths(tmp_path: Path) -> None:
    cfg = apply_data_root(RunCfg(), tmp_path)
    assert cfg.data.root == str(tmp_path)
    assert cfg.data.path("content") == tmp_path / "content"
    assert cfg.data.path("/abs/x") == Path("/abs/x")
    assert DataCfg().root == "../shared/data"


@pytest.mark.parametrize("schedule", ["constant", "linear", "cosine"])
def test_lr_schedules(schedule: str) -> None:
    o = OptimCfg(schedule=schedule, warmup_steps=10, decay_start=0.5, min_lr=0.1)  # type: ignore[arg-type]
    f = [o.lr_factor(s, 100) for s in range(100)]
    assert f[0] == pytest.approx(0.1) and f[9] == pytest.approx(1.0) and f[49] == 1.0
    if schedule == "constant":
        assert f[-1] == 1.0
    else:
        assert f[-1] == pytest.approx(0.1, abs=0.02)
        assert all(a >= b for a, b in itertools.pairwise(f[50:]))


def test_loss_defaults_are_sane() -> None:
    assert LossCfg().style_target == "sample" and LossCfg().adversarial_kind == "hinge"
