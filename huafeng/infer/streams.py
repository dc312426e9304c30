"""The two background threads of ``huafeng video``: decoding ahead, and encoding + committing chunks.

Why threads: a 720p frame costs ~15 ms to decode and ~20 ms to encode on this CPU besides the
stylization; in one thread those add up, in three they overlap (FFmpeg's decoder and x264 do
their work without the GIL, ONNX Runtime too). Queues are short (a few frames), so memory stays
bounded and a stop is quick.

Resume is kept: frames are encoded in chunks of ``chunk`` frames at the final quality; a chunk
is listed in ``progress.json`` (with the flicker state needed to continue exactly) only after its
file is complete, so a kill loses at most the chunk in flight. Joining the chunks at the end is a
stream copy (:func:`huafeng.videoio.concat_videos`), not a second encode.
"""

from __future__ import annotations

import io
import json
import queue
import threading
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from huafeng.imageio import Image, atomic_write_bytes
from huafeng.videoio import write_video

_END = object()


class Prefetch:
    """Iterate ``items`` in a background thread, ``depth`` ahead; errors surface in the consumer."""

    def __init__(self, items: Iterable[Any], depth: int = 4) -> None:
        self._q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(iter(items),), daemon=True, name="huafeng-decode"
        )
        self._thread.start()

    def _run(self, it: Iterator[Any]) -> None:
        try:
            for item in it:
                if not self._put(("item", item)):
                    return
            self._put(("end", None))
        except BaseException as e:
            self._put(("error", e))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def _put(self, msg: tuple[str, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(msg, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Any]:
        while True:
            kind, value = self._q.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class _Abort(Exception):
    pass


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]  # numpy's stub mistypes **kwds
    atomic_write_bytes(path, buf.getvalue())


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


class ChunkWriter:
    """Encode frames into chunk files in a background thread and commit each to ``progress.json``.

    ``put(frame)`` queues a frame, ``end_chunk(done, arrays)`` closes the chunk after frame
    ``done`` with the state to resume from; ``finish()`` waits for every queued chunk, and
    ``abort()`` (on any error in the caller) drops the unfinished chunk and keeps the committed ones.
    """

    def __init__(
        self, work: Path, state: dict[str, Any], rate: Fraction, *, crf: int, preset: str, depth: int = 4
    ) -> None:
        self.work, self.state, self.rate, self.crf, self.preset = work, state, rate, crf, preset
        self._q: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="huafeng-encode")
        self._thread.start()

    # ---------------------------------------------------------------- the caller's side
    def put(self, rgb: np.ndarray) -> None:
        self._send(("frame", rgb))

    def end_chunk(self, done: int, arrays: dict[str, np.ndarray]) -> None:
        self._send(("end", (done, arrays)))

    def finish(self) -> None:
        self._send(("stop", None))
        self._thread.join()
        self._raise()

    def abort(self) -> None:
        if self._thread.is_alive():
            self._q.put(("abort", None))
            self._thread.join()

    def _send(self, msg: tuple[str, Any]) -> None:
        while True:
            self._raise()
            try:
                self._q.put(msg, timeout=0.1)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    self._raise()
                    raise RuntimeError("the video encoder stopped") from None

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    # ---------------------------------------------------------------- the thread's side
    def _run(self) -> None:
        try:
            while True:
                kind, value = self._q.get()
                if kind in ("stop", "abort"):
                    return
                self._write_chunk(kind, value)
        except _Abort:
            return
        except BaseException as e:
            self._error = e
            while True:  # keep draining so the caller never blocks on a full queue
                kind, _ = self._q.get()
                if kind in ("stop", "abort"):
                    return

    def _write_chunk(self, kind: str, value: Any) -> None:
        ended: list[tuple[int, dict[str, np.ndarray]]] = []

        def frames() -> Iterator[Image]:
            k, v = kind, value
            while True:
                if k == "frame":
                    yield Image(rgb=v)
                elif k == "end":
                    ended.append(v)
                    return
                else:  # stop or abort before the chunk was ended: it is not committed
                    raise _Abort
                k, v = self._q.get()

        first = int(self.state["done"])
        name = f"chunk-{first:07d}.mp4"
        write_video(self.work / name, frames(), self.rate, crf=self.crf, preset=self.preset, overwrite=True)
        done, arrays = ended[0]
        self._commit(name, done, arrays)

    def _commit(self, name: str, done: int, arrays: dict[str, np.ndarray]) -> None:
        state_name = f"state-{done:07d}.npz"
        save_arrays(self.work / state_name, arrays)
        old = self.state.get("last")
        self.state.update(done=done, chunks=[*self.state["chunks"], name], last=state_name)
        # the commit point: chunk and state exist before they are listed
        atomic_write_bytes(self.work / "progress.json", json.dumps(self.state, indent=1).encode())
        if old and old != state_name:
            (self.work / old).unlink(missing_ok=True)
