"""Use cases of the service: one function per use case, each owning its transaction."""
