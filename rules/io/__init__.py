"""io rules."""
