"""The library's `voc` commands, each run in this process; `flows.cli` adds `serve` and the prefect engine.

Heavy libraries are imported inside commands so `voc --help` stays instant.
"""

from __future__ import annotations

import logging
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

import click
import typer


def build_app() -> typer.Typer:
    """A new app with the library's commands: each runs in this process (``serve`` is added by ``flows``).

    Why a builder and not one shared app: the orchestrator (``flows.cli``) composes the
    user-facing ``voc`` from these commands plus its own, and the library never imports it. Each
    caller gets its own app, so adding ``serve`` there leaves this module's :data:`app` as it is.
    """
    new = typer.Typer(
        name="voc",
        help="Multilingual Voice-of-Customer mining: themes, sentiment, survey metrics and priorities.",
        no_args_is_help=True,
        add_completion=False,
        # click's own help layout: at any terminal width it moves a long option's help to the next
        # line instead of cutting the option's name, as rich's fixed-width tables do at 80 columns
        rich_markup_mode=None,
        context_settings={"max_content_width": 120},
    )
    for command in (run, demo, sample, report, export):
        new.command()(command)
    _mount_themes(new)
    return new


DEFAULT_DB = Path("voc.duckdb")
#: ``--engine``'s help; the names are checked against :mod:`voc.engines` when a command runs
ENGINE_HELP = (
    "prefect: run as the voc-nightly flow (with flows); plain: in-process; "
    "auto: prefect when PREFECT_API_URL is set, else plain."
)
ENGINE_METAVAR = "[auto|prefect|plain]"


def _engine_option(value: str) -> str:
    """``--engine``: ``auto`` or a registered engine's name, else click's usage error (exit 2)."""
    from voc.engines import AUTO, engine_names

    known = [AUTO, *engine_names()]
    if value not in known:
        hint = ""
        if value == "prefect":
            hint = " (the prefect engine comes with the flows package: run the `voc` it installs)"
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(known)}{hint}")
    return value


class ScoreTypeOpt(str, Enum):
    nps = "nps"
    csat = "csat"
    ces = "ces"
    stars = "stars"


def setup_logging(verbose: bool) -> None:
    """Quiet terminal by default, structured key=value lines with --verbose; the library logs INFO.

    Only the terminal handlers are filtered: an orchestrator's run logs still get every INFO line
    (each registered engine sets its own logging up in its ``prepare``, called here first).
    """
    from voc.engines import prepare_engines

    prepare_engines(verbose=verbose)
    terminal = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=terminal, format="%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(terminal)
    logging.getLogger("voc").setLevel(logging.INFO)


def _fail(exc: BaseException, *, verbose: bool) -> None:
    """Print a user-facing error as one sentence (the traceback only with --verbose) and exit 2."""
    import traceback

    if verbose:
        traceback.print_exception(exc)
    typer.echo(f"Error: {_one_line(exc)}", err=True)
    raise typer.Exit(getattr(exc, "exit_code", 2))


def _crash(exc: BaseException, *, verbose: bool) -> None:
    """An unexpected error: one line naming it, exit 1; the traceback with --verbose."""
    import traceback

    if verbose:
        traceback.print_exception(exc)
    hint = "" if verbose else " (rerun with --verbose for the details)"
    typer.echo(f"Error: unexpected {type(exc).__name__}: {_one_line(exc)}{hint}", err=True)
    raise typer.Exit(1)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _user_errors() -> tuple[type[BaseException], ...]:
    """What a user can fix: our own errors, a bad settings file, an unreadable path."""
    from pydantic import ValidationError

    from voc.errors import VocError

    return (VocError, ValidationError, FileNotFoundError, IsADirectoryError, PermissionError)


def _settings_error(exc: BaseException) -> BaseException:
    """A pydantic error as one sentence naming the dotted field."""
    from pydantic import ValidationError

    from voc.errors import InputError

    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in exc.errors()[:3]]
        return InputError("invalid settings: " + "; ".join(parts))
    return exc


def _parse_night(night: str | None) -> date | None:
    """``--night`` as a date, or an error that names the option."""
    from voc.errors import InputError

    if not night:
        return None
    try:
        return date.fromisoformat(night.strip())
    except ValueError as exc:
        raise InputError(f"--night '{night}' is not a valid date ({exc}); use YYYY-MM-DD, e.g. 2026-03-31") from None


def _load(config: Path | None, **overrides: Any):
    from voc.config import load_settings

    if config is None and Path("voc.yaml").exists() and overrides.pop("_use_default_config", False):
        config = Path("voc.yaml")
    try:
        return load_settings(config, **{k: v for k, v in overrides.items() if not k.startswith("_")})
    except Exception as exc:
        converted = _settings_error(exc)
        if converted is exc:
            raise
        raise converted from exc


