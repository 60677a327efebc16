"""snorkel-ie: training-data creation by weak supervision (data programming).

The public API mirrors Snorkel 0.7, so a notebook written for it runs after changing
its imports to ``from snorkel_ie import ...``. Importing this package has no side
effects: it reads no environment variable, opens no database and does not import
TensorFlow (the BiLSTM imports it when it first trains or loads). Names are loaded on first
use, so ``import snorkel_ie.learning.generative`` does not pay for the database layer or spaCy.
"""

from __future__ import annotations

import logging

from snorkel_ie._lazy import lazy_exports

logging.getLogger("snorkel_ie").addHandler(logging.NullHandler())  # the application configures logging

_EXPORTS = {
    "CandidateExtractor": "snorkel_ie.candidates",
    "Concat": "snorkel_ie.candidates",
    "DateMatcher": "snorkel_ie.candidates",
    "DictionaryMatch": "snorkel_ie.candidates",
    "Intersect": "snorkel_ie.candidates",
    "Inverse": "snorkel_ie.candidates",
    "LambdaFunctionMatcher": "snorkel_ie.candidates",
    "LocationMatcher": "snorkel_ie.candidates",
    "MiscMatcher": "snorkel_ie.candidates",
    "Ngrams": "snorkel_ie.candidates",
    "NumberMatcher": "snorkel_ie.candidates",
    "OrganizationMatcher": "snorkel_ie.candidates",
    "PersonMatcher": "snorkel_ie.candidates",
    "PretaggedCandidateExtractor": "snorkel_ie.candidates",
    "RegexMatchEach": "snorkel_ie.candidates",
    "RegexMatchSpan": "snorkel_ie.candidates",
    "SlotFillMatch": "snorkel_ie.candidates",
    "Union": "snorkel_ie.candidates",
    "add_text_candidates": "snorkel_ie.candidates",
    "make_engine": "snorkel_ie.db.engine",
    "Candidate": "snorkel_ie.db.models",
    "Context": "snorkel_ie.db.models",
    "Document": "snorkel_ie.db.models",
    "Sentence": "snorkel_ie.db.models",
    "Span": "snorkel_ie.db.models",
    "TemporarySpan": "snorkel_ie.db.models",
    "candidate_subclass": "snorkel_ie.db.models",
    "SnorkelSession": "snorkel_ie.db.session",
    "SnorkelIEError": "snorkel_ie.errors",
    "export_label_matrix": "snorkel_ie.export",
    "export_training_data": "snorkel_ie.export",
    "AnnotationMatrix": "snorkel_ie.labeling",
    "FeatureAnnotator": "snorkel_ie.labeling",
    "LabelAnnotator": "snorkel_ie.labeling",
    "LabelingFunction": "snorkel_ie.labeling",
    "labeling_function": "snorkel_ie.labeling",
    "load_gold_labels": "snorkel_ie.labeling",
    "load_marginals": "snorkel_ie.labeling",
    "majority_vote_score": "snorkel_ie.labeling",
    "save_marginals": "snorkel_ie.labeling",
    "DEP_EXCLUSIVE": "snorkel_ie.learning",
    "DEP_FIXING": "snorkel_ie.learning",
    "DEP_REINFORCING": "snorkel_ie.learning",
    "DEP_SIMILAR": "snorkel_ie.learning",
    "BiLSTM": "snorkel_ie.learning",
    "DependencySelector": "snorkel_ie.learning",
    "GenerativeModel": "snorkel_ie.learning",
    "GridSearch": "snorkel_ie.learning",
    "RandomSearch": "snorkel_ie.learning",
    "SparseLogisticRegression": "snorkel_ie.learning",
    "reRNN": "snorkel_ie.learning",
    "BioCXMLDocPreprocessor": "snorkel_ie.parsing",
    "CSVDocPreprocessor": "snorkel_ie.parsing",
    "DataFrameDocPreprocessor": "snorkel_ie.parsing",
    "ParquetDocPreprocessor": "snorkel_ie.parsing",
    "CorpusParser": "snorkel_ie.parsing",
    "JSONLDocPreprocessor": "snorkel_ie.parsing",
    "PubTatorDocPreprocessor": "snorkel_ie.parsing",
    "Spacy": "snorkel_ie.parsing",
    "TextDocPreprocessor": "snorkel_ie.parsing",
    "TSVDocPreprocessor": "snorkel_ie.parsing",
}

__version__ = "0.1.0"

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
