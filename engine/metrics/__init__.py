"""Metrics: metric transformations, mergeable per-period aggregates, the Engine and the run loop."""
