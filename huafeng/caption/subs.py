"""SRT and ASS subtitle parsing: cues with times, text and a top/bottom hint, or one clear error.

Only what we draw is kept: times, text (tags stripped, ``\\N`` → newline) and ASS's ``\\an7-9``
(top) alignment. Fonts, colours and positions in the file are ignored on purpose — the caption
renderer styles the text from the video's own palette, with our bundled CJK font.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from huafeng.errors import InputError

MAX_SUB_BYTES = 2 * 1024 * 1024  # a feature film's SRT is ~100 KB
MAX_CUES = 5000
MAX_CUE_CHARS = 200  # two subtitle lines are ~80 characters; more would cover the picture


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str
    top: bool = False

    def active(self, t: float) -> bool:
        return self.start <= t < self.end


_SRT_TIME = re.compile(r"^\s*(\d{1,3}):(\d{1,2}):(\d{1,2})[,.](\d{1,3})\s*$")
_ASS_TIME = re.compile(r"^\s*(\d{1,2}):(\d{1,2}):(\d{1,2})[.,](\d{1,3})\s*$")
_TAGS = re.compile(r"<[^>]{0,200}>")
_ASS_OVERRIDE = re.compile(r"\{[^}]{0,500}\}")


def _read(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: subtitle file not found")
    size = p.stat().st_size
    if size > MAX_SUB_BYTES:
        raise InputError(f"{p}: {size / 1e6:.1f} MB is too large for a subtitle file (max 2 MB)")
    raw = p.read_bytes()
    encodings = ["utf-8", "gb18030"]  # Chinese subtitles are often GBK/GB18030 without a BOM
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            encodings = [enc]
    for enc in encodings:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{p}: subtitles must be UTF-8 (or UTF-16/GB18030) text")


def _time(s: str, pattern: re.Pattern[str], where: str) -> float:
    m = pattern.match(s)
    if not m:
        raise InputError(f"{where}: bad timestamp {s.strip()!r}")
    h, mi, se, frac = m.groups()
    if int(mi) > 59 or int(se) > 59:
        raise InputError(f"{where}: bad timestamp {s.strip()!r} (minutes and seconds go up to 59)")
    return int(h) * 3600 + int(mi) * 60 + int(se) + int(frac) / 10 ** len(frac)


def _cue(start: float, end: float, text: str, where: str, top: bool = False) -> Cue | None:
    if end <= start:
        raise InputError(f"{where}: the cue ends ({end:.3f} s) before it starts ({start:.3f} s)")
    text = "\n".join(ln.strip() for ln in text.strip().splitlines() if ln.strip())
    if len(text) > MAX_CUE_CHARS:
        raise InputError(
            f"{where}: {len(text)} characters is too long for one subtitle (max {MAX_CUE_CHARS})"
        )
    return Cue(start, end, text, top) if text else None


def parse_srt(path: str | os.PathLike[str]) -> list[Cue]:
    text = _read(path).replace("\r\n", "\n").replace("\r", "\n")
    cues: list[Cue] = []
    line_no = 1
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.split("\n")
        start_line = line_no
        line_no += len(lines) + 1
        lines = [ln for ln in lines if ln.strip() or False]
        if not lines:
            continue
        i = 1 if lines[0].strip().isdigit() and len(lines) > 1 and "-->" in lines[1] else 0
        if "-->" not in lines[i]:
            raise InputError(f"{path}, line {start_line}: expected 'HH:MM:SS,mmm --> HH:MM:SS,mmm'")
        a, _, b = lines[i].partition("-->")
        b = b.strip().split(" ")[0]  # SRT may carry X1:.. Y1:.. coordinates after the end time
        where = f"{path}, line {start_line + i}"
        body = _TAGS.sub("", _ASS_OVERRIDE.sub("", "\n".join(lines[i + 1 :])))
        top = bool(re.search(r"\{\\an[789]\}", "\n".join(lines[i + 1 :])))
        cue = _cue(_time(a, _SRT_TIME, where), _time(b, _SRT_TIME, where), body, where, top)
        if cue:
            cues.append(cue)
        if len(cues) > MAX_CUES:
            raise InputError(f"{path}: more than {MAX_CUES} subtitles")
    return _finish(cues, path)


def parse_ass(path: str | os.PathLike[str]) -> list[Cue]:
    text = _read(path).replace("\r\n", "\n").replace("\r", "\n")
    fields: list[str] | None = None
    section = ""
    cues: list[Cue] = []
    for n, line in enumerate(text.split("\n"), 1):
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            section = s.lower()
            continue
        if section != "[events]":
            continue
        key, _, rest = s.partition(":")
        if key == "Format":
            fields = [f.strip().lower() for f in rest.split(",")]
            if not {"start", "end", "text"} <= set(fields):
                raise InputError(f"{path}, line {n}: the Events Format needs Start, End and Text")
        elif key == "Dialogue":
            if fields is None:
                raise InputError(f"{path}, line {n}: Dialogue before the Events 'Format:' line")
            parts = rest.split(",", len(fields) - 1)
            if len(parts) != len(fields):
                raise InputError(f"{path}, line {n}: expected {len(fields)} comma-separated fields")
            row = dict(zip(fields, (p.strip() for p in parts), strict=True))
            where = f"{path}, line {n}"
            raw = row["text"]
            body = _ASS_OVERRIDE.sub("", raw).replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
            top = bool(re.search(r"\\an[789]", raw))
            start, end = _time(row["start"], _ASS_TIME, where), _time(row["end"], _ASS_TIME, where)
            cue = _cue(start, end, body, where, top)
            if cue:
                cues.append(cue)
            if len(cues) > MAX_CUES:
                raise InputError(f"{path}: more than {MAX_CUES} subtitles")
    if fields is None:
        raise InputError(f"{path}: no [Events] section with a Format line: is this an ASS/SSA file?")
    return _finish(cues, path)


def _finish(cues: list[Cue], path: str | os.PathLike[str]) -> list[Cue]:
    if not cues:
        raise InputError(f"{path}: no subtitles found")
    return sorted(cues, key=lambda c: (c.start, c.end))


def parse_subtitles(path: str | os.PathLike[str]) -> list[Cue]:
    """Parse ``.srt`` or ``.ass``/``.ssa`` by extension."""
    ext = Path(path).suffix.lower()
    if ext == ".srt":
        return parse_srt(path)
    if ext in (".ass", ".ssa"):
        return parse_ass(path)
    raise InputError(f"{path}: subtitles must be .srt, .ass or .ssa")
