"""``python -m pathway`` runs the CLI."""

from pathway.cli.app import main

main()
