"""extract-parameters: fill a function call's arguments from a user message and a JSON Schema."""
