"""``export_onnx``: a fitted Spark ``PipelineModel`` → one ONNX graph plus its serving signature.

The pipeline is planned (:mod:`lake.ml.export.stages`), every stage it needs is checked
against our converters (an unsupported stage raises :class:`ExportError` naming it), and
``onnxmltools.convert_sparkml`` builds the graph with our converters registered. The result is
pinned to opset :data:`OPSET` (+ ``ai.onnx.ml`` :data:`ML_OPSET`), reduced to two outputs —
``prediction`` (in the label space of Spark's final ``prediction`` column: an
``IndexToString`` maps indices back to labels inside the graph, a following cast to a number
too) and ``probability`` (class-index order, see ``signature.classes``) — checked with
``onnx.checker`` and loaded once in onnxruntime. The signature is stored in the model's
metadata, so the bytes alone can be served.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lake.ml.errors import ExportError
from lake.ml.export.converters import CONVERTERS, ML_OPSET, NOT_EXPORTABLE, OPSET, register_converters, trace
from lake.ml.export.signature import METADATA_KEY, Field, Signature, field_type_of
from lake.ml.export.stages import PipelinePlan, null_tolerant, plan_pipeline, strict_categories

if TYPE_CHECKING:
    import onnx
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

__all__ = ["MODEL_FILE", "SIGNATURE_FILE", "OnnxExport", "TensorSpec", "export_onnx", "pipeline_signature"]

MODEL_FILE = "model.onnx"
SIGNATURE_FILE = "export.json"
_IR_VERSION = 9
_LIBRARY_OPSET = 15  # the highest opset onnxmltools 1.16 accepts as target_opset


@dataclass(frozen=True)
class TensorSpec:
    """One graph input or output: ONNX name, element type, shape (None for the batch dimension)."""

    name: str
    type: str
    shape: tuple[int | None, ...]


@dataclass(frozen=True)
class OnnxExport:
    """An exported model: the ONNX bytes, its serving signature, and what it was made of.

    ``values`` maps each Spark column the graph computes to its ONNX value name (used to find
    the first disagreeing stage when a verification fails).
    """

    model_bytes: bytes
    signature: Signature
    opset: int
    stages: tuple[str, ...]
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def inputs(self) -> tuple[TensorSpec, ...]:
        return _specs(self._proto().graph.input)

    @property
    def outputs(self) -> tuple[TensorSpec, ...]:
        return _specs(self._proto().graph.output)

    def _proto(self) -> onnx.ModelProto:
        import onnx

        return onnx.load_model_from_string(self.model_bytes)

    def save(self, directory: str | Path) -> Path:
        """Write ``model.onnx`` and ``export.json`` (signature, opset, stages) into ``directory``."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        (path / MODEL_FILE).write_bytes(self.model_bytes)
        meta = {"signature": self.signature.to_dict(), "opset": self.opset, "stages": list(self.stages),
                "values": dict(self.values)}
        (path / SIGNATURE_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> OnnxExport:
        path = Path(directory)
        meta = json.loads((path / SIGNATURE_FILE).read_text(encoding="utf-8"))
        return cls(model_bytes=(path / MODEL_FILE).read_bytes(), signature=Signature.from_dict(meta["signature"]),
                   opset=int(meta["opset"]), stages=tuple(meta["stages"]), values=dict(meta.get("values") or {}))

    @staticmethod
    def signature_of(model_bytes: bytes) -> Signature:
        """The signature stored in an exported model's metadata."""
        import onnx

        for prop in onnx.load_model_from_string(model_bytes).metadata_props:
            if prop.key == METADATA_KEY:
                return Signature.from_json(prop.value)
        raise ExportError(stage="(model)", reason=f"the ONNX model carries no {METADATA_KEY} metadata; "
                          "export it with lake.ml.export.export_onnx")


def export_onnx(
    pipeline_model: Any,
    spark: SparkSession,
    sample_df: DataFrame | None = None,
    *,
    input_columns: Sequence[str] | None = None,
    schema: StructType | None = None,
    name: str = "lakeforge",
) -> OnnxExport:
    """Export ``pipeline_model`` to ONNX; raises :class:`ExportError` naming the first stage that cannot be.

    ``sample_df`` (or ``schema``) gives the input columns' types; the request fields are the
    columns the pipeline reads, in ``input_columns`` order if given, else in the sample's
    column order. A live ``spark`` session is needed to read tree models.
    """
    register_converters()
    plan = plan_pipeline(pipeline_model)
    for stage in plan.stages:
        kind = type(stage).__name__
        if kind not in CONVERTERS:
            reason = NOT_EXPORTABLE.get(kind) or f"no ONNX converter for this stage (exportable: {_known()})"
            raise ExportError(stage=kind, reason=f"{reason}; serve this model with the Spark path (--spark)")
    schema = schema if schema is not None else (sample_df.schema if sample_df is not None else None)
    if schema is None:
        raise ValueError("export_onnx needs sample_df or schema for the input column types")
    fields = _fields(plan, schema, input_columns)
    model = _convert(plan, spark, fields, name)
    values = dict(model.values)
    proto = model.proto
    probability = _select_outputs(proto, plan, values)
    signature = Signature(
        fields=tuple(Field(f.name, f.type, f.nullable, proto.graph.input[i].name, f.categories)
                     for i, f in enumerate(fields)),
        prediction_type=plan.prediction_type,
        probability=probability is not None,
        classes=plan.classes,
        prediction_column=plan.prediction_column,
        probability_column=plan.probability_column,
    )
    _finish(proto, signature, [type(s).__name__ for s in plan.stages])
    data = proto.SerializeToString()
    _check_runtime(data)
    return OnnxExport(model_bytes=data, signature=signature, opset=OPSET,
                      stages=tuple(type(s).__name__ for s in plan.stages), values=values)


def pipeline_signature(pipeline_model: Any, schema: StructType, input_columns: Sequence[str] | None = None
                       ) -> Signature:
    """The request signature of a fitted pipeline (as served by Spark or ONNX) over data of ``schema``."""
    plan = plan_pipeline(pipeline_model)
    return Signature(
        fields=tuple(_fields(plan, schema, input_columns)),
        prediction_type=plan.prediction_type,
        probability=plan.probability_column is not None,
        classes=plan.classes,
        prediction_column=plan.prediction_column,
        probability_column=plan.probability_column,
    )


def _known() -> str:
    return ", ".join(sorted(CONVERTERS))


def _consumer(plan: PipelinePlan, column: str) -> str:
    for stage, io in zip(plan.stages, plan.io, strict=True):
        if column in io.inputs:
            return type(stage).__name__
    return "PipelineModel"


def _fields(plan: PipelinePlan, schema: StructType, input_columns: Sequence[str] | None) -> list[Field]:
    types = {f.name: f.dataType for f in schema.fields}
    needed = list(plan.inputs)
    for column in needed:
        if column not in types:
            raise ExportError(stage=_consumer(plan, column), reason=f"it reads column {column!r}, which the "
                              f"sample data does not have (columns: {', '.join(types)})")
    if input_columns is not None:
        extra = [c for c in input_columns if c not in needed]
        missing = [c for c in needed if c not in input_columns]
        if extra or missing:
            raise ExportError(stage="PipelineModel", reason=f"input_columns must be exactly the columns the "
                              f"pipeline reads ({', '.join(needed)}); extra: {extra}, missing: {missing}")
        order = list(input_columns)
    else:
        order = [c for c in types if c in needed]
    fields = []
    for column in order:
        kind = field_type_of(types[column])
        if kind is None:
            raise ExportError(stage=_consumer(plan, column), reason=f"input column {column!r} has type "
                              f"{types[column].simpleString()}; only numbers, booleans and strings can be served")
        fields.append(Field(column, kind, null_tolerant(plan, column), column, strict_categories(plan, column)))
    return fields


@dataclass
class _Converted:
    proto: Any
    values: dict[str, str]


def _convert(plan: PipelinePlan, spark: SparkSession, fields: list[Field], name: str) -> _Converted:
    from onnxmltools import convert_sparkml
    from onnxmltools.convert.common.data_types import DoubleTensorType, StringTensorType
    from pyspark.ml import PipelineModel

    initial = [(f.name, StringTensorType([None, 1]) if f.is_string else DoubleTensorType([None, 1])) for f in fields]
    names: dict[str, str] = {}
    token = trace().set(names)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proto = convert_sparkml(PipelineModel(list(plan.stages)), name, initial, spark_session=spark,
                                    target_opset=_LIBRARY_OPSET)
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(stage="PipelineModel", reason=f"onnxmltools failed: {type(exc).__name__}: {exc}") from exc
    finally:
        trace().reset(token)
    for f, value in zip(fields, proto.graph.input, strict=True):
        names[f.name] = value.name
    return _Converted(proto, names)


def _select_outputs(proto: Any, plan: PipelinePlan, values: dict[str, str]) -> str | None:
    """Make ``prediction`` (and ``probability``) the only graph outputs, drop the nodes they do not need;
    returns the probability output's name (None without probabilities)."""
    from onnx import TensorProto, helper

    rows = "N"
    elem = {"string": TensorProto.STRING, "long": TensorProto.INT64}.get(plan.prediction_type, TensorProto.DOUBLE)
    if plan.prediction_column not in values:
        raise ExportError(stage="PipelineModel", reason=f"the graph does not compute {plan.prediction_column!r}")
    wanted = [("prediction", values[plan.prediction_column], elem,
               None if plan.prediction_type == "vector" else 1)]
    probability = None
    if plan.probability_column and plan.probability_column in values:
        classes = len(plan.classes) if plan.classes else None
        wanted.append(("probability", values[plan.probability_column], TensorProto.DOUBLE, classes))
        probability = "probability"
    del proto.graph.output[:]
    for public, value, elem_type, width in wanted:
        if value != public:
            taken = {n.name for n in proto.graph.input} | {o for node in proto.graph.node for o in node.output}
            if public in taken:
                _rename(proto, values, public, _free_name(taken, public))
            proto.graph.node.append(helper.make_node("Identity", [value], [public], name=f"output_{public}"))
        proto.graph.output.append(helper.make_tensor_value_info(public, elem_type, [rows, width]))
    _prune(proto)
    return probability


def _free_name(taken: set[str], seed: str) -> str:
    i = 1
    while f"{seed}_{i}" in taken:
        i += 1
    return f"{seed}_{i}"


def _rename(proto: Any, values: dict[str, str], old: str, new: str) -> None:
    """Rename value ``old`` to ``new`` everywhere (an intermediate column that holds a public output name)."""
    for node in proto.graph.node:
        node.input[:] = [new if i == old else i for i in node.input]
        node.output[:] = [new if o == old else o for o in node.output]
    for info in proto.graph.value_info:
        if info.name == old:
            info.name = new
    for column, value in list(values.items()):
        if value == old:
            values[column] = new


def _prune(proto: Any) -> None:
    needed = {o.name for o in proto.graph.output}
    kept = []
    for node in reversed(list(proto.graph.node)):
        if any(o in needed for o in node.output):
            kept.append(node)
            needed.update(i for i in node.input if i)
    kept.reverse()
    del proto.graph.node[:]
    proto.graph.node.extend(kept)
    initializers = [t for t in proto.graph.initializer if t.name in needed]
    del proto.graph.initializer[:]
    proto.graph.initializer.extend(initializers)
    value_info = [v for v in proto.graph.value_info if v.name in needed]
    del proto.graph.value_info[:]
    proto.graph.value_info.extend(value_info)


def _finish(proto: Any, signature: Signature, stages: list[str]) -> None:
    import onnx
    from onnx import helper

    domains = {n.domain for n in proto.graph.node}
    del proto.opset_import[:]
    proto.opset_import.append(helper.make_opsetid("", OPSET))
    if "ai.onnx.ml" in domains:
        proto.opset_import.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    proto.ir_version = _IR_VERSION
    del proto.metadata_props[:]
    for key, value in ((METADATA_KEY, signature.to_json()), ("lakeforge.stages", json.dumps(stages))):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as exc:
        raise ExportError(stage="PipelineModel", reason=f"the ONNX graph is invalid: {str(exc).splitlines()[0]}"
                          ) from exc


def _check_runtime(data: bytes) -> None:
    import onnxruntime as ort

    try:
        ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ExportError(stage="PipelineModel", reason=f"onnxruntime cannot load the graph: "
                          f"{str(exc).splitlines()[0]}") from exc


def _specs(values: Any) -> tuple[TensorSpec, ...]:
    from onnx import TensorProto

    out = []
    for value in values:
        tensor = value.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)
        out.append(TensorSpec(value.name, TensorProto.DataType.Name(tensor.elem_type).lower(), dims))
    return tuple(out)
