"""Morphemes: `KiwiTokenizer` turns raw articles into `Article`s carrying their kept morphemes.

The analysis (every morpheme with its tag) can be cached on disk per corpus; which tags are
kept and how the title is weighted are applied afterwards, so changing them re-uses the cache.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Sequence

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

__all__ = ["MAX_CHARS", "Article", "CharNgramTfidf", "KiwiTokenizer", "MorphemeTfidf", "as_article", "as_pairs",
           "full_text", "morphemes"]

MAX_CHARS = 20_000  # of title and text together; the longest article of the shared corpus has 13,122
_PROGRESS_MIN_DOCS = 200
_CACHE_FORMAT = 3  # bump when the cached form changes
_SURROGATE = re.compile("[\ud800-\udfff]")  # kiwipiepy cannot take a lone one


class Article(NamedTuple):
    """An article as the heads see it: raw title and text, its kept morphemes, and where in
    `title + "\n" + text` kiwipiepy found proper nouns (to tell 경기도's 경기 from the economy's)."""

    title: str
    text: str
    tokens: tuple[str, ...]
    proper_noun_starts: frozenset[int] = frozenset()
    n_title_tokens: int = 0  # how many of `tokens` come from the title (title_weight copies of them)

    def headline(self) -> Article:
        """The article as its title alone, as a headline without text is tagged (near enough: kiwipiepy
        read the title before the text, so a word at the join may come out as it would not alone)."""
        return Article(self.title, "", self.tokens[:self.n_title_tokens],
                       frozenset(start for start in self.proper_noun_starts if start < len(self.title)),
                       self.n_title_tokens)


class _Analysis(NamedTuple):
    forms: tuple[str, ...]
    tags: tuple[str, ...]
    n_title: int
    proper_noun_starts: tuple[int, ...]


class KiwiTokenizer(TransformerMixin, BaseEstimator):
    """Raw `(title, text)` pairs → `Article`s, tokenized with kiwipiepy in batches.

    pos_tags: kiwipiepy tags whose morpheme forms are kept (`VV-R` counts as `VV`).
    title_weight: how many times the title's morphemes are repeated (0 drops them).
    default_dict, typo_dict, multi_word_dict: load kiwipiepy's dictionaries of proper nouns,
        typos and multi-word names (0.3, 0.1 and 1 s of start-up).
    cache_dir: folder for cached analyses of whole corpora; a training-time setting,
        reset to None before the model is saved.
    max_chars: an article is cut to this many characters of title and text together (None:
        never), so that a huge input costs bounded time and memory; the heads see the cut article.
    """

    def __init__(self, pos_tags: Sequence[str] = ("NNG", "NNP", "VV", "VA"), title_weight: int = 1,
                 default_dict: bool = False, typo_dict: bool = False, multi_word_dict: bool = False,
                 cache_dir: str | Path | None = None, max_chars: int | None = MAX_CHARS):
        self.pos_tags = pos_tags
        self.title_weight = title_weight
        self.default_dict = default_dict
        self.typo_dict = typo_dict
        self.multi_word_dict = multi_word_dict
        self.cache_dir = cache_dir
        self.max_chars = max_chars

    def fit(self, X, y=None):
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def transform(self, X) -> list[Article]:
        pairs = [_cut(pair, self.max_chars) for pair in as_pairs(X)]
        keep = set(self.pos_tags)
        return [self._article(title, text, analysis, keep)
                for (title, text), analysis in zip(pairs, self._analyze(pairs))]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # Python hands out the live __dict__ itself
        state.pop("_kiwi_instance", None)
        return state

    def _kiwi(self):
        if getattr(self, "_kiwi_instance", None) is None:
            from kiwipiepy import Kiwi

            self._kiwi_instance = Kiwi(load_default_dict=self.default_dict, load_typo_dict=self.typo_dict,
                                       load_multi_dict=self.multi_word_dict)
        return self._kiwi_instance

    def _article(self, title: str, text: str, analysis: _Analysis, keep: set[str]) -> Article:
        kept = [form for form, tag in zip(analysis.forms, analysis.tags) if tag in keep]
        n_title = sum(1 for tag in analysis.tags[:analysis.n_title] if tag in keep)
        return Article(title, text, tuple(kept[:n_title] * self.title_weight + kept[n_title:]),
                       frozenset(analysis.proper_noun_starts), n_title * self.title_weight)

    def is_cached(self, X) -> bool:
        """Whether the analyses of these articles are in the cache, so that `transform` runs no kiwipiepy."""
        path = self._cache_path([_cut(pair, self.max_chars) for pair in as_pairs(X)])
        return path is not None and path.exists()

    def _cache_path(self, pairs: list[tuple[str, str]]) -> Path | None:
        if self.cache_dir is None:
            return None
        settings = f"default={self.default_dict} typo={self.typo_dict} multi={self.multi_word_dict}"
        return Path(self.cache_dir) / f"kiwi-{_corpus_key(settings, pairs)}.joblib"

    def _analyze(self, pairs: list[tuple[str, str]]) -> Iterable[_Analysis]:
        path = self._cache_path(pairs)
        if path is None:
            return self._analyze_uncached(pairs)  # lazily: each analysis is dropped once selected
        if path.exists():
            return [_unpack(packed) for packed in joblib.load(path)]
        analyses = list(self._analyze_uncached(pairs))
        _dump_atomic([_pack(analysis) for analysis in analyses], path)
        return analyses

    def _analyze_uncached(self, pairs: list[tuple[str, str]]) -> Iterator[_Analysis]:
        """Every morpheme of title and text (joined, one Kiwi batch), with its tag."""
        from tqdm import tqdm

        tokenized = self._kiwi().tokenize([full_text(title, text) for title, text in pairs])
        progress = tqdm(tokenized, total=len(pairs), desc="tokenizing", unit="doc", leave=False,
                        disable=None if len(pairs) >= _PROGRESS_MIN_DOCS else True)
        for (title, _), tokens in zip(pairs, progress):
            yield _Analysis(tuple(t.form for t in tokens), tuple(t.tag.split("-")[0] for t in tokens),
                            sum(1 for t in tokens if t.start < len(title)),
                            tuple(t.start for t in tokens if t.tag == "NNP"))


class MorphemeTfidf(TfidfVectorizer):
    """TF-IDF over n-grams of the `Article`s' kept morphemes.

    The vocabulary is pickled as one newline-joined string: joblib unpickles a dict of 100,000
    n-grams one string at a time in pure Python, which took a fifth of predict's start-up.
    """

    def __init__(self, *, ngram_range=(1, 1), min_df=1, sublinear_tf=False):
        super().__init__(preprocessor=as_article, tokenizer=morphemes, token_pattern=None, lowercase=False,
                         ngram_range=ngram_range, min_df=min_df, sublinear_tf=sublinear_tf)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        vocabulary = state.get("vocabulary_")
        if vocabulary:
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            joined = "\n".join(terms)
            if joined.count("\n") == len(terms) - 1:  # no term holds the separator
                state["vocabulary_"] = joined
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("vocabulary_"), str):
            terms = state["vocabulary_"].split("\n")
            state = {**state, "vocabulary_": dict(zip(terms, range(len(terms))))}
        super().__setstate__(state)


class CharNgramTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF over character n-grams (n ≤ 3) of the title and the start of the text.

    Same features as `TfidfVectorizer(analyzer="char")` on whitespace-collapsed text, but each
    n-gram is an integer built from its code points with numpy, so no Python loop runs per
    character: about ten times faster, which matters because kiwipiepy sets the pace.
    """

    def __init__(self, ngram_range=(2, 3), max_chars=1500, min_df=2, sublinear_tf=True):
        self.ngram_range = ngram_range
        self.max_chars = max_chars
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf

    def fit(self, X: Sequence[Article], y=None):
        low, high = self.ngram_range
        if not 1 <= low <= high <= 3:
            raise ValueError(f"ngram_range {self.ngram_range!r}: character n-grams go up to 3")
        seen = [np.unique(self._codes(article)) for article in X]
        codes, df = np.unique(np.concatenate(seen) if seen else np.empty(0, np.int64), return_counts=True)
        keep = df >= min(self.min_df, max(len(X), 1))
        self.vocabulary_ = codes[keep]
        self.idf_ = np.log((1 + len(X)) / (1 + df[keep])) + 1
        return self

    def transform(self, X: Sequence[Article]) -> sp.csr_matrix:
        check_is_fitted(self)
        indptr, indices, data = [0], [], []
        for article in X:
            codes, counts = np.unique(self._codes(article), return_counts=True)
            where = np.searchsorted(self.vocabulary_, codes).clip(max=len(self.vocabulary_) - 1)
            known = self.vocabulary_[where] == codes
            tf = counts[known].astype(float)
            indices.append(where[known])
            data.append((1 + np.log(tf) if self.sublinear_tf else tf) * self.idf_[where[known]])
            indptr.append(indptr[-1] + int(known.sum()))
        matrix = sp.csr_matrix((np.concatenate(data) if data else [], np.concatenate(indices) if indices else [],
                                indptr), shape=(len(X), len(self.vocabulary_)))
        return normalize(matrix)

    def _codes(self, article: Article) -> np.ndarray:
        text = " ".join(f"{article.title}\n{article.text[:self.max_chars]}".split())
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        low, high = self.ngram_range
        grams = []
        for n in range(low, high + 1):
            code = np.zeros(max(len(points) - n + 1, 0), dtype=np.int64)
            for offset in range(n):  # code points are < 2**21, so n-grams of different n never collide
                code = (code << 21) + points[offset:len(points) - n + 1 + offset]
            grams.append(code)
        return np.concatenate(grams)


