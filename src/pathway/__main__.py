"""``python -m pathway`` runs the CLI, as the ``pathway`` command does."""

from pathway.cli.entry import main

main()
