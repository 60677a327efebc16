"""Look at candidates and label them: the Jupyter widget and the labeling web page.

``from snorkel_ie.viewer import SentenceNgramViewer`` is Snorkel 0.7's import path. The
web page (``snorkel-ie view``) is :func:`snorkel_ie.viewer.server.create_app`.
"""

from snorkel_ie.viewer.widget import SentenceNgramViewer

__all__ = ["SentenceNgramViewer"]
