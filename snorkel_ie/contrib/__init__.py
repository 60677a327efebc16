"""Snorkel 0.7's ``snorkel.contrib``: the parts of it snorkel-ie keeps (``contrib.models.text``)."""
