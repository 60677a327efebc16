"""``snorkel-ie extract``: candidate extraction from the command line (a thin layer over the extractors)."""

from __future__ import annotations

from pathlib import Path

import click

from snorkel_ie.cli._util import (
    check_scheduler_database,
    dask_client,
    db_option,
    open_session,
    parallelism_option,
    scheduler_option,
    split_option,
)
from snorkel_ie.errors import CandidateError

__all__ = ["extract"]


def _split_list(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _read_phrases(path: str) -> list[str]:
    """First tab-separated column of each non-empty line."""
    with open(path, encoding="utf-8") as f:
        return [line.split("\t", 1)[0].strip() for line in f if line.strip()]


def _per_argument(items: list, n: int, what: str) -> list:
    if len(items) == 1:
        return items * n
    if len(items) != n:
        raise CandidateError(f"give one {what} for all arguments or one per argument ({n}); got {len(items)}")
    return items


def _build_extractor(cls, args, entity_types, ner, dictionary, n_max, flags, closest=None):
    from snorkel_ie.candidates import (
        CandidateExtractor,
        DictionaryMatch,
        NERTagMatcher,
        Ngrams,
        PretaggedCandidateExtractor,
    )

    modes = [bool(entity_types), bool(ner), bool(dictionary)]
    if sum(modes) != 1:
        raise CandidateError("choose exactly one of --entity-types, --ner or --dictionary")
    if entity_types:
        return PretaggedCandidateExtractor(
            cls, _per_argument(entity_types, len(args), "entity type"), closest_per_entity_pair=closest, **flags
        )
    if closest is not None:
        raise CandidateError("--closest-per-entity-pair needs --entity-types (pre-tagged mode)")
    ngrams = Ngrams(n_max=n_max)
    if ner:
        matchers = [NERTagMatcher(labels=label.split("|")) for label in _per_argument(ner, len(args), "NER label")]
    else:
        files = _per_argument(list(dictionary), len(args), "dictionary file")
        cache: dict[str, DictionaryMatch] = {}
        matchers = [cache.setdefault(f, DictionaryMatch(d=_read_phrases(f))) for f in files]
    return CandidateExtractor(cls, ngrams, matchers, **flags)


def _sentence_ids(engine, documents: str | None) -> list[int]:
    from snorkel_ie.db.candidates import sentence_ids_by_document_name

    names = None
    if documents is not None:
        names = [n.strip() for n in Path(documents).read_text(encoding="utf-8").splitlines() if n.strip()]
    with engine.connect() as conn:
        ids, found = sentence_ids_by_document_name(conn, names)
    if names is None:
        return ids
    if missing := [n for n in names if n not in found]:
        raise CandidateError(f"{len(missing)} documents of {documents} are not in the database, e.g. {missing[:3]}")
    return ids


@click.command("extract")
@click.argument("candidate_class")
@click.option("--args", "arg_names", required=True, help="Argument names, comma-separated (e.g. chemical,disease).")
@click.option("--entity-types", help="Pre-tagged mode: entity type per argument (e.g. Chemical,Disease).")
@click.option("--ner", help="N-gram mode: NER label per argument or one for all (e.g. PERSON; GPE|LOC for several).")
@click.option(
    "--dictionary",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="N-gram mode: phrase file (first TSV column); repeat per argument.",
)
@click.option(
    "--n-max", type=click.IntRange(min=1), default=5, show_default=True, help="Longest n-gram in n-gram mode."
)
@split_option(help="Split the candidates go to: 0 train, 1 dev, 2 test.")
@click.option(
    "--documents",
    type=click.Path(exists=True, dir_okay=False),
    help="File of document names, one a line (default: every document).",
)
@parallelism_option
@click.option(
    "--clear/--no-clear", default=True, show_default=True, help="First delete this class's candidates of the split."
)
@click.option(
    "--scope",
    type=click.Choice(["sentence", "document"]),
    default="sentence",
    show_default=True,
    help="Pair the arguments within one sentence, or anywhere in a document (cross-sentence relations).",
)
@click.option(
    "--max-sentence-distance",
    type=click.IntRange(min=0),
    default=None,
    help="Document scope: at most this many sentences between the arguments.",
)
@click.option(
    "--closest-per-entity-pair",
    type=click.IntRange(min=1),
    default=None,
    help="Document scope, pre-tagged mode: keep the k closest mention pairs of each entity pair.",
)
@click.option("--self-relations", is_flag=True, help="Keep pairs of a span with itself.")
@click.option("--nested-relations", is_flag=True, help="Keep pairs where one argument contains the other.")
@click.option("--symmetric-relations", is_flag=True, help="Keep both (a, b) and (b, a).")
@db_option
@scheduler_option
def extract(
    candidate_class: str,
    arg_names: str,
    entity_types: str | None,
    ner: str | None,
    dictionary: tuple[str, ...],
    n_max: int,
    split: int,
    documents: str | None,
    parallelism: int,
    clear: bool,
    scope: str,
    max_sentence_distance: int | None,
    closest_per_entity_pair: int | None,
    self_relations: bool,
    nested_relations: bool,
    symmetric_relations: bool,
    db_url: str | None,
    scheduler: str | None,
) -> None:
    """Extract CANDIDATE_CLASS candidates from the parsed sentences.

    \b
    Examples:
      snorkel-ie extract ChemicalDisease --args chemical,disease --entity-types Chemical,Disease --split 0
      snorkel-ie extract Spouse --args person1,person2 --ner PERSON --n-max 4 --documents train.txt
      snorkel-ie extract ChemicalDisease --args chemical,disease --entity-types Chemical,Disease --scope document
    """
    from snorkel_ie.db.engine import safe_url
    from snorkel_ie.db.models import candidate_subclass

    cls = candidate_subclass(candidate_class, _split_list(arg_names))
    flags = dict(
        self_relations=self_relations,
        nested_relations=nested_relations,
        symmetric_relations=symmetric_relations,
        scope=scope,
        max_sentence_distance=max_sentence_distance,
    )
    extractor = _build_extractor(
        cls, cls.__argnames__, _split_list(entity_types), _split_list(ner), dictionary, n_max, flags,
        closest=closest_per_entity_pair,
    )  # fmt: skip
    check_scheduler_database(scheduler, db_url)
    session = open_session(db_url, create=False)
    try:
        with dask_client(scheduler, session) as client:
            ids = _sentence_ids(session.get_bind(), documents)
            if not ids:
                raise CandidateError(
                    f"{safe_url(session.get_bind().url)} has no parsed sentences{' in those documents' if documents else ''}; "
                    "run 'snorkel-ie parse' first"
                )
            summary = extractor.apply(
                ids, split=split, clear=clear, parallelism=parallelism, session=session, client=client
            )
    finally:
        session.close()
    click.echo(str(summary))
