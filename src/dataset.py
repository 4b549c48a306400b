"""Reading articles: labelled corpora for training, raw texts and records for prediction.

Files may be UTF-8 (with or without BOM) or CP949/EUC-KR; the encoding is sniffed.
pandas is imported only where a corpus becomes a frame, so the predict path stays light.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import io
import itertools
import json
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from src.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from src.gazetteer import Gazetteer

LABEL_FIELDS = ("category", "municipality")  # a record needs uid, text and these; a title may be left out
CORPUS_COLUMNS = ("uid", "title", "text", "category", "category_alt", "municipality")
OPTIONAL_COLUMNS = ("source_set",)
_LABEL_COLUMNS = ("category", "category_alt", "municipality")
SUFFIXES = (".jsonl", ".csv", ".parquet")
# CSV and Parquet columns with these names are read as these fields, unless a column has the field's name
KOREAN_COLUMNS = {"번호": "uid", "연번": "uid", "제목": "title", "본문": "text", "내용": "text",
                  "분류": "category", "카테고리": "category", "지역": "municipality", "지자체": "municipality"}
_SNIFF_BYTES = 1 << 16
_SPELLINGS_SHOWN = 10  # labels read as another label that a load report lists one by one
_ENCODING_SCAN_BYTES = 1 << 26  # how far into a file of ASCII to look for the Korean that tells its encoding
_PARQUET_BATCH_ROWS = 1024  # a Parquet file is read this many rows at a time, never whole
_CSV_FIELD_LIMIT = 2**31 - 1  # the csv module's default, 131,072 characters, is a long article
_ENCODINGS = ("utf-8-sig", "cp949")  # sniffed in this order
_UNDECODED = re.compile("[\udc80-\udcff]")  # what `surrogateescape` makes of undecodable bytes
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass
class LoadReport:
    """What `load_corpus` read from one file, and what it skipped and why."""

    path: Path
    kept: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    read_as: Counter = field(default_factory=Counter)  # (label as written, label read) → records

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        return f"{self.path}: {self.kept} articles" + self.skipped_text() + self._read_as_text()

    def lines(self) -> Iterator[str]:
        """The summary, then the first records skipped, each with where and why, and the most
        frequent labels read as another label."""
        yield self.summary()
        yield from (f"  skipped {example}" for example in self.examples)
        if self.n_skipped > len(self.examples):
            yield f"  … and {self.n_skipped - len(self.examples)} more"
        for (written, label), n in self.read_as.most_common(_SPELLINGS_SHOWN):
            yield f"  read {written} as {label} ×{n}"
        if len(self.read_as) > _SPELLINGS_SHOWN:
            yield f"  … and {len(self.read_as) - _SPELLINGS_SHOWN} more spellings"

    def _read_as_text(self) -> str:
        return f"; {sum(self.read_as.values())} labels read as the label they name" if self.read_as else ""

    def skipped_text(self) -> str:
        if not self.skipped:
            return ""
        reasons = ", ".join(f"{n} {reason}" for reason, n in self.skipped.most_common())
        return f"; skipped {self.n_skipped} ({reasons})"


class RecordError(ValueError):
    """One bad record; `reason` is the short tag it is counted under, `uid` its uid where it
    could still be read."""

    def __init__(self, reason: str, detail: str, uid: str | int | None = None):
        super().__init__(detail)
        self.reason, self.uid = reason, uid


def sniff_encoding(head: bytes, korean: bytes | None = None) -> str:
    """`utf-8-sig` for UTF-8 with or without BOM, else `cp949` (a superset of EUC-KR), told by
    `korean` (the bytes from the first non-ASCII line on) or else by the `head` of the file. Of a
    file that mixes them, the encoding most lines are in: readers then name the other lines."""
    _refuse_binary(head)
    sample = korean or head
    for encoding in _ENCODINGS:
        if _decodes(sample, encoding):
            return encoding
    lines = sample.split(b"\n")
    in_encoding = {encoding: sum(_decodes(line, encoding) for line in lines) for encoding in _ENCODINGS}
    best = max(_ENCODINGS, key=in_encoding.get)
    if not in_encoding[best]:
        raise DataError("not UTF-8 or CP949/EUC-KR text")
    return best


def _refuse_binary(head: bytes) -> None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError("starts with a UTF-16 byte-order mark: save the text as UTF-8 (or CP949)")
    if b"\x00" in head:
        raise DataError("binary data (NUL bytes), not text; UTF-16 text without a BOM reads so too")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=False)
        return True
    except UnicodeDecodeError:
        return False


def decode_text(data: bytes) -> str:
    """Bytes of a Korean text file → str, whichever of the supported encodings it uses."""
    try:
        return data.decode(sniff_encoding(data[:_SNIFF_BYTES], _from_first_non_ascii(data)))
    except UnicodeDecodeError as exc:
        raise DataError(f"undecodable bytes at offset {exc.start}") from None


def open_text(path: Path) -> io.TextIOWrapper:
    """Open `path` for streaming text reads in its sniffed encoding. Bytes that are not in that
    encoding come through as lone surrogates (`surrogateescape`), so that the reader can name
    the line that holds them."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise DataError(f"{path}: {exc.strerror}") from None
    head = raw.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
    # a head of ASCII only tells nothing: then the file is read on to its first Korean line, unless
    # it is a pipe (FIFO), which cannot be read twice: its lines are then taken as UTF-8
    scan = head.isascii() and path.is_file()
    try:
        encoding = sniff_encoding(head, _first_non_ascii_in_file(path) if scan else None)
    except DataError as exc:
        raw.close()
        raise DataError(f"{path}: {exc}") from None
    return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="")


