"""The ``snorkel-ie`` root command: logging options and the one error policy.

Every failure a user can cause ends in one line on stderr, ``error: <what, where, the
fix>``, and a non-zero exit code (see :data:`snorkel_ie.cli._util.EXIT_CODES`); ``--debug``
adds the traceback. Results go to stdout, log records and warnings to stderr.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence

import click

from snorkel_ie.cli._util import EXIT_CODES
from snorkel_ie.errors import SnorkelIEError

_log = logging.getLogger("snorkel_ie.cli")
_state = {"debug": False}

_EPILOG = "Exit codes: " + "; ".join(f"{code} {meaning.split(':')[0]}" for code, meaning in EXIT_CODES.items()) + "."


def _set_debug(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    _state["debug"] = bool(value)
    return value


@click.group(epilog=_EPILOG)
@click.version_option(package_name="snorkel-ie")
@click.option("-v", "--verbose", count=True, help="More log lines (-v: debug records).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.option(
    "--debug", is_flag=True, is_eager=True, expose_value=False, callback=_set_debug,
    help="Show the traceback of an error, not only its one-line message.",
)  # fmt: skip
def cli(verbose: int, quiet: bool) -> None:
    """snorkel-ie: training data by weak supervision.

    \b
    The workflow, each step resumable:
      snorkel-ie db upgrade                      # create or migrate the database
      snorkel-ie parse corpus.PubTator.txt       # documents -> sentences (format from the extension)
      snorkel-ie extract ChemicalDisease --args chemical,disease --entity-types Chemical,Disease
      snorkel-ie gold load gold.tsv --candidate-class ChemicalDisease --split 1
      snorkel-ie label --lfs my_lfs --candidate-class ChemicalDisease
      snorkel-ie train-generative --candidate-class ChemicalDisease
      snorkel-ie train-discriminative --candidate-class ChemicalDisease --save model/
      snorkel-ie evaluate --candidate-class ChemicalDisease --split 2
    """
    from snorkel_ie.log import configured

    click.get_current_context().with_resource(configured(verbosity=-1 if quiet else min(verbose, 1)))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: run the command; any error becomes one line on stderr and a non-zero exit code."""
    _state["debug"] = False
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = cli.main(args=args, prog_name="snorkel-ie", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as err:  # usage errors: click's own message and exit code 2
        err.show()
        sys.exit(err.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("interrupted; whole batches stay stored and running the command again resumes", err=True)
        sys.exit(130)
    except SnorkelIEError as err:
        _fail(f"error: {_one_line(err)}", err.exit_code)
    except Exception as err:  # a bug or an unforeseen failure: still one line (the traceback with --debug)
        _fail(
            f"error: unexpected {type(err).__name__}: {_one_line(err)} "
            "(run with --debug for the traceback, and please report it)",
            1,
        )
    sys.exit(code if isinstance(code, int) else 0)  # click returns the code of --help / --version here


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split("\n")).strip()
    return text or type(err).__name__


def _fail(message: str, code: int) -> None:
    if _state["debug"]:
        traceback.print_exc(file=sys.stderr)
    click.echo(message, err=True)
    sys.exit(code)
