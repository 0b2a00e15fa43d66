"""Testing: TestMetricFilter, scenario files for alert-rule unit tests, and rule packs."""
