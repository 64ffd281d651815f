"""A separate process that behaves like the on-site OQS terminal, for the demo and the tests.

Everything it writes is marked simulated (see `reader.terminal.simmark`). Run
`python -m reader.terminal_sim --help`.
"""
