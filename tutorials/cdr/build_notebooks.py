"""Write the CDR tutorial notebooks (``python tutorials/cdr/build_notebooks.py``).

Same conventions as ``tutorials/build_notebooks.py`` (whose cell helpers this reuses):
notebooks are written without outputs, and ``tests/tutorials`` executes them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_tutorial_builder", HERE.parent / "build_notebooks.py")
_builder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_builder)
md, code, SESSION = _builder.md, _builder.code, _builder.SESSION

SETUP = """\
from snorkel_ie.examples.spouse import max_docs_from_env

# SNORKEL_TUTORIAL_MAX_DOCS limits the run to the first N abstracts of each CDR file (the
# tests use a small subset); unset, the tutorial uses all 1,000 abstracts.
MAX_DOCS = max_docs_from_env()
print("abstracts per file:", "all" if MAX_DOCS is None else MAX_DOCS)"""

PART_1 = [
    md("""
# Chemical-disease relations, part 1: corpus, candidates and gold labels

Which chemicals *induce* which diseases, according to PubMed abstracts? This tutorial
follows the Snorkel CDR tutorial on the BioCreative V CDR corpus (see
`data/PROVENANCE.md`). The chemical and disease mentions are tagged in the corpus
(PubTator format), so every (chemical, disease) pair of mentions within one sentence is
a **candidate**; the corpus's document-level CID relations give gold labels, which we use
only to *evaluate*.

Splits: train (split 0) = the CDR training set plus the first half of the development
set; dev (split 1) = the second half of the development set. The official test set is not
shipped. The helpers live in `snorkel_ie.examples.cdr`.
"""),
    code(SETUP),
    code(SESSION),
    md("""
## Parse, extract, load gold

`load_corpus` runs three stages, each idempotent (run it twice: nothing is duplicated):

1. `CorpusParser(parser=Spacy('en_core_web_sm')).apply(PubTatorDocPreprocessor(...))`
   stores documents, sentences with token arrays, and a span per tagged mention (spaCy
   falls back to a blank English pipeline, with a warning, when the trained one is not installed);
2. `PretaggedCandidateExtractor(ChemicalDisease, ['Chemical', 'Disease'])` makes the candidates of each split;
3. gold labels: a candidate is positive when its (chemical MeSH, disease MeSH) pair is a CID pair of its document.
"""),
    code("""
from snorkel_ie.examples.cdr import ChemicalDisease, load_corpus, split_sizes

summary = load_corpus(session, max_docs=MAX_DOCS, progress=False)
print(summary)
split_sizes(session)"""),
    md("## A look at the data"),
    code("""
from sqlalchemy import select
from snorkel_ie import Document

doc = session.scalars(select(Document).order_by(Document.id)).first()
print(doc.name, "-", len(doc.sentences), "sentences;", len(doc.meta["relations"]), "CID relations")
print(doc.sentences[0].text)
cand = session.scalars(select(ChemicalDisease).order_by(ChemicalDisease.id)).first()
print(cand, "| chemical MeSH and disease MeSH:", cand.get_cids())"""),
    code("""
from snorkel_ie import load_gold_labels

L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)
print(L_gold_dev.shape, "dev candidates,", int((L_gold_dev.toarray() == 1).sum()), "gold positive")"""),
]

PART_2 = [
    md("""
# Part 2: labeling functions, structure learning and the generative model

A labeling function (LF) takes a candidate and returns +1 (induces), -1 (does not) or 0
(abstain). The helpers of `snorkel_ie.labeling.lf_helpers` keep the Snorkel 0.7 names:
`get_tagged_text(c)` gives the sentence with the chemical as `{{A}}` and the disease as `{{B}}`.
"""),
    code(SETUP),
    code(SESSION),
    code("""
from snorkel_ie.examples.cdr import ChemicalDisease, training_cid_documents
from snorkel_ie.labeling.lf_helpers import get_tagged_text, rule_regex_search_btw_AB, rule_regex_search_btw_BA

def LF_d_induced_by_c_example(c):
    \"\"\"'hepatitis induced by halothane': disease, then 'induced by', then chemical.\"\"\"
    return rule_regex_search_btw_BA(c, ".{0,50}(induced|caused) (by|with).{0,50}", 1)

def LF_c_treats_d_example(c):
    \"\"\"'dexamethasone in the treatment of nausea': a therapy, not a cause.\"\"\"
    return rule_regex_search_btw_AB(c, ".{0,50}(treat|prevent|therap).{0,50}", -1)

from sqlalchemy import select

for c in session.scalars(select(ChemicalDisease).order_by(ChemicalDisease.id).limit(5)):
    print(LF_d_induced_by_c_example(c), LF_c_treats_d_example(c), get_tagged_text(c)[:110])"""),
    md("""
