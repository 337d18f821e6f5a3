"""The bilingual-field rule every screen and push uses (content/localized.py)."""

from __future__ import annotations

from dataclasses import dataclass

from jiayi.content.localized import localized, pick


@dataclass(frozen=True)
class _Service:
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class _Centre:
    centre_name: str
    centre_name_en: str | None


def test_suffixed_fields_follow_the_locale() -> None:
    service = _Service(name_zh="儿童体检", name_en="Child check-up")
    assert localized(service, "name", "zh-CN") == "儿童体检"
    assert localized(service, "name", "en") == "Child check-up"


def test_the_chinese_legal_name_has_no_suffix_and_fills_a_missing_translation() -> None:
    assert localized(_Centre("和平社区卫生服务中心", "Heping CHC"), "centre_name", "zh-CN") == (
        "和平社区卫生服务中心"
    )
    assert localized(_Centre("和平社区卫生服务中心", "Heping CHC"), "centre_name", "en") == (
        "Heping CHC"
    )
    assert localized(_Centre("和平社区卫生服务中心", None), "centre_name", "en") == (
        "和平社区卫生服务中心"
    )


def test_payload_mappings_read_the_same_way() -> None:
    payload = {"service_name_zh": "流感疫苗", "service_name_en": "Flu vaccine"}
    assert localized(payload, "service_name", "en") == "Flu vaccine"
    assert localized(payload, "service_name", "zh-CN") == "流感疫苗"
    assert localized({}, "note", "en") == ""


def test_pick_a_pair() -> None:
    assert pick("立春", "Start of Spring", "zh-CN") == "立春"
    assert pick("立春", "Start of Spring", "en") == "Start of Spring"
