"""`python -m devkit teammate-replies` against a running `devkit dev`: every reply is recorded and the category's trust printed."""

from __future__ import annotations

import pytest

from devkit.teammates import MIX, teammate_text
from lib.trust.signals import compare
from tests.devkit.test_journey import Dev, dev  # noqa: F401 - the running dev stack

pytestmark = [pytest.mark.e2e]


def test_each_style_gives_the_signal_it_names() -> None:
    draft = "Hi Ada,\n\nThanks for getting in touch. A member of our team will look into this and get back to you shortly.\n\nBest,\nThe Acme team"
    kinds = [compare(draft, teammate_text(draft, "mix", i)).kind for i in range(len(MIX))]
    assert kinds == ["unchanged"] * 7 + ["minor_edit"] * 2 + ["major_rewrite"]


def test_replies_move_the_categorys_trust_in_the_dev_stack(dev: Dev) -> None:  # noqa: F811
    done = dev.devkit("teammate-replies", "--category", "billing", "-n", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("draft answered (unchanged)") == 3
    # The demo app allows auto-send and needs 20 replies: trust is full, the category not open yet.
    assert ("billing trust in acme: 1.00 over 3 replies; auto-send closed (billing has 3 of the 20 teammate replies trust needs)"
            in done.stdout), done.stdout
