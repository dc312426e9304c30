"""The ``huafeng`` commands for stylize (registered on the shared app)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from huafeng.cli._app import ThreadsOption, _print_json, app, err, out
from huafeng.cli.repair import _repaired
from huafeng.errors import InputError

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


_REGIONS = ("all", "person", "background", "face")


def _stylize_one(
    stylizer: Any, img: Any, opts: Any, region: str, face_strength: float, face_color: bool
) -> Any:
    """The engine as is, or the face-aware path (``huafeng.portrait``) when one was asked for."""
    if region == "all" and face_strength == 1.0 and not face_color:
        return stylizer.stylize(img, opts)
    from huafeng.portrait.regions import stylize_portrait

    return stylize_portrait(stylizer, img, opts, region, face_strength, face_color=face_color)


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
            help="Instant: look like this picture (its style code, read at once); learn-style gets closer.",
        ),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Stylize photos with a trained style or a classic filter look."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from huafeng import imageio
    from huafeng.infer import StylizeOptions, Stylizer, resolve_style
    from huafeng.infer.files import plan_outputs, stylize_files
    from huafeng.infer.session import resolve_threads

    paths = imageio.list_images(inputs)
    if not paths:
        raise InputError("no input images found")
    parsed = _parse_ask(ctx, ask, style) if ask is not None else None
    info = resolve_style(parsed.style or style if parsed is not None else style)
    painting = None  # set only on the fallback path: its palette is moved onto each result
    if style_image is not None:
        if style != "default":  # as `story` and the API refuse it (an --ask phrase keeps its adjustments)
            raise InputError("give either --style or --style-image, not both")
        from huafeng.infer.instant import look_like

        info, painting, how = look_like(imageio.read_image(style_image).rgb, threads=threads or 0)
        if not as_json:
            err.print(f"instant look: {how}; closer: huafeng learn-style {style_image} --name NAME")
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
    outs, to_folder = plan_outputs(paths, output, info.name, fmt)
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

        def transform_with(o: Any) -> Any:
            def transform(img: Any) -> Any:
                if repair:
                    img = _repaired(img, threads)
                res = _stylize_one(stylizer, img, o, region, face_strength, face_color)
                if painting is not None:
                    from huafeng.infer.instant import fallback_palette

                    res = res.with_rgb(fallback_palette(res.rgb, painting, o.strength))
                return res

            return transform

        # Unless threads are pinned: small photos side by side, one core each (infer/files.py).
        pinned = threads is not None or resolve_threads(None) is not None
        plain = not pinned and region == "all" and face_strength == 1.0 and not face_color and not repair
        for fr in stylize_files(
            zip(paths, outs, strict=True),
            transform_with(opts),
            overwrite=overwrite,
            protect=paths,
            raise_errors=len(paths) == 1,
            side_by_side=transform_with(replace(opts, threads=1)) if plain else None,
            workers=min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1),
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
