"""The wheel carries the JupyterLab extension prebuilt, so `pip install hydro-lab` needs no node;
the extension's npm version follows the Python package's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import hydro_lab

ROOT = Path(__file__).resolve().parents[1]
LABEXT = ROOT / "hydro_lab" / "labextension"


def test_npm_and_python_versions_agree():
    package = json.loads((ROOT / "extension" / "package.json").read_text())
    assert package["version"] == hydro_lab.__version__
    assert package["jupyterlab"]["outputDir"] == "../hydro_lab/labextension"
    assert hydro_lab._jupyter_labextension_paths() == [{"src": "labextension",
                                                        "dest": package["name"]}]


@pytest.mark.skipif(not (LABEXT / "package.json").exists(),
                    reason="the extension is not built (make setup builds it)")
def test_the_wheel_ships_the_prebuilt_extension(tmp_path):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(tmp_path), str(ROOT)], check=True, env=env,
                   capture_output=True)
    (wheel,) = tmp_path.glob("hydro_lab-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    share = f"hydro_lab-{hydro_lab.__version__}.data/data/share/jupyter/labextensions/hydro-lab/"
    assert share + "package.json" in names
    assert share + "install.json" in names
    assert any(n.startswith(share + "static/remoteEntry.") for n in names)
    assert share + "static/style.js" in names
    built = json.loads(zipfile.ZipFile(wheel).read(share + "package.json"))
    assert built["name"] == "hydro-lab" and "_build" in built["jupyterlab"]
