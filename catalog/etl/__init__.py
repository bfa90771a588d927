"""ETL tables in the catalog: ``CREATE OR REFRESH TABLE`` definitions, runs, quality status.

- :mod:`~catalog.etl.declare` — the statement handler: check, store the definition, create the table empty
- :mod:`~catalog.etl.definitions` — definitions (collection ``etl_tables``) and table-rule files
- :mod:`~catalog.etl.shape` / :mod:`~catalog.etl.sources` — incremental or complete, from the query
- :mod:`~catalog.etl.runner` — ``run_etl_table`` / ``run_all``: bind, run :func:`lake.etl.run_etl`, register
- :mod:`~catalog.etl.status` — ``quality_status`` / ``quality_show`` / ``quality_docs`` / ``quality_gate``
"""

from catalog.etl.definitions import (
    COLLECTION,
    EtlDefinition,
    TableRuleFile,
    delete_definition,
    find_rule_files,
    get_definition,
    list_definitions,
)
from catalog.etl.errors import EtlCatalogError, EtlTableDroppedError, FailedQualityError
from catalog.etl.runner import etl_spec, run_all, run_etl_table
from catalog.etl.shape import QueryShape, query_shape
from catalog.etl.status import quality_docs, quality_gate, quality_show, quality_status

__all__ = [
    "COLLECTION",
    "EtlCatalogError",
    "EtlDefinition",
    "EtlTableDroppedError",
    "FailedQualityError",
    "QueryShape",
    "TableRuleFile",
    "delete_definition",
    "etl_spec",
    "find_rule_files",
    "get_definition",
    "list_definitions",
    "quality_docs",
    "quality_gate",
    "quality_show",
    "quality_status",
    "query_shape",
    "run_all",
    "run_etl_table",
]
