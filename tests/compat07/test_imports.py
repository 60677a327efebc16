"""Every Snorkel 0.7 module path resolves after renaming ``snorkel`` to ``snorkel_ie``, to the very
objects of today's modules (re-exports, never copies), and importing them stays light."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys

import pytest

# 0.7 module path -> {name: "today's module:attribute"}
PATHS: dict[str, dict[str, str]] = {
    "snorkel_ie": {
        n: f"snorkel_ie.{m}:{n}"
        for n, m in {
            "SnorkelSession": "db.session",
            "candidate_subclass": "db.models",
            "CorpusParser": "parsing",
            "LabelAnnotator": "labeling",
            "GenerativeModel": "learning.generative",
        }.items()
    },
    "snorkel_ie.models": {
        n: f"snorkel_ie.db.models:{n}"
        for n in (
            "Candidate Context Document Sentence Span TemporarySpan RawText StableLabel GoldLabel GoldLabelKey "
            "Label LabelKey Feature FeatureKey Marginal Prediction AnnotationKey AnnotatorRun CandidateClass "
            "CandidateSpan candidate_subclass"
        ).split()
    }
    | {"SnorkelSession": "snorkel_ie.db.session:SnorkelSession", "SnorkelBase": "snorkel_ie.db.models:Base"},
    "snorkel_ie.annotations": {
        n: f"snorkel_ie.labeling:{n}"
        for n in (
            "LabelAnnotator FeatureAnnotator load_gold_labels save_marginals load_marginals load_matrix "
            "csr_AnnotationMatrix AnnotationMatrix"
        ).split()
    },
    "snorkel_ie.parser": {
        n: f"snorkel_ie.parsing:{n}"
        for n in (
            "CorpusParser DocPreprocessor TSVDocPreprocessor TextDocPreprocessor XMLMultiDocPreprocessor "
            "Spacy BioCXMLDocPreprocessor PubTatorDocPreprocessor JSONLDocPreprocessor"
        ).split()
    },
    "snorkel_ie.parser.spacy_parser": {"Spacy": "snorkel_ie.parsing.spacy_parser:Spacy"},
    "snorkel_ie.candidates": {
        n: f"snorkel_ie.candidates.extractor:{n}" for n in ("CandidateExtractor", "PretaggedCandidateExtractor")
    }
    | {"Ngrams": "snorkel_ie.candidates.ngrams:Ngrams"},
    "snorkel_ie.lf_helpers": {
        n: f"snorkel_ie.labeling.lf_helpers:{n}"
        for n in (
            "get_left_tokens get_right_tokens get_between_tokens get_text_between get_tagged_text is_inverted "
            "rule_regex_search_btw_AB rule_regex_search_btw_BA rule_regex_search_before_A "
            "rule_regex_search_before_B rule_regex_search_tagged_text get_doc_candidate_spans "
            "get_sent_candidate_spans get_matches test_LF contains_token"
        ).split()
    },
    "snorkel_ie.matchers": {
        n: f"snorkel_ie.candidates.matchers:{n}"
        for n in (
            "DictionaryMatch RegexMatchSpan RegexMatchEach PersonMatcher OrganizationMatcher LocationMatcher "
            "DateMatcher NumberMatcher MiscMatcher LambdaFunctionMatcher"
        ).split()
    }
    | {n: f"snorkel_ie.candidates.combinators:{n}" for n in "Union Intersect Inverse Concat SlotFillMatch".split()},
    "snorkel_ie.features": {"get_span_feats": "snorkel_ie.labeling.featurizers:get_span_feats"},
    "snorkel_ie.db_helpers": {"reload_annotator_labels": "snorkel_ie.labeling.stable_labels:reload_annotator_labels"},
    "snorkel_ie.utils": {
        n: f"snorkel_ie.labeling.stats:{n}"
        for n in "matrix_coverage matrix_overlaps matrix_conflicts sparse_abs".split()
    }
    | {"tokens_to_ngrams": "snorkel_ie.labeling.lf_helpers:tokens_to_ngrams"},
    "snorkel_ie.learning": {n: f"snorkel_ie.learning.generative:{n}" for n in ("GenerativeModel", "DependencySelector")}
    | {"RandomSearch": "snorkel_ie.learning.tuning:RandomSearch", "reRNN": "snorkel_ie.learning.discriminative:reRNN"},
    "snorkel_ie.learning.gen_learning": {
        n: f"snorkel_ie.learning.generative:{n}"
        for n in "GenerativeModel GenerativeModelWeights DEP_SIMILAR DEP_FIXING DEP_REINFORCING DEP_EXCLUSIVE".split()
    },
    "snorkel_ie.learning.structure": {
        "DependencySelector": "snorkel_ie.learning.generative:DependencySelector",
        "generate_model": "snorkel_ie.learning.structure.synthetic:generate_model",
        "generate_label_matrix": "snorkel_ie.learning.structure.synthetic:generate_label_matrix",
    },
    "snorkel_ie.learning.tensorflow": {
        n: f"snorkel_ie.learning.discriminative:{n}" for n in ("reRNN", "SparseLogisticRegression", "BiLSTM")
    }
    | {"TextRNN": "snorkel_ie.learning.tensorflow.text_rnn:TextRNN"},
    "snorkel_ie.learning.pytorch": {"LSTM": "snorkel_ie.learning.pytorch.rnn:LSTM"},
    "snorkel_ie.learning.pytorch.rnn": {"LSTM": "snorkel_ie.learning.pytorch.rnn:LSTM"},
    "snorkel_ie.learning.utils": {
        n: f"snorkel_ie.learning.utils:{n}" for n in ("print_scores", "binary_scores", "BinaryScores")
    },
    "snorkel_ie.contrib.models.text": {"RawText": "snorkel_ie.db.models:RawText"},
    "snorkel_ie.viewer": {"SentenceNgramViewer": "snorkel_ie.viewer.widget:SentenceNgramViewer"},
}


def _resolve(target: str) -> object:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_compat07_module_path_reexports_todays_objects(path: str) -> None:
    module = importlib.import_module(path)
    for name, target in PATHS[path].items():
        assert getattr(module, name) is _resolve(target), f"{path}.{name} is not {target}"
        if hasattr(module, "__all__"):
            assert name in module.__all__, f"{name} missing from {path}.__all__"


def test_compat07_all_lists_only_names_the_module_has() -> None:
    for path in PATHS:
        if importlib.util.find_spec(path) is None:
            continue
        module = importlib.import_module(path)
        missing = [n for n in getattr(module, "__all__", ()) if not hasattr(module, n)]
        assert not missing, f"{path}.__all__ names {missing}, which it does not have"


def test_compat07_module_paths_import_without_tensorflow_torch_or_spacy() -> None:
    paths = [p for p in PATHS if p != "snorkel_ie.viewer"]
    code = (
        "import importlib, sys\n"
        f"for p in {paths!r}: importlib.import_module(p)\n"
        "import snorkel_ie.learning.tensorflow as tf_mod, snorkel_ie.learning.pytorch as pt\n"
        "tf_mod.reRNN, pt.LSTM\n"
        "print(sorted(m for m in ('tensorflow', 'torch', 'spacy', 'keras') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
