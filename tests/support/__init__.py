"""Helpers shared by localfn tests: a tiny GGUF model, an Ollama fake, a loopback ASGI server."""
