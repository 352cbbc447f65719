"""The use cases: one function per command, each in one unit of work."""
