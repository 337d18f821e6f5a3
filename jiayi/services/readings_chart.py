"""The readings chart: a PNG drawn server-side with matplotlib (no browser, no network).

Made for a phone held by an older reader: large type, thick lines, the target band shaded,
the urgent threshold marked, labels in the reader's language (content/readings/chart.yaml).
Chinese labels need a CJK font (Debian's fonts-wqy-microhei, which `make` installs); without
one the chart falls back to English labels rather than draw empty boxes.
"""

from __future__ import annotations

import io
import logging
import warnings
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
import yaml

from jiayi.content import CONTENT_DIR
from jiayi.content.dates import short_day_words
from jiayi.content.readings import GlucoseContext, Thresholds, load_thresholds
from jiayi.storage.readings import ReadingRecord

matplotlib.use("Agg")  # no display: render to memory only

from matplotlib import dates as mdates
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

log = logging.getLogger(__name__)

LABELS_FILE = CONTENT_DIR / "readings" / "chart.yaml"
# 900×600 px: sharp on a phone, a few tens of kilobytes.
SIZE_INCHES = (9.0, 6.0)
DPI = 100
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
# Where Debian puts them: matplotlib caches its font list on first use, so a font installed
# after that (`make` installs it on a machine that already drew a chart) is added by path.
CJK_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


@cache
def _labels() -> dict[str, dict[str, str]]:
    raw: dict[str, dict[str, str]] = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
    return raw


@cache
def cjk_font() -> str | None:
    """The first installed CJK font family, or None."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names.intersection(CJK_FAMILIES):
        for path in CJK_FILES:
            if path.is_file():
                font_manager.fontManager.addfont(str(path))
        names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    return None


def axis_day(value: float, locale: str) -> str:
    """A tick on the time axis (matplotlib's day number) as people read it: 12月7日 / 7 Dec."""
    return short_day_words(mdates.num2date(value), locale)  # type: ignore[no-untyped-call]


def _locale_and_font(locale: str) -> tuple[str, list[str]]:
    """The labels' locale and the font families to draw with (CJK too, for names)."""
    family = cjk_font()
    fonts = ["DejaVu Sans", family] if family else ["DejaVu Sans"]
    if locale != "zh-CN":
        return locale if locale in _labels() else "en", fonts
    if family is None:
        log.warning("no CJK font installed: readings charts use English labels")
        return "en", fonts
    return locale, [family, "DejaVu Sans"]


def _days(moments: list[datetime]) -> list[float]:
    """Matplotlib's date numbers (days), so the axes stay plain floats."""
    return [float(n) for n in mdates.date2num(moments)]  # type: ignore[no-untyped-call]


def render_chart(
    readings: list[ReadingRecord],
    *,
    name: str,
    kind: str,
    locale: str,
    now: datetime,
    zone: ZoneInfo,
    days: int = 30,
    thresholds: Thresholds | None = None,
) -> bytes:
    """A PNG of one person's readings of one kind ("bp" or "glucose") over the last `days`."""
    t = thresholds or load_thresholds()
    chosen, fonts = _locale_and_font(locale)
    text = _labels()[chosen]
    fig = Figure(figsize=SIZE_INCHES, dpi=DPI)
    ax = fig.add_subplot()
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontfamily(fonts)
    rows = [r for r in readings if r.kind == kind]
    times = _days([r.measured_at.astimezone(zone).replace(tzinfo=None) for r in rows])
    start = (now - timedelta(days=days)).astimezone(zone).replace(tzinfo=None)
    end = now.astimezone(zone).replace(tzinfo=None) + timedelta(hours=12)
    if kind == "bp":
        bp = t.blood_pressure
        # Two target bands: the upper number's (90 to the target) and the lower number's.
        ax.axhspan(90, bp.target.systolic_below, color="#c8e6c9", alpha=0.6, label=text["target"])
        ax.axhspan(60, bp.target.diastolic_below, color="#c8e6c9", alpha=0.6)
        ax.axhline(bp.urgent.systolic_at_least, color="#c62828", linestyle="--", linewidth=2)
        ax.plot(
            times,
            [float(r.systolic or 0) for r in rows],
            "o-",
            color="#c62828",
            linewidth=3,
            markersize=9,
            label=text["systolic"],
        )
        ax.plot(
            times,
            [float(r.diastolic or 0) for r in rows],
            "s-",
            color="#1565c0",
            linewidth=3,
            markersize=8,
            label=text["diastolic"],
        )
        ax.set_ylim(50, max([200, *(r.systolic or 0 for r in rows)]) + 10)
        ax.set_ylabel(text["unit_bp"], fontsize=18, fontfamily=fonts)
        title = text["title_bp"].format(name=name)
    else:
        g = t.glucose
        low, high = g.target[GlucoseContext.FASTING]
        ax.axhspan(low, high, color="#c8e6c9", alpha=0.6, label=text["target"])
        ax.axhline(g.urgent.at_least, color="#c62828", linestyle="--", linewidth=2)
        ax.axhline(g.urgent.at_most, color="#c62828", linestyle="--", linewidth=2)
        values = [(r.glucose_tenths or 0) / 10 for r in rows]
        ax.plot(
            times, values, "o-", color="#6a1b9a", linewidth=3, markersize=9, label=text["glucose"]
        )
        ax.set_ylim(0, max([20.0, *values]) + 2)
        ax.set_ylabel(text["unit_glucose"], fontsize=18, fontfamily=fonts)
        title = text["title_glucose"].format(name=name)
    ax.set_title(title, fontsize=22, pad=14, fontfamily=fonts)
    ax.set_xlim(*_days([start, end]))
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=7))  # type: ignore[no-untyped-call]
    # Days in words on the axis (12月7日 / 7 Dec), in the labels' language.
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: axis_day(x, chosen)))
    ax.tick_params(labelsize=16)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", prop={"family": fonts, "size": 15})
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # A name in a script no installed font has is drawn as boxes, not refused.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.tight_layout()
        fig.savefig(buffer, format="png")
    return buffer.getvalue()
