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


def test_missing_input_names_the_node():
    with pytest.raises(KeyError, match="needs"):
        run_nodes([Node("lonely", lambda z: z, ("z",), ("w",))], {})


def test_custom_call_wraps_every_node():
    seen = []
    run_nodes([Node("a", lambda: 1, (), ("one",))], {}, call=lambda node, cat: seen.append(node.name) or node(cat))
    assert seen == ["a"]


def test_nightly_pipeline_is_wired():
    """Every input of every nightly node is produced earlier or seeded by the runner."""
    from voc.pipeline import NIGHTLY

    available = {"settings", "store", "run_id", "night", "requested_night", "refit", "out_dir"}
    for node in NIGHTLY:
        assert set(node.inputs) <= available, (node.name, set(node.inputs) - available)
        available |= set(node.outputs)
