"""The fetchers against a real HTTP server on loopback that serves the real fixtures."""

import http.server
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from assets.fetch import Fetcher, fetch_asset
from assets.ingest import landing_files
from assets.sources import SOURCES
from pipelines.cli import main
from pipelines.fetch import (STATE_FILE, FetchSettings, effective_url, fetch_source, file_name_for,
                             landing_target, stale_sources, FetchError)
from pipelines.resources import InnofundPaths

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
EU_FILE = FIXTURES / "forskningsradet" / "bevilgningereu_dataset.csv"
EU_URL = SOURCES["forskningsradet_eu"].url
EU_PATH = "/Forskningsradet/open-data/main/datasets/bevilgningereu/dataset.csv"
FAST = dict(attempts=3, backoff_seconds=0.0, timeout=2.0)


class Server:
    """Answers each path from a queue of behaviours; the last behaviour repeats. Records request headers."""

    def __init__(self):
        self.routes: dict[str, list[dict]] = {}
        self.requests: list[tuple[str, dict]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                server.requests.append((self.path, dict(self.headers)))
                queue = server.routes.get(self.path.split("?")[0]) or [{"status": 404, "body": b""}]
                step = queue.pop(0) if len(queue) > 1 else queue[0]
                if step.get("sleep"):
                    time.sleep(step["sleep"])
                etag = step.get("etag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                body = step.get("body", b"")
                self.send_response(step.get("status", 200))
                for key, value in step.get("headers", {}).items():
                    self.send_header(key, value)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(step.get("length", len(body))))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass
                if step.get("length"):
                    self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def serve(self, path: str, *steps: dict) -> None:
        self.routes[path] = list(steps)


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.httpd.shutdown()


def settings(server: Server, **overrides) -> FetchSettings:
    return FetchSettings(**{**FAST, "base_url": server.base, **overrides})


def test_downloads_the_fixture_byte_for_byte_and_the_reader_counts_its_records(server, tmp_path):
    server.serve(EU_PATH, {"body": EU_FILE.read_bytes()})
    result = fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server))
    assert result.status == "downloaded" and result.attempts == 1
    landed = tmp_path / "forskningsradet_eu" / "dataset.csv"
    assert landed.read_bytes() == EU_FILE.read_bytes()
    # the state file sits beside the data but is never read as data
    assert landing_files(tmp_path, "forskningsradet_eu") == [landed]
    assert len(SOURCES["forskningsradet_eu"].read(landed)) == 2931


def test_a_500_is_retried_with_backoff_then_succeeds(server, tmp_path):
    server.serve(EU_PATH, {"status": 500}, {"status": 503}, {"body": b"a;b\r\n1;2\r\n"})
    waits = []
    result = fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server, backoff_seconds=1.5),
                          sleep=waits.append)
    assert result.status == "downloaded" and result.attempts == 3
    assert waits == [1.5, 3.0]  # exponential


def test_a_404_is_not_retried_and_is_named(server, tmp_path):
    result = fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server))
    assert result.status == "failed" and result.attempts == 1
    assert result.rule == "fetch.http.status" and "HTTP 404" in result.problem


def test_a_timeout_fails_and_keeps_the_last_good_file_marked_stale(server, tmp_path):
    server.serve(EU_PATH, {"body": b"good;file\r\n"})
    assert fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server)).ok
    server.serve(EU_PATH, {"sleep": 1.5, "body": b"late"})
    result = fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server, timeout=0.5, attempts=2))
    assert result.status == "failed" and result.rule == "fetch.timeout" and result.attempts == 2
    assert (tmp_path / "forskningsradet_eu" / "dataset.csv").read_bytes() == b"good;file\r\n"
    stale = stale_sources(tmp_path)
    assert list(stale) == ["forskningsradet_eu"] and stale["forskningsradet_eu"]["rule"] == "fetch.timeout"
    assert stale["forskningsradet_eu"]["last_good"]["file"] == "dataset.csv"


def test_a_truncated_body_never_replaces_the_good_file(server, tmp_path):
    server.serve(EU_PATH, {"body": b"good;file\r\n"})
    fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server))
    server.serve(EU_PATH, {"body": b"half of a bigger fi", "length": 5000})
    result = fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server))
    assert result.status == "failed" and result.rule == "fetch.body.truncated" and result.attempts == 3
    folder = tmp_path / "forskningsradet_eu"
    assert (folder / "dataset.csv").read_bytes() == b"good;file\r\n"
    assert sorted(p.name for p in folder.iterdir()) == [STATE_FILE, "dataset.csv"]  # no partial leftovers


def test_conditional_get_gives_304_and_a_later_success_clears_stale(server, tmp_path):
    server.serve(EU_PATH, {"body": EU_FILE.read_bytes(), "etag": '"v1"'})
    assert fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server)).status == "downloaded"
    again = fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server))
    assert again.status == "not_modified", again.problem
    assert server.requests[-1][1].get("If-None-Match") == '"v1"'
    server.serve(EU_PATH, {"status": 500})
    fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server, attempts=1))
    assert "forskningsradet_eu" in stale_sources(tmp_path)
    server.serve(EU_PATH, {"body": b"new;content\r\n", "etag": '"v2"'})
    assert fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server)).status == "downloaded"
    assert stale_sources(tmp_path) == {}