def iter_stdin_records() -> Iterator[tuple[int, dict | RecordError]]:
    """`(line, record)` from JSON Lines on standard input. A pipe cannot be read twice, so each
    line's encoding is told from the line itself."""
    first = True
    for line_no, raw in enumerate(_stdin_lines(), start=1):
        if not raw.strip():
            continue
        line = _decoded(raw)
        record = _json_record(line) if line is not None else RecordError(
            "bad encoding", "bytes that are not UTF-8 or CP949 text", _uid_in(raw.decode("utf-8", "replace")))
        # CSV or plain text piped in: one error, not one per line (a JSON line cut short is a bad record)
        if first and isinstance(record, RecordError) and not raw.lstrip().startswith(b"{"):
            raise DataError(f"-:{line_no}: standard input is read as JSON Lines, and its first line is not a JSON "
                            f"object ({record}); give a CSV, Parquet or .txt file as --input FILE")
        first = False
        yield line_no, record


def _stdin_lines() -> Iterator[bytes]:
    """The lines of standard input as they arrive, read with `os.read` rather than through
    `sys.stdin`: a thread that waits on a quiet feed then holds no lock of `sys.stdin`, which the
    interpreter would wait for on its way out (a fatal error on Ctrl-C)."""
    fd, pending, head = sys.stdin.fileno(), [], True
    while block := os.read(fd, _SNIFF_BYTES):
        if head:  # what is not text at all is refused whole, as a file is
            try:
                _refuse_binary(block)
            except DataError as exc:
                raise DataError(f"-: {exc}") from None
            head = False
        start = 0
        while (end := block.find(b"\n", start)) >= 0:
            yield b"".join([*pending, block[start:end + 1]])
            pending, start = [], end + 1
        if start < len(block):
            pending.append(block[start:])
    if pending:
        yield b"".join(pending)


def _decoded(raw: bytes) -> str | None:
    for encoding in _ENCODINGS:
        with contextlib.suppress(UnicodeDecodeError):
            return raw.decode(encoding)
    return None


def _first_non_ascii_in_file(path: Path) -> bytes | None:
    """What tells a file's encoding, in its first 64 MB: a CSV may open with many rows of ASCII."""
    with path.open("rb") as scan:
        for block in iter(lambda: scan.read(1 << 20), b""):
            if scan.tell() > _ENCODING_SCAN_BYTES:
                return None
            sample = _from_first_non_ascii(block)
            if sample is not None:
                return (sample + scan.read(_SNIFF_BYTES))[:_SNIFF_BYTES]
    return None


