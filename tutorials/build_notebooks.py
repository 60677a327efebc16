"""Write the intro and advanced tutorial notebooks from the cell lists below.

Edit the cells here and run ``python tutorials/build_notebooks.py``: the notebooks are
(re)written without outputs, so what is committed is exactly this source. The tests
(``tests/tutorials/test_notebooks.py``) execute every notebook under ``tutorials/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
from snorkel_ie.examples.spouse import max_docs_from_env

# SNORKEL_TUTORIAL_MAX_DOCS limits the run to the first N articles (the tests use a small
# subset); unset, the tutorial uses all 1,761 articles.
MAX_DOCS = max_docs_from_env()
print("articles:", "all" if MAX_DOCS is None else MAX_DOCS)"""

SESSION = """\
from snorkel_ie import SnorkelSession

# $SNORKELDB when set (e.g. postgresql://...), else ./snorkel.db in this folder.
session = SnorkelSession()
print(session.get_bind().url.render_as_string(hide_password=True))"""


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


# --------------------------------------------------------------------- intro 1
INTRO_1 = [
    md("""
# Intro tutorial, part 1: documents, sentences and candidates

We want a classifier that reads a news sentence mentioning two people and says whether
they are **married**. We have no labelled training set. Instead, in part 2 a subject
matter expert (you) writes *labeling functions* (LFs): small Python heuristics that vote
"spouses" (+1), "not spouses" (-1) or abstain (0). Snorkel learns how accurate the LFs
are without ground truth and turns their votes into probabilistic training labels; in
part 3 a BiLSTM learns from those labels and generalises beyond the LFs.

This notebook builds the data the LFs will read:

1. the **articles** (a sample of the Signal Media news dataset) are parsed into
   sentences and tokens with spaCy and stored in a database;
2. every pair of PERSON mentions in one sentence becomes a **candidate** `Spouse(person1, person2)`;
3. crowd **gold labels** are attached, to measure the LFs and the models (never to train).

The documents are split, never the candidates, into train / dev / test (80 / 10 / 10 %)
by a hash of the document id: the split of an article never depends on which other
articles are loaded. The helpers used here live in `snorkel_ie.examples.spouse`.
"""),
    code(SETUP),
    md("""
## The database

Everything is stored in one database: documents, sentences, candidates, labels. A
`SnorkelSession` opens it (SQLite by default; see the README for PostgreSQL).
"""),
    code(SESSION),
    md("""
## The articles and their people

`articles.jsonl` holds the news articles; `person_mentions.tsv` the PERSON mentions an
NER model tagged in them (document offsets). `SpouseDocPreprocessor` reads both and
attaches each mention to its article as a pre-tagged entity of type `PERSON` (the
mention's id is its normalised text). Let us look at the first article.
"""),
    code("""
from snorkel_ie.examples.spouse import SpouseDocPreprocessor, data_dir

print("data folder:", data_dir())
reader = SpouseDocPreprocessor(max_docs=MAX_DOCS)
first = next(reader.records())
print(first.name)
print(first.text[:400], "...")
for m in first.mentions[:5]:
    print(m, repr(first.text[m.start:m.end]))
"""),
    md("""
## Parsing

`CorpusParser` runs spaCy over every article and stores documents, sentences (with
words, lemmas, POS tags, dependencies and the entity tags of the mentions) and a span for
each mention. Tokens are split at mention boundaries and a sentence is never split inside
a mention. The named-entity recogniser is not needed (the mentions are given), so it is
disabled. Parsing is resumable: running the cell again skips the stored articles.

On the full corpus this is the slow step (about 7 CPU minutes with `en_core_web_sm`);
`parallelism=2` parses in two processes.
"""),
    code("""
from snorkel_ie import CorpusParser, Spacy

PARALLELISM = 1 if MAX_DOCS is not None and MAX_DOCS <= 200 else 2
corpus_parser = CorpusParser(parser=Spacy("en_core_web_sm", disable=("ner",)))
parse_summary = corpus_parser.apply(reader, parallelism=PARALLELISM, session=session)
print(parse_summary)
"""),
    code("""
from sqlalchemy import func, select
from snorkel_ie import Document, Sentence

print("documents:", session.scalar(select(func.count()).select_from(Document)))
print("sentences:", session.scalar(select(func.count()).select_from(Sentence)))
sentence = session.scalars(select(Sentence).where(Sentence.entity_types.like('%PERSON%')).limit(1)).first()
print(sentence.text)
print(list(zip(sentence.words, sentence.entity_types))[:20])
"""),
    md("""
## Candidates

A candidate is a pair of PERSON mentions in one sentence. `candidate_subclass` defines
the candidate type (no schema change is needed); `PretaggedCandidateExtractor` reads the
tagged mentions. Each unordered pair appears once: `person1` is the mention that comes
first in the sentence. Each split gets the sentences of its documents.
"""),
    code("""
from snorkel_ie import PretaggedCandidateExtractor
from snorkel_ie.examples.spouse import DEV, TEST, TRAIN, Spouse, split_of

# Spouse = candidate_subclass("Spouse", ["person1", "person2"])
extractor = PretaggedCandidateExtractor(Spouse, ["PERSON", "PERSON"])
names = session.scalars(select(Document.name)).all()
for split in (TRAIN, DEV, TEST):
    in_split = [n for n in names if split_of(n) == split]
    sentences = select(Sentence).join(Document).where(Document.name.in_(in_split))
    print(extractor.apply(sentences, split=split, session=session, progress=False))
"""),
    code("""
c = session.scalars(select(Spouse).where(Spouse.split == TRAIN).order_by(Spouse.id).limit(1)).first()
print(c)
print("person1:", c.person1.get_span(), "| person2:", c.person2.get_span())
print(c.get_parent().text)
"""),
    md("""
## Gold labels

`gold_labels.tsv` has crowd labels for same-sentence person pairs, given by document
offsets. `load_gold_labels_from_tsv` matches each pair to the candidate with those two
arguments, in either order (`symmetric=True`). Some pairs find no candidate: their two
people fall in different sentences of our spaCy segmentation. Candidates without a gold
line have label 0 (unknown) and are left out of every score.
"""),
    code("""
from snorkel_ie import load_gold_labels
from snorkel_ie.labeling import load_gold_labels_from_tsv

matched, unmatched = load_gold_labels_from_tsv(session, data_dir() / "gold_labels.tsv", Spouse, symmetric=True)
print(f"{matched} gold pairs matched a candidate; {unmatched} did not (other articles or other sentences)")
for split, name in ((TRAIN, "train"), (DEV, "dev"), (TEST, "test")):
    gold = load_gold_labels(session, annotator_name="gold", split=split).toarray().ravel()
    print(f"{name:5}: {len(gold):6} candidates, {(gold == 1).sum():5} positive, {(gold == -1).sum():6} negative, "
          f"{(gold == 0).sum():5} unlabelled")
"""),
    md("""
`snorkel_ie.examples.spouse.load_corpus(session)` does all of the above in one call.
Next: [part 2, labeling functions and the generative model](2_labeling_functions_and_generative_model.ipynb).
"""),
]

