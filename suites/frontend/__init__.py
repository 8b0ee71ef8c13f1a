"""Frontend suite: a real browser runs App Suite's user journeys in the web UI."""