def _from_first_non_ascii(data: bytes) -> bytes | None:
    """`data` from the start of the line that holds its first non-ASCII byte, up to 64 KB: what
    tells the encoding."""
    found = _NON_ASCII.search(data)
    if found is None:
        return None
    start = data.rfind(b"\n", 0, found.start()) + 1
    return data[start:start + _SNIFF_BYTES]


def iter_records(path: Path, required: Sequence[str] = (), hint: str = "",
                 headlines: bool = False) -> Iterator[tuple[int, dict | RecordError]]:
    """Yield `(number, record)` from JSONL/CSV/Parquet, or `(number, RecordError)` for a bad one:
    its line in JSON Lines, its row as a spreadsheet shows it in CSV, its row in Parquet.
    A CSV header or Parquet file without a `required` column is refused as a whole (`hint`: how to
    give it). With `headlines`, a .txt file is read as one headline per line."""
    if path.is_dir():
        raise DataError(f"{path}: a folder, not a file of records"
                        + ("; to tag the .txt articles in it, give the folder without --input" if headlines else ""))
    suffix = path.suffix.lower()
    if headlines and suffix == ".txt":
        yield from _iter_headlines(path)
        return
    if suffix not in SUFFIXES:
        kinds = ", ".join(SUFFIXES) + (", or .txt for one headline per line" if headlines else "")
        raise DataError(f"{path}: unsupported file type {suffix!r} (use {kinds})")
    if suffix == ".parquet":
        yield from _iter_parquet(path, required, hint)
        return
    with open_text(path) as stream:
        yield from _iter_csv(stream, path, required, hint) if suffix == ".csv" else _iter_jsonl(stream)


def load_corpus(
    path: Path,
    categories: Iterable[str] | dict[str, str],
    municipalities: Iterable[str] | PlaceLabels | None = None,
    on_error: str = "fail",
    labels: Sequence[str] = LABEL_FIELDS,
) -> tuple["pd.DataFrame", LoadReport]:
    """Read and check a labelled corpus; a bad record raises `DataError` or, with
    `on_error="skip"`, is skipped and counted in the report."""
    frame, (report,) = load_corpora([path], categories, municipalities, on_error, labels)
    return frame, report


def load_corpora(
    paths: Sequence[Path],
    categories: Iterable[str] | dict[str, str],
    municipalities: Iterable[str] | PlaceLabels | None = None,
    on_error: str = "fail",
    labels: Sequence[str] = LABEL_FIELDS,
) -> tuple["pd.DataFrame", list[LoadReport]]:
    """`load_corpus` over several files read as one corpus: a uid may occur only once in all of
    them, and each file gets its own report. Where some files give a `source_set` and others do
    not, the others' articles are counted under their file's name. Every record must carry the
    label fields in `labels`; one that is left out is an empty column. A category may be written
    as its Korean name, and with `PlaceLabels` from a gazetteer a government as people write it:
    each is read as its label and counted in the report."""
    import pandas as pd

    if not paths:
        raise DataError("no corpus files given")
    names = dict(categories) if isinstance(categories, dict) else dict.fromkeys(categories, "")
    places = municipalities if isinstance(municipalities, PlaceLabels) or municipalities is None \
        else PlaceLabels(municipalities)
    check = _RecordChecker(names, places, ("uid", "text", *labels))
    loaded = [(path, *_load_file(path, check, on_error)) for path in paths]
    rows = [row for _, file_rows, _ in loaded for row in file_rows]
    columns = list(CORPUS_COLUMNS)
    if any("source_set" in row for row in rows):
        for path, file_rows, _ in loaded:
            for row in file_rows:
                row.setdefault("source_set", path.stem)
        columns.append("source_set")
    return pd.DataFrame(rows, columns=columns), [report for *_, report in loaded]