# --------------------------------------------------------------------- intro 2
INTRO_2 = [
    md("""
# Intro tutorial, part 2: labeling functions and the generative model

Part 1 stored the candidates. Here we

1. write **labeling functions**: heuristics that vote +1 (spouses), -1 (not) or 0 (abstain);
2. apply them to every candidate and look at their coverage, overlaps, conflicts and,
   on the dev split, their empirical accuracy;
3. learn how they are **correlated** (structure learning) and how **accurate** they are
   (the generative model), without any gold label;
4. save the resulting **probabilistic labels** (marginals) of the train candidates for part 3.
"""),
    code(SETUP),
    code(SESSION),
    code("""
from snorkel_ie.examples.spouse import DEV, TEST, TRAIN, Spouse, split_sizes

print(split_sizes(session))  # candidates per split, from part 1
"""),
    md("""
## Writing labeling functions

An LF takes a candidate and returns +1, -1 or 0. The helpers of
`snorkel_ie.labeling.lf_helpers` give the words between the two people, left of one of
them, and so on. Here is one written from scratch: a spouse word between the two people
("Barack Obama and his wife Michelle") suggests a couple.
"""),
    code("""
from snorkel_ie.labeling.lf_helpers import get_between_tokens, get_left_tokens

spouses = {"spouse", "wife", "husband", "ex-wife", "ex-husband"}

def LF_husband_wife(c):
    return 1 if spouses & set(get_between_tokens(c)) else 0

from sqlalchemy import select
c = session.scalars(select(Spouse).where(Spouse.split == DEV).order_by(Spouse.id).limit(1)).first()
print(c.get_parent().text)
print("between:", get_between_tokens(c), "->", LF_husband_wife(c))
"""),
    md("""
`snorkel_ie.examples.spouse_lfs` holds the full set, in three families:

* **patterns**: spouse and marriage words between or just left of the people (+1);
  other family relations (father, sister, son...) and other relations (boss, friend...) (-1);
* **structure**: the people far apart, in a list, the same person twice, quotes (-1);
  a shared last name (+1);
* **distant supervision**: the pair (or the pair of last names) is a couple of the
  DBpedia spouse list (+1), in either order.

Each LF's docstring says what it does; `inspect.getsource` shows its code.
"""),
    code("""
import inspect
from snorkel_ie.examples.spouse import load_known_spouses
from snorkel_ie.examples.spouse_lfs import LF_familial_relationship, make_lfs

known_spouses = load_known_spouses()
print(len(known_spouses), "known couples, e.g.", sorted(known_spouses)[:3])
lfs = make_lfs(known_spouses)
for lf in lfs:
    print(f"{lf.__name__:36} {(lf.__doc__ or '').strip().splitlines()[0]}")
print()
print(inspect.getsource(LF_familial_relationship))
"""),
    md("""
## Applying the LFs

`LabelAnnotator` runs every LF over a split and stores the votes as a sparse label
matrix `L` (candidates x LFs). Labels are stored: re-running only re-applies LFs that are
new or whose code changed, so you can iterate on one LF quickly. `lf_stats` shows what
each LF covers; on the dev split, with gold labels, also its empirical accuracy.
"""),
    code("""
import pandas as pd
from snorkel_ie import LabelAnnotator, load_gold_labels

pd.set_option("display.width", 160)
labeler = LabelAnnotator(lfs=lfs)
L_train = labeler.apply(split=TRAIN, session=session)
L_train.lf_stats(session)
"""),
    code("""
L_dev = labeler.apply_existing(split=DEV, session=session)
L_gold_dev = load_gold_labels(session, annotator_name="gold", split=DEV)
L_dev.lf_stats(session, L_gold_dev)
"""),
    md("""
A first baseline: the **majority vote** of the LFs (ties and candidates no LF labels
count as negative).
"""),
    code("""
from snorkel_ie import majority_vote_score

mv_p, mv_r, mv_f1 = majority_vote_score(L_dev, L_gold_dev)
"""),
    md("""
## Structure learning

LFs written by one person are often correlated (`LF_husband_wife` and
`LF_husband_wife_left_window` fire on the same sentences). Counting two correlated LFs as
independent evidence over-trusts them. `DependencySelector` estimates pairwise
dependencies from `L_train` alone; the sweep shows how many are selected at each
threshold, and we take the elbow of that curve.
"""),
    code("""
import matplotlib.pyplot as plt
from snorkel_ie import DependencySelector

selector = DependencySelector()
sweep = selector.sweep(L_train)
threshold = sweep.elbow if sweep.elbow is not None else 0.1
deps = selector.select(L_train, threshold=threshold)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(sweep.thresholds, sweep.counts, marker="o")
ax.axvline(threshold, color="red", linestyle="--", label=f"threshold {threshold:.3f}")
ax.set_xlabel("threshold"); ax.set_ylabel("dependencies selected"); ax.set_yscale("symlog"); ax.legend()
fig.savefig("spouse_structure_sweep.png", bbox_inches="tight")
plt.show()
names = L_train.lf_names
print(f"{len(deps)} dependencies at threshold {threshold:.3f}:")
for j, k, kind in sorted(deps):
    print(f"  {names[j]} ~ {names[k]}")
"""),
    md("""
## The generative model

`GenerativeModel` learns each LF's accuracy (and the selected dependencies) from the
agreements and disagreements of the LFs on the unlabelled train candidates, then gives
each candidate a probability of being a couple. We score it on dev against gold.
"""),
    code("""
from snorkel_ie import GenerativeModel

gen_model = GenerativeModel(seed=1701)
gen_model.train(L_train, deps=sorted(deps), epochs=300)
gen_p, gen_r, gen_f1 = gen_model.score(L_dev, L_gold_dev)
"""),
    code("""
gen_model.learned_lf_stats()
"""),
    md("""
The marginals of the train candidates are the training labels of part 3. A healthy
histogram has mass near 0 and near 1 and few candidates near 0.5 (those no LF labelled,
or on which the LFs disagree evenly).
"""),
    code("""
from snorkel_ie import save_marginals
from snorkel_ie.learning.plots import plot_marginals_histogram

train_marginals = gen_model.marginals(L_train)
fig = plot_marginals_histogram(train_marginals, title="Spouse train marginals", path="spouse_train_marginals.png")
fig
"""),
    code("""
n_saved = save_marginals(session, L_train, train_marginals)
print(f"saved {n_saved} training marginals")
print(f"dev F1: majority vote {mv_f1:.3f}, generative model {gen_f1:.3f}")
"""),
    md("""
Next: [part 3, the discriminative model](3_discriminative_model.ipynb).
"""),
]

