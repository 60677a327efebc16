"""The helper module of the 0.7 intro tutorial (its ``util.py``), as a 0.7 user keeps it after the rename.

It loads the gold labels the way every 0.7 intro and workshop notebook did: one
``StableLabel`` per labelled pair of span stable ids (both orders: the relation is
symmetric), then ``reload_annotator_labels`` to attach them to the dev and test candidates.
The tagger stands in for the NER model 0.7 ran inside its parser: it marks the tokens of
the shipped PERSON mentions through ``CorpusParser(fn=...)``, 0.7's hook for pre-tagging.
"""

import csv

import pandas as pd

from snorkel_ie.db_helpers import reload_annotator_labels
from snorkel_ie.models import StableLabel

FPATH = "data/gold_labels.tsv"


def number_of_people(sentence):
    """PERSON mentions in a sentence (runs of PERSON tags)."""
    count, inside = 0, False
    for tag in sentence.ner_tags:
        if tag == "PERSON" and not inside:
            count += 1
        inside = tag == "PERSON"
    return count


def _add_label(session, context_stable_ids, annotator_name, value):
    q = session.query(StableLabel).filter(StableLabel.context_stable_ids == context_stable_ids)
    if q.filter(StableLabel.annotator_name == annotator_name).count() == 0:
        session.add(StableLabel(context_stable_ids=context_stable_ids, annotator_name=annotator_name, value=value))


def load_external_labels(session, candidate_class, annotator_name="gold", path=FPATH):
    gold_labels = pd.read_csv(path, sep="\t")
    for _, row in gold_labels.iterrows():
        # a re-run of the cell finds its labels already there
        _add_label(session, "~~".join([row["person1"], row["person2"]]), annotator_name, int(row["label"]))
        _add_label(session, "~~".join([row["person2"], row["person1"]]), annotator_name, int(row["label"]))
    session.commit()
    reload_annotator_labels(session, candidate_class, annotator_name, split=1, filter_label_split=False)
    reload_annotator_labels(session, candidate_class, annotator_name, split=2, filter_label_split=False)


class PersonTagger:
    """Sets ``ner_tags`` to PERSON on the tokens of known mentions (``CorpusParser(fn=tagger.tag)``)."""

    def __init__(self, path="data/person_mentions.tsv"):
        self.mentions = {}
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                self.mentions.setdefault(row["doc_id"], []).append((int(row["char_start"]), int(row["char_end"])))

    def tag(self, parts):
        doc_id, _, _, sent_start, sent_end = parts["stable_id"].split(":")
        sent_start, sent_end = int(sent_start), int(sent_end)
        tags = list(parts["ner_tags"])
        for start, end in self.mentions.get(doc_id, ()):
            if not (sent_start <= start < sent_end):
                continue
            for k, offset in enumerate(parts["abs_char_offsets"]):
                if start <= offset < end:
                    tags[k] = "PERSON"
        parts["ner_tags"] = tags
        return parts