def _execute(settings, *, night: date | None, out: Path, refit: bool, engine: str, verbose: bool) -> dict[str, Path]:
    """Run the nightly pipeline with the engine named (``auto``: see :func:`voc.engines.get_engine`)."""
    from rich.console import Console

    from voc.engines import get_engine

    chosen = get_engine(engine)
    status = Console(stderr=True).status("starting")
    status.start()
    try:
        return chosen.run(settings, night=night, out_dir=out, refit=refit, verbose=verbose, status=status.update)
    finally:
        status.stop()


def _print_paths(paths: dict[str, Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("output", "path", title="voc outputs")
    for name, path in paths.items():
        table.add_row(name, str(path))
    Console().print(table)
    if "report" in paths:
        Console().print(f"[bold green]Report:[/] {Path(paths['report']).resolve()}")


def run(
    input: list[Path] = typer.Option([], "--input", "-i", help="Feedback file(s): csv, xlsx, json, jsonl, parquet."),
    text_column: str | None = typer.Option(None, help="Column holding the comment text."),
    id_column: str | None = typer.Option(None, help="Column with a stable record id."),
    date_column: str | None = typer.Option(None),
    language_column: str | None = typer.Option(None),
    score_column: str | None = typer.Option(None),
    score_type: ScoreTypeOpt | None = typer.Option(None, help="Scale of --score-column."),
    score_type_column: str | None = typer.Option(None, help="Column naming each row's scale (mixed surveys)."),
    segment_column: list[str] = typer.Option([], help="Segment column(s); the first is the primary segment."),
    channel_column: str | None = typer.Option(None),
    journey_column: str | None = typer.Option(None, help="Journey stage column."),
    source_type_column: str | None = typer.Option(None, help="review/complaint/ticket/survey column."),
    customer_column: str | None = typer.Option(None),
    value_column: str | None = typer.Option(None, help="Customer value (yearly revenue) column."),
    churn_column: str | None = typer.Option(None),
    source_name: str | None = typer.Option(None, help="Name of the source (default: file name)."),
    encoding: str | None = typer.Option(None, help="File encoding, e.g. utf-8, cp1250, latin-1 (default: detected)."),
    sheet: str | None = typer.Option(
        None, help="XLSX sheet name or 0-based number (default: every sheet with the text column)."
    ),
    config: Path | None = typer.Option(None, "--config", "-c", help="voc.yaml settings file."),
    db: Path | None = typer.Option(None, help="DuckDB store file."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the night's outputs."),
    night: str | None = typer.Option(
        None, help="Night to process, YYYY-MM-DD (default today, or the last day with data when earlier)."
    ),
    refit: bool = typer.Option(False, help="Refit the theme model from all history now."),
    engine: str = typer.Option("auto", parser=_engine_option, metavar=ENGINE_METAVAR, help=ENGINE_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Run the nightly pipeline on the given inputs (or the sources in --config)."""
    setup_logging(verbose)
    options = dict(locals())
    _guarded(lambda: _run(**options), verbose=verbose)


def _run(
    input: list[Path],
    text_column: str | None,
    id_column: str | None,
    date_column: str | None,
    language_column: str | None,
    score_column: str | None,
    score_type: ScoreTypeOpt | None,
    score_type_column: str | None,
    segment_column: list[str],
    channel_column: str | None,
    journey_column: str | None,
    source_type_column: str | None,
    customer_column: str | None,
    value_column: str | None,
    churn_column: str | None,
    source_name: str | None,
    encoding: str | None,
    sheet: str | None,
    config: Path | None,
    db: Path | None,
    out: Path,
    night: str | None,
    refit: bool,
    engine: str,
    verbose: bool,
) -> None:
    """The body of ``voc run``; every user-facing error is raised as a :class:`~voc.errors.VocError`."""
    from voc.config import ColumnMapping, SourceSettings
    from voc.errors import InputError

    night_date = _parse_night(night)
    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(
                f"--encoding '{encoding}' is not an encoding Python knows; try utf-8, cp1250 or latin-1"
            ) from None

    overrides: dict[str, Any] = {"db_path": db, "out_dir": out}
    if input:
        if not text_column:
            raise InputError("--text-column is required with --input: name the column holding the comments")
        if source_name and len(input) > 1:
            raise InputError("--source-name names one input; give one --input per run or use voc.yaml")
        mapping = ColumnMapping(
            text=text_column,
            id=id_column,
            date=date_column,
            language=language_column,
            score=score_column,
            score_type=score_type.value if score_type else None,
            score_type_column=score_type_column,
            segments=list(segment_column),
            channel=channel_column,
            journey_stage=journey_column,
            source_type=source_type_column,
            customer=customer_column,
            value=value_column,
            churn=churn_column,
        )
        for path in input:
            if not path.exists():
                raise InputError(f"--input {path}: file not found")
            if path.is_dir():
                raise InputError(f"--input {path} is a folder; give the files in it, one --input each")
        sheet_value: str | int | None = int(sheet) if sheet is not None and sheet.strip().isdigit() else sheet
        overrides["sources"] = [
            SourceSettings(
                path=str(p), name=source_name, columns=mapping, encoding=encoding, sheet=sheet_value
            ).model_dump()
            for p in input
        ]
    elif encoding or sheet is not None:
        raise InputError("--encoding and --sheet apply to --input files; set `encoding`/`sheet` per source in voc.yaml")
    settings = _load(config, **overrides)
    if not settings.sources:
        raise InputError("nothing to read: give --input FILE or a --config with sources")
    if db is not None:
        from voc.store.warehouse import check_store_file

        check_store_file(str(db))
    paths = _execute(settings, night=night_date, out=out, refit=refit, engine=engine, verbose=verbose)
    _print_paths(paths)


def demo(
    out: Path = typer.Option(Path("out/demo"), "--out", "-o"),
    records: int = typer.Option(4000, help="Sample size."),
    engine: str = typer.Option("auto", parser=_engine_option, metavar=ENGINE_METAVAR, help=ENGINE_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Generate the multilingual sample and run one night on it.

    Embedded DuckDB; the Prefect flow when PREFECT_API_URL is set.
    """
    setup_logging(verbose)
    from voc.demo import demo_settings, prepare_demo

    def demo_night() -> dict[str, Path]:
        night, sample_dir = prepare_demo(Path("data/sample"), n_records=records)
        return _execute(
            demo_settings(sample_dir, out), night=night, out=out, refit=False, engine=engine, verbose=verbose
        )

    _print_paths(_guarded(demo_night, verbose=verbose))


def sample(
    out: Path = typer.Option(Path("data/sample"), "--out", "-o"),
    records: int = typer.Option(4000),
    seed: int = typer.Option(7),
) -> None:
    """Write the seeded multilingual sample (feedback.csv, customers.csv, planted.json)."""
    from voc.sample import write_sample

    for name, path in write_sample(out, n_records=records, seed=seed).items():
        typer.echo(f"{name}: {path}")


def _guarded(action: Any, *, verbose: bool = False) -> Any:
    """Run ``action()``: user errors become one sentence and exit 2, a fault of ours one line and exit 1.

    Usage errors keep click's own message and exit status 2; tracebacks only with ``--verbose``.
    """
    try:
        return action()
    except _user_errors() as exc:
        _fail(_settings_error(exc), verbose=verbose)
    except (typer.Exit, click.ClickException):
        raise
    except Exception as exc:
        _crash(exc, verbose=verbose)


def _reanalyse(config: Path | None, db: Path, out: Path, night: str | None, keep: tuple[str, ...]) -> dict[str, Path]:
    """Recompute the night's analysis from the store alone (no sources read) and keep some outputs."""
    from voc.pipeline import run_pipeline
    from voc.pipeline.pipeline import ANALYSIS, empty_ingest

    settings = _load(config, db_path=db, out_dir=out, _use_default_config=True)
    if not Path(settings.db_path).exists():
        raise typer.BadParameter(f"no store at {settings.db_path}: run `voc run` first", param_hint="--db")
    night_date = _parse_night(night)
    result = run_pipeline(
        settings, night=night_date, out_dir=out, nodes=ANALYSIS, seed_catalog={"ingested": empty_ingest()}
    )
    return {k: v for k, v in result.paths.items() if k in keep}


def report(
    db: Path = typer.Option(DEFAULT_DB, help="DuckDB store file."),
    out: Path = typer.Option(Path("out"), "--out", "-o"),
    night: str | None = typer.Option(None, help="YYYY-MM-DD (default today)."),
    config: Path | None = typer.Option(None, "--config", "-c"),
) -> None:
    """Rebuild the HTML topic report from what the store holds."""
    _print_paths(_guarded(lambda: _reanalyse(config, db, out, night, ("report",))))


def export(
    db: Path = typer.Option(DEFAULT_DB, help="DuckDB store file."),
    out: Path = typer.Option(Path("out"), "--out", "-o"),
    night: str | None = typer.Option(None, help="YYYY-MM-DD (default today)."),
    config: Path | None = typer.Option(None, "--config", "-c"),
) -> None:
    """Write priorities.csv/.xlsx/.json (and the SQL table when configured) from the store."""
    keep = (
        "priorities_csv",
        "priorities_xlsx",
        "priorities_json",
        "priorities_sql",
        "csv",
        "xlsx",
        "json",
        "sql",
        "records",
        "themes",
    )
    _print_paths(_guarded(lambda: _reanalyse(config, db, out, night, keep)))


def _mount_themes(target: typer.Typer) -> None:
    """`voc themes ...` lives with the theme registry it edits."""
    from voc.themes.cli import themes_app

    target.add_typer(themes_app, name="themes", help="List and curate themes: rename, merge, split, delete, export.")


#: The library's command line: the in-process commands only. The installed ``voc`` is
#: :data:`flows.cli.app`, these commands plus ``serve`` and the ``prefect`` engine.
app = build_app()

if __name__ == "__main__":  # pragma: no cover
    app()