# --------------------------------------------------------------------- intro 3
INTRO_3 = [
    md("""
# Intro tutorial, part 3: training a discriminative model

The LFs only label the candidates they match. A discriminative model trained on their
probabilistic labels learns from the whole sentence and generalises to candidates no LF
covers. Here a bidirectional LSTM reads each sentence with the two people marked and is
trained with a noise-aware loss on the marginals saved in part 2. We score it on dev and,
once, on the held-out test split.
"""),
    code(SETUP),
    code(SESSION),
    code("""
import numpy as np
from sqlalchemy import select
from snorkel_ie import load_gold_labels, load_marginals
from snorkel_ie.examples.spouse import DEV, TEST, TRAIN, Spouse

def candidates(split):
    # rows in candidate id order: the order of label matrices, gold and marginals
    return session.scalars(select(Spouse).where(Spouse.split == split).order_by(Spouse.id)).all()

train_cands, dev_cands, test_cands = candidates(TRAIN), candidates(DEV), candidates(TEST)
train_marginals = load_marginals(session, split=TRAIN)
L_gold_dev = load_gold_labels(session, annotator_name="gold", split=DEV)
L_gold_test = load_gold_labels(session, annotator_name="gold", split=TEST)
print(len(train_cands), "train,", len(dev_cands), "dev,", len(test_cands), "test candidates")
print("train marginals without a value:", int(np.isnan(train_marginals).sum()))
"""),
    md("""
## Training the BiLSTM

`rebalance=0.25` samples the training set so that a quarter of it is (probably) positive:
couples are rare. After every epoch the model is scored on dev and the best epoch's
weights are kept. On the full data an epoch takes about half a minute per core; the
test subset uses two epochs.
"""),
    code("""
from snorkel_ie import BiLSTM

N_EPOCHS = 10 if MAX_DOCS is None else 2
lstm = BiLSTM(seed=1701)
lstm.train(train_cands, train_marginals, X_dev=dev_cands, Y_dev=L_gold_dev,
           n_epochs=N_EPOCHS, lr=0.01, dim=50, dropout=0.5, rebalance=0.25)
"""),
    code("""
dev_p, dev_r, dev_f1 = lstm.score(dev_cands, L_gold_dev)
"""),
    md("""
## Error analysis

`error_analysis` splits the dev candidates into true/false positives/negatives. Reading
false positives and negatives is how you find the next LF to write.
"""),
    code("""
tp, fp, tn, fn = lstm.error_analysis(session, dev_cands, L_gold_dev)
for c in sorted(fp, key=lambda c: c.id)[:3]:
    print("FALSE POSITIVE:", c.person1.get_span(), "/", c.person2.get_span(), "::", c.get_parent().text[:200])
for c in sorted(fn, key=lambda c: c.id)[:3]:
    print("FALSE NEGATIVE:", c.person1.get_span(), "/", c.person2.get_span(), "::", c.get_parent().text[:200])
"""),
    md("""
## Test score

Only once the LFs and the models are final: the score on the held-out test split.
"""),
    code("""
test_p, test_r, test_f1 = lstm.score(test_cands, L_gold_test)
lstm.save_marginals(session, test_cands)
"""),
]

