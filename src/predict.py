"""`python -m src.predict`: tag articles with the trained model.

    python -m src.predict article.txt [more.txt | folder/ | -]   readable summary (--json for JSON)
    python -m src.predict --input in.jsonl --output out.jsonl    batch: one JSON line per record
    python -m src.predict --input in.csv --output out.csv --keep title,url   input fields copied over
    python -m src.predict --input headlines.txt --output out.jsonl     one headline per line

A `.txt` article's first line is its title. Files may be UTF-8 (with or without BOM) or
CP949/EUC-KR. A file or record that cannot be read is reported on stderr, one line each, and
the rest are still tagged: the exit code is 0 when all succeeded, 1 when some failed, 2 for a
usage error, 3 for a records file that cannot be tagged as a whole (no `text` column, no records),
4 when there is no usable model, 5 when the output cannot be written, and 130 / 143 when stopped
by Ctrl-C / SIGTERM. Loading a model unpickles it, which runs code:
use only model files from a source you trust.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import sys
import threading
from collections import Counter
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from src.cli import Once, run
from src.config import MODEL_DIR, TOP_K_RANGE
from src.dataset import (KOREAN_COLUMNS, SUFFIXES, RecordError, as_text, iter_records, iter_stdin_records,
                         not_text, parse_article, read_article)
from src.errors import DataError, TaggerError, UsageError
from src.output import (CSV_COLUMNS, BatchOutput, is_csv, is_known_output, json_line, line_writer, to_stdout,
                        writable)
from src.persistence import load_model, training_files

BATCH_SIZE = 256
_HEADLINE_CHARS = 100  # a longer line of a headline feed is more likely a sentence of an article
_DOUBTFUL = 0.5  # a government the summary flags: the head is less sure of it than not
_WHERE_TEXT_GOES = "the article goes in a text {}, left empty for a headline alone"


def predict_texts(model: Any, articles: Iterable[Any], top_k: int | None = None) -> list[dict]:
    """Tag articles — `(title, text)` pairs, bare texts, dicts with `title` and `text`, or a frame
    with those columns — with a model from `persistence.load_model`: one record per article, in
    order. Of an article longer than the tokenizer's `max_chars`, only that many characters are
    tagged. Every article is tagged as given: the command's checks (empty, no Korean text) are
    the caller's to make."""
    if isinstance(articles, (str, bytes, dict)):
        raise TypeError("give a list of articles, not one article: predict_texts(model, [article])")
    low, high = TOP_K_RANGE
    if top_k is not None and (type(top_k) is not int or not low <= top_k <= high):
        raise ValueError(f"top_k={top_k!r}: give a whole number from {low} to {high}")
    if hasattr(articles, "columns"):
        if "text" not in articles.columns:
            columns = ", ".join(map(str, articles.columns))
            raise ValueError(f"a frame of articles needs a text column (its columns: {columns})")
    else:
        articles = list(articles)
    if not len(articles):
        return []  # scikit-learn refuses zero rows; a chunk whose inputs all failed has none
    return model[-1].describe(model[:-1].transform(articles), top_k)


def main(argv: Sequence[str] | None = None) -> int:
    return run(_parser(), argv, _tag)


def _tag(args: argparse.Namespace) -> int:
    if not (args.input or args.files):
        raise UsageError("give article files (or -), or --input FILE")
    if args.input and args.files:
        raise UsageError("give article files (or -), or --input FILE, not both")
    if args.output and not args.input:
        raise UsageError("--output goes with --input")
    if args.keep and not args.input:
        raise UsageError("--keep goes with --input")
    if args.output and args.output.resolve() == args.input.resolve():
        raise UsageError("--output would overwrite --input: give another file")
    if args.output and not is_known_output(args.output):
        raise UsageError("--output writes JSON Lines (.jsonl, .ndjson or no ending) or CSV (.csv, which "
                         f"spreadsheet programs open): not {args.output.suffix}")
    records = [name for name in args.files if Path(name).suffix.lower() in SUFFIXES]
    if records:
        raise UsageError(f"{records[0]}: a file of records goes with --input (article files are .txt)")
    model, card = load_model(args.model)
    if str(args.input) == "-":  # a feed's log says which model answers it, once it is ready
        predict_texts(model, ["연천군은 검진을 한다."])  # kiwipiepy builds its model now, not on the first record
        print(f"tagging standard input with {args.model}: {_model_named(card)}", file=sys.stderr)
    return _run_batch(model, args) if args.input else _run_files(model, args)


