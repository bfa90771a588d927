"""Bad input to every command group ends in one line on stderr, never a traceback.

Each case runs in-process (typer's CliRunner) and fails before Spark would start; a few run
as real ``lake`` processes to show that no Java or py4j output reaches the terminal. A case
asserts the exit code (1: a lakeforge error, 2: a usage error), that stderr is one
``error: …`` line — plus, for usage errors, click's ``Try '… --help'`` hint — and what the
line names.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from typer.testing import CliRunner

from infra.cli.main import app

LAKE = Path(sys.executable).with_name("lake")
REPO = Path(__file__).resolve().parents[3]


@dataclass
class Sandbox:
    """A private project: home, local lake, input files, and the session moto server."""

    root: Path
    moto: str
    env: dict[str, str]

    def path(self, name: str) -> str:
        return str(self.root / name)


@pytest.fixture
def box(tmp_path: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    env = {
        "LAKEFORGE_CONFIG": "",
        "LAKEFORGE_PROJECT_DIR": str(tmp_path),
        "LAKEFORGE_HOME": str(tmp_path / ".lakeforge"),
        "LAKEFORGE_LAKE": str(tmp_path / "lakehouse"),
        "LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": moto_endpoint,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "data.csv").write_text("id,name\n1,ann\n2,bob\n")
    (tmp_path / "ragged.csv").write_text("id,name\n1,ann\n2,bob,extra\n3,cid\n")
    (tmp_path / "binary.csv").write_bytes(b"id,name\n1,\xd0\xff\xfe\x00\x01\n")
    (tmp_path / "afile").write_text("not a lake")
    (tmp_path / "pipes").mkdir()
    yield Sandbox(tmp_path, moto_endpoint, env)


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env)


def assert_one_line(res: Any, code: int, *needles: str) -> str:
    """Exit ``code``; stderr is ``error: …`` (and for usage errors click's hint); no traceback."""
    if isinstance(res, subprocess.CompletedProcess):
        exit_code, stdout, stderr, exception = res.returncode, res.stdout, res.stderr, None
    else:
        exit_code, stdout, stderr, exception = res.exit_code, res.stdout, res.stderr, res.exception
    output = stdout + stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert exit_code == code, output
    assert "Traceback" not in output and "py4j" not in output.lower(), output
    assert exception is None or isinstance(exception, SystemExit), repr(exception)
    assert lines and lines[0].startswith("error: "), output
    assert len(lines) == 1 or (len(lines) == 2 and code == 2 and lines[1].startswith("Try '")), output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------ services and spark
def test_up_on_a_port_in_use(box: Sandbox) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_one_line(invoke("up", "--port", str(port)), 1, f"port {port}", "already in use")


def test_down_with_an_extra_argument(box: Sandbox) -> None:
    assert_one_line(invoke("down", "extra"), 2, "extra")


def test_status_with_an_unknown_profile(box: Sandbox) -> None:
    assert_one_line(invoke("--profile", "nosuch", "status"), 1, "unknown profile 'nosuch'")


def test_doctor_with_an_unknown_profile_reports_checks_without_a_traceback(box: Sandbox) -> None:
    res = invoke("--profile", "nosuch", "doctor", "--no-spark")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "unknown profile 'nosuch'" in res.stdout


def test_submit_a_missing_script(box: Sandbox) -> None:
    assert_one_line(invoke("submit", box.path("nosuch.py")), 1, "nosuch.py: no such script")


def test_spark_conf_with_an_unknown_profile(box: Sandbox) -> None:
    assert_one_line(invoke("--profile", "nosuch", "spark-conf"), 1, "unknown profile 'nosuch'")


def test_cluster_up_with_no_workers(box: Sandbox) -> None:
    assert_one_line(invoke("cluster", "up", "--workers", "0"), 1, "--workers")


def test_demo_with_an_unknown_profile(box: Sandbox) -> None:
    assert_one_line(invoke("--profile", "nosuch", "demo"), 1, "unknown profile 'nosuch'")


def test_a_master_that_does_not_answer_fails_at_once(box: Sandbox) -> None:
    port = _free_port()
    line = assert_one_line(invoke("sql", "SELECT 1", env={"LAKEFORGE_SPARK__MASTER": f"spark://127.0.0.1:{port}"}),
                           1, f"spark://127.0.0.1:{port} does not answer", "connection refused")
    assert "lake cluster up" in line


@pytest.mark.parametrize(("toml", "needles"), [
    ('[spark]\ndriver_memory = "lots"\n', ("invalid memory size 'lots'", "spark.driver_memory from", "512m")),
    ('[spark]\nmaster = "yarn"\n', ("master 'yarn' needs HADOOP_CONF_DIR", "spark.master from", "local[N]")),
    ('[spark]\nmaster = "locl[2]"\n', ("invalid Spark master 'locl[2]'", "spark://host:port")),
], ids=["driver-memory", "yarn", "typo"])
def test_bad_spark_settings_are_said_at_load(box: Sandbox, toml: str, needles: tuple[str, ...]) -> None:
    config = box.root / "lakeforge.toml"
    config.write_text(toml)
    line = assert_one_line(invoke("sql", "SELECT 1", env={"LAKEFORGE_CONFIG": str(config)}), 1, *needles)
    assert str(config) in line


# ------------------------------------------------------------------ table
def test_import_a_missing_source(box: Sandbox) -> None:
    assert_one_line(invoke("table", "import", box.path("nope.csv"), "t"), 1, "nope.csv", "no such file")


@pytest.mark.parametrize(("source", "extra", "needles"), [
    ("ragged.csv", [], ("line 3 has 3 fields, expected 2", "--bad-rows quarantine")),
    ("binary.csv", [], ("line 2", "byte offset", "is not valid utf-8")),
    ("data.csv", ["--format", "json"], ("data.csv: line 1 is not a JSON object",)),
], ids=["ragged", "binary", "csv-as-json"])
def test_import_of_bad_files_names_file_line_and_reason(box: Sandbox, source: str, extra: list[str],
                                                        needles: tuple[str, ...]) -> None:
    assert_one_line(invoke("table", "import", box.path(source), "t", *extra), 1, source, *needles)
    assert not (box.root / "lakehouse" / "t" / "_delta_log").exists()


def test_import_into_a_lake_that_is_a_file(box: Sandbox) -> None:
    assert_one_line(invoke("--lake", box.path("afile"), "table", "import", box.path("data.csv"), "t"), 1,
                    f"{box.path('afile')} is a file, not a directory")


@pytest.mark.moto
def test_import_into_a_missing_bucket(box: Sandbox) -> None:
    res = invoke("--profile", "moto", "--lake", "s3://nosuch/lake", "table", "import", box.path("data.csv"),
                 "s3://nosuch/lake/t")
    assert_one_line(res, 1, "bucket 'nosuch' does not exist at " + box.moto)


def test_vacuum_with_a_negative_retention(box: Sandbox) -> None:
    assert_one_line(invoke("table", "vacuum", "t", "--retain-hours", "-5"), 2, "--retain-hours")


@pytest.fixture
def vacuumed(box: Sandbox) -> str:
    """A local table whose version 0 VACUUM removed (made with delta-rs: no Spark)."""
    uri = box.path("lakehouse/people")
    write_deltalake(uri, pa.table({"id": [1, 2]}))
    write_deltalake(uri, pa.table({"id": [3]}), mode="overwrite")
    assert invoke("table", "vacuum", "people", "--retain-hours", "0", "--force").exit_code == 0
    return uri


def test_show_a_vacuumed_version(box: Sandbox, vacuumed: str) -> None:
    assert_one_line(invoke("table", "show", "people", "--version", "0"), 1,
                    f"version 0 of {vacuumed}", "removed by VACUUM", "versions from 1 on are readable")


def test_show_a_version_the_table_never_had(box: Sandbox, vacuumed: str) -> None:
    assert_one_line(invoke("table", "show", "people", "--version", "9"), 1, "has no version 9", "latest version is 3")


@pytest.mark.parametrize("command", ["show", "history", "optimize"])
def test_table_commands_on_a_missing_table(box: Sandbox, command: str) -> None:
    assert_one_line(invoke("table", command, "nosuch"), 1, "no Delta table at", "nosuch")


def test_show_a_folder_that_is_not_a_delta_table(box: Sandbox) -> None:
    (box.root / "lakehouse" / "raw").mkdir(parents=True)
    (box.root / "lakehouse" / "raw" / "a.json").write_text("{}\n")
    assert_one_line(invoke("table", "show", "raw"), 1, "holds files but no _delta_log/")


def test_show_an_unknown_catalog_table(box: Sandbox) -> None:
    assert_one_line(invoke("table", "show", "crm.nosuch"), 1, "not found")


# ------------------------------------------------------------------ streams
def test_simulate_to_an_unreachable_endpoint(box: Sandbox) -> None:
    port = _free_port()
    res = invoke("--profile", "moto", "--lake", "s3://b/lake", "simulate", "--records", "5",
                 env={"LAKEFORGE_PROFILES__MOTO__ENDPOINT_URL": f"http://127.0.0.1:{port}"})
    assert_one_line(res, 1, "kinesis", "still failing after", "EndpointConnectionError")


def test_simulate_with_a_bad_start_time(box: Sandbox) -> None:
    assert_one_line(invoke("--profile", "moto", "simulate", "--start-time", "yesterday"), 1, "--start-time")


@pytest.mark.moto
def test_ingest_an_unknown_stream_before_spark_starts(box: Sandbox) -> None:
    res = invoke("--profile", "moto", "--lake", "s3://lakeforge-tests/sweep", "ingest", "--stream", "no-such-stream",
                 "--available-now")
    assert_one_line(res, 1, "kinesis stream 'no-such-stream' not found")


def test_ingest_with_a_bad_starting_position(box: Sandbox) -> None:
    assert_one_line(invoke("ingest", "--stream", "s", "--starting-position", "middle"), 1, "middle")


# ------------------------------------------------------------------ catalog and crawler
@pytest.mark.parametrize("args", [
    ["catalog", "show", "nodb.notable"],
    ["catalog", "partitions", "nodb.notable"],
    ["catalog", "versions", "nodb.notable"],
    ["catalog", "diff", "nodb.notable", "1", "2"],
    ["catalog", "tables", "nodb"],
], ids=lambda a: a[1])
def test_catalog_lookups_of_missing_entries(box: Sandbox, args: list[str]) -> None:
    assert_one_line(invoke(*args), 1, "not found")


def test_catalog_show_with_a_bad_name(box: Sandbox) -> None:
    assert_one_line(invoke("catalog", "show", "no_dot"), 1, "expected DATABASE.TABLE, got 'no_dot'")


def test_catalog_with_an_unknown_store(box: Sandbox) -> None:
    assert_one_line(invoke("catalog", "databases", "--catalog", "nosuch"), 1, "nosuch")


def test_register_a_folder_that_is_not_delta(box: Sandbox) -> None:
    assert_one_line(invoke("catalog", "register-delta", box.path("pipes"), "--table", "a.b"), 1,
                    "is not a Delta table")


@pytest.mark.moto
def test_register_in_a_missing_bucket(box: Sandbox) -> None:
    res = invoke("--profile", "moto", "--lake", "s3://nosuch/lake", "catalog", "register-delta", "s3://nosuch/lake/t",
                 "--table", "a.b")
    assert_one_line(res, 1, "bucket 'nosuch' does not exist")


def test_crawl_a_missing_directory(box: Sandbox) -> None:
    assert_one_line(invoke("crawl", "/nonexistent/dir", "--database", "x"), 1, "/nonexistent/dir", "no such directory")


@pytest.mark.moto
def test_crawl_a_missing_bucket(box: Sandbox) -> None:
    res = invoke("--profile", "moto", "--lake", "s3://nosuch/lake", "crawl", "raw", "--database", "x")
    assert_one_line(res, 1, "bucket 'nosuch' does not exist")


@pytest.mark.parametrize("args", [["crawler", "show", "nosuch"], ["crawler", "run", "nosuch"],
                                  ["crawler", "delete", "nosuch"]], ids=lambda a: a[1])
def test_crawler_commands_on_a_missing_crawler(box: Sandbox, args: list[str]) -> None:
    assert_one_line(invoke(*args), 1, "crawler 'nosuch' not found")


def test_crawler_with_a_bad_schedule(box: Sandbox) -> None:
    assert_one_line(invoke("crawler", "create", "c", "--database", "d", "--path", "raw", "--schedule", "every day"),
                    1, "Schedule")


# ------------------------------------------------------------------ sql and the endpoint
def test_sql_file_that_does_not_exist(box: Sandbox) -> None:
    assert_one_line(invoke("sql", "--file", box.path("nosuch.sql")), 2, "nosuch.sql", "does not exist")


def test_sql_without_sql(box: Sandbox) -> None:
    assert_one_line(invoke("sql", "--format", "csv"), 1, "no SQL given", "as an argument or with --file")


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["--format", "parquet"], 1, "--format parquet needs --output PATH"),
    (["--format", "table", "--output", "x.csv"], 1, "--format table prints to the terminal"),
    (["--format", "xml"], 2, "'xml'"),
], ids=["parquet-without-output", "table-with-output", "unknown-format"])
def test_sql_format_options(box: Sandbox, args: list[str], code: int, needle: str) -> None:
    assert_one_line(invoke("sql", "SELECT 1", *args), code, needle)