# --------------------------------------------------------------------- advanced
STRUCTURE = [
    md("""
# Structure learning on synthetic data (the Snorkel paper's Example 3.1)

When LFs are correlated, treating them as independent voters over-counts them. The
paper's Example 3.1: five LFs are exact copies of one mediocre LF (50 % accurate) and
five others are independent and very good. A model that assumes independence believes
the five copies agree because they are right, and follows them.

This notebook generates such label matrices with known truth, finds the copies with
`DependencySelector` (a threshold sweep and its elbow), and compares majority vote, the
independent generative model and the model with the learned dependencies. No database.
"""),
    code("""
import os
import matplotlib.pyplot as plt
import numpy as np
from snorkel_ie import DependencySelector, GenerativeModel
from snorkel_ie.labeling import majority_vote
from snorkel_ie.learning.generative.synthetic import make_example_3_1

# The synthetic data has no documents; a small SNORKEL_TUTORIAL_MAX_DOCS (the tests) uses
# 2,000 candidates instead of 10,000.
N = 2_000 if os.environ.get("SNORKEL_TUTORIAL_MAX_DOCS") else 10_000
L, y, true_deps = make_example_3_1(N, n_copies=5, n_good=5, copy_acc=0.5, good_acc=0.8, coverage=0.5, seed=1)
print(L.shape, "label matrix;", len(true_deps), "true dependencies (every pair of the 5 copies)")
"""),
    code("""
def accuracy(pred):
    covered = np.asarray(abs(L).sum(axis=1)).ravel() > 0
    return float((pred[covered] == y[covered]).mean())

mv_acc = accuracy(majority_vote(L))
indep = GenerativeModel(seed=1)
indep.train(L, epochs=300)
indep_acc = accuracy(indep.predictions(L))
print(f"majority vote accuracy {mv_acc:.3f}; independent generative model {indep_acc:.3f}")
print("learned accuracies (independent):", np.round(indep.learned_lf_stats()["Accuracy"].to_numpy(), 2))
"""),
    md("""
## The threshold sweep

`sweep` fits the selector once and counts the dependencies kept at each threshold of the
weight. Spurious dependencies vanish quickly as the threshold grows; the true ones
survive much longer. The elbow of the curve is a good threshold.
"""),
    code("""
selector = DependencySelector(seed=1)
sweep = selector.sweep(L)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(sweep.thresholds, sweep.counts, marker="o")
if sweep.elbow is not None:
    ax.axvline(sweep.elbow, color="red", linestyle="--", label=f"elbow {sweep.elbow:.3f}")
ax.axhline(len(true_deps), color="grey", linestyle=":", label="true number")
ax.set_xlabel("threshold"); ax.set_ylabel("dependencies selected"); ax.set_yscale("symlog"); ax.legend()
fig.savefig("example_3_1_sweep.png", bbox_inches="tight")
plt.show()
print(sweep.pairs())
"""),
    code("""
threshold = sweep.elbow if sweep.elbow is not None else 0.1
deps = selector.select(L, threshold=threshold)
found = {(j, k) for j, k, _ in deps}
truth = {(j, k) for j, k, _ in true_deps}
print(f"threshold {threshold:.3f}: {len(found)} selected, {len(found & truth)} true of {len(truth)}, "
      f"{len(found - truth)} spurious")
"""),
    md("""
## Independent vs structured model

With the copies tied together by dependency factors, the model should stop counting them
five times over. Compare the three on this data, and look at the learned accuracies of
the copies (columns 0-4) in each model.
"""),
    code("""
structured = GenerativeModel(seed=1)
structured.train(L, deps=sorted(deps), epochs=300)
struct_acc = accuracy(structured.predictions(L))
print(f"{'majority vote':24} {mv_acc:.3f}")
print(f"{'independent model':24} {indep_acc:.3f}")
print(f"{'structured model':24} {struct_acc:.3f}")
print("learned accuracies (structured):", np.round(structured.learned_lf_stats()["Accuracy"].to_numpy(), 2))
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(["majority vote", "independent", "structured"], [mv_acc, indep_acc, struct_acc])
ax.set_ylim(0.5, 1.0); ax.set_ylabel("accuracy on covered candidates")
fig.savefig("example_3_1_accuracy.png", bbox_inches="tight")
plt.show()
"""),
]

