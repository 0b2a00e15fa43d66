"""Inputs: opening files and streams, sniffing their format, reading log events out of each format AWS writes.

`readers` turns inputs into events for `cwfilter run`, scenario files and the pytest plugin;
`messages` numbers the same events for `cwfilter test` and `explain`; `follow` reads growing files.
"""
