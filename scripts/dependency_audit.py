"""Dependency audit for `make test`: blocking on findings, not on the network.

``pip-audit`` looks every installed distribution up in a vulnerability service (PyPI's JSON API
or OSV). Where that service cannot be reached, pip-audit does not fail: it marks each package
"not found on PyPI" and still prints "No known vulnerabilities found" — an audit that checked
nothing and says all is well. This wrapper reads pip-audit's JSON and says which case it is:

* exit 0, ``audit: N packages checked, no known vulnerabilities``;
* exit 0, ``audit: SKIPPED — the vulnerability service was unreachable ...`` when nothing (or
  almost nothing) could be looked up: a network outage must not break the build, but it must not
  pass for a clean bill either;
* exit 1 with one line per finding (package, version, advisory id, fixed versions) otherwise.

Usage: ``python scripts/dependency_audit.py [--json report.json] [--service pypi|osv]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Below this share of packages actually looked up, the run counts as "service unreachable".
MIN_CHECKED_SHARE = 0.5


@dataclass
class Verdict:
    code: int
    summary: str
    findings: list[str] = field(default_factory=list)
    checked: int = 0
    skipped: int = 0


def judge(report: dict[str, Any]) -> Verdict:
    """Decide from pip-audit's ``--format json`` output (a pure function, unit-tested)."""
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    checked = [d for d in deps if not d.get("skip_reason")]
    findings = [
        f"{d['name']} {d.get('version', '?')}: {v.get('id', '?')} (fixed in {_fixes(v)})"
        for d in checked
        for v in d.get("vulns", [])
    ]
    if findings:
        return Verdict(
            1, f"audit: {len(findings)} known vulnerabilities", findings, len(checked), len(skipped)
        )
    if not deps or len(checked) < MIN_CHECKED_SHARE * len(deps):
        return Verdict(
            0,
            f"audit: SKIPPED — the vulnerability service was unreachable ({len(skipped)} of {len(deps)} "
            "packages could not be looked up); nothing was checked, run `make audit` where PyPI's JSON "
            "API or OSV is reachable",
            [],
            len(checked),
            len(skipped),
        )
    return Verdict(
        0,
        f"audit: {len(checked)} packages checked, no known vulnerabilities ({len(skipped)} not on PyPI)",
        [],
        len(checked),
        len(skipped),
    )


def _fixes(vuln: dict[str, Any]) -> str:
    return ", ".join(vuln.get("fix_versions") or ["-"])


def run_pip_audit(service: str, timeout_s: float) -> dict[str, Any] | str:
    exe = shutil.which("pip-audit") or str(Path(sys.executable).with_name("pip-audit"))
    if not Path(exe).exists():
        return "pip-audit is not installed (pip install 'huafeng[dev]')"
    cmd = [exe, "--local", "--skip-editable", "--format", "json", "--progress-spinner", "off", "-s", service]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"pip-audit did not finish in {timeout_s:.0f} s (network?)"
    try:
        return dict(json.loads(proc.stdout))
    except ValueError:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"pip-audit failed ({tail[0][:200]})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--service", default="pypi", choices=["pypi", "osv"])
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--json", type=Path, help="Also write the verdict here.")
    args = ap.parse_args(argv)
    report = run_pip_audit(args.service, args.timeout)
    if isinstance(report, str):  # could not run at all: also not a finding
        verdict = Verdict(0, f"audit: SKIPPED — {report}")
    else:
        verdict = judge(report)
    print(verdict.summary)
    for f in verdict.findings:
        print(f"  {f}")
    if args.json:
        args.json.write_text(json.dumps(verdict.__dict__, indent=1))
    return verdict.code


if __name__ == "__main__":
    sys.exit(main())
