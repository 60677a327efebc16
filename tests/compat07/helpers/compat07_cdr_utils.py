"""The CDR tutorial's ``utils.py`` (its TaggerOne tagger) as a 0.7 user keeps it after the rename.

0.7's CDR notebooks parsed the abstracts with ``CorpusParser(fn=tagger_one.tag)``: a function
that marks the tokens of each predicted chemical and disease mention with its type and MeSH
id (``entity_types``, ``entity_cids``), found by the sentence's stable id.
"""

import csv
from collections import defaultdict


def offsets_to_token(left, right, offset_array):
    """Indices of the tokens whose start lies in ``[left, right)``."""
    return [i for i, offset in enumerate(offset_array) if left <= offset < right]


class TaggerOneTagger:
    def __init__(self, path="data/taggerone_predicted_tags.tsv"):
        self.tag_dict = defaultdict(list)
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                self.tag_dict[row["pmid"]].append((row["type"], row["mesh"], int(row["start"]), int(row["end"])))

    def tag(self, parts):
        pubmed_id, _, _, sent_start, sent_end = parts["stable_id"].split(":")
        sent_start, sent_end = int(sent_start), int(sent_end)
        types, cids = list(parts["entity_types"]), list(parts["entity_cids"])
        for entity_type, mesh, start, end in self.tag_dict.get(pubmed_id, ()):
            if not (sent_start <= start <= sent_end):
                continue
            for tok in offsets_to_token(start, end, parts["abs_char_offsets"]):
                types[tok], cids[tok] = entity_type, mesh
        parts["entity_types"], parts["entity_cids"] = types, cids
        return parts
