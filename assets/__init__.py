"""Data localfn ships: JSON Schemas of the specifications it implements, icons, routing data."""
