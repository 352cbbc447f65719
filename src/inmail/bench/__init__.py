"""`inmail bench`: every figure of the engine beside the same work written as
plain SQL on the same driver, measured in the same run, and their ratio.

Modules: ``sizes`` (full and quick), ``databases`` (fresh databases, copies,
driver connections), ``populate`` (bulk rows), ``raw`` (the plain-SQL side),
``rawapp`` (the bare HTTP app), ``loadgen`` (the HTTP load generator),
``servers`` (server subprocesses), one module per figure, ``report`` and
``runner``.
"""
