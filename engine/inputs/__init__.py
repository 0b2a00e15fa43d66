"""Inputs: opening files and streams, sniffing their format, reading log events out of each format AWS writes."""
