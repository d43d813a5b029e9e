"""Tracker adapters (GitHub, Jira): I/O only, built from ready clients; imports nothing of ours."""
