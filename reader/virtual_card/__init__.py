"""My Number card emulator (vpcd protocol) for tests and the demo. SIMULATED, never a real card."""
