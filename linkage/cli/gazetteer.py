"""`laolink gazetteer alias add VALUE CODE`: teach the standardizer a place name as this deployment writes it."""

from __future__ import annotations

import typer

gazetteer_app = typer.Typer(help="Places of the gazetteer and this deployment's aliases for them.",
                            no_args_is_help=True)
alias_app = typer.Typer(help="Place names as this deployment's records write them.", no_args_is_help=True)
gazetteer_app.add_typer(alias_app, name="alias")


@alias_app.command("add")
def alias_add_command(
    value: str = typer.Argument(..., help="The place as records write it, e.g. 'ນວ' or 'Ban Lao'."),
    code: str = typer.Argument(..., help="The gazetteer code it stands for, e.g. LA-VT or LA-SV-03."),
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file); the alias file lives beside it."),
) -> None:
    """Add an alias; the next nightly re-standardizes the records whose province or district it changes."""
    from linkage.fields.places import add_alias, load_gazetteer
    from linkage.paths import store_paths

    path = store_paths(db).gazetteer_aliases
    added = add_alias(path, value, code)  # a bad code or value: one line from linkage/cli/errors.py, exit 1
    place = load_gazetteer().places[code.strip().upper()]
    if added:
        typer.echo(f"'{value.strip()}' now reads as {place.name} ({place.code}); written to {path}")
    else:
        typer.echo(f"'{value.strip()}' already reads as {place.name} ({place.code}); nothing added")
