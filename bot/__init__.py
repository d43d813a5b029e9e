"""The composition root: settings, database, web app and CLI; the only reader of settings."""