def test_no_validators_are_sent_once_the_landed_file_was_changed_by_hand(server, tmp_path):
    server.serve(EU_PATH, {"body": b"x;y\r\n", "etag": '"v1"'})
    fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server))
    (tmp_path / "forskningsradet_eu" / "dataset.csv").write_bytes(b"edited")
    result = fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server))
    assert result.status == "downloaded" and "If-None-Match" not in server.requests[-1][1]
    assert (tmp_path / "forskningsradet_eu" / "dataset.csv").read_bytes() == b"x;y\r\n"


def test_same_bytes_again_are_unchanged_and_the_file_is_not_rewritten(server, tmp_path):
    server.serve(EU_PATH, {"body": b"x;y\r\n"})
    fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server))
    landed = tmp_path / "forskningsradet_eu" / "dataset.csv"
    before = landed.stat().st_mtime_ns
    assert fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server)).status == "unchanged"
    assert landed.stat().st_mtime_ns == before


def test_size_cap_by_declared_length_and_by_streamed_bytes(server, tmp_path):
    server.serve(EU_PATH, {"body": b"x" * 4096})
    result = fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server, max_bytes=1000))
    assert result.status == "failed" and result.rule == "fetch.size.over_cap" and result.attempts == 1
    assert not (tmp_path / "forskningsradet_eu" / "dataset.csv").exists()


def test_redirects_are_followed_only_to_configured_hosts(server, tmp_path):
    server.serve(EU_PATH, {"status": 302, "headers": {"Location": "/moved.csv"}})
    server.serve("/moved.csv", {"body": b"moved;ok\r\n"})
    assert fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server)).status == "downloaded"
    server.serve(EU_PATH, {"status": 302, "headers": {"Location": "http://attacker.invalid/x.csv"}})
    result = fetch_source("forskningsradet_eu", EU_URL, tmp_path, settings(server))
    assert result.status == "failed" and result.rule == "fetch.host.not_allowed"
    assert (tmp_path / "forskningsradet_eu" / "dataset.csv").read_bytes() == b"moved;ok\r\n"


def test_file_names_come_from_the_url_and_never_leave_landing(tmp_path):
    assert file_name_for(SOURCES["innovasjon_norge_eos"].url) == "TildelingerEOS.csv"
    assert file_name_for("https://x.no/api/files?filename=../../etc/passwd") == "passwd"
    assert file_name_for("https://x.no/a/..%2F..%2Fx.csv") == "x.csv"
    with pytest.raises(FetchError):
        file_name_for("https://x.no/api/files?filename=..")
    with pytest.raises(FetchError, match="outside"):
        landing_target(tmp_path, "forskningsradet_eu", "../x.csv")


def test_traversal_in_a_served_name_writes_only_inside_the_source_folder(server, tmp_path):
    server.serve("/api/files", {"body": b"a;b\r\n"})
    landing = tmp_path / "landing"
    result = fetch_source("innovasjon_norge_eos", "https://data.innovasjonnorge.no/api/files?filename=../../evil.csv",
                          landing, settings(server))
    assert result.ok and result.file == "evil.csv"
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["landing/innovasjon_norge_eos/.fetch_state.json", "landing/innovasjon_norge_eos/evil.csv"]


def test_effective_url_keeps_path_and_query():
    assert (effective_url(SOURCES["innovasjon_norge_eos"].url, "http://127.0.0.1:9/mirror")
            == "http://127.0.0.1:9/mirror/api/files?filename=TildelingerEOS.csv"
               "&container=innovasjonnorge&subfolder=tildelinger/csv")


def test_cli_fetch_reports_and_exits_3_when_a_source_fails(server, tmp_path, capsys):
    server.serve(EU_PATH, {"body": EU_FILE.read_bytes()})
    assert main(["fetch", "--landing", str(tmp_path), "--source", "forskningsradet_eu",
                 "--base-url", server.base]) == 0
    assert "forskningsradet_eu: downloaded dataset.csv" in capsys.readouterr().out
    assert main(["fetch", "--landing", str(tmp_path), "--source", "innovasjon_norge_eos",
                 "--base-url", server.base]) == 3
    assert "FAILED" in capsys.readouterr().err
    assert main(["fetch", "--landing", str(tmp_path), "--source", "skattefunn"]) == 2


def test_the_dagster_retry_policy_succeeds_on_the_third_try(server, tmp_path):
    server.serve(EU_PATH, {"status": 500}, {"status": 500}, {"body": EU_FILE.read_bytes()})
    asset = fetch_asset("forskningsradet_eu", EU_URL, retry_policy=dg.RetryPolicy(max_retries=3, delay=0))
    result = dg.materialize(
        [asset], raise_on_error=False,
        resources={"paths": InnofundPaths(landing_dir=str(tmp_path), output_dir=str(tmp_path / "out")),
                   "fetcher": Fetcher(base_url=server.base, attempts=1, backoff_seconds=0, timeout_seconds=2)})
    assert result.success
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 2
    assert (tmp_path / "forskningsradet_eu" / "dataset.csv").read_bytes() == EU_FILE.read_bytes()


def test_the_main_job_leaves_fetching_out_and_the_fetch_schedule_is_off():
    from pipelines.definitions import ALL_JOB, FETCH_JOB, build_defs

    defs = build_defs()
    main_nodes = {n.name for n in defs.resolve_job_def(ALL_JOB).graph.node_defs}
    fetch_nodes = {n.name for n in defs.resolve_job_def(FETCH_JOB).graph.node_defs}
    assert not any(n.startswith("fetch_") for n in main_nodes)
    assert fetch_nodes == {f"fetch_{sid}" for sid, s in SOURCES.items() if s.url}
    schedule = defs.resolve_schedule_def("nightly_fetch")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "30 1 * * *" and schedule.execution_timezone == "Europe/Oslo"
