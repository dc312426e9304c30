"""The ``huafeng`` commands for looks (registered on the shared app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from huafeng.cli._app import _print_json, app, err, out
from huafeng.errors import InputError

# ------------------------------------------------------------------------------------ looks

look_app = typer.Typer(
    help="Learn a colour look from a few photos; apply it, export/import it as a .cube LUT.",
    no_args_is_help=True,
)
app.add_typer(look_app, name="look")


@look_app.command("learn")
def look_learn(
    photos: Annotated[Path, typer.Argument(help="Folder with 5-50 photos that share the look.")],
    name: Annotated[str, typer.Option("--name", "-n", help="Name to save the look under.")],
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            help="Folder of ordinary (ungraded) photos to compare against; "
            "default: huafeng's built-in summary of ordinary photos.",
        ),
    ] = None,
    lut_size: Annotated[int, typer.Option("--lut-size", help="LUT grid size (17 or 33 usual).")] = 33,
    refine: Annotated[
        bool, typer.Option("--refine", help="Also train a small refinement network (needs huafeng[train]).")
    ] = False,
    content: Annotated[
        Path | None,
        typer.Option("--content", help="--refine: ordinary photos (default ../shared/data/content)."),
    ] = None,
    steps: Annotated[int, typer.Option("--steps", help="--refine: training steps.")] = 300,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a look of the same name.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Learn a look (3D LUT, tone curve, grain, vignette) from a folder of photos and save it."""
    import tempfile

    from huafeng.looks import FitCfg, LookStore, learn_and_save
    from huafeng.looks.confidence import advice as look_advice

    store = LookStore()
    hook = None
    tmp = tempfile.TemporaryDirectory(prefix="huafeng-refine-")
    if refine:
        try:
            import torch  # noqa: F401
        except ImportError:
            raise InputError("--refine trains a network: pip install 'huafeng[train]'") from None
        from huafeng.config import DEFAULT_DATA_ROOT
        from huafeng.train.look_refine import RefineCfg, refine_look

        src = content or Path(DEFAULT_DATA_ROOT) / "content"

        def hook(look: Any, imgs: Any) -> Path:
            err.print(f"training the refinement network ({steps} steps)...")
            return refine_look(look, imgs, src, Path(tmp.name) / "refine.onnx", RefineCfg(steps=steps))

    with tmp:
        look = learn_and_save(
            photos,
            name,
            store=store,
            overwrite=overwrite,
            reference=reference,
            cfg=FitCfg(lut_size=lut_size),
            refine=hook,
        )
    row = {
        "name": look.name,
        "path": str(store.root / look.name),
        "lut_size": look.lut.size,
        "grain": look.grain,
        "vignette": look.vignette,
        "refine": look.refine is not None,
        "info": look.info,
        "note": look_advice(look.info),
    }
    if as_json:
        _print_json(row)
    else:
        out.print(
            f"saved look [bold]{look.name}[/bold] ({look.lut.size}³ LUT, grain {look.grain:.3f}, "
            f"vignette {look.vignette:.2f}{', refined' if look.refine else ''}) in {row['path']}"
        )
        if row["note"]:
            out.print(f"note: {row['note']}")


@look_app.command("apply")
def look_apply(
    image: Annotated[Path, typer.Argument(help="Photo to apply the look to.")],
    look: Annotated[str, typer.Option("--look", "-l", help="Saved look name, or a path to a .cube file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output image file.")],
    strength: Annotated[float, typer.Option("--strength", help="0 = photo, 1 = full look.")] = 1.0,
    grain: Annotated[float, typer.Option("--grain", help="Scale the learnt grain (0 = none).")] = 1.0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output.")] = False,
) -> None:
    """Apply a saved look (or a .cube file) to a photo."""
    from huafeng import imageio
    from huafeng.looks import ApplyOptions, apply_look, resolve_look

    imageio.check_writable(output, overwrite=overwrite, protect=[image])
    lk = resolve_look(look)
    res = apply_look(imageio.read_image(image), lk, ApplyOptions(strength=strength, grain=grain))
    imageio.write_image(output, res, overwrite=overwrite, protect=[image])
    out.print(str(output))


@look_app.command("export")
def look_export(
    name: Annotated[str, typer.Argument(help="Saved look name.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The .cube file to write.")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file.")] = False,
) -> None:
    """Write a look's LUT as a .cube file (Resolve, Lightroom, Premiere, OBS, ffmpeg lut3d)."""
    from huafeng.looks import LookStore, write_cube

    out.print(str(write_cube(output, LookStore().get(name).lut, overwrite=overwrite)))


@look_app.command("import")
def look_import(
    cube: Annotated[Path, typer.Argument(help="A 3D .cube LUT file.")],
    name: Annotated[str, typer.Option("--name", "-n", help="Name to save the look under.")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a look of the same name.")] = False,
) -> None:
    """Save a .cube LUT as a look."""
    from huafeng.looks import import_cube

    lk = import_cube(cube, name, overwrite=overwrite)
    out.print(f"saved look [bold]{lk.name}[/bold] ({lk.lut.size}³ LUT)")


@look_app.command("list")
def look_list(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """List your saved looks."""
    from rich.table import Table

    from huafeng.looks import LookStore

    store = LookStore()
    rows = store.list()
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"looks in {store.root}")
    cols = ("name", "lut_size", "grain", "vignette", "refine", "photos", "created")
    for col in cols:
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(r[c]) for c in cols))
    out.print(table)


@look_app.command("delete")
def look_delete(name: Annotated[str, typer.Argument(help="Saved look name.")]) -> None:
    """Delete a saved look."""
    from huafeng.looks import LookStore

    LookStore().delete(name)
    out.print(f"deleted look {name}")
