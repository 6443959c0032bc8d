"""Charts drawn on the server as SVG: no script, no inline styles (the CSP forbids them).

Only presentation attributes (fill, stroke, font-size) are used. Each chart is an image
named by its <title> and described by its <desc>; the page shows the same figures in a table.
"""

from __future__ import annotations

import math

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from engagement.involvement.selectors import MonthlyByStage
from portal.formatting import duration

WIDTH = 720
MARGIN = 8
LABEL_HEIGHT = 22
BAND_HEIGHT = 44
GAP = 14
AXIS_HEIGHT = 26
BAR_COLOUR = "#004ba0"  # the portal's link blue: 8:1 against white
TEXT_COLOUR = "#0b0c0c"
AXIS_COLOUR = "#6c757d"


LABEL_HALF_WIDTH = 30  # about half of "Sep 2025" at the axis labels' size


def _label_x(centre: float) -> float:
    """A month's label is centred under its bar, but kept whole inside the chart at either end."""
    return min(max(centre, MARGIN + LABEL_HALF_WIDTH), WIDTH - MARGIN - LABEL_HALF_WIDTH)


def involvement_by_stage_chart(
    data: MonthlyByStage,
    *,
    title: str,
    description: str,
    chart_id: str = "stage-chart",
    font_family: str | None = None,
) -> SafeString:
    """Small multiples: one strip of monthly bars per stage, on a common scale.

    ``font_family`` names the font for the labels where the page's own does not reach the
    chart (a PDF draws it as an image, with only the fonts it embeds).
    """
    months = data.months
    if not months:
        return mark_safe("")
    top = data.max_minutes or 1
    slot = (WIDTH - 2 * MARGIN) / len(months)
    bar = max(1.0, slot * 0.7)
    step = LABEL_HEIGHT + BAND_HEIGHT + GAP
    height = MARGIN + step * len(data.series) + AXIS_HEIGHT
    parts: list[SafeString] = []
    for index, series in enumerate(data.series):
        y0 = MARGIN + index * step
        baseline = y0 + LABEL_HEIGHT + BAND_HEIGHT
        if series.total_minutes:
            label = _("%(stage)s: %(time)s") % {
                "stage": series.stage.name,
                "time": duration(series.total_minutes),
            }
        else:
            label = _("%(stage)s: no involvement") % {"stage": series.stage.name}
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="15" fill="{}">{}</text>',
                MARGIN,
                y0 + LABEL_HEIGHT - 6,
                TEXT_COLOUR,
                label,
            )
        )
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                MARGIN,
                baseline,
                WIDTH - MARGIN,
                baseline,
                AXIS_COLOUR,
            )
        )
        bars = []
        for position, minutes in enumerate(series.minutes):
            if not minutes:
                continue
            h = max(1.0, BAND_HEIGHT * minutes / top)
            bars.append(
                (
                    f"{MARGIN + position * slot + (slot - bar) / 2:.1f}",
                    f"{baseline - h:.1f}",
                    f"{bar:.1f}",
                    f"{h:.1f}",
                    BAR_COLOUR,
                )
            )
        parts.append(
            format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>', bars)
        )
    every = max(1, math.ceil(len(months) / 8))
    axis_y = MARGIN + step * len(data.series) + 16
    labels = [
        (
            f"{_label_x(MARGIN + i * slot + slot / 2):.1f}",
            axis_y,
            TEXT_COLOUR,
            date_format(month, "M Y"),
        )
        for i, month in enumerate(months)
        if i % every == 0
    ]
    parts.append(
        format_html_join(
            "",
            '<text x="{}" y="{}" font-size="13" fill="{}" text-anchor="middle">{}</text>',
            labels,
        )
    )
    font = format_html(' font-family="{}"', font_family) if font_family else ""
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc"'
        ' xmlns="http://www.w3.org/2000/svg"{}>'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        int(height + 8),
        chart_id,
        chart_id,
        font,
        chart_id,
        title,
        chart_id,
        description,
        mark_safe("".join(parts)),  # noqa: S308 - each part was built with format_html
    )
