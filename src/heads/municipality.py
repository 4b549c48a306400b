"""The municipality head: which local government an article is about, or none.

Not a 243-way text classifier. Every government the gazetteer finds in an article becomes a
candidate, described by features that do not depend on which government it is (how often and
where it is named, in the title, as the subject, in the `나주시(시장 …)` lead, with its 시도
named too, …). A gradient-boosted model trained on the corpus scores the candidates, so a
government never seen in training is found as well as a familiar one.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from src.features import Article, MorphemeTfidf, full_text
from src.gazetteer import DISTRICT, OFFICIAL, PARTICLES, PREFIX, SHORT, TOWN, Gazetteer, Mention

__all__ = ["MunicipalityTagger"]

_LEAD_CHARS = 300
_READ_CHARS = 520  # what annotators read of the text
_HEAD_TITLES = ("시장", "군수", "구청장", "도지사", "지사", "교육감")
_HEAD_FOLLOWERS = {"시": "장", "군": "수", "구": "청장", "도": "지사"}
_SUBJECT_PARTICLES = ("은", "는", "이", "가", "에서")
_LEAD_PATTERN = re.compile(r"\s?\((?:" + "|".join(_HEAD_TITLES) + r"|권한대행)")
_HEAD_NAME = re.compile(r"(?<![가-힣])([가-힣]{3})\s?$")
_DATELINE_BEFORE = ("[", "(", "【")
_PARTICLES_LONGEST_FIRST = sorted(PARTICLES, key=len, reverse=True)


class Candidate(NamedTuple):
    label: str
    features: list[float]
    mentions: list[Mention]


_Row = tuple[list[float], int, float]  # a candidate's features, 1 if it is the gold label, its weight
_MIN_HEADLINE_ROWS = 20  # of each outcome: fewer cannot fill the headline scorer's leaves (20 rows at least)


class MunicipalityTagger(ClassifierMixin, BaseEstimator):
    """Articles → a label of the gazetteer or `none_label`.

    A headline alone, or a brief whose text has at most `headline_chars` characters, is scored
    by a second scorer, trained on the training articles' titles alone (a brief is read as one
    headline of title and text): so short a text cannot show the cues of a body (where a name
    first comes, how often it recurs). Where fewer than 20 training titles name their government,
    there is no headline scorer and every article is scored as an article.

    gazetteer: the `Gazetteer` to find names with (passed in, so the model carries it).
    none_threshold: below this candidate probability the answer is `none_label`.
    max_iter, learning_rate, max_leaf_nodes: the candidate scorer (HistGradientBoosting).
    level_text_C: regularisation of the text model that estimates whether an article is
        about a 시도, a 시군구 or no local government.
    mask_augment: weight of extra training copies of the articles with their government's
        names hidden, so that 읍면동, institutions and heads of government count when the
        name is absent (0 adds none).
    headline_chars: an article whose text has at most this many characters is scored as a
        headline (0: only an article without text).
    """

    def __init__(self, gazetteer: Gazetteer | None = None, none_label="없음", none_threshold=0.35,
                 max_iter=200, learning_rate=0.05, max_leaf_nodes=15, level_text_C=4.0,
                 mask_augment=0.5, headline_chars=120, random_state=0):
        self.gazetteer = gazetteer
        self.none_label = none_label
        self.none_threshold = none_threshold
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.level_text_C = level_text_C
        self.mask_augment = mask_augment
        self.headline_chars = headline_chars
        self.random_state = random_state

    def fit(self, X: list[Article], y):
        y = np.asarray(y, dtype=object)
        headlines = [article.headline() for article in X]
        mentions = self._mentions(X)
        self.head_names_ = _learn_head_names(X, mentions, y)
        p_level, p_level_headlines = self._fit_level_text(X, headlines, y)
        rows = _training_rows(self._candidates(X, mentions, p_level), y)
        if self.mask_augment:
            named = [i for i, gold in enumerate(y) if gold in self.gazetteer.regions]
            masked = [self._masked(X[i], y[i]) for i in named]
            masked_candidates = self._candidates(masked, self._mentions(masked), p_level[named])
            rows += _training_rows(masked_candidates, y[named], self.mask_augment)
        self.scorer_ = self._fit_scorer(rows)
        headline_rows = _training_rows(self._candidates(headlines, self._mentions(headlines), p_level_headlines), y)
        learnable = _each_outcome(headline_rows, at_least=_MIN_HEADLINE_ROWS)
        self.headline_scorer_ = self._fit_scorer(headline_rows) if learnable else None
        self.classes_ = np.array([*self.gazetteer.labels, self.none_label], dtype=object)
        return self

    def __setstate__(self, state: dict) -> None:
        if "scorer_" in state:  # a model saved before headlines had a scorer of their own
            state = {"headline_scorer_": None, **state}
        super().__setstate__({"headline_chars": 0, **state})

    def predict(self, X: list[Article]) -> np.ndarray:
        return np.array([ranked[0][0] for ranked in self.rank(X)], dtype=object)

    def rank(self, X: list[Article]) -> list[list[tuple[str, float, list[Mention]]]]:
        """Per article, `(label, score, mentions)` best first; the none label when nothing fits."""
        check_is_fitted(self)
        if not len(X):
            return []
        is_headline = [self.headline_scorer_ is not None and len(article.text.strip()) <= self.headline_chars
                       for article in X]
        read = [_as_headline(article) if brief else article for article, brief in zip(X, is_headline)]
        candidates = self._candidates(read, self._mentions(read), self.level_text_.predict_proba(read))
        rows = np.asarray([c.features for article in candidates for c in article], dtype=float)
        counts = [len(article) for article in candidates]
        of_headline = np.repeat(is_headline, counts)
        scores = np.zeros(len(rows))
        with _one_thread():
            for scorer, which in ((self.scorer_, ~of_headline), (self.headline_scorer_, of_headline)):
                if which.any():
                    scores[which] = _chance_of_true(scorer, rows[which])
        ends = np.cumsum(counts)
        return [self._rank_one(article, scores[end - len(article):end])
                for article, end in zip(candidates, ends)]

    def describe(self, X: list[Article], top_k: int = 3) -> list[dict]:
        records = []
        for ranked in self.rank(X):
            label, score, mentions = ranked[0]
            region = self.gazetteer.regions.get(label)
            records.append({
                "municipality": label,
                "municipality_code": region.code if region else None,
                "municipality_sido": region.sido if region else None,
                "municipality_score": round(score, 4),
                "municipality_top": [{"label": l, "score": round(s, 4)} for l, s, _ in ranked[:top_k]],
                "evidence": _evidence(mentions),
            })
        return records

    def _rank_one(self, candidates: list[Candidate], scores) -> list[tuple[str, float, list[Mention]]]:
        if not candidates:
            return [(self.none_label, 1.0, [])]
        order = np.argsort(-np.asarray(scores), kind="stable")
        ranked = [(candidates[i].label, float(scores[i]), candidates[i].mentions) for i in order]
        best_label, best_score, best_mentions = ranked[0]
        if best_score < self.none_threshold:  # the names weighed and found wanting are its evidence
            weighed = list({(m.start, m.end): m for *_, mentions in ranked for m in mentions}.values())
            return [(self.none_label, 1.0 - best_score, weighed), *ranked]
        tied = [label for label, score, _ in ranked if best_score - score < 1e-9]
        if len(tied) > 1:
            return [(self._certain_level(tied), best_score, best_mentions), *ranked]
        return ranked

    def _certain_level(self, labels: list[str]) -> str:
        """Several governments fit equally: the 시도 they share, else none."""
        sidos = {self.gazetteer.regions[label].sido for label in labels}
        return sidos.pop() if len(sidos) == 1 else self.none_label

    def _masked(self, article: Article, label: str) -> Article:
        """The article with its government's own names hidden (offsets unchanged)."""
        return article._replace(title=self.gazetteer.mask(article.title, label),
                                text=self.gazetteer.mask(article.text, label))

    def _mentions(self, X: list[Article]) -> list[list[Mention]]:
        return [_resolve_homonyms(self.gazetteer.find_mentions(full_text(a.title, a.text)), self.gazetteer)
                for a in X]

    def _candidates(self, X: list[Article], mentions: list[list[Mention]], p_level) -> list[list[Candidate]]:
        classes = self.level_text_.classes_
        return [_describe_candidates(a, m, self.gazetteer, self.head_names_, dict(zip(classes, p)), self.none_label)
                for a, m, p in zip(X, mentions, p_level)]

    def _fit_scorer(self, rows: list[_Row]) -> HistGradientBoostingClassifier | DummyClassifier | None:
        """The candidate scorer; None when training found no candidate at all."""
        if not rows:
            return None
        features, targets, weights = zip(*rows)
        scorer = (HistGradientBoostingClassifier(max_iter=self.max_iter, learning_rate=self.learning_rate,
                                                 max_leaf_nodes=self.max_leaf_nodes, random_state=self.random_state)
                  if _each_outcome(rows)
                  else DummyClassifier(strategy="prior"))  # no candidate was ever (or always) right
        with _one_thread():
            return scorer.fit(np.asarray(features, dtype=float), np.asarray(targets), sample_weight=np.asarray(weights))

    def _fit_level_text(self, X: list[Article], headlines: list[Article],
                        y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fit the text model of what an article is about: a 시도, a 시군구 or no local
        government (the wording of a provincial story, a city's press release, national
        news); return its probabilities for the training articles and for their headlines
        from models that did not see them, so the scorers learn how far to trust it."""
        vectorizer = MorphemeTfidf(min_df=2, sublinear_tf=True)
        features = vectorizer.fit_transform(X)
        headline_features = vectorizer.transform(headlines)
        regions = self.gazetteer.regions
        target = np.array([regions[label].level if label in regions else label for label in y], dtype=object)
        folds = min(5, np.unique(target, return_counts=True)[1].min())
        if len(set(target)) < 2 or folds < 2:  # a level seen once cannot be held out: keep the prior
            model = DummyClassifier(strategy="prior").fit(features, target)
            self.level_text_ = make_pipeline(vectorizer, model)
            return model.predict_proba(features), model.predict_proba(headline_features)
        model = OneVsRestClassifier(LogisticRegression(C=self.level_text_C, solver="liblinear",
                                                       random_state=self.random_state))
        self.level_text_ = make_pipeline(vectorizer, clone(model).fit(features, target))
        held_out = np.zeros((len(X), len(self.level_text_.classes_)))
        held_out_headlines = np.zeros_like(held_out)
        for seen, unseen in StratifiedKFold(folds, shuffle=True, random_state=self.random_state).split(X, target):
            fold_model = clone(model).fit(features[seen], target[seen])
            held_out[unseen] = fold_model.predict_proba(features[unseen])
            held_out_headlines[unseen] = fold_model.predict_proba(headline_features[unseen])
        return held_out, held_out_headlines


def _describe_candidates(article: Article, mentions: list[Mention], gazetteer: Gazetteer,
                         head_names: dict[str, str], p_level: dict, none_label: str) -> list[Candidate]:
    text = full_text(article.title, article.text)
    body_start = len(article.title) + 1
    by_label: dict[str, list[Mention]] = defaultdict(list)
    for mention in mentions:
        for label in mention.labels:
            by_label[label].append(mention)
    head_hits = Counter(label for name, label in head_names.items() if name in text)
    for label in head_hits:
        by_label.setdefault(label, [])
    for label in list(by_label):
        region = gazetteer.regions[label]
        if region.level == "sigungu":
            by_label.setdefault(region.sido, [])
    weight = {label: sum(1.0 / len(m.labels) for m in ms) for label, ms in by_label.items()}
    total = sum(weight.values()) or 1.0
    ranked_weights = sorted(weight.values(), reverse=True)
    first_title_start = mentions[0].start if mentions and mentions[0].start < body_start else -1
    context = _Context(
        text=text, body_start=body_start, gazetteer=gazetteer, by_label=by_label, weight=weight, total=total,
        ranked_weights=ranked_weights, head_hits=head_hits, p_level=p_level, none_label=none_label,
        n_candidates=len(by_label), first_title_start=first_title_start,
        proper_starts=article.proper_noun_starts,
        n_read=sum(1 for m in mentions if body_start <= m.start < body_start + _READ_CHARS))
    return [Candidate(label, context.features(label), ms) for label, ms in by_label.items()]


class _Context(NamedTuple):
    text: str
    body_start: int
    gazetteer: Gazetteer
    by_label: dict[str, list[Mention]]
    weight: dict[str, float]
    total: float
    ranked_weights: list[float]
    head_hits: Counter
    p_level: dict
    none_label: str
    n_candidates: int
    first_title_start: int
    proper_starts: frozenset[int]
    n_read: int

    def features(self, label: str) -> list[float]:
        mentions = self.by_label[label]
        region = self.gazetteer.regions[label]
        body = [m for m in mentions if m.start >= self.body_start]
        title = [m for m in mentions if m.start < self.body_start]
        body_len = max(len(self.text) - self.body_start, 1)
        first = (body[0].start - self.body_start) if body else body_len
        own = self.weight[label]
        other_max = max((w for l, w in self.weight.items() if l != label), default=0.0)
        kinds = Counter(m.kind for m in mentions)
        return [
            float(region.level == "sido"),
            len(mentions), own, own / self.total, own - other_max,
            float(own >= self.ranked_weights[0]), self.n_candidates,
            sum(1 for m in mentions if len(m.labels) == 1),
            float(np.mean([len(m.labels) for m in mentions])) if mentions else 0.0,
            kinds[OFFICIAL], kinds[SHORT], kinds[DISTRICT], kinds[TOWN], kinds[PREFIX],
            sum(1 for m in mentions if m.kind in (SHORT, PREFIX) and m.start in self.proper_starts),
            sum(1 for m in mentions if m.kind == TOWN and m.start in self.proper_starts),
            len(title), float(bool(title) and title[0].start <= 1),
            float(bool(title) and title[0].start == self.first_title_start),
            min(first, 3000) / 3000, first / body_len,
            sum(1 for m in body if m.start - self.body_start < _LEAD_CHARS),
            sum(1 for m in body if m.start - self.body_start < _READ_CHARS) / max(self.n_read, 1),
            sum(1 for m in mentions if _is_joint(self.text, m)),
            sum(1 for m in mentions if m.follower in _SUBJECT_PARTICLES),
            sum(1 for m in mentions if _is_head(m)),
            sum(1 for m in mentions if _LEAD_PATTERN.match(self.text, m.end + len(m.follower))),
            sum(1 for m in mentions if m.start and self.text[m.start - 1] in _DATELINE_BEFORE),
            sum(1 for m in mentions if m.follower and m.follower not in _SUBJECT_PARTICLES),
            self.head_hits.get(label, 0),
            *self._hierarchy(label, region),
            self.p_level.get(self.none_label, 0.0),
            self.p_level.get(region.level, 0.0),
            math.log1p(len(self.text)),
        ]

    def _hierarchy(self, label: str, region) -> list[float]:
        if region.level == "sido":
            children = [l for l in self.by_label if l != label and self.gazetteer.regions[l].sido == label]
            return [0.0, len(children), sum(self.weight[c] for c in children)]
        parent = self.weight.get(region.sido, 0.0)
        siblings = [l for l in self.by_label if l not in (label, region.sido)
                    and self.gazetteer.regions[l].sido == region.sido]
        return [parent, len(siblings), 0.0]


def _as_headline(article: Article) -> Article:
    """A brief as one headline: its text joins the title in place of the line break, so that
    every offset into `title + "\n" + text` still holds."""
    if not article.text:
        return article
    return Article(f"{article.title} {article.text}", "", article.tokens, article.proper_noun_starts,
                   len(article.tokens))


def _training_rows(candidates_per_article: list[list[Candidate]], golds, weight: float = 1.0) -> list[_Row]:
    return [(c.features, int(c.label == gold), weight)
            for candidates, gold in zip(candidates_per_article, golds) for c in candidates]


def _each_outcome(rows: list[_Row], at_least: int = 1) -> bool:
    """Whether at least `at_least` candidates were right and as many wrong."""
    right = sum(target for _, target, _ in rows)
    return min(right, len(rows) - right) >= at_least


def _chance_of_true(model, X) -> np.ndarray:
    """P(class 1) from a binary model, also when training showed it only one class or none."""
    classes = list(model.classes_) if model is not None else []
    if 1 not in classes:
        return np.zeros(len(X))
    return model.predict_proba(X)[:, classes.index(1)]


def _one_thread():
    """The scorer's data is small: OpenMP threads only contend with kiwipiepy's (4x slower fits
    were seen on 2 busy cores)."""
    return threadpool_limits(limits=1, user_api="openmp")


def _is_head(mention: Mention) -> bool:
    """`나주시장`, `연천군수`, `은평구청장`, `안산 시장`: the head of that government."""
    return (mention.follower.startswith(_HEAD_TITLES)
            or _HEAD_FOLLOWERS.get(mention.surface[-1]) == mention.follower)


def _resolve_homonyms(mentions: list[Mention], gazetteer: Gazetteer) -> list[Mention]:
    """Narrow a name found in several places (중구, 고성, 중앙동; 광주시, which names 광주광역시 and
    경기도 광주시) to the one the place named right before it points at (`부산 중구`, `경기 광주시`).
    A name read several ways is one mention per way, over the same characters."""
    resolved: list[Mention] = []
    previous: list[Mention] = []  # every reading of the name before
    for _, same_name in itertools.groupby(mentions, key=lambda m: (m.start, m.end)):
        readings = list(same_name)
        if sum(len(m.labels) for m in readings) > 1 and previous:
            before = previous[0]
            if readings[0].start - before.end - len(before.follower) <= 2:
                near = {label for m in previous for label in m.labels}
                narrowed = [m._replace(labels=fits) for m in readings
                            if (fits := tuple(label for label in m.labels if _within(label, near, gazetteer)))]
                readings = narrowed or readings
        resolved.extend(readings)
        previous = readings
    return resolved


def _within(label: str, context: set[str], gazetteer: Gazetteer) -> bool:
    return label in context or gazetteer.regions[label].sido in context


def _is_joint(text: str, mention: Mention) -> bool:
    """`광주·전남`, `부산·울산·경남`: named as one of several governments acting together."""
    end = mention.end + len(mention.follower)
    return (end < len(text) and text[end] == "·") or (mention.start > 0 and text[mention.start - 1] == "·")


def _learn_head_names(X: list[Article], mentions: list[list[Mention]], y: np.ndarray) -> dict[str, str]:
    """Names written just before `<government>시장/군수/…` in training articles of that government."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for article, found, gold in zip(X, mentions, y):
        text = full_text(article.title, article.text)
        for mention in found:
            name = _HEAD_NAME.search(text, 0, mention.start) if gold in mention.labels and _is_head(mention) else None
            if name and name.start(1) in article.proper_noun_starts:
                seen[name.group(1)][gold] += 1
    return {name: labels.most_common(1)[0][0] for name, labels in seen.items() if len(labels) == 1}


def _evidence(mentions: list[Mention]) -> list[str]:
    """`연천군 ×3`, `전곡읍`, `연천군보건소`: the names that decided, particles dropped."""
    counts = Counter(m.surface + _without_particle(m.follower) for m in mentions)
    return [f"{surface} ×{n}" if n > 1 else surface for surface, n in counts.most_common(5)]


def _without_particle(follower: str) -> str:
    for particle in _PARTICLES_LONGEST_FIRST:
        if follower.endswith(particle):
            return follower[: -len(particle)]
    return follower
