"""Fengqiao ODR: online dispute resolution portal."""
