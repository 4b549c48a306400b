"""Writing tagged results: JSON Lines or CSV rows, to standard output or to a file that holds
whole lines only, however a batch is stopped."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from src.errors import OutputError

__all__ = ["CSV_COLUMNS", "BatchOutput", "is_csv", "is_known_output", "json_line", "line_writer", "to_stdout",
           "writable"]

CSV_COLUMNS = ("uid", "category", "category_name", "category_score", "municipality", "municipality_code",
               "municipality_sido", "municipality_score", "low_confidence", "category_none_score", "category_top",
               "municipality_top", "evidence", "error")  # lists and objects as JSON text
_SUFFIXES = (".jsonl", ".ndjson", ".csv", "")  # what --output may end in: JSON Lines or CSV


def is_known_output(output: Path) -> bool:
    """An ending this module writes: JSON Lines (.jsonl, .ndjson, none) or CSV."""
    return output.suffix.lower() in _SUFFIXES


def is_csv(output: Path | None) -> bool:
    return output is not None and output.suffix.lower() == ".csv"


def line_writer(output: Path | None, keep: Sequence[str] = ()) -> Callable[[list[dict]], str]:
    """How a chunk of results is written: JSON Lines, or CSV rows when `output` ends in .csv
    (with the `keep` columns after the uid)."""
    if not is_csv(output):
        return lambda results: "".join(json_line(result) + "\n" for result in results)
    started = []

    def csv_rows(results: list[dict]) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=(CSV_COLUMNS[0], *keep, *CSV_COLUMNS[1:]))
        if not started:
            buffer.write("\ufeff")  # the BOM makes spreadsheet programs read the Korean as UTF-8
            writer.writeheader()
            started.append(True)
        writer.writerows({key: _csv_cell(value) for key, value in result.items()} for result in results)
        return writable(buffer.getvalue())

    return csv_rows


def _csv_cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list, bool)) else value


def json_line(record: dict) -> str:
    return writable(json.dumps(record, ensure_ascii=False, default=str))


def writable(text: str) -> str:
    """`text` as UTF-8 can carry it: a lone surrogate (from a JSON escape such as "\\ud800", or a
    file name that is not UTF-8) becomes its escape `\\udXXX`, which JSON reads back as itself."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class BatchOutput:
    """Where a batch's lines go: `path`, opened at the first write (so that input refused whole
    leaves an existing file as it was), or stdout. A chunk that a full disk, Ctrl-C or SIGTERM
    stops midway is cut off again, so a file holds whole lines only (a pipe cannot be cut back)."""

    def __init__(self, path: Path | None):
        self.path, self.records, self._stream, self._seekable = path, 0, None, False

    @property
    def started(self) -> bool:
        return self._stream is not None or self.records > 0

    def write(self, text: str, records: int) -> None:
        if self.path is None:
            to_stdout(text)
        else:
            self._write_file(text.encode("utf-8"))
        self.records += records

    def left_behind(self, every_read: bool = False) -> str:
        """What a batch stopped midway leaves, and how many records (`every_read`: one for every
        record read, as a feed stopped between records leaves it)."""
        if self.records and every_read:
            return f"{self.records:,} record(s) were written, one for every record read"
        if self.records:
            return f"{self.records:,} record(s) were written, {self.path or 'the output'} is incomplete"
        if self.path is None:
            return "no records were written"
        if self._stream is None:
            return f"no records were written, {self.path} is as it was"
        if self._seekable:
            return f"no records were written, {self.path} is empty"
        return "no records were written whole"

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()

    def _write_file(self, data: bytes) -> None:
        if self._stream is None:
            self._stream = _open_output(self.path)
            self._seekable = self._stream.seekable()
        stream = self._stream
        start = stream.tell() if self._seekable else None
        rest = memoryview(data)
        try:
            while rest:  # unbuffered: a full disk shows here, in a short write or an error
                rest = rest[stream.write(rest):]
        except BaseException as exc:  # a full disk, or Ctrl-C / SIGTERM midway through the chunk
            if start is not None:
                with contextlib.suppress(OSError):
                    stream.truncate(start)
            if isinstance(exc, OSError):
                raise OutputError(f"cannot write {self.path}: {exc.strerror}") from None
            raise


def _open_output(path: Path):
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("wb", buffering=0)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None


def to_stdout(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write to standard output: {exc.strerror}") from None
