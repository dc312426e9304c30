"""Peak resident memory (RSS) of a run, measured in its own child process.

Why a child process per measurement: peak RSS is a high-water mark. Measured in the benchmark's
own process it would include PyTorch (loaded for the metrics), the other system's model and
every earlier, larger image; in a fresh child it is exactly "import, load the style, stylize".

Two pitfalls, both measured here, decide how:

* ``resource.getrusage(RUSAGE_CHILDREN)`` reports the *largest* child ever waited for, so after
  one 2 GB child every later reading says 2 GB. ``os.wait4`` returns the one reaped child's.
* Linux carries ``ru_maxrss`` **across exec**: a child forked (or vforked) from a 150 MB parent
  reports at least 150 MB even if the program it execs peaks at 70 MB. So the child is started by
  a tiny launcher (``python -S``, about 10 MB) that spawns the command and reports ``wait4``'s
  figure; the launcher's own size is the floor of the measurement, far below any real run.

Cross-check: a Python child can print its own ``VmHWM`` (:func:`self_peak_rss_bytes`), the
per-process high-water mark, which exec resets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RssRun:
    """A finished child process: its exit code, output and peak RSS in bytes."""

    returncode: int
    stdout: str
    stderr: str
    peak_rss_bytes: int | None

    @property
    def peak_rss_mib(self) -> float | None:
        return None if self.peak_rss_bytes is None else self.peak_rss_bytes / 2**20


def _maxrss_bytes(ru_maxrss: int) -> int:
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024  # Linux reports KiB


# Runs argv[2:] and writes "<exit code> <ru_maxrss>" to fd argv[1]; imports nothing but os/sys.
_LAUNCHER = """
import os, sys
fd, argv = int(sys.argv[1]), sys.argv[2:]
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
os.write(fd, f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}".encode())
"""


def run_peak_rss(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
) -> RssRun:
    """Run ``argv`` to completion and return its peak RSS (``None`` where the OS cannot tell)."""
    if not hasattr(os, "wait4") or not hasattr(os, "posix_spawnp"):  # pragma: no cover - Windows
        done = subprocess.run(list(argv), capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
        return RssRun(done.returncode, done.stdout, done.stderr, None)
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                [sys.executable, "-S", "-c", _LAUNCHER, str(write_fd), *argv],
                stdout=out,
                stderr=err,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                pass_fds=(write_fd,),
                start_new_session=True,  # so a timeout can kill the launcher and its child together
            )
        finally:
            os.close(write_fd)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            with os.fdopen(read_fd, "rb") as f:
                report = f.read().decode().split()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0 or len(report) != 2:  # the launcher itself failed (e.g. command not found)
        return RssRun(proc.returncode or 1, stdout, stderr, None)
    return RssRun(int(report[0]), stdout, stderr, _maxrss_bytes(int(report[1])))


def self_peak_rss_bytes() -> int | None:
    """This process's own peak RSS: ``VmHWM`` where ``/proc`` exists, else ``getrusage``."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource

        return _maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    except ImportError:  # pragma: no cover - Windows
        return None
