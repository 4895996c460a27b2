"""Demo shop back end."""