def _model_named(card: dict) -> str:
    """`model 5f24e5d67464, trained 2026-12-07 on sample_articles.jsonl`, from the model's card."""
    named, files = f"model {card.get('sha256', '')[:12]}", [Path(f.get("path", "")).name for f in training_files(card)]
    if card.get("created"):
        named += f", trained {card['created'][:10]}"
    return named + (f" on {', '.join(files)}" if files else "")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m src.predict",
                                     description="Tag Korean local news with a category and a local government.")
    parser.add_argument("files", nargs="*", help="article .txt files, folders of them, or - for stdin")
    parser.add_argument("--input", action=Once, type=Path,
                        help="JSONL, CSV or Parquet records with uid, title, text; a .txt file of one headline "
                             "per line (uid: its line number); - : JSON Lines on stdin")
    parser.add_argument("--output", action=Once, type=_output_path,
                        help="output of --input: JSON Lines, or CSV when it ends in .csv (default or -: stdout)")
    parser.add_argument("--model", action=Once, default=str(MODEL_DIR),
                        help="model directory or models:/NAME@ALIAS (default: models/)")
    parser.add_argument("--keep", action=Once, type=_kept_names, default=(), metavar="FIELDS",
                        help="input fields copied into each output record, after its uid (e.g. title,url)")
    parser.add_argument("--json", action="store_true", help="one JSON object per article")
    parser.add_argument("--top-k", action=Once, type=_top_k, default=None, metavar="K",
                        help=f"alternatives to show ({TOP_K_RANGE[0]} to {TOP_K_RANGE[1]}; "
                             "default: the model's predict.top_k, set when it was trained)")
    return parser


def _run_files(model: Any, args: argparse.Namespace) -> int:
    failed = total = 0
    for chunk in _chunks(_read_files(args.files), BATCH_SIZE):
        total += len(chunk)
        ready = []
        for name, article in chunk:
            if isinstance(article, DataError):
                print(f"error: {article}", file=sys.stderr)
                failed += 1
            else:
                ready.append((name, article))
        for (name, _), record in zip(ready, _predict_named(model, ready, args.top_k)):
            to_stdout((json_line({"file": name, **record}) if args.json else writable(_summary(name, record)))
                       + "\n")
    if failed and total > 1:
        print(f"{failed} of {total} files could not be tagged", file=sys.stderr)
    return 1 if failed else 0


def _run_batch(model: Any, args: argparse.Namespace) -> int:
    """Stream records through the model in chunks; each chunk's lines go out in one write, so
    an interrupted run leaves only whole lines behind."""
    from tqdm import tqdm

    output, lines = BatchOutput(args.output), line_writer(args.output, args.keep)
    tally = _BatchTally(args.keep, headlines=args.input.suffix.lower() == ".txt",
                        where="column" if is_csv(args.output) else "field")
    read, feed = 0, str(args.input) == "-"
    try:
        with contextlib.closing(output), tqdm(desc="tagging", unit="article", disable=None,
                                               file=sys.stderr) as progress:
            for chunk in _ready_chunks(_records(args.input), BATCH_SIZE):
                read += len(chunk)
                results = tag_records(model, args.input.name, chunk, args.top_k, args.keep)
                output.write(lines(results), len(results))
                tally.add(chunk, results)
                progress.update(len(chunk))
                for failed in (r for r in results if feed and "error" in r):  # a feed's log tells them as they come
                    print(f"error: {failed['error']}", file=sys.stderr)
    except KeyboardInterrupt as stop:
        tally.tell()
        waiting = feed and output.records == read  # a feed stopped between records
        raise type(stop)(output.left_behind(every_read=waiting)) from None
    except TaggerError as exc:  # the output failed, or a Parquet file turned out damaged midway
        if output.started:
            raise type(exc)(f"{exc}; {output.left_behind()}") from None
        raise
    if not output.records:
        raise DataError(f"{args.input}: no records to tag")
    tally.tell()
    return 1 if tally.counts["failed"] else 0