def _load_file(path: Path, check: "_RecordChecker", on_error: str) -> tuple[list[dict], LoadReport]:
    rows, report = [], LoadReport(path)
    for line, record in iter_records(path, check.required):
        try:
            if isinstance(record, RecordError):
                raise record
            rows.append(check(record, report.read_as))
        except RecordError as exc:
            if on_error != "skip":
                raise DataError(f"{path}:{line}: {exc}") from None
            report.skipped[exc.reason] += 1
            if len(report.examples) < 5:
                report.examples.append(f"{path.name}:{line}: {exc}")
    report.kept = len(rows)
    if not rows:
        raise DataError(f"{path}: no usable articles{report.skipped_text()}")
    return rows, report


def read_article(path: Path) -> tuple[str, str]:
    """A `.txt` article: first non-empty line is the title, the rest the text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: {exc.strerror}") from None
    return parse_article(data, str(path))


def parse_article(data: bytes, name: str) -> tuple[str, str]:
    """The bytes of a `.txt` article (from a file or standard input) → title and text; errors
    name `name`."""
    try:
        text = decode_text(data).strip()
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
    if not text:
        raise DataError(f"{name}: empty file")
    title, _, body = text.partition("\n")
    return title.strip(), body.strip()


def labelled_fields(path: Path) -> tuple[str, ...]:
    """Which of the label fields some record of `path` carries: a file to score a model against
    may be labelled with one of them only."""
    found: set[str] = set()
    for _, record in iter_records(path):
        if isinstance(record, dict):
            found.update(name for name in LABEL_FIELDS if not _blank(record.get(name)))
            if len(found) == len(LABEL_FIELDS):
                break
    return tuple(name for name in LABEL_FIELDS if name in found)


class _RecordChecker:
    def __init__(self, categories: dict[str, str], places: PlaceLabels | None, required: Sequence[str]):
        """categories: each label with its Korean name ("" if none); required: the fields every
        record must carry."""
        self.categories = categories
        self.by_korean_name = {name: label for label, korean in categories.items() if korean
                               for name in (korean, korean.replace("·", ""))}
        self.places = places
        self.required = required
        self.seen: set[str] = set()

    def __call__(self, record: dict, read_as: Counter) -> dict:
        """The record as a corpus row; a label written another way is read as its own and counted in `read_as`."""
        # an empty text is refused as such, below
        missing = [f for f in self.required if f not in record or (f != "text" and _blank(record[f]))]
        if missing:
            none = self.places.none if self.places and "municipality" in missing else None
            hint = f" (an article about no government is labelled {none})" if none else ""
            raise RecordError("missing field", f"missing or empty field(s): {', '.join(missing)}{hint}")
        wrong = not_text(record, (*CORPUS_COLUMNS[1:], *OPTIONAL_COLUMNS))
        if wrong or isinstance(record["uid"], (bool, list, dict)):
            raise RecordError("wrong type", f"uid {record['uid']}: {wrong or 'uid is not text or a number'}")
        row = {c: as_text(record.get(c)) for c in (*CORPUS_COLUMNS, *OPTIONAL_COLUMNS) if c in record}
        row.setdefault("title", "")
        for name in _LABEL_COLUMNS:  # a spreadsheet's stray spaces are not part of a label
            row[name] = row.get(name, "").strip()
        if not row.get("text", "").strip():
            raise RecordError("empty text", f"uid {row['uid']}: empty text")
        rewritten = self._read_labels(row)
        if row["uid"] in self.seen:
            raise RecordError("duplicate uid", f"duplicate uid {row['uid']}")
        self.seen.add(row["uid"])
        read_as.update(rewritten)
        return row

    def _read_labels(self, row: dict) -> list[tuple[str, str]]:
        """Each label of `row` as its own; returns the (written, read) pairs of those written otherwise."""
        rewritten = []
        for name in ("category", "category_alt"):
            label = row[name]
            if label and label not in self.categories:
                if label not in self.by_korean_name:
                    known = ", ".join(f"{c} ({korean})" if korean else c for c, korean in self.categories.items())
                    raise RecordError("unknown label", f"uid {row['uid']}: unknown {name} {label!r} "
                                                       f"(the categories: {known})")
                row[name] = self.by_korean_name[label]
                rewritten.append((label, row[name]))
        label = row["municipality"]
        if not label or self.places is None:
            return rewritten
        meant = self.places.read(label)
        if len(meant) != 1:
            raise RecordError("unknown label", f"uid {row['uid']}: unknown municipality {label!r} "
                                               f"({self.places.hint(label)})")
        if meant[0] != label:
            row["municipality"] = meant[0]
            rewritten.append((label, meant[0]))
        return rewritten


class PlaceLabels:
    """The municipality labels a corpus may carry: a government's label or `none`. With a
    gazetteer, a label written as people write it (부산시, 경기 수원시) is read as the one it names."""

    def __init__(self, labels: Iterable[str], none: str | None = None, gazetteer: Gazetteer | None = None):
        self.labels, self.none, self.gazetteer = frozenset(labels), none, gazetteer

    @classmethod
    def of(cls, gazetteer: Gazetteer, none: str) -> PlaceLabels:
        return cls((*gazetteer.labels, none), none, gazetteer)

    def read(self, written: str) -> tuple[str, ...]:
        """The labels `written` can mean: itself, one it names unambiguously, several, or none."""
        if written in self.labels:
            return (written,)
        return self.gazetteer.read_label(written) if self.gazetteer else ()

    def hint(self, written: str) -> str:
        """The labels meant: the governments of that name (고성군 is two), the one the last word names
        (경상북도 군위군: 대구광역시 군위군 since 2023), the 시도 that starts so, or the closest spelling."""
        meant = sorted(self.read(written))
        if not meant and self.gazetteer and " " in written:
            meant = sorted(self.gazetteer.read_label(written.split()[-1]))
        if not meant and " " not in written:
            meant = sorted(m for m in self.labels if m.endswith(" " + written))
            meant += sorted(m for m in self.labels if " " not in m and m[:2] == written[:2] != "")
        meant = meant or difflib.get_close_matches(written, self.labels, n=1, cutoff=0.7)
        if meant:
            return "did you mean " + " or ".join(map(repr, meant)) + "?"
        return "write 시도 and 시군구 in full, e.g. '경기도 수원시'" + (
            f", or {self.none} for an article about no government" if self.none else "")


def not_text(record: dict, fields: Iterable[str]) -> str | None:
    """What is wrong if one of `fields` holds something other than text (or nothing)."""
    for name in fields:
        value = record.get(name)
        if not (isinstance(value, str) or _blank(value)):
            return f"field {name} is {type(value).__name__}, not text"
    return None


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def as_text(value) -> str:
    """A field's value as text; nothing (None, NaN) is the empty string."""
    return "" if _blank(value) else str(value)


