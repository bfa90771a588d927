"""The training spec: parsing, defaults, overrides and every validation rule (no Spark needed)."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import pytest

from lake.ml.errors import MLError, SpecError
from lake.ml.spec import TrainSpec, apply_overrides, load_spec

BASE: dict[str, Any] = {
    "name": "heart_risk",
    "source": "ml.heart_features",
    "task": "binary",
    "label": "label",
    "id": "visit_id",
    "exclude": ["patient_id"],
    "model": {"algorithm": "gbt", "max_depth": 4},
}


def spec_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def rejected(data: dict[str, Any]) -> SpecError:
    with pytest.raises(SpecError) as info:
        TrainSpec.from_mapping(data)
    return info.value


def test_minimal_spec_gets_documented_defaults() -> None:
    spec = TrainSpec.from_mapping(BASE)
    assert (spec.split.train, spec.split.validation, spec.split.test, spec.split.seed) == (0.7, 0.15, 0.15, 42)
    assert spec.prep.impute == "mean" and spec.prep.encode == "onehot" and spec.prep.scale == "none"
    assert spec.tune.strategy == "none" and spec.tune.method == "holdout" and spec.tune.metric == "roc_auc"
    assert spec.model.params == {"max_depth": 4}
    assert spec.excluded_columns() == {"label", "visit_id", "patient_id"}


def test_full_spec_round_trips_through_to_dict() -> None:
    data = spec_with(
        prep={"impute": "median", "impute_columns": {"smoker": "mode"}, "scale": "standard", "pca": 0.9,
              "drop_low_variance": 0.0, "drop_low_correlation": 0.05, "max_missing": 0.4, "balance": "oversample"},
        split={"train": 0.6, "validation": 0.2, "test": 0.2, "seed": 7},
        tune={"strategy": "random", "space": {"max_depth": [2, 4], "learning_rate": {"low": 0.01, "high": 0.3,
                                                                                      "log": True}},
              "method": "cv", "folds": 4, "metric": "pr_auc", "max_trials": 5, "parallelism": 2,
              "early_stopping": 5},
    )
    spec = TrainSpec.from_mapping(data)
    assert TrainSpec.from_mapping(spec.to_dict()) == spec
    assert spec.tune.early_stopping == 5 and spec.tune.seed == 7


def test_unknown_top_level_key_names_it_and_suggests() -> None:
    error = rejected(spec_with(lable="label"))
    assert error.key == "lable"
    assert "did you mean 'label'" in str(error) and "valid: name, source" in str(error)


def test_unknown_prep_key_names_the_path() -> None:
    error = rejected(spec_with(prep={"scalr": "standard"}))
    assert error.key == "prep.scalr"
    assert "did you mean 'scale'" in str(error) and "max_missing" in str(error)


def test_unknown_split_key() -> None:
    assert rejected(spec_with(split={"sed": 3})).key == "split.sed"


def test_unknown_tune_key() -> None:
    assert rejected(spec_with(tune={"folds": 3, "metrc": "f1"})).key == "tune.metrc"


def test_unknown_algorithm_lists_the_valid_ones() -> None:
    error = rejected(spec_with(model={"algorithm": "xgbost"}))
    assert error.key == "model.algorithm"
    assert "did you mean 'xgboost'" in str(error) and "knn" in str(error) and "logistic_regression" in str(error)


def test_algorithm_not_serving_the_task() -> None:
    error = rejected(spec_with(task="multiclass"))
    assert error.key == "model.algorithm" and "gbt does not serve task multiclass" in str(error)
    assert "random_forest" in error.valid and "gbt" not in error.valid


def test_linear_svm_is_binary_only() -> None:
    error = rejected(spec_with(task="multiclass", model={"algorithm": "linear_svm"}))
    assert "linear_svm does not serve task multiclass" in str(error)


def test_unknown_hyperparameter_lists_the_valid_ones() -> None:
    error = rejected(spec_with(model={"algorithm": "gbt", "max_dpth": 3}))
    assert error.key == "model.max_dpth"
    assert "did you mean 'max_depth'" in str(error) and "learning_rate" in str(error)


def test_hyperparameter_of_another_task_is_refused() -> None:
    error = rejected(spec_with(task="regression", model={"algorithm": "logistic_regression"}))
    assert error.key == "model.algorithm"
    error = rejected(spec_with(model={"algorithm": "decision_tree", "impurity": "variance"}))
    assert error.key == "model.impurity" and "gini" in str(error)


def test_hyperparameter_out_of_range() -> None:
    error = rejected(spec_with(model={"algorithm": "logistic_regression", "elastic_net": 1.5}))
    assert error.key == "model.elastic_net" and "[0, 1]" in str(error)


def test_hyperparameter_of_wrong_type() -> None:
    error = rejected(spec_with(model={"algorithm": "random_forest", "num_trees": "many"}))
    assert error.key == "model.num_trees" and "integer" in str(error)


def test_alias_and_name_of_one_parameter_together() -> None:
    error = rejected(spec_with(model={"algorithm": "gbt", "num_trees": 10, "max_iter": 20}))
    assert "set the same parameter" in str(error)


def test_mlp_activation_other_than_sigmoid_is_refused_with_the_reason() -> None:
    error = rejected(spec_with(model={"algorithm": "mlp", "activation": "relu"}))
    assert error.key == "model.activation" and "sigmoid" in str(error) and "softmax" in str(error)
    assert TrainSpec.from_mapping(spec_with(model={"algorithm": "mlp", "activation": "sigmoid", "layers": [8, 4]}))


def test_kmeans_k_accepts_auto_and_bounds() -> None:
    data = spec_with(task="clustering", label=None, model={"algorithm": "kmeans", "k": "auto", "k_max": 5})
    assert TrainSpec.from_mapping(data).model.params == {"k": "auto", "k_max": 5}
    error = rejected(spec_with(task="clustering", label=None, model={"algorithm": "kmeans", "k": "many"}))
    assert error.key == "model.k"
    error = rejected(spec_with(task="clustering", label=None, model={"algorithm": "kmeans", "k": "auto",
                                                                     "k_min": 6, "k_max": 3}))
    assert error.key == "model.k_min"


def test_pca_model_takes_k_or_variance_not_both() -> None:
    error = rejected(spec_with(task="reduction", label=None, model={"algorithm": "pca", "k": 2, "variance": 0.9}))
    assert error.key == "model.variance"


def test_source_and_sql_are_exclusive() -> None:
    assert rejected(spec_with(sql="SELECT 1")).key == "source"
    assert rejected(spec_with(source=None)).key == "source"


def test_source_version_needs_a_table_source() -> None:
    error = rejected(spec_with(source=None, sql="SELECT * FROM t", source_version=3))
    assert error.key == "source_version"
    assert rejected(spec_with(source_version=-1)).key == "source_version"


def test_unknown_task_lists_the_tasks() -> None:
    error = rejected(spec_with(task="ranking"))
    assert error.key == "task" and "binary" in error.valid and "topics" in error.valid


def test_supervised_task_needs_a_label() -> None:
    assert rejected(spec_with(label=None)).key == "label"


def test_topics_need_a_text_column_and_others_refuse_it() -> None:
    error = rejected(spec_with(task="topics", label=None, model={"algorithm": "lda"}))
    assert error.key == "text"
    assert rejected(spec_with(text="notes")).key == "text"


def test_label_cannot_be_a_feature() -> None:
    error = rejected(spec_with(features=["age", "label"]))
    assert error.key == "features" and "label" in str(error)


def test_feature_listed_in_exclude_too() -> None:
    assert rejected(spec_with(features=["age"], exclude=["age"])).key == "exclude"


def test_invalid_model_name() -> None:
    assert rejected(spec_with(name="heart risk!")).key == "name"


def test_split_fractions_must_sum_to_one() -> None:
    error = rejected(spec_with(split={"train": 0.8, "validation": 0.2, "test": 0.2}))
    assert error.key == "split" and "must be 1" in str(error)


def test_split_given_in_part_leaves_the_rest_zero() -> None:
    spec = TrainSpec.from_mapping(spec_with(split={"train": 0.8, "test": 0.2}))
    assert (spec.split.train, spec.split.validation, spec.split.test) == (0.8, 0.0, 0.2)
    assert spec.tune.method == "cv"


def test_split_test_fraction_must_be_positive() -> None:
    assert rejected(spec_with(split={"train": 0.8, "validation": 0.2})).key == "split.test"


def test_stratify_needs_classification_and_no_time_column() -> None:
    error = rejected(spec_with(task="regression", model={"algorithm": "gbt"}, split={"stratify": True}))
    assert error.key == "split.stratify"
    assert rejected(spec_with(split={"stratify": True, "by": "event_date"})).key == "split.stratify"


def test_prep_choice_values_are_checked() -> None:
    error = rejected(spec_with(prep={"scale": "zscore"}))
    assert error.key == "prep.scale" and "standard" in str(error) and "robust" in str(error)
    assert rejected(spec_with(prep={"impute_columns": {"age": "average"}})).key == "prep.impute_columns.age"


def test_prep_pca_is_a_count_or_a_fraction() -> None:
    assert TrainSpec.from_mapping(spec_with(prep={"pca": 3})).prep.pca == 3
    assert TrainSpec.from_mapping(spec_with(prep={"pca": 0.95})).prep.pca == 0.95
    assert rejected(spec_with(prep={"pca": 1.5})).key == "prep.pca"
    assert rejected(spec_with(prep={"pca": "all"})).key == "prep.pca"


def test_max_missing_is_a_fraction() -> None:
    assert rejected(spec_with(prep={"max_missing": 2})).key == "prep.max_missing"


def test_balance_needs_classification() -> None:
    error = rejected(spec_with(task="regression", model={"algorithm": "gbt"}, prep={"balance": "oversample"}))
    assert error.key == "prep.balance"


def test_class_weights_need_an_algorithm_with_weights() -> None:
    error = rejected(spec_with(model={"algorithm": "mlp"}, prep={"balance": "class_weight"}))
    assert error.key == "prep.balance" and "logistic_regression" in error.valid and "mlp" not in error.valid


def test_drop_low_correlation_needs_a_label() -> None:
    data = spec_with(task="clustering", label=None, model={"algorithm": "kmeans"}, prep={"drop_low_correlation": 0.1})
    assert rejected(data).key == "prep.drop_low_correlation"


def test_naive_bayes_refuses_scaling_that_makes_negative_features() -> None:
    error = rejected(spec_with(model={"algorithm": "naive_bayes"}, prep={"scale": "standard"}))
    assert error.key == "prep.scale" and "non-negative" in str(error)
    gaussian = spec_with(model={"algorithm": "naive_bayes", "model_type": "gaussian"}, prep={"scale": "standard"})
    assert TrainSpec.from_mapping(gaussian).prep.scale == "standard"


def test_tune_space_names_must_be_hyperparameters() -> None:
    error = rejected(spec_with(tune={"strategy": "grid", "space": {"max_dept": [2, 3]}}))
    assert error.key == "tune.space.max_dept" and "did you mean 'max_depth'" in str(error)


def test_tune_space_values_are_checked_like_the_model_params() -> None:
    error = rejected(spec_with(tune={"strategy": "grid", "space": {"max_depth": [2, -3]}}))
    assert error.key == "tune.space.max_depth"
    error = rejected(spec_with(tune={"strategy": "random", "space": {"learning_rate": {"low": 0.1}}}))
    assert error.key == "tune.space.learning_rate" and "high" in str(error)


def test_tune_strategy_needs_a_space() -> None:
    assert rejected(spec_with(tune={"strategy": "grid"})).key == "tune.space"


def test_tune_metric_must_exist_for_the_task() -> None:
    error = rejected(spec_with(tune={"metric": "rmse"}))
    assert error.key == "tune.metric" and "roc_auc" in error.valid
    assert TrainSpec.from_mapping(spec_with(tune={"metric": "auc"})).tune.metric == "roc_auc"


def test_tune_holdout_needs_a_validation_split() -> None:
    data = spec_with(split={"train": 0.8, "test": 0.2},
                     tune={"strategy": "grid", "space": {"max_depth": [2]}, "method": "holdout"})
    assert rejected(data).key == "tune.method"


def test_early_stopping_only_for_gbt_and_xgboost() -> None:
    error = rejected(spec_with(model={"algorithm": "random_forest"}, tune={"early_stopping": 5}))
    assert error.key == "tune.early_stopping" and set(error.valid) == {"gbt", "xgboost"}


def test_leave_one_out_is_for_supervised_tasks() -> None:
    data = spec_with(task="clustering", label=None, model={"algorithm": "kmeans"}, tune={"method": "loo"})
    assert rejected(data).key == "tune.method"


def test_overrides_set_nested_keys_with_toml_values() -> None:
    data = apply_overrides(BASE, ["model.max_depth=5", "split.seed=7", "prep.scale=standard", "features=['a','b']"])
    assert data["model"]["max_depth"] == 5 and data["split"] == {"seed": 7}
    assert data["prep"]["scale"] == "standard" and data["features"] == ["a", "b"]
    assert BASE["model"]["max_depth"] == 4


def test_override_without_equals_is_an_error() -> None:
    with pytest.raises(SpecError) as info:
        apply_overrides(BASE, ["model.max_depth"])
    assert "key=value" in str(info.value)


def test_load_spec_reads_toml_and_applies_overrides(tmp_path: Path) -> None:
    path = tmp_path / "heart.toml"
    path.write_text(
        'name = "heart_risk"\nsource = "ml.heart_features"\ntask = "binary"\nlabel = "label"\n'
        '[model]\nalgorithm = "logistic_regression"\nreg_param = 0.1\n[split]\nseed = 3\n'
    )
    spec = load_spec(path, ["model.reg_param=0.5", "model.elastic_net=1"])
    assert spec.model.params == {"reg_param": 0.5, "elastic_net": 1.0}
    assert spec.split.seed == 3


def test_load_spec_reports_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "absent.toml")


def test_spec_errors_are_one_line_ml_errors_that_pickle() -> None:
    error = rejected(spec_with(prep={"scalr": 1}))
    assert isinstance(error, MLError) and "\n" not in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert again.fields == error.fields and str(again) == str(error)
