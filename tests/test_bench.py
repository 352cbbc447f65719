"""`inmail bench --quick` runs on each backend and writes every figure: the
benchmark works and did the same work on both sides. It asserts no speed."""

import json
import os
import subprocess
import sys

import pytest

from inmail.bench.databases import postgres_problem
from inmail.bench.sizes import QUICK

FIGURES = (
    "sends",
    "http_sends",
    "renewals",
    "worker_memory",
    "read_credits_p99",
    "read_ledger_p99",
    "forecast_p99",
    "expiries",
)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_quick_bench_writes_every_figure(backend, tmp_path):
    if backend == "postgresql" and (problem := postgres_problem()) is not None:
        message = f"PostgreSQL is unreachable: {problem}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "inmail.cli",
            "bench",
            "--quick",
            "--backends",
            backend,
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(out.read_text())["figures"]
    assert sorted(figures) == sorted(f"{backend}.{name}" for name in FIGURES)
    for name, figure in figures.items():
        assert figure["ours"] > 0 and figure["raw"] > 0 and figure["ratio"] > 0, name
        assert figure["unit"] and isinstance(figure["met"], bool), name
        assert figure["ratio"] == pytest.approx(figure["ours"] / figure["raw"]), name
    # Both sides did the same work, and it left the ledger sound.
    assert figures[f"{backend}.sends"]["audit_ok"] is True
    sent = {"201": QUICK.http_rounds * QUICK.requests_per_round}
    assert figures[f"{backend}.http_sends"]["statuses"] == {"ours": sent, "raw": sent}
    for bulk in ("renewals", "expiries"):
        figure = figures[f"{backend}.{bulk}"]
        assert figure["same_rows"], figure["differs"]
        assert figure["audit_ours"] and figure["audit_raw"]
    for reads in ("read_credits_p99", "read_ledger_p99"):
        assert figures[f"{backend}.{reads}"]["statuses"] == {"ours": [200], "raw": [200]}
