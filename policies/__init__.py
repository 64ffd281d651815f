"""Rules and the reception state machine: pure Python, no I/O, no Qt, no SQL.

Rules with dates are data in ``resources/policies`` (each line citing its notice); this package
parses text handed to it and answers "what may we accept on this date, and what do we record".
"""
