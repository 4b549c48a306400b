"""Municipality benchmark on the shared split (train on train.jsonl, score test.jsonl):

- accuracy, 없음 precision/recall, accuracy on governments that never occur in train;
- the same for the test articles' headlines alone (title, no text), as a news portal's feed
  of headlines is tagged, and for briefs (title and the first 100 characters of the text);
- accuracy when every mention of the gold government's own name is masked (연천군 → ○○군),
  i.e. what 읍면동, institution and head-of-government cues recover;
- the naive baseline "first government named in the text";
- how much the municipality head adds to predict time per article;
- 5-fold cross-validated accuracy and 없음 precision/recall on train.jsonl, which is what
  municipality settings are chosen by (the test file is for reporting only);
- where the misses are: accuracy per source set, the accuracy if only the "no government"
  decision were right (the head's best candidate kept otherwise), and, for the regional
  newspapers, each newspaper's share of 없음 labels beside the head's cross-validated accuracy
  (the newspaper is read from the corpus's `publisher` field; the head never sees it);
- a larger sample of governments never seen in training than the test file's 10 articles:
  5-fold cross-validation on train grouped by government, so every government article is
  scored by a head that never saw an article of that government (시군구 and 시도 apart).

    python benchmarks/bench_municipality.py [--shared ../shared/data]

Results go to stdout and benchmarks/results/municipality.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, KFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._results import write_results  # noqa: E402

from src.config import load_params, load_taxonomy  # noqa: E402
from src.dataset import iter_records, load_corpus  # noqa: E402
from src.evaluate import municipality_scores  # noqa: E402
from src.gazetteer import Gazetteer, load_gazetteer  # noqa: E402
from src.pipeline import build_pipeline  # noqa: E402


def first_named(text: str, gazetteer: Gazetteer, none_label: str) -> str:
    mentions = gazetteer.find_mentions(text)
    return mentions[0].labels[0] if mentions else none_label


def out_of_fold(head, articles: list, gold: np.ndarray, folds) -> list[list[tuple]]:
    """Each article ranked by a head fitted on the other folds (`folds`: a splitter's splits)."""
    ranked: list[list[tuple]] = [[] for _ in articles]
    for fit_rows, score_rows in folds:
        fold = clone(head).fit([articles[i] for i in fit_rows], gold[fit_rows])
        for i, article_ranked in zip(score_rows, fold.rank([articles[i] for i in score_rows])):
            ranked[i] = article_ranked
    return ranked


def unseen_by_group(head, articles: list, gold: np.ndarray, none_label: str, regions) -> dict[str, float]:
    """Accuracy on government articles when no article of the same government was trained on."""
    groups = np.array([label if label != none_label else f"{none_label}-{i % 5}" for i, label in enumerate(gold)])
    predicted = top_labels(out_of_fold(head, articles, gold, GroupKFold(5).split(articles, gold, groups)))
    results = {}
    for level in ("sigungu", "sido"):
        rows = np.array([label in regions and regions[label].level == level for label in gold])
        results[f"{level}_articles"] = int(rows.sum())
        results[f"{level}_accuracy"] = float(np.mean(predicted[rows] == gold[rows]))
    return results


def top_labels(ranked: list[list[tuple]]) -> np.ndarray:
    return np.array([article[0][0] for article in ranked], dtype=object)


def where_missed(ranked: list[list[tuple]], gold: np.ndarray, groups: list[str], none_label: str) -> dict:
    """Accuracy per group, and the accuracy if the 없음 decision alone were always right."""
    predicted = top_labels(ranked)
    best = np.array([next((label for label, *_ in article if label != none_label), none_label)
                     for article in ranked], dtype=object)
    groups = np.asarray(groups, dtype=object)
    return {
        "accuracy_by_source": {str(g): round(float(np.mean(predicted[groups == g] == gold[groups == g])), 4)
                               for g in sorted(set(groups))},
        "accuracy_if_none_decision_right": float(np.mean(np.where(gold == none_label, none_label, best) == gold)),
    }


def by_newspaper(predicted: np.ndarray, gold: np.ndarray, publishers: np.ndarray, none_label: str) -> dict:
    table = {}
    for name in sorted(set(publishers), key=lambda n: -np.sum(publishers == n)):
        rows = publishers == name
        table[str(name)] = {"articles": int(rows.sum()), "none_share": round(float(np.mean(gold[rows] == none_label)), 3),
                            "cv_accuracy": round(float(np.mean(predicted[rows] == gold[rows])), 3)}
    return table


def regional_publishers(path: Path, uids: list[str]) -> list[str]:
    """The newspaper of each article of the `regional_news` source set ('' for the others)."""
    records = (record for _, record in iter_records(path) if isinstance(record, dict))
    publisher = {r["uid"]: r.get("publisher", "") for r in records if r.get("source_set") == "regional_news"}
    return [publisher.get(uid, "") for uid in uids]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    corpus = args.shared / "corpus"
    taxonomy, gazetteer = load_taxonomy(), load_gazetteer()
    places = (*gazetteer.labels, taxonomy.no_municipality)
    train, _ = load_corpus(corpus / "train.jsonl", taxonomy.category_labels, places)
    test, _ = load_corpus(corpus / "test.jsonl", taxonomy.category_labels, places)
    regions = json.loads((args.shared / "regions.json").read_text(encoding="utf-8"))
    missing = (set(regions["sido"]) | set(regions["sigungu"])) - set(gazetteer.labels)

    model = build_pipeline(load_params(), taxonomy, gazetteer)
    tokenizer, heads = model[0], model[-1]
    train_articles = tokenizer.fit_transform(train)
    heads.fit(train_articles, train[["category", "municipality"]].to_numpy())
    model.set_params(tokens__cache_dir=None)
    none, gold = taxonomy.no_municipality, np.asarray(test["municipality"].tolist(), dtype=object)

    started = time.perf_counter()
    articles = tokenizer.transform(test)
    heads.category_.predict_with_evidence(articles)
    category_seconds = time.perf_counter() - started
    started = time.perf_counter()
    test_ranked = heads.municipality_.rank(articles)
    municipality_seconds = time.perf_counter() - started
    predicted = top_labels(test_ranked)

    scores = municipality_scores(gold, predicted, none, set(train["municipality"]))
    masked_rows = gold != none
    masked = [(gazetteer.mask(t, g), gazetteer.mask(x, g))
              for t, x, g in zip(test["title"], test["text"], gold) if g != none]
    masked_predicted = heads.municipality_.predict(tokenizer.transform(masked))
    headlines = tokenizer.transform([(title, "") for title in test["title"]])
    headline_scores = municipality_scores(gold, heads.municipality_.predict(headlines), none)
    briefs = tokenizer.transform([(title, text[:100]) for title, text in zip(test["title"], test["text"])])
    brief_scores = municipality_scores(gold, heads.municipality_.predict(briefs), none)
    naive = [first_named(f"{t}\n{x}", gazetteer, none) for t, x in zip(test["title"], test["text"])]

    train_gold = np.asarray(train["municipality"].tolist(), dtype=object)
    cv_ranked = out_of_fold(heads.municipality_, train_articles, train_gold,
                            KFold(5, shuffle=True, random_state=0).split(train_articles))
    cv_predicted = top_labels(cv_ranked)
    cv_scores = {f"cv_{k}": v for k, v in municipality_scores(train_gold, cv_predicted, none).items()}
    newspapers = np.asarray(regional_publishers(corpus / "train.jsonl", train["uid"].tolist()), dtype=object)
    regional = newspapers != ""

    results = {
        **scores,
        **cv_scores,
        **{f"headline_{k}": v for k, v in headline_scores.items()},
        **{f"brief_{k}": v for k, v in brief_scores.items()},
        "test_misses": where_missed(test_ranked, gold, test["source_set"].tolist(), none),
        "cv_misses": where_missed(cv_ranked, train_gold, train["source_set"].tolist(), none),
        "cv_regional_newspapers": by_newspaper(cv_predicted[regional], train_gold[regional],
                                               newspapers[regional], none),
        "cv_unseen_governments": unseen_by_group(heads.municipality_, train_articles, train_gold, none,
                                                 gazetteer.regions),
        "masked_accuracy": float(np.mean(masked_predicted == gold[masked_rows])),
        "masked_articles": int(masked_rows.sum()),
        "naive_first_named_accuracy": float(np.mean(np.asarray(naive, dtype=object) == gold)),
        "regions_json_labels_missing_from_gazetteer": sorted(missing),
        "predict_ms_per_article_without_municipality": 1000 * category_seconds / len(test),
        "municipality_ms_per_article": 1000 * municipality_seconds / len(test),
        "municipality_share_of_predict_time": municipality_seconds / category_seconds,
    }
    write_results("municipality", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
