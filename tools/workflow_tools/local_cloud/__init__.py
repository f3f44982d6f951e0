"""Local cloud (draft)."""
