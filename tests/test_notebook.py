"""The analyst walkthrough runs top to bottom on a real night's folder, as `make demo` leaves it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("demo_run")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "analyst_walkthrough.ipynb"


def test_walkthrough_executes_on_the_demo_folder_without_the_store(demo_run, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    duckdb = pytest.importorskip("duckdb")
    # the project's layout after `make demo`: notebooks/ beside out/demo/, no variable set
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "demo").symlink_to(demo_run.paths["report"].parent, target_is_directory=True)
    notebook_file = shutil.copy(NOTEBOOK, tmp_path / "notebooks" / NOTEBOOK.name)
    monkeypatch.delenv("VOC_OUT", raising=False)
    notebook = nbformat.read(notebook_file, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path / "notebooks")}}
    )
    # a night writing the store holds its lock: the notebook reads the night's files, so it still runs
    writer = duckdb.connect(str(demo_run.paths["report"].parent / "voc.duckdb"))
    try:
        client.execute()
    finally:
        writer.close()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert f"night {demo_run.night.isoformat()}:" in text and "records" in text and "themes" in text
    # the drivers table rendered (derived vs stated importance)
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs if o.get("output_type") == "execute_result")
    assert "nps_impact" in html and "derived_rank" in html
