"""Many files through one transform: the library front door the CLI's ``stylize`` loop calls.

One file failing (unreadable, undecodable, unwritable) becomes a failed :class:`FileResult` and
the rest go on; ``raise_errors`` makes the first failure raise instead (a single input on the
command line, where an exception's message and exit code are the answer).

Plain and in order on purpose: reading the next images ahead and writing results behind in two
I/O threads was measured (8 photos at 1024², whole process, 2-core Xeon, median of 5 pairs) at
1.03x the time of this loop with 29 MiB more peak memory, because ONNX Runtime already keeps both
cores busy.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from huafeng import imageio
from huafeng.errors import HuafengError, InputError
from huafeng.imageio import KEEP_EXTENSIONS, Image


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


def plan_outputs(
    inputs: list[Path], output: Path | None, style: str, fmt: str | None
) -> tuple[list[Path], bool]:
    """Where each result of stylizing ``inputs`` goes, and whether that is a folder: many inputs, no
    ``output``, an existing folder or a name ending in ``/`` → a folder (``stylized/`` by default;
    ``<stem>_<style>.<ext>`` there unless the folder was named), else ``output`` itself. A still
    keeps its type (:data:`~huafeng.imageio.KEEP_EXTENSIONS`), anything else becomes PNG, ``fmt``
    overrides both; names that would collide (``a.jpg`` and ``a.jpeg``) get ``_2``, ``_3``."""
    tag = Path(style).stem if style.endswith(".onnx") else style
    as_folder = len(inputs) > 1 or output is None or output.is_dir() or str(output).endswith(("/", "\\"))
    if not as_folder:
        assert output is not None
        return [output], False
    if (
        output is not None
        and len(inputs) > 1
        and not output.exists()
        and output.suffix.lower() in KEEP_EXTENSIONS
    ):
        raise InputError(f"-o {output}: {len(inputs)} inputs need a folder, not a file name")
    folder = output if output is not None else Path("stylized")
    outs: list[Path] = []
    seen: set[Path] = set()
    for p in inputs:
        ext = (
            f".{fmt.lstrip('.')}"
            if fmt
            else (p.suffix.lower() if p.suffix.lower() in KEEP_EXTENSIONS else ".png")
        )
        cand = folder / f"{p.stem}{ext}" if output is not None else folder / f"{p.stem}_{tag}{ext}"
        i = 2
        while cand in seen:  # a.jpg and a.jpeg in one batch must not collide
            cand = cand.with_name(f"{p.stem}_{i}{ext}")
            i += 1
        seen.add(cand)
        outs.append(cand)
    return outs, True


def stylize_files(
    jobs: Iterable[tuple[Path, Path]],
    transform: Callable[[Image], Image],
    *,
    overwrite: bool = False,
    protect: Sequence[str | os.PathLike[str]] = (),
    raise_errors: bool = False,
) -> Iterator[FileResult]:
    """``transform`` each ``(input, output)`` pair, yielding one result per pair in input order."""
    for src, dst in jobs:
        t0 = time.perf_counter()
        try:
            res = transform(imageio.read_image(src))
            imageio.write_image(dst, res, overwrite=overwrite, protect=protect)
        except (HuafengError, OSError) as e:  # this file, not the batch
            if raise_errors:
                raise
            yield FileResult(str(src), None, False, time.perf_counter() - t0, _message(e, src))
            continue
        yield FileResult(str(src), str(dst), True, time.perf_counter() - t0)
