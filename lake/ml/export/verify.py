"""``verify_export``: score the same rows with Spark and with onnxruntime and insist they agree.

Spark scores rows carrying only the signature's input columns — exactly what a request
carries — so a pipeline that still needs another column (say the label) fails here, not in
production. Labels (classes, strings, cluster ids) must be equal; probabilities and regression
predictions within ``atol`` (relative to the value above 1). On a disagreement the ONNX graph is
re-run with every intermediate column as an output and compared with Spark's columns in stage
order, so the error names the first stage whose output differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lake.ml.errors import ExportError, ExportMismatchError
from lake.ml.export.feeds import build_feeds
from lake.ml.export.onnx_export import OnnxExport
from lake.ml.export.stages import flatten_stages, stage_io

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["Verification", "verify_export"]

_DEFAULT_MAX_ROWS = 10_000


@dataclass(frozen=True)
class Verification:
    """What agreed: rows compared, the largest probability and prediction differences, the tolerance."""

    rows: int
    atol: float
    labels_equal: bool
    max_probability_diff: float | None
    max_prediction_diff: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "atol": self.atol, "labels_equal": self.labels_equal,
                "max_probability_diff": self.max_probability_diff, "max_prediction_diff": self.max_prediction_diff}


def verify_export(export: OnnxExport, pipeline_model: Any, test_df: DataFrame, *, atol: float = 1e-5,
                  max_rows: int = _DEFAULT_MAX_ROWS) -> Verification:
    """Compare ONNX and Spark on up to ``max_rows`` rows of ``test_df``; raise :class:`ExportMismatchError`."""
    import onnxruntime as ort

    signature = export.signature
    names = list(signature.names)
    rows = test_df.select(*[_quote(n) for n in names]).limit(max_rows).collect()
    if not rows:
        raise ExportError(stage="PipelineModel", reason="the verification data has no rows")
    spark = test_df.sparkSession
    local = spark.createDataFrame(rows, signature.spark_schema())
    columns = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    feeds = build_feeds(signature, columns)
    try:
        scored = pipeline_model.transform(local)
        wanted = [signature.prediction_column] + ([signature.probability_column]
                                                  if signature.probability and signature.probability_column else [])
        spark_rows = scored.select(*[_quote(c) for c in wanted]).collect()
    except Exception as exc:
        raise ExportError(stage="PipelineModel", reason="Spark cannot score rows that carry only the signature's "
                          f"columns ({', '.join(names)}): {str(exc).splitlines()[0]}") from exc
    session = ort.InferenceSession(export.model_bytes, providers=["CPUExecutionProvider"])
    outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds), strict=True))

    expected = [r[0] for r in spark_rows]
    got = outputs["prediction"]
    exact = signature.classes is not None or signature.prediction_type in ("string", "long")
    bad_row, prediction_diff = _compare(expected, got, exact, atol)
    probability_diff = None
    if bad_row is None and signature.probability:
        bad_row, probability_diff = _compare([r[1] for r in spark_rows], outputs["probability"], False, atol)
    if bad_row is not None:
        _diagnose(export, pipeline_model, local, feeds, atol)
        raise ExportMismatchError(stage=type(flatten_stages(pipeline_model)[-1]).__name__,
                                  reason=f"row {bad_row} ({_row_text(columns, bad_row)}): Spark "
                                  f"{_show(expected[bad_row])} vs ONNX {_show(got[bad_row])}")
    return Verification(rows=len(rows), atol=atol, labels_equal=True, max_probability_diff=probability_diff,
                        max_prediction_diff=None if exact else prediction_diff)


def _quote(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def _as_matrix(values: Sequence[Any]) -> np.ndarray:
    out = []
    for v in values:
        if v is None:
            out.append([np.nan])
        elif hasattr(v, "toArray"):
            out.append(list(v.toArray()))
        elif isinstance(v, list | tuple):
            out.append([np.nan if x is None else float(x) for x in v])
        else:
            out.append([float(v)])
    return np.asarray(out, dtype=np.float64)


def _compare(expected: Sequence[Any], got: np.ndarray, exact: bool, atol: float) -> tuple[int | None, float]:
    """The first row that disagrees (or None) and the largest numeric difference seen."""
    if (expected and isinstance(expected[0], str)) or got.dtype == object:
        flat = [str(v) for v in np.asarray(got).reshape(-1)]
        for i, (e, g) in enumerate(zip(expected, flat, strict=True)):
            if (e or "") != g:
                return i, float("nan")
        return None, 0.0
    want = _as_matrix(expected)
    have = np.asarray(got, dtype=np.float64).reshape(want.shape)
    both_nan = np.isnan(want) & np.isnan(have)
    diff = np.where(both_nan, 0.0, np.abs(want - have))
    diff = np.where(np.isnan(diff), np.inf, diff)
    limit = 0.0 if exact else atol * np.maximum(1.0, np.abs(np.nan_to_num(want)))
    bad = np.nonzero((diff > limit).any(axis=1))[0]
    worst = float(diff.max()) if diff.size else 0.0
    return (int(bad[0]) if bad.size else None), worst


def _row_text(columns: dict[str, list[Any]], row: int, limit: int = 6) -> str:
    shown = list(columns.items())[:limit]
    text = ", ".join(f"{k}={v[row]!r}" for k, v in shown)
    return text + (", …" if len(columns) > limit else "")


def _show(value: Any) -> str:
    if hasattr(value, "toArray"):
        value = value.toArray()
    if isinstance(value, np.ndarray):
        return np.array2string(value.reshape(-1), precision=8, separator=", ")
    return repr(value)


def _diagnose(export: OnnxExport, pipeline_model: Any, local: DataFrame, feeds: dict[str, np.ndarray],
              atol: float) -> None:
    """Raise :class:`ExportMismatchError` for the first stage whose output column disagrees, if one does."""
    import onnx
    import onnxruntime as ort

    proto = onnx.load_model_from_string(export.model_bytes)
    inferred = onnx.shape_inference.infer_shapes(proto)
    typed = {v.name: v for v in [*inferred.graph.value_info, *inferred.graph.output]}
    inputs = {i.name for i in proto.graph.input}
    probes = [(column, value) for column, value in export.values.items() if value in typed and value not in inputs]
    del proto.graph.output[:]
    proto.graph.output.extend(typed[value] for _, value in probes)
    outputs = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    scored = pipeline_model.transform(local)
    stages = flatten_stages(pipeline_model)
    producer = {column: type(stage).__name__ for stage in stages for column in _outputs(stage)}
    for (column, _), got in zip(probes, outputs, strict=True):
        if column not in scored.columns:
            continue
        expected = [r[0] for r in scored.select(_quote(column)).collect()]
        bad_row, _ = _compare(expected, got, False, atol)
        if bad_row is not None:
            raise ExportMismatchError(stage=producer.get(column, "PipelineModel"),
                                      reason=f"its output column {column!r} differs at row {bad_row}: Spark "
                                      f"{_show(expected[bad_row])} vs ONNX {_show(got[bad_row])}")


def _outputs(stage: Any) -> tuple[str, ...]:
    try:
        return stage_io(stage).outputs
    except ExportError:
        return ()
