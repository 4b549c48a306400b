"""scikit-learn's estimator contract, checked by hand: text estimators are skipped by check_estimator."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer

from src.features import KiwiTokenizer
from src.heads.category import CategoryClassifier
from src.heads.municipality import MunicipalityTagger
from src.heads import two_heads
from src.heads.two_heads import TwoHeads


@pytest.fixture(scope="module")
def data(sample_frame):
    frame = sample_frame.groupby("category").head(8)
    articles = KiwiTokenizer().transform(frame)
    return articles, frame[["category", "municipality"]].to_numpy()


def heads(gazetteer):
    return [
        ("category", CategoryClassifier(char_ngram=(2, 3), calibration_folds=2), 0),
        ("municipality", MunicipalityTagger(gazetteer=gazetteer, max_iter=20), 1),
        ("both", TwoHeads(CategoryClassifier(calibration_folds=2),
                          MunicipalityTagger(gazetteer=gazetteer, max_iter=20)), None),
    ]


def plain_params(estimator) -> dict:
    """Every parameter, nested ones included, except the sub-estimator objects themselves."""
    return {k: v for k, v in estimator.get_params(deep=True).items() if not hasattr(v, "get_params")}


@pytest.mark.parametrize("which", ["category", "municipality", "both"])
def test_contract(data, gazetteer, which):
    name, estimator, column = next(h for h in heads(gazetteer) if h[0] == which)
    articles, y = data
    target = y if column is None else y[:, column]

    assert plain_params(clone(estimator)) == plain_params(estimator)
    with pytest.raises(NotFittedError):
        clone(estimator).predict(articles)
    fitted = clone(estimator)
    assert fitted.fit(articles, target) is fitted
    predicted = fitted.predict(articles)
    assert len(predicted) == len(articles)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(articles), predicted)


def test_heads_fitted_side_by_side_answer_as_when_fitted_in_turn(data, gazetteer, monkeypatch):
    articles, y = data
    monkeypatch.setattr(two_heads, "PARALLEL_FROM", 1)  # this corpus is small
    _, both, _ = heads(gazetteer)[2]
    in_turn = clone(both).set_params(n_jobs=1).fit(articles, y)
    side_by_side = clone(both).set_params(n_jobs=2).fit(articles, y)
    np.testing.assert_array_equal(side_by_side.predict(articles), in_turn.predict(articles))
    assert side_by_side.describe(articles) == in_turn.describe(articles)


def test_a_model_saved_before_the_n_jobs_parameter_loads_with_it(data, gazetteer):
    articles, y = data
    _, both, _ = heads(gazetteer)[2]
    state = clone(both).__getstate__()
    del state["n_jobs"]
    restored = TwoHeads.__new__(TwoHeads)
    restored.__setstate__(state)
    assert restored.get_params()["n_jobs"] == 1


def assert_same_explanations(got, expected):
    np.testing.assert_allclose(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1])
    assert got[2] == expected[2]


def test_the_category_head_explains_alike_after_loading_in_this_format_and_in_format_5(data):
    articles, y = data
    fitted = CategoryClassifier(calibration_folds=2).fit(articles, y[:, 0])
    expected = fitted.predict_with_evidence(articles)
    assert_same_explanations(pickle.loads(pickle.dumps(fitted)).predict_with_evidence(articles), expected)

    # format 5 pickled scikit-learn's own vectorizer, its vocabulary a dict, and the word names
    plain_words = TfidfVectorizer()
    plain_words.__dict__.update(vars(fitted.features_.transformer_list[0][1]))
    fitted.features_.transformer_list[0] = ("words", plain_words)
    restored = CategoryClassifier.__new__(CategoryClassifier)
    restored.__setstate__(pickle.loads(pickle.dumps(dict(vars(fitted)))))
    assert_same_explanations(restored.predict_with_evidence(articles), expected)
