"""A full disk and a read-only folder: one clear line, exit 2, nothing half-written, resumable.

With root (CI containers, this machine) the faults are real: a tiny ``tmpfs`` (``ENOSPC``) and the
same remounted read-only (``EROFS``). Without it those tests skip with the reason, and the
simulated versions below (the OS call that fails is patched) still run everywhere.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from huafeng import imageio
from huafeng.errors import InputError
from tests.data.fakes import make_tree
from tests.reliability.conftest import CliResult, Recorder, assert_clean_exit, unchanged

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "tiny_smoke.yaml"
Cli = Callable[..., CliResult]


def _mount(target: Path, opts: str) -> bool:
    target.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(target)], capture_output=True)
    return r.returncode == 0


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (needs root; skips with the reason otherwise)."""
    mnt = tmp_path / "small"
    if os.geteuid() != 0 or not _mount(mnt, "size=64k,mode=0777"):
        pytest.skip("mounting a tmpfs needs root; the simulated ENOSPC tests still run")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _remount(mnt: Path, opts: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{opts}", str(mnt)], check=True)


def _noise(path: Path, side: int) -> Path:
    rng = np.random.default_rng(0)
    PILImage.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8)).save(path)
    return path


def _train_args(run: Path, root: Path, steps: int = 4) -> list[str]:
    sets = [f"data.root={root}", "data.style=[styles/a]", f"train.steps={steps}", "train.sample_every=0"]
    return ["train", str(TINY), "-o", str(run), "--no-progress", *[a for s in sets for a in ("--set", s)]]


def test_stylize_into_full_disk(small_fs: Path, tmp_path: Path, cli: Cli, record: Recorder) -> None:
    src = _noise(tmp_path / "big.png", 400)  # ~480 KB as PNG: cannot fit in 64 KiB
    dst = small_fs / "out.png"
    with unchanged(src):
        res = cli("stylize", str(src), "-s", "bw", "-o", str(dst))
    assert_clean_exit(res, allowed=(2,))
    assert "No space left" in res.err
    assert not dst.exists() and not list(small_fs.glob(".*.tmp"))
    record("disk", "stylize into a full disk (real tmpfs)", "error", res.seconds, message=res.err.strip())


def test_stylize_into_read_only_folder(small_fs: Path, tmp_path: Path, cli: Cli, record: Recorder) -> None:
    _remount(small_fs, "ro")
    src = _noise(tmp_path / "small.png", 16)
    res = cli("stylize", str(src), "-s", "bw", "-o", str(small_fs / "out.png"))
    assert_clean_exit(res, allowed=(2,))
    assert "Read-only" in res.err or "cannot write" in res.err
    record(
        "disk",
        "stylize into a read-only folder (real ro mount)",
        "error",
        res.seconds,
        message=res.err.strip(),
    )


@pytest.mark.timeout(300)
def test_training_on_a_full_disk_stops_cleanly_and_resumes(
    small_fs: Path, tmp_path: Path, cli: Cli, record: Recorder
) -> None:
    """The first checkpoint does not fit: exit 2 and a readable line; nothing half-written is
    taken for a checkpoint; after space is freed, ``--resume`` trains to the end."""
    root = make_tree(tmp_path / "data")
    run = small_fs / "run"
    res = cli(*_train_args(run, root))
    assert_clean_exit(res, allowed=(2,))
    assert "No space left" in res.err, res.err
    ckpts = run / "checkpoints"
    assert not list(ckpts.glob(".*.tmp")) if ckpts.exists() else True
    from huafeng.train.checkpoint import find_latest

    assert find_latest(ckpts) is None  # nothing incomplete is mistaken for a checkpoint
    _remount(small_fs, "size=32m")
    res2 = cli(*_train_args(run, root), "--resume")
    assert res2.code == 0, res2.err
    assert find_latest(ckpts) is not None
    record(
        "disk",
        "train onto a full disk, free space, --resume",
        "ok",
        res.seconds + res2.seconds,
        message=res.err.strip(),
    )


@pytest.mark.timeout(300)
def test_training_into_read_only_folder(small_fs: Path, tmp_path: Path, cli: Cli, record: Recorder) -> None:
    root = make_tree(tmp_path / "data")
    _remount(small_fs, "ro")
    res = cli(*_train_args(small_fs / "run", root))
    assert_clean_exit(res, allowed=(2,))
    assert "Read-only" in res.err or "cannot write" in res.err, res.err
    record(
        "disk", "train into a read-only folder (real ro mount)", "error", res.seconds, message=res.err.strip()
    )


# ----------------------------------------------------------------------- simulated (no root needed)


def test_simulated_enospc_on_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record: Recorder) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(imageio.os, "fsync", full)
    dst = tmp_path / "o.png"
    with pytest.raises(InputError, match="No space left"):
        imageio.write_image(dst, imageio.Image(np.zeros((4, 4, 3), np.uint8)))
    assert not dst.exists() and not list(tmp_path.glob(".*.tmp"))
    record("disk", "simulated ENOSPC during fsync", "error", 0.0)


def test_simulated_read_only_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record: Recorder
) -> None:
    def ro(*a: object, **k: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(imageio.tempfile, "mkstemp", ro)
    with pytest.raises(InputError, match="Read-only"):
        imageio.write_image(tmp_path / "o.png", imageio.Image(np.zeros((4, 4, 3), np.uint8)))
    record("disk", "simulated EROFS creating the temp file", "error", 0.0)


def test_simulated_enospc_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--overwrite onto a full disk: the old result survives whole (temp file + rename)."""
    dst = tmp_path / "o.png"
    imageio.write_image(dst, imageio.Image(np.full((4, 4, 3), 7, np.uint8)))
    before = dst.read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(imageio.os, "fsync", full)
    with pytest.raises(InputError):
        imageio.write_image(dst, imageio.Image(np.zeros((8, 8, 3), np.uint8)), overwrite=True)
    assert dst.read_bytes() == before
