"""The gazetteer: every local government with its code and the names it goes by in text.

Read from `data/external/municipalities.csv` (17 시도 + 226 시군구) and `places.csv` (일반구,
행정시, 읍·면·동 → the government(s) they lie in), both built by `python -m src.build_gazetteer`.
`find_mentions` spots these names in running text.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, NamedTuple

from src.config import MUNICIPALITIES_FILE, PLACES_FILE

# How a name refers to a government. "official" names and forms ending in 시/군/구/도 are
# distinctive; "short" forms (안산, 연천) and places are common words too: they count as such
# only when followed by a particle, a known suffix or nothing. Otherwise a short name is a
# "prefix" (weak evidence, left for the model to weigh) and a place name is dropped.
OFFICIAL, ALIAS, SHORT, DISTRICT, TOWN = "official", "alias", "short", "district", "town"
PREFIX = "prefix"  # a short name opening a longer word: 광주신세계, 나주문화재단, 예산안(!)
_GOVERNMENT_SUFFIXES = ("시", "군", "구", "도")
PARTICLES = ("은", "는", "이", "가", "을", "를", "의", "에", "에서", "에는", "와", "과", "도",
              "로", "으로", "만", "까지", "부터", "서", "이다", "인", "과의", "와의", "에도")
_FOLLOWERS = ("지역", "시민", "군민", "구민", "도민", "주민", "일대", "권", "시내", "읍내", "출신",
              "시청", "군청", "구청", "도청", "시장", "군수", "구청장", "지사", "교육", "경찰",
              "소방", "상공", "시의회", "군의회", "구의회", "도의회", "특례시", "광역")
_WORD = re.compile(r"[가-힣0-9]+")
# 읍·면·동 names that news mostly uses as everyday words (합동 단속, 이동 경로, 행동 요령, 서면 질의):
# read as places, they tag national news with a 동 of one city.
EVERYDAY_WORDS = frozenset({"구동", "내면", "변동", "서면", "선동", "수동", "시동", "연동", "유동", "율동",
                            "이동", "작동", "초동", "파동", "합동", "행동"})


class Region(NamedTuple):
    label: str
    code: str
    sido: str
    name: str
    level: str  # "sido" or "sigungu"


class Mention(NamedTuple):
    surface: str
    start: int
    end: int
    kind: str
    labels: tuple[str, ...]
    follower: str  # the rest of the word after the name (particle, 청, 의회, …)


@dataclass(frozen=True)
class Gazetteer:
    regions: dict[str, Region]
    names: dict[str, tuple[tuple[str, str], ...]]  # surface → ((label, kind), …)
    own_names: dict[str, tuple[str, ...]]  # label → its official name and aliases, longest first
    lengths: dict[str, tuple[int, ...]]  # first two letters → lengths of names starting so, longest first

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.regions)

    def mask(self, text: str, label: str) -> str:
        """`text` with every name of government `label` hidden, length kept: 연천군 → ○○군, 연천 → ○○."""
        for name in self.own_names[label]:
            keep = name[-1] if name.endswith(_GOVERNMENT_SUFFIXES) else ""
            text = text.replace(name, "○" * (len(name) - len(keep)) + keep)
        return text

    def read_label(self, written: str) -> tuple[str, ...]:
        """The governments a label written as people write it can mean: 부산시 → 부산광역시; 경기 수원시
        and 수원 → 경기도 수원시; 강원도 춘천시 → 강원특별자치도 춘천시; 제주시 → 제주특별자치도. Several
        for 중구 or 광주시, none for what names no government (읍·면·동 names are not read)."""
        words = written.split() or [""]
        for spelling in self._spellings(words):  # a name with its 시도 in it: 인천 남구 (미추홀구 until 2018)
            if whole := self._governments_named(spelling):
                return whole
        *context, name = words
        meant = self._governments_named(name)
        for word in context:  # 시도 or city before the name: 부산 중구, 안산시 상록구
            around = set(self._governments_named(word))
            meant = tuple(label for label in meant if label in around or self.regions[label].sido in around)
        return meant

    def _spellings(self, words: list[str]) -> Iterator[str]:
        """`words` as one name, then with the first word as each name of the 시도 it names."""
        yield " ".join(words)
        for sido_name in self.own_names.get(self._sido_named(words[0]), ()) if len(words) > 1 else ():
            yield " ".join([sido_name, *words[1:]])

    def _sido_named(self, word: str) -> str:
        """The 시도 `word` names (인천광역시 for 인천 or 인천시), or ""."""
        found = [label for label in self._governments_named(word) if self.regions[label].level == "sido"]
        return found[0] if len(found) == 1 else ""

    def _governments_named(self, name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(label for label, kind in self.names.get(name, ()) if kind != TOWN))

    def find_mentions(self, text: str) -> list[Mention]:
        """Names of governments and places in `text`, longest match first, left to right."""
        found = []
        for word in _WORD.finditer(text):
            if word.group()[:2] in self.lengths:  # most words cannot start a name: skip them fast
                found.extend(self._mentions_in(word.group(), word.start()))
        return found

    def _mentions_in(self, word: str, offset: int) -> Iterator[Mention]:
        pos = 0
        while pos < len(word) - 1:
            match = self._longest_name(word, pos)
            if match is None:
                return
            surface, entries = match
            end = pos + len(surface)
            follower = word[end:]
            by_kind: dict[str, list[str]] = {}
            clean = _is_clean_follower(follower) or self._longest_name(word, end) is not None
            for label, kind in entries:
                if not clean and kind in (SHORT, TOWN):
                    if kind == TOWN:
                        continue
                    kind = PREFIX
                by_kind.setdefault(kind, []).append(label)
            for kind, labels in by_kind.items():
                yield Mention(surface, offset + pos, offset + end, kind, tuple(labels), follower)
            pos = end

    def _longest_name(self, word: str, pos: int):
        for size in self.lengths.get(word[pos:pos + 2], ()):
            entries = self.names.get(word[pos:pos + size]) if pos + size <= len(word) else None
            if entries:
                return word[pos:pos + size], entries
        return None


def load_gazetteer(municipalities: Path = MUNICIPALITIES_FILE, places: Path = PLACES_FILE) -> Gazetteer:
    regions: dict[str, Region] = {}
    names: dict[str, list[tuple[str, str]]] = {}
    for row in _read_csv(municipalities):
        region = Region(row["label"], row["code"], row["sido"], row["name"], row["level"])
        regions[region.label] = region
        _add(names, region.name or region.sido, region.label, OFFICIAL)
        for alias in filter(None, row["aliases"].split("|")):
            _add(names, alias, region.label, ALIAS if alias.endswith(_GOVERNMENT_SUFFIXES) else SHORT)
    for row in _read_csv(places):
        if row["name"] in EVERYDAY_WORDS:
            continue
        kind = TOWN if row["kind"] in ("읍", "면", "동") else DISTRICT
        for label in row["labels"].split("|"):
            _add(names, row["name"], label, kind)
    frozen = {surface: tuple(dict.fromkeys(entries)) for surface, entries in names.items()}
    own: dict[str, set[str]] = {label: set() for label in regions}
    for surface, entries in frozen.items():
        for label, kind in entries:
            if kind in (OFFICIAL, ALIAS, SHORT):
                own[label].add(surface)
    own_names = {label: tuple(sorted(found, key=len, reverse=True)) for label, found in own.items()}
    lengths: dict[str, set[int]] = {}
    for surface in frozen:
        lengths.setdefault(surface[:2], set()).add(len(surface))
    return Gazetteer(regions, frozen, own_names,
                     {start: tuple(sorted(sizes, reverse=True)) for start, sizes in lengths.items()})


def _add(names: dict[str, list[tuple[str, str]]], surface: str, label: str, kind: str) -> None:
    if len(surface) >= 2:
        names.setdefault(surface, []).append((label, kind))


def _is_clean_follower(follower: str) -> bool:
    return not follower or follower in PARTICLES or follower.startswith(_FOLLOWERS)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))
