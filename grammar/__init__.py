"""The filter-pattern language: parse, check and print patterns. Re-exports only."""
