"""``ML.PREDICT`` on the SQL endpoint (Spark's Thrift server): a Python table function plus a parser rewrite.

Why not the ``lake sql`` path: JDBC/ODBC clients' SQL goes straight to Spark's own parser and
analyzer in the endpoint's JVM, never through ``lake sql``'s engine; and every JDBC session is a
``newSession()`` of the server's session (``singleSession=false``), which does not see Python
functions registered in the server's session (checked: ``spark.udtf.register`` is invisible in
``newSession()``). What a new session *does* copy is the session extensions. So the endpoint
gets, through ``SparkSessionExtensions`` and py4j callbacks (like the read-only guard):

* a table function ``ml_predict('<model ref>', TABLE(<table or query>))`` — a Python UDTF
  (``analyze`` gives the input's columns plus ``prediction``, ``probability``, ``model_name``,
  ``model_version``; rows are scored in batches with the version's ONNX export and
  onnxruntime, resolved like ``MODEL ml.name``: ``champion`` alias, else the latest);
* a parser in front of Spark's that rewrites BigQuery's ``ML.PREDICT(MODEL ml.name, TABLE db.t)``
  and ``ML.PREDICT(MODEL ml.name, (SELECT …))`` into that call, so clients write the same SQL as
  in ``lake sql``. Other ML functions (EVALUATE, CONFUSION_MATRIX, ROC_CURVE) are ``lake sql`` only.

A model whose ONNX export failed cannot be scored here (the error says so); ``lake sql`` and
``lake predict`` score it with Spark.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from catalog.sql.ml_grammar import _CALL, _MODEL_ARG, _TABLE_ARG, _Scan, model_name

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["FUNCTION", "install_ml_functions", "make_predict_udtf", "rewrite_ml_predict", "settings_overrides"]

FUNCTION = "ml_predict"
_BATCH = 500


def rewrite_ml_predict(sql: str) -> str:
    """``ML.PREDICT(MODEL ml.m, TABLE t)`` → ``ml_predict('ml.m', TABLE(t))`` (``(SELECT …)`` → ``TABLE(SELECT …)``)."""
    if "ml" not in sql.lower():
        return sql
    scan = _Scan(sql)
    out: list[str] = []
    cursor = 0
    for m in _CALL.finditer(sql):
        if not scan.code[m.start()] or m.start() < cursor:
            continue
        function = m["fn"].upper()
        open_at = m.end() - 1
        close = scan.closing(open_at)
        if close < 0:
            return sql  # Spark's parser reports the syntax error
        if function != "PREDICT":
            raise ValueError(f"ML.{function} is not available on the SQL endpoint (lake sql runs it); "
                             "the endpoint offers ML.PREDICT")
        args = scan.split(open_at + 1, close)
        if len(args) != 2:
            raise ValueError("ML.PREDICT takes MODEL ml.name and one input: TABLE db.t or (SELECT …)")
        first = sql[args[0][0]:args[0][1]].strip()
        second = sql[args[1][0]:args[1][1]].strip()
        model = _MODEL_ARG.match(first)
        if model is None:
            raise ValueError(f"ML.PREDICT takes MODEL ml.name first, got {first[:60]!r}")
        ref = str(model_name(model["name"], model["kind"], model["which"]))
        if table := _TABLE_ARG.match(second):
            source = f"TABLE({table['name']})"
        elif second.startswith("(") and second.endswith(")"):
            source = f"TABLE{second}"
        else:
            raise ValueError(f"ML.PREDICT's input is TABLE db.t or (SELECT …), got {second[:60]!r}")
        out += [sql[cursor:m.start()], f"{FUNCTION}('{ref}', {source})"]
        cursor = close + 1
    out.append(sql[cursor:])
    return "".join(out)


def make_predict_udtf(overrides: Mapping[str, Any]) -> type:
    """The ``ml_predict`` UDTF class; ``overrides`` are the endpoint's settings (the workers open the same registry).

    The class is built here, not at module level, so cloudpickle ships it (with ``overrides``)
    by value to the Python workers.
    """
    settings_overrides = dict(overrides)
    cache: dict[str, Any] = {}

    def scorer(ref: str) -> Any:
        from lake.config import load_settings
        from lake.ml.serving.hotswap import onnx_builder
        from lake.ml.serving.registry import load_registered_export
        from lake.ml.tracking import ModelRegistry, open_tracking

        if "registry" not in cache:
            cache["registry"] = ModelRegistry(open_tracking(load_settings(settings_overrides)))
        registry = cache["registry"]
        name = ref.split(".", 1)[1] if ref.lower().startswith("ml.") else ref
        info = _resolve(registry, name)
        key = f"{info.name}:{info.version}"
        if key not in cache:
            from lake.ml.serving.hotswap import ModelPackage

            export = load_registered_export(registry, info)
            package = ModelPackage(version=info.version, model_bytes=export.model_bytes, signature=export.signature)
            cache[key] = onnx_builder(info.name)(package)
        return cache[key]

    class MlPredict:
        """``ml_predict('<model ref>', TABLE(…))``: the table's rows plus the model's prediction."""

        @staticmethod
        def analyze(model: Any, table: Any) -> Any:
            from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType
            from pyspark.sql.udtf import AnalyzeResult

            if not isinstance(model.value, str) or model.isTable:
                raise ValueError("ml_predict's first argument is the model as a string literal, e.g. 'ml.heart'")
            if not table.isTable:
                raise ValueError("ml_predict's second argument is TABLE(db.t) or TABLE(SELECT …)")
            signature = scorer(model.value).signature
            kinds = {"string": StringType(), "long": LongType()}
            prediction = kinds.get(signature.prediction_type, DoubleType())
            fields = [*table.dataType.fields, StructField("prediction", prediction),
                      StructField("probability", DoubleType()), StructField("model_name", StringType()),
                      StructField("model_version", StringType())]
            return AnalyzeResult(schema=StructType(fields))

        def __init__(self) -> None:
            self.rows: list[Any] = []
            self.ref: str | None = None

        def eval(self, model: str, row: Any) -> Any:
            self.ref = model
            self.rows.append(row)
            if len(self.rows) >= _BATCH:
                yield from self._flush()

        def terminate(self) -> Any:
            yield from self._flush()

        def _flush(self) -> Any:
            if not self.rows or self.ref is None:
                return
            rows, self.rows = self.rows, []
            model = scorer(self.ref)
            answer = model.score([r.asDict() for r in rows], extra="ignore")
            probabilities = answer.get("probabilities")
            for i, row in enumerate(rows):
                probability = probabilities[i][1] if probabilities and len(probabilities[i]) == 2 else None
                yield (*row, answer["predictions"][i], probability, model.name, str(model.version))

    return MlPredict


def _resolve(registry: Any, name: str) -> Any:
    """``name`` / ``name:V`` / ``name@A``; a bare name is its ``champion`` alias if set, else the latest."""
    if ":" in name or "@" in name:
        return registry.resolve(name)
    champion = [v for v in registry.versions(name) if "champion" in v.aliases]
    return champion[0] if champion else registry.resolve(name)


class _Parser:
    """A ``ParserInterface`` in front of Spark's: rewrites ML.PREDICT in the SQL text, delegates the parsing.

    Spark 4 enters through ``parsePlanWithParameters`` as well as ``parsePlan``/``parseQuery``;
    every method whose first argument is SQL text gets the rewrite (a no-op without ``ML.…(``).
    """

    def __init__(self, delegate: Any) -> None:
        self.delegate = delegate

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.delegate, name)
        if not name.startswith("parse"):
            return target

        def call(*args: Any) -> Any:
            if args and isinstance(args[0], str):
                args = (_rewrite_or_raise(args[0]), *args[1:])
            return target(*args)

        return call

    class Java:
        implements = ["org.apache.spark.sql.catalyst.parser.ParserInterface"]


def _rewrite_or_raise(sql: str) -> str:
    if not re.search(r"\bML\s*\.\s*[A-Za-z_]+\s*\(", sql, re.IGNORECASE):
        return sql
    try:
        return rewrite_ml_predict(sql)
    except ValueError as exc:
        from py4j.protocol import Py4JJavaError

        raise Py4JJavaError(str(exc), _java_error(str(exc))) from None


_JVM: list[Any] = []


def _java_error(message: str) -> Any:
    return _JVM[0].java.lang.IllegalArgumentException(message)


class _ParserBuilder:
    """``scala.Function2[SparkSession, ParserInterface, ParserInterface]``."""

    def apply(self, session: Any, delegate: Any) -> Any:
        return _Parser(delegate)

    class Java:
        implements = ["scala.Function2"]


class _Lazy:
    """``scala.Function0`` returning a fixed object (the UDTF builder's parser argument)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def apply(self) -> Any:
        return self.value

    class Java:
        implements = ["scala.Function0"]


class _TableFunctionBuilder:
    """``scala.Function1[Seq[Expression], LogicalPlan]`` building the Python UDTF's plan in any session."""

    def __init__(self, judtf: Any, parser: Any) -> None:
        self.judtf = judtf
        self.parser = parser

    def apply(self, expressions: Any) -> Any:
        return self.judtf.builder(expressions, _Lazy(self.parser))

    class Java:
        implements = ["scala.Function1"]


def settings_overrides(settings: Any) -> dict[str, Any]:
    """The settings the workers need to open the same registry and lake: home, profile, lake, profile options."""
    out: dict[str, Any] = {"home": str(settings.home), "profile": settings.profile}
    if settings.lake:
        out["lake"] = str(settings.lake)
    for key, value in dict(settings.profiles.get(settings.profile) or {}).items():
        out[f"profiles.{settings.profile}.{key}"] = value
    return out


def install_ml_functions(spark: SparkSession, overrides: Mapping[str, Any]) -> None:
    """Give every session of ``spark`` (JDBC sessions included) ``ml_predict`` and the ML.PREDICT syntax."""
    from pyspark.java_gateway import ensure_callback_server_started
    from pyspark.sql.functions import udtf

    gateway = spark.sparkContext._gateway
    assert gateway is not None
    ensure_callback_server_started(gateway)
    gateway.python_parameters.propagate_java_exceptions = True  # clients see the one-line reason
    jvm: Any = spark._jvm
    _JVM[:] = [jvm]
    predict = udtf(make_predict_udtf(overrides))
    judtf = cast(Any, predict)._judtf
    parser = spark._jsparkSession.sessionState().sqlParser()
    identifier = jvm.org.apache.spark.sql.catalyst.FunctionIdentifier(FUNCTION)
    info = jvm.org.apache.spark.sql.catalyst.expressions.ExpressionInfo("lakeforge.MlPredict", FUNCTION)
    extensions = spark._jsparkSession.extensions()
    extensions.injectTableFunction(jvm.scala.Tuple3(identifier, info, _TableFunctionBuilder(judtf, parser)))
    extensions.injectParser(_ParserBuilder())
