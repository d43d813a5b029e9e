"""Fault-injection suite: crashes, tracker outages, delivery storms, replicas, secrets."""
