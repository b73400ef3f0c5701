"""The website in Chromium against the local stack: reviews, batch, failures, safety, keyboard, themes."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ModelServer, audit, screenshot

pytestmark = pytest.mark.slow
POSITIVE = "A wonderful, moving film. The cast is superb and the final scene stayed with me for days."
NEGATIVE = "Dull, predictable and far too long. The dialogue is awful and I nearly walked out."


def predict(page: Any, review: str) -> None:
    page.fill("#review", review)
    page.click("#submit")
    page.wait_for_selector("#submit[aria-busy='false']")


def stars(page: Any) -> float:
    """The expected star rating the page shows ("about 8.4 stars out of 10")."""
    assert page.is_visible("#rating-line")
    text = page.text_content("#rating-text")
    assert text.startswith("about ") and text.endswith(" stars out of 10"), text
    rating = float(text.split()[1])
    width = page.eval_on_selector("#rating-stars .stars-fill", "e => parseFloat(e.style.width)")
    assert abs(width - rating * 10) <= 0.5  # the stars filled match the number (shown to one decimal)
    return rating


def test_positive_and_negative_reviews_with_highlighted_words(page: Any) -> None:
    predict(page, POSITIVE)
    assert page.text_content("#verdict-label") == "POSITIVE"
    marks = page.locator("#highlighted mark.word")
    assert "wonderful" in marks.all_text_contents()
    assert float(marks.first.get_attribute("data-weight")) > 0
    assert page.text_content("#highlighted") == POSITIVE  # every character of the review, in order
    assert stars(page) >= 7  # the star rating is shown, on the positive side
    screenshot(page, "positive")
    predict(page, NEGATIVE)
    assert page.text_content("#verdict-label") == "NEGATIVE"
    assert stars(page) <= 4
    weights = {
        w: float(page.locator("#highlighted mark", has_text=w).first.get_attribute("data-weight"))
        for w in ("awful", "Dull")
    }
    assert all(weight < 0 for weight in weights.values())
    assert page.locator("#history li").count() == 2
    screenshot(page, "negative")
    assert not page.console_errors


def test_batch_upload_fills_the_table_and_downloads_csv(page: Any, tmp_path: Path) -> None:
    upload = tmp_path / "reviews.csv"
    upload.write_text(f'id,review\n1,"{POSITIVE}"\n2,"{NEGATIVE}"\n3,"Loved it, ""really"" loved it."\n')
    page.click("#tab-batch")
    page.set_input_files("#batch-file", str(upload))
    page.wait_for_selector("#batch-message:has-text('3 reviews ready to score')")
    assert page.input_value("#batch-text").count("\n") == 2
    page.click("#batch-submit")
    page.wait_for_selector("#batch-table tbody tr >> nth=2")
    assert page.text_content("#summary-count") == "3"
    assert page.text_content("#summary-positive") == "67%"
    page.click("th button[data-sort='score']")
    assert page.get_attribute("th:nth-child(4)", "aria-sort") == "ascending"
    assert page.locator("#batch-table tbody tr").first.locator("td").nth(2).text_content() == "NEGATIVE"
    screenshot(page, "batch")
    with page.expect_download() as waiting:
        page.click("#batch-download")
    rows = list(csv.DictReader(io.StringIO(Path(waiting.value.path()).read_text())))
    assert [r["review"] for r in rows] == [POSITIVE, NEGATIVE, 'Loved it, "really" loved it.']
    assert [r["label"] for r in rows] == ["POSITIVE", "NEGATIVE", "POSITIVE"]
    assert all(0 <= float(r["score"]) <= 1 for r in rows)
    assert all(1 <= float(r["stars"]) <= 10 for r in rows)
    assert float(rows[0]["stars"]) > float(rows[1]["stars"])


def test_model_server_down_then_back(page: Any, model_server: ModelServer) -> None:
    model_server.stop()
    try:
        predict(page, POSITIVE)
        assert "model is unavailable" in page.text_content("#message")
        assert page.text_content("#api-status") == "Model unavailable"
        screenshot(page, "model-unavailable")
    finally:
        model_server.start()
    predict(page, POSITIVE)
    assert page.is_hidden("#message")
    assert page.text_content("#verdict-label") == "POSITIVE"
    assert page.text_content("#api-status") == "Model ready"


def test_markup_in_a_review_is_shown_as_text_and_runs_nothing(page: Any) -> None:
    review = 'Great film <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> loved it'
    predict(page, review)
    assert page.text_content("#highlighted") == review
    assert page.locator("#highlighted img, #highlighted script, #history img, #history script").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.click("#tab-batch")
    page.fill("#batch-text", review)
    page.click("#batch-submit")
    page.wait_for_selector("#batch-table tbody tr")
    assert page.locator("#batch-table img, #batch-table script").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_keyboard_only(page: Any) -> None:
    for _ in range(20):
        if page.evaluate("document.activeElement.id") == "review":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "review"
    page.keyboard.type(NEGATIVE)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#verdict-label:text-is('NEGATIVE')")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type(POSITIVE)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#verdict-label:text-is('POSITIVE')")


def test_too_long_review_is_stopped_before_sending(page: Any) -> None:
    page.fill("#review", "word " * 4_100)
    assert "over the limit" in page.text_content("#review-count")
    page.click("#submit")
    assert "too long" in page.text_content("#message")


def test_dark_theme_and_phone_width(page: Any) -> None:
    page.click("#theme-toggle")
    assert page.get_attribute("html", "data-theme") == "dark"
    page.set_viewport_size({"width": 390, "height": 844})
    predict(page, "Not bad at all, but the ending drags. Still, a charming cast.")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "dark-phone")
    page.reload()
    assert page.get_attribute("html", "data-theme") == "dark"  # the choice is remembered


def test_unreachable_api_and_throttling_get_their_own_messages(page: Any) -> None:
    page.route("**/predict", lambda route: route.abort("connectionrefused"))
    predict(page, POSITIVE)
    assert "Cannot reach the API" in page.text_content("#message")
    assert page.text_content("#api-status") == "API unreachable"
    page.unroute("**/predict")
    throttled = '{"error": {"code": "throttled", "message": "too many requests right now"}}'
    page.route("**/predict", lambda route: route.fulfill(status=429, content_type="application/json", body=throttled))
    predict(page, POSITIVE)
    assert "Lots of people are asking right now" in page.text_content("#message")
    page.unroute("**/predict")
    predict(page, POSITIVE)
    assert page.is_hidden("#message") and page.text_content("#api-status") == "Model ready"


def test_highlights_hold_exactly_the_words_whatever_the_characters(page: Any) -> None:
    """Offsets are code points: emoji, accents and entities must not shift a single highlight."""
    for review in ("😀😀 great movie, awful ending 🎬", "caf&eacute; scenes were lovely, 𝔣𝔞𝔫𝔠𝔶 but dull"):
        predict(page, review)
        marks = page.locator("#highlighted mark.word").all_text_contents()
        assert page.text_content("#highlighted") == review  # every character, none broken or doubled
        assert "\ufffd" not in page.text_content("#highlighted")
        for word in ("great", "awful", "ending") if review.startswith("😀") else ("caf&eacute;", "lovely", "dull"):
            assert word in marks, (word, marks)
    screenshot(page, "astral-highlights")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_view_is_accessible(page: Any, theme: str) -> None:
    if theme == "dark":
        page.click("#theme-toggle")
    audit(page, f"{theme}: empty")
    predict(page, POSITIVE)
    audit(page, f"{theme}: positive result")
    predict(page, NEGATIVE)
    audit(page, f"{theme}: negative result")
    page.fill("#review", "x" * 20_001)
    audit(page, f"{theme}: review too long")
    page.click("#tab-batch")
    page.fill("#batch-text", f"{POSITIVE}\n{NEGATIVE}\n")
    page.click("#batch-submit")
    page.wait_for_selector("#batch-table tbody tr >> nth=1")
    audit(page, f"{theme}: batch results")
