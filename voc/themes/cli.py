"""``voc themes ...``: look at the theme registry and curate it.

Every command opens the store given by ``--db`` (default: ``db_path`` of ``voc.yaml`` when that file
exists in the working folder, else ``voc.duckdb``). Edits are stored in the warehouse and replayed
by every later nightly run, so they survive refits.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

themes_app = typer.Typer(help="List, inspect and curate themes (edits survive every later run).", no_args_is_help=True)

DbOption = typer.Option(None, "--db", help="DuckDB store; default from voc.yaml, else voc.duckdb.")


def _db_path(db: Path | None) -> Path:
    if db is not None:
        return db
    if Path("voc.yaml").exists():
        from voc.config import load_settings

        return Path(load_settings("voc.yaml").db_path)
    return Path("voc.duckdb")


def _open(db: Path | None):
    from voc.store import Store

    path = _db_path(db)
    if not path.exists():
        raise typer.BadParameter(f"no voc store at {path}: run `voc run` first or pass --db", param_hint="--db")
    return Store(path)


def _edit(db: Path | None, action: str, *args: object) -> None:
    """Run one curation function of ``voc.themes.curation`` on the store; its errors end the command."""
    from voc.themes import curation

    with _open(db) as store:
        try:
            getattr(curation, action)(store, *args)
        except curation.CurationError as error:
            _fail(error)


def _fail(error: Exception) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {error}")
    raise typer.Exit(code=1)


@themes_app.command("list")
def list_themes(
    db: Path | None = DbOption,
    all_: bool = typer.Option(False, "--all", help="Also show merged, split and deleted themes."),
) -> None:
    """Themes with their parent, status and size."""
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from voc.themes.registry import load_themes, public_themes

    with _open(db) as store:
        registry = load_themes(store)
    shown = public_themes(registry).set_index("theme_id")
    table = Table(title=f"{len(shown)} themes")
    for column in ("id", "label", "parent", "status", "units", "records", "curated"):
        table.add_column(column, justify="right" if column in ("id", "units", "records") else "left")
    rows = registry if all_ else registry[registry["theme_id"].isin(shown.index)]
    for row in rows.sort_values(["parent_id", "theme_id"], na_position="last").itertuples(index=False):
        theme = int(row.theme_id)
        label = row.custom_label if isinstance(row.custom_label, str) else (row.generated_label or "")
        status = row.status + (f" -> {int(row.merged_into)}" if row.status == "merged" else "")
        table.add_row(
            str(theme),
            ("[bold]" + label + "[/bold]") if row.kind == "parent" else label,
            "" if pd.isna(row.parent_id) else str(int(row.parent_id)),
            status,
            str(row.n_units or 0),
            str(row.n_records or 0),
            "yes" if theme in shown.index and bool(shown.loc[theme, "curated"]) else "",
        )
    Console().print(table)


@themes_app.command("show")
def show_theme(theme_id: int = typer.Argument(..., help="Theme id."), db: Path | None = DbOption) -> None:
    """One theme: label, keywords per language, verbatims and its history."""
    from rich.console import Console
    from rich.table import Table

    from voc.themes.registry import load_events, load_themes

    with _open(db) as store:
        registry = load_themes(store)
        events = load_events(store)
    match = registry[registry["theme_id"] == theme_id]
    if match.empty:
        _fail(LookupError(f"no theme {theme_id}; `voc themes list` shows the ids"))
    row = match.iloc[0]
    console = Console()
    label = row["custom_label"] if isinstance(row["custom_label"], str) else row["generated_label"]
    console.print(
        f"[bold]{theme_id}: {label}[/bold]  "
        f"({row['status']}, {row['kind']}, {row['n_units']} units, {row['n_records']} records)"
    )
    if isinstance(row["custom_label"], str):
        console.print(f"generated label: {row['generated_label']}")
    keywords = Table(title="keywords")
    keywords.add_column("language")
    keywords.add_column("keywords")
    for language, words in json.loads(row["keywords"] or "{}").items():
        keywords.add_row(language, ", ".join(words))
    console.print(keywords)
    quotes = Table(title="verbatims")
    quotes.add_column("language")
    quotes.add_column("record")
    quotes.add_column("text")
    for quote in json.loads(row["verbatims"] or "[]"):
        quotes.add_row(quote["language"], quote["record_id"], quote["text"])
    console.print(quotes)
    history = events[
        (events["theme_id"] == theme_id) | events["other_ids"].str.contains(rf"\b{theme_id}\b", regex=True)
    ]
    if not history.empty:
        table = Table(title="history")
        for column in ("when", "run", "event", "theme", "related", "detail"):
            table.add_column(column)
        for event in history.itertuples(index=False):
            table.add_row(
                str(event.happened_at),
                str(event.run_id or ""),
                event.event,
                str(event.theme_id),
                event.other_ids,
                event.detail or "",
            )
        console.print(table)


@themes_app.command("rename")
def rename(theme_id: int = typer.Argument(...), name: str = typer.Argument(...), db: Path | None = DbOption) -> None:
    """Give a theme your own name."""
    _edit(db, "rename_theme", theme_id, name)
    typer.echo(f"theme {theme_id} renamed to {name!r}")


@themes_app.command("merge")
def merge(theme_id: int = typer.Argument(...), into_id: int = typer.Argument(...), db: Path | None = DbOption) -> None:
    """Merge theme ID into INTO_ID (ID stays as an alias)."""
    _edit(db, "merge_themes", theme_id, into_id)
    typer.echo(f"theme {theme_id} merged into {into_id}")


@themes_app.command("split")
def split(
    theme_id: int = typer.Argument(...),
    k: int = typer.Option(2, "--k", min=2, help="Number of sub-themes."),
    db: Path | None = DbOption,
) -> None:
    """Split a theme into K sub-themes by re-clustering its sentences."""
    from voc.themes.curation import CurationError, split_theme
    from voc.themes.pipeline import describer, load_unit_vectors

    with _open(db) as store:
        try:
            children = split_theme(
                store, theme_id, k=k, vectors_for=lambda a: load_unit_vectors(store, a), describe=describer(store)
            )
        except (CurationError, LookupError) as error:
            _fail(error)
    typer.echo(f"theme {theme_id} split into {', '.join(map(str, children))}")


@themes_app.command("delete")
def delete(theme_id: int = typer.Argument(...), db: Path | None = DbOption) -> None:
    """Hide a theme; its sentences become unassigned, now and after later runs."""
    _edit(db, "delete_theme", theme_id)
    typer.echo(f"theme {theme_id} deleted")


@themes_app.command("export")
def export(file: Path = typer.Argument(..., help="YAML file to write."), db: Path | None = DbOption) -> None:
    """Write all curation (edits and split sub-themes) to a YAML file."""
    from voc.themes.curation import export_curation

    with _open(db) as store:
        export_curation(store, file)
    typer.echo(f"curation written to {file}")


@themes_app.command("bertopic")
def bertopic(
    folder: Path = typer.Argument(..., file_okay=False, help="Folder to write the BERTopic model to."),
    db: Path | None = DbOption,
) -> None:
    """Write the latest night's themes as a BERTopic model (`BERTopic.load(folder)` reads it)."""
    from voc.themes.bertopic_export import ExportError, export_bertopic

    with _open(db) as store:
        try:
            export_bertopic(store, folder)
        except ExportError as error:
            _fail(error)
    typer.echo(f"BERTopic model written to {folder} (topic ids and voc theme ids: {folder / 'voc_themes.csv'})")


@themes_app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="YAML file from `voc themes export`."),
    db: Path | None = DbOption,
    append: bool = typer.Option(False, "--append", help="Keep the store's edits and add the file's."),
) -> None:
    """Load curation from a YAML file and apply it to the stored themes."""
    from voc.themes.curation import CurationError, import_curation
    from voc.themes.pipeline import reapply_curation

    with _open(db) as store:
        try:
            n = import_curation(store, file, replace=not append)
        except CurationError as error:
            _fail(error)
        applied = reapply_curation(store)
    when = "applied now" if applied else "they apply from the next run (the units' vectors are not cached)"
    typer.echo(f"{n} edits imported from {file}; {when}")
