"""Two real platforms, two servers, two databases: a county's Yiyang pushes to the city's while both are
killed mid-sync; at the end the city holds every row of the county once (counts and checksums equal), the
elder the city had registered already is a conflict, not merged, and the city's service menu has flowed
down to the county (docs/exchange.md).

Each platform runs as separate processes on its own SQLite file, migrated once and copied. The test runs
in the SQLite pass of the suite only: it makes its own databases, so the PostgreSQL pass would repeat it.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from yiyang.core import idnumber

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="runs its own SQLite platforms")

ROOT = Path(settings.BASE_DIR)
ELDERS = 240
PUSH = ("exchange_push", "--idle", "0.2", "--batch", "40")  # small batches: a kill lands mid-sync
DUPLICATE = idnumber.make("411002", date(1938, 6, 1), 7, "F")


def _env(place: Path, name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "PYTEST"))}
    env.update(DJANGO_SETTINGS_MODULE="yiyang.settings", DATABASE_URL=f"sqlite:///{place / 'db.sqlite3'}",
               YIYANG_VAR_DIR=str(place), SECRET_KEY=f"{name}-secret-key-for-the-two-platform-test-0123456789",
               PYTHONPATH=str(ROOT), ALLOWED_HOSTS="127.0.0.1,localhost")  # fmt: skip
    return env


def _run(env, *args, timeout=300) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _start(env, *args, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env, port, log):
    server = _start(env, "-m", "gunicorn", "yiyang.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                    "--threads", "4", log=log)  # fmt: skip
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/exchange/me", timeout=2)
        except urllib.error.HTTPError:
            return server  # the server answers (an unsigned request is refused)
        except OSError:
            time.sleep(0.1)
    raise AssertionError(log.read_text()[-3000:])


def _query(place: Path, sql: str, *params):
    with sqlite3.connect(f"file:{place / 'db.sqlite3'}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(sql, params).fetchall()


def _checksum(rows) -> str:
    return hashlib.sha256(json.dumps(sorted(rows), ensure_ascii=False).encode()).hexdigest()


ELDER_ROWS = (
    "SELECT id_number, name, phone, status, region_code, capability_level, facility_id IS NOT NULL FROM elders_elder"
)
ASSESSMENT_ROWS = ("SELECT e.id_number, a.assessed_on, a.total, a.final_level FROM elders_assessment a "
                   "JOIN elders_elder e ON e.id = a.elder_id")  # fmt: skip


@pytest.mark.timeout(900)
def test_a_county_platform_syncs_to_the_city_through_kills_and_conflicts(tmp_path):
    template = tmp_path / "template"
    template.mkdir()
    _run(_env(template, "template"), "manage.py", "migrate", "--noinput", "-v", "0")
    city, county = tmp_path / "city", tmp_path / "county"
    for place in (city, county):
        place.mkdir()
        shutil.copy(template / "db.sqlite3", place / "db.sqlite3")
    city_env, county_env = _env(city, "city"), _env(county, "county")
    steps = "yiyang.exchange.tests.platform_steps"
    keys = json.loads(_run(city_env, "-m", steps, "city", DUPLICATE).strip().splitlines()[-1])
    port = _port()
    _run(county_env, "-m", steps, "county", f"http://127.0.0.1:{port}", keys["key_id"], keys["secret"])

    server = _serve(city_env, port, tmp_path / "city.log")
    pusher = _start(county_env, "manage.py", *PUSH, log=tmp_path / "push.log")
    writer = _start(county_env, "-m", steps, "write", "0", str(ELDERS // 2), DUPLICATE, log=tmp_path / "write.log")

    def applied() -> int:
        rows = _query(city, "SELECT applied_seq FROM exchange_syncstate")
        return rows[0][0] if rows else 0

    def wait_for(condition, what, seconds=240):
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                logs = "\n".join((tmp_path / n).read_text()[-1500:] for n in ("push.log", "city.log", "write.log"))
                raise AssertionError(f"{what}; logs:\n{logs}")
            time.sleep(0.2)

    def caught_up() -> bool:
        head = _query(county, "SELECT COALESCE(MAX(id), 0) FROM exchange_change")[0][0]
        return _query(county, "SELECT cursor FROM exchange_peer")[0][0] >= head

    # The pusher is killed mid-sync while the county writes, and restarted.
    wait_for(lambda: applied() > 0, "the first push")
    _kill(pusher)
    first = applied()
    assert first < _query(county, "SELECT MAX(id) FROM exchange_change")[0][0], "killed after the sync, not during it"
    pusher = _start(county_env, "manage.py", *PUSH, log=tmp_path / "push.log")
    assert writer.wait(timeout=600) == 0, (tmp_path / "write.log").read_text()[-3000:]
    wait_for(caught_up, "the pushes after the restart")
    # The city goes down (its server killed) while the county goes on working; then it comes back.
    _kill(server)
    _run(county_env, "-m", steps, "write", str(ELDERS // 2), str(ELDERS - ELDERS // 2), DUPLICATE)
    server = _serve(city_env, port, tmp_path / "city.log")

    # A paused push (the pause grows after each failure) may need a while to come back.
    wait_for(caught_up, "the county's backlog to drain", seconds=400)
    _kill(pusher)
    _kill(server)
    log = (tmp_path / "push.log").read_text()
    assert "Connection refused" in log, log[-3000:]  # the pushes while the city was down

    # Every county row is on the city once, equal field by field; the duplicate is a conflict, not merged.
    county_elders = [r for r in _query(county, ELDER_ROWS) if r[0] != DUPLICATE]
    city_elders = [r for r in _query(city, ELDER_ROWS) if r[0] != DUPLICATE]
    assert len(county_elders) == ELDERS - 1 and len(city_elders) == len(county_elders)
    assert _checksum(city_elders) == _checksum(county_elders)
    county_assessments = [r for r in _query(county, ASSESSMENT_ROWS) if r[0] != DUPLICATE]
    assert _checksum(_query(city, ASSESSMENT_ROWS)) == _checksum(county_assessments)
    assert _query(city, "SELECT name FROM elders_elder WHERE id_number = ?", DUPLICATE) == [("市级登记的老人",)]
    conflicts = _query(city, "SELECT resource, code FROM exchange_syncconflict WHERE status = 'open' ORDER BY seq")
    assert conflicts == [("elders", "duplicate_id_number"), ("assessments", "waiting")]
    assert _query(city, "SELECT COUNT(*) FROM facilities_residence WHERE left_on IS NULL") == [(1,)]
    # The city's menu flowed down to the county.
    assert _query(county, "SELECT code, price, subsidies FROM homecare_serviceitem WHERE region_code = '411000000000'") == [
        ("C01", 6000, '{"tekun": 100}')]  # fmt: skip
    # One mapping per county row: nothing was applied twice.
    refs = _query(
        city, "SELECT resource, COUNT(*), COUNT(DISTINCT external_id) FROM exchange_externalrecord GROUP BY resource"
    )
    assert {r[0]: (r[1], r[2]) for r in refs} == {
        "elders": (ELDERS - 1, ELDERS - 1), "assessments": (ELDERS - 1, ELDERS - 1), "facilities": (1, 1),
        "residences": (1, 1),
    }  # fmt: skip
