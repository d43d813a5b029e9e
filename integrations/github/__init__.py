"""GitHub adapter: pure webhook parsing (`events`), the tracker checklist view (`checklist`)."""
