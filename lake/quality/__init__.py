"""Data quality, catalog-free: row rules (DLT semantics), GX table rules, DQDL, results, quarantine.

- :mod:`~lake.quality.rules` — ``RowRule`` (warn | drop | fail) evaluated in one projection + one aggregate
- :mod:`~lake.quality.suites` — GX 1.x suites from JSON/YAML, checked against GX's registry
- :mod:`~lake.quality.dqdl` — a subset of AWS Glue DQDL compiled to the same GX expectations
- :mod:`~lake.quality.gx_runner` — GX on a Spark DataFrame in one reused ephemeral context
- :mod:`~lake.quality.results` — ``QualityResult`` rows of ``quality.results`` (Arrow and Spark schemas)
- :mod:`~lake.quality.quarantine` — rows for ``<db>.<table>__quarantine``
- :mod:`~lake.quality.counts` — rows read = written + quarantined + duplicates removed
- :mod:`~lake.quality.raw` — ingest's malformed records as ``kind="raw"`` results
- :mod:`~lake.quality.docs` — GX Data Docs built locally and uploaded through the storage profile

GX is imported only when a suite is loaded or run.
"""

from lake.quality.counts import COUNT_IDENTITY_RULE, RowCounts
from lake.quality.docs import DOCS_PREFIX, DataDocsSite, build_data_docs, docs_location, publish_data_docs
from lake.quality.dqdl import SUPPORTED_RULE_TYPES, compile_dqdl, load_dqdl, parse_dqdl
from lake.quality.errors import (
    CountIdentityError,
    DataDocsError,
    DqdlSyntaxError,
    ExpectationRunError,
    InvalidExpectationError,
    QualityError,
    QualityGateError,
    QuarantineFrameError,
    RuleDefinitionError,
    RuleExpressionError,
    SuiteFormatError,
    UnknownExpectationError,
    UnsupportedDqdlRuleError,
)
from lake.quality.gx_runner import GxRunner, TableRuleOutcome, default_runner, run_table_rules
from lake.quality.quarantine import (
    QUARANTINE_COLUMNS,
    QUARANTINE_SUFFIX,
    quarantine_frame,
    quarantine_schema,
    quarantine_table_name,
)
from lake.quality.raw import RAW_ERRORS_RULE, RawErrorCount, count_raw_errors, raw_error_result
from lake.quality.results import (
    RESULTS_ARROW_SCHEMA,
    RESULTS_COLUMNS,
    RESULTS_SPARK_SCHEMA,
    QualityResult,
    RuleAction,
    RuleKind,
    RuleStatus,
    new_run_id,
    results_to_arrow,
    results_to_spark,
)
from lake.quality.rules import FAILED_RULES, RowRule, RowRuleOutcome, apply_row_rules, flag_rows
from lake.quality.suites import TableRule, TableSuite, expectation_types, load_suite, make_rule, parse_suite

__all__ = [
    "COUNT_IDENTITY_RULE",
    "DOCS_PREFIX",
    "FAILED_RULES",
    "QUARANTINE_COLUMNS",
    "QUARANTINE_SUFFIX",
    "RAW_ERRORS_RULE",
    "RESULTS_ARROW_SCHEMA",
    "RESULTS_COLUMNS",
    "RESULTS_SPARK_SCHEMA",
    "SUPPORTED_RULE_TYPES",
    "CountIdentityError",
    "DataDocsError",
    "DataDocsSite",
    "DqdlSyntaxError",
    "ExpectationRunError",
    "GxRunner",
    "InvalidExpectationError",
    "QualityError",
    "QualityGateError",
    "QualityResult",
    "QuarantineFrameError",
    "RawErrorCount",
    "RowCounts",
    "RowRule",
    "RowRuleOutcome",
    "RuleAction",
    "RuleDefinitionError",
    "RuleExpressionError",
    "RuleKind",
    "RuleStatus",
    "SuiteFormatError",
    "TableRule",
    "TableRuleOutcome",
    "TableSuite",
    "UnknownExpectationError",
    "UnsupportedDqdlRuleError",
    "apply_row_rules",
    "build_data_docs",
    "compile_dqdl",
    "count_raw_errors",
    "default_runner",
    "docs_location",
    "expectation_types",
    "flag_rows",
    "load_dqdl",
    "load_suite",
    "make_rule",
    "new_run_id",
    "parse_dqdl",
    "parse_suite",
    "publish_data_docs",
    "quarantine_frame",
    "quarantine_schema",
    "quarantine_table_name",
    "raw_error_result",
    "results_to_arrow",
    "results_to_spark",
    "run_table_rules",
]
