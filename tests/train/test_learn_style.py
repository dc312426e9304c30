"""learn-style: a style from the user's own pictures — bad input, folder safety, resume, export."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from huafeng import imageio
from huafeng.errors import InputError
from huafeng.infer import resolve_style
from huafeng.infer.styles import check_new_style_name
from huafeng.train import learn_style as ls

TINY = ls.LearnCfg(minutes=0.05, crop=64, batch=2)


@pytest.fixture
def styles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "user-styles"
    monkeypatch.setenv("HUAFENG_STYLES_DIR", str(d))
    return d


@pytest.fixture
def painting(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    rgb = (rng.random((160, 200, 3)) * 255).astype(np.uint8)
    rgb[:, :100] = [200, 40, 30]  # a red half, so there is a palette to learn
    return imageio.write_image(tmp_path / "painting.png", imageio.Image(rgb=rgb))


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "default", "starry_night", "oil_painting", ""])
def test_names_that_escape_or_shadow_are_refused(name: str) -> None:
    with pytest.raises(InputError):
        check_new_style_name(name)


def test_a_fresh_name_is_fine() -> None:
    assert check_new_style_name("my_wave-2") == "my_wave-2"


def test_bad_images_are_one_line_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    small = imageio.write_image(tmp_path / "small.png", imageio.Image(rgb=np.zeros((64, 300, 3), np.uint8)))
    big = imageio.write_image(tmp_path / "ok.jpg", imageio.Image(rgb=np.zeros((300, 300, 3), np.uint8)))
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(big.read_bytes()[:200])
    for bad, msg in [
        (empty, "empty"),
        (text, ""),
        (small, "too small"),
        (truncated, ""),
        (tmp_path / "no.jpg", "no such"),
    ]:
        with pytest.raises(InputError, match=msg):
            ls.check_images([bad])
    with pytest.raises(InputError, match="at least one"):
        ls.check_images([])
    with pytest.raises(InputError, match="at most"):
        ls.check_images([big] * 51)


def test_learns_exports_and_resumes(painting: Path, styles_dir: Path, tmp_path: Path) -> None:
    work = tmp_path / "run"
    style = ls.learn_style([painting], name="mine", cfg=TINY, work_dir=work, progress=False,
                           preview=tmp_path / "preview.jpg")  # fmt: skip
    assert style.path == styles_dir / "mine.onnx" and style.path.is_file()
    assert resolve_style("mine").path == style.path  # ready for `stylize -s mine`
    assert style.card["initialised_from"] and style.card["steps"] >= 1
    assert (tmp_path / "preview.jpg").is_file()
    assert not [p for p in styles_dir.iterdir() if p.suffix != ".onnx"]  # nothing half-written left
    with pytest.raises(InputError, match="exists"):
        ls.learn_style([painting], name="mine", cfg=TINY, work_dir=work, progress=False)
    # the run folder is kept: the same command continues from its checkpoint
    steps = style.card["steps"]
    again = ls.learn_style([painting], name="mine", cfg=TINY, work_dir=work, progress=False, overwrite=True)
    assert again.card["steps"] >= steps


def test_disk_full_leaves_nothing(painting: Path, styles_dir: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import huafeng.train.export as ex

    def full(path: os.PathLike[str], data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ex, "atomic_write_bytes", full)
    with pytest.raises(InputError, match="could not write"):
        ls.learn_style([painting], name="full", cfg=TINY, work_dir=tmp_path / "r", progress=False)
    assert not styles_dir.exists() or not list(styles_dir.iterdir())


@pytest.mark.parametrize("base", ["arbitrary", "multistyle"])
def test_each_base_learns_a_style_with_its_attribution(
    base: str, painting: Path, styles_dir: Path, tmp_path: Path
) -> None:
    cfg = ls.LearnCfg(minutes=0.05, crop=64, batch=2, base=base)  # per-base defaults resolve here
    style = ls.learn_style([painting], name=f"b_{base}", cfg=cfg, work_dir=tmp_path / base, progress=False)
    gen = style.card["config"]["model"]["generator"]
    assert gen == ls.BASES[base]
    assert ("Ghiasi" if base == "arbitrary" else "Dumoulin") in style.card["initialised_from"]
    kw = style.card["config"]["model"]["generator_kw"]
    assert len(kw["code"]) == 100 if base == "arbitrary" else len(kw["init_styles"]) == 1
    # arbitrary steers its content weight and lifted detail to an SSIM (session 14); multistyle has no lift
    assert ("huafeng.render_detail" in _meta(style.path)) == (base == "arbitrary")
    metrics = next((tmp_path / base).rglob("metrics.jsonl")).read_text()
    assert ('"loss/palette"' in metrics) == (base == "arbitrary")  # the colour-distribution term ran
    assert ('"content_factor"' in metrics) == (base == "arbitrary")


def test_a_learnt_detail_amount_reaches_the_style(painting: Path, styles_dir: Path, tmp_path: Path) -> None:
    """``learn_detail``: the arbitrary base learns how much photo detail the lift brings back."""

    cfg = ls.LearnCfg(minutes=0.05, crop=64, batch=2, learn_detail=True)  # steering then leaves the detail
    assert cfg.ssim_detail is False
    style = ls.learn_style([painting], name="detail", cfg=cfg, work_dir=tmp_path / "d", progress=False)
    assert style.card["config"]["model"]["generator_kw"]["learn_detail"] is True
    detail = float(_meta(style.path)["huafeng.render_detail"])
    assert 0 < detail < 2 and detail != 1.0  # it moved from the start


def test_the_arbitrary_start_is_the_painting_s_reading(painting: Path) -> None:
    """The recipe starts from the code of *these* images: another painting, another start."""
    from dataclasses import replace

    other = imageio.write_image(painting.with_name("blue.png"), imageio.Image(
        rgb=np.full((160, 200, 3), (20, 40, 200), np.uint8)))  # fmt: skip
    photos = ls.default_photos()
    a = ls.plan_recipe("a", [painting], photos, replace(TINY, minutes=0.05), lambda m: None)
    b = ls.plan_recipe("b", [other], photos, replace(TINY, minutes=0.05), lambda m: None)
    ca, cb = (np.asarray(r.model.generator_kw["code"]) for r in (a, b))
    assert ca.shape == (100,) and np.abs(ca - cb).max() > 1e-2


def test_python_api(painting: Path, styles_dir: Path, tmp_path: Path) -> None:
    import huafeng

    style = huafeng.learn_style([painting], name="api_style", minutes=0.05, crop=64, batch=2,
                                work_dir=tmp_path / "api")  # fmt: skip
    assert style.name == "api_style" and style.path == styles_dir / "api_style.onnx"
    with pytest.raises(InputError, match="minutes"):
        huafeng.learn_style([painting], name="x", minutes=0)


def _meta(path: Path) -> dict[str, str]:
    import onnxruntime as ort

    return dict(ort.InferenceSession(str(path)).get_modelmeta().custom_metadata_map)


def test_colour_terms_default_per_base() -> None:
    """The arbitrary base matches the painting's colour distribution (session 11); multistyle keeps
    the mean/spread term it was tuned with. Explicit values win."""
    assert (ls.LearnCfg().color_weight, ls.LearnCfg().palette_weight) == (0.0, 25.0)
    ms = ls.LearnCfg(base="multistyle")
    assert (ms.color_weight, ms.palette_weight) == (5.0, 0.0)
    assert ls.LearnCfg(palette_weight=3.0, color_weight=1.0).palette_weight == 3.0
    with pytest.raises(InputError, match="palette-weight"):
        ls.LearnCfg(palette_weight=-1.0)


def test_style_side_sets_the_painting_targets_scale(painting: Path) -> None:
    """``style_side`` is the short side the painting's fixed targets are computed at; None keeps the
    photos' side; below the crop it is refused."""
    from dataclasses import replace

    photos = ls.default_photos()
    plain = ls.plan_recipe("a", [painting], photos, TINY, lambda m: None)
    assert plain.data.style_size == plain.data.image_size
    big = ls.plan_recipe("b", [painting], photos, replace(TINY, style_side=200), lambda m: None)
    assert big.data.style_size == 200 and big.data.image_size == plain.data.image_size
    with pytest.raises(InputError, match="style_side"):
        replace(TINY, style_side=32)


