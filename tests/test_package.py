"""The package's public names load lazily and completely."""

from __future__ import annotations

import subprocess
import sys

import pytest

import snorkel_ie
import snorkel_ie.learning


@pytest.mark.parametrize("package", [snorkel_ie, snorkel_ie.learning])
def test_every_public_name_resolves(package):
    for name in package.__all__:
        assert getattr(package, name) is not None, name
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        package.no_such_name  # noqa: B018


def test_generative_model_import_does_not_load_the_database_layer_or_end_models():
    code = (
        "import sys\n"
        "from snorkel_ie.learning.generative import GenerativeModel, DependencySelector\n"
        "heavy = ('sqlalchemy', 'pandas', 'spacy', 'tensorflow', 'torch')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_subpackages_are_reachable_as_attributes():
    assert snorkel_ie.db.session.SnorkelSession is snorkel_ie.SnorkelSession
