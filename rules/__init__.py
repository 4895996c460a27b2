"""reviewls rules: one module per rule under a family folder, and the SDK in `rules.api`."""
