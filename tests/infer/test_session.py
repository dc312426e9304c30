"""ORT session wrapper: thread settings, caching and sharing, model contract checks."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from huafeng.errors import InputError
from huafeng.infer import session
from huafeng.infer.session import get_session, inspect_model, resolve_threads

from .conftest import Models, conv_model


def test_threads_argument_then_env_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUAFENG_THREADS", "3")
    assert resolve_threads(2) == 2
    assert resolve_threads(None) == 3
    assert resolve_threads(0) is None  # 0 = ORT's own choice
    monkeypatch.delenv("HUAFENG_THREADS")
    assert resolve_threads(None) is None
    monkeypatch.setenv("HUAFENG_THREADS", "lots")
    with pytest.raises(InputError, match="HUAFENG_THREADS"):
        resolve_threads(None)
    with pytest.raises(InputError):
        resolve_threads(-1)


def test_session_options_are_applied(models: Models) -> None:
    import onnxruntime as ort

    s = get_session(models.conv, threads=2)
    opts = s._sess.get_session_options()
    assert opts.intra_op_num_threads == 2
    assert opts.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert s._sess.get_providers() == ["CPUExecutionProvider"]


def test_sessions_are_cached_per_path_and_threads(models: Models) -> None:
    a = get_session(models.conv, threads=1)
    assert get_session(str(models.conv), threads=1) is a
    assert get_session(models.conv, threads=2) is not a
    assert get_session(models.conv, threads=1, spin=False) is not a  # video's sleeping threads


def test_replaced_file_is_reloaded(tmp_path: Path) -> None:
    path = conv_model(tmp_path / "m.onnx", name="first")
    assert inspect_model(path).meta("name") == "first"
    conv_model(tmp_path / "m.onnx", name="second_version")  # different size → new cache key
    os.utime(path, ns=(1, 1))
    assert inspect_model(path).meta("name") == "second_version"


def test_concurrent_first_use_builds_one_session(models: Models, monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    real = session.Session

    def counting(path: Path, threads: int | None, **kw: bool) -> session.Session:
        built.append(path)
        return real(path, threads, **kw)

    monkeypatch.setattr(session, "Session", counting)
    got: list[session.Session] = []
    workers = [threading.Thread(target=lambda: got.append(get_session(models.conv, 1))) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(built) == 1 and len({id(s) for s in got}) == 1


def test_shared_session_runs_concurrently(models: Models) -> None:
    s = get_session(models.conv, 1)
    rng = np.random.default_rng(1)
    inputs = [rng.random((1, 3, 20 + i, 17), dtype=np.float32) for i in range(4)]
    expected = [s.run(x) for x in inputs]
    results: dict[int, np.ndarray] = {}
    threads = [
        threading.Thread(target=lambda i=i: results.__setitem__(i, s.run(inputs[i]))) for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        np.testing.assert_array_equal(results[i], expected[i])


def test_model_info_from_metadata(models: Models) -> None:
    info = inspect_model(models.multi)
    assert (info.input_name, info.output_name, info.style_input) == ("input", "output", "style")
    assert info.style_dim == 2 and info.style_names == ("photo", "negative")
    assert info.meta("tradition") == "test pattern" and info.card["data"] == "synthetic"
    assert inspect_model(models.multiple8).multiple == 8
    assert inspect_model(models.conv).style_names == ()


def test_contract_violations_are_input_errors(models: Models, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expected one image input"):
        inspect_model(models.two_inputs)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a protobuf \x00\xff" * 10)
    with pytest.raises(InputError, match="not a loadable ONNX model"):
        inspect_model(junk)
    with pytest.raises(InputError, match="no such model file"):
        inspect_model(tmp_path / "missing.onnx")
    with pytest.raises(InputError, match="exceeds the model size limit"):
        get_session(models.conv, max_bytes=100)


def test_model_that_rejects_a_shape_gives_one_line_error(models: Models) -> None:
    s = get_session(models.strict8, 1)
    with pytest.raises(InputError, match=r"strict8.onnx: model failed on a 1x3x10x12 input") as e:
        s.run(np.zeros((1, 3, 10, 12), np.float32))
    assert "\n" not in str(e.value)
