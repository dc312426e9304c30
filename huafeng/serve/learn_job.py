"""'Use my own style' in the service: a ``learn`` job runs ``huafeng learn-style`` in a child process.

Why a child process: the service never imports torch (an import-linter contract: inference and
serving stay torch-free and light), while learning a style is a few minutes of torch training.
The child is the ordinary command (``--events`` makes it print one JSON object per line), so
resuming, the styles-folder safety rules and atomic saving are the command's, tested once.

Progress: the command says which phase it is in; during training, the fraction is the time spent
over the time budget the command fills (it trains for ``--minutes`` of loop time), so the bar
moves steadily and its time left is honest. A stopping service kills the child; the job goes
back to the queue and the re-run resumes from the child's last checkpoint (same images, same key).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from huafeng.errors import InputError
from huafeng.imageio import Image, encode_image, fit_side, read_image
from huafeng.infer.engine import Stylizer
from huafeng.infer.styles import check_new_style_name, load_style_file, user_styles_dir
from huafeng.serve.settings import ServeSettings
from huafeng.serve.store import Job, Store

#: Phase → (progress at its start, what the page shows). Training spans 0.1 → 0.95.
_PHASES = {
    "choosing": (0.02, "choosing the closest base style"),
    "measuring": (0.06, "measuring this machine's speed"),
    "resuming": (0.08, "resuming the interrupted run"),
    "training": (0.10, "training"),
    "writing": (0.96, "saving the style"),
}
_TRAIN_SPAN = (0.10, 0.95)
#: The shipped sample photo the job's preview shows in the new style (the gallery's thumbnail photo).
PREVIEW_PHOTO = "chelsea.jpg"


def can_learn() -> bool:
    """Whether this installation can train (PyTorch, from the ``train`` extra), without importing it."""
    return importlib.util.find_spec("torch") is not None


def check_learn_name(name: str, store: Store) -> str:
    """A new style name: the command's rules, not an existing user style, not already being learnt."""
    name = check_new_style_name(name)
    target = user_styles_dir() / f"{name}.onnx"
    if target.exists():
        raise InputError(f"a style named {name!r} exists already; choose another name")
    for job in store.jobs(200):
        if job.kind == "learn" and job.status in ("queued", "running") and job.params.get("style") == name:
            raise InputError(f"a style named {name!r} is being learnt already")
    return name


def run_learn(store: Store, settings: ServeSettings, job: Job, stopping: Any) -> dict[str, str]:
    """Write the job's images to its work folder, run the command, report progress, add the preview."""
    p = job.params
    work = settings.data_dir / "work" / job.id  # job ids are server-made uuids
    images = work / "images"
    images.mkdir(parents=True, exist_ok=True)
    files = []
    for i, sha in enumerate(job.inputs):
        found = store.blob(sha)
        if found is None:
            raise InputError("an input of this job is gone (deleted by retention?)")
        dest = images / f"{i:02d}.img"
        if not dest.exists():
            shutil.copyfile(found[0], dest)
        files.append(dest)
    out = user_styles_dir() / f"{p['style']}.onnx"
    minutes = float(p["minutes"])
    cmd = [sys.executable, "-m", "huafeng", "learn-style", *map(str, files), "--name", p["style"],
           "--minutes", f"{minutes:g}", "-o", str(out), "--events", "--no-progress"]  # fmt: skip
    _run_child(cmd, store, job.id, minutes, stopping, work / "learn-style.log")
    style = load_style_file(out)
    preview = _preview(style, files[0], settings)
    shutil.rmtree(work, ignore_errors=True)
    sha = store.put_blob(preview, "image/jpeg")
    store.add_history("learn", p, sha, None, keep=settings.max_history)
    return {"preview": sha}


def _run_child(cmd: list[str], store: Store, job_id: str, minutes: float, stopping: Any, log: Path) -> None:
    """Run the command, relaying its events; stderr goes to a file (a full pipe would stall it)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (
        log.open("w+", encoding="utf-8", errors="replace") as err,
        subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env, start_new_session=True
        ) as child,
    ):
        state = {"phase": "", "t0": 0.0}
        ticker = threading.Thread(
            target=_tick, args=(store, job_id, minutes, state, child, stopping), daemon=True
        )
        ticker.start()
        assert child.stdout is not None
        for line in child.stdout:
            _on_event(line, store, job_id, state)
        child.wait()
        err.seek(0)
        lines = [ln.strip() for ln in err.read().splitlines() if ln.strip()]
    if stopping():
        raise InputError("the service is stopping; the job will resume after restart")
    if child.returncode != 0:
        raise InputError(_plain(lines[-1]) if lines else f"learn-style failed (exit {child.returncode})")


def _on_event(line: str, store: Store, job_id: str, state: dict[str, Any]) -> None:
    try:
        event = json.loads(line)
    except ValueError:
        return  # a stray print in the child: not an event
    message = str(event.get("message", "")) if isinstance(event, dict) else ""
    phase = message.split(" ", 1)[0]
    if phase in _PHASES:
        state["phase"], state["t0"] = phase, time.monotonic()
        progress, label = _PHASES[phase]
        store.update_job(job_id, progress=progress, message=label)


def _tick(
    store: Store, job_id: str, minutes: float, state: dict[str, Any], child: Any, stopping: Any
) -> None:
    """Once a second: stop the child if the service is stopping; while training, progress by time
    spent over the budget, with the minutes left."""
    budget = max(minutes * 60.0, 1.0)
    while child.poll() is None:
        time.sleep(1.0)
        if stopping():  # SIGTERM: the training loop saves a checkpoint and exits; the re-run resumes
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
            return
        if state["phase"] != "training":
            continue
        spent = time.monotonic() - state["t0"]
        lo, hi = _TRAIN_SPAN
        left = max(budget - spent, 0.0)
        message = f"training, about {left / 60:.1f} min left"
        try:
            store.update_job(job_id, progress=lo + (hi - lo) * min(spent / budget, 1.0), message=message)
        except Exception:
            return


def _plain(message: str) -> str:
    """The child's last line without its ``error:`` prefix or the work folder's paths."""
    return message.removeprefix("error:").strip() or "learn-style failed"


def _preview(style: Any, painting: Path, settings: ServeSettings) -> bytes:
    """The user's first picture beside a shipped sample photo in the new style, as one JPEG."""
    import importlib.resources

    import numpy as np

    from huafeng.imageio import resize

    sample = importlib.resources.files("huafeng").joinpath("assets", "samples", PREVIEW_PHOTO).read_bytes()
    photo = read_image(sample).rgb
    styled = Stylizer(style, threads=settings.threads_per_worker).stylize_array(fit_side(photo, 512))
    ref = read_image(painting.read_bytes(), max_pixels=settings.max_pixels).rgb
    h = styled.shape[0]
    ref = resize(ref, (max(1, round(ref.shape[1] * h / ref.shape[0])), h))
    gap = np.full((h, 8, 3), 255, np.uint8)
    return encode_image(Image(rgb=np.hstack([ref, gap, styled])), "JPEG", quality=88)
