import pandas as pd
import pytest

from voc.pipeline.core import Node, run_nodes


def test_nodes_pass_named_outputs_in_order():
    nodes = [
        Node("double", lambda x: x * 2, ("x",), ("y",)),
        Node("split", lambda y: (y, -y), ("y",), ("pos", "neg")),
    ]
    catalog = run_nodes(nodes, {"x": 3})
    assert (catalog["pos"], catalog["neg"]) == (6, -6)
    assert set(catalog["timings"].seconds) == {"double", "split"}


def test_released_values_are_dropped_after_their_last_reader_and_only_then():
    nodes = [
        Node("make", lambda: [0] * 5, (), ("big",)),
        Node("first", lambda big: len(big), ("big",), ("n",)),
        Node("second", lambda big, n: sum(big) + n, ("big", "n"), ("total",)),
        Node("after", lambda total: total + 1, ("total",), ("done",)),
    ]
    from voc.pipeline.catalog import DataCatalog

    seen, catalog = [], DataCatalog()
    run_nodes(nodes, catalog, release={"big"}, on_end=lambda node, _: seen.append((node.name, "big" in catalog)))
    # on_end runs before the release: "second" still sees it, the next node no longer does
    assert seen == [("make", True), ("first", True), ("second", True), ("after", False)]
    assert catalog["done"] == 6 and "n" in catalog


def test_a_released_cached_dataset_drops_its_value_and_keeps_what_it_stored():
    from voc.pipeline.catalog import CachedDataset, DataCatalog

    class Table:
        def __init__(self):
            self.rows, self.loads = None, 0

        def load(self):
            self.loads += 1
            return self.rows

        def save(self, data):
            self.rows = data

    table = Table()
    catalog = DataCatalog({"rows": CachedDataset(table)})
    run_nodes(
        [Node("make", lambda: [1, 2], (), ("rows",)), Node("use", len, ("rows",), ("n",))], catalog, release={"rows"}
    )
    assert "rows" not in catalog.held() and catalog["n"] == 2
    assert catalog["rows"] == [1, 2] and table.loads == 1  # read back from what it stored


def test_the_nightly_released_values_are_read_by_nightly_nodes_only_before_the_outputs():
    """What the nightly run releases is an intermediate: read by some node and never an output."""
    from voc.pipeline.pipeline import NIGHTLY, RELEASED

    read = {name for node in NIGHTLY for name in node.inputs}
    assert read >= RELEASED
    readers = [i for i, node in enumerate(NIGHTLY) if RELEASED & set(node.inputs)]
    writers = [i for i, node in enumerate(NIGHTLY) if node.name in {"persist", "outputs"}]
    assert max(readers) < min(writers)


def test_the_vectors_of_all_units_are_gone_before_the_theme_fit():
    """Sentiment is scored right after embedding, so no step from the theme fit on reads the
    night's full set of vectors and the runner drops them before the fit makes its own copies."""
    from voc.pipeline.pipeline import NIGHTLY, RELEASED

    names = [node.name for node in NIGHTLY]
    last_reader = max(i for i, node in enumerate(NIGHTLY) if "embeddings" in node.inputs)
    assert "embeddings" in RELEASED
    assert last_reader < names.index("fit_themes")
    assert names.index("tone") < names.index("fit_themes") < names.index("sentiment")


def test_missing_input_names_the_node():
    with pytest.raises(KeyError, match="needs"):
        run_nodes([Node("lonely", lambda z: z, ("z",), ("w",))], {})


def test_custom_call_wraps_every_node():
    seen = []
    run_nodes([Node("a", lambda: 1, (), ("one",))], {}, call=lambda node, cat: seen.append(node.name) or node(cat))
    assert seen == ["a"]


def test_nightly_pipeline_is_wired(tmp_path):
    """Every input of every nightly node is in the night's catalogue or produced earlier; no node
    receives the store or the whole settings object, only its own sections (``params:``)."""
    from voc.config import Settings
    from voc.pipeline import NIGHTLY
    from voc.pipeline.catalog import nightly_catalog
    from voc.pipeline.run_context import RunContext

    context = RunContext.open(Settings(db_path=tmp_path / "voc.duckdb"), night=None, out_dir=tmp_path, refit=False)
    available = set(nightly_catalog(context))
    context.store.close()
    assert "store" not in available
    for node in NIGHTLY:
        assert set(node.inputs) <= available, (node.name, set(node.inputs) - available)
        assert not {"store", "settings"} & set(node.inputs), node.name
        available |= set(node.outputs)


def test_a_step_that_drops_a_promised_column_stops_the_run_naming_it():
    from voc.schemas import UNIT_COLUMNS, SchemaError

    units = pd.DataFrame({c: ["x"] for c in UNIT_COLUMNS})
    good = Node("split", lambda: units, (), ("units",))
    broken = Node("split", lambda: units.drop(columns=["text_hash"]), (), ("units",))
    assert list(run_nodes([good], {})["units"].columns) == list(UNIT_COLUMNS)
    with pytest.raises(SchemaError, match=r"step 'split' produced 'units' without column\(s\) \['text_hash'\]"):
        run_nodes([broken], {})
    # a name outside the contracts is not checked
    assert run_nodes([Node("other", lambda: pd.DataFrame(), (), ("scratch",))], {})["scratch"].empty
