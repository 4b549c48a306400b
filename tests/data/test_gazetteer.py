import csv
from collections import Counter

from src.config import MUNICIPALITIES_FILE, PLACES_FILE
from src.gazetteer import EVERYDAY_WORDS


def rows(path):
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_every_local_government_once_with_a_unique_code(gazetteer):
    table = rows(MUNICIPALITIES_FILE)
    levels = Counter(r["level"] for r in table)
    assert levels == {"sido": 17, "sigungu": 226}
    assert len(gazetteer.regions) == 243
    codes = [r["code"] for r in table]
    assert len(set(codes)) == 243 and all(len(c) == 5 and c.isdigit() for c in codes)


def test_labels_are_sido_plus_name_and_codes_nest(gazetteer):
    sido_codes = {r.label: r.code[:2] for r in gazetteer.regions.values() if r.level == "sido"}
    for region in gazetteer.regions.values():
        if region.level == "sigungu":
            assert region.label == f"{region.sido} {region.name}"
            assert region.code[:2] == sido_codes[region.sido], region
    assert gazetteer.regions["대구광역시 군위군"].code == "27720"
    assert gazetteer.regions["강원특별자치도 춘천시"].code.startswith("51")
    assert gazetteer.regions["전북특별자치도 전주시"].code.startswith("52")


def test_places_point_to_known_labels_and_keep_homonyms(gazetteer):
    places = {r["name"]: r for r in rows(PLACES_FILE)}
    for place in places.values():
        assert all(label in gazetteer.regions for label in place["labels"].split("|")), place
    assert places["백학면"]["labels"] == "경기도 연천군"
    assert places["상록구"]["labels"] == "경기도 안산시"
    assert places["제주시"]["labels"] == "제주특별자치도"
    assert set(places["제물포구"]["labels"].split("|")) == {"인천광역시 중구", "인천광역시 동구"}
    assert places["검단구"]["labels"] == "인천광역시 서구"
    assert len(places["중앙동"]["labels"].split("|")) > 10


def test_names_in_text_cover_short_former_and_ambiguous_forms(gazetteer):
    def labels(name):
        return {label for label, _ in gazetteer.names[name]}

    assert labels("연천") == {"경기도 연천군"}
    assert labels("안산") == {"경기도 안산시"}
    assert labels("강원도") == {"강원특별자치도"}
    assert labels("군위군") == {"대구광역시 군위군"}
    assert {"광주광역시", "경기도 광주시"} <= labels("광주")
    assert labels("고성군") == {"강원특별자치도 고성군", "경상남도 고성군"}
    assert len(labels("중구")) == 6


def test_town_names_that_are_everyday_words_are_not_read_as_places(gazetteer):
    found = gazetteer.find_mentions("경찰청은 전국에서 음주운전 합동 단속을 벌이고 이동 경로와 행동 요령을 알렸다. 연동에서도.")
    assert [m.surface for m in found] == []
    assert [m.surface for m in gazetteer.find_mentions("백학면 주민들이 모였다.")] == ["백학면"]
    assert {row["name"] for row in rows(PLACES_FILE)} >= EVERYDAY_WORDS  # facts kept, only not read
