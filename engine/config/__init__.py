"""Configuration: the native config format and the infrastructure-as-code sources, with the wiring checks."""
