"""The dashboard's figures as files and pictures: CSV, XLSX, the district report, SVG charts.

Everything here is drawn from the same `Figure` tables the page shows. Labels arrive as
msgids and are translated with the `gettext` the caller passes (the reader's language).
Charts are SVG drawn server-side by matplotlib, text as paths, so the console needs no
JavaScript, no CDN and no font on the reader's computer (a hospital intranet has none).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from datetime import date

import matplotlib
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from jiayi.services.dashboard import Cell, ColumnKind, Dashboard, Figure
from jiayi.services.readings_chart import cjk_font

matplotlib.use("Agg")

from matplotlib.figure import Figure as PlotFigure
from matplotlib.ticker import MaxNLocator

Gettext = Callable[[str], str]

# The figures a health authority asks for, in the order of the district report's sheets.
DISTRICT_FIGURES = (
    "coverage",
    "deliveries",
    "bookings",
    "waiting",
    "overdue",
    "points",
    "broadcasts",
    "ratings",
)
SHEET_TITLE_MAX = 31  # Excel's limit
PALETTE = ("#1565c0", "#c62828", "#2e7d32", "#f9a825", "#6a1b9a")


# A cell a spreadsheet would run as a formula (names are typed by residents): CSV gets a
# leading apostrophe, as OWASP advises; XLSX cells are stored as plain strings.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Cell, kind: ColumnKind, gettext: Gettext) -> str:
    text = cell_text(value, kind, gettext)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def cell_text(value: Cell, kind: ColumnKind, gettext: Gettext) -> str:
    if value is None:
        return ""
    if kind is ColumnKind.LABEL:
        return gettext(str(value))
    if isinstance(value, date):
        return value.isoformat()
    if kind is ColumnKind.PERCENT and isinstance(value, int | float):
        return f"{value:.1f}"
    return str(value)


def _cells(figure: Figure, row: tuple[Cell, ...], gettext: Gettext) -> list[Cell]:
    return [
        gettext(str(v)) if c.kind is ColumnKind.LABEL and v is not None else v
        for c, v in zip(figure.columns, row, strict=True)
    ]


def figure_csv(figure: Figure, gettext: Gettext) -> bytes:
    """One figure as CSV, UTF-8 with a BOM so Excel opens Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext(c.label) for c in figure.columns])
    for row in figure.rows:
        writer.writerow(
            [_csv_cell(v, c.kind, gettext) for c, v in zip(figure.columns, row, strict=True)]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet(book: Workbook, figure: Figure, gettext: Gettext, first: bool = False) -> None:
    title = gettext(figure.short)
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    sheet = book.active if first else book.create_sheet()
    assert sheet is not None
    sheet.title = title[:SHEET_TITLE_MAX]
    # Row 1: the figure's full title; row 2: the column labels; then the table.
    sheet.append([gettext(figure.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([gettext(c.label) for c in figure.columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in figure.rows:
        sheet.append(_cells(figure, row, gettext))
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # openpyxl reads a leading "=" as a formula
                cell.data_type = "s"
    for index, column in enumerate(figure.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(
            12,
            min(
                48,
                2
                + max(
                    (len(str(v)) for v in [column.label, *figure.column(column.key)]), default=0
                ),
            ),
        )


def _book_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def figure_xlsx(figure: Figure, gettext: Gettext) -> bytes:
    book = Workbook()
    _sheet(book, figure, gettext, first=True)
    return _book_bytes(book)


def district_figures(dashboard: Dashboard) -> list[Figure]:
    """The report's figures: the summary first, then one per measure."""
    return [dashboard.summary, *(dashboard.figure(key) for key in DISTRICT_FIGURES)]


def district_report_xlsx(dashboard: Dashboard, gettext: Gettext) -> bytes:
    """The district report: a summary sheet, then one sheet per figure."""
    book = Workbook()
    for index, figure in enumerate(district_figures(dashboard)):
        _sheet(book, figure, gettext, first=index == 0)
    return _book_bytes(book)


def district_report_csv_zip(dashboard: Dashboard, gettext: Gettext) -> bytes:
    """The district report as a zip of CSV files, one per figure (summary.csv first)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, figure in enumerate(district_figures(dashboard)):
            archive.writestr(f"{index:02d}-{figure.key}.csv", figure_csv(figure, gettext))
    return out.getvalue()


def district_report_csv(dashboard: Dashboard, gettext: Gettext) -> bytes:
    """The district report as one CSV: each figure's title, its table, a blank line."""
    out = io.StringIO()
    writer = csv.writer(out)
    for figure in district_figures(dashboard):
        writer.writerow([gettext(figure.title)])
        writer.writerow([gettext(c.label) for c in figure.columns])
        for row in figure.rows:
            writer.writerow(
                [_csv_cell(v, c.kind, gettext) for c, v in zip(figure.columns, row, strict=True)]
            )
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _numeric(figure: Figure) -> list[str]:
    keys = figure.chart_columns or tuple(
        c.key for c in figure.columns[1:] if c.kind in (ColumnKind.INT,)
    )
    return list(keys)


def chart_svg(figure: Figure, gettext: Gettext) -> str | None:
    """The figure's chart as an inline SVG document, or None (no chart, or no rows)."""
    if figure.chart is None or not figure.rows:
        return None
    family = cjk_font()
    fonts = ["DejaVu Sans", family] if family else ["DejaVu Sans"]
    series = _numeric(figure)
    labels = {c.key: gettext(c.label) for c in figure.columns}
    first = figure.columns[0]
    categories = [cell_text(v, first.kind, gettext) for v in figure.column(first.key)]
    plot = PlotFigure(figsize=(8.0, 3.6), dpi=100)
    ax = plot.add_subplot()
    positions = list(range(len(categories)))
    if figure.chart.value == "lines":
        for index, key in enumerate(series):
            ax.plot(
                positions,
                [float(v or 0) for v in figure.column(key)],  # type: ignore[arg-type]
                "o-",
                color=PALETTE[index % len(PALETTE)],
                linewidth=2,
                label=labels[key],
            )
    else:
        width = 0.8 / max(len(series), 1)
        for index, key in enumerate(series):
            ax.bar(
                [p + index * width - 0.4 + width / 2 for p in positions],
                [float(v or 0) for v in figure.column(key)],  # type: ignore[arg-type]
                width=width,
                color=PALETTE[index % len(PALETTE)],
                label=labels[key],
            )
    step = max(1, len(categories) // 12)
    ax.set_xticks(positions[::step])
    ax.set_xticklabels(categories[::step], rotation=30, ha="right", fontsize=8, fontfamily=fonts)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, axis="y", alpha=0.3)
    legend = ax.legend(fontsize=9, prop={"family": fonts})
    legend.set_frame_on(False)
    plot.tight_layout()
    out = io.StringIO()
    plot.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    # Inline in HTML: drop the XML prolog and doctype; say what it shows for screen readers.
    start = svg.find("<svg")
    title = _escape(gettext(figure.title))
    svg = svg[start:].replace(">", f' role="img" aria-label="{title}">', 1)
    return svg


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def export_names(dashboard: Dashboard, stem: str, extensions: Iterable[str]) -> list[str]:
    suffix = f"{dashboard.period.start.isoformat()}_{dashboard.period.end.isoformat()}"
    return [f"{stem}_{suffix}.{ext}" for ext in extensions]
