"""Paths and the typed run configuration read from `params.yaml` plus `key=value` overrides."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

import yaml

from src.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
PARAMS_FILE = ROOT / "params.yaml"
SAMPLE_CORPUS = ROOT / "data" / "raw" / "sample_articles.jsonl"  # the bundled corpus
TAXONOMY_FILE = Path(__file__).with_name("taxonomy.yaml")
MODEL_DIR = ROOT / "models"
EXTERNAL_DIR = ROOT / "data" / "external"
MUNICIPALITIES_FILE = EXTERNAL_DIR / "municipalities.csv"
PLACES_FILE = EXTERNAL_DIR / "places.csv"
DEFAULT_TRACKING_URI = f"sqlite:///{ROOT / 'mlflow.db'}"


@dataclass(frozen=True)
class DataParams:
    train: tuple[Path, ...] = (SAMPLE_CORPUS,)
    test: Optional[Path] = None
    test_size: float = 0.2
    on_error: Literal["fail", "skip"] = "fail"
    cache_dir: Optional[Path] = ROOT / "data" / "processed"

    def __post_init__(self):
        if not self.train:
            raise ConfigError("data.train: give at least one file")
        repeated = next((p for i, p in enumerate(self.train) if p in self.train[:i]), None)
        if repeated is not None:
            raise ConfigError(f"data.train: {repeated} is listed twice")
        if self.test in self.train:
            raise ConfigError(f"data.test: {self.test} is also a training file")
        _check_range("data.test_size", self.test_size, 0.05, 0.5)


# kiwipiepy's part-of-speech tags (its documented tag set)
KIWI_TAGS = frozenset("""
    NNG NNP NNB NR NP VV VA VX VCP VCN MM MAG MAJ IC JKS JKC JKG JKO JKB JKV JKQ JX JC EP EF EC ETN
    ETM XPN XSN XSV XSA XSM XR SF SP SS SSO SSC SE SO SW SL SH SN SB UN W_URL W_EMAIL W_HASHTAG
    W_MENTION W_SERIAL W_EMOJI Z_CODA Z_SIOT USER0 USER1 USER2 USER3 USER4""".split())


@dataclass(frozen=True)
class FeatureParams:
    pos_tags: tuple[str, ...] = ("NNG", "NNP", "VV", "VA", "XR", "SL")
    title_weight: int = 1
    kiwi_default_dict: bool = False
    kiwi_typo_dict: bool = False
    kiwi_multi_dict: bool = False
    word_ngram: tuple[int, int] = (1, 2)
    word_min_df: int = 2
    sublinear_tf: bool = False
    char_ngram: Optional[tuple[int, int]] = (2, 3)
    char_max_chars: int = 1500
    max_chars: Optional[int] = 20_000

    def __post_init__(self):
        if not self.pos_tags:
            raise ConfigError("features.pos_tags: give at least one POS tag (e.g. NNG, NNP, VV)")
        unknown = [tag for tag in self.pos_tags if tag not in KIWI_TAGS]
        if unknown:
            raise ConfigError(f"features.pos_tags: {', '.join(unknown)} is not a kiwipiepy tag "
                              "(e.g. NNG, NNP, VV, VA, XR, SL)")
        _check_range("features.title_weight", self.title_weight, 0, 10)
        _check_range("features.word_min_df", self.word_min_df, 1, 100)
        _check_range("features.char_max_chars", self.char_max_chars, 100, 100_000)
        if self.max_chars is not None:
            _check_range("features.max_chars", self.max_chars, 1_000, 10_000_000)
        _check_ngram("features.word_ngram", self.word_ngram)
        if self.char_ngram is not None:
            _check_ngram("features.char_ngram", self.char_ngram, longest=3)


@dataclass(frozen=True)
class CategoryParams:
    classifier: Literal["linear_svc", "logistic_regression", "sgd", "complement_nb"] = "linear_svc"
    C: float = 0.3
    alpha: float = 1e-4
    class_weight: Optional[Literal["balanced"]] = "balanced"
    calibration: Literal["sigmoid", "isotonic"] = "sigmoid"
    calibration_folds: int = 2

    def __post_init__(self):
        _check_range("model.category.C", self.C, 1e-6, 1e6)
        _check_range("model.category.alpha", self.alpha, 1e-9, 10.0)
        _check_range("model.category.calibration_folds", self.calibration_folds, 2, 20)


@dataclass(frozen=True)
class MunicipalityParams:
    none_threshold: float = 0.35
    max_iter: int = 200
    learning_rate: float = 0.05
    max_leaf_nodes: int = 15
    level_text_C: float = 4.0
    mask_augment: float = 0.5
    headline_chars: int = 120

    def __post_init__(self):
        _check_range("model.municipality.none_threshold", self.none_threshold, 0.0, 1.0)
        _check_range("model.municipality.max_iter", self.max_iter, 10, 5000)
        _check_range("model.municipality.learning_rate", self.learning_rate, 1e-3, 1.0)
        _check_range("model.municipality.max_leaf_nodes", self.max_leaf_nodes, 2, 255)
        _check_range("model.municipality.level_text_C", self.level_text_C, 1e-4, 1e4)
        _check_range("model.municipality.mask_augment", self.mask_augment, 0.0, 1.0)
        _check_range("model.municipality.headline_chars", self.headline_chars, 0, 100_000)


@dataclass(frozen=True)
class ModelParams:
    category: CategoryParams = field(default_factory=CategoryParams)
    municipality: MunicipalityParams = field(default_factory=MunicipalityParams)
    n_jobs: int = 2

    def __post_init__(self):
        _check_range("model.n_jobs", self.n_jobs, 1, 2)


TOP_K_RANGE = (1, 10)


@dataclass(frozen=True)
class PredictParams:
    low_confidence: float = 0.5
    top_k: int = 3

    def __post_init__(self):
        _check_range("predict.low_confidence", self.low_confidence, 0.0, 1.0)
        _check_range("predict.top_k", self.top_k, *TOP_K_RANGE)


@dataclass(frozen=True)
class OutputParams:
    model_dir: Path = MODEL_DIR


# metrics where higher is better, by which models are compared
RankingMetric = Literal["category_macro_f1", "category_accuracy", "category_accuracy_with_alt",
                        "municipality_accuracy"]


@dataclass(frozen=True)
class TrackingParams:
    enabled: bool = True
    experiment: str = "local-news-tagger"
    registered_model: str = "local-news-tagger"
    champion_metric: RankingMetric = "category_macro_f1"
    run_name: Optional[str] = None


@dataclass(frozen=True)
class Params:
    seed: int = 42
    data: DataParams = field(default_factory=DataParams)
    features: FeatureParams = field(default_factory=FeatureParams)
    model: ModelParams = field(default_factory=ModelParams)
    predict: PredictParams = field(default_factory=PredictParams)
    output: OutputParams = field(default_factory=OutputParams)
    tracking: TrackingParams = field(default_factory=TrackingParams)


@dataclass(frozen=True)
class Taxonomy:
    """The label set: category ids with their Korean names, and the two special labels."""

    categories: dict[str, str]
    none_label: str
    no_municipality: str

    @property
    def category_labels(self) -> dict[str, str]:
        """Every value a corpus's `category` may hold, the none-label included, with its Korean name."""
        return {**self.categories, self.none_label: ""}


