"""snorkel-ie: training-data creation by weak supervision (data programming).

The public API mirrors Snorkel 0.7, so a notebook written for it runs after changing
its imports to ``from snorkel_ie import ...``. Importing this package has no side
effects: it reads no environment variable, opens no database and does not import
TensorFlow (the BiLSTM imports it when it first trains or loads).
"""

from snorkel_ie.candidates import (
    CandidateExtractor,
    Concat,
    DateMatcher,
    DictionaryMatch,
    Intersect,
    Inverse,
    LambdaFunctionMatcher,
    LocationMatcher,
    MiscMatcher,
    Ngrams,
    NumberMatcher,
    OrganizationMatcher,
    PersonMatcher,
    PretaggedCandidateExtractor,
    RegexMatchEach,
    RegexMatchSpan,
    Union,
)
from snorkel_ie.db.engine import make_engine
from snorkel_ie.db.models import (
    Candidate,
    Context,
    Document,
    Sentence,
    Span,
    TemporarySpan,
    candidate_subclass,
)
from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.errors import SnorkelIEError
from snorkel_ie.labeling import (
    AnnotationMatrix,
    FeatureAnnotator,
    LabelAnnotator,
    load_gold_labels,
    load_marginals,
    majority_vote_score,
    save_marginals,
)
from snorkel_ie.learning import (
    DEP_EXCLUSIVE,
    DEP_FIXING,
    DEP_REINFORCING,
    DEP_SIMILAR,
    BiLSTM,
    DependencySelector,
    GenerativeModel,
    GridSearch,
    RandomSearch,
    SparseLogisticRegression,
    reRNN,
)
from snorkel_ie.parsing import (
    BioCXMLDocPreprocessor,
    CorpusParser,
    JSONLDocPreprocessor,
    PubTatorDocPreprocessor,
    Spacy,
    TextDocPreprocessor,
    TSVDocPreprocessor,
)

__version__ = "0.1.0"

__all__ = [
    "DEP_EXCLUSIVE",
    "DEP_FIXING",
    "DEP_REINFORCING",
    "DEP_SIMILAR",
    "AnnotationMatrix",
    "BiLSTM",
    "BioCXMLDocPreprocessor",
    "Candidate",
    "CandidateExtractor",
    "Concat",
    "Context",
    "CorpusParser",
    "DateMatcher",
    "DependencySelector",
    "DictionaryMatch",
    "Document",
    "FeatureAnnotator",
    "GenerativeModel",
    "GridSearch",
    "Intersect",
    "Inverse",
    "JSONLDocPreprocessor",
    "LabelAnnotator",
    "LambdaFunctionMatcher",
    "LocationMatcher",
    "MiscMatcher",
    "Ngrams",
    "NumberMatcher",
    "OrganizationMatcher",
    "PersonMatcher",
    "PretaggedCandidateExtractor",
    "PubTatorDocPreprocessor",
    "RandomSearch",
    "RegexMatchEach",
    "RegexMatchSpan",
    "Sentence",
    "SnorkelIEError",
    "SnorkelSession",
    "Spacy",
    "Span",
    "SparseLogisticRegression",
    "TSVDocPreprocessor",
    "TemporarySpan",
    "TextDocPreprocessor",
    "Union",
    "candidate_subclass",
    "load_gold_labels",
    "load_marginals",
    "majority_vote_score",
    "make_engine",
    "reRNN",
    "save_marginals",
]
