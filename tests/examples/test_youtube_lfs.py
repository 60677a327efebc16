"""The YouTube spam LFs: each votes its one class on text built for it, and they beat chance on the real data."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from snorkel_ie.examples import youtube_lfs as yt

DATA = Path("/work/shared/data/youtube_spam")


@pytest.mark.parametrize(
    ("lf", "text", "vote"),
    [
        (yt.lf_keyword_my, "visit my channel", yt.SPAM),
        (yt.lf_keyword_subscribe, "Please SUBSCRIBE", yt.SPAM),
        (yt.lf_keyword_link, "go to http://x.io", yt.SPAM),
        (yt.lf_keyword_please, "plz like", yt.SPAM),
        (yt.lf_keyword_song, "great song", yt.HAM),
        (yt.lf_pattern_check_out, "check it out now", yt.SPAM),
        (yt.lf_pattern_views, "2 billion views wow", yt.HAM),
        (yt.lf_pattern_social, "follow me on twitter", yt.SPAM),
        (yt.lf_pattern_praise, "love this song so much", yt.HAM),
        (yt.lf_short_comment, "so good", yt.HAM),
        (yt.lf_long_comment, " ".join(["word"] * 41), yt.SPAM),
        (yt.lf_shouting, "THIS IS THE BEST THING EVER SEEN", yt.SPAM),
    ],
)
def test_youtube_lf_votes_its_class_on_any_object_with_text(lf, text, vote):
    assert lf(SimpleNamespace(text=text)) == vote
    assert lf(SimpleNamespace(text="an ordinary remark about the weather outside today in the town")) == yt.ABSTAIN


@pytest.mark.skipif(not DATA.is_dir(), reason="shared YouTube data not present")
def test_youtube_lfs_beat_chance_on_the_collection():
    splits = yt.load_splits(DATA)
    assert [len(splits[k]) for k in ("train", "dev", "test")] == [1586, 188, 182]
    L = yt.label_matrix(splits["train"])
    y = np.array([c.label for c in splits["train"]])
    assert L.shape == (1586, len(yt.YOUTUBE_LFS))
    for j in range(L.shape[1]):
        voted = L[:, j] != 0
        assert voted.any() and np.mean(L[voted, j] == y[voted]) > 0.6
