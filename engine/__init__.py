"""Matching, metric filters and alarms. Re-exports only."""
