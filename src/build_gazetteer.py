"""Build the region gazetteer in ``data/external/`` from a pinned copy of the official code tables.

Source: the ``PublicDataReader`` wheel, version 1.1.1.post2 on PyPI (MIT licence), which ships
the 행정표준코드 tables as JSON: ``raw/code_bdong.json`` (법정동코드, last change 2022-09-01)
and ``raw/code_hdong.json`` (행정기관코드 = 행정동, last change 2023-05-01), both with 생성일자
and 말소일자 (abolition date) per code.

What it does:
1. ``pip download``s that exact wheel into a temporary folder and checks its sha256;
2. reads the two tables out of the wheel zip (the package itself is never installed or imported);
3. applies the changes that happened after the tables' date (``SIDO_RECODES``, ``SIGUNGU_MOVES``,
   ``NEW_PLACES``, ``EXTRA_ALIASES``: each with its date and a one-line note);
4. writes ``municipalities.csv`` (17 시도 + 226 시군구, labelled exactly as in
   ``shared/data/regions.json``), ``places.csv`` (일반구, 행정시, 신설구 and every current 읍·면·동,
   mapped to the label(s) they lie in) and ``SOURCE.md`` (provenance).

Run: ``python -m src.build_gazetteer [--wheel PATH] [--regions PATH] [--out-dir DIR]``.
Only the standard library and pandas are used.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple, Optional, Sequence

import pandas as pd

from src.cli import run
from src.config import EXTERNAL_DIR, ROOT
from src.errors import DataError
from src.persistence import sha256_of

PACKAGE = "PublicDataReader"
VERSION = "1.1.1.post2"
WHEEL_SHA256 = "7802f750bcd538b078e7be54146556968017dd43fb1b4e781fa440a4e770b2b6"
BDONG_MEMBER = "PublicDataReader/raw/code_bdong.json"
HDONG_MEMBER = "PublicDataReader/raw/code_hdong.json"
LICENSE = "MIT (PublicDataReader-1.1.1.post2.dist-info/LICENSE, © 2019 Wooil Jeong)"

DEFAULT_REGIONS = ROOT.parent / "shared" / "data" / "regions.json"


# --- Changes after the source tables' date -------------------------------------------------


class SidoRecode(NamedTuple):
    date: str
    old_prefix: str
    new_prefix: str
    new_name: str
    note: str


class SigunguMove(NamedTuple):
    date: str
    old_code: str
    new_code: str
    new_sido: str
    note: str


class NewPlace(NamedTuple):
    date: str
    name: str
    kind: str
    labels: tuple[str, ...]
    code: str
    note: str


class AliasAddition(NamedTuple):
    date: str
    labels: tuple[str, ...]
    aliases: tuple[str, ...]
    note: str


SIDO_RECODES: tuple[SidoRecode, ...] = (
    SidoRecode("2023-06-11", "42", "51", "강원특별자치도",
               "강원도 became 강원특별자치도; every code 42… became 51… (rest unchanged)"),
    SidoRecode("2024-01-18", "45", "52", "전북특별자치도",
               "전라북도 became 전북특별자치도; every code 45… became 52… (rest unchanged)"),
)

SIGUNGU_MOVES: tuple[SigunguMove, ...] = (
    SigunguMove("2023-07-01", "47720", "27720", "대구광역시",
                "경상북도 군위군 moved to 대구광역시; 47720… became 27720…"),
)

# New units whose own codes are not in the source; codes are left empty rather than guessed.
_BUCHEON = ("경기도 부천시",)
_HWASEONG = ("경기도 화성시",)
NEW_PLACES: tuple[NewPlace, ...] = (
    NewPlace("2024-01-01", "원미구", "일반구", _BUCHEON, "", "부천시 일반구 restored (abolished 2016-07-04)"),
    NewPlace("2024-01-01", "소사구", "일반구", _BUCHEON, "", "부천시 일반구 restored (abolished 2016-07-04)"),
    NewPlace("2024-01-01", "오정구", "일반구", _BUCHEON, "", "부천시 일반구 restored (abolished 2016-07-04)"),
    NewPlace("2026-02-01", "만세구", "일반구", _HWASEONG, "", "화성시 (특례시) split into 4 일반구"),
    NewPlace("2026-02-01", "효행구", "일반구", _HWASEONG, "", "화성시 (특례시) split into 4 일반구"),
    NewPlace("2026-02-01", "병점구", "일반구", _HWASEONG, "", "화성시 (특례시) split into 4 일반구"),
    NewPlace("2026-02-01", "동탄구", "일반구", _HWASEONG, "", "화성시 (특례시) split into 4 일반구"),
    NewPlace("2026-07-01", "제물포구", "신설구", ("인천광역시 중구", "인천광역시 동구"), "",
             "인천 중구 (mainland) + 동구 became 제물포구"),
    NewPlace("2026-07-01", "영종구", "신설구", ("인천광역시 중구",), "",
             "인천 중구's islands (영종도·용유도) became 영종구"),
    NewPlace("2026-07-01", "검단구", "신설구", ("인천광역시 서구",), "",
             "인천 서구 north of the 아라뱃길 became 검단구"),
    NewPlace("2026-07-01", "서해구", "신설구", ("인천광역시 서구",), "",
             "name chosen (2025-08) for the rest of 인천 서구 from 2026-07-01; its enactment is not verified here"),
)

EXTRA_ALIASES: tuple[AliasAddition, ...] = (
    AliasAddition("2026-07-01", ("광주광역시", "전라남도"), ("전남광주특별시", "전남광주통합특별시", "광주특별시"),
                  "광주광역시 + 전라남도 merged into 전남광주특별시 (special act passed 2026-03); "
                  "labels, names and codes kept as in regions.json, the new 시도 code is not applied"),
)

# --- Former names documented by the source's abolished codes ---------------------------------

# Old 시도 codes whose names (직할시, 제주도) are former names of a current 시도.
OLD_SIDO_CODES: dict[str, str] = {"21": "26", "22": "27", "23": "28", "24": "29", "25": "30", "49": "50"}

# Abolished source 시군구 code -> label of the current unit that took it over (whole or main part).
FORMER_SIGUNGU: dict[str, str] = {
    "28170": "인천광역시 미추홀구",
    "41230": "경기도 평택시", "41740": "경기도 평택시", "41350": "경기도 남양주시", "41720": "경기도 남양주시",
    "41710": "경기도 양주시", "41730": "경기도 여주시", "41750": "경기도 화성시", "41770": "경기도 파주시",
    "41780": "경기도 고양시", "41790": "경기도 광주시", "41810": "경기도 포천시", "41840": "경기도 이천시",
    "41850": "경기도 용인시", "41860": "경기도 안성시", "41870": "경기도 김포시",
    "42710": "강원특별자치도 춘천시", "42715": "강원특별자치도 춘천시", "42740": "강원특별자치도 원주시",
    "42745": "강원특별자치도 원주시", "42840": "강원특별자치도 강릉시", "42850": "강원특별자치도 삼척시",
    "43710": "충청북도 청주시", "43780": "충청북도 충주시", "43790": "충청북도 제천시", "43795": "충청북도 제천시",
    "44170": "충청남도 보령시", "44780": "충청남도 보령시", "44190": "충청남도 아산시", "44840": "충청남도 아산시",
    "44730": "세종특별자치시", "44740": "충청남도 공주시", "44750": "충청남도 논산시", "44820": "충청남도 서산시",
    "44830": "충청남도 당진시", "44850": "충청남도 천안시", "44860": "충청남도 천안시",
    "45150": "전북특별자치도 익산시", "45830": "전북특별자치도 익산시", "45170": "전북특별자치도 정읍시",
    "45780": "전북특별자치도 정읍시", "45760": "전북특별자치도 남원시", "45810": "전북특별자치도 김제시",
    "45820": "전북특별자치도 군산시",
    "46190": "전라남도 여수시", "46750": "전라남도 여수시", "46210": "전라남도 광양시", "46740": "전라남도 광양시",
    "46760": "전라남도 순천시", "46850": "전라남도 나주시",
    "47270": "경상북도 문경시", "47890": "경상북도 문경시", "47740": "경상북도 안동시", "47780": "경상북도 포항시",
    "47790": "경상북도 경주시", "47795": "경상북도 경주시", "47800": "경상북도 영천시", "47810": "경상북도 경산시",
    "47860": "경상북도 김천시", "47870": "경상북도 구미시", "47880": "경상북도 상주시", "47910": "경상북도 영주시",
    "48150": "경상남도 창원시", "48160": "경상남도 창원시", "48190": "경상남도 창원시",
    "48210": "경상남도 통영시", "48800": "경상남도 통영시", "48230": "경상남도 사천시", "48830": "경상남도 사천시",
    "48290": "경상남도 거제시", "48810": "경상남도 거제시", "48710": "경상남도 진주시", "48750": "경상남도 밀양시",
    "48760": "경상남도 양산시", "48780": "경상남도 김해시", "48770": "울산광역시 울주군", "48775": "울산광역시 울주군",
    "49710": "제주특별자치도", "49720": "제주특별자치도",
}

# Short forms of 시도 names as used in news (short names of 시군구 are derived).
SIDO_SHORT: dict[str, tuple[str, ...]] = {
    "서울특별시": ("서울", "서울시"), "부산광역시": ("부산", "부산시"), "대구광역시": ("대구", "대구시"),
    "인천광역시": ("인천", "인천시"), "광주광역시": ("광주", "광주시"), "대전광역시": ("대전", "대전시"),
    "울산광역시": ("울산", "울산시"), "세종특별자치시": ("세종", "세종시"), "경기도": ("경기",),
    "강원특별자치도": ("강원", "강원도"), "충청북도": ("충북", "충북도"), "충청남도": ("충남", "충남도"),
    "전북특별자치도": ("전북", "전북도"), "전라남도": ("전남", "전남도"), "경상북도": ("경북", "경북도"),
    "경상남도": ("경남", "경남도"), "제주특별자치도": ("제주", "제주도"),
}

SIDO_LEVEL_SIGUNGU = {"36110"}  # 세종특별자치시 has no 시군구: its single code stands for the 시도
BRANCH_OFFICE = r"출장|출$"  # 출장소 (branch office) pseudo-units: 북부출장소, 중구영종출장, 송탄출장소, …
HDONG_NUMBER = re.compile(r"^(?P<base>.+?)제?\d+(?:[.·,]\d+)*동$")  # 상계1동, 상계3.4동 -> 상계동


# --- Fetching and reading the source ----------------------------------------------------------


def download_wheel(dest: Path) -> Path:
    """``pip download`` the pinned wheel into ``dest`` and return its path."""
    cmd = [sys.executable, "-m", "pip", "download", f"{PACKAGE}=={VERSION}", "--no-deps",
           "--only-binary=:all:", "--disable-pip-version-check", "-d", str(dest)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise DataError(f"pip download {PACKAGE}=={VERSION} failed: {tail}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise DataError(f"expected one wheel in {dest}, found {len(wheels)}")
    return wheels[0]


def verify_wheel(path: Path) -> None:
    try:
        actual = sha256_of(path)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from None
    if actual != WHEEL_SHA256:
        raise DataError(f"{path.name}: sha256 {actual} does not match the pinned {WHEEL_SHA256}")


def read_table(wheel: Path, member: str) -> pd.DataFrame:
    """One code table from the wheel as strings, with '' for missing values."""
    with zipfile.ZipFile(wheel) as zf:
        raw = json.loads(zf.read(member))
    frame = pd.DataFrame(raw)
    return frame.astype(object).where(frame.notna(), "").astype(str).reset_index(drop=True)


def drop_branch_offices(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop 출장소 rows, which the tables list as 시도, 시군구 or 읍면동 but which are not areas."""
    names = frame[["시도명", "시군구명", "읍면동명"]]
    is_office = names.apply(lambda col: col.str.contains(BRANCH_OFFICE)).any(axis=1)
    return frame[~is_office].reset_index(drop=True)