def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = {label: entry["name"] for label, entry in raw["categories"].items()}
    return Taxonomy(names, raw["none_label"], raw["no_municipality"])


def load_params(path: Path | None = PARAMS_FILE, overrides: typing.Sequence[str] = ()) -> Params:
    """Read `path` (None: defaults only), apply `key=value` overrides, validate and return.

    Relative paths in the file are taken from the file's folder, those in overrides from the
    working directory, as a user typing them expects.
    """
    raw = _read_yaml(path) if path is not None else {}
    params = _build(Params, raw, "", path.resolve().parent if path is not None else ROOT)
    if not overrides:
        return params
    merged = dataclasses.asdict(params)
    parsed = [_parse_override(override) for override in overrides]
    keys = [key for key, _ in parsed]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ConfigError(f"override {twice[0]!r} is given twice: give it once")
    for key, value in parsed:
        _set_nested(merged, key, value)
    return _build(Params, merged, "", Path.cwd())


def load_settings(cls: type, path: Path) -> Any:
    """A settings dataclass from a YAML file, checked as `params.yaml` is."""
    raw = _read_yaml(path)
    try:
        return _build(cls, raw, "", path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def flatten_params(params: Params) -> dict[str, Any]:
    """`{"model.category.C": 0.5, …}`: one entry per leaf, as logged to MLflow."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(f"{prefix}{f.name}.", getattr(value, f.name))
        else:
            flat[prefix[:-1]] = _plain(value)

    walk("", params)
    return flat


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return str(value) if isinstance(value, Path) else value


def _read_yaml(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise ConfigError(f"{path} is not valid YAML: nested too deeply") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return raw


def _parse_override(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r}: write it as key=value, e.g. model.category.C=0.5")
    try:
        return key.strip(), yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        return key.strip(), value
    except RecursionError:
        raise ConfigError(f"override {key.strip()!r}: the value is nested too deeply") from None


def _set_nested(tree: dict, key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    for depth, name in enumerate(parents):
        tree = tree.setdefault(name, {})
        if not isinstance(tree, dict):
            raise ConfigError(f"override {key!r}: {'.'.join(parents[:depth + 1])!r} has no sub-keys")
    tree[leaf] = value


def _build(cls: type, raw: Any, path: str, base: Path) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.rstrip('.') or 'params'}: expected a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(raw) - set(hints), key=str)
    if unknown:
        raise ConfigError(f"unknown key '{path}{unknown[0]}' (allowed: {', '.join(hints)})")
    values = {name: _convert(hints[name], raw[name], f"{path}{name}", base) for name in raw}
    return cls(**values)


def _convert(hint: Any, value: Any, path: str, base: Path) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value or {}, f"{path}.", base)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(inner, value, path, base)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{path}: {value!r} is not allowed (allowed: {', '.join(map(str, args))})")
        return value
    if origin is tuple:
        return _convert_tuple(args, value, path, base)
    if hint is Path:
        if not isinstance(value, (str, Path)) or not str(value) or "\0" in str(value):
            raise ConfigError(f"{path}: expected a file path, got {value!r}")
        return (base / value).resolve()
    return _convert_scalar(hint, value, path)


def _convert_tuple(args: tuple, value: Any, path: str, base: Path) -> tuple:
    of_files = args == (Path, Ellipsis)
    if of_files and isinstance(value, (str, Path)):
        value = [value]  # one file where a list of files is allowed
    if not isinstance(value, (list, tuple)):
        expected = "a file path or a list of file paths" if of_files else "a list"
        raise ConfigError(f"{path}: expected {expected}, got {value!r}")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_convert(args[0], v, path, base) for v in value)
    if len(value) != len(args):
        raise ConfigError(f"{path}: expected {len(args)} values, got {list(value)!r}")
    return tuple(_convert(a, v, path, base) for a, v in zip(args, value))


def _convert_scalar(hint: type, value: Any, path: str) -> Any:
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: expected {hint.__name__}, got {value!r}")
    return value


def _check_range(path: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{path}: {value!r} is out of range (allowed: {low} to {high})")


def _check_ngram(path: str, ngram: tuple[int, int], longest: int = 6) -> None:
    low, high = ngram
    if not 1 <= low <= high <= longest:
        raise ConfigError(f"{path}: {list(ngram)!r} is not a valid range (allowed: 1 <= min <= max <= {longest})")
