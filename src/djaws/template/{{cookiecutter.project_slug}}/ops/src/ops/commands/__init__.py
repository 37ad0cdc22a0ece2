"""Subcommands of ops, one module per group."""
