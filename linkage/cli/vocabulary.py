"""`laolink vocabulary add FIELD WORD CODE`: teach the standardizer a word for a role, a case type or a form of
exploitation as this deployment's records write it."""

from __future__ import annotations

import typer

vocabulary_app = typer.Typer(help="This deployment's words for role, case type and exploitation, beside the built-in"
                                  " ones.", no_args_is_help=True)


@vocabulary_app.command("add")
def vocabulary_add_command(
    field: str = typer.Argument(..., help="role, case_type or exploitation."),
    word: str = typer.Argument(..., help="The word as records write it, e.g. 'ຜູ້ຖືກຫຼອກລວງ' or 'rubber tapping'."),
    code: str = typer.Argument(..., help="The code it stands for: a role (victim, suspect, witness, smuggled_migrant),"
                                         " a case type (TIP, SOM, other) or a form of exploitation (labour, sexual,"
                                         " forced_marriage, other, unknown)."),
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file); the vocabulary file lives beside it."),
) -> None:
    """Add a word; the next nightly reads again the stored values of the field whose code it changes."""
    from linkage.fields.vocabulary import add_word
    from linkage.paths import store_paths

    path = store_paths(db).vocabulary
    # a bad field, code or word, or one read as another code: one line from linkage/cli/errors.py, exit 1
    field, code, added = add_word(path, field, word, code)
    if added:
        typer.echo(f"{field} '{word.strip()}' now reads as {code}; written to {path}")
    else:
        typer.echo(f"{field} '{word.strip()}' already reads as {code}; nothing added")
