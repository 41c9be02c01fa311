"""The IHP v1 conformance suite: `ihp-conformance run | http | mutants`.

Public pieces: `conformance.model` (verdicts, results, reports as values),
`conformance.reports` (terminal, JSON, JUnit, HTML writers), `conformance.shimclient`
(the `ihp-shim/1` client), `conformance.runner` (one run), `conformance.mutants`.
"""

__all__: list[str] = []
