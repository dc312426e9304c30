"""Parse accuracy of ``--ask`` on phrases written by someone other than the lexicon's author.

``tests/caption/phrases_outside_{dev,holdout}.yaml`` were written from the feature's description
alone, before their writer saw the lexicon or the parser. Each case says which painting style (or
none), which looks, what strength (a band: default, higher, slightly_lower, lower, much_lower, or a
number) and whether to keep the photo's colours. The lexicon may be tuned on the dev set; the
holdout set is only scored. Prints per-field and whole-phrase accuracy for each set.

    python benchmarks/ask_accuracy.py            # this checkout
    PYTHONPATH=/path/to/other/checkout python benchmarks/ask_accuracy.py   # another one, same sets
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SETS = {name: ROOT / "tests" / "caption" / f"phrases_outside_{name}.yaml" for name in ("dev", "holdout")}
BANDS = {
    "default": lambda s: s is None,
    "higher": lambda s: s is not None and s >= 0.99,
    "slightly_lower": lambda s: s is not None and 0.7 <= s < 0.99,
    "lower": lambda s: s is not None and 0.45 <= s <= 0.8,
    "much_lower": lambda s: s is not None and s < 0.45,
}


def judge(case: dict[str, Any], styles: list[Any]) -> dict[str, bool]:
    """Which fields of ``case`` the parser got right (all False when it refused the phrase)."""
    from huafeng.caption.ask import parse_ask
    from huafeng.errors import InputError

    kinds = {s.name: s.kind for s in styles}
    try:
        got = parse_ask(str(case["phrase"]), styles=styles)
    except InputError:
        return {"style": False, "looks": False, "strength": False, "keep_colors": False}
    painting = got.style if got.style is not None and kinds.get(got.style) == "onnx" else None
    looks = set(got.filters)
    if got.style is not None and kinds.get(got.style) == "filter":
        looks |= {got.style} - {"photo"}
    want_s = case.get("strength", "default")
    if isinstance(want_s, (int, float)):
        ok_s = got.strength is not None and abs(got.strength - float(want_s)) <= 0.011
    else:
        ok_s = BANDS[str(want_s)](got.strength)
    return {
        "style": painting == case.get("style"),
        "looks": set(case.get("looks") or []) <= looks,
        "strength": ok_s,
        "keep_colors": got.preserve_color == case.get("keep_colors"),
    }


def score(path: Path, styles: list[Any]) -> dict[str, Any]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = [judge(c, styles) for c in cases]
    fields = {f: sum(r[f] for r in rows) / len(rows) for f in rows[0]}
    whole = sum(all(r.values()) for r in rows) / len(rows)
    wrong = [c["phrase"] for c, r in zip(cases, rows, strict=True) if not all(r.values())]
    return {"cases": len(rows), "whole": whole, "fields": fields, "wrong": wrong}


def main() -> None:
    import os

    os.environ.setdefault("HUAFENG_STYLES_DIR", str(ROOT / "no-such-folder"))  # shipped styles only
    from huafeng.infer.styles import list_styles

    styles = list_styles()
    show_wrong = "--wrong" in sys.argv  # dev set only: the holdout stays unread
    out = {}
    for name, path in SETS.items():
        res = score(path, styles)
        if not (show_wrong and name == "dev"):
            res.pop("wrong")
        out[name] = res
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
