"""The ``huafeng`` command line: a thin map from commands to library functions.

One module per command group registers its commands on the shared Typer app (``_app``);
this module imports them all and holds :func:`main`, the error policy. See ``_app`` for the
conventions every command keeps."""

from __future__ import annotations

import errno
import sys

import typer

from huafeng.cli import (  # noqa: F401  (each module registers its commands on the app)
    captions,
    evaluation,
    listings,
    looks,
    portraits,
    repair,
    serve,
    stylize,
    training,
    video,
)
from huafeng.cli._app import app, err
from huafeng.cli_learn import register as _register_learn
from huafeng.errors import HuafengError

__all__ = ["app", "main"]

_register_learn(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI with the error policy: one line + exit 2 for user errors, 1 for faults."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    if any("\x00" in a for a in args):  # no file name or value can hold one; the parser would crash on it
        err.print("[red]error:[/red] an argument contains a NUL byte (\\x00)")
        sys.exit(2)
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
