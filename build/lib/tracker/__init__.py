"""The tracker: storage, history, tagging and review of funding calls."""