def test_gram_scales_default_per_base(painting: Path) -> None:
    """The arbitrary base reads the Gram at full and half size (session 13); multistyle at full size
    only, as it was tuned; the recipe carries it to ``loss.style_scales``."""
    from dataclasses import replace

    assert ls.LearnCfg().style_scales == (1.0, 0.5) and ls.LearnCfg().content_weight == 2.5
    assert ls.LearnCfg(base="multistyle").style_scales == (1.0,)
    photos = ls.default_photos()
    r = ls.plan_recipe("a", [painting], photos, replace(TINY, style_scales=(1.0, 0.25)), lambda m: None)
    assert r.loss.style_scales == (1.0, 0.25)


def test_the_ssim_target_steers_the_content_weight_and_the_detail(
    painting: Path, styles_dir: Path, tmp_path: Path
) -> None:
    """``ssim_target`` far below what the outputs keep: the content weight and the lifted detail fall
    (train/balance.py), and the shipped style carries the detail amount the run ended on."""
    from dataclasses import replace

    cfg = replace(TINY, minutes=0.15, ssim_target=0.05, ssim_detail=True)
    style = ls.learn_style([painting], name="steer", cfg=cfg, work_dir=tmp_path / "s", progress=False)
    rows = [json.loads(r) for r in next((tmp_path / "s").rglob("metrics.jsonl")).read_text().splitlines()]
    steered = [r for r in rows if "content_factor" in r]
    assert steered and steered[-1]["content_factor"] < 0.9 and steered[-1]["detail"] < 0.9
    assert 0 < float(_meta(style.path)["huafeng.render_detail"]) < 1
    assert style.card["config"]["loss"]["ssim_detail"] is True


