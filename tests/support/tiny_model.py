"""A tiny, deterministic llama-architecture GGUF for fast tests against a real llama-server.

The weights are not trained. They are written so that a real inference engine produces
well-behaved output from them: valid UTF-8 (llama-server answers 500 otherwise), short
answers that end with EOS, and JSON that finishes inside the grammar llama-server derives
from a JSON Schema, even when sampling greedily.

How: the residual stream is split into three parts.

* dim 0 holds the same constant for every token. After the final RMSNorm it is still
  (almost) constant, so the output-layer column for dim 0 acts as a per-token logit bias;
  the llama architecture has no output bias tensor of its own.
* one-hot "feature" dims tell the output layer which token should come next, so the model
  is essentially a bigram chain: newline -> "Tiny fox." -> EOS. Inside JSON, where the
  grammar forbids what the chain wants, fixed logit levels pick the shortest way out.
* the remaining dims carry random token embeddings plus everything the (random) attention
  and MLP layers write. They add context-dependent noise, so sampled outputs vary.

The transformer layers only write to the free dims, which keeps the bias and the chain
intact whatever the context.
"""

from __future__ import annotations

import pathlib

import gguf
import numpy as np

SEED = 20240613
N_EMBD = 128
N_LAYER = 4
N_HEAD = 4
N_HEAD_KV = 2
N_FF = 256
CONTEXT_LENGTH = 4096

# The greedy answer. Its characters are unique, so "current token" fully determines "next token".
PHRASE = "Tiny fox."

# Merges only make prompts tokenize into fewer tokens (usage counts then differ from
# character counts, as with real models); llama.cpp also refuses a "gpt2" vocab without merges.
MERGES = ["Ġ t", "h e", "i n", "e r", "a n", "o n", "r e", "Ġ a"]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# Logit levels, before temperature. Printable ASCII and newline sit at 0 unless listed here.
CHAIN = 8.0  # the chain's next token, whatever its own level: wins greedily, ~97% at temperature 0.8
LEVELS = {
    # Everyone's runner-up: a JSON string closes as soon as the chain proposes something the
    # grammar forbids (EOS after "."), even greedily. In plain text it restarts the phrase.
    '"': 5.0,
    # Close objects and arrays as soon as the grammar allows, and end numbers early: answers
    # must fit small max_tokens budgets, and JSON costs about one token per character.
    "}": 3.0,
    "]": 3.0,
    ",": 2.0,
    **dict.fromkeys("0123456789", -2.0),  # the grammar forces a number's first digit anyway
    # The JSON grammar allows up to 20 indent characters between any two tokens: spend none.
    " ": -5.0,
    "\n": -5.0,
    # Escapes lengthen strings and invite lone "\\ud800" surrogates that strict parsers reject.
    "\\": -6.0,
}
# After a closing '"' the grammar offers ',' or a closer: prefer the closer, so arrays and
# objects do not grow optional items (',' must stay above the digits, see LEVELS).
CLOSE_AFTER_STRING = 5.0
EOS_LEVEL = -4.0  # rare anywhere but after "." (the chain lifts it there), so answers end
BANNED = -40.0  # non-ASCII and control bytes (invalid UTF-8 -> HTTP 500), stray specials
NOISE = 0.25  # std of output weights on the free dims: about 0.6 logit of context noise (measured)

# Residual magnitudes: large bias and feature dims keep the final RMSNorm's scale almost
# independent of the noisy free dims, so the bias and the chain hold in every context.
BIAS_DIM_VALUE = 4.0
FEATURE_VALUE = 4.0
FREE_NORM = 1.0  # nominal norm of the free dims at the last layer
LAYER_STD = 0.02  # small random layers, so the free dims stay near FREE_NORM


