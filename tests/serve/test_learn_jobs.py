"""The "Use my own style" over the API: bad input is a 4xx, a full queue a 503, a real job a new style."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from huafeng.imageio import Image, encode_image
from huafeng.serve import learn_api
from huafeng.serve.app import create_app
from tests.serve.conftest import BASE, photo_bytes, settings

needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs the train extra")


def painting_bytes(side: int = 160) -> bytes:
    """A small 'painting': red and blue halves with stripes, enough texture and palette to learn."""
    rgb = np.zeros((side, side, 3), np.uint8)
    rgb[:, : side // 2] = (200, 40, 30)
    rgb[:, side // 2 :] = (30, 60, 190)
    rgb[::6] = (240, 220, 120)
    return encode_image(Image(rgb=rgb), "PNG")


@pytest.fixture
def styles_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "styles"
    monkeypatch.setenv("HUAFENG_STYLES_DIR", str(d))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # learn-style's resumable runs
    # one torch thread in the child: beside another test worker, two OpenMP threads that wait for
    # each other at every parallel region made a 20 s job take over 4 minutes
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    return d


@pytest.fixture
def client(tmp_path: Path, styles_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings(tmp_path / "serve")), base_url=BASE) as c:
        yield c


def _post(client: TestClient, files: list[tuple[str, bytes]], name: str = "mine", **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/styles/learn",
        files=[("images", (n, b)) for n, b in files],
        data={"name": name, **data},
    )


@pytest.mark.parametrize(
    ("files", "name", "status", "words"),
    [
        ([("a.png", b"")], "mine", 400, "empty"),
        ([("a.png", b"not an image at all")], "mine", 415, "not an image"),
        ([("a.png", painting_bytes()[:60])], "mine", 400, "images[0]"),  # truncated
        ([("a.jpg", photo_bytes(96, 64))], "mine", 400, "too small"),
        ([("a.png", painting_bytes())], "../x", 400, "letters, digits"),
        ([("a.png", painting_bytes())], "ukiyoe", 400, "shipped style"),
        ([("a.png", painting_bytes())], "default", 400, "reserved"),
    ],
)
@needs_torch
def test_bad_input_is_a_4xx_and_writes_nothing(  # type: ignore[no-untyped-def]
    client: TestClient, styles_dir: Path, files, name, status, words
) -> None:
    r = _post(client, files, name)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]
    assert client.get("/api/v1/jobs").json() == []
    assert not styles_dir.exists() or not any(styles_dir.iterdir())


@needs_torch
def test_limits_on_count_minutes_and_existing_names(client: TestClient, styles_dir: Path) -> None:
    too_many = [(f"{i}.png", painting_bytes()) for i in range(21)]
    assert _post(client, too_many).status_code == 400
    assert _post(client, [("a.png", painting_bytes())], minutes="60").status_code == 422
    styles_dir.mkdir(parents=True)
    (styles_dir / "taken.onnx").write_bytes(b"x")
    r = _post(client, [("a.png", painting_bytes())], name="taken")
    assert r.status_code == 400 and "exists already" in r.json()["detail"]


@needs_torch
def test_full_learn_queue_is_503_with_retry_after(tmp_path: Path, styles_dir: Path) -> None:
    app = create_app(settings(tmp_path / "serve", max_learn_jobs=0))
    with TestClient(app, base_url=BASE) as c:
        r = _post(c, [("a.png", painting_bytes())])
    assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 30


def test_without_torch_the_answer_is_501(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(learn_api, "can_learn", lambda: False)
    r = _post(client, [("a.png", painting_bytes())])
    assert r.status_code == 501 and "huafeng[train]" in r.json()["detail"]


@needs_torch
def test_a_learn_job_makes_a_new_style(client: TestClient, styles_dir: Path) -> None:
    """The real thing, shortened: the child process trains for 3 s and the style is listed."""
    r = _post(client, [("a.png", painting_bytes()), ("b.png", painting_bytes(200))], minutes="0.05")
    assert r.status_code == 202, r.text
    job_id, seen = r.json()["id"], set()
    assert _post(client, [("a.png", painting_bytes())]).json()["detail"].endswith("being learnt already")
    deadline = time.monotonic() + 420
    while (job := client.get(f"/api/v1/jobs/{job_id}").json())["status"] not in ("done", "failed"):
        seen.add(job["message"].split(",")[0])
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
    assert job["status"] == "done", job
    assert job["style"] == "mine" and "training" in seen
    assert (styles_dir / "mine.onnx").is_file()
    assert "mine" in {s["name"] for s in client.get("/api/v1/styles").json()}
    preview = client.get(job["results"]["preview"])
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert client.get("/api/v1/history").json()[0]["kind"] == "learn"
    out = client.post("/api/v1/stylize", files={"image": ("p.jpg", photo_bytes())}, data={"style": "mine"})
    assert out.status_code == 200, out.text
