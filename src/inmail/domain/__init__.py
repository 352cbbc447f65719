"""Pure rules of inmail: no I/O, no SQL, no clock (``now`` is always an argument)."""
