"""Static checks over ``huafeng/``: nothing a stranger supplies can run code or rewrite a query.

These read the source with :mod:`ast` (not regexes over text), so a call split over lines or a
comment that mentions ``pickle`` neither hides nor fakes a finding. Each rule states why.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "huafeng"
SOURCES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


@cache
def _parse(p: Path) -> ast.AST:
    return ast.parse(p.read_text(encoding="utf-8"), filename=str(p))


@cache
def _walk(p: Path) -> tuple[ast.AST, ...]:
    return tuple(ast.walk(_parse(p)))


def _trees() -> Iterator[tuple[Path, tuple[ast.AST, ...]]]:
    for p in SOURCES:
        yield p, _walk(p)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _calls() -> Iterator[tuple[str, ast.Call]]:
    for p, tree in _trees():
        for node in tree:
            if isinstance(node, ast.Call):
                yield f"{p.parent.name}/{p.name}:{node.lineno}", node


def test_sources_found() -> None:
    assert len(SOURCES) > 30


def test_no_pickle_family_imports() -> None:
    """pickle/marshal/dill/shelve/joblib turn bytes into code: nothing of ours may read them."""
    banned = {"pickle", "cPickle", "_pickle", "marshal", "dill", "shelve", "joblib", "cloudpickle"}
    found = []
    for p, tree in _trees():
        for node in tree:
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            found += [f"{p.name}:{node.lineno} {n}" for n in names if n in banned]
    assert not found, found


def test_torch_load_only_with_weights_only() -> None:
    bad = [
        where
        for where, c in _calls()
        if _dotted(c.func).endswith("torch.load") and not _is_true(_kw(c, "weights_only"))
    ]
    assert not bad, f"torch.load without weights_only=True: {bad}"


def test_numpy_load_never_allows_pickle() -> None:
    bad = [
        where
        for where, c in _calls()
        if _dotted(c.func) in ("np.load", "numpy.load") and _is_true(_kw(c, "allow_pickle"))
    ]
    assert not bad, bad


def test_yaml_only_safe_loading() -> None:
    bad = []
    for where, c in _calls():
        name = _dotted(c.func)
        if name in ("yaml.unsafe_load", "yaml.full_load", "yaml.unsafe_load_all", "yaml.full_load_all"):
            bad.append(where)
        if name in ("yaml.load", "yaml.load_all"):
            loader = _kw(c, "Loader") or (c.args[1] if len(c.args) > 1 else None)
            if loader is None or "Safe" not in _dotted(loader):
                bad.append(where)
    assert not bad, f"yaml loading without SafeLoader: {bad}"


def test_no_eval_exec_or_shell() -> None:
    bad = []
    for where, c in _calls():
        name = _dotted(c.func)
        if name in ("eval", "exec", "compile", "os.system", "os.popen"):
            bad.append(f"{where} {name}")
        if name.startswith("subprocess.") and _is_true(_kw(c, "shell")):
            bad.append(f"{where} shell=True")
    assert not bad, bad


def test_archives_never_extracted_blindly() -> None:
    """``extractall`` follows ``../`` and absolute names in a stranger's archive."""
    bad = [
        where for where, c in _calls() if isinstance(c.func, ast.Attribute) and c.func.attr == "extractall"
    ]
    assert not bad, bad


def _constant_sql(node: ast.expr) -> bool:
    """A literal, a name passed through, or an f-string whose holes are only UPPER_CASE constants."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.Name, ast.Attribute)):
        return True  # a parameter handed on (e.g. a query helper); its callers are checked too
    if isinstance(node, ast.JoinedStr):
        holes = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        return all(isinstance(h, ast.Name) and h.id.isupper() for h in holes)
    return False  # "..." % x, "..." + x, "...".format(x): values spliced into SQL


#: Reviewed exceptions: (file, start of the SQL text) → why it is safe. Keep this list short.
REVIEWED_SQL = {
    (
        "serve/store.py",
        'f"UPDATE jobs SET {',
    ): "column names come from a fixed tuple in update_job; values are ?",
}


def test_sql_built_only_with_parameters() -> None:
    bad = []
    n = 0
    for where, c in _calls():
        if (
            isinstance(c.func, ast.Attribute)
            and c.func.attr
            in (
                "execute",
                "executemany",
                "executescript",
                "_q",
            )
            and c.args
        ):
            n += 1
            text = ast.unparse(c.args[0])
            reviewed = any(where.startswith(f) and text.startswith(t) for f, t in REVIEWED_SQL)
            if not _constant_sql(c.args[0]) and not reviewed:
                bad.append(f"{where} {text[:80]}")
    assert n > 0, "no SQL found at all: the scan is looking in the wrong place"
    assert not bad, f"SQL built from values instead of ? parameters: {bad}"


@pytest.mark.parametrize(
    "snippet, rule",
    [
        ("import pickle", test_no_pickle_family_imports),
        ("torch.load(p)", test_torch_load_only_with_weights_only),
        ("yaml.load(s, Loader=yaml.Loader)", test_yaml_only_safe_loading),
        ('db.execute(f"SELECT * FROM t WHERE id = {x}")', test_sql_built_only_with_parameters),
        ('db.execute("SELECT %s" % x)', test_sql_built_only_with_parameters),
    ],
)
def test_rules_catch_a_planted_violation(
    snippet: str, rule: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each rule fails on a file that breaks it (a check that cannot fail proves nothing)."""
    bad = tmp_path / "planted.py"
    bad.write_text(snippet + "\n")
    monkeypatch.setattr(f"{__name__}.SOURCES", [*SOURCES, bad])
    with pytest.raises(AssertionError):
        rule()  # type: ignore[operator]


def test_a_pickle_posing_as_a_checkpoint_is_refused(tmp_path: Path) -> None:
    """Checkpoints are safetensors + JSON: a pickle (which could run code) is never unpickled."""
    pytest.importorskip("torch")
    from huafeng.errors import InputError
    from huafeng.train.checkpoint import load_checkpoint

    w = tmp_path / "model-0000001.safetensors"
    w.write_bytes(b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93.")
    w.with_suffix(".json").write_text('{"format": 1, "step": 1}')
    with pytest.raises(InputError, match="unreadable checkpoint"):
        load_checkpoint(w)
