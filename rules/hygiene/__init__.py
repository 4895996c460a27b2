"""hygiene rules."""
