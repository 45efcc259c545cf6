"""One module per `tokenfleet` subcommand; each parses its flags and calls lower layers."""
