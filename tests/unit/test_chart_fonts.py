"""Charts find the CJK font even when matplotlib listed its fonts before it was installed (the
font cache is built on first use; `make` may install the font later on the same machine)."""

from __future__ import annotations

import pytest
from matplotlib import font_manager

from jiayi.services import readings_chart


def test_a_cjk_font_missing_from_the_cached_list_is_added_by_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not any(path.is_file() for path in readings_chart.CJK_FILES):
        pytest.skip("no CJK font file on this machine")
    stale = [
        f for f in font_manager.fontManager.ttflist if f.name not in readings_chart.CJK_FAMILIES
    ]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    readings_chart.cjk_font.cache_clear()
    try:
        assert readings_chart.cjk_font() in readings_chart.CJK_FAMILIES
    finally:
        readings_chart.cjk_font.cache_clear()
