"""The labeling web page in headless chromium on both backends: clicks and keys store labels a second session reads."""

from __future__ import annotations

import numpy as np
import pytest

from snorkel_ie.db.session import SnorkelSession
from snorkel_ie.labeling import load_gold_labels
from snorkel_ie.viewer.server import create_app
from tests.viewer.conftest import ServedApp, add_document_scope_candidate, save_screenshot

pytestmark = pytest.mark.slow


def stored(db_url: str, annotator: str = "gold") -> dict[int, int]:
    s = SnorkelSession(db_url)
    m = load_gold_labels(s, annotator, split=0)
    out = {int(i): int(v) for i, v in zip(m.candidate_ids, np.asarray(m.toarray()).ravel(), strict=True) if v}
    s.close()
    return out


def saved(page, cid: int, value: int) -> None:
    """Wait until the page says this label was stored."""
    page.wait_for_function("([s]) => document.querySelector('#viewer').dataset.saved === s", arg=[f"{cid}:{value}"])


def test_web_page_click_and_keys_store_labels(page, served, db_url, viewer_candidates):
    ids = [c.id for c in viewer_candidates]
    page.goto(served.url)
    cards = page.locator(".sv-card")
    cards.first.wait_for()
    assert cards.count() == 3
    first = cards.nth(0)
    assert first.locator(".sv-arg-0").first.inner_text() == viewer_candidates[0].person1.get_span()
    assert first.locator(".sv-arg-1").first.inner_text() == viewer_candidates[0].person2.get_span()
    first.locator('button[data-value="1"]').click()
    saved(page, ids[0], 1)
    # keyboard (the click left the focus in the viewer): down to the 2nd, f; down twice (onto page 2), t, then f
    page.keyboard.press("ArrowDown")
    page.keyboard.press("f")
    saved(page, ids[1], -1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => document.querySelector('#viewer').dataset.page === '1'")
    page.keyboard.press("t")
    saved(page, ids[3], 1)
    page.keyboard.press("f")
    saved(page, ids[3], -1)
    page.keyboard.press("ArrowUp")  # back to the last card of page 1
    page.wait_for_function("() => document.querySelector('#viewer').dataset.page === '0'")
    page.keyboard.press("t")
    saved(page, ids[2], 1)
    page.keyboard.press("c")
    saved(page, ids[2], 0)
    assert stored(db_url) == {ids[0]: 1, ids[1]: -1, ids[3]: -1}
    # the votes of the selected candidate are shown; a reload shows the stored labels
    page.reload()
    page.locator(".sv-card").first.wait_for()
    assert page.locator(".sv-card").nth(0).get_attribute("data-label") == "1"
    assert page.locator(".sv-card").nth(1).get_attribute("data-label") == "-1"
    page.locator(".sv-card").nth(1).locator(".sv-meta").click()
    save_screenshot(page, "viewer-web-page.png")
    page.locator(".sv-filter-label").select_option("labeled")
    page.wait_for_function("() => document.querySelector('.sv-page-info').textContent.includes('3 shown')")


def test_web_page_filters_and_votes(page, served, viewer_candidates):
    page.goto(served.url)
    page.locator(".sv-card").first.wait_for()
    page.locator(".sv-filter-conflict").check()
    page.wait_for_function("() => document.querySelector('.sv-page-info').textContent.includes('shown of')")
    page.locator(".sv-card").first.wait_for()
    votes = page.locator(".sv-votes-table tr")
    values = [int(votes.nth(i).locator("td").nth(1).inner_text()) for i in range(votes.count())]
    assert min(values) < 0 < max(values), values  # a conflicting candidate shows both votes


def test_web_page_two_browsers_label_at_once(browser, page, served, db_url, viewer_candidates):
    """Two browsers (two annotators) labeling at the same time: both sets of labels are stored."""
    other_context = browser.new_context()
    other = other_context.new_page()
    try:
        page.goto(served.url + "?annotator=alice")
        other.goto(served.url + "?annotator=bob")
        for p in (page, other):
            p.locator(".sv-card").first.wait_for()
            p.locator("#viewer").focus()
        for _ in range(3):  # interleaved key presses in both browsers
            page.keyboard.press("t")
            other.keyboard.press("f")
            page.keyboard.press("ArrowDown")
            other.keyboard.press("ArrowDown")
        ids = [c.id for c in viewer_candidates[:3]]
        saved_a = "([s]) => document.querySelector('#viewer').dataset.saved === s"
        page.wait_for_function(saved_a, arg=[f"{ids[2]}:1"])
        other.wait_for_function(saved_a, arg=[f"{ids[2]}:-1"])
        assert stored(db_url, "alice") == dict.fromkeys(ids, 1)
        assert stored(db_url, "bob") == dict.fromkeys(ids, -1)
    finally:
        other_context.close()


def test_web_page_shows_both_sentences_of_a_document_scope_candidate(page, session, db_url, viewer_candidates):
    cand = add_document_scope_candidate(session, viewer_candidates[0], split=2)
    served = ServedApp(create_app("Spouse", 2, db_url=db_url))
    try:
        page.goto(served.url)
        card = page.locator(".sv-card")
        card.first.wait_for()
        assert card.count() == 1
        sentences = card.locator(".sv-sentence")
        assert sentences.count() == 2
        assert sentences.nth(0).locator(".sv-arg-0").inner_text() == cand.person1.get_span()
        assert sentences.nth(1).locator(".sv-arg-1").inner_text() == "him"
        card.locator('button[data-value="-1"]').click()
        saved(page, cand.id, -1)
    finally:
        served.stop()
