"""The web console (placeholder until the console skeleton lands: its owner's file wins)."""
