"""How the terminal simulator marks everything it writes (names the real format never uses).

Kept in one place so the simulator that writes the mark and the parser that surfaces it as
`result.simulated` cannot drift apart.
"""

from __future__ import annotations

#: Header element whose presence (value "1") marks a simulated answer.
SIM_MARK_ELEMENT = "MadoguchiSimulated"
#: Header element holding simulator-only details as child elements (IdentityCheck, CardId, …).
SIM_INFO_ELEMENT = "MadoguchiSimulatorInfo"
#: First line of every `.err` file the simulator writes.
SIM_ERR_MARK = "MADOGUCHI-SIMULATED"
#: XML comment placed at the top of every simulated file, for humans reading the raw file.
SIM_COMMENT = " SIMULATED: written by the Madoguchi terminal simulator, not by an OQS terminal "
