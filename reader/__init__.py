"""Everything that talks to hardware or to the verification terminal.

PC/SC readers and the My Number card (APDUs), the virtual card used in tests and the demo, and
the OQS folder/XML exchange with the terminal (plus its simulator). Never imports ``ui`` or
``storage``.
"""
