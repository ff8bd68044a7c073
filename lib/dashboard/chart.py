"""The trend as an inline SVG drawn on the server: no script, no front-end build, every text escaped.

Bars, stacked per day: teammates' replies by how much they changed the draft (unchanged,
edited, rewritten, no draft). Lines: messages routed, drafts created, drafts auto-sent.
"""

from __future__ import annotations

import math
from html import escape
from typing import Sequence

from markupsafe import Markup

from lib.dashboard.queries import Day

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 16, 64  # plot margins: axis labels left, legend below

# (field, label, colour): colours readable on white and for common colour blindness (Okabe-Ito).
BARS = (("unchanged", "sent unchanged", "#009E73"), ("minor_edit", "edited", "#E69F00"),
        ("major_rewrite", "rewritten", "#D55E00"), ("no_draft", "no draft", "#999999"))
LINES = (("messages", "messages", "#0072B2"), ("drafts", "drafts created", "#CC79A7"), ("auto_sent", "auto-sent", "#000000"))


def _nice_max(value: int) -> int:
    """Four grid steps of 1, 2 or 5 x 10^n covering `value`, so every grid label is a round number."""
    wanted = max(math.ceil(value / 4), 1)
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= wanted:
                return 4 * step * factor
        step *= 10


def trend_svg(days: Sequence[Day], title: str) -> Markup:
    """An accessible SVG chart of `days` (oldest first); `title` is escaped like every other text in it."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(days), 1)
    stacked = [sum(getattr(d, name) for name, _, _ in BARS) for d in days]
    top = _nice_max(max([*stacked, *(getattr(d, name) for d in days for name, _, _ in LINES), 0]))
    slot = plot_w / n

    def y(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    def x(index: int) -> float:
        return LEFT + slot * (index + 0.5)

    out = [f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
           f'height="{HEIGHT}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
           f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>']
    for tick in range(5):  # horizontal grid with round labels
        value = top * tick / 4
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#e3e3e3"/>'
                   f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" fill="#555">{value:g}</text>')
    bar_w = max(slot * 0.7, 1.0)
    for index, day in enumerate(days):
        base = 0
        for name, label, colour in BARS:
            count = getattr(day, name)
            if count:
                out.append(f'<rect class="bar {name}" x="{x(index) - bar_w / 2:.1f}" y="{y(base + count):.1f}" width="{bar_w:.1f}" '
                           f'height="{y(base) - y(base + count):.1f}" fill="{colour}"><title>{day.day.isoformat()}: {count} '
                           f'{escape(label)}</title></rect>')
                base += count
        if index % 7 == (len(days) - 1) % 7:  # label every 7th day, ending on the last
            out.append(f'<text x="{x(index):.1f}" y="{TOP + plot_h + 14}" text-anchor="middle" font-size="11" fill="#555">'
                       f'{day.day.strftime("%d %b")}</text>')
    for name, label, colour in LINES:
        points = " ".join(f"{x(i):.1f},{y(getattr(d, name)):.1f}" for i, d in enumerate(days))
        if points:
            out.append(f'<polyline class="line {name}" points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#888"/>')
    legend_x, legend_y = LEFT, HEIGHT - 22
    for name, label, colour in (*BARS, *LINES):
        if (name, label, colour) in BARS:
            swatch = f'<rect x="{legend_x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
        else:
            swatch = (f'<line x1="{legend_x}" x2="{legend_x + 12}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
                      f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'{swatch}<text x="{legend_x + 16}" y="{legend_y}" font-size="11" fill="#333">{escape(label)}</text>')
        legend_x += 16 + 7 * len(label) + 14
    out.append("</svg>")
    return Markup("".join(out))
