"""Layered settings: built-in defaults → ``lakeforge.toml`` → ``LAKEFORGE_…`` env → CLI flags.

Every layer is flattened to dotted keys (``spark.master``, ``profiles.s3.endpoint_url``);
environment variables use ``__`` for nesting (``LAKEFORGE_SPARK__MASTER``). The merged
result is a frozen :class:`Settings`; ``sources`` records which layer set each key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lake.errors import ConfigError

__all__ = [
    "CONFIG_FILE_NAME",
    "ENV_PREFIX",
    "HOME_DIR_NAME",
    "MLSettings",
    "Secret",
    "Settings",
    "SparkSettings",
    "find_project",
    "find_project_dir",
    "load_settings",
    "mask_uri",
]

CONFIG_FILE_NAME = "lakeforge.toml"
HOME_DIR_NAME = ".lakeforge"
ENV_PREFIX = "LAKEFORGE_"
_NOT_KEYS = {"config", "project_dir", "debug", "error_file"}  # env vars that locate config or steer the CLI
# what the pipeline runner and scheduler tell a step (or the scheduler process), not settings
_NOT_KEYS |= {"run_id", "pipeline", "step", "logical_date", "ds", "attempt", "scheduler_clock"}
_SECRET_WORDS = ("secret", "password", "token", "session_token", "access_key")


class Secret:
    """A credential that never shows itself in ``repr``/``str``; call :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        v = self._value
        return "****" if len(v) < 12 else f"****{v[-2:]}"

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def is_secret_key(key: str) -> bool:
    """True for option names that hold credentials (masked in every output)."""
    leaf = key.rsplit(".", 1)[-1].lower()
    return any(word in leaf for word in _SECRET_WORDS) and not leaf.endswith("_id")


@dataclass(frozen=True)
class SparkSettings:
    """How Spark sessions are built."""

    master: str = "local[2]"
    driver_memory: str = "2g"
    executor_memory: str = "2g"
    shuffle_partitions: int = 8
    log_level: str = "WARN"
    ui: bool = False
    conf: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class MLSettings:
    """Where MLflow tracks runs and registers models (``[ml]``); ``None`` means the embedded store."""

    tracking_uri: str | None = None
    registry_uri: str | None = None


@dataclass(frozen=True)
class Settings:
    """The merged, frozen configuration of one lakeforge process."""

    project_dir: Path
    home: Path
    jars_dir: Path
    profile: str = "local"
    lake: str | None = None
    catalog_store: str = "embedded"
    catalog_path: Path | None = None
    vacuum_min_retention_hours: float = 168.0
    pipelines_dirs: tuple[Path, ...] = ()
    project_source: str = "current directory"
    spark: SparkSettings = field(default_factory=SparkSettings)
    ml: MLSettings = field(default_factory=MLSettings)
    profiles: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def profile_options(self, name: str | None = None) -> Mapping[str, Any]:
        """Options configured for profile ``name`` (the active one by default)."""
        return self.profiles.get(name or self.profile, MappingProxyType({}))

    def describe(self) -> dict[str, Any]:
        """A JSON-ready view with every credential masked."""
        profiles = {
            name: {k: _mask(k, v) for k, v in opts.items()} for name, opts in self.profiles.items()
        }
        return {
            "project_dir": str(self.project_dir),
            "project_source": self.project_source,
            "home": str(self.home),
            "jars_dir": str(self.jars_dir),
            "profile": self.profile,
            "lake": self.lake,
            "catalog_store": self.catalog_store,
            "catalog_path": str(self.catalog_path) if self.catalog_path else None,
            "spark": {
                "master": self.spark.master,
                "driver_memory": self.spark.driver_memory,
                "executor_memory": self.spark.executor_memory,
                "shuffle_partitions": self.spark.shuffle_partitions,
                "log_level": self.spark.log_level,
            },
            "ml": {
                "tracking_uri": mask_uri(self.ml.tracking_uri),
                "registry_uri": mask_uri(self.ml.registry_uri),
            },
            "profiles": profiles,
            "sources": dict(self.sources),
        }


def mask_uri(uri: str | None) -> str | None:
    """``scheme://user:pass@host/…`` with the password replaced by ``****`` (other URIs unchanged)."""
    if not uri:
        return uri
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:****@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _mask(key: str, value: Any) -> Any:
    if isinstance(value, Secret):
        return value.masked()
    if is_secret_key(key) and isinstance(value, str):
        return Secret(value).masked()
    return value


