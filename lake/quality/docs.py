"""Great Expectations Data Docs for one run, built locally and uploaded into the lake.

GX writes Data Docs only to a local directory, so :func:`publish_data_docs` builds the site
in a temporary directory with a short-lived *ephemeral* context (its own, not the runner's:
the site then holds exactly this run's validations) whose one site uses GX's
``TupleFilesystemStoreBackend``; the validation results of the run are put into that
context's in-memory store under the keys the runner recorded. The site is then uploaded
through the storage profile's pyarrow filesystem to ``<lake>/_quality/docs/<table>/<run_id>/``
(S3 objects get a ``Content-Type``). Of GX's ``static/`` assets only the files the pages
reference are uploaded (the rest — ~4 MB of fonts and animated GIFs — is never loaded; the pages
take their CSS and JS from public CDNs).

Row rules are not GX expectations, but a run's docs should show them too: a
:class:`~lake.quality.rules.RowRuleOutcome` is rendered as a validation named ``row_rules``
whose entries are GX ``unexpected_rows_expectation`` configurations (query
``SELECT * FROM {batch} WHERE NOT coalesce((expr), false)``, the rule and its action as the
description) carrying the counts lakeforge's one aggregate pass computed — displayed by GX,
not re-evaluated by it.
"""

from __future__ import annotations

import mimetypes
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow.fs as pafs

from lake.quality.errors import DataDocsError
from lake.quality.gx_runner import TableRuleOutcome, quiet_gx
from lake.quality.results import RuleAction
from lake.quality.rules import RowRuleOutcome
from lake.storage import StorageProfile

__all__ = ["DOCS_PREFIX", "DataDocsSite", "build_data_docs", "docs_location", "publish_data_docs"]

DOCS_PREFIX = "_quality/docs"
_SITE = "lakeforge"
_ROW_RULES_SUITE = "row_rules"
_BATCH_ID = "lakeforge_spark-dataframe"
_ON_VIOLATION = {RuleAction.WARN: "", RuleAction.DROP: " ON VIOLATION DROP ROW",
                 RuleAction.FAIL: " ON VIOLATION FAIL UPDATE"}
Outcome = TableRuleOutcome | RowRuleOutcome
_SEGMENT = re.compile(r"^[A-Za-z0-9_.=-]+$")


@dataclass(frozen=True)
class DataDocsSite:
    """Where a run's Data Docs landed in the lake."""

    index_uri: str
    root_uri: str
    files: int
    bytes: int
    validations: int


def docs_location(profile: StorageProfile, table: str, run_id: str, prefix: str = DOCS_PREFIX) -> str:
    """The lake URI of the site root for ``table``'s run ``run_id``."""
    for what, value in (("table", table), ("run id", run_id)):
        if not _SEGMENT.match(value or "") or value in (".", ".."):
            raise DataDocsError(table=table, run_id=run_id,
                                reason=f"the {what} {value!r} cannot be a path segment (use letters, digits, _ . = -)")
    return profile.resolve(f"{prefix.strip('/')}/{table}/{run_id}")


def build_data_docs(outcomes: Sequence[Outcome], directory: Path) -> Path:
    """Build the Data Docs site of ``outcomes`` into ``directory``; return its ``index.html``."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if not outcomes:
        raise ValueError("no validations to build Data Docs for")
    with quiet_gx():
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.add_data_docs_site(_SITE, {  # type: ignore[typeddict-unknown-key]
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_cta_footer": False},
        })
        suites = set()
        for key, outcome, validation in _validations(outcomes):
            if isinstance(outcome, TableRuleOutcome) and outcome.suite.name not in suites:
                context.suites.add(outcome.suite.to_gx_suite())
                suites.add(outcome.suite.name)
            context.validation_results_store.set(key, validation)
        context.build_data_docs(site_names=[_SITE])
    index = directory / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"GX did not write {index}")
    return index


def publish_data_docs(
    outcomes: Sequence[Outcome],
    profile: StorageProfile,
    *,
    table: str,
    run_id: str,
    prefix: str = DOCS_PREFIX,
) -> DataDocsSite:
    """Build the run's Data Docs locally and upload them to ``<lake>/<prefix>/<table>/<run_id>/``."""
    root = docs_location(profile, table, run_id, prefix)
    if not outcomes:
        raise DataDocsError(table=table, run_id=run_id, reason="the run has no rule outcomes to document")
    with tempfile.TemporaryDirectory(prefix="lakeforge-docs-") as tmp:
        local = Path(tmp)
        try:
            build_data_docs(outcomes, local)
        except DataDocsError:
            raise
        except Exception as exc:
            raise DataDocsError(table=table, run_id=run_id, reason=f"GX could not build the site: {exc}") from exc
        files = _site_files(local)
        total = _upload(profile, local, files, root)
    return DataDocsSite(index_uri=f"{root}/index.html", root_uri=root, files=len(files), bytes=total,
                        validations=len(outcomes))