def full_text(title: str, text: str) -> str:
    """What kiwipiepy reads, and what `Article.proper_noun_starts` and gazetteer offsets refer to."""
    return f"{title}\n{text}"


def as_article(article: Article) -> Article:
    """Vectorizer preprocessor: an `Article` passes through whole (module-level, so it pickles)."""
    return article


def morphemes(article: Article) -> tuple[str, ...]:
    """Vectorizer tokenizer: the article's kept morphemes."""
    return article.tokens


def as_pairs(X: Any) -> list[tuple[str, str]]:
    """Accept a frame with `title`/`text` columns, `(title, text)` pairs, dicts or bare texts."""
    if hasattr(X, "columns"):
        titles = X["title"] if "title" in X.columns else [""] * len(X)
        return [(_clean(t), _clean(x)) for t, x in zip(titles, X["text"])]
    return [_pair(item) for item in X]


def _pair(item: Any) -> tuple[str, str]:
    if isinstance(item, str):
        return "", _clean(item)
    if isinstance(item, dict):
        return _clean(item.get("title")), _clean(item.get("text"))
    if not (hasattr(item, "__len__") and len(item) == 2):
        raise TypeError(f"an article is a text, a (title, text) pair or a dict with a text, not {item!r:.40}")
    title, text = item
    return _clean(title), _clean(text)


