"""Model sources backed by the MLflow registry of :mod:`lake.ml.tracking`.

A version's ONNX export is expected in its training run's artifacts under ``onnx/`` (the
directory :meth:`OnnxExport.save` writes: ``model.onnx`` + ``export.json``). A
:class:`RegistryResolver` resolves ``NAME@ALIAS`` (or ``NAME:VERSION``, ``NAME``) on every poll
— one registry call — and downloads the export only when the version changed.
:class:`RegistrySparkResolver` loads the Spark model instead, for the slow ``--spark`` path.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lake.ml.errors import ServingError
from lake.ml.export.onnx_export import OnnxExport
from lake.ml.serving.hotswap import Builder, ModelPackage, Resolver

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

    from lake.ml.tracking import ModelRegistry, ModelVersionInfo
    from lake.storage import StorageProfile

__all__ = ["ONNX_ARTIFACT_PATH", "ModelSource", "RegistryResolver", "RegistrySparkResolver", "load_registered_export",
           "open_model_source"]

ONNX_ARTIFACT_PATH = "onnx"


def load_registered_export(registry: ModelRegistry, info: ModelVersionInfo,
                           artifact_path: str = ONNX_ARTIFACT_PATH) -> OnnxExport:
    """The ONNX export logged with a model version's run."""
    if not info.run_id:
        raise ServingError(f"model {info.name} version {info.version} has no run, so no ONNX export")
    client = registry.store.client()
    with registry.store.artifact_access(), tempfile.TemporaryDirectory(prefix="lakeforge-onnx-") as scratch:
        try:
            local = client.download_artifacts(info.run_id, artifact_path, scratch)
            return OnnxExport.load(local)
        except Exception as exc:
            raise ServingError(f"model {info.name} version {info.version} has no ONNX export at "
                               f"{artifact_path}/ in run {info.run_id} (the export failed or was not logged); "
                               "serve it with --spark") from exc


class _VersionResolver:
    """Resolves ``ref`` on every call and loads its version only when the version changed."""

    def __init__(self, registry: ModelRegistry, ref: str) -> None:
        from lake.ml.tracking import ModelRef

        self.registry = registry
        self.ref = ModelRef.parse(ref)
        self._cached: ModelPackage | None = None

    def __call__(self) -> ModelPackage:
        info = self.registry.resolve(self.ref)
        cached = self._cached
        if cached is not None and cached.version == info.version:
            return cached
        self._cached = self._load(info)
        return self._cached

    def _load(self, info: ModelVersionInfo) -> ModelPackage:
        raise NotImplementedError


class RegistryResolver(_VersionResolver):
    """``resolve()`` for :class:`~lake.ml.serving.hotswap.ModelHolder`: the ONNX export of ``ref``'s version."""

    def __init__(self, registry: ModelRegistry, ref: str, *, artifact_path: str = ONNX_ARTIFACT_PATH) -> None:
        super().__init__(registry, ref)
        self.artifact_path = artifact_path

    def _load(self, info: ModelVersionInfo) -> ModelPackage:
        export = load_registered_export(self.registry, info, self.artifact_path)
        return ModelPackage(version=info.version, model_bytes=export.model_bytes, signature=export.signature)


class RegistrySparkResolver(_VersionResolver):
    """``resolve()`` for the Spark path: the version's fitted ``PipelineModel`` and its input schema."""

    def __init__(self, registry: ModelRegistry, ref: str, spark: SparkSession) -> None:
        super().__init__(registry, ref)
        self.spark = spark

    def _load(self, info: ModelVersionInfo) -> ModelPackage:
        model = self.registry.load_spark_model(f"{info.name}:{info.version}")
        return ModelPackage(version=info.version, payload=(model, _input_schema(self.registry, info)))

    def builder(self, name: str) -> Builder:
        from lake.ml.serving.spark_scorer import SparkScorer

        def build(package: ModelPackage) -> SparkScorer:
            model, schema = package.payload
            return SparkScorer.for_pipeline(model, self.spark, schema, name=name, version=package.version)

        return build


def _input_schema(registry: ModelRegistry, info: ModelVersionInfo) -> StructType:
    """The Spark schema of the input example MLflow recorded with the model (its signature's inputs)."""
    import mlflow.artifacts
    from mlflow.models import Model
    from pyspark.sql import types as T

    with registry.store.artifact_access(), tempfile.TemporaryDirectory(prefix="lakeforge-mlmodel-") as scratch:
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"{info.artifact_uri}/MLmodel", dst_path=scratch)
        signature = Model.load(local).signature
    if signature is None or signature.inputs is None:
        raise ServingError(f"model {info.name} version {info.version} has no MLflow signature, so its input "
                           "columns are unknown")
    mapping = {"double": T.DoubleType(), "float": T.FloatType(), "long": T.LongType(), "integer": T.IntegerType(),
               "boolean": T.BooleanType(), "string": T.StringType()}
    fields = []
    for spec in signature.inputs.inputs:
        kind = getattr(spec.type, "name", str(spec.type))
        if kind not in mapping:
            raise ServingError(f"input {spec.name!r} has MLflow type {kind}, which the endpoint cannot take")
        fields.append(T.StructField(spec.name, mapping[kind], True))
    return T.StructType(fields)


@dataclass(frozen=True)
class ModelSource:
    """What :func:`~lake.ml.serving.server.serve` needs for a registry model."""

    model_name: str
    resolve: Resolver
    build: Builder | None
    profile: StorageProfile


def open_model_source(ref: str, *, spark: bool = False, artifact_path: str = ONNX_ARTIFACT_PATH,
                      tracking_uri: str | None = None, registry_uri: str | None = None,
                      settings: Any = None) -> ModelSource:
    """Open lakeforge's tracking store (from settings, or the given URIs) and a resolver for ``ref``."""
    from lake.config import load_settings
    from lake.ml.tracking import ModelRef, ModelRegistry, open_tracking

    settings = settings or load_settings()
    options: dict[str, Any] = {k: v for k, v in (("tracking_uri", tracking_uri), ("registry_uri", registry_uri))
                               if v}
    store = open_tracking(settings, None, **options)
    registry = ModelRegistry(store)
    name = ModelRef.parse(ref).name
    if not spark:
        return ModelSource(name, RegistryResolver(registry, ref, artifact_path=artifact_path), None, store.profile)
    from lake.spark.session import build_spark

    session = build_spark(settings, store.profile, app_name=f"lakeforge-serve-{name}")
    resolver = RegistrySparkResolver(registry, ref, session)
    return ModelSource(name, resolver, resolver.builder(name), store.profile)
