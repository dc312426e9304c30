"""The ``huafeng`` commands for listings (registered on the shared app)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from huafeng.cli._app import _print_json, app, out

# ------------------------------------------------------------------------------------ listings


@app.command()
def styles(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """List the available styles: shipped models, your own, plugins and filter looks."""
    from rich.table import Table

    from huafeng.infer import list_styles

    items = list_styles()
    if as_json:
        _print_json([_style_dict(s) for s in items])
        return
    table = Table(title="huafeng styles", show_lines=False)
    for col in ("name", "tradition", "kind", "source", "description"):
        table.add_column(col, overflow="fold")
    for s in items:
        table.add_row(s.name, s.tradition, s.kind, s.source, s.description)
    out.print(table)
    from huafeng.infer.styles import user_styles_dir

    out.print(
        f"your styles folder: {user_styles_dir()}  (drop .onnx files here; HUAFENG_STYLES_DIR moves it)"
    )


def _style_dict(s: Any) -> dict[str, Any]:
    d = asdict(s)
    d["path"] = str(d.get("path")) if d.get("path") else None
    return d


@app.command()
def filters(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """List the classic filters that can follow a style (``--filter``)."""
    from rich.table import Table

    from huafeng.infer.filters import list_filters

    items = list_filters()
    if as_json:
        _print_json([{"name": n, "description": d} for n, d in items])
        return
    table = Table(title="huafeng filters")
    table.add_column("name")
    table.add_column("description")
    for n, d in items:
        table.add_row(n, d)
    out.print(table)