def load_regions(path: Path) -> dict[str, list[str]]:
    try:
        regions = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read regions file {path}: {exc}") from exc
    if len(regions.get("sido", [])) != 17 or len(regions.get("sigungu", [])) != 226:
        raise DataError(f"{path}: expected 17 sido and 226 sigungu labels")
    return regions


def table_date(frame: pd.DataFrame) -> str:
    """Latest 생성/말소 date in a table, as YYYY-MM-DD."""
    latest = max(frame["생성일자"].max(), frame["말소일자"].max())
    return f"{latest[:4]}-{latest[4:6]}-{latest[6:]}"


# --- Applying post-source changes ------------------------------------------------------------


def apply_code_changes(frame: pd.DataFrame, code_col: str) -> pd.DataFrame:
    """Rewrite codes and 시도 names of current rows for ``SIDO_RECODES`` and ``SIGUNGU_MOVES``."""
    out = frame.copy()
    current = out["말소일자"] == ""
    for change in SIDO_RECODES:
        rows = current & (out["시도코드"] == change.old_prefix)
        for col in ("시도코드", "시군구코드", code_col):
            out.loc[rows, col] = change.new_prefix + out.loc[rows, col].str[2:]
        out.loc[rows, "시도명"] = change.new_name
    for move in SIGUNGU_MOVES:
        rows = current & (out["시군구코드"] == move.old_code)
        for col in ("시군구코드", code_col):
            out.loc[rows, col] = move.new_code + out.loc[rows, col].str[5:]
        out.loc[rows, "시도코드"] = move.new_code[:2]
        out.loc[rows, "시도명"] = move.new_sido
    return out