def find_project(start: Path | None = None) -> tuple[Path, str]:
    """The project holding ``start`` and how it was found, the way git finds its repository.

    The nearest of ``start`` and its ancestors holding ``lakeforge.toml`` or a ``.lakeforge/``
    folder is the project; without either, ``start`` itself (``"current directory"``).
    """
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_FILE_NAME).is_file():
            return candidate, CONFIG_FILE_NAME
        if (candidate / HOME_DIR_NAME).is_dir():
            return candidate, f"{HOME_DIR_NAME}/"
    return here, "current directory"


def find_project_dir(start: Path | None = None) -> Path:
    """The nearest ancestor of ``start`` holding ``lakeforge.toml`` or ``.lakeforge/``, else ``start``."""
    return find_project(start)[0]


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and not dotted.startswith("spark.conf"):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :].lower().replace("__", ".")
        if key in _NOT_KEYS:
            continue
        layer[key] = value
    return layer


def _file_layer(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return _flatten(tomllib.load(fh))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None


_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off"}


def _as_bool(key: str, value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _BOOL_TRUE:
        return True
    if text in _BOOL_FALSE:
        return False
    raise ConfigError(f"expected true/false, got {value!r}", key=key, source=source)


def _as_int(key: str, value: Any, source: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"expected an integer, got {value!r}", key=key, source=source) from None


_VACUUM_MIN_KEY = "delta.vacuum_min_retention_hours"


def _as_hours(key: str, value: Any, source: str) -> float:
    try:
        hours = float(value)
    except (TypeError, ValueError):
        hours = -1.0
    if not hours >= 0:
        raise ConfigError(f"expected a number of hours >= 0, got {value!r}", key=key, source=source)
    return hours


_PIPELINES_DIRS_KEY = "pipelines.dirs"


def _as_paths(key: str, value: Any, source: str) -> list[str]:
    """A list of folders: a TOML array, or one string with folders separated by ``os.pathsep``."""
    items = value.split(os.pathsep) if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"expected a list of folders, got {value!r}", key=key, source=source)
    return [i for i in items if i.strip()]


# Spark parses these itself, but only once its JVM runs: a bad value would end in a JVM that
# exits at start-up (JAVA_GATEWAY_EXITED) or a master that never answers. Checked at load instead.
_MASTER_FORMS = "local, local[N], local[*], local[N,F], spark://host:port, k8s://https://host:port or yarn"
_MASTER = re.compile(
    r"local(\[(\d+|\*)(,\d+)?\])?|local-cluster\[\d+,\d+,\d+\]|spark://[^\s/:,]+(:\d+)?(,[^\s/:,]+(:\d+)?)*"
    r"|k8s://\S+|yarn"
)
_MEMORY = re.compile(r"\d+([kmgtp]b?|b)?", re.IGNORECASE)
_LOG_LEVELS = ("ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF")


def _spark_text(key: str, value: str, source: str, env: Mapping[str, str]) -> str:
    text = value.strip()
    if key == "spark.master":
        if not _MASTER.fullmatch(text):
            raise ConfigError(f"invalid Spark master {value!r}; valid forms: {_MASTER_FORMS}", key=key, source=source)
        if text == "yarn" and not (env.get("HADOOP_CONF_DIR") or env.get("YARN_CONF_DIR")):
            raise ConfigError(
                "master 'yarn' needs HADOOP_CONF_DIR or YARN_CONF_DIR pointing at the cluster's configuration "
                f"(other valid forms: {_MASTER_FORMS})", key=key, source=source,
            )
    elif key in ("spark.driver_memory", "spark.executor_memory"):
        if not _MEMORY.fullmatch(text):
            raise ConfigError(
                f"invalid memory size {value!r}; use a whole number with a unit, e.g. 512m, 2g or 4096m",
                key=key, source=source,
            )
    elif key == "spark.log_level":
        if text.upper() not in _LOG_LEVELS:
            raise ConfigError(f"invalid log level {value!r}; valid: {', '.join(_LOG_LEVELS)}", key=key, source=source)
        text = text.upper()
    return text


_SCALAR_KEYS = {"profile", "lake", "home", "jars_dir", "catalog.store", "catalog.path"}
_ML_KEYS = {"ml.tracking_uri", "ml.registry_uri"}
_SPARK_KEYS = {
    "spark.master": str,
    "spark.driver_memory": str,
    "spark.executor_memory": str,
    "spark.shuffle_partitions": int,
    "spark.log_level": str,
    "spark.ui": bool,
}


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    project_dir: Path | None = None,
) -> Settings:
    """Merge defaults, the config file, the environment and ``overrides`` (dotted keys).

    ``None`` values in ``overrides`` are ignored so CLI flags that were not given fall through.
    """
    env = os.environ if environ is None else environ
    if project_dir is not None:
        project, found_by = project_dir.resolve(), "argument"
    elif env.get("LAKEFORGE_PROJECT_DIR"):
        project, found_by = Path(env["LAKEFORGE_PROJECT_DIR"]).resolve(), "LAKEFORGE_PROJECT_DIR"
    else:
        project, found_by = find_project()
    if config_file is None and env.get("LAKEFORGE_CONFIG") is not None:
        config_file = Path(env["LAKEFORGE_CONFIG"]) if env["LAKEFORGE_CONFIG"] else None
        explicit = True
    else:
        explicit = config_file is not None
        config_file = config_file or project / CONFIG_FILE_NAME

    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    layers: list[tuple[str, dict[str, Any]]] = []
    if config_file is not None and (explicit or config_file.is_file()):
        if config_file.is_file():
            layers.append((str(config_file), _file_layer(config_file)))
        elif explicit and str(config_file) not in ("", os.devnull):
            raise ConfigError(f"config file {config_file} does not exist", key="LAKEFORGE_CONFIG")
    layers.append(("environment", _env_layer(env)))
    layers.append(("command line", {k: v for k, v in (overrides or {}).items() if v is not None}))
    for source, layer in layers:
        for key, value in layer.items():
            merged[key] = value
            sources[key] = source
    return _build(merged, sources, project, found_by, env)