def _iter_headlines(path: Path) -> Iterator[tuple[int, dict | RecordError]]:
    """`(line, record)` from a text file of one headline per line: the record's uid is its line
    number, its title the line, its text empty. Blank lines are passed over."""
    with open_text(path) as stream:
        for line_no, line in enumerate(stream, start=1):
            if line.strip():
                yield line_no, (_encoding_error(stream) if _UNDECODED.search(line)
                                else {"uid": line_no, "title": line.strip(), "text": ""})


def _iter_jsonl(stream: io.TextIOWrapper) -> Iterator[tuple[int, dict | RecordError]]:
    for line_no, line in enumerate(stream, start=1):
        if line.strip():
            yield line_no, _encoding_error(stream, _uid_in(line)) if _UNDECODED.search(line) else _json_record(line)


def _json_record(line: str) -> dict | RecordError:
    try:  # without its line end, a line cut short inside a string reads as such (not "invalid control character")
        record = json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        problem = f"{exc.msg.removesuffix(' at')} at character {exc.pos + 1}"
        return RecordError("malformed line", f"not valid JSON ({problem})")
    except (ValueError, RecursionError) as exc:  # a number too long, nesting too deep
        return RecordError("malformed line", f"not usable JSON ({str(exc).split(':')[0]})")
    return record if isinstance(record, dict) else RecordError("malformed line", "not a JSON object")


