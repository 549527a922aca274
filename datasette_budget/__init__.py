"""datasette-budget: Chinese government budget disclosures in Datasette.

This module holds only the plugin hooks; the work is in the modules they call.
"""
from datasette import hookimpl


@hookimpl
def register_commands(cli):
    from .cli import budget

    cli.add_command(budget)