CROWD = [
    md("""
# Categorical labels: crowdsourced weather sentiment

Labeling functions need not be code. Here each **crowd worker** is an LF: CrowdFlower
workers judged the sentiment of tweets about the weather in one of **5 classes**, and
each worker is reliable to a different degree. The generative model learns every
worker's accuracy without gold and weighs their votes; we compare it with the majority
vote against the 1,000 tweets that have a gold answer.

Data: `tutorials/advanced/data` (see its PROVENANCE.md). No database is needed: the
label matrix is built directly (tweets x workers, votes `1..5`, `0` = no judgement).
"""),
    code("""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import snorkel_ie
from snorkel_ie.datasets import load_crowd_weather

DATA = Path(snorkel_ie.__file__).resolve().parents[1] / "tutorials" / "advanced" / "data"
ds = load_crowd_weather(DATA)
L, gold = ds.L, ds.gold
print(L.shape, "(tweets x workers),", L.nnz, "judgements,", ds.cardinality, "classes:")
for k, name in enumerate(ds.classes, start=1):
    print(f"  {k}: {name} ({(gold == k).sum()} tweets)")
print("judgements per tweet:", np.round(L.getnnz(axis=1).mean(), 1), "; per worker (median):",
      int(np.median(L.getnnz(axis=0))))
"""),
    md("""
## Majority vote

The most frequent answer among a tweet's judgements (ties to the smaller class).
"""),
    code("""
def majority(L, k):
    counts = np.zeros((L.shape[0], k))
    rows = np.repeat(np.arange(L.shape[0]), np.diff(L.indptr))
    np.add.at(counts, (rows, L.data - 1), 1)
    return counts.argmax(axis=1) + 1

mv = majority(L, ds.cardinality)
mv_acc = float((mv == gold).mean())
print(f"majority vote accuracy: {mv_acc:.3f}")
"""),
    md("""
## The generative model with 5 classes

`GenerativeModel(cardinality=5)` learns, for every worker, how often their answer is the
true class. The marginals are `(n, 5)` class probabilities.
"""),
    code("""
from snorkel_ie import GenerativeModel

gen_model = GenerativeModel(cardinality=ds.cardinality, seed=1)
gen_model.train(L, epochs=300)
marginals = gen_model.marginals(L)
pred = gen_model.predictions(L)
gen_acc = float((pred == gold).mean())
print(marginals.shape, "marginals")
print(f"accuracy: majority vote {mv_acc:.3f}, generative model {gen_acc:.3f}")
"""),
    md("""
## Learned vs empirical worker accuracy

The model never saw gold; still its accuracy estimates should track each worker's
accuracy measured against gold (for workers with enough judgements).
"""),
    code("""
stats = gen_model.learned_lf_stats()
learned = stats["Accuracy"].to_numpy()
n_judged = L.getnnz(axis=0)
correct = np.asarray([(L[:, j].data == gold[L[:, j].indices]).mean() if n_judged[j] else np.nan
                      for j in range(L.shape[1])])
busy = n_judged >= 20
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(correct[busy], learned[busy], s=8 + n_judged[busy] / 5, alpha=0.6)
ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
ax.set_xlabel("empirical accuracy (gold)"); ax.set_ylabel("learned accuracy (no gold)")
ax.set_title(f"{busy.sum()} workers with >= 20 judgements")
fig.savefig("crowd_worker_accuracy.png", bbox_inches="tight")
plt.show()
print("correlation:", np.round(np.corrcoef(correct[busy], learned[busy])[0, 1], 3))
"""),
    code("""
confusion = np.zeros((ds.cardinality, ds.cardinality), dtype=int)
np.add.at(confusion, (gold - 1, pred - 1), 1)
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.imshow(confusion, cmap="Blues")
for (i, j), v in np.ndenumerate(confusion):
    ax.text(j, i, v, ha="center", va="center")
ax.set_xlabel("predicted class"); ax.set_ylabel("gold class")
ax.set_xticks(range(5), range(1, 6)); ax.set_yticks(range(5), range(1, 6))
fig.savefig("crowd_confusion.png", bbox_inches="tight")
plt.show()
"""),
]