def _clean(value: Any) -> str:
    """A title or text as kiwipiepy can take it: missing (None, NaN) is empty, and a lone
    surrogate (e.g. from a JSON escape such as "\\ud800") becomes U+FFFD."""
    try:
        if value is None or value != value:
            return ""
    except (TypeError, ValueError):  # pandas.NA refuses to be a bool
        return ""
    text = str(value)
    if _SURROGATE.search(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _cut(pair: tuple[str, str], max_chars: int | None) -> tuple[str, str]:
    title, text = pair
    if max_chars is None or len(title) + len(text) <= max_chars:
        return pair
    title = title[:max_chars]
    return title, text[:max_chars - len(title)]


_SEP = "\x1f"  # joins a document's morphemes in the cache: one string loads far faster than many


def _pack(analysis: _Analysis) -> tuple:
    return _SEP.join(analysis.forms), _SEP.join(analysis.tags), analysis.n_title, analysis.proper_noun_starts


def _unpack(packed: tuple) -> _Analysis:
    forms, tags, n_title, starts = packed
    return _Analysis(tuple(forms.split(_SEP)) if forms else (), tuple(tags.split(_SEP)) if tags else (),
                     n_title, starts)


def _corpus_key(settings: str, pairs: Iterable[tuple[str, str]]) -> str:
    from kiwipiepy import __version__ as kiwi_version

    digest = hashlib.sha256(f"kiwipiepy {kiwi_version} {settings} cache {_CACHE_FORMAT}\0".encode())
    for title, text in pairs:
        digest.update(f"{title}\0{text}\0".encode())
    return digest.hexdigest()[:20]


def _dump_atomic(value: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(value, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
