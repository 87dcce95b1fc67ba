"""Architecture rules the code must keep: the library reads no environment but through its settings
object, and never imports the orchestrator (``flows/``)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "voc"
#: the one module allowed to read VOC_ variables: the settings object (through pydantic-settings)
SETTINGS_MODULE = LIBRARY / "config.py"


def _is_environ(node: ast.AST) -> bool:
    """``os.environ`` or a bare ``environ`` (``from os import environ``)."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _key(node: ast.AST | None) -> str | None:
    """The variable's name when it is a literal; ``"?"`` when computed (it could be anything)."""
    if node is None:
        return None
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else "?"


def environment_reads(source: str) -> list[tuple[int, str]]:
    """(line, variable) of every read or default-set of an environment variable in ``source``.

    Covers ``os.environ[...]``, ``os.environ.get/setdefault/pop(...)``, ``os.getenv(...)``, and a
    copy or iteration of the whole environment (variable ``"*"``).
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            found.append((node.lineno, _key(node.slice) or "?"))
        elif isinstance(node, ast.Call):
            func, first = node.func, (node.args[0] if node.args else None)
            if isinstance(func, ast.Attribute) and _is_environ(func.value):
                found.append((node.lineno, _key(first) or "*"))
            elif (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                isinstance(func, ast.Name) and func.id == "getenv"
            ):
                found.append((node.lineno, _key(first) or "?"))
            elif any(_is_environ(a) for a in node.args):  # ``dict(os.environ)``
                found.append((node.lineno, "*"))
        elif isinstance(node, ast.Dict) and any(k is None and _is_environ(v) for k, v in zip(node.keys, node.values)):
            found.append((node.lineno, "*"))  # ``{**os.environ}``
        elif isinstance(node, ast.comprehension) and _is_environ(node.iter):
            found.append((node.lineno, "*"))  # ``for name in os.environ``
    return found


def _forbidden(variable: str) -> bool:
    """A project (``VOC_``) or orchestrator (``PREFECT_``) variable, or one the checker cannot name."""
    return variable.startswith(("VOC_", "PREFECT_")) or variable in {"?", "*"}


def imports_of(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import in ``source``, the lazy ones inside functions included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _library_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


def test_the_checker_finds_each_way_of_reading_the_environment():
    planted = (
        "import os\nfrom os import environ, getenv\n"
        "a = os.environ.get('VOC_CACHE_DIR')\n"
        "b = os.environ['VOC_PROGRESS']\n"
        "c = getenv('VOC_SHARED_DATA')\n"
        "os.environ.setdefault('PREFECT_LOGGING_LEVEL', 'INFO')\n"
        "d = environ.get(name)\n"
        "e = {**os.environ}\n"
        "f = os.environ.get('HF_HUB_OFFLINE')\n"
    )
    reads = sorted(environment_reads(planted))
    assert reads == [
        (3, "VOC_CACHE_DIR"),
        (4, "VOC_PROGRESS"),
        (5, "VOC_SHARED_DATA"),
        (6, "PREFECT_LOGGING_LEVEL"),
        (7, "?"),
        (8, "*"),
        (9, "HF_HUB_OFFLINE"),
    ]
    assert [variable for _, variable in reads if not _forbidden(variable)] == ["HF_HUB_OFFLINE"]
    assert [m for _, m in imports_of("def f():\n    from flows.api import x\n    import flows.nightly\n")] == [
        "flows.api",
        "flows.nightly",
    ]


def test_only_the_settings_module_reads_project_variables():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} reads {variable}"
        for path in _library_files()
        if path != SETTINGS_MODULE
        for line, variable in environment_reads(path.read_text(encoding="utf-8"))
        if _forbidden(variable)
    ]
    assert offenders == [], "read it through voc.config.Settings (a field) and pass it in:\n" + "\n".join(offenders)


def test_the_library_never_imports_the_orchestrator():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _library_files()
        for line, module in imports_of(path.read_text(encoding="utf-8"))
        if module == "flows" or module.startswith(("flows.", "prefect"))
    ]
    assert offenders == [], "flows/ plugs into the library (voc.engines, flows.cli), not the reverse:\n" + "\n".join(
        offenders
    )