class _BatchTally:
    """What a batch counts as its chunks go out, and the lines it ends with on stderr."""

    def __init__(self, keep: Sequence[str], headlines: bool = False, where: str = "field"):
        """where: what an error is in the output, a `field` of JSON or a `column` of CSV."""
        self.keep, self.headlines, self.where, self.counts, self._uids = keep, headlines, where, Counter(), set()

    def add(self, chunk: list[tuple[int, dict | RecordError]], results: list[dict]) -> None:
        self.counts.update(failed=sum("error" in r for r in results),
                           no_uid=sum(not as_text(r["uid"]) and "error" not in r for r in results))
        for uid in (json.dumps(r["uid"], sort_keys=True, default=str) for r in results if as_text(r["uid"])):
            self.counts["repeated_uid"] += uid in self._uids
            self._uids.add(uid)
        self.counts.update(f"no {name}" for _, record in chunk for name in self.keep
                           if isinstance(record, dict) and _field(record, name) is _MISSING)
        if self.headlines:
            self.counts.update(lines=len(chunk), sentences=sum(
                isinstance(record, dict) and _reads_as_sentence(record["title"]) for _, record in chunk))

    def tell(self) -> None:
        for line in self.report():
            print(line, file=sys.stderr)

    def report(self) -> Iterator[str]:
        if self.counts["no_uid"]:
            yield (f"warning: {self.counts['no_uid']} record(s) have no uid: the output keeps the input's order, "
                   "one line per record")
        if self.counts["repeated_uid"]:
            yield (f"warning: {self.counts['repeated_uid']} record(s) repeat the uid of an earlier one: the output "
                   "keeps the input's order, one line per record")
        for name in self.keep:
            if self.counts[f"no {name}"]:
                yield f"warning: {self.counts[f'no {name}']} record(s) have no {name} field: it is empty in their output"
        if self.counts["sentences"]:
            yield (f"note: {self.counts['sentences']} of {self.counts['lines']} lines read like sentences, not "
                   f"headlines (over {_HEADLINE_CHARS} characters, or ending in '다.'): a .txt file given to --input "
                   "is one headline per line; to tag it as one article, give it without --input")
        if self.counts["failed"]:
            yield f"{self.counts['failed']} record(s) could not be tagged: see their \"error\" {self.where}"


def _reads_as_sentence(line: str) -> bool:
    return len(line) > _HEADLINE_CHARS or line.endswith("다.")


def _records(source: Path) -> Iterator[tuple[int, dict | RecordError]]:
    if str(source) == "-":
        return iter_stdin_records()
    return iter_records(source, required=("text",), hint=_WHERE_TEXT_GOES.format("column"), headlines=True)


def tag_records(model: Any, source: str, numbered: list[tuple[int, dict | RecordError]],
                top_k: int | None = None, keep: Sequence[str] = ()) -> list[dict]:
    """Numbered records of `source` → one result each, in order: its `uid`, the fields named in
    `keep` and its tags, or the same with an `error` naming `source:number` (no text, not text,
    unreadable) in place of the tags."""
    results: list[dict] = []
    ready: list[tuple[str, tuple[str, str]]] = []
    positions: list[int] = []
    for number, record in numbered:
        where = f"{source}:{number}"
        result, article = _check_record(where, record, keep)
        results.append(result)
        if article is not None:
            ready.append((where, article))
            positions.append(len(results) - 1)
    for index, tagged in zip(positions, _predict_named(model, ready, top_k)):
        results[index] |= tagged
    return results


