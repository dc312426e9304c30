"""The batch manifest: one row per input, what happened to it, and whether a re-run may skip it.

A row says which input (URI + a fingerprint of its size and modification time), which output,
``status`` (``ok`` / ``error``), the error message, the seconds it took, and the *recipe* (a hash
of the style model's bytes and the options). A re-run skips an input when its latest row has the
same fingerprint and recipe and either succeeded (and the output is still there) or failed (the
same bytes would fail the same way; ``retry_failed`` tries again). Changing the photo, the style
or an option re-does exactly the affected items.

Written as ``manifest.jsonl`` (rewritten atomically while the run goes, so a killed run keeps its
progress; whole-object writes also work on object stores, which cannot append) and
``manifest.parquet`` at the end, for pandas / DuckDB / Spark over millions of rows.
"""

from __future__ import annotations

import io
import json
import posixpath
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

MANIFEST_JSONL = "manifest.jsonl"
MANIFEST_PARQUET = "manifest.parquet"
STATUSES = ("ok", "error")


@dataclass(frozen=True)
class Row:
    input: str
    output: str
    status: str
    error: str | None
    seconds: float
    """Wall time in the worker: read + decode + stylize + encode + write."""
    fingerprint: str
    recipe: str
    worker: str = ""
    """host:pid of the actor that did it (empty for rows the driver wrote itself)."""
    finished_at: float = 0.0


def fs_for(uri: str) -> tuple[Any, str]:
    """``(fsspec filesystem, path in it)`` for a local path or any fsspec URL (s3://, gs://, ...)."""
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(uri)
    return fs, path


def is_local(fs: Any) -> bool:
    from fsspec.implementations.local import LocalFileSystem

    return isinstance(fs, LocalFileSystem)


def join(root: str, rel: str) -> str:
    return posixpath.join(root.rstrip("/"), rel) if root else rel


def fingerprint(info: dict[str, Any]) -> str:
    """Size plus whatever change stamp the filesystem gives (mtime, ETag, generation)."""
    stamp = next(
        (info[k] for k in ("mtime", "LastModified", "ETag", "etag", "generation", "updated") if k in info),
        "",
    )
    return f"{info.get('size', '')}:{stamp}"


def read_manifest(fs: Any, root: str) -> dict[str, Row]:
    """Latest row per input from ``root/manifest.jsonl`` (empty if there is none yet).

    A truncated last line (a crash mid-write on a filesystem without atomic rename) is skipped:
    those items are simply done again.
    """
    path = join(root, MANIFEST_JSONL)
    if not fs.exists(path):
        return {}
    rows: dict[str, Row] = {}
    for line in fs.cat_file(path).decode("utf-8", "replace").splitlines():
        try:
            d = json.loads(line)
            row = Row(**{k: d[k] for k in Row.__dataclass_fields__ if k in d})
        except (ValueError, TypeError):
            continue
        rows[row.input] = row
    return rows


def put(fs: Any, path: str, data: bytes) -> None:
    """Whole-file write: atomic rename locally, a single PUT on object stores."""
    if is_local(fs):
        from huafeng.imageio import atomic_write_bytes

        atomic_write_bytes(path, data)
    else:
        fs.pipe_file(path, data)


def write_manifest(fs: Any, root: str, rows: Iterable[Row], *, parquet: bool = False) -> None:
    """Rewrite ``manifest.jsonl`` (and, at the end of a run, ``manifest.parquet``) from ``rows``."""
    ordered = sorted(rows, key=lambda r: r.input)
    text = "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in ordered)
    put(fs, join(root, MANIFEST_JSONL), text.encode("utf-8"))
    if parquet:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([asdict(r) for r in ordered], schema=_schema())
        buf = io.BytesIO()
        pq.write_table(table, buf)
        put(fs, join(root, MANIFEST_PARQUET), buf.getvalue())


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("input", pa.string()),
            ("output", pa.string()),
            ("status", pa.string()),
            ("error", pa.string()),
            ("seconds", pa.float64()),
            ("fingerprint", pa.string()),
            ("recipe", pa.string()),
            ("worker", pa.string()),
            ("finished_at", pa.float64()),
        ]
    )
