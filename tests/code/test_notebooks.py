"""The notebooks run headless, top to bottom, on the bundled corpus, and are committed without outputs."""

from __future__ import annotations

import json
import os
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from src.config import ROOT

NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOKS = ("01-eda.ipynb", "02-error-analysis.ipynb")
CELL_TIMEOUT = 300  # seconds; 02 trains a model (about 10 s)


@pytest.fixture()
def kernel_env(tmp_path, monkeypatch):
    """Make kernel `python3` run this interpreter (the project venv) with `src` importable,
    whatever kernelspecs the user has installed; keep IPython's history out of $HOME. One OpenMP
    thread: the boosting fit is small, and threads waiting on a busy shared CI machine cost minutes."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (project venv)", "language": "python",
    }), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(filter(None, [str(spec.parents[1]),
                                                                      os.environ.get("JUPYTER_PATH")])))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS_DIR / name, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, f"{name} has no code cells"
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code), \
        f"{name}: clear the outputs before committing"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_headless(name, kernel_env):
    nb = nbformat.read(NOTEBOOKS_DIR / name, as_version=4)
    # first, check the kernel is this environment (the notebook itself is not changed on disk)
    nb.cells.insert(0, nbformat.v4.new_code_cell(f"import sys\nassert sys.prefix == {sys.prefix!r}, sys.prefix"))
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    client.execute()  # raises CellExecutionError, naming the cell, when one fails

    streams = "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                      for output in cell.outputs if output.output_type == "stream")
    assert "missing from font" not in streams, "a plot label has Hangul the font cannot draw"
    assert any(output.output_type == "display_data" and "image/png" in output.get("data", {})
               for cell in nb.cells for output in cell.get("outputs", [])), f"{name} drew no figure"