def test_sql_output_under_a_file_is_said_before_the_query_runs(box: Sandbox) -> None:
    assert_one_line(invoke("sql", "SELECT 1", "--format", "csv", "--output", box.path("afile/out.csv")), 1,
                    "afile is a file, not a directory")


def test_sql_on_a_lake_that_is_a_file(box: Sandbox) -> None:
    assert_one_line(invoke("--lake", box.path("afile"), "sql", "SELECT 1"), 1, "afile is a file, not a directory")


@pytest.mark.moto
def test_sql_on_a_missing_bucket(box: Sandbox) -> None:
    assert_one_line(invoke("--profile", "moto", "--lake", "s3://nosuch/lake", "sql", "SELECT 1"), 1,
                    "bucket 'nosuch' does not exist")


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["sql", "run", "nosuch"], 1, "saved query 'nosuch' not found"),
    (["sql", "save", "q"], 1, "no SQL given"),
    (["sql", "history", "--limit", "many"], 2, "--limit"),
], ids=["run", "save", "history"])
def test_sql_subcommands(box: Sandbox, args: list[str], code: int, needle: str) -> None:
    assert_one_line(invoke(*args), code, needle)


@pytest.mark.parametrize("args", [["sql-server", "refresh"], ["sql-server", "--refresh-interval", "-1"]],
                         ids=["refresh-not-running", "negative-interval"])
