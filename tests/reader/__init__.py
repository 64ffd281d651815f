"""Card layer tests: APDU encoding, the card model, and the real pcscd + vpcd stack."""
