"""The pieces of `airbyte-ops` (cli.py) beyond argument parsing: the dev command, where Airbyte is,
which connection a person means, and how a running sync is shown."""