def _validations(outcomes: Sequence[Outcome]) -> Iterable[tuple[Any, Outcome, Any]]:
    """(store key, outcome, GX validation result) per outcome; keys distinct even for equal suite names."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    seen: set[str] = set()
    for outcome in outcomes:
        if isinstance(outcome, RowRuleOutcome):
            key, validation = _row_rules_validation(outcome)
        else:
            key, validation = outcome.result_key, outcome.validation
            if key is None:
                raise ValueError(f"suite {outcome.suite.name!r} has no stored validation key")
        if str(key) in seen:
            name = f"{key.expectation_suite_identifier.name}-{len(seen) + 1}"
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
                run_id=key.run_id, batch_identifier=key.batch_identifier,
            )
        seen.add(str(key))
        yield key, outcome, validation


def _row_rules_validation(outcome: RowRuleOutcome) -> tuple[Any, Any]:
    """Row-rule counts as a GX suite validation result of ``unexpected_rows_expectation`` entries."""
    from datetime import UTC, datetime

    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    run = RunIdentifier(run_name=outcome.run_id, run_time=datetime.now(UTC))
    results = []
    for rule in outcome.rules:
        failed = outcome.failed[rule.name]
        expression = rule.expression.replace("{", "{{").replace("}", "}}")
        config = ExpectationConfiguration(
            type="unexpected_rows_expectation",
            kwargs={"unexpected_rows_query": f"SELECT * FROM {{batch}} WHERE NOT coalesce(({expression}), false)"},
            meta={"name": rule.name, "action": str(rule.action), "evaluated_by": "lakeforge row rules"},
            description=f"{rule.name}: EXPECT ({rule.expression}){_ON_VIOLATION[rule.action]}"
                        f" — {failed} of {outcome.evaluated} rows failed",
        )
        results.append(ExpectationValidationResult(
            success=failed == 0, expectation_config=config, result={"observed_value": failed},
            exception_info={"raised_exception": False, "exception_traceback": None, "exception_message": None},
        ))
    passed = sum(1 for r in results if r.success)
    validation = ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=_ROW_RULES_SUITE,
        statistics={"evaluated_expectations": len(results), "successful_expectations": passed,
                    "unsuccessful_expectations": len(results) - passed,
                    "success_percent": 100.0 * passed / len(results) if results else 100.0},
        meta={"great_expectations_version": gx.__version__, "run_id": run, "validation_time": run.run_time,
              "batch_spec": {}, "batch_markers": {}, "active_batch_definition": {
                  "datasource_name": "lakeforge_spark", "data_connector_name": "fluent",
                  "data_asset_name": outcome.table or "dataframe", "batch_identifiers": {}}},
    )
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=_ROW_RULES_SUITE),
        run_id=run, batch_identifier=_BATCH_ID,
    )
    return key, validation


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def _site_files(local: Path) -> list[PurePosixPath]:
    """Every page, plus the local files (icons, styles) the pages link to."""
    pages = sorted(p for p in local.rglob("*.html"))
    wanted = {PurePosixPath(p.relative_to(local).as_posix()) for p in pages}
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        for link in parser.links:
            if re.match(r"^[a-z][a-z0-9+.-]*:|^//|^#", link, re.IGNORECASE):
                continue
            target = (page.parent / link.split("#")[0].split("?")[0]).resolve()
            if target.is_file() and local.resolve() in target.parents:
                wanted.add(PurePosixPath(target.relative_to(local.resolve()).as_posix()))
    return sorted(wanted)


def _upload(profile: StorageProfile, local: Path, files: Sequence[PurePosixPath], root: str) -> int:
    fs = profile.filesystem()
    is_local = isinstance(fs, pafs.LocalFileSystem)
    total = 0
    for rel in files:
        payload = (local / rel).read_bytes()
        target = profile.fs_path(f"{root}/{rel}")
        if is_local:
            fs.create_dir(target.rsplit("/", 1)[0], recursive=True)
            metadata = None
        else:
            kind = mimetypes.guess_type(rel.name)[0] or "application/octet-stream"
            metadata = {"Content-Type": kind + ("; charset=utf-8" if kind.startswith("text/") else "")}
        with fs.open_output_stream(target, compression=None, metadata=metadata) as out:
            out.write(payload)
        total += len(payload)
    return total
