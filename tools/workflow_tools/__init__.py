"""Operator and developer tooling."""
