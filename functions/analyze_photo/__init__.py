"""analyze-photo: a vision model reads a food photo into nutrition JSON; a prompt alone gets a text answer."""
