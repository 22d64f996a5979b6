"""The README's curl tour, run as it is written: ``bash docs/tour.sh`` against its own
``opsledger serve``, with the installed ``opsledger`` on PATH, on SQLite.

The README's copy must be the script, so what readers paste is what CI runs.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.network import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOUR = ROOT / "docs" / "tour.sh"
README = ROOT / "README.md"
TOUR_SECONDS = 180


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def run_tour(
    script: Path, tmp_path: Path, port: int | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as CI does: the venv's opsledger first on PATH, no OPSLEDGER_*
    setting of ours leaking in, temporary files under ``tmp_path``. A tour that hangs
    is stopped, server and all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSLEDGER_")}
    if port is not None:
        env["TOUR_PORT"] = str(port)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TMPDIR"] = str(tmp_path)
    process = subprocess.Popen(
        ["bash", str(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TOUR_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"the tour did not finish in {TOUR_SECONDS} s:\n{output}")
    return subprocess.CompletedProcess(process.args, process.returncode, output)


def test_readme_tour_is_the_script() -> None:
    readme = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- tour:start -->\n```sh\n(.*?)```\n<!-- tour:end -->", readme, re.S)
    assert found, "README.md has no ```sh block between <!-- tour:start --> and <!-- tour:end -->"
    assert found.group(1) == TOUR.read_text(encoding="utf-8")


def test_tour_runs_and_every_answer_is_as_expected(tmp_path: Path) -> None:
    port = free_port()
    done = run_tour(TOUR, tmp_path, port)
    assert done.returncode == 0, done.stdout
    out = done.stdout
    assert "tour: every answer as expected" in out
    assert "<- expected" not in out
    # The two refusals of the policy, by name.
    assert re.search(r"^409 POST /complaints/[0-9a-f-]+/close$", out, re.M), out
    assert '"type":"complaint-not-responded"' in out
    assert re.search(r"^403 POST /complaints/[0-9a-f-]+/approve-resolution$", out, re.M), out
    assert '"type":"four-eyes-violation"' in out
    # The reads at the end: now, the history with who acted, and the past.
    assert "status: closed" in out
    assert "5 ResolutionApproved chen" in out
    assert "8 Closed lin" in out
    assert "status at version 3: investigating" in out
    # It cleaned up after itself: its server stopped, its store is gone.
    assert not listening(port)
    assert list(tmp_path.iterdir()) == []


def test_tour_fails_when_an_answer_differs(tmp_path: Path) -> None:
    """Drift is caught: a tour expecting what the server no longer answers ends non-zero."""
    script = TOUR.read_text(encoding="utf-8")
    drifted = script.replace("post 409 ", "post 200 ", 1)
    assert drifted != script
    copy = tmp_path / "drifted-tour.sh"
    copy.write_text(drifted, encoding="utf-8")
    done = run_tour(copy, tmp_path)
    assert done.returncode != 0, done.stdout
    assert re.search(
        r"^409 POST /complaints/[0-9a-f-]+/close    <- expected 200$", done.stdout, re.M
    )
    assert "tour: 1 answer(s) not as expected" in done.stdout
