"""Stream assets: how a stream becomes an asset spec (translator), what a workspace syncs (catalog),
one multi-asset per connection (connection_assets), the selected connection every feature sees
(built_connection), and the run tags that tie Airbyte jobs to runs (run_tags)."""
