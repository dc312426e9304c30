"""Nothing is lost across a restart: history, presets, results, and queued/running jobs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from huafeng.serve.app import create_app
from huafeng.serve.store import Store
from tests.serve.conftest import BASE, photo_bytes, settings


def test_restart_keeps_history_presets_and_requeues_jobs(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path)), base_url=BASE) as c:
        r = c.post(
            "/api/v1/stylize", files={"image": ("a", photo_bytes())}, data={"style": "bw", "save": "true"}
        )
        result = r.content
        c.put("/api/v1/presets/mine", json={"style": "bw", "strength": 0.5})
    # A job queued and one left "running" by a crash, written straight into the store.
    store = Store(tmp_path)
    sha = store.put_blob(photo_bytes(), "application/octet-stream")
    params = {"style": "sepia", "strength": 1.0, "captions": [], "video": False}
    queued = store.create_job("story", params, [sha])
    crashed = store.create_job("story", params, [sha])
    store.update_job(crashed.id, status="running", progress=0.5)
    store.close()
    assert (tmp_path / "huafeng.sqlite3-wal").exists() or (tmp_path / "huafeng.sqlite3").exists()

    with TestClient(create_app(settings(tmp_path)), base_url=BASE) as c:
        hist = c.get("/api/v1/history").json()
        assert c.get(hist[0]["result"]).content == result
        assert c.get("/api/v1/presets").json()[0]["params"]["strength"] == 0.5
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = {j: c.get(f"/api/v1/jobs/{j}").json()["status"] for j in (queued.id, crashed.id)}
            if set(states.values()) == {"done"}:
                break
            time.sleep(0.2)
        assert set(states.values()) == {"done"}, states


def test_retention_deletes_oldest_and_their_files(tmp_path: Path) -> None:
    store = Store(tmp_path)
    shas = [store.put_blob(photo_bytes(seed=i), "image/jpeg") for i in range(4)]
    for s in shas:
        store.add_history("stylize", {}, s, None, keep=2)
    assert len(store.history()) == 2
    store._gc_blobs(grace_s=0.0)
    assert not store.blob_path(shas[0]).exists() and store.blob_path(shas[3]).exists()
    store.close()


def test_graceful_shutdown_requeues_running_jobs_and_refuses_new_work(tmp_path: Path) -> None:
    import threading

    from huafeng.serve.pool import Busy
    from huafeng.serve.service import Service

    svc = Service(settings(tmp_path, shutdown_grace_s=0.3))
    started, release = threading.Event(), threading.Event()

    def slow_job(job):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(5)
        return {}

    svc._run_job = slow_job  # type: ignore[method-assign]
    svc.start()
    job = svc.submit_story([photo_bytes()], {"style": "sepia"})
    assert started.wait(5)
    done = []
    svc.pool.submit(lambda: done.append(release.wait(5)))  # running request: gets the grace
    t0 = time.monotonic()
    svc.stop()
    assert time.monotonic() - t0 < 3
    release.set()
    with pytest.raises(Busy):
        svc.pool.submit(lambda: None)
    store = Store(tmp_path)
    again = store.job(job.id)
    assert again is not None and again.status == "queued" and "re-queued" in again.message
    store.close()
