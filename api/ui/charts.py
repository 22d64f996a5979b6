"""Charts as SVG drawn on the server by pygal, shown as images.

An SVG image (a ``data:`` URL in an ``<img>``) runs no script and loads nothing,
so the console's strict Content-Security-Policy holds and the charts work
offline; every chart has its numbers beside it in a table.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import Any

import pygal
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#888",
    colors=("#2f6db5", "#e08a1e", "#3a9a5b", "#c0392b", "#7b5ea7", "#5b8c99", "#b5a22f"),
    font_family="'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'Noto Sans SC', 'Microsoft YaHei', "
    "'PingFang SC', sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    title_font_size=15,
    value_font_size=11,
)


def _config(**extra: Any) -> dict[str, Any]:
    return {
        "style": STYLE,
        "js": [],  # pygal's tooltips load a script from the internet: not here
        "width": 720,
        "height": 360,
        "legend_at_bottom": True,
        "print_values": False,
        "truncate_label": 18,
        "x_label_rotation": 0,
        **extra,
    }


def _data_url(chart: Any) -> str:
    svg: bytes = chart.render()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def bars(
    title: str,
    labels: Sequence[str],
    series: Iterable[tuple[str, Sequence[float | None]]],
    *,
    horizontal: bool = False,
    stacked: bool = False,
    percent: bool = False,
    money: bool = False,
) -> str:
    kind = {
        (False, False): pygal.Bar,
        (True, False): pygal.HorizontalBar,
        (False, True): pygal.StackedBar,
        (True, True): pygal.HorizontalStackedBar,
    }[(horizontal, stacked)]
    extra: dict[str, Any] = {}
    if percent:
        extra["value_formatter"] = lambda v: f"{v:.0f}%"
    if money:
        extra["value_formatter"] = lambda v: f"¥{v:,.0f}"
    if len(labels) > 6 and not horizontal:
        extra["x_label_rotation"] = 30
    chart = kind(**_config(title=title, **extra))
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _data_url(chart)


def line(
    title: str, labels: Sequence[str], series: Iterable[tuple[str, Sequence[float | None]]]
) -> str:
    chart = pygal.Line(**_config(title=title, x_label_rotation=30 if len(labels) > 6 else 0))
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _data_url(chart)


def funnel(title: str, stages: Sequence[tuple[str, float]]) -> str:
    chart = pygal.HorizontalBar(**_config(title=title, show_legend=False, print_values=True))
    chart.x_labels = [name for name, _ in reversed(stages)]
    chart.add(title, [value for _, value in reversed(stages)])
    return _data_url(chart)


def pie(title: str, parts: Iterable[tuple[str, float]]) -> str:
    chart = pygal.Pie(**_config(title=title, inner_radius=0.45, height=320))
    for name, value in parts:
        chart.add(name, value)
    return _data_url(chart)


def pareto(title: str, labels: Sequence[str], counts: Sequence[int], count_label: str) -> str:
    """Counts as bars, largest first (the table beside it has the cumulative share)."""
    chart = pygal.Bar(**_config(title=title, show_legend=False, print_values=True))
    chart.x_labels = list(labels)
    chart.add(count_label, list(counts))
    return _data_url(chart)
