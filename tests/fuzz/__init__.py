"""Property-based fuzzing of the webhook endpoints."""
