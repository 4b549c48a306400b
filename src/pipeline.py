"""`build_pipeline`: the one place where the run configuration becomes estimators."""

from __future__ import annotations

from dataclasses import asdict

from sklearn.pipeline import Pipeline

from src.config import Params, Taxonomy
from src.features import KiwiTokenizer
from src.gazetteer import Gazetteer
from src.heads.category import CategoryClassifier
from src.heads.municipality import MunicipalityTagger
from src.heads.two_heads import TwoHeads


def build_pipeline(params: Params, taxonomy: Taxonomy, gazetteer: Gazetteer) -> Pipeline:
    """Raw articles → morphemes → both heads, as one estimator that is saved whole.

    The `model.*` sections of the params name their estimator's arguments one to one.
    """
    features = params.features
    tokenizer = KiwiTokenizer(pos_tags=features.pos_tags, title_weight=features.title_weight,
                              default_dict=features.kiwi_default_dict, typo_dict=features.kiwi_typo_dict,
                              multi_word_dict=features.kiwi_multi_dict,
                              cache_dir=params.data.cache_dir, max_chars=features.max_chars)
    category = CategoryClassifier(
        **asdict(params.model.category),
        word_ngram=features.word_ngram,
        word_min_df=features.word_min_df,
        sublinear_tf=features.sublinear_tf,
        char_ngram=features.char_ngram,
        char_max_chars=features.char_max_chars,
        none_label=taxonomy.none_label,
        random_state=params.seed,
    )
    municipality = MunicipalityTagger(
        **asdict(params.model.municipality),
        gazetteer=gazetteer,
        none_label=taxonomy.no_municipality,
        random_state=params.seed,
    )
    heads = TwoHeads(category, municipality, low_confidence=params.predict.low_confidence,
                     top_k=params.predict.top_k, n_jobs=params.model.n_jobs,
                     category_names=dict(taxonomy.categories))
    return Pipeline([("tokens", tokenizer), ("tag", heads)])
