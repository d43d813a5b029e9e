"""Browser tests: the dashboard in a real headless Chromium."""
