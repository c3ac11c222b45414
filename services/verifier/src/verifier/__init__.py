"""verifier: checks each object depot stores and records the verdict on its record."""
