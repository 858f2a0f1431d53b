"""The published wheel works on its own: build it, install it into a fresh venv, synthesize the quickstart."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    (built,) = out.glob("cdk_casemgmt-*.whl")
    return built


def test_wheel_ships_typing_marker_and_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "cdk_casemgmt/py.typed" in names
    assert "cdk_casemgmt/testing/feature_flags.json" in names
    metadata = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Python: >=3.10" in text
    assert "Requires-Dist: aws-cdk-lib<3,>=2.257" in text


@pytest.mark.slow
def test_quickstart_synthesizes_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies come from the test environment's site-packages, appended as a plain path: its
    # .pth files (our editable install among them) are not processed, so cdk_casemgmt can only come
    # from the wheel installed below. Installing aws-cdk-lib again would only measure pip.
    deps = next(p for p in sys.path if p.endswith("site-packages"))
    Path(site, "test-deps.pth").write_text(deps + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, str(wheel)], check=True
    )
    app_dir = tmp_path / "quickstart"
    app_dir.mkdir()
    for name in ("app.py", "cdk.json"):
        (app_dir / name).write_text((ROOT / "examples" / "quickstart" / name).read_text())
    env = {**os.environ, "PYTHONPATH": ""}  # nothing from this checkout: only the wheel
    where = subprocess.run(
        [str(python), "-c", "import cdk_casemgmt; print(cdk_casemgmt.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(site), where
    done = subprocess.run([str(python), "app.py"], cwd=app_dir, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "synthesized CaseMgmtQuickstart" in done.stdout
    assert (app_dir / "cdk.out" / "CaseMgmtQuickstart.template.json").exists()
