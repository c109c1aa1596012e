"""How a run executes its steps and how many syncs run at once: the threaded sync executor and
Dagster pools. The one folder that may import Dagster's private internals (see docs/architecture.md)."""
