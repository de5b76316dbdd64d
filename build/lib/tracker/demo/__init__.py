"""The offline demo: replayed EU portal responses, a local SMTP outbox, one command."""
