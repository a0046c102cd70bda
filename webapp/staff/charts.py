"""The staff pages' charts, laid out here and drawn as SVG by templates/charts.html.

Three kinds, one rule each: bars (per group one bar per series: requests per month, lending
per library, the overlap report's lists), a heat map (a number per pair of libraries: who lent
to whom) and a line (a value per month: fill rate, days to the patron). Every chart has a
title and a description for screen readers, and its numbers stand in a table beside it; the
SVG needs no script and scales with the page (its own units are below), the colours are CSS
classes of libnet.css.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CHART_WIDTH = 400  # the SVG's own units; CSS scales it to the page
BAR_HEIGHT, BAR_GAP, LABEL_HEIGHT, GROUP_GAP = 14, 3, 18, 12
VALUE_ROOM = 50  # right of the longest bar, for its number
HEAT_CELL, HEAT_LABELS, HEAT_LEVELS = 30, 104, 4  # a cell, the room of the names, shades
LABEL_CHARS = 15  # longer names are cut with "…": the table beside gives them whole
LINE_HEIGHT, LINE_LEFT, LINE_TOP, LINE_BOTTOM, LINE_RIGHT = 200, 44, 12, 34, 28
TICKS = 4  # the value axis is cut in this many steps


@dataclass(frozen=True, slots=True)
class Bar:
    series: int  # the series' position: CSS class chart-bar-N
    y: int
    width: float
    value: int


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    y: int  # the label's baseline
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A horizontal bar chart: per group (a month, a library) one bar per series."""

    id: str
    title: str
    description: str
    series: tuple[str, ...]
    groups: tuple[Group, ...]
    height: int
    width: int = CHART_WIDTH
    bar_height: int = BAR_HEIGHT
    kind: str = "bars"


@dataclass(frozen=True, slots=True)
class Cell:
    x: int
    y: int
    value: int
    level: int  # 0 (nothing) to HEAT_LEVELS (the largest): CSS class heat-N


@dataclass(frozen=True, slots=True)
class HeatMap:
    """A number per (row, column): rows and columns name the same things, or not."""

    id: str
    title: str
    description: str
    rows: tuple[tuple[str, int], ...]  # (label, its middle's y)
    columns: tuple[tuple[str, int], ...]  # (label, its middle's x)
    cells: tuple[Cell, ...]  # every row and column, nothing too (level 0)
    width: int
    height: int
    cell: int = HEAT_CELL
    labels: int = HEAT_LABELS
    kind: str = "heat"


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    label: str  # the value as the page writes it


@dataclass(frozen=True, slots=True)
class Line:
    """Values over time: points joined where neighbours both have a value."""

    id: str
    title: str
    description: str
    segments: tuple[tuple[Point, ...], ...]  # a month without a value breaks the line
    ticks: tuple[tuple[str, float], ...]  # (label, y) of the value axis
    labels: tuple[tuple[str, float], ...]  # (label, x) of the time axis, some months only
    width: int = CHART_WIDTH
    height: int = LINE_HEIGHT
    left: int = LINE_LEFT
    bottom: int = LINE_HEIGHT - LINE_BOTTOM
    kind: str = "line"


def bar_chart(
    id_: str,
    title: str,
    description: str,
    series: Sequence[str],
    labels: Sequence[str],
    values: Sequence[Sequence[int]],
) -> Chart:
    """Lay out the bars: the longest one fills the width but for the room of its number."""
    largest = max((v for row in values for v in row), default=0) or 1
    scale = (CHART_WIDTH - VALUE_ROOM) / largest
    groups, y = [], 0
    for label, row in zip(labels, values, strict=True):
        y += LABEL_HEIGHT
        bars = []
        for position, value in enumerate(row):
            top = y + 4 + position * (BAR_HEIGHT + BAR_GAP)
            bars.append(Bar(position, top, round(value * scale, 1), value))
        groups.append(Group(label, y, tuple(bars)))
        y += 4 + len(row) * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP
    return Chart(id_, title, description, tuple(series), tuple(groups), max(y, 1))


def heat_map(
    id_: str,
    title: str,
    description: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: dict[tuple[int, int], int],
) -> HeatMap:
    """Lay out a grid of (row, column) -> value, keyed by positions in `rows` and `columns`;
    the largest value takes the darkest shade, and every other is shaded in proportion."""
    largest = max(values.values(), default=0) or 1
    cells = []
    for r in range(len(rows)):
        for c in range(len(columns)):
            value = values.get((r, c), 0)
            level = math.ceil(value / largest * HEAT_LEVELS) if value > 0 else 0
            x, y = HEAT_LABELS + c * HEAT_CELL, HEAT_LABELS + r * HEAT_CELL
            cells.append(Cell(x, y, value, level))
    middle = HEAT_LABELS + HEAT_CELL // 2
    return HeatMap(
        id_, title, description,
        tuple((_short(label), middle + r * HEAT_CELL) for r, label in enumerate(rows)),
        tuple((_short(label), middle + c * HEAT_CELL) for c, label in enumerate(columns)),
        tuple(cells),
        HEAT_LABELS + max(len(columns), 1) * HEAT_CELL + 2,
        HEAT_LABELS + max(len(rows), 1) * HEAT_CELL + 2,
    )  # fmt: skip


def line_chart(
    id_: str,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    top: float,
    written: Callable[[float], str],
) -> Line:
    """Lay out a line of values from 0 to `top` (the axis' end), one point a label; `written`
    writes a value as the page does. At most about six time labels, evenly spread."""
    bottom, plot_height = LINE_HEIGHT - LINE_BOTTOM, LINE_HEIGHT - LINE_BOTTOM - LINE_TOP
    step = (CHART_WIDTH - LINE_LEFT - LINE_RIGHT) / max(len(labels) - 1, 1)
    top = top or 1

    def y(value: float) -> float:
        return round(bottom - min(value, top) / top * plot_height, 1)

    segments: list[tuple[Point, ...]] = []
    current: list[Point] = []
    for position, value in enumerate(values):
        if value is None:
            if current:
                segments.append(tuple(current))
            current = []
            continue
        current.append(Point(round(LINE_LEFT + position * step, 1), y(value), written(value)))
    if current:
        segments.append(tuple(current))
    ticks = tuple((written(top * n / TICKS), y(top * n / TICKS)) for n in range(TICKS + 1))
    every = max(1, math.ceil(len(labels) / 6))
    shown = tuple(
        (label, round(LINE_LEFT + position * step, 1))
        for position, label in enumerate(labels)
        if position % every == 0
    )
    return Line(id_, title, description, tuple(segments), ticks, shown)


def nice_top(largest: float) -> float:
    """The end of a value axis at or above `largest`: 1, 2, 5 or 10 times a power of ten."""
    if largest <= 0:
        return 1
    power = 10 ** math.floor(math.log10(largest))
    return next(power * f for f in (1, 2, 5, 10) if power * f >= largest)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
