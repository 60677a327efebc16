"""``python -m snorkel_ie.cli`` runs the ``snorkel-ie`` command."""

from snorkel_ie.cli import main

main()