def test_ssim_detail_needs_a_target() -> None:
    with pytest.raises(InputError, match="ssim_detail"):
        ls.LearnCfg(ssim_target=0.0, ssim_detail=True)


def _flat_paintings(folder: Path, step: int) -> list[Path]:
    """Four flat grey pictures: a collection for the critic, distinct from the style painting."""
    grey = (np.full((140, 150, 3), step * i, np.uint8) for i in range(4))
    return [imageio.write_image(folder / f"o{i}.png", imageio.Image(rgb=g)) for i, g in enumerate(grey)]


def test_the_projected_critic_sees_its_own_collection(painting: Path, tmp_path: Path) -> None:
    """``critic_images``: the critic's real set; the Gram targets stay the style images. An unknown
    critic is one clear error."""
    from dataclasses import replace

    others = _flat_paintings(tmp_path, 20)
    cfg = replace(TINY, critic="projected", critic_images=tuple(str(p) for p in others))
    r = ls.plan_recipe("a", [painting], ls.default_photos(), cfg, lambda m: None)
    assert r.model.discriminator == "projected" and r.loss.adversarial == cfg.adversarial > 0
    assert {Path(p).name for p in r.data.style} == {p.name for p in others}
    assert [Path(p).name for p in r.data.style_reference] == [painting.name]
    plain = ls.plan_recipe("b", [painting], ls.default_photos(), TINY, lambda m: None)
    assert plain.model.discriminator == "patch" and plain.data.style_reference == ()
    assert plain.loss.adversarial == 0  # one painting: too few for a critic
    with pytest.raises(InputError, match="critic"):
        ls.LearnCfg(critic="vgg")


def test_critic_negatives_reach_the_recipe(painting: Path, tmp_path: Path) -> None:
    """``critic_negatives`` go to ``data.critic_negatives`` when there is a critic, and not when one
    painting is too few for a critic; negatives with no critic weight are one clear error."""
    from dataclasses import replace

    others, theirs = _flat_paintings(tmp_path / "o", 20), _flat_paintings(tmp_path / "t", 40)
    cfg = replace(TINY, critic="projected", critic_images=tuple(map(str, others)))
    cfg = replace(cfg, critic_negatives=tuple(map(str, theirs)))
    r = ls.plan_recipe("a", [painting], ls.default_photos(), cfg, lambda m: None)
    assert [Path(p).parent.name for p in r.data.critic_negatives] == ["t"] * 4
    lone = replace(TINY, critic_negatives=tuple(map(str, theirs)))
    assert (
        ls.plan_recipe("b", [painting], ls.default_photos(), lone, lambda m: None).data.critic_negatives == ()
    )
    with pytest.raises(InputError, match="negatives need a critic"):
        ls.LearnCfg(adversarial=0.0, critic_negatives=(str(theirs[0]),))


def test_a_style_learns_with_the_projected_critic(painting: Path, styles_dir: Path, tmp_path: Path) -> None:
    """A short run with the projected critic on, negatives and all: it reaches the adversarial term
    and exports, and its card names the negatives."""
    from dataclasses import replace

    others, theirs = _flat_paintings(tmp_path / "o", 30), _flat_paintings(tmp_path / "t", 50)
    cfg = replace(TINY, minutes=0.12, critic="projected", critic_images=tuple(str(p) for p in others))
    cfg = replace(cfg, critic_negatives=tuple(str(p) for p in theirs))
    style = ls.learn_style([painting], name="proj", cfg=cfg, work_dir=tmp_path / "p", progress=False)
    rows = [json.loads(r) for r in next((tmp_path / "p").rglob("metrics.jsonl")).read_text().splitlines()]
    assert any(r.get("loss/adversarial") is not None and r.get("loss/d") is not None for r in rows)
    assert style.path.is_file() and style.card["config"]["model"]["discriminator"] == "projected"
    assert len(style.card["config"]["data"]["critic_negatives"]) == 4
    assert style.card["data"]["critic_negatives"]["images"] == 4  # named and licensed in the card
