"""The CDR tutorial's ``load_external_annotations.py`` as a 0.7 user keeps it after the rename.

Gold comes from the CID relations of the BioC file: a candidate of the split is positive when
its (chemical MeSH, disease MeSH) pair is a CID relation of its document, negative otherwise.
Each label is stored as a ``StableLabel`` on its arguments' stable ids, then attached with
``reload_annotator_labels``, as in every 0.7 tutorial.
"""

from xml.etree import ElementTree

from snorkel_ie.db_helpers import reload_annotator_labels
from snorkel_ie.models import StableLabel


def cid_relations(path="data/CDR.BioC.xml"):
    """{document id: {(chemical MeSH, disease MeSH)}} of the CID relations."""
    relations = {}
    for doc in ElementTree.parse(path).getroot().iter("document"):
        pairs = relations.setdefault(doc.findtext("id"), set())
        for rel in doc.iter("relation"):
            infons = {i.get("key"): i.text for i in rel.iter("infon")}
            if infons.get("relation") == "CID":
                pairs.add((infons["Chemical"], infons["Disease"]))
    return relations


def load_external_labels(session, candidate_class, split, annotator="gold", path="data/CDR.BioC.xml"):
    relations = cid_relations(path)
    for c in session.query(candidate_class).filter(candidate_class.split == split).all():
        doc_id = c.get_parent().get_parent().name
        value = 1 if c.get_cids() in relations.get(doc_id, ()) else -1
        context_stable_ids = "~~".join([c.chemical.get_stable_id(), c.disease.get_stable_id()])
        query = session.query(StableLabel).filter(StableLabel.context_stable_ids == context_stable_ids)
        if query.filter(StableLabel.annotator_name == annotator).count() == 0:
            session.add(
                StableLabel(context_stable_ids=context_stable_ids, annotator_name=annotator, value=value, split=split)
            )
    session.commit()
    reload_annotator_labels(session, candidate_class, annotator, split=split, filter_label_split=False)
