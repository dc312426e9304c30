"""``huafeng batch`` on a local Ray: a folder with a corrupt file, a re-run that does nothing, a
changed photo that alone is redone; planning rules without Ray."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from huafeng import imageio
from huafeng.errors import InputError
from huafeng.scale.batch import BatchCfg, plan, run_batch
from huafeng.scale.manifest import read_manifest

ray = pytest.importorskip("ray", reason="the [scale] extra (ray[data]) is not installed")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray Data's own config keys


def _photo(path: Path, seed: int, size: tuple[int, int] = (40, 56)) -> None:
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    img = imageio.Image(rng.integers(0, 255, (*size, 3), dtype=np.uint8))
    imageio.write_image(path, img, overwrite=True)


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    _photo(src / "a.png", 0)
    _photo(src / "b.jpg", 1)
    _photo(src / "nested" / "c.png", 2)
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a whole JPEG")
    (src / "notes.txt").write_text("not an image, not listed")
    return src


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """One small Ray for the module: starting Ray costs seconds, a test should pay it once."""
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "ERROR")
    os.environ.setdefault("RAY_worker_niceness", "0")  # as run_batch does: +15 starves actors on a busy box
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_batch_runs_reports_failures_and_resumes(
    local_ray: None, collection: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from huafeng.cli import main

    out = tmp_path / "out"
    args = ["batch", str(collection), str(out), "-s", "starry_night", "--workers", "2", "--json"]
    with pytest.raises(SystemExit) as exc:
        main(args)
    report = json.loads(capsys.readouterr().out)
    assert exc.value.code == 2  # one input failed: reported, and the exit code says so
    assert (report["total"], report["done"], report["failed"], report["skipped"]) == (4, 3, 1, 0)

    rows = read_manifest(*_fs(out))
    by_name = {Path(r.input).name: r for r in rows.values()}
    assert set(by_name) == {"a.png", "b.jpg", "c.png", "broken.jpg"}
    broken = by_name["broken.jpg"]
    assert broken.status == "error" and str(collection / "broken.jpg") in (broken.error or "")
    assert not (out / "broken.jpg").exists()
    for name, rel in (("a.png", "a.png"), ("b.jpg", "b.jpg"), ("c.png", "nested/c.png")):
        row = by_name[name]
        assert row.status == "ok" and row.output == str(out / rel) and row.seconds > 0
        got, orig = imageio.read_image(out / rel).rgb, imageio.read_image(collection / rel).rgb
        assert got.shape == orig.shape and np.abs(got.astype(int) - orig.astype(int)).mean() > 10
    import pyarrow.parquet as pq

    table = pq.read_table(out / "manifest.parquet").to_pylist()
    assert sorted(r["input"] for r in table) == sorted(rows) and {r["status"] for r in table} == {
        "ok",
        "error",
    }

    # Re-run: nothing changed, nothing is done (not even the corrupt file), no worker starts.
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.*") if "manifest" not in p.name}
    again = run_batch(BatchCfg(str(collection), str(out), style="starry_night", workers=2))
    assert (again.done, again.failed, again.skipped, again.seconds) == (0, 0, 4, 0.0)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    # Issue: a re-run printed "0 failed" and then listed broken.jpg as "failed"
    assert again.failures == [] and [Path(r.input).name for r in again.earlier_failures] == ["broken.jpg"]
    with pytest.raises(SystemExit) as rerun:
        main(["batch", str(collection), str(out), "-s", "starry_night", "--workers", "2"])
    assert rerun.value.code == 0  # nothing failed in this run
    said = capsys.readouterr().err
    assert "0 failed, 4 skipped (1 of them failed before)" in said
    assert "failed before " in said and "broken.jpg" in said and "--retry-failed" in said
    assert not re.search(r"^failed (?!before)", said, re.M) and "core_worker" not in said

    # A changed photo, and a deleted output, are done again; the rest stays.
    _photo(collection / "a.png", 7, size=(48, 48))
    (out / "b.jpg").unlink()
    third = run_batch(BatchCfg(str(collection), str(out), style="starry_night", workers=2))
    assert (third.done, third.failed, third.skipped) == (2, 0, 2)
    assert imageio.read_image(out / "a.png").rgb.shape == (48, 48, 3)
    assert (out / "nested" / "c.png").stat().st_mtime_ns == stamps[out / "nested" / "c.png"]


def _fs(root: Path) -> tuple[object, str]:
    from huafeng.scale.manifest import fs_for

    return fs_for(str(root))


# ------------------------------------------------------------------------ planning, no Ray


def test_plan_rules(collection: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    todo, kept, total = plan(BatchCfg(str(collection), str(out)), "r1")
    assert total == 4 and not kept
    assert sorted(Path(i.output).relative_to(out).as_posix() for i in todo) == [
        "a.png", "b.jpg", "broken.jpg", "nested/c.png"
    ]  # fmt: skip
    todo, _, _ = plan(BatchCfg(str(collection), str(out), fmt="webp"), "r1")
    assert {Path(i.output).suffix for i in todo} == {".webp"}

    # An output this job did not write is never replaced without --overwrite.
    _photo(out / "a.png", 3)
    todo, kept, _ = plan(BatchCfg(str(collection), str(out)), "r1")
    assert [Path(r.input).name for r in kept.values()] == ["a.png"]
    assert "not written by this batch" in (next(iter(kept.values())).error or "")
    todo, kept, _ = plan(BatchCfg(str(collection), str(out), overwrite=True), "r1")
    assert len(todo) == 4 and not kept

    # Output inside the input folder: our own results are not read back as inputs.
    _photo(collection / "stylized" / "a.png", 4)
    todo, _, total = plan(BatchCfg(str(collection), str(collection / "stylized")), "r1")
    assert total == 4


@pytest.mark.parametrize(
    ("cfg", "match"),
    [
        (lambda c, t: BatchCfg(str(c), str(c)), "must differ"),
        (lambda c, t: BatchCfg(str(t / "nope"), str(t / "o")), "no such folder"),
        (lambda c, t: BatchCfg(str(c / "a.png"), str(t / "o")), "not a single file"),
        (lambda c, t: BatchCfg(str(t), str(t / "o"), fmt="gif"), "--format"),
        (lambda c, t: BatchCfg(str(c), str(t / "o"), workers=0), "workers"),
    ],
)
def test_bad_jobs_are_input_errors(cfg, match: str, collection: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=match):
        plan(cfg(collection, tmp_path), "r1")


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images"):
        plan(BatchCfg(str(tmp_path / "empty"), str(tmp_path / "o")), "r1")


# ------------------------------------------------- object stores: fsspec's memory:// filesystem


def test_worker_reads_and_writes_any_fsspec_filesystem() -> None:
    """The actor's work, in-process, on a non-local filesystem (what s3:// or gs:// go through)."""
    import fsspec

    from huafeng.scale.batch import StylizeWorker

    mem = fsspec.filesystem("memory")
    img = imageio.Image(np.random.default_rng(0).integers(0, 255, (24, 32, 3), dtype=np.uint8))
    mem.pipe_file("/bucket/in/x.png", imageio.encode_image(img, "PNG"))
    mem.pipe_file("/bucket/in/bad.png", b"\x89PNG not really")
    worker = StylizeWorker("sepia", [], {"strength": 1.0}, None, 92)
    ok = worker.one("memory://bucket/in/x.png", "memory://bucket/out/deep/x.png")
    bad = worker.one("memory://bucket/in/bad.png", "memory://bucket/out/bad.png")
    assert ok[2] == "ok" and bad[2] == "error" and "bad.png" in bad[3]
    got = imageio.read_image(mem.cat_file("/bucket/out/deep/x.png")).rgb
    assert got.shape == (24, 32, 3) and not np.array_equal(got, img.rgb)
    batch = worker(
        {"input": np.array(["memory://bucket/in/x.png"]), "output": np.array(["memory://o/x.png"])}
    )
    assert list(batch["status"]) == ["ok"] and batch["seconds"][0] > 0


def test_manifest_round_trip_on_an_object_store() -> None:
    import fsspec

    from huafeng.scale.manifest import Row, read_manifest, write_manifest

    mem = fsspec.filesystem("memory")
    rows = [
        Row(f"memory://in/{i}.png", f"memory://out/{i}.png", "ok", None, 0.1, "3:4", "r") for i in range(3)
    ]
    write_manifest(mem, "/out", rows, parquet=True)
    assert list(read_manifest(mem, "/out").values()) == rows
    mem.pipe_file("/out/manifest.jsonl", mem.cat_file("/out/manifest.jsonl") + b'{"input": "memory://in/9.p')
    assert len(read_manifest(mem, "/out")) == 3  # a torn last line is ignored: that item is redone
    import pyarrow.parquet as pq

    assert pq.read_table(mem.open("/out/manifest.parquet")).num_rows == 3
