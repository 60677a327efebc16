"""GenerativeModel.train(verbose=...) shows a tqdm bar over the epochs, on stderr (issue 21)."""

from __future__ import annotations

import logging
import re
import warnings

import pytest

from snorkel_ie.learning.generative import GenerativeModel
from snorkel_ie.learning.generative.dependencies import DEP_SIMILAR
from snorkel_ie.learning.generative.synthetic import make_independent

_BAR = re.compile(r"generative model( \(converged\))?: .*?(\d+)/(\d+) \[[^\]]*\]")


def _matrix(seed: int = 0):
    L, _ = make_independent(3_000, [0.85, 0.75, 0.7, 0.65, 0.8], [0.5, 0.4, 0.3, 0.5, 0.2], seed=seed)
    return L


def _final_bar(err: str) -> tuple[bool, int, int, str]:
    """(converged shown, count, total, text) of the last render of the bar in ``err``."""
    renders = [r for r in re.split(r"[\r\n]", err) if _BAR.search(r)]
    assert renders, f"no generative-model bar on stderr: {err!r}"
    last = renders[-1]
    match = _BAR.search(last)
    return match.group(1) is not None, int(match.group(2)), int(match.group(3)), last


@pytest.mark.parametrize("seed", range(3))
def test_bar_closes_at_the_epochs_run_when_training_converges_early(seed, capsys):
    model = GenerativeModel()
    model.train(_matrix(seed), verbose=True)
    converged, count, total, last = _final_bar(capsys.readouterr().err)
    assert model.converged_ and model.epochs_run_ < 300
    assert (converged, count, total) == (True, model.epochs_run_, 300)
    assert f"loglik={model.loss_history_[-1]:.5f}" in last


@pytest.mark.parametrize(
    ("kwargs", "train"),
    [
        ({}, {"epochs": 3}),  # the exact updates, stopped by the budget
        ({"lf_class_propensity": True}, {"epochs": 2}),  # EM (two starts; the bar shows the fit kept)
        ({}, {"epochs": 4, "deps": [(0, 1, DEP_SIMILAR)]}),  # a sampled fit: no log-likelihood
    ],
)
def test_bar_counts_every_epoch_up_to_the_budget(kwargs, train, capsys):
    model = GenerativeModel(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in so few epochs
        model.train(_matrix(), verbose=True, **train)
    err = capsys.readouterr().err
    converged, count, total, last = _final_bar(err)
    assert (converged, count, total) == (False, train["epochs"], train["epochs"]) == (False, model.epochs_run_, total)
    assert ("loglik=" in last) == ("deps" not in train)
    assert "nan" not in err


def test_quiet_training_prints_nothing_and_info_logging_shows_the_bar(capsys):
    L = _matrix()
    GenerativeModel().train(L, verbose=False)
    GenerativeModel().train(L)  # the default follows the snorkel_ie logger, at WARNING here
    assert capsys.readouterr() == ("", "")
    logger = logging.getLogger("snorkel_ie")
    before = logger.level
    logger.setLevel(logging.INFO)
    try:
        model = GenerativeModel()
        model.train(L)
        quiet = GenerativeModel()
        out_before = capsys.readouterr()
        quiet.train(L, verbose=False)  # an explicit False wins over the logger
        assert capsys.readouterr() == ("", "")
    finally:
        logger.setLevel(before)
    assert _final_bar(out_before.err)[1:3] == (model.epochs_run_, 300)
