"""summarize: compress RAG context or a conversation history to a token budget."""