def test_sql_server(box: Sandbox, args: list[str]) -> None:
    assert_one_line(invoke(*args), 1)


# ------------------------------------------------------------------ pipelines and the scheduler
@pytest.mark.parametrize("args", [
    ["pipeline", "show", "nosuch"],
    ["pipeline", "run", "nosuch"],
    ["pipeline", "backfill", "nosuch", "--start", "2026-01-02", "--end", "2026-01-01"],
    ["pipeline", "export-airflow", "nosuch", "--out", "dags"],
], ids=lambda a: a[1])
def test_pipeline_commands(box: Sandbox, args: list[str]) -> None:
    assert_one_line(invoke(*args, "--pipelines", box.path("pipes")), 1, "nosuch")


def test_pipeline_file_that_is_not_toml(box: Sandbox) -> None:
    (box.root / "pipes" / "bad.toml").write_text("name = [unclosed\n")
    assert_one_line(invoke("pipeline", "list", "--pipelines", box.path("pipes")), 1, "bad.toml")


def test_schedule_with_a_bad_interval(box: Sandbox) -> None:
    assert_one_line(invoke("schedule", "start", "--poll-interval", "0", "--pipelines", box.path("pipes")), 1,
                    "--poll-interval")


# ------------------------------------------------------------------ usage errors and runners
def test_usage_errors_are_one_line_and_a_hint(box: Sandbox) -> None:
    line = assert_one_line(invoke("table", "vacuum"), 2, "Missing argument")
    assert line == "error: Missing argument 'table'."