# --- Units: 시도, 시군구, 일반구, 행정시 ---------------------------------------------------


def current_units(bdong: pd.DataFrame) -> pd.DataFrame:
    """Current 시도/시군구-level rows (읍면동 empty)."""
    rows = bdong[(bdong["말소일자"] == "") & (bdong["읍면동명"] == "")]
    return rows[["시도코드", "시도명", "시군구코드", "시군구명"]].reset_index(drop=True)


def classify_unit(code: str, sido: str, name: str) -> str:
    if code.endswith("000"):
        return "sido"
    if code in SIDO_LEVEL_SIGUNGU:
        return "sido_only"
    if " " in name:
        return "일반구"
    if sido == "제주특별자치도":
        return "행정시"
    return "sigungu"


def build_code_labels(units: pd.DataFrame) -> dict[str, str]:
    """Every current 시군구-level code -> the regions.json label the area belongs to."""
    labels: dict[str, str] = {}
    for u in units.itertuples(index=False):
        kind = classify_unit(u.시군구코드, u.시도명, u.시군구명)
        if kind == "sigungu":
            labels[u.시군구코드] = f"{u.시도명} {u.시군구명}"
        elif kind == "일반구":
            labels[u.시군구코드] = f"{u.시도명} {u.시군구명.split(' ')[0]}"
        else:
            labels[u.시군구코드] = u.시도명
    return labels


