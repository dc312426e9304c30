"""The tradition classifier: the shipped model loads safely, beats chance on held-out paintings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from huafeng.eval.classifier import (
    CLASSES,
    DEFAULT_PATH,
    DeceptionRate,
    TraditionClassifier,
    balanced_accuracy,
    collect,
    fit_softmax,
    is_test,
    tradition_class,
)
from huafeng.eval.features import FeatureCache


def test_shipped_model_loads_without_pickle_and_has_a_card() -> None:
    with np.load(DEFAULT_PATH, allow_pickle=False) as z:
        assert z["weight"].shape == (len(CLASSES), 1280)
    clf = TraditionClassifier.load()
    assert clf.classes == CLASSES
    card = clf.card
    assert card["heldout_accuracy"] > 3 * card["chance_accuracy"]
    cm = np.array(card["confusion_matrix"]["counts"])
    assert cm.shape == (len(CLASSES),) * 2
    assert cm.sum() == sum(c["test"] for c in card["counts"].values())
    assert np.trace(cm) / cm.sum() == pytest.approx(card["heldout_accuracy"])
    assert set(card["licences"]) == set(CLASSES) and DEFAULT_PATH.stat().st_size < 200_000


def test_split_is_by_file_and_stable() -> None:
    assert is_test("styles/x/a.jpg") == is_test("styles/x/a.jpg")
    share = np.mean([is_test(f"styles/x/{i}.jpg") for i in range(2000)])
    assert 0.2 < share < 0.3


def test_above_chance_on_held_out_paintings(shared_data: Path) -> None:
    """Re-score a few held-out paintings per class (never seen in training) with the shipped model."""
    held = [s for s in collect(shared_data, 120) if is_test(s.relpath)]
    picks = [s for c in CLASSES for s in [x for x in held if x.label == c][:2]]
    feats = FeatureCache(None).of_files([shared_data / s.relpath for s in picks])
    pred = TraditionClassifier.load().predict(feats)
    acc = np.mean([p == s.label for p, s in zip(pred, picks, strict=True)])
    assert acc > 2 / len(CLASSES)  # chance is 1/9; the card reports the full held-out figure


def test_fit_softmax_learns_separable_classes(rng: np.random.Generator) -> None:
    centres = rng.normal(0, 3, (3, 8))
    y = np.repeat(np.arange(3), [50, 10, 30])  # unbalanced on purpose
    x = centres[y] + rng.normal(0, 1, (len(y), 8))
    w, b = fit_softmax(x, y, 3, 1e-2)
    assert balanced_accuracy(y, (x @ w.T + b).argmax(1), 3) > 0.95


def test_tradition_names_and_deception(chelsea: np.ndarray) -> None:
    assert tradition_class("japanese_ukiyoe_and_edo") == "ukiyoe"
    assert tradition_class("styles/chinese_shanshui_landscape") == "shanshui_ink"
    assert tradition_class("classic filter") is None
    with pytest.raises(ValueError, match="no classifier class"):
        DeceptionRate(target="cubism")
    res = DeceptionRate(target="content").evaluate([chelsea])  # a photo passes as a photo
    assert res.value == 1.0 and res.extra["predicted"] == {"photo": 1}


def test_protocol_photos_are_always_held_out() -> None:
    from huafeng.eval.classifier import protocol_photos
    from huafeng.eval.protocol import load_protocol

    named = {f"content/{n}" for n in load_protocol("standard").content}
    assert named and named <= protocol_photos()
    assert all(is_test(p) for p in named)


def test_retrain_script_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    from huafeng.eval.retrain_classifier import main

    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0 and "--data" in capsys.readouterr().out