def test_errors_of_fail_free_commands_reach_the_runners_error_file(box: Sandbox) -> None:
    """``lake sql --file`` and ``lake crawl`` used to exit via fail() without writing it."""
    for args, kind in ((["sql", "--file", box.path("nosuch.sql")], "BadParameter"),
                       (["crawl", "/nonexistent/dir", "--database", "x"], "ListingError")):
        target = box.root / f"{kind}.json"
        invoke(*args, env={"LAKEFORGE_ERROR_FILE": str(target)})
        payload = json.loads(target.read_text())
        assert payload["type"] == kind and payload["transient"] is False


# ------------------------------------------------------------------ real processes
def _lake(box: Sandbox, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEFORGE_")}
    env.update(box.env, **(extra or {}))
    return subprocess.run([str(LAKE), *args], cwd=box.root, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.moto
def test_the_missing_bucket_case_as_a_process(box: Sandbox) -> None:
    done = _lake(box, "--profile", "moto", "--lake", "s3://nosuch/lake", "table", "import", "data.csv",
                 "s3://nosuch/lake/t")
    assert_one_line(done, 1, "bucket 'nosuch' does not exist")
    assert done.stdout == ""


def test_bad_settings_and_a_dead_master_as_processes(box: Sandbox) -> None:
    done = _lake(box, "sql", "SELECT 1", extra={"LAKEFORGE_SPARK__DRIVER_MEMORY": "lots"})
    assert_one_line(done, 1, "invalid memory size 'lots'", "spark.driver_memory from environment")
    done = _lake(box, "sql", "SELECT 1", extra={"LAKEFORGE_SPARK__MASTER": f"spark://127.0.0.1:{_free_port()}"})
    assert_one_line(done, 1, "does not answer")


@pytest.mark.slow
def test_an_error_inside_spark_leaves_only_one_line_on_the_terminal(box: Sandbox) -> None:
    """Spark's executor ERRORs, its WARNs and the JVM's incubator warning go to .lakeforge/logs/spark.log."""
    done = _lake(box, "sql", "SELECT cast(concat('x', id) AS int) AS n FROM range(3)", "--format", "csv", "--no-save")
    assert_one_line(done, 1, "of the type \"STRING\" cannot be cast")  # failed in an executor task
    log = (box.root / ".lakeforge" / "logs" / "spark.log").read_text()
    assert "Using incubator modules" in log and "ERROR" in log