def short_name(name: str) -> Optional[str]:
    """안산시 -> 안산, 연천군 -> 연천; None when fewer than 2 characters would remain (중구)."""
    stem = name[:-1]
    return stem if len(stem) >= 2 else None


def former_names(bdong: pd.DataFrame) -> dict[str, list[str]]:
    """Label -> former names, from the source's abolished 시도 and 시군구 codes."""
    gone = bdong[(bdong["말소일자"] != "") & (bdong["읍면동명"] == "")]
    current = bdong[bdong["말소일자"] == ""]
    found: dict[str, list[str]] = {}
    for old, new in OLD_SIDO_CODES.items():
        old_names = gone.loc[gone["시군구코드"] == old + "000", "시도명"]
        new_names = current.loc[current["시군구코드"] == new + "000", "시도명"]
        if old_names.empty or new_names.empty:
            raise DataError(f"source lacks 시도 code {old}000 or {new}000")
        found.setdefault(new_names.iloc[0], []).append(old_names.iloc[0])
    for recode in SIDO_RECODES:
        old_name = current.loc[current["시군구코드"] == recode.old_prefix + "000", "시도명"]
        found.setdefault(recode.new_name, []).extend(old_name.tolist())
    for code, label in FORMER_SIGUNGU.items():
        row = gone[gone["시군구코드"] == code]
        if row.empty:
            raise DataError(f"source documents no abolished 시군구 code {code}")
        name, sido = row["시군구명"].iloc[0], row["시도명"].iloc[0]
        if short_name(name) is None:  # bare 남구 -> 인천 남구
            name = f"{SIDO_SHORT[sido.replace('직할시', '광역시')][0]} {name}"
        found.setdefault(label, []).append(name)
    return found


def join_aliases(values: Sequence[str], exclude: Sequence[str]) -> str:
    seen = dict.fromkeys(v for v in values if v and v not in exclude)
    return "|".join(seen)


def build_municipalities(units: pd.DataFrame, former: dict[str, list[str]]) -> pd.DataFrame:
    extra: dict[str, list[str]] = {}
    for addition in EXTRA_ALIASES:
        for label in addition.labels:
            extra.setdefault(label, []).extend(addition.aliases)
    rows = []
    for u in units.itertuples(index=False):
        kind = classify_unit(u.시군구코드, u.시도명, u.시군구명)
        if kind == "sido":
            label = u.시도명
            aliases = [*SIDO_SHORT[label], *former.get(label, []), *extra.get(label, [])]
            rows.append((u.시군구코드, "sido", u.시도명, "", label, join_aliases(aliases, [label])))
        elif kind == "sigungu":
            label = f"{u.시도명} {u.시군구명}"
            aliases = [short_name(u.시군구명) or "", *former.get(label, []), *extra.get(label, [])]
            rows.append((u.시군구코드, "sigungu", u.시도명, u.시군구명, label,
                         join_aliases(aliases, [label, u.시군구명])))
    frame = pd.DataFrame(rows, columns=["code", "level", "sido", "name", "label", "aliases"])
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