The tutorial's full set, in `snorkel_ie.examples.cdr_lfs`, adds textual patterns,
structure (distance, intervening mentions, the document's title) and distant supervision
from the CID pairs of the *train* documents (each train candidate's own document left
out, so the knowledge base looks on train as it will on new documents).
"""),
    code("""
from snorkel_ie import LabelAnnotator
from snorkel_ie.examples.cdr_lfs import make_lfs

LFs = make_lfs(training_cid_documents(session)) + [LF_d_induced_by_c_example, LF_c_treats_d_example]
labeler = LabelAnnotator(lfs=LFs)
L_train = labeler.apply(split=0, progress=False)
L_dev = labeler.apply_existing(split=1, progress=False)
L_train.shape, L_dev.shape"""),
    md("Applying again only runs LFs that are new or whose source changed (try editing one):"),
    code("""
L_train = labeler.apply(split=0, progress=False)
print(labeler.last_summary)"""),
    code("""
from snorkel_ie import load_gold_labels, majority_vote_score

L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)
L_dev.lf_stats(session, L_gold_dev)"""),
    code("majority_vote_score(L_dev, L_gold_dev)"),
    md("""
## Structure learning

LFs written by one person are often variations of each other; a model that assumes them
independent double-counts them. `optimize` first bounds the advantage of a weighted vote
over majority vote (Algorithm 1 of the Snorkel paper), then sweeps the dependency
threshold and picks the elbow.
"""),
    code("""
import matplotlib.pyplot as plt
from snorkel_ie.learning.generative import optimize

choice = optimize(L_train)
print(choice.strategy, "| advantage bound", round(choice.advantage, 4), "| label density", round(choice.label_density, 2))
deps = sorted(choice.deps or ())
if choice.sweep is not None:
    plt.plot(choice.sweep.thresholds, choice.sweep.counts, marker="o")
    plt.xlabel("threshold"); plt.ylabel("selected dependencies"); plt.title(f"elbow at {choice.sweep.elbow}")
    plt.show()
deps"""),
    md("## The generative model"),
    code("""
from snorkel_ie import GenerativeModel

gen_model = GenerativeModel(lf_class_propensity=True, class_prior=True)
gen_model.train(L_train, deps=deps)
gen_model.score(L_dev, L_gold_dev)"""),
    code("gen_model.learned_lf_stats().head(10)"),
    code("""
from snorkel_ie import save_marginals
from snorkel_ie.learning.plots import plot_marginals_histogram

train_marginals = gen_model.marginals(L_train)
plot_marginals_histogram(train_marginals, title="training marginals")
save_marginals(session, L_train, train_marginals)"""),
]

PART_3 = [
    md("""
# Part 3: a BiLSTM trained on the marginals

The generative model only labels candidates some LF votes on. A discriminative model
trained on its probabilistic labels (with a noise-aware loss) reads the whole sentence
and generalises beyond the LFs. The two arguments are marked in the token sequence, as
in Snorkel's reRNN.
"""),
    code(SETUP),
    code(SESSION),
    code("""
from sqlalchemy import select
from snorkel_ie import load_gold_labels, load_marginals
from snorkel_ie.examples.cdr import ChemicalDisease

train_cands = session.scalars(select(ChemicalDisease).where(ChemicalDisease.split == 0).order_by(ChemicalDisease.id)).all()
dev_cands = session.scalars(select(ChemicalDisease).where(ChemicalDisease.split == 1).order_by(ChemicalDisease.id)).all()
train_marginals = load_marginals(session, split=0)
L_gold_dev = load_gold_labels(session, annotator_name="gold", split=1)
len(train_cands), len(dev_cands), train_marginals.shape"""),
    md("""
The model reads a window of 50 tokens around the two arguments. It trains for a fixed
number of epochs with fixed settings: the dev split is scored after every epoch to watch
training, but nothing (epoch, threshold, settings) is chosen on it (`dev_ckpt=False`), so
the dev scores below are held out. The training marginals are used as they are: none sits
exactly at 0.5 (nothing for the label balancer to drop), and `rebalance` is left off, as
subsampling the positives to a fixed fraction would throw away what the LFs found.
"""),
    code("""
from snorkel_ie import BiLSTM

EPOCHS = 10 if MAX_DOCS is None else 2
lstm = BiLSTM(seed=1701)
lstm.train(train_cands, train_marginals, X_dev=dev_cands, Y_dev=L_gold_dev, dev_ckpt=False,
           n_epochs=EPOCHS, lr=0.003, dropout=0.5, max_sentence_length=50, seed=1701)"""),
    code("p, r, f1 = lstm.score(dev_cands, L_gold_dev)"),
    md("""
## Scoring per chemical-disease pair

The gold labels describe a (document, chemical, disease) pair, not a sentence: every
mention of a pair in an abstract gets the label of the pair. The BiLSTM reads one sentence
at a time, and a pair is usually stated in only one of its sentences (often the title).
Pooling the marginals over the mentions of a pair, each taking the largest
(`groups=`), lets that sentence speak for the pair:
"""),
    code("""
dev_pairs = [(c.sentence.document_id, *c.get_cids()) for c in dev_cands]
p, r, f1 = lstm.score(dev_cands, L_gold_dev, groups=dev_pairs)"""),
    code("""
tp, fp, tn, fn = lstm.error_analysis(session, dev_cands, L_gold_dev, groups=dev_pairs)
for c in list(fn)[:3]:
    print("missed:", c)"""),
    code("""
lstm.save_marginals(session, dev_cands)
lstm.save("cdr_bilstm")"""),
]


def main() -> None:
    for name, cells in (("1_corpus_and_candidates", PART_1), ("2_labeling_functions", PART_2),
                        ("3_bilstm", PART_3)):  # fmt: skip
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
