"""Video jobs: a short clip → stylized MP4 through the job queue; bad clips refused up front."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from huafeng.imageio import Image
from huafeng.serve.app import create_app
from tests.serve.conftest import BASE, settings

pytest.importorskip("av", reason="the video extra (PyAV) is not installed")


def _clip(tmp: Path, frames: int = 12, fps: int = 12) -> bytes:
    from huafeng.videoio import write_video

    path = tmp / "clip.mp4"
    imgs = []
    for i in range(frames):
        rgb = np.zeros((48, 64, 3), np.uint8)
        rgb[:, : 8 + 4 * i] = (200, 120, 40)  # a bar sweeping right
        imgs.append(Image(rgb=rgb))
    write_video(path, imgs, fps)
    return path.read_bytes()


def test_video_job_runs_and_returns_an_mp4(client: TestClient, tmp_path: Path) -> None:
    from huafeng.videoio import probe_video

    r = client.post("/api/v1/videos", files={"video": ("c.mp4", _clip(tmp_path))}, data={"style": "sepia"})
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    deadline = time.monotonic() + 60
    while (job := client.get(f"/api/v1/jobs/{job_id}").json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["status"] == "done", job
    mp4 = client.get(job["results"]["video"])
    assert mp4.headers["content-type"] == "video/mp4"
    out = tmp_path / "out.mp4"
    out.write_bytes(mp4.content)
    info = probe_video(out)
    assert (info.width, info.height, info.frame_count) == (64, 48, 12)
    assert client.get("/api/v1/history").json()[0]["kind"] == "video"


def test_a_video_in_the_instant_look(client: TestClient, tmp_path: Path) -> None:
    from huafeng.imageio import encode_image

    pic = encode_image(Image(rgb=np.full((160, 160, 3), (30, 60, 200), np.uint8)), "PNG")
    files = {"video": ("c.mp4", _clip(tmp_path, frames=6)), "style_image": ("s", pic)}
    r = client.post("/api/v1/videos", files=files)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 60
    while (job := client.get(f"/api/v1/jobs/{r.json()['id']}").json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    assert job["status"] == "done", job
    params = client.get("/api/v1/history").json()[0]["params"]
    assert params["style"] == "instant" and len(params["style_code"]) == 100


def test_bad_videos_are_refused_before_queueing(client: TestClient, tmp_path: Path) -> None:
    r = client.post("/api/v1/videos", files={"video": ("c.mp4", b"not a video at all")})
    assert r.status_code in (400, 415) and str(tmp_path) not in r.text and "/tmp/" not in r.json()["detail"]
    r = client.post("/api/v1/videos", files={"video": ("c.mp4", _clip(tmp_path))}, data={"style": "nope"})
    assert r.status_code == 400
    assert client.post("/api/v1/videos", files={"video": ("c.mp4", b"")}).status_code == 400
    assert client.get("/api/v1/jobs").json() == []


def test_video_length_cap(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path / "d", max_video_seconds=0.5)), base_url=BASE) as c:
        r = c.post("/api/v1/videos", files={"video": ("c.mp4", _clip(tmp_path, frames=24))})
        assert r.status_code == 400 and "longer than" in r.json()["detail"]
