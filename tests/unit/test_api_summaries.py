"""Swagger UI shows an operation's summary as plain text (OpenAPI does not render it as
Markdown): PATCH /settings read "Changes only the settings sent; `If-Match` as for PUT", with the
backticks, at /docs."""

from __future__ import annotations

from cbxero.api_docs import DESCRIPTIONS, _first_sentence


def test_no_summary_shows_markdown_backticks() -> None:
    shown = {key: _first_sentence(text) for key, text in DESCRIPTIONS.items()}
    assert [key for key, summary in shown.items() if "`" in summary] == []
    assert shown["PATCH /settings"] == "Changes only the settings sent; If-Match as for PUT"
