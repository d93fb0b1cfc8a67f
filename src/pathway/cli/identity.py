"""``pathway identity …``: the key that encrypts personal identity numbers at rest."""

from __future__ import annotations

import typer

from pathway.cli.output import console
from pathway.cli.state import state
from pathway.services import identity as identity_service
from pathway.store.identity_crypto import new_key as make_key

app = typer.Typer(help="The key that encrypts personal identity numbers: make one, rotate to a new one.", no_args_is_help=True)


@app.command("new-key")
def new_key() -> None:
    """Print a fresh random identity key (for PATHWAY_IDENTITY_KEY); keep it apart from the database.

    Example: pathway identity new-key
    """
    typer.echo(make_key())


@app.command("rotate-key")
def rotate_key(ctx: typer.Context) -> None:
    """Re-encrypt every stored identity number with the current key, all in one transaction.

    Set the new key as PATHWAY_IDENTITY_KEY and the one it replaces in PATHWAY_IDENTITY_OLD_KEYS
    (comma-separated if several), run this, then drop the old key.

    Example: pathway identity rotate-key   (with PATHWAY_IDENTITY_KEY=NEW PATHWAY_IDENTITY_OLD_KEYS=OLD)
    """
    count = identity_service.rotate_key(state(ctx).services())
    console.print(f"re-encrypted {count} identity number{'s' if count != 1 else ''} with the current key; "
                  "the old key(s) can now be removed from the settings", markup=False)
