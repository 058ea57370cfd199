"""One repository per concern; each owns its queries."""