# --- Places: 일반구, 행정시, 신설구, 읍·면·동 ---------------------------------------------------


def emd_kind(name: str) -> str:
    return {"읍": "읍", "면": "면"}.get(name[-1], "동")


def unit_places(units: pd.DataFrame, code_labels: dict[str, str]) -> list[tuple[str, str, str, str, int]]:
    """일반구 and 행정시 from the source as (name, kind, label, code, rank)."""
    found = []
    for u in units.itertuples(index=False):
        kind = classify_unit(u.시군구코드, u.시도명, u.시군구명)
        if kind in ("일반구", "행정시"):
            name = u.시군구명.split(" ")[-1]
            found.append((name, kind, code_labels[u.시군구코드], u.시군구코드, 0))
    return found


def emd_places(frame: pd.DataFrame, name_col: str, code_col: str, code_labels: dict[str, str],
               rank: int, add_base: bool) -> list[tuple[str, str, str, str, int]]:
    """Current 읍·면·동 of one table (no 리), plus 행정동 base names when asked."""
    rows = frame[(frame["말소일자"] == "") & (frame[name_col] != "")]
    if "동리명" in rows.columns:
        rows = rows[rows["동리명"] == ""]
    found = []
    for r in rows.itertuples(index=False):
        name, code, sigungu = getattr(r, name_col), getattr(r, code_col), r.시군구코드
        if sigungu not in code_labels:
            raise DataError(f"{code_col} {code} ({name}) lies in unknown 시군구 code {sigungu}")
        found.append((name, emd_kind(name), code_labels[sigungu], code, rank))
        match = HDONG_NUMBER.match(name) if add_base else None
        if match:
            found.append((match["base"] + "동", "동", code_labels[sigungu], "", rank + 1))
    return found


def build_places(records: list[tuple[str, str, str, str, int]], label_order: Sequence[str]) -> pd.DataFrame:
    """One row per (name, kind); labels in regions.json order, one code per label."""
    order = {label: i for i, label in enumerate(label_order)}
    frame = pd.DataFrame(records, columns=["name", "kind", "label", "code", "rank"])
    frame = frame.sort_values(["name", "kind", "label", "rank", "code"])
    best = frame.drop_duplicates(["name", "kind", "label"]).copy()
    best["pos"] = best["label"].map(order)
    if best["pos"].isna().any():
        bad = sorted(best.loc[best["pos"].isna(), "label"].unique())
        raise DataError(f"places mapped to labels missing from regions.json: {bad}")
    best = best.sort_values(["name", "kind", "pos"])
    grouped = best.groupby(["name", "kind"], sort=True).agg(
        labels=("label", "|".join), code=("code", "|".join))
    out = grouped.reset_index()[["name", "kind", "labels", "code"]]
    out["code"] = out["code"].where(out["code"].str.strip("|") != "", "")
    return out


def new_place_records() -> list[tuple[str, str, str, str, int]]:
    return [(p.name, p.kind, label, p.code, 0) for p in NEW_PLACES for label in p.labels]


# --- Checks and outputs ----------------------------------------------------------------------


def check_municipalities(frame: pd.DataFrame, regions: dict[str, list[str]]) -> None:
    wanted = [*regions["sido"], *regions["sigungu"]]
    have = frame["label"].tolist()
    missing = sorted(set(wanted) - set(have))
    extra = sorted(set(have) - set(wanted))
    if missing or extra:
        raise DataError(f"municipality labels differ from regions.json: missing {missing}, extra {extra}")
    if len(frame) != 243 or frame["label"].duplicated().any() or frame["code"].duplicated().any():
        raise DataError("municipalities: expected 243 rows with unique labels and codes")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def changes_markdown() -> list[str]:
    lines = [f"- {c.date}: {c.note}" for c in SIDO_RECODES]
    lines += [f"- {m.date}: {m.note}" for m in SIGUNGU_MOVES]
    lines += [f"- {p.date}: {p.name} ({p.kind}) → {', '.join(p.labels)}: {p.note}" for p in NEW_PLACES]
    lines += [f"- {a.date}: aliases {', '.join(a.aliases)} → {', '.join(a.labels)}: {a.note}"
              for a in EXTRA_ALIASES]
    return sorted(lines)