def _predict_named(model: Any, named: list[tuple[str, tuple[str, str]]], top_k: int | None) -> list[dict]:
    """Tag `(name, article)` pairs, with one stderr line per article longer than the
    tokenizer's limit (only its start is tagged)."""
    limit = getattr(model[0], "max_chars", None)
    for name, (title, text) in named:
        if limit is not None and len(title) + len(text) > limit:
            print(f"warning: {name}: {len(title) + len(text):,} characters, only the first {limit:,} "
                  "are tagged", file=sys.stderr)
    return predict_texts(model, [article for _, article in named], top_k)


def _check_record(where: str, record: dict | RecordError,
                  keep: Sequence[str] = ()) -> tuple[dict, tuple[str, str] | None]:
    if isinstance(record, RecordError):
        return {"uid": record.uid, **dict.fromkeys(keep), "error": f"{where}: {record}"}, None
    result = {"uid": _as_written(record.get("uid"))}
    result.update((name, _kept_value(record, name)) for name in keep)
    title, text = as_text(record.get("title")), as_text(record.get("text"))
    problem = _record_problem(record, title + text) or _problem(title, text)
    if problem:
        return {**result, "error": f"{where}: {problem}"}, None
    return result, (title, text)


_MISSING = object()


def _field(record: dict, name: str) -> Any:
    """The record's field `name`, as written or as a CSV or Parquet column is read (` URL` → url,
    제목 → title)."""
    key = name.strip().lower()
    for written in (name, key, KOREAN_COLUMNS.get(key)):
        if written in record:
            return record[written]
    return _MISSING


def _kept_value(record: dict, name: str) -> Any:
    value = _field(record, name)
    return None if value is _MISSING else _as_written(value)