POSTGRES = [
    md("""
# Parallel processing on PostgreSQL

Parsing, candidate extraction and labeling can run in several worker processes. On
**PostgreSQL** every worker also writes its own results over its own connection; SQLite
allows a single writer, so there the workers only compute and one process writes.

This notebook needs a PostgreSQL database in `$SNORKELDB`, e.g.

```bash
docker compose up -d postgres
export SNORKELDB=postgresql://snorkel:snorkel@127.0.0.1:5432/snorkel
```

Without it, the notebook says so and skips the work. It parses the spouse articles
(`SNORKEL_TUTORIAL_MAX_DOCS` of them when set) with 2 processes, extracts candidates and
applies the spouse LFs with 2 processes, and compares with one process.
**It clears the spouse documents of that database first.**
"""),
    code(SETUP),
    code("""
import os
import time

url = os.environ.get("SNORKELDB", "")
POSTGRES = url.startswith(("postgresql", "postgres://"))
if POSTGRES:
    from snorkel_ie import SnorkelSession
    session = SnorkelSession(url)
    print("using", session.get_bind().url.render_as_string(hide_password=True))
else:
    print("SKIPPED: this notebook needs PostgreSQL; set SNORKELDB=postgresql://user:password@host:port/db "
          f"(SNORKELDB is {url or 'not set'}). The cells below do nothing.")
"""),
    md("""
## Parsing with 2 processes

`CorpusParser.apply(..., parallelism=2)` sends batches of articles to two worker
processes; each parses its batch with its own spaCy and writes it in one transaction
with `COPY`. `clear=True` deletes every stored document first, so the timing is real.
"""),
    code("""
from snorkel_ie import CorpusParser, Spacy
from snorkel_ie.examples.spouse import SpouseDocPreprocessor

timings = {}
if POSTGRES:
    parser = CorpusParser(parser=Spacy("en_core_web_sm", disable=("ner",)))
    for workers in (1, 2):
        t0 = time.perf_counter()
        summary = parser.apply(SpouseDocPreprocessor(max_docs=MAX_DOCS), parallelism=workers, clear=True,
                               session=session, progress=False)
        timings[f"parse x{workers}"] = time.perf_counter() - t0
        print(f"parallelism={workers}: {summary}")
"""),
    md("""
## Candidates and labels with 2 processes

Candidate extraction and the `LabelAnnotator` partition the work in the same way. LFs
sent to worker processes must pickle: module-level functions (as in
`snorkel_ie.examples.spouse_lfs`) do, lambdas do not.
"""),
    code("""
from snorkel_ie import LabelAnnotator, PretaggedCandidateExtractor, Sentence
from snorkel_ie.examples.spouse import TRAIN, Spouse, load_known_spouses
from snorkel_ie.examples.spouse_lfs import make_lfs
from sqlalchemy import select

if POSTGRES:
    extractor = PretaggedCandidateExtractor(Spouse, ["PERSON", "PERSON"])
    t0 = time.perf_counter()
    print(extractor.apply(select(Sentence), split=TRAIN, parallelism=2, session=session, progress=False))
    timings["extract x2"] = time.perf_counter() - t0
    labeler = LabelAnnotator(lfs=make_lfs(load_known_spouses()))
    for workers in (1, 2):
        t0 = time.perf_counter()
        L = labeler.apply(split=TRAIN, session=session, parallelism=workers, clear=True, progress=False)
        timings[f"label x{workers}"] = time.perf_counter() - t0
    print(L.shape, "label matrix,", L.nnz, "votes")
"""),
    code("""
if POSTGRES:
    for stage, seconds in timings.items():
        print(f"{stage:12} {seconds:7.1f} s")
    print("(worker start-up costs a few seconds; parallelism pays off on the full corpus)")
"""),
]

