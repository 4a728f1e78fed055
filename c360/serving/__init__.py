"""A lookup at contact time: a key as a caller gives it, to the golden customer's picture.

keys normalizes the key as identity resolution does and hashes it; keymap publishes
the map of hashed keys to customers with each night's publication; lookup runs the
one audited query; tokens and app are the HTTP API's callers and the API itself.
"""
