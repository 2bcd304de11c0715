"""Process behaviour operators expect: one server per address, one `make run` per checkout,
`make run` ending with the server's status, SIGHUP reopening the log file."""
import os
import signal
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import BIN, ROOT, SANITIZED, Server, free_port, new_database

STATUS = "/api/3/action/status_show"


def test_second_server_on_the_same_address_refuses(cluster):
    db = new_database(cluster)
    first = Server(db)
    try:
        p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db", db, "--listen",
                            f"127.0.0.1:{first.port}"], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode != 0
        assert "address in use" in p.stderr
        # every request is the first server's: none went to a second one
        for _ in range(20):
            assert requests.get(first.base + STATUS, timeout=5).status_code == 200
        assert first.log_text().count(f"GET {STATUS}") >= 20
    finally:
        assert first.stop() == 0


def test_sighup_without_log_file_is_harmless(cluster):
    srv = Server(new_database(cluster))
    try:
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        assert srv.proc.poll() is None
        assert srv.get(STATUS).status_code == 200
        assert "received SIGHUP" in srv.log_text()
    finally:
        assert srv.stop() == 0


def test_sighup_reopens_the_log_file(cluster, tmp_path):
    log = tmp_path / "opendatad.log"
    srv = Server(new_database(cluster), "--log-file", str(log))
    try:
        assert srv.get(STATUS + "?x=before").status_code == 200
        os.rename(log, tmp_path / "opendatad.log.1")  # what logrotate does
        srv.proc.send_signal(signal.SIGHUP)
        for _ in range(50):
            if log.exists():
                break
            time.sleep(0.05)
        assert srv.get(STATUS + "?x=after").status_code == 200
        time.sleep(0.2)
        old = (tmp_path / "opendatad.log.1").read_text()
        new = log.read_text()
        assert "x=before" in old and "x=after" not in old
        assert "x=after" in new and "log file reopened" in new
    finally:
        assert srv.stop() == 0


def test_log_file_that_cannot_be_opened(cluster):
    p = subprocess.run([os.path.join(BIN, "opendatad"), "serve", "--db", new_database(cluster),
                        "--listen", f"127.0.0.1:{free_port()}", "--log-file",
                        "/nonexistent/dir/x.log"], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "cannot open the log file" in p.stderr


def _wait_up(port, proc, seconds=120):
    for _ in range(seconds * 10):
        if proc.poll() is not None:
            return False
        try:
            requests.get(f"http://127.0.0.1:{port}{STATUS}", timeout=1)
            return True
        except requests.ConnectionError:
            time.sleep(0.1)
    return False


@pytest.mark.skipif(SANITIZED, reason="scripts/run.sh runs bin/, checked by the normal pass")
def test_make_run_is_one_per_checkout_and_ends_with_the_server_status():
    vardir = tempfile.mkdtemp(prefix="opendata-run-")
    os.chmod(vardir, 0o755)
    env = dict(os.environ, OPENDATA_RUN_DIR=vardir, OPENDATA_RUN_PGPORT=str(free_port()))
    env.pop("DATABASE_URL", None)
    port = free_port()
    run = [os.path.join(ROOT, "scripts", "run.sh"), "--listen", f"127.0.0.1:{port}"]
    first = subprocess.Popen(run, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, start_new_session=True)
    try:
        assert _wait_up(port, first), first.stdout.read() if first.poll() is not None else ""
        second = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode != 0
        assert "already running" in second.stderr
        assert requests.get(f"http://127.0.0.1:{port}{STATUS}", timeout=5).status_code == 200
        # with the first's database but its address taken: the server's failure is the status
        uri = subprocess.run([os.path.join(ROOT, "scripts", "pg-local.sh"), "uri",
                              os.path.join(vardir, "pg"), env["OPENDATA_RUN_PGPORT"]],
                             capture_output=True, text=True, check=True).stdout.strip()
        third = subprocess.run(run, env=dict(env, DATABASE_URL=uri), capture_output=True,
                               text=True, timeout=120)
        assert third.returncode != 0 and "address in use" in third.stderr
        os.killpg(first.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
        assert first.wait(timeout=60) == 0
        assert "stopping the local PostgreSQL cluster" in first.stdout.read()
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        subprocess.run([os.path.join(ROOT, "scripts", "pg-local.sh"), "stop",
                        os.path.join(vardir, "pg")], capture_output=True)
        subprocess.run(["rm", "-rf", vardir])
