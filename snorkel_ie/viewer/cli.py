"""``snorkel-ie view``: serve the labeling web page for one candidate class and split."""

from __future__ import annotations

import click

DB_OPTION = click.option(
    "--db", "db_url", envvar="SNORKELDB", default=None, help="Database URL (default: $SNORKELDB, else ./snorkel.db)."
)


@click.command("view")
@DB_OPTION
@click.option("--candidate-class", required=True, help="Candidate class name, e.g. Spouse.")
@click.option("--split", type=int, required=True, help="Split whose candidates are shown.")
@click.option("--annotator", default="gold", show_default=True, help="Whose gold labels are shown and written.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 opens it to the network)."
)
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 200), default=5, show_default=True)
@click.option(
    "--predictions",
    type=click.Choice(["majority", "marginals", "model"]),
    default="majority",
    show_default=True,
    help="What the tp/fp/tn/fn filter compares the labels with: the LFs' majority vote, the stored training "
    "marginals, or an end model's stored predictions.",
)
def view(
    db_url: str | None,
    candidate_class: str,
    split: int,
    annotator: str,
    host: str,
    port: int,
    page_size: int,
    predictions: str,
) -> None:
    """Serve a web page to look at candidates and label them (several people at once on PostgreSQL)."""
    from snorkel_ie.viewer.server import create_app, serve

    app = create_app(
        candidate_class, split, db_url=db_url, annotator=annotator, page_size=page_size, predictions=predictions
    )
    click.echo(f"labeling {candidate_class} candidates of split {split} at http://{host}:{port}/ (Ctrl+C stops)")
    serve(app, host=host, port=port)
