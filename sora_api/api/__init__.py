"""The HTTP API: Paste pipeline pieces, router, controllers, schemas."""
