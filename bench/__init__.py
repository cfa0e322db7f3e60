"""Measured figures: `make bench` runs every benchmark and prints what it measured."""
