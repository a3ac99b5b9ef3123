"""Lan Tỏa: the publishing system of a multilingual country-image site for Viet Nam."""

__version__ = "0.1.0"
