"""Imports every handler module so their ``@register`` decorators run."""
