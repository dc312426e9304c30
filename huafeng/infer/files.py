"""Many files through one transform: the library front door the CLI's ``stylize`` loop calls.

Why not a plain loop: on a 2-core machine the network keeps both cores busy only part of the
time (the single-threaded colour and detail steps, Python in between), while decoding the next
JPEG and encoding the last one are work that can fill those gaps. So the next images are read
ahead and each result is written behind in two helper threads (libjpeg, libpng and ONNX Runtime
release the GIL), and the transform itself runs in the caller's thread, in order.

One file failing (unreadable, undecodable, unwritable) becomes a failed :class:`FileResult` and
the rest go on; ``raise_errors`` makes the first failure raise instead (a single input on the
command line, where an exception's message and exit code are the answer).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from huafeng import imageio
from huafeng.errors import HuafengError
from huafeng.imageio import Image

READ_AHEAD = 2


@dataclass(frozen=True)
class FileResult:
    input: str
    output: str | None
    ok: bool
    seconds: float
    error: str | None = None


def _message(e: Exception, src: Path) -> str:
    if isinstance(e, HuafengError):
        return str(e)
    if isinstance(e, OSError):
        return f"{e.strerror or e} ({e.filename or src})"
    return str(e)


def stylize_files(
    jobs: Iterable[tuple[Path, Path]],
    transform: Callable[[Image], Image],
    *,
    overwrite: bool = False,
    protect: Sequence[str | os.PathLike[str]] = (),
    raise_errors: bool = False,
) -> Iterator[FileResult]:
    """``transform`` each ``(input, output)`` pair, yielding one result per pair in input order."""
    pending = iter(jobs)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="huafeng-io") as pool:
        reads: deque[tuple[Path, Path, float, Future[Image]]] = deque()

        def read_next() -> None:
            nxt = next(pending, None)
            if nxt is not None:
                reads.append((nxt[0], nxt[1], time.perf_counter(), pool.submit(imageio.read_image, nxt[0])))

        for _ in range(READ_AHEAD):
            read_next()
        behind: tuple[Path, Path, float, Future[Path]] | None = None
        while reads:
            src, dst, t0, fut = reads.popleft()
            read_next()
            try:
                res = transform(fut.result())
                write = pool.submit(imageio.write_image, dst, res, overwrite=overwrite, protect=protect)
            except (HuafengError, OSError) as e:  # this file, not the batch
                if raise_errors:
                    raise
                if behind is not None:  # results stay in input order
                    yield _finish(behind, raise_errors)
                    behind = None
                yield FileResult(str(src), None, False, time.perf_counter() - t0, _message(e, src))
                continue
            if behind is not None:
                yield _finish(behind, raise_errors)
            behind = (src, dst, t0, write)
        if behind is not None:
            yield _finish(behind, raise_errors)


def _finish(job: tuple[Path, Path, float, Future[Path]], raise_errors: bool) -> FileResult:
    src, dst, t0, write = job
    try:
        write.result()
    except (HuafengError, OSError) as e:
        if raise_errors:
            raise
        return FileResult(str(src), None, False, time.perf_counter() - t0, _message(e, src))
    return FileResult(str(src), str(dst), True, time.perf_counter() - t0)