def _byte_tokens() -> list[str]:
    """GPT-2's byte-to-unicode alphabet: printable bytes map to themselves, the rest to U+0100+."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    shifted = iter(range(0x100, 0x200))
    return [chr(b) if b in printable else chr(next(shifted)) for b in range(256)]


def _vocab() -> tuple[list[str], list[bytes]]:
    """Token strings as stored in the file, and the bytes each one decodes to."""
    alphabet = _byte_tokens()
    decode = {ch: bytes([b]) for b, ch in enumerate(alphabet)}
    merged = [m.replace(" ", "") for m in MERGES]
    tokens = [*alphabet, *merged, *SPECIALS]
    texts = [b"".join(decode[ch] for ch in t) for t in [*alphabet, *merged]]
    return tokens, [*texts, *(s.encode() for s in SPECIALS)]


def _logit_bias(texts: list[bytes], eos: int) -> np.ndarray:
    bias = np.full(len(texts), BANNED, dtype=np.float32)
    for i, text in enumerate(texts[: -len(SPECIALS)]):
        if all(0x20 <= b < 0x7F or b == 0x0A for b in text):
            bias[i] = 0.0
    for char, level in LEVELS.items():
        bias[texts.index(char.encode())] = level
    bias[eos] = EOS_LEVEL
    return bias


def write_tiny_model(path: pathlib.Path) -> pathlib.Path:
    """Write the model to `path` (same bytes every time) and return `path`."""
    rng = np.random.default_rng(SEED)
    tokens, texts = _vocab()
    n_vocab = len(tokens)
    bos, eos = tokens.index("<|endoftext|>"), tokens.index("<|im_end|>")
    phrase = [texts.index(c.encode()) for c in PHRASE]
    bias = _logit_bias(texts, eos)

    # Features: one per phrase position, then "restart" (next is the phrase start) and "idle"
    # (no next token: the bias decides). Newline restarts because the chat template ends with
    # "assistant\n"; '"' restarts so plain text recovers after a stray character.
    restart, idle = len(PHRASE), len(PHRASE) + 1
    feature = np.full(n_vocab, idle)
    feature[[texts.index(b"\n"), texts.index(b'"'), *range(n_vocab - len(SPECIALS), n_vocab)]] = restart
    feature[phrase] = np.arange(len(PHRASE))
    closers = [texts.index(b"]"), texts.index(b"}")]
    follow = {pos: {nxt: CHAIN} for pos, nxt in enumerate([*phrase[1:], eos])}
    follow[restart] = {phrase[0]: CHAIN} | dict.fromkeys(closers, CLOSE_AFTER_STRING)
    free = slice(idle + 2, N_EMBD)  # after dim 0 and the feature dims
    n_free = N_EMBD - free.start

    # Every token has exactly one feature, so all embeddings share one norm and the final
    # RMSNorm scales the bias and the chain alike for every token.
    embd = np.zeros((n_vocab, N_EMBD), dtype=np.float32)
    embd[:, 0] = BIAS_DIM_VALUE
    embd[np.arange(n_vocab), 1 + feature] = FEATURE_VALUE
    embd[:, free] = rng.normal(0.0, 0.5 / np.sqrt(n_free), (n_vocab, n_free))

    # Scale that the final RMSNorm (weight 1) applies to the residual stream.
    scale = np.sqrt(N_EMBD / (BIAS_DIM_VALUE**2 + FEATURE_VALUE**2 + FREE_NORM**2))
    output = np.zeros((n_vocab, N_EMBD), dtype=np.float32)
    output[:, 0] = bias / (BIAS_DIM_VALUE * scale)
    for feat, targets in follow.items():
        for nxt, level in targets.items():
            # Lift the follower from its own level (a space sits at -5, EOS at -4) to `level`.
            output[nxt, 1 + feat] = (level - bias[nxt]) / (FEATURE_VALUE * scale)
    output[:, free] = rng.normal(0.0, NOISE, (n_vocab, n_free))

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("localfn-tiny-test")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_context_length(CONTEXT_LENGTH)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(N_LAYER)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD_KV)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")  # "gpt2" is not a pre-tokenizer name llama.cpp knows
    writer.add_token_list(tokens)
    n_plain = n_vocab - len(SPECIALS)
    writer.add_token_types([gguf.TokenType.NORMAL] * n_plain + [gguf.TokenType.CONTROL] * len(SPECIALS))
    writer.add_token_merges(MERGES)
    writer.add_bos_token_id(bos)
    writer.add_eos_token_id(eos)
    writer.add_eot_token_id(eos)
    writer.add_pad_token_id(bos)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    def layer_weight(rows: int, cols: int) -> np.ndarray:
        return rng.normal(0.0, LAYER_STD, (rows, cols)).astype(np.float32)

    head_dim = N_EMBD // N_HEAD
    writer.add_tensor("token_embd.weight", embd)
    for i in range(N_LAYER):
        attn_out = layer_weight(N_EMBD, N_EMBD)
        ffn_down = layer_weight(N_EMBD, N_FF) * 4.0  # SiLU-gated units are tiny; let the MLP count too
        # Layers write only to the free dims, so the bias dim and phrase features stay exact.
        attn_out[: free.start] = 0.0
        ffn_down[: free.start] = 0.0
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.attn_q.weight", layer_weight(N_HEAD * head_dim, N_EMBD))
        writer.add_tensor(f"blk.{i}.attn_k.weight", layer_weight(N_HEAD_KV * head_dim, N_EMBD))
        writer.add_tensor(f"blk.{i}.attn_v.weight", layer_weight(N_HEAD_KV * head_dim, N_EMBD))
        writer.add_tensor(f"blk.{i}.attn_output.weight", attn_out)
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", layer_weight(N_FF, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", layer_weight(N_FF, N_EMBD))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", ffn_down)
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor("output.weight", output)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
