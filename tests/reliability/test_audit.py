"""The audit wrapper tells "clean" from "could not check" from "vulnerable" (pip-audit alone does not)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dependency_audit.py"


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dependency_audit", SCRIPT)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def _dep(
    name: str, vulns: list[dict[str, object]] | None = None, skip: str | None = None
) -> dict[str, object]:
    d: dict[str, object] = {"name": name, "version": "1.0"}
    if skip:
        d["skip_reason"] = skip
    else:
        d["vulns"] = vulns or []
    return d


def test_unreachable_service_is_a_loud_skip_not_a_pass(audit: ModuleType) -> None:
    """What this machine gets: every package 'not found on PyPI', and pip-audit says all is well."""
    report = {"dependencies": [_dep(f"p{i}", skip="Dependency not found on PyPI") for i in range(120)]}
    v = audit.judge(report)
    assert v.code == 0 and "SKIPPED" in v.summary and "120 of 120" in v.summary


def test_findings_block(audit: ModuleType) -> None:
    vuln = {"id": "GHSA-xxxx", "fix_versions": ["2.0"]}
    report = {"dependencies": [_dep("a"), _dep("b", [vuln]), _dep("c")]}
    v = audit.judge(report)
    assert v.code == 1 and v.findings == ["b 1.0: GHSA-xxxx (fixed in 2.0)"]


def test_clean_when_most_packages_checked(audit: ModuleType) -> None:
    report = {"dependencies": [_dep("a"), _dep("b"), _dep("local", skip="not on PyPI")]}
    v = audit.judge(report)
    assert v.code == 0 and "2 packages checked" in v.summary and "SKIPPED" not in v.summary


def test_empty_report_is_a_skip(audit: ModuleType) -> None:
    assert "SKIPPED" in audit.judge({"dependencies": []}).summary
