"""OSCAL export tests and the schema they validate against."""
