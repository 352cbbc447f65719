"""scripts/ensure-chromium, which `make test` runs first: a machine without
Chromium gets it (as root) or a one-line message saying how (otherwise)."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "ensure-chromium"


@pytest.fixture
def fake_system(tmp_path):
    """A PATH whose `id` says which user runs and whose `apt-get` only writes
    down how it was called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-get.calls"

    def run(uid: int, chromium: Path):
        (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
        (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
        for tool in ("id", "apt-get"):
            (bin_dir / tool).chmod(0o755)
        env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "INMAIL_CHROMIUM": str(chromium),
        }
        result = subprocess.run([SCRIPT], capture_output=True, text=True, env=env, timeout=60)
        return result, calls.read_text().splitlines() if calls.exists() else []

    return run


def test_a_chromium_in_place_is_left_alone(fake_system, tmp_path):
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    result, apt_calls = fake_system(uid=0, chromium=browser)
    assert result.returncode == 0, result.stderr
    assert apt_calls == []


def test_root_installs_debians_chromium(fake_system, tmp_path):
    result, apt_calls = fake_system(uid=0, chromium=tmp_path / "missing")
    assert result.returncode == 0, result.stderr
    assert apt_calls == ["update -qq", "install -y -qq chromium"]


def test_another_user_is_told_the_command_in_one_line(fake_system, tmp_path):
    result, apt_calls = fake_system(uid=1000, chromium=tmp_path / "missing")
    assert result.returncode != 0
    assert apt_calls == []
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "apt-get install -y chromium" in lines[0]


def test_make_test_runs_it_before_the_tests():
    dry_run = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    assert "scripts/ensure-chromium" in dry_run
    assert dry_run.index("scripts/ensure-chromium") < next(
        i for i, line in enumerate(dry_run) if "pytest" in line
    )
