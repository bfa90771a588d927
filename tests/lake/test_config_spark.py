"""Spark settings are checked at load: a clear ConfigError naming the key, its source and the valid forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from lake.config import load_settings
from lake.errors import ConfigError


@pytest.mark.parametrize("master", ["local", "local[2]", "local[*]", "local[4,2]", "local-cluster[2,1,1024]",
                                    "spark://127.0.0.1:7077", "spark://a:7077,b:7077", "k8s://https://h:6443"])
def test_valid_masters(master: str) -> None:
    assert load_settings({"spark.master": master}, environ={}).spark.master == master


@pytest.mark.parametrize(("key", "value", "needle"), [
    ("spark.master", "locl[2]", "invalid Spark master 'locl[2]'; valid forms: local, local[N]"),
    ("spark.master", "spark://", "invalid Spark master"),
    ("spark.driver_memory", "lots", "invalid memory size 'lots'; use a whole number with a unit"),
    ("spark.executor_memory", "1.5g", "invalid memory size '1.5g'"),
    ("spark.log_level", "loud", "invalid log level 'loud'; valid: ALL, TRACE"),
])
def test_invalid_values_name_key_source_and_forms(key: str, value: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({key: value}, environ={})
    assert needle in str(info.value) and str(info.value).endswith(f"({key} from command line)")
    assert (info.value.key, info.value.source) == (key, "command line")


def test_yarn_needs_the_hadoop_configuration(tmp_path: Path) -> None:
    config = tmp_path / "lakeforge.toml"
    config.write_text('[spark]\nmaster = "yarn"\n')
    with pytest.raises(ConfigError, match=f"needs HADOOP_CONF_DIR or YARN_CONF_DIR.*spark.master from {config}"):
        load_settings(environ={}, config_file=config)
    assert load_settings(environ={"YARN_CONF_DIR": "/etc/hadoop"}, config_file=config).spark.master == "yarn"


def test_memory_sizes_and_log_levels_spark_accepts() -> None:
    given = {"spark.driver_memory": "512m", "spark.executor_memory": "4096", "spark.log_level": "warn"}
    spark = load_settings(given, environ={}).spark
    assert (spark.driver_memory, spark.executor_memory, spark.log_level) == ("512m", "4096", "WARN")