def _iter_csv(stream: io.TextIOWrapper, path: Path,
              required: Sequence[str], hint: str) -> Iterator[tuple[int, dict | RecordError]]:
    """Records by their row as a spreadsheet numbers them (the header is row 1): a text of several
    lines is one row. After broken quoting the reader goes on at the next line."""
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(stream, strict=True)
    try:
        written = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, RecordError("malformed line", f"broken CSV header ({exc})")
        return
    header = _checked_columns(path, written, required, hint)
    for row in itertools.count(2):
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            lines = f"lines {start}-{reader.line_num}" if reader.line_num > start else f"line {start}"
            yield row, RecordError("malformed line", f"broken CSV quoting ({exc}; {lines} of the file "
                                                     "read as this one row)")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if any(_UNDECODED.search(cell) for cell in cells):
            uid = cells[header.index("uid")] if "uid" in header and len(cells) == len(header) else None
            yield row, _encoding_error(stream, None if uid is None or _UNDECODED.search(uid) else uid)
        elif len(cells) != len(header):
            yield row, RecordError("malformed line", f"{len(cells)} cells where the header has {len(header)}")
        else:
            yield row, dict(zip(header, cells))


def _field_of_column(name: str, names: Sequence[str]) -> str:
    field = KOREAN_COLUMNS.get(name)
    return field if field and field not in names else name


def _checked_columns(path: Path, written: Sequence[str], required: Sequence[str], hint: str) -> list[str]:
    """A header's column names as the records name them (` Title` → title; 본문 → text where no
    column is named text), refused whole when two come to the same name or a `required` one is missing."""
    names = [str(name).strip().lower() for name in written]
    header = [_field_of_column(name, names) for name in names]
    # 지역 and 지자체 both read as municipality: where that field is not needed, both keep their names
    unneeded = {field for field, name in zip(header, names) if field != name and field not in required
                and header.count(field) > 1}
    header = [name if field in unneeded else field for field, name in zip(header, names)]
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        both = ", ".join(str(w).strip() for w, name in zip(written, header) if name in twice)
        raise DataError(f"{path}: more than one column is read as {', '.join(twice)} ({both}): rename one")
    missing = [name for name in required if name not in header]
    if missing:
        raise DataError(f"{path}: no column {', '.join(missing)} "
                        f"(the columns are: {', '.join(map(str, written))}{'; ' + hint if hint else ''})")
    return header


def _encoding_error(stream: io.TextIOWrapper, uid: str | int | None = None) -> RecordError:
    encoding = "UTF-8" if stream.encoding == "utf-8-sig" else stream.encoding.upper()
    return RecordError("bad encoding", f"bytes that are not {encoding} text (the file's encoding)", uid)


def _uid_in(line: str) -> str | int | None:
    """The uid of a JSON line whose undecodable bytes are replaced, if it still reads as a record."""
    record = _json_record(_UNDECODED.sub("\ufffd", line))
    uid = record.get("uid") if isinstance(record, dict) else None
    return uid if isinstance(uid, (str, int)) and not isinstance(uid, bool) else None


def _iter_parquet(path: Path, required: Sequence[str], hint: str) -> Iterator[tuple[int, dict | RecordError]]:
    import pyarrow.parquet as pq

    with _parquet_errors(path):
        parquet = pq.ParquetFile(path)
    names = _checked_columns(path, parquet.schema_arrow.names, required, hint)
    batches = parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS)
    row_no = 0
    while True:
        with _parquet_errors(path):
            batch = next(batches, None)
        if batch is None:
            return
        for row_no, row in enumerate(batch.to_pylist(), start=row_no + 1):
            yield row_no, dict(zip(names, row.values()))


@contextlib.contextmanager
def _parquet_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise DataError(f"{path}: cannot read Parquet ({type(exc).__name__})") from None
