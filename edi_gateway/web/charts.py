"""Charts drawn on the server as SVG (no script, no chart library, nothing fetched by the browser).

Colours come from classes that static/console.css styles; each bar carries a <title> (its tooltip) and the page
shows the same figures in a table beside the chart.
"""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

from .queries import DayCount, RuleCount

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 44
RULE_BAR_HEIGHT, RULE_LABEL_WIDTH = 22, 120
MAX_DAYS = 366  # a longer range is drawn over its last year


def every_day(counts: list[DayCount], first: date | None, last: date | None) -> list[DayCount]:
    """The counts with the days that had none filled in with zeros, from `first` (or the first day with flows)
    to `last` (or the last one), at most MAX_DAYS days ending on the last."""
    if not counts and (first is None or last is None):
        return []
    by_day = {count.day: count for count in counts}
    end = last or counts[-1].day
    start = max(first or counts[0].day, end - timedelta(days=MAX_DAYS - 1))
    return [by_day.get(start + timedelta(days=n), DayCount(start + timedelta(days=n), 0, 0))
            for n in range((end - start).days + 1)]


def daily_chart(days: list[DayCount]) -> Markup:
    """Stacked bars per day: accepted below, rejected above."""
    if not days:
        return Markup('<p class="empty">No invoice in this period.</p>')
    top = nice_ceiling(max(day.accepted + day.rejected for day in days))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_width / len(days)
    bar = max(step * 0.8, 1.0)
    parts = [_svg_open(WIDTH, HEIGHT, "Accepted and rejected invoices per day")]
    parts += _y_axis(top, plot_height)
    label_every = max(1, round(len(days) / 12))
    for index, day in enumerate(days):
        x = LEFT + index * step + (step - bar) / 2
        accepted_height = plot_height * day.accepted / top
        rejected_height = plot_height * day.rejected / top
        base = TOP + plot_height
        tip = escape(f"{day.day.isoformat()}: {day.accepted} accepted, {day.rejected} rejected")
        parts.append(f'<g><title>{tip}</title>'
                     f'<rect class="bar-accepted" x="{x:.1f}" y="{base - accepted_height:.1f}" width="{bar:.1f}" '
                     f'height="{accepted_height:.1f}"/>'
                     f'<rect class="bar-rejected" x="{x:.1f}" y="{base - accepted_height - rejected_height:.1f}" '
                     f'width="{bar:.1f}" height="{rejected_height:.1f}"/></g>')
        if index % label_every == 0:
            parts.append(f'<text class="axis" x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                         f'text-anchor="middle">{day.day.strftime("%m-%d")}</text>')
    parts.append(f'<rect class="bar-accepted" x="{LEFT}" y="{HEIGHT - 14}" width="10" height="10"/>'
                 f'<text class="axis" x="{LEFT + 14}" y="{HEIGHT - 5}">accepted</text>'
                 f'<rect class="bar-rejected" x="{LEFT + 90}" y="{HEIGHT - 14}" width="10" height="10"/>'
                 f'<text class="axis" x="{LEFT + 104}" y="{HEIGHT - 5}">rejected</text></svg>')
    return Markup("".join(parts))


def rules_chart(rules: list[RuleCount]) -> Markup:
    """Horizontal bars: how many invoices each rule rejected."""
    if not rules:
        return Markup('<p class="empty">No rejection in this period.</p>')
    height = TOP + len(rules) * RULE_BAR_HEIGHT + 8
    most = max(rule.invoices for rule in rules)
    room = WIDTH - RULE_LABEL_WIDTH - 70
    parts = [_svg_open(WIDTH, height, "Most frequent rejection rules")]
    for index, rule in enumerate(rules):
        y = TOP + index * RULE_BAR_HEIGHT
        length = max(room * rule.invoices / most, 1.0)
        name = escape(rule.rule)
        parts.append(f'<g><title>{name}: {rule.invoices} rejected invoice(s)</title>'
                     f'<text class="axis" x="{RULE_LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{name}</text>'
                     f'<rect class="bar-rejected" x="{RULE_LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" '
                     f'height="{RULE_BAR_HEIGHT - 6}"/>'
                     f'<text class="axis" x="{RULE_LABEL_WIDTH + length + 6:.1f}" y="{y + 15}">{rule.invoices}</text>'
                     '</g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^n that is at least `value` (at least 1): the top of the y axis."""
    ceiling = 1
    while True:
        for factor in (1, 2, 5):
            if ceiling * factor >= value:
                return ceiling * factor
        ceiling *= 10


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>')


def _y_axis(top: int, plot_height: float) -> list[str]:
    parts = []
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = TOP + plot_height * (1 - fraction)
        value = top * fraction
        label = str(int(value)) if value == int(value) else ""
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        if label:
            parts.append(f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    return parts
