"""Authoring: tools that help people write patterns (explain, lint, the FilterPattern builder)."""