def _kept_names(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    taken = [name for name in names if name.lower() in CSV_COLUMNS]
    if taken:
        raise argparse.ArgumentTypeError(f"{', '.join(taken)}: the output has such a field already "
                                         f"(its fields: {', '.join(CSV_COLUMNS)})")
    if not names:
        raise argparse.ArgumentTypeError("give the names of input fields, separated by commas")
    return names


def _as_written(value: Any) -> Any:
    """A uid or kept field as written: from a table (Parquet, a served frame) whose column misses
    a value, pandas gives NaN for the missing one and 5.0 for 5."""
    if not isinstance(value, float):
        return value
    if value != value:
        return None
    return int(value) if value.is_integer() else value


def _record_problem(record: dict, words: str) -> str | None:
    """A headline with an empty text (속보) is tagged from the headline, as a .txt file of one line
    is; a record without a text field is refused, for it may name its text otherwise (body)."""
    if "text" not in record:
        return (f"no text field (the record has: {', '.join(map(str, record)) or 'no fields'}; "
                f"{_WHERE_TEXT_GOES.format('field')})")
    elsewhere = [str(field) for field, value in record.items()
                 if field not in ("uid", "title", "text") and isinstance(value, str) and value.strip()]
    empty = "empty text" + (f" (the record has text in: {', '.join(elsewhere)})" if elsewhere else "")
    return not_text(record, ("title", "text")) or (None if words.strip() else empty)


def _read_files(names: Iterable[str]) -> Iterator[tuple[str, tuple[str, str] | DataError]]:
    for name in names:
        if name == "-":
            yield "-", _checked("-", lambda: parse_article(sys.stdin.buffer.read(), "-"))
            continue
        path = Path(name)
        if path.is_dir():
            entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            is_article = [p.suffix.lower() == ".txt" and not p.is_dir() for p in entries]
            files = [p for p, article in zip(entries, is_article) if article]
            if not files:
                yield name, DataError(f"{name}: no .txt files in this folder")
            elif len(files) < len(entries):
                _note_passed_over(name, [p for p, article in zip(entries, is_article) if not article])
            for file in files:
                yield str(file), _checked(str(file), lambda file=file: read_article(file))
        else:
            yield name, _checked(name, lambda: read_article(path))


def _note_passed_over(folder: str, others: list[Path]) -> None:
    shown = ", ".join(p.name + "/" * p.is_dir() for p in others[:3]) + (", …" if len(others) > 3 else "")
    print(f"note: {folder}: {len(others)} entries passed over, as only the .txt files of a folder are read "
          f"({shown})", file=sys.stderr)


def _checked(name: str, read) -> tuple[str, str] | DataError:
    try:
        title, text = read()
    except DataError as exc:  # it names the file already
        return exc
    problem = _problem(title, text)
    return DataError(f"{name}: {problem}") if problem else (title, text)


def _problem(title: str, text: str) -> str | None:
    if not (title + text).strip():
        return "empty article"
    if not any("\uac00" <= ch <= "\ud7a3" for ch in title + text):
        return "no Korean text to tag"
    return None


def _output_path(value: str) -> Path | None:
    """`-` is standard output, as it is standard input for --input."""
    return None if value == "-" else Path(value)


def _top_k(value: str) -> int:
    low, high = TOP_K_RANGE
    if not value.isdigit() or not low <= int(value) <= high:
        raise argparse.ArgumentTypeError(f"{value!r}: give a whole number from {low} to {high}")
    return int(value)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _ready_chunks(items: Iterable, size: int) -> Iterator[list]:
    """Chunks of up to `size` items, each cut where no further item has arrived yet: records piped
    in one by one (a news feed) are answered as they come, a file goes through in full chunks. A
    thread reads up to `size` items ahead, so reading also overlaps tagging."""
    ahead: queue.Queue = queue.Queue(maxsize=size)
    end, stop = object(), threading.Event()

    def read_ahead() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                ahead.put((item, None))
            ahead.put((end, None))
        except BaseException as exc:  # input refused midway: raised where the chunks are taken
            ahead.put((end, exc))

    threading.Thread(target=read_ahead, daemon=True).start()
    try:
        while True:
            item, failure = ahead.get()  # waits for the next record, however long the feed takes
            chunk = []
            while item is not end:
                chunk.append(item)
                if len(chunk) == size or ahead.empty():
                    break
                item, failure = ahead.get()
            if chunk:
                yield chunk
            if item is end:
                if failure is not None:
                    raise failure
                return
    finally:  # the output failed or the run was stopped: free the reader blocked on a full queue
        stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                ahead.get_nowait()


def _summary(name: str, record: dict) -> str:
    def listed(alternatives: Iterable[dict]) -> str:
        return ", ".join(f"{t['label']} {t['score']:.2f}" for t in alternatives) or "-"

    flag = "  (low confidence)" if record["low_confidence"] else ""
    code = f" [{record['municipality_code']}]" if record.get("municipality_code") else ""
    korean = f" ({record['category_name']})" if record.get("category_name") else ""
    evidence, score, top = record["evidence"], record["municipality_score"], record["municipality_top"]
    tied = [t["label"] for t in top[1:] if t["score"] == score]
    municipality = (f"{record['municipality']}{code}, as the text cannot tell {' or '.join(tied)} apart ({score:.2f} each)"
                    if len(tied) > 1 else f"{record['municipality']}{code} {score:.2f}")
    if code and score < _DOUBTFUL:
        municipality += "  (low confidence)"
    return "\n".join([
        name,
        f"  category      {record['category']}{korean} {record['category_score']:.2f}{flag}"
        f"   next: {listed(record['category_top'][1:])}",
        f"  municipality  {municipality}   next: {listed(t for t in top[1:] if t['label'] not in tied)}",
        f"  evidence      {', '.join(evidence['category']) or '-'} | "
        f"{', '.join(evidence['municipality']) or '-'}",
    ])


if __name__ == "__main__":
    sys.exit(main())