def source_markdown(bdong: pd.DataFrame, hdong: pd.DataFrame, municipalities: pd.DataFrame,
                    places: pd.DataFrame) -> str:
    ambiguous = int((places["labels"].str.contains("|", regex=False)).sum())
    kinds = ", ".join(f"{k} {n}" for k, n in places["kind"].value_counts().items())
    lines = [
        "# Gazetteer provenance",
        "",
        "Built by `python -m src.build_gazetteer`; do not edit the CSV files by hand.",
        "",
        f"- Package: `{PACKAGE}=={VERSION}` (PyPI wheel, fetched with `pip download --no-deps`)",
        f"- Wheel sha256: `{WHEEL_SHA256}`",
        f"- Licence: {LICENSE}; the tables are the public 행정표준코드 (법정동코드, 행정기관코드).",
        f"- `{BDONG_MEMBER}`: 법정동코드, {len(bdong)} codes "
        f"({int((bdong['말소일자'] == '').sum())} current), latest change {table_date(bdong)}",
        f"- `{HDONG_MEMBER}`: 행정동 (행정기관코드), {len(hdong)} codes "
        f"({int((hdong['말소일자'] == '').sum())} current), latest change {table_date(hdong)}",
        "",
        "## Outputs",
        "",
        f"- `municipalities.csv`: {len(municipalities)} rows "
        f"({int((municipalities['level'] == 'sido').sum())} 시도 + "
        f"{int((municipalities['level'] == 'sigungu').sum())} 시군구); labels as in `shared/data/regions.json`.",
        f"- `places.csv`: {len(places)} rows ({kinds}); {ambiguous} names lie in more than one label.",
        "  `labels` and `code` are `|`-separated and aligned (one code per label, 법정동 code first, "
        "else 행정동 code; empty where the source has none).",
        "",
        "## Changes applied after the source date",
        "",
        *changes_markdown(),
        "",
        "## Known limits",
        "",
        "- Labels follow regions.json (early 2026): 인천 중구/동구/서구 keep their pre-2026-07-01 codes "
        "28110/28140/28260, and 광주광역시/전라남도 keep theirs.",
        "- Codes of units created after the source date are left empty; sub-units of 부천, 화성, 인천 and "
        "군위 keep their source (or prefix-recoded) codes.",
        "- 읍·면·동 created, renamed or abolished after the tables' dates are not reflected.",
        "",
    ]
    return "\n".join(lines)


def build(wheel: Path, regions_path: Path, out_dir: Path) -> dict[str, int]:
    """Read the verified wheel, build all outputs into ``out_dir`` and return row counts."""
    verify_wheel(wheel)
    regions = load_regions(regions_path)
    bdong_raw = drop_branch_offices(read_table(wheel, BDONG_MEMBER))
    hdong_raw = drop_branch_offices(read_table(wheel, HDONG_MEMBER))
    bdong = apply_code_changes(bdong_raw, "법정동코드")
    hdong = apply_code_changes(hdong_raw, "행정동코드")
    units = current_units(bdong)
    code_labels = build_code_labels(units)

    municipalities = build_municipalities(units, former_names(bdong_raw))
    check_municipalities(municipalities, regions)

    records = unit_places(units, code_labels) + new_place_records()
    records += emd_places(bdong, "읍면동명", "법정동코드", code_labels, rank=0, add_base=False)
    records += emd_places(hdong, "읍면동명", "행정동코드", code_labels, rank=1, add_base=True)
    places = build_places(records, [*regions["sido"], *regions["sigungu"]])

    write_csv(municipalities, out_dir / "municipalities.csv")
    write_csv(places, out_dir / "places.csv")
    (out_dir / "SOURCE.md").write_text(source_markdown(bdong_raw, hdong_raw, municipalities, places),
                                       encoding="utf-8")
    return {"municipalities": len(municipalities), "places": len(places),
            "ambiguous_places": int(places["labels"].str.contains("|", regex=False).sum())}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m src.build_gazetteer", description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="use this already downloaded wheel (still sha256-checked)")
    parser.add_argument("--regions", type=Path, default=DEFAULT_REGIONS, help="regions.json with the labels")
    parser.add_argument("--out-dir", type=Path, default=EXTERNAL_DIR, help="where to write the outputs")
    return run(parser, argv, _build_and_print)


def _build_and_print(args: argparse.Namespace) -> int:
    if args.wheel is not None:
        counts = build(args.wheel, args.regions, args.out_dir)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            counts = build(download_wheel(Path(tmp)), args.regions, args.out_dir)
    print(json.dumps(counts, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
