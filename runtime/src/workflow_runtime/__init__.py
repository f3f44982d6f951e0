"""Code every handler shares: observability set-up, errors, AWS clients."""