def _build(
    merged: dict[str, Any], sources: dict[str, str], project: Path, found_by: str, env: Mapping[str, str]
) -> Settings:
    spark_kwargs: dict[str, Any] = {}
    spark_conf: dict[str, str] = {}
    profiles: dict[str, dict[str, Any]] = {}
    scalars: dict[str, Any] = {}
    for key, value in merged.items():
        source = sources[key]
        if key in _SCALAR_KEYS or key in _ML_KEYS:
            scalars[key] = None if value in ("", None) else str(value)
        elif key in _SPARK_KEYS:
            kind = _SPARK_KEYS[key]
            leaf = key.split(".", 1)[1]
            if kind is int:
                spark_kwargs[leaf] = _as_int(key, value, source)
            elif kind is bool:
                spark_kwargs[leaf] = _as_bool(key, value, source)
            else:
                spark_kwargs[leaf] = _spark_text(key, str(value), source, env)
        elif key == _VACUUM_MIN_KEY:
            scalars[key] = _as_hours(key, value, source)
        elif key == _PIPELINES_DIRS_KEY:
            scalars[key] = _as_paths(key, value, source)
        elif key.startswith("spark.conf"):
            if isinstance(value, Mapping):
                spark_conf.update({str(k): str(v) for k, v in _flatten(value).items()})
            else:
                spark_conf[key[len("spark.conf.") :]] = str(value)
        elif key.startswith("profiles.") and key.count(".") >= 2:
            _, name, option = key.split(".", 2)
            profiles.setdefault(name, {})[option] = (
                Secret(str(value)) if is_secret_key(option) else value
            )
        else:
            raise ConfigError("unknown setting", key=key, source=source)

    home = Path(scalars.get("home") or project / HOME_DIR_NAME)
    if not home.is_absolute():
        home = project / home
    jars = Path(scalars.get("jars_dir") or home / "jars")
    if not jars.is_absolute():
        jars = project / jars
    catalog_path = Path(scalars["catalog.path"]).expanduser() if scalars.get("catalog.path") else None
    if catalog_path is not None and not catalog_path.is_absolute():
        catalog_path = project / catalog_path
    return Settings(
        project_dir=project,
        home=home,
        jars_dir=jars,
        profile=scalars.get("profile") or "local",
        lake=scalars.get("lake"),
        catalog_store=scalars.get("catalog.store") or "embedded",
        catalog_path=catalog_path,
        vacuum_min_retention_hours=scalars.get(_VACUUM_MIN_KEY, 168.0),
        pipelines_dirs=tuple(
            p if p.is_absolute() else project / p
            for p in map(Path, scalars.get(_PIPELINES_DIRS_KEY, ["infra/pipelines/specs"]))
        ),
        project_source=found_by,
        spark=SparkSettings(**spark_kwargs, conf=MappingProxyType(spark_conf)),
        ml=MLSettings(tracking_uri=scalars.get("ml.tracking_uri"), registry_uri=scalars.get("ml.registry_uri")),
        profiles=MappingProxyType({k: MappingProxyType(v) for k, v in profiles.items()}),
        sources=MappingProxyType(sources),
    )
