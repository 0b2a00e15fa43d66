"""cwfilter: an offline engine for CloudWatch Logs filter patterns, metric filters and alarms."""

__version__ = "0.1.0"
