"""routes rules (family folder; see rules/api/families.py)."""
