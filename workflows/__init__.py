"""Domain workflows: tables, planning, the status table, release and task services.

Pure cores (planning, status, progress) take time as a parameter; services take a session.
"""
