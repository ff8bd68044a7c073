"""Draft-vs-sent comparison: normalised text, similarity and the kind of signal."""

from __future__ import annotations

from lib.trust import signals

DRAFT = "Hi Ada,\n\nYour refund of **49.00 USD** is on its way. It takes 5-10 days to show up.\n\nBest,\nAcme support"


def test_the_draft_as_front_sent_it_is_unchanged_whatever_the_html_and_spacing() -> None:
    sent_html = "<div><p>Hi Ada,</p><p>Your refund of <strong>49.00 USD</strong> is   on its way.\nIt takes 5-10 days to show up.</p><p>Best,<br>Acme support</p></div>"
    from lib.front.messages import html_to_text

    assert signals.compare(signals.draft_text(DRAFT), html_to_text(sent_html)) == signals.Comparison("unchanged", 1.0)


def test_quoted_original_and_case_do_not_count_as_edits() -> None:
    sent = signals.draft_text(DRAFT).upper() + "\n\nOn Mon, 1 Jan 2026, Ada <ada@example.com> wrote:\n> where is my refund?"
    assert signals.compare(signals.draft_text(DRAFT), sent).kind == "unchanged"


def test_a_sentence_added_is_a_minor_edit() -> None:
    sent = signals.draft_text(DRAFT) + "\nSorry for the wait!"
    found = signals.compare(signals.draft_text(DRAFT), sent)
    assert found.kind == "minor_edit" and signals.MINOR_EDIT_MIN <= found.similarity < 1.0


def test_a_different_reply_is_a_major_rewrite() -> None:
    found = signals.compare(signals.draft_text(DRAFT), "Please send us your order number and we will look into it.")
    assert found.kind == "major_rewrite" and found.similarity < signals.MINOR_EDIT_MIN


def test_no_draft_has_no_similarity() -> None:
    assert signals.compare(None, "anything") == signals.Comparison("no_draft", None)


def test_stored_texts_are_bounded() -> None:
    assert len(signals.bound("x" * 20_000) or "") == signals.MAX_TEXT_CHARS
    assert signals.bound(None) is None
