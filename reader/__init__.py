"""The card and terminal layers, and above them the reception runtime that runs a visit.

The layers that talk to hardware or to the verification terminal: PC/SC readers and the My
Number card (``apdu``, ``pcsc``, ``mynumber``), the virtual card used in tests and the demo
(``virtual_card``), the OQS folder/XML exchange with the terminal and its simulator
(``terminal``, ``terminal_sim``) and the マイナポータル PDF reader (``documents``).

``reader.reception`` is the application runtime on top of them: it executes the pure reception
state machine of ``policies`` against the card and the terminal, and reaches storage only through
its ``Recorder`` Protocol port. A UI talks to that runtime, not to the layers below it.
Nothing here imports ``ui`` or ``storage``.
"""
