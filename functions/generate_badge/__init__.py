"""generate-badge: a course description becomes Open Badges 3.0 metadata, an image and a stored history."""
