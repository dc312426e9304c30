"""`huafeng stylize` against hostile files, names, models and output paths.

In-process through ``huafeng.cli.main`` (the real error policy: one line + exit 2, exit 1 only for
internal faults); three subprocess cases prove the process exit codes themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from huafeng import imageio
from huafeng.errors import InputError
from huafeng.infer import resolve_style
from tests.reliability.cases import image_cases
from tests.reliability.conftest import CliResult, Recorder, assert_clean_exit, attempt, unchanged
from tests.reliability.corpus import Case

CASES = image_cases()
Cli = Callable[..., CliResult]
REPO = Path(__file__).resolve().parents[2]


def _no_leftovers(folder: Path) -> None:
    assert not list(folder.glob(".*.tmp")), "a temp file was left behind"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_stylize_hostile_image(case: Case, tmp_path: Path, cli: Cli, record: Recorder) -> None:
    """The cheap ``bw`` look keeps this about the file, not the model (models are covered below)."""
    src = tmp_path / case.filename
    src.write_bytes(case.make())
    out_dir = tmp_path / "out"
    dst = out_dir / "result.png"
    with unchanged(src):
        res = cli("stylize", str(src), "-s", "bw", "-o", str(dst))
    assert_clean_exit(res)
    if case.expect != "either":
        assert res.code == (0 if case.expect == "ok" else 2), res.err
    if res.code == 0:
        got = imageio.read_image(dst)
        if case.size is not None:
            assert got.size == case.size
    else:
        assert not dst.exists()
    if out_dir.exists():
        _no_leftovers(out_dir)
    record("cli", case.id, "ok" if res.code == 0 else "error", res.seconds, group=case.group, code=res.code)


SHAPES = [(1, 1), (1, 10000), (10000, 1), (2, 3), (5, 7), (31, 33), (4, 4000)]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("size", SHAPES, ids=[f"{w}x{h}" for w, h in SHAPES])
@pytest.mark.parametrize("alpha", [False, True], ids=["rgb", "rgba"])
def test_default_model_on_odd_shapes(
    size: tuple[int, int], alpha: bool, tmp_path: Path, cli: Cli, record: Recorder
) -> None:
    """The shipped ONNX style on images far from any size it was trained on: same size out."""
    src = tmp_path / "in.png"
    rgb = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    pil = PILImage.fromarray(rgb)
    if alpha:
        pil.putalpha(128)
    pil.save(src)
    dst = tmp_path / "out.png"
    with unchanged(src):
        res = cli("stylize", str(src), "-o", str(dst), "--threads", "1")
    assert res.code == 0, res.err
    got = imageio.read_image(dst)
    assert got.size == size
    assert (got.alpha is not None) == alpha
    record("cli", f"default-model-{size[0]}x{size[1]}-{'rgba' if alpha else 'rgb'}", "ok", res.seconds)


HOSTILE_NAMES = [
    "../../etc/passwd",
    "../../../../../../etc/shadow",
    "/etc/passwd",
    "..",
    ".",
    "~",
    "~root/.ssh/id_rsa",
    "C:\\Windows\\System32\\cmd.exe",
    "\\\\server\\share\\x",
    "file:///etc/passwd",
    "http://example.com/evil.onnx",
    "a" * 5000,
    "x\x00y",
    "\x1b[31mred\x1b[0m",
    "default; rm -rf /",
    "$(reboot)",
    "`id`",
    "{{7*7}}",
    "%s%s%n",
    "'; DROP TABLE styles; --",
    "名字",
    "\u202eevil",  # right-to-left override
    "default\u200b",  # zero-width space
    "NUL",
    "con",
    " ",
    "",
    "oil_paintin",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[f"name{i}" for i in range(len(HOSTILE_NAMES))])
def test_hostile_style_names(
    name: str, tmp_path: Path, cli: Cli, sample_photo: Path, record: Recorder
) -> None:
    for allow_paths in (True, False):
        res = attempt(lambda allow_paths=allow_paths: resolve_style(name, allow_paths=allow_paths))
        assert res.kind == "error", f"{name!r} resolved to {res.value}"
    dst = tmp_path / "o.png"
    cli_res = cli("stylize", str(sample_photo), "-s", name, "-o", str(dst))
    assert_clean_exit(cli_res, allowed=(2,))
    assert not dst.exists()
    record("names", f"style:{name[:40]!r}", "error", cli_res.seconds, message=cli_res.err.strip()[:200])


@pytest.mark.parametrize("name", ["Starry-Night", "STARRY_NIGHT", " default ", "default\n"])
def test_forgiving_names_still_resolve(name: str) -> None:
    assert resolve_style(name).name in ("starry_night", resolve_style("default").name)


@pytest.mark.parametrize("name", ["../../etc/passwd", "nope", "a" * 300, "\x00"])
def test_hostile_filter_names(
    name: str, tmp_path: Path, cli: Cli, sample_photo: Path, record: Recorder
) -> None:
    res = cli("stylize", str(sample_photo), "-s", "bw", "-f", name, "-o", str(tmp_path / "o.png"))
    assert_clean_exit(res, allowed=(2,))
    record("names", f"filter:{name[:40]!r}", "error", res.seconds)


def _onnx_wrong_graph() -> bytes:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    return onnx.helper.make_model(g).SerializeToString()  # type: ignore[no-any-return]


MODELS: dict[str, Callable[[Path], object]] = {
    "empty": lambda p: p.write_bytes(b""),
    "text": lambda p: p.write_text("not a model\n"),
    "random": lambda p: p.write_bytes(np.random.default_rng(0).bytes(10_000)),
    "pickle": lambda p: p.write_bytes(b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94."),
    "jpeg": lambda p: p.write_bytes(
        imageio.encode_image(imageio.Image(np.zeros((4, 4, 3), np.uint8)), "JPEG")
    ),
    "wrong-graph": lambda p: p.write_bytes(_onnx_wrong_graph()),
    "truncated-real": lambda p: p.write_bytes(resolve_style("default").path.read_bytes()[:5000]),  # type: ignore[union-attr]
    "sparse-300MiB": lambda p: (p.write_bytes(b""), os.truncate(p, 300 * 2**20)),
    "folder": lambda p: p.mkdir(),
    "symlink-dev-zero": lambda p: p.symlink_to("/dev/zero"),
    "dangling-symlink": lambda p: p.symlink_to(p.parent / "gone.onnx"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", list(MODELS))
def test_hostile_model_files(
    kind: str, tmp_path: Path, cli: Cli, sample_photo: Path, record: Recorder
) -> None:
    """User ``.onnx`` files: size-capped before ORT opens them, and refused in one line."""
    model = tmp_path / "style.onnx"
    MODELS[kind](model)
    res = cli("stylize", str(sample_photo), "-s", str(model), "-o", str(tmp_path / "o.png"))
    assert_clean_exit(res, allowed=(2,))
    if kind == "sparse-300MiB":
        assert "size limit" in res.err
    record("models", kind, "error", res.seconds, message=res.err.strip()[:200])


def _rw(path: Path) -> Path:
    path.write_bytes(b"precious")
    return path


OUTPUTS: dict[str, Callable[[Path, Path], tuple[list[str], int]]] = {
    "same-as-input": lambda t, s: ([str(s), "--overwrite"], 2),
    "input-folder": lambda t, s: ([str(s.parent), "--overwrite"], 2),
    "unknown-ext": lambda t, s: ([str(t / "x.exe")], 2),
    "no-ext": lambda t, s: ([str(t / "noext")], 2),
    "existing-file": lambda t, s: ([str(_rw(t / "keep.png"))], 2),
    "proc": lambda t, s: (["/proc/huafeng-x.png"], 2),
    "dev-full": lambda t, s: (["/dev/full"], 2),
    "etc-passwd-traversal": lambda t, s: (["../../../../../../../../etc/passwd"], 2),
    "long-name": lambda t, s: ([str(t / ("n" * 300 + ".png"))], 2),
    "nul-in-name": lambda t, s: ([str(t / "a\x00b.png")], 2),
    "deep-new-folder": lambda t, s: ([str(t / "a" / "b" / "c.png")], 0),
    "folder-with-bad-format": lambda t, s: ([str(t / "dir") + "/", "--format", "exe"], 2),
    "folder-format-traversal": lambda t, s: ([str(t / "dir") + "/", "--format", "../../x"], 2),
}


@pytest.mark.parametrize("kind", list(OUTPUTS))
def test_hostile_output_paths(kind: str, tmp_path: Path, cli: Cli, record: Recorder) -> None:
    src = tmp_path / "in" / "photo.png"
    src.parent.mkdir()
    PILImage.new("RGB", (8, 8), (1, 2, 3)).save(src)
    args, want = OUTPUTS[kind](tmp_path, src)
    protected = [p for p in (src, tmp_path / "keep.png", Path("/etc/passwd")) if p.exists()]
    with unchanged(*protected):
        res = cli("stylize", str(src), "-s", "bw", "-o", *args)
    assert_clean_exit(res)
    assert res.code == want, res.err
    assert not Path("/etc/passwd.png").exists() and not Path("/proc/huafeng-x.png").exists()
    record("outputs", kind, "ok" if res.code == 0 else "error", res.seconds, message=res.err.strip()[:200])


@pytest.mark.parametrize(
    "extra",
    [
        ["--threads", "100000"],
        ["--tile", "1"],
        ["--max-size", "1"],
        ["--mask-feather", "nan"],
        ["--mask-feather", "-1"],
        ["--strength", "nan"],
        ["--strength", "1e309"],
        ["--mask", "/etc/passwd"],
        ["--mask", "MISSING"],
        ["--mask", "SMALL"],
    ],
    ids=lambda e: "_".join(e)[:40],
)
def test_hostile_options(extra: list[str], tmp_path: Path, cli: Cli, record: Recorder) -> None:
    src = tmp_path / "in.png"
    PILImage.new("RGB", (40, 30), (9, 9, 9)).save(src)
    small = tmp_path / "small.png"
    PILImage.new("L", (3, 90), 255).save(small)
    extra = [{"MISSING": str(tmp_path / "none.png"), "SMALL": str(small)}.get(a, a) for a in extra]
    res = cli("stylize", str(src), "-o", str(tmp_path / "o.png"), "--threads", "1", *extra)
    assert_clean_exit(res, allowed=(2,))
    record("options", " ".join(extra)[:60], "error", res.seconds, message=res.err.strip()[:200])


@pytest.mark.timeout(30)
def test_huge_mask_feather_is_bounded(tmp_path: Path, cli: Cli, record: Recorder) -> None:
    """σ = 1e30 once crashed OpenCV (exit 1) and σ = 1000 cost 15 s per megapixel."""
    src = tmp_path / "in.png"
    PILImage.new("RGB", (600, 400), (200, 9, 9)).save(src)
    mask = tmp_path / "m.png"
    PILImage.new("L", (600, 400), 255).save(mask)
    for sigma in ("1e30", "5000"):
        res = cli(
            "stylize",
            str(src),
            "-s",
            "bw",
            "--mask",
            str(mask),
            "--mask-feather",
            sigma,
            "-o",
            str(tmp_path / "o.png"),
            "--overwrite",
        )
        assert res.code == 0, res.err
        assert res.seconds < 5
        record("options", f"--mask-feather {sigma}", "ok", res.seconds)


@pytest.mark.timeout(60)
def test_batch_of_hostile_files_keeps_going(tmp_path: Path, cli: Cli, record: Recorder) -> None:
    """One folder of every kind: the good ones are written, each bad one is one line, exit 2."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i, case in enumerate(CASES):
        (folder / f"{i:03d}-{Path(case.filename).stem}{Path(case.filename).suffix or '.png'}").write_bytes(
            case.make()
        )
    out = tmp_path / "out"
    res = cli("stylize", str(folder), "-s", "sepia", "-o", str(out), "--json")
    assert res.code == 2 and "Traceback" not in res.err
    import json

    rows = json.loads(res.out)
    ok = [r for r in rows if r["ok"]]
    assert ok and len(ok) < len(rows)
    assert all(r["error"] and "\n" not in r["error"] for r in rows if not r["ok"])
    assert len(list(out.iterdir())) == len(ok)
    record("cli", "batch-folder", "mixed", res.seconds, files=len(rows), written=len(ok))


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "args, code",
    [
        (["stylize", "EMPTY", "-s", "bw", "-o", "OUT"], 2),
        (["stylize", "GOOD", "-s", "../../etc/passwd", "-o", "OUT"], 2),
        (["stylize", "GOOD", "-s", "bw", "-o", "OUT"], 0),
    ],
    ids=["empty-file", "traversal-style", "good"],
)
def test_real_process_exit_codes(args: list[str], code: int, tmp_path: Path, record: Recorder) -> None:
    empty, good = tmp_path / "e.jpg", tmp_path / "g.png"
    empty.write_bytes(b"")
    PILImage.new("RGB", (4, 4)).save(good)
    sub = {"EMPTY": str(empty), "GOOD": str(good), "OUT": str(tmp_path / "o.png")}
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "huafeng", *[sub.get(a, a) for a in args]],
        capture_output=True,
        text=True,
        env=env,
        timeout=100,
    )
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    if code == 2:
        assert len(proc.stderr.strip().splitlines()) == 1
    record("cli", f"subprocess:{args[0]}:{code}", "ok" if code == 0 else "error", 0.0, code=proc.returncode)


def test_input_error_is_the_only_escape() -> None:
    """A sanity check that the helpers classify: a non-InputError must fail the test."""
    with pytest.raises(ZeroDivisionError):
        attempt(lambda: 1 / 0)
    assert attempt(lambda: (_ for _ in ()).throw(InputError("x"))).kind == "error"