HYPER = [
    md("""
# Hyperparameter search

Every model has settings (learning rate, epochs, regularisation...) that change its dev
score. `RandomSearch` trains a model for each of `n` configurations drawn from the given
values (or scipy distributions), scores each on the dev split, keeps the best model and
reports every run in `run_stats`. `GridSearch` tries every combination instead.

We search over the three models of the spouse task: the generative model on the LF
votes, a sparse logistic regression on bag-of-words features, and the BiLSTM. The corpus
is built in this folder's database with `load_corpus` (parsing the full corpus takes
several minutes; `SNORKEL_TUTORIAL_MAX_DOCS` limits it).
"""),
    code(SETUP),
    code(SESSION),
    code("""
import numpy as np
import pandas as pd
from sqlalchemy import select
from snorkel_ie import LabelAnnotator, load_gold_labels
from snorkel_ie.examples.spouse import DEV, TRAIN, Spouse, load_corpus, load_known_spouses
from snorkel_ie.examples.spouse_lfs import make_lfs

pd.set_option("display.width", 160)
print(load_corpus(session, max_docs=MAX_DOCS, progress=False))
labeler = LabelAnnotator(lfs=make_lfs(load_known_spouses()))
L_train = labeler.apply(split=TRAIN, session=session, progress=False)
L_dev = labeler.apply(split=DEV, session=session, progress=False)
L_gold_dev = load_gold_labels(session, annotator_name="gold", split=DEV)
print(L_train.shape, L_dev.shape)
"""),
    md("""
## The generative model

The searched values go to `train`; `model_class_params` go to the constructor and
`model_hyperparams` are fixed `train` arguments.
"""),
    code("""
from scipy.stats import loguniform
from snorkel_ie import GenerativeModel, RandomSearch

gen_search = RandomSearch(
    GenerativeModel,
    {"step_size": loguniform(1e-6, 1e-3), "decay": [0.9, 0.95, 0.99, 1.0], "reg_param": [1e-6, 1e-3, 1e-1]},
    L_train,
    n=8,
    model_class_params={"seed": 1701},
    model_hyperparams={"epochs": 100},
    seed=1701,
)
gen_model, gen_stats = gen_search.fit(L_dev, L_gold_dev, verbose=False)
gen_stats
"""),
    code("""
train_marginals = gen_model.marginals(L_train)
print("best generative model: dev F1", round(gen_stats["F-1"].iloc[0], 3))
"""),
    md("""
## Sparse logistic regression on features

`FeatureAnnotator` computes bag-of-words features around and between the two people (and
the dependency path between them). The model learns from the generative model's
marginals; the search tries learning rates, L2 penalties and epochs.
"""),
    code("""
from snorkel_ie import FeatureAnnotator, SparseLogisticRegression

featurizer = FeatureAnnotator()
F_train = featurizer.apply(split=TRAIN, session=session, progress=False)
featurizer.apply_existing(split=DEV, session=session, progress=False)
# dev columns in the order of the training features (features unseen in training are dropped)
F_dev = featurizer.load_matrix(session, split=DEV, key_names=F_train.key_names)
print(F_train.shape, "train features,", F_dev.shape, "dev features")
lr_search = RandomSearch(
    SparseLogisticRegression,
    {"lr": [1e-3, 1e-2, 5e-2], "l2_penalty": loguniform(1e-6, 1e-2), "n_epochs": [10, 25, 50]},
    F_train,
    train_marginals,
    n=6,
    model_class_params={"seed": 1701},
    model_hyperparams={"rebalance": 0.25, "verbose": False},
    seed=1701,
)
lr_model, lr_stats = lr_search.fit(F_dev, L_gold_dev, verbose=False)
lr_stats
"""),
    md("""
## The BiLSTM

Each BiLSTM run takes minutes on the full data, so the search is small; on the test
subset each run has one epoch.
"""),
    code("""
from snorkel_ie import BiLSTM

def candidates(split):
    return session.scalars(select(Spouse).where(Spouse.split == split).order_by(Spouse.id)).all()

train_cands, dev_cands = candidates(TRAIN), candidates(DEV)
lstm_search = RandomSearch(
    BiLSTM,
    {"lr": [1e-3, 1e-2], "dim": [32, 50], "dropout": [0.25, 0.5]},
    train_cands,
    train_marginals,
    n=3,
    model_class_params={"seed": 1701},
    model_hyperparams={"n_epochs": 5 if MAX_DOCS is None else 1, "rebalance": 0.25, "verbose": False},
    seed=1701,
)
lstm, lstm_stats = lstm_search.fit(dev_cands, L_gold_dev, verbose=False)
lstm_stats
"""),
    code("""
summary = pd.DataFrame(
    {"model": ["generative", "logistic regression", "BiLSTM"],
     "best dev F1": [s["F-1"].iloc[0] for s in (gen_stats, lr_stats, lstm_stats)]}
)
summary
"""),
]

NOTEBOOKS = {
    "intro/1_parsing_and_candidates.ipynb": INTRO_1,
    "intro/2_labeling_functions_and_generative_model.ipynb": INTRO_2,
    "intro/3_discriminative_model.ipynb": INTRO_3,
    "advanced/structure_learning.ipynb": STRUCTURE,
    "advanced/categorical_crowd.ipynb": CROWD,
    "advanced/parallel_postgres.ipynb": POSTGRES,
    "advanced/hyperparameter_search.ipynb": HYPER,
}


def build(names: list[str] | None = None) -> list[Path]:
    """Write the notebooks (all, or those whose path contains one of ``names``)."""
    written = []
    for rel, cells in NOTEBOOKS.items():
        if names and not any(n in rel for n in names):
            continue
        nb = new_notebook(cells=cells)
        for i, cell in enumerate(nb.cells):
            cell.id = f"{Path(rel).stem[:40]}-{i:02d}"  # stable ids: a rebuild changes nothing
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        if cells is POSTGRES:
            nb.metadata["snorkel_ie"] = {"database": "postgresql"}  # the test harness provides one
        nbformat.validate(nb)
        path = HERE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in build(sys.argv[1:]):
        print("wrote", p.relative_to(HERE.parent))
